/* cmd/mxspf-milter/text.h - small text helpers of the milter, pure (no
 * libmilter, no I/O), so tests/milter links them alone.
 * Owns: reading an authserv-id (RFC 8601 s2.2), envelope addresses as
 * libmilter hands them, SMTP reply text that smfi_setreply() accepts,
 * splitting the library's "Name: value" headers, and appending items to
 * a folded header.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MILTER_TEXT_H
#define MILTER_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define TEXT_FOLD_COL 78	/* RFC 5322 s2.1.1: SHOULD not exceed */
#define TEXT_VALUE_MAX 200	/* bytes kept of one untrusted value */
#define TEXT_REPLY_MAX 400	/* bytes of SMTP reply text */

/**
 * Whether an Authentication-Results value names authserv_id as its
 * authserv-id (case-insensitive), as mxspf_auth_results_authserv_id()
 * reads it.  Input is untrusted: len bytes, never read past.
 */
bool text_ar_is_ours(const char *value, size_t len, const char *authserv_id);

/**
 * The address of an envelope argument as libmilter gives it
 * ("<a@b>", "a@b", "<>"): a malloc'd copy without the brackets ("" for
 * the null reverse-path), or NULL (no memory, or over 1024 bytes).
 */
char *text_envelope_addr(const char *arg);

/**
 * SMTP reply text for smfi_setreply(): printable ASCII only (anything
 * else becomes '?'), '%' doubled (libmilter reads it as a format), cut at
 * TEXT_REPLY_MAX bytes.  @return malloc'd text or NULL.
 */
char *text_reply(const char *text);

/**
 * Whether two header values are the same text once folded or not: runs
 * of blanks, line breaks and other control bytes count as one space, and
 * leading and trailing ones are ignored (mxspfd unfolds what it
 * prepends; MTAs may keep or drop the space after the colon).
 */
bool text_same_unfolded(const char *a, const char *b);

/**
 * Split a header written by the library ("Name: value") into a malloc'd
 * name and a pointer to the value inside h.  @return 0 or -1.
 */
int text_header_split(const char *h, char **name, const char **value);

/**
 * Append one item to a folded header in b: a separator (";" for
 * Received-SPF pairs, "" for Authentication-Results properties), then
 * the item's words (split at spaces outside quoted-strings), each after a
 * space, or after a fold ("\n\t") when it would pass TEXT_FOLD_COL on the
 * current line.
 */
void text_fold_item(struct mxspf_buf *b, const char *sep, const char *item);

/**
 * Append value v to b for a header: bytes outside printable ASCII become
 * '?', the value is cut at TEXT_VALUE_MAX bytes ("..." added); written as
 * is when every byte is allowed (dot-atom text for Received-SPF when
 * token is false, an RFC 2045 token for Authentication-Results when
 * token is true), else as a quoted-string.
 */
void text_put_value(struct mxspf_buf *b, const char *v, bool token);

/**
 * Append a comment "(text)" to b: cleaned as text_put_value() does, with
 * '(' ')' and '\' as quoted-pairs.
 */
void text_put_comment(struct mxspf_buf *b, const char *text);

#endif
