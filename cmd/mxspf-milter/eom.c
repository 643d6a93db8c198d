/* cmd/mxspf-milter/eom.c - the end of message: remove our forged
 * Authentication-Results, walk the Received chain back to the border
 * client behind trusted MX relays, re-check SPF for it, record what the
 * border recorded, add the headers, and act.
 *
 * Order (each step needs the one before):
 *  1. Remove incoming Authentication-Results headers that carry our
 *     authserv-id (RFC 8601 s5), highest index first so no removal moves
 *     the index of the next -- except the one mxspfd on this host
 *     prepended, when it runs here too (rcpt_checks = no): it is the
 *     first header the milter sees and equals the header the same
 *     decisions give.
 *  2. For each recipient domain the client was trusted for as an MX relay
 *     (at most MILTER_MAX_WALKS): walk the headers (mxspf_walk); on a
 *     border, re-evaluate SPF for (border IP, envelope sender, border
 *     HELO) with an mxspf_eval, once per distinct border.  Each machine
 *     has the [policy] deadline, and the whole end of message
 *     MILTER_EOM_DEADLINES times it.
 *  3. Log each re-check with both verdicts; warn when the border recorded
 *     nothing ("did not check SPF", counted per border MX) or something
 *     else.
 *  4. The action: the most severe over the re-checks (recheck_action):
 *     reject -> smfi_setreply + SMFIS_REJECT (4xx: SMFIS_TEMPFAIL) and no
 *     header changes; quarantine -> smfi_quarantine, and the headers; tag
 *     -> the headers.
 *  5. Headers, top first: per re-check its Received-SPF and
 *     Authentication-Results (or an X-Mxspf-Recheck when there is no
 *     re-check), then, with rcpt_checks, the per-message trace header of
 *     the transaction (as mxspfd's PREPEND).
 *
 * Owns: the walks and evaluations of one end of message (freed here,
 * under the library lock).  Must not: call libmilter with the lock held;
 * act on a walk that found no border other than by tagging (no SPF
 * result exists for the original client then).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "milter.h"

#define EOM_AR_NAME "Authentication-Results"
#define EOM_MAX_HEADERS (2 * MILTER_MAX_WALKS + 1)	/* headers added */

/* One re-check: a walk for one domain and, on a border, an evaluation. */
struct slot {
	struct mxspf_walk *w;
	struct mxspf_eval *ev;
	struct recheck rc;
	bool done;		/* rc is filled */
	bool dup;		/* same border as an earlier slot */
	enum milter_act act;
};

/* The state of one end of message. */
struct eom {
	struct session *s;
	struct milter *m;
	const char *qid;	/* for logs */
	struct mxspf_header *hv;	/* the kept headers, for the walk */
	struct slot slots[MILTER_MAX_WALKS];
	size_t nslots;
	struct timespec budget;	/* the whole end of message */
	char *add[EOM_MAX_HEADERS];	/* headers to insert, top first */
	size_t nadd;
};

static bool prepended_by_mxspfd(struct eom *e);
static void remove_ours(struct eom *e, SMFICTX *ctx);
static int walk_one(struct eom *e, size_t i);
static void eval_one(struct eom *e, struct slot *sl);
static void report(struct eom *e, struct slot *sl);
static void headers_of(struct eom *e, struct slot *sl);
static void add_header(struct eom *e, int rc, char *h, const char *what);
static void txn_header(struct eom *e);
static sfsistat act(struct eom *e, SMFICTX *ctx);
static void insert_all(struct eom *e, SMFICTX *ctx);
static void eom_free(struct eom *e);
static bool same_border(const struct slot *a, const struct slot *b);

/* prepended_by_mxspfd - whether the first header, an A-R with our
 * authserv-id, is the one mxspfd on this host prepended: the same
 * decisions give the same header (rcpt_checks = no and header =
 * authentication-results; mxspfd unfolds it) */
static bool
prepended_by_mxspfd(struct eom *e)
{
	struct msg *g = &e->s->msg;
	const char *value;
	char *h = NULL, *name = NULL;
	bool same = false;
	int rc;

	if (e->s->g->mc.rcpt_checks || g->txn == NULL || g->ar_top == NULL ||
	    g->nar_del == 0 || g->ar_del[0] != 1 ||
	    e->s->g->conf->header != MXSPF_HDR_AUTH_RESULTS)
		return false;
	dns_lock(&e->m->dns);
	rc = mxspf_txn_header(g->txn, &h);
	dns_unlock(&e->m->dns);
	if (rc == 0 && h != NULL && text_header_split(h, &name, &value) == 0)
		same = strcasecmp(name, EOM_AR_NAME) == 0 &&
		    text_same_unfolded(g->ar_top, value);
	free(name);
	free(h);
	return same;
}

/* remove_ours - step 1 */
static void
remove_ours(struct eom *e, SMFICTX *ctx)
{
	struct msg *g = &e->s->msg;
	char name[] = EOM_AR_NAME;
	size_t i, n = 0, first = 0;

	if (prepended_by_mxspfd(e)) {
		first = 1;	/* keep it */
		log_msg(LOG_DEBUG, "%s: the first %s is mxspfd's", e->qid,
		    EOM_AR_NAME);
	}
	for (i = g->nar_del; i-- > first;) {
		if (smfi_chgheader(ctx, name, g->ar_del[i], NULL) ==
		    MI_SUCCESS)
			n++;
	}
	if (g->nar_del > first || g->ar_cut)
		log_msg(LOG_NOTICE, "%s: removed %zu of %zu incoming %s "
		    "headers with our authserv-id%s", e->qid, n,
		    g->nar_del - first, EOM_AR_NAME, g->ar_cut ? " (more than "
		    "the limit: the rest stay)" : "");
	if (n > 0)
		stats_add(&e->m->stats, &e->m->stats.ar_removed, n);
}

/* same_border - two re-checks of the same original client */
static bool
same_border(const struct slot *a, const struct slot *b)
{
	const char *ha = a->rc.border_helo != NULL ? a->rc.border_helo : "";
	const char *hb = b->rc.border_helo != NULL ? b->rc.border_helo : "";

	return a->rc.outcome == MXSPF_WALK_BORDER &&
	    b->rc.outcome == MXSPF_WALK_BORDER &&
	    a->rc.border_ip.family == b->rc.border_ip.family &&
	    memcmp(a->rc.border_ip.b, b->rc.border_ip.b,
	    sizeof(a->rc.border_ip.b)) == 0 && strcmp(ha, hb) == 0;
}

/* walk_one - step 2 for relayed domain i, under the lock; 0 or < 0 */
static int
walk_one(struct eom *e, size_t i)
{
	const struct mxspf_conf *c = e->s->g->conf;
	const struct mxspf_domain_conf *dc;
	const struct mxspf_walk_result *res;
	struct mxspf_trust_config tc;
	struct mxspf_walk_request wr;
	struct slot *sl = &e->slots[i];
	struct timespec dl;
	bool late;
	int rc;

	sl->rc.domain = e->s->msg.relayed[i];
	dc = mxspf_conf_domain(c, sl->rc.domain);
	memset(&tc, 0, sizeof(tc));
	tc.mode = dc != NULL ? dc->trust_mode : c->trust_mode;
	tc.own_addrs = c->own_addrs;
	tc.n_own_addrs = c->n_own_addrs;
	tc.own_names = (const char *const *)c->own_names;
	tc.n_own_names = c->n_own_names;
	memset(&wr, 0, sizeof(wr));
	wr.domain = sl->rc.domain;
	wr.client = e->s->client;
	wr.client_helo = e->s->helo;
	wr.server_addr = e->s->have_server ? &e->s->server : NULL;
	wr.headers = e->hv;
	wr.nheaders = e->s->msg.nhdrs;
	wr.max_hops = e->s->g->mc.max_hops;
	deadline_in(&dl, c->deadline_ms);
	deadline_min(&dl, &e->budget);
	if ((rc = mxspf_walk_new(&sl->w, &tc, &wr)) != 0)
		return rc;
	if ((rc = dns_run(&e->m->dns, &mxspf_walk_ops, sl->w, &dl,
	    &late)) != 0)
		return rc;
	if (late)
		log_msg(LOG_WARNING, "%s: the walk for %s passed its "
		    "deadline", e->qid, sl->rc.domain);
	res = mxspf_walk_result(sl->w);
	sl->rc.outcome = res->outcome;
	sl->rc.why = res->why;
	sl->rc.border_ip = res->border_ip;
	sl->rc.border_helo = res->border_helo;
	sl->rc.border_mx = res->border_mx;
	sl->rc.hops = res->hops;
	sl->rc.recorded = res->recorded;
	sl->done = true;
	return 0;
}

/* eval_one - the re-check of a border, under the lock */
static void
eval_one(struct eom *e, struct slot *sl)
{
	struct mxspf_request req;
	struct timespec dl;
	bool late = false;
	int rc;

	memset(&req, 0, sizeof(req));
	req.client = sl->rc.border_ip;
	req.sender = e->s->msg.sender;
	req.helo = sl->rc.border_helo;
	req.identity = MXSPF_ID_MAILFROM;
	req.now = (int64_t)time(NULL);
	deadline_in(&dl, e->s->g->conf->deadline_ms);
	deadline_min(&dl, &e->budget);
	rc = mxspf_eval_new(&sl->ev, e->s->g->ctx, &req);
	if (rc == MXSPF_EINVAL) {
		sl->rc.error = "the identity is too long to check";
		return;
	}
	if (rc == 0)
		rc = dns_run(&e->m->dns, &mxspf_eval_ops, sl->ev, &dl, &late);
	if (rc != 0) {
		sl->rc.error = mxspf_strerror(rc);
		return;
	}
	if (late)
		log_msg(LOG_WARNING, "%s: the re-check for %s passed its "
		    "deadline (temperror)", e->qid, sl->rc.domain);
	sl->rc.verdict = mxspf_eval_verdict(sl->ev);
}

/* report - step 3: the log lines and counters of a re-check */
static void
report(struct eom *e, struct slot *sl)
{
	struct milter *m = e->m;
	struct mxspf_buf b;
	char ip[64], *line;
	unsigned long n;

	sl->act = recheck_action(&e->s->g->mc, &sl->rc);
	line = recheck_log_line(&sl->rc, sl->act);
	log_msg(LOG_INFO, "%s: %s%s", e->qid, line != NULL ? line :
	    "recheck (no memory for the log line)",
	    sl->dup ? " (same border as above)" : "");
	free(line);
	if (sl->dup)
		return;
	if (sl->rc.verdict == NULL) {
		stats_add(&m->stats, &m->stats.walk_failed, 1);
		return;
	}
	stats_add(&m->stats, &m->stats.rechecks, 1);
	if (mxspf_addr_format(&sl->rc.border_ip, ip, sizeof(ip)) != 0)
		(void)snprintf(ip, sizeof(ip), "?");
	mxspf_buf_init(&b, 512);
	if (sl->rc.border_mx != NULL)
		log_put_untrusted(&b, sl->rc.border_mx,
		    strlen(sl->rc.border_mx));
	else
		mxspf_buf_puts(&b, "?");
	switch (recheck_border_state(&sl->rc)) {
	case RECHECK_BORDER_UNCHECKED:
		n = stats_unchecked(&m->stats, sl->rc.border_mx);
		log_msg(LOG_WARNING, "%s: backup MX %s did not check SPF for "
		    "the original client %s (re-check: %s; unchecked messages "
		    "from it so far: %lu)", e->qid, mxspf_buf_cstr(&b), ip,
		    mxspf_result_name(sl->rc.verdict->result), n);
		break;
	case RECHECK_BORDER_DIFFERS:
		stats_add(&m->stats, &m->stats.disagree, 1);
		log_msg(LOG_WARNING, "%s: backup MX %s recorded SPF %s for "
		    "%s, the re-check says %s", e->qid, mxspf_buf_cstr(&b),
		    mxspf_result_name(sl->rc.recorded.result), ip,
		    mxspf_result_name(sl->rc.verdict->result));
		break;
	case RECHECK_BORDER_AGREES:
		break;
	}
	mxspf_buf_free(&b);
}

/* add_header - keep a header to insert (rc, h: a header writer's
 * result) */
static void
add_header(struct eom *e, int rc, char *h, const char *what)
{
	if (rc != 0 || h == NULL) {
		log_msg(LOG_ERR, "%s: cannot write the %s header: %s", e->qid,
		    what, mxspf_strerror(rc));
		free(h);
		return;
	}
	if (e->nadd >= EOM_MAX_HEADERS) {
		free(h);
		return;
	}
	e->add[e->nadd++] = h;
}

/* headers_of - the headers of one re-check, under the lock */
static void
headers_of(struct eom *e, struct slot *sl)
{
	struct recheck_env env;
	char *h;
	int rc;

	memset(&env, 0, sizeof(env));
	env.client = &e->s->client;
	env.sender = e->s->msg.sender;
	env.receiver = e->s->g->conf->receiver;
	env.authserv_id = e->s->g->conf->authserv_id;
	if (sl->rc.verdict == NULL) {
		rc = recheck_note(&sl->rc, &env, &h);
		add_header(e, rc, h, "X-Mxspf-Recheck");
		return;
	}
	rc = recheck_received_spf(&sl->rc, &env, &h);
	add_header(e, rc, h, "Received-SPF");
	rc = recheck_auth_results(&sl->rc, &env, &h);
	add_header(e, rc, h, "Authentication-Results");
}

/* txn_header - the per-message trace header of the transaction (what
 * mxspfd prepends at DATA), under the lock */
static void
txn_header(struct eom *e)
{
	char *h = NULL;
	int rc;

	rc = mxspf_txn_header(e->s->msg.txn, &h);
	if (rc == 0 && h == NULL)
		return;		/* nothing to record */
	add_header(e, rc, h, "trace");
}

/* act - step 4; SMFIS_CONTINUE unless the message is rejected */
static sfsistat
act(struct eom *e, SMFICTX *ctx)
{
	struct milter *m = e->m;
	const struct slot *worst = NULL;
	const char *code, *status;
	char *text, *reply, *reason, c[8], st[16];
	bool temp;
	size_t i;

	for (i = 0; i < e->nslots; i++) {
		if (!e->slots[i].done || e->slots[i].dup)
			continue;
		if (worst == NULL || e->slots[i].act > worst->act)
			worst = &e->slots[i];
	}
	if (worst == NULL || worst->act == MILTER_ACT_TAG) {
		if (worst != NULL)
			stats_add(&m->stats, &m->stats.tagged, 1);
		return SMFIS_CONTINUE;
	}
	if (worst->act == MILTER_ACT_QUARANTINE) {
		reason = recheck_quarantine_reason(&worst->rc);
		if (reason == NULL || smfi_quarantine(ctx, reason) !=
		    MI_SUCCESS) {
			log_msg(LOG_ERR, "%s: quarantine failed (does the MTA "
			    "support it?); the message is only tagged",
			    e->qid);
		} else {
			log_msg(LOG_NOTICE, "%s: quarantined: %s", e->qid,
			    reason);
			stats_add(&m->stats, &m->stats.quarantined, 1);
		}
		free(reason);
		return SMFIS_CONTINUE;
	}
	text = recheck_reply(&worst->rc, &code, &status, &temp);
	reply = text != NULL ? text_reply(text) : NULL;
	free(text);
	(void)snprintf(c, sizeof(c), "%s", code);
	(void)snprintf(st, sizeof(st), "%s", status);
	if (reply != NULL)
		(void)smfi_setreply(ctx, c, st, reply);
	log_msg(LOG_NOTICE, "%s: rejected at end of message: %s %s %s",
	    e->qid, c, st, reply != NULL ? reply : "");
	free(reply);
	stats_add(&m->stats, &m->stats.rejected, 1);
	return temp ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

/* insert_all - step 5: e->add, top first */
static void
insert_all(struct eom *e, SMFICTX *ctx)
{
	const char *value;
	char *name, *v;
	size_t i;

	/* Each goes to the top, so the last inserted ends up first. */
	for (i = e->nadd; i-- > 0;) {
		if (text_header_split(e->add[i], &name, &value) != 0) {
			log_msg(LOG_ERR, "%s: malformed header", e->qid);
			continue;
		}
		if ((v = strdup(value)) == NULL ||
		    smfi_insheader(ctx, 0, name, v) != MI_SUCCESS)
			log_msg(LOG_ERR, "%s: cannot add the %s header",
			    e->qid, name);
		else
			log_msg(LOG_DEBUG, "%s: added %s", e->qid, e->add[i]);
		free(v);
		free(name);
	}
}

/* eom_free - the machines under the lock, then the rest */
static void
eom_free(struct eom *e)
{
	size_t i;

	dns_lock(&e->m->dns);
	for (i = 0; i < e->nslots; i++) {
		mxspf_eval_free(e->slots[i].ev);
		mxspf_walk_free(e->slots[i].w);
	}
	dns_unlock(&e->m->dns);
	for (i = 0; i < e->nadd; i++)
		free(e->add[i]);
	free(e->hv);
}

sfsistat
eom_run(struct session *s, SMFICTX *ctx)
{
	struct milter *m = s->m;
	struct msg *g = &s->msg;
	struct eom e;
	sfsistat st = SMFIS_CONTINUE;
	size_t i, j;
	int rc;

	memset(&e, 0, sizeof(e));
	e.s = s;
	e.m = m;
	msg_queue_id(s, ctx);
	e.qid = g->queue_id != NULL ? g->queue_id : "NOQUEUE";
	remove_ours(&e, ctx);
	if (g->txn == NULL)
		return SMFIS_CONTINUE;
	if (g->nrelayed > 0) {
		if (g->hdrs_cut)
			log_msg(LOG_WARNING, "%s: only the first %zu headers "
			    "(%zu bytes) are walked", e.qid, g->nhdrs,
			    g->hbytes);
		if (g->relayed_cut)
			log_msg(LOG_WARNING, "%s: relayed for more than %d "
			    "domains: only the first are walked", e.qid,
			    MILTER_MAX_WALKS);
		if (g->nhdrs > 0 &&
		    (e.hv = calloc(g->nhdrs, sizeof(*e.hv))) == NULL) {
			log_msg(LOG_ERR, "%s: out of memory; not re-checked",
			    e.qid);
			return SMFIS_CONTINUE;
		}
		for (i = 0; i < g->nhdrs; i++) {
			e.hv[i].name = g->hdrs[i].name;
			e.hv[i].value = g->hdrs[i].value;
			e.hv[i].len = g->hdrs[i].len;
		}
	}
	deadline_in(&e.budget, MILTER_EOM_DEADLINES *
	    s->g->conf->deadline_ms);
	dns_lock(&m->dns);
	for (i = 0; i < g->nrelayed; i++) {
		struct slot *sl = &e.slots[e.nslots++];

		if ((rc = walk_one(&e, i)) != 0) {
			log_msg(LOG_ERR, "%s: the walk for %s failed: %s",
			    e.qid, g->relayed[i], mxspf_strerror(rc));
			continue;
		}
		for (j = 0; j < i && !sl->dup; j++) {
			if (same_border(&e.slots[j], sl)) {
				sl->dup = true;
				sl->rc.verdict = e.slots[j].rc.verdict;
				sl->rc.error = e.slots[j].rc.error;
			}
		}
		if (sl->rc.outcome == MXSPF_WALK_BORDER && !sl->dup)
			eval_one(&e, sl);
		report(&e, sl);
		if (!sl->dup)
			headers_of(&e, sl);
	}
	if (s->g->mc.rcpt_checks)
		txn_header(&e);
	dns_unlock(&m->dns);
	st = act(&e, ctx);
	if (st == SMFIS_CONTINUE)
		insert_all(&e, ctx);
	eom_free(&e);
	return st;
}
