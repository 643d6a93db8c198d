/* cmd/common/log.c - the daemons' log: syslog (mail facility by default)
 * and stderr, one line per event, from any thread.
 * Owns: the sink settings (set once at start-up, before any thread
 * starts; read-only afterwards) and the escaping of peer text for log
 * lines.  syslog(3) and one fprintf(3) per line are thread-safe, so lines
 * of different sessions never mix.
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
static bool log_to_syslog;
static bool log_to_stderr = true;	/* until log_open: start-up errors */
static bool log_verbose;

static const char *prio_name(int prio);

void
log_open(const char *prog, const char *facility, bool to_stderr,
    bool verbose)
{
	size_t i;

	log_prog = prog;
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
	char line[LOG_LINE_MAX];
	va_list ap;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_to_syslog)
		syslog(prio, "%s", line);
	if (log_to_stderr)
		(void)fprintf(stderr, "%s[%ld]: %s%s\n", log_prog,
		    (long)getpid(), prio_name(prio), line);
}

void
log_put_untrusted(struct mxspf_buf *b, const char *p, size_t len)
{
	mxspf_buf_put_escaped(b, p, len, DAEMON_LOG_CUT);
}
