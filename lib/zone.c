/* lib/zone.c - in-memory DNS zone driver: records built by calls or loaded
 * from the openspf test-suite YAML (a scenario's zonedata), and a
 * synchronous mxspf_resolve_fn that answers from them.
 *
 * Owns: struct mxspf_zone, a chained hash table of owner names (lower-case
 * ASCII, trailing dot removed) whose size is doubled when it is 3/4 full,
 * so a lookup costs O(1) whatever the zone size.  Each name holds its
 * RRsets as arrays of wire-format RDATA (the form libunbound returns, so
 * answers can be handed to the evaluator as they are), a TIMEOUT marker and
 * an optional CNAME target.  Invariant: an RRset with count 0 is treated
 * as absent (a failed add may leave one behind).
 *
 * Presentation names in YAML MX/PTR values are turned into uncompressed
 * wire names by splitting on '.', with no backslash escapes: labels are
 * bytes, so odd characters ("foo:bar/baz") are kept.  What DNS cannot carry
 * is dropped, which the suite never needs: an empty label is skipped, a
 * label is cut to 63 bytes and labels that would make the name longer than
 * 255 bytes are left out.  A CNAME chain longer than ZONE_MAX_CNAME_CHAIN
 * (a loop) answers SERVFAIL, the DNS error RFC 1034 s3.6.2 asks for.
 * One zonedata may add at most ZONE_MAX_LOAD bytes, so YAML aliases that
 * repeat a big value cannot exhaust memory.
 *
 * Must not: query real DNS, read past a YAML scalar's length (text may hold
 * NUL bytes), print, or keep global state.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "internal.h"
#include "zone.h"

#define ZONE_TTL 3600			/* TTL of every answer */
#define ZONE_MAX_CNAME_CHAIN 8		/* aliases followed per query */
#define ZONE_MIN_BUCKETS 64		/* initial hash table size */
#define ZONE_MAX_RDATA 65535		/* RDLENGTH is 16 bits */
#define ZONE_MAX_TXT_STRING 255		/* one character-string */
#define ZONE_MAX_WIRE_NAME 255		/* RFC 1035 s3.1 */
#define ZONE_MAX_LABEL 63		/* RFC 1035 s3.1 */
#define ZONE_MAX_ADDR_TEXT 64		/* longest address text we parse */
#define ZONE_ERR_ECHO 60		/* bytes of bad input quoted in err */
#define ZONE_MAX_LOAD (64u << 20)	/* bytes one zonedata may add */
#define ZONE_RR_COST 32			/* budget charged per record or name
					 * on top of its bytes */

struct zone_rrset {
	uint16_t type;
	size_t count;
	size_t cap;
	uint8_t **rdata;	/* count heap copies of wire RDATA */
	size_t *rdlen;
};

struct zone_name {
	struct zone_name *next;	/* hash chain */
	uint64_t hash;
	char *key;		/* lower-case owner, no trailing dot */
	size_t keylen;
	char *cname;		/* lower-case alias target, or NULL */
	size_t cnamelen;
	bool timeout;		/* types without records time out */
	struct zone_rrset *sets;
	size_t nsets;
	size_t capsets;
};

/* One call of the YAML loader. */
struct zone_loader {
	yaml_document_t *doc;
	char *err;		/* message buffer, may be NULL */
	size_t errlen;
	size_t budget;		/* bytes the load may still add */
};

struct mxspf_zone {
	struct zone_name **buckets;
	size_t nbuckets;	/* a power of two */
	size_t count;		/* names */
};

static size_t zone_trim(const char *p, size_t len);
static struct zone_name *zone_find(const struct mxspf_zone *z,
    const char *p, size_t len);
static void zone_grow(struct mxspf_zone *z);
static int zone_touch(struct mxspf_zone *z, const char *p, size_t len,
    struct zone_name **out, bool *created);
static void zone_unlink(struct mxspf_zone *z, struct zone_name *n);
static void zone_name_free(struct zone_name *n);
static struct zone_rrset *zone_rrset_find(const struct zone_name *n,
    uint16_t type);
static int zone_name_add_rr(struct zone_name *n, uint16_t type,
    const uint8_t *rdata, size_t rdlen);
static int zone_name_set_cname(struct zone_name *n, const char *p,
    size_t len);
static void zone_wire_name(struct mxspf_buf *b, const char *p, size_t len);
static void zone_txt_append(struct mxspf_buf *b, const char *p, size_t len);
static void zone_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int zone_fail(struct zone_loader *ld, const yaml_node_t *node,
    const char *what, const char *p, size_t len);
static int zone_nomem(char *err, size_t errlen);
static void zone_prefix_path(char *err, size_t errlen, const char *path);
static int zone_spend(struct zone_loader *ld, const yaml_node_t *node,
    size_t cost);
static int zone_add(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *node, uint16_t type, const void *rdata,
    size_t rdlen);
static bool zone_scalar(const yaml_node_t *node, const char **p,
    size_t *len);
static bool zone_is_null(const yaml_node_t *node);
static bool zone_has_txt(struct zone_loader *ld, const yaml_node_t *list);
static int zone_load_txt(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val, uint16_t type, bool also_txt);
static int zone_load_addr(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val, int family);
static int zone_load_mx(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val);
static int zone_load_ptr(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val);
static int zone_load_cname(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val);
static int zone_load_rr(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *item, bool explicit_txt);
static int zone_load_owner(struct zone_loader *ld, struct mxspf_zone *z,
    const yaml_node_t *key, const yaml_node_t *val);
static int zone_load_doc(struct mxspf_zone *z, yaml_document_t *doc,
    char *err, size_t errlen);

/* zone_trim - the length of a name without its one trailing dot */
static size_t
zone_trim(const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '.')
		len--;
	return len;
}

/* zone_find - the name p[0..len) (already trimmed), or NULL */
static struct zone_name *
zone_find(const struct mxspf_zone *z, const char *p, size_t len)
{
	struct zone_name *n;
	uint64_t h;

	/* One pass over the name (hashed 8 bytes a step, lower-cased on the
	 * fly), no copy; keys were lower-cased and hashed when added. */
	h = mxspf__name_hash(p, len);
	for (n = z->buckets[h & (z->nbuckets - 1)]; n != NULL; n = n->next) {
		if (n->hash == h && n->keylen == len &&
		    mxspf__name_eq_lower(p, n->key, len))
			return n;
	}
	return NULL;
}

/* zone_grow - double the bucket array; on allocation failure keep the old
 * one, which stays correct, only with longer chains */
static void
zone_grow(struct mxspf_zone *z)
{
	struct zone_name **nb, *n, *next;
	size_t nn, i;

	if (z->nbuckets > SIZE_MAX / 2 / sizeof(*nb))
		return;
	nn = z->nbuckets * 2;
	nb = mxspf__calloc(nn, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < z->nbuckets; i++) {
		for (n = z->buckets[i]; n != NULL; n = next) {
			next = n->next;
			n->next = nb[n->hash & (nn - 1)];
			nb[n->hash & (nn - 1)] = n;
		}
	}
	free(z->buckets);
	z->buckets = nb;
	z->nbuckets = nn;
}

/* zone_touch - find the name p[0..len) or create it without records */
static int
zone_touch(struct mxspf_zone *z, const char *p, size_t len,
    struct zone_name **out, bool *created)
{
	struct zone_name *n;
	size_t i, b;

	len = zone_trim(p, len);
	*created = false;
	n = zone_find(z, p, len);
	if (n != NULL) {
		*out = n;
		return 0;
	}
	n = mxspf__calloc(1, sizeof(*n));
	if (n == NULL)
		return MXSPF_ENOMEM;
	n->key = mxspf__memdup(p, len);
	if (n->key == NULL) {
		free(n);
		return MXSPF_ENOMEM;
	}
	for (i = 0; i < len; i++)
		n->key[i] = (char)mxspf__ascii_lower((unsigned char)p[i]);
	n->keylen = len;
	n->hash = mxspf__name_hash(p, len);
	if (z->count >= z->nbuckets / 4 * 3)
		zone_grow(z);
	b = n->hash & (z->nbuckets - 1);
	n->next = z->buckets[b];
	z->buckets[b] = n;
	z->count++;
	*out = n;
	*created = true;
	return 0;
}

/* zone_unlink - take n out of the table and free it */
static void
zone_unlink(struct mxspf_zone *z, struct zone_name *n)
{
	struct zone_name **pp;

	for (pp = &z->buckets[n->hash & (z->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			z->count--;
			zone_name_free(n);
			return;
		}
	}
}

/* zone_name_free - free a name and its records */
static void
zone_name_free(struct zone_name *n)
{
	size_t i, j;

	for (i = 0; i < n->nsets; i++) {
		for (j = 0; j < n->sets[i].count; j++)
			free(n->sets[i].rdata[j]);
		free(n->sets[i].rdata);
		free(n->sets[i].rdlen);
	}
	free(n->sets);
	free(n->cname);
	free(n->key);
	free(n);
}

/* zone_rrset_find - the RRset of type at n, or NULL */
static struct zone_rrset *
zone_rrset_find(const struct zone_name *n, uint16_t type)
{
	size_t i;

	for (i = 0; i < n->nsets; i++) {
		if (n->sets[i].type == type)
			return &n->sets[i];
	}
	return NULL;
}

/* zone_name_add_rr - append a copy of one record to n */
static int
zone_name_add_rr(struct zone_name *n, uint16_t type, const uint8_t *rdata,
    size_t rdlen)
{
	struct zone_rrset *rs, *ns;
	uint8_t **nr;
	size_t *nl, cap;
	char *copy;

	rs = zone_rrset_find(n, type);
	if (rs == NULL) {
		if (n->nsets == n->capsets) {
			cap = n->capsets ? n->capsets * 2 : 4;
			ns = mxspf__realloc(n->sets, cap * sizeof(*ns));
			if (ns == NULL)
				return MXSPF_ENOMEM;
			n->sets = ns;
			n->capsets = cap;
		}
		rs = &n->sets[n->nsets++];
		memset(rs, 0, sizeof(*rs));
		rs->type = type;
	}
	if (rs->count == rs->cap) {
		if (rs->cap > SIZE_MAX / 2 / sizeof(*nr))
			return MXSPF_ENOMEM;
		cap = rs->cap ? rs->cap * 2 : 2;
		nr = mxspf__realloc(rs->rdata, cap * sizeof(*nr));
		if (nr == NULL)
			return MXSPF_ENOMEM;
		rs->rdata = nr;
		nl = mxspf__realloc(rs->rdlen, cap * sizeof(*nl));
		if (nl == NULL)
			return MXSPF_ENOMEM;
		rs->rdlen = nl;
		rs->cap = cap;
	}
	copy = mxspf__memdup(rdata, rdlen);
	if (copy == NULL)
		return MXSPF_ENOMEM;
	rs->rdata[rs->count] = (uint8_t *)copy;
	rs->rdlen[rs->count] = rdlen;
	rs->count++;
	return 0;
}

/* zone_name_set_cname - make n an alias of p[0..len) (replacing any) */
static int
zone_name_set_cname(struct zone_name *n, const char *p, size_t len)
{
	char *t;
	size_t i;

	len = zone_trim(p, len);
	t = mxspf__memdup(p, len);
	if (t == NULL)
		return MXSPF_ENOMEM;
	for (i = 0; i < len; i++)
		t[i] = (char)mxspf__ascii_lower((unsigned char)p[i]);
	free(n->cname);
	n->cname = t;
	n->cnamelen = len;
	return 0;
}

int
mxspf_zone_new(struct mxspf_zone **out)
{
	struct mxspf_zone *z;

	if (out == NULL)
		return MXSPF_EINVAL;
	*out = NULL;
	z = mxspf__calloc(1, sizeof(*z));
	if (z == NULL)
		return MXSPF_ENOMEM;
	z->buckets = mxspf__calloc(ZONE_MIN_BUCKETS, sizeof(*z->buckets));
	if (z->buckets == NULL) {
		free(z);
		return MXSPF_ENOMEM;
	}
	z->nbuckets = ZONE_MIN_BUCKETS;
	*out = z;
	return 0;
}

void
mxspf_zone_free(struct mxspf_zone *z)
{
	struct zone_name *n, *next;
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->nbuckets; i++) {
		for (n = z->buckets[i]; n != NULL; n = next) {
			next = n->next;
			zone_name_free(n);
		}
	}
	free(z->buckets);
	free(z);
}

int
mxspf_zone_add(struct mxspf_zone *z, const char *name, uint16_t type,
    const uint8_t *rdata, size_t rdlen)
{
	struct zone_name *n;
	bool created;
	int rc;

	if (z == NULL || name == NULL || (rdata == NULL && rdlen > 0) ||
	    rdlen > ZONE_MAX_RDATA || type == MXSPF__RR_CNAME)
		return MXSPF_EINVAL;
	rc = zone_touch(z, name, strlen(name), &n, &created);
	if (rc != 0)
		return rc;
	rc = zone_name_add_rr(n, type, rdata, rdlen);
	if (rc != 0 && created)
		zone_unlink(z, n);
	return rc;
}

int
mxspf_zone_add_timeout(struct mxspf_zone *z, const char *name)
{
	struct zone_name *n;
	bool created;
	int rc;

	if (z == NULL || name == NULL)
		return MXSPF_EINVAL;
	rc = zone_touch(z, name, strlen(name), &n, &created);
	if (rc != 0)
		return rc;
	n->timeout = true;
	return 0;
}

int
mxspf_zone_add_cname(struct mxspf_zone *z, const char *name,
    const char *target)
{
	struct zone_name *n;
	bool created;
	int rc;

	if (z == NULL || name == NULL || target == NULL)
		return MXSPF_EINVAL;
	rc = zone_touch(z, name, strlen(name), &n, &created);
	if (rc != 0)
		return rc;
	rc = zone_name_set_cname(n, target, strlen(target));
	if (rc != 0 && created)
		zone_unlink(z, n);
	return rc;
}

void
mxspf_zone_lookup(const struct mxspf_zone *z, const char *name,
    uint16_t type, struct mxspf_answer *ans)
{
	const struct zone_name *n;
	const struct zone_rrset *rs;
	const char *p;
	size_t len, hops;

	memset(ans, 0, sizeof(*ans));
	ans->ttl = ZONE_TTL;
	ans->status = MXSPF_DNS_NXDOMAIN;
	if (z == NULL || name == NULL)
		return;
	p = name;
	len = zone_trim(name, strlen(name));
	for (hops = 0;; hops++) {
		n = zone_find(z, p, len);
		if (n == NULL)
			return;
		if (n->cname == NULL)
			break;
		if (hops == ZONE_MAX_CNAME_CHAIN) {
			ans->status = MXSPF_DNS_SERVFAIL;
			return;
		}
		p = n->cname;
		len = n->cnamelen;
	}
	rs = zone_rrset_find(n, type);
	if (rs != NULL && rs->count > 0) {
		ans->status = MXSPF_DNS_OK;
		ans->count = rs->count;
		ans->rdata = (const uint8_t *const *)rs->rdata;
		ans->rdlen = rs->rdlen;
	} else if (n->timeout)
		ans->status = MXSPF_DNS_TIMEOUT;
	else
		ans->status = MXSPF_DNS_NODATA;
}

void
mxspf_zone_resolve(void *zone, struct mxspf_eval *ev,
    const struct mxspf_query *q)
{
	struct mxspf_answer ans;

	mxspf_zone_lookup(zone, q->name, q->type, &ans);
	(void)mxspf_eval_answer(ev, q->id, &ans);
}

/* zone_wire_name - append the uncompressed wire form of the presentation
 * name p[0..len); see the file comment for what cannot be encoded */
static void
zone_wire_name(struct mxspf_buf *b, const char *p, size_t len)
{
	size_t start, end, lab, wire = 1;	/* 1: the root label */

	len = zone_trim(p, len);
	for (start = 0; start < len; start = end + 1) {
		end = start;
		while (end < len && p[end] != '.')
			end++;
		lab = end - start;
		if (lab == 0)
			continue;
		if (lab > ZONE_MAX_LABEL)
			lab = ZONE_MAX_LABEL;
		if (wire + 1 + lab > ZONE_MAX_WIRE_NAME)
			break;
		mxspf_buf_putc(b, (int)lab);
		mxspf_buf_append(b, p + start, lab);
		wire += 1 + lab;
	}
	mxspf_buf_putc(b, 0);
}

/* zone_txt_append - append text as character-strings of at most 255 bytes
 * each; empty text gives one empty character-string */
static void
zone_txt_append(struct mxspf_buf *b, const char *p, size_t len)
{
	size_t n;

	do {
		n = len > ZONE_MAX_TXT_STRING ? ZONE_MAX_TXT_STRING : len;
		mxspf_buf_putc(b, (int)n);
		mxspf_buf_append(b, p, n);
		p += n;
		len -= n;
	} while (len > 0);
}

/* zone_errf - format a message into err when the caller gave room */
static void
zone_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* zone_fail - report a syntax error at node, quoting the bad input (escaped,
 * it comes from a file) when p is not NULL */
static int
zone_fail(struct zone_loader *ld, const yaml_node_t *node, const char *what,
    const char *p, size_t len)
{
	struct mxspf_buf b;

	mxspf_buf_init(&b, 4 * ZONE_ERR_ECHO + 8);
	if (p != NULL) {
		mxspf_buf_puts(&b, ": \"");
		mxspf_buf_put_escaped(&b, p, len, ZONE_ERR_ECHO);
		mxspf_buf_putc(&b, '"');
	}
	zone_errf(ld->err, ld->errlen, "line %zu: %s%s", node != NULL ?
	    (size_t)node->start_mark.line + 1 : 0, what,
	    b.err == 0 ? mxspf_buf_cstr(&b) : "");
	mxspf_buf_free(&b);
	return MXSPF_ESYNTAX;
}

/* zone_nomem - report an allocation failure */
static int
zone_nomem(char *err, size_t errlen)
{
	zone_errf(err, errlen, "out of memory");
	return MXSPF_ENOMEM;
}

/* zone_prefix_path - put "path: " before the message in err */
static void
zone_prefix_path(char *err, size_t errlen, const char *path)
{
	struct mxspf_buf b;

	if (err == NULL || errlen == 0)
		return;
	mxspf_buf_init(&b, strlen(path) + errlen + 2);
	mxspf_buf_puts(&b, path);
	mxspf_buf_puts(&b, ": ");
	mxspf_buf_puts(&b, err);
	if (b.err == 0)
		zone_errf(err, errlen, "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
}

/* zone_spend - charge cost bytes to the load's budget; a file that uses
 * YAML aliases to repeat big values (a "billion laughs" attack) runs out
 * of budget instead of memory */
static int
zone_spend(struct zone_loader *ld, const yaml_node_t *node, size_t cost)
{
	if (cost > ld->budget)
		return zone_fail(ld, node, "zone data over the size limit",
		    NULL, 0);
	ld->budget -= cost;
	return 0;
}

/* zone_add - add one loaded record to n, charged to the budget */
static int
zone_add(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *node, uint16_t type, const void *rdata, size_t rdlen)
{
	int rc;

	if ((rc = zone_spend(ld, node, rdlen + ZONE_RR_COST)) != 0)
		return rc;
	if (zone_name_add_rr(n, type, rdata, rdlen) != 0)
		return zone_nomem(ld->err, ld->errlen);
	return 0;
}

/* zone_scalar - the bytes of a scalar node (not NUL-safe as a C string) */
static bool
zone_scalar(const yaml_node_t *node, const char **p, size_t *len)
{
	if (node == NULL || node->type != YAML_SCALAR_NODE)
		return false;
	*p = (const char *)node->data.scalar.value;
	*len = node->data.scalar.length;
	return true;
}

/* zone_is_null - whether node is an empty plain scalar (YAML null) */
static bool
zone_is_null(const yaml_node_t *node)
{
	return node != NULL && node->type == YAML_SCALAR_NODE &&
	    node->data.scalar.length == 0 &&
	    node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* zone_has_txt - whether a name's record list has a TXT entry */
static bool
zone_has_txt(struct zone_loader *ld, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	yaml_node_t *item, *key;
	const char *p;
	size_t len;

	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		item = yaml_document_get_node(ld->doc, *it);
		if (item == NULL || item->type != YAML_MAPPING_NODE ||
		    item->data.mapping.pairs.top -
		    item->data.mapping.pairs.start != 1)
			continue;
		key = yaml_document_get_node(ld->doc,
		    item->data.mapping.pairs.start->key);
		if (zone_scalar(key, &p, &len) &&
		    mxspf__strcaseeq_n(p, len, "TXT"))
			return true;
	}
	return false;
}

/* zone_load_txt - a TXT or SPF value: text, a list of strings, [] or NONE;
 * also_txt serves an SPF record as TXT too */
static int
zone_load_txt(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val, uint16_t type, bool also_txt)
{
	struct mxspf_buf b;
	yaml_node_item_t *it;
	const char *p;
	size_t len;
	int rc;

	mxspf_buf_init(&b, ZONE_MAX_RDATA);
	if (zone_scalar(val, &p, &len)) {
		if (len == 4 && memcmp(p, "NONE", 4) == 0)
			return 0;	/* the name exists, without records */
		zone_txt_append(&b, p, len);
	} else if (val != NULL && val->type == YAML_SEQUENCE_NODE) {
		for (it = val->data.sequence.items.start;
		    it < val->data.sequence.items.top; it++) {
			if (!zone_scalar(yaml_document_get_node(ld->doc, *it),
			    &p, &len)) {
				mxspf_buf_free(&b);
				return zone_fail(ld, val,
				    "TXT list item is not a string", NULL, 0);
			}
			zone_txt_append(&b, p, len);
		}
	} else
		return zone_fail(ld, val, "bad TXT/SPF value", NULL, 0);
	if (b.err == MXSPF_ENOMEM) {
		mxspf_buf_free(&b);
		return zone_nomem(ld->err, ld->errlen);
	}
	if (b.err != 0) {
		mxspf_buf_free(&b);
		return zone_fail(ld, val, "TXT record over 65535 bytes", NULL,
		    0);
	}
	rc = zone_add(ld, n, val, type, b.p, b.len);
	if (rc == 0 && also_txt)
		rc = zone_add(ld, n, val, MXSPF_RR_TXT, b.p, b.len);
	mxspf_buf_free(&b);
	return rc;
}

/* zone_load_addr - an A (family AF_INET) or AAAA (AF_INET6) value */
static int
zone_load_addr(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val, int family)
{
	char text[ZONE_MAX_ADDR_TEXT];
	uint8_t bin[16];
	const char *p;
	size_t len;

	if (!zone_scalar(val, &p, &len))
		return zone_fail(ld, val, "address is not a string", NULL, 0);
	if (len >= sizeof(text) || memchr(p, '\0', len) != NULL)
		return zone_fail(ld, val, "bad address", p, len);
	memcpy(text, p, len);
	text[len] = '\0';
	if (inet_pton(family, text, bin) != 1)
		return zone_fail(ld, val, "bad address", p, len);
	return zone_add(ld, n, val, family == AF_INET ? MXSPF_RR_A :
	    MXSPF_RR_AAAA, bin, family == AF_INET ? 4 : 16);
}

/* zone_load_mx - an MX value: [preference, exchange] */
static int
zone_load_mx(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val)
{
	struct mxspf_buf b;
	const char *p, *x;
	size_t len, xlen;
	uint64_t pref;
	int rc;

	if (val == NULL || val->type != YAML_SEQUENCE_NODE ||
	    val->data.sequence.items.top - val->data.sequence.items.start != 2)
		return zone_fail(ld, val,
		    "MX value is not [preference, exchange]", NULL, 0);
	if (!zone_scalar(yaml_document_get_node(ld->doc,
	    val->data.sequence.items.start[0]), &p, &len) ||
	    mxspf__parse_uint(p, len, UINT16_MAX, &pref) != 0)
		return zone_fail(ld, val, "bad MX preference", NULL, 0);
	if (!zone_scalar(yaml_document_get_node(ld->doc,
	    val->data.sequence.items.start[1]), &x, &xlen))
		return zone_fail(ld, val, "bad MX exchange", NULL, 0);
	mxspf_buf_init(&b, ZONE_MAX_RDATA);
	mxspf_buf_putc(&b, (int)(pref >> 8));
	mxspf_buf_putc(&b, (int)(pref & 0xff));
	zone_wire_name(&b, x, xlen);
	rc = b.err != 0 ? zone_nomem(ld->err, ld->errlen) :
	    zone_add(ld, n, val, MXSPF_RR_MX, b.p, b.len);
	mxspf_buf_free(&b);
	return rc;
}

/* zone_load_ptr - a PTR value: a domain name */
static int
zone_load_ptr(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val)
{
	struct mxspf_buf b;
	const char *p;
	size_t len;
	int rc;

	if (!zone_scalar(val, &p, &len))
		return zone_fail(ld, val, "PTR value is not a name", NULL, 0);
	mxspf_buf_init(&b, ZONE_MAX_RDATA);
	zone_wire_name(&b, p, len);
	rc = b.err != 0 ? zone_nomem(ld->err, ld->errlen) :
	    zone_add(ld, n, val, MXSPF_RR_PTR, b.p, b.len);
	mxspf_buf_free(&b);
	return rc;
}

/* zone_load_cname - a CNAME value: the alias target */
static int
zone_load_cname(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *val)
{
	const char *p;
	size_t len;
	int rc;

	if (!zone_scalar(val, &p, &len))
		return zone_fail(ld, val, "CNAME value is not a name", NULL,
		    0);
	if ((rc = zone_spend(ld, val, len + ZONE_RR_COST)) != 0)
		return rc;
	if (zone_name_set_cname(n, p, len) != 0)
		return zone_nomem(ld->err, ld->errlen);
	return 0;
}

/* zone_load_rr - one item of a name's list: TIMEOUT or {TYPE: value} */
static int
zone_load_rr(struct zone_loader *ld, struct zone_name *n,
    const yaml_node_t *item, bool explicit_txt)
{
	yaml_node_pair_t *pair;
	yaml_node_t *key, *val;
	const char *p;
	size_t len;

	if (zone_scalar(item, &p, &len)) {
		if (len != 7 || memcmp(p, "TIMEOUT", 7) != 0)
			return zone_fail(ld, item, "unknown record", p, len);
		n->timeout = true;
		return 0;
	}
	if (item == NULL || item->type != YAML_MAPPING_NODE ||
	    item->data.mapping.pairs.top - item->data.mapping.pairs.start != 1)
		return zone_fail(ld, item,
		    "record is not TIMEOUT or {TYPE: value}", NULL, 0);
	pair = item->data.mapping.pairs.start;
	key = yaml_document_get_node(ld->doc, pair->key);
	val = yaml_document_get_node(ld->doc, pair->value);
	if (!zone_scalar(key, &p, &len))
		return zone_fail(ld, item, "record type is not a string", NULL,
		    0);
	if (mxspf__strcaseeq_n(p, len, "TXT"))
		return zone_load_txt(ld, n, val, MXSPF_RR_TXT, false);
	if (mxspf__strcaseeq_n(p, len, "SPF"))
		return zone_load_txt(ld, n, val, MXSPF__RR_SPF,
		    !explicit_txt);
	if (mxspf__strcaseeq_n(p, len, "A"))
		return zone_load_addr(ld, n, val, AF_INET);
	if (mxspf__strcaseeq_n(p, len, "AAAA"))
		return zone_load_addr(ld, n, val, AF_INET6);
	if (mxspf__strcaseeq_n(p, len, "MX"))
		return zone_load_mx(ld, n, val);
	if (mxspf__strcaseeq_n(p, len, "PTR"))
		return zone_load_ptr(ld, n, val);
	if (mxspf__strcaseeq_n(p, len, "CNAME"))
		return zone_load_cname(ld, n, val);
	if (mxspf__strcaseeq_n(p, len, "TIMEOUT")) {
		/* The {TIMEOUT: true} spelling of derived suites. */
		n->timeout = true;
		return 0;
	}
	return zone_fail(ld, item, "unknown record type", p, len);
}

/* zone_load_owner - one zonedata entry: owner name -> list of records */
static int
zone_load_owner(struct zone_loader *ld, struct mxspf_zone *z,
    const yaml_node_t *key, const yaml_node_t *val)
{
	struct zone_name *n;
	yaml_node_item_t *it;
	const char *p;
	size_t len;
	bool created, explicit_txt;
	int rc;

	if (!zone_scalar(key, &p, &len))
		return zone_fail(ld, key, "owner name is not a string", NULL,
		    0);
	if (!zone_is_null(val) &&
	    (val == NULL || val->type != YAML_SEQUENCE_NODE))
		return zone_fail(ld, key, "records of a name are not a list", p,
		    len);
	if ((rc = zone_spend(ld, key, len + ZONE_RR_COST)) != 0)
		return rc;
	if (zone_touch(z, p, len, &n, &created) != 0)
		return zone_nomem(ld->err, ld->errlen);
	if (val->type != YAML_SEQUENCE_NODE)
		return 0;
	explicit_txt = zone_has_txt(ld, val);
	for (it = val->data.sequence.items.start;
	    it < val->data.sequence.items.top; it++) {
		rc = zone_load_rr(ld, n, yaml_document_get_node(ld->doc, *it),
		    explicit_txt);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
mxspf__zone_load_node(struct mxspf_zone *z, yaml_document_t *doc,
    yaml_node_t *zonedata, char *err, size_t errlen)
{
	struct zone_loader ld;
	yaml_node_pair_t *pair;
	int rc;

	if (z == NULL || doc == NULL)
		return MXSPF_EINVAL;
	ld.doc = doc;
	ld.err = err;
	ld.errlen = errlen;
	ld.budget = ZONE_MAX_LOAD;
	if (zonedata == NULL || zone_is_null(zonedata))
		return 0;
	if (zonedata->type != YAML_MAPPING_NODE)
		return zone_fail(&ld, zonedata, "zonedata is not a mapping",
		    NULL, 0);
	for (pair = zonedata->data.mapping.pairs.start;
	    pair < zonedata->data.mapping.pairs.top; pair++) {
		rc = zone_load_owner(&ld, z,
		    yaml_document_get_node(doc, pair->key),
		    yaml_document_get_node(doc, pair->value));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* zone_load_doc - load the zonedata of a scenario document, if it has one */
static int
zone_load_doc(struct mxspf_zone *z, yaml_document_t *doc, char *err,
    size_t errlen)
{
	yaml_node_t *root, *key;
	yaml_node_pair_t *pair;
	const char *p;
	size_t len;

	root = yaml_document_get_root_node(doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		zone_errf(err, errlen, "line %zu: document is not a mapping",
		    root != NULL ? (size_t)root->start_mark.line + 1 : 0);
		return MXSPF_ESYNTAX;
	}
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		key = yaml_document_get_node(doc, pair->key);
		if (zone_scalar(key, &p, &len) &&
		    len == strlen("zonedata") &&
		    memcmp(p, "zonedata", len) == 0)
			return mxspf__zone_load_node(z, doc,
			    yaml_document_get_node(doc, pair->value), err,
			    errlen);
	}
	return 0;
}

int
mxspf_zone_load_file(struct mxspf_zone *z, const char *path,
    size_t doc_index, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *fp;
	size_t i;
	int rc;

	zone_errf(err, errlen, "%s", "");
	if (z == NULL || path == NULL)
		return MXSPF_EINVAL;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		rc = errno == ENOENT ? MXSPF_ENOENT : MXSPF_EIO;
		zone_errf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		return zone_nomem(err, errlen);
	}
	yaml_parser_set_input_file(&parser, fp);
	for (i = 0;; i++) {
		if (!yaml_parser_load(&parser, &doc)) {
			if (parser.error == YAML_MEMORY_ERROR)
				rc = zone_nomem(err, errlen);
			else {
				zone_errf(err, errlen,
				    "%s: line %zu column %zu: %s%s%s", path,
				    (size_t)parser.problem_mark.line + 1,
				    (size_t)parser.problem_mark.column + 1,
				    parser.problem != NULL ? parser.problem :
				    "syntax error",
				    parser.context != NULL ? " " : "",
				    parser.context != NULL ? parser.context :
				    "");
				rc = MXSPF_ESYNTAX;
			}
			break;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			zone_errf(err, errlen, "%s: no document %zu (%zu in "
			    "the file)", path, doc_index, i);
			rc = MXSPF_ENOENT;
			break;
		}
		if (i == doc_index) {
			rc = zone_load_doc(z, &doc, err, errlen);
			if (rc == MXSPF_ESYNTAX)
				zone_prefix_path(err, errlen, path);
			yaml_document_delete(&doc);
			break;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}
