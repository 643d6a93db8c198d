/* lib/mxspf_limits.h - every limit of the library, named.
 * Owns: the constants; RFC 7208 s4.6.4 values are defaults that a context
 * may override.  SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_MXSPF_LIMITS_H
#define MXSPF_MXSPF_LIMITS_H

#define MXSPF_MAX_DNS_TERMS 10		/* RFC 7208 s4.6.4 */
#define MXSPF_MAX_VOID_LOOKUPS 2	/* RFC 7208 s4.6.4 */
#define MXSPF_MAX_MX_NAMES 10		/* RFC 7208 s4.6.4 */
#define MXSPF_MAX_PTR_NAMES 10		/* RFC 7208 s4.6.4 */
#define MXSPF_MAX_DEPTH 12		/* include/redirect stack; the DNS-term
					 * limit stops any chain before it */
#define MXSPF_MAX_NAME 253		/* domain name, presentation, no dot */
#define MXSPF_MAX_LABEL 63
#define MXSPF_MAX_RECORD 8192		/* joined TXT rdata we accept */
#define MXSPF_MAX_TERMS 512		/* terms in one record */
#define MXSPF_MAX_MACRO_OUT 8192	/* expanded macro string */
#define MXSPF_MAX_EXPLANATION 1024	/* expanded exp= text */
#define MXSPF_MAX_RRS 256		/* records kept from one answer */
#define MXSPF_MAX_QUERIES 1024		/* queries in one evaluation */
#define MXSPF_MAX_TRACE 65536		/* trace text */
#define MXSPF_MAX_IDENTITY 1024		/* sender / helo strings */
#define MXSPF_DEFAULT_CACHE 4096	/* parsed records kept */

#endif
