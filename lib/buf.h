/* lib/buf.h - bounded, growable byte strings (struct mxspf_buf).
 * Owns: a heap array that is always NUL-terminated, has a hard maximum
 * length and a sticky error flag: once an append fails (out of memory or
 * over the maximum) every later append does nothing, so a caller checks
 * once, at the end.  Safe for binary data.  Must not: exceed max.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_BUF_H
#define MXSPF_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mxspf_buf {
	char *p;	/* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;	/* hard maximum of len */
	int err;	/* 0, MXSPF_ENOMEM or MXSPF_ELIMIT; sticky */
};

/* mxspf_buf_init - make an empty buffer that holds at most max bytes */
void mxspf_buf_init(struct mxspf_buf *b, size_t max);
/* mxspf__buf_append_slow - mxspf_buf_append when the buffer must grow
 * (or has failed) */
void mxspf__buf_append_slow(struct mxspf_buf *b, const void *p, size_t len);

/* mxspf_buf_append - append len bytes (inline while there is room: log
 * lines and headers are built from many short appends) */
static inline void
mxspf_buf_append(struct mxspf_buf *b, const void *p, size_t len)
{
	/* (the PTRDIFF_MAX test is always true where there is room; it
	 * tells the compiler so) */
	if (b->err == 0 && len < b->cap - b->len && len <= b->max - b->len &&
	    len <= (size_t)PTRDIFF_MAX) {
		memcpy(b->p + b->len, p, len);
		b->len += len;
		b->p[b->len] = '\0';
		return;
	}
	mxspf__buf_append_slow(b, p, len);
}

/* mxspf_buf_puts - append a C string */
static inline void
mxspf_buf_puts(struct mxspf_buf *b, const char *s)
{
	mxspf_buf_append(b, s, strlen(s));
}
/* mxspf_buf_put_uint - append a decimal number (no vsnprintf) */
void mxspf_buf_put_uint(struct mxspf_buf *b, unsigned long long v);
/* mxspf_buf_reserve - make room for n more bytes at once (a line whose
 * size is known roughly grows in one allocation, not five); 0, or -1
 * with the sticky error set */
int mxspf_buf_reserve(struct mxspf_buf *b, size_t n);
/* mxspf__buf_putc_slow - mxspf_buf_putc when the buffer must grow */
void mxspf__buf_putc_slow(struct mxspf_buf *b, int c);

/* mxspf_buf_putc - append one byte */
static inline void
mxspf_buf_putc(struct mxspf_buf *b, int c)
{
	if (b->err == 0 && b->len + 1 < b->cap && b->len < b->max) {
		b->p[b->len++] = (char)c;
		b->p[b->len] = '\0';
		return;
	}
	mxspf__buf_putc_slow(b, c);
}
/* mxspf_buf_appendf - append printf-formatted text */
void mxspf_buf_appendf(struct mxspf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* mxspf_buf_vappendf - va_list form of mxspf_buf_appendf */
void mxspf_buf_vappendf(struct mxspf_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* mxspf_buf_reset - empty the buffer and clear its error */
void mxspf_buf_reset(struct mxspf_buf *b);
/* mxspf_buf_truncate - shorten to len bytes (no-op when longer) */
void mxspf_buf_truncate(struct mxspf_buf *b, size_t len);
/* mxspf_buf_cstr - the contents; "" for an empty buffer, never NULL */
const char *mxspf_buf_cstr(const struct mxspf_buf *b);
/* mxspf_buf_steal - hand the heap string to the caller (free()); resets */
char *mxspf_buf_steal(struct mxspf_buf *b);
/* mxspf_buf_free - release the storage */
void mxspf_buf_free(struct mxspf_buf *b);
/* mxspf_buf_put_escaped - append untrusted text for a log line: bytes
 * outside printable ASCII and backslash become \xNN, cut at limit bytes
 * of input with "..." appended */
void mxspf_buf_put_escaped(struct mxspf_buf *b, const char *p, size_t len,
    size_t limit);

#endif
