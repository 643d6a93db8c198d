/* fuzz/fz_tmpfile.h - a temporary file for fuzz targets whose code under
 * test reads a path (the zone and configuration loaders), and the check
 * of the error messages those loaders give.
 * Owns: one file under $TMPDIR (else /tmp), made at initialisation and
 * removed at exit.  Must not: write anywhere else.  Header-only: each
 * target includes it once.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_FZ_TMPFILE_H
#define MXSPF_FZ_TMPFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static char fz_tmp_path[4096];	/* the temporary file */
static int fz_tmp_fd = -1;

/* fz_tmp_die - report a harness failure and abort */
static void
fz_tmp_die(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

/* fz_tmp_cleanup - remove the temporary file at exit */
static void
fz_tmp_cleanup(void)
{
	if (fz_tmp_fd != -1) {
		close(fz_tmp_fd);
		unlink(fz_tmp_path);
		fz_tmp_fd = -1;
	}
}

/* fz_tmp_init - create the file, named after the target */
static void
fz_tmp_init(const char *target)
{
	const char *dir = getenv("TMPDIR");
	int n;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	n = snprintf(fz_tmp_path, sizeof(fz_tmp_path), "%s/%s.XXXXXX", dir,
	    target);
	if (n < 0 || (size_t)n >= sizeof(fz_tmp_path))
		fz_tmp_die("TMPDIR too long");
	fz_tmp_fd = mkstemp(fz_tmp_path);
	if (fz_tmp_fd == -1) {
		perror(fz_tmp_path);
		fz_tmp_die("cannot create the temporary file");
	}
	atexit(fz_tmp_cleanup);
}

/* fz_tmp_write - make the temporary file hold exactly data */
static void
fz_tmp_write(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (ftruncate(fz_tmp_fd, 0) != 0)
		fz_tmp_die("ftruncate failed");
	while (off < size) {
		ssize_t n = pwrite(fz_tmp_fd, data + off, size - off,
		    (off_t)off);

		if (n <= 0)
			fz_tmp_die("pwrite failed");
		off += (size_t)n;
	}
}

/* fz_tmp_error_bad - what is wrong with the message a loader gave for
 * the temporary file (it must start with "PATH:" and be printable), or
 * NULL when nothing is (inline: not every target uses it) */
static inline const char *
fz_tmp_error_bad(const char *err)
{
	size_t i, plen = strlen(fz_tmp_path);

	if (strncmp(err, fz_tmp_path, plen) != 0 || err[plen] != ':')
		return "error message does not start with the path";
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20 ||
		    (unsigned char)err[i] > 0x7e)
			return "error message is not printable";
	return NULL;
}

#endif
