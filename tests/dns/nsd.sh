#!/bin/sh
# tests/dns/nsd.sh - a private nsd on 127.0.0.1 for the DNS driver tests.
# Owns: a temporary directory with nsd's config, pid, log and state; the
#   one nsd process it starts (stopped by the pid it recorded).
# Must not: touch the system nsd, bind anything but 127.0.0.1, run longer
#   than the test it wraps.
#
# Usage:
#   nsd.sh start DIR ZONEDIR   start nsd serving ZONEDIR/*.zone (each file
#                              NAME.zone is zone NAME) with state in DIR;
#                              prints the port.  Exit 77 if nsd is missing
#                              or cannot start.
#   nsd.sh stop DIR            stop the nsd started with DIR.
#   nsd.sh run ZONEDIR PROG [ARG...]
#                              start nsd in a temporary DIR, run PROG with
#                              MXSPF_TEST_NS=127.0.0.1@PORT (the server) and
#                              MXSPF_TEST_DEAD=127.0.0.2@PORT (no server),
#                              stop nsd, exit with PROG's status.
# RRL is off (Debian's nsd drops fast loopback clients otherwise) and
# remote control is off.
# SPDX-License-Identifier: BSD-2-Clause
set -eu

NSD=${NSD:-nsd}
TRIES=10		# ports tried before giving up
WAIT_TICKS=100		# 0.05 s each: wait at most 5 s for nsd to start

skip() {
	echo "*************************************************************" >&2
	echo "SKIP: $*" >&2
	echo "SKIP: the DNS driver test needs nsd (apt-get install nsd;" >&2
	echo "SKIP: scripts/deps.sh installs it)." >&2
	echo "*************************************************************" >&2
	exit 77
}

# random_port - a port in 20000..59999
random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 40000))
}

# write_conf DIR ZONEDIR PORT - nsd.conf for one private server
write_conf() {
	dir=$1 zonedir=$2 port=$3
	{
		printf 'server:\n'
		printf '\tip-address: 127.0.0.1\n'
		printf '\tport: %s\n' "$port"
		printf '\tdo-ip6: no\n'
		printf '\tpidfile: "%s/nsd.pid"\n' "$dir"
		printf '\tzonesdir: "%s"\n' "$dir"
		printf '\tdatabase: ""\n'
		printf '\tusername: ""\n'
		printf '\tchroot: ""\n'
		printf '\tlogfile: "%s/nsd.log"\n' "$dir"
		printf '\txfrdfile: "%s/xfrd.state"\n' "$dir"
		printf '\tzonelistfile: "%s/zone.list"\n' "$dir"
		printf '\txfrdir: "%s"\n' "$dir"
		printf '\tserver-count: 1\n'
		printf '\tverbosity: 1\n'
		printf '\trrl-ratelimit: 0\n'
		printf '\trrl-whitelist-ratelimit: 0\n'
		printf 'remote-control:\n'
		printf '\tcontrol-enable: no\n'
		for f in "$zonedir"/*.zone; do
			name=$(basename "$f" .zone)
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
			    "$name" "$f"
		done
	} > "$dir/nsd.conf"
}

# start DIR ZONEDIR - start nsd on a free port; prints the port
start() {
	dir=$1 zonedir=$(cd "$2" && pwd)
	command -v "$NSD" >/dev/null 2>&1 || skip "nsd is not installed"
	i=0
	while [ $i -lt $TRIES ]; do
		i=$((i + 1))
		port=$(random_port)
		write_conf "$dir" "$zonedir" "$port"
		nsd-checkconf "$dir/nsd.conf" >&2 ||
		    skip "nsd-checkconf rejects $dir/nsd.conf"
		: > "$dir/nsd.log"
		"$NSD" -d -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 &
		echo $! > "$dir/nsd.started"
		t=0
		while [ $t -lt $WAIT_TICKS ]; do
			if grep -q "nsd started" "$dir/nsd.log" 2>/dev/null
			then
				echo "$port" > "$dir/port"
				echo "$port"
				return 0
			fi
			kill -0 "$(cat "$dir/nsd.started")" 2>/dev/null || break
			sleep 0.05
			t=$((t + 1))
		done
		# Did not start (port taken?): stop what is left, try another.
		stop "$dir"
		echo "nsd.sh: nsd did not start on port $port:" >&2
		cat "$dir/nsd.log" "$dir/nsd.out" >&2 2>/dev/null || true
	done
	skip "nsd did not start after $TRIES tries"
}

# stop DIR - stop the nsd that start DIR started, wait for it to exit
stop() {
	dir=$1
	[ -f "$dir/nsd.started" ] || return 0
	pid=$(cat "$dir/nsd.started")
	rm -f "$dir/nsd.started"
	kill "$pid" 2>/dev/null || return 0
	t=0
	while kill -0 "$pid" 2>/dev/null && [ $t -lt $WAIT_TICKS ]; do
		sleep 0.05
		t=$((t + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# watchdog PID DIR - stop DIR's nsd and remove DIR once PID is gone, so
# that nsd does not outlive a run.sh killed by a signal it cannot trap
# (CTest's SIGKILL on timeout)
watchdog() {
	while kill -0 "$1" 2>/dev/null; do
		sleep 0.5
	done
	stop "$2"
	rm -rf "$2"
}

# run ZONEDIR PROG [ARG...] - run PROG against a private nsd
run() {
	zonedir=$1
	shift
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-nsd.XXXXXX")
	wd=""
	trap 'stop "$tmp"; rm -rf "$tmp"; [ -z "$wd" ] || kill "$wd" 2>/dev/null' \
	    EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
	port=$(start "$tmp" "$zonedir") || exit $?
	watchdog $$ "$tmp" </dev/null >/dev/null 2>&1 &
	wd=$!
	echo "nsd.sh: nsd serving $zonedir on 127.0.0.1@$port" >&2
	set +e
	MXSPF_TEST_NS="127.0.0.1@$port" MXSPF_TEST_DEAD="127.0.0.2@$port" \
	    "$@"
	rc=$?
	set -e
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "nsd.sh: $1 failed ($rc); nsd log:" >&2
		cat "$tmp/nsd.log" >&2 || true
	fi
	exit $rc
}

case ${1:-} in
start) [ $# -eq 3 ] || { echo "usage: $0 start DIR ZONEDIR" >&2; exit 2; }
	start "$2" "$3" ;;
stop) [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
	stop "$2" ;;
run) [ $# -ge 3 ] || { echo "usage: $0 run ZONEDIR PROG [ARG...]" >&2; exit 2; }
	shift
	run "$@" ;;
*) echo "usage: $0 start DIR ZONEDIR | stop DIR | run ZONEDIR PROG [ARG...]" >&2
	exit 2 ;;
esac
