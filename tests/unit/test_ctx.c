/* tests/unit/test_ctx.c - unit tests of contexts and the record cache.
 * Owns: checks of lib/ctx.c: configuration defaults and copying, cache
 * sizing, hits returning the same reference-counted record, replacement
 * of a slot, syntax errors never cached, a disabled cache, sharing
 * between evaluations and their reuse, the RDATA-address hints, and
 * allocation failures in mxspf_ctx_new().
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

#include "mxspf/mxspf.h"
#include "buf.h"
#include "ctx.h"
#include "internal.h"
#include "record.h"

static void test_config_defaults(void **);
static void test_ctx_defaults(void **);
static void test_ctx_copies_config(void **);
static void test_cache_size(void **);
static void test_cache_hit(void **);
static void test_cache_replace(void **);
static void test_cache_no_errors(void **);
static void test_cache_disabled(void **);
static void test_cache_exact_text(void **);
static void test_cache_shared_by_evals(void **);
static void test_cache_hint(void **);
static void test_ctx_new_enomem(void **);
static void test_ctx_new_enomem_cache(void **);
static int teardown_hook(void **);

/* teardown_hook - disarm allocation failure injection after every test */
static int
teardown_hook(void **state)
{
	(void)state;
	mxspf__alloc_fail_after((size_t)-1);
	return 0;
}

/* get - mxspf__ctx_record on a C string that must parse */
static struct mxspf__record *
get(struct mxspf_ctx *ctx, const char *text)
{
	struct mxspf__record *r = NULL;
	struct mxspf_buf why;
	size_t off = 0;

	mxspf_buf_init(&why, 512);
	if (mxspf__ctx_record(ctx, text, strlen(text), &r, &why, &off) != 0)
		fail_msg("'%s': %s", text, mxspf_buf_cstr(&why));
	mxspf_buf_free(&why);
	assert_non_null(r);
	return r;
}

/* cached - the number of occupied cache slots */
static size_t
cached(const struct mxspf_ctx *ctx)
{
	size_t i, n = 0;

	for (i = 0; i < ctx->ncache; i++)
		if (ctx->cache[i] != NULL)
			n++;
	return n;
}

/* test_config_defaults - the RFC 7208 s4.6.4 values and the rest */
static void
test_config_defaults(void **state)
{
	struct mxspf_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	mxspf_config_init(&cfg);
	assert_int_equal(cfg.max_dns_terms, 10);
	assert_int_equal(cfg.max_void_lookups, 2);
	assert_int_equal(cfg.max_mx_names, 10);
	assert_int_equal(cfg.max_ptr_names, 10);
	assert_true(cfg.speculative);
	assert_false(cfg.trace);
	assert_null(cfg.default_exp);
	assert_null(cfg.receiver);
	assert_int_equal(cfg.record_cache_size, 4096);
}

/* test_ctx_defaults - a NULL configuration means the defaults */
static void
test_ctx_defaults(void **state)
{
	struct mxspf_ctx *ctx = (struct mxspf_ctx *)&ctx;

	(void)state;
	assert_int_equal(mxspf_ctx_new(&ctx, NULL), 0);
	assert_non_null(ctx);
	assert_int_equal(ctx->cfg.max_dns_terms, 10);
	assert_int_equal(ctx->cfg.max_void_lookups, 2);
	assert_true(ctx->cfg.speculative);
	assert_null(ctx->cfg.default_exp);
	assert_null(ctx->cfg.receiver);
	assert_int_equal(ctx->ncache, 4096);
	assert_non_null(ctx->cache);
	assert_int_equal(cached(ctx), 0);
	assert_int_equal(ctx->evals, 0);
	mxspf_ctx_free(ctx);
	mxspf_ctx_free(NULL);
}

/* test_ctx_copies_config - every field is copied, strings too */
static void
test_ctx_copies_config(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	char exp[32], rcv[32];

	(void)state;
	mxspf_config_init(&cfg);
	snprintf(exp, sizeof(exp), "%s", "why %{d}");
	snprintf(rcv, sizeof(rcv), "%s", "mx.example.net");
	cfg.default_exp = exp;
	cfg.receiver = rcv;
	cfg.max_dns_terms = 7;
	cfg.max_void_lookups = 0;
	cfg.max_mx_names = 3;
	cfg.max_ptr_names = 4;
	cfg.speculative = false;
	cfg.trace = true;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	memset(exp, 'X', sizeof(exp) - 1);
	memset(rcv, 'Y', sizeof(rcv) - 1);
	assert_ptr_not_equal(ctx->cfg.default_exp, exp);
	assert_ptr_not_equal(ctx->cfg.receiver, rcv);
	assert_string_equal(ctx->cfg.default_exp, "why %{d}");
	assert_string_equal(ctx->cfg.receiver, "mx.example.net");
	assert_int_equal(ctx->cfg.max_dns_terms, 7);
	assert_int_equal(ctx->cfg.max_void_lookups, 0);
	assert_int_equal(ctx->cfg.max_mx_names, 3);
	assert_int_equal(ctx->cfg.max_ptr_names, 4);
	assert_false(ctx->cfg.speculative);
	assert_true(ctx->cfg.trace);
	mxspf_ctx_free(ctx);
}

/* test_cache_size - the slot count is the configured size rounded up to
 * a power of two, at most 2^24 */
static void
test_cache_size(void **state)
{
	static const size_t in[] = { 1, 2, 3, 5, 1000, 4096, 4097 };
	static const size_t want[] = { 1, 2, 4, 8, 1024, 4096, 8192 };
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	size_t i;

	(void)state;
	mxspf_config_init(&cfg);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		cfg.record_cache_size = in[i];
		assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
		assert_int_equal(ctx->ncache, want[i]);
		mxspf_ctx_free(ctx);
	}
	cfg.record_cache_size = (size_t)1 << 30;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	assert_int_equal(ctx->ncache, (size_t)1 << 24);
	mxspf_ctx_free(ctx);
}

/* test_cache_hit - the same text gives the same record, one more
 * reference each time; the cache keeps its own */
static void
test_cache_hit(void **state)
{
	struct mxspf_ctx *ctx;
	struct mxspf__record *a, *b, *c;

	(void)state;
	assert_int_equal(mxspf_ctx_new(&ctx, NULL), 0);
	a = get(ctx, "v=spf1 a mx -all");
	assert_int_equal(a->refs, 2);
	assert_int_equal(cached(ctx), 1);
	b = get(ctx, "v=spf1 a mx -all");
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 3);
	c = get(ctx, "v=spf1 a mx -all");
	assert_ptr_equal(a, c);
	assert_int_equal(a->refs, 4);
	assert_int_equal(cached(ctx), 1);
	mxspf__record_unref(a);
	mxspf__record_unref(b);
	mxspf__record_unref(c);
	assert_int_equal(a->refs, 1);	/* the cache's */
	/* A hit needs no allocation at all. */
	mxspf__alloc_fail_after(0);
	b = get(ctx, "v=spf1 a mx -all");
	mxspf__alloc_fail_after((size_t)-1);
	assert_ptr_equal(a, b);
	mxspf__record_unref(b);
	mxspf_ctx_free(ctx);
}

/* test_cache_replace - a one-slot cache: a new text replaces the old
 * record, which stays valid for whoever still holds it */
static void
test_cache_replace(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	struct mxspf__record *a, *b, *a2;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.record_cache_size = 1;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	assert_int_equal(ctx->ncache, 1);
	a = get(ctx, "v=spf1 -all");
	assert_ptr_equal(ctx->cache[0], a);
	b = get(ctx, "v=spf1 +all");
	assert_ptr_equal(ctx->cache[0], b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(a->refs, 1);	/* only ours now */
	assert_int_equal(b->refs, 2);
	assert_string_equal(a->text, "v=spf1 -all");
	assert_int_equal(a->terms[0].qual, MXSPF_FAIL);
	a2 = get(ctx, "v=spf1 -all");
	assert_ptr_not_equal(a2, a);	/* parsed again */
	assert_ptr_equal(ctx->cache[0], a2);
	assert_int_equal(b->refs, 1);
	mxspf__record_unref(a);
	mxspf__record_unref(b);
	mxspf__record_unref(a2);
	assert_int_equal(cached(ctx), 1);
	mxspf_ctx_free(ctx);
}

/* test_cache_no_errors - a record with a syntax error is reported each
 * time and never enters the cache or evicts a good one */
static void
test_cache_no_errors(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	struct mxspf__record *r = NULL, *good;
	struct mxspf_buf why;
	size_t off, i;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.record_cache_size = 1;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	good = get(ctx, "v=spf1 ?all");
	mxspf_buf_init(&why, 512);
	for (i = 0; i < 2; i++) {
		off = 0;
		mxspf_buf_reset(&why);
		r = (struct mxspf__record *)&why;
		assert_int_equal(mxspf__ctx_record(ctx, "v=spf1 a/33", 11, &r,
		    &why, &off), MXSPF_ESYNTAX);
		assert_null(r);
		assert_int_equal(off, 9);
		assert_string_equal(mxspf_buf_cstr(&why),
		    "invalid CIDR length in 'a/33' at offset 9");
		assert_ptr_equal(ctx->cache[0], good);
	}
	/* Not a record at all: also an error, also not cached. */
	assert_int_equal(mxspf__ctx_record(ctx, "v=spf10", 7, &r, &why, &off),
	    MXSPF_ESYNTAX);
	assert_ptr_equal(ctx->cache[0], good);
	assert_int_equal(good->refs, 2);
	mxspf__record_unref(good);
	mxspf_buf_free(&why);
	mxspf_ctx_free(ctx);
}

/* test_cache_disabled - record_cache_size 0: no cache, every call parses
 * and the caller holds the only reference */
static void
test_cache_disabled(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	struct mxspf__record *a, *b;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.record_cache_size = 0;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	assert_int_equal(ctx->ncache, 0);
	assert_null(ctx->cache);
	a = get(ctx, "v=spf1 -all");
	b = get(ctx, "v=spf1 -all");
	assert_ptr_not_equal(a, b);
	assert_int_equal(a->refs, 1);
	assert_int_equal(b->refs, 1);
	mxspf__record_unref(a);
	mxspf__record_unref(b);
	mxspf_ctx_free(ctx);
}

/* test_cache_exact_text - the key is the exact text: case, spaces and
 * bytes after a shared prefix make different entries */
static void
test_cache_exact_text(void **state)
{
	static const char *const texts[] = {
		"v=spf1 -all", "V=SPF1 -ALL", "v=spf1 -all ", "v=spf1  -all",
		"v=spf1 -all exp=a.example.com",
		"v=spf1 -all exp=b.example.com",
	};
	struct mxspf__record *r[6], *x = NULL;
	struct mxspf_ctx *ctx;
	struct mxspf_buf why;
	size_t i, j, off;

	(void)state;
	assert_int_equal(mxspf_ctx_new(&ctx, NULL), 0);
	for (i = 0; i < 6; i++) {
		r[i] = get(ctx, texts[i]);
		assert_string_equal(r[i]->text, texts[i]);
	}
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			assert_ptr_not_equal(r[i], r[j]);
	/* The length is part of the key: a prefix is not a hit. */
	mxspf_buf_init(&why, 512);
	assert_int_equal(mxspf__ctx_record(ctx, texts[4], 11, &x, &why,
	    &off), 0);
	assert_ptr_equal(x, r[0]);
	mxspf__record_unref(x);
	mxspf_buf_free(&why);
	for (i = 0; i < 6; i++)
		mxspf__record_unref(r[i]);
	mxspf_ctx_free(ctx);
}

/* answer_txt - answer query id of ev with one TXT record of text */
static void
answer_txt(struct mxspf_eval *ev, uint32_t id, const char *text)
{
	static uint8_t rd[256];	/* static: the same address each time */
	const uint8_t *rdp = rd;
	size_t len = strlen(text);
	struct mxspf_answer ans;

	assert_true(len < 255);
	rd[0] = (uint8_t)len;
	memcpy(rd + 1, text, len);
	len++;
	memset(&ans, 0, sizeof(ans));
	ans.status = MXSPF_DNS_OK;
	ans.count = 1;
	ans.rdata = &rdp;
	ans.rdlen = &len;
	assert_int_equal(mxspf_eval_answer(ev, id, &ans), 0);
}

/* one_eval - evaluate "v=spf1 ip4:192.0.2.0/24 -all" for 192.0.2.3; the
 * evaluation is returned unfreed */
static struct mxspf_eval *
one_eval(struct mxspf_ctx *ctx)
{
	struct mxspf_request req;
	struct mxspf_eval *ev;
	const struct mxspf_query *q;

	memset(&req, 0, sizeof(req));
	assert_int_equal(mxspf_addr_parse("192.0.2.3", &req.client), 0);
	req.sender = "user@example.com";
	req.helo = "mail.example.com";
	assert_int_equal(mxspf_eval_new(&ev, ctx, &req), 0);
	assert_int_equal(mxspf_eval_step(ev), MXSPF_STEP_QUERY);
	q = mxspf_eval_next_query(ev);
	assert_non_null(q);
	answer_txt(ev, q->id, "v=spf1 ip4:192.0.2.0/24 -all");
	assert_int_equal(mxspf_eval_step(ev), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_eval_verdict(ev)->result, MXSPF_PASS);
	return ev;
}

/* test_cache_shared_by_evals - two evaluations share one parsed record;
 * the live-evaluation count follows new/free */
static void
test_cache_shared_by_evals(void **state)
{
	struct mxspf_ctx *ctx;
	struct mxspf_eval *e1, *e2;
	struct mxspf__record *r = NULL;
	size_t i;

	(void)state;
	assert_int_equal(mxspf_ctx_new(&ctx, NULL), 0);
	e1 = one_eval(ctx);
	assert_int_equal(ctx->evals, 1);
	assert_int_equal(cached(ctx), 1);
	for (i = 0; i < ctx->ncache; i++)
		if (ctx->cache[i] != NULL)
			r = ctx->cache[i];
	assert_non_null(r);
	assert_int_equal(r->refs, 2);	/* cache + e1 */
	e2 = one_eval(ctx);
	assert_int_equal(ctx->evals, 2);
	assert_int_equal(cached(ctx), 1);
	/* e2's answer sat at the address of e1's (the same stack buffer)
	 * and spelled the cached text, so the hint gave e2's answer the
	 * record itself: e2's frame and its answer hold one each. */
	assert_int_equal(r->refs, 4);	/* cache + e1 + e2 (2) */
	mxspf_eval_free(e1);
	assert_int_equal(r->refs, 3);
	assert_int_equal(ctx->evals, 1);
	assert_int_equal(ctx->nspare, 1);	/* kept for reuse */
	mxspf_eval_free(e2);
	assert_int_equal(r->refs, 1);
	assert_int_equal(ctx->evals, 0);
	assert_int_equal(ctx->nspare, 2);
	/* A reused evaluation starts empty. */
	e1 = one_eval(ctx);
	assert_int_equal(ctx->nspare, 1);
	assert_int_equal(mxspf_eval_verdict(e1)->queries, 1);
	mxspf_eval_free(e1);
	assert_int_equal(r->refs, 1);
	mxspf_ctx_free(ctx);
}

/* test_cache_hint - a record is found by the address of the RDATA it
 * came from, without allocating, only while the RDATA still spells its
 * text (in any split into strings) and the record is still cached */
static void
test_cache_hint(void **state)
{
	static uint8_t a[] = "\x0bv=spf1 -all";
	static uint8_t b[] = "\x05v=spf" "\x06" "1 -all";
	static uint8_t bad[] = "\x0cv=spf1 -all";
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	struct mxspf__record *r = NULL, *h, *other;
	struct mxspf_buf why;
	size_t off = 0;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.record_cache_size = 1;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	mxspf_buf_init(&why, 512);
	assert_null(mxspf__ctx_record_hint(ctx, a, 12));	/* never seen */
	assert_int_equal(mxspf__ctx_record_src(ctx, "v=spf1 -all", 11, a, 12,
	    &r, &why, &off), 0);
	mxspf__alloc_fail_after(0);
	h = mxspf__ctx_record_hint(ctx, a, 12);
	mxspf__alloc_fail_after((size_t)-1);
	assert_ptr_equal(h, r);
	assert_int_equal(r->refs, 3);	/* cache + r + h */
	mxspf__record_unref(h);
	assert_null(mxspf__ctx_record_hint(ctx, a, 11));	/* length */
	assert_null(mxspf__ctx_record_hint(ctx, b, 13));	/* address */
	/* The same address with other bytes: a miss, not a wrong hit. */
	a[9] = '+';
	assert_null(mxspf__ctx_record_hint(ctx, a, 12));
	a[9] = '-';
	/* Another split of the same text, noted at its own address. */
	assert_int_equal(mxspf__ctx_record_src(ctx, "v=spf1 -all", 11, b, 13,
	    &h, &why, &off), 0);
	assert_ptr_equal(h, r);
	mxspf__record_unref(h);
	h = mxspf__ctx_record_hint(ctx, b, 13);
	assert_ptr_equal(h, r);
	mxspf__record_unref(h);
	/* Malformed RDATA at a noted address never matches. */
	assert_int_equal(mxspf__ctx_record_src(ctx, "v=spf1 -all", 11, bad,
	    12, &h, &why, &off), 0);
	mxspf__record_unref(h);
	assert_null(mxspf__ctx_record_hint(ctx, bad, 12));
	/* Once another record takes the slot, the hint is stale. */
	other = get(ctx, "v=spf1 ?all");
	assert_null(mxspf__ctx_record_hint(ctx, a, 12));
	assert_int_equal(r->refs, 1);	/* only ours: the hint holds none */
	mxspf__record_unref(r);
	mxspf__record_unref(other);
	mxspf_buf_free(&why);
	mxspf_ctx_free(ctx);
	/* Without a cache there are no hints. */
	cfg.record_cache_size = 0;
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	assert_null(mxspf__ctx_record_hint(ctx, a, 12));
	mxspf_ctx_free(ctx);
}

/* test_ctx_new_enomem - each allocation of mxspf_ctx_new() failing in
 * turn gives MXSPF_ENOMEM, a NULL context and no leak, except the cache
 * array (test_ctx_new_enomem_cache) */
static void
test_ctx_new_enomem(void **state)
{
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	size_t n;

	(void)state;
	mxspf_config_init(&cfg);
	cfg.default_exp = "exp";
	cfg.receiver = "rcv";
	/* Allocations: the context, default_exp, receiver, the cache. */
	for (n = 0; n < 3; n++) {
		ctx = (struct mxspf_ctx *)&cfg;
		mxspf__alloc_fail_after(n);
		assert_int_equal(mxspf_ctx_new(&ctx, &cfg), MXSPF_ENOMEM);
		mxspf__alloc_fail_after((size_t)-1);
		assert_null(ctx);
	}
	mxspf__alloc_fail_after(4);
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	mxspf__alloc_fail_after((size_t)-1);
	mxspf_ctx_free(ctx);
	/* Without a cache the strings are the last allocations. */
	cfg.record_cache_size = 0;
	mxspf__alloc_fail_after(2);
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), MXSPF_ENOMEM);
	mxspf__alloc_fail_after(3);
	assert_int_equal(mxspf_ctx_new(&ctx, &cfg), 0);
	mxspf__alloc_fail_after((size_t)-1);
	mxspf_ctx_free(ctx);
}

/* test_ctx_new_enomem_cache - BUG (lib/ctx.c, mxspf_ctx_new): ncache is
 * set before the cache array is allocated; when that calloc fails,
 * mxspf_ctx_free() walks ncache slots of a NULL array and dereferences
 * NULL.  Input: default configuration, mxspf__alloc_fail_after(1) (the
 * context succeeds, the cache fails).  Expected: MXSPF_ENOMEM and a NULL
 * context.  Got: a crash (UBSan: "load of null pointer" at ctx.c, in
 * mxspf_ctx_free).  Fixed; kept as its regression test. */
static void
test_ctx_new_enomem_cache(void **state)
{
	struct mxspf_ctx *ctx;

	(void)state;
	mxspf__alloc_fail_after(1);
	assert_int_equal(mxspf_ctx_new(&ctx, NULL), MXSPF_ENOMEM);
	mxspf__alloc_fail_after((size_t)-1);
	assert_null(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config_defaults, teardown_hook),
		cmocka_unit_test_teardown(test_ctx_defaults, teardown_hook),
		cmocka_unit_test_teardown(test_ctx_copies_config,
		    teardown_hook),
		cmocka_unit_test_teardown(test_cache_size, teardown_hook),
		cmocka_unit_test_teardown(test_cache_hit, teardown_hook),
		cmocka_unit_test_teardown(test_cache_replace, teardown_hook),
		cmocka_unit_test_teardown(test_cache_no_errors, teardown_hook),
		cmocka_unit_test_teardown(test_cache_disabled, teardown_hook),
		cmocka_unit_test_teardown(test_cache_exact_text,
		    teardown_hook),
		cmocka_unit_test_teardown(test_cache_shared_by_evals,
		    teardown_hook),
		cmocka_unit_test_teardown(test_cache_hint, teardown_hook),
		cmocka_unit_test_teardown(test_ctx_new_enomem, teardown_hook),
		cmocka_unit_test_teardown(test_ctx_new_enomem_cache,
		    teardown_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
