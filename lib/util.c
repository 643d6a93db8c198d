/* lib/util.c - allocation hook, number parsing, small string helpers.
 * Owns: the test-only allocation failure counter (the one piece of global
 * state, never touched unless a test sets it).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
