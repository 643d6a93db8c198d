/* lib/util.c - allocation hook, number parsing, small string helpers.
 * Owns: the test-only allocation failure counter (the one piece of global
 * state, never touched unless a test sets it).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mxspf_limits.h"

static size_t alloc_budget = (size_t)-1;

/* alloc_allowed - consume one unit of the test allocation budget */
static bool
alloc_allowed(void)
{
	if (alloc_budget == (size_t)-1)
		return true;
	if (alloc_budget == 0)
		return false;
	alloc_budget--;
	return true;
}

void
mxspf__alloc_fail_after(size_t n)
{
	alloc_budget = n;
}

void *
mxspf__alloc(size_t n)
{
	return alloc_allowed() ? malloc(n ? n : 1) : NULL;
}

void *
mxspf__calloc(size_t n, size_t size)
{
	if (!alloc_allowed())
		return NULL;
	if (n == 0 || size == 0)
		return calloc(1, 1);
	if (n > SIZE_MAX / size)
		return NULL;	/* n * size would wrap */
	return calloc(n, size);
}

void *
mxspf__realloc(void *p, size_t n)
{
	return alloc_allowed() ? realloc(p, n ? n : 1) : NULL;
}

char *
mxspf__memdup(const void *p, size_t len)
{
	char *s;

	if (len == SIZE_MAX)
		return NULL;
	s = mxspf__alloc(len + 1);
	if (s == NULL)
		return NULL;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

char *
mxspf__strdup(const char *s)
{
	return s == NULL ? NULL : mxspf__memdup(s, strlen(s));
}

int
mxspf__parse_uint(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

bool
mxspf__strcaseeq_n(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		if (b[i] == '\0' ||
		    mxspf__ascii_lower((unsigned char)a[i]) !=
		    mxspf__ascii_lower((unsigned char)b[i]))
			return false;
	}
	return b[alen] == '\0';
}

/* label_ok - a label [start, end) of 1..63 octets */
static bool
label_ok(size_t start, size_t end)
{
	return end > start && end - start <= MXSPF_MAX_LABEL;
}

bool
mxspf__valid_name(const char *p, size_t len, bool multi_label)
{
	size_t i = 0, start = 0, labels = 1;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > MXSPF_MAX_NAME)
		return false;
	if (multi_label && p[0] == '[')
		return false;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* 8 bytes a step: a mask with the top bit of each byte that is a
	 * dot (exact: no carry crosses a byte), then one step per dot. */
	for (; i + 8 <= len; i += 8) {
		const uint64_t high = 0x8080808080808080ULL;
		uint64_t w, x, m;

		memcpy(&w, p + i, 8);
		x = w ^ 0x2e2e2e2e2e2e2e2eULL;
		m = ~(((x & ~high) + ~high) | x) & high;
		for (; m != 0; m &= m - 1) {
			size_t dot = i + ((size_t)__builtin_ctzll(m) >> 3);

			if (!label_ok(start, dot))
				return false;
			start = dot + 1;
			labels++;
		}
	}
#endif
	for (; i < len; i++) {
		if (p[i] != '.')
			continue;
		if (!label_ok(start, i))
			return false;
		start = i + 1;
		labels++;
	}
	return label_ok(start, len) && (!multi_label || labels >= 2);
}

uint64_t
mxspf__name_hash(const char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ mxspf__fold8(w)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < len) {
		if (len >= 8) {
			/* The tail is the end of the last 8 bytes: one load,
			 * and a shift drops the bytes already hashed. */
			memcpy(&w, p + len - 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			w >>= 8 * (8 - (len - i));
#else
			w <<= 8 * (8 - (len - i));
#endif
		} else {
			for (w = 0; i < len; i++)
				w = (w << 8) | (unsigned char)p[i];
		}
		h = (h ^ mxspf__fold8(w)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

uint64_t
mxspf__name_key(const char *p, size_t len)
{
	uint64_t a = 0, b;
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			a = (a << 8) | (unsigned char)p[i];
		return mxspf__fold8(a) ^ len;
	}
	memcpy(&a, p, 8);
	memcpy(&b, p + len - 8, 8);
	return (mxspf__fold8(a) ^ (mxspf__fold8(b) << 1 | mxspf__fold8(b) >>
	    63)) + len;
}

bool
mxspf__name_eq_lower(const char *p, const char *lower, size_t len)
{
	size_t i;

	if (memcmp(p, lower, len) == 0)
		return true;	/* already lower case: the usual spelling */
	for (i = 0; i < len; i++)
		if (mxspf__ascii_lower((unsigned char)p[i]) !=
		    (unsigned char)lower[i])
			return false;
	return true;
}
