/* cmd/mxspf/migrate.c - "mxspf migrate-config": read a policyd-spf
 * configuration (policyd-spf.conf(5); Debian's postfix-policyd-spf-python
 * 3.0.4) and write the equivalent mxspfd.conf(5).
 *
 * Owns: the reader, which follows _readConfigFile() of
 * spf_engine/policydspfsupp.py rule for rule: a line ends at LF, CR LF or
 * CR; '#' starts a comment anywhere in a line; Python's str.strip()
 * whitespace (Unicode included) is trimmed; a line must be NAME = VALUE
 * with exactly one '='; names are case-sensitive; the last occurrence of
 * a key wins; an unknown name, or a line without exactly one '=', is
 * ignored; an integer key whose value int() refuses, or an empty dataset
 * key, stops policyd-spf (an error here too).  And the mapping: the reject
 * sets policyd-spf derives per identity (_get_resultcodes() and
 * _spfcheck() of spf_engine/__init__.py) are reduced to what mxspfd's one
 * verdict per message (check_helo, on_*) can do without rejecting more;
 * what cannot be carried over is said in comments, and a setting that
 * could make mxspfd reject mail policyd-spf let through turns test_mode
 * on.
 *
 * Limits: MIGRATE_MAX_LINE bytes per line, UTF-8 text only (other bytes
 * are an error), MIGRATE_MAX_NOTES notes about ignored lines, MIG_ECHO
 * bytes of input quoted per value, MIG_MAX_ITEMS items per list.
 * Must not: write a line mxspfd's loader refuses (fuzz/fuzz_migrate.c
 * loads every output); quote input unescaped; open a file the input
 * names; print anything to stdout when the conversion failed.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxspf/policy.h"
#include "addr.h"
#include "cli.h"
#include "internal.h"
#include "migrate.h"

#define MIG_ECHO 60			/* input bytes quoted per value */
#define MIG_QSIZE (MIG_ECHO * 4 + 80)	/* one quoted value, with its key
					 * and line */
#define MIG_NQ 8			/* quoted values per message */
#define MIG_WIDTH 76			/* comment lines are wrapped here */
#define MIG_MAX_ITEMS 1024		/* items of one converted list */
#define MIG_MAX_CONF_LINE 197		/* mxspfd.conf(5): longest line */
#define MIG_INT_MAX 1000000000000LL	/* integers saturate here */
#define MIG_MAX_DEADLINE_S 3600		/* mxspfd.conf(5): deadline */
#define MIG_MAX_VOID 100		/* mxspfd.conf(5): max_void_lookups */
#define MIG_PARA_MAX 8192		/* one comment paragraph */

/* The keys policyd-spf 3.0.4 reads (nameConversion of _readConfigFile),
 * in its order. */
enum mig_key {
	MK_DEBUGLEVEL,
	MK_HELO_REJECT,
	MK_MAIL_FROM_REJECT,
	MK_PERMERROR_REJECT,
	MK_TEMPERROR_DEFER,
	MK_MAIL_FROM_PASS_RESTRICTION,
	MK_HELO_PASS_RESTRICTION,
	MK_PROSPECTIVE,
	MK_WHITELIST,
	MK_SKIP_ADDRESSES,
	MK_HELO_WHITELIST,
	MK_DOMAIN_WHITELIST,
	MK_DOMAIN_WHITELIST_PTR,
	MK_NO_MAIL,
	MK_REJECT_NOT_PASS_DOMAINS,
	MK_PER_USER,
	MK_TESTONLY,
	MK_DEFAULTSEEDONLY,
	MK_SPF_ENHANCED_STATUS_CODES,
	MK_HEADER_TYPE,
	MK_HIDE_RECEIVER,
	MK_AUTHSERV_ID,
	MK_LOOKUP_TIME,
	MK_WHITELIST_LOOKUP_TIME,
	MK_VOID_LIMIT,
	MK_REASON_MESSAGE,
	MK_MOCK,
	MK_SOCKET,
	MK_PIDFILE,
	MK_USERID,
	MK_UMASK,
	MK_INTERNALHOSTS,
	MK_INTHOSTS,
	MK_MACROLIST,
	MK_COUNT
};

/* How policyd-spf converts a value. */
enum mig_conv {
	MC_STR,		/* str(): kept as written */
	MC_INT,		/* int(): an error stops policyd-spf */
	MC_BOOL,	/* bool(): any non-empty value is True */
	MC_DATASET	/* _dataset_to_list(): empty stops policyd-spf */
};

/* What mxspfd does with a key that has no mxspfd setting of its own. */
struct mig_keydef {
	const char *name;
	enum mig_conv conv;
	const char *dflt;	/* policyd-spf's default as text, or NULL */
	const char *note;	/* said when the key is in the file, or NULL
				 * when the key is mapped to a setting */
	bool off_empty;		/* an empty value turns it off */
};

static const struct mig_keydef mig_keys[MK_COUNT] = {
	[MK_DEBUGLEVEL] = { "debugLevel", MC_INT, "1",
	    "mxspfd has no debug levels: it logs one line per decision to "
	    "syslog ([mxspfd] syslog_facility, default mail); mxspfd -v adds "
	    "connections and headers", false },
	[MK_HELO_REJECT] = { "HELO_reject", MC_STR, "Fail", NULL, false },
	[MK_MAIL_FROM_REJECT] = { "Mail_From_reject", MC_STR, "Fail", NULL,
	    false },
	[MK_PERMERROR_REJECT] = { "PermError_reject", MC_STR, "False",
	    NULL, false },
	[MK_TEMPERROR_DEFER] = { "TempError_Defer", MC_STR, "False", NULL,
	    false },
	[MK_MAIL_FROM_PASS_RESTRICTION] = { "Mail_From_pass_restriction",
	    MC_STR, NULL,
	    "mxspfd answers DUNNO or a reject, never a Postfix restriction "
	    "class; to treat mail that passed SPF differently, match "
	    "\"Received-SPF: pass\" (header = received-spf) in a later "
	    "filter, or keep a policyd-spf instance just for this",
	    true },
	[MK_HELO_PASS_RESTRICTION] = { "HELO_pass_restriction", MC_STR, NULL,
	    "mxspfd answers DUNNO or a reject, never a Postfix restriction "
	    "class; policyd-spf answered the class for a HELO pass even when "
	    "MAIL FROM failed, and mxspfd rejects that MAIL FROM fail, so "
	    "test_mode is on until you have checked what the class did",
	    true },
	[MK_PROSPECTIVE] = { "Prospective", MC_STR, NULL,
	    "this file configured an outbound check: policyd-spf checked this "
	    "fixed address instead of the client; mxspfd checks the clients "
	    "of inbound mail only.  For outbound checks use \"mxspf check "
	    "--ip ADDR --sender ADDR --helo NAME\" or \"mxspf batch\"; "
	    "test_mode is on",
	    true },
	[MK_WHITELIST] = { "Whitelist", MC_STR, NULL, NULL, false },
	[MK_SKIP_ADDRESSES] = { "skip_addresses", MC_STR,
	    "127.0.0.0/8,::ffff:127.0.0.0/104,::1", NULL, false },
	[MK_HELO_WHITELIST] = { "HELO_Whitelist", MC_STR, NULL,
	    "mxspfd cannot skip SPF by HELO name; put the addresses of these "
	    "hosts in [policy] relays (mxspfd trusts the MX hosts of your "
	    "domains by itself: \"mxspf trust --domain D\" shows them); "
	    "test_mode is on until then",
	    true },
	[MK_DOMAIN_WHITELIST] = { "Domain_Whitelist", MC_STR, NULL,
	    "mxspfd cannot skip SPF for clients another domain's SPF record "
	    "allows; put the forwarders' networks in [policy] relays (\"mxspf "
	    "check --explain --ip IP --sender postmaster@DOMAIN --helo x\" "
	    "shows which networks a record allows); test_mode is on until "
	    "then",
	    true },
	[MK_DOMAIN_WHITELIST_PTR] = { "Domain_Whitelist_PTR", MC_STR, NULL,
	    "mxspfd cannot skip SPF by reverse DNS name; put those hosts' "
	    "addresses in [policy] relays; test_mode is on until then",
	    true },
	[MK_NO_MAIL] = { "No_Mail", MC_STR, "False", NULL, false },
	[MK_REJECT_NOT_PASS_DOMAINS] = { "Reject_Not_Pass_Domains", MC_STR,
	    NULL,
	    "mxspfd has no policy per sender domain: softfail and neutral "
	    "from these domains are accepted like any other's (the safer "
	    "choice); [domain NAME] sections are per recipient domain",
	    true },
	[MK_PER_USER] = { "Per_User", MC_STR, NULL,
	    "per-recipient settings are not migrated (the file it names is "
	    "not read); mxspfd's overrides are per recipient domain: "
	    "[domain NAME] with on_fail, on_softfail, on_permerror, "
	    "on_temperror, test_mode, trust_mode and relays; test_mode is on "
	    "until you have carried over what your users need",
	    true },
	[MK_TESTONLY] = { "TestOnly", MC_INT, "1", NULL, false },
	[MK_DEFAULTSEEDONLY] = { "defaultSeedOnly", MC_INT, NULL,
	    "the old name of TestOnly; policyd-spf 3.0.4 reads it but lets "
	    "TestOnly (always set) decide, so it had no effect; use "
	    "test_mode", false },
	[MK_SPF_ENHANCED_STATUS_CODES] = { "SPF_Enhanced_Status_Codes",
	    MC_STR, "Yes", NULL, false },
	[MK_HEADER_TYPE] = { "Header_Type", MC_STR, "SPF", NULL, false },
	[MK_HIDE_RECEIVER] = { "Hide_Receiver", MC_STR, "No",
	    "mxspfd never shows a recipient in its headers: receiver= is this "
	    "server's name ([policy] receiver, RFC 7208 section 9.1), so "
	    "there is nothing to hide", false },
	[MK_AUTHSERV_ID] = { "Authserv_Id", MC_STR, "HOSTNAME", NULL, false },
	[MK_LOOKUP_TIME] = { "Lookup_Time", MC_INT, "20", NULL, false },
	[MK_WHITELIST_LOOKUP_TIME] = { "Whitelist_Lookup_Time", MC_INT, "10",
	    "mxspfd has no DNS-based whitelists; its MX-trust lookup runs "
	    "beside the SPF check within [policy] deadline", false },
	[MK_VOID_LIMIT] = { "Void_Limit", MC_INT, "2", NULL, false },
	[MK_REASON_MESSAGE] = { "Reason_Message", MC_STR,
	    "Message {rejectdefer} due to: {spf}. Please see {url}",
	    "mxspfd's reply text is the sender domain's explanation (exp=) "
	    "or [spf] default_exp, an SPF macro-string such as \"%{i} is not "
	    "allowed to send mail for %{d}\"; policyd-spf's {rejectdefer}, "
	    "{spf} and {url} have no equivalent", false },
	[MK_MOCK] = { "Mock", MC_BOOL, NULL,
	    "policyd-spf reads any non-empty value, False included, as True: "
	    "this instance checked nothing and answered DUNNO with a fixed "
	    "header; the output has test_mode = yes and header = none, so it "
	    "does nothing either.  mxspfd needs no mock instance unless a "
	    "milter must see the SPF header (then keep this policyd-spf "
	    "instance as it is)",
	    true },
	[MK_SOCKET] = { "Socket", MC_STR, NULL, NULL, false },
	[MK_PIDFILE] = { "PidFile", MC_STR, NULL, NULL, false },
	[MK_USERID] = { "UserID", MC_STR, NULL, NULL, false },
	[MK_UMASK] = { "UMask", MC_INT, NULL, NULL, false },
	[MK_INTERNALHOSTS] = { "InternalHosts", MC_DATASET, NULL, NULL, false },
	[MK_INTHOSTS] = { "IntHosts", MC_BOOL, NULL, NULL, false },
	[MK_MACROLIST] = { "MacroList", MC_DATASET, NULL, NULL, false },
};

/* The keys that turn test_mode on when not empty, and why: mxspfd could
 * reject mail policyd-spf let through, or the file is not an inbound
 * check. */
static const struct {
	enum mig_key key;
	const char *why;
} mig_review_keys[] = {
	{ MK_PROSPECTIVE, "Prospective: this was an outbound check" },
	{ MK_HELO_PASS_RESTRICTION, "HELO_pass_restriction: a HELO pass "
	    "overrode a MAIL FROM fail" },
	{ MK_HELO_WHITELIST, "HELO_Whitelist: list those hosts in relays" },
	{ MK_DOMAIN_WHITELIST, "Domain_Whitelist: list those networks in "
	    "relays" },
	{ MK_DOMAIN_WHITELIST_PTR, "Domain_Whitelist_PTR: list those hosts "
	    "in relays" },
	{ MK_PER_USER, "Per_User: per-recipient settings are not migrated" },
	{ MK_MOCK, "Mock: this instance checked nothing" },
};

/* Said of the pyspf-milter keys (Socket ... MacroList). */
static const char mig_milter_note[] =
    "a key of pyspf-milter, which shares this file; the policy server "
    "ignores it.  mxspf-milter(8) has its own [milter] section";

/* The values of HELO_reject and Mail_From_reject. */
enum mig_rej {
	RJ_NOT_PASS,
	RJ_SOFTFAIL,
	RJ_FAIL,
	RJ_NULL,
	RJ_FALSE,
	RJ_NO_CHECK,
	RJ_OTHER	/* anything else: only PermError_reject and
			 * TempError_Defer act */
};

static const char *const mig_rej_names[] = {
	"SPF_Not_Pass", "Softfail", "Fail", "Null", "False", "No_Check"
};

/* SPF results policyd-spf may reject or defer, as bits. */
#define R_FAIL 0x01u
#define R_SOFTFAIL 0x02u
#define R_NEUTRAL 0x04u
#define R_PERMERROR 0x08u
#define R_TEMPERROR 0x10u
#define R_NRESULTS 5

static const char *const mig_res_names[R_NRESULTS] = {
	"fail", "softfail", "neutral", "permerror", "temperror"
};
static const char *const mig_res_keys[R_NRESULTS] = {
	"on_fail", "on_softfail", NULL, "on_permerror", "on_temperror"
};

/* The mapping of the four reject keys. */
struct mig_policy {
	enum mig_rej helo, mfrom;
	bool nomail;
	unsigned ph;		/* HELO results acted on, sender given */
	unsigned pm;		/* MAIL FROM results acted on */
	unsigned pn;		/* HELO results acted on, null sender */
	unsigned r;		/* what mxspfd acts on */
	bool check_helo;
};

/* One value read from the file. */
struct mig_val {
	const char *v;		/* NUL-terminated, in the working copy; NULL
				 * when the key is not in the file */
	size_t line;
	long long num;		/* MC_INT: the value */
};

/* A text about a line (a note, a warning), kept in line order. */
struct mig_tagged {
	size_t line, seq;	/* MIG_WHOLE: about the whole file */
	char *text;
};

/* A list of them. */
struct mig_texts {
	struct mig_tagged *v;
	size_t n, cap;
};

#define MIG_WHOLE SIZE_MAX	/* the line of a text about the file */

/* Why test_mode is forced on. */
#define MIG_MAX_REVIEW 16

/* The state of one conversion. */
struct mig {
	const char *name;	/* the input's name, quoted: namebuf */
	char namebuf[MIG_QSIZE];
	struct mig_val val[MK_COUNT];
	struct mxspf_buf *out, *warn;
	struct mig_texts notes;		/* the notes block */
	struct mig_texts warns;		/* warnings, for stderr */
	size_t ncapped, dropped;
	const char *review[MIG_MAX_REVIEW];
	size_t nreview;
	struct mig_policy pol;
	int err;		/* first error: MXSPF_E* */
	char *errbuf;
	size_t errlen;
	char q[MIG_NQ][MIG_QSIZE];	/* quoted values of one message */
	size_t qi;
};

/* Flags of mig_note(). */
#define MN_NOTE 0x1	/* a note in the notes block */
#define MN_WARN 0x2	/* a warning on stderr */
#define MN_CAPPED 0x4	/* counts against MIGRATE_MAX_NOTES */
#define MN_IGNORED (MN_NOTE | MN_WARN | MN_CAPPED)	/* a line policyd-spf
							 * ignores */

static long mig_char(const unsigned char *p, size_t len, size_t *n);
static bool mig_space(const char *p, size_t len, size_t *n);
static void mig_strip(char **p, size_t *len);
static int mig_fail(struct mig *m, int code, size_t line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
static const char *mig_q(struct mig *m, const char *s);
static const char *mig_src(struct mig *m, enum mig_key k);
static int mig_vfmt(struct mig *m, struct mxspf_buf *b, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
static void mig_note(struct mig *m, size_t line, unsigned flags,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void mig_review(struct mig *m, const char *why);
static void mig_warn(struct mig *m, enum mig_key k);
static int mig_int(const char *s, long long *out);
static int mig_check_text(struct mig *m, const char *p, size_t n,
    size_t line);
static void mig_unknown(struct mig *m, const char *name, size_t line);
static int mig_pair(struct mig *m, char *p, size_t n, size_t line);
static int mig_read(struct mig *m, char *text, size_t len);
static const char *mig_value(const struct mig *m, enum mig_key k);
static void mig_wrap(struct mxspf_buf *out, const char *s, size_t len);
static void mig_para(struct mig *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int mig_v4_mask(const char *s, size_t len);
static int mig_net_item(const char *p, size_t len, struct mxspf_buf *item);
static void mig_netlist(struct mig *m, enum mig_key k, const char *key);
static enum mig_rej mig_rej_parse(const char *v);
static unsigned mig_rejects(enum mig_rej v, bool helo, bool bounce,
    unsigned e);
static void mig_policy_compute(struct mig *m);
static void mig_res_list(struct mxspf_buf *b, unsigned set);
static void mig_policy_diff(struct mig *m);
static void mig_policy_write(struct mig *m);
static void mig_testmode_write(struct mig *m);
static void mig_header_write(struct mig *m);
static void mig_times_write(struct mig *m);
static void mig_key_notes(struct mig *m);
static void mig_texts_add(struct mig *m, struct mig_texts *t,
    size_t line, const char *text);
static int mig_tagged_cmp(const void *a, const void *b);
static void mig_texts_free(struct mig_texts *t);
static void mig_notes_write(struct mig *m);
static void mig_warns_write(struct mig *m);

/* mig_char - the code point at p[0..len) (len > 0), its length in *n;
 * -1 when the bytes are not UTF-8 (a bad or overlong sequence, a
 * surrogate, beyond U+10FFFF), as Python's decoder refuses them */
static long
mig_char(const unsigned char *p, size_t len, size_t *n)
{
	unsigned long c;
	size_t i, need;

	*n = 1;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1;
		c = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		c = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		c = p[0] & 0x07u;
	} else {
		return -1;
	}
	if (len <= need)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0u) != 0x80u)
			return -1;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if ((need == 2 && c < 0x800) || (need == 3 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*n = need + 1;
	return (long)c;
}

/* mig_space - whether the (valid) character at p[0..len) is whitespace
 * for Python's str.strip(); its length in *n.  The C0 and C1 controls
 * Python also counts never get here (mig_check_text refuses them). */
static bool
mig_space(const char *p, size_t len, size_t *n)
{
	long c = mig_char((const unsigned char *)p, len, n);

	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0xa0 ||
	    c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* mig_strip - trim whitespace at both ends of p[0..len) */
static void
mig_strip(char **p, size_t *len)
{
	size_t n, k;

	while (*len > 0 && mig_space(*p, *len, &n)) {
		*p += n;
		*len -= n;
	}
	while (*len > 0) {
		/* The last character starts at most 3 bytes back. */
		k = *len - 1;
		while (k > 0 && *len - k < 4 &&
		    ((unsigned char)(*p)[k] & 0xc0u) == 0x80u)
			k--;
		if (!mig_space(*p + k, *len - k, &n) || n != *len - k)
			break;
		*len = k;
	}
}

/* mig_fail - record the first error, "NAME:LINE: message"; returns -1 */
static int
mig_fail(struct mig *m, int code, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->err != 0)
		return -1;
	m->err = code;
	if (m->errlen == 0)
		return -1;
	if (line > 0)
		n = snprintf(m->errbuf, m->errlen, "%s:%zu: ", m->name, line);
	else
		n = snprintf(m->errbuf, m->errlen, "%s: ", m->name);
	if (n < 0 || (size_t)n >= m->errlen)
		return -1;	/* cut: the message is as long as it may be */
	va_start(ap, fmt);
	(void)vsnprintf(m->errbuf + n, m->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* mig_q - s quoted for a message: escaped, cut at MIG_ECHO bytes, in one
 * of MIG_NQ slots that are reused in turn */
static const char *
mig_q(struct mig *m, const char *s)
{
	char *slot = m->q[m->qi++ % MIG_NQ];
	struct mxspf_buf b;

	mxspf_buf_init(&b, MIG_QSIZE - 1);
	mxspf_buf_put_escaped(&b, s, strlen(s), MIG_ECHO);
	(void)snprintf(slot, MIG_QSIZE, "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	return slot;
}

/* mig_src - "KEY = VALUE (line N)", "KEY = VALUE (default)" or "KEY (not
 * set)", for saying where a setting comes from */
static const char *
mig_src(struct mig *m, enum mig_key k)
{
	const struct mig_val *v = &m->val[k];
	const char *val = mig_value(m, k);
	char *slot = m->q[m->qi++ % MIG_NQ];
	struct mxspf_buf b;

	mxspf_buf_init(&b, MIG_QSIZE - 1);
	mxspf_buf_puts(&b, mig_keys[k].name);
	if (val != NULL) {
		mxspf_buf_puts(&b, " = ");
		mxspf_buf_put_escaped(&b, val, strlen(val), MIG_ECHO);
	}
	if (v->v != NULL)
		mxspf_buf_appendf(&b, " (line %zu)", v->line);
	else
		mxspf_buf_puts(&b, val != NULL ? " (default)" : " (not set)");
	(void)snprintf(slot, MIG_QSIZE, "%s", mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
	return slot;
}

/* mig_texts_add - a copy of text, about line, at the end of t */
static void
mig_texts_add(struct mig *m, struct mig_texts *t, size_t line,
    const char *text)
{
	struct mig_tagged *nv;
	char *copy;

	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;

		if ((nv = mxspf__realloc(t->v, ncap * sizeof(*nv))) == NULL) {
			(void)mig_fail(m, MXSPF_ENOMEM, 0, "out of memory");
			return;
		}
		t->v = nv;
		t->cap = ncap;
	}
	if ((copy = mxspf__strdup(text)) == NULL) {
		(void)mig_fail(m, MXSPF_ENOMEM, 0, "out of memory");
		return;
	}
	t->v[t->n].line = line;
	t->v[t->n].seq = t->n;
	t->v[t->n++].text = copy;
}

/* mig_tagged_cmp - line order, then the order they were made */
static int
mig_tagged_cmp(const void *a, const void *b)
{
	const struct mig_tagged *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* mig_texts_free - release t */
static void
mig_texts_free(struct mig_texts *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
}

/* mig_vfmt - fmt formatted into b (initialised here; free it in any
 * case); 0, or -1 with the error recorded */
static int
mig_vfmt(struct mig *m, struct mxspf_buf *b, const char *fmt, va_list ap)
{
	mxspf_buf_init(b, MIG_PARA_MAX);
	mxspf_buf_vappendf(b, fmt, ap);
	if (b->err == 0)
		return 0;
	return mig_fail(m, b->err, 0, "a message longer than %d bytes",
	    MIG_PARA_MAX);
}

/* mig_note - a text about a line: a note for the notes block (MN_NOTE)
 * and/or a warning (MN_WARN); MN_CAPPED texts beyond MIGRATE_MAX_NOTES
 * are only counted */
static void
mig_note(struct mig *m, size_t line, unsigned flags, const char *fmt, ...)
{
	struct mxspf_buf b;
	va_list ap;
	int rc;

	if ((flags & MN_CAPPED) != 0 && m->ncapped++ >= MIGRATE_MAX_NOTES) {
		m->dropped++;
		return;
	}
	va_start(ap, fmt);
	rc = mig_vfmt(m, &b, fmt, ap);
	va_end(ap);
	if (rc == 0 && (flags & MN_NOTE) != 0)
		mig_texts_add(m, &m->notes, line, mxspf_buf_cstr(&b));
	if (rc == 0 && (flags & MN_WARN) != 0)
		mig_texts_add(m, &m->warns, line, mxspf_buf_cstr(&b));
	mxspf_buf_free(&b);
}

/* mig_review - turn test_mode on, for why (a static string) */
static void
mig_review(struct mig *m, const char *why)
{
	size_t i;

	for (i = 0; i < m->nreview; i++)
		if (m->review[i] == why)
			return;
	if (m->nreview < MIG_MAX_REVIEW)
		m->review[m->nreview++] = why;
}

/* mig_warn - warn that policyd-spf does not know the value of k (set in
 * the file) */
static void
mig_warn(struct mig *m, enum mig_key k)
{
	if (m->val[k].v != NULL)
		mig_note(m, m->val[k].line, MN_WARN, "%s = '%s' is not a value "
		    "policyd-spf knows (see the output)", mig_keys[k].name,
		    mig_q(m, m->val[k].v));
}

/* mig_int - Python's int() of a stripped value: an optional sign, ASCII
 * digits with single '_' between them; saturated at MIG_INT_MAX (Python
 * has no limit); 0 or -1 */
static int
mig_int(const char *s, long long *out)
{
	long long v = 0;
	bool neg = false, digit = false;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s != '\0'; s++) {
		if (*s == '_' && digit && s[1] >= '0' && s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9')
			return -1;
		digit = true;
		v = v * 10 + (*s - '0');
		if (v > MIG_INT_MAX)
			v = MIG_INT_MAX;
	}
	if (!digit)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* mig_check_text - a line is UTF-8 text: no NUL, no control character
 * other than TAB, VT and FF, no C1 control; 0 or -1 (an error) */
static int
mig_check_text(struct mig *m, const char *p, size_t n, size_t line)
{
	size_t i, k;
	long c;

	for (i = 0; i < n; i += k) {
		c = mig_char((const unsigned char *)p + i, n - i, &k);
		if (c == 0)
			return mig_fail(m, MXSPF_ESYNTAX, line, "NUL byte at "
			    "column %zu: binary data, not a policyd-spf "
			    "configuration", i + 1);
		if (c < 0)
			return mig_fail(m, MXSPF_ESYNTAX, line, "byte 0x%02x "
			    "at column %zu is not UTF-8 text: binary data? "
			    "(policyd-spf cannot read this file either)",
			    (unsigned char)p[i], i + 1);
		if ((c < 0x20 && c != '\t' && c != 0x0b && c != 0x0c) ||
		    (c >= 0x7f && c <= 0x9f))
			return mig_fail(m, MXSPF_ESYNTAX, line, "control "
			    "character U+%04lX at column %zu: binary data, "
			    "not a policyd-spf configuration", (unsigned long)c,
			    i + 1);
	}
	return 0;
}

/* mig_unknown - a name policyd-spf does not read */
static void
mig_unknown(struct mig *m, const char *name, size_t line)
{
	size_t i;

	if (strcmp(name, "QueueID") == 0) {
		mig_note(m, line, MN_NOTE | MN_CAPPED, "QueueID: documented, "
		    "but policyd-spf 3.0.4 does not read it from its file "
		    "(unknown name, ignored); mxspfd always logs the queue id");
		return;
	}
	for (i = 0; i < MK_COUNT; i++) {
		if (strcasecmp(name, mig_keys[i].name) == 0) {
			mig_note(m, line, MN_IGNORED, "unknown key "
			    "'%s', ignored (policyd-spf ignores it too: names "
			    "are case-sensitive; did you mean %s?)",
			    mig_q(m, name), mig_keys[i].name);
			return;
		}
	}
	if (strncmp(name, "\xef\xbb\xbf", 3) == 0) {
		mig_note(m, line, MN_IGNORED, "unknown key "
		    "'%s', ignored: the file starts with a byte-order mark, "
		    "which policyd-spf reads as part of the name (save the "
		    "file without it)", mig_q(m, name));
		return;
	}
	if (strcmp(name, "Authserv-Id") == 0) {
		mig_note(m, line, MN_IGNORED, "unknown key "
		    "'Authserv-Id', ignored (only per-user files spell it "
		    "so; this file needs Authserv_Id)");
		return;
	}
	mig_note(m, line, MN_IGNORED, "unknown key '%s', ignored (policyd-spf "
	    "ignores it too)", mig_q(m, name));
}

/* mig_pair - one line without its comment, stripped and not empty:
 * NAME = VALUE, stored; 0 or -1 (an error) */
static int
mig_pair(struct mig *m, char *p, size_t n, size_t line)
{
	char *eq = memchr(p, '=', n), *name, *value;
	size_t nlen, vlen, i;
	struct mig_val *v;
	long long num = 0;

	if (eq == NULL || memchr(eq + 1, '=', n - (size_t)(eq - p) - 1) !=
	    NULL) {
		p[n] = '\0';
		mig_note(m, line, MN_IGNORED, "'%s' is not "
		    "'name = value' with one '=': ignored (policyd-spf "
		    "ignores it too)", mig_q(m, p));
		return 0;
	}
	name = p;
	nlen = (size_t)(eq - p);
	value = eq + 1;
	vlen = n - nlen - 1;
	mig_strip(&name, &nlen);
	mig_strip(&value, &vlen);
	name[nlen] = '\0';
	value[vlen] = '\0';
	for (i = 0; i < MK_COUNT; i++)
		if (strcmp(name, mig_keys[i].name) == 0)
			break;
	if (i == MK_COUNT) {
		mig_unknown(m, name, line);
		return 0;
	}
	if (mig_keys[i].conv == MC_INT && mig_int(value, &num) != 0)
		return mig_fail(m, MXSPF_ESYNTAX, line, "%s: '%s' is not an "
		    "integer (policyd-spf does not start with this file)",
		    mig_keys[i].name, mig_q(m, value));
	if (mig_keys[i].conv == MC_DATASET && vlen == 0)
		return mig_fail(m, MXSPF_ESYNTAX, line, "%s: empty value "
		    "(policyd-spf does not start with this file)",
		    mig_keys[i].name);
	v = &m->val[i];
	if (v->v != NULL)
		mig_note(m, line, MN_NOTE | MN_CAPPED, "%s given again: line "
		    "%zu replaces line %zu (policyd-spf uses the last)",
		    mig_keys[i].name, line, v->line);
	v->v = value;
	v->line = line;
	v->num = num;
	return 0;
}

/* mig_read - every line of text[0..len) (a NUL-terminated copy that may
 * be changed); 0 or -1 */
static int
mig_read(struct mig *m, char *text, size_t len)
{
	size_t pos = 0, end, line = 0, n;
	char *p, *hash;

	while (pos < len) {
		for (end = pos; end < len && text[end] != '\n' &&
		    text[end] != '\r'; end++)
			;
		line++;
		n = end - pos;
		if (n > MIGRATE_MAX_LINE)
			return mig_fail(m, MXSPF_ESYNTAX, line, "line longer "
			    "than %u bytes", MIGRATE_MAX_LINE);
		if (mig_check_text(m, text + pos, n, line) != 0)
			return -1;
		p = text + pos;
		if ((hash = memchr(p, '#', n)) != NULL)
			n = (size_t)(hash - p);
		if (end < len && text[end] == '\r' && end + 1 < len &&
		    text[end + 1] == '\n')
			end++;
		pos = end + 1;
		mig_strip(&p, &n);
		if (n > 0 && mig_pair(m, p, n, line) != 0)
			return -1;
	}
	return 0;
}

/* mig_value - the value policyd-spf uses for k (the file's, else its
 * default), or NULL when it has none */
static const char *
mig_value(const struct mig *m, enum mig_key k)
{
	return m->val[k].v != NULL ? m->val[k].v : mig_keys[k].dflt;
}

/* mig_wrap - s[0..len) as "; " comment lines of at most MIG_WIDTH bytes;
 * a text starting "- " gets its continuation lines indented; a word
 * longer than a line is cut */
static void
mig_wrap(struct mxspf_buf *out, const char *s, size_t len)
{
	size_t i = 0, w, col = 0, hang, room;
	bool first = true;

	hang = len > 2 && s[0] == '-' && s[1] == ' ' ? 2 : 0;
	room = MIG_WIDTH - 2 - hang;
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		for (w = 0; i + w < len && s[i + w] != ' ' && w < room; w++)
			;
		if (col > 0 && col + 1 + w > MIG_WIDTH) {
			mxspf_buf_putc(out, '\n');
			col = 0;
		}
		if (col == 0) {
			mxspf_buf_puts(out, !first && hang ? ";   " : "; ");
			col = first ? 2 : 2 + hang;
			first = false;
		} else {
			mxspf_buf_putc(out, ' ');
			col++;
		}
		mxspf_buf_append(out, s + i, w);
		col += w;
		i += w;
	}
	if (col > 0)
		mxspf_buf_putc(out, '\n');
}

/* mig_para - a formatted comment paragraph, wrapped */
static void
mig_para(struct mig *m, const char *fmt, ...)
{
	struct mxspf_buf b;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = mig_vfmt(m, &b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		mig_wrap(m->out, mxspf_buf_cstr(&b), b.len);
	mxspf_buf_free(&b);
}

/* mig_v4_mask - a dotted-quad netmask or hostmask, as Python's ipaddress
 * takes after the '/': its prefix length, or -1 */
static int
mig_v4_mask(const char *s, size_t len)
{
	struct mxspf_addr a;
	uint32_t mask, net;
	int k;

	if (mxspf__addr_parse_n(s, len, 4, &a) != 0)
		return -1;
	mask = (uint32_t)a.b[0] << 24 | (uint32_t)a.b[1] << 16 |
	    (uint32_t)a.b[2] << 8 | a.b[3];
	for (k = 0; k <= 32; k++) {
		net = k == 0 ? 0 : 0xffffffffu << (32 - k);
		if (mask == net || mask == ~net)
			return k;
	}
	return -1;
}

/* Verdicts of mig_net_item(). */
#define NET_OK 0	/* converted into item */
#define NET_BAD 1	/* policyd-spf stops reading the list here */
#define NET_SKIP 2	/* policyd-spf reads it, mxspfd cannot */

/* mig_net_item - one item of a policyd-spf address list, read as
 * _cidrmatch() reads it (IPv4Network, else IPv6Network, strict: no host
 * bits, no blanks), converted to mxspfd's ADDR[/LEN] in item */
static int
mig_net_item(const char *p, size_t len, struct mxspf_buf *item)
{
	const char *slash = memchr(p, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - p) : len, i, qlen;
	struct mxspf_netlist *check;
	struct mxspf_addr a;
	unsigned max, plen, bit;
	int k, rc;

	if (memchr(p, '%', alen) != NULL)
		return NET_SKIP;	/* a scoped IPv6 address */
	if (mxspf__addr_parse_n(p, alen, 4, &a) == 0)
		max = 32;
	else if (mxspf__addr_parse_n(p, alen, 6, &a) == 0)
		max = 128;
	else
		return NET_BAD;
	plen = max;
	if (slash != NULL) {
		qlen = len - alen - 1;
		for (i = 0; i < qlen && slash[1 + i] >= '0' &&
		    slash[1 + i] <= '9'; i++)
			;
		if (qlen > 0 && i == qlen) {
			for (plen = 0, i = 0; i < qlen && plen <= max; i++)
				plen = plen * 10 +
				    (unsigned)(slash[1 + i] - '0');
			if (plen > max)
				return NET_BAD;
		} else if (max == 32 &&
		    (k = mig_v4_mask(slash + 1, qlen)) >= 0) {
			plen = (unsigned)k;
		} else {
			return NET_BAD;
		}
	}
	for (bit = plen; bit < max; bit++)
		if ((a.b[bit / 8] & (0x80u >> (bit % 8))) != 0)
			return NET_BAD;	/* host bits set */
	mxspf_buf_reset(item);
	mxspf_buf_append(item, p, alen);
	if (slash != NULL)
		mxspf_buf_appendf(item, "/%u", plen);
	if (item->err != 0 || mxspf_netlist_new(&check) != 0)
		return NET_SKIP;
	rc = mxspf_netlist_add(check, mxspf_buf_cstr(item), NULL, 0);
	mxspf_netlist_free(check);
	return rc == 0 ? NET_OK : NET_SKIP;
}

/* mig_netlist - the list key k (skip_addresses, Whitelist) as the
 * mxspfd list key, on several lines when long, after a comment on what
 * was not carried over: the item policyd-spf cannot read (it stops
 * there) and the items after it, and items mxspfd cannot hold */
static void
mig_netlist(struct mig *m, enum mig_key k, const char *key)
{
	const char *v = mig_value(m, k), *p, *comma;
	struct mxspf_buf lines, line, item;
	size_t n, nitems = 0, nskip = 0, nafter = 0;
	char bad[MIG_QSIZE] = "", skip[MIG_QSIZE] = "";
	int rc;

	mxspf_buf_init(&lines, MIGRATE_MAX_OUTPUT);
	mxspf_buf_init(&line, MIG_MAX_CONF_LINE);
	mxspf_buf_init(&item, MIG_MAX_CONF_LINE);
	for (p = v != NULL ? v : ""; *p != '\0'; p += n + (comma != NULL)) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (bad[0] != '\0') {
			nafter++;
			continue;
		}
		rc = nitems < MIG_MAX_ITEMS ? mig_net_item(p, n, &item) :
		    NET_SKIP;
		if (rc != NET_OK) {
			mxspf_buf_reset(&item);
			mxspf_buf_put_escaped(&item, p, n, MIG_ECHO);
			(void)snprintf(rc == NET_BAD ? bad : skip, MIG_QSIZE,
			    "%s", mxspf_buf_cstr(&item));
			nskip += rc == NET_SKIP;
			continue;
		}
		nitems++;
		if (line.len > 0 && line.len + 1 + item.len > MIG_WIDTH) {
			mxspf_buf_appendf(&lines, "%s\n",
			    mxspf_buf_cstr(&line));
			mxspf_buf_reset(&line);
		}
		if (line.len == 0)
			mxspf_buf_appendf(&line, "%s =", key);
		mxspf_buf_appendf(&line, " %s", mxspf_buf_cstr(&item));
	}
	if (bad[0] != '\0') {
		mig_para(m, "policyd-spf stops reading %s at '%s', which is "
		    "not an address or network in CIDR notation (a blank after "
		    "a comma, host bits set, an empty item): it and the %zu "
		    "item(s) after it were never used and are not carried "
		    "over.", mig_keys[k].name, bad, nafter);
		mig_note(m, m->val[k].line, MN_WARN, "%s: '%s' and the items "
		    "after it were never used by policyd-spf: not carried over",
		    mig_keys[k].name, bad);
	}
	if (nskip > 0) {
		mig_para(m, "'%s'%s of %s cannot be carried over (mxspfd has "
		    "no scoped IPv6 addresses; at most %d items): add by hand "
		    "what is needed.", skip, nskip > 1 ? " and other items" :
		    "", mig_keys[k].name, MIG_MAX_ITEMS);
		mig_review(m, "some address list items could not be carried "
		    "over");
	}
	if (line.len > 0)
		mxspf_buf_appendf(&lines, "%s\n", mxspf_buf_cstr(&line));
	if (lines.err != 0)
		(void)mig_fail(m, lines.err, 0, "out of memory");
	else if (lines.len == 0)
		mxspf_buf_appendf(m->out, "%s =\n", key);
	else
		mxspf_buf_append(m->out, lines.p, lines.len);
	mxspf_buf_free(&lines);
	mxspf_buf_free(&line);
	mxspf_buf_free(&item);
}

/* mig_rej_parse - a HELO_reject or Mail_From_reject value (exact, as
 * policyd-spf compares) */
static enum mig_rej
mig_rej_parse(const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(mig_rej_names) / sizeof(mig_rej_names[0]); i++)
		if (strcmp(v, mig_rej_names[i]) == 0)
			return (enum mig_rej)i;
	return RJ_OTHER;
}

/* mig_rejects - the results policyd-spf rejects or defers for one
 * identity under value v (_get_resultcodes(), and _spfcheck()'s "Null
 * only for the null sender"); e: the PermError_reject and TempError_Defer
 * bits */
static unsigned
mig_rejects(enum mig_rej v, bool helo, bool bounce, unsigned e)
{
	switch (v) {
	case RJ_NOT_PASS:
		return R_FAIL | R_SOFTFAIL | R_NEUTRAL | e;
	case RJ_SOFTFAIL:
		return R_FAIL | R_SOFTFAIL | e;
	case RJ_FAIL:
		return R_FAIL | e;
	case RJ_NULL:
		/* Mail_From_reject has no Null: only e acts. */
		if (!helo)
			return e;
		return bounce ? R_FAIL | e : 0;
	case RJ_FALSE:
	case RJ_NO_CHECK:
		return 0;
	default:
		return e;
	}
}

/* mig_policy_compute - what policyd-spf rejected, and the largest set
 * mxspfd can reject without rejecting more: a result mxspfd acts on must
 * be acted on by policyd-spf for MAIL FROM and for bounces (mxspfd applies
 * one on_* to both), and a HELO fail may decide (check_helo) only where
 * policyd-spf rejected it */
static void
mig_policy_compute(struct mig *m)
{
	struct mig_policy *p = &m->pol;
	unsigned e = 0, keep = R_FAIL | R_SOFTFAIL | R_PERMERROR | R_TEMPERROR;

	p->helo = mig_rej_parse(mig_value(m, MK_HELO_REJECT));
	p->mfrom = mig_rej_parse(mig_value(m, MK_MAIL_FROM_REJECT));
	if (strcmp(mig_value(m, MK_TEMPERROR_DEFER), "True") == 0)
		e |= R_TEMPERROR;
	if (strcmp(mig_value(m, MK_PERMERROR_REJECT), "True") == 0)
		e |= R_PERMERROR;
	p->nomail = strcmp(mig_value(m, MK_NO_MAIL), "True") == 0;
	p->ph = mig_rejects(p->helo, true, false, e);
	p->pn = mig_rejects(p->helo, true, true, e);
	p->pm = mig_rejects(p->mfrom, false, false, e);
	if (p->helo == RJ_NO_CHECK)
		p->ph = p->pn = 0;
	if (p->nomail)
		keep = R_TEMPERROR;	/* rejects only for "v=spf1 -all" */
	p->r = p->pm & p->pn & keep;
	p->check_helo = p->helo != RJ_NO_CHECK && (p->ph & R_FAIL) != 0;
}

/* mig_res_list - the names of the results in set, or "none" */
static void
mig_res_list(struct mxspf_buf *b, unsigned set)
{
	size_t i;
	bool first = true;

	for (i = 0; i < R_NRESULTS; i++) {
		if ((set & (1u << i)) == 0)
			continue;
		mxspf_buf_appendf(b, "%s%s", first ? "" : ", ",
		    mig_res_names[i]);
		first = false;
	}
	if (first)
		mxspf_buf_puts(b, "none");
}

/* mig_policy_diff - one bullet per result policyd-spf acted on somewhere
 * that mxspfd accepts there; the one case where mxspfd is stricter */
static void
mig_policy_diff(struct mig *m)
{
	const struct mig_policy *p = &m->pol;
	struct mxspf_buf w;
	const char *why;
	unsigned r;
	size_t i;
	bool h, mf, b, set, any = false;

	mxspf_buf_init(&w, 64);
	for (i = 0; i < R_NRESULTS; i++) {
		r = 1u << i;
		h = (p->ph & r) != 0 && !(r == R_FAIL && p->check_helo &&
		    (p->r & r) != 0);
		mf = (p->pm & r) != 0 && (p->r & r) == 0;
		b = (p->pn & r) != 0 && (p->r & r) == 0;
		if (!h && !mf && !b)
			continue;
		if (!any)
			mig_para(m, "Differences, each the safer choice "
			    "(mxspfd accepts where policyd-spf rejected or "
			    "deferred):");
		any = true;
		mxspf_buf_reset(&w);
		mxspf_buf_appendf(&w, "%s%s%s%s%s", h ? "HELO" : "",
		    h && (mf || b) ? ", " : "", mf ? "MAIL FROM" : "",
		    mf && b ? ", " : "", b ? "bounces" : "");
		/* set: the reason ends by naming the setting to change. */
		set = (p->r & r) == 0 && r != R_NEUTRAL && !(p->nomail &&
		    r != R_TEMPERROR);
		if (r == R_NEUTRAL)
			why = "mxspfd has no setting to reject neutral (RFC "
			    "7208 section 8.2 treats it like none)";
		else if ((p->r & r) == 0 && p->nomail && r != R_TEMPERROR)
			why = "with No_Mail = True policyd-spf rejected only "
			    "domains whose record is \"v=spf1 -all\", which "
			    "mxspfd cannot tell apart";
		else if ((p->r & r) == 0 && (p->pn & r) == 0)
			why = "mxspfd decides bounces (null sender) by their "
			    "HELO name with the same setting, and policyd-spf "
			    "let bounces through (see HELO_reject); set";
		else if ((p->r & r) == 0)
			why = "mxspfd applies the same setting to the MAIL "
			    "FROM result, which policyd-spf let through (see "
			    "Mail_From_reject); set";
		else if (p->check_helo)
			why = "only a HELO fail decides in mxspfd (RFC 7208 "
			    "section 2.3); for other HELO results MAIL FROM "
			    "decides";
		else
			why = "mxspfd does not check HELO here (check_helo = "
			    "no); MAIL FROM decides";
		if (set)
			mig_para(m, "- %s of %s: %s %s = %s if that is "
			    "acceptable.", mig_res_names[i], mxspf_buf_cstr(&w),
			    why, mig_res_keys[i], r == R_TEMPERROR ? "defer" :
			    "reject");
		else
			mig_para(m, "- %s of %s: %s.", mig_res_names[i],
			    mxspf_buf_cstr(&w), why);
	}
	if ((p->ph & R_TEMPERROR) != 0 &&
	    (p->r & (R_FAIL | R_SOFTFAIL | R_PERMERROR)) != 0)
		mig_para(m, "- where policyd-spf deferred at once for a HELO "
		    "temperror, mxspfd goes on to MAIL FROM and rejects a "
		    "MAIL FROM %s at once (the one case where it is "
		    "stricter).", (p->r & R_FAIL) ? "fail" :
		    (p->r & R_SOFTFAIL) ? "softfail" : "permerror");
	if (!any)
		mig_para(m, "Same decisions as policyd-spf.");
	mxspf_buf_free(&w);
}

/* mig_policy_write - check_helo and the on_* keys, with what they come
 * from */
static void
mig_policy_write(struct mig *m)
{
	static const enum mig_key flags[] = { MK_PERMERROR_REJECT,
	    MK_TEMPERROR_DEFER, MK_NO_MAIL };
	const struct mig_policy *p = &m->pol;
	const struct mig_val *v;
	struct mxspf_buf s[3];
	size_t i;

	mig_policy_compute(m);
	for (i = 0; i < 3; i++)
		mxspf_buf_init(&s[i], 128);
	mig_res_list(&s[0], p->ph);
	mig_res_list(&s[1], p->pm);
	mig_res_list(&s[2], p->pn);
	mig_para(m, "Rejects.  policyd-spf had %s, %s, %s, %s, %s.  It "
	    "rejected or deferred:", mig_src(m, MK_HELO_REJECT),
	    mig_src(m, MK_MAIL_FROM_REJECT), mig_src(m, MK_PERMERROR_REJECT),
	    mig_src(m, MK_TEMPERROR_DEFER), mig_src(m, MK_NO_MAIL));
	mig_para(m, "- for the HELO result of a message with a sender: %s",
	    mxspf_buf_cstr(&s[0]));
	mig_para(m, "- for its MAIL FROM result: %s", mxspf_buf_cstr(&s[1]));
	mig_para(m, "- for the HELO result of a bounce (null sender): %s",
	    mxspf_buf_cstr(&s[2]));
	if (p->helo == RJ_NO_CHECK)
		mig_para(m, "mxspfd does not check HELO either (check_helo = "
		    "no); a bounce is still checked, by its HELO name "
		    "(postmaster@HELO, RFC 7208 section 2.4).");
	else if (!p->check_helo)
		mig_para(m, "policyd-spf did not reject a HELO fail of a "
		    "message with a sender, and with check_helo = yes mxspfd "
		    "would (a HELO fail is its verdict): check_helo = no, so "
		    "MAIL FROM decides; a bounce is decided by its HELO name "
		    "(postmaster@HELO).");
	else
		mig_para(m, "mxspfd checks HELO first (check_helo = yes): a "
		    "HELO fail decides, otherwise MAIL FROM does; a bounce is "
		    "decided by its HELO name.");
	mxspf_buf_reset(&s[0]);
	mig_res_list(&s[0], p->r);
	mig_para(m, "mxspfd rejects (temperror: defers): %s.",
	    mxspf_buf_cstr(&s[0]));
	mig_policy_diff(m);
	for (i = 0; i < 3; i++)
		mxspf_buf_free(&s[i]);
	if (p->helo == RJ_OTHER) {
		mig_para(m, "Note: policyd-spf does not know HELO_reject = "
		    "'%s' (values are case-sensitive: SPF_Not_Pass, Softfail, "
		    "Fail, Null, False, No_Check) and acted only as "
		    "PermError_reject and TempError_Defer say.",
		    mig_q(m, mig_value(m, MK_HELO_REJECT)));
		mig_warn(m, MK_HELO_REJECT);
	}
	if (p->mfrom == RJ_OTHER || p->mfrom == RJ_NULL) {
		mig_para(m, "Note: policyd-spf does not know Mail_From_reject "
		    "= '%s' (SPF_Not_Pass, Softfail, Fail, False, No_Check; "
		    "case-sensitive) and acted only as PermError_reject and "
		    "TempError_Defer say.",
		    mig_q(m, mig_value(m, MK_MAIL_FROM_REJECT)));
		mig_warn(m, MK_MAIL_FROM_REJECT);
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		v = &m->val[flags[i]];
		if (v->v == NULL || strcmp(v->v, "True") == 0 ||
		    strcmp(v->v, "False") == 0)
			continue;
		mig_para(m, "Note: only the exact value True turns %s on; "
		    "policyd-spf read '%s' as False.", mig_keys[flags[i]].name,
		    mig_q(m, v->v));
		mig_warn(m, flags[i]);
	}
	mxspf_buf_appendf(m->out, "check_helo = %s\n",
	    p->check_helo ? "yes" : "no");
	for (i = 0; i < R_NRESULTS; i++) {
		if (mig_res_keys[i] == NULL)
			continue;
		mxspf_buf_appendf(m->out, "%s = %s\n", mig_res_keys[i],
		    (p->r & (1u << i)) == 0 ? "accept" :
		    (1u << i) == R_TEMPERROR ? "defer" : "reject");
	}
}

/* mig_testmode_write - test_mode: TestOnly, or forced on by what mxspfd
 * cannot do without rejecting mail policyd-spf let through */
static void
mig_testmode_write(struct mig *m)
{
	static const char testonly[] = "TestOnly = 0 is policyd-spf's test "
	    "mode";
	const struct mig_val *t = &m->val[MK_TESTONLY];
	size_t i;

	if (t->v != NULL && t->num == 0)
		mig_review(m, testonly);
	if (m->nreview == 0) {
		mig_para(m, "%s: rejects and defers take effect.",
		    mig_src(m, MK_TESTONLY));
		mxspf_buf_puts(m->out, "test_mode = no\n");
		return;
	}
	if (m->nreview == 1 && m->review[0] == testonly) {
		mig_para(m, "%s: policyd-spf's test mode, mxspfd's too: it "
		    "accepts everything and logs what it would have done.",
		    mig_src(m, MK_TESTONLY));
		mxspf_buf_puts(m->out, "test_mode = yes\n");
		return;
	}
	mig_para(m, "%s.  test_mode is on: mxspfd accepts everything and "
	    "logs what it would have done, because:",
	    mig_src(m, MK_TESTONLY));
	for (i = 0; i < m->nreview; i++)
		mig_para(m, "- %s", m->review[i]);
	mig_para(m, "Set test_mode = no once the notes at the end are dealt "
	    "with.");
	for (i = 0; i < m->nreview; i++)
		if (m->review[i] != testonly)
			mig_note(m, MIG_WHOLE, MN_WARN, "test_mode = yes in the "
			    "output: %s", m->review[i]);
	mxspf_buf_puts(m->out, "test_mode = yes\n");
}

/* mig_header_write - header and authserv_id */
static void
mig_header_write(struct mig *m)
{
	const char *ht = mig_value(m, MK_HEADER_TYPE);
	const char *as = mig_value(m, MK_AUTHSERV_ID);
	const char *hdr = "received-spf";
	size_t len = strlen(as);
	bool ar = strstr(ht, "AR") != NULL;

	if (m->val[MK_MOCK].v != NULL && m->val[MK_MOCK].v[0] != '\0') {
		mig_para(m, "%s: no header (Mock).",
		    mig_src(m, MK_HEADER_TYPE));
		hdr = "none";
	} else if (ar && strstr(ht, "SPF") != NULL) {
		mig_para(m, "%s names both SPF and AR: policyd-spf failed on "
		    "every message it checked (Postfix answered 4xx); "
		    "Received-SPF here.", mig_src(m, MK_HEADER_TYPE));
		mig_review(m, "Header_Type made policyd-spf fail on every "
		    "message");
	} else if (ar) {
		mig_para(m, "%s: Authentication-Results.",
		    mig_src(m, MK_HEADER_TYPE));
		hdr = "authentication-results";
	} else if (strcmp(ht, "None") == 0) {
		mig_para(m, "%s: no header.", mig_src(m, MK_HEADER_TYPE));
		hdr = "none";
	} else {
		mig_para(m, "%s: Received-SPF%s.", mig_src(m, MK_HEADER_TYPE),
		    strcmp(ht, "SPF") == 0 ? "" :
		    " (what policyd-spf wrote for a value without AR other "
		    "than None)");
	}
	mxspf_buf_appendf(m->out, "header = %s\n", hdr);
	if (strcmp(as, "HOSTNAME") == 0) {
		mig_para(m, "%s: the host name, mxspfd's default.",
		    mig_src(m, MK_AUTHSERV_ID));
		return;
	}
	if (len > 0 && len + sizeof("authserv_id = ") <= MIG_MAX_CONF_LINE &&
	    as[len - 1] != '.' && strspn(as, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == len &&
	    mxspf__valid_name(as, len, false)) {
		mig_para(m, "%s.", mig_src(m, MK_AUTHSERV_ID));
		mxspf_buf_appendf(m->out, "authserv_id = %s\n", as);
		return;
	}
	mig_para(m, "%s is not a host name mxspfd accepts (letters, digits, "
	    "'-', '_', dots): not carried over, the host name is used.",
	    mig_src(m, MK_AUTHSERV_ID));
	if (len == 0 && ar)
		mig_review(m, "an empty Authserv_Id made policyd-spf fail on "
		    "every message");
}

/* mig_times_write - deadline from Lookup_Time (per identity in
 * policyd-spf, per decision in mxspfd) */
static void
mig_times_write(struct mig *m)
{
	long long lt = 20, ids = m->pol.check_helo ? 2 : 1, val;
	const char *why, *unit = "s";

	if (m->val[MK_LOOKUP_TIME].v != NULL)
		lt = m->val[MK_LOOKUP_TIME].num;
	val = lt * ids > MIG_MAX_DEADLINE_S ? MIG_MAX_DEADLINE_S : lt * ids;
	if (lt < 0) {
		why = "a negative time made every policyd-spf check that "
		    "needed DNS a temperror; 1ms does the same.  RFC 7208 "
		    "section 4.6.4 asks for 20s";
		val = 1;
		unit = "ms";
	} else if (lt == 0) {
		why = "no total limit in policyd-spf (20 s per DNS lookup); "
		    "1h is mxspfd's longest deadline, but Postfix gives up "
		    "after smtpd_policy_service_timeout (100s) anyway";
		val = MIG_MAX_DEADLINE_S;
	} else {
		why = ids == 2 ? "seconds per identity in policyd-spf; "
		    "mxspfd's deadline covers a whole decision (HELO and MAIL "
		    "FROM, and the MX-trust lookup beside them).  Keep it "
		    "below Postfix's smtpd_policy_service_timeout (100s)" :
		    "seconds per identity in policyd-spf; mxspfd's deadline "
		    "covers a whole decision (MAIL FROM, and the MX-trust "
		    "lookup beside it).  Keep it below Postfix's "
		    "smtpd_policy_service_timeout (100s)";
	}
	mig_para(m, "%s: %s%s.", mig_src(m, MK_LOOKUP_TIME), why,
	    lt * ids > MIG_MAX_DEADLINE_S ? "; capped at 1h" : "");
	mxspf_buf_appendf(m->out, "deadline = %lld%s\n", val, unit);
}

/* mig_key_notes - the notes of keys without an mxspfd setting, the
 * review reasons they bring, and the keys mapped elsewhere that need a
 * word (debugLevel, SPF_Enhanced_Status_Codes) */
static void
mig_key_notes(struct mig *m)
{
	const struct mig_val *v;
	size_t i;

	for (i = 0; i < MK_COUNT; i++) {
		v = &m->val[i];
		if (v->v == NULL)
			continue;
		if (mig_keys[i].off_empty && v->v[0] == '\0') {
			mig_note(m, v->line, MN_NOTE, "%s is empty, which "
			    "policyd-spf reads as off: nothing to carry over",
			    mig_keys[i].name);
		} else if (i == MK_SPF_ENHANCED_STATUS_CODES) {
			mig_note(m, v->line, MN_NOTE, "%s = %s: %s",
			    mig_keys[i].name, mig_q(m, v->v),
			    strcmp(v->v, "No") == 0 ? "mxspfd always answers "
			    "with the RFC 7372 codes (550 5.7.23, 550 5.7.24, "
			    "451 4.7.24); there is no setting to drop them" :
			    "mxspfd always uses the RFC 7372 codes, as this "
			    "did");
		} else if (i >= MK_SOCKET) {
			mig_note(m, v->line, MN_NOTE, "%s = %s: %s",
			    mig_keys[i].name, mig_q(m, v->v), mig_milter_note);
		} else if (mig_keys[i].note != NULL) {
			mig_note(m, v->line, MN_NOTE, "%s = %s: %s%s",
			    mig_keys[i].name, mig_q(m, v->v),
			    mig_keys[i].note, i == MK_DEBUGLEVEL &&
			    v->num < 0 ? ".  A negative level logged nothing: "
			    "[mxspfd] syslog_facility = none does the same "
			    "(remove it to keep a log)" : "");
		}
	}
	for (i = 0; i < sizeof(mig_review_keys) / sizeof(mig_review_keys[0]);
	    i++) {
		v = &m->val[mig_review_keys[i].key];
		if (v->v != NULL && v->v[0] != '\0')
			mig_review(m, mig_review_keys[i].why);
	}
}

/* mig_notes_write - the notes block, in line order */
static void
mig_notes_write(struct mig *m)
{
	size_t i;

	if (m->notes.n == 0 && m->dropped == 0)
		return;
	mxspf_buf_puts(m->out, "\n");
	mig_para(m, "Notes on the other lines of %s (what mxspfd does "
	    "instead):", m->name);
	if (m->notes.n > 1)
		qsort(m->notes.v, m->notes.n, sizeof(m->notes.v[0]),
		    mig_tagged_cmp);
	for (i = 0; i < m->notes.n; i++)
		mig_para(m, "- line %zu: %s", m->notes.v[i].line,
		    m->notes.v[i].text);
	if (m->dropped > 0)
		mig_para(m, "- and %zu more notes like these (only the first "
		    "%d are listed).", m->dropped, MIGRATE_MAX_NOTES);
}

/* mig_warns_write - the warnings, in line order, into m->warn */
static void
mig_warns_write(struct mig *m)
{
	const struct mig_tagged *w;
	size_t i;

	if (m->warns.n > 1)
		qsort(m->warns.v, m->warns.n, sizeof(m->warns.v[0]),
		    mig_tagged_cmp);
	for (i = 0; i < m->warns.n; i++) {
		w = &m->warns.v[i];
		if (w->line == MIG_WHOLE)
			mxspf_buf_appendf(m->warn, "%s: %s\n", m->name,
			    w->text);
		else
			mxspf_buf_appendf(m->warn, "%s:%zu: %s\n", m->name,
			    w->line, w->text);
	}
	if (m->dropped > 0)
		mxspf_buf_appendf(m->warn, "%s: %zu more notes and warnings "
		    "not shown\n", m->name, m->dropped);
}

int
migrate_convert(const char *text, size_t len, const char *name,
    struct mxspf_buf *out, struct mxspf_buf *warn, char *err,
    size_t errlen)
{
	struct mig *m;
	char *copy;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((m = mxspf__calloc(1, sizeof(*m))) == NULL ||
	    (copy = mxspf__memdup(text, len)) == NULL) {
		free(m);
		if (err != NULL && errlen > 0)
			(void)snprintf(err, errlen, "%s: out of memory", name);
		return MXSPF_ENOMEM;
	}
	(void)snprintf(m->namebuf, sizeof(m->namebuf), "%s", mig_q(m, name));
	m->name = m->namebuf;
	m->out = out;
	m->warn = warn;
	m->errbuf = err;
	m->errlen = err != NULL ? errlen : 0;
	if (mig_read(m, copy, len) == 0) {
		mig_key_notes(m);
		mxspf_buf_appendf(out, "; mxspfd.conf(5) written by \"mxspf "
		    "migrate-config\" from\n");
		mig_para(m, "%s, a policyd-spf 3.0.4 configuration "
		    "(policyd-spf.conf(5)).  Each setting below says which "
		    "policyd-spf keys it comes from, with their line, or "
		    "\"default\" when the key was not in the file.  Review the "
		    "notes, then check the file with \"mxspfd -n -c FILE\".",
		    m->name);
		mxspf_buf_puts(out, "\n[policy]\n");
		mig_policy_write(m);
		mig_para(m, "%s: clients not checked at all (policyd-spf "
		    "added an X-Comment header; mxspfd adds none).",
		    mig_src(m, MK_SKIP_ADDRESSES));
		mig_netlist(m, MK_SKIP_ADDRESSES, "exempt");
		if (m->val[MK_WHITELIST].v != NULL &&
		    m->val[MK_WHITELIST].v[0] != '\0') {
			mig_para(m, "%s: trusted relays, accepted without "
			    "the SPF verdict.  Your backup MX hosts need no "
			    "entry: see trust_mode.", mig_src(m, MK_WHITELIST));
			mig_netlist(m, MK_WHITELIST, "relays");
		}
		mig_para(m, "New in mxspfd: a client that is an MX host of the "
		    "recipient's domain, not more preferred than this server, "
		    "is a trusted relay for that domain's recipients, so mail "
		    "relayed by your backup MX hosts is not rejected and no "
		    "hand-kept list of their addresses is needed (\"mxspf "
		    "trust --domain YOUR.DOMAIN\" shows them).  trust_mode = "
		    "off turns this off.");
		mxspf_buf_puts(out, "trust_mode = preference\n");
		mig_header_write(m);
		mig_times_write(m);
		mig_testmode_write(m);
		mxspf_buf_puts(out, "\n[spf]\n");
		mig_para(m, "%s%s.", mig_src(m, MK_VOID_LIMIT),
		    m->val[MK_VOID_LIMIT].num < 0 ? ": below 0 acts as 0" :
		    m->val[MK_VOID_LIMIT].num > MIG_MAX_VOID ?
		    ": capped at mxspfd's 100" : "");
		mxspf_buf_appendf(out, "max_void_lookups = %lld\n",
		    m->val[MK_VOID_LIMIT].v == NULL ? 2 :
		    m->val[MK_VOID_LIMIT].num < 0 ? 0 :
		    m->val[MK_VOID_LIMIT].num > MIG_MAX_VOID ? MIG_MAX_VOID :
		    m->val[MK_VOID_LIMIT].num);
		if (m->val[MK_DEBUGLEVEL].v != NULL &&
		    m->val[MK_DEBUGLEVEL].num < 0) {
			mxspf_buf_puts(out, "\n[mxspfd]\n");
			mig_para(m, "%s: log nothing.",
			    mig_src(m, MK_DEBUGLEVEL));
			mxspf_buf_puts(out, "syslog_facility = none\n");
		}
		mig_notes_write(m);
		mig_warns_write(m);
	}
	rc = m->err;
	if (rc == 0 && (out->err != 0 || warn->err != 0)) {
		rc = out->err != 0 ? out->err : warn->err;
		if (rc == MXSPF_ENOMEM)
			(void)mig_fail(m, rc, 0, "out of memory");
		else
			(void)mig_fail(m, rc, 0, "the output would be larger "
			    "than %u bytes", MIGRATE_MAX_OUTPUT);
	}
	mig_texts_free(&m->notes);
	mig_texts_free(&m->warns);
	free(copy);
	free(m);
	return rc;
}

/* mig_slurp - the whole of fd, at most MIGRATE_MAX_INPUT bytes, into b;
 * 0, or -1 with errno set (EFBIG: too large) */
static int
mig_slurp(int fd, struct mxspf_buf *b)
{
	char chunk[65536];
	ssize_t r;

	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if ((size_t)r > MIGRATE_MAX_INPUT - b->len) {
			errno = EFBIG;
			return -1;
		}
		mxspf_buf_append(b, chunk, (size_t)r);
		if (b->err != 0) {
			errno = ENOMEM;
			return -1;
		}
	}
}

int
migrate_command(const char *path)
{
	struct mxspf_buf in, out, warn;
	const char *name = strcmp(path, "-") == 0 ? "(standard input)" : path;
	char err[1024];
	struct stat st;
	int fd = 0, rc, status = CLI_EXIT_MIGRATE;

	mxspf_buf_init(&in, MIGRATE_MAX_INPUT);
	mxspf_buf_init(&out, MIGRATE_MAX_OUTPUT);
	mxspf_buf_init(&warn, MIGRATE_MAX_OUTPUT);
	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "mxspf: %s: cannot open: %s\n", path,
		    strerror(errno));
		goto done;
	}
	if (fd != 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		fprintf(stderr, "mxspf: %s: not a regular file\n", path);
		goto done;
	}
	if (mig_slurp(fd, &in) != 0) {
		if (errno == EFBIG)
			fprintf(stderr, "mxspf: %s: larger than %u bytes\n",
			    name, MIGRATE_MAX_INPUT);
		else
			fprintf(stderr, "mxspf: %s: cannot read: %s\n", name,
			    strerror(errno));
		status = errno == ENOMEM ? CLI_EXIT_INTERNAL : status;
		goto done;
	}
	rc = migrate_convert(mxspf_buf_cstr(&in), in.len, name, &out, &warn,
	    err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mxspf: %s\n", err);
		status = rc == MXSPF_ESYNTAX ? CLI_EXIT_MIGRATE :
		    CLI_EXIT_INTERNAL;
		goto done;
	}
	fputs(mxspf_buf_cstr(&out), stdout);
	status = fflush(stdout) == 0 && !ferror(stdout) ? CLI_EXIT_OK :
	    CLI_EXIT_IO;
	if (status == CLI_EXIT_IO)
		fprintf(stderr, "mxspf: cannot write the standard output\n");
	if (warn.len > 0) {
		/* One "mxspf: warning: " per line. */
		const char *p = mxspf_buf_cstr(&warn), *nl;

		for (; *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			fprintf(stderr, "mxspf: warning: %.*s\n",
			    (int)(nl - p), p);
		}
	}
done:
	if (fd > 0)
		(void)close(fd);
	mxspf_buf_free(&in);
	mxspf_buf_free(&out);
	mxspf_buf_free(&warn);
	return status;
}
