/* tests/proto/pclient.c - the test client of the mxspfd protocol tests.
 *
 *   pclient talk [-n CONNS] [-t SECONDS] [-w] [-d MS] ADDR FILE
 *	Open CONNS connections (default 1) to ADDR (unix:/PATH or
 *	inet:HOST:PORT) at once, send FILE on each (with -d, one request at
 *	a time, MS milliseconds apart), and read until every request of FILE
 *	(each ends with an empty line) has its reply, or with -w until the
 *	server closes.  Prints the bytes received on the first connection,
 *	then "[eof]" when the server closed it, "[open]" when it was still
 *	open; with CONNS > 1 also "[CONNS connections: identical]" or exits
 *	1 when they differ.  Exits 2 on a timeout (default 30 s) or error.
 *   pclient spawn FILE COMMAND [ARG...]
 *	Run COMMAND as Postfix spawn(8) does: its standard input, output and
 *	error are one end of a socket pair.  Send FILE, shut the socket down
 *	for writing, print every byte received until the command closes it,
 *	then "[exit N]".
 *   pclient blackhole
 *	Bind UDP and TCP on 127.0.0.1 at one free port, print it, and
 *	swallow every query without answering (a DNS server that never
 *	replies), for at most 300 s.
 *
 * Owns: nothing shared; a test tool.  Must not: block on one connection
 * while others wait (everything goes through one poll()).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define PC_MAX_CONNS 4096
#define PC_MAX_INPUT (1 << 20)
#define PC_MAX_OUTPUT (1 << 20)
#define PC_BLACKHOLE_S 300

/* One connection of talk. */
struct pconn {
	int fd;
	size_t sent;		/* bytes of the input sent */
	size_t limit;		/* bytes that may be sent now (-d) */
	char *out;		/* bytes received */
	size_t outlen;
	size_t replies;
	bool eof;
};

/* The state of talk. */
struct talk {
	const char *addr;
	size_t nconns;
	int timeout;		/* seconds */
	bool wait_eof;
	long long delay_ms;	/* -d; -1: send everything at once */
	long long next_send;
	char *in;
	size_t inlen, want;
	struct pconn *pc;
	struct pollfd *pfd;
};

static int dial(const char *addr);
static char *read_file(const char *path, size_t *len);
static size_t count_requests(const char *p, size_t len);
static size_t next_request_end(const char *p, size_t len, size_t from);
static long long now_ms(void);
static int talk_parse(struct talk *tk, int argc, char **argv);
static int talk_connect(struct talk *tk);
static void talk_io(struct talk *tk, struct pconn *c, short revents);
static int talk_loop(struct talk *tk);
static int talk(int argc, char **argv);
static int blackhole(void);
static int spawn(int argc, char **argv);

/* dial - a connected non-blocking socket to unix:/PATH or inet:H:P */
static int
dial(const char *addr)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_un sun;
	char host[256];
	const char *colon;
	int fd = -1;

	if (strncmp(addr, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(addr + 5) >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, addr + 5, strlen(addr + 5) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			(void)close(fd);
			return -1;
		}
	} else if (strncmp(addr, "inet:", 5) == 0 &&
	    (colon = strrchr(addr + 5, ':')) != NULL &&
	    (size_t)(colon - addr - 5) < sizeof(host)) {
		memcpy(host, addr + 5, (size_t)(colon - addr - 5));
		host[colon - addr - 5] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
			return -1;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype, 0);
			if (fd >= 0 && connect(fd, ai->ai_addr,
			    ai->ai_addrlen) == 0)
				break;
			if (fd >= 0)
				(void)close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd < 0)
			return -1;
	} else {
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* read_file - a whole file (at most PC_MAX_INPUT bytes), malloc'd */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(PC_MAX_INPUT)) == NULL) {
		(void)fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, PC_MAX_INPUT, f);
	(void)fclose(f);
	return buf;
}

/* next_request_end - the offset after the next "\n\n" at or after from,
 * or len */
static size_t
next_request_end(const char *p, size_t len, size_t from)
{
	size_t i;

	for (i = from; i + 1 < len; i++)
		if (p[i] == '\n' && p[i + 1] == '\n')
			return i + 2;
	return len;
}

/* count_requests - requests in p: each ends with "\n\n" */
static size_t
count_requests(const char *p, size_t len)
{
	size_t n = 0, off = 0;

	while (off < len && (off = next_request_end(p, len, off)) <= len &&
	    off >= 2 && p[off - 1] == '\n' && p[off - 2] == '\n') {
		n++;
		if (off == len)
			break;
	}
	return n;
}

/* now_ms - the monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* talk_parse - the options of talk; 0 or 2 */
static int
talk_parse(struct talk *tk, int argc, char **argv)
{
	int ch;

	memset(tk, 0, sizeof(*tk));
	tk->nconns = 1;
	tk->timeout = 30;
	tk->delay_ms = -1;
	optind = 2;
	while ((ch = getopt(argc, argv, "n:t:wd:")) != -1) {
		switch (ch) {
		case 'n':
			tk->nconns = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			tk->timeout = atoi(optarg);
			break;
		case 'w':
			tk->wait_eof = true;
			break;
		case 'd':
			tk->delay_ms = atoll(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2 || tk->nconns == 0 ||
	    tk->nconns > PC_MAX_CONNS) {
		(void)fprintf(stderr, "usage: pclient talk [-n N] [-t S] [-w] "
		    "[-d MS] ADDR FILE\n");
		return 2;
	}
	tk->addr = argv[optind];
	if ((tk->in = read_file(argv[optind + 1], &tk->inlen)) == NULL) {
		(void)fprintf(stderr, "pclient: %s: %s\n", argv[optind + 1],
		    strerror(errno));
		return 2;
	}
	tk->want = count_requests(tk->in, tk->inlen);
	return 0;
}

/* talk_connect - open every connection; 0 or 2 */
static int
talk_connect(struct talk *tk)
{
	size_t i;

	tk->pc = calloc(tk->nconns, sizeof(*tk->pc));
	tk->pfd = calloc(tk->nconns, sizeof(*tk->pfd));
	if (tk->pc == NULL || tk->pfd == NULL)
		return 2;
	for (i = 0; i < tk->nconns; i++) {
		if ((tk->pc[i].fd = dial(tk->addr)) < 0) {
			(void)fprintf(stderr, "pclient: cannot connect to %s: "
			    "%s\n", tk->addr, strerror(errno));
			return 2;
		}
		tk->pc[i].limit = tk->delay_ms >= 0 ?
		    next_request_end(tk->in, tk->inlen, 0) : tk->inlen;
		if ((tk->pc[i].out = malloc(PC_MAX_OUTPUT)) == NULL)
			return 2;
	}
	return 0;
}

/* talk_io - move bytes on connection c after poll() said revents */
static void
talk_io(struct talk *tk, struct pconn *c, short revents)
{
	char buf[65536];
	ssize_t r;

	if ((revents & POLLOUT) && c->sent < c->limit) {
		r = write(c->fd, tk->in + c->sent, c->limit - c->sent);
		if (r > 0)
			c->sent += (size_t)r;
		else if (r < 0 && errno != EAGAIN)
			c->sent = c->limit = tk->inlen;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		r = read(c->fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			c->eof = true;
			return;
		}
		if (r > 0 && c->outlen + (size_t)r <= PC_MAX_OUTPUT) {
			memcpy(c->out + c->outlen, buf, (size_t)r);
			c->outlen += (size_t)r;
		}
		c->replies = count_requests(c->out, c->outlen);
	}
	/* -d: the next request once this one is answered and the delay
	 * passed. */
	if (tk->delay_ms >= 0 && c->sent == c->limit && c->limit < tk->inlen &&
	    c->replies >= count_requests(tk->in, c->limit) &&
	    now_ms() >= tk->next_send) {
		c->limit = next_request_end(tk->in, tk->inlen, c->limit);
		tk->next_send = now_ms() + tk->delay_ms;
	}
}

/* talk_loop - poll until every connection is done; 0 or 2 (timeout) */
static int
talk_loop(struct talk *tk)
{
	long long deadline = now_ms() + (long long)tk->timeout * 1000;
	size_t i, done;

	tk->next_send = now_ms() + (tk->delay_ms > 0 ? tk->delay_ms : 0);
	for (;;) {
		for (done = 0, i = 0; i < tk->nconns; i++) {
			struct pconn *c = &tk->pc[i];

			tk->pfd[i].fd = c->fd;
			tk->pfd[i].events = POLLIN;
			if (c->eof || (!tk->wait_eof &&
			    c->replies >= tk->want && c->sent >= tk->inlen)) {
				tk->pfd[i].fd = -1;
				done++;
			} else if (c->sent < c->limit) {
				tk->pfd[i].events |= POLLOUT;
			}
		}
		if (done == tk->nconns)
			return 0;
		if (now_ms() >= deadline) {
			(void)fprintf(stderr, "pclient: timeout\n");
			(void)fwrite(tk->pc[0].out, 1, tk->pc[0].outlen,
			    stdout);
			(void)printf("[timeout]\n");
			return 2;
		}
		if (poll(tk->pfd, (nfds_t)tk->nconns, 50) < 0 &&
		    errno != EINTR)
			return 2;
		for (i = 0; i < tk->nconns; i++)
			if (tk->pfd[i].fd >= 0)
				talk_io(tk, &tk->pc[i], tk->pfd[i].revents);
	}
}

/* talk - the talk command */
static int
talk(int argc, char **argv)
{
	struct talk tk;
	bool differ = false;
	size_t i;
	int rc;

	if ((rc = talk_parse(&tk, argc, argv)) != 0 ||
	    (rc = talk_connect(&tk)) != 0 || (rc = talk_loop(&tk)) != 0)
		return rc;
	for (i = 1; i < tk.nconns; i++)
		if (tk.pc[i].outlen != tk.pc[0].outlen ||
		    memcmp(tk.pc[i].out, tk.pc[0].out, tk.pc[0].outlen) != 0 ||
		    tk.pc[i].eof != tk.pc[0].eof)
			differ = true;
	(void)fwrite(tk.pc[0].out, 1, tk.pc[0].outlen, stdout);
	(void)printf("%s\n", tk.pc[0].eof ? "[eof]" : "[open]");
	if (tk.nconns > 1)
		(void)printf("[%zu connections: %s]\n", tk.nconns, differ ?
		    "DIFFERENT" : "identical");
	for (i = 0; i < tk.nconns; i++) {
		(void)close(tk.pc[i].fd);
		free(tk.pc[i].out);
	}
	free(tk.pc);
	free(tk.pfd);
	free(tk.in);
	return differ ? 1 : 0;
}

/* spawn - the spawn command */
static int
spawn(int argc, char **argv)
{
	char *in, buf[65536];
	size_t inlen, off = 0;
	int sv[2], status;
	ssize_t r;
	pid_t pid;

	if (argc < 4 || (in = read_file(argv[2], &inlen)) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	if ((pid = fork()) < 0)
		return 2;
	if (pid == 0) {
		(void)close(sv[0]);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 ||
		    dup2(sv[1], 2) < 0)
			_exit(127);
		(void)close(sv[1]);
		execv(argv[3], argv + 3);
		_exit(127);
	}
	(void)close(sv[1]);
	while (off < inlen) {
		if ((r = write(sv[0], in + off, inlen - off)) <= 0)
			break;
		off += (size_t)r;
	}
	(void)shutdown(sv[0], SHUT_WR);
	while ((r = read(sv[0], buf, sizeof(buf))) > 0)
		(void)fwrite(buf, 1, (size_t)r, stdout);
	(void)close(sv[0]);
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	(void)printf("[exit %d]\n", WIFEXITED(status) ?
	    WEXITSTATUS(status) : 128 + WTERMSIG(status));
	free(in);
	return 0;
}

/* blackhole - a DNS server that never answers */
static int
blackhole(void)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct pollfd pfd[2];
	long long end = now_ms() + PC_BLACKHOLE_S * 1000;
	char buf[4096];
	int u, t, c;

	if ((u = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    (t = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 2;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(u, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(u, (struct sockaddr *)&sin, &slen) != 0 ||
	    bind(t, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(t, 16) != 0)
		return 2;
	(void)printf("%u\n", (unsigned)ntohs(sin.sin_port));
	(void)fflush(stdout);
	pfd[0].fd = u;
	pfd[1].fd = t;
	pfd[0].events = pfd[1].events = POLLIN;
	while (now_ms() < end) {
		if (poll(pfd, 2, 1000) <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			(void)recv(u, buf, sizeof(buf), 0);
		if ((pfd[1].revents & POLLIN) &&
		    (c = accept(t, NULL, NULL)) >= 0)
			(void)c;	/* kept open, never answered */
	}
	return 0;
}

int
main(int argc, char **argv)
{
	(void)signal(SIGPIPE, SIG_IGN);	/* a server may close on us */
	if (argc >= 2 && strcmp(argv[1], "talk") == 0)
		return talk(argc, argv);
	if (argc == 2 && strcmp(argv[1], "blackhole") == 0)
		return blackhole();
	if (argc >= 2 && strcmp(argv[1], "spawn") == 0)
		return spawn(argc, argv);
	(void)fprintf(stderr, "usage: pclient talk ... | pclient spawn ... | "
	    "pclient blackhole\n");
	return 2;
}
