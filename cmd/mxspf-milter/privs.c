/* cmd/mxspf-milter/privs.c - running in the background, as an
 * unprivileged user, with a socket the MTA can reach.
 * Owns: the user/group lookup, the irreversible switch (setgroups,
 * setgid, setuid, then a check that root cannot be regained), the fork
 * into the background (before any thread exists), and the ownership and
 * mode of a unix socket libmilter created (mode 0666: who may connect is
 * decided by the directory it is in, as for mxspfd).
 * Must not: return success from privs_drop() while the process could
 * still become root again; unlink a path that is not a socket.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter.h"

#define SOCKET_MODE 0666	/* access is the directory's business, as
				 * for mxspfd and Postfix's private/ */

static const char *unix_path(const char *spec);

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
		_exit(MILTER_EXIT_OK);
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
