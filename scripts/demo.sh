#!/bin/sh
# scripts/demo.sh - show the mxspf CLI on the built-in what-if zone.
# Usage: scripts/demo.sh BUILD_DIR   (make demo runs: sh scripts/demo.sh build)
# Needs no network: every answer comes from demo/whatif.yml.
# SPDX-License-Identifier: BSD-2-Clause
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
mxspf=$build/mxspf
zone=$top/demo/whatif.yml
if [ ! -x "$mxspf" ]; then
	echo "demo: $mxspf not found; build first (make build)" >&2
	exit 1
fi

title() {
	printf '\n=== %s\n' "$1"
	printf '$ %s\n' "$2"
}

run() {
	# The exit status is the result (0 pass, 1 fail, ...): show it.
	"$mxspf" "$@"
	echo "(exit status $?)"
}

title "pass through an include chain (sender.test -> _spf.esp.test -> _netblocks.esp.test)" \
    "mxspf check --zone demo/whatif.yml --explain --ip 198.51.100.7 --sender alice@sender.test --helo mail.sender.test"
run check --zone "$zone" --explain --receiver mx.demo.test \
    --ip 198.51.100.7 --sender alice@sender.test --helo mail.sender.test

title "fail, with the domain's explanation (exp=)" \
    "mxspf check --zone demo/whatif.yml --explain --ip 203.0.113.9 --sender bob@strict.test --helo spammer.example"
run check --zone "$zone" --explain --receiver mx.demo.test \
    --ip 203.0.113.9 --sender bob@strict.test --helo spammer.example

title "batch: IP<TAB>SENDER<TAB>HELO on stdin, RESULT<TAB>REASON out, in order" \
    "printf '...' | mxspf batch --zone demo/whatif.yml"
printf '%s\t%s\t%s\n' \
    198.51.100.7 alice@sender.test mail.sender.test \
    192.0.2.25 bob@strict.test mail.strict.test \
    203.0.113.9 bob@strict.test spammer.example \
    192.0.2.99 carol@relaxed.test relay.example \
    192.0.2.99 dave@undecided.test relay.example \
    192.0.2.99 erin@broken.test relay.example \
    192.0.2.99 frank@nospf.test relay.example \
    not-an-ip x@sender.test relay.example |
    run batch --zone "$zone" --receiver mx.demo.test
