/* cmd/mxspf-milter/socket.c - the milter's unix socket: owned by the
 * unprivileged user, with a mode the MTA can reach.
 * Owns: the ownership and mode of a unix socket libmilter created (mode
 * 0666: who may connect is decided by the directory it is in, as for
 * mxspfd and Postfix's own private/ sockets), and the removal of a stale
 * one.  Must not: unlink a path that is not a socket.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter.h"

#define SOCKET_MODE 0666	/* access is the directory's business */

static const char *unix_path(const char *spec);

/* unix_path - the path of a unix:/local: spec, or NULL */
static const char *
unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

int
privs_socket(const char *spec, uid_t uid, gid_t gid, bool chown_it,
    char *err, size_t errlen)
{
	const char *path = unix_path(spec);

	if (path == NULL)
		return 0;
	if (chown_it && chown(path, uid, gid) != 0) {
		(void)snprintf(err, errlen, "chown %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (chmod(path, SOCKET_MODE) != 0) {
		(void)snprintf(err, errlen, "chmod %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
privs_unlink_socket(const char *spec)
{
	const char *path = unix_path(spec);
	struct stat st;

	if (path != NULL && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
}
