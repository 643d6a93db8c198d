/* tests/unit/test_received.c - unit and golden tests of lib/received.c.
 * Owns: the golden cases tests/golden/received/<name>.in -> <name>.ref,
 * found through $MXSPF_SRCDIR: each .in is one Received header value
 * (leading "#" lines are comments; a "#!escaped" line makes the value
 * read \r \n \t \\ \xNN escapes; one final newline is not part of it),
 * each .ref the parsed dump or "error: <why>".  MXSPF_GOLDEN_UPDATE=1
 * rewrites the .ref files (check every one by hand before committing).
 * Every golden value is also parsed with its LF folds turned into CRLF,
 * which must give the same dump.  Also: the Received-SPF and
 * Authentication-Results readers, the authserv-id reader, the limits
 * (8 KB, nesting, tokens, field length), error buffers and allocation
 * failures.  Must not: need the network.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mxspf/received.h"
#include "internal.h"
#include "received.h"

#define T_GOLDEN_DIR "tests/golden/received"
#define T_GOLDEN_MIN 60		/* golden cases that must exist */
#define T_FILE_MAX 65536	/* .in / .ref size */
#define T_DUMP_MAX 8192		/* one dump */

/* One Received-SPF / Authentication-Results case. */
struct rcase {
	const char *name;
	const char *value;
	const char *client;	/* NULL: any */
	const char *authserv;
	int rc;
	enum mxspf_result result;
	bool helo_only;
};

static char *slurp(const char *, size_t *);
static size_t unescape(const char *, char *);
static void path_join(char *, size_t, const char *, const char *,
    const char *);
static void check_printable(const char *, bool);
static void dump_field(FILE *, const char *, const char *);
static char *dump(const char *, size_t);
static char *to_crlf(const char *, size_t, size_t *);
static void golden_case(const char *, const char *);
static struct mxspf_addr addr(const char *);
static void run_rcase(const struct rcase *);
static char *make_padded(size_t);
static void test_golden(void **);
static void test_received_spf(void **);
static void test_auth_results(void **);
static void test_recorded_args(void **);
static void test_authserv_id(void **);
static void test_limit_length(void **);
static void test_limit_depth(void **);
static void test_limit_tokens(void **);
static void test_limit_field(void **);
static void test_err_buffer(void **);
static void test_args(void **);
static void test_fields(void **);
static void test_mta_names(void **);
static void test_nomem(void **);

/* ---- helpers ------------------------------------------------------------ */

/* slurp - read a whole file (NUL-terminated); NULL when missing */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	size_t n;

	if (fp == NULL)
		return NULL;
	p = malloc(T_FILE_MAX + 1);
	assert_non_null(p);
	n = fread(p, 1, T_FILE_MAX, fp);
	assert_false(ferror(fp));
	assert_true(n < T_FILE_MAX);
	fclose(fp);
	p[n] = '\0';
	*len = n;
	return p;
}

/* unescape - \r \n \t \\ \xNN in s into out (as long as s); the length */
static size_t
unescape(const char *s, char *out)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '\\' && s[1] != '\0') {
			s++;
			switch (*s) {
			case 'r':
				c = '\r';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'x': {
				unsigned v;

				assert_int_equal(sscanf(s + 1, "%2x", &v), 1);
				c = (char)v;
				s += 2;
				break;
			}
			default:
				c = *s;
				break;
			}
		}
		out[o++] = c;
	}
	return o;
}

/* path_join - dir/name+ext */
static void
path_join(char *out, size_t cap, const char *dir, const char *name,
    const char *ext)
{
	int n = snprintf(out, cap, "%s/%s%s", dir, name, ext);

	assert_true(n > 0 && (size_t)n < cap);
}

/* check_printable - printable ASCII only (and not empty unless allowed) */
static void
check_printable(const char *s, bool empty_ok)
{
	size_t i;

	if (s == NULL)
		return;
	assert_true(empty_ok || s[0] != '\0');
	for (i = 0; s[i] != '\0'; i++)
		assert_true((unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f);
}

/* dump_field - "key value" or "key -" */
static void
dump_field(FILE *fp, const char *key, const char *v)
{
	check_printable(v, false);
	fprintf(fp, "%s %s\n", key, v != NULL ? v : "-");
}

/* dump - the parse of value as the .ref files show it (malloc'd) */
static char *
dump(const char *value, size_t len)
{
	struct mxspf_received r;
	char err[512], ip[64], *out;
	FILE *fp;
	int rc;

	out = calloc(1, T_DUMP_MAX);
	assert_non_null(out);
	fp = fmemopen(out, T_DUMP_MAX - 1, "w");
	assert_non_null(fp);
	memset(err, 'X', sizeof(err));
	rc = mxspf_received_parse(value, len, &r, err, sizeof(err));
	if (rc != 0) {
		static const struct mxspf_received zero;

		assert_int_equal(rc, MXSPF_ESYNTAX);
		assert_memory_equal(&r, &zero, sizeof(r));
		check_printable(err, false);
		fprintf(fp, "error: %s\n", err);
	} else {
		assert_true(r.has_ip);
		assert_true(r.from_ip.family == 4 || r.from_ip.family == 6);
		assert_non_null(r.by);
		assert_int_equal(err[0], '\0');
		assert_int_equal(mxspf_addr_format(&r.from_ip, ip,
		    sizeof(ip)), 0);
		fprintf(fp, "mta %s\n", mxspf_mta_name(r.mta));
		dump_field(fp, "helo", r.from_helo);
		dump_field(fp, "rdns", r.from_rdns);
		fprintf(fp, "ip %s\n", ip);
		dump_field(fp, "by", r.by);
		dump_field(fp, "with", r.with);
		dump_field(fp, "id", r.id);
		dump_field(fp, "for", r.for_addr);
		mxspf_received_clear(&r);
	}
	assert_int_equal(fclose(fp), 0);
	return out;
}

/* to_crlf - v with every LF turned into CRLF (malloc'd) */
static char *
to_crlf(const char *v, size_t len, size_t *olen)
{
	char *o = malloc(2 * len + 1);
	size_t i, n = 0;

	assert_non_null(o);
	for (i = 0; i < len; i++) {
		if (v[i] == '\n')
			o[n++] = '\r';
		o[n++] = v[i];
	}
	o[n] = '\0';
	*olen = n;
	return o;
}

/* golden_case - parse dir/name.in and compare with dir/name.ref */
static void
golden_case(const char *dir, const char *name)
{
	char path[1024], *in, *ref, *got, *value, *v, *crlf, *got2;
	size_t len, vlen, clen;
	bool escaped = false;
	FILE *fp;

	path_join(path, sizeof(path), dir, name, ".in");
	in = slurp(path, &len);
	assert_non_null(in);
	v = in;
	while (*v == '#') {
		char *nl = strchr(v, '\n');

		assert_non_null(nl);
		if (strncmp(v, "#!escaped\n", 10) == 0)
			escaped = true;
		v = nl + 1;
	}
	vlen = strlen(v);
	assert_true(vlen > 0 && v[vlen - 1] == '\n');
	v[--vlen] = '\0';
	value = malloc(vlen + 1);
	assert_non_null(value);
	if (escaped) {
		vlen = unescape(v, value);
	} else {
		memcpy(value, v, vlen + 1);
	}
	got = dump(value, vlen);
	if (!escaped) {
		/* The same header folded with CRLF reads the same. */
		crlf = to_crlf(value, vlen, &clen);
		got2 = dump(crlf, clen);
		if (strcmp(got, got2) != 0)
			fail_msg("golden %s: CRLF folds read differently:\n"
			    "%s---\n%s", name, got, got2);
		free(crlf);
		free(got2);
	}
	path_join(path, sizeof(path), dir, name, ".ref");
	if (getenv("MXSPF_GOLDEN_UPDATE") != NULL) {
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(got, 1, strlen(got), fp), strlen(got));
		assert_int_equal(fclose(fp), 0);
	}
	ref = slurp(path, &len);
	if (ref == NULL)
		fail_msg("%s: missing (%s)", path, strerror(errno));
	if (strcmp(ref, got) != 0) {
		print_error("golden %s differs\n--- expected\n%s--- got\n%s",
		    name, ref, got);
		fail();
	}
	free(ref);
	free(got);
	free(value);
	free(in);
}

/* addr - parse a test address */
static struct mxspf_addr
addr(const char *text)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(text, &a), 0);
	return a;
}

/* run_rcase - one recorded-SPF case, through both entry points */
static void
run_rcase(const struct rcase *c)
{
	struct mxspf_addr cl;
	struct mxspf__recorded d;
	enum mxspf_result r = (enum mxspf_result)99;
	int rc;

	if (c->client != NULL)
		cl = addr(c->client);
	rc = mxspf_recorded_spf_parse(c->name, c->value, strlen(c->value),
	    c->client != NULL ? &cl : NULL, c->authserv, &r);
	if (rc != c->rc)
		fail_msg("'%s: %s': rc %d, expected %d", c->name, c->value,
		    rc, c->rc);
	if (rc == 0) {
		assert_int_equal(r, c->result);
	} else {
		assert_int_equal(r, 99);	/* untouched */
	}
	rc = mxspf__recorded_spf_parse(c->name, c->value, strlen(c->value),
	    c->client != NULL ? &cl : NULL, c->authserv, &d);
	assert_int_equal(rc, c->rc);
	if (rc == 0) {
		assert_int_equal(d.result, c->result);
		if (d.helo_only != c->helo_only)
			fail_msg("'%s': helo_only %d", c->value, d.helo_only);
	}
}

/* make_padded - a valid Postfix header of exactly len bytes (padding in
 * a comment after the for clause) */
static char *
make_padded(size_t len)
{
	static const char head[] = "from mail.sender.test (mail.sender.test "
	    "[198.51.100.10])\r\n\tby mx.example.net (Postfix) with ESMTP id "
	    "4TDx1 for <bob@example.net> (";
	static const char tail[] = "); Mon, 15 Jan 2024 10:00:00 +0000";
	size_t fixed = sizeof(head) - 1 + sizeof(tail) - 1, i;
	char *p;

	assert_true(len > fixed);
	p = malloc(len + 1);
	assert_non_null(p);
	memcpy(p, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < len - (sizeof(tail) - 1); i++)
		p[i] = (i % 7 == 0) ? ' ' : 'p';
	memcpy(p + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	p[len] = '\0';
	return p;
}

/* ---- tests ------------------------------------------------------------- */

/* test_golden - every tests/golden/received/<name>.in against its .ref */
static void
test_golden(void **state)
{
	const char *src = getenv("MXSPF_SRCDIR");
	char dir[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	(void)state;
	path_join(dir, sizeof(dir), src != NULL ? src : "..", T_GOLDEN_DIR,
	    "");
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char name[256];
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		assert_true(len - 3 < sizeof(name));
		memcpy(name, de->d_name, len - 3);
		name[len - 3] = '\0';
		golden_case(dir, name);
		n++;
	}
	closedir(d);
	assert_true(n >= T_GOLDEN_MIN);
}

/* test_received_spf - RFC 7208 s9.1 headers as MTAs and filters write
 * them, matched on client-ip */
static void
test_received_spf(void **state)
{
	static const struct rcase cases[] = {
		{ "Received-SPF", "pass (mx.example.net: domain of "
		    "a@sender.test designates 198.51.100.10 as permitted "
		    "sender) client-ip=198.51.100.10; "
		    "envelope-from=\"a@sender.test\"; helo=mail.sender.test; "
		    "receiver=mx.example.net; identity=mailfrom",
		    "198.51.100.10", NULL, 0, MXSPF_PASS, false },
		{ "received-spf", "pass (x) client-ip=198.51.100.10; "
		    "identity=mailfrom", "198.51.100.11", NULL, MXSPF_ENOENT,
		    MXSPF_NONE, false },
		{ "Received-SPF", "pass (x) client-ip=198.51.100.10",
		    NULL, NULL, 0, MXSPF_PASS, false },
		/* policyd-spf */
		{ "Received-SPF", "Pass (mailfrom) identity=mailfrom; "
		    "client-ip=198.51.100.10; helo=mail.sender.test; "
		    "envelope-from=a@sender.test; receiver=<UNKNOWN> ",
		    "198.51.100.10", NULL, 0, MXSPF_PASS, false },
		{ "Received-SPF", "None (no SPF record) identity=helo; "
		    "client-ip=198.51.100.10; helo=mail.sender.test; "
		    "receiver=mx.example.net", "198.51.100.10", NULL, 0,
		    MXSPF_NONE, true },
		/* Microsoft */
		{ "Received-SPF", "SoftFail (protection.outlook.example: "
		    "domain of transitioning sender.test discourages use of "
		    "198.51.100.10 as permitted sender) "
		    "receiver=protection.outlook.example; "
		    "client-ip=198.51.100.10; helo=mail.sender.test; pr=C",
		    "198.51.100.10", NULL, 0, MXSPF_SOFTFAIL, false },
		{ "Received-SPF", "fail (x: domain of a@sender.test does not "
		    "designate 2001:db8::1 as permitted sender) "
		    "client-ip=2001:db8::1;", "2001:db8::1", NULL, 0,
		    MXSPF_FAIL, false },
		{ "Received-SPF", "Neutral", "198.51.100.10", NULL,
		    MXSPF_ENOENT, MXSPF_NONE, false },
		{ "Received-SPF", "Neutral (nothing else)", NULL, NULL, 0,
		    MXSPF_NEUTRAL, false },
		{ "Received-SPF", "PermError (bad record) "
		    "client-ip=198.51.100.10", "198.51.100.10", NULL, 0,
		    MXSPF_PERMERROR, false },
		{ "Received-SPF", "TEMPERROR client-ip=198.51.100.10",
		    "198.51.100.10", NULL, 0, MXSPF_TEMPERROR, false },
		/* RFC 4408-era words */
		{ "Received-SPF", "error client-ip=198.51.100.10",
		    "198.51.100.10", NULL, 0, MXSPF_TEMPERROR, false },
		{ "Received-SPF", "unknown client-ip=198.51.100.10",
		    "198.51.100.10", NULL, 0, MXSPF_PERMERROR, false },
		{ "Received-SPF", "pass client-ip=\"198.51.100.10\"",
		    "198.51.100.10", NULL, 0, MXSPF_PASS, false },
		{ "Received-SPF", "pass client-ip=::ffff:198.51.100.10",
		    "198.51.100.10", NULL, 0, MXSPF_PASS, false },
		{ "Received-SPF", "softfail\r\n\t(folded) "
		    "client-ip\r\n =\r\n 198.51.100.10 ;", "198.51.100.10",
		    NULL, 0, MXSPF_SOFTFAIL, false },
		{ "Received-SPF", "pass client-ip=198.51.100.10; "
		    "x-mxspf-trusted-for=\"receiver.test other.test\"",
		    "198.51.100.10", NULL, 0, MXSPF_PASS, false },
		/* junk */
		{ "Received-SPF", "bogus (x) client-ip=198.51.100.10",
		    "198.51.100.10", NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "policy client-ip=198.51.100.10",
		    NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "pass! client-ip=198.51.100.10", NULL,
		    NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "pass client-ip=not-an-address", NULL,
		    NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "pass client-ip=198.51.100.10; "
		    "client-ip=203.0.113.1", "198.51.100.10", NULL,
		    MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "pass; junk", NULL, NULL, MXSPF_ESYNTAX,
		    MXSPF_NONE, false },
		{ "Received-SPF", "pass (unbalanced client-ip=198.51.100.10",
		    NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "pass client-ip=\"198.51.100.10", NULL,
		    NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "pass\nclient-ip=198.51.100.10", NULL,
		    NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ "Received-SPF", "", NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE,
		    false },
		{ "Received-SPF", "(only a comment)", NULL, NULL,
		    MXSPF_ESYNTAX, MXSPF_NONE, false },
		/* not a recorded-result header */
		{ "X-Spam-Status", "pass client-ip=198.51.100.10", NULL, NULL,
		    MXSPF_ENOENT, MXSPF_NONE, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_rcase(&cases[i]);
}

/* test_auth_results - RFC 8601 headers: authserv-id, several results,
 * the Microsoft form, junk */
static void
test_auth_results(void **state)
{
	static const char ar[] = "Authentication-Results";
	static const char *const ms = "spf=pass (sender IP is "
	    "198.51.100.10) smtp.mailfrom=sender.test; dkim=pass (signature "
	    "was verified) header.d=sender.test;dmarc=pass action=none "
	    "header.from=sender.test;compauth=pass reason=100";
	static const struct rcase cases[] = {
		{ ar, "mx.backup1.test; spf=pass smtp.mailfrom=a@sender.test",
		    NULL, NULL, 0, MXSPF_PASS, false },
		{ ar, "mx.backup1.test; spf=pass smtp.mailfrom=a@sender.test",
		    "198.51.100.10", "mx.backup1.test", 0, MXSPF_PASS, false },
		{ ar, "mx.backup1.test; spf=pass smtp.mailfrom=a@sender.test",
		    NULL, "MX.Backup1.TEST", 0, MXSPF_PASS, false },
		{ ar, "mx.backup1.test; spf=pass smtp.mailfrom=a@sender.test",
		    NULL, "mx.backup2.test", MXSPF_ENOENT, MXSPF_NONE, false },
		{ ar, "mx.backup1.test 1; spf=fail (sender not authorized) "
		    "smtp.mailfrom=a@sender.test; dkim=none", NULL, NULL, 0,
		    MXSPF_FAIL, false },
		{ ar, "mx.backup1.test; none", NULL, NULL, MXSPF_ENOENT,
		    MXSPF_NONE, false },
		{ ar, "mx.backup1.test", NULL, NULL, MXSPF_ENOENT, MXSPF_NONE,
		    false },
		{ ar, "mx.backup1.test; dkim=pass header.d=sender.test", NULL,
		    NULL, MXSPF_ENOENT, MXSPF_NONE, false },
		/* the smtp.mailfrom result wins over an earlier HELO one */
		{ ar, "mx.backup1.test; spf=none smtp.helo=h.sender.test; "
		    "spf=softfail smtp.mailfrom=a@sender.test", NULL, NULL, 0,
		    MXSPF_SOFTFAIL, false },
		{ ar, "mx.backup1.test; spf=pass smtp.helo=h.sender.test",
		    NULL, NULL, 0, MXSPF_PASS, true },
		{ ar, "mx.backup1.test; spf=neutral; spf=fail", NULL, NULL, 0,
		    MXSPF_NEUTRAL, false },
		/* Microsoft: no authserv-id, "(sender IP is X)" */
		{ ar, ms, "198.51.100.10", NULL, 0, MXSPF_PASS, false },
		{ ar, ms, NULL, NULL, 0, MXSPF_PASS, false },
		{ ar, ms, "198.51.100.11", NULL, MXSPF_ENOENT, MXSPF_NONE,
		    false },
		{ ar, ms, NULL, "protection.outlook.example", MXSPF_ENOENT,
		    MXSPF_NONE, false },
		{ ar, "\"quoted id\"; spf=neutral smtp.mailfrom=a@b.test",
		    NULL, "quoted id", 0, MXSPF_NEUTRAL, false },
		{ ar, "mx; spf=hardfail smtp.mailfrom=a@b.test", NULL, NULL,
		    0, MXSPF_FAIL, false },
		{ ar, "mx; spf/1=pass smtp.mailfrom=a@b.test", NULL, NULL, 0,
		    MXSPF_PASS, false },
		{ ar, "  (c) mx.example (c2) 1 (c3) ; spf (c4) = (c5) pass "
		    "(c6) smtp.mailfrom (c7) = (c8) a@b.test ;", NULL,
		    "mx.example", 0, MXSPF_PASS, false },
		{ ar, "mx; spf=pass reason=\"good; very (good)\" "
		    "smtp.mailfrom=a@b.test", NULL, NULL, 0, MXSPF_PASS,
		    false },
		{ ar, "mx.example;\r\n\tdkim=pass header.d=b.test;\r\n\t"
		    "spf=temperror smtp.mailfrom=a@b.test", NULL, NULL, 0,
		    MXSPF_TEMPERROR, false },
		{ ar, "mx; SPF=PASS smtp.mailfrom=a@b.test", NULL, NULL, 0,
		    MXSPF_PASS, false },
		/* junk */
		{ ar, "mx; spf=policy smtp.mailfrom=a@b.test", NULL, NULL,
		    MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ ar, "mx; spf=pass smtp.mailfrom", NULL, NULL, MXSPF_ESYNTAX,
		    MXSPF_NONE, false },
		{ ar, "mx spf=pass", NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE,
		    false },
		{ ar, "mx; =pass", NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE,
		    false },
		{ ar, "mx; spf pass", NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE,
		    false },
		{ ar, "mx; spf=", NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE,
		    false },
		{ ar, "", NULL, NULL, MXSPF_ESYNTAX, MXSPF_NONE, false },
		{ ar, "mx; spf=pass (open", NULL, NULL, MXSPF_ESYNTAX,
		    MXSPF_NONE, false },
		/* an unknown method's result word is not checked */
		{ ar, "mx; x-foo=whatever; spf=pass", NULL, NULL, 0,
		    MXSPF_PASS, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_rcase(&cases[i]);
}

/* test_recorded_args - bad arguments */
static void
test_recorded_args(void **state)
{
	enum mxspf_result r;
	struct mxspf__recorded d;

	(void)state;
	assert_int_equal(mxspf_recorded_spf_parse(NULL, "pass", 4, NULL,
	    NULL, &r), MXSPF_EINVAL);
	assert_int_equal(mxspf_recorded_spf_parse("Received-SPF", "pass", 4,
	    NULL, NULL, NULL), MXSPF_EINVAL);
	assert_int_equal(mxspf_recorded_spf_parse("Received-SPF", NULL, 4,
	    NULL, NULL, &r), MXSPF_EINVAL);
	assert_int_equal(mxspf_recorded_spf_parse("Received-SPF", NULL, 0,
	    NULL, NULL, &r), MXSPF_ESYNTAX);
	assert_int_equal(mxspf__recorded_spf_parse("Received-SPF", "pass", 4,
	    NULL, NULL, NULL), MXSPF_EINVAL);
	/* The length is what counts, not a NUL. */
	assert_int_equal(mxspf_recorded_spf_parse("Received-SPF",
	    "pass client-ip=198.51.100.10", 4, NULL, NULL, &r), 0);
	assert_int_equal(r, MXSPF_PASS);
	assert_int_equal(mxspf_recorded_spf_parse("Received-SPF",
	    "fail\0 client-ip=198.51.100.10", 30, NULL, NULL, &r),
	    MXSPF_ESYNTAX);
	(void)d;
}

/* test_authserv_id - the id for RFC 8601 s5 removal */
static void
test_authserv_id(void **state)
{
	static const char q[] = " (c) \"quoted \\\"id\\\"\" 1; none";
	char out[256], small[4], long_id[400];
	int rc;

	(void)state;
	rc = mxspf_auth_results_authserv_id("mx.example.net; spf=pass", 24,
	    out, sizeof(out));
	assert_int_equal(rc, 0);
	assert_string_equal(out, "mx.example.net");
	rc = mxspf_auth_results_authserv_id("mx.example.net", 14, out,
	    sizeof(out));
	assert_int_equal(rc, 0);
	assert_string_equal(out, "mx.example.net");
	rc = mxspf_auth_results_authserv_id(q, strlen(q), out, sizeof(out));
	assert_int_equal(rc, 0);
	assert_string_equal(out, "quoted \"id\"");
	rc = mxspf_auth_results_authserv_id("spf=pass (sender IP is "
	    "198.51.100.10) smtp.mailfrom=x", 50, out, sizeof(out));
	assert_int_equal(rc, MXSPF_ENOENT);
	rc = mxspf_auth_results_authserv_id("", 0, out, sizeof(out));
	assert_int_equal(rc, MXSPF_ESYNTAX);
	rc = mxspf_auth_results_authserv_id("\"\"; none", 8, out,
	    sizeof(out));
	assert_int_equal(rc, MXSPF_ESYNTAX);
	rc = mxspf_auth_results_authserv_id("mx.example.net; none", 20,
	    small, sizeof(small));
	assert_int_equal(rc, MXSPF_ELIMIT);
	assert_string_equal(small, "");
	memset(long_id, 'a', sizeof(long_id));
	rc = mxspf_auth_results_authserv_id(long_id, 256, out, sizeof(out));
	assert_int_equal(rc, MXSPF_ESYNTAX);
	rc = mxspf_auth_results_authserv_id(long_id, 255, out, sizeof(out));
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(out), 255);
	rc = mxspf_auth_results_authserv_id("mx\xc3\xa9.example; none", 17,
	    out, sizeof(out));
	assert_int_equal(rc, MXSPF_ESYNTAX);
	rc = mxspf_auth_results_authserv_id("mx\n.example; none", 17, out,
	    sizeof(out));
	assert_int_equal(rc, MXSPF_ESYNTAX);
	assert_int_equal(mxspf_auth_results_authserv_id("x", 1, NULL, 1),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_auth_results_authserv_id(NULL, 1, out,
	    sizeof(out)), MXSPF_EINVAL);
}

/* test_limit_length - 8192 bytes are read, 8193 are not */
static void
test_limit_length(void **state)
{
	struct mxspf_received r;
	char err[256], *p;

	(void)state;
	p = make_padded(MXSPF_RX_MAX_HEADER);
	assert_int_equal(mxspf_received_parse(p, MXSPF_RX_MAX_HEADER, &r,
	    err, sizeof(err)), 0);
	assert_string_equal(r.for_addr, "bob@example.net");
	mxspf_received_clear(&r);
	free(p);
	p = make_padded(MXSPF_RX_MAX_HEADER + 1);
	assert_int_equal(mxspf_received_parse(p, MXSPF_RX_MAX_HEADER + 1, &r,
	    err, sizeof(err)), MXSPF_ESYNTAX);
	assert_string_equal(err, "header longer than 8192 bytes");
	free(p);
}

/* test_limit_depth - comments nest 8 deep, not 9 */
static void
test_limit_depth(void **state)
{
	static const char head[] = "from h.sender.test (h.sender.test "
	    "[198.51.100.10]) ";
	static const char tail[] = " by mx.example.net (Postfix) id X; d";
	struct mxspf_received r;
	char buf[512], err[256];
	size_t depth, i, n;

	(void)state;
	for (depth = 1; depth <= 9; depth++) {
		n = (size_t)snprintf(buf, sizeof(buf), "%s", head);
		for (i = 0; i < depth; i++)
			buf[n++] = '(';
		buf[n++] = 'x';
		for (i = 0; i < depth; i++)
			buf[n++] = ')';
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", tail);
		if (depth <= 8) {
			assert_int_equal(mxspf_received_parse(buf, n, &r, err,
			    sizeof(err)), 0);
			mxspf_received_clear(&r);
		} else {
			assert_int_equal(mxspf_received_parse(buf, n, &r, err,
			    sizeof(err)), MXSPF_ESYNTAX);
			assert_string_equal(err, "comments nested deeper "
			    "than 8");
		}
	}
}

/* test_limit_tokens - 64 words and comments before the date, not 65 */
static void
test_limit_tokens(void **state)
{
	/* 6 tokens: from, name, comment, by, name, comment */
	static const char head[] = "from h.sender.test (h.sender.test "
	    "[198.51.100.10]) by mx.example.net (Postfix)";
	struct mxspf_received r;
	char buf[1024], err[256];
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "%s", head);
	for (i = 6; i < 64; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " (c)");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; date");
	assert_int_equal(mxspf_received_parse(buf, n, &r, err, sizeof(err)),
	    0);
	mxspf_received_clear(&r);
	n -= strlen("; date");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " (c); date");
	assert_int_equal(mxspf_received_parse(buf, n, &r, err, sizeof(err)),
	    MXSPF_ESYNTAX);
	assert_string_equal(err, "more than 64 words and comments before "
	    "the date");
}

/* test_limit_field - a HELO of 512 bytes is kept, 513 is refused */
static void
test_limit_field(void **state)
{
	struct mxspf_received r;
	char buf[1024], err[256];
	int n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = snprintf(buf, sizeof(buf), "from %0512d (h [198.51.100.10]) by "
	    "mx.example.net (Postfix) id X; d", 7);
	assert_int_equal(mxspf_received_parse(buf, (size_t)n, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(r.from_helo), 512);
	mxspf_received_clear(&r);
	n = snprintf(buf, sizeof(buf), "from %0513d (h [198.51.100.10]) by "
	    "mx.example.net (Postfix) id X; d", 7);
	assert_int_equal(mxspf_received_parse(buf, (size_t)n, &r, err,
	    sizeof(err)), MXSPF_ESYNTAX);
	assert_non_null(strstr(err, "HELO name longer than 512 bytes"));
}

/* test_err_buffer - err may be NULL or small; it is always terminated */
static void
test_err_buffer(void **state)
{
	static const char bad[] = "from h (r [198.51.100.10])";
	struct mxspf_received r;
	char err[8];

	(void)state;
	assert_int_equal(mxspf_received_parse(bad, strlen(bad), &r, NULL, 0),
	    MXSPF_ESYNTAX);
	err[0] = 'X';
	assert_int_equal(mxspf_received_parse(bad, strlen(bad), &r, err, 0),
	    MXSPF_ESYNTAX);
	assert_int_equal(err[0], 'X');
	assert_int_equal(mxspf_received_parse(bad, strlen(bad), &r, err, 1),
	    MXSPF_ESYNTAX);
	assert_int_equal(err[0], '\0');
	memset(err, 'X', sizeof(err));
	assert_int_equal(mxspf_received_parse(bad, strlen(bad), &r, err,
	    sizeof(err)), MXSPF_ESYNTAX);
	assert_string_equal(err, "no 'by'");
	/* The quoted text is cut; the message stays one printable line. */
	{
		char big[512], e2[256];
		size_t i;

		for (i = 0; i < sizeof(big); i++)
			big[i] = (char)(i % 3 == 0 ? ')' : 'q');
		memcpy(big, "from h ", 7);
		assert_int_equal(mxspf_received_parse(big, sizeof(big), &r,
		    e2, sizeof(e2)), MXSPF_ESYNTAX);
		check_printable(e2, false);
		assert_true(strlen(e2) < 120);
	}
}

/* test_args - NULL arguments; the value is never read past len */
static void
test_args(void **state)
{
	static const char v[] = "from h (r [198.51.100.10]) by mx id X; d";
	struct mxspf_received r;
	char err[256];

	(void)state;
	assert_int_equal(mxspf_received_parse(v, strlen(v), NULL, err,
	    sizeof(err)), MXSPF_EINVAL);
	assert_int_equal(mxspf_received_parse(NULL, 3, &r, err, sizeof(err)),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_received_parse(NULL, 0, &r, err, sizeof(err)),
	    MXSPF_ESYNTAX);
	/* Only the first 32 bytes: "...by mx" and nothing after. */
	assert_int_equal(mxspf_received_parse(v, 32, &r, err, sizeof(err)),
	    0);
	assert_string_equal(r.by, "mx");
	assert_null(r.id);
	mxspf_received_clear(&r);
	mxspf_received_clear(&r);	/* twice is harmless */
	mxspf_received_clear(NULL);
}

/* test_fields - details the golden files do not show */
static void
test_fields(void **state)
{
	static const char tab[] = "from h (r [198.51.100.10]) by mx with "
	    "Microsoft\r\n\tSMTP\r\n\tServer id 15.20.1; d";
	static const char mapped[] = "from h (r [IPv6:::ffff:198.51.100.10])"
	    " by mx; d";
	struct mxspf_received r;
	char err[256];

	(void)state;
	/* Words of a folded "with" are joined by one space. */
	assert_int_equal(mxspf_received_parse(tab, strlen(tab), &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.with, "Microsoft SMTP Server");
	assert_int_equal(r.mta, MXSPF_MTA_EXCHANGE);
	mxspf_received_clear(&r);
	assert_int_equal(mxspf_received_parse(mapped, strlen(mapped), &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.from_ip.family, 4);
	mxspf_received_clear(&r);
}

/* test_mta_names - every name */
static void
test_mta_names(void **state)
{
	(void)state;
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_UNKNOWN), "unknown");
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_POSTFIX), "postfix");
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_SENDMAIL), "sendmail");
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_EXIM), "exim");
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_EXCHANGE), "exchange");
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_OPENSMTPD), "opensmtpd");
	assert_string_equal(mxspf_mta_name(MXSPF_MTA_QMAIL), "qmail");
	assert_string_equal(mxspf_mta_name((enum mxspf_mta)42), "unknown");
}

/* test_nomem - every allocation failure gives MXSPF_ENOMEM, no leak */
static void
test_nomem(void **state)
{
	static const char rv[] = "from mail.sender.test ([198.51.100.30] "
	    "helo=smtp.sender.test)\r\n\tby mx.example.net with esmtps "
	    "(TLS1.3) tls X\r\n\t(Exim 4.96)\r\n\tid 1rP\r\n\tfor "
	    "bob@example.net; d";
	static const char ar[] = "mx.example; spf=pass smtp.mailfrom=a@b";
	struct mxspf_received r;
	struct mxspf_addr cl = addr("198.51.100.30");
	enum mxspf_result res;
	char err[256], id[64];
	size_t n;
	int rc;

	(void)state;
	for (n = 0;; n++) {
		mxspf__alloc_fail_after(n);
		rc = mxspf_received_parse(rv, strlen(rv), &r, err,
		    sizeof(err));
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_string_equal(err, "out of memory");
		assert_null(r.by);
		assert_true(n < 100);
	}
	assert_true(n >= 5);
	assert_string_equal(r.from_helo, "smtp.sender.test");
	mxspf_received_clear(&r);
	for (n = 0;; n++) {
		mxspf__alloc_fail_after(n);
		rc = mxspf_recorded_spf_parse("Authentication-Results", ar,
		    strlen(ar), &cl, "mx.example", &res);
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_true(n < 100);
	}
	assert_int_equal(res, MXSPF_PASS);
	for (n = 0;; n++) {
		mxspf__alloc_fail_after(n);
		rc = mxspf_auth_results_authserv_id(ar, strlen(ar), id,
		    sizeof(id));
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, MXSPF_ENOMEM);
		assert_true(n < 100);
	}
	assert_string_equal(id, "mx.example");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_received_spf),
		cmocka_unit_test(test_auth_results),
		cmocka_unit_test(test_recorded_args),
		cmocka_unit_test(test_authserv_id),
		cmocka_unit_test(test_limit_length),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_tokens),
		cmocka_unit_test(test_limit_field),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_mta_names),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
