/* fuzz/fuzz_eval.c - libFuzzer target for the whole sans-I/O evaluator.
 *
 * Owns: a fake DNS driver that answers the evaluator's queries from a
 * script taken from the fuzz input, and the checks on what comes out.
 * Input layout (every field is optional; a short input just ends early):
 *
 *	byte 0	flags0: bit 0 IPv6 client, bit 1 HELO identity, bit 2
 *		speculative prefetch, bit 3 trace, bits 4-5 answer order
 *		(0 FIFO, 1 LIFO, 2 alternate front/back, 3 a script byte
 *		picks the query), bit 6 feed one answer per mxspf_eval_step()
 *		(else all pending answers), bit 7 call mxspf_eval_abort()
 *	byte 1	flags1: bits 0-3 the number of answers after which to abort,
 *		bit 4 a one-slot record cache, bit 5 small limits (3 DNS
 *		terms, 0 void lookups, 2 MX/PTR names), bit 6 a default
 *		explanation that uses %{p}, a receiver name and INT64_MIN
 *		as the time (else 1234567890), bit 7 NULL
 *		for an empty sender/helo
 *	4 or 16	the client address
 *	sender	bytes up to a NUL
 *	helo	bytes up to a NUL
 *	script	one chunk per answer, in the order the answers are given:
 *		a control byte (bits 0-2 status: 0, 6 OK, 1 NXDOMAIN, 2
 *		NODATA, 3 SERVFAIL, 4 TIMEOUT, 5 an out-of-range status, 7 OK
 *		with NULL rdata arrays; bits 3-6 the record count 0-15; bit 7
 *		"cooked"), then per record a length byte (0xff: a 16-bit
 *		big-endian length follows) and that many bytes.  Raw records
 *		are handed over as wire RDATA, so malformed RDATA is
 *		exercised; cooked ones are encoded for the query type (TXT
 *		text split into character-strings, MX/PTR presentation names
 *		made wire names, A/AAAA the given bytes or, when too short,
 *		the client's address).  Once the script ends every query gets
 *		NXDOMAIN.
 *
 * Unless it aborted, the evaluation is then replayed against the same DNS:
 * each question (name, type) gets the chunk that answered it in the first
 * run (NXDOMAIN if it was not asked), with speculation, tracing and the
 * record cache switched, another answer order and the other batching.
 *
 * It aborts when a query is malformed (empty or over-long name, trailing
 * dot, unknown type, an id handed out twice), an answer to a bad or used id
 * is accepted, the evaluation does not end within a bound of steps, step()
 * returns an error, abort does not give temperror, or the verdict breaks
 * its contract (values out of range, a fail without explanation, a
 * mechanism result without the mechanism, counters over their limits);
 * when a Received-SPF or Authentication-Results header written from the
 * verdict fails or holds a byte outside printable ASCII other than a
 * "\n\t" fold; and when the replay's verdict differs (result, reason,
 * mechanism, explanation, problem, DNS-term and void-lookup counts).
 * Must not: keep state between runs (fresh contexts every run).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxspf/mxspf.h"
#include "mxspf_limits.h"

#define FZ_F0_IPV6	0x01
#define FZ_F0_HELO	0x02
#define FZ_F0_SPEC	0x04
#define FZ_F0_TRACE	0x08
#define FZ_F0_ORDER(f)	(((f) >> 4) & 3)
#define FZ_F0_ONE	0x40
#define FZ_F0_ABORT	0x80
#define FZ_F1_ABORT_AT(f)	((f) & 0x0f)
#define FZ_F1_CACHE1	0x10
#define FZ_F1_SMALL	0x20
#define FZ_F1_EXP	0x40
#define FZ_F1_NULL	0x80

#define FZ_ORDER_FIFO	0
#define FZ_ORDER_LIFO	1
#define FZ_ORDER_ALT	2
#define FZ_ORDER_PICK	3

#define FZ_C_STATUS(c)	((c) & 7)
#define FZ_C_COUNT(c)	(((c) >> 3) & 0x0f)
#define FZ_C_COOKED	0x80
#define FZ_MAX_RRS	15
#define FZ_LEN_LONG	0xff	/* a 16-bit length follows */

#define FZ_MAX_STR	(MXSPF_MAX_IDENTITY + 64)	/* sender, helo */
#define FZ_MAX_PENDING	(MXSPF_MAX_QUERIES + 1)
#define FZ_MAX_ITER	(4 * MXSPF_MAX_QUERIES + 64)	/* loop bound */
#define FZ_TXT_STRING	255
#define FZ_WIRE_NAME	255
#define FZ_LABEL	63
#define FZ_RDATA_MAX	65535
#define FZ_LINE_MAX	998	/* RFC 5322 s2.1.1 */
#define FZ_RECEIVER	"mx.example.net"
#define FZ_NOW		1234567890	/* %{t}; INT64_MIN with bit 6 */
#define FZ_DEFAULT_EXP	"%{c} is not one of %{d}'s hosts (%{p}, %{R}, %{t})"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The unread rest of the input. */
struct fz_in {
	const uint8_t *p;
	size_t len;
};

/* One answer under construction. */
struct fz_ans {
	uint8_t *rr[FZ_MAX_RRS];
	size_t rrlen[FZ_MAX_RRS];
	size_t n;
};

/* Which script chunk answered a question (name, type) in the first run. */
struct fz_map_ent {
	char *name;
	uint16_t type;
	const uint8_t *p;	/* the chunk, inside the input */
	size_t len;
};

/* The driver: queries handed out and not yet answered. */
struct fz_drv {
	struct mxspf_eval *ev;
	struct fz_in in;
	struct mxspf_addr client;
	unsigned order;
	bool alt_back;
	uint32_t pending[FZ_MAX_PENDING];
	uint16_t ptype[FZ_MAX_PENDING];
	const char *pname[FZ_MAX_PENDING];
	size_t npending;
	struct fz_map_ent map[FZ_MAX_PENDING];	/* first run: answers */
	size_t nmap;
	const struct fz_drv *replay_of;	/* replay: the first run */
	uint8_t seen[MXSPF_MAX_QUERIES + 2];	/* ids handed out */
	size_t answered;
};

static void fz_fail(const char *what);
static bool fz_byte(struct fz_in *in, uint8_t *out);
static char *fz_string(struct fz_in *in);
static void fz_wire_name(const uint8_t *p, size_t len, uint8_t *out,
    size_t *outlen);
static uint8_t *fz_cook(const struct fz_drv *d, uint16_t type,
    const uint8_t *p, size_t len, size_t *outlen);
static void fz_build(const struct fz_drv *d, uint16_t type,
    struct fz_in *in, struct mxspf_answer *ans, struct fz_ans *a);
static const struct fz_map_ent *fz_map_find(const struct fz_drv *src,
    const char *name, uint16_t type);
static void fz_answer_one(struct fz_drv *d);
static void fz_take_queries(struct fz_drv *d);
static void fz_check_header(const char *h);
static void fz_check_verdict(const struct mxspf_verdict *v,
    const struct mxspf_config *cfg, const char *trace);
static void fz_headers(const struct mxspf_verdict *v,
    const struct mxspf_addr *client, const char *sender, const char *helo,
    enum mxspf_identity id, bool receiver);
static void fz_drive(struct fz_drv *d, uint8_t f0, uint8_t f1);
static bool fz_streq(const char *a, const char *b);
static void fz_same_verdict(const struct mxspf_verdict *a,
    const struct mxspf_verdict *b);
static void fz_replay(const struct fz_drv *first, uint8_t f0, uint8_t f1,
    const struct mxspf_config *cfg, const struct mxspf_request *req,
    const struct mxspf_verdict *v);
static void fz_drv_free(struct fz_drv *d);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_eval: %s\n", what);
	abort();
}

/* fz_byte - take one byte of input; false at the end */
static bool
fz_byte(struct fz_in *in, uint8_t *out)
{
	if (in->len == 0)
		return false;
	*out = in->p[0];
	in->p++;
	in->len--;
	return true;
}

/* fz_string - take bytes up to a NUL (or the end, or FZ_MAX_STR) as a
 * heap C string */
static char *
fz_string(struct fz_in *in)
{
	size_t n = 0;
	char *s;

	while (n < in->len && n < FZ_MAX_STR && in->p[n] != 0)
		n++;
	s = malloc(n + 1);
	if (s == NULL)
		fz_fail("out of memory");
	memcpy(s, in->p, n);
	s[n] = '\0';
	if (n < in->len && in->p[n] == 0)
		n++;
	in->p += n;
	in->len -= n;
	return s;
}

/* fz_wire_name - the uncompressed wire form of a presentation name: empty
 * labels skipped, labels cut to 63 octets, at most 255 octets in all */
static void
fz_wire_name(const uint8_t *p, size_t len, uint8_t *out, size_t *outlen)
{
	size_t start, end, lab, o = 0;

	for (start = 0; start < len; start = end + 1) {
		for (end = start; end < len && p[end] != '.'; end++)
			;
		lab = end - start;
		if (lab == 0)
			continue;
		if (lab > FZ_LABEL)
			lab = FZ_LABEL;
		if (o + 1 + lab + 1 > FZ_WIRE_NAME)
			break;
		out[o++] = (uint8_t)lab;
		memcpy(out + o, p + start, lab);
		o += lab;
	}
	out[o++] = 0;
	*outlen = o;
}

/* fz_cook - encode p[0..len) as RDATA of type; a malloc'd buffer of
 * exactly *outlen bytes (so ASan sees any read past it) */
static uint8_t *
fz_cook(const struct fz_drv *d, uint16_t type, const uint8_t *p, size_t len,
    size_t *outlen)
{
	/* Scratch only: nothing in it outlives the call. */
	static uint8_t tmp[FZ_RDATA_MAX + FZ_RDATA_MAX / FZ_TXT_STRING + 2];
	size_t n = 0, k;
	uint8_t *out;

	switch (type) {
	case MXSPF_RR_TXT:
		do {
			k = len > FZ_TXT_STRING ? FZ_TXT_STRING : len;
			if (n + 1 + k > FZ_RDATA_MAX)
				break;
			tmp[n++] = (uint8_t)k;
			memcpy(tmp + n, p, k);
			n += k;
			p += k;
			len -= k;
		} while (len > 0);
		break;
	case MXSPF_RR_MX:
		tmp[0] = 0;
		tmp[1] = 10;
		fz_wire_name(p, len, tmp + 2, &n);
		n += 2;
		break;
	case MXSPF_RR_PTR:
		fz_wire_name(p, len, tmp, &n);
		break;
	case MXSPF_RR_A:
		n = 4;
		memcpy(tmp, len >= n ? p : d->client.b, n);
		break;
	case MXSPF_RR_AAAA:
		n = 16;
		memcpy(tmp, len >= n ? p : d->client.b, n);
		break;
	default:
		n = len > FZ_RDATA_MAX ? FZ_RDATA_MAX : len;
		memcpy(tmp, p, n);
		break;
	}
	out = malloc(n ? n : 1);
	if (out == NULL)
		fz_fail("out of memory");
	memcpy(out, tmp, n);
	*outlen = n;
	return out;
}

/* fz_build - parse one script chunk from in into an answer for type;
 * the RDATA blocks in a are malloc'd and freed by the caller */
static void
fz_build(const struct fz_drv *d, uint16_t type, struct fz_in *in,
    struct mxspf_answer *ans, struct fz_ans *a)
{
	static const enum mxspf_dns_status status[8] = { MXSPF_DNS_OK,
	    MXSPF_DNS_NXDOMAIN, MXSPF_DNS_NODATA, MXSPF_DNS_SERVFAIL,
	    MXSPF_DNS_TIMEOUT, (enum mxspf_dns_status)77, MXSPF_DNS_OK,
	    MXSPF_DNS_OK };
	uint8_t c = 0x01;	/* no script left: NXDOMAIN */
	size_t i;

	memset(a, 0, sizeof(*a));
	(void)fz_byte(in, &c);
	for (i = 0; i < FZ_C_COUNT(c); i++) {
		size_t len = 0;
		uint8_t l, hi, lo;

		if (!fz_byte(in, &l))
			break;
		len = l;
		if (l == FZ_LEN_LONG && fz_byte(in, &hi) && fz_byte(in, &lo))
			len = ((size_t)hi << 8) | lo;
		if (len > in->len)
			len = in->len;
		if (c & FZ_C_COOKED) {
			a->rr[a->n] = fz_cook(d, type, in->p, len,
			    &a->rrlen[a->n]);
		} else {
			a->rr[a->n] = malloc(len ? len : 1);
			if (a->rr[a->n] == NULL)
				fz_fail("out of memory");
			memcpy(a->rr[a->n], in->p, len);
			a->rrlen[a->n] = len;
		}
		a->n++;
		in->p += len;
		in->len -= len;
	}
	memset(ans, 0, sizeof(*ans));
	ans->status = status[FZ_C_STATUS(c)];
	ans->ttl = 3600;
	ans->count = FZ_C_STATUS(c) == 7 ? FZ_C_COUNT(c) : a->n;
	ans->rdata = FZ_C_STATUS(c) == 7 ? NULL :
	    (const uint8_t *const *)a->rr;
	ans->rdlen = FZ_C_STATUS(c) == 7 ? NULL : a->rrlen;
}

/* fz_map_find - the chunk that answered (name, type) in the first run */
static const struct fz_map_ent *
fz_map_find(const struct fz_drv *src, const char *name, uint16_t type)
{
	size_t i;

	for (i = 0; i < src->nmap; i++)
		if (src->map[i].type == type &&
		    strcasecmp(src->map[i].name, name) == 0)
			return &src->map[i];
	return NULL;
}

/* fz_answer_one - pick a pending query by the order rule, build its
 * answer (from the next script chunk, or in a replay from the chunk that
 * answered the same question in the first run) and feed it */
static void
fz_answer_one(struct fz_drv *d)
{
	struct mxspf_answer ans;
	struct fz_ans a;
	struct fz_in chunk = { NULL, 0 };
	const struct fz_map_ent *e;
	size_t i, idx = 0;
	const char *name;
	uint32_t id;
	uint16_t type;
	uint8_t b;
	int rc;

	switch (d->order) {
	case FZ_ORDER_LIFO:
		idx = d->npending - 1;
		break;
	case FZ_ORDER_ALT:
		idx = d->alt_back ? d->npending - 1 : 0;
		d->alt_back = !d->alt_back;
		break;
	case FZ_ORDER_PICK:
		if (fz_byte(&d->in, &b))
			idx = b % d->npending;
		break;
	default:
		break;
	}
	id = d->pending[idx];
	type = d->ptype[idx];
	name = d->pname[idx];
	memmove(&d->pending[idx], &d->pending[idx + 1],
	    (d->npending - idx - 1) * sizeof(d->pending[0]));
	memmove(&d->ptype[idx], &d->ptype[idx + 1],
	    (d->npending - idx - 1) * sizeof(d->ptype[0]));
	memmove(&d->pname[idx], &d->pname[idx + 1],
	    (d->npending - idx - 1) * sizeof(d->pname[0]));
	d->npending--;

	if (d->replay_of != NULL) {
		/* Unknown to the first run: NXDOMAIN (an empty chunk). */
		if ((e = fz_map_find(d->replay_of, name, type)) != NULL) {
			chunk.p = e->p;
			chunk.len = e->len;
		}
		fz_build(d, type, &chunk, &ans, &a);
	} else {
		const uint8_t *start = d->in.p;

		fz_build(d, type, &d->in, &ans, &a);
		if (d->nmap < FZ_MAX_PENDING) {
			d->map[d->nmap].name = strdup(name);
			if (d->map[d->nmap].name == NULL)
				fz_fail("out of memory");
			d->map[d->nmap].type = type;
			d->map[d->nmap].p = start;
			d->map[d->nmap].len = (size_t)(d->in.p - start);
			d->nmap++;
		}
	}
	rc = mxspf_eval_answer(d->ev, id, &ans);
	if (rc != 0)
		fz_fail("an answer to a pending query was refused");
	d->answered++;
	/* The same id again, id 0 and an id never handed out: refused. */
	if (mxspf_eval_answer(d->ev, id, &ans) != MXSPF_ENOENT ||
	    mxspf_eval_answer(d->ev, 0, &ans) != MXSPF_ENOENT ||
	    mxspf_eval_answer(d->ev, MXSPF_MAX_QUERIES + 1, &ans) !=
	    MXSPF_ENOENT)
		fz_fail("an answer to a bad query id was accepted");
	/* The evaluator copies what it keeps: free the RDATA at once. */
	for (i = 0; i < a.n; i++)
		free(a.rr[i]);
}

/* fz_take_queries - move every new query to the pending list, checking
 * each */
static void
fz_take_queries(struct fz_drv *d)
{
	const struct mxspf_query *q;

	while ((q = mxspf_eval_next_query(d->ev)) != NULL) {
		size_t n;

		if (q->name == NULL)
			fz_fail("query without a name");
		n = strlen(q->name);
		if (n == 0 || n > MXSPF_MAX_NAME || q->name[n - 1] == '.')
			fz_fail("query name empty, over 253 octets or "
			    "with a trailing dot");
		if (q->type != MXSPF_RR_A && q->type != MXSPF_RR_AAAA &&
		    q->type != MXSPF_RR_MX && q->type != MXSPF_RR_TXT &&
		    q->type != MXSPF_RR_PTR)
			fz_fail("query of an unknown type");
		if (q->id == 0 || q->id > MXSPF_MAX_QUERIES)
			fz_fail("query id out of range");
		if (d->seen[q->id])
			fz_fail("query id handed out twice");
		if (d->npending >= FZ_MAX_PENDING)
			fz_fail("too many pending queries");
		d->seen[q->id] = 1;
		d->pending[d->npending] = q->id;
		d->ptype[d->npending] = q->type;
		d->pname[d->npending] = q->name;	/* valid until answered */
		d->npending++;
	}
}

/* fz_check_header - abort unless h is a safe, non-empty header field */
static void
fz_check_header(const char *h)
{
	size_t i, line = 0, n = strlen(h);

	if (n == 0 || h[n - 1] == '\n')
		fz_fail("header empty or ends in a newline");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '\n') {
			if (h[i + 1] != '\t')
				fz_fail("header has a newline that is not a "
				    "\\n\\t fold");
			line = 0;
			continue;
		}
		if ((c < 0x20 && !(c == '\t' && i > 0 && h[i - 1] == '\n')) ||
		    c > 0x7e)
			fz_fail("header has a control or 8-bit byte");
		if (++line > FZ_LINE_MAX)
			fz_fail("header line over 998 bytes");
	}
}

/* fz_check_verdict - the contract of struct mxspf_verdict */
static void
fz_check_verdict(const struct mxspf_verdict *v,
    const struct mxspf_config *cfg, const char *trace)
{
	if (v == NULL)
		fz_fail("no verdict");
	if ((unsigned)v->result > MXSPF_PERMERROR ||
	    strcmp(mxspf_result_name(v->result), "unknown") == 0)
		fz_fail("result out of range");
	if ((unsigned)v->reason > MXSPF_WHY_MACRO)
		fz_fail("reason out of range");
	if (v->identity == NULL || v->domain == NULL)
		fz_fail("verdict without identity or domain");
	if (v->result == MXSPF_FAIL && v->explanation == NULL)
		fz_fail("fail without an explanation");
	if (v->result != MXSPF_FAIL && v->explanation != NULL)
		fz_fail("explanation on a result other than fail");
	if (v->reason == MXSPF_WHY_MECHANISM &&
	    (v->mechanism == NULL || v->mech_domain == NULL))
		fz_fail("mechanism result without the mechanism");
	if ((v->result == MXSPF_PERMERROR || v->result == MXSPF_TEMPERROR) &&
	    v->problem == NULL)
		fz_fail("error result without a problem text");
	if (v->dns_terms > cfg->max_dns_terms + 1)
		fz_fail("DNS-term counter past its limit");
	if (v->void_lookups > cfg->max_void_lookups + 1)
		fz_fail("void-lookup counter past its limit");
	if (v->queries > MXSPF_MAX_QUERIES)
		fz_fail("query counter past its limit");
	if (trace == NULL || strlen(trace) > MXSPF_MAX_TRACE ||
	    (!cfg->trace && *trace != '\0'))
		fz_fail("trace missing, too long or kept without cfg.trace");
}

/* fz_headers - write both headers from the verdict and check them */
static void
fz_headers(const struct mxspf_verdict *v, const struct mxspf_addr *client,
    const char *sender, const char *helo, enum mxspf_identity id,
    bool receiver)
{
	struct mxspf_header_info info;
	char *h = NULL;
	int rc;

	memset(&info, 0, sizeof(info));
	info.verdict = v;
	info.client = client;
	info.helo = helo;
	info.sender = sender;
	info.identity = id;
	info.receiver = receiver ? FZ_RECEIVER : NULL;
	rc = mxspf_header_received_spf(&info, &h);
	if (rc != 0 || h == NULL)
		fz_fail("mxspf_header_received_spf failed on a verdict");
	fz_check_header(h);
	if (strncmp(h, "Received-SPF: ", 14) != 0)
		fz_fail("Received-SPF header without its name");
	free(h);
	h = NULL;
	rc = mxspf_header_auth_results(&info, FZ_RECEIVER, &h);
	if (rc != 0 || h == NULL)
		fz_fail("mxspf_header_auth_results failed on a verdict");
	fz_check_header(h);
	if (strncmp(h, "Authentication-Results: ", 24) != 0)
		fz_fail("Authentication-Results header without its name");
	free(h);
}

/* fz_drive - the driver loop: step, hand out, answer, until done */
static void
fz_drive(struct fz_drv *d, uint8_t f0, uint8_t f1)
{
	size_t iter;
	bool aborted = false;
	int rc;

	for (iter = 0;; iter++) {
		if (iter > FZ_MAX_ITER)
			fz_fail("evaluation does not end");
		rc = mxspf_eval_step(d->ev);
		if (rc < 0)
			fz_fail("mxspf_eval_step returned an error");
		if (rc == MXSPF_STEP_DONE)
			break;
		if (rc != MXSPF_STEP_QUERY)
			fz_fail("mxspf_eval_step returned an unknown value");
		if (aborted)
			fz_fail("mxspf_eval_step wants queries after abort");
		fz_take_queries(d);
		if (d->npending == 0)
			fz_fail("STEP_QUERY with no query outstanding");
		do {
			fz_answer_one(d);
			if ((f0 & FZ_F0_ABORT) &&
			    d->answered == (size_t)FZ_F1_ABORT_AT(f1) + 1) {
				mxspf_eval_abort(d->ev);
				aborted = true;
				break;
			}
		} while (!(f0 & FZ_F0_ONE) && d->npending > 0);
		if (aborted) {
			const struct mxspf_verdict *v;

			v = mxspf_eval_verdict(d->ev);
			if (v->result != MXSPF_TEMPERROR ||
			    v->reason != MXSPF_WHY_DEADLINE)
				fz_fail("abort did not give temperror "
				    "(deadline)");
			/* A late answer is harmless and changes nothing. */
			if (d->npending > 0) {
				d->order = FZ_ORDER_FIFO;
				fz_answer_one(d);
			}
			if (mxspf_eval_step(d->ev) != MXSPF_STEP_DONE)
				fz_fail("step after abort is not DONE");
			v = mxspf_eval_verdict(d->ev);
			if (v->result != MXSPF_TEMPERROR ||
			    v->reason != MXSPF_WHY_DEADLINE)
				fz_fail("an answer after abort changed the "
				    "result");
			break;
		}
	}
}

/* fz_streq - string equality, NULL equal only to NULL */
static bool
fz_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* fz_same_verdict - abort unless two runs of one evaluation agree */
static void
fz_same_verdict(const struct mxspf_verdict *a, const struct mxspf_verdict *b)
{
	const char *what = NULL;

	if (a->result != b->result || a->reason != b->reason)
		what = "result or reason";
	else if (!fz_streq(a->mechanism, b->mechanism) ||
	    !fz_streq(a->mech_domain, b->mech_domain) ||
	    (a->mechanism != NULL && a->mech_offset != b->mech_offset))
		what = "mechanism";
	else if (!fz_streq(a->explanation, b->explanation))
		what = "explanation";
	else if (!fz_streq(a->problem, b->problem))
		what = "problem";
	else if (a->dns_terms != b->dns_terms ||
	    a->void_lookups != b->void_lookups)
		what = "DNS-term or void-lookup count";
	if (what == NULL)
		return;
	fprintf(stderr, "first run: %s (%s) mech=%s problem=%s terms=%zu "
	    "void=%zu\nreplay:    %s (%s) mech=%s problem=%s terms=%zu "
	    "void=%zu\n", mxspf_result_name(a->result),
	    mxspf_reason_name(a->reason), a->mechanism ? a->mechanism : "-",
	    a->problem ? a->problem : "-", a->dns_terms, a->void_lookups,
	    mxspf_result_name(b->result), mxspf_reason_name(b->reason),
	    b->mechanism ? b->mechanism : "-", b->problem ? b->problem : "-",
	    b->dns_terms, b->void_lookups);
	fprintf(stderr, "fuzz_eval: the replay differs in the %s\n", what);
	abort();
}

/* fz_replay - run the evaluation again against the same DNS (every
 * question gets the answer it got in the first run, NXDOMAIN if it was
 * not asked) with speculation, tracing, the record cache, the answer
 * order and batching all changed: the verdict must not change */
static void
fz_replay(const struct fz_drv *first, uint8_t f0, uint8_t f1,
    const struct mxspf_config *cfg, const struct mxspf_request *req,
    const struct mxspf_verdict *v)
{
	struct mxspf_config cfg2 = *cfg;
	struct mxspf_ctx *ctx2 = NULL;
	struct fz_drv *d;
	const struct mxspf_verdict *v2;

	/* Speculative queries count against MXSPF_MAX_QUERIES only. */
	if (v->queries > MXSPF_MAX_QUERIES / 2)
		return;
	cfg2.speculative = !cfg->speculative;
	cfg2.trace = !cfg->trace;
	cfg2.record_cache_size = cfg->record_cache_size == 1 ? 0 : 1;
	if (mxspf_ctx_new(&ctx2, &cfg2) != 0)
		fz_fail("mxspf_ctx_new failed");
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		fz_fail("out of memory");
	d->client = first->client;
	d->replay_of = first;
	d->order = (FZ_F0_ORDER(f0) + 1) % FZ_ORDER_PICK;
	if (mxspf_eval_new(&d->ev, ctx2, req) != 0)
		fz_fail("mxspf_eval_new failed in the replay");
	fz_drive(d, (uint8_t)((f0 ^ FZ_F0_ONE) & ~FZ_F0_ABORT), f1);
	v2 = mxspf_eval_verdict(d->ev);
	fz_check_verdict(v2, &cfg2, mxspf_eval_trace(d->ev));
	fz_same_verdict(v, v2);
	mxspf_eval_free(d->ev);
	mxspf_ctx_free(ctx2);
	free(d);
}

/* fz_drv_free - free a first-run driver and its answer map */
static void
fz_drv_free(struct fz_drv *d)
{
	size_t i;

	for (i = 0; i < d->nmap; i++)
		free(d->map[i].name);
	free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxspf_config cfg;
	struct mxspf_request req;
	struct mxspf_ctx *ctx = NULL;
	struct fz_drv *d;
	const struct mxspf_verdict *v;
	char *sender, *helo;
	uint8_t f0 = 0, f1 = 0;
	size_t alen;
	int rc;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		fz_fail("out of memory");
	d->in.p = data;
	d->in.len = size;
	(void)fz_byte(&d->in, &f0);
	(void)fz_byte(&d->in, &f1);
	d->order = FZ_F0_ORDER(f0);

	d->client.family = (f0 & FZ_F0_IPV6) ? 6 : 4;
	alen = d->client.family == 4 ? 4 : 16;
	if (alen > d->in.len)
		alen = d->in.len;
	memcpy(d->client.b, d->in.p, alen);
	d->in.p += alen;
	d->in.len -= alen;
	sender = fz_string(&d->in);
	helo = fz_string(&d->in);

	mxspf_config_init(&cfg);
	cfg.speculative = (f0 & FZ_F0_SPEC) != 0;
	cfg.trace = (f0 & FZ_F0_TRACE) != 0;
	if (f1 & FZ_F1_CACHE1)
		cfg.record_cache_size = 1;
	if (f1 & FZ_F1_SMALL) {
		cfg.max_dns_terms = 3;
		cfg.max_void_lookups = 0;
		cfg.max_mx_names = 2;
		cfg.max_ptr_names = 2;
	}
	if (f1 & FZ_F1_EXP) {
		cfg.default_exp = FZ_DEFAULT_EXP;
		cfg.receiver = FZ_RECEIVER;
	}
	if (mxspf_ctx_new(&ctx, &cfg) != 0)
		fz_fail("mxspf_ctx_new failed");

	memset(&req, 0, sizeof(req));
	req.client = d->client;
	req.sender = (f1 & FZ_F1_NULL) && *sender == '\0' ? NULL : sender;
	req.helo = (f1 & FZ_F1_NULL) && *helo == '\0' ? NULL : helo;
	req.identity = (f0 & FZ_F0_HELO) ? MXSPF_ID_HELO : MXSPF_ID_MAILFROM;
	req.now = (f1 & FZ_F1_EXP) ? INT64_MIN : FZ_NOW;
	rc = mxspf_eval_new(&d->ev, ctx, &req);
	if (rc == 0) {
		fz_drive(d, f0, f1);
		v = mxspf_eval_verdict(d->ev);
		fz_check_verdict(v, &cfg, mxspf_eval_trace(d->ev));
		fz_headers(v, &d->client, req.sender, req.helo, req.identity,
		    (f1 & FZ_F1_EXP) != 0);
		if (!(f0 & FZ_F0_ABORT))
			fz_replay(d, f0, f1, &cfg, &req, v);
		mxspf_eval_free(d->ev);
	} else if (rc != MXSPF_EINVAL || strlen(sender) + strlen(helo) +
	    strlen("postmaster@") <= MXSPF_MAX_IDENTITY) {
		/* Only an identity over MXSPF_MAX_IDENTITY may be refused
		 * (the null sender becomes postmaster@<helo>). */
		fz_fail("mxspf_eval_new refused a valid request");
	}
	mxspf_ctx_free(ctx);
	free(sender);
	free(helo);
	fz_drv_free(d);
	return 0;
}
