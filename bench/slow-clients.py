#!/usr/bin/env python3
"""Helpers for bench/slow-clients.sh (Python 3 stdlib only).

  probe URL OUT STOPFILE       a normal client: a fresh connection per GET, one every
                               0.1 s until STOPFILE exists; writes "ok|fail seconds" lines
  sample PID OUT STOPFILE      RSS (KiB, summed) and open fds of PID and its descendants,
                               once a second, as "rss_kib fds threads" lines
  keepalive PORT N SECONDS     N connections each send one keep-alive request, then idle:
                               prints how long each stayed open after its answer (max, median)
  flood PORT N HOLD            opens N idle connections as fast as it can and holds them HOLD
                               seconds: prints how many the server closed at once (refused
                               at accept), how many it closed later, and how many stayed open
"""
import os, socket, statistics, sys, time


def probe(url, out, stopfile):
    host, _, rest = url.partition("//")[2].partition(":")
    port, _, path = rest.partition("/")
    request = f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    with open(out, "w", buffering=1) as log:
        while not os.path.exists(stopfile):
            start = time.monotonic()
            ok = False
            try:
                with socket.create_connection((host, int(port)), timeout=5) as s:
                    s.sendall(request)
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    ok = data.startswith(b"HTTP/1.1 200 ")
            except OSError:
                ok = False
            log.write(f"{'ok' if ok else 'fail'} {time.monotonic() - start:.4f}\n")
            time.sleep(0.1)


def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return pids


def measure(pid):
    rss = fds = threads = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads += int(line.split()[1])
            fds += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            pass
    return rss, fds, threads


def sample(pid, out, stopfile):
    with open(out, "w", buffering=1) as log:
        while not os.path.exists(stopfile):
            rss, fds, threads = measure(int(pid))
            log.write(f"{rss} {fds} {threads}\n")
            time.sleep(1)


def keepalive(port, n, seconds):
    port, n, seconds = int(port), int(n), float(seconds)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        socks.append(s)
    answered = {}
    for s in socks:
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        answered[s] = time.monotonic()
        s.setblocking(False)
    lifetimes = {}
    deadline = time.monotonic() + seconds
    while len(lifetimes) < n and time.monotonic() < deadline:
        for s in socks:
            if s in lifetimes:
                continue
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        lifetimes[s] = time.monotonic() - answered[s]
                        break
            except BlockingIOError:
                pass
            except OSError:
                lifetimes[s] = time.monotonic() - answered[s]
        time.sleep(0.05)
    values = sorted(lifetimes.values())
    still_open = n - len(values)
    print(f"{len(values)} {still_open} {max(values) if values else 0:.2f} "
          f"{statistics.median(values) if values else 0:.2f}")


def flood(port, n, hold):
    port, n, hold = int(port), int(n), float(hold)
    socks = []
    failed = 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            failed += 1

    def closed(s):
        try:
            return s.recv(1) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    time.sleep(0.5)
    refused = sum(1 for s in socks if closed(s))
    open_after = [s for s in socks if not closed(s)]
    time.sleep(max(0, hold - 0.5))
    still_open = sum(1 for s in open_after if not closed(s))
    for s in socks:
        s.close()
    print(f"{len(socks)} {failed} {refused} {len(open_after)} {still_open}")


if __name__ == "__main__":
    {"probe": probe, "sample": sample, "keepalive": keepalive, "flood": flood}[sys.argv[1]](*sys.argv[2:])
