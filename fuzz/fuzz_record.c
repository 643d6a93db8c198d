/* fuzz/fuzz_record.c - libFuzzer target for the SPF record parser.
 * Owns: the checks made on mxspf__record_parse(): the input bytes are the
 * record text.  On success the parsed record must hold a NUL-terminated
 * copy of exactly the input, every term and modifier offset/length must lie
 * inside the text (a domain-spec inside its term), the qualifiers,
 * mechanisms and CIDR lengths must be in range, every domain-spec must
 * pass mxspf__macro_check(MXSPF_MACRO_DOMAIN) and ndns must equal the
 * DNS-querying terms plus redirect.  On a syntax error the message must be
 * set and the error offset inside the text.  Any violation aborts.
 * Must not: keep state between runs.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf_limits.h"
#include "macro.h"
#include "record.h"

#define FZ_WHY_MAX	1024	/* syntax message buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_fail(const char *what);
static void fz_inside(const struct mxspf__record *r, size_t off, size_t len,
    size_t lo, size_t hi, const char *what);
static void fz_check_spec(const struct mxspf__record *r, size_t off,
    size_t len);
static void fz_check_record(const struct mxspf__record *r,
    const uint8_t *data, size_t size);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_record: %s\n", what);
	abort();
}

/* fz_inside - abort unless [off, off+len) lies inside [lo, hi) */
static void
fz_inside(const struct mxspf__record *r, size_t off, size_t len, size_t lo,
    size_t hi, const char *what)
{
	(void)r;
	if (off < lo || off > hi || len > hi - off)
		fz_fail(what);
}

/* fz_check_spec - abort unless a domain-spec passes the macro checker */
static void
fz_check_spec(const struct mxspf__record *r, size_t off, size_t len)
{
	size_t bad;
	const char *why;

	if (len == 0)
		fz_fail("empty domain-spec accepted");
	if (mxspf__macro_check(r->text + off, len, MXSPF_MACRO_DOMAIN, &bad,
	    &why) != 0)
		fz_fail("accepted domain-spec fails mxspf__macro_check");
}

/* fz_check_record - the invariants of a successfully parsed record */
static void
fz_check_record(const struct mxspf__record *r, const uint8_t *data,
    size_t size)
{
	size_t i, ndns = 0;

	if (r->refs != 1 || r->text == NULL || r->len != size ||
	    memcmp(r->text, data, size) != 0 || r->text[size] != '\0')
		fz_fail("record text is not a NUL-terminated copy of the "
		    "input");
	if (!mxspf__record_is_spf(r->text, r->len))
		fz_fail("parsed a text that is not an SPF record");
	if (r->nterms > MXSPF_MAX_TERMS || (r->nterms > 0 && r->terms == NULL))
		fz_fail("term count out of range");
	for (i = 0; i < r->nterms; i++) {
		const struct mxspf__term *t = &r->terms[i];

		fz_inside(r, t->off, t->len, 6, r->len, "term outside text");
		if (t->len == 0)
			fz_fail("empty term");
		if (i > 0 && t->off < r->terms[i - 1].off +
		    r->terms[i - 1].len)
			fz_fail("terms overlap or are out of order");
		if (t->mech > MXSPF_MECH_EXISTS)
			fz_fail("mechanism out of range");
		if (t->qual != MXSPF_PASS && t->qual != MXSPF_FAIL &&
		    t->qual != MXSPF_SOFTFAIL && t->qual != MXSPF_NEUTRAL)
			fz_fail("qualifier out of range");
		if (t->cidr4 > 32 || t->cidr6 > 128)
			fz_fail("CIDR length out of range");
		if (t->ds_len > 0) {
			fz_inside(r, t->ds_off, t->ds_len, t->off,
			    t->off + t->len, "domain-spec outside its term");
			fz_check_spec(r, t->ds_off, t->ds_len);
		}
		if (t->ds_len > 0 && (t->mech == MXSPF_MECH_ALL ||
		    t->mech == MXSPF_MECH_IP4 || t->mech == MXSPF_MECH_IP6))
			fz_fail("domain-spec on all/ip4/ip6");
		if (t->ds_len == 0 && (t->mech == MXSPF_MECH_INCLUDE ||
		    t->mech == MXSPF_MECH_EXISTS))
			fz_fail("include/exists without a domain-spec");
		if (t->mech == MXSPF_MECH_IP4 && t->net.family != 4)
			fz_fail("ip4 network is not IPv4");
		if (t->mech == MXSPF_MECH_IP6 && t->net.family != 6)
			fz_fail("ip6 network is not IPv6");
		if (mxspf__mech_queries_dns(t->mech))
			ndns++;
		if (strcmp(mxspf__mech_name(t->mech), "?") == 0)
			fz_fail("mechanism without a name");
	}
	if (r->has_redirect) {
		fz_inside(r, r->redir_term_off, r->redir_term_len, 6, r->len,
		    "redirect term outside text");
		fz_inside(r, r->redir_off, r->redir_len, r->redir_term_off,
		    r->redir_term_off + r->redir_term_len,
		    "redirect domain-spec outside its term");
		fz_check_spec(r, r->redir_off, r->redir_len);
		ndns++;
	}
	if (r->has_exp) {
		fz_inside(r, r->exp_off, r->exp_len, 6, r->len,
		    "exp domain-spec outside text");
		fz_check_spec(r, r->exp_off, r->exp_len);
	}
	if (ndns != r->ndns)
		fz_fail("ndns does not count the DNS-querying terms");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxspf__record *r = NULL;
	struct mxspf_buf why;
	size_t err_off = (size_t)-1;
	int rc;

	mxspf_buf_init(&why, FZ_WHY_MAX);
	rc = mxspf__record_parse((const char *)data, size, &r, &why, &err_off);
	if (rc == 0) {
		if (r == NULL)
			fz_fail("success without a record");
		fz_check_record(r, data, size);
		/* The cache shares records: one more reference, two drops. */
		mxspf__record_ref(r);
		mxspf__record_unref(r);
		mxspf__record_unref(r);
	} else if (rc == MXSPF_ESYNTAX) {
		if (r != NULL)
			fz_fail("syntax error but a record was returned");
		if (why.len == 0 && why.err == 0)
			fz_fail("syntax error without a message");
		if (err_off > size)
			fz_fail("syntax error offset past the end");
	} else if (rc != MXSPF_ENOMEM) {
		fz_fail("unexpected return code");
	}
	mxspf_buf_free(&why);
	return 0;
}
