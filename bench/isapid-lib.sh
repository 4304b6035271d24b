# Sourced by bench/slow-clients.sh and bench/soak.sh.

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_isapid BINARY ROOT URL: starts BINARY -d ROOT -f conf/httpd.conf in the
# background (output in ROOT/logs/stdout), sets started_pid, and waits up to 10 s for
# URL to answer 2xx; returns 1 (after printing the output) when it does not.
start_isapid() {
  "$1" -d "$2" -f conf/httpd.conf > "$2/logs/stdout" 2>&1 &
  started_pid=$!
  for _ in $(seq 100); do curl -fs "$3" >/dev/null && return 0; sleep 0.1; done
  echo "isapid did not answer $3:"; cat "$2/logs/stdout"; return 1
}
