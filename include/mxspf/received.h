/* include/mxspf/received.h - Received-header parsing and the walk back to
 * the border client behind trusted backup MXes (used by mxspf-milter).
 *
 * At the final MX, mail relayed by the recipient domain's own backup MXes
 * arrives from a trusted relay; its SPF verdict is re-checked against the
 * original client.  The walk reads the Received chain from the top: while
 * a hop's "from" address is a trusted MX relay for the recipient domain
 * (the same MX-trust rule as mxspfd: lib/policy.c), it follows the hop;
 * the first hop from an untrusted address is the border client.  Hops
 * below the border are never trusted (a sender can forge them).  It also
 * finds what the border MX recorded about SPF for that client (its own
 * Received-SPF or Authentication-Results), so the milter can say whether
 * the backup checked SPF at all.
 *
 * Owns: struct mxspf_received (one parsed header) and struct mxspf_walk
 * (a sans-I/O machine: its trust lookups are DNS queries it hands out).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_RECEIVED_H
#define MXSPF_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxspf/mxspf.h"
#include "mxspf/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The MTA whose format a Received header matched. */
enum mxspf_mta {
	MXSPF_MTA_UNKNOWN = 0,
	MXSPF_MTA_POSTFIX,
	MXSPF_MTA_SENDMAIL,
	MXSPF_MTA_EXIM,
	MXSPF_MTA_EXCHANGE,	/* Microsoft Exchange / Office 365 */
	MXSPF_MTA_OPENSMTPD,
	MXSPF_MTA_QMAIL
};

/** "postfix", "sendmail", ... "unknown". */
const char *mxspf_mta_name(enum mxspf_mta m);

/* One parsed Received header (RFC 5321 s4.4 "Stamp").  Strings are
 * malloc'd, NUL-terminated, printable ASCII (anything else is refused),
 * or NULL when absent. */
struct mxspf_received {
	enum mxspf_mta mta;
	char *from_helo;	/* the name the client gave (HELO/EHLO) */
	char *from_rdns;	/* the client's reverse DNS name, if shown */
	bool has_ip;
	struct mxspf_addr from_ip;	/* the client's address (TCP-info) */
	char *by;		/* the host that wrote the header */
	char *with;		/* protocol: ESMTP, ESMTPS, SMTP, LMTP... */
	char *id;		/* its queue id */
	char *for_addr;		/* "for <addr>" */
};

/**
 * Parse the value of one Received header (without "Received:"; folds
 * may remain).  Input is untrusted: bounded (at most 8 KB), never read
 * past len, never NUL-terminated by assumption.
 * @param err: on failure, why (may be NULL).
 * @return 0 (out filled; free with mxspf_received_clear()), MXSPF_ESYNTAX
 * (not a Received header this parser understands: no from/by, no client
 * address, junk) or MXSPF_ENOMEM.
 */
int mxspf_received_parse(const char *value, size_t len,
    struct mxspf_received *out, char *err, size_t errlen);

/** Free the strings of a parsed header and zero it. */
void mxspf_received_clear(struct mxspf_received *r);

/* What a border MX recorded about SPF for its client. */
struct mxspf_recorded_spf {
	bool found;		/* a Received-SPF / A-R for that client */
	enum mxspf_result result;
	const char *header;	/* "Received-SPF" or "Authentication-Results" */
};

/**
 * Read the SPF result of a Received-SPF or Authentication-Results header
 * value, if it concerns client (Received-SPF: client-ip=; A-R: the spf
 * method result, matched by authserv_id when given).
 * @param name: the header name ("Received-SPF" / "Authentication-Results",
 *  case-insensitive).
 * @return 0 when the header records an SPF result for client (out set),
 * MXSPF_ENOENT when it does not, MXSPF_ESYNTAX for junk.
 */
int mxspf_recorded_spf_parse(const char *name, const char *value, size_t len,
    const struct mxspf_addr *client, const char *authserv_id,
    enum mxspf_result *out);

/* ---- the walk -------------------------------------------------------- */

/* A message header as the milter saw it, in message order (top first). */
struct mxspf_header {
	const char *name;
	const char *value;
	size_t len;
};

/* The walk's inputs.  Strings and arrays are copied by mxspf_walk_new(). */
struct mxspf_walk_request {
	const char *domain;		/* the recipient domain D */
	struct mxspf_addr client;	/* the connected client (a trusted
					 * MX relay for D: mxspfd's rule) */
	const char *client_helo;
	const struct mxspf_addr *server_addr;	/* this server's address */
	const struct mxspf_header *headers;	/* all headers, top first */
	size_t nheaders;
	size_t max_hops;		/* 0: 10 */
};

enum mxspf_walk_outcome {
	MXSPF_WALK_BORDER = 0,	/* the border client was found */
	MXSPF_WALK_UNPARSEABLE,	/* a hop could not be read: stop */
	MXSPF_WALK_TOO_DEEP,	/* more trusted hops than max_hops */
	MXSPF_WALK_DNSERR	/* a trust lookup failed */
};

/* The walk's answer.  Owned by the walk. */
struct mxspf_walk_result {
	enum mxspf_walk_outcome outcome;
	const char *why;		/* one line for logs and headers */
	struct mxspf_addr border_ip;	/* BORDER: the original client */
	const char *border_helo;	/* its HELO as the border recorded */
	const char *border_mx;		/* the trusted MX that accepted it */
	size_t hops;			/* trusted hops followed */
	struct mxspf_recorded_spf recorded;	/* what border_mx recorded */
	size_t queries;
};

struct mxspf_walk;

/**
 * Start a walk.  trust gives this server's identity and the trust mode
 * (the same struct mxspfd uses).
 * @return 0, MXSPF_EINVAL or MXSPF_ENOMEM.
 */
int mxspf_walk_new(struct mxspf_walk **out,
    const struct mxspf_trust_config *trust,
    const struct mxspf_walk_request *req);

/* The machine interface, like mxspf_eval_*. */
int mxspf_walk_step(struct mxspf_walk *w);
const struct mxspf_query *mxspf_walk_next_query(struct mxspf_walk *w);
int mxspf_walk_answer(struct mxspf_walk *w, uint32_t id,
    const struct mxspf_answer *ans);
void mxspf_walk_abort(struct mxspf_walk *w);
extern const struct mxspf_machine_ops mxspf_walk_ops;

/** The result, once mxspf_walk_step() returned MXSPF_STEP_DONE. */
const struct mxspf_walk_result *mxspf_walk_result(const struct mxspf_walk *w);

/** Free a walk. */
void mxspf_walk_free(struct mxspf_walk *w);

/* A synchronous resolver for walks. */
typedef void (*mxspf_walk_resolve_fn)(void *arg, struct mxspf_walk *w,
    const struct mxspf_query *q);

/** Run a walk to its end with a synchronous resolver. */
int mxspf_walk_run(struct mxspf_walk *w, mxspf_walk_resolve_fn fn,
    void *arg);

/** An mxspf_walk_resolve_fn answering from an mxspf_zone. */
void mxspf_zone_resolve_walk(void *zone, struct mxspf_walk *w,
    const struct mxspf_query *q);

#ifdef __cplusplus
}
#endif
#endif /* MXSPF_RECEIVED_H */
