#!/usr/bin/env bash
# The tested fleet (issue 16, item 4): Debian's HAProxy in front of two isapid instances
# on loopback, wrk through HAProxy for $SECONDS_LOAD seconds while
#   (a) instance A gets a graceful restart (SIGUSR1 to its supervising parent),
#   (b) instance B's serving child is crashed by an extension (crash.dll?segv, asked
#       directly on B's own port, not through HAProxy),
#   (c) instance A is stopped (SIGTERM) and started again.
# Passes when wrk sees no socket error and no non-2xx/3xx answer. Prints the figures
# (req/s through the balancer and to one instance directly, errors, p99) as the table
# docs/deployment.md shows. Not part of make test (it takes minutes): make fleet.
#
#   bench/fleet.sh                      release build, then the run
#   ISAPID=path SKIP_BUILD=1 bench/fleet.sh
#   CHECK_URL=/                         the health check (default /server-status?auto, see docs/deployment.md)
#   SECONDS_LOAD=30 CONNECTIONS=32 KEEP=1 (keep the work directory) RETRY_ON=none
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
isapid=${ISAPID:-$here/.build/release/isapid}
seconds=${SECONDS_LOAD:-30}
connections=${CONNECTIONS:-32}
check_url=${CHECK_URL:-/server-status?auto}
load_path=${LOAD_PATH:-/scripts/hello.dll}
# HAProxy's retry-on (docs/deployment.md); RETRY_ON=none shows what isapid alone does.
retry_on=${RETRY_ON:-conn-failure empty-response response-timeout 502 503}
# As bench/run.py: the servers on core 0, the load generator on core 1.
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}

for tool in haproxy wrk curl taskset cc python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (make fleet installs haproxy wrk curl)"; exit 2; }
done
# The Makefile's RELEASE_FLAGS, so that this build and make build share .build.
if [ -z "${SKIP_BUILD:-}" ]; then (cd "$here" && swift build -c release -Xswiftc -enforce-exclusivity=unchecked); fi
[ -x "$isapid" ] || { echo "no isapid at $isapid"; exit 2; }
libdir=$(dirname "$isapid")

work=$(mktemp -d /tmp/isapid-fleet.XXXXXX)
declare -A pid=()
cleanup() {
  local status=$?
  for name in "${!pid[@]}"; do
    kill -TERM "${pid[$name]}" 2>/dev/null || true
  done
  for name in "${!pid[@]}"; do
    for _ in $(seq 100); do kill -0 "${pid[$name]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid[$name]}" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ] || [ "$status" != 0 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# An instance: the shipped conf/httpd.conf, listening on a port for HAProxy (PROXY
# protocol required there) and a direct port (no PROXY header: the crash request, the
# single-instance figure), the sample extensions installed as make run does, crash.dll.
make_root() {
  local root=$work/$1 balanced=$2 direct=$3
  mkdir -p "$root/logs" "$root/htdocs"
  cp -r "$here/conf" "$root/"
  cp -r "$here/htdocs/." "$root/htdocs/"
  mkdir -p "$root/htdocs/scripts"
  for dir in "$here"/extensions/*/; do
    local name; name=$(basename "$dir")
    cp "$libdir/lib$name.so" "$root/htdocs/scripts/$name.dll"
  done
  cc -shared -fPIC -O2 -I "$here/Sources/CISAPI/include" "$here/Tests/MisbehavingExtensions/crash.c" \
    -o "$root/htdocs/scripts/crash.dll"
  sed -i "s/^Listen 127.0.0.1:8080$/Listen 127.0.0.1:$balanced\nListen 127.0.0.1:$direct/" "$root/conf/httpd.conf"
  grep -q "^Listen 127.0.0.1:$direct" "$root/conf/httpd.conf" || { echo "conf/httpd.conf has no 'Listen 127.0.0.1:8080' line"; exit 1; }
  cat >> "$root/conf/httpd.conf" <<CONF

# bench/fleet.sh: HAProxy's port requires its PROXY header (send-proxy-v2); its health
# checks read mod_status's machine-readable page (a v2 LOCAL header keeps HAProxy the client).
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.2
</Location>
LogFormat "%a %{c}a %{remote}p \"%r\" %>s" fleet
CustomLog logs/fleet_log fleet
<VirtualHost 127.0.0.1:$balanced>
    RemoteIPProxyProtocol On
</VirtualHost>
CONF
}

start_instance() {
  local name=$1 root=$work/$1 port=$3
  taskset -c "$server_cpu" "$isapid" -d "$root" -f conf/httpd.conf >> "$root/logs/stdout" 2>&1 &
  pid[$name]=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  echo "isapid $name did not answer on $port:"; cat "$root/logs/stdout" "$root/logs/error_log"; exit 1
}

stop_instance() {
  local name=$1
  kill -TERM "${pid[$name]}"
  for _ in $(seq 150); do kill -0 "${pid[$name]}" 2>/dev/null || break; sleep 0.1; done
  wait "${pid[$name]}" 2>/dev/null || true
  unset "pid[$name]"
}

a_balanced=$(free_port); a_direct=$(free_port); b_balanced=$(free_port); b_direct=$(free_port)
front=$(free_port); stats=$(free_port)
make_root a "$a_balanced" "$a_direct"
make_root b "$b_balanced" "$b_direct"

# HAProxy: see docs/deployment.md for why each retry setting is there.
cat > "$work/haproxy.cfg" <<CFG
global
    maxconn 4096
    log stderr format raw local0 info

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    retries 3
    option redispatch 1
    retry-on $retry_on
    http-reuse safe

frontend web
    bind 127.0.0.1:$front
    default_backend isapid

backend isapid
    balance roundrobin
    option httpchk GET $check_url
    http-check expect status 200
    default-server check check-send-proxy inter 500ms fastinter 200ms downinter 500ms fall 2 rise 2 send-proxy-v2 source 127.0.0.2
    server a 127.0.0.1:$a_balanced
    server b 127.0.0.1:$b_balanced

listen stats
    bind 127.0.0.1:$stats
    stats enable
    stats uri /stats
CFG
haproxy -c -f "$work/haproxy.cfg" >/dev/null
start_instance a "$a_balanced" "$a_direct"
start_instance b "$b_balanced" "$b_direct"
taskset -c "$server_cpu" haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
pid[haproxy]=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$stats/stats;csv" 2>/dev/null | grep -q "^isapid,b,.*UP" \
    && curl -fs "http://127.0.0.1:$stats/stats;csv" | grep -q "^isapid,a,.*UP" && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$stats/stats;csv" | grep -q "^isapid,a,.*UP" || { echo "HAProxy does not see a UP"; cat "$work/haproxy.log"; exit 1; }

# The client address survives the balancer (which connects from 127.0.0.2): each
# instance logs %a 127.0.0.1 with curl's own port, %{c}a 127.0.0.2.
curl -fs -o /dev/null "http://127.0.0.1:$front$load_path"
curl -fs -o /dev/null "http://127.0.0.1:$front$load_path"

run_wrk() {  # url seconds output
  taskset -c "$client_cpu" wrk -t1 -c"$connections" -d"$2s" --latency "$1" > "$3"
}
# A figure for one instance, directly (no PROXY header on its direct port).
run_wrk "http://127.0.0.1:$a_direct$load_path" 10 "$work/wrk-direct.txt"

run_wrk "http://127.0.0.1:$front$load_path" "$seconds" "$work/wrk-fleet.txt" &
wrk_pid=$!
step=$(python3 -c "print($seconds / 5)")
sleep "$step"
echo "(a) $(date +%T.%N | cut -c1-12) graceful restart of a (SIGUSR1)"
kill -USR1 "${pid[a]}"
sleep "$step"
echo "(b) $(date +%T.%N | cut -c1-12) crash of b's serving child (crash.dll?segv on b's direct port)"
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$b_direct/scripts/crash.dll?segv" || true
sleep "$step"
echo "(c) $(date +%T.%N | cut -c1-12) stop a (SIGTERM), then start it again"
stop_instance a
sleep 1
start_instance a "$a_balanced" "$a_direct"
wait "$wrk_pid"

figures() {  # file -> "req/s p99 non2xx3xx socketerrors"
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)
non = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
total = re.search(r"(\d+) requests in", text).group(1)
print(rps, p99, non.group(1) if non else 0, sum(map(int, sock.groups())) if sock else 0, total)
PY
}
read -r direct_rps direct_p99 direct_non direct_sock direct_total < <(figures "$work/wrk-direct.txt")
read -r fleet_rps fleet_p99 fleet_non fleet_sock fleet_total < <(figures "$work/wrk-fleet.txt")
echo
echo "| run | requests | req/s | p99 | non-2xx/3xx | socket errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
echo "| one instance, direct, 10 s | $direct_total | $direct_rps | $direct_p99 | $direct_non | $direct_sock |"
echo "| HAProxy + 2 instances, ${seconds} s, (a)+(b)+(c) | $fleet_total | $fleet_rps | $fleet_p99 | $fleet_non | $fleet_sock |"
echo
echo "HAProxy retries and redispatches (backend isapid, from its stats):"
curl -fs "http://127.0.0.1:$stats/stats;csv" > "$work/haproxy-stats.csv"
python3 - "$work/haproxy-stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(line.lstrip("# ") for line in open(sys.argv[1])))
for row in rows:
    if row["pxname"] == "isapid":
        print("  %s: requests %s, retries %s, redispatches %s, status %s"
              % (row["svname"], row["stot"], row["wretr"], row["wredis"], row["status"]))
PY
echo "b's view of a request through HAProxy (%a %{c}a %{remote}p: the client, the balancer, the client's port):"
grep -m1 "$load_path" "$work/b/logs/fleet_log" || true
grep -h "IS0219" "$work"/a/logs/error_log "$work"/b/logs/error_log | head -5 || true
if [ "$fleet_non" != 0 ] || [ "$fleet_sock" != 0 ]; then
  echo "FAIL: failed requests through the balancer"; cat "$work/wrk-fleet.txt"; exit 1
fi
echo "PASS: no failed request through a graceful restart, a child crash and a stop/start"
