/* fuzz/fuzz_policy_request.c - libFuzzer target for mxspfd's policy
 * protocol reader (cmd/mxspfd/request.c).
 * Owns: the checks made on request_parse() over a stream of requests (the
 * input parsed again and again from where the last request ended, as the
 * daemon does): the result is one of the four codes; on REQ_OK the request
 * ends with an empty line inside the input and the size limit, has no NUL,
 * request= is "smtpd_access_policy", at most REQ_MAX_ATTRS attributes and
 * every known attribute points into the request's own copy; a prefix of
 * an accepted request is never refused (early rejection must not reject
 * good input) and the request parses the same alone; on REQ_MORE no NUL
 * was seen and the limits still hold; on REQ_BAD the reason is set and
 * the quoted bytes lie inside the input.  Any violation aborts.
 * Must not: keep state between runs.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define FZ_MAX_REQUESTS 64	/* requests parsed from one input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_fail(const char *what);
static void fz_inside(const struct request *r, const char *s, size_t used);
static void fz_check_ok(const char *p, size_t len,
    const struct request *r, size_t used);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_policy_request: %s\n", what);
	abort();
}

/* fz_inside - abort unless s (when set) points into the request's copy
 * of used bytes */
static void
fz_inside(const struct request *r, const char *s, size_t used)
{
	if (s != NULL && (s < r->mem || s >= r->mem + used))
		fz_fail("attribute outside the request copy");
}

/* fz_check_ok - the invariants of an accepted request p[0..used) */
static void
fz_check_ok(const char *p, size_t len, const struct request *r, size_t used)
{
	struct request again;
	struct req_error err;
	size_t used2;
	int rc;

	if (used < 2 || used > len || used > REQ_MAX_SIZE)
		fz_fail("used out of range");
	if (p[used - 1] != '\n')
		fz_fail("request does not end with a newline");
	if (memchr(p, '\0', used) != NULL)
		fz_fail("accepted a NUL byte");
	if (r->mem == NULL || r->request == NULL ||
	    strcmp(r->request, "smtpd_access_policy") != 0)
		fz_fail("accepted without request=smtpd_access_policy");
	if (r->nattrs == 0 || r->nattrs > REQ_MAX_ATTRS)
		fz_fail("attribute count out of range");
	fz_inside(r, r->request, used);
	fz_inside(r, r->protocol_state, used);
	fz_inside(r, r->client_address, used);
	fz_inside(r, r->helo_name, used);
	fz_inside(r, r->sender, used);
	fz_inside(r, r->recipient, used);
	fz_inside(r, r->instance, used);
	fz_inside(r, r->queue_id, used);
	fz_inside(r, r->server_address, used);
	/* Alone, the request parses the same. */
	rc = request_parse(p, used, &again, &used2, &err);
	if (rc != REQ_OK && rc != REQ_NOMEM)
		fz_fail("the request alone does not parse");
	if (rc == REQ_OK && (used2 != used || again.nattrs != r->nattrs ||
	    again.state != r->state))
		fz_fail("the request alone parses differently");
	if (rc == REQ_OK)
		request_free(&again);
	/* Every strict prefix is still incomplete, never refused. */
	rc = request_parse(p, used / 2, &again, &used2, &err);
	if (rc != REQ_MORE)
		fz_fail("a prefix of a good request is not REQ_MORE");
	rc = request_parse(p, used - 1, &again, &used2, &err);
	if (rc != REQ_MORE)
		fz_fail("a request without its last newline is not REQ_MORE");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct request req;
	struct req_error err;
	size_t off = 0, used, n;
	int rc;

	for (n = 0; n < FZ_MAX_REQUESTS && off <= size; n++) {
		used = 12345;
		rc = request_parse(p + off, size - off, &req, &used, &err);
		switch (rc) {
		case REQ_OK:
			fz_check_ok(p + off, size - off, &req, used);
			request_free(&req);
			if (req.mem != NULL)
				fz_fail("request_free left memory");
			off += used;
			continue;
		case REQ_MORE:
			if (used != 0 || req.mem != NULL)
				fz_fail("REQ_MORE with a result");
			if (memchr(p + off, '\0', size - off) != NULL)
				fz_fail("REQ_MORE over a NUL byte");
			if (size - off > REQ_MAX_SIZE)
				fz_fail("REQ_MORE past the size limit");
			return 0;
		case REQ_BAD:
			if (used != 0 || req.mem != NULL || err.why == NULL)
				fz_fail("REQ_BAD without a reason");
			if (err.at == NULL || err.at < p + off ||
			    err.at + err.atlen > p + size ||
			    err.atlen > REQ_MAX_LINE + 1)
				fz_fail("REQ_BAD quotes bytes outside the "
				    "input");
			return 0;
		case REQ_NOMEM:
			return 0;
		default:
			fz_fail("unexpected return code");
		}
	}
	return 0;
}
