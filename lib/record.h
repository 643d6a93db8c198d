/* lib/record.h - parsed SPF records (private).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_RECORD_H
#define MXSPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "mxspf/mxspf.h"
#include "addr.h"
#include "buf.h"

enum mxspf__mech {
	MXSPF_MECH_ALL,
	MXSPF_MECH_INCLUDE,
	MXSPF_MECH_A,
	MXSPF_MECH_MX,
	MXSPF_MECH_PTR,
	MXSPF_MECH_IP4,
	MXSPF_MECH_IP6,
	MXSPF_MECH_EXISTS
};

/* A domain-spec whose expansion is known when the record is parsed: one
 * without macros and at most 253 octets expands to itself. */
struct mxspf__literal {
	const char *name;	/* NUL-terminated copy, in the record; NULL
				 * when the domain-spec must be expanded */
	bool valid;		/* name can be queried (mxspf__valid_name) */
};

/* One mechanism; offsets index the record's text. */
struct mxspf__term {
	enum mxspf__mech mech;
	enum mxspf_result qual;	/* PASS, FAIL, SOFTFAIL or NEUTRAL */
	size_t off, len;	/* the whole term */
	size_t ds_off, ds_len;	/* domain-spec; ds_len 0: none */
	struct mxspf__literal lit;	/* the domain-spec, when literal */
	unsigned cidr4, cidr6;
	struct mxspf_addr net;	/* ip4 / ip6 */
	struct mxspf__prefix prefix;	/* ip4 / ip6: net and its length */
};

/* An immutable parsed record, counted by reference. */
struct mxspf__record {
	size_t refs;
	char *text;		/* the record as published, NUL added;
				 * the literal names follow the NUL */
	size_t len;
	struct mxspf__term *terms;
	size_t nterms;
	bool has_redirect, has_exp;
	size_t redir_off, redir_len;	/* domain-spec of redirect= */
	size_t redir_term_off, redir_term_len;
	size_t exp_off, exp_len;	/* domain-spec of exp= */
	struct mxspf__literal redir_lit;	/* redirect=, when literal */
	size_t ndns;		/* DNS-querying terms, redirect included */
};

/* mxspf__record_is_spf - true when text starts with "v=spf1" followed by a
 * space or the end (RFC 7208 s4.5) */
bool mxspf__record_is_spf(const char *text, size_t len);

/* mxspf__record_parse - parse a selected record.  On a syntax error
 * returns MXSPF_ESYNTAX, writes a message into why and the byte offset
 * into *err_off.  @return 0, MXSPF_ESYNTAX or MXSPF_ENOMEM */
int mxspf__record_parse(const char *text, size_t len,
    struct mxspf__record **out, struct mxspf_buf *why, size_t *err_off);

/* mxspf__record_free - free a record whose last reference is gone */
void mxspf__record_free(struct mxspf__record *r);

/* mxspf__record_ref / _unref - reference counting (inline: every check
 * takes and drops a few); unref frees at 0 and ignores NULL */
static inline void
mxspf__record_ref(struct mxspf__record *r)
{
	r->refs++;
}

static inline void
mxspf__record_unref(struct mxspf__record *r)
{
	if (r != NULL && --r->refs == 0)
		mxspf__record_free(r);
}

/* mxspf__mech_name - "ip4", "include", ... */
const char *mxspf__mech_name(enum mxspf__mech m);

/* mxspf__mech_queries_dns - true for include, a, mx, ptr, exists */
bool mxspf__mech_queries_dns(enum mxspf__mech m);

#endif
