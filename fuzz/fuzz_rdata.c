/* fuzz/fuzz_rdata.c - libFuzzer target for the wire-format RDATA parsers.
 * Owns: the checks made on lib/rdata.c: the whole input is handed, as
 * RDATA, to each parser in turn (TXT, one name and then a run of names,
 * MX, PTR, A, AAAA) and to the copy-into-array forms the evaluator uses
 * (mxspf__rdata_txt_len/_txt_copy, mxspf__rdata_name_into) with output
 * arrays of several sizes.  It aborts when a parser accepts or rejects
 * unlike an independent walk of the data, or reports success with output
 * that cannot come from len input bytes: a joined TXT of the wrong length,
 * a name offset past the end or not advanced, a presentation name over 253
 * octets, an MX or PTR that does not consume all of the RDATA, an address
 * whose family or length disagrees with the type; when a copy form
 * disagrees with its mxspf_buf form or is not NUL-terminated.  ASan
 * catches reads past the input (libFuzzer allocates it to its exact size)
 * and writes past an output array (each is malloc'd to its exact size).
 * Must not: keep state between runs.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf_limits.h"
#include "rdata.h"

#define FZ_OUT_MAX	65536	/* RDLENGTH is 16 bits */
#define FZ_NAME_MAX	64	/* names parsed from one input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_fail(const char *what);
static void fz_txt(const uint8_t *data, size_t size);
static void fz_names(const uint8_t *data, size_t size);
static void fz_mx_ptr(const uint8_t *data, size_t size);
static void fz_addr(const uint8_t *data, size_t size);
static void fz_txt_copy(const uint8_t *data, size_t size);
static void fz_name_into(const uint8_t *data, size_t size);
static char *fz_xmalloc(size_t n);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_rdata: %s\n", what);
	abort();
}

/* fz_txt - TXT: the joined strings are the input minus length bytes */
static void
fz_txt(const uint8_t *data, size_t size)
{
	struct mxspf_buf out;
	size_t off = 0, want = 0;
	bool ok = true;

	/* An independent walk of the character-strings. */
	while (off < size) {
		size_t n = data[off++];

		if (n > size - off) {
			ok = false;
			break;
		}
		want += n;
		off += n;
	}
	mxspf_buf_init(&out, FZ_OUT_MAX);
	if (mxspf__rdata_txt(data, size, &out) == 0) {
		if (!ok || out.len != want || out.err != 0)
			fz_fail("TXT accepted or joined wrongly");
	} else if (ok) {
		fz_fail("TXT rejected well-formed character-strings");
	}
	mxspf_buf_free(&out);

	/* A small limit must fail cleanly, never overflow. */
	mxspf_buf_init(&out, 16);
	if (mxspf__rdata_txt(data, size, &out) == 0 && out.len > 16)
		fz_fail("TXT output passed its limit");
	mxspf_buf_free(&out);
}

/* fz_names - parse names one after another from offset 0 */
static void
fz_names(const uint8_t *data, size_t size)
{
	struct mxspf_buf out;
	size_t off = 0, prev, i;

	mxspf_buf_init(&out, FZ_OUT_MAX);
	for (i = 0; i < FZ_NAME_MAX && off < size; i++) {
		prev = off;
		mxspf_buf_reset(&out);
		if (mxspf__rdata_name(data, size, &off, &out) != 0) {
			if (off != prev)
				fz_fail("failed name parse moved the offset");
			break;
		}
		if (off <= prev || off > size)
			fz_fail("name offset not advanced or past the end");
		if (out.len > MXSPF_MAX_NAME)
			fz_fail("name longer than 253 octets");
		if (out.len > off - prev)
			fz_fail("name text longer than its wire form");
	}
	mxspf_buf_free(&out);
}

/* fz_mx_ptr - MX and PTR must consume exactly the RDATA */
static void
fz_mx_ptr(const uint8_t *data, size_t size)
{
	struct mxspf_buf out, name;
	uint16_t pref = 0;
	size_t off;

	mxspf_buf_init(&out, FZ_OUT_MAX);
	mxspf_buf_init(&name, FZ_OUT_MAX);
	if (mxspf__rdata_mx(data, size, &pref, &out) == 0) {
		off = 2;
		if (size < 3 || pref != (uint16_t)((data[0] << 8) | data[1]))
			fz_fail("MX preference wrong");
		if (mxspf__rdata_name(data, size, &off, &name) != 0 ||
		    off != size || name.len != out.len ||
		    memcmp(mxspf_buf_cstr(&name), mxspf_buf_cstr(&out),
		    out.len) != 0)
			fz_fail("MX exchange disagrees with the name parser");
	}
	mxspf_buf_reset(&out);
	mxspf_buf_reset(&name);
	if (mxspf__rdata_ptr(data, size, &out) == 0) {
		off = 0;
		if (mxspf__rdata_name(data, size, &off, &name) != 0 ||
		    off != size || name.len != out.len)
			fz_fail("PTR accepted trailing bytes");
	}
	mxspf_buf_free(&out);
	mxspf_buf_free(&name);
}

/* fz_addr - A and AAAA take exactly 4 and 16 bytes */
static void
fz_addr(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = { MXSPF_RR_A, MXSPF_RR_AAAA,
	    MXSPF_RR_TXT, MXSPF_RR_MX, MXSPF_RR_PTR, 0, 0xffff };
	struct mxspf_addr a;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int rc = mxspf__rdata_addr(data, size, types[i], &a);

		if (rc == 0 && !((types[i] == MXSPF_RR_A && size == 4 &&
		    a.family == 4 && memcmp(a.b, data, 4) == 0) ||
		    (types[i] == MXSPF_RR_AAAA && size == 16 &&
		    a.family == 6 && memcmp(a.b, data, 16) == 0)))
			fz_fail("address accepted with the wrong type/length");
		if (rc != 0 && ((types[i] == MXSPF_RR_A && size == 4) ||
		    (types[i] == MXSPF_RR_AAAA && size == 16)))
			fz_fail("valid address rejected");
	}
}

/* fz_xmalloc - malloc or abort; n 0 gives a 1-byte block */
static char *
fz_xmalloc(size_t n)
{
	char *p = malloc(n ? n : 1);

	if (p == NULL)
		fz_fail("out of memory");
	return p;
}

/* fz_txt_copy - the length and copy forms agree with mxspf__rdata_txt */
static void
fz_txt_copy(const uint8_t *data, size_t size)
{
	struct mxspf_buf ref;
	size_t total = 0, caps[4], i;
	bool ok;

	mxspf_buf_init(&ref, FZ_OUT_MAX);
	ok = mxspf__rdata_txt(data, size, &ref) == 0;
	if ((mxspf__rdata_txt_len(data, size, &total) == 0) != ok ||
	    (ok && total != ref.len))
		fz_fail("mxspf__rdata_txt_len disagrees with mxspf__rdata_txt");
	caps[0] = total + 1;	/* what the evaluator allocates */
	caps[1] = total / 2 + 1;
	caps[2] = 1;
	caps[3] = 0;
	for (i = 0; ok && i < sizeof(caps) / sizeof(caps[0]); i++) {
		char *dst = fz_xmalloc(caps[i]);
		int rc = mxspf__rdata_txt_copy(data, size, dst, caps[i]);

		if (caps[i] == 0) {
			if (rc != -1)
				fz_fail("TXT copy into 0 bytes succeeded");
		} else if (rc == -1 || (rc == 0) != (total < caps[i]) ||
		    dst[total < caps[i] ? total : caps[i] - 1] != '\0' ||
		    memcmp(dst, mxspf_buf_cstr(&ref),
		    total < caps[i] ? total : caps[i] - 1) != 0) {
			fz_fail("mxspf__rdata_txt_copy disagrees with "
			    "mxspf__rdata_txt");
		}
		free(dst);
	}
	mxspf_buf_free(&ref);
}

/* fz_name_into - mxspf__rdata_name_into agrees with mxspf__rdata_name,
 * from offset 0 and 2 (MX), with room len + 1 (what the evaluator gives),
 * exactly the text and its NUL, and less */
static void
fz_name_into(const uint8_t *data, size_t size)
{
	struct mxspf_buf ref;
	size_t start, caps[3], i;

	mxspf_buf_init(&ref, FZ_OUT_MAX);
	for (start = 0; start <= 2 && start <= size; start += 2) {
		size_t roff = start;
		bool ok;

		mxspf_buf_reset(&ref);
		ok = mxspf__rdata_name(data, size, &roff, &ref) == 0;
		caps[0] = size + 1;
		caps[1] = ref.len + 1;
		caps[2] = ref.len / 2 + 1;
		for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
			char *dst = fz_xmalloc(caps[i]);
			size_t off = start;
			int rc;

			rc = mxspf__rdata_name_into(data, size, &off, dst,
			    caps[i]);
			/* Labels may hold NUL bytes: compare ref.len bytes. */
			if (rc == 0 && (!ok || off != roff ||
			    ref.len >= caps[i] || dst[ref.len] != '\0' ||
			    memcmp(dst, mxspf_buf_cstr(&ref), ref.len) != 0))
				fz_fail("mxspf__rdata_name_into disagrees "
				    "with mxspf__rdata_name");
			if (rc != 0 && off != start)
				fz_fail("failed name parse moved the offset");
			if (rc != 0 && ok && i < 2)
				fz_fail("mxspf__rdata_name_into rejected a "
				    "name that fits (len + 1 or exact room)");
			free(dst);
		}
	}
	mxspf_buf_free(&ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_txt(data, size);
	fz_txt_copy(data, size);
	fz_name_into(data, size);
	fz_names(data, size);
	fz_mx_ptr(data, size);
	fz_addr(data, size);
	return 0;
}
