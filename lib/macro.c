/* lib/macro.c - SPF macro strings (RFC 7208 s7): checking and expansion.
 * Owns: the macro-string grammar (s7.1), the letter values, transformers,
 * URL-encoding of upper-case macros and the 253-octet truncation of
 * expanded domains.  Writes in one pass into a bounded mxspf_buf; never
 * uses a fixed-size array for output and never reads past (p, len).
 * Must not: do I/O (the evaluator resolves %{p} before it expands).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "mxspf_limits.h"
#include "macro.h"

/* A parsed "%{...}" macro-expand. */
struct macro_item {
	int letter;		/* lower case */
	bool upper;		/* URL-encode the result */
	uint64_t digits;	/* 0: keep all parts */
	bool reverse;
	const char *delims;	/* delimiter characters; NULL: "." */
	size_t ndelims;
};

static int macro_item_parse(const char *, size_t, size_t *, unsigned,
    struct macro_item *, const char **);
static bool is_delim(int);
static bool letter_allowed(int, unsigned);
static const char *letter_value(const struct mxspf_macro_env *, int,
    struct mxspf_buf *, size_t *);
static void transform(const struct macro_item *, const char *, size_t,
    struct mxspf_buf *);
static void url_encode(const char *, size_t, struct mxspf_buf *);
static bool check_domain_end(const char *, size_t, bool);
static void truncate_domain(struct mxspf_buf *);

/* is_delim - true for an RFC 7208 delimiter character */
static bool
is_delim(int c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' ||
	    c == '_' || c == '=';
}

/* letter_allowed - true when lower-case letter c is valid in a context */
static bool
letter_allowed(int c, unsigned flags)
{
	if (strchr("slodiphv", c) != NULL && c != '\0')
		return true;
	return (flags & MXSPF_MACRO_EXP) != 0 && c != '\0' &&
	    strchr("crt", c) != NULL;
}

/* macro_item_parse - parse "%{...}" starting at p[*off] == '%' */
static int
macro_item_parse(const char *p, size_t len, size_t *off, unsigned flags,
    struct macro_item *it, const char **why)
{
	size_t o = *off + 2, dstart;
	int c;

	if (o >= len) {
		*why = "unterminated macro";
		return -1;
	}
	c = (unsigned char)p[o];
	it->upper = c >= 'A' && c <= 'Z';
	it->letter = mxspf__ascii_lower(c);
	if (!letter_allowed(it->letter, flags)) {
		*why = "invalid macro letter";
		return -1;
	}
	o++;
	it->digits = 0;
	if (o < len && p[o] >= '0' && p[o] <= '9') {
		size_t dstart2 = o;

		while (o < len && p[o] >= '0' && p[o] <= '9')
			o++;
		/* More parts than any name has means "all of them". */
		if (mxspf__parse_uint(p + dstart2, o - dstart2, UINT64_MAX,
		    &it->digits) != 0)
			it->digits = UINT64_MAX;
		if (it->digits == 0) {
			*why = "macro transformer digit must not be zero";
			return -1;
		}
	}
	it->reverse = false;
	if (o < len && (p[o] == 'r' || p[o] == 'R')) {
		it->reverse = true;
		o++;
	}
	dstart = o;
	while (o < len && is_delim((unsigned char)p[o]))
		o++;
	it->delims = o > dstart ? p + dstart : NULL;
	it->ndelims = o - dstart;
	if (o >= len || p[o] != '}') {
		*why = "malformed macro";
		return -1;
	}
	*off = o + 1;
	return 0;
}

int
mxspf__macro_check(const char *p, size_t len, unsigned flags, size_t *bad,
    const char **why)
{
	size_t o = 0;
	bool last_macro = false;
	size_t tail = 0;	/* start of the literal tail */

	while (o < len) {
		unsigned char c = (unsigned char)p[o];

		if (c == '%') {
			struct macro_item it;

			if (o + 1 < len && (p[o + 1] == '%' ||
			    p[o + 1] == '_' || p[o + 1] == '-')) {
				o += 2;
			} else if (o + 1 < len && p[o + 1] == '{') {
				if (macro_item_parse(p, len, &o, flags, &it,
				    why) != 0) {
					*bad = o;
					return -1;
				}
			} else {
				*bad = o;
				*why = "'%' not followed by '{', '%', '_' or '-'";
				return -1;
			}
			last_macro = true;
			tail = o;
			continue;
		}
		if (c < 0x21 || c > 0x7e) {
			if (!((flags & MXSPF_MACRO_EXP) && c == ' ')) {
				*bad = o;
				*why = "invalid character";
				return -1;
			}
		}
		last_macro = false;
		o++;
	}
	if ((flags & MXSPF_MACRO_DOMAIN) != 0 &&
	    !check_domain_end(p + tail, len - tail, last_macro)) {
		*bad = len;
		*why = "domain-spec does not end in a valid top-level label";
		return -1;
	}
	return 0;
}

/* check_domain_end - RFC 7208 domain-end: "." toplabel ["."] or a macro */
static bool
check_domain_end(const char *p, size_t len, bool ends_in_macro)
{
	size_t i, start;
	bool alpha = false;

	if (ends_in_macro)
		return true;
	if (len > 0 && p[len - 1] == '.')
		len--;
	for (start = len; start > 0 && p[start - 1] != '.'; start--)
		;
	if (start == 0)
		return false;	/* no "." before the top label */
	if (start == len)
		return false;	/* empty top label */
	if (p[start] == '-' || p[len - 1] == '-')
		return false;
	for (i = start; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '-')
			alpha = true;
		else if (!(c >= '0' && c <= '9'))
			return false;
	}
	return alpha;
}

bool
mxspf__macro_uses(const char *p, size_t len, int c)
{
	const char *q = p, *end = p + len;

	/* From one '%' to the next (memchr skips the text between). */
	while ((q = memchr(q, '%', (size_t)(end - q))) != NULL) {
		if (end - q < 3)
			return false;
		if (q[1] == '%') {
			q += 2;
			continue;
		}
		if (q[1] == '{' && mxspf__ascii_lower((unsigned char)q[2]) == c)
			return true;
		q++;
	}
	return false;
}

/* put_ip_dotted - append %{i}: dotted quad, or dotted IPv6 nibbles */
static void
put_ip_dotted(const struct mxspf_addr *a, struct mxspf_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (a->family == 4) {
		for (i = 0; i < 4; i++) {
			unsigned v = a->b[i];

			if (i > 0)
				mxspf_buf_putc(out, '.');
			if (v >= 100)
				mxspf_buf_putc(out, '0' + (int)(v / 100));
			if (v >= 10)
				mxspf_buf_putc(out, '0' + (int)(v / 10 % 10));
			mxspf_buf_putc(out, '0' + (int)(v % 10));
		}
		return;
	}
	/* Upper-case nibbles, as pyspf writes them (suite: v-macro-ip6). */
	for (i = 0; i < 16; i++) {
		if (i > 0)
			mxspf_buf_putc(out, '.');
		mxspf_buf_putc(out, hex[a->b[i] >> 4]);
		mxspf_buf_putc(out, '.');
		mxspf_buf_putc(out, hex[a->b[i] & 0xf]);
	}
}

/* letter_value - the raw value of macro letter c: a string of env, or
 * text formatted into val.  @return the value, *n its length */
static const char *
letter_value(const struct mxspf_macro_env *env, int c, struct mxspf_buf *val,
    size_t *n)
{
	const char *s = "";
	char text[64];

	switch (c) {
	case 's':
		s = env->sender;
		break;
	case 'l':
		s = env->local;
		break;
	case 'o':
		s = env->sender_domain;
		break;
	case 'd':
		s = env->domain;
		break;
	case 'p':
		s = env->ptr ? env->ptr : "unknown";
		break;
	case 'v':
		s = env->ip->family == 4 ? "in-addr" : "ip6";
		break;
	case 'h':
		s = env->helo;
		break;
	case 'r':
		s = env->receiver ? env->receiver : "unknown";
		break;
	case 'i':
	case 'c':
	case 't':
		mxspf_buf_reset(val);
		if (c == 'i')
			put_ip_dotted(env->ip, val);
		else if (c == 't')
			mxspf_buf_appendf(val, "%lld", (long long)env->now);
		else if (mxspf_addr_format(env->ip, text, sizeof(text)) == 0)
			mxspf_buf_puts(val, text);
		*n = val->len;
		return mxspf_buf_cstr(val);
	}
	if (s == NULL)
		s = "";
	*n = strlen(s);
	return s;
}

/* part_delim - true when c splits parts for item it */
static bool
part_delim(const struct macro_item *it, int c)
{
	if (it->delims == NULL)
		return c == '.';
	return memchr(it->delims, c, it->ndelims) != NULL;
}

/* transform - split v[0..n) on the delimiters, reverse, keep the
 * right-most digits parts, join with "." into out */
static void
transform(const struct macro_item *it, const char *v, size_t n,
    struct mxspf_buf *out)
{
	size_t i, end, kept = 0;

	if (!it->reverse) {
		size_t start = n;

		/* Walk left until enough parts are inside [start, n). */
		while (start > 0) {
			if (part_delim(it, (unsigned char)v[start - 1]) &&
			    it->digits != 0 && ++kept == it->digits)
				break;
			start--;
		}
		for (i = start; i < n; i++)
			mxspf_buf_putc(out, part_delim(it,
			    (unsigned char)v[i]) ? '.' : v[i]);
		return;
	}
	/* Reversed: the first "digits" original parts, last one first. */
	for (end = 0; end < n; end++) {
		if (part_delim(it, (unsigned char)v[end]) && it->digits != 0 &&
		    ++kept == it->digits)
			break;
	}
	i = end;
	for (;;) {
		size_t s = i;

		while (s > 0 && !part_delim(it, (unsigned char)v[s - 1]))
			s--;
		mxspf_buf_append(out, v + s, i - s);
		if (s == 0)
			break;
		mxspf_buf_putc(out, '.');
		i = s - 1;
	}
}

/* url_encode - append v[0..n), escaping all but RFC 3986 unreserved */
static void
url_encode(const char *v, size_t n, struct mxspf_buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			mxspf_buf_putc(out, c);
		else
			mxspf_buf_appendf(out, "%%%02X", c);
	}
}

/* truncate_domain - drop labels from the left until <= 253 octets */
static void
truncate_domain(struct mxspf_buf *b)
{
	size_t cut = 0;

	while (b->len - cut > MXSPF_MAX_NAME) {
		const char *dot = memchr(b->p + cut, '.', b->len - cut);

		if (dot == NULL) {
			cut = b->len;
			break;
		}
		cut = (size_t)(dot - b->p) + 1;
	}
	if (cut > 0) {
		memmove(b->p, b->p + cut, b->len - cut);
		mxspf_buf_truncate(b, b->len - cut);
	}
}

int
mxspf__macro_expand(const char *p, size_t len, unsigned flags,
    const struct mxspf_macro_env *env, struct mxspf_buf *out)
{
	struct mxspf_buf own[2], *val, *tr;
	size_t o = 0;
	const char *why;
	int rc = 0;

	mxspf_buf_reset(out);
	if (env->scratch != NULL) {
		val = &env->scratch[0];
		tr = &env->scratch[1];
	} else {
		val = &own[0];
		tr = &own[1];
		mxspf_buf_init(val, MXSPF_MAX_MACRO_OUT);
		mxspf_buf_init(tr, MXSPF_MAX_MACRO_OUT);
	}
	mxspf_buf_reset(val);	/* (a caller's may hold an old error) */
	mxspf_buf_reset(tr);
	while (o < len && rc == 0) {
		struct macro_item it;
		const char *v, *pct;
		size_t n;

		if (p[o] != '%') {
			/* A run of literal text, in one append. */
			pct = memchr(p + o, '%', len - o);
			n = pct != NULL ? (size_t)(pct - (p + o)) : len - o;
			mxspf_buf_append(out, p + o, n);
			o += n;
			continue;
		}
		if (o + 1 < len && p[o + 1] == '%') {
			mxspf_buf_putc(out, '%');
			o += 2;
		} else if (o + 1 < len && p[o + 1] == '_') {
			mxspf_buf_putc(out, ' ');
			o += 2;
		} else if (o + 1 < len && p[o + 1] == '-') {
			mxspf_buf_puts(out, "%20");
			o += 2;
		} else if (macro_item_parse(p, len, &o, flags, &it, &why) ==
		    0) {
			v = letter_value(env, it.letter, val, &n);
			if (it.digits != 0 || it.reverse || it.delims != NULL) {
				/* (Without these, the transformation would
				 * give the value back unchanged.) */
				mxspf_buf_reset(tr);
				transform(&it, v, n, tr);
				v = mxspf_buf_cstr(tr);
				n = tr->len;
			}
			if (it.upper)
				url_encode(v, n, out);
			else
				mxspf_buf_append(out, v, n);
			if (val->err != 0 || tr->err != 0)
				rc = val->err != 0 ? val->err : tr->err;
		} else {
			rc = MXSPF_ESYNTAX;
		}
	}
	if (env->scratch == NULL) {
		mxspf_buf_free(val);
		mxspf_buf_free(tr);
	}
	if (rc == 0 && out->err == 0 && (flags & MXSPF_MACRO_DOMAIN) != 0)
		truncate_domain(out);
	if (out->err != 0)
		return out->err;
	return rc;
}
