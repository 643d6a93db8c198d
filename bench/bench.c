/* bench/bench.c - mxspf-bench: throughput, agreement and memory of the
 * evaluator on a workload in the openspf test-suite YAML format.
 * Owns: loading the workload's tests (libyaml) and its zonedata (through
 * mxspf_zone_load_file), the timed runs, the memory checks, and running
 * the peer benchmarks of bench/peers/ (--peers) as child processes whose
 * "key: value" output it reads back.  Must not: touch the network, or
 * time anything but the checks themselves (the workload is loaded and the
 * first, verifying pass is made before any clock starts).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <yaml.h>

#include "benchutil.h"

#include <mxspf/mxspf.h>

#ifndef MXSPF_BENCH_PEERS_DIR
#define MXSPF_BENCH_PEERS_DIR "bench/peers"
#endif
#ifndef MXSPF_BENCH_BINARY_DIR
#define MXSPF_BENCH_BINARY_DIR "build/bench"
#endif

#define BENCH_MAX_WANT		8	/* acceptable results per test */
#define BENCH_MAX_SHOWN		10	/* disagreements listed */
#define BENCH_MAX_RUNS		100
#define BENCH_MAX_SECONDS	3600
#define BENCH_MAX_MILLIONS	1000
#define BENCH_MILLION		1000000UL
#define BENCH_PEER_LINE		4096	/* longest peer output line kept */
#define BENCH_FLAT_SLACK_KB	256	/* RSS growth still called flat */

/* One query of the workload and what the suite expects of it. */
struct test {
	char *name;
	char *host;
	char *mailfrom;
	char *helo;
	enum mxspf_result want[BENCH_MAX_WANT];
	size_t nwant;
	int got;		/* result of the verifying pass, or -1 */
};

struct bench {
	const char *path;
	struct test *tests;
	size_t ntests;
	struct mxspf_zone *zone;
	struct mxspf_ctx *ctx;
	size_t record_cache_size;
	size_t errors;		/* library errors during checks */
	size_t queries;		/* DNS queries of the verifying pass */
	size_t dns_terms;
};

/* What one benchmark (ours or a peer) measured. */
struct score {
	char name[128];
	double checks_per_sec;	/* median of the runs */
	double cpu_us;		/* CPU microseconds per check */
	size_t agree;
	size_t total;
	const char *note;
};

/* Figures published with this workload (quoted in bench/README.md),
 * measured on the same class of machine (2 cores); always shown, so
 * the peers that cannot run here (Perl, Node.js) are compared too. */
static const struct {
	const char *name;
	double checks_per_sec;
	double cpu_us;
	size_t agree;
} published[] = {
	{ "Mail::SPF 2.009 (Perl)", 360, 2700, 3000 },
	{ "pyspf 2.0.14 (Python)", 4700, 211, 3000 },
	{ "mailauth 7.1 (Node.js), strict", 8300, 120, 3000 },
	{ "libspf2 1.2.10, zone layer", 42000, 24, 2815 },
	{ "libspf2 1.2.10, hash-table DNS layer", 83500, 12, 2815 },
	{ "C loop over pre-flattened CIDR lists (floor)", 4250000, 0.24,
	    3000 },
};

static void usage(void);
static void load_want(yaml_document_t *doc, yaml_node_t *n,
    struct test *t);
static void load_tests(struct bench *b);
static void free_tests(struct bench *b);
static double now_mono(void);
static double now_cpu(void);
static long proc_status_kb(const char *field);
static int check_one(struct bench *b, const struct test *t,
    const struct mxspf_verdict **vp, struct mxspf_eval **evp);
static size_t verify(struct bench *b);
static bool wanted(const struct test *t, int r);
static void want_text(const struct test *t, char *buf, size_t len);
static size_t run_pass(struct bench *b);
static int cmp_double(const void *a, const void *b);
static void timed_runs(struct bench *b, double secs, size_t runs,
    struct score *s);
static void flat_memory(struct bench *b, size_t millions);
static bool run_peer(char *const argv[], struct score *s);
static void print_table(const struct score *ours, const struct score *peers,
    size_t npeers);
static void print_load(const char *when);

/* usage - print the synopsis and exit 2 */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: mxspf-bench [-t seconds] [-r runs] [-m millions] "
	    "[-p passes] [-n] [-S]\n"
	    "                   [--peers] [--peers-dir dir] workload.yml\n"
	    "  -t N   each run lasts at least N seconds (default 5)\n"
	    "  -r N   number of runs; the median is reported (default 5)\n"
	    "  -m N   flat-memory check: N million checks, RSS every "
	    "million\n"
	    "  -p N   profile mode: exactly N passes over the queries, "
	    "no timed runs\n"
	    "  -n     no record cache (record_cache_size 0), for "
	    "comparison\n"
	    "  -S     no speculative prefetch (speculative false), for "
	    "comparison\n"
	    "  --peers       also run bench/peers/* on the same workload\n"
	    "  --peers-dir   where pyspf_bench.py lives (default %s)\n",
	    MXSPF_BENCH_PEERS_DIR);
	exit(2);
}

/* load_want - the expected result: one name or a list of names */
static void
load_want(yaml_document_t *doc, yaml_node_t *n, struct test *t)
{
	yaml_node_item_t *item;
	const char *v;
	char *name;
	size_t len;

	if (n != NULL && n->type == YAML_SEQUENCE_NODE) {
		for (item = n->data.sequence.items.start;
		    item < n->data.sequence.items.top; item++)
			load_want(doc, yaml_document_get_node(doc, *item), t);
		return;
	}
	if ((v = scalar(n, &len)) == NULL)
		die("test %s: no result", t->name);
	if (t->nwant == BENCH_MAX_WANT)
		die("test %s: more than %d results", t->name, BENCH_MAX_WANT);
	name = xstrndup(v, len);
	if (mxspf_result_parse(name, &t->want[t->nwant]) != 0)
		die("test %s: unknown result \"%.100s\"", t->name, name);
	t->nwant++;
	free(name);
}

/* load_tests - read the tests of the first document of b->path */
static void
load_tests(struct bench *b)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *tests, *v;
	yaml_node_pair_t *pair;
	struct test *t;
	const char *k;
	size_t klen, n;
	FILE *fp;

	if ((fp = fopen(b->path, "rb")) == NULL)
		die("%s: %s", b->path, strerror(errno));
	if (!yaml_parser_initialize(&parser))
		die("out of memory");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc))
		die("%s:%zu: %s", b->path,
		    (size_t)parser.problem_mark.line + 1,
		    parser.problem != NULL ? parser.problem : "bad YAML");
	root = yaml_document_get_root_node(&doc);
	if ((tests = map_get(&doc, root, "tests")) == NULL ||
	    tests->type != YAML_MAPPING_NODE)
		die("%s: the first document has no tests mapping", b->path);
	n = (size_t)(tests->data.mapping.pairs.top -
	    tests->data.mapping.pairs.start);
	if (n == 0)
		die("%s: no tests", b->path);
	if ((b->tests = calloc(n, sizeof(*b->tests))) == NULL)
		die("out of memory");
	for (pair = tests->data.mapping.pairs.start;
	    pair < tests->data.mapping.pairs.top; pair++) {
		t = &b->tests[b->ntests];
		k = scalar(yaml_document_get_node(&doc, pair->key),
		    &klen);
		v = yaml_document_get_node(&doc, pair->value);
		if (k == NULL || v == NULL || v->type != YAML_MAPPING_NODE)
			die("%s: a test is not a name: mapping", b->path);
		t->name = xstrndup(k, klen);
		t->host = map_get_str(&doc, v, "host");
		t->mailfrom = map_get_str(&doc, v, "mailfrom");
		t->helo = map_get_str(&doc, v, "helo");
		if (t->host == NULL)
			die("test %s: no host", t->name);
		load_want(&doc, map_get(&doc, v, "result"), t);
		t->got = -1;
		b->ntests++;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
}

/* free_tests - free what load_tests() allocated */
static void
free_tests(struct bench *b)
{
	size_t i;

	for (i = 0; i < b->ntests; i++) {
		free(b->tests[i].name);
		free(b->tests[i].host);
		free(b->tests[i].mailfrom);
		free(b->tests[i].helo);
	}
	free(b->tests);
	b->tests = NULL;
	b->ntests = 0;
}

/* now_mono - monotonic wall-clock seconds */
static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* now_cpu - CPU seconds used by this process */
static double
now_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* proc_status_kb - a "Name: N kB" field of /proc/self/status, or -1 */
static long
proc_status_kb(const char *field)
{
	char line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			errno = 0;
			kb = strtol(line + flen + 1, NULL, 10);
			if (errno != 0)
				kb = -1;
			break;
		}
	}
	fclose(fp);
	return kb;
}

/* check_one - one check_host() of test t from its text inputs, as a
 * daemon would run it.  With evp, the evaluation is kept for the caller
 * (who frees it) and *vp is its verdict.  @return the result or -1 */
static int
check_one(struct bench *b, const struct test *t,
    const struct mxspf_verdict **vp, struct mxspf_eval **evp)
{
	struct mxspf_request req;
	struct mxspf_eval *ev;
	int r;

	memset(&req, 0, sizeof(req));
	if (mxspf_addr_parse(t->host, &req.client) != 0)
		return -1;
	req.sender = t->mailfrom;
	req.helo = t->helo;
	req.identity = MXSPF_ID_MAILFROM;
	if (mxspf_eval_new(&ev, b->ctx, &req) != 0) {
		b->errors++;
		return -1;
	}
	if (mxspf_eval_run(ev, mxspf_zone_resolve, b->zone) != 0) {
		b->errors++;
		mxspf_eval_free(ev);
		return -1;
	}
	r = (int)mxspf_eval_verdict(ev)->result;
	if (evp != NULL) {
		*vp = mxspf_eval_verdict(ev);
		*evp = ev;
	} else
		mxspf_eval_free(ev);
	return r;
}

/* wanted - whether result r is one the test accepts */
static bool
wanted(const struct test *t, int r)
{
	size_t i;

	for (i = 0; i < t->nwant; i++)
		if ((int)t->want[i] == r)
			return true;
	return false;
}

/* want_text - the accepted results of t, joined by '|' */
static void
want_text(const struct test *t, char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < t->nwant && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i > 0 ? "|" : "",
		    mxspf_result_name(t->want[i]));
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* verify - the untimed first pass: record each result, count agreement,
 * list the first disagreements.  It also fills the record cache, so the
 * timed runs measure the steady state of a long-running daemon. */
static size_t
verify(struct bench *b)
{
	const struct mxspf_verdict *v;
	struct mxspf_eval *ev;
	struct test *t;
	size_t i, agree = 0, shown = 0;
	size_t hist[MXSPF_PERMERROR + 2];
	char want[128];

	memset(hist, 0, sizeof(hist));
	for (i = 0; i < b->ntests; i++) {
		t = &b->tests[i];
		ev = NULL;
		t->got = check_one(b, t, &v, &ev);
		if (ev != NULL) {
			b->queries += v->queries;
			b->dns_terms += v->dns_terms;
			mxspf_eval_free(ev);
		}
		hist[t->got < 0 ? MXSPF_PERMERROR + 1 : (size_t)t->got]++;
		if (wanted(t, t->got)) {
			agree++;
			continue;
		}
		if (shown++ < BENCH_MAX_SHOWN) {
			want_text(t, want, sizeof(want));
			printf("  disagree: %s (%s, %s, helo %s): got %s, "
			    "expected %s\n", t->name, t->host,
			    t->mailfrom != NULL ? t->mailfrom : "<>",
			    t->helo != NULL ? t->helo : "-",
			    t->got < 0 ? "error" :
			    mxspf_result_name((enum mxspf_result)t->got),
			    want);
		}
	}
	if (shown > BENCH_MAX_SHOWN)
		printf("  ... and %zu more disagreements\n",
		    shown - BENCH_MAX_SHOWN);
	printf("results:");
	for (i = 0; i <= MXSPF_PERMERROR; i++)
		if (hist[i] > 0)
			printf(" %s %zu", mxspf_result_name(
			    (enum mxspf_result)i), hist[i]);
	if (hist[MXSPF_PERMERROR + 1] > 0)
		printf(" error %zu", hist[MXSPF_PERMERROR + 1]);
	printf("\n");
	printf("dns: %.2f queries and %.2f DNS terms per check\n",
	    (double)b->queries / (double)b->ntests,
	    (double)b->dns_terms / (double)b->ntests);
	return agree;
}

/* run_pass - every query once; @return how many results differ from the
 * verifying pass (a cache that changes results would show here) */
static size_t
run_pass(struct bench *b)
{
	size_t i, unstable = 0;

	for (i = 0; i < b->ntests; i++)
		if (check_one(b, &b->tests[i], NULL, NULL) !=
		    b->tests[i].got)
			unstable++;
	return unstable;
}

/* cmp_double - qsort order of doubles */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* timed_runs - runs of whole passes, each lasting at least secs; the
 * median rate goes into s */
static void
timed_runs(struct bench *b, double secs, size_t runs, struct score *s)
{
	double rate[BENCH_MAX_RUNS], cpu[BENCH_MAX_RUNS];
	double t0, c0, el, ce;
	size_t r, checks, unstable = 0;

	for (r = 0; r < runs; r++) {
		checks = 0;
		c0 = now_cpu();
		t0 = now_mono();
		do {
			unstable += run_pass(b);
			checks += b->ntests;
			el = now_mono() - t0;
		} while (el < secs);
		ce = now_cpu() - c0;
		rate[r] = (double)checks / el;
		cpu[r] = ce * 1e6 / (double)checks;
		printf("  run %zu: %zu checks in %.2f s: %.0f checks/s, "
		    "%.2f us/check wall, %.2f us/check CPU\n", r + 1, checks,
		    el, rate[r], 1e6 / rate[r], cpu[r]);
		fflush(stdout);
	}
	qsort(rate, runs, sizeof(rate[0]), cmp_double);
	qsort(cpu, runs, sizeof(cpu[0]), cmp_double);
	s->checks_per_sec = rate[runs / 2];
	s->cpu_us = cpu[runs / 2];
	if (unstable > 0)
		printf("  WARNING: %zu results differed from the first pass\n",
		    unstable);
	printf("  spread: min %.0f, max %.0f checks/s\n", rate[0],
	    rate[runs - 1]);
}

/* flat_memory - millions of checks, RSS after each million; flat when the
 * last reading is within BENCH_FLAT_SLACK_KB of the first */
static void
flat_memory(struct bench *b, size_t millions)
{
	long first = -1, rss = -1;
	size_t m, done, i = 0;
	double t0;

	printf("flat memory: %zu million checks, RSS after each million\n",
	    millions);
	t0 = now_mono();
	for (m = 1; m <= millions; m++) {
		for (done = 0; done < BENCH_MILLION; done++) {
			(void)check_one(b, &b->tests[i], NULL, NULL);
			if (++i == b->ntests)
				i = 0;
		}
		rss = proc_status_kb("VmRSS");
		if (m == 1)
			first = rss;
		printf("  %4zu M checks: VmRSS %ld kB (%+ld kB), %.1f s\n", m,
		    rss, rss - first, now_mono() - t0);
		fflush(stdout);
	}
	if (millions < 2)
		printf("  (run -m 2 or more to compare readings)\n");
	else
		printf("  %s: RSS moved %+ld kB from million 1 to million "
		    "%zu (%.2f bytes per check)\n",
		    labs(rss - first) <= BENCH_FLAT_SLACK_KB ? "FLAT" :
		    "NOT FLAT", rss - first, millions,
		    (double)(rss - first) * 1024.0 /
		    ((double)(millions - 1) * (double)BENCH_MILLION));
	printf("  VmHWM %ld kB\n", proc_status_kb("VmHWM"));
}

/* run_peer - run a peer benchmark with argv (no shell), echo its output
 * and read its "checks_per_sec:", "cpu_us_per_check:", "agreement: N/M"
 * and "peer:" lines into s.  @return whether it reported a rate */
static bool
run_peer(char *const argv[], struct score *s)
{
	char *line = NULL, *p;
	size_t cap = 0;
	ssize_t len;
	int fds[2], status;
	pid_t pid;
	FILE *fp;
	unsigned long long a, t;

	fflush(stdout);
	if (pipe(fds) == -1)
		die("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) == -1)
			_exit(127);
		close(fds[1]);
		execv(argv[0], argv);
		fprintf(stderr, "mxspf-bench: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if ((fp = fdopen(fds[0], "r")) == NULL)
		die("fdopen: %s", strerror(errno));
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > BENCH_PEER_LINE)
			continue;
		printf("  | %s", line);
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (strncmp(line, "peer: ", 6) == 0)
			snprintf(s->name, sizeof(s->name), "%s", line + 6);
		else if (strncmp(line, "checks_per_sec: ", 16) == 0)
			s->checks_per_sec = strtod(line + 16, NULL);
		else if (strncmp(line, "cpu_us_per_check: ", 18) == 0)
			s->cpu_us = strtod(line + 18, NULL);
		else if (strncmp(line, "agreement: ", 11) == 0 &&
		    sscanf(line + 11, "%llu/%llu", &a, &t) == 2) {
			s->agree = (size_t)a;
			s->total = (size_t)t;
		} else if (strncmp(line, "note: ", 6) == 0 &&
		    (p = strdup(line + 6)) != NULL) {
			free((char *)s->note);
			s->note = p;
		}
	}
	free(line);
	fclose(fp);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("  (peer %s failed)\n", argv[0]);
		return false;
	}
	return s->checks_per_sec > 0;
}

/* print_table - ours against measured peers and published figures; the
 * ratios are ours over theirs, by wall-clock rate and by CPU per check
 * (the CPU ratio holds up better when other jobs share the machine) */
static void
print_table(const struct score *ours, const struct score *peers,
    size_t npeers)
{
	size_t i;

	printf("\n%-48s %10s %10s %10s %8s %8s\n", "implementation",
	    "checks/s", "CPU us/chk", "agreement", "x(wall)", "x(CPU)");
	printf("%-48.48s %10.0f %10.2f %5zu/%-4zu %8s %8s\n", ours->name,
	    ours->checks_per_sec, ours->cpu_us, ours->agree, ours->total,
	    "-", "-");
	for (i = 0; i < npeers; i++)
		printf("%-48.48s %10.0f %10.2f %5zu/%-4zu %7.1fx %7.1fx "
		    "measured\n", peers[i].name, peers[i].checks_per_sec,
		    peers[i].cpu_us, peers[i].agree, peers[i].total,
		    ours->checks_per_sec / peers[i].checks_per_sec,
		    peers[i].cpu_us / ours->cpu_us);
	for (i = 0; i < sizeof(published) / sizeof(published[0]); i++)
		printf("%-48.48s %10.0f %10.2f %5zu/%-4d %7.1fx %7.1fx "
		    "published\n", published[i].name,
		    published[i].checks_per_sec, published[i].cpu_us,
		    published[i].agree, 3000,
		    ours->checks_per_sec / published[i].checks_per_sec,
		    published[i].cpu_us / ours->cpu_us);
	printf("x = mxspf over the other (rate ratio, CPU-time ratio).  "
	    "measured: in this run;\npublished: the peers' figures quoted "
	    "in bench/README.md (same workload, 2-core\nmachine, medians "
	    "of 5 runs).\n");
	for (i = 0; i < npeers; i++)
		if (peers[i].note != NULL)
			printf("note on %s: %s\n", peers[i].name,
			    peers[i].note);
}

/* print_load - the load average, so contended runs can be recognised */
static void
print_load(const char *when)
{
	char buf[128];
	FILE *fp;

	if ((fp = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(buf, sizeof(buf), fp) != NULL)
		printf("load average %s: %s", when, buf);
	fclose(fp);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "peers", no_argument, NULL, 'P' },
		{ "peers-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench b;
	struct mxspf_config cfg;
	struct score ours, peers[2];
	const char *peers_dir = MXSPF_BENCH_PEERS_DIR, *python;
	char secs_arg[32], runs_arg[32], script[PATH_MAX], prog[PATH_MAX];
	char err[256];
	char *pargv[8];
	unsigned long secs = 5, runs = 5, millions = 0, passes = 0;
	size_t npeers = 0, i;
	long rss0, rss_load, rss1, rss2;
	double t0;
	bool want_peers = false, no_cache = false, no_spec = false;
	int ch, rc;
	char *end;

	bench_prog = "mxspf-bench";
	while ((ch = getopt_long(argc, argv, "t:r:m:p:nSh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't':
		case 'r':
		case 'm':
		case 'p': {
			unsigned long v, max;

			max = ch == 't' ? BENCH_MAX_SECONDS : ch == 'r' ?
			    BENCH_MAX_RUNS : ch == 'm' ? BENCH_MAX_MILLIONS :
			    ULONG_MAX / 4;
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v > max || (v == 0 && ch != 'm'))
				die("-%c: expected a number from 1 to %lu",
				    ch, max);
			if (ch == 't')
				secs = v;
			else if (ch == 'r')
				runs = v;
			else if (ch == 'm')
				millions = v;
			else
				passes = v;
			break;
		}
		case 'n':
			no_cache = true;
			break;
		case 'S':
			no_spec = true;
			break;
		case 'P':
			want_peers = true;
			break;
		case 'D':
			peers_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();

	memset(&b, 0, sizeof(b));
	b.path = argv[optind];
	rss0 = proc_status_kb("VmRSS");
	t0 = now_mono();
	load_tests(&b);
	if ((rc = mxspf_zone_new(&b.zone)) != 0)
		die("mxspf_zone_new: %s", mxspf_strerror(rc));
	err[0] = '\0';
	if ((rc = mxspf_zone_load_file(b.zone, b.path, 0, err,
	    sizeof(err))) != 0)
		die("%s: zonedata: %s (%s)", b.path, err, mxspf_strerror(rc));
	mxspf_config_init(&cfg);
	if (no_cache)
		cfg.record_cache_size = 0;
	if (no_spec)
		cfg.speculative = false;
	b.record_cache_size = cfg.record_cache_size;
	if ((rc = mxspf_ctx_new(&b.ctx, &cfg)) != 0)
		die("mxspf_ctx_new: %s", mxspf_strerror(rc));
#ifdef __GLIBC__
	/* Give the freed YAML parse trees back, so that RSS shows what the
	 * zone, the tests and the library hold. */
	malloc_trim(0);
#endif
	rss_load = proc_status_kb("VmRSS");
	printf("mxspf-bench %s: %s: %zu queries, loaded in %.1f ms\n",
	    MXSPF_VERSION, b.path, b.ntests, (now_mono() - t0) * 1e3);
	printf("context: default configuration%s%s; record cache %zu "
	    "records%s; speculative prefetch %s\n", no_cache ? ", -n" : "",
	    no_spec ? ", -S" : "", b.record_cache_size,
	    b.record_cache_size == 0 ? " (OFF)" : "",
	    cfg.speculative ? "on" : "off");

	memset(&ours, 0, sizeof(ours));
	snprintf(ours.name, sizeof(ours.name), "mxspf %s (C)", MXSPF_VERSION);
	ours.total = b.ntests;
	ours.agree = verify(&b);
	printf("agreement: %zu/%zu with the expected results\n", ours.agree,
	    b.ntests);
	rss1 = proc_status_kb("VmRSS");

	if (passes > 0) {
		double c0 = now_cpu();

		t0 = now_mono();
		for (i = 0; i < passes; i++)
			(void)run_pass(&b);
		printf("profile: %lu passes, %zu checks, %.3f s, %.2f us/check "
		    "CPU\n", passes, (size_t)passes * b.ntests,
		    now_mono() - t0, (now_cpu() - c0) * 1e6 /
		    ((double)passes * (double)b.ntests));
		goto out;
	}

	printf("timing: %lu runs, each of whole passes lasting >= %lu s\n",
	    runs, secs);
	print_load("before");
	timed_runs(&b, (double)secs, (size_t)runs, &ours);
	rss2 = proc_status_kb("VmRSS");
	print_load("after");
	printf("median: %.0f checks/s, %.2f us per check (wall), %.2f us "
	    "per check (CPU)\n", ours.checks_per_sec,
	    1e6 / ours.checks_per_sec, ours.cpu_us);
	printf("memory: VmRSS %ld kB at start, %ld kB after loading, %ld kB "
	    "after the first pass, %ld kB after the runs; VmHWM %ld kB\n",
	    rss0, rss_load, rss1, rss2, proc_status_kb("VmHWM"));
	if (b.errors > 0)
		printf("WARNING: %zu library errors during checks\n",
		    b.errors);

	if (millions > 0)
		flat_memory(&b, (size_t)millions);

	if (want_peers) {
		snprintf(secs_arg, sizeof(secs_arg), "%lu", secs);
		snprintf(runs_arg, sizeof(runs_arg), "%lu", runs);
		if ((python = getenv("MXSPF_BENCH_PYTHON")) == NULL)
			python = "/usr/bin/python3";
		snprintf(script, sizeof(script), "%s/pyspf_bench.py",
		    peers_dir);
		pargv[0] = (char *)python;
		pargv[1] = script;
		pargv[2] = (char *)"-t";
		pargv[3] = secs_arg;
		pargv[4] = (char *)"-r";
		pargv[5] = runs_arg;
		pargv[6] = (char *)b.path;
		pargv[7] = NULL;
		printf("\npeer: %s %s\n", python, script);
		memset(&peers[npeers], 0, sizeof(peers[npeers]));
		snprintf(peers[npeers].name, sizeof(peers[npeers].name),
		    "pyspf");
		if (run_peer(pargv, &peers[npeers]))
			npeers++;
		snprintf(prog, sizeof(prog), "%s/libspf2-bench",
		    MXSPF_BENCH_BINARY_DIR);
		if (access(prog, X_OK) == 0) {
			pargv[0] = prog;
			pargv[1] = (char *)"-t";
			pargv[2] = secs_arg;
			pargv[3] = (char *)"-r";
			pargv[4] = runs_arg;
			pargv[5] = (char *)b.path;
			pargv[6] = NULL;
			printf("\npeer: %s\n", prog);
			memset(&peers[npeers], 0, sizeof(peers[npeers]));
			snprintf(peers[npeers].name,
			    sizeof(peers[npeers].name), "libspf2");
			if (run_peer(pargv, &peers[npeers]))
				npeers++;
		} else
			printf("\npeer: %s not built (no libspf2-dev); using "
			    "the published figure\n", prog);
	}
	print_table(&ours, peers, npeers);
	for (i = 0; i < npeers; i++)
		free((char *)peers[i].note);
out:
	mxspf_ctx_free(b.ctx);
	mxspf_zone_free(b.zone);
	free_tests(&b);
	return 0;
}
