/* lib/addr.h - address matching helpers (private).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_ADDR_H
#define MXSPF_ADDR_H

#include <stdbool.h>
#include "mxspf/mxspf.h"

/* mxspf__addr_match - true when a and net share the first cidr bits and
 * are of the same family */
bool mxspf__addr_match(const struct mxspf_addr *a,
    const struct mxspf_addr *net, unsigned cidr);

/* mxspf__addr_parse_n - parse p[0..len) as an address of family (4 or 6,
 * 0 = either), strict: no mapping of ::ffff:a.b.c.d. @return 0 or -1 */
int mxspf__addr_parse_n(const char *p, size_t len, int family,
    struct mxspf_addr *out);

#endif
