/* tests/unit/test_netlist.c - unit tests of lib/netlist.c.
 * Owns: checks of mxspf_netlist_add (IPv4, IPv6, IPv4-mapped IPv6 with
 * its IPv6 prefix length, CIDR lengths per family, separators, every kind
 * of bad item with its error text, all-or-nothing adds, the list limit),
 * mxspf_netlist_match, mxspf_netlist_count and mxspf_netlist_format
 * (short buffers), and allocation failures.
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

#define FMT_MAX 4096		/* format buffer of the tests */
#define LIMIT_NETS 65536	/* lib/netlist.c NETLIST_MAX */

static void test_parse_v4(void **);
static void test_parse_v6(void **);
static void test_parse_mapped(void **);
static void test_separators(void **);
static void test_bad_items(void **);
static void test_bad_keeps_list(void **);
static void test_error_text(void **);
static void test_error_text_short(void **);
static void test_match(void **);
static void test_match_null(void **);
static void test_format_short(void **);
static void test_limit(void **);
static void test_nomem(void **);

/* addr - parse text that must be an address */
static struct mxspf_addr
addr(const char *text)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(text, &a), 0);
	return a;
}

/* new_list - a list made of text, which must parse */
static struct mxspf_netlist *
new_list(const char *text)
{
	struct mxspf_netlist *l;
	char err[128] = "";

	assert_int_equal(mxspf_netlist_new(&l), 0);
	assert_int_equal(mxspf_netlist_add(l, text, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	return l;
}

/* expect_format - the list formats exactly as want */
static void
expect_format(const struct mxspf_netlist *l, const char *want)
{
	char buf[FMT_MAX];

	assert_int_equal(mxspf_netlist_format(l, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

/* expect_bad - adding text fails with ESYNTAX and exactly message err */
static void
expect_bad(const char *text, const char *want)
{
	struct mxspf_netlist *l;
	char err[256] = "unset";

	assert_int_equal(mxspf_netlist_new(&l), 0);
	assert_int_equal(mxspf_netlist_add(l, text, err, sizeof(err)),
	    MXSPF_ESYNTAX);
	assert_string_equal(err, want);
	assert_int_equal(mxspf_netlist_count(l), 0);
	mxspf_netlist_free(l);
}

/* test_parse_v4 - bare addresses are /32, prefixes are kept as written */
static void
test_parse_v4(void **state)
{
	struct mxspf_netlist *l;

	(void)state;
	l = new_list("192.0.2.1");
	assert_int_equal(mxspf_netlist_count(l), 1);
	expect_format(l, "192.0.2.1/32");
	mxspf_netlist_free(l);

	l = new_list("192.0.2.0/24 198.51.100.7/32 0.0.0.0/0 10.1.2.3/8");
	assert_int_equal(mxspf_netlist_count(l), 4);
	expect_format(l, "192.0.2.0/24 198.51.100.7/32 0.0.0.0/0 10.1.2.3/8");
	mxspf_netlist_free(l);
}

/* test_parse_v6 - IPv6 networks, RFC 5952 output, lengths up to 128 */
static void
test_parse_v6(void **state)
{
	struct mxspf_netlist *l;

	(void)state;
	l = new_list("2001:DB8::/32 ::1 2001:db8:0:0:0:0:0:5/128 ::/0");
	assert_int_equal(mxspf_netlist_count(l), 4);
	expect_format(l, "2001:db8::/32 ::1/128 2001:db8::5/128 ::/0");
	mxspf_netlist_free(l);
}

/* test_parse_mapped - ::ffff:a.b.c.d is stored as IPv4, and its IPv6
 * prefix length becomes the IPv4 one (len - 96) */
static void
test_parse_mapped(void **state)
{
	struct mxspf_netlist *l;

	(void)state;
	l = new_list("::ffff:198.51.100.0/120 ::ffff:192.0.2.5 "
	    "::ffff:203.0.113.0/96");
	assert_int_equal(mxspf_netlist_count(l), 3);
	expect_format(l, "198.51.100.0/24 192.0.2.5/32 203.0.113.0/0");
	{
		struct mxspf_addr in = addr("198.51.100.77");
		struct mxspf_addr out = addr("198.51.101.1");
		struct mxspf_addr v6 = addr("2001:db8::1");

		assert_true(mxspf_netlist_match(l, &in));
		/* 203.0.113.0/0 covers every IPv4 address, no IPv6 one. */
		assert_true(mxspf_netlist_match(l, &out));
		assert_false(mxspf_netlist_match(l, &v6));
	}
	mxspf_netlist_free(l);
}

/* test_separators - spaces, tabs and commas, repeated, leading and
 * trailing; an empty text adds nothing */
static void
test_separators(void **state)
{
	struct mxspf_netlist *l;

	(void)state;
	l = new_list(" ,192.0.2.1,,198.51.100.0/24 ,\t2001:db8::/48 , ");
	assert_int_equal(mxspf_netlist_count(l), 3);
	expect_format(l, "192.0.2.1/32 198.51.100.0/24 2001:db8::/48");
	assert_int_equal(mxspf_netlist_add(l, "", NULL, 0), 0);
	assert_int_equal(mxspf_netlist_add(l, " , \t,", NULL, 0), 0);
	assert_int_equal(mxspf_netlist_count(l), 3);
	/* A second add appends. */
	assert_int_equal(mxspf_netlist_add(l, "203.0.113.9", NULL, 0), 0);
	assert_int_equal(mxspf_netlist_count(l), 4);
	expect_format(l, "192.0.2.1/32 198.51.100.0/24 2001:db8::/48 "
	    "203.0.113.9/32");
	mxspf_netlist_free(l);

	l = new_list("");
	assert_int_equal(mxspf_netlist_count(l), 0);
	expect_format(l, "");
	mxspf_netlist_free(l);
}

/* test_bad_items - each kind of bad item, with the exact error text */
static void
test_bad_items(void **state)
{
	(void)state;
	expect_bad("192.0.2.0/33", "not a network: '192.0.2.0/33'");
	expect_bad("2001:db8::/129", "not a network: '2001:db8::/129'");
	expect_bad("192.0.2.1/", "not a network: '192.0.2.1/'");
	expect_bad("/24", "not a network: '/24'");
	expect_bad("192.0.2.1/x", "not a network: '192.0.2.1/x'");
	expect_bad("192.0.2.1/-1", "not a network: '192.0.2.1/-1'");
	expect_bad("192.0.2.1/24/8", "not a network: '192.0.2.1/24/8'");
	expect_bad("192.0.2.256", "not a network: '192.0.2.256'");
	expect_bad("192.0.2", "not a network: '192.0.2'");
	expect_bad("192.0.2.1x", "not a network: '192.0.2.1x'");
	expect_bad("mail.example.test", "not a network: 'mail.example.test'");
	expect_bad("2001:db8:::1", "not a network: '2001:db8:::1'");
	/* A mapped address needs an IPv6 length of 96 or more. */
	expect_bad("::ffff:192.0.2.0/24",
	    "not a network: '::ffff:192.0.2.0/24'");
	expect_bad("::ffff:192.0.2.0/95",
	    "not a network: '::ffff:192.0.2.0/95'");
	expect_bad("::ffff:192.0.2.0/129",
	    "not a network: '::ffff:192.0.2.0/129'");
	/* The separators split "192.0.2.1 /24" into two items. */
	expect_bad("192.0.2.1 /24", "not a network: '/24'");
	expect_bad("192.0.2.1;198.51.100.1",
	    "not a network: '192.0.2.1;198.51.100.1'");
}

/* test_bad_keeps_list - a bad item anywhere adds nothing of that call and
 * keeps what earlier calls added */
static void
test_bad_keeps_list(void **state)
{
	struct mxspf_netlist *l;
	char err[128];

	(void)state;
	l = new_list("203.0.113.0/24");
	assert_int_equal(mxspf_netlist_add(l, "192.0.2.1, 198.51.100.0/24, "
	    "bogus, 2001:db8::1", err, sizeof(err)), MXSPF_ESYNTAX);
	assert_string_equal(err, "not a network: 'bogus'");
	assert_int_equal(mxspf_netlist_count(l), 1);
	expect_format(l, "203.0.113.0/24");
	{
		struct mxspf_addr a = addr("192.0.2.1");

		assert_false(mxspf_netlist_match(l, &a));
	}
	/* No error buffer is fine. */
	assert_int_equal(mxspf_netlist_add(l, "nope", NULL, 0),
	    MXSPF_ESYNTAX);
	assert_int_equal(mxspf_netlist_add(l, "nope", err, 0),
	    MXSPF_ESYNTAX);
	assert_int_equal(mxspf_netlist_count(l), 1);
	mxspf_netlist_free(l);
}

/* test_error_text - bad bytes are escaped, a long item is cut to 64
 * bytes, a short error buffer gets a NUL-terminated prefix */
static void
test_error_text(void **state)
{
	struct mxspf_netlist *l;
	char err[256], item[201], want[256];

	(void)state;
	expect_bad("192.0.2.1\x01\xff\\",
	    "not a network: '192.0.2.1\\x01\\xff\\x5c'");
	memset(item, 'a', sizeof(item) - 1);
	item[sizeof(item) - 1] = '\0';
	snprintf(want, sizeof(want), "not a network: '%.64s...'", item);
	expect_bad(item, want);

	/* A buffer that holds part of the item gets a cut message. */
	assert_int_equal(mxspf_netlist_new(&l), 0);
	memset(err, 'X', sizeof(err));
	assert_int_equal(mxspf_netlist_add(l, "bogus", err, 20),
	    MXSPF_ESYNTAX);
	assert_string_equal(err, "not a network: 'bog");
	assert_int_equal(err[20], 'X');
	assert_int_equal(mxspf_netlist_add(l, "bogus", err, 1),
	    MXSPF_ESYNTAX);
	assert_string_equal(err, "");
	mxspf_netlist_free(l);
}

/* test_error_text_short - an error buffer shorter than the message's
 * fixed prefix gets that prefix cut, as snprintf() would do.
 * Regression test (fixed since): a library bug in lib/netlist.c mxspf_netlist_add(): the message
 * is built in an mxspf_buf of max errlen - 1 and mxspf_buf_puts() of the
 * 16-byte prefix "not a network: '" is all-or-nothing, so any errlen of
 * 2..17 yields "" instead of a cut message. */
static void
test_error_text_short(void **state)
{
	struct mxspf_netlist *l;
	char err[32];

	(void)state;
	assert_int_equal(mxspf_netlist_new(&l), 0);
	memset(err, 'X', sizeof(err));
	assert_int_equal(mxspf_netlist_add(l, "bogus", err, 10),
	    MXSPF_ESYNTAX);
	assert_string_equal(err, "not a net");	/* cut to fit */
	assert_int_equal(err[10], 'X');
	mxspf_netlist_free(l);
}

/* test_match - CIDR boundaries of both families */
static void
test_match(void **state)
{
	struct mxspf_netlist *l;
	static const struct {
		const char *ip;
		bool in;
	} cases[] = {
		{ "192.0.2.0", true },
		{ "192.0.2.255", true },
		{ "192.0.3.0", false },
		{ "192.0.1.255", false },
		{ "198.51.100.7", true },
		{ "198.51.100.6", false },
		{ "198.51.100.8", false },
		{ "203.0.113.129", true },	/* /25 written with host bits */
		{ "203.0.113.127", false },
		{ "::ffff:192.0.2.9", true },	/* a mapped client is IPv4 */
		{ "2001:db8::1", true },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true },
		{ "2001:db9::", false },
		{ "2001:db7:ffff::", false },
		{ "::1", true },
		{ "::2", false },
		{ "::", false },
		{ "::c000:201", false },	/* IPv4-compatible is IPv6 */
		{ "127.0.0.1", false },
	};
	size_t i;

	(void)state;
	l = new_list("192.0.2.0/24, 198.51.100.7 203.0.113.200/25 "
	    "2001:db8::/32 ::1");
	assert_int_equal(mxspf_netlist_count(l), 5);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mxspf_addr a = addr(cases[i].ip);

		if (mxspf_netlist_match(l, &a) != cases[i].in)
			fail_msg("%s: expected %s", cases[i].ip,
			    cases[i].in ? "match" : "no match");
	}
	mxspf_netlist_free(l);

	/* /0 of one family never matches the other family. */
	l = new_list("0.0.0.0/0");
	{
		struct mxspf_addr v4 = addr("203.0.113.1");
		struct mxspf_addr v6 = addr("2001:db8::1");

		assert_true(mxspf_netlist_match(l, &v4));
		assert_false(mxspf_netlist_match(l, &v6));
	}
	mxspf_netlist_free(l);
	l = new_list("::/0");
	{
		struct mxspf_addr v4 = addr("203.0.113.1");
		struct mxspf_addr v6 = addr("2001:db8::1");

		assert_false(mxspf_netlist_match(l, &v4));
		assert_true(mxspf_netlist_match(l, &v6));
	}
	mxspf_netlist_free(l);
}

/* test_match_null - a NULL or empty list matches nothing */
static void
test_match_null(void **state)
{
	struct mxspf_netlist *l;
	struct mxspf_addr a = addr("192.0.2.1");
	char buf[8] = "junk";

	(void)state;
	assert_false(mxspf_netlist_match(NULL, &a));
	assert_int_equal(mxspf_netlist_count(NULL), 0);
	assert_int_equal(mxspf_netlist_format(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mxspf_netlist_new(&l), 0);
	assert_false(mxspf_netlist_match(l, &a));
	assert_false(mxspf_netlist_match(l, NULL));
	assert_int_equal(mxspf_netlist_count(l), 0);
	mxspf_netlist_free(l);
	mxspf_netlist_free(NULL);
}

/* test_format_short - a buffer too small gives ELIMIT and a
 * NUL-terminated prefix; no buffer gives EINVAL */
static void
test_format_short(void **state)
{
	struct mxspf_netlist *l;
	char buf[64];
	size_t n;

	(void)state;
	l = new_list("192.0.2.0/24 2001:db8::/32");
	n = strlen("192.0.2.0/24 2001:db8::/32");
	assert_int_equal(mxspf_netlist_format(l, buf, n + 1), 0);
	assert_string_equal(buf, "192.0.2.0/24 2001:db8::/32");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(mxspf_netlist_format(l, buf, n), MXSPF_ELIMIT);
	assert_true(strlen(buf) < n);
	assert_memory_equal(buf, "192.0.2.0/24 2001:db8::/32", strlen(buf));
	assert_int_equal(mxspf_netlist_format(l, buf, 1), MXSPF_ELIMIT);
	assert_string_equal(buf, "");
	assert_int_equal(mxspf_netlist_format(l, buf, 0), MXSPF_EINVAL);
	assert_int_equal(mxspf_netlist_format(l, NULL, 10), MXSPF_EINVAL);
	mxspf_netlist_free(l);
}

/* test_limit - a list holds at most 65536 networks; the add that would
 * pass the limit adds nothing */
static void
test_limit(void **state)
{
	struct mxspf_netlist *l;
	char *text, err[64];
	size_t i, o = 0, cap = (LIMIT_NETS + 1) * 18 + 1;
	struct mxspf_addr last;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i < LIMIT_NETS; i++)
		o += (size_t)snprintf(text + o, cap - o, "10.%zu.%zu.%zu ",
		    (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	assert_int_equal(mxspf_netlist_new(&l), 0);
	assert_int_equal(mxspf_netlist_add(l, text, err, sizeof(err)), 0);
	assert_int_equal(mxspf_netlist_count(l), LIMIT_NETS);
	last = addr("10.0.255.255");
	assert_true(mxspf_netlist_match(l, &last));
	assert_int_equal(mxspf_netlist_add(l, "192.0.2.1 192.0.2.2", err,
	    sizeof(err)), MXSPF_ESYNTAX);
	assert_string_equal(err, "too many networks");
	assert_int_equal(mxspf_netlist_count(l), LIMIT_NETS);
	mxspf_netlist_free(l);
	free(text);
}

/* test_nomem - every allocation failure is reported and leaks nothing */
static void
test_nomem(void **state)
{
	struct mxspf_netlist *l;
	char err[64];
	size_t n;

	(void)state;
	mxspf__alloc_fail_after(0);
	assert_int_equal(mxspf_netlist_new(&l), MXSPF_ENOMEM);
	mxspf__alloc_fail_after((size_t)-1);

	for (n = 0;; n++) {
		int rc;

		if (mxspf_netlist_new(&l) != 0)
			fail_msg("mxspf_netlist_new");
		mxspf__alloc_fail_after(n);
		rc = mxspf_netlist_add(l, "192.0.2.1 192.0.2.2 192.0.2.3 "
		    "192.0.2.4 192.0.2.5 192.0.2.6 192.0.2.7 192.0.2.8 "
		    "192.0.2.9", err, sizeof(err));
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0) {
			assert_int_equal(mxspf_netlist_count(l), 9);
			mxspf_netlist_free(l);
			break;
		}
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_string_equal(err, "out of memory");
		assert_int_equal(mxspf_netlist_count(l), 0);
		mxspf_netlist_free(l);
	}
	assert_int_equal(n, 2);	/* 8 nets, then 16 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_mapped),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_bad_items),
		cmocka_unit_test(test_bad_keeps_list),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_error_text_short),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_null),
		cmocka_unit_test(test_format_short),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
