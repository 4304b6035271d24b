#!/bin/sh
# dist/check-production-example.sh [ISAPID]: runs `isapid -t` on the full example
# configuration of README.md's "Production" section, so that the text admins copy stays
# valid. The example is taken from the README as written (the ```apache block after
# "### A full example"), its absolute paths moved into a temporary directory, and the
# files it names made there: certificates and keys for both sites and the client CA
# (openssl, RSA 2048), the DocumentRoots, mime.types. `User www-isapid` becomes
# `#65534` when that user does not exist here. ISAPID defaults to .build/debug/isapid.
set -eu
cd "$(dirname "$0")/.."
isapid=${1:-.build/debug/isapid}
[ -x "$isapid" ] || { echo "check-production-example: no isapid at $isapid" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The example: from the line after "### A full example" to the end of its first code block.
awk '/^### A full example/ { section = 1 } section && /^```apache/ { inside = 1; next }
     inside && /^```/ { exit } inside { print }' README.md > "$work/example.conf"
[ -s "$work/example.conf" ] || { echo "check-production-example: no example in README.md" >&2; exit 1; }

sed -E "s#(/etc/isapid|/var/www|/var/log/isapid|/run/isapid|/usr/lib/isapid)#$work\1#g" "$work/example.conf" \
	> "$work/httpd.conf"
id -u www-isapid >/dev/null 2>&1 || sed -i -E 's/^(User|Group) www-isapid$/\1 #65534/' "$work/httpd.conf"

mkdir -p "$work/etc/isapid/tls" "$work/var/log/isapid" "$work/run/isapid" "$work/usr/lib/isapid/extensions"
for site in isapid example.com admin.example.com; do mkdir -p "$work/var/www/$site"; done
cp conf/mime.types "$work/etc/isapid/mime.types"
tls=$work/etc/isapid/tls
for site in www.example.com admin.example.com; do
	openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 2 -subj "/CN=$site" \
		-addext "subjectAltName=DNS:$site" -keyout "$tls/$site.key" -out "$tls/$site.pem" 2>/dev/null
done
openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 2 -subj "/CN=Example clients CA" \
	-keyout "$tls/clients-ca.key" -out "$tls/clients-ca.pem" 2>/dev/null

echo "check-production-example: $isapid -t on README.md's example ($(wc -l < "$work/example.conf") lines)"
"$isapid" -t -f "$work/httpd.conf"
