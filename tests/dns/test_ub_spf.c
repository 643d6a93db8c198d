/* tests/dns/test_ub_spf.c - whole SPF evaluations through the libunbound
 * driver against a real nsd (tests/dns/zones/dns.test.zone).
 *
 * Owns: the table of SPF cases the test zone is built for.  Each case is
 * checked through the sync driver (mxspf_eval_run + mxspf_ub_resolve) with
 * a stub and a forwarder set-up, and through the async driver with many
 * evaluations at once; eval_stop and a dead server give temperror.
 * Must not: query anything but loopback.  Run under tests/dns/nsd.sh.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mxspf/mxspf.h"
#include "mxspf/unbound.h"
#include "dnstest.h"

#define NEVAL 200		/* concurrent evaluations */
#define DEADLINE 20.0		/* seconds any one wait may take */
#define DEAD_DEADLINE 15.0	/* a dead server must give up by then */

struct spf_case {
	const char *ip;
	const char *sender;	/* NULL: check the HELO identity */
	const char *helo;
	enum mxspf_result want;
	bool reverse;		/* needs reverse zones (forwarder only) */
	const char *explanation;	/* fail: the expected text, or NULL */
};

static const struct spf_case cases[] = {
	{ "192.0.2.5", "u@spf-pass.dns.test", NULL, MXSPF_PASS, false,
	    NULL },
	{ "198.51.100.1", "u@spf-pass.dns.test", NULL, MXSPF_FAIL, false,
	    NULL },
	{ "192.0.2.1", "u@spf-inc.dns.test", NULL, MXSPF_PASS, false, NULL },
	{ "192.0.2.10", "u@spf-inc.dns.test", NULL, MXSPF_PASS, false,
	    NULL },
	{ "2001:db8::5", "u@spf-inc.dns.test", NULL, MXSPF_PASS, false,
	    NULL },
	{ "198.51.100.1", "u@spf-inc.dns.test", NULL, MXSPF_FAIL, false,
	    NULL },
	{ "192.0.2.10", "u@spf-mx.dns.test", NULL, MXSPF_PASS, false, NULL },
	{ "192.0.2.20", "u@spf-mx.dns.test", NULL, MXSPF_FAIL, false, NULL },
	{ "192.0.2.1", "u@spf-ptr.dns.test", NULL, MXSPF_PASS, true, NULL },
	{ "192.0.2.2", "u@spf-ptr.dns.test", NULL, MXSPF_FAIL, true, NULL },
	{ "2001:db8::1", "u@spf-ptr.dns.test", NULL, MXSPF_PASS, true,
	    NULL },
	{ "192.0.2.5", "u@spf-redirect.dns.test", NULL, MXSPF_PASS, false,
	    NULL },
	{ "198.51.100.1", "u@spf-redirect.dns.test", NULL, MXSPF_FAIL, false,
	    NULL },
	{ "192.0.2.5", "u@spf-multi.dns.test", NULL, MXSPF_PERMERROR, false,
	    NULL },
	{ "192.0.2.5", "u@spf-syntax.dns.test", NULL, MXSPF_PERMERROR, false,
	    NULL },
	{ "192.0.2.77", "u@spf-long.dns.test", NULL, MXSPF_PASS, false,
	    NULL },
	{ "10.0.0.5", "u@spf-long.dns.test", NULL, MXSPF_PASS, false, NULL },
	{ "198.51.100.1", "u@spf-long.dns.test", NULL, MXSPF_FAIL, false,
	    NULL },
	{ "192.0.2.99", "u@spf-exp.dns.test", NULL, MXSPF_FAIL, false,
	    "denied 192.0.2.99" },
	{ "192.0.2.5", "u@nodata.dns.test", NULL, MXSPF_NONE, false, NULL },
	{ "192.0.2.5", "u@nope.dns.test", NULL, MXSPF_NONE, false, NULL },
	{ "192.0.2.5", "u@spf-inc-none.dns.test", NULL, MXSPF_PERMERROR,
	    false, NULL },
	{ "192.0.2.5", "u@spf-void.dns.test", NULL, MXSPF_PERMERROR, false,
	    NULL },
	{ "192.0.2.5", "u@spf-alias.dns.test", NULL, MXSPF_PASS, false,
	    NULL },
	{ "192.0.2.5", NULL, "spf-pass.dns.test", MXSPF_PASS, false, NULL },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct mxspf_ctx *ctx;

/* case_eval - a new evaluation for case c */
static struct mxspf_eval *
case_eval(const struct spf_case *c)
{
	struct mxspf_request req;
	struct mxspf_eval *ev;

	memset(&req, 0, sizeof(req));
	assert_int_equal(mxspf_addr_parse(c->ip, &req.client), 0);
	req.sender = c->sender;
	req.helo = c->helo != NULL ? c->helo : "helo.dns.test";
	req.identity = c->sender != NULL ? MXSPF_ID_MAILFROM : MXSPF_ID_HELO;
	assert_int_equal(mxspf_eval_new(&ev, ctx, &req), 0);
	return ev;
}

/* case_ok - is ev's verdict what c expects?  Explains on stderr. */
static bool
case_ok(const struct spf_case *c, const struct mxspf_eval *ev)
{
	const struct mxspf_verdict *v = mxspf_eval_verdict(ev);

	if (v == NULL || v->result != c->want) {
		fprintf(stderr, "%s from %s: %s (%s: %s), want %s\n",
		    c->sender != NULL ? c->sender : c->helo, c->ip,
		    v != NULL ? mxspf_result_name(v->result) : "no verdict",
		    v != NULL ? mxspf_reason_name(v->reason) : "",
		    v != NULL && v->problem != NULL ? v->problem : "",
		    mxspf_result_name(c->want));
		return false;
	}
	if (c->explanation != NULL && (v->explanation == NULL ||
	    strcmp(v->explanation, c->explanation) != 0)) {
		fprintf(stderr, "%s: explanation \"%s\", want \"%s\"\n",
		    c->sender, v->explanation != NULL ? v->explanation : "",
		    c->explanation);
		return false;
	}
	return true;
}

/* sync_cases - every case through mxspf_eval_run + mxspf_ub_resolve */
static void
sync_cases(enum dt_setup setup)
{
	struct mxspf_ub *ub = dt_ub_new(setup);
	size_t i, bad = 0, run = 0;

	for (i = 0; i < NCASES; i++) {
		struct mxspf_eval *ev;

		if (cases[i].reverse && setup == DT_STUB)
			continue;
		ev = case_eval(&cases[i]);
		assert_int_equal(mxspf_eval_run(ev, mxspf_ub_resolve, ub), 0);
		if (!case_ok(&cases[i], ev))
			bad++;
		run++;
		mxspf_eval_free(ev);
	}
	assert_int_equal(bad, 0);
	assert_true(run >= NCASES - 3);
	mxspf_ub_free(ub);
}

static void
test_sync_stub(void **state)
{
	(void)state;
	sync_cases(DT_STUB);
}

static void
test_sync_fwd(void **state)
{
	(void)state;
	sync_cases(DT_FWD);
}

/* One async evaluation. */
struct aeval {
	const struct spf_case *c;
	size_t *finished;
	size_t *bad;
	int ndone;
	bool keep;		/* done leaves ev to the test */
	struct mxspf_eval *ev;
};

/* aeval_done - check the verdict, then free the evaluation from inside
 * the callback (unless the test wants it) */
static void
aeval_done(void *arg, struct mxspf_eval *ev, int err)
{
	struct aeval *a = arg;

	assert_ptr_equal(ev, a->ev);
	a->ndone++;
	if (err != 0 || !case_ok(a->c, ev))
		(*a->bad)++;
	(*a->finished)++;
	if (!a->keep) {
		mxspf_eval_free(ev);
		a->ev = NULL;
	}
}

struct reach {
	const size_t *counter;
	size_t want;
};

/* reached - *counter >= want */
static bool
reached(void *arg)
{
	const struct reach *r = arg;

	return *r->counter >= r->want;
}

/* async_many - NEVAL evaluations at once, every case many times */
static void
async_many(bool speculative)
{
	static struct aeval evs[NEVAL];
	struct mxspf_ub *ub = dt_ub_new(DT_FWD);
	struct mxspf_ctx *saved = ctx;
	struct mxspf_config cfg;
	size_t i, finished = 0, bad = 0;
	struct reach r;
	double t0;

	if (speculative) {
		mxspf_config_init(&cfg);
		cfg.speculative = true;
		assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	}
	t0 = dt_now();
	for (i = 0; i < NEVAL; i++) {
		evs[i].c = &cases[i % NCASES];
		evs[i].finished = &finished;
		evs[i].bad = &bad;
		evs[i].ndone = 0;
		evs[i].keep = false;
		evs[i].ev = case_eval(evs[i].c);
		assert_int_equal(mxspf_ub_eval_start(ub, evs[i].ev,
		    aeval_done, &evs[i]), 0);
	}
	r.counter = &finished;
	r.want = NEVAL;
	assert_true(dt_run(ub, reached, &r, DEADLINE));
	fprintf(stderr, "%d evaluations%s in %.2f s\n", NEVAL,
	    speculative ? " (speculative)" : "", dt_now() - t0);
	for (i = 0; i < NEVAL; i++)
		assert_int_equal(evs[i].ndone, 1);
	assert_int_equal(bad, 0);
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_free(ub);
	if (speculative) {
		mxspf_ctx_free(ctx);
		ctx = saved;
	}
}

static void
test_async_many(void **state)
{
	(void)state;
	async_many(false);
}

static void
test_async_many_speculative(void **state)
{
	(void)state;
	async_many(true);
}

/* test_stop_temperror - an evaluation stuck on a dead server is stopped:
 * done fires inside mxspf_ub_eval_stop with temperror; a live one on the
 * same resolver is not disturbed */
/* cached_pass - every forward case once to warm the caches, then again:
 * returns how many of the second runs finished inside
 * mxspf_ub_eval_start (answered from mxspf's cache, no round trip to
 * unbound's thread); every verdict must be right both times */
static size_t
cached_pass(bool cache)
{
	static struct aeval evs[NCASES];
	struct mxspf_ub *ub = dt_ub_new_cache(DT_FWD, cache);
	size_t i, round, finished, bad = 0, at_once = 0, before;
	struct reach r;

	for (round = 0; round < 2; round++) {
		finished = 0;
		for (i = 0; i < NCASES; i++) {
			evs[i].c = &cases[i];
			evs[i].finished = &finished;
			evs[i].bad = &bad;
			evs[i].ndone = 0;
			evs[i].keep = false;
			evs[i].ev = case_eval(evs[i].c);
			before = finished;
			assert_int_equal(mxspf_ub_eval_start(ub, evs[i].ev,
			    aeval_done, &evs[i]), 0);
			if (round == 1 && finished > before)
				at_once++;
		}
		r.counter = &finished;
		r.want = NCASES;
		assert_true(dt_run(ub, reached, &r, DEADLINE));
	}
	assert_int_equal(bad, 0);
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_free(ub);
	return at_once;
}

/* test_answer_cache - with the cache a repeated evaluation needs no round
 * trip at all; without it, none finishes inside the call */
static void
test_answer_cache(void **state)
{
	size_t on, off;

	(void)state;
	on = cached_pass(true);
	off = cached_pass(false);
	fprintf(stderr, "answered at once: %zu of %zu with the cache, %zu "
	    "without\n", on, NCASES, off);
	assert_int_equal(on, NCASES);
	assert_int_equal(off, 0);
}

static void
test_stop_temperror(void **state)
{
	static const struct spf_case dead = {
		"192.0.2.5", "u@stuck.dead.test", NULL, MXSPF_TEMPERROR,
		false, NULL
	};
	struct mxspf_ub *ub = dt_ub_new(DT_SPLIT);
	struct aeval a = { &dead, NULL, NULL, 0, true, NULL };
	struct aeval live = { &cases[2], NULL, NULL, 0, true, NULL };
	size_t finished = 0, bad = 0;
	const struct mxspf_verdict *v;
	struct reach r;

	(void)state;
	a.finished = live.finished = &finished;
	a.bad = live.bad = &bad;
	a.ev = case_eval(a.c);
	live.ev = case_eval(live.c);
	assert_int_equal(mxspf_ub_eval_start(ub, a.ev, aeval_done, &a), 0);
	assert_int_equal(mxspf_ub_eval_start(ub, live.ev, aeval_done, &live),
	    0);
	r.counter = &finished;
	r.want = 1;
	assert_true(dt_run(ub, reached, &r, DEADLINE));
	assert_int_equal(live.ndone, 1);
	assert_int_equal(a.ndone, 0);
	assert_true(mxspf_ub_pending(ub) >= 1);
	mxspf_ub_eval_stop(ub, a.ev);
	assert_int_equal(a.ndone, 1);
	assert_int_equal(bad, 0);
	v = mxspf_eval_verdict(a.ev);
	assert_non_null(v);
	assert_int_equal(v->result, MXSPF_TEMPERROR);
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_eval_stop(ub, a.ev);	/* not driven any more: no-op */
	assert_int_equal(a.ndone, 1);
	mxspf_eval_free(a.ev);
	mxspf_eval_free(live.ev);
	mxspf_ub_free(ub);
}

/* test_dead_temperror - with no server answering, sync and async
 * evaluations end in temperror by themselves, in bounded time */
static void
test_dead_temperror(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_DEAD);
	static const struct spf_case dead = {
		"192.0.2.5", "u@spf-pass.dns.test", NULL, MXSPF_TEMPERROR,
		false, NULL
	};
	struct aeval a = { &dead, NULL, NULL, 0, true, NULL };
	size_t finished = 0, bad = 0;
	struct mxspf_eval *ev;
	struct reach r;
	double t0;

	(void)state;
	t0 = dt_now();
	a.finished = &finished;
	a.bad = &bad;
	a.ev = case_eval(a.c);
	assert_int_equal(mxspf_ub_eval_start(ub, a.ev, aeval_done, &a), 0);
	r.counter = &finished;
	r.want = 1;
	assert_true(dt_run(ub, reached, &r, DEAD_DEADLINE));
	assert_int_equal(bad, 0);
	fprintf(stderr, "dead server, async: temperror after %.1f s\n",
	    dt_now() - t0);
	mxspf_eval_free(a.ev);
	mxspf_ub_free(ub);

	ub = dt_ub_new(DT_DEAD);
	t0 = dt_now();
	ev = case_eval(&dead);
	assert_int_equal(mxspf_eval_run(ev, mxspf_ub_resolve, ub), 0);
	assert_true(case_ok(&dead, ev));
	assert_true(dt_now() - t0 < DEAD_DEADLINE);
	fprintf(stderr, "dead server, sync: temperror after %.1f s\n",
	    dt_now() - t0);
	mxspf_eval_free(ev);
	mxspf_ub_free(ub);
}

/* setup - one context for all the evaluations */
static int
setup(void **state)
{
	(void)state;
	return mxspf_ctx_new(&ctx, NULL) == 0 ? 0 : -1;
}

/* teardown - free the context */
static int
teardown(void **state)
{
	(void)state;
	mxspf_ctx_free(ctx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_stub),
		cmocka_unit_test(test_sync_fwd),
		cmocka_unit_test(test_async_many),
		cmocka_unit_test(test_async_many_speculative),
		cmocka_unit_test(test_answer_cache),
		cmocka_unit_test(test_stop_temperror),
		cmocka_unit_test(test_dead_temperror),
	};

	dt_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
