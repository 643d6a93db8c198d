/* fuzz/fuzz_macro.c - libFuzzer target for SPF macro strings (RFC 7208 s7).
 * Owns: the mapping of fuzz input to a macro string and its environment.
 * Byte 0 is a set of flags: bits 0-1 the context (MXSPF_MACRO_EXP,
 * MXSPF_MACRO_DOMAIN), bit 2 an IPv6 client (else IPv4), bits 3-4 pick one
 * of four fixed environments (plain, long names that force truncation,
 * odd bytes, empty/NULL values); the rest of the input is the macro
 * string.  The string is checked with mxspf__macro_check() and, when it
 * passes, expanded with mxspf__macro_expand().  It aborts when: a checked
 * string fails to expand although the output stayed under its limit (the
 * checker and the expander disagree on the grammar); an expanded
 * domain-spec is longer than 253 octets; a failed check reports an offset
 * past the string or no reason; mxspf__macro_uses() finds a letter the
 * checker would reject.  Must not: keep state between runs.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf_limits.h"
#include "macro.h"

#define FZ_FLAG_CTX	0x03	/* MXSPF_MACRO_EXP | MXSPF_MACRO_DOMAIN */
#define FZ_FLAG_IPV6	0x04
#define FZ_ENV_SHIFT	3
#define FZ_ENV_MASK	0x03
#define FZ_NOW		1234567890	/* %{t} */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_fail(const char *what);
static void fz_env(struct mxspf_macro_env *env, unsigned which,
    const struct mxspf_addr *ip);

/* Labels of 63 octets, so that %{d} and friends pass 253 octets and the
 * expander has to drop labels from the left. */
#define FZ_L63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define FZ_LONG FZ_L63 "." FZ_L63 "." FZ_L63 "." FZ_L63 "." FZ_L63 ".example"

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_macro: %s\n", what);
	abort();
}

/* fz_env - fill env with fixed environment number which */
static void
fz_env(struct mxspf_macro_env *env, unsigned which,
    const struct mxspf_addr *ip)
{
	memset(env, 0, sizeof(*env));
	env->ip = ip;
	env->now = FZ_NOW;
	switch (which) {
	case 0:
		env->sender = "strong-bad@email.example.com";
		env->local = "strong-bad";
		env->sender_domain = "email.example.com";
		env->domain = "email.example.com";
		env->helo = "mx.example.org";
		env->ptr = "mx.example.org";
		env->receiver = "receiver.example.net";
		break;
	case 1:
		env->sender = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p@" FZ_LONG;
		env->local = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p";
		env->sender_domain = FZ_LONG;
		env->domain = FZ_LONG;
		env->helo = FZ_L63 FZ_L63 FZ_L63 FZ_L63 FZ_L63;
		env->ptr = FZ_LONG;
		env->receiver = FZ_LONG;
		env->now = INT64_MIN;
		break;
	case 2:
		/* Bytes an attacker controls in MAIL FROM and HELO. */
		env->sender = "\"we ird\"+-=,/_%{x}\x7f\x80\xff@ex-am_ple.com.";
		env->local = "\"we ird\"+-=,/_%{x}\x7f\x80\xff";
		env->sender_domain = "ex-am_ple.com.";
		env->domain = "..-.+,/_=..";
		env->helo = "[192.0.2.1]";
		env->ptr = "";
		env->receiver = "";
		env->now = -1;
		break;
	default:
		env->sender = "";
		env->local = NULL;
		env->sender_domain = NULL;
		env->domain = NULL;
		env->helo = NULL;
		env->ptr = NULL;
		env->receiver = NULL;
		env->now = 0;
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char letters[] = "slodiphvcrt";
	struct mxspf_macro_env env;
	struct mxspf_addr ip;
	struct mxspf_buf out;
	const char *p, *why = NULL;
	size_t len, bad = (size_t)-1, i;
	unsigned flags;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0] & FZ_FLAG_CTX;
	p = (const char *)data + 1;
	len = size - 1;
	memset(&ip, 0, sizeof(ip));
	if (data[0] & FZ_FLAG_IPV6) {
		static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
		    0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe };

		ip.family = 6;
		memcpy(ip.b, v6, sizeof(v6));
	} else {
		ip.family = 4;
		ip.b[0] = 192;
		ip.b[1] = 0;
		ip.b[2] = 2;
		ip.b[3] = 3;
	}
	fz_env(&env, (data[0] >> FZ_ENV_SHIFT) & FZ_ENV_MASK, &ip);

	rc = mxspf__macro_check(p, len, flags, &bad, &why);
	for (i = 0; letters[i] != '\0'; i++)
		(void)mxspf__macro_uses(p, len, letters[i]);
	if (rc != 0) {
		if (rc != -1 || bad > len || why == NULL || *why == '\0')
			fz_fail("bad failure report from mxspf__macro_check");
		return 0;
	}

	mxspf_buf_init(&out, MXSPF_MAX_MACRO_OUT);
	rc = mxspf__macro_expand(p, len, flags, &env, &out);
	if (rc != 0 && out.err == 0)
		fz_fail("a checked macro string failed to expand");
	if (rc == 0) {
		if (out.err != 0 || out.len > MXSPF_MAX_MACRO_OUT)
			fz_fail("expansion succeeded past its limit");
		if ((flags & MXSPF_MACRO_DOMAIN) && out.len > MXSPF_MAX_NAME)
			fz_fail("expanded domain longer than 253 octets");
		if (out.len > 0 && strlen(mxspf_buf_cstr(&out)) > out.len)
			fz_fail("expansion not NUL-terminated");
	}
	mxspf_buf_free(&out);
	return 0;
}
