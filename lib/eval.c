/* lib/eval.c - the sans-I/O check_host() evaluator (RFC 7208 s4-s6, s8).
 *
 * Owns: struct mxspf_eval: the request, the table of DNS queries with
 * their parsed answers, the explicit include/redirect frame stack, the
 * counters of s4.6.4 and the verdict; and the evaluations a context keeps
 * once freed (ctx->spare, at most EVAL_SPARES), whose arena chunk and
 * buffers the next mxspf_eval_new() reuses, cleared.  The evaluator is
 * a state machine: run() advances until it needs an answer it does not
 * have, and the driver feeds answers in any order.  Every lookup goes
 * through ask() (need(), need_memo()), which also makes speculative
 * prefetching safe: an answer that arrives early is only acted upon when
 * its term is evaluated, in RFC order.
 *
 * Must not: perform I/O, read the clock, call a resolver, or recurse in C
 * (include/redirect use frames[], bounded by MXSPF_MAX_DEPTH).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctx.h"
#include "internal.h"
#include "mxspf_limits.h"
#include "macro.h"
#include "rdata.h"
#include "record.h"

#define DEFAULT_EXPLANATION \
	"%{o} does not designate %{c} as a permitted sender"

enum slot_state { SLOT_NEW, SLOT_SENT, SLOT_DONE };

/* One TXT record of an answer: its joined text, either copied into the
 * arena or, when its RDATA spells the text of a cached record, that
 * record's text (then the slot holds a reference, so it stays valid). */
struct txt_rr {
	const char *text;	/* binary-safe, NUL added */
	size_t len;
	struct mxspf__record *rec;	/* held reference, or NULL */
	const uint8_t *src;	/* the RDATA's address: a hint for the
				 * record cache, never read after the
				 * answer was fed */
	size_t srclen;
};

/* One DNS query and, once answered, its parsed answer. */
struct slot {
	struct mxspf_query q;	/* q.name in the arena */
	size_t namelen;		/* without a trailing dot */
	uint64_t key;		/* mxspf__name_key() of the name */
	enum slot_state state;
	enum mxspf_dns_status status;
	size_t n;		/* records kept */
	struct txt_rr *txts;	/* TXT: ntxts entries, n of them filled */
	size_t ntxts;
	char **names;		/* MX exchanges, PTR names */
	bool *name_ok;		/* names[i] can be queried */
	struct slot **sub;	/* MX, PTR: the address lookups of the
				 * names, once asked (name_slots()) */
	struct mxspf_addr *addrs;	/* A, AAAA */
};

enum frame_state { F_FETCH, F_TERMS };

/* One record being evaluated: the top one, an include or a redirect. */
struct frame {
	const char *domain;	/* always a valid name (s4.3 checked the
				 * first; include/redirect targets are
				 * checked before they are followed) */
	struct mxspf__record *rec;
	enum frame_state state;
	size_t pc;		/* current mechanism */
	struct slot *slot;	/* the first lookup of the record or the
				 * current term, once asked (re-entry
				 * finds it without a search) */
	bool include;		/* pushed by include: */
	bool redirected;	/* reached through redirect= */
	bool prefetched;
	bool counted;		/* the current term was counted */
	bool child_done;	/* the include child has returned */
	enum mxspf_result child_result;
	const char *target;	/* expanded target of the current term (in
				 * the arena, or a literal in rec) */
	bool target_ok;
};

enum phase { PH_EVAL, PH_EXPLAIN, PH_DONE };
enum step_rc { R_CONT, R_WAIT };
enum ptr_state { PTR_NONE, PTR_DONE };

/* A chunk of the evaluation's arena. */
struct chunk {
	struct chunk *next;
	size_t cap, used;
	char *data;
};

#define ARENA_FIRST 4096	/* bytes allocated with the evaluation */
#define ARENA_CHUNK 8192	/* later chunks, unless one item is larger */
#define ARENA_MAX (4u << 20)	/* all the memory one evaluation may hold */

/* A verdict string: a buffer whose storage is kept when the evaluation
 * object is reused, and whether it is set (NULL in the verdict if not). */
struct vstr {
	struct mxspf_buf b;
	bool set;
};

/* Evaluations a context keeps for reuse once freed (one per evaluation
 * a daemon runs at the same time, within reason). */
#define EVAL_SPARES 4

struct mxspf_eval {
	/* Kept while a freed evaluation waits in its context for reuse: the
	 * storage of the first arena chunk and of the buffers. */
	struct mxspf_ctx *ctx;
	const struct mxspf_config *cfg;
	struct mxspf_eval *next_spare;
	struct chunk first;	/* data follows the struct */
	struct mxspf_buf trace;
	struct mxspf_buf tmp;	/* scratch for expansions */
	struct mxspf_buf scratch[2];	/* the macro expander's */
	struct mxspf_buf why;	/* a record's syntax error */
	struct vstr s_mechanism, s_mech_domain, s_problem, s_explanation;

	/* Cleared for each evaluation: every member from cur on, up to and
	 * including frames[0] (eval_clear()). */
	struct chunk *cur;	/* the chunk being filled */
	size_t arena_total;
	struct mxspf_addr ip;
	struct mxspf__prefix ip_prefix;	/* ip, for ip4/ip6 terms */
	int64_t now;		/* for %{t} */
	char *sender, *local, *sender_domain, *helo, *identity;
	struct slot **slots;
	size_t nslots, capslots, handout;
	size_t unanswered;	/* slots not yet SLOT_DONE */
	size_t depth;
	enum phase phase;
	enum ptr_state ptr;
	struct slot *ptr_slot;	/* the PTR lookup of the client, once asked */
	bool ptr_void;
	char **valid;		/* validated names of ip (s5.5) */
	size_t nvalid;
	struct mxspf__record *exp_rec;	/* record whose exp= applies */
	const char *exp_domain;
	struct mxspf_verdict v;
	int err;		/* sticky MXSPF_ENOMEM */
	bool prefetching;	/* queries made now are speculative */
	bool sync_driver;	/* mxspf_eval_run: no overlap to gain */
	size_t spec_left;	/* terms that may still be asked ahead */
	bool traced_end;
	/* frames[] comes last: only frames[0] is cleared for a new
	 * evaluation, a frame above it is cleared when it is pushed. */
	struct frame frames[MXSPF_MAX_DEPTH];
};

static int run(struct mxspf_eval *);

/* TRACE - tracef() without evaluating its arguments when tracing is off */
#define TRACE(ev, ...) do {						\
	if ((ev)->cfg->trace)						\
		tracef((ev), __VA_ARGS__);				\
} while (0)
static void prefetch_terms(struct mxspf_eval *, struct frame *);

/* tracef - append one line to the trace when tracing is on */
static void __attribute__((format(printf, 2, 3)))
tracef(struct mxspf_eval *ev, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (!ev->cfg->trace)
		return;
	for (i = 1; i < ev->depth; i++)
		mxspf_buf_puts(&ev->trace, "  ");
	va_start(ap, fmt);
	mxspf_buf_vappendf(&ev->trace, fmt, ap);
	va_end(ap);
	mxspf_buf_putc(&ev->trace, '\n');
}

/* arena_grow - arena_alloc() when the current chunk is full: a new chunk
 * (n is already rounded) */
static void *
arena_grow(struct mxspf_eval *ev, size_t n)
{
	size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
	struct chunk *c;

	if (ev->arena_total + cap > ARENA_MAX) {
		ev->err = MXSPF_ELIMIT;
		return NULL;
	}
	c = mxspf__alloc(sizeof(*c) + cap);
	if (c == NULL) {
		ev->err = MXSPF_ENOMEM;
		return NULL;
	}
	c->cap = cap;
	c->used = n;
	c->data = (char *)c + sizeof(*c);
	c->next = ev->cur;
	ev->cur = c;
	ev->arena_total += cap;
	return c->data;
}

/* arena_alloc - n bytes that live as long as the evaluation; NULL and
 * ev->err set on failure */
static inline void *
arena_alloc(struct mxspf_eval *ev, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct chunk *c = ev->cur;
	void *p;

	if (n > ARENA_MAX) {
		ev->err = MXSPF_ELIMIT;
		return NULL;
	}
	n = (n + align - 1) & ~(align - 1);
	if (c->cap - c->used < n)
		return arena_grow(ev, n);
	p = c->data + c->used;
	c->used += n;
	return p;
}

/* arena_strndup - a NUL-terminated copy of p[0..len) in the arena */
static inline char *
arena_strndup(struct mxspf_eval *ev, const char *p, size_t len)
{
	char *s = arena_alloc(ev, len + 1);

	if (s != NULL) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/* set_str - replace a verdict string */
static void
set_str(struct mxspf_eval *ev, struct vstr *dst, const char *s, size_t len)
{
	mxspf_buf_reset(&dst->b);
	mxspf_buf_append(&dst->b, s, len);
	dst->set = true;
	if (dst->b.err != 0) {
		if (dst->b.err == MXSPF_ENOMEM)
			ev->err = MXSPF_ENOMEM;
		mxspf_buf_reset(&dst->b);
	}
}

/* vstr_get - a verdict string, or NULL when it was never set */
static const char *
vstr_get(const struct vstr *v)
{
	return v->set ? mxspf_buf_cstr(&v->b) : NULL;
}

/* finish - end the evaluation with a result */
static void
finish(struct mxspf_eval *ev, enum mxspf_result r, enum mxspf_reason why)
{
	ev->v.result = r;
	ev->v.reason = why;
	ev->phase = PH_DONE;
}

/* fail_eval - end with perm/temperror (they propagate through every
 * include and redirect to the top, s5.2) and a problem text */
static void __attribute__((format(printf, 4, 5)))
fail_eval(struct mxspf_eval *ev, enum mxspf_result r, enum mxspf_reason why,
    const char *fmt, ...)
{
	struct mxspf_buf *b = &ev->s_problem.b;
	va_list ap;

	/* (No argument points into s_problem, which is rewritten here.) */
	mxspf_buf_reset(b);
	va_start(ap, fmt);
	mxspf_buf_vappendf(b, fmt, ap);
	va_end(ap);
	ev->s_problem.set = true;
	if (b->err != 0) {
		if (b->err == MXSPF_ENOMEM)
			ev->err = MXSPF_ENOMEM;
		mxspf_buf_reset(b);	/* over the limit: no text */
	}
	TRACE(ev, "%s: %s", mxspf_result_name(r), mxspf_buf_cstr(b));
	finish(ev, r, why);
}

/* ---- names ---------------------------------------------------------- */

/* name_eq - case-insensitive equality ignoring one trailing dot */
static bool
name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	if (alen != blen)
		return false;
	if (memcmp(a, b, alen) == 0)
		return true;	/* the usual case: same spelling */
	for (i = 0; i < alen; i++)
		if (mxspf__ascii_lower((unsigned char)a[i]) !=
		    mxspf__ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* ---- the query table ------------------------------------------------ */

/* find_slot - the slot for (name, type), or NULL; len excludes any
 * trailing dot, h is mxspf__name_key(name, len) */
static struct slot *
find_slot(struct mxspf_eval *ev, const char *name, size_t len, uint64_t h,
    uint16_t type)
{
	size_t i;

	for (i = 0; i < ev->nslots; i++) {
		struct slot *s = ev->slots[i];

		if (s->key == h && s->q.type == type && s->namelen == len &&
		    name_eq(s->q.name, s->namelen, name, len))
			return s;
	}
	return NULL;
}

/* ask - the slot for (name, type), made (a new query) when there is none;
 * NULL with ev->err set on failure */
static struct slot *
ask(struct mxspf_eval *ev, const char *name, uint16_t type)
{
	size_t len = strlen(name);
	struct slot *s;
	char *qname;
	uint64_t h;

	if (len > 0 && name[len - 1] == '.')
		len--;
	h = mxspf__name_key(name, len);
	if ((s = find_slot(ev, name, len, h, type)) != NULL)
		return s;
	if (ev->nslots >= MXSPF_MAX_QUERIES) {
		ev->err = MXSPF_ELIMIT;
		return NULL;
	}
	if (ev->nslots == ev->capslots) {
		size_t ncap = ev->capslots ? ev->capslots * 2 : 16;
		struct slot **ns = arena_alloc(ev, ncap * sizeof(*ns));

		if (ns == NULL)
			return NULL;
		if (ev->nslots > 0)
			memcpy(ns, ev->slots, ev->nslots * sizeof(*ns));
		ev->slots = ns;
		ev->capslots = ncap;
	}
	/* One allocation: the slot, then its name. */
	s = arena_alloc(ev, sizeof(*s) + len + 1);
	if (s == NULL)
		return NULL;
	*s = (struct slot){ .state = SLOT_NEW };
	qname = (char *)(s + 1);
	memcpy(qname, name, len);
	qname[len] = '\0';
	s->q.name = qname;
	s->namelen = len;
	s->key = h;
	s->q.id = (uint32_t)ev->nslots + 1;
	s->q.type = type;
	ev->slots[ev->nslots++] = s;
	ev->unanswered++;
	ev->v.queries++;
	TRACE(ev, "query #%u %s %.253s%s", (unsigned)s->q.id,
	    mxspf_rrtype_name(type), s->q.name,
	    ev->prefetching ? " (speculative)" : "");
	return s;
}

/* need - the answer for (name, type): the slot when answered, else NULL
 * after making sure the query exists (ev->err set on failure) */
static struct slot *
need(struct mxspf_eval *ev, const char *name, uint16_t type)
{
	struct slot *s = ask(ev, name, type);

	return s != NULL && s->state == SLOT_DONE ? s : NULL;
}

/* need_memo - need() for the one lookup of f's record or of its current
 * term, remembered in f so that each re-entry (one per answer) skips the
 * search; every change of record or term forgets it */
static struct slot *
need_memo(struct mxspf_eval *ev, struct frame *f, const char *name,
    uint16_t type)
{
	if (f->slot == NULL && (f->slot = ask(ev, name, type)) == NULL)
		return NULL;
	return f->slot->state == SLOT_DONE ? f->slot : NULL;
}

/* addr_type - the address record type that matches the client */
static uint16_t
addr_type(const struct mxspf_eval *ev)
{
	return ev->ip.family == 4 ? MXSPF_RR_A : MXSPF_RR_AAAA;
}

/* name_slots - ask once for the addresses of the first n names of an MX
 * or PTR answer; the slots are kept with the answer, so re-entry does not
 * search for them again (NULL for a name that cannot be queried).
 * @return the array, or NULL with ev->err set */
static struct slot **
name_slots(struct mxspf_eval *ev, struct slot *s, size_t n)
{
	struct slot **sub;
	size_t i;

	if (s->sub != NULL)
		return s->sub;
	if ((sub = arena_alloc(ev, (n ? n : 1) * sizeof(*sub))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		sub[i] = NULL;
		if (s->name_ok[i] &&
		    (sub[i] = ask(ev, s->names[i], addr_type(ev))) == NULL)
			return NULL;
	}
	return s->sub = sub;
}

/* names_wait - true while one of n name slots has no answer yet */
static bool
names_wait(struct slot *const *sub, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sub[i] != NULL && sub[i]->state != SLOT_DONE)
			return true;
	return false;
}

/* rev_name - the in-addr.arpa / ip6.arpa name of the client into b */
static void
rev_name(const struct mxspf_eval *ev, struct mxspf_buf *b)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	mxspf_buf_reset(b);
	if (ev->ip.family == 4) {
		mxspf_buf_appendf(b, "%u.%u.%u.%u.in-addr.arpa", ev->ip.b[3],
		    ev->ip.b[2], ev->ip.b[1], ev->ip.b[0]);
		return;
	}
	for (i = 15; i >= 0; i--)
		mxspf_buf_appendf(b, "%c.%c.", hex[ev->ip.b[i] & 0xf],
		    hex[ev->ip.b[i] >> 4]);
	mxspf_buf_puts(b, "ip6.arpa");
}

/* dns_failed - true for TIMEOUT and SERVFAIL */
static bool
dns_failed(const struct slot *s)
{
	return s->status == MXSPF_DNS_TIMEOUT ||
	    s->status == MXSPF_DNS_SERVFAIL;
}

/* is_void - an answer with no records (NXDOMAIN, NODATA, empty OK) */
static bool
is_void(const struct slot *s)
{
	return !dns_failed(s) && (s->status != MXSPF_DNS_OK || s->n == 0);
}

/* ---- limits --------------------------------------------------------- */

/* count_term - count a DNS-querying term; false once over the limit */
static bool
count_term(struct mxspf_eval *ev, struct frame *f)
{
	if (f->counted)
		return true;
	f->counted = true;
	if (++ev->v.dns_terms > ev->cfg->max_dns_terms) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_LIMIT,
		    "more than %zu DNS-querying terms (RFC 7208 4.6.4)",
		    ev->cfg->max_dns_terms);
		return false;
	}
	return true;
}

/* void_lookup - count a void lookup; false once over the limit */
static bool
void_lookup(struct mxspf_eval *ev)
{
	if (++ev->v.void_lookups > ev->cfg->max_void_lookups) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_LIMIT,
		    "more than %zu void DNS lookups (RFC 7208 4.6.4)",
		    ev->cfg->max_void_lookups);
		return false;
	}
	return true;
}

/* ---- validated names (s5.5, %{p}) ----------------------------------- */

/* resolve_ptr - compute the validated names of the client once:
 * PTR, then the addresses of at most max_ptr_names names */
static enum step_rc
resolve_ptr(struct mxspf_eval *ev)
{
	struct slot *p, *a, **sub;
	size_t i, n;

	if (ev->ptr == PTR_DONE)
		return R_CONT;
	if (ev->ptr_slot == NULL) {
		rev_name(ev, &ev->tmp);
		if (ev->tmp.err != 0) {
			ev->err = MXSPF_ENOMEM;
			return R_WAIT;
		}
		ev->ptr_slot = ask(ev, mxspf_buf_cstr(&ev->tmp), MXSPF_RR_PTR);
		if (ev->ptr_slot == NULL)
			return R_WAIT;
	}
	p = ev->ptr_slot;
	if (p->state != SLOT_DONE)
		return R_WAIT;
	n = p->status == MXSPF_DNS_OK ? p->n : 0;
	ev->ptr_void = is_void(p);
	if (n > ev->cfg->max_ptr_names)
		n = ev->cfg->max_ptr_names;	/* s4.6.4: ignore the rest */
	if ((sub = name_slots(ev, p, n)) == NULL || names_wait(sub, n))
		return R_WAIT;
	ev->valid = arena_alloc(ev, (n ? n : 1) * sizeof(char *));
	if (ev->valid == NULL)
		return R_WAIT;
	for (i = 0; i < n; i++) {
		size_t j;

		a = sub[i];
		if (a == NULL || a->status != MXSPF_DNS_OK)
			continue;
		for (j = 0; j < a->n; j++) {
			if (mxspf__addr_match(&ev->ip, &a->addrs[j], 128)) {
				ev->valid[ev->nvalid++] = p->names[i];
				break;
			}
		}
	}
	ev->ptr = PTR_DONE;
	TRACE(ev, "validated names of the client: %zu", ev->nvalid);
	return R_CONT;
}

/* subdomain_of - true when name equals dom or ends in "." dom */
static bool
subdomain_of(const char *name, const char *dom)
{
	size_t nl = strlen(name), dl = strlen(dom);

	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (dl > 0 && dom[dl - 1] == '.')
		dl--;
	if (name_eq(name, nl, dom, dl))
		return true;
	return nl > dl && name[nl - dl - 1] == '.' &&
	    name_eq(name + nl - dl, dl, dom, dl);
}

/* pick_ptr - the %{p} value for domain (s7.3) */
static const char *
pick_ptr(const struct mxspf_eval *ev, const char *domain)
{
	size_t i;

	for (i = 0; i < ev->nvalid; i++)
		if (name_eq(ev->valid[i], strlen(ev->valid[i]), domain,
		    strlen(domain)))
			return ev->valid[i];
	for (i = 0; i < ev->nvalid; i++)
		if (subdomain_of(ev->valid[i], domain))
			return ev->valid[i];
	return ev->nvalid > 0 ? ev->valid[0] : "unknown";
}

/* ---- macro expansion ------------------------------------------------ */

/* expand - expand p[0..len) for domain into ev->tmp, resolving %{p}
 * first when it is used.  @return R_CONT with *ok, or R_WAIT */
static enum step_rc
expand(struct mxspf_eval *ev, const char *domain, const char *p, size_t len,
    unsigned flags, bool *ok)
{
	struct mxspf_macro_env env;
	int rc;

	if (memchr(p, '%', len) == NULL && len <= MXSPF_MAX_NAME) {
		/* No macro: the text is the expansion (the common case). */
		mxspf_buf_reset(&ev->tmp);
		mxspf_buf_append(&ev->tmp, p, len);
		*ok = ev->tmp.err == 0;
		if (ev->tmp.err == MXSPF_ENOMEM)
			ev->err = MXSPF_ENOMEM;
		return R_CONT;
	}
	if (mxspf__macro_uses(p, len, 'p') && resolve_ptr(ev) == R_WAIT)
		return R_WAIT;
	memset(&env, 0, sizeof(env));
	env.sender = ev->sender;
	env.local = ev->local;
	env.sender_domain = ev->sender_domain;
	env.domain = domain;
	env.ip = &ev->ip;
	env.helo = ev->helo;
	env.ptr = ev->ptr == PTR_DONE ? pick_ptr(ev, domain) : NULL;
	env.receiver = ev->cfg->receiver;
	env.now = ev->now;
	env.scratch = ev->scratch;
	rc = mxspf__macro_expand(p, len, flags, &env, &ev->tmp);
	*ok = rc == 0;
	if (rc == MXSPF_ENOMEM)
		ev->err = MXSPF_ENOMEM;
	return R_CONT;
}

/* term_target - expand the current term's target domain once: none is
 * the current domain (valid, see struct frame), a literal was expanded
 * and checked when the record was parsed */
static enum step_rc
term_target(struct mxspf_eval *ev, struct frame *f, size_t off, size_t len,
    const struct mxspf__literal *lit)
{
	bool ok;
	char *t;

	if (f->target != NULL)
		return R_CONT;
	if (len == 0) {
		f->target = f->domain;
		f->target_ok = true;
		return R_CONT;
	}
	if (lit->name != NULL) {
		f->target = lit->name;
		f->target_ok = lit->valid;
	} else {
		if (expand(ev, f->domain, f->rec->text + off, len,
		    MXSPF_MACRO_DOMAIN, &ok) == R_WAIT)
			return R_WAIT;
		t = arena_strndup(ev, mxspf_buf_cstr(&ev->tmp), ev->tmp.len);
		if (t == NULL)
			return R_WAIT;
		f->target = t;
		f->target_ok = ok && mxspf__valid_name(t, ev->tmp.len, false);
	}
	if (!f->target_ok)
		TRACE(ev, "target '%.100s' is not a valid domain name",
		    f->target);
	return R_CONT;
}

/* ---- mechanisms ----------------------------------------------------- */

enum match { M_NO, M_YES, M_WAIT, M_END };

/* match_addrs - true when any address of s matches the client */
static bool
match_addrs(const struct mxspf_eval *ev, const struct slot *s,
    const struct mxspf__term *t)
{
	size_t i;

	if (s->status != MXSPF_DNS_OK)
		return false;
	for (i = 0; i < s->n; i++)
		if (mxspf__addr_match(&ev->ip, &s->addrs[i],
		    ev->ip.family == 4 ? t->cidr4 : t->cidr6))
			return true;
	return false;
}

/* lookup_checked - need_memo() plus the common DNS-failure and void rules
 * of a mechanism's first lookup */
static enum match
lookup_checked(struct mxspf_eval *ev, struct frame *f, const char *name,
    uint16_t type, struct slot **out)
{
	struct slot *s = need_memo(ev, f, name, type);

	if (s == NULL)
		return M_WAIT;
	if (dns_failed(s)) {
		fail_eval(ev, MXSPF_TEMPERROR, MXSPF_WHY_DNS,
		    "DNS %s for %s %.100s", mxspf_dns_status_name(s->status),
		    mxspf_rrtype_name(type), name);
		return M_END;
	}
	if (is_void(s))
		return void_lookup(ev) ? M_NO : M_END;
	*out = s;
	return M_YES;
}

/* mech_mx - the mx mechanism (s5.4) */
static enum match
mech_mx(struct mxspf_eval *ev, struct frame *f, const struct mxspf__term *t)
{
	struct slot *mx, *a, **sub;
	size_t i;
	bool err = false;
	enum match m;

	/* Re-entry finds the same slots: the MX lookup is remembered in f,
	 * the address lookups of its names with the MX answer. */
	mx = need_memo(ev, f, f->target, MXSPF_RR_MX);
	if (mx == NULL)
		return M_WAIT;
	if (dns_failed(mx) || is_void(mx)) {
		m = lookup_checked(ev, f, f->target, MXSPF_RR_MX, &mx);
		return m == M_YES ? M_NO : m;
	}
	if (mx->n > ev->cfg->max_mx_names) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_LIMIT,
		    "%.100s has %zu MX records, more than %zu (RFC 7208 "
		    "4.6.4)", f->target, mx->n, ev->cfg->max_mx_names);
		return M_END;
	}
	if ((sub = name_slots(ev, mx, mx->n)) == NULL ||
	    names_wait(sub, mx->n))
		return M_WAIT;
	for (i = 0; i < mx->n; i++) {
		if ((a = sub[i]) == NULL)
			continue;
		if (dns_failed(a))
			err = true;
		else if (match_addrs(ev, a, t))
			return M_YES;
	}
	if (err) {
		fail_eval(ev, MXSPF_TEMPERROR, MXSPF_WHY_DNS,
		    "DNS failure resolving the MX hosts of %.100s", f->target);
		return M_END;
	}
	return M_NO;
}

/* mech_ptr - the ptr mechanism (s5.5) */
static enum match
mech_ptr(struct mxspf_eval *ev, struct frame *f)
{
	size_t i;

	if (resolve_ptr(ev) == R_WAIT)
		return M_WAIT;
	if (ev->ptr_void && !void_lookup(ev))
		return M_END;
	for (i = 0; i < ev->nvalid; i++)
		if (subdomain_of(ev->valid[i], f->target))
			return M_YES;
	return M_NO;
}

/* mech_include - the include mechanism (s5.2): push, then map */
static enum match
mech_include(struct mxspf_eval *ev, struct frame *f)
{
	struct frame *c;

	if (f->child_done) {
		switch (f->child_result) {
		case MXSPF_PASS:
			return M_YES;
		case MXSPF_FAIL:
		case MXSPF_SOFTFAIL:
		case MXSPF_NEUTRAL:
			return M_NO;
		default:	/* errors end the evaluation in the child */
			return M_END;
		}
	}
	if (!f->target_ok) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_INCLUDE_NONE,
		    "include target '%.100s' is not a valid domain",
		    f->target);
		return M_END;
	}
	if (ev->depth >= MXSPF_MAX_DEPTH) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_LIMIT,
		    "include/redirect nesting deeper than %d",
		    MXSPF_MAX_DEPTH);
		return M_END;
	}
	c = &ev->frames[ev->depth++];
	memset(c, 0, sizeof(*c));
	c->domain = f->target;
	c->include = true;
	c->state = F_FETCH;
	TRACE(ev, "include %.100s", f->target);
	return M_WAIT;
}

/* eval_term - one mechanism of f's record */
static enum match
eval_term(struct mxspf_eval *ev, struct frame *f, const struct mxspf__term *t)
{
	struct slot *s = NULL;
	enum match m;

	if (t->mech == MXSPF_MECH_ALL)
		return M_YES;
	if (t->mech == MXSPF_MECH_IP4 || t->mech == MXSPF_MECH_IP6)
		return mxspf__prefix_match(&t->prefix, &ev->ip_prefix) ?
		    M_YES : M_NO;
	if (!count_term(ev, f))
		return M_END;
	if (term_target(ev, f, t->ds_off, t->ds_len, &t->lit) == R_WAIT)
		return M_WAIT;
	if (t->mech == MXSPF_MECH_INCLUDE)
		return mech_include(ev, f);
	if (!f->target_ok)
		return M_NO;	/* no such name can exist */
	switch (t->mech) {
	case MXSPF_MECH_A:
		m = lookup_checked(ev, f, f->target, addr_type(ev), &s);
		return m == M_YES ? (match_addrs(ev, s, t) ? M_YES : M_NO) : m;
	case MXSPF_MECH_EXISTS:
		return lookup_checked(ev, f, f->target, MXSPF_RR_A, &s);
	case MXSPF_MECH_MX:
		return mech_mx(ev, f, t);
	case MXSPF_MECH_PTR:
		return mech_ptr(ev, f);
	default:
		return M_NO;
	}
}

/* ---- frames --------------------------------------------------------- */

/* frame_clear - release a frame's storage */
static void
frame_clear(struct frame *f)
{
	mxspf__record_unref(f->rec);
	memset(f, 0, sizeof(*f));
}

/* next_term - move f to its next mechanism */
static void
next_term(struct frame *f)
{
	f->pc++;
	f->counted = false;
	f->child_done = false;
	f->target = NULL;
	f->target_ok = false;
	f->slot = NULL;
}

/* frame_done - f produced a result (match or default): return it to the
 * including frame, or end the evaluation at the top */
static void
frame_done(struct mxspf_eval *ev, enum mxspf_result r, enum mxspf_reason why)
{
	struct frame *f = &ev->frames[ev->depth - 1];

	TRACE(ev, "%.100s: %s", f->domain, mxspf_result_name(r));
	if (ev->depth > 1) {
		struct frame *p = &ev->frames[ev->depth - 2];

		frame_clear(f);
		ev->depth--;
		p->child_done = true;
		p->child_result = r;
		return;
	}
	ev->v.result = r;
	ev->v.reason = why;
	if (r == MXSPF_FAIL) {
		ev->exp_rec = f->rec;
		mxspf__record_ref(f->rec);
		ev->exp_domain = f->domain;
		ev->phase = PH_EXPLAIN;
	} else {
		ev->phase = PH_DONE;
	}
}

/* prefetch - speculatively ask for the first lookup of later terms, never
 * more than the DNS-term budget left */
static void
prefetch(struct mxspf_eval *ev, struct frame *f)
{

	f->prefetched = true;
	ev->prefetching = true;
	prefetch_terms(ev, f);
	ev->prefetching = false;
}

/* prefetch_terms - the body of prefetch() */
static void
prefetch_terms(struct mxspf_eval *ev, struct frame *f)
{
	const struct mxspf__record *r = f->rec;
	size_t i, budget;
	bool ok;

	if (!ev->cfg->speculative || ev->sync_driver ||
	    ev->v.dns_terms >= ev->cfg->max_dns_terms)
		return;
	budget = ev->cfg->max_dns_terms - ev->v.dns_terms;
	/* Over the whole evaluation, never ask ahead for more terms than
	 * one evaluation may run (nested includes share the budget). */
	if (budget > ev->spec_left)
		budget = ev->spec_left;
	for (i = 0; i <= r->nterms && budget > 0 && ev->err == 0; i++) {
		const struct mxspf__literal *lit;
		size_t off, len;
		uint16_t type;

		if (i == r->nterms) {
			if (!r->has_redirect)
				break;
			ev->spec_left--;
			off = r->redir_off;
			len = r->redir_len;
			lit = &r->redir_lit;
			type = MXSPF_RR_TXT;
		} else {
			const struct mxspf__term *t = &r->terms[i];

			if (t->mech == MXSPF_MECH_ALL)
				break;
			if (!mxspf__mech_queries_dns(t->mech))
				continue;
			budget--;
			ev->spec_left--;
			if (t->mech == MXSPF_MECH_PTR)
				continue;	/* PTR needs no target */
			off = t->ds_off;
			len = t->ds_len;
			lit = &t->lit;
			type = t->mech == MXSPF_MECH_INCLUDE ? MXSPF_RR_TXT :
			    t->mech == MXSPF_MECH_MX ? MXSPF_RR_MX :
			    t->mech == MXSPF_MECH_EXISTS ? MXSPF_RR_A :
			    addr_type(ev);
		}
		if (len == 0) {
			(void)need(ev, f->domain, type);
			continue;
		}
		if (lit->name != NULL) {
			if (lit->valid)
				(void)need(ev, lit->name, type);
			continue;
		}
		if (mxspf__macro_uses(r->text + off, len, 'p'))
			continue;
		(void)expand(ev, f->domain, r->text + off, len,
		    MXSPF_MACRO_DOMAIN, &ok);
		if (ok && mxspf__valid_name(mxspf_buf_cstr(&ev->tmp),
		    ev->tmp.len, false))
			(void)need(ev, mxspf_buf_cstr(&ev->tmp), type);
	}
}

/* do_redirect - the end of f's terms: follow redirect= or end neutral */
static enum step_rc
do_redirect(struct mxspf_eval *ev, struct frame *f)
{
	const struct mxspf__record *r = f->rec;
	char *target;
	bool include;

	if (!r->has_redirect) {
		TRACE(ev, "no mechanism matched");
		frame_done(ev, MXSPF_NEUTRAL, MXSPF_WHY_DEFAULT);
		return R_CONT;
	}
	if (!count_term(ev, f))
		return R_CONT;
	if (term_target(ev, f, r->redir_off, r->redir_len, &r->redir_lit) ==
	    R_WAIT)
		return R_WAIT;
	if (!f->target_ok) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_REDIRECT_NONE,
		    "redirect target '%.100s' is not a valid domain",
		    f->target);
		return R_CONT;
	}
	TRACE(ev, "redirect=%.100s", f->target);
	/* The new domain outlives the record (a literal target is in it). */
	target = arena_strndup(ev, f->target, strlen(f->target));
	if (target == NULL)
		return R_WAIT;
	include = f->include;
	f->target = NULL;
	frame_clear(f);
	f->domain = target;
	f->include = include;
	f->redirected = true;
	f->state = F_FETCH;
	return R_CONT;
}

/* step_terms - evaluate f's mechanisms from f->pc */
static enum step_rc
step_terms(struct mxspf_eval *ev, struct frame *f)
{
	const struct mxspf__term *t;
	enum match m;

	if (!f->prefetched)
		prefetch(ev, f);
	/* Terms that do not match go by here, without a trip through run()
	 * each (most are ip4/ip6, which need no lookup). */
	for (;;) {
		if (f->pc == f->rec->nterms)
			return do_redirect(ev, f);
		t = &f->rec->terms[f->pc];
		m = eval_term(ev, f, t);
		if (m != M_NO || ev->err != 0)
			break;
		TRACE(ev, "%.*s: no match", (int)t->len, f->rec->text + t->off);
		next_term(f);
	}
	switch (m) {
	case M_WAIT:
		return (ev->depth > 0 && &ev->frames[ev->depth - 1] != f) ?
		    R_CONT : R_WAIT;
	case M_END:
		return R_CONT;
	case M_NO:
		TRACE(ev, "%.*s: no match", (int)t->len, f->rec->text + t->off);
		next_term(f);
		return R_CONT;
	case M_YES:
		break;
	}
	TRACE(ev, "%.*s: match", (int)t->len, f->rec->text + t->off);
	if (ev->depth == 1) {
		set_str(ev, &ev->s_mechanism, f->rec->text + t->off, t->len);
		set_str(ev, &ev->s_mech_domain, f->domain, strlen(f->domain));
		ev->v.mech_offset = t->off;
	}
	frame_done(ev, t->qual, MXSPF_WHY_MECHANISM);
	return R_CONT;
}

/* select_record - pick the one SPF record of a TXT answer (s4.5) */
static enum step_rc
select_record(struct mxspf_eval *ev, struct frame *f, const struct slot *s)
{
	size_t i, found = 0, which = 0, err_off = 0;
	const struct txt_rr *t;
	int rc;

	for (i = 0; s->status == MXSPF_DNS_OK && i < s->n; i++) {
		/* A text that spelled a cached record is one. */
		if (s->txts[i].rec != NULL ||
		    mxspf__record_is_spf(s->txts[i].text, s->txts[i].len)) {
			found++;
			which = i;
		}
	}
	if (found == 0) {
		if (!f->include && !f->redirected) {
			TRACE(ev, "no SPF record at %.100s", f->domain);
			set_str(ev, &ev->s_problem, "no SPF record", 13);
			finish(ev, MXSPF_NONE, MXSPF_WHY_NO_RECORD);
		} else {
			fail_eval(ev, MXSPF_PERMERROR, f->include ?
			    MXSPF_WHY_INCLUDE_NONE : MXSPF_WHY_REDIRECT_NONE,
			    "%s target %.100s has no SPF record",
			    f->include ? "include" : "redirect", f->domain);
		}
		return R_CONT;
	}
	if (found > 1) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_MULTIPLE,
		    "%.100s has %zu SPF records", f->domain, found);
		return R_CONT;
	}
	t = &s->txts[which];
	mxspf_buf_reset(&ev->why);
	if (t->rec != NULL) {
		f->rec = t->rec;
		mxspf__record_ref(f->rec);
		rc = 0;
	} else {
		rc = mxspf__ctx_record_src(ev->ctx, t->text, t->len, t->src,
		    t->srclen, &f->rec, &ev->why, &err_off);
	}
	if (rc == MXSPF_ENOMEM || ev->why.err == MXSPF_ENOMEM) {
		ev->err = MXSPF_ENOMEM;
	} else if (rc != 0) {
		fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_SYNTAX,
		    "syntax error in the record of %.100s: %s", f->domain,
		    mxspf_buf_cstr(&ev->why));
		ev->v.mech_offset = err_off;
	} else {
		TRACE(ev, "record of %.100s: %.*s", f->domain,
		    (int)(f->rec->len > 300 ? 300 : f->rec->len),
		    f->rec->text);
		f->state = F_TERMS;
		f->slot = NULL;
	}
	return R_CONT;
}

/* fetch_record - look up and select f's record */
static enum step_rc
fetch_record(struct mxspf_eval *ev, struct frame *f)
{
	struct slot *s = need_memo(ev, f, f->domain, MXSPF_RR_TXT);

	if (s == NULL)
		return R_WAIT;
	if (dns_failed(s)) {
		fail_eval(ev, MXSPF_TEMPERROR, MXSPF_WHY_DNS,
		    "DNS %s for TXT %.100s", mxspf_dns_status_name(s->status),
		    f->domain);
		return R_CONT;
	}
	return select_record(ev, f, s);
}

/* ---- explanation (s6.2) ---------------------------------------------- */

/* set_default_exp - the configured or built-in explanation */
static void
set_default_exp(struct mxspf_eval *ev)
{
	const char *d = ev->cfg->default_exp ? ev->cfg->default_exp :
	    DEFAULT_EXPLANATION;
	size_t bad;
	const char *why;
	bool ok = false;

	if (mxspf__macro_check(d, strlen(d), MXSPF_MACRO_EXP, &bad, &why) == 0)
		(void)expand(ev, ev->exp_domain, d, strlen(d), MXSPF_MACRO_EXP,
		    &ok);
	if (ok)
		set_str(ev, &ev->s_explanation, mxspf_buf_cstr(&ev->tmp),
		    ev->tmp.len);
	else
		set_str(ev, &ev->s_explanation, d, strlen(d));
	ev->phase = PH_DONE;
}

/* explain - fetch and expand the exp= text of the failing record; any
 * problem falls back to the default explanation */
static enum step_rc
explain(struct mxspf_eval *ev)
{
	const struct mxspf__record *r = ev->exp_rec;
	struct slot *s;
	const char *why;
	size_t bad;
	bool ok;
	char *name;

	if (r == NULL || !r->has_exp) {
		set_default_exp(ev);
		return R_CONT;
	}
	if (expand(ev, ev->exp_domain, r->text + r->exp_off, r->exp_len,
	    MXSPF_MACRO_DOMAIN, &ok) == R_WAIT)
		return R_WAIT;
	if (!ok || !mxspf__valid_name(mxspf_buf_cstr(&ev->tmp), ev->tmp.len,
	    false)) {
		set_default_exp(ev);
		return R_CONT;
	}
	name = arena_strndup(ev, mxspf_buf_cstr(&ev->tmp), ev->tmp.len);
	if (name == NULL)
		return R_WAIT;
	s = need(ev, name, MXSPF_RR_TXT);
	if (s == NULL)
		return R_WAIT;
	if (s->status != MXSPF_DNS_OK || s->n != 1 ||
	    mxspf__macro_check(s->txts[0].text, s->txts[0].len,
	    MXSPF_MACRO_EXP, &bad, &why) != 0) {
		set_default_exp(ev);
		return R_CONT;
	}
	if (expand(ev, ev->exp_domain, s->txts[0].text, s->txts[0].len,
	    MXSPF_MACRO_EXP, &ok) == R_WAIT)
		return R_WAIT;
	if (!ok || ev->tmp.len > MXSPF_MAX_EXPLANATION) {
		set_default_exp(ev);
		return R_CONT;
	}
	set_str(ev, &ev->s_explanation, mxspf_buf_cstr(&ev->tmp), ev->tmp.len);
	ev->phase = PH_DONE;
	return R_CONT;
}

/* ---- driving -------------------------------------------------------- */

/* run - advance until done or waiting for an answer */
static int
run(struct mxspf_eval *ev)
{
	while (ev->phase != PH_DONE) {
		enum step_rc rc;

		if (ev->phase == PH_EXPLAIN) {
			rc = explain(ev);
		} else {
			struct frame *f = &ev->frames[ev->depth - 1];

			rc = f->state == F_FETCH ? fetch_record(ev, f) :
			    step_terms(ev, f);
		}
		if (ev->err == MXSPF_ELIMIT) {
			ev->err = 0;
			fail_eval(ev, MXSPF_PERMERROR, MXSPF_WHY_LIMIT,
			    "more than %d DNS queries", MXSPF_MAX_QUERIES);
		}
		if (ev->err != 0)
			return ev->err;
		if (rc == R_WAIT)
			return MXSPF_STEP_QUERY;
	}
	return MXSPF_STEP_DONE;
}

/* is_v4_mapped - true for ::ffff:a.b.c.d */
static bool
is_v4_mapped(const struct mxspf_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

/* The part eval_clear() zeroes runs from cur to the end of frames[0],
 * and frames[] is the last member. */
_Static_assert(offsetof(struct mxspf_eval, cur) <
    offsetof(struct mxspf_eval, frames), "cur comes before frames");
_Static_assert(offsetof(struct mxspf_eval, frames) +
    sizeof(struct frame) * MXSPF_MAX_DEPTH == sizeof(struct mxspf_eval),
    "frames is the last member");

/* eval_clear - make a fresh or reused evaluation object empty */
static void
eval_clear(struct mxspf_eval *ev)
{
	size_t from = offsetof(struct mxspf_eval, cur);

	memset(&ev->cur, 0, offsetof(struct mxspf_eval, frames) -
	    from + sizeof(ev->frames[0]));
	ev->first.used = 0;
	ev->cur = &ev->first;
	mxspf_buf_reset(&ev->trace);
	ev->s_mechanism.set = false;
	ev->s_mech_domain.set = false;
	ev->s_problem.set = false;
	ev->s_explanation.set = false;
}

/* eval_obtain - an empty evaluation object: one the context kept, or a
 * new one (whose first arena chunk is in the same allocation) */
static struct mxspf_eval *
eval_obtain(struct mxspf_ctx *ctx)
{
	struct mxspf_eval *ev = ctx->spare;
	size_t head;

	if (ev != NULL) {
		ctx->spare = ev->next_spare;
		ctx->nspare--;
	} else {
		head = (sizeof(*ev) + _Alignof(max_align_t) - 1) &
		    ~(_Alignof(max_align_t) - 1);
		if ((ev = mxspf__alloc(head + ARENA_FIRST)) == NULL)
			return NULL;
		ev->ctx = ctx;
		ev->cfg = &ctx->cfg;
		ev->first.next = NULL;
		ev->first.data = (char *)ev + head;
		ev->first.cap = ARENA_FIRST;
		mxspf_buf_init(&ev->trace, MXSPF_MAX_TRACE);
		mxspf_buf_init(&ev->tmp, MXSPF_MAX_MACRO_OUT);
		mxspf_buf_init(&ev->scratch[0], MXSPF_MAX_MACRO_OUT);
		mxspf_buf_init(&ev->scratch[1], MXSPF_MAX_MACRO_OUT);
		mxspf_buf_init(&ev->why, 512);
		mxspf_buf_init(&ev->s_mechanism.b, SIZE_MAX);
		mxspf_buf_init(&ev->s_mech_domain.b, SIZE_MAX);
		mxspf_buf_init(&ev->s_problem.b, 1024);
		mxspf_buf_init(&ev->s_explanation.b, SIZE_MAX);
	}
	ev->next_spare = NULL;
	eval_clear(ev);
	return ev;
}

/* eval_release - drop what one evaluation holds: record references and
 * arena chunks beyond the first */
static void
eval_release(struct mxspf_eval *ev)
{
	struct chunk *c, *next;
	size_t i, j;

	/* Frames above depth were cleared when they were popped. */
	for (i = 0; i < ev->depth; i++)
		frame_clear(&ev->frames[i]);
	mxspf__record_unref(ev->exp_rec);
	ev->exp_rec = NULL;
	for (i = 0; i < ev->nslots; i++) {
		struct slot *s = ev->slots[i];

		for (j = 0; j < s->ntxts; j++)
			mxspf__record_unref(s->txts[j].rec);
		s->ntxts = 0;
	}
	for (c = ev->cur; c != &ev->first; c = next) {
		next = c->next;
		free(c);
	}
	ev->cur = &ev->first;
	/* The slots and the stack may live in the chunks just freed: a
	 * second release (eval_destroy of a kept evaluation) must not walk
	 * them again. */
	ev->depth = 0;
	ev->nslots = 0;
}

/* eval_destroy - free an evaluation object and its buffers */
static void
eval_destroy(struct mxspf_eval *ev)
{
	eval_release(ev);
	mxspf_buf_free(&ev->trace);
	mxspf_buf_free(&ev->tmp);
	mxspf_buf_free(&ev->scratch[0]);
	mxspf_buf_free(&ev->scratch[1]);
	mxspf_buf_free(&ev->why);
	mxspf_buf_free(&ev->s_mechanism.b);
	mxspf_buf_free(&ev->s_mech_domain.b);
	mxspf_buf_free(&ev->s_problem.b);
	mxspf_buf_free(&ev->s_explanation.b);
	free(ev);
}

void
mxspf__eval_free_spares(struct mxspf_ctx *ctx)
{
	struct mxspf_eval *ev;

	while ((ev = ctx->spare) != NULL) {
		ctx->spare = ev->next_spare;
		eval_destroy(ev);
	}
	ctx->nspare = 0;
}

/* split_sender - set sender, local-part and domain of the identity
 * (RFC 7208 s4.3: a missing local-part is "postmaster"; the HELO identity
 * and a null reverse-path use postmaster@<helo>) */
static int
split_sender(struct mxspf_eval *ev, const struct mxspf_request *req)
{
	const char *s = req->sender != NULL ? req->sender : "";
	const char *at, *local = "postmaster", *dom;
	size_t llen = strlen("postmaster"), dlen, slen;
	char *p;

	if (req->identity == MXSPF_ID_HELO || s[0] == '\0') {
		dom = ev->helo;
	} else if ((at = strrchr(s, '@')) == NULL) {
		dom = s;
	} else {
		if (at != s) {
			local = s;
			llen = (size_t)(at - s);
		}
		dom = at + 1;
	}
	dlen = strlen(dom);
	slen = llen + 1 + dlen;
	ev->local = arena_strndup(ev, local, llen);
	ev->sender_domain = arena_strndup(ev, dom, dlen);
	ev->sender = p = arena_alloc(ev, slen + 1);
	if (ev->local == NULL || ev->sender_domain == NULL || p == NULL)
		return ev->err;
	memcpy(p, local, llen);
	p[llen] = '@';
	memcpy(p + llen + 1, dom, dlen + 1);
	if (req->identity == MXSPF_ID_HELO)
		ev->identity = ev->helo;
	else
		ev->identity = s[0] != '\0' ? arena_strndup(ev, s, strlen(s)) :
		    ev->sender;
	return ev->identity == NULL ? ev->err : 0;
}

int
mxspf_eval_new(struct mxspf_eval **out, struct mxspf_ctx *ctx,
    const struct mxspf_request *req)
{
	struct mxspf_eval *ev;
	const char *helo;
	size_t helo_len;
	bool mailfrom;
	int rc;

	*out = NULL;
	if (ctx == NULL || req == NULL || (req->client.family != 4 &&
	    req->client.family != 6))
		return MXSPF_EINVAL;
	helo = req->helo != NULL ? req->helo : "";
	helo_len = strlen(helo);
	mailfrom = req->identity == MXSPF_ID_MAILFROM && req->sender != NULL &&
	    req->sender[0] != '\0';
	if (req->sender != NULL && strlen(req->sender) > MXSPF_MAX_IDENTITY)
		return MXSPF_EINVAL;
	if (helo_len > MXSPF_MAX_IDENTITY) {
		/* The HELO name is the identity (or the null sender's):
		 * refuse it.  Otherwise it only feeds %{h}: keep its head. */
		if (!mailfrom)
			return MXSPF_EINVAL;
		helo_len = MXSPF_MAX_IDENTITY;
	}
	if ((ev = eval_obtain(ctx)) == NULL)
		return MXSPF_ENOMEM;
	ev->spec_left = ctx->cfg.max_dns_terms;
	ev->ip = req->client;
	if (ev->ip.family == 6 && is_v4_mapped(&ev->ip)) {
		/* RFC 7208 s5: an IPv4-mapped client is an IPv4 client. */
		memmove(ev->ip.b, ev->ip.b + 12, 4);
		memset(ev->ip.b + 4, 0, 12);
		ev->ip.family = 4;
	}
	mxspf__prefix_make(&ev->ip_prefix, &ev->ip, 128);
	ev->now = req->now;
	ctx->evals++;
	ev->helo = arena_strndup(ev, helo, helo_len);
	if (ev->helo == NULL || (rc = split_sender(ev, req)) != 0) {
		rc = ev->err != 0 ? ev->err : MXSPF_ENOMEM;
		mxspf_eval_free(ev);
		return rc;
	}
	ev->frames[0].domain = ev->sender_domain;
	ev->depth = 1;
	ev->frames[0].state = F_FETCH;
	ev->phase = PH_EVAL;
	if (ev->cfg->trace) {
		char ip[64];

		(void)mxspf_addr_format(&ev->ip, ip, sizeof(ip));
		TRACE(ev, "check_host(%s, %.253s, %.300s)", ip,
		    ev->sender_domain, ev->sender);
	}
	if (!mxspf__valid_name(ev->sender_domain, strlen(ev->sender_domain),
	    true)) {
		TRACE(ev, "'%.100s' is not a valid multi-label domain",
		    ev->sender_domain);
		set_str(ev, &ev->s_problem, "invalid domain", 14);
		finish(ev, MXSPF_NONE, MXSPF_WHY_BAD_DOMAIN);
	}
	if (ev->err != 0) {
		rc = ev->err;
		mxspf_eval_free(ev);
		return rc;
	}
	*out = ev;
	return 0;
}

/* trace_end - the closing lines of the trace, once */
static void
trace_end(struct mxspf_eval *ev)
{
	size_t depth = ev->depth;

	if (ev->traced_end)
		return;
	ev->traced_end = true;
	ev->depth = 1;		/* no indentation */
	TRACE(ev, "result: %s (%s)", mxspf_result_name(ev->v.result),
	    mxspf_reason_name(ev->v.reason));
	TRACE(ev, "counts: dns-terms=%zu void-lookups=%zu queries=%zu",
	    ev->v.dns_terms, ev->v.void_lookups, ev->v.queries);
	ev->depth = depth;
}

int
mxspf_eval_step(struct mxspf_eval *ev)
{
	int rc;

	if (ev->err != 0)
		return ev->err;
	rc = run(ev);
	if (rc == MXSPF_STEP_DONE)
		trace_end(ev);
	if (rc != MXSPF_STEP_QUERY || ev->unanswered > 0)
		return rc;
	/* Waiting with nothing outstanding would hang the driver. */
	fail_eval(ev, MXSPF_TEMPERROR, MXSPF_WHY_DNS,
	    "internal error: evaluation stalled");
	trace_end(ev);
	return MXSPF_STEP_DONE;
}

const struct mxspf_query *
mxspf_eval_next_query(struct mxspf_eval *ev)
{
	while (ev->handout < ev->nslots) {
		struct slot *s = ev->slots[ev->handout++];

		if (s->state == SLOT_NEW) {
			s->state = SLOT_SENT;
			return &s->q;
		}
	}
	return NULL;
}

/* MALFORMED - store_one()'s answer for bad RDATA (distinct from every
 * negative MXSPF_E* code) */
#define MALFORMED 1

/* store_txt - validate and keep a TXT record: the text of the cached
 * record it spells, else a copy in the arena; 0, MALFORMED, or a negative
 * MXSPF_E* */
static int
store_txt(struct mxspf_eval *ev, struct txt_rr *t, const uint8_t *p,
    size_t len)
{
	size_t total;
	char *dst;

	t->src = p;
	t->srclen = len;
	if ((t->rec = mxspf__ctx_record_hint(ev->ctx, p, len)) != NULL) {
		t->text = t->rec->text;
		t->len = t->rec->len;
		return 0;
	}
	if (mxspf__rdata_txt_len(p, len, &total) != 0)
		return MALFORMED;
	/* An over-long text is kept cut (it then fails to parse), so it
	 * still counts when records are selected. */
	if (total > MXSPF_MAX_RECORD)
		total = MXSPF_MAX_RECORD + 1;
	if ((dst = arena_alloc(ev, total + 1)) == NULL)
		return ev->err;
	if (mxspf__rdata_txt_copy(p, len, dst, total + 1) < 0)
		return MALFORMED;
	t->text = dst;
	t->len = total;
	return 0;
}

/* store_one - validate and copy record i of an answer into the arena;
 * 0, MALFORMED, or a negative MXSPF_E* */
static int
store_one(struct mxspf_eval *ev, struct slot *s, size_t i, const uint8_t *p,
    size_t len)
{
	size_t off = 0;
	char *dst;

	switch (s->q.type) {
	case MXSPF_RR_A:
	case MXSPF_RR_AAAA:
		return mxspf__rdata_addr(p, len, s->q.type, &s->addrs[i]) ==
		    0 ? 0 : MALFORMED;
	case MXSPF_RR_TXT:
		return store_txt(ev, &s->txts[i], p, len);
	default:
		if ((dst = arena_alloc(ev, len + 1)) == NULL)
			return ev->err;
		if (s->q.type == MXSPF_RR_MX) {
			if (len < 3)
				return MALFORMED;
			off = 2;	/* the preference does not matter */
		}
		if (mxspf__rdata_name_into(p, len, &off, dst, len + 1) != 0 ||
		    off != len)
			return MALFORMED;
		s->names[i] = dst;
		s->name_ok[i] = mxspf__valid_name(dst, strlen(dst), false);
		return 0;
	}
}

/* store_answer - validate and copy the records of an answer */
static int
store_answer(struct mxspf_eval *ev, struct slot *s,
    const struct mxspf_answer *a)
{
	size_t i, n = a->count > MXSPF_MAX_RRS ? MXSPF_MAX_RRS : a->count;
	int rc = 0;

	if (n == 0)
		return 0;
	if (a->rdata == NULL || a->rdlen == NULL)
		return MALFORMED;
	if (s->q.type == MXSPF_RR_A || s->q.type == MXSPF_RR_AAAA) {
		if ((s->addrs = arena_alloc(ev, n * sizeof(*s->addrs))) ==
		    NULL)
			return ev->err;
	} else if (s->q.type == MXSPF_RR_TXT) {
		if ((s->txts = arena_alloc(ev, n * sizeof(*s->txts))) == NULL)
			return ev->err;
		memset(s->txts, 0, n * sizeof(*s->txts));
		s->ntxts = n;	/* eval_release() drops their records */
	} else if ((s->names = arena_alloc(ev, n * sizeof(char *))) == NULL ||
	    (s->name_ok = arena_alloc(ev, n * sizeof(bool))) == NULL) {
		return ev->err;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (a->rdata[i] == NULL && a->rdlen[i] > 0)
			return MALFORMED;
		rc = store_one(ev, s, i, a->rdata[i], a->rdlen[i]);
		if (rc == 0)
			s->n = i + 1;
	}
	return rc;
}

int
mxspf_eval_answer(struct mxspf_eval *ev, uint32_t id,
    const struct mxspf_answer *ans)
{
	struct slot *s;
	int rc = 0;

	if (ev == NULL || ans == NULL)
		return MXSPF_EINVAL;
	if (id == 0 || id > ev->nslots)
		return MXSPF_ENOENT;
	s = ev->slots[id - 1];
	if (s->state == SLOT_DONE)
		return MXSPF_ENOENT;
	s->state = SLOT_DONE;
	ev->unanswered--;
	s->status = ans->status;
	if ((unsigned)ans->status > MXSPF_DNS_TIMEOUT)
		s->status = MXSPF_DNS_SERVFAIL;
	if (s->status == MXSPF_DNS_OK)
		rc = store_answer(ev, s, ans);
	if (rc == MXSPF_ENOMEM) {
		ev->err = MXSPF_ENOMEM;
		return rc;
	}
	if (rc == MXSPF_ELIMIT) {
		/* Answers too big to hold: the evaluation cannot go on. */
		ev->err = 0;
		s->n = 0;
		fail_eval(ev, MXSPF_TEMPERROR, MXSPF_WHY_LIMIT,
		    "DNS answers exceed %u bytes", ARENA_MAX);
		rc = 0;
	}
	TRACE(ev, "answer #%u %s %.253s: %s, %zu record(s)", (unsigned)id,
	    mxspf_rrtype_name(s->q.type), s->q.name,
	    mxspf_dns_status_name(s->status),
	    s->status == MXSPF_DNS_OK ? s->n : 0);
	if (rc != 0) {
		/* Malformed RDATA: treat as a DNS failure (defer). */
		TRACE(ev, "malformed %s answer for %.100s",
		    mxspf_rrtype_name(s->q.type), s->q.name);
		s->status = MXSPF_DNS_SERVFAIL;
	}
	return 0;
}

void
mxspf_eval_abort(struct mxspf_eval *ev)
{
	if (ev->phase == PH_DONE)
		return;
	fail_eval(ev, MXSPF_TEMPERROR, MXSPF_WHY_DEADLINE,
	    "no answer within the deadline");
	ev->err = 0;
	trace_end(ev);
}

const struct mxspf_verdict *
mxspf_eval_verdict(const struct mxspf_eval *ev)
{
	struct mxspf_eval *e = (struct mxspf_eval *)ev;

	e->v.identity = ev->identity;
	e->v.domain = ev->sender_domain;
	e->v.mechanism = ev->v.reason == MXSPF_WHY_MECHANISM ?
	    vstr_get(&ev->s_mechanism) : NULL;
	e->v.mech_domain = ev->v.reason == MXSPF_WHY_MECHANISM ?
	    vstr_get(&ev->s_mech_domain) : NULL;
	e->v.problem = (ev->v.result == MXSPF_PERMERROR ||
	    ev->v.result == MXSPF_TEMPERROR || ev->v.result == MXSPF_NONE) ?
	    vstr_get(&ev->s_problem) : NULL;
	e->v.explanation = ev->v.result == MXSPF_FAIL ?
	    vstr_get(&ev->s_explanation) : NULL;
	return &ev->v;
}

const char *
mxspf_eval_trace(const struct mxspf_eval *ev)
{
	return mxspf_buf_cstr(&ev->trace);
}

void
mxspf_eval_free(struct mxspf_eval *ev)
{
	struct mxspf_ctx *ctx;

	if (ev == NULL)
		return;
	ctx = ev->ctx;
	ctx->evals--;
	if (ctx->nspare >= EVAL_SPARES) {
		eval_destroy(ev);
		return;
	}
	/* Keep the object (its arena chunk and buffers) for the context's
	 * next evaluation: a check then allocates next to nothing. */
	eval_release(ev);
	ev->next_spare = ctx->spare;
	ctx->spare = ev;
	ctx->nspare++;
}

int
mxspf_eval_run(struct mxspf_eval *ev, mxspf_resolve_fn fn, void *arg)
{
	/* A synchronous resolver answers one query at a time, so queries
	 * asked ahead would only cost: no speculation here. */
	ev->sync_driver = true;
	for (;;) {
		const struct mxspf_query *q;
		int rc = mxspf_eval_step(ev);

		if (rc != MXSPF_STEP_QUERY)
			return rc < 0 ? rc : 0;
		while ((q = mxspf_eval_next_query(ev)) != NULL) {
			fn(arg, ev, q);
			if (ev->slots[q->id - 1]->state != SLOT_DONE) {
				/* A synchronous resolver must answer. */
				mxspf_eval_abort(ev);
				return 0;
			}
		}
	}
}

/* eval_ops_* - struct mxspf_machine_ops adapters of the evaluator */
static int
eval_ops_step(void *obj)
{
	return mxspf_eval_step(obj);
}

static const struct mxspf_query *
eval_ops_next(void *obj)
{
	return mxspf_eval_next_query(obj);
}

static int
eval_ops_answer(void *obj, uint32_t id, const struct mxspf_answer *a)
{
	return mxspf_eval_answer(obj, id, a);
}

static void
eval_ops_abort(void *obj)
{
	mxspf_eval_abort(obj);
}

const struct mxspf_machine_ops mxspf_eval_ops = {
	eval_ops_step, eval_ops_next, eval_ops_answer, eval_ops_abort
};
