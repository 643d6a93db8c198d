/* lib/addr.c - IP address parsing, formatting and CIDR matching.
 * Owns: struct mxspf_addr conventions (family 4 uses b[0..3]) and prefix
 * matching.  The usual forms (a dotted quad, IPv6 without a dotted-quad
 * tail) are parsed and formatted here by the rules of glibc's inet_pton and
 * inet_ntop, step for step (clients are parsed and %{c} formatted on every
 * check); the rest goes to inet_pton on a bounded copy.  Never reads past
 * the given length.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <string.h>

#include "mxspf/mxspf.h"
#include "addr.h"
#include "internal.h"

/* ADDR_TEXT_MAX - longest textual address we parse, NUL included */
#define ADDR_TEXT_MAX 64
/* ADDR_QUAD_MAX - a dotted quad's text, NUL included */
#define ADDR_QUAD_MAX 16
/* ADDR_SIX_MAX - IPv6 text as inet_ntop writes it, NUL included */
#define ADDR_SIX_MAX sizeof("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")
#define ADDR_WORDS 8		/* 16-bit groups of an IPv6 address */

/* parse_quad - the common dotted quad, without inet_pton's copy: four
 * decimal parts of 0..255, no leading zero.  Accepts only what inet_pton
 * (AF_INET) accepts; anything else is left to it.  @return 0 or -1 */
static int
parse_quad(const char *p, size_t len, uint8_t out[4])
{
	size_t i = 0, part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0 && (i >= len || p[i++] != '.'))
			return -1;
		while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 4) {
			if (digits == 1 && v == 0)
				return -1;	/* a leading zero */
			v = v * 10 + (unsigned)(p[i++] - '0');
			digits++;
		}
		if (digits == 0 || v > 255)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

/* parse_six - IPv6 text as inet_pton (AF_INET6) parses it: groups of 1..4
 * hex digits, one "::" at most.  A '.' (a dotted-quad tail) is left to
 * inet_pton.  @return 0, -1 when inet_pton refuses the text too, or 1 for
 * "ask inet_pton" */
static int
parse_six(const char *p, size_t len, uint8_t out[16])
{
	uint8_t tmp[16];
	size_t i = 0, tp = 0, gap = SIZE_MAX, n;
	unsigned val = 0, digits = 0;
	int d;

	if (len == 0)
		return -1;
	if (p[0] == ':' && (len < 2 || p[1] != ':'))
		return -1;	/* a lone leading colon */
	if (p[0] == ':')
		i = 1;
	while (i < len) {
		char c = p[i++];

		if ((d = mxspf__hex_value((unsigned char)c)) >= 0) {
			if (digits == 4)
				return -1;
			val = (val << 4) | (unsigned)d;
			digits++;
		} else if (c == ':' && digits == 0) {
			if (gap != SIZE_MAX)
				return -1;	/* a second "::" */
			gap = tp;
		} else if (c == ':') {
			if (i == len || tp + 2 > sizeof(tmp))
				return -1;
			tmp[tp++] = (uint8_t)(val >> 8);
			tmp[tp++] = (uint8_t)val;
			val = 0;
			digits = 0;
		} else {
			return c == '.' ? 1 : -1;
		}
	}
	if (digits > 0) {
		if (tp + 2 > sizeof(tmp))
			return -1;
		tmp[tp++] = (uint8_t)(val >> 8);
		tmp[tp++] = (uint8_t)val;
	}
	if (gap != SIZE_MAX) {
		if (tp == sizeof(tmp))
			return -1;	/* "::" standing for no group */
		n = tp - gap;
		memmove(tmp + sizeof(tmp) - n, tmp + gap, n);
		memset(tmp + gap, 0, sizeof(tmp) - n - gap);
		tp = sizeof(tmp);
	}
	if (tp != sizeof(tmp))
		return -1;
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}

/* format_quad - the dotted quad of b into text (ADDR_QUAD_MAX bytes);
 * @return its length */
static size_t
format_quad(const uint8_t *b, char *text)
{
	size_t i, n = 0;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i > 0)
			text[n++] = '.';
		if (v >= 100)
			text[n++] = (char)('0' + v / 100);
		if (v >= 10)
			text[n++] = (char)('0' + v / 10 % 10);
		text[n++] = (char)('0' + v % 10);
	}
	text[n] = '\0';
	return n;
}

/* zero_run - the first longest run of zero groups of w (at least 2, as
 * inet_ntop wants for "::"); *base is ADDR_WORDS when there is none.
 * @return its length */
static size_t
zero_run(const unsigned *w, size_t *base)
{
	size_t i, cur = 0, len = 0;

	*base = ADDR_WORDS;
	for (i = 0; i <= ADDR_WORDS; i++) {
		if (i < ADDR_WORDS && w[i] == 0) {
			cur++;
			continue;
		}
		if (cur > len) {
			len = cur;
			*base = i - cur;
		}
		cur = 0;
	}
	if (len < 2)
		*base = ADDR_WORDS;
	return len;
}

/* format_six - IPv6 text as inet_ntop (AF_INET6) writes it: lower-case
 * groups without leading zeros, the first longest run of two or more zero
 * groups as "::", and a dotted-quad tail for ::a.b.c.d and ::ffff:a.b.c.d.
 * text holds ADDR_SIX_MAX bytes.  @return the length */
static size_t
format_six(const uint8_t *b, char *text)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[ADDR_WORDS];
	size_t i, n = 0, base, run;
	int shift;

	for (i = 0; i < ADDR_WORDS; i++)
		w[i] = (unsigned)(b[2 * i] << 8 | b[2 * i + 1]);
	run = zero_run(w, &base);
	for (i = 0; i < ADDR_WORDS; i++) {
		if (base != ADDR_WORDS && i >= base && i < base + run) {
			if (i == base)
				text[n++] = ':';
			continue;
		}
		if (i != 0)
			text[n++] = ':';
		if (i == 6 && base == 0 && (run == 6 ||
		    (run == 5 && w[5] == 0xffff)))
			return n + format_quad(b + 12, text + n);
		for (shift = 12; shift > 0 && (w[i] >> shift) == 0; shift -= 4)
			;
		for (; shift >= 0; shift -= 4)
			text[n++] = hex[(w[i] >> shift) & 0xf];
	}
	if (base != ADDR_WORDS && base + run == ADDR_WORDS)
		text[n++] = ':';
	text[n] = '\0';
	return n;
}

int
mxspf__addr_parse_n(const char *p, size_t len, int family,
    struct mxspf_addr *out)
{
	char tmp[ADDR_TEXT_MAX];
	uint8_t quad[4], six[16];
	int rc;

	if (family != 6 && parse_quad(p, len, quad) == 0) {
		memset(out, 0, sizeof(*out));
		out->family = 4;
		memcpy(out->b, quad, 4);
		return 0;
	}
	if (family != 4 && (rc = parse_six(p, len, six)) != 1) {
		/* (Nothing that parse_six refuses is a dotted quad.) */
		if (rc != 0)
			return -1;
		out->family = 6;
		memcpy(out->b, six, 16);
		return 0;
	}
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
	char text[ADDR_SIX_MAX];
	size_t n;

	if (a == NULL || buf == NULL || len > (size_t)INT32_MAX)
		return MXSPF_EINVAL;
	if (a->family == 4 || a->family == 6) {
		/* As inet_ntop writes it, without its stdio machinery. */
		n = a->family == 4 ? format_quad(a->b, text) :
		    format_six(a->b, text);
		if (n >= len)
			return MXSPF_ELIMIT;
		memcpy(buf, text, n + 1);
		return 0;
	}
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

/* load_be64 - 8 bytes as a big-endian word */
static uint64_t
load_be64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* prefix_mask - the mask word of bits [from, from + 64) of a cidr-bit
 * prefix */
static uint64_t
prefix_mask(unsigned cidr, unsigned from)
{
	if (cidr <= from)
		return 0;
	if (cidr - from >= 64)
		return ~(uint64_t)0;
	return ~(uint64_t)0 << (64 - (cidr - from));
}

void
mxspf__prefix_make(struct mxspf__prefix *p, const struct mxspf_addr *a,
    unsigned cidr)
{
	unsigned max = a->family == 4 ? 32 : 128;

	if (cidr > max)
		cidr = max;
	p->family = a->family;
	p->w[0] = load_be64(a->b);
	p->w[1] = load_be64(a->b + 8);
	p->m[0] = prefix_mask(cidr, 0);
	p->m[1] = prefix_mask(cidr, 64);
}
