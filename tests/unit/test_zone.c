/* tests/unit/test_zone.c - unit tests of the in-memory zone driver.
 * Owns: checks of lib/zone.c: every record type, case and trailing-dot
 * folding, NXDOMAIN / NODATA / TIMEOUT, CNAME chains and loops, the YAML
 * loader (SPF-as-TXT rule, joined and split character-strings, NUL and
 * UTF-8 bytes, YAML aliases and their size limit, syntax errors with their
 * line) and allocation failures.
 * Must not: need the network or write outside the temporary directory.
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
#include <unistd.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "internal.h"
#include "zone.h"

#define BIG_TEXT 600		/* a TXT string split into three */

static const char sample_yaml[] =
    "# A two-document file; the zone is in the second.\n"
    "description: first\n"
    "zonedata:\n"
    "  first.example:\n"
    "    - A: 192.0.2.9\n"
    "---\n"
    "description: second\n"
    "tests: {}\n"
    "zonedata:\n"
    "  Example.COM.:\n"
    "    - SPF: v=spf1 -all\n"
    "    - A: 192.0.2.1\n"
    "    - A: 192.0.2.2\n"
    "    - AAAA: \"CAFE:BABE::1\"\n"
    "    - MX: [10, Mail.Example.com.]\n"
    "    - MX: [0, \"\"]\n"
    "  spfonly.example.com:\n"
    "    - SPF: \"v=spf1 +all\"\n"
    "    - TXT: NONE\n"
    "  both.example.com:\n"
    "    - TXT: v=spf1 ?all\n"
    "    - SPF: v=spf1 ~all\n"
    "  multi.example.com:\n"
    "    - TXT: [\"v=spf1 ip4:\", \"192.0.2.5 -all\"]\n"
    "    - TXT: []\n"
    "  nul.example.com:\n"
    "    - TXT: \"a\\0b\\x80\\xEF\"\n"
    "  to.example.com:\n"
    "    - TXT: v=spf1 -all\n"
    "    - TIMEOUT\n"
    "  alias.example.com:\n"
    "    - CNAME: Example.com.\n"
    "  loop.example.com:\n"
    "    - CNAME: LOOP.example.com.\n"
    "  4.3.2.1.in-addr.arpa:\n"
    "    - PTR: Mail.Example.com\n"
    "  odd.example.com:\n"
    "    - MX: [5, \"foo:bar/baz.example.com\"]\n"
    "  empty.example.com: []\n"
    "  null.example.com:\n";

static char *write_temp(const char *text, size_t len);
static void remove_temp(char *path);
static void expect_rr(const struct mxspf_zone *z, const char *name,
    uint16_t type, size_t count, size_t idx, const void *rdata,
    size_t rdlen);
static void expect_status(const struct mxspf_zone *z, const char *name,
    uint16_t type, enum mxspf_dns_status st);
static int load_text(struct mxspf_zone *z, const char *text, size_t doc,
    char *err, size_t errlen);
static char *suite_path(void);

/* write_temp - write text to a new temporary file; the path is malloc'd */
static char *
write_temp(const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	size_t plen;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	plen = strlen(dir) + sizeof("/test_zone.XXXXXX");
	path = malloc(plen);
	assert_non_null(path);
	snprintf(path, plen, "%s/test_zone.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* remove_temp - delete and free a path from write_temp */
static void
remove_temp(char *path)
{
	unlink(path);
	free(path);
}

/* load_text - load document doc of a YAML text through a temporary file */
static int
load_text(struct mxspf_zone *z, const char *text, size_t doc, char *err,
    size_t errlen)
{
	char *path;
	int rc;

	path = write_temp(text, strlen(text));
	rc = mxspf_zone_load_file(z, path, doc, err, errlen);
	remove_temp(path);
	return rc;
}

/* expect_rr - assert that name/type answers OK with count records and
 * that record idx is rdata */
static void
expect_rr(const struct mxspf_zone *z, const char *name, uint16_t type,
    size_t count, size_t idx, const void *rdata, size_t rdlen)
{
	struct mxspf_answer ans;

	mxspf_zone_lookup(z, name, type, &ans);
	assert_int_equal(ans.status, MXSPF_DNS_OK);
	assert_int_equal(ans.count, count);
	assert_true(idx < ans.count);
	assert_int_equal(ans.rdlen[idx], rdlen);
	if (rdlen > 0)
		assert_memory_equal(ans.rdata[idx], rdata, rdlen);
}

/* expect_status - assert the status of a lookup */
static void
expect_status(const struct mxspf_zone *z, const char *name, uint16_t type,
    enum mxspf_dns_status st)
{
	struct mxspf_answer ans;

	mxspf_zone_lookup(z, name, type, &ans);
	assert_string_equal(mxspf_dns_status_name(ans.status),
	    mxspf_dns_status_name(st));
	if (st != MXSPF_DNS_OK)
		assert_int_equal(ans.count, 0);
}

/* suite_path - the conformance suite in the source tree (malloc'd) */
static char *
suite_path(void)
{
	const char *src = getenv("MXSPF_SRCDIR");
	const char *rel = "/tests/conformance/rfc7208-tests.yml";
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

/* test_types - each record type added by call comes back unchanged */
static void
test_types(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	static const uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t mx[] = { 0, 10, 4, 'm', 'a', 'i', 'l', 0 };
	static const uint8_t ptr[] = { 1, 'x', 0 };
	static const uint8_t txt[] = { 3, 'a', 'b', 'c', 1, 'd' };
	struct mxspf_zone *z;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_add(z, "h.example", MXSPF_RR_A, a, 4), 0);
	assert_int_equal(mxspf_zone_add(z, "h.example", MXSPF_RR_AAAA, aaaa,
	    16), 0);
	assert_int_equal(mxspf_zone_add(z, "h.example", MXSPF_RR_MX, mx,
	    sizeof(mx)), 0);
	assert_int_equal(mxspf_zone_add(z, "1.2.0.192.in-addr.arpa",
	    MXSPF_RR_PTR, ptr, sizeof(ptr)), 0);
	assert_int_equal(mxspf_zone_add(z, "h.example", MXSPF_RR_TXT, txt,
	    sizeof(txt)), 0);
	assert_int_equal(mxspf_zone_add(z, "h.example", MXSPF_RR_TXT, NULL,
	    0), 0);
	expect_rr(z, "h.example", MXSPF_RR_A, 1, 0, a, 4);
	expect_rr(z, "h.example", MXSPF_RR_AAAA, 1, 0, aaaa, 16);
	expect_rr(z, "h.example", MXSPF_RR_MX, 1, 0, mx, sizeof(mx));
	expect_rr(z, "1.2.0.192.in-addr.arpa", MXSPF_RR_PTR, 1, 0, ptr,
	    sizeof(ptr));
	expect_rr(z, "h.example", MXSPF_RR_TXT, 2, 0, txt, sizeof(txt));
	expect_rr(z, "h.example", MXSPF_RR_TXT, 2, 1, NULL, 0);
	mxspf_zone_free(z);
}

/* test_case_and_dot - owner names fold ASCII case and one trailing dot */
static void
test_case_and_dot(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 7 };
	struct mxspf_zone *z;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_add(z, "MiXeD.Example.ORG.", MXSPF_RR_A,
	    a, 4), 0);
	assert_int_equal(mxspf_zone_add(z, "mixed.example.org", MXSPF_RR_A,
	    a, 4), 0);
	expect_rr(z, "mixed.example.org", MXSPF_RR_A, 2, 1, a, 4);
	expect_rr(z, "MIXED.EXAMPLE.ORG.", MXSPF_RR_A, 2, 0, a, 4);
	expect_rr(z, "mIxEd.eXaMpLe.oRg", MXSPF_RR_A, 2, 0, a, 4);
	expect_status(z, "mixed.example.org..", MXSPF_RR_A,
	    MXSPF_DNS_NXDOMAIN);
	expect_status(z, "xmixed.example.org", MXSPF_RR_A,
	    MXSPF_DNS_NXDOMAIN);
	assert_int_equal(mxspf_zone_add(z, ".", MXSPF_RR_A, a, 4), 0);
	expect_rr(z, "", MXSPF_RR_A, 1, 0, a, 4);
	mxspf_zone_free(z);
}

/* test_status - NXDOMAIN for unknown names, NODATA for known ones,
 * TIMEOUT only for types without records of a TIMEOUT name */
static void
test_status(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	struct mxspf_zone *z;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	expect_status(z, "nothing.example", MXSPF_RR_TXT, MXSPF_DNS_NXDOMAIN);
	assert_int_equal(mxspf_zone_add(z, "a.example", MXSPF_RR_A, a, 4), 0);
	expect_status(z, "a.example", MXSPF_RR_TXT, MXSPF_DNS_NODATA);
	expect_status(z, "a.example", MXSPF_RR_AAAA, MXSPF_DNS_NODATA);
	expect_status(z, "b.a.example", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	assert_int_equal(mxspf_zone_add_timeout(z, "a.example"), 0);
	expect_status(z, "a.example", MXSPF_RR_TXT, MXSPF_DNS_TIMEOUT);
	expect_status(z, "a.example", MXSPF_RR_A, MXSPF_DNS_OK);
	assert_int_equal(mxspf_zone_add_timeout(z, "t.example."), 0);
	expect_status(z, "T.example", MXSPF_RR_MX, MXSPF_DNS_TIMEOUT);
	expect_status(NULL, "a.example", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	expect_status(z, NULL, MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	mxspf_zone_free(z);
}

/* test_cname - aliases are followed; a dangling one is NXDOMAIN and a
 * loop or an over-long chain SERVFAIL */
static void
test_cname(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	struct mxspf_zone *z;
	char from[32], to[32];
	int i;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_add(z, "target.example", MXSPF_RR_A, a,
	    4), 0);
	assert_int_equal(mxspf_zone_add_cname(z, "alias.example",
	    "TARGET.example."), 0);
	expect_rr(z, "Alias.Example", MXSPF_RR_A, 1, 0, a, 4);
	expect_status(z, "alias.example", MXSPF_RR_TXT, MXSPF_DNS_NODATA);
	assert_int_equal(mxspf_zone_add_cname(z, "dangling.example",
	    "missing.example"), 0);
	expect_status(z, "dangling.example", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	assert_int_equal(mxspf_zone_add_cname(z, "self.example",
	    "SELF.example"), 0);
	expect_status(z, "self.example", MXSPF_RR_A, MXSPF_DNS_SERVFAIL);
	assert_int_equal(mxspf_zone_add_cname(z, "ping.example",
	    "pong.example"), 0);
	assert_int_equal(mxspf_zone_add_cname(z, "pong.example",
	    "ping.example"), 0);
	expect_status(z, "ping.example", MXSPF_RR_TXT, MXSPF_DNS_SERVFAIL);
	/* Replacing a CNAME does not leak the old target. */
	assert_int_equal(mxspf_zone_add_cname(z, "pong.example",
	    "target.example"), 0);
	expect_rr(z, "ping.example", MXSPF_RR_A, 1, 0, a, 4);
	/* A chain of 8 aliases is followed, one of 9 is not. */
	for (i = 0; i < 9; i++) {
		snprintf(from, sizeof(from), "c%d.example", i);
		snprintf(to, sizeof(to), "c%d.example", i + 1);
		assert_int_equal(mxspf_zone_add_cname(z, from, to), 0);
	}
	assert_int_equal(mxspf_zone_add(z, "c9.example", MXSPF_RR_A, a, 4),
	    0);
	expect_rr(z, "c1.example", MXSPF_RR_A, 1, 0, a, 4);
	expect_status(z, "c0.example", MXSPF_RR_A, MXSPF_DNS_SERVFAIL);
	mxspf_zone_free(z);
}

/* test_bad_args - invalid calls are refused without side effects */
static void
test_bad_args(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	struct mxspf_zone *z;
	char err[128];

	(void)state;
	assert_int_equal(mxspf_zone_new(NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_add(NULL, "x", MXSPF_RR_A, a, 4),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_add(z, NULL, MXSPF_RR_A, a, 4),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_add(z, "x", MXSPF_RR_A, NULL, 4),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_add(z, "x", MXSPF_RR_A, a, 65536),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_add(z, "x", MXSPF__RR_CNAME, a, 4),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_add_timeout(z, NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_add_cname(z, "x", NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_zone_load_file(z, NULL, 0, err, sizeof(err)),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf__zone_load_node(z, NULL, NULL, err,
	    sizeof(err)), MXSPF_EINVAL);
	expect_status(z, "x", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	mxspf_zone_free(z);
	mxspf_zone_free(NULL);
}

/* test_many_names - the table grows and every name stays reachable */
static void
test_many_names(void **state)
{
	struct mxspf_zone *z;
	uint8_t a[4];
	char name[64];
	int i;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "Host%d.Example", i);
		a[0] = 10;
		a[1] = (uint8_t)(i >> 16);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		assert_int_equal(mxspf_zone_add(z, name, MXSPF_RR_A, a, 4), 0);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "host%d.example.", i);
		a[0] = 10;
		a[1] = (uint8_t)(i >> 16);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		expect_rr(z, name, MXSPF_RR_A, 1, 0, a, 4);
	}
	expect_status(z, "host5000.example", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	mxspf_zone_free(z);
}

/* test_load_sample - every YAML form of the suite, in document 1 */
static void
test_load_sample(void **state)
{
	static const uint8_t spf[] = "\013v=spf1 -all";
	static const uint8_t a1[] = { 192, 0, 2, 1 };
	static const uint8_t a2[] = { 192, 0, 2, 2 };
	static const uint8_t aaaa[16] = { 0xca, 0xfe, 0xba, 0xbe, [15] = 1 };
	static const uint8_t mx10[] = "\000\012\004Mail\007Example\003com";
	static const uint8_t mx0[] = { 0, 0, 0 };
	static const uint8_t both[] = "\013v=spf1 ?all";
	static const uint8_t multi[] = "\013v=spf1 ip4:\016192.0.2.5 -all";
	static const uint8_t nul[] = { 7, 'a', 0, 'b', 0xc2, 0x80, 0xc3,
		0xaf };
	static const uint8_t ptr[] = "\004Mail\007Example\003com";
	static const uint8_t odd[] = "\000\005\013foo:bar/baz\007example"
	    "\003com";
	struct mxspf_zone *z;
	char err[256];

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(load_text(z, sample_yaml, 1, err, sizeof(err)), 0);
	/* Only document 1 is loaded. */
	expect_status(z, "first.example", MXSPF_RR_A, MXSPF_DNS_NXDOMAIN);
	/* SPF is served as TXT, and kept as type 99.  Names in RDATA keep
	 * their case. */
	expect_rr(z, "example.com", MXSPF_RR_TXT, 1, 0, spf, sizeof(spf) - 1);
	expect_rr(z, "example.com", MXSPF__RR_SPF, 1, 0, spf,
	    sizeof(spf) - 1);
	expect_rr(z, "example.com", MXSPF_RR_A, 2, 0, a1, 4);
	expect_rr(z, "example.com", MXSPF_RR_A, 2, 1, a2, 4);
	expect_rr(z, "example.com", MXSPF_RR_AAAA, 1, 0, aaaa, 16);
	expect_rr(z, "example.com", MXSPF_RR_MX, 2, 0, mx10,
	    sizeof(mx10));
	expect_rr(z, "example.com", MXSPF_RR_MX, 2, 1, mx0, sizeof(mx0));
	/* TXT: NONE stops the copy; an explicit TXT does too. */
	expect_status(z, "spfonly.example.com", MXSPF_RR_TXT,
	    MXSPF_DNS_NODATA);
	expect_status(z, "spfonly.example.com", MXSPF__RR_SPF,
	    MXSPF_DNS_OK);
	expect_rr(z, "both.example.com", MXSPF_RR_TXT, 1, 0, both,
	    sizeof(both) - 1);
	/* A list is one RR of several strings; [] is an RR of none. */
	expect_rr(z, "multi.example.com", MXSPF_RR_TXT, 2, 0, multi,
	    sizeof(multi) - 1);
	expect_rr(z, "multi.example.com", MXSPF_RR_TXT, 2, 1, NULL, 0);
	/* NUL kept, \x80 and \xEF become UTF-8. */
	expect_rr(z, "nul.example.com", MXSPF_RR_TXT, 1, 0, nul,
	    sizeof(nul));
	expect_status(z, "to.example.com", MXSPF_RR_TXT, MXSPF_DNS_OK);
	expect_status(z, "to.example.com", MXSPF_RR_A, MXSPF_DNS_TIMEOUT);
	expect_rr(z, "alias.example.com", MXSPF_RR_A, 2, 1, a2, 4);
	expect_status(z, "loop.example.com", MXSPF_RR_TXT,
	    MXSPF_DNS_SERVFAIL);
	expect_rr(z, "4.3.2.1.IN-ADDR.ARPA.", MXSPF_RR_PTR, 1, 0, ptr,
	    sizeof(ptr));
	expect_rr(z, "odd.example.com", MXSPF_RR_MX, 1, 0, odd, sizeof(odd));
	expect_status(z, "empty.example.com", MXSPF_RR_TXT, MXSPF_DNS_NODATA);
	expect_status(z, "null.example.com", MXSPF_RR_TXT, MXSPF_DNS_NODATA);
	mxspf_zone_free(z);
}

/* test_long_txt - strings over 255 bytes become 255-byte chunks */
static void
test_long_txt(void **state)
{
	static const size_t lens[] = { 255, 256, BIG_TEXT };
	struct mxspf_zone *z;
	struct mxspf_answer ans;
	char yaml[BIG_TEXT + 128], err[128];
	const uint8_t *r;
	size_t i, k, off, left, chunk;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		off = (size_t)snprintf(yaml, sizeof(yaml),
		    "zonedata:\n  long.example:\n    - TXT: \"");
		for (k = 0; k < lens[i]; k++)
			yaml[off++] = (char)('a' + k % 26);
		snprintf(yaml + off, sizeof(yaml) - off, "\"\n");
		assert_int_equal(mxspf_zone_new(&z), 0);
		assert_int_equal(load_text(z, yaml, 0, err, sizeof(err)), 0);
		mxspf_zone_lookup(z, "long.example", MXSPF_RR_TXT, &ans);
		assert_int_equal(ans.status, MXSPF_DNS_OK);
		assert_int_equal(ans.count, 1);
		assert_int_equal(ans.rdlen[0], lens[i] + (lens[i] + 254) / 255);
		r = ans.rdata[0];
		for (off = 0, k = 0, left = lens[i]; left > 0; left -= chunk) {
			chunk = left > 255 ? 255 : left;
			assert_int_equal(r[off], chunk);
			assert_int_equal(r[off + 1], 'a' + k % 26);
			off += 1 + chunk;
			k += chunk;
		}
		assert_int_equal(off, ans.rdlen[0]);
		mxspf_zone_free(z);
	}
}

/* test_aliases - YAML aliases work, but cannot blow the zone up */
static void
test_aliases(void **state)
{
	struct mxspf_buf y;
	struct mxspf_zone *z;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(load_text(z, "zonedata:\n"
	    "  a.example: &l\n    - TXT: &s v=spf1 -all\n    - A: 192.0.2.1\n"
	    "  b.example: *l\n  c.example:\n    - SPF: *s\n", 0, err,
	    sizeof(err)), 0);
	expect_status(z, "b.example", MXSPF_RR_A, MXSPF_DNS_OK);
	expect_status(z, "c.example", MXSPF_RR_TXT, MXSPF_DNS_OK);
	mxspf_zone_free(z);

	/* 26 names x 40 records x 65000 bytes: over the 64 MiB budget. */
	mxspf_buf_init(&y, 1 << 20);
	mxspf_buf_puts(&y, "zonedata:\n  a.example: &l\n    - TXT: &s \"");
	for (i = 0; i < 65000; i++)
		mxspf_buf_putc(&y, 'x');
	mxspf_buf_puts(&y, "\"\n");
	for (i = 1; i < 40; i++)
		mxspf_buf_puts(&y, "    - TXT: *s\n");
	for (i = 0; i < 26; i++)
		mxspf_buf_appendf(&y, "  n%zu.example: *l\n", i);
	assert_int_equal(y.err, 0);
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(load_text(z, mxspf_buf_cstr(&y), 0, err,
	    sizeof(err)), MXSPF_ESYNTAX);
	assert_non_null(strstr(err, "size limit"));
	mxspf_zone_free(z);
	mxspf_buf_free(&y);
}

/* test_syntax_errors - bad files give ESYNTAX with the line, or ENOENT */
static void
test_syntax_errors(void **state)
{
	static const struct {
		const char *yaml;
		const char *line;
	} bad[] = {
		{ "zonedata:\n  a.example:\n    - TXT: [x, y\n", "line 4" },
		{ "zonedata:\n  a.example:\n   - TXT: x\n  - A: 1\n",
		    "line 4" },
		{ "zonedata:\n  a.example:\n    - A: 192.0.2.300\n",
		    "line 3" },
		{ "zonedata:\n  a.example:\n    - AAAA: 1.2.3.4\n",
		    "line 3" },
		{ "zonedata:\n  a.example:\n    - A: \"1.2.3.4\\0\"\n",
		    "line 3" },
		{ "zonedata:\n  a.example:\n\n    - FOO: bar\n", "line 4" },
		{ "zonedata:\n  a.example:\n    - MX: [70000, x]\n",
		    "line 3" },
		{ "zonedata:\n  a.example:\n    - MX: [1]\n", "line 3" },
		{ "zonedata:\n  a.example:\n    - PTR: [x]\n", "line 3" },
		{ "zonedata:\n  a.example:\n    - CNAME: {x: y}\n", "line 3" },
		{ "zonedata:\n  a.example:\n    - TXT: [[x]]\n", "line 3" },
		{ "zonedata:\n  a.example:\n    - SERVFAIL\n", "line 3" },
		{ "zonedata:\n  a.example:\n    - {A: 1.2.3.4, B: 2}\n",
		    "line 3" },
		{ "zonedata:\n  a.example: TXT\n", "line 2" },
		{ "zonedata: [a]\n", "line 1" },
		{ "- a\n- b\n", "line 1" },
	};
	struct mxspf_zone *z;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mxspf_zone_new(&z), 0);
		err[0] = '\0';
		assert_int_equal(load_text(z, bad[i].yaml, 0, err,
		    sizeof(err)), MXSPF_ESYNTAX);
		if (strstr(err, bad[i].line) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    bad[i].line);
		mxspf_zone_free(z);
	}
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_load_file(z, "/nonexistent/zone.yml", 0,
	    err, sizeof(err)), MXSPF_ENOENT);
	assert_non_null(strstr(err, "/nonexistent/zone.yml"));
	assert_int_equal(load_text(z, sample_yaml, 2, err, sizeof(err)),
	    MXSPF_ENOENT);
	assert_int_equal(load_text(z, "", 0, NULL, 0), MXSPF_ENOENT);
	/* A document without zonedata is an empty zone. */
	assert_int_equal(load_text(z, "tests: {}\n", 0, err, sizeof(err)), 0);
	assert_int_equal(load_text(z, "zonedata:\n", 0, err, sizeof(err)), 0);
	mxspf_zone_free(z);
}

/* test_suite_file - spot checks of the conformance suite's zones */
static void
test_suite_file(void **state)
{
	static const uint8_t hosed[] = "\047v=spf1 a:\303\257\302\273\302\277"
	    "garbage.example.net -all";
	static const uint8_t nul[] = "\031v=spf1 a:foo.example.com";
	static const uint8_t badip[] = "\075v=spf1 ip4:192.0.2.5\n"
	    " include:spf.protection.outlook.com ~all";
	struct mxspf_zone *z;
	char *path, err[256];

	(void)state;
	path = suite_path();
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_load_file(z, path, 0, err, sizeof(err)),
	    0);
	expect_status(z, "example.com", MXSPF_RR_TXT, MXSPF_DNS_TIMEOUT);
	expect_rr(z, "hosed.example.com", MXSPF_RR_TXT, 1, 0, hosed,
	    sizeof(hosed) - 1);
	expect_rr(z, "badip.example.com", MXSPF_RR_TXT, 1, 0, badip,
	    sizeof(badip) - 1);
	expect_rr(z, "null.example.com", MXSPF_RR_TXT, 2, 1, NULL, 0);
	mxspf_zone_free(z);

	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_load_file(z, path, 1, err, sizeof(err)),
	    0);
	expect_status(z, "both.example.net", MXSPF_RR_TXT, MXSPF_DNS_OK);
	expect_status(z, "spfonly.example.net", MXSPF_RR_TXT,
	    MXSPF_DNS_NODATA);
	expect_status(z, "spftimeout.example.net", MXSPF_RR_TXT,
	    MXSPF_DNS_OK);
	expect_status(z, "txttimeout.example.net", MXSPF_RR_TXT,
	    MXSPF_DNS_TIMEOUT);
	expect_status(z, "alltimeout.example.net", MXSPF_RR_TXT,
	    MXSPF_DNS_TIMEOUT);
	mxspf_zone_free(z);

	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_load_file(z, path, 6, err, sizeof(err)),
	    0);
	expect_rr(z, "e3.example.com", MXSPF_RR_TXT, 1, 0, nul,
	    sizeof(nul));	/* the trailing NUL byte included */
	mxspf_zone_free(z);

	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_load_file(z, path, 5, err, sizeof(err)),
	    0);
	expect_status(z, "loop4.example.com", MXSPF_RR_A, MXSPF_DNS_SERVFAIL);
	expect_status(z, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "e.b.a.b.e.f.a.c.ip6.arpa", MXSPF_RR_PTR, MXSPF_DNS_OK);
	mxspf_zone_free(z);
	assert_int_equal(mxspf_zone_load_file(NULL, path, 0, err,
	    sizeof(err)), MXSPF_EINVAL);
	free(path);
}

/* test_alloc_failures - fail each allocation in turn: no crash, no leak,
 * and the zone reports ENOMEM or works */
static void
test_alloc_failures(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	struct mxspf_zone *z;
	char *path, err[256], name[32];
	size_t n;
	int i, rc;
	bool done = false;

	(void)state;
	path = write_temp(sample_yaml, strlen(sample_yaml));
	for (n = 0; !done && n < 100000; n++) {
		mxspf__alloc_fail_after(n);
		rc = mxspf_zone_new(&z);
		if (rc != 0) {
			assert_int_equal(rc, MXSPF_ENOMEM);
			assert_null(z);
			continue;
		}
		rc = mxspf_zone_load_file(z, path, 1, err, sizeof(err));
		if (rc == 0) {
			for (i = 0; i < 100 && rc == 0; i++) {
				snprintf(name, sizeof(name), "h%d.example", i);
				rc = mxspf_zone_add(z, name, MXSPF_RR_A, a, 4);
				if (rc != 0) {
					/* A failed add leaves no name. */
					mxspf__alloc_fail_after((size_t)-1);
					expect_status(z, name, MXSPF_RR_A,
					    MXSPF_DNS_NXDOMAIN);
					break;
				}
				rc = mxspf_zone_add_cname(z, "x.example",
				    name);
				if (rc == 0)
					rc = mxspf_zone_add_timeout(z, name);
			}
		} else
			assert_non_null(strstr(err, "out of memory"));
		assert_true(rc == 0 || rc == MXSPF_ENOMEM);
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0) {
			expect_status(z, "alias.example.com", MXSPF_RR_A,
			    MXSPF_DNS_OK);
			expect_status(z, "h99.example", MXSPF_RR_A,
			    MXSPF_DNS_OK);
			done = true;
		}
		mxspf_zone_free(z);
	}
	mxspf__alloc_fail_after((size_t)-1);
	assert_true(done);
	remove_temp(path);
}

/* test_resolve - mxspf_zone_resolve feeds an evaluation to its verdict */
static void
test_resolve(void **state)
{
	static const uint8_t txt[] = "\034v=spf1 ip4:192.0.2.1/32 -all";
	struct mxspf_zone *z;
	struct mxspf_ctx *ctx;
	struct mxspf_eval *ev;
	struct mxspf_request req;

	(void)state;
	assert_int_equal(mxspf_zone_new(&z), 0);
	assert_int_equal(mxspf_zone_add(z, "example.org", MXSPF_RR_TXT, txt,
	    sizeof(txt) - 1), 0);
	assert_int_equal(mxspf_ctx_new(&ctx, NULL), 0);
	memset(&req, 0, sizeof(req));
	assert_int_equal(mxspf_addr_parse("192.0.2.1", &req.client), 0);
	req.sender = "user@example.org";
	req.helo = "mail.example.org";
	req.identity = MXSPF_ID_MAILFROM;
	assert_int_equal(mxspf_eval_new(&ev, ctx, &req), 0);
	assert_int_equal(mxspf_eval_run(ev, mxspf_zone_resolve, z), 0);
	assert_int_equal(mxspf_eval_verdict(ev)->result, MXSPF_PASS);
	mxspf_eval_free(ev);
	assert_int_equal(mxspf_addr_parse("192.0.2.2", &req.client), 0);
	assert_int_equal(mxspf_eval_new(&ev, ctx, &req), 0);
	assert_int_equal(mxspf_eval_run(ev, mxspf_zone_resolve, z), 0);
	assert_int_equal(mxspf_eval_verdict(ev)->result, MXSPF_FAIL);
	mxspf_eval_free(ev);
	mxspf_ctx_free(ctx);
	mxspf_zone_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_case_and_dot),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_load_sample),
		cmocka_unit_test(test_long_txt),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_suite_file),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
