# shellcheck shell=sh
# tests/lib/harness.sh - the bookkeeping of the project's shell tests
# (tests/cli, tests/proto, tests/milter, tests/install and
# scripts/package-test.sh source it).
# Owns: the counters passed and failed and the output format:
#   ok NAME              "ok - NAME"
#   bad NAME [LOG]       "FAIL - NAME", then the end of LOG, indented
#   run NAME CMD...      ok when CMD exits 0, else bad with its output
#   wait_for OP PATH     wait up to 10 s for [ OP PATH ] (a daemon's socket)
#   wait_log FILE PAT    wait up to 5 s for PAT (grep) in FILE (a log line)
#   summary              "N passed, N failed"; exits 1 after a failure
# Needs: $tmp, a private directory of the caller.
# SPDX-License-Identifier: BSD-2-Clause
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

bad() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 60 "$2" | sed 's/^/    | /'
	fi
}

run() {
	_name=$1
	shift
	if "$@" >"${tmp:?}/run.out" 2>&1; then
		ok "$_name"
	else
		bad "$_name (exit $?)" "$tmp/run.out"
	fi
}

wait_for() {
	_n=0
	until test "$1" "$2" || [ $_n -ge 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	test "$1" "$2"
}

wait_log() {
	_n=0
	until grep -q "$2" "$1" 2>/dev/null || [ $_n -ge 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}
