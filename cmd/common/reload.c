/* cmd/common/reload.c - what both daemons' reloads share: comparing the
 * settings that were bound at start-up (and so cannot change without a
 * restart) between the running configuration and a new one, and saying
 * so in the log.
 * Owns: nothing (pure functions over two configurations).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include <syslog.h>

#include "mxspf/policy.h"
#include "daemon.h"

static const char reload_later[] = "changed: takes effect at the next "
    "restart";

bool
reload_str_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

bool
reload_strv_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

void
reload_note_changed(const char *what, bool same)
{
	if (!same)
		log_msg(LOG_WARNING, "reload: %s %s", what, reload_later);
}

void
reload_note_resolver(const struct mxspf_conf *o, const struct mxspf_conf *n)
{
	reload_note_changed("[resolver]",
	    reload_str_same(o->resolvconf, n->resolvconf) &&
	    reload_strv_same(o->forwarders, o->nforwarders, n->forwarders,
	    n->nforwarders) && reload_str_same(o->stub_zone, n->stub_zone) &&
	    reload_str_same(o->stub_addr, n->stub_addr) &&
	    reload_str_same(o->trust_anchor_file, n->trust_anchor_file) &&
	    o->cache_entries == n->cache_entries &&
	    o->cache_memory == n->cache_memory &&
	    o->cache_max_ttl == n->cache_max_ttl);
}
