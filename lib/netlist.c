/* lib/netlist.c - lists of IP networks (exempt hosts, trusted relays).
 * Owns: struct mxspf_netlist, a growable array of (address, prefix).
 * Parses "ADDR" and "ADDR/LEN" items separated by spaces or commas, with
 * the prefix length checked against the family; an IPv4-mapped IPv6
 * address is stored as IPv4, as clients are.  Must not: accept junk after
 * an item or a partly parsed list.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/policy.h"
#include "addr.h"
#include "buf.h"
#include "internal.h"

struct net {
	struct mxspf_addr addr;
	unsigned len;
};

struct mxspf_netlist {
	struct net *nets;
	size_t n, cap;
};

#define NETLIST_MAX 65536	/* networks in one list */

int
mxspf_netlist_new(struct mxspf_netlist **out)
{
	*out = mxspf__calloc(1, sizeof(**out));
	return *out == NULL ? MXSPF_ENOMEM : 0;
}

void
mxspf_netlist_free(struct mxspf_netlist *l)
{
	if (l == NULL)
		return;
	free(l->nets);
	free(l);
}

/* parse_item - one "ADDR[/LEN]" at p[0..len) */
static int
parse_item(const char *p, size_t len, struct net *out)
{
	const char *slash = memchr(p, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - p) : len;
	char text[64];
	uint64_t v;
	unsigned max;

	if (alen == 0 || alen >= sizeof(text))
		return -1;
	memcpy(text, p, alen);
	text[alen] = '\0';
	if (mxspf_addr_parse(text, &out->addr) != 0)
		return -1;
	max = out->addr.family == 4 ? 32 : 128;
	out->len = max;
	if (slash != NULL) {
		if (mxspf__parse_uint(slash + 1, len - alen - 1, 128, &v) != 0)
			return -1;
		/* A mapped address was written with an IPv6 length. */
		if (out->addr.family == 4 && memchr(text, ':', alen) != NULL) {
			if (v < 96)
				return -1;
			v -= 96;
		}
		if (v > max)
			return -1;
		out->len = (unsigned)v;
	}
	return 0;
}

int
mxspf_netlist_add(struct mxspf_netlist *l, const char *text, char *err,
    size_t errlen)
{
	size_t o = 0, len = strlen(text), start = l->n;

	while (o < len) {
		size_t s;
		struct net nt;

		while (o < len && (text[o] == ' ' || text[o] == ',' ||
		    text[o] == '\t'))
			o++;
		if (o == len)
			break;
		for (s = o; o < len && text[o] != ' ' && text[o] != ',' &&
		    text[o] != '\t'; o++)
			;
		if (parse_item(text + s, o - s, &nt) != 0) {
			if (err != NULL && errlen > 0) {
				struct mxspf_buf b;

				/* Built whole, then cut to fit errlen. */
				mxspf_buf_init(&b, 512);
				mxspf_buf_puts(&b, "not a network: '");
				mxspf_buf_put_escaped(&b, text + s, o - s, 64);
				mxspf_buf_putc(&b, '\'');
				snprintf(err, errlen, "%s", mxspf_buf_cstr(&b));
				mxspf_buf_free(&b);
			}
			l->n = start;
			return MXSPF_ESYNTAX;
		}
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 8;
			struct net *nn;

			if (ncap > NETLIST_MAX ||
			    (nn = mxspf__realloc(l->nets,
			    ncap * sizeof(*nn))) == NULL) {
				l->n = start;
				if (err != NULL && errlen > 0)
					snprintf(err, errlen, "%s",
					    ncap > NETLIST_MAX ?
					    "too many networks" :
					    "out of memory");
				return ncap > NETLIST_MAX ? MXSPF_ESYNTAX :
				    MXSPF_ENOMEM;
			}
			l->nets = nn;
			l->cap = ncap;
		}
		l->nets[l->n++] = nt;
	}
	return 0;
}

bool
mxspf_netlist_match(const struct mxspf_netlist *l, const struct mxspf_addr *a)
{
	size_t i;

	if (l == NULL || a == NULL)
		return false;
	for (i = 0; i < l->n; i++)
		if (mxspf__addr_match(a, &l->nets[i].addr, l->nets[i].len))
			return true;
	return false;
}

size_t
mxspf_netlist_count(const struct mxspf_netlist *l)
{
	return l != NULL ? l->n : 0;
}

int
mxspf_netlist_format(const struct mxspf_netlist *l, char *buf, size_t len)
{
	struct mxspf_buf b;
	char text[64];
	size_t i;
	int rc;

	if (buf == NULL || len == 0)
		return MXSPF_EINVAL;
	mxspf_buf_init(&b, len - 1);
	for (i = 0; l != NULL && i < l->n; i++) {
		if (mxspf_addr_format(&l->nets[i].addr, text,
		    sizeof(text)) != 0)
			continue;
		mxspf_buf_appendf(&b, "%s%s/%u", i > 0 ? " " : "", text,
		    l->nets[i].len);
	}
	rc = b.err == 0 ? 0 : MXSPF_ELIMIT;
	snprintf(buf, len, "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	return rc;
}
