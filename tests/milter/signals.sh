#!/bin/sh
# tests/milter/signals.sh - mxspf-milter's signals: SIGUSR1 logs the
# statistics line; SIGUSR2 reloads the configuration (a good file takes
# effect: stats_interval starts the periodic line; a bad one is refused
# with its reason and the running configuration stays); SIGTERM exits 0
# with a final statistics line.
# Usage: signals.sh MXSPF_MILTER SOURCE_DIR
# Prints "N passed, N failed"; exits 1 when a check failed.
# SPDX-License-Identifier: BSD-2-Clause
set -u
milter=$1
src=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-mstats.XXXXXX") || exit 2
pid=
passed=0
failed=0
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# ok, bad, wait_log
# shellcheck source=tests/lib/harness.sh
. "$src/tests/lib/harness.sh"
# wait_for PATTERN - up to 5 s for PATTERN in the milter's log
wait_for() {
	wait_log "$tmp/log" "$1"
}

printf '[milter]\nsyslog_facility = none\nstats_interval = 0\n' \
    >"$tmp/m.conf"
"$milter" -f -c "$tmp/m.conf" -l "unix:$tmp/m.sock" \
    -Z "$src/tests/proto/zone.yml" 2>"$tmp/log" &
pid=$!
if wait_for ' ready on '; then
	ok "milter started"
else
	bad "milter did not start" "$tmp/log"
	exit 1
fi
kill -USR1 "$pid"
if wait_for 'stats (SIGUSR1): connections=0 messages=0'; then
	ok "SIGUSR1 logs the statistics line"
else
	bad "no statistics line after SIGUSR1" "$tmp/log"
fi
sleep 1.5
if grep -q 'stats (periodic): ' "$tmp/log"; then
	bad "stats_interval = 0 logged a periodic line" "$tmp/log"
fi
# A good file: the new stats_interval applies.
printf '[milter]\nsyslog_facility = none\nstats_interval = 1\n' \
    >"$tmp/m.conf"
kill -USR2 "$pid"
if wait_for 'configuration reloaded from '; then
	ok "SIGUSR2 reloads the configuration"
else
	bad "no reload after SIGUSR2" "$tmp/log"
fi
if wait_for 'stats (periodic): '; then
	ok "the reloaded stats_interval = 1 logs a periodic line"
else
	bad "no periodic statistics line after the reload" "$tmp/log"
fi
# A bad file: refused, the reason logged, the milter goes on.
printf '[milter]\nno_such_key = 1\n' >"$tmp/m.conf"
kill -USR2 "$pid"
if wait_for 'reload failed, keeping the running configuration: .*no_such_key'
then
	ok "a bad file is refused with its reason"
else
	bad "a bad file was not reported" "$tmp/log"
fi
n1=$(grep -c 'stats (periodic): ' "$tmp/log")
sleep 2.2
n2=$(grep -c 'stats (periodic): ' "$tmp/log")
if [ "$n2" -gt "$n1" ] && kill -0 "$pid" 2>/dev/null; then
	ok "after the bad file the running configuration stays"
else
	bad "the milter changed or died after a bad file ($n1 -> $n2)" \
	    "$tmp/log" "$tmp/log"
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ] && grep -q 'stats (exit): ' "$tmp/log"; then
	ok "SIGTERM: exit 0 with a final statistics line"
else
	bad "exit $rc, or no final statistics line" "$tmp/log"
fi
if grep -q -e 'Sanitizer' -e 'runtime error:' "$tmp/log"; then
	bad "sanitizer report" "$tmp/log"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
