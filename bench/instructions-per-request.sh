#!/usr/bin/env bash
# User-space instructions per request of isapid, with callgrind (valgrind from Debian).
#
#   bench/instructions-per-request.sh ISAPID SERVER_ROOT PORT PATH [N]
#
# Serves SERVER_ROOT (its conf/httpd.conf must Listen on 127.0.0.1:PORT) in one process
# (-X) under callgrind twice, sends N and then 3×N keep-alive GETs of PATH, and prints
# (instructions of the second run − the first) ÷ 2N: start-up and shutdown cancel out.
# The binary's DWARF is stripped first: valgrind 3.19 cannot read Swift 6's debug info
# (the symbol table stays, so callgrind_annotate still names functions). The profiles
# stay in $TMPDIR as isapid-cg.N.out and isapid-cg.3N.out.
set -euo pipefail
isapid=$1 root=$2 port=$3 path=$4 n=${5:-1000}
work=${TMPDIR:-/tmp}
strip --strip-debug -o "$work/isapid-cg" "$isapid"
count() {
  local requests=$1 out="$work/isapid-cg.$1.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$work/isapid-cg" -X -d "$root" >"$work/isapid-cg.$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port$path" && break; sleep 0.2; done
  python3 - "$port" "$path" "$requests" <<'PY'
import socket, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
buffer = b""
for _ in range(n):
    s.sendall(request)
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = buffer[:end].decode("latin-1").lower()
            if "transfer-encoding: chunked" in head:
                last = buffer.find(b"\r\n0\r\n\r\n", end)
                if last >= 0:
                    buffer = buffer[last + 7:]
                    break
            else:
                length = int(next((l.split(":")[1] for l in head.split("\r\n") if l.startswith("content-length:")), "0"))
                if len(buffer) >= end + 4 + length:
                    buffer = buffer[end + 4 + length:]
                    break
        buffer += s.recv(65536)
PY
  kill -TERM "$pid"; wait "$pid" || true
  grep -o "Collected : [0-9]*" "$work/isapid-cg.$requests.log" | awk '{print $3}'
}
first=$(count "$n")
second=$(count $((3 * n)))
echo "$(( (second - first) / (2 * n) )) instructions per request ($path)"
