#!/bin/sh
# scripts/package.sh - build the Debian packages of debian/ (libmxspf0,
# libmxspf-dev, mxspf and their -dbgsym) outside the work tree.
# Usage: scripts/package.sh [OUT]   (make package: OUT=build-pkg)
# Copies the work tree (in git: the tracked files and the untracked ones
# that are not ignored; otherwise everything but .git and build*) into
# OUT/src/mxspf-VERSION and runs dpkg-buildpackage -us -uc -b there, so
# obj-*, debian/.debhelper and the ../*.deb it writes stay under OUT; then
# moves the .deb, .changes and .buildinfo files into OUT/debs.  The log
# is OUT/build.log (its end is shown when the build fails).
# JOBS (default 2) is passed as DEB_BUILD_OPTIONS=parallel=JOBS.
# Exit: 0, or 1 when the build failed.
# SPDX-License-Identifier: BSD-2-Clause
set -eu
cd "$(dirname "$0")/.."
out=${1:-build-pkg}
case $out in
/*) ;;
*) out=$(pwd)/$out ;;
esac
version=$(dpkg-parsechangelog -S Version)
src=$out/src/mxspf-$version
rm -rf "$out/src" "$out/debs"
mkdir -p "$src" "$out/debs"

# existing - the NUL-separated paths on stdin that exist (a file deleted
# in the work tree but not in the index is left out)
existing() {
	# shellcheck disable=SC2016 # the inner shell expands $f
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh
}

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | existing |
	    tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./.git --exclude='./build*' -cf - . | tar -xf - -C "$src"
fi

echo "package: building mxspf $version in $src (log: $out/build.log)"
if ! (cd "$src" &&
    DEB_BUILD_OPTIONS="parallel=${JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 60 "$out/build.log"
	echo "package: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo \
    "$out/debs/"
ls -l "$out/debs"
