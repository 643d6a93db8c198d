/* cmd/mxspf/trust.c - the trust command: the MX trust set of a domain,
 * exactly as mxspfd computes it (one mxspf_trust lookup of lib/policy.c).
 *
 * Owns: its options (--domain, --server-address, --client, --own-name,
 * --own-addr, --mode, --config, --zone, --resolver, --timeout), the DNS
 * source of a lookup (a zone, synchronously; libunbound, asynchronously so
 * the deadline holds), and the output format (docs/mxspf.1, TRUST
 * OUTPUT): "key: value" lines, one "mx:" block per MX host with its A and
 * AAAA answers, then this server's entry, the client and the verdict.
 * Exit status: 0 trusted (or no --client and no DNS failure), 1 not
 * trusted, 2 DNS failure (cannot tell), 64 usage, 69 setup, 70 internal.
 *
 * Must not: print anything to stdout before the lookup succeeded; print
 * a DNS-derived name unescaped.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/policy.h"
#include "cli.h"

#define TRUST_EXIT_YES 0
#define TRUST_EXIT_NO 1
#define TRUST_EXIT_DNSERR 2
#define TRUST_MAX_LIST 64	/* --own-name, --own-addr, --resolver */

/* The parsed command line of trust. */
struct trust_opts {
	const char *domain;
	const char *server;		/* --server-address */
	const char *client;		/* --client */
	const char *names[TRUST_MAX_LIST];	/* --own-name */
	size_t nnames;
	struct mxspf_addr addrs[TRUST_MAX_LIST];	/* --own-addr */
	size_t naddrs;
	const char *mode;		/* --mode */
	const char *config;		/* --config */
	const char *zone;		/* --zone */
	const char *resolvers[TRUST_MAX_LIST];	/* --resolver */
	size_t nresolvers;
	unsigned timeout;		/* --timeout, seconds; 0: default */
};

/* The state of one asynchronous lookup. */
struct trust_run {
	bool done;
	int err;
};

static int trust_parse(struct trust_opts *o, int argc, char **argv);
static int trust_opt(struct trust_opts *o, const char *name,
    const char *val);
static void trust_done(void *arg, void *obj, int err);
static int trust_ub(struct mxspf_ub *ub, struct mxspf_trust *t,
    unsigned timeout_ms);
static int trust_dns(const struct trust_opts *o, const struct mxspf_conf *c,
    struct mxspf_zone **zone, struct mxspf_ub **ub);
static void put_host(struct mxspf_buf *b, const struct mxspf_trust_host *h,
    bool show_client);
static void put_family(struct mxspf_buf *b, const char *label,
    const struct mxspf_trust_host *h, int family,
    enum mxspf_dns_status st);
static int trust_config(const struct trust_opts *o, struct mxspf_conf **conf,
    struct mxspf_trust_config *cfg);
static int trust_lookup(const struct trust_opts *o,
    const struct mxspf_trust_config *cfg, struct mxspf_trust **t);
static int trust_print(const struct trust_opts *o,
    const struct mxspf_trust_config *cfg,
    const struct mxspf_trust_verdict *v, const char *domain);

/* trust_opt - apply one option; 0 or an exit code */
static int
trust_opt(struct trust_opts *o, const char *name, const char *val)
{
	unsigned long n = 0;
	char *end;

	if (strcmp(name, "domain") == 0 && o->domain == NULL)
		o->domain = val;
	else if (strcmp(name, "server-address") == 0 && o->server == NULL)
		o->server = val;
	else if (strcmp(name, "client") == 0 && o->client == NULL)
		o->client = val;
	else if (strcmp(name, "mode") == 0 && o->mode == NULL)
		o->mode = val;
	else if (strcmp(name, "config") == 0 && o->config == NULL)
		o->config = val;
	else if (strcmp(name, "zone") == 0 && o->zone == NULL)
		o->zone = val;
	else if (strcmp(name, "own-name") == 0 && o->nnames < TRUST_MAX_LIST)
		o->names[o->nnames++] = val;
	else if (strcmp(name, "resolver") == 0 &&
	    o->nresolvers < TRUST_MAX_LIST)
		o->resolvers[o->nresolvers++] = val;
	else if (strcmp(name, "own-addr") == 0 &&
	    o->naddrs < TRUST_MAX_LIST) {
		if (mxspf_addr_parse(val, &o->addrs[o->naddrs]) != 0)
			return cli_usage("--own-addr needs an IP address, not "
			    "'%s'", val);
		o->naddrs++;
	} else if (strcmp(name, "timeout") == 0 && o->timeout == 0) {
		errno = 0;
		if (val[0] >= '0' && val[0] <= '9')
			n = strtoul(val, &end, 10);
		if (n == 0 || n > CLI_MAX_TIMEOUT || errno != 0 || *end != '\0')
			return cli_usage("--timeout needs a number of seconds "
			    "from 1 to 86400, not '%s'", val);
		o->timeout = (unsigned)n;
	} else if (strcmp(name, "domain") == 0 ||
	    strcmp(name, "server-address") == 0 ||
	    strcmp(name, "client") == 0 || strcmp(name, "mode") == 0 ||
	    strcmp(name, "config") == 0 || strcmp(name, "zone") == 0 ||
	    strcmp(name, "timeout") == 0) {
		return cli_usage("option --%s given twice", name);
	} else if (strcmp(name, "own-name") == 0 ||
	    strcmp(name, "own-addr") == 0 || strcmp(name, "resolver") == 0) {
		return cli_usage("option --%s given more than %d times", name,
		    TRUST_MAX_LIST);
	} else {
		return cli_usage("unknown option '--%s' for trust", name);
	}
	return 0;
}

/* trust_parse - the command line after "trust"; 0 or an exit code */
static int
trust_parse(struct trust_opts *o, int argc, char **argv)
{
	char name[32];
	const char *arg, *eq, *val;
	size_t len;
	int i, rc;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return cli_usage("unexpected argument '%s'", arg);
		eq = strchr(arg + 2, '=');
		len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (len >= sizeof(name))
			return cli_usage("unknown option '%s' for trust", arg);
		memcpy(name, arg + 2, len);
		name[len] = '\0';
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return cli_usage("option --%s needs a value", name);
		if ((rc = trust_opt(o, name, val)) != 0)
			return rc;
	}
	if (o->domain == NULL)
		return cli_usage("%s", "trust needs --domain");
	if (o->zone != NULL && o->nresolvers > 0)
		return cli_usage("%s", "--zone and --resolver exclude each "
		    "other");
	return 0;
}

/* trust_done - mxspf_ub_drive's callback */
static void
trust_done(void *arg, void *obj, int err)
{
	struct trust_run *run = arg;

	(void)obj;
	run->done = true;
	run->err = err;
}

/* trust_ub - run t through libunbound, ending it at the deadline */
static int
trust_ub(struct mxspf_ub *ub, struct mxspf_trust *t, unsigned timeout_ms)
{
	struct trust_run run = { false, 0 };
	struct timespec deadline;
	struct pollfd pfd;
	int rc, ms;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)(timeout_ms / 1000);
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if ((rc = mxspf_ub_drive(ub, &mxspf_trust_ops, t, trust_done, &run)) != 0)
		return rc;
	while (!run.done) {
		if ((ms = cli_ms_left(&deadline)) == 0) {
			/* Calls trust_done. */
			mxspf_ub_drive_stop(ub, t);
			break;
		}
		pfd.fd = mxspf_ub_fd(ub);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, ms);
		if (rc < 0 && errno != EINTR)
			rc = MXSPF_EIO;
		else if (rc > 0 && mxspf_ub_process(ub) != 0)
			rc = MXSPF_EDNS;
		else
			continue;
		mxspf_ub_drive_stop(ub, t);
		return rc;
	}
	return run.err;
}

/* trust_dns - the DNS source: --zone, --resolver, the configuration's
 * [resolver], or resolv.conf; 0 or an exit code */
static int
trust_dns(const struct trust_opts *o, const struct mxspf_conf *c,
    struct mxspf_zone **zone, struct mxspf_ub **ub)
{
	struct mxspf_ub_config uc;
	char err[512];
	int rc;

	err[0] = '\0';
	if (o->zone != NULL) {
		if ((rc = mxspf_zone_new(zone)) != 0 ||
		    (rc = mxspf_zone_load_file(*zone, o->zone, 0, err,
		    sizeof(err))) != 0) {
			fprintf(stderr, "mxspf: cannot load the zone: %s\n",
			    err[0] != '\0' ? err : mxspf_strerror(rc));
			return rc == MXSPF_ENOMEM ? CLI_EXIT_INTERNAL :
			    CLI_EXIT_SETUP;
		}
		return 0;
	}
	mxspf_ub_config_init(&uc);
	if (o->nresolvers > 0) {
		uc.forwarders = o->resolvers;
		uc.nforwarders = o->nresolvers;
	} else if (c != NULL) {
		uc.resolvconf = c->resolvconf;
		uc.forwarders = (const char *const *)c->forwarders;
		uc.nforwarders = c->nforwarders;
		uc.stub_zone = c->stub_zone;
		uc.stub_addr = c->stub_addr;
		uc.trust_anchor_file = c->trust_anchor_file;
	}
	if ((rc = mxspf_ub_new(ub, &uc, err, sizeof(err))) != 0) {
		fprintf(stderr, "mxspf: cannot set up the resolver: %s\n",
		    err[0] != '\0' ? err : mxspf_strerror(rc));
		return rc == MXSPF_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_SETUP;
	}
	return 0;
}

/* put_family - "  A: ADDR ADDR" or "  A: STATUS" */
static void
put_family(struct mxspf_buf *b, const char *label,
    const struct mxspf_trust_host *h, int family, enum mxspf_dns_status st)
{
	char ip[64];
	size_t i, n = 0;

	mxspf_buf_appendf(b, "  %s:", label);
	if (st != MXSPF_DNS_OK) {
		mxspf_buf_appendf(b, " %s\n", mxspf_dns_status_name(st));
		return;
	}
	for (i = 0; i < h->naddrs; i++) {
		if (h->addrs[i].family != family ||
		    mxspf_addr_format(&h->addrs[i], ip, sizeof(ip)) != 0)
			continue;
		mxspf_buf_appendf(b, " %s", ip);
		n++;
	}
	mxspf_buf_puts(b, n == 0 ? " (none)\n" : "\n");
}

/* put_host - one "mx:" block */
static void
put_host(struct mxspf_buf *b, const struct mxspf_trust_host *h,
    bool show_client)
{
	mxspf_buf_appendf(b, "mx: %u ", (unsigned)h->pref);
	cli_put_escaped(b, h->name, strlen(h->name));
	if (h->is_self)
		mxspf_buf_puts(b, " [this server]");
	if (h->is_client && show_client)
		mxspf_buf_puts(b, " [client]");
	mxspf_buf_putc(b, '\n');
	put_family(b, "A", h, 4, h->a_status);
	put_family(b, "AAAA", h, 6, h->aaaa_status);
}

/* trust_print - the report; returns the exit code */
static int
trust_print(const struct trust_opts *o, const struct mxspf_trust_config *cfg,
    const struct mxspf_trust_verdict *v, const char *domain)
{
	struct mxspf_buf b;
	size_t i;
	char ip[64];
	int rc;

	mxspf_buf_init(&b, CLI_MAX_OUTPUT);
	mxspf_buf_puts(&b, "domain: ");
	cli_put_escaped(&b, domain, strlen(domain));
	mxspf_buf_appendf(&b, "\nmode: %s\n", mxspf_trust_mode_name(cfg->mode));
	mxspf_buf_appendf(&b, "server-address: %s\n", o->server != NULL ?
	    o->server : "(none)");
	mxspf_buf_puts(&b, "own-names:");
	for (i = 0; i < cfg->n_own_names; i++)
		mxspf_buf_appendf(&b, " %s", cfg->own_names[i]);
	mxspf_buf_puts(&b, cfg->n_own_names == 0 ? " (none)\n" : "\n");
	mxspf_buf_puts(&b, "own-addrs:");
	for (i = 0; i < cfg->n_own_addrs; i++)
		if (mxspf_addr_format(&cfg->own_addrs[i], ip, sizeof(ip)) == 0)
			mxspf_buf_appendf(&b, " %s", ip);
	mxspf_buf_puts(&b, cfg->n_own_addrs == 0 ? " (none)\n" : "\n");
	if (v->implicit_mx)
		mxspf_buf_puts(&b, "implicit-mx: yes (no MX records: the "
		    "domain itself, preference 0)\n");
	for (i = 0; i < v->nhosts; i++)
		put_host(&b, &v->hosts[i], o->client != NULL);
	mxspf_buf_puts(&b, "this-server: ");
	if (v->self_host != NULL) {
		cli_put_escaped(&b, v->self_host->name,
		    strlen(v->self_host->name));
		mxspf_buf_appendf(&b, " (preference %u)\n",
		    (unsigned)v->self_host->pref);
	} else {
		mxspf_buf_puts(&b, "(not among the MX hosts)\n");
	}
	if (o->client == NULL) {
		mxspf_buf_puts(&b, "client: (none)\n");
		rc = v->outcome == MXSPF_TRUST_DNSERR ? TRUST_EXIT_DNSERR :
		    TRUST_EXIT_YES;
		mxspf_buf_appendf(&b, "verdict: %s\n", rc == TRUST_EXIT_DNSERR ?
		    "dns-error" : "(no --client given)");
		if (rc == TRUST_EXIT_DNSERR) {
			mxspf_buf_puts(&b, "why: ");
			cli_put_value(&b, v->why);
			mxspf_buf_putc(&b, '\n');
		}
	} else {
		mxspf_buf_appendf(&b, "client: %s\n", o->client);
		rc = v->outcome == MXSPF_TRUST_YES ? TRUST_EXIT_YES :
		    v->outcome == MXSPF_TRUST_NO ? TRUST_EXIT_NO :
		    TRUST_EXIT_DNSERR;
		mxspf_buf_appendf(&b, "verdict: %s\nwhy: ",
		    rc == TRUST_EXIT_YES ? "yes" : rc == TRUST_EXIT_NO ? "no" :
		    "dns-error");
		cli_put_value(&b, v->why);
		mxspf_buf_putc(&b, '\n');
	}
	mxspf_buf_appendf(&b, "queries: %zu\n", v->queries);
	if (b.err != 0) {
		mxspf_buf_free(&b);
		fputs("mxspf: out of memory\n", stderr);
		return CLI_EXIT_INTERNAL;
	}
	if (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		rc = CLI_EXIT_IO;
	mxspf_buf_free(&b);
	return rc;
}

/* trust_config - the trust configuration from --config and the options;
 * *conf receives the loaded file (or NULL); 0 or an exit code */
static int
trust_config(const struct trust_opts *o, struct mxspf_conf **conf,
    struct mxspf_trust_config *cfg)
{
	const struct mxspf_domain_conf *dc;
	char err[512];
	int rc;

	*conf = NULL;
	memset(cfg, 0, sizeof(*cfg));
	if (o->config != NULL) {
		if ((rc = mxspf_conf_new(conf)) != 0 ||
		    (rc = mxspf_conf_load(*conf, o->config, err,
		    sizeof(err))) != 0) {
			fprintf(stderr, "mxspf: %s\n", *conf != NULL ? err :
			    mxspf_strerror(rc));
			return rc == MXSPF_ENOMEM ? CLI_EXIT_INTERNAL :
			    CLI_EXIT_SETUP;
		}
		dc = mxspf_conf_domain(*conf, o->domain);
		cfg->mode = dc != NULL ? dc->trust_mode : (*conf)->trust_mode;
		cfg->own_names = (const char *const *)(*conf)->own_names;
		cfg->n_own_names = (*conf)->n_own_names;
		cfg->own_addrs = (*conf)->own_addrs;
		cfg->n_own_addrs = (*conf)->n_own_addrs;
	}
	if (o->mode != NULL && mxspf_trust_mode_parse(o->mode, &cfg->mode) != 0)
		return cli_usage("--mode must be preference, any or off, not "
		    "'%s'", o->mode);
	if (o->nnames > 0) {
		cfg->own_names = o->names;
		cfg->n_own_names = o->nnames;
	}
	if (o->naddrs > 0) {
		cfg->own_addrs = o->addrs;
		cfg->n_own_addrs = o->naddrs;
	}
	return 0;
}

/* trust_lookup - start the lookup; 0 or an exit code */
static int
trust_lookup(const struct trust_opts *o, const struct mxspf_trust_config *cfg,
    struct mxspf_trust **t)
{
	struct mxspf_trust_request req;
	struct mxspf_addr client, server;
	int rc;

	memset(&req, 0, sizeof(req));
	/* Without --client, ask for an address no MX host has. */
	memset(&client, 0, sizeof(client));
	client.family = 4;
	if (o->client != NULL && mxspf_addr_parse(o->client, &client) != 0)
		return cli_usage("--client needs an IP address, not '%s'",
		    o->client);
	if (o->server != NULL && mxspf_addr_parse(o->server, &server) != 0)
		return cli_usage("--server-address needs an IP address, not "
		    "'%s'", o->server);
	req.domain = o->domain;
	req.client = client;
	req.server_addr = o->server != NULL ? &server : NULL;
	if ((rc = mxspf_trust_new(t, cfg, &req)) == MXSPF_EINVAL)
		return cli_usage("bad --domain '%s'", o->domain);
	if (rc != 0) {
		fprintf(stderr, "mxspf: %s\n", mxspf_strerror(rc));
		return CLI_EXIT_INTERNAL;
	}
	if (mxspf_trust_verdict(*t)->why[0] != '\0' &&
	    cfg->mode != MXSPF_TRUST_OFF) {
		/* Finished before any query: not a domain name. */
		mxspf_trust_free(*t);
		*t = NULL;
		return cli_usage("--domain needs a domain name, not '%s'",
		    o->domain);
	}
	return 0;
}

int
cli_trust(int argc, char **argv)
{
	struct mxspf_trust_config cfg;
	struct mxspf_conf *conf = NULL;
	struct mxspf_trust *t = NULL;
	struct mxspf_zone *zone = NULL;
	struct mxspf_ub *ub = NULL;
	struct trust_opts o;
	unsigned timeout_ms;
	int rc;

	if ((rc = trust_parse(&o, argc, argv)) != 0)
		return rc;
	if ((rc = trust_config(&o, &conf, &cfg)) == 0 &&
	    (rc = trust_lookup(&o, &cfg, &t)) == 0 &&
	    (rc = trust_dns(&o, conf, &zone, &ub)) == 0) {
		timeout_ms = o.timeout != 0 ? o.timeout * 1000 :
		    conf != NULL ? conf->deadline_ms :
		    CLI_DEFAULT_TIMEOUT * 1000;
		rc = zone != NULL ? mxspf_trust_run(t,
		    mxspf_zone_resolve_trust, zone) : trust_ub(ub, t,
		    timeout_ms);
		if (rc != 0) {
			fprintf(stderr, "mxspf: the lookup failed: %s\n",
			    mxspf_strerror(rc));
			rc = CLI_EXIT_INTERNAL;
		} else {
			rc = trust_print(&o, &cfg, mxspf_trust_verdict(t),
			    o.domain);
		}
	}
	mxspf_trust_free(t);
	mxspf_ub_free(ub);
	mxspf_zone_free(zone);
	mxspf_conf_free(conf);
	return rc;
}
