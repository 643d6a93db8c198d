/* lib/ctx.c - contexts: configuration and the parsed-record cache.
 * Owns: struct mxspf_ctx.  The cache is direct-mapped by a hash of the
 * exact record text, holds only records that parsed cleanly, and never
 * holds results (macros make results depend on the client).  Beside it,
 * hints map the address of the TXT RDATA a record was last read from to
 * its cache slot, so a driver whose answers stay put (the in-memory zone)
 * skips hashing; a hint is only a guess, confirmed against the RDATA's
 * bytes.  The freed evaluations kept for reuse are lib/eval.c's.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "internal.h"
#include "mxspf_limits.h"
#include "rdata.h"

void
mxspf_config_init(struct mxspf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_dns_terms = MXSPF_MAX_DNS_TERMS;
	cfg->max_void_lookups = MXSPF_MAX_VOID_LOOKUPS;
	cfg->max_mx_names = MXSPF_MAX_MX_NAMES;
	cfg->max_ptr_names = MXSPF_MAX_PTR_NAMES;
	cfg->speculative = true;
	cfg->record_cache_size = MXSPF_DEFAULT_CACHE;
}

int
mxspf_ctx_new(struct mxspf_ctx **out, const struct mxspf_config *cfg)
{
	struct mxspf_ctx *ctx;

	*out = NULL;
	ctx = mxspf__calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return MXSPF_ENOMEM;
	if (cfg != NULL)
		ctx->cfg = *cfg;
	else
		mxspf_config_init(&ctx->cfg);
	ctx->cfg.default_exp = NULL;
	ctx->cfg.receiver = NULL;
	if ((cfg != NULL && cfg->default_exp != NULL &&
	    (ctx->cfg.default_exp = mxspf__strdup(cfg->default_exp)) ==
	    NULL) ||
	    (cfg != NULL && cfg->receiver != NULL &&
	    (ctx->cfg.receiver = mxspf__strdup(cfg->receiver)) == NULL)) {
		mxspf_ctx_free(ctx);
		return MXSPF_ENOMEM;
	}
	if (ctx->cfg.record_cache_size > 0) {
		/* A power of two, so a slot is a mask of the hash. */
		size_t n = 1;

		while (n < ctx->cfg.record_cache_size && n < ((size_t)1 << 24))
			n <<= 1;
		/* One allocation: the records, then the hints. */
		ctx->cache = mxspf__calloc(n, sizeof(*ctx->cache) +
		    sizeof(*ctx->hints));
		if (ctx->cache == NULL) {
			mxspf_ctx_free(ctx);
			return MXSPF_ENOMEM;
		}
		ctx->hints = (struct mxspf__ctx_hint *)(void *)(ctx->cache + n);
		ctx->ncache = n;	/* only once it exists */
	}
	*out = ctx;
	return 0;
}

void
mxspf_ctx_free(struct mxspf_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	mxspf__eval_free_spares(ctx);
	for (i = 0; i < ctx->ncache; i++)
		mxspf__record_unref(ctx->cache[i]);
	free(ctx->cache);
	free((char *)ctx->cfg.default_exp);
	free((char *)ctx->cfg.receiver);
	free(ctx);
}

/* text_hash - a 64-bit multiply-xor hash of the record text, 8 bytes a
 * step (records are hashed on every lookup, so byte-at-a-time FNV showed
 * up in profiles) */
static uint64_t
text_hash(const char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	if (i < len)
		memcpy(&w, p + i, len - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/* ctx_record - mxspf__ctx_record(); *where receives the cache slot that
 * holds the record, or SIZE_MAX when it is not cached */
static int
ctx_record(struct mxspf_ctx *ctx, const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off,
    size_t *where)
{
	struct mxspf__record **slot = NULL;
	size_t i = SIZE_MAX;
	int rc;

	*where = SIZE_MAX;
	if (ctx->ncache > 0) {
		i = text_hash(text, len) & (ctx->ncache - 1);
		slot = &ctx->cache[i];
		if (*slot != NULL && (*slot)->len == len &&
		    memcmp((*slot)->text, text, len) == 0) {
			mxspf__record_ref(*slot);
			*out = *slot;
			*where = i;
			return 0;
		}
	}
	rc = mxspf__record_parse(text, len, out, why, err_off);
	if (rc != 0 || slot == NULL)
		return rc;
	mxspf__record_unref(*slot);
	*slot = *out;
	mxspf__record_ref(*out);
	*where = i;
	return 0;
}

int
mxspf__ctx_record(struct mxspf_ctx *ctx, const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off)
{
	size_t where;

	return ctx_record(ctx, text, len, out, why, err_off, &where);
}

/* hint_of - the hint slot of an RDATA pointer */
static struct mxspf__ctx_hint *
hint_of(const struct mxspf_ctx *ctx, const void *src)
{
	uint64_t h = (uint64_t)(uintptr_t)src * 0x9e3779b97f4a7c15ULL;

	return &ctx->hints[(size_t)(h >> 32) & (ctx->ncache - 1)];
}

int
mxspf__ctx_record_src(struct mxspf_ctx *ctx, const char *text, size_t len,
    const void *src, size_t srclen, struct mxspf__record **out,
    struct mxspf_buf *why, size_t *err_off)
{
	struct mxspf__ctx_hint *h;
	size_t where;
	int rc;

	rc = ctx_record(ctx, text, len, out, why, err_off, &where);
	if (rc == 0 && where != SIZE_MAX && src != NULL) {
		h = hint_of(ctx, src);
		h->src = src;
		h->srclen = srclen;
		h->slot = where;
		h->rec = *out;
	}
	return rc;
}

struct mxspf__record *
mxspf__ctx_record_hint(struct mxspf_ctx *ctx, const uint8_t *p, size_t len)
{
	const struct mxspf__ctx_hint *h;
	struct mxspf__record *r;

	if (ctx->ncache == 0)
		return NULL;
	h = hint_of(ctx, p);
	/* The record is still cached (so alive) where it was noted, and the
	 * RDATA still spells its text. */
	if (h->src != p || h->srclen != len || h->rec == NULL ||
	    ctx->cache[h->slot] != h->rec)
		return NULL;
	r = ctx->cache[h->slot];
	if (!mxspf__rdata_txt_equal(p, len, r->text, r->len))
		return NULL;
	mxspf__record_ref(r);
	return r;
}
