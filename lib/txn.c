/* lib/txn.c - one SMTP transaction: per-recipient SPF decisions with
 * MX-derived relay trust (the engine of mxspfd and mxspf-milter).
 *
 * Owns: struct mxspf_txn (the SMTP facts, the SPF verdict computed once
 * for the transaction, the MX-trust lookups cached per recipient domain,
 * and a summary of the decisions for the one trace header) and struct
 * mxspf_rcpt (a sans-I/O machine deciding one recipient).
 *
 * A recipient runs, in this order: exempt networks, configured relays
 * (global and per domain), then the SPF evaluation and the MX-trust lookup
 * of its domain side by side (their queries are handed out together, so a
 * cold check costs the longer of the two, not the sum), then
 * mxspf_policy_decide().  Queries of the sub-machines are tagged in the
 * top bits of their ids so answers find their way back.
 *
 * Must not: do I/O; claim an SPF result for a recipient that was accepted
 * as relayed mail (that result was computed for the relay, not for the
 * original client).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/policy.h"
#include "buf.h"
#include "internal.h"
#include "mxspf_limits.h"

#define TAG_SHIFT 28
#define TAG_MASK 0x0fffffffu
enum tag { TAG_HELO = 1, TAG_MAILFROM = 2, TAG_TRUST = 3 };

#define TXN_MAX_DOMAINS 64	/* trust lookups cached per transaction */
#define TXN_INLINE_QUERIES 16	/* handed-out queries kept in the recipient */
#define TXN_MAX_RCPTS 1000	/* decisions kept for the header */
#define TXN_LOG_MAX 2048

struct mxspf_rcpt;
static void rcpt_abort_lookups(struct mxspf_rcpt *);
static int rcpt_start(struct mxspf_rcpt *);

enum spf_state { SPF_IDLE, SPF_HELO, SPF_MAILFROM, SPF_BOTH, SPF_DONE };

/* A cached trust lookup for one recipient domain. */
struct tcache {
	struct tcache *next;	/* the transaction's list */
	char domain[MXSPF_MAX_NAME + 1];
	struct mxspf_trust *t;
	bool done;
};

/* What the header needs to know of one accepted recipient. */
struct summary {
	char *domain;		/* one allocation with host */
	enum mxspf_relay_reason relay;
	char *host;		/* the client's MX host name, or NULL */
	unsigned pref;
};

struct mxspf_txn {
	struct mxspf_ctx *ctx;
	const struct mxspf_conf *conf;
	struct mxspf_addr client;
	bool have_server;
	struct mxspf_addr server;
	char *helo, *sender, *queue_id;	/* in the struct's block, but a
					 * queue id set later */
	bool queue_id_own;		/* queue_id is its own allocation */
	int64_t now;
	struct mxspf_trust_cache *trust_cache;
	bool exempt;
	enum spf_state spf;
	struct mxspf_eval *helo_ev, *mf_ev;
	bool mf_bad;		/* SPF_BOTH: MAIL FROM cannot be checked */
	bool helo_done;		/* SPF_BOTH: HELO has its verdict (not
				 * fail) */
	const struct mxspf_verdict *verdict;	/* the effective one */
	struct mxspf_verdict synth;	/* when an identity cannot be checked */
	struct mxspf_verdict kept;	/* the verdict, once its evaluations
					 * are freed (strings in keptblk) */
	char *keptblk;
	enum mxspf_identity identity;
	struct tcache *tc;	/* allocated one by one (a finished
				 * recipient keeps pointing at its own) */
	size_t ntc;
	struct summary *sum;
	size_t nsum, capsum;
	bool busy;		/* a recipient is running */
};

/* A query handed out by a recipient, with its tagged id. */
struct rq {
	struct rq *next;
	struct mxspf_query q;
};

enum rphase { RP_START, RP_WAIT, RP_DONE };

struct mxspf_rcpt {
	struct mxspf_txn *txn;
	char *recipient, *domain;	/* in the struct's block */
	const struct mxspf_domain_conf *dconf;
	struct mxspf_policy policy;
	struct tcache *tc;	/* the trust lookup this recipient uses */
	struct tcache own_tc;	/* used when the transaction's cache is
				 * full */
	bool need_spf, need_trust;
	enum rphase phase;
	struct rq *rqs;		/* handed out past rq_inline, kept until
				 * freed */
	struct rq rq_inline[TXN_INLINE_QUERIES];	/* the first ones: a
				 * recipient asks about 10, and allocating
				 * each was a tenth of the daemon's mallocs */
	size_t n_inline;
	struct mxspf_rcpt_result res;
	char *action, *log;
	int err;
};

/* ---- the transaction ------------------------------------------------ */

int
mxspf_txn_new(struct mxspf_txn **out, struct mxspf_ctx *ctx,
    const struct mxspf_conf *conf, const struct mxspf_txn_info *info)
{
	struct mxspf_txn *t;
	const char *helo, *sender, *qid;
	size_t hl, sl, ql;
	char *p;

	*out = NULL;
	if (ctx == NULL || conf == NULL || info == NULL ||
	    (info->client.family != 4 && info->client.family != 6))
		return MXSPF_EINVAL;
	helo = info->helo != NULL ? info->helo : "";
	sender = info->sender != NULL ? info->sender : "";
	qid = info->queue_id != NULL ? info->queue_id : "";
	hl = strlen(helo);
	sl = strlen(sender);
	ql = strlen(qid);
	/* The struct and its three strings in one allocation. */
	if ((t = mxspf__calloc(1, sizeof(*t) + hl + sl + ql + 3)) == NULL)
		return MXSPF_ENOMEM;
	p = (char *)(t + 1);
	t->helo = memcpy(p, helo, hl + 1);
	t->sender = memcpy(p + hl + 1, sender, sl + 1);
	t->queue_id = memcpy(p + hl + sl + 2, qid, ql + 1);
	t->ctx = ctx;
	t->conf = conf;
	t->client = info->client;
	if (info->server_addr != NULL) {
		t->have_server = true;
		t->server = *info->server_addr;
	}
	t->now = info->now;
	t->trust_cache = info->trust_cache;
	t->exempt = mxspf_netlist_match(conf->exempt, &t->client);
	*out = t;
	return 0;
}

void
mxspf_txn_free(struct mxspf_txn *t)
{
	struct tcache *c;
	size_t i;

	if (t == NULL)
		return;
	mxspf_eval_free(t->helo_ev);
	mxspf_eval_free(t->mf_ev);
	free(t->keptblk);
	while ((c = t->tc) != NULL) {
		t->tc = c->next;
		mxspf_trust_free(c->t);
		free(c);
	}
	for (i = 0; i < t->nsum; i++)
		free(t->sum[i].domain);	/* and host, in its block */
	free(t->sum);
	if (t->queue_id_own)
		free(t->queue_id);
	free(t);
}

int
mxspf_txn_set_queue_id(struct mxspf_txn *t, const char *queue_id)
{
	char *q;

	if (queue_id == NULL || queue_id[0] == '\0' ||
	    strcmp(queue_id, t->queue_id) == 0)
		return 0;
	if ((q = mxspf__strdup(queue_id)) == NULL)
		return MXSPF_ENOMEM;
	if (t->queue_id_own)
		free(t->queue_id);
	t->queue_id = q;
	t->queue_id_own = true;
	return 0;
}

/* txn_keep_verdict - copy the finished verdict into the transaction and
 * free its evaluations (their answers and arenas are most of what a
 * transaction holds; a connection keeps its transaction until the next
 * message).  On out of memory the evaluations are simply kept. */
static void
txn_keep_verdict(struct mxspf_txn *t)
{
	const struct mxspf_verdict *v = t->verdict;
	const char *const src[6] = { v->identity, v->domain, v->mechanism,
	    v->mech_domain, v->problem, v->explanation };
	char *dup[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	size_t i, len[6], total = 0;
	char *blk, *p;

	if (v == &t->synth || v == &t->kept)
		return;
	/* One block for the six strings (each NUL-terminated). */
	for (i = 0; i < 6; i++) {
		len[i] = src[i] != NULL ? strlen(src[i]) + 1 : 0;
		total += len[i];
	}
	if ((blk = mxspf__alloc(total > 0 ? total : 1)) == NULL)
		return;
	for (i = 0, p = blk; i < 6; i++) {
		if (src[i] == NULL)
			continue;
		memcpy(p, src[i], len[i]);
		dup[i] = p;
		p += len[i];
	}
	t->kept = *v;
	t->kept.identity = dup[0];
	t->kept.domain = dup[1];
	t->kept.mechanism = dup[2];
	t->kept.mech_domain = dup[3];
	t->kept.problem = dup[4];
	t->kept.explanation = dup[5];
	t->keptblk = blk;
	t->verdict = &t->kept;
	mxspf_eval_free(t->helo_ev);
	mxspf_eval_free(t->mf_ev);
	t->helo_ev = NULL;
	t->mf_ev = NULL;
}

/* txn_eval_new - start an evaluation of one identity */
static int
txn_eval_new(struct mxspf_txn *t, enum mxspf_identity id,
    struct mxspf_eval **out)
{
	struct mxspf_request req;

	memset(&req, 0, sizeof(req));
	req.client = t->client;
	req.sender = t->sender;
	req.helo = t->helo;
	req.identity = id;
	req.now = t->now;
	return mxspf_eval_new(out, t->ctx, &req);
}

/* txn_synth - the transaction's verdict without an evaluation */
static void
txn_synth(struct mxspf_txn *t, enum mxspf_identity id, enum mxspf_result res,
    enum mxspf_reason why, const char *problem)
{
	memset(&t->synth, 0, sizeof(t->synth));
	t->synth.result = res;
	t->synth.reason = why;
	t->synth.problem = problem;
	t->verdict = &t->synth;
	t->identity = id;
	t->spf = SPF_DONE;
}

/* txn_uncheckable - the verdict for an identity the evaluator refuses
 * (longer than it accepts): none, as for a malformed domain (s4.3) */
static void
txn_uncheckable(struct mxspf_txn *t, enum mxspf_identity id)
{
	txn_synth(t, id, MXSPF_NONE, MXSPF_WHY_BAD_DOMAIN,
	    "identity too long to check");
}

/* txn_start_mailfrom - begin the MAIL FROM check; 0 or < 0 */
static int
txn_start_mailfrom(struct mxspf_txn *t)
{
	int rc = txn_eval_new(t, MXSPF_ID_MAILFROM, &t->mf_ev);

	if (rc == MXSPF_EINVAL)
		txn_uncheckable(t, MXSPF_ID_MAILFROM);
	else if (rc == 0)
		t->spf = SPF_MAILFROM;
	return rc == MXSPF_EINVAL ? 0 : rc;
}

/* txn_start_both - the HELO and MAIL FROM checks side by side (their
 * first lookups go out together: one round trip less on a cold cache);
 * the verdict is still the one of the sequence of RFC 7208 s2.3 (see
 * txn_both_step).  0 or < 0 */
static int
txn_start_both(struct mxspf_txn *t)
{
	int rc = txn_eval_new(t, MXSPF_ID_MAILFROM, &t->mf_ev);

	if (rc == MXSPF_EINVAL) {
		t->mf_bad = true;	/* known once HELO has not failed */
		rc = 0;
	}
	if (rc == 0)
		t->spf = SPF_BOTH;
	return rc;
}

/* txn_both_step - step both checks; HELO decides first: its fail is the
 * verdict (the MAIL FROM check is dropped), otherwise the MAIL FROM
 * verdict, once it is there.  @return MXSPF_STEP_*, or < 0 */
static int
txn_both_step(struct mxspf_txn *t)
{
	int hrc, mrc = MXSPF_STEP_DONE;

	if ((hrc = mxspf_eval_step(t->helo_ev)) < 0)
		return hrc;
	if (t->mf_ev != NULL && (mrc = mxspf_eval_step(t->mf_ev)) < 0)
		return mrc;
	if (hrc != MXSPF_STEP_DONE)
		return hrc;
	t->helo_done = true;
	t->verdict = mxspf_eval_verdict(t->helo_ev);
	t->identity = MXSPF_ID_HELO;
	if (t->verdict->result == MXSPF_FAIL) {
		if (t->mf_ev != NULL)
			mxspf_eval_abort(t->mf_ev);	/* asks no more */
		t->spf = SPF_DONE;
		return MXSPF_STEP_DONE;
	}
	if (t->mf_bad) {
		txn_uncheckable(t, MXSPF_ID_MAILFROM);
		return MXSPF_STEP_DONE;
	}
	if (mrc != MXSPF_STEP_DONE)
		return mrc;
	t->verdict = mxspf_eval_verdict(t->mf_ev);
	t->identity = MXSPF_ID_MAILFROM;
	t->spf = SPF_DONE;
	return MXSPF_STEP_DONE;
}

/* txn_spf_step - advance the transaction's SPF verdict: HELO first when
 * configured (a HELO fail is the verdict, RFC 7208 s2.3), then MAIL FROM
 * (the null reverse-path checks postmaster@<helo>: the HELO result is
 * that same check).  With both to check they run side by side.
 * @return MXSPF_STEP_*, or < 0 */
static int
txn_spf_step(struct mxspf_txn *t)
{
	int rc;

	for (;;) {
		switch (t->spf) {
		case SPF_IDLE:
			if (t->conf->check_helo && t->helo[0] != '\0') {
				rc = txn_eval_new(t, MXSPF_ID_HELO,
				    &t->helo_ev);
				if (rc == 0 && t->sender[0] != '\0')
					rc = txn_start_both(t);
				else if (rc == 0)
					t->spf = SPF_HELO;
				else if (rc == MXSPF_EINVAL)
					rc = txn_start_mailfrom(t);
			} else {
				rc = txn_start_mailfrom(t);
			}
			if (rc != 0)
				return rc;
			break;
		case SPF_BOTH:
			return txn_both_step(t);
		case SPF_HELO:
			rc = mxspf_eval_step(t->helo_ev);
			if (rc != MXSPF_STEP_DONE)
				return rc;
			t->verdict = mxspf_eval_verdict(t->helo_ev);
			t->identity = MXSPF_ID_HELO;
			if (t->verdict->result == MXSPF_FAIL ||
			    t->sender[0] == '\0') {
				t->spf = SPF_DONE;
				break;
			}
			if ((rc = txn_start_mailfrom(t)) != 0)
				return rc;
			break;
		case SPF_MAILFROM:
			rc = mxspf_eval_step(t->mf_ev);
			if (rc != MXSPF_STEP_DONE)
				return rc;
			t->verdict = mxspf_eval_verdict(t->mf_ev);
			t->identity = MXSPF_ID_MAILFROM;
			t->spf = SPF_DONE;
			break;
		case SPF_DONE:
			return MXSPF_STEP_DONE;
		}
	}
}

/* txn_trust - the cached trust lookup for domain, made when missing;
 * when the cache is full the lookup goes into spare (owned by the
 * recipient), so no result a finished recipient points to is freed */
static int
txn_trust(struct mxspf_txn *t, const char *domain,
    const struct mxspf_domain_conf *dc, struct tcache *spare,
    struct tcache **out)
{
	struct mxspf_trust_config cfg;
	struct mxspf_trust_request req;
	struct tcache *c;
	size_t len;
	int rc;

	for (c = t->tc; c != NULL; c = c->next) {
		if (strcmp(c->domain, domain) == 0) {
			*out = c;
			return 0;
		}
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = dc != NULL ? dc->trust_mode : t->conf->trust_mode;
	cfg.own_addrs = t->conf->own_addrs;
	cfg.n_own_addrs = t->conf->n_own_addrs;
	cfg.own_names = (const char *const *)t->conf->own_names;
	cfg.n_own_names = t->conf->n_own_names;
	memset(&req, 0, sizeof(req));
	req.domain = domain;
	req.client = t->client;
	req.server_addr = t->have_server ? &t->server : NULL;
	req.cache = t->trust_cache;
	req.now = t->now;
	c = t->ntc < TXN_MAX_DOMAINS ? mxspf__calloc(1, sizeof(*c)) : spare;
	if (c == NULL)
		return MXSPF_ENOMEM;
	memset(c, 0, sizeof(*c));
	len = strlen(domain);
	if (len >= sizeof(c->domain))
		rc = MXSPF_EINVAL;	/* recipient domains are checked */
	else
		rc = mxspf_trust_new(&c->t, &cfg, &req);
	if (rc != 0) {
		if (c != spare)
			free(c);
		else
			memset(c, 0, sizeof(*c));
		return rc;
	}
	memcpy(c->domain, domain, len + 1);
	if (c != spare) {
		c->next = t->tc;
		t->tc = c;
		t->ntc++;
	}
	*out = c;
	return 0;
}

/* txn_summarize - remember an accepted recipient for the header */
static int
txn_summarize(struct mxspf_txn *t, const struct mxspf_rcpt *r)
{
	struct summary *s;

	const struct mxspf_trust_host *h = r->res.trust != NULL ?
	    r->res.trust->client_host : NULL;
	size_t dl, hl;

	if (t->nsum >= TXN_MAX_RCPTS)
		return 0;
	if (t->nsum == t->capsum) {
		size_t ncap = t->capsum ? 2 * t->capsum : 4;

		if ((s = mxspf__realloc(t->sum, ncap * sizeof(*s))) == NULL)
			return MXSPF_ENOMEM;
		t->sum = s;
		t->capsum = ncap;
	}
	s = &t->sum[t->nsum];
	memset(s, 0, sizeof(*s));
	s->relay = r->res.relay;
	/* The domain and the host name in one block (the host after the
	 * domain's NUL). */
	dl = strlen(r->domain);
	hl = h != NULL ? strlen(h->name) : 0;
	if ((s->domain = mxspf__alloc(dl + hl + 2)) == NULL)
		return MXSPF_ENOMEM;
	memcpy(s->domain, r->domain, dl + 1);
	if (h != NULL) {
		s->pref = h->pref;
		s->host = memcpy(s->domain + dl + 1, h->name, hl + 1);
	}
	t->nsum++;
	return 0;
}

/* ---- one recipient -------------------------------------------------- */

/* domain_span - where the domain of an address is: rcpt[*off..+*len)
 * without a final dot
 * @return 0 or MXSPF_EINVAL (no usable domain) */
static int
domain_span(const char *rcpt, size_t rlen, size_t *off, size_t *len)
{
	const char *at = strrchr(rcpt, '@');
	size_t n;

	if (at == NULL || at[1] == '\0')
		return MXSPF_EINVAL;
	n = rlen - (size_t)(at + 1 - rcpt);
	if (n > 0 && at[n] == '.')
		n--;
	if (n == 0 || n > MXSPF_MAX_NAME)
		return MXSPF_EINVAL;
	*off = (size_t)(at + 1 - rcpt);
	*len = n;
	return 0;
}

int
mxspf_rcpt_new(struct mxspf_rcpt **out, struct mxspf_txn *txn,
    const char *recipient)
{
	struct mxspf_rcpt *r;
	size_t rlen, off, dlen, i;

	*out = NULL;
	if (txn == NULL || recipient == NULL)
		return MXSPF_EINVAL;
	rlen = strlen(recipient);
	if (domain_span(recipient, rlen, &off, &dlen) != 0)
		return MXSPF_EINVAL;
	if (txn->busy)
		return MXSPF_ESTATE;
	/* The struct, the recipient and its lower-case domain in one
	 * allocation. */
	if ((r = mxspf__calloc(1, sizeof(*r) + rlen + dlen + 2)) == NULL)
		return MXSPF_ENOMEM;
	r->txn = txn;
	r->recipient = memcpy((char *)(r + 1), recipient, rlen + 1);
	r->domain = r->recipient + rlen + 1;
	for (i = 0; i < dlen; i++)
		r->domain[i] = (char)mxspf__ascii_lower(
		    (unsigned char)recipient[off + i]);
	r->domain[dlen] = '\0';
	r->dconf = mxspf_conf_domain(txn->conf, r->domain);
	r->policy = r->dconf != NULL ? r->dconf->policy : txn->conf->policy;
	r->res.recipient = r->recipient;
	r->res.domain = r->domain;
	txn->busy = true;
	*out = r;
	return 0;
}

/* rcpt_abort_lookups - end the running SPF check (its verdict becomes
 * the transaction's: temperror) and this recipient's trust lookup */
static void
rcpt_abort_lookups(struct mxspf_rcpt *r)
{
	struct mxspf_txn *t = r->txn;

	if (t->spf == SPF_IDLE && r->need_spf) {
		/* Out of time before the check even started (mxspfd: the
		 * recipient waited in line): the temperror the first check
		 * would have given. */
		txn_synth(t, t->conf->check_helo && t->helo[0] != '\0' ?
		    MXSPF_ID_HELO : MXSPF_ID_MAILFROM, MXSPF_TEMPERROR,
		    MXSPF_WHY_DEADLINE, "no answer within the deadline");
	}
	if (t->spf == SPF_BOTH) {
		/* The verdict the sequence would have: HELO's while it was
		 * still running, else MAIL FROM's (a HELO fail ended the
		 * check already). */
		if (!t->helo_done) {
			if (t->mf_ev != NULL)
				mxspf_eval_abort(t->mf_ev);
			t->spf = SPF_HELO;
		} else if (t->mf_bad) {
			txn_uncheckable(t, MXSPF_ID_MAILFROM);
		} else {
			t->spf = SPF_MAILFROM;
		}
	}
	if (t->spf == SPF_HELO || t->spf == SPF_MAILFROM) {
		struct mxspf_eval *ev = t->spf == SPF_HELO ? t->helo_ev :
		    t->mf_ev;

		mxspf_eval_abort(ev);
		t->verdict = mxspf_eval_verdict(ev);
		t->identity = t->spf == SPF_HELO ? MXSPF_ID_HELO :
		    MXSPF_ID_MAILFROM;
		t->spf = SPF_DONE;
	}
	if (r->tc != NULL && !r->tc->done) {
		mxspf_trust_abort(r->tc->t);
		r->tc->done = true;
	}
}

void
mxspf_rcpt_free(struct mxspf_rcpt *r)
{
	struct rq *q, *next;

	if (r == NULL)
		return;
	if (r->phase != RP_DONE) {
		/* Freed while running: the queries handed out for the shared
		 * lookups will never be answered, so end those lookups (with
		 * temperror / DNS error) rather than leave them waiting. */
		rcpt_abort_lookups(r);
		r->txn->busy = false;
	}
	if (r->own_tc.t != NULL)
		mxspf_trust_free(r->own_tc.t);
	/* Nothing can still answer this recipient's queries: the
	 * transaction's verdict need not keep its evaluations. */
	if (r->txn->spf == SPF_DONE && r->txn->verdict != NULL)
		txn_keep_verdict(r->txn);
	for (q = r->rqs; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	free(r->res.decision.text);
	free(r->action);
	free(r->log);
	free(r);		/* and the recipient and domain */
}

/* rcpt_action - the Postfix action text of the decision */
static int
rcpt_action(struct mxspf_rcpt *r)
{
	const struct mxspf_decision *d = &r->res.decision;
	struct mxspf_buf b;

	mxspf_buf_init(&b, 600);
	if (d->act == MXSPF_ACT_ACCEPT) {
		mxspf_buf_puts(&b, "DUNNO");
	} else {
		/* Plain appends: this runs for every recipient, and
		 * vsnprintf costs more than the rest of the line. */
		mxspf_buf_put_uint(&b, (unsigned)d->code);
		mxspf_buf_putc(&b, ' ');
		mxspf_buf_puts(&b, d->status);
		mxspf_buf_putc(&b, ' ');
		mxspf_buf_puts(&b, d->text != NULL ? d->text : "");
	}
	if (b.err == MXSPF_ENOMEM) {
		mxspf_buf_free(&b);
		return MXSPF_ENOMEM;
	}
	r->action = mxspf_buf_steal(&b);
	return r->action == NULL ? MXSPF_ENOMEM : 0;
}

/* rcpt_log - the one log line of the decision (untrusted text escaped) */
static int
rcpt_log(struct mxspf_rcpt *r)
{
	const struct mxspf_txn *t = r->txn;
	const struct mxspf_rcpt_result *res = &r->res;
	struct mxspf_buf b;
	char ip[64];

	/* Plain appends, no vsnprintf: this line is written for every
	 * recipient. */
	mxspf_buf_init(&b, TXN_LOG_MAX);
	(void)mxspf_buf_reserve(&b, 512);
	(void)mxspf_addr_format(&t->client, ip, sizeof(ip));
	mxspf_buf_puts(&b, t->queue_id[0] != '\0' ? t->queue_id : "NOQUEUE");
	mxspf_buf_puts(&b, ": client=");
	mxspf_buf_puts(&b, ip);
	mxspf_buf_puts(&b, " helo=");
	mxspf_buf_put_escaped(&b, t->helo, strlen(t->helo), 100);
	mxspf_buf_puts(&b, " sender=<");
	mxspf_buf_put_escaped(&b, t->sender, strlen(t->sender), 100);
	mxspf_buf_puts(&b, "> rcpt=<");
	mxspf_buf_put_escaped(&b, r->recipient, strlen(r->recipient), 100);
	mxspf_buf_puts(&b, ">");
	if (res->spf != NULL) {
		mxspf_buf_puts(&b, " spf=");
		mxspf_buf_puts(&b, mxspf_result_name(res->spf->result));
		mxspf_buf_puts(&b, res->spf_identity == MXSPF_ID_HELO ?
		    " identity=helo" : " identity=mailfrom");
		if (res->spf->problem != NULL) {
			mxspf_buf_puts(&b, " problem=\"");
			mxspf_buf_put_escaped(&b, res->spf->problem,
			    strlen(res->spf->problem), 100);
			mxspf_buf_putc(&b, '"');
		}
	} else if (res->relay == MXSPF_RELAY_MX) {
		/* Evaluated for the relay, not for the original client: no
		 * result is claimed. */
		mxspf_buf_puts(&b, " spf=not-applied");
	} else {
		mxspf_buf_puts(&b, " spf=not-checked");
	}
	mxspf_buf_puts(&b, " relay=");
	mxspf_buf_puts(&b, mxspf_relay_reason_name(res->relay));
	if (res->trust != NULL) {
		mxspf_buf_puts(&b, res->trust->outcome == MXSPF_TRUST_YES ?
		    " trust=yes (" : res->trust->outcome == MXSPF_TRUST_NO ?
		    " trust=no (" : " trust=dns-error (");
		mxspf_buf_put_escaped(&b, res->trust->why,
		    strlen(res->trust->why), 300);
		mxspf_buf_putc(&b, ')');
	}
	mxspf_buf_puts(&b, " action=");
	mxspf_buf_put_escaped(&b, r->action, strlen(r->action), 300);
	if (res->decision.would_act) {
		mxspf_buf_puts(&b, " (test mode: would ");
		mxspf_buf_puts(&b, mxspf_policy_act_name(res->decision.would));
		mxspf_buf_putc(&b, ')');
	}
	if (b.err == MXSPF_ENOMEM) {
		mxspf_buf_free(&b);
		return MXSPF_ENOMEM;
	}
	r->log = mxspf_buf_steal(&b);
	return r->log == NULL ? MXSPF_ENOMEM : 0;
}

/* rcpt_finish - decide, and write the action and the log line */
static int
rcpt_finish(struct mxspf_rcpt *r)
{
	struct mxspf_txn *t = r->txn;
	const struct mxspf_verdict *spf = NULL;
	int rc;

	if (r->need_trust) {
		r->res.trust = mxspf_trust_verdict(r->tc->t);
		if (r->res.trust->outcome == MXSPF_TRUST_YES)
			r->res.relay = MXSPF_RELAY_MX;
	}
	if (r->need_spf && r->res.relay == MXSPF_RELAY_NONE) {
		spf = t->verdict;
		r->res.spf = spf;
		r->res.spf_identity = t->identity;
	}
	rc = mxspf_policy_decide(&r->policy, spf, r->res.relay, r->res.trust,
	    &r->res.decision);
	if (rc == 0)
		rc = rcpt_action(r);
	if (rc == 0)
		rc = rcpt_log(r);
	if (rc == 0 && r->res.decision.act == MXSPF_ACT_ACCEPT)
		rc = txn_summarize(t, r);
	r->res.action = r->action;
	r->res.log = r->log;
	r->phase = RP_DONE;
	t->busy = false;
	return rc;
}

/* rcpt_start - relay checks, then what must be looked up */
static int
rcpt_start(struct mxspf_rcpt *r)
{
	struct mxspf_txn *t = r->txn;
	enum mxspf_trust_mode mode;
	int rc;

	r->phase = RP_WAIT;
	if (t->exempt) {
		r->res.relay = MXSPF_RELAY_EXEMPT;
		return 0;
	}
	if (mxspf_netlist_match(t->conf->relays, &t->client) ||
	    (r->dconf != NULL &&
	    mxspf_netlist_match(r->dconf->relays, &t->client))) {
		r->res.relay = MXSPF_RELAY_CONFIGURED;
		return 0;
	}
	r->need_spf = true;
	mode = r->dconf != NULL ? r->dconf->trust_mode : t->conf->trust_mode;
	if (mode != MXSPF_TRUST_OFF) {
		if ((rc = txn_trust(t, r->domain, r->dconf, &r->own_tc,
		    &r->tc)) != 0)
			return rc;
		r->need_trust = true;
	}
	return 0;
}

int
mxspf_rcpt_step(struct mxspf_rcpt *r)
{
	int spf = MXSPF_STEP_DONE, tr = MXSPF_STEP_DONE;

	if (r->err != 0)
		return r->err;
	if (r->phase == RP_DONE)
		return MXSPF_STEP_DONE;
	if (r->phase == RP_START && (r->err = rcpt_start(r)) != 0)
		return r->err;
	if (r->need_spf && (spf = txn_spf_step(r->txn)) < 0)
		return r->err = spf;
	if (r->need_trust && !r->tc->done) {
		if ((tr = mxspf_trust_step(r->tc->t)) < 0)
			return r->err = tr;
		r->tc->done = tr == MXSPF_STEP_DONE;
	}
	if (spf == MXSPF_STEP_QUERY || tr == MXSPF_STEP_QUERY)
		return MXSPF_STEP_QUERY;
	if ((r->err = rcpt_finish(r)) != 0)
		return r->err;
	return MXSPF_STEP_DONE;
}

/* rcpt_take - copy a sub-machine's query with a tagged id */
static const struct mxspf_query *
rcpt_take(struct mxspf_rcpt *r, const struct mxspf_query *q, enum tag tag)
{
	struct rq *c;

	if (q->id > TAG_MASK) {
		r->err = MXSPF_ENOMEM;
		return NULL;
	}
	if (r->n_inline < TXN_INLINE_QUERIES) {
		c = &r->rq_inline[r->n_inline++];
	} else if ((c = mxspf__alloc(sizeof(*c))) != NULL) {
		c->next = r->rqs;
		r->rqs = c;
	} else {
		r->err = MXSPF_ENOMEM;
		return NULL;
	}
	c->q = *q;
	c->q.id = ((uint32_t)tag << TAG_SHIFT) | q->id;
	return &c->q;
}

const struct mxspf_query *
mxspf_rcpt_next_query(struct mxspf_rcpt *r)
{
	struct mxspf_txn *t = r->txn;
	const struct mxspf_query *q;

	if (t->helo_ev != NULL && (q = mxspf_eval_next_query(t->helo_ev)))
		return rcpt_take(r, q, TAG_HELO);
	if (t->mf_ev != NULL && (q = mxspf_eval_next_query(t->mf_ev)))
		return rcpt_take(r, q, TAG_MAILFROM);
	if (r->tc != NULL && (q = mxspf_trust_next_query(r->tc->t)))
		return rcpt_take(r, q, TAG_TRUST);
	return NULL;
}

int
mxspf_rcpt_answer(struct mxspf_rcpt *r, uint32_t id,
    const struct mxspf_answer *ans)
{
	struct mxspf_txn *t = r->txn;
	uint32_t sub = id & TAG_MASK;

	switch (id >> TAG_SHIFT) {
	case TAG_HELO:
		return t->helo_ev != NULL ?
		    mxspf_eval_answer(t->helo_ev, sub, ans) : MXSPF_ENOENT;
	case TAG_MAILFROM:
		return t->mf_ev != NULL ?
		    mxspf_eval_answer(t->mf_ev, sub, ans) : MXSPF_ENOENT;
	case TAG_TRUST:
		return r->tc != NULL ?
		    mxspf_trust_answer(r->tc->t, sub, ans) : MXSPF_ENOENT;
	}
	return MXSPF_ENOENT;
}

void
mxspf_rcpt_abort(struct mxspf_rcpt *r)
{
	if (r->phase == RP_DONE || r->err != 0)
		return;
	if (r->phase == RP_START && (r->err = rcpt_start(r)) != 0)
		return;
	rcpt_abort_lookups(r);
	/* Everything it waited for is finished now: decide. */
	(void)mxspf_rcpt_step(r);
}

const struct mxspf_rcpt_result *
mxspf_rcpt_result(const struct mxspf_rcpt *r)
{
	return &r->res;
}

int
mxspf_rcpt_run(struct mxspf_rcpt *r, mxspf_rcpt_resolve_fn fn, void *arg)
{
	for (;;) {
		const struct mxspf_query *q;
		int rc = mxspf_rcpt_step(r);

		if (rc != MXSPF_STEP_QUERY)
			return rc < 0 ? rc : 0;
		if ((q = mxspf_rcpt_next_query(r)) == NULL) {
			if (r->err != 0)
				return r->err;
			mxspf_rcpt_abort(r);	/* nothing to wait for */
			return r->err;
		}
		do {
			fn(arg, r, q);
		} while ((q = mxspf_rcpt_next_query(r)) != NULL);
		if (r->err != 0)
			return r->err;
	}
}

void
mxspf_zone_resolve_rcpt(void *zone, struct mxspf_rcpt *r,
    const struct mxspf_query *q)
{
	struct mxspf_answer ans;

	mxspf_zone_lookup(zone, q->name, q->type, &ans);
	(void)mxspf_rcpt_answer(r, q->id, &ans);
}

/* rcpt_ops_* - struct mxspf_machine_ops adapters */
static int
rcpt_ops_step(void *obj)
{
	return mxspf_rcpt_step(obj);
}

static const struct mxspf_query *
rcpt_ops_next(void *obj)
{
	return mxspf_rcpt_next_query(obj);
}

static int
rcpt_ops_answer(void *obj, uint32_t id, const struct mxspf_answer *a)
{
	return mxspf_rcpt_answer(obj, id, a);
}

static void
rcpt_ops_abort(void *obj)
{
	mxspf_rcpt_abort(obj);
}

const struct mxspf_machine_ops mxspf_rcpt_ops = {
	rcpt_ops_step, rcpt_ops_next, rcpt_ops_answer, rcpt_ops_abort
};

/* ---- the header ----------------------------------------------------- */

/* add_domain - append d to a space-separated list once */
static void
add_domain(struct mxspf_buf *b, const char *d)
{
	const char *p = mxspf_buf_cstr(b);
	size_t n = strlen(d);

	while ((p = strstr(p, d)) != NULL) {
		if ((p == mxspf_buf_cstr(b) || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return;
		p += n;
	}
	if (b->len > 0)
		mxspf_buf_putc(b, ' ');
	mxspf_buf_puts(b, d);
}

int
mxspf_txn_header(struct mxspf_txn *t, char **out)
{
	struct mxspf_header_info info;
	struct mxspf_buf trusted;
	const struct summary *host = NULL;
	bool spf_applied = false, configured = false;
	size_t i;
	int rc;

	*out = NULL;
	if (t->nsum == 0 || t->exempt || t->conf->header == MXSPF_HDR_NONE)
		return 0;
	mxspf_buf_init(&trusted, 1024);
	for (i = 0; i < t->nsum; i++) {
		const struct summary *s = &t->sum[i];

		if (s->relay == MXSPF_RELAY_NONE) {
			spf_applied = true;
		} else if (s->relay == MXSPF_RELAY_MX ||
		    s->relay == MXSPF_RELAY_CONFIGURED) {
			add_domain(&trusted, s->domain);
			if (s->relay == MXSPF_RELAY_CONFIGURED)
				configured = true;
			else if (host == NULL && s->host != NULL)
				host = s;
		}
	}
	if (trusted.err == MXSPF_ENOMEM) {
		mxspf_buf_free(&trusted);
		return MXSPF_ENOMEM;
	}
	memset(&info, 0, sizeof(info));
	info.client = &t->client;
	info.helo = t->helo;
	info.sender = t->sender;
	info.receiver = t->conf->receiver;
	if (spf_applied && t->verdict != NULL) {
		info.verdict = t->verdict;
		info.identity = t->identity;
		info.trusted_for = trusted.len > 0 ? mxspf_buf_cstr(&trusted) :
		    NULL;
		rc = t->conf->header == MXSPF_HDR_AUTH_RESULTS ?
		    mxspf_header_auth_results(&info, t->conf->authserv_id,
		    out) : mxspf_header_received_spf(&info, out);
	} else if (trusted.len > 0) {
		rc = mxspf_header_relay(&info, host == NULL && configured ?
		    "configured" : "mx", host != NULL ? host->host : NULL,
		    host != NULL ? host->pref : 0, mxspf_buf_cstr(&trusted),
		    out);
	} else {
		rc = 0;
	}
	mxspf_buf_free(&trusted);
	return rc;
}
