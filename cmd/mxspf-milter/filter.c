/* cmd/mxspf-milter/filter.c - the libmilter callbacks from connect to the
 * headers: the session and message state, and the per-recipient decision
 * through the library's transaction engine (mxspf_txn / mxspf_rcpt), the
 * same as mxspfd's.
 *
 * Protocol: connect -> the client address (and {daemon_addr}, this
 * server's address, which the MX trust rule needs); HELO -> the name;
 * MAIL FROM -> a new transaction; RCPT TO -> the recipient's decision:
 * with rcpt_checks a 5xx or 4xx reply for that recipient (smfi_setreply,
 * SMFIS_REJECT / SMFIS_TEMPFAIL), and in any case a note of the
 * recipient domains the client was trusted for as an MX relay; headers ->
 * kept (bounded: max_headers, max_header_bytes) when some recipient came
 * through an MX relay, and the indices of Authentication-Results headers
 * that carry our authserv-id, for eom.c to remove.  Our own failures (no
 * memory) give a 4xx, never a 5xx.
 *
 * Owns: struct session and struct msg (one per connection thread; freed
 * at close / abort); the daemon pointer (set once by filter_desc()
 * before smfi_main starts any thread).
 * Must not: call libmilter with the library lock held; trust header
 * input beyond its length bounds.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "milter.h"

#define FILTER_AR_NAME "Authentication-Results"
#define FILTER_MAX_NAME 1000	/* bytes of a header name looked at */
#define FILTER_ADDR_TEXT 64

static struct milter *gm;	/* set once, before libmilter's threads */

static char filter_name[] = MILTER_PROG;

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa);
static sfsistat cb_helo(SMFICTX *ctx, char *helo);
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv);
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv);
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value);
static sfsistat cb_eom(SMFICTX *ctx);
static sfsistat cb_abort(SMFICTX *ctx);
static sfsistat cb_close(SMFICTX *ctx);
static bool sockaddr_addr(const struct sockaddr *sa, struct mxspf_addr *a,
    char *text, size_t len);
static sfsistat our_failure(SMFICTX *ctx, const struct session *s,
    const char *what);
static void note_relayed(struct session *s, const char *domain);
static void keep_header(struct session *s, const char *name,
    const char *value);
static int note_ar(struct session *s, const char *value);
static long long ms_since(const struct timespec *ts);

static struct smfiDesc desc = {
	.xxfi_name = filter_name,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
};

struct smfiDesc *
filter_desc(struct milter *m)
{
	gm = m;
	return &desc;
}

/* ms_since - milliseconds since ts on the monotonic clock */
static long long
ms_since(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - ts->tv_sec) * 1000 +
	    (now.tv_nsec - ts->tv_nsec) / 1000000;
}

/* sockaddr_addr - the IP address of sa; false for other families */
static bool
sockaddr_addr(const struct sockaddr *sa, struct mxspf_addr *a, char *text,
    size_t len)
{
	const void *p;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
	else
		return false;
	if (inet_ntop(sa->sa_family, p, text, (socklen_t)len) == NULL)
		return false;
	return mxspf_addr_parse(text, a) == 0;
}

/* our_failure - a failure of ours (no memory): 4xx when we enforce,
 * else let the mail pass */
static sfsistat
our_failure(SMFICTX *ctx, const struct session *s, const char *what)
{
	char code[] = "451", status[] = "4.3.0";
	char text[] = "mxspf-milter: temporary failure, try again later";

	log_msg(LOG_ERR, "conn %lu: %s", s->id, what);
	if (!s->g->mc.rcpt_checks)
		return SMFIS_CONTINUE;
	(void)smfi_setreply(ctx, code, status, text);
	return SMFIS_TEMPFAIL;
}

void
msg_reset(struct session *s)
{
	struct msg *g = &s->msg;
	size_t i;

	if (g->txn != NULL) {
		dns_lock(&s->m->dns);
		mxspf_txn_free(g->txn);
		dns_unlock(&s->m->dns);
	}
	free(g->sender);
	free(g->queue_id);
	for (i = 0; i < g->nrelayed; i++)
		free(g->relayed[i]);
	for (i = 0; i < g->nhdrs; i++) {
		free(g->hdrs[i].name);
		free(g->hdrs[i].value);
	}
	free(g->hdrs);
	free(g->ar_del);
	free(g->ar_top);
	memset(g, 0, sizeof(*g));
	s->in_msg = false;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct session *s;
	char text[FILTER_ADDR_TEXT];
	const char *v;

	(void)host;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_msg(LOG_ERR, "connect: out of memory");
		return SMFIS_TEMPFAIL;
	}
	s->m = gm;
	s->g = gen_get(gm);
	(void)pthread_mutex_lock(&gm->slock);
	s->id = ++gm->next_id;
	gm->nsessions++;
	(void)pthread_mutex_unlock(&gm->slock);
	stats_add(&gm->stats, &gm->stats.connections, 1);
	(void)smfi_setpriv(ctx, s);
	s->have_client = sockaddr_addr(sa, &s->client, s->client_text,
	    sizeof(s->client_text));
	if (!s->have_client)
		(void)snprintf(s->client_text, sizeof(s->client_text),
		    "unknown");
	/* This server's address: Postfix {daemon_addr}, Sendmail
	 * {if_addr}.  Without it the trust rule falls back to own_names /
	 * own_addrs. */
	if (((v = smfi_getsymval(ctx, "{daemon_addr}")) != NULL ||
	    (v = smfi_getsymval(ctx, "{if_addr}")) != NULL) &&
	    strnlen(v, sizeof(text)) < sizeof(text) &&
	    mxspf_addr_parse(v, &s->server) == 0)
		s->have_server = true;
	log_msg(LOG_DEBUG, "conn %lu: connect from [%s]%s", s->id,
	    s->client_text, s->have_server ? "" : " (no {daemon_addr})");
	return SMFIS_CONTINUE;
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL || helo == NULL)
		return SMFIS_CONTINUE;
	free(s->helo);
	/* One byte over the limit, so the library sees it is too long. */
	s->helo = strndup(helo, MILTER_MAX_HELO + 1);
	return s->helo != NULL ? SMFIS_CONTINUE :
	    our_failure(ctx, s, "HELO: out of memory");
}

void
msg_queue_id(struct session *s, SMFICTX *ctx)
{
	const char *q = smfi_getsymval(ctx, "i");
	char *copy;

	if (q == NULL || q[0] == '\0' || strnlen(q, 256) >= 256 ||
	    (s->msg.queue_id != NULL && strcmp(q, s->msg.queue_id) == 0))
		return;
	if ((copy = strdup(q)) == NULL)
		return;
	free(s->msg.queue_id);
	s->msg.queue_id = copy;
	if (s->msg.txn != NULL) {
		dns_lock(&s->m->dns);
		(void)mxspf_txn_set_queue_id(s->msg.txn, copy);
		dns_unlock(&s->m->dns);
	}
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);
	struct mxspf_txn_info info;
	struct milter *m;
	int rc;

	if (s == NULL)
		return SMFIS_CONTINUE;
	m = s->m;
	msg_reset(s);
	s->in_msg = true;
	stats_add(&m->stats, &m->stats.messages, 1);
	if (!s->have_client || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;	/* nothing to check against */
	if ((s->msg.sender = text_envelope_addr(argv[0])) == NULL) {
		log_msg(LOG_WARNING, "conn %lu: MAIL FROM address too long; "
		    "not checked", s->id);
		return SMFIS_CONTINUE;
	}
	msg_queue_id(s, ctx);
	memset(&info, 0, sizeof(info));
	info.client = s->client;
	info.helo = s->helo;
	info.sender = s->msg.sender;
	info.server_addr = s->have_server ? &s->server : NULL;
	info.queue_id = s->msg.queue_id;
	info.now = (int64_t)time(NULL);
	dns_lock(&m->dns);
	rc = mxspf_txn_new(&s->msg.txn, s->g->ctx, s->g->conf, &info);
	dns_unlock(&m->dns);
	if (rc != 0)
		return our_failure(ctx, s, mxspf_strerror(rc));
	return SMFIS_CONTINUE;
}

/* note_relayed - remember a domain whose MX relay the client is */
static void
note_relayed(struct session *s, const char *domain)
{
	struct msg *g = &s->msg;
	size_t i;

	for (i = 0; i < g->nrelayed; i++)
		if (strcmp(g->relayed[i], domain) == 0)
			return;
	if (g->nrelayed >= MILTER_MAX_WALKS) {
		g->relayed_cut = true;
		return;
	}
	if ((g->relayed[g->nrelayed] = strdup(domain)) != NULL)
		g->nrelayed++;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);
	const struct mxspf_rcpt_result *res;
	struct mxspf_rcpt *r = NULL;
	struct timespec start, dl;
	struct milter *m;
	char *rcpt, *log = NULL, *text = NULL, *domain = NULL, *reply;
	char code[8], status[16];
	enum mxspf_policy_act act = MXSPF_ACT_ACCEPT;
	enum mxspf_relay_reason relay = MXSPF_RELAY_NONE;
	bool late = false;
	int rc;

	if (s == NULL || s->msg.txn == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	m = s->m;
	msg_queue_id(s, ctx);
	if ((rcpt = text_envelope_addr(argv[0])) == NULL)
		return our_failure(ctx, s, "RCPT TO: out of memory or too "
		    "long");
	clock_gettime(CLOCK_MONOTONIC, &start);
	deadline_in(&dl, s->g->conf->deadline_ms);
	code[0] = status[0] = '\0';
	dns_lock(&m->dns);
	rc = mxspf_rcpt_new(&r, s->msg.txn, rcpt);
	if (rc == 0)
		rc = dns_run(&m->dns, &mxspf_rcpt_ops, r, &dl, &late);
	if (rc == 0 && (res = mxspf_rcpt_result(r)) != NULL &&
	    res->action != NULL) {
		act = res->decision.act;
		relay = res->relay;
		(void)snprintf(code, sizeof(code), "%d", res->decision.code);
		(void)snprintf(status, sizeof(status), "%s",
		    res->decision.status != NULL ? res->decision.status : "");
		text = strdup(res->decision.text != NULL ?
		    res->decision.text : "");
		domain = strdup(res->domain != NULL ? res->domain : "");
		log = strdup(res->log != NULL ? res->log : "?");
		if (text == NULL || domain == NULL || log == NULL)
			rc = MXSPF_ENOMEM;
	}
	mxspf_rcpt_free(r);
	dns_unlock(&m->dns);
	if (rc == MXSPF_EINVAL) {
		struct mxspf_buf b;

		mxspf_buf_init(&b, 512);
		log_put_untrusted(&b, rcpt, strlen(rcpt));
		log_msg(LOG_WARNING, "conn %lu: no domain in the recipient "
		    "'%s'; not checked", s->id, mxspf_buf_cstr(&b));
		mxspf_buf_free(&b);
		free(rcpt);
		return SMFIS_CONTINUE;
	}
	free(rcpt);
	if (rc != 0 || log == NULL) {
		free(text);
		free(domain);
		free(log);
		return our_failure(ctx, s, rc != 0 ? mxspf_strerror(rc) :
		    "no decision");
	}
	log_msg(LOG_INFO, "%s ms=%lld%s%s", log, ms_since(&start),
	    late ? " (deadline passed)" : "",
	    s->g->mc.rcpt_checks ? "" : " (rcpt_checks=no: not enforced)");
	free(log);
	if (act == MXSPF_ACT_ACCEPT || !s->g->mc.rcpt_checks) {
		s->msg.naccepted++;
		if (relay == MXSPF_RELAY_MX)
			note_relayed(s, domain);
		free(text);
		free(domain);
		return SMFIS_CONTINUE;
	}
	free(domain);
	reply = text_reply(text);
	free(text);
	(void)smfi_setreply(ctx, code, status, reply);
	free(reply);
	if (act == MXSPF_ACT_REJECT) {
		stats_add(&m->stats, &m->stats.rcpt_rejected, 1);
		return SMFIS_REJECT;
	}
	stats_add(&m->stats, &m->stats.rcpt_deferred, 1);
	return SMFIS_TEMPFAIL;
}

/* keep_header - store a header for the walk, within the bounds */
static void
keep_header(struct session *s, const char *name, const char *value)
{
	const struct milter_conf *mc = &s->g->mc;
	struct msg *g = &s->msg;
	size_t nlen, vlen;
	struct hdr_rec *h;

	if (g->hdrs_cut)
		return;
	nlen = strnlen(name, FILTER_MAX_NAME + 1);
	vlen = strnlen(value, mc->max_header_bytes + 1);
	if (g->nhdrs >= mc->max_headers || nlen > FILTER_MAX_NAME ||
	    vlen > mc->max_header_bytes - g->hbytes ||
	    nlen > mc->max_header_bytes - g->hbytes - vlen) {
		g->hdrs_cut = true;
		return;
	}
	if (g->nhdrs == g->hcap) {
		size_t cap = g->hcap == 0 ? 32 : 2 * g->hcap;

		if (cap > mc->max_headers)
			cap = mc->max_headers;
		h = realloc(g->hdrs, cap * sizeof(*h));
		if (h == NULL) {
			g->hdrs_cut = true;
			return;
		}
		g->hdrs = h;
		g->hcap = cap;
	}
	h = &g->hdrs[g->nhdrs];
	h->name = strndup(name, nlen);
	h->value = strndup(value, vlen);
	h->len = vlen;
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		g->hdrs_cut = true;
		return;
	}
	g->nhdrs++;
	g->hbytes += nlen + vlen;
}

/* note_ar - an Authentication-Results header: remember its index when
 * it carries our authserv-id (eom.c removes it); 0 or -1 (no memory) */
static int
note_ar(struct session *s, const char *value)
{
	struct msg *g = &s->msg;
	size_t len = strnlen(value, s->g->mc.max_header_bytes), cap;
	int *p;

	g->nar++;
	if (!text_ar_is_ours(value, len, s->g->conf->authserv_id))
		return 0;
	if (g->nar_del >= MILTER_MAX_AR_DELETE || g->nar > (size_t)INT32_MAX) {
		g->ar_cut = true;
		return 0;
	}
	if (g->nar_del == g->ar_cap) {
		cap = g->ar_cap == 0 ? 4 : 2 * g->ar_cap;
		if ((p = realloc(g->ar_del, cap * sizeof(*p))) == NULL)
			return -1;
		g->ar_del = p;
		g->ar_cap = cap;
	}
	g->ar_del[g->nar_del++] = (int)g->nar;
	/* The first header of all may be what mxspfd on this host
	 * prepended at DATA (Postfix shows the milter PREPEND headers, not
	 * its own Received header): eom.c compares it with the header the
	 * same decisions give. */
	if (g->nseen == 1 && (g->ar_top = strndup(value, len)) == NULL)
		return -1;
	return 0;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = smfi_getpriv(ctx);
	struct msg *g;

	if (s == NULL || !s->in_msg || name == NULL || value == NULL)
		return SMFIS_CONTINUE;
	g = &s->msg;
	g->nseen++;
	if (strcasecmp(name, FILTER_AR_NAME) == 0 && note_ar(s, value) != 0)
		return our_failure(ctx, s, "header: out of memory");
	/* Only mail relayed by an MX host is walked. */
	if (g->nrelayed > 0)
		keep_header(s, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);
	sfsistat st;

	if (s == NULL || !s->in_msg)
		return SMFIS_CONTINUE;
	st = eom_run(s, ctx);
	msg_reset(s);
	return st;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL)
		msg_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);
	struct milter *m;

	if (s == NULL)
		return SMFIS_CONTINUE;
	m = s->m;
	msg_reset(s);
	free(s->helo);
	log_msg(LOG_DEBUG, "conn %lu: closed", s->id);
	gen_put(m, s->g);
	free(s);
	(void)smfi_setpriv(ctx, NULL);
	(void)pthread_mutex_lock(&m->slock);
	m->nsessions--;
	(void)pthread_cond_broadcast(&m->scv);
	(void)pthread_mutex_unlock(&m->slock);
	return SMFIS_CONTINUE;
}
