/* cmd/mxspf-milter/dns.c - the milter's DNS: one shared libunbound
 * resolver, one thread that delivers its answers, and the library lock.
 *
 * Why shared: libmilter runs a thread per SMTP connection.  A resolver per
 * connection would start a libunbound context (and its worker thread) per
 * connection and begin every one with a cold cache; a shared one keeps
 * unbound's cache and the context's parsed-record cache warm across
 * connections, as mxspfd's single loop does.  The library's objects are
 * "one thread at a time", so everything that touches them -- the context,
 * the resolver, every transaction, recipient, walk and evaluation of
 * every session -- runs under one mutex, the library lock.  A session
 * holds it while it starts and steps a machine (microseconds of CPU) and
 * gives it up while it waits for answers, in pthread_cond_timedwait() on
 * a condition variable of its own, so a slow DNS answer never blocks
 * another session.  The resolver thread sleeps in poll() on libunbound's
 * descriptor and takes the lock to run mxspf_ub_process(), whose
 * callbacks step the machines and, when one finishes, signal its waiter.
 *
 * Deadline: every dns_run() has an absolute deadline (CLOCK_MONOTONIC).
 * When it passes, the waiter itself stops the machine
 * (mxspf_ub_drive_stop: its queries are cancelled, it ends with
 * temperror or a trust DNS error), so no request waits longer, whatever
 * the resolver does.
 *
 * With -Z the answers come from an in-memory zone instead, synchronously,
 * still under the lock (the context is shared).
 *
 * Owns: struct dns.  Must not: call a caller's code other than the
 * machine operations; be entered without the lock held (dns_run).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "milter.h"

#define DNS_ZONE_MAX_ROUNDS 10000	/* steps of a zone-driven machine */

/* One dns_run() waiting for its machine. */
struct waiter {
	pthread_cond_t cv;
	bool done;
	int err;
};

static int ub_config_new(const struct mxspf_conf *c, struct mxspf_ub **ub,
    char *err, size_t errlen);
static void *dns_thread(void *arg);
static void run_done(void *arg, void *obj, int err);
static int zone_run(struct dns *d, const struct mxspf_machine_ops *ops,
    void *obj);

void
deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void
deadline_min(struct timespec *a, const struct timespec *b)
{
	if (b->tv_sec < a->tv_sec ||
	    (b->tv_sec == a->tv_sec && b->tv_nsec < a->tv_nsec))
		*a = *b;
}

/* ub_config_new - a resolver as the [resolver] section says */
static int
ub_config_new(const struct mxspf_conf *c, struct mxspf_ub **ub, char *err,
    size_t errlen)
{
	struct mxspf_ub_config uc;
	int rc;

	mxspf_ub_config_init(&uc);
	uc.resolvconf = c->resolvconf;
	uc.forwarders = (const char *const *)c->forwarders;
	uc.nforwarders = c->nforwarders;
	uc.stub_zone = c->stub_zone;
	uc.stub_addr = c->stub_addr;
	uc.trust_anchor_file = c->trust_anchor_file;
	uc.cache_entries = c->cache_entries;
	uc.cache_bytes = c->cache_memory;
	uc.cache_max_ttl = c->cache_max_ttl;
	err[0] = '\0';
	if ((rc = mxspf_ub_new(ub, &uc, err, errlen)) != 0) {
		if (err[0] == '\0')
			(void)snprintf(err, errlen, "%s", mxspf_strerror(rc));
		return -1;
	}
	return 0;
}

int
dns_check(const struct mxspf_conf *c, char *err, size_t errlen)
{
	struct mxspf_ub *ub;

	if (ub_config_new(c, &ub, err, errlen) != 0)
		return -1;
	mxspf_ub_free(ub);
	return 0;
}

int
dns_init(struct dns *d, const struct mxspf_conf *c, struct mxspf_zone *zone,
    char *err, size_t errlen)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->wake[0] = d->wake[1] = -1;
	d->zone = zone;		/* ours from now on, even on failure */
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		(void)snprintf(err, errlen, "pthread_mutex_init failed");
		return -1;
	}
	if (zone != NULL)
		return 0;
	if (ub_config_new(c, &d->ub, err, errlen) != 0)
		return -1;
	if (pipe(d->wake) != 0 ||
	    fcntl(d->wake[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(d->wake[1], F_SETFD, FD_CLOEXEC) != 0) {
		(void)snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((r = pthread_create(&d->thread, NULL, dns_thread, d)) != 0) {
		(void)snprintf(err, errlen, "pthread_create: %s",
		    strerror(r));
		return -1;
	}
	d->started = true;
	return 0;
}

void
dns_free(struct dns *d)
{
	char b = 0;

	if (d->started) {
		while (write(d->wake[1], &b, 1) < 0 && errno == EINTR)
			;
		(void)pthread_join(d->thread, NULL);
		d->started = false;
	}
	if (d->wake[0] >= 0)
		(void)close(d->wake[0]);
	if (d->wake[1] >= 0)
		(void)close(d->wake[1]);
	d->wake[0] = d->wake[1] = -1;
	mxspf_ub_free(d->ub);
	d->ub = NULL;
	mxspf_zone_free(d->zone);
	d->zone = NULL;
	(void)pthread_mutex_destroy(&d->lock);
}

void
dns_lock(struct dns *d)
{
	(void)pthread_mutex_lock(&d->lock);
}

void
dns_unlock(struct dns *d)
{
	(void)pthread_mutex_unlock(&d->lock);
}

/* dns_thread - wait for answers, deliver them under the lock; ends when
 * a byte arrives on the wake pipe */
static void *
dns_thread(void *arg)
{
	struct dns *d = arg;
	struct pollfd p[2];

	p[0].fd = mxspf_ub_fd(d->ub);
	p[0].events = POLLIN;
	p[1].fd = d->wake[0];
	p[1].events = POLLIN;
	for (;;) {
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "resolver thread: poll: %s",
			    strerror(errno));
			return NULL;
		}
		if (p[1].revents != 0)
			return NULL;
		if ((p[0].revents & (POLLIN | POLLERR | POLLHUP)) == 0)
			continue;
		dns_lock(d);
		if (mxspf_ub_process(d->ub) != 0)
			log_msg(LOG_ERR, "the resolver failed to deliver "
			    "answers");
		dns_unlock(d);
	}
}

/* run_done - mxspf_ub_drive's callback (under the lock): wake the
 * session that waits for this machine */
static void
run_done(void *arg, void *obj, int err)
{
	struct waiter *w = arg;

	(void)obj;
	w->done = true;
	w->err = err;
	(void)pthread_cond_signal(&w->cv);
}

/* zone_run - answer every query from the zone until the machine ends */
static int
zone_run(struct dns *d, const struct mxspf_machine_ops *ops, void *obj)
{
	const struct mxspf_query *q;
	struct mxspf_answer ans;
	size_t rounds;
	int r;

	for (rounds = 0; rounds < DNS_ZONE_MAX_ROUNDS; rounds++) {
		if ((r = ops->step(obj)) != MXSPF_STEP_QUERY)
			return r < 0 ? r : 0;
		while ((q = ops->next_query(obj)) != NULL) {
			mxspf_zone_lookup(d->zone, q->name, q->type, &ans);
			if ((r = ops->answer(obj, q->id, &ans)) ==
			    MXSPF_ENOMEM)
				return r;
		}
	}
	ops->abort(obj);
	return 0;
}

int
dns_run(struct dns *d, const struct mxspf_machine_ops *ops, void *obj,
    const struct timespec *deadline, bool *late)
{
	pthread_condattr_t ca;
	struct waiter w;
	int r;

	*late = false;
	if (d->zone != NULL)
		return zone_run(d, ops, obj);
	memset(&w, 0, sizeof(w));
	if (pthread_condattr_init(&ca) != 0)
		return MXSPF_ENOMEM;
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&w.cv, &ca);
	(void)pthread_condattr_destroy(&ca);
	if (r != 0)
		return MXSPF_ENOMEM;
	/* run_done may fire inside this call (nothing to ask). */
	if ((r = mxspf_ub_drive(d->ub, ops, obj, run_done, &w)) != 0) {
		(void)pthread_cond_destroy(&w.cv);
		return r;
	}
	while (!w.done) {
		r = pthread_cond_timedwait(&w.cv, &d->lock, deadline);
		if (r == ETIMEDOUT && !w.done) {
			*late = true;
			/* Cancels its queries, aborts it, calls run_done. */
			mxspf_ub_drive_stop(d->ub, obj);
		}
	}
	(void)pthread_cond_destroy(&w.cv);
	return w.err;
}
