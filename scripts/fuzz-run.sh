#!/bin/sh
# scripts/fuzz-run.sh - a short libFuzzer run of every fuzz target (make
# fuzz-run; CI).
# Usage: scripts/fuzz-run.sh [BUILD_DIR [SECONDS]]   (defaults build-fuzz, 20)
# Each BUILD_DIR/fuzz/fuzz_<x> runs for SECONDS on a copy of
# fuzz/corpus/<x>/ plus fuzz/regressions/fuzz_<x>/ (so every fixed crash
# stays fixed), one target after the other (the CI machines have 2 cores).
# Prints "fuzz_<x>: N runs, K crashes" per target.  A crash, leak, timeout
# (-timeout=5) or out-of-memory (-rss_limit_mb=2048) counts; its reproducer
# and log are copied to BUILD_DIR/fuzz-artifacts/fuzz_<x>/.
# FUZZ_TARGETS="record zone" limits the run to those targets.
# Owns: its temporary directory, removed at exit.  Must not: write into the
# source tree (new inputs go to the temporary copy, never to fuzz/corpus).
# Exit: 0 when every target ran clean, 1 otherwise, 2 on a usage error.
# SPDX-License-Identifier: BSD-2-Clause
set -u

build=${1:-build-fuzz}
secs=${2:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)

case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [BUILD_DIR [SECONDS]]" >&2
	exit 2
	;;
esac
if [ ! -d "$build/fuzz" ]; then
	echo "fuzz-run: no $build/fuzz; configure with CC=clang" \
	    "-DMXSPF_FUZZ=ON (make fuzz)" >&2
	exit 2
fi
build=$(cd "$build" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

status=0
found=0
for exe in "$build"/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	name=${exe##*/}
	t=${name#fuzz_}
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in
		*" $t "*) ;;
		*) continue ;;
		esac
	fi
	found=$((found + 1))
	dir=$work/$t
	mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
	for seeds in "$repo/fuzz/corpus/$t" "$repo/fuzz/regressions/$name"; do
		if [ -d "$seeds" ]; then
			cp -R "$seeds/." "$dir/corpus/" || status=1
		fi
	done
	# TMPDIR: fuzz_zone writes its input file there.
	TMPDIR=$dir/tmp "$exe" -max_total_time="$secs" -timeout=5 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$dir/artifacts/" "$dir/corpus" \
	    >"$dir/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" |
	    tail -n 1)
	crashes=$(find "$dir/artifacts" -type f | wc -l | tr -d ' ')
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1	# died without leaving a reproducer
	fi
	echo "$name: ${runs:-0} runs, $crashes crashes"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		status=1
		keep=$build/fuzz-artifacts/$name
		rm -rf "$keep"
		mkdir -p "$keep"
		cp "$dir/log" "$keep/log"
		find "$dir/artifacts" -type f -exec cp {} "$keep/" \;
		# The error, the harness's message and our own stack frames.
		ours='#[0-9]+ .* in [^ ]+ [^ ]*/(fuzz|lib|cmd)/[^ ]*\.[ch]:'
		grep -E "(ERROR|SUMMARY|^fuzz_[a-z]+: |$ours)" "$dir/log" |
		    head -n 20 | sed 's/^/    /'
		echo "    reproducer and log: $keep/"
		echo "    reproduce: $exe $keep/<file>"
	fi
done
if [ "$found" -eq 0 ]; then
	echo "fuzz-run: no fuzz targets in $build/fuzz" >&2
	exit 2
fi
exit $status
