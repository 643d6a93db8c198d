/* tests/install/consumer.c - a third-party program that uses the
 * installed libmxspf: built by tests/install/run.sh and
 * scripts/package-test.sh with nothing but the installed headers and
 * `pkg-config mxspf` (dynamically and statically).
 * Owns: a few SPF checks through the public API with the in-memory zone
 * driver (built by calls, and loaded from the YAML file given as the
 * first argument), a Received-SPF header, and calls into the resolver and
 * configuration modules, so that a static link needs every library that
 * mxspf.pc lists (libunbound, libyaml, libinih).
 * Must not: use anything but the public headers, or the network.
 * Usage: consumer [ZONE.yml]   prints one line per check; exit 0 when
 * every check gave the expected result, 1 otherwise.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mxspf/mxspf.h>
#include <mxspf/policy.h>
#include <mxspf/unbound.h>

#define TXT_MAX 255		/* one TXT character-string */

static int add_txt(struct mxspf_zone *z, const char *name, const char *text);
static int add_a(struct mxspf_zone *z, const char *name, const char *ip);
static int evaluate(struct mxspf_ctx *ctx, struct mxspf_zone *z,
    const char *ip, const char *sender, struct mxspf_request *req,
    struct mxspf_eval **out);
static int check(struct mxspf_ctx *ctx, struct mxspf_zone *z, const char *ip,
    const char *sender, enum mxspf_result want);
static int check_header(struct mxspf_ctx *ctx, struct mxspf_zone *z);
static int check_modules(void);

/* add_txt - add a TXT record of one character-string */
static int
add_txt(struct mxspf_zone *z, const char *name, const char *text)
{
	uint8_t rdata[1 + TXT_MAX];
	size_t len = strlen(text);

	if (len > TXT_MAX)
		return MXSPF_EINVAL;
	rdata[0] = (uint8_t)len;
	memcpy(rdata + 1, text, len);
	return mxspf_zone_add(z, name, MXSPF_RR_TXT, rdata, 1 + len);
}

/* add_a - add an A record */
static int
add_a(struct mxspf_zone *z, const char *name, const char *ip)
{
	struct mxspf_addr a;
	int rc;

	if ((rc = mxspf_addr_parse(ip, &a)) != 0)
		return rc;
	return mxspf_zone_add(z, name, MXSPF_RR_A, a.b, 4);
}

/* evaluate - run a MAIL FROM check to its end; 0 and *out (free it with
 * mxspf_eval_free), or an MXSPF_E* code */
static int
evaluate(struct mxspf_ctx *ctx, struct mxspf_zone *z, const char *ip,
    const char *sender, struct mxspf_request *req, struct mxspf_eval **out)
{
	int rc;

	memset(req, 0, sizeof(*req));
	req->sender = sender;
	req->helo = "mail.sender.example";
	req->identity = MXSPF_ID_MAILFROM;
	if ((rc = mxspf_addr_parse(ip, &req->client)) != 0 ||
	    (rc = mxspf_eval_new(out, ctx, req)) != 0)
		return rc;
	if ((rc = mxspf_eval_run(*out, mxspf_zone_resolve, z)) != 0)
		mxspf_eval_free(*out);
	return rc;
}

/* check - one MAIL FROM check; 0 when it gives want */
static int
check(struct mxspf_ctx *ctx, struct mxspf_zone *z, const char *ip,
    const char *sender, enum mxspf_result want)
{
	struct mxspf_request req;
	struct mxspf_eval *ev;
	enum mxspf_result got = MXSPF_NONE;
	int rc, bad;

	if ((rc = evaluate(ctx, z, ip, sender, &req, &ev)) == 0) {
		got = mxspf_eval_verdict(ev)->result;
		mxspf_eval_free(ev);
	}
	bad = rc != 0 || got != want;
	printf("%s %s %s: %s (expected %s)\n", bad ? "FAIL" : "ok", ip, sender,
	    rc == 0 ? mxspf_result_name(got) : mxspf_strerror(rc),
	    mxspf_result_name(want));
	return bad;
}

/* check_header - a pass gives a Received-SPF header that says so */
static int
check_header(struct mxspf_ctx *ctx, struct mxspf_zone *z)
{
	static const char want[] = "Received-SPF: pass ";
	struct mxspf_header_info info;
	struct mxspf_request req;
	struct mxspf_eval *ev;
	char *h = NULL;
	int rc, bad;

	if ((rc = evaluate(ctx, z, "192.0.2.10", "alice@sender.example", &req,
	    &ev)) != 0) {
		printf("FAIL header: %s\n", mxspf_strerror(rc));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	info.verdict = mxspf_eval_verdict(ev);
	info.client = &req.client;
	info.helo = req.helo;
	info.sender = req.sender;
	info.receiver = "mx.example";
	rc = mxspf_header_received_spf(&info, &h);
	bad = rc != 0 || strncmp(h, want, sizeof(want) - 1) != 0;
	printf("%s header: %s\n", bad ? "FAIL" : "ok", rc == 0 ? h :
	    mxspf_strerror(rc));
	free(h);
	mxspf_eval_free(ev);
	return bad;
}

/* check_modules - the resolver and configuration modules answer */
static int
check_modules(void)
{
	struct mxspf_ub_config ucfg;
	struct mxspf_conf *conf;
	int bad;

	mxspf_ub_config_init(&ucfg);
	if (mxspf_conf_new(&conf) != 0) {
		printf("FAIL mxspf_conf_new\n");
		return 1;
	}
	bad = ucfg.nforwarders != 0 || ucfg.forwarders != NULL;
	mxspf_conf_free(conf);
	printf("%s modules\n", bad ? "FAIL" : "ok");
	return bad;
}

int
main(int argc, char **argv)
{
	struct mxspf_ctx *ctx;
	struct mxspf_zone *z, *yz = NULL;
	char err[256];
	int failed = 0;

	if (mxspf_ctx_new(&ctx, NULL) != 0 || mxspf_zone_new(&z) != 0) {
		printf("FAIL: cannot set up\n");
		return 1;
	}
	if (add_txt(z, "sender.example",
	    "v=spf1 include:_spf.sender.example -all") != 0 ||
	    add_txt(z, "_spf.sender.example",
	    "v=spf1 a:mail.sender.example ~all") != 0 ||
	    add_a(z, "mail.sender.example", "192.0.2.10") != 0) {
		printf("FAIL: cannot build the zone\n");
		return 1;
	}
	printf("libmxspf %s\n", MXSPF_VERSION);
	failed += check(ctx, z, "192.0.2.10", "alice@sender.example",
	    MXSPF_PASS);
	failed += check(ctx, z, "192.0.2.66", "alice@sender.example",
	    MXSPF_FAIL);
	failed += check(ctx, z, "192.0.2.10", "bob@nowhere.example",
	    MXSPF_NONE);
	failed += check_header(ctx, z);
	failed += check_modules();
	if (argc > 1) {
		if (mxspf_zone_new(&yz) != 0 ||
		    mxspf_zone_load_file(yz, argv[1], 0, err, sizeof(err)) !=
		    0) {
			printf("FAIL %s: %s\n", argv[1], yz != NULL ? err :
			    "out of memory");
			failed++;
		} else {
			failed += check(ctx, yz, "192.0.2.10",
			    "alice@pass.test", MXSPF_PASS);
			failed += check(ctx, yz, "192.0.2.10",
			    "alice@fail.test", MXSPF_FAIL);
		}
		mxspf_zone_free(yz);
	}
	mxspf_zone_free(z);
	mxspf_ctx_free(ctx);
	printf("consumer: %d failed\n", failed);
	return failed == 0 ? 0 : 1;
}
