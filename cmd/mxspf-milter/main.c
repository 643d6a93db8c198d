/* cmd/mxspf-milter/main.c - mxspf-milter, the SPF milter of mxspf for
 * the final MX: command line, configuration, start-up order, shutdown.
 *
 * Start-up order (each step needs the one before): read the
 * configuration file (-c: its [milter] section through config.c, the
 * shared sections [policy], [spf], [resolver], [domain NAME] through
 * mxspf_conf_load, which skips [milter]; one file configures mxspfd and
 * the milter alike) and the -Z zone as the invoking user (usually root);
 * register with libmilter and bind its socket; give a unix socket to the
 * configured user and group; go to the background (before any thread
 * exists); drop privileges; block the signals libmilter's signal thread
 * waits for (so that the resolver thread never takes them); create the
 * engine context, the libunbound resolver and its thread (unbound's
 * worker starts at the first query, after the drop); then smfi_main().
 * SIGTERM / SIGHUP / SIGINT make libmilter stop accepting; the sessions
 * still running get twice the deadline plus MILTER_STOP_GRACE_MS to
 * finish, then everything is freed and the counters are logged.
 * SIGUSR2 reloads the configuration (milter_reload), SIGUSR1 logs the
 * statistics line; both are taken by the statistics thread.
 *
 * Owns: struct milter's lifetime.  Must not: run as root when a user is
 * configured but cannot be switched to; free the library objects while a
 * session may still use them.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "milter.h"

#define ERR_MAX 1024

/* The parsed command line. */
struct opts {
	const char *conf;	/* -c */
	const char *socket;	/* -l */
	bool foreground;	/* -f */
	bool check;		/* -n */
	const char *zone;	/* -Z */
	bool verbose;		/* -v */
};

static const char usage_text[] =
    "usage: " MILTER_PROG " [-fnv] [-c FILE] [-l SOCKET] [-Z ZONEFILE]\n"
    "  -c FILE    configuration (default " MILTER_DEFAULT_CONF ", if it\n"
    "             exists)\n"
    "  -l SOCKET  unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST (replaces\n"
    "             [milter] socket)\n"
    "  -f         stay in the foreground and log to stderr too\n"
    "  -n         check the configuration and exit (0 ok, 1 error)\n"
    "  -Z FILE    answer DNS from a YAML zone (tests, what-if)\n"
    "  -v         verbose logging\n"
    "See mxspf-milter(8).\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int opts_parse(struct opts *o, int argc, char **argv);
static void gen_free(struct mgen *g);
static int gen_load(const char *path, const char *socket, struct mgen **out,
    char *err, size_t errlen);
static int conf_setup(struct milter *m, const struct opts *o);
static void reload_note(const struct mgen *o, const struct mgen *n);
static void milter_reload(struct milter *m);
static int block_signals(void);
static int milter_setup(struct milter *m, char *err, size_t errlen);
static bool wait_sessions(struct milter *m);

/* usage - print a message and the usage; returns MILTER_EXIT_USAGE */
static int
usage(const char *fmt, ...)
{
	va_list ap;

	(void)fputs(MILTER_PROG ": ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	(void)fputs(usage_text, stderr);
	return MILTER_EXIT_USAGE;
}

/* opts_parse - the command line into o; 0, -1 (help), or an exit code */
static int
opts_parse(struct opts *o, int argc, char **argv)
{
	char err[ERR_MAX];
	int ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((ch = getopt(argc, argv, ":c:l:fnZ:vh")) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'l':
			if (milter_socket_check(optarg, err, sizeof(err)) != 0)
				return usage("-l: %s", err);
			o->socket = optarg;
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
			return usage("option -%c needs a value", optopt);
		default:
			return usage("unknown option -%c", optopt);
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* gen_free - free a configuration generation (NULL is fine) */
static void
gen_free(struct mgen *g)
{
	if (g == NULL)
		return;
	mxspf_ctx_free(g->ctx);
	mxspf_conf_free(g->conf);
	milter_conf_free(&g->mc);
	free(g);
}

/* gen_load - a configuration from path (NULL: MILTER_DEFAULT_CONF if it
 * exists, else the defaults) with the -l socket; 0, or -1 and a message
 * in err.  No context yet. */
static int
gen_load(const char *path, const char *socket, struct mgen **out, char *err,
    size_t errlen)
{
	struct mgen *g;
	int rc;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		(void)snprintf(err, errlen, "%s", mxspf_strerror(MXSPF_ENOMEM));
		return -1;
	}
	g->refs = 1;
	if ((rc = mxspf_conf_new(&g->conf)) != 0 ||
	    (rc = milter_conf_init(&g->mc)) != 0) {
		(void)snprintf(err, errlen, "%s", mxspf_strerror(rc));
		gen_free(g);
		return -1;
	}
	if (path == NULL && access(MILTER_DEFAULT_CONF, F_OK) == 0)
		path = MILTER_DEFAULT_CONF;
	if (path != NULL &&
	    (milter_conf_load(&g->mc, path, err, errlen) != 0 ||
	    mxspf_conf_load(g->conf, path, err, errlen) != 0)) {
		gen_free(g);
		return -1;
	}
	if (socket != NULL &&
	    milter_conf_set_socket(&g->mc, socket, err, errlen) != 0) {
		gen_free(g);
		return -1;
	}
	*out = g;
	return 0;
}

struct mgen *
gen_get(struct milter *m)
{
	struct mgen *g;

	(void)pthread_mutex_lock(&m->glock);
	g = m->gen;
	g->refs++;
	(void)pthread_mutex_unlock(&m->glock);
	return g;
}

void
gen_put(struct milter *m, struct mgen *g)
{
	unsigned n;

	if (g == NULL)
		return;
	(void)pthread_mutex_lock(&m->glock);
	n = --g->refs;
	(void)pthread_mutex_unlock(&m->glock);
	if (n == 0)
		gen_free(g);
}

/* conf_setup - the -c file (or the default, if it exists), then -l; 0
 * or an exit code (printed) */
static int
conf_setup(struct milter *m, const struct opts *o)
{
	char err[ERR_MAX];

	m->conf_path = o->conf;
	m->socket_opt = o->socket;
	m->zone_path = o->zone;
	err[0] = '\0';
	if (gen_load(o->conf, o->socket, &m->gen, err, sizeof(err)) != 0) {
		(void)fprintf(stderr, "%s: %s\n", MILTER_PROG, err);
		return MILTER_EXIT_ERR;
	}
	return 0;
}

/* reload_note - log what a reload cannot change (bound at start-up) */
static void
reload_note(const struct mgen *o, const struct mgen *n)
{
	reload_note_changed("socket", reload_str_same(o->mc.socket,
	    n->mc.socket));
	reload_note_changed("user/group", reload_str_same(o->mc.user,
	    n->mc.user) && reload_str_same(o->mc.group, n->mc.group));
	reload_note_changed("syslog_facility/log_stderr",
	    reload_str_same(o->mc.syslog_facility, n->mc.syslog_facility) &&
	    o->mc.log_stderr == n->mc.log_stderr);
	reload_note_resolver(o->conf, n->conf);
}

/* milter_reload - SIGUSR2 (libmilter keeps SIGHUP for itself): read the
 * configuration (and the -Z zone) again.  Sessions already connected go
 * on with the one they started with; new ones get the new one.  A file
 * that does not load changes nothing; the log says why. */
static void
milter_reload(struct milter *m)
{
	char err[ERR_MAX];
	struct mgen *g = NULL, *old;
	struct mxspf_zone *z = NULL, *oz;
	int rc;

	err[0] = '\0';
	if (gen_load(m->conf_path, m->socket_opt, &g, err, sizeof(err)) != 0)
		goto fail;
	if ((rc = mxspf_ctx_new(&g->ctx, &g->conf->spf)) != 0) {
		(void)snprintf(err, sizeof(err), "%s", mxspf_strerror(rc));
		goto fail;
	}
	if (m->zone_path != NULL &&
	    daemon_zone_load(m->zone_path, &z, err, sizeof(err)) != 0)
		goto fail;
	reload_note(m->gen, g);
	if (z != NULL) {
		dns_lock(&m->dns);
		oz = m->dns.zone;
		m->dns.zone = z;
		dns_unlock(&m->dns);
		mxspf_zone_free(oz);
	}
	(void)pthread_mutex_lock(&m->glock);
	old = m->gen;
	m->gen = g;
	(void)pthread_mutex_unlock(&m->glock);
	gen_put(m, old);
	log_msg(LOG_INFO, "configuration reloaded from %s%s%s",
	    m->conf_path != NULL ? m->conf_path :
	    access(MILTER_DEFAULT_CONF, F_OK) == 0 ? MILTER_DEFAULT_CONF :
	    "the defaults", m->zone_path != NULL ? " and the zone " : "",
	    m->zone_path != NULL ? m->zone_path : "");
	return;
fail:
	log_msg(LOG_ERR, "reload failed, keeping the running configuration: "
	    "%s", err);
	mxspf_zone_free(z);
	gen_free(g);
}

/* block_signals - block what libmilter's signal thread waits for, in
 * this thread and so in every thread made after it; ignore SIGPIPE */
static int
block_signals(void)
{
	sigset_t set;

	(void)signal(SIGPIPE, SIG_IGN);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGHUP);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGUSR1);	/* for stats_thread only */
	(void)sigaddset(&set, SIGUSR2);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

/* stats_thread - log the statistics line every stats_interval seconds
 * and at each SIGUSR1, reload at each SIGUSR2 (both blocked in every
 * thread: they are waited for here), until stats_stop is set and it is
 * woken */
static void *
stats_thread(void *arg)
{
	struct milter *m = arg;
	struct timespec ts;
	sigset_t set;
	int sig;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGUSR1);
	(void)sigaddset(&set, SIGUSR2);
	for (;;) {
		/* This thread is the one that replaces m->gen. */
		if (m->gen->mc.stats_interval > 0) {
			ts.tv_sec = (time_t)m->gen->mc.stats_interval;
			ts.tv_nsec = 0;
			sig = sigtimedwait(&set, NULL, &ts);
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (atomic_load(&m->stats_stop))
			return NULL;
		if (sig == SIGUSR1)
			stats_log(&m->stats, "SIGUSR1");
		else if (sig == SIGUSR2)
			milter_reload(m);
		else if (sig < 0 && errno == EAGAIN)
			stats_log(&m->stats, "periodic");
	}
}

/* milter_setup - libmilter: register, socket; 0 or -1 and err */
static int
milter_setup(struct milter *m, char *err, size_t errlen)
{
	if (smfi_register(*filter_desc(m)) != MI_SUCCESS) {
		(void)snprintf(err, errlen, "smfi_register failed");
		return -1;
	}
	if (smfi_setconn(m->gen->mc.socket) != MI_SUCCESS) {
		(void)snprintf(err, errlen, "smfi_setconn %s failed",
		    m->gen->mc.socket);
		return -1;
	}
	(void)smfi_setbacklog(MILTER_BACKLOG);
	/* Bind now, as root; remove a stale unix socket first. */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		(void)snprintf(err, errlen, "cannot open the socket %s",
		    m->gen->mc.socket);
		return -1;
	}
	return 0;
}

/* wait_sessions - after smfi_main: let the sessions finish; true when
 * none is left */
static bool
wait_sessions(struct milter *m)
{
	struct timespec dl;
	bool none;

	(void)clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)((MILTER_EOM_DEADLINES * m->gen->conf->deadline_ms +
	    MILTER_STOP_GRACE_MS) / 1000 + 1);
	(void)pthread_mutex_lock(&m->slock);
	while (m->nsessions > 0)
		if (pthread_cond_timedwait(&m->scv, &m->slock, &dl) ==
		    ETIMEDOUT)
			break;
	none = m->nsessions == 0;
	if (!none)
		log_msg(LOG_WARNING, "%zu sessions still busy; stopping "
		    "anyway", m->nsessions);
	(void)pthread_mutex_unlock(&m->slock);
	return none;
}

int
main(int argc, char **argv)
{
	struct milter *m;
	struct mxspf_zone *zone = NULL;
	struct opts o;
	char err[ERR_MAX];
	uid_t uid = 0;
	gid_t gid = 0;
	bool drop = false, bound = false, dns = false;
	int rc;

	if ((rc = opts_parse(&o, argc, argv)) != 0)
		return rc < 0 ? MILTER_EXIT_OK : rc;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    stats_init(&m->stats) != 0 ||
	    pthread_mutex_init(&m->slock, NULL) != 0 ||
	    pthread_mutex_init(&m->glock, NULL) != 0 ||
	    pthread_cond_init(&m->scv, NULL) != 0) {
		(void)fprintf(stderr, "%s: out of memory\n", MILTER_PROG);
		return MILTER_EXIT_ERR;
	}
	m->verbose = o.verbose;
	err[0] = '\0';
	if ((rc = conf_setup(m, &o)) != 0)
		goto out;
	rc = MILTER_EXIT_ERR;
	if (m->gen->mc.user != NULL && (geteuid() == 0 || o.check)) {
		if (privs_lookup(m->gen->mc.user, m->gen->mc.group, &uid, &gid, err,
		    sizeof(err)) != 0) {
			(void)fprintf(stderr, "%s: %s\n", MILTER_PROG, err);
			goto out;
		}
		drop = geteuid() == 0;
	}
	if (o.zone != NULL ?
	    daemon_zone_load(o.zone, &zone, err, sizeof(err)) != 0 :
	    dns_check(m->gen->conf, err, sizeof(err)) != 0) {
		(void)fprintf(stderr, "%s: %s: %s\n", MILTER_PROG,
		    o.zone != NULL ? "cannot load the zone" :
		    "cannot set up the resolver", err);
		goto out;
	}
	if (o.check) {
		(void)printf("%s: configuration OK\n", MILTER_PROG);
		rc = fflush(stdout) == 0 ? MILTER_EXIT_OK : MILTER_EXIT_ERR;
		goto out;
	}
	log_open(MILTER_PROG, m->gen->mc.syslog_facility,
	    m->gen->mc.log_stderr || o.foreground,
	    o.verbose);
	if (milter_setup(m, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	bound = true;
	if (privs_socket(m->gen->mc.socket, uid, gid, drop, err, sizeof(err)) !=
	    0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	if (!o.foreground) {
		if (privs_daemonize(err, sizeof(err)) != 0) {
			log_msg(LOG_ERR, "%s", err);
			goto out;
		}
		log_stderr(m->gen->mc.log_stderr);
	}
	if (drop && privs_drop(uid, gid, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "refusing to run as root: %s", err);
		goto out;
	}
	if (geteuid() == 0)
		log_msg(LOG_WARNING, "running as root: set user in [milter]");
	if (block_signals() != 0 ||
	    (rc = mxspf_ctx_new(&m->gen->ctx, &m->gen->conf->spf)) != 0) {
		log_msg(LOG_ERR, "cannot set up: %s", mxspf_strerror(rc));
		rc = MILTER_EXIT_ERR;
		goto out;
	}
	rc = MILTER_EXIT_ERR;
	if (dns_init(&m->dns, m->gen->conf, zone, err, sizeof(err)) != 0) {
		zone = NULL;	/* owned by m->dns now */
		dns = true;
		log_msg(LOG_ERR, "cannot set up the resolver: %s", err);
		goto out;
	}
	zone = NULL;
	dns = true;
	log_msg(LOG_INFO, "%s %s ready on %s (%s, rcpt_checks=%s)",
	    MILTER_PROG, MXSPF_VERSION, m->gen->mc.socket, m->dns.zone != NULL ?
	    "zone file" : "libunbound", m->gen->mc.rcpt_checks ? "yes" : "no");
	if (pthread_create(&m->stats_tid, NULL, stats_thread, m) != 0)
		log_msg(LOG_WARNING, "no statistics thread: SIGUSR1 and "
		    "stats_interval do nothing");
	else
		m->stats_started = true;
	rc = smfi_main() == MI_SUCCESS ? MILTER_EXIT_OK : MILTER_EXIT_ERR;
	if (m->stats_started) {
		atomic_store(&m->stats_stop, true);
		(void)pthread_kill(m->stats_tid, SIGUSR1);
		(void)pthread_join(m->stats_tid, NULL);
	}
	if (!wait_sessions(m)) {
		/* A session may still use everything: leave it all. */
		stats_log(&m->stats, "exit");
		log_close();
		_exit(rc);
	}
	stats_log(&m->stats, "exit");
	log_msg(LOG_INFO, "%s stopped", MILTER_PROG);
out:
	if (bound)
		privs_unlink_socket(m->gen->mc.socket);
	if (dns)
		dns_free(&m->dns);
	mxspf_zone_free(zone);
	gen_put(m, m->gen);
	stats_free(&m->stats);
	(void)pthread_cond_destroy(&m->scv);
	(void)pthread_mutex_destroy(&m->slock);
	(void)pthread_mutex_destroy(&m->glock);
	free(m);
	log_close();
	return rc;
}
