#!/usr/bin/env python3
"""Rewrite-rule cost (benchmark plan S3): a small static file behind N rewrite rules
that do NOT match it, isapid (httpd.ini, ISAPI_Rewrite 2 syntax) against Apache httpd 2.4
(Debian's apache2, event MPM, the same rules in mod_rewrite syntax), in the same run.

Each point starts both servers with N rules, checks that the rules are loaded and work
(a request that the last "/oldK.asp" rule rewrites to an existing /newK.html must give
that file; isapid must log "loaded ...: N rules", IS04001), warms both up, then runs
wrk against isapid and Apache alternately (so background load hits both alike).
The servers run on CPU 0 and wrk on CPU 1 (taskset). Python 3 stdlib only.

    bench/rewrite-rules.py [--rules 0,10,100,1000,10000] [--runs 3] [--duration 5]
                           [--targets isapid,apache] [--isapid PATH] [--no-build]
                           [--quiet-wait 300] [--max-other 0.2] [--retries 4]

Without --isapid it first builds isapid in release into .build-bench (incremental).
Before each run it waits for the machine to be idle and runs again a run during which
other work took more than --max-other CPUs (see bench/README.md).
Prints a Markdown table and writes bench/results/rewrite-rules-<date>.json.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ISAPID = os.path.join(REPO, ".build-bench", "release", "isapid")
# The flags of bench/run.py's build (the Makefile's RELEASE_FLAGS): the same .build-bench.
BUILD_COMMAND = ["swift", "build", "-c", "release", "-Xswiftc", "-enforce-exclusivity=unchecked", "--product", "isapid",
                 "--scratch-path", os.path.join(REPO, ".build-bench")]
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
INDEX_BODY = ("<!DOCTYPE html>\n<html><head><title>bench</title></head>"
              "<body><p>Hello from the benchmark.</p></body></html>\n")  # ~100 bytes
SERVER_CPU = "0"
WRK_CPU = "1"


# ---------------------------------------------------------------- the rules

def rule_shapes(n):
    """The N rules, as (shape, K): a cycle of four shapes sites carry, K the rule number."""
    return [(i % 4, i) for i in range(n)]


def ini_rule(shape, k):
    """httpd.ini (ISAPI_Rewrite 2): the pattern matches the whole URL; `?` in a format is `\\?`."""
    return [
        f"RewriteRule /section{k}/(.*)\\.html /index\\.php\\?s={k}&p=$1 [I]",
        f"RewriteRule /blog/{k}/([0-9]+)/(.*) /blog\\.php\\?id=$1&slug=$2 [I]",
        f"RewriteRule /shop/item{k}-([a-z0-9-]+) /shop\\.php\\?k={k}&item=$1 [I]",
        f"RewriteRule /old{k}\\.asp /new{k}\\.html [I]",
    ][shape]


def apache_rule(shape, k):
    """mod_rewrite in server context: the pattern is matched against the URL-path."""
    return [
        f"RewriteRule ^/section{k}/(.*)\\.html$ /index.php?s={k}&p=$1 [NC]",
        f"RewriteRule ^/blog/{k}/([0-9]+)/(.*)$ /blog.php?id=$1&slug=$2 [NC]",
        f"RewriteRule ^/shop/item{k}-([a-z0-9-]+)$ /shop.php?k={k}&item=$1 [NC]",
        f"RewriteRule ^/old{k}\\.asp$ /new{k}.html [NC]",
    ][shape]


def probe_rule(n):
    """The K of the last "/oldK.asp" rule, whose target /newK.html the probe serves; None if none."""
    olds = [k for shape, k in rule_shapes(n) if shape == 3]
    return olds[-1] if olds else None


# ---------------------------------------------------------------- helpers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, log_hint, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening; see {log_hint}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {timeout}s; see {log_hint}")


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        response = conn.getresponse()
        return response.status, response.read().decode("latin-1")
    finally:
        conn.close()


def write(path, text, mode=0o644):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)
    os.chmod(path, mode)


def cpu_seconds(pids, children=False):
    """utime+stime of the processes (all their threads), in seconds; with `children`, also
    cutime+cstime (the children they have reaped, e.g. CGI programs)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15 if children else 13])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pss_kb(pid):
    """Proportional set size: shared pages split between the processes that map them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children(pid):
    result = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                result.append(int(entry))
    return result


def machine_busy_seconds():
    """CPU-seconds all processors of the machine have been busy since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(limit, threshold=0.25, window=2.0):
    """Waits (up to `limit` s) for a `window` in which the machine is busy less than
    `threshold` CPUs, i.e. nobody else (a build) is competing. Returns the seconds waited
    and whether it got quiet."""
    started = time.time()
    while True:
        before = machine_busy_seconds()
        time.sleep(window)
        if (machine_busy_seconds() - before) / window < threshold:
            return round(time.time() - started, 1), True
        if time.time() - started >= limit:
            return round(time.time() - started, 1), False


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------- servers

def apache_config(root, port, docroot, types_config, error_log, modules=(), extra=""):
    """A throw-away httpd.conf for Debian's apache2: event MPM sized for a 2-core machine,
    no access log, long keep-alive; `modules` are loaded after the four it always needs,
    `extra` goes at the end (bench/run.py uses it too)."""
    loads = "".join(f"LoadModule {name}_module {APACHE_MODULES}/mod_{name}.so\n"
                    for name in ("mpm_event", "authz_core", "mime", "dir") + tuple(modules))
    return f"""ServerRoot "{root}"
DefaultRuntimeDir "{root}/run"
PidFile "{root}/run/apache2.pid"
{loads}User www-data
Group www-data
Listen 127.0.0.1:{port}
ServerName localhost
DocumentRoot "{docroot}"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{docroot}">
    AllowOverride None
    Require all granted
</Directory>
DirectoryIndex index.html
TypesConfig {types_config}
ErrorLog {error_log}
LogLevel warn
KeepAlive On
KeepAliveTimeout 60
MaxKeepAliveRequests 0
# Event MPM sized for a 2-core machine; no process is started or stopped during a run.
StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
MaxConnectionsPerChild 0
{extra}"""



class Server:
    name = ""

    def __init__(self, n, workdir):
        self.n = n
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix=f"{self.name}-{n}-", dir=workdir)
        os.chmod(self.root, 0o755)
        for sub in ("conf", "htdocs", "logs", "run"):
            os.makedirs(os.path.join(self.root, sub))
            os.chmod(os.path.join(self.root, sub), 0o755)
        shutil.copy(os.path.join(REPO, "conf", "mime.types"), os.path.join(self.root, "conf", "mime.types"))
        write(os.path.join(self.root, "htdocs", "index.html"), INDEX_BODY)
        k = probe_rule(n)
        self.probe = None if k is None else (f"/old{k}.asp", f"probe {k}\n")
        if k is not None:
            write(os.path.join(self.root, "htdocs", f"new{k}.html"), f"probe {k}\n")
        self.process = None
        self.command = None
        self.error_log = os.path.join(self.root, "logs", "error_log")

    def url(self):
        return f"http://127.0.0.1:{self.port}/index.html"

    def start(self):
        self.out = open(os.path.join(self.root, "logs", "stdout"), "w")
        self.process = subprocess.Popen(["taskset", "-c", SERVER_CPU] + self.command, cwd=self.root,
                                        stdout=self.out, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, self.error_log)

    def pids(self):
        """The server's processes: isapid's supervising parent and its serving child,
        Apache's parent and children."""
        return [self.process.pid] + children(self.process.pid)

    def check(self):
        """Every response the probes get must be as expected; raises otherwise."""
        status, body = get(self.port, "/index.html")
        if status != 200 or body != INDEX_BODY:
            raise RuntimeError(f"{self.name}, {self.n} rules: /index.html gave {status} {body[:80]!r}")
        if self.probe:
            path, expected = self.probe
            status, body = get(self.port, path)
            if status != 200 or body != expected:
                raise RuntimeError(f"{self.name}, {self.n} rules: {path} (rewritten by the last /oldK.asp rule) "
                                   f"gave {status} {body[:80]!r}, not 200 {expected!r}: rules not loaded?")
        else:
            status, _ = get(self.port, "/old3.asp")
            if status != 404:
                raise RuntimeError(f"{self.name}, 0 rules: /old3.asp gave {status}, not 404")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.process:
            stop(self.process)
        if getattr(self, "out", None):
            self.out.close()


class Isapid(Server):
    name = "isapid"

    def __init__(self, n, workdir, binary):
        super().__init__(n, workdir)
        rules = "".join(ini_rule(s, k) + "\n" for s, k in rule_shapes(n))
        write(os.path.join(self.root, "conf", "httpd.ini"), "[ISAPI_Rewrite]\n" + rules)
        self.config = f"""Listen 127.0.0.1:{self.port}
ServerName localhost
DocumentRoot htdocs
TypesConfig conf/mime.types
ErrorLog logs/error_log
LogLevel warn rewrite:info
KeepAlive On
KeepAliveTimeout 60
MaxKeepAliveRequests 0
RewriteIniFile conf/httpd.ini
"""
        write(os.path.join(self.root, "conf", "httpd.conf"), self.config)
        self.command = [binary, "-d", self.root, "-f", "conf/httpd.conf"]

    def check(self):
        super().check()
        # httpd.ini is read on the first request; isapid logs how many rules it loaded.
        with open(self.error_log, errors="replace") as f:
            log = f.read()
        found = re.findall(r"loaded \S*httpd\.ini: (\d+) rules(, \d+ lines skipped)?", log)
        if not found or int(found[-1][0]) != self.n or found[-1][1]:
            raise RuntimeError(f"isapid, {self.n} rules: expected 'loaded ...httpd.ini: {self.n} rules' (IS04001) "
                               f"in {self.error_log}, found {found or 'nothing'}:\n{tail(self.error_log)}")

    def memory(self):
        """Summed over the supervising parent and the serving child."""
        pids = self.pids()
        return {"VmRSS_kB": sum(status_kb(p, "VmRSS") or 0 for p in pids),
                "VmHWM_kB": sum(status_kb(p, "VmHWM") or 0 for p in pids),
                "Pss_kB": sum(pss_kb(p) or 0 for p in pids), "processes": len(pids)}


class IsapidModRewrite(Isapid):
    """isapid with the same rules as Apache, in mod_rewrite syntax in httpd.conf."""
    name = "isapid-mr"

    def __init__(self, n, workdir, binary):
        super().__init__(n, workdir, binary)
        rules = "".join(apache_rule(s, k) + "\n" for s, k in rule_shapes(n))
        write(os.path.join(self.root, "conf", "rewrite.conf"), rules)
        self.config = self.config.replace("RewriteIniFile conf/httpd.ini\n",
                                          "RewriteIniFile None\nRewriteEngine On\nInclude conf/rewrite.conf\n")
        write(os.path.join(self.root, "conf", "httpd.conf"), self.config)

    def check(self):
        Server.check(self)


class Apache(Server):
    name = "apache"

    def __init__(self, n, workdir):
        super().__init__(n, workdir)
        rules = "".join(apache_rule(s, k) + "\n" for s, k in rule_shapes(n))
        write(os.path.join(self.root, "conf", "rewrite.conf"), rules)
        r = self.root
        self.config = apache_config(r, self.port, f"{r}/htdocs", "conf/mime.types", "logs/error_log",
                                    ("rewrite",), "RewriteEngine On\nInclude conf/rewrite.conf\n")
        write(os.path.join(self.root, "conf", "httpd.conf"), self.config)
        self.command = [APACHE, "-d", self.root, "-f", os.path.join(self.root, "conf", "httpd.conf"), "-DFOREGROUND"]

    def memory(self):
        pids = self.pids()
        return {"VmRSS_kB_total": sum(status_kb(p, "VmRSS") or 0 for p in pids),
                "Pss_kB_total": sum(pss_kb(p) or 0 for p in pids), "processes": len(pids)}


# ---------------------------------------------------------------- wrk

def wrk_command(url, seconds, connections):
    return ["taskset", "-c", WRK_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]


def run_measured(command, pids, timeout, cpu=cpu_seconds):
    """Runs `command` (wrk) and measures around it. Returns the completed process, its
    seconds, the CPU-seconds the `pids` used (by `cpu`), the command's own CPU-seconds
    and how many CPUs other work on the machine took meanwhile (0 = nothing, 2 = both cores)."""
    cpu_before = cpu(pids)
    machine_before = machine_busy_seconds()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    elapsed = time.time() - started
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_used = machine_busy_seconds() - machine_before
    cpu_used = cpu(pids) - cpu_before
    wrk_used = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    return result, elapsed, cpu_used, wrk_used, max(0.0, machine_used - cpu_used - wrk_used) / elapsed


def parse_wrk(result, close=False):
    """requests/s, requests, p99 (ms, with --latency) and errors from a wrk run. With
    `close` (Connection: close), the read errors wrk counts when the server closes after
    each answer are not errors."""
    out = result.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = []
    if result.returncode != 0 or not rps:
        errors.append(f"wrk failed ({result.returncode}): {(result.stderr.strip() or out.strip())[:300]}")
    if non2xx:
        errors.append(f"{non2xx.group(1)} non-2xx/3xx responses")
    if sockets and any(int(sockets.group(i)) for i in ((1, 3, 4) if close else (1, 2, 3, 4))):
        errors.append("socket errors: " + sockets.group(0))
    unit_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    return {"requests_per_s": float(rps.group(1)) if rps else None,
            "requests": int(total.group(1)) if total else 0,
            "p99_ms": round(float(p99.group(1)) * unit_ms[p99.group(2)], 3) if p99 else None,
            "errors": errors}


def run_wrk(server, seconds, connections):
    load = loadavg()
    result, elapsed, cpu_used, wrk_used, foreign = run_measured(
        wrk_command(server.url(), seconds, connections), server.pids(), seconds + 120)
    parsed = parse_wrk(result)
    if not server.alive():
        parsed["errors"].append(f"server exited with {server.process.returncode}")
    requests = parsed["requests"]
    return {
        "requests_per_s": parsed["requests_per_s"],
        "requests": requests,
        "server_cpu_s": round(cpu_used, 2),
        "requests_per_server_cpu_s": round(requests / cpu_used) if cpu_used > 0 else None,
        "wrk_cpu_s": round(wrk_used, 2),
        "other_cpus_busy": round(foreign, 2),
        "loadavg_1m_before": load,
        "errors": parsed["errors"],
        "wrk_output": result.stdout,
    }


# ---------------------------------------------------------------- main

def version_of(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError as error:
        return f"({error})"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def fmt(n):
    return f"{n:,.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", default="0,10,100,1000,10000", help="rule counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per point and server (median reported)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk warm-up per point and server")
    parser.add_argument("--connections", type=int, default=32, help="wrk keep-alive connections")
    parser.add_argument("--targets", default="isapid,isapid-mr,apache",
                        help="isapid (httpd.ini rules), isapid-mr (the same rules in mod_rewrite syntax), apache")
    parser.add_argument("--isapid", help=f"isapid binary (default: build {DEFAULT_ISAPID})")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="before each run, wait up to this many seconds for the machine to be idle "
                             "(others' builds); 0 to not wait")
    parser.add_argument("--max-other", type=float, default=0.2,
                        help="a run during which other work took more than this many CPUs is run again")
    parser.add_argument("--retries", type=int, default=4,
                        help="how often a disturbed run is run again (the last attempt is kept anyway)")
    parser.add_argument("--no-build", action="store_true", help="use .build-bench as it is, do not rebuild")
    parser.add_argument("--out", help="JSON file (default bench/results/rewrite-rules-<date>.json)")
    args = parser.parse_args()

    counts = [int(x) for x in args.rules.split(",") if x.strip()]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not set(targets) <= {"isapid", "isapid-mr", "apache"} or not targets:
        parser.error("--targets takes isapid, isapid-mr and/or apache")
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (apt-get install wrk util-linux)")
    if "apache" in targets and not os.access(APACHE, os.X_OK):
        sys.exit("apache2 is missing: apt-get install apache2")

    isapid = args.isapid or DEFAULT_ISAPID
    build_seconds = None
    uses_isapid = "isapid" in targets or "isapid-mr" in targets
    if uses_isapid and not args.isapid and not args.no_build:
        print("building:", " ".join(BUILD_COMMAND), file=sys.stderr)
        started = time.time()
        for attempt in range(3):  # others may be editing Sources/ ("modified during the build")
            if subprocess.run(BUILD_COMMAND, cwd=REPO).returncode == 0:
                break
            time.sleep(10)
        else:
            sys.exit("the isapid build failed")
        build_seconds = round(time.time() - started, 1)
    if uses_isapid and not os.access(isapid, os.X_OK):
        sys.exit(f"no isapid binary at {isapid}")

    git = version_of(["git", "-C", REPO, "describe", "--always", "--dirty"])
    meta = {
        "benchmark": "S3 rewrite-rule cost: static /index.html behind N non-matching rules",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"nproc": os.cpu_count(), "cpu_model": cpu_model(), "kernel": os.uname().release},
        "versions": {
            "isapid": version_of([isapid, "-v"]) if uses_isapid else None,
            "isapid_git": git,
            "apache": version_of([APACHE, "-v"]) if "apache" in targets else None,
            "wrk": version_of(["wrk", "-v"]).splitlines()[0] if shutil.which("wrk") else None,
        },
        "settings": {"rules": counts, "runs": args.runs, "duration_s": args.duration, "warmup_s": args.warmup,
                     "connections": args.connections, "quiet_wait_s": args.quiet_wait, "max_other_cpus": args.max_other,
                     "retries": args.retries, "server_cpu": SERVER_CPU, "wrk_cpu": WRK_CPU,
                     "index_html_bytes": len(INDEX_BODY)},
        "commands": {
            "benchmark": " ".join([os.path.relpath(__file__, REPO)] + sys.argv[1:]),
            "build": " ".join(BUILD_COMMAND) if build_seconds is not None else None,
            "build_seconds": build_seconds,
            "isapid": f"taskset -c {SERVER_CPU} {isapid} -d <root> -f conf/httpd.conf",
            "apache": f"taskset -c {SERVER_CPU} {APACHE} -d <root> -f <root>/conf/httpd.conf -DFOREGROUND",
            "wrk": " ".join(wrk_command("http://127.0.0.1:<port>/index.html", args.duration, args.connections)),
            "warmup": " ".join(wrk_command("http://127.0.0.1:<port>/index.html", args.warmup, args.connections)),
        },
        "rule_examples": {"isapid_httpd_ini": [ini_rule(s, 17) for s in range(4)],
                          "apache_mod_rewrite": [apache_rule(s, 17) for s in range(4)]},
        "points": [],
    }

    workdir = tempfile.mkdtemp(prefix="bench-rewrite-")
    os.chmod(workdir, 0o755)
    failed = False
    try:
        for n in counts:
            servers = []
            point = {"rules": n}
            try:
                for target in targets:
                    server = (Isapid(n, workdir, isapid) if target == "isapid"
                              else IsapidModRewrite(n, workdir, isapid) if target == "isapid-mr" else Apache(n, workdir))
                    servers.append(server)
                    started = time.time()
                    server.start()
                    point.setdefault(target, {})["startup_s"] = round(time.time() - started, 2)
                if n == counts[0] or n == counts[-1]:
                    for server in servers:
                        point[server.name]["config"] = server.config
                for server in servers:
                    server.check()
                    point[server.name]["probe"] = server.probe[0] if server.probe else "/old3.asp -> 404"
                    subprocess.run(wrk_command(server.url(), args.warmup, args.connections),
                                   capture_output=True, timeout=args.warmup + 120)
                for run in range(args.runs):
                    for server in servers:
                        for attempt in range(1 + args.retries):
                            waited, quiet = wait_until_quiet(args.quiet_wait) if args.quiet_wait > 0 else (0, None)
                            result = run_wrk(server, args.duration, args.connections)
                            result["waited_for_quiet_s"] = waited
                            result["quiet_before"] = quiet
                            disturbed = result["other_cpus_busy"] > args.max_other and not result["errors"]
                            mark = "  ERROR: " + "; ".join(result["errors"]) if result["errors"] else ""
                            if disturbed and attempt < args.retries:
                                mark += "  (disturbed: run again)"
                            print(f"{n:>6} rules  {server.name:<6} run {run + 1}: {result['requests_per_s']} req/s "
                                  f"(other work: {result['other_cpus_busy']} CPUs; waited {waited} s){mark}",
                                  file=sys.stderr, flush=True)
                            if disturbed and attempt < args.retries:
                                point[server.name].setdefault("discarded_runs", []).append(result)
                                continue
                            point[server.name].setdefault("runs", []).append(result)
                            failed |= bool(result["errors"])
                            break
                for server in servers:
                    point[server.name]["memory_after"] = server.memory()
                    point[server.name]["alive_after"] = server.alive()
                    if not server.alive():
                        failed = True
                        point[server.name]["error_log_tail"] = tail(server.error_log)
            except Exception as error:  # keep the other points; report this one as failed
                failed = True
                point["error"] = str(error)
                print(f"{n} rules: ERROR {error}", file=sys.stderr, flush=True)
                for server in servers:
                    print(f"--- {server.name} {server.error_log}:\n{tail(server.error_log)}", file=sys.stderr)
            finally:
                for server in servers:
                    server.stop()
            for server in servers:
                log = tail(server.error_log, 200)
                problems = [line for line in log.splitlines()
                            if line.strip() and "IS04001" not in line and ":notice]" not in line]
                if problems:
                    point[server.name]["error_log_other_lines"] = problems[-20:]
            meta["points"].append(point)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # ---- summary
    def summary(point, target):
        runs = point.get(target, {}).get("runs", [])
        values = [r["requests_per_s"] for r in runs if r["requests_per_s"] is not None]
        if not values:
            return None
        return {"median": statistics.median(values), "min": min(values), "max": max(values),
                "errors": sum(len(r["errors"]) for r in runs)}

    names = {"isapid": "isapid httpd.ini", "isapid-mr": "isapid mod_rewrite", "apache": "Apache mod_rewrite"}
    shown = [t for t in ("isapid", "isapid-mr", "apache") if t in targets]
    bases = {}
    lines = ["| rules | " + " | ".join(f"{names[t]} req/s (median, min–max)" for t in shown)
             + " | " + " | ".join(f"{names[t]} / Apache" for t in shown if t != "apache" and "apache" in shown)
             + " | " + " | ".join(f"{names[t]} vs its 0 rules" for t in shown if t != "apache") + " |"]
    lines.append("|---:|" + "---:|" * (len(lines[0].split("|")) - 3))
    for point in meta["points"]:
        s = {t: summary(point, t) for t in shown}
        point["summary"] = s
        for t in shown:
            if point["rules"] == 0 and s[t]:
                bases[t] = s[t]["median"]

        def cell(x):
            if x is None:
                return "—"
            text = f"{fmt(x['median'])} ({fmt(x['min'])}–{fmt(x['max'])})"
            return text + (" **errors**" if x["errors"] else "")
        cells = [cell(s[t]) for t in shown]
        ratios = [f"{s[t]['median'] / s['apache']['median']:.1f}×" if s[t] and s.get("apache") else "—"
                  for t in shown if t != "apache" and "apache" in shown]
        relatives = [f"{100 * s[t]['median'] / bases[t]:.0f} %" if s[t] and bases.get(t) else "—"
                     for t in shown if t != "apache"]
        lines.append(f"| {point['rules']:,} | " + " | ".join(cells + ratios + relatives) + " |")
        if "error" in point:
            lines.append(f"| | error: {point['error']} | | | |")
    table = "\n".join(lines)
    meta["table_markdown"] = table

    # The machine is shared: requests per CPU-second the server used is steadier than req/s.
    def per_cpu(point, target):
        runs = point.get(target, {}).get("runs", [])
        values = [r["requests_per_server_cpu_s"] for r in runs if r["requests_per_server_cpu_s"]]
        busy = [r["server_cpu_s"] / args.duration for r in runs]
        if not values:
            return None
        return {"median": statistics.median(values), "busy": statistics.median(busy),
                "other": max(r.get("other_cpus_busy", 0) for r in runs)}
    cpu_lines = ["| rules | " + " | ".join(f"{names[t]} req per CPU-s" for t in shown)
                 + " | " + " | ".join(f"{names[t]} CPU busy" for t in shown) + " | other work (CPUs, worst run) |"]
    cpu_lines.append("|---:|" + "---:|" * (2 * len(shown) + 1))
    for point in meta["points"]:
        c = {t: per_cpu(point, t) for t in shown}
        point["summary_per_cpu"] = c
        cells = [fmt(c[t]["median"]) if c[t] else "—" for t in shown]
        busy = [f"{100 * c[t]['busy']:.0f} %" if c[t] else "—" for t in shown]
        other = max((c[t]["other"] for t in shown if c[t]), default=None)
        other = f"{other:.2f}" if other is not None else "—"
        cpu_lines.append(f"| {point['rules']:,} | " + " | ".join(cells + busy) + f" | {other} |")
    cpu_table = "\n".join(cpu_lines)
    meta["table_per_cpu_markdown"] = cpu_table

    out = args.out or os.path.join(REPO, "bench", "results",
                                   f"rewrite-rules-{datetime.date.today().isoformat()}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(table)
    print("\nRequests per CPU-second of the server (utime+stime, all threads/processes; median of the runs):\n")
    print(cpu_table)
    print(f"\n{args.connections} keep-alive connections, {args.runs} × {args.duration} s per point after "
          f"{args.warmup} s warm-up; servers on CPU {SERVER_CPU}, wrk on CPU {WRK_CPU}. Raw numbers: "
          f"{os.path.relpath(out, REPO)}")
    for point in meta["points"]:
        memory = []
        if point.get("isapid", {}).get("memory_after"):
            m = point["isapid"]["memory_after"]
            memory.append(f"isapid RSS {m['VmRSS_kB']:,} kB (peak {m['VmHWM_kB']:,})")
        if point.get("apache", {}).get("memory_after"):
            m = point["apache"]["memory_after"]
            memory.append(f"Apache PSS {m['Pss_kB_total']:,} kB over {m['processes']} processes "
                          f"(RSS sum {m['VmRSS_kB_total']:,})")
        if memory:
            print(f"memory after {point['rules']:,} rules: " + ", ".join(memory), file=sys.stderr)
    if failed:
        print("ERRORS: see the JSON and the messages above", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
