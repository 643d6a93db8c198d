/* lib/macro.h - SPF macro strings (RFC 7208 s7): checking and expansion.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_MACRO_H
#define MXSPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxspf/mxspf.h"
#include "buf.h"

/* Flags of a macro string's context. */
#define MXSPF_MACRO_EXP 0x1	/* explanation text: c r t allowed, and
				 * spaces are literal */
#define MXSPF_MACRO_DOMAIN 0x2	/* a domain-spec: check domain-end */

/* The values the macro letters expand to. */
struct mxspf_macro_env {
	const char *sender;	/* s: the <sender> */
	const char *local;	/* l: its local-part */
	const char *sender_domain;	/* o */
	const char *domain;	/* d: the current <domain> */
	const struct mxspf_addr *ip;	/* i, c, v */
	const char *helo;	/* h */
	const char *ptr;	/* p: validated name; NULL -> "unknown" */
	const char *receiver;	/* r; NULL -> "unknown" */
	int64_t now;		/* t */
	struct mxspf_buf *scratch;	/* NULL, or two buffers the caller
					 * keeps between calls (saves two
					 * allocations per expansion) */
};

/* mxspf__macro_check - validate p[0..len) as a macro-string of the given
 * context.  @return 0, or -1 with *bad set to the offending offset and
 * *why to a static reason */
int mxspf__macro_check(const char *p, size_t len, unsigned flags,
    size_t *bad, const char **why);

/* mxspf__macro_uses - true when p[0..len) uses macro letter c (lower
 * case) */
bool mxspf__macro_uses(const char *p, size_t len, int c);

/* mxspf__macro_expand - expand a checked macro-string into out (which is
 * reset first).  With MXSPF_MACRO_DOMAIN the result is truncated to 253
 * octets by dropping labels from the left (RFC 7208 s7.3).
 * @return 0, MXSPF_ESYNTAX (invalid string), MXSPF_ELIMIT (too long) or
 * MXSPF_ENOMEM -- out of memory is never mistaken for a bad macro */
int mxspf__macro_expand(const char *p, size_t len, unsigned flags,
    const struct mxspf_macro_env *env, struct mxspf_buf *out);

#endif
