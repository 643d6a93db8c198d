/* cmd/mxspf-milter/config.c - the [milter] section (libinih).
 *
 * Owns: the [milter] key table, its defaults and value checks.  The file
 * is read by the library's strict INI reader (lib/inifile.c, shared with
 * lib/conf.c), so every error names its line, and a line longer than
 * inih's buffer (which inih would split, parsing the tail as a new line)
 * or a NUL byte is an error rather than a silent change.  Keys of other sections are not looked at: main.c
 * hands the same file to mxspf_conf_load() for those.
 *
 * Keys (section [milter]):
 *	socket = unix:/run/mxspf/milter.sock | inet:PORT@HOST | ...
 *	user = NAME, group = NAME
 *	rcpt_checks = yes | no
 *	recheck_fail, recheck_softfail, recheck_neutral, recheck_none,
 *	recheck_permerror, recheck_temperror = tag | quarantine | reject
 *	max_headers = N, max_header_bytes = N, max_hops = N
 *	syslog_facility = mail | daemon | user | local0..7 | none
 *	log_stderr = yes | no
 *	stats_interval = SECONDS
 *
 * Must not: keep state between calls, echo more than CONF_ECHO bytes of a
 * bad value, or leave mc half-changed by a key it rejected.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "inifile.h"
#include "internal.h"

#define CONF_ECHO 60			/* bytes of a bad value quoted */
#define CONF_MSG_MAX 512		/* one error message */
#define CONF_MAX_NAME 64		/* user and group names */
#define CONF_MAX_SUN_PATH 107		/* sizeof(sun_path) - 1 on Linux */
#define CONF_SECTION "milter"

/* Value types of the keys. */
enum ktype {
	K_SOCKET,
	K_USER,
	K_BOOL,
	K_ACT,
	K_SIZE,
	K_FACILITY
};

/* One key of [milter]. */
struct key {
	const char *name;
	enum ktype type;
	size_t off;			/* in struct milter_conf */
	unsigned long long min, max;	/* K_SIZE */
};

#define MO(f) offsetof(struct milter_conf, f)
#define RO(r) (MO(recheck) + (r) * sizeof(enum milter_act))

static const struct key keys[] = {
	{ "socket", K_SOCKET, MO(socket), 0, 0 },
	{ "user", K_USER, MO(user), 0, 0 },
	{ "group", K_USER, MO(group), 0, 0 },
	{ "rcpt_checks", K_BOOL, MO(rcpt_checks), 0, 0 },
	{ "recheck_fail", K_ACT, RO(MXSPF_FAIL), 0, 0 },
	{ "recheck_softfail", K_ACT, RO(MXSPF_SOFTFAIL), 0, 0 },
	{ "recheck_neutral", K_ACT, RO(MXSPF_NEUTRAL), 0, 0 },
	{ "recheck_none", K_ACT, RO(MXSPF_NONE), 0, 0 },
	{ "recheck_permerror", K_ACT, RO(MXSPF_PERMERROR), 0, 0 },
	{ "recheck_temperror", K_ACT, RO(MXSPF_TEMPERROR), 0, 0 },
	{ "max_headers", K_SIZE, MO(max_headers), 1, MILTER_MAX_MAX_HEADERS },
	{ "max_header_bytes", K_SIZE, MO(max_header_bytes), 1024,
	    MILTER_MAX_MAX_HEADER_BYTES },
	{ "max_hops", K_SIZE, MO(max_hops), 1, MILTER_MAX_MAX_HOPS },
	{ "syslog_facility", K_FACILITY, MO(syslog_facility), 0, 0 },
	{ "log_stderr", K_BOOL, MO(log_stderr), 0, 0 },
	{ "stats_interval", K_SIZE, MO(stats_interval), 0,
	    MILTER_MAX_STATS_INTERVAL },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const facilities[] = {
	"none", "mail", "daemon", "user", "local0", "local1", "local2",
	"local3", "local4", "local5", "local6", "local7"
};

static const char *const act_names[] = { "tag", "quarantine", "reject" };

/* The state of one milter_conf_load(). */
struct load {
	struct milter_conf *mc;
	struct mxspf__ini ini;	/* the file, its line, the first error */
	bool seen[NKEYS];
};

static int load_fail(struct load *ld, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void echo(char *out, size_t outlen, const char *s);
static int parse_bool(const char *v, bool *out);
static bool name_ok(const char *s);
static int set_string(char **slot, const char *value);
static int set_key(struct load *ld, const struct key *k, const char *value);
static int handler(void *user, const char *section, const char *name,
    const char *value);

int
milter_conf_init(struct milter_conf *mc)
{
	size_t i;

	memset(mc, 0, sizeof(*mc));
	mc->rcpt_checks = true;
	for (i = 0; i < MILTER_NRESULTS; i++)
		mc->recheck[i] = MILTER_ACT_TAG;
	mc->max_headers = MILTER_DEFAULT_MAX_HEADERS;
	mc->max_header_bytes = MILTER_DEFAULT_MAX_HEADER_BYTES;
	mc->max_hops = MILTER_DEFAULT_MAX_HOPS;
	mc->stats_interval = MILTER_DEFAULT_STATS_INTERVAL;
	if ((mc->socket = strdup(MILTER_DEFAULT_SOCKET)) == NULL ||
	    (mc->syslog_facility = strdup("mail")) == NULL) {
		milter_conf_free(mc);
		return MXSPF_ENOMEM;
	}
	return 0;
}

void
milter_conf_free(struct milter_conf *mc)
{
	free(mc->socket);
	free(mc->user);
	free(mc->group);
	free(mc->syslog_facility);
	mc->socket = mc->user = mc->group = mc->syslog_facility = NULL;
}

const char *
milter_act_name(enum milter_act a)
{
	if ((size_t)a < sizeof(act_names) / sizeof(act_names[0]))
		return act_names[a];
	return "unknown";
}

int
milter_act_parse(const char *name, enum milter_act *out)
{
	size_t i;

	for (i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++) {
		if (strcasecmp(name, act_names[i]) == 0) {
			*out = (enum milter_act)i;
			return 0;
		}
	}
	return -1;
}

/* port_ok - a decimal port 1..65535 in p[0..len) */
static bool
port_ok(const char *p, size_t len)
{
	uint64_t port;

	return mxspf__parse_uint(p, len, 65535, &port) == 0 && port > 0;
}

int
milter_socket_check(const char *spec, char *err, size_t errlen)
{
	const char *p, *at;
	char e[CONF_ECHO + 8];
	size_t i, len = strlen(spec);

	echo(e, sizeof(e), spec);
	if (len > MILTER_MAX_SOCKET) {
		(void)snprintf(err, errlen, "socket '%s' is too long", e);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)spec[i] <= ' ' ||
		    (unsigned char)spec[i] >= 0x7f) {
			(void)snprintf(err, errlen, "socket '%s': a blank or "
			    "a control byte", e);
			return -1;
		}
	}
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		p = strchr(spec, ':') + 1;
		if (p[0] != '/' || strlen(p) > CONF_MAX_SUN_PATH) {
			(void)snprintf(err, errlen, "socket '%s': the path "
			    "must be absolute and at most %d bytes", e,
			    CONF_MAX_SUN_PATH);
			return -1;
		}
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		p = strchr(spec, ':') + 1;
		at = strchr(p, '@');
		if (!port_ok(p, at != NULL ? (size_t)(at - p) : strlen(p)) ||
		    (at != NULL && at[1] == '\0')) {
			(void)snprintf(err, errlen, "socket '%s': not "
			    "inet:PORT@HOST (PORT 1-65535)", e);
			return -1;
		}
		return 0;
	}
	(void)snprintf(err, errlen, "socket '%s': not unix:/PATH, "
	    "local:/PATH, inet:PORT@HOST or inet6:PORT@HOST", e);
	return -1;
}

int
milter_conf_set_socket(struct milter_conf *mc, const char *spec, char *err,
    size_t errlen)
{
	if (milter_socket_check(spec, err, errlen) != 0)
		return -1;
	if (set_string(&mc->socket, spec) != 0) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* load_fail - record the first error (at the current line); returns 0,
 * inih's "stop" */
static int
load_fail(struct load *ld, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mxspf__ini_vfail(&ld->ini, code, fmt, ap);
	va_end(ap);
	return 0;
}

/* echo - a bad value for a message: cut, non-printable bytes as '?' */
static void
echo(char *out, size_t outlen, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < outlen && i < CONF_ECHO; i++)
		out[i] = (unsigned char)s[i] >= ' ' &&
		    (unsigned char)s[i] < 0x7f ? s[i] : '?';
	if (s[i] != '\0' && i + 4 <= outlen) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* parse_bool - yes/no/true/false/on/off/1/0; 0 or -1 */
static int
parse_bool(const char *v, bool *out)
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

/* name_ok - a user or group name: [A-Za-z0-9_.-], not starting with '-',
 * 1..CONF_MAX_NAME bytes */
static bool
name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == '-')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= CONF_MAX_NAME)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '.' || s[i] == '-'))
			return false;
	}
	return true;
}

/* set_string - replace *slot with a copy of value; 0 or -1 */
static int
set_string(char **slot, const char *value)
{
	char *s = strdup(value);

	if (s == NULL)
		return -1;
	free(*slot);
	*slot = s;
	return 0;
}

/* set_key - check value and store it; 1 (inih: go on) or 0 */
static int
set_key(struct load *ld, const struct key *k, const char *value)
{
	char *base = (char *)ld->mc;
	char e[CONF_ECHO + 8], m[CONF_MSG_MAX];
	uint64_t n;
	size_t i;
	bool b;

	echo(e, sizeof(e), value);
	switch (k->type) {
	case K_SOCKET:
		if (milter_socket_check(value, m, sizeof(m)) != 0)
			return load_fail(ld, MXSPF_ESYNTAX, "%s", m);
		break;
	case K_USER:
		if (!name_ok(value))
			return load_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "user or group name", k->name, e);
		break;
	case K_BOOL:
		if (parse_bool(value, &b) != 0)
			return load_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "yes or no", k->name, e);
		*(bool *)(base + k->off) = b;
		return 1;
	case K_ACT:
		if (milter_act_parse(value, (enum milter_act *)(base +
		    k->off)) != 0)
			return load_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not "
			    "tag, quarantine or reject", k->name, e);
		return 1;
	case K_SIZE:
		if (mxspf__parse_uint(value, strlen(value), k->max, &n) != 0 ||
		    n < k->min)
			return load_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "number from %llu to %llu", k->name, e, k->min,
			    k->max);
		*(size_t *)(base + k->off) = (size_t)n;
		return 1;
	case K_FACILITY:
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]);
		    i++)
			if (strcasecmp(value, facilities[i]) == 0)
				break;
		if (i == sizeof(facilities) / sizeof(facilities[0]))
			return load_fail(ld, MXSPF_ESYNTAX, "%s: '%s' is not a "
			    "syslog facility (mail, daemon, user, local0-7) "
			    "or none", k->name, e);
		break;
	}
	if (set_string((char **)(base + k->off), value) != 0)
		return load_fail(ld, MXSPF_ENOMEM, "out of memory");
	return 1;
}

/* handler - inih's callback: one name = value of some section */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	char e[CONF_ECHO + 8];
	size_t i;

	if (ld->ini.err != 0)
		return 0;
	if (strcasecmp(section, CONF_SECTION) != 0) {
		if (section[0] == '\0')
			return load_fail(ld, MXSPF_ESYNTAX, "a key before the "
			    "first [section]");
		return 1;	/* lib/conf.c's */
	}
	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(name, keys[i].name) == 0)
			break;
	echo(e, sizeof(e), name);
	if (i == NKEYS)
		return load_fail(ld, MXSPF_ESYNTAX, "unknown key '%s' in "
		    "[milter]", e);
	if (ld->seen[i])
		return load_fail(ld, MXSPF_ESYNTAX, "%s given twice (or an "
		    "indented line continues it)", keys[i].name);
	ld->seen[i] = true;
	return set_key(ld, &keys[i], value);
}

int
milter_conf_load(struct milter_conf *mc, const char *path, char *err,
    size_t errlen)
{
	struct load ld;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&ld, 0, sizeof(ld));
	ld.mc = mc;
	(void)mxspf__ini_run(&ld.ini, path, handler, &ld);
	return mxspf__ini_end(&ld.ini, err, errlen);
}
