/* lib/record.c - SPF record parsing (RFC 7208 s4.5, s4.6, s5, s6, s12).
 * Owns: struct mxspf__record: the published text and its terms, immutable
 * after parsing and shared by reference.  Syntax errors are reported with
 * the offending term and its byte offset.  Must not: do I/O or expand
 * macros; accept anything the ABNF does not.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "internal.h"
#include "mxspf_limits.h"
#include "macro.h"
#include "record.h"

struct parser {
	const char *t;		/* record text */
	size_t len;
	struct mxspf__record *r;
	size_t cap;		/* of r->terms */
	struct mxspf_buf *why;
	size_t *err_off;
};

static int parse_term(struct parser *, size_t, size_t);
static int parse_modifier(struct parser *, size_t, size_t, size_t);
static int parse_directive(struct parser *, size_t, size_t);
static int syntax(struct parser *, size_t, size_t, size_t, const char *);

static const struct {
	const char *name;
	enum mxspf__mech mech;
} mechs[] = {
	{ "all", MXSPF_MECH_ALL }, { "include", MXSPF_MECH_INCLUDE },
	{ "a", MXSPF_MECH_A }, { "mx", MXSPF_MECH_MX },
	{ "ptr", MXSPF_MECH_PTR }, { "ip4", MXSPF_MECH_IP4 },
	{ "ip6", MXSPF_MECH_IP6 }, { "exists", MXSPF_MECH_EXISTS },
};

const char *
mxspf__mech_name(enum mxspf__mech m)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].mech == m)
			return mechs[i].name;
	return "?";
}

bool
mxspf__mech_queries_dns(enum mxspf__mech m)
{
	return m == MXSPF_MECH_INCLUDE || m == MXSPF_MECH_A ||
	    m == MXSPF_MECH_MX || m == MXSPF_MECH_PTR ||
	    m == MXSPF_MECH_EXISTS;
}

bool
mxspf__record_is_spf(const char *text, size_t len)
{
	if (len < 6 || (len > 6 && text[6] != ' '))
		return false;
	/* The usual spelling first; the version is case-insensitive. */
	return memcmp(text, "v=spf1", 6) == 0 ||
	    mxspf__strcaseeq_n(text, 6, "v=spf1");
}

/* syntax - record a syntax error in term [off, off+len) at byte at */
static int
syntax(struct parser *ps, size_t off, size_t len, size_t at, const char *what)
{
	mxspf_buf_reset(ps->why);
	mxspf_buf_appendf(ps->why, "%s in '", what);
	mxspf_buf_put_escaped(ps->why, ps->t + off, len, 100);
	mxspf_buf_appendf(ps->why, "' at offset %zu", at);
	*ps->err_off = at;
	return MXSPF_ESYNTAX;
}

/* check_domain_spec - validate a domain-spec at [off, off+len) */
static int
check_domain_spec(struct parser *ps, size_t toff, size_t tlen, size_t off,
    size_t len)
{
	size_t bad;
	const char *why;

	if (len == 0)
		return syntax(ps, toff, tlen, off, "empty domain-spec");
	if (mxspf__macro_check(ps->t + off, len, MXSPF_MACRO_DOMAIN, &bad,
	    &why) != 0)
		return syntax(ps, toff, tlen, off + bad, why);
	return 0;
}

/* parse_cidr - digits at [off, off+len) as a CIDR length <= max, with the
 * ABNF's no-leading-zero rule.  @return 0 or -1 */
static int
parse_cidr(const char *p, size_t len, unsigned max, unsigned *out)
{
	uint64_t v;

	if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
		return -1;
	if (mxspf__parse_uint(p, len, max, &v) != 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* digits_suffix - length of the run of digits that ends at p[end) */
static size_t
digits_suffix(const char *p, size_t start, size_t end)
{
	size_t n = 0;

	while (end - n > start && p[end - n - 1] >= '0' &&
	    p[end - n - 1] <= '9')
		n++;
	return n;
}

/* strip_dual_cidr - peel "/n", "//n" or "/n//n" off the end of
 * [start, *end) into the term.  @return 0 or an error */
static int
strip_dual_cidr(struct parser *ps, size_t toff, size_t tlen, size_t start,
    size_t *end, struct mxspf__term *tm, bool dual)
{
	size_t e = *end, n = digits_suffix(ps->t, start, e);

	if (dual && n > 0 && e - n >= start + 2 && ps->t[e - n - 1] == '/' &&
	    ps->t[e - n - 2] == '/') {
		if (parse_cidr(ps->t + e - n, n, 128, &tm->cidr6) != 0)
			return syntax(ps, toff, tlen, e - n,
			    "invalid IPv6 CIDR length");
		e -= n + 2;
		n = digits_suffix(ps->t, start, e);
	}
	if (n > 0 && e - n >= start + 1 && ps->t[e - n - 1] == '/' &&
	    (e - n - 1 == start || ps->t[e - n - 2] != '/')) {
		unsigned max = dual ? 32 : (tm->mech == MXSPF_MECH_IP6 ?
		    128 : 32);
		unsigned *dst = (!dual && tm->mech == MXSPF_MECH_IP6) ?
		    &tm->cidr6 : &tm->cidr4;

		if (parse_cidr(ps->t + e - n, n, max, dst) != 0)
			return syntax(ps, toff, tlen, e - n,
			    "invalid CIDR length");
		e -= n + 1;
	}
	*end = e;
	return 0;
}

/* add_term - append a mechanism to the record */
static int
add_term(struct parser *ps, const struct mxspf__term *tm)
{
	struct mxspf__record *r = ps->r;

	if (r->nterms == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 8;
		struct mxspf__term *nt;

		if (ncap > MXSPF_MAX_TERMS)
			ncap = MXSPF_MAX_TERMS;
		if (r->nterms >= ncap)
			return syntax(ps, tm->off, tm->len, tm->off,
			    "too many terms");
		nt = mxspf__realloc(r->terms, ncap * sizeof(*nt));
		if (nt == NULL)
			return MXSPF_ENOMEM;
		r->terms = nt;
		ps->cap = ncap;
	}
	r->terms[r->nterms++] = *tm;
	if (mxspf__mech_queries_dns(tm->mech))
		r->ndns++;
	return 0;
}

/* parse_ip - the network of ip4:/ip6: at [s, e) */
static int
parse_ip(struct parser *ps, size_t toff, size_t tlen, size_t s, size_t e,
    struct mxspf__term *tm)
{
	int fam = tm->mech == MXSPF_MECH_IP4 ? 4 : 6;

	if (s >= e || ps->t[s] != ':')
		return syntax(ps, toff, tlen, s, "missing network");
	s++;
	if (strip_dual_cidr(ps, toff, tlen, s, &e, tm, false) != 0)
		return MXSPF_ESYNTAX;
	if (mxspf__addr_parse_n(ps->t + s, e - s, fam, &tm->net) != 0)
		return syntax(ps, toff, tlen, s, fam == 4 ?
		    "invalid IPv4 network" : "invalid IPv6 network");
	mxspf__prefix_make(&tm->prefix, &tm->net, fam == 4 ? tm->cidr4 :
	    tm->cidr6);
	return 0;
}

/* parse_directive - [qualifier] mechanism at [off, off+len) */
static int
parse_directive(struct parser *ps, size_t off, size_t len)
{
	struct mxspf__term tm;
	size_t s = off, e = off + len, name_end, i;
	bool found = false;

	memset(&tm, 0, sizeof(tm));
	tm.off = off;
	tm.len = len;
	tm.cidr4 = 32;
	tm.cidr6 = 128;
	tm.qual = MXSPF_PASS;
	switch (ps->t[s]) {
	case '+': tm.qual = MXSPF_PASS; s++; break;
	case '-': tm.qual = MXSPF_FAIL; s++; break;
	case '~': tm.qual = MXSPF_SOFTFAIL; s++; break;
	case '?': tm.qual = MXSPF_NEUTRAL; s++; break;
	}
	for (name_end = s; name_end < e && ps->t[name_end] != ':' &&
	    ps->t[name_end] != '/'; name_end++)
		;
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (mxspf__strcaseeq_n(ps->t + s, name_end - s,
		    mechs[i].name)) {
			tm.mech = mechs[i].mech;
			found = true;
			break;
		}
	}
	if (!found)
		return syntax(ps, off, len, s, "unknown mechanism");
	s = name_end;
	switch (tm.mech) {
	case MXSPF_MECH_ALL:
		if (s != e)
			return syntax(ps, off, len, s,
			    "'all' takes no argument");
		break;
	case MXSPF_MECH_IP4:
	case MXSPF_MECH_IP6:
		if (parse_ip(ps, off, len, s, e, &tm) != 0)
			return MXSPF_ESYNTAX;
		break;
	case MXSPF_MECH_A:
	case MXSPF_MECH_MX:
		if (strip_dual_cidr(ps, off, len, s, &e, &tm, true) != 0)
			return MXSPF_ESYNTAX;
		/* FALLTHROUGH */
	case MXSPF_MECH_PTR:
		if (s == e)
			break;
		/* FALLTHROUGH */
	case MXSPF_MECH_INCLUDE:
	case MXSPF_MECH_EXISTS:
		if (s >= e || ps->t[s] != ':')
			return syntax(ps, off, len, s,
			    "expected ':' and a domain-spec");
		tm.ds_off = s + 1;
		tm.ds_len = e - s - 1;
		if (check_domain_spec(ps, off, len, tm.ds_off, tm.ds_len) != 0)
			return MXSPF_ESYNTAX;
		break;
	}
	return add_term(ps, &tm);
}

/* parse_modifier - name=value at [off, off+len), '=' at eq */
static int
parse_modifier(struct parser *ps, size_t off, size_t len, size_t eq)
{
	struct mxspf__record *r = ps->r;
	size_t vs = eq + 1, vl = off + len - eq - 1, bad;
	const char *why;

	if (mxspf__strcaseeq_n(ps->t + off, eq - off, "redirect")) {
		if (r->has_redirect)
			return syntax(ps, off, len, off,
			    "duplicate redirect modifier");
		if (check_domain_spec(ps, off, len, vs, vl) != 0)
			return MXSPF_ESYNTAX;
		r->has_redirect = true;
		r->redir_off = vs;
		r->redir_len = vl;
		r->redir_term_off = off;
		r->redir_term_len = len;
		r->ndns++;
		return 0;
	}
	if (mxspf__strcaseeq_n(ps->t + off, eq - off, "exp")) {
		if (r->has_exp)
			return syntax(ps, off, len, off,
			    "duplicate exp modifier");
		if (check_domain_spec(ps, off, len, vs, vl) != 0)
			return MXSPF_ESYNTAX;
		r->has_exp = true;
		r->exp_off = vs;
		r->exp_len = vl;
		return 0;
	}
	/* Unknown modifiers are ignored, but must be well-formed; the ABNF
	 * (s7.1) allows every macro letter there, c, r and t included. */
	if (mxspf__macro_check(ps->t + vs, vl, MXSPF_MACRO_EXP, &bad,
	    &why) != 0)
		return syntax(ps, off, len, vs + bad, why);
	return 0;
}

/* modifier_name_len - length of a modifier name: ALPHA *( ALPHA / DIGIT / - / _ / . ) */
static size_t
modifier_name_len(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	for (i = 1; i < len; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			break;
	}
	return i;
}

/* literal_len - the room a domain-spec at [off, off+len) needs after the
 * text when it is literal (its copy and a NUL), else 0 */
static size_t
literal_len(const char *t, size_t off, size_t len)
{
	if (len == 0 || len > MXSPF_MAX_NAME ||
	    memchr(t + off, '%', len) != NULL)
		return 0;
	return len + 1;
}

/* literal_put - copy the domain-spec at [off, off+len) to *dst when it is
 * literal, and advance *dst */
static void
literal_put(const char *t, size_t off, size_t len, char **dst,
    struct mxspf__literal *lit)
{
	size_t n = literal_len(t, off, len);

	if (n == 0)
		return;
	memcpy(*dst, t + off, len);
	(*dst)[len] = '\0';
	lit->name = *dst;
	lit->valid = mxspf__valid_name(*dst, len, false);
	*dst += n;
}

/* add_literals - append the literal domain-specs of the terms and of
 * redirect= to the text, so the evaluator uses them without expanding
 * or validating them on every check */
static int
add_literals(struct mxspf__record *r)
{
	size_t i, need = 0;
	char *text, *dst;

	for (i = 0; i < r->nterms; i++)
		need += literal_len(r->text, r->terms[i].ds_off,
		    r->terms[i].ds_len);
	if (r->has_redirect)
		need += literal_len(r->text, r->redir_off, r->redir_len);
	if (need == 0)
		return 0;
	text = mxspf__realloc(r->text, r->len + 1 + need);
	if (text == NULL)
		return MXSPF_ENOMEM;
	r->text = text;
	dst = text + r->len + 1;
	for (i = 0; i < r->nterms; i++)
		literal_put(text, r->terms[i].ds_off, r->terms[i].ds_len, &dst,
		    &r->terms[i].lit);
	if (r->has_redirect)
		literal_put(text, r->redir_off, r->redir_len, &dst,
		    &r->redir_lit);
	return 0;
}

/* parse_term - one space-delimited term at [off, off+len) */
static int
parse_term(struct parser *ps, size_t off, size_t len)
{
	size_t n = modifier_name_len(ps->t + off, len);

	if (n < len && ps->t[off + n] == '=') {
		if (n == 0)
			return syntax(ps, off, len, off,
			    "empty modifier name");
		return parse_modifier(ps, off, len, off + n);
	}
	return parse_directive(ps, off, len);
}

int
mxspf__record_parse(const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off)
{
	struct parser ps;
	size_t i, o;
	int rc = 0;

	*out = NULL;
	if (len > MXSPF_MAX_RECORD) {
		mxspf_buf_reset(why);
		mxspf_buf_appendf(why, "record longer than %d bytes",
		    MXSPF_MAX_RECORD);
		*err_off = MXSPF_MAX_RECORD;
		return MXSPF_ESYNTAX;
	}
	memset(&ps, 0, sizeof(ps));
	ps.t = text;
	ps.len = len;
	ps.why = why;
	ps.err_off = err_off;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c > 0x7e) {
			mxspf_buf_reset(why);
			mxspf_buf_appendf(why, "invalid byte 0x%02x at "
			    "offset %zu", c, i);
			*err_off = i;
			return MXSPF_ESYNTAX;
		}
	}
	if (!mxspf__record_is_spf(text, len)) {
		mxspf_buf_reset(why);
		mxspf_buf_puts(why, "not an SPF record");
		*err_off = 0;
		return MXSPF_ESYNTAX;
	}
	ps.r = mxspf__calloc(1, sizeof(*ps.r));
	if (ps.r == NULL)
		return MXSPF_ENOMEM;
	ps.r->refs = 1;
	ps.r->text = mxspf__memdup(text, len);
	if (ps.r->text == NULL) {
		mxspf__record_unref(ps.r);
		return MXSPF_ENOMEM;
	}
	ps.t = ps.r->text;
	ps.r->len = len;
	for (o = 6; o < len && rc == 0;) {
		size_t s;

		while (o < len && text[o] == ' ')
			o++;
		for (s = o; o < len && text[o] != ' '; o++)
			;
		if (o > s)
			rc = parse_term(&ps, s, o - s);
	}
	if (rc == 0)
		rc = add_literals(ps.r);
	if (rc != 0) {
		mxspf__record_unref(ps.r);
		return rc;
	}
	*out = ps.r;
	return 0;
}

void
mxspf__record_free(struct mxspf__record *r)
{
	free(r->terms);
	free(r->text);
	free(r);
}
