/* include/mxspf/unbound.h - the libunbound DNS driver of libmxspf.
 *
 * Feeds mxspf evaluations from libunbound, synchronously (ub_resolve) or
 * asynchronously (ub_resolve_async, driven by the caller's event loop
 * through mxspf_ub_fd() and mxspf_ub_process()).  Answers come from
 * unbound's cache when they can.
 *
 * Owns: struct mxspf_ub (one ub_ctx and the bookkeeping of the queries in
 * flight).  Threads: one thread at a time per mxspf_ub.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_UNBOUND_H
#define MXSPF_UNBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "mxspf/mxspf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where the resolver sends its queries.  With no forwarder and no stub it
 * follows resolv.conf (resolvconf, default "/etc/resolv.conf"). */
struct mxspf_ub_config {
	const char *resolvconf;	/* NULL: /etc/resolv.conf; "" none
				 * (full recursion from the root) */
	const char *const *forwarders;	/* "ADDR" or "ADDR@PORT" */
	size_t nforwarders;
	const char *stub_zone;	/* with stub_addr: send queries for this
				 * zone ("." for all) to an authority */
	const char *stub_addr;	/* "ADDR" or "ADDR@PORT" */
	const char *trust_anchor_file;	/* DNSSEC; NULL: no validation */
	const char *const *options;	/* extra "name:" "value" pairs for
					 * ub_ctx_set_option, NULL-ended */
	/* mxspf's own answer cache, in front of unbound's worker thread
	 * (unbound keeps its cache too): answers are kept for at most
	 * their TTL and cache_max_ttl seconds; the least recently used go
	 * first.  Any of the three 0: no cache of our own. */
	size_t cache_entries;
	size_t cache_bytes;
	uint32_t cache_max_ttl;
};

#define MXSPF_UB_CACHE_ENTRIES 100000
#define MXSPF_UB_CACHE_BYTES (16u * 1024 * 1024)
#define MXSPF_UB_CACHE_MAX_TTL 3600

/** Zero cfg (resolv.conf, no DNSSEC), with the answer cache at its
 * defaults (MXSPF_UB_CACHE_*). */
void mxspf_ub_config_init(struct mxspf_ub_config *cfg);

struct mxspf_ub;

/**
 * Create a resolver.  Loopback servers are allowed and the reserved names
 * (.test, .example, .invalid, .localhost) are not answered locally, so test
 * zones on 127.0.0.1 work.  Forwarder and stub addresses must be an IP
 * address with an optional "@PORT" (1-65535).  The configuration is frozen
 * here, so errors (a bad address, an unreadable trust anchor) show now.
 * unbound starts a worker thread at the first asynchronous query: fork or
 * drop privileges before that.
 * @param err: receives a message on failure (may be NULL).
 * @return 0, MXSPF_ENOMEM or MXSPF_EDNS.
 */
int mxspf_ub_new(struct mxspf_ub **out, const struct mxspf_ub_config *cfg,
    char *err, size_t errlen);

/** Free a resolver; queries in flight are cancelled, callbacks not run.
 * Never call it from inside a callback. */
void mxspf_ub_free(struct mxspf_ub *ub);

/** An mxspf_resolve_fn that resolves synchronously (arg: mxspf_ub). */
void mxspf_ub_resolve(void *ub, struct mxspf_eval *ev,
    const struct mxspf_query *q);

/* ---- asynchronous use ---- */

/* Called once per query with its answer (valid during the call only). */
typedef void (*mxspf_ub_answer_fn)(void *arg, const struct mxspf_answer *a);

/**
 * Start one query.  cb fires from mxspf_ub_process(), never from inside
 * this call; if this call fails, cb never fires.
 * @param id: receives an id for mxspf_ub_cancel() (may be NULL).
 * @return 0, MXSPF_EINVAL (a name that cannot be queried: empty or
 * over-long labels), MXSPF_ENOMEM or MXSPF_EDNS.
 */
int mxspf_ub_query(struct mxspf_ub *ub, const char *name, uint16_t type,
    mxspf_ub_answer_fn cb, void *arg, int *id);

/** Cancel a query started by mxspf_ub_query(); its callback never fires. */
void mxspf_ub_cancel(struct mxspf_ub *ub, int id);

/* Called when an evaluation started by mxspf_ub_eval_start() is done (its
 * verdict is ready) or failed (err < 0, e.g. out of memory). */
typedef void (*mxspf_ub_done_fn)(void *arg, struct mxspf_eval *ev, int err);

/**
 * Drive an evaluation asynchronously: issue its queries, feed answers as
 * they arrive, step it, and call done when it finishes.  done fires from
 * mxspf_ub_process(), or from inside this call when no query is needed or
 * a query could not be started (it is then answered SERVFAIL at once).
 * Speculative queries still in flight when the evaluation ends are
 * cancelled.  Call mxspf_ub_eval_stop() before freeing a running
 * evaluation.
 * @return 0, or a negative MXSPF_E* (MXSPF_EINVAL, MXSPF_ENOMEM; done
 * never fires).
 */
int mxspf_ub_eval_start(struct mxspf_ub *ub, struct mxspf_eval *ev,
    mxspf_ub_done_fn done, void *arg);

/* Called when a machine started by mxspf_ub_drive() is done (err 0) or
 * failed (err < 0). */
typedef void (*mxspf_ub_drive_done_fn)(void *arg, void *obj, int err);

/**
 * Drive any sans-I/O machine (see struct mxspf_machine_ops) as
 * mxspf_ub_eval_start() drives an evaluation.
 * @return 0, or a negative MXSPF_E* (done never fires).
 */
int mxspf_ub_drive(struct mxspf_ub *ub, const struct mxspf_machine_ops *ops,
    void *obj, mxspf_ub_drive_done_fn done, void *arg);

/** Stop driving obj: cancel its queries, call ops->abort and done (from
 * inside this call).  Does nothing for an object not being driven. */
void mxspf_ub_drive_stop(struct mxspf_ub *ub, void *obj);

/**
 * Stop driving ev (its deadline passed): cancel its queries, abort it with
 * temperror and call its done callback from inside this call.  Does
 * nothing for an evaluation that is not being driven.
 */
void mxspf_ub_eval_stop(struct mxspf_ub *ub, struct mxspf_eval *ev);

/** The descriptor to watch for reading; it never changes. */
int mxspf_ub_fd(struct mxspf_ub *ub);

/** Run the callbacks of answers that have arrived. @return 0 or MXSPF_EDNS */
int mxspf_ub_process(struct mxspf_ub *ub);

/** Queries in flight. */
size_t mxspf_ub_pending(const struct mxspf_ub *ub);

#ifdef __cplusplus
}
#endif
#endif /* MXSPF_UNBOUND_H */
