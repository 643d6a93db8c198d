#!/bin/sh
# scripts/package-test.sh - check the Debian packages scripts/package.sh
# built, on this machine: lintian (no error allowed), then install them
# with apt-get, check what they installed (configuration, programs, the
# user mxspf, man pages, units, pkg-config), run the installed mxspfd as
# the user mxspf on a temporary unix socket and ask it two policy
# questions, and finally remove and purge them.
# Usage: scripts/package-test.sh [OUT]   (make package-test: OUT=build-pkg;
# the packages are in OUT/debs).  Needs root: re-runs itself with sudo.
# The packages are purged at the end, also when a step fails; the user
# mxspf stays, as Debian keeps system users.
# Prints "N passed, N failed"; exits 1 when a step failed.
# SPDX-License-Identifier: BSD-2-Clause
set -u
if [ "$(id -u)" -ne 0 ]; then
	exec sudo sh "$0" "$@"
fi
cd "$(dirname "$0")/.." || exit 2
src=$(pwd)
out=${1:-build-pkg}
case $out in
/*) ;;
*) out=$src/$out ;;
esac
debs=$out/debs
pkgs="mxspf libmxspf-dev libmxspf0"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxspf-pkgtest.XXXXXX") || exit 2
chmod 755 "$tmp"
daemon_pid=
export DEBIAN_FRONTEND=noninteractive
# shellcheck source=tests/lib/harness.sh
. "$src/tests/lib/harness.sh"

# present - the packages that dpkg has in any state but not-installed
# (installed, or only their conffiles left)
present() {
	for p in $pkgs; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null |
		    grep -q '^.[^n]' && printf ' %s' "$p"
	done
}

# purge_all - purge whatever of the packages is there
purge_all() {
	# shellcheck disable=SC2086 # one word per package
	[ -z "$(present)" ] || apt-get purge -y -qq $pkgs >/dev/null 2>&1
}

# cleanup - at exit: stop the daemon if it runs, purge, remove $tmp
cleanup() {
	[ -z "$daemon_pid" ] || { kill "$daemon_pid"; wait "$daemon_pid"; } \
	    2>/dev/null
	purge_all
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

step_lintian() {
	changes=$(echo "$debs"/mxspf_*.changes)
	if [ ! -f "$changes" ]; then
		bad "no $debs/mxspf_*.changes: run make package first"
		summary
	fi
	# Every tag is shown; only errors fail.
	lintian --fail-on error --display-info "$changes" >"$tmp/lintian" 2>&1
	rc=$?
	sed 's/^/    lintian: /' "$tmp/lintian"
	if [ $rc -eq 0 ]; then
		ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian") warnings)"
	else
		bad "lintian: errors (exit $rc)"
	fi
}

step_install() {
	purge_all
	set -- "$debs"/libmxspf0_*.deb "$debs"/libmxspf-dev_*.deb \
	    "$debs"/mxspf_*.deb
	case "$*" in
	*"*"*) bad "missing packages in $debs: $*"; return 1 ;;
	esac
	if apt-get install -y -qq "$@" >"$tmp/install.log" 2>&1; then
		ok "apt-get install$(for f; do printf ' %s' "${f##*/}"; done)"
	else
		bad "apt-get install" "$tmp/install.log"
		return 1
	fi
}

step_files() {
	run "mxspfd -n -c /etc/mxspf/mxspfd.conf" \
	    /usr/sbin/mxspfd -n -c /etc/mxspf/mxspfd.conf
	run "mxspf-milter -n -c /etc/mxspf/mxspfd.conf" \
	    /usr/sbin/mxspf-milter -n -c /etc/mxspf/mxspfd.conf
	if dpkg-query -W -f='${Conffiles}\n' mxspf |
	    grep -q '^ /etc/mxspf/mxspfd.conf '; then
		ok "/etc/mxspf/mxspfd.conf is a conffile"
	else
		bad "/etc/mxspf/mxspfd.conf is not a conffile"
	fi
	/usr/bin/mxspf check --zone "$src/tests/cli/zone.yml" --ip 192.0.2.10 \
	    --sender alice@fail.test --helo mail.fail.test >"$tmp/check" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -q '^fail' "$tmp/check"; then
		ok "/usr/bin/mxspf check --zone: fail, exit 1"
	else
		bad "/usr/bin/mxspf check --zone: exit $rc" "$tmp/check"
	fi
	uid=$(getent passwd mxspf | cut -d: -f3)
	if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && getent group mxspf \
	    >/dev/null; then
		ok "system user and group mxspf (uid $uid)"
	else
		bad "no system user mxspf with its group"
	fi
	for f in mxspf:/usr/share/man/man1/mxspf.1.gz \
	    mxspf:/usr/share/man/man8/mxspfd.8.gz \
	    mxspf:/usr/share/man/man8/mxspf-milter.8.gz \
	    mxspf:/usr/share/man/man5/mxspfd.conf.5.gz \
	    mxspf:/usr/share/doc/mxspf/examples/mxspfd.conf.example \
	    mxspf:/lib/systemd/system/mxspfd.service \
	    mxspf:/lib/systemd/system/mxspf-milter.service \
	    libmxspf-dev:/usr/share/man/man3/libmxspf.3.gz \
	    libmxspf-dev:/usr/include/mxspf/mxspf.h; do
		if dpkg -L "${f%%:*}" | grep -qx "${f#*:}" && [ -e "${f#*:}" ]
		then
			ok "${f%%:*}: ${f#*:}"
		else
			bad "${f%%:*} does not install ${f#*:}"
		fi
	done
	wants=/etc/systemd/system/multi-user.target.wants
	if [ -L "$wants/mxspfd.service" ] &&
	    [ ! -e "$wants/mxspf-milter.service" ]; then
		ok "mxspfd.service enabled, mxspf-milter.service not"
	else
		bad "enabled units wrong:$(for u in "$wants"/mxspf*; do
		    printf ' %s' "${u##*/}"; done)"
	fi
}

step_systemd() {
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		echo "skip - systemd-analyze verify (no systemd-analyze)"
		return
	fi
	for u in mxspfd mxspf-milter; do
		if systemd-analyze verify "/lib/systemd/system/$u.service" \
		    >"$tmp/verify" 2>&1 && [ ! -s "$tmp/verify" ]; then
			ok "systemd-analyze verify /lib/systemd/system/$u.service"
		else
			bad "systemd-analyze verify $u.service" "$tmp/verify"
		fi
	done
}

# step_pkgconfig - a third-party program against the installed library,
# with the flags pkg-config gives (shared, and static by archive name)
step_pkgconfig() {
	# shellcheck disable=SC2046
	run "cc consumer.c \$(pkg-config --cflags --libs mxspf)" \
	    cc -o "$tmp/consumer" "$src/tests/install/consumer.c" \
	    $(pkg-config --cflags --libs mxspf)
	run "consumer (shared libmxspf.so.0)" "$tmp/consumer" \
	    "$src/tests/cli/zone.yml"
	# shellcheck disable=SC2046
	run "cc consumer.c \$(pkg-config --static --libs mxspf)" \
	    cc -o "$tmp/consumer-static" "$src/tests/install/consumer.c" \
	    $(pkg-config --cflags mxspf) $(pkg-config --static --libs mxspf |
	    sed 's/-lmxspf\( \|$\)/-l:libmxspf.a\1/')
	run "consumer-static (libmxspf.a)" "$tmp/consumer-static" \
	    "$src/tests/cli/zone.yml"
}

# policy_ask SOCKET - two requests on one connection; the replies on stdout
policy_ask() {
	py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	"$py" - "$1" <<'EOF'
import socket, sys

def rcpt(instance, client, helo):
    return ("request=smtpd_access_policy\nprotocol_state=RCPT\n"
            "protocol_name=ESMTP\nclient_address=%s\nhelo_name=%s\n"
            "sender=alice@sender.test\nrecipient=bob@receiver.test\n"
            "server_address=198.51.100.20\ninstance=%s\n\n"
            % (client, helo, instance))

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall((rcpt("p1", "192.0.2.10", "mail.sender.test") +
           rcpt("p2", "203.0.113.66", "forger.example")).encode())
data = b""
while data.count(b"\n\n") < 2:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
EOF
}

# step_daemon - the installed mxspfd, as mxspf, with the packaged
# configuration, a private socket and the protocol tests' zone
step_daemon() {
	sock=$tmp/run/mxspfd.sock
	mkdir "$tmp/run"
	chown mxspf:mxspf "$tmp/run"
	install -m 0644 "$src/tests/proto/zone.yml" "$tmp/zone.yml"
	setpriv --reuid=mxspf --regid=mxspf --init-groups -- \
	    /usr/sbin/mxspfd -f -c /etc/mxspf/mxspfd.conf \
	    -l "unix:$sock" -Z "$tmp/zone.yml" >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	wait_for -S "$sock"
	user=$(ps -o user= -p "$daemon_pid")
	if [ -S "$sock" ] && [ "$user" = mxspf ]; then
		ok "mxspfd runs as mxspf on $sock"
	else
		bad "mxspfd did not start as mxspf (user '$user')" \
		    "$tmp/daemon.log"
		return
	fi
	policy_ask "$sock" >"$tmp/replies" 2>&1
	printf '%s\n\n%s\n\n' "action=DUNNO" "action=550 5.7.23 SPF fail:\
 sender.test does not designate 203.0.113.66 as a permitted sender" \
	    >"$tmp/want"
	if cmp -s "$tmp/replies" "$tmp/want"; then
		ok "policy replies: DUNNO for a pass, 550 5.7.23 for a fail"
	else
		bad "policy replies" "$tmp/replies"
	fi
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	if [ $rc -eq 0 ] && [ ! -e "$sock" ]; then
		ok "mxspfd stops on SIGTERM (exit 0, socket removed)"
	else
		bad "mxspfd stop: exit $rc" "$tmp/daemon.log"
	fi
}

step_remove() {
	run "apt-get remove mxspf" apt-get remove -y -qq mxspf
	if [ ! -e /usr/sbin/mxspfd ] && [ -f /etc/mxspf/mxspfd.conf ]; then
		ok "removed: programs gone, configuration kept"
	else
		bad "after remove: /usr/sbin/mxspfd or the configuration wrong"
	fi
	# shellcheck disable=SC2086 # one word per package
	run "apt-get purge $pkgs" apt-get purge -y -qq $pkgs
	left=$(present)
	lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libmxspf.so.0
	if [ -z "$left" ] && [ ! -e /etc/mxspf ] && [ ! -e "$lib" ]; then
		ok "purged: packages, /etc/mxspf and the library gone"
	else
		bad "after purge: left:$left $(ls -d /etc/mxspf 2>/dev/null)"
	fi
	if getent passwd mxspf >/dev/null; then
		ok "purge keeps the system user mxspf"
	else
		bad "purge removed the user mxspf"
	fi
}

step_lintian
if step_install; then
	step_files
	step_systemd
	step_pkgconfig
	step_daemon
	step_remove
fi
summary
