/* lib/ctx.h - the context: configuration and parsed-record cache (private).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_CTX_H
#define MXSPF_CTX_H

#include "mxspf/mxspf.h"
#include "buf.h"
#include "record.h"

struct mxspf_ctx {
	struct mxspf_config cfg;	/* strings owned by the context */
	struct mxspf__record **cache;	/* direct-mapped, by text hash */
	size_t ncache;
	size_t evals;		/* live evaluations, for a safe free */
};

/* mxspf__ctx_record - the parsed record for text, from the cache or
 * freshly parsed (and cached).  The caller owns one reference.
 * @return 0, MXSPF_ESYNTAX (why, err_off set) or MXSPF_ENOMEM */
int mxspf__ctx_record(struct mxspf_ctx *ctx, const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off);

#endif
