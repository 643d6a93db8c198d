/* lib/rdata.c - bounds-checked parsers of wire-format RDATA.
 * Owns: the rules for turning untrusted RDATA into text and addresses.
 * Must not: read past len, follow compression pointers, accept a name over
 * 255 wire octets.  Every length byte is checked against what is left
 * (libunbound passes malformed TXT through unchanged).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "rdata.h"

/* WIRE_NAME_MAX - RFC 1035 s2.3.4 limit of a wire-format name */
#define WIRE_NAME_MAX 255

int
mxspf__rdata_txt(const uint8_t *p, size_t len, struct mxspf_buf *out)
{
	size_t off = 0;

	while (off < len) {
		size_t n = p[off++];

		if (n > len - off)
			return -1;
		mxspf_buf_append(out, p + off, n);
		off += n;
	}
	return out->err != 0 ? -1 : 0;
}

int
mxspf__rdata_name(const uint8_t *p, size_t len, size_t *off,
    struct mxspf_buf *out)
{
	size_t o = *off, wire = 0;
	bool first = true;

	for (;;) {
		size_t n;

		if (o >= len)
			return -1;
		n = p[o++];
		wire += n + 1;
		if (wire > WIRE_NAME_MAX || (n & 0xc0) != 0)
			return -1;	/* over-long, or a pointer */
		if (n == 0)
			break;
		if (n > len - o)
			return -1;
		if (!first)
			mxspf_buf_putc(out, '.');
		mxspf_buf_append(out, p + o, n);
		o += n;
		first = false;
	}
	*off = o;
	return out->err != 0 ? -1 : 0;
}

int
mxspf__rdata_mx(const uint8_t *p, size_t len, uint16_t *pref,
    struct mxspf_buf *out)
{
	size_t off = 2;

	if (len < 3)
		return -1;
	*pref = (uint16_t)((p[0] << 8) | p[1]);
	if (mxspf__rdata_name(p, len, &off, out) != 0 || off != len)
		return -1;
	return 0;
}

int
mxspf__rdata_ptr(const uint8_t *p, size_t len, struct mxspf_buf *out)
{
	size_t off = 0;

	if (mxspf__rdata_name(p, len, &off, out) != 0 || off != len)
		return -1;
	return 0;
}

int
mxspf__rdata_addr(const uint8_t *p, size_t len, uint16_t type,
    struct mxspf_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (type == MXSPF_RR_A && len == 4) {
		out->family = 4;
		memcpy(out->b, p, 4);
		return 0;
	}
	if (type == MXSPF_RR_AAAA && len == 16) {
		out->family = 6;
		memcpy(out->b, p, 16);
		return 0;
	}
	return -1;
}

int
mxspf__rdata_txt_len(const uint8_t *p, size_t len, size_t *total)
{
	size_t off = 0, sum = 0;

	while (off < len) {
		size_t n = p[off++];

		if (n > len - off)
			return -1;
		sum += n;
		off += n;
	}
	*total = sum;
	return 0;
}

int
mxspf__rdata_txt_copy(const uint8_t *p, size_t len, char *dst, size_t cap)
{
	size_t off = 0, out = 0;
	int rc = 0;

	if (cap == 0)
		return -1;
	while (off < len) {
		size_t n = p[off++], keep = n;

		if (n > len - off)
			return -1;
		if (keep > cap - 1 - out) {
			keep = cap - 1 - out;	/* keep what fits */
			rc = 1;
		}
		memcpy(dst + out, p + off, keep);
		out += keep;
		off += n;
	}
	dst[out] = '\0';
	return rc;
}

bool
mxspf__rdata_txt_equal(const uint8_t *p, size_t len, const char *text,
    size_t tlen)
{
	size_t off = 0, t = 0;

	while (off < len) {
		size_t n = p[off++];

		if (n > len - off || n > tlen - t ||
		    memcmp(p + off, text + t, n) != 0)
			return false;
		off += n;
		t += n;
	}
	return t == tlen;
}

int
mxspf__rdata_name_into(const uint8_t *p, size_t len, size_t *off, char *dst,
    size_t cap)
{
	size_t o = *off, wire = 0, out = 0;

	if (cap == 0)
		return -1;
	for (;;) {
		size_t n;

		if (o >= len)
			return -1;
		n = p[o++];
		wire += n + 1;
		if (wire > WIRE_NAME_MAX || (n & 0xc0) != 0)
			return -1;	/* over-long, or a pointer */
		if (n == 0)
			break;
		/* room for the dot (not before the first label), the label
		 * and the final NUL */
		if (n > len - o || (out > 0) + n + 1 > cap - out)
			return -1;
		if (out > 0)
			dst[out++] = '.';
		memcpy(dst + out, p + o, n);
		out += n;
		o += n;
	}
	if (cap == 0)
		return -1;
	dst[out] = '\0';
	*off = o;
	return 0;
}
