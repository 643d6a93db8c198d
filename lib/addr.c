/* lib/addr.c - IP address parsing, formatting and CIDR matching.
 * Owns: struct mxspf_addr conventions (family 4 uses b[0..3]).  Parses
 * with inet_pton on a bounded copy; never reads past the given length.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <string.h>

#include "mxspf/mxspf.h"
#include "addr.h"

/* ADDR_TEXT_MAX - longest textual address we parse, NUL included */
#define ADDR_TEXT_MAX 64

int
mxspf__addr_parse_n(const char *p, size_t len, int family,
    struct mxspf_addr *out)
{
	char tmp[ADDR_TEXT_MAX];

	if (len == 0 || len >= sizeof(tmp) || memchr(p, '\0', len) != NULL)
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (family != 6 && inet_pton(AF_INET, tmp, out->b) == 1) {
		out->family = 4;
		return 0;
	}
	if (family != 4 && inet_pton(AF_INET6, tmp, out->b) == 1) {
		out->family = 6;
		return 0;
	}
	return -1;
}

int
mxspf_addr_parse(const char *text, struct mxspf_addr *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (text == NULL || out == NULL ||
	    mxspf__addr_parse_n(text, strlen(text), 0, out) != 0)
		return MXSPF_EINVAL;
	if (out->family == 6 && memcmp(out->b, mapped, sizeof(mapped)) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = 4;
	}
	return 0;
}

int
mxspf_addr_format(const struct mxspf_addr *a, char *buf, size_t len)
{
	if (a == NULL || buf == NULL || len > (size_t)INT32_MAX)
		return MXSPF_EINVAL;
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, buf,
	    (socklen_t)len) == NULL)
		return MXSPF_ELIMIT;
	return 0;
}

bool
mxspf__addr_match(const struct mxspf_addr *a, const struct mxspf_addr *net,
    unsigned cidr)
{
	unsigned full, rest, max = a->family == 4 ? 32 : 128;
	uint8_t mask;

	if (a->family != net->family)
		return false;
	if (cidr > max)
		cidr = max;
	full = cidr / 8;
	rest = cidr % 8;
	if (memcmp(a->b, net->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[full] & mask) == (net->b[full] & mask);
}
