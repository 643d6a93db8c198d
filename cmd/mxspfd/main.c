/* cmd/mxspfd/main.c - mxspfd, the Postfix policy server of mxspf:
 * command line, start-up order, signals, shutdown.
 *
 * Start-up order (each step needs the one before): read the configuration
 * and the -Z zone (as the invoking user, usually root); bind the
 * listeners; go to the background; drop privileges; create the event loop,
 * the engine context and only then the libunbound resolver, whose worker
 * thread starts at the first query, after the drop.  SIGTERM and SIGINT
 * stop accepting, let the requests in flight finish (at most the deadline
 * plus MXSPFD_STOP_GRACE_MS), and exit 0.
 *
 * Owns: struct daemon's lifetime.  Must not: run as root when a user is
 * configured but cannot be switched to; write logs to stderr when stderr
 * is the policy connection (stdio mode under Postfix spawn).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#ifdef MXSPF_MIMALLOC
#include <mimalloc.h>
#endif
#include "mxspfd.h"

#define ERR_MAX 1024

/* The parsed command line. */
struct opts {
	const char *conf;	/* -c */
	char **listen;		/* -l, repeatable */
	size_t nlisten;
	bool foreground;	/* -f */
	bool check;		/* -n */
	const char *zone;	/* -Z */
	bool verbose;		/* -v */
};

static const char usage_text[] =
    "usage: mxspfd [-fnv] [-c FILE] [-l LISTEN]... [-Z ZONEFILE]\n"
    "  -c FILE      configuration (default " MXSPFD_DEFAULT_CONF
    ", if it exists)\n"
    "  -l LISTEN    unix:/PATH, inet:HOST:PORT or stdio (repeatable;\n"
    "               replaces the configured listeners)\n"
    "  -f           stay in the foreground and log to stderr too\n"
    "  -n           check the configuration and exit (0 ok, 1 error)\n"
    "  -Z ZONEFILE  answer DNS from a YAML zone (tests, what-if)\n"
    "  -v           verbose logging\n"
    "See mxspfd(8) and mxspfd.conf(5).\n";

static int usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int opts_parse(struct opts *o, int argc, char **argv);
static int conf_read(const char *path, char *const *listen, size_t nlisten,
    struct mxspf_conf **out, char *err, size_t errlen);
static int conf_setup(struct daemon *d, const struct opts *o);
static void reload_note(const struct mxspf_conf *o,
    const struct mxspf_conf *n);
static void daemon_reload(struct daemon *d);
static int gen_engine(struct gen *g);
static void stats_timer_arm(struct daemon *d);
static void stats_timer_cb(evutil_socket_t fd, short what, void *arg);
static void trim_timer_cb(evutil_socket_t fd, short what, void *arg);
static bool same_file(int a, int b);
static int dns_setup(struct daemon *d, const struct opts *o, char *err,
    size_t errlen);
static struct event_base *base_new(bool stdio);
static int loop_setup(struct daemon *d);
static void daemon_stop(struct daemon *d);
static void signal_cb(evutil_socket_t sig, short what, void *arg);
static void stop_timer_cb(evutil_socket_t fd, short what, void *arg);
static void ub_cb(evutil_socket_t fd, short what, void *arg);
static void log_pending(void);
static void log_flush_cb(evutil_socket_t fd, short what, void *arg);
static int daemon_run(struct daemon *d, const struct opts *o, uid_t uid,
    gid_t gid, bool drop);
static void daemon_free(struct daemon *d);

/* usage - print a message and the usage; returns MXSPFD_EXIT_USAGE */
static int
usage(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("mxspfd: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	(void)fputs(usage_text, stderr);
	return MXSPFD_EXIT_USAGE;
}

/* opts_parse - the command line into o; 0, or an exit code */
static int
opts_parse(struct opts *o, int argc, char **argv)
{
	char err[ERR_MAX];
	int ch;

	memset(o, 0, sizeof(*o));
	if ((o->listen = calloc((size_t)argc, sizeof(char *))) == NULL)
		return MXSPFD_EXIT_ERR;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":c:l:fnZ:vh")) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'l':
			if (listen_check(optarg, err, sizeof(err)) != 0)
				return usage("-l %s", err);
			o->listen[o->nlisten++] = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check = true;
			break;
		case 'Z':
			o->zone = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			(void)fputs(usage_text, stdout);
			return -1;
		case ':':
			err[0] = (char)optopt;
			err[1] = '\0';
			return usage("option -%s needs a value", err);
		default:
			err[0] = (char)optopt;
			err[1] = '\0';
			return usage("unknown option -%s", err);
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* conf_read - a configuration from path (NULL: the defaults, or
 * MXSPFD_DEFAULT_CONF when it exists) with the -l listeners, if any,
 * replacing the configured ones; 0, or -1 with a message in err */
static int
conf_read(const char *path, char *const *listen, size_t nlisten,
    struct mxspf_conf **out, char *err, size_t errlen)
{
	struct mxspf_conf *c;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = mxspf_conf_new(&c)) != 0) {
		(void)snprintf(err, errlen, "%s", mxspf_strerror(rc));
		return -1;
	}
	if (path == NULL && access(MXSPFD_DEFAULT_CONF, F_OK) == 0)
		path = MXSPFD_DEFAULT_CONF;
	if (path != NULL && mxspf_conf_load(c, path, err, errlen) != 0)
		goto fail;
	if (nlisten > 0) {
		/* -l replaces the configured listeners. */
		for (i = 0; i < c->nlisten; i++)
			free(c->listen[i]);
		free(c->listen);
		c->nlisten = 0;
		if ((c->listen = calloc(nlisten, sizeof(char *))) == NULL)
			goto nomem;
		for (i = 0; i < nlisten; i++) {
			if ((c->listen[i] = strdup(listen[i])) == NULL)
				goto nomem;
			c->nlisten++;
		}
	}
	for (i = 0; i < c->nlisten; i++) {
		if (listen_check(c->listen[i], err, errlen) != 0)
			goto fail;
		if (strcmp(c->listen[i], "stdio") == 0 && c->nlisten > 1) {
			(void)snprintf(err, errlen, "stdio cannot be combined "
			    "with other listeners");
			goto fail;
		}
	}
	*out = c;
	return 0;
nomem:
	(void)snprintf(err, errlen, "%s", mxspf_strerror(MXSPF_ENOMEM));
fail:
	mxspf_conf_free(c);
	return -1;
}

/* conf_setup - the first configuration; 0 or an exit code (the error
 * printed) */
static int
conf_setup(struct daemon *d, const struct opts *o)
{
	char err[ERR_MAX];
	size_t i;

	err[0] = '\0';
	d->conf_path = o->conf;
	d->listen_override = o->listen;
	d->nlisten_override = o->nlisten;
	d->zone_path = o->zone;
	if ((d->gen = calloc(1, sizeof(*d->gen))) != NULL)
		d->gen->refs = 1;
	if (d->gen == NULL || conf_read(o->conf, o->listen, o->nlisten,
	    &d->gen->conf, err, sizeof(err)) != 0) {
		(void)fprintf(stderr, "mxspfd: %s\n", err[0] != '\0' ? err :
		    mxspf_strerror(MXSPF_ENOMEM));
		return MXSPFD_EXIT_ERR;
	}
	d->conf = d->gen->conf;
	for (i = 0; i < d->conf->nlisten; i++)
		if (strcmp(d->conf->listen[i], "stdio") == 0)
			d->stdio = true;
	return 0;
}

/* gen_engine - g's evaluation context and MX-set cache (both live and
 * die with the configuration generation: a reload starts them empty) */
static int
gen_engine(struct gen *g)
{
	int rc = mxspf_ctx_new(&g->ctx, &g->conf->spf);

	if (rc == 0)
		rc = mxspf_trust_cache_new(&g->trust_cache,
		    MXSPFD_TRUST_CACHE_SLOTS);
	return rc;
}

void
gen_unref(struct gen *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	mxspf_trust_cache_free(g->trust_cache);
	mxspf_ctx_free(g->ctx);
	mxspf_conf_free(g->conf);
	free(g);
}

/* reload_note - log the keys a reload cannot change (they were bound at
 * start-up: sockets, user, resolver, log sink) */
static void
reload_note(const struct mxspf_conf *o, const struct mxspf_conf *n)
{
	reload_note_changed("listen", reload_strv_same(o->listen, o->nlisten,
	    n->listen, n->nlisten));
	reload_note_changed("user/group", reload_str_same(o->user, n->user) &&
	    reload_str_same(o->group, n->group));
	reload_note_resolver(o, n);
	reload_note_changed("syslog_facility/log_stderr",
	    reload_str_same(o->syslog_facility, n->syslog_facility) &&
	    o->log_stderr == n->log_stderr);
}

/* daemon_reload - SIGHUP: read the configuration (and the -Z zone) again.
 * New transactions use it; those in progress finish under the one they
 * started with; connections stay open.  A file that does not load keeps
 * everything as it was, and the log says why. */
static void
daemon_reload(struct daemon *d)
{
	char err[ERR_MAX];
	struct gen *g;
	struct mxspf_zone *zone = NULL;
	int rc;

	err[0] = '\0';
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		(void)snprintf(err, sizeof(err), "%s",
		    mxspf_strerror(MXSPF_ENOMEM));
		goto fail;
	}
	g->refs = 1;
	if (conf_read(d->conf_path, d->listen_override, d->nlisten_override,
	    &g->conf, err, sizeof(err)) != 0)
		goto fail;
	if ((rc = gen_engine(g)) != 0) {
		(void)snprintf(err, sizeof(err), "%s", mxspf_strerror(rc));
		goto fail;
	}
	if (d->zone_path != NULL &&
	    daemon_zone_load(d->zone_path, &zone, err, sizeof(err)) != 0)
		goto fail;
	reload_note(d->conf, g->conf);
	gen_unref(d->gen);
	d->gen = g;
	d->conf = g->conf;
	d->ctx = g->ctx;
	if (zone != NULL) {
		mxspf_zone_free(d->zone);
		d->zone = zone;
	}
	stats_timer_arm(d);
	daemon_timeouts(d);
	d->stats.reloads++;
	log_msg(LOG_INFO, "configuration reloaded from %s%s%s",
	    d->conf_path != NULL ? d->conf_path :
	    access(MXSPFD_DEFAULT_CONF, F_OK) == 0 ? MXSPFD_DEFAULT_CONF :
	    "the defaults", d->zone_path != NULL ? " and the zone " : "",
	    d->zone_path != NULL ? d->zone_path : "");
	return;
fail:
	d->stats.reload_failures++;
	log_msg(LOG_ERR, "reload failed, keeping the running "
	    "configuration: %s", err);
	mxspf_zone_free(zone);
	gen_unref(g);
}

void
daemon_timeouts(struct daemon *d)
{
	const struct timeval *t;

	d->idle_plain.tv_sec = (time_t)d->conf->idle_timeout_s;
	d->idle_plain.tv_usec = 0;
	d->deadline_plain.tv_sec = (time_t)(d->conf->deadline_ms / 1000);
	d->deadline_plain.tv_usec =
	    (suseconds_t)(d->conf->deadline_ms % 1000) * 1000;
	t = event_base_init_common_timeout(d->base, &d->idle_plain);
	d->idle_tv = t != NULL ? t : &d->idle_plain;
	t = event_base_init_common_timeout(d->base, &d->deadline_plain);
	d->deadline_tv = t != NULL ? t : &d->deadline_plain;
}

void
daemon_quiet(struct daemon *d)
{
	struct timeval tv = { MXSPFD_TRIM_DELAY_S, 0 };

	if (d->peak_inflight < MXSPFD_TRIM_PEAK || d->trim_timer == NULL ||
	    evtimer_pending(d->trim_timer, NULL))
		return;
	(void)evtimer_add(d->trim_timer, &tv);
}

/* trim_timer_cb - quiet since a burst: a burst of thousands of
 * evaluations (and unbound's work for them) leaves the heap large and
 * holed after it is all freed, since live objects (connections) sit
 * between the free blocks; malloc_trim (mimalloc: mi_collect) returns
 * those pages */
static void
trim_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { MXSPFD_TRIM_DELAY_S, 0 };

	(void)fd;
	(void)what;
	if (d->inflight > 0) {
		(void)evtimer_add(d->trim_timer, &tv);
		return;
	}
	d->peak_inflight = 0;
#if defined(MXSPF_MIMALLOC)
	mi_collect(true);
#elif defined(__GLIBC__)
	(void)malloc_trim(0);
#endif
}

/* stats_timer_arm - (re)start the periodic statistics line */
static void
stats_timer_arm(struct daemon *d)
{
	struct timeval tv;

	if (d->stats_timer == NULL)
		return;
	(void)event_del(d->stats_timer);
	if (d->conf->stats_interval_s == 0)
		return;
	tv.tv_sec = (time_t)d->conf->stats_interval_s;
	tv.tv_usec = 0;
	(void)event_add(d->stats_timer, &tv);
}

/* stats_timer_cb - time for the periodic statistics line */
static void
stats_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	stats_log(&d->stats, "periodic", d->nconns, d->inflight);
}

/* same_file - whether two descriptors are the same open file */
static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) != 0 || fstat(b, &sb) != 0)
		return true;	/* cannot tell: assume the worst */
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* dns_setup - load the -Z zone, or create the resolver; 0 or -1 */
static int
dns_setup(struct daemon *d, const struct opts *o, char *err, size_t errlen)
{
	struct mxspf_ub_config uc;
	const struct mxspf_conf *c = d->conf;
	int rc;

	if (o->zone != NULL)
		return daemon_zone_load(o->zone, &d->zone, err, errlen);
	mxspf_ub_config_init(&uc);
	uc.resolvconf = c->resolvconf;
	uc.forwarders = (const char *const *)c->forwarders;
	uc.nforwarders = c->nforwarders;
	uc.stub_zone = c->stub_zone;
	uc.stub_addr = c->stub_addr;
	uc.trust_anchor_file = c->trust_anchor_file;
	uc.cache_entries = c->cache_entries;
	uc.cache_bytes = c->cache_memory;
	uc.cache_max_ttl = c->cache_max_ttl;
	if ((rc = mxspf_ub_new(&d->ub, &uc, err, errlen)) != 0) {
		if (err[0] == '\0')
			(void)snprintf(err, errlen, "%s", mxspf_strerror(rc));
		return -1;
	}
	return 0;
}

/* base_new - the event loop.  In stdio mode stdin may be a regular file
 * or /dev/null, which epoll refuses: use poll() there. */
static struct event_base *
base_new(bool stdio)
{
	struct event_config *cfg;
	struct event_base *base;
	struct stat st;
	bool plain = false;

	if (stdio && ((fstat(STDIN_FILENO, &st) == 0 &&
	    !S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode)) ||
	    (fstat(STDOUT_FILENO, &st) == 0 && !S_ISSOCK(st.st_mode) &&
	    !S_ISFIFO(st.st_mode))))
		plain = true;
	if ((cfg = event_config_new()) == NULL)
		return NULL;
	if (plain)
		(void)event_config_avoid_method(cfg, "epoll");
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* loop_setup - listeners, the resolver's descriptor and the signals on
 * the loop; 0 or -1 */
/* The timer that writes the batched log lines (log_pending).  Static:
 * log.c's hook has no argument. */
static struct event *log_flush_ev;

/* log_pending - the first line of a batch: write it (and the lines that
 * follow) MXSPFD_LOG_FLUSH_MS later; a full batch is written at once by
 * log.c.  Under load that is a write every 64 KiB instead of one per
 * loop pass (a few decisions), a few percent of the daemon's time. */
static void
log_pending(void)
{
	static const struct timeval tv = { 0, MXSPFD_LOG_FLUSH_MS * 1000 };

	if (log_flush_ev != NULL && !evtimer_pending(log_flush_ev, NULL))
		(void)evtimer_add(log_flush_ev, &tv);
}

/* log_flush_cb - the batch's time is up: write it */
static void
log_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
}

static int
loop_setup(struct daemon *d)
{
	if ((log_flush_ev = event_new(d->base, -1, 0, log_flush_cb, NULL)) ==
	    NULL)
		return -1;
	log_batch_start(log_pending);
	if (d->ub != NULL) {
		d->ub_ev = event_new(d->base, mxspf_ub_fd(d->ub),
		    EV_READ | EV_PERSIST, ub_cb, d);
		if (d->ub_ev == NULL || event_add(d->ub_ev, NULL) != 0)
			return -1;
	}
	d->sig_term = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, signal_cb, d);
	d->sig_usr1 = evsignal_new(d->base, SIGUSR1, signal_cb, d);
	d->stop_timer = evtimer_new(d->base, stop_timer_cb, d);
	d->stats_timer = evtimer_new(d->base, stats_timer_cb, d);
	d->trim_timer = evtimer_new(d->base, trim_timer_cb, d);
	if (d->sig_term == NULL || d->sig_int == NULL || d->sig_hup == NULL ||
	    d->sig_usr1 == NULL || d->stop_timer == NULL ||
	    d->stats_timer == NULL || d->trim_timer == NULL ||
	    event_add(d->sig_term, NULL) != 0 ||
	    event_add(d->sig_int, NULL) != 0 ||
	    event_add(d->sig_hup, NULL) != 0 ||
	    event_add(d->sig_usr1, NULL) != 0)
		return -1;
	stats_timer_arm(d);
	return listen_start(d);
}

/* ub_cb - libunbound has answers: run their callbacks */
static void
ub_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (mxspf_ub_process(d->ub) != 0)
		log_msg(LOG_ERR, "the resolver failed to deliver answers");
}

/* daemon_stop - stop accepting; close idle connections, let busy ones
 * finish; the loop ends when none is left or the grace time passed */
static void
daemon_stop(struct daemon *d)
{
	struct timeval tv;
	struct conn *c, *next;
	unsigned ms = d->conf->deadline_ms + MXSPFD_STOP_GRACE_MS;

	d->stopping = true;
	listen_close(d);
	for (c = d->conns; c != NULL; c = next) {
		next = c->next;
		conn_stop(c);
	}
	if (d->nconns == 0) {
		(void)event_base_loopbreak(d->base);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	(void)event_add(d->stop_timer, &tv);
}

/* signal_cb - SIGTERM/SIGINT: stop (a second one: at once); SIGHUP:
 * reload; SIGUSR1: log the statistics line */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (!d->stopping)
			daemon_reload(d);
		return;
	}
	if (sig == SIGUSR1) {
		stats_log(&d->stats, "SIGUSR1", d->nconns, d->inflight);
		return;
	}
	if (d->stopping) {
		log_msg(LOG_INFO, "second signal: stopping now");
		(void)event_base_loopbreak(d->base);
		return;
	}
	log_msg(LOG_INFO, "signal %d: stopping after the requests in "
	    "flight", (int)sig);
	daemon_stop(d);
}

/* stop_timer_cb - the grace time after a stop signal is over */
static void
stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_msg(LOG_WARNING, "%zu connections still busy; stopping anyway",
	    d->nconns);
	(void)event_base_loopbreak(d->base);
}

/* daemon_run - bind, go to the background, drop privileges, make the
 * loop and the resolver, run; returns the exit code */
static int
daemon_run(struct daemon *d, const struct opts *o, uid_t uid, gid_t gid,
    bool drop)
{
	char err[ERR_MAX];
	bool to_stderr;
	int rc;

	(void)signal(SIGPIPE, SIG_IGN);
	to_stderr = d->conf->log_stderr || o->foreground;
	if (d->stdio && same_file(STDERR_FILENO, STDOUT_FILENO))
		to_stderr = false;	/* spawn: stderr is the peer */
	log_open("mxspfd", d->conf->syslog_facility, to_stderr, o->verbose);
	err[0] = '\0';
	if (listen_open(d, d->conf->listen, d->conf->nlisten, uid, gid, drop,
	    err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "cannot listen: %s", err);
		return MXSPFD_EXIT_ERR;
	}
	if (!o->foreground && !d->stdio) {
		if (privs_daemonize(err, sizeof(err)) != 0) {
			log_msg(LOG_ERR, "%s", err);
			return MXSPFD_EXIT_ERR;
		}
		log_stderr(d->conf->log_stderr);
	}
	if (drop && privs_drop(uid, gid, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "refusing to run as root: %s", err);
		return MXSPFD_EXIT_ERR;
	}
	if (geteuid() == 0)
		log_msg(LOG_WARNING, "running as root: set user in [mxspfd]");
	if ((d->base = base_new(d->stdio)) == NULL) {
		log_msg(LOG_ERR, "cannot create the event loop");
		return MXSPFD_EXIT_ERR;
	}
	stats_init(&d->stats);
	daemon_timeouts(d);
	if ((rc = gen_engine(d->gen)) != 0) {
		log_msg(LOG_ERR, "cannot set up: %s", mxspf_strerror(rc));
		return MXSPFD_EXIT_ERR;
	}
	d->ctx = d->gen->ctx;
	err[0] = '\0';
	if (o->zone == NULL && dns_setup(d, o, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "cannot set up the resolver: %s", err);
		return MXSPFD_EXIT_ERR;
	}
	if (loop_setup(d) != 0) {
		log_msg(LOG_ERR, "cannot set up the event loop");
		return MXSPFD_EXIT_ERR;
	}
	log_msg(LOG_INFO, "mxspfd %s ready (%zu listeners, %s)",
	    MXSPF_VERSION, d->nlisteners, d->zone != NULL ? "zone file" :
	    "libunbound");
	(void)event_base_dispatch(d->base);
	stats_log(&d->stats, "exit", d->nconns, d->inflight);
	log_msg(LOG_INFO, "mxspfd stopped");
	return MXSPFD_EXIT_OK;
}

/* daemon_free - close everything that is left */
static void
daemon_free(struct daemon *d)
{
	struct conn *c;

	while ((c = d->conns) != NULL) {
		conn_close(c);
		conn_reap(c);
	}
	listen_close(d);
	if (d->ub_ev != NULL)
		event_free(d->ub_ev);

	if (d->sig_term != NULL)
		event_free(d->sig_term);
	if (d->sig_int != NULL)
		event_free(d->sig_int);
	if (d->sig_hup != NULL)
		event_free(d->sig_hup);
	if (d->sig_usr1 != NULL)
		event_free(d->sig_usr1);
	if (d->stats_timer != NULL)
		event_free(d->stats_timer);
	if (d->trim_timer != NULL)
		event_free(d->trim_timer);
	if (d->stop_timer != NULL)
		event_free(d->stop_timer);
	log_batch_stop();
	if (log_flush_ev != NULL)
		event_free(log_flush_ev);
	log_flush_ev = NULL;
	mxspf_ub_free(d->ub);
	mxspf_zone_free(d->zone);
	gen_unref(d->gen);
	if (d->base != NULL)
		event_base_free(d->base);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct opts o;
	char err[ERR_MAX];
	uid_t uid = 0;
	gid_t gid = 0;
	bool drop = false;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = opts_parse(&o, argc, argv)) != 0) {
		free(o.listen);
		return rc < 0 ? MXSPFD_EXIT_OK : rc;
	}
	d.verbose = o.verbose;
	err[0] = '\0';
	if ((rc = conf_setup(&d, &o)) != 0)
		goto out;
	rc = MXSPFD_EXIT_ERR;
	if (d.conf->user != NULL && (geteuid() == 0 || o.check)) {
		if (privs_lookup(d.conf->user, d.conf->group, &uid, &gid, err,
		    sizeof(err)) != 0) {
			(void)fprintf(stderr, "mxspfd: %s\n", err);
			goto out;
		}
		drop = geteuid() == 0;
	}
	if (dns_setup(&d, &o, err, sizeof(err)) != 0) {
		(void)fprintf(stderr, "mxspfd: %s: %s\n", o.zone != NULL ?
		    "cannot load the zone" : "cannot set up the resolver", err);
		goto out;
	}
	if (o.check) {
		(void)printf("mxspfd: configuration OK\n");
		rc = fflush(stdout) == 0 ? MXSPFD_EXIT_OK : MXSPFD_EXIT_ERR;
		goto out;
	}
	/* The resolver is made again after the privilege drop. */
	mxspf_ub_free(d.ub);
	d.ub = NULL;
	rc = daemon_run(&d, &o, uid, gid, drop);
out:
	daemon_free(&d);
	log_close();
	free(o.listen);
	return rc;
}
