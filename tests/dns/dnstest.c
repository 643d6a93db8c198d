/* tests/dns/dnstest.c - helpers shared by the DNS driver tests.
 * Owns: the server addresses read once from the environment.
 * Must not: query anything but loopback.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dnstest.h"

static const char *dt_ns;	/* 127.0.0.1@PORT: nsd */
static const char *dt_dead;	/* 127.0.0.2@PORT: nothing listens */

void
dt_init(void)
{
	dt_ns = getenv("MXSPF_TEST_NS");
	dt_dead = getenv("MXSPF_TEST_DEAD");
	if (dt_ns == NULL || dt_dead == NULL) {
		fprintf(stderr,
		    "**********************************************\n"
		    "SKIP: MXSPF_TEST_NS / MXSPF_TEST_DEAD not set.\n"
		    "SKIP: run me as: tests/dns/nsd.sh run tests/dns/zones"
		    " PROGRAM\n"
		    "**********************************************\n");
		exit(DT_SKIP);
	}
}

double
dt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct mxspf_ub *
dt_ub_new(enum dt_setup setup)
{
	return dt_ub_new_cache(setup, true);
}

struct mxspf_ub *
dt_ub_new_cache(enum dt_setup setup, bool cache)
{
	/* Unbound blocks these reverse zones (RFC 5737, RFC 3849) by
	 * default; the test server has them. */
	static const char *const opts[] = {
		"local-zone:", "2.0.192.in-addr.arpa. transparent",
		"local-zone:", "8.b.d.0.1.0.0.2.ip6.arpa. transparent",
		NULL
	};
	/* A dead server gives up after ~2 s instead of ~17 s. */
	static const char *const dead_opts[] = {
		"infra-cache-max-rtt:", "1000",
		NULL
	};
	struct mxspf_ub_config cfg;
	struct mxspf_ub *ub;
	const char *fwd[1];
	char err[256];
	int r;

	mxspf_ub_config_init(&cfg);
	cfg.options = opts;
	switch (setup) {
	case DT_STUB:
		cfg.stub_zone = "dns.test";
		cfg.stub_addr = dt_ns;
		break;
	case DT_FWD:
		fwd[0] = dt_ns;
		cfg.forwarders = fwd;
		cfg.nforwarders = 1;
		break;
	case DT_SPLIT:
		cfg.stub_zone = "dns.test";
		cfg.stub_addr = dt_ns;
		fwd[0] = dt_dead;
		cfg.forwarders = fwd;
		cfg.nforwarders = 1;
		break;
	case DT_DEAD:
		fwd[0] = dt_dead;
		cfg.forwarders = fwd;
		cfg.nforwarders = 1;
		cfg.options = dead_opts;
		break;
	}
	if (!cache)
		cfg.cache_entries = 0;
	if ((r = mxspf_ub_new(&ub, &cfg, err, sizeof(err))) != 0) {
		fprintf(stderr, "mxspf_ub_new: %d: %s\n", r, err);
		abort();
	}
	return ub;
}

bool
dt_run(struct mxspf_ub *ub, bool (*until)(void *), void *arg,
    double seconds)
{
	double deadline = dt_now() + seconds;
	struct pollfd pfd;

	while (!until(arg)) {
		double left = deadline - dt_now();

		if (left <= 0)
			return false;
		pfd.fd = mxspf_ub_fd(ub);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left > 0.1 ? 100 : (int)(left * 1000) + 1) >
		    0 && mxspf_ub_process(ub) != 0) {
			fprintf(stderr, "mxspf_ub_process failed\n");
			return false;
		}
	}
	return true;
}

/* dt_never - a condition that never holds */
static bool
dt_never(void *arg)
{
	(void)arg;
	return false;
}

void
dt_idle(struct mxspf_ub *ub, double seconds)
{
	(void)dt_run(ub, dt_never, NULL, seconds);
}
