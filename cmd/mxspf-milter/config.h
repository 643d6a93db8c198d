/* cmd/mxspf-milter/config.h - the [milter] section of the configuration.
 * Owns: struct milter_conf (the milter's own keys; the shared sections
 * [policy], [spf], [resolver] and [domain NAME] are lib/conf.c's struct
 * mxspf_conf) and enum milter_act (what the end of message does with a
 * re-check result).  Pure: no libmilter, no I/O besides reading the file,
 * so tests/milter links it alone.
 * Must not: accept a key it cannot honour, or a value it would change.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MILTER_CONFIG_H
#define MILTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "mxspf/mxspf.h"

#define MILTER_DEFAULT_SOCKET "unix:/run/mxspf/milter.sock"
#define MILTER_DEFAULT_MAX_HEADERS 1000	/* headers kept per message */
#define MILTER_DEFAULT_MAX_HEADER_BYTES (256u * 1024u)	/* their bytes */
#define MILTER_DEFAULT_MAX_HOPS 10	/* trusted hops the walk follows */
#define MILTER_MAX_MAX_HEADERS 100000
#define MILTER_MAX_MAX_HEADER_BYTES (64u * 1024u * 1024u)
#define MILTER_DEFAULT_STATS_INTERVAL 3600
#define MILTER_MAX_STATS_INTERVAL 86400
#define MILTER_MAX_MAX_HOPS 32		/* lib/walk.c caps it there too */
#define MILTER_MAX_SOCKET 200		/* bytes of a socket spec */
#define MILTER_NRESULTS 7		/* enum mxspf_result values */

/* What the end of message does with a re-check result.  Ordered by
 * severity: with several re-checks the most severe wins. */
enum milter_act {
	MILTER_ACT_TAG = 0,	/* headers only */
	MILTER_ACT_QUARANTINE,	/* smfi_quarantine (Postfix: hold) */
	MILTER_ACT_REJECT	/* 5xx (4xx for temperror) */
};

/* The [milter] keys, with their defaults from milter_conf_init(). */
struct milter_conf {
	char *socket;		/* libmilter: unix:PATH, inet:PORT@HOST,
				 * inet6:PORT@HOST */
	char *user, *group;	/* drop to these after binding */
	bool rcpt_checks;	/* enforce recipient decisions and add the
				 * per-message trace header (default yes);
				 * "no" when mxspfd answers on this MX */
	enum milter_act recheck[MILTER_NRESULTS];	/* per result; pass
							 * is always tag */
	size_t max_headers;	/* headers kept for the walk */
	size_t max_header_bytes;	/* their total bytes */
	size_t max_hops;	/* trusted hops followed */
	char *syslog_facility;	/* "mail" by default; "none" */
	bool log_stderr;
	size_t stats_interval;	/* seconds between statistics lines; 0:
				 * only on SIGUSR1 and at exit; 3600 */
};

/** Fill mc with the defaults. @return 0 or MXSPF_ENOMEM. */
int milter_conf_init(struct milter_conf *mc);

/**
 * Read the [milter] section of an INI file over mc.  Other sections are
 * left to mxspf_conf_load() (lib/conf.c), which skips [milter], so one
 * file configures mxspfd and the milter.  Unknown [milter] keys, bad
 * values and a key given twice are errors: err gets "FILE:LINE: message".
 * @return 0, MXSPF_ENOENT (cannot open), MXSPF_ESYNTAX or MXSPF_ENOMEM.
 */
int milter_conf_load(struct milter_conf *mc, const char *path, char *err,
    size_t errlen);

/** Set the socket (-l); checked as the "socket" key. @return 0 or -1. */
int milter_conf_set_socket(struct milter_conf *mc, const char *spec,
    char *err, size_t errlen);

/** Check a socket spec: unix:/PATH, local:/PATH, inet:PORT[@HOST],
 * inet6:PORT[@HOST]. @return 0 or -1 with a message. */
int milter_socket_check(const char *spec, char *err, size_t errlen);

/** Free mc's strings (the struct itself is the caller's). */
void milter_conf_free(struct milter_conf *mc);

/** "tag", "quarantine", "reject". */
const char *milter_act_name(enum milter_act a);

/** Parse an action name. @return 0 or -1. */
int milter_act_parse(const char *name, enum milter_act *out);

#endif
