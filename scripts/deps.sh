#!/bin/sh
# scripts/deps.sh - install the Debian packages mxspf needs, when missing.
# Usage: scripts/deps.sh [build|test|all|pkg]   (default: all)
#   pkg: build plus what make package and make package-test need
# Runs apt-get only for packages that dpkg does not show as installed.
# SPDX-License-Identifier: BSD-2-Clause
set -eu
what=${1:-all}
build="gcc make cmake pkg-config libunbound-dev libyaml-dev libcmocka-dev libevent-dev libinih-dev libmilter-dev libmimalloc-dev"
test="clang libclang-rt-14-dev nsd unbound-host python3 python3-yaml"
# The end-to-end test (tests/e2e): real Postfix instances in network
# namespaces, swaks as the client.
e2e="postfix swaks iproute2"
# The Debian packages (make package, make package-test): dpkg-buildpackage
# with debhelper (build-essential is an implicit build dependency),
# lintian, systemd-analyze to verify the units, python3 for the policy
# client.
pkg="build-essential dpkg-dev debhelper lintian systemd python3"
case $what in
build) pkgs=$build ;;
test|all) pkgs="$build $test $e2e" ;;
pkg) pkgs="$build $pkg" ;;
*) echo "usage: $0 [build|test|all|pkg]" >&2; exit 2 ;;
esac
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}
# other_mta - the installed mail transport agent that is not Postfix, if any
other_mta() {
	dpkg-query -W -f='${Package} ${Provides} ${Status}\n' 2>/dev/null |
	    awk '/mail-transport-agent/ && / installed$/ && $1 != "postfix" {
		print $1; exit }'
}
missing=""
for p in $pkgs; do
	installed "$p" && continue
	if [ "$p" = postfix ] && mta=$(other_mta) && [ -n "$mta" ]; then
		# Installing postfix would remove the machine's own MTA: leave
		# it; the end-to-end test then says SKIPPED.
		echo "deps: not installing postfix: it would replace $mta" \
		    "(the end-to-end test will be skipped)" >&2
		continue
	fi
	missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# nsd's package starts a daemon on port 53 by default; tests start their own.
# Postfix is installed without a configuration ("No configuration": no
# /etc/postfix/main.cf, so the system's Postfix does not run); the
# end-to-end test runs its own instances, each with its own
# config_directory, inside network namespaces it creates, so neither the
# system's nsd nor its Postfix (nor anything listening in the host's own
# namespace) can interfere with them.
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    $SUDO debconf-set-selections ;;
esac
$SUDO apt-get install -y -qq --no-install-recommends $missing
