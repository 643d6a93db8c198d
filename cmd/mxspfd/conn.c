/* cmd/mxspfd/conn.c - one policy client connection: reading requests,
 * answering them in order, closing.
 *
 * Owns: struct conn and its jobs.  Input is buffered (at most
 * MXSPFD_IN_MAX bytes) and parsed by request.c only when it may have
 * changed the answer (a newline arrived, or the last line grew past the
 * line limit), so a peer that dribbles bytes costs little.  Up to
 * MXSPFD_QUEUE_MAX parsed requests wait in a FIFO; only the head runs, so
 * replies leave in arrival order and a transaction never has two
 * recipients running.  A malformed request is logged (escaped, cut) and
 * the connection is closed without a reply, as Postfix expects.  Replies
 * are "action=...\n\n"; a peer that leaves MXSPFD_OUT_MAX bytes unread is
 * dropped.
 *
 * Lifetime: conn_close() tears the connection down at once (stops its
 * running recipient, closes the descriptors) but the struct is freed by
 * conn_reap() only when no callback is using it (depth == 0), so a close
 * deep inside a callback never frees memory an outer frame still uses.
 *
 * Must not: block, write a reply out of order, reply after a bad request,
 * or log peer bytes unescaped.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "mxspfd.h"

static void conn_update_read(struct conn *c);
static void conn_consume(struct conn *c, size_t n);
static void conn_log_bad(struct conn *c, const struct req_error *e);
static int conn_parse(struct conn *c);
static void conn_advance(struct conn *c);
static void conn_reply(struct conn *c, const char *action);
static void conn_flush(struct conn *c);
static void conn_maybe_done(struct conn *c);
static void conn_idle_arm(struct conn *c);
static void job_free(struct job *j);
static void read_cb(evutil_socket_t fd, short what, void *arg);
static void write_cb(evutil_socket_t fd, short what, void *arg);
static void idle_cb(evutil_socket_t fd, short what, void *arg);
static int set_nonblock(int fd);
static ssize_t conn_read(struct conn *c, void *buf, size_t n);
static ssize_t conn_write(struct conn *c, const void *buf, size_t n);

/* conn_read, conn_write - recvfrom/sendto on a socket (the socket calls
 * skip the file layer's checks, a few percent of a request's system
 * time), made with syscall(2): libc's wrappers are cancellation points,
 * and in a process with threads (libunbound's) each call then takes and
 * gives back asynchronous cancellation, atomics that cost about a
 * percent of the daemon's time; nothing here uses cancellation.
 * read/write on stdin/stdout, which may be pipes. */
static ssize_t
conn_read(struct conn *c, void *buf, size_t n)
{
	if (c->stdio)
		return read(c->in_fd, buf, n);
	return (ssize_t)syscall(SYS_recvfrom, c->in_fd, buf, n, 0, NULL,
	    NULL);
}

static ssize_t
conn_write(struct conn *c, const void *buf, size_t n)
{
	if (c->stdio)
		return write(c->out_fd, buf, n);
	return (ssize_t)syscall(SYS_sendto, c->out_fd, buf, n, MSG_NOSIGNAL,
	    NULL, 0);
}

/* set_nonblock - O_NONBLOCK on fd; 0 or -1 */
static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ? -1 : 0;
}

struct conn *
conn_new(struct daemon *d, int in_fd, int out_fd, bool stdio,
    const char *peer)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->d = d;
	c->id = ++d->next_id;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->stdio = stdio;
	(void)snprintf(c->peer, sizeof(c->peer), "%s", peer);
	mxspf_buf_init(&c->in, MXSPFD_IN_MAX);
	mxspf_buf_init(&c->out, MXSPFD_OUT_MAX);
	if ((stdio && (set_nonblock(in_fd) != 0 ||
	    set_nonblock(out_fd) != 0)) ||
	    (c->rev = event_new(d->base, in_fd, EV_READ | EV_PERSIST,
	    read_cb, c)) == NULL ||
	    (c->wev = event_new(d->base, out_fd, EV_WRITE | EV_PERSIST,
	    write_cb, c)) == NULL ||
	    (c->idle = evtimer_new(d->base, idle_cb, c)) == NULL ||
	    event_add(c->rev, NULL) != 0) {
		if (c->rev != NULL)
			event_free(c->rev);
		if (c->wev != NULL)
			event_free(c->wev);
		if (c->idle != NULL)
			event_free(c->idle);
		free(c);
		return NULL;
	}
	c->reading = true;
	conn_idle_arm(c);
	c->next = d->conns;
	if (d->conns != NULL)
		d->conns->prev = c;
	d->conns = c;
	d->nconns++;
	log_msg(LOG_DEBUG, "conn %lu: connect from %s", c->id, c->peer);
	return c;
}

/* conn_idle_arm - note activity, and start the idle timer unless it
 * runs.  The timer is lazy: input does not move it (that was a timer
 * queue update per request); when it fires, idle_cb waits on for what
 * is left since the last input. */
static void
conn_idle_arm(struct conn *c)
{
	(void)event_base_gettimeofday_cached(c->d->base, &c->active);
	if (!evtimer_pending(c->idle, NULL))
		(void)event_add(c->idle, c->d->idle_tv);
}

/* job_free - release a job that is not running */
static void
job_free(struct job *j)
{
	if (j->rcpt != NULL)
		mxspf_rcpt_free(j->rcpt);
	request_free(&j->req);
	free(j->reply);
	free(j);
}

void
conn_close(struct conn *c)
{
	struct daemon *d = c->d;
	struct job *j, *next;

	if (c->closing)
		return;
	c->closing = true;
	c->depth++;
	for (j = c->head; j != NULL; j = j->next)
		if (j->running)
			decide_cancel(j);
	for (j = c->head; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	c->head = c->tail = NULL;
	c->njobs = 0;
	decide_txn_free(c->ct);
	c->ct = NULL;
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->idle);
	if (c->deadline != NULL)
		event_free(c->deadline);
	c->rev = c->wev = c->idle = c->deadline = NULL;
	if (!c->stdio)
		(void)close(c->in_fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	d->nconns--;
	log_msg(LOG_DEBUG, "conn %lu: closed", c->id);
	if (c->stdio || (d->stopping && d->nconns == 0))
		(void)event_base_loopbreak(d->base);
	c->depth--;
}

void
conn_reap(struct conn *c)
{
	if (!c->closing || c->depth > 0)
		return;
	mxspf_buf_free(&c->in);
	mxspf_buf_free(&c->out);
	free(c);
}

void
conn_stop(struct conn *c)
{
	c->depth++;
	/* Finish what was asked, read nothing more. */
	c->eof = true;
	conn_update_read(c);
	conn_maybe_done(c);
	c->depth--;
	conn_reap(c);
}

/* conn_update_read - read while there is room and input may come */
static void
conn_update_read(struct conn *c)
{
	bool want = !c->closing && !c->eof && !c->d->stopping &&
	    c->in.len < MXSPFD_IN_MAX;

	if (c->closing || want == c->reading)
		return;
	if (want)
		(void)event_add(c->rev, NULL);
	else
		(void)event_del(c->rev);
	c->reading = want;
}

/* conn_consume - drop the first n bytes of the input */
static void
conn_consume(struct conn *c, size_t n)
{
	if (n >= c->in.len) {
		/* Idle connections hold no buffer (10,000 of them would
		 * otherwise keep megabytes). */
		mxspf_buf_free(&c->in);
		return;
	}
	memmove(c->in.p, c->in.p + n, c->in.len - n);
	mxspf_buf_truncate(&c->in, c->in.len - n);
}

/* conn_log_bad - log a malformed request: why, where, the bytes */
static void
conn_log_bad(struct conn *c, const struct req_error *e)
{
	struct mxspf_buf b;

	mxspf_buf_init(&b, 1024);
	if (e->at != NULL)
		log_put_untrusted(&b, e->at, e->atlen);
	log_msg(LOG_WARNING, "conn %lu: bad request from %s: %s (line %zu): "
	    "'%s'; closing without a reply", c->id, c->peer,
	    e->why != NULL ? e->why : "?", e->line, mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
}

/* conn_parse - turn buffered input into jobs; the number added, or -1
 * when the connection was closed (no memory) */
static int
conn_parse(struct conn *c)
{
	struct req_error err;
	struct job *j;
	size_t used;
	int added = 0, rc;

	while (c->in_news && c->njobs < MXSPFD_QUEUE_MAX && c->in.len > 0 &&
	    !c->d->stopping && !c->bad) {
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			log_msg(LOG_ERR, "conn %lu: out of memory", c->id);
			conn_close(c);
			return -1;
		}
		rc = request_parse(c->in.p, c->in.len, &j->req, &used, &err);
		if (rc != REQ_OK) {
			free(j);
			if (rc == REQ_MORE) {
				c->in_news = false;
				break;
			}
			c->d->stats.bad_requests++;
			if (rc == REQ_BAD)
				conn_log_bad(c, &err);
			else
				log_msg(LOG_ERR, "conn %lu: out of memory",
				    c->id);
			/* No reply to it, nor to anything after it; the
			 * requests before it are still answered, then the
			 * connection is closed (conn_maybe_done). */
			mxspf_buf_reset(&c->in);
			c->in_news = false;
			c->bad = true;
			c->eof = true;
			return added;
		}
		j->conn = c;
		conn_consume(c, used);
		if (c->tail != NULL)
			c->tail->next = j;
		else
			c->head = j;
		c->tail = j;
		c->njobs++;
		added++;
	}
	return added;
}

/* conn_advance - send the replies that are ready, in order, start the
 * next request, parse more input; repeat while anything moves */
static void
conn_advance(struct conn *c)
{
	struct job *j;
	int n;

	if (c->closing || c->advancing)
		return;
	c->advancing = true;
	c->depth++;
	while (!c->closing) {
		while ((j = c->head) != NULL && j->done) {
			/* Off the queue first: a failed write closes c. */
			c->head = j->next;
			if (c->head == NULL)
				c->tail = NULL;
			c->njobs--;
			conn_reply(c, j->reply != NULL ? j->reply :
			    MXSPFD_BUSY_ACTION);
			job_free(j);
			if (c->closing)
				break;
		}
		if (c->closing)
			break;
		if (j != NULL && !j->running) {
			if (decide_start(j) != 0) {
				log_msg(LOG_ERR, "conn %lu: out of memory",
				    c->id);
				conn_close(c);
				break;
			}
			continue;
		}
		if ((n = conn_parse(c)) <= 0)
			break;
	}
	c->advancing = false;
	if (!c->closing) {
		conn_update_read(c);
		conn_maybe_done(c);
	}
	c->depth--;
}

/* conn_maybe_done - close once the input ended and all is answered */
static void
conn_maybe_done(struct conn *c)
{
	if (c->closing || !(c->eof || c->d->stopping) || c->head != NULL ||
	    c->out_off < c->out.len)
		return;
	if (c->in.len > 0 && !c->d->stopping && !c->bad) {
		struct mxspf_buf b;

		mxspf_buf_init(&b, 1024);
		log_put_untrusted(&b, c->in.p, c->in.len);
		log_msg(LOG_WARNING, "conn %lu: %s closed the connection in "
		    "the middle of a request: '%s'", c->id, c->peer,
		    mxspf_buf_cstr(&b));
		mxspf_buf_free(&b);
	}
	conn_close(c);
}

/* reply_copy - n bytes of an action into dst, each control byte as '?'
 * (a reply is one line of printable text) */
static void
reply_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (char)(ch >= 0x20 && ch != 0x7f ? ch : '?');
	}
}

/* conn_reply - send "action=ACTION\n\n", or queue what the socket does
 * not take.  With nothing queued before it (the usual case) the reply is
 * made on the stack and written at once, with no allocation; only the
 * rest goes into c->out. */
static void
conn_reply(struct conn *c, const char *action)
{
	char line[MXSPFD_REPLY_STACK];
	size_t alen = strlen(action), n = alen + 9, off, k;
	ssize_t w;

	if (c->out_off >= c->out.len && n <= sizeof(line)) {
		memcpy(line, "action=", 7);
		reply_copy(line + 7, action, alen);
		memcpy(line + 7 + alen, "\n\n", 2);
		w = conn_write(c, line, n);
		if (w == (ssize_t)n)
			return;
		/* The rest (an error comes again in conn_flush). */
		if (w < 0)
			w = 0;
		mxspf_buf_append(&c->out, line + w, n - (size_t)w);
	} else {
		if (c->out.cap == 0)
			(void)mxspf_buf_reserve(&c->out, MXSPFD_OUT_FIRST);
		mxspf_buf_append(&c->out, "action=", 7);
		for (off = 0; off < alen; off += k) {
			k = alen - off < sizeof(line) ? alen - off :
			    sizeof(line);
			reply_copy(line, action + off, k);
			mxspf_buf_append(&c->out, line, k);
		}
		mxspf_buf_append(&c->out, "\n\n", 2);
	}
	if (c->out.err != 0) {
		log_msg(LOG_WARNING, "conn %lu: %s does not read its replies; "
		    "closing", c->id, c->peer);
		conn_close(c);
		return;
	}
	conn_flush(c);
}

/* conn_flush - write what is queued without blocking */
static void
conn_flush(struct conn *c)
{
	ssize_t w;

	while (!c->closing && c->out_off < c->out.len) {
		w = conn_write(c, c->out.p + c->out_off,
		    c->out.len - c->out_off);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			(void)event_add(c->wev, NULL);
			return;
		}
		log_msg(LOG_DEBUG, "conn %lu: write: %s", c->id,
		    w < 0 ? strerror(errno) : "nothing written");
		conn_close(c);
		return;
	}
	if (c->closing)
		return;
	mxspf_buf_free(&c->out);
	c->out_off = 0;
	(void)event_del(c->wev);
}

void
conn_job_done(struct job *j)
{
	struct conn *c = j->conn;

	if (c->closing || c->advancing)
		return;		/* the frame below sends it */
	c->depth++;
	conn_advance(c);
	c->depth--;
	conn_reap(c);
}

/* read_cb - input is ready */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char buf[MXSPFD_READ_CHUNK];
	const char *nl;
	size_t room;
	ssize_t r;

	(void)fd;	/* c->in_fd */
	(void)what;
	c->depth++;
	room = MXSPFD_IN_MAX - c->in.len;
	if (room > sizeof(buf))
		room = sizeof(buf);
	r = room > 0 ? conn_read(c, buf, room) : 0;
	if (r > 0) {
		/* Idle connections hold no buffer (conn_consume frees
		 * it): grow a new one in one step, not five. */
		if (c->in.cap == 0)
			(void)mxspf_buf_reserve(&c->in, MXSPFD_IN_FIRST);
		mxspf_buf_append(&c->in, buf, (size_t)r);
		/* Only a newline, or a last line grown past the limit, can
		 * change what request_parse() says. */
		for (nl = buf + r; nl > buf && nl[-1] != '\n'; )
			nl--;
		if (nl > buf) {
			c->partial = (size_t)(buf + r - nl);
			c->in_news = true;
		} else {
			/* Junk shows in a line's first bytes (its name), a
			 * NUL anywhere, an over-long line at its limit. */
			if (c->partial <= REQ_MAX_NAME + 1 ||
			    memchr(buf, '\0', (size_t)r) != NULL)
				c->in_news = true;
			if ((c->partial += (size_t)r) > REQ_MAX_LINE + 1)
				c->in_news = true;
		}
		conn_idle_arm(c);
		conn_advance(c);
	} else if (r == 0 && room > 0) {
		c->eof = true;
		conn_update_read(c);
		conn_maybe_done(c);
	} else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		log_msg(LOG_DEBUG, "conn %lu: read: %s", c->id,
		    strerror(errno));
		conn_close(c);
	} else if (r == 0) {
		conn_update_read(c);
	}
	c->depth--;
	conn_reap(c);
}

/* write_cb - the peer can take more output */
static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	c->depth++;
	conn_flush(c);
	if (!c->closing)
		conn_maybe_done(c);
	c->depth--;
	conn_reap(c);
}

/* idle_cb - nothing happened for idle_timeout seconds */
static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	c->depth++;
	if (c->head == NULL && c->out_off >= c->out.len) {
		struct timeval now, due, left;

		(void)event_base_gettimeofday_cached(c->d->base, &now);
		timeradd(&c->active, &c->d->idle_plain, &due);
		if (timercmp(&now, &due, <)) {
			/* Input came since the timer was set: wait for the
			 * rest (at most a whole timeout, should the clock
			 * have been set back). */
			timersub(&due, &now, &left);
			if (timercmp(&left, &c->d->idle_plain, >))
				left = c->d->idle_plain;
			(void)event_add(c->idle, &left);
		} else {
			log_msg(LOG_DEBUG, "conn %lu: idle for %us; closing",
			    c->id, c->d->conf->idle_timeout_s);
			conn_close(c);
		}
	} else {
		conn_idle_arm(c);
	}
	c->depth--;
	conn_reap(c);
}
