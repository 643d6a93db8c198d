/* cmd/mxspf/cli.h - private interface of the mxspf command-line tool.
 * Owns: struct cli_opts (the parsed command line), struct cli_env (the
 * context, the DNS source and the deadline of one run), the exit codes
 * and the output conventions shared by check and batch.  Must not: be
 * included by lib/; hold global mutable state.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_CLI_H
#define MXSPF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "mxspf/mxspf.h"
#include "mxspf/unbound.h"
#include "buf.h"

/* Exit codes (documented in docs/mxspf.1, EXIT STATUS). */
enum cli_exit {
	CLI_EXIT_PASS = 0,
	CLI_EXIT_FAIL = 1,
	CLI_EXIT_SOFTFAIL = 2,
	CLI_EXIT_NEUTRAL = 3,
	CLI_EXIT_NONE = 4,
	CLI_EXIT_TEMPERROR = 5,
	CLI_EXIT_PERMERROR = 6,
	CLI_EXIT_OK = 0,		/* help, version, batch,
					 * migrate-config */
	CLI_EXIT_MIGRATE = 1,		/* migrate-config: the input cannot
					 * be read or converted */
	CLI_EXIT_USAGE = 64,		/* bad command line (EX_USAGE) */
	CLI_EXIT_SETUP = 69,		/* zone or resolver unusable
					 * (EX_UNAVAILABLE) */
	CLI_EXIT_INTERNAL = 70,		/* library or memory failure
					 * (EX_SOFTWARE) */
	CLI_EXIT_IO = 74		/* input or output failed (EX_IOERR) */
};

#define CLI_DEFAULT_TIMEOUT 20		/* seconds; RFC 7208 s4.6.4 */
#define CLI_MAX_TIMEOUT 86400		/* seconds */
#define CLI_DEFAULT_CONCURRENCY 256	/* batch evaluations in flight */
#define CLI_MAX_CONCURRENCY 65536
#define CLI_MAX_LINE 4096		/* batch input line, without newline */
#define CLI_MAX_OUTPUT 262144		/* one formatted value or block */
#define CLI_MAX_HOSTNAME 255		/* gethostname() result */
#define CLI_MAX_WAIT_MS 3600000		/* longest single poll() wait,
					 * well inside an int */

/* The parsed command line. */
struct cli_opts {
	bool batch;		/* "batch" or "check --batch" */
	const char *ip;		/* --ip */
	const char *sender;	/* --sender */
	const char *helo;	/* --helo */
	const char *zone;	/* --zone FILE */
	const char **resolvers;	/* --resolver ADDR[@PORT], repeatable */
	size_t nresolvers;
	bool explain;		/* --explain */
	const char *default_exp;	/* --default-exp */
	enum mxspf_identity identity;	/* --identity */
	const char *receiver;	/* --receiver; NULL: host name */
	const char *authserv_id;	/* --authserv-id; NULL: receiver */
	unsigned timeout;	/* --timeout, seconds */
	bool no_speculative;	/* --no-speculative */
	size_t concurrency;	/* --concurrency */
};

/* Where a run gets its answers from, and its configuration. */
struct cli_env {
	struct mxspf_ctx *ctx;
	struct mxspf_zone *zone;	/* with --zone, else NULL */
	struct mxspf_ub *ub;		/* without --zone, else NULL */
	char receiver[CLI_MAX_HOSTNAME + 1];
	const char *authserv_id;
	unsigned timeout;		/* seconds */
	enum mxspf_identity identity;
};

/* cli_env_open - build the context and the DNS source from opts; on
 * failure print a message and return an exit code, else 0 */
int cli_env_open(struct cli_env *env, const struct cli_opts *opts);
/* cli_env_close - free what cli_env_open() made */
void cli_env_close(struct cli_env *env);

/* cli_deadline - now plus seconds on the monotonic clock */
void cli_deadline(struct timespec *ts, unsigned seconds);
/* cli_ms_left - milliseconds until ts (0 when passed), rounded up and
 * capped to CLI_MAX_WAIT_MS */
int cli_ms_left(const struct timespec *ts);
/* cli_eval - run ev to its end with the zone or libunbound; when the
 * deadline (env->timeout from now) passes first, ev ends with temperror
 * (reason deadline); 0 or a negative MXSPF_E* */
int cli_eval(struct cli_env *env, struct mxspf_eval *ev);

/* cli_reason - append the one-line reason text of v (unescaped) */
void cli_reason(struct mxspf_buf *b, const struct mxspf_verdict *v);
/* cli_put_value - append text on one line: folds ("\n" or "\r\n" and
 * the blanks after it) become one space; other bytes outside printable
 * ASCII become \xNN (the backslash itself stays, so headers stay valid) */
void cli_put_value(struct mxspf_buf *b, const char *s);
/* cli_put_escaped - append p[0..len) with bytes outside printable ASCII
 * as \xNN */
void cli_put_escaped(struct mxspf_buf *b, const char *p, size_t len);
/* cli_usage - print "mxspf: MESSAGE", the usage and a hint to stderr;
 * return CLI_EXIT_USAGE */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_result_exit - the exit code of a result */
int cli_result_exit(enum mxspf_result r);
/* cli_request - fill req; 0, or -1 when ip does not parse */
int cli_request(struct mxspf_request *req, const char *ip,
    const char *sender, const char *helo, enum mxspf_identity id);

/* cli_check - the check command; returns the exit code */
int cli_check(const struct cli_opts *opts);
/* cli_batch - the batch command; returns the exit code */
int cli_batch(const struct cli_opts *opts);
/* cli_trust - the trust command on argv[0..argc) (after "trust");
 * returns the exit code */
int cli_trust(int argc, char **argv);

#endif
