/* cmd/mxspfd/decide.c - from a parsed policy request to a Postfix action,
 * through the library's per-transaction engine (mxspf_txn, mxspf_rcpt).
 *
 * Owns: the mapping of requests to transactions (one current transaction
 * per connection, keyed by Postfix's instance plus client, HELO and
 * sender), the driving of recipient machines (synchronously from a -Z
 * zone, or asynchronously with mxspf_ub_drive under a per-request
 * deadline and the max_inflight limit), the one decision log line, and the
 * PREPEND of the trace header, once per message, at DATA.
 *
 * Protocol states: RCPT -> the recipient's action; DATA -> "PREPEND
 * <header>" unfolded to one line of at most 998 bytes, once per message,
 * or DUNNO; END-OF-MESSAGE and everything else -> DUNNO (Postfix cannot
 * PREPEND in smtpd_end_of_data_restrictions).  A request we cannot judge
 * (no recipient domain, no usable client_address) gets DUNNO; a failure
 * of ours (no memory, too busy) gets a 4xx DEFER_IF_PERMIT, never a 5xx.
 *
 * Must not: free a recipient the driver still holds (stop it first), or
 * touch the connection after handing a finished job back to conn.c.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "mxspfd.h"

#define DECIDE_DUNNO "DUNNO"
#define DECIDE_PREPEND "PREPEND "

static int job_reply(struct job *j, const char *action);
static bool str_eq(const char *a, const char *b);
static int txn_get(struct conn *c, const struct request *rq,
    const struct mxspf_addr *client, struct ctxn **out);
static void rcpt_done(struct job *j, int err);
static void job_ended(struct job *j, int err);
static void wait_push(struct job *j);
static void wait_unlink(struct job *j);
static void drive(struct job *j);
static void run_waiting(struct daemon *d);
static void drive_done(void *arg, void *obj, int err);
static void deadline_cb(evutil_socket_t fd, short what, void *arg);
static int start_rcpt(struct job *j);
static char *header_line(const char *h, bool *cut);
static int answer_data(struct job *j);
static void log_skip(const struct job *j, const char *why, const char *v);

uint64_t
us_since(const struct timespec *ts)
{
	struct timespec now;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (long long)(now.tv_sec - ts->tv_sec) * 1000000 +
	    (now.tv_nsec - ts->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

long long
ms_since(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - ts->tv_sec) * 1000 +
	    (now.tv_nsec - ts->tv_nsec) / 1000000;
}

/* job_reply - the job is answered with action (when the copy fails,
 * conn.c sends MXSPFD_BUSY_ACTION, which needs no memory); returns 0 */
static int
job_reply(struct job *j, const char *action)
{
	free(j->reply);
	j->reply = strdup(action);
	j->done = true;
	return 0;
}

/* str_eq - equal strings, NULL equal to "" */
static bool
str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* log_skip - log why a request was answered DUNNO without a decision */
static void
log_skip(const struct job *j, const char *why, const char *v)
{
	const char *q = j->req.queue_id;
	struct mxspf_buf b;

	mxspf_buf_init(&b, 1024);
	if (q != NULL && q[0] != '\0')
		log_put_untrusted(&b, q, strlen(q));
	else
		mxspf_buf_puts(&b, "NOQUEUE");
	mxspf_buf_appendf(&b, ": %s", why);
	if (v != NULL) {
		mxspf_buf_puts(&b, " '");
		log_put_untrusted(&b, v, strlen(v));
		mxspf_buf_putc(&b, '\'');
	}
	log_msg(LOG_WARNING, "conn %lu: %s; answering DUNNO", j->conn->id,
	    mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
}

void
decide_txn_free(struct ctxn *ct)
{
	if (ct == NULL)
		return;
	mxspf_txn_free(ct->txn);
	gen_unref(ct->gen);
	free(ct);		/* its strings are in the same block */
}

/* txn_get - the connection's transaction for this request, a new one when
 * the instance or the SMTP facts changed; 0, or a negative MXSPF_E* */
static int
txn_get(struct conn *c, const struct request *rq,
    const struct mxspf_addr *client, struct ctxn **out)
{
	struct mxspf_txn_info info;
	struct mxspf_addr server;
	struct ctxn *ct = c->ct;
	const char *src[4];
	char *dst[4], *p;
	size_t i, len[4], size;
	int rc;

	if (ct != NULL && str_eq(ct->instance, rq->instance) &&
	    str_eq(ct->client, rq->client_address) &&
	    str_eq(ct->helo, rq->helo_name) &&
	    str_eq(ct->sender, rq->sender)) {
		/* Postfix assigns the queue id after the first accepted
		 * recipient: later log lines name it. */
		if (rq->queue_id != NULL && rq->queue_id[0] != '\0' &&
		    (rc = mxspf_txn_set_queue_id(ct->txn, rq->queue_id)) != 0)
			log_msg(LOG_ERR, "conn %lu: %s", c->id,
			    mxspf_strerror(rc));
		*out = ct;
		return 0;
	}
	/* A new transaction: Postfix has finished with the previous one. */
	decide_txn_free(c->ct);
	c->ct = NULL;
	/* One block: the struct, then its four key strings. */
	src[0] = rq->instance != NULL ? rq->instance : "";
	src[1] = rq->client_address;
	src[2] = rq->helo_name != NULL ? rq->helo_name : "";
	src[3] = rq->sender != NULL ? rq->sender : "";
	for (i = 0, size = sizeof(*ct); i < 4; i++)
		size += (len[i] = strlen(src[i]) + 1);
	if ((ct = calloc(1, size)) == NULL)
		return MXSPF_ENOMEM;
	for (i = 0, p = (char *)(ct + 1); i < 4; i++) {
		memcpy(p, src[i], len[i]);
		dst[i] = p;
		p += len[i];
	}
	ct->instance = dst[0];
	ct->client = dst[1];
	ct->helo = dst[2];
	ct->sender = dst[3];
	memset(&info, 0, sizeof(info));
	info.client = *client;
	info.helo = ct->helo[0] != '\0' ? ct->helo : NULL;
	info.sender = ct->sender;
	if (rq->server_address != NULL &&
	    mxspf_addr_parse(rq->server_address, &server) == 0)
		info.server_addr = &server;
	info.queue_id = rq->queue_id;
	info.now = (int64_t)time(NULL);
	info.trust_cache = c->d->gen->trust_cache;
	if ((rc = mxspf_txn_new(&ct->txn, c->d->gen->ctx, c->d->gen->conf,
	    &info)) != 0) {
		decide_txn_free(ct);
		return rc;
	}
	ct->gen = c->d->gen;
	ct->gen->refs++;
	c->ct = ct;
	*out = ct;
	return 0;
}

/* log_decision - "LINE ms=MS" without a formatting pass (one per
 * decision) */
static void
log_decision(const char *line, long long ms)
{
	char tail[32];
	size_t k = sizeof(tail);
	unsigned long long v = ms < 0 ? 0 : (unsigned long long)ms;

	if (line == NULL)
		line = "?";
	do
		tail[--k] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && k > 4);
	memcpy(tail + k - 4, " ms=", 4);
	k -= 4;
	log_text2(LOG_INFO, line, strlen(line), tail + k, sizeof(tail) - k);
}

/* rcpt_done - the recipient finished (err 0) or failed: log, reply */
static void
rcpt_done(struct job *j, int err)
{
	struct stats *st = &j->conn->d->stats;
	const struct mxspf_rcpt_result *res = NULL;
	uint64_t us = us_since(&j->start);
	long long ms = (long long)(us / 1000);
	const char *action = MXSPFD_BUSY_ACTION;

	if (err == 0 && j->rcpt != NULL) {
		res = mxspf_rcpt_result(j->rcpt);
		if (res->action != NULL)
			action = res->action;
	}
	if (res != NULL && res->action != NULL)
		stats_decision(st, res, us);
	else
		st->errors++;
	if (j->conn->closing) {
		/* Nobody will read the reply: no decision to log. */
	} else if (res != NULL && res->action != NULL) {
		log_decision(res->log, ms);
	} else {
		log_msg(LOG_ERR, "conn %lu: the recipient decision failed: "
		    "%s; answering %s", j->conn->id, mxspf_strerror(err),
		    action);
	}
	(void)job_reply(j, action);
	mxspf_rcpt_free(j->rcpt);
	j->rcpt = NULL;
}

/* job_ended - a recipient that was in flight (driven or waiting) is
 * decided: count it out, reply; then let a waiting one run */
static void
job_ended(struct job *j, int err)
{
	struct daemon *d = j->conn->d;

	d->inflight--;
	j->running = false;
	if (d->inflight == 0)
		daemon_quiet(d);
	/* The deadline timer is left to fire (deadline_cb ignores it when
	 * no recipient is running): deleting it and adding it again for
	 * every recipient cost more than the rest of the timer work. */
	rcpt_done(j, err);
	conn_job_done(j);
	run_waiting(d);
}

/* drive_done - mxspf_ub_drive's callback: a recipient machine ended */
static void
drive_done(void *arg, void *obj, int err)
{
	struct job *j = arg;

	(void)obj;
	j->conn->d->running--;
	job_ended(j, err);
}

/* wait_push - put j at the end of the daemon's queue of waiting
 * recipients */
static void
wait_push(struct job *j)
{
	struct daemon *d = j->conn->d;

	j->waiting = true;
	j->wait_next = NULL;
	j->wait_prev = d->wait_tail;
	if (d->wait_tail != NULL)
		d->wait_tail->wait_next = j;
	else
		d->wait_head = j;
	d->wait_tail = j;
}

/* wait_unlink - take j off the queue (O(1): thousands may wait, and a
 * burst of closing connections takes them out one by one) */
static void
wait_unlink(struct job *j)
{
	struct daemon *d = j->conn->d;

	if (!j->waiting)
		return;
	if (j->wait_prev != NULL)
		j->wait_prev->wait_next = j->wait_next;
	else
		d->wait_head = j->wait_next;
	if (j->wait_next != NULL)
		j->wait_next->wait_prev = j->wait_prev;
	else
		d->wait_tail = j->wait_prev;
	j->wait_next = j->wait_prev = NULL;
	j->waiting = false;
}

/* drive - hand j's recipient to libunbound; the end comes through
 * drive_done, maybe inside this call (every answer in the cache) */
static void
drive(struct job *j)
{
	struct daemon *d = j->conn->d;
	int rc;

	d->running++;
	rc = mxspf_ub_drive(d->ub, &mxspf_rcpt_ops, j->rcpt, drive_done, j);
	if (rc != 0) {
		d->running--;
		job_ended(j, rc);
	}
}

/* run_waiting - start waiting recipients, oldest first, while fewer than
 * concurrency run.  Not re-entered: a recipient that ends inside drive()
 * comes back here, and the outer loop goes on. */
static void
run_waiting(struct daemon *d)
{
	struct job *j;

	if (d->starting)
		return;
	d->starting = true;
	while (d->running < d->conf->concurrency &&
	    (j = d->wait_head) != NULL) {
		wait_unlink(j);
		drive(j);
	}
	d->starting = false;
}

/* job_due - when j's deadline passes */
static struct timespec
job_due(const struct job *j)
{
	unsigned ms = j->conn->d->conf->deadline_ms;
	struct timespec due = j->start;

	due.tv_sec += (time_t)(ms / 1000);
	due.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (due.tv_nsec >= 1000000000L) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000L;
	}
	return due;
}

/* ts_before - a is earlier than b */
static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* deadline_arm - make the connection's deadline timer fire by j's
 * deadline.  The timer is lazy: it stays armed from recipient to
 * recipient and is moved only when j's deadline is earlier than the one
 * it was set for (a reload that shortened deadline_ms); deadline_cb
 * looks at the recipient running when it fires. */
static void
deadline_arm(struct conn *c, const struct job *j)
{
	struct timespec due = job_due(j);

	if (evtimer_pending(c->deadline, NULL) &&
	    !ts_before(&due, &c->deadline_due))
		return;
	c->deadline_due = due;
	(void)event_add(c->deadline, c->d->deadline_tv);
}

/* deadline_cb - the deadline timer fired: if the running recipient's
 * deadline has not come yet (the timer was set for an earlier one), wait
 * on for it; else stopping it ends it with temperror / a trust DNS error
 * (never a 5xx) */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct job *j = c->head;
	struct timespec now, due;
	struct timeval left;

	(void)fd;
	(void)what;
	if (j == NULL || !j->running || j->rcpt == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	due = job_due(j);
	if (ts_before(&now, &due)) {
		long long us = (long long)(due.tv_sec - now.tv_sec) *
		    1000000 + (due.tv_nsec - now.tv_nsec) / 1000 + 1;

		left.tv_sec = (time_t)(us / 1000000);
		left.tv_usec = (suseconds_t)(us % 1000000);
		c->deadline_due = due;
		(void)event_add(c->deadline, &left);
		return;
	}
	log_msg(LOG_DEBUG, "conn %lu: deadline of %ums passed%s", c->id,
	    c->d->conf->deadline_ms, j->waiting ? " while waiting" : "");
	c->depth++;
	if (j->waiting) {
		wait_unlink(j);
		mxspf_rcpt_abort(j->rcpt);
		job_ended(j, 0);
	} else {
		mxspf_ub_drive_stop(c->d->ub, j->rcpt);	/* drive_done */
	}
	c->depth--;
	conn_reap(c);
}

/* start_rcpt - decide for one RCPT TO */
static int
start_rcpt(struct job *j)
{
	struct conn *c = j->conn;
	struct daemon *d = c->d;
	const struct request *rq = &j->req;
	struct mxspf_addr client;
	struct ctxn *ct;
	int rc;

	if (rq->recipient == NULL || rq->recipient[0] == '\0') {
		log_skip(j, "RCPT request without a recipient", NULL);
		return job_reply(j, DECIDE_DUNNO);
	}
	if (rq->client_address == NULL ||
	    mxspf_addr_parse(rq->client_address, &client) != 0) {
		log_skip(j, "no usable client_address", rq->client_address);
		return job_reply(j, DECIDE_DUNNO);
	}
	if (d->ub != NULL && d->inflight >= d->conf->max_inflight) {
		log_msg(LOG_WARNING, "conn %lu: %zu recipients in flight "
		    "(max_inflight); answering %s", c->id, d->inflight,
		    MXSPFD_BUSY_ACTION);
		d->stats.busy++;
		return job_reply(j, MXSPFD_BUSY_ACTION);
	}
	rc = txn_get(c, rq, &client, &ct);
	if (rc == 0)
		rc = mxspf_rcpt_new(&j->rcpt, ct->txn, rq->recipient);
	if (rc == MXSPF_EINVAL) {
		log_skip(j, "no domain in the recipient", rq->recipient);
		return job_reply(j, DECIDE_DUNNO);
	}
	if (rc != 0) {
		log_msg(LOG_ERR, "conn %lu: cannot start a decision: %s; "
		    "answering %s", c->id, mxspf_strerror(rc),
		    MXSPFD_BUSY_ACTION);
		j->conn->d->stats.errors++;
		return job_reply(j, MXSPFD_BUSY_ACTION);
	}
	if (d->zone != NULL) {
		rc = mxspf_rcpt_run(j->rcpt, mxspf_zone_resolve_rcpt, d->zone);
		rcpt_done(j, rc);
		return 0;
	}
	if (c->deadline == NULL &&
	    (c->deadline = evtimer_new(d->base, deadline_cb, c)) == NULL) {
		rcpt_done(j, MXSPF_ENOMEM);
		return 0;
	}
	deadline_arm(c, j);
	if (++d->inflight > d->peak_inflight)
		d->peak_inflight = d->inflight;
	j->running = true;
	if (d->running >= d->conf->concurrency || d->wait_head != NULL) {
		/* Wait in line (the deadline runs): a burst of thousands
		 * of cold-cache recipients would otherwise hold the memory
		 * of thousands of evaluations at once. */
		wait_push(j);
		run_waiting(d);
		return 0;
	}
	drive(j);
	return 0;
}

/* header_line - the header unfolded to one line: each fold (a line break
 * and the blanks after it) becomes one space, other control bytes a
 * space; cut at the last space within MXSPFD_HEADER_MAX bytes.  Returns a
 * malloc'd string or NULL */
static char *
header_line(const char *h, bool *cut)
{
	struct mxspf_buf b;
	size_t i, n;
	char *s;

	*cut = false;
	mxspf_buf_init(&b, 65536);
	for (i = 0; h[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)h[i];

		if (ch == '\r' || ch == '\n') {
			while (h[i + 1] == '\r' || h[i + 1] == '\n' ||
			    h[i + 1] == ' ' || h[i + 1] == '\t')
				i++;
			mxspf_buf_putc(&b, ' ');
		} else {
			mxspf_buf_putc(&b, ch < 0x20 || ch == 0x7f ? ' ' : ch);
		}
	}
	if (b.err != 0) {
		mxspf_buf_free(&b);
		return NULL;
	}
	if (b.len > MXSPFD_HEADER_MAX) {
		*cut = true;
		for (n = MXSPFD_HEADER_MAX; n > 0 && b.p[n] != ' '; n--)
			;
		mxspf_buf_truncate(&b, n > 0 ? n : MXSPFD_HEADER_MAX);
	}
	s = mxspf_buf_steal(&b);
	mxspf_buf_free(&b);
	return s;
}

/* answer_data - DATA: prepend the trace header once per message */
static int
answer_data(struct job *j)
{
	struct conn *c = j->conn;
	struct ctxn *ct = c->ct;
	struct mxspf_buf b;
	char *h = NULL, *line;
	bool cut;
	int rc;

	if (ct == NULL || ct->header_done ||
	    !str_eq(ct->instance, j->req.instance))
		return job_reply(j, DECIDE_DUNNO);
	ct->header_done = true;
	if ((rc = mxspf_txn_header(ct->txn, &h)) != 0) {
		log_msg(LOG_ERR, "conn %lu: cannot write the header: %s",
		    c->id, mxspf_strerror(rc));
		return job_reply(j, DECIDE_DUNNO);
	}
	if (h == NULL)
		return job_reply(j, DECIDE_DUNNO);
	line = header_line(h, &cut);
	free(h);
	if (line == NULL)
		return job_reply(j, DECIDE_DUNNO);
	if (cut)
		log_msg(LOG_WARNING, "conn %lu: header cut to %d bytes", c->id,
		    MXSPFD_HEADER_MAX);
	mxspf_buf_init(&b, MXSPFD_HEADER_MAX + sizeof(DECIDE_PREPEND));
	mxspf_buf_puts(&b, DECIDE_PREPEND);
	mxspf_buf_puts(&b, line);
	free(line);
	if (b.err != 0) {
		mxspf_buf_free(&b);
		return job_reply(j, DECIDE_DUNNO);
	}
	log_msg(LOG_DEBUG, "conn %lu: %s", c->id, mxspf_buf_cstr(&b));
	rc = job_reply(j, mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	return rc;
}

int
decide_start(struct job *j)
{
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	stats_request(&j->conn->d->stats, j->req.state);
	switch (j->req.state) {
	case REQ_ST_RCPT:
		return start_rcpt(j);
	case REQ_ST_DATA:
		return answer_data(j);
	case REQ_ST_EOM:
	case REQ_ST_OTHER:
		break;
	}
	return job_reply(j, DECIDE_DUNNO);
}

void
decide_cancel(struct job *j)
{
	if (j->running && j->waiting) {
		/* Never driven: nothing to stop, no reply wanted. */
		wait_unlink(j);
		j->conn->d->inflight--;
	} else if (j->running && j->rcpt != NULL) {
		mxspf_ub_drive_stop(j->conn->d->ub, j->rcpt);
	}
	j->running = false;
}
