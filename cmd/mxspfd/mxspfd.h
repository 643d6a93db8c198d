/* cmd/mxspfd/mxspfd.h - private interface of the mxspfd policy server.
 * Owns: struct daemon (the one event loop, the engine context, the DNS
 * source, the listeners, the connections), struct conn (one client),
 * struct job (one request of a connection), the daemon's limits, and the
 * prototypes of its modules: log.c, listen.c, conn.c, decide.c, privs.c.
 * Must not: be included by lib/; declare mutable globals (log.c's sink
 * settings are its own).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPFD_H
#define MXSPFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>

#include "mxspf/mxspf.h"
#include "mxspf/policy.h"
#include "mxspf/unbound.h"
#include "buf.h"
#include "daemon.h"
#include "request.h"

#define MXSPFD_DEFAULT_CONF "/etc/mxspf/mxspfd.conf"
#define MXSPFD_IN_MAX (2 * REQ_MAX_SIZE)	/* buffered input bytes */
#define MXSPFD_OUT_MAX 65536		/* unsent reply bytes before we give
					 * up on a peer that does not read */
#define MXSPFD_QUEUE_MAX 16		/* parsed requests waiting per
					 * connection (pipelining) */
#define MXSPFD_READ_CHUNK 4096		/* bytes read per read() */
#define MXSPFD_IN_FIRST 1024		/* first input buffer (a request
					 * from Postfix is about 500 bytes) */
#define MXSPFD_OUT_FIRST 256		/* first reply buffer */
#define MXSPFD_REPLY_STACK 1024		/* a reply made on the stack (a
					 * longer one goes through c->out) */
#define MXSPFD_ACCEPT_BURST 64		/* accept() calls per wake-up */
#define MXSPFD_ACCEPT_PAUSE_MS 100	/* pause after EMFILE */
#define MXSPFD_HEADER_MAX 998		/* one PREPEND line (RFC 5322) */
#define MXSPFD_LOG_FLUSH_MS 50		/* batched stderr log lines wait
					 * at most this long */
#define MXSPFD_TRUST_CACHE_SLOTS 1024	/* recipient domains whose MX
					 * set is kept (for its TTL) */
#define MXSPFD_STOP_GRACE_MS 2000	/* after the deadline, at SIGTERM */
#define MXSPFD_BACKLOG 1024
#define MXSPFD_TRIM_PEAK 100		/* recipients in flight at once after
					 * which the heap is trimmed, once */
#define MXSPFD_TRIM_DELAY_S 1		/* ... quiet for this long */
#define MXSPFD_BUSY_ACTION "DEFER_IF_PERMIT Service temporarily unavailable"

/* Exit codes. */
#define MXSPFD_EXIT_OK 0
#define MXSPFD_EXIT_ERR 1		/* configuration or setup failed */
#define MXSPFD_EXIT_USAGE 64		/* bad command line (EX_USAGE) */

struct daemon;
struct conn;

/* One loaded configuration and the engine context made from it.  A
 * transaction keeps the generation it started with; SIGHUP makes a new
 * one, and the old one is freed when its last transaction ends. */
struct gen {
	struct mxspf_conf *conf;
	struct mxspf_ctx *ctx;
	struct mxspf_trust_cache *trust_cache;	/* resolved MX sets */
	unsigned refs;		/* the daemon's, plus one per transaction */
};

#define STATS_RESULTS (MXSPF_PERMERROR + 1)	/* enum mxspf_result */
#define STATS_LAT_BUCKETS 256

/* The counters of the statistics line (stats.c). */
struct stats {
	struct timespec start;
	uint64_t requests, rcpt, data, other, bad_requests;
	uint64_t decisions, spf[STATS_RESULTS], spf_unchecked;
	uint64_t relay_exempt, relay_configured, relay_mx, trust_dnserr;
	uint64_t dns_failures;
	uint64_t accept, reject, defer, test_mode_kept;
	uint64_t busy, errors;		/* our 4xx: too busy / a failure */
	uint64_t reloads, reload_failures;
	uint64_t lat[STATS_LAT_BUCKETS];	/* recipient decisions, us */
	uint64_t lat_max;
};

/* One listening endpoint. */
struct listener {
	struct daemon *d;
	char *spec;		/* as configured: "unix:/x", "inet:h:p" */
	int *fds;		/* bound sockets (inet may bind several) */
	size_t nfds;
	struct event **evs;
	char *unix_path;	/* unlinked at exit */
	bool stdio;
	bool paused;		/* after EMFILE */
	struct event *resume;
};

/* The transaction a connection is in (Postfix "instance"). */
struct ctxn {
	struct mxspf_txn *txn;
	struct gen *gen;	/* the configuration it runs under */
	/* its key; the strings are in the struct's own block */
	char *instance, *client, *helo, *sender;
	bool header_done;	/* PREPEND given once per message */
};

/* One request of a connection, answered in arrival order. */
struct job {
	struct job *next;
	struct conn *conn;
	struct request req;
	struct mxspf_rcpt *rcpt;	/* RCPT: its decision, while running */
	struct timespec start;
	bool running;		/* in flight: driven by libunbound, or
				 * waiting for its turn (waiting) */
	bool waiting;
	struct job *wait_prev, *wait_next;	/* the daemon's queue of
						 * waiting ones */
	bool done;		/* reply is set */
	char *reply;		/* the action, without "action=" */
};

/* One client connection (a socket, or stdin/stdout). */
struct conn {
	struct daemon *d;
	struct conn *prev, *next;
	unsigned long id;
	int in_fd, out_fd;
	bool stdio;
	char peer[80];		/* for logs */
	struct event *rev, *wev, *idle, *deadline;
	struct timeval active;		/* the last input (the loop's cached
					 * time), for the lazy idle timer */
	struct timespec deadline_due;	/* what the deadline timer is set
					 * for, while it is pending */
	bool reading;		/* rev is added */
	struct mxspf_buf in;	/* unparsed input */
	size_t partial;		/* bytes after the last newline in */
	bool in_news;		/* in changed in a way that may complete a
				 * request or show an error: parse again */
	bool advancing;		/* inside conn_advance */
	struct mxspf_buf out;	/* unsent replies, from out_off */
	size_t out_off;
	struct job *head, *tail;
	size_t njobs;
	struct ctxn *ct;	/* current transaction, or NULL */
	bool eof;		/* no more input */
	bool bad;		/* a malformed request came: answer what came
				 * before it, then close */
	bool closing;		/* being torn down; freed by conn_reap */
	int depth;		/* conn_advance nesting */
};

/* The daemon: one process, one loop. */
struct daemon {
	struct event_base *base;
	struct gen *gen;		/* the current configuration */
	struct mxspf_conf *conf;	/* gen->conf */
	struct mxspf_ctx *ctx;		/* gen->ctx */
	const char *conf_path;		/* what SIGHUP reads again, or NULL */
	char *const *listen_override;	/* -l, kept over reloads */
	size_t nlisten_override;
	const char *zone_path;		/* -Z, read again at SIGHUP */
	struct stats stats;
	struct event *sig_usr1, *stats_timer;
	struct mxspf_ub *ub;		/* NULL with -Z */
	struct mxspf_zone *zone;	/* -Z */
	struct event *ub_ev;
	struct event *sig_term, *sig_int, *sig_hup, *stop_timer;
	struct listener *listeners;
	size_t nlisteners;
	struct conn *conns;
	size_t nconns;
	unsigned long next_id;
	size_t inflight;		/* recipients being resolved or
					 * waiting to be */
	size_t running;			/* driven now (<= concurrency) */
	struct job *wait_head, *wait_tail;	/* waiting, oldest first */
	bool starting;			/* inside run_waiting */
	size_t peak_inflight;		/* the most since the last trim */
	struct event *trim_timer;
	/* The idle timeout and the deadline of d->conf, as libevent common
	 * timeouts (re-adding one is O(1), not a heap update; every request
	 * re-adds both), or plain ones if libevent refused */
	const struct timeval *idle_tv, *deadline_tv;
	struct timeval idle_plain, deadline_plain;
	bool stopping;
	bool stdio;
	bool verbose;
};

/* ---- main.c ---- */
/* daemon_timeouts - set idle_tv and deadline_tv from d->conf */
void daemon_timeouts(struct daemon *d);

/* ---- listen.c ---- */
/* listen_check - 0 when spec is unix:/PATH, inet:HOST:PORT or stdio;
 * else -1 and a message in err */
int listen_check(const char *spec, char *err, size_t errlen);
/* listen_open - bind and listen on every configured endpoint (before
 * the privilege drop); 0 or -1 with a message in err */
int listen_open(struct daemon *d, char *const *specs, size_t n,
    uid_t uid, gid_t gid, bool chown_sockets, char *err, size_t errlen);
/* listen_start - add the listeners to the loop; 0 or -1 */
int listen_start(struct daemon *d);
/* listen_close - stop accepting: close the sockets, unlink unix paths */
void listen_close(struct daemon *d);

/* ---- conn.c ---- */
/* conn_new - a connection on in_fd/out_fd (made non-blocking); NULL on
 * failure (the caller closes the fds) */
struct conn *conn_new(struct daemon *d, int in_fd, int out_fd, bool stdio,
    const char *peer);
/* conn_close - tear the connection down now (no reply); the memory is
 * released by conn_reap when no callback is using it */
void conn_close(struct conn *c);
/* conn_reap - free c if it is closing and no call is inside it */
void conn_reap(struct conn *c);
/* conn_job_done - a job's reply is ready: send what is in order */
void conn_job_done(struct job *j);
/* conn_stop - the daemon is stopping: close when idle */
void conn_stop(struct conn *c);

/* ---- decide.c ---- */
/* decide_start - answer a parsed request: sets j->done and j->reply at
 * once, or starts a recipient (j->running) whose end calls
 * conn_job_done; 0 or -1 (out of memory: close the connection) */
int decide_start(struct job *j);
/* decide_cancel - stop the running recipient of j (connection closed) */
void decide_cancel(struct job *j);
/* decide_txn_free - free a connection's transaction */
void decide_txn_free(struct ctxn *ct);

/* ms_since - milliseconds since ts on the monotonic clock */
long long ms_since(const struct timespec *ts);
/* us_since - microseconds since ts on the monotonic clock */
uint64_t us_since(const struct timespec *ts);

/* ---- main.c ---- */
/* gen_unref - drop a reference to a configuration generation */
void gen_unref(struct gen *g);
/* daemon_quiet - no recipient is in flight: after a burst, give the
 * memory it used back to the system once things stay quiet */
void daemon_quiet(struct daemon *d);

/* ---- stats.c ---- */
/* stats_init - zero the counters, start the uptime */
void stats_init(struct stats *s);
/* stats_request - count a parsed request */
void stats_request(struct stats *s, enum req_state st);
/* stats_decision - count a finished recipient decision that took us */
void stats_decision(struct stats *s, const struct mxspf_rcpt_result *res,
    uint64_t us);
/* stats_format - the statistics line into b; 0 or b's error */
int stats_format(const struct stats *s, const char *why, size_t conns,
    size_t inflight, struct mxspf_buf *b);
/* stats_log - log the statistics line; why says what asked for it */
void stats_log(const struct stats *s, const char *why, size_t conns,
    size_t inflight);

#endif
