/* cmd/mxspfd/stats.c - mxspfd's counters and its statistics log line.
 *
 * Counts requests by protocol state, recipient decisions by SPF result,
 * relay trust (exempt, configured, MX; trust lookups that failed on DNS),
 * actions (accept, reject, defer, and what test mode kept from rejecting
 * or deferring), DNS failures, our own failures, configuration reloads,
 * and the latency of recipient decisions in a log-linear histogram (four
 * buckets per power of two of microseconds: a percentile is reported as
 * its bucket's upper bound, at most 19% above the true value).
 *
 * The line is logged every stats_interval, on SIGUSR1 and at exit; the
 * counters run from the start of the process (a reload keeps them).
 *
 * Owns: struct stats (one per daemon, touched only by the loop thread).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "mxspfd.h"

static unsigned lat_bucket(uint64_t us);
static uint64_t lat_upper(unsigned b);
static uint64_t lat_percentile(const struct stats *s, unsigned pct);
static void put_us(struct mxspf_buf *b, const char *key, uint64_t us);

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->start);
}

/* lat_bucket - the histogram bucket of a latency of us microseconds:
 * values below 4 have their own bucket; above, 4 per power of two */
static unsigned
lat_bucket(uint64_t us)
{
	unsigned e = 0, b;

	if (us < 4)
		return (unsigned)us;
	while ((us >> e) >= 8)
		e++;
	/* us >> e is 4..7: the two bits below the top one. */
	b = 4 + e * 4 + (unsigned)((us >> e) - 4);
	return b < STATS_LAT_BUCKETS ? b : STATS_LAT_BUCKETS - 1;
}

/* lat_upper - the largest latency that falls in bucket b */
static uint64_t
lat_upper(unsigned b)
{
	unsigned e;

	if (b < 4)
		return b;
	e = (b - 4) / 4;
	return (((uint64_t)((b - 4) % 4) + 5) << e) - 1;
}

void
stats_request(struct stats *s, enum req_state st)
{
	s->requests++;
	switch (st) {
	case REQ_ST_RCPT:
		s->rcpt++;
		break;
	case REQ_ST_DATA:
		s->data++;
		break;
	case REQ_ST_EOM:
	case REQ_ST_OTHER:
		s->other++;
		break;
	}
}

void
stats_decision(struct stats *s, const struct mxspf_rcpt_result *res,
    uint64_t us)
{
	const struct mxspf_decision *dc = &res->decision;

	s->decisions++;
	if (res->spf == NULL)
		s->spf_unchecked++;
	else if ((unsigned)res->spf->result < STATS_RESULTS)
		s->spf[res->spf->result]++;
	if (res->spf != NULL && res->spf->result == MXSPF_TEMPERROR)
		s->dns_failures++;
	switch (res->relay) {
	case MXSPF_RELAY_EXEMPT:
		s->relay_exempt++;
		break;
	case MXSPF_RELAY_CONFIGURED:
		s->relay_configured++;
		break;
	case MXSPF_RELAY_MX:
		s->relay_mx++;
		break;
	case MXSPF_RELAY_NONE:
		break;
	}
	if (res->trust != NULL && res->trust->outcome == MXSPF_TRUST_DNSERR) {
		s->trust_dnserr++;
		s->dns_failures++;
	}
	switch (dc->act) {
	case MXSPF_ACT_ACCEPT:
		s->accept++;
		break;
	case MXSPF_ACT_REJECT:
		s->reject++;
		break;
	case MXSPF_ACT_DEFER:
		s->defer++;
		break;
	}
	if (dc->would_act)
		s->test_mode_kept++;
	s->lat[lat_bucket(us)]++;
	if (us > s->lat_max)
		s->lat_max = us;
}

/* lat_percentile - the upper bound of the pct-th percentile bucket */
static uint64_t
lat_percentile(const struct stats *s, unsigned pct)
{
	uint64_t n = 0, want, seen = 0;
	unsigned b;

	for (b = 0; b < STATS_LAT_BUCKETS; b++)
		n += s->lat[b];
	if (n == 0)
		return 0;
	want = (n * pct + 99) / 100;
	for (b = 0; b < STATS_LAT_BUCKETS; b++) {
		seen += s->lat[b];
		if (seen >= want)
			break;
	}
	if (b >= STATS_LAT_BUCKETS)
		b = STATS_LAT_BUCKETS - 1;
	return lat_upper(b) < s->lat_max ? lat_upper(b) : s->lat_max;
}

/* put_us - " KEY=N.NNNms" */
static void
put_us(struct mxspf_buf *b, const char *key, uint64_t us)
{
	mxspf_buf_appendf(b, " %s=%llu.%03llums", key,
	    (unsigned long long)(us / 1000),
	    (unsigned long long)(us % 1000));
}

int
stats_format(const struct stats *s, const char *why, size_t conns,
    size_t inflight, struct mxspf_buf *b)
{
	struct timespec now;
	unsigned r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	mxspf_buf_appendf(b, "stats (%s): uptime=%llds connections=%zu "
	    "in_flight=%zu requests=%llu rcpt=%llu data=%llu other=%llu "
	    "bad_requests=%llu", why,
	    (long long)(now.tv_sec - s->start.tv_sec), conns, inflight,
	    (unsigned long long)s->requests, (unsigned long long)s->rcpt,
	    (unsigned long long)s->data, (unsigned long long)s->other,
	    (unsigned long long)s->bad_requests);
	for (r = 0; r < STATS_RESULTS; r++)
		mxspf_buf_appendf(b, " spf_%s=%llu",
		    mxspf_result_name((enum mxspf_result)r),
		    (unsigned long long)s->spf[r]);
	mxspf_buf_appendf(b, " spf_not_checked=%llu trusted_mx=%llu "
	    "trusted_configured=%llu exempt=%llu trust_dns_errors=%llu "
	    "dns_failures=%llu accept=%llu reject=%llu defer=%llu "
	    "test_mode_kept=%llu busy=%llu errors=%llu reloads=%llu "
	    "reload_failures=%llu",
	    (unsigned long long)s->spf_unchecked,
	    (unsigned long long)s->relay_mx,
	    (unsigned long long)s->relay_configured,
	    (unsigned long long)s->relay_exempt,
	    (unsigned long long)s->trust_dnserr,
	    (unsigned long long)s->dns_failures,
	    (unsigned long long)s->accept, (unsigned long long)s->reject,
	    (unsigned long long)s->defer,
	    (unsigned long long)s->test_mode_kept,
	    (unsigned long long)s->busy, (unsigned long long)s->errors,
	    (unsigned long long)s->reloads,
	    (unsigned long long)s->reload_failures);
	put_us(b, "latency_p50", lat_percentile(s, 50));
	put_us(b, "latency_p90", lat_percentile(s, 90));
	put_us(b, "latency_p99", lat_percentile(s, 99));
	put_us(b, "latency_max", s->lat_max);
	return b->err;
}

void
stats_log(const struct stats *s, const char *why, size_t conns,
    size_t inflight)
{
	struct mxspf_buf b;

	mxspf_buf_init(&b, 4096);
	if (stats_format(s, why, conns, inflight, &b) == 0)
		log_msg(LOG_INFO, "%s", mxspf_buf_cstr(&b));
	else
		log_msg(LOG_ERR, "cannot format the statistics line");
	mxspf_buf_free(&b);
}
