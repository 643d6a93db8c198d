/* lib/internal.h - helpers shared by the library's modules.
 * Owns: the allocation hook (tests fail the Nth allocation through it),
 * number parsing with full checks, and name validation.  Must not: hold
 * mutable state other than the test-only allocation hook.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_INTERNAL_H
#define MXSPF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* mxspf__alloc - malloc through the hook */
void *mxspf__alloc(size_t n);
/* mxspf__calloc - zeroed allocation of n * size, overflow-checked */
void *mxspf__calloc(size_t n, size_t size);
/* mxspf__realloc - realloc through the hook */
void *mxspf__realloc(void *p, size_t n);
/* mxspf__strdup - strdup through the hook; NULL stays NULL */
char *mxspf__strdup(const char *s);
/* mxspf__memdup - copy len bytes and add a NUL */
char *mxspf__memdup(const void *p, size_t len);
/* mxspf__alloc_fail_after - tests: make allocation n+1 and later fail;
 * (size_t)-1 turns failure injection off */
void mxspf__alloc_fail_after(size_t n);

/* mxspf__parse_uint - decimal p[0..len) into *out; rejects empty input,
 * junk, overflow and values above max. @return 0 or -1 */
int mxspf__parse_uint(const char *p, size_t len, uint64_t max,
    uint64_t *out);

/* mxspf__ascii_lower - ASCII lower-case of c */
static inline int
mxspf__ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* mxspf__strcaseeq_n - case-insensitive ASCII compare of a[0..alen) and
 * the C string b */
bool mxspf__strcaseeq_n(const char *a, size_t alen, const char *b);

#endif
