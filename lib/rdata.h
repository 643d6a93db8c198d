/* lib/rdata.h - bounds-checked parsers of wire-format RDATA (private).
 * Every function reads only p[0..len) and fails with -1 on short or
 * malformed data; the answer is then treated as a DNS failure.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_RDATA_H
#define MXSPF_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxspf/mxspf.h"
#include "buf.h"

/* mxspf__rdata_txt - join a TXT RDATA's character-strings into out */
int mxspf__rdata_txt(const uint8_t *p, size_t len, struct mxspf_buf *out);

/* mxspf__rdata_name - read the uncompressed wire name at p[*off..len) into
 * out as presentation text without the final dot ("" for the root);
 * advances *off.  Compression pointers are rejected. */
int mxspf__rdata_name(const uint8_t *p, size_t len, size_t *off,
    struct mxspf_buf *out);

/* mxspf__rdata_mx - preference and exchange of an MX RDATA */
int mxspf__rdata_mx(const uint8_t *p, size_t len, uint16_t *pref,
    struct mxspf_buf *out);

/* mxspf__rdata_ptr - the name of a PTR RDATA (exactly one name) */
int mxspf__rdata_ptr(const uint8_t *p, size_t len, struct mxspf_buf *out);

/* mxspf__rdata_addr - an A (type 1, 4 bytes) or AAAA (28, 16 bytes) */
int mxspf__rdata_addr(const uint8_t *p, size_t len, uint16_t type,
    struct mxspf_addr *out);



/* mxspf__rdata_txt_len - validate a TXT RDATA and give the length of its
 * joined strings */
int mxspf__rdata_txt_len(const uint8_t *p, size_t len, size_t *total);

/* mxspf__rdata_txt_copy - join the strings of a TXT RDATA into dst, which
 * holds cap bytes (NUL included); validates again.  @return 0, 1 when the
 * text was cut to fit, -1 for malformed RDATA */
int mxspf__rdata_txt_copy(const uint8_t *p, size_t len, char *dst,
    size_t cap);

/* mxspf__rdata_txt_equal - true when the strings of a TXT RDATA, joined,
 * are exactly text[0..tlen); malformed RDATA is never equal */
bool mxspf__rdata_txt_equal(const uint8_t *p, size_t len, const char *text,
    size_t tlen);

/* mxspf__rdata_name_into - mxspf__rdata_name() into dst (cap bytes, NUL
 * added); a name's text is never longer than its wire form */
int mxspf__rdata_name_into(const uint8_t *p, size_t len, size_t *off,
    char *dst, size_t cap);
#endif
