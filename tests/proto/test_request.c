/* tests/proto/test_request.c - unit tests of the policy protocol reader
 * (cmd/mxspfd/request.c).
 * Owns: good requests (a full Postfix request, CRLF, unknown and repeated
 * unknown attributes, '=' in values, empty values, every protocol_state),
 * pipelined requests, byte-at-a-time input, names close to the known
 * ones and at the length limit, and every malformed case with its reason,
 * line and offending bytes: no '=', bad names, NUL bytes, over-long lines
 * (noticed before their newline), over-large requests, too many
 * attributes, duplicate known attributes, a missing or wrong request=;
 * and allocation failure.
 * Must not: depend on the daemon.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "request.h"

/* A request as Postfix 3.7 sends it (SMTPD_POLICY_README). */
static const char postfix_req[] =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=198.51.100.30\n"
    "client_name=mx.backup2.test\n"
    "client_port=41234\n"
    "reverse_client_name=mx.backup2.test\n"
    "server_address=198.51.100.20\n"
    "server_port=25\n"
    "helo_name=mx.backup2.test\n"
    "sender=alice@sender.test\n"
    "recipient=bob@receiver.test\n"
    "recipient_count=0\n"
    "queue_id=\n"
    "instance=1a2b.5f3c9a1e.9d2c1.0\n"
    "size=12345\n"
    "etrn_domain=\n"
    "stress=\n"
    "sasl_method=\n"
    "sasl_username=\n"
    "sasl_sender=\n"
    "ccert_subject=\n"
    "ccert_issuer=\n"
    "ccert_fingerprint=\n"
    "ccert_pubkey_fingerprint=\n"
    "encryption_protocol=TLSv1.3\n"
    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
    "encryption_keysize=256\n"
    "policy_context=\n"
    "compatibility_level=3.6\n"
    "mail_version=3.7.11\n"
    "\n";

static int parse_str(const char *s, struct request *req, size_t *used,
    struct req_error *err);
static void expect_bad(const char *p, size_t len, const char *why,
    size_t line, const char *at);

/* parse_str - request_parse on a C string */
static int
parse_str(const char *s, struct request *req, size_t *used,
    struct req_error *err)
{
	return request_parse(s, strlen(s), req, used, err);
}

/* expect_bad - p[0..len) is malformed for why, at line, starting at the
 * bytes at (NULL: not checked) */
static void
expect_bad(const char *p, size_t len, const char *why, size_t line,
    const char *at)
{
	struct request req;
	struct req_error err;
	size_t used = 99;
	int rc;

	rc = request_parse(p, len, &req, &used, &err);
	if (rc != REQ_BAD)
		fail_msg("rc %d for '%.60s', want REQ_BAD (%s)", rc, p, why);
	assert_int_equal(used, 0);
	assert_null(req.mem);
	assert_string_equal(err.why, why);
	assert_int_equal(err.line, line);
	assert_true(err.at >= p && err.at + err.atlen <= p + len);
	assert_true(err.atlen <= REQ_MAX_LINE + 1);
	if (at != NULL)
		assert_memory_equal(err.at, at, strlen(at));
}

/* test_postfix - a full request: the known attributes, nothing else */
static void
test_postfix(void **state)
{
	struct request req;
	struct req_error err;
	size_t used;

	(void)state;
	assert_int_equal(parse_str(postfix_req, &req, &used, &err), REQ_OK);
	assert_int_equal(used, sizeof(postfix_req) - 1);
	assert_int_equal(req.state, REQ_ST_RCPT);
	assert_string_equal(req.request, "smtpd_access_policy");
	assert_string_equal(req.protocol_state, "RCPT");
	assert_string_equal(req.protocol_name, "ESMTP");
	assert_string_equal(req.client_address, "198.51.100.30");
	assert_string_equal(req.client_name, "mx.backup2.test");
	assert_string_equal(req.server_address, "198.51.100.20");
	assert_string_equal(req.server_port, "25");
	assert_string_equal(req.helo_name, "mx.backup2.test");
	assert_string_equal(req.sender, "alice@sender.test");
	assert_string_equal(req.recipient, "bob@receiver.test");
	assert_string_equal(req.queue_id, "");
	assert_string_equal(req.instance, "1a2b.5f3c9a1e.9d2c1.0");
	assert_string_equal(req.sasl_username, "");
	assert_int_equal(req.nattrs, 31);
	request_free(&req);
	assert_null(req.mem);
	request_free(&req);	/* twice is harmless */
}

/* test_variants - CRLF, values with '=', missing attributes, states */
static void
test_variants(void **state)
{
	static const struct {
		const char *ps;
		enum req_state st;
	} states[] = {
		{ "RCPT", REQ_ST_RCPT }, { "DATA", REQ_ST_DATA },
		{ "END-OF-MESSAGE", REQ_ST_EOM }, { "MAIL", REQ_ST_OTHER },
		{ "CONNECT", REQ_ST_OTHER }, { "rcpt", REQ_ST_OTHER },
		{ "", REQ_ST_OTHER },
	};
	struct request req;
	struct req_error err;
	char buf[256];
	size_t used, i;

	(void)state;
	assert_int_equal(parse_str("request=smtpd_access_policy\r\n"
	    "sender=a=b@x.test\r\nrecipient=\r\nfoo=\r\nfoo=again\r\n\r\n",
	    &req, &used, &err), REQ_OK);
	assert_string_equal(req.sender, "a=b@x.test");
	assert_string_equal(req.recipient, "");
	assert_null(req.protocol_state);
	assert_null(req.client_address);
	assert_int_equal(req.state, REQ_ST_OTHER);
	assert_int_equal(req.nattrs, 5);
	request_free(&req);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		(void)snprintf(buf, sizeof(buf), "protocol_state=%s\n"
		    "request=smtpd_access_policy\n\n", states[i].ps);
		assert_int_equal(parse_str(buf, &req, &used, &err), REQ_OK);
		assert_int_equal(req.state, states[i].st);
		request_free(&req);
	}
	assert_string_equal(request_state_name(REQ_ST_RCPT), "RCPT");
	assert_string_equal(request_state_name(REQ_ST_DATA), "DATA");
	assert_string_equal(request_state_name(REQ_ST_EOM),
	    "END-OF-MESSAGE");
	assert_string_equal(request_state_name(REQ_ST_OTHER), "OTHER");
	/* Values may hold any byte but NUL and newline. */
	assert_int_equal(parse_str("request=smtpd_access_policy\n"
	    "sender=\xc3\xa9t\xe9\x01\t \\@x.test\n\n", &req, &used, &err),
	    REQ_OK);
	assert_string_equal(req.sender, "\xc3\xa9t\xe9\x01\t \\@x.test");
	request_free(&req);
}

/* test_pipelined - two requests in one buffer, then a partial one */
static void
test_pipelined(void **state)
{
	static const char two[] =
	    "request=smtpd_access_policy\nrecipient=a@x.test\n\n"
	    "request=smtpd_access_policy\nrecipient=b@x.test\n\n"
	    "request=smtpd_access_policy\nrecipient=c@";
	struct request req;
	struct req_error err;
	size_t used, off = 0;

	(void)state;
	assert_int_equal(request_parse(two, sizeof(two) - 1, &req, &used,
	    &err), REQ_OK);
	assert_string_equal(req.recipient, "a@x.test");
	request_free(&req);
	off += used;
	assert_int_equal(request_parse(two + off, sizeof(two) - 1 - off, &req,
	    &used, &err), REQ_OK);
	assert_string_equal(req.recipient, "b@x.test");
	request_free(&req);
	off += used;
	assert_int_equal(request_parse(two + off, sizeof(two) - 1 - off, &req,
	    &used, &err), REQ_MORE);
	assert_int_equal(used, 0);
	assert_null(req.mem);
	assert_int_equal(request_parse(two, 0, &req, &used, &err), REQ_MORE);
}

/* test_bytewise - every prefix of a request is REQ_MORE */
static void
test_bytewise(void **state)
{
	struct request req;
	struct req_error err;
	size_t used, n, len = sizeof(postfix_req) - 1;

	(void)state;
	for (n = 0; n < len; n++)
		assert_int_equal(request_parse(postfix_req, n, &req, &used,
		    &err), REQ_MORE);
	assert_int_equal(request_parse(postfix_req, len, &req, &used, &err),
	    REQ_OK);
	assert_int_equal(used, len);
	request_free(&req);
}

/* test_malformed - every malformed case, with reason, line and bytes */
static void
test_malformed(void **state)
{
	static const char nul[] = "request=smtpd_access_policy\nsen\0der=x\n";
	static const char nul_partial[] = "request=smtpd_access_policy\na\0";

	(void)state;
	expect_bad("junk\n", 5, "not a name=value line", 1, "junk");
	expect_bad("request=smtpd_access_policy\nGET / HTTP/1.0\n",
	    44, "not a name=value line", 2, "GET / HTTP/1.0");
	expect_bad("=value\n", 7, "not a name=value line", 1, "=value");
	expect_bad("na me=x\n", 8, "not a name=value line", 1, NULL);
	expect_bad("n\x80me=x\n", 7, "not a name=value line", 1, NULL);
	expect_bad(nul, sizeof(nul) - 1, "NUL byte", 2, "sen");
	/* A NUL is noticed before the line ends. */
	expect_bad(nul_partial, sizeof(nul_partial) - 1, "NUL byte", 2, "a");
	expect_bad("\n", 1, "no request= attribute", 1, NULL);
	expect_bad("recipient=a@x.test\n\n", 20, "no request= attribute", 2,
	    "recipient=");
	expect_bad("request=smtpd_access_policy2\n\n", 30,
	    "not a smtpd_access_policy request", 1, "request=");
	expect_bad("request=junk\n", 13, "not a smtpd_access_policy request",
	    1, "request=junk");
	expect_bad("request=smtpd_access_policy\nrecipient=a@x.test\n"
	    "recipient=b@x.test\n\n", 67, "duplicate attribute", 3,
	    "recipient=b@x.test");
	expect_bad("request=smtpd_access_policy\nrequest=smtpd_access_policy\n",
	    56, "duplicate attribute", 2, NULL);
	expect_bad("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11,
	    "NUL byte", 1, NULL);
	expect_bad("\x16\x03\x01\x02\n", 5, "not a name=value line", 1, NULL);
}

/* test_partial_junk - junk is refused before its newline arrives */
static void
test_partial_junk(void **state)
{
	static const char name64[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaa";
	struct request req;
	struct req_error err;
	char buf[128];
	size_t used;

	(void)state;
	expect_bad("GET / HTTP/1.0", 14, "not a name=value line", 1, "GET");
	expect_bad("request=smtpd_access_policy\n=x", 30,
	    "not a name=value line", 2, "=x");
	expect_bad("\x16\x03", 2, "not a name=value line", 1, NULL);
	/* A name of REQ_MAX_NAME bytes may still get its '='. */
	assert_int_equal(sizeof(name64) - 1, REQ_MAX_NAME);
	assert_int_equal(request_parse(name64, REQ_MAX_NAME, &req, &used,
	    &err), REQ_MORE);
	(void)snprintf(buf, sizeof(buf), "%sb", name64);
	expect_bad(buf, REQ_MAX_NAME + 1, "not a name=value line", 1, "aaa");
	(void)snprintf(buf, sizeof(buf), "%s=", name64);
	assert_int_equal(request_parse(buf, REQ_MAX_NAME + 1, &req, &used,
	    &err), REQ_MORE);
	/* The CR of an empty CRLF line, and a value, may wait. */
	assert_int_equal(request_parse("request=smtpd_access_policy\r\n\r",
	    30, &req, &used, &err), REQ_MORE);
	assert_int_equal(request_parse("sender=a b\x01", 11, &req, &used,
	    &err), REQ_MORE);
}

/* test_names - how a line's name is told apart: a known attribute's name
 * and '=' by a compare, any other name byte by byte up to its '='; the
 * value is everything after the first '=' */
static void
test_names(void **state)
{
	static const char name64[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaa";
	static const char nul_value[] =
	    "request=smtpd_access_policy\nsender=a\0b\n\n";
	static const char nul_known[] = "request=smtpd_access_policy\nsender\0";
	struct request req;
	struct req_error err;
	char buf[256];
	size_t used;

	(void)state;
	/* Names one byte short of, one byte past, or the length of a
	 * known attribute but not its bytes are unknown attributes. */
	assert_int_equal(parse_str("request=smtpd_access_policy\n"
	    "sende=1\nsenderr=2\nsendex=3\nSender=4\nrecipient_count=5\n"
	    "client_addresx=6\nserver_por=7\nserver_ports=8\nrequests=9\n"
	    "helo-name=10\nsasl_username.=11\nqueue_id=q\n\n",
	    &req, &used, &err), REQ_OK);
	assert_null(req.sender);
	assert_null(req.recipient);
	assert_null(req.client_address);
	assert_null(req.server_port);
	assert_null(req.helo_name);
	assert_null(req.sasl_username);
	assert_string_equal(req.queue_id, "q");
	assert_int_equal(req.nattrs, 13);
	request_free(&req);
	/* Every known attribute, each ended where its value ends. */
	assert_int_equal(parse_str("sasl_username=u\nserver_port=25\n"
	    "server_address=192.0.2.2\nqueue_id=Q1\ninstance=i.1\n"
	    "recipient=r@x.test\nsender=s@x.test\nhelo_name=h.test\n"
	    "client_name=c.test\nclient_address=192.0.2.1\n"
	    "protocol_name=SMTP\nprotocol_state=DATA\n"
	    "request=smtpd_access_policy\n\n", &req, &used, &err), REQ_OK);
	assert_string_equal(req.sasl_username, "u");
	assert_string_equal(req.server_port, "25");
	assert_string_equal(req.server_address, "192.0.2.2");
	assert_string_equal(req.queue_id, "Q1");
	assert_string_equal(req.instance, "i.1");
	assert_string_equal(req.recipient, "r@x.test");
	assert_string_equal(req.sender, "s@x.test");
	assert_string_equal(req.helo_name, "h.test");
	assert_string_equal(req.client_name, "c.test");
	assert_string_equal(req.client_address, "192.0.2.1");
	assert_string_equal(req.protocol_name, "SMTP");
	assert_string_equal(req.protocol_state, "DATA");
	assert_int_equal(req.state, REQ_ST_DATA);
	assert_int_equal(req.nattrs, 13);
	request_free(&req);
	/* A value may start with, hold and end with '='; a CR only at
	 * the end is dropped, one inside the value is kept. */
	assert_int_equal(parse_str("request=smtpd_access_policy\n"
	    "sender==a=\nrecipient=b\rc\r\nclient_name=\r\r\n"
	    "helo_name=\r\n\n", &req, &used, &err), REQ_OK);
	assert_string_equal(req.sender, "=a=");
	assert_string_equal(req.recipient, "b\rc");
	assert_string_equal(req.client_name, "\r");
	assert_string_equal(req.helo_name, "");
	request_free(&req);
	/* request= holds exactly smtpd_access_policy, even with a CR. */
	assert_int_equal(parse_str("request=smtpd_access_policy\r\n\r\n",
	    &req, &used, &err), REQ_OK);
	request_free(&req);
	expect_bad("request=smtpd_access_polic\n\n", 28,
	    "not a smtpd_access_policy request", 1, NULL);
	expect_bad("request=smtpd_access_policy=\n\n", 30,
	    "not a smtpd_access_policy request", 1, NULL);
	expect_bad("request=smtpd_access_policy\r\r\n\n", 31,
	    "not a smtpd_access_policy request", 1, NULL);
	/* A known name must be followed by '=' at once. */
	expect_bad("request=smtpd_access_policy\nsender\n\n", 36,
	    "not a name=value line", 2, "sender");
	expect_bad("request=smtpd_access_policy\nsender =x\n\n", 39,
	    "not a name=value line", 2, "sender =x");
	expect_bad("request=smtpd_access_policy\nsender\r\n\n", 37,
	    "not a name=value line", 2, NULL);
	expect_bad("=request=smtpd_access_policy\n\n", 30,
	    "not a name=value line", 1, "=request");
	expect_bad("\r=x\n", 4, "not a name=value line", 1, NULL);
	expect_bad("request=smtpd_access_policy\nsender=x\nsender=y\n\n",
	    47, "duplicate attribute", 3, "sender=y");
	/* A NUL in a value, in a known name, right after '=': the line
	 * ends at the NUL, wherever it is. */
	expect_bad(nul_value, sizeof(nul_value) - 1, "NUL byte", 2,
	    "sender=a");
	expect_bad(nul_known, sizeof(nul_known) - 1, "NUL byte", 2, "sender");
	expect_bad("request=smtpd_access_policy\nsender=\0", 36, "NUL byte",
	    2, "sender=");
	/* A known name and '=' still waiting for the value's newline. */
	assert_int_equal(request_parse("request=smtpd_access_policy\n"
	    "recipient=", 38, &req, &used, &err), REQ_MORE);
	assert_int_equal(request_parse("request=smtpd_access_policy\n"
	    "recipi", 34, &req, &used, &err), REQ_MORE);
	/* A name of exactly REQ_MAX_NAME bytes is fine, one more is not. */
	assert_int_equal(sizeof(name64) - 1, REQ_MAX_NAME);
	(void)snprintf(buf, sizeof(buf),
	    "request=smtpd_access_policy\n%s=v\n\n", name64);
	assert_int_equal(parse_str(buf, &req, &used, &err), REQ_OK);
	assert_int_equal(req.nattrs, 2);
	request_free(&req);
	(void)snprintf(buf, sizeof(buf),
	    "request=smtpd_access_policy\n%sa=v\n\n", name64);
	expect_bad(buf, strlen(buf), "not a name=value line", 2, "aaa");
	/* ... also when the line is still incomplete. */
	(void)snprintf(buf, sizeof(buf), "request=smtpd_access_policy\n%s=",
	    name64);
	assert_int_equal(parse_str(buf, &req, &used, &err), REQ_MORE);
	(void)snprintf(buf, sizeof(buf), "request=smtpd_access_policy\n%sa=",
	    name64);
	expect_bad(buf, strlen(buf), "not a name=value line", 2, "aaa");
	/* Names of 1..4 bytes and names ending at each of four bytes. */
	assert_int_equal(parse_str("request=smtpd_access_policy\n"
	    "a=1\nab=2\nabc=3\nabcd=4\nabcde=5\nA-Z.0_9=6\n\n",
	    &req, &used, &err), REQ_OK);
	assert_int_equal(req.nattrs, 7);
	request_free(&req);
	expect_bad("request=smtpd_access_policy\nabc!=1\n\n", 36,
	    "not a name=value line", 2, "abc!");
	expect_bad("request=smtpd_access_policy\nabcd!=1\n\n", 37,
	    "not a name=value line", 2, "abcd!");
	expect_bad("request=smtpd_access_policy\nabcde\x80=1\n\n", 38,
	    "not a name=value line", 2, "abcde");
}

/* test_limits - line, size and count limits, exactly at the edges */
static void
test_limits(void **state)
{
	struct request req;
	struct req_error err;
	size_t used, n, i, lines;
	char *buf;

	(void)state;
	buf = malloc(4 * REQ_MAX_SIZE);
	assert_non_null(buf);
	/* A line of exactly REQ_MAX_LINE bytes is fine, with CRLF too. */
	n = (size_t)snprintf(buf, 64, "request=smtpd_access_policy\nx=");
	memset(buf + n, 'a', REQ_MAX_LINE - 2);
	n += REQ_MAX_LINE - 2;
	memcpy(buf + n, "\r\n\n", 3);
	assert_int_equal(request_parse(buf, n + 3, &req, &used, &err),
	    REQ_OK);
	assert_int_equal(used, n + 3);
	assert_int_equal(req.nattrs, 2);
	request_free(&req);
	/* Incomplete at REQ_MAX_LINE (+ CR) bytes: still waiting. */
	assert_int_equal(request_parse(buf, n + 1, &req, &used, &err),
	    REQ_MORE);
	/* One more byte: too long, before any newline arrives. */
	buf[n] = 'a';
	expect_bad(buf, n + 1, "line too long", 2, "x=aaa");
	buf[n + 1] = 'a';
	expect_bad(buf, n + 2, "line too long", 2, "x=aaa");
	memcpy(buf + n + 1, "\n\n", 2);
	expect_bad(buf, n + 3, "line too long", 2, "x=aaa");
	/* More than REQ_MAX_ATTRS lines. */
	n = (size_t)snprintf(buf, 64, "request=smtpd_access_policy\n");
	for (i = 1; i < REQ_MAX_ATTRS; i++)
		n += (size_t)snprintf(buf + n, 32, "a%zu=b\n", i);
	memcpy(buf + n, "\n", 1);
	assert_int_equal(request_parse(buf, n + 1, &req, &used, &err),
	    REQ_OK);
	assert_int_equal(req.nattrs, REQ_MAX_ATTRS);
	request_free(&req);
	memcpy(buf + n, "z=1\n\n", 5);
	expect_bad(buf, n + 5, "too many attributes", REQ_MAX_ATTRS + 1,
	    "z=1");
	/* More than REQ_MAX_SIZE bytes, in long lines. */
	n = (size_t)snprintf(buf, 64, "request=smtpd_access_policy\n");
	for (lines = 1; n + 1001 <= REQ_MAX_SIZE - 1; lines++) {
		n += (size_t)snprintf(buf + n, 16, "a%03zu=", lines);
		memset(buf + n, 'v', 995);
		n += 995;
		buf[n++] = '\n';
	}
	/* A last line up to exactly REQ_MAX_SIZE - 1, then the empty line:
	 * the request fits. */
	i = REQ_MAX_SIZE - 1 - n;
	assert_true(i > 3);
	memcpy(buf + n, "p=", 2);
	memset(buf + n + 2, 'v', i - 3);
	buf[n + i - 1] = '\n';
	n += i;
	lines++;
	buf[n] = '\n';
	assert_int_equal(n + 1, REQ_MAX_SIZE);
	assert_int_equal(request_parse(buf, n + 1, &req, &used, &err),
	    REQ_OK);
	assert_int_equal(used, REQ_MAX_SIZE);
	request_free(&req);
	/* One byte more in the last line: too large, as soon as the last
	 * line is complete (there is no room left for the empty line). */
	buf[n - 1] = 'v';
	buf[n] = '\n';
	buf[n + 1] = '\n';
	expect_bad(buf, n + 2, "request too large", lines + 1, "request=");
	expect_bad(buf, n + 1, "request too large", lines + 1, "request=");
	assert_int_equal(request_parse(buf, n, &req, &used, &err), REQ_MORE);
	/* Without newlines at all, the line limit comes first. */
	memset(buf, 'a', REQ_MAX_SIZE + 1);
	buf[1] = '=';
	expect_bad(buf, REQ_MAX_SIZE + 1, "line too long", 1, "a=aa");
	free(buf);
}

/* test_alloc - a failed copy is REQ_NOMEM and leaks nothing */
static void
test_alloc(void **state)
{
	struct request req;
	struct req_error err;
	size_t used;

	(void)state;
	mxspf__alloc_fail_after(0);
	assert_int_equal(parse_str(postfix_req, &req, &used, &err),
	    REQ_NOMEM);
	mxspf__alloc_fail_after((size_t)-1);
	assert_null(req.mem);
	assert_int_equal(used, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_partial_junk),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_alloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
