#!/bin/sh
# scripts/demo.sh - the demo: (1) the mxspf CLI on the built-in what-if
# zone, (2) the backup-MX scenario with real Postfix, nsd, swaks and mxspfd
# in network namespaces (tests/e2e/run.sh), ending in its verdict table.
# Usage: scripts/demo.sh BUILD_DIR   (make demo runs: sh scripts/demo.sh build)
# Part 1 needs no network: every answer comes from demo/whatif.yml.
# Part 2 needs root (or sudo) for the namespaces; it sends no packet
# outside the namespaces it creates, and removes them when it ends.
# Exit: 0, or 1 when a step of part 2 fails.
# SPDX-License-Identifier: BSD-2-Clause
set -u
build=${1:-build}
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
mxspf=$build/mxspf
mxspfd=$build/mxspfd
cd "$(dirname "$0")/.." || exit 1
if [ ! -x "$mxspf" ]; then
	echo "demo: $mxspf not found; build first (make build)" >&2
	exit 1
fi

# title TEXT - a heading
title() {
	printf '\n=== %s\n' "$1"
}

# run ARGS... - show the command, run it, show its exit status (the
# result: 0 pass, 1 fail, 2 softfail, ...)
run() {
	printf '$ mxspf %s\n' "$*"
	"$mxspf" "$@"
	echo "(exit status $?)"
}

title "Part 1: the SPF engine on a what-if zone (demo/whatif.yml; add --explain for a trace)"
echo "--- pass through an include chain: sender.test -> _spf.esp.test -> _netblocks.esp.test"
run check --zone demo/whatif.yml --receiver mx.demo.test \
    --ip 198.51.100.7 --sender alice@sender.test --helo mail.sender.test
echo "--- fail, with the explanation strict.test publishes (exp=)"
run check --zone demo/whatif.yml --receiver mx.demo.test \
    --ip 203.0.113.9 --sender bob@strict.test --helo spammer.example

title "Part 2: the backup-MX scenario with real Postfix, nsd, swaks and mxspfd"
cat <<'EOF'
receiver.test: MX 10 mail.receiver.test (primary), 20 mx.backup1.test, 30 mx.backup2.test
sender.test:   v=spf1 a:mail.sender.test -all
Each host is a network namespace on a private bridge (192.0.2.0/24), each
MX runs its own Postfix with mxspfd in check_policy_service, nsd serves
the zones, swaks sends.  The primary and backup1 start down; the message
goes sender -> backup2 -> backup1 -> primary -> mailbox.  Then a
two-domain transaction from backup2, a forged sender, a more preferred
MX relaying "down", a DNS failure in the trust check, and - the problem
mxspf solves - step 2 again with MX trust off on backup1.
EOF
if [ ! -x "$mxspfd" ]; then
	echo "demo: $mxspfd not found; build first (make build)" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	bash tests/e2e/run.sh "$mxspfd"
elif command -v sudo >/dev/null 2>&1; then
	echo "(network namespaces need root: running it with sudo)"
	sudo bash tests/e2e/run.sh "$mxspfd"
else
	bash tests/e2e/run.sh "$mxspfd"
fi
rc=$?
case $rc in
0) ;;
77) echo "demo: part 2 was skipped (see the reason above)"; rc=0 ;;
*) echo "demo: part 2 FAILED (exit status $rc)"; rc=1 ;;
esac
exit $rc
