/* tests/unit/test_addr.c - unit tests of lib/addr.c.
 * Owns: checks of mxspf_addr_parse (IPv4, IPv6, the IPv4-mapped rule of
 * RFC 7208 s5, invalid text), mxspf__addr_parse_n (strict family, bounded
 * length), mxspf_addr_format (RFC 5952 text, short buffers),
 * mxspf__addr_match (CIDR lengths 0 to 128, clamping, family mismatch),
 * and, against the C library on random input, the parser and formatter
 * that mirror inet_pton/inet_ntop and the word-wise prefix matching.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/mxspf.h"
#include "addr.h"

#define RANDOM_ROUNDS 200000	/* random cases per differential test */

static void test_parse_v4(void **);
static void test_parse_v6(void **);
static void test_parse_mapped(void **);
static void test_parse_not_mapped(void **);
static void test_parse_invalid(void **);
static void test_parse_n(void **);
static void test_format(void **);
static void test_format_short(void **);
static void test_match_v4(void **);
static void test_match_v6(void **);
static void test_match_clamp(void **);
static void test_match_family(void **);
static void test_parse_like_inet_pton(void **);
static void test_format_like_inet_ntop(void **);
static void test_prefix(void **);

static struct mxspf_addr addr(const char *);

/* rng - the next number of random(), seeded by each test with srandom()
 * so that every run draws the same cases */
static uint32_t
rng(void)
{
	return (uint32_t)random();
}

/* check_parse - mxspf__addr_parse_n(p, len, family) agrees with
 * inet_pton on the NUL-terminated p */
static void
check_parse(const char *p, int family)
{
	struct mxspf_addr a;
	uint8_t want[16];
	int rc, w4 = 0, w6 = 0;

	memset(want, 0, sizeof(want));
	if (family != 6)
		w4 = inet_pton(AF_INET, p, want) == 1;
	if (family != 4 && !w4)
		w6 = inet_pton(AF_INET6, p, want) == 1;
	rc = mxspf__addr_parse_n(p, strlen(p), family, &a);
	if ((rc == 0) != (w4 || w6))
		fail_msg("'%s' (family %d): rc %d, inet_pton %d/%d", p,
		    family, rc, w4, w6);
	if (rc == 0) {
		assert_int_equal(a.family, w4 ? 4 : 6);
		assert_memory_equal(a.b, want, 16);
	}
}

/* test_parse_like_inet_pton - the dotted-quad and IPv6 parsers accept
 * and refuse exactly what inet_pton does, with the same bytes */
static void
test_parse_like_inet_pton(void **state)
{
	static const char *const edge[] = {
		"", ":", "::", ":::", "::1", "1::", "1::2::3", ":1::2", "1:",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::",
		"::2:3:4:5:6:7:8", "1:2:3:4:5:6:7::8", "12345::", "0000::",
		"00000::", "fFfF::", "g::", "::ffff:1.2.3.4", "::1.2.3.4",
		"1.2.3.4", "01.2.3.4", "0.0.0.0", "255.255.255.255",
		"256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3",
		"1.2.3.4.", "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "0x1.2.3.4",
		"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3",
		"1:2:3:4:5:6:7:8:", "::ffff:", "2001:db8::", "2001:DB8::1",
	};
	static const char alphabet[] = "0123456789abcdefABCDEF:.:.::g";
	char text[48];
	size_t i, j, n;
	int family;

	(void)state;
	srandom(1);
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		for (family = 0; family <= 6; family += family == 0 ? 4 : 2)
			check_parse(edge[i], family);
	for (i = 0; i < RANDOM_ROUNDS; i++) {
		n = rng() % 40;
		for (j = 0; j < n; j++)
			text[j] = alphabet[rng() % (sizeof(alphabet) - 1)];
		text[n] = '\0';
		check_parse(text, 0);
		check_parse(text, 4);
		check_parse(text, 6);
		/* Mostly well-formed: 1..9 groups of 1..5 hex digits, maybe
		 * one "::", so that many parse. */
		n = 0;
		for (j = rng() % 9 + 1; j > 0; j--) {
			size_t d;

			for (d = rng() % 5 + 1; d > 0 && n < 40; d--)
				text[n++] = alphabet[rng() % 22];
			if (j > 1 && n < 44)
				text[n++] = ':';
			if (rng() % 8 == 0 && n < 44)
				text[n++] = ':';
		}
		text[n] = '\0';
		check_parse(text, 6);
	}
}

/* check_format - mxspf_addr_format agrees with inet_ntop for every
 * buffer size up to a sufficient one */
static void
check_format(const struct mxspf_addr *a)
{
	char got[64], want[64];
	size_t len;
	int af = a->family == 4 ? AF_INET : AF_INET6;

	for (len = 1; len <= 47; len++) {
		bool ok = inet_ntop(af, a->b, want, (socklen_t)len) != NULL;
		int rc = mxspf_addr_format(a, got, len);

		if (ok != (rc == 0))
			fail_msg("format len %zu: rc %d, inet_ntop %d", len, rc,
			    ok);
		if (ok)
			assert_string_equal(got, want);
	}
}

/* test_format_like_inet_ntop - the dotted-quad and IPv6 formatters write
 * what inet_ntop writes ("::" placement, dotted-quad tails, short
 * buffers) */
static void
test_format_like_inet_ntop(void **state)
{
	static const uint16_t pick[] = { 0, 0, 0, 0xffff, 1, 0x10, 0xabc };
	struct mxspf_addr a;
	size_t i, w;

	(void)state;
	srandom(1);
	for (i = 0; i < RANDOM_ROUNDS / 10; i++) {
		memset(&a, 0, sizeof(a));
		a.family = 6;
		for (w = 0; w < 8; w++) {
			uint16_t v = rng() % 3 == 0 ? (uint16_t)rng() :
			    pick[rng() % (sizeof(pick) / sizeof(pick[0]))];

			a.b[2 * w] = (uint8_t)(v >> 8);
			a.b[2 * w + 1] = (uint8_t)v;
		}
		check_format(&a);
		a.family = 4;
		check_format(&a);
	}
	/* The tails: ::a.b.c.d, ::ffff:a.b.c.d, and their neighbours. */
	memset(&a, 0, sizeof(a));
	a.family = 6;
	for (i = 0; i < 4; i++) {
		a.b[10] = a.b[11] = i == 1 ? 0xff : 0;
		a.b[9] = i == 2 ? 1 : 0;
		a.b[12] = i == 3 ? 0 : 1;
		a.b[15] = 4;
		check_format(&a);
	}
}

/* test_prefix - word-wise prefix matching agrees with mxspf__addr_match
 * for every length, both families and random addresses */
static void
test_prefix(void **state)
{
	struct mxspf__prefix net, client;
	struct mxspf_addr a, b;
	size_t i, k;
	unsigned cidr;

	(void)state;
	srandom(1);
	for (i = 0; i < RANDOM_ROUNDS / 20; i++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.family = rng() % 2 ? 4 : 6;
		b.family = rng() % 8 ? a.family : 10 - a.family;
		for (k = 0; k < (a.family == 4 ? 4u : 16u); k++)
			a.b[k] = (uint8_t)rng();
		for (k = 0; k < (b.family == 4 ? 4u : 16u); k++)
			b.b[k] = rng() % 4 ? a.b[k] : (uint8_t)rng();
		cidr = rng() % 140;
		mxspf__prefix_make(&net, &a, cidr);
		mxspf__prefix_make(&client, &b, 128);
		assert_int_equal(mxspf__prefix_match(&net, &client),
		    mxspf__addr_match(&b, &a, cidr));
	}
	a = addr("192.0.2.0");
	mxspf__prefix_make(&net, &a, 24);
	b = addr("192.0.2.255");
	mxspf__prefix_make(&client, &b, 0);	/* the length is not used */
	assert_true(mxspf__prefix_match(&net, &client));
	b = addr("192.0.3.0");
	mxspf__prefix_make(&client, &b, 128);
	assert_false(mxspf__prefix_match(&net, &client));
	mxspf__prefix_make(&net, &a, 0);
	assert_true(mxspf__prefix_match(&net, &client));
	b = addr("::");
	mxspf__prefix_make(&client, &b, 128);
	assert_false(mxspf__prefix_match(&net, &client));	/* family */
	a = addr("2001:db8::");
	mxspf__prefix_make(&net, &a, 65);
	b = addr("2001:db8::7fff:ffff:ffff:ffff");
	mxspf__prefix_make(&client, &b, 128);
	assert_true(mxspf__prefix_match(&net, &client));
	b = addr("2001:db8::8000:0:0:0");
	mxspf__prefix_make(&client, &b, 128);
	assert_false(mxspf__prefix_match(&net, &client));
}

/* addr - parse text that must be valid */
static struct mxspf_addr
addr(const char *text)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(text, &a), 0);
	return a;
}

/* test_parse_v4 - a dotted quad fills b[0..3], the rest stays zero */
static void
test_parse_v4(void **state)
{
	static const uint8_t want[16] = { 192, 0, 2, 3 };
	struct mxspf_addr a;

	(void)state;
	memset(&a, 0xaa, sizeof(a));
	assert_int_equal(mxspf_addr_parse("192.0.2.3", &a), 0);
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.b, want, 16);
	a = addr("0.0.0.0");
	assert_int_equal(a.family, 4);
	a = addr("255.255.255.255");
	assert_int_equal(a.b[0], 255);
	assert_int_equal(a.b[3], 255);
}

/* test_parse_v6 - full, compressed and embedded-IPv4 forms */
static void
test_parse_v6(void **state)
{
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0xcb, 0x01 };
	static const uint8_t one[16] = { [15] = 1 };
	static const uint8_t cafe[16] = { 0xca, 0xfe, 0xba, 0xbe, [15] = 1 };
	struct mxspf_addr a;

	(void)state;
	a = addr("2001:db8::cb01");
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.b, want, 16);
	a = addr("2001:0DB8:0000:0000:0000:0000:0000:CB01");
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.b, want, 16);
	a = addr("::1");
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.b, one, 16);
	a = addr("CAFE:BABE::1");
	assert_memory_equal(a.b, cafe, 16);
}

/* test_parse_mapped - ::ffff:a.b.c.d (in any spelling) becomes IPv4 */
static void
test_parse_mapped(void **state)
{
	static const uint8_t want[16] = { 1, 2, 3, 4 };
	struct mxspf_addr a;

	(void)state;
	a = addr("::ffff:1.2.3.4");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.b, want, 16);
	a = addr("::FFFF:1.2.3.4");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.b, want, 16);
	a = addr("::ffff:102:304");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.b, want, 16);
	a = addr("0:0:0:0:0:ffff:0102:0304");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.b, want, 16);
}

/* test_parse_not_mapped - near misses of the mapped prefix stay IPv6 */
static void
test_parse_not_mapped(void **state)
{
	struct mxspf_addr a;

	(void)state;
	a = addr("::1.2.3.4");		/* IPv4-compatible, deprecated */
	assert_int_equal(a.family, 6);
	assert_int_equal(a.b[12], 1);
	a = addr("::ffff:0:1.2.3.4");	/* SIIT translated */
	assert_int_equal(a.family, 6);
	a = addr("64:ff9b::1.2.3.4");	/* NAT64 */
	assert_int_equal(a.family, 6);
	a = addr("1::ffff:1.2.3.4");
	assert_int_equal(a.family, 6);
	a = addr("::fffe:1.2.3.4");
	assert_int_equal(a.family, 6);
}

/* test_parse_invalid - every malformed text is MXSPF_EINVAL */
/* LONG_V6 - an over-long IPv6-looking string (one literal: clang warns
 * about adjacent literals inside an array initialiser) */
#define LONG_V6 \
	"1111:2222:3333:4444:5555:6666:7777:8888:1111:2222:3333:4444:5555:6666"

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1",
		"01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/32", "1..2.3",
		"::g", "1:2:3:4:5:6:7:8:9", "[::1]", "1:::2", ":::",
		"2001:db8::cb01%eth0", "::ffff:1.2.3", "::ffff:1.2.3.256",
		"localhost", "0x7f.0.0.1",
		LONG_V6,
	};
	struct mxspf_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mxspf_addr_parse(bad[i], &a) != MXSPF_EINVAL)
			fail_msg("'%s' parsed", bad[i]);
	}
	assert_int_equal(mxspf_addr_parse(NULL, &a), MXSPF_EINVAL);
	assert_int_equal(mxspf_addr_parse("1.2.3.4", NULL), MXSPF_EINVAL);
}

/* test_parse_n - the strict, length-bounded parser: family filter, no
 * mapping, no reading past len, NUL bytes refused */
static void
test_parse_n(void **state)
{
	struct mxspf_addr a;
	char longtext[80];

	(void)state;
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4", 7, 4, &a), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4", 7, 0, &a), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4", 7, 6, &a), -1);
	assert_int_equal(mxspf__addr_parse_n("::1", 3, 4, &a), -1);
	assert_int_equal(mxspf__addr_parse_n("::1", 3, 6, &a), 0);
	assert_int_equal(a.family, 6);
	/* No mapping here: ip6:::ffff:1.2.3.4 is an IPv6 network. */
	assert_int_equal(mxspf__addr_parse_n("::ffff:1.2.3.4", 14, 6, &a), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.b[10], 0xff);
	assert_int_equal(a.b[12], 1);
	/* Only len bytes are looked at. */
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4/24", 7, 4, &a), 0);
	assert_int_equal(a.b[3], 4);
	assert_int_equal(mxspf__addr_parse_n("1.2.3.45", 7, 4, &a), 0);
	assert_int_equal(a.b[3], 4);
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4", 6, 4, &a), -1);
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4", 0, 0, &a), -1);
	assert_int_equal(mxspf__addr_parse_n("1.2.3.4\0", 8, 0, &a), -1);
	assert_int_equal(mxspf__addr_parse_n("1\0.2.3.4", 8, 0, &a), -1);
	/* Over-long text is refused before any copy. */
	memset(longtext, '1', sizeof(longtext));
	assert_int_equal(mxspf__addr_parse_n(longtext, sizeof(longtext), 0,
	    &a), -1);
	assert_int_equal(mxspf__addr_parse_n(longtext, 64, 0, &a), -1);
}

/* format - format a into a 64-byte buffer */
static const char *
format(const char *text)
{
	static char out[64];
	struct mxspf_addr a = addr(text);

	assert_int_equal(mxspf_addr_format(&a, out, sizeof(out)), 0);
	return out;
}

/* test_format - dotted quads and RFC 5952 IPv6 text */
static void
test_format(void **state)
{
	(void)state;
	assert_string_equal(format("192.0.2.3"), "192.0.2.3");
	assert_string_equal(format("2001:0DB8:0:0:0:0:0:CB01"),
	    "2001:db8::cb01");
	assert_string_equal(format("2001:db8:0:0:1:0:0:1"),
	    "2001:db8::1:0:0:1");
	assert_string_equal(format("::"), "::");
	assert_string_equal(format("::1"), "::1");
	assert_string_equal(format("::ffff:1.2.3.4"), "1.2.3.4");
	assert_string_equal(format("1111:2222:3333:4444:5555:6666:7777:8888"),
	    "1111:2222:3333:4444:5555:6666:7777:8888");
}

/* test_format_short - a buffer one byte too small is MXSPF_ELIMIT */
static void
test_format_short(void **state)
{
	struct mxspf_addr a = addr("192.0.2.3");
	char out[64];

	(void)state;
	assert_int_equal(mxspf_addr_format(&a, out, 10), 0);
	assert_string_equal(out, "192.0.2.3");
	assert_int_equal(mxspf_addr_format(&a, out, 9), MXSPF_ELIMIT);
	assert_int_equal(mxspf_addr_format(&a, out, 0), MXSPF_ELIMIT);
	a = addr("2001:db8::cb01");
	assert_int_equal(mxspf_addr_format(&a, out, 15), 0);
	assert_string_equal(out, "2001:db8::cb01");
	assert_int_equal(mxspf_addr_format(&a, out, 14), MXSPF_ELIMIT);
	assert_int_equal(mxspf_addr_format(NULL, out, 64), MXSPF_EINVAL);
	assert_int_equal(mxspf_addr_format(&a, NULL, 64), MXSPF_EINVAL);
}

/* match - mxspf__addr_match on two texts */
static bool
match(const char *a, const char *net, unsigned cidr)
{
	struct mxspf_addr x = addr(a), y = addr(net);

	return mxspf__addr_match(&x, &y, cidr);
}

/* test_match_v4 - prefix lengths 0, 7, 8, 24, 31, 32 */
static void
test_match_v4(void **state)
{
	(void)state;
	assert_true(match("192.0.2.3", "10.9.8.7", 0));
	/* 192 = 1100 0000, 193 = 1100 0001: equal in 7 bits, not in 8. */
	assert_true(match("192.0.2.3", "193.0.0.0", 7));
	assert_false(match("192.0.2.3", "193.0.0.0", 8));
	assert_true(match("192.0.2.3", "192.255.255.255", 8));
	/* 190 = 1011 1110: differs from 192 in bit 2. */
	assert_false(match("192.0.2.3", "190.0.0.0", 7));
	assert_true(match("192.0.2.3", "128.0.0.0", 1));
	assert_false(match("64.0.0.0", "128.0.0.0", 1));
	assert_true(match("192.0.2.3", "192.0.2.0", 24));
	assert_false(match("192.0.3.3", "192.0.2.0", 24));
	assert_true(match("192.0.2.3", "192.0.2.2", 31));
	assert_false(match("192.0.2.3", "192.0.2.4", 31));
	assert_false(match("192.0.2.3", "192.0.2.2", 32));
	assert_true(match("192.0.2.3", "192.0.2.3", 32));
	assert_true(match("192.0.2.3", "192.0.2.3", 25));
	assert_false(match("192.0.2.130", "192.0.2.3", 25));
}

/* test_match_v6 - prefix lengths 0, 32, 64, 127, 128 */
static void
test_match_v6(void **state)
{
	(void)state;
	assert_true(match("2001:db8::cb01", "::", 0));
	assert_true(match("2001:db8::cb01", "2001:db8:ffff::", 32));
	assert_false(match("2001:db9::cb01", "2001:db8::", 32));
	assert_true(match("2001:db8::cb01", "2001:db8::ffff", 64));
	assert_false(match("2001:db8:0:1::cb01", "2001:db8::", 64));
	assert_true(match("2001:db8::cb01", "2001:db8::cb00", 127));
	assert_false(match("2001:db8::cb01", "2001:db8::cb02", 127));
	assert_false(match("2001:db8::cb01", "2001:db8::cb00", 128));
	assert_true(match("2001:db8::cb01", "2001:db8::cb01", 128));
	/* The last bit of a byte: 0x0d = 0000 1101, 0x0c = 0000 1100 differ
	 * in bit 23 (counting from 0), so /23 matches and /24 does not. */
	assert_true(match("2001:d00::", "2001:c00::", 23));
	assert_false(match("2001:d00::", "2001:c00::", 24));
}

/* test_match_clamp - a CIDR over the family's width is clamped: /33 is
 * /32 for IPv4 (bytes beyond 4 are ignored), /200 is /128 */
static void
test_match_clamp(void **state)
{
	struct mxspf_addr a = addr("192.0.2.3"), n = addr("192.0.2.3");

	(void)state;
	a.b[4] = 0x55;		/* junk past the IPv4 bytes is not compared */
	n.b[15] = 0x77;
	assert_true(mxspf__addr_match(&a, &n, 33));
	assert_true(mxspf__addr_match(&a, &n, 32));
	assert_true(mxspf__addr_match(&a, &n, 1000));
	n.b[3] = 2;
	assert_false(mxspf__addr_match(&a, &n, 33));
	assert_true(mxspf__addr_match(&a, &n, 31));
	assert_true(match("2001:db8::cb01", "2001:db8::cb01", 129));
	assert_true(match("2001:db8::cb01", "2001:db8::cb01", 200));
	assert_false(match("2001:db8::cb01", "2001:db8::cb00", 129));
}

/* test_match_family - IPv4 never matches an IPv6 network and back, even
 * with /0 and the mapped bytes */
static void
test_match_family(void **state)
{
	struct mxspf_addr v4 = addr("1.2.3.4"), v6;

	(void)state;
	assert_int_equal(mxspf__addr_parse_n("::ffff:1.2.3.4", 14, 6, &v6), 0);
	assert_false(mxspf__addr_match(&v4, &v6, 0));
	assert_false(mxspf__addr_match(&v6, &v4, 0));
	assert_false(mxspf__addr_match(&v4, &v6, 128));
	assert_false(match("1.2.3.4", "::", 0));
	assert_false(match("::", "0.0.0.0", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_mapped),
		cmocka_unit_test(test_parse_not_mapped),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_n),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_short),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_match_clamp),
		cmocka_unit_test(test_match_family),
		cmocka_unit_test(test_parse_like_inet_pton),
		cmocka_unit_test(test_format_like_inet_ntop),
		cmocka_unit_test(test_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
