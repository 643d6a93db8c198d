/* fuzz/fuzz_zone.c - libFuzzer target for the YAML zone loader (what
 * `mxspf check --zone FILE` reads from an untrusted file).
 * Owns: one temporary file per fuzzing process (created by
 * LLVMFuzzerInitialize, rewritten for every input, removed at exit).  The
 * input is written to it and loaded with mxspf_zone_load_file(), document
 * 0 and, when the input has a second document, document 1 into the same
 * zone.  A zone that failed to load is only freed (lib/zone.h: it may hold
 * part of the data).  After a successful load, names are looked up (a
 * fixed few and up to FZ_NAMES names found in the input: runs of
 * [A-Za-z0-9._-] holding a dot) for every type the zone knows, with and
 * without a trailing dot and in upper case, and for the first names a
 * whole evaluation runs against the zone with
 * mxspf_eval_run(mxspf_zone_resolve).  It aborts when: the loader returns
 * a code it does not document or fails without a message, the message has
 * a byte outside printable ASCII (it is printed to a terminal), an OK
 * answer has no records or RDATA that the rdata parsers reject (the loader
 * encodes every record itself), an address has the wrong length, or the
 * answers for name, "name." and "NAME" differ.  Must not: write anywhere
 * but its temporary file (under $TMPDIR, else /tmp).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz_tmpfile.h"
#include "mxspf/mxspf.h"
#include "mxspf_limits.h"
#include "rdata.h"
#include "zone.h"

#define FZ_NAMES	8	/* names taken from the input */
#define FZ_EVALS	2	/* evaluations run against the zone */
#define FZ_ERR_LEN	512
#define FZ_NAME_BUF	(MXSPF_MAX_NAME + 2)
#define FZ_OUT_MAX	65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_fail(const char *what);
static bool fz_has_second_doc(const uint8_t *data, size_t size);
static size_t fz_names(const uint8_t *data, size_t size,
    char names[][FZ_NAME_BUF], size_t max);
static void fz_check_err(int rc, const char *err);
static void fz_check_answer(const struct mxspf_answer *a, uint16_t type);
static bool fz_same(const struct mxspf_answer *a,
    const struct mxspf_answer *b);
static void fz_lookup(const struct mxspf_zone *z, const char *name);
static void fz_eval(struct mxspf_zone *z, struct mxspf_ctx *ctx,
    const char *domain, int family);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_zone: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_tmp_init("fuzz_zone");
	return 0;
}

/* fz_has_second_doc - whether a "---" line follows the first byte */
static bool
fz_has_second_doc(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 1; i + 4 <= size; i++)
		if (data[i - 1] == '\n' && memcmp(data + i, "---", 3) == 0)
			return true;
	return false;
}

/* fz_names - runs of name characters that hold a dot, deduplicated */
static size_t
fz_names(const uint8_t *data, size_t size, char names[][FZ_NAME_BUF],
    size_t max)
{
	size_t i = 0, n = 0, j, s;

	while (i < size && n < max) {
		bool dot = false;

		for (s = i; i < size; i++) {
			uint8_t c = data[i];

			if (!((c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			    c == '_'))
				break;
			dot = dot || c == '.';
		}
		if (dot && i - s <= MXSPF_MAX_NAME) {
			memcpy(names[n], data + s, i - s);
			names[n][i - s] = '\0';
			for (j = 0; j < n; j++)
				if (strcmp(names[j], names[n]) == 0)
					break;
			if (j == n)
				n++;
		}
		if (i == s)
			i++;
	}
	return n;
}

/* fz_check_err - the loader's code and message */
static void
fz_check_err(int rc, const char *err)
{
	size_t i, n = strnlen(err, FZ_ERR_LEN);

	if (n == FZ_ERR_LEN)
		fz_fail("error message not NUL-terminated");
	if (rc != 0 && rc != MXSPF_ENOENT && rc != MXSPF_ESYNTAX)
		fz_fail("loader returned an undocumented code");
	if (rc != 0 && n == 0)
		fz_fail("loader failed without a message");
	for (i = 0; i < n; i++)
		if ((unsigned char)err[i] < 0x20 ||
		    (unsigned char)err[i] > 0x7e)
			fz_fail("error message has a non-printable byte");
}

/* fz_check_answer - an answer must be one the evaluator can take */
static void
fz_check_answer(const struct mxspf_answer *a, uint16_t type)
{
	struct mxspf_buf b;
	struct mxspf_addr ad;
	uint16_t pref;
	size_t i;

	if ((unsigned)a->status > MXSPF_DNS_TIMEOUT)
		fz_fail("answer status out of range");
	if (a->status != MXSPF_DNS_OK)
		return;
	if (a->count == 0 || a->rdata == NULL || a->rdlen == NULL)
		fz_fail("OK answer without records");
	mxspf_buf_init(&b, FZ_OUT_MAX);
	for (i = 0; i < a->count; i++) {
		const uint8_t *p = a->rdata[i];
		size_t len = a->rdlen[i];
		int rc = 0;

		if (p == NULL && len > 0)
			fz_fail("record without RDATA");
		if (len > 65535)
			fz_fail("RDATA over 65535 bytes");
		mxspf_buf_reset(&b);
		switch (type) {
		case MXSPF_RR_TXT:
		case MXSPF__RR_SPF:
			rc = mxspf__rdata_txt(p, len, &b);
			break;
		case MXSPF_RR_MX:
			rc = mxspf__rdata_mx(p, len, &pref, &b);
			break;
		case MXSPF_RR_PTR:
			rc = mxspf__rdata_ptr(p, len, &b);
			break;
		case MXSPF_RR_A:
		case MXSPF_RR_AAAA:
			rc = mxspf__rdata_addr(p, len, type, &ad);
			break;
		default:
			break;
		}
		if (rc != 0)
			fz_fail("the zone serves RDATA the parsers reject");
	}
	mxspf_buf_free(&b);
}

/* fz_same - whether two answers are the same */
static bool
fz_same(const struct mxspf_answer *a, const struct mxspf_answer *b)
{
	size_t i;

	if (a->status != b->status || a->count != b->count)
		return false;
	if (a->status != MXSPF_DNS_OK)
		return true;
	for (i = 0; i < a->count; i++)
		if (a->rdlen[i] != b->rdlen[i] || (a->rdlen[i] > 0 &&
		    memcmp(a->rdata[i], b->rdata[i], a->rdlen[i]) != 0))
			return false;
	return true;
}

/* fz_lookup - look a name up for every type, in three spellings */
static void
fz_lookup(const struct mxspf_zone *z, const char *name)
{
	static const uint16_t types[] = { MXSPF_RR_A, MXSPF_RR_AAAA,
	    MXSPF_RR_MX, MXSPF_RR_TXT, MXSPF_RR_PTR, MXSPF__RR_SPF,
	    MXSPF__RR_CNAME, 255 };
	char dot[FZ_NAME_BUF + 1], upper[FZ_NAME_BUF];
	struct mxspf_answer a, b, c;
	size_t i, n = strlen(name);

	memcpy(dot, name, n);
	dot[n] = '.';
	dot[n + 1] = '\0';
	for (i = 0; i <= n; i++)
		upper[i] = (name[i] >= 'a' && name[i] <= 'z') ?
		    (char)(name[i] - 32) : name[i];
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		mxspf_zone_lookup(z, name, types[i], &a);
		fz_check_answer(&a, types[i]);
		mxspf_zone_lookup(z, upper, types[i], &b);
		if (n > 0 && name[n - 1] != '.') {
			mxspf_zone_lookup(z, dot, types[i], &c);
			if (!fz_same(&a, &c))
				fz_fail("name and name. answer differently");
		}
		if (!fz_same(&a, &b))
			fz_fail("lookups are not case-insensitive");
	}
}

/* fz_eval - run check_host() for postmaster@domain against the zone */
static void
fz_eval(struct mxspf_zone *z, struct mxspf_ctx *ctx, const char *domain,
    int family)
{
	char sender[FZ_NAME_BUF + 16];
	struct mxspf_request req;
	struct mxspf_eval *ev;
	const struct mxspf_verdict *v;

	snprintf(sender, sizeof(sender), "postmaster@%s", domain);
	memset(&req, 0, sizeof(req));
	if (mxspf_addr_parse(family == 4 ? "1.2.3.4" : "2001:db8::1",
	    &req.client) != 0)
		fz_fail("mxspf_addr_parse failed");
	req.sender = sender;
	req.helo = domain;
	req.identity = MXSPF_ID_MAILFROM;
	if (mxspf_eval_new(&ev, ctx, &req) != 0)
		fz_fail("mxspf_eval_new failed");
	if (mxspf_eval_run(ev, mxspf_zone_resolve, z) != 0)
		fz_fail("mxspf_eval_run failed");
	v = mxspf_eval_verdict(ev);
	if ((unsigned)v->result > MXSPF_PERMERROR)
		fz_fail("result out of range");
	mxspf_eval_free(ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *fixed[] = { "example.com", "e1.example.com",
	    "4.3.2.1.in-addr.arpa", "" };
	char names[FZ_NAMES][FZ_NAME_BUF];
	char err[FZ_ERR_LEN];
	struct mxspf_zone *z = NULL;
	struct mxspf_ctx *ctx = NULL;
	size_t i, n;
	int rc;

	if (fz_tmp_fd == -1)
		fz_fail("no temporary file");
	fz_tmp_write(data, size);
	if (mxspf_zone_new(&z) != 0)
		fz_fail("mxspf_zone_new failed");
	memset(err, 'x', sizeof(err));
	rc = mxspf_zone_load_file(z, fz_tmp_path, 0, err, sizeof(err));
	fz_check_err(rc, err);
	if (rc == 0 && fz_has_second_doc(data, size)) {
		rc = mxspf_zone_load_file(z, fz_tmp_path, 1, err, sizeof(err));
		fz_check_err(rc, err);
	}
	if (rc != 0) {
		/* Part of the data may be loaded: the only valid use left is
		 * to free the zone (lib/zone.h). */
		mxspf_zone_free(z);
		return 0;
	}
	n = fz_names(data, size, names, FZ_NAMES);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		fz_lookup(z, fixed[i]);
	for (i = 0; i < n; i++)
		fz_lookup(z, names[i]);
	if (mxspf_ctx_new(&ctx, NULL) != 0)
		fz_fail("mxspf_ctx_new failed");
	for (i = 0; i < n && i < FZ_EVALS; i++)
		fz_eval(z, ctx, names[i], i % 2 == 0 ? 4 : 6);
	if (n == 0)
		fz_eval(z, ctx, "example.com", 4);
	mxspf_ctx_free(ctx);
	mxspf_zone_free(z);
	return 0;
}
