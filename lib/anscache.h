/* lib/anscache.h - a bounded, TTL-respecting cache of DNS answers, in
 * front of a resolver whose own cache is on the other side of a thread
 * (libunbound's async worker): a hit costs a hash lookup in the caller's
 * thread instead of a round trip through a pipe and a context switch.
 *
 * Owns: struct anscache (a hash table of entries, each one block holding
 * its name, its rdata and the arrays an answer points to; an LRU list).
 * Keys are (name, type), names compared ASCII-case-insensitively and
 * without a trailing dot.  Only OK, NXDOMAIN and NODATA answers with a TTL
 * above zero are kept, for at most min(TTL, max_ttl) seconds; SERVFAIL
 * and timeouts never are.  At most max_entries entries and max_bytes of
 * entry blocks: the least recently used go first.
 * Time is passed in by the caller (seconds on a monotonic clock), so the
 * module reads no clock and is deterministic in tests.
 * Threads: none of its own; one thread at a time per cache.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_ANSCACHE_H
#define MXSPF_ANSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mxspf/mxspf.h"

struct anscache;

/* anscache_new - an empty cache; NULL when out of memory */
struct anscache *mxspf__anscache_new(size_t max_entries, size_t max_bytes,
    uint32_t max_ttl);

/* anscache_free - free the cache (NULL is fine) */
void mxspf__anscache_free(struct anscache *c);

/* anscache_get - the answer for (name, type) at time now into *out, whose
 * pointers stay valid until the next call on c that inserts or frees;
 * out->ttl is the time left.  @return 1 (hit) or 0 */
int mxspf__anscache_get(struct anscache *c, const char *name, uint16_t type,
    int64_t now, struct mxspf_answer *out);

/* anscache_put - keep a copy of ans for (name, type) from time now, when
 * it is cacheable (see above); replaces an older entry.  Out of memory or
 * an answer bigger than max_bytes just keeps nothing. */
void mxspf__anscache_put(struct anscache *c, const char *name, uint16_t type,
    int64_t now, const struct mxspf_answer *ans);

/* Counters, for tests and statistics. */
struct mxspf__anscache_stats {
	uint64_t hits, misses, inserts, evictions, expired;
	size_t entries, bytes;
};

void mxspf__anscache_stats(const struct anscache *c,
    struct mxspf__anscache_stats *out);

#endif
