/* tests/unit/test_macro.c - unit and golden tests of SPF macro strings.
 * Owns: the golden driver for tests/golden/macro/cases.{in,ref}, every
 * example of RFC 7208 s7.4, and direct checks of the letters, the
 * transformers, URL-encoding, IPv6 nibbles, the 253-octet truncation of
 * expanded domains, the exp-only letters c/r/t, mxspf__macro_check's
 * offsets and mxspf__macro_uses.  MXSPF_GOLDEN_UPDATE=1 rewrites the
 * .ref (check every line by hand before keeping it).
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
#include "buf.h"
#include "internal.h"
#include "mxspf_limits.h"
#include "macro.h"

#define GOLDEN_MAX (1024 * 1024)	/* largest golden file we read */
#define D MXSPF_MACRO_DOMAIN
#define E MXSPF_MACRO_EXP

static void test_golden(void **);
static void test_rfc7208_s74(void **);
static void test_rfc7208_s74_ipv6(void **);
static void test_letters(void **);
static void test_transformers(void **);
static void test_escapes(void **);
static void test_url_encoding(void **);
static void test_ipv6(void **);
static void test_exp_only_letters(void **);
static void test_zero_digit(void **);
static void test_truncation(void **);
static void test_no_truncation_in_exp(void **);
static void test_check_offsets(void **);
static void test_check_domain_end(void **);
static void test_uses(void **);
static void test_out_limit(void **);
static void test_enomem(void **);
static void test_scratch_reused(void **);
static int teardown_hook(void **);

/* The environment of RFC 7208 s7.4. */
static struct mxspf_addr rfc_ip4, rfc_ip6;
static struct mxspf_macro_env rfc_env = {
	.sender = "strong-bad@email.example.com",
	.local = "strong-bad",
	.sender_domain = "email.example.com",
	.domain = "email.example.com",
	.ip = &rfc_ip4,
	.helo = "mx.example.org",
	.ptr = "mx.example.org",
	.receiver = NULL,
	.now = 0,
};

/* teardown_hook - disarm allocation failure injection after every test */
static int
teardown_hook(void **state)
{
	(void)state;
	mxspf__alloc_fail_after((size_t)-1);
	return 0;
}

/* setup_env - the addresses of the RFC examples */
static int
setup_env(void **state)
{
	(void)state;
	if (mxspf_addr_parse("192.0.2.3", &rfc_ip4) != 0 ||
	    mxspf_addr_parse("2001:db8::cb01", &rfc_ip6) != 0)
		return -1;
	return 0;
}

/* expand_env - expand s under env and flags; returns a static string or
 * NULL when expansion fails */
static const char *
expand_env(const struct mxspf_macro_env *env, const char *s, unsigned flags)
{
	static char out[MXSPF_MAX_MACRO_OUT + 1];
	struct mxspf_buf b;
	int rc;

	mxspf_buf_init(&b, MXSPF_MAX_MACRO_OUT);
	rc = mxspf__macro_expand(s, strlen(s), flags, env, &b);
	if (rc != 0) {
		assert_true(rc == MXSPF_ESYNTAX || rc == MXSPF_ELIMIT);
		mxspf_buf_free(&b);
		return NULL;
	}
	assert_int_equal(b.len, strlen(mxspf_buf_cstr(&b)));
	memcpy(out, mxspf_buf_cstr(&b), b.len + 1);
	mxspf_buf_free(&b);
	return out;
}

/* expect - s expands to want (NULL: must fail) */
static void
expect(const struct mxspf_macro_env *env, const char *s, unsigned flags,
    const char *want)
{
	const char *got = expand_env(env, s, flags);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("'%s' expanded to '%s', expected failure", s,
			    got);
		return;
	}
	if (got == NULL)
		fail_msg("'%s' failed, expected '%s'", s, want);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' -> '%s', expected '%s'", s, got, want);
}

/* ---- golden driver ----------------------------------------------------- */

/* golden_path - MXSPF_SRCDIR/tests/golden/<rel> into b */
static void
golden_path(struct mxspf_buf *b, const char *rel)
{
	const char *src = getenv("MXSPF_SRCDIR");

	mxspf_buf_init(b, 4096);
	mxspf_buf_appendf(b, "%s/tests/golden/%s", src != NULL ? src : "..",
	    rel);
	assert_int_equal(b->err, 0);
}

/* read_file - the whole file into b; fails the test when missing */
static void
read_file(const char *path, struct mxspf_buf *b)
{
	char chunk[4096];
	FILE *fp;
	size_t n;

	mxspf_buf_init(b, GOLDEN_MAX);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		mxspf_buf_append(b, chunk, n);
	fclose(fp);
	assert_int_equal(b->err, 0);
}

/* unescape - decode \xNN and \\ of p[0..len) into out */
static void
unescape(const char *p, size_t len, struct mxspf_buf *out)
{
	size_t i;

	mxspf_buf_reset(out);
	for (i = 0; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len && p[i + 1] == '\\') {
			mxspf_buf_putc(out, '\\');
			i++;
		} else if (p[i] == '\\' && i + 3 < len && p[i + 1] == 'x' &&
		    mxspf__hex_value((unsigned char)p[i + 2]) >= 0 &&
		    mxspf__hex_value((unsigned char)p[i + 3]) >= 0) {
			mxspf_buf_putc(out,
			    mxspf__hex_value((unsigned char)p[i + 2]) * 16 +
			    mxspf__hex_value((unsigned char)p[i + 3]));
			i += 3;
		} else {
			mxspf_buf_putc(out, p[i]);
		}
	}
}

/* Golden environment: strings owned by the driver. */
struct genv {
	struct mxspf_macro_env env;
	struct mxspf_addr ip;
	char *val[9];		/* s l o d h p r, t text, i text */
};

/* genv_free - release the strings of an environment */
static void
genv_free(struct genv *g)
{
	size_t i;

	for (i = 0; i < sizeof(g->val) / sizeof(g->val[0]); i++) {
		free(g->val[i]);
		g->val[i] = NULL;
	}
}

/* genv_set - one key=value of an "@" line; "-" is NULL */
static void
genv_set(struct genv *g, const char *kv, size_t len)
{
	static const char keys[] = "slodhprti";
	struct mxspf_buf v;
	const char *k = NULL;
	char *s;
	size_t idx;

	if (len < 2 || kv[1] != '=' || kv[0] == '\0' ||
	    (k = strchr(keys, kv[0])) == NULL) {
		fail_msg("bad environment item '%.*s'", (int)len, kv);
		return;
	}
	idx = (size_t)(k - keys);
	mxspf_buf_init(&v, 4096);
	unescape(kv + 2, len - 2, &v);
	s = mxspf_buf_steal(&v);
	assert_non_null(s);
	free(g->val[idx]);
	g->val[idx] = NULL;
	if (strcmp(s, "-") == 0)
		free(s);
	else
		g->val[idx] = s;
	g->env.sender = g->val[0];
	g->env.local = g->val[1];
	g->env.sender_domain = g->val[2];
	g->env.domain = g->val[3];
	g->env.helo = g->val[4];
	g->env.ptr = g->val[5];
	g->env.receiver = g->val[6];
	g->env.now = g->val[7] != NULL ? strtoll(g->val[7], NULL, 10) : 0;
	if (g->val[8] != NULL)
		assert_int_equal(mxspf_addr_parse(g->val[8], &g->ip), 0);
	g->env.ip = &g->ip;
}

/* genv_line - apply an "@ k=v k=v ..." line */
static void
genv_line(struct genv *g, const char *p, size_t n)
{
	size_t i = 1;

	while (i < n) {
		size_t s;

		while (i < n && p[i] == ' ')
			i++;
		for (s = i; i < n && p[i] != ' '; i++)
			;
		if (i > s)
			genv_set(g, p + s, i - s);
	}
}

/* golden_one - check and expand one "<ctx> <macro-string>" line */
static void
golden_one(const struct genv *g, const char *p, size_t n,
    struct mxspf_buf *out)
{
	struct mxspf_buf text, res;
	unsigned flags = 0;
	const char *why = NULL;
	size_t bad = 0;
	int crc, erc;

	if (n >= 4 && memcmp(p, "dom ", 4) == 0)
		flags = D;
	else if (n >= 4 && memcmp(p, "exp ", 4) == 0)
		flags = E;
	else if (n >= 4 && memcmp(p, "str ", 4) == 0)
		flags = 0;
	else
		fail_msg("bad golden line '%.*s'", (int)n, p);
	mxspf_buf_init(&text, 65536);
	mxspf_buf_init(&res, MXSPF_MAX_MACRO_OUT);
	unescape(p + 4, n - 4, &text);
	crc = mxspf__macro_check(text.p != NULL ? text.p : "", text.len,
	    flags, &bad, &why);
	erc = mxspf__macro_expand(text.p != NULL ? text.p : "", text.len,
	    flags, &g->env, &res);
	if (crc != 0) {
		/* mxspf__macro_expand() wants a checked string; what it does
		 * with others does not matter. */
		assert_int_equal(crc, -1);
		mxspf_buf_appendf(out, "  invalid: %s @%zu\n", why, bad);
	} else if (erc != 0) {
		mxspf_buf_appendf(out, "  expand failed (err %d)\n", res.err);
	} else {
		mxspf_buf_appendf(out, "  = \"");
		mxspf_buf_put_escaped(out, mxspf_buf_cstr(&res), res.len,
		    MXSPF_MAX_MACRO_OUT);
		mxspf_buf_appendf(out, "\" (%zu)\n", res.len);
	}
	mxspf_buf_free(&text);
	mxspf_buf_free(&res);
}

/* golden_run - process every line of the .in text */
static void
golden_run(const struct mxspf_buf *in, struct mxspf_buf *out)
{
	const char *p = mxspf_buf_cstr(in), *end = p + in->len;
	struct genv g;

	memset(&g, 0, sizeof(g));
	g.env.ip = &g.ip;
	assert_int_equal(mxspf_addr_parse("192.0.2.3", &g.ip), 0);
	mxspf_buf_init(out, GOLDEN_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		mxspf_buf_append(out, n == 0 || p[0] == '#' || p[0] == '@' ?
		    "" : "> ", n == 0 || p[0] == '#' || p[0] == '@' ? 0 : 2);
		mxspf_buf_append(out, p, n);
		mxspf_buf_putc(out, '\n');
		if (n > 0 && p[0] == '@')
			genv_line(&g, p, n);
		else if (n > 0 && p[0] != '#')
			golden_one(&g, p, n, out);
		p += n + (nl != NULL ? 1 : 0);
	}
	genv_free(&g);
	assert_int_equal(out->err, 0);
}

/* golden_compare - compare got with the .ref file, or rewrite it when
 * MXSPF_GOLDEN_UPDATE is set; on a difference report the first line and
 * leave the output next to the build for a diff */
static void
golden_compare(const struct mxspf_buf *got, const char *ref_rel,
    const char *out_name)
{
	struct mxspf_buf path, want;
	const char *g, *w;
	size_t line = 1, i;

	golden_path(&path, ref_rel);
	if (getenv("MXSPF_GOLDEN_UPDATE") != NULL) {
		FILE *fp = fopen(mxspf_buf_cstr(&path), "wb");

		assert_non_null(fp);
		assert_int_equal(fwrite(got->p, 1, got->len, fp), got->len);
		assert_int_equal(fclose(fp), 0);
	}
	read_file(mxspf_buf_cstr(&path), &want);
	g = mxspf_buf_cstr(got);
	w = mxspf_buf_cstr(&want);
	for (i = 0; i < got->len && i < want.len && g[i] == w[i]; i++)
		if (g[i] == '\n')
			line++;
	if (i != got->len || i != want.len) {
		const char *bd = getenv("MXSPF_BUILDDIR");
		struct mxspf_buf op;
		FILE *fp;

		mxspf_buf_init(&op, 4096);
		mxspf_buf_appendf(&op, "%s/%s", bd != NULL ? bd : "/tmp",
		    out_name);
		fp = fopen(mxspf_buf_cstr(&op), "wb");
		if (fp != NULL) {
			fwrite(got->p, 1, got->len, fp);
			fclose(fp);
		}
		print_error("golden mismatch at %s line %zu; output in %s\n",
		    mxspf_buf_cstr(&path), line, mxspf_buf_cstr(&op));
		mxspf_buf_free(&op);
		mxspf_buf_free(&path);
		mxspf_buf_free(&want);
		fail();
	}
	mxspf_buf_free(&path);
	mxspf_buf_free(&want);
}

/* test_golden - tests/golden/macro/cases.in against cases.ref */
static void
test_golden(void **state)
{
	struct mxspf_buf path, in, out;

	(void)state;
	golden_path(&path, "macro/cases.in");
	read_file(mxspf_buf_cstr(&path), &in);
	golden_run(&in, &out);
	golden_compare(&out, "macro/cases.ref", "macro-cases.out");
	mxspf_buf_free(&path);
	mxspf_buf_free(&in);
	mxspf_buf_free(&out);
}

/* ---- RFC 7208 s7.4 ------------------------------------------------------ */

/* test_rfc7208_s74 - every IPv4 example of RFC 7208 s7.4, verbatim:
 * sender strong-bad@email.example.com, IP 192.0.2.3 */
static void
test_rfc7208_s74(void **state)
{
	static const char *const ex[][2] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}",
		    "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		/* The same in a domain-spec, an explanation and a plain
		 * macro-string (all are under 253 octets). */
		expect(&rfc_env, ex[i][0], D, ex[i][1]);
		expect(&rfc_env, ex[i][0], E, ex[i][1]);
		expect(&rfc_env, ex[i][0], 0, ex[i][1]);
	}
}

/* test_rfc7208_s74_ipv6 - the IPv6 example.  The RFC prints the nibbles
 * in lower case; we write upper case as pyspf does (the suite's
 * v-macro-ip6 checks it in an explanation), and DNS names compare without
 * case, so the RFC text must match case-insensitively and our exact form
 * is the upper-case one. */
static void
test_rfc7208_s74_ipv6(void **state)
{
	static const char rfc[] = "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com";
	static const char ours[] = "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com";
	struct mxspf_macro_env env = rfc_env;
	const char *got;

	(void)state;
	env.ip = &rfc_ip6;
	got = expand_env(&env, "%{ir}.%{v}._spf.%{d2}", D);
	assert_non_null(got);
	assert_int_equal(strcasecmp(got, rfc), 0);
	assert_string_equal(got, ours);
}

/* ---- direct checks ------------------------------------------------------ */

/* test_letters - the value of every letter, with defaults for NULL */
static void
test_letters(void **state)
{
	struct mxspf_macro_env env = rfc_env;

	(void)state;
	env.receiver = "mx.receiver.example";
	env.now = 1700000000;
	expect(&env, "%{s}|%{l}|%{o}|%{d}|%{i}|%{p}|%{h}|%{v}", 0,
	    "strong-bad@email.example.com|strong-bad|email.example.com|"
	    "email.example.com|192.0.2.3|mx.example.org|mx.example.org|"
	    "in-addr");
	expect(&env, "%{c} %{r} %{t}", E,
	    "192.0.2.3 mx.receiver.example 1700000000");
	env.ip = &rfc_ip6;
	expect(&env, "%{v} %{c}", E, "ip6 2001:db8::cb01");
	/* Defaults: %{p} and %{r} are "unknown", absent strings are "". */
	env.ptr = NULL;
	env.receiver = NULL;
	env.helo = NULL;
	env.now = 0;
	expect(&env, "[%{p}][%{r}][%{h}][%{t}]", E, "[unknown][unknown][][0]");
	/* Letters are case-insensitive apart from URL-encoding. */
	expect(&rfc_env, "%{D}.%{O}", D, "email.example.com.email.example.com");
}

/* test_transformers - digits, reversal and delimiters (s7.3) */
static void
test_transformers(void **state)
{
	struct mxspf_macro_env env = rfc_env;

	(void)state;
	env.local = "a+b-c.d_e=f,g/h";
	expect(&env, "%{l}", 0, "a+b-c.d_e=f,g/h");
	expect(&env, "%{l+}", 0, "a.b-c.d_e=f,g/h");
	expect(&env, "%{l+-.,/_=}", 0, "a.b.c.d.e.f.g.h");
	expect(&env, "%{l3+-.,/_=}", 0, "f.g.h");
	expect(&env, "%{lr+-.,/_=}", 0, "h.g.f.e.d.c.b.a");
	expect(&env, "%{l2r+-.,/_=}", 0, "b.a");
	expect(&env, "%{l1r=}", 0, "a+b-c.d_e");
	expect(&env, "%{l8+-.,/_=}", 0, "a.b.c.d.e.f.g.h");
	expect(&env, "%{l9+-.,/_=}", 0, "a.b.c.d.e.f.g.h");
	expect(&env, "%{l200+-.,/_=}", 0, "a.b.c.d.e.f.g.h");
	expect(&env, "%{l99999999999999999999999r+-.,/_=}", 0,
	    "h.g.f.e.d.c.b.a");
	/* The default delimiter is "."; "R" reverses too; leading zeros
	 * in the digits are allowed. */
	expect(&rfc_env, "%{dR}", 0, "com.example.email");
	expect(&rfc_env, "%{d02}", 0, "example.com");
	expect(&rfc_env, "%{i1}", 0, "3");
	expect(&rfc_env, "%{i2r}", 0, "0.192");
	expect(&rfc_env, "%{s1}", 0, "com");
	expect(&rfc_env, "%{s2r.}", 0, "example.strong-bad@email");
	/* Empty parts survive: the value ".a..b." */
	env.local = ".a..b.";
	expect(&env, "%{lr}", 0, ".b..a.");
	expect(&env, "%{l2}", 0, "b.");
	expect(&env, "%{l1}", 0, "");
	/* An empty value stays empty whatever the transformers. */
	env.local = "";
	expect(&env, "[%{l}][%{l1r-}]", 0, "[][]");
}

/* test_escapes - %%, %_ and %- in every context */
static void
test_escapes(void **state)
{
	(void)state;
	expect(&rfc_env, "a%%b%_c%-d", 0, "a%b c%20d");
	expect(&rfc_env, "%%%%", 0, "%%");
	expect(&rfc_env, "100%% sure, %{l} says", E,
	    "100% sure, strong-bad says");
	expect(&rfc_env, "x.%%", D, "x.%");
	expect(&rfc_env, "%-%_%%", E, "%20 %");
}

/* test_url_encoding - upper-case letters URL-encode everything outside
 * RFC 3986 unreserved, with upper-case hex, after transformation */
static void
test_url_encoding(void **state)
{
	struct mxspf_macro_env env = rfc_env;

	(void)state;
	expect(&rfc_env, "%{S}", 0, "strong-bad%40email.example.com");
	expect(&rfc_env, "%{L}", 0, "strong-bad");
	expect(&rfc_env, "%{L-}", 0, "strong.bad");
	env.local = "a b+c/d~e_f:g\"h%i";
	expect(&env, "%{L}", 0, "a%20b%2Bc%2Fd~e_f%3Ag%22h%25i");
	expect(&env, "%{l}", 0, "a b+c/d~e_f:g\"h%i");
	env.local = "\xe9\x01\x7f";
	expect(&env, "%{L}", 0, "%E9%01%7F");
	env.ip = &rfc_ip6;
	expect(&env, "%{C}", E, "2001%3Adb8%3A%3Acb01");
	expect(&env, "%{I}", 0, "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.C.B.0.1");
	expect(&rfc_env, "%{C}", E, "192.0.2.3");
}

/* test_ipv6 - %{i} is 32 dotted upper-case nibbles, %{v} is ip6, %{c}
 * is RFC 5952 text; an IPv4-mapped address parses as IPv4 */
static void
test_ipv6(void **state)
{
	struct mxspf_macro_env env = rfc_env;
	struct mxspf_addr a;

	(void)state;
	assert_int_equal(mxspf_addr_parse("CAFE:BABE::1", &a), 0);
	env.ip = &a;
	expect(&env, "%{i}", 0, "C.A.F.E.B.A.B.E.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.1");
	expect(&env, "%{ir}.%{v}.arpa", D, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.E.B.A.B.E.F.A.C.ip6.arpa");
	expect(&env, "%{i4}", 0, "0.0.0.1");
	expect(&env, "%{c}", E, "cafe:babe::1");
	assert_int_equal(mxspf_addr_parse("::ffff:192.0.2.3", &a), 0);
	expect(&env, "%{i} %{v} %{c}", E, "192.0.2.3 in-addr 192.0.2.3");
}

/* test_exp_only_letters - c, r and t only in explanations (s7.2) */
static void
test_exp_only_letters(void **state)
{
	static const char *const s[] = { "%{c}", "%{r}", "%{t}", "%{C}",
	    "%{R}", "%{T}", "%{c1r.}" };
	const char *why;
	size_t i, bad;

	(void)state;
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		bad = 99;
		why = NULL;
		assert_int_equal(mxspf__macro_check(s[i], strlen(s[i]), 0,
		    &bad, &why), -1);
		assert_int_equal(bad, 0);
		assert_string_equal(why, "invalid macro letter");
		assert_int_equal(mxspf__macro_check(s[i], strlen(s[i]), D,
		    &bad, &why), -1);
		assert_int_equal(mxspf__macro_check(s[i], strlen(s[i]), E,
		    &bad, &why), 0);
		expect(&rfc_env, s[i], 0, NULL);
		expect(&rfc_env, s[i], D, NULL);
	}
	assert_int_equal(mxspf__macro_check("x.%{c}", 6, D, &bad, &why), -1);
	assert_int_equal(bad, 2);
}

/* test_zero_digit - the DIGIT transformer must be nonzero (s7.3) */
static void
test_zero_digit(void **state)
{
	const char *why = NULL;
	size_t bad = 99;

	(void)state;
	assert_int_equal(mxspf__macro_check("ab%{d0}", 7, 0, &bad, &why), -1);
	assert_int_equal(bad, 2);
	assert_string_equal(why, "macro transformer digit must not be zero");
	assert_int_equal(mxspf__macro_check("%{d000r}", 8, E, &bad, &why),
	    -1);
	assert_int_equal(bad, 0);
	expect(&rfc_env, "%{d0}", 0, NULL);
	expect(&rfc_env, "%{d0r}", E, NULL);
	expect(&rfc_env, "%{d10}", 0, "email.example.com");
}

/* labels - n labels of "x" repeated w times, joined with dots */
static char *
labels(size_t n, size_t w)
{
	struct mxspf_buf b;
	size_t i, j;

	mxspf_buf_init(&b, 100000);
	for (i = 0; i < n; i++) {
		if (i > 0)
			mxspf_buf_putc(&b, '.');
		for (j = 0; j < w; j++)
			mxspf_buf_putc(&b, 'a' + (int)(i % 26));
	}
	return mxspf_buf_steal(&b);
}

/* test_truncation - an expanded domain over 253 octets loses labels from
 * the left until it fits (s7.3); 253 itself is kept */
static void
test_truncation(void **state)
{
	struct mxspf_macro_env env = rfc_env;
	const char *got;
	char *d;

	(void)state;
	/* 30 labels of 9: 299 octets; dropping 5 labels (50) gives 249. */
	d = labels(30, 9);
	assert_int_equal(strlen(d), 299);
	env.domain = d;
	got = expand_env(&env, "%{d}", D);
	assert_non_null(got);
	assert_int_equal(strlen(got), 249);
	assert_string_equal(got, d + 50);
	/* Truncation applies to the whole result, literals included. */
	got = expand_env(&env, "%{d}.example.com", D);
	assert_non_null(got);
	assert_int_equal(strlen(got), 251);
	assert_string_equal(got + strlen(got) - 12, ".example.com");
	assert_int_equal(strncmp(got, d + 60, 239), 0);
	free(d);
	/* 23 labels of 10 are 252 octets; one more literal makes 253,
	 * which is kept. */
	d = labels(23, 10);
	assert_int_equal(strlen(d), 252);
	env.domain = d;
	got = expand_env(&env, "%{d}x", D);
	assert_int_equal(strlen(got), 253);
	assert_int_equal(got[0], 'a');
	/* 254 octets: the first label (and its dot) goes. */
	got = expand_env(&env, "%{d}xy", D);
	assert_int_equal(strlen(got), 243);
	assert_int_equal(got[0], 'b');
	free(d);
	/* One label over 253 octets cannot be cut at a dot: nothing is
	 * left. */
	d = labels(1, 300);
	env.domain = d;
	got = expand_env(&env, "%{d}", D);
	assert_non_null(got);
	assert_string_equal(got, "");
	free(d);
}

/* test_no_truncation_in_exp - explanations and plain strings are not
 * domain names: no truncation */
static void
test_no_truncation_in_exp(void **state)
{
	struct mxspf_macro_env env = rfc_env;
	const char *got;
	char *d;

	(void)state;
	d = labels(30, 9);
	env.domain = d;
	got = expand_env(&env, "%{d}", E);
	assert_non_null(got);
	assert_string_equal(got, d);
	got = expand_env(&env, "%{d}", 0);
	assert_string_equal(got, d);
	free(d);
}

/* check - mxspf__macro_check with its outputs; returns bad or -1 when
 * the string is valid */
static long
check(const char *s, size_t len, unsigned flags, const char **why)
{
	size_t bad = 9999;

	*why = NULL;
	if (mxspf__macro_check(s, len, flags, &bad, why) == 0)
		return -1;
	assert_non_null(*why);
	return (long)bad;
}

/* test_check_offsets - every error names the offending offset */
static void
test_check_offsets(void **state)
{
	const char *why;

	(void)state;
	assert_int_equal(check("abc%{x}", 7, 0, &why), 3);
	assert_string_equal(why, "invalid macro letter");
	assert_int_equal(check("abc%", 4, 0, &why), 3);
	assert_string_equal(why, "'%' not followed by '{', '%', '_' or '-'");
	assert_int_equal(check("%{d}%x", 6, 0, &why), 4);
	assert_int_equal(check("%{d", 3, 0, &why), 0);
	assert_string_equal(why, "malformed macro");
	assert_int_equal(check("ab%{", 4, 0, &why), 2);
	assert_string_equal(why, "unterminated macro");
	assert_int_equal(check("%{d1r2}", 7, 0, &why), 0);
	assert_string_equal(why, "malformed macro");
	assert_int_equal(check("a b", 3, 0, &why), 1);
	assert_string_equal(why, "invalid character");
	assert_int_equal(check("a b", 3, E, &why), -1);
	assert_int_equal(check("a\tb", 3, E, &why), 1);
	assert_int_equal(check("ab\x7f", 3, E, &why), 2);
	assert_int_equal(check("ab\x80", 3, 0, &why), 2);
	assert_int_equal(check("a\0b", 3, 0, &why), 1);
	assert_int_equal(check("", 0, 0, &why), -1);
	assert_int_equal(check("", 0, E, &why), -1);
	/* Only len bytes are read. */
	assert_int_equal(check("ab%{x}", 2, 0, &why), -1);
	assert_int_equal(check("%{d}%", 4, 0, &why), -1);
}

/* test_check_domain_end - "." toplabel ["."] or a macro-expand at the
 * end; the error offset is the end of the string */
static void
test_check_domain_end(void **state)
{
	static const char *const good[] = {
		"example.com", "example.com.", ".com", "a.1a", "a.1-2",
		"a.c--m", "%{d}", "x.%{d}", "%{d}.com", "x%%", "x%_", "x%-",
		"a.b.c.d.xn--p1ai", "_spf.%{d2}", "foo:bar.com",
	};
	static const char *const bad[] = {
		"com", "example", "example.123", "example.com..", "a.-b",
		"a.b-", "a.b_c", "%{d}.", "x.%{d}x", "example.com/24", "", ".",
		"a..", "1.2.3.4",
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (check(good[i], strlen(good[i]), D, &why) != -1)
			fail_msg("'%s' refused: %s", good[i], why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long b = check(bad[i], strlen(bad[i]), D, &why);

		if (b != (long)strlen(bad[i]))
			fail_msg("'%s': got %ld", bad[i], b);
		assert_string_equal(why,
		    "domain-spec does not end in a valid top-level label");
		/* The same strings are fine outside a domain-spec. */
		assert_int_equal(check(bad[i], strlen(bad[i]), 0, &why), -1);
	}
}

/* test_uses - which letters a string uses, escapes not counted */
static void
test_uses(void **state)
{
	(void)state;
	assert_true(mxspf__macro_uses("%{p}", 4, 'p'));
	assert_true(mxspf__macro_uses("x.%{P2r}.y", 10, 'p'));
	assert_false(mxspf__macro_uses("%{d}", 4, 'p'));
	assert_false(mxspf__macro_uses("%%{p}", 5, 'p'));
	assert_true(mxspf__macro_uses("%%%{p}", 6, 'p'));
	assert_false(mxspf__macro_uses("%%%%{p}", 7, 'p'));
	assert_true(mxspf__macro_uses("%-%{p}", 6, 'p'));
	assert_false(mxspf__macro_uses("p{p}", 4, 'p'));
	assert_true(mxspf__macro_uses("%{ir}.%{v}", 10, 'i'));
	assert_true(mxspf__macro_uses("%{ir}.%{v}", 10, 'v'));
	assert_false(mxspf__macro_uses("%{ir}.%{v}", 10, 'r'));
	assert_false(mxspf__macro_uses("%{p}", 2, 'p'));
	assert_false(mxspf__macro_uses("", 0, 'p'));
}

/* test_out_limit - output over the buffer's maximum fails */
static void
test_out_limit(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 10);
	assert_int_equal(mxspf__macro_expand("%{s}", 4, 0, &rfc_env, &b),
	    MXSPF_ELIMIT);
	assert_int_equal(b.err, MXSPF_ELIMIT);
	mxspf_buf_free(&b);
	mxspf_buf_init(&b, 10);
	assert_int_equal(mxspf__macro_expand("%{l}", 4, 0, &rfc_env, &b), 0);
	assert_string_equal(mxspf_buf_cstr(&b), "strong-bad");
	/* The output buffer is reset first, so a failed expansion does not
	 * stick to the next one. */
	assert_int_equal(mxspf__macro_expand("%{o}", 4, 0, &rfc_env, &b),
	    MXSPF_ELIMIT);
	assert_int_equal(mxspf__macro_expand("%{l1-}", 6, 0, &rfc_env, &b),
	    0);
	assert_string_equal(mxspf_buf_cstr(&b), "bad");
	mxspf_buf_free(&b);
}

/* test_enomem - every allocation of an expansion failing in turn gives
 * -1 (never a crash, a leak or a wrong string) */
static void
test_enomem(void **state)
{
	static const char s[] = "%{ir}.%{lr-}.%{S}.%{d2}._spf.%{o}";
	struct mxspf_buf b;
	size_t n, fails = 0, oks = 0;
	char want[512];
	int rc;

	(void)state;
	mxspf_buf_init(&b, 1000);
	assert_int_equal(mxspf__macro_expand(s, sizeof(s) - 1, D, &rfc_env,
	    &b), 0);
	snprintf(want, sizeof(want), "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	for (n = 0; n < 40; n++) {
		mxspf_buf_init(&b, 1000);
		mxspf__alloc_fail_after(n);
		rc = mxspf__macro_expand(s, sizeof(s) - 1, D, &rfc_env, &b);
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0) {
			assert_string_equal(mxspf_buf_cstr(&b), want);
			oks++;
		} else {
			assert_int_equal(rc, MXSPF_ENOMEM);
			fails++;
		}
		mxspf_buf_free(&b);
	}
	assert_true(fails > 0);
	assert_true(oks > 0);
	assert_int_equal(fails + oks, 40);
}

/* test_scratch_reused - the caller's scratch buffers are reset by each
 * expansion (an error left in them by an earlier one does not fail the
 * next), and plain, transformed, formatted and URL-encoded values come
 * out as without them */
static void
test_scratch_reused(void **state)
{
	struct mxspf_macro_env env = rfc_env;
	struct mxspf_buf scratch[2];

	(void)state;
	mxspf_buf_init(&scratch[0], MXSPF_MAX_MACRO_OUT);
	mxspf_buf_init(&scratch[1], MXSPF_MAX_MACRO_OUT);
	env.scratch = scratch;
	scratch[0].err = MXSPF_ELIMIT;
	scratch[1].err = MXSPF_ELIMIT;
	expect(&env, "%{d}.x", MXSPF_MACRO_DOMAIN, "email.example.com.x");
	expect(&env, "%{ir}.%{v}._spf.%{d2}", MXSPF_MACRO_DOMAIN,
	    "3.2.0.192.in-addr._spf.example.com");
	expect(&env, "%{l-}.%{S}", MXSPF_MACRO_EXP,
	    "strong.bad.strong-bad%40email.example.com");
	expect(&env, "%{c} %{i}", MXSPF_MACRO_EXP, "192.0.2.3 192.0.2.3");
	env.ip = &rfc_ip6;
	expect(&env, "%{c}", MXSPF_MACRO_EXP, "2001:db8::cb01");
	mxspf_buf_free(&scratch[0]);
	mxspf_buf_free(&scratch[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_golden, teardown_hook),
		cmocka_unit_test_teardown(test_rfc7208_s74, teardown_hook),
		cmocka_unit_test_teardown(test_rfc7208_s74_ipv6,
		    teardown_hook),
		cmocka_unit_test_teardown(test_letters, teardown_hook),
		cmocka_unit_test_teardown(test_transformers, teardown_hook),
		cmocka_unit_test_teardown(test_escapes, teardown_hook),
		cmocka_unit_test_teardown(test_url_encoding, teardown_hook),
		cmocka_unit_test_teardown(test_ipv6, teardown_hook),
		cmocka_unit_test_teardown(test_exp_only_letters,
		    teardown_hook),
		cmocka_unit_test_teardown(test_zero_digit, teardown_hook),
		cmocka_unit_test_teardown(test_truncation, teardown_hook),
		cmocka_unit_test_teardown(test_no_truncation_in_exp,
		    teardown_hook),
		cmocka_unit_test_teardown(test_check_offsets, teardown_hook),
		cmocka_unit_test_teardown(test_check_domain_end,
		    teardown_hook),
		cmocka_unit_test_teardown(test_uses, teardown_hook),
		cmocka_unit_test_teardown(test_out_limit, teardown_hook),
		cmocka_unit_test_teardown(test_enomem, teardown_hook),
		cmocka_unit_test_teardown(test_scratch_reused, teardown_hook),
	};

	return cmocka_run_group_tests(tests, setup_env, NULL);
}
