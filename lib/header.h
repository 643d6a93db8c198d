/* lib/header.h - header-syntax predicates shared with the programs
 * (private): mxspf-milter builds its own header items with the same rules
 * as lib/header.c.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_HEADER_H
#define MXSPF_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* mxspf__hdr_is_dot_atom - p[0..len) is an RFC 5322 dot-atom-text */
bool mxspf__hdr_is_dot_atom(const char *p, size_t len);

/* mxspf__hdr_is_token - p[0..len) is a non-empty RFC 2045 token */
bool mxspf__hdr_is_token(const char *p, size_t len);

#endif
