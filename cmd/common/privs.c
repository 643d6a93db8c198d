/* cmd/common/privs.c - running in the background and as an unprivileged
 * user (mxspfd and mxspf-milter).
 * Owns: the user/group lookup, the irreversible switch (setgroups, setgid,
 * setuid, then a check that root cannot be regained), and the fork into
 * the background.  Must not: return success from privs_drop() while the
 * process could still become root again.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

int
privs_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		(void)snprintf(err, errlen, "user '%s': %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			(void)snprintf(err, errlen, "group '%s': %s", group,
			    errno != 0 ? strerror(errno) : "no such group");
			return -1;
		}
		*gid = gr->gr_gid;
	}
	if (*uid == 0) {
		(void)snprintf(err, errlen, "user '%s' is root", user);
		return -1;
	}
	return 0;
}

int
privs_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (setgroups(1, &gid) != 0) {
		(void)snprintf(err, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setgid(gid) != 0) {
		(void)snprintf(err, errlen, "setgid(%ld): %s", (long)gid,
		    strerror(errno));
		return -1;
	}
	if (setuid(uid) != 0) {
		(void)snprintf(err, errlen, "setuid(%ld): %s", (long)uid,
		    strerror(errno));
		return -1;
	}
	/* Paranoia: the switch must not be undoable. */
	if (setuid(0) == 0 || geteuid() != uid || getegid() != gid) {
		(void)snprintf(err, errlen, "could not drop privileges for "
		    "good");
		return -1;
	}
	return 0;
}

int
privs_daemonize(char *err, size_t errlen)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0) {
		(void)snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0) {
		(void)snprintf(err, errlen, "setsid: %s", strerror(errno));
		return -1;
	}
	if (chdir("/") != 0) {
		(void)snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	if ((fd = open("/dev/null", O_RDWR)) < 0) {
		(void)snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		(void)close(fd);
	return 0;
}
