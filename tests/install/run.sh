#!/bin/sh
# tests/install/run.sh - the installed copy of mxspf, as an administrator
# and a third-party program see it.
# Usage: run.sh GROUP   (tests/install/CMakeLists.txt sets the MXSPF_*
# variables below: the build and source directories and the install
# paths as GNUInstallDirs gives them)
#   files      `cmake --install` into a temporary DESTDIR puts programs,
#              headers, libraries, mxspf.pc, man pages, the example
#              configuration and the systemd units where they belong; the
#              shared library has its SONAME and exports exactly the
#              functions and objects the installed headers declare; the
#              installed mxspf runs
#   pkgconfig  tests/install/consumer.c, built with nothing but
#              `pkg-config mxspf` (PKG_CONFIG_PATH and
#              PKG_CONFIG_SYSROOT_DIR point into the DESTDIR), linked
#              against the shared library and against the static one
#              (pkg-config --static), runs its SPF checks
#   systemd    systemd-analyze verify on the installed units, with
#              ExecStart pointing into the DESTDIR and the man pages of
#              Documentation= looked up there, and systemd-analyze
#              security on their sandbox; skipped (77) without
#              systemd-analyze
# Prints "N passed, N failed"; exits 1 when a test failed, 77 when the
# group was skipped.
# SPDX-License-Identifier: BSD-2-Clause
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 files|pkgconfig|systemd" >&2
	exit 2
fi
group=$1
build=${MXSPF_BUILDDIR:?}
src=${MXSPF_SRCDIR:?}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-install.XXXXXX") || exit 2
dest=$tmp/dest
# shellcheck source=tests/lib/harness.sh
. "$src/tests/lib/harness.sh"

# The consumer runs under the same sanitizers as the library (check-asan).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
export ASAN_OPTIONS UBSAN_OPTIONS

trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

# skip REASON - the whole group cannot run here
skip() {
	echo "SKIPPED: $1"
	exit 77
}

# install_copy - cmake --install into $dest (the test stops if it fails)
install_copy() {
	if DESTDIR=$dest cmake --install "$build" >"$tmp/install.log" 2>&1
	then
		ok "cmake --install into a DESTDIR"
	else
		bad "cmake --install into a DESTDIR" "$tmp/install.log"
		summary
	fi
}

# same NAME INSTALLED SOURCE - INSTALLED is a copy of SOURCE
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		bad "$1: $2 missing or not a copy of $3"
	fi
}

# exported LIB - the dynamic symbols LIB defines, one per line
exported() {
	nm -D --defined-only "$1" | awk '{ sub(/@.*/, "", $3); print $3 }' |
	    grep -v '^MXSPF_' | sort -u
}

# declared DIR - the functions and objects the headers in DIR declare: a
# declaration starts at column 0 (style(9)); typedefs are not symbols
declared() {
	cat "$1"/*.h | sed -n -e '/^typedef/d' -e '/^#/d' \
	    -e 's/^extern .*[^a-z0-9_]\(mxspf_[a-z0-9_]*\);.*/\1/p' \
	    -e 's/^[a-z].*[^a-z0-9_]\(mxspf_[a-z0-9_]*\)(.*/\1/p' | sort -u
}

group_files() {
	install_copy
	for f in "$MXSPF_BINDIR/mxspf" "$MXSPF_SBINDIR/mxspfd"; do
		if [ -x "$dest$f" ]; then ok "program $f"; else bad "program $f"; fi
	done
	if [ -n "$MXSPF_MILTER" ]; then
		f=$MXSPF_SBINDIR/mxspf-milter
		if [ -x "$dest$f" ]; then ok "program $f"; else bad "program $f"; fi
	fi
	for h in "$src"/include/mxspf/*.h; do
		same "header ${h##*/}" "$dest$MXSPF_INCLUDEDIR/mxspf/${h##*/}" "$h"
	done
	for p in "$src"/docs/*.[1358]; do
		n=${p##*/}
		same "man page $n" "$dest$MXSPF_MANDIR/man${n##*.}/$n" "$p"
	done
	same "example configuration" \
	    "$dest$MXSPF_DOCDIR/examples/mxspfd.conf.example" \
	    "$src/docs/mxspfd.conf.example"
	if [ -f "$dest$MXSPF_LIBDIR/libmxspf.a" ]; then
		ok "static library"
	else
		bad "static library $MXSPF_LIBDIR/libmxspf.a"
	fi
	check_shared
	v=$(PKG_CONFIG_SYSROOT_DIR=$dest \
	    PKG_CONFIG_PATH=$dest$MXSPF_LIBDIR/pkgconfig \
	    pkg-config --modversion mxspf 2>"$tmp/pc.err")
	if [ "$v" = "$MXSPF_VERSION" ]; then
		ok "mxspf.pc, version $v"
	else
		bad "mxspf.pc: version '$v', want $MXSPF_VERSION" "$tmp/pc.err"
	fi
	check_units_installed
	"$dest$MXSPF_BINDIR/mxspf" check --zone "$src/tests/cli/zone.yml" \
	    --ip 192.0.2.10 --sender alice@pass.test --helo mail.pass.test \
	    >"$tmp/check.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^pass' "$tmp/check.out"; then
		ok "the installed mxspf checks SPF"
	else
		bad "installed mxspf check: exit $rc, want 0 and pass" \
		    "$tmp/check.out"
	fi
}

# check_shared - libmxspf.so: the links, the SONAME, the exports
check_shared() {
	lib=$dest$MXSPF_LIBDIR
	if [ -z "$MXSPF_SHARED" ]; then
		echo "skip - shared library (MXSPF_SHARED is off)"
		return
	fi
	real=libmxspf.so.$MXSPF_VERSION
	if [ -f "$lib/$real" ] &&
	    [ "$(readlink "$lib/libmxspf.so.0")" = "$real" ] &&
	    [ "$(readlink "$lib/libmxspf.so")" = libmxspf.so.0 ]; then
		ok "shared library $real and its links"
	else
		ls -l "$lib" >"$tmp/ls.out" 2>&1
		bad "shared library $real and its links" "$tmp/ls.out"
		return
	fi
	soname=$(readelf -d "$lib/$real" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
	if [ "$soname" = libmxspf.so.0 ]; then
		ok "SONAME $soname"
	else
		bad "SONAME '$soname', want libmxspf.so.0"
	fi
	exported "$lib/$real" >"$tmp/exported"
	declared "$dest$MXSPF_INCLUDEDIR/mxspf" >"$tmp/declared"
	if [ -s "$tmp/declared" ] && cmp -s "$tmp/exported" "$tmp/declared"
	then
		ok "exports exactly the $(wc -l <"$tmp/declared") public symbols"
	else
		diff "$tmp/declared" "$tmp/exported" |
		    sed -e 's/^</declared, not exported (lib\/libmxspf.map?):/' \
		    -e 's/^>/exported, not declared:/' | grep -v '^[0-9]' \
		    >"$tmp/exports.diff"
		bad "exports differ from the public headers" "$tmp/exports.diff"
	fi
}

# check_units_installed - each daemon has its unit, starting it from SBINDIR
check_units_installed() {
	[ -n "$MXSPF_UNITDIR" ] || return 0
	for prog in mxspfd ${MXSPF_MILTER:+mxspf-milter}; do
		u=$dest$MXSPF_UNITDIR/$prog.service
		if grep -qx "ExecStart=$MXSPF_SBINDIR/$prog" "$u" 2>/dev/null
		then
			ok "unit $prog.service"
		else
			bad "unit $MXSPF_UNITDIR/$prog.service (ExecStart)"
		fi
	done
}

# consumer NAME LINK_FLAGS... - build tests/install/consumer.c with the
# flags pkg-config gives and the LINK_FLAGS, into $tmp/NAME
consumer() {
	name=$1
	shift
	# shellcheck disable=SC2046,SC2086 # word splitting is wanted
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -pedantic \
	    ${MXSPF_TEST_CFLAGS:-} $(pkg-config --cflags mxspf) \
	    -o "$tmp/$name" "$src/tests/install/consumer.c" "$@" \
	    >"$tmp/$name.cc" 2>&1
}

# needs_libmxspf BINARY - 0 when BINARY needs the shared libmxspf
needs_libmxspf() {
	readelf -d "$1" | grep -q 'NEEDED.*\[libmxspf\.so\.0\]'
}

# run_consumer NAME - run it on the CLI tests' zone; it must pass
run_consumer() {
	if LD_LIBRARY_PATH=$dest$MXSPF_LIBDIR "$tmp/$1" \
	    "$src/tests/cli/zone.yml" >"$tmp/$1.out" 2>&1 &&
	    grep -q '^consumer: 0 failed$' "$tmp/$1.out"; then
		ok "$1 runs its SPF checks"
	else
		bad "$1 run" "$tmp/$1.out"
	fi
}

# check_consumer_shared - consumer-shared needs libmxspf.so.0, which the
# dynamic linker finds in the DESTDIR, and passes
check_consumer_shared() {
	# shellcheck disable=SC2046
	if ! consumer consumer-shared $(pkg-config --libs mxspf); then
		bad "consumer-shared build" "$tmp/consumer-shared.cc"
	elif ! needs_libmxspf "$tmp/consumer-shared"; then
		bad "consumer-shared does not need libmxspf.so.0"
	elif ! LD_LIBRARY_PATH=$dest$MXSPF_LIBDIR ldd "$tmp/consumer-shared" \
	    >"$tmp/ldd.out" 2>&1 || ! grep -q "libmxspf.so.0 => $dest" \
	    "$tmp/ldd.out"; then
		bad "consumer-shared: libmxspf.so.0 not from the DESTDIR" \
		    "$tmp/ldd.out"
	else
		ok "consumer-shared links libmxspf.so.0 of the DESTDIR"
		run_consumer consumer-shared
	fi
}

group_pkgconfig() {
	install_copy
	PKG_CONFIG_SYSROOT_DIR=$dest
	PKG_CONFIG_PATH=$dest$MXSPF_LIBDIR/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
	if ! pkg-config --exists --print-errors mxspf >"$tmp/pc.err" 2>&1
	then
		bad "pkg-config finds mxspf" "$tmp/pc.err"
		summary
	fi
	ok "pkg-config: $(pkg-config --cflags --libs mxspf)"
	if [ -n "$MXSPF_SHARED" ]; then
		check_consumer_shared
	else
		echo "skip - consumer-shared (MXSPF_SHARED is off)"
	fi
	# The static archive by name: with -lmxspf the linker would take the
	# shared library beside it.
	static_libs=$(pkg-config --static --libs mxspf |
	    sed 's/-lmxspf\( \|$\)/-l:libmxspf.a\1/')
	case $static_libs in
	*-l:libmxspf.a*) ;;
	*) bad "pkg-config --static --libs: no -lmxspf in '$static_libs'" ;;
	esac
	# shellcheck disable=SC2086
	if ! consumer consumer-static $static_libs; then
		bad "consumer-static build" "$tmp/consumer-static.cc"
	elif needs_libmxspf "$tmp/consumer-static"; then
		bad "consumer-static needs libmxspf.so.0"
	else
		ok "consumer-static links libmxspf.a ($static_libs)"
		run_consumer consumer-static
	fi
}

# check_exposure UNIT - systemd-analyze security rates the sandbox of UNIT
# at most 2.0 ("OK"); unhardened it would be 9.6
check_exposure() {
	systemd-analyze --help 2>/dev/null | grep -q -- '--offline' || return 0
	if systemd-analyze security --offline=yes --threshold=20 "$1" \
	    >"$tmp/security.out" 2>&1; then
		ok "${1##*/}: exposure $(sed -n \
		    's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
		    "$tmp/security.out") (at most 2.0)"
	else
		bad "${1##*/}: exposure above 2.0" "$tmp/security.out"
	fi
}

group_systemd() {
	command -v systemd-analyze >/dev/null 2>&1 ||
	    skip "no systemd-analyze (Debian package systemd)"
	[ -n "$MXSPF_UNITDIR" ] || skip "MXSPF_SYSTEMD_UNITDIR is empty"
	install_copy
	# Documentation=man:... is checked with man(1) when it is there.
	man_opt=--man=yes
	command -v man >/dev/null 2>&1 || man_opt=--man=no
	mkdir -p "$tmp/units"
	for prog in mxspfd ${MXSPF_MILTER:+mxspf-milter}; do
		u=$prog.service
		sed "s|^ExecStart=$MXSPF_SBINDIR/|ExecStart=$dest$MXSPF_SBINDIR/|" \
		    "$dest$MXSPF_UNITDIR/$u" >"$tmp/units/$u"
		if MANPATH=$dest$MXSPF_MANDIR systemd-analyze verify $man_opt \
		    "$tmp/units/$u" >"$tmp/$u.out" 2>&1 && [ ! -s "$tmp/$u.out" ]
		then
			ok "systemd-analyze verify $u"
		else
			bad "systemd-analyze verify $u" "$tmp/$u.out"
		fi
		check_exposure "$tmp/units/$u"
	done
	# mxspfd reloads on SIGHUP; the milter on SIGUSR2 (it would stop on
	# SIGHUP).
	# shellcheck disable=SC2016 # $MAINPID is systemd's
	if grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' \
	    "$tmp/units/mxspfd.service"; then
		ok "mxspfd.service: ExecReload sends SIGHUP"
	else
		bad "mxspfd.service: no ExecReload with SIGHUP"
	fi
	if [ -n "$MXSPF_MILTER" ]; then
		# shellcheck disable=SC2016 # $MAINPID is systemd's
		if grep -q '^ExecReload=/bin/kill -USR2 \$MAINPID$' \
		    "$tmp/units/mxspf-milter.service" &&
		    ! grep -q '^ExecReload=.*HUP' \
		    "$tmp/units/mxspf-milter.service"; then
			ok "mxspf-milter.service: ExecReload sends SIGUSR2"
		else
			bad "mxspf-milter.service: no ExecReload with SIGUSR2"
		fi
	fi
}

case $group in
files) group_files ;;
pkgconfig) group_pkgconfig ;;
systemd) group_systemd ;;
*) echo "unknown group $group" >&2; exit 2 ;;
esac
summary
