/* bench/benchutil.c - the benchmark programs' shared helpers
 * (bench/benchutil.h).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"

const char *bench_prog = "bench";

void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

char *
xstrndup(const char *p, size_t len)
{
	char *s;

	if (len == SIZE_MAX || (s = malloc(len + 1)) == NULL)
		die("out of memory");
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

const char *
scalar(yaml_node_t *n, size_t *lenp)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (lenp != NULL)
		*lenp = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	const char *k;
	size_t klen;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = scalar(yaml_document_get_node(doc, pair->key), &klen);
		if (k != NULL && klen == strlen(key) &&
		    memcmp(k, key, klen) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

char *
map_get_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	const char *v;
	size_t len;

	if ((v = scalar(map_get(doc, map, key), &len)) == NULL)
		return NULL;
	return xstrndup(v, len);
}
