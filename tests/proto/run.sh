#!/bin/sh
# tests/proto/run.sh - end-to-end tests of mxspfd (the real binary) and of
# `mxspf trust`.
# Usage: run.sh MXSPFD MXSPF PCLIENT SOURCE_DIR [GROUP...]
#   GROUP: stdio unix malformed concurrency signal reload stats config
#   privs trust dns
#   (default: all of them).
# mxspfd answers from tests/proto/zone.yml (-Z) in every group but dns,
# which runs it through libunbound against a private nsd serving
# tests/proto/zones/ (tests/dns/nsd.sh; skipped with exit 77 when nsd is
# missing) and against a DNS server that never answers (pclient
# blackhole) for the deadline and max_inflight.  The main request script
# (main_input below) must give exactly expected/main.out, over stdio, a
# unix socket, TCP, 50 connections at once, and libunbound.
# MXSPF_PROTO_REGEN=1 rewrites the expected files (review the diff!).
# Prints "N passed, N failed" and exits non-zero when a test failed.
# SPDX-License-Identifier: BSD-2-Clause
set -u

if [ $# -lt 4 ]; then
	echo "usage: $0 MXSPFD MXSPF PCLIENT SOURCE_DIR [GROUP...]" >&2
	exit 2
fi
mxspfd=$1
mxspf=$2
pclient=$3
src=$4
shift 4
groups=${*:-stdio unix malformed concurrency signal reload stats config privs trust dns}
dir=$src/tests/proto
exp=$dir/expected
zone=$dir/zone.yml
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-proto.XXXXXX") || exit 2
chmod 755 "$tmp"
daemon_pid=
bg_pids=
passed=0
failed=0
skipped=0

ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
export ASAN_OPTIONS UBSAN_OPTIONS

cleanup() {
	for pid in $daemon_pid $bg_pids; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -f "$tmp/nsd/nsd.started" ]; then
		sh "$src/tests/dns/nsd.sh" stop "$tmp/nsd"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ok, bad, wait_log
# shellcheck source=tests/lib/harness.sh
. "$src/tests/lib/harness.sh"

skip() {
	skipped=$((skipped + 1))
	echo "skip - $1"
}

# sanitized NAME FILE - fail when FILE has a sanitizer report
sanitized() {
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$2" 2>/dev/null; then
		bad "$1: sanitizer report" "$2"
		return 1
	fi
	return 0
}

# req ATTR=VALUE... - one policy request on stdout
req() {
	printf 'request=smtpd_access_policy\n'
	for a in "$@"; do
		printf '%s\n' "$a"
	done
	printf '\n'
}

# rcpt INSTANCE CLIENT HELO SENDER SERVER RCPT [QUEUEID] - an RCPT
# request as Postfix sends it (SERVER "" leaves server_address out)
rcpt() {
	if [ -n "$5" ]; then
		set -- "$1" "$2" "$3" "$4" "server_address=$5" "$6" "${7:-}"
	else
		set -- "$1" "$2" "$3" "$4" "x_no_server=1" "$6" "${7:-}"
	fi
	req protocol_state=RCPT protocol_name=ESMTP "client_address=$2" \
	    client_name=unknown "helo_name=$3" "sender=$4" "recipient=$6" \
	    recipient_count=0 "queue_id=$7" "instance=$1" "$5" server_port=25 \
	    size=0 stress= mail_version=3.7.11
}

# data INSTANCE CLIENT HELO SENDER [STATE] - a DATA request
data() {
	req "protocol_state=${5:-DATA}" protocol_name=ESMTP \
	    "client_address=$2" "helo_name=$3" "sender=$4" recipient= \
	    recipient_count=1 queue_id= "instance=$1"
}

# main_input - the scenario of issue 3 and its neighbours; the comment
# before each transaction says what it checks
main_input() {
	# t1: a forged sender straight to a backup: refused at the border.
	rcpt t1 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test
	# t2: backup2 relays to backup1 (server_address: backup1): trusted,
	# and the header records the trust, not an SPF result.
	rcpt t2 198.51.100.30 mx.backup2.test alice@sender.test \
	    198.51.100.20 bob@receiver.test
	data t2 198.51.100.30 mx.backup2.test alice@sender.test
	# t3: one transaction, a trusted domain and a second local domain
	# (other.test is hosted on backup1 only): DUNNO, 550, DUNNO; one
	# header at DATA, none at END-OF-MESSAGE.
	rcpt t3 198.51.100.30 mx.backup2.test alice@sender.test \
	    198.51.100.20 bob@receiver.test
	rcpt t3 198.51.100.30 mx.backup2.test alice@sender.test \
	    198.51.100.20 carol@other.test 4XyZ1K2abc
	rcpt t3 198.51.100.30 mx.backup2.test alice@sender.test \
	    198.51.100.20 dave@Receiver.TEST. 4XyZ1K2abc
	data t3 198.51.100.30 mx.backup2.test alice@sender.test
	data t3 198.51.100.30 mx.backup2.test alice@sender.test DATA
	data t3 198.51.100.30 mx.backup2.test alice@sender.test \
	    END-OF-MESSAGE
	# t4: backup1 relays to backup2: the client is more preferred than
	# this server, so it is not trusted and SPF applies.
	rcpt t4 198.51.100.20 mx.backup1.test alice@sender.test \
	    198.51.100.30 bob@receiver.test
	# t5: the authorised host: pass, Received-SPF at DATA.
	rcpt t5 192.0.2.10 mail.sender.test alice@sender.test 192.0.2.1 \
	    bob@receiver.test
	data t5 192.0.2.10 mail.sender.test alice@sender.test
	# t6: loopback is exempt: no check, no header.
	rcpt t6 127.0.0.1 localhost alice@sender.test 127.0.0.1 \
	    bob@receiver.test
	data t6 127.0.0.1 localhost alice@sender.test
	# t7: backup1 over IPv6 relays to the primary: trusted.
	rcpt t7 2001:db8::20 mx.backup1.test alice@sender.test 192.0.2.1 \
	    bob@receiver.test
	# t8: this server is not an MX of receiver.test (an internal host):
	# any MX host is trusted.
	rcpt t8 198.51.100.30 mx.backup2.test alice@sender.test 10.0.0.5 \
	    bob@receiver.test
	# t9: no server_address (Postfix < 3.2) and no own names: as t8.
	rcpt t9 198.51.100.30 mx.backup2.test alice@sender.test "" \
	    bob@receiver.test
	# t10: softfail and permerror are accepted with a header.
	rcpt t10 203.0.113.66 forger.example eve@soft.test 198.51.100.20 \
	    bob@receiver.test
	data t10 203.0.113.66 forger.example eve@soft.test
	rcpt t11 203.0.113.66 forger.example eve@bad.test 198.51.100.20 \
	    bob@receiver.test
	data t11 203.0.113.66 forger.example eve@bad.test
	# t12: the sender's explanation is in the 550 text.
	rcpt t12 203.0.113.66 forger.example eve@exp.test 198.51.100.20 \
	    bob@receiver.test
	# t13: the null sender checks postmaster@HELO (none here).
	rcpt t13 203.0.113.66 forger.example "" 198.51.100.20 \
	    bob@receiver.test
	# Other states, a recipient without a domain, a bad client address,
	# an unknown attribute: DUNNO.
	req protocol_state=CONNECT client_address=203.0.113.66 instance=t14
	req protocol_state=MAIL client_address=203.0.113.66 instance=t14 \
	    sender=alice@sender.test
	rcpt t14 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 postmaster
	rcpt t15 not-an-address forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test
	req protocol_state=RCPT client_address=203.0.113.66 \
	    sender=alice@sender.test recipient=bob@v6only.test instance=t16 \
	    server_address=2001:db8::20 new_attribute_of_postfix_9=x
}

# compare NAME GOT GOLD - GOT must equal expected/GOLD
compare() {
	if [ -n "${MXSPF_PROTO_REGEN:-}" ]; then
		cp "$2" "$exp/$3"
	fi
	if cmp -s "$exp/$3" "$2"; then
		ok "$1"
	else
		diff -u "$exp/$3" "$2" >"$tmp/diff" 2>&1
		bad "$1: output differs from expected/$3" "$tmp/diff"
	fi
}

# write_conf FILE [EXTRA LINES] - the test configuration; extra lines
# (with their sections) are appended
write_conf() {
	f=$1
	shift
	{
		printf '[policy]\nreceiver = mx.backup1.test\n'
		printf 'authserv_id = mx.backup1.test\n'
		printf '[mxspfd]\nsyslog_facility = none\nlog_stderr = yes\n'
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$f"
}

# start_daemon LOG ARGS... - start mxspfd -f in the background, wait for
# "ready" in LOG; 0, or 1 (and the log shown)
start_daemon() {
	log=$1
	shift
	rm -f "$log"	# an old "ready" must not count
	"$mxspfd" -f "$@" >"$log.out" 2>"$log" &
	daemon_pid=$!
	i=0
	while [ $i -lt 100 ]; do
		if grep -q ' ready ' "$log" 2>/dev/null; then
			return 0
		fi
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	bad "mxspfd did not start ($*)" "$log"
	daemon_pid=
	return 1
}

# stop_daemon NAME - SIGTERM; it must exit 0 without a sanitizer report
stop_daemon() {
	[ -n "$daemon_pid" ] || return 1
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	sanitized "$1" "$log" || return 1
	if [ $rc -ne 0 ]; then
		bad "$1: mxspfd exited $rc after SIGTERM" "$log"
		return 1
	fi
	return 0
}

# random_port - a port in 20000..59999
random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 40000))
}

group_stdio() {
	write_conf "$tmp/c.conf"
	main_input >"$tmp/main.in"
	"$mxspfd" -l stdio -f -c "$tmp/c.conf" -Z "$zone" <"$tmp/main.in" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sanitized stdio "$tmp/err" || return
	if [ $rc -ne 0 ]; then
		bad "stdio: exit status $rc at EOF" "$tmp/err"
		return
	fi
	compare stdio "$tmp/out" main.out
	# One decision line per recipient, with the timing.
	n=$(grep -c 'rcpt=<.*action=.* ms=[0-9]*$' "$tmp/err")
	if [ "$n" -eq 16 ]; then
		ok "stdio: one log line per decision"
	else
		bad "stdio: $n decision log lines, want 16" "$tmp/err"
	fi
	if grep -q '^mxspfd\[[0-9]*\]: 4XyZ1K2abc: .* rcpt=<dave@Receiver' \
	    "$tmp/err"; then
		ok "stdio: the queue id, once Postfix has one"
	else
		bad "stdio: no queue id in the log" "$tmp/err"
	fi
	if grep -q "no usable client_address 'not-an-address'" "$tmp/err" &&
	    grep -q "no domain in the recipient 'postmaster'" "$tmp/err"; then
		ok "stdio: bad client_address logged"
	else
		bad "stdio: bad client_address not logged" "$tmp/err"
	fi
	# Through a pipe (the spawn case: epoll), with stderr the same
	# file as stdout: no log line may reach the peer.
	main_input | "$mxspfd" -l stdio -c "$tmp/c.conf" -Z "$zone" \
	    >"$tmp/out2" 2>&1
	if cmp -s "$tmp/out" "$tmp/out2"; then
		ok "stdio: pipe, stderr = stdout: replies only"
	else
		diff -u "$tmp/out" "$tmp/out2" >"$tmp/diff"
		bad "stdio: pipe, stderr = stdout" "$tmp/diff"
	fi
	# As under Postfix spawn: stdin, stdout and stderr one socket (epoll);
	# the log must not reach the peer, even with -f.
	"$pclient" spawn "$tmp/main.in" "$mxspfd" -f -l stdio -c "$tmp/c.conf" \
	    -Z "$zone" >"$tmp/out2" 2>"$tmp/err2"
	{ cat "$tmp/out"; echo "[exit 0]"; } >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out2"; then
		ok "stdio: spawn (one socket for stdin, stdout, stderr)"
	else
		diff -u "$tmp/want" "$tmp/out2" >"$tmp/diff"
		bad "stdio: spawn" "$tmp/diff"
	fi
	# A TIMEOUT in the trust lookup never becomes a reject.
	{
		rcpt x1 203.0.113.66 forger.example alice@sender.test \
		    198.51.100.20 bob@broken.test
		rcpt x2 192.0.2.10 mail.sender.test alice@sender.test \
		    198.51.100.20 bob@broken.test
	} >"$tmp/to.in"
	"$mxspfd" -l stdio -f -c "$tmp/c.conf" -Z "$zone" <"$tmp/to.in" \
	    >"$tmp/out" 2>"$tmp/err"
	compare "stdio: trust DNS failure" "$tmp/out" timeout.out
	# Test mode never rejects.
	write_conf "$tmp/t.conf" "[policy]" "test_mode = yes"
	rcpt y1 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test >"$tmp/tm.in"
	"$mxspfd" -l stdio -f -c "$tmp/t.conf" -Z "$zone" <"$tmp/tm.in" \
	    >"$tmp/out" 2>"$tmp/err"
	if [ "$(cat "$tmp/out")" = "action=DUNNO" ] &&
	    grep -q 'test mode: would reject' "$tmp/err"; then
		ok "stdio: test mode"
	else
		bad "stdio: test mode" "$tmp/out"
	fi
	# Per-domain policy: other.test defers instead of rejecting.
	write_conf "$tmp/d.conf" "[domain other.test]" "on_fail = defer"
	rcpt z1 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@other.test >"$tmp/d.in"
	"$mxspfd" -l stdio -f -c "$tmp/d.conf" -Z "$zone" <"$tmp/d.in" \
	    >"$tmp/out" 2>"$tmp/err"
	if grep -q '^action=451 4.7.23 ' "$tmp/out"; then
		ok "stdio: per-domain on_fail"
	else
		bad "stdio: per-domain on_fail" "$tmp/out"
	fi
}

group_unix() {
	write_conf "$tmp/c.conf"
	main_input >"$tmp/main.in"
	port=$(random_port)
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" -l "inet:127.0.0.1:$port" || return
	"$pclient" talk "unix:$tmp/s" "$tmp/main.in" >"$tmp/out" \
	    2>"$tmp/err"
	if [ "$(tail -n 1 "$tmp/out")" = "[open]" ]; then
		sed '$d' "$tmp/out" >"$tmp/out2"
		compare "unix: persistent connection" "$tmp/out2" main.out
	else
		bad "unix: connection closed" "$tmp/out"
	fi
	"$pclient" talk "inet:127.0.0.1:$port" "$tmp/main.in" \
	    >"$tmp/out" 2>"$tmp/err"
	sed '$d' "$tmp/out" >"$tmp/out2"
	compare "inet: persistent connection" "$tmp/out2" main.out
	# One request at a time, 20 ms apart, as Postfix sends them.
	head -c 2000 "$tmp/main.in" | awk 'BEGIN{RS="";ORS="\n\n"}{print}' \
	    >"$tmp/few.in"
	"$pclient" talk -d 20 "unix:$tmp/s" "$tmp/few.in" >"$tmp/out" \
	    2>"$tmp/err"
	if grep -q '^action=550 5.7.23 ' "$tmp/out" &&
	    grep -q '^action=DUNNO' "$tmp/out"; then
		ok "unix: paced requests"
	else
		bad "unix: paced requests" "$tmp/out"
	fi
	if stop_daemon unix; then
		if [ -e "$tmp/s" ]; then
			bad "unix: socket left behind"
		else
			ok "unix: SIGTERM exits 0, socket removed"
		fi
	fi
}

group_malformed() {
	write_conf "$tmp/c.conf"
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	printf 'GET / HTTP/1.0\r\n\r\n' >"$tmp/m1"
	awk 'BEGIN{printf "request=smtpd_access_policy\nx="; \
	    for(i=0;i<3000;i++) printf "A"}' >"$tmp/m2"
	printf 'request=smtpd_access_policy\nsender=a\000b\n\n' >"$tmp/m3"
	printf 'protocol_state=RCPT\nrecipient=a@b.test\n\n' >"$tmp/m4"
	printf 'request=smtpd_access_policy\nrecipient=a@b.test\n' >"$tmp/m5"
	printf 'recipient=c@b.test\n\n' >>"$tmp/m5"
	awk 'BEGIN{print "request=smtpd_access_policy"; \
	    for(i=0;i<100;i++) print "a" i "=b"; print ""}' >"$tmp/m6"
	printf '\026\003\001\002\000\001\000\001\374\003\003' >"$tmp/m7"
	printf 'request=other_policy\n\n' >"$tmp/m8"
	printf '\n' >"$tmp/m9"
	awk 'BEGIN{print "request=smtpd_access_policy"; \
	    for(i=0;i<20;i++){printf "a%d=",i; for(j=0;j<1000;j++) \
	    printf "v"; print ""}; print ""}' >"$tmp/m10"
	for m in 1 2 3 4 5 6 7 8 9 10; do
		"$pclient" talk -w -t 10 "unix:$tmp/s" "$tmp/m$m" \
		    >"$tmp/out" 2>"$tmp/err"
		if [ "$(cat "$tmp/out")" = "[eof]" ]; then
			ok "malformed $m: closed without a reply"
		else
			bad "malformed $m: got a reply or no close" "$tmp/out"
		fi
	done
	# A good request, then junk on the same connection: the first is
	# answered, then the connection is closed.
	{
		rcpt g1 203.0.113.66 forger.example alice@sender.test \
		    198.51.100.20 bob@receiver.test
		printf 'junk\n'
	} >"$tmp/m11"
	"$pclient" talk -w -t 10 "unix:$tmp/s" "$tmp/m11" >"$tmp/out" 2>&1
	if grep -q '^action=550 5.7.23 ' "$tmp/out" &&
	    [ "$(tail -n 1 "$tmp/out")" = "[eof]" ]; then
		ok "malformed: good request answered, then closed"
	else
		bad "malformed: good then junk" "$tmp/out"
	fi
	# The log names the problem, escaped and cut at 100 bytes.
	if grep -q "bad request from .*: NUL byte (line 2): 'sender=a\\\\x00b'" \
	    "$tmp/log" &&
	    grep -q "line too long (line 2): 'x=AAAAAAAAAA*\.\.\.'" \
	    "$tmp/log" &&
	    grep -q "NUL byte (line 1): '\\\\x16\\\\x03" \
	    "$tmp/log" &&
	    grep -q "duplicate attribute (line 3): 'recipient=c@b.test'" \
	    "$tmp/log" &&
	    grep -q "too many attributes (line 101)" "$tmp/log" &&
	    grep -q "request too large" "$tmp/log" &&
	    grep -q "no request= attribute" "$tmp/log"; then
		ok "malformed: logged, escaped, cut"
	else
		bad "malformed: log lines" "$tmp/log"
	fi
	# Still serving, on a new connection.
	rcpt g2 192.0.2.10 mail.sender.test alice@sender.test 192.0.2.1 \
	    bob@receiver.test >"$tmp/g"
	"$pclient" talk "unix:$tmp/s" "$tmp/g" >"$tmp/out" 2>&1
	if [ "$(head -n 1 "$tmp/out")" = "action=DUNNO" ]; then
		ok "malformed: the daemon keeps serving"
	else
		bad "malformed: no longer serving" "$tmp/out"
	fi
	stop_daemon malformed && ok "malformed: SIGTERM exits 0"
	# Over stdio: bad input ends the run quietly (exit 0, no reply).
	printf 'junk\n' | "$mxspfd" -f -l stdio -c "$tmp/c.conf" -Z "$zone" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$tmp/out" ] &&
	    grep -q 'bad request from stdio' "$tmp/err"; then
		ok "malformed: stdio"
	else
		bad "malformed: stdio (exit $rc)" "$tmp/err"
	fi
	# An unterminated request at EOF is logged.
	printf 'request=smtpd_access_policy\nrecipient=a@b.test\n' |
	    "$mxspfd" -f -l stdio -c "$tmp/c.conf" -Z "$zone" \
	    >"$tmp/out" 2>"$tmp/err"
	if [ ! -s "$tmp/out" ] &&
	    grep -q 'in the middle of a request' "$tmp/err"; then
		ok "malformed: unterminated request"
	else
		bad "malformed: unterminated request" "$tmp/err"
	fi
}

group_concurrency() {
	write_conf "$tmp/c.conf"
	main_input >"$tmp/main.in"
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	for n in 50 200; do
		"$pclient" talk -n $n -t 60 "unix:$tmp/s" "$tmp/main.in" \
		    >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 0 ] &&
		    grep -q "^\[$n connections: identical\]" "$tmp/out"; then
			sed '$d' "$tmp/out" | sed '$d' >"$tmp/out2"
			compare "concurrency: $n connections" "$tmp/out2" \
			    main.out
		else
			bad "concurrency: $n connections (exit $rc)" "$tmp/err"
		fi
	done
	# A client that sends many requests and reads nothing for a while:
	# the replies the socket does not take wait in the connection (in
	# order); one that never reads is closed once MXSPFD_OUT_MAX bytes
	# wait, and the daemon goes on serving.
	rcpt bp 127.0.0.1 localhost alice@sender.test 198.51.100.20 \
	    bob@receiver.test >"$tmp/bp.one"
	for n in 1000 20000; do
		python3 - "$tmp/s" "$tmp/bp.one" "$n" >"$tmp/bp.$n" 2>&1 <<'PY'
import socket, sys, time
path, one, n = sys.argv[1], open(sys.argv[2], 'rb').read(), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(20)
try:
    s.sendall(one * n)          # the daemon answers while we do not read
    time.sleep(0.5)
    got = b''
    while got.count(b'\n\n') < n:
        b = s.recv(65536)
        if not b:
            break
        got += b
    print('replies', got.count(b'\n\n'), 'dunno', got.count(b'action=DUNNO\n\n'))
except OSError as e:
    print('closed', type(e).__name__)
PY
	done
	if grep -q '^replies 1000 dunno 1000$' "$tmp/bp.1000"; then
		ok "concurrency: 1000 unread replies wait, then all arrive"
	else
		bad "concurrency: unread replies" "$tmp/bp.1000"
	fi
	if wait_log "$tmp/log" 'does not read its replies; closing' &&
	    ! grep -q '^replies 20000 ' "$tmp/bp.20000" &&
	    "$pclient" talk -t 20 "unix:$tmp/s" "$tmp/bp.one" >"$tmp/out" \
	    2>&1 && grep -q '^action=DUNNO$' "$tmp/out"; then
		ok "concurrency: a client that never reads is closed"
	else
		bad "concurrency: never reads" "$tmp/bp.20000"
	fi
	stop_daemon concurrency && ok "concurrency: SIGTERM exits 0"
	# max_connections: the connections beyond it are closed at once.
	write_conf "$tmp/m.conf" "max_connections = 5"
	start_daemon "$tmp/log" -c "$tmp/m.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	"$pclient" talk -n 20 -t 20 "unix:$tmp/s" "$tmp/main.in" \
	    >"$tmp/out" 2>"$tmp/err"
	if grep -q 'too many connections (5)' "$tmp/log"; then
		ok "concurrency: max_connections"
	else
		bad "concurrency: max_connections not enforced" "$tmp/log"
	fi
	stop_daemon max_connections
}

group_signal() {
	write_conf "$tmp/c.conf"
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	# An open, idle persistent connection must not keep the daemon up.
	rcpt s1 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test >"$tmp/s.in"
	"$pclient" talk -w -t 20 "unix:$tmp/s" "$tmp/s.in" >"$tmp/out" \
	    2>&1 &
	bg_pids=$!
	sleep 0.5
	t0=$(date +%s)
	if stop_daemon signal; then
		t1=$(date +%s)
		if [ $((t1 - t0)) -le 3 ]; then
			ok "signal: SIGTERM with an idle connection: exit 0"
		else
			bad "signal: exit took $((t1 - t0)) s"
		fi
	fi
	wait "$bg_pids"
	bg_pids=
	if grep -q '^action=550' "$tmp/out" &&
	    [ "$(tail -n 1 "$tmp/out")" = "[eof]" ]; then
		ok "signal: the idle client was answered, then closed"
	else
		bad "signal: idle client" "$tmp/out"
	fi
	# SIGINT too, with no connection at all.
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	kill -INT "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	if [ $rc -eq 0 ]; then
		ok "signal: SIGINT exits 0"
	else
		bad "signal: SIGINT exit $rc" "$tmp/log"
	fi
	# The idle timeout closes a silent connection.
	write_conf "$tmp/i.conf" "idle_timeout = 1"
	start_daemon "$tmp/log" -c "$tmp/i.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	t0=$(date +%s)
	"$pclient" talk -w -t 20 "unix:$tmp/s" "$tmp/s.in" >"$tmp/out" 2>&1
	t1=$(date +%s)
	if [ "$(tail -n 1 "$tmp/out")" = "[eof]" ] &&
	    [ $((t1 - t0)) -le 4 ]; then
		ok "signal: idle timeout"
	else
		bad "signal: idle timeout ($((t1 - t0)) s)" "$tmp/out"
	fi
	stop_daemon idle
}

# SIGHUP: one persistent connection sends a forged-sender RCPT every 1.5 s
# (new transactions); between them the configuration is replaced (test
# mode: no more 550), then broken (the test mode must stay), then the
# -Z zone changes (sender.test's record no longer fails the forger).
group_reload() {
	write_conf "$tmp/r.conf"
	cp "$zone" "$tmp/r.yml"
	start_daemon "$tmp/log" -c "$tmp/r.conf" -Z "$tmp/r.yml" \
	    -l "unix:$tmp/s" || return
	for n in 1 2 3 4; do
		rcpt "r$n" 203.0.113.66 forger.example alice@sender.test \
		    198.51.100.20 bob@receiver.test
	done >"$tmp/r.in"
	"$pclient" talk -d 1500 -t 30 "unix:$tmp/s" "$tmp/r.in" \
	    >"$tmp/out" 2>&1 &
	bg_pids=$!
	sleep 0.7
	write_conf "$tmp/r.conf" "[policy]" "test_mode = yes"
	kill -HUP "$daemon_pid"
	wait_log "$tmp/log" 'configuration reloaded' ||
	    bad "reload: no 'configuration reloaded' in the log" "$tmp/log"
	sleep 1.5
	printf '[policy]\nno_such_key = 1\n' >"$tmp/r.conf"
	kill -HUP "$daemon_pid"
	wait_log "$tmp/log" 'reload failed, keeping the running configuration' &&
	    grep -q 'no_such_key' "$tmp/log" &&
	    ok "reload: a bad file is refused, with the reason logged" ||
	    bad "reload: bad file not reported" "$tmp/log"
	sleep 1.5
	write_conf "$tmp/r.conf"
	sed 's/v=spf1 a:mail.sender.test -all/v=spf1 +all/' "$zone" \
	    >"$tmp/r.yml"
	kill -HUP "$daemon_pid"
	wait "$bg_pids"
	bg_pids=
	actions=$(grep '^action=' "$tmp/out" | cut -c1-10 | tr '\n' ' ')
	if [ "$actions" = "action=550 action=DUN action=DUN action=DUN " ] &&
	    [ "$(tail -n 1 "$tmp/out")" = "[open]" ]; then
		ok "reload: one connection, 550 then test mode, kept over a bad file, zone reloaded"
	else
		bad "reload: actions '$actions'" "$tmp/out"
	fi
	# (decision lines reach the log within 50 ms: wait for the last)
	wait_log "$tmp/log" ' spf=pass'
	spf=$(grep -o ' spf=[a-z-]*' "$tmp/log" | tr -d '\n')
	if [ "$spf" = " spf=fail spf=fail spf=fail spf=pass" ]; then
		ok "reload: the new zone applies to the next transaction"
	else
		bad "reload: zone not reloaded ($spf)" "$tmp/log"
	fi
	grep -q 'reload: listen changed' "$tmp/log" &&
	    bad "reload: spurious listen warning" "$tmp/log"
	stop_daemon reload && ok "reload: SIGTERM exits 0 after reloads"
}

# SIGUSR1 logs the statistics line; its counts follow the requests sent.
group_stats() {
	write_conf "$tmp/c.conf"
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	main_input >"$tmp/main.in"
	"$pclient" talk -t 20 "unix:$tmp/s" "$tmp/main.in" >"$tmp/out" 2>&1
	kill -USR1 "$daemon_pid"
	if wait_log "$tmp/log" 'stats (SIGUSR1)'; then
		line=$(grep 'stats (SIGUSR1)' "$tmp/log")
		nreq=$(grep -c '^request=' "$tmp/main.in")
		nrcpt=$(grep -c '^protocol_state=RCPT' "$tmp/main.in")
		n550=$(grep -c '^action=550' "$tmp/out")
		nmx=$(grep -c 'relay=mx' "$tmp/log")
		miss=
		for kv in "requests=$nreq" "rcpt=$nrcpt" "reject=$n550" \
		    "trusted_mx=$nmx" latency_p99= spf_pass= dns_failures=; do
			case " $line" in
			*" $kv"*) ;;
			*) miss="$miss $kv" ;;
			esac
		done
		if [ -z "$miss" ] && [ "$nmx" -gt 0 ]; then
			ok "stats: SIGUSR1 line counts requests, rejects, trust"
		else
			bad "stats: missing$miss (nmx=$nmx)" "$tmp/log"
		fi
	else
		bad "stats: no line after SIGUSR1" "$tmp/log"
	fi
	stop_daemon stats &&
	    grep -q 'stats (exit)' "$tmp/log" &&
	    ok "stats: a final line at exit" ||
	    bad "stats: no line at exit" "$tmp/log"
	# stats_interval: a periodic line.
	write_conf "$tmp/p.conf" "stats_interval = 1"
	start_daemon "$tmp/log" -c "$tmp/p.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	sleep 1.5
	if grep -q 'stats (periodic)' "$tmp/log"; then
		ok "stats: stats_interval = 1 logs a periodic line"
	else
		bad "stats: no periodic line" "$tmp/log"
	fi
	stop_daemon stats2
}

group_config() {
	write_conf "$tmp/c.conf"
	"$mxspfd" -n -c "$tmp/c.conf" -Z "$zone" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'configuration OK' "$tmp/out"; then
		ok "config: -n accepts a good file"
	else
		bad "config: -n, exit $rc" "$tmp/err"
	fi
	printf '[policy]\ncheck_helo = yes\non_fail = bounce\n' >"$tmp/b.conf"
	"$mxspfd" -n -c "$tmp/b.conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "mxspfd: $tmp/b.conf:3: \
on_fail: 'bounce' is not accept, reject or defer" ]; then
		ok "config: -n reports FILE:LINE: message, exit 1"
	else
		bad "config: -n on a bad file, exit $rc" "$tmp/err"
	fi
	"$mxspfd" -n -c "$tmp/nonexistent.conf" >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 1 ] && grep -q 'cannot open' "$tmp/err"; then
		ok "config: missing file"
	else
		bad "config: missing file" "$tmp/err"
	fi
	"$mxspfd" -n -c "$tmp/c.conf" -Z "$tmp/nonexistent.yml" \
	    >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 1 ] && grep -q 'cannot load the zone' "$tmp/err"; then
		ok "config: missing zone"
	else
		bad "config: missing zone" "$tmp/err"
	fi
	write_conf "$tmp/r.conf" "[resolver]" "forwarders = 192.0.2.53@53"
	"$mxspfd" -n -c "$tmp/r.conf" >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 0 ]; then
		ok "config: -n sets up the resolver"
	else
		bad "config: -n with a forwarder" "$tmp/err"
	fi
	write_conf "$tmp/u.conf" "user = no-such-user-mxspf"
	"$mxspfd" -n -c "$tmp/u.conf" >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 1 ] && grep -q "user 'no-such-user-mxspf'" "$tmp/err"
	then
		ok "config: unknown user"
	else
		bad "config: unknown user" "$tmp/err"
	fi
	for a in "-l tcp:1.2.3.4:25" "-l inet:127.0.0.1:0" "-x" "-c" \
	    "extra"; do
		# shellcheck disable=SC2086
		"$mxspfd" -n $a >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 64 ] && grep -q '^usage: mxspfd' "$tmp/err"; then
			ok "config: usage error for '$a'"
		else
			bad "config: '$a' gave exit $rc" "$tmp/err"
		fi
	done
	"$mxspfd" -n -l stdio -l "unix:$tmp/x" -c "$tmp/c.conf" \
	    >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 1 ] && grep -q 'stdio cannot be combined' "$tmp/err"; then
		ok "config: stdio alone"
	else
		bad "config: stdio with another listener" "$tmp/err"
	fi
	# A live socket is not stolen; a stale one is replaced.
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	"$mxspfd" -f -c "$tmp/c.conf" -Z "$zone" -l "unix:$tmp/s" \
	    >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 1 ] && grep -q 'another server is listening' "$tmp/err"
	then
		ok "config: a live socket is not taken over"
	else
		bad "config: second daemon on the same socket" "$tmp/err"
	fi
	kill -9 "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	start_daemon "$tmp/log" -c "$tmp/c.conf" -Z "$zone" \
	    -l "unix:$tmp/s" && ok "config: a stale socket is replaced"
	stop_daemon stale
}

group_privs() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "privs: not root"
		return
	fi
	user=nobody
	uid=$(id -u $user 2>/dev/null) || { skip "privs: no user nobody"; \
	    return; }
	write_conf "$tmp/p.conf" "user = $user"
	start_daemon "$tmp/log" -c "$tmp/p.conf" -Z "$zone" \
	    -l "unix:$tmp/s" || return
	got=$(awk '/^Uid:/{print $2 $3 $4 $5}' "/proc/$daemon_pid/status")
	if [ "$got" = "$uid$uid$uid$uid" ]; then
		ok "privs: runs as $user"
	else
		bad "privs: uids $got, want $uid" "$tmp/log"
	fi
	if [ "$(stat -c %a "$tmp/s")" = 666 ] &&
	    [ "$(stat -c %u "$tmp/s")" = "$uid" ]; then
		ok "privs: socket mode 666, owned by $user"
	else
		bad "privs: socket $(stat -c '%a %u' "$tmp/s")"
	fi
	rcpt p1 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test >"$tmp/p.in"
	"$pclient" talk "unix:$tmp/s" "$tmp/p.in" >"$tmp/out" 2>&1
	if grep -q '^action=550 5.7.23 ' "$tmp/out"; then
		ok "privs: answers after the drop"
	else
		bad "privs: no answer after the drop" "$tmp/out"
	fi
	stop_daemon privs && ok "privs: SIGTERM exits 0"
	write_conf "$tmp/q.conf" "user = no-such-user-mxspf"
	"$mxspfd" -f -c "$tmp/q.conf" -Z "$zone" -l "unix:$tmp/s2" \
	    >"$tmp/out" 2>"$tmp/err"
	if [ $? -eq 1 ] && [ ! -e "$tmp/s2" ]; then
		ok "privs: refuses to run as root for an unknown user"
	else
		bad "privs: unknown user" "$tmp/err"
	fi
}

# trust NAME WANT_EXIT ARGS... - mxspf trust against the zone
trust() {
	name=$1
	want=$2
	shift 2
	"$mxspf" trust --zone "$zone" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sanitized "trust $name" "$tmp/err" || return
	if [ $rc -ne "$want" ]; then
		bad "trust $name: exit $rc, want $want" "$tmp/err"
		return
	fi
	compare "trust $name" "$tmp/out" "trust-$name.out"
}

group_trust() {
	trust relay 0 --domain receiver.test --server-address 198.51.100.20 \
	    --client 198.51.100.30
	trust more-preferred 1 --domain receiver.test \
	    --server-address 198.51.100.30 --client 198.51.100.20
	trust not-mx 1 --domain receiver.test --server-address 192.0.2.1 \
	    --client 203.0.113.66
	trust no-client 0 --domain receiver.test --server-address 192.0.2.1
	trust internal 0 --domain Receiver.Test. --client 198.51.100.30
	trust own-name 0 --domain receiver.test --own-name mx.backup1.test \
	    --client 2001:db8::20
	trust any 0 --domain receiver.test --mode any \
	    --server-address 198.51.100.30 --client 192.0.2.1
	trust off 1 --domain receiver.test --mode off --client 198.51.100.30
	trust dnserr 2 --domain broken.test --client 198.51.100.30
	trust v6only 0 --domain v6only.test --client 2001:db8::20 \
	    --own-addr 2001:db8::66
	trust nxdomain 1 --domain nowhere.test --client 192.0.2.1
	trust implicit 0 --domain mail.sender.test --client 192.0.2.10
	"$mxspf" trust --domain receiver.test >"$tmp/out" 2>"$tmp/err" \
	    --zone "$zone" --resolver 127.0.0.1
	if [ $? -eq 64 ] && grep -q 'exclude each other' "$tmp/err"; then
		ok "trust: --zone and --resolver"
	else
		bad "trust: --zone with --resolver" "$tmp/err"
	fi
	for a in "" "--domain" "--domain a..b" "--domain x.test --client x" \
	    "--domain x.test --mode all" "--domain x.test --bogus"; do
		# shellcheck disable=SC2086
		"$mxspf" trust $a >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 64 ] && [ ! -s "$tmp/out" ]; then
			ok "trust: usage error for '$a'"
		else
			bad "trust: '$a' gave exit $rc" "$tmp/err"
		fi
	done
	# A configuration file gives the mode and own names.
	write_conf "$tmp/t.conf" "[policy]" "own_names = mx.backup2.test" \
	    "[domain receiver.test]" "trust_mode = preference"
	trust conf 1 --domain receiver.test --config "$tmp/t.conf" \
	    --client 198.51.100.20
}

group_dns() {
	mkdir -p "$tmp/nsd"
	port=$(sh "$src/tests/dns/nsd.sh" start "$tmp/nsd" "$dir/zones" \
	    2>"$tmp/nsd.err")
	rc=$?
	if [ $rc -eq 77 ]; then
		cat "$tmp/nsd.err"
		skip "dns: nsd is not available"
		return
	fi
	if [ $rc -ne 0 ]; then
		bad "dns: nsd did not start" "$tmp/nsd.err"
		return
	fi
	write_conf "$tmp/c.conf" "[resolver]" "forwarders = 127.0.0.1@$port"
	main_input >"$tmp/main.in"
	start_daemon "$tmp/log" -c "$tmp/c.conf" -l "unix:$tmp/s" || return
	"$pclient" talk -t 60 "unix:$tmp/s" "$tmp/main.in" >"$tmp/out" \
	    2>"$tmp/err"
	sed '$d' "$tmp/out" >"$tmp/out2"
	compare "dns: libunbound, cold cache" "$tmp/out2" main.out
	"$pclient" talk -n 50 -t 60 "unix:$tmp/s" "$tmp/main.in" \
	    >"$tmp/out" 2>"$tmp/err"
	if grep -q '^\[50 connections: identical\]' "$tmp/out"; then
		sed '$d' "$tmp/out" | sed '$d' >"$tmp/out2"
		compare "dns: libunbound, 50 connections" "$tmp/out2" main.out
	else
		bad "dns: 50 connections" "$tmp/out"
	fi
	stop_daemon dns && ok "dns: SIGTERM exits 0"
	# mxspf trust through libunbound prints what it prints from the zone.
	"$mxspf" trust --resolver "127.0.0.1@$port" --domain receiver.test \
	    --server-address 198.51.100.20 --client 198.51.100.30 \
	    >"$tmp/out" 2>"$tmp/err"
	compare "dns: mxspf trust --resolver" "$tmp/out" trust-relay.out
	# A server that never answers: the deadline ends the lookups; a
	# would-be reject becomes 451 4.4.3 (the trust lookup failed), and
	# max_inflight turns the next request away with a 4xx.
	"$pclient" blackhole >"$tmp/bh.port" 2>/dev/null &
	bg_pids=$!
	i=0
	while [ ! -s "$tmp/bh.port" ] && [ $i -lt 50 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	bh=$(cat "$tmp/bh.port")
	write_conf "$tmp/b.conf" "max_inflight = 1" "[policy]" \
	    "deadline = 700ms" "on_temperror = defer" \
	    "[resolver]" "forwarders = 127.0.0.1@$bh"
	start_daemon "$tmp/log" -c "$tmp/b.conf" -l "unix:$tmp/s" || return
	rcpt b1 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test >"$tmp/b.in"
	t0=$(date +%s)
	"$pclient" talk -t 20 "unix:$tmp/s" "$tmp/b.in" >"$tmp/out1" 2>&1 &
	p1=$!
	sleep 0.3
	"$pclient" talk -t 20 "unix:$tmp/s" "$tmp/b.in" >"$tmp/out2" 2>&1
	wait $p1
	t1=$(date +%s)
	if grep -q '^action=451 4.4.3 ' "$tmp/out1" &&
	    [ $((t1 - t0)) -le 4 ]; then
		ok "dns: deadline -> 451 4.4.3, never a reject"
	else
		bad "dns: deadline ($((t1 - t0)) s)" "$tmp/out1"
	fi
	if grep -q '^action=DEFER_IF_PERMIT ' "$tmp/out2"; then
		ok "dns: max_inflight -> DEFER_IF_PERMIT"
	else
		bad "dns: max_inflight" "$tmp/out2"
	fi
	stop_daemon deadline && ok "dns: SIGTERM exits 0 (dead server)"
	# The deadline timer stays armed from one recipient to the next on a
	# connection: a recipient that starts 500 ms after a quick one (an
	# exempt client: no lookup) still gets its own 700 ms, not what was
	# left of the first one's.
	write_conf "$tmp/l.conf" "[policy]" "deadline = 700ms" \
	    "on_temperror = defer" "[resolver]" "forwarders = 127.0.0.1@$bh"
	start_daemon "$tmp/log" -c "$tmp/l.conf" -l "unix:$tmp/s" || return
	{ rcpt l1 127.0.0.1 localhost alice@sender.test 198.51.100.20 \
	    bob@receiver.test
	  rcpt l2 203.0.113.66 forger.example alice@sender.test \
	    198.51.100.20 bob@receiver.test; } >"$tmp/l.in"
	t0=$(date +%s%N)
	"$pclient" talk -d 500 -t 20 "unix:$tmp/s" "$tmp/l.in" >"$tmp/out1" 2>&1
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	if [ "$(grep -c '^action=' "$tmp/out1")" = 2 ] &&
	    grep -q '^action=451 4.4.3 ' "$tmp/out1" &&
	    [ "$ms" -ge 1150 ] && [ "$ms" -le 4000 ]; then
		ok "dns: a later recipient gets its whole deadline (${ms} ms)"
	else
		bad "dns: later recipient's deadline (${ms} ms)" "$tmp/out1"
	fi
	stop_daemon lazy
	# concurrency = 1: while one recipient resolves, the others wait in
	# line.  One waiting client goes away (its recipient is dropped);
	# after a reload shortens the deadline, a waiting recipient's
	# deadline passes before the running one's: it gets 451 4.4.3 at
	# once, and the running one ends at its own deadline.
	write_conf "$tmp/q.conf" "concurrency = 1" "[policy]" \
	    "deadline = 3s" "on_temperror = defer" \
	    "[resolver]" "forwarders = 127.0.0.1@$bh"
	start_daemon "$tmp/log" -v -c "$tmp/q.conf" -l "unix:$tmp/s" ||
	    return
	"$pclient" talk -t 20 "unix:$tmp/s" "$tmp/b.in" >"$tmp/out1" 2>&1 &
	p1=$!
	sleep 0.2
	write_conf "$tmp/q.conf" "concurrency = 1" "[policy]" \
	    "deadline = 300ms" "on_temperror = defer" \
	    "[resolver]" "forwarders = 127.0.0.1@$bh"
	kill -HUP "$daemon_pid"
	wait_log "$tmp/log" 'configuration reloaded' ||
	    bad "dns: concurrency: no reload" "$tmp/log"
	"$pclient" talk -t 20 "unix:$tmp/s" "$tmp/b.in" >"$tmp/out3" 2>&1 &
	p3=$!
	sleep 0.1
	kill "$p3"
	wait "$p3" 2>/dev/null
	t0=$(date +%s)
	"$pclient" talk -t 20 "unix:$tmp/s" "$tmp/b.in" >"$tmp/out2" 2>&1
	t1=$(date +%s)
	if grep -q '^action=451 4.4.3 ' "$tmp/out2" &&
	    grep -q 'passed while waiting' "$tmp/log" &&
	    [ $((t1 - t0)) -le 1 ]; then
		ok "dns: concurrency 1: a waiting recipient ends at its deadline"
	else
		bad "dns: concurrency 1: waiting ($((t1 - t0)) s)" "$tmp/log"
	fi
	wait "$p1"
	if grep -q '^action=451 4.4.3 ' "$tmp/out1"; then
		ok "dns: concurrency 1: the running recipient ends at its own"
	else
		bad "dns: concurrency 1: running" "$tmp/out1"
	fi
	stop_daemon queue &&
	    ok "dns: SIGTERM exits 0 after a client left while waiting"
}

for g in $groups; do
	case $g in
	stdio | unix | malformed | concurrency | signal | reload | stats | \
	    config | privs | trust | dns)
		"group_$g" ;;
	*)
		echo "unknown group $g" >&2
		exit 2 ;;
	esac
done
echo "$passed passed, $failed failed, $skipped skipped"
if [ $failed -ne 0 ]; then
	exit 1
fi
if [ $passed -eq 0 ] && [ $skipped -gt 0 ]; then
	exit 77
fi
exit 0
