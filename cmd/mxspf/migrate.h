/* cmd/mxspf/migrate.h - "mxspf migrate-config": a policyd-spf
 * configuration turned into an mxspfd.conf(5) (private to the CLI and to
 * fuzz/fuzz_migrate.c, which compiles cmd/mxspf/migrate.c itself).
 * Owns: the limits of the reader.  Must not: be included by lib/.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_MIGRATE_H
#define MXSPF_MIGRATE_H

#include <stddef.h>

#include "buf.h"

#define MIGRATE_DEFAULT_PATH \
	"/etc/postfix-policyd-spf-python/policyd-spf.conf"
#define MIGRATE_MAX_INPUT (1u << 20)	/* bytes of the input file */
#define MIGRATE_MAX_LINE 4096		/* bytes of one line, line end
					 * excluded */
#define MIGRATE_MAX_OUTPUT (1u << 20)	/* bytes written; mxspfd reads at
					 * most this much */
#define MIGRATE_MAX_NOTES 100		/* notes (and warnings) about
					 * ignored or repeated lines */

/* migrate_convert - convert the policyd-spf configuration text[0..len)
 * (any bytes; name is what messages call it) into an mxspfd.conf(5)
 * appended to out, and append one "NAME:LINE: text\n" line to warn for
 * each line the admin should look at (unknown keys, lines policyd-spf
 * ignores, settings that turned test_mode on).
 * @return 0; MXSPF_ESYNTAX when policyd-spf would not read the file (a
 * line longer than MIGRATE_MAX_LINE, bytes that are not UTF-8 text, an
 * integer key that does not convert, an empty dataset key), with a
 * one-line printable message "NAME:LINE: ..." in err; MXSPF_ENOMEM or
 * MXSPF_ELIMIT (out grew past MIGRATE_MAX_OUTPUT), with a message.  On
 * an error out may hold a partial text: do not print it.  No I/O. */
int migrate_convert(const char *text, size_t len, const char *name,
    struct mxspf_buf *out, struct mxspf_buf *warn, char *err,
    size_t errlen);

/* migrate_command - the migrate-config command: read path ("-": the
 * standard input; at most MIGRATE_MAX_INPUT bytes), print the mxspfd.conf
 * on the standard output and the warnings, prefixed "mxspf: warning: ",
 * on the standard error.  @return the exit status: 0, 1 (the file cannot
 * be read or converted: a message on the standard error and nothing on
 * the standard output), 70 (out of memory) or 74 (stdout failed) */
int migrate_command(const char *path);

#endif
