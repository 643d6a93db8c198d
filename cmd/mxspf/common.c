/* cmd/mxspf/common.c - what check and batch share: the context and DNS
 * source of a run, running one evaluation to its deadline, the reason text
 * and the one-line escaping of values.
 * Owns: struct cli_env setup and teardown; the two drivers of one
 * evaluation (the zone, synchronously; libunbound, asynchronously, so the
 * deadline holds during a slow query); the rule that every value the
 * tool prints fits on one line (folds become a space, other bytes outside
 * printable ASCII become \xNN).  Must not: print results
 * (check.c and batch.c do) or exit.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* The state of eval_ub's one evaluation. */
struct one_eval {
	bool done;
	int err;
};

static int env_receiver(struct cli_env *env, const struct cli_opts *o);
static int env_dns(struct cli_env *env, const struct cli_opts *o);
static bool ts_passed(const struct timespec *ts);
static int eval_zone(struct cli_env *env, struct mxspf_eval *ev);
static void one_done(void *arg, struct mxspf_eval *ev, int err);
static int eval_ub(struct cli_env *env, struct mxspf_eval *ev);
static const char *str_or(const char *s, const char *dflt);

/* env_receiver - set the receiver name and the authserv-id; 0 or 64 */
static int
env_receiver(struct cli_env *env, const struct cli_opts *o)
{
	size_t len;

	if (o->receiver != NULL) {
		len = strlen(o->receiver);
		if (len == 0 || len > CLI_MAX_HOSTNAME)
			return cli_usage("--receiver must have 1 to %d bytes",
			    CLI_MAX_HOSTNAME);
		memcpy(env->receiver, o->receiver, len + 1);
	} else if (gethostname(env->receiver, sizeof(env->receiver)) != 0 ||
	    env->receiver[0] == '\0') {
		memcpy(env->receiver, "localhost", sizeof("localhost"));
	}
	/* POSIX leaves truncation by gethostname() unterminated. */
	env->receiver[sizeof(env->receiver) - 1] = '\0';
	env->authserv_id = o->authserv_id != NULL ? o->authserv_id :
	    env->receiver;
	return 0;
}

/* env_dns - load the zone or create the resolver; 0 or an exit code */
static int
env_dns(struct cli_env *env, const struct cli_opts *o)
{
	struct mxspf_ub_config uc;
	char err[512];
	int rc;

	err[0] = '\0';
	if (o->zone != NULL) {
		if ((rc = mxspf_zone_new(&env->zone)) != 0) {
			fprintf(stderr, "mxspf: %s\n", mxspf_strerror(rc));
			return CLI_EXIT_INTERNAL;
		}
		rc = mxspf_zone_load_file(env->zone, o->zone, 0, err,
		    sizeof(err));
		if (rc != 0) {
			if (err[0] != '\0')
				fprintf(stderr, "mxspf: cannot load the zone: "
				    "%s\n", err);
			else
				fprintf(stderr, "mxspf: cannot load the zone "
				    "%s: %s\n", o->zone, mxspf_strerror(rc));
			return rc == MXSPF_ENOMEM ? CLI_EXIT_INTERNAL :
			    CLI_EXIT_SETUP;
		}
		return 0;
	}
	mxspf_ub_config_init(&uc);
	uc.forwarders = o->resolvers;
	uc.nforwarders = o->nresolvers;
	if ((rc = mxspf_ub_new(&env->ub, &uc, err, sizeof(err))) != 0) {
		fprintf(stderr, "mxspf: cannot set up the resolver: %s\n",
		    err[0] != '\0' ? err : mxspf_strerror(rc));
		return rc == MXSPF_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_SETUP;
	}
	return 0;
}

int
cli_env_open(struct cli_env *env, const struct cli_opts *o)
{
	struct mxspf_config cfg;
	int rc;

	memset(env, 0, sizeof(*env));
	env->timeout = o->timeout;
	env->identity = o->identity;
	if ((rc = env_receiver(env, o)) != 0)
		return rc;
	mxspf_config_init(&cfg);
	cfg.trace = o->explain;
	if (o->no_speculative)
		cfg.speculative = false;
	cfg.default_exp = o->default_exp;
	cfg.receiver = env->receiver;
	if ((rc = mxspf_ctx_new(&env->ctx, &cfg)) != 0) {
		if (rc == MXSPF_EINVAL)
			return cli_usage("bad configuration: %s",
			    mxspf_strerror(rc));
		fprintf(stderr, "mxspf: cannot create the context: %s\n",
		    mxspf_strerror(rc));
		return CLI_EXIT_INTERNAL;
	}
	if ((rc = env_dns(env, o)) != 0) {
		cli_env_close(env);
		return rc;
	}
	return 0;
}

void
cli_env_close(struct cli_env *env)
{
	if (env->ub != NULL)
		mxspf_ub_free(env->ub);
	if (env->zone != NULL)
		mxspf_zone_free(env->zone);
	if (env->ctx != NULL)
		mxspf_ctx_free(env->ctx);
	env->ub = NULL;
	env->zone = NULL;
	env->ctx = NULL;
}

void
cli_deadline(struct timespec *ts, unsigned seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)seconds;
}

int
cli_ms_left(const struct timespec *ts)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(ts->tv_sec - now.tv_sec) * 1000 +
	    (ts->tv_nsec - now.tv_nsec) / 1000000;
	/* Round up, so that a poll() never wakes just before the deadline
	 * and spins. */
	if ((ts->tv_nsec - now.tv_nsec) % 1000000 > 0)
		ms++;
	if (ms <= 0)
		return 0;
	return ms > CLI_MAX_WAIT_MS ? CLI_MAX_WAIT_MS : (int)ms;
}

/* ts_passed - whether the monotonic clock has reached ts */
static bool
ts_passed(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	    (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* eval_zone - run ev to its end against the zone, one query at a time;
 * a query wanted after the deadline aborts it (temperror, deadline) */
static int
eval_zone(struct cli_env *env, struct mxspf_eval *ev)
{
	const struct mxspf_query *q;
	struct timespec deadline;
	bool asked;
	int rc;

	cli_deadline(&deadline, env->timeout);
	for (;;) {
		if ((rc = mxspf_eval_step(ev)) != MXSPF_STEP_QUERY)
			return rc < 0 ? rc : 0;
		asked = false;
		while ((q = mxspf_eval_next_query(ev)) != NULL) {
			if (ts_passed(&deadline)) {
				mxspf_eval_abort(ev);
				return 0;
			}
			mxspf_zone_resolve(env->zone, ev, q);
			asked = true;
		}
		if (!asked) {
			/* Waiting for answers that will never come. */
			mxspf_eval_abort(ev);
			return 0;
		}
	}
}

/* one_done - mxspf_ub_done_fn of eval_ub: note the end */
static void
one_done(void *arg, struct mxspf_eval *ev, int err)
{
	struct one_eval *one = arg;

	(void)ev;
	one->done = true;
	one->err = err;
}

/* eval_ub - run ev to its end through libunbound's asynchronous API, so
 * that the deadline holds even while a query is outstanding (a blocking
 * ub_resolve() to a dead server takes many seconds) */
static int
eval_ub(struct cli_env *env, struct mxspf_eval *ev)
{
	struct one_eval one = { false, 0 };
	struct timespec deadline;
	struct pollfd pfd;
	int rc, ms;

	cli_deadline(&deadline, env->timeout);
	if ((rc = mxspf_ub_eval_start(env->ub, ev, one_done, &one)) != 0)
		return rc;
	while (!one.done) {
		if ((ms = cli_ms_left(&deadline)) == 0) {
			/* Calls one_done from inside. */
			mxspf_ub_eval_stop(env->ub, ev);
			break;
		}
		pfd.fd = mxspf_ub_fd(env->ub);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, ms);
		if (rc < 0 && errno != EINTR)
			rc = MXSPF_EIO;
		else if (rc > 0 && mxspf_ub_process(env->ub) != 0)
			rc = MXSPF_EDNS;
		else
			continue;
		/* The driver must let go of ev before the caller frees it. */
		mxspf_ub_eval_stop(env->ub, ev);
		return rc;
	}
	return one.err;
}

int
cli_eval(struct cli_env *env, struct mxspf_eval *ev)
{
	return env->zone != NULL ? eval_zone(env, ev) : eval_ub(env, ev);
}

/* str_or - s, or dflt when s is NULL or empty */
static const char *
str_or(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

void
cli_reason(struct mxspf_buf *b, const struct mxspf_verdict *v)
{
	const char *dom = str_or(v->mech_domain, str_or(v->domain, "?"));

	switch (v->reason) {
	case MXSPF_WHY_MECHANISM:
		mxspf_buf_appendf(b, "mechanism %s at offset %zu in the "
		    "record of %s", str_or(v->mechanism, "?"), v->mech_offset,
		    dom);
		return;
	case MXSPF_WHY_DEFAULT:
		mxspf_buf_appendf(b, "no mechanism matched in the record of "
		    "%s", dom);
		return;
	case MXSPF_WHY_NO_RECORD:
		mxspf_buf_appendf(b, "no SPF record for %s",
		    str_or(v->domain, str_or(v->identity, "?")));
		return;
	case MXSPF_WHY_BAD_DOMAIN:
		if (v->problem == NULL || v->problem[0] == '\0') {
			mxspf_buf_appendf(b, "no valid domain in '%s'",
			    str_or(v->identity, ""));
			return;
		}
		break;
	default:
		break;
	}
	if (v->problem != NULL && v->problem[0] != '\0')
		mxspf_buf_puts(b, v->problem);
	else
		mxspf_buf_appendf(b, "%s (%s)", mxspf_reason_name(v->reason),
		    dom);
}

void
cli_put_value(struct mxspf_buf *b, const char *s)
{
	size_t i, start;

	for (i = 0; s[i] != '\0'; ) {
		if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] == '\n')) {
			/* A fold: the line break and the blanks after it. */
			i += s[i] == '\r' ? 2 : 1;
			while (s[i] == ' ' || s[i] == '\t')
				i++;
			mxspf_buf_putc(b, ' ');
			continue;
		}
		start = i++;
		while (s[i] != '\0' && s[i] != '\n' &&
		    !(s[i] == '\r' && s[i + 1] == '\n'))
			i++;
		cli_put_escaped(b, s + start, i - start);
	}
}

void
cli_put_escaped(struct mxspf_buf *b, const char *p, size_t len)
{
	size_t i, start = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f)
			continue;
		mxspf_buf_append(b, p + start, i - start);
		mxspf_buf_appendf(b, "\\x%02x", c);
		start = i + 1;
	}
	mxspf_buf_append(b, p + start, len - start);
}

int
cli_result_exit(enum mxspf_result r)
{
	switch (r) {
	case MXSPF_PASS:
		return CLI_EXIT_PASS;
	case MXSPF_FAIL:
		return CLI_EXIT_FAIL;
	case MXSPF_SOFTFAIL:
		return CLI_EXIT_SOFTFAIL;
	case MXSPF_NEUTRAL:
		return CLI_EXIT_NEUTRAL;
	case MXSPF_NONE:
		return CLI_EXIT_NONE;
	case MXSPF_TEMPERROR:
		return CLI_EXIT_TEMPERROR;
	case MXSPF_PERMERROR:
		return CLI_EXIT_PERMERROR;
	}
	return CLI_EXIT_INTERNAL;
}

int
cli_request(struct mxspf_request *req, const char *ip, const char *sender,
    const char *helo, enum mxspf_identity id)
{
	memset(req, 0, sizeof(*req));
	if (mxspf_addr_parse(ip, &req->client) != 0)
		return -1;
	req->sender = sender;
	req->helo = helo;
	req->identity = id;
	req->now = (int64_t)time(NULL);
	return 0;
}
