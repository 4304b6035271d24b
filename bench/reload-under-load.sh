#!/usr/bin/env bash
# Reload under load (issue 7, item 5): 20 SIGHUPs during a wrk run, alternating a good
# configuration, a broken one (the old one must keep serving), an httpd.ini edit and an
# .htaccess edit. Passes when wrk sees no socket error and no non-2xx answer.
#
#   bench/reload-under-load.sh [isapid binary] [seconds]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
isapid=${1:-$here/.build/release/isapid}
seconds=${2:-25}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
[ -x "$isapid" ] || { echo "no isapid at $isapid (make build)"; exit 2; }

root=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$root"' EXIT
mkdir -p "$root/conf" "$root/htdocs/app" "$root/logs"
cp "$here/conf/mime.types" "$root/conf/"
echo "hello" > "$root/htdocs/index.html"
echo "app" > "$root/htdocs/app/index.html"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
good() {
  cat > "$root/conf/httpd.conf" <<CONF
Listen 127.0.0.1:$port
ServerName localhost
DocumentRoot htdocs
ErrorLog logs/error_log
LogLevel notice
KeepAliveTimeout 60
MaxKeepAliveRequests 0
RewriteIniFile conf/httpd.ini
<Directory "$root/htdocs">
    AllowOverride All
</Directory>
# generation $1
CONF
}
good 0
printf '[ISAPI_Rewrite]\nRewriteRule /old /index.html\n' > "$root/conf/httpd.ini"
printf 'RewriteEngine On\nRewriteRule ^x$ index.html [L]\n' > "$root/htdocs/app/.htaccess"

"$isapid" -d "$root" -f conf/httpd.conf > "$root/logs/stdout" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

wrk -t2 -c32 -d"${seconds}s" -s /dev/stdin "http://127.0.0.1:$port/" > "$root/wrk.txt" <<'LUA' &
local paths = {"/", "/old", "/app/x", "/app/"}
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
local failures = 0
response = function(status) if status >= 300 then failures = failures + 1 end end
done = function() io.write(string.format("non-2xx: %d\n", failures)) end
LUA
wrkpid=$!
interval=$(python3 -c "print(($seconds - 4) / 20)")
sleep 2
for i in $(seq 20); do
  case $((i % 4)) in
    0) good "$i" ;;
    1) echo "BogusDirective $i" >> "$root/conf/httpd.conf" ;;        # refused, old config serves
    2) printf '[ISAPI_Rewrite]\nRewriteRule /old /index.html\n# edit %s\n' "$i" > "$root/conf/httpd.ini"; good "$i" ;;
    3) printf 'RewriteEngine On\nRewriteRule ^x$ index.html [L]\n# edit %s\n' "$i" > "$root/htdocs/app/.htaccess"; good "$i" ;;
  esac
  kill -HUP "$pid"
  sleep "$interval"
done
wait "$wrkpid"
cat "$root/wrk.txt"
hups=$(grep -c "IS00493" "$root/logs/error_log" || true)
refused=$(grep -c "configuration reload failed" "$root/logs/error_log" || true)
loaded=$(grep -c "IS00094" "$root/logs/error_log" || true)
echo "SIGHUPs handled: $hups, reloads refused (bad config): $refused, configurations in service: $loaded (1 at start)"
[ "$hups" -ge 20 ] || { echo "FAIL: only $hups of 20 SIGHUPs were handled"; sed -n '1,40p' "$root/logs/error_log"; exit 1; }
kill -0 "$pid" || { echo "FAIL: isapid is gone"; exit 1; }
if grep -q "Socket errors" "$root/wrk.txt" || ! grep -q "^non-2xx: 0$" "$root/wrk.txt"; then
  echo "FAIL: failed requests during reloads"; exit 1
fi
echo "PASS: 20 reloads, no failed request"
