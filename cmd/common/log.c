/* cmd/common/log.c - the daemons' log: syslog (mail facility by default)
 * and stderr, one line per event, from any thread.
 * Owns: the sink settings (set once at start-up, before any thread
 * starts; read-only afterwards; "prog[pid]: " is made by log_open and
 * again by log_stderr, which the daemons call after their fork into the
 * background) and the escaping of peer text for log lines.  syslog(3)
 * and one fwrite(3) per line are thread-safe, so lines of different
 * sessions never mix.
 * Must not: write to stderr when it is the policy connection (mxspfd
 * turns that sink off in stdio mode), or log untrusted bytes unescaped.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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

static const char *prio_name(int prio);
static void prefix_make(void);

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

void
log_msg(int prio, const char *fmt, ...)
{
	char line[sizeof(log_prefix) + 16 + LOG_LINE_MAX + 1];
	const char *pn;
	size_t off, pl, n;
	va_list ap;
	int r;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	/* One formatting pass, after room for "prog[pid]: prio: ". */
	pn = prio_name(prio);
	pl = strlen(pn);
	off = log_prefix_len + pl;
	va_start(ap, fmt);
	r = vsnprintf(line + off, LOG_LINE_MAX, fmt, ap);
	va_end(ap);
	n = r < 0 ? 0 : (size_t)r < LOG_LINE_MAX ? (size_t)r : LOG_LINE_MAX - 1;
	if (log_to_syslog)
		syslog(prio, "%s", line + off);
	if (log_to_stderr) {
		if (log_prefix_len == 0)
			prefix_make();	/* before log_open */
		memcpy(line, log_prefix, log_prefix_len);
		memcpy(line + log_prefix_len, pn, pl);
		line[off + n] = '\n';
		/* One write per line: lines of different threads never
		 * mix (stderr is unbuffered, as fprintf's was). */
		(void)fwrite(line, 1, off + n + 1, stderr);
	}
}

void
log_put_untrusted(struct mxspf_buf *b, const char *p, size_t len)
{
	mxspf_buf_put_escaped(b, p, len, DAEMON_LOG_CUT);
}
