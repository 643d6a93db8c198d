/* fuzz/fuzz_conf.c - libFuzzer target for the configuration loader
 * (lib/conf.c over lib/inifile.c and libinih): the INI file mxspfd and
 * mxspf-milter read.
 *
 * Input: the file's bytes, written to a temporary file and loaded with
 * mxspf_conf_load() over the defaults.
 * Owns: the checks.  The code is 0, MXSPF_ESYNTAX or MXSPF_ENOMEM (the
 * file exists and is small enough, so never MXSPF_ENOENT); a failure has a
 * one-line printable message that starts with the path and names a line;
 * a success leaves a configuration whose every per-domain entry has a
 * lower-case domain, and mxspf_conf_domain() finds each of them.  Any
 * violation aborts.  Must not: write anywhere but its temporary file.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_tmpfile.h"
#include "mxspf/policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_conf: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_tmp_init("fuzz_conf");
	return 0;
}

/* fz_check_error - the message of a failed load */
static void
fz_check_error(const char *err)
{
	const char *bad = fz_tmp_error_bad(err);

	if (bad != NULL)
		fz_fail(bad);
}

/* fz_check_conf - a loaded configuration */
static void
fz_check_conf(const struct mxspf_conf *c)
{
	size_t i, j;

	for (i = 0; i < c->ndomains; i++) {
		const char *d = c->domains[i].domain;

		if (d == NULL || *d == '\0')
			fz_fail("empty per-domain entry");
		for (j = 0; d[j] != '\0'; j++)
			if (d[j] >= 'A' && d[j] <= 'Z')
				fz_fail("per-domain entry not lower case");
		if (mxspf_conf_domain(c, d) != &c->domains[i])
			fz_fail("mxspf_conf_domain misses an entry");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxspf_conf *c;
	char err[1024];
	int rc;

	if (size > 64 * 1024)
		return 0;
	fz_tmp_write(data, size);
	if (mxspf_conf_new(&c) != 0)
		fz_fail("mxspf_conf_new failed");
	err[0] = '\0';
	rc = mxspf_conf_load(c, fz_tmp_path, err, sizeof(err));
	if (rc == 0)
		fz_check_conf(c);
	else if (rc == MXSPF_ESYNTAX || rc == MXSPF_ENOMEM)
		fz_check_error(err);
	else
		fz_fail("undocumented return code");
	mxspf_conf_free(c);
	return 0;
}
