/* tests/dns/dnstest.h - helpers shared by the DNS driver tests.
 * Owns: the resolver set-ups the tests use (stub, forwarder, split, dead
 * server) and the poll() loop that drives an mxspf_ub with a deadline.
 * Must not: talk to anything but the loopback servers named by
 * MXSPF_TEST_NS / MXSPF_TEST_DEAD (set by tests/dns/nsd.sh).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_DNSTEST_H
#define MXSPF_DNSTEST_H

#include <stdbool.h>

#include "mxspf/unbound.h"

#define DT_SKIP 77		/* exit status CTest reads as "skipped" */

/* How a test resolver reaches the test server. */
enum dt_setup {
	DT_STUB,	/* stub zone dns.test -> the server */
	DT_FWD,		/* forward everything to the server */
	DT_SPLIT,	/* stub dns.test -> the server, the rest -> dead */
	DT_DEAD		/* forward everything to a dead address */
};

/* dt_init - read the server addresses from the environment; exit 77
 * loudly when the test is not run under nsd.sh */
void dt_init(void);
/* dt_now - monotonic seconds */
double dt_now(void);
/* dt_ub_new - a resolver for one of the set-ups; aborts on failure */
struct mxspf_ub *dt_ub_new(enum dt_setup setup);
/* dt_ub_new_cache - the same, with mxspf's answer cache on or off */
struct mxspf_ub *dt_ub_new_cache(enum dt_setup setup, bool cache);
/* dt_run - process answers until *until(arg) or the deadline passes;
 * @return true if until(arg) became true */
bool dt_run(struct mxspf_ub *ub, bool (*until)(void *), void *arg,
    double seconds);
/* dt_idle - process answers for a while, whatever happens */
void dt_idle(struct mxspf_ub *ub, double seconds);

#endif
