/* bench/benchutil.h - what the benchmark programs (mxspf-bench,
 * libspf2-bench, policy-load) share: dying with a message, and reading
 * bench/workload.yml through libyaml's document API.
 * Owns: the name the messages start with (set by each program's main).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_BENCHUTIL_H
#define MXSPF_BENCHUTIL_H

#include <stddef.h>

#include <yaml.h>

/* The program name that die() messages start with. */
extern const char *bench_prog;

/* die - print "PROG: message" and exit 1 */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));
/* xstrndup - a copy of len bytes and a NUL, or die */
char *xstrndup(const char *p, size_t len);
/* scalar - the text of a scalar node (its length in *lenp, which may be
 * NULL), or NULL for any other node */
const char *scalar(yaml_node_t *n, size_t *lenp);
/* map_get - the value of key in a mapping node, or NULL */
yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map,
    const char *key);
/* map_get_str - a copy of the scalar value of key, or NULL */
char *map_get_str(yaml_document_t *doc, yaml_node_t *map, const char *key);

#endif
