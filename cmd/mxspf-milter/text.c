/* cmd/mxspf-milter/text.c - small text helpers (text.h): authserv-ids,
 * envelope addresses, SMTP reply text, folded header items.
 *
 * Owns: nothing beyond each call.  Defences against hostile input (header
 * values and envelope arguments from the MTA, values derived from
 * Received headers): lengths are explicit and never read past; comment
 * nesting is bounded; every byte that goes into a header or a reply is
 * printable ASCII (anything else becomes '?'), so no header or reply can
 * be injected; values are cut at TEXT_VALUE_MAX bytes.
 * Must not: do I/O, keep state, or call libmilter.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxspf/received.h"
#include "text.h"
#include "header.h"
#include "internal.h"

#define TEXT_AUTHSERV_MAX 255	/* lib/received.c's limit of an id */
#define TEXT_MAX_ADDR 1024	/* an envelope address we look at */
#define TEXT_CUT "..."

static void clean(struct mxspf_buf *out, const char *v);
static int next_char(const char **p);
static size_t last_line(const struct mxspf_buf *b);

bool
text_ar_is_ours(const char *value, size_t len, const char *authserv_id)
{
	char id[TEXT_AUTHSERV_MAX + 1];

	/* lib/received.c reads the authserv-id (RFC 8601 s2.2: CFWS, token
	 * or quoted-string); an A-R without one (Microsoft's form) or junk
	 * is not ours. */
	if (mxspf_auth_results_authserv_id(value, len, id, sizeof(id)) != 0)
		return false;
	return strcasecmp(id, authserv_id) == 0;
}

char *
text_envelope_addr(const char *arg)
{
	size_t len = strnlen(arg, TEXT_MAX_ADDR + 1);

	if (len > TEXT_MAX_ADDR)
		return NULL;
	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>') {
		arg++;
		len -= 2;
	}
	return mxspf__memdup(arg, len);
}

char *
text_reply(const char *text)
{
	struct mxspf_buf b;
	size_t i;
	char *s;

	mxspf_buf_init(&b, 2 * TEXT_REPLY_MAX + sizeof(TEXT_CUT));
	for (i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		if (i >= TEXT_REPLY_MAX) {
			mxspf_buf_puts(&b, TEXT_CUT);
			break;
		}
		if (c == '%')
			mxspf_buf_puts(&b, "%%");
		else
			mxspf_buf_putc(&b, c >= ' ' && c < 0x7f ? c : '?');
	}
	if (b.err != 0) {
		mxspf_buf_free(&b);
		return NULL;
	}
	s = mxspf_buf_steal(&b);	/* "" when text is empty */
	mxspf_buf_free(&b);
	return s;
}

/* next_char - the next character of an unfolded reading of *p: a run of
 * blanks and control bytes reads as one ' ', the end as '\0' (a run at
 * the end reads as the end) */
static int
next_char(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	int c;

	if (*s == '\0')
		return '\0';
	if (*s <= ' ') {
		while (*s != '\0' && *s <= ' ')
			s++;
		*p = (const char *)s;
		return *s == '\0' ? '\0' : ' ';
	}
	c = *s++;
	*p = (const char *)s;
	return c;
}

bool
text_same_unfolded(const char *a, const char *b)
{
	int ca, cb;

	while (*a != '\0' && (unsigned char)*a <= ' ')
		a++;
	while (*b != '\0' && (unsigned char)*b <= ' ')
		b++;
	do {
		ca = next_char(&a);
		cb = next_char(&b);
		if (ca != cb)
			return false;
	} while (ca != '\0');
	return true;
}

int
text_header_split(const char *h, char **name, const char **value)
{
	const char *colon = strchr(h, ':');

	*name = NULL;
	if (colon == NULL || colon == h)
		return -1;
	if ((*name = mxspf__memdup(h, (size_t)(colon - h))) == NULL)
		return -1;
	colon++;
	while (*colon == ' ')
		colon++;
	*value = colon;
	return 0;
}

/* last_line - bytes on the last line of b */
static size_t
last_line(const struct mxspf_buf *b)
{
	const char *s = mxspf_buf_cstr(b), *nl = strrchr(s, '\n');

	return nl != NULL ? b->len - (size_t)(nl + 1 - s) : b->len;
}

void
text_fold_item(struct mxspf_buf *b, const char *sep, const char *item)
{
	size_t i = 0, n;
	bool quoted;

	mxspf_buf_puts(b, sep);
	while (item[i] != '\0') {
		/* One word: up to a space outside a quoted-string (a fold
		 * inside one would change its content). */
		quoted = false;
		for (n = i; item[n] != '\0'; n++) {
			if (item[n] == '\\' && item[n + 1] != '\0')
				n++;
			else if (item[n] == '"')
				quoted = !quoted;
			else if (item[n] == ' ' && !quoted)
				break;
		}
		if (last_line(b) + 1 + (n - i) > TEXT_FOLD_COL)
			mxspf_buf_puts(b, "\n\t");
		else
			mxspf_buf_putc(b, ' ');
		mxspf_buf_append(b, item + i, n - i);
		for (i = n; item[i] == ' '; i++)
			;
	}
}

/* clean - v into out: printable ASCII ('?' for the rest), cut */
static void
clean(struct mxspf_buf *out, const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		unsigned char c = (unsigned char)v[i];

		if (i >= TEXT_VALUE_MAX) {
			mxspf_buf_puts(out, TEXT_CUT);
			return;
		}
		mxspf_buf_putc(out, c >= ' ' && c < 0x7f ? c : '?');
	}
}

void
text_put_value(struct mxspf_buf *b, const char *v, bool token)
{
	struct mxspf_buf t;
	const char *s;
	size_t i;

	mxspf_buf_init(&t, TEXT_VALUE_MAX + sizeof(TEXT_CUT));
	clean(&t, v);
	s = mxspf_buf_cstr(&t);
	if (t.err == 0 && (token ? mxspf__hdr_is_token(s, t.len) :
	    mxspf__hdr_is_dot_atom(s, t.len))) {
		mxspf_buf_append(b, s, t.len);
	} else {
		mxspf_buf_putc(b, '"');
		for (i = 0; i < t.len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				mxspf_buf_putc(b, '\\');
			mxspf_buf_putc(b, s[i]);
		}
		mxspf_buf_putc(b, '"');
	}
	if (t.err != 0 && b->err == 0)
		b->err = t.err;
	mxspf_buf_free(&t);
}

void
text_put_comment(struct mxspf_buf *b, const char *text)
{
	struct mxspf_buf t;
	const char *s;
	size_t i;

	mxspf_buf_init(&t, TEXT_VALUE_MAX + sizeof(TEXT_CUT));
	clean(&t, text);
	s = mxspf_buf_cstr(&t);
	mxspf_buf_putc(b, '(');
	for (i = 0; i < t.len; i++) {
		if (s[i] == '(' || s[i] == ')' || s[i] == '\\')
			mxspf_buf_putc(b, '\\');
		mxspf_buf_putc(b, s[i]);
	}
	mxspf_buf_putc(b, ')');
	if (t.err != 0 && b->err == 0)
		b->err = t.err;
	mxspf_buf_free(&t);
}
