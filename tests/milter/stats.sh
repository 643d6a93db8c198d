#!/bin/sh
# tests/milter/stats.sh - mxspf-milter's statistics line: on SIGUSR1,
# every stats_interval seconds, and at exit after SIGTERM (exit 0).
# Usage: stats.sh MXSPF_MILTER SOURCE_DIR
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

ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	sed 's/^/    | /' "$tmp/log" | head -30
}
# wait_for PATTERN - up to 5 s for PATTERN in the log
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q "$1" "$tmp/log" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

printf '[milter]\nsyslog_facility = none\nstats_interval = 1\n' \
    >"$tmp/m.conf"
"$milter" -f -c "$tmp/m.conf" -l "unix:$tmp/m.sock" \
    -Z "$src/tests/proto/zone.yml" 2>"$tmp/log" &
pid=$!
if wait_for ' ready on '; then
	ok "milter started"
else
	bad "milter did not start"
	exit 1
fi
kill -USR1 "$pid"
if wait_for 'stats (SIGUSR1): connections=0 messages=0'; then
	ok "SIGUSR1 logs the statistics line"
else
	bad "no statistics line after SIGUSR1"
fi
if wait_for 'stats (periodic): '; then
	ok "stats_interval = 1 logs a periodic line"
else
	bad "no periodic statistics line"
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ] && grep -q 'stats (exit): ' "$tmp/log"; then
	ok "SIGTERM: exit 0 with a final statistics line"
else
	bad "exit $rc, or no final statistics line"
fi
if grep -q -e 'Sanitizer' -e 'runtime error:' "$tmp/log"; then
	bad "sanitizer report"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
