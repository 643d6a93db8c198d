/* cmd/mxspfd/listen.c - mxspfd's listeners: unix:/PATH, inet:HOST:PORT
 * and stdio.
 * Owns: struct listener: binding (before the privilege drop; a stale unix
 * socket is replaced, a live one is an error), accepting without blocking
 * (a burst at a time; EMFILE pauses the listener instead of spinning), the
 * max_connections limit, and unlinking unix sockets at exit.  Unix
 * sockets are made mode 0666 like Postfix's own private/ sockets: access
 * is controlled by the directory they are in.
 * Must not: block, or let a failed accept() stop the listener for good.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "internal.h"
#include "mxspfd.h"

/* A parsed LISTEN argument. */
struct lspec {
	enum { L_STDIO, L_UNIX, L_INET } kind;
	char host[256];		/* inet: "" for every address */
	char port[8];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int lspec_parse(const char *spec, struct lspec *ls, char *err,
    size_t errlen);
static int fd_setup(int fd);
static int bind_unix(struct listener *l, const struct lspec *ls, uid_t uid,
    gid_t gid, bool chown_sockets, char *err, size_t errlen);
static int bind_inet(struct listener *l, const struct lspec *ls, char *err,
    size_t errlen);
static int add_fd(struct listener *l, int fd);
static void peer_name(const struct sockaddr_storage *ss, socklen_t len,
    const struct listener *l, char *out, size_t outlen);
static void accept_cb(evutil_socket_t fd, short what, void *arg);
static void resume_cb(evutil_socket_t fd, short what, void *arg);
static void listener_pause(struct listener *l);

/* lspec_parse - split a LISTEN argument; 0 or -1 with a message */
static int
lspec_parse(const char *spec, struct lspec *ls, char *err, size_t errlen)
{
	const char *p, *colon;
	size_t hlen, plen;
	uint64_t port;

	memset(ls, 0, sizeof(*ls));
	if (strcmp(spec, "stdio") == 0) {
		ls->kind = L_STDIO;
		return 0;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		p = spec + 5;
		if (p[0] != '/' || strlen(p) >= sizeof(ls->path)) {
			(void)snprintf(err, errlen, "%s: want unix:/PATH (an "
			    "absolute path of at most %zu bytes)", spec,
			    sizeof(ls->path) - 1);
			return -1;
		}
		ls->kind = L_UNIX;
		memcpy(ls->path, p, strlen(p) + 1);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) != 0 ||
	    (colon = strrchr(spec + 5, ':')) == NULL) {
		(void)snprintf(err, errlen, "%.100s: want unix:/PATH, "
		    "inet:HOST:PORT or stdio", spec);
		return -1;
	}
	p = spec + 5;
	hlen = (size_t)(colon - p);
	plen = strlen(colon + 1);
	if (mxspf__parse_uint(colon + 1, plen, 65535, &port) != 0 ||
	    port == 0 || plen >= sizeof(ls->port)) {
		(void)snprintf(err, errlen, "%.100s: bad port", spec);
		return -1;
	}
	if (hlen >= 2 && p[0] == '[' && p[hlen - 1] == ']') {
		p++;
		hlen -= 2;
	}
	if (hlen >= sizeof(ls->host)) {
		(void)snprintf(err, errlen, "%.100s: host name too long", spec);
		return -1;
	}
	ls->kind = L_INET;
	if (!(hlen == 1 && p[0] == '*')) {
		memcpy(ls->host, p, hlen);
		ls->host[hlen] = '\0';
	}
	memcpy(ls->port, colon + 1, plen + 1);
	return 0;
}

int
listen_check(const char *spec, char *err, size_t errlen)
{
	struct lspec ls;

	return lspec_parse(spec, &ls, err, errlen);
}

/* fd_setup - non-blocking, close-on-exec; 0 or -1 */
static int
fd_setup(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	if ((fl = fcntl(fd, F_GETFD)) < 0 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0)
		return -1;
	return 0;
}

/* add_fd - remember a bound socket of l */
static int
add_fd(struct listener *l, int fd)
{
	int *nf = realloc(l->fds, (l->nfds + 1) * sizeof(*nf));

	if (nf == NULL)
		return -1;
	l->fds = nf;
	l->fds[l->nfds++] = fd;
	return 0;
}

/* bind_unix - bind a unix socket, replacing a stale one */
static int
bind_unix(struct listener *l, const struct lspec *ls, uid_t uid, gid_t gid,
    bool chown_sockets, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, ls->path, strlen(ls->path) + 1);
	if (lstat(ls->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)snprintf(err, errlen, "%s exists and is not a "
			    "socket", ls->path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			(void)close(probe);
			(void)snprintf(err, errlen, "%s: another server is "
			    "listening there", ls->path);
			return -1;
		}
		if (probe >= 0)
			(void)close(probe);
		(void)unlink(ls->path);	/* stale */
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		(void)snprintf(err, errlen, "%s: %s", ls->path,
		    strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	if ((l->unix_path = strdup(ls->path)) == NULL ||
	    chmod(ls->path, 0666) != 0 ||
	    (chown_sockets && chown(ls->path, uid, gid) != 0) ||
	    listen(fd, MXSPFD_BACKLOG) != 0 || fd_setup(fd) != 0 ||
	    add_fd(l, fd) != 0) {
		(void)snprintf(err, errlen, "%s: %s", ls->path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	return 0;
}

/* bind_inet - bind every address HOST resolves to */
static int
bind_inet(struct listener *l, const struct lspec *ls, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd, on = 1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(ls->host[0] != '\0' ? ls->host : NULL, ls->port,
	    &hints, &res);
	if (rc != 0) {
		(void)snprintf(err, errlen, "%s: %s", l->spec,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    listen(fd, MXSPFD_BACKLOG) != 0 || fd_setup(fd) != 0 ||
		    add_fd(l, fd) != 0) {
			saved = errno;
			(void)close(fd);
			continue;
		}
	}
	freeaddrinfo(res);
	if (l->nfds == 0) {
		(void)snprintf(err, errlen, "%s: %s", l->spec,
		    strerror(saved != 0 ? saved : EADDRNOTAVAIL));
		return -1;
	}
	return 0;
}

int
listen_open(struct daemon *d, char *const *specs, size_t n, uid_t uid,
    gid_t gid, bool chown_sockets, char *err, size_t errlen)
{
	struct lspec ls;
	size_t i;

	if ((d->listeners = calloc(n, sizeof(*d->listeners))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct listener *l = &d->listeners[i];

		if (lspec_parse(specs[i], &ls, err, errlen) != 0)
			return -1;
		if (ls.kind == L_STDIO && n > 1) {
			(void)snprintf(err, errlen, "stdio cannot be combined "
			    "with other listeners");
			return -1;
		}
		l->d = d;
		if ((l->spec = strdup(specs[i])) == NULL) {
			(void)snprintf(err, errlen, "out of memory");
			return -1;
		}
		d->nlisteners = i + 1;
		if (ls.kind == L_STDIO) {
			l->stdio = true;
			d->stdio = true;
		} else if (ls.kind == L_UNIX) {
			if (bind_unix(l, &ls, uid, gid, chown_sockets, err,
			    errlen) != 0)
				return -1;
		} else if (bind_inet(l, &ls, err, errlen) != 0) {
			return -1;
		}
	}
	return 0;
}

/* resume_cb - take a paused listener up again */
static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	size_t i;

	(void)fd;
	(void)what;
	l->paused = false;
	if (l->d->stopping)
		return;
	for (i = 0; i < l->nfds; i++)
		(void)event_add(l->evs[i], NULL);
}

/* listener_pause - stop accepting for a moment (out of descriptors) */
static void
listener_pause(struct listener *l)
{
	struct timeval tv = { 0, MXSPFD_ACCEPT_PAUSE_MS * 1000 };
	size_t i;

	if (l->paused)
		return;
	for (i = 0; i < l->nfds; i++)
		(void)event_del(l->evs[i]);
	l->paused = true;
	(void)event_add(l->resume, &tv);
}

/* peer_name - "ADDR:PORT" or "unix" plus the listener, for logs */
static void
peer_name(const struct sockaddr_storage *ss, socklen_t len,
    const struct listener *l, char *out, size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (ss->ss_family == AF_UNIX || len == 0 ||
	    getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		(void)snprintf(out, outlen, "%.60s", l->spec);
		return;
	}
	(void)snprintf(out, outlen, "%s%.46s%s:%.6s",
	    ss->ss_family == AF_INET6 ?
	    "[" : "", host, ss->ss_family == AF_INET6 ? "]" : "", serv);
}

/* accept_cb - accept what is waiting on a listening socket */
static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct listener *l = arg;
	struct daemon *d = l->d;
	struct sockaddr_storage ss;
	socklen_t len;
	char peer[80];
	int i, fd;

	(void)what;
	for (i = 0; i < MXSPFD_ACCEPT_BURST && !d->stopping; i++) {
		len = sizeof(ss);
		fd = accept(lfd, (struct sockaddr *)&ss, &len);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_msg(LOG_WARNING, "%s: accept: %s; pausing",
				    l->spec, strerror(errno));
				listener_pause(l);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_msg(LOG_WARNING, "%s: accept: %s", l->spec,
				    strerror(errno));
			}
			return;
		}
		peer_name(&ss, len, l, peer, sizeof(peer));
		if (d->nconns >= d->conf->max_connections) {
			log_msg(LOG_WARNING, "%s: too many connections (%u); "
			    "closing the new one from %s", l->spec,
			    d->conf->max_connections, peer);
			(void)close(fd);
			continue;
		}
		if (fd_setup(fd) != 0 ||
		    conn_new(d, fd, fd, false, peer) == NULL) {
			log_msg(LOG_WARNING, "%s: cannot set up the connection "
			    "from %s", l->spec, peer);
			(void)close(fd);
		}
	}
}

int
listen_start(struct daemon *d)
{
	size_t i, j;

	for (i = 0; i < d->nlisteners; i++) {
		struct listener *l = &d->listeners[i];

		if (l->stdio) {
			if (conn_new(d, STDIN_FILENO, STDOUT_FILENO, true,
			    "stdio") == NULL)
				return -1;
			continue;
		}
		l->evs = calloc(l->nfds, sizeof(*l->evs));
		l->resume = evtimer_new(d->base, resume_cb, l);
		if (l->evs == NULL || l->resume == NULL)
			return -1;
		for (j = 0; j < l->nfds; j++) {
			l->evs[j] = event_new(d->base, l->fds[j],
			    EV_READ | EV_PERSIST, accept_cb, l);
			if (l->evs[j] == NULL ||
			    event_add(l->evs[j], NULL) != 0)
				return -1;
		}
	}
	return 0;
}

void
listen_close(struct daemon *d)
{
	size_t i, j;

	for (i = 0; i < d->nlisteners; i++) {
		struct listener *l = &d->listeners[i];

		for (j = 0; j < l->nfds; j++) {
			if (l->evs != NULL && l->evs[j] != NULL)
				event_free(l->evs[j]);
			(void)close(l->fds[j]);
		}
		if (l->resume != NULL)
			event_free(l->resume);
		if (l->unix_path != NULL)
			(void)unlink(l->unix_path);
		free(l->evs);
		free(l->fds);
		free(l->unix_path);
		free(l->spec);
	}
	free(d->listeners);
	d->listeners = NULL;
	d->nlisteners = 0;
}
