/* cmd/mxspfd/request.c - the Postfix policy delegation protocol reader.
 *
 * Grammar (SMTPD_POLICY_README, Postfix attr_scan_plain): a request is a
 * list of "name=value" lines, each ended by a newline, and is ended by an
 * empty line.  The name runs to the first '='; the value is every byte
 * after it.  We also accept "\r\n" (a CR before the newline is dropped),
 * which Postfix never sends but hand-typed tests do.
 *
 * Owns: two passes over the caller's bytes.  The first finds where the
 * request ends and checks every limit and every complete line as it goes
 * (so junk is rejected at its first newline, and an over-long line before
 * its newline arrives), and notes where the value of each known attribute
 * is; it never reads past len.  Then the request is copied once (one
 * allocation) and each known attribute's value, ended with a NUL in the
 * copy, is pointed at (unknown attributes are only counted).
 *
 * Must not: log, allocate other than through mxspf__alloc, call strlen on
 * the input (it may hold NUL bytes), or accept a request whose known
 * attributes repeat (a second "recipient=" must not silently win).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include "internal.h"
#include "request.h"

#define REQ_TYPE "smtpd_access_policy"

/* A known attribute: its name and where it goes. */
struct req_attr {
	const char *name;
	size_t len;		/* strlen(name) */
	size_t off;
};

#define RO(f) offsetof(struct request, f)

static const struct req_attr req_attrs[] = {
	{ "request", sizeof("request") - 1, RO(request) },
	{ "protocol_state", sizeof("protocol_state") - 1, RO(protocol_state) },
	{ "protocol_name", sizeof("protocol_name") - 1, RO(protocol_name) },
	{ "client_address", sizeof("client_address") - 1, RO(client_address) },
	{ "client_name", sizeof("client_name") - 1, RO(client_name) },
	{ "helo_name", sizeof("helo_name") - 1, RO(helo_name) },
	{ "sender", sizeof("sender") - 1, RO(sender) },
	{ "recipient", sizeof("recipient") - 1, RO(recipient) },
	{ "instance", sizeof("instance") - 1, RO(instance) },
	{ "queue_id", sizeof("queue_id") - 1, RO(queue_id) },
	{ "server_address", sizeof("server_address") - 1, RO(server_address) },
	{ "server_port", sizeof("server_port") - 1, RO(server_port) },
	{ "sasl_username", sizeof("sasl_username") - 1, RO(sasl_username) },
};

#define REQ_NATTRS (sizeof(req_attrs) / sizeof(req_attrs[0]))

static int req_bad(struct req_error *err, const char *why, size_t line,
    const char *at, size_t atlen);
static int req_attr_find(const char *name, size_t len);
static bool req_name_ok(const char *p, size_t len);
static bool req_partial_bad(const char *p, size_t len);
/* Where req_scan found the value of a known attribute. */
struct req_hit {
	int a;			/* index in req_attrs */
	size_t off, len;	/* the value, in the request's bytes */
};

static int req_scan(const char *p, size_t len, size_t *total,
    struct req_hit *hits, size_t *nhits, size_t *lines_out,
    struct req_error *err);

/* req_bad - fill err and return REQ_BAD */
static int
req_bad(struct req_error *err, const char *why, size_t line, const char *at,
    size_t atlen)
{
	err->why = why;
	err->line = line;
	err->at = at;
	err->atlen = atlen > REQ_MAX_LINE + 1 ? REQ_MAX_LINE + 1 : atlen;
	return REQ_BAD;
}

/* req_attr_find - the index of a known attribute name, or -1 */
static int
req_attr_find(const char *name, size_t len)
{
	size_t i;

	/* Length and first byte first: most lines are known attributes,
	 * and only one of them has the same length and first letter. */
	for (i = 0; i < REQ_NATTRS; i++)
		if (req_attrs[i].len == len && req_attrs[i].name[0] == name[0] &&
		    memcmp(req_attrs[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* req_name_ok - an attribute name: 1..REQ_MAX_NAME bytes of letters,
 * digits, '_', '-' and '.' (what Postfix sends; anything else is junk) */
static bool
req_name_ok(const char *p, size_t len)
{
	/* The bytes allowed, one bit each (a table: this runs for every
	 * line of every request). */
	static const uint32_t ok[8] = {
		0x00000000,			/* 0x00-0x1f */
		0x03ff6000,			/* '-' '.' '0'-'9' */
		0x87fffffe,			/* 'A'-'Z' '_' */
		0x07fffffe,			/* 'a'-'z' */
		0, 0, 0, 0
	};
	size_t i;

	if (len == 0 || len > REQ_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((ok[c >> 5] & ((uint32_t)1 << (c & 31))) == 0)
			return false;
	}
	return true;
}

/* req_partial_bad - whether the start of a line (no newline yet) can no
 * longer become "name=value": a bad byte in the name, or no '=' after
 * REQ_MAX_NAME bytes (so a TLS hello or other junk is refused at once) */
static bool
req_partial_bad(const char *p, size_t len)
{
	size_t scan = len < REQ_MAX_NAME + 1 ? len : REQ_MAX_NAME + 1;
	const char *eq = memchr(p, '=', scan);

	if (len == 1 && p[0] == '\r')
		return false;	/* an empty CRLF line on its way */
	if (eq != NULL)
		return !req_name_ok(p, (size_t)(eq - p));
	if (len > REQ_MAX_NAME)
		return true;
	return len > 0 && !req_name_ok(p, len);
}

/* req_scan - find the end of the first request and check it; REQ_OK with
 * *total (bytes up to and including the empty line), REQ_MORE or
 * REQ_BAD */
static int
req_scan(const char *p, size_t len, size_t *total, struct req_hit *hits,
    size_t *nhits, size_t *lines_out, struct req_error *err)
{
	uint32_t seen = 0;
	size_t off = 0, lines = 0;
	bool have_request = false;

	for (;;) {
		const char *line = p + off, *nl, *eq;
		size_t rest = len - off, scan, n, content;
		int a;

		if (off >= len) {
			/* No room left for the empty line that ends it? */
			if (off >= REQ_MAX_SIZE)
				return req_bad(err, "request too large",
				    lines + 1, p, off);
			return REQ_MORE;
		}
		/* A line may have REQ_MAX_LINE bytes, a CR and the newline. */
		scan = rest < REQ_MAX_LINE + 2 ? rest : REQ_MAX_LINE + 2;
		nl = memchr(line, '\n', scan);
		n = nl != NULL ? (size_t)(nl - line) : scan;
		if (memchr(line, '\0', n) != NULL)
			return req_bad(err, "NUL byte", lines + 1, line, n);
		if (nl == NULL) {
			/* Incomplete: is it already junk or too long? */
			if (req_partial_bad(line, n))
				return req_bad(err, "not a name=value line",
				    lines + 1, line, n);
			if (rest > REQ_MAX_LINE + 1 ||
			    (rest == REQ_MAX_LINE + 1 &&
			    line[REQ_MAX_LINE] != '\r'))
				return req_bad(err, "line too long", lines + 1,
				    line, rest);
			if (off + rest >= REQ_MAX_SIZE)
				return req_bad(err, "request too large",
				    lines + 1, p, off);
			return REQ_MORE;
		}
		content = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
		if (content > REQ_MAX_LINE)
			return req_bad(err, "line too long", lines + 1, line,
			    n);
		if (off + n + 1 > REQ_MAX_SIZE)
			return req_bad(err, "request too large", lines + 1, p,
			    off);
		if (content == 0) {
			if (!have_request)
				return req_bad(err, "no request= attribute",
				    lines + 1, p, off);
			*total = off + n + 1;
			*lines_out = lines;
			return REQ_OK;
		}
		if (++lines > REQ_MAX_ATTRS)
			return req_bad(err, "too many attributes", lines, line,
			    content);
		eq = memchr(line, '=', content);
		if (eq == NULL || !req_name_ok(line, (size_t)(eq - line)))
			return req_bad(err, "not a name=value line", lines,
			    line, content);
		if ((a = req_attr_find(line, (size_t)(eq - line))) >= 0) {
			if ((seen & ((uint32_t)1 << a)) != 0)
				return req_bad(err, "duplicate attribute",
				    lines, line, content);
			seen |= (uint32_t)1 << a;
			/* Each known attribute once (above): at most
			 * REQ_NATTRS hits. */
			hits[*nhits].a = a;
			hits[*nhits].off = (size_t)(eq + 1 - p);
			hits[*nhits].len = content - (size_t)(eq + 1 - line);
			(*nhits)++;
			if (a == 0) {
				size_t vlen = content - (size_t)(eq + 1 - line);

				if (vlen != sizeof(REQ_TYPE) - 1 ||
				    memcmp(eq + 1, REQ_TYPE, vlen) != 0)
					return req_bad(err, "not a "
					    REQ_TYPE " request", lines, line,
					    content);
				have_request = true;
			}
		}
		off += n + 1;
	}
}

int
request_parse(const char *p, size_t len, struct request *req, size_t *used,
    struct req_error *err)
{
	struct req_hit hits[REQ_NATTRS];
	size_t total = 0, nhits = 0, lines = 0, i;
	int rc;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	*used = 0;
	if ((rc = req_scan(p, len, &total, hits, &nhits, &lines, err)) !=
	    REQ_OK)
		return rc;
	if ((req->mem = mxspf__memdup(p, total)) == NULL)
		return REQ_NOMEM;
	req->nattrs = lines;
	for (i = 0; i < nhits; i++) {
		/* The byte after a value is its CR or newline. */
		req->mem[hits[i].off + hits[i].len] = '\0';
		*(const char **)((char *)req + req_attrs[hits[i].a].off) =
		    req->mem + hits[i].off;
	}
	if (req->protocol_state == NULL)
		req->state = REQ_ST_OTHER;
	else if (strcmp(req->protocol_state, "RCPT") == 0)
		req->state = REQ_ST_RCPT;
	else if (strcmp(req->protocol_state, "DATA") == 0)
		req->state = REQ_ST_DATA;
	else if (strcmp(req->protocol_state, "END-OF-MESSAGE") == 0)
		req->state = REQ_ST_EOM;
	else
		req->state = REQ_ST_OTHER;
	*used = total;
	return REQ_OK;
}

void
request_free(struct request *req)
{
	free(req->mem);
	memset(req, 0, sizeof(*req));
}

const char *
request_state_name(enum req_state s)
{
	switch (s) {
	case REQ_ST_RCPT:
		return "RCPT";
	case REQ_ST_DATA:
		return "DATA";
	case REQ_ST_EOM:
		return "END-OF-MESSAGE";
	case REQ_ST_OTHER:
		break;
	}
	return "OTHER";
}
