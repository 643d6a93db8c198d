/* tests/unit/test_walk.c - unit tests of lib/walk.c: the walk back along
 * the Received chain to the border client (issue 4).
 * Owns: messages built on the topology of tests/unit/walk-zone.yml
 * (receiver.test MX 10 mail.receiver.test 192.0.2.20, 20 mx.backup1.test
 * 192.0.2.21, 30 mx.backup2.test 192.0.2.22): one and two trusted hops,
 * the preference rule (the primary relaying to a backup is the border),
 * forged hops and forged results below the border, IPv6 hops, missing
 * and unparseable hops, what the border recorded (Received-SPF, A-R,
 * nothing, HELO-only, someone else's), this server's own header at the
 * top, DNS failures, the hop limit, the per-walk cache, the machine
 * interface (tagged ids, any answer order, stale ids, abort),
 * allocation failures, and a message as the e2e test's real Postfix
 * instances delivered it.  Must not: need the network.
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

#include "mxspf/received.h"
#include "internal.h"

#define MAX_HDRS 32		/* headers of one test message */
#define MAX_Q 64		/* queries of one batch */
#define TEST(f) cmocka_unit_test_teardown(f, reset_alloc)

#define DATE "Mon, 15 Jan 2024 10:00:00 +0000 (UTC)"
/* This server (the primary) received from backup1. */
#define OWN_B1 "Received: from mx.backup1.test (mx.backup1.test " \
	"[192.0.2.21])\r\n\tby mail.receiver.test (Postfix) with ESMTPS id " \
	"4Own1\r\n\tfor <bob@receiver.test>; " DATE
/* backup1 received from the original client. */
#define B1_SENDER "Received: from mail.sender.test (mail.sender.test " \
	"[198.51.100.10])\r\n\tby mx.backup1.test (Postfix) with ESMTP id " \
	"4B1a\r\n\tfor <bob@receiver.test>; " DATE
/* backup1 received from backup2. */
#define B1_B2 "Received: from mx.backup2.test (mx.backup2.test " \
	"[192.0.2.22])\r\n\tby mx.backup1.test (Postfix) with ESMTPS id " \
	"4B1b; " DATE
/* backup2 received from the original client. */
#define B2_SENDER "Received: from mail.sender.test (mail.sender.test " \
	"[198.51.100.10])\r\n\tby mx.backup2.test (Postfix) with ESMTP id " \
	"4B2a; " DATE
/* The sender's own submission hop (below the border: never read). */
#define SENDER_SUB "Received: from [10.0.0.5] (laptop.sender.test " \
	"[10.0.0.5])\r\n\tby mail.sender.test (Postfix) with ESMTPSA id 4Sa; " \
	DATE
#define RSPF_PASS "Received-SPF: pass (mx.backup1.test: domain of " \
	"alice@sender.test designates 198.51.100.10 as permitted sender) " \
	"client-ip=198.51.100.10; envelope-from=alice@sender.test; " \
	"helo=mail.sender.test; receiver=mx.backup1.test; identity=mailfrom"
#define MSG_TAIL "From: alice@sender.test", "To: bob@receiver.test", \
	"Subject: hello", "Message-ID: <1@sender.test>"

/* The walk's configuration: who this server is. */
struct wfix {
	struct mxspf_zone *zone;
	struct mxspf_trust_config cfg;
	struct mxspf_addr own;
	const char *names[1];
	struct mxspf_addr server;
	struct mxspf_walk_request req;
	struct mxspf_header h[MAX_HDRS];
};

/* A query as a driver keeps it. */
struct qcopy {
	uint32_t id;
	uint16_t type;
	char name[300];
};

static struct mxspf_addr addr(const char *);
static int reset_alloc(void **);
static char *zone_path(void);
static int setup_zone(void **);
static int teardown_zone(void **);
static void fix_primary(struct wfix *, void **);
static void fix_backup1(struct wfix *, void **);
static void set_headers(struct wfix *, const char *const *);
static struct mxspf_walk *walk_zone(struct wfix *, const char *const *);
static void check_result(const struct mxspf_walk_result *);
static void expect_border(const struct mxspf_walk_result *, const char *,
    const char *, const char *, size_t);
static void expect_recorded(const struct mxspf_walk_result *, bool,
    enum mxspf_result, const char *, size_t);
static void silent_resolve(void *, struct mxspf_walk *,
    const struct mxspf_query *);
static size_t take_all(const struct mxspf_machine_ops *, void *,
    struct qcopy *);

/* ---- helpers ------------------------------------------------------------ */

/* addr - parse a test address */
static struct mxspf_addr
addr(const char *text)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(text, &a), 0);
	return a;
}

/* reset_alloc - teardown: allocation failures off */
static int
reset_alloc(void **state)
{
	(void)state;
	mxspf__alloc_fail_after((size_t)-1);
	return 0;
}

/* zone_path - tests/unit/walk-zone.yml in the source tree (malloc'd) */
static char *
zone_path(void)
{
	const char *src = getenv("MXSPF_SRCDIR");
	const char *rel = "/tests/unit/walk-zone.yml";
	char *path;
	size_t len;

	if (src == NULL)
		src = "..";	/* ctest runs us in tests/ */
	len = strlen(src) + strlen(rel) + 1;
	path = malloc(len);
	assert_non_null(path);
	snprintf(path, len, "%s%s", src, rel);
	return path;
}

/* setup_zone - load the zone into *state */
static int
setup_zone(void **state)
{
	struct mxspf_zone *z;
	char err[256] = "", *path = zone_path();
	int rc;

	if (mxspf_zone_new(&z) != 0)
		return -1;
	rc = mxspf_zone_load_file(z, path, 0, err, sizeof(err));
	free(path);
	if (rc != 0) {
		fprintf(stderr, "walk-zone.yml: %s\n", err);
		mxspf_zone_free(z);
		return -1;
	}
	*state = z;
	return 0;
}

/* teardown_zone - free the zone */
static int
teardown_zone(void **state)
{
	mxspf_zone_free(*state);
	return 0;
}

/* fix_primary - this server is mail.receiver.test (192.0.2.20); the
 * connected client is backup1, relaying for receiver.test */
static void
fix_primary(struct wfix *f, void **state)
{
	memset(f, 0, sizeof(*f));
	f->zone = *state;
	f->own = addr("192.0.2.20");
	f->server = f->own;
	f->names[0] = "mail.receiver.test";
	f->cfg.mode = MXSPF_TRUST_PREFERENCE;
	f->cfg.own_addrs = &f->own;
	f->cfg.n_own_addrs = 1;
	f->cfg.own_names = f->names;
	f->cfg.n_own_names = 1;
	f->req.domain = "receiver.test";
	f->req.client = addr("192.0.2.21");
	f->req.client_helo = "mx.backup1.test";
	f->req.server_addr = &f->server;
}

/* fix_backup1 - this server is mx.backup1.test (192.0.2.21); the
 * connected client is backup2 */
static void
fix_backup1(struct wfix *f, void **state)
{
	fix_primary(f, state);
	f->own = addr("192.0.2.21");
	f->server = f->own;
	f->names[0] = "mx.backup1.test";
	f->req.client = addr("192.0.2.22");
	f->req.client_helo = "mx.backup2.test";
}

/* set_headers - "Name: value" lines (NULL-terminated) into f->req */
static void
set_headers(struct wfix *f, const char *const *lines)
{
	size_t n;

	for (n = 0; lines[n] != NULL; n++) {
		const char *colon = strchr(lines[n], ':');
		static char names[MAX_HDRS][64];
		size_t nl;

		assert_true(n < MAX_HDRS);
		assert_non_null(colon);
		nl = (size_t)(colon - lines[n]);
		assert_true(nl < sizeof(names[n]));
		memcpy(names[n], lines[n], nl);
		names[n][nl] = '\0';
		f->h[n].name = names[n];
		f->h[n].value = colon + 1 + (colon[1] == ' ');
		f->h[n].len = strlen(f->h[n].value);
	}
	f->req.headers = f->h;
	f->req.nheaders = n;
}

/* walk_zone - run a walk over lines against the zone */
static struct mxspf_walk *
walk_zone(struct wfix *f, const char *const *lines)
{
	struct mxspf_walk *w;

	set_headers(f, lines);
	assert_int_equal(mxspf_walk_new(&w, &f->cfg, &f->req), 0);
	assert_int_equal(mxspf_walk_run(w, mxspf_zone_resolve_walk, f->zone),
	    0);
	check_result(mxspf_walk_result(w));
	return w;
}

/* check_result - what holds for every result */
static void
check_result(const struct mxspf_walk_result *r)
{
	size_t i;

	assert_non_null(r->why);
	assert_true(r->why[0] != '\0');
	for (i = 0; r->why[i] != '\0'; i++)
		assert_true((unsigned char)r->why[i] >= 0x20 &&
		    (unsigned char)r->why[i] < 0x7f);
	if (r->outcome == MXSPF_WALK_BORDER) {
		assert_non_null(r->border_mx);
		assert_true(r->border_ip.family == 4 ||
		    r->border_ip.family == 6);
	}
	if (!r->recorded.found)
		assert_null(r->recorded.header);
}

/* expect_border - a BORDER result with these facts */
static void
expect_border(const struct mxspf_walk_result *r, const char *ip,
    const char *helo, const char *mx, size_t hops)
{
	struct mxspf_addr a = addr(ip);

	if (r->outcome != MXSPF_WALK_BORDER)
		fail_msg("outcome %d: %s", r->outcome, r->why);
	assert_int_equal(r->border_ip.family, a.family);
	assert_memory_equal(r->border_ip.b, a.b, 16);
	if (helo == NULL)
		assert_null(r->border_helo);
	else
		assert_string_equal(r->border_helo, helo);
	assert_string_equal(r->border_mx, mx);
	assert_int_equal(r->hops, hops);
}

/* expect_recorded - what the border recorded */
static void
expect_recorded(const struct mxspf_walk_result *r, bool found,
    enum mxspf_result res, const char *header, size_t index)
{
	if (r->recorded.found != found)
		fail_msg("recorded.found %d: %s", r->recorded.found, r->why);
	if (!found)
		return;
	assert_int_equal(r->recorded.result, res);
	assert_string_equal(r->recorded.header, header);
	assert_int_equal(r->recorded.index, index);
}

/* silent_resolve - a resolver that never answers */
static void
silent_resolve(void *arg, struct mxspf_walk *w, const struct mxspf_query *q)
{
	(void)arg;
	(void)w;
	(void)q;
}

/* take_all - hand out every pending query of a machine into qs */
static size_t
take_all(const struct mxspf_machine_ops *ops, void *obj, struct qcopy *qs)
{
	const struct mxspf_query *q;
	size_t n = 0;

	while ((q = ops->next_query(obj)) != NULL) {
		assert_true(n < MAX_Q);
		qs[n].id = q->id;
		qs[n].type = q->type;
		assert_true(strlen(q->name) < sizeof(qs[n].name));
		memcpy(qs[n].name, q->name, strlen(q->name) + 1);
		n++;
	}
	return n;
}

/* ---- the chain ---------------------------------------------------------- */

/* test_one_hop - backup1 -> primary; the border is the original client,
 * and backup1 recorded pass */
static void
test_one_hop(void **state)
{
	static const char *const msg[] = { OWN_B1, RSPF_PASS, B1_SENDER,
	    SENDER_SUB, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "198.51.100.10", "mail.sender.test",
	    "mx.backup1.test", 1);
	assert_string_equal(r->border_rdns, "mail.sender.test");
	assert_int_equal(r->border_index, 2);
	expect_recorded(r, true, MXSPF_PASS, "Received-SPF", 1);
	assert_int_equal(r->queries, 7);	/* MX, 3 x (A, AAAA) */
	assert_string_equal(r->why, "border client 198.51.100.10 (helo "
	    "mail.sender.test) accepted by mx.backup1.test after 1 trusted "
	    "relay; it recorded SPF pass (Received-SPF); client is not an MX "
	    "host of receiver.test");
	mxspf_walk_free(w);
}

/* test_two_hops - backup2 -> backup1 -> primary; backup2 recorded nothing
 * (it did not check SPF) */
static void
test_two_hops(void **state)
{
	static const char *const msg[] = { OWN_B1, B1_B2, B2_SENDER,
	    SENDER_SUB, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "198.51.100.10", "mail.sender.test",
	    "mx.backup2.test", 2);
	assert_int_equal(r->border_index, 2);
	expect_recorded(r, false, MXSPF_NONE, NULL, 0);
	assert_int_equal(r->queries, 14);	/* two lookups */
	assert_non_null(strstr(r->why, "after 2 trusted relays; it recorded "
	    "no SPF result"));
	mxspf_walk_free(w);
}

/* test_e2e_message - the message the e2e test's real Postfix instances
 * delivered (backup2 -> backup1 -> primary, mxspfd on each), verbatim */
static void
test_e2e_message(void **state)
{
	static const char *const msg[] = {
	    "Return-Path: <alice@sender.test>",
	    "X-Original-To: bob@receiver.test",
	    "Delivered-To: bob@receiver.test",
	    "X-Mxspf-Relay: mx (mail.receiver.test: 192.0.2.21 is a trusted "
	    "relay for receiver.test) client-ip=192.0.2.21; "
	    "envelope-from=\"alice@sender.test\"; helo=mx.backup1.test; "
	    "receiver=mail.receiver.test; relay-host=mx.backup1.test; "
	    "preference=20; domain=receiver.test",
	    "Received: from mx.backup1.test (mx.backup1.test [192.0.2.21])\n"
	    "\tby mail.receiver.test (Postfix) with ESMTP id 7B964A7884E\n"
	    "\tfor <bob@receiver.test>; Sat, 28 Nov 2026 03:30:27 +0000 (UTC)",
	    "X-Mxspf-Relay: mx (mx.backup1.test: 192.0.2.22 is a trusted "
	    "relay for receiver.test) client-ip=192.0.2.22; "
	    "envelope-from=\"alice@sender.test\"; helo=mx.backup2.test; "
	    "receiver=mx.backup1.test; relay-host=mx.backup2.test; "
	    "preference=30; domain=receiver.test",
	    "Received: from mx.backup2.test (mx.backup2.test [192.0.2.22])\n"
	    "\tby mx.backup1.test (Postfix) with ESMTP id 19737A78621\n"
	    "\tfor <bob@receiver.test>; Sat, 28 Nov 2026 03:30:27 +0000 (UTC)",
	    "Received-SPF: pass (mx.backup2.test: domain of alice@sender.test "
	    "designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
	    "envelope-from=\"alice@sender.test\"; helo=mail.sender.test; "
	    "identity=mailfrom; receiver=mx.backup2.test; "
	    "mechanism=\"a:mail.sender.test\"",
	    "Received: from mail.sender.test (mail.sender.test [192.0.2.10])\n"
	    "\tby mx.backup2.test (Postfix) with ESMTP id A5D0EA78449\n"
	    "\tfor <bob@receiver.test>; Sat, 28 Nov 2026 03:30:26 +0000 (UTC)",
	    "Date: Sat, 28 Nov 2026 03:30:26 +0000",
	    "To: bob@receiver.test",
	    "From: alice@sender.test",
	    "Subject: mxspf e2e step 1 mxe2e12565-1795836624",
	    NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "192.0.2.10", "mail.sender.test", "mx.backup2.test",
	    2);
	assert_int_equal(r->border_index, 8);
	expect_recorded(r, true, MXSPF_PASS, "Received-SPF", 7);
	mxspf_walk_free(w);
}

/* test_preference - at backup1, mail relayed by the primary (more
 * preferred than this server) is not trusted: the primary is the border */
static void
test_preference(void **state)
{
	static const char *const msg[] = {
		"Received: from mx.backup2.test (mx.backup2.test "
		    "[192.0.2.22]) by mx.backup1.test (Postfix) with ESMTP id "
		    "4X1; " DATE,
		"Received: from mail.receiver.test (mail.receiver.test "
		    "[192.0.2.20]) by mx.backup2.test (Postfix) with ESMTP "
		    "id 4X2; " DATE,
		B1_SENDER, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_backup1(&f, state);
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "192.0.2.20", "mail.receiver.test",
	    "mx.backup2.test", 1);
	assert_non_null(strstr(r->why, "more preferred than this server"));
	mxspf_walk_free(w);

	/* In mode "any" the primary is trusted too; the walk goes on to
	 * the original client below it. */
	fix_backup1(&f, state);
	f.cfg.mode = MXSPF_TRUST_ANY;
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "198.51.100.10", "mail.sender.test",
	    "mx.backup1.test", 2);
	mxspf_walk_free(w);
}

/* test_forged_below - headers below the border (Received claiming a
 * trusted relay, Received-SPF pass for the border) are never read */
static void
test_forged_below(void **state)
{
	static const char *const msg[] = { OWN_B1, B1_SENDER,
	    "Received-SPF: pass (forged) client-ip=198.51.100.10",
	    "Authentication-Results: mx.backup1.test; spf=pass "
	    "smtp.mailfrom=alice@sender.test",
	    "Received: from mx.backup2.test (mx.backup2.test [192.0.2.22]) "
	    "by mx.backup1.test (Postfix) with ESMTP id FORGED; " DATE,
	    "Received: from mail.receiver.test (mail.receiver.test "
	    "[192.0.2.20]) by mx.backup2.test (Postfix) id FORGED2; " DATE,
	    MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "198.51.100.10", "mail.sender.test",
	    "mx.backup1.test", 1);
	expect_recorded(r, false, MXSPF_NONE, NULL, 0);
	assert_int_equal(r->queries, 7);	/* the border's lookup only */
	mxspf_walk_free(w);
}

/* test_ipv6 - a chain over IPv6, the border hop in Exim's format, and a
 * fail recorded for the IPv6 border */
static void
test_ipv6(void **state)
{
	static const char *const msg[] = {
		"Received: from mx.backup1.test (mx.backup1.test "
		    "[IPv6:2001:db8::21]) by mail.receiver.test (Postfix) "
		    "with ESMTPS id 6Own; " DATE,
		"Received: from mx.backup2.test (mx.backup2.test "
		    "[IPv6:2001:db8::22]) by mx.backup1.test (Postfix) with "
		    "ESMTPS id 6B1; " DATE,
		"Received-SPF: fail (mx.backup2.test: domain of "
		    "alice@sender.test does not designate 2001:db8:feed::10 "
		    "as permitted sender) client-ip=2001:db8:feed::10;",
		"Received: from mail6.sender.test ([2001:db8:feed::10] "
		    "helo=smtp6.sender.test)\r\n\tby mx.backup2.test with "
		    "esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384\r\n\t(Exim "
		    "4.96)\r\n\t(envelope-from <alice@sender.test>)\r\n\tid "
		    "1rPGbX-000AbC-1x\r\n\tfor bob@receiver.test; " DATE,
		MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	f.req.client = addr("2001:db8::21");
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	expect_border(r, "2001:db8:feed::10", "smtp6.sender.test",
	    "mx.backup2.test", 2);
	assert_string_equal(r->border_rdns, "mail6.sender.test");
	expect_recorded(r, true, MXSPF_FAIL, "Received-SPF", 2);
	mxspf_walk_free(w);
}

/* test_missing_hop - the chain ends where a hop should be */
static void
test_missing_hop(void **state)
{
	static const char *const below_b2[] = { OWN_B1, B1_B2, MSG_TAIL,
	    NULL };
	static const char *const only_own[] = { OWN_B1, MSG_TAIL, NULL };
	static const char *const none[] = { MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, below_b2);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_UNPARSEABLE);
	assert_string_equal(r->why, "no Received header below the one of "
	    "trusted relay 192.0.2.22");
	assert_int_equal(r->hops, 2);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, only_own);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_UNPARSEABLE);
	assert_string_equal(r->why, "no Received header written by the "
	    "connected client below this server's own");
	assert_int_equal(r->queries, 0);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, none);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_UNPARSEABLE);
	assert_string_equal(r->why, "the message has no Received header");
	mxspf_walk_free(w);
}

/* test_unparseable_hop - a hop the parser refuses ends the walk, with
 * the parser's reason and who wrote the header */
static void
test_unparseable_hop(void **state)
{
	static const char *const qmail[] = { OWN_B1, B1_B2,
	    "Received: (qmail 999 invoked from network); " DATE, B2_SENDER,
	    MSG_TAIL, NULL };
	static const char *const first[] = { OWN_B1,
	    "Received: from mail.sender.test (mail.sender.test "
	    "[198.51.100.10]) (evil [203.0.113.9]) by mx.backup1.test "
	    "(Postfix); " DATE, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, qmail);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_UNPARSEABLE);
	assert_string_equal(r->why, "Received header 3 from the top (written "
	    "by trusted relay 192.0.2.22): a qmail hop that did not come over "
	    "SMTP has no client address: 'qmail 999 invoked from network'");
	assert_int_equal(r->hops, 2);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, first);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_UNPARSEABLE);
	assert_non_null(strstr(r->why, "Received header 2 from the top "
	    "(written by trusted relay 192.0.2.21): more than one client "
	    "address"));
	assert_int_equal(r->queries, 0);
	mxspf_walk_free(w);
}

/* test_too_long_hop - a Received header over 8 KB is not read */
static void
test_too_long_hop(void **state)
{
	const char *msg[] = { OWN_B1, NULL, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;
	char *big;
	size_t n = 9000;

	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big, "Received: ", 10);
	big[n] = '\0';
	msg[1] = big;
	fix_primary(&f, state);
	w = walk_zone(&f, msg);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_UNPARSEABLE);
	assert_non_null(strstr(r->why, "header longer than 8192 bytes"));
	mxspf_walk_free(w);
	free(big);
}

/* ---- what the border recorded ------------------------------------------- */

/* test_recorded_ar - an Authentication-Results of the border MX (found by
 * its authserv-id), one of this server (ignored), of someone else */
static void
test_recorded_ar(void **state)
{
	static const char *const by_mx[] = { OWN_B1,
	    "Authentication-Results: other.example; spf=pass",
	    "Authentication-Results: mx.backup1.test; spf=fail "
	    "smtp.mailfrom=alice@sender.test",
	    B1_SENDER, MSG_TAIL, NULL };
	static const char *const ours[] = { OWN_B1,
	    "Authentication-Results: mail.receiver.test; spf=pass "
	    "smtp.mailfrom=alice@sender.test",
	    B1_SENDER, MSG_TAIL, NULL };
	static const char *const other[] = { OWN_B1,
	    "Authentication-Results: filter.backup1.test; spf=softfail "
	    "smtp.mailfrom=alice@sender.test",
	    B1_SENDER, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, by_mx);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_FAIL,
	    "Authentication-Results", 2);
	assert_non_null(strstr(mxspf_walk_result(w)->why, "it recorded SPF "
	    "fail (Authentication-Results)"));
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, ours);
	expect_recorded(mxspf_walk_result(w), false, MXSPF_NONE, NULL, 0);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, other);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_SOFTFAIL,
	    "Authentication-Results", 1);
	mxspf_walk_free(w);
}

/* test_recorded_choice - Received-SPF for another client is not the
 * border's; MAIL FROM beats HELO; a Received-SPF above the segment is
 * the fallback; junk is skipped */
static void
test_recorded_choice(void **state)
{
	static const char *const other_ip[] = { OWN_B1,
	    "Received-SPF: pass client-ip=192.0.2.21",
	    B1_SENDER, MSG_TAIL, NULL };
	static const char *const helo_first[] = { OWN_B1,
	    "Received-SPF: softfail (x) identity=mailfrom; "
	    "client-ip=198.51.100.10",
	    "Received-SPF: pass (x) identity=helo; client-ip=198.51.100.10",
	    B1_SENDER, MSG_TAIL, NULL };
	static const char *const helo_only[] = { OWN_B1,
	    "Received-SPF: neutral (x) identity=helo; "
	    "client-ip=198.51.100.10",
	    "Received-SPF: garbage here",
	    B1_SENDER, MSG_TAIL, NULL };
	static const char *const helo_then_ar[] = { OWN_B1,
	    "Authentication-Results: mx.backup1.test; spf=fail "
	    "smtp.mailfrom=alice@sender.test",
	    "Received-SPF: pass (x) identity=helo; client-ip=198.51.100.10",
	    B1_SENDER, MSG_TAIL, NULL };
	static const char *const above[] = {
	    "Received-SPF: temperror (x) client-ip=198.51.100.10",
	    OWN_B1, B1_SENDER, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, other_ip);
	expect_recorded(mxspf_walk_result(w), false, MXSPF_NONE, NULL, 0);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, helo_first);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_SOFTFAIL,
	    "Received-SPF", 1);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, helo_only);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_NEUTRAL,
	    "Received-SPF", 1);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, helo_then_ar);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_FAIL,
	    "Authentication-Results", 1);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, above);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_TEMPERROR,
	    "Received-SPF", 0);
	mxspf_walk_free(w);
}

/* ---- this server's own header ------------------------------------------- */

/* test_own_header - skipped when it is there (by its from-IP or by its
 * "by" name), not needed when it is not */
static void
test_own_header(void **state)
{
	static const char *const without[] = { RSPF_PASS, B1_SENDER,
	    MSG_TAIL, NULL };
	static const char *const by_name[] = {
	    "Received: from localhost (localhost [127.0.0.1]) by "
	    "mail.receiver.test (Postfix) with ESMTP id 4Own2; " DATE,
	    OWN_B1, RSPF_PASS, B1_SENDER, MSG_TAIL, NULL };
	static const char *const own[] = { OWN_B1, RSPF_PASS, B1_SENDER,
	    MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, without);
	r = mxspf_walk_result(w);
	expect_border(r, "198.51.100.10", "mail.sender.test",
	    "mx.backup1.test", 1);
	expect_recorded(r, true, MXSPF_PASS, "Received-SPF", 0);
	mxspf_walk_free(w);

	fix_primary(&f, state);
	w = walk_zone(&f, by_name);
	expect_border(mxspf_walk_result(w), "198.51.100.10",
	    "mail.sender.test", "mx.backup1.test", 1);
	mxspf_walk_free(w);

	/* No configured names: the from-IP alone finds it. */
	fix_primary(&f, state);
	f.cfg.n_own_names = 0;
	f.cfg.own_names = NULL;
	w = walk_zone(&f, own);
	expect_border(mxspf_walk_result(w), "198.51.100.10",
	    "mail.sender.test", "mx.backup1.test", 1);
	mxspf_walk_free(w);
}

/* ---- DNS, limits, cache -------------------------------------------------- */

/* test_dnserr - a failed trust lookup: on the first hop, on a later one */
static void
test_dnserr(void **state)
{
	static const char *const one[] = { OWN_B1, B1_SENDER, MSG_TAIL,
	    NULL };
	static const char *const two[] = { OWN_B1, B1_B2, B2_SENDER,
	    MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	f.req.domain = "timeout.test";
	w = walk_zone(&f, one);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_DNSERR);
	assert_string_equal(r->why, "trust lookup for 198.51.100.10 "
	    "(Received header 2 from the top): MX lookup for timeout.test: "
	    "TIMEOUT");
	mxspf_walk_free(w);

	fix_primary(&f, state);
	f.req.domain = "flaky.test";
	w = walk_zone(&f, two);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_DNSERR);
	assert_non_null(strstr(r->why, "trust lookup for 198.51.100.10 "
	    "(Received header 3 from the top): could not resolve"));
	assert_int_equal(r->hops, 2);
	mxspf_walk_free(w);
}

/* test_too_deep - more trusted relays than max_hops */
static void
test_too_deep(void **state)
{
	static const char *const two[] = { OWN_B1, B1_B2, B2_SENDER,
	    MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	f.req.max_hops = 1;
	w = walk_zone(&f, two);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_TOO_DEEP);
	assert_string_equal(r->why, "more than 1 trusted relays (the next "
	    "one: 192.0.2.22)");
	mxspf_walk_free(w);

	fix_primary(&f, state);
	f.req.max_hops = 2;
	w = walk_zone(&f, two);
	expect_border(mxspf_walk_result(w), "198.51.100.10",
	    "mail.sender.test", "mx.backup2.test", 2);
	mxspf_walk_free(w);

	/* Far over the cap: clamped to 32. */
	fix_primary(&f, state);
	f.req.max_hops = 1000000;
	w = walk_zone(&f, two);
	assert_int_equal(mxspf_walk_result(w)->outcome, MXSPF_WALK_BORDER);
	mxspf_walk_free(w);
}

/* test_cache - a loop between the backups: each address is looked up
 * once; the hop limit ends it */
static void
test_cache(void **state)
{
	static const char *const loop[] = { OWN_B1, B1_B2,
	    "Received: from mx.backup1.test (mx.backup1.test [192.0.2.21]) "
	    "by mx.backup2.test (Postfix) id L1; " DATE,
	    B1_B2,
	    "Received: from mx.backup1.test (mx.backup1.test [192.0.2.21]) "
	    "by mx.backup2.test (Postfix) id L2; " DATE,
	    B1_B2, B2_SENDER, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;

	fix_primary(&f, state);
	w = walk_zone(&f, loop);
	r = mxspf_walk_result(w);
	expect_border(r, "198.51.100.10", "mail.sender.test",
	    "mx.backup2.test", 6);
	assert_int_equal(r->queries, 21);	/* .22, .21, the border */
	mxspf_walk_free(w);

	fix_primary(&f, state);
	f.req.max_hops = 4;
	w = walk_zone(&f, loop);
	assert_int_equal(mxspf_walk_result(w)->outcome, MXSPF_WALK_TOO_DEEP);
	mxspf_walk_free(w);
}

/* ---- the machine -------------------------------------------------------- */

/* test_machine - through mxspf_walk_ops: answers in reverse order, ids
 * tagged per lookup, stale and unknown ids refused */
static void
test_machine(void **state)
{
	static const char *const two[] = { OWN_B1, B1_B2, B2_SENDER,
	    MSG_TAIL, NULL };
	const struct mxspf_machine_ops *ops = &mxspf_walk_ops;
	struct qcopy qs[MAX_Q], first[MAX_Q];
	struct mxspf_answer ans;
	struct mxspf_walk *w;
	struct wfix f;
	size_t n, i, batches = 0, nfirst = 0;
	uint32_t tag, last_tag = 0;
	int rc;

	fix_primary(&f, state);
	set_headers(&f, two);
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), 0);
	while ((rc = ops->step(w)) == MXSPF_STEP_QUERY) {
		n = take_all(ops, w, qs);
		assert_true(n > 0);
		tag = qs[0].id >> 24;
		assert_true(tag >= last_tag && tag >= 1);
		if (tag > last_tag && last_tag != 0 && nfirst > 0) {
			/* A new lookup: the old one's ids are stale. */
			mxspf_zone_lookup(f.zone, first[0].name,
			    first[0].type, &ans);
			assert_int_equal(ops->answer(w, first[0].id, &ans),
			    MXSPF_ENOENT);
		}
		if (nfirst == 0) {
			memcpy(first, qs, n * sizeof(qs[0]));
			nfirst = n;
		}
		last_tag = tag;
		for (i = n; i > 0; i--) {
			assert_int_equal(qs[i - 1].id >> 24, tag);
			mxspf_zone_lookup(f.zone, qs[i - 1].name,
			    qs[i - 1].type, &ans);
			assert_int_equal(ops->answer(w, qs[i - 1].id, &ans),
			    0);
			assert_int_equal(ops->answer(w, qs[i - 1].id, &ans),
			    MXSPF_ENOENT);
		}
		assert_int_equal(ops->answer(w, (tag + 5) << 24 | 1, &ans),
		    MXSPF_ENOENT);
		assert_int_equal(ops->answer(w, 0, &ans), MXSPF_ENOENT);
		batches++;
	}
	assert_int_equal(rc, MXSPF_STEP_DONE);
	assert_int_equal(batches, 4);	/* 2 lookups x (MX, then A/AAAA) */
	assert_int_equal(last_tag, 2);
	expect_border(mxspf_walk_result(w), "198.51.100.10",
	    "mail.sender.test", "mx.backup2.test", 2);
	assert_null(ops->next_query(w));
	assert_int_equal(ops->answer(w, first[0].id, &ans), MXSPF_ENOENT);
	assert_int_equal(ops->step(w), MXSPF_STEP_DONE);
	ops->abort(w);		/* after the end: nothing changes */
	assert_int_equal(mxspf_walk_result(w)->outcome, MXSPF_WALK_BORDER);
	mxspf_walk_free(w);
}

/* test_abort - the deadline: mid-lookup, before the first step, and a
 * resolver that never answers */
static void
test_abort(void **state)
{
	static const char *const one[] = { OWN_B1, B1_SENDER, MSG_TAIL,
	    NULL };
	struct qcopy qs[MAX_Q];
	struct mxspf_answer ans;
	struct mxspf_walk *w;
	const struct mxspf_walk_result *r;
	struct wfix f;
	size_t n;

	fix_primary(&f, state);
	set_headers(&f, one);
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), 0);
	assert_int_equal(mxspf_walk_step(w), MXSPF_STEP_QUERY);
	n = take_all(&mxspf_walk_ops, w, qs);
	assert_int_equal(n, 1);
	assert_int_equal(qs[0].type, MXSPF_RR_MX);
	assert_string_equal(qs[0].name, "receiver.test");
	mxspf_walk_abort(w);
	assert_int_equal(mxspf_walk_step(w), MXSPF_STEP_DONE);
	r = mxspf_walk_result(w);
	assert_int_equal(r->outcome, MXSPF_WALK_DNSERR);
	assert_string_equal(r->why, "no answer within the deadline for the "
	    "trust lookup of 198.51.100.10");
	mxspf_zone_lookup(f.zone, qs[0].name, qs[0].type, &ans);
	assert_int_equal(mxspf_walk_answer(w, qs[0].id, &ans), MXSPF_ENOENT);
	assert_int_equal(mxspf_walk_result(w)->outcome, MXSPF_WALK_DNSERR);
	mxspf_walk_free(w);

	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), 0);
	mxspf_walk_abort(w);
	assert_int_equal(mxspf_walk_step(w), MXSPF_STEP_DONE);
	assert_int_equal(mxspf_walk_result(w)->outcome, MXSPF_WALK_DNSERR);
	assert_null(mxspf_walk_next_query(w));
	mxspf_walk_free(w);

	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), 0);
	assert_int_equal(mxspf_walk_run(w, silent_resolve, NULL), 0);
	assert_int_equal(mxspf_walk_result(w)->outcome, MXSPF_WALK_DNSERR);
	mxspf_walk_free(w);

	/* Freed while a lookup runs: nothing leaks. */
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), 0);
	assert_int_equal(mxspf_walk_step(w), MXSPF_STEP_QUERY);
	(void)take_all(&mxspf_walk_ops, w, qs);
	mxspf_walk_free(w);
	mxspf_walk_free(NULL);
}

/* test_new_einval - bad arguments */
static void
test_new_einval(void **state)
{
	static const char *const one[] = { OWN_B1, B1_SENDER, NULL };
	const char *bad_names[1] = { NULL };
	struct mxspf_walk *w = (struct mxspf_walk *)1;
	struct mxspf_walk_request req;
	struct mxspf_trust_config cfg;
	struct wfix f;

	fix_primary(&f, state);
	set_headers(&f, one);
	assert_int_equal(mxspf_walk_new(NULL, &f.cfg, &f.req), MXSPF_EINVAL);
	assert_int_equal(mxspf_walk_new(&w, NULL, &f.req), MXSPF_EINVAL);
	assert_null(w);
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, NULL), MXSPF_EINVAL);
	req = f.req;
	req.domain = NULL;
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &req), MXSPF_EINVAL);
	req = f.req;
	req.client.family = 5;
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &req), MXSPF_EINVAL);
	req = f.req;
	req.headers = NULL;
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &req), MXSPF_EINVAL);
	f.h[1].name = NULL;
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), MXSPF_EINVAL);
	set_headers(&f, one);
	f.h[1].value = NULL;
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &f.req), MXSPF_EINVAL);
	set_headers(&f, one);
	cfg = f.cfg;
	cfg.own_names = bad_names;
	assert_int_equal(mxspf_walk_new(&w, &cfg, &f.req), MXSPF_EINVAL);
	cfg = f.cfg;
	cfg.own_addrs = NULL;
	assert_int_equal(mxspf_walk_new(&w, &cfg, &f.req), MXSPF_EINVAL);
	/* No headers at all is fine (and ends unparseable). */
	req = f.req;
	req.headers = NULL;
	req.nheaders = 0;
	req.client_helo = NULL;
	req.server_addr = NULL;
	assert_int_equal(mxspf_walk_new(&w, &f.cfg, &req), 0);
	assert_int_equal(mxspf_walk_run(w, mxspf_zone_resolve_walk, f.zone),
	    0);
	assert_int_equal(mxspf_walk_result(w)->outcome,
	    MXSPF_WALK_UNPARSEABLE);
	mxspf_walk_free(w);
}

/* test_nomem - every allocation failure: MXSPF_ENOMEM, no crash or leak,
 * and with enough memory the same answer */
static void
test_nomem(void **state)
{
	static const char *const msg[] = { OWN_B1,
	    "Authentication-Results: mx.backup2.test; spf=pass "
	    "smtp.mailfrom=alice@sender.test",
	    B1_B2, "Received-SPF: pass (x) identity=helo; "
	    "client-ip=198.51.100.10",
	    "Authentication-Results: mx.backup2.test; spf=fail "
	    "smtp.mailfrom=alice@sender.test", B2_SENDER, MSG_TAIL, NULL };
	struct mxspf_walk *w;
	struct wfix f;
	size_t n;
	int rc;

	fix_primary(&f, state);
	set_headers(&f, msg);
	for (n = 0;; n++) {
		mxspf__alloc_fail_after(n);
		rc = mxspf_walk_new(&w, &f.cfg, &f.req);
		if (rc == 0)
			rc = mxspf_walk_run(w, mxspf_zone_resolve_walk,
			    f.zone);
		mxspf__alloc_fail_after((size_t)-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, MXSPF_ENOMEM);
		if (w != NULL) {
			/* The machine stays dead. */
			assert_int_equal(mxspf_walk_step(w), MXSPF_ENOMEM);
			assert_null(mxspf_walk_next_query(w));
			mxspf_walk_abort(w);
		}
		mxspf_walk_free(w);
		assert_true(n < 5000);
	}
	assert_true(n > 20);
	check_result(mxspf_walk_result(w));
	expect_border(mxspf_walk_result(w), "198.51.100.10",
	    "mail.sender.test", "mx.backup2.test", 2);
	expect_recorded(mxspf_walk_result(w), true, MXSPF_FAIL,
	    "Authentication-Results", 4);
	mxspf_walk_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_one_hop),
		TEST(test_two_hops),
		TEST(test_e2e_message),
		TEST(test_preference),
		TEST(test_forged_below),
		TEST(test_ipv6),
		TEST(test_missing_hop),
		TEST(test_unparseable_hop),
		TEST(test_too_long_hop),
		TEST(test_recorded_ar),
		TEST(test_recorded_choice),
		TEST(test_own_header),
		TEST(test_dnserr),
		TEST(test_too_deep),
		TEST(test_cache),
		TEST(test_machine),
		TEST(test_abort),
		TEST(test_new_einval),
		TEST(test_nomem),
	};

	return cmocka_run_group_tests(tests, setup_zone, teardown_zone);
}
