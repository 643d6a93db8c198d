/* lib/header.c - Received-SPF (RFC 7208 s9.1) and Authentication-Results
 * (RFC 8601) header writers.
 *
 * Owns: the text of the two header fields, their quoting and their
 * folding.  Formats (folds shown as line breaks, each a "\n\t"):
 *
 *	Received-SPF: pass (mx.example.net: domain of alice@example.com
 *		designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;
 *		envelope-from="alice@example.com"; helo=mail.example.com;
 *		identity=mailfrom; receiver=mx.example.net;
 *		mechanism="ip4:192.0.2.0/24"
 *
 *	Authentication-Results: mx.example.net; spf=pass (mx.example.net:
 *		domain of alice@example.com designates 192.0.2.1 as permitted
 *		sender) smtp.mailfrom=alice@example.com
 *
 * Received-SPF keys, in this order: client-ip, envelope-from (the sender
 * as given, "" for the null reverse-path), helo (when known), identity
 * (mailfrom or helo), receiver (when known), then mechanism= when a
 * mechanism decided the result or problem= for temperror and permerror.
 * A value is written as a dot-atom when it is one, else as a
 * quoted-string.  Authentication-Results has spf=<result>, the same
 * comment, reason=<problem> for temperror and permerror, then
 * smtp.mailfrom=<sender> or, for the HELO identity, smtp.helo=<helo>.
 * A property value is a token or local-part@domain-name when it is one
 * (RFC 8601 pvalue), else a quoted-string.  For the null reverse-path
 * smtp.mailfrom is postmaster@<helo>, the <sender> that check_host() used
 * (RFC 7208 s2.4); the comment names the same identity.
 *
 * Defences against hostile SMTP input (sender, helo) and text derived
 * from DNS (mechanism, problem): every byte outside printable ASCII (CR,
 * LF, NUL cannot arrive in a C string, TAB, other controls, DEL, 8-bit)
 * becomes '?', so header injection is impossible; each such string is
 * cut to HDR_TEXT_MAX bytes and marked with "..."; '"' and '\' are
 * quoted-pairs in quoted-strings, '(' ')' and '\' in comments.  Folds go
 * only between items (and between words of the comment) at 78 columns;
 * an item is at most about 540 bytes, so no line reaches 998 bytes, and
 * a last pass checks that before the header is returned.
 *
 * Must not: emit a control byte other than the "\n\t" folds, a line over
 * 998 bytes, or a final newline; allocate other than through
 * mxspf__alloc; keep state between calls.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "header.h"
#include "internal.h"

#define HDR_FOLD_COL	78	/* RFC 5322 s2.1.1: SHOULD not exceed */
#define HDR_LINE_MAX	998	/* RFC 5322 s2.1.1: MUST not exceed */
#define HDR_TEXT_MAX	256	/* bytes kept of one untrusted string */
#define HDR_TRUNC_MARK	"..."	/* appended to a string that was cut */
#define HDR_OUT_MAX	16384	/* one header; the worst case is ~4 KB */
#define HDR_ADDR_LEN	64	/* formatted client address */
#define HDR_POSTMASTER	"postmaster@"	/* RFC 7208 s2.4, s4.3 */

/* The specials that a quoted-pair escapes in each context. */
#define HDR_QSTRING_SPECIALS	"\"\\"	/* RFC 5322 qtext excludes */
#define HDR_COMMENT_SPECIALS	"()\\"	/* RFC 5322 ctext excludes */

struct hdr {
	struct mxspf_buf out;	/* the header field */
	struct mxspf_buf word;	/* the item being built; never folded */
	struct mxspf_buf text;	/* one cleaned string */
	struct mxspf_buf subj;	/* the identity the comment names */
	size_t col;		/* bytes on the current line of out */
	size_t pairs;		/* Received-SPF key-value pairs so far */
	const char *receiver;	/* "" when unknown */
	const char *problem;	/* "" when none or not applicable */
	char client[HDR_ADDR_LEN];
};

/* What each result is called and the comment that explains it: %R
 * receiver, %S checked identity, %C client address, %P problem. */
struct hdr_result {
	const char *name;	/* RFC 7208 s9.1 and RFC 8601 s2.7.2 */
	const char *comment;
	bool error;		/* temperror or permerror: show the problem */
};

static const struct hdr_result hdr_results[] = {
	[MXSPF_NONE] = { "none",
	    "domain of %S does not designate permitted sender hosts", false },
	[MXSPF_NEUTRAL] = { "neutral",
	    "%C is neither permitted nor denied by domain of %S", false },
	[MXSPF_PASS] = { "pass",
	    "domain of %S designates %C as permitted sender", false },
	[MXSPF_FAIL] = { "fail",
	    "domain of %S does not designate %C as permitted sender", false },
	[MXSPF_SOFTFAIL] = { "softfail",
	    "domain of transitioning %S does not designate %C as permitted "
	    "sender", false },
	[MXSPF_TEMPERROR] = { "temperror",
	    "temporary error in processing during lookup of %S", true },
	[MXSPF_PERMERROR] = { "permerror",
	    "permanent error in processing domain of %S", true },
};

#define HDR_NRESULTS (sizeof(hdr_results) / sizeof(hdr_results[0]))

static int hdr_begin(struct hdr *, const struct mxspf_header_info *);
static int hdr_end(struct hdr *, int, char **);
static void hdr_flush(struct hdr *);
static void hdr_clean(struct hdr *, const char *, size_t);
static void hdr_clean_str(struct hdr *, const char *);
static void hdr_put_escaped(struct hdr *, const char *, size_t,
    const char *);
static void hdr_put_quoted(struct hdr *, const char *, size_t);
static void hdr_put_rfc7208_value(struct hdr *, const char *);
static void hdr_put_rfc8601_value(struct hdr *, const char *, size_t,
    bool);
static void hdr_pair(struct hdr *, const char *, const char *);
static void hdr_expand(struct hdr *, const char *);
static void hdr_comment(struct hdr *, enum mxspf_result);
static bool hdr_is_atext(unsigned char);
static bool hdr_is_token_char(unsigned char);
static bool hdr_is_domain_name(const char *, size_t);
static bool hdr_is_addr_pvalue(const char *, size_t);
static bool hdr_is_safe(const char *, size_t);
static const char *hdr_str(const char *);

/* hdr_str - a NULL string as "" */
static const char *
hdr_str(const char *s)
{
	return s != NULL ? s : "";
}

/* hdr_begin - check the inputs and set up the buffers and the facts */
static int
hdr_begin(struct hdr *h, const struct mxspf_header_info *info)
{
	const struct mxspf_verdict *v;
	const char *helo, *sender;

	mxspf_buf_init(&h->out, HDR_OUT_MAX);
	mxspf_buf_init(&h->word, HDR_OUT_MAX);
	mxspf_buf_init(&h->text, HDR_OUT_MAX);
	mxspf_buf_init(&h->subj, HDR_OUT_MAX);
	h->col = 0;
	h->pairs = 0;
	if (info == NULL || (v = info->verdict) == NULL ||
	    info->client == NULL || (size_t)v->result >= HDR_NRESULTS ||
	    (info->identity != MXSPF_ID_MAILFROM &&
	    info->identity != MXSPF_ID_HELO) ||
	    (info->client->family != 4 && info->client->family != 6) ||
	    mxspf_addr_format(info->client, h->client, sizeof(h->client)) != 0)
		return MXSPF_EINVAL;
	h->receiver = hdr_str(info->receiver);
	h->problem = hdr_results[v->result].error ? hdr_str(v->problem) : "";

	/* The identity check_host() used: HELO, MAIL FROM, or for the null
	 * reverse-path postmaster@<helo>.  Only the bytes that the cleaning
	 * can keep are copied, so a 5 KB HELO costs nothing. */
	helo = hdr_str(info->helo);
	sender = hdr_str(info->sender);
	if (info->identity == MXSPF_ID_HELO) {
		mxspf_buf_append(&h->subj, helo,
		    strnlen(helo, HDR_TEXT_MAX + 1));
	} else if (*sender != '\0') {
		mxspf_buf_append(&h->subj, sender,
		    strnlen(sender, HDR_TEXT_MAX + 1));
	} else if (*helo != '\0') {
		mxspf_buf_puts(&h->subj, HDR_POSTMASTER);
		mxspf_buf_append(&h->subj, helo,
		    strnlen(helo, HDR_TEXT_MAX + 1));
	}
	return h->subj.err;
}

/* hdr_is_safe - whether p[0..len) is printable ASCII with "\n\t" folds
 * only and no line over HDR_LINE_MAX bytes */
static bool
hdr_is_safe(const char *p, size_t len)
{
	size_t i, line = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n') {
			if (i + 1 >= len || p[i + 1] != '\t')
				return false;
			line = 0;
			continue;
		}
		if ((c < 0x20 && !(c == '\t' && i > 0 && p[i - 1] == '\n')) ||
		    c > 0x7e)
			return false;
		if (++line > HDR_LINE_MAX)
			return false;
	}
	return true;
}

/* hdr_end - flush, check, hand the header out (on rc 0) and free all */
static int
hdr_end(struct hdr *h, int rc, char **out)
{
	hdr_flush(h);
	if (rc == 0 && h->word.err != 0)
		rc = h->word.err;
	if (rc == 0 && h->text.err != 0)
		rc = h->text.err;
	if (rc == 0 && h->subj.err != 0)
		rc = h->subj.err;
	if (rc == 0 && h->out.err != 0)
		rc = h->out.err;
	/* By construction this cannot fail; it guards the invariant
	 * against a later change of the templates or limits. */
	if (rc == 0 && !hdr_is_safe(mxspf_buf_cstr(&h->out), h->out.len))
		rc = MXSPF_EINVAL;
	if (rc == MXSPF_ELIMIT)
		rc = MXSPF_EINVAL;
	if (rc == 0) {
		*out = mxspf_buf_steal(&h->out);
		if (*out == NULL)
			rc = MXSPF_ENOMEM;
	}
	mxspf_buf_free(&h->out);
	mxspf_buf_free(&h->word);
	mxspf_buf_free(&h->text);
	mxspf_buf_free(&h->subj);
	return rc;
}

/* hdr_flush - move the pending item to the output, after a space or,
 * when the line would pass HDR_FOLD_COL, after a "\n\t" fold */
static void
hdr_flush(struct hdr *h)
{
	size_t n = h->word.len;

	if (n == 0 || h->word.err != 0)
		return;
	if (h->out.len == 0) {
		h->col = 0;
	} else if (h->col + 1 + n <= HDR_FOLD_COL) {
		mxspf_buf_putc(&h->out, ' ');
		h->col++;
	} else {
		mxspf_buf_append(&h->out, "\n\t", 2);
		h->col = 1;
	}
	mxspf_buf_append(&h->out, h->word.p, n);
	h->col += n;
	mxspf_buf_reset(&h->word);
}

/* hdr_clean - copy untrusted p[0..len) into h->text with every byte
 * outside printable ASCII replaced by '?' (no CR/LF/NUL can reach the
 * header: injection), cut to HDR_TEXT_MAX bytes plus HDR_TRUNC_MARK;
 * len may exceed the bytes that exist only if p has a NUL before it */
static void
hdr_clean(struct hdr *h, const char *p, size_t len)
{
	size_t i, n = len < HDR_TEXT_MAX ? len : HDR_TEXT_MAX;

	mxspf_buf_reset(&h->text);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		mxspf_buf_putc(&h->text, c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (n < len)
		mxspf_buf_puts(&h->text, HDR_TRUNC_MARK);
}

/* hdr_clean_str - hdr_clean of a C string, read no further than needed */
static void
hdr_clean_str(struct hdr *h, const char *s)
{
	hdr_clean(h, s, strnlen(s, HDR_TEXT_MAX + 1));
}

/* hdr_put_escaped - append p[0..len) to the item, each byte in specials
 * as a quoted-pair */
static void
hdr_put_escaped(struct hdr *h, const char *p, size_t len,
    const char *specials)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (strchr(specials, p[i]) != NULL)
			mxspf_buf_putc(&h->word, '\\');
		mxspf_buf_putc(&h->word, p[i]);
	}
}

/* hdr_put_quoted - append p[0..len) as an RFC 5322 quoted-string */
static void
hdr_put_quoted(struct hdr *h, const char *p, size_t len)
{
	mxspf_buf_putc(&h->word, '"');
	hdr_put_escaped(h, p, len, HDR_QSTRING_SPECIALS);
	mxspf_buf_putc(&h->word, '"');
}

/* hdr_is_atext - RFC 5322 s3.2.3 atext */
static bool
hdr_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* mxspf__hdr_is_dot_atom - RFC 5322 dot-atom-text: 1*atext *("." 1*atext) */
bool
mxspf__hdr_is_dot_atom(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || p[0] == '.' || p[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (p[i - 1] == '.')
				return false;
		} else if (!hdr_is_atext((unsigned char)p[i])) {
			return false;
		}
	}
	return true;
}

/* hdr_is_token_char - RFC 2045 token: CHAR but SPACE, CTLs, tspecials */
static bool
hdr_is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* mxspf__hdr_is_token - p[0..len) is a non-empty RFC 2045 token */
bool
mxspf__hdr_is_token(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (!hdr_is_token_char((unsigned char)p[i]))
			return false;
	}
	return true;
}

/* hdr_is_domain_name - RFC 6376 s3.5 domain-name: sub-domain
 * 1*("." sub-domain), sub-domain = Let-dig [Ldh-str] */
static bool
hdr_is_domain_name(const char *p, size_t len)
{
	size_t i, start = 0, dots = 0;

	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)p[i] : '.';

		if (c == '.') {
			if (i == start || p[start] == '-' || p[i - 1] == '-')
				return false;
			if (i < len)
				dots++;
			start = i + 1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')) {
			return false;
		}
	}
	return dots > 0;
}

/* hdr_is_addr_pvalue - RFC 8601 pvalue's [[local-part] "@"] domain-name,
 * with the local-part taken as a dot-atom */
static bool
hdr_is_addr_pvalue(const char *p, size_t len)
{
	const char *at = memchr(p, '@', len);
	size_t llen;

	if (at == NULL)
		return hdr_is_domain_name(p, len);
	llen = (size_t)(at - p);
	if (llen > 0 && !mxspf__hdr_is_dot_atom(p, llen))
		return false;
	return hdr_is_domain_name(at + 1, len - llen - 1);
}

/* hdr_put_rfc7208_value - append untrusted s as an RFC 7208 s9.1 value:
 * dot-atom when it is one, else quoted-string */
static void
hdr_put_rfc7208_value(struct hdr *h, const char *s)
{
	hdr_clean_str(h, s);
	if (h->text.err != 0)
		return;
	if (mxspf__hdr_is_dot_atom(mxspf_buf_cstr(&h->text), h->text.len))
		mxspf_buf_append(&h->word, h->text.p, h->text.len);
	else
		hdr_put_quoted(h, mxspf_buf_cstr(&h->text), h->text.len);
}

/* hdr_put_rfc8601_value - append untrusted p[0..len) as an RFC 8601
 * value (token / quoted-string) or, with addr, pvalue (also
 * [local-part]@domain-name) */
static void
hdr_put_rfc8601_value(struct hdr *h, const char *p, size_t len, bool addr)
{
	const char *t;

	hdr_clean(h, p, len);
	if (h->text.err != 0)
		return;
	t = mxspf_buf_cstr(&h->text);
	if (mxspf__hdr_is_token(t, h->text.len) ||
	    (addr && hdr_is_addr_pvalue(t, h->text.len)))
		mxspf_buf_append(&h->word, t, h->text.len);
	else
		hdr_put_quoted(h, t, h->text.len);
}

/* hdr_pair - one Received-SPF key=value item, ';' ending the last one */
static void
hdr_pair(struct hdr *h, const char *key, const char *value)
{
	if (h->pairs++ > 0)
		mxspf_buf_putc(&h->word, ';');
	hdr_flush(h);
	mxspf_buf_puts(&h->word, key);
	mxspf_buf_putc(&h->word, '=');
	hdr_put_rfc7208_value(h, value);
}

/* hdr_expand - add comment text from a template; a space in the template
 * or in a substituted string ends a word, so the comment folds there */
static void
hdr_expand(struct hdr *h, const char *tmpl)
{
	const char *sub, *t;
	size_t i;

	for (; *tmpl != '\0'; tmpl++) {
		if (*tmpl == ' ') {
			hdr_flush(h);
			continue;
		}
		if (*tmpl != '%' || tmpl[1] == '\0') {
			mxspf_buf_putc(&h->word, *tmpl);
			continue;
		}
		switch (*++tmpl) {
		case 'R':
			sub = h->receiver;
			break;
		case 'C':
			sub = h->client;
			break;
		case 'P':
			sub = h->problem;
			break;
		default:	/* 'S'; the templates use no other */
			sub = NULL;
			break;
		}
		if (sub != NULL)
			hdr_clean_str(h, sub);
		else if (h->subj.len > 0)
			hdr_clean(h, h->subj.p, h->subj.len);
		else
			hdr_clean_str(h, "<>");
		t = mxspf_buf_cstr(&h->text);
		for (i = 0; i < h->text.len; i++) {
			if (t[i] == ' ')
				hdr_flush(h);
			else
				hdr_put_escaped(h, t + i, 1,
				    HDR_COMMENT_SPECIALS);
		}
	}
}

/* hdr_comment - the "(receiver: explanation)" comment of a result */
static void
hdr_comment(struct hdr *h, enum mxspf_result r)
{
	hdr_flush(h);
	mxspf_buf_putc(&h->word, '(');
	if (*h->receiver != '\0')
		hdr_expand(h, "%R: ");
	hdr_expand(h, hdr_results[r].comment);
	if (*h->problem != '\0')
		hdr_expand(h, ": %P");
	mxspf_buf_putc(&h->word, ')');
}

int
mxspf_header_received_spf(const struct mxspf_header_info *info,
    char **out)
{
	struct hdr h;
	const struct mxspf_verdict *v;
	int rc;

	if (out == NULL)
		return MXSPF_EINVAL;
	*out = NULL;
	if ((rc = hdr_begin(&h, info)) != 0)
		return hdr_end(&h, rc, out);
	v = info->verdict;
	mxspf_buf_puts(&h.word, "Received-SPF: ");
	mxspf_buf_puts(&h.word, hdr_results[v->result].name);
	hdr_comment(&h, v->result);
	hdr_pair(&h, "client-ip", h.client);
	hdr_pair(&h, "envelope-from", hdr_str(info->sender));
	if (info->helo != NULL && *info->helo != '\0')
		hdr_pair(&h, "helo", info->helo);
	hdr_pair(&h, "identity",
	    info->identity == MXSPF_ID_HELO ? "helo" : "mailfrom");
	if (*h.receiver != '\0')
		hdr_pair(&h, "receiver", h.receiver);
	if (v->reason == MXSPF_WHY_MECHANISM && v->mechanism != NULL &&
	    *v->mechanism != '\0')
		hdr_pair(&h, "mechanism", v->mechanism);
	if (*h.problem != '\0')
		hdr_pair(&h, "problem", h.problem);
	if (info->trusted_for != NULL && *info->trusted_for != '\0')
		hdr_pair(&h, "x-mxspf-trusted-for", info->trusted_for);
	return hdr_end(&h, 0, out);
}

int
mxspf_header_relay(const struct mxspf_header_info *info, const char *kind,
    const char *relay_host, unsigned pref, const char *domains, char **out)
{
	static const struct mxspf_verdict none = { .result = MXSPF_NONE };
	struct mxspf_header_info i2;
	struct hdr h;
	char num[16];
	int rc;

	if (out == NULL)
		return MXSPF_EINVAL;
	*out = NULL;
	if (info == NULL || kind == NULL || domains == NULL ||
	    !mxspf__hdr_is_token(kind, strlen(kind)))
		return MXSPF_EINVAL;
	i2 = *info;
	i2.verdict = &none;
	if ((rc = hdr_begin(&h, &i2)) != 0)
		return hdr_end(&h, rc, out);
	mxspf_buf_puts(&h.word, "X-Mxspf-Relay: ");
	mxspf_buf_puts(&h.word, kind);
	h.problem = domains;
	hdr_flush(&h);
	mxspf_buf_putc(&h.word, '(');
	if (*h.receiver != '\0')
		hdr_expand(&h, "%R: ");
	hdr_expand(&h, "%C is a trusted relay for %P");
	mxspf_buf_putc(&h.word, ')');
	hdr_pair(&h, "client-ip", h.client);
	hdr_pair(&h, "envelope-from", hdr_str(info->sender));
	if (info->helo != NULL && *info->helo != '\0')
		hdr_pair(&h, "helo", info->helo);
	if (*h.receiver != '\0')
		hdr_pair(&h, "receiver", h.receiver);
	if (relay_host != NULL && *relay_host != '\0') {
		hdr_pair(&h, "relay-host", relay_host);
		(void)snprintf(num, sizeof(num), "%u", pref & 0xffffu);
		hdr_pair(&h, "preference", num);
	}
	hdr_pair(&h, "domain", domains);
	return hdr_end(&h, 0, out);
}

int
mxspf_header_auth_results(const struct mxspf_header_info *info,
    const char *authserv_id, char **out)
{
	struct hdr h;
	const struct mxspf_verdict *v;
	size_t idlen;
	int rc;

	if (out == NULL)
		return MXSPF_EINVAL;
	*out = NULL;
	if ((rc = hdr_begin(&h, info)) != 0)
		return hdr_end(&h, rc, out);
	/* The authserv-id is ours, not the peer's, but a bad one would
	 * break the field for every reader: accept an RFC 2045 token only. */
	if (authserv_id == NULL ||
	    (idlen = strnlen(authserv_id, HDR_TEXT_MAX + 1)) > HDR_TEXT_MAX ||
	    !mxspf__hdr_is_token(authserv_id, idlen))
		return hdr_end(&h, MXSPF_EINVAL, out);
	v = info->verdict;
	mxspf_buf_puts(&h.word, "Authentication-Results: ");
	mxspf_buf_append(&h.word, authserv_id, idlen);
	mxspf_buf_putc(&h.word, ';');
	hdr_flush(&h);
	mxspf_buf_puts(&h.word, "spf=");
	mxspf_buf_puts(&h.word, hdr_results[v->result].name);
	hdr_comment(&h, v->result);
	if (*h.problem != '\0') {
		hdr_flush(&h);
		mxspf_buf_puts(&h.word, "reason=");
		hdr_put_rfc8601_value(&h, h.problem,
		    strnlen(h.problem, HDR_TEXT_MAX + 1), false);
	}
	hdr_flush(&h);
	mxspf_buf_puts(&h.word, info->identity == MXSPF_ID_HELO ?
	    "smtp.helo=" : "smtp.mailfrom=");
	hdr_put_rfc8601_value(&h, mxspf_buf_cstr(&h.subj), h.subj.len, true);
	if (info->trusted_for != NULL && *info->trusted_for != '\0') {
		/* RFC 8601 s2.3: "policy" properties record local policy
		 * that overrode the method's result -- here, for the
		 * domains whose MX relay the client is. */
		hdr_flush(&h);
		mxspf_buf_puts(&h.word, "policy.x-mxspf-trusted-for=");
		hdr_put_rfc8601_value(&h, info->trusted_for,
		    strnlen(info->trusted_for, HDR_TEXT_MAX + 1), false);
	}
	return hdr_end(&h, 0, out);
}
