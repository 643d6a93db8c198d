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

/* mxspf__hex_value - the value of hex digit c, or -1 */
static inline int
mxspf__hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* mxspf__strcaseeq_n - case-insensitive ASCII compare of a[0..alen) and
 * the C string b */
bool mxspf__strcaseeq_n(const char *a, size_t alen, const char *b);

/* mxspf__valid_name - p[0..len) is a domain that can be queried: 1..253
 * octets after dropping one trailing dot, labels of 1..63 octets;
 * multi_label also requires two labels and no domain literal (RFC 7208
 * s4.3) */
bool mxspf__valid_name(const char *p, size_t len, bool multi_label);

/* mxspf__fold8 - 8 bytes folded for hashing names: bit 0x20 set in each
 * byte, so an upper-case ASCII letter and its lower case (and a few other
 * pairs of bytes) coincide; equal folds must still be compared */
static inline uint64_t
mxspf__fold8(uint64_t w)
{
	return w | 0x2020202020202020ULL;
}

/* mxspf__name_hash - a 64-bit hash of p[0..len) folded by mxspf__fold8(),
 * 8 bytes a step: names that differ only in ASCII case hash alike */
uint64_t mxspf__name_hash(const char *p, size_t len);

/* mxspf__name_key - a cheap case-insensitive key of p[0..len) from its
 * length and its first and last 8 bytes: names with different keys
 * differ, equal keys must still be compared */
uint64_t mxspf__name_key(const char *p, size_t len);

/* mxspf__name_eq_lower - true when p[0..len) equals the lower-case lower
 * [0..len) ignoring ASCII case */
bool mxspf__name_eq_lower(const char *p, const char *lower, size_t len);

#endif
