/* fuzz/fuzz_migrate.c - libFuzzer target for "mxspf migrate-config": the
 * policyd-spf configuration reader and its mapping to mxspfd.conf
 * (cmd/mxspf/migrate.c, compiled into this target).
 *
 * Input: the bytes of a policyd-spf.conf.
 * Owns: the checks.  migrate_convert() returns 0 or MXSPF_ESYNTAX (never
 * MXSPF_ELIMIT: the output is bounded by the input's limits); an error
 * has a one-line printable message that starts with the input's name; a
 * success gives the same output and warnings when run again, printable
 * ASCII lines of at most 197 bytes (mxspfd.conf(5)), and warnings that
 * are printable lines starting with the name; and the output loads with
 * mxspf_conf_load(), the loader of mxspfd.  Any violation aborts.
 * Must not: write anywhere but its temporary file.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_tmpfile.h"
#include "migrate.h"
#include "mxspf/policy.h"

#define FZ_NAME "fuzz.conf"
#define FZ_MAX_CONF_LINE 197	/* mxspfd.conf(5) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fz_fail - a broken invariant: print what shows it, then abort */
static void
fz_fail(const char *what, const char *detail)
{
	if (detail != NULL)
		fprintf(stderr, "fuzz_migrate: %s\n", detail);
	fz_tmp_die(what);
}

/* fz_check_lines - text is printable ASCII lines, each ended by a
 * newline, of at most max bytes, each starting with prefix when given */
static void
fz_check_lines(const struct mxspf_buf *b, size_t max, const char *prefix,
    const char *what)
{
	const char *p = mxspf_buf_cstr(b);
	size_t i, start = 0;

	if (strlen(p) != b->len)
		fz_fail(what, "NUL byte");
	for (i = 0; i < b->len; i++) {
		if (p[i] == '\n') {
			if (i - start > max)
				fz_fail(what, "line too long");
			if (prefix != NULL &&
			    strncmp(p + start, prefix, strlen(prefix)) != 0)
				fz_fail(what, "line without the name");
			start = i + 1;
		} else if ((unsigned char)p[i] < 0x20 ||
		    (unsigned char)p[i] > 0x7e) {
			fz_fail(what, "byte outside printable ASCII");
		}
	}
	if (start != b->len)
		fz_fail(what, "last line without a newline");
}

/* fz_check_load - mxspfd's loader accepts the output */
static void
fz_check_load(const struct mxspf_buf *out)
{
	struct mxspf_conf *c;
	char err[1024];

	if (fz_tmp_fd == -1)
		fz_tmp_init("fuzz_migrate");	/* the first time only */
	fz_tmp_write((const uint8_t *)mxspf_buf_cstr(out), out->len);
	if (mxspf_conf_new(&c) != 0)
		fz_fail("mxspf_conf_new failed", NULL);
	err[0] = '\0';
	if (mxspf_conf_load(c, fz_tmp_path, err, sizeof(err)) != 0) {
		fputs(mxspf_buf_cstr(out), stderr);
		fz_fail("mxspfd's loader refuses the output", err);
	}
	mxspf_conf_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxspf_buf out, warn, out2, warn2;
	char err[1024];
	size_t i;
	int rc;

	if (size > 64 * 1024)
		return 0;
	mxspf_buf_init(&out, MIGRATE_MAX_OUTPUT);
	mxspf_buf_init(&warn, MIGRATE_MAX_OUTPUT);
	rc = migrate_convert((const char *)data, size, FZ_NAME, &out, &warn,
	    err, sizeof(err));
	if (rc == MXSPF_ESYNTAX) {
		if (strncmp(err, FZ_NAME ":", sizeof(FZ_NAME)) != 0)
			fz_fail("error message without the name", err);
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] > 0x7e)
				fz_fail("error message not printable", err);
	} else if (rc == 0) {
		fz_check_lines(&out, FZ_MAX_CONF_LINE, NULL, "output");
		fz_check_lines(&warn, (size_t)-1, FZ_NAME ":", "warnings");
		mxspf_buf_init(&out2, MIGRATE_MAX_OUTPUT);
		mxspf_buf_init(&warn2, MIGRATE_MAX_OUTPUT);
		if (migrate_convert((const char *)data, size, FZ_NAME, &out2,
		    &warn2, err, sizeof(err)) != 0 || out2.len != out.len ||
		    warn2.len != warn.len ||
		    memcmp(mxspf_buf_cstr(&out), mxspf_buf_cstr(&out2),
		    out.len) != 0 ||
		    memcmp(mxspf_buf_cstr(&warn), mxspf_buf_cstr(&warn2),
		    warn.len) != 0)
			fz_fail("a second conversion differs", NULL);
		mxspf_buf_free(&out2);
		mxspf_buf_free(&warn2);
		fz_check_load(&out);
	} else if (rc != MXSPF_ENOMEM) {
		fz_fail("undocumented return code", err);
	}
	mxspf_buf_free(&out);
	mxspf_buf_free(&warn);
	return 0;
}
