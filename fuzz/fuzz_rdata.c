/* fuzz/fuzz_rdata.c - libFuzzer target for the wire-format RDATA parsers.
 * Owns: the checks made on lib/rdata.c: the whole input is handed, as
 * RDATA, to each parser in turn (TXT, one name and then a run of names,
 * MX, PTR, A, AAAA).  It aborts when a parser reports success with output
 * that cannot come from len input bytes: a joined TXT longer than the
 * RDATA, a name offset past the end or not advanced, a presentation name
 * over 253 octets, an MX or PTR that does not consume all of the RDATA, an
 * address whose family or length disagrees with the type.  ASan catches
 * reads past the input, which libFuzzer allocates to its exact size.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_txt(data, size);
	fz_names(data, size);
	fz_mx_ptr(data, size);
	fz_addr(data, size);
	return 0;
}
