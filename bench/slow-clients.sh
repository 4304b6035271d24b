#!/usr/bin/env bash
# Slow clients (issue 7, item 3): slowloris (slow headers), slow body (R-U-Dead-Yet),
# slow read (slowhttptest, Debian), idle keep-alive connections and a connection flood
# beyond MaxConnections, each while a normal client keeps asking for a page on a fresh
# connection every 0.1 s. The daemon runs from a throw-away ServerRoot with Timeout 5,
# KeepAliveTimeout 2 and MaxConnections 400 (the header-read deadline is Timeout, from
# the head's first byte).
#
#   bench/slow-clients.sh [isapid binary]      (default .build/release/isapid; the
#                                               slow-body attack posts to echo.dll, taken
#                                               from libecho.so next to the binary)
# Prints one line per attack and PASS/FAIL; exit status 1 on any FAIL. Takes ~3 minutes.
#
# An attack passes when every attack connection was closed by the server within the
# bound written on its line (the attack's own ramp-up plus Timeout or KeepAliveTimeout
# plus 2 s of slack), the daemon is still running, the normal client got ≥ 99 % 200s
# with a worst latency under 1 s, and the daemon's RSS stayed under 200 MiB and its
# descriptors under MaxConnections + 64. During the flood the normal client is not
# required to get through (MaxConnections slots are taken until Timeout frees them: the
# limit protects memory, not availability); it must be served again right after.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
isapid=$(realpath "${1:-$here/.build/release/isapid}")
[ -x "$isapid" ] || { echo "no isapid at $isapid (make build)"; exit 2; }
for tool in slowhttptest curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install slowhttptest curl python3)"; exit 2; }
done
helper="$here/bench/slow-clients.py"
. "$here/bench/isapid-lib.sh"
timeout_s=5
keepalive_s=2
max_connections=400
ulimit -n 8192

root=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
mkdir -p "$root/conf" "$root/htdocs/scripts" "$root/logs"
cp "$here/conf/mime.types" "$root/conf/"
echo "hello" > "$root/htdocs/index.html"
head -c 4194304 /dev/urandom > "$root/htdocs/big.bin"
echo_dll=""
if [ -f "$(dirname "$isapid")/libecho.so" ]; then
  cp "$(dirname "$isapid")/libecho.so" "$root/htdocs/scripts/echo.dll"
  echo_dll=yes
fi
port=$(free_port)
cat > "$root/conf/httpd.conf" <<CONF
Listen 127.0.0.1:$port
ServerName localhost
DocumentRoot htdocs
ErrorLog logs/error_log
LogLevel info
Timeout $timeout_s
KeepAliveTimeout $keepalive_s
MaxKeepAliveRequests 0
MaxConnections $max_connections
AddHandler isapi-handler .dll
<Directory "$root/htdocs/scripts">
    Options ExecCGI
</Directory>
CONF
base="http://127.0.0.1:$port"
start_isapid "$isapid" "$root" "$base/index.html" || { kill "$started_pid"; echo "FAIL: isapid did not start"; exit 1; }
pid=$started_pid
echo "isapid $isapid on port $port: Timeout $timeout_s, KeepAliveTimeout $keepalive_s, MaxConnections $max_connections"
printf '%-11s %-10s %-44s %-22s %s\n' attack result "attack connections" "normal client" "daemon max RSS / fds"

failures=0
phase=0
# Runs "$@" as the attack while the probe and the sampler run; sets the globals below.
with_probe() {
  phase=$((phase + 1))
  local dir="$root/phase$phase"
  mkdir -p "$dir"
  python3 "$helper" probe "$base/index.html" "$dir/probe" "$dir/stop" &
  local probe=$!
  python3 "$helper" sample "$pid" "$dir/sample" "$dir/stop" &
  local sampler=$!
  sleep 1
  logged_before=$(grep -c "${log_id:-none}" "$root/logs/error_log" || true)
  attack_out=$("$@" 2>&1) || true
  sleep 1
  touch "$dir/stop"
  wait "$probe" "$sampler" || true
  read -r probe_ok probe_total probe_max < <(awk '{n++; if ($1=="ok") ok++; if ($2>m) m=$2} END {printf "%d %d %.3f\n", ok, n, m}' "$dir/probe")
  read -r rss_max fds_max < <(awk '{if ($1>r) r=$1; if ($2>f) f=$2} END {printf "%d %d\n", r, f}' "$dir/sample")
  fds_start=$(awk 'NR == 1 {print $2}' "$dir/sample"); fds_end=$(awk 'END {print $2}' "$dir/sample")
  alive=yes; kill -0 "$pid" 2>/dev/null || alive=no
  rss_mib=$((rss_max / 1024))
}

# $1 name, $2 attack ok (yes/no), $3 attack description, $4 check the normal client (yes/no)
report() {
  local ok=$2
  local client_ok
  client_ok=$(awk -v ok="$probe_ok" -v n="$probe_total" -v m="$probe_max" 'BEGIN {print (n > 0 && ok / n >= 0.99 && m < 1.0) ? "yes" : "no"}')
  [ "$4" = yes ] && [ "$client_ok" = no ] && ok=no
  [ "$alive" = no ] && ok=no
  [ "$rss_mib" -lt 200 ] && [ "$fds_max" -lt $((max_connections + 64)) ] || ok=no
  local result=PASS
  [ "$ok" = yes ] || { result=FAIL; failures=$((failures + 1)); }
  printf '%-11s %-10s %-44s %-22s %s\n' "$1" "$result" "$3" "$probe_ok/$probe_total ok, max ${probe_max}s" "${rss_mib} MiB / $fds_max fds"
}

# slowhttptest ends early ("No open connections left") once the server has closed every
# attack connection: that must happen no later than $1 seconds into the test. A slow
# reader cannot see the close while its tiny window holds back the data queued before
# the FIN, so for it the daemon's side counts: $2 connections logged as timed out
# ($3, an error-log id) and its descriptors back to their level before the attack.
slowhttp_verdict() {  # $1 bound, [$2 expected timeouts, $3 log id]
  local ended status closed
  ended=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$attack_out" | sed -n 's/.*Test ended on \([0-9]*\)[a-z]* second.*/\1/p' | tail -1)
  status=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$attack_out" | sed -n 's/.*Exit status: *//p' | tail -1)
  closed=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$attack_out" | sed -n 's/^closed: *//p' | tail -1)
  attack_ok=no
  if [ -z "${2:-}" ]; then
    [ "$status" = "No open connections left" ] && [ "${ended:-999}" -le "$1" ] && attack_ok=yes
    attack_desc="all closed by ${ended:-?}s (bound $1 s): $status"
  else
    local logged=$(( $(grep -c "$3" "$root/logs/error_log" || true) - ${logged_before:-0} ))
    [ "$logged" -ge "$2" ] && [ "$fds_end" -le $((fds_start + 8)) ] && attack_ok=yes
    attack_desc="$logged timed out ($3), fds $fds_start → $fds_end by ${1}s"
  fi
}

# 1. Slowloris: 600 connections at 50/s, each sending a header line every second. The
#    whole head must arrive within Timeout of its first byte (408, IS01382).
with_probe slowhttptest -H -c 600 -r 50 -i 1 -x 8 -l 40 -p 3 -u "$base/index.html"
slowhttp_verdict $((600 / 50 + timeout_s + 3))
report slowloris "$attack_ok" "$attack_desc" yes

# 2. Slow body: 600 POSTs at 50/s announcing 64 KiB and sending a few bytes a second,
#    to echo.dll (an extension that reads its body) or, without it, to a static file.
#    The body must come within Timeout of the head, plus 1 s per 500 bytes (IS01384).
target=$base/index.html
[ -n "$echo_dll" ] && target=$base/scripts/echo.dll
with_probe slowhttptest -B -c 600 -r 50 -i 1 -x 8 -s 65536 -l 40 -p 3 -u "$target"
slowhttp_verdict $((600 / 50 + timeout_s + 3))
report slow-body "$attack_ok" "$attack_desc" yes

# 2b. The same as GETs of a static file with a body (read and discarded before the answer).
with_probe slowhttptest -B -t GET -c 600 -r 50 -i 1 -x 8 -s 65536 -l 40 -p 3 -u "$base/index.html"
slowhttp_verdict $((600 / 50 + timeout_s + 3))
report body-static "$attack_ok" "$attack_desc" yes

# 3. Slow read: 200 connections pipelining 3 GETs of a 4 MiB file with a receive window
#    of 16-32 bytes, reading 32 bytes every 2 s. Without progress for Timeout the
#    daemon gives up writing (IS01383).
log_id=IS01383
with_probe slowhttptest -X -c 200 -r 50 -k 3 -n 2 -w 16 -y 32 -z 32 -l 20 -p 3 -u "$base/big.bin"
slowhttp_verdict 20 200 IS01383
log_id=""
report slow-read "$attack_ok" "$attack_desc" yes

# 4. Idle keep-alive: 300 connections each ask once, then say nothing.
with_probe python3 "$helper" keepalive "$port" 300 $((keepalive_s + 8))
read -r ka_closed ka_open ka_max ka_median <<<"$attack_out"
attack_ok=$(awk -v m="$ka_max" -v o="$ka_open" -v b=$((keepalive_s + 2)) 'BEGIN {print (o == 0 && m <= b) ? "yes" : "no"}')
report keep-alive "$attack_ok" "$ka_closed closed after ${ka_median}s (max ${ka_max}s, bound $((keepalive_s + 2)) s), $ka_open left" yes

# 5. Flood: 3,000 idle connections at once, held for Timeout + 3 s. Beyond MaxConnections
#    the daemon closes them at accept; the rest close after Timeout.
with_probe python3 "$helper" flood "$port" 3000 $((timeout_s + 3))
read -r fl_opened fl_failed fl_refused fl_held fl_still <<<"$attack_out"
after=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/index.html" || true)
attack_ok=no
[ "$fl_held" -le "$max_connections" ] && [ "$fl_still" -eq 0 ] && [ "$after" = 200 ] && attack_ok=yes
report flood "$attack_ok" "$fl_opened opened, $fl_refused refused at once, $fl_held held, $fl_still left; then $after" no

count() { grep -c "$1" "$root/logs/error_log" || true; }
echo "error log: $(count IS01382) header-read timeouts (IS01382), $(count IS01384) slow bodies (IS01384), $(count IS01383) body stalls/write timeouts (IS01383), $(count IS02030) extensions given up on (IS02030)"
if [ "$failures" -eq 0 ]; then echo "PASS: all 6 slow-client attacks cut off in time, normal client served"; exit 0; fi
echo "FAIL: $failures of 6 attacks"
exit 1
