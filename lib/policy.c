/* lib/policy.c - the backup-MX policy engine: MX trust and the decision.
 *
 * Owns: struct mxspf_trust, a sans-I/O lookup of the recipient domain's MX
 * hosts (MX of D, then A and AAAA of at most max_hosts hosts, all asked at
 * once) that finds whether the client is one of them and where this
 * server's own entry is; and mxspf_policy_decide(), a pure function from
 * (SPF verdict, relay reason, trust) to an action.
 *
 * Rules (issue 3, RFC 5321 s5.1, RFC 7505): no MX -> D itself is the
 * implicit MX; a null MX accepts no mail, so it trusts nobody.  Trust in
 * "preference" mode needs the client's MX entry to be not more preferred
 * (a preference value >= ) than this server's most preferred own entry;
 * when this server is not an MX of D at all, any MX of D is trusted.  A
 * DNS failure that could change the answer gives MXSPF_TRUST_DNSERR, never
 * a plain "no".
 *
 * Must not: do I/O, read the clock, or let a DNS failure become a reject.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/policy.h"
#include "addr.h"
#include "buf.h"
#include "internal.h"
#include "mxspf_limits.h"
#include "rdata.h"

#define TRUST_MAX_HOSTS 10	/* issue 3: at most 10 MX hosts */
#define MALFORMED 1		/* bad RDATA: not any MXSPF_E* code */
#define TRUST_WHY_MAX 1024

enum tq_state { TQ_NEW, TQ_SENT, TQ_DONE };

/* One query of a trust lookup. */
struct tquery {
	struct mxspf_query q;
	enum tq_state state;
	enum mxspf_dns_status status;
	size_t host;		/* index into hosts; MX query: unused */
};

/* A host being resolved, and its public view. */
struct thost {
	char *name;
	struct mxspf_addr *addrs;
	size_t naddrs, cap;
};

struct mxspf_trust {
	enum mxspf_trust_mode mode;
	struct mxspf_addr *own_addrs;
	size_t n_own_addrs;
	char **own_names;
	size_t n_own_names;
	size_t max_hosts;
	char *domain;
	struct mxspf_addr client;
	bool have_server;
	struct mxspf_addr server;

	struct tquery *qs;	/* 1 + 2 * max_hosts at most */
	size_t nq, handout;
	bool hosts_asked;
	bool truncated;		/* D has more MX hosts than max_hosts */
	struct thost *th;
	struct mxspf_trust_host *hosts;
	size_t nhosts;
	bool done;
	struct mxspf_trust_verdict v;
	char *why;
	int err;

	/* The MX-set cache (mxspf_trust_cache_new) */
	struct mxspf_trust_cache *cache;
	int64_t now;
	uint32_t min_ttl;	/* of the answers so far */
	bool no_cache;		/* an answer failed: keep nothing */
	struct mxset *set;	/* th is the set's (shared, read-only) */
};

/* A resolved MX set in the cache: what a lookup of D found before it
 * judged a client.  Read-only once made; freed with its last user. */
struct mxset {
	unsigned refs;		/* the cache's slot, and each lookup */
	char *domain;		/* lower case */
	size_t len;
	size_t max_hosts;
	int64_t expires;
	size_t nhosts;
	bool truncated, implicit_mx;
	struct thost *th;	/* names and addresses */
	struct mxspf_trust_host *hosts;	/* names, preferences, statuses */
};

struct mxspf_trust_cache {
	struct mxset **slot;	/* direct-mapped by the domain's hash */
	size_t mask;
};

const char *
mxspf_trust_mode_name(enum mxspf_trust_mode m)
{
	switch (m) {
	case MXSPF_TRUST_PREFERENCE:	return "preference";
	case MXSPF_TRUST_ANY:		return "any";
	case MXSPF_TRUST_OFF:		return "off";
	}
	return "unknown";
}

int
mxspf_trust_mode_parse(const char *name, enum mxspf_trust_mode *out)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (name == NULL)
		return MXSPF_EINVAL;
	if (mxspf__strcaseeq_n(name, n, "preference"))
		*out = MXSPF_TRUST_PREFERENCE;
	else if (mxspf__strcaseeq_n(name, n, "any"))
		*out = MXSPF_TRUST_ANY;
	else if (mxspf__strcaseeq_n(name, n, "off"))
		*out = MXSPF_TRUST_OFF;
	else
		return MXSPF_EINVAL;
	return 0;
}

static void trust_finish_buf(struct mxspf_trust *t,
    enum mxspf_trust_outcome o, struct mxspf_buf *b);

/* trust_finish - end the lookup with an outcome and a reason */
static void __attribute__((format(printf, 3, 4)))
trust_finish(struct mxspf_trust *t, enum mxspf_trust_outcome o,
    const char *fmt, ...)
{
	struct mxspf_buf b;
	va_list ap;

	mxspf_buf_init(&b, TRUST_WHY_MAX);
	va_start(ap, fmt);
	mxspf_buf_vappendf(&b, fmt, ap);
	va_end(ap);
	trust_finish_buf(t, o, &b);
}

/* trust_finish_buf - trust_finish with a reason built in b (which is
 * taken over): the outcomes every recipient meets are built by appends,
 * vsnprintf costs more than the rest of a cached lookup */
static void
trust_finish_buf(struct mxspf_trust *t, enum mxspf_trust_outcome o,
    struct mxspf_buf *b)
{
	free(t->why);
	t->why = b->err == MXSPF_ENOMEM ? NULL : mxspf_buf_steal(b);
	mxspf_buf_free(b);
	if (t->why == NULL)
		t->err = MXSPF_ENOMEM;
	t->v.outcome = o;
	t->done = true;
}

/* why_name - append a name, cut at MXSPF_MAX_NAME bytes (as "%.253s") */
static void
why_name(struct mxspf_buf *b, const char *name)
{
	size_t n = strlen(name);

	mxspf_buf_append(b, name, n < MXSPF_MAX_NAME ? n : MXSPF_MAX_NAME);
}

/* why_start - a reason buffer with room for the usual reason */
static void
why_start(struct mxspf_buf *b)
{
	mxspf_buf_init(b, TRUST_WHY_MAX);
	(void)mxspf_buf_reserve(b, 160);
}

/* why_host - "client is MX host H (preference P) of D" */
static void
why_host(struct mxspf_buf *b, const struct mxspf_trust *t,
    const struct mxspf_trust_host *c)
{
	mxspf_buf_puts(b, "client is MX host ");
	why_name(b, c->name);
	mxspf_buf_puts(b, " (preference ");
	mxspf_buf_put_uint(b, c->pref);
	mxspf_buf_puts(b, ") of ");
	why_name(b, t->domain);
}

/* why_self - ", ... than this server (S, preference P)" after why_host */
static void
why_self(struct mxspf_buf *b, const char *how,
    const struct mxspf_trust_host *s)
{
	mxspf_buf_puts(b, how);
	mxspf_buf_puts(b, " preferred than this server (");
	why_name(b, s->name);
	mxspf_buf_puts(b, ", preference ");
	mxspf_buf_put_uint(b, s->pref);
	mxspf_buf_putc(b, ')');
}

/* add_query - queue a query; NULL and t->err set on failure */
static struct tquery *
add_query(struct mxspf_trust *t, const char *name, uint16_t type, size_t host)
{
	struct tquery *q = &t->qs[t->nq];

	q->q.id = (uint32_t)t->nq + 1;
	q->q.type = type;
	q->q.name = name;
	q->state = TQ_NEW;
	q->host = host;
	t->nq++;
	t->v.queries++;
	return q;
}

/* valid_domain - a queryable name: 1..253 octets, labels 1..63 */
static bool
valid_domain(const char *p)
{
	size_t i, lab = 0, len = strlen(p);

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > MXSPF_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if (++lab > MXSPF_MAX_LABEL) {
			return false;
		}
	}
	return lab > 0;
}

/* ---- the MX-set cache ------------------------------------------------ */

#define TRUST_CACHE_MAX 65536

int
mxspf_trust_cache_new(struct mxspf_trust_cache **out, size_t slots)
{
	struct mxspf_trust_cache *c;
	size_t n = 1;

	*out = NULL;
	if (slots == 0)
		return MXSPF_EINVAL;
	while (n < slots && n < TRUST_CACHE_MAX)
		n *= 2;
	if ((c = mxspf__calloc(1, sizeof(*c))) == NULL ||
	    (c->slot = mxspf__calloc(n, sizeof(*c->slot))) == NULL) {
		free(c);
		return MXSPF_ENOMEM;
	}
	c->mask = n - 1;
	*out = c;
	return 0;
}

/* thosts_free - the names and addresses of n hosts, and the array */
static void
thosts_free(struct thost *th, size_t n)
{
	size_t i;

	if (th == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(th[i].name);
		free(th[i].addrs);
	}
	free(th);
}

/* mxset_unref - drop one reference; the last frees the set */
static void
mxset_unref(struct mxset *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	thosts_free(m->th, m->nhosts);
	free(m->hosts);
	free(m->domain);
	free(m);
}

void
mxspf_trust_cache_free(struct mxspf_trust_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i <= c->mask; i++)
		mxset_unref(c->slot[i]);
	free(c->slot);
	free(c);
}

/* cache_slot - where D's set goes (domain is lower case, no final dot) */
static struct mxset **
cache_slot(struct mxspf_trust_cache *c, const char *domain, size_t len)
{
	return &c->slot[mxspf__name_hash(domain, len) & c->mask];
}

/* cache_take - start t from a fresh cached set of its domain; true when
 * found (then t asks no query: mxspf_trust_step judges at once) */
static bool
cache_take(struct mxspf_trust *t)
{
	size_t len = strlen(t->domain);
	struct mxset **sl = cache_slot(t->cache, t->domain, len), *m = *sl;

	if (m == NULL || m->len != len || m->max_hosts != t->max_hosts ||
	    !mxspf__name_eq_lower(t->domain, m->domain, len))
		return false;
	if (t->now >= m->expires) {
		*sl = NULL;
		mxset_unref(m);
		return false;
	}
	/* The public view is the lookup's own: judge marks it. */
	if ((t->hosts = mxspf__calloc(m->nhosts, sizeof(*t->hosts))) == NULL)
		return false;
	memcpy(t->hosts, m->hosts, m->nhosts * sizeof(*t->hosts));
	m->refs++;
	t->set = m;
	t->th = m->th;
	t->nhosts = m->nhosts;
	t->truncated = m->truncated;
	t->v.implicit_mx = m->implicit_mx;
	t->hosts_asked = true;
	return true;
}

/* cache_put - keep t's resolved set (every answer in, none failed, a TTL
 * to go by) for the next lookups of its domain; t's hosts move into the
 * set.  Failing to allocate only means not caching. */
static void
cache_put(struct mxspf_trust *t)
{
	struct mxset *m, **sl;
	size_t i, len;

	if (t->cache == NULL || t->set != NULL || t->no_cache || t->now <= 0 ||
	    t->min_ttl == 0 || t->min_ttl == UINT32_MAX || t->nhosts == 0 ||
	    (m = mxspf__calloc(1, sizeof(*m))) == NULL)
		return;
	len = strlen(t->domain);
	m->domain = mxspf__memdup(t->domain, len);
	m->hosts = mxspf__calloc(t->nhosts, sizeof(*m->hosts));
	if (m->domain == NULL || m->hosts == NULL) {
		free(m->domain);
		free(m->hosts);
		free(m);
		return;
	}
	for (i = 0; i < len; i++)
		m->domain[i] = (char)mxspf__ascii_lower(
		    (unsigned char)m->domain[i]);
	memcpy(m->hosts, t->hosts, t->nhosts * sizeof(*m->hosts));
	m->len = len;
	m->refs = 2;		/* the slot and t */
	m->max_hosts = t->max_hosts;
	m->expires = t->now + (int64_t)t->min_ttl;
	m->nhosts = t->nhosts;
	m->truncated = t->truncated;
	m->implicit_mx = t->v.implicit_mx;
	m->th = t->th;
	t->set = m;
	sl = cache_slot(t->cache, m->domain, len);
	mxset_unref(*sl);
	*sl = m;
}

int
mxspf_trust_new(struct mxspf_trust **out, const struct mxspf_trust_config *cfg,
    const struct mxspf_trust_request *req)
{
	struct mxspf_trust *t;
	size_t i;

	*out = NULL;
	if (cfg == NULL || req == NULL || req->domain == NULL ||
	    (req->client.family != 4 && req->client.family != 6) ||
	    (cfg->n_own_addrs > 0 && cfg->own_addrs == NULL) ||
	    (cfg->n_own_names > 0 && cfg->own_names == NULL))
		return MXSPF_EINVAL;
	t = mxspf__calloc(1, sizeof(*t));
	if (t == NULL)
		return MXSPF_ENOMEM;
	t->mode = cfg->mode;
	t->max_hosts = cfg->max_hosts == 0 || cfg->max_hosts > TRUST_MAX_HOSTS ?
	    TRUST_MAX_HOSTS : cfg->max_hosts;
	t->client = req->client;
	if (req->server_addr != NULL) {
		t->have_server = true;
		t->server = *req->server_addr;
	}
	t->cache = req->now > 0 ? req->cache : NULL;
	t->now = req->now;
	t->min_ttl = UINT32_MAX;
	t->domain = mxspf__strdup(req->domain);
	/* The MX query; the arrays grow with the hosts found (a
	 * transaction keeps its lookups: they stay small). */
	t->qs = mxspf__calloc(1, sizeof(*t->qs));
	if (cfg->n_own_addrs > 0)
		t->own_addrs = mxspf__calloc(cfg->n_own_addrs,
		    sizeof(*t->own_addrs));
	if (cfg->n_own_names > 0)
		t->own_names = mxspf__calloc(cfg->n_own_names, sizeof(char *));
	if (t->domain == NULL || t->qs == NULL || (cfg->n_own_addrs > 0 &&
	    t->own_addrs == NULL) || (cfg->n_own_names > 0 &&
	    t->own_names == NULL)) {
		mxspf_trust_free(t);
		return MXSPF_ENOMEM;
	}
	for (i = 0; i < cfg->n_own_addrs; i++)
		t->own_addrs[t->n_own_addrs++] = cfg->own_addrs[i];
	for (i = 0; i < cfg->n_own_names; i++) {
		if ((t->own_names[i] = mxspf__strdup(cfg->own_names[i])) ==
		    NULL) {
			mxspf_trust_free(t);
			return MXSPF_ENOMEM;
		}
		t->n_own_names++;
	}
	if (t->domain[0] != '\0' &&
	    t->domain[strlen(t->domain) - 1] == '.')
		t->domain[strlen(t->domain) - 1] = '\0';
	if (t->mode == MXSPF_TRUST_OFF)
		trust_finish(t, MXSPF_TRUST_NO, "MX trust is off");
	else if (!valid_domain(t->domain))
		trust_finish(t, MXSPF_TRUST_NO, "'%.100s' is not a valid domain",
		    t->domain);
	else if (t->cache == NULL || !cache_take(t))
		(void)add_query(t, t->domain, MXSPF_RR_MX, 0);
	if (t->err != 0) {
		mxspf_trust_free(t);
		return MXSPF_ENOMEM;
	}
	*out = t;
	return 0;
}

/* host_add - append an MX host (name copied) */
static int
host_add(struct mxspf_trust *t, const char *name, uint16_t pref)
{
	struct mxspf_trust_host *nh;
	struct thost *h, *nt;
	size_t n = t->nhosts + 1;

	if ((nt = mxspf__realloc(t->th, n * sizeof(*nt))) == NULL)
		return MXSPF_ENOMEM;
	t->th = nt;
	if ((nh = mxspf__realloc(t->hosts, n * sizeof(*nh))) == NULL)
		return MXSPF_ENOMEM;
	t->hosts = nh;
	h = &t->th[t->nhosts];
	memset(h, 0, sizeof(*h));
	memset(&t->hosts[t->nhosts], 0, sizeof(t->hosts[0]));
	h->name = mxspf__strdup(name);
	if (h->name == NULL)
		return MXSPF_ENOMEM;
	t->hosts[t->nhosts].name = h->name;
	t->hosts[t->nhosts].pref = pref;
	t->hosts[t->nhosts].a_status = MXSPF_DNS_SERVFAIL;
	t->hosts[t->nhosts].aaaa_status = MXSPF_DNS_SERVFAIL;
	t->nhosts++;
	return 0;
}

/* pref_cmp - order MX hosts by preference (qsort) */
static int
pref_cmp(const void *a, const void *b)
{
	const struct mxspf_trust_host *x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* take_mx - read an MX answer into hosts; 0, MALFORMED, or < 0 err */
static int
take_mx(struct mxspf_trust *t, const struct mxspf_answer *a)
{
	size_t i, n = a->count > MXSPF_MAX_RRS ? MXSPF_MAX_RRS : a->count;
	struct mxspf_trust_host *all;
	struct mxspf_buf b;
	int rc = 0;

	if (a->rdata == NULL || a->rdlen == NULL)
		return MALFORMED;
	if ((all = mxspf__calloc(n, sizeof(*all))) == NULL)
		return MXSPF_ENOMEM;
	mxspf_buf_init(&b, MXSPF_MAX_NAME + 2);
	for (i = 0; i < n && rc == 0; i++) {
		uint16_t pref;

		mxspf_buf_reset(&b);
		if (a->rdata[i] == NULL ||
		    mxspf__rdata_mx(a->rdata[i], a->rdlen[i], &pref, &b) != 0) {
			rc = MALFORMED;
			break;
		}
		if ((all[i].name = mxspf_buf_steal(&b)) == NULL)
			rc = MXSPF_ENOMEM;
		all[i].pref = pref;
	}
	mxspf_buf_free(&b);
	if (rc == 0) {
		qsort(all, n, sizeof(all[0]), pref_cmp);
		if (n == 1 && all[0].name[0] == '\0')
			trust_finish(t, MXSPF_TRUST_NO,
			    "%.253s has a null MX (accepts no mail)",
			    t->domain);
		for (i = 0; i < n && !t->done && rc == 0; i++) {
			if (!valid_domain(all[i].name))
				continue;
			if (t->nhosts == t->max_hosts) {
				t->truncated = true;
				break;
			}
			rc = host_add(t, all[i].name, all[i].pref);
		}
	}
	for (i = 0; i < n; i++)
		free((char *)all[i].name);
	free(all);
	return rc;
}

/* ask_hosts - queue A and AAAA for every host */
static void
ask_hosts(struct mxspf_trust *t)
{
	struct tquery *nq;
	size_t i;

	t->hosts_asked = true;
	if ((nq = mxspf__realloc(t->qs, (1 + 2 * t->nhosts) *
	    sizeof(*nq))) == NULL) {
		t->err = MXSPF_ENOMEM;
		return;
	}
	t->qs = nq;
	for (i = 0; i < t->nhosts; i++) {
		(void)add_query(t, t->th[i].name, MXSPF_RR_A, i);
		(void)add_query(t, t->th[i].name, MXSPF_RR_AAAA, i);
	}
}

/* addr_in - true when a is one of list[0..n) */
static bool
addr_in(const struct mxspf_addr *a, const struct mxspf_addr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mxspf__addr_match(a, &list[i], 128))
			return true;
	return false;
}

/* host_failed - true when a lookup of host h failed */
static bool
host_failed(const struct mxspf_trust_host *h)
{
	return h->a_status == MXSPF_DNS_SERVFAIL ||
	    h->a_status == MXSPF_DNS_TIMEOUT ||
	    h->aaaa_status == MXSPF_DNS_SERVFAIL ||
	    h->aaaa_status == MXSPF_DNS_TIMEOUT;
}

/* mark_hosts - is_client / is_self per host; the preference range of
 * the hosts whose lookups failed in *fmin..*fmax; true if any failed */
static bool
mark_hosts(struct mxspf_trust *t, unsigned *fmin, unsigned *fmax)
{
	bool failed = false;
	size_t i, j;

	for (i = 0; i < t->nhosts; i++) {
		struct mxspf_trust_host *h = &t->hosts[i];
		struct thost *th = &t->th[i];

		h->addrs = th->addrs;
		h->naddrs = th->naddrs;
		if (host_failed(h)) {
			if (!failed || h->pref < *fmin)
				*fmin = h->pref;
			if (!failed || h->pref > *fmax)
				*fmax = h->pref;
			failed = true;
		}
		h->is_client = addr_in(&t->client, th->addrs, th->naddrs);
		h->is_self = t->have_server &&
		    addr_in(&t->server, th->addrs, th->naddrs);
		for (j = 0; j < t->n_own_addrs && !h->is_self; j++)
			h->is_self = addr_in(&t->own_addrs[j], th->addrs,
			    th->naddrs);
		for (j = 0; j < t->n_own_names && !h->is_self; j++)
			h->is_self = mxspf__strcaseeq_n(h->name,
			    strlen(h->name), t->own_names[j]);
		if (h->is_client && (t->v.client_host == NULL ||
		    h->pref > t->v.client_host->pref))
			t->v.client_host = h;	/* the most permissive */
		if (h->is_self && (t->v.self_host == NULL ||
		    h->pref < t->v.self_host->pref))
			t->v.self_host = h;	/* our most preferred */
	}
	return failed;
}

/* judge - decide once every host is resolved.  A host whose lookup
 * failed might be the client or this server; the answer is DNSERR only
 * when that could change it (the preference range of the failed hosts
 * bounds what they could be). */
static void
judge(struct mxspf_trust *t)
{
	const struct mxspf_trust_host *c, *s;
	struct mxspf_buf b;
	unsigned fmin = 0, fmax = 0;
	bool failed = mark_hosts(t, &fmin, &fmax);
	bool could_flip;

	c = t->v.client_host;
	s = t->v.self_host;
	if (c == NULL) {
		/* A failed host could be the client: would it be trusted? */
		could_flip = failed && (t->mode == MXSPF_TRUST_ANY ||
		    s == NULL || fmax >= s->pref);
		if (could_flip)
			trust_finish(t, MXSPF_TRUST_DNSERR, "could not resolve "
			    "every MX host of %.253s", t->domain);
		else {
			why_start(&b);
			mxspf_buf_puts(&b, "client is not an MX host of ");
			why_name(&b, t->domain);
			trust_finish_buf(t, MXSPF_TRUST_NO, &b);
		}
		return;
	}
	if (t->mode == MXSPF_TRUST_ANY) {
		why_start(&b);
		why_host(&b, t, c);
		trust_finish_buf(t, MXSPF_TRUST_YES, &b);
		return;
	}
	if (s == NULL) {
		/* A failed host could be this server, more preferred than
		 * the client; an MX list cut at max_hosts could hide it. */
		if (failed && fmax > c->pref)
			trust_finish(t, MXSPF_TRUST_DNSERR, "could not resolve "
			    "every MX host of %.253s to find this server's "
			    "entry", t->domain);
		else if (t->truncated)
			trust_finish(t, MXSPF_TRUST_NO, "client is MX host "
			    "%.253s of %.253s, but this server's entry may be "
			    "beyond the %zu most preferred hosts", c->name,
			    t->domain, t->max_hosts);
		else {
			why_start(&b);
			why_host(&b, t, c);
			mxspf_buf_puts(&b, "; this server is not an MX of it");
			trust_finish_buf(t, MXSPF_TRUST_YES, &b);
		}
		return;
	}
	if (c->pref >= s->pref) {
		why_start(&b);
		why_host(&b, t, c);
		why_self(&b, ", not more", s);
		trust_finish_buf(t, MXSPF_TRUST_YES, &b);
		return;
	}
	/* Not trusted as it stands; a failed host could be a less preferred
	 * client entry (>= our preference) or a more preferred own entry
	 * (<= the client's). */
	could_flip = failed && (fmax >= s->pref || fmin <= c->pref);
	if (could_flip)
		trust_finish(t, MXSPF_TRUST_DNSERR, "could not resolve every "
		    "MX host of %.253s", t->domain);
	else {
		why_start(&b);
		why_host(&b, t, c);
		why_self(&b, ", more", s);
		trust_finish_buf(t, MXSPF_TRUST_NO, &b);
	}
}

int
mxspf_trust_step(struct mxspf_trust *t)
{
	size_t i;

	if (t->err != 0)
		return t->err;
	if (t->done)
		return MXSPF_STEP_DONE;
	for (i = 0; i < t->nq; i++)
		if (t->qs[i].state != TQ_DONE)
			return MXSPF_STEP_QUERY;
	if (!t->hosts_asked && t->nhosts > 0) {
		ask_hosts(t);
		return t->err != 0 ? t->err : MXSPF_STEP_QUERY;
	}
	cache_put(t);
	judge(t);
	return t->err != 0 ? t->err : MXSPF_STEP_DONE;
}

const struct mxspf_query *
mxspf_trust_next_query(struct mxspf_trust *t)
{
	if (t->done)
		return NULL;	/* finished or aborted: asks nothing more */
	while (t->handout < t->nq) {
		struct tquery *q = &t->qs[t->handout++];

		if (q->state == TQ_NEW) {
			q->state = TQ_SENT;
			return &q->q;
		}
	}
	return NULL;
}

/* take_addrs - append the addresses of an A/AAAA answer to host h */
static int
take_addrs(struct thost *h, uint16_t type, const struct mxspf_answer *a)
{
	size_t i, n = a->count > MXSPF_MAX_RRS ? MXSPF_MAX_RRS : a->count;

	if (n > 0 && (a->rdata == NULL || a->rdlen == NULL))
		return MALFORMED;
	for (i = 0; i < n; i++) {
		struct mxspf_addr ad;

		if (a->rdata[i] == NULL ||
		    mxspf__rdata_addr(a->rdata[i], a->rdlen[i], type, &ad) != 0)
			return MALFORMED;
		if (h->naddrs == h->cap) {
			size_t ncap = h->cap ? h->cap * 2 : 4;
			struct mxspf_addr *na = mxspf__realloc(h->addrs,
			    ncap * sizeof(*na));

			if (na == NULL)
				return MXSPF_ENOMEM;
			h->addrs = na;
			h->cap = ncap;
		}
		h->addrs[h->naddrs++] = ad;
	}
	return 0;
}

/* implicit_mx - D has no MX records: D itself, preference 0 */
static void
implicit_mx(struct mxspf_trust *t)
{
	t->v.implicit_mx = true;
	if (host_add(t, t->domain, 0) != 0)
		t->err = MXSPF_ENOMEM;
}

/* answer_mx - the MX query's answer */
static void
answer_mx(struct mxspf_trust *t, const struct mxspf_answer *a)
{
	int rc;

	switch (a->status) {
	case MXSPF_DNS_OK:
		if (a->count == 0) {
			implicit_mx(t);
			return;
		}
		rc = take_mx(t, a);
		if (rc == MXSPF_ENOMEM)
			t->err = rc;
		else if (rc != 0)
			trust_finish(t, MXSPF_TRUST_DNSERR, "malformed MX answer "
			    "for %.253s", t->domain);
		else if (!t->done && t->nhosts == 0)
			trust_finish(t, MXSPF_TRUST_NO, "%.253s has no usable "
			    "MX host", t->domain);
		return;
	case MXSPF_DNS_NODATA:
		implicit_mx(t);
		return;
	case MXSPF_DNS_NXDOMAIN:
		trust_finish(t, MXSPF_TRUST_NO, "%.253s does not exist",
		    t->domain);
		return;
	default:
		trust_finish(t, MXSPF_TRUST_DNSERR, "MX lookup for %.253s: %s",
		    t->domain, mxspf_dns_status_name(a->status));
		return;
	}
}

int
mxspf_trust_answer(struct mxspf_trust *t, uint32_t id,
    const struct mxspf_answer *ans)
{
	struct tquery *q;
	int rc;

	if (t == NULL || ans == NULL)
		return MXSPF_EINVAL;
	if (id == 0 || id > t->nq || t->qs[id - 1].state == TQ_DONE)
		return MXSPF_ENOENT;
	q = &t->qs[id - 1];
	q->state = TQ_DONE;
	q->status = (unsigned)ans->status > MXSPF_DNS_TIMEOUT ?
	    MXSPF_DNS_SERVFAIL : ans->status;
	if (t->done)
		return 0;	/* late answer after abort */
	if (q->status != MXSPF_DNS_OK && q->status != MXSPF_DNS_NODATA &&
	    q->status != MXSPF_DNS_NXDOMAIN)
		t->no_cache = true;
	else if (ans->ttl < t->min_ttl)
		t->min_ttl = ans->ttl;
	if (q->q.type == MXSPF_RR_MX) {
		answer_mx(t, ans);
		return t->err;
	}
	rc = q->status == MXSPF_DNS_OK ?
	    take_addrs(&t->th[q->host], q->q.type, ans) : 0;
	if (rc == MXSPF_ENOMEM) {
		t->err = rc;
		return rc;
	}
	if (rc != 0) {
		q->status = MXSPF_DNS_SERVFAIL;	/* malformed: a failure */
		t->no_cache = true;
	}
	if (q->q.type == MXSPF_RR_A)
		t->hosts[q->host].a_status = q->status;
	else
		t->hosts[q->host].aaaa_status = q->status;
	return 0;
}

void
mxspf_trust_abort(struct mxspf_trust *t)
{
	if (!t->done)
		trust_finish(t, MXSPF_TRUST_DNSERR, "no answer within the "
		    "deadline for the MX hosts of %.253s", t->domain);
}

const struct mxspf_trust_verdict *
mxspf_trust_verdict(const struct mxspf_trust *t)
{
	struct mxspf_trust *m = (struct mxspf_trust *)t;

	m->v.why = t->why != NULL ? t->why : "";
	m->v.hosts = t->hosts;
	m->v.nhosts = t->nhosts;
	return &t->v;
}

void
mxspf_trust_free(struct mxspf_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->set != NULL)
		mxset_unref(t->set);	/* th is the set's */
	else
		thosts_free(t->th, t->nhosts);
	for (i = 0; i < t->n_own_names; i++)
		free(t->own_names[i]);
	free(t->own_names);
	free(t->own_addrs);
	free(t->hosts);
	free(t->qs);
	free(t->domain);
	free(t->why);
	free(t);
}

int
mxspf_trust_run(struct mxspf_trust *t, mxspf_trust_resolve_fn fn, void *arg)
{
	for (;;) {
		const struct mxspf_query *q;
		int rc = mxspf_trust_step(t);

		if (rc != MXSPF_STEP_QUERY)
			return rc < 0 ? rc : 0;
		while ((q = mxspf_trust_next_query(t)) != NULL) {
			fn(arg, t, q);
			if (t->qs[q->id - 1].state != TQ_DONE) {
				mxspf_trust_abort(t);
				return 0;
			}
		}
	}
}

/* trust_ops_* - struct mxspf_machine_ops adapters */
static int
trust_ops_step(void *obj)
{
	return mxspf_trust_step(obj);
}

static const struct mxspf_query *
trust_ops_next(void *obj)
{
	return mxspf_trust_next_query(obj);
}

static int
trust_ops_answer(void *obj, uint32_t id, const struct mxspf_answer *a)
{
	return mxspf_trust_answer(obj, id, a);
}

static void
trust_ops_abort(void *obj)
{
	mxspf_trust_abort(obj);
}

const struct mxspf_machine_ops mxspf_trust_ops = {
	trust_ops_step, trust_ops_next, trust_ops_answer, trust_ops_abort
};

void
mxspf_zone_resolve_trust(void *zone, struct mxspf_trust *t,
    const struct mxspf_query *q)
{
	struct mxspf_answer ans;

	mxspf_zone_lookup(zone, q->name, q->type, &ans);
	(void)mxspf_trust_answer(t, q->id, &ans);
}

/* ---- the decision ---------------------------------------------------- */

const char *
mxspf_policy_act_name(enum mxspf_policy_act a)
{
	switch (a) {
	case MXSPF_ACT_ACCEPT:	return "accept";
	case MXSPF_ACT_REJECT:	return "reject";
	case MXSPF_ACT_DEFER:	return "defer";
	}
	return "unknown";
}

int
mxspf_policy_act_parse(const char *name, enum mxspf_policy_act *out)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (name == NULL)
		return MXSPF_EINVAL;
	if (mxspf__strcaseeq_n(name, n, "accept"))
		*out = MXSPF_ACT_ACCEPT;
	else if (mxspf__strcaseeq_n(name, n, "reject"))
		*out = MXSPF_ACT_REJECT;
	else if (mxspf__strcaseeq_n(name, n, "defer"))
		*out = MXSPF_ACT_DEFER;
	else
		return MXSPF_EINVAL;
	return 0;
}

const char *
mxspf_relay_reason_name(enum mxspf_relay_reason r)
{
	switch (r) {
	case MXSPF_RELAY_NONE:		return "none";
	case MXSPF_RELAY_EXEMPT:	return "exempt";
	case MXSPF_RELAY_CONFIGURED:	return "configured";
	case MXSPF_RELAY_MX:		return "mx";
	}
	return "unknown";
}

void
mxspf_policy_init(struct mxspf_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->on_fail = MXSPF_ACT_REJECT;
	p->on_softfail = MXSPF_ACT_ACCEPT;
	p->on_permerror = MXSPF_ACT_ACCEPT;
	p->on_temperror = MXSPF_ACT_ACCEPT;
}

/* put_safe - append sender-controlled text for an SMTP reply: printable
 * ASCII only, bounded (an SMTP reply line is at most 512 octets) */
static void
put_safe(struct mxspf_buf *b, const char *s, size_t limit)
{
	size_t i, run, n;

	if (s == NULL)
		return;
	n = strnlen(s, limit + 1);
	/* Runs of printable bytes in one append each, '?' for the others
	 * (a byte at a time cost ~8 instructions a byte, for every 5xx's
	 * explanation). */
	for (i = 0; i < n && i < limit; i = run + 1) {
		for (run = i; run < n && run < limit &&
		    (unsigned char)s[run] >= 0x20 &&
		    (unsigned char)s[run] < 0x7f; run++)
			;
		if (run > i)
			mxspf_buf_append(b, s + i, run - i);
		if (run == n || run == limit)
			break;
		mxspf_buf_putc(b, '?');
	}
	if (n > limit)
		mxspf_buf_puts(b, "...");
}

/* spf_action - the action and reply the SPF verdict asks for */
static enum mxspf_policy_act
spf_action(const struct mxspf_policy *p, const struct mxspf_verdict *v,
    int *code, const char **status, struct mxspf_buf *text)
{
	enum mxspf_policy_act act;

	switch (v->result) {
	case MXSPF_FAIL:
		act = p->on_fail;
		*status = act == MXSPF_ACT_REJECT ? "5.7.23" : "4.7.23";
		mxspf_buf_puts(text, "SPF fail: ");
		put_safe(text, v->explanation != NULL ? v->explanation :
		    "not authorized", 400);
		break;
	case MXSPF_SOFTFAIL:
		act = p->on_softfail;
		*status = act == MXSPF_ACT_REJECT ? "5.7.23" : "4.7.23";
		mxspf_buf_puts(text, "SPF softfail: ");
		put_safe(text, v->domain, 253);
		mxspf_buf_puts(text, " does not designate the client as a "
		    "permitted sender");
		break;
	case MXSPF_PERMERROR:
		act = p->on_permerror;
		*status = act == MXSPF_ACT_REJECT ? "5.7.24" : "4.7.24";
		mxspf_buf_puts(text, "SPF permanent error: ");
		put_safe(text, v->problem, 300);
		break;
	case MXSPF_TEMPERROR:
		/* A temporary error never becomes a 5xx: defer instead. */
		act = p->on_temperror == MXSPF_ACT_ACCEPT ? MXSPF_ACT_ACCEPT :
		    MXSPF_ACT_DEFER;
		*status = "4.7.24";
		mxspf_buf_puts(text, "SPF temporary error: ");
		put_safe(text, v->problem, 300);
		break;
	default:
		return MXSPF_ACT_ACCEPT;
	}
	*code = act == MXSPF_ACT_REJECT ? 550 : 451;
	return act;
}

int
mxspf_policy_decide(const struct mxspf_policy *p,
    const struct mxspf_verdict *spf, enum mxspf_relay_reason relay,
    const struct mxspf_trust_verdict *trust, struct mxspf_decision *out)
{
	struct mxspf_buf text;
	enum mxspf_policy_act act;
	const char *status = NULL;
	int code = 0;

	memset(out, 0, sizeof(*out));
	if (relay != MXSPF_RELAY_NONE || spf == NULL)
		return 0;	/* a relay: accept; never claim a result */
	mxspf_buf_init(&text, 480);
	act = spf_action(p, spf, &code, &status, &text);
	if (act != MXSPF_ACT_ACCEPT && trust != NULL &&
	    trust->outcome == MXSPF_TRUST_DNSERR) {
		/* The client may be our own backup: never bounce its mail. */
		act = MXSPF_ACT_DEFER;
		code = 451;
		status = "4.4.3";
		mxspf_buf_reset(&text);
		mxspf_buf_puts(&text, "cannot verify the relay for now: ");
		put_safe(&text, trust->why, 300);
	}
	if (act != MXSPF_ACT_ACCEPT) {
		if (text.err != 0 && text.err != MXSPF_ELIMIT) {
			mxspf_buf_free(&text);
			return MXSPF_ENOMEM;
		}
		out->text = mxspf_buf_steal(&text);
		if (out->text == NULL)
			return MXSPF_ENOMEM;
	}
	mxspf_buf_free(&text);
	if (p->test_mode && act != MXSPF_ACT_ACCEPT) {
		out->would_act = true;
		out->would = act;
		act = MXSPF_ACT_ACCEPT;
	}
	out->act = act;
	out->code = act == MXSPF_ACT_ACCEPT ? 0 : code;
	out->status = act == MXSPF_ACT_ACCEPT && !out->would_act ? NULL :
	    status;
	return 0;
}
