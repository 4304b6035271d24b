#!/usr/bin/env bash
# User-space instructions per request of isapid, with callgrind (valgrind from Debian),
# and optionally of the floor (bench-nio-floor: a bare SwiftNIO server) beside it.
#
#   bench/instructions-per-request.sh [--close] [--concurrent K] [--floor FLOOR] [--cache] ISAPID SERVER_ROOT PORT PATH [N]
#
# Serves SERVER_ROOT (its conf/httpd.conf must Listen on 127.0.0.1:PORT) in one process
# (-X) under callgrind twice, sends N and then 3×N keep-alive GETs of PATH, and prints
# (instructions of the second run − the first) ÷ 2N: start-up and shutdown cancel out.
# With --floor, the floor binary (.build-bench/release/bench-nio-floor, which make bench
# builds) is measured the same way on a free port, and both counts print side by side
# with their ratio:
#
#   isapid: 91500 instructions per request (/index.html)
#   floor: 45800 instructions per request (/)
#   isapid ÷ floor: 2.00
#
# The binaries' DWARF is stripped first: valgrind 3.19 cannot read Swift 6's debug info
# (the symbol table stays, so callgrind_annotate still names functions). The profiles
# stay in $TMPDIR as isapid-cg.N.out, isapid-cg.3N.out (and floor-cg.N.out, floor-cg.3N.out).
#
# With --close every request goes on a connection of its own (`Connection: close`, read
# to the end of file): the count then holds accepting, setting up and tearing down a
# connection as well (issue 14 item 7), for isapid and the floor alike.
#
# With --concurrent K the requests go on K keep-alive connections in rounds: one request
# on each, all sent before any answer is read (N a multiple of K). The server then finds
# K requests in one wait, as under wrk's load, so what it does once per turn of its
# event loop (the access log's write(2), for one) is shared by K requests as it is there.
#
# With --cache callgrind also simulates the caches and branch predictors (--cache-sim=yes
# --branch-sim=yes: a 32 KiB 8-way L1 for instructions and one for data, as this
# machine's cores have), and a second line per server gives, per request, the lines
# missed in each L1 and the branches mispredicted:
#
#   isapid: 1579 L1 instruction misses, 327 L1 data misses, 454 branch mispredictions per request
#
# Equal instruction counts can still cost different time: a miss in L1 that L2 answers
# costs ~14 cycles, and a mispredicted branch ~15.
set -euo pipefail
floor="" close=0 concurrent=1 cache=0
while [ $# -gt 0 ]; do
  case "$1" in
    --close) close=1; shift ;;
    --concurrent) concurrent=$2; shift 2 ;;
    --floor) floor=$2; shift 2 ;;
    --cache) cache=1; shift ;;
    *) break ;;
  esac
done
simulate=()
if [ "$cache" = 1 ]; then simulate=(--cache-sim=yes --branch-sim=yes); fi
isapid=$1 root=$2 port=$3 path=$4 n=${5:-1000}
if [ $((n % concurrent)) -ne 0 ]; then echo "N ($n) must be a multiple of --concurrent ($concurrent)" >&2; exit 2; fi
work=${TMPDIR:-/tmp}

# count NAME PORT PATH REQUESTS COMMAND...: what callgrind collected for COMMAND serving
# REQUESTS keep-alive GETs of PATH on PORT, start and stop included: "EVENT=COUNT ..."
# (Ir alone, or with --cache the simulated misses too).
count() {
  local name=$1 port=$2 path=$3 requests=$4
  shift 4
  local out="$work/$name-cg.$requests.out"
  valgrind --tool=callgrind "${simulate[@]}" --callgrind-out-file="$out" "$@" >"$work/$name-cg.$requests.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port$path" && break; sleep 0.2; done
  python3 - "$port" "$path" "$requests" "$close" "$concurrent" <<'PY'
import socket, sys
port, path, n, close, concurrent = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
if close:
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(request)
            while s.recv(65536):
                pass
    sys.exit(0)
request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(concurrent)]
buffers = [b""] * concurrent

def read_answer(i):
    """Reads one whole answer from connection i (what follows stays in its buffer)."""
    while True:
        buffer = buffers[i]
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = buffer[:end].decode("latin-1").lower()
            if "transfer-encoding: chunked" in head:
                last = buffer.find(b"\r\n0\r\n\r\n", end)
                if last >= 0:
                    buffers[i] = buffer[last + 7:]
                    return
            else:
                length = int(next((l.split(":")[1] for l in head.split("\r\n") if l.startswith("content-length:")), "0"))
                if len(buffer) >= end + 4 + length:
                    buffers[i] = buffer[end + 4 + length:]
                    return
        buffers[i] += sockets[i].recv(65536)

# Rounds of one request on every connection, all sent before any answer is read: with
# --concurrent K the server finds K requests ready in one wait, as under load.
for _ in range(n // concurrent):
    for s in sockets:
        s.sendall(request)
    for i in range(concurrent):
        read_answer(i)
PY
  kill -TERM "$pid"; wait "$pid" || true
  awk '/Events +:/ { sub(/.*Events +: /, ""); n = split($0, names, " ") }
       /Collected +:/ { sub(/.*Collected +: /, ""); split($0, counts, " ");
                        for (i = 1; i <= n; i++) printf "%s=%s ", names[i], counts[i]; print "" }' \
    "$work/$name-cg.$requests.log"
}

# per_request NAME PORT PATH COMMAND...: (3N run − N run) ÷ 2N of each event, as
# "instructions [L1-instruction-misses L1-data-misses mispredictions]".
per_request() {
  local name=$1 port=$2 path=$3
  shift 3
  local first second
  first=$(count "$name" "$port" "$path" "$n" "$@")
  second=$(count "$name" "$port" "$path" $((3 * n)) "$@")
  python3 - "$first" "$second" "$n" <<'PY'
import sys
first, second = (dict(item.split("=") for item in run.split()) for run in sys.argv[1:3])
n = int(sys.argv[3])
if not first.get("Ir") or not second.get("Ir"):
    sys.exit("callgrind collected nothing (did the server answer?)")
def per(*events):
    return (sum(int(second[e]) for e in events) - sum(int(first[e]) for e in events)) // (2 * n)
figures = [per("Ir")]
if "I1mr" in first:
    figures += [per("I1mr"), per("D1mr", "D1mw"), per("Bcm", "Bim")]
print(*figures)
PY
}

# report LABEL FIGURES PATH: the lines for one server.
report() {
  local label=$1 path=$3
  set -- $2
  echo "$label$1 instructions per request ($path)"
  if [ $# -gt 1 ]; then
    echo "$label$2 L1 instruction misses, $3 L1 data misses, $4 branch mispredictions per request"
  fi
}

strip --strip-debug -o "$work/isapid-cg" "$isapid"
mine=$(per_request isapid "$port" "$path" "$work/isapid-cg" -X -d "$root")
if [ -z "$floor" ]; then
  report "" "$mine" "$path"
  exit 0
fi
strip --strip-debug -o "$work/floor-cg" "$floor"
floor_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
theirs=$(per_request floor "$floor_port" / "$work/floor-cg" "$floor_port")
report "isapid: " "$mine" "$path"
report "floor: " "$theirs" /
python3 -c "import sys; print(f'isapid ÷ floor: {int(sys.argv[1].split()[0]) / int(sys.argv[2].split()[0]):.2f}')" "$mine" "$theirs"
