/* tests/conformance/conformance.c - runs the openspf RFC 7208 test suite
 * (rfc7208-tests.yml) against the evaluator, with each scenario's zonedata
 * served by the in-memory zone driver.
 *
 *	conformance [-v] [-C] [-s off|on] [-t NAME] rfc7208-tests.yml
 *
 * The whole suite runs twice, with cfg.speculative off (answers one at a
 * time through mxspf_eval_run) and then on (answers in batches, last query
 * first, as an asynchronous driver may); each
 * run prints one line per test ("ok NAME" or "FAIL NAME: ...") and ends with
 * "conformance: P passed, F failed".  -t runs one test and prints its
 * evaluation trace, -v prints the verdict's details for every test, -C
 * disables the parsed-record cache, -s runs only one of the two modes.
 * Exit status: 0 when every test passed in every run, 1 when one failed,
 * 2 on a usage, file or setup error.
 *
 * Owns: the loaded YAML documents and one context per run.  Must not: use
 * real DNS or anything outside the given file.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "zone.h"

#define ESCAPE_LIMIT 300	/* bytes of a string shown in a report */

struct opts {
	const char *only;	/* -t: the one test to run, or NULL */
	bool verbose;		/* -v */
	bool nocache;		/* -C */
	int mode;		/* -s: -1 both, 0 off, 1 on */
};

struct stats {
	size_t passed;
	size_t failed;
};

struct suite {
	yaml_document_t *docs;
	size_t ndocs;
};

static void usage(void);
static int suite_load(struct suite *s, const char *path);
static void suite_free(struct suite *s);
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map,
    const char *key);
static const char *scalar(yaml_node_t *node);
static void put_escaped(const char *p, size_t len);
static bool result_matches(yaml_document_t *doc, yaml_node_t *want,
    const char *got);
static void print_expected(yaml_document_t *doc, yaml_node_t *want);
static void print_details(const struct mxspf_verdict *v, const char *spec);
static bool run_test(struct mxspf_ctx *ctx, struct mxspf_zone *zone,
    yaml_document_t *doc, const char *name, yaml_node_t *test,
    const struct opts *o);
static int run_doc(struct mxspf_ctx *ctx, yaml_document_t *doc,
    const struct opts *o, struct stats *st, size_t *seen);
/* With speculation on, the suite is driven like an asynchronous driver:
 * every query handed out is collected first, then all are answered in
 * reverse order (mxspf_eval_run() would answer one at a time and never
 * speculate). */
static bool drive_async;

/* run_out_of_order - evaluate, answering each batch of queries LIFO */
static int
run_out_of_order(struct mxspf_eval *ev, struct mxspf_zone *zone)
{
	const struct mxspf_query *batch[1024];
	size_t n;
	int rc;

	while ((rc = mxspf_eval_step(ev)) == MXSPF_STEP_QUERY) {
		n = 0;
		while (n < sizeof(batch) / sizeof(batch[0]) &&
		    (batch[n] = mxspf_eval_next_query(ev)) != NULL)
			n++;
		if (n == 0)
			return MXSPF_ESTATE;
		while (n > 0) {
			n--;
			mxspf_zone_resolve(zone, ev, batch[n]);
		}
	}
	return rc < 0 ? rc : 0;
}

static int run_suite(struct suite *s, bool speculative,
    const struct opts *o, struct stats *st, size_t *seen);

/* usage - print the synopsis and exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: conformance [-vC] [-s off|on] [-t NAME] "
	    "rfc7208-tests.yml\n");
	exit(2);
}

/* suite_load - parse every document of the file */
static int
suite_load(struct suite *s, const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc, *nd;
	FILE *fp;
	int rc = -1;

	s->docs = NULL;
	s->ndocs = 0;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		perror(path);
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	yaml_parser_set_input_file(&parser, fp);
	for (;;) {
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(stderr, "%s: line %zu: %s\n", path,
			    (size_t)parser.problem_mark.line + 1,
			    parser.problem != NULL ? parser.problem :
			    "YAML error");
			break;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			rc = 0;
			break;
		}
		nd = realloc(s->docs, (s->ndocs + 1) * sizeof(*nd));
		if (nd == NULL) {
			yaml_document_delete(&doc);
			fprintf(stderr, "%s: out of memory\n", path);
			break;
		}
		s->docs = nd;
		s->docs[s->ndocs++] = doc;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

/* suite_free - free the documents */
static void
suite_free(struct suite *s)
{
	size_t i;

	for (i = 0; i < s->ndocs; i++)
		yaml_document_delete(&s->docs[i]);
	free(s->docs);
}

/* map_get - the value of key in a mapping node, or NULL */
static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(doc, pair->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* scalar - the text of a scalar node (floats such as spec 4.6 stay text),
 * or NULL */
static const char *
scalar(yaml_node_t *node)
{
	if (node == NULL || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

/* put_escaped - print untrusted bytes with \xNN escapes */
static void
put_escaped(const char *p, size_t len)
{
	struct mxspf_buf b;

	mxspf_buf_init(&b, 4 * ESCAPE_LIMIT + 8);
	mxspf_buf_put_escaped(&b, p, len, ESCAPE_LIMIT);
	fputs(b.err == 0 ? mxspf_buf_cstr(&b) : "(?)", stdout);
	mxspf_buf_free(&b);
}

/* result_matches - whether got is the expected result or one of the list */
static bool
result_matches(yaml_document_t *doc, yaml_node_t *want, const char *got)
{
	yaml_node_item_t *it;
	const char *s;

	if ((s = scalar(want)) != NULL)
		return strcmp(s, got) == 0;
	if (want == NULL || want->type != YAML_SEQUENCE_NODE)
		return false;
	for (it = want->data.sequence.items.start;
	    it < want->data.sequence.items.top; it++) {
		s = scalar(yaml_document_get_node(doc, *it));
		if (s != NULL && strcmp(s, got) == 0)
			return true;
	}
	return false;
}

/* print_expected - print the expected result or "[a, b]" */
static void
print_expected(yaml_document_t *doc, yaml_node_t *want)
{
	yaml_node_item_t *it;
	const char *s;

	if ((s = scalar(want)) != NULL) {
		fputs(s, stdout);
		return;
	}
	if (want == NULL || want->type != YAML_SEQUENCE_NODE) {
		fputs("(missing)", stdout);
		return;
	}
	fputs("[", stdout);
	for (it = want->data.sequence.items.start;
	    it < want->data.sequence.items.top; it++) {
		s = scalar(yaml_document_get_node(doc, *it));
		printf("%s%s", it == want->data.sequence.items.start ? "" :
		    ", ", s != NULL ? s : "?");
	}
	fputs("]", stdout);
}

/* print_details - the -v lines of one verdict */
static void
print_details(const struct mxspf_verdict *v, const char *spec)
{
	printf("    spec %s; %s (%s); domain %s; mechanism %s at %zu in %s\n",
	    spec != NULL ? spec : "?", mxspf_result_name(v->result),
	    mxspf_reason_name(v->reason), v->domain ? v->domain : "-",
	    v->mechanism ? v->mechanism : "-", v->mech_offset,
	    v->mech_domain ? v->mech_domain : "-");
	printf("    dns_terms %zu, void_lookups %zu, queries %zu\n",
	    v->dns_terms, v->void_lookups, v->queries);
	if (v->problem != NULL) {
		fputs("    problem: ", stdout);
		put_escaped(v->problem, strlen(v->problem));
		fputs("\n", stdout);
	}
	if (v->explanation != NULL) {
		fputs("    explanation: ", stdout);
		put_escaped(v->explanation, strlen(v->explanation));
		fputs("\n", stdout);
	}
}

/* run_test - evaluate one test and print its line; true when it passed */
static bool
run_test(struct mxspf_ctx *ctx, struct mxspf_zone *zone,
    yaml_document_t *doc, const char *name, yaml_node_t *test,
    const struct opts *o)
{
	const struct mxspf_verdict *v;
	struct mxspf_request req;
	struct mxspf_eval *ev = NULL;
	yaml_node_t *want, *expl;
	const char *host, *got;
	bool ok, expl_ok = true;
	int rc;

	host = scalar(map_get(doc, test, "host"));
	want = map_get(doc, test, "result");
	expl = map_get(doc, test, "explanation");
	memset(&req, 0, sizeof(req));
	req.sender = scalar(map_get(doc, test, "mailfrom"));
	req.helo = scalar(map_get(doc, test, "helo"));
	req.identity = MXSPF_ID_MAILFROM;
	if (req.sender == NULL)
		req.sender = "";
	if (host == NULL || mxspf_addr_parse(host, &req.client) != 0) {
		printf("FAIL %s: bad host \"%s\"\n", name, host ? host : "");
		return false;
	}
	rc = mxspf_eval_new(&ev, ctx, &req);
	if (rc == 0)
		rc = drive_async ? run_out_of_order(ev, zone) :
		    mxspf_eval_run(ev, mxspf_zone_resolve, zone);
	if (rc != 0 || (v = mxspf_eval_verdict(ev)) == NULL) {
		printf("FAIL %s: evaluation error: %s\n", name,
		    mxspf_strerror(rc));
		mxspf_eval_free(ev);
		return false;
	}
	got = mxspf_result_name(v->result);
	ok = result_matches(doc, want, got);
	if (expl != NULL && expl->type == YAML_SCALAR_NODE)
		expl_ok = v->explanation != NULL &&
		    strlen(v->explanation) == expl->data.scalar.length &&
		    memcmp(v->explanation, expl->data.scalar.value,
		    expl->data.scalar.length) == 0;
	if (ok && expl_ok)
		printf("ok %s\n", name);
	else {
		printf("FAIL %s: got %s (", name, got);
		if (v->problem != NULL)
			put_escaped(v->problem, strlen(v->problem));
		else
			fputs(mxspf_reason_name(v->reason), stdout);
		fputs("), expected ", stdout);
		print_expected(doc, want);
		if (expl != NULL && expl->type == YAML_SCALAR_NODE) {
			fputs("; explanation got \"", stdout);
			if (v->explanation != NULL)
				put_escaped(v->explanation,
				    strlen(v->explanation));
			fputs("\", expected \"", stdout);
			put_escaped((const char *)expl->data.scalar.value,
			    expl->data.scalar.length);
			fputs("\"", stdout);
		}
		fputs("\n", stdout);
	}
	if (o->verbose)
		print_details(v, scalar(map_get(doc, test, "spec")));
	if (o->only != NULL)
		printf("--- trace of %s\n%s--- end of trace\n", name,
		    mxspf_eval_trace(ev));
	mxspf_eval_free(ev);
	return ok && expl_ok;
}

/* run_doc - run the tests of one scenario against its zonedata */
static int
run_doc(struct mxspf_ctx *ctx, yaml_document_t *doc, const struct opts *o,
    struct stats *st, size_t *seen)
{
	struct mxspf_zone *zone;
	yaml_node_t *root, *tests, *k;
	yaml_node_pair_t *pair;
	const char *name;
	char err[256];
	int rc;

	root = yaml_document_get_root_node(doc);
	tests = map_get(doc, root, "tests");
	if (tests == NULL || tests->type != YAML_MAPPING_NODE)
		return 0;
	if (mxspf_zone_new(&zone) != 0) {
		fprintf(stderr, "conformance: out of memory\n");
		return -1;
	}
	rc = mxspf__zone_load_node(zone, doc, map_get(doc, root, "zonedata"),
	    err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "conformance: zonedata of \"%s\": %s: %s\n",
		    scalar(map_get(doc, root, "description")),
		    mxspf_strerror(rc), err);
		mxspf_zone_free(zone);
		return -1;
	}
	for (pair = tests->data.mapping.pairs.start;
	    pair < tests->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(doc, pair->key);
		if ((name = scalar(k)) == NULL)
			continue;
		if (o->only != NULL && strcmp(o->only, name) != 0)
			continue;
		(*seen)++;
		if (run_test(ctx, zone, doc, name,
		    yaml_document_get_node(doc, pair->value), o))
			st->passed++;
		else
			st->failed++;
	}
	mxspf_zone_free(zone);
	return 0;
}

/* run_suite - one pass over every scenario with one context */
static int
run_suite(struct suite *s, bool speculative, const struct opts *o,
    struct stats *st, size_t *seen)
{
	struct mxspf_config cfg;
	struct mxspf_ctx *ctx;
	size_t i;
	int rc = 0;

	mxspf_config_init(&cfg);
	cfg.speculative = speculative;
	drive_async = speculative;
	cfg.default_exp = "DEFAULT";
	cfg.trace = o->only != NULL;
	if (o->nocache)
		cfg.record_cache_size = 0;
	if (mxspf_ctx_new(&ctx, &cfg) != 0) {
		fprintf(stderr, "conformance: cannot create a context\n");
		return -1;
	}
	printf("# speculative=%s\n", speculative ? "on" : "off");
	for (i = 0; i < s->ndocs && rc == 0; i++)
		rc = run_doc(ctx, &s->docs[i], o, st, seen);
	mxspf_ctx_free(ctx);
	if (rc == 0 && *seen > 0)
		printf("conformance: %zu passed, %zu failed\n", st->passed,
		    st->failed);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { NULL, false, false, -1 };
	struct suite s;
	struct stats st;
	size_t seen;
	bool any_failed = false;
	int c, spec;

	while ((c = getopt(argc, argv, "vCs:t:")) != -1) {
		switch (c) {
		case 'v':
			o.verbose = true;
			break;
		case 'C':
			o.nocache = true;
			break;
		case 's':
			if (strcmp(optarg, "off") == 0)
				o.mode = 0;
			else if (strcmp(optarg, "on") == 0)
				o.mode = 1;
			else
				usage();
			break;
		case 't':
			o.only = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (suite_load(&s, argv[optind]) != 0) {
		suite_free(&s);
		return 2;
	}
	for (spec = 0; spec <= 1; spec++) {
		if (o.mode != -1 && o.mode != spec)
			continue;
		memset(&st, 0, sizeof(st));
		seen = 0;
		if (run_suite(&s, spec == 1, &o, &st, &seen) != 0) {
			suite_free(&s);
			return 2;
		}
		if (seen == 0) {
			fprintf(stderr, "conformance: no test %s\n",
			    o.only != NULL ? o.only : "in the file");
			suite_free(&s);
			return 2;
		}
		if (st.failed > 0)
			any_failed = true;
	}
	suite_free(&s);
	return any_failed ? 1 : 0;
}
