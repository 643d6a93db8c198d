/* include/mxspf/policy.h - the backup-MX policy engine of libmxspf.
 *
 * Decides, per recipient, whether an SMTP client is a trusted relay for the
 * recipient's domain D (an MX host of D, honouring MX preference), and
 * turns the SPF verdict plus that trust into an action.  Shared by mxspfd
 * (Postfix policy server) and mxspf-milter.
 *
 * The MX-trust lookup is sans-I/O like the SPF evaluator: it hands out DNS
 * queries (MX of D, then A and AAAA of at most 10 MX hosts) and is fed the
 * answers in any order, so any mxspf driver can run it.  These lookups are
 * outside SPF's 10-term and 2-void budgets.
 *
 * Owns: struct mxspf_trust (one trust lookup) and the pure decision
 * function mxspf_policy_decide().  Threads: one thread at a time per object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_POLICY_H
#define MXSPF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxspf/mxspf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How MX hosts of the recipient domain are trusted. */
enum mxspf_trust_mode {
	MXSPF_TRUST_PREFERENCE = 0,	/* an MX host not more preferred than
					 * this server's own entry */
	MXSPF_TRUST_ANY,		/* any MX host of the domain */
	MXSPF_TRUST_OFF			/* MX hosts are not trusted */
};

/** "preference", "any", "off". */
const char *mxspf_trust_mode_name(enum mxspf_trust_mode m);

/** Parse a mode name. @return 0 or MXSPF_EINVAL. */
int mxspf_trust_mode_parse(const char *name, enum mxspf_trust_mode *out);

/* This server's identity, to find its own entry in D's MX list. */
struct mxspf_trust_config {
	enum mxspf_trust_mode mode;
	const struct mxspf_addr *own_addrs;	/* configured addresses */
	size_t n_own_addrs;
	const char *const *own_names;	/* configured host names */
	size_t n_own_names;
	size_t max_hosts;		/* MX hosts looked at; 0: 10 */
};

struct mxspf_trust_cache;

/* One trust question: may client relay for recipients at domain? */
struct mxspf_trust_request {
	const char *domain;		/* the recipient domain D */
	struct mxspf_addr client;
	const struct mxspf_addr *server_addr;	/* the address the client
						 * connected to (Postfix
						 * server_address), or NULL */
	struct mxspf_trust_cache *cache;	/* resolved MX sets to reuse
						 * and fill, or NULL */
	int64_t now;			/* seconds, for the cache; 0: no
					 * cache */
};

/**
 * A cache of resolved MX sets: D's MX hosts, their preferences and their
 * A/AAAA addresses, as a finished lookup without DNS failures saw them,
 * kept until the smallest TTL of those answers runs out.  A lookup for D
 * that finds D's set there asks no query and is judged at once for its
 * own client and server (the set does not depend on them).  A receiving
 * MX asks about its own few domains for nearly every recipient; this
 * spares it parsing the same answers again.  Not thread-safe: one cache
 * per thread.  Sets in use stay valid after they leave the cache.
 * @param slots: sets kept (rounded up to a power of two; at most 65536).
 * @return 0, MXSPF_EINVAL (0 slots) or MXSPF_ENOMEM.
 */
int mxspf_trust_cache_new(struct mxspf_trust_cache **out, size_t slots);

/** Free a cache (NULL is fine). */
void mxspf_trust_cache_free(struct mxspf_trust_cache *c);

/* One MX host of D as the trust lookup saw it. */
struct mxspf_trust_host {
	const char *name;
	uint16_t pref;
	const struct mxspf_addr *addrs;	/* A and AAAA */
	size_t naddrs;
	enum mxspf_dns_status a_status, aaaa_status;
	bool is_client;			/* one of its addresses is the client */
	bool is_self;			/* this server's own entry */
};

enum mxspf_trust_outcome {
	MXSPF_TRUST_NO = 0,	/* not trusted: the SPF verdict applies */
	MXSPF_TRUST_YES,	/* trusted relay for D */
	MXSPF_TRUST_DNSERR	/* could not tell: a DNS failure */
};

/* The answer.  Pointers are owned by the trust object. */
struct mxspf_trust_verdict {
	enum mxspf_trust_outcome outcome;
	const char *why;		/* one line for logs and headers */
	const struct mxspf_trust_host *client_host;	/* the MX host that
							 * is the client */
	const struct mxspf_trust_host *self_host;	/* this server's most
							 * preferred entry */
	const struct mxspf_trust_host *hosts;	/* by preference */
	size_t nhosts;
	bool implicit_mx;		/* D has no MX: D itself (RFC 5321
					 * s5.1) */
	size_t queries;
};

struct mxspf_trust;

/**
 * Start a trust lookup.  A domain that is not a valid name gives a
 * finished MXSPF_TRUST_NO verdict (no query is made).  When D has more MX
 * hosts than max_hosts, only the most preferred are looked at; if this
 * server is not among them, the client is not trusted.
 * @param cfg, req: copied.
 * @return 0, MXSPF_EINVAL (missing arguments, bad client address) or
 * MXSPF_ENOMEM.
 */
int mxspf_trust_new(struct mxspf_trust **out,
    const struct mxspf_trust_config *cfg,
    const struct mxspf_trust_request *req);

/** Like mxspf_eval_step(): MXSPF_STEP_DONE, MXSPF_STEP_QUERY or < 0. */
int mxspf_trust_step(struct mxspf_trust *t);

/** Like mxspf_eval_next_query(). */
const struct mxspf_query *mxspf_trust_next_query(struct mxspf_trust *t);

/** Like mxspf_eval_answer(). */
int mxspf_trust_answer(struct mxspf_trust *t, uint32_t id,
    const struct mxspf_answer *ans);

/** End now with MXSPF_TRUST_DNSERR (the deadline passed). */
void mxspf_trust_abort(struct mxspf_trust *t);

/** The verdict, once mxspf_trust_step() returned MXSPF_STEP_DONE. */
const struct mxspf_trust_verdict *mxspf_trust_verdict(
    const struct mxspf_trust *t);

/** Free a trust lookup. */
void mxspf_trust_free(struct mxspf_trust *t);

/* The operations of struct mxspf_trust (for mxspf_ub_drive). */
extern const struct mxspf_machine_ops mxspf_trust_ops;

/* A synchronous resolver for trust lookups, as mxspf_resolve_fn is for
 * evaluations: answer q with mxspf_trust_answer() before returning. */
typedef void (*mxspf_trust_resolve_fn)(void *arg, struct mxspf_trust *t,
    const struct mxspf_query *q);

/** Run a trust lookup to its end with a synchronous resolver. */
int mxspf_trust_run(struct mxspf_trust *t, mxspf_trust_resolve_fn fn,
    void *arg);

/** An mxspf_trust_resolve_fn answering from an mxspf_zone. */
void mxspf_zone_resolve_trust(void *zone, struct mxspf_trust *t,
    const struct mxspf_query *q);

/* ---- the decision ---------------------------------------------------- */

/* What to do with a result the receiver does not reject outright. */
enum mxspf_policy_act {
	MXSPF_ACT_ACCEPT = 0,	/* accept (with a header) */
	MXSPF_ACT_REJECT,	/* 5xx */
	MXSPF_ACT_DEFER		/* 4xx */
};

/** "accept", "reject", "defer". */
const char *mxspf_policy_act_name(enum mxspf_policy_act a);

/** Parse an action name. @return 0 or MXSPF_EINVAL. */
int mxspf_policy_act_parse(const char *name, enum mxspf_policy_act *out);

/* The receiver's policy for one recipient domain (the daemon resolves
 * per-domain overrides before calling). */
struct mxspf_policy {
	enum mxspf_policy_act on_fail;		/* default reject */
	enum mxspf_policy_act on_softfail;	/* default accept */
	enum mxspf_policy_act on_permerror;	/* default accept */
	enum mxspf_policy_act on_temperror;	/* default accept */
	bool test_mode;		/* never reject or defer */
};

/** Fill p with the defaults above. */
void mxspf_policy_init(struct mxspf_policy *p);

/* Why a recipient was accepted without the SPF verdict applying. */
enum mxspf_relay_reason {
	MXSPF_RELAY_NONE = 0,	/* not a relay: SPF applies */
	MXSPF_RELAY_EXEMPT,	/* exempt network */
	MXSPF_RELAY_CONFIGURED,	/* configured trusted relay */
	MXSPF_RELAY_MX		/* MX host of the recipient domain */
};

/** "none", "exempt", "configured", "mx". */
const char *mxspf_relay_reason_name(enum mxspf_relay_reason r);

/* The decision for one recipient. */
struct mxspf_decision {
	enum mxspf_policy_act act;	/* what the receiver does */
	bool would_act;		/* test mode: act is ACCEPT, but the
				 * policy would have rejected/deferred */
	enum mxspf_policy_act would;	/* that action */
	int code;		/* 550, 451, or 0 to accept */
	const char *status;	/* "5.7.23", "4.7.24", "4.4.3", ... */
	char *text;		/* the SMTP reply text, malloc'd; or NULL */
};

/**
 * Decide for one recipient.
 * @param spf: the SPF verdict for the original client (may be NULL when
 *  the client was exempt and no SPF check was made).
 * @param relay: why the client is a relay for this recipient's domain.
 * @param trust: the MX trust lookup for this domain, or NULL.
 * @param out: filled in; free out->text with free().
 * @return 0 or MXSPF_ENOMEM.
 *
 * Rules: a relay (exempt, configured, or trusted MX) is accepted.  Else
 * the SPF verdict applies: fail -> on_fail (550 5.7.23 with the
 * explanation, RFC 7372), softfail -> on_softfail (550 5.7.23 / 451
 * 4.7.23), permerror -> on_permerror (550 5.7.24 / 451 4.7.24),
 * temperror -> on_temperror (451 4.7.24; reject is treated as defer), the
 * rest accept.  A DNS failure in the trust lookup never becomes a reject:
 * where SPF would reject, the answer is 451 4.4.3.  Test mode accepts
 * everything and records what it would have done.
 */
int mxspf_policy_decide(const struct mxspf_policy *p,
    const struct mxspf_verdict *spf, enum mxspf_relay_reason relay,
    const struct mxspf_trust_verdict *trust, struct mxspf_decision *out);


/* ---- address lists (lib/netlist.c) ------------------------------------ */

struct mxspf_netlist;

/** Create an empty list. @return 0 or MXSPF_ENOMEM. */
int mxspf_netlist_new(struct mxspf_netlist **out);

/**
 * Add networks: "ADDR" or "ADDR/LEN", IPv4 or IPv6, several separated by
 * spaces or commas.  On error nothing is added and err says which item.
 * @return 0, MXSPF_ESYNTAX or MXSPF_ENOMEM.
 */
int mxspf_netlist_add(struct mxspf_netlist *l, const char *text, char *err,
    size_t errlen);

/** True when a is inside one of the networks (NULL list: false). */
bool mxspf_netlist_match(const struct mxspf_netlist *l,
    const struct mxspf_addr *a);

/** The number of networks. */
size_t mxspf_netlist_count(const struct mxspf_netlist *l);

/** Write the list as "net/len net/len" into buf (len bytes, NUL added).
 * @return 0 or MXSPF_ELIMIT. */
int mxspf_netlist_format(const struct mxspf_netlist *l, char *buf,
    size_t len);

/** Free a list (NULL is fine). */
void mxspf_netlist_free(struct mxspf_netlist *l);

/* ---- the receiver's configuration (lib/conf.c) ----------------------- */

/* Which trace header a policy server prepends (one per message). */
enum mxspf_header_kind {
	MXSPF_HDR_RECEIVED_SPF = 0,
	MXSPF_HDR_AUTH_RESULTS,
	MXSPF_HDR_NONE
};

/* Overrides for one recipient domain ([domain NAME] sections). */
struct mxspf_domain_conf {
	char *domain;			/* lower case, no trailing dot */
	struct mxspf_policy policy;	/* starts as a copy of the global */
	struct mxspf_netlist *relays;	/* trusted for this domain only */
	enum mxspf_trust_mode trust_mode;
};

/* Everything mxspfd and mxspf-milter read from their INI file.  Made by
 * mxspf_conf_new() with the defaults, then mxspf_conf_load(); read-only
 * afterwards.  Every string and list is owned by the struct. */
struct mxspf_conf {
	/* [policy] */
	bool check_helo;		/* HELO identity first; default true */
	struct mxspf_policy policy;	/* defaults of mxspf_policy_init() */
	struct mxspf_netlist *exempt;	/* default 127.0.0.0/8 ::1/128 */
	struct mxspf_netlist *relays;	/* trusted for every domain */
	enum mxspf_trust_mode trust_mode;	/* default preference */
	char **own_names;		/* this server's host names */
	size_t n_own_names;
	struct mxspf_addr *own_addrs;	/* this server's addresses */
	size_t n_own_addrs;
	struct mxspf_domain_conf *domains;
	size_t ndomains;
	enum mxspf_header_kind header;	/* default received-spf */
	char *authserv_id;		/* default: the host name */
	char *receiver;			/* default: the host name */
	unsigned deadline_ms;		/* per recipient decision (its SPF and
					 * MX-trust lookups together); 20000 */
	/* [spf] */
	struct mxspf_config spf;	/* its strings point into the conf */
	/* [resolver] */
	char *resolvconf;		/* NULL: /etc/resolv.conf */
	char **forwarders;
	size_t nforwarders;
	char *stub_zone, *stub_addr;
	char *trust_anchor_file;
	size_t cache_entries;		/* mxspf_ub_config's answer cache */
	size_t cache_memory;		/* (MXSPF_UB_CACHE_* by default) */
	unsigned cache_max_ttl;
	/* [mxspfd] */
	char **listen;			/* "unix:PATH", "inet:HOST:PORT",
					 * "stdio"; default
					 * unix:/run/mxspf/mxspfd.sock */
	size_t nlisten;
	char *user, *group;		/* drop to these after binding */
	unsigned max_connections;	/* default 1000 */
	unsigned max_inflight;		/* recipients resolving or waiting
					 * to; more are deferred; 10000 */
	unsigned concurrency;		/* recipients resolving at once; the
					 * others wait in line; 256 */
	unsigned idle_timeout_s;	/* close idle connections; 300 */
	unsigned stats_interval_s;	/* a stats log line this often; 0:
					 * only on SIGUSR1 and at exit; 3600 */
	char *syslog_facility;		/* default "mail"; "none" */
	bool log_stderr;
};

/** A configuration with every default. @return 0 or MXSPF_ENOMEM. */
int mxspf_conf_new(struct mxspf_conf **out);

/**
 * Read an INI file over the defaults (libinih).  Unknown sections or keys
 * and bad values are errors: err gets "FILE:LINE: message".  The [milter]
 * section is skipped (mxspf-milter reads it itself).  Call it once per
 * configuration.
 * @return 0, MXSPF_ENOENT (cannot open), MXSPF_ESYNTAX, MXSPF_ENOMEM, or
 * MXSPF_ESTATE (this configuration was loaded already).
 */
int mxspf_conf_load(struct mxspf_conf *c, const char *path, char *err,
    size_t errlen);

/** The overrides for a recipient domain, or NULL. */
const struct mxspf_domain_conf *mxspf_conf_domain(const struct mxspf_conf *c,
    const char *domain);

/** Free a configuration (NULL is fine). */
void mxspf_conf_free(struct mxspf_conf *c);

/* ---- one SMTP transaction (lib/txn.c) -------------------------------- */

/* The SMTP facts of a transaction (Postfix: one "instance"). */
struct mxspf_txn_info {
	struct mxspf_addr client;
	const char *helo;		/* may be NULL */
	const char *sender;		/* "" for the null reverse-path */
	const struct mxspf_addr *server_addr;	/* may be NULL */
	const char *queue_id;		/* for logs; may be NULL */
	int64_t now;			/* for %{t}; 0 if unknown */
	struct mxspf_trust_cache *trust_cache;	/* shared by the
						 * transactions of one thread,
						 * or NULL */
};

struct mxspf_txn;

/**
 * Start a transaction.  The SPF verdict is computed once, by the first
 * recipient that needs it, and reused for the others.
 * @param ctx, conf: must outlive the transaction.
 * @return 0, MXSPF_EINVAL or MXSPF_ENOMEM.
 */
int mxspf_txn_new(struct mxspf_txn **out, struct mxspf_ctx *ctx,
    const struct mxspf_conf *conf, const struct mxspf_txn_info *info);

/** Free a transaction; its recipients must be freed first. */
void mxspf_txn_free(struct mxspf_txn *txn);

/**
 * Record the queue id once the MTA has one (Postfix assigns it after the
 * first accepted recipient), for the log lines of later recipients.
 * NULL or "" leaves the current one.  @return 0 or MXSPF_ENOMEM.
 */
int mxspf_txn_set_queue_id(struct mxspf_txn *txn, const char *queue_id);

/* The decision for one recipient.  Pointers are owned by the recipient
 * (or its transaction) and valid until it is freed. */
struct mxspf_rcpt_result {
	const char *recipient;
	const char *domain;		/* lower case */
	enum mxspf_relay_reason relay;
	const struct mxspf_trust_verdict *trust;	/* NULL: not looked up */
	const struct mxspf_verdict *spf;	/* the verdict that applies to
						 * this recipient, or NULL */
	enum mxspf_identity spf_identity;
	struct mxspf_decision decision;
	const char *action;		/* the Postfix policy action: "DUNNO",
					 * "550 5.7.23 ...", "451 4.4.3 ..." */
	const char *log;		/* one line for the log */
};

struct mxspf_rcpt;

/**
 * Decide for one recipient (RCPT TO).  The result is a machine: drive it
 * with mxspf_rcpt_ops (mxspf_ub_drive) or mxspf_rcpt_run().
 * @return 0, MXSPF_EINVAL (no domain in recipient), MXSPF_ESTATE (another
 * recipient of this transaction is still running), MXSPF_ENOMEM.
 */
int mxspf_rcpt_new(struct mxspf_rcpt **out, struct mxspf_txn *txn,
    const char *recipient);

int mxspf_rcpt_step(struct mxspf_rcpt *r);
const struct mxspf_query *mxspf_rcpt_next_query(struct mxspf_rcpt *r);
int mxspf_rcpt_answer(struct mxspf_rcpt *r, uint32_t id,
    const struct mxspf_answer *ans);
void mxspf_rcpt_abort(struct mxspf_rcpt *r);

/* The operations of struct mxspf_rcpt. */
extern const struct mxspf_machine_ops mxspf_rcpt_ops;

/** The decision, once mxspf_rcpt_step() returned MXSPF_STEP_DONE. */
const struct mxspf_rcpt_result *mxspf_rcpt_result(const struct mxspf_rcpt *r);

/** Free a recipient (its decision is kept in the transaction's summary). */
void mxspf_rcpt_free(struct mxspf_rcpt *r);

/* A synchronous resolver for recipients (answers with mxspf_rcpt_answer). */
typedef void (*mxspf_rcpt_resolve_fn)(void *arg, struct mxspf_rcpt *r,
    const struct mxspf_query *q);

/** Run a recipient to its end with a synchronous resolver. */
int mxspf_rcpt_run(struct mxspf_rcpt *r, mxspf_rcpt_resolve_fn fn,
    void *arg);

/** An mxspf_rcpt_resolve_fn answering from an mxspf_zone. */
void mxspf_zone_resolve_rcpt(void *zone, struct mxspf_rcpt *r,
    const struct mxspf_query *q);

/**
 * The one trace header for the message, from the decisions taken so far
 * (call it at DATA, after the last recipient).  When the SPF verdict
 * applied to some recipient it is a Received-SPF or Authentication-Results
 * header (conf->header) whose comment also names the domains the client
 * was trusted for; when every accepted recipient came through a trusted MX
 * relay it is an "X-Mxspf-Relay" header that records the trust and claims
 * no SPF result (none was computed for the original client).
 * @param out: a malloc'd header ("Name: value", folded with "\n\t"), or
 *  NULL when there is nothing to add (no recipient, exempt client,
 *  header = none).
 * @return 0 or MXSPF_ENOMEM.
 */
int mxspf_txn_header(struct mxspf_txn *txn, char **out);

#ifdef __cplusplus
}
#endif
#endif /* MXSPF_POLICY_H */
