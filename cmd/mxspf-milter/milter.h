/* cmd/mxspf-milter/milter.h - private interface of mxspf-milter.
 *
 * Owns: struct milter (the configuration, the engine context, the shared
 * resolver, the counters, the count of live sessions), struct session
 * (one SMTP connection as libmilter sees it) and struct msg (one message
 * of it), and the prototypes of the modules: log.c, privs.c, dns.c,
 * stats.c, filter.c (libmilter callbacks up to RCPT TO and headers),
 * eom.c (the end of message: the walk, the re-check, headers, action).
 *
 * Threads: libmilter runs one thread per connection.  A session and its
 * message belong to that thread.  Every library object (the context,
 * the resolver, transactions, recipients, walks, evaluations of every
 * session) is used under the one library lock (dns.c), which a session
 * holds while it steps a machine and which it gives up while it waits for
 * DNS; the resolver thread takes it to deliver answers.
 *
 * Must not: be included by lib/; call libmilter while holding the
 * library lock (a slow MTA would stall every session).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_MILTER_H
#define MXSPF_MILTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "mxspf/mxspf.h"
#include "mxspf/policy.h"
#include "mxspf/received.h"
#include "mxspf/unbound.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "recheck.h"
#include "text.h"

#define MILTER_PROG "mxspf-milter"
#define MILTER_DEFAULT_CONF "/etc/mxspf/mxspfd.conf"	/* mxspfd's too */
#define MILTER_MAX_WALKS 4		/* relayed domains walked a message */
#define MILTER_MAX_AR_DELETE 1000	/* our A-R headers removed a message */
#define MILTER_MAX_HELO 1024		/* bytes of a HELO name kept */
#define MILTER_STOP_GRACE_MS 2000	/* after the deadline, at SIGTERM */
#define MILTER_MAX_BORDERS 64		/* border MX names counted */
#define MILTER_MAX_NAME 255		/* one counted border MX name */
#define MILTER_EOM_DEADLINES 2		/* EOM budget: walk + re-check */
#define MILTER_BACKLOG 1024

/* Exit codes (as mxspfd's). */
#define MILTER_EXIT_OK 0
#define MILTER_EXIT_ERR 1
#define MILTER_EXIT_USAGE 64

/* The shared resolver and the library lock (dns.c). */
struct dns {
	pthread_mutex_t lock;	/* the library lock */
	struct mxspf_ub *ub;	/* NULL with -Z */
	struct mxspf_zone *zone;	/* -Z */
	pthread_t thread;	/* delivers libunbound's answers */
	bool started;
	int wake[2];		/* a byte here stops the thread */
};

/* One border MX that did not check SPF, and how often. */
struct border_count {
	char name[MILTER_MAX_NAME + 1];
	unsigned long n;
};

/* The counters (stats.c), logged at exit. */
struct stats {
	pthread_mutex_t lock;
	unsigned long connections, messages, rcpt_rejected, rcpt_deferred;
	unsigned long rechecks, walk_failed, unchecked, disagree;
	unsigned long tagged, quarantined, rejected, ar_removed;
	struct border_count borders[MILTER_MAX_BORDERS];
	size_t nborders;
};

/* One loaded configuration, read-only once made.  A session keeps the
 * one that was current when it connected; SIGUSR2 (main.c) makes a new
 * one, and the old one is freed when its last session closes. */
struct mgen {
	struct mxspf_conf *conf;
	struct milter_conf mc;
	struct mxspf_ctx *ctx;		/* under dns.lock */
	unsigned refs;			/* under milter.glock: the daemon's,
					 * plus one per session */
};

/* The daemon. */
struct milter {
	struct mgen *gen;		/* the current one, under glock (only
					 * the main and statistics threads
					 * replace it) */
	pthread_mutex_t glock;
	const char *conf_path;		/* -c, or NULL: the default file */
	const char *socket_opt;		/* -l, kept over reloads */
	const char *zone_path;		/* -Z, read again at reload */
	struct dns dns;
	struct stats stats;
	pthread_t stats_tid;		/* main.c's statistics thread */
	bool stats_started;
	atomic_bool stats_stop;
	pthread_mutex_t slock;		/* guards the three below */
	pthread_cond_t scv;		/* signalled when a session ends */
	size_t nsessions;
	unsigned long next_id;
	bool verbose;
};

/* A header kept for the walk. */
struct hdr_rec {
	char *name;
	char *value;
	size_t len;
};

/* One message: MAIL FROM to the end of message (or abort). */
struct msg {
	struct mxspf_txn *txn;		/* NULL: no checks for it */
	char *sender;
	char *queue_id;
	char *relayed[MILTER_MAX_WALKS];	/* accepted as MX relay */
	size_t nrelayed;
	bool relayed_cut;		/* over MILTER_MAX_WALKS domains */
	size_t naccepted;
	struct hdr_rec *hdrs;
	size_t nhdrs, hcap, hbytes;
	bool hdrs_cut;			/* max_headers, max_header_bytes */
	size_t nseen;			/* headers seen */
	size_t nar;			/* A-R headers seen (their index) */
	int *ar_del;			/* 1-based indices of ours */
	size_t nar_del, ar_cap;
	bool ar_cut;
	char *ar_top;			/* the first header, when it is one
					 * of ours (mxspfd's PREPEND?) */
};

/* One connection. */
struct session {
	struct milter *m;
	struct mgen *g;		/* the configuration of this connection */
	unsigned long id;
	bool have_client;
	struct mxspf_addr client;
	char client_text[64];
	bool have_server;
	struct mxspf_addr server;
	char *helo;
	bool in_msg;
	struct msg msg;
};

/* ---- socket.c ---- */
/* privs_socket - a unix socket spec's path, owned by uid/gid (when
 * chown_it) with mode 0666; 0 or -1 and err */
int privs_socket(const char *spec, uid_t uid, gid_t gid, bool chown_it,
    char *err, size_t errlen);
/* privs_unlink_socket - remove a unix socket's path at exit */
void privs_unlink_socket(const char *spec);

/* ---- dns.c ---- */
/* dns_init - the lock and, unless zone is set, the resolver (after the
 * privilege drop) and its thread; 0 or -1 and err */
int dns_init(struct dns *d, const struct mxspf_conf *c,
    struct mxspf_zone *zone, char *err, size_t errlen);
/* dns_check - create and free a resolver (-n); 0 or -1 and err */
int dns_check(const struct mxspf_conf *c, char *err, size_t errlen);
/* dns_free - stop the thread, free the resolver and the zone */
void dns_free(struct dns *d);
/* dns_lock / dns_unlock - the library lock */
void dns_lock(struct dns *d);
void dns_unlock(struct dns *d);
/* dns_run - drive a machine to its end, under the lock (held by the
 * caller; given up while waiting), until deadline (CLOCK_MONOTONIC);
 * past it the machine is aborted (temperror / DNS error) and *late set.
 * @return 0 or a negative MXSPF_E* */
int dns_run(struct dns *d, const struct mxspf_machine_ops *ops, void *obj,
    const struct timespec *deadline, bool *late);
/* deadline_in - now + ms on CLOCK_MONOTONIC */
void deadline_in(struct timespec *ts, unsigned ms);
/* deadline_min - the earlier of a and b into a */
void deadline_min(struct timespec *a, const struct timespec *b);

/* ---- main.c ---- */
/* gen_get - the current configuration, one more reference */
struct mgen *gen_get(struct milter *m);
/* gen_put - drop a reference taken with gen_get */
void gen_put(struct milter *m, struct mgen *g);

/* ---- stats.c ---- */
/* stats_init / stats_free */
int stats_init(struct stats *s);
void stats_free(struct stats *s);
/* stats_add - add n to one counter (a field of struct stats) */
void stats_add(struct stats *s, unsigned long *field, unsigned long n);
/* stats_unchecked - count a border MX that did not check SPF; returns
 * its count so far */
unsigned long stats_unchecked(struct stats *s, const char *border_mx);
/* stats_log - the counters, one line, plus one per border MX; why says
 * what asked for it (periodic, SIGUSR1, exit) */
void stats_log(struct stats *s, const char *why);

/* ---- filter.c ---- */
/* filter_desc - the libmilter registration, with callbacks bound to m
 * (set once, before smfi_main) */
struct smfiDesc *filter_desc(struct milter *m);
/* msg_reset - free a message's state (library objects under the lock) */
void msg_reset(struct session *s);
/* msg_queue_id - take the MTA's queue id (macro "i") when it has one */
void msg_queue_id(struct session *s, SMFICTX *ctx);

/* ---- eom.c ---- */
/* eom_run - the end of message; returns the libmilter status */
sfsistat eom_run(struct session *s, SMFICTX *ctx);

#endif
