#!/bin/bash
# tests/e2e/run.sh - the backup-MX scenario end to end, with real
# components: one Debian Postfix per host, each in its own network
# namespace, an nsd serving the test zones, swaks as the sending client,
# and mxspfd plugged into every MX through check_policy_service; then
# mxspf-milter on the primary (smtpd_milters), which re-checks SPF
# against the original client behind the backup MXes.
#
# Owns: the network namespaces it creates (mxe2e<PID>-*), their
#   /etc/netns/<name> directories, a temporary directory (Postfix
#   instances, mailboxes, logs, nsd state), and the processes it starts
#   inside those namespaces (nsd, three Postfix instances, three mxspfd,
#   one mxspf-milter).
#   Everything is removed on exit, also on failure or a signal; a
#   detached watchdog cleans up if this script is killed outright
#   (CTest's timeout).
# Must not: touch the root namespace's network, the system Postfix or nsd,
#   or send a packet to any address outside its own namespaces.
#
# The LAN (a bridge in its own namespace; 192.0.2.0/24, TEST-NET-1):
#   dns      192.0.2.53  nsd, authoritative for the zones in zones/
#   sender   192.0.2.10  mail.sender.test (sender.test's SPF: a:mail.sender.test -all)
#   primary  192.0.2.20  mail.receiver.test, MX 10 of receiver.test; also other.test
#   backup1  192.0.2.21  mx.backup1.test,    MX 20 of receiver.test
#   backup2  192.0.2.22  mx.backup2.test,    MX 30 of receiver.test
#   spammer  192.0.2.66  mail.spammer.test (forges sender.test)
# The backups relay receiver.test by its MX records (and dnsfail.test, a
# domain no DNS server answers for); the primary delivers receiver.test
# and other.test to mbox files; each MX's Postfix asks its own mxspfd
# (127.0.0.1:10023 in its namespace) after reject_unauth_destination and
# at DATA.
#
# Steps (each a row of the verdict table):
#   1  primary, backup1 down: sender -> backup2: 250, queued
#   2  backup1 up, backup2 flushes: backup1 accepts (trusted MX relay)
#   3  primary up, backup1 flushes: primary accepts, message in the mailbox
#   3h its trace headers: relay records (primary, backup1), SPF pass (backup2)
#   4  backup2 -> primary, bob@receiver.test + carol@other.test in one
#      transaction: bob 250, carol 550 5.7.23
#   4h its one trace header records the trust for receiver.test only
#   5  spammer -> backup2 with a sender.test address: 550 5.7.23
#   5b primary -> backup2: not trusted (a more preferred MX host): 550 5.7.23
#   6  backup2 -> backup1 for dnsfail.test (MX lookup fails): 451 4.4.3
#   2' step 2 with trust_mode=off on backup1: 550, backup2 bounces it
#      (the problem mxspf solves)
#   M* the milter steps (when MILTER is given; see "The milter" below):
#      the primary runs mxspf-milter next to its mxspfd; backup2 runs no
#      SPF check and relays receiver.test to backup1 (transport map)
#   Ma legitimate mail sender -> backup2 -> backup1 -> primary: the
#      milter's re-check finds pass for the original client, delivered;
#      the header shows it and that backup2 did not check SPF
#   Mb forged sender.test mail spammer -> backup2 -> backup1 -> primary,
#      carrying a forged Authentication-Results with the primary's
#      authserv-id and a forged Received-SPF pass: re-check fail, tagged
#      (recheck_fail = tag), backup2 recorded as not checking SPF, the
#      forged A-R removed and the forged Received-SPF not believed
#   Mq as Mb with recheck_fail = quarantine: held in the primary's hold
#      queue (postqueue -j), not delivered
#   Mc backup2 checks SPF again (mxspfd): sender -> backup2 -> backup1 ->
#      primary: both verdicts recorded (pass) and agreeing
#   Mp twelve sessions at once through the milter (one libmilter thread
#      each, one shared resolver): all re-checked and delivered
#   Md direct mail to the primary, its mxspfd writing
#      Authentication-Results with the primary's authserv-id: the milter
#      keeps that header and removes a forged one
#   Mr the primary without mxspfd, the milter deciding recipients
#      (rcpt_checks = yes): backup2 -> primary for bob@receiver.test and
#      carol@other.test: bob 250, carol 550 5.7.23 from the milter
#   M7 the milter exits 0 on SIGTERM, without a sanitizer report
#   7  every mxspfd exits 0 on SIGTERM, without a sanitizer report
#
# Usage: run.sh [--keep] [--no-policy] MXSPFD [MILTER]
#   MXSPFD       the built mxspfd
#   MILTER       the built mxspf-milter (missing or "": no M* steps)
#   --no-policy  no policy service at all (debugging the infrastructure:
#                only the mail flow of steps 1-3 is checked)
#   --keep       keep the temporary directory (logs, mailboxes)
# Exit: 0 every step passed, 1 a step failed, 77 cannot run here (not
# root, no network namespaces, a package missing), 2 usage.
# SPDX-License-Identifier: BSD-2-Clause
set -u
PATH=$PATH:/usr/sbin:/sbin		# postfix, postqueue, nsd, ip

HERE=$(cd "$(dirname "$0")" && pwd)
PORT=10023			# mxspfd in each MX namespace: 127.0.0.1:PORT
MPORT=10024			# mxspf-milter on the primary: 127.0.0.1:MPORT
WAIT=30				# seconds, the longest single wait
DEADLINE=150			# seconds, the whole run (CTest allows 240)
NET=192.0.2
declare -A IP=([dns]=$NET.53 [sender]=$NET.10 [primary]=$NET.20
    [backup1]=$NET.21 [backup2]=$NET.22 [spammer]=$NET.66)
declare -A FQDN=([dns]=ns.dns.test [sender]=mail.sender.test
    [primary]=mail.receiver.test [backup1]=mx.backup1.test
    [backup2]=mx.backup2.test [spammer]=mail.spammer.test)
HOSTS="dns sender primary backup1 backup2 spammer"
MXES="primary backup1 backup2"

# ---- cleanup (also run by the watchdog) -------------------------------

# cleanup_dir T - stop everything recorded in T, delete the namespaces
# listed in T/netns and their /etc/netns entries
cleanup_dir() {
	local t=$1 ns pid i
	[ -d "$t" ] || return 0
	for i in $MXES; do
		[ -f "$t/$i/etc/main.cf" ] &&
		    postfix -c "$t/$i/etc" stop >/dev/null 2>&1
	done
	for pid in $(cat "$t"/*.pid 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	sleep 0.2
	# Whatever still runs inside our namespaces was started by us.
	for ns in $(cat "$t/netns" 2>/dev/null); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for ns in $(cat "$t/netns" 2>/dev/null); do
		ip netns del "$ns" 2>/dev/null
		case $ns in
		mxe2e[0-9]*-*) rm -rf "/etc/netns/$ns" ;;
		esac
	done
	rm -f "$t/netns"
	rmdir /etc/netns 2>/dev/null	# if we made it and nobody else uses it
}

# alive PID - PID runs (a zombie nobody reaps does not count)
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

if [ "${1:-}" = --watchdog ]; then
	# run.sh --watchdog PID T KEEP: clean up T once PID is gone
	while alive "$2"; do
		sleep 1
	done
	cleanup_dir "$3"
	[ "$4" = 1 ] || rm -rf "$3"
	exit 0
fi

# ---- arguments, preconditions -----------------------------------------

KEEP=0
POLICY=1
while [ $# -gt 0 ]; do
	case $1 in
	--keep) KEEP=1 ;;
	--no-policy) POLICY=0 ;;
	--) shift; break ;;
	-*) echo "usage: $0 [--keep] [--no-policy] MXSPFD [MILTER]" >&2
	    exit 2 ;;
	*) break ;;
	esac
	shift
done
MXSPFD=${1:-}
MILTER=${2:-}

skip() {
	echo "*************************************************************"
	echo "SKIPPED: $*"
	echo "*************************************************************"
	exit 77
}

[ "$(id -u)" -eq 0 ] ||
    skip "the end-to-end test needs root (network namespaces, Postfix)"
for c in ip postfix postqueue swaks nsd nsd-checkconf; do
	command -v $c >/dev/null 2>&1 ||
	    skip "$c is missing (scripts/deps.sh installs postfix, swaks, nsd, iproute2)"
done
if [ $POLICY = 1 ]; then
	[ -n "$MXSPFD" ] ||
	    skip "mxspfd was not built (no cmd/mxspfd target in this tree)"
	[ -x "$MXSPFD" ] || skip "mxspfd not found at $MXSPFD"
	MXSPFD=$(cd "$(dirname "$MXSPFD")" && pwd)/$(basename "$MXSPFD")
fi
if [ $POLICY = 1 ] && [ -n "$MILTER" ]; then
	[ -x "$MILTER" ] || skip "mxspf-milter not found at $MILTER"
	MILTER=$(cd "$(dirname "$MILTER")" && pwd)/$(basename "$MILTER")
else
	MILTER=""
fi

P=mxe2e$$
# In /tmp, not $TMPDIR: Postfix's daemons and the virtual delivery agent
# (as nobody) must reach their directories in it.
T=$(mktemp -d /tmp/mxspf-e2e.XXXXXX) || skip "mktemp failed"
chmod 755 "$T"
LOG=$T/run.log
: > "$T/netns"
WATCHDOG=""
FAILED=0

on_exit() {
	local rc=$?
	trap - EXIT
	if [ $FAILED = 1 ] || [ $KEEP = 1 ]; then
		show_logs
	fi
	cleanup_dir "$T"
	[ -z "$WATCHDOG" ] || kill "$WATCHDOG" 2>/dev/null
	if [ $KEEP = 1 ]; then
		echo "e2e: kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap on_exit EXIT
trap 'FAILED=1; say "interrupted (SIGHUP)"; exit 129' HUP
trap 'FAILED=1; say "interrupted (SIGINT)"; exit 130' INT
trap 'FAILED=1; say "interrupted (SIGTERM)"; exit 143' TERM
setsid bash "$0" --watchdog $$ "$T" $KEEP </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

T0=$(date +%s.%N)
# now - seconds since the start, one decimal
now() {
	echo "$(date +%s.%N) $T0" | awk '{ printf "%.1f", $1 - $2 }'
}
say() {
	printf '[%5ss] %s\n' "$(now)" "$*"
	printf '[%5ss] %s\n' "$(now)" "$*" >> "$LOG"
}
die() {
	say "ERROR: $*"
	FAILED=1
	exit 1
}

# show_logs - the logs of every component, for a failed run
show_logs() {
	local f
	for f in "$T"/dns/nsd.log "$T"/*/maillog "$T"/*/mxspfd.log \
	    "$T"/*/milter.log; do
		[ -s "$f" ] || continue
		echo "----- ${f#$T/}"
		tail -n 60 "$f"
	done
}

# nsx HOST CMD... - run CMD in HOST's namespace
nsx() {
	local h=$1
	shift
	ip netns exec "$P-$h" "$@"
}

# wait_for SECONDS CMD... - poll CMD every 0.2 s until it succeeds; at
# most SECONDS, and never past the run's deadline (DEADLINE seconds)
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		[ "$SECONDS" -lt "$DEADLINE" ] ||
		    die "the run takes longer than $DEADLINE s; giving up"
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# ---- the LAN ------------------------------------------------------------

make_lan() {
	local h
	ip netns add "$P-lan" || skip "cannot create a network namespace"
	echo "$P-lan" >> "$T/netns"
	ip -n "$P-lan" link set lo up
	ip -n "$P-lan" link add br0 type bridge forward_delay 0 stp_state 0 ||
	    skip "cannot create a bridge in a network namespace"
	ip -n "$P-lan" link set br0 up
	for h in $HOSTS; do
		ip netns add "$P-$h" || die "ip netns add $P-$h"
		echo "$P-$h" >> "$T/netns"
		mkdir -p "/etc/netns/$P-$h"
		printf 'nameserver %s\noptions timeout:1 attempts:2\n' \
		    "${IP[dns]}" > "/etc/netns/$P-$h/resolv.conf"
		printf '127.0.0.1\tlocalhost\n%s\t%s\n' "${IP[$h]}" \
		    "${FQDN[$h]}" > "/etc/netns/$P-$h/hosts"
		ip -n "$P-lan" link add "v-$h" type veth peer name eth0 \
		    netns "$P-$h" || skip "cannot create a veth pair"
		ip -n "$P-lan" link set "v-$h" master br0 up
		ip -n "$P-$h" link set lo up
		ip -n "$P-$h" addr add "${IP[$h]}/24" dev eth0
		ip -n "$P-$h" link set eth0 up
	done
}

# ---- nsd ----------------------------------------------------------------

start_nsd() {
	local d=$T/dns f
	mkdir -p "$d"
	{
		printf 'server:\n'
		printf '\tip-address: %s\n\tport: 53\n\tdo-ip6: no\n' "${IP[dns]}"
		printf '\tpidfile: "%s/nsd.pidfile"\n' "$d"
		printf '\tzonesdir: "%s"\n\tdatabase: ""\n' "$d"
		printf '\tusername: ""\n\tchroot: ""\n'
		printf '\tlogfile: "%s/nsd.log"\n' "$d"
		printf '\txfrdfile: "%s/xfrd.state"\n' "$d"
		printf '\tzonelistfile: "%s/zone.list"\n\txfrdir: "%s"\n' "$d" "$d"
		printf '\tserver-count: 1\n\tverbosity: 1\n'
		printf '\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n'
		printf 'remote-control:\n\tcontrol-enable: no\n'
		for f in "$HERE"/zones/*.zone; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
			    "$(basename "$f" .zone)" "$f"
		done
	} > "$d/nsd.conf"
	nsd-checkconf "$d/nsd.conf" || die "nsd-checkconf $d/nsd.conf"
	# (ip netns exec execs the program: $! is nsd's pid)
	ip netns exec "$P-dns" nsd -d -c "$d/nsd.conf" >"$d/nsd.out" 2>&1 &
	echo $! > "$T/nsd.pid"
	wait_for 10 grep -qs "nsd started" "$d/nsd.log" ||
	    die "nsd did not start"
	# Every host reaches nsd over the LAN, and its system resolver (what
	# Postfix uses) sees the test zones.
	for h in $HOSTS; do
		wait_for 5 nsx "$h" getent hosts mail.receiver.test >/dev/null ||
		    die "mail.receiver.test does not resolve in $h's namespace"
	done
}

# ---- mxspfd ---------------------------------------------------------------

# start_mxspfd HOST TRUST_MODE [POLICY_LINE] - (re)start HOST's mxspfd
start_mxspfd() {
	local h=$1 mode=$2 d=$T/$1
	stop_mxspfd "$h"
	sed -e "s|@PORT@|$PORT|g" -e "s|@DNS@|${IP[dns]}|g" \
	    -e "s|@TRUST_MODE@|$mode|g" -e "s|@FQDN@|${FQDN[$h]}|g" \
	    "$HERE/mxspfd.conf.in" > "$d/mxspfd.conf"
	# More [policy] keys (the template ends with that section).
	[ -z "${3:-}" ] || printf '%s\n' "$3" >> "$d/mxspfd.conf"
	echo "=== mxspfd $h trust_mode=$mode ${3:-}" >> "$d/mxspfd.log"
	ip netns exec "$P-$h" "$MXSPFD" -c "$d/mxspfd.conf" -f \
	    >>"$d/mxspfd.log" 2>&1 &
	echo $! > "$T/mxspfd-$h.pid"
	wait_for 10 listening "$h" "$PORT" ||
	    die "mxspfd on $h does not listen on 127.0.0.1:$PORT"
	kill -0 "$(cat "$T/mxspfd-$h.pid")" 2>/dev/null ||
	    die "mxspfd on $h exited"
}

# stop_mxspfd HOST
stop_mxspfd() {
	local f=$T/mxspfd-$1.pid pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	kill "$pid" 2>/dev/null
	wait_for 5 eval "! alive $pid" || {
		say "mxspfd on $1 ignores SIGTERM; SIGKILL"
		kill -9 "$pid" 2>/dev/null
	}
	wait "$pid" 2>/dev/null
	echo "$1 $?" >> "$T/mxspfd-exits"
	wait_for 5 eval "! listening $1 $PORT" ||
	    die "127.0.0.1:$PORT on $1 still listening after mxspfd stopped"
}

# listening HOST PORT - something listens on 127.0.0.1:PORT in HOST
listening() {
	nsx "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

# ---- mxspf-milter -----------------------------------------------------------

# start_milter HOST RCPT_CHECKS RECHECK_FAIL - (re)start HOST's milter
# with one file: HOST's mxspfd.conf (the shared sections; mxspfd's own
# [mxspfd] is ignored by the milter) plus the [milter] section
start_milter() {
	local h=$1 d=$T/$1
	stop_milter "$h"
	{
		cat "$d/mxspfd.conf"
		sed -e "s|@MPORT@|$MPORT|g" -e "s|@RCPT_CHECKS@|$2|g" \
		    -e "s|@RECHECK_FAIL@|$3|g" "$HERE/milter.conf.in"
	} > "$d/milter.conf"
	echo "=== mxspf-milter $h rcpt_checks=$2 recheck_fail=$3" >> "$d/milter.log"
	ip netns exec "$P-$h" "$MILTER" -c "$d/milter.conf" -f \
	    >>"$d/milter.log" 2>&1 &
	echo $! > "$T/milter-$h.pid"
	wait_for 10 listening "$h" "$MPORT" ||
	    die "mxspf-milter on $h does not listen on 127.0.0.1:$MPORT"
	kill -0 "$(cat "$T/milter-$h.pid")" 2>/dev/null ||
	    die "mxspf-milter on $h exited"
}

# stop_milter HOST - SIGTERM; its exit status goes to T/milter-exits
stop_milter() {
	local f=$T/milter-$1.pid pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	kill "$pid" 2>/dev/null
	wait_for 10 eval "! alive $pid" || {
		say "mxspf-milter on $1 ignores SIGTERM; SIGKILL"
		kill -9 "$pid" 2>/dev/null
	}
	wait "$pid" 2>/dev/null
	echo "$1 $?" >> "$T/milter-exits"
	wait_for 5 eval "! listening $1 $MPORT" ||
	    die "127.0.0.1:$MPORT on $1 still listening after the milter stopped"
}

# milter_log_has HOST REGEX - HOST's milter logged a line matching REGEX
milter_log_has() {
	grep -Eq -- "$2" "$T/$1/milter.log" 2>/dev/null
}

# ---- Postfix ------------------------------------------------------------

# setup_postfix HOST - write HOST's instance (not started)
setup_postfix() {
	local h=$1 d=$T/$1 relay="" virt="" policy=""
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chown postfix "$d/data"
	chmod 700 "$d/data"
	case $h in
	primary)
		virt="receiver.test, other.test"
		mkdir -p "$T/mail"
		chown 65534:65534 "$T/mail"
		printf 'bob@receiver.test\tbob\ncarol@other.test\tcarol\n' \
		    > "$d/etc/vmailbox" ;;
	*)
		# dnsfail.test: relayed too, but no DNS server answers for it
		relay="receiver.test, dnsfail.test"
		: > "$d/etc/vmailbox" ;;
	esac
	[ $POLICY = 1 ] && policy=" check_policy_service inet:127.0.0.1:$PORT"
	sed -e "s|@DIR@|$d|g" -e "s|@HOST@|$h|g" \
	    -e "s|@HOSTNAME@|${FQDN[$h]}|g" -e "s|@DOMAIN@|${FQDN[$h]#*.}|g" \
	    -e "s|@RELAY_DOMAINS@|$relay|g" -e "s|@VIRTUAL_DOMAINS@|$virt|g" \
	    -e "s|@MAILDIR@|$T/mail|g" -e "s|@MAILUID@|65534|g" \
	    -e "s|@MAILGID@|65534|g" -e "s|@POLICY@|$policy|g" \
	    "$HERE/postfix/main.cf.in" > "$d/etc/main.cf"
	cp "$HERE/postfix/master.cf.in" "$d/etc/master.cf"
	# "postfix start" creates the queue directories (post-install
	# create-missing).
}

# pf_start HOST / pf_stop HOST - Postfix on HOST up / down
pf_start() {
	nsx "$1" postfix -c "$T/$1/etc" start >>"$LOG" 2>&1 ||
	    die "postfix start on $1"
	wait_for 10 listening "$1" 25 || die "Postfix on $1 does not listen"
}
pf_stop() {
	postfix -c "$T/$1/etc" stop >>"$LOG" 2>&1
	wait_for 10 eval "! postfix -c '$T/$1/etc' status >/dev/null 2>&1" ||
	    die "Postfix on $1 does not stop"
}

# pf_conf HOST NAME=VALUE... - change HOST's main.cf, reload Postfix
pf_conf() {
	local h=$1
	shift
	postconf -c "$T/$h/etc" -e "$@" >>"$LOG" 2>&1 ||
	    die "postconf on $h: $*"
	postfix -c "$T/$h/etc" reload >>"$LOG" 2>&1 || die "postfix reload on $h"
}

# held HOST MSGID - a message with MSGID is in HOST's hold queue
held() {
	local qid
	for qid in $(postqueue -c "$T/$1/etc" -j 2>/dev/null |
	    sed -n 's/.*"queue_name": *"hold".*"queue_id": *"\([0-9A-Za-z]*\)".*/\1/p'); do
		postcat -c "$T/$1/etc" -hq "$qid" 2>/dev/null |
		    grep -qiF "Message-Id: <$2>" && return 0
	done
	return 1
}

# flush HOST - retry HOST's deferred mail now
flush() {
	postqueue -c "$T/$1/etc" -f >>"$LOG" 2>&1 || die "postqueue -f on $1"
}

# ---- the SMTP client ------------------------------------------------------

# send HOST OUT SUBJECT MSGID TO[,TO...] [HELO] - swaks from HOST to the
# SMTP server at IP[SERVER] (the global SERVER) with sender alice@sender.test
# and the extra headers in the global array XH; the transcript goes to OUT
XH=()
send() {
	local h=$1 out=$2 subj=$3 id=$4 to=$5 helo=${6:-${FQDN[$1]}} x
	local -a xh=()
	for x in "${XH[@]}"; do
		xh+=(--add-header "$x")
	done
	nsx "$h" swaks --server "${IP[$SERVER]}" --helo "$helo" \
	    --from alice@sender.test --to "$to" --timeout 20 \
	    --header "Subject: $subj" --header "Message-Id: <$id>" "${xh[@]}" \
	    --body "mxspf end-to-end test message $id" > "$out" 2>&1
	echo "--- swaks $h -> $SERVER ($id)" >> "$LOG"
	cat "$out" >> "$LOG"
}

# rcpt_reply OUT ADDR - the server's reply to RCPT TO:<ADDR> in a swaks
# transcript (first line, without swaks' arrow)
rcpt_reply() {
	awk -v a="RCPT TO:<$2>" '
	    found && /^<[-*~]/ { sub(/^<[-*~]+ +/, ""); print; exit }
	    index($0, a) { found = 1 }' "$1"
}

# smtp_code REPLY - "550 5.7.23" of "550 5.7.23 text", "no reply" for ""
smtp_code() {
	if [ -z "$1" ]; then
		echo "no reply"
	else
		echo "$1" | awk '{ print ($2 ~ /^[245]\.[0-9]+\.[0-9]+$/) ? $1 " " $2 : $1 }'
	fi
}

# queue_id OUT - the queue id in "250 2.0.0 Ok: queued as ID"
queue_id() {
	sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$1" | head -n 1
}

# status_line HOST QID - the last delivery status line of QID in HOST's log
status_line() {
	grep " $2: to=<.*status=" "$T/$1/maillog" 2>/dev/null | tail -n 1
}
# has_status HOST QID REGEX - QID's last status line matches REGEX
has_status() {
	status_line "$1" "$2" | grep -Eq "$3"
}
# status_summary HOST QID - "status=X (reply)" of QID's last status line
status_summary() {
	status_line "$1" "$2" | sed -n 's/.*\(relay=[^,]*\).*\(status=.*\)/\1 \2/p'
}

# mailbox_has USER TEXT
mailbox_has() {
	grep -qF "$2" "$T/mail/$1" 2>/dev/null
}

# trace_headers USER MSGID [unfold] - the SPF trace headers
# (Received-SPF, Authentication-Results, X-Mxspf-Relay, X-Mxspf-Recheck)
# of message MSGID
# in USER's mailbox, newest first; with "unfold", one header per line
trace_headers() {
	awk -v id="<$2>" -v unfold="${3:-}" '
	    /^From / { if (hit) exit; n = 0; inhdr = 1; keep = 0; next }
	    !inhdr { next }
	    /^$/ { inhdr = 0; if (hit) exit; next }
	    /^[ \t]/ {
		if (keep) {
			if (unfold) { sub(/^[ \t]+/, " "); h[n] = h[n] $0 }
			else h[n] = h[n] "\n" $0
		}
		next }
	    { keep = 0 }
	    tolower($0) ~ /^(received-spf|authentication-results|x-mxspf-relay|x-mxspf-recheck):/ {
		h[++n] = $0; keep = 1 }
	    tolower($0) ~ /^message-id:/ && index($0, id) { hit = 1 }
	    END { if (hit) for (i = 1; i <= n; i++) print h[i] }' \
	    "$T/mail/$1" 2>/dev/null
}

# check_headers USER MSGID PATTERN... - the message's trace headers,
# newest first, match the extended regular expressions PATTERN..., one
# each, and there are no more; prints what differs
check_headers() {
	local user=$1 id=$2 i=0 hdr
	shift 2
	local -a hs
	mapfile -t hs < <(trace_headers "$user" "$id" unfold)
	if [ ${#hs[@]} -ne $# ]; then
		echo "${#hs[@]} trace headers, not $#"
		return 1
	fi
	for hdr in "${hs[@]}"; do
		i=$((i + 1))
		if ! printf '%s\n' "$hdr" | grep -Eq -- "${!i}"; then
			echo "header $i: $(printf '%s' "$hdr" | cut -c1-60)"
			return 1
		fi
	done
	echo "${#hs[@]} headers as expected"
}

# ---- the verdict table ------------------------------------------------------

ROWS=()
# verdict STEP EXPECTED GOT PASS|FAIL
verdict() {
	ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4")
	say "step $1: $4 (expected: $2; got: $3)"
	[ "$4" = PASS ] || FAILED=1
}
print_table() {
	local r
	echo
	if [ $POLICY = 1 ]; then
		echo "mxspf end-to-end: backup MX scenario with real Postfix, nsd, swaks, mxspfd${MILTER:+, mxspf-milter}"
	else
		echo "mxspf end-to-end: mail flow only (--no-policy: no mxspfd)"
	fi
	printf '%s\n' "${ROWS[@]}" | awk -F'\t' '
	    { s[NR] = $1; e[NR] = $2; g[NR] = $3; v[NR] = $4
	      if (length(g[NR]) > 60) g[NR] = substr(g[NR], 1, 57) "..."
	      if (length($1) > ws) ws = length($1)
	      if (length($2) > we) we = length($2)
	      if (length(g[NR]) > wg) wg = length(g[NR]) }
	    END {
	      if (ws < 4) ws = 4; if (we < 8) we = 8; if (wg < 3) wg = 3
	      f = "%-" ws "s | %-" we "s | %-" wg "s | %s\n"
	      printf f, "step", "expected", "got", "verdict"
	      line = sprintf("%" (ws + we + wg + 19) "s", ""); gsub(/ /, "-", line)
	      print line
	      for (i = 1; i <= NR; i++) printf f, s[i], e[i], g[i], v[i] }'
}

# ---- the scenario -------------------------------------------------------------

say "e2e: namespaces $P-*, directory $T"
make_lan
say "LAN up: $(for h in $HOSTS; do printf '%s=%s ' $h "${IP[$h]}"; done)"
start_nsd
say "nsd serving $(ls "$HERE"/zones | wc -l) zones on ${IP[dns]}"
for h in $MXES; do
	setup_postfix "$h"
	[ $POLICY = 1 ] && start_mxspfd "$h" preference
done
[ $POLICY = 1 ] && say "mxspfd (trust_mode=preference) on $MXES"

TAG=$P-$(date +%s)

# Step 1: primary and backup1 down; the sender's MTA reaches backup2.
pf_start backup2
say "Postfix up: backup2 (primary, backup1 down)"
s=1 id1=$TAG-1@sender.test SERVER=backup2
send sender "$T/swaks1" "mxspf e2e step 1 $TAG" "$id1" bob@receiver.test
r=$(rcpt_reply "$T/swaks1" bob@receiver.test)
q1=$(queue_id "$T/swaks1")
if [ -n "$q1" ]; then
	wait_for $WAIT has_status backup2 "$q1" "status=deferred"
	got="${r%% *}, queued, $(status_line backup2 "$q1" |
	    grep -q status=deferred && echo "deferred (no MX up)" ||
	    echo "not deferred?")"
else
	got="${r:-no reply}, not queued"
fi
case $got in
*"deferred (no MX up)") v=PASS ;;
*) v=FAIL ;;
esac
verdict "1  sender -> backup2 (primary, backup1 down)" \
    "250 (SPF pass), queued" "$got" $v

# Step 2: backup1 up; backup2 relays to it.
pf_start backup1
flush backup2
say "Postfix up: backup1; backup2 flushed"
got="backup2 did not relay"
if [ -n "$q1" ] && wait_for $WAIT has_status backup2 "$q1" \
    "relay=mx\.backup1\.test.*status=(sent|bounced)"; then
	got=$(status_summary backup2 "$q1")
fi
q2=$(status_line backup2 "${q1:-none}" | sed -n 's/.*status=sent.*queued as \([0-9A-Za-z]*\).*/\1/p')
case $got in
*status=sent*) v=PASS; got="250, relayed" ;;
*status=bounced*) v=FAIL got=$(status_line backup2 "$q1" | sed -n \
    's/.*status=\([a-z]*\) .*said: \([0-9]* [0-9.]*\).*/\2, \1/p') ;;
*) v=FAIL ;;
esac
if [ $POLICY = 1 ]; then
	exp="250 (trusted MX relay), not 550"
else
	exp="250 (no policy service)"
fi
verdict "2  backup1 up: backup2 -> backup1" "$exp" "$got" $v

# Step 3: primary up; backup1 relays to it; the message lands in the mailbox.
pf_start primary
flush backup1
say "Postfix up: primary; backup1 flushed"
if wait_for $WAIT mailbox_has bob "$id1"; then
	v=PASS got="250, in bob's mailbox"
else
	v=FAIL got="not in bob's mailbox"
	[ -n "$q2" ] && got="$got; backup1: $(status_summary backup1 "$q2")"
fi
verdict "3  primary up: backup1 -> primary" \
    "250, delivered to the mailbox" "$got" $v

if [ $POLICY = 1 ]; then
	# The trace of the relayed message: the border computed SPF for the
	# original client; each relay hop records the MX trust it applied
	# and claims no SPF result.
	if got=$(check_headers bob "$id1" \
	    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.21;.*relay-host=mx\.backup1\.test;.*preference=20' \
	    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.22;.*relay-host=mx\.backup2\.test;.*preference=30' \
	    '^Received-SPF: [Pp]ass .*client-ip=192\.0\.2\.10;'); then
		v=PASS got="as expected"
	else
		v=FAIL
	fi
	verdict "3h trace headers of that message" \
	    "relay (primary, backup1), SPF pass (backup2)" "$got" $v

	# Step 4: backup2 (an MX of receiver.test only) sends to the primary
	# for receiver.test and other.test in one transaction.
	id4=$TAG-4@sender.test SERVER=primary
	send backup2 "$T/swaks4" "mxspf e2e step 4 $TAG" "$id4" \
	    bob@receiver.test,carol@other.test
	rb=$(rcpt_reply "$T/swaks4" bob@receiver.test)
	rc=$(rcpt_reply "$T/swaks4" carol@other.test)
	got="bob $(smtp_code "$rb"), carol $(smtp_code "$rc")"
	v=FAIL
	case $rb in
	250*) case $rc in
	      "550 5.7.23"*) v=PASS ;;
	      esac ;;
	esac
	if [ $v = PASS ]; then
		if wait_for $WAIT mailbox_has bob "$id4"; then
			got="$got; delivered to bob"
			mailbox_has carol "$id4" && { v=FAIL got="$got; ALSO to carol"; }
		else
			v=FAIL got="$got; not delivered to bob"
		fi
	fi
	verdict "4  backup2 -> primary: bob@receiver.test + carol@other.test" \
	    "bob 250, carol 550 5.7.23" "$got" $v
	# Its one trace header records the trust for receiver.test only.
	if got=$(check_headers bob "$id4" \
	    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.22;.*relay-host=mx\.backup2\.test;.*receiver\.test'); then
		if trace_headers bob "$id4" unfold | grep -q 'other\.test'; then
			v=FAIL got="header names other.test"
		else
			v=PASS got="as expected"
		fi
	else
		v=FAIL
	fi
	verdict "4h trace header of that message" \
	    "relay for receiver.test only" "$got" $v

	# Step 5: a forged sender.test address straight to backup2.
	id5=$TAG-5@sender.test SERVER=backup2
	send spammer "$T/swaks5" "mxspf e2e step 5 $TAG" "$id5" \
	    bob@receiver.test
	r=$(rcpt_reply "$T/swaks5" bob@receiver.test)
	case $r in
	"550 5.7.23"*) v=PASS ;;
	*) v=FAIL ;;
	esac
	verdict "5  spammer -> backup2, forged alice@sender.test" \
	    "550 5.7.23" "$(smtp_code "$r")" $v

	# Step 5b: the primary (MX 10) sends to backup2 (MX 30): in the
	# default preference mode a more preferred MX host is not trusted,
	# so the SPF verdict (fail: the primary is not in sender.test's
	# record) applies.
	id5b=$TAG-5b@sender.test SERVER=backup2
	send primary "$T/swaks5b" "mxspf e2e step 5b $TAG" "$id5b" \
	    bob@receiver.test
	r=$(rcpt_reply "$T/swaks5b" bob@receiver.test)
	case $r in
	"550 5.7.23"*) v=PASS ;;
	*) v=FAIL ;;
	esac
	verdict "5b primary (MX 10) -> backup2 (MX 30)" \
	    "550 5.7.23 (more preferred MX)" "$(smtp_code "$r")" $v

	# Step 6: backup2 relays to backup1 for a domain whose MX lookup
	# fails (nsd serves no dnsfail.test: the resolver answers SERVFAIL),
	# while SPF says fail: the trust check could not finish, so the
	# answer is a temporary 451 4.4.3 (the relay retries), never a 550.
	id7=$TAG-7@sender.test SERVER=backup1
	send backup2 "$T/swaks7" "mxspf e2e step 6 $TAG" "$id7" \
	    bob@dnsfail.test
	r=$(rcpt_reply "$T/swaks7" bob@dnsfail.test)
	case $r in
	"451 4.4.3"*) v=PASS ;;
	*) v=FAIL ;;
	esac
	verdict "6  backup2 -> backup1, rcpt domain's MX lookup fails" \
	    "451 4.4.3, not 550" "$(smtp_code "$r")" $v

	# Control: step 2 again, but backup1's mxspfd does not trust MX
	# hosts (trust_mode = off), i.e. a plain SPF check at every hop.
	pf_stop primary
	start_mxspfd backup1 off
	say "control: primary down, backup1's mxspfd restarted with trust_mode=off"
	id6=$TAG-6@sender.test SERVER=backup2
	send sender "$T/swaks6" "mxspf e2e control $TAG" "$id6" \
	    bob@receiver.test
	q6=$(queue_id "$T/swaks6")
	got="not queued on backup2"
	if [ -n "$q6" ]; then
		got="backup2 did not try backup1"
		wait_for $WAIT has_status backup2 "$q6" \
		    "relay=mx\.backup1\.test.*status=(sent|bounced|deferred)" &&
		    got=$(status_line backup2 "$q6" |
		    sed -n 's/.*status=\([a-z]*\) .*said: \([0-9]* [0-9.]*\).*/\2, \1/p')
	fi
	case $got in
	"550 5.7.23, bounced") v=PASS ;;
	*) v=FAIL ;;
	esac
	verdict "2' as 2, but trust_mode=off on backup1 (no MX trust)" \
	    "550 5.7.23 -> bounce" "$got" $v
fi

# ---- the milter ---------------------------------------------------------------
# The primary runs mxspf-milter next to its mxspfd (the documented
# deployment: mxspfd on every MX decides recipients; the milter on the
# final MX re-checks SPF behind the backups, rcpt_checks = no so the trace
# header is not written twice).  backup2 plays a backup MX that does not
# check SPF: no policy service, and it relays receiver.test to backup1
# (a transport map), so relayed mail takes two trusted hops.
if [ -n "$MILTER" ]; then
	start_mxspfd backup1 preference
	postconf -c "$T/primary/etc" -e \
	    "smtpd_milters = inet:127.0.0.1:$MPORT" \
	    "milter_default_action = accept" >>"$LOG" 2>&1 ||
	    die "postconf on primary"
	start_milter primary no tag
	pf_start primary
	printf 'receiver.test\trelay:[%s]\n' "${FQDN[backup1]}" \
	    > "$T/backup2/etc/transport"
	pf_conf backup2 "smtpd_recipient_restrictions = reject_unauth_destination" \
	    "smtpd_data_restrictions =" \
	    "transport_maps = texthash:$T/backup2/etc/transport"
	say "milter: primary with mxspf-milter (rcpt_checks=no, recheck_fail=tag);" \
	    "backup2 without SPF check, relaying to backup1"

	# Step Ma: legitimate mail through the backup that does not check.
	ida=$TAG-ma@sender.test SERVER=backup2
	send sender "$T/swaksa" "mxspf e2e step Ma $TAG" "$ida" \
	    bob@receiver.test
	r=$(rcpt_reply "$T/swaksa" bob@receiver.test)
	if wait_for $WAIT mailbox_has bob "$ida"; then
		if got=$(check_headers bob "$ida" \
		    '^Received-SPF: pass .*client-ip=192\.0\.2\.10;.*helo=mail\.sender\.test;.*receiver=mail\.receiver\.test;.*x-mxspf-border=received-chain \(2 trusted MX hops for receiver\.test\); x-mxspf-border-mx=mx\.backup2\.test; x-mxspf-border-spf=unchecked \(mx\.backup2\.test did not check SPF\)$' \
		    '^Authentication-Results: mail\.receiver\.test; spf=pass .*smtp\.mailfrom=alice@sender\.test policy\.x-mxspf-border=192\.0\.2\.10 .*policy\.x-mxspf-border-spf=unchecked' \
		    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.21;' \
		    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.22;'); then
			v=PASS got="delivered; re-check pass for 192.0.2.10, backup2 unchecked"
		else
			v=FAIL got="delivered; $got"
		fi
	else
		v=FAIL got="$(smtp_code "$r"), not in bob's mailbox"
	fi
	verdict "Ma sender -> backup2 (no SPF) -> backup1 -> primary" \
	    "re-check pass, delivered, header" "$got" $v

	# Step Mb: forged sender.test mail through the backup that does not
	# check, with a forged A-R in the primary's name and a forged
	# Received-SPF pass below backup2's Received header.
	idb=$TAG-mb@sender.test SERVER=backup2
	XH=("Authentication-Results: mail.receiver.test; spf=pass (forged by $TAG) smtp.mailfrom=alice@sender.test"
	    "Received-SPF: pass (forged by $TAG) client-ip=192.0.2.66; envelope-from=alice@sender.test; receiver=mx.backup2.test")
	send spammer "$T/swaksb" "mxspf e2e step Mb $TAG" "$idb" \
	    bob@receiver.test
	XH=()
	r=$(rcpt_reply "$T/swaksb" bob@receiver.test)
	if wait_for $WAIT mailbox_has bob "$idb"; then
		v=PASS got="250 at backup2, tagged, delivered"
	else
		v=FAIL got="$(smtp_code "$r"), not in bob's mailbox"
	fi
	verdict "Mb spammer -> backup2 (no SPF) -> backup1 -> primary" \
	    "re-check fail, tagged (delivered)" "$got" $v
	if got=$(check_headers bob "$idb" \
	    '^Received-SPF: fail .*client-ip=192\.0\.2\.66;.*helo=mail\.spammer\.test;.*mechanism=-all; x-mxspf-border=received-chain \(2 trusted MX hops for receiver\.test\); x-mxspf-border-mx=mx\.backup2\.test; x-mxspf-border-spf=unchecked \(mx\.backup2\.test did not check SPF\)$' \
	    '^Authentication-Results: mail\.receiver\.test; spf=fail .*policy\.x-mxspf-border=192\.0\.2\.66 ' \
	    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.21;' \
	    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.22;' \
	    "^Received-SPF: pass \(forged by $TAG\)"); then
		v=PASS got="fail for 192.0.2.66, backup2 unchecked, forged A-R removed"
	else
		v=FAIL
	fi
	verdict "Mbh trace headers of that message" \
	    "fail, unchecked; forged A-R gone" "$got" $v
	if milter_log_has primary "backup MX mx\.backup2\.test did not check SPF for the original client 192\.0\.2\.66" &&
	    milter_log_has primary "removed 1 of 1 incoming Authentication-Results"; then
		v=PASS got="logged: did not check SPF; A-R removed"
	else
		v=FAIL got="no such log lines"
	fi
	verdict "Mbl the milter's log for that message" \
	    "backup2 did not check SPF" "$got" $v

	# Step Mq: the same with recheck_fail = quarantine.
	start_milter primary no quarantine
	idq=$TAG-mq@sender.test SERVER=backup2
	send spammer "$T/swaksq" "mxspf e2e step Mq $TAG" "$idq" \
	    bob@receiver.test
	r=$(rcpt_reply "$T/swaksq" bob@receiver.test)
	if wait_for $WAIT held primary "$idq"; then
		v=PASS got="in the primary's hold queue"
		mailbox_has bob "$idq" && { v=FAIL got="$got, ALSO delivered"; }
		milter_log_has primary "quarantined: mxspf: SPF re-check fail for 192\.0\.2\.66" ||
		    { v=FAIL got="$got, no quarantine log line"; }
	else
		v=FAIL got="$(smtp_code "$r"), not held"
		mailbox_has bob "$idq" && got="$got (delivered)"
	fi
	verdict "Mq as Mb, recheck_fail = quarantine" \
	    "held (hold queue), not delivered" "$got" $v

	# Step Mc: backup2 checks SPF again (mxspfd): its record and the
	# re-check agree.
	pf_conf backup2 "smtpd_recipient_restrictions = reject_unauth_destination check_policy_service inet:127.0.0.1:$PORT" \
	    "smtpd_data_restrictions = check_policy_service inet:127.0.0.1:$PORT"
	idc=$TAG-mc@sender.test SERVER=backup2
	send sender "$T/swaksc" "mxspf e2e step Mc $TAG" "$idc" \
	    bob@receiver.test
	r=$(rcpt_reply "$T/swaksc" bob@receiver.test)
	if wait_for $WAIT mailbox_has bob "$idc"; then
		if got=$(check_headers bob "$idc" \
		    '^Received-SPF: pass .*client-ip=192\.0\.2\.10;.*x-mxspf-border-mx=mx\.backup2\.test; x-mxspf-border-spf=pass \(recorded by mx\.backup2\.test in Received-SPF; agrees\)$' \
		    '^Authentication-Results: mail\.receiver\.test; spf=pass .*policy\.x-mxspf-border-spf=pass \(recorded by mx\.backup2\.test in Received-SPF; agrees\)' \
		    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.21;' \
		    '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.22;' \
		    '^Received-SPF: pass \(mx\.backup2\.test: .*client-ip=192\.0\.2\.10;'); then
			v=PASS got="pass recorded by backup2 = re-check pass"
			milter_log_has primary "spf=pass border_spf=pass \(agrees\)" ||
			    { v=FAIL got="$got, but no log line"; }
		else
			v=FAIL
		fi
	else
		v=FAIL got="$(smtp_code "$r"), not in bob's mailbox"
	fi
	verdict "Mc border (backup2) checks SPF: both verdicts" \
	    "both pass, agreeing" "$got" $v

	# Step Mp: concurrent sessions (one libmilter thread each) share
	# the milter's resolver: backup1 hands the primary MP messages at
	# once, each with a Received header of its own showing the border.
	MP=12
	pids=()
	for i in $(seq 1 $MP); do
		XH=("Received: from mail.sender.test (mail.sender.test [192.0.2.10]) by mx.backup1.test (Postfix) with ESMTP id MP$i for <bob@receiver.test>; $(date -R)")
		SERVER=primary send backup1 "$T/swaksp$i" "mxspf e2e step Mp $TAG" \
		    "$TAG-mp$i@sender.test" bob@receiver.test &
		pids+=($!)
	done
	XH=()
	wait "${pids[@]}"
	wait_for $WAIT eval "[ \$(grep -c 'Subject: mxspf e2e step Mp $TAG' '$T/mail/bob' 2>/dev/null) -ge $MP ]"
	n=$(grep -c "Subject: mxspf e2e step Mp $TAG" "$T/mail/bob" 2>/dev/null)
	k=$(grep -c "recheck domain=receiver\.test border=192\.0\.2\.10 helo=mail\.sender\.test border_mx=mx\.backup1\.test hops=1 spf=pass" \
	    "$T/primary/milter.log")
	got="$n of $MP delivered, $k re-checked (pass)"
	if [ "$n" = $MP ] && [ "$k" -ge $MP ]; then v=PASS; else v=FAIL; fi
	verdict "Mp $MP sessions at once: backup1 -> primary" \
	    "all delivered and re-checked" "$got" $v

	# Step Md: direct mail to the primary, whose mxspfd writes
	# Authentication-Results with the primary's authserv-id: the milter
	# (same file, so the same header setting) keeps that one -- it is
	# what the same decisions give -- while it removes forged ones.
	start_mxspfd primary preference "header = authentication-results"
	start_milter primary no tag
	idd=$TAG-md@sender.test SERVER=primary
	XH=("Authentication-Results: mail.receiver.test; spf=pass (forged by $TAG) smtp.mailfrom=alice@sender.test")
	send sender "$T/swaksd" "mxspf e2e step Md $TAG" "$idd" \
	    bob@receiver.test
	XH=()
	r=$(rcpt_reply "$T/swaksd" bob@receiver.test)
	if wait_for $WAIT mailbox_has bob "$idd"; then
		if got=$(check_headers bob "$idd" \
		    '^Authentication-Results: mail\.receiver\.test; spf=pass \(mail\.receiver\.test: domain of alice@sender\.test designates 192\.0\.2\.10 as permitted sender\) smtp\.mailfrom=alice@sender\.test$'); then
			v=PASS got="mxspfd's A-R kept, the forged one removed"
		else
			v=FAIL
		fi
	else
		v=FAIL got="$(smtp_code "$r"), not in bob's mailbox"
	fi
	verdict "Md sender -> primary, mxspfd writes A-R" \
	    "its A-R kept, forged A-R removed" "$got" $v

	# Step Mr: the milter alone on the primary decides recipients.
	pf_conf primary "smtpd_recipient_restrictions = reject_unauth_destination" \
	    "smtpd_data_restrictions ="
	start_milter primary yes tag
	idr=$TAG-mr@sender.test SERVER=primary
	send backup2 "$T/swaksr" "mxspf e2e step Mr $TAG" "$idr" \
	    bob@receiver.test,carol@other.test
	rb=$(rcpt_reply "$T/swaksr" bob@receiver.test)
	rc=$(rcpt_reply "$T/swaksr" carol@other.test)
	got="bob $(smtp_code "$rb"), carol $(smtp_code "$rc")"
	v=FAIL
	case $rb in
	250*) case $rc in
	      "550 5.7.23"*) v=PASS ;;
	      esac ;;
	esac
	if [ $v = PASS ]; then
		if ! milter_log_has primary "rcpt=<carol@other\.test>.*action=550 5\.7\.23"; then
			v=FAIL got="$got; not the milter's decision"
		elif ! wait_for $WAIT mailbox_has bob "$idr"; then
			v=FAIL got="$got; not delivered to bob"
		elif ! trace_headers bob "$idr" unfold |
		    grep -q '^X-Mxspf-Relay: mx .*client-ip=192\.0\.2\.22;'; then
			v=FAIL got="$got; no X-Mxspf-Relay from the milter"
		else
			got="$got (milter); delivered to bob"
		fi
	fi
	verdict "Mr milter alone: backup2 -> primary, bob + carol" \
	    "bob 250, carol 550 5.7.23" "$got" $v

	# Step M7: the milter stops on SIGTERM with status 0 and without a
	# sanitizer report.
	stop_milter primary
	n=$(wc -l < "$T/milter-exits")
	bad=$(awk '$2 != 0 { printf "%s%s exit %s", sep, $1, $2; sep = ", " }' \
	    "$T/milter-exits")
	san=$(grep -c -E 'Sanitizer|runtime error:' "$T/primary/milter.log")
	if [ -z "$bad" ] && [ "$san" = 0 ]; then
		v=PASS got="$n of $n exit 0"
	else
		v=FAIL got="${bad:+$bad; }${san:+$san sanitizer lines}"
	fi
	verdict "M7 the milter stops on SIGTERM" \
	    "exit 0, no sanitizer report" "$got" $v
elif [ $POLICY = 1 ]; then
	say "milter steps skipped: no mxspf-milter given"
fi

if [ $POLICY = 1 ]; then
	# Every mxspfd of the run stops on SIGTERM with status 0 and without
	# a sanitizer report (make check-asan runs this test with an
	# ASan+UBSan build).
	for h in $MXES; do
		stop_mxspfd "$h"
	done
	n=$(wc -l < "$T/mxspfd-exits")
	bad=$(awk '$2 != 0 { printf "%s%s exit %s", sep, $1, $2; sep = ", " }' \
	    "$T/mxspfd-exits")
	san=$(grep -l -E 'Sanitizer|runtime error:' "$T"/*/mxspfd.log 2>/dev/null |
	    sed "s|^$T/||; s|/mxspfd.log||" | tr '\n' ' ')
	if [ -z "$bad" ] && [ -z "$san" ]; then
		v=PASS got="$n of $n exit 0"
	else
		v=FAIL got="${bad:+$bad; }${san:+sanitizer report: $san}"
	fi
	verdict "7  every mxspfd stops on SIGTERM" \
	    "exit 0, no sanitizer report" "$got" $v
fi

print_table
if [ $POLICY = 1 ] && [ -n "${id1:-}" ]; then
	echo
	echo "Trace headers of the relayed message in bob's mailbox, newest first"
	echo "(added by primary, backup1, backup2):"
	hs=$(trace_headers bob "$id1")
	printf '%s\n' "${hs:-(none: the message is not in the mailbox)}" |
	    sed 's/^/  /'
fi
if [ -n "$MILTER" ] && [ -n "${idb:-}" ]; then
	echo
	echo "Trace headers of the forged message of step Mb, newest first"
	echo "(the milter's re-check; relay records of primary and backup1;"
	echo "the spammer's own forged Received-SPF; the forged A-R is gone):"
	hs=$(trace_headers bob "$idb")
	printf '%s\n' "${hs:-(none: the message is not in the mailbox)}" |
	    sed 's/^/  /'
fi

say "done in $(now) s"
if [ $FAILED = 1 ]; then
	echo "e2e: FAILED"
	exit 1
fi
echo "e2e: all steps passed"
exit 0
