/* tests/unit/test_policy.c - unit tests of lib/policy.c: the MX-trust
 * lookup (struct mxspf_trust) and the decision (mxspf_policy_decide).
 * Owns: the preference rules of issue 3 on the zone of
 * tests/unit/policy-zone.yml (backup -> more preferred backup, backup ->
 * primary, the primary's own address, equal preference, IPv6-only MX,
 * client not an MX, server not an MX, modes, this server's own entry by
 * server address / names / addresses, implicit and null MX, the 10-host
 * bound, DNS failures, malformed answers, answers in any order, abort,
 * query counts, allocation failures) and every SPF result x policy of
 * the decision, with its SMTP code, status and text.
 * Must not: need the network.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/policy.h"
#include "internal.h"

#define MAX_SEEN 64		/* queries one test records */
#define TEST(f) cmocka_unit_test_teardown(f, reset_alloc)

/* A resolver for trust lookups: the zone, except for one scripted
 * (name, type) answer; it records what was asked. */
struct fake {
	const struct mxspf_zone *zone;
	const char *name;		/* scripted query, or NULL */
	uint16_t type;
	const struct mxspf_answer *ans;
	bool silent;			/* answer nothing */
	bool lenient;			/* do not check answer()'s return */
	size_t nseen;
	char seen[MAX_SEEN][300];	/* "TYPE name" */
};

/* One line of the decision table. */
struct dcase {
	enum mxspf_result result;
	enum mxspf_policy_act policy;	/* the policy for that result */
	enum mxspf_policy_act act;
	int code;
	const char *status;
	const char *text;
};

static void test_trust_backup_to_backup(void **);
static void test_trust_backup_to_primary(void **);
static void test_trust_primary_as_client(void **);
static void test_trust_equal_pref(void **);
static void test_trust_v6only(void **);
static void test_trust_mapped_client(void **);
static void test_trust_not_mx(void **);
static void test_trust_server_not_mx(void **);
static void test_trust_mode_any(void **);
static void test_trust_mode_off(void **);
static void test_trust_mode_names(void **);
static void test_trust_own_server_addr(void **);
static void test_trust_own_names(void **);
static void test_trust_own_addrs(void **);
static void test_trust_implicit_mx(void **);
static void test_trust_null_mx(void **);
static void test_trust_many_hosts(void **);
static void test_trust_max_hosts(void **);
static void test_trust_dnsfail_still_yes(void **);
static void test_trust_dnsfail_dnserr(void **);
static void test_trust_dnsfail_cannot_change(void **);
static void test_trust_mx_timeout(void **);
static void test_trust_mx_servfail(void **);
static void test_trust_nxdomain(void **);
static void test_trust_host_nxdomain(void **);
static void test_trust_malformed_mx(void **);
static void test_trust_mx_answer_edges(void **);
static void test_trust_malformed_addr(void **);
static void test_trust_any_order(void **);
static void test_trust_bad_ids(void **);
static void test_trust_abort(void **);
static void test_trust_run_unanswered(void **);
static void test_trust_new_einval(void **);
static void test_trust_bad_domain(void **);
static void test_trust_trailing_dot(void **);
static void test_trust_nomem(void **);
static void test_trust_cache_reuse(void **);
static void test_trust_cache_expiry(void **);
static void test_trust_cache_not_kept(void **);
static void test_trust_cache_nomem(void **);
static void test_decide_matrix(void **);
static void test_decide_no_explanation(void **);
static void test_decide_relays(void **);
static void test_decide_trust_dnserr(void **);
static void test_decide_test_mode(void **);
static void test_decide_hostile_text(void **);
static void test_decide_nomem(void **);
static void test_policy_names(void **);

/* ---- helpers ------------------------------------------------------------ */

/* zone_path - tests/unit/policy-zone.yml in the source tree (malloc'd) */
static char *
zone_path(void)
{
	const char *src = getenv("MXSPF_SRCDIR");
	const char *rel = "/tests/unit/policy-zone.yml";
	char *path;
	size_t len;

	if (src == NULL)
		src = "..";	/* ctest runs us in tests/ */
	len = strlen(src) + strlen(rel) + 1;
	path = malloc(len);
	assert_non_null(path);
	snprintf(path, len, "%s%s", src, rel);
	return path;
}

/* setup_zone - load the zone into *state */
static int
setup_zone(void **state)
{
	struct mxspf_zone *z;
	char err[256] = "", *path = zone_path();
	int rc;

	if (mxspf_zone_new(&z) != 0)
		return -1;
	rc = mxspf_zone_load_file(z, path, 0, err, sizeof(err));
	free(path);
	if (rc != 0) {
		fprintf(stderr, "policy-zone.yml: %s\n", err);
		mxspf_zone_free(z);
		return -1;
	}
	*state = z;
	return 0;
}

/* teardown_zone - free the zone */
static int
teardown_zone(void **state)
{
	mxspf_zone_free(*state);
	return 0;
}

/* reset_alloc - turn allocation failures off after every test, also
 * one that failed half-way */
static int
reset_alloc(void **state)
{
	(void)state;
	mxspf__alloc_fail_after((size_t)-1);
	return 0;
}

/* addr - parse text that must be an address */
static struct mxspf_addr
addr(const char *text)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(text, &a), 0);
	return a;
}

/* fake_resolve - an mxspf_trust_resolve_fn over struct fake */
static void
fake_resolve(void *arg, struct mxspf_trust *t, const struct mxspf_query *q)
{
	struct fake *f = arg;
	struct mxspf_answer ans;

	if (f->nseen < MAX_SEEN)
		snprintf(f->seen[f->nseen++], sizeof(f->seen[0]), "%s %s",
		    mxspf_rrtype_name(q->type), q->name);
	if (f->silent)
		return;
	if (f->name != NULL && q->type == f->type &&
	    strcmp(q->name, f->name) == 0) {
		assert_int_equal(mxspf_trust_answer(t, q->id, f->ans), 0);
		return;
	}
	mxspf_zone_lookup(f->zone, q->name, q->type, &ans);
	if (f->lenient)
		(void)mxspf_trust_answer(t, q->id, &ans);
	else
		assert_int_equal(mxspf_trust_answer(t, q->id, &ans), 0);
}

/* trust_cfg - run a trust lookup with cfg; the caller frees it */
static struct mxspf_trust *
trust_cfg(struct fake *f, const struct mxspf_trust_config *cfg,
    const char *domain, const char *client, const char *server)
{
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	struct mxspf_addr srv;

	memset(&req, 0, sizeof(req));
	req.domain = domain;
	req.client = addr(client);
	if (server != NULL) {
		srv = addr(server);
		req.server_addr = &srv;
	}
	assert_int_equal(mxspf_trust_new(&t, cfg, &req), 0);
	assert_non_null(t);
	assert_int_equal(mxspf_trust_run(t, fake_resolve, f), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	return t;
}

/* trust_mode - run a trust lookup in mode with no own names/addrs */
static struct mxspf_trust *
trust_mode(void **state, enum mxspf_trust_mode mode, const char *domain,
    const char *client, const char *server)
{
	struct mxspf_trust_config cfg;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	return trust_cfg(&f, &cfg, domain, client, server);
}

/* trust - run a trust lookup in preference mode */
static struct mxspf_trust *
trust(void **state, const char *domain, const char *client,
    const char *server)
{
	return trust_mode(state, MXSPF_TRUST_PREFERENCE, domain, client,
	    server);
}

/* expect_host - host h is (name, pref, naddrs, is_client, is_self) */
static void
expect_host(const struct mxspf_trust_host *h, const char *name,
    unsigned pref, size_t naddrs, bool is_client, bool is_self)
{
	assert_non_null(h);
	assert_string_equal(h->name, name);
	assert_int_equal(h->pref, pref);
	assert_int_equal(h->naddrs, naddrs);
	assert_int_equal(h->is_client, is_client);
	assert_int_equal(h->is_self, is_self);
}

/* expect_verdict - outcome, why and query count of a finished lookup */
static const struct mxspf_trust_verdict *
expect_verdict(const struct mxspf_trust *t, enum mxspf_trust_outcome o,
    const char *why, size_t queries)
{
	const struct mxspf_trust_verdict *v = mxspf_trust_verdict(t);

	assert_non_null(v);
	assert_int_equal(v->outcome, o);
	assert_string_equal(v->why, why);
	assert_int_equal(v->queries, queries);
	return v;
}

/* the why texts of the receiver.test topology */
#define WHY_B2_OVER_B1 "client is MX host mx.backup2.test (preference 30) " \
	"of receiver.test, not more preferred than this server " \
	"(mx.backup1.test, preference 20)"
#define WHY_PRIMARY_OVER_B1 "client is MX host mail.receiver.test " \
	"(preference 10) of receiver.test, more preferred than this server " \
	"(mx.backup1.test, preference 20)"

/* ---- trust: the preference rules ---------------------------------------- */

/* test_trust_backup_to_backup - backup2 (30) relays to backup1 (20), a
 * more preferred backup: trusted */
static void
test_trust_backup_to_backup(void **state)
{
	struct mxspf_trust *t = trust(state, "receiver.test", "192.0.2.30",
	    "192.0.2.20");
	const struct mxspf_trust_verdict *v;

	v = expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	assert_false(v->implicit_mx);
	assert_int_equal(v->nhosts, 3);
	/* By preference, although the zone lists them 30, 10, 20. */
	expect_host(&v->hosts[0], "mail.receiver.test", 10, 1, false, false);
	expect_host(&v->hosts[1], "mx.backup1.test", 20, 2, false, true);
	expect_host(&v->hosts[2], "mx.backup2.test", 30, 1, true, false);
	assert_ptr_equal(v->client_host, &v->hosts[2]);
	assert_ptr_equal(v->self_host, &v->hosts[1]);
	assert_int_equal(v->hosts[1].a_status, MXSPF_DNS_OK);
	assert_int_equal(v->hosts[1].aaaa_status, MXSPF_DNS_OK);
	assert_int_equal(v->hosts[2].aaaa_status, MXSPF_DNS_NODATA);
	assert_int_equal(v->hosts[1].addrs[0].family, 4);
	assert_int_equal(v->hosts[1].addrs[1].family, 6);
	mxspf_trust_free(t);
}

/* test_trust_backup_to_primary - a backup (IPv4 or IPv6) relays to the
 * primary: trusted */
static void
test_trust_backup_to_primary(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "receiver.test", "192.0.2.20", "192.0.2.10");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx.backup1.test (preference 20) of receiver.test, not more "
	    "preferred than this server (mail.receiver.test, preference 10)",
	    7);
	assert_string_equal(v->client_host->name, "mx.backup1.test");
	assert_string_equal(v->self_host->name, "mail.receiver.test");
	mxspf_trust_free(t);

	t = trust(state, "receiver.test", "2001:db8::20", "192.0.2.10");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx.backup1.test (preference 20) of receiver.test, not more "
	    "preferred than this server (mail.receiver.test, preference 10)",
	    7);
	mxspf_trust_free(t);

	t = trust(state, "receiver.test", "192.0.2.30", "192.0.2.10");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx.backup2.test (preference 30) of receiver.test, not more "
	    "preferred than this server (mail.receiver.test, preference 10)",
	    7);
	mxspf_trust_free(t);
}

/* test_trust_primary_as_client - the primary's own address relaying to a
 * backup (or backup1 to backup2) is more preferred: not trusted */
static void
test_trust_primary_as_client(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "receiver.test", "192.0.2.10", "192.0.2.20");
	v = expect_verdict(t, MXSPF_TRUST_NO, WHY_PRIMARY_OVER_B1, 7);
	assert_string_equal(v->client_host->name, "mail.receiver.test");
	assert_string_equal(v->self_host->name, "mx.backup1.test");
	mxspf_trust_free(t);

	/* The server address given as IPv6 finds the same entry. */
	t = trust(state, "receiver.test", "192.0.2.10", "2001:db8::20");
	expect_verdict(t, MXSPF_TRUST_NO, WHY_PRIMARY_OVER_B1, 7);
	mxspf_trust_free(t);

	t = trust(state, "receiver.test", "2001:db8::20", "192.0.2.30");
	expect_verdict(t, MXSPF_TRUST_NO, "client is MX host mx.backup1.test "
	    "(preference 20) of receiver.test, more preferred than this "
	    "server (mx.backup2.test, preference 30)", 7);
	mxspf_trust_free(t);
}

/* test_trust_equal_pref - an MX host of the same preference: trusted */
static void
test_trust_equal_pref(void **state)
{
	struct mxspf_trust *t = trust(state, "equal.test", "192.0.2.42",
	    "192.0.2.41");
	const struct mxspf_trust_verdict *v;

	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx2.equal.test (preference 10) of equal.test, not more preferred "
	    "than this server (mx1.equal.test, preference 10)", 5);
	assert_int_equal(v->nhosts, 2);
	mxspf_trust_free(t);

	/* The client being this very host (a loop) is equal too. */
	t = trust(state, "equal.test", "192.0.2.41", "192.0.2.41");
	expect_verdict(t, MXSPF_TRUST_YES, "client is MX host mx1.equal.test "
	    "(preference 10) of equal.test, not more preferred than this "
	    "server (mx1.equal.test, preference 10)", 5);
	mxspf_trust_free(t);
}

/* test_trust_v6only - an MX host with only an AAAA record; IPv6 client */
static void
test_trust_v6only(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "v6only.test", "2001:db8::6:20", "192.0.2.50");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx6.v6only.test (preference 20) of v6only.test, not more "
	    "preferred than this server (mail.v6only.test, preference 10)", 5);
	expect_host(&v->hosts[1], "mx6.v6only.test", 20, 1, true, false);
	assert_int_equal(v->hosts[1].a_status, MXSPF_DNS_NODATA);
	assert_int_equal(v->hosts[1].aaaa_status, MXSPF_DNS_OK);
	assert_int_equal(v->hosts[1].addrs[0].family, 6);
	mxspf_trust_free(t);

	/* Another address of the same /64 is not that host. */
	t = trust(state, "v6only.test", "2001:db8::6:21", "192.0.2.50");
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "v6only.test", 5);
	mxspf_trust_free(t);

	/* This server is the IPv6-only backup: the primary is not trusted. */
	t = trust(state, "v6only.test", "192.0.2.50", "2001:db8::6:20");
	expect_verdict(t, MXSPF_TRUST_NO, "client is MX host mail.v6only.test "
	    "(preference 10) of v6only.test, more preferred than this server "
	    "(mx6.v6only.test, preference 20)", 5);
	mxspf_trust_free(t);
}

/* test_trust_mapped_client - an IPv4-mapped client is its IPv4 address */
static void
test_trust_mapped_client(void **state)
{
	struct mxspf_trust *t = trust(state, "receiver.test",
	    "::ffff:192.0.2.30", "::ffff:192.0.2.20");

	expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	mxspf_trust_free(t);
}

/* test_trust_not_mx - a client that is no MX host of D: not trusted */
static void
test_trust_not_mx(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "receiver.test", "198.51.100.25", "192.0.2.20");
	v = expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "receiver.test", 7);
	assert_null(v->client_host);
	assert_string_equal(v->self_host->name, "mx.backup1.test");
	mxspf_trust_free(t);

	/* An MX host of another domain is no MX host of this one. */
	t = trust(state, "equal.test", "192.0.2.30", "192.0.2.41");
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "equal.test", 5);
	mxspf_trust_free(t);
}

/* test_trust_server_not_mx - this server is no MX of D (an internal hop):
 * any MX host of D is trusted, the primary too */
static void
test_trust_server_not_mx(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "receiver.test", "192.0.2.10", "198.51.100.200");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mail.receiver.test (preference 10) of receiver.test; this server "
	    "is not an MX of it", 7);
	assert_null(v->self_host);
	assert_string_equal(v->client_host->name, "mail.receiver.test");
	mxspf_trust_free(t);

	/* No server address and no own names or addresses: the same. */
	t = trust(state, "receiver.test", "192.0.2.10", NULL);
	expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mail.receiver.test (preference 10) of receiver.test; this server "
	    "is not an MX of it", 7);
	mxspf_trust_free(t);

	t = trust(state, "receiver.test", "198.51.100.1", NULL);
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "receiver.test", 7);
	mxspf_trust_free(t);
}

/* test_trust_mode_any - any MX host, whatever its preference */
static void
test_trust_mode_any(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust_mode(state, MXSPF_TRUST_ANY, "receiver.test", "192.0.2.10",
	    "192.0.2.30");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mail.receiver.test (preference 10) of receiver.test", 7);
	assert_string_equal(v->self_host->name, "mx.backup2.test");
	mxspf_trust_free(t);

	t = trust_mode(state, MXSPF_TRUST_ANY, "receiver.test",
	    "198.51.100.1", "192.0.2.30");
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "receiver.test", 7);
	mxspf_trust_free(t);
}

/* test_trust_mode_off - no MX host is trusted and nothing is asked */
static void
test_trust_mode_off(void **state)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MXSPF_TRUST_OFF;
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	assert_null(mxspf_trust_next_query(t));
	v = expect_verdict(t, MXSPF_TRUST_NO, "MX trust is off", 0);
	assert_int_equal(v->nhosts, 0);
	assert_null(v->client_host);
	mxspf_trust_free(t);

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", "192.0.2.20");
	expect_verdict(t, MXSPF_TRUST_NO, "MX trust is off", 0);
	assert_int_equal(f.nseen, 0);
	mxspf_trust_free(t);
}

/* test_trust_mode_names - names and parsing of the modes */
static void
test_trust_mode_names(void **state)
{
	enum mxspf_trust_mode m = MXSPF_TRUST_OFF;

	(void)state;
	assert_string_equal(mxspf_trust_mode_name(MXSPF_TRUST_PREFERENCE),
	    "preference");
	assert_string_equal(mxspf_trust_mode_name(MXSPF_TRUST_ANY), "any");
	assert_string_equal(mxspf_trust_mode_name(MXSPF_TRUST_OFF), "off");
	assert_string_equal(mxspf_trust_mode_name((enum mxspf_trust_mode)9),
	    "unknown");
	assert_int_equal(mxspf_trust_mode_parse("Preference", &m), 0);
	assert_int_equal(m, MXSPF_TRUST_PREFERENCE);
	assert_int_equal(mxspf_trust_mode_parse("ANY", &m), 0);
	assert_int_equal(m, MXSPF_TRUST_ANY);
	assert_int_equal(mxspf_trust_mode_parse("off", &m), 0);
	assert_int_equal(m, MXSPF_TRUST_OFF);
	m = MXSPF_TRUST_ANY;
	assert_int_equal(mxspf_trust_mode_parse("of", &m), MXSPF_EINVAL);
	assert_int_equal(mxspf_trust_mode_parse("offf", &m), MXSPF_EINVAL);
	assert_int_equal(mxspf_trust_mode_parse("", &m), MXSPF_EINVAL);
	assert_int_equal(mxspf_trust_mode_parse(NULL, &m), MXSPF_EINVAL);
	assert_int_equal(m, MXSPF_TRUST_ANY);
}

/* ---- trust: this server's own entry ------------------------------------- */

/* test_trust_own_server_addr - the server_address attribute alone */
static void
test_trust_own_server_addr(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	/* The primary's address as server: backup2 is trusted. */
	t = trust(state, "receiver.test", "192.0.2.30", "192.0.2.10");
	v = mxspf_trust_verdict(t);
	assert_int_equal(v->outcome, MXSPF_TRUST_YES);
	assert_true(v->hosts[0].is_self);
	assert_false(v->hosts[1].is_self);
	mxspf_trust_free(t);
}

/* test_trust_own_names - configured host names (case-insensitive); with
 * several own entries the most preferred one counts */
static void
test_trust_own_names(void **state)
{
	static const char *const one[] = { "MX.Backup1.TEST" };
	static const char *const two[] = { "mx.backup2.test",
	    "mx.backup1.test", "unrelated.test" };
	struct mxspf_trust_config cfg;
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.own_names = one;
	cfg.n_own_names = 1;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.10", NULL);
	v = expect_verdict(t, MXSPF_TRUST_NO, WHY_PRIMARY_OVER_B1, 7);
	assert_true(v->hosts[1].is_self);
	mxspf_trust_free(t);
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", NULL);
	expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	mxspf_trust_free(t);

	cfg.own_names = two;
	cfg.n_own_names = 3;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", NULL);
	v = expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	assert_true(v->hosts[1].is_self);
	assert_true(v->hosts[2].is_self);
	assert_string_equal(v->self_host->name, "mx.backup1.test");
	mxspf_trust_free(t);
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.10", NULL);
	expect_verdict(t, MXSPF_TRUST_NO, WHY_PRIMARY_OVER_B1, 7);
	mxspf_trust_free(t);
}

/* test_trust_own_addrs - configured addresses (an IPv6 one), also when
 * the server address is no MX */
static void
test_trust_own_addrs(void **state)
{
	struct mxspf_addr own[2];
	struct mxspf_trust_config cfg;
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	own[0] = addr("203.0.113.1");
	own[1] = addr("2001:db8::20");
	memset(&cfg, 0, sizeof(cfg));
	cfg.own_addrs = own;
	cfg.n_own_addrs = 2;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.10",
	    "198.51.100.200");
	v = expect_verdict(t, MXSPF_TRUST_NO, WHY_PRIMARY_OVER_B1, 7);
	assert_ptr_equal(v->self_host, &v->hosts[1]);
	mxspf_trust_free(t);
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", NULL);
	expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	mxspf_trust_free(t);
}

/* ---- trust: MX lists ---------------------------------------------------- */

/* test_trust_implicit_mx - no MX records: the domain itself, preference
 * 0, A and AAAA (RFC 5321 s5.1) */
static void
test_trust_implicit_mx(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "implicit.test", "2001:db8::60", NULL);
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "implicit.test (preference 0) of implicit.test; this server is "
	    "not an MX of it", 3);
	assert_true(v->implicit_mx);
	assert_int_equal(v->nhosts, 1);
	expect_host(&v->hosts[0], "implicit.test", 0, 2, true, false);
	mxspf_trust_free(t);

	t = trust(state, "implicit.test", "198.51.100.1", "192.0.2.60");
	v = expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "implicit.test", 3);
	assert_true(v->implicit_mx);
	expect_host(&v->hosts[0], "implicit.test", 0, 2, false, true);
	mxspf_trust_free(t);
}

/* test_trust_null_mx - MX 0 "." (RFC 7505): trusts nobody, and the
 * domain's A is not used as an implicit MX */
static void
test_trust_null_mx(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct fake f;
	struct mxspf_trust_config cfg;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	memset(&cfg, 0, sizeof(cfg));
	t = trust_cfg(&f, &cfg, "nullmx.test", "192.0.2.61", NULL);
	v = expect_verdict(t, MXSPF_TRUST_NO, "nullmx.test has a null MX "
	    "(accepts no mail)", 1);
	assert_false(v->implicit_mx);
	assert_int_equal(v->nhosts, 0);
	assert_null(v->client_host);
	assert_int_equal(f.nseen, 1);
	assert_string_equal(f.seen[0], "MX nullmx.test");
	mxspf_trust_free(t);

	cfg.mode = MXSPF_TRUST_ANY;
	t = trust_cfg(&f, &cfg, "nullmx.test", "192.0.2.61", NULL);
	expect_verdict(t, MXSPF_TRUST_NO, "nullmx.test has a null MX "
	    "(accepts no mail)", 1);
	mxspf_trust_free(t);
}

/* test_trust_many_hosts - 12 MX hosts: only the 10 most preferred are
 * resolved; A and AAAA of each, 21 queries */
static void
test_trust_many_hosts(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct mxspf_trust_config cfg;
	struct fake f;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	memset(&cfg, 0, sizeof(cfg));
	/* This server is not among the 10 looked at, but the list was
	 * cut: its entry may be beyond them, so the client is not trusted
	 * (the SPF verdict applies). */
	t = trust_cfg(&f, &cfg, "many.test", "192.0.2.110", NULL);
	v = expect_verdict(t, MXSPF_TRUST_NO, "client is MX host "
	    "h10.many.test of many.test, but this server's entry may be "
	    "beyond the 10 most preferred hosts", 21);
	assert_int_equal(v->nhosts, 10);
	for (i = 0; i < 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%02zu.many.test", i + 1);
		expect_host(&v->hosts[i], name, (unsigned)i + 1, 1, i == 9,
		    false);
	}
	assert_int_equal(f.nseen, 21);
	for (i = 0; i < f.nseen; i++)
		if (strstr(f.seen[i], "h11") != NULL ||
		    strstr(f.seen[i], "h12") != NULL)
			fail_msg("asked %s", f.seen[i]);
	mxspf_trust_free(t);

	/* The 11th host is not looked at: its address is not an MX host. */
	t = trust_cfg(&f, &cfg, "many.test", "192.0.2.111", NULL);
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "many.test", 21);
	mxspf_trust_free(t);

	/* A max_hosts above 10 is 10. */
	cfg.max_hosts = 50;
	t = trust_cfg(&f, &cfg, "many.test", "192.0.2.111", NULL);
	v = expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "many.test", 21);
	assert_int_equal(v->nhosts, 10);
	mxspf_trust_free(t);
}

/* test_trust_max_hosts - a smaller max_hosts is honoured */
static void
test_trust_max_hosts(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct mxspf_trust_config cfg;
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_hosts = 3;
	t = trust_cfg(&f, &cfg, "many.test", "192.0.2.103", NULL);
	v = expect_verdict(t, MXSPF_TRUST_NO, "client is MX host "
	    "h03.many.test of many.test, but this server's entry may be "
	    "beyond the 3 most preferred hosts", 7);
	assert_int_equal(v->nhosts, 3);
	mxspf_trust_free(t);
	t = trust_cfg(&f, &cfg, "many.test", "192.0.2.104", NULL);
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "many.test", 7);
	mxspf_trust_free(t);
}

/* ---- trust: DNS failures ------------------------------------------------ */

/* test_trust_dnsfail_still_yes - mx1's A times out, but the client is an
 * MX host not more preferred than ours: the failure cannot change that */
static void
test_trust_dnsfail_still_yes(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "dnsfail.test", "192.0.2.72", "192.0.2.70");
	v = expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx2.dnsfail.test (preference 30) of dnsfail.test, not more "
	    "preferred than this server (mail.dnsfail.test, preference 10)",
	    7);
	expect_host(&v->hosts[1], "mx1.dnsfail.test", 20, 1, false, false);
	assert_int_equal(v->hosts[1].a_status, MXSPF_DNS_TIMEOUT);
	assert_int_equal(v->hosts[1].aaaa_status, MXSPF_DNS_OK);
	mxspf_trust_free(t);

	/* The client's address is the resolvable AAAA of the failing host. */
	t = trust(state, "dnsfail.test", "2001:db8::71", "192.0.2.70");
	expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx1.dnsfail.test (preference 20) of dnsfail.test, not more "
	    "preferred than this server (mail.dnsfail.test, preference 10)",
	    7);
	mxspf_trust_free(t);

	/* Mode any: any match is enough. */
	t = trust_mode(state, MXSPF_TRUST_ANY, "dnsfail.test", "192.0.2.70",
	    "192.0.2.72");
	expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mail.dnsfail.test (preference 10) of dnsfail.test", 7);
	mxspf_trust_free(t);
}

/* test_trust_dnsfail_dnserr - where the failing host could be the client
 * or this server, the answer is DNSERR, never a plain no */
static void
test_trust_dnsfail_dnserr(void **state)
{
	struct mxspf_trust *t;

	/* The client matched nothing: it may be mx1. */
	t = trust(state, "dnsfail.test", "198.51.100.1", "192.0.2.70");
	expect_verdict(t, MXSPF_TRUST_DNSERR, "could not resolve every MX "
	    "host of dnsfail.test", 7);
	mxspf_trust_free(t);

	/* The client is the primary (10) and our own entry was not found:
	 * if mx1 (20) is this server the client is more preferred (no),
	 * else this server is no MX at all (yes).  Cannot tell. */
	t = trust(state, "dnsfail.test", "192.0.2.70", "198.51.100.200");
	expect_verdict(t, MXSPF_TRUST_DNSERR, "could not resolve every MX "
	    "host of dnsfail.test to find this server's entry", 7);
	mxspf_trust_free(t);

	/* The client (mx1's AAAA, 20) is more preferred than this server
	 * (mx2, 30), but mx1's A might also be this server: cannot tell. */
	t = trust(state, "dnsfail.test", "2001:db8::71", "192.0.2.72");
	expect_verdict(t, MXSPF_TRUST_DNSERR, "could not resolve every MX "
	    "host of dnsfail.test", 7);
	mxspf_trust_free(t);
}

/* test_trust_dnsfail_cannot_change - the client (mail, 10) is more
 * preferred than this server (mx2, 30); the failing host mx1 (20) lies
 * between them, so whatever its address is (the client again, or this
 * server again) the answer stays "no".  RFC/issue-correct: NO.
 * Regression test (fixed since): a library imprecision in lib/policy.c judge(): any failed host
 * gives MXSPF_TRUST_DNSERR once the client is more preferred than this
 * server, even when the failure cannot change the answer (got DNSERR
 * "could not resolve every MX host of dnsfail.test"). */
static void
test_trust_dnsfail_cannot_change(void **state)
{
	struct mxspf_trust *t;

	t = trust(state, "dnsfail.test", "192.0.2.70", "192.0.2.72");
	expect_verdict(t, MXSPF_TRUST_NO, "client is MX host mail.dnsfail.test "
	    "(preference 10) of dnsfail.test, more preferred than this server "
	    "(mx2.dnsfail.test, preference 30)", 7);
	mxspf_trust_free(t);
}

/* test_trust_mx_timeout - the MX lookup times out: DNSERR, one query */
static void
test_trust_mx_timeout(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "mxtimeout.test", "192.0.2.30", NULL);
	v = expect_verdict(t, MXSPF_TRUST_DNSERR, "MX lookup for "
	    "mxtimeout.test: TIMEOUT", 1);
	assert_int_equal(v->nhosts, 0);
	mxspf_trust_free(t);
}

/* test_trust_mx_servfail - SERVFAIL and an unknown status of the MX
 * lookup: DNSERR */
static void
test_trust_mx_servfail(void **state)
{
	struct mxspf_answer ans;
	struct mxspf_trust_config cfg;
	struct mxspf_trust *t;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.name = "receiver.test";
	f.type = MXSPF_RR_MX;
	f.ans = &ans;
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_SERVFAIL;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", "192.0.2.20");
	expect_verdict(t, MXSPF_TRUST_DNSERR, "MX lookup for receiver.test: "
	    "SERVFAIL", 1);
	mxspf_trust_free(t);

	ans.status = (enum mxspf_dns_status)99;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", "192.0.2.20");
	expect_verdict(t, MXSPF_TRUST_DNSERR, "MX lookup for receiver.test: "
	    "UNKNOWN", 1);
	mxspf_trust_free(t);
}

/* test_trust_nxdomain - D does not exist: a plain no */
static void
test_trust_nxdomain(void **state)
{
	struct mxspf_trust *t;

	t = trust(state, "nonexistent.test", "192.0.2.30", "192.0.2.20");
	expect_verdict(t, MXSPF_TRUST_NO, "nonexistent.test does not exist",
	    1);
	mxspf_trust_free(t);
}

/* test_trust_host_nxdomain - an MX host that does not exist is no DNS
 * failure: the answer is a plain no */
static void
test_trust_host_nxdomain(void **state)
{
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;

	t = trust(state, "nxhost.test", "198.51.100.1", NULL);
	v = expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "nxhost.test", 5);
	expect_host(&v->hosts[0], "gone.nxhost.test", 10, 0, false, false);
	assert_int_equal(v->hosts[0].a_status, MXSPF_DNS_NXDOMAIN);
	assert_int_equal(v->hosts[0].aaaa_status, MXSPF_DNS_NXDOMAIN);
	mxspf_trust_free(t);
}

/* run_mx_answer - a trust lookup of receiver.test whose MX answer is
 * count records rd[i] (rl[i] bytes); returns it finished */
static struct mxspf_trust *
run_mx_answer(void **state, const uint8_t *const *rd, const size_t *rl,
    size_t count)
{
	struct mxspf_answer ans;
	struct mxspf_trust_config cfg;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.name = "receiver.test";
	f.type = MXSPF_RR_MX;
	f.ans = &ans;
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_OK;
	ans.count = count;
	ans.rdata = rd;
	ans.rdlen = rl;
	return trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30",
	    "192.0.2.20");
}

/* test_trust_malformed_mx - a bad MX answer is a DNS failure of the
 * trust lookup: mxspf_trust_answer() returns 0 (the answer was taken)
 * and the verdict is MXSPF_TRUST_DNSERR "malformed MX answer for D".
 * Regression test (fixed since): a library bug in lib/policy.c take_mx()/answer_mx(): take_mx()
 * returns -1 for "malformed", which is MXSPF_ENOMEM (-1), so answer_mx()
 * takes every malformed MX answer for an allocation failure:
 * mxspf_trust_answer() returns MXSPF_ENOMEM and every later
 * mxspf_trust_step() returns MXSPF_ENOMEM (the recipient fails with
 * "out of memory" instead of deferring with 451 4.4.3).  Inputs: MX
 * rdata { 0, 10 } (too short), { 0, 10, 0xc0, 0x0c } (compression
 * pointer), a name followed by junk, a second record cut short, a NULL
 * rdata pointer, count 2 with NULL arrays. */
static void
test_trust_malformed_mx(void **state)
{
	static const uint8_t shortrr[] = { 0, 10 };
	static const uint8_t pointer[] = { 0, 10, 0xc0, 0x0c };
	static const uint8_t junk[] = { 0, 10, 2, 'm', 'x', 0, 'x' };
	static const uint8_t cut[] = { 0, 10, 9, 'm', 'x' };
	static const uint8_t good[] = { 0, 30, 2, 'm', 'x', 7, 'b', 'a', 'c',
	    'k', 'u', 'p', '2', 4, 't', 'e', 's', 't', 0 };
	const uint8_t *rd[2];
	size_t rl[2];
	struct mxspf_trust *t;
	struct mxspf_answer ans;
	struct mxspf_trust_config cfg;
	struct fake f;
	const char *why = "malformed MX answer for receiver.test";

	rd[0] = shortrr;
	rl[0] = sizeof(shortrr);
	t = run_mx_answer(state, rd, rl, 1);
	expect_verdict(t, MXSPF_TRUST_DNSERR, why, 1);
	mxspf_trust_free(t);

	rd[0] = pointer;
	rl[0] = sizeof(pointer);
	t = run_mx_answer(state, rd, rl, 1);
	expect_verdict(t, MXSPF_TRUST_DNSERR, why, 1);
	mxspf_trust_free(t);

	rd[0] = junk;
	rl[0] = sizeof(junk);
	t = run_mx_answer(state, rd, rl, 1);
	expect_verdict(t, MXSPF_TRUST_DNSERR, why, 1);
	mxspf_trust_free(t);

	/* One good record and one cut short: the whole answer is bad. */
	rd[0] = good;
	rl[0] = sizeof(good);
	rd[1] = cut;
	rl[1] = sizeof(cut);
	t = run_mx_answer(state, rd, rl, 2);
	expect_verdict(t, MXSPF_TRUST_DNSERR, why, 1);
	mxspf_trust_free(t);

	rd[1] = NULL;
	rl[1] = 0;
	t = run_mx_answer(state, rd, rl, 2);
	expect_verdict(t, MXSPF_TRUST_DNSERR, why, 1);
	mxspf_trust_free(t);

	/* A count with no arrays. */
	memset(&cfg, 0, sizeof(cfg));
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.name = "receiver.test";
	f.type = MXSPF_RR_MX;
	f.ans = &ans;
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_OK;
	ans.count = 2;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", NULL);
	expect_verdict(t, MXSPF_TRUST_DNSERR, why, 1);
	mxspf_trust_free(t);
}

/* test_trust_mx_answer_edges - a hand-made MX answer with one good
 * record; an OK answer with no records is the implicit MX, as NODATA */
static void
test_trust_mx_answer_edges(void **state)
{
	static const uint8_t good[] = { 0, 30, 2, 'm', 'x', 7, 'b', 'a', 'c',
	    'k', 'u', 'p', '2', 4, 't', 'e', 's', 't', 0 };
	const uint8_t *rd[1] = { good };
	size_t rl[1] = { sizeof(good) };
	struct mxspf_trust *t;
	struct mxspf_answer ans;
	struct mxspf_trust_config cfg;
	struct fake f;

	t = run_mx_answer(state, rd, rl, 1);
	expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
	    "mx.backup2.test (preference 30) of receiver.test; this server "
	    "is not an MX of it", 3);
	mxspf_trust_free(t);

	memset(&cfg, 0, sizeof(cfg));
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.name = "receiver.test";
	f.type = MXSPF_RR_MX;
	f.ans = &ans;
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_OK;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", NULL);
	assert_true(mxspf_trust_verdict(t)->implicit_mx);
	expect_verdict(t, MXSPF_TRUST_NO, "client is not an MX host of "
	    "receiver.test", 3);
	mxspf_trust_free(t);
}

/* test_trust_malformed_addr - a bad A or AAAA record counts as a failed
 * lookup of that host: mxspf_trust_answer() returns 0 and the host's
 * status is SERVFAIL, so the verdict is DNSERR where it matters.
 * Regression test (fixed since): a library bug in lib/policy.c take_addrs()/mxspf_trust_answer():
 * take_addrs() returns -1 for a malformed record, which is MXSPF_ENOMEM,
 * so mxspf_trust_answer() returns MXSPF_ENOMEM and the lookup fails with
 * "out of memory" (inputs: a 5-byte A record, a 4-byte AAAA record); the
 * "rc != 0 -> SERVFAIL" branch after it is dead code. */
static void
test_trust_malformed_addr(void **state)
{
	static const uint8_t five[] = { 192, 0, 2, 30, 0 };
	static const uint8_t four[] = { 192, 0, 2, 30 };
	const uint8_t *rd[1];
	size_t rl[1];
	struct mxspf_answer ans;
	struct mxspf_trust_config cfg;
	struct mxspf_trust *t;
	const struct mxspf_trust_verdict *v;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.name = "mx.backup2.test";
	f.type = MXSPF_RR_A;
	f.ans = &ans;
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_OK;
	ans.count = 1;
	ans.rdata = rd;
	ans.rdlen = rl;
	rd[0] = five;
	rl[0] = sizeof(five);
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", "192.0.2.20");
	v = expect_verdict(t, MXSPF_TRUST_DNSERR, "could not resolve every "
	    "MX host of receiver.test", 7);
	assert_int_equal(v->hosts[2].a_status, MXSPF_DNS_SERVFAIL);
	assert_int_equal(v->hosts[2].naddrs, 0);
	mxspf_trust_free(t);

	/* Four bytes in an AAAA answer. */
	f.name = "mx.backup1.test";
	f.type = MXSPF_RR_AAAA;
	rd[0] = four;
	rl[0] = sizeof(four);
	t = trust_cfg(&f, &cfg, "receiver.test", "198.51.100.1", NULL);
	v = expect_verdict(t, MXSPF_TRUST_DNSERR, "could not resolve every "
	    "MX host of receiver.test", 7);
	assert_int_equal(v->hosts[1].aaaa_status, MXSPF_DNS_SERVFAIL);
	mxspf_trust_free(t);
}

/* test_trust_any_order - drive the lookup by hand and answer the host
 * queries in reverse order: same verdict */
static void
test_trust_any_order(void **state)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	const struct mxspf_query *q, *qs[16];
	const struct mxspf_trust_verdict *v;
	struct mxspf_addr srv = addr("192.0.2.20");
	struct mxspf_answer ans;
	size_t n = 0, i;

	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");
	req.server_addr = &srv;
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	q = mxspf_trust_next_query(t);
	assert_non_null(q);
	assert_int_equal(q->type, MXSPF_RR_MX);
	assert_string_equal(q->name, "receiver.test");
	assert_null(mxspf_trust_next_query(t));
	/* Unanswered: still waiting, nothing new. */
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	assert_null(mxspf_trust_next_query(t));
	mxspf_zone_lookup(*state, q->name, q->type, &ans);
	assert_int_equal(mxspf_trust_answer(t, q->id, &ans), 0);

	/* All six address queries are handed out at once. */
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	while ((q = mxspf_trust_next_query(t)) != NULL) {
		assert_true(n < 16);
		qs[n++] = q;
	}
	assert_int_equal(n, 6);
	for (i = n; i-- > 0;) {
		if (i == 2)	/* half-way: not done yet */
			assert_int_equal(mxspf_trust_step(t),
			    MXSPF_STEP_QUERY);
		mxspf_zone_lookup(*state, qs[i]->name, qs[i]->type, &ans);
		assert_int_equal(mxspf_trust_answer(t, qs[i]->id, &ans), 0);
	}
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	v = expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	expect_host(&v->hosts[1], "mx.backup1.test", 20, 2, false, true);
	/* Stepping again changes nothing. */
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_trust_verdict(t)->outcome, MXSPF_TRUST_YES);
	mxspf_trust_free(t);
}

/* test_trust_bad_ids - unknown, zero and repeated ids are ENOENT */
static void
test_trust_bad_ids(void **state)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	const struct mxspf_query *q;
	struct mxspf_answer ans;

	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	q = mxspf_trust_next_query(t);
	mxspf_zone_lookup(*state, q->name, q->type, &ans);
	assert_int_equal(mxspf_trust_answer(t, 0, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_trust_answer(t, q->id + 1, &ans),
	    MXSPF_ENOENT);
	assert_int_equal(mxspf_trust_answer(t, 0xffffffffu, &ans),
	    MXSPF_ENOENT);
	assert_int_equal(mxspf_trust_answer(t, q->id, NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_trust_answer(t, q->id, &ans), 0);
	assert_int_equal(mxspf_trust_answer(t, q->id, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_trust_verdict(t)->queries, 1);
	mxspf_trust_free(t);
}

/* test_trust_abort - abort ends the lookup with DNSERR; late answers are
 * ignored; abort after the end changes nothing */
static void
test_trust_abort(void **state)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	const struct mxspf_query *q;
	struct mxspf_answer ans;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");

	/* While the MX query is out. */
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	q = mxspf_trust_next_query(t);
	mxspf_trust_abort(t);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	expect_verdict(t, MXSPF_TRUST_DNSERR, "no answer within the deadline "
	    "for the MX hosts of receiver.test", 1);
	mxspf_zone_lookup(*state, q->name, q->type, &ans);
	assert_int_equal(mxspf_trust_answer(t, q->id, &ans), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	assert_null(mxspf_trust_next_query(t));
	expect_verdict(t, MXSPF_TRUST_DNSERR, "no answer within the deadline "
	    "for the MX hosts of receiver.test", 1);
	mxspf_trust_free(t);

	/* While the address queries are out (the client would match). */
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	q = mxspf_trust_next_query(t);
	mxspf_zone_lookup(*state, q->name, q->type, &ans);
	assert_int_equal(mxspf_trust_answer(t, q->id, &ans), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_QUERY);
	q = mxspf_trust_next_query(t);
	mxspf_zone_lookup(*state, q->name, q->type, &ans);
	assert_int_equal(mxspf_trust_answer(t, q->id, &ans), 0);
	mxspf_trust_abort(t);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	expect_verdict(t, MXSPF_TRUST_DNSERR, "no answer within the deadline "
	    "for the MX hosts of receiver.test", 7);
	mxspf_trust_free(t);

	/* After the end: no change. */
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	t = trust_cfg(&f, &cfg, "receiver.test", "192.0.2.30", NULL);
	mxspf_trust_abort(t);
	expect_verdict(t, MXSPF_TRUST_YES, "client is MX host mx.backup2.test "
	    "(preference 30) of receiver.test; this server is not an MX of it",
	    7);
	mxspf_trust_free(t);
}

/* test_trust_run_unanswered - a resolver that answers nothing: the run
 * aborts (DNSERR), it does not hang */
static void
test_trust_run_unanswered(void **state)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	struct fake f;

	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.silent = true;
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_run(t, fake_resolve, &f), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	expect_verdict(t, MXSPF_TRUST_DNSERR, "no answer within the deadline "
	    "for the MX hosts of receiver.test", 1);
	assert_int_equal(f.nseen, 1);
	mxspf_trust_free(t);
}

/* test_trust_new_einval - bad arguments */
static void
test_trust_new_einval(void **state)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t = (struct mxspf_trust *)&cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), MXSPF_EINVAL);
	assert_null(t);
	req.client = addr("192.0.2.30");
	assert_int_equal(mxspf_trust_new(&t, NULL, &req), MXSPF_EINVAL);
	assert_int_equal(mxspf_trust_new(&t, &cfg, NULL), MXSPF_EINVAL);
	req.domain = NULL;
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), MXSPF_EINVAL);
	req.domain = "receiver.test";
	cfg.n_own_addrs = 1;
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), MXSPF_EINVAL);
	cfg.n_own_addrs = 0;
	cfg.n_own_names = 1;
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), MXSPF_EINVAL);
	assert_null(t);
	mxspf_trust_free(NULL);
}

/* test_trust_bad_domain - include/mxspf/policy.h: mxspf_trust_new()
 * returns MXSPF_EINVAL for a bad domain.
 * Regression test (fixed since): a library bug in lib/policy.c mxspf_trust_new(): a domain that
 * fails valid_domain() ("", "a..b", a 64-octet label) returns 0 with a
 * finished lookup (MXSPF_TRUST_NO, "'a..b' is not a valid domain")
 * instead of the documented MXSPF_EINVAL. */
static void
test_trust_bad_domain(void **state)
{
	static const char *const bad[] = { "", ".", "a..b", ".a" };
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	size_t i;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	req.client = addr("192.0.2.30");
	/* Documented: an invalid domain gives a finished NO, no query. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct mxspf_trust_verdict *v;

		req.domain = bad[i];
		assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
		assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
		assert_null(mxspf_trust_next_query(t));
		v = mxspf_trust_verdict(t);
		assert_int_equal(v->outcome, MXSPF_TRUST_NO);
		assert_int_equal(v->queries, 0);
		mxspf_trust_free(t);
	}
	req.domain = NULL;
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), MXSPF_EINVAL);
	assert_null(t);
}

/* test_trust_trailing_dot - "receiver.test." is receiver.test */
static void
test_trust_trailing_dot(void **state)
{
	struct mxspf_trust *t;
	struct mxspf_trust_config cfg;
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	memset(&cfg, 0, sizeof(cfg));
	t = trust_cfg(&f, &cfg, "receiver.test.", "192.0.2.30", "192.0.2.20");
	expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	assert_string_equal(f.seen[0], "MX receiver.test");
	mxspf_trust_free(t);
}

/* ---- the MX-set cache ----------------------------------------------- */

/* trust_cached - a preference-mode lookup through cache at now */
static struct mxspf_trust *
trust_cached(struct fake *f, struct mxspf_trust_cache *cache, int64_t now,
    size_t max_hosts, const char *domain, const char *client,
    const char *server)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	struct mxspf_addr srv;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MXSPF_TRUST_PREFERENCE;
	cfg.max_hosts = max_hosts;
	memset(&req, 0, sizeof(req));
	req.domain = domain;
	req.client = addr(client);
	if (server != NULL) {
		srv = addr(server);
		req.server_addr = &srv;
	}
	req.cache = cache;
	req.now = now;
	assert_int_equal(mxspf_trust_new(&t, &cfg, &req), 0);
	assert_int_equal(mxspf_trust_run(t, fake_resolve, f), 0);
	assert_int_equal(mxspf_trust_step(t), MXSPF_STEP_DONE);
	return t;
}

/* test_trust_cache_reuse - the second lookup of a domain (any case) asks
 * nothing and is judged for its own client and server; the marks of one
 * lookup do not leak into another; a set outlives the cache and the
 * lookup that made it */
static void
test_trust_cache_reuse(void **state)
{
	struct mxspf_trust_cache *c;
	struct mxspf_trust *t1, *t2, *t3;
	const struct mxspf_trust_verdict *v;
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	assert_int_equal(mxspf_trust_cache_new(&c, 0), MXSPF_EINVAL);
	assert_int_equal(mxspf_trust_cache_new(&c, 3), 0);
	t1 = trust_cached(&f, c, 1000, 0, "receiver.test", "192.0.2.30",
	    "192.0.2.20");
	expect_verdict(t1, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
	assert_int_equal(f.nseen, 7);
	t2 = trust_cached(&f, c, 1001, 0, "Receiver.TEST", "192.0.2.99",
	    "192.0.2.20");
	assert_int_equal(f.nseen, 7);		/* no query */
	v = expect_verdict(t2, MXSPF_TRUST_NO, "client is not an MX host of "
	    "Receiver.TEST", 0);
	assert_int_equal(v->nhosts, 3);
	expect_host(&v->hosts[0], "mail.receiver.test", 10, 1, false, false);
	expect_host(&v->hosts[1], "mx.backup1.test", 20, 2, false, true);
	expect_host(&v->hosts[2], "mx.backup2.test", 30, 1, false, false);
	mxspf_trust_free(t1);			/* the set's maker goes */
	t3 = trust_cached(&f, c, 1002, 0, "receiver.test", "192.0.2.20",
	    "192.0.2.10");
	assert_int_equal(f.nseen, 7);
	v = expect_verdict(t3, MXSPF_TRUST_YES, "client is MX host "
	    "mx.backup1.test (preference 20) of receiver.test, not more "
	    "preferred than this server (mail.receiver.test, preference 10)",
	    0);
	expect_host(&v->hosts[0], "mail.receiver.test", 10, 1, false, true);
	expect_host(&v->hosts[1], "mx.backup1.test", 20, 2, true, false);
	/* t2's own view kept its marks. */
	expect_host(&mxspf_trust_verdict(t2)->hosts[1], "mx.backup1.test", 20,
	    2, false, true);
	/* Another domain of the same cache is looked up and kept too. */
	mxspf_trust_free(trust_cached(&f, c, 1003, 0, "other.test",
	    "192.0.2.20", NULL));
	assert_int_equal(f.nseen, 7 + 3);	/* MX, A, AAAA */
	mxspf_trust_free(trust_cached(&f, c, 1003, 0, "other.test",
	    "192.0.2.20", NULL));
	assert_int_equal(f.nseen, 10);
	mxspf_trust_cache_free(c);		/* t2, t3 still use the set */
	assert_string_equal(mxspf_trust_verdict(t3)->hosts[2].name,
	    "mx.backup2.test");
	mxspf_trust_free(t2);
	mxspf_trust_free(t3);
	mxspf_trust_cache_free(NULL);
}

/* test_trust_cache_expiry - a set is used until the smallest TTL of its
 * answers (the zone's 3600 s) has run out, then looked up again; a
 * different max_hosts or no clock does not use it */
static void
test_trust_cache_expiry(void **state)
{
	struct mxspf_trust_cache *c;
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.zone = *state;
	assert_int_equal(mxspf_trust_cache_new(&c, 16), 0);
	mxspf_trust_free(trust_cached(&f, c, 1000, 0, "receiver.test",
	    "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, 7);
	mxspf_trust_free(trust_cached(&f, c, 1000 + 3599, 0,
	    "receiver.test", "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, 7);
	mxspf_trust_free(trust_cached(&f, c, 1000 + 3600, 0,
	    "receiver.test", "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, 7 + 7);	/* expired */
	mxspf_trust_free(trust_cached(&f, c, 1000 + 3601, 0,
	    "receiver.test", "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, 14);		/* the new one is used */
	mxspf_trust_free(trust_cached(&f, c, 1000 + 3601, 2,
	    "receiver.test", "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, 14 + 5);	/* max_hosts 2: MX + 2 * 2 */
	mxspf_trust_free(trust_cached(&f, c, 0, 0, "receiver.test",
	    "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, 19 + 7);	/* no clock: no cache */
	mxspf_trust_cache_free(c);
}

/* test_trust_cache_not_kept - a lookup with a failed answer, or with an
 * answer of TTL 0, or one that ended without judging (NXDOMAIN) leaves
 * nothing in the cache */
static void
test_trust_cache_not_kept(void **state)
{
	struct mxspf_trust_cache *c;
	struct mxspf_answer timeout, zero;
	struct fake f;
	size_t n;

	memset(&timeout, 0, sizeof(timeout));
	timeout.status = MXSPF_DNS_TIMEOUT;
	assert_int_equal(mxspf_trust_cache_new(&c, 16), 0);
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.name = "mx1.dnsfail.test";
	f.type = MXSPF_RR_A;
	f.ans = &timeout;
	mxspf_trust_free(trust_cached(&f, c, 1000, 0, "dnsfail.test",
	    "192.0.2.72", "192.0.2.70"));
	n = f.nseen;
	mxspf_trust_free(trust_cached(&f, c, 1001, 0, "dnsfail.test",
	    "192.0.2.72", "192.0.2.70"));
	assert_int_equal(f.nseen, 2 * n);
	/* TTL 0: an NODATA AAAA answer for mail.receiver.test */
	memset(&zero, 0, sizeof(zero));
	zero.status = MXSPF_DNS_NODATA;
	f.name = "mail.receiver.test";
	f.type = MXSPF_RR_AAAA;
	f.ans = &zero;
	n = f.nseen;
	mxspf_trust_free(trust_cached(&f, c, 1000, 0, "receiver.test",
	    "192.0.2.30", "192.0.2.20"));
	mxspf_trust_free(trust_cached(&f, c, 1001, 0, "receiver.test",
	    "192.0.2.30", "192.0.2.20"));
	assert_int_equal(f.nseen, n + 14);
	f.name = NULL;
	n = f.nseen;
	mxspf_trust_free(trust_cached(&f, c, 1000, 0, "nxdomain.test",
	    "192.0.2.30", NULL));
	mxspf_trust_free(trust_cached(&f, c, 1001, 0, "nxdomain.test",
	    "192.0.2.30", NULL));
	assert_int_equal(f.nseen, n + 2);
	mxspf_trust_cache_free(c);
}

/* run_failing - a lookup with the n-th allocation on failing; its
 * return code (t is set, or NULL) */
static int
run_failing(size_t n, const struct mxspf_trust_config *cfg,
    const struct mxspf_trust_request *req, struct fake *f,
    struct mxspf_trust **t)
{
	int rc;

	mxspf__alloc_fail_after(n);
	rc = mxspf_trust_new(t, cfg, req);
	if (rc == 0)
		rc = mxspf_trust_run(*t, fake_resolve, f);
	mxspf__alloc_fail_after((size_t)-1);
	return rc;
}

/* test_trust_cache_nomem - a failed allocation anywhere, the cache's
 * included, gives MXSPF_ENOMEM or a correct verdict, and the next
 * lookup still works (no half-made set is kept) */
static void
test_trust_cache_nomem(void **state)
{
	struct mxspf_trust_cache *c;
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	struct fake f;
	size_t n;

	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");
	req.now = 1000;
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.lenient = true;
	for (n = 0;; n++) {
		int rc;

		assert_int_equal(mxspf_trust_cache_new(&c, 16), 0);
		req.cache = c;
		rc = run_failing(n, &cfg, &req, &f, &t);
		if (rc == 0)
			expect_verdict(t, MXSPF_TRUST_YES, "client is MX host "
			    "mx.backup2.test (preference 30) of receiver.test; "
			    "this server is not an MX of it", 7);
		else
			assert_int_equal(rc, MXSPF_ENOMEM);
		mxspf_trust_free(t);
		/* Again from the cache, or looked up again: the same. */
		if (run_failing(n, &cfg, &req, &f, &t) == 0)
			assert_int_equal(mxspf_trust_verdict(t)->outcome,
			    MXSPF_TRUST_YES);
		mxspf_trust_free(t);
		mxspf_trust_cache_free(c);
		if (n > 60)
			break;
	}
}

/* test_trust_nomem - fail every allocation in turn: ENOMEM from new or
 * run, never a crash or leak, and in the end the normal verdict */
static void
test_trust_nomem(void **state)
{
	static const char *const names[] = { "mx.backup1.test" };
	struct mxspf_addr own = addr("203.0.113.1");
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	struct fake f;
	size_t n;

	memset(&cfg, 0, sizeof(cfg));
	cfg.own_names = names;
	cfg.n_own_names = 1;
	cfg.own_addrs = &own;
	cfg.n_own_addrs = 1;
	memset(&req, 0, sizeof(req));
	req.domain = "receiver.test";
	req.client = addr("192.0.2.30");
	memset(&f, 0, sizeof(f));
	f.zone = *state;
	f.lenient = true;
	for (n = 0;; n++) {
		int rc = run_failing(n, &cfg, &req, &f, &t);

		if (rc == 0) {
			expect_verdict(t, MXSPF_TRUST_YES, WHY_B2_OVER_B1, 7);
			mxspf_trust_free(t);
			break;
		}
		assert_int_equal(rc, MXSPF_ENOMEM);
		mxspf_trust_free(t);
		assert_true(n < 1000);
	}
	assert_true(n > 5);
}

/* ---- the decision -------------------------------------------------------- */

/* verdict - a hand-made SPF verdict of sender.test */
static struct mxspf_verdict
verdict(enum mxspf_result r)
{
	struct mxspf_verdict v;

	memset(&v, 0, sizeof(v));
	v.result = r;
	v.identity = "user@sender.test";
	v.domain = "sender.test";
	if (r == MXSPF_FAIL)
		v.explanation = "198.51.100.9 is not a mail server of "
		    "sender.test";
	if (r == MXSPF_PERMERROR)
		v.problem = "unknown mechanism 'moo'";
	if (r == MXSPF_TEMPERROR)
		v.problem = "DNS TIMEOUT for temp.test TXT";
	return v;
}

/* policy_for - the default policy with p for the result r */
static struct mxspf_policy
policy_for(enum mxspf_result r, enum mxspf_policy_act p)
{
	struct mxspf_policy pol;

	mxspf_policy_init(&pol);
	switch (r) {
	case MXSPF_FAIL:
		pol.on_fail = p;
		break;
	case MXSPF_SOFTFAIL:
		pol.on_softfail = p;
		break;
	case MXSPF_PERMERROR:
		pol.on_permerror = p;
		break;
	case MXSPF_TEMPERROR:
		pol.on_temperror = p;
		break;
	default:	/* no setting: every policy is the same */
		pol.on_fail = p;
		pol.on_softfail = p;
		pol.on_permerror = p;
		pol.on_temperror = p;
		break;
	}
	return pol;
}

/* expect_decision - d is exactly (act, code, status, text), not test mode */
static void
expect_decision(const struct mxspf_decision *d, enum mxspf_policy_act act,
    int code, const char *status, const char *text)
{
	assert_int_equal(d->act, act);
	assert_int_equal(d->code, code);
	assert_false(d->would_act);
	if (status == NULL)
		assert_null(d->status);
	else
		assert_string_equal(d->status, status);
	if (text == NULL)
		assert_null(d->text);
	else
		assert_string_equal(d->text, text);
}

#define FAIL_TEXT "SPF fail: 198.51.100.9 is not a mail server of sender.test"
#define SOFT_TEXT "SPF softfail: sender.test does not designate the " \
	"client as a permitted sender"
#define PERM_TEXT "SPF permanent error: unknown mechanism 'moo'"
#define TEMP_TEXT "SPF temporary error: DNS TIMEOUT for temp.test TXT"

#define ACC MXSPF_ACT_ACCEPT
#define REJ MXSPF_ACT_REJECT
#define DEF MXSPF_ACT_DEFER

/* test_decide_matrix - every SPF result under every policy action */
static void
test_decide_matrix(void **state)
{
	static const struct dcase cases[] = {
		{ MXSPF_PASS, ACC, ACC, 0, NULL, NULL },
		{ MXSPF_PASS, REJ, ACC, 0, NULL, NULL },
		{ MXSPF_PASS, DEF, ACC, 0, NULL, NULL },
		{ MXSPF_NONE, REJ, ACC, 0, NULL, NULL },
		{ MXSPF_NONE, DEF, ACC, 0, NULL, NULL },
		{ MXSPF_NEUTRAL, REJ, ACC, 0, NULL, NULL },
		{ MXSPF_NEUTRAL, DEF, ACC, 0, NULL, NULL },
		{ MXSPF_FAIL, REJ, REJ, 550, "5.7.23", FAIL_TEXT },
		{ MXSPF_FAIL, DEF, DEF, 451, "4.7.23", FAIL_TEXT },
		{ MXSPF_FAIL, ACC, ACC, 0, NULL, NULL },
		{ MXSPF_SOFTFAIL, REJ, REJ, 550, "5.7.23", SOFT_TEXT },
		{ MXSPF_SOFTFAIL, DEF, DEF, 451, "4.7.23", SOFT_TEXT },
		{ MXSPF_SOFTFAIL, ACC, ACC, 0, NULL, NULL },
		{ MXSPF_PERMERROR, REJ, REJ, 550, "5.7.24", PERM_TEXT },
		{ MXSPF_PERMERROR, DEF, DEF, 451, "4.7.24", PERM_TEXT },
		{ MXSPF_PERMERROR, ACC, ACC, 0, NULL, NULL },
		/* A temporary error is never a 5xx: reject becomes defer. */
		{ MXSPF_TEMPERROR, REJ, DEF, 451, "4.7.24", TEMP_TEXT },
		{ MXSPF_TEMPERROR, DEF, DEF, 451, "4.7.24", TEMP_TEXT },
		{ MXSPF_TEMPERROR, ACC, ACC, 0, NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];
		struct mxspf_verdict v = verdict(c->result);
		struct mxspf_policy p = policy_for(c->result, c->policy);
		struct mxspf_decision d;

		print_message("case %zu: %s under %s\n", i,
		    mxspf_result_name(c->result),
		    mxspf_policy_act_name(c->policy));
		memset(&d, 0xa5, sizeof(d));
		assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE,
		    NULL, &d), 0);
		expect_decision(&d, c->act, c->code, c->status, c->text);
		free(d.text);
	}

	/* The defaults: only fail rejects. */
	for (i = MXSPF_NONE; i <= MXSPF_PERMERROR; i++) {
		struct mxspf_verdict v = verdict((enum mxspf_result)i);
		struct mxspf_policy p;
		struct mxspf_decision d;

		mxspf_policy_init(&p);
		assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE,
		    NULL, &d), 0);
		if (i == MXSPF_FAIL)
			expect_decision(&d, MXSPF_ACT_REJECT, 550, "5.7.23",
			    FAIL_TEXT);
		else
			expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);
		free(d.text);
	}
}

#undef ACC
#undef REJ
#undef DEF

/* test_decide_no_explanation - fail without an explanation, errors
 * without a problem text */
static void
test_decide_no_explanation(void **state)
{
	struct mxspf_verdict v = verdict(MXSPF_FAIL);
	struct mxspf_policy p;
	struct mxspf_decision d;

	(void)state;
	mxspf_policy_init(&p);
	v.explanation = NULL;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_REJECT, 550, "5.7.23",
	    "SPF fail: not authorized");
	free(d.text);

	v = verdict(MXSPF_PERMERROR);
	v.problem = NULL;
	p.on_permerror = MXSPF_ACT_REJECT;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_REJECT, 550, "5.7.24",
	    "SPF permanent error: ");
	free(d.text);
}

/* test_decide_relays - a relay of any kind is accepted whatever SPF says;
 * no SPF verdict (exempt client) accepts */
static void
test_decide_relays(void **state)
{
	static const enum mxspf_relay_reason relays[] = { MXSPF_RELAY_EXEMPT,
	    MXSPF_RELAY_CONFIGURED, MXSPF_RELAY_MX };
	struct mxspf_trust_verdict tv;
	struct mxspf_policy p;
	struct mxspf_decision d;
	size_t i, r;

	(void)state;
	memset(&tv, 0, sizeof(tv));
	tv.outcome = MXSPF_TRUST_YES;
	tv.why = "client is MX host mx.backup2.test";
	for (r = MXSPF_FAIL; r <= MXSPF_PERMERROR; r++) {
		struct mxspf_verdict v = verdict((enum mxspf_result)r);

		p = policy_for((enum mxspf_result)r, MXSPF_ACT_REJECT);
		for (i = 0; i < 3; i++) {
			memset(&d, 0xa5, sizeof(d));
			assert_int_equal(mxspf_policy_decide(&p, &v, relays[i],
			    relays[i] == MXSPF_RELAY_MX ? &tv : NULL, &d), 0);
			expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);
		}
	}
	mxspf_policy_init(&p);
	p.on_fail = MXSPF_ACT_REJECT;
	assert_int_equal(mxspf_policy_decide(&p, NULL, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);
}

/* test_decide_trust_dnserr - a DNS failure of the trust lookup turns a
 * reject (or defer) into 451 4.4.3, and leaves an accept alone */
static void
test_decide_trust_dnserr(void **state)
{
	struct mxspf_trust_verdict tv;
	struct mxspf_verdict v;
	struct mxspf_policy p;
	struct mxspf_decision d;
	const char *text = "cannot verify the relay for now: could not "
	    "resolve every MX host of receiver.test";

	(void)state;
	memset(&tv, 0, sizeof(tv));
	tv.outcome = MXSPF_TRUST_DNSERR;
	tv.why = "could not resolve every MX host of receiver.test";

	v = verdict(MXSPF_FAIL);
	mxspf_policy_init(&p);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_DEFER, 451, "4.4.3", text);
	free(d.text);

	p.on_fail = MXSPF_ACT_ACCEPT;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);

	v = verdict(MXSPF_SOFTFAIL);
	p = policy_for(MXSPF_SOFTFAIL, MXSPF_ACT_REJECT);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_DEFER, 451, "4.4.3", text);
	free(d.text);

	v = verdict(MXSPF_PERMERROR);
	p = policy_for(MXSPF_PERMERROR, MXSPF_ACT_REJECT);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_DEFER, 451, "4.4.3", text);
	free(d.text);

	v = verdict(MXSPF_TEMPERROR);
	p = policy_for(MXSPF_TEMPERROR, MXSPF_ACT_DEFER);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_DEFER, 451, "4.4.3", text);
	free(d.text);

	v = verdict(MXSPF_PASS);
	mxspf_policy_init(&p);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);

	/* A plain "no" leaves the 550. */
	tv.outcome = MXSPF_TRUST_NO;
	tv.why = "client is not an MX host of receiver.test";
	v = verdict(MXSPF_FAIL);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_REJECT, 550, "5.7.23", FAIL_TEXT);
	free(d.text);
}

/* test_decide_test_mode - test mode accepts and records what it would do */
static void
test_decide_test_mode(void **state)
{
	struct mxspf_trust_verdict tv;
	struct mxspf_verdict v;
	struct mxspf_policy p;
	struct mxspf_decision d;

	(void)state;
	v = verdict(MXSPF_FAIL);
	mxspf_policy_init(&p);
	p.test_mode = true;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	assert_int_equal(d.act, MXSPF_ACT_ACCEPT);
	assert_true(d.would_act);
	assert_int_equal(d.would, MXSPF_ACT_REJECT);
	assert_int_equal(d.code, 0);
	assert_string_equal(d.status, "5.7.23");
	assert_string_equal(d.text, FAIL_TEXT);
	free(d.text);

	v = verdict(MXSPF_TEMPERROR);
	p.on_temperror = MXSPF_ACT_REJECT;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	assert_int_equal(d.act, MXSPF_ACT_ACCEPT);
	assert_true(d.would_act);
	assert_int_equal(d.would, MXSPF_ACT_DEFER);
	assert_int_equal(d.code, 0);
	assert_string_equal(d.status, "4.7.24");
	free(d.text);

	memset(&tv, 0, sizeof(tv));
	tv.outcome = MXSPF_TRUST_DNSERR;
	tv.why = "MX lookup for receiver.test: TIMEOUT";
	v = verdict(MXSPF_FAIL);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	assert_int_equal(d.act, MXSPF_ACT_ACCEPT);
	assert_true(d.would_act);
	assert_int_equal(d.would, MXSPF_ACT_DEFER);
	assert_string_equal(d.status, "4.4.3");
	free(d.text);

	/* Nothing to record. */
	v = verdict(MXSPF_PASS);
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);
	v = verdict(MXSPF_FAIL);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_MX, NULL,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_ACCEPT, 0, NULL, NULL);
}

/* expect_safe - s is a single SMTP reply line of printable ASCII, at most
 * max bytes */
static void
expect_safe(const char *s, size_t max)
{
	size_t i;

	assert_non_null(s);
	assert_true(strlen(s) <= max);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			fail_msg("byte 0x%02x at %zu", (unsigned char)s[i], i);
}

/* test_decide_hostile_text - sender-controlled text (the explanation, the
 * domain, the problem, a trust reason with a hostile recipient domain)
 * never reaches the reply raw: CR, LF, 8-bit bytes become '?', and the
 * length is bounded */
static void
test_decide_hostile_text(void **state)
{
	struct mxspf_trust_verdict tv;
	struct mxspf_verdict v;
	struct mxspf_policy p;
	struct mxspf_decision d;
	char big[1200], want[600];

	(void)state;
	mxspf_policy_init(&p);
	v = verdict(MXSPF_FAIL);
	v.explanation = "go away\r\n250 2.0.0 Ok\r\n\x80\xff\tend";
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_REJECT, 550, "5.7.23",
	    "SPF fail: go away??250 2.0.0 Ok?????end");
	free(d.text);

	/* 1199 bytes: cut at 400 with "...". */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '\n';
	v.explanation = big;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	memcpy(want, "SPF fail: ", 10);
	memset(want + 10, 'x', 400);
	want[20] = '?';
	memcpy(want + 410, "...", 4);
	assert_string_equal(d.text, want);
	assert_int_equal(strlen(d.text), 10 + 400 + 3);
	expect_safe(d.text, 480);
	free(d.text);
	/* Exactly 400 bytes: no "..."; the last one bad: '?'; 401 with
	 * the bad one past the cut: only "...". */
	memset(big, 'x', 400);
	big[399] = '\x01';
	big[400] = '\0';
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	want[20] = 'x';
	want[409] = '?';
	want[410] = '\0';
	assert_string_equal(d.text, want);
	free(d.text);
	big[399] = 'x';
	big[400] = '\r';
	big[401] = '\0';
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	want[409] = 'x';
	memcpy(want + 410, "...", 4);
	assert_string_equal(d.text, want);
	free(d.text);

	v = verdict(MXSPF_SOFTFAIL);
	v.domain = "evil.test\r\nX-Injected: 1";
	p.on_softfail = MXSPF_ACT_REJECT;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	assert_string_equal(d.text, "SPF softfail: evil.test??X-Injected: 1 "
	    "does not designate the client as a permitted sender");
	free(d.text);

	v = verdict(MXSPF_PERMERROR);
	v.problem = big;
	p.on_permerror = MXSPF_ACT_REJECT;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL,
	    &d), 0);
	assert_int_equal(strlen(d.text), strlen("SPF permanent error: ") +
	    300 + 3);
	expect_safe(d.text, 480);
	free(d.text);

	memset(&tv, 0, sizeof(tv));
	tv.outcome = MXSPF_TRUST_DNSERR;
	tv.why = "MX lookup for a\r\n\xc3\xa9.test: TIMEOUT";
	v = verdict(MXSPF_FAIL);
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_decision(&d, MXSPF_ACT_DEFER, 451, "4.4.3", "cannot verify "
	    "the relay for now: MX lookup for a????.test: TIMEOUT");
	free(d.text);
	tv.why = big;
	assert_int_equal(mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, &tv,
	    &d), 0);
	expect_safe(d.text, 480);
	free(d.text);
}

/* test_decide_nomem - out of memory while writing the reply text */
static void
test_decide_nomem(void **state)
{
	struct mxspf_verdict v = verdict(MXSPF_FAIL);
	struct mxspf_policy p;
	struct mxspf_decision d;
	size_t n;

	(void)state;
	mxspf_policy_init(&p);
	for (n = 0;; n++) {
		int rc;

		mxspf__alloc_fail_after(n);
		rc = mxspf_policy_decide(&p, &v, MXSPF_RELAY_NONE, NULL, &d);
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0) {
			expect_decision(&d, MXSPF_ACT_REJECT, 550, "5.7.23",
			    FAIL_TEXT);
			free(d.text);
			break;
		}
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_null(d.text);
		assert_true(n < 100);
	}
	assert_true(n >= 1);
}

/* test_policy_names - names and parsing of actions and relay reasons, and
 * the defaults of mxspf_policy_init() */
static void
test_policy_names(void **state)
{
	enum mxspf_policy_act a = MXSPF_ACT_DEFER;
	struct mxspf_policy p;

	(void)state;
	assert_string_equal(mxspf_policy_act_name(MXSPF_ACT_ACCEPT), "accept");
	assert_string_equal(mxspf_policy_act_name(MXSPF_ACT_REJECT), "reject");
	assert_string_equal(mxspf_policy_act_name(MXSPF_ACT_DEFER), "defer");
	assert_string_equal(mxspf_policy_act_name((enum mxspf_policy_act)7),
	    "unknown");
	assert_int_equal(mxspf_policy_act_parse("Reject", &a), 0);
	assert_int_equal(a, MXSPF_ACT_REJECT);
	assert_int_equal(mxspf_policy_act_parse("accept", &a), 0);
	assert_int_equal(a, MXSPF_ACT_ACCEPT);
	assert_int_equal(mxspf_policy_act_parse("DEFER", &a), 0);
	assert_int_equal(a, MXSPF_ACT_DEFER);
	assert_int_equal(mxspf_policy_act_parse("defe", &a), MXSPF_EINVAL);
	assert_int_equal(mxspf_policy_act_parse("", &a), MXSPF_EINVAL);
	assert_int_equal(mxspf_policy_act_parse(NULL, &a), MXSPF_EINVAL);
	assert_int_equal(a, MXSPF_ACT_DEFER);
	assert_string_equal(mxspf_relay_reason_name(MXSPF_RELAY_NONE), "none");
	assert_string_equal(mxspf_relay_reason_name(MXSPF_RELAY_EXEMPT),
	    "exempt");
	assert_string_equal(mxspf_relay_reason_name(MXSPF_RELAY_CONFIGURED),
	    "configured");
	assert_string_equal(mxspf_relay_reason_name(MXSPF_RELAY_MX), "mx");
	assert_string_equal(mxspf_relay_reason_name(
	    (enum mxspf_relay_reason)9), "unknown");
	memset(&p, 0xa5, sizeof(p));
	mxspf_policy_init(&p);
	assert_int_equal(p.on_fail, MXSPF_ACT_REJECT);
	assert_int_equal(p.on_softfail, MXSPF_ACT_ACCEPT);
	assert_int_equal(p.on_permerror, MXSPF_ACT_ACCEPT);
	assert_int_equal(p.on_temperror, MXSPF_ACT_ACCEPT);
	assert_false(p.test_mode);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_trust_backup_to_backup),
		TEST(test_trust_backup_to_primary),
		TEST(test_trust_primary_as_client),
		TEST(test_trust_equal_pref),
		TEST(test_trust_v6only),
		TEST(test_trust_mapped_client),
		TEST(test_trust_not_mx),
		TEST(test_trust_server_not_mx),
		TEST(test_trust_mode_any),
		TEST(test_trust_mode_off),
		TEST(test_trust_mode_names),
		TEST(test_trust_own_server_addr),
		TEST(test_trust_own_names),
		TEST(test_trust_own_addrs),
		TEST(test_trust_implicit_mx),
		TEST(test_trust_null_mx),
		TEST(test_trust_many_hosts),
		TEST(test_trust_max_hosts),
		TEST(test_trust_dnsfail_still_yes),
		TEST(test_trust_dnsfail_dnserr),
		TEST(test_trust_dnsfail_cannot_change),
		TEST(test_trust_mx_timeout),
		TEST(test_trust_mx_servfail),
		TEST(test_trust_nxdomain),
		TEST(test_trust_host_nxdomain),
		TEST(test_trust_malformed_mx),
		TEST(test_trust_mx_answer_edges),
		TEST(test_trust_malformed_addr),
		TEST(test_trust_any_order),
		TEST(test_trust_bad_ids),
		TEST(test_trust_abort),
		TEST(test_trust_run_unanswered),
		TEST(test_trust_new_einval),
		TEST(test_trust_bad_domain),
		TEST(test_trust_trailing_dot),
		TEST(test_trust_nomem),
		TEST(test_trust_cache_reuse),
		TEST(test_trust_cache_expiry),
		TEST(test_trust_cache_not_kept),
		TEST(test_trust_cache_nomem),
		TEST(test_decide_matrix),
		TEST(test_decide_no_explanation),
		TEST(test_decide_relays),
		TEST(test_decide_trust_dnserr),
		TEST(test_decide_test_mode),
		TEST(test_decide_hostile_text),
		TEST(test_decide_nomem),
		TEST(test_policy_names),
	};

	return cmocka_run_group_tests(tests, setup_zone, teardown_zone);
}
