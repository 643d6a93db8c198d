/* lib/inifile.h - one INI file read strictly through libinih (private).
 * Shared by the configuration loaders (lib/conf.c and mxspf-milter's):
 * the file is read into memory (bounded), handed to inih line by line
 * with the line number known to the handler, and a line inih would split
 * (too long) or mangle (a NUL byte) is an error, not a surprise.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_INIFILE_H
#define MXSPF_INIFILE_H

#include <stdarg.h>
#include <stddef.h>

#include <ini.h>

#define MXSPF_INI_MAX_FILE (1u << 20)	/* bytes of one file */
#define MXSPF_INI_MSG_MAX 512		/* one error message */

/* The state of one read.  lineno is the line being handled; the first
 * error is kept (err_line 0: none, or an error about the whole file). */
struct mxspf__ini {
	const char *path;
	char *text;		/* the file, len bytes, NUL added */
	size_t len, pos;
	size_t lineno;
	size_t err_line;
	int err;		/* 0, or the first error's MXSPF_E* code */
	char msg[MXSPF_INI_MSG_MAX];
};

/* mxspf__ini_vfail - record an error at the current line unless one is
 * recorded already */
void mxspf__ini_vfail(struct mxspf__ini *ini, int code, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* mxspf__ini_run - read path and run handler(user, section, name, value)
 * over it; errors (the file's, inih's, the handler's through
 * mxspf__ini_vfail) are recorded in ini.  @return ini->err */
int mxspf__ini_run(struct mxspf__ini *ini, const char *path,
    ini_handler handler, void *user);

/* mxspf__ini_end - write "PATH:LINE: message" (or "PATH: message") into
 * err and free the text.  @return ini->err */
int mxspf__ini_end(struct mxspf__ini *ini, char *err, size_t errlen);

#endif
