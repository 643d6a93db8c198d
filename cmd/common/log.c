/* cmd/common/log.c - the daemons' log: syslog (mail facility by default)
 * and stderr, one line per event, from any thread.
 * Owns: the sink settings (set once at start-up, before any thread
 * starts; read-only afterwards; "prog[pid]: " is made by log_open and
 * again by log_stderr, which the daemons call after their fork into the
 * background) and the escaping of peer text for log lines.  syslog(3)
 * and one write(2) per line are thread-safe, so lines of different
 * sessions never mix.  A single-threaded daemon may batch its stderr
 * lines (log_batch_start): routine lines (info, debug) then wait until
 * the daemon flushes them (mxspfd: at most 50 ms later) or the batch is
 * full, warnings and errors go out at once; at a hundred thousand
 * decisions a second that is a system call per decision saved.
 * Must not: write to stderr when it is the policy connection (mxspfd
 * turns that sink off in stdio mode), or log untrusted bytes unescaped.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"

#define LOG_LINE_MAX 4096	/* one formatted line */

/* A syslog facility by its configuration name. */
struct facility {
	const char *name;
	int value;
};

static const struct facility facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static const char *log_prog = "mxspf";
static char log_prefix[64];		/* for stderr lines */
static size_t log_prefix_len;
static bool log_to_syslog;
static bool log_to_stderr = true;	/* until log_open: start-up errors */
static bool log_verbose;

/* Batched stderr lines (log_batch_start): one write(2) for the lines of
 * one event loop pass instead of one per line. */
#define LOG_BATCH_MAX 65536
static char log_batch[LOG_BATCH_MAX];
static size_t log_batch_len;
static bool log_batching;
static void (*log_batch_pending)(void);

static const char *prio_name(int prio);
static void prefix_make(void);
struct log_line;
static void log_emit(int prio, struct log_line *l, size_t n);
static void stderr_put(const char *p, size_t n);
static void write_all(int fd, const char *p, size_t n);

void
log_open(const char *prog, const char *facility, bool to_stderr,
    bool verbose)
{
	size_t i;

	log_prog = prog;
	prefix_make();
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	log_to_syslog = false;
	if (facility == NULL || strcasecmp(facility, "none") == 0)
		return;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcasecmp(facility, facilities[i].name) == 0) {
			/* LOG_NDELAY: connect now, before the privilege drop
			 * and any chroot. */
			openlog(log_prog, LOG_PID | LOG_NDELAY,
			    facilities[i].value);
			log_to_syslog = true;
			return;
		}
	}
}

void
log_stderr(bool on)
{
	log_flush();
	log_to_stderr = on;
	prefix_make();	/* called again after the fork into the background */
}

/* prefix_make - "prog[pid]: " for stderr lines, made once per process
 * (getpid is a system call; log_msg runs for every decision) */
static void
prefix_make(void)
{
	int n;

	n = snprintf(log_prefix, sizeof(log_prefix), "%s[%ld]: ", log_prog,
	    (long)getpid());
	log_prefix_len = n > 0 && (size_t)n < sizeof(log_prefix) ?
	    (size_t)n : 0;
}

void
log_close(void)
{
	log_batch_stop();
	if (log_to_syslog)
		closelog();
	log_to_syslog = false;
}

/* prio_name - the word printed before a stderr message */
static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* A line being made: "prog[pid]: prio: " then the message at off, with
 * room for the newline. */
struct log_line {
	char buf[sizeof(log_prefix) + 16 + LOG_LINE_MAX + 1];
	const char *pn;		/* prio_name */
	size_t pl, off;
};

/* line_begin - the prefix lengths of a line at prio */
static void
line_begin(struct log_line *l, int prio)
{
	if (log_prefix_len == 0)
		prefix_make();	/* before log_open */
	l->pn = prio_name(prio);
	l->pl = strlen(l->pn);
	l->off = log_prefix_len + l->pl;
}

void
log_msg(int prio, const char *fmt, ...)
{
	struct log_line l;
	size_t n;
	va_list ap;
	int r;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	/* One formatting pass, after room for "prog[pid]: prio: ". */
	line_begin(&l, prio);
	va_start(ap, fmt);
	r = vsnprintf(l.buf + l.off, LOG_LINE_MAX, fmt, ap);
	va_end(ap);
	n = r < 0 ? 0 : (size_t)r < LOG_LINE_MAX ? (size_t)r : LOG_LINE_MAX - 1;
	log_emit(prio, &l, n);
}

void
log_text(int prio, const char *text, size_t len)
{
	log_text2(prio, text, len, "", 0);
}

void
log_text2(int prio, const char *a, size_t alen, const char *b, size_t blen)
{
	struct log_line l;
	const char *pn;
	size_t n, pl, need;
	char *w;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	if (log_to_syslog || !log_to_stderr || !log_batching ||
	    prio <= LOG_WARNING || alen >= LOG_LINE_MAX - 1 ||
	    blen >= LOG_LINE_MAX - 1 - alen) {
		/* Through a line buffer (cut at LOG_LINE_MAX - 1). */
		line_begin(&l, prio);
		n = alen < LOG_LINE_MAX - 1 ? alen : LOG_LINE_MAX - 1;
		memcpy(l.buf + l.off, a, n);
		if (blen > LOG_LINE_MAX - 1 - n)
			blen = LOG_LINE_MAX - 1 - n;
		memcpy(l.buf + l.off + n, b, blen);
		n += blen;
		l.buf[l.off + n] = '\0';
		log_emit(prio, &l, n);
		return;
	}
	/* A routine line to a batching stderr: straight into the batch
	 * (a decision's line is copied once, not three times). */
	if (log_prefix_len == 0)
		prefix_make();
	pn = prio_name(prio);
	pl = strlen(pn);
	need = log_prefix_len + pl + alen + blen + 1;
	if (log_batch_len + need > LOG_BATCH_MAX)
		log_flush();
	w = log_batch + log_batch_len;
	memcpy(w, log_prefix, log_prefix_len);
	w += log_prefix_len;
	memcpy(w, pn, pl);
	w += pl;
	memcpy(w, a, alen);
	w += alen;
	memcpy(w, b, blen);
	w[blen] = '\n';
	if (log_batch_len == 0 && log_batch_pending != NULL)
		log_batch_pending();
	log_batch_len += need;
}

/* log_emit - send the message l->buf[off..off+n) (NUL-terminated) to
 * the sinks */
static void
log_emit(int prio, struct log_line *l, size_t n)
{
	if (log_to_syslog)
		syslog(prio, "%s", l->buf + l->off);
	if (log_to_stderr) {
		memcpy(l->buf, log_prefix, log_prefix_len);
		memcpy(l->buf + log_prefix_len, l->pn, l->pl);
		l->buf[l->off + n] = '\n';
		stderr_put(l->buf, l->off + n + 1);
		/* Warnings and errors leave at once (with what is batched
		 * before them); only routine lines wait. */
		if (prio <= LOG_WARNING)
			log_flush();
	}
}

/* stderr_put - one whole line to stderr: into the batch when batching
 * (flushed first when full), else one write so that lines of different
 * threads never mix */
static void
stderr_put(const char *p, size_t n)
{
	if (!log_batching || n > LOG_BATCH_MAX) {
		log_flush();
		write_all(STDERR_FILENO, p, n);
		return;
	}
	if (log_batch_len + n > LOG_BATCH_MAX)
		log_flush();
	memcpy(log_batch + log_batch_len, p, n);
	if (log_batch_len == 0 && log_batch_pending != NULL)
		log_batch_pending();
	log_batch_len += n;
}

/* write_all - write p[0..n) to fd, across short writes and EINTR; a
 * failure drops the rest (a log sink must never stop the daemon) */
static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void
log_batch_start(void (*pending)(void))
{
	log_batch_pending = pending;
	log_batching = true;
}

void
log_batch_stop(void)
{
	log_flush();
	log_batching = false;
	log_batch_pending = NULL;
}

void
log_flush(void)
{
	size_t n = log_batch_len;

	if (n == 0)
		return;
	log_batch_len = 0;
	write_all(STDERR_FILENO, log_batch, n);
}

void
log_put_untrusted(struct mxspf_buf *b, const char *p, size_t len)
{
	mxspf_buf_put_escaped(b, p, len, DAEMON_LOG_CUT);
}
