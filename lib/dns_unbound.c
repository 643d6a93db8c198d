/* lib/dns_unbound.c - the libunbound DNS driver (include/mxspf/unbound.h).
 *
 * Owns: struct mxspf_ub (one ub_ctx; async work runs in unbound's own
 * thread, callbacks run in the caller's thread inside mxspf_ub_process()),
 * one record per asynchronous query in flight (struct ubq) and one per
 * evaluation it drives (struct ubrun).  Every record is on exactly one
 * list: public queries on ub->queries, an evaluation's queries on its
 * run->queries, runs on ub->runs.  A record is freed when its answer is
 * delivered or when it is cancelled (after ub_cancel unbound never calls
 * back, so nothing waits for a callback that cannot come), never later.
 * Answers are mapped to struct mxspf_answer without looking into the
 * rdata: the evaluator validates rdata itself.  Query names are turned
 * into unbound's text form octet by octet (ub_qname), so no octet of a
 * macro-expanded name can act as zone-file syntax.  Cancelling by id and
 * stopping an evaluation search a list: O(queries) and O(evaluations).
 * Answers unbound gave are also kept in our own cache (lib/anscache.c,
 * bounded, for at most their TTL), consulted before a query is sent to
 * unbound's worker thread: a hit is answered in the caller's thread with
 * no pipe, no thread switch (a public mxspf_ub_query() is never answered
 * from inside the call, so it always goes to unbound).
 *
 * Must not: print (unbound's own log is discarded unless the caller's
 * options ask for it); run a caller's callback from inside a call that
 * returned an error; touch a run or an evaluation after its done
 * callback ran (done may free the evaluation); pass a negative length on.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "mxspf/mxspf.h"
#include "mxspf/unbound.h"
#include "buf.h"
#include "addr.h"
#include "anscache.h"
#include "internal.h"
#include "mxspf_limits.h"

#define UB_CLASS_IN 1
#define UB_RCODE_NXDOMAIN 3
/* Records taken from one answer: a 64 KiB message holds fewer. */
#define UB_MAX_ANSWER_RRS 65535
/* A name without local data, under a reserved zone (see ub_configure). */
#define UB_FINALIZE_NAME "mxspf-finalize.invalid."
/* A query name after escaping: every octet may become "\DDD". */
#define UB_MAX_QNAME (4 * (MXSPF_MAX_NAME + 2))

/* Reserved names that unbound answers locally by default (RFC 6761);
 * test zones live under them, so they are sent to the servers instead.
 * A "transparent" local zone with no data resolves every name normally.
 * ("nodefault" would say the same, but libunbound 1.17 ignores it when
 * it comes through ub_ctx_set_option rather than a config file.) */
static const char *const ub_reserved_zones[] = {
	"test.", "example.", "invalid.", "localhost."
};

struct ubrun;

/* One asynchronous query in flight. */
struct ubq {
	struct mxspf_ub *ub;
	char *name;			/* the question, for the cache */
	uint16_t type;
	struct ubq *prev;
	struct ubq *next;
	int ubid;			/* unbound's async id */
	mxspf_ub_answer_fn cb;		/* public query (run == NULL) */
	void *arg;
	struct ubrun *run;		/* evaluation query: its run */
	uint32_t qid;			/* and the evaluator's query id */
};

/* One machine (an evaluation, a trust lookup, ...) driven by
 * mxspf_ub_drive() or mxspf_ub_eval_start(). */
struct ubrun {
	struct mxspf_ub *ub;
	struct ubrun *prev;
	struct ubrun *next;
	const struct mxspf_machine_ops *ops;
	void *obj;
	mxspf_ub_drive_done_fn done;
	mxspf_ub_done_fn eval_done;	/* mxspf_ub_eval_start's callback */
	void *arg;
	struct ubq *queries;		/* in flight */
	size_t nqueries;
};

struct mxspf_ub {
	struct ub_ctx *ctx;
	struct anscache *cache;		/* NULL: off */
	struct ubq *queries;		/* public queries in flight */
	struct ubrun *runs;		/* evaluations being driven */
	size_t pending;			/* every query in flight */
};

static void ub_seterr(char *, size_t, const char *, const char *, int);
static bool ub_log_option(const char *);
static int ub_configure(struct mxspf_ub *, const struct mxspf_ub_config *,
    char *, size_t);
static int ub_qname(const char *, struct mxspf_buf *);
static enum mxspf_dns_status ub_status(int, const struct ub_result *);
static void ub_answer_fill(struct mxspf_answer *, int,
    const struct ub_result *, const uint8_t ***, size_t **);
static void ub_answer_release(const uint8_t **, size_t *);
static int64_t ub_now(void);
static void ubq_free(struct ubq *);
static void ubq_link(struct ubq **, struct ubq *);
static void ubq_unlink(struct ubq **, struct ubq *);
static int ubq_start(struct mxspf_ub *, const char *, uint16_t,
    struct ubq *);
static void ubq_cancel_all(struct mxspf_ub *, struct ubq **);
static void ubq_callback(void *, int, struct ub_result *);
static void ubrun_unlink(struct ubrun *);
static void ubrun_finish(struct ubrun *, int);
static int ubrun_issue(struct ubrun *);
static void ubrun_drive(struct ubrun *, int);
static void ubrun_answered(struct ubrun *, uint32_t,
    const struct mxspf_answer *);

/* ub_seterr - write "what: unbound's message" into err, when given */
static void
ub_seterr(char *err, size_t errlen, const char *what, const char *arg,
    int ubret)
{
	if (err == NULL || errlen == 0)
		return;
	(void)snprintf(err, errlen, "unbound: %s%s%s: %s", what,
	    arg != NULL ? " " : "", arg != NULL ? arg : "",
	    ub_strerror(ubret));
}

void
mxspf_ub_config_init(struct mxspf_ub_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache_entries = MXSPF_UB_CACHE_ENTRIES;
	cfg->cache_bytes = MXSPF_UB_CACHE_BYTES;
	cfg->cache_max_ttl = MXSPF_UB_CACHE_MAX_TTL;
}

/* ub_now - seconds on the monotonic clock, for the answer cache */
static int64_t
ub_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec;
}

/* ub_log_option - does setting this unbound option ask for its log? */
static bool
ub_log_option(const char *name)
{
	return strcmp(name, "logfile:") == 0 ||
	    strcmp(name, "use-syslog:") == 0 ||
	    strcmp(name, "verbosity:") == 0;
}

/* ub_server_ok - true for "ADDR" or "ADDR@PORT" with an IP address and
 * a port of 1..65535 (unbound itself accepts a bad port and fails later,
 * at query time) */
static bool
ub_server_ok(const char *s)
{
	const char *at = strchr(s, '@');
	struct mxspf_addr a;
	uint64_t port;

	if (mxspf__addr_parse_n(s, at != NULL ? (size_t)(at - s) : strlen(s),
	    0, &a) != 0)
		return false;
	return at == NULL || (mxspf__parse_uint(at + 1, strlen(at + 1), 65535,
	    &port) == 0 && port > 0);
}

/* ub_configure - apply cfg and our fixed options to a fresh ub->ctx */
static int
ub_configure(struct mxspf_ub *ub, const struct mxspf_ub_config *cfg,
    char *err, size_t errlen)
{
	bool logging = false;
	char zone[32];
	size_t i;
	int r;

	if ((r = ub_ctx_async(ub->ctx, 1)) != 0) {
		ub_seterr(err, errlen, "ub_ctx_async", NULL, r);
		return r;
	}
	if ((r = ub_ctx_set_option(ub->ctx, "do-not-query-localhost:",
	    "no")) != 0) {
		ub_seterr(err, errlen, "do-not-query-localhost", NULL, r);
		return r;
	}
	for (i = 0; i < sizeof(ub_reserved_zones) /
	    sizeof(ub_reserved_zones[0]); i++) {
		(void)snprintf(zone, sizeof(zone), "%s transparent",
		    ub_reserved_zones[i]);
		if ((r = ub_ctx_set_option(ub->ctx, "local-zone:",
		    zone)) != 0) {
			ub_seterr(err, errlen, "local-zone", zone, r);
			return r;
		}
	}
	for (i = 0; i < cfg->nforwarders; i++) {
		if (!ub_server_ok(cfg->forwarders[i])) {
			ub_seterr(err, errlen, "forwarder is not ADDR[@PORT]",
			    cfg->forwarders[i], UB_SYNTAX);
			return UB_SYNTAX;
		}
		if ((r = ub_ctx_set_fwd(ub->ctx, cfg->forwarders[i])) != 0) {
			ub_seterr(err, errlen, "forwarder",
			    cfg->forwarders[i], r);
			return r;
		}
	}
	if (cfg->stub_zone != NULL || cfg->stub_addr != NULL) {
		if (cfg->stub_zone == NULL || cfg->stub_addr == NULL) {
			ub_seterr(err, errlen, "stub needs a zone and an "
			    "address", NULL, UB_SYNTAX);
			return UB_SYNTAX;
		}
		if (!ub_server_ok(cfg->stub_addr)) {
			ub_seterr(err, errlen, "stub is not ADDR[@PORT]",
			    cfg->stub_addr, UB_SYNTAX);
			return UB_SYNTAX;
		}
		if ((r = ub_ctx_set_stub(ub->ctx, cfg->stub_zone,
		    cfg->stub_addr, 0)) != 0) {
			ub_seterr(err, errlen, "stub", cfg->stub_addr, r);
			return r;
		}
	} else if (cfg->nforwarders == 0 &&
	    (cfg->resolvconf == NULL || cfg->resolvconf[0] != '\0')) {
		if ((r = ub_ctx_resolvconf(ub->ctx, cfg->resolvconf)) != 0) {
			ub_seterr(err, errlen, "resolv.conf",
			    cfg->resolvconf != NULL ? cfg->resolvconf :
			    "/etc/resolv.conf", r);
			return r;
		}
	}
	if (cfg->trust_anchor_file != NULL &&
	    (r = ub_ctx_add_ta_file(ub->ctx, cfg->trust_anchor_file)) != 0) {
		ub_seterr(err, errlen, "trust anchor",
		    cfg->trust_anchor_file, r);
		return r;
	}
	for (i = 0; cfg->options != NULL && cfg->options[i] != NULL;
	    i += 2) {
		if (cfg->options[i + 1] == NULL) {
			ub_seterr(err, errlen, "option without a value",
			    cfg->options[i], UB_SYNTAX);
			return UB_SYNTAX;
		}
		if ((r = ub_ctx_set_option(ub->ctx, cfg->options[i],
		    cfg->options[i + 1])) != 0) {
			ub_seterr(err, errlen, "option", cfg->options[i], r);
			return r;
		}
		if (ub_log_option(cfg->options[i]))
			logging = true;
	}
	/* The library never prints: unbound's log goes nowhere unless the
	 * caller asked for it. */
	if (!logging && (r = ub_ctx_debugout(ub->ctx, NULL)) != 0) {
		ub_seterr(err, errlen, "ub_ctx_debugout", NULL, r);
		return r;
	}
	/* Finalize now, so that what unbound checks only when it builds its
	 * modules (an unreadable trust anchor, say) fails here and not every
	 * query.  Removing local data that does not exist is the public
	 * API's way to say "finalize". */
	if ((r = ub_ctx_data_remove(ub->ctx, UB_FINALIZE_NAME)) != 0) {
		ub_seterr(err, errlen, cfg->trust_anchor_file != NULL ?
		    "setup with trust anchor" : "setup",
		    cfg->trust_anchor_file, r);
		return r;
	}
	return 0;
}

int
mxspf_ub_new(struct mxspf_ub **out, const struct mxspf_ub_config *cfg,
    char *err, size_t errlen)
{
	struct mxspf_ub_config dflt;
	struct mxspf_ub *ub;
	int r;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL) {
		mxspf_ub_config_init(&dflt);
		cfg = &dflt;
	}
	if ((ub = mxspf__calloc(1, sizeof(*ub))) == NULL) {
		ub_seterr(err, errlen, "context", NULL, UB_NOMEM);
		return MXSPF_ENOMEM;
	}
	if ((ub->ctx = ub_ctx_create()) == NULL) {
		ub_seterr(err, errlen, "ub_ctx_create", NULL, UB_INITFAIL);
		free(ub);
		return MXSPF_EDNS;
	}
	if ((r = ub_configure(ub, cfg, err, errlen)) != 0) {
		ub_ctx_delete(ub->ctx);
		free(ub);
		return r == UB_NOMEM ? MXSPF_ENOMEM : MXSPF_EDNS;
	}
	if (cfg->cache_entries > 0 && cfg->cache_bytes > 0 &&
	    cfg->cache_max_ttl > 0 &&
	    (ub->cache = mxspf__anscache_new(cfg->cache_entries, cfg->cache_bytes,
	    cfg->cache_max_ttl)) == NULL) {
		ub_seterr(err, errlen, "answer cache", NULL, UB_NOMEM);
		ub_ctx_delete(ub->ctx);
		free(ub);
		return MXSPF_ENOMEM;
	}
	*out = ub;
	return 0;
}

void
mxspf_ub_free(struct mxspf_ub *ub)
{
	struct ubrun *run;
	struct ubq *q;

	if (ub == NULL)
		return;
	/* Deleting the context drops every query without a callback. */
	ub_ctx_delete(ub->ctx);
	while ((q = ub->queries) != NULL) {
		ub->queries = q->next;
		ubq_free(q);
	}
	while ((run = ub->runs) != NULL) {
		ub->runs = run->next;
		while ((q = run->queries) != NULL) {
			run->queries = q->next;
			ubq_free(q);
		}
		free(run);
	}
	mxspf__anscache_free(ub->cache);
	free(ub);
}

/* ub_qname - turn an evaluator name into unbound's presentation form:
 * dots separate labels and every other octet is literal, so an octet
 * that unbound's parser would read as syntax (a backslash from a macro
 * expansion, say) is written as \DDD and cannot change the name asked.
 * Empty labels (but one final dot), labels over 63 octets and names
 * over 253 are refused. @return 0, MXSPF_EINVAL or MXSPF_ENOMEM */
static int
ub_qname(const char *name, struct mxspf_buf *b)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i, label = 0;

	for (i = 0; p[i] != '\0'; i++) {
		if (i >= MXSPF_MAX_NAME + 1)
			return MXSPF_EINVAL;
		if (p[i] == '.') {
			if (label == 0)
				return MXSPF_EINVAL;
			label = 0;
			mxspf_buf_putc(b, '.');
			continue;
		}
		if (++label > MXSPF_MAX_LABEL)
			return MXSPF_EINVAL;
		if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_')
			mxspf_buf_putc(b, p[i]);
		else
			mxspf_buf_appendf(b, "\\%03u", (unsigned)p[i]);
	}
	/* "" is no name; "x." is x; 254 octets with a final dot is fine */
	if (i == 0 || (i > MXSPF_MAX_NAME && !(i == MXSPF_MAX_NAME + 1 &&
	    label == 0)))
		return MXSPF_EINVAL;
	return b->err != 0 ? MXSPF_ENOMEM : 0;
}

/* ub_status - the mxspf status of a libunbound result */
static enum mxspf_dns_status
ub_status(int err, const struct ub_result *res)
{
	if (err != 0 || res == NULL || res->bogus)
		return MXSPF_DNS_SERVFAIL;
	if (res->rcode == UB_RCODE_NXDOMAIN || res->nxdomain)
		return MXSPF_DNS_NXDOMAIN;
	if (res->rcode != 0)
		return MXSPF_DNS_SERVFAIL;	/* REFUSED, NOTIMP, ... */
	if (res->havedata && res->data != NULL && res->data[0] != NULL)
		return MXSPF_DNS_OK;
	return MXSPF_DNS_NODATA;
}

/* ub_answer_fill - map a libunbound result to an answer; the rdata
 * arrays (*rdp, *lenp) point into res and must be released with
 * ub_answer_release() before res is freed.  Out of memory, a negative
 * length or an absurd count give SERVFAIL */
static void
ub_answer_fill(struct mxspf_answer *ans, int err, const struct ub_result *res,
    const uint8_t ***rdp, size_t **lenp)
{
	const uint8_t **rd;
	size_t *len;
	size_t i, n;

	memset(ans, 0, sizeof(*ans));
	*rdp = NULL;
	*lenp = NULL;
	ans->status = ub_status(err, res);
	if (res != NULL && err == 0 && res->ttl > 0)
		ans->ttl = (uint32_t)res->ttl;
	if (ans->status != MXSPF_DNS_OK)
		return;
	for (n = 0; n < UB_MAX_ANSWER_RRS && res->data[n] != NULL; n++) {
		if (res->len == NULL || res->len[n] < 0) {
			ans->status = MXSPF_DNS_SERVFAIL;
			return;
		}
	}
	rd = mxspf__calloc(n, sizeof(*rd));
	len = mxspf__calloc(n, sizeof(*len));
	if (rd == NULL || len == NULL) {
		free(rd);
		free(len);
		ans->status = MXSPF_DNS_SERVFAIL;
		return;
	}
	for (i = 0; i < n; i++) {
		rd[i] = (const uint8_t *)res->data[i];
		len[i] = (size_t)res->len[i];
	}
	ans->count = n;
	ans->rdata = rd;
	ans->rdlen = len;
	*rdp = rd;
	*lenp = len;
}

/* ub_answer_release - free the arrays of ub_answer_fill() */
static void
ub_answer_release(const uint8_t **rd, size_t *len)
{
	free(rd);
	free(len);
}

void
mxspf_ub_resolve(void *arg, struct mxspf_eval *ev,
    const struct mxspf_query *q)
{
	struct mxspf_ub *ub = arg;
	struct ub_result *res = NULL;
	struct mxspf_answer ans;
	struct mxspf_buf name;
	const uint8_t **rd;
	size_t *len;
	int64_t now = ub_now();
	int r;

	if (mxspf__anscache_get(ub->cache, q->name, q->type, now, &ans)) {
		(void)mxspf_eval_answer(ev, q->id, &ans);
		return;
	}
	mxspf_buf_init(&name, UB_MAX_QNAME);
	if (ub_qname(q->name, &name) != 0)
		r = UB_SYNTAX;
	else
		r = ub_resolve(ub->ctx, mxspf_buf_cstr(&name), q->type,
		    UB_CLASS_IN, &res);
	mxspf_buf_free(&name);
	ub_answer_fill(&ans, r, res, &rd, &len);
	if (r == 0)
		mxspf__anscache_put(ub->cache, q->name, q->type, now, &ans);
	(void)mxspf_eval_answer(ev, q->id, &ans);
	ub_answer_release(rd, len);
	ub_resolve_free(res);
}

/* ubq_free - free a query record */
static void
ubq_free(struct ubq *q)
{
	free(q->name);
	free(q);
}

/* ubq_link - put q at the head of list */
static void
ubq_link(struct ubq **list, struct ubq *q)
{
	q->prev = NULL;
	q->next = *list;
	if (*list != NULL)
		(*list)->prev = q;
	*list = q;
}

/* ubq_unlink - take q off list */
static void
ubq_unlink(struct ubq **list, struct ubq *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		*list = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

/* ubq_start - send q's question to unbound and put q on its list.
 * @return 0, MXSPF_EINVAL (bad name), MXSPF_ENOMEM or MXSPF_EDNS (q is
 * then not linked) */
static int
ubq_start(struct mxspf_ub *ub, const char *name, uint16_t type,
    struct ubq *q)
{
	struct mxspf_buf qname;
	int r;

	mxspf_buf_init(&qname, UB_MAX_QNAME);
	if ((r = ub_qname(name, &qname)) != 0) {
		mxspf_buf_free(&qname);
		return r;
	}
	if (ub->cache != NULL && (q->name = strdup(name)) == NULL) {
		mxspf_buf_free(&qname);
		return MXSPF_ENOMEM;
	}
	q->type = type;
	q->ub = ub;
	r = ub_resolve_async(ub->ctx, mxspf_buf_cstr(&qname), type,
	    UB_CLASS_IN, q, ubq_callback, &q->ubid);
	mxspf_buf_free(&qname);
	if (r != 0) {
		free(q->name);
		q->name = NULL;
		return r == UB_NOMEM ? MXSPF_ENOMEM : MXSPF_EDNS;
	}
	if (q->run != NULL) {
		ubq_link(&q->run->queries, q);
		q->run->nqueries++;
	} else
		ubq_link(&ub->queries, q);
	ub->pending++;
	return 0;
}

/* ubq_cancel_all - cancel and free every query on list */
static void
ubq_cancel_all(struct mxspf_ub *ub, struct ubq **list)
{
	struct ubq *q;

	while ((q = *list) != NULL) {
		/* UB_NOID only if unbound already forgot it: either way
		 * its callback cannot run any more. */
		(void)ub_cancel(ub->ctx, q->ubid);
		ubq_unlink(list, q);
		if (q->run != NULL)
			q->run->nqueries--;
		ub->pending--;
		ubq_free(q);
	}
}

int
mxspf_ub_query(struct mxspf_ub *ub, const char *name, uint16_t type,
    mxspf_ub_answer_fn cb, void *arg, int *id)
{
	struct ubq *q;
	int r;

	if (id != NULL)
		*id = 0;
	if (ub == NULL || name == NULL || cb == NULL)
		return MXSPF_EINVAL;
	if ((q = mxspf__calloc(1, sizeof(*q))) == NULL)
		return MXSPF_ENOMEM;
	q->cb = cb;
	q->arg = arg;
	if ((r = ubq_start(ub, name, type, q)) != 0) {
		free(q);
		return r;
	}
	if (id != NULL)
		*id = q->ubid;
	return 0;
}

void
mxspf_ub_cancel(struct mxspf_ub *ub, int id)
{
	struct ubq *q;

	if (ub == NULL)
		return;
	/* Only public queries: a stale id never hits an evaluation's. */
	for (q = ub->queries; q != NULL; q = q->next) {
		if (q->ubid == id) {
			(void)ub_cancel(ub->ctx, q->ubid);
			ubq_unlink(&ub->queries, q);
			ub->pending--;
			ubq_free(q);
			return;
		}
	}
}

/* ubq_callback - libunbound's callback: deliver the answer of q */
static void
ubq_callback(void *mydata, int err, struct ub_result *res)
{
	struct ubq *q = mydata;
	struct mxspf_ub *ub = q->ub;
	struct mxspf_answer ans;
	mxspf_ub_answer_fn cb;
	struct ubrun *run;
	const uint8_t **rd;
	size_t *len;
	uint32_t qid;
	void *arg;

	ub_answer_fill(&ans, err, res, &rd, &len);
	if (err == 0 && q->name != NULL)
		mxspf__anscache_put(ub->cache, q->name, q->type, ub_now(), &ans);
	run = q->run;
	if (run != NULL) {
		ubq_unlink(&run->queries, q);
		run->nqueries--;
	} else
		ubq_unlink(&ub->queries, q);
	ub->pending--;
	cb = q->cb;
	arg = q->arg;
	qid = q->qid;
	ubq_free(q);
	/* Nothing below touches q, and nothing after the callbacks touches
	 * ub or run: they may free what they like. */
	if (run != NULL)
		ubrun_answered(run, qid, &ans);
	else
		cb(arg, &ans);
	ub_answer_release(rd, len);
	ub_resolve_free(res);
}

/* ubrun_unlink - take run off its driver's list */
static void
ubrun_unlink(struct ubrun *run)
{
	struct mxspf_ub *ub = run->ub;

	if (run->prev != NULL)
		run->prev->next = run->next;
	else
		ub->runs = run->next;
	if (run->next != NULL)
		run->next->prev = run->prev;
}

/* ubrun_finish - cancel what run still has in flight (speculative
 * queries the verdict did not need), free run, then call done */
static void
ubrun_finish(struct ubrun *run, int err)
{
	mxspf_ub_drive_done_fn done = run->done;
	mxspf_ub_done_fn eval_done = run->eval_done;
	void *obj = run->obj;
	void *arg = run->arg;

	ubq_cancel_all(run->ub, &run->queries);
	ubrun_unlink(run);
	free(run);
	if (eval_done != NULL)
		eval_done(arg, obj, err);
	else
		done(arg, obj, err);
}

/* ubrun_issue - start every query the evaluator hands out.  A query that
 * cannot be started is answered SERVFAIL at once.
 * @return 1 when some were answered at once, 0, or a negative MXSPF_E* */
static int
ubrun_issue(struct ubrun *run)
{
	static const struct mxspf_answer servfail = {
		.status = MXSPF_DNS_SERVFAIL
	};
	const struct mxspf_query *mq;
	struct mxspf_answer hit;
	struct ubq *q;
	int64_t now = run->ub->cache != NULL ? ub_now() : 0;
	int answered = 0, r;

	while ((mq = run->ops->next_query(run->obj)) != NULL) {
		if (mxspf__anscache_get(run->ub->cache, mq->name, mq->type, now,
		    &hit)) {
			/* The entry stays valid: nothing is inserted before
			 * the machine has copied what it keeps. */
			if (run->ops->answer(run->obj, mq->id, &hit) ==
			    MXSPF_ENOMEM)
				return MXSPF_ENOMEM;
			answered = 1;
			continue;
		}
		r = MXSPF_ELIMIT;
		q = NULL;
		if (run->nqueries < MXSPF_MAX_QUERIES &&
		    (q = mxspf__calloc(1, sizeof(*q))) != NULL) {
			q->run = run;
			q->qid = mq->id;
			r = ubq_start(run->ub, mq->name, mq->type, q);
		}
		if (r == 0)
			continue;
		free(q);
		r = run->ops->answer(run->obj, mq->id, &servfail);
		if (r == MXSPF_ENOMEM)
			return r;
		answered = 1;
	}
	return answered;
}

/* ubrun_drive - act on the step result r: finish, or issue queries and
 * step again while some were answered at once */
static void
ubrun_drive(struct ubrun *run, int r)
{
	int n;

	for (;;) {
		if (r < 0) {
			ubrun_finish(run, r);
			return;
		}
		if (r == MXSPF_STEP_DONE) {
			ubrun_finish(run, 0);
			return;
		}
		if ((n = ubrun_issue(run)) < 0) {
			ubrun_finish(run, n);
			return;
		}
		if (n == 0) {
			/* Waiting for nothing would hang: an evaluator bug. */
			if (run->nqueries == 0)
				ubrun_finish(run, MXSPF_ESTATE);
			return;
		}
		r = run->ops->step(run->obj);
	}
}

/* ubrun_answered - feed one answer of run's evaluation, step it on */
static void
ubrun_answered(struct ubrun *run, uint32_t qid, const struct mxspf_answer *a)
{
	int r;

	r = run->ops->answer(run->obj, qid, a);
	if (r == MXSPF_ENOMEM) {
		ubrun_finish(run, r);
		return;
	}
	ubrun_drive(run, run->ops->step(run->obj));
}

/* ub_start - start driving obj; exactly one of done / eval_done is set */
static int
ub_start(struct mxspf_ub *ub, const struct mxspf_machine_ops *ops, void *obj,
    mxspf_ub_drive_done_fn done, mxspf_ub_done_fn eval_done, void *arg)
{
	struct ubrun *run;
	int r;

	if ((run = mxspf__calloc(1, sizeof(*run))) == NULL)
		return MXSPF_ENOMEM;
	if ((r = ops->step(obj)) < 0) {
		free(run);
		return r;
	}
	run->ub = ub;
	run->ops = ops;
	run->obj = obj;
	run->done = done;
	run->eval_done = eval_done;
	run->arg = arg;
	run->next = ub->runs;
	if (ub->runs != NULL)
		ub->runs->prev = run;
	ub->runs = run;
	ubrun_drive(run, r);
	return 0;
}

int
mxspf_ub_drive(struct mxspf_ub *ub, const struct mxspf_machine_ops *ops,
    void *obj, mxspf_ub_drive_done_fn done, void *arg)
{
	if (ub == NULL || ops == NULL || obj == NULL || done == NULL)
		return MXSPF_EINVAL;
	return ub_start(ub, ops, obj, done, NULL, arg);
}

int
mxspf_ub_eval_start(struct mxspf_ub *ub, struct mxspf_eval *ev,
    mxspf_ub_done_fn done, void *arg)
{
	if (ub == NULL || ev == NULL || done == NULL)
		return MXSPF_EINVAL;
	return ub_start(ub, &mxspf_eval_ops, ev, NULL, done, arg);
}

void
mxspf_ub_drive_stop(struct mxspf_ub *ub, void *obj)
{
	struct ubrun *run;

	if (ub == NULL)
		return;
	for (run = ub->runs; run != NULL; run = run->next)
		if (run->obj == obj)
			break;
	if (run == NULL)
		return;		/* not driven (any more): done already ran */
	ubq_cancel_all(ub, &run->queries);
	run->ops->abort(obj);
	ubrun_finish(run, 0);
}

void
mxspf_ub_eval_stop(struct mxspf_ub *ub, struct mxspf_eval *ev)
{
	mxspf_ub_drive_stop(ub, ev);
}

int
mxspf_ub_fd(struct mxspf_ub *ub)
{
	return ub_fd(ub->ctx);
}

int
mxspf_ub_process(struct mxspf_ub *ub)
{
	return ub_process(ub->ctx) == 0 ? 0 : MXSPF_EDNS;
}

size_t
mxspf_ub_pending(const struct mxspf_ub *ub)
{
	return ub->pending;
}
