/* lib/ctx.h - the context: configuration and parsed-record cache (private).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_CTX_H
#define MXSPF_CTX_H

#include <stdint.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "record.h"

/* Where a record's TXT RDATA was last seen (a driver's answer that stays
 * put, such as the in-memory zone's): the pointer is only compared, never
 * read, and a hit is trusted only once the RDATA is found to spell the
 * record's text, so a pointer reused for other data is merely a miss. */
struct mxspf__ctx_hint {
	const void *src;	/* the RDATA pointer */
	size_t srclen;
	size_t slot;		/* cache[slot] held rec when it was noted */
	const struct mxspf__record *rec;	/* compared, not owned */
};

struct mxspf_ctx {
	struct mxspf_config cfg;	/* strings owned by the context */
	struct mxspf__record **cache;	/* direct-mapped, by text hash */
	struct mxspf__ctx_hint *hints;	/* ncache, by RDATA pointer; in
					 * the cache's allocation */
	size_t ncache;
	size_t evals;		/* live evaluations, for a safe free */
	struct mxspf_eval *spare;	/* freed evaluations kept for reuse
					 * (lib/eval.c owns their layout) */
	size_t nspare;
};

/* mxspf__ctx_record - the parsed record for text, from the cache or
 * freshly parsed (and cached).  The caller owns one reference.
 * @return 0, MXSPF_ESYNTAX (why, err_off set) or MXSPF_ENOMEM */
int mxspf__ctx_record(struct mxspf_ctx *ctx, const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off);

/* mxspf__ctx_record_src - mxspf__ctx_record() for the text of the TXT
 * RDATA src[0..srclen), which is remembered as a hint for
 * mxspf__ctx_record_hint() (src is never dereferenced) */
int mxspf__ctx_record_src(struct mxspf_ctx *ctx, const char *text,
    size_t len, const void *src, size_t srclen, struct mxspf__record **out,
    struct mxspf_buf *why, size_t *err_off);

/* mxspf__ctx_record_hint - the cached record whose text the TXT RDATA
 * p[0..len) spells, found without hashing when this RDATA was seen before
 * at the same address; NULL otherwise.  The caller owns one reference. */
struct mxspf__record *mxspf__ctx_record_hint(struct mxspf_ctx *ctx,
    const uint8_t *p, size_t len);

/* mxspf__eval_free_spares - free the evaluations kept for reuse
 * (lib/eval.c) */
void mxspf__eval_free_spares(struct mxspf_ctx *ctx);

#endif
