/* lib/conf.c - the receiver's configuration (include/mxspf/policy.h):
 * defaults, the INI loader (libinih), per-domain overrides.
 *
 * Owns: struct mxspf_conf and its strings, lists and [domain NAME]
 * overrides.  The file is read into memory (lib/inifile.c, at most 1 MiB)
 * and handed to inih line by line through our own reader, which counts
 * lines, so every error names its line ("FILE:LINE: message"), and which
 * rejects what inih would silently mangle: a line longer than inih's
 * buffer (inih would split it and parse the tail as a new line) and a
 * NUL byte.  Every key has a type and a range in key_table; unknown
 * sections and keys, bad values and a scalar key given twice are errors.
 * List keys (exempt, relays, own_names, own_addrs, forwarders, listen)
 * may be repeated or continued on indented lines; their values add up,
 * and the first occurrence replaces the default.  A [domain NAME] section
 * starts from the global [policy] values wherever it appears in the file:
 * overrides are recorded and the rest is copied from [policy] at the end.
 * A configuration is loaded from one file, once.
 *
 * Must not: keep global state (inih's own runtime globals are left
 * alone), allocate other than through mxspf__alloc, echo more than
 * CONF_ECHO bytes of a bad value, or leave a half-added list item.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "mxspf/policy.h"
#include "mxspf/unbound.h"
#include "buf.h"
#include "internal.h"
#include "macro.h"
#include "inifile.h"
#include "mxspf_limits.h"

#define CONF_ECHO 60			/* bytes of a bad value quoted */
#define CONF_MSG_MAX 512		/* one error message */
#define CONF_MAX_ITEM 1024		/* one list item or scalar value */
#define CONF_MAX_HOSTNAME 255		/* gethostname() result */
#define CONF_MAX_USER 64		/* user and group names */
#define CONF_MAX_SUN_PATH 107		/* sizeof(sun_path) - 1 on Linux */
#define CONF_MAX_LISTEN 64		/* listen entries */
#define CONF_MAX_LIST 1024		/* items of one list key */
#define CONF_DEFAULT_LISTEN "unix:/run/mxspf/mxspfd.sock"
#define CONF_DEFAULT_EXEMPT "127.0.0.0/8 ::1/128"
#define CONF_DEFAULT_DEADLINE_MS 20000u	/* RFC 7208 s4.6.4: >= 20 s */
#define CONF_MAX_DEADLINE_MS 3600000u
#define CONF_MAX_IDLE_S 86400u

/* Sections. */
enum conf_sect {
	S_POLICY,
	S_SPF,
	S_RESOLVER,
	S_MXSPFD,
	S_DOMAIN,
	S_MILTER	/* mxspf-milter's own keys: read by it, skipped here */
};

/* Value types of keys. */
enum conf_type {
	K_BOOL,		/* bool: yes/no/true/false/on/off/1/0 */
	K_ACT,		/* enum mxspf_policy_act */
	K_MODE,		/* enum mxspf_trust_mode */
	K_HEADER,	/* enum mxspf_header_kind */
	K_SIZE,		/* size_t in [min, max] */
	K_UINT,		/* unsigned in [min, max] */
	K_MS,		/* unsigned milliseconds, with a unit suffix */
	K_SEC,		/* unsigned seconds, with a unit suffix */
	K_HOST,		/* char *: a host-name-like token */
	K_EXP,		/* spf.default_exp: an explanation macro-string */
	K_PATH,		/* char *: a file name; empty allowed if min */
	K_USER,		/* char *: a user or group name */
	K_FACILITY,	/* char *: a syslog facility or "none" */
	K_NETS,		/* struct mxspf_netlist * */
	K_NAMES,	/* own_names */
	K_ADDRS,	/* own_addrs */
	K_FWDS,		/* forwarders */
	K_DNSADDR,	/* stub_addr */
	K_ZONE,		/* stub_zone */
	K_LISTEN	/* listen */
};

/* One key: where it lives and what it accepts. */
struct conf_key {
	enum conf_sect sect;
	const char *name;
	enum conf_type type;
	size_t off;		/* in struct mxspf_conf, or in struct
				 * mxspf_domain_conf for S_DOMAIN */
	unsigned long long min, max;
	bool list;		/* may be repeated */
};

#define CO(f) offsetof(struct mxspf_conf, f)
#define DO(f) offsetof(struct mxspf_domain_conf, f)

static const struct conf_key key_table[] = {
	{ S_POLICY, "check_helo", K_BOOL, CO(check_helo), 0, 0, false },
	{ S_POLICY, "on_fail", K_ACT, CO(policy.on_fail), 0, 0, false },
	{ S_POLICY, "on_softfail", K_ACT, CO(policy.on_softfail), 0, 0,
	    false },
	{ S_POLICY, "on_permerror", K_ACT, CO(policy.on_permerror), 0, 0,
	    false },
	{ S_POLICY, "on_temperror", K_ACT, CO(policy.on_temperror), 0, 0,
	    false },
	{ S_POLICY, "test_mode", K_BOOL, CO(policy.test_mode), 0, 0, false },
	{ S_POLICY, "exempt", K_NETS, CO(exempt), 0, 0, true },
	{ S_POLICY, "relays", K_NETS, CO(relays), 0, 0, true },
	{ S_POLICY, "trust_mode", K_MODE, CO(trust_mode), 0, 0, false },
	{ S_POLICY, "own_names", K_NAMES, 0, 0, 0, true },
	{ S_POLICY, "own_addrs", K_ADDRS, 0, 0, 0, true },
	{ S_POLICY, "header", K_HEADER, CO(header), 0, 0, false },
	{ S_POLICY, "authserv_id", K_HOST, CO(authserv_id), 0, 0, false },
	{ S_POLICY, "receiver", K_HOST, CO(receiver), 0, 0, false },
	{ S_POLICY, "deadline", K_MS, CO(deadline_ms), 1,
	    CONF_MAX_DEADLINE_MS, false },
	{ S_SPF, "max_dns_terms", K_SIZE, CO(spf.max_dns_terms), 1, 100,
	    false },
	{ S_SPF, "max_void_lookups", K_SIZE, CO(spf.max_void_lookups), 0,
	    100, false },
	{ S_SPF, "max_mx_names", K_SIZE, CO(spf.max_mx_names), 1, 100,
	    false },
	{ S_SPF, "max_ptr_names", K_SIZE, CO(spf.max_ptr_names), 1, 100,
	    false },
	{ S_SPF, "speculative", K_BOOL, CO(spf.speculative), 0, 0, false },
	{ S_SPF, "default_exp", K_EXP, 0, 0, 0, false },
	{ S_SPF, "record_cache_size", K_SIZE, CO(spf.record_cache_size), 0,
	    1u << 24, false },
	{ S_RESOLVER, "resolvconf", K_PATH, CO(resolvconf), 0, 0, false },
	{ S_RESOLVER, "forwarders", K_FWDS, 0, 0, 0, true },
	{ S_RESOLVER, "stub_zone", K_ZONE, CO(stub_zone), 0, 0, false },
	{ S_RESOLVER, "stub_addr", K_DNSADDR, CO(stub_addr), 0, 0, false },
	{ S_RESOLVER, "cache_entries", K_SIZE, CO(cache_entries), 0,
	    10000000, false },
	{ S_RESOLVER, "cache_memory", K_SIZE, CO(cache_memory), 0,
	    (unsigned long long)1 << 34, false },
	{ S_RESOLVER, "cache_max_ttl", K_SEC, CO(cache_max_ttl), 0,
	    CONF_MAX_IDLE_S, false },
	{ S_RESOLVER, "trust_anchor_file", K_PATH, CO(trust_anchor_file), 1,
	    0, false },
	{ S_MXSPFD, "listen", K_LISTEN, 0, 0, 0, true },
	{ S_MXSPFD, "user", K_USER, CO(user), 0, 0, false },
	{ S_MXSPFD, "group", K_USER, CO(group), 0, 0, false },
	{ S_MXSPFD, "max_connections", K_UINT, CO(max_connections), 1,
	    1000000, false },
	{ S_MXSPFD, "concurrency", K_UINT, CO(concurrency), 1, 1000000,
	    false },
	{ S_MXSPFD, "max_inflight", K_UINT, CO(max_inflight), 1, 1000000,
	    false },
	{ S_MXSPFD, "idle_timeout", K_SEC, CO(idle_timeout_s), 1,
	    CONF_MAX_IDLE_S, false },
	{ S_MXSPFD, "stats_interval", K_SEC, CO(stats_interval_s), 0,
	    CONF_MAX_IDLE_S, false },
	{ S_MXSPFD, "syslog_facility", K_FACILITY, CO(syslog_facility), 0,
	    0, false },
	{ S_MXSPFD, "log_stderr", K_BOOL, CO(log_stderr), 0, 0, false },
	{ S_DOMAIN, "on_fail", K_ACT, DO(policy.on_fail), 0, 0, false },
	{ S_DOMAIN, "on_softfail", K_ACT, DO(policy.on_softfail), 0, 0,
	    false },
	{ S_DOMAIN, "on_permerror", K_ACT, DO(policy.on_permerror), 0, 0,
	    false },
	{ S_DOMAIN, "on_temperror", K_ACT, DO(policy.on_temperror), 0, 0,
	    false },
	{ S_DOMAIN, "test_mode", K_BOOL, DO(policy.test_mode), 0, 0, false },
	{ S_DOMAIN, "relays", K_NETS, DO(relays), 0, 0, true },
	{ S_DOMAIN, "trust_mode", K_MODE, DO(trust_mode), 0, 0, false },
};

#define KEY_COUNT (sizeof(key_table) / sizeof(key_table[0]))

/* Syslog facilities by name (the names of syslog.conf(5)). */
static const char *const facility_names[] = {
	"none", "mail", "daemon", "user", "local0", "local1", "local2",
	"local3", "local4", "local5", "local6", "local7"
};

/* The state of one mxspf_conf_load(). */
struct conf_load {
	struct mxspf_conf *c;
	struct mxspf__ini ini;	/* the file, its line, the first error */
	uint64_t set[S_DOMAIN];	/* keys seen, per global section */
	uint64_t *dset;		/* keys seen, per domain */
	size_t dcap;
	size_t stub_zone_line, stub_addr_line, listen_line;
	char last_sect[CONF_MSG_MAX];	/* the section of the last key */
	enum conf_sect last_kind;
	size_t last_dom;
};

static int conf_fail(struct conf_load *ld, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conf_echo(char *out, size_t outlen, const char *s);
static int conf_strset(char **slot, const char *value);
static bool conf_host_ok(const char *s, size_t len);
static bool conf_domain_norm(const char *s, size_t len, char *out);
static int conf_bool(const char *v, bool *out);
static int conf_time(const char *v, bool ms, unsigned long long *out);
static int conf_dnsaddr_ok(const char *s, size_t len);
static int conf_listen_ok(const char *s, size_t len);
static int conf_strv_add(char ***v, size_t *n, const char *p, size_t len);
static int conf_list_item(struct conf_load *ld, const struct conf_key *k,
    void *base, const char *p, size_t len);
static int conf_list(struct conf_load *ld, const struct conf_key *k,
    void *base, bool first, const char *value);
static int conf_scalar(struct conf_load *ld, const struct conf_key *k,
    void *base, const char *value);
static bool conf_user_ok(const char *s, size_t len);
static bool conf_printable(const char *s, size_t len, bool ascii);
static int conf_string(struct conf_load *ld, const struct conf_key *k,
    char **f, const char *value, const char *echo);
static void conf_list_clear(struct mxspf_conf *c, const struct conf_key *k,
    void *base);
static int conf_section(struct conf_load *ld, const char *section,
    enum conf_sect *sect, size_t *dom);
static int conf_domain_get(struct conf_load *ld, const char *name,
    size_t len, size_t *idx);
static int conf_handler(void *user, const char *section, const char *name,
    const char *value);
static int conf_finish(struct conf_load *ld);
static size_t conf_field_size(enum conf_type t);
static int conf_dom_cmp(const void *a, const void *b);
static void conf_domain_free(struct mxspf_domain_conf *d);

int
mxspf_conf_new(struct mxspf_conf **out)
{
	struct mxspf_conf *c;
	char host[CONF_MAX_HOSTNAME + 1];
	char err[64];

	*out = NULL;
	if ((c = mxspf__calloc(1, sizeof(*c))) == NULL)
		return MXSPF_ENOMEM;
	c->check_helo = true;
	mxspf_policy_init(&c->policy);
	c->trust_mode = MXSPF_TRUST_PREFERENCE;
	c->header = MXSPF_HDR_RECEIVED_SPF;
	c->deadline_ms = CONF_DEFAULT_DEADLINE_MS;
	mxspf_config_init(&c->spf);
	c->max_connections = 1000;
	c->max_inflight = 10000;
	c->concurrency = 256;
	c->idle_timeout_s = 300;
	c->stats_interval_s = 3600;
	c->cache_entries = MXSPF_UB_CACHE_ENTRIES;
	c->cache_memory = MXSPF_UB_CACHE_BYTES;
	c->cache_max_ttl = MXSPF_UB_CACHE_MAX_TTL;
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		memcpy(host, "localhost", sizeof("localhost"));
	/* POSIX leaves a truncated name unterminated. */
	host[sizeof(host) - 1] = '\0';
	if (!conf_host_ok(host, strlen(host)))
		memcpy(host, "localhost", sizeof("localhost"));
	if (mxspf_netlist_new(&c->exempt) != 0 ||
	    mxspf_netlist_new(&c->relays) != 0 ||
	    mxspf_netlist_add(c->exempt, CONF_DEFAULT_EXEMPT, err,
	    sizeof(err)) != 0 ||
	    (c->authserv_id = mxspf__strdup(host)) == NULL ||
	    (c->receiver = mxspf__strdup(host)) == NULL ||
	    (c->syslog_facility = mxspf__strdup("mail")) == NULL ||
	    conf_strv_add(&c->listen, &c->nlisten, CONF_DEFAULT_LISTEN,
	    strlen(CONF_DEFAULT_LISTEN)) != 0) {
		mxspf_conf_free(c);
		return MXSPF_ENOMEM;
	}
	c->spf.receiver = c->receiver;
	*out = c;
	return 0;
}

/* conf_fail - record the first error at the current line; returns 0 (the
 * inih handler's "error") */
static int
conf_fail(struct conf_load *ld, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mxspf__ini_vfail(&ld->ini, code, fmt, ap);
	va_end(ap);
	return 0;
}

/* conf_echo - a bad value for a message: escaped, cut at CONF_ECHO */
static void
conf_echo(char *out, size_t outlen, const char *s)
{
	struct mxspf_buf b;

	mxspf_buf_init(&b, outlen - 1);
	mxspf_buf_put_escaped(&b, s, strlen(s), CONF_ECHO);
	(void)snprintf(out, outlen, "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
}

/* conf_strset - replace a heap string; 0 or MXSPF_ENOMEM */
static int
conf_strset(char **slot, const char *value)
{
	char *s = mxspf__strdup(value);

	if (s == NULL)
		return MXSPF_ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

/* conf_host_ok - a host name or similar token: 1..253 bytes of letters,
 * digits, '-', '_' and '.', no empty label, labels at most 63 bytes */
static bool
conf_host_ok(const char *s, size_t len)
{
	size_t i, lab = 0;

	if (len == 0 || len > MXSPF_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (lab == 0)
				return false;
			lab = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
		if (++lab > MXSPF_MAX_LABEL)
			return false;
	}
	return lab > 0;
}

/* conf_domain_norm - a domain name into out (MXSPF_MAX_NAME + 1 bytes):
 * lower case, one trailing dot removed; false when not a valid name */
static bool
conf_domain_norm(const char *s, size_t len, char *out)
{
	size_t i;

	if (len > 1 && s[len - 1] == '.')
		len--;
	if (!conf_host_ok(s, len))
		return false;
	for (i = 0; i < len; i++)
		out[i] = (char)mxspf__ascii_lower((unsigned char)s[i]);
	out[len] = '\0';
	return true;
}

/* conf_bool - yes/no and the usual synonyms; 0 or -1 */
static int
conf_bool(const char *v, bool *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* conf_time - "N" or "N" with a unit (ms, s, m, h) into milliseconds
 * (ms) or seconds; a bare number is seconds; 0 or -1 */
static int
conf_time(const char *v, bool ms, unsigned long long *out)
{
	size_t n = 0, len = strlen(v);
	unsigned long long mul_ms;
	uint64_t val;

	while (n < len && v[n] >= '0' && v[n] <= '9')
		n++;
	if (n == len || strcmp(v + n, "s") == 0)
		mul_ms = 1000;
	else if (strcmp(v + n, "ms") == 0)
		mul_ms = 1;
	else if (strcmp(v + n, "m") == 0)
		mul_ms = 60000;
	else if (strcmp(v + n, "h") == 0)
		mul_ms = 3600000;
	else
		return -1;
	if (mxspf__parse_uint(v, n, UINT32_MAX, &val) != 0)
		return -1;
	val *= mul_ms;		/* < 2^32 * 2^22: no overflow */
	if (!ms) {
		if (val % 1000 != 0)
			return -1;
		val /= 1000;
	}
	*out = val;
	return 0;
}

/* conf_dnsaddr_ok - "ADDR" or "ADDR@PORT" (1-65535); 0 or -1 */
static int
conf_dnsaddr_ok(const char *s, size_t len)
{
	char a[64];
	const char *at = memchr(s, '@', len);
	size_t alen = at != NULL ? (size_t)(at - s) : len;
	struct mxspf_addr addr;
	uint64_t port;

	if (alen == 0 || alen >= sizeof(a))
		return -1;
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (mxspf_addr_parse(a, &addr) != 0)
		return -1;
	if (at != NULL && (mxspf__parse_uint(at + 1, len - alen - 1, 65535,
	    &port) != 0 || port == 0))
		return -1;
	return 0;
}

/* conf_listen_ok - "unix:/PATH", "inet:HOST:PORT" ("[v6]:PORT" too) or
 * "stdio"; 0 or -1 */
static int
conf_listen_ok(const char *s, size_t len)
{
	const char *colon;
	uint64_t port;
	size_t hlen, i;

	if (len == 5 && memcmp(s, "stdio", 5) == 0)
		return 0;
	if (len > 5 && memcmp(s, "unix:", 5) == 0)
		return s[5] == '/' && len - 5 <= CONF_MAX_SUN_PATH ? 0 : -1;
	if (len <= 5 || memcmp(s, "inet:", 5) != 0)
		return -1;
	s += 5;
	len -= 5;
	for (colon = NULL, i = 0; i < len; i++)
		if (s[i] == ':')
			colon = s + i;
	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - s);
	if (mxspf__parse_uint(colon + 1, len - hlen - 1, 65535, &port) != 0 ||
	    port == 0)
		return -1;
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		struct mxspf_addr a;
		char tmp[64];

		if (hlen - 2 >= sizeof(tmp))
			return -1;
		memcpy(tmp, s + 1, hlen - 2);
		tmp[hlen - 2] = '\0';
		return mxspf_addr_parse(tmp, &a) == 0 && a.family == 6 ?
		    0 : -1;
	}
	/* A host name, an IPv4 address or "*" (every address). */
	if (hlen == 1 && s[0] == '*')
		return 0;
	return conf_host_ok(s, hlen) ? 0 : -1;
}

/* conf_strv_add - append a copy of p[0..len) to a string vector */
static int
conf_strv_add(char ***v, size_t *n, const char *p, size_t len)
{
	char **nv, *s;

	if (*n >= CONF_MAX_LIST)
		return MXSPF_ELIMIT;
	if ((s = mxspf__memdup(p, len)) == NULL)
		return MXSPF_ENOMEM;
	nv = mxspf__realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return MXSPF_ENOMEM;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* conf_list_item - add one item of a list key */
static int
conf_list_item(struct conf_load *ld, const struct conf_key *k, void *base,
    const char *p, size_t len)
{
	struct mxspf_conf *c = ld->c;
	char item[CONF_MAX_ITEM + 1], norm[MXSPF_MAX_NAME + 1];
	char echo[CONF_ECHO * 4 + 8];
	struct mxspf_addr a, *na;
	int rc = 0;

	if (len > CONF_MAX_ITEM)
		return conf_fail(ld, MXSPF_ESYNTAX, "%s: item longer than %d "
		    "bytes", k->name, CONF_MAX_ITEM);
	memcpy(item, p, len);
	item[len] = '\0';
	conf_echo(echo, sizeof(echo), item);
	switch (k->type) {
	case K_NAMES:
		if (!conf_domain_norm(item, len, norm))
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "a host name", k->name, echo);
		rc = conf_strv_add(&c->own_names, &c->n_own_names, norm,
		    strlen(norm));
		break;
	case K_ADDRS:
		if (mxspf_addr_parse(item, &a) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "an IP address", k->name, echo);
		if (c->n_own_addrs >= CONF_MAX_LIST) {
			rc = MXSPF_ELIMIT;
			break;
		}
		na = mxspf__realloc(c->own_addrs,
		    (c->n_own_addrs + 1) * sizeof(*na));
		if (na == NULL)
			return conf_fail(ld, MXSPF_ENOMEM, "out of memory");
		na[c->n_own_addrs++] = a;
		c->own_addrs = na;
		break;
	case K_FWDS:
		if (conf_dnsaddr_ok(item, len) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "ADDR or ADDR@PORT", k->name, echo);
		rc = conf_strv_add(&c->forwarders, &c->nforwarders, item,
		    len);
		break;
	case K_LISTEN:
		if (conf_listen_ok(item, len) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "unix:/PATH, inet:HOST:PORT or stdio", k->name,
			    echo);
		if (c->nlisten >= CONF_MAX_LISTEN)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: more than %d "
			    "listeners", k->name, CONF_MAX_LISTEN);
		rc = conf_strv_add(&c->listen, &c->nlisten, item, len);
		ld->listen_line = ld->ini.lineno;
		break;
	default:
		return conf_fail(ld, MXSPF_EINVAL, "%s: not a list", k->name);
	}
	(void)base;
	if (rc == MXSPF_ELIMIT)
		return conf_fail(ld, MXSPF_ESYNTAX, "%s: more than %d items",
		    k->name, CONF_MAX_LIST);
	if (rc != 0)
		return conf_fail(ld, MXSPF_ENOMEM, "out of memory");
	return 1;
}

/* conf_list_clear - empty a list key (its first occurrence replaces the
 * default) */
static void
conf_list_clear(struct mxspf_conf *c, const struct conf_key *k, void *base)
{
	size_t i;

	(void)base;
	switch (k->type) {
	case K_LISTEN:
		for (i = 0; i < c->nlisten; i++)
			free(c->listen[i]);
		c->nlisten = 0;
		break;
	default:
		break;
	}
}

/* conf_list - a list value: items separated by blanks or commas */
static int
conf_list(struct conf_load *ld, const struct conf_key *k, void *base,
    bool first, const char *value)
{
	struct mxspf_netlist **slot, *nl;
	char msg[256];
	const char *p;
	size_t n;
	int rc;

	if (k->type == K_NETS) {
		/* The list parses its own syntax; a failed add adds nothing. */
		slot = (struct mxspf_netlist **)((char *)base + k->off);
		if (first && k->sect == S_POLICY) {
			/* Replace the default (exempt: loopback). */
			if (mxspf_netlist_new(&nl) != 0)
				return conf_fail(ld, MXSPF_ENOMEM,
				    "out of memory");
			mxspf_netlist_free(*slot);
			*slot = nl;
		} else if (*slot == NULL && mxspf_netlist_new(slot) != 0) {
			return conf_fail(ld, MXSPF_ENOMEM, "out of memory");
		}
		msg[0] = '\0';
		rc = mxspf_netlist_add(*slot, value, msg, sizeof(msg));
		if (rc == MXSPF_ENOMEM)
			return conf_fail(ld, rc, "out of memory");
		if (rc != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: %s", k->name,
			    msg[0] != '\0' ? msg : "not a list of networks");
		return 1;
	}
	if (first)
		conf_list_clear(ld->c, k, base);
	for (p = value; *p != '\0'; p += n) {
		p += strspn(p, " \t,");
		if ((n = strcspn(p, " \t,")) == 0)
			break;
		if (conf_list_item(ld, k, base, p, n) == 0)
			return 0;
	}
	return 1;
}

/* conf_scalar - a key with one value: flags, names of choices, numbers,
 * times; strings go to conf_string */
static int
conf_scalar(struct conf_load *ld, const struct conf_key *k, void *base,
    const char *value)
{
	char echo[CONF_ECHO * 4 + 8];
	void *f = (char *)base + k->off;
	unsigned long long t;
	uint64_t u;
	bool b;

	conf_echo(echo, sizeof(echo), value);
	switch (k->type) {
	case K_BOOL:
		if (conf_bool(value, &b) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "yes or no", k->name, echo);
		*(bool *)f = b;
		return 1;
	case K_ACT:
		if (mxspf_policy_act_parse(value,
		    (enum mxspf_policy_act *)f) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "accept, reject or defer", k->name, echo);
		return 1;
	case K_MODE:
		if (mxspf_trust_mode_parse(value,
		    (enum mxspf_trust_mode *)f) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "preference, any or off", k->name, echo);
		return 1;
	case K_HEADER:
		if (strcasecmp(value, "received-spf") == 0)
			*(enum mxspf_header_kind *)f = MXSPF_HDR_RECEIVED_SPF;
		else if (strcasecmp(value, "authentication-results") == 0)
			*(enum mxspf_header_kind *)f = MXSPF_HDR_AUTH_RESULTS;
		else if (strcasecmp(value, "none") == 0)
			*(enum mxspf_header_kind *)f = MXSPF_HDR_NONE;
		else
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "received-spf, authentication-results or none",
			    k->name, echo);
		return 1;
	case K_SIZE:
	case K_UINT:
		if (mxspf__parse_uint(value, strlen(value), k->max, &u) != 0 ||
		    u < k->min)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "number from %llu to %llu", k->name, echo, k->min,
			    k->max);
		if (k->type == K_SIZE)
			*(size_t *)f = (size_t)u;
		else
			*(unsigned *)f = (unsigned)u;
		return 1;
	case K_MS:
	case K_SEC:
		if (conf_time(value, k->type == K_MS, &t) != 0 ||
		    t < k->min || t > k->max)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "time from %llu%s to %llu%s (a number with "
			    "an optional unit: %ss, s, m, h)", k->name, echo,
			    k->min, k->type == K_MS ? "ms" : "s", k->max,
			    k->type == K_MS ? "ms" : "s",
			    k->type == K_MS ? "m" : "");
		*(unsigned *)f = (unsigned)t;
		return 1;
	default:
		return conf_string(ld, k, (char **)f, value, echo);
	}
}

/* conf_user_ok - a user or group name: 1..CONF_MAX_USER bytes of
 * letters, digits, '-', '_', '.', not starting with '-' */
static bool
conf_user_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CONF_MAX_USER || s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.'))
			return false;
	}
	return true;
}

/* conf_printable - no byte below 0x20 nor DEL; with ascii, none above
 * 0x7e either */
static bool
conf_printable(const char *s, size_t len, bool ascii)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || (ascii && ch > 0x7e))
			return false;
	}
	return true;
}

/* conf_string - a key whose value is kept as a string in *f (default_exp
 * in spf.default_exp): checked, then copied */
static int
conf_string(struct conf_load *ld, const struct conf_key *k, char **f,
    const char *value, const char *echo)
{
	char norm[MXSPF_MAX_NAME + 1];
	size_t i, n, len = strlen(value), bad;
	const char *why, *store = value;

	switch (k->type) {
	case K_HOST:
		if (!conf_host_ok(value, len))
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "host name", k->name, echo);
		break;
	case K_EXP:
		if (len == 0 || len > MXSPF_MAX_EXPLANATION ||
		    mxspf__macro_check(value, len, MXSPF_MACRO_EXP, &bad,
		    &why) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "an explanation macro-string of 1 to %d bytes",
			    k->name, echo, MXSPF_MAX_EXPLANATION);
		if (!conf_printable(value, len, true))
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: only "
			    "printable ASCII is allowed", k->name);
		f = (char **)&ld->c->spf.default_exp;
		break;
	case K_PATH:
		if (len == 0 && k->min > 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: empty file "
			    "name", k->name);
		if (!conf_printable(value, len, false) || len > 4096)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "file name", k->name, echo);
		break;
	case K_USER:
		if (!conf_user_ok(value, len))
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "user or group name", k->name, echo);
		break;
	case K_FACILITY:
		n = sizeof(facility_names) / sizeof(facility_names[0]);
		for (i = 0; i < n; i++)
			if (strcasecmp(value, facility_names[i]) == 0)
				break;
		if (i == n)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "mail, daemon, user, local0 to local7 or none",
			    k->name, echo);
		store = facility_names[i];
		break;
	case K_DNSADDR:
		if (conf_dnsaddr_ok(value, len) != 0)
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "ADDR or ADDR@PORT", k->name, echo);
		ld->stub_addr_line = ld->ini.lineno;
		break;
	case K_ZONE:
		if (strcmp(value, ".") != 0 &&
		    !conf_domain_norm(value, len, norm))
			return conf_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "domain name", k->name, echo);
		ld->stub_zone_line = ld->ini.lineno;
		break;
	default:
		return conf_fail(ld, MXSPF_EINVAL, "%s: not a scalar",
		    k->name);
	}
	if (conf_strset(f, store) != 0)
		return conf_fail(ld, MXSPF_ENOMEM, "out of memory");
	return 1;
}

/* conf_field_size - the size of a scalar field of type t */
static size_t
conf_field_size(enum conf_type t)
{
	switch (t) {
	case K_BOOL:
		return sizeof(bool);
	case K_ACT:
		return sizeof(enum mxspf_policy_act);
	case K_MODE:
		return sizeof(enum mxspf_trust_mode);
	default:
		return 0;
	}
}

/* conf_dom_cmp - order domains by name (qsort, bsearch) */
static int
conf_dom_cmp(const void *a, const void *b)
{
	const struct mxspf_domain_conf *x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

/* conf_domain_get - the index of [domain NAME], added when new; 0,
 * MXSPF_ESYNTAX (not a domain name) or MXSPF_ENOMEM */
static int
conf_domain_get(struct conf_load *ld, const char *name, size_t len,
    size_t *idx)
{
	struct mxspf_conf *c = ld->c;
	char norm[MXSPF_MAX_NAME + 1];
	struct mxspf_domain_conf *nd, *d;
	uint64_t *ns;
	size_t i;

	if (!conf_domain_norm(name, len, norm))
		return MXSPF_ESYNTAX;
	for (i = 0; i < c->ndomains; i++) {
		if (strcmp(c->domains[i].domain, norm) == 0) {
			*idx = i;
			return 0;
		}
	}
	if (c->ndomains >= ld->dcap) {
		size_t ncap = ld->dcap ? ld->dcap * 2 : 8;

		if ((ns = mxspf__realloc(ld->dset, ncap * sizeof(*ns))) ==
		    NULL)
			return MXSPF_ENOMEM;
		ld->dset = ns;
		ld->dcap = ncap;
	}
	nd = mxspf__realloc(c->domains, (c->ndomains + 1) * sizeof(*nd));
	if (nd == NULL)
		return MXSPF_ENOMEM;
	c->domains = nd;
	d = &nd[c->ndomains];
	memset(d, 0, sizeof(*d));
	if ((d->domain = mxspf__strdup(norm)) == NULL)
		return MXSPF_ENOMEM;
	if (mxspf_netlist_new(&d->relays) != 0) {
		free(d->domain);
		return MXSPF_ENOMEM;
	}
	ld->dset[c->ndomains] = 0;
	*idx = c->ndomains++;
	return 0;
}

/* conf_section - which section a name is; for [domain NAME] the index */
static int
conf_section(struct conf_load *ld, const char *section,
    enum conf_sect *sect, size_t *dom)
{
	char echo[CONF_ECHO * 4 + 8];
	const char *p;
	int rc;

	if (strcasecmp(section, "policy") == 0)
		*sect = S_POLICY;
	else if (strcasecmp(section, "spf") == 0)
		*sect = S_SPF;
	else if (strcasecmp(section, "resolver") == 0)
		*sect = S_RESOLVER;
	else if (strcasecmp(section, "mxspfd") == 0)
		*sect = S_MXSPFD;
	else if (strcasecmp(section, "milter") == 0)
		*sect = S_MILTER;
	else if (strncasecmp(section, "domain", 6) == 0 &&
	    (section[6] == ' ' || section[6] == '\t')) {
		*sect = S_DOMAIN;
		p = section + 6;
		p += strspn(p, " \t");
		rc = conf_domain_get(ld, p, strlen(p), dom);
		if (rc == MXSPF_ENOMEM)
			return conf_fail(ld, rc, "out of memory");
		if (rc != 0) {
			conf_echo(echo, sizeof(echo), p);
			return conf_fail(ld, MXSPF_ESYNTAX, "[domain %s]: not "
			    "a domain name", echo);
		}
	} else {
		conf_echo(echo, sizeof(echo), section);
		if (section[0] == '\0')
			return conf_fail(ld, MXSPF_ESYNTAX, "a key before the "
			    "first [section]");
		return conf_fail(ld, MXSPF_ESYNTAX, "unknown section [%s] "
		    "(policy, spf, resolver, mxspfd, milter, domain NAME)",
		    echo);
	}
	return 1;
}

/* conf_handler - inih's callback: one name = value */
static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_load *ld = user;
	char echo[CONF_ECHO * 4 + 8];
	enum conf_sect sect;
	const struct conf_key *k = NULL;
	uint64_t *set;
	void *base;
	size_t i, dom = 0, idx = 0;
	bool first;

	if (ld->ini.err != 0)
		return 0;	/* only the first error is reported */
	if (ld->last_sect[0] != '\0' && strcmp(ld->last_sect, section) == 0) {
		/* Most keys come right after their section's header. */
		sect = ld->last_kind;
		dom = ld->last_dom;
	} else {
		if (conf_section(ld, section, &sect, &dom) == 0)
			return 0;
		(void)snprintf(ld->last_sect, sizeof(ld->last_sect), "%s",
		    section);
		ld->last_kind = sect;
		ld->last_dom = dom;
	}
	if (sect == S_MILTER)
		return 1;	/* mxspf-milter(8) reads this section */
	for (i = 0; i < KEY_COUNT; i++) {
		if (key_table[i].sect == sect &&
		    strcasecmp(key_table[i].name, name) == 0) {
			k = &key_table[i];
			break;
		}
	}
	if (k == NULL) {
		conf_echo(echo, sizeof(echo), name);
		return conf_fail(ld, MXSPF_ESYNTAX, "unknown key '%s' in "
		    "[%s]", echo, sect == S_DOMAIN ? "domain" : section);
	}
	/* The bit of this key among its section's keys. */
	for (idx = 0; &key_table[idx] != k; )
		idx++;
	set = sect == S_DOMAIN ? &ld->dset[dom] : &ld->set[sect];
	first = (*set & ((uint64_t)1 << idx)) == 0;
	if (!first && !k->list)
		return conf_fail(ld, MXSPF_ESYNTAX, "%s given twice (or "
		    "continued on an indented line)", k->name);
	*set |= (uint64_t)1 << idx;
	base = sect == S_DOMAIN ? (void *)&ld->c->domains[dom] :
	    (void *)ld->c;
	if (k->list)
		return conf_list(ld, k, base, first, value);
	return conf_scalar(ld, k, base, value);
}

/* conf_finish - checks across keys, per-domain defaults, sorting */
static int
conf_finish(struct conf_load *ld)
{
	struct mxspf_conf *c = ld->c;
	size_t i, j;

	if ((c->stub_zone == NULL) != (c->stub_addr == NULL)) {
		ld->ini.lineno = c->stub_zone != NULL ? ld->stub_zone_line :
		    ld->stub_addr_line;
		return conf_fail(ld, MXSPF_ESYNTAX, "stub_zone and stub_addr "
		    "go together");
	}
	for (i = 0; i < c->nlisten && c->nlisten > 1; i++) {
		if (strcmp(c->listen[i], "stdio") == 0) {
			ld->ini.lineno = ld->listen_line;
			return conf_fail(ld, MXSPF_ESYNTAX, "listen: stdio "
			    "cannot be combined with other listeners");
		}
	}
	/* A domain starts from [policy] wherever its section is: keep what
	 * its section set, take the rest from [policy]. */
	for (i = 0; i < c->ndomains; i++) {
		struct mxspf_domain_conf *d = &c->domains[i];
		struct mxspf_domain_conf saved = *d;

		d->policy = c->policy;
		d->trust_mode = c->trust_mode;
		for (j = 0; j < KEY_COUNT; j++) {
			const struct conf_key *key = &key_table[j];

			if (key->sect != S_DOMAIN || key->list ||
			    (ld->dset[i] & ((uint64_t)1 << j)) == 0)
				continue;
			memcpy((char *)d + key->off, (char *)&saved + key->off,
			    conf_field_size(key->type));
		}
	}
	if (c->ndomains > 1)
		qsort(c->domains, c->ndomains, sizeof(c->domains[0]),
		    conf_dom_cmp);
	c->spf.receiver = c->receiver;
	return 1;
}

int
mxspf_conf_load(struct mxspf_conf *c, const char *path, char *err,
    size_t errlen)
{
	struct conf_load ld;

	if (c == NULL || path == NULL)
		return MXSPF_EINVAL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (c->ndomains > 0) {
		/* A second file: its [domain] bookkeeping would not match. */
		if (err != NULL && errlen > 0)
			(void)snprintf(err, errlen, "%s: a configuration is "
			    "loaded only once", path);
		return MXSPF_ESTATE;
	}
	memset(&ld, 0, sizeof(ld));
	ld.c = c;
	if (mxspf__ini_run(&ld.ini, path, conf_handler, &ld) == 0)
		(void)conf_finish(&ld);
	free(ld.dset);
	return mxspf__ini_end(&ld.ini, err, errlen);
}

const struct mxspf_domain_conf *
mxspf_conf_domain(const struct mxspf_conf *c, const char *domain)
{
	struct mxspf_domain_conf key;
	char norm[MXSPF_MAX_NAME + 1];
	size_t i, len;

	if (c == NULL || domain == NULL || c->ndomains == 0)
		return NULL;
	len = strlen(domain);
	if (len > 1 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > MXSPF_MAX_NAME)
		return NULL;
	for (i = 0; i < len; i++)
		norm[i] = (char)mxspf__ascii_lower((unsigned char)domain[i]);
	norm[len] = '\0';
	key.domain = norm;
	return bsearch(&key, c->domains, c->ndomains, sizeof(c->domains[0]),
	    conf_dom_cmp);
}

/* conf_domain_free - release one domain's overrides */
static void
conf_domain_free(struct mxspf_domain_conf *d)
{
	free(d->domain);
	mxspf_netlist_free(d->relays);
}

void
mxspf_conf_free(struct mxspf_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	mxspf_netlist_free(c->exempt);
	mxspf_netlist_free(c->relays);
	for (i = 0; i < c->n_own_names; i++)
		free(c->own_names[i]);
	free(c->own_names);
	free(c->own_addrs);
	for (i = 0; i < c->ndomains; i++)
		conf_domain_free(&c->domains[i]);
	free(c->domains);
	free(c->authserv_id);
	free(c->receiver);
	free((char *)c->spf.default_exp);
	free(c->resolvconf);
	for (i = 0; i < c->nforwarders; i++)
		free(c->forwarders[i]);
	free(c->forwarders);
	free(c->stub_zone);
	free(c->stub_addr);
	free(c->trust_anchor_file);
	for (i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	free(c->listen);
	free(c->user);
	free(c->group);
	free(c->syslog_facility);
	free(c);
}
