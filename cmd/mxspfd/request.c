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
 * is; it never reads past len, and reads each line once: a known
 * attribute's name and '=' by the line's first byte and a compare (most
 * lines), any other name byte by byte through a table up to the first
 * other byte (which must be the '='), then the rest of the line with
 * memchr for its newline and any NUL.  Then the request is copied once
 * (one allocation) and each known attribute's value, ended with a NUL in
 * the copy, is pointed at (unknown attributes are only counted).
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

/* The known attributes; each is one bit of req_scan's "seen". */
enum req_attr {
	REQ_A_REQUEST,
	REQ_A_PROTOCOL_STATE,
	REQ_A_PROTOCOL_NAME,
	REQ_A_CLIENT_ADDRESS,
	REQ_A_CLIENT_NAME,
	REQ_A_HELO_NAME,
	REQ_A_SENDER,
	REQ_A_RECIPIENT,
	REQ_A_INSTANCE,
	REQ_A_QUEUE_ID,
	REQ_A_SERVER_ADDRESS,
	REQ_A_SERVER_PORT,
	REQ_A_SASL_USERNAME,
	REQ_NATTRS
};

#define RO(f) offsetof(struct request, f)

/* Where each known attribute's value goes in struct request. */
static const size_t req_attr_off[REQ_NATTRS] = {
	[REQ_A_REQUEST] = RO(request),
	[REQ_A_PROTOCOL_STATE] = RO(protocol_state),
	[REQ_A_PROTOCOL_NAME] = RO(protocol_name),
	[REQ_A_CLIENT_ADDRESS] = RO(client_address),
	[REQ_A_CLIENT_NAME] = RO(client_name),
	[REQ_A_HELO_NAME] = RO(helo_name),
	[REQ_A_SENDER] = RO(sender),
	[REQ_A_RECIPIENT] = RO(recipient),
	[REQ_A_INSTANCE] = RO(instance),
	[REQ_A_QUEUE_ID] = RO(queue_id),
	[REQ_A_SERVER_ADDRESS] = RO(server_address),
	[REQ_A_SERVER_PORT] = RO(server_port),
	[REQ_A_SASL_USERNAME] = RO(sasl_username),
};

/* The bytes of an attribute name: letters, digits, '_', '-' and '.'
 * (what Postfix sends; anything else is junk).  A table: this runs for
 * every name byte of every request. */
static const unsigned char req_name_byte[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int req_bad(struct req_error *err, const char *why, size_t line,
    const char *at, size_t atlen);
static size_t req_name_len(const unsigned char *s, size_t max);
static int req_known(const char *line, size_t scan, size_t *name);
/* Where req_scan found the value of a known attribute. */
struct req_hit {
	int a;			/* an enum req_attr */
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

/* req_name_len - how many of s[0..max) are name bytes from the start:
 * four at a time while four remain (most names are longer), then one by
 * one up to the first other byte */
static size_t
req_name_len(const unsigned char *s, size_t max)
{
	size_t i = 0;

	while (i + 4 <= max && (req_name_byte[s[i]] & req_name_byte[s[i + 1]] &
	    req_name_byte[s[i + 2]] & req_name_byte[s[i + 3]]) != 0)
		i += 4;
	while (i < max && req_name_byte[s[i]] != 0)
		i++;
	return i;
}

/* REQ_AT - in req_known: return attribute a when the line starts with s
 * (a string literal: the name and its '='), by a memcmp of a constant
 * length, which the compiler inlines */
#define REQ_AT(s, a) do {						\
	if (scan >= sizeof(s) - 1 && memcmp(line, s, sizeof(s) - 1) == 0) { \
		*name = sizeof(s) - 2;					\
		return (a);						\
	}								\
} while (0)

/* req_known - the known attribute (enum req_attr) whose name and '='
 * start line[0..scan), with its length in *name; or -1 (the line may
 * still be an unknown attribute, or junk), by the first byte and then at
 * most four names */
static int
req_known(const char *line, size_t scan, size_t *name)
{
	switch (line[0]) {
	case 'c':
		REQ_AT("client_address=", REQ_A_CLIENT_ADDRESS);
		REQ_AT("client_name=", REQ_A_CLIENT_NAME);
		break;
	case 'h':
		REQ_AT("helo_name=", REQ_A_HELO_NAME);
		break;
	case 'i':
		REQ_AT("instance=", REQ_A_INSTANCE);
		break;
	case 'p':
		REQ_AT("protocol_state=", REQ_A_PROTOCOL_STATE);
		REQ_AT("protocol_name=", REQ_A_PROTOCOL_NAME);
		break;
	case 'q':
		REQ_AT("queue_id=", REQ_A_QUEUE_ID);
		break;
	case 'r':
		REQ_AT("request=", REQ_A_REQUEST);
		REQ_AT("recipient=", REQ_A_RECIPIENT);
		break;
	case 's':
		REQ_AT("sender=", REQ_A_SENDER);
		REQ_AT("server_address=", REQ_A_SERVER_ADDRESS);
		REQ_AT("server_port=", REQ_A_SERVER_PORT);
		REQ_AT("sasl_username=", REQ_A_SASL_USERNAME);
		break;
	default:
		break;
	}
	return -1;
}

#undef REQ_AT

/* req_scan - find the end of the first request and check it; REQ_OK with
 * *total (bytes up to and including the empty line), REQ_MORE or
 * REQ_BAD */
static int
req_scan(const char *p, size_t len, size_t *total, struct req_hit *hits,
    size_t *nhits, size_t *lines_out, struct req_error *err)
{
	uint32_t seen = 0;
	size_t off = 0, lines = 0, nh = 0;
	bool have_request = false;

	for (;;) {
		const char *line = p + off, *nl;
		size_t rest = len - off, scan, nmax, name, n, content, vlen;
		bool eq;
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
		/* The name.  A known attribute's name and '=' make a good
		 * name (most lines).  Otherwise its bytes up to the first
		 * other byte, looked at up to REQ_MAX_NAME bytes: it is good
		 * when it is not empty and the byte after it is the line's
		 * first '='; nothing else can become a name=value line. */
		if ((a = req_known(line, scan, &name)) >= 0) {
			eq = true;
		} else {
			nmax = scan < REQ_MAX_NAME ? scan : REQ_MAX_NAME;
			name = req_name_len((const unsigned char *)line, nmax);
			eq = name > 0 && name < scan && line[name] == '=';
		}
		/* The rest of the line (name bytes are neither a newline
		 * nor a NUL): where it ends, and whether it holds a NUL. */
		nl = memchr(line + name, '\n', scan - name);
		n = nl != NULL ? (size_t)(nl - line) : scan;
		if (memchr(line + name, '\0', n - name) != NULL)
			return req_bad(err, "NUL byte", lines + 1, line, n);
		if (nl == NULL) {
			/* Incomplete: is it already junk or too long?  Only a
			 * good name and its '=', name bytes alone (at most
			 * REQ_MAX_NAME: they may still get their '='), or the
			 * CR of an empty CRLF line may wait for more (so a
			 * TLS hello or other junk is refused at once). */
			if (!eq && name != n && !(n == 1 && line[0] == '\r'))
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
			*nhits = nh;
			*lines_out = lines;
			return REQ_OK;
		}
		if (++lines > REQ_MAX_ATTRS)
			return req_bad(err, "too many attributes", lines, line,
			    content);
		/* The '=' is neither the newline nor a final CR, so it is
		 * inside content and the value is the rest of it. */
		if (!eq)
			return req_bad(err, "not a name=value line", lines,
			    line, content);
		/* An unknown name is no known attribute: a line that starts
		 * with one's name and '=' was found by req_known(). */
		if (a >= 0) {
			if ((seen & ((uint32_t)1 << a)) != 0)
				return req_bad(err, "duplicate attribute",
				    lines, line, content);
			seen |= (uint32_t)1 << a;
			vlen = content - name - 1;
			/* Each known attribute once (above): at most
			 * REQ_NATTRS hits. */
			hits[nh].a = a;
			hits[nh].off = off + name + 1;
			hits[nh].len = vlen;
			nh++;
			if (a == REQ_A_REQUEST) {
				if (vlen != sizeof(REQ_TYPE) - 1 ||
				    memcmp(line + name + 1, REQ_TYPE,
				    sizeof(REQ_TYPE) - 1) != 0)
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
		*(const char **)((char *)req + req_attr_off[hits[i].a]) =
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
