#!/bin/sh
# bench/policy/run.sh - the mxspfd policy benchmark: mxspfd against Debian's
# policyd-spf over the Postfix policy protocol, both resolving through a
# private nsd on 127.0.0.1 that serves bench/workload.yml's zonedata.
# Owns: a temporary directory (zones, configs, logs, sockets); the nsd it
#   starts through tests/dns/nsd.sh; the mxspfd processes and the delaying
#   DNS forwarder (dnsdelay.py) it starts, each stopped by its pid at exit
#   (trap); policy-load, which spawns and reaps the policyd-spf processes.
# Must not: touch the system's resolver or nsd, listen anywhere but
#   127.0.0.1 and its own unix sockets, or run unbounded (policy-load has
#   -T, every wait loop a count).
# Usage: bench/policy/run.sh [BUILD_DIR]     (default: build-pb)
#   Environment: PB_DURATION (s per level, 10), PB_LEVELS ("1 10 50 500"),
#   PB_PEER_LEVELS (policyd-spf levels, as PB_LEVELS), PB_IDLE (10000),
#   PB_DELAY_MS (20).  Needs: nsd, postfix-policyd-spf-python, python3-yaml.
# SPDX-License-Identifier: BSD-2-Clause
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build-pb}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
dur=${PB_DURATION:-10}
levels=${PB_LEVELS:-"1 10 50 500"}
peer_levels=${PB_PEER_LEVELS:-$levels}
nidle=${PB_IDLE:-10000}
delay_ms=${PB_DELAY_MS:-20}
workload=$top/bench/workload.yml
py=/usr/bin/python3
load=$build/bench/policy-load
mxspfd=$build/mxspfd
[ -x "$mxspfd" ] || mxspfd=$build/cmd/mxspfd/mxspfd
for f in "$load" "$mxspfd"; do
	[ -x "$f" ] || { echo "run.sh: $f is missing; build it:" >&2
	    echo "  cmake --build $build --target mxspfd policy-load" >&2
	    exit 1; }
done
command -v nsd >/dev/null || { echo "run.sh: needs nsd" >&2; exit 1; }
[ -f /usr/lib/python3/dist-packages/spf_engine/policyd_spf.py ] || {
	echo "run.sh: needs postfix-policyd-spf-python" >&2; exit 1; }

tmp=$(mktemp -d /tmp/mxspf-pb.XXXXXX)
mxpid="" ddpid=""
cleanup() {
	[ -z "$mxpid" ] || { kill "$mxpid" 2>/dev/null; wait "$mxpid" 2>/dev/null; } || true
	[ -z "$ddpid" ] || { kill "$ddpid" 2>/dev/null; wait "$ddpid" 2>/dev/null; } || true
	sh "$top/tests/dns/nsd.sh" stop "$tmp/nsd" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# 10,000 connections: both ends need a descriptor each (and some spare).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((nidle + 100)) ] ||
	{ echo "run.sh: ulimit -n $(ulimit -n) < $((nidle + 100))" >&2; exit 1; }

echo "== zones and nsd"
"$py" "$here/zonedata2nsd.py" "$workload" "$tmp/zones"
mkdir -p "$tmp/nsd"
port=$(sh "$top/tests/dns/nsd.sh" start "$tmp/nsd" "$tmp/zones")
echo "nsd on 127.0.0.1@$port"

# start_mxspfd CONF - start mxspfd -f with CONF, wait for its socket
start_mxspfd() {
	"$mxspfd" -n -c "$1" >/dev/null
	sock=$(sed -n 's/^listen = unix://p' "$1")
	rm -f "$sock"
	"$mxspfd" -f -c "$1" 2>>"$tmp/mxspfd.log" >/dev/null &
	mxpid=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$sock" ] || { echo "run.sh: mxspfd did not start" >&2; tail "$tmp/mxspfd.log" >&2; exit 1; }
}
stop_mxspfd() {
	kill "$mxpid" 2>/dev/null || true
	wait "$mxpid" 2>/dev/null || true
	mxpid=""
}
# field LINE KEY - the value of KEY=... in a RESULT line
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# mxspfd logs one line per decision; with syslog off, -f writes it to
# stderr, appended to $tmp/mxspfd.log (as it would be sent to syslog).
# The log is emptied after each level (its last lines are kept in
# mxspfd.tail): at ~180,000 lines a second it grows by ~35 MB/s, and once
# the kernel starts writing those pages back to disk its flusher threads
# take CPU from both processes, so a level's result would depend on how
# much the levels before it logged (measured: 180k then 158k req/s for
# two 10 s runs at 50 connections, one after the other).
cat > "$tmp/warm.conf" <<EOF
[resolver]
forwarders = 127.0.0.1@$port
[mxspfd]
listen = unix:$tmp/warm.sock
max_connections = $((nidle + 1000))
syslog_facility = none
EOF

echo "== warm cache: $dur s per level, levels: $levels (load: $(cut -d' ' -f1-3 /proc/loadavg))"
start_mxspfd "$tmp/warm.conf"
: > "$tmp/mx.results"
for n in $levels; do
	r=$("$load" -u "$tmp/warm.sock" -c "$n" -d "$dur" -w 3000 -T 300 \
	    -p "$mxpid" "$workload" 2>>"$tmp/mxspfd.log")
	tail -n 5 "$tmp/mxspfd.log" >> "$tmp/mxspfd.tail"
	: > "$tmp/mxspfd.log"	# O_APPEND: mxspfd goes on at the new end
	echo "mxspfd      $r"
	echo "$n $r" >> "$tmp/mx.results"
done
stop_mxspfd

: > "$tmp/peer.results"
: > "$tmp/idle.results"
spawn_cmd="PL_DNS_PORT=$port exec $py $here/policyd-spf-nsd.py $here/policyd-spf.conf 2>/dev/null"
for n in $peer_levels; do
	r=$("$load" -x "$spawn_cmd" -c "$n" -d "$dur" -w 0 -T 600 "$workload")
	echo "policyd-spf $r"
	echo "$n $r" >> "$tmp/peer.results"
done

echo "== idle connections: $nidle to a fresh mxspfd (connect only; then one request each)"
for how in connect request; do
	start_mxspfd "$tmp/warm.conf"
	sleep 0.5
	rss0=$(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$mxpid/status")
	flag=""
	[ $how = request ] || flag=-0
	idle=$("$load" -u "$tmp/warm.sock" -I "$nidle" $flag -H 3 -T 300 \
	    -p "$mxpid" "$workload")
	echo "$how $rss0 $idle" >> "$tmp/idle.results"
	echo "$how: $idle (VmRSS before: $rss0)"
	stop_mxspfd
done

echo "== cold cache: DNS answers after $delay_ms ms"
i=0
ddport=""
while [ $i -lt 5 ] && [ -z "$ddport" ]; do
	i=$((i + 1))
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	: > "$tmp/dd.log"
	"$py" -u "$here/dnsdelay.py" --port "$p" --upstream "$port" \
	    --delay-ms "$delay_ms" --log "$tmp/dd.log" --lifetime 300 \
	    > "$tmp/dd.out" 2>&1 &
	ddpid=$!
	j=0
	while [ $j -lt 40 ] && ! grep -q ready "$tmp/dd.out"; do sleep 0.05; j=$((j + 1)); done
	if grep -q ready "$tmp/dd.out"; then ddport=$p; else
		kill "$ddpid" 2>/dev/null || true; wait "$ddpid" 2>/dev/null || true; ddpid=""; fi
done
[ -n "$ddport" ] || { echo "run.sh: dnsdelay did not start" >&2; cat "$tmp/dd.out" >&2; exit 1; }

# Senders whose records have 1 to 4 levels (the record, its includes, ...);
# the client matches none of them, so every record is walked.
cold_queries="corp022.example corp003.example corp001.example corp035.example corp151.example corp069.example"
client=203.0.113.7
: > "$tmp/cold.results"
for mode in spf-only full; do
	if [ $mode = spf-only ]; then
		policy="check_helo = no
trust_mode = off"
	else
		policy="check_helo = yes
trust_mode = preference"
	fi
	cat > "$tmp/cold.conf" <<EOF
[policy]
$policy
[resolver]
forwarders = 127.0.0.1@$ddport
[mxspfd]
listen = unix:$tmp/cold.sock
syslog_facility = none
EOF
	for d in $cold_queries; do
		start_mxspfd "$tmp/cold.conf"	# fresh: unbound's cache is empty
		before=$(wc -l < "$tmp/dd.log")
		q=$("$load" -u "$tmp/cold.sock" -T 30 \
		    -Q "$client,mail.sender.test,bounce@$d" "$workload")
		stop_mxspfd
		sleep 0.1
		# DNS queries, and rounds: bursts separated by > delay/2 ms.
		stats=$(tail -n +$((before + 1)) "$tmp/dd.log" | awk -v gap="$delay_ms" '
		    { if (NR == 1 || $1 - last > gap / 2) r++; last = $1; n++ }
		    END { printf "%d %d", n, r }')
		ms=$(printf '%s\n' "$q" | sed -n 's/.* ms=\([0-9.]*\) .*/\1/p')
		reply=$(printf '%s\n' "$q" | sed -n 's/.*reply="action=\([^ "]*\).*/\1/p')
		echo "$mode $d $ms $stats $reply" >> "$tmp/cold.results"
		echo "$mode $d: ${ms} ms, DNS queries/rounds: $stats, action=$reply"
	done
done

echo
echo "== results (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "CPU us: the server's user+system CPU time per answered request (all"
echo "policyd-spf processes summed); less sensitive to other load than req/s."
printf '%6s | %9s %8s %8s %7s %7s | %9s %8s %8s %7s | %6s\n' conns "mxspfd/s" \
    "p50 ms" "p99 ms" "RSS MB" "CPU us" "pyspf/s" "p50 ms" "p99 ms" "CPU us" ratio
ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }
while read -r n line; do
	peer=$(sed -n "s/^$n //p" "$tmp/peer.results")
	mr=$(field "$line" rps)
	if [ -n "$peer" ]; then
		pr=$(field "$peer" rps)
		pp50=$(ms "$(field "$peer" p50_us)") pp99=$(ms "$(field "$peer" p99_us)")
		pcpu=$(field "$peer" server_cpu_us_per_req)
		ratio=$(awk -v a="$mr" -v b="$pr" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	else
		pr=- pp50=- pp99=- pcpu=- ratio=-
	fi
	printf '%6s | %9s %8s %8s %7s %7s | %9s %8s %8s %7s | %6s\n' "$n" "$mr" \
	    "$(ms "$(field "$line" p50_us)")" "$(ms "$(field "$line" p99_us)")" \
	    "$(awk -v v="$(field "$line" rss_kb)" 'BEGIN { printf "%.1f", v / 1024 }')" \
	    "$(field "$line" server_cpu_us_per_req)" "$pr" "$pp50" "$pp99" "$pcpu" "$ratio"
done < "$tmp/mx.results"
printf 'policyd-spf RSS (all processes): '
while read -r n line; do printf '%s conns %.0f MB; ' "$n" \
    "$(awk -v v="$(field "$line" rss_kb)" 'BEGIN{print v/1024}')"; done < "$tmp/peer.results"
echo
while read -r how rss0 idle; do
	printf 'idle: %s connections (%s): mxspfd VmRSS %.1f MB, VmHWM %.1f MB (%s kB before)\n' \
	    "$nidle" "$( [ "$how" = connect ] && echo "connected only" || echo "one request each")" \
	    "$(awk -v v="$(field "$idle" rss_after_hold_kb)" 'BEGIN{print v/1024}')" \
	    "$(awk -v v="$(field "$idle" hwm_kb)" 'BEGIN{print v/1024}')" "${rss0% kB}"
done < "$tmp/idle.results"
echo
echo "cold cache, DNS answers after $delay_ms ms (client $client, fresh mxspfd each):"
printf '%-9s %-17s %9s %8s %7s %s\n' mode sender ms queries rounds action
while read -r mode d ms n r a; do
	printf '%-9s %-17s %9s %8s %7s %s\n' "$mode" "$d" "$ms" "$n" "$r" "$a"
done < "$tmp/cold.results"
