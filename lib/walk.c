/* lib/walk.c - the walk back along the Received chain to the border client
 * behind the recipient domain's trusted backup MXes (issue 4), as a
 * sans-I/O machine for mxspf-milter.
 *
 * Owns: struct mxspf_walk: a copy of the message's Received, Received-SPF
 * and Authentication-Results headers; one MX-trust lookup (struct
 * mxspf_trust, lib/policy.c: the same rule as mxspfd) per distinct hop
 * address, run one after another since each hop needs the previous
 * verdict, kept as a per-walk cache; the copies of their queries with the
 * lookup's number in the top bits of the id; and the result.
 *
 * The rules are documented with struct mxspf_walk_result in
 * include/mxspf/received.h.
 *
 * Must not: do I/O; read anything below the border hop's Received header
 * (a sender can forge those); trust a hop by any rule but mxspf_trust's;
 * recurse (cached verdicts go through the same step loop).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/received.h"
#include "buf.h"
#include "internal.h"
#include "received.h"

#define WALK_DEFAULT_HOPS 10	/* trusted relays followed by default */
#define WALK_MAX_HOPS 32	/* and at most */
#define WALK_MAX_LOOKUPS (WALK_MAX_HOPS + 1)	/* + the border's */
#define WALK_TAG_SHIFT 24	/* query id: lookup number << 24 | id */
#define WALK_TAG_MASK 0x00ffffffu
#define WALK_WHY_MAX 1024
#define WALK_SHOW 100		/* untrusted text quoted in why */
#define WALK_ERR_MAX 256	/* a parser's reason */

enum wkind { WK_RECEIVED, WK_RSPF, WK_AR };

/* A header the walk reads. */
struct whdr {
	enum wkind kind;
	char *value;		/* NULL: longer than MXSPF_RX_MAX_HEADER */
	size_t len;
	size_t index;		/* in the caller's headers[] */
};

/* One trust lookup, for one address. */
struct wlookup {
	struct mxspf_addr ip;
	struct mxspf_trust *t;
};

/* A query handed out, with its tagged id. */
struct wq {
	struct wq *next;
	struct mxspf_query q;
};

enum wstate { WS_START, WS_RUN, WS_DONE };

struct mxspf_walk {
	struct mxspf_trust_config cfg;	/* points at the copies below */
	struct mxspf_addr *own_addrs;
	char **own_names;
	char *domain, *client_helo;
	struct mxspf_addr client;
	bool have_server;
	struct mxspf_addr server;
	size_t max_hops;
	struct whdr *h;
	size_t nh;
	size_t *rcv;		/* indexes into h[] of the Received headers */
	size_t nrcv;
	size_t k;		/* the hop looked at: h[rcv[k]] */
	struct mxspf_addr writer;	/* the trusted relay that wrote it */
	struct mxspf_received hop;	/* h[rcv[k]], parsed */
	struct wlookup lk[WALK_MAX_LOOKUPS];
	size_t nlk;
	size_t cur;		/* 1 + index of the running lookup; 0 */
	struct wq *qs;
	enum wstate st;
	struct mxspf_walk_result res;
	char *why, *border_helo, *border_rdns, *border_mx;
	int err;
};

static int walk_copy_cfg(struct mxspf_walk *,
    const struct mxspf_trust_config *);
static int walk_copy_headers(struct mxspf_walk *,
    const struct mxspf_walk_request *);
static int walk_finish(struct mxspf_walk *, enum mxspf_walk_outcome,
    const char *, ...) __attribute__((format(printf, 3, 4)));
static bool addr_same(const struct mxspf_addr *, const struct mxspf_addr *);
static bool name_same(const char *, const char *);
static bool own_name(const struct mxspf_walk *, const char *);
static void put_ip(struct mxspf_buf *, const struct mxspf_addr *);
static int walk_parse(struct mxspf_walk *);
static int walk_lookup(struct mxspf_walk *);
static int walk_begin(struct mxspf_walk *);
static int walk_verdict(struct mxspf_walk *,
    const struct mxspf_trust_verdict *);
static int recorded_try(struct mxspf_walk *, size_t, enum wkind,
    const char *, bool *);
static int walk_recorded(struct mxspf_walk *);
static int walk_border(struct mxspf_walk *,
    const struct mxspf_trust_verdict *);

/* ---- setting up ----------------------------------------------------- */

/* walk_copy_cfg - a deep copy of the trust configuration */
static int
walk_copy_cfg(struct mxspf_walk *w, const struct mxspf_trust_config *cfg)
{
	size_t i;

	w->cfg = *cfg;
	w->cfg.own_addrs = NULL;
	w->cfg.own_names = NULL;
	w->cfg.n_own_addrs = 0;
	w->cfg.n_own_names = 0;
	if (cfg->n_own_addrs > 0) {
		w->own_addrs = mxspf__calloc(cfg->n_own_addrs,
		    sizeof(*w->own_addrs));
		if (w->own_addrs == NULL)
			return MXSPF_ENOMEM;
		memcpy(w->own_addrs, cfg->own_addrs,
		    cfg->n_own_addrs * sizeof(*w->own_addrs));
		w->cfg.own_addrs = w->own_addrs;
		w->cfg.n_own_addrs = cfg->n_own_addrs;
	}
	if (cfg->n_own_names > 0) {
		w->own_names = mxspf__calloc(cfg->n_own_names, sizeof(char *));
		if (w->own_names == NULL)
			return MXSPF_ENOMEM;
		w->cfg.own_names = (const char *const *)w->own_names;
		for (i = 0; i < cfg->n_own_names; i++) {
			if (cfg->own_names[i] == NULL)
				return MXSPF_EINVAL;
			w->own_names[i] = mxspf__strdup(cfg->own_names[i]);
			if (w->own_names[i] == NULL)
				return MXSPF_ENOMEM;
			w->cfg.n_own_names++;
		}
	}
	return 0;
}

/* walk_copy_headers - keep the Received, Received-SPF and
 * Authentication-Results headers, in order */
static int
walk_copy_headers(struct mxspf_walk *w, const struct mxspf_walk_request *req)
{
	size_t i, n = 0;

	for (i = 0; i < req->nheaders; i++) {
		const struct mxspf_header *hd = &req->headers[i];

		if (hd->name == NULL || (hd->value == NULL && hd->len > 0))
			return MXSPF_EINVAL;
	}
	w->h = mxspf__calloc(req->nheaders, sizeof(*w->h));
	w->rcv = mxspf__calloc(req->nheaders, sizeof(*w->rcv));
	if (w->h == NULL || w->rcv == NULL)
		return MXSPF_ENOMEM;
	for (i = 0; i < req->nheaders; i++) {
		const struct mxspf_header *hd = &req->headers[i];
		size_t nl = strlen(hd->name);
		struct whdr *c = &w->h[n];

		if (mxspf__strcaseeq_n(hd->name, nl, "Received"))
			c->kind = WK_RECEIVED;
		else if (mxspf__strcaseeq_n(hd->name, nl, "Received-SPF"))
			c->kind = WK_RSPF;
		else if (mxspf__strcaseeq_n(hd->name, nl,
		    "Authentication-Results"))
			c->kind = WK_AR;
		else
			continue;
		c->index = i;
		c->len = hd->len;
		if (hd->len <= MXSPF_RX_MAX_HEADER) {
			c->value = mxspf__memdup(hd->len > 0 ? hd->value : "",
			    hd->len);
			if (c->value == NULL)
				return MXSPF_ENOMEM;
		}
		if (c->kind == WK_RECEIVED)
			w->rcv[w->nrcv++] = n;
		n++;
		w->nh = n;
	}
	return 0;
}

int
mxspf_walk_new(struct mxspf_walk **out, const struct mxspf_trust_config *trust,
    const struct mxspf_walk_request *req)
{
	struct mxspf_walk *w;
	int rc;

	if (out == NULL)
		return MXSPF_EINVAL;
	*out = NULL;
	if (trust == NULL || req == NULL || req->domain == NULL ||
	    (req->client.family != 4 && req->client.family != 6) ||
	    (req->headers == NULL && req->nheaders > 0) ||
	    (trust->n_own_addrs > 0 && trust->own_addrs == NULL) ||
	    (trust->n_own_names > 0 && trust->own_names == NULL))
		return MXSPF_EINVAL;
	if ((w = mxspf__calloc(1, sizeof(*w))) == NULL)
		return MXSPF_ENOMEM;
	w->client = req->client;
	w->writer = req->client;
	if (req->server_addr != NULL) {
		w->have_server = true;
		w->server = *req->server_addr;
	}
	w->max_hops = req->max_hops == 0 ? WALK_DEFAULT_HOPS :
	    req->max_hops > WALK_MAX_HOPS ? WALK_MAX_HOPS : req->max_hops;
	w->domain = mxspf__strdup(req->domain);
	w->client_helo = mxspf__strdup(req->client_helo != NULL ?
	    req->client_helo : "");
	rc = w->domain == NULL || w->client_helo == NULL ? MXSPF_ENOMEM : 0;
	if (rc == 0)
		rc = walk_copy_cfg(w, trust);
	if (rc == 0)
		rc = walk_copy_headers(w, req);
	if (rc != 0) {
		mxspf_walk_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void
mxspf_walk_free(struct mxspf_walk *w)
{
	struct wq *q, *next;
	size_t i;

	if (w == NULL)
		return;
	for (q = w->qs; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	for (i = 0; i < w->nlk; i++)
		mxspf_trust_free(w->lk[i].t);
	for (i = 0; i < w->nh; i++)
		free(w->h[i].value);
	if (w->own_names != NULL)
		for (i = 0; i < w->cfg.n_own_names; i++)
			free(w->own_names[i]);
	mxspf_received_clear(&w->hop);
	free(w->own_names);
	free(w->own_addrs);
	free(w->h);
	free(w->rcv);
	free(w->domain);
	free(w->client_helo);
	free(w->why);
	free(w->border_helo);
	free(w->border_rdns);
	free(w->border_mx);
	free(w);
}

/* ---- helpers -------------------------------------------------------- */

/* walk_finish - end the walk with an outcome and its why line */
static int
walk_finish(struct mxspf_walk *w, enum mxspf_walk_outcome o,
    const char *fmt, ...)
{
	struct mxspf_buf b;
	va_list ap;
	size_t i;

	mxspf_buf_init(&b, WALK_WHY_MAX);
	va_start(ap, fmt);
	mxspf_buf_vappendf(&b, fmt, ap);
	va_end(ap);
	w->st = WS_DONE;
	w->cur = 0;
	w->res.outcome = o;
	w->res.queries = 0;
	for (i = 0; i < w->nlk; i++)
		w->res.queries += mxspf_trust_verdict(w->lk[i].t)->queries;
	free(w->why);
	w->why = b.err == MXSPF_ENOMEM ? NULL : mxspf_buf_steal(&b);
	mxspf_buf_free(&b);
	return w->why == NULL ? MXSPF_ENOMEM : 0;
}

/* addr_same - a and b are the same address */
static bool
addr_same(const struct mxspf_addr *a, const struct mxspf_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

/* name_same - host names equal, ignoring case and one trailing dot */
static bool
name_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb || la == 0)
		return false;
	for (i = 0; i < la; i++)
		if (mxspf__ascii_lower((unsigned char)a[i]) !=
		    mxspf__ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* own_name - name is one of this server's configured names */
static bool
own_name(const struct mxspf_walk *w, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < w->cfg.n_own_names; i++)
		if (name_same(name, w->own_names[i]))
			return true;
	return false;
}

/* put_ip - append an address in text form */
static void
put_ip(struct mxspf_buf *b, const struct mxspf_addr *a)
{
	char ip[64];

	if (mxspf_addr_format(a, ip, sizeof(ip)) != 0)
		mxspf_buf_puts(b, "?");
	else
		mxspf_buf_puts(b, ip);
}

/* ---- the walk ------------------------------------------------------- */

/* walk_parse - parse the hop h[rcv[k]]; an unreadable one ends the walk */
static int
walk_parse(struct mxspf_walk *w)
{
	const struct whdr *hd = &w->h[w->rcv[w->k]];
	struct mxspf_buf b;
	char err[WALK_ERR_MAX];
	int rc;

	mxspf_received_clear(&w->hop);
	if (hd->value == NULL) {
		rc = MXSPF_ESYNTAX;
		(void)snprintf(err, sizeof(err), "header longer than %d bytes",
		    MXSPF_RX_MAX_HEADER);
	} else {
		rc = mxspf_received_parse(hd->value, hd->len, &w->hop, err,
		    sizeof(err));
	}
	if (rc == 0 || rc == MXSPF_ENOMEM)
		return rc;
	mxspf_buf_init(&b, WALK_WHY_MAX);
	put_ip(&b, &w->writer);
	rc = walk_finish(w, MXSPF_WALK_UNPARSEABLE, "Received header %zu "
	    "from the top (written by trusted relay %s): %s", w->k + 1,
	    b.err == 0 ? mxspf_buf_cstr(&b) : "?", err);
	mxspf_buf_free(&b);
	return rc;
}

/* walk_lookup - start (or take from the cache) the trust lookup of the
 * hop's from-IP; the step loop runs it */
static int
walk_lookup(struct mxspf_walk *w)
{
	struct mxspf_trust_request req;
	struct mxspf_trust *t;
	size_t i;
	int rc;

	for (i = 0; i < w->nlk; i++) {
		if (addr_same(&w->lk[i].ip, &w->hop.from_ip)) {
			w->cur = i + 1;	/* done: its verdict is ready */
			return 0;
		}
	}
	if (w->nlk == WALK_MAX_LOOKUPS)
		return walk_finish(w, MXSPF_WALK_TOO_DEEP, "more than %d "
		    "addresses in the Received chain", WALK_MAX_LOOKUPS);
	memset(&req, 0, sizeof(req));
	req.domain = w->domain;
	req.client = w->hop.from_ip;
	req.server_addr = w->have_server ? &w->server : NULL;
	if ((rc = mxspf_trust_new(&t, &w->cfg, &req)) != 0)
		return rc;
	w->lk[w->nlk].ip = w->hop.from_ip;
	w->lk[w->nlk].t = t;
	w->cur = ++w->nlk;
	return 0;
}

/* walk_begin - skip this server's own Received headers at the top and
 * start with the one the connected client wrote */
static int
walk_begin(struct mxspf_walk *w)
{
	int rc;

	w->st = WS_RUN;
	w->res.hops = 1;	/* the connected client */
	if (w->nrcv == 0)
		return walk_finish(w, MXSPF_WALK_UNPARSEABLE, "the message "
		    "has no Received header");
	for (w->k = 0;; w->k++) {
		if (w->k == w->nrcv)
			return walk_finish(w, MXSPF_WALK_UNPARSEABLE, "no "
			    "Received header written by the connected client "
			    "below this server's own");
		if ((rc = walk_parse(w)) != 0 || w->st == WS_DONE)
			return rc;
		if (!addr_same(&w->hop.from_ip, &w->client) &&
		    !own_name(w, w->hop.by))
			break;
	}
	return walk_lookup(w);
}

/* walk_verdict - the trust verdict of the hop's from-IP: follow it, stop
 * at the border, or fail */
static int
walk_verdict(struct mxspf_walk *w, const struct mxspf_trust_verdict *v)
{
	struct mxspf_buf b;
	int rc;

	w->cur = 0;
	if (v->outcome == MXSPF_TRUST_NO)
		return walk_border(w, v);
	mxspf_buf_init(&b, WALK_WHY_MAX);
	put_ip(&b, &w->hop.from_ip);
	if (b.err != 0) {
		mxspf_buf_free(&b);
		return MXSPF_ENOMEM;
	}
	if (v->outcome == MXSPF_TRUST_DNSERR) {
		mxspf_buf_puts(&b, " (Received header ");
		mxspf_buf_appendf(&b, "%zu from the top): ", w->k + 1);
		mxspf_buf_put_escaped(&b, v->why, strlen(v->why), 300);
		rc = b.err != 0 ? MXSPF_ENOMEM : walk_finish(w,
		    MXSPF_WALK_DNSERR, "trust lookup for %s", b.p);
	} else if (w->res.hops == w->max_hops) {
		rc = walk_finish(w, MXSPF_WALK_TOO_DEEP, "more than %zu "
		    "trusted relays (the next one: %s)", w->max_hops, b.p);
	} else if (w->k + 1 == w->nrcv) {
		w->res.hops++;
		rc = walk_finish(w, MXSPF_WALK_UNPARSEABLE, "no Received "
		    "header below the one of trusted relay %s", b.p);
	} else {
		w->res.hops++;
		w->writer = w->hop.from_ip;
		w->k++;
		rc = walk_parse(w);
		if (rc == 0 && w->st != WS_DONE)
			rc = walk_lookup(w);
	}
	mxspf_buf_free(&b);
	return rc;
}

/* recorded_try - read h[i] as a recorded result about the border client
 * (A-R: from authserv-id as, or any but this server's when as is NULL);
 * a MAIL FROM result ends the search (*done), a HELO-only one is kept
 * only if nothing better was found */
static int
recorded_try(struct mxspf_walk *w, size_t i, enum wkind kind, const char *as,
    bool *done)
{
	const struct whdr *hd = &w->h[i];
	struct mxspf_recorded_spf *r = &w->res.recorded;
	struct mxspf__recorded got;
	char id[256];
	int rc;

	if (hd->kind != kind || hd->value == NULL)
		return 0;
	if (kind == WK_AR && as == NULL) {
		rc = mxspf_auth_results_authserv_id(hd->value, hd->len, id,
		    sizeof(id));
		if (rc == MXSPF_ENOMEM)
			return rc;
		if (rc == 0 && own_name(w, id))
			return 0;	/* this server's own */
	}
	rc = mxspf__recorded_spf_parse(kind == WK_RSPF ? "Received-SPF" :
	    "Authentication-Results", hd->value, hd->len, &w->res.border_ip,
	    as, &got);
	if (rc == MXSPF_ENOMEM)
		return rc;
	if (rc != 0 || (r->found && got.helo_only))
		return 0;
	r->found = true;
	r->result = got.result;
	r->header = kind == WK_RSPF ? "Received-SPF" :
	    "Authentication-Results";
	r->index = hd->index;
	*done = !got.helo_only;
	return 0;
}

/* walk_recorded - what the border MX recorded: between its Received
 * header and the next one above (Received-SPF for the border IP, then
 * A-R from border_mx, then any other A-R), else a Received-SPF for the
 * border IP anywhere above; nearest the border's Received header first.
 * A MAIL FROM result ends the search; a HELO-only one stands unless a
 * later pass finds a MAIL FROM one. */
static int
walk_recorded(struct mxspf_walk *w)
{
	size_t hb = w->rcv[w->k], lo = w->k > 0 ? w->rcv[w->k - 1] + 1 : 0;
	size_t pass, i;
	bool done = false;
	int rc;

	for (pass = 0; pass < 4 && !done; pass++) {
		size_t top = pass == 3 ? 0 : lo, bottom = pass == 3 ? lo : hb;

		for (i = bottom; i > top && !done; i--) {
			switch (pass) {
			case 0:
			case 3:
				rc = recorded_try(w, i - 1, WK_RSPF, NULL,
				    &done);
				break;
			case 1:
				rc = recorded_try(w, i - 1, WK_AR,
				    w->border_mx, &done);
				break;
			default:
				rc = recorded_try(w, i - 1, WK_AR, NULL,
				    &done);
				break;
			}
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* walk_border - the hop's from-IP is not trusted: it is the border */
static int
walk_border(struct mxspf_walk *w, const struct mxspf_trust_verdict *v)
{
	const struct mxspf_recorded_spf *r = &w->res.recorded;
	struct mxspf_buf b;
	int rc;

	w->res.border_ip = w->hop.from_ip;
	w->res.border_index = w->h[w->rcv[w->k]].index;
	w->border_helo = mxspf__strdup(w->hop.from_helo);
	w->border_rdns = mxspf__strdup(w->hop.from_rdns);
	w->border_mx = mxspf__strdup(w->hop.by);
	if ((w->hop.from_helo != NULL && w->border_helo == NULL) ||
	    (w->hop.from_rdns != NULL && w->border_rdns == NULL) ||
	    w->border_mx == NULL)
		return MXSPF_ENOMEM;
	if ((rc = walk_recorded(w)) != 0)
		return rc;
	mxspf_buf_init(&b, WALK_WHY_MAX);
	mxspf_buf_puts(&b, "border client ");
	put_ip(&b, &w->res.border_ip);
	mxspf_buf_puts(&b, " (helo ");
	if (w->border_helo != NULL)
		mxspf_buf_put_escaped(&b, w->border_helo,
		    strlen(w->border_helo), WALK_SHOW);
	else
		mxspf_buf_puts(&b, "unknown");
	mxspf_buf_puts(&b, ") accepted by ");
	mxspf_buf_put_escaped(&b, w->border_mx, strlen(w->border_mx),
	    WALK_SHOW);
	mxspf_buf_appendf(&b, " after %zu trusted relay%s; ", w->res.hops,
	    w->res.hops == 1 ? "" : "s");
	if (r->found)
		mxspf_buf_appendf(&b, "it recorded SPF %s (%s)",
		    mxspf_result_name(r->result), r->header);
	else
		mxspf_buf_puts(&b, "it recorded no SPF result");
	mxspf_buf_puts(&b, "; ");
	mxspf_buf_put_escaped(&b, v->why, strlen(v->why), 300);
	rc = b.err == MXSPF_ENOMEM ? MXSPF_ENOMEM :
	    walk_finish(w, MXSPF_WALK_BORDER, "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	return rc;
}

/* ---- the machine ---------------------------------------------------- */

int
mxspf_walk_step(struct mxspf_walk *w)
{
	int rc = 0;

	if (w->err != 0)
		return w->err;
	while (w->st != WS_DONE && rc == 0) {
		struct mxspf_trust *t;

		if (w->st == WS_START) {
			rc = walk_begin(w);
			continue;
		}
		if (w->cur == 0) {
			/* Cannot happen: every path sets cur or ends. */
			rc = walk_finish(w, MXSPF_WALK_UNPARSEABLE, "internal "
			    "error: no lookup running");
			continue;
		}
		t = w->lk[w->cur - 1].t;
		rc = mxspf_trust_step(t);
		if (rc == MXSPF_STEP_QUERY)
			return MXSPF_STEP_QUERY;
		if (rc == MXSPF_STEP_DONE)
			rc = walk_verdict(w, mxspf_trust_verdict(t));
	}
	if (rc < 0)
		return w->err = rc;
	return MXSPF_STEP_DONE;
}

const struct mxspf_query *
mxspf_walk_next_query(struct mxspf_walk *w)
{
	const struct mxspf_query *q;
	struct wq *c;

	if (w->err != 0 || w->st != WS_RUN || w->cur == 0)
		return NULL;
	q = mxspf_trust_next_query(w->lk[w->cur - 1].t);
	if (q == NULL)
		return NULL;
	if (q->id > WALK_TAG_MASK || (c = mxspf__alloc(sizeof(*c))) == NULL) {
		w->err = MXSPF_ENOMEM;
		return NULL;
	}
	c->q = *q;
	c->q.id = ((uint32_t)w->cur << WALK_TAG_SHIFT) | q->id;
	c->next = w->qs;
	w->qs = c;
	return &c->q;
}

int
mxspf_walk_answer(struct mxspf_walk *w, uint32_t id,
    const struct mxspf_answer *ans)
{
	uint32_t tag = id >> WALK_TAG_SHIFT;

	if (w == NULL || ans == NULL)
		return MXSPF_EINVAL;
	if (w->err != 0 || w->st != WS_RUN || tag == 0 || tag != w->cur)
		return MXSPF_ENOENT;	/* no such lookup, or it is over */
	return mxspf_trust_answer(w->lk[tag - 1].t, id & WALK_TAG_MASK, ans);
}

void
mxspf_walk_abort(struct mxspf_walk *w)
{
	struct mxspf_buf b;
	int rc;

	if (w->err != 0 || w->st == WS_DONE)
		return;
	if (w->cur == 0) {
		rc = walk_finish(w, MXSPF_WALK_DNSERR, "aborted before any "
		    "trust lookup");
	} else {
		mxspf_trust_abort(w->lk[w->cur - 1].t);
		mxspf_buf_init(&b, 64);
		put_ip(&b, &w->lk[w->cur - 1].ip);
		rc = b.err != 0 ? MXSPF_ENOMEM : walk_finish(w,
		    MXSPF_WALK_DNSERR, "no answer within the deadline for the "
		    "trust lookup of %s", b.p);
		mxspf_buf_free(&b);
	}
	if (rc != 0)
		w->err = rc;
}

const struct mxspf_walk_result *
mxspf_walk_result(const struct mxspf_walk *w)
{
	struct mxspf_walk *m = (struct mxspf_walk *)w;

	m->res.why = w->why != NULL ? w->why : "";
	m->res.border_helo = w->border_helo;
	m->res.border_rdns = w->border_rdns;
	m->res.border_mx = w->border_mx;
	return &w->res;
}

int
mxspf_walk_run(struct mxspf_walk *w, mxspf_walk_resolve_fn fn, void *arg)
{
	for (;;) {
		const struct mxspf_query *q;
		int rc = mxspf_walk_step(w);

		if (rc != MXSPF_STEP_QUERY)
			return rc < 0 ? rc : 0;
		if ((q = mxspf_walk_next_query(w)) == NULL) {
			if (w->err != 0)
				return w->err;
			mxspf_walk_abort(w);	/* nothing to wait for */
			return w->err;
		}
		do {
			fn(arg, w, q);
		} while ((q = mxspf_walk_next_query(w)) != NULL);
		if (w->err != 0)
			return w->err;
	}
}

void
mxspf_zone_resolve_walk(void *zone, struct mxspf_walk *w,
    const struct mxspf_query *q)
{
	struct mxspf_answer ans;

	mxspf_zone_lookup(zone, q->name, q->type, &ans);
	(void)mxspf_walk_answer(w, q->id, &ans);
}

/* walk_ops_* - struct mxspf_machine_ops adapters */
static int
walk_ops_step(void *obj)
{
	return mxspf_walk_step(obj);
}

static const struct mxspf_query *
walk_ops_next(void *obj)
{
	return mxspf_walk_next_query(obj);
}

static int
walk_ops_answer(void *obj, uint32_t id, const struct mxspf_answer *a)
{
	return mxspf_walk_answer(obj, id, a);
}

static void
walk_ops_abort(void *obj)
{
	mxspf_walk_abort(obj);
}

const struct mxspf_machine_ops mxspf_walk_ops = {
	walk_ops_step, walk_ops_next, walk_ops_answer, walk_ops_abort
};
