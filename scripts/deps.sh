#!/bin/sh
# scripts/deps.sh - install the Debian packages mxspf needs, when missing.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
# Runs apt-get only for packages that dpkg does not show as installed.
# SPDX-License-Identifier: BSD-2-Clause
set -eu
what=${1:-all}
build="gcc make cmake pkg-config libunbound-dev libyaml-dev libcmocka-dev libevent-dev libinih-dev"
test="clang libclang-rt-14-dev nsd unbound-host python3 python3-yaml"
case $what in
build) pkgs=$build ;;
test|all) pkgs="$build $test" ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# nsd's package starts a daemon on port 53 by default; tests start their own.
$SUDO apt-get install -y -qq --no-install-recommends $missing
