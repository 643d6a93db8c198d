/* cmd/mxspf-milter/recheck.c - headers, log line and action of one
 * re-check of SPF against the border client (recheck.h).
 *
 * The Received-SPF and Authentication-Results headers are the library's
 * (lib/header.c, written for the border IP, the envelope sender and the
 * border's HELO), followed by the milter's own items that say how the
 * border was found and what the border recorded:
 *
 *	Received-SPF: fail (mail.receiver.test: domain of alice@sender.test
 *		does not designate 192.0.2.66 as permitted sender)
 *		client-ip=192.0.2.66; ... mechanism=-all;
 *		x-mxspf-border=received-chain (2 trusted MX hops for
 *		receiver.test); x-mxspf-border-mx=mx.backup2.test;
 *		x-mxspf-border-spf=unchecked (mx.backup2.test did not check
 *		SPF)
 *
 *	Authentication-Results: mail.receiver.test; spf=fail (...)
 *		smtp.mailfrom=alice@sender.test
 *		policy.x-mxspf-border=192.0.2.66 (received-chain, 2 trusted
 *		MX hops for receiver.test)
 *		policy.x-mxspf-border-mx=mx.backup2.test
 *		policy.x-mxspf-border-spf=unchecked (mx.backup2.test did not
 *		check SPF)
 *
 * A comment after a Received-SPF value is RFC 5322 CFWS inside dot-atom;
 * after an RFC 8601 pvalue it is CFWS as well.  Values that came from
 * Received headers (the border MX name, the HELO) are untrusted: text.c
 * cleans, cuts and quotes them.
 *
 * Must not: claim an SPF result in X-Mxspf-Recheck (it is written when
 * there is no re-check), or call libmilter.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recheck.h"
#include "text.h"

#define RC_HEADER_MAX 16384	/* one header */
#define RC_LOG_MAX 2048		/* one log line */
#define RC_ITEM_MAX 1024	/* one appended item */
#define RC_LOG_CUT 100		/* bytes of untrusted text logged */
#define RC_ADDR_LEN 64

static const char *const border_names[] = {
	"unchecked", "agrees", "differs"
};

static void addr_text(const struct mxspf_addr *a, char *buf, size_t len);
static void border_comment(const struct recheck *rc, struct mxspf_buf *b);
static void chain_comment(const struct recheck *rc, bool with_name,
    struct mxspf_buf *b);
static int finish(struct mxspf_buf *b, char **out);
static void info_fill(const struct recheck *rc,
    const struct recheck_env *env, struct mxspf_header_info *info);
static int start_from(struct mxspf_buf *b, int rc, char *h);

enum recheck_border
recheck_border_state(const struct recheck *rc)
{
	if (!rc->recorded.found || rc->verdict == NULL)
		return RECHECK_BORDER_UNCHECKED;
	return rc->recorded.result == rc->verdict->result ?
	    RECHECK_BORDER_AGREES : RECHECK_BORDER_DIFFERS;
}

const char *
recheck_border_name(enum recheck_border b)
{
	if ((size_t)b < sizeof(border_names) / sizeof(border_names[0]))
		return border_names[b];
	return "unknown";
}

const char *
recheck_outcome_name(enum mxspf_walk_outcome o)
{
	switch (o) {
	case MXSPF_WALK_BORDER:
		return "border";
	case MXSPF_WALK_UNPARSEABLE:
		return "unparseable";
	case MXSPF_WALK_TOO_DEEP:
		return "too-deep";
	case MXSPF_WALK_DNSERR:
		return "dns-error";
	}
	return "unknown";
}

/* addr_text - an address as text, "?" when it cannot be formatted */
static void
addr_text(const struct mxspf_addr *a, char *buf, size_t len)
{
	if (mxspf_addr_format(a, buf, len) != 0)
		(void)snprintf(buf, len, "?");
}

/* info_fill - the library's header facts for the border */
static void
info_fill(const struct recheck *rc, const struct recheck_env *env,
    struct mxspf_header_info *info)
{
	memset(info, 0, sizeof(*info));
	info->verdict = rc->verdict;
	info->client = &rc->border_ip;
	info->helo = rc->border_helo;
	info->sender = env->sender != NULL ? env->sender : "";
	info->identity = MXSPF_ID_MAILFROM;
	info->receiver = env->receiver;
}

/* start_from - put the library's header h (rc its return code) into b;
 * takes h; returns rc */
static int
start_from(struct mxspf_buf *b, int rc, char *h)
{
	mxspf_buf_init(b, RC_HEADER_MAX);
	if (rc == 0)
		mxspf_buf_puts(b, h);
	free(h);
	return rc;
}

/* finish - hand b's text out; 0 or MXSPF_ENOMEM */
static int
finish(struct mxspf_buf *b, char **out)
{
	if (b->err != 0) {
		mxspf_buf_free(b);
		return MXSPF_ENOMEM;
	}
	*out = mxspf_buf_steal(b);
	mxspf_buf_free(b);
	return *out != NULL ? 0 : MXSPF_ENOMEM;
}

/* chain_comment - "(N trusted MX hops for D)", or with_name
 * "(received-chain, N trusted MX hops for D)" */
static void
chain_comment(const struct recheck *rc, bool with_name, struct mxspf_buf *b)
{
	char text[RC_ITEM_MAX];

	(void)snprintf(text, sizeof(text), "%s%zu trusted MX hop%s for %s",
	    with_name ? "received-chain, " : "", rc->hops,
	    rc->hops == 1 ? "" : "s", rc->domain != NULL ? rc->domain : "?");
	text_put_comment(b, text);
}

/* border_comment - what the border recorded, as a comment */
static void
border_comment(const struct recheck *rc, struct mxspf_buf *b)
{
	const char *mx = rc->border_mx != NULL ? rc->border_mx :
	    "the border MX";
	char text[RC_ITEM_MAX];

	switch (recheck_border_state(rc)) {
	case RECHECK_BORDER_UNCHECKED:
		(void)snprintf(text, sizeof(text), "%.200s did not check SPF",
		    mx);
		break;
	case RECHECK_BORDER_AGREES:
		(void)snprintf(text, sizeof(text), "recorded by %.200s in %s; "
		    "agrees", mx, rc->recorded.header != NULL ?
		    rc->recorded.header : "a header");
		break;
	case RECHECK_BORDER_DIFFERS:
		(void)snprintf(text, sizeof(text), "recorded by %.200s in %s; "
		    "the re-check says %s", mx, rc->recorded.header != NULL ?
		    rc->recorded.header : "a header",
		    mxspf_result_name(rc->verdict->result));
		break;
	}
	text_put_comment(b, text);
}

int
recheck_received_spf(const struct recheck *rc, const struct recheck_env *env,
    char **out)
{
	struct mxspf_header_info info;
	struct mxspf_buf b, item;
	char *h = NULL;
	int r;

	*out = NULL;
	if (rc == NULL || env == NULL || rc->verdict == NULL)
		return MXSPF_EINVAL;
	info_fill(rc, env, &info);
	r = mxspf_header_received_spf(&info, &h);
	r = start_from(&b, r, h);
	if (r != 0) {
		mxspf_buf_free(&b);
		return r;
	}
	mxspf_buf_init(&item, RC_ITEM_MAX);
	mxspf_buf_puts(&item, "x-mxspf-border=received-chain ");
	chain_comment(rc, false, &item);
	text_fold_item(&b, ";", mxspf_buf_cstr(&item));
	if (rc->border_mx != NULL) {
		mxspf_buf_reset(&item);
		mxspf_buf_puts(&item, "x-mxspf-border-mx=");
		text_put_value(&item, rc->border_mx, false);
		text_fold_item(&b, ";", mxspf_buf_cstr(&item));
	}
	mxspf_buf_reset(&item);
	mxspf_buf_puts(&item, "x-mxspf-border-spf=");
	mxspf_buf_puts(&item, rc->recorded.found ?
	    mxspf_result_name(rc->recorded.result) : "unchecked");
	mxspf_buf_putc(&item, ' ');
	border_comment(rc, &item);
	text_fold_item(&b, ";", mxspf_buf_cstr(&item));
	if (item.err != 0 && b.err == 0)
		b.err = item.err;
	mxspf_buf_free(&item);
	return finish(&b, out);
}

int
recheck_auth_results(const struct recheck *rc, const struct recheck_env *env,
    char **out)
{
	struct mxspf_header_info info;
	struct mxspf_buf b, item;
	char ip[RC_ADDR_LEN], *h = NULL;
	int r;

	*out = NULL;
	if (rc == NULL || env == NULL || rc->verdict == NULL ||
	    env->authserv_id == NULL)
		return MXSPF_EINVAL;
	info_fill(rc, env, &info);
	r = mxspf_header_auth_results(&info, env->authserv_id, &h);
	r = start_from(&b, r, h);
	if (r != 0) {
		mxspf_buf_free(&b);
		return r;
	}
	addr_text(&rc->border_ip, ip, sizeof(ip));
	mxspf_buf_init(&item, RC_ITEM_MAX);
	mxspf_buf_puts(&item, "policy.x-mxspf-border=");
	text_put_value(&item, ip, true);
	mxspf_buf_putc(&item, ' ');
	chain_comment(rc, true, &item);
	text_fold_item(&b, "", mxspf_buf_cstr(&item));
	if (rc->border_mx != NULL) {
		mxspf_buf_reset(&item);
		mxspf_buf_puts(&item, "policy.x-mxspf-border-mx=");
		text_put_value(&item, rc->border_mx, true);
		text_fold_item(&b, "", mxspf_buf_cstr(&item));
	}
	mxspf_buf_reset(&item);
	mxspf_buf_puts(&item, "policy.x-mxspf-border-spf=");
	mxspf_buf_puts(&item, rc->recorded.found ?
	    mxspf_result_name(rc->recorded.result) : "unchecked");
	mxspf_buf_putc(&item, ' ');
	border_comment(rc, &item);
	text_fold_item(&b, "", mxspf_buf_cstr(&item));
	if (item.err != 0 && b.err == 0)
		b.err = item.err;
	mxspf_buf_free(&item);
	return finish(&b, out);
}

int
recheck_note(const struct recheck *rc, const struct recheck_env *env,
    char **out)
{
	struct mxspf_buf b, item;
	char ip[RC_ADDR_LEN], text[RC_ITEM_MAX];
	const char *what, *why;

	*out = NULL;
	if (rc == NULL || env == NULL || rc->verdict != NULL)
		return MXSPF_EINVAL;
	if (rc->outcome == MXSPF_WALK_BORDER) {
		what = "error";
		why = rc->error != NULL ? rc->error : "no re-check";
	} else {
		what = recheck_outcome_name(rc->outcome);
		why = rc->why != NULL ? rc->why : "no border client";
	}
	mxspf_buf_init(&b, RC_HEADER_MAX);
	mxspf_buf_puts(&b, "X-Mxspf-Recheck: ");
	mxspf_buf_puts(&b, what);
	mxspf_buf_init(&item, RC_ITEM_MAX);
	(void)snprintf(text, sizeof(text), "%s%s%.300s",
	    env->receiver != NULL ? env->receiver : "",
	    env->receiver != NULL ? ": " : "", why);
	text_put_comment(&item, text);
	text_fold_item(&b, "", mxspf_buf_cstr(&item));
	addr_text(env->client, ip, sizeof(ip));
	mxspf_buf_reset(&item);
	mxspf_buf_puts(&item, "client-ip=");
	text_put_value(&item, ip, false);
	text_fold_item(&b, "", mxspf_buf_cstr(&item));
	mxspf_buf_reset(&item);
	mxspf_buf_puts(&item, "domain=");
	text_put_value(&item, rc->domain != NULL ? rc->domain : "", false);
	text_fold_item(&b, ";", mxspf_buf_cstr(&item));
	if (item.err != 0 && b.err == 0)
		b.err = item.err;
	mxspf_buf_free(&item);
	return finish(&b, out);
}

char *
recheck_log_line(const struct recheck *rc, enum milter_act act)
{
	struct mxspf_buf b;
	char ip[RC_ADDR_LEN];
	const char *d = rc->domain != NULL ? rc->domain : "?";
	char *s;

	mxspf_buf_init(&b, RC_LOG_MAX);
	mxspf_buf_puts(&b, "recheck domain=");
	mxspf_buf_put_escaped(&b, d, strlen(d), RC_LOG_CUT);
	if (rc->outcome != MXSPF_WALK_BORDER) {
		mxspf_buf_appendf(&b, " walk=%s (",
		    recheck_outcome_name(rc->outcome));
		if (rc->why != NULL)
			mxspf_buf_put_escaped(&b, rc->why, strlen(rc->why),
			    3 * RC_LOG_CUT);
		mxspf_buf_appendf(&b, ") hops=%zu", rc->hops);
	} else {
		addr_text(&rc->border_ip, ip, sizeof(ip));
		mxspf_buf_appendf(&b, " border=%s helo=", ip);
		if (rc->border_helo != NULL)
			mxspf_buf_put_escaped(&b, rc->border_helo,
			    strlen(rc->border_helo), RC_LOG_CUT);
		mxspf_buf_puts(&b, " border_mx=");
		if (rc->border_mx != NULL)
			mxspf_buf_put_escaped(&b, rc->border_mx,
			    strlen(rc->border_mx), RC_LOG_CUT);
		mxspf_buf_appendf(&b, " hops=%zu", rc->hops);
		if (rc->verdict != NULL) {
			mxspf_buf_appendf(&b, " spf=%s",
			    mxspf_result_name(rc->verdict->result));
			if (rc->recorded.found)
				mxspf_buf_appendf(&b, " border_spf=%s (%s)",
				    mxspf_result_name(rc->recorded.result),
				    recheck_border_name(
				    recheck_border_state(rc)));
			else
				mxspf_buf_puts(&b, " border_spf=unchecked");
			if (rc->verdict->problem != NULL) {
				mxspf_buf_puts(&b, " problem=\"");
				mxspf_buf_put_escaped(&b, rc->verdict->problem,
				    strlen(rc->verdict->problem), RC_LOG_CUT);
				mxspf_buf_putc(&b, '"');
			}
		} else {
			mxspf_buf_puts(&b, " spf=not-checked (");
			mxspf_buf_puts(&b, rc->error != NULL ? rc->error :
			    "?");
			mxspf_buf_putc(&b, ')');
		}
	}
	mxspf_buf_appendf(&b, " action=%s", milter_act_name(act));
	if (b.err == MXSPF_ENOMEM) {
		mxspf_buf_free(&b);
		return NULL;
	}
	s = mxspf_buf_steal(&b);
	mxspf_buf_free(&b);
	return s;
}

enum milter_act
recheck_action(const struct milter_conf *mc, const struct recheck *rc)
{
	enum mxspf_result r;

	if (rc->verdict == NULL)
		return rc->outcome == MXSPF_WALK_DNSERR ?
		    mc->recheck[MXSPF_TEMPERROR] : MILTER_ACT_TAG;
	r = rc->verdict->result;
	if (r == MXSPF_PASS || (size_t)r >= MILTER_NRESULTS)
		return MILTER_ACT_TAG;
	return mc->recheck[r];
}

char *
recheck_reply(const struct recheck *rc, const char **code,
    const char **status, bool *temp)
{
	struct mxspf_buf b;
	char ip[RC_ADDR_LEN];
	const char *res;
	char *s;

	if (rc->verdict == NULL || rc->verdict->result == MXSPF_TEMPERROR) {
		*code = "451";
		*status = "4.7.24";
		*temp = true;
	} else if (rc->verdict->result == MXSPF_PERMERROR) {
		*code = "550";
		*status = "5.7.24";
		*temp = false;
	} else {
		*code = "550";
		*status = "5.7.23";
		*temp = false;
	}
	res = rc->verdict != NULL ? mxspf_result_name(rc->verdict->result) :
	    "temperror";
	mxspf_buf_init(&b, TEXT_REPLY_MAX);
	if (rc->outcome == MXSPF_WALK_BORDER) {
		addr_text(&rc->border_ip, ip, sizeof(ip));
		mxspf_buf_appendf(&b, "SPF re-check: %s for the original "
		    "client %s", res, ip);
		if (rc->border_mx != NULL)
			mxspf_buf_appendf(&b, " (relayed by %.100s)",
			    rc->border_mx);
	} else {
		mxspf_buf_puts(&b, "SPF re-check of the original client "
		    "failed: DNS error");
	}
	if (rc->verdict != NULL && rc->verdict->result == MXSPF_FAIL &&
	    rc->verdict->explanation != NULL)
		mxspf_buf_appendf(&b, ": %.200s", rc->verdict->explanation);
	if (b.err == MXSPF_ENOMEM) {
		mxspf_buf_free(&b);
		return NULL;
	}
	/* Over TEXT_REPLY_MAX the text is cut (ELIMIT): keep what fits. */
	b.err = 0;
	s = mxspf_buf_steal(&b);
	mxspf_buf_free(&b);
	return s;
}

char *
recheck_quarantine_reason(const struct recheck *rc)
{
	struct mxspf_buf b;
	char ip[RC_ADDR_LEN];
	char *s;

	mxspf_buf_init(&b, TEXT_REPLY_MAX);
	if (rc->outcome == MXSPF_WALK_BORDER && rc->verdict != NULL) {
		addr_text(&rc->border_ip, ip, sizeof(ip));
		mxspf_buf_appendf(&b, "mxspf: SPF re-check %s for %s",
		    mxspf_result_name(rc->verdict->result), ip);
		if (rc->border_mx != NULL)
			mxspf_buf_appendf(&b, " behind %.100s", rc->border_mx);
		if (!rc->recorded.found)
			mxspf_buf_puts(&b, " (the border MX did not check "
			    "SPF)");
	} else {
		mxspf_buf_appendf(&b, "mxspf: SPF re-check %s",
		    recheck_outcome_name(rc->outcome));
	}
	b.err = b.err == MXSPF_ENOMEM ? b.err : 0;
	if (b.err != 0) {
		mxspf_buf_free(&b);
		return NULL;
	}
	s = mxspf_buf_steal(&b);
	mxspf_buf_free(&b);
	return s;
}
