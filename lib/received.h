/* lib/received.h - what lib/walk.c needs of lib/received.c (private).
 * Owns: the detailed form of a recorded SPF result (which identity it
 * concerns), so the walk can prefer a MAIL FROM result over a HELO one.
 * Must not: be installed; the public API is include/mxspf/received.h.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_LIB_RECEIVED_H
#define MXSPF_LIB_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>

#include "mxspf/received.h"

#define MXSPF_RX_MAX_HEADER 8192	/* bytes of one header value */

/* A recorded SPF result with the identity it concerns. */
struct mxspf__recorded {
	enum mxspf_result result;
	bool helo_only;		/* it says it checked the HELO identity
				 * only (identity=helo, smtp.helo) */
};

/* mxspf__recorded_spf_parse - mxspf_recorded_spf_parse() with details */
int mxspf__recorded_spf_parse(const char *name, const char *value,
    size_t len, const struct mxspf_addr *client, const char *authserv_id,
    struct mxspf__recorded *out);

#endif
