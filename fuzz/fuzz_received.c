/* fuzz/fuzz_received.c - libFuzzer target for the Received-header parser,
 * the recorded-SPF readers (lib/received.c) and the walk (lib/walk.c).
 *
 * Input: byte 0 bit 0 clear: the rest is one header value, given to
 * mxspf_received_parse(), to mxspf_recorded_spf_parse() as Received-SPF
 * and as Authentication-Results (with and without a client and an
 * authserv-id) and to mxspf_auth_results_authserv_id().  Bit 0 set: a
 * message for a walk: byte 1 picks the trust mode (bits 0-1), max_hops
 * (bits 2-4) and whether this server is the primary or backup1 (bit 5) of
 * receiver.test (MX 10 mail.receiver.test 192.0.2.20, 20 mx.backup1.test
 * 192.0.2.21, 30 mx.backup2.test 192.0.2.22, held in a zone built once);
 * the rest is split at NUL bytes into at most FZ_MAX_HEADERS headers whose
 * first byte picks the name (Received, Received-SPF,
 * Authentication-Results, Subject).
 *
 * Owns: the checks.  Parser: the code is 0 or MXSPF_ESYNTAX; on success
 * the client address is IPv4 or IPv6, "by" is set and every string is
 * printable ASCII of at most 512 bytes; on failure the reason is one
 * printable line and the struct is zeroed; the value folded with CRLF
 * instead of LF parses the same.  Readers: codes are 0, MXSPF_ENOENT or
 * MXSPF_ESYNTAX, results in range; a header accepted for one client or
 * authserv-id is accepted with the same result for any; the authserv-id
 * reader's id is printable, at most 255 bytes, and matches its own header.
 * Walk: it runs to its end; the outcome is in range; the why line is one
 * printable line; hops never pass max_hops; queries stay within 7 per
 * lookup; a border is a Received header, and what it recorded lies above
 * it (never below the border).  Any violation aborts.
 * Must not: keep state between runs other than the constant zone.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/received.h"

#define FZ_MAX_HEADERS 16	/* headers of a walk input */
#define FZ_MAX_VALUE 8192	/* longest value that is valid */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_fail(const char *what);
static void fz_printable(const char *s, size_t max, bool empty_ok,
    const char *what);
static void fz_parse(const char *p, size_t len);
static void fz_same(const struct mxspf_received *a,
    const struct mxspf_received *b);
static void fz_recorded(const char *p, size_t len);
static void fz_zone_name(uint8_t *rd, size_t *n, const char *name);
static struct mxspf_zone *fz_zone(void);
static void fz_walk(const uint8_t *data, size_t size);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_received: %s\n", what);
	abort();
}

/* fz_printable - s is printable ASCII, at most max bytes */
static void
fz_printable(const char *s, size_t max, bool empty_ok, const char *what)
{
	size_t i;

	if (s == NULL)
		return;
	if (!empty_ok && s[0] == '\0')
		fz_fail(what);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    i == max)
			fz_fail(what);
}

/* fz_same - two parses of one header agree */
static void
fz_same(const struct mxspf_received *a, const struct mxspf_received *b)
{
	const char *const x[] = { a->from_helo, a->from_rdns, a->by, a->with,
	    a->id, a->for_addr };
	const char *const y[] = { b->from_helo, b->from_rdns, b->by, b->with,
	    b->id, b->for_addr };
	size_t i;

	if (a->mta != b->mta || a->from_ip.family != b->from_ip.family ||
	    memcmp(a->from_ip.b, b->from_ip.b, 16) != 0)
		fz_fail("CRLF folds read differently (address, MTA)");
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		if ((x[i] == NULL) != (y[i] == NULL) ||
		    (x[i] != NULL && strcmp(x[i], y[i]) != 0))
			fz_fail("CRLF folds read differently (strings)");
	}
}

/* fz_parse - mxspf_received_parse() and its invariants */
static void
fz_parse(const char *p, size_t len)
{
	static const struct mxspf_received zero;
	struct mxspf_received r, r2;
	char err[256], *crlf;
	size_t i, n = 0;
	int rc, rc2;

	rc = mxspf_received_parse(p, len, &r, err, sizeof(err));
	if (rc != 0 && rc != MXSPF_ESYNTAX)
		fz_fail("unexpected return code");
	if (rc != 0) {
		if (memcmp(&r, &zero, sizeof(r)) != 0)
			fz_fail("failure left fields set");
		fz_printable(err, sizeof(err), false, "bad error text");
		return;
	}
	if (len > FZ_MAX_VALUE)
		fz_fail("accepted more than 8 KB");
	if (!r.has_ip || (r.from_ip.family != 4 && r.from_ip.family != 6))
		fz_fail("accepted without a client address");
	if (r.by == NULL)
		fz_fail("accepted without 'by'");
	if ((unsigned)r.mta > MXSPF_MTA_QMAIL)
		fz_fail("mta out of range");
	fz_printable(r.from_helo, 512, false, "bad helo");
	fz_printable(r.from_rdns, 512, false, "bad rdns");
	fz_printable(r.by, 512, false, "bad by");
	fz_printable(r.with, 512, false, "bad with");
	fz_printable(r.id, 512, false, "bad id");
	fz_printable(r.for_addr, 512, false, "bad for");
	/* The same header folded with CRLF reads the same. */
	if (memchr(p, '\r', len) == NULL && 2 * len <= FZ_MAX_VALUE) {
		if ((crlf = malloc(2 * len + 1)) == NULL)
			fz_fail("out of memory");
		for (i = 0; i < len; i++) {
			if (p[i] == '\n')
				crlf[n++] = '\r';
			crlf[n++] = p[i];
		}
		rc2 = mxspf_received_parse(crlf, n, &r2, err, sizeof(err));
		if (rc2 != 0)
			fz_fail("CRLF folds refused");
		fz_same(&r, &r2);
		mxspf_received_clear(&r2);
		free(crlf);
	}
	mxspf_received_clear(&r);
}

/* fz_recorded - the recorded-SPF readers and their invariants */
static void
fz_recorded(const char *p, size_t len)
{
	static const char *const names[] = { "Received-SPF",
	    "Authentication-Results" };
	struct mxspf_addr cl;
	enum mxspf_result any, one;
	char id[256];
	size_t i;
	int rc_any, rc_one, rc;

	(void)mxspf_addr_parse("198.51.100.10", &cl);
	for (i = 0; i < 2; i++) {
		rc_any = mxspf_recorded_spf_parse(names[i], p, len, NULL,
		    NULL, &any);
		rc_one = mxspf_recorded_spf_parse(names[i], p, len, &cl,
		    "mx.backup1.test", &one);
		if ((rc_any != 0 && rc_any != MXSPF_ENOENT &&
		    rc_any != MXSPF_ESYNTAX) || (rc_one != 0 &&
		    rc_one != MXSPF_ENOENT && rc_one != MXSPF_ESYNTAX))
			fz_fail("recorded: unexpected return code");
		if (rc_any == 0 && (unsigned)any > MXSPF_PERMERROR)
			fz_fail("recorded: result out of range");
		if (rc_one == 0 && (rc_any != 0 || any != one))
			fz_fail("recorded: a narrower match accepted more");
		if (rc_any == MXSPF_ESYNTAX && rc_one == 0)
			fz_fail("recorded: junk accepted for a client");
	}
	rc = mxspf_auth_results_authserv_id(p, len, id, sizeof(id));
	if (rc != 0 && rc != MXSPF_ENOENT && rc != MXSPF_ESYNTAX)
		fz_fail("authserv-id: unexpected return code");
	if (rc == 0) {
		fz_printable(id, 255, false, "authserv-id: bad id");
		rc_any = mxspf_recorded_spf_parse(names[1], p, len, NULL,
		    NULL, &any);
		rc_one = mxspf_recorded_spf_parse(names[1], p, len, NULL, id,
		    &one);
		if (rc_any != rc_one || (rc_any == 0 && any != one))
			fz_fail("authserv-id: its own id does not match");
	}
}

/* fz_zone_name - append name in DNS wire format to rd */
static void
fz_zone_name(uint8_t *rd, size_t *n, const char *name)
{
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

		rd[(*n)++] = (uint8_t)l;
		memcpy(rd + *n, p, l);
		*n += l;
		p += l + (dot != NULL);
	}
	rd[(*n)++] = 0;
}

/* fz_zone - receiver.test and its three MX hosts (built once) */
static struct mxspf_zone *
fz_zone(void)
{
	static struct mxspf_zone *z;
	static const char *const hosts[] = { "mail.receiver.test",
	    "mx.backup1.test", "mx.backup2.test" };
	size_t i;

	if (z != NULL)
		return z;
	if (mxspf_zone_new(&z) != 0)
		fz_fail("zone");
	for (i = 0; i < 3; i++) {
		uint8_t rd[300], a4[4] = { 192, 0, 2, 0 }, a6[16] = { 0x20, 1,
		    0x0d, 0xb8 };
		size_t n = 2;

		rd[0] = 0;
		rd[1] = (uint8_t)(10 * (i + 1));
		fz_zone_name(rd, &n, hosts[i]);
		a4[3] = (uint8_t)(20 + i);
		a6[15] = (uint8_t)(0x20 + i);
		if (mxspf_zone_add(z, "receiver.test", 15, rd, n) != 0 ||
		    mxspf_zone_add(z, hosts[i], 1, a4, 4) != 0 ||
		    mxspf_zone_add(z, hosts[i], 28, a6, 16) != 0)
			fz_fail("zone");
	}
	return z;
}

/* fz_walk - a walk over a fuzzed message and its invariants */
static void
fz_walk(const uint8_t *data, size_t size)
{
	static const char *const hnames[] = { "Received", "Received-SPF",
	    "Authentication-Results", "Subject" };
	struct mxspf_header h[FZ_MAX_HEADERS];
	struct mxspf_trust_config cfg;
	struct mxspf_walk_request req;
	struct mxspf_addr own, server;
	const struct mxspf_walk_result *r;
	const char *names[1];
	struct mxspf_walk *w;
	size_t n = 0, i = 1, max;
	uint8_t conf;
	int rc;

	if (size < 2)
		return;
	conf = data[1];
	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	cfg.mode = (enum mxspf_trust_mode)((conf & 3) % 3);
	names[0] = (conf & 0x20) ? "mx.backup1.test" : "mail.receiver.test";
	(void)mxspf_addr_parse((conf & 0x20) ? "192.0.2.21" : "192.0.2.20",
	    &own);
	server = own;
	cfg.own_addrs = &own;
	cfg.n_own_addrs = 1;
	cfg.own_names = names;
	cfg.n_own_names = 1;
	req.domain = "receiver.test";
	(void)mxspf_addr_parse((conf & 0x20) ? "192.0.2.22" : "192.0.2.21",
	    &req.client);
	req.server_addr = &server;
	req.max_hops = (conf >> 2) & 7;
	max = req.max_hops == 0 ? 10 : req.max_hops;
	for (i = 2; i < size && n < FZ_MAX_HEADERS;) {
		const uint8_t *end = memchr(data + i, 0, size - i);
		size_t stop = end != NULL ? (size_t)(end - data) : size;

		h[n].name = hnames[data[i] & 3];
		h[n].value = (const char *)data + i + 1;
		h[n].len = stop > i ? stop - i - 1 : 0;
		if (stop == i)
			h[n].value = "";
		n++;
		i = stop + 1;
	}
	req.headers = h;
	req.nheaders = n;
	if ((rc = mxspf_walk_new(&w, &cfg, &req)) != 0)
		fz_fail("walk_new failed");
	if ((rc = mxspf_walk_run(w, mxspf_zone_resolve_walk, fz_zone())) != 0)
		fz_fail("walk_run failed");
	r = mxspf_walk_result(w);
	fz_printable(r->why, 1024, false, "walk: bad why");
	if ((unsigned)r->outcome > MXSPF_WALK_DNSERR)
		fz_fail("walk: outcome out of range");
	if (r->hops > max || (r->outcome == MXSPF_WALK_TOO_DEEP &&
	    r->hops != max))
		fz_fail("walk: hops past max_hops");
	if (r->queries > 7 * (max + 1))
		fz_fail("walk: too many queries");
	if (r->outcome == MXSPF_WALK_BORDER) {
		if (r->border_mx == NULL || r->border_index >= n ||
		    strcmp(h[r->border_index].name, "Received") != 0)
			fz_fail("walk: border is not a Received header");
		if (r->recorded.found && (r->recorded.index >=
		    r->border_index || r->recorded.header == NULL))
			fz_fail("walk: recorded result at or below the "
			    "border");
		fz_printable(r->border_helo, 512, false, "walk: bad helo");
		fz_printable(r->border_mx, 512, false, "walk: bad mx");
	} else if (r->recorded.found) {
		fz_fail("walk: recorded result without a border");
	}
	mxspf_walk_free(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		fz_walk(data, size);
		return 0;
	}
	fz_parse((const char *)data + 1, size - 1);
	fz_recorded((const char *)data + 1, size - 1);
	return 0;
}
