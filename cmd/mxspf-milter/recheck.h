/* cmd/mxspf-milter/recheck.h - what the end of message makes of one
 * re-check: its headers, its log line, and the action.  Pure (no
 * libmilter, no DNS), so tests/milter links it alone.
 * Owns: struct recheck (the facts of one re-check: the walk's answer and
 * the re-evaluated verdict) and the functions that turn it into text and
 * into an enum milter_act.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MILTER_RECHECK_H
#define MILTER_RECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "mxspf/mxspf.h"
#include "mxspf/received.h"
#include "config.h"

/* How the border's own record compares with the re-check. */
enum recheck_border {
	RECHECK_BORDER_UNCHECKED = 0,	/* the border recorded no result */
	RECHECK_BORDER_AGREES,
	RECHECK_BORDER_DIFFERS
};

/* One re-check.  Pointers are borrowed (the walk and the evaluation own
 * them) and must outlive every call below. */
struct recheck {
	const char *domain;		/* the recipient domain walked for */
	enum mxspf_walk_outcome outcome;
	const char *why;		/* the walk's reason */
	struct mxspf_addr border_ip;	/* outcome BORDER */
	const char *border_helo;	/* may be NULL */
	const char *border_mx;		/* may be NULL */
	size_t hops;			/* trusted hops followed */
	struct mxspf_recorded_spf recorded;	/* what border_mx recorded */
	const struct mxspf_verdict *verdict;	/* the re-check; NULL when
						 * there is none (no border,
						 * or it failed) */
	const char *error;		/* why there is no verdict although a
					 * border was found; or NULL */
};

/* The facts around every re-check of a message. */
struct recheck_env {
	const struct mxspf_addr *client;	/* the connected client */
	const char *sender;		/* envelope sender; "" null path */
	const char *receiver;		/* this host, for comments */
	const char *authserv_id;	/* Authentication-Results */
};

/** How the border's record compares (rc->verdict must be set). */
enum recheck_border recheck_border_state(const struct recheck *rc);

/** "unchecked", "agrees", "differs". */
const char *recheck_border_name(enum recheck_border b);

/** The walk outcome as a token ("border", "unparseable", ...). */
const char *recheck_outcome_name(enum mxspf_walk_outcome o);

/**
 * The Received-SPF header of a re-check (rc->verdict set): the library's
 * header for (border IP, sender, border HELO) plus
 *	x-mxspf-border=received-chain (COMMENT); x-mxspf-border-mx=MX;
 *	x-mxspf-border-spf=RESULT|unchecked (COMMENT)
 * @param out: malloc'd "Received-SPF: ..." folded with "\n\t".
 * @return 0, MXSPF_EINVAL or MXSPF_ENOMEM.
 */
int recheck_received_spf(const struct recheck *rc,
    const struct recheck_env *env, char **out);

/**
 * The Authentication-Results header of a re-check (rc->verdict set): the
 * library's header plus the properties policy.x-mxspf-border=IP,
 * policy.x-mxspf-border-mx=MX and policy.x-mxspf-border-spf=RESULT, each
 * with a comment.  @return 0, MXSPF_EINVAL or MXSPF_ENOMEM.
 */
int recheck_auth_results(const struct recheck *rc,
    const struct recheck_env *env, char **out);

/**
 * The header for a walk that found no border or a re-check that could
 * not run (rc->verdict NULL), claiming no SPF result:
 *	X-Mxspf-Recheck: OUTCOME (RECEIVER: WHY) client-ip=IP; domain=D
 * @return 0, MXSPF_EINVAL or MXSPF_ENOMEM.
 */
int recheck_note(const struct recheck *rc, const struct recheck_env *env,
    char **out);

/**
 * The one log line of a re-check (untrusted text escaped), e.g.
 *	recheck domain=D border=IP helo=H border_mx=MX hops=N spf=fail
 *	border_spf=unchecked action=quarantine
 * @return a malloc'd line or NULL.
 */
char *recheck_log_line(const struct recheck *rc, enum milter_act act);

/**
 * The action for a re-check: pass and a missing border (unparseable,
 * too deep) tag; a walk DNS error counts as temperror; every other result
 * takes its configured action.
 */
enum milter_act recheck_action(const struct milter_conf *mc,
    const struct recheck *rc);

/**
 * The SMTP reply of a reject at the end of message: 451 4.7.24 for
 * temperror (and a walk DNS error), 550 5.7.24 for permerror, 550 5.7.23
 * otherwise (RFC 7372).  *temp says whether it is temporary.
 * @return malloc'd reply text (not yet escaped for smfi_setreply), or NULL.
 */
char *recheck_reply(const struct recheck *rc, const char **code,
    const char **status, bool *temp);

/** The reason given to smfi_quarantine(); malloc'd or NULL. */
char *recheck_quarantine_reason(const struct recheck *rc);

#endif
