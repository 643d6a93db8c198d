/* bench/policy/policy-load.c - policy-load: a load generator for Postfix
 * policy servers (SMTPD_POLICY_README protocol), for the mxspfd benchmark.
 * Owns: the requests built from the tests of an openspf-format workload
 * (host -> client_address, helo -> helo_name, mailfrom -> sender, one fixed
 * recipient, a unique instance per request); N client connections, each
 * either to a unix socket or to a spawned child (socketpair on its stdin
 * and stdout, as Postfix spawn(8) runs policyd-spf); one epoll loop in
 * which every connection has at most one request outstanding; the latency
 * samples, their percentiles and the server's memory from /proc.
 * Must not: pipeline requests, use the network (unix sockets only), or run
 * past its time limit: every loop is bounded by a count or by -T.
 * -I N: N connections that send one request each (with -0: none) and
 * then stay open, idle, while the server's memory is read.
 * Output: one "RESULT key=value ..." line (run.sh reads it), or with -Q one
 * "QUERY ..." line per query, or with -I one "IDLE ..." line.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "benchutil.h"

#define PL_REQ_MAX	2048	/* bytes of one request */
#define PL_REPLY_MAX	4096	/* bytes of one reply */
#define PL_MAX_CONNS	100000	/* -c and -I limit */
#define PL_MAX_QUERIES	64	/* -Q limit */
#define PL_ACTIONS	6	/* action classes counted */
#define PL_EVENTS	512	/* events taken per epoll_wait */

/* One workload test: what a request is built from. */
struct test {
	char	*host;
	char	*helo;
	char	*mailfrom;
};

/* One client connection with at most one request outstanding. */
struct conn {
	int	 fd;
	pid_t	 child;		/* spawned server, or 0 */
	char	 out[PL_REQ_MAX];
	size_t	 outlen, outoff;
	char	 in[PL_REPLY_MAX];
	size_t	 inlen;
	bool	 busy;		/* a request is outstanding */
	bool	 done_one;	/* answered at least one request */
	bool	 watch_out;	/* registered for EPOLLOUT too */
	uint64_t sent_ns;
};

/* The latency samples of the timed phase, in nanoseconds. */
struct samples {
	uint64_t *v;
	size_t	  n, cap;
};

static const char *action_names[PL_ACTIONS] = {
	"DUNNO", "PREPEND", "5xx", "4xx", "DEFER_IF_PERMIT", "other"
};

static struct test *tests;
static size_t ntests, next_test;
static const char *recipient = "postmaster@receiver.test";
static unsigned long long seq;
static unsigned long actions[PL_ACTIONS];

static uint64_t now_ns(void);
static void load_tests(const char *path);
static int connect_unix(const char *path);
static int spawn(const char *cmd, pid_t *pidp);
static void build_request(struct conn *c, const struct test *t);
static int conn_write(struct conn *c);
static void conn_watch(int ep, struct conn *c, size_t i);
static int conn_read(struct conn *c);
static void count_action(const char *reply);
static void samples_add(struct samples *s, uint64_t v);
static int cmp_u64(const void *a, const void *b);
static uint64_t percentile(const struct samples *s, double p);
static long proc_kb(pid_t pid, const char *key);
static long children_kb(struct conn *conns, size_t n);
static double proc_cpu_s(pid_t pid);
static double servers_cpu_s(pid_t pid, struct conn *conns, size_t n);
static void close_all(struct conn *conns, size_t n);
static void usage(void);

/* now_ns - CLOCK_MONOTONIC in nanoseconds */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* load_tests - read host, helo and mailfrom of every test in path */
static void
load_tests(const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *map, *v;
	yaml_node_pair_t *pair;
	const char *s;
	size_t len, n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&parser))
		die("out of memory");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc))
		die("%s: bad YAML", path);
	root = yaml_document_get_root_node(&doc);
	if ((map = map_get(&doc, root, "tests")) == NULL ||
	    map->type != YAML_MAPPING_NODE)
		die("%s: no tests mapping", path);
	n = (size_t)(map->data.mapping.pairs.top -
	    map->data.mapping.pairs.start);
	if (n == 0 || (tests = calloc(n, sizeof(*tests))) == NULL)
		die("%s: no tests, or out of memory", path);
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		v = yaml_document_get_node(&doc, pair->value);
		if ((s = scalar(map_get(&doc, v, "host"), &len)) == NULL)
			continue;
		tests[ntests].host = xstrndup(s, len);
		s = scalar(map_get(&doc, v, "helo"), &len);
		tests[ntests].helo = xstrndup(s != NULL ? s : "", s != NULL ?
		    len : 0);
		s = scalar(map_get(&doc, v, "mailfrom"), &len);
		tests[ntests].mailfrom = xstrndup(s != NULL ? s : "",
		    s != NULL ? len : 0);
		ntests++;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	if (ntests == 0)
		die("%s: no test has a host", path);
}

/* connect_unix - a non-blocking connection to the unix socket path */
static int
connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die("%s: path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket: %s", strerror(errno));
	/* Blocking connect: waits while the listen backlog is full. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("connect %s: %s", path, strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	return fd;
}

/* spawn - run "sh -c cmd" on one end of a socketpair; returns the other */
static int
spawn(const char *cmd, pid_t *pidp)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	*pidp = pid;
	return sv[0];
}

/* build_request - format the RCPT request for t into c's output buffer */
static void
build_request(struct conn *c, const struct test *t)
{
	int n;

	n = snprintf(c->out, sizeof(c->out),
	    "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\n"
	    "protocol_name=ESMTP\n"
	    "client_address=%s\n"
	    "client_name=unknown\n"
	    "reverse_client_name=unknown\n"
	    "helo_name=%s\n"
	    "sender=%s\n"
	    "recipient=%s\n"
	    "recipient_count=0\n"
	    "queue_id=\n"
	    "instance=pl.%ld.%llu\n"
	    "size=0\n"
	    "\n",
	    t->host, t->helo, t->mailfrom, recipient, (long)getpid(), ++seq);
	if (n < 0 || (size_t)n >= sizeof(c->out))
		die("request too long for %s", t->mailfrom);
	c->outlen = (size_t)n;
	c->outoff = 0;
	c->inlen = 0;
	c->busy = true;
	c->sent_ns = now_ns();
}

/* conn_watch - wait for output room only while a request is half sent
 * (level-triggered: EPOLLIN stays) */
static void
conn_watch(int ep, struct conn *c, size_t i)
{
	bool want = c->outoff < c->outlen;
	struct epoll_event ev = { EPOLLIN | (want ? EPOLLOUT : 0),
	    { .u64 = i } };

	if (want == c->watch_out)
		return;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
	c->watch_out = want;
}

/* conn_write - send what is left of the request; -1 on error */
static int
conn_write(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		c->outoff += (size_t)n;
	}
	return 0;
}

/* conn_read - read; 1 when a whole reply is in c->in, 0 for more, -1 */
static int
conn_read(struct conn *c)
{
	ssize_t n;
	char *end;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\n\n")) == NULL)
		return c->inlen + 1 >= sizeof(c->in) ? -1 : 0;
	if (end + 2 != c->in + c->inlen)
		return -1;	/* more than one reply: not our protocol */
	return 1;
}

/* count_action - classify one reply "action=..." */
static void
count_action(const char *reply)
{
	const char *a;
	size_t i;

	if (strncmp(reply, "action=", 7) != 0) {
		actions[PL_ACTIONS - 1]++;
		return;
	}
	a = reply + 7;
	if (strncasecmp(a, "DUNNO", 5) == 0)
		i = 0;
	else if (strncasecmp(a, "PREPEND", 7) == 0)
		i = 1;
	else if (a[0] == '5')
		i = 2;
	else if (a[0] == '4')
		i = 3;
	else if (strncasecmp(a, "DEFER_IF_PERMIT", 15) == 0)
		i = 4;
	else
		i = 5;
	actions[i]++;
}

/* samples_add - append one latency */
static void
samples_add(struct samples *s, uint64_t v)
{
	uint64_t *p;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 65536;
		if ((p = realloc(s->v, s->cap * sizeof(*p))) == NULL)
			die("out of memory");
		s->v = p;
	}
	s->v[s->n++] = v;
}

/* cmp_u64 - qsort order */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* percentile - the p-th percentile (0..1) of sorted samples, nearest rank */
static uint64_t
percentile(const struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)(p * (double)s->n);
	if (i >= s->n)
		i = s->n - 1;
	return s->v[i];
}

/* proc_kb - a "Key:  N kB" line of /proc/PID/status, or -1 */
static long
proc_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/* children_kb - the summed VmRSS of the spawned servers and their
 * descendants one level down (sh -c may exec, or fork the server) */
static long
children_kb(struct conn *conns, size_t n)
{
	char path[64], buf[4096];
	long sum = 0, v;
	size_t i;
	FILE *fp;
	char *p, *end;

	for (i = 0; i < n; i++) {
		if (conns[i].child <= 0)
			continue;
		if ((v = proc_kb(conns[i].child, "VmRSS")) > 0)
			sum += v;
		snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
		    (long)conns[i].child, (long)conns[i].child);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), fp) != NULL)
			for (p = buf; *p != '\0'; p = end) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				if ((v = proc_kb((pid_t)pid, "VmRSS")) > 0)
					sum += v;
			}
		fclose(fp);
	}
	return sum;
}

/* proc_cpu_s - user + system CPU seconds of pid (field 14 and 15 of
 * /proc/PID/stat), or 0 */
static double
proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	size_t len;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	/* After the ")" that ends comm: state is field 3, utime 14. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* servers_cpu_s - CPU seconds of the server pid, or of every spawned one */
static double
servers_cpu_s(pid_t pid, struct conn *conns, size_t n)
{
	double sum = 0;
	size_t i;

	if (pid > 0)
		return proc_cpu_s(pid);
	for (i = 0; i < n; i++)
		if (conns[i].child > 0)
			sum += proc_cpu_s(conns[i].child);
	return sum;
}

/* close_all - close every connection and reap spawned servers (bounded) */
static void
close_all(struct conn *conns, size_t n)
{
	uint64_t until = now_ns() + 5000000000u;
	size_t i, left;
	int st;

	for (i = 0; i < n; i++)
		if (conns[i].fd >= 0) {
			close(conns[i].fd);
			conns[i].fd = -1;
		}
	/* A server reads EOF and exits; wait up to 5 s, then kill. */
	do {
		left = 0;
		for (i = 0; i < n; i++) {
			if (conns[i].child <= 0)
				continue;
			if (waitpid(conns[i].child, &st, WNOHANG) ==
			    conns[i].child)
				conns[i].child = 0;
			else
				left++;
		}
		if (left > 0)
			usleep(20000);
	} while (left > 0 && now_ns() < until);
	for (i = 0; i < n; i++)
		if (conns[i].child > 0) {
			kill(conns[i].child, SIGKILL);
			(void)waitpid(conns[i].child, &st, 0);
			conns[i].child = 0;
		}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: policy-load [-u SOCKET | -x COMMAND] [-c N] [-d SECONDS]\n"
	    "           [-w N] [-p PID] [-r RECIPIENT] [-T SECONDS] WORKLOAD.yml\n"
	    "       policy-load -u SOCKET -I N [-0] [-H SECONDS] -p PID WORKLOAD.yml\n"
	    "       policy-load -u SOCKET -Q IP,HELO,SENDER [-Q ...] WORKLOAD.yml\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *cmd = NULL, *qarg[PL_MAX_QUERIES];
	struct samples lat = { NULL, 0, 0 };
	struct conn *conns;
	struct epoll_event evs[PL_EVENTS];
	int ep, nev, k;
	struct rlimit rl;
	struct test qt[PL_MAX_QUERIES];
	size_t nconn = 1, nidle = 0, nq = 0, warm = 3000, done = 0, i;
	double dur = 10, hold = 2, tlimit = 300;
	uint64_t t0, tstart = 0, tend = 0, limit_ns, lat_ns;
	unsigned long errors = 0;
	bool timing = false, silent = false;
	double cpu0 = 0, cpu1;
	pid_t pid = 0;
	int ch, r;

	bench_prog = "policy-load";
	while ((ch = getopt(argc, argv, "0c:d:H:I:p:Q:r:T:u:w:x:")) != -1) {
		switch (ch) {
		case '0': silent = true; break;
		case 'c': nconn = strtoul(optarg, NULL, 10); break;
		case 'd': dur = strtod(optarg, NULL); break;
		case 'H': hold = strtod(optarg, NULL); break;
		case 'I': nidle = strtoul(optarg, NULL, 10); break;
		case 'p': pid = (pid_t)strtol(optarg, NULL, 10); break;
		case 'Q':
			if (nq == PL_MAX_QUERIES)
				die("too many -Q");
			qarg[nq++] = optarg;
			break;
		case 'r': recipient = optarg; break;
		case 'T': tlimit = strtod(optarg, NULL); break;
		case 'u': sock = optarg; break;
		case 'w': warm = strtoul(optarg, NULL, 10); break;
		case 'x': cmd = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 1 || (sock == NULL) == (cmd == NULL) ||
	    nconn == 0 || nconn > PL_MAX_CONNS || nidle > PL_MAX_CONNS ||
	    dur <= 0 || tlimit <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	load_tests(argv[optind]);
	for (i = 0; i < nq; i++) {	/* -Q IP,HELO,SENDER */
		char *a = xstrndup(qarg[i], strlen(qarg[i])), *h, *s;

		if ((h = strchr(a, ',')) == NULL ||
		    (s = strchr(h + 1, ',')) == NULL)
			die("-Q wants IP,HELO,SENDER: %s", qarg[i]);
		*h++ = '\0';
		*s++ = '\0';
		qt[i].host = a;
		qt[i].helo = h;
		qt[i].mailfrom = s;
	}
	if (nidle > 0)
		nconn = nidle;
	if (nq > 0)
		nconn = 1;
	/* Room for the connections (and the servers' sockets when spawned). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < nconn + 64) {
		rl.rlim_cur = rl.rlim_max < nconn + 64 ? rl.rlim_max :
		    nconn + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < nconn + 64)
			die("ulimit -n %lu is too low for %zu connections",
			    (unsigned long)rl.rlim_cur, nconn);
	}
	if ((conns = calloc(nconn, sizeof(*conns))) == NULL)
		die("out of memory");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	t0 = now_ns();
	limit_ns = t0 + (uint64_t)(tlimit * 1e9);
	for (i = 0; i < nconn; i++) {
		conns[i].child = 0;
		conns[i].fd = sock != NULL ? connect_unix(sock) :
		    spawn(cmd, &conns[i].child);
		if (now_ns() > limit_ns)
			die("time limit reached while connecting (%zu)", i);
	}

	/* -Q: one query at a time on one connection, each timed. */
	if (nq > 0) {
		for (i = 0; i < nq; i++) {
			struct pollfd p = { conns[0].fd, POLLIN, 0 };

			build_request(&conns[0], &qt[i]);
			if (conn_write(&conns[0]) < 0 ||
			    conns[0].outoff != conns[0].outlen)
				die("write: %s", strerror(errno));
			r = 0;
			while (r == 0 && now_ns() < limit_ns) {
				if (poll(&p, 1, 1000) < 0 && errno != EINTR)
					die("poll: %s", strerror(errno));
				if (p.revents != 0)
					r = conn_read(&conns[0]);
			}
			if (r != 1)
				die("query %zu: no reply", i + 1);
			lat_ns = now_ns() - conns[0].sent_ns;
			*strchr(conns[0].in, '\n') = '\0';
			printf("QUERY ip=%s helo=%s sender=%s ms=%.3f "
			    "reply=\"%s\"\n", qt[i].host, qt[i].helo,
			    qt[i].mailfrom, (double)lat_ns / 1e6, conns[0].in);
		}
		close_all(conns, nconn);
		return 0;
	}

	/* The loop: warm-up (-w requests and one per connection, or with
	 * -I one per connection), then -d seconds timed. */
	for (i = 0; i < nconn && silent; i++)	/* -I N -0: connect only */
		conns[i].done_one = true;
	for (i = 0; i < nconn && !silent; i++) {
		build_request(&conns[i], &tests[next_test++ % ntests]);
		if (conn_write(&conns[i]) < 0)
			die("write: %s", strerror(errno));
	}
	for (i = 0; i < nconn; i++) {
		struct epoll_event ev = { EPOLLIN, { .u64 = i } };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
		conn_watch(ep, &conns[i], i);
	}
	for (;;) {
		uint64_t t = now_ns();

		if (t > limit_ns)
			die("time limit (-T %.0f s) reached", tlimit);
		if (timing && t >= tend)
			break;
		if (!timing) {
			for (i = 0; i < nconn && conns[i].done_one; i++)
				;
			if (i == nconn && (nidle > 0 || done >= warm)) {
				if (nidle > 0)
					break;
				timing = true;
				tstart = t;
				tend = t + (uint64_t)(dur * 1e9);
				cpu0 = servers_cpu_s(pid, conns, nconn);
				done = 0;
				memset(actions, 0, sizeof(actions));
			}
		}
		/* epoll, not poll: the generator must cost little per
		 * request, or at 500 connections it measures itself. */
		if ((nev = epoll_wait(ep, evs, PL_EVENTS, 100)) < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (k = 0; k < nev; k++) {
			struct conn *c;

			i = (size_t)evs[k].data.u64;
			c = &conns[i];
			if (!c->busy)
				continue;
			if ((evs[k].events & EPOLLOUT) && conn_write(c) < 0)
				r = -1;
			else if (evs[k].events & (EPOLLIN | EPOLLHUP |
			    EPOLLERR))
				r = conn_read(c);
			else
				r = 0;
			if (r >= 0)
				conn_watch(ep, c, i);
			if (r < 0)
				die("connection %zu: %s after %zu bytes of "
				    "reply", i, c->inlen == 0 ? "closed or "
				    "error" : "bad reply", c->inlen);
			if (r == 0)
				continue;
			lat_ns = now_ns() - c->sent_ns;
			c->busy = false;
			c->done_one = true;
			done++;
			count_action(c->in);
			if (timing)
				samples_add(&lat, lat_ns);
			if (nidle > 0)
				continue;	/* one request each */
			build_request(c, &tests[next_test++ % ntests]);
			if (conn_write(c) < 0)
				errors++;
		}
	}

	if (nidle > 0) {
		long rss0 = proc_kb(pid, "VmRSS");
		uint64_t until = now_ns() + (uint64_t)(hold * 1e9);

		while (now_ns() < until)	/* idle: let the server settle */
			usleep(100000);
		printf("IDLE conns=%zu answered=%zu setup_s=%.2f "
		    "rss_kb=%ld rss_after_hold_kb=%ld hwm_kb=%ld\n",
		    nconn, done, (double)(now_ns() - t0) / 1e9 - hold, rss0,
		    proc_kb(pid, "VmRSS"), proc_kb(pid, "VmHWM"));
		close_all(conns, nconn);
		return 0;
	}

	cpu1 = servers_cpu_s(pid, conns, nconn);
	qsort(lat.v, lat.n, sizeof(*lat.v), cmp_u64);
	{
		double secs = (double)(now_ns() - tstart) / 1e9;
		long rss = -1, hwm = -1;

		if (pid > 0) {
			rss = proc_kb(pid, "VmRSS");
			hwm = proc_kb(pid, "VmHWM");
		} else if (cmd != NULL) {
			rss = children_kb(conns, nconn);
		}
		printf("RESULT conns=%zu requests=%zu seconds=%.2f rps=%.0f "
		    "p50_us=%.0f p99_us=%.0f max_us=%.0f rss_kb=%ld "
		    "hwm_kb=%ld server_cpu_us_per_req=%.0f errors=%lu", nconn, lat.n, secs,
		    (double)lat.n / secs, (double)percentile(&lat, 0.50) / 1e3,
		    (double)percentile(&lat, 0.99) / 1e3,
		    lat.n ? (double)lat.v[lat.n - 1] / 1e3 : 0.0, rss, hwm,
		    lat.n ? (cpu1 - cpu0) * 1e6 / (double)lat.n : 0.0, errors);
		for (i = 0; i < PL_ACTIONS; i++)
			printf(" %s=%lu", action_names[i], actions[i]);
		printf("\n");
	}
	close_all(conns, nconn);
	free(lat.v);
	return 0;
}
