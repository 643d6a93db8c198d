/* lib/zone.h - private interface of the in-memory zone driver (lib/zone.c).
 * Owns: the declaration of the zonedata loader that the conformance runner
 * calls after it has walked the YAML documents itself.  Must not: expose
 * the layout of struct mxspf_zone.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_ZONE_H
#define MXSPF_ZONE_H

#include <stddef.h>

#include <yaml.h>

#include "mxspf/mxspf.h"

/* RR types that only the zone knows: SPF (RFC 4408, type 99) records are
 * kept under their own type as well as served as TXT. */
#define MXSPF__RR_CNAME 5
#define MXSPF__RR_SPF 99

/*
 * mxspf__zone_load_node - add the records of one openspf "zonedata" mapping
 * (owner name -> list of records) to z.  zonedata may be NULL or an empty
 * scalar (nothing is added).  The rules are those of
 * tests/conformance/README: SPF records are also served as TXT unless the
 * owner has an explicit TXT entry (TXT: NONE included), a bare TIMEOUT makes
 * queries of types without records time out, list values are joined
 * character-strings, [] is a TXT RR with no strings, text is kept byte for
 * byte (NUL and UTF-8 included).  One call adds at most 64 MiB (records
 * repeated through YAML aliases count each time), else ESYNTAX.
 * @param doc: the document that holds zonedata.
 * @param err: receives "line N: ..." on failure when errlen > 0.
 * @return 0, MXSPF_ESYNTAX, MXSPF_ENOMEM or MXSPF_EINVAL.  On failure the
 * zone may hold part of the data; free it.
 */
int mxspf__zone_load_node(struct mxspf_zone *z, yaml_document_t *doc,
    yaml_node_t *zonedata, char *err, size_t errlen);

#endif
