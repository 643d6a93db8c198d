/* lib/anscache.c - the DNS answer cache (lib/anscache.h).
 *
 * A chained hash table (power-of-two buckets, grown by doubling while the
 * load passes one entry per bucket, up to what max_entries needs) and an
 * LRU list, both intrusive.  A hit moves its entry to the front only if
 * something was inserted since the entry was last moved there (an
 * insertion "epoch"): the order is least-recently-used at the grain of
 * insertions, which is what eviction (done by insertions) looks at, and
 * a warm cache's hits then write nothing to other entries (moving each
 * hit touched two neighbours' cache lines, ten times a decision).  An entry is one allocation: the header, the
 * rdata pointer and length arrays, the rdata bytes, the name.  Hashing is
 * the library's case-insensitive name hash (lib/util.c) with the type.
 * Must not: keep anything but copies; let a lookup return an entry past
 * its expiry (it is dropped then); grow without bound.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "anscache.h"
#include "internal.h"
#include "mxspf_limits.h"

#define AC_MIN_BUCKETS 64u

struct acent {
	struct acent *hnext;		/* bucket chain */
	struct acent *prev, *next;	/* LRU: head is the most recent */
	uint64_t hash;
	int64_t expire;			/* usable while now < expire */
	size_t size;			/* bytes of this block */
	uint16_t type;
	enum mxspf_dns_status status;
	size_t count;
	const uint8_t **rdata;		/* into this block */
	size_t *rdlen;
	size_t namelen;
	char *name;			/* lower case, no trailing dot */
	uint64_t epoch;			/* c->epoch when last moved to the
					 * front */
};

struct anscache {
	struct acent **buckets;
	size_t nbuckets;		/* a power of two */
	struct acent *head, *tail;	/* LRU */
	size_t entries, bytes;
	size_t max_entries, max_bytes;
	uint32_t max_ttl;
	uint64_t epoch;			/* insertions so far */
	struct mxspf__anscache_stats st;
};

static size_t ac_keylen(const char *name);
static uint64_t ac_hash(const char *name, size_t len, uint16_t type);
static bool ac_same(const struct acent *e, const char *name, size_t len,
    uint16_t type, uint64_t h);
static struct acent **ac_slot(struct anscache *c, const char *name,
    size_t len, uint16_t type, uint64_t h);
static void ac_lru_unlink(struct anscache *c, struct acent *e);
static void ac_lru_front(struct anscache *c, struct acent *e);
static void ac_drop(struct anscache *c, struct acent **slot);
static void ac_evict_one(struct anscache *c);
static void ac_grow(struct anscache *c);

struct anscache *
mxspf__anscache_new(size_t max_entries, size_t max_bytes, uint32_t max_ttl)
{
	struct anscache *c;

	if ((c = mxspf__calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->nbuckets = AC_MIN_BUCKETS;
	if ((c->buckets = mxspf__calloc(c->nbuckets,
	    sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
	c->max_ttl = max_ttl;
	return c;
}

void
mxspf__anscache_free(struct anscache *c)
{
	struct acent *e, *n;

	if (c == NULL)
		return;
	for (e = c->head; e != NULL; e = n) {
		n = e->next;
		free(e);
	}
	free(c->buckets);
	free(c);
}

/* ac_keylen - the length of name without one trailing dot */
static size_t
ac_keylen(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && name[n - 1] == '.' ? n - 1 : n;
}

/* ac_hash - the case-insensitive name hash (8 bytes a step), with the
 * type mixed in */
static uint64_t
ac_hash(const char *name, size_t len, uint16_t type)
{
	uint64_t h = mxspf__name_hash(name, len) ^ ((uint64_t)type << 48);

	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* ac_same - whether e is the entry of (name, type) */
static bool
ac_same(const struct acent *e, const char *name, size_t len, uint16_t type,
    uint64_t h)
{
	return e->hash == h && e->type == type && e->namelen == len &&
	    mxspf__name_eq_lower(name, e->name, len);
}

/* ac_slot - the link that points at (name, type)'s entry, or at the NULL
 * that ends its bucket */
static struct acent **
ac_slot(struct anscache *c, const char *name, size_t len, uint16_t type,
    uint64_t h)
{
	struct acent **p = &c->buckets[h & (c->nbuckets - 1)];

	while (*p != NULL && !ac_same(*p, name, len, type, h))
		p = &(*p)->hnext;
	return p;
}

static void
ac_lru_unlink(struct anscache *c, struct acent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
ac_lru_front(struct anscache *c, struct acent *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
}

/* ac_drop - unlink and free the entry *slot points at */
static void
ac_drop(struct anscache *c, struct acent **slot)
{
	struct acent *e = *slot;

	*slot = e->hnext;
	ac_lru_unlink(c, e);
	c->entries--;
	c->bytes -= e->size;
	free(e);
}

/* ac_evict_one - drop the least recently used entry */
static void
ac_evict_one(struct anscache *c)
{
	struct acent *e = c->tail;
	struct acent **p;

	p = &c->buckets[e->hash & (c->nbuckets - 1)];
	while (*p != e)
		p = &(*p)->hnext;
	ac_drop(c, p);
	c->st.evictions++;
}

/* ac_grow - double the buckets when the table is fuller than one entry
 * per bucket (a failed allocation keeps the old table: longer chains) */
static void
ac_grow(struct anscache *c)
{
	struct acent **nb, *e, *next;
	size_t n = c->nbuckets * 2, i;

	if (c->entries <= c->nbuckets || c->nbuckets >= c->max_entries ||
	    (nb = mxspf__calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < c->nbuckets; i++) {
		for (e = c->buckets[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = nb;
	c->nbuckets = n;
}

int
mxspf__anscache_get(struct anscache *c, const char *name, uint16_t type,
    int64_t now, struct mxspf_answer *out)
{
	struct acent **p, *e;
	size_t len;
	uint64_t h;

	if (c == NULL || name == NULL)
		return 0;
	len = ac_keylen(name);
	h = ac_hash(name, len, type);
	p = ac_slot(c, name, len, type, h);
	if ((e = *p) == NULL) {
		c->st.misses++;
		return 0;
	}
	if (now >= e->expire) {
		ac_drop(c, p);
		c->st.expired++;
		c->st.misses++;
		return 0;
	}
	if (e->epoch != c->epoch) {
		ac_lru_unlink(c, e);
		ac_lru_front(c, e);
		e->epoch = c->epoch;
	}
	memset(out, 0, sizeof(*out));
	out->status = e->status;
	out->ttl = (uint32_t)(e->expire - now);
	out->count = e->count;
	out->rdata = e->rdata;
	out->rdlen = e->rdlen;
	c->st.hits++;
	return 1;
}

void
mxspf__anscache_put(struct anscache *c, const char *name, uint16_t type,
    int64_t now, const struct mxspf_answer *ans)
{
	struct acent **p, *e;
	size_t len, size, i, data = 0, off;
	uint32_t ttl;
	uint64_t h;
	uint8_t *blk;

	if (c == NULL || name == NULL || ans == NULL || c->max_entries == 0 ||
	    ans->ttl == 0 || (ans->status != MXSPF_DNS_OK &&
	    ans->status != MXSPF_DNS_NXDOMAIN &&
	    ans->status != MXSPF_DNS_NODATA))
		return;
	len = ac_keylen(name);
	if (len > MXSPF_MAX_NAME)
		return;
	if (ans->status == MXSPF_DNS_OK) {
		if (ans->count == 0 || ans->count > MXSPF_MAX_RRS)
			return;
		for (i = 0; i < ans->count; i++) {
			if (ans->rdlen[i] > UINT16_MAX)
				return;
			data += ans->rdlen[i];
		}
	}
	/* header | rdata pointers | lengths | rdata | name NUL */
	off = sizeof(*e);
	size = off + (ans->status == MXSPF_DNS_OK ? ans->count *
	    (sizeof(uint8_t *) + sizeof(size_t)) : 0) + data + len + 1;
	if (size > c->max_bytes)
		return;
	h = ac_hash(name, len, type);
	p = ac_slot(c, name, len, type, h);
	if (*p != NULL)
		ac_drop(c, p);
	while (c->entries > 0 && (c->entries >= c->max_entries ||
	    c->bytes + size > c->max_bytes))
		ac_evict_one(c);
	if ((blk = malloc(size)) == NULL)
		return;
	e = (struct acent *)blk;
	memset(e, 0, sizeof(*e));
	e->hash = h;
	ttl = ans->ttl < c->max_ttl ? ans->ttl : c->max_ttl;
	e->expire = now + (int64_t)ttl;
	e->size = size;
	e->type = type;
	e->status = ans->status;
	if (ans->status == MXSPF_DNS_OK) {
		e->count = ans->count;
		e->rdata = (const uint8_t **)(void *)(blk + off);
		off += ans->count * sizeof(uint8_t *);
		e->rdlen = (size_t *)(void *)(blk + off);
		off += ans->count * sizeof(size_t);
		for (i = 0; i < ans->count; i++) {
			e->rdlen[i] = ans->rdlen[i];
			e->rdata[i] = blk + off;
			if (ans->rdlen[i] > 0)
				memcpy(blk + off, ans->rdata[i],
				    ans->rdlen[i]);
			off += ans->rdlen[i];
		}
	}
	e->name = (char *)blk + off;
	e->namelen = len;
	for (i = 0; i < len; i++)
		e->name[i] = (char)mxspf__ascii_lower((unsigned char)name[i]);
	e->name[len] = '\0';
	/* The bucket may have moved while evicting: look again. */
	p = &c->buckets[h & (c->nbuckets - 1)];
	e->hnext = *p;
	*p = e;
	ac_lru_front(c, e);
	e->epoch = ++c->epoch;
	c->entries++;
	c->bytes += size;
	c->st.inserts++;
	ac_grow(c);
}

void
mxspf__anscache_stats(const struct anscache *c,
    struct mxspf__anscache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	*out = c->st;
	out->entries = c->entries;
	out->bytes = c->bytes;
}
