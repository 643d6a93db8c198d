#!/bin/sh
# scripts/demo.sh - show the mxspf CLI on the built-in what-if zone.
# Usage: scripts/demo.sh BUILD_DIR   (make demo runs: sh scripts/demo.sh build)
# Needs no network: every answer comes from demo/whatif.yml.
# SPDX-License-Identifier: BSD-2-Clause
set -u
build=${1:-build}
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
mxspf=$build/mxspf
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

title "pass through an include chain: sender.test -> _spf.esp.test -> _netblocks.esp.test"
run check --zone demo/whatif.yml --receiver mx.demo.test --explain \
    --ip 198.51.100.7 --sender alice@sender.test --helo mail.sender.test

title "fail, with the explanation strict.test publishes (exp=)"
run check --zone demo/whatif.yml --receiver mx.demo.test --explain \
    --ip 203.0.113.9 --sender bob@strict.test --helo spammer.example

title "batch: IP<TAB>SENDER<TAB>HELO lines in, RESULT<TAB>REASON lines out, in order"
input=$(printf '%s\t%s\t%s\n' \
    198.51.100.7 alice@sender.test mail.sender.test \
    192.0.2.25 bob@strict.test mail.strict.test \
    203.0.113.9 bob@strict.test spammer.example \
    192.0.2.99 carol@relaxed.test relay.example \
    192.0.2.99 dave@undecided.test relay.example \
    192.0.2.99 erin@broken.test relay.example \
    192.0.2.99 frank@nospf.test relay.example \
    not-an-ip grace@sender.test relay.example)
echo "input:"
printf '%s\n' "$input" | sed 's/^/  /'
printf '%s\n' "$input" | run batch --zone demo/whatif.yml
