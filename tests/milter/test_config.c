/* tests/milter/test_config.c - unit tests of the milter's [milter]
 * section (cmd/mxspf-milter/config.c).
 * Owns: checks of every default, of every key with a non-default value,
 * of bad values and their "FILE:LINE: message", of what inih would mangle
 * (over-long lines, NUL bytes), of the socket specs, and that one file
 * carries the shared sections and [milter] for both loaders.
 * Must not: need the network or write outside the temporary directory.
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
#include <unistd.h>

#include "mxspf/policy.h"
#include "config.h"

#define ERR_LEN 512

static char *write_temp(const char *text, size_t len);
static int load_text(struct milter_conf *mc, const char *text, size_t len,
    char *err);
static void expect_error(const char *text, const char *want);

/* write_temp - text into a new temporary file; the path is malloc'd */
static char *
write_temp(const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	size_t plen;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	plen = strlen(dir) + sizeof("/test_milter_conf.XXXXXX");
	path = malloc(plen);
	assert_non_null(path);
	snprintf(path, plen, "%s/test_milter_conf.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* load_text - milter_conf_init, then load text (len bytes) */
static int
load_text(struct milter_conf *mc, const char *text, size_t len, char *err)
{
	char *p = write_temp(text, len);
	int rc;

	assert_int_equal(milter_conf_init(mc), 0);
	rc = milter_conf_load(mc, p, err, ERR_LEN);
	unlink(p);
	free(p);
	return rc;
}

/* expect_error - text fails with "FILE:" followed by want */
static void
expect_error(const char *text, const char *want)
{
	struct milter_conf mc;
	char err[ERR_LEN];
	const char *colon;

	assert_int_not_equal(load_text(&mc, text, strlen(text), err), 0);
	colon = strchr(err, ':');
	assert_non_null(colon);
	if (strcmp(colon + 1, want) != 0)
		fail_msg("error '%s', wanted '%s'", colon + 1, want);
	milter_conf_free(&mc);
}

static void
test_defaults(void **state)
{
	struct milter_conf mc;
	size_t i;

	(void)state;
	assert_int_equal(milter_conf_init(&mc), 0);
	assert_string_equal(mc.socket, MILTER_DEFAULT_SOCKET);
	assert_null(mc.user);
	assert_null(mc.group);
	assert_true(mc.rcpt_checks);
	for (i = 0; i < MILTER_NRESULTS; i++)
		assert_int_equal(mc.recheck[i], MILTER_ACT_TAG);
	assert_int_equal(mc.max_headers, MILTER_DEFAULT_MAX_HEADERS);
	assert_int_equal(mc.max_header_bytes, MILTER_DEFAULT_MAX_HEADER_BYTES);
	assert_int_equal(mc.max_hops, MILTER_DEFAULT_MAX_HOPS);
	assert_string_equal(mc.syslog_facility, "mail");
	assert_false(mc.log_stderr);
	milter_conf_free(&mc);
}

static void
test_every_key(void **state)
{
	static const char text[] =
	    "; a comment\n"
	    "[policy]\n"
	    "trust_mode = any\n"
	    "[milter]\n"
	    "socket = inet:10024@127.0.0.1\n"
	    "user = mxspf\n"
	    "group = postfix\n"
	    "rcpt_checks = no\n"
	    "recheck_fail = quarantine\n"
	    "recheck_softfail = Reject\n"
	    "recheck_neutral = tag\n"
	    "recheck_none = quarantine\n"
	    "recheck_permerror = reject\n"
	    "recheck_temperror = quarantine\n"
	    "max_headers = 50\n"
	    "max_header_bytes = 2048\n"
	    "max_hops = 3\n"
	    "syslog_facility = local3\n"
	    "log_stderr = yes\n"
	    "[resolver]\n"
	    "forwarders = 192.0.2.53\n";
	struct milter_conf mc;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_text(&mc, text, sizeof(text) - 1, err), 0);
	assert_string_equal(mc.socket, "inet:10024@127.0.0.1");
	assert_string_equal(mc.user, "mxspf");
	assert_string_equal(mc.group, "postfix");
	assert_false(mc.rcpt_checks);
	assert_int_equal(mc.recheck[MXSPF_FAIL], MILTER_ACT_QUARANTINE);
	assert_int_equal(mc.recheck[MXSPF_SOFTFAIL], MILTER_ACT_REJECT);
	assert_int_equal(mc.recheck[MXSPF_NEUTRAL], MILTER_ACT_TAG);
	assert_int_equal(mc.recheck[MXSPF_NONE], MILTER_ACT_QUARANTINE);
	assert_int_equal(mc.recheck[MXSPF_PERMERROR], MILTER_ACT_REJECT);
	assert_int_equal(mc.recheck[MXSPF_TEMPERROR], MILTER_ACT_QUARANTINE);
	assert_int_equal(mc.recheck[MXSPF_PASS], MILTER_ACT_TAG);
	assert_int_equal(mc.max_headers, 50);
	assert_int_equal(mc.max_header_bytes, 2048);
	assert_int_equal(mc.max_hops, 3);
	assert_string_equal(mc.syslog_facility, "local3");
	assert_true(mc.log_stderr);
	milter_conf_free(&mc);
}

/* One file, two loaders: lib/conf.c takes the shared sections and skips
 * [milter]; config.c takes [milter] and skips the rest. */
static void
test_shared_file(void **state)
{
	static const char text[] =
	    "[policy]\n"
	    "authserv_id = mx.example.net\n"
	    "[milter]\n"
	    "recheck_fail = reject\n"
	    "[mxspfd]\n"
	    "listen = inet:127.0.0.1:10023\n";
	struct mxspf_conf *c;
	struct milter_conf mc;
	char err[ERR_LEN];
	char *p = write_temp(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(milter_conf_init(&mc), 0);
	assert_int_equal(milter_conf_load(&mc, p, err, sizeof(err)), 0);
	assert_int_equal(mc.recheck[MXSPF_FAIL], MILTER_ACT_REJECT);
	assert_int_equal(mxspf_conf_new(&c), 0);
	if (mxspf_conf_load(c, p, err, sizeof(err)) != 0)
		fail_msg("mxspf_conf_load: %s", err);
	assert_string_equal(c->authserv_id, "mx.example.net");
	mxspf_conf_free(c);
	milter_conf_free(&mc);
	unlink(p);
	free(p);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("[milter]\nbogus = 1\n",
	    "2: unknown key 'bogus' in [milter]");
	expect_error("[milter]\nrcpt_checks = maybe\n",
	    "2: rcpt_checks: 'maybe' is not yes or no");
	expect_error("[milter]\nrecheck_fail = drop\n",
	    "2: recheck_fail: 'drop' is not tag, quarantine or reject");
	expect_error("[milter]\nrecheck_pass = reject\n",
	    "2: unknown key 'recheck_pass' in [milter]");
	expect_error("[milter]\nmax_hops = 0\n",
	    "2: max_hops: '0' is not a number from 1 to 32");
	expect_error("[milter]\nmax_hops = 33\n",
	    "2: max_hops: '33' is not a number from 1 to 32");
	expect_error("[milter]\nmax_headers = 10x\n",
	    "2: max_headers: '10x' is not a number from 1 to 100000");
	expect_error("[milter]\nmax_header_bytes = 100\n",
	    "2: max_header_bytes: '100' is not a number from 1024 to "
	    "67108864");
	expect_error("[milter]\nuser = -root\n",
	    "2: user: '-root' is not a user or group name");
	expect_error("[milter]\nsyslog_facility = kern\n",
	    "2: syslog_facility: 'kern' is not a syslog facility (mail, "
	    "daemon, user, local0-7) or none");
	expect_error("[milter]\nmax_hops = 2\nmax_hops = 3\n",
	    "3: max_hops given twice (or an indented line continues it)");
	expect_error("[milter]\nsocket = tcp:25\n",
	    "2: socket 'tcp:25': not unix:/PATH, local:/PATH, "
	    "inet:PORT@HOST or inet6:PORT@HOST");
	expect_error("[milter]\nsocket = inet:0@127.0.0.1\n",
	    "2: socket 'inet:0@127.0.0.1': not inet:PORT@HOST (PORT "
	    "1-65535)");
	expect_error("[milter]\nsocket = unix:run/x.sock\n",
	    "2: socket 'unix:run/x.sock': the path must be absolute and at "
	    "most 107 bytes");
	expect_error("rcpt_checks = no\n",
	    "1: a key before the first [section]");
	expect_error("[milter]\nthis is not a key\n",
	    "2: not 'name = value', '[section]' or a comment");
}

/* What inih would silently mangle is an error. */
static void
test_mangling(void **state)
{
	struct milter_conf mc;
	char err[ERR_LEN], *text;
	static const char nul[] = "[milter]\nuser = a\0b\n";
	size_t n = 100000, i;

	(void)state;
	text = malloc(n + 32);
	assert_non_null(text);
	i = (size_t)snprintf(text, 32, "[milter]\nuser = ");
	memset(text + i, 'a', n);
	text[i + n] = '\n';
	assert_int_equal(load_text(&mc, text, i + n + 1, err), MXSPF_ESYNTAX);
	assert_non_null(strstr(err, ":2: line longer than"));
	milter_conf_free(&mc);
	free(text);
	assert_int_equal(load_text(&mc, nul, sizeof(nul) - 1, err),
	    MXSPF_ESYNTAX);
	assert_non_null(strstr(err, ":2: NUL byte in the line"));
	milter_conf_free(&mc);
	assert_int_equal(milter_conf_init(&mc), 0);
	assert_int_equal(milter_conf_load(&mc, "/nonexistent/mxspf.conf", err,
	    sizeof(err)), MXSPF_ENOENT);
	milter_conf_free(&mc);
}

static void
test_socket_check(void **state)
{
	char err[ERR_LEN];
	struct milter_conf mc;

	(void)state;
	assert_int_equal(milter_socket_check("unix:/run/mxspf/milter.sock",
	    err, sizeof(err)), 0);
	assert_int_equal(milter_socket_check("local:/x", err, sizeof(err)), 0);
	assert_int_equal(milter_socket_check("inet:10024", err, sizeof(err)),
	    0);
	assert_int_equal(milter_socket_check("inet6:10024@::1", err,
	    sizeof(err)), 0);
	assert_int_equal(milter_socket_check("inet:65536@localhost", err,
	    sizeof(err)), -1);
	assert_int_equal(milter_socket_check("inet:10024@", err, sizeof(err)),
	    -1);
	assert_int_equal(milter_socket_check("unix:/a b", err, sizeof(err)),
	    -1);
	assert_int_equal(milter_socket_check("", err, sizeof(err)), -1);
	assert_int_equal(milter_conf_init(&mc), 0);
	assert_int_equal(milter_conf_set_socket(&mc, "inet:1@127.0.0.1", err,
	    sizeof(err)), 0);
	assert_string_equal(mc.socket, "inet:1@127.0.0.1");
	assert_int_equal(milter_conf_set_socket(&mc, "bogus", err,
	    sizeof(err)), -1);
	assert_string_equal(mc.socket, "inet:1@127.0.0.1");
	milter_conf_free(&mc);
}

static void
test_act_names(void **state)
{
	enum milter_act a;

	(void)state;
	assert_string_equal(milter_act_name(MILTER_ACT_TAG), "tag");
	assert_string_equal(milter_act_name(MILTER_ACT_QUARANTINE),
	    "quarantine");
	assert_string_equal(milter_act_name(MILTER_ACT_REJECT), "reject");
	assert_string_equal(milter_act_name((enum milter_act)9), "unknown");
	assert_int_equal(milter_act_parse("QUARANTINE", &a), 0);
	assert_int_equal(a, MILTER_ACT_QUARANTINE);
	assert_int_equal(milter_act_parse("accept", &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_shared_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mangling),
		cmocka_unit_test(test_socket_check),
		cmocka_unit_test(test_act_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
