#!/bin/sh
# tests/cli/run.sh - tests of the mxspf command-line tool.
# Usage: run.sh MXSPF_BINARY SOURCE_DIR [GROUP...]
#   GROUP: check, explain, batch, usage, dns, migrate (default: all).
# Runs the built binary against demo/whatif.yml and tests/cli/zone.yml and
# compares stdout byte for byte with tests/cli/expected/NAME.out, and the
# exit status with the documented one (docs/mxspf.1, EXIT STATUS).  The dns
# group starts a private nsd on 127.0.0.1 serving tests/cli/test.zone (the
# same data as zone.yml) and checks that batch through libunbound prints
# exactly what batch --zone prints; it is skipped when nsd is missing.
# The migrate group converts each tests/cli/migrate/NAME.conf (policyd-spf
# configurations) with migrate-config, compares stdout and stderr with
# expected/migrate-NAME.out and .err, loads every output with "mxspfd -n"
# ($MXSPFD, else mxspfd next to the binary), checks the errors and limits
# of the reader, and runs migrate_semantics.py (the decisions against
# Debian's policyd-spf itself; skipped when it is not installed).
# MXSPF_CLI_REGEN=1 rewrites the expected files (review the diff!).
# Prints "N passed, N failed" and exits non-zero when a test failed.
# SPDX-License-Identifier: BSD-2-Clause
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 MXSPF_BINARY SOURCE_DIR [GROUP...]" >&2
	exit 2
fi
bin=$1
src=$2
shift 2
groups=${*:-check explain batch usage dns migrate}
dir=$src/tests/cli
exp=$dir/expected
demo=$src/demo/whatif.yml
zone=$dir/zone.yml
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-cli.XXXXXX") || exit 2
nsd_pid=
hole_pid=
passed=0
failed=0
skipped=0

# Sanitizer reports must not pass for result exit codes (fail is 1).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
export ASAN_OPTIONS UBSAN_OPTIONS

cleanup() {
	for pid in $nsd_pid $hole_pid; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ok, bad
# shellcheck source=tests/lib/harness.sh
. "$src/tests/lib/harness.sh"

# sanitized NAME - fail NAME when the last run's stderr has a sanitizer
# report; 0 when clean
sanitized() {
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$tmp/err"; then
		bad "$1: sanitizer report" "$tmp/err"
		return 1
	fi
	return 0
}

# compare NAME WANT_EXIT GOT_EXIT [FILE] - check $tmp/out against the
# golden file expected/FILE.out (FILE defaults to NAME)
compare() {
	gold=${4:-$1}
	if [ -n "${MXSPF_CLI_REGEN:-}" ] && [ -z "${4:-}" ]; then
		cp "$tmp/out" "$exp/$gold.out"
	fi
	sanitized "$1" || return
	if [ "$3" != "$2" ]; then
		bad "$1: exit status $3, want $2" "$tmp/err"
		return
	fi
	if [ ! -f "$exp/$gold.out" ]; then
		bad "$1: no expected file $exp/$gold.out"
		return
	fi
	if ! cmp -s "$exp/$gold.out" "$tmp/out"; then
		diff -u "$exp/$gold.out" "$tmp/out" >"$tmp/diff"
		bad "$1: output differs from expected/$gold.out" "$tmp/diff"
		return
	fi
	ok "$1"
}

# golden NAME WANT_EXIT ARGS... - run with no input and compare
golden() {
	name=$1
	want=$2
	shift 2
	"$bin" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	compare "$name" "$want" $?
}

# golden_in NAME WANT_EXIT INPUT ARGS... - run with INPUT on stdin
golden_in() {
	name=$1
	want=$2
	input=$3
	shift 3
	"$bin" "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
	compare "$name" "$want" $?
}

# usage NAME ARGS... - a bad command line: exit 64, nothing on stdout, a
# message and the usage on stderr
usage() {
	name=usage-$1
	shift
	"$bin" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sanitized "$name" || return
	if [ $rc -ne 64 ]; then
		bad "$name: exit status $rc, want 64" "$tmp/err"
	elif [ -s "$tmp/out" ]; then
		bad "$name: wrote to stdout" "$tmp/out"
	elif ! grep -q '^mxspf: ' "$tmp/err" ||
	    ! grep -q '^usage: mxspf check' "$tmp/err"; then
		bad "$name: no message and usage on stderr" "$tmp/err"
	else
		ok "$name"
	fi
}

# zcheck NAME WANT_EXIT ARGS... - check against tests/cli/zone.yml
zcheck() {
	name=$1
	want=$2
	shift 2
	golden "$name" "$want" check --zone "$zone" --receiver mx.cli.test \
	    "$@"
}

group_check() {
	golden demo-pass 0 check --zone "$demo" --receiver mx.demo.test \
	    --ip 198.51.100.7 --sender alice@sender.test \
	    --helo mail.sender.test
	golden demo-fail 1 check --zone "$demo" --receiver mx.demo.test \
	    --ip 203.0.113.9 --sender bob@strict.test --helo spammer.example
	golden demo-softfail 2 check --zone "$demo" \
	    --receiver mx.demo.test --ip 192.0.2.99 \
	    --sender carol@relaxed.test --helo relay.example
	zcheck pass 0 --ip 192.0.2.7 --sender user@pass.test \
	    --helo mail.pass.test
	zcheck pass-ipv6 0 --ip 2001:db8::25 --sender user@pass.test \
	    --helo mail.pass.test
	zcheck pass-mapped 0 --ip ::ffff:192.0.2.7 --sender user@pass.test \
	    --helo mail.pass.test
	zcheck pass-redirect 0 --ip 192.0.2.7 --sender user@redirect.test \
	    --helo mail.pass.test
	zcheck pass-mx 0 --ip 192.0.2.25 --sender user@mx.test \
	    --helo mail.mx.test
	zcheck fail 1 --ip 192.0.2.7 --sender user@fail.test \
	    --helo mail.fail.test
	zcheck fail-exp 1 --ip 192.0.2.7 --sender jo@exp.test \
	    --helo h.example
	zcheck fail-default-exp 1 --ip 192.0.2.7 --sender user@fail.test \
	    --helo mail.fail.test --default-exp 'go away %{i}'
	zcheck fail-escaped 1 --ip 192.0.2.7 --sender user@ctrl.test \
	    --helo mail.ctrl.test
	zcheck softfail 2 --ip 192.0.2.7 --sender user@softfail.test \
	    --helo mail.softfail.test
	zcheck neutral 3 --ip 192.0.2.7 --sender user@neutral.test \
	    --helo mail.neutral.test
	zcheck neutral-default 3 --ip 192.0.2.7 --sender user@default.test \
	    --helo mail.default.test
	zcheck none 4 --ip 192.0.2.7 --sender user@none.test \
	    --helo mail.none.test
	zcheck none-nxdomain 4 --ip 192.0.2.7 --sender user@nowhere.test \
	    --helo mail.none.test
	zcheck temperror 5 --ip 192.0.2.7 --sender user@timeout.test \
	    --helo mail.timeout.test
	zcheck temperror-include 5 --ip 192.0.2.7 \
	    --sender user@inc-timeout.test --helo mail.timeout.test
	zcheck permerror-syntax 6 --ip 192.0.2.7 --sender user@syntax.test \
	    --helo mail.syntax.test
	zcheck permerror-multi 6 --ip 192.0.2.7 --sender user@multi.test \
	    --helo mail.multi.test
	zcheck permerror-include-none 6 --ip 192.0.2.7 \
	    --sender user@inc-none.test --helo mail.none.test
	zcheck permerror-voids 6 --ip 192.0.2.7 --sender user@voids.test \
	    --helo mail.voids.test
	zcheck helo-pass 0 --identity helo --ip 192.0.2.50 --sender '' \
	    --helo helo.test
	zcheck null-sender 0 --ip 192.0.2.50 --sender '' --helo helo.test
	zcheck authserv-id 0 --ip 192.0.2.7 --sender user@pass.test \
	    --helo mail.pass.test --authserv-id=auth.cli.test
	golden setup-nozone 69 check --zone "$tmp/no-such-file.yml" \
	    --ip 192.0.2.7 --sender user@pass.test --helo mail.pass.test
	golden version 0 --version
}

# explain_check NAME ARGS... - --explain prints the plain output, then
# "trace: " lines, then the three counts, and nothing else
explain_check() {
	name=explain-$1
	shift
	"$bin" check --zone "$zone" --receiver mx.cli.test "$@" \
	    </dev/null >"$tmp/plain" 2>"$tmp/err"
	"$bin" check --zone "$zone" --receiver mx.cli.test --explain "$@" \
	    </dev/null >"$tmp/out" 2>>"$tmp/err"
	sanitized "$name" || return
	n=$(wc -l <"$tmp/plain")
	head -n "$n" "$tmp/out" >"$tmp/head"
	tail -n +"$((n + 1))" "$tmp/out" >"$tmp/rest"
	ntrace=$(grep -c '^trace: ' "$tmp/rest")
	tail -n 3 "$tmp/rest" | sed 's/ [0-9][0-9]*$/ N/' >"$tmp/counts"
	printf 'dns-terms: N\nvoid-lookups: N\nqueries: N\n' >"$tmp/want"
	if ! cmp -s "$tmp/plain" "$tmp/head"; then
		diff -u "$tmp/plain" "$tmp/head" >"$tmp/diff"
		bad "$name: does not start with the plain output" "$tmp/diff"
	elif [ "$ntrace" -lt 1 ]; then
		bad "$name: no trace lines" "$tmp/out"
	elif [ "$(wc -l <"$tmp/rest")" -ne $((ntrace + 3)) ]; then
		bad "$name: lines other than trace and counts" "$tmp/out"
	elif ! cmp -s "$tmp/want" "$tmp/counts"; then
		bad "$name: counts missing or out of order" "$tmp/out"
	else
		ok "$name"
	fi
}

group_explain() {
	golden demo-pass-explain 0 check --zone "$demo" --explain \
	    --receiver mx.demo.test --ip 198.51.100.7 \
	    --sender alice@sender.test --helo mail.sender.test
	golden voids-explain 6 check --zone "$zone" --explain \
	    --receiver mx.cli.test --ip 192.0.2.7 --sender user@voids.test \
	    --helo mail.voids.test
	explain_check pass --ip 192.0.2.7 --sender user@pass.test \
	    --helo mail.pass.test
	explain_check fail-exp --ip 192.0.2.7 --sender jo@exp.test \
	    --helo h.example
	explain_check mx --ip 192.0.2.25 --sender user@mx.test \
	    --helo mail.mx.test
	explain_check permerror --ip 192.0.2.7 --sender user@syntax.test \
	    --helo mail.syntax.test
	# --no-speculative changes the queries, never the output.
	for d in pass fail exp mx redirect voids inc-none timeout; do
		set -- check --zone "$zone" --receiver mx.cli.test \
		    --ip 192.0.2.25 --sender "user@$d.test" --helo h
		"$bin" "$@" </dev/null >"$tmp/plain" 2>"$tmp/err"
		rc1=$?
		"$bin" "$@" --no-speculative </dev/null >"$tmp/out" 2>>"$tmp/err"
		rc2=$?
		sanitized "no-speculative-$d" || continue
		if [ $rc1 -eq $rc2 ] && cmp -s "$tmp/plain" "$tmp/out"; then
			ok "no-speculative-$d"
		else
			bad "no-speculative-$d: output or status differs" \
			    "$tmp/out"
		fi
	done
	# The counts follow the evaluation: the include chain costs 2 terms.
	"$bin" check --zone "$demo" --explain --ip 198.51.100.7 \
	    --sender alice@sender.test --helo x </dev/null >"$tmp/out" \
	    2>"$tmp/err"
	if sanitized explain-dns-terms; then
		if grep -qx 'dns-terms: 2' "$tmp/out"; then
			ok explain-dns-terms
		else
			bad "explain-dns-terms: want dns-terms: 2" "$tmp/out"
		fi
	fi
}

# batch_input - write the mixed batch input to $tmp/batch.in
batch_input() {
	{
		printf '192.0.2.7\tuser@pass.test\tmail.pass.test\n'
		printf '192.0.2.7\tuser@fail.test\tmail.fail.test\n'
		printf '192.0.2.7\tjo@exp.test\th.example\n'
		printf '192.0.2.7\tuser@softfail.test\tmail.softfail.test\n'
		printf '192.0.2.7\tuser@neutral.test\tx\n'
		printf '192.0.2.7\tuser@none.test\tx\n'
		printf '192.0.2.7\tuser@timeout.test\tx\n'
		printf '192.0.2.7\tuser@syntax.test\tx\n'
		printf 'not-an-ip\tuser@pass.test\tx\n'
		printf '\tuser@pass.test\tx\n'
		printf '192.0.2.7\tuser@pass.test\n'
		printf '192.0.2.7\ta\tb\tc\n'
		printf '\n'
		printf '192.0.2.7\tuser@pass.test\tmail.pass.test\r\n'
		printf '192.0.2.50\t\thelo.test\n'
		printf '192.0.2.7\tuser name@pass.test\thelo with spaces\n'
		printf '192.0.2.7\tus\000er@pass.test\tx\n'
		awk 'BEGIN { s = "192.0.2.7\tuser@pass.test\t"
			while (length(s) < 5000) s = s "a"; print s }'
		printf '2001:db8::1\tuser@pass.test\tmail.pass.test\n'
		printf '192.0.2.7\tuser@mx.test\tlast.line.without.newline'
	} >"$tmp/batch.in"
}

# batch_len LEN WANT_TOOLONG - a line of exactly LEN bytes is refused as
# too long (WANT_TOOLONG=1) or not (0)
batch_len() {
	name=batch-line-$1
	awk -v n="$1" 'BEGIN { s = "192.0.2.7\tuser@pass.test\t"
		while (length(s) < n) s = s "a"; print s }' >"$tmp/len.in"
	"$bin" batch --zone "$zone" <"$tmp/len.in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sanitized "$name" || return
	if [ $rc -ne 0 ] || [ "$(wc -l <"$tmp/out")" -ne 1 ]; then
		bad "$name: exit $rc or not one line" "$tmp/out"
	elif grep -q 'line longer' "$tmp/out"; then
		[ "$2" = 1 ] && ok "$name" || bad "$name: refused" "$tmp/out"
	else
		[ "$2" = 0 ] && ok "$name" || bad "$name: accepted" "$tmp/out"
	fi
}

group_batch() {
	batch_input
	golden_in batch-zone 0 "$tmp/batch.in" batch --zone "$zone" \
	    --receiver mx.cli.test
	golden_in batch-check-batch 0 "$tmp/batch.in" check --batch \
	    --zone "$zone" --receiver mx.cli.test
	# Same answers as check, one per line, in input order.
	printf '198.51.100.7\talice@sender.test\tmail.sender.test\n' \
	    >"$tmp/demo.in"
	printf '203.0.113.9\tbob@strict.test\tspammer.example\n' \
	    >>"$tmp/demo.in"
	printf '192.0.2.99\tcarol@relaxed.test\trelay.example\n' \
	    >>"$tmp/demo.in"
	golden_in batch-demo 0 "$tmp/demo.in" batch --zone "$demo"
	# Odd but well-formed lines: the library decides, the CLI escapes.
	{
		awk 'BEGIN { s = "192.0.2.7\t"
			for (i = 0; i < 1500; i++) s = s "a"
			print s "@pass.test\tx" }'
		printf '192.0.2.7\t\t\n'
		printf '192.0.2.7\t\001\377@pass.test\tx\n'
		printf '192.0.2.7\tu@\303\251.test\tx\n'
		printf ' 192.0.2.7\tu@pass.test\tx\n'
		printf '::\tu@pass.test\tx\n'
		printf '192.0.2.7\tu@pass.test\t[192.0.2.7]\n'
	} >"$tmp/odd.in"
	golden_in batch-odd 0 "$tmp/odd.in" batch --zone "$zone"
	: >"$tmp/empty.in"
	golden_in batch-empty 0 "$tmp/empty.in" batch --zone "$zone"
	golden_in batch-helo 0 "$tmp/demo.in" batch --zone "$demo" \
	    --identity helo
	batch_len 4096 0
	batch_len 4097 1
	batch_len 100000 1
	# A large input keeps its order and its line count.
	awk 'BEGIN { for (i = 0; i < 3000; i++) {
		d = (i % 3 == 0) ? "pass" : (i % 3 == 1) ? "fail" : "mx"
		printf "192.0.2.%d\tu%d@%s.test\tx\n", i % 256, i, d } }' \
	    >"$tmp/big.in"
	"$bin" batch --zone "$zone" <"$tmp/big.in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if sanitized batch-big; then
		if [ $rc -ne 0 ] || [ "$(wc -l <"$tmp/out")" -ne 3000 ]; then
			bad "batch-big: exit $rc, $(wc -l <"$tmp/out") lines"
		else
			ok batch-big
		fi
	fi
}

group_usage() {
	usage none
	usage command frobnicate
	usage option check --frob --ip 192.0.2.7 --sender a@b.test --helo h
	usage no-ip check --sender a@pass.test --helo h
	usage no-sender check --ip 192.0.2.7 --helo h
	usage no-helo check --ip 192.0.2.7 --sender a@pass.test
	usage no-value check --sender a@pass.test --helo h --ip
	usage bad-ip check --ip 192.0.2.300 --sender a@pass.test --helo h
	usage twice check --ip 192.0.2.7 --ip 192.0.2.8 --sender a@b.test \
	    --helo h
	usage positional check --ip 192.0.2.7 --sender a@b.test --helo h x
	usage zone-and-resolver check --zone "$zone" --resolver 127.0.0.1 \
	    --ip 192.0.2.7 --sender a@b.test --helo h
	usage identity check --identity pra --ip 192.0.2.7 \
	    --sender a@b.test --helo h
	usage timeout-zero check --timeout 0 --ip 192.0.2.7 \
	    --sender a@b.test --helo h
	usage timeout-junk check --timeout 5s --ip 192.0.2.7 \
	    --sender a@b.test --helo h
	usage timeout-negative check --timeout -1 --ip 192.0.2.7 \
	    --sender a@b.test --helo h
	usage flag-value check --explain=yes --ip 192.0.2.7 \
	    --sender a@b.test --helo h
	usage concurrency-in-check check --concurrency 4 --ip 192.0.2.7 \
	    --sender a@b.test --helo h
	usage ip-in-batch batch --zone "$zone" --ip 192.0.2.7
	usage explain-in-batch batch --zone "$zone" --explain
	usage explain-in-check-batch check --batch --zone "$zone" --explain
	usage concurrency-zero batch --zone "$zone" --concurrency 0
	usage help-extra help me
	"$bin" help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if sanitized help; then
		if [ $rc -eq 0 ] && grep -q '^usage: mxspf check' "$tmp/out" &&
		    [ ! -s "$tmp/err" ]; then
			ok help
		else
			bad "help: exit $rc or no usage on stdout" "$tmp/err"
		fi
	fi
}

# nsd_start - serve tests/cli/test.zone on 127.0.0.1; sets nsd_port; 0 or 1
nsd_start() {
	command -v nsd >/dev/null 2>&1 || return 1
	mkdir -p "$tmp/nsd"
	cp "$dir/test.zone" "$tmp/nsd/test.zone"
	tries=0
	while [ $tries -lt 5 ]; do
		nsd_port=$((20000 + ($$ * 7 + tries * 1013) % 30000))
		cat >"$tmp/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$nsd_port
  username: ""
  chroot: ""
  zonesdir: "$tmp/nsd"
  database: ""
  pidfile: "$tmp/nsd/nsd.pid"
  xfrdfile: "$tmp/nsd/xfrd.state"
  zonelistfile: "$tmp/nsd/zone.list"
  logfile: "$tmp/nsd/nsd.log"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: test
  zonefile: test.zone
EOF
		nsd -d -c "$tmp/nsd/nsd.conf" >/dev/null 2>&1 &
		nsd_pid=$!
		i=0
		while [ $i -lt 50 ]; do
			if grep -q 'nsd started' "$tmp/nsd/nsd.log" 2>/dev/null
			then
				return 0
			fi
			kill -0 "$nsd_pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill "$nsd_pid" 2>/dev/null
		wait "$nsd_pid" 2>/dev/null
		nsd_pid=
		tries=$((tries + 1))
	done
	return 1
}

group_dns() {
	if ! nsd_start; then
		skipped=$((skipped + 1))
		echo "skip - dns: cannot start nsd"
		return
	fi
	res=127.0.0.1@$nsd_port
	# check through libunbound: same output as with the zone.
	"$bin" check --resolver "$res" --receiver mx.cli.test --ip 192.0.2.7 \
	    --sender user@pass.test --helo mail.pass.test \
	    </dev/null >"$tmp/out" 2>"$tmp/err"
	compare check-dns 0 $? pass
	# batch through libunbound, many in flight, answers back in input
	# order: exactly what batch --zone prints (timeout.test left out:
	# a DNS server cannot time out on purpose).
	awk 'BEGIN { n = split("pass fail exp softfail neutral default " \
		"none syntax multi inc-none redirect mx voids helo nowhere", d)
		for (i = 0; i < 600; i++)
			printf "192.0.2.%d\tu%d@%s.test\thelo.test\n",
			    (i * 7) % 256, i, d[i % n + 1] }' >"$tmp/dns.in"
	printf 'bogus\tline\n' >>"$tmp/dns.in"
	"$bin" batch --zone "$zone" <"$tmp/dns.in" >"$tmp/dns.want" \
	    2>"$tmp/err"
	"$bin" batch --resolver "$res" --concurrency 64 <"$tmp/dns.in" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if sanitized batch-dns; then
		if [ $rc -ne 0 ]; then
			bad "batch-dns: exit status $rc" "$tmp/err"
		elif ! cmp -s "$tmp/dns.want" "$tmp/out"; then
			diff -u "$tmp/dns.want" "$tmp/out" | head -40 \
			    >"$tmp/diff"
			bad "batch-dns: differs from batch --zone" "$tmp/diff"
		else
			ok batch-dns
		fi
	fi
	# A resolver that refuses (nothing listens on the port).
	printf '192.0.2.7\tu@pass.test\tx\nx\n192.0.2.8\tu@fail.test\tx\n' \
	    >"$tmp/dead.in"
	"$bin" batch --resolver 127.0.0.1@9 --timeout 3 <"$tmp/dead.in" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cut -f1 "$tmp/out" >"$tmp/words"
	printf 'temperror\nerror\ntemperror\n' >"$tmp/want"
	if sanitized batch-refused; then
		if [ $rc -eq 0 ] && cmp -s "$tmp/want" "$tmp/words"; then
			ok batch-refused
		else
			bad "batch-refused: exit $rc" "$tmp/out"
		fi
	fi
	group_deadline
}

# hole_start - a UDP server on 127.0.0.1 that never answers; sets
# hole_port; 0 or 1 (no python3)
hole_start() {
	command -v python3 >/dev/null 2>&1 || return 1
	tries=0
	while [ $tries -lt 5 ]; do
		hole_port=$((20000 + ($$ * 11 + tries * 997) % 30000))
		: >"$tmp/hole.out"
		python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
time.sleep(300)' "$hole_port" >"$tmp/hole.out" 2>&1 &
		hole_pid=$!
		i=0
		while [ $i -lt 50 ]; do
			grep -q ready "$tmp/hole.out" 2>/dev/null && return 0
			kill -0 "$hole_pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill "$hole_pid" 2>/dev/null
		wait "$hole_pid" 2>/dev/null
		hole_pid=
		tries=$((tries + 1))
	done
	return 1
}

# group_deadline - --timeout ends check and batch evaluations on time even
# when the resolver never answers
group_deadline() {
	if ! hole_start; then
		skipped=$((skipped + 1))
		echo "skip - deadline: cannot start the silent server"
		return
	fi
	t0=$(date +%s)
	"$bin" check --resolver "127.0.0.1@$hole_port" --timeout 1 \
	    --ip 192.0.2.7 --sender u@pass.test --helo x \
	    </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s)
	if sanitized check-deadline; then
		if [ $rc -ne 5 ] || [ "$(head -n 1 "$tmp/out")" != temperror ]
		then
			bad "check-deadline: exit $rc" "$tmp/out"
		elif [ $((t1 - t0)) -gt 3 ]; then
			bad "check-deadline: took $((t1 - t0)) s for --timeout 1"
		else
			ok check-deadline
		fi
	fi
	awk 'BEGIN { for (i = 0; i < 50; i++)
		printf "192.0.2.%d\tu%d@pass.test\tx\n", i, i }' >"$tmp/hole.in"
	t0=$(date +%s)
	"$bin" batch --resolver "127.0.0.1@$hole_port" --timeout 2 \
	    --concurrency 20 <"$tmp/hole.in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s)
	if sanitized batch-deadline; then
		# 50 lines, 20 at a time, 2 s each: 3 rounds.
		if [ $rc -ne 0 ] || [ "$(grep -c '^temperror	' "$tmp/out")" -ne 50 ]
		then
			bad "batch-deadline: exit $rc" "$tmp/out"
		elif [ $((t1 - t0)) -gt 9 ]; then
			bad "batch-deadline: took $((t1 - t0)) s"
		else
			ok batch-deadline
		fi
	fi
}

# migrate_golden NAME - convert migrate/NAME.conf read from the standard
# input; compare stdout and stderr with expected/migrate-NAME.out and .err
# (tests: the output, the warnings, that mxspfd loads it, alone and
# appended to the packaged debian/mxspfd.conf as the README says)
migrate_golden() {
	name=migrate-$1
	"$bin" migrate-config - <"$dir/migrate/$1.conf" >"$tmp/out" \
	    2>"$tmp/err"
	compare "$name" 0 $?
	if [ -n "${MXSPF_CLI_REGEN:-}" ]; then
		cp "$tmp/err" "$exp/$name.err"
	fi
	if ! cmp -s "$exp/$name.err" "$tmp/err"; then
		diff -u "$exp/$name.err" "$tmp/err" >"$tmp/diff" 2>&1
		bad "$name-stderr: warnings differ from expected/$name.err" \
		    "$tmp/diff"
	else
		ok "$name-stderr"
	fi
	migrate_loads "$name-loads" "$tmp/out"
	# README: appended to the packaged /etc/mxspf/mxspfd.conf.
	if [ -f "$src/debian/mxspfd.conf" ]; then
		cat "$src/debian/mxspfd.conf" "$tmp/out" >"$tmp/both"
		migrate_loads "$name-appended" "$tmp/both"
	fi
}

# migrate_loads NAME FILE - mxspfd -n accepts FILE
migrate_loads() {
	if [ ! -x "$mxspfd" ]; then
		skipped=$((skipped + 1))
		echo "skip - $1: no mxspfd ($mxspfd)"
	elif "$mxspfd" -n -c "$2" >"$tmp/load" 2>&1 &&
	    grep -q 'configuration OK' "$tmp/load"; then
		ok "$1"
	else
		bad "$1: mxspfd -n refuses the output" "$tmp/load"
	fi
}

# migrate_error NAME WANT_EXIT PATTERN INPUT [ARG] - run migrate-config
# ARG (default -) with INPUT on the standard input: WANT_EXIT, nothing on
# stdout, one "mxspf: " line matching PATTERN on stderr
migrate_error() {
	name=migrate-$1
	want=$2
	pattern=$3
	"$bin" migrate-config "${5:--}" <"$4" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sanitized "$name" || return
	if [ $rc -ne "$want" ]; then
		bad "$name: exit status $rc, want $want" "$tmp/err"
	elif [ -s "$tmp/out" ]; then
		bad "$name: wrote to stdout" "$tmp/out"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
	    ! grep -q "^mxspf: .*$pattern" "$tmp/err"; then
		bad "$name: want one 'mxspf: ...$pattern' line" "$tmp/err"
	else
		ok "$name"
	fi
}

# migrate_line LEN WANT_EXIT - a "Reason_Message = xxx" line of LEN bytes
migrate_line() {
	awk -v n="$1" 'BEGIN { s = "Reason_Message = "
		while (length(s) < n) s = s "x"; print s }' >"$tmp/in"
	if [ "$2" -eq 0 ]; then
		"$bin" migrate-config - <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if sanitized "migrate-line-$1"; then
			[ $rc -eq 0 ] && ok "migrate-line-$1" ||
			    bad "migrate-line-$1: exit $rc" "$tmp/err"
		fi
	else
		migrate_error "line-$1" "$2" "line longer than 4096 bytes" \
		    "$tmp/in"
	fi
}

group_migrate() {
	mxspfd=${MXSPFD:-$(dirname "$bin")/mxspfd}
	for f in "$dir"/migrate/*.conf; do
		f=${f##*/}
		migrate_golden "${f%.conf}"
	done
	# A file name and the standard input give the same settings.
	"$bin" migrate-config "$dir/migrate/all-keys.conf" >"$tmp/out" \
	    2>"$tmp/err"
	rc=$?
	if sanitized migrate-file; then
		grep -v '^;' "$exp/migrate-all-keys.out" >"$tmp/want"
		grep -v '^;' "$tmp/out" >"$tmp/got"
		if [ $rc -eq 0 ] && cmp -s "$tmp/want" "$tmp/got"; then
			ok migrate-file
		else
			bad "migrate-file: exit $rc or other settings" "$tmp/out"
		fi
	fi
	# Without FILE: policyd-spf's own file.
	def=/etc/postfix-policyd-spf-python/policyd-spf.conf
	"$bin" migrate-config >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -r "$def" ]; then
		[ $rc -eq 0 ] && migrate_loads migrate-default "$tmp/out" ||
		    bad "migrate-default: exit $rc" "$tmp/err"
	elif [ $rc -eq 1 ] && grep -q "$def" "$tmp/err"; then
		ok migrate-default
	else
		bad "migrate-default: exit $rc without $def" "$tmp/err"
	fi
	# Errors: exit 1, a message, nothing on stdout.
	migrate_line 4096 0
	migrate_line 4097 1
	migrate_line 100000 1
	printf 'TestOnly = 1\nHELO_reject = F\000il\n' >"$tmp/in"
	migrate_error nul 1 ':2: NUL byte at column 16' "$tmp/in"
	printf 'TestOnly = 1\n\377\376junk\n' >"$tmp/in"
	migrate_error binary 1 ':2: byte 0xff at column 1 is not UTF-8' \
	    "$tmp/in"
	printf 'debugLevel = 1 # caf\303\n' >"$tmp/in"
	migrate_error utf8-cut 1 ':1: byte 0xc3 at column 21' "$tmp/in"
	printf 'Void_Limit = \355\240\200\n' >"$tmp/in"
	migrate_error surrogate 1 ':1: byte 0xed at column 14' "$tmp/in"
	printf 'TestOnly = 1\n\001\002\n' >"$tmp/in"
	migrate_error control 1 ':2: control character U+0001' "$tmp/in"
	printf 'Void_Limit = \302\205\n' >"$tmp/in"
	migrate_error c1-control 1 ':1: control character U+0085' "$tmp/in"
	head -c 4000 /dev/urandom >"$tmp/in"
	printf '\000' >>"$tmp/in"
	"$bin" migrate-config - <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if sanitized migrate-random; then
		[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && ok migrate-random ||
		    bad "migrate-random: exit $rc" "$tmp/err"
	fi
	printf 'TestOnly = yes\n' >"$tmp/in"
	migrate_error int 1 "TestOnly: 'yes' is not an integer" "$tmp/in"
	printf 'Lookup_Time = 1.5\n' >"$tmp/in"
	migrate_error int-float 1 "Lookup_Time: '1.5' is not an integer" \
	    "$tmp/in"
	printf 'Void_Limit = 1__0\n' >"$tmp/in"
	migrate_error int-underscore 1 "Void_Limit: '1__0'" "$tmp/in"
	printf 'InternalHosts =  # empty\n' >"$tmp/in"
	migrate_error dataset 1 "InternalHosts: empty value" "$tmp/in"
	: >"$tmp/in"
	migrate_error missing 1 "no-such.conf: cannot open" "$tmp/in" \
	    "$tmp/no-such.conf"
	migrate_error directory 1 "not a regular file" "$tmp/in" "$tmp"
	awk 'BEGIN { for (i = 0; i < 40000; i++)
		print "# a comment line of some thirty bytes" }' >"$tmp/in"
	migrate_error too-large 1 "larger than 1048576 bytes" "$tmp/in"
	# Many ignored lines: the notes and warnings are capped.
	awk 'BEGIN { for (i = 0; i < 5000; i++) print "Key" i " = 1" }' \
	    >"$tmp/in"
	"$bin" migrate-config - <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if sanitized migrate-many-notes; then
		if [ $rc -ne 0 ] || [ "$(wc -l <"$tmp/err")" -ne 101 ] ||
		    ! grep -q '4900 more notes' "$tmp/out"; then
			bad "migrate-many-notes: exit $rc or not capped" \
			    "$tmp/err"
		else
			migrate_loads migrate-many-notes "$tmp/out"
		fi
	fi
	usage migrate-two migrate-config a b
	usage migrate-option migrate-config --output x
	usage migrate-empty migrate-config ''
	# The decisions, against policyd-spf itself.
	py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	if ! "$py" -c 'import spf_engine' 2>/dev/null; then
		skipped=$((skipped + 1))
		echo "skip - migrate-semantics: no spf_engine" \
		    "(postfix-policyd-spf-python)"
	elif "$py" "$dir/migrate_semantics.py" "$bin" >"$tmp/sem" 2>&1; then
		ok "migrate-semantics: $(sed -n 's/^migrate-semantics: //p' \
		    "$tmp/sem")"
	else
		bad "migrate-semantics" "$tmp/sem"
	fi
}

for g in $groups; do
	case $g in
	check) group_check ;;
	explain) group_explain ;;
	batch) group_batch ;;
	usage) group_usage ;;
	dns) group_dns ;;
	migrate) group_migrate ;;
	*) echo "unknown group $g" >&2; exit 2 ;;
	esac
done
[ $skipped -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
