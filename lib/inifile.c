/* lib/inifile.c - one INI file read strictly through libinih.
 * Owns: the in-memory copy of the file, the line counter and the first
 * error of a read (struct mxspf__ini).  Must not: hand inih a line it
 * would split or cut at a NUL byte.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxspf/mxspf.h"
#include "inifile.h"
#include "internal.h"

static int ini_read_file(const char *, char **, size_t *, char *, size_t);

void
mxspf__ini_vfail(struct mxspf__ini *ini, int code, const char *fmt,
    va_list ap)
{
	if (ini->err != 0)
		return;
	ini->err_line = ini->lineno > 0 ? ini->lineno : 1;
	ini->err = code;
	(void)vsnprintf(ini->msg, sizeof(ini->msg), fmt, ap);
}

/* ini_fail - mxspf__ini_vfail with arguments */
static void __attribute__((format(printf, 3, 4)))
ini_fail(struct mxspf__ini *ini, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mxspf__ini_vfail(ini, code, fmt, ap);
	va_end(ap);
}

/* ini_next_line - inih's fgets: the next line of the file, counted; a line
 * that does not fit or holds a NUL is an error (inih would split it) */
static char *
ini_next_line(char *str, int num, void *stream)
{
	struct mxspf__ini *ini = stream;
	const char *p, *nl;
	size_t n, avail, take, content;

	if (ini->pos >= ini->len || num < 3)
		return NULL;
	p = ini->text + ini->pos;
	avail = ini->len - ini->pos;
	nl = memchr(p, '\n', avail);
	n = nl != NULL ? (size_t)(nl - p) + 1 : avail;
	ini->pos += n;
	ini->lineno++;
	if (memchr(p, '\0', n) != NULL)
		ini_fail(ini, MXSPF_ESYNTAX, "NUL byte in the line");
	content = n;
	if (content > 0 && p[content - 1] == '\n')
		content--;
	if (content > 0 && p[content - 1] == '\r')
		content--;
	take = n;
	/* inih's buffer holds the text, "\r\n" and a NUL. */
	if (content > (size_t)num - 3) {
		ini_fail(ini, MXSPF_ESYNTAX, "line longer than %d bytes "
		    "(continue a list on indented lines)", num - 3);
		take = 0;	/* hand inih an empty line */
	}
	memcpy(str, p, take);
	str[take] = '\0';
	return str;
}

int
mxspf__ini_run(struct mxspf__ini *ini, const char *path, ini_handler handler,
    void *user)
{
	int rc, line;

	memset(ini, 0, sizeof(*ini));
	ini->path = path;
	rc = ini_read_file(path, &ini->text, &ini->len, ini->msg,
	    sizeof(ini->msg));
	if (rc != 0) {
		ini->err = rc;	/* about the whole file: no line */
		return rc;
	}
	line = ini_parse_stream(ini_next_line, ini, handler, user);
	if (line == -2 && ini->err == 0)
		ini_fail(ini, MXSPF_ENOMEM, "out of memory");
	else if (line > 0 && (ini->err == 0 ||
	    (size_t)line < ini->err_line)) {
		/* inih's own syntax error came first. */
		ini->err = 0;
		ini->lineno = (size_t)line;
		ini_fail(ini, MXSPF_ESYNTAX, "not 'name = value', "
		    "'[section]' or a comment");
	}
	return ini->err;
}

int
mxspf__ini_end(struct mxspf__ini *ini, char *err, size_t errlen)
{
	free(ini->text);
	ini->text = NULL;
	if (ini->err != 0 && err != NULL && errlen > 0) {
		if (ini->err_line != 0)
			(void)snprintf(err, errlen, "%s:%zu: %s", ini->path,
			    ini->err_line, ini->msg);
		else
			(void)snprintf(err, errlen, "%s", ini->msg);
	}
	return ini->err;
}

/* ini_read_file - the whole file, NUL-terminated, at most
 * MXSPF_INI_MAX_FILE bytes */
static int
ini_read_file(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, rc = 0;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		(void)snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return MXSPF_ENOENT;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		(void)close(fd);
		return MXSPF_ENOENT;
	}
	if ((buf = mxspf__alloc(MXSPF_INI_MAX_FILE + 1)) == NULL) {
		(void)close(fd);
		(void)snprintf(err, errlen, "%s: out of memory", path);
		return MXSPF_ENOMEM;
	}
	for (;;) {
		r = read(fd, buf + n, MXSPF_INI_MAX_FILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			(void)snprintf(err, errlen, "%s: cannot read: %s",
			    path, strerror(errno));
			rc = MXSPF_ENOENT;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > MXSPF_INI_MAX_FILE) {
			(void)snprintf(err, errlen, "%s: larger than %u bytes",
			    path, MXSPF_INI_MAX_FILE);
			rc = MXSPF_ESYNTAX;
			break;
		}
	}
	(void)close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}
