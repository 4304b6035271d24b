#!/usr/bin/env python3
"""Time from an extension's crash to the next answered request (issue 7, item 4).

Starts isapid (its supervising parent and one serving process) from a throw-away
ServerRoot with Tests/MisbehavingExtensions/crash.c built as crash.dll, then N times:
sends GET /scripts/crash.dll?<signal>, waits for the dying process to close the
connection, and polls GET /a.txt on new connections every 2 ms until one answers 200.
Prints each recovery time, the median and the maximum, and checks the error log names
the signal, the extension and the request each time.

    bench/crash-recovery.py [--isapid .build/release/isapid] [--crashes 20] [--signal segv]
"""
import argparse, os, re, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def request(port, path, timeout=2.0):
    """One GET on a new connection: the status, or None when the connection closed first."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    match = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return int(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--isapid", default=os.path.join(ROOT, ".build/release/isapid"))
    parser.add_argument("--crashes", type=int, default=20)
    parser.add_argument("--signal", default="segv", choices=["segv", "abort", "bus", "fpe"])
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="isapid-crash-")
    for sub in ("conf", "logs", "htdocs/scripts"):
        os.makedirs(os.path.join(work, sub))
    with open(os.path.join(work, "htdocs/a.txt"), "w") as f:
        f.write("alpha\n")
    with open(os.path.join(work, "conf/mime.types"), "w") as f:
        f.write("text/plain txt\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-I", os.path.join(ROOT, "Sources/CISAPI/include"),
                    os.path.join(ROOT, "Tests/MisbehavingExtensions/crash.c"),
                    "-o", os.path.join(work, "htdocs/scripts/crash.dll")], check=True)
    with open(os.path.join(work, "conf/httpd.conf"), "w") as f:
        f.write(f"""Listen 127.0.0.1:0
ServerName localhost
DocumentRoot htdocs
ErrorLog logs/error_log
TypesConfig conf/mime.types
AddHandler isapi-handler .dll
<Directory "{work}/htdocs/scripts">
    Options ExecCGI
</Directory>
""")
    out = open(os.path.join(work, "logs/stdout"), "w+")
    daemon = subprocess.Popen([args.isapid, "-d", work], stdout=out, stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(500):
            out.seek(0)
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", out.read())
            if found:
                port = int(found.group(1))
                break
            time.sleep(0.01)
        if port is None:
            sys.exit("isapid did not start")
        times = []
        for n in range(args.crashes):
            if request(port, "/scripts/crash.dll?" + args.signal) is not None:
                sys.exit(f"crash {n}: the crashing request was answered")
            crashed = time.monotonic()
            while True:
                try:
                    if request(port, "/a.txt") == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() - crashed > 10:
                    sys.exit(f"crash {n}: no answer within 10 s")
                time.sleep(0.002)
            times.append((time.monotonic() - crashed) * 1000)
            print(f"crash {n + 1}: answered again after {times[-1]:.1f} ms")
            time.sleep(0.05)  # the parent restarts at once unless 5 crashes came within 10 s
        log = open(os.path.join(work, "logs/error_log")).read()
        logged = log.count("IS00052: child pid")
        named = log.count(f"IS00053: the crash was in {work}/htdocs/scripts/crash.dll while serving "
                          f"\"GET /scripts/crash.dll?{args.signal} HTTP/1.1 from 127.0.0.1\"")
        print(f"{args.crashes} crashes ({args.signal}): recovery median {statistics.median(times):.1f} ms, "
              f"max {max(times):.1f} ms; {logged} crashes logged, {named} with the extension and the request")
        ok = logged == args.crashes and named == args.crashes and max(times) < 2000
        print("PASS" if ok else "FAIL")
        sys.exit(0 if ok else 1)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


if __name__ == "__main__":
    main()
