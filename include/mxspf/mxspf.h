/* include/mxspf/mxspf.h - the public interface of libmxspf.
 *
 * libmxspf is an SPF (RFC 7208) engine.  Its evaluator is sans-I/O: it
 * never performs I/O, never reads the clock and never calls a resolver.  It
 * asks for DNS queries and is fed the answers, so one evaluator serves a
 * synchronous CLI, an event-driven daemon and in-memory test zones.
 *
 *	struct mxspf_eval *ev;
 *	mxspf_eval_new(&ev, ctx, &req);
 *	while (mxspf_eval_step(ev) == MXSPF_STEP_QUERY) {
 *		const struct mxspf_query *q;
 *		while ((q = mxspf_eval_next_query(ev)) != NULL)
 *			send q to the resolver;
 *		wait for answers; mxspf_eval_answer(ev, id, &ans) for each;
 *	}
 *	v = mxspf_eval_verdict(ev);
 *
 * Owns: the opaque types mxspf_ctx (configuration and the parsed-record
 * cache) and mxspf_eval (one check_host() evaluation).  Threads: a context
 * and the evaluations made from it must be used by one thread at a time.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_MXSPF_H
#define MXSPF_MXSPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MXSPF_VERSION "0.1.0"

/* Library errors: 0 on success, a negative MXSPF_E* on failure. */
enum mxspf_err {
	MXSPF_OK = 0,
	MXSPF_ENOMEM = -1,	/* allocation failed */
	MXSPF_EINVAL = -2,	/* bad argument */
	MXSPF_ESTATE = -3,	/* call not valid in this state */
	MXSPF_ENOENT = -4,	/* no such query, name or file */
	MXSPF_ESYNTAX = -5,	/* input does not parse */
	MXSPF_EIO = -6,		/* an operating-system call failed */
	MXSPF_ELIMIT = -7,	/* a size or count limit was exceeded */
	MXSPF_EDNS = -8		/* the resolver could not be set up */
};

/**
 * Turn an MXSPF_E* code into a static English string.
 * @param err: a value of enum mxspf_err.
 * @return a string that is never NULL and must not be freed.
 */
const char *mxspf_strerror(int err);

/* The result of check_host() (RFC 7208 s2.6). */
enum mxspf_result {
	MXSPF_NONE = 0,
	MXSPF_NEUTRAL,
	MXSPF_PASS,
	MXSPF_FAIL,
	MXSPF_SOFTFAIL,
	MXSPF_TEMPERROR,
	MXSPF_PERMERROR
};

/**
 * The lower-case name of a result ("pass", "permerror", ...).
 * @return a static string; "unknown" for an out-of-range value.
 */
const char *mxspf_result_name(enum mxspf_result r);

/**
 * Parse a result name (case-insensitive).
 * @return 0, or MXSPF_EINVAL when the name is not a result.
 */
int mxspf_result_parse(const char *name, enum mxspf_result *out);

/* An IP address.  family is 4 or 6; IPv4 uses the first 4 bytes of b. */
struct mxspf_addr {
	uint8_t family;
	uint8_t b[16];
};

/**
 * Parse a textual IPv4 or IPv6 address.  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) becomes the IPv4 address (RFC 7208 s5).
 * @return 0, or MXSPF_EINVAL.
 */
int mxspf_addr_parse(const char *text, struct mxspf_addr *out);

/**
 * Format an address in its usual text form (dotted quad, RFC 5952 IPv6).
 * @param buf: receives a NUL-terminated string; 46 bytes always suffice.
 * @return 0, or MXSPF_ELIMIT when len is too small.
 */
int mxspf_addr_format(const struct mxspf_addr *a, char *buf, size_t len);

/* DNS resource record types the evaluator asks for. */
enum mxspf_rrtype {
	MXSPF_RR_A = 1,
	MXSPF_RR_PTR = 12,
	MXSPF_RR_MX = 15,
	MXSPF_RR_TXT = 16,
	MXSPF_RR_AAAA = 28
};

/** The name of a type ("TXT"), or "TYPE?" for others. */
const char *mxspf_rrtype_name(int type);

/* The outcome of one DNS query, as a driver reports it. */
enum mxspf_dns_status {
	MXSPF_DNS_OK = 0,	/* answer with count >= 0 records */
	MXSPF_DNS_NXDOMAIN,	/* the name does not exist */
	MXSPF_DNS_NODATA,	/* the name exists, no record of that type */
	MXSPF_DNS_SERVFAIL,	/* server failure or resolver error */
	MXSPF_DNS_TIMEOUT	/* no answer in time */
};

/** The name of a DNS status ("NXDOMAIN"). */
const char *mxspf_dns_status_name(enum mxspf_dns_status s);

/* A query the evaluator needs answered.  name is a presentation-form
 * domain name without the trailing dot.  The struct stays valid until the
 * query is answered or the evaluation is freed. */
struct mxspf_query {
	uint32_t id;
	uint16_t type;		/* enum mxspf_rrtype */
	const char *name;
};

/* An answer fed to the evaluator.  rdata[i] is the wire-format RDATA of
 * record i (rdlen[i] bytes; domain names in it uncompressed), exactly as
 * libunbound returns it.  The evaluator validates and copies what it keeps,
 * so the caller may free the answer when mxspf_eval_answer() returns.
 * A status other than MXSPF_DNS_OK ignores count/rdata. */
struct mxspf_answer {
	enum mxspf_dns_status status;
	uint32_t ttl;
	size_t count;
	const uint8_t *const *rdata;
	const size_t *rdlen;
};

/* Configuration of a context.  Initialise with mxspf_config_init(). */
struct mxspf_config {
	size_t max_dns_terms;	/* RFC 7208 s4.6.4: 10 */
	size_t max_void_lookups;	/* RFC 7208 s4.6.4: 2 */
	size_t max_mx_names;	/* 10 names per "mx" */
	size_t max_ptr_names;	/* 10 names per "ptr" and %{p} */
	bool speculative;	/* prefetch later terms' first query
				 * (asynchronous drivers; mxspf_eval_run()
				 * never speculates) */
	bool trace;		/* keep an evaluation trace (mxspf_eval_trace) */
	const char *default_exp;	/* explanation when exp= gives none;
					 * NULL: built-in text */
	const char *receiver;	/* %{r}; NULL: "unknown" */
	size_t record_cache_size;	/* parsed records kept (rounded up to
					 * a power of two); 0 disables */
};

/** Fill cfg with the defaults of RFC 7208. */
void mxspf_config_init(struct mxspf_config *cfg);

struct mxspf_ctx;

/**
 * Create a context: a copy of the configuration and a cache of parsed
 * records shared by the evaluations made from it.
 * @param out: receives the context; free it with mxspf_ctx_free().
 * @param cfg: configuration, copied (strings too); NULL for the defaults.
 * @return 0 or MXSPF_ENOMEM / MXSPF_EINVAL.
 */
int mxspf_ctx_new(struct mxspf_ctx **out, const struct mxspf_config *cfg);

/** Free a context.  Evaluations made from it must be freed first. */
void mxspf_ctx_free(struct mxspf_ctx *ctx);

/* Which identity is checked (RFC 7208 s2.3, s2.4). */
enum mxspf_identity {
	MXSPF_ID_MAILFROM = 0,
	MXSPF_ID_HELO
};

/* The inputs of check_host().  Strings are copied by mxspf_eval_new(). */
struct mxspf_request {
	struct mxspf_addr client;
	const char *sender;	/* MAIL FROM; "" or NULL: null reverse-path */
	const char *helo;	/* HELO/EHLO name; may be NULL */
	enum mxspf_identity identity;
	int64_t now;		/* seconds since the epoch, for %{t} in
				 * explanations (the evaluator never reads
				 * the clock); 0 if unknown */
};

/* Why the result is what it is. */
enum mxspf_reason {
	MXSPF_WHY_MECHANISM = 0,	/* a mechanism matched */
	MXSPF_WHY_DEFAULT,	/* nothing matched: default neutral */
	MXSPF_WHY_NO_RECORD,	/* no SPF record: none */
	MXSPF_WHY_BAD_DOMAIN,	/* the identity's domain is not a valid name */
	MXSPF_WHY_SYNTAX,	/* a record does not parse: permerror */
	MXSPF_WHY_MULTIPLE,	/* several SPF records: permerror */
	MXSPF_WHY_LIMIT,	/* a processing limit: permerror */
	MXSPF_WHY_INCLUDE_NONE,	/* include of a domain without SPF */
	MXSPF_WHY_REDIRECT_NONE,	/* redirect to a domain without SPF */
	MXSPF_WHY_DNS,		/* DNS failure: temperror */
	MXSPF_WHY_DEADLINE,	/* the driver's deadline: temperror */
	MXSPF_WHY_MACRO		/* a macro does not expand: permerror */
};

/** A short token for a reason ("mechanism", "syntax", "dns-error", ...). */
const char *mxspf_reason_name(enum mxspf_reason r);

/* The verdict of an evaluation.  Every pointer is owned by the evaluation
 * and valid until mxspf_eval_free(); any may be NULL where not applicable. */
struct mxspf_verdict {
	enum mxspf_result result;
	enum mxspf_reason reason;
	const char *identity;	/* the checked identity: sender or helo */
	const char *domain;	/* the domain of the top-level check */
	const char *mechanism;	/* the matched term, as written */
	size_t mech_offset;	/* its byte offset in its record */
	const char *mech_domain;	/* the domain whose record matched */
	const char *problem;	/* human text for perm/temperror */
	const char *explanation;	/* on fail: the expanded explanation */
	size_t dns_terms;	/* DNS-querying terms evaluated */
	size_t void_lookups;	/* lookups that found nothing */
	size_t queries;		/* DNS queries issued (speculative too) */
};

struct mxspf_eval;

/**
 * Start one check_host() evaluation.
 * @param out: receives the evaluation; free with mxspf_eval_free().
 * @param ctx: the context; must outlive the evaluation.
 * @param req: the inputs; strings are copied.  A sender longer than 1024
 *  bytes, or a HELO name that long when it is the identity checked, is
 *  refused; a longer HELO only used for %{h} is cut to 1024 bytes.
 * @return 0, MXSPF_ENOMEM or MXSPF_EINVAL.
 */
int mxspf_eval_new(struct mxspf_eval **out, struct mxspf_ctx *ctx,
    const struct mxspf_request *req);

enum mxspf_step {
	MXSPF_STEP_DONE = 0,	/* the verdict is ready */
	MXSPF_STEP_QUERY = 1	/* answers are needed */
};

/**
 * Advance the evaluation as far as the answers fed so far allow.
 * @return MXSPF_STEP_DONE, MXSPF_STEP_QUERY (then take the new queries with
 * mxspf_eval_next_query() and feed answers), or a negative MXSPF_E* on
 * out-of-memory, after which only mxspf_eval_free() is valid.
 */
int mxspf_eval_step(struct mxspf_eval *ev);

/**
 * Take the next query not yet handed out.
 * @return a query, or NULL when all have been handed out.  Each query is
 * handed out once and must be answered once (or the evaluation aborted).
 */
const struct mxspf_query *mxspf_eval_next_query(struct mxspf_eval *ev);

/**
 * Feed the answer of a query; answers may come in any order.
 * @return 0; MXSPF_ENOENT for an unknown or already answered id;
 * MXSPF_ENOMEM.
 */
int mxspf_eval_answer(struct mxspf_eval *ev, uint32_t id,
    const struct mxspf_answer *ans);

/**
 * End the evaluation now with temperror (the driver's deadline passed).
 * Outstanding queries are forgotten.  Always succeeds.
 */
void mxspf_eval_abort(struct mxspf_eval *ev);

/** The verdict; valid once mxspf_eval_step() returned MXSPF_STEP_DONE. */
const struct mxspf_verdict *mxspf_eval_verdict(const struct mxspf_eval *ev);

/**
 * The evaluation trace (terms, queries, answers, counts), one event per
 * line, or "" when the context was created without cfg.trace.
 */
const char *mxspf_eval_trace(const struct mxspf_eval *ev);

/**
 * Free an evaluation (outstanding queries are forgotten).  Its context
 * keeps the storage of a few freed evaluations for its next
 * mxspf_eval_new() (so a daemon's checks allocate next to nothing);
 * mxspf_ctx_free() releases it.
 */
void mxspf_eval_free(struct mxspf_eval *ev);

/* The operations of any sans-I/O object that asks for DNS queries (an
 * evaluation, an MX-trust lookup, a recipient decision), so that one
 * driver can run them all.  Each behaves like the mxspf_eval_* call of the
 * same name; obj is the object. */
struct mxspf_machine_ops {
	int (*step)(void *obj);
	const struct mxspf_query *(*next_query)(void *obj);
	int (*answer)(void *obj, uint32_t id, const struct mxspf_answer *a);
	void (*abort)(void *obj);
};

/* The operations of struct mxspf_eval. */
extern const struct mxspf_machine_ops mxspf_eval_ops;

/* A synchronous resolver: answer q by calling mxspf_eval_answer(ev, q->id,
 * ...) before returning (with MXSPF_DNS_TIMEOUT or SERVFAIL on failure). */
typedef void (*mxspf_resolve_fn)(void *arg, struct mxspf_eval *ev,
    const struct mxspf_query *q);

/**
 * Run an evaluation to its end with a synchronous resolver.
 * @return 0 and the verdict is ready, or a negative MXSPF_E*.
 */
int mxspf_eval_run(struct mxspf_eval *ev, mxspf_resolve_fn fn, void *arg);

/* ---- In-memory zone driver (lib/zone.c) --------------------------------
 * A DNS held in memory, loaded from the openspf test-suite YAML format
 * (a scenario's zonedata) or built by calls.  Used by tests, the CLI's
 * --zone option (what-if) and benchmarks. */
struct mxspf_zone;

/** Create an empty zone. @return 0 or MXSPF_ENOMEM. */
int mxspf_zone_new(struct mxspf_zone **out);

/** Free a zone. */
void mxspf_zone_free(struct mxspf_zone *z);

/**
 * Add one record with wire-format RDATA (copied).  Names are
 * case-insensitive; a trailing dot is ignored.
 * @return 0, MXSPF_ENOMEM or MXSPF_EINVAL.
 */
int mxspf_zone_add(struct mxspf_zone *z, const char *name, uint16_t type,
    const uint8_t *rdata, size_t rdlen);

/** Make queries for name of types with no record time out. */
int mxspf_zone_add_timeout(struct mxspf_zone *z, const char *name);

/** Make name an alias of target (CNAME). */
int mxspf_zone_add_cname(struct mxspf_zone *z, const char *name,
    const char *target);

/**
 * Load the zonedata of document doc_index (0 = first) of a YAML file in the
 * openspf suite format.  On failure err receives a message with the line.
 * @return 0, MXSPF_ENOENT (no file or document), MXSPF_ESYNTAX, MXSPF_ENOMEM.
 */
int mxspf_zone_load_file(struct mxspf_zone *z, const char *path,
    size_t doc_index, char *err, size_t errlen);

/**
 * Answer a query from the zone (following CNAMEs within it).
 * @param ans: filled in; its arrays point into the zone and stay valid
 * until the zone is changed or freed.
 */
void mxspf_zone_lookup(const struct mxspf_zone *z, const char *name,
    uint16_t type, struct mxspf_answer *ans);

/** An mxspf_resolve_fn that answers from the zone given as arg. */
void mxspf_zone_resolve(void *zone, struct mxspf_eval *ev,
    const struct mxspf_query *q);

/* ---- Header writers (lib/header.c) ------------------------------------ */

/* What a header describes: the verdict plus the SMTP facts around it. */
struct mxspf_header_info {
	const struct mxspf_verdict *verdict;
	const struct mxspf_addr *client;
	const char *helo;	/* may be NULL */
	const char *sender;	/* envelope-from as given; may be "" */
	enum mxspf_identity identity;
	const char *receiver;	/* host name of this receiver */
	const char *trusted_for;	/* NULL, or the recipient domains the
					 * client was trusted for as an MX
					 * relay (Received-SPF gets an
					 * "x-mxspf-trusted-for" pair,
					 * Authentication-Results a
					 * "policy.x-mxspf-trusted-for"
					 * property) */
};

/**
 * Write a Received-SPF header (RFC 7208 s9.1), name included, folded at
 * 78 columns with CRLF-less "\n\t" folds, no final newline.
 * @param out: receives a malloc'd NUL-terminated string; free() it.
 * @return 0, MXSPF_ENOMEM or MXSPF_EINVAL.
 */
int mxspf_header_received_spf(const struct mxspf_header_info *info,
    char **out);

/**
 * Write an Authentication-Results header (RFC 8601, method spf), name
 * included, folded like mxspf_header_received_spf().
 * @param authserv_id: the authserv-id (usually this host's name).
 */
int mxspf_header_auth_results(const struct mxspf_header_info *info,
    const char *authserv_id, char **out);

/**
 * Write an X-Mxspf-Relay header: the record of a relay that was trusted
 * (for recipients whose SPF verdict therefore did not apply), claiming no
 * SPF result.  info->verdict is not used (may be NULL).
 *	X-Mxspf-Relay: mx (R: C is a trusted relay for D) client-ip=C;
 *	    envelope-from=S; helo=H; receiver=R; relay-host=N; preference=P;
 *	    domain="D ..."
 * @param kind: "mx", "configured" or "exempt".
 * @param relay_host: the MX host name the client is (may be NULL).
 * @param pref: its MX preference (ignored without relay_host).
 * @param domains: the recipient domains, space-separated.
 * @return 0, MXSPF_ENOMEM or MXSPF_EINVAL.
 */
int mxspf_header_relay(const struct mxspf_header_info *info, const char *kind,
    const char *relay_host, unsigned pref, const char *domains, char **out);

#ifdef __cplusplus
}
#endif
#endif /* MXSPF_MXSPF_H */
