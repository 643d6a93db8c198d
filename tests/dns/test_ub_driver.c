/* tests/dns/test_ub_driver.c - lib/dns_unbound.c against a real nsd.
 *
 * Owns: a scripted stand-in for the evaluator (struct mxspf_eval below:
 * rounds of queries with the answer each must get), so the driver is
 * tested on its own: answers of every type through the sync and the
 * async paths, NXDOMAIN vs NODATA, cancel, 200 concurrent evaluations,
 * speculative queries cancelled at the end, eval_stop, a dead server,
 * allocation failures, configuration errors.  The real evaluator is
 * exercised by test_ub_spf.c.
 * Must not: link lib/eval.c (this file defines the mxspf_eval_* calls the
 * driver uses).  Run under tests/dns/nsd.sh.
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
#include "internal.h"

#define NEVAL 200		/* concurrent evaluations */
#define FQ_MAX 8		/* queries of one scripted evaluation */
#define DEADLINE 15.0		/* seconds any one wait may take */
#define DEAD_DEADLINE 12.0	/* a dead server must fail by then */

/* ---- what the test server holds (tests/dns/zones) ---- */

struct rd {
	const char *p;
	size_t len;
};
#define RD(s) { s, sizeof(s) - 1 }

struct expect {
	const char *name;
	uint16_t type;
	enum mxspf_dns_status status;
	size_t count;		/* OK: records; each of rd[] must be one */
	struct rd rd[2];
	uint32_t ttl;		/* nonzero: the TTL (minus a little) */
	bool reverse;		/* in a reverse zone: not under the stub */
};

static char long_txt[2 + 200 + 150];

static struct expect expects[] = {
	{ "txt.dns.test", MXSPF_RR_TXT, MXSPF_DNS_OK, 1,
	    { RD("\007v=spf1 \004-all") }, 0, false },
	{ "long.dns.test", MXSPF_RR_TXT, MXSPF_DNS_OK, 1,
	    { { long_txt, sizeof(long_txt) } }, 0, false },
	{ "two.dns.test", MXSPF_RR_TXT, MXSPF_DNS_OK, 2,
	    { RD("\005first"), RD("\006second") }, 0, false },
	{ "mx.dns.test", MXSPF_RR_MX, MXSPF_DNS_OK, 2,
	    { RD("\000\012\005mail1\003dns\004test\000"),
	      RD("\000\024\005mail2\003dns\004test\000") }, 0, false },
	{ "a.dns.test", MXSPF_RR_A, MXSPF_DNS_OK, 2,
	    { RD("\300\000\002\001"), RD("\300\000\002\002") }, 0, false },
	{ "aaaa.dns.test", MXSPF_RR_AAAA, MXSPF_DNS_OK, 1,
	    { RD("\040\001\015\270\000\000\000\000"
		 "\000\000\000\000\000\000\000\001") }, 0, false },
	{ "mail2.dns.test", MXSPF_RR_AAAA, MXSPF_DNS_OK, 1,
	    { RD("\040\001\015\270\000\000\000\000"
		 "\000\000\000\000\000\000\000\040") }, 0, false },
	{ "alias.dns.test", MXSPF_RR_A, MXSPF_DNS_OK, 2,
	    { RD("\300\000\002\001"), RD("\300\000\002\002") }, 0, false },
	{ "ptr.dns.test", MXSPF_RR_PTR, MXSPF_DNS_OK, 1,
	    { RD("\001a\003dns\004test\000") }, 0, false },
	{ "ttl.dns.test", MXSPF_RR_TXT, MXSPF_DNS_OK, 1,
	    { RD("\003ttl") }, 1234, false },
	{ "a\\b.dns.test", MXSPF_RR_TXT, MXSPF_DNS_OK, 1,
	    { RD("\011backslash") }, 0, false },
	{ "sp ace.dns.test", MXSPF_RR_TXT, MXSPF_DNS_OK, 1,
	    { RD("\005space") }, 0, false },
	{ "nodata.dns.test", MXSPF_RR_TXT, MXSPF_DNS_NODATA, 0,
	    { { NULL, 0 } }, 0, false },
	{ "ent.dns.test", MXSPF_RR_A, MXSPF_DNS_NODATA, 0,
	    { { NULL, 0 } }, 0, false },
	{ "a.dns.test", MXSPF_RR_MX, MXSPF_DNS_NODATA, 0,
	    { { NULL, 0 } }, 0, false },
	{ "nope.dns.test", MXSPF_RR_TXT, MXSPF_DNS_NXDOMAIN, 0,
	    { { NULL, 0 } }, 0, false },
	{ "nope.dns.test", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN, 0,
	    { { NULL, 0 } }, 0, false },
	{ "deeper.nope.dns.test", MXSPF_RR_AAAA, MXSPF_DNS_NXDOMAIN, 0,
	    { { NULL, 0 } }, 0, false },
	{ "1.2.0.192.in-addr.arpa", MXSPF_RR_PTR, MXSPF_DNS_OK, 1,
	    { RD("\001a\003dns\004test\000") }, 0, true },
	{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	  "8.b.d.0.1.0.0.2.ip6.arpa", MXSPF_RR_PTR, MXSPF_DNS_OK, 1,
	    { RD("\004aaaa\003dns\004test\000") }, 0, true },
	{ "9.2.0.192.in-addr.arpa", MXSPF_RR_PTR, MXSPF_DNS_NXDOMAIN, 0,
	    { { NULL, 0 } }, 0, true },
};
#define NEXPECT (sizeof(expects) / sizeof(expects[0]))

/* st_name - a status for messages (the library's names live in a module
 * this test does not link) */
static const char *
st_name(enum mxspf_dns_status s)
{
	static const char *const names[] = {
		"OK", "NXDOMAIN", "NODATA", "SERVFAIL", "TIMEOUT"
	};

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const struct expect expect_servfail = {
	"", 0, MXSPF_DNS_SERVFAIL, 0, { { NULL, 0 } }, 0, false
};

/* answer_ok - does a match e?  Explains a mismatch on stderr. */
static bool
answer_ok(const struct expect *e, const struct mxspf_answer *a)
{
	size_t i, j;

	if (a->status != e->status) {
		fprintf(stderr, "%s/%u: status %s, want %s\n", e->name,
		    e->type, st_name(a->status),
		    st_name(e->status));
		return false;
	}
	if (e->status != MXSPF_DNS_OK)
		return true;
	if (a->count != e->count) {
		fprintf(stderr, "%s/%u: %zu records, want %zu\n", e->name,
		    e->type, a->count, e->count);
		return false;
	}
	for (i = 0; i < e->count && i < 2; i++) {
		for (j = 0; j < a->count; j++)
			if (a->rdlen[j] == e->rd[i].len &&
			    memcmp(a->rdata[j], e->rd[i].p, e->rd[i].len) == 0)
				break;
		if (j == a->count) {
			fprintf(stderr, "%s/%u: record %zu missing\n",
			    e->name, e->type, i);
			return false;
		}
	}
	if (e->ttl != 0 && (a->ttl > e->ttl || a->ttl + 60 < e->ttl)) {
		fprintf(stderr, "%s/%u: ttl %u, want %u\n", e->name,
		    e->type, a->ttl, e->ttl);
		return false;
	}
	return true;
}

/* ---- a scripted evaluator ---- */

struct fake_q {
	struct mxspf_query q;
	const struct expect *e;
	int round;
	bool spec;		/* speculative: not needed to finish */
	bool handed;
	bool answered;
};

struct mxspf_eval {
	struct fake_q qs[FQ_MAX];
	size_t nq;
	int round;
	int nrounds;
	bool stuck;		/* asks for answers but hands out nothing */
	bool aborted;
	size_t good;
	size_t bad;
	/* done callback bookkeeping */
	int ndone;
	int done_err;
	bool free_in_done;
	size_t *finished;	/* counter bumped by done */
};

/* fake_new - an empty scripted evaluation */
static struct mxspf_eval *
fake_new(void)
{
	struct mxspf_eval *ev = calloc(1, sizeof(*ev));

	assert_non_null(ev);
	return ev;
}

/* fake_add - add a query for e in round (spec: not needed to finish) */
static void
fake_add(struct mxspf_eval *ev, const struct expect *e, const char *name,
    uint16_t type, int round, bool spec)
{
	struct fake_q *fq;

	assert_true(ev->nq < FQ_MAX);
	fq = &ev->qs[ev->nq];
	fq->q.id = (uint32_t)(ev->nq + 100);
	fq->q.name = name != NULL ? name : e->name;
	fq->q.type = type != 0 ? type : e->type;
	fq->e = e;
	fq->round = round;
	fq->spec = spec;
	ev->nq++;
	if (round + 1 > ev->nrounds)
		ev->nrounds = round + 1;
}

int
mxspf_eval_step(struct mxspf_eval *ev)
{
	size_t i;

	if (ev->aborted)
		return MXSPF_STEP_DONE;
	if (ev->stuck)
		return MXSPF_STEP_QUERY;
	while (ev->round < ev->nrounds) {
		for (i = 0; i < ev->nq; i++)
			if (ev->qs[i].round == ev->round && !ev->qs[i].spec &&
			    !ev->qs[i].answered)
				return MXSPF_STEP_QUERY;
		ev->round++;
	}
	return MXSPF_STEP_DONE;
}

const struct mxspf_query *
mxspf_eval_next_query(struct mxspf_eval *ev)
{
	size_t i;

	for (i = 0; i < ev->nq; i++) {
		if (ev->qs[i].round == ev->round && !ev->qs[i].handed &&
		    !ev->stuck) {
			ev->qs[i].handed = true;
			return &ev->qs[i].q;
		}
	}
	return NULL;
}

int
mxspf_eval_answer(struct mxspf_eval *ev, uint32_t id,
    const struct mxspf_answer *a)
{
	struct fake_q *fq;

	if (id < 100 || id - 100 >= ev->nq)
		return MXSPF_ENOENT;
	fq = &ev->qs[id - 100];
	if (!fq->handed || fq->answered) {
		ev->bad++;
		return MXSPF_ENOENT;
	}
	fq->answered = true;
	if (answer_ok(fq->e, a))
		ev->good++;
	else
		ev->bad++;
	return 0;
}

void
mxspf_eval_abort(struct mxspf_eval *ev)
{
	ev->aborted = true;
}

/* fake_ops_* - the fake evaluator as a struct mxspf_machine_ops */
static int
fake_ops_step(void *obj)
{
	return mxspf_eval_step(obj);
}

static const struct mxspf_query *
fake_ops_next(void *obj)
{
	return mxspf_eval_next_query(obj);
}

static int
fake_ops_answer(void *obj, uint32_t id, const struct mxspf_answer *a)
{
	return mxspf_eval_answer(obj, id, a);
}

static void
fake_ops_abort(void *obj)
{
	mxspf_eval_abort(obj);
}

const struct mxspf_machine_ops mxspf_eval_ops = {
	fake_ops_step, fake_ops_next, fake_ops_answer, fake_ops_abort
};

/* fake_done - done callback: record, and free ev when asked to */
static void
fake_done(void *arg, struct mxspf_eval *ev, int err)
{
	assert_ptr_equal(arg, ev);
	ev->ndone++;
	ev->done_err = err;
	if (ev->finished != NULL)
		(*ev->finished)++;
	if (ev->free_in_done) {
		/* Poison first: a driver that still used ev would trip. */
		memset(ev, 0xa5, sizeof(*ev));
		free(ev);
	}
}

/* ---- conditions for dt_run ---- */

/* size_reached - *arg[0] >= arg[1] */
struct reach {
	const size_t *counter;
	size_t want;
};

static bool
reached(void *arg)
{
	const struct reach *r = arg;

	return *r->counter >= r->want;
}

/* no_pending - the resolver has nothing in flight */
static bool
no_pending(void *arg)
{
	return mxspf_ub_pending(arg) == 0;
}

/* ---- tests ---- */

/* test_config_errors - bad settings fail mxspf_ub_new with a message */
static void
test_config_errors(void **state)
{
	const char *bad_fwd[] = { "not-an-address" };
	const char *bad_opt[] = { "no-such-option:", "1", NULL };
	const char *half_opt[] = { "verbosity:", NULL };
	struct mxspf_ub_config cfg;
	struct mxspf_ub *ub;
	char err[256];

	(void)state;
	mxspf_ub_config_init(&cfg);
	cfg.forwarders = bad_fwd;
	cfg.nforwarders = 1;
	assert_int_equal(mxspf_ub_new(&ub, &cfg, err, sizeof(err)),
	    MXSPF_EDNS);
	assert_null(ub);
	assert_non_null(strstr(err, "not-an-address"));

	mxspf_ub_config_init(&cfg);
	cfg.resolvconf = "";
	cfg.options = bad_opt;
	assert_int_equal(mxspf_ub_new(&ub, &cfg, err, sizeof(err)),
	    MXSPF_EDNS);
	assert_non_null(strstr(err, "no-such-option"));

	cfg.options = half_opt;
	assert_int_equal(mxspf_ub_new(&ub, &cfg, NULL, 0), MXSPF_EDNS);

	mxspf_ub_config_init(&cfg);
	cfg.stub_zone = "dns.test";
	assert_int_equal(mxspf_ub_new(&ub, &cfg, err, sizeof(err)),
	    MXSPF_EDNS);

	mxspf_ub_config_init(&cfg);
	cfg.resolvconf = "/nonexistent/resolv.conf";
	assert_int_equal(mxspf_ub_new(&ub, &cfg, err, 8), MXSPF_EDNS);
	assert_true(strlen(err) < 8);

	/* "" means full recursion: nothing to read, nothing to fail. */
	mxspf_ub_config_init(&cfg);
	cfg.resolvconf = "";
	assert_int_equal(mxspf_ub_new(&ub, &cfg, err, sizeof(err)), 0);
	assert_true(mxspf_ub_fd(ub) >= 0);
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_free(ub);
	mxspf_ub_free(NULL);
}

/* never_cb - a callback that must not run */
static void
never_cb(void *arg, const struct mxspf_answer *a)
{
	(void)arg;
	(void)a;
	fail_msg("callback after mxspf_ub_free");
}

/* test_trust_anchor_error - an unreadable trust anchor fails
 * mxspf_ub_new (the driver finalizes unbound's set-up there) */
static void
test_trust_anchor_error(void **state)
{
	struct mxspf_ub_config cfg;
	struct mxspf_ub *ub;
	char err[256];

	(void)state;
	mxspf_ub_config_init(&cfg);
	cfg.resolvconf = "";
	cfg.trust_anchor_file = "/nonexistent/root.key";
	assert_int_equal(mxspf_ub_new(&ub, &cfg, err, sizeof(err)),
	    MXSPF_EDNS);
	assert_null(ub);
	assert_non_null(strstr(err, "/nonexistent/root.key"));
}

/* sync_types - every expectation through mxspf_ub_resolve */
static void
sync_types(enum dt_setup setup)
{
	struct mxspf_ub *ub = dt_ub_new(setup);
	size_t i, bad = 0;

	for (i = 0; i < NEXPECT; i++) {
		struct mxspf_eval *ev;

		if (expects[i].reverse && setup == DT_STUB)
			continue;
		ev = fake_new();
		fake_add(ev, &expects[i], NULL, 0, 0, false);
		assert_non_null(mxspf_eval_next_query(ev));
		mxspf_ub_resolve(ub, ev, &ev->qs[0].q);
		if (ev->good != 1) {
			fprintf(stderr, "sync: %s failed\n", expects[i].name);
			bad++;
		}
		free(ev);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_free(ub);
}

static void
test_sync_types_stub(void **state)
{
	(void)state;
	sync_types(DT_STUB);
}

static void
test_sync_types_fwd(void **state)
{
	(void)state;
	sync_types(DT_FWD);
}

struct aslot {
	const struct expect *e;
	int id;
	size_t *answered;
	size_t *bad;
};

/* aslot_cb - answer of one async query */
static void
aslot_cb(void *arg, const struct mxspf_answer *a)
{
	struct aslot *s = arg;

	if (!answer_ok(s->e, a))
		(*s->bad)++;
	(*s->answered)++;
}

/* async_types - every expectation through mxspf_ub_query, all at once */
static void
async_types(enum dt_setup setup)
{
	struct mxspf_ub *ub = dt_ub_new(setup);
	struct aslot slots[NEXPECT];
	size_t i, n = 0, answered = 0, bad = 0;
	struct reach r;
	int fd;

	fd = mxspf_ub_fd(ub);
	assert_true(fd >= 0);
	for (i = 0; i < NEXPECT; i++) {
		if (expects[i].reverse && setup == DT_STUB)
			continue;
		slots[n].e = &expects[i];
		slots[n].answered = &answered;
		slots[n].bad = &bad;
		assert_int_equal(mxspf_ub_query(ub, expects[i].name,
		    expects[i].type, aslot_cb, &slots[n], &slots[n].id), 0);
		n++;
	}
	assert_int_equal(mxspf_ub_pending(ub), n);
	assert_int_equal(answered, 0);	/* never from inside the call */
	r.counter = &answered;
	r.want = n;
	assert_true(dt_run(ub, reached, &r, DEADLINE));
	assert_int_equal(answered, n);
	assert_int_equal(bad, 0);
	assert_int_equal(mxspf_ub_pending(ub), 0);
	assert_int_equal(mxspf_ub_fd(ub), fd);
	mxspf_ub_free(ub);
}

static void
test_async_types_stub(void **state)
{
	(void)state;
	async_types(DT_STUB);
}

static void
test_async_types_fwd(void **state)
{
	(void)state;
	async_types(DT_FWD);
}

/* ---- cancel ---- */

#define NCANCEL 20

enum cstate { C_FLIGHT, C_CANCELLED, C_ANSWERED };

struct cslot {
	struct mxspf_ub *ub;
	struct cslot *all;	/* the array, for cancelling from a callback */
	int id;
	enum cstate st;
	size_t *answered;
	bool *cancelled_from_cb;
};

/* cslot_cb - fails the test for a cancelled query; the first answer
 * cancels every even query still in flight */
static void
cslot_cb(void *arg, const struct mxspf_answer *a)
{
	struct cslot *s = arg;
	size_t i;

	(void)a;
	assert_int_equal(s->st, C_FLIGHT);
	s->st = C_ANSWERED;
	(*s->answered)++;
	if (*s->cancelled_from_cb)
		return;
	*s->cancelled_from_cb = true;
	for (i = 0; i < NCANCEL; i += 2) {
		if (s->all[i].st == C_FLIGHT) {
			mxspf_ub_cancel(s->ub, s->all[i].id);
			s->all[i].st = C_CANCELLED;
		}
	}
}

/* test_cancel - cancelled queries never call back, from outside and
 * from inside a callback; stale and unknown ids are harmless */
static void
test_cancel(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_STUB);
	struct cslot slots[NCANCEL];
	bool from_cb = false;
	size_t i, answered = 0, cancelled = 0;

	(void)state;
	for (i = 0; i < NCANCEL; i++) {
		const struct expect *e = &expects[i % 8];

		slots[i].ub = ub;
		slots[i].all = slots;
		slots[i].st = C_FLIGHT;
		slots[i].answered = &answered;
		slots[i].cancelled_from_cb = &from_cb;
		assert_int_equal(mxspf_ub_query(ub, e->name, e->type,
		    cslot_cb, &slots[i], &slots[i].id), 0);
	}
	for (i = 1; i < NCANCEL; i += 2) {
		mxspf_ub_cancel(ub, slots[i].id);
		slots[i].st = C_CANCELLED;
	}
	mxspf_ub_cancel(ub, slots[1].id);	/* twice */
	mxspf_ub_cancel(ub, -12345);		/* unknown */
	assert_int_equal(mxspf_ub_pending(ub), NCANCEL / 2);
	assert_true(dt_run(ub, no_pending, ub, DEADLINE));
	/* Late answers of cancelled queries must not surface. */
	dt_idle(ub, 0.5);
	for (i = 0; i < NCANCEL; i++) {
		assert_int_not_equal(slots[i].st, C_FLIGHT);
		if (slots[i].st == C_CANCELLED)
			cancelled++;
	}
	assert_true(from_cb);
	assert_int_equal(answered + cancelled, NCANCEL);
	assert_true(answered >= 1);
	mxspf_ub_cancel(ub, slots[0].id);	/* already delivered */
	mxspf_ub_free(ub);
}

/* test_free_in_flight - freeing with queries and evaluations in flight
 * runs no callback and leaks nothing */
static void
test_free_in_flight(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_SPLIT);
	struct mxspf_eval *ev = fake_new();
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(mxspf_ub_query(ub, expects[i].name,
		    expects[i].type, never_cb, NULL, NULL), 0);
	assert_int_equal(mxspf_ub_query(ub, "q.dead.test", MXSPF_RR_TXT,
	    never_cb, NULL, NULL), 0);
	fake_add(ev, &expect_servfail, "ev.dead.test", MXSPF_RR_TXT, 0,
	    false);
	fake_add(ev, &expects[0], NULL, 0, 0, false);
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev), 0);
	assert_int_equal(mxspf_ub_pending(ub), 13);
	mxspf_ub_free(ub);
	assert_int_equal(ev->ndone, 0);
	free(ev);
}

/* ---- evaluations ---- */

/* test_many_evals - NEVAL scripted evaluations at once, two rounds of
 * queries each; every answer right; done frees each evaluation */
static void
test_many_evals(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_FWD);
	struct mxspf_eval *evs[NEVAL];
	size_t i, finished = 0;
	struct reach r;

	(void)state;
	for (i = 0; i < NEVAL; i++) {
		struct mxspf_eval *ev = fake_new();

		fake_add(ev, &expects[i % NEXPECT], NULL, 0, 0, false);
		fake_add(ev, &expects[(i + 3) % NEXPECT], NULL, 0, 0, false);
		fake_add(ev, &expects[(i + 7) % NEXPECT], NULL, 0, 0, false);
		fake_add(ev, &expects[(i + 11) % NEXPECT], NULL, 0, 1, false);
		fake_add(ev, &expects[(i + 13) % NEXPECT], NULL, 0, 1, false);
		ev->finished = &finished;
		evs[i] = ev;
	}
	for (i = 0; i < NEVAL; i++)
		assert_int_equal(mxspf_ub_eval_start(ub, evs[i], fake_done,
		    evs[i]), 0);
	assert_int_equal(finished, 0);
	assert_int_equal(mxspf_ub_pending(ub), NEVAL * 3);
	r.counter = &finished;
	r.want = NEVAL;
	assert_true(dt_run(ub, reached, &r, DEADLINE));
	for (i = 0; i < NEVAL; i++) {
		assert_int_equal(evs[i]->ndone, 1);
		assert_int_equal(evs[i]->done_err, 0);
		assert_int_equal(evs[i]->bad, 0);
		assert_int_equal(evs[i]->good, 5);
		assert_false(evs[i]->aborted);
		free(evs[i]);
	}
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_free(ub);
}

/* test_done_frees_eval - done may free the evaluation at once */
static void
test_done_frees_eval(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_STUB);
	size_t i, finished = 0;
	struct reach r;

	(void)state;
	for (i = 0; i < 20; i++) {
		struct mxspf_eval *ev = fake_new();

		fake_add(ev, &expects[0], NULL, 0, 0, false);
		fake_add(ev, &expects[3], NULL, 0, 0, false);
		fake_add(ev, &expects[4], NULL, 0, 1, false);
		ev->finished = &finished;
		ev->free_in_done = true;
		assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev),
		    0);
	}
	r.counter = &finished;
	r.want = 20;
	assert_true(dt_run(ub, reached, &r, DEADLINE));
	assert_int_equal(mxspf_ub_pending(ub), 0);
	mxspf_ub_free(ub);
}

/* test_done_in_start - no query needed: done fires inside start */
static void
test_done_in_start(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_STUB);
	struct mxspf_eval *ev = fake_new();

	(void)state;
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev), 0);
	assert_int_equal(ev->ndone, 1);
	assert_int_equal(ev->done_err, 0);
	assert_int_equal(mxspf_ub_eval_start(NULL, ev, fake_done, ev),
	    MXSPF_EINVAL);
	assert_int_equal(ev->ndone, 1);
	free(ev);
	mxspf_ub_free(ub);
}

/* test_stuck_eval - an evaluator that waits for nothing is ended with
 * MXSPF_ESTATE instead of hanging */
static void
test_stuck_eval(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_STUB);
	struct mxspf_eval *ev = fake_new();

	(void)state;
	ev->stuck = true;
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev), 0);
	assert_int_equal(ev->ndone, 1);
	assert_int_equal(ev->done_err, MXSPF_ESTATE);
	free(ev);
	mxspf_ub_free(ub);
}

/* test_speculative_cancelled - a query still in flight when the
 * evaluation finishes is cancelled and never answered */
static void
test_speculative_cancelled(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_SPLIT);
	struct mxspf_eval *ev = fake_new();
	size_t finished = 0;
	struct reach r;

	(void)state;
	fake_add(ev, &expects[0], NULL, 0, 0, false);
	fake_add(ev, &expect_servfail, "spec.dead.test", MXSPF_RR_TXT, 0,
	    true);
	ev->finished = &finished;
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev), 0);
	assert_int_equal(mxspf_ub_pending(ub), 2);
	r.counter = &finished;
	r.want = 1;
	assert_true(dt_run(ub, reached, &r, DEADLINE));
	assert_int_equal(mxspf_ub_pending(ub), 0);
	assert_true(ev->qs[0].answered);
	assert_false(ev->qs[1].answered);
	dt_idle(ub, 0.3);
	assert_false(ev->qs[1].answered);
	assert_int_equal(ev->ndone, 1);
	assert_int_equal(ev->bad, 0);
	free(ev);
	mxspf_ub_free(ub);
}

/* test_eval_stop - stop cancels, aborts and calls done from inside; a
 * second stop, or one for an unknown evaluation, does nothing */
static void
test_eval_stop(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_SPLIT);
	struct mxspf_eval *ev = fake_new(), *ev2 = fake_new();
	struct mxspf_eval *other = fake_new();

	(void)state;
	fake_add(ev, &expect_servfail, "stop.dead.test", MXSPF_RR_TXT, 0,
	    false);
	fake_add(ev, &expects[0], NULL, 0, 0, false);
	fake_add(ev2, &expect_servfail, "stop2.dead.test", MXSPF_RR_TXT, 0,
	    false);
	ev2->free_in_done = true;
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev), 0);
	assert_int_equal(mxspf_ub_eval_start(ub, ev2, fake_done, ev2), 0);
	dt_idle(ub, 0.3);
	assert_int_equal(ev->ndone, 0);
	assert_true(ev->qs[1].answered);	/* the live one came back */
	assert_int_equal(mxspf_ub_pending(ub), 2);
	mxspf_ub_eval_stop(ub, ev);
	assert_int_equal(ev->ndone, 1);
	assert_int_equal(ev->done_err, 0);
	assert_true(ev->aborted);
	assert_int_equal(mxspf_ub_pending(ub), 1);
	mxspf_ub_eval_stop(ub, ev);
	assert_int_equal(ev->ndone, 1);
	mxspf_ub_eval_stop(ub, other);
	assert_false(other->aborted);
	mxspf_ub_eval_stop(ub, ev2);	/* done frees ev2 */
	assert_int_equal(mxspf_ub_pending(ub), 0);
	dt_idle(ub, 0.2);
	free(ev);
	free(other);
	mxspf_ub_free(ub);
}

/* ---- a server that does not answer ---- */

static bool
flag_set(void *arg)
{
	return *(bool *)arg;
}

struct dslot {
	bool done;
	enum mxspf_dns_status status;
};

/* dead_cb - record the status of the dead server's answer */
static void
dead_cb(void *arg, const struct mxspf_answer *a)
{
	struct dslot *d = arg;

	d->status = a->status;
	d->done = true;
}

/* test_dead_server - no answer gives SERVFAIL in bounded time, sync and
 * async (each on its own resolver: unbound remembers dead servers) */
static void
test_dead_server(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_DEAD);
	struct mxspf_eval *ev = fake_new();
	struct dslot d = { false, MXSPF_DNS_OK };
	double t0;

	(void)state;
	t0 = dt_now();
	assert_int_equal(mxspf_ub_query(ub, "a.dns.test", MXSPF_RR_A,
	    dead_cb, &d, NULL), 0);
	assert_true(dt_run(ub, flag_set, &d.done, DEAD_DEADLINE));
	assert_true(d.status == MXSPF_DNS_SERVFAIL ||
	    d.status == MXSPF_DNS_TIMEOUT);
	fprintf(stderr, "dead server, async: %s after %.1f s\n",
	    st_name(d.status), dt_now() - t0);
	mxspf_ub_free(ub);

	ub = dt_ub_new(DT_DEAD);
	t0 = dt_now();
	fake_add(ev, &expect_servfail, "txt.dns.test", MXSPF_RR_TXT, 0,
	    false);
	assert_non_null(mxspf_eval_next_query(ev));
	mxspf_ub_resolve(ub, ev, &ev->qs[0].q);
	assert_int_equal(ev->good, 1);
	assert_true(dt_now() - t0 < DEAD_DEADLINE);
	fprintf(stderr, "dead server, sync: SERVFAIL after %.1f s\n",
	    dt_now() - t0);
	free(ev);
	mxspf_ub_free(ub);
}

/* ---- names ---- */

/* test_bad_names - names that cannot be asked: refused by
 * mxspf_ub_query (no callback), SERVFAIL at once for an evaluation */
static void
test_bad_names(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_STUB);
	char label64[80], long254[300], long255[300];
	const char *bad[] = { "", ".", "a..dns.test", ".a.dns.test",
	    label64, long255 };
	struct dslot d = { false, MXSPF_DNS_OK };
	struct mxspf_eval *ev;
	size_t i;

	(void)state;
	memset(label64, 'x', 64);
	memcpy(label64 + 64, ".dns.test", sizeof(".dns.test"));
	/* 3 * (63 + 1) + 52 + 1 + 9 = 254 octets, with the final dot */
	memset(long254, 'y', sizeof(long254));
	long254[63] = long254[127] = long254[191] = long254[244] = '.';
	memcpy(long254 + 245, "dns.test.", sizeof("dns.test."));
	assert_int_equal(strlen(long254), 254);
	/* one octet more */
	memcpy(long255, long254, 244);
	memcpy(long255 + 244, "y.dns.test.", sizeof("y.dns.test."));
	assert_int_equal(strlen(long255), 255);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mxspf_ub_query(ub, bad[i], MXSPF_RR_TXT,
		    never_cb, NULL, NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_ub_pending(ub), 0);

	/* The longest name is legal (and does not exist). */
	assert_int_equal(mxspf_ub_query(ub, long254, MXSPF_RR_TXT, dead_cb,
	    &d, NULL), 0);
	assert_true(dt_run(ub, flag_set, &d.done, DEADLINE));
	assert_int_not_equal(d.status, MXSPF_DNS_OK);

	ev = fake_new();
	fake_add(ev, &expect_servfail, "a..dns.test", MXSPF_RR_TXT, 0,
	    false);
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev), 0);
	assert_int_equal(ev->ndone, 1);
	assert_int_equal(ev->good, 1);
	free(ev);

	ev = fake_new();
	fake_add(ev, &expect_servfail, "a..dns.test", MXSPF_RR_TXT, 0,
	    false);
	assert_non_null(mxspf_eval_next_query(ev));
	mxspf_ub_resolve(ub, ev, &ev->qs[0].q);
	assert_int_equal(ev->good, 1);
	free(ev);
	mxspf_ub_free(ub);
}

/* ---- out of memory ---- */

/* test_enomem - failed allocations: calls that fail never call back;
 * a query the driver cannot start or map is answered SERVFAIL */
static void
test_enomem(void **state)
{
	struct mxspf_ub *ub = dt_ub_new(DT_STUB);
	struct mxspf_eval *ev;
	struct dslot d = { false, MXSPF_DNS_OK };
	size_t n;

	(void)state;
	mxspf__alloc_fail_after(0);
	assert_int_equal(mxspf_ub_query(ub, "a.dns.test", MXSPF_RR_A,
	    never_cb, NULL, NULL), MXSPF_ENOMEM);
	ev = fake_new();
	fake_add(ev, &expects[0], NULL, 0, 0, false);
	assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev),
	    MXSPF_ENOMEM);
	mxspf__alloc_fail_after((size_t)-1);
	assert_int_equal(ev->ndone, 0);
	free(ev);
	assert_int_equal(mxspf_ub_pending(ub), 0);

	/* 1: the query record fails; 2: its name buffer fails. */
	for (n = 1; n <= 2; n++) {
		ev = fake_new();
		fake_add(ev, &expect_servfail, "a.dns.test", MXSPF_RR_A, 0,
		    false);
		mxspf__alloc_fail_after(n);
		assert_int_equal(mxspf_ub_eval_start(ub, ev, fake_done, ev),
		    0);
		mxspf__alloc_fail_after((size_t)-1);
		assert_int_equal(ev->ndone, 1);
		assert_int_equal(ev->good, 1);
		assert_int_equal(mxspf_ub_pending(ub), 0);
		free(ev);
	}

	/* The answer's arrays cannot be allocated: SERVFAIL. */
	assert_int_equal(mxspf_ub_query(ub, "a.dns.test", MXSPF_RR_A,
	    dead_cb, &d, NULL), 0);
	mxspf__alloc_fail_after(0);
	assert_true(dt_run(ub, flag_set, &d.done, DEADLINE));
	mxspf__alloc_fail_after((size_t)-1);
	assert_int_equal(d.status, MXSPF_DNS_SERVFAIL);
	mxspf_ub_free(ub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_trust_anchor_error),
		cmocka_unit_test(test_sync_types_stub),
		cmocka_unit_test(test_sync_types_fwd),
		cmocka_unit_test(test_async_types_stub),
		cmocka_unit_test(test_async_types_fwd),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_many_evals),
		cmocka_unit_test(test_done_frees_eval),
		cmocka_unit_test(test_done_in_start),
		cmocka_unit_test(test_stuck_eval),
		cmocka_unit_test(test_speculative_cancelled),
		cmocka_unit_test(test_eval_stop),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_enomem),
	};

	dt_init();
	long_txt[0] = (char)200;
	memset(long_txt + 1, 'a', 200);
	long_txt[201] = (char)150;
	memset(long_txt + 202, 'b', 150);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
