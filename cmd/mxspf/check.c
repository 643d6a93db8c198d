/* cmd/mxspf/check.c - the check command: one evaluation, printed.
 * Owns: the output format of check (docs/mxspf.1, OUTPUT FORMAT): the
 * result word on the first line, then "key: value" lines (reason,
 * explanation on fail, received-spf, authentication-results and, with
 * --explain, trace lines and the counts).  Must not: print anything to
 * stdout before the evaluation succeeded, so a failed run prints nothing
 * there.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void put_key(struct mxspf_buf *out, const char *key,
    const char *value);
static int put_headers(struct mxspf_buf *out, const struct cli_env *env,
    const struct mxspf_request *req, const struct mxspf_verdict *v);
static void put_trace(struct mxspf_buf *out, const char *trace);
static int check_format(struct mxspf_buf *out, const struct cli_env *env,
    const struct mxspf_request *req, const struct mxspf_eval *ev,
    bool explain);
static int check_run(const struct cli_opts *o, struct cli_env *env,
    const struct mxspf_request *req);

/* put_key - append "key: value" and a newline, the value on one line */
static void
put_key(struct mxspf_buf *out, const char *key, const char *value)
{
	mxspf_buf_puts(out, key);
	mxspf_buf_puts(out, ": ");
	cli_put_value(out, value);
	mxspf_buf_putc(out, '\n');
}

/* put_headers - append the received-spf and authentication-results lines;
 * 0 or an exit code */
static int
put_headers(struct mxspf_buf *out, const struct cli_env *env,
    const struct mxspf_request *req, const struct mxspf_verdict *v)
{
	struct mxspf_header_info info;
	char *h = NULL;
	int rc;

	memset(&info, 0, sizeof(info));
	info.verdict = v;
	info.client = &req->client;
	info.helo = req->helo;
	info.sender = req->sender;
	info.identity = req->identity;
	info.receiver = env->receiver;
	if ((rc = mxspf_header_received_spf(&info, &h)) != 0) {
		fprintf(stderr, "mxspf: cannot write Received-SPF: %s\n",
		    mxspf_strerror(rc));
		return CLI_EXIT_INTERNAL;
	}
	put_key(out, "received-spf", h);
	free(h);
	h = NULL;
	if ((rc = mxspf_header_auth_results(&info, env->authserv_id,
	    &h)) != 0) {
		fprintf(stderr, "mxspf: cannot write Authentication-Results: "
		    "%s\n", mxspf_strerror(rc));
		return CLI_EXIT_INTERNAL;
	}
	put_key(out, "authentication-results", h);
	free(h);
	return 0;
}

/* put_trace - append one "trace: " line per line of the trace */
static void
put_trace(struct mxspf_buf *out, const char *trace)
{
	const char *p = trace, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		mxspf_buf_puts(out, "trace: ");
		cli_put_escaped(out, p, (size_t)(nl - p));
		mxspf_buf_putc(out, '\n');
		p = *nl == '\n' ? nl + 1 : nl;
	}
}

/* check_format - append the whole output of check; 0 or an exit code */
static int
check_format(struct mxspf_buf *out, const struct cli_env *env,
    const struct mxspf_request *req, const struct mxspf_eval *ev,
    bool explain)
{
	const struct mxspf_verdict *v = mxspf_eval_verdict(ev);
	struct mxspf_buf reason;
	int rc;

	if (v == NULL) {
		fputs("mxspf: the evaluation gave no verdict\n", stderr);
		return CLI_EXIT_INTERNAL;
	}
	mxspf_buf_puts(out, mxspf_result_name(v->result));
	mxspf_buf_putc(out, '\n');
	mxspf_buf_init(&reason, CLI_MAX_OUTPUT);
	cli_reason(&reason, v);
	put_key(out, "reason", mxspf_buf_cstr(&reason));
	mxspf_buf_free(&reason);
	if (v->result == MXSPF_FAIL && v->explanation != NULL)
		put_key(out, "explanation", v->explanation);
	if ((rc = put_headers(out, env, req, v)) != 0)
		return rc;
	if (explain) {
		put_trace(out, mxspf_eval_trace(ev));
		mxspf_buf_appendf(out, "dns-terms: %zu\nvoid-lookups: %zu\n"
		    "queries: %zu\n", v->dns_terms, v->void_lookups,
		    v->queries);
	}
	if (out->err != 0) {
		fprintf(stderr, "mxspf: cannot format the output: %s\n",
		    mxspf_strerror(out->err));
		return CLI_EXIT_INTERNAL;
	}
	return 0;
}

/* check_run - evaluate req and print the output; the exit code */
static int
check_run(const struct cli_opts *o, struct cli_env *env,
    const struct mxspf_request *req)
{
	struct mxspf_eval *ev = NULL;
	struct mxspf_buf out;
	int rc, ex;

	if ((rc = mxspf_eval_new(&ev, env->ctx, req)) != 0) {
		if (rc == MXSPF_EINVAL)
			return cli_usage("cannot evaluate these arguments: %s",
			    mxspf_strerror(rc));
		fprintf(stderr, "mxspf: cannot start the evaluation: %s\n",
		    mxspf_strerror(rc));
		return CLI_EXIT_INTERNAL;
	}
	if ((rc = cli_eval(env, ev)) != 0) {
		fprintf(stderr, "mxspf: the evaluation failed: %s\n",
		    mxspf_strerror(rc));
		mxspf_eval_free(ev);
		return CLI_EXIT_INTERNAL;
	}
	mxspf_buf_init(&out, CLI_MAX_OUTPUT * 4);
	ex = check_format(&out, env, req, ev, o->explain);
	if (ex == 0) {
		ex = cli_result_exit(mxspf_eval_verdict(ev)->result);
		if (fwrite(out.p, 1, out.len, stdout) != out.len ||
		    fflush(stdout) != 0) {
			perror("mxspf: stdout");
			ex = CLI_EXIT_IO;
		}
	}
	mxspf_buf_free(&out);
	mxspf_eval_free(ev);
	return ex;
}

int
cli_check(const struct cli_opts *o)
{
	struct mxspf_request req;
	struct cli_env env;
	struct mxspf_buf msg;
	int ex;

	if (cli_request(&req, o->ip, o->sender, o->helo, o->identity) != 0) {
		mxspf_buf_init(&msg, 1024);
		mxspf_buf_put_escaped(&msg, o->ip, strlen(o->ip), 100);
		ex = cli_usage("--ip: not an IPv4 or IPv6 address: '%s'",
		    mxspf_buf_cstr(&msg));
		mxspf_buf_free(&msg);
		return ex;
	}
	if ((ex = cli_env_open(&env, o)) != 0)
		return ex;
	ex = check_run(o, &env, &req);
	cli_env_close(&env);
	return ex;
}
