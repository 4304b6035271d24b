#!/usr/bin/env bash
# S6's 10,000-connection case alone (issue 14 item 7): isapid -X pinned to CPU 0 with
# S6's settings (MaxConnections 20000, ListenBacklog 4096, keep-alive 60 s), then
# `wrk -t1 -cCONNECTIONS -dSECONDS` on CPU 1, RUNS times, each against a fresh daemon.
# Prints per run wrk's requests and socket errors and the kernel's accept-queue
# overflows during the run (nstat TcpExtListenOverflows, TcpExtListenDrops: machine-wide,
# so other loopback work on the machine counts too).
#
#   bench/connect-burst.sh ISAPID [CONNECTIONS] [SECONDS] [RUNS] [PORT]
set -euo pipefail
isapid=$1 connections=${2:-10000} seconds=${3:-5} runs=${4:-3} port=${5:-18559}
ulimit -n "$(ulimit -Hn)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/htdocs" "$root/logs" "$root/conf"
printf 'Hello world!\n' >"$root/htdocs/a.txt"
cat >"$root/conf/httpd.conf" <<EOF
Listen 127.0.0.1:$port
ServerName localhost
DocumentRoot "htdocs"
ErrorLog "logs/error_log"
LogLevel warn
KeepAlive On
KeepAliveTimeout 60
MaxKeepAliveRequests 0
MaxConnections 20000
ListenBacklog 4096
RewriteIniFile None
<Directory "htdocs">
    Require all granted
</Directory>
EOF
for run in $(seq 1 "$runs"); do
  taskset -c 0 "$isapid" -X -d "$root" >"$root/logs/stdout" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$port/a.txt" && break; sleep 0.05; done
  nstat -n >/dev/null
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" "http://127.0.0.1:$port/a.txt" 2>&1)
  overflows=$(nstat -z TcpExtListenOverflows TcpExtListenDrops | awk '/TcpExt/ {printf "%s %s  ", $1, $2}')
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  errors=$(echo "$out" | grep -o 'Socket errors:.*' || echo "Socket errors: none")
  echo "run $run: -c$connections ${seconds}s: $requests requests; $errors; $overflows"
  kill -TERM "$pid"; wait "$pid" || true
done
