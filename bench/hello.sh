#!/usr/bin/env bash
# hello.dll throughput with keep-alive: per-request loaded and ISAPICacheFile-cached.
# A start of bench/ (issue 6 extends it). Needs wrk (Debian) and a release build:
#   make build && bench/hello.sh [seconds] [connections]
# Pins the server to core 0 and wrk to core 1 (this machine has two).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-10}
connections=${2:-64}
isapid=.build/release/isapid
[ -x "$isapid" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

root=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$root"' EXIT
mkdir -p "$root/htdocs/scripts" "$root/logs" "$root/conf"
cp .build/release/libhello.so "$root/htdocs/scripts/hello.dll"
cp conf/mime.types "$root/conf/"

run() {  # $1: label, $2: extra directives
    cat > "$root/conf/httpd.conf" <<CONF
Listen 127.0.0.1:0
DocumentRoot htdocs
ErrorLog logs/error_log
AddHandler isapi-handler .dll
<Directory "$root/htdocs/scripts">
    Options ExecCGI
</Directory>
MaxKeepAliveRequests 0
$2
CONF
    taskset -c 0 "$isapid" -d "$root" -f conf/httpd.conf > "$root/out" 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q listening "$root/out" 2>/dev/null && break; sleep 0.1; done
    url=$(sed -n 's/.*listening on \(http[^ ]*\)/\1/p' "$root/out" | head -1)scripts/hello.dll
    taskset -c 1 wrk -t 1 -c "$connections" -d 2s "$url" > /dev/null  # warm-up
    rps=$(taskset -c 1 wrk -t 1 -c "$connections" -d "${seconds}s" "$url" | awk '/Requests\/sec/ {print $2}')
    echo "$1: $rps requests/s ($connections connections, keep-alive, ${seconds}s)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

run "hello.dll, loaded per request" ""
run "hello.dll, ISAPICacheFile" "ISAPICacheFile htdocs/scripts/hello.dll"
