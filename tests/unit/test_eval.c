/* tests/unit/test_eval.c - unit tests of the sans-I/O evaluator.
 * Owns: a scripted in-test resolver (a tiny zone of wire-format answers,
 * a query log and a driver that answers in forward or reverse order) and
 * the checks of lib/eval.c through the public API: query hand-out,
 * answer order, unknown and repeated ids, DNS failures and malformed
 * RDATA, abort, speculative prefetching and its budget, the s4.6.4
 * limits, every verdict field, explanations, identities, the trace,
 * allocation failures, and what must hold when a context reuses freed
 * evaluations and its record cache is small or fed reused addresses.
 * Must not: use lib/zone.c or the network.
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
#include <strings.h>

#include "mxspf/mxspf.h"
#include "internal.h"
#include "mxspf_limits.h"

#define ZONE_MAX 512		/* records in the test zone */
#define RD_MAX 9600		/* bytes of one record's RDATA */
#define LOG_MAX 2048		/* queries logged per evaluation */
#define NAME_MAX_TEXT 300	/* a logged or zone name */

/* ---- the scripted zone ------------------------------------------------- */

enum rr_kind { K_DATA, K_TIMEOUT, K_SERVFAIL };

struct rr {
	char name[NAME_MAX_TEXT];
	uint16_t type;
	enum rr_kind kind;
	uint8_t rd[RD_MAX];
	size_t len;
};

struct logged {
	uint32_t id;
	uint16_t type;
	char name[NAME_MAX_TEXT];
	bool answered;
};

static struct rr zone[ZONE_MAX];
static size_t nzone;
static struct logged qlog[LOG_MAX];
static size_t nlog;
static struct mxspf_ctx *g_ctx;
static struct mxspf_eval *g_ev;

enum order { FORWARD, REVERSE };

/* zone_reset - empty the zone and the query log */
static void
zone_reset(void)
{
	nzone = 0;
	nlog = 0;
}

/* zone_new_rr - the next free record */
static struct rr *
zone_new_rr(const char *name, uint16_t type, enum rr_kind kind)
{
	struct rr *r;

	assert_true(nzone < ZONE_MAX);
	assert_true(strlen(name) < NAME_MAX_TEXT);
	r = &zone[nzone++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->type = type;
	r->kind = kind;
	return r;
}

/* zone_raw - a record with the given RDATA bytes */
static void
zone_raw(const char *name, uint16_t type, const void *rd, size_t len)
{
	struct rr *r = zone_new_rr(name, type, K_DATA);

	assert_true(len <= RD_MAX);
	memcpy(r->rd, rd, len);
	r->len = len;
}

/* zone_txt - a TXT record; text split into 255-byte character-strings */
static void
zone_txt(const char *name, const char *text)
{
	struct rr *r = zone_new_rr(name, MXSPF_RR_TXT, K_DATA);
	size_t len = strlen(text), off = 0;

	do {
		size_t n = len - off > 255 ? 255 : len - off;

		assert_true(r->len + 1 + n <= RD_MAX);
		r->rd[r->len++] = (uint8_t)n;
		memcpy(r->rd + r->len, text + off, n);
		r->len += n;
		off += n;
	} while (off < len);
}

/* zone_addr - an A or AAAA record from text */
static void
zone_addr(const char *name, const char *ip)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(ip, &a), 0);
	if (a.family == 4)
		zone_raw(name, MXSPF_RR_A, a.b, 4);
	else
		zone_raw(name, MXSPF_RR_AAAA, a.b, 16);
}

/* wire_name - the uncompressed wire form of name into out; its length */
static size_t
wire_name(const char *name, uint8_t *out)
{
	size_t o = 0;
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		out[o++] = (uint8_t)n;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

/* zone_mx - an MX record */
static void
zone_mx(const char *name, unsigned pref, const char *exchange)
{
	uint8_t rd[300];

	rd[0] = (uint8_t)(pref >> 8);
	rd[1] = (uint8_t)pref;
	zone_raw(name, MXSPF_RR_MX, rd, 2 + wire_name(exchange, rd + 2));
}

/* zone_ptr - a PTR record */
static void
zone_ptr(const char *name, const char *target)
{
	uint8_t rd[300];

	zone_raw(name, MXSPF_RR_PTR, rd, wire_name(target, rd));
}

/* zone_fail - queries of (name, type) fail with TIMEOUT or SERVFAIL */
static void
zone_fail(const char *name, uint16_t type, enum rr_kind kind)
{
	(void)zone_new_rr(name, type, kind);
}

/* zone_lookup - the answer to (name, type); arrays are static */
static void
zone_lookup(const char *name, uint16_t type, struct mxspf_answer *ans)
{
	static const uint8_t *rdata[ZONE_MAX];
	static size_t rdlen[ZONE_MAX];
	size_t i, n = 0;
	bool exists = false;

	memset(ans, 0, sizeof(*ans));
	ans->ttl = 300;
	for (i = 0; i < nzone; i++) {
		if (strcasecmp(zone[i].name, name) != 0)
			continue;
		exists = true;
		if (zone[i].type != type)
			continue;
		if (zone[i].kind == K_TIMEOUT) {
			ans->status = MXSPF_DNS_TIMEOUT;
			return;
		}
		if (zone[i].kind == K_SERVFAIL) {
			ans->status = MXSPF_DNS_SERVFAIL;
			return;
		}
		rdata[n] = zone[i].rd;
		rdlen[n] = zone[i].len;
		n++;
	}
	if (n == 0) {
		ans->status = exists ? MXSPF_DNS_NODATA : MXSPF_DNS_NXDOMAIN;
		return;
	}
	ans->status = MXSPF_DNS_OK;
	ans->count = n;
	ans->rdata = rdata;
	ans->rdlen = rdlen;
}

/* ---- the driver -------------------------------------------------------- */

/* take - log every query not yet handed out; returns how many */
static size_t
take(struct mxspf_eval *ev)
{
	const struct mxspf_query *q;
	size_t n = 0;

	while ((q = mxspf_eval_next_query(ev)) != NULL) {
		assert_true(nlog < LOG_MAX);
		assert_true(strlen(q->name) < NAME_MAX_TEXT);
		qlog[nlog].id = q->id;
		qlog[nlog].type = q->type;
		snprintf(qlog[nlog].name, sizeof(qlog[nlog].name), "%s",
		    q->name);
		qlog[nlog].answered = false;
		nlog++;
		n++;
	}
	return n;
}

/* answer_log - answer logged query i from the zone */
static int
answer_log(struct mxspf_eval *ev, size_t i)
{
	struct mxspf_answer ans;

	zone_lookup(qlog[i].name, qlog[i].type, &ans);
	qlog[i].answered = true;
	return mxspf_eval_answer(ev, qlog[i].id, &ans);
}

/* drive - step, hand out and answer until done (or an error); answers
 * each batch in the given order.  @return the last step's value */
static int
drive(struct mxspf_eval *ev, enum order order)
{
	size_t guard;

	for (guard = 0; guard < 10000; guard++) {
		int rc = mxspf_eval_step(ev);
		size_t first = nlog, i, n;

		if (rc != MXSPF_STEP_QUERY)
			return rc;
		n = take(ev);
		for (i = 0; i < n; i++) {
			size_t k = order == FORWARD ? first + i :
			    first + n - 1 - i;

			rc = answer_log(ev, k);
			if (rc != 0)
				return rc;
		}
	}
	fail_msg("evaluation does not end");
	return -1;
}

/* logged - how many logged queries have this type and name */
static size_t
logged(uint16_t type, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < nlog; i++)
		if (qlog[i].type == type && strcasecmp(qlog[i].name, name) == 0)
			n++;
	return n;
}

/* request - fill a request */
static struct mxspf_request
request(const char *ip, const char *sender, const char *helo)
{
	struct mxspf_request req;

	memset(&req, 0, sizeof(req));
	assert_int_equal(mxspf_addr_parse(ip, &req.client), 0);
	req.sender = sender;
	req.helo = helo;
	req.identity = MXSPF_ID_MAILFROM;
	return req;
}

/* start - make g_ctx (cfg or defaults) and g_ev for req */
static void
start(const struct mxspf_config *cfg, const struct mxspf_request *req)
{
	assert_int_equal(mxspf_ctx_new(&g_ctx, cfg), 0);
	assert_int_equal(mxspf_eval_new(&g_ev, g_ctx, req), 0);
}

/* check - start, drive forward and return the verdict */
static const struct mxspf_verdict *
check(const struct mxspf_config *cfg, const char *ip, const char *sender)
{
	struct mxspf_request req = request(ip, sender, "mail.example.org");

	start(cfg, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	return mxspf_eval_verdict(g_ev);
}

/* setup - empty zone, no evaluation */
static int
setup(void **state)
{
	(void)state;
	zone_reset();
	g_ctx = NULL;
	g_ev = NULL;
	return 0;
}

/* teardown - free what a test left and disarm the allocation hook */
static int
teardown(void **state)
{
	(void)state;
	mxspf__alloc_fail_after((size_t)-1);
	mxspf_eval_free(g_ev);
	mxspf_ctx_free(g_ctx);
	g_ev = NULL;
	g_ctx = NULL;
	return 0;
}

/* ---- basic flow -------------------------------------------------------- */

/* test_pass_ip4 - the simplest pass, with every verdict field */
static void
test_pass_ip4(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_int_equal(v->reason, MXSPF_WHY_MECHANISM);
	assert_string_equal(v->identity, "user@example.com");
	assert_string_equal(v->domain, "example.com");
	assert_string_equal(v->mechanism, "ip4:192.0.2.0/24");
	assert_int_equal(v->mech_offset, 7);
	assert_string_equal(v->mech_domain, "example.com");
	assert_null(v->problem);
	assert_null(v->explanation);
	assert_int_equal(v->dns_terms, 0);
	assert_int_equal(v->void_lookups, 0);
	assert_int_equal(v->queries, 1);
	assert_int_equal(nlog, 1);
	assert_int_equal(qlog[0].id, 1);
	assert_int_equal(qlog[0].type, MXSPF_RR_TXT);
	assert_string_equal(qlog[0].name, "example.com");
}

/* test_queries_handed_once - a query is handed out once; stepping again
 * without an answer hands out nothing new */
static void
test_queries_handed_once(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_query *q;

	(void)state;
	zone_txt("example.com", "v=spf1 -all");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	q = mxspf_eval_next_query(g_ev);
	assert_non_null(q);
	assert_int_equal(q->id, 1);
	assert_int_equal(q->type, MXSPF_RR_TXT);
	assert_string_equal(q->name, "example.com");
	assert_null(mxspf_eval_next_query(g_ev));
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_null(mxspf_eval_next_query(g_ev));
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_null(mxspf_eval_next_query(g_ev));
	nlog = 1;
	qlog[0].id = 1;
	qlog[0].type = MXSPF_RR_TXT;
	snprintf(qlog[0].name, sizeof(qlog[0].name), "%s", "example.com");
	assert_int_equal(answer_log(g_ev, 0), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	assert_null(mxspf_eval_next_query(g_ev));
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_FAIL);
	assert_int_equal(mxspf_eval_verdict(g_ev)->queries, 1);
}

/* test_answers_reverse_order - answers to later terms that arrive first
 * are kept until their term is reached; the verdict follows RFC order */
static void
test_answers_reverse_order(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_verdict *v;
	size_t n;

	(void)state;
	zone_txt("example.com",
	    "v=spf1 a:h1.example.com -a:h2.example.com ~a:h3.example.com ?all");
	zone_addr("h1.example.com", "198.51.100.1");
	zone_addr("h2.example.com", "192.0.2.3");
	zone_addr("h3.example.com", "192.0.2.3");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	assert_int_equal(answer_log(g_ev, 0), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	n = take(g_ev);
	assert_int_equal(n, 3);
	assert_string_equal(qlog[1].name, "h1.example.com");
	assert_string_equal(qlog[2].name, "h2.example.com");
	assert_string_equal(qlog[3].name, "h3.example.com");
	/* h3 first: its term is not reached, nothing is decided. */
	assert_int_equal(answer_log(g_ev, 3), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 0);
	/* h2 (a fail) next: still waiting for h1. */
	assert_int_equal(answer_log(g_ev, 2), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 0);
	assert_int_equal(answer_log(g_ev, 1), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->mechanism, "-a:h2.example.com");
	assert_int_equal(v->mech_offset, 24);
	assert_int_equal(v->dns_terms, 2);
	assert_int_equal(v->queries, 4);
}

/* test_reverse_driver_same_verdict - a whole evaluation answered in
 * reverse order per batch gives the forward verdict */
static void
test_reverse_driver_same_verdict(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 include:i.example.com "
	    "mx:m.example.com a:x.example.com -all");
	zone_txt("i.example.com", "v=spf1 a:y.example.com ?all");
	zone_addr("y.example.com", "198.51.100.7");
	zone_mx("m.example.com", 10, "mx1.example.com");
	zone_mx("m.example.com", 20, "mx2.example.com");
	zone_addr("mx1.example.com", "198.51.100.8");
	zone_addr("mx2.example.com", "192.0.2.0");
	zone_addr("x.example.com", "192.0.2.3");
	start(NULL, &req);
	assert_int_equal(drive(g_ev, REVERSE), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->mechanism, "a:x.example.com");
	assert_int_equal(v->dns_terms, 4);
	assert_int_equal(v->void_lookups, 0);
	assert_int_equal(logged(MXSPF_RR_A, "mx2.example.com"), 1);
}

/* test_answer_unknown_id - ids never issued and answered twice are
 * MXSPF_ENOENT and change nothing */
static void
test_answer_unknown_id(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	struct mxspf_answer ans;

	(void)state;
	zone_txt("example.com", "v=spf1 -all");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	zone_lookup("example.com", MXSPF_RR_TXT, &ans);
	assert_int_equal(mxspf_eval_answer(g_ev, 0, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_eval_answer(g_ev, 2, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_eval_answer(g_ev, 999, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_eval_answer(g_ev, UINT32_MAX, &ans),
	    MXSPF_ENOENT);
	assert_int_equal(mxspf_eval_answer(g_ev, 1, NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_eval_answer(g_ev, 1, &ans), 0);
	/* A second answer (here a TIMEOUT) is refused and ignored. */
	ans.status = MXSPF_DNS_TIMEOUT;
	assert_int_equal(mxspf_eval_answer(g_ev, 1, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_FAIL);
	assert_int_equal(mxspf_eval_answer(g_ev, 1, &ans), MXSPF_ENOENT);
}

/* ---- DNS failures ---------------------------------------------------- */

/* test_timeout_txt - a TIMEOUT gives temperror, reason dns-error */
static void
test_timeout_txt(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_fail("example.com", MXSPF_RR_TXT, K_TIMEOUT);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_int_equal(v->reason, MXSPF_WHY_DNS);
	assert_string_equal(v->problem, "DNS TIMEOUT for TXT example.com");
	assert_null(v->mechanism);
	assert_null(v->explanation);
}

/* test_timeout_a - a failure in a mechanism's lookup, and SERVFAIL in an
 * include's record */
static void
test_timeout_a(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 a:h.example.com -all");
	zone_fail("h.example.com", MXSPF_RR_A, K_TIMEOUT);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_int_equal(v->reason, MXSPF_WHY_DNS);
	assert_string_equal(v->problem, "DNS TIMEOUT for A h.example.com");
	assert_int_equal(v->dns_terms, 1);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 include:i.example.com -all");
	zone_fail("i.example.com", MXSPF_RR_TXT, K_SERVFAIL);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_int_equal(v->reason, MXSPF_WHY_DNS);
	assert_string_equal(v->problem, "DNS SERVFAIL for TXT i.example.com");
}

/* test_bad_status - a status outside the enum is a SERVFAIL */
static void
test_bad_status(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	struct mxspf_answer ans;

	(void)state;
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	memset(&ans, 0, sizeof(ans));
	ans.status = (enum mxspf_dns_status)77;
	assert_int_equal(mxspf_eval_answer(g_ev, 1, &ans), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_TEMPERROR);
	assert_string_equal(mxspf_eval_verdict(g_ev)->problem,
	    "DNS SERVFAIL for TXT example.com");
}

/* test_malformed - BUG (lib/eval.c, store_one/store_answer and
 * mxspf_eval_answer): malformed RDATA makes store_one() return -1, which
 * mxspf_eval_answer() takes for MXSPF_ENOMEM (also -1): the answer call
 * returns MXSPF_ENOMEM, the evaluation is dead (every step returns
 * MXSPF_ENOMEM) and the "malformed: treat as a DNS failure" branch is
 * never reached.  Inputs: a TXT whose length byte overruns the RDATA, an
 * A record of 5 bytes, an MX with trailing junk, an MX with a compression
 * pointer, an answer mixing a good and a 3-byte A record.  Expected:
 * answer returns 0 and the verdict is temperror (reason dns-error, "DNS
 * SERVFAIL for TXT example.com" etc.).  Was: MXSPF_ENOMEM.  Fixed; kept
 * as its regression test. */
static void
test_malformed(void **state)
{
	static const uint8_t badtxt[] = { 10, 'v', '=', 's', 'p', 'f', '1' };
	static const uint8_t bada[] = { 192, 0, 2, 3, 0 };
	static const uint8_t badmx[] = { 0, 10, 1, 'x', 0, 'J' };
	static const uint8_t ptrmx[] = { 0, 10, 0xc0, 0x0c };
	const struct mxspf_verdict *v;

	(void)state;
	zone_raw("example.com", MXSPF_RR_TXT, badtxt, sizeof(badtxt));
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_int_equal(v->reason, MXSPF_WHY_DNS);
	assert_string_equal(v->problem, "DNS SERVFAIL for TXT example.com");
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 a -all");
	zone_raw("example.com", MXSPF_RR_A, bada, sizeof(bada));
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_string_equal(v->problem, "DNS SERVFAIL for A example.com");
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 mx -all");
	zone_raw("example.com", MXSPF_RR_MX, badmx, sizeof(badmx));
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_string_equal(v->problem, "DNS SERVFAIL for MX example.com");
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 mx -all");
	zone_raw("example.com", MXSPF_RR_MX, ptrmx, sizeof(ptrmx));
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	/* One good record and one bad in the same answer: still bad. */
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 a -all");
	zone_addr("example.com", "192.0.2.3");
	zone_raw("example.com", MXSPF_RR_A, bada, 3);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_TEMPERROR);
}

/* test_nul_in_txt - a NUL byte in a TXT record is kept: the record is
 * selected and then fails to parse (permerror), not cut short */
static void
test_nul_in_txt(void **state)
{
	static const uint8_t rd[] = { 13, 'v', '=', 's', 'p', 'f', '1', ' ',
	    '+', 'a', 'l', 'l', 0, 'x' };
	const struct mxspf_verdict *v;

	(void)state;
	zone_raw("example.com", MXSPF_RR_TXT, rd, sizeof(rd));
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_SYNTAX);
	assert_string_equal(v->problem, "syntax error in the record of "
	    "example.com: invalid byte 0x00 at offset 11");
	assert_int_equal(v->mech_offset, 11);
}

/* test_abort - the driver's deadline: temperror, reason deadline; a
 * finished evaluation is not changed by abort */
static void
test_abort(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 a:h.example.com -all");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	assert_int_equal(answer_log(g_ev, 0), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	mxspf_eval_abort(g_ev);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_int_equal(v->reason, MXSPF_WHY_DEADLINE);
	assert_string_equal(v->problem, "no answer within the deadline");
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	/* A late answer is accepted but changes nothing. */
	assert_int_equal(answer_log(g_ev, 1), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_TEMPERROR);
	mxspf_eval_abort(g_ev);
	assert_int_equal(mxspf_eval_verdict(g_ev)->reason,
	    MXSPF_WHY_DEADLINE);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 +all");
	(void)check(NULL, "192.0.2.3", "user@example.com");
	mxspf_eval_abort(g_ev);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_PASS);
	assert_int_equal(v->reason, MXSPF_WHY_MECHANISM);
	assert_null(v->problem);
}

/* ---- speculation ------------------------------------------------------- */

/* chain_record - "v=spf1 a:h1.example.com ... a:hN.example.com -all" */
static void
chain_record(size_t n, const char *addr)
{
	char text[2048], name[64];
	size_t i, o;

	o = (size_t)snprintf(text, sizeof(text), "v=spf1");
	for (i = 1; i <= n; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " a:h%zu.example.com", i);
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		zone_addr(name, addr);
	}
	snprintf(text + o, sizeof(text) - o, " -all");
	zone_txt("example.com", text);
}

/* test_speculative_budget - speculation asks for later terms before
 * earlier ones are answered, but for no more terms than the DNS-term
 * budget allows */
static void
test_speculative_budget(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_verdict *v;
	char name[64];
	size_t i;

	(void)state;
	chain_record(12, "198.51.100.1");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	assert_int_equal(answer_log(g_ev, 0), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	/* h1 is needed; h2..h10 are speculative; h11 and h12 would be
	 * over the limit of 10. */
	assert_int_equal(take(g_ev), 10);
	for (i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		assert_string_equal(qlog[i].name, name);
		assert_int_equal(qlog[i].type, MXSPF_RR_A);
		/* Not one of them is answered yet. */
		assert_false(qlog[i].answered);
	}
	for (i = 1; i <= 10; i++)
		assert_int_equal(answer_log(g_ev, i), 0);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_int_equal(nlog, 11);
	assert_int_equal(v->queries, 11);
	assert_int_equal(logged(MXSPF_RR_A, "h11.example.com"), 0);
	/* An include frame prefetches only what is left of the budget:
	 * 8 terms are counted when i.example.com starts, so of x1..x4 only
	 * x1 and x2 are asked for; x3 is the 11th term. */
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 a:h1.example.com a:h2.example.com "
	    "a:h3.example.com a:h4.example.com a:h5.example.com "
	    "a:h6.example.com a:h7.example.com include:i.example.com -all");
	zone_txt("i.example.com", "v=spf1 a:x1.example.com a:x2.example.com "
	    "a:x3.example.com a:x4.example.com ?all");
	for (i = 1; i <= 7; i++) {
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	for (i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "x%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_int_equal(v->dns_terms, 11);
	assert_int_equal(v->queries, 11);
	assert_int_equal(logged(MXSPF_RR_A, "x2.example.com"), 1);
	assert_int_equal(logged(MXSPF_RR_A, "x3.example.com"), 0);
	assert_int_equal(logged(MXSPF_RR_A, "x4.example.com"), 0);
}

/* test_nonspeculative_one_at_a_time - without speculation a simple chain
 * asks exactly one question per step */
static void
test_nonspeculative_one_at_a_time(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_verdict *v;
	size_t steps = 0, i;
	char name[64];
	int rc;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.speculative = false;
	zone_txt("example.com", "v=spf1 a:h1.example.com a:h2.example.com "
	    "include:i.example.com a:h3.example.com a:h4.example.com "
	    "a:h5.example.com -all");
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	zone_txt("i.example.com", "v=spf1 ?a:h9.example.com");
	zone_addr("h9.example.com", "198.51.100.2");
	start(&cfg, &req);
	while ((rc = mxspf_eval_step(g_ev)) == MXSPF_STEP_QUERY) {
		size_t first = nlog;

		assert_int_equal(take(g_ev), 1);
		assert_int_equal(answer_log(g_ev, first), 0);
		steps++;
	}
	assert_int_equal(rc, MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_FAIL);
	/* TXT, h1, h2, TXT i, h9, h3, h4, h5. */
	assert_int_equal(steps, 8);
	assert_int_equal(v->queries, 8);
	assert_string_equal(qlog[0].name, "example.com");
	assert_string_equal(qlog[3].name, "i.example.com");
	assert_string_equal(qlog[4].name, "h9.example.com");
	assert_string_equal(qlog[7].name, "h5.example.com");
}

/* test_speculative_nested_budget - speculation shares one budget per
 * evaluation (lib/eval.c, prefetch_terms).  Three levels, each with
 * nine a: terms after its include: "include:i a:a1..a9", i = "include:j
 * a:b1..b8", j = "a:c1..c9".  Each frame used to prefetch up to its own
 * remaining term budget, so the speculative lookups added up level by
 * level (28 queries here).  Now at most max_dns_terms first lookups are
 * asked ahead in the whole evaluation: the top TXT, 10 speculative, and
 * what the RFC evaluation itself needs (j's TXT, c1..c8) -- 20.  (No
 * speculation can promise fewer: a term asked ahead may never be
 * reached while deeper terms are.) */
static void
test_speculative_nested_budget(void **state)
{
	const struct mxspf_verdict *v;
	char text[1024], name[64];
	size_t i, o;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text),
	    "v=spf1 include:i.example.com");
	for (i = 1; i <= 9; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " a:a%zu.example.com", i);
		snprintf(name, sizeof(name), "a%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	snprintf(text + o, sizeof(text) - o, " -all");
	zone_txt("example.com", text);
	o = (size_t)snprintf(text, sizeof(text),
	    "v=spf1 include:j.example.com");
	for (i = 1; i <= 8; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " a:b%zu.example.com", i);
		snprintf(name, sizeof(name), "b%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	snprintf(text + o, sizeof(text) - o, " ?all");
	zone_txt("i.example.com", text);
	o = (size_t)snprintf(text, sizeof(text), "v=spf1");
	for (i = 1; i <= 9; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " a:c%zu.example.com", i);
		snprintf(name, sizeof(name), "c%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	snprintf(text + o, sizeof(text) - o, " ?all");
	zone_txt("j.example.com", text);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_int_equal(v->dns_terms, 11);
	assert_int_equal(v->queries, 1 + 10 + 1 + 8);
}

/* ---- s4.6.4 limits ------------------------------------------------------ */

/* includes - a record of n includes (each "v=spf1 -all") then -all */
static void
includes(size_t n)
{
	char text[2048], name[64];
	size_t i, o;

	o = (size_t)snprintf(text, sizeof(text), "v=spf1");
	for (i = 1; i <= n; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " include:i%zu.example.com", i);
		snprintf(name, sizeof(name), "i%zu.example.com", i);
		zone_txt(name, "v=spf1 -all");
	}
	snprintf(text + o, sizeof(text) - o, " ?all");
	zone_txt("example.com", text);
}

/* test_dns_term_limit - 10 includes are fine, the 11th is permerror */
static void
test_dns_term_limit(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	includes(10);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_NEUTRAL);
	assert_int_equal(v->reason, MXSPF_WHY_MECHANISM);
	assert_int_equal(v->dns_terms, 10);
	assert_int_equal(v->queries, 11);
	teardown(NULL);
	setup(NULL);
	includes(11);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_string_equal(v->problem,
	    "more than 10 DNS-querying terms (RFC 7208 4.6.4)");
	assert_int_equal(v->dns_terms, 11);
	assert_int_equal(v->queries, 11);
	assert_int_equal(logged(MXSPF_RR_TXT, "i11.example.com"), 0);
	assert_null(v->mechanism);
}

/* test_dns_term_limit_redirect - redirect counts as a term, ip4/all/exp
 * do not */
static void
test_dns_term_limit_redirect(void **state)
{
	const struct mxspf_verdict *v;
	char text[1024], name[64];
	size_t i, o;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), "v=spf1 ip4:10.0.0.1");
	for (i = 1; i <= 10; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " a:h%zu.example.com", i);
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		zone_addr(name, "198.51.100.1");
	}
	snprintf(text + o, sizeof(text) - o,
	    " exp=e.example.com redirect=r.example.com");
	zone_txt("example.com", text);
	zone_txt("r.example.com", "v=spf1 +all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_int_equal(v->dns_terms, 11);
	assert_int_equal(logged(MXSPF_RR_TXT, "r.example.com"), 0);
}

/* test_dns_term_limit_config - cfg.max_dns_terms is honoured */
static void
test_dns_term_limit_config(void **state)
{
	struct mxspf_config cfg;
	const struct mxspf_verdict *v;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.max_dns_terms = 3;
	includes(4);
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_string_equal(v->problem,
	    "more than 3 DNS-querying terms (RFC 7208 4.6.4)");
	assert_int_equal(v->dns_terms, 4);
	/* Speculation respects the configured budget too. */
	assert_int_equal(v->queries, 4);
}

/* test_void_limit - two void lookups are allowed, the third is
 * permerror; NXDOMAIN, NODATA and an empty answer all count */
static void
test_void_limit(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 a:nx.example.com a:nodata.example.com "
	    "-all");
	zone_txt("nodata.example.com", "not spf");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_int_equal(v->void_lookups, 2);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 a:nx.example.com a:nodata.example.com "
	    "exists:nx2.example.com ip4:192.0.2.3 -all");
	zone_txt("nodata.example.com", "not spf");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_string_equal(v->problem,
	    "more than 2 void DNS lookups (RFC 7208 4.6.4)");
	assert_int_equal(v->void_lookups, 3);
	assert_int_equal(v->dns_terms, 3);
}

/* test_void_limit_empty_answer - NOERROR with zero records is void */
static void
test_void_limit_empty_answer(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	struct mxspf_answer ans;
	size_t i;

	(void)state;
	zone_txt("example.com", "v=spf1 a:e1.example.com a:e2.example.com "
	    "a:e3.example.com -all");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 1);
	assert_int_equal(answer_log(g_ev, 0), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_QUERY);
	assert_int_equal(take(g_ev), 3);
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_OK;
	for (i = 1; i <= 3; i++)
		assert_int_equal(mxspf_eval_answer(g_ev, qlog[i].id, &ans), 0);
	assert_int_equal(mxspf_eval_step(g_ev), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_PERMERROR);
	assert_int_equal(mxspf_eval_verdict(g_ev)->void_lookups, 3);
}

/* test_void_limit_config - cfg.max_void_lookups is honoured */
static void
test_void_limit_config(void **state)
{
	struct mxspf_config cfg;
	const struct mxspf_verdict *v;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.max_void_lookups = 3;
	zone_txt("example.com", "v=spf1 a:v1.example.com a:v2.example.com "
	    "a:v3.example.com -all");
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_int_equal(v->void_lookups, 3);
	teardown(NULL);
	setup(NULL);
	cfg.max_void_lookups = 0;
	zone_txt("example.com", "v=spf1 a:v1.example.com -all");
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_string_equal(v->problem,
	    "more than 0 void DNS lookups (RFC 7208 4.6.4)");
}

/* mx_names - n MX records m1..mn for example.com, each with an A */
static void
mx_names(size_t n, const char *match_name)
{
	char name[64];
	size_t i;

	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "m%zu.example.com", i);
		zone_mx("example.com", (unsigned)i, name);
		zone_addr(name, strcmp(name, match_name) == 0 ? "192.0.2.3" :
		    "198.51.100.9");
	}
}

/* test_mx_limit - 10 MX names are looked up; 11 is permerror before any
 * address lookup */
static void
test_mx_limit(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 mx -all");
	mx_names(10, "m10.example.com");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->mechanism, "mx");
	assert_int_equal(v->queries, 12);
	assert_int_equal(v->dns_terms, 1);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 mx -all");
	mx_names(11, "m1.example.com");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_string_equal(v->problem, "example.com has 11 MX records, more "
	    "than 10 (RFC 7208 4.6.4)");
	assert_int_equal(v->queries, 2);
	assert_int_equal(logged(MXSPF_RR_A, "m1.example.com"), 0);
}

/* test_spare_after_big_arena - an evaluation whose arena grew past its
 * first chunk (9 mx terms of 10 long host names each), freed into its
 * context's spares, then the context freed: the spare is destroyed
 * without walking slots that lived in the chunks already released (a
 * use-after-free ASan found with fuzz_eval) */
static void
test_spare_after_big_arena(void **state)
{
	char name[NAME_MAX_TEXT], host[NAME_MAX_TEXT], label[64];
	const struct mxspf_verdict *v;
	size_t d, h;

	(void)state;
	memset(label, 'h', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	zone_txt("example.com", "v=spf1 mx:d1.example.com mx:d2.example.com "
	    "mx:d3.example.com mx:d4.example.com mx:d5.example.com "
	    "mx:d6.example.com mx:d7.example.com mx:d8.example.com "
	    "mx:d9.example.com -all");
	for (d = 1; d <= 9; d++) {
		(void)snprintf(name, sizeof(name), "d%zu.example.com", d);
		for (h = 0; h < 10; h++) {
			(void)snprintf(host, sizeof(host), "%s.%s.%s.x%zu.d%zu."
			    "example.com", label, label, label, h, d);
			zone_mx(name, (unsigned)h, host);
			zone_addr(host, "198.51.100.7");
		}
	}
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_int_equal(v->dns_terms, 9);
	/* teardown: mxspf_eval_free (kept as a spare), mxspf_ctx_free */
}

/* test_mx_limit_config - cfg.max_mx_names is honoured */
static void
test_mx_limit_config(void **state)
{
	struct mxspf_config cfg;
	const struct mxspf_verdict *v;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.max_mx_names = 2;
	zone_txt("example.com", "v=spf1 mx -all");
	mx_names(3, "m1.example.com");
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_string_equal(v->problem, "example.com has 3 MX records, more "
	    "than 2 (RFC 7208 4.6.4)");
}

/* ptr_names - n PTR names p1..pn for 192.0.2.3, each with an A */
static void
ptr_names(size_t n, const char *match_name)
{
	char name[64];
	size_t i;

	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "p%zu.example.com", i);
		zone_ptr("3.2.0.192.in-addr.arpa", name);
		zone_addr(name, strcmp(name, match_name) == 0 ? "192.0.2.3" :
		    "198.51.100.9");
	}
}

/* test_ptr_first_ten - of 11 PTR names only the first 10 are validated
 * (s4.6.4: the rest are ignored, no permerror) */
static void
test_ptr_first_ten(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 ptr -all");
	ptr_names(11, "p11.example.com");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_int_equal(logged(MXSPF_RR_PTR, "3.2.0.192.in-addr.arpa"), 1);
	assert_int_equal(logged(MXSPF_RR_A, "p10.example.com"), 1);
	assert_int_equal(logged(MXSPF_RR_A, "p11.example.com"), 0);
	assert_int_equal(v->queries, 12);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 ptr -all");
	ptr_names(11, "p10.example.com");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->mechanism, "ptr");
}

/* test_ptr_ipv6 - the ip6.arpa name, AAAA validation, ptr:domain */
static void
test_ptr_ipv6(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 ptr:other.example -ptr:example.com "
	    "+all");
	zone_ptr("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1."
	    "0.0.2.ip6.arpa", "mx.example.com");
	zone_addr("mx.example.com", "2001:db8::cb01");
	v = check(NULL, "2001:db8::cb01", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->mechanism, "-ptr:example.com");
	assert_int_equal(logged(MXSPF_RR_AAAA, "mx.example.com"), 1);
	assert_int_equal(logged(MXSPF_RR_A, "mx.example.com"), 0);
}

/* test_include_loop - a record that includes itself ends in permerror at
 * the 11th term; with a higher term limit the frame depth stops it */
static void
test_include_loop(void **state)
{
	struct mxspf_config cfg;
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 include:example.com -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_int_equal(v->dns_terms, 11);
	assert_int_equal(v->queries, 1);	/* one TXT, shared */
	teardown(NULL);
	setup(NULL);
	mxspf_config_init(&cfg);
	cfg.max_dns_terms = 1000;
	zone_txt("example.com", "v=spf1 include:example.com -all");
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_string_equal(v->problem,
	    "include/redirect nesting deeper than 12");
	/* A redirect loop reuses its frame: only the term limit ends it. */
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 redirect=example.com");
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_LIMIT);
	assert_int_equal(v->dns_terms, 1001);
}

/* test_long_record - TXT text over 8192 bytes is selected but refused by
 * the parser: permerror, not a cut record that might pass */
static void
test_long_record(void **state)
{
	static char text[9001];
	const struct mxspf_verdict *v;
	size_t i;

	(void)state;
	memcpy(text, "v=spf1 +all x=", 14);
	for (i = 14; i < sizeof(text) - 1; i++)
		text[i] = 'y';
	text[sizeof(text) - 1] = '\0';
	zone_txt("example.com", text);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_SYNTAX);
	assert_string_equal(v->problem, "syntax error in the record of "
	    "example.com: record longer than 8192 bytes");
}

/* ---- verdicts ---------------------------------------------------------- */

/* test_verdict_mechanism - the matched term as written, its offset and
 * the domain of its record */
static void
test_verdict_mechanism(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com",
	    "v=spf1 -ip4:10.0.0.0/8   ~A:Mail.Example.COM/24 -all");
	zone_addr("Mail.Example.COM", "192.0.2.77");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_SOFTFAIL);
	assert_int_equal(v->reason, MXSPF_WHY_MECHANISM);
	assert_string_equal(v->mechanism, "~A:Mail.Example.COM/24");
	assert_int_equal(v->mech_offset, 25);
	assert_string_equal(v->mech_domain, "example.com");
	assert_null(v->explanation);
	assert_null(v->problem);
	assert_int_equal(v->dns_terms, 1);
}

/* test_verdict_include - a match inside an include reports the include
 * term of the top record */
static void
test_verdict_include(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 ip4:10.0.0.1 include:i.example.com "
	    "-all");
	zone_txt("i.example.com", "v=spf1 ?ip4:10.0.0.2 ip4:192.0.2.3 -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->mechanism, "include:i.example.com");
	assert_int_equal(v->mech_offset, 20);
	assert_string_equal(v->mech_domain, "example.com");
	assert_string_equal(v->domain, "example.com");
	assert_int_equal(v->dns_terms, 1);
}

/* test_include_results - s5.2: pass matches; fail, softfail and neutral
 * do not; errors propagate */
static void
test_include_results(void **state)
{
	static const struct {
		const char *child;
		enum mxspf_result want;
	} cases[] = {
		{ "v=spf1 +all", MXSPF_PASS },
		{ "v=spf1 -all", MXSPF_SOFTFAIL },
		{ "v=spf1 ~all", MXSPF_SOFTFAIL },
		{ "v=spf1 ?all", MXSPF_SOFTFAIL },
		{ "v=spf1", MXSPF_SOFTFAIL },
		{ "v=spf1 a/33", MXSPF_PERMERROR },
		{ "v=spf1 include:none.example.com", MXSPF_PERMERROR },
	};
	const struct mxspf_verdict *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(NULL);
		zone_txt("example.com", "v=spf1 include:i.example.com ~all");
		zone_txt("i.example.com", cases[i].child);
		v = check(NULL, "192.0.2.3", "user@example.com");
		if (v->result != cases[i].want)
			fail_msg("'%s': %s", cases[i].child,
			    mxspf_result_name(v->result));
		teardown(NULL);
	}
}

/* test_verdict_redirect - after redirect= the new record decides; the
 * domain stays the identity's, mech_domain is the redirect target */
static void
test_verdict_redirect(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 ip4:10.0.0.1 redirect=r.example.com");
	zone_txt("r.example.com", "v=spf1 ?ip4:192.0.2.0/24 -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_NEUTRAL);
	assert_int_equal(v->reason, MXSPF_WHY_MECHANISM);
	assert_string_equal(v->mechanism, "?ip4:192.0.2.0/24");
	assert_int_equal(v->mech_offset, 7);
	assert_string_equal(v->mech_domain, "r.example.com");
	assert_string_equal(v->domain, "example.com");
	assert_int_equal(v->dns_terms, 1);
	/* Nothing matches in the target: its default, neutral. */
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 redirect=r.example.com");
	zone_txt("r.example.com", "v=spf1 ip4:10.0.0.9");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_NEUTRAL);
	assert_int_equal(v->reason, MXSPF_WHY_DEFAULT);
	assert_null(v->mechanism);
	assert_null(v->mech_domain);
}

/* test_verdict_default - no match and no redirect: neutral, default */
static void
test_verdict_default(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 ip4:10.0.0.1");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_NEUTRAL);
	assert_int_equal(v->reason, MXSPF_WHY_DEFAULT);
	assert_null(v->mechanism);
	assert_null(v->problem);
	assert_null(v->explanation);
}

/* test_verdict_syntax - problem text and error offset of a bad record */
static void
test_verdict_syntax(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 a/33 -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_SYNTAX);
	assert_string_equal(v->problem, "syntax error in the record of "
	    "example.com: invalid CIDR length in 'a/33' at offset 9");
	assert_int_equal(v->mech_offset, 9);
	assert_null(v->mechanism);
	assert_null(v->explanation);
	assert_int_equal(v->dns_terms, 0);
}

/* test_none_and_multiple - no record, other TXT only, two records */
static void
test_none_and_multiple(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_NONE);
	assert_int_equal(v->reason, MXSPF_WHY_NO_RECORD);
	assert_string_equal(v->problem, "no SPF record");
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "google-site-verification=abc");
	zone_txt("example.com", "v=spf10 -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_NONE);
	assert_int_equal(v->reason, MXSPF_WHY_NO_RECORD);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 -all");
	zone_txt("example.com", "V=SPF1 +all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_MULTIPLE);
	assert_string_equal(v->problem, "example.com has 2 SPF records");
}

/* test_include_redirect_none - targets without a record are permerror
 * with their own reasons */
static void
test_include_redirect_none(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 include:i.example.com -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_INCLUDE_NONE);
	assert_string_equal(v->problem,
	    "include target i.example.com has no SPF record");
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 redirect=r.example.com");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PERMERROR);
	assert_int_equal(v->reason, MXSPF_WHY_REDIRECT_NONE);
	assert_string_equal(v->problem,
	    "redirect target r.example.com has no SPF record");
}

/* test_bad_domain - a single-label or empty domain is none, with no
 * query at all */
static void
test_bad_domain(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	v = check(NULL, "192.0.2.3", "user@localhost");
	assert_int_equal(v->result, MXSPF_NONE);
	assert_int_equal(v->reason, MXSPF_WHY_BAD_DOMAIN);
	assert_string_equal(v->problem, "invalid domain");
	assert_int_equal(v->queries, 0);
	assert_int_equal(nlog, 0);
	teardown(NULL);
	setup(NULL);
	v = check(NULL, "192.0.2.3", "user@");
	assert_int_equal(v->result, MXSPF_NONE);
	assert_int_equal(v->reason, MXSPF_WHY_BAD_DOMAIN);
}

/* ---- explanations ------------------------------------------------------ */

/* test_explanation_exp - exp= is fetched and expanded on fail */
static void
test_explanation_exp(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 -all exp=explain.%{d}");
	zone_txt("explain.example.com",
	    "%{i} is not one of %{d}'s designated mail servers.");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->explanation, "192.0.2.3 is not one of "
	    "example.com's designated mail servers.");
	assert_int_equal(logged(MXSPF_RR_TXT, "explain.example.com"), 1);
	/* The exp= lookup is not a DNS-querying term. */
	assert_int_equal(v->dns_terms, 0);
	assert_int_equal(v->queries, 2);
}

/* test_explanation_default - the built-in text when exp= is absent, and
 * cfg.default_exp when configured */
static void
test_explanation_default(void **state)
{
	struct mxspf_config cfg;
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 -all");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->explanation,
	    "example.com does not designate 192.0.2.3 as a permitted sender");
	teardown(NULL);
	setup(NULL);
	mxspf_config_init(&cfg);
	cfg.default_exp = "See http://%{d}/why?s=%{S}&ip=%{C} (%{r})";
	cfg.receiver = "mx.receiver.example";
	zone_txt("example.com", "v=spf1 -all");
	v = check(&cfg, "2001:db8::1", "a+b@example.com");
	assert_string_equal(v->explanation, "See http://example.com/why?"
	    "s=a%2Bb%40example.com&ip=2001%3Adb8%3A%3A1 (mx.receiver.example)");
	/* No explanation for other results. */
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 ~all exp=e.example.com");
	zone_txt("e.example.com", "text");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_SOFTFAIL);
	assert_null(v->explanation);
	assert_int_equal(logged(MXSPF_RR_TXT, "e.example.com"), 0);
}

/* test_explanation_fallbacks - s6.2: any problem with exp= falls back to
 * the default explanation, never to an error */
static void
test_explanation_fallbacks(void **state)
{
	static const char *const texts[][2] = {
		{ "nx", NULL },			/* NXDOMAIN */
		{ "two", "one" },		/* two records */
		{ "bad", "100% bad" },		/* syntax error */
		{ "ctl", "a\x01z" },		/* control byte */
		{ "hi", "caf\xc3\xa9" },	/* non-ASCII */
	};
	const struct mxspf_verdict *v;
	char exp[64], rec[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		setup(NULL);
		snprintf(exp, sizeof(exp), "%s.example.com", texts[i][0]);
		snprintf(rec, sizeof(rec), "v=spf1 -all exp=%s", exp);
		zone_txt("example.com", rec);
		if (texts[i][1] != NULL)
			zone_txt(exp, texts[i][1]);
		if (strcmp(texts[i][0], "two") == 0)
			zone_txt(exp, "two");
		v = check(NULL, "192.0.2.3", "user@example.com");
		assert_int_equal(v->result, MXSPF_FAIL);
		if (strcmp(v->explanation, "example.com does not designate "
		    "192.0.2.3 as a permitted sender") != 0)
			fail_msg("%s: '%s'", exp, v->explanation);
		teardown(NULL);
	}
	/* A TIMEOUT on the exp= lookup is no temperror either. */
	setup(NULL);
	zone_txt("example.com", "v=spf1 -all exp=t.example.com");
	zone_fail("t.example.com", MXSPF_RR_TXT, K_TIMEOUT);
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->explanation, "example.com does not designate "
	    "192.0.2.3 as a permitted sender");
}

/* test_explanation_scope - s6.2: redirect uses the target's exp= and not
 * the original's; an include's exp= is never used */
static void
test_explanation_scope(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 exp=orig.example.com "
	    "redirect=r.example.com");
	zone_txt("r.example.com", "v=spf1 -all exp=target.example.com");
	zone_txt("orig.example.com", "original");
	zone_txt("target.example.com", "from %{d} for %{o}");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->explanation,
	    "from r.example.com for example.com");
	assert_int_equal(logged(MXSPF_RR_TXT, "orig.example.com"), 0);
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 include:i.example.com -all");
	zone_txt("i.example.com", "v=spf1 -all exp=inc.example.com");
	zone_txt("inc.example.com", "included");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->explanation, "example.com does not designate "
	    "192.0.2.3 as a permitted sender");
	assert_int_equal(logged(MXSPF_RR_TXT, "inc.example.com"), 0);
}

/* test_explanation_exp_letters - c, r, t and p in an explanation */
static void
test_explanation_exp_letters(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_request req = request("192.0.2.3",
	    "strong-bad@example.com", "mail.example.org");
	const struct mxspf_verdict *v;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.receiver = "rcv.example.net";
	zone_txt("example.com", "v=spf1 -all exp=e.example.com");
	zone_txt("e.example.com", "%{c} %{r} %{t} %{p} %{l-} %{h}");
	zone_ptr("3.2.0.192.in-addr.arpa", "host.example.com");
	zone_addr("host.example.com", "192.0.2.3");
	req.now = 1700000000;
	start(&cfg, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_string_equal(v->explanation, "192.0.2.3 rcv.example.net "
	    "1700000000 host.example.com strong.bad mail.example.org");
	/* %{p} needed a PTR lookup, which is not a DNS term. */
	assert_int_equal(v->dns_terms, 0);
	assert_int_equal(logged(MXSPF_RR_PTR, "3.2.0.192.in-addr.arpa"), 1);
}

/* ---- identities --------------------------------------------------------- */

/* test_helo_identity - the HELO check: domain and identity are the HELO
 * name, the sender is postmaster@helo */
static void
test_helo_identity(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "Mail.Example.ORG");
	const struct mxspf_verdict *v;

	(void)state;
	req.identity = MXSPF_ID_HELO;
	zone_txt("mail.example.org", "v=spf1 -all exp=e.example.org");
	zone_txt("e.example.org", "%{s} %{l} %{o} %{d} %{h}");
	start(NULL, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_FAIL);
	assert_string_equal(v->identity, "Mail.Example.ORG");
	assert_string_equal(v->domain, "Mail.Example.ORG");
	assert_string_equal(v->explanation, "postmaster@Mail.Example.ORG "
	    "postmaster Mail.Example.ORG Mail.Example.ORG Mail.Example.ORG");
	assert_string_equal(qlog[0].name, "Mail.Example.ORG");
	assert_int_equal(logged(MXSPF_RR_TXT, "example.com"), 0);
}

/* test_null_sender - an empty or absent MAIL FROM checks
 * postmaster@helo (s2.4) */
static void
test_null_sender(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "", "mail.example.org");
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("mail.example.org", "v=spf1 ip4:192.0.2.3 -all");
	start(NULL, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->identity, "postmaster@mail.example.org");
	assert_string_equal(v->domain, "mail.example.org");
	teardown(NULL);
	setup(NULL);
	zone_txt("mail.example.org", "v=spf1 ip4:192.0.2.3 -all");
	req.sender = NULL;
	start(NULL, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_string_equal(v->identity, "postmaster@mail.example.org");
	/* No HELO either: nothing valid to check. */
	teardown(NULL);
	setup(NULL);
	req.helo = NULL;
	start(NULL, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_NONE);
	assert_int_equal(v->reason, MXSPF_WHY_BAD_DOMAIN);
}

/* test_sender_forms - a missing local-part is postmaster (s4.3); the
 * last '@' splits; a trailing dot is not queried */
static void
test_sender_forms(void **state)
{
	static const char *const cases[][3] = {
		/* sender, %{s}, %{l}|%{o} */
		{ "@example.com", "postmaster@example.com",
		    "postmaster|example.com" },
		{ "example.com", "postmaster@example.com",
		    "postmaster|example.com" },
		{ "\"a@b\"@example.com", "\"a@b\"@example.com",
		    "\"a@b\"|example.com" },
		{ "user@example.com.", "user@example.com.",
		    "user|example.com." },
	};
	const struct mxspf_verdict *v;
	char want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(NULL);
		zone_txt("example.com", "v=spf1 -all exp=e.example.com");
		zone_txt("e.example.com", "%{s} %{l}|%{o}");
		v = check(NULL, "192.0.2.3", cases[i][0]);
		snprintf(want, sizeof(want), "%s %s", cases[i][1],
		    cases[i][2]);
		assert_int_equal(v->result, MXSPF_FAIL);
		assert_string_equal(v->explanation, want);
		assert_string_equal(v->identity, cases[i][0]);
		assert_string_equal(qlog[0].name, "example.com");
		teardown(NULL);
	}
}

/* test_mapped_client - ::ffff:a.b.c.d parsed by mxspf_addr_parse is an
 * IPv4 client: ip4 matches, A (not AAAA) is asked */
static void
test_mapped_client(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 -ip6:::/0 a:h.example.com -all");
	zone_addr("h.example.com", "192.0.2.3");
	v = check(NULL, "::ffff:192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->mechanism, "a:h.example.com");
	assert_int_equal(logged(MXSPF_RR_A, "h.example.com"), 1);
	assert_int_equal(logged(MXSPF_RR_AAAA, "h.example.com"), 0);
}

/* test_mapped_client_raw - SUSPECTED BUG (lib/eval.c, mxspf_eval_new):
 * a request whose client is family 6 holding ::ffff:192.0.2.3 (what a
 * daemon gets from a dual-stack socket's sockaddr_in6) is evaluated as
 * IPv6: ip4: never matches, "a" asks for AAAA, %{v} is "ip6".  RFC 7208
 * s5: "clients on IPv6 networks can connect to IPv6 servers using
 * IPv4-mapped IPv6 addresses.  In such cases, the client's IPv4 address
 * MUST be evaluated."  Only mxspf_addr_parse() maps today.  Expected:
 * pass by ip4:192.0.2.3.  Was: fail (-all).  Fixed; kept as its
 * regression test. */
static void
test_mapped_client_raw(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	const struct mxspf_verdict *v;

	(void)state;
	memset(&req.client, 0, sizeof(req.client));
	req.client.family = 6;
	req.client.b[10] = 0xff;
	req.client.b[11] = 0xff;
	req.client.b[12] = 192;
	req.client.b[13] = 0;
	req.client.b[14] = 2;
	req.client.b[15] = 3;
	zone_txt("example.com", "v=spf1 ip4:192.0.2.3 -all");
	start(NULL, &req);
	assert_int_equal(drive(g_ev, FORWARD), MXSPF_STEP_DONE);
	v = mxspf_eval_verdict(g_ev);
	assert_int_equal(v->result, MXSPF_PASS);
}

/* test_ipv6_client - an IPv6 client: a and mx ask for AAAA, exists for
 * A, CIDR lengths use the IPv6 part */
static void
test_ipv6_client(void **state)
{
	const struct mxspf_verdict *v;

	(void)state;
	zone_txt("example.com", "v=spf1 exists:%{ir}.x.example.com "
	    "a:h.example.com/0//64 -all");
	zone_addr("h.example.com", "2001:db8::ffff");
	v = check(NULL, "2001:db8::cb01", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(v->mechanism, "a:h.example.com/0//64");
	assert_int_equal(logged(MXSPF_RR_A, "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.x.example.com"), 1);
	assert_int_equal(logged(MXSPF_RR_AAAA, "h.example.com"), 1);
	assert_int_equal(logged(MXSPF_RR_A, "h.example.com"), 0);
	assert_int_equal(v->void_lookups, 1);
}

/* test_eval_new_einval - bad requests are refused up front */
static void
test_eval_new_einval(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	char big[MXSPF_MAX_IDENTITY + 2];
	struct mxspf_eval *ev = (struct mxspf_eval *)&req;

	(void)state;
	assert_int_equal(mxspf_ctx_new(&g_ctx, NULL), 0);
	assert_int_equal(mxspf_eval_new(&ev, NULL, &req), MXSPF_EINVAL);
	assert_null(ev);
	assert_int_equal(mxspf_eval_new(&ev, g_ctx, NULL), MXSPF_EINVAL);
	req.client.family = 0;
	assert_int_equal(mxspf_eval_new(&ev, g_ctx, &req), MXSPF_EINVAL);
	req.client.family = 5;
	assert_int_equal(mxspf_eval_new(&ev, g_ctx, &req), MXSPF_EINVAL);
	req.client.family = 4;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	req.helo = big;
	/* A HELO that long is refused when it is the identity... */
	req.identity = MXSPF_ID_HELO;
	assert_int_equal(mxspf_eval_new(&ev, g_ctx, &req), MXSPF_EINVAL);
	assert_null(ev);
	/* ...and kept (cut, for %{h}) when MAIL FROM is checked. */
	req.identity = MXSPF_ID_MAILFROM;
	assert_int_equal(mxspf_eval_new(&ev, g_ctx, &req), 0);
	mxspf_eval_free(ev);
	ev = NULL;
	req.helo = "mail.example.org";
	req.sender = big;
	assert_int_equal(mxspf_eval_new(&ev, g_ctx, &req), MXSPF_EINVAL);
	assert_null(ev);
	/* 1024 bytes is the most that is accepted. */
	big[sizeof(big) - 2] = '\0';
	assert_int_equal(mxspf_eval_new(&g_ev, g_ctx, &req), 0);
}

/* sync_resolver - an mxspf_resolve_fn answering from the test zone */
static void
sync_resolver(void *arg, struct mxspf_eval *ev, const struct mxspf_query *q)
{
	struct mxspf_answer ans;

	(*(size_t *)arg)++;
	zone_lookup(q->name, q->type, &ans);
	assert_int_equal(mxspf_eval_answer(ev, q->id, &ans), 0);
}

/* lazy_resolver - a broken resolver that never answers */
static void
lazy_resolver(void *arg, struct mxspf_eval *ev, const struct mxspf_query *q)
{
	(void)ev;
	(void)q;
	(*(size_t *)arg)++;
}

/* test_eval_run - the synchronous runner; a resolver that does not
 * answer ends the evaluation with the deadline temperror */
static void
test_eval_run(void **state)
{
	struct mxspf_request req = request("192.0.2.3", "user@example.com",
	    "mail.example.org");
	size_t calls = 0;

	(void)state;
	zone_txt("example.com", "v=spf1 mx:example.com -all");
	zone_mx("example.com", 10, "mx.example.com");
	zone_addr("mx.example.com", "192.0.2.3");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_run(g_ev, sync_resolver, &calls), 0);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_PASS);
	assert_int_equal(calls, 3);
	teardown(NULL);
	setup(NULL);
	calls = 0;
	zone_txt("example.com", "v=spf1 -all");
	start(NULL, &req);
	assert_int_equal(mxspf_eval_run(g_ev, lazy_resolver, &calls), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(mxspf_eval_verdict(g_ev)->result, MXSPF_TEMPERROR);
	assert_int_equal(mxspf_eval_verdict(g_ev)->reason, MXSPF_WHY_DEADLINE);
}

/* ---- the trace --------------------------------------------------------- */

/* test_trace - empty without cfg.trace; with it, one line per query and
 * answer and the result */
static void
test_trace(void **state)
{
	struct mxspf_config cfg;
	const struct mxspf_verdict *v;
	const char *t;

	(void)state;
	zone_txt("example.com", "v=spf1 a:h.example.com -all");
	zone_addr("h.example.com", "192.0.2.3");
	v = check(NULL, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	assert_string_equal(mxspf_eval_trace(g_ev), "");
	teardown(NULL);
	setup(NULL);
	zone_txt("example.com", "v=spf1 a:h.example.com -all");
	zone_addr("h.example.com", "192.0.2.3");
	mxspf_config_init(&cfg);
	cfg.trace = true;
	v = check(&cfg, "192.0.2.3", "user@example.com");
	assert_int_equal(v->result, MXSPF_PASS);
	t = mxspf_eval_trace(g_ev);
	assert_non_null(strstr(t, "query #1 TXT example.com\n"));
	assert_non_null(strstr(t, "query #2 A h.example.com"));
	assert_non_null(strstr(t, "answer #1 TXT example.com: NOERROR, "
	    "1 record(s)\n"));
	assert_non_null(strstr(t, "answer #2 A h.example.com: NOERROR, "
	    "1 record(s)\n"));
	assert_non_null(strstr(t, "result: pass (mechanism)\n"));
	assert_non_null(strstr(t,
	    "counts: dns-terms=1 void-lookups=0 queries=2\n"));
	assert_true(strstr(t, "query #1") < strstr(t, "answer #1"));
	assert_int_equal(t[strlen(t) - 1], '\n');
}

/* test_trace_speculative - prefetched queries are marked */
static void
test_trace_speculative(void **state)
{
	struct mxspf_config cfg;
	const char *t;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.trace = true;
	zone_txt("example.com", "v=spf1 a:h1.example.com a:h2.example.com "
	    "-all");
	(void)check(&cfg, "192.0.2.3", "user@example.com");
	t = mxspf_eval_trace(g_ev);
	assert_non_null(strstr(t, "A h2.example.com (speculative)\n"));
}

/* ---- allocation failures ----------------------------------------------- */

/* full_zone - a scenario that exercises most paths */
static void
full_zone(void)
{
	zone_txt("example.com", "v=spf1 ip4:10.0.0.0/8 include:i.example.com "
	    "mx:m.example.com ptr:example.net exists:%{ir}.%{l1r-}.x.%{d} "
	    "a:%{p}.y.example.com -all exp=e.%{d}");
	zone_txt("i.example.com", "v=spf1 a:ia.example.com "
	    "redirect=r.example.com");
	zone_txt("r.example.com", "v=spf1 ?a:ra.example.com/24");
	zone_addr("ia.example.com", "198.51.100.1");
	zone_addr("ra.example.com", "198.51.100.2");
	zone_mx("m.example.com", 10, "mx1.example.com");
	zone_mx("m.example.com", 20, "mx2.example.com");
	zone_addr("mx1.example.com", "198.51.100.3");
	zone_ptr("3.2.0.192.in-addr.arpa", "host.example.org");
	zone_ptr("3.2.0.192.in-addr.arpa", "bad.example.org");
	zone_addr("host.example.org", "192.0.2.3");
	zone_txt("e.example.com", "%{c} is not allowed for %{s} (%{p})");
}

/* full_run - one evaluation of full_zone() with allocation fail_at and
 * later failing ((size_t)-1: none); ENOMEM at any call ends it.  The
 * context is made before the hook is armed (its own allocation failures
 * are tested in test_ctx.c).  @return 0 with the outputs set, or
 * MXSPF_ENOMEM */
static int
full_run(size_t fail_at, bool trace, enum mxspf_result *res, char *exp,
    size_t explen, size_t *queries)
{
	struct mxspf_config cfg;
	struct mxspf_request req = request("192.0.2.3",
	    "strong-bad@example.com", "mail.example.org");
	struct mxspf_ctx *ctx = NULL;
	struct mxspf_eval *ev = NULL;
	const struct mxspf_verdict *v;
	int rc, guard;

	mxspf_config_init(&cfg);
	cfg.trace = trace;
	cfg.default_exp = "default %{o}";
	cfg.receiver = "rcv.example.net";
	nlog = 0;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	mxspf__alloc_fail_after(fail_at);
	rc = mxspf_eval_new(&ev, ctx, &req);
	if (rc != 0) {
		mxspf__alloc_fail_after((size_t)-1);
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_null(ev);
		mxspf_ctx_free(ctx);
		return rc;
	}
	for (guard = 0; guard < 1000; guard++) {
		size_t first = nlog, i, n;

		rc = mxspf_eval_step(ev);
		if (rc != MXSPF_STEP_QUERY)
			break;
		n = take(ev);
		for (i = 0; i < n && rc == MXSPF_STEP_QUERY; i++) {
			int arc = answer_log(ev, first + i);

			if (arc != 0) {
				assert_int_equal(arc, MXSPF_ENOMEM);
				rc = arc;
			}
		}
		if (rc != MXSPF_STEP_QUERY)
			break;
	}
	mxspf__alloc_fail_after((size_t)-1);
	assert_true(guard < 1000);
	if (rc == MXSPF_ENOMEM) {
		/* Sticky: the evaluation stays failed. */
		assert_int_equal(mxspf_eval_step(ev), MXSPF_ENOMEM);
	} else {
		assert_int_equal(rc, MXSPF_STEP_DONE);
		v = mxspf_eval_verdict(ev);
		*res = v->result;
		snprintf(exp, explen, "%s", v->explanation != NULL ?
		    v->explanation : "(null)");
		*queries = v->queries;
		rc = 0;
	}
	mxspf_eval_free(ev);
	mxspf_ctx_free(ctx);
	return rc;
}

/* test_enomem_loop - fail allocation n for n = 0, 1, ...: every run
 * either reports MXSPF_ENOMEM or completes with the verdict of a run
 * without failures (the sanitizer build proves there is no leak) */
static void
test_enomem_loop(void **state)
{
	enum mxspf_result ref_res, res;
	char ref_exp[512], exp[512];
	size_t ref_q, q, n, nomem = 0, done = 0, wrong = 0;

	(void)state;
	full_zone();
	assert_int_equal(full_run((size_t)-1, true, &ref_res, ref_exp,
	    sizeof(ref_exp), &ref_q), 0);
	assert_int_equal(ref_res, MXSPF_FAIL);
	assert_string_equal(ref_exp,
	    "192.0.2.3 is not allowed for strong-bad@example.com "
	    "(host.example.org)");
	for (n = 0; n < 300; n++) {
		int rc;

		rc = full_run(n, true, &res, exp, sizeof(exp), &q);
		if (rc == MXSPF_ENOMEM) {
			nomem++;
			continue;
		}
		done++;
		if (res != ref_res || strcmp(exp, ref_exp) != 0 ||
		    q != ref_q) {
			print_message("n=%zu: %s '%s' %zu queries\n", n,
			    mxspf_result_name(res), exp, q);
			wrong++;
		}
	}
	assert_true(nomem > 10);
	assert_true(done > 0);
	assert_int_equal(wrong, 0);
}

/* test_enomem_masked - BUG (lib/macro.c mxspf__macro_expand with
 * lib/eval.c expand): when growing the macro expander's scratch buffers
 * (ev->scratch, used for the letter value and its transformation) fails,
 * mxspf__macro_expand() returns -1 like for an invalid macro, and
 * expand() only sets MXSPF_ENOMEM when the output buffer ev->tmp failed.
 * The target is then taken for an invalid name and the mechanism simply
 * does not match.  Record "v=spf1 a:foo.example.com
 * a:%{d}.x.example.com" with example.com.x.example.com A 192.0.2.3:
 * expected pass (or MXSPF_ENOMEM); when the allocation of either scratch
 * buffer fails (ev->tmp already has room from the first term) the
 * evaluation completed with neutral (default) and no error.  Fixed;
 * kept as its regression test. */
static void
test_enomem_masked(void **state)
{
	enum mxspf_result res;
	char exp[512];
	size_t q, n, wrong = 0, nomem = 0;

	(void)state;
	zone_txt("example.com", "v=spf1 a:foo.example.com "
	    "a:%{d}.x.example.com");
	zone_addr("foo.example.com", "198.51.100.1");
	zone_addr("example.com.x.example.com", "192.0.2.3");
	assert_int_equal(full_run((size_t)-1, false, &res, exp, sizeof(exp),
	    &q), 0);
	assert_int_equal(res, MXSPF_PASS);
	for (n = 0; n < 40; n++) {
		if (full_run(n, false, &res, exp, sizeof(exp), &q) != 0) {
			nomem++;
			continue;
		}
		if (res != MXSPF_PASS) {
			print_message("fail_after(%zu): %s\n", n,
			    mxspf_result_name(res));
			wrong++;
		}
	}
	assert_true(nomem > 0);
	assert_int_equal(wrong, 0);
}

/* ---- reuse of evaluation objects, literals, the record cache ---------- */

/* new_ctx - g_ctx with tracing on or off and a record cache of cache */
static void
new_ctx(bool trace, size_t cache)
{
	struct mxspf_config cfg;

	mxspf_config_init(&cfg);
	cfg.trace = trace;
	cfg.record_cache_size = cache;
	assert_int_equal(mxspf_ctx_new(&g_ctx, &cfg), 0);
}

/* run_one - a synchronous evaluation of sender for 192.0.2.3 from g_ctx;
 * it is left in *evp for the caller to free */
static const struct mxspf_verdict *
run_one(const char *sender, enum mxspf_result want, struct mxspf_eval **evp)
{
	struct mxspf_request req = request("192.0.2.3", sender,
	    "mail.example.org");
	const struct mxspf_verdict *v;
	size_t calls = 0;

	assert_int_equal(mxspf_eval_new(evp, g_ctx, &req), 0);
	assert_int_equal(mxspf_eval_run(*evp, sync_resolver, &calls), 0);
	v = mxspf_eval_verdict(*evp);
	assert_int_equal(v->result, want);
	return v;
}

/* result_of - run_one(), freeing the evaluation at once */
static void
result_of(const char *sender, enum mxspf_result want)
{
	struct mxspf_eval *ev;

	(void)run_one(sender, want, &ev);
	mxspf_eval_free(ev);
}

/* test_reuse_clean - a context reuses freed evaluations: nothing of an
 * earlier verdict, trace or count shows in a later one, and evaluations
 * alive at the same time stay apart */
static void
test_reuse_clean(void **state)
{
	const struct mxspf_verdict *v, *w;
	struct mxspf_eval *a, *b;
	const char *t;

	(void)state;
	zone_txt("fail.example", "v=spf1 a:h.fail.example -all "
	    "exp=e.fail.example");
	zone_addr("h.fail.example", "192.0.2.9");
	zone_txt("e.fail.example", "bad %{o}");
	zone_txt("bad.example", "v=spf1 ip4:1.2.3.4/33 -all");
	zone_txt("pass.example", "v=spf1 +all");
	new_ctx(true, MXSPF_DEFAULT_CACHE);
	v = run_one("u@fail.example", MXSPF_FAIL, &a);
	assert_string_equal(v->explanation, "bad fail.example");
	assert_string_equal(v->mechanism, "-all");
	assert_int_equal(v->queries, 3);
	mxspf_eval_free(a);
	v = run_one("u@none.example", MXSPF_NONE, &a);
	assert_null(v->mechanism);
	assert_null(v->mech_domain);
	assert_null(v->explanation);
	assert_string_equal(v->problem, "no SPF record");
	assert_int_equal(v->queries, 1);
	assert_int_equal(v->dns_terms, 0);
	t = mxspf_eval_trace(a);
	assert_int_equal(strncmp(t, "check_host(", 11), 0);
	assert_null(strstr(t, "fail.example"));
	mxspf_eval_free(a);
	v = run_one("u@bad.example", MXSPF_PERMERROR, &a);
	assert_non_null(strstr(v->problem, "invalid CIDR length"));
	assert_int_equal(v->mech_offset, 19);
	mxspf_eval_free(a);
	/* Two at once (both from the context's spares), freed in turn. */
	v = run_one("u@pass.example", MXSPF_PASS, &a);
	w = run_one("u@fail.example", MXSPF_FAIL, &b);
	assert_null(v->problem);
	assert_null(v->explanation);
	assert_string_equal(v->mechanism, "+all");
	assert_string_equal(v->mech_domain, "pass.example");
	assert_int_equal(v->mech_offset, 7);
	assert_string_equal(w->explanation, "bad fail.example");
	mxspf_eval_free(a);
	assert_string_equal(mxspf_eval_verdict(b)->domain, "fail.example");
	mxspf_eval_free(b);
}

/* test_literals_one_slot_cache - literal include and redirect targets
 * (kept in the parsed record) stay valid when a one-record cache drops
 * their record: a redirect copies its target before it lets the record
 * go, an include keeps its record while the included one runs */
static void
test_literals_one_slot_cache(void **state)
{
	const struct mxspf_verdict *v;
	struct mxspf_eval *a;
	size_t round;

	(void)state;
	zone_txt("example.com", "v=spf1 include:inc.example.com "
	    "redirect=Red.Example.COM.");
	zone_txt("inc.example.com", "v=spf1 include:inc2.example.com -all");
	zone_txt("inc2.example.com", "v=spf1 ip4:198.51.100.0/24 ?all");
	zone_txt("red.example.com", "v=spf1 a:h.red.example.com -all");
	zone_addr("h.red.example.com", "192.0.2.3");
	new_ctx(false, 1);
	for (round = 0; round < 3; round++) {
		v = run_one("u@example.com", MXSPF_PASS, &a);
		assert_string_equal(v->mechanism, "a:h.red.example.com");
		assert_string_equal(v->mech_domain, "Red.Example.COM.");
		assert_int_equal(v->dns_terms, 4);
		mxspf_eval_free(a);
	}
}

/* test_rdata_same_address - RDATA fed again at the same address with
 * other bytes gives the new record, never the cached one (the cache's
 * address hint is checked against the bytes) */
static void
test_rdata_same_address(void **state)
{
	(void)state;
	new_ctx(false, MXSPF_DEFAULT_CACHE);
	zone_txt("example.com", "v=spf1 -all");
	result_of("u@example.com", MXSPF_FAIL);
	result_of("u@example.com", MXSPF_FAIL);	/* the hint's hit */
	zone_reset();	/* the same zone[0].rd, same length, other text */
	zone_txt("example.com", "v=spf1 +all");
	result_of("u@example.com", MXSPF_PASS);
	zone_reset();	/* split into two strings at the same address */
	zone_raw("example.com", MXSPF_RR_TXT, "\x05v=spf\x06" "1 ?all",
	    13);
	result_of("u@example.com", MXSPF_NEUTRAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_pass_ip4),
		T(test_queries_handed_once),
		T(test_answers_reverse_order),
		T(test_reverse_driver_same_verdict),
		T(test_answer_unknown_id),
		T(test_timeout_txt),
		T(test_timeout_a),
		T(test_bad_status),
		T(test_malformed),
		T(test_nul_in_txt),
		T(test_abort),
		T(test_speculative_budget),
		T(test_nonspeculative_one_at_a_time),
		T(test_speculative_nested_budget),
		T(test_dns_term_limit),
		T(test_dns_term_limit_redirect),
		T(test_dns_term_limit_config),
		T(test_void_limit),
		T(test_void_limit_empty_answer),
		T(test_void_limit_config),
		T(test_mx_limit),
		T(test_mx_limit_config),
		T(test_spare_after_big_arena),
		T(test_ptr_first_ten),
		T(test_ptr_ipv6),
		T(test_include_loop),
		T(test_long_record),
		T(test_verdict_mechanism),
		T(test_verdict_include),
		T(test_include_results),
		T(test_verdict_redirect),
		T(test_verdict_default),
		T(test_verdict_syntax),
		T(test_none_and_multiple),
		T(test_include_redirect_none),
		T(test_bad_domain),
		T(test_explanation_exp),
		T(test_explanation_default),
		T(test_explanation_fallbacks),
		T(test_explanation_scope),
		T(test_explanation_exp_letters),
		T(test_helo_identity),
		T(test_null_sender),
		T(test_sender_forms),
		T(test_mapped_client),
		T(test_mapped_client_raw),
		T(test_ipv6_client),
		T(test_eval_new_einval),
		T(test_eval_run),
		T(test_trace),
		T(test_trace_speculative),
		T(test_enomem_loop),
		T(test_enomem_masked),
		T(test_reuse_clean),
		T(test_literals_one_slot_cache),
		T(test_rdata_same_address),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
