/* tests/unit/test_conf.c - unit tests of the receiver's configuration
 * (lib/conf.c).
 * Owns: checks of every default, of every key with a non-default value,
 * of bad values and their "FILE:LINE: message", of [domain NAME] sections
 * (inheritance from [policy] wherever they appear, overrides, lookup), of
 * list keys (repetition, continuation lines, replacing the default), of
 * what inih would mangle (over-long lines, NUL bytes), and of allocation
 * failures at every step.
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
#include "internal.h"

#define ERR_LEN 512

static char *write_temp(const char *text, size_t len);
static int load_text(struct mxspf_conf **c, const char *text, char *err,
    char **path);
static void expect_error(const char *text, const char *want);
static bool net_match(const struct mxspf_netlist *l, const char *ip);

/* write_temp - write text to a new temporary file; the path is malloc'd */
static char *
write_temp(const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	size_t plen;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	plen = strlen(dir) + sizeof("/test_conf.XXXXXX");
	path = malloc(plen);
	assert_non_null(path);
	snprintf(path, plen, "%s/test_conf.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* load_text - a new configuration loaded from text; the file's path is
 * returned in *path when path is not NULL (else removed) */
static int
load_text(struct mxspf_conf **c, const char *text, char *err, char **path)
{
	char *p = write_temp(text, strlen(text));
	int rc;

	assert_int_equal(mxspf_conf_new(c), 0);
	rc = mxspf_conf_load(*c, p, err, ERR_LEN);
	if (path != NULL) {
		*path = p;
	} else {
		unlink(p);
		free(p);
	}
	return rc;
}

/* expect_error - text must fail with an error whose text after the file
 * name is want ("LINE: message" prefix) */
static void
expect_error(const char *text, const char *want)
{
	struct mxspf_conf *c;
	char err[ERR_LEN], *path, *after;
	int rc;

	rc = load_text(&c, text, err, &path);
	if (rc == 0)
		fail_msg("accepted: %s", text);
	if (rc != MXSPF_ESYNTAX)
		fail_msg("for %s: rc %d (%s)", text, rc, err);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	after = err + strlen(path);
	if (strncmp(after, want, strlen(want)) != 0)
		fail_msg("for %s\n got: %s\nwant: %s", text, after, want);
	unlink(path);
	free(path);
	mxspf_conf_free(c);
}

/* net_match - whether ip is in list l */
static bool
net_match(const struct mxspf_netlist *l, const char *ip)
{
	struct mxspf_addr a;

	assert_int_equal(mxspf_addr_parse(ip, &a), 0);
	return mxspf_netlist_match(l, &a);
}

/* test_defaults - every default of mxspf_conf_new() */
static void
test_defaults(void **state)
{
	struct mxspf_conf *c;
	char host[256];

	(void)state;
	assert_int_equal(mxspf_conf_new(&c), 0);
	assert_true(c->check_helo);
	assert_int_equal(c->policy.on_fail, MXSPF_ACT_REJECT);
	assert_int_equal(c->policy.on_softfail, MXSPF_ACT_ACCEPT);
	assert_int_equal(c->policy.on_permerror, MXSPF_ACT_ACCEPT);
	assert_int_equal(c->policy.on_temperror, MXSPF_ACT_ACCEPT);
	assert_false(c->policy.test_mode);
	assert_int_equal(mxspf_netlist_count(c->exempt), 2);
	assert_true(net_match(c->exempt, "127.0.0.1"));
	assert_true(net_match(c->exempt, "127.255.0.9"));
	assert_true(net_match(c->exempt, "::1"));
	assert_false(net_match(c->exempt, "192.0.2.1"));
	assert_non_null(c->relays);
	assert_int_equal(mxspf_netlist_count(c->relays), 0);
	assert_int_equal(c->trust_mode, MXSPF_TRUST_PREFERENCE);
	assert_int_equal(c->n_own_names, 0);
	assert_int_equal(c->n_own_addrs, 0);
	assert_int_equal(c->ndomains, 0);
	assert_int_equal(c->header, MXSPF_HDR_RECEIVED_SPF);
	if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0') {
		host[sizeof(host) - 1] = '\0';
		assert_string_equal(c->receiver, host);
		assert_string_equal(c->authserv_id, host);
	}
	assert_ptr_equal(c->spf.receiver, c->receiver);
	assert_int_equal(c->deadline_ms, 20000);
	assert_int_equal(c->spf.max_dns_terms, 10);
	assert_int_equal(c->spf.max_void_lookups, 2);
	assert_int_equal(c->spf.max_mx_names, 10);
	assert_int_equal(c->spf.max_ptr_names, 10);
	assert_true(c->spf.speculative);
	assert_null(c->spf.default_exp);
	assert_int_equal(c->spf.record_cache_size, 4096);
	assert_null(c->resolvconf);
	assert_int_equal(c->nforwarders, 0);
	assert_null(c->stub_zone);
	assert_null(c->stub_addr);
	assert_null(c->trust_anchor_file);
	assert_int_equal(c->nlisten, 1);
	assert_string_equal(c->listen[0], "unix:/run/mxspf/mxspfd.sock");
	assert_null(c->user);
	assert_null(c->group);
	assert_int_equal(c->max_connections, 1000);
	assert_int_equal(c->max_inflight, 10000);
	assert_int_equal(c->idle_timeout_s, 300);
	assert_int_equal(c->stats_interval_s, 3600);
	assert_string_equal(c->syslog_facility, "mail");
	assert_false(c->log_stderr);
	assert_null(mxspf_conf_domain(c, "example.com"));
	mxspf_conf_free(c);
	mxspf_conf_free(NULL);
}

static const char every_key[] =
    "; every key with a value other than its default\n"
    "[policy]\n"
    "check_helo = no\n"
    "on_fail = defer\n"
    "on_softfail = reject\n"
    "on_permerror = reject\n"
    "on_temperror = defer\n"
    "test_mode = yes\n"
    "exempt = 10.0.0.0/8, 2001:db8:1::/48\n"
    "relays = 192.0.2.0/24\n"
    "trust_mode = any\n"
    "own_names = MX1.Example.NET. mx2.example.net\n"
    "own_addrs = 192.0.2.25, 2001:db8::25\n"
    "header = authentication-results\n"
    "authserv_id = auth.example.net\n"
    "receiver = mx1.example.net\n"
    "deadline = 1500ms\n"
    "\n"
    "[spf]\n"
    "max_dns_terms = 20\n"
    "max_void_lookups = 3\n"
    "max_mx_names = 5\n"
    "max_ptr_names = 4\n"
    "speculative = off\n"
    "default_exp = %{i} may not send for %{d}\n"
    "record_cache_size = 0\n"
    "\n"
    "[resolver]\n"
    "resolvconf = /etc/other-resolv.conf\n"
    "forwarders = 192.0.2.53 2001:db8::53@5353\n"
    "stub_zone = example.net.\n"
    "stub_addr = 192.0.2.54@53\n"
    "trust_anchor_file = /var/lib/unbound/root.key\n"
    "\n"
    "[mxspfd]\n"
    "listen = unix:/var/spool/postfix/private/mxspf\n"
    "listen = inet:127.0.0.1:10045, inet:[::1]:10045\n"
    "user = mxspf\n"
    "group = postfix\n"
    "max_connections = 50\n"
    "max_inflight = 70\n"
    "concurrency = 3\n"
    "idle_timeout = 2m\n"
    "stats_interval = 0\n"
    "syslog_facility = LOCAL3\n"
    "log_stderr = true\n";

/* test_every_key - each key with a non-default value lands in its field */
static void
test_every_key(void **state)
{
	struct mxspf_conf *c;
	char err[ERR_LEN], buf[256];

	(void)state;
	assert_int_equal(load_text(&c, every_key, err, NULL), 0);
	assert_false(c->check_helo);
	assert_int_equal(c->policy.on_fail, MXSPF_ACT_DEFER);
	assert_int_equal(c->policy.on_softfail, MXSPF_ACT_REJECT);
	assert_int_equal(c->policy.on_permerror, MXSPF_ACT_REJECT);
	assert_int_equal(c->policy.on_temperror, MXSPF_ACT_DEFER);
	assert_true(c->policy.test_mode);
	/* The first exempt replaces the loopback default. */
	assert_false(net_match(c->exempt, "127.0.0.1"));
	assert_true(net_match(c->exempt, "10.1.2.3"));
	assert_true(net_match(c->exempt, "2001:db8:1:ffff::1"));
	assert_int_equal(mxspf_netlist_format(c->relays, buf, sizeof(buf)),
	    0);
	assert_string_equal(buf, "192.0.2.0/24");
	assert_int_equal(c->trust_mode, MXSPF_TRUST_ANY);
	assert_int_equal(c->n_own_names, 2);
	assert_string_equal(c->own_names[0], "mx1.example.net");
	assert_string_equal(c->own_names[1], "mx2.example.net");
	assert_int_equal(c->n_own_addrs, 2);
	assert_int_equal(mxspf_addr_format(&c->own_addrs[1], buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::25");
	assert_int_equal(c->header, MXSPF_HDR_AUTH_RESULTS);
	assert_string_equal(c->authserv_id, "auth.example.net");
	assert_string_equal(c->receiver, "mx1.example.net");
	assert_ptr_equal(c->spf.receiver, c->receiver);
	assert_int_equal(c->deadline_ms, 1500);
	assert_int_equal(c->spf.max_dns_terms, 20);
	assert_int_equal(c->spf.max_void_lookups, 3);
	assert_int_equal(c->spf.max_mx_names, 5);
	assert_int_equal(c->spf.max_ptr_names, 4);
	assert_false(c->spf.speculative);
	assert_string_equal(c->spf.default_exp, "%{i} may not send for %{d}");
	assert_int_equal(c->spf.record_cache_size, 0);
	assert_string_equal(c->resolvconf, "/etc/other-resolv.conf");
	assert_int_equal(c->nforwarders, 2);
	assert_string_equal(c->forwarders[0], "192.0.2.53");
	assert_string_equal(c->forwarders[1], "2001:db8::53@5353");
	assert_string_equal(c->stub_zone, "example.net.");
	assert_string_equal(c->stub_addr, "192.0.2.54@53");
	assert_string_equal(c->trust_anchor_file,
	    "/var/lib/unbound/root.key");
	assert_int_equal(c->nlisten, 3);
	assert_string_equal(c->listen[0],
	    "unix:/var/spool/postfix/private/mxspf");
	assert_string_equal(c->listen[1], "inet:127.0.0.1:10045");
	assert_string_equal(c->listen[2], "inet:[::1]:10045");
	assert_string_equal(c->user, "mxspf");
	assert_string_equal(c->group, "postfix");
	assert_int_equal(c->max_connections, 50);
	assert_int_equal(c->max_inflight, 70);
	assert_int_equal(c->concurrency, 3);
	assert_int_equal(c->idle_timeout_s, 120);
	assert_int_equal(c->stats_interval_s, 0);
	assert_string_equal(c->syslog_facility, "local3");
	assert_true(c->log_stderr);
	mxspf_conf_free(c);
}

/* test_values - alternative spellings that are accepted */
static void
test_values(void **state)
{
	struct mxspf_conf *c;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_text(&c,
	    "[policy]\n"
	    "check_helo = FALSE\n"
	    "test_mode = 1\n"
	    "deadline = 20\n"
	    "header = None\n"
	    "trust_mode = OFF\n"
	    "exempt =\n"
	    "[resolver]\n"
	    "resolvconf =\n"
	    "stub_zone = .\n"
	    "stub_addr = 127.0.0.1\n"
	    "[mxspfd]\n"
	    "idle_timeout = 1h\n"
	    "syslog_facility = none\n"
	    "listen = stdio\n"
	    "# a comment\n"
	    "; another\n", err, NULL), 0);
	assert_false(c->check_helo);
	assert_true(c->policy.test_mode);
	assert_int_equal(c->deadline_ms, 20000);
	assert_int_equal(c->header, MXSPF_HDR_NONE);
	assert_int_equal(c->trust_mode, MXSPF_TRUST_OFF);
	assert_int_equal(mxspf_netlist_count(c->exempt), 0);
	assert_string_equal(c->resolvconf, "");
	assert_string_equal(c->stub_zone, ".");
	assert_int_equal(c->idle_timeout_s, 3600);
	assert_string_equal(c->syslog_facility, "none");
	assert_int_equal(c->nlisten, 1);
	assert_string_equal(c->listen[0], "stdio");
	mxspf_conf_free(c);
	/* An empty file keeps every default. */
	assert_int_equal(load_text(&c, "", err, NULL), 0);
	assert_int_equal(c->nlisten, 1);
	assert_int_equal(mxspf_netlist_count(c->exempt), 2);
	mxspf_conf_free(c);
}

/* test_lists - list keys add up over repeated and continued lines */
static void
test_lists(void **state)
{
	struct mxspf_conf *c;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_text(&c,
	    "[policy]\n"
	    "relays = 192.0.2.1\n"
	    "  192.0.2.2, 192.0.2.3\n"
	    "relays = 2001:db8::/64\n"
	    "own_names = a.example\n"
	    "  b.example\n"
	    "exempt = 127.0.0.1\n"
	    "exempt = ::1\n"
	    "[resolver]\n"
	    "forwarders = 192.0.2.53\n"
	    "forwarders = 192.0.2.54@10053\n", err, NULL), 0);
	assert_int_equal(mxspf_netlist_count(c->relays), 4);
	assert_true(net_match(c->relays, "192.0.2.3"));
	assert_true(net_match(c->relays, "2001:db8::99"));
	assert_int_equal(c->n_own_names, 2);
	assert_int_equal(mxspf_netlist_count(c->exempt), 2);
	assert_false(net_match(c->exempt, "127.0.0.2"));
	assert_int_equal(c->nforwarders, 2);
	mxspf_conf_free(c);
}

/* test_domains - [domain NAME] starts from [policy] wherever it is */
static void
test_domains(void **state)
{
	const struct mxspf_domain_conf *d;
	struct mxspf_conf *c;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_text(&c,
	    "[domain Strict.Example.]\n"
	    "on_softfail = reject\n"
	    "trust_mode = off\n"
	    "[policy]\n"
	    "on_permerror = defer\n"
	    "trust_mode = any\n"
	    "test_mode = yes\n"
	    "[domain relaxed.example]\n"
	    "on_fail = accept\n"
	    "relays = 203.0.113.0/24\n"
	    "test_mode = no\n"
	    "[domain plain.example]\n"
	    "relays = 198.51.100.7\n"
	    "[domain strict.example]\n"
	    "on_temperror = defer\n", err, NULL), 0);
	assert_int_equal(c->ndomains, 3);
	d = mxspf_conf_domain(c, "STRICT.example.");
	assert_non_null(d);
	assert_string_equal(d->domain, "strict.example");
	assert_int_equal(d->policy.on_softfail, MXSPF_ACT_REJECT);
	assert_int_equal(d->policy.on_temperror, MXSPF_ACT_DEFER);
	assert_int_equal(d->policy.on_fail, MXSPF_ACT_REJECT);
	/* From [policy], although [policy] comes later in the file. */
	assert_int_equal(d->policy.on_permerror, MXSPF_ACT_DEFER);
	assert_true(d->policy.test_mode);
	assert_int_equal(d->trust_mode, MXSPF_TRUST_OFF);
	assert_int_equal(mxspf_netlist_count(d->relays), 0);
	d = mxspf_conf_domain(c, "relaxed.example");
	assert_non_null(d);
	assert_int_equal(d->policy.on_fail, MXSPF_ACT_ACCEPT);
	assert_false(d->policy.test_mode);
	assert_int_equal(d->trust_mode, MXSPF_TRUST_ANY);
	assert_true(net_match(d->relays, "203.0.113.9"));
	assert_false(net_match(c->relays, "203.0.113.9"));
	d = mxspf_conf_domain(c, "plain.example");
	assert_non_null(d);
	assert_int_equal(d->policy.on_permerror, MXSPF_ACT_DEFER);
	assert_int_equal(d->trust_mode, MXSPF_TRUST_ANY);
	assert_null(mxspf_conf_domain(c, "other.example"));
	assert_null(mxspf_conf_domain(c, "example"));
	assert_null(mxspf_conf_domain(c, "sub.plain.example"));
	assert_null(mxspf_conf_domain(c, ""));
	assert_null(mxspf_conf_domain(c, NULL));
	/* Loaded once: a second file cannot mix in. */
	assert_int_equal(mxspf_conf_load(c, "/dev/null", err, sizeof(err)),
	    MXSPF_ESTATE);
	mxspf_conf_free(c);
}

/* test_errors - bad input gives ESYNTAX and "FILE:LINE: message" */
static void
test_errors(void **state)
{
	(void)state;
	expect_error("[policy]\nfoo = 1\n", ":2: unknown key 'foo' in "
	    "[policy]");
	expect_error("[policy]\n\n[bogus]\nx = 1\n", ":4: unknown section "
	    "[bogus]");
	expect_error("check_helo = yes\n", ":1: a key before the first "
	    "[section]");
	expect_error("[policy]\ncheck_helo = maybe\n", ":2: check_helo: "
	    "'maybe' is not yes or no");
	expect_error("[policy]\ncheck_helo = yes\ncheck_helo = no\n",
	    ":3: check_helo given twice");
	expect_error("[policy]\non_fail = bounce\n", ":2: on_fail: 'bounce' "
	    "is not accept, reject or defer");
	expect_error("[policy]\non_softfail =\n", ":2: on_softfail: '' is "
	    "not accept");
	expect_error("[policy]\ntrust_mode = all\n", ":2: trust_mode: 'all' "
	    "is not preference, any or off");
	expect_error("[policy]\nheader = dkim\n", ":2: header: 'dkim' is "
	    "not received-spf");
	expect_error("[policy]\nexempt = 10.0.0.0/33\n", ":2: exempt: ");
	expect_error("[policy]\nrelays = example.com\n", ":2: relays: ");
	expect_error("[policy]\nown_names = a..b\n", ":2: own_names: 'a..b' "
	    "is not a host name");
	expect_error("[policy]\nown_addrs = 192.0.2.300\n", ":2: own_addrs: "
	    "'192.0.2.300' is not an IP address");
	expect_error("[policy]\nauthserv_id = a b\n", ":2: authserv_id: "
	    "'a b' is not a host name");
	expect_error("[policy]\nreceiver = \n", ":2: receiver: '' is not a "
	    "host name");
	expect_error("[policy]\ndeadline = 0\n", ":2: deadline: '0' is not "
	    "a time from 1ms");
	expect_error("[policy]\ndeadline = 2h\n", ":2: deadline: '2h' is "
	    "not a time");
	expect_error("[policy]\ndeadline = 5 s\n", ":2: deadline: '5 s'");
	expect_error("[policy]\ndeadline = -5\n", ":2: deadline: '-5'");
	expect_error("[spf]\nmax_dns_terms = 0\n", ":2: max_dns_terms: '0' "
	    "is not a number from 1 to 100");
	expect_error("[spf]\nmax_void_lookups = 101\n", ":2: "
	    "max_void_lookups: '101'");
	expect_error("[spf]\nmax_mx_names = ten\n", ":2: max_mx_names: "
	    "'ten'");
	expect_error("[spf]\nmax_ptr_names = 99999999999999999999999\n",
	    ":2: max_ptr_names: ");
	expect_error("[spf]\nrecord_cache_size = 16777217\n", ":2: "
	    "record_cache_size: ");
	expect_error("[spf]\nspeculative = 2\n", ":2: speculative: ");
	expect_error("[spf]\ndefault_exp = %{z}\n", ":2: default_exp: "
	    "'%{z}' is not an explanation macro-string");
	expect_error("[spf]\ndefault_exp = 100%\n", ":2: default_exp: ");
	expect_error("[resolver]\nforwarders = 192.0.2.1@0\n", ":2: "
	    "forwarders: '192.0.2.1@0' is not ADDR or ADDR@PORT");
	expect_error("[resolver]\nforwarders = dns.example\n", ":2: "
	    "forwarders: 'dns.example'");
	expect_error("[resolver]\nstub_addr = 192.0.2.1@65536\n", ":2: "
	    "stub_addr: ");
	expect_error("[resolver]\nstub_zone = a..b\n", ":2: stub_zone: ");
	expect_error("[resolver]\nstub_zone = example.com\n", ":2: stub_zone "
	    "and stub_addr go together");
	expect_error("[resolver]\n\nstub_addr = 127.0.0.1\n", ":3: stub_zone "
	    "and stub_addr go together");
	expect_error("[resolver]\nresolvconf = a\001b\n", ":2: resolvconf: "
	    "'a\\x01b' is not a file name");
	expect_error("[resolver]\ntrust_anchor_file =\n", ":2: "
	    "trust_anchor_file: empty file name");
	expect_error("[mxspfd]\nlisten = tcp:1.2.3.4:25\n", ":2: listen: "
	    "'tcp:1.2.3.4:25' is not unix:/PATH, inet:HOST:PORT or stdio");
	expect_error("[mxspfd]\nlisten = unix:relative\n", ":2: listen: ");
	expect_error("[mxspfd]\nlisten = inet:127.0.0.1\n", ":2: listen: ");
	expect_error("[mxspfd]\nlisten = inet:127.0.0.1:0\n", ":2: listen: ");
	expect_error("[mxspfd]\nlisten = inet:[192.0.2.1]:25\n", ":2: "
	    "listen: ");
	expect_error("[mxspfd]\nlisten = stdio\nlisten = inet:*:1\n",
	    ":3: listen: stdio cannot be combined");
	expect_error("[mxspfd]\nuser = -root\n", ":2: user: '-root' is not "
	    "a user or group name");
	expect_error("[mxspfd]\ngroup = a b\n", ":2: group: ");
	expect_error("[mxspfd]\nmax_connections = 0\n", ":2: "
	    "max_connections: '0' is not a number from 1 to 1000000");
	expect_error("[mxspfd]\nmax_inflight = 1000001\n", ":2: "
	    "max_inflight: ");
	expect_error("[mxspfd]\nidle_timeout = 500ms\n", ":2: idle_timeout: "
	    "'500ms' is not a time");
	expect_error("[mxspfd]\nidle_timeout = 2d\n", ":2: idle_timeout: ");
	expect_error("[mxspfd]\nsyslog_facility = kern\n", ":2: "
	    "syslog_facility: 'kern' is not mail");
	expect_error("[mxspfd]\nlog_stderr = sometimes\n", ":2: log_stderr: ");
	expect_error("[domain bad..name]\non_fail = accept\n", ":2: [domain "
	    "bad..name]: not a domain name");
	expect_error("[domain ok.example]\nheader = none\n", ":2: unknown "
	    "key 'header' in [domain]");
	expect_error("[domain ok.example]\non_fail = accept\non_fail = "
	    "defer\n", ":3: on_fail given twice");
	expect_error("[domain ok.example]\ntrust_mode = maybe\n", ":2: "
	    "trust_mode: ");
	expect_error("[domainx]\na = b\n", ":2: unknown section [domainx]");
	expect_error("[policy]\nthis line has no equals sign\n", ":2: not "
	    "'name = value', '[section]' or a comment");
	expect_error("[policy\ncheck_helo = yes\n", ":1: not 'name = value'");
	/* An inih syntax error before a value error: the first one wins. */
	expect_error("[policy]\nno equals\ncheck_helo = maybe\n", ":2: not ");
	expect_error("[policy]\ncheck_helo = maybe\nno equals\n", ":2: "
	    "check_helo: ");
	/* Bad bytes are escaped and cut in the message. */
	expect_error("[policy]\nreceiver = a\x01\x7f\n", ":2: receiver: "
	    "'a\\x01\\x7f' is not a host name");
}

/* test_mangled - what inih would silently mangle is an error: a line
 * longer than its 200-byte buffer (197 bytes and "\r\n\0") */
static void
test_mangled(void **state)
{
	static const char tail[] = "10.0.0.1\ncheck_helo = no\n";
	struct mxspf_conf *c;
	char text[2048], err[ERR_LEN];
	size_t n, len;

	(void)state;
	for (len = 197; len <= 198; len++) {
		n = (size_t)snprintf(text, sizeof(text), "[policy]\n");
		memcpy(text + n, "relays = ", 9);
		n += 9;
		while (n < 9 + len - 8)
			text[n++] = ' ';
		memcpy(text + n, tail, sizeof(tail));
		if (len == 197) {
			assert_int_equal(load_text(&c, text, err, NULL), 0);
			assert_true(net_match(c->relays, "10.0.0.1"));
			assert_false(c->check_helo);
			mxspf_conf_free(c);
		} else {
			expect_error(text, ":2: line longer than 197 bytes");
		}
	}
}

/* test_nul - a NUL byte in the file */
static void
test_nul(void **state)
{
	static const char text[] = "[policy]\ncheck_helo = yes\nre\0ceiver"
	    " = x\n";
	struct mxspf_conf *c;
	char err[ERR_LEN], *path;
	int rc;

	(void)state;
	path = write_temp(text, sizeof(text) - 1);
	assert_int_equal(mxspf_conf_new(&c), 0);
	rc = mxspf_conf_load(c, path, err, sizeof(err));
	assert_int_equal(rc, MXSPF_ESYNTAX);
	assert_non_null(strstr(err, ":3: NUL byte in the line"));
	unlink(path);
	free(path);
	mxspf_conf_free(c);
}

/* test_file_errors - missing file, directory */
static void
test_file_errors(void **state)
{
	struct mxspf_conf *c;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(mxspf_conf_new(&c), 0);
	assert_int_equal(mxspf_conf_load(c, "/nonexistent/mxspfd.conf", err,
	    sizeof(err)), MXSPF_ENOENT);
	assert_string_equal(err, "/nonexistent/mxspfd.conf: cannot open: No "
	    "such file or directory");
	assert_int_equal(mxspf_conf_load(c, "/", err, sizeof(err)),
	    MXSPF_ENOENT);
	assert_string_equal(err, "/: not a regular file");
	assert_int_equal(mxspf_conf_load(NULL, "/", err, sizeof(err)),
	    MXSPF_EINVAL);
	/* A short error buffer is cut, never overrun. */
	assert_int_equal(mxspf_conf_load(c, "/nonexistent", err, 8),
	    MXSPF_ENOENT);
	assert_int_equal(strlen(err), 7);
	mxspf_conf_free(c);
}

/* test_example - docs/mxspfd.conf.example sets every key to its default
 * (so the file and the manual cannot drift from the code) */
static void
test_example(void **state)
{
	struct mxspf_conf *def, *ex;
	const char *src = getenv("MXSPF_SRCDIR");
	char path[4096], err[ERR_LEN], a[512], b[512];

	(void)state;
	if (src == NULL)
		skip();
	(void)snprintf(path, sizeof(path), "%s/docs/mxspfd.conf.example", src);
	assert_int_equal(mxspf_conf_new(&def), 0);
	assert_int_equal(mxspf_conf_new(&ex), 0);
	if (mxspf_conf_load(ex, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(ex->check_helo, def->check_helo);
	assert_memory_equal(&ex->policy, &def->policy, sizeof(def->policy));
	assert_int_equal(mxspf_netlist_format(ex->exempt, a, sizeof(a)), 0);
	assert_int_equal(mxspf_netlist_format(def->exempt, b, sizeof(b)), 0);
	assert_string_equal(a, b);
	assert_int_equal(mxspf_netlist_count(ex->relays), 0);
	assert_int_equal(ex->trust_mode, def->trust_mode);
	assert_int_equal(ex->n_own_names, 0);
	assert_int_equal(ex->n_own_addrs, 0);
	assert_int_equal(ex->ndomains, 0);
	assert_int_equal(ex->header, def->header);
	assert_string_equal(ex->authserv_id, def->authserv_id);
	assert_string_equal(ex->receiver, def->receiver);
	assert_int_equal(ex->deadline_ms, def->deadline_ms);
	assert_int_equal(ex->spf.max_dns_terms, def->spf.max_dns_terms);
	assert_int_equal(ex->spf.max_void_lookups, def->spf.max_void_lookups);
	assert_int_equal(ex->spf.max_mx_names, def->spf.max_mx_names);
	assert_int_equal(ex->spf.max_ptr_names, def->spf.max_ptr_names);
	assert_int_equal(ex->spf.speculative, def->spf.speculative);
	assert_null(ex->spf.default_exp);
	assert_int_equal(ex->spf.record_cache_size,
	    def->spf.record_cache_size);
	assert_null(ex->resolvconf);
	assert_int_equal(ex->nforwarders, 0);
	assert_null(ex->stub_zone);
	assert_null(ex->trust_anchor_file);
	assert_int_equal(ex->nlisten, 1);
	assert_string_equal(ex->listen[0], def->listen[0]);
	assert_null(ex->user);
	assert_null(ex->group);
	assert_int_equal(ex->max_connections, def->max_connections);
	assert_int_equal(ex->max_inflight, def->max_inflight);
	assert_int_equal(ex->concurrency, def->concurrency);
	assert_int_equal(ex->idle_timeout_s, def->idle_timeout_s);
	assert_int_equal(ex->stats_interval_s, def->stats_interval_s);
	assert_string_equal(ex->syslog_facility, def->syslog_facility);
	assert_int_equal(ex->log_stderr, def->log_stderr);
	mxspf_conf_free(def);
	mxspf_conf_free(ex);
}

/* test_alloc_failures - fail each allocation in turn: an error, no leak
 * (the sanitizer build checks), and success once enough are allowed */
static void
test_alloc_failures(void **state)
{
	struct mxspf_conf *c;
	char err[ERR_LEN], *path;
	size_t n;
	int rc = MXSPF_ENOMEM;

	(void)state;
	path = write_temp(every_key, strlen(every_key));
	for (n = 0; n < 10000 && rc != 0; n++) {
		mxspf__alloc_fail_after(n);
		rc = mxspf_conf_new(&c);
		if (rc == 0) {
			rc = mxspf_conf_load(c, path, err, sizeof(err));
			mxspf_conf_free(c);
		}
		mxspf__alloc_fail_after((size_t)-1);
		assert_true(rc == 0 || rc == MXSPF_ENOMEM);
	}
	assert_int_equal(rc, 0);
	assert_true(n > 20);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mangled),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
