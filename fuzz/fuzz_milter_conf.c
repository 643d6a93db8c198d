/* fuzz/fuzz_milter_conf.c - libFuzzer target for mxspf-milter's [milter]
 * section reader (cmd/mxspf-milter/config.c, compiled into this target,
 * over lib/inifile.c and libinih).
 *
 * Input: the file's bytes, written to a temporary file and loaded with
 * milter_conf_load() over the defaults.
 * Owns: the checks.  The code is 0, MXSPF_ESYNTAX or MXSPF_ENOMEM; a
 * failure has a one-line printable message that starts with the path; a
 * success leaves every value inside the bounds config.h gives it (a
 * socket spec that milter_socket_check() accepts, limits in range, known
 * actions).  Any violation aborts.
 * Must not: write anywhere but its temporary file.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fz_tmpfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fz_fail - report a broken invariant and abort */
static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_milter_conf: %s\n", what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_tmp_init("fuzz_milter_conf");
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

/* fz_check_conf - a loaded [milter] section */
static void
fz_check_conf(const struct milter_conf *mc)
{
	char err[256];
	size_t i;

	if (mc->socket == NULL ||
	    milter_socket_check(mc->socket, err, sizeof(err)) != 0)
		fz_fail("loaded a socket that milter_socket_check refuses");
	if (mc->max_headers < 1 || mc->max_headers > MILTER_MAX_MAX_HEADERS ||
	    mc->max_header_bytes < 1024 ||
	    mc->max_header_bytes > MILTER_MAX_MAX_HEADER_BYTES ||
	    mc->max_hops < 1 || mc->max_hops > MILTER_MAX_MAX_HOPS ||
	    mc->stats_interval > MILTER_MAX_STATS_INTERVAL)
		fz_fail("a limit out of its range");
	for (i = 0; i < MILTER_NRESULTS; i++)
		if (mc->recheck[i] > MILTER_ACT_REJECT)
			fz_fail("an unknown re-check action");
	if (mc->syslog_facility == NULL)
		fz_fail("no syslog facility");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct milter_conf mc;
	char err[1024];
	int rc;

	if (size > 64 * 1024)
		return 0;
	fz_tmp_write(data, size);
	if (milter_conf_init(&mc) != 0)
		fz_fail("milter_conf_init failed");
	err[0] = '\0';
	rc = milter_conf_load(&mc, fz_tmp_path, err, sizeof(err));
	if (rc == 0)
		fz_check_conf(&mc);
	else if (rc == MXSPF_ESYNTAX || rc == MXSPF_ENOMEM)
		fz_check_error(err);
	else
		fz_fail("undocumented return code");
	milter_conf_free(&mc);
	return 0;
}
