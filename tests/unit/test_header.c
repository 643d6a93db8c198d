/* tests/unit/test_header.c - unit and golden tests of lib/header.c.
 * Owns: a small RFC 5322 / RFC 7208 s9.1 / RFC 8601 reader that checks
 * every header these tests produce (no raw control byte, folds only as
 * "\n\t", lines <= 998 bytes, the grammar of the field) and decodes its
 * values, so a test can compare what a reader would see; and the golden
 * cases in tests/golden/header/<name>.in -> <name>.ref, found through
 * $MXSPF_SRCDIR.  MXSPF_GOLDEN_UPDATE=1 rewrites the .ref files (review
 * the diff before committing).  Verdicts are built by hand, so these tests
 * do not depend on the evaluator.
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

#include "mxspf/mxspf.h"
#include "internal.h"

#define T_MAX_FIELD	8192	/* decoded comment or value */
#define T_MAX_PAIRS	16	/* key-value pairs in one header */
#define T_GOLDEN_MIN	10	/* golden cases that must exist */
#define T_GOLDEN_DIR	"tests/golden/header"
#define T_FILE_MAX	65536	/* .in / .ref file size */

/* A header as a reader decodes it. */
struct parsed {
	char result[32];
	char comment[T_MAX_FIELD];	/* decoded, whitespace runs as is */
	char authserv[T_MAX_FIELD];	/* Authentication-Results only */
	size_t npairs;
	char key[T_MAX_PAIRS][64];
	char val[T_MAX_PAIRS][T_MAX_FIELD];
	bool quoted[T_MAX_PAIRS];
};

/* The fixture every test starts from: a pass for alice@example.com. */
struct fix {
	struct mxspf_verdict v;
	struct mxspf_addr client;
	struct mxspf_header_info info;
};

/* A reader over the unfolded header text. */
struct lex {
	const char *p;
	size_t i, n;
};

static struct parsed *parsed_new(void);
static void fix_init(struct fix *);
static void set_client(struct mxspf_addr *, const char *);
static void check_raw(const char *, bool);
static char *unfold(const char *);
static void lx_wsp(struct lex *);
static bool lx_comment(struct lex *, char *, size_t);
static bool lx_cfws(struct lex *, char *, size_t);
static bool lx_quoted(struct lex *, char *, size_t);
static bool lx_run(struct lex *, bool (*)(int), char *, size_t);
static bool is_atext_dot(int);
static bool is_token(int);
static bool is_pvalue(int);
static bool is_ldh(int);
static void check_pvalue(const char *, const char *);
static bool is_keychar(int);
static void parse_received(const char *, struct parsed *);
static void parse_ar(const char *, struct parsed *);
static const char *pair(const struct parsed *, const char *);
static char *rs(const struct fix *);
static char *ar(const struct fix *, const char *);
static char *slurp(const char *, size_t *);
static void unescape(const char *, char *, size_t);
static void golden_case(const char *, const char *);
static void path_join(char *, size_t, const char *, const char *,
    const char *);
static void check_folds(const char *);
static void check_line(const char *, size_t);

/* parsed_new - a zeroed struct parsed on the heap (it is large) */
static struct parsed *
parsed_new(void)
{
	struct parsed *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	return p;
}

/* set_client - parse an address with inet_pton into *a */
static void
set_client(struct mxspf_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->b) == 1) {
		a->family = 4;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, a->b), 1);
	a->family = 6;
}

/* fix_init - pass by ip4:192.0.2.0/24 for alice@example.com */
static void
fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->v.result = MXSPF_PASS;
	f->v.reason = MXSPF_WHY_MECHANISM;
	f->v.identity = "alice@example.com";
	f->v.domain = "example.com";
	f->v.mechanism = "ip4:192.0.2.0/24";
	f->v.mech_domain = "example.com";
	set_client(&f->client, "192.0.2.1");
	f->info.verdict = &f->v;
	f->info.client = &f->client;
	f->info.helo = "mail.example.com";
	f->info.sender = "alice@example.com";
	f->info.identity = MXSPF_ID_MAILFROM;
	f->info.receiver = "mx.example.net";
}

/* check_raw - the header's bytes: printable ASCII, folds "\n\t" only,
 * no final newline, no line over 998 bytes and, when strict (all inputs
 * short), none over 78 */
static void
check_raw(const char *h, bool strict)
{
	size_t i, line = 0, n = strlen(h);

	assert_true(n > 0);
	assert_int_not_equal(h[n - 1], '\n');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '\n') {
			assert_int_equal(h[i + 1], '\t');
			if (strict)
				assert_true(line <= 78);
			line = 0;
			continue;
		}
		if (c == '\t')
			assert_true(i > 0 && h[i - 1] == '\n');
		else
			assert_true(c >= 0x20 && c < 0x7f);
		line++;
		assert_true(line <= 998);
		/* No line ends in whitespace. */
		if (c == ' ')
			assert_true(h[i + 1] != '\n' && h[i + 1] != '\0');
	}
	if (strict)
		assert_true(line <= 78);
}

/* unfold - RFC 5322 s2.2.3: remove each fold's line break */
static char *
unfold(const char *h)
{
	char *u = strdup(h), *w = u;

	assert_non_null(u);
	for (; *h != '\0'; h++) {
		if (*h != '\n')
			*w++ = *h;
	}
	*w = '\0';
	return u;
}

/* lx_wsp - skip spaces and tabs */
static void
lx_wsp(struct lex *l)
{
	while (l->i < l->n && (l->p[l->i] == ' ' || l->p[l->i] == '\t'))
		l->i++;
}

/* lx_comment - read one RFC 5322 comment, nested ones included, into out
 * (decoded; FWS as one space); false when there is none or it is bad */
static bool
lx_comment(struct lex *l, char *out, size_t cap)
{
	size_t depth = 0, o = 0;

	if (l->i >= l->n || l->p[l->i] != '(')
		return false;
	for (; l->i < l->n; l->i++) {
		char c = l->p[l->i];

		if (c == '(' && depth++ == 0)
			continue;
		if (c == ')' && --depth == 0) {
			l->i++;
			out[o] = '\0';
			return true;
		}
		if (c == '\\') {
			if (++l->i >= l->n)
				return false;
			c = l->p[l->i];
		} else if (c == '\t') {
			c = ' ';	/* a fold's WSP */
		}
		if (o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	return false;
}

/* lx_cfws - skip [CFWS], keeping the last comment's text in out */
static bool
lx_cfws(struct lex *l, char *out, size_t cap)
{
	for (;;) {
		lx_wsp(l);
		if (l->i >= l->n || l->p[l->i] != '(')
			return true;
		if (!lx_comment(l, out, cap))
			return false;
	}
}

/* lx_quoted - read an RFC 5322 quoted-string, decoded */
static bool
lx_quoted(struct lex *l, char *out, size_t cap)
{
	size_t o = 0;

	if (l->i >= l->n || l->p[l->i] != '"')
		return false;
	for (l->i++; l->i < l->n; l->i++) {
		char c = l->p[l->i];

		if (c == '"') {
			l->i++;
			out[o] = '\0';
			return true;
		}
		if (c == '\\') {
			if (++l->i >= l->n)
				return false;
			c = l->p[l->i];
			/* quoted-pair = "\" (VCHAR / WSP) */
			if (!(c == ' ' || c == '\t' || (c > 0x20 && c < 0x7f)))
				return false;
		} else if (!(c == ' ' || (c > 0x20 && c < 0x7f))) {
			return false;
		}
		if (o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	return false;
}

/* lx_run - read a non-empty run of bytes that ok() accepts */
static bool
lx_run(struct lex *l, bool (*ok)(int), char *out, size_t cap)
{
	size_t o = 0;

	while (l->i < l->n && ok((unsigned char)l->p[l->i])) {
		if (o + 1 >= cap)
			return false;
		out[o++] = l->p[l->i++];
	}
	out[o] = '\0';
	return o > 0;
}

/* is_atext_dot - RFC 5322 atext or "." */
static bool
is_atext_dot(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* is_token - RFC 2045 token byte */
static bool
is_token(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* is_pvalue - a byte of an unquoted RFC 8601 pvalue (token or address) */
static bool
is_pvalue(int c)
{
	return is_token(c) || is_atext_dot(c) || c == '@';
}

/* is_ldh - a byte of an RFC 6376 domain-name */
static bool
is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* is_keychar - a byte of a key or ptype.property */
static bool
is_keychar(int c)
{
	return (c >= 'a' && c <= 'z') || c == '-' || c == '.';
}

/* parse_received - check the RFC 7208 s9.1 grammar and decode */
static void
parse_received(const char *h, struct parsed *p)
{
	static const char *const results[] = { "pass", "fail", "softfail",
	    "neutral", "none", "temperror", "permerror" };
	char *u = unfold(h);
	struct lex l = { u, 0, strlen(u) };
	bool ok = false;
	size_t k, i, start;

	memset(p, 0, sizeof(*p));
	assert_int_equal(strncmp(u, "Received-SPF: ", 14), 0);
	l.i = 14;
	assert_true(lx_run(&l, is_keychar, p->result, sizeof(p->result)));
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		ok = ok || strcmp(p->result, results[i]) == 0;
	assert_true(ok);
	/* result FWS [comment FWS] */
	assert_true(l.p[l.i] == ' ' || l.p[l.i] == '\t');
	start = l.i;
	assert_true(lx_cfws(&l, p->comment, sizeof(p->comment)));
	assert_true(l.i > start);
	for (k = 0; l.i < l.n; k++) {
		assert_true(k < T_MAX_PAIRS);
		if (k > 0) {
			assert_int_equal(l.p[l.i], ';');
			l.i++;
			assert_true(lx_cfws(&l, p->comment,
			    sizeof(p->comment)));
		}
		assert_true(lx_run(&l, is_keychar, p->key[k],
		    sizeof(p->key[k])));
		assert_int_equal(l.p[l.i], '=');
		l.i++;
		if (l.p[l.i] == '"') {
			p->quoted[k] = true;
			assert_true(lx_quoted(&l, p->val[k],
			    sizeof(p->val[k])));
		} else {
			/* dot-atom: 1*atext *("." 1*atext) */
			assert_true(lx_run(&l, is_atext_dot, p->val[k],
			    sizeof(p->val[k])));
			assert_int_not_equal(p->val[k][0], '.');
			assert_null(strstr(p->val[k], ".."));
			assert_int_not_equal(
			    p->val[k][strlen(p->val[k]) - 1], '.');
		}
		lx_wsp(&l);
	}
	p->npairs = k;
	free(u);
}

/* check_pvalue - an unquoted value: a token, or for a property also
 * [dot-atom] "@" domain-name */
static void
check_pvalue(const char *key, const char *v)
{
	const char *at = strchr(v, '@'), *s;

	if (at == NULL) {
		for (s = v; *s != '\0'; s++)
			assert_true(is_token((unsigned char)*s));
		return;
	}
	assert_int_equal(strncmp(key, "smtp.", 5), 0);
	for (s = v; s < at; s++)
		assert_true(is_atext_dot((unsigned char)*s));
	assert_true(at[1] != '\0' && at[1] != '.' && at[1] != '-');
	assert_non_null(strchr(at + 1, '.'));
	for (s = at + 1; *s != '\0'; s++)
		assert_true(is_ldh((unsigned char)*s));
}

/* parse_ar - check the RFC 8601 grammar (one spf resinfo) and decode;
 * the reason and the one property become pairs */
static void
parse_ar(const char *h, struct parsed *p)
{
	char *u = unfold(h);
	struct lex l = { u, 0, strlen(u) };
	size_t k = 0;

	memset(p, 0, sizeof(*p));
	assert_int_equal(strncmp(u, "Authentication-Results: ", 24), 0);
	l.i = 24;
	assert_true(lx_run(&l, is_token, p->authserv, sizeof(p->authserv)));
	assert_int_equal(l.p[l.i], ';');
	l.i++;
	assert_true(lx_cfws(&l, p->comment, sizeof(p->comment)));
	assert_int_equal(strncmp(l.p + l.i, "spf=", 4), 0);
	l.i += 4;
	assert_true(lx_run(&l, is_token, p->result, sizeof(p->result)));
	assert_true(lx_cfws(&l, p->comment, sizeof(p->comment)));
	while (l.i < l.n) {
		assert_true(k < T_MAX_PAIRS);
		assert_true(lx_run(&l, is_keychar, p->key[k],
		    sizeof(p->key[k])));
		assert_int_equal(l.p[l.i], '=');
		l.i++;
		if (l.p[l.i] == '"') {
			p->quoted[k] = true;
			assert_true(lx_quoted(&l, p->val[k],
			    sizeof(p->val[k])));
		} else {
			assert_true(lx_run(&l, is_pvalue, p->val[k],
			    sizeof(p->val[k])));
			check_pvalue(p->key[k], p->val[k]);
		}
		k++;
		assert_true(lx_cfws(&l, p->comment, sizeof(p->comment)));
	}
	p->npairs = k;
	free(u);
}

/* pair - the decoded value of key, or NULL */
static const char *
pair(const struct parsed *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->npairs; i++) {
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	}
	return NULL;
}

/* rs - the Received-SPF header of f, checked for bytes and lines */
static char *
rs(const struct fix *f)
{
	char *h = NULL;

	assert_int_equal(mxspf_header_received_spf(&f->info, &h), 0);
	assert_non_null(h);
	check_raw(h, false);
	return h;
}

/* ar - the Authentication-Results header of f, checked */
static char *
ar(const struct fix *f, const char *authserv)
{
	char *h = NULL;

	assert_int_equal(mxspf_header_auth_results(&f->info, authserv, &h),
	    0);
	assert_non_null(h);
	check_raw(h, false);
	return h;
}

/* test_pass_example - the whole Received-SPF of the fixture */
static void
test_pass_example(void **state)
{
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	h = rs(&f);
	assert_string_equal(h,
	    "Received-SPF: pass (mx.example.net: domain of alice@example.com "
	    "designates\n"
	    "\t192.0.2.1 as permitted sender) client-ip=192.0.2.1;\n"
	    "\tenvelope-from=\"alice@example.com\"; helo=mail.example.com; "
	    "identity=mailfrom;\n"
	    "\treceiver=mx.example.net; mechanism=\"ip4:192.0.2.0/24\"");
	check_raw(h, true);
	free(h);
	h = ar(&f, "mx.example.net");
	assert_string_equal(h,
	    "Authentication-Results: mx.example.net; spf=pass (mx.example.net: "
	    "domain of\n"
	    "\talice@example.com designates 192.0.2.1 as permitted sender)\n"
	    "\tsmtp.mailfrom=alice@example.com");
	check_raw(h, true);
	free(h);
}

/* test_each_result - every result: its name, comment and keys */
static void
test_each_result(void **state)
{
	static const struct {
		enum mxspf_result r;
		enum mxspf_reason why;
		const char *name;
		const char *comment;
	} c[] = {
		{ MXSPF_PASS, MXSPF_WHY_MECHANISM, "pass",
		    "mx.example.net: domain of alice@example.com designates "
		    "192.0.2.1 as permitted sender" },
		{ MXSPF_FAIL, MXSPF_WHY_MECHANISM, "fail",
		    "mx.example.net: domain of alice@example.com does not "
		    "designate 192.0.2.1 as permitted sender" },
		{ MXSPF_SOFTFAIL, MXSPF_WHY_MECHANISM, "softfail",
		    "mx.example.net: domain of transitioning alice@example.com "
		    "does not designate 192.0.2.1 as permitted sender" },
		{ MXSPF_NEUTRAL, MXSPF_WHY_DEFAULT, "neutral",
		    "mx.example.net: 192.0.2.1 is neither permitted nor denied "
		    "by domain of alice@example.com" },
		{ MXSPF_NONE, MXSPF_WHY_NO_RECORD, "none",
		    "mx.example.net: domain of alice@example.com does not "
		    "designate permitted sender hosts" },
		{ MXSPF_TEMPERROR, MXSPF_WHY_DNS, "temperror",
		    "mx.example.net: temporary error in processing during "
		    "lookup of alice@example.com: DNS timeout" },
		{ MXSPF_PERMERROR, MXSPF_WHY_SYNTAX, "permerror",
		    "mx.example.net: permanent error in processing domain of "
		    "alice@example.com: DNS timeout" },
	};
	struct parsed *p = parsed_new();
	struct fix f;
	size_t i;
	char *h;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bool err = c[i].r == MXSPF_TEMPERROR ||
		    c[i].r == MXSPF_PERMERROR;

		fix_init(&f);
		f.v.result = c[i].r;
		f.v.reason = c[i].why;
		f.v.problem = "DNS timeout";
		h = rs(&f);
		check_raw(h, true);
		parse_received(h, p);
		assert_string_equal(p->result, c[i].name);
		assert_string_equal(p->comment, c[i].comment);
		assert_string_equal(pair(p, "client-ip"), "192.0.2.1");
		assert_string_equal(pair(p, "envelope-from"),
		    "alice@example.com");
		assert_string_equal(pair(p, "helo"), "mail.example.com");
		assert_string_equal(pair(p, "identity"), "mailfrom");
		assert_string_equal(pair(p, "receiver"), "mx.example.net");
		if (c[i].why == MXSPF_WHY_MECHANISM)
			assert_string_equal(pair(p, "mechanism"),
			    "ip4:192.0.2.0/24");
		else
			assert_null(pair(p, "mechanism"));
		/* problem= only for the error results */
		if (err)
			assert_string_equal(pair(p, "problem"), "DNS timeout");
		else
			assert_null(pair(p, "problem"));
		free(h);

		h = ar(&f, "mx.example.net");
		check_raw(h, true);
		parse_ar(h, p);
		assert_string_equal(p->authserv, "mx.example.net");
		assert_string_equal(p->result, c[i].name);
		assert_string_equal(p->comment, c[i].comment);
		assert_string_equal(pair(p, "smtp.mailfrom"),
		    "alice@example.com");
		if (err)
			assert_string_equal(pair(p, "reason"), "DNS timeout");
		else
			assert_null(pair(p, "reason"));
		free(h);
	}
	free(p);
}

/* test_identity_helo - the HELO identity: identity=helo, smtp.helo */
static void
test_identity_helo(void **state)
{
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	f.info.identity = MXSPF_ID_HELO;
	f.v.identity = "mail.example.com";
	h = rs(&f);
	parse_received(h, p);
	assert_string_equal(pair(p, "identity"), "helo");
	assert_string_equal(pair(p, "helo"), "mail.example.com");
	assert_string_equal(pair(p, "envelope-from"), "alice@example.com");
	assert_non_null(strstr(p->comment, "domain of mail.example.com "
	    "designates"));
	free(h);
	h = ar(&f, "mx.example.net");
	assert_string_equal(h,
	    "Authentication-Results: mx.example.net; spf=pass (mx.example.net: "
	    "domain of\n"
	    "\tmail.example.com designates 192.0.2.1 as permitted sender)\n"
	    "\tsmtp.helo=mail.example.com");
	free(h);
	free(p);
}

/* test_null_sender - MAIL FROM:<> is checked as postmaster@helo */
static void
test_null_sender(void **state)
{
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	f.info.sender = "";
	h = rs(&f);
	parse_received(h, p);
	assert_string_equal(pair(p, "envelope-from"), "");
	assert_true(p->quoted[1]);
	assert_string_equal(pair(p, "identity"), "mailfrom");
	assert_non_null(strstr(p->comment,
	    "domain of postmaster@mail.example.com designates"));
	free(h);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	assert_string_equal(pair(p, "smtp.mailfrom"),
	    "postmaster@mail.example.com");
	free(h);

	/* A NULL sender is the null reverse-path too; with no HELO either
	 * there is no identity to name. */
	f.info.sender = NULL;
	f.info.helo = NULL;
	h = rs(&f);
	parse_received(h, p);
	assert_string_equal(pair(p, "envelope-from"), "");
	assert_null(pair(p, "helo"));
	assert_non_null(strstr(p->comment, "domain of <> designates"));
	free(h);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	assert_string_equal(pair(p, "smtp.mailfrom"), "");
	free(h);
	free(p);
}

/* test_ipv6 - an IPv6 client is a quoted-string (':' is not atext) */
static void
test_ipv6(void **state)
{
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	set_client(&f.client, "2001:DB8:0:0:0:0:0:25");
	h = rs(&f);
	assert_non_null(strstr(h, "client-ip=\"2001:db8::25\";"));
	parse_received(h, p);
	assert_string_equal(pair(p, "client-ip"), "2001:db8::25");
	assert_non_null(strstr(p->comment, "designates 2001:db8::25 as"));
	free(h);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	assert_non_null(strstr(p->comment, "designates 2001:db8::25 as"));
	free(h);
	free(p);
}

/* test_no_receiver - without a receiver: no "receiver:" prefix, no key */
static void
test_no_receiver(void **state)
{
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	f.info.receiver = NULL;
	h = rs(&f);
	parse_received(h, p);
	assert_null(pair(p, "receiver"));
	assert_string_equal(p->comment, "domain of alice@example.com "
	    "designates 192.0.2.1 as permitted sender");
	free(h);
	f.info.receiver = "";
	h = rs(&f);
	parse_received(h, p);
	assert_null(pair(p, "receiver"));
	free(h);
	free(p);
}

/* test_values_quoting - dot-atom when possible, else quoted-string; the
 * pvalue forms of RFC 8601 */
static void
test_values_quoting(void **state)
{
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	f.v.mechanism = "-all";
	f.info.helo = "[192.0.2.1]";
	f.info.sender = "\"john doe\"@example.com";
	h = rs(&f);
	assert_non_null(strstr(h, "mechanism=-all"));
	assert_non_null(strstr(h, "helo=\"[192.0.2.1]\";"));
	assert_non_null(strstr(h,
	    "envelope-from=\"\\\"john doe\\\"@example.com\";"));
	parse_received(h, p);
	assert_string_equal(pair(p, "envelope-from"),
	    "\"john doe\"@example.com");
	free(h);
	h = ar(&f, "mx.example.net");
	assert_non_null(strstr(h,
	    "smtp.mailfrom=\"\\\"john doe\\\"@example.com\""));
	parse_ar(h, p);
	assert_string_equal(pair(p, "smtp.mailfrom"),
	    "\"john doe\"@example.com");
	free(h);

	/* A one-label domain is not an RFC 6376 domain-name: quoted. */
	f.info.sender = "root@localhost";
	h = ar(&f, "mx.example.net");
	assert_non_null(strstr(h, "smtp.mailfrom=\"root@localhost\""));
	free(h);
	/* local-part and domain-name as they are. */
	f.info.sender = "first.last+tag@sub-1.example.com";
	h = ar(&f, "mx.example.net");
	assert_non_null(strstr(h,
	    "smtp.mailfrom=first.last+tag@sub-1.example.com"));
	free(h);
	f.info.sender = "a..b@example.com";
	h = ar(&f, "mx.example.net");
	assert_non_null(strstr(h, "smtp.mailfrom=\"a..b@example.com\""));
	free(h);
	f.info.sender = "a@-example.com";
	h = ar(&f, "mx.example.net");
	assert_non_null(strstr(h, "smtp.mailfrom=\"a@-example.com\""));
	free(h);
	free(p);
}

/* test_hostile_control - CR, LF, TAB, other controls, DEL and 8-bit
 * bytes in sender, helo, mechanism and problem never reach the header
 * raw: each becomes '?', so no field can be injected */
static void
test_hostile_control(void **state)
{
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	f.v.result = MXSPF_PERMERROR;
	f.v.reason = MXSPF_WHY_SYNTAX;
	f.v.problem = "bad\r\nX-Injected: yes\x01\x7f";
	f.info.helo = "evil\r\n\r\nBody\ttab";
	f.info.sender = "a\nb\x80\xff@example.com";
	f.info.receiver = "mx\r\n.example.net";
	h = rs(&f);
	assert_null(strstr(h, "\r"));
	assert_null(strstr(h, "\nX-Injected"));
	assert_null(strstr(h, "\nBody"));
	parse_received(h, p);
	assert_string_equal(pair(p, "problem"), "bad??X-Injected: yes??");
	assert_string_equal(pair(p, "helo"), "evil????Body?tab");
	assert_string_equal(pair(p, "envelope-from"), "a?b??@example.com");
	assert_string_equal(pair(p, "receiver"), "mx??.example.net");
	free(h);
	h = ar(&f, "mx.example.net");
	assert_null(strstr(h, "\r"));
	parse_ar(h, p);
	assert_string_equal(pair(p, "reason"), "bad??X-Injected: yes??");
	assert_string_equal(pair(p, "smtp.mailfrom"), "a?b??@example.com");
	free(h);

	/* A NUL ends a C string: nothing after it can appear. */
	f.info.sender = "ok@example.com\0\r\nX-Evil: 1";
	h = rs(&f);
	assert_null(strstr(h, "Evil"));
	free(h);
	free(p);
}

/* test_hostile_quotes - parentheses, quotes and backslashes are escaped
 * in comments and quoted-strings and decode back to what was given */
static void
test_hostile_quotes(void **state)
{
	static const char mech[] = "include:\"x\\\";(y)";
	static const char prob[] = "term ')' at 3: \"\\\" (unbalanced (";
	struct parsed *p = parsed_new();
	struct fix f;
	char *h;

	(void)state;
	fix_init(&f);
	f.v.result = MXSPF_PERMERROR;
	f.v.problem = prob;
	f.v.mechanism = mech;
	f.info.sender = "a)b(c\\d\"e@example.com";
	f.info.helo = "h)\\";
	h = rs(&f);
	parse_received(h, p);
	assert_string_equal(pair(p, "mechanism"), mech);
	assert_string_equal(pair(p, "problem"), prob);
	assert_string_equal(pair(p, "envelope-from"),
	    "a)b(c\\d\"e@example.com");
	assert_string_equal(pair(p, "helo"), "h)\\");
	assert_string_equal(p->comment, "mx.example.net: permanent error in "
	    "processing domain of a)b(c\\d\"e@example.com: term ')' at 3: "
	    "\"\\\" (unbalanced (");
	free(h);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	assert_string_equal(pair(p, "reason"), prob);
	assert_string_equal(pair(p, "smtp.mailfrom"),
	    "a)b(c\\d\"e@example.com");
	assert_non_null(strstr(p->comment, "domain of a)b(c\\d\"e@"));
	free(h);

	/* Runs of spaces stay in quoted-strings; in the comment they are
	 * FWS between words. */
	f.v.problem = "  two  spaces ";
	h = rs(&f);
	parse_received(h, p);
	assert_string_equal(pair(p, "problem"), "  two  spaces ");
	assert_non_null(strstr(p->comment, "a)b(c\\d\"e@example.com: two "
	    "spaces "));
	assert_non_null(strstr(h, "e@example.com: two spaces ) client-ip="));
	free(h);
	free(p);
}

/* test_hostile_long - a 5 KB sender, helo, mechanism and problem are
 * cut to 256 bytes plus "..."; lines stay under 998 bytes */
static void
test_hostile_long(void **state)
{
	struct parsed *p = parsed_new();
	char *big = malloc(5121), *cut = malloc(300), *h;
	struct fix f;

	(void)state;
	assert_non_null(big);
	assert_non_null(cut);
	memset(big, 'a', 5120);
	big[5120] = '\0';
	big[100] = '@';
	memcpy(cut, big, 256);
	memcpy(cut + 256, "...", 4);
	fix_init(&f);
	f.v.result = MXSPF_TEMPERROR;
	f.v.problem = big;
	f.v.mechanism = big;
	f.info.sender = big;
	f.info.helo = big;
	f.info.receiver = big;
	h = rs(&f);
	assert_true(strlen(h) < 8192);
	parse_received(h, p);
	assert_string_equal(pair(p, "envelope-from"), cut);
	assert_string_equal(pair(p, "helo"), cut);
	assert_string_equal(pair(p, "receiver"), cut);
	assert_string_equal(pair(p, "mechanism"), cut);
	assert_string_equal(pair(p, "problem"), cut);
	free(h);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	assert_string_equal(pair(p, "smtp.mailfrom"), cut);
	assert_string_equal(pair(p, "reason"), cut);
	free(h);

	/* The worst case for line length: every byte escaped. */
	memset(big, '"', 5120);
	f.v.result = MXSPF_PERMERROR;
	h = rs(&f);
	parse_received(h, p);
	free(h);
	memset(big, '(', 5120);
	h = rs(&f);
	parse_received(h, p);
	free(h);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	free(h);
	/* Null sender and a 5 KB HELO: postmaster@ plus the cut HELO. */
	f.info.sender = "";
	memset(big, 'h', 5120);
	h = ar(&f, "mx.example.net");
	parse_ar(h, p);
	assert_int_equal(strlen(pair(p, "smtp.mailfrom")), 256 + 3);
	assert_int_equal(strncmp(pair(p, "smtp.mailfrom"), "postmaster@hhh",
	    14), 0);
	free(h);
	free(big);
	free(cut);
	free(p);
}

/* check_line - a line over 78 bytes is one item that cannot be folded */
static void
check_line(const char *line, size_t len)
{
	if (len > 78)
		assert_null(memchr(line + 1, ' ', len - 1));
}

/* check_folds - each fold is outside quoted-strings, after a ';' once
 * the comment is over, and needed: the next word would not have fit */
static void
check_folds(const char *h)
{
	const char *line = h, *s;
	bool quoted = false;
	size_t depth = 0, folds = 0, word;

	for (s = h; *s != '\0'; s++) {
		if (*s == '\\') {
			s++;
			continue;
		}
		if (*s == '"' && depth == 0)
			quoted = !quoted;
		else if (*s == '(' && !quoted)
			depth++;
		else if (*s == ')' && !quoted)
			depth--;
		if (*s != '\n')
			continue;
		folds++;
		assert_false(quoted);
		if (strncmp(h, "Received-SPF:", 13) == 0 && depth == 0 &&
		    strchr(h, ')') < s)
			assert_int_equal(s[-1], ';');
		word = strcspn(s + 2, " \n");
		assert_true((size_t)(s - line) + 1 + word > 78);
		check_line(line, (size_t)(s - line));
		line = s + 1;
	}
	check_line(line, strlen(line));
	assert_false(quoted);
	assert_int_equal(depth, 0);
	assert_true(folds > 0);
}

/* test_folding - folds fall only between items and comment words, only
 * where the 78 columns need one */
static void
test_folding(void **state)
{
	static const char *const helos[] = { "mail.example.com",
	    "a-rather-long-host-name-that-fills-much-of-a-line.example.com",
	    "x", ("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d"
	    ".e.f.g.h.i.j.k.l.m.n.o.p.q") };
	struct fix f;
	size_t i;
	char *h;

	(void)state;
	fix_init(&f);
	for (i = 0; i < sizeof(helos) / sizeof(helos[0]); i++) {
		f.info.helo = helos[i];
		f.info.identity = i % 2 ? MXSPF_ID_HELO : MXSPF_ID_MAILFROM;
		h = rs(&f);
		check_folds(h);
		free(h);
		h = ar(&f, "mx.example.net");
		check_folds(h);
		free(h);
	}
	f.info.helo = helos[1];
	f.info.identity = MXSPF_ID_MAILFROM;
	h = rs(&f);
	assert_non_null(strstr(h, ";\n\thelo=a-rather-long-host-name"));
	free(h);
}

/* test_einval - bad arguments */
static void
test_einval(void **state)
{
	static const char *const bad_ids[] = { "", "a b", "mx;x", "mx\r\n",
	    "(c)", "\"q\"", "a@b", "mx.example.net\n\tX: y" };
	struct fix f;
	char *h = (char *)&f, big[300];
	size_t i;

	(void)state;
	fix_init(&f);
	assert_int_equal(mxspf_header_received_spf(NULL, &h), MXSPF_EINVAL);
	assert_null(h);
	assert_int_equal(mxspf_header_received_spf(&f.info, NULL),
	    MXSPF_EINVAL);
	assert_int_equal(mxspf_header_auth_results(&f.info, "mx", NULL),
	    MXSPF_EINVAL);
	f.info.verdict = NULL;
	assert_int_equal(mxspf_header_received_spf(&f.info, &h),
	    MXSPF_EINVAL);
	fix_init(&f);
	f.info.client = NULL;
	assert_int_equal(mxspf_header_auth_results(&f.info, "mx", &h),
	    MXSPF_EINVAL);
	fix_init(&f);
	f.client.family = 0;
	assert_int_equal(mxspf_header_received_spf(&f.info, &h),
	    MXSPF_EINVAL);
	fix_init(&f);
	f.v.result = (enum mxspf_result)7;
	assert_int_equal(mxspf_header_received_spf(&f.info, &h),
	    MXSPF_EINVAL);
	fix_init(&f);
	f.info.identity = (enum mxspf_identity)2;
	assert_int_equal(mxspf_header_auth_results(&f.info, "mx", &h),
	    MXSPF_EINVAL);
	assert_null(h);

	fix_init(&f);
	assert_int_equal(mxspf_header_auth_results(&f.info, NULL, &h),
	    MXSPF_EINVAL);
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		h = (char *)&f;
		assert_int_equal(mxspf_header_auth_results(&f.info,
		    bad_ids[i], &h), MXSPF_EINVAL);
		assert_null(h);
	}
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mxspf_header_auth_results(&f.info, big, &h),
	    MXSPF_EINVAL);
	big[256] = '\0';
	assert_int_equal(mxspf_header_auth_results(&f.info, big, &h), 0);
	free(h);
	assert_int_equal(mxspf_header_auth_results(&f.info,
	    "mx-1.example.net", &h), 0);
	assert_non_null(strstr(h, "Authentication-Results: mx-1.example.net;"));
	free(h);
}

/* test_alloc_failure - fail the Nth allocation for every N until the
 * call succeeds: MXSPF_ENOMEM, *out NULL and no leak (ASan checks) */
static void
test_alloc_failure(void **state)
{
	struct fix f;
	size_t n, which, fails;
	char *h;
	int rc;

	(void)state;
	fix_init(&f);
	f.v.result = MXSPF_PERMERROR;
	f.v.problem = "unknown \"modifier\" (x)";
	for (which = 0; which < 2; which++) {
		fails = 0;
		for (n = 0; n < 1000; n++) {
			h = (char *)&f;
			mxspf__alloc_fail_after(n);
			rc = which == 0 ?
			    mxspf_header_received_spf(&f.info, &h) :
			    mxspf_header_auth_results(&f.info, "mx", &h);
			mxspf__alloc_fail_after((size_t)-1);
			if (rc == 0)
				break;
			assert_int_equal(rc, MXSPF_ENOMEM);
			assert_null(h);
			fails++;
		}
		assert_int_equal(rc, 0);
		assert_true(fails > 0);
		check_raw(h, true);
		free(h);
	}
}

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
	assert_true(feof(fp) || n < T_FILE_MAX);
	fclose(fp);
	p[n] = '\0';
	*len = n;
	return p;
}

/* unescape - a .in value: \r \n \t \\ \xNN; anything else as is */
static void
unescape(const char *s, char *out, size_t cap)
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
		assert_true(o + 1 < cap);
		out[o++] = c;
	}
	out[o] = '\0';
}

/* path_join - dir "/" name ext into buf, failing the test when it is cut */
static void
path_join(char *buf, size_t cap, const char *dir, const char *name,
    const char *ext)
{
	int n = snprintf(buf, cap, "%s/%s%s", dir, name, ext);

	assert_true(n > 0 && (size_t)n < cap);
}

/* golden_case - build both headers from dir/name.in and compare them,
 * each followed by "\n", with dir/name.ref */
static void
golden_case(const char *dir, const char *name)
{
	enum { F_SENDER, F_HELO, F_RECEIVER, F_MECH, F_PROBLEM, F_AUTHSERV,
	    F_N };
	static const char *const fields[F_N] = { "sender", "helo",
	    "receiver", "mechanism", "problem", "authserv" };
	char path[1024], *in, *ref, *line, *save, *val[F_N] = { NULL };
	char *h1 = NULL, *h2 = NULL, *got;
	struct fix f;
	size_t len, i, glen;
	bool have_result = false, have_client = false;
	FILE *fp;

	fix_init(&f);
	f.v.mechanism = NULL;
	f.info.helo = f.info.sender = f.info.receiver = NULL;
	path_join(path, sizeof(path), dir, name, ".in");
	in = slurp(path, &len);
	assert_non_null(in);
	for (line = strtok_r(in, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' '), *v;

		if (line[0] == '#')
			continue;
		v = sp != NULL ? sp + 1 : line + strlen(line);
		if (sp != NULL)
			*sp = '\0';
		if (strcmp(line, "result") == 0) {
			assert_int_equal(mxspf_result_parse(v, &f.v.result),
			    0);
			have_result = true;
			continue;
		}
		if (strcmp(line, "reason") == 0) {
			int r;

			for (r = MXSPF_WHY_MECHANISM; r <= MXSPF_WHY_MACRO;
			    r++) {
				if (strcmp(mxspf_reason_name(
				    (enum mxspf_reason)r), v) == 0)
					break;
			}
			assert_true(r <= MXSPF_WHY_MACRO);
			f.v.reason = (enum mxspf_reason)r;
			continue;
		}
		if (strcmp(line, "client") == 0) {
			set_client(&f.client, v);
			have_client = true;
			continue;
		}
		if (strcmp(line, "identity") == 0) {
			assert_true(strcmp(v, "helo") == 0 ||
			    strcmp(v, "mailfrom") == 0);
			f.info.identity = strcmp(v, "helo") == 0 ?
			    MXSPF_ID_HELO : MXSPF_ID_MAILFROM;
			continue;
		}
		for (i = 0; i < F_N; i++) {
			if (strcmp(line, fields[i]) == 0)
				break;
		}
		if (i == F_N)
			fail_msg("%s: unknown key '%s'", path, line);
		assert_null(val[i]);
		val[i] = malloc(strlen(v) + 1);
		assert_non_null(val[i]);
		unescape(v, val[i], strlen(v) + 1);
	}
	assert_true(have_result && have_client && val[F_AUTHSERV] != NULL);
	f.info.sender = val[F_SENDER];
	f.info.helo = val[F_HELO];
	f.info.receiver = val[F_RECEIVER];
	f.v.mechanism = val[F_MECH];
	f.v.problem = val[F_PROBLEM];
	h1 = rs(&f);
	h2 = ar(&f, val[F_AUTHSERV]);
	glen = strlen(h1) + strlen(h2) + 3;
	got = malloc(glen);
	assert_non_null(got);
	snprintf(got, glen, "%s\n%s\n", h1, h2);

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
	free(h1);
	free(h2);
	for (i = 0; i < F_N; i++)
		free(val[i]);
	free(in);
}

/* test_golden - every tests/golden/header/<name>.in against its .ref */
static void
test_golden(void **state)
{
	const char *src = getenv("MXSPF_SRCDIR");
	char dir[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	(void)state;
	path_join(dir, sizeof(dir), src != NULL ? src : "..", T_GOLDEN_DIR, "");
	d = opendir(dir);
	if (d == NULL)
		fail_msg("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char name[256];

		if (len < 4 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		assert_true(len - 3 < sizeof(name));
		memcpy(name, de->d_name, len - 3);
		name[len - 3] = '\0';
		golden_case(dir, name);
		n++;
	}
	closedir(d);
	/* A lost directory or a bad checkout must not pass silently. */
	assert_true(n >= T_GOLDEN_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_example),
		cmocka_unit_test(test_each_result),
		cmocka_unit_test(test_identity_helo),
		cmocka_unit_test(test_null_sender),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_no_receiver),
		cmocka_unit_test(test_values_quoting),
		cmocka_unit_test(test_hostile_control),
		cmocka_unit_test(test_hostile_quotes),
		cmocka_unit_test(test_hostile_long),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
