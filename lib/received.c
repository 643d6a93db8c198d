/* lib/received.c - Received-header parsing (RFC 5321 s4.4 stamps, as real
 * MTAs write them) and the SPF results a receiver recorded in Received-SPF
 * (RFC 7208 s9.1) and Authentication-Results (RFC 8601) headers.
 *
 * Owns: struct mxspf_received and the reader of one header value: unfold
 * (CRLF or LF + WSP), a tokenizer of words, comments (RFC 5322 ccontent
 * with quoted-pairs, nested at most RX_MAX_DEPTH deep) and the ';' before
 * the date, the clause split (from / by / with / id / for / via), and the
 * reading of the from clause's TCP-info in the shapes of Postfix,
 * Sendmail, Exim, Exchange, OpenSMTPD and qmail:
 *	Postfix, OpenSMTPD	from HELO (RDNS [IP]) / (RDNS [IPv6:IP]) /
 *				(RDNS IPv6:IP) (OpenSMTPD)
 *	Sendmail		from HELO (RDNS [IP]) / ([IP]) /
 *				(user@RDNS [IP]) / (RDNS [IP] (may be forged));
 *				"(from RDNS [IP])" without HELO
 *	Exim			from RDNS ([IP]:PORT helo=HELO) /
 *				from [IP] (port=PORT helo=HELO)
 *	Exchange		from HELO (IP) / ([IP])
 *	qmail			from RDNS (HELO HELO) (IP) / (user@IP)
 * and the readers of recorded SPF results.
 *
 * Input is untrusted: at most RX_MAX_HEADER bytes per value, never read
 * past len, never assumed NUL-terminated; every loop is bounded by the
 * input or a named limit, and nothing recurses.  A from clause that shows
 * more than one client address is refused, never guessed at: a HELO name
 * is chosen by the sender, and one that smuggles "(x [IP])" into a
 * trusted relay's header must not move the client address.
 *
 * Must not: do I/O; take a client address from anywhere but the from
 * clause; return strings that are not printable ASCII.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/received.h"
#include "addr.h"
#include "buf.h"
#include "internal.h"
#include "received.h"

#define RX_MAX_HEADER MXSPF_RX_MAX_HEADER
#define RX_MAX_DEPTH 8		/* nested comments */
#define RX_MAX_TOKENS 64	/* words and comments before the date */
#define RX_MAX_SUB 8		/* tokens of one comment that are read */
#define RX_MAX_FIELD 512	/* one string of struct mxspf_received */
#define RX_MAX_AUTHSERV 255	/* an authserv-id */
#define RX_MAX_RESINFO 64	/* results in one Authentication-Results */
#define RX_SHOW 60		/* input bytes quoted in an error */
#define RX_ERR_MAX 512		/* an error message */

enum tok_type { TOK_WORD, TOK_COMMENT };

/* A word, or a comment (off/len: inside its parentheses). */
struct tok {
	enum tok_type type;
	size_t off, len;
};

/* The text being read (unfolded) and where errors go. */
struct rx {
	const char *s;
	size_t n;
	char *err;
	size_t errlen;
};

/* The clauses of a Received header: token indexes into t[]. */
struct clauses {
	struct tok t[RX_MAX_TOKENS];
	size_t nt;
	bool have_lead, have_from, have_by, have_with, have_id, have_for;
	size_t lead;		/* the first comment before "from" */
	size_t from, fc0, fc1;	/* the from-word; its comments t[fc0..fc1) */
	size_t by, bc0, bc1;	/* the by-word; its comments */
	size_t w0, w1;		/* the words of "with" */
	size_t id, forw;
	bool exim;		/* an "(Exim VERSION)" comment */
};

/* The forms of a word that carries an address. */
enum aw { AW_NONE, AW_LITERAL, AW_LITERAL_PORT, AW_BARE, AW_USER };

/* What one comment of the from clause is. */
enum shape {
	SH_OTHER = 0,
	SH_NAME_ADDR,		/* RDNS [IP], user@RDNS [IP], RDNS IPv6:IP */
	SH_LITERAL,		/* [IP] */
	SH_EXIM,		/* [IP]:PORT and/or helo=, ident= items */
	SH_BARE,		/* IP, user@IP (Exchange, qmail) */
	SH_EXIM_ITEMS,		/* helo=, ident=, port= without an address */
	SH_HELO			/* qmail's HELO NAME */
};

/* A from-clause comment, read. */
struct tcpinfo {
	enum shape shape;
	struct mxspf_addr ip;
	bool user;		/* qmail user@IP */
	bool forged;		/* Sendmail "(may be forged)" */
	bool have_name, have_helo;
	struct tok name;	/* SH_NAME_ADDR: RDNS without user@ */
	struct tok helo;	/* SH_HELO, or an Exim helo= value */
};

/* What the from clause says. */
struct fromres {
	struct mxspf_addr ip;
	bool have_helo, have_rdns;
	struct tok helo, rdns;
};

static int rx_fail(struct rx *, size_t, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static int rx_unfold(struct rx *, const char *, size_t, struct mxspf_buf *);
static int rx_comment(struct rx *, size_t, size_t, size_t *);
static int rx_quoted(struct rx *, size_t *, size_t);
static int rx_angle(struct rx *, size_t *, size_t);
static bool rx_sep(char, bool);
static int rx_lex(struct rx *, size_t, size_t, bool, struct tok *, size_t,
    size_t *, bool *);
static bool tok_eq(const struct rx *, const struct tok *, const char *);
static bool tok_keyword(const struct rx *, const struct tok *);
static bool addr_text(const char *, size_t, int, struct mxspf_addr *);
static enum aw addr_word(const char *, size_t, struct mxspf_addr *);
static size_t comment_addrs(const struct rx *, const struct tok *,
    struct tok *);
static bool exim_items(const struct rx *, const struct tok *, size_t,
    struct tcpinfo *);
static int classify(struct rx *, const struct tok *, struct tcpinfo *);
static int split_clauses(struct rx *, struct clauses *);
static int clause_rest(struct rx *, struct clauses *, size_t);
static bool first_word(struct rx *, const struct tok *, struct tok *);
static bool sendmail_version(const struct rx *, const struct tok *);
static enum mxspf_mta detect_mta(struct rx *, const struct clauses *);
static bool unknown_name(const struct rx *, const struct tok *);
static int from_lead(struct rx *, const struct clauses *, enum mxspf_mta *,
    struct fromres *);
static int from_clause(struct rx *, const struct clauses *,
    enum mxspf_mta *, struct fromres *);
static int from_pick(struct rx *, const struct clauses *, enum mxspf_mta *,
    const struct tcpinfo *, const struct tcpinfo *, struct fromres *);
static int rx_dup(struct rx *, size_t, size_t, const char *, char **);
static int rx_with(struct rx *, const struct clauses *, char **);
static int rx_fill(struct rx *, const struct clauses *, enum mxspf_mta,
    const struct fromres *, struct mxspf_received *);
static int rx_received(struct rx *, struct mxspf_received *);
static int rx_start(struct rx *, const char *, size_t, struct mxspf_buf *);
static int rx_cfws(struct rx *, size_t *, struct tok *);
static size_t rx_run(const struct rx *, size_t *);
static int rx_value(struct rx *, size_t *, struct tok *);
static void tok_unquote(const struct rx *, const struct tok *, size_t *,
    size_t *);
static int result_word(const char *, size_t, enum mxspf_result *);
static bool addr_same(const struct mxspf_addr *, const struct mxspf_addr *);
static int rspf_parse(struct rx *, const struct mxspf_addr *,
    struct mxspf__recorded *);
static int ar_authserv(struct rx *, size_t *, struct tok *, bool *);
static bool ar_ip_mismatch(const struct rx *, const struct tok *,
    const struct mxspf_addr *);
static int ar_props(struct rx *, size_t *, bool, const struct mxspf_addr *,
    bool *, bool *, bool *);
static int ar_id_is(const struct rx *, const struct tok *, const char *);
static int ar_method(struct rx *, size_t *, bool *, bool *,
    enum mxspf_result *);
static int ar_parse(struct rx *, const struct mxspf_addr *, const char *,
    struct mxspf__recorded *);
static int ar_decode_id(const struct rx *, const struct tok *,
    struct mxspf_buf *);

const char *
mxspf_mta_name(enum mxspf_mta m)
{
	switch (m) {
	case MXSPF_MTA_UNKNOWN:		return "unknown";
	case MXSPF_MTA_POSTFIX:		return "postfix";
	case MXSPF_MTA_SENDMAIL:	return "sendmail";
	case MXSPF_MTA_EXIM:		return "exim";
	case MXSPF_MTA_EXCHANGE:	return "exchange";
	case MXSPF_MTA_OPENSMTPD:	return "opensmtpd";
	case MXSPF_MTA_QMAIL:		return "qmail";
	}
	return "unknown";
}

/* ---- the reader ----------------------------------------------------- */

/* rx_fail - write why into the caller's buffer (untrusted text from
 * s[off..off+len) escaped and cut), return MXSPF_ESYNTAX */
static int
rx_fail(struct rx *rx, size_t off, size_t len, const char *fmt, ...)
{
	struct mxspf_buf b;
	va_list ap;
	size_t used;

	if (rx->err == NULL || rx->errlen == 0)
		return MXSPF_ESYNTAX;
	va_start(ap, fmt);
	(void)vsnprintf(rx->err, rx->errlen, fmt, ap);
	va_end(ap);
	if (len == 0 || rx->s == NULL)
		return MXSPF_ESYNTAX;
	mxspf_buf_init(&b, RX_ERR_MAX);
	mxspf_buf_puts(&b, ": '");
	mxspf_buf_put_escaped(&b, rx->s + off, len, RX_SHOW);
	mxspf_buf_putc(&b, '\'');
	used = strlen(rx->err);
	if (b.err == 0 && used + 1 < rx->errlen)
		(void)snprintf(rx->err + used, rx->errlen - used, "%s",
		    mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	return MXSPF_ESYNTAX;
}

/* rx_unfold - copy v[0..len) into b without its folds (RFC 5322
 * s2.2.3); a final line break is dropped; NUL, other control bytes and
 * line breaks that are not folds are refused (a bare CR or LF could end
 * the header early in a later reader: header injection) */
static int
rx_unfold(struct rx *rx, const char *v, size_t len, struct mxspf_buf *b)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' || c == '\n') {
			size_t j = i;

			if (c == '\r') {
				if (j + 1 == len || v[j + 1] != '\n')
					return rx_fail(rx, 0, 0, "CR not "
					    "followed by LF at offset %zu", i);
				j++;
			}
			if (j + 1 == len)
				break;	/* a final line break */
			if (v[j + 1] != ' ' && v[j + 1] != '\t')
				return rx_fail(rx, 0, 0, "line break not "
				    "followed by a space or tab (not a fold) "
				    "at offset %zu", i);
			i = j;
			continue;
		}
		if (c == '\0')
			return rx_fail(rx, 0, 0, "NUL byte at offset %zu", i);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return rx_fail(rx, 0, 0, "control byte 0x%02x at "
			    "offset %zu", c, i);
		mxspf_buf_putc(b, c);
	}
	return b->err != 0 ? MXSPF_ENOMEM : 0;
}

/* rx_comment - find the ')' that closes the '(' at s[open] (before end),
 * counting nested comments and skipping quoted-pairs */
static int
rx_comment(struct rx *rx, size_t open, size_t end, size_t *close)
{
	size_t i, depth = 0;

	for (i = open; i < end; i++) {
		char c = rx->s[i];

		if (c == '\\') {
			i++;	/* a quoted-pair: the next byte is text */
			continue;
		}
		if (c == '(') {
			if (++depth > RX_MAX_DEPTH)
				return rx_fail(rx, 0, 0, "comments nested "
				    "deeper than %d", RX_MAX_DEPTH);
		} else if (c == ')' && --depth == 0) {
			*close = i;
			return 0;
		}
	}
	return rx_fail(rx, open, end - open, "unbalanced '('");
}

/* rx_quoted - skip the quoted-string that starts at s[*i] */
static int
rx_quoted(struct rx *rx, size_t *i, size_t end)
{
	size_t j;

	for (j = *i + 1; j < end; j++) {
		if (rx->s[j] == '\\') {
			j++;
		} else if (rx->s[j] == '"') {
			*i = j + 1;
			return 0;
		}
	}
	return rx_fail(rx, *i, end - *i, "unterminated quoted string");
}

/* rx_angle - skip the <...> that starts at s[*i] (a path, as in
 * "for <a@b>"; quoted strings inside may hold '>', ';' or '(') */
static int
rx_angle(struct rx *rx, size_t *i, size_t end)
{
	size_t j = *i + 1;
	int rc;

	while (j < end) {
		if (rx->s[j] == '"') {
			if ((rc = rx_quoted(rx, &j, end)) != 0)
				return rc;
			continue;
		}
		if (rx->s[j] == '>') {
			*i = j + 1;
			return 0;
		}
		j++;
	}
	return rx_fail(rx, *i, end - *i, "unterminated '<'");
}

/* rx_sep - true when c ends a word (';' only at the top level) */
static bool
rx_sep(char c, bool top)
{
	return c == ' ' || c == '\t' || c == '(' || c == ')' ||
	    (top && c == ';');
}

/* rx_lex - split s[off..end) into at most max tokens.  At the top level
 * (top) the first ';' ends the clauses (the date follows) and quoted
 * strings and <...> group a word; inside a comment they are text.
 * *more: tokens were left over. */
static int
rx_lex(struct rx *rx, size_t off, size_t end, bool top, struct tok *t,
    size_t max, size_t *nt, bool *more)
{
	size_t i = off, n = 0;
	int rc;

	*more = false;
	while (i < end) {
		char c = rx->s[i];
		size_t start = i;

		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (top && c == ';')
			break;
		if (n == max) {
			*more = true;
			break;
		}
		if (c == '(') {
			size_t close = 0;

			if ((rc = rx_comment(rx, i, end, &close)) != 0)
				return rc;
			t[n].type = TOK_COMMENT;
			t[n].off = i + 1;
			t[n].len = close - i - 1;
			n++;
			i = close + 1;
			continue;
		}
		if (c == ')')
			return rx_fail(rx, i, end - i, "unbalanced ')'");
		if (top && c == '<' && (rc = rx_angle(rx, &i, end)) != 0)
			return rc;
		while (i < end && !rx_sep(rx->s[i], top)) {
			if (top && rx->s[i] == '"') {
				if ((rc = rx_quoted(rx, &i, end)) != 0)
					return rc;
			} else if (rx->s[i] == '\\' && i + 1 < end) {
				i += 2;
			} else {
				i++;
			}
		}
		t[n].type = TOK_WORD;
		t[n].off = start;
		t[n].len = i - start;
		n++;
	}
	*nt = n;
	return 0;
}

/* tok_eq - t is the word kw (ASCII case-insensitive) */
static bool
tok_eq(const struct rx *rx, const struct tok *t, const char *kw)
{
	return t->type == TOK_WORD &&
	    mxspf__strcaseeq_n(rx->s + t->off, t->len, kw);
}

/* tok_keyword - t starts a clause of RFC 5321 s4.4 */
static bool
tok_keyword(const struct rx *rx, const struct tok *t)
{
	static const char *const kw[] = { "from", "by", "with", "id", "for",
	    "via" };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (tok_eq(rx, t, kw[i]))
			return true;
	return false;
}

/* ---- addresses ------------------------------------------------------ */

/* addr_text - p[0..len) as an address of family (0: either); an
 * IPv4-mapped IPv6 address becomes IPv4 */
static bool
addr_text(const char *p, size_t len, int family, struct mxspf_addr *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (mxspf__addr_parse_n(p, len, family, out) != 0)
		return false;
	if (out->family == 6 && memcmp(out->b, mapped, sizeof(mapped)) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = 4;
	}
	return true;
}

/* addr_word - the form of a word that carries an address: [IPv4],
 * [IPv6:IPv6] (RFC 5321 address literals), [IPv6] (Exim), each maybe
 * followed by :PORT (Exim); IPv6:IPv6 (OpenSMTPD); a bare address
 * (Exchange, qmail); user@IP (qmail) */
static enum aw
addr_word(const char *w, size_t len, struct mxspf_addr *out)
{
	const char *at = NULL;
	size_t i;

	if (len >= 2 && w[0] == '[') {
		const char *close = memchr(w, ']', len);
		const char *p = w + 1;
		size_t in, rest;
		int family = 0;
		uint64_t port;

		if (close == NULL)
			return AW_NONE;
		in = (size_t)(close - p);
		rest = len - (size_t)(close - w) - 1;
		if (in > 5 && mxspf__strcaseeq_n(p, 5, "ipv6:")) {
			p += 5;
			in -= 5;
			family = 6;
		}
		if (!addr_text(p, in, family, out))
			return AW_NONE;
		if (rest == 0)
			return AW_LITERAL;
		if (close[1] == ':' &&
		    mxspf__parse_uint(close + 2, rest - 1, 65535, &port) == 0)
			return AW_LITERAL_PORT;
		return AW_NONE;
	}
	if (len > 5 && mxspf__strcaseeq_n(w, 5, "ipv6:"))
		return addr_text(w + 5, len - 5, 6, out) ? AW_BARE : AW_NONE;
	if (addr_text(w, len, 0, out))
		return AW_BARE;
	for (i = 0; i < len; i++)
		if (w[i] == '@')
			at = w + i;
	if (at != NULL && at > w &&
	    addr_text(at + 1, len - (size_t)(at - w) - 1, 0, out))
		return AW_USER;
	return AW_NONE;
}

/* comment_addrs - how many words of comment c, at any depth, carry an
 * address (*first: the first of them) */
static size_t
comment_addrs(const struct rx *rx, const struct tok *c, struct tok *first)
{
	size_t i = c->off, end = c->off + c->len, n = 0;
	struct mxspf_addr a;

	while (i < end) {
		char ch = rx->s[i];
		size_t start = i;

		if (ch == ' ' || ch == '\t' || ch == '(' || ch == ')') {
			i++;
			continue;
		}
		while (i < end && !rx_sep(rx->s[i], false))
			i += (rx->s[i] == '\\' && i + 1 < end) ? 2 : 1;
		if (addr_word(rx->s + start, i - start, &a) != AW_NONE) {
			if (n == 0) {
				first->type = TOK_WORD;
				first->off = start;
				first->len = i - start;
			}
			n++;
		}
	}
	return n;
}

/* exim_items - true when the n words w[] are Exim's key=value items
 * (helo=, ident=, port=); the helo= value goes to ti */
static bool
exim_items(const struct rx *rx, const struct tok *w, size_t n,
    struct tcpinfo *ti)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = rx->s + w[i].off;
		const char *eq = memchr(p, '=', w[i].len);
		size_t klen;

		if (w[i].type != TOK_WORD || eq == NULL)
			return false;
		klen = (size_t)(eq - p);
		if (mxspf__strcaseeq_n(p, klen, "helo")) {
			if (ti->have_helo)
				return false;
			ti->helo.type = TOK_WORD;
			ti->helo.off = w[i].off + klen + 1;
			ti->helo.len = w[i].len - klen - 1;
			ti->have_helo = ti->helo.len > 0;
		} else if (!mxspf__strcaseeq_n(p, klen, "ident") &&
		    !mxspf__strcaseeq_n(p, klen, "port")) {
			return false;
		}
	}
	return true;
}

/* classify - read one from-clause comment: TCP-info in one of the known
 * shapes, qmail's "HELO NAME", Exim items, or SH_OTHER */
static int
classify(struct rx *rx, const struct tok *c, struct tcpinfo *ti)
{
	struct tok st[RX_MAX_SUB];
	struct mxspf_addr a;
	size_t ns, nw, i;
	enum aw a0;
	bool more;
	int rc;

	memset(ti, 0, sizeof(*ti));
	rc = rx_lex(rx, c->off, c->off + c->len, false, st, RX_MAX_SUB, &ns,
	    &more);
	if (rc != 0 || more)
		return rc;
	for (nw = 0; nw < ns && st[nw].type == TOK_WORD; nw++)
		continue;
	for (i = nw; i < ns; i++) {
		if (st[i].type != TOK_COMMENT)
			return 0;	/* words after a nested comment */
		if (mxspf__strcaseeq_n(rx->s + st[i].off, st[i].len,
		    "may be forged"))
			ti->forged = true;
	}
	if (nw == 0)
		return 0;
	if (nw == 2 && ns == 2 && tok_eq(rx, &st[0], "HELO")) {
		ti->shape = SH_HELO;
		ti->helo = st[1];
		ti->have_helo = true;
		return 0;
	}
	a0 = addr_word(rx->s + st[0].off, st[0].len, &ti->ip);
	if (a0 == AW_LITERAL || a0 == AW_LITERAL_PORT) {
		if (nw == 1)
			ti->shape = a0 == AW_LITERAL ? SH_LITERAL : SH_EXIM;
		else if (exim_items(rx, st + 1, nw - 1, ti))
			ti->shape = SH_EXIM;
		return 0;
	}
	if (nw == 1 && (a0 == AW_BARE || a0 == AW_USER)) {
		ti->shape = SH_BARE;
		ti->user = a0 == AW_USER;
		return 0;
	}
	if (a0 != AW_NONE)
		return 0;
	if (nw == 2 && (addr_word(rx->s + st[1].off, st[1].len, &a) ==
	    AW_LITERAL || addr_word(rx->s + st[1].off, st[1].len, &a) ==
	    AW_BARE)) {
		const char *p = rx->s + st[0].off;

		ti->shape = SH_NAME_ADDR;
		ti->ip = a;
		ti->name = st[0];
		/* Sendmail's ident form: user@RDNS. */
		for (i = st[0].len; i > 0; i--) {
			if (p[i - 1] == '@') {
				ti->name.off += i;
				ti->name.len -= i;
				break;
			}
		}
		ti->have_name = ti->name.len > 0;
		return 0;
	}
	if (ns == nw && exim_items(rx, st, nw, ti))
		ti->shape = SH_EXIM_ITEMS;
	return 0;
}

/* ---- clauses -------------------------------------------------------- */

/* split_clauses - tokenize up to the date and find the clauses */
static int
split_clauses(struct rx *rx, struct clauses *cl)
{
	size_t i = 0;
	bool more;
	int rc;

	rc = rx_lex(rx, 0, rx->n, true, cl->t, RX_MAX_TOKENS, &cl->nt, &more);
	if (rc != 0)
		return rc;
	if (more)
		return rx_fail(rx, 0, 0, "more than %d words and comments "
		    "before the date", RX_MAX_TOKENS);
	while (i < cl->nt && cl->t[i].type == TOK_COMMENT) {
		if (!cl->have_lead) {
			cl->have_lead = true;
			cl->lead = i;
		}
		i++;
	}
	if (i < cl->nt && tok_eq(rx, &cl->t[i], "from")) {
		if (++i == cl->nt || cl->t[i].type != TOK_WORD)
			return rx_fail(rx, 0, 0, "'from' is not followed by "
			    "a name");
		cl->have_from = true;
		cl->from = i++;
		cl->fc0 = i;
		while (i < cl->nt && cl->t[i].type == TOK_COMMENT)
			i++;
		cl->fc1 = i;
	}
	if (i == cl->nt || !tok_eq(rx, &cl->t[i], "by")) {
		if (!cl->have_from && cl->have_lead)
			return 0;	/* from_lead() says why */
		if (!cl->have_from)
			return rx_fail(rx, 0, 0, "no 'from' clause");
		if (i == cl->nt)
			return rx_fail(rx, 0, 0, "no 'by' clause");
		return rx_fail(rx, cl->t[i].off, cl->t[i].len, "'by' "
		    "expected");
	}
	if (++i == cl->nt || cl->t[i].type != TOK_WORD)
		return rx_fail(rx, 0, 0, "'by' is not followed by a name");
	cl->have_by = true;
	cl->by = i++;
	cl->bc0 = i;
	while (i < cl->nt && cl->t[i].type == TOK_COMMENT)
		i++;
	cl->bc1 = i;
	return clause_rest(rx, cl, i);
}

/* clause_rest - the clauses after "by": with, id, for, via, and
 * registered or unknown ones (Exim's "tls CIPHER") */
static int
clause_rest(struct rx *rx, struct clauses *cl, size_t i)
{
	struct tok w;

	while (i < cl->nt) {
		const struct tok *t = &cl->t[i];

		if (t->type == TOK_COMMENT) {
			if (first_word(rx, t, &w) && tok_eq(rx, &w, "Exim"))
				cl->exim = true;
			i++;
			continue;
		}
		if (tok_eq(rx, t, "from") || tok_eq(rx, t, "by"))
			return rx_fail(rx, t->off, t->len, "a second 'from' "
			    "or 'by' clause");
		if (tok_eq(rx, t, "with")) {
			if (cl->have_with)
				return rx_fail(rx, 0, 0, "two 'with' clauses");
			cl->w0 = ++i;
			while (i < cl->nt && cl->t[i].type == TOK_WORD &&
			    !tok_keyword(rx, &cl->t[i]))
				i++;
			cl->w1 = i;
			if (cl->w0 == cl->w1)
				return rx_fail(rx, 0, 0, "'with' is not "
				    "followed by a protocol");
			cl->have_with = true;
			continue;
		}
		if (tok_eq(rx, t, "id") || tok_eq(rx, t, "for")) {
			bool is_id = tok_eq(rx, t, "id");

			if (is_id ? cl->have_id : cl->have_for)
				return rx_fail(rx, t->off, t->len, "a second "
				    "clause");
			if (++i == cl->nt || cl->t[i].type != TOK_WORD)
				return rx_fail(rx, t->off, t->len, "a clause "
				    "without a value");
			if (is_id) {
				cl->have_id = true;
				cl->id = i;
			} else {
				cl->have_for = true;
				cl->forw = i;
			}
			i++;
			continue;
		}
		if (tok_eq(rx, t, "via")) {
			/* "via Frontend Transport" (Exchange): unused */
			i++;
			while (i < cl->nt && cl->t[i].type == TOK_WORD &&
			    !tok_keyword(rx, &cl->t[i]))
				i++;
			continue;
		}
		/* An additional clause (Exim's "tls CIPHER"): a word and
		 * maybe its value; unused. */
		i++;
		if (i < cl->nt && cl->t[i].type == TOK_WORD &&
		    !tok_keyword(rx, &cl->t[i]))
			i++;
	}
	return 0;
}

/* first_word - the first word of comment c into *w; false when none */
static bool
first_word(struct rx *rx, const struct tok *c, struct tok *w)
{
	size_t n;
	bool more;

	return rx_lex(rx, c->off, c->off + c->len, false, w, 1, &n,
	    &more) == 0 && n == 1 && w->type == TOK_WORD;
}

/* sendmail_version - w looks like Sendmail's "$v/$Z" (8.15.2/8.15.2) */
static bool
sendmail_version(const struct rx *rx, const struct tok *w)
{
	const char *p = rx->s + w->off;

	return w->len > 2 && p[0] >= '0' && p[0] <= '9' &&
	    memchr(p, '/', w->len) != NULL && memchr(p, '.', w->len) != NULL;
}

/* detect_mta - the MTA, from the by comment, an "(Exim ...)" comment
 * or the protocol (the from clause may add qmail, Exim, Sendmail) */
static enum mxspf_mta
detect_mta(struct rx *rx, const struct clauses *cl)
{
	struct tok w;

	if (cl->bc1 > cl->bc0 && first_word(rx, &cl->t[cl->bc0], &w)) {
		const char *p = rx->s + w.off;

		if (tok_eq(rx, &w, "Postfix") || (w.len == 8 &&
		    memcmp(p, "Postfix,", 8) == 0))
			return MXSPF_MTA_POSTFIX;
		if (tok_eq(rx, &w, "OpenSMTPD"))
			return MXSPF_MTA_OPENSMTPD;
		if (tok_eq(rx, &w, "Exim"))
			return MXSPF_MTA_EXIM;
		if (sendmail_version(rx, &w))
			return MXSPF_MTA_SENDMAIL;
	}
	if (cl->exim)
		return MXSPF_MTA_EXIM;
	if (cl->have_with && (tok_eq(rx, &cl->t[cl->w0], "Microsoft") ||
	    (cl->w1 - cl->w0 == 1 && tok_eq(rx, &cl->t[cl->w0], "mapi"))))
		return MXSPF_MTA_EXCHANGE;
	return MXSPF_MTA_UNKNOWN;
}

/* unknown_name - the placeholder an MTA shows for "no reverse name" */
static bool
unknown_name(const struct rx *rx, const struct tok *t)
{
	return tok_eq(rx, t, "unknown") || tok_eq(rx, t, "<unknown>");
}

/* ---- the from clause ------------------------------------------------ */

/* from_lead - no from clause: qmail's "(qmail N invoked ...)" and
 * Sendmail's "(from RDNS [IP])" (no HELO given) or "(from user@host)"
 * (a local submission) */
static int
from_lead(struct rx *rx, const struct clauses *cl, enum mxspf_mta *mta,
    struct fromres *fr)
{
	const struct tok *lead = &cl->t[cl->lead];
	struct tok st[RX_MAX_SUB], rest, first;
	struct tcpinfo ti;
	size_t ns, i, naddr;
	bool more;
	int rc;

	rc = rx_lex(rx, lead->off, lead->off + lead->len, false, st,
	    RX_MAX_SUB, &ns, &more);
	if (rc != 0)
		return rc;
	if (ns > 0 && tok_eq(rx, &st[0], "qmail")) {
		for (i = 1; i < ns; i++)
			if (tok_eq(rx, &st[i], "invoked"))
				return rx_fail(rx, lead->off, lead->len,
				    "a qmail hop that did not come over SMTP "
				    "has no client address");
	}
	if (ns < 2 || !tok_eq(rx, &st[0], "from") || st[1].type != TOK_WORD)
		return rx_fail(rx, 0, 0, "no 'from' clause");
	rest.type = TOK_COMMENT;
	rest.off = st[1].off;
	rest.len = lead->off + lead->len - st[1].off;
	if ((rc = classify(rx, &rest, &ti)) != 0)
		return rc;
	naddr = comment_addrs(rx, &rest, &first);
	if (naddr == 0)
		return rx_fail(rx, lead->off, lead->len, "no client address "
		    "(a local submission)");
	if (naddr > 1 || (ti.shape != SH_NAME_ADDR &&
	    ti.shape != SH_LITERAL))
		return rx_fail(rx, lead->off, lead->len, "a client address "
		    "in a comment of unknown form");
	fr->ip = ti.ip;
	fr->have_rdns = ti.have_name && !unknown_name(rx, &ti.name);
	fr->rdns = ti.name;
	if (*mta == MXSPF_MTA_UNKNOWN)
		*mta = MXSPF_MTA_SENDMAIL;
	return 0;
}

/* from_clause - find the one TCP-info comment of the from clause; any
 * other address in it (at any depth) refuses the header */
static int
from_clause(struct rx *rx, const struct clauses *cl, enum mxspf_mta *mta,
    struct fromres *fr)
{
	struct tcpinfo ti, tcp, items;
	struct tok first, over, helo_c;
	bool have_tcp = false, have_items = false, have_helo_c = false;
	size_t j, naddr = 0;
	int rc;

	memset(&tcp, 0, sizeof(tcp));
	memset(&items, 0, sizeof(items));
	memset(&first, 0, sizeof(first));
	memset(&over, 0, sizeof(over));
	if (!cl->have_from)
		return from_lead(rx, cl, mta, fr);
	for (j = cl->fc0; j < cl->fc1; j++) {
		struct tok a;
		size_t n;

		if ((rc = classify(rx, &cl->t[j], &ti)) != 0)
			return rc;
		if (ti.shape == SH_HELO) {
			if (have_helo_c)
				return rx_fail(rx, 0, 0, "two HELO comments");
			have_helo_c = true;
			helo_c = ti.helo;
			continue;
		}
		n = comment_addrs(rx, &cl->t[j], &a);
		if (n > 0 && naddr == 0)
			first = a;
		if (naddr < 2 && naddr + n >= 2)
			over = cl->t[j];	/* where the second one is */
		naddr += n;
		if (ti.shape == SH_EXIM_ITEMS && !have_items) {
			items = ti;
			have_items = true;
		} else if (n == 1 && !have_tcp && ti.shape != SH_OTHER &&
		    ti.shape != SH_EXIM_ITEMS) {
			tcp = ti;
			have_tcp = true;
		}
	}
	if (naddr > 1)
		return rx_fail(rx, over.off, over.len, "more than one client "
		    "address in the from clause");
	if (naddr == 1 && !have_tcp)
		return rx_fail(rx, first.off, first.len, "a client address "
		    "in a comment of unknown form");
	if (have_helo_c) {
		fr->have_helo = true;
		fr->helo = helo_c;
		if (*mta == MXSPF_MTA_UNKNOWN)
			*mta = MXSPF_MTA_QMAIL;	/* only qmail writes it */
	}
	return from_pick(rx, cl, mta, have_tcp ? &tcp : NULL,
	    have_items ? &items : NULL, fr);
}

/* from_pick - the address, HELO and reverse name from the from-word and
 * the TCP-info (tcp, or NULL) per MTA shape */
static int
from_pick(struct rx *rx, const struct clauses *cl, enum mxspf_mta *mta,
    const struct tcpinfo *tcp, const struct tcpinfo *items,
    struct fromres *fr)
{
	const struct tok *fw = &cl->t[cl->from];
	struct mxspf_addr a;
	enum aw fwa = addr_word(rx->s + fw->off, fw->len, &a);
	bool qmail;

	if (!fr->have_helo) {
		fr->have_helo = true;	/* the from-word, unless said below */
		fr->helo = *fw;
	}
	if (tcp == NULL) {
		/* Exim: "from [IP]" when there is no reverse name. */
		if ((fwa == AW_LITERAL || fwa == AW_LITERAL_PORT) &&
		    (*mta == MXSPF_MTA_EXIM || items != NULL)) {
			fr->ip = a;
			if (items != NULL && items->have_helo)
				fr->helo = items->helo;
			*mta = MXSPF_MTA_EXIM;
			return 0;
		}
		if (cl->have_with && cl->t[cl->w0].len >= 5 &&
		    mxspf__strcaseeq_n(rx->s + cl->t[cl->w0].off, 5, "local"))
			return rx_fail(rx, 0, 0, "a local submission (with "
			    "local) has no client address");
		return rx_fail(rx, fw->off, fw->len, "no client address in "
		    "the from clause");
	}
	fr->ip = tcp->ip;
	switch (tcp->shape) {
	case SH_NAME_ADDR:
		fr->have_rdns = tcp->have_name &&
		    !unknown_name(rx, &tcp->name);
		fr->rdns = tcp->name;
		if (tcp->forged && *mta == MXSPF_MTA_UNKNOWN)
			*mta = MXSPF_MTA_SENDMAIL;
		break;
	case SH_LITERAL:
		/* Exim leaves helo= out when it equals the reverse name. */
		if (*mta == MXSPF_MTA_EXIM && fwa == AW_NONE) {
			fr->have_rdns = true;
			fr->rdns = *fw;
		}
		break;
	case SH_EXIM:
		if (fwa == AW_NONE) {
			fr->have_rdns = true;
			fr->rdns = *fw;
		}
		if (tcp->have_helo)
			fr->helo = tcp->helo;
		if (*mta == MXSPF_MTA_UNKNOWN)
			*mta = MXSPF_MTA_EXIM;
		break;
	default:	/* SH_BARE */
		qmail = *mta == MXSPF_MTA_QMAIL || tcp->user ||
		    (*mta == MXSPF_MTA_UNKNOWN && cl->bc0 == cl->bc1 &&
		    !cl->have_id);
		if (qmail) {
			/* qmail: "from RDNS (HELO x) (IP)"; the HELO is left
			 * out when it equals RDNS. */
			fr->have_rdns = !unknown_name(rx, fw);
			fr->rdns = *fw;
			if (*mta == MXSPF_MTA_UNKNOWN)
				*mta = MXSPF_MTA_QMAIL;
		}
		break;
	}
	return 0;
}

/* ---- the result ----------------------------------------------------- */

/* rx_dup - copy s[off..off+len) into *out: printable ASCII only, at most
 * RX_MAX_FIELD bytes; empty gives NULL */
static int
rx_dup(struct rx *rx, size_t off, size_t len, const char *what, char **out)
{
	size_t i;

	*out = NULL;
	if (len == 0)
		return 0;
	if (len > RX_MAX_FIELD)
		return rx_fail(rx, off, len, "%s longer than %d bytes", what,
		    RX_MAX_FIELD);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rx->s[off + i];

		if (c < 0x20 || c > 0x7e)
			return rx_fail(rx, off, len, "%s is not printable "
			    "ASCII", what);
	}
	*out = mxspf__memdup(rx->s + off, len);
	return *out == NULL ? MXSPF_ENOMEM : 0;
}

/* rx_with - the words of "with" ("Microsoft SMTP Server"), one space
 * apart, each checked like rx_dup() */
static int
rx_with(struct rx *rx, const struct clauses *cl, char **out)
{
	struct mxspf_buf b;
	size_t i;
	int rc = 0;

	mxspf_buf_init(&b, RX_MAX_FIELD);
	for (i = cl->w0; rc == 0 && i < cl->w1; i++) {
		const struct tok *t = &cl->t[i];
		char *w;

		if ((rc = rx_dup(rx, t->off, t->len, "protocol", &w)) != 0)
			break;
		if (i > cl->w0)
			mxspf_buf_putc(&b, ' ');
		mxspf_buf_puts(&b, w);
		free(w);
	}
	if (rc == 0 && b.err == MXSPF_ELIMIT)
		rc = rx_fail(rx, 0, 0, "protocol longer than %d bytes",
		    RX_MAX_FIELD);
	if (rc == 0 && b.err != 0)
		rc = MXSPF_ENOMEM;
	if (rc == 0 && (*out = mxspf_buf_steal(&b)) == NULL)
		rc = MXSPF_ENOMEM;
	mxspf_buf_free(&b);
	return rc;
}

/* rx_fill - the strings of out */
static int
rx_fill(struct rx *rx, const struct clauses *cl, enum mxspf_mta mta,
    const struct fromres *fr, struct mxspf_received *out)
{
	const struct tok *t;
	int rc = 0;

	out->mta = mta;
	out->has_ip = true;
	out->from_ip = fr->ip;
	if (fr->have_helo)
		rc = rx_dup(rx, fr->helo.off, fr->helo.len, "HELO name",
		    &out->from_helo);
	if (rc == 0 && fr->have_rdns)
		rc = rx_dup(rx, fr->rdns.off, fr->rdns.len, "reverse name",
		    &out->from_rdns);
	t = &cl->t[cl->by];
	if (rc == 0)
		rc = rx_dup(rx, t->off, t->len, "'by' name", &out->by);
	if (rc == 0 && out->by == NULL)
		rc = rx_fail(rx, 0, 0, "empty 'by' name");
	if (rc == 0 && cl->have_with)
		rc = rx_with(rx, cl, &out->with);
	if (rc == 0 && cl->have_id)
		rc = rx_dup(rx, cl->t[cl->id].off, cl->t[cl->id].len, "id",
		    &out->id);
	if (rc == 0 && cl->have_for) {
		t = &cl->t[cl->forw];
		if (t->len >= 2 && rx->s[t->off] == '<' &&
		    rx->s[t->off + t->len - 1] == '>')
			rc = rx_dup(rx, t->off + 1, t->len - 2, "'for' "
			    "address", &out->for_addr);
		else
			rc = rx_dup(rx, t->off, t->len, "'for' address",
			    &out->for_addr);
	}
	return rc;
}

/* rx_received - read the unfolded header into out */
static int
rx_received(struct rx *rx, struct mxspf_received *out)
{
	struct clauses *cl;
	struct fromres fr;
	enum mxspf_mta mta;
	int rc;

	if ((cl = mxspf__calloc(1, sizeof(*cl))) == NULL)
		return MXSPF_ENOMEM;
	memset(&fr, 0, sizeof(fr));
	rc = split_clauses(rx, cl);
	if (rc == 0) {
		mta = detect_mta(rx, cl);
		rc = from_clause(rx, cl, &mta, &fr);
	}
	if (rc == 0 && !cl->have_by)
		rc = rx_fail(rx, 0, 0, "no 'by' clause");
	if (rc == 0)
		rc = rx_fill(rx, cl, mta, &fr, out);
	free(cl);
	return rc;
}

/* rx_start - check the length, unfold value into b, point rx at it */
static int
rx_start(struct rx *rx, const char *value, size_t len, struct mxspf_buf *b)
{
	int rc;

	mxspf_buf_init(b, RX_MAX_HEADER);
	if (len > RX_MAX_HEADER)
		return rx_fail(rx, 0, 0, "header longer than %d bytes",
		    RX_MAX_HEADER);
	if ((rc = rx_unfold(rx, value, len, b)) != 0)
		return rc;
	rx->s = mxspf_buf_cstr(b);
	rx->n = b->len;
	return 0;
}

int
mxspf_received_parse(const char *value, size_t len,
    struct mxspf_received *out, char *err, size_t errlen)
{
	struct mxspf_buf b;
	struct rx rx;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (value == NULL && len > 0))
		return MXSPF_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&rx, 0, sizeof(rx));
	rx.err = err;
	rx.errlen = errlen;
	rc = rx_start(&rx, value, len, &b);
	if (rc == 0)
		rc = rx_received(&rx, out);
	mxspf_buf_free(&b);
	if (rc != 0) {
		mxspf_received_clear(out);
		if (rc == MXSPF_ENOMEM && err != NULL && errlen > 0)
			(void)snprintf(err, errlen, "out of memory");
	}
	return rc;
}

void
mxspf_received_clear(struct mxspf_received *r)
{
	if (r == NULL)
		return;
	free(r->from_helo);
	free(r->from_rdns);
	free(r->by);
	free(r->with);
	free(r->id);
	free(r->for_addr);
	memset(r, 0, sizeof(*r));
}

/* ---- recorded SPF results ------------------------------------------- */

/* rx_cfws - skip spaces, tabs and comments from *i; the first comment
 * skipped goes to *c when c is not NULL (c->len stays 0 without one) */
static int
rx_cfws(struct rx *rx, size_t *i, struct tok *c)
{
	int rc;

	while (*i < rx->n) {
		size_t close = 0;

		if (rx->s[*i] == ' ' || rx->s[*i] == '\t') {
			(*i)++;
			continue;
		}
		if (rx->s[*i] != '(')
			break;
		if ((rc = rx_comment(rx, *i, rx->n, &close)) != 0)
			return rc;
		if (c != NULL && c->len == 0) {
			c->type = TOK_COMMENT;
			c->off = *i + 1;
			c->len = close - *i - 1;
		}
		*i = close + 1;
	}
	return 0;
}

/* rx_run - the length of the key / keyword at *i (letters, digits, '-',
 * '_', '.'), which is skipped */
static size_t
rx_run(const struct rx *rx, size_t *i)
{
	size_t start = *i;

	while (*i < rx->n) {
		char c = rx->s[*i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			break;
		(*i)++;
	}
	return *i - start;
}

/* rx_value - a quoted-string, or the bytes up to a space, tab, ';' or
 * '(' (policyd-spf writes receiver=<UNKNOWN>) */
static int
rx_value(struct rx *rx, size_t *i, struct tok *v)
{
	int rc;

	v->type = TOK_WORD;
	v->off = *i;
	if (*i < rx->n && rx->s[*i] == '"') {
		if ((rc = rx_quoted(rx, i, rx->n)) != 0)
			return rc;
	} else {
		while (*i < rx->n && !rx_sep(rx->s[*i], true))
			(*i)++;
	}
	v->len = *i - v->off;
	return 0;
}

/* tok_unquote - the bounds of v without its quotes, if quoted */
static void
tok_unquote(const struct rx *rx, const struct tok *v, size_t *off,
    size_t *len)
{
	*off = v->off;
	*len = v->len;
	if (v->len >= 2 && rx->s[v->off] == '"') {
		*off += 1;
		*len -= 2;
	}
}

/* result_word - an SPF result word (RFC 7208 s2.6, RFC 8601 s2.7.2;
 * older "error", "unknown" and RFC 5451 "hardfail" too) */
static int
result_word(const char *p, size_t len, enum mxspf_result *out)
{
	static const struct {
		const char *name;
		enum mxspf_result r;
	} words[] = {
		{ "pass", MXSPF_PASS }, { "fail", MXSPF_FAIL },
		{ "softfail", MXSPF_SOFTFAIL }, { "neutral", MXSPF_NEUTRAL },
		{ "none", MXSPF_NONE }, { "temperror", MXSPF_TEMPERROR },
		{ "permerror", MXSPF_PERMERROR }, { "hardfail", MXSPF_FAIL },
		{ "error", MXSPF_TEMPERROR }, { "unknown", MXSPF_PERMERROR }
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (mxspf__strcaseeq_n(p, len, words[i].name)) {
			*out = words[i].r;
			return 0;
		}
	}
	return MXSPF_ESYNTAX;
}

/* addr_same - a and b are the same address */
static bool
addr_same(const struct mxspf_addr *a, const struct mxspf_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

/* rspf_parse - Received-SPF: result [comment] key=value; ... */
static int
rspf_parse(struct rx *rx, const struct mxspf_addr *client,
    struct mxspf__recorded *out)
{
	struct mxspf_addr ip;
	bool have_ip = false;
	size_t i = 0, n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = rx_cfws(rx, &i, NULL)) != 0)
		return rc;
	n = rx_run(rx, &i);
	if (n == 0 || result_word(rx->s + i - n, n, &out->result) != 0)
		return MXSPF_ESYNTAX;
	if (i < rx->n && !rx_sep(rx->s[i], true))
		return MXSPF_ESYNTAX;	/* "pass!" */
	for (;;) {
		struct tok k, v;
		size_t vo, vl;

		if ((rc = rx_cfws(rx, &i, NULL)) != 0)
			return rc;
		if (i == rx->n)
			break;
		if (rx->s[i] == ';') {
			i++;
			continue;
		}
		k.off = i;
		if ((k.len = rx_run(rx, &i)) == 0)
			return MXSPF_ESYNTAX;
		if ((rc = rx_cfws(rx, &i, NULL)) != 0)
			return rc;
		if (i == rx->n || rx->s[i] != '=')
			return MXSPF_ESYNTAX;
		i++;
		if ((rc = rx_cfws(rx, &i, NULL)) != 0 ||
		    (rc = rx_value(rx, &i, &v)) != 0)
			return rc;
		tok_unquote(rx, &v, &vo, &vl);
		if (mxspf__strcaseeq_n(rx->s + k.off, k.len, "client-ip")) {
			if (have_ip || !addr_text(rx->s + vo, vl, 0, &ip))
				return MXSPF_ESYNTAX;
			have_ip = true;
		} else if (mxspf__strcaseeq_n(rx->s + k.off, k.len,
		    "identity")) {
			out->helo_only = mxspf__strcaseeq_n(rx->s + vo, vl,
			    "helo");
		}
	}
	if (client != NULL && (!have_ip || !addr_same(&ip, client)))
		return MXSPF_ENOENT;
	return 0;
}

/* ar_authserv - read the authserv-id and version at *i into *id;
 * *have_id is false for a header that starts with a result (Microsoft) */
static int
ar_authserv(struct rx *rx, size_t *i, struct tok *id, bool *have_id)
{
	size_t save, j;
	int rc;

	*have_id = false;
	if ((rc = rx_cfws(rx, i, NULL)) != 0)
		return rc;
	save = *i;
	if (rx_run(rx, i) > 0) {
		j = *i;
		if ((rc = rx_cfws(rx, &j, NULL)) != 0)
			return rc;
		if (j < rx->n && rx->s[j] == '=') {
			*i = save;	/* "spf=pass ...": no authserv-id */
			return 0;
		}
	}
	*i = save;
	if ((rc = rx_value(rx, i, id)) != 0)
		return rc;
	if (id->len == 0)
		return MXSPF_ESYNTAX;
	*have_id = true;
	if ((rc = rx_cfws(rx, i, NULL)) != 0)
		return rc;
	/* authres-version */
	j = *i;
	while (j < rx->n && rx->s[j] >= '0' && rx->s[j] <= '9')
		j++;
	if (j > *i && (j == rx->n || rx_sep(rx->s[j], true)))
		*i = j;
	return rx_cfws(rx, i, NULL);
}

/* ar_ip_mismatch - a Microsoft "(sender IP is X)" comment names another
 * client than client */
static bool
ar_ip_mismatch(const struct rx *rx, const struct tok *c,
    const struct mxspf_addr *client)
{
	static const char pre[] = "sender IP is ";
	const size_t plen = sizeof(pre) - 1;
	struct mxspf_addr a;
	size_t off, len;

	if (client == NULL || c->len <= plen ||
	    !mxspf__strcaseeq_n(rx->s + c->off, plen, pre))
		return false;
	off = c->off + plen;
	len = c->len - plen;
	while (len > 0 && (rx->s[off + len - 1] == ' ' ||
	    rx->s[off + len - 1] == '\t'))
		len--;
	return addr_text(rx->s + off, len, 0, &a) && !addr_same(&a, client);
}

/* ar_props - the reason and properties of one resinfo, up to ';' or the
 * end: smtp.mailfrom / smtp.helo seen, a comment naming another client */
static int
ar_props(struct rx *rx, size_t *i, bool spf, const struct mxspf_addr *client,
    bool *mailfrom, bool *helo, bool *mismatch)
{
	size_t n;
	int rc;

	*mailfrom = *helo = *mismatch = false;
	for (n = 0;; n++) {
		struct tok c, k, v;

		c.len = 0;
		if ((rc = rx_cfws(rx, i, &c)) != 0)
			return rc;
		if (spf && c.len > 0 && ar_ip_mismatch(rx, &c, client))
			*mismatch = true;
		if (*i == rx->n || rx->s[*i] == ';')
			return 0;
		if (n == RX_MAX_RESINFO)
			return MXSPF_ESYNTAX;
		k.off = *i;
		if ((k.len = rx_run(rx, i)) == 0)
			return MXSPF_ESYNTAX;
		if ((rc = rx_cfws(rx, i, NULL)) != 0)
			return rc;
		if (*i == rx->n || rx->s[*i] != '=')
			return MXSPF_ESYNTAX;
		(*i)++;
		if ((rc = rx_cfws(rx, i, NULL)) != 0 ||
		    (rc = rx_value(rx, i, &v)) != 0)
			return rc;
		if (mxspf__strcaseeq_n(rx->s + k.off, k.len, "smtp.mailfrom"))
			*mailfrom = true;
		else if (mxspf__strcaseeq_n(rx->s + k.off, k.len, "smtp.helo"))
			*helo = true;
	}
}

/* ar_decode_id - the authserv-id without quotes and quoted-pairs */
static int
ar_decode_id(const struct rx *rx, const struct tok *id, struct mxspf_buf *b)
{
	size_t off, len, i;

	tok_unquote(rx, id, &off, &len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rx->s[off + i];

		if (c == '\\' && off != id->off && i + 1 < len)
			c = (unsigned char)rx->s[off + ++i];
		if (c < 0x20 || c > 0x7e)
			return MXSPF_ESYNTAX;
		mxspf_buf_putc(b, c);
	}
	if (b->err == MXSPF_ENOMEM)
		return MXSPF_ENOMEM;
	if (b->err != 0 || b->len == 0)
		return MXSPF_ESYNTAX;
	return 0;
}

/* ar_id_is - the authserv-id token id equals want (case-insensitive);
 * 0, MXSPF_ENOENT, or an error */
static int
ar_id_is(const struct rx *rx, const struct tok *id, const char *want)
{
	struct mxspf_buf b;
	int rc;

	mxspf_buf_init(&b, RX_MAX_AUTHSERV);
	rc = ar_decode_id(rx, id, &b);
	if (rc == 0 && !mxspf__strcaseeq_n(mxspf_buf_cstr(&b), b.len, want))
		rc = MXSPF_ENOENT;
	mxspf_buf_free(&b);
	return rc;
}

/* ar_method - one methodspec at *i: method [/ version] = result (only the
 * spf result is checked and kept); *skip for RFC 8601's "none" */
static int
ar_method(struct rx *rx, size_t *i, bool *spf, bool *skip,
    enum mxspf_result *res)
{
	size_t m = *i, r;
	int rc;

	*spf = *skip = false;
	if (rx_run(rx, i) == 0)
		return MXSPF_ESYNTAX;
	if (mxspf__strcaseeq_n(rx->s + m, *i - m, "none")) {
		*skip = true;	/* no-result */
		return 0;
	}
	*spf = mxspf__strcaseeq_n(rx->s + m, *i - m, "spf");
	if ((rc = rx_cfws(rx, i, NULL)) != 0)
		return rc;
	if (*i < rx->n && rx->s[*i] == '/') {	/* method-version */
		(*i)++;
		if ((rc = rx_cfws(rx, i, NULL)) != 0)
			return rc;
		if (rx_run(rx, i) == 0)
			return MXSPF_ESYNTAX;
		if ((rc = rx_cfws(rx, i, NULL)) != 0)
			return rc;
	}
	if (*i == rx->n || rx->s[*i] != '=')
		return MXSPF_ESYNTAX;
	(*i)++;
	if ((rc = rx_cfws(rx, i, NULL)) != 0)
		return rc;
	r = *i;
	if (rx_run(rx, i) == 0)
		return MXSPF_ESYNTAX;
	if (*spf && result_word(rx->s + r, *i - r, res) != 0)
		return MXSPF_ESYNTAX;
	return 0;
}

/* ar_parse - Authentication-Results: authserv-id [version]; resinfo...
 * (RFC 8601 s2.2); the spf result with smtp.mailfrom wins, else the
 * first */
static int
ar_parse(struct rx *rx, const struct mxspf_addr *client,
    const char *authserv_id, struct mxspf__recorded *out)
{
	struct mxspf__recorded r, first, best;
	struct tok id;
	bool have_id, have_first = false, have_best = false, lead;
	bool spf, skip, mailfrom, helo, mismatch;
	size_t i = 0, count;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&first, 0, sizeof(first));
	memset(&best, 0, sizeof(best));
	if ((rc = ar_authserv(rx, &i, &id, &have_id)) != 0)
		return rc;
	if (authserv_id != NULL && (rc = !have_id ? MXSPF_ENOENT :
	    ar_id_is(rx, &id, authserv_id)) != 0)
		return rc;
	lead = !have_id;	/* Microsoft: the first result has no ';' */
	for (count = 0;; count++) {
		if ((rc = rx_cfws(rx, &i, NULL)) != 0)
			return rc;
		if (i == rx->n)
			break;
		if (!lead) {
			if (rx->s[i++] != ';')
				return MXSPF_ESYNTAX;
			if ((rc = rx_cfws(rx, &i, NULL)) != 0)
				return rc;
			if (i == rx->n)
				break;	/* a final ';' */
		}
		lead = false;
		if (count == RX_MAX_RESINFO)
			return MXSPF_ESYNTAX;
		memset(&r, 0, sizeof(r));
		if ((rc = ar_method(rx, &i, &spf, &skip, &r.result)) != 0)
			return rc;
		if (skip)
			continue;
		rc = ar_props(rx, &i, spf, client, &mailfrom, &helo,
		    &mismatch);
		if (rc != 0)
			return rc;
		if (!spf || mismatch)
			continue;
		r.helo_only = helo && !mailfrom;
		if (mailfrom && !have_best) {
			best = r;
			have_best = true;
		}
		if (!have_first) {
			first = r;
			have_first = true;
		}
	}
	if (!have_first)
		return MXSPF_ENOENT;
	*out = have_best ? best : first;
	return 0;
}

int
mxspf__recorded_spf_parse(const char *name, const char *value, size_t len,
    const struct mxspf_addr *client, const char *authserv_id,
    struct mxspf__recorded *out)
{
	struct mxspf_buf b;
	struct rx rx;
	bool rspf;
	int rc;

	if (name == NULL || out == NULL || (value == NULL && len > 0))
		return MXSPF_EINVAL;
	memset(out, 0, sizeof(*out));
	rspf = mxspf__strcaseeq_n(name, strlen(name), "Received-SPF");
	if (!rspf && !mxspf__strcaseeq_n(name, strlen(name),
	    "Authentication-Results"))
		return MXSPF_ENOENT;
	memset(&rx, 0, sizeof(rx));
	rc = rx_start(&rx, value, len, &b);
	if (rc == 0)
		rc = rspf ? rspf_parse(&rx, client, out) :
		    ar_parse(&rx, client, authserv_id, out);
	mxspf_buf_free(&b);
	return rc;
}

int
mxspf_recorded_spf_parse(const char *name, const char *value, size_t len,
    const struct mxspf_addr *client, const char *authserv_id,
    enum mxspf_result *out)
{
	struct mxspf__recorded r;
	int rc;

	if (out == NULL)
		return MXSPF_EINVAL;
	rc = mxspf__recorded_spf_parse(name, value, len, client, authserv_id,
	    &r);
	if (rc == 0)
		*out = r.result;
	return rc;
}

int
mxspf_auth_results_authserv_id(const char *value, size_t len, char *out,
    size_t outlen)
{
	struct mxspf_buf b, id;
	struct tok t;
	struct rx rx;
	bool have;
	size_t i = 0;
	int rc;

	if (out == NULL || outlen == 0 || (value == NULL && len > 0))
		return MXSPF_EINVAL;
	out[0] = '\0';
	memset(&rx, 0, sizeof(rx));
	mxspf_buf_init(&id, RX_MAX_AUTHSERV);
	rc = rx_start(&rx, value, len, &b);
	if (rc == 0)
		rc = ar_authserv(&rx, &i, &t, &have);
	if (rc == 0 && !have)
		rc = MXSPF_ENOENT;
	if (rc == 0)
		rc = ar_decode_id(&rx, &t, &id);
	if (rc == 0 && id.len >= outlen)
		rc = MXSPF_ELIMIT;
	if (rc == 0)
		memcpy(out, mxspf_buf_cstr(&id), id.len + 1);
	mxspf_buf_free(&id);
	mxspf_buf_free(&b);
	return rc;
}
