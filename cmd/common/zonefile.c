/* cmd/common/zonefile.c - the daemons' -Z zone, loaded at start-up and
 * again at each reload.
 * Owns: nothing beyond the call (the zone goes to the caller).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>

#include "mxspf/mxspf.h"
#include "daemon.h"

int
daemon_zone_load(const char *path, struct mxspf_zone **out, char *err,
    size_t errlen)
{
	struct mxspf_zone *z = NULL;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if ((rc = mxspf_zone_new(&z)) != 0 ||
	    (rc = mxspf_zone_load_file(z, path, 0, err, errlen)) != 0) {
		if (err[0] == '\0')
			(void)snprintf(err, errlen, "%s: %s", path,
			    mxspf_strerror(rc));
		mxspf_zone_free(z);
		return -1;
	}
	*out = z;
	return 0;
}
