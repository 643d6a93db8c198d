/* lib/buf.c - bounded, growable byte strings.
 * Owns: struct mxspf_buf storage.  Growth checks for size_t overflow
 * before it multiplies, and never lets len pass max.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "internal.h"

void
mxspf_buf_init(struct mxspf_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

/* buf_reserve - make room for n more bytes plus the NUL; 0 or -1 */
static int
buf_reserve(struct mxspf_buf *b, size_t n)
{
	size_t need, cap;
	char *np;

	if (b->err != 0)
		return -1;
	if (n > b->max - b->len || b->len + n == SIZE_MAX) {
		/* (the second test keeps len + n + 1 from wrapping when max
		 * is SIZE_MAX) */
		b->err = MXSPF_ELIMIT;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 32;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	np = mxspf__realloc(b->p, cap);
	if (np == NULL) {
		b->err = MXSPF_ENOMEM;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

void
mxspf__buf_append_slow(struct mxspf_buf *b, const void *p, size_t len)
{
	if (buf_reserve(b, len) != 0)
		return;
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
mxspf_buf_put_uint(struct mxspf_buf *b, unsigned long long v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	mxspf_buf_append(b, d + i, sizeof(d) - i);
}

int
mxspf_buf_reserve(struct mxspf_buf *b, size_t n)
{
	size_t room = b->max - b->len;

	return buf_reserve(b, n < room ? n : room);
}

void
mxspf__buf_putc_slow(struct mxspf_buf *b, int c)
{
	char ch = (char)c;

	mxspf_buf_append(b, &ch, 1);
}

void
mxspf_buf_vappendf(struct mxspf_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room;
	int n;

	if (b->err != 0)
		return;
	va_copy(ap2, ap);
	if (b->p != NULL) {
		/* Format into the room there is: one pass when it fits. */
		room = b->cap - b->len;
		n = vsnprintf(b->p + b->len, room, fmt, ap2);
		if (n >= 0 && (size_t)n < room &&
		    (size_t)n <= b->max - b->len) {
			va_end(ap2);
			b->len += (size_t)n;
			return;
		}
		b->p[b->len] = '\0';	/* drop what did not fit */
	} else {
		n = vsnprintf(NULL, 0, fmt, ap2);
	}
	va_end(ap2);
	if (n < 0) {
		b->err = MXSPF_EINVAL;
		return;
	}
	if (buf_reserve(b, (size_t)n) != 0)
		return;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
mxspf_buf_appendf(struct mxspf_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mxspf_buf_vappendf(b, fmt, ap);
	va_end(ap);
}

void
mxspf_buf_reset(struct mxspf_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
mxspf_buf_truncate(struct mxspf_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->p[len] = '\0';
	}
}

const char *
mxspf_buf_cstr(const struct mxspf_buf *b)
{
	return b->p != NULL ? b->p : "";
}

char *
mxspf_buf_steal(struct mxspf_buf *b)
{
	char *p = b->p;

	if (p == NULL)
		p = mxspf__strdup("");
	mxspf_buf_init(b, b->max);
	return p;
}

void
mxspf_buf_free(struct mxspf_buf *b)
{
	free(b->p);
	mxspf_buf_init(b, b->max);
}

/* plain_run - how many bytes from p[0..n) pass a log line as they are
 * (printable ASCII but '\\'); 8 bytes at a time, since most fields have
 * nothing to escape */
static size_t
plain_run(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y, z, bad;

		memcpy(&x, p + i, 8);
		y = x ^ (0x7f * ones);		/* 0x7f -> 0 */
		z = x ^ (0x5c * ones);		/* '\\' -> 0 */
		bad = ((x - 0x20 * ones) & ~x) |	/* < 0x20 */
		    x |					/* >= 0x80 */
		    ((y - ones) & ~y) | ((z - ones) & ~z);
		if ((bad & highs) != 0)
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			break;
	}
	return i;
}

void
mxspf_buf_put_escaped(struct mxspf_buf *b, const char *p, size_t len,
    size_t limit)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run, n = len < limit ? len : limit;
	char esc[4] = { '\\', 'x', 0, 0 };

	while (i < n) {
		/* A run of bytes that pass as they are, in one append. */
		run = i + plain_run(p + i, n - i);
		if (run > i)
			mxspf_buf_append(b, p + i, run - i);
		if (run == n)
			break;
		esc[2] = hex[(unsigned char)p[run] >> 4];
		esc[3] = hex[(unsigned char)p[run] & 15];
		mxspf_buf_append(b, esc, sizeof(esc));
		i = run + 1;
	}
	if (n < len)
		mxspf_buf_puts(b, "...");
}
