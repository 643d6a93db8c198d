/* tests/unit/test_anscache.c - the DNS answer cache (lib/anscache.c):
 * hits and misses, TTL and max_ttl, names compared without case and
 * trailing dot, what is never kept, LRU eviction by count and by bytes,
 * replacement, and many entries through the table's growth.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "anscache.h"

static const uint8_t rd_a[] = { 192, 0, 2, 1 };
static const uint8_t rd_b[] = { 192, 0, 2, 2 };
static const uint8_t *const rds[] = { rd_a, rd_b };
static const size_t lens[] = { sizeof(rd_a), sizeof(rd_b) };

/* two_a - an OK answer with two A records */
static struct mxspf_answer
two_a(uint32_t ttl)
{
	struct mxspf_answer a;

	memset(&a, 0, sizeof(a));
	a.status = MXSPF_DNS_OK;
	a.ttl = ttl;
	a.count = 2;
	a.rdata = rds;
	a.rdlen = lens;
	return a;
}

static void
test_hit_miss_ttl(void **state)
{
	struct anscache *c = mxspf__anscache_new(100, 1 << 20, 3600);
	struct mxspf_answer in = two_a(300), out;
	struct mxspf__anscache_stats st;

	(void)state;
	assert_non_null(c);
	assert_int_equal(mxspf__anscache_get(c, "a.test", 1, 1000, &out), 0);
	mxspf__anscache_put(c, "a.test", 1, 1000, &in);
	assert_int_equal(mxspf__anscache_get(c, "a.test", 1, 1000, &out), 1);
	assert_int_equal(out.status, MXSPF_DNS_OK);
	assert_int_equal(out.count, 2);
	assert_int_equal(out.ttl, 300);
	assert_int_equal(out.rdlen[1], 4);
	assert_memory_equal(out.rdata[0], rd_a, 4);
	assert_memory_equal(out.rdata[1], rd_b, 4);
	/* A copy: not the caller's memory. */
	assert_ptr_not_equal(out.rdata[0], rd_a);
	/* Other type, other name: misses. */
	assert_int_equal(mxspf__anscache_get(c, "a.test", 28, 1000, &out), 0);
	assert_int_equal(mxspf__anscache_get(c, "b.test", 1, 1000, &out), 0);
	/* Case and one trailing dot do not matter. */
	assert_int_equal(mxspf__anscache_get(c, "A.TeSt.", 1, 1100, &out), 1);
	assert_int_equal(out.ttl, 200);
	/* Expired at now == put + ttl, and then gone. */
	assert_int_equal(mxspf__anscache_get(c, "a.test", 1, 1299, &out), 1);
	assert_int_equal(mxspf__anscache_get(c, "a.test", 1, 1300, &out), 0);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 4);
	mxspf__anscache_free(c);
}

static void
test_max_ttl_and_negative(void **state)
{
	struct anscache *c = mxspf__anscache_new(100, 1 << 20, 60);
	struct mxspf_answer in = two_a(86400), out, neg;

	(void)state;
	mxspf__anscache_put(c, "long.test", 1, 0, &in);
	assert_int_equal(mxspf__anscache_get(c, "long.test", 1, 59, &out), 1);
	assert_int_equal(out.ttl, 1);
	assert_int_equal(mxspf__anscache_get(c, "long.test", 1, 60, &out), 0);
	memset(&neg, 0, sizeof(neg));
	neg.status = MXSPF_DNS_NXDOMAIN;
	neg.ttl = 30;
	mxspf__anscache_put(c, "gone.test", 16, 0, &neg);
	assert_int_equal(mxspf__anscache_get(c, "gone.test", 16, 10, &out), 1);
	assert_int_equal(out.status, MXSPF_DNS_NXDOMAIN);
	assert_int_equal(out.count, 0);
	neg.status = MXSPF_DNS_NODATA;
	mxspf__anscache_put(c, "empty.test", 16, 0, &neg);
	assert_int_equal(mxspf__anscache_get(c, "empty.test", 16, 10, &out), 1);
	assert_int_equal(out.status, MXSPF_DNS_NODATA);
	mxspf__anscache_free(c);
}

static void
test_never_kept(void **state)
{
	struct anscache *c = mxspf__anscache_new(100, 1 << 20, 3600);
	struct mxspf_answer a, out;
	struct mxspf__anscache_stats st;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.ttl = 300;
	a.status = MXSPF_DNS_SERVFAIL;
	mxspf__anscache_put(c, "x.test", 16, 0, &a);
	a.status = MXSPF_DNS_TIMEOUT;
	mxspf__anscache_put(c, "x.test", 16, 0, &a);
	a = two_a(0);			/* TTL 0: do not keep */
	mxspf__anscache_put(c, "x.test", 1, 0, &a);
	a = two_a(300);
	a.count = 0;			/* OK without records: refused */
	mxspf__anscache_put(c, "y.test", 1, 0, &a);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(mxspf__anscache_get(c, "x.test", 16, 0, &out), 0);
	/* NULL cache: a miss, no crash. */
	assert_int_equal(mxspf__anscache_get(NULL, "x.test", 16, 0, &out), 0);
	mxspf__anscache_put(NULL, "x.test", 1, 0, &a);
	mxspf__anscache_free(c);
}

static void
test_lru_by_count(void **state)
{
	struct anscache *c = mxspf__anscache_new(3, 1 << 20, 3600);
	struct mxspf_answer in = two_a(300), out;
	struct mxspf__anscache_stats st;

	(void)state;
	mxspf__anscache_put(c, "1.test", 1, 0, &in);
	mxspf__anscache_put(c, "2.test", 1, 0, &in);
	mxspf__anscache_put(c, "3.test", 1, 0, &in);
	/* Touch 1: 2 is now the least recently used. */
	assert_int_equal(mxspf__anscache_get(c, "1.test", 1, 0, &out), 1);
	mxspf__anscache_put(c, "4.test", 1, 0, &in);
	assert_int_equal(mxspf__anscache_get(c, "2.test", 1, 0, &out), 0);
	assert_int_equal(mxspf__anscache_get(c, "1.test", 1, 0, &out), 1);
	assert_int_equal(mxspf__anscache_get(c, "3.test", 1, 0, &out), 1);
	assert_int_equal(mxspf__anscache_get(c, "4.test", 1, 0, &out), 1);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	/* Replacing keeps one entry per key. */
	in.ttl = 10;
	mxspf__anscache_put(c, "4.test", 1, 0, &in);
	assert_int_equal(mxspf__anscache_get(c, "4.test", 1, 0, &out), 1);
	assert_int_equal(out.ttl, 10);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	mxspf__anscache_free(c);
}

static void
test_lru_by_bytes(void **state)
{
	struct anscache *c;
	struct mxspf_answer in = two_a(300), out;
	struct mxspf__anscache_stats st;
	size_t one;

	(void)state;
	c = mxspf__anscache_new(1000, 1 << 20, 3600);
	mxspf__anscache_put(c, "1.test", 1, 0, &in);
	mxspf__anscache_stats(c, &st);
	one = st.bytes;
	assert_true(one > 8);
	mxspf__anscache_free(c);
	/* Room for two entries of this size. */
	c = mxspf__anscache_new(1000, 2 * one + one / 2, 3600);
	mxspf__anscache_put(c, "1.test", 1, 0, &in);
	mxspf__anscache_put(c, "2.test", 1, 0, &in);
	mxspf__anscache_put(c, "3.test", 1, 0, &in);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 2);
	assert_true(st.bytes <= 2 * one + one / 2);
	assert_int_equal(mxspf__anscache_get(c, "1.test", 1, 0, &out), 0);
	assert_int_equal(mxspf__anscache_get(c, "3.test", 1, 0, &out), 1);
	mxspf__anscache_free(c);
	/* An answer bigger than the whole cache is not kept. */
	c = mxspf__anscache_new(1000, one - 1, 3600);
	mxspf__anscache_put(c, "1.test", 1, 0, &in);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	mxspf__anscache_free(c);
}

static void
test_many(void **state)
{
	struct anscache *c = mxspf__anscache_new(5000, 1 << 24, 3600);
	struct mxspf_answer in = two_a(300), out;
	struct mxspf__anscache_stats st;
	char name[64];
	int i, hits = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		(void)snprintf(name, sizeof(name), "h%d.example.test", i);
		mxspf__anscache_put(c, name, 1, 0, &in);
	}
	for (i = 0; i < 20000; i++) {
		(void)snprintf(name, sizeof(name), "H%d.EXAMPLE.test", i);
		if (mxspf__anscache_get(c, name, 1, 0, &out)) {
			hits++;
			assert_true(i >= 15000);
			assert_int_equal(out.count, 2);
		}
	}
	assert_int_equal(hits, 5000);
	mxspf__anscache_stats(c, &st);
	assert_int_equal(st.entries, 5000);
	assert_int_equal(st.evictions, 15000);
	mxspf__anscache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss_ttl),
		cmocka_unit_test(test_max_ttl_and_negative),
		cmocka_unit_test(test_never_kept),
		cmocka_unit_test(test_lru_by_count),
		cmocka_unit_test(test_lru_by_bytes),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
