#!/usr/bin/env bash
# Soak (issue 7, item 7): mixed load for [minutes] (default 30) against a release isapid
# from a throw-away ServerRoot: static files, echo.dll POSTs (loaded per request),
# hello.dll (ISAPICacheFile), httpd.ini rewrites (and one to hello.dll), a mod_rewrite
# rule, and an httpd.ini RewriteProxy to a second isapid. wrk (one thread, 8
# connections, a 4 ms pause between a connection's requests: a moderate rate, not
# saturation) is pinned to CPU 1. RSS, open descriptors and threads of the daemon's
# whole process tree (its pid and every descendant, so a supervising parent and its
# serving child are both counted) and of the upstream are sampled every minute into
# bench/results/soak-<date>.csv.
#
#   bench/soak.sh [minutes] [isapid binary]     (default 30, .build/release/isapid; the
#                                                extensions are libecho.so and libhello.so
#                                                next to the binary)
#   SOAK_INTERVAL=10 bench/soak.sh 3            (a quick check: a sample every 10 s)
#
# PASS when wrk saw no socket error and no answer outside 2xx/3xx, both daemons still
# run, and each series is flat after warm-up. Warm-up is the first sixth of the run (at
# least one interval); the baseline is the first sample after it, and "flat" means that
# over the last third of the run
#   max RSS ≤ baseline RSS × 1.1 + 4 MiB,  max fds ≤ baseline fds + 8,
#   max threads ≤ baseline threads + 2
# (descriptors and threads: client and upstream connections and pool threads may come
# and go by a few; a leak grows without bound).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-30}
isapid=$(realpath "${2:-$here/.build/release/isapid}")
interval=${SOAK_INTERVAL:-60}
lib=$(dirname "$isapid")
[ -x "$isapid" ] || { echo "no isapid at $isapid (make build)"; exit 2; }
for so in libecho.so libhello.so; do [ -f "$lib/$so" ] || { echo "no $lib/$so (make build)"; exit 2; }; done
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
. "$here/bench/isapid-lib.sh"

stamp=$(date -u +%Y-%m-%d-%H%M)
mkdir -p "$here/bench/results"
csv=$here/bench/results/soak-$stamp.csv
summary=$here/bench/results/soak-$stamp.txt
root=$(mktemp -d)
pid=""; upstream=""; wrkpid=""
cleanup() {
  for p in $wrkpid $pid $upstream; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
port=$(free_port)
uport=$(free_port)

# The upstream: a second isapid with static files only.
mkdir -p "$root/up/conf" "$root/up/htdocs" "$root/up/logs"
cp "$here/conf/mime.types" "$root/up/conf/"
echo "upstream page" > "$root/up/htdocs/a.html"
head -c 20000 /dev/urandom | base64 > "$root/up/htdocs/b.txt"
cat > "$root/up/conf/httpd.conf" <<CONF
Listen 127.0.0.1:$uport
ServerName upstream
DocumentRoot htdocs
ErrorLog logs/error_log
MaxKeepAliveRequests 0
CONF

# The front daemon.
mkdir -p "$root/front/conf" "$root/front/htdocs/static" "$root/front/htdocs/scripts" "$root/front/logs"
cp "$here/conf/mime.types" "$root/front/conf/"
cp "$lib/libecho.so" "$root/front/htdocs/scripts/echo.dll"
cp "$lib/libhello.so" "$root/front/htdocs/scripts/hello.dll"
echo "front index" > "$root/front/htdocs/index.html"
echo "static a" > "$root/front/htdocs/static/a.html"
head -c 65536 /dev/urandom | base64 > "$root/front/htdocs/static/big.txt"
cat > "$root/front/conf/httpd.ini" <<INI
[ISAPI_Rewrite]
RewriteRule /ini/(.*) /static/\$1 [I,L]
RewriteRule /hello/(\w+) /scripts/hello.dll\?name=\$1 [I,L]
RewriteProxy /px/(.*) http\://127.0.0.1:$uport/\$1 [I]
INI
cat > "$root/front/conf/httpd.conf" <<CONF
Listen 127.0.0.1:$port
ServerName localhost
DocumentRoot htdocs
ErrorLog logs/error_log
CustomLog logs/access_log common
MaxKeepAliveRequests 0
RewriteIniFile conf/httpd.ini
RewriteEngine On
RewriteRule ^/mr/(.*)$ /static/\$1 [L]
AddHandler isapi-handler .dll
ISAPICacheFile htdocs/scripts/hello.dll
<Directory "$root/front/htdocs/scripts">
    Options ExecCGI
</Directory>
CONF

base="http://127.0.0.1:$port"
start_isapid "$isapid" "$root/up" "http://127.0.0.1:$uport/a.html" || { kill "$started_pid"; exit 1; }
upstream=$started_pid
start_isapid "$isapid" "$root/front" "$base/index.html" || { kill "$started_pid"; exit 1; }
pid=$started_pid
# Every kind of request answers as it should before the load starts.
check() {  # $1 what, $2 expected text, then curl arguments
  local what=$1 expected=$2; shift 2
  local body
  body=$(curl -fs --max-time 5 "$@") || { echo "FAIL: $what: no 2xx answer"; cat "$root/front/logs/error_log"; exit 1; }
  grep -q "$expected" <<<"$body" || { echo "FAIL: $what: unexpected answer: ${body:0:200}"; exit 1; }
}
check "static" "static a" "$base/static/a.html"
check "echo.dll POST" "soak-body" --data-binary "soak-body" -H "Content-Type: text/plain" "$base/scripts/echo.dll"
check "hello.dll" "ello" "$base/scripts/hello.dll"
check "httpd.ini rewrite" "static a" "$base/ini/a.html"
check "httpd.ini rewrite to hello.dll" "ello" "$base/hello/soak"
check "mod_rewrite" "static a" "$base/mr/a.html"
check "proxy" "upstream page" "$base/px/a.html"

cat > "$root/mix.lua" <<'LUA'
-- The mix, in proportions: static 5/16, echo POST 2/16, hello 2/16, httpd.ini
-- rewrites 3/16, mod_rewrite 2/16, proxied 2/16.
local body = string.rep("x", 1024)
local requests = {}
local function add(n, method, path, b, headers)
  for _ = 1, n do requests[#requests + 1] = wrk.format(method, path, headers, b) end
end
-- Built in init: wrk.format adds the Host header only once wrk has set it up.
init = function(args)
  add(3, "GET", "/static/a.html")
  add(1, "GET", "/static/big.txt")
  add(1, "GET", "/index.html")
  add(2, "POST", "/scripts/echo.dll", body, {["Content-Type"] = "text/plain"})
  add(2, "GET", "/scripts/hello.dll")
  add(2, "GET", "/ini/a.html")
  add(1, "GET", "/hello/soak")
  add(2, "GET", "/mr/big.txt")
  add(1, "GET", "/px/a.html")
  add(1, "GET", "/px/b.txt")
end
local i = 0
request = function() i = i + 1; return requests[(i % #requests) + 1] end
delay = function() return 4 end
LUA

tree_stats() {  # pid → "rss_kib fds threads" summed over the process and its descendants
  local todo=("$1") all=() p rss=0 fds=0 threads=0
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]}; todo=("${todo[@]:1}"); all+=("$p")
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do todo+=("$c"); done
  done
  for p in "${all[@]}"; do
    [ -r "/proc/$p/status" ] || continue
    rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
    threads=$((threads + $(awk '/^Threads:/ {print $2}' "/proc/$p/status")))
    fds=$((fds + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
  done
  echo "$rss $fds $threads ${#all[@]}"
}

seconds=$((minutes * 60))
echo "soak: $minutes min, isapid $isapid, front :$port (pid $pid), upstream :$uport (pid $upstream), samples every ${interval}s → $csv"
echo "elapsed_s,rss_kib,fds,threads,processes,upstream_rss_kib,upstream_fds,upstream_threads,requests_logged" > "$csv"
sample() {
  local front up logged
  front=$(tree_stats "$pid"); up=$(tree_stats "$upstream")
  logged=$(wc -l < "$root/front/logs/access_log" 2>/dev/null || echo 0)
  read -r a b c d <<<"$front"; read -r e f g _ <<<"$up"
  echo "$1,$a,$b,$c,$d,$e,$f,$g,$logged" >> "$csv"
}
sample 0
taskset -c 1 wrk -t1 -c8 -d"${seconds}s" --timeout 10s -s "$root/mix.lua" "$base" > "$root/wrk.txt" 2>&1 &
wrkpid=$!
start=$(date +%s)
next=$interval
while kill -0 "$wrkpid" 2>/dev/null; do
  now=$(( $(date +%s) - start ))
  if [ "$now" -ge "$next" ] && [ "$now" -lt "$seconds" ]; then sample "$now"; next=$((next + interval)); fi
  sleep 1
done
wait "$wrkpid" || true
wrkpid=""
sample "$(( $(date +%s) - start ))"

{
  echo "bench/soak.sh $minutes $isapid  ($(date -u +%FT%TZ), interval ${interval}s)"
  cat "$root/wrk.txt"
  echo
  cat "$csv"
} > "$summary"
cat "$root/wrk.txt"

verdict=$(python3 - "$csv" "$minutes" "$interval" <<'PY'
import csv, sys
rows = [{k: int(v) for k, v in r.items()} for r in csv.DictReader(open(sys.argv[1]))]
total = int(sys.argv[2]) * 60
warm = max(int(sys.argv[3]), total // 6)
after = [r for r in rows if r["elapsed_s"] >= warm]
last = [r for r in rows if r["elapsed_s"] >= total * 2 // 3]
if not after or not last:
    print("FAIL not enough samples"); sys.exit()
problems, lines = [], []
for prefix, name in (("", "isapid"), ("upstream_", "upstream")):
    base = after[0]
    rss, fds, thr = (max(r[prefix + k] for r in last) for k in ("rss_kib", "fds", "threads"))
    lines.append(f"{name}: RSS {base[prefix+'rss_kib']/1024:.1f} MiB at {base['elapsed_s']}s → max {rss/1024:.1f} MiB in the last third"
                 f" (first sample {rows[0][prefix+'rss_kib']/1024:.1f} MiB); fds {base[prefix+'fds']} → max {fds};"
                 f" threads {base[prefix+'threads']} → max {thr}")
    if rss > base[prefix + "rss_kib"] * 1.1 + 4096: problems.append(f"{name} RSS grew")
    if fds > base[prefix + "fds"] + 8: problems.append(f"{name} fds grew")
    if thr > base[prefix + "threads"] + 2: problems.append(f"{name} threads grew")
print(("FAIL " + ", ".join(problems)) if problems else "PASS")
for line in lines: print(line)
PY
)
echo "$verdict" | tail -n +2
echo "$verdict" | tail -n +2 >> "$summary"
ok=yes
head -1 <<<"$verdict" | grep -q '^PASS' || { echo "$(head -1 <<<"$verdict")"; ok=no; }
if grep -q "Socket errors" "$root/wrk.txt"; then echo "FAIL: socket errors"; ok=no; fi
if grep -q "Non-2xx or 3xx" "$root/wrk.txt"; then echo "FAIL: answers outside 2xx/3xx"; grep "Non-2xx" "$root/wrk.txt"; ok=no; fi
kill -0 "$pid" 2>/dev/null || { echo "FAIL: isapid exited"; ok=no; }
kill -0 "$upstream" 2>/dev/null || { echo "FAIL: the upstream isapid exited"; ok=no; }
errors=$(grep -c -E '\[(error|crit|alert|emerg)\]' "$root/front/logs/error_log" || true)
echo "error log: $errors lines at error level or above"
[ "$errors" -eq 0 ] || grep -E '\[(error|crit|alert|emerg)\]' "$root/front/logs/error_log" | head -5
if [ "$ok" = yes ]; then
  echo "PASS: $minutes min of mixed load, no failed request, RSS/fds/threads flat after warm-up" | tee -a "$summary"
  exit 0
fi
echo "FAIL (see $summary)" | tee -a "$summary"
exit 1
