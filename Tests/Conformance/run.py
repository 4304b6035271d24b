#!/usr/bin/env python3
"""Raw-request conformance runner: byte-exact HTTP/1.1 requests against isapid (or Apache).

Every case of corpus/*.json is sent, exactly as written, on a new connection to a server
started on 127.0.0.1 with a throw-away ServerRoot. The answer is classified as

    status NNN   the first (final) response's status code; the runner also notes whether
                 the connection was closed after it ("closed") or stayed open ("open"),
                 and how many responses came back on the connection
    close        the connection was closed without any response
    timeout      nothing came back within --timeout seconds

and compared with the case's expectation (see README.md for the corpus format):

    "expect": ["400"]                 status 400, connection state not checked
    "expect": ["400|501", "close"]    400 or 501, and the connection closed after it
    "expect": ["2xx", "open"]         any 2xx, connection kept open
    "expect": ["close"]               closed without a response
    "expect": ["bare"]                bytes without a status line (an HTTP/0.9 answer: the
                                      body alone), then the connection closed
    "expect": ["timeout"]             no answer within --timeout seconds
    "expect": ["400", "single"]       400 and no second response on the connection (the
                                      rest of the bytes must not be served as a request)
    "expect": ["200", "responses=2"]  exactly two responses on the connection

A case with "known_bug": "<text>" holds what the server should answer; when it answers
otherwise the result is reported as a known bug, not a failure.

Usage:
    run.py [--isapid BIN] [--json] [--case GLOB] [--file GLOB] [--verbose]
    run.py --apache [--apache-bin /usr/sbin/apache2] [--write-differences]

--apache runs the same corpus against Apache httpd 2.4 and prints (or with
--write-differences writes to apache-differences.md) every case where Apache's answer does
not satisfy the expectation. Exit status: 0 when every case met its expectation (or is a
known bug), 1 otherwise; 2 when the server could not be started. In --apache mode the exit
status is 0 whenever the run completed.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS_DIR = os.path.join(HERE, "corpus")
DEFAULT_ISAPID = os.path.join(REPO, ".build", "debug", "isapid")
DEFAULT_APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
MIME_TYPES = os.path.join(REPO, "conf", "mime.types")
DIFFERENCES_FILE = os.path.join(HERE, "apache-differences.md")

# Server settings both servers get (the corpus's limit cases depend on them).
LIMIT_REQUEST_BODY = 1048576
SERVER_TIMEOUT = 3          # Timeout: the corpus's "timeout" cases need the runner's to be shorter
KEEPALIVE_TIMEOUT = 5       # longer than --close-wait, so "open" means open

STATUS_RE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3})(?: |$)")


class RunnerError(Exception):
    pass


# ---------------------------------------------------------------- corpus

def decode_escapes(text):
    r"""A JSON string with C-like escapes kept literal: \r \n \t \0 \\ \xHH (JSON already
    turned its own escapes into characters; code points above 0xff are sent as UTF-8)."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            simple = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", "v": b"\x0b", "f": b"\x0c"}
            if n in simple:
                out += simple[n]
                i += 2
                continue
            if n == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2:i + 4] or ""):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


def case_bytes(case):
    """The bytes of a case: "bytes_hex" (hex, spaces ignored) or "bytes" (escapes, see
    decode_escapes), optionally repeated pieces: "bytes" may be a list of strings and
    {"repeat": "...", "times": N} objects."""
    if "bytes_hex" in case:
        return bytes.fromhex("".join(case["bytes_hex"].split()))
    raw = case["bytes"]
    if isinstance(raw, str):
        raw = [raw]
    out = b""
    for piece in raw:
        if isinstance(piece, dict):
            out += decode_escapes(piece["repeat"]) * int(piece["times"])
        else:
            out += decode_escapes(piece)
    return out


def load_corpus(file_patterns=None, case_patterns=None):
    cases = []
    names = set()
    for path in sorted(glob.glob(os.path.join(CORPUS_DIR, "*.json"))):
        base = os.path.basename(path)
        if file_patterns and not any(fnmatch.fnmatchcase(base, p) for p in file_patterns):
            continue
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        items = data["cases"] if isinstance(data, dict) else data
        for case in items:
            name = case.get("name")
            if not name or name in names:
                raise RunnerError(f"{base}: case without a name or duplicate name {name!r}")
            if not case.get("expect"):
                raise RunnerError(f"{base}: case {name} has no expect")
            names.add(name)
            case = dict(case)
            case["_file"] = base
            case["_bytes"] = case_bytes(case)
            cases.append(case)
    if case_patterns:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c["name"], p) for p in case_patterns)]
    return cases


# ---------------------------------------------------------------- responses

def parse_responses(data, head_request):
    """Splits the bytes received into complete responses. Returns (statuses, complete,
    garbage): the final statuses in order (1xx interim responses skipped), whether the
    last one is complete, and whether something unparsable was received."""
    statuses = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return statuses, False, not data[pos:pos + 5].startswith(b"HTTP/"[:len(data) - pos])
        head = data[pos:end]
        m = STATUS_RE.match(head)
        if not m:
            return statuses, True, True
        status = int(m.group(3))
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                headers.setdefault(k.strip().lower(), v.strip())
        pos = end + 4
        if 100 <= status < 200:
            continue
        statuses.append(status)
        if head_request or status in (204, 304):
            continue
        if b"transfer-encoding" in headers and b"chunked" in headers[b"transfer-encoding"].lower():
            # chunked body: walk the chunks
            while True:
                line_end = data.find(b"\r\n", pos)
                if line_end < 0:
                    return statuses, False, False
                try:
                    size = int(data[pos:line_end].split(b";")[0].strip(), 16)
                except ValueError:
                    return statuses, True, True
                pos = line_end + 2
                if size == 0:
                    trailer_end = data.find(b"\r\n", pos)
                    while trailer_end >= 0 and trailer_end != pos:
                        pos = trailer_end + 2
                        trailer_end = data.find(b"\r\n", pos)
                    if trailer_end < 0:
                        return statuses, False, False
                    pos = trailer_end + 2
                    break
                if len(data) < pos + size + 2:
                    return statuses, False, False
                pos += size + 2
        elif b"content-length" in headers:
            try:
                length = int(headers[b"content-length"])
            except ValueError:
                return statuses, True, True
            if len(data) < pos + length:
                return statuses, False, False
            pos += length
        else:
            # body until close
            return statuses, None, False
    return statuses, True, False


def exchange(host, port, payload, timeout, close_wait, head_request=False):
    """Sends payload on a new connection; returns the classification dict."""
    sock = socket.create_connection((host, port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = b""
    closed = False
    reset = False
    send_error = None
    try:
        try:
            sock.sendall(payload)
        except OSError as e:  # the server may close while we still send (e.g. 414, 413)
            send_error = str(e)
        start = time.monotonic()
        deadline = start + timeout
        first_done_at = None
        while True:
            now = time.monotonic()
            statuses, complete, _ = parse_responses(data, head_request)
            if statuses and complete and first_done_at is None:
                first_done_at = now
                deadline = min(deadline, now + close_wait) if statuses else deadline
            if statuses and complete and first_done_at is not None:
                deadline = min(deadline, first_done_at + close_wait)
            remaining = deadline - now
            if remaining <= 0:
                break
            ready, _, _ = select.select([sock], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                closed = reset = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
    finally:
        sock.close()
    statuses, complete, garbage = parse_responses(data, head_request)
    result = {}
    if statuses:
        result["outcome"] = f"status {statuses[0]}"
        result["status"] = statuses[0]
        result["closed"] = closed
        result["responses"] = len(statuses)
    elif data:
        result["outcome"] = "garbage"
        result["closed"] = closed
        result["responses"] = 0
    elif closed:
        result["outcome"] = "close"
        result["closed"] = True
        result["responses"] = 0
    else:
        result["outcome"] = "timeout"
        result["closed"] = False
        result["responses"] = 0
    if garbage:
        result["garbage"] = True
    if reset:
        result["reset"] = True
    if send_error:
        result["send_error"] = send_error
    if data and (garbage or not statuses):
        result["received"] = data[:200].decode("latin-1")
    return result


def describe(result):
    text = result["outcome"]
    if result["outcome"].startswith("status"):
        text += ", closed" if result["closed"] else ", open"
        if result["responses"] > 1:
            text += f", {result['responses']} responses"
    if result.get("reset"):
        text += " (reset)"
    return text


def status_matches(spec, status):
    for alt in spec.split("|"):
        if alt.endswith("xx") and len(alt) == 3 and str(status).startswith(alt[0]):
            return True
        if alt == str(status):
            return True
    return False


def meets(expect, result):
    """True when result satisfies the expectation list."""
    first, flags = expect[0], expect[1:]
    outcome = result["outcome"]
    if first == "close":
        return outcome == "close"
    if first == "bare":
        return outcome == "garbage" and result["closed"] and not result.get("received", "").startswith("HTTP/")
    if first == "timeout":
        return outcome == "timeout"
    if first == "close|timeout":
        return outcome in ("close", "timeout")
    if not outcome.startswith("status ") or not status_matches(first, result["status"]):
        return False
    for flag in flags:
        if flag == "close" and not result["closed"]:
            return False
        if flag == "open" and result["closed"]:
            return False
        if flag == "single" and result["responses"] != 1:
            return False
        if flag.startswith("responses=") and result["responses"] != int(flag.split("=", 1)[1]):
            return False
    return True


# ---------------------------------------------------------------- servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(root):
    for d in ("htdocs/sub", "logs", "conf", "run"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy(MIME_TYPES, os.path.join(root, "conf", "mime.types"))
    files = {
        "htdocs/index.html": "<html><body>conformance index</body></html>\n",
        "htdocs/a.txt": "alpha document\n",
        "htdocs/sub/file.txt": "file in sub\n",
    }
    for rel, text in files.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)


COMMON_CONFIG = f"""ServerName localhost
TypesConfig conf/mime.types
ErrorLog logs/error_log
LogLevel info
Timeout {SERVER_TIMEOUT}
KeepAlive On
KeepAliveTimeout {KEEPALIVE_TIMEOUT}
LimitRequestBody {LIMIT_REQUEST_BODY}
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
"""


class Server:
    name = "server"

    def __init__(self, binary, keep=False):
        self.binary = binary
        self.keep = keep
        self.root = tempfile.mkdtemp(prefix=f"conformance-{self.name}-")
        self.process = None
        self.port = None
        populate(self.root)

    def log(self, rel):
        try:
            with open(os.path.join(self.root, rel), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait()

    def cleanup(self):
        if self.keep:
            print(f"kept {self.name} ServerRoot: {self.root}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


class Isapid(Server):
    name = "isapid"

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RunnerError(f"isapid binary not found or not executable: {self.binary}")
        config = f"""# Written by Tests/Conformance/run.py
Listen 127.0.0.1:0
DocumentRoot "htdocs"
{COMMON_CONFIG}GracefulShutdownTimeout 2
<Directory "htdocs">
    Require all granted
</Directory>
"""
        with open(os.path.join(self.root, "conf", "httpd.conf"), "w") as f:
            f.write(config)
        out = open(os.path.join(self.root, "logs", "stdout"), "wb")
        err = open(os.path.join(self.root, "logs", "stderr"), "wb")
        self.process = subprocess.Popen([self.binary, "-d", self.root, "-f", "conf/httpd.conf"],
                                        stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        out.close()
        err.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", self.log("logs/stdout"))
            if m:
                self.port = int(m.group(1))
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RunnerError("isapid did not start listening\nstdout: " + self.log("logs/stdout")
                          + "\nstderr: " + self.log("logs/stderr") + "\nerror_log: " + self.log("logs/error_log"))


class Apache(Server):
    name = "apache"

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RunnerError(f"apache binary not found: {self.binary}")
        self.port = free_port()
        r = self.root
        modules = ["mpm_event", "authz_core", "mime", "dir"]
        loads = "\n".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in modules)
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        config = f"""# Written by Tests/Conformance/run.py
ServerRoot "{r}"
DefaultRuntimeDir "{r}/run"
PidFile "{r}/run/httpd.pid"
{loads}
{user}Listen 127.0.0.1:{self.port}
DocumentRoot "{r}/htdocs"
{COMMON_CONFIG}StartServers 1
ServerLimit 1
ThreadsPerChild 32
MinSpareThreads 32
MaxSpareThreads 32
MaxRequestWorkers 32
<Directory "{r}/htdocs">
    Require all granted
</Directory>
"""
        for d, _, _ in os.walk(r):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(r, "logs"), 0o777)
        conf = os.path.join(r, "conf", "httpd.conf")
        with open(conf, "w") as f:
            f.write(config)
        out = open(os.path.join(r, "logs", "stdout"), "wb")
        self.process = subprocess.Popen([self.binary, "-d", r, "-f", conf, "-DFOREGROUND"],
                                        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        out.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RunnerError("apache did not start\n" + self.log("logs/stdout") + self.log("logs/error_log"))


# ---------------------------------------------------------------- running

def run_cases(server, cases, args):
    def one(case):
        payload = case["_bytes"]
        head_request = payload.split(b" ", 1)[0] == b"HEAD"
        try:
            result = exchange("127.0.0.1", server.port, payload, case.get("timeout", args.timeout),
                              args.close_wait, head_request)
        except OSError as e:
            result = {"outcome": "error", "error": str(e), "closed": True, "responses": 0}
        return case, result

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for case, result in pool.map(one, cases):
            results.append((case, result))
    return results


def summarize(results, server_alive):
    summary = {"cases": len(results), "passed": 0, "failed": 0, "known_bugs": 0, "known_bugs_fixed": 0,
               "server_alive": server_alive, "files": {}, "failures": [], "known": [], "fixed": []}
    for case, result in results:
        per = summary["files"].setdefault(case["_file"], {"cases": 0, "passed": 0, "failed": 0, "known_bugs": 0})
        per["cases"] += 1
        ok = meets(case["expect"], result)
        entry = {"name": case["name"], "file": case["_file"], "expect": case["expect"],
                 "actual": describe(result), "result": result}
        if case.get("known_bug"):
            entry["known_bug"] = case["known_bug"]
            if ok:
                summary["known_bugs_fixed"] += 1
                summary["passed"] += 1
                per["passed"] += 1
                summary["fixed"].append(entry)
            else:
                summary["known_bugs"] += 1
                per["known_bugs"] += 1
                summary["known"].append(entry)
            continue
        if ok:
            summary["passed"] += 1
            per["passed"] += 1
        else:
            summary["failed"] += 1
            per["failed"] += 1
            summary["failures"].append(entry)
    if not server_alive:
        summary["failed"] += 1
        summary["failures"].append({"name": "(server)", "file": "-", "expect": ["alive"],
                                    "actual": "the server process exited during the run"})
    return summary


def print_summary(summary, out=sys.stdout):
    for name, per in summary["files"].items():
        mark = "ok  " if per["failed"] == 0 else "FAIL"
        extra = f", {per['known_bugs']} known bugs" if per["known_bugs"] else ""
        print(f"{mark} {name}: {per['passed']}/{per['cases']} as expected{extra}", file=out)
    for entry in summary["failures"]:
        print(f"UNEXPECTED {entry['file']} {entry['name']}: expected {' '.join(entry['expect'])}, "
              f"got {entry['actual']}", file=out)
    for entry in summary["known"]:
        print(f"known bug  {entry['file']} {entry['name']}: expected {' '.join(entry['expect'])}, "
              f"got {entry['actual']} ({entry['known_bug']})", file=out)
    for entry in summary["fixed"]:
        print(f"FIXED?     {entry['file']} {entry['name']}: known bug no longer seen ({entry['known_bug']})", file=out)
    print(f"{summary['cases']} cases: {summary['passed']} as expected, {summary['failed']} unexpected, "
          f"{summary['known_bugs']} known bugs" + ("" if summary["server_alive"] else ", SERVER DIED"), file=out)


def printable(data, limit=160):
    text = data.decode("latin-1")
    text = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
    text = "".join(ch if 0x20 <= ord(ch) < 0x7f else f"\\x{ord(ch):02x}" for ch in text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def apache_differences(results, version):
    lines = [f"# Apache differences ({version})", "",
             "Generated by `python3 Tests/Conformance/run.py --apache --write-differences`: the cases",
             "where Apache's answer does not meet the corpus expectation (which is isapid's).",
             "The reasons are in README.md.", "",
             "| case | file | expected (isapid) | Apache |", "|---|---|---|---|"]
    count = 0
    for case, result in results:
        if meets(case["expect"], result):
            continue
        count += 1
        lines.append(f"| `{case['name']}` | {case['_file']} | {' '.join(case['expect'])} | {describe(result)} |")
    lines += ["", f"{count} of {len(results)} cases differ."]
    return "\n".join(lines) + "\n", count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--isapid", default=DEFAULT_ISAPID, help="isapid binary (default .build/debug/isapid)")
    parser.add_argument("--apache", action="store_true", help="run the corpus against Apache httpd instead")
    parser.add_argument("--apache-bin", default=DEFAULT_APACHE)
    parser.add_argument("--write-differences", action="store_true", help="with --apache: write apache-differences.md")
    parser.add_argument("--json", action="store_true", help="a JSON summary on stdout")
    parser.add_argument("--case", action="append", help="only cases whose name matches this glob (repeatable)")
    parser.add_argument("--file", action="append", help="only corpus files matching this glob (repeatable)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for an answer (default 2)")
    parser.add_argument("--close-wait", type=float, default=0.6,
                        help="seconds to wait after the first response for a close or more responses")
    parser.add_argument("--jobs", type=int, default=24, help="concurrent connections (default 24)")
    parser.add_argument("--keep", action="store_true", help="keep the ServerRoot")
    parser.add_argument("--verbose", action="store_true", help="print every case's result")
    args = parser.parse_args()

    try:
        cases = load_corpus(args.file, args.case)
    except (RunnerError, ValueError, KeyError) as e:
        report_error(args, f"corpus: {e}")
        return 2
    server = Apache(args.apache_bin, args.keep) if args.apache else Isapid(args.isapid, args.keep)
    try:
        server.start()
    except RunnerError as e:
        server.cleanup()
        report_error(args, str(e))
        return 2
    try:
        started = time.monotonic()
        results = run_cases(server, cases, args)
        alive = server.alive()
        elapsed = time.monotonic() - started
    finally:
        server.stop()
        server.cleanup()

    if args.verbose:
        for case, result in results:
            mark = "ok " if meets(case["expect"], result) else ("bug" if case.get("known_bug") else "BAD")
            print(f"{mark} {case['name']}: expected {' '.join(case['expect'])}, got {describe(result)}", file=sys.stderr)

    if args.apache:
        version = subprocess.run([args.apache_bin, "-v"], capture_output=True, text=True).stdout
        m = re.search(r"Server version:\s*(.+)", version)
        text, count = apache_differences(results, m.group(1).strip() if m else "Apache")
        if args.write_differences:
            with open(DIFFERENCES_FILE, "w") as f:
                f.write(text)
        if args.json:
            print(json.dumps({"server": "apache", "cases": len(results), "differences": count,
                              "list": [{"name": c["name"], "expect": c["expect"], "apache": describe(r)}
                                       for c, r in results if not meets(c["expect"], r)]}, indent=1))
        else:
            print(text)
        return 0

    summary = summarize(results, alive)
    summary["seconds"] = round(elapsed, 2)
    if args.json:
        for entry in summary["failures"] + summary["known"] + summary["fixed"]:
            entry.pop("result", None)
        print(json.dumps(summary, indent=1))
    else:
        print_summary(summary)
    return 1 if summary["failed"] else 0


def report_error(args, message):
    if args.json:
        print(json.dumps({"error": message}))
    else:
        print(f"error: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
