/* tests/milter/test_text.c - unit tests of the milter's text helpers
 * (cmd/mxspf-milter/text.c): which Authentication-Results are ours to
 * remove, envelope addresses, SMTP reply text, header splitting, folded
 * header items and header values.
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
#include "text.h"

static bool ours(const char *value);
static void check_lines(const char *h, size_t max);

/* ours - text_ar_is_ours for id mx.example.net */
static bool
ours(const char *value)
{
	return text_ar_is_ours(value, strlen(value), "mx.example.net");
}

/* check_lines - only "\n\t" folds, printable ASCII, lines <= max */
static void
check_lines(const char *h, size_t max)
{
	size_t col = 0, i;

	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] == '\n') {
			assert_int_equal(h[i + 1], '\t');
			col = 0;
			continue;
		}
		if (h[i] != '\t')
			assert_true(h[i] >= ' ' && h[i] < 0x7f);
		if (++col > max)
			fail_msg("line over %zu bytes in '%s'", max, h);
	}
}

static void
test_ar_ours(void **state)
{
	(void)state;
	assert_true(ours("mx.example.net; spf=pass smtp.mailfrom=a@b.c"));
	assert_true(ours(" MX.Example.NET; spf=pass"));
	assert_true(ours("mx.example.net 1; spf=pass"));
	assert_true(ours("(comment) mx.example.net; none"));
	assert_true(ours("\"mx.example.net\"; spf=fail"));
	assert_true(ours("mx.example.net;\n\tspf=pass"));
	assert_false(ours("mx.example.network; spf=pass"));
	assert_false(ours("other.example.net; spf=pass"));
	assert_false(ours("mx.example; spf=pass"));
	/* Microsoft's form has no authserv-id: not ours. */
	assert_false(ours("spf=pass (sender IP is 192.0.2.1) "
	    "smtp.mailfrom=example.com; dkim=none"));
	assert_false(ours(""));
	assert_false(ours("((((((((((deep)))))))))) mx.example.net; none"));
	/* Never read past len. */
	assert_false(text_ar_is_ours("mx.example.net; none", 5,
	    "mx.example.net"));
}

static void
test_envelope(void **state)
{
	char *s, big[2048];

	(void)state;
	s = text_envelope_addr("<alice@example.com>");
	assert_string_equal(s, "alice@example.com");
	free(s);
	s = text_envelope_addr("alice@example.com");
	assert_string_equal(s, "alice@example.com");
	free(s);
	s = text_envelope_addr("<>");
	assert_string_equal(s, "");
	free(s);
	s = text_envelope_addr("<");
	assert_string_equal(s, "<");
	free(s);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(text_envelope_addr(big));
}

static void
test_reply(void **state)
{
	char *s, big[1000];

	(void)state;
	s = text_reply("SPF fail: 100% forged\r\n250 injected\x01\x80");
	assert_string_equal(s, "SPF fail: 100%% forged??250 injected??");
	free(s);
	s = text_reply("");
	assert_string_equal(s, "");
	free(s);
	memset(big, '%', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = text_reply(big);
	assert_int_equal(strlen(s), 2 * TEXT_REPLY_MAX + 3);
	assert_string_equal(s + 2 * TEXT_REPLY_MAX, "...");
	free(s);
}

static void
test_split(void **state)
{
	const char *v;
	char *name;

	(void)state;
	assert_int_equal(text_header_split("Received-SPF: pass (x)\n\ty=1",
	    &name, &v), 0);
	assert_string_equal(name, "Received-SPF");
	assert_string_equal(v, "pass (x)\n\ty=1");
	free(name);
	assert_int_equal(text_header_split("no colon", &name, &v), -1);
	assert_null(name);
	assert_int_equal(text_header_split(": empty name", &name, &v), -1);
}

static void
test_same_unfolded(void **state)
{
	(void)state;
	assert_true(text_same_unfolded("mx; spf=pass (a\n\tb) x=1",
	    " mx;  spf=pass (a b) x=1 "));
	assert_true(text_same_unfolded("a\r\n b", "a b"));
	assert_true(text_same_unfolded("", "  "));
	assert_false(text_same_unfolded("a b", "ab"));
	assert_false(text_same_unfolded("mx; spf=pass", "mx; spf=fail"));
	assert_false(text_same_unfolded("mx; spf=pass", "mx; spf=pass x"));
}

static void
test_fold(void **state)
{
	struct mxspf_buf b;
	const char *s;

	(void)state;
	mxspf_buf_init(&b, 4096);
	mxspf_buf_puts(&b, "Received-SPF: pass (comment) client-ip=192.0.2.1");
	text_fold_item(&b, ";", "x-one=1");
	text_fold_item(&b, ";", "x-two=\"a quoted string that must not be "
	    "folded inside\" (and a comment that may be)");
	text_fold_item(&b, ";", "x-three=3");
	s = mxspf_buf_cstr(&b);
	check_lines(s, 78);
	assert_non_null(strstr(s, "client-ip=192.0.2.1; x-one=1;"));
	assert_non_null(strstr(s, "\"a quoted string that must not be folded "
	    "inside\""));
	assert_non_null(strstr(s, "; x-three=3"));
	mxspf_buf_free(&b);
}

static void
test_values(void **state)
{
	struct mxspf_buf b;
	char big[400];

	(void)state;
	mxspf_buf_init(&b, 4096);
	text_put_value(&b, "mx.backup2.example", false);
	assert_string_equal(mxspf_buf_cstr(&b), "mx.backup2.example");
	mxspf_buf_reset(&b);
	text_put_value(&b, "2001:db8::1", true);	/* ':' is a tspecial */
	assert_string_equal(mxspf_buf_cstr(&b), "\"2001:db8::1\"");
	mxspf_buf_reset(&b);
	text_put_value(&b, "192.0.2.1", true);
	assert_string_equal(mxspf_buf_cstr(&b), "192.0.2.1");
	mxspf_buf_reset(&b);
	text_put_value(&b, "evil\"; x=\\\r\nInjected: yes", false);
	assert_string_equal(mxspf_buf_cstr(&b),
	    "\"evil\\\"; x=\\\\??Injected: yes\"");
	mxspf_buf_reset(&b);
	text_put_comment(&b, "a (nested) \\ comment\n");
	assert_string_equal(mxspf_buf_cstr(&b),
	    "(a \\(nested\\) \\\\ comment?)");
	mxspf_buf_reset(&b);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	text_put_value(&b, big, true);	/* a token: '.' is allowed */
	assert_int_equal(b.len, TEXT_VALUE_MAX + 3);
	assert_string_equal(mxspf_buf_cstr(&b) + TEXT_VALUE_MAX, "...");
	mxspf_buf_reset(&b);
	text_put_value(&b, big, false);	/* "x..." is no dot-atom */
	assert_int_equal(b.len, TEXT_VALUE_MAX + 5);
	assert_string_equal(mxspf_buf_cstr(&b) + TEXT_VALUE_MAX + 1, "...\"");
	mxspf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ar_ours),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_same_unfolded),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
