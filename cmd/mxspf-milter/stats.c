/* cmd/mxspf-milter/stats.c - the milter's counters: messages, re-checks,
 * and, per border MX, how often it passed mail on without checking SPF
 * (the operator's list of backup MXes that are a way around SPF).
 * Owns: struct stats, under its own mutex (sessions count from their
 * threads).  At most MILTER_MAX_BORDERS names are kept; later ones are
 * counted in the total only.  Logged every stats_interval, on SIGUSR1
 * and at exit (stats_log; main.c's statistics thread).
 * Must not: log untrusted names unescaped.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "milter.h"

int
stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	return pthread_mutex_init(&s->lock, NULL) == 0 ? 0 : -1;
}

void
stats_free(struct stats *s)
{
	(void)pthread_mutex_destroy(&s->lock);
}

void
stats_add(struct stats *s, unsigned long *field, unsigned long n)
{
	(void)pthread_mutex_lock(&s->lock);
	*field += n;
	(void)pthread_mutex_unlock(&s->lock);
}

unsigned long
stats_unchecked(struct stats *s, const char *border_mx)
{
	const char *name = border_mx != NULL ? border_mx : "?";
	unsigned long n = 0;
	size_t i;

	(void)pthread_mutex_lock(&s->lock);
	s->unchecked++;
	for (i = 0; i < s->nborders; i++) {
		if (strcasecmp(s->borders[i].name, name) == 0) {
			n = ++s->borders[i].n;
			break;
		}
	}
	if (i == s->nborders && s->nborders < MILTER_MAX_BORDERS &&
	    strlen(name) <= MILTER_MAX_NAME) {
		(void)snprintf(s->borders[i].name, sizeof(s->borders[i].name),
		    "%s", name);
		n = s->borders[i].n = 1;
		s->nborders++;
	}
	(void)pthread_mutex_unlock(&s->lock);
	return n;
}

void
stats_log(struct stats *s, const char *why)
{
	struct mxspf_buf b;
	size_t i;

	(void)pthread_mutex_lock(&s->lock);
	log_msg(LOG_INFO, "stats (%s): connections=%lu messages=%lu "
	    "rcpt_rejected=%lu rcpt_deferred=%lu rechecks=%lu walk_failed=%lu "
	    "border_unchecked=%lu disagree=%lu tagged=%lu quarantined=%lu "
	    "rejected=%lu ar_removed=%lu", why, s->connections, s->messages,
	    s->rcpt_rejected, s->rcpt_deferred, s->rechecks, s->walk_failed,
	    s->unchecked, s->disagree, s->tagged, s->quarantined, s->rejected,
	    s->ar_removed);
	for (i = 0; i < s->nborders; i++) {
		mxspf_buf_init(&b, 512);
		log_put_untrusted(&b, s->borders[i].name,
		    strlen(s->borders[i].name));
		log_msg(LOG_INFO, "stats: border MX %s did not check SPF for "
		    "%lu messages", mxspf_buf_cstr(&b), s->borders[i].n);
		mxspf_buf_free(&b);
	}
	(void)pthread_mutex_unlock(&s->lock);
}
