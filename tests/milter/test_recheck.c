/* tests/milter/test_recheck.c - unit tests of what the milter's end of
 * message makes of a re-check (cmd/mxspf-milter/recheck.c): the
 * Received-SPF and Authentication-Results headers with the border items,
 * the X-Mxspf-Recheck note, the log line, the action per configured SPF
 * result, the reject reply and the quarantine reason.
 * Owns: a fixture re-check (a border found behind two trusted hops) whose
 * verdicts are built by hand, so these tests depend on neither the walk
 * nor the evaluator.
 * Must not: need the network.
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

#include "mxspf/mxspf.h"
#include "recheck.h"

/* The fixture: alice@sender.example relayed by mx.backup2.example. */
struct fix {
	struct mxspf_verdict v;
	struct recheck rc;
	struct mxspf_addr client;
	struct recheck_env env;
	struct milter_conf mc;
};

static void fix_init(struct fix *f, enum mxspf_result r);
static void set_addr(struct mxspf_addr *a, const char *text);
static char *unfold(const char *h);
static void check_header(const char *h);

/* set_addr - parse text into a */
static void
set_addr(struct mxspf_addr *a, const char *text)
{
	assert_int_equal(mxspf_addr_parse(text, a), 0);
}

static void
fix_init(struct fix *f, enum mxspf_result r)
{
	memset(f, 0, sizeof(*f));
	f->v.result = r;
	f->v.reason = MXSPF_WHY_MECHANISM;
	f->v.mechanism = r == MXSPF_PASS ? "ip4:192.0.2.10" : "-all";
	f->v.domain = "sender.example";
	f->rc.domain = "receiver.example";
	f->rc.outcome = MXSPF_WALK_BORDER;
	f->rc.why = "border 192.0.2.10 behind 2 trusted hops";
	set_addr(&f->rc.border_ip, "192.0.2.10");
	f->rc.border_helo = "mail.sender.example";
	f->rc.border_mx = "mx.backup2.example";
	f->rc.hops = 2;
	f->rc.verdict = &f->v;
	set_addr(&f->client, "192.0.2.21");
	f->env.client = &f->client;
	f->env.sender = "alice@sender.example";
	f->env.receiver = "mx.example.net";
	f->env.authserv_id = "mx.example.net";
	assert_int_equal(milter_conf_init(&f->mc), 0);
}

/* unfold - h with every "\n\t" fold as one space (malloc'd) */
static char *
unfold(const char *h)
{
	char *s = malloc(strlen(h) + 1), *o = s;

	assert_non_null(s);
	for (; *h != '\0'; h++) {
		if (h[0] == '\n' && h[1] == '\t') {
			*o++ = ' ';
			h++;
		} else {
			*o++ = *h;
		}
	}
	*o = '\0';
	return s;
}

/* check_header - only "\n\t" folds, printable ASCII, lines <= 998, no
 * final newline */
static void
check_header(const char *h)
{
	size_t col = 0, i;

	assert_true(h[0] != '\0' && h[strlen(h) - 1] != '\n');
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] == '\n') {
			assert_int_equal(h[i + 1], '\t');
			col = 0;
			continue;
		}
		if (h[i] != '\t')
			assert_true(h[i] >= ' ' && h[i] < 0x7f);
		assert_true(++col <= 998);
	}
}

static void
test_received_spf_unchecked(void **state)
{
	struct fix f;
	char *h, *u;

	(void)state;
	fix_init(&f, MXSPF_PASS);
	assert_int_equal(recheck_received_spf(&f.rc, &f.env, &h), 0);
	check_header(h);
	u = unfold(h);
	assert_string_equal(u, "Received-SPF: pass (mx.example.net: domain of "
	    "alice@sender.example designates 192.0.2.10 as permitted sender) "
	    "client-ip=192.0.2.10; envelope-from=\"alice@sender.example\"; "
	    "helo=mail.sender.example; identity=mailfrom; "
	    "receiver=mx.example.net; mechanism=\"ip4:192.0.2.10\"; "
	    "x-mxspf-border=received-chain (2 trusted MX hops for "
	    "receiver.example); x-mxspf-border-mx=mx.backup2.example; "
	    "x-mxspf-border-spf=unchecked (mx.backup2.example did not check "
	    "SPF)");
	free(u);
	free(h);
	milter_conf_free(&f.mc);
}

static void
test_auth_results(void **state)
{
	struct fix f;
	char *h, *u;

	(void)state;
	fix_init(&f, MXSPF_FAIL);
	f.rc.recorded.found = true;
	f.rc.recorded.result = MXSPF_FAIL;
	f.rc.recorded.header = "Received-SPF";
	assert_int_equal(recheck_auth_results(&f.rc, &f.env, &h), 0);
	check_header(h);
	u = unfold(h);
	assert_string_equal(u, "Authentication-Results: mx.example.net; "
	    "spf=fail (mx.example.net: domain of alice@sender.example does not "
	    "designate 192.0.2.10 as permitted sender) "
	    "smtp.mailfrom=alice@sender.example "
	    "policy.x-mxspf-border=192.0.2.10 (received-chain, 2 trusted MX "
	    "hops for receiver.example) "
	    "policy.x-mxspf-border-mx=mx.backup2.example "
	    "policy.x-mxspf-border-spf=fail (recorded by mx.backup2.example in "
	    "Received-SPF; agrees)");
	free(u);
	free(h);
	milter_conf_free(&f.mc);
}

/* The border recorded pass, the re-check says fail: both are written. */
static void
test_differs(void **state)
{
	struct fix f;
	char *h, *u;

	(void)state;
	fix_init(&f, MXSPF_FAIL);
	f.rc.recorded.found = true;
	f.rc.recorded.result = MXSPF_PASS;
	f.rc.recorded.header = "Authentication-Results";
	assert_int_equal(recheck_border_state(&f.rc), RECHECK_BORDER_DIFFERS);
	assert_string_equal(recheck_border_name(RECHECK_BORDER_DIFFERS),
	    "differs");
	assert_int_equal(recheck_received_spf(&f.rc, &f.env, &h), 0);
	u = unfold(h);
	assert_non_null(strstr(u, "; x-mxspf-border-spf=pass (recorded by "
	    "mx.backup2.example in Authentication-Results; the re-check says "
	    "fail)"));
	assert_non_null(strstr(u, "Received-SPF: fail "));
	free(u);
	free(h);
	u = recheck_log_line(&f.rc, recheck_action(&f.mc, &f.rc));
	assert_string_equal(u, "recheck domain=receiver.example "
	    "border=192.0.2.10 helo=mail.sender.example "
	    "border_mx=mx.backup2.example hops=2 spf=fail border_spf=pass "
	    "(differs) action=tag");
	free(u);
	milter_conf_free(&f.mc);
}

/* An IPv6 border; hostile names from Received headers cannot inject. */
static void
test_hostile(void **state)
{
	struct fix f;
	char *h, *u;

	(void)state;
	fix_init(&f, MXSPF_SOFTFAIL);
	set_addr(&f.rc.border_ip, "2001:db8::25");
	f.rc.border_mx = "evil\"; x-mxspf-border-spf=pass\r\nX-Injected: 1";
	f.rc.border_helo = "helo\twith\ttabs";
	assert_int_equal(recheck_received_spf(&f.rc, &f.env, &h), 0);
	check_header(h);
	u = unfold(h);
	assert_non_null(strstr(u, "client-ip=\"2001:db8::25\";"));
	assert_non_null(strstr(u, "x-mxspf-border-mx=\"evil\\\"; "
	    "x-mxspf-border-spf=pass??X-Injected: 1\";"));
	free(u);
	free(h);
	assert_int_equal(recheck_auth_results(&f.rc, &f.env, &h), 0);
	check_header(h);
	u = unfold(h);
	assert_non_null(strstr(u, "policy.x-mxspf-border=\"2001:db8::25\" "));
	assert_null(strstr(u, "\nX-Injected"));
	free(u);
	free(h);
	u = recheck_log_line(&f.rc, MILTER_ACT_TAG);
	assert_non_null(strstr(u, "border_mx=evil\"; "
	    "x-mxspf-border-spf=pass\\x0d\\x0aX-Injected: 1 "));
	assert_non_null(strstr(u, "helo=helo\\x09with\\x09tabs "));
	free(u);
	milter_conf_free(&f.mc);
}

static void
test_note(void **state)
{
	struct fix f;
	char *h, *u;

	(void)state;
	fix_init(&f, MXSPF_NONE);
	f.rc.verdict = NULL;
	f.rc.outcome = MXSPF_WALK_UNPARSEABLE;
	f.rc.why = "hop 2: not a Received header this parser understands";
	assert_int_equal(recheck_received_spf(&f.rc, &f.env, &h), MXSPF_EINVAL);
	assert_int_equal(recheck_note(&f.rc, &f.env, &h), 0);
	check_header(h);
	u = unfold(h);
	assert_string_equal(u, "X-Mxspf-Recheck: unparseable (mx.example.net: "
	    "hop 2: not a Received header this parser understands) "
	    "client-ip=192.0.2.21; domain=receiver.example");
	free(u);
	free(h);
	/* A border whose re-check could not run. */
	f.rc.outcome = MXSPF_WALK_BORDER;
	f.rc.error = "out of memory";
	assert_int_equal(recheck_note(&f.rc, &f.env, &h), 0);
	assert_non_null(strstr(h, "X-Mxspf-Recheck: error (mx.example.net: "
	    "out of memory)"));
	free(h);
	u = recheck_log_line(&f.rc, MILTER_ACT_TAG);
	assert_non_null(strstr(u, "spf=not-checked (out of memory)"));
	free(u);
	f.rc.outcome = MXSPF_WALK_TOO_DEEP;
	f.rc.why = "more than 10 trusted hops";
	u = recheck_log_line(&f.rc, MILTER_ACT_TAG);
	assert_string_equal(u, "recheck domain=receiver.example walk=too-deep "
	    "(more than 10 trusted hops) hops=2 action=tag");
	free(u);
	milter_conf_free(&f.mc);
}

/* Every result under the default (tag) and a strict configuration. */
static void
test_action(void **state)
{
	static const enum mxspf_result all[] = {
		MXSPF_NONE, MXSPF_NEUTRAL, MXSPF_PASS, MXSPF_FAIL,
		MXSPF_SOFTFAIL, MXSPF_TEMPERROR, MXSPF_PERMERROR
	};
	struct fix f;
	size_t i;

	(void)state;
	fix_init(&f, MXSPF_PASS);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		f.v.result = all[i];
		assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_TAG);
	}
	f.mc.recheck[MXSPF_FAIL] = MILTER_ACT_REJECT;
	f.mc.recheck[MXSPF_SOFTFAIL] = MILTER_ACT_QUARANTINE;
	f.mc.recheck[MXSPF_TEMPERROR] = MILTER_ACT_QUARANTINE;
	f.mc.recheck[MXSPF_PASS] = MILTER_ACT_REJECT;	/* never used */
	f.v.result = MXSPF_FAIL;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_REJECT);
	f.v.result = MXSPF_SOFTFAIL;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_QUARANTINE);
	f.v.result = MXSPF_PASS;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_TAG);
	f.v.result = MXSPF_NEUTRAL;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_TAG);
	/* No border: no SPF result, tag -- except a DNS error, which is a
	 * temperror. */
	f.rc.verdict = NULL;
	f.rc.outcome = MXSPF_WALK_UNPARSEABLE;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_TAG);
	f.rc.outcome = MXSPF_WALK_TOO_DEEP;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_TAG);
	f.rc.outcome = MXSPF_WALK_DNSERR;
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_QUARANTINE);
	f.rc.outcome = MXSPF_WALK_BORDER;	/* the evaluation failed */
	assert_int_equal(recheck_action(&f.mc, &f.rc), MILTER_ACT_TAG);
	milter_conf_free(&f.mc);
}

static void
test_reply(void **state)
{
	const char *code, *status;
	struct fix f;
	bool temp;
	char *t;

	(void)state;
	fix_init(&f, MXSPF_FAIL);
	f.v.explanation = "see http://sender.example/why";
	t = recheck_reply(&f.rc, &code, &status, &temp);
	assert_string_equal(code, "550");
	assert_string_equal(status, "5.7.23");
	assert_false(temp);
	assert_string_equal(t, "SPF re-check: fail for the original client "
	    "192.0.2.10 (relayed by mx.backup2.example): see "
	    "http://sender.example/why");
	free(t);
	f.v.result = MXSPF_PERMERROR;
	t = recheck_reply(&f.rc, &code, &status, &temp);
	assert_string_equal(code, "550");
	assert_string_equal(status, "5.7.24");
	free(t);
	f.v.result = MXSPF_TEMPERROR;
	t = recheck_reply(&f.rc, &code, &status, &temp);
	assert_string_equal(code, "451");
	assert_string_equal(status, "4.7.24");
	assert_true(temp);
	free(t);
	f.rc.verdict = NULL;
	f.rc.outcome = MXSPF_WALK_DNSERR;
	t = recheck_reply(&f.rc, &code, &status, &temp);
	assert_string_equal(code, "451");
	assert_true(temp);
	assert_string_equal(t, "SPF re-check of the original client failed: "
	    "DNS error");
	free(t);
	milter_conf_free(&f.mc);
}

static void
test_quarantine_reason(void **state)
{
	struct fix f;
	char *t;

	(void)state;
	fix_init(&f, MXSPF_FAIL);
	t = recheck_quarantine_reason(&f.rc);
	assert_string_equal(t, "mxspf: SPF re-check fail for 192.0.2.10 behind "
	    "mx.backup2.example (the border MX did not check SPF)");
	free(t);
	f.rc.recorded.found = true;
	f.rc.recorded.result = MXSPF_FAIL;
	t = recheck_quarantine_reason(&f.rc);
	assert_string_equal(t, "mxspf: SPF re-check fail for 192.0.2.10 behind "
	    "mx.backup2.example");
	free(t);
	f.rc.verdict = NULL;
	f.rc.outcome = MXSPF_WALK_DNSERR;
	t = recheck_quarantine_reason(&f.rc);
	assert_string_equal(t, "mxspf: SPF re-check dns-error");
	free(t);
	milter_conf_free(&f.mc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_received_spf_unchecked),
		cmocka_unit_test(test_auth_results),
		cmocka_unit_test(test_differs),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_quarantine_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
