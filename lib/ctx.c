/* lib/ctx.c - contexts: configuration and the parsed-record cache.
 * Owns: struct mxspf_ctx.  The cache is direct-mapped by a hash of the
 * exact record text, holds only records that parsed cleanly, and never
 * holds results (macros make results depend on the client).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "internal.h"
#include "mxspf_limits.h"

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
		ctx->cache = mxspf__calloc(n, sizeof(*ctx->cache));
		if (ctx->cache != NULL)
			ctx->ncache = n;	/* only once it exists */
		if (ctx->cache == NULL) {
			mxspf_ctx_free(ctx);
			return MXSPF_ENOMEM;
		}
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

int
mxspf__ctx_record(struct mxspf_ctx *ctx, const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off)
{
	struct mxspf__record **slot = NULL;
	int rc;

	if (ctx->ncache > 0) {
		slot = &ctx->cache[text_hash(text, len) & (ctx->ncache - 1)];
		if (*slot != NULL && (*slot)->len == len &&
		    memcmp((*slot)->text, text, len) == 0) {
			mxspf__record_ref(*slot);
			*out = *slot;
			return 0;
		}
	}
	rc = mxspf__record_parse(text, len, out, why, err_off);
	if (rc != 0 || slot == NULL)
		return rc;
	mxspf__record_unref(*slot);
	*slot = *out;
	mxspf__record_ref(*out);
	return 0;
}
