/* cmd/mxspfd/request.h - the Postfix policy delegation protocol reader
 * (SMTPD_POLICY_README): bytes in, one typed request (or an error) out.
 * Owns: struct request and its limits.  Pure: no I/O, no logging, no
 * global state, so the daemon, the unit tests and the fuzz target share
 * it.  Must not: be included by lib/.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPFD_REQUEST_H
#define MXSPFD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define REQ_MAX_LINE 2048	/* bytes of one "name=value" line, without
				 * its newline */
#define REQ_MAX_ATTRS 100	/* attribute lines of one request */
#define REQ_MAX_SIZE 16384	/* bytes of one request, its final empty
				 * line included */
#define REQ_MAX_NAME 64		/* bytes of an attribute name */

/* The SMTP stage a request is made at (protocol_state). */
enum req_state {
	REQ_ST_OTHER = 0,	/* CONNECT, EHLO, HELO, MAIL, VRFY, ... */
	REQ_ST_RCPT,		/* RCPT */
	REQ_ST_DATA,		/* DATA */
	REQ_ST_EOM		/* END-OF-MESSAGE */
};

/* The attributes mxspfd reads.  Each is NULL when absent, else a
 * NUL-terminated string inside the request's own copy of the input.  A
 * known attribute given twice makes the request bad; other attributes are
 * ignored (the protocol grows). */
struct request {
	char *mem;		/* the copy; free with request_free() */
	enum req_state state;
	const char *request;		/* always "smtpd_access_policy" */
	const char *protocol_state;
	const char *protocol_name;
	const char *client_address;
	const char *client_name;
	const char *helo_name;
	const char *sender;
	const char *recipient;
	const char *instance;
	const char *queue_id;
	const char *server_address;
	const char *server_port;
	const char *sasl_username;
	size_t nattrs;		/* attribute lines, unknown ones too */
};

/* Results of request_parse(). */
enum req_status {
	REQ_OK = 0,		/* one request in *req; *used bytes taken */
	REQ_MORE = 1,		/* no complete request yet, and no error */
	REQ_BAD = -1,		/* malformed: close the connection */
	REQ_NOMEM = -2		/* out of memory */
};

/* What was wrong with a bad request: why (a static string) and the
 * offending bytes (inside the caller's input, not NUL-terminated, at most
 * REQ_MAX_LINE + 1 bytes; log them escaped and cut). */
struct req_error {
	const char *why;
	size_t line;		/* 1-based attribute line of the request */
	const char *at;
	size_t atlen;
};

/* request_parse - parse the first request of p[0..len): attribute lines
 * "name=value\n" ("\r\n" is accepted) ended by an empty line.  A line
 * longer than REQ_MAX_LINE, more than REQ_MAX_ATTRS lines, more than
 * REQ_MAX_SIZE bytes, a NUL byte, a line without '=' or with a bad name,
 * a duplicate known attribute, or no request=smtpd_access_policy give
 * REQ_BAD as soon as the bytes seen show it: a NUL, a bad name byte, a
 * name without '=' after REQ_MAX_NAME bytes and an over-long line are
 * noticed before the newline arrives.  On REQ_OK the caller frees req
 * with request_free(); on other results req holds nothing. */
int request_parse(const char *p, size_t len, struct request *req,
    size_t *used, struct req_error *err);

/* request_free - release what request_parse() stored in req */
void request_free(struct request *req);

/* request_state_name - "RCPT", "DATA", ... for logs */
const char *request_state_name(enum req_state s);

#endif
