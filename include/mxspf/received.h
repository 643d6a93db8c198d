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
 * at most 512 bytes, or NULL when absent.  from_helo is what the header
 * shows as the client's HELO: where an MTA leaves the HELO out because it
 * equals the name it shows (Exim, qmail), that name. */
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
 * past len, never NUL-terminated by assumption.  Folds (CRLF or LF
 * followed by a space or tab) are unfolded; any other CR, LF, NUL or
 * control byte is refused.  Comments nest (RFC 5322 ccontent with
 * quoted-pairs) at most 8 deep.  A from clause that shows more than one
 * client address is refused, never guessed at (a HELO name is chosen by
 * the sender).  Hops that have no client address (qmail "invoked by",
 * local submissions, "with local") are MXSPF_ESYNTAX with that reason.
 * @param err: on failure, why: one line, printable ASCII, untrusted
 *  bytes escaped (may be NULL; errlen 0 is fine).
 * @return 0 (out filled; free with mxspf_received_clear()), MXSPF_ESYNTAX
 * (not a Received header this parser understands: no from/by, no client
 * address, junk), MXSPF_EINVAL (NULL out, or NULL value with len > 0) or
 * MXSPF_ENOMEM.  On failure out is zeroed (clearing it is harmless).
 */
int mxspf_received_parse(const char *value, size_t len,
    struct mxspf_received *out, char *err, size_t errlen);

/** Free the strings of a parsed header and zero it. */
void mxspf_received_clear(struct mxspf_received *r);

/* What a border MX recorded about SPF for its client. */
struct mxspf_recorded_spf {
	bool found;		/* a Received-SPF / A-R for that client */
	enum mxspf_result result;
	const char *header;	/* "Received-SPF" or "Authentication-Results"
				 * (static), or NULL when not found */
	size_t index;		/* found: its index in the walk's headers[] */
};

/**
 * Read the SPF result of a Received-SPF or Authentication-Results header
 * value, if it concerns client.
 *
 * Received-SPF (RFC 7208 s9.1): the first word is the result; the header
 * concerns client when its client-ip= key names that address (a header
 * without client-ip= concerns no particular client: MXSPF_ENOENT, unless
 * client is NULL).  Authentication-Results (RFC 8601): the result of the
 * "spf" method; when authserv_id is given the header's authserv-id must
 * equal it (case-insensitive), else the header is accepted whoever wrote
 * it (an A-R carries no client address; a Microsoft-style A-R without an
 * authserv-id is read too, and its "(sender IP is X)" comment, when
 * present, must name client).  Of several spf results in one header, the
 * one with an smtp.mailfrom property wins, else the first.
 * Result words are case-insensitive; the RFC 4408-era "error" and
 * "unknown" and RFC 5451 "hardfail" map to temperror, permerror and fail;
 * any other word (RFC 8601 "policy" included) is MXSPF_ESYNTAX.
 * @param name: the header name ("Received-SPF" / "Authentication-Results",
 *  case-insensitive); any other name gives MXSPF_ENOENT.
 * @param client: the client the result must be about, or NULL for any.
 * @param authserv_id: Authentication-Results only; NULL for any.
 * @return 0 when the header records an SPF result for client (out set),
 * MXSPF_ENOENT when it does not, MXSPF_ESYNTAX for junk (also over 8 KB,
 * CR/LF not part of a fold, NUL), MXSPF_EINVAL (NULL name or out, NULL
 * value with len > 0), MXSPF_ENOMEM.
 */
int mxspf_recorded_spf_parse(const char *name, const char *value, size_t len,
    const struct mxspf_addr *client, const char *authserv_id,
    enum mxspf_result *out);

/**
 * The authserv-id of an Authentication-Results header value (RFC 8601
 * s2.2: a token or quoted-string after optional CFWS), for removing
 * incoming headers that carry this receiver's own id (RFC 8601 s5).
 * @param out: receives the id (quoted-string decoded), NUL-terminated.
 * @return 0; MXSPF_ENOENT when the header has no authserv-id (it starts
 * with a method result, as Microsoft writes it); MXSPF_ESYNTAX for junk
 * or an id that is empty, over 255 bytes or not printable ASCII;
 * MXSPF_ELIMIT when outlen is too small; MXSPF_EINVAL; MXSPF_ENOMEM.
 */
int mxspf_auth_results_authserv_id(const char *value, size_t len, char *out,
    size_t outlen);

/* ---- the walk -------------------------------------------------------- */

/* A message header as the milter saw it, in message order (top first). */
struct mxspf_header {
	const char *name;
	const char *value;
	size_t len;
};

/* The walk's inputs.  Strings and arrays are copied by mxspf_walk_new()
 * (only the Received, Received-SPF and Authentication-Results headers are
 * kept; a value over 8 KB is kept as "too long" and never parsed). */
struct mxspf_walk_request {
	const char *domain;		/* the recipient domain D */
	struct mxspf_addr client;	/* the connected client (a trusted
					 * MX relay for D: mxspfd's rule) */
	const char *client_helo;	/* for the why line; may be NULL */
	const struct mxspf_addr *server_addr;	/* this server's address,
						 * or NULL */
	const struct mxspf_header *headers;	/* all headers, top first */
	size_t nheaders;
	size_t max_hops;		/* trusted relays followed, the
					 * connected client included;
					 * 0: 10; at most 32 */
};

enum mxspf_walk_outcome {
	MXSPF_WALK_BORDER = 0,	/* the border client was found */
	MXSPF_WALK_UNPARSEABLE,	/* a hop could not be read: stop */
	MXSPF_WALK_TOO_DEEP,	/* more trusted hops than max_hops */
	MXSPF_WALK_DNSERR	/* a trust lookup failed */
};

/* The walk's answer.  Owned by the walk; valid until mxspf_walk_free().
 *
 * The rules.  Received headers are read from the top.  Leading headers
 * written by this server (from-IP = the connected client, or "by" one of
 * trust->own_names) are skipped; the next one was written by the
 * connected client, a trusted relay.  For each hop's from-IP a trust
 * lookup (mxspf_trust_new() with the walk's trust config, req.client =
 * that IP, req.server_addr = this server) decides: YES -> follow to the
 * next Received header down; NO -> that IP is the border client; DNSERR ->
 * MXSPF_WALK_DNSERR.  Nothing below the border's Received header is ever
 * read.  What the border MX recorded is looked for between its Received
 * header and the next Received header above it (a Received-SPF whose
 * client-ip is the border IP first, then an Authentication-Results whose
 * authserv-id is border_mx, then any Authentication-Results whose
 * authserv-id is not one of trust->own_names), and failing that in any
 * Received-SPF above the border hop whose client-ip is the border IP;
 * nearest the border's Received header first, and a MAIL FROM result
 * over one that says it checked the HELO identity only.  Such headers
 * must be prepended by the border MX (Postfix policy PREPEND, a milter's
 * smfi_insheader() at 0): one appended at the end of the header is below
 * the border and never read. */
struct mxspf_walk_result {
	enum mxspf_walk_outcome outcome;
	const char *why;		/* one line for logs and headers;
					 * printable ASCII, never NULL */
	struct mxspf_addr border_ip;	/* BORDER: the original client */
	const char *border_helo;	/* its HELO as the border recorded;
					 * may be NULL */
	const char *border_rdns;	/* its reverse DNS name as shown;
					 * may be NULL */
	const char *border_mx;		/* the trusted MX that accepted it
					 * (its Received header's "by") */
	size_t border_index;		/* BORDER: index in headers[] of the
					 * border hop's Received header */
	size_t hops;			/* trusted relays followed, the
					 * connected client included */
	struct mxspf_recorded_spf recorded;	/* what border_mx recorded */
	size_t queries;			/* DNS queries of all lookups */
};

struct mxspf_walk;

/**
 * Start a walk.  trust gives this server's identity and the trust mode
 * (the same struct mxspfd uses); it and req are copied.
 * @return 0, MXSPF_EINVAL (NULL arguments, no domain, a client that is
 * not IPv4/IPv6, headers NULL with nheaders > 0, a header with a NULL
 * name or a NULL value with len > 0) or MXSPF_ENOMEM.
 */
int mxspf_walk_new(struct mxspf_walk **out,
    const struct mxspf_trust_config *trust,
    const struct mxspf_walk_request *req);

/* The machine interface, like mxspf_eval_*.  The trust lookups of
 * successive hops run one after another (each needs the previous
 * verdict); one lookup per distinct IP.  Query ids carry the lookup in
 * their top bits; an answer to a lookup that is over is MXSPF_ENOENT.
 * mxspf_walk_abort() ends the walk with MXSPF_WALK_DNSERR (deadline).
 * After mxspf_walk_step() returned MXSPF_ENOMEM only mxspf_walk_free()
 * is valid. */
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
