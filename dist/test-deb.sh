#!/bin/sh
# dist/test-deb.sh [PACKAGE.deb]: installs isapid's Debian package on this machine,
# checks and serves the installed configuration, and purges it again.
#   1. dpkg -i (apt-get -f install when a dependency is missing)
#   2. postinst again (idempotent); the manual page is installed (man -w isapid);
#      isapid -t -f /etc/isapid/httpd.conf says Syntax OK
#   3. ports.conf (the only Listen of the shipped configuration, port 80) is replaced
#      by a free loopback port; isapid -k start (no systemd runs here) without
#      /run/isapid: isapid creates the PidFile's directory itself (mode 0755, root)
#   4. the welcome page, /scripts/hello.dll and the script-mapped /templates/hello.tpl
#      answer 200; the serving process runs as www-isapid, its parent as root
#   5. isapid -k stop; dpkg --purge; /usr/sbin/isapid, /etc/isapid, /var/log/isapid,
#      the manual page and the www-isapid user and group are gone
# Without an argument it runs make deb first. Needs root; installs system-wide, so it
# is not part of make test (make deb-test runs it). Whatever fails, the trap stops the
# server and purges the package: the machine is left as it was found.
set -eu

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
step() { echo "test-deb: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (dpkg -i)"
cd "$(dirname "$0")/.."

if [ $# -ge 1 ]; then
	deb=$1
else
	make deb
	deb=$(ls -t dist/isapid_*.deb | head -n 1)
fi
[ -f "$deb" ] || fail "no package $deb"

# The machine must not have isapid or its user already: the purge would remove them.
if dpkg-query -W -f='${Status}' isapid 2>/dev/null | grep -q 'installed'; then
	fail "isapid is already installed here; not touching it"
fi
getent passwd www-isapid >/dev/null && fail "user www-isapid exists already; not touching it"
getent group www-isapid >/dev/null && fail "group www-isapid exists already; not touching it"

installed=no
cleanup() {
	status=$?
	if [ "$installed" = yes ]; then
		step "cleanup: stopping and purging isapid"
		if [ -s /run/isapid/isapid.pid ]; then
			/usr/sbin/isapid -k stop -f /etc/isapid/httpd.conf || true
		fi
		dpkg --purge isapid >/dev/null 2>&1 || true
	fi
	rm -f "$body"
	if [ $status = 0 ]; then step "PASS"; else echo "test-deb: FAILED (status $status)" >&2; fi
	exit $status
}
body=$(mktemp)
trap cleanup EXIT
trap 'exit 130' INT TERM

step "dpkg -i $deb"
installed=yes
if ! dpkg -i "$deb"; then
	step "dependencies missing: apt-get -f install"
	DEBIAN_FRONTEND=noninteractive apt-get -f install -y --no-install-recommends
fi
dpkg-query -W -f='${Status}\n' isapid | grep -q 'install ok installed' || fail "isapid not installed"

step "postinst configure a second time (must be idempotent)"
DPKG_MAINTSCRIPT_PACKAGE=isapid DPKG_MAINTSCRIPT_NAME=postinst \
	/var/lib/dpkg/info/isapid.postinst configure "$(dpkg-query -W -f='${Version}' isapid)" >/dev/null || fail "postinst configure failed when run again"
[ "$(stat -c %U /var/log/isapid)" = www-isapid ] || fail "/var/log/isapid is not owned by www-isapid"
[ -f /var/www/isapid/index.html ] || fail "no /var/www/isapid/index.html (postinst copies it)"

man_page=/usr/share/man/man8/isapid.8.gz
[ -f "$man_page" ] || fail "no $man_page"
if command -v man >/dev/null 2>&1; then
	found=$(man -w isapid 2>&1) || fail "man -w isapid: $found"
	[ "$found" = "$man_page" ] || fail "man -w isapid found '$found', not $man_page"
fi
zcat "$man_page" | grep -q '^\.TH ISAPID 8' || fail "$man_page is not isapid(8)"
step "manual page: $man_page"

step "isapid -t -f /etc/isapid/httpd.conf"
out=$(/usr/sbin/isapid -t -f /etc/isapid/httpd.conf 2>&1) || fail "isapid -t: $out"
echo "$out"
echo "$out" | grep -q 'Syntax OK' || fail "isapid -t did not say Syntax OK"

# A free loopback port: bind port 0 and take what the kernel gave (then released).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "Listen 127.0.0.1:$port in /etc/isapid/ports.conf (instead of port 80)"
echo "Listen 127.0.0.1:$port" > /etc/isapid/ports.conf
# systemd's RuntimeDirectory makes /run/isapid; started by hand (as after a reboot
# without systemd), isapid makes it itself. An empty one left from before is removed so
# that this is what the test sees.
run_dir_made=no
if [ ! -e /run/isapid ] || rmdir /run/isapid 2>/dev/null; then run_dir_made=yes; fi

step "isapid -k start -f /etc/isapid/httpd.conf"
/usr/sbin/isapid -k start -f /etc/isapid/httpd.conf || fail "isapid -k start"

# Bounded poll until it answers (at most 20 s).
get() { curl -s -o "$body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port$1" || true; }
tries=0
until [ "$(get /)" = 200 ]; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || fail "no answer on 127.0.0.1:$port within 20 s"
	sleep 0.2
done

grep -q 'isapid is running' "$body" || fail "/ is not the welcome page"
step "GET / -> 200, the welcome page"
code=$(get /scripts/hello.dll)
[ "$code" = 200 ] || fail "/scripts/hello.dll answered $code: $(cat "$body")"
step "GET /scripts/hello.dll -> 200: $(tr -s '\n' ' ' < "$body" | cut -c1-80)"
code=$(get /templates/hello.tpl)
[ "$code" = 200 ] || fail "/templates/hello.tpl answered $code"
grep -q 'Hello from the template engine' "$body" || fail "/templates/hello.tpl was not run by template.dll"
step "GET /templates/hello.tpl -> 200, run by template.dll"

pid=$(cat /run/isapid/isapid.pid)
if [ $run_dir_made = yes ]; then
	[ "$(stat -c %a:%U /run/isapid)" = 755:root ] || fail "/run/isapid is $(stat -c %a:%U /run/isapid), not 755:root"
	step "/run/isapid made by isapid: mode 755, owner root"
fi
parent_user=$(ps -o user= -p "$pid" | tr -d ' ')
child_users=$(ps -o user= --ppid "$pid" | tr -d ' ' | sort -u)
step "parent $pid runs as $parent_user; serving process as $child_users"
[ "$parent_user" = root ] || fail "the parent runs as $parent_user, not root"
[ "$child_users" = www-isapid ] || fail "the serving process runs as '$child_users', not www-isapid"
[ -s /var/log/isapid/access.log ] || fail "no /var/log/isapid/access.log"

step "isapid -k stop"
/usr/sbin/isapid -k stop -f /etc/isapid/httpd.conf || fail "isapid -k stop"
# -k stop returns once the stop is under way; the parent exits after its child has
# finished (a zombie until init reaps it counts as gone). At most 20 s.
tries=0
while [ -n "$(ps -o stat= -p "$pid" | grep -v '^Z')" ]; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || fail "isapid ($pid) still runs 20 s after -k stop"
	sleep 0.2
done
[ ! -e /run/isapid/isapid.pid ] || fail "the PidFile is left after -k stop"
step "stopped: $pid gone, PidFile removed"

step "dpkg --purge isapid"
dpkg --purge isapid
installed=no
for path in /usr/sbin/isapid /etc/isapid /var/log/isapid /usr/lib/isapid /var/www/isapid "$man_page"; do
	[ ! -e "$path" ] || fail "$path is left after the purge"
done
getent passwd www-isapid >/dev/null && fail "user www-isapid is left after the purge"
getent group www-isapid >/dev/null && fail "group www-isapid is left after the purge"
step "purged: no /usr/sbin/isapid, /etc/isapid, /var/log/isapid, user or group left"
