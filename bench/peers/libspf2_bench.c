/* bench/peers/libspf2_bench.c - libspf2-bench: the libspf2 peer of
 * mxspf-bench on the same workload file.
 * Owns: loading the workload's zonedata into libspf2's own in-memory DNS
 * layer (SPF_dns_zone_new / SPF_dns_zone_add_str: an unsorted list that
 * is searched linearly, libspf2's test-suite layer) and its tests, timed
 * runs like mxspf-bench's, and the "key: value" report mxspf-bench --peers
 * reads.  Must not: touch the network (the zone layer has no layer below
 * it, so a missing name is HOST_NOT_FOUND, never a real query).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <errno.h>
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

#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#define MAX_WANT	8
#define MAX_RUNS	100
#define MAX_SECONDS	3600
#define MAX_SHOWN	10
#define MAX_RDATA	4096

struct test {
	char *name;
	char *host;
	char *mailfrom;
	char *helo;
	char *want[MAX_WANT];
	size_t nwant;
	const char *got;
};

static struct test *tests;
static size_t ntests;
static size_t unsupported;	/* zone entries the zone layer cannot hold */

static void add_want(yaml_document_t *doc, yaml_node_t *n, struct test *t);
static void add_rr(SPF_dns_server_t *dns, const char *name,
    yaml_document_t *doc, yaml_node_t *rr);
static void load(const char *path, SPF_dns_server_t *dns);
static double now_mono(void);
static double now_cpu(void);
static const char *check(SPF_server_t *srv, const struct test *t);
static int cmp_double(const void *a, const void *b);

/* add_want - the expected result: one name or a list of names */
static void
add_want(yaml_document_t *doc, yaml_node_t *n, struct test *t)
{
	yaml_node_item_t *i;
	const char *v;
	size_t len;

	if (n != NULL && n->type == YAML_SEQUENCE_NODE) {
		for (i = n->data.sequence.items.start;
		    i < n->data.sequence.items.top; i++)
			add_want(doc, yaml_document_get_node(doc, *i), t);
		return;
	}
	if ((v = scalar(n, &len)) == NULL || t->nwant == MAX_WANT)
		die("test %s: bad result", t->name);
	t->want[t->nwant++] = xstrndup(v, len);
}

/* add_rr - one "{TYPE: value}" entry of zonedata into the zone layer */
static void
add_rr(SPF_dns_server_t *dns, const char *name, yaml_document_t *doc,
    yaml_node_t *rr)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *i;
	yaml_node_t *v;
	const char *type, *s;
	char data[MAX_RDATA];
	size_t len, off;
	ns_type t;

	if (scalar(rr, &len) != NULL && len == 7 &&
	    memcmp(scalar(rr, NULL), "TIMEOUT", 7) == 0) {
		SPF_dns_zone_add_str(dns, name, ns_t_any, TRY_AGAIN, NULL);
		return;
	}
	if (rr == NULL || rr->type != YAML_MAPPING_NODE)
		die("%s: bad zonedata entry", name);
	for (p = rr->data.mapping.pairs.start;
	    p < rr->data.mapping.pairs.top; p++) {
		type = scalar(yaml_document_get_node(doc, p->key), NULL);
		v = yaml_document_get_node(doc, p->value);
		if (type == NULL || v == NULL)
			die("%s: bad zonedata entry", name);
		data[0] = '\0';
		if (strcmp(type, "MX") == 0 &&
		    v->type == YAML_SEQUENCE_NODE &&
		    v->data.sequence.items.top -
		    v->data.sequence.items.start == 2) {
			i = v->data.sequence.items.start;
			snprintf(data, sizeof(data), "%s %s",
			    scalar(yaml_document_get_node(doc, i[0]), NULL),
			    scalar(yaml_document_get_node(doc, i[1]), NULL));
			t = ns_t_mx;
		} else if ((strcmp(type, "TXT") == 0 ||
		    strcmp(type, "SPF") == 0) &&
		    v->type == YAML_SEQUENCE_NODE) {
			/* Character-strings are joined, as libspf2 does. */
			off = 0;
			for (i = v->data.sequence.items.start;
			    i < v->data.sequence.items.top; i++) {
				s = scalar(yaml_document_get_node(doc, *i),
				    &len);
				if (s == NULL || len >= sizeof(data) - off)
					die("%s: bad TXT", name);
				memcpy(data + off, s, len);
				off += len;
				data[off] = '\0';
			}
			t = strcmp(type, "TXT") == 0 ? ns_t_txt : ns_t_spf;
		} else if ((s = scalar(v, &len)) != NULL &&
		    len < sizeof(data)) {
			memcpy(data, s, len + 1);
			if (strcmp(type, "A") == 0)
				t = ns_t_a;
			else if (strcmp(type, "AAAA") == 0)
				t = ns_t_aaaa;
			else if (strcmp(type, "TXT") == 0)
				t = ns_t_txt;
			else if (strcmp(type, "SPF") == 0)
				t = ns_t_spf;
			else if (strcmp(type, "PTR") == 0)
				t = ns_t_ptr;
			else {
				unsupported++;	/* CNAME and others */
				continue;
			}
		} else {
			unsupported++;
			continue;
		}
		if (strcmp(data, "TIMEOUT") == 0)
			SPF_dns_zone_add_str(dns, name, t, TRY_AGAIN, NULL);
		else if (SPF_dns_zone_add_str(dns, name, t, NETDB_SUCCESS,
		    data) != SPF_E_SUCCESS)
			unsupported++;
	}
}

/* load - the first document's tests, and its zonedata into dns */
static void
load(const char *path, SPF_dns_server_t *dns)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *tn, *zn, *v;
	yaml_node_pair_t *p;
	yaml_node_item_t *i;
	struct test *t;
	const char *k;
	char *name;
	size_t klen, n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&parser))
		die("out of memory");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc))
		die("%s:%zu: %s", path, (size_t)parser.problem_mark.line + 1,
		    parser.problem != NULL ? parser.problem : "bad YAML");
	root = yaml_document_get_root_node(&doc);
	tn = map_get(&doc, root, "tests");
	zn = map_get(&doc, root, "zonedata");
	if (tn == NULL || tn->type != YAML_MAPPING_NODE ||
	    zn == NULL || zn->type != YAML_MAPPING_NODE)
		die("%s: no tests or zonedata", path);
	n = (size_t)(tn->data.mapping.pairs.top -
	    tn->data.mapping.pairs.start);
	if ((tests = calloc(n, sizeof(*tests))) == NULL)
		die("out of memory");
	for (p = tn->data.mapping.pairs.start;
	    p < tn->data.mapping.pairs.top; p++) {
		t = &tests[ntests++];
		k = scalar(yaml_document_get_node(&doc, p->key), &klen);
		v = yaml_document_get_node(&doc, p->value);
		if (k == NULL)
			die("%s: bad test name", path);
		t->name = xstrndup(k, klen);
		t->host = map_get_str(&doc, v, "host");
		t->mailfrom = map_get_str(&doc, v, "mailfrom");
		t->helo = map_get_str(&doc, v, "helo");
		if (t->host == NULL)
			die("test %s: no host", t->name);
		add_want(&doc, map_get(&doc, v, "result"), t);
	}
	for (p = zn->data.mapping.pairs.start;
	    p < zn->data.mapping.pairs.top; p++) {
		k = scalar(yaml_document_get_node(&doc, p->key), &klen);
		v = yaml_document_get_node(&doc, p->value);
		if (k == NULL || v == NULL || v->type != YAML_SEQUENCE_NODE)
			die("%s: bad zonedata", path);
		name = xstrndup(k, klen);
		for (i = v->data.sequence.items.start;
		    i < v->data.sequence.items.top; i++)
			add_rr(dns, name, &doc, yaml_document_get_node(&doc,
			    *i));
		free(name);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
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

/* check - one MAIL FROM check from the test's text inputs; @return the
 * result name libspf2 gives, or "error" */
static const char *
check(SPF_server_t *srv, const struct test *t)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	const char *r = "error";

	if ((req = SPF_request_new(srv)) == NULL)
		die("out of memory");
	if ((strchr(t->host, ':') != NULL ?
	    SPF_request_set_ipv6_str(req, t->host) :
	    SPF_request_set_ipv4_str(req, t->host)) != SPF_E_SUCCESS)
		goto out;
	if (t->helo != NULL)
		SPF_request_set_helo_dom(req, t->helo);
	if (SPF_request_set_env_from(req,
	    t->mailfrom != NULL ? t->mailfrom : "") != 0)
		goto out;
	SPF_request_query_mailfrom(req, &resp);
	if (resp != NULL)
		r = SPF_strresult(SPF_response_result(resp));
out:
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	return r;
}

/* cmp_double - qsort order of doubles */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	SPF_dns_server_t *dns;
	SPF_server_t *srv;
	double rate[MAX_RUNS], cpu[MAX_RUNS], t0, c0, el;
	unsigned long secs = 5, runs = 5, v;
	size_t i, j, r, agree = 0, shown = 0, checks;
	char *end;
	int ch;
	bool ok;

	bench_prog = "libspf2-bench";
	while ((ch = getopt(argc, argv, "t:r:")) != -1) {
		if (ch != 't' && ch != 'r')
			die("usage: libspf2-bench [-t secs] [-r runs] "
			    "workload.yml");
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno != 0 || end == optarg || *end != '\0' || v == 0 ||
		    v > (ch == 't' ? MAX_SECONDS : MAX_RUNS))
			die("-%c: bad number", ch);
		if (ch == 't')
			secs = v;
		else
			runs = v;
	}
	if (optind + 1 != argc)
		die("usage: libspf2-bench [-t secs] [-r runs] workload.yml");
	if ((dns = SPF_dns_zone_new(NULL, "bench", 0)) == NULL)
		die("SPF_dns_zone_new failed");
	load(argv[optind], dns);
	if ((srv = SPF_server_new_dns(dns, 0)) == NULL)
		die("SPF_server_new_dns failed");

	for (i = 0; i < ntests; i++) {
		tests[i].got = check(srv, &tests[i]);
		ok = false;
		for (j = 0; j < tests[i].nwant; j++)
			if (strcmp(tests[i].want[j], tests[i].got) == 0)
				ok = true;
		if (ok)
			agree++;
		else if (shown++ < MAX_SHOWN)
			printf("disagree: %s: got %s, expected %s\n",
			    tests[i].name, tests[i].got, tests[i].want[0]);
	}
	for (r = 0; r < runs; r++) {
		checks = 0;
		c0 = now_cpu();
		t0 = now_mono();
		do {
			for (i = 0; i < ntests; i++)
				(void)check(srv, &tests[i]);
			checks += ntests;
			el = now_mono() - t0;
		} while (el < (double)secs);
		rate[r] = (double)checks / el;
		cpu[r] = (now_cpu() - c0) * 1e6 / (double)checks;
		printf("run %zu: %zu checks in %.2f s: %.0f checks/s\n", r + 1,
		    checks, el, rate[r]);
		fflush(stdout);
	}
	qsort(rate, runs, sizeof(rate[0]), cmp_double);
	qsort(cpu, runs, sizeof(cpu[0]), cmp_double);
	printf("peer: libspf2 %d.%d.%d (C), zone layer\n",
	    SPF_LIB_VERSION_MAJOR, SPF_LIB_VERSION_MINOR,
	    SPF_LIB_VERSION_PATCH);
	printf("checks_per_sec: %.1f\n", rate[runs / 2]);
	printf("cpu_us_per_check: %.2f\n", cpu[runs / 2]);
	printf("agreement: %zu/%zu\n", agree, ntests);
	if (unsupported > 0)
		printf("note: %zu zone entries the zone layer cannot hold "
		    "were skipped\n", unsupported);
	SPF_server_free(srv);
	for (i = 0; i < ntests; i++) {
		free(tests[i].name);
		free(tests[i].host);
		free(tests[i].mailfrom);
		free(tests[i].helo);
		for (j = 0; j < tests[i].nwant; j++)
			free(tests[i].want[j]);
	}
	free(tests);
	return 0;
}
