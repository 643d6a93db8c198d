/* cmd/common/daemon.h - what mxspfd and mxspf-milter share as daemons:
 * the log (syslog and stderr), running in the background as an
 * unprivileged user, and what a reload compares.  The cmd/common sources
 * are compiled into each daemon, never into the library.
 * Owns: the prototypes of cmd/common/log.c, privs.c, reload.c and
 * zonefile.c.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MXSPF_DAEMON_H
#define MXSPF_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

#define DAEMON_LOG_CUT 100	/* bytes of untrusted text logged */

/* ---- log.c ---- */
/* log_open - start logging as prog: syslog with facility (NULL or "none":
 * no syslog) and/or stderr; verbose adds LOG_DEBUG messages.  Call it
 * before any thread starts; the settings are read-only afterwards. */
void log_open(const char *prog, const char *facility, bool to_stderr,
    bool verbose);
/* log_stderr - turn the stderr sink on or off */
void log_stderr(bool on);
/* log_msg - one log line at prio (LOG_ERR, LOG_WARNING, LOG_INFO,
 * LOG_DEBUG); thread-safe (one syslog(3) / fprintf(3) call per line) */
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* log_text - log_msg of a ready message of len bytes (no formatting) */
void log_text(int prio, const char *text, size_t len);
/* log_text2 - log_text of the message a[0..alen) then b[0..blen); a
 * routine line to a batching stderr is copied straight into the batch */
void log_text2(int prio, const char *a, size_t alen, const char *b,
    size_t blen);
/* log_batch_start - from now on keep stderr lines of priority info and
 * debug in a buffer until log_flush() (or until it is full; a warning or
 * an error flushes it), and call pending() when the buffer stops being
 * empty, so that the caller can arrange a flush soon.  Single-threaded
 * daemons only: a batch is not locked. */
void log_batch_start(void (*pending)(void));
/* log_batch_stop - flush, and write each line at once again */
void log_batch_stop(void);
/* log_flush - write out the batched stderr lines */
void log_flush(void);
/* log_close - flush and stop batching; close syslog */
void log_close(void);
/* log_put_untrusted - append peer text escaped and cut at DAEMON_LOG_CUT
 * bytes */
void log_put_untrusted(struct mxspf_buf *b, const char *p, size_t len);

/* ---- reload.c ---- */
struct mxspf_conf;
/* reload_str_same - equal strings, NULL equal only to NULL */
bool reload_str_same(const char *a, const char *b);
/* reload_strv_same - equal string lists */
bool reload_strv_same(char *const *a, size_t na, char *const *b, size_t nb);
/* reload_note_changed - unless same, log that the setting what changed but
 * takes effect only at the next restart */
void reload_note_changed(const char *what, bool same);
/* reload_note_resolver - the same for the [resolver] section */
void reload_note_resolver(const struct mxspf_conf *o,
    const struct mxspf_conf *n);

/* ---- zonefile.c ---- */
struct mxspf_zone;
/* daemon_zone_load - a -Z zone file into *out; 0, or -1 with *out NULL
 * and a message in err */
int daemon_zone_load(const char *path, struct mxspf_zone **out, char *err,
    size_t errlen);

/* ---- privs.c ---- */
/* privs_lookup - the uid and gid of user (and group, if set); 0 or -1
 * with a message in err */
int privs_lookup(const char *user, const char *group, uid_t *uid,
    gid_t *gid, char *err, size_t errlen);
/* privs_drop - switch to uid/gid for good; 0 or -1 with a message */
int privs_drop(uid_t uid, gid_t gid, char *err, size_t errlen);
/* privs_daemonize - fork into the background (before any thread exists),
 * new session, stdio on /dev/null; returns in the child only; 0 or -1 */
int privs_daemonize(char *err, size_t errlen);

#endif
