/* fuzz/fuzz_header.c - libFuzzer target for the header writers.
 * Owns: the mapping of fuzz input to a verdict and its SMTP facts: byte 0
 * picks the result, reason and identity, bytes 1..16 the client address,
 * the rest is split at NUL bytes into sender, helo, receiver, mechanism,
 * problem and authserv-id.  It aborts when a header that was written has
 * a byte outside printable ASCII other than a "\n\t" fold, a line over
 * 998 bytes or a final newline, or when a call fails with anything but
 * MXSPF_EINVAL (a bad authserv-id).  Must not: keep state between runs.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/mxspf.h"

#define FZ_FIELDS	6	/* sender helo receiver mechanism problem id */
#define FZ_LINE_MAX	998	/* RFC 5322 s2.1.1 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fz_check - abort unless h is a safe header */
static void
fz_check(const char *h)
{
	size_t i, line = 0, n = strlen(h);

	if (n == 0 || h[n - 1] == '\n')
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '\n') {
			if (h[i + 1] != '\t')
				abort();
			line = 0;
			continue;
		}
		if ((c < 0x20 && !(c == '\t' && i > 0 && h[i - 1] == '\n')) ||
		    c > 0x7e)
			abort();
		if (++line > FZ_LINE_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxspf_verdict v;
	struct mxspf_addr a;
	struct mxspf_header_info info;
	char *buf, *field[FZ_FIELDS] = { NULL }, *h = NULL, *p;
	size_t k;
	int rc;

	if (size < 17)
		return 0;
	memset(&v, 0, sizeof(v));
	memset(&a, 0, sizeof(a));
	v.result = (enum mxspf_result)(data[0] % 7);
	v.reason = (data[0] & 0x80) ? MXSPF_WHY_MECHANISM : MXSPF_WHY_SYNTAX;
	a.family = (data[1] & 1) ? 6 : 4;
	memcpy(a.b, data + 1, 16);

	/* The rest, NUL-terminated, cut into fields at each NUL. */
	buf = malloc(size - 17 + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 17, size - 17);
	buf[size - 17] = '\0';
	for (p = buf, k = 0; k < FZ_FIELDS && p <= buf + (size - 17); k++) {
		field[k] = p;
		p += strlen(p) + 1;
	}
	memset(&info, 0, sizeof(info));
	info.verdict = &v;
	info.client = &a;
	info.sender = field[0] != NULL ? field[0] : "";
	info.helo = field[1];
	info.receiver = field[2];
	v.mechanism = field[3];
	v.problem = field[4];
	info.identity = (data[0] & 0x40) ? MXSPF_ID_HELO : MXSPF_ID_MAILFROM;

	rc = mxspf_header_received_spf(&info, &h);
	if (rc != 0)
		abort();
	fz_check(h);
	free(h);
	h = NULL;
	rc = mxspf_header_auth_results(&info,
	    field[5] != NULL ? field[5] : "mx.example.net", &h);
	if (rc == 0)
		fz_check(h);
	else if (rc != MXSPF_EINVAL || h != NULL)
		abort();
	free(h);
	free(buf);
	return 0;
}
