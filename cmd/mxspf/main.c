/* cmd/mxspf/main.c - the mxspf command: dispatch and command-line parsing.
 * Owns: the option table, the usage and help texts, the checks that turn
 * a bad command line into exit code 64 before anything else runs.  Must
 * not: evaluate, resolve or print results (check.c and batch.c do).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"

/* Which commands accept an option. */
#define MODE_CHECK 0x1
#define MODE_BATCH 0x2
#define MODE_BOTH (MODE_CHECK | MODE_BATCH)

enum opt_id {
	OPT_IP,
	OPT_SENDER,
	OPT_HELO,
	OPT_ZONE,
	OPT_RESOLVER,
	OPT_EXPLAIN,
	OPT_DEFAULT_EXP,
	OPT_IDENTITY,
	OPT_RECEIVER,
	OPT_AUTHSERV_ID,
	OPT_TIMEOUT,
	OPT_NO_SPECULATIVE,
	OPT_CONCURRENCY,
	OPT_BATCH
};

struct opt_def {
	const char *name;	/* without the leading "--" */
	enum opt_id id;
	bool has_arg;
	unsigned modes;		/* MODE_* that accept it */
};

static const struct opt_def opt_table[] = {
	{ "ip", OPT_IP, true, MODE_CHECK },
	{ "sender", OPT_SENDER, true, MODE_CHECK },
	{ "helo", OPT_HELO, true, MODE_CHECK },
	{ "zone", OPT_ZONE, true, MODE_BOTH },
	{ "resolver", OPT_RESOLVER, true, MODE_BOTH },
	{ "explain", OPT_EXPLAIN, false, MODE_CHECK },
	{ "default-exp", OPT_DEFAULT_EXP, true, MODE_BOTH },
	{ "identity", OPT_IDENTITY, true, MODE_BOTH },
	{ "receiver", OPT_RECEIVER, true, MODE_BOTH },
	{ "authserv-id", OPT_AUTHSERV_ID, true, MODE_CHECK },
	{ "timeout", OPT_TIMEOUT, true, MODE_BOTH },
	{ "no-speculative", OPT_NO_SPECULATIVE, false, MODE_BOTH },
	{ "concurrency", OPT_CONCURRENCY, true, MODE_BATCH },
	{ "batch", OPT_BATCH, false, MODE_CHECK },
};

#define OPT_COUNT (sizeof(opt_table) / sizeof(opt_table[0]))

static const char usage_text[] =
    "usage: mxspf check --ip IP --sender ADDR --helo NAME [options]\n"
    "       mxspf batch [options] < input\n"
    "       mxspf check --batch [options] < input\n"
    "       mxspf trust --domain D [--client IP] [--server-address IP] "
    "[options]\n"
    "       mxspf migrate-config [FILE|-]\n"
    "       mxspf help\n"
    "       mxspf --version\n";

static const char help_text[] =
    "\n"
    "Evaluate SPF (RFC 7208) for a client IP, MAIL FROM and HELO.\n"
    "\n"
    "DNS source (default: the resolvers of /etc/resolv.conf):\n"
    "  --zone FILE             answer from the zonedata of the first\n"
    "                          document of a YAML file (openspf suite "
    "format)\n"
    "  --resolver ADDR[@PORT]  forward queries to this resolver "
    "(repeatable)\n"
    "\n"
    "Evaluation:\n"
    "  --identity mailfrom|helo\n"
    "                          identity to check (default mailfrom)\n"
    "  --receiver NAME         this host's name, for %{r} and the headers\n"
    "                          (default: the host name)\n"
    "  --default-exp TEXT      explanation when the domain gives none\n"
    "  --timeout SECONDS       deadline of one evaluation (default 20)\n"
    "  --no-speculative        do not prefetch the queries of later terms\n"
    "\n"
    "check only:\n"
    "  --explain               add the evaluation trace and the counts\n"
    "  --authserv-id NAME      authserv-id of Authentication-Results\n"
    "                          (default: the receiver)\n"
    "  --batch                 run as the batch command\n"
    "\n"
    "batch only (input lines: IP<TAB>SENDER<TAB>HELO):\n"
    "  --concurrency N         evaluations in flight (default 256)\n"
    "\n"
    "trust (the MX trust set of a domain, as mxspfd computes it):\n"
    "  --domain D --client IP --server-address IP --mode preference|any|off\n"
    "  --own-name N --own-addr IP --config FILE (mxspfd.conf) --zone FILE\n"
    "  --resolver ADDR[@PORT] --timeout SECONDS; exit 0 trusted, 1 not,\n"
    "  2 DNS failure\n"
    "\n"
    "migrate-config [FILE|-] (policyd-spf's configuration, by default\n"
    "  " MIGRATE_DEFAULT_PATH ",\n"
    "  printed as an mxspfd.conf; '-' reads the standard input): exit 0\n"
    "  converted, 1 unreadable or not a policyd-spf configuration\n"
    "\n"
    "Exit status of check: 0 pass, 1 fail, 2 softfail, 3 neutral, 4 none,\n"
    "5 temperror, 6 permerror; 64 usage, 69 setup, 70 internal, 74 I/O.\n"
    "See mxspf(1).\n";

static const struct opt_def *opt_find(const char *name, size_t len);
static int parse_count(const char *s, unsigned long max,
    unsigned long *out);
static int opt_set_once(const char **slot, const char *val,
    const char *name);
static int opt_apply(struct cli_opts *o, const struct opt_def *d,
    const char *val, const char ***resolvers, int argc);
static int opts_parse(struct cli_opts *o, int argc, char **argv,
    unsigned *given);
static int opts_check(const struct cli_opts *o, unsigned mode,
    const unsigned *given);
static int migrate_args(int argc, char **argv);

int
cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("mxspf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	fputs("Try 'mxspf help'.\n", stderr);
	return CLI_EXIT_USAGE;
}

/* opt_find - the option named name[0..len), or NULL */
static const struct opt_def *
opt_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < OPT_COUNT; i++) {
		if (strlen(opt_table[i].name) == len &&
		    memcmp(opt_table[i].name, name, len) == 0)
			return &opt_table[i];
	}
	return NULL;
}

/* parse_count - a decimal number 1..max with nothing else; 0 or -1 */
static int
parse_count(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}

/* opt_set_once - store a string option that may be given only once */
static int
opt_set_once(const char **slot, const char *val, const char *name)
{
	if (*slot != NULL)
		return cli_usage("option --%s given twice", name);
	*slot = val;
	return 0;
}

/* opt_apply - store the value of one option; 0 or an exit code */
static int
opt_apply(struct cli_opts *o, const struct opt_def *d, const char *val,
    const char ***resolvers, int argc)
{
	unsigned long n;

	switch (d->id) {
	case OPT_IP:
		return opt_set_once(&o->ip, val, d->name);
	case OPT_SENDER:
		return opt_set_once(&o->sender, val, d->name);
	case OPT_HELO:
		return opt_set_once(&o->helo, val, d->name);
	case OPT_ZONE:
		return opt_set_once(&o->zone, val, d->name);
	case OPT_DEFAULT_EXP:
		return opt_set_once(&o->default_exp, val, d->name);
	case OPT_RECEIVER:
		return opt_set_once(&o->receiver, val, d->name);
	case OPT_AUTHSERV_ID:
		return opt_set_once(&o->authserv_id, val, d->name);
	case OPT_RESOLVER:
		if (*resolvers == NULL) {
			*resolvers = calloc((size_t)argc, sizeof(char *));
			if (*resolvers == NULL) {
				fputs("mxspf: out of memory\n", stderr);
				return CLI_EXIT_INTERNAL;
			}
			o->resolvers = *resolvers;
		}
		if (val[0] == '\0')
			return cli_usage("empty --%s", d->name);
		(*resolvers)[o->nresolvers++] = val;
		return 0;
	case OPT_EXPLAIN:
		o->explain = true;
		return 0;
	case OPT_NO_SPECULATIVE:
		o->no_speculative = true;
		return 0;
	case OPT_BATCH:
		o->batch = true;
		return 0;
	case OPT_IDENTITY:
		if (strcmp(val, "mailfrom") == 0)
			o->identity = MXSPF_ID_MAILFROM;
		else if (strcmp(val, "helo") == 0)
			o->identity = MXSPF_ID_HELO;
		else
			return cli_usage("--identity must be mailfrom or "
			    "helo, not '%s'", val);
		return 0;
	case OPT_TIMEOUT:
		if (parse_count(val, CLI_MAX_TIMEOUT, &n) != 0)
			return cli_usage("--timeout needs a number of "
			    "seconds from 1 to 86400, not '%s'", val);
		o->timeout = (unsigned)n;
		return 0;
	case OPT_CONCURRENCY:
		if (parse_count(val, CLI_MAX_CONCURRENCY, &n) != 0)
			return cli_usage("--concurrency needs a number from "
			    "1 to 65536, not '%s'", val);
		o->concurrency = (size_t)n;
		return 0;
	}
	return cli_usage("unhandled option --%s", d->name);
}

/* opts_parse - parse argv[0..argc) (after the command word) into o;
 * given receives a bit per option seen; 0 or an exit code */
static int
opts_parse(struct cli_opts *o, int argc, char **argv, unsigned *given)
{
	const char **resolvers = NULL;
	const struct opt_def *d;
	const char *arg, *eq, *val;
	int i, rc;

	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return cli_usage("unexpected argument '%s'", arg);
		eq = strchr(arg + 2, '=');
		d = opt_find(arg + 2,
		    eq != NULL ? (size_t)(eq - (arg + 2)) : strlen(arg + 2));
		if (d == NULL)
			return cli_usage("unknown option '%s'", arg);
		val = NULL;
		if (d->has_arg && eq != NULL)
			val = eq + 1;
		else if (d->has_arg && i + 1 < argc)
			val = argv[++i];
		else if (d->has_arg)
			return cli_usage("option --%s needs a value",
			    d->name);
		else if (eq != NULL)
			return cli_usage("option --%s takes no value",
			    d->name);
		*given |= 1u << d->id;
		if ((rc = opt_apply(o, d, val, &resolvers, argc)) != 0)
			return rc;
	}
	return 0;
}

/* opts_check - reject options the command does not take and missing
 * required ones; 0 or an exit code */
static int
opts_check(const struct cli_opts *o, unsigned mode, const unsigned *given)
{
	size_t i;

	for (i = 0; i < OPT_COUNT; i++) {
		if ((*given & (1u << opt_table[i].id)) != 0 &&
		    (opt_table[i].modes & mode) == 0)
			return cli_usage(mode == MODE_BATCH ?
			    "option --%s is not used in batch mode" :
			    "option --%s is only used in batch mode",
			    opt_table[i].name);
	}
	if (o->zone != NULL && o->nresolvers > 0)
		return cli_usage("%s", "--zone and --resolver exclude each "
		    "other");
	if (mode == MODE_CHECK) {
		if (o->ip == NULL)
			return cli_usage("%s", "check needs --ip");
		if (o->sender == NULL)
			return cli_usage("%s", "check needs --sender (it "
			    "may be empty: --sender '')");
		if (o->helo == NULL)
			return cli_usage("%s", "check needs --helo");
	}
	return 0;
}

/* migrate_args - the command line of migrate-config (after the command
 * word): at most one FILE, "-" for the standard input; then the command */
static int
migrate_args(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("unexpected argument '%s'", argv[1]);
	if (argc == 1 && argv[0][0] == '-' && argv[0][1] != '\0')
		return cli_usage("unknown option '%s' (migrate-config takes "
		    "a FILE, or - for the standard input)", argv[0]);
	if (argc == 1 && argv[0][0] == '\0')
		return cli_usage("%s", "empty FILE for migrate-config");
	return migrate_command(argc == 1 ? argv[0] : MIGRATE_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
	struct cli_opts o;
	unsigned given = 0, mode;
	const char *cmd;
	int rc;

	if (argc < 2)
		return cli_usage("%s", "no command given");
	cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		if (argc > 2)
			return cli_usage("unexpected argument '%s'",
			    argv[2]);
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_IO;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		if (argc > 2)
			return cli_usage("unexpected argument '%s'",
			    argv[2]);
		printf("mxspf %s\n", MXSPF_VERSION);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_IO;
	}
	if (strcmp(cmd, "trust") == 0)
		return cli_trust(argc - 2, argv + 2);
	if (strcmp(cmd, "migrate-config") == 0)
		return migrate_args(argc - 2, argv + 2);
	memset(&o, 0, sizeof(o));
	o.identity = MXSPF_ID_MAILFROM;
	o.timeout = CLI_DEFAULT_TIMEOUT;
	o.concurrency = CLI_DEFAULT_CONCURRENCY;
	if (strcmp(cmd, "check") == 0)
		mode = MODE_CHECK;
	else if (strcmp(cmd, "batch") == 0)
		mode = MODE_BATCH;
	else
		return cli_usage("unknown command '%s'", cmd);
	rc = opts_parse(&o, argc - 2, argv + 2, &given);
	if (rc == 0 && o.batch) {
		/* "check --batch" is the batch command. */
		given &= ~(1u << OPT_BATCH);
		mode = MODE_BATCH;
	}
	if (rc == 0)
		rc = opts_check(&o, mode, &given);
	if (rc == 0)
		rc = mode == MODE_BATCH ? cli_batch(&o) : cli_check(&o);
	free(o.resolvers);
	return rc;
}
