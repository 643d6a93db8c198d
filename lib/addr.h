/* lib/addr.h - address matching helpers (private).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_ADDR_H
#define MXSPF_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "mxspf/mxspf.h"

/* An address prefix in the form that matches with a few word operations:
 * the address as two big-endian 64-bit words (IPv4 in the top 32 bits of
 * w[0]) and the mask of the prefix length. */
struct mxspf__prefix {
	uint64_t w[2];
	uint64_t m[2];
	uint8_t family;
};

/* mxspf__prefix_make - the prefix of the first cidr bits of a (a length
 * over the family's size means all of it) */
void mxspf__prefix_make(struct mxspf__prefix *p, const struct mxspf_addr *a,
    unsigned cidr);

/* mxspf__prefix_match - true when the address a (a prefix of any length)
 * is of p's family and inside p */
static inline bool
mxspf__prefix_match(const struct mxspf__prefix *p,
    const struct mxspf__prefix *a)
{
	return p->family == a->family && ((p->w[0] ^ a->w[0]) & p->m[0]) == 0 &&
	    ((p->w[1] ^ a->w[1]) & p->m[1]) == 0;
}

/* mxspf__addr_match - true when a and net share the first cidr bits and
 * are of the same family */
bool mxspf__addr_match(const struct mxspf_addr *a,
    const struct mxspf_addr *net, unsigned cidr);

/* mxspf__addr_parse_n - parse p[0..len) as an address of family (4 or 6,
 * 0 = either), strict: no mapping of ::ffff:a.b.c.d. @return 0 or -1 */
int mxspf__addr_parse_n(const char *p, size_t len, int family,
    struct mxspf_addr *out);

#endif
