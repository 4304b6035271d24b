#!/usr/bin/env python3
"""Differential conformance suite for mod_rewrite syntax: isapid against Apache httpd 2.4.

The corpus (corpus/*.json) is a list of suites: rules for the main server config, for
<Directory DOCROOT> and for .htaccess files, the files of the DocumentRoot, and raw
requests. For every suite the runner builds a throw-away ServerRoot per server, starts
the server on 127.0.0.1, sends each request as raw bytes on its own connection and
records what came back in a form both servers can produce (see README.md):

    status        the status code
    location      the Location header, with the server's port, its ServerRoot and the
                  upstream's port replaced by @PORT@, @ROOT@ and @UPSTREAM_PORT@
    file          the first line of a served DocumentRoot file (every file names itself)
    echo          the variables printed by the echo program (echo.c): the ErrorDocument
                  for 404 and the front-controller scripts (index.php, ...)
    missing_file  for a 404, the path of the "File does not exist: ..." error-log line
                  (the only place a server-context rewrite's target shows: Apache keeps
                  r->uri, so REDIRECT_URL is the original URL there)
    upstream      for [P], "METHOD target" as the loopback upstream received it
    vary          the Vary header, only for suites that list "vary" in "observe"

Modes:
    run.py record  [--apache BIN]   Apache only; writes recorded/apache.jsonl
    run.py compare [--isapid BIN]   isapid against recorded/apache.jsonl
    run.py live    [--isapid BIN] [--apache BIN]   both, fresh
Common options: --suite NAME (repeatable, or a glob), --json (summary on stdout),
--keep (keep the ServerRoots), --verbose.

Python 3 standard library only.
"""

import argparse
import datetime
import fnmatch
import glob
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS_DIR = os.path.join(HERE, "corpus")
RECORDED = os.path.join(HERE, "recorded", "apache.jsonl")
DIFFERENCES = os.path.join(HERE, "differences.md")
ECHO_SOURCE = os.path.join(HERE, "echo.c")
DEFAULT_ISAPID = os.path.join(REPO, ".build", "debug", "isapid")
DEFAULT_APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
MIME_TYPES = os.path.join(REPO, "conf", "mime.types")

# The rule every suite's server context (and every <VirtualHost>) starts with, so the
# ErrorDocument's own internal redirect is never rewritten.
ECHO_GUARD = "RewriteRule ^/__echo/ - [L]"
FIELDS = ("status", "location", "file", "echo", "missing_file", "upstream")
OPTIONAL_FIELDS = ("vary",)
REQUEST_TIMEOUT = 20.0
# "File does not exist: PATH" (core, isapid), "script not found or unable to stat: PATH" (mod_cgi)
# and "stderr from PATH: script not found or unable to stat" (mod_cgid).
# Apache appends ", referer: <Referer>" to a request's error-log lines when there is one.
MISSING_FILE_RE = re.compile(rb"(?:File does not exist: (.*?)|script not found or unable to stat: (.*?)"
                             rb"|stderr from (.*?): script not found or unable to stat)(?:, referer: .*)?\r?$", re.M)


class RunnerError(Exception):
    pass


# ---------------------------------------------------------------- corpus

def load_corpus(patterns=None):
    """All suites of corpus/*.json in file-name order; each file holds a suite or a list."""
    suites = []
    names = set()
    for path in sorted(glob.glob(os.path.join(CORPUS_DIR, "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        items = data if isinstance(data, list) else data.get("suites", [data])
        for suite in items:
            suite = dict(suite)
            suite["_file"] = os.path.basename(path)
            name = suite.get("name")
            if not name or name in names:
                raise RunnerError(f"{path}: suite without a name or with a duplicate name {name!r}")
            names.add(name)
            for key in ("requests",):
                if not suite.get(key):
                    raise RunnerError(f"{path}: suite {name} has no requests")
            suites.append(suite)
    if patterns:
        suites = [s for s in suites if any(fnmatch.fnmatchcase(s["name"], p) for p in patterns)]
    return suites


def request_key(request):
    """What identifies a request's content (to notice a corpus edited after recording)."""
    canonical = {k: request.get(k) for k in ("target", "method", "headers", "raw")}
    return hashlib.sha1(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:12]


def suite_key(suite):
    """What identifies a suite's configuration (rules and files)."""
    canonical = {k: suite.get(k) for k in ("server", "directory", "htaccess", "files", "root_files", "observe")}
    return hashlib.sha1(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:12]


def load_differences():
    """The ids defined in differences.md (lines starting with '## D<n>')."""
    ids = set()
    if os.path.exists(DIFFERENCES):
        with open(DIFFERENCES, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^##\s+(D\d+)\b", line)
                if m:
                    ids.add(m.group(1))
    return ids


# ---------------------------------------------------------------- helpers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def escape_bytes(data):
    """Bytes as text the way echo.c prints values: '\\' doubled, bytes outside 0x20-0x7e as \\xHH."""
    out = []
    for b in data:
        if b == 0x5c:
            out.append("\\\\")
        elif b < 0x20 or b >= 0x7f:
            out.append(f"\\x{b:02x}")
        else:
            out.append(chr(b))
    return "".join(out)


LOG_ESCAPE_RE = re.compile(rb"\\(x[0-9a-fA-F]{2}|[nrt\"\\])")


def unescape_log(data):
    """Undoes Apache's error-log escaping (\\xHH, \\n, \\", \\\\): isapid may log raw bytes."""
    def one(m):
        code = m.group(1)
        if code.startswith(b"x"):
            return bytes([int(code[1:], 16)])
        return {b"n": b"\n", b"r": b"\r", b"t": b"\t", b'"': b'"', b"\\": b"\\"}[code]
    return LOG_ESCAPE_RE.sub(one, data)


def substitute(text, values):
    for key, value in values.items():
        text = text.replace("@" + key + "@", value)
    return text


def write_file(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    os.chmod(path, mode)


def make_tree_readable(root):
    for directory, dirs, files in os.walk(root):
        os.chmod(directory, 0o755)


def compile_echo(kind, output):
    if kind == "cgi":
        command = ["cc", "-O1", "-DECHO_CGI", "-o", output, ECHO_SOURCE]
    else:
        include = os.path.join(REPO, "Sources", "CISAPI", "include")
        command = ["cc", "-O1", "-shared", "-fPIC", "-I", include, ECHO_SOURCE, "-o", output]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RunnerError(f"compiling the echo program failed: {' '.join(command)}\n{result.stderr}")
    os.chmod(output, 0o755)


def stop_process(process, timeout=10.0):
    """SIGTERM to the process (its own session), then SIGKILL to its group."""
    if process.poll() is None:
        try:
            process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(5)


# ---------------------------------------------------------------- the upstream for [P]

class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        # http.server decoded the request line as ISO-8859-1: encoding back gives the raw bytes.
        body = f"UPSTREAM {self.command} {self.path}\n".encode("latin-1")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = answer

    def log_message(self, *args):
        pass


class Upstream:
    """A tiny HTTP server on 127.0.0.1 answering "UPSTREAM METHOD target"."""

    def __init__(self):
        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True
        self.server = Server(("127.0.0.1", 0), UpstreamHandler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- raw HTTP client

def build_request(request, values):
    """The request's bytes; @PORT@, @ROOT@, @DOCROOT@ in the target, headers and raw text are replaced."""
    if "raw" in request:
        return substitute(request["raw"], values).encode("utf-8")
    method = request.get("method", "GET")
    headers = {"Host": "localhost"}
    for name, value in (request.get("headers") or {}).items():
        existing = next((k for k in headers if k.lower() == name.lower()), None)
        if existing:
            del headers[existing]
        if value is not None:
            headers[name] = substitute(value, values)
    target = substitute(request["target"], values)
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def send_raw(port, data, timeout=REQUEST_TIMEOUT):
    deadline = time.time() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        received = b""
        while True:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                raise RunnerError(f"no complete response within {timeout} s; received {received[:200]!r}")
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received


def parse_response(data, method):
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise RunnerError(f"no response head in {data[:200]!r}")
    head = data[:end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise RunnerError(f"bad status line {head[0]!r}")
    status = int(parts[1])
    headers = []
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    body = data[end + 4:]
    te = next((v for n, v in headers if n.lower() == "transfer-encoding"), "")
    if method == "HEAD" or status in (204, 304):
        body = b""
    elif "chunked" in te.lower():
        decoded, rest = b"", body
        while True:
            line_end = rest.find(b"\r\n")
            if line_end < 0:
                break
            size = int(rest[:line_end].split(b";")[0] or b"0", 16)
            if size == 0:
                break
            decoded += rest[line_end + 2:line_end + 2 + size]
            rest = rest[line_end + 2 + size + 2:]
        body = decoded
    else:
        length = next((v for n, v in headers if n.lower() == "content-length"), None)
        if length is not None:
            body = body[:int(length)]
    return status, headers, body


# ---------------------------------------------------------------- servers

class Server:
    """One server on a throw-away ServerRoot for one suite."""

    name = "?"

    def __init__(self, suite, upstream, keep=False, verbose=False):
        self.suite = suite
        self.upstream = upstream
        self.keep = keep
        self.verbose = verbose
        self.root = tempfile.mkdtemp(prefix=f"rwdiff-{self.name}-")
        self.docroot = os.path.join(self.root, "htdocs")
        self.port = free_port()
        self.process = None
        self.values = {"ROOT": self.root, "DOCROOT": self.docroot,
                       "UPSTREAM": f"127.0.0.1:{upstream.port}", "PORT": str(self.port)}

    # -- the ServerRoot

    def populate(self, echo_binary):
        for d in ("conf", "logs", "run", "htdocs"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        shutil.copyfile(MIME_TYPES, os.path.join(self.root, "conf", "mime.types"))
        files = self.suite.get("files") or {}
        if isinstance(files, list):
            files = {path: None for path in files}
        for relative, content in files.items():
            path = os.path.join(self.docroot, relative)
            if relative.endswith("/") or content == "@dir":
                os.makedirs(path, exist_ok=True)
            elif content == "@echo":
                self.install_echo(echo_binary, path)
            elif content == "@empty":
                write_file(path, b"")
            else:
                write_file(path, f"FILE {relative}\n")
        for relative, content in (self.suite.get("root_files") or {}).items():
            write_file(os.path.join(self.root, relative), substitute(content, self.values))
        for directory, lines in (self.suite.get("htaccess") or {}).items():
            text = "".join(substitute(line, self.values) + "\n" for line in lines)
            write_file(os.path.join(self.docroot, directory, ".htaccess"), text)
        make_tree_readable(self.root)
        os.chmod(os.path.join(self.root, "logs"), 0o777)

    def install_echo(self, echo_binary, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(echo_binary, path)
        os.chmod(path, 0o755)

    def server_rules(self):
        """The suite's server lines with the /__echo/ guard first and in every <VirtualHost>."""
        lines = self.suite.get("server") or []
        guard = any(re.match(r"^\s*Rewrite", line, re.I) for line in lines)
        out = [ECHO_GUARD] if guard else []
        for line in lines:
            line = substitute(line, self.values)
            out.append(line)
            if guard and re.match(r"^\s*<VirtualHost\b", line, re.I):
                out.append("    " + ECHO_GUARD)
        return "\n".join(out)

    def directory_rules(self):
        return "\n".join("    " + substitute(line, self.values) for line in self.suite.get("directory") or [])

    # -- running

    def start(self):
        raise NotImplementedError

    def stop(self):
        if self.process is not None:
            stop_process(self.process)
            self.process = None
        if getattr(self, "stdout_file", None):
            self.stdout_file.close()
            self.stdout_file = None

    def cleanup(self):
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def error_log(self):
        return os.path.join(self.root, "logs", "error_log")

    def error_log_size(self):
        try:
            return os.path.getsize(self.error_log())
        except OSError:
            return 0

    def read_error_log(self, offset):
        try:
            with open(self.error_log(), "rb") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return b""

    def wait_listening(self, timeout=30.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def failure_text(self):
        texts = []
        for name in ("stdout", "stderr", "error_log"):
            path = os.path.join(self.root, "logs", name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text = f.read().strip()
                if text:
                    texts.append(f"{name}: {text[-2000:]}")
        return "\n".join(texts) or "(no output)"

    # -- one request

    def normalize(self, text):
        if text is None:
            return None
        text = text.replace(self.root, "@ROOT@")
        text = text.replace(f":{self.port}", ":@PORT@")
        text = text.replace(f":{self.upstream.port}", ":@UPSTREAM_PORT@")
        return text

    def exchange(self, request, observe):
        method = request.get("method", "GET")
        offset = self.error_log_size()
        data = send_raw(self.port, build_request(request, self.values))
        status, headers, body = parse_response(data, method)
        result = {"status": status}
        location = next((v for n, v in headers if n.lower() == "location"), None)
        if location is not None:
            result["location"] = self.normalize(escape_bytes(location.encode("latin-1")))
        if "vary" in observe:
            vary = [v for n, v in headers if n.lower() == "vary"]
            if vary:
                result["vary"] = escape_bytes(", ".join(vary).encode("latin-1"))
        text = body.decode("utf-8", "surrogateescape")
        if text.startswith("ECHO\n"):
            echo = {}
            for line in text.split("\n")[1:]:
                if "=" in line:
                    name, _, value = line.partition("=")
                    echo[name] = self.normalize(value)
            if echo.get("SCRIPT_NAME", "").startswith("/__echo/"):
                del echo["SCRIPT_NAME"]  # the ErrorDocument's own name differs (echo / echo.dll)
            result["echo"] = echo
        elif text.startswith("FILE "):
            result["file"] = escape_bytes(body[5:].split(b"\n")[0])
        elif text.startswith("UPSTREAM "):
            result["upstream"] = self.normalize(escape_bytes(body[9:].split(b"\n")[0]))
        if status == 404:
            result_missing = self.missing_file(offset)
            if result_missing is not None:
                result["missing_file"] = result_missing
        return result

    def missing_file(self, offset):
        """The last "File does not exist" path logged since offset (polled: logs may lag)."""
        deadline = time.time() + self.log_lag
        while True:
            found = [next(g for g in groups if g) for groups in MISSING_FILE_RE.findall(self.read_error_log(offset))]
            if found:
                return self.normalize(escape_bytes(unescape_log(found[-1])))
            if time.time() >= deadline:
                return None
            time.sleep(0.05)


class Apache(Server):
    name = "apache"
    log_lag = 0.05

    def __init__(self, suite, upstream, binary, keep=False, verbose=False):
        self.binary = binary
        super().__init__(suite, upstream, keep, verbose)

    def config(self):
        r = self.root
        modules = ["mpm_event", "authz_core", "alias", "dir", "autoindex", "mime", "rewrite", "cgid",
                   "env", "proxy", "proxy_http"]
        loads = "\n".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in modules)
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        trace = "LogLevel info rewrite:trace8" if self.verbose else "LogLevel info"
        return f"""# Written by Tests/RewriteDifferential/run.py for suite {self.suite['name']}
ServerRoot "{r}"
DefaultRuntimeDir "{r}/run"
PidFile "{r}/run/httpd.pid"
{loads}
{user}Listen 127.0.0.1:{self.port}
ServerName localhost
ScriptSock "{r}/run/cgid.sock"
DocumentRoot "{self.docroot}"
TypesConfig conf/mime.types
ErrorLog logs/error_log
{trace}
Timeout 30
KeepAlive Off
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MinSpareThreads 8
MaxSpareThreads 8
MaxRequestWorkers 8
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{self.docroot}">
    Options FollowSymLinks ExecCGI
    AllowOverride All
    Require all granted
{self.directory_rules()}
</Directory>
AddHandler cgi-script .php
DirectoryIndex index.html index.php
ScriptAlias /__echo/ "{r}/echo-cgi/"
<Directory "{r}/echo-cgi">
    Require all granted
</Directory>
ErrorDocument 404 /__echo/echo
{self.server_rules()}
"""

    def start(self, echo_binary):
        self.populate(echo_binary)
        self.install_echo(echo_binary, os.path.join(self.root, "echo-cgi", "echo"))
        make_tree_readable(self.root)
        os.chmod(os.path.join(self.root, "logs"), 0o777)
        conf = os.path.join(self.root, "conf", "httpd.conf")
        write_file(conf, self.config())
        self.stdout_file = open(os.path.join(self.root, "logs", "stdout"), "wb")
        self.process = subprocess.Popen([self.binary, "-d", self.root, "-f", conf, "-DFOREGROUND"],
                                        stdout=self.stdout_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        if not self.wait_listening():
            self.stop()
            raise RunnerError(f"apache did not start for suite {self.suite['name']}:\n{self.failure_text()}")


class Isapid(Server):
    name = "isapid"
    log_lag = 1.0

    def __init__(self, suite, upstream, binary, keep=False, verbose=False):
        self.binary = binary
        super().__init__(suite, upstream, keep, verbose)

    def config(self):
        r = self.root
        level = "LogLevel info rewrite:trace8" if self.verbose else "LogLevel info"
        return f"""# Written by Tests/RewriteDifferential/run.py for suite {self.suite['name']}
Listen 127.0.0.1:{self.port}
ServerName localhost
DocumentRoot "{self.docroot}"
TypesConfig conf/mime.types
ErrorLog logs/error_log
{level}
Timeout 30
KeepAlive Off
GracefulShutdownTimeout 3
RewriteIniFile None
RewriteIniSiteFiles Off
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{self.docroot}">
    Options FollowSymLinks ExecCGI
    AllowOverride All
    Require all granted
{self.directory_rules()}
</Directory>
AddHandler isapi-handler .php .dll
DirectoryIndex index.html index.php
Alias /__echo/ "{r}/echo-isapi/"
<Directory "{r}/echo-isapi">
    Options ExecCGI
    Require all granted
</Directory>
ErrorDocument 404 /__echo/echo.dll
{self.server_rules()}
"""

    def start(self, echo_binary):
        self.populate(echo_binary)
        self.install_echo(echo_binary, os.path.join(self.root, "echo-isapi", "echo.dll"))
        write_file(os.path.join(self.root, "conf", "httpd.conf"), self.config())
        self.stdout_file = open(os.path.join(self.root, "logs", "stdout"), "wb")
        stderr = open(os.path.join(self.root, "logs", "stderr"), "wb")
        self.process = subprocess.Popen([self.binary, "-d", self.root, "-f", "conf/httpd.conf"],
                                        stdout=self.stdout_file, stderr=stderr,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        stderr.close()
        if not self.wait_listening():
            self.stop()
            raise RunnerError(f"isapid did not start for suite {self.suite['name']}:\n{self.failure_text()}")


# ---------------------------------------------------------------- running suites

def run_suite(server_class, binary, suite, upstream, echo_binary, args):
    """Runs one suite on one server; returns a list of results (dicts) or raises."""
    for attempt in range(3):
        server = server_class(suite, upstream, binary, keep=args.keep, verbose=args.verbose)
        try:
            server.start(echo_binary)
            break
        except RunnerError as e:
            server.stop()
            server.cleanup()
            # The free port may have been taken between choosing and binding: retry then.
            if attempt == 2 or "in use" not in str(e):
                raise
    results = []
    try:
        observe = set(suite.get("observe") or [])
        for request in suite["requests"]:
            try:
                results.append(server.exchange(request, observe))
            except (RunnerError, OSError) as e:
                results.append({"error": str(e)})
    finally:
        server.stop()
        if args.keep:
            print(f"kept {server.name} ServerRoot for {suite['name']}: {server.root}", file=sys.stderr)
        server.cleanup()
    return results


def apache_version(binary):
    out = subprocess.run([binary, "-v"], capture_output=True, text=True).stdout
    m = re.search(r"Server version:\s*(.+)", out)
    return m.group(1).strip() if m else out.strip()


def describe(request):
    text = f"{request.get('method', 'GET')} {request.get('target', '(raw)')}"
    headers = {k: v for k, v in (request.get("headers") or {}).items()}
    if headers:
        text += " " + json.dumps(headers, ensure_ascii=False)
    return text


def comparable(result, observe):
    fields = FIELDS + tuple(f for f in OPTIONAL_FIELDS if f in observe)
    out = {k: result[k] for k in fields if k in result}
    if "error" in result:
        out["error"] = result["error"]
    return out


def compare_suites(suites, expected_for, actual_for, differences_defined):
    """Compares per request; returns the summary dict."""
    summary = {"requests": 0, "passed": 0, "failed": 0, "differences": 0, "differences_now_equal": 0,
               "stale": 0, "suites": {}, "failures": [], "skipped": [], "errors": []}
    for suite in suites:
        name = suite["name"]
        observe = set(suite.get("observe") or [])
        per = {"requests": 0, "passed": 0, "failed": 0, "differences": 0, "stale": 0}
        actual_list, suite_error = actual_for(suite)
        if suite_error is not None:
            summary["errors"].append({"suite": name, "error": suite_error})
        for i, request in enumerate(suite["requests"]):
            per["requests"] += 1
            summary["requests"] += 1
            difference = request.get("difference") or suite.get("difference")
            expected = expected_for(suite, i)
            entry = {"suite": name, "index": i, "request": describe(request)}
            if expected is None:
                per["stale"] += 1
                summary["stale"] += 1
                entry["reason"] = "no recorded answer for this request (re-record: run.py record)"
                summary["failures"].append(entry)
                continue
            actual = ({"error": suite_error} if suite_error is not None
                      else actual_list[i] if actual_list is not None and i < len(actual_list) else {"error": "not run"})
            want, got = comparable(expected, observe), comparable(actual, observe)
            entry["expected"], entry["actual"] = want, got
            if difference:
                entry["difference"] = difference
                if difference not in differences_defined:
                    entry["reason"] = f"difference id {difference} is not defined in differences.md"
                    summary["failures"].append(entry)
                    per["failed"] += 1
                    summary["failed"] += 1
                    continue
                per["differences"] += 1
                summary["differences"] += 1
                if want == got:
                    summary["differences_now_equal"] += 1
                    entry["note"] = "marked as a difference but the answers are equal"
                summary["skipped"].append(entry)
                continue
            if want == got:
                per["passed"] += 1
                summary["passed"] += 1
            else:
                per["failed"] += 1
                summary["failed"] += 1
                entry["fields"] = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
                if suite.get("note"):
                    entry["suite_note"] = suite["note"]
                if request.get("note"):
                    entry["note"] = request["note"]
                summary["failures"].append(entry)
        summary["suites"][name] = per
    return summary


def print_report(summary, out=sys.stdout, limit_per_suite=None):
    by_suite = {}
    for f in summary["failures"]:
        by_suite.setdefault(f["suite"], []).append(f)
    for name, per in summary["suites"].items():
        mark = "ok  " if per["failed"] == 0 and per["stale"] == 0 else "FAIL"
        extra = f", {per['differences']} known differences" if per["differences"] else ""
        print(f"{mark} {name}: {per['passed']}/{per['requests']} equal{extra}", file=out)
        suite_errors = [e["error"] for e in summary["errors"] if e["suite"] == name]
        if suite_errors:
            print("     " + suite_errors[0].replace("\n", "\n     "), file=out)
            continue
        for f in by_suite.get(name, [])[:limit_per_suite]:
            fields = f" ({', '.join(f['fields'])} differ)" if f.get("fields") else ""
            print(f"     #{f['index']} {f['request']}{fields}", file=out)
            if "reason" in f:
                print(f"        {f['reason']}", file=out)
                continue
            print(f"        apache {json.dumps(f['expected'], ensure_ascii=False, sort_keys=True)}", file=out)
            print(f"        isapid {json.dumps(f['actual'], ensure_ascii=False, sort_keys=True)}", file=out)
    if summary["skipped"]:
        print(f"known differences ({len(summary['skipped'])} requests, not compared):", file=out)
        for f in summary["skipped"]:
            note = f" ({f['note']})" if "note" in f else ""
            print(f"     {f['difference']} {f['suite']} #{f['index']} {f['request']}{note}", file=out)
    print(f"\n{summary['passed']} of {summary['requests']} requests equal, {summary['failed']} different, "
          f"{summary['differences']} known differences skipped, {summary['stale']} without a recorded answer", file=out)


def cmd_record(args, suites):
    binary = args.apache
    if not os.access(binary, os.X_OK):
        raise RunnerError(f"{binary} is missing: apt-get install apache2")
    version = apache_version(binary)
    upstream = Upstream()
    work = tempfile.mkdtemp(prefix="rwdiff-echo-")
    echo = os.path.join(work, "echo")
    lines = []
    existing = {}
    try:
        compile_echo("cgi", echo)
        if os.path.exists(RECORDED):
            # Re-recording some suites: keep the others' answers.
            for record in read_recorded()[1]:
                existing.setdefault(record["suite"], []).append(record)
        total = 0
        failed_suites = []
        for suite in suites:
            started = time.time()
            try:
                results = run_suite(Apache, binary, suite, upstream, echo, args)
            except RunnerError as e:
                print(f"FAILED {suite['name']}: {e}", file=sys.stderr)
                failed_suites.append(suite["name"])
                continue
            errors = [r for r in results if "error" in r]
            total += len(results)
            existing[suite["name"]] = [
                {"suite": suite["name"], "index": i, "suite_key": suite_key(suite), "request_key": request_key(req),
                 "request": describe(req), "result": res}
                for i, (req, res) in enumerate(zip(suite["requests"], results))]
            print(f"recorded {suite['name']}: {len(results)} requests in {time.time() - started:.1f} s"
                  + (f", {len(errors)} ERRORS" if errors else ""), file=sys.stderr)
            for i, r in enumerate(results):
                if "error" in r:
                    print(f"     #{i} {describe(suite['requests'][i])}: {r['error']}", file=sys.stderr)
        all_suites = load_corpus()
        order = [s["name"] for s in all_suites]
        count = sum(len(existing[n]) for n in order if n in existing)
        meta = {"meta": {"apache": version, "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "requests": count, "note": "written by Tests/RewriteDifferential/run.py record"}}
        lines.append(json.dumps(meta, ensure_ascii=False))
        for name in order:
            for record in existing.get(name, []):
                lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
        os.makedirs(os.path.dirname(RECORDED), exist_ok=True)
        with open(RECORDED, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"wrote {RECORDED}: {count} requests, {version}", file=sys.stderr)
        if failed_suites:
            print(f"not recorded (Apache did not start): {', '.join(failed_suites)}", file=sys.stderr)
            return 1
    finally:
        upstream.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def read_recorded():
    if not os.path.exists(RECORDED):
        raise RunnerError(f"{RECORDED} is missing: run.py record (needs Apache)")
    meta, records = {}, []
    with open(RECORDED, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            item = json.loads(line)
            if "meta" in item:
                meta = item["meta"]
            else:
                records.append(item)
    return meta, records


def run_isapid_suites(args, suites, upstream, echo):
    actual = {}

    def actual_for(suite):
        if suite["name"] not in actual:
            started = time.time()
            try:
                actual[suite["name"]] = (run_suite(Isapid, args.isapid, suite, upstream, echo, args), None)
            except RunnerError as e:
                actual[suite["name"]] = (None, str(e))
            if not args.json:
                print(f"ran isapid {suite['name']} in {time.time() - started:.1f} s", file=sys.stderr)
        return actual[suite["name"]]
    return actual_for


def cmd_compare(args, suites):
    meta, records = read_recorded()
    by_key = {(r["suite"], r["index"]): r for r in records}

    def expected_for(suite, i):
        record = by_key.get((suite["name"], i))
        if record is None or record.get("request_key") != request_key(suite["requests"][i]) \
                or record.get("suite_key") != suite_key(suite):
            return None
        return record["result"]
    return run_comparison(args, suites, expected_for, meta.get("apache", "?"))


def run_comparison(args, suites, expected_for, apache_label):
    if not os.access(args.isapid, os.X_OK):
        raise RunnerError(f"{args.isapid} is missing: build isapid (swift build) or pass --isapid")
    upstream = Upstream()
    work = tempfile.mkdtemp(prefix="rwdiff-echo-")
    try:
        echo = os.path.join(work, "echo.dll")
        compile_echo("isapi", echo)
        actual_for = run_isapid_suites(args, suites, upstream, echo)
        summary = compare_suites(suites, expected_for, actual_for, load_differences())
    finally:
        upstream.close()
        shutil.rmtree(work, ignore_errors=True)
    summary["apache"] = apache_label
    summary["isapid"] = args.isapid
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(f"isapid {args.isapid} against {apache_label}")
        print_report(summary)
    return 0 if summary["failed"] == 0 and summary["stale"] == 0 else 1


def cmd_live(args, suites):
    binary = args.apache
    if not os.access(binary, os.X_OK):
        raise RunnerError(f"{binary} is missing: apt-get install apache2")
    upstream = Upstream()
    work = tempfile.mkdtemp(prefix="rwdiff-echo-")
    answers = {}
    try:
        echo = os.path.join(work, "echo")
        compile_echo("cgi", echo)
        for suite in suites:
            try:
                answers[suite["name"]] = run_suite(Apache, binary, suite, upstream, echo, args)
            except RunnerError as e:
                answers[suite["name"]] = [{"error": str(e)}] * len(suite["requests"])
    finally:
        upstream.close()
        shutil.rmtree(work, ignore_errors=True)

    def expected_for(suite, i):
        return answers[suite["name"]][i]
    return run_comparison(args, suites, expected_for, apache_version(binary) + " (live)")


def cmd_show(args, suites):
    """Prints the recorded answers of the selected suites, one line per request."""
    meta, records = read_recorded()
    by_key = {(r["suite"], r["index"]): r for r in records}
    print(f"recorded with {meta.get('apache', '?')} at {meta.get('recorded', '?')}")
    for suite in suites:
        print(f"== {suite['name']}")
        for i, request in enumerate(suite["requests"]):
            record = by_key.get((suite["name"], i))
            result = record["result"] if record else "(not recorded)"
            stale = "" if record and record.get("request_key") == request_key(request) \
                and record.get("suite_key") == suite_key(suite) else " (STALE)"
            mark = f" [{request.get('difference') or suite.get('difference')}]" \
                if request.get("difference") or suite.get("difference") else ""
            print(f"  #{i} {describe(request)}{mark}{stale}\n      {json.dumps(result, ensure_ascii=False)}")
    return 0


def cmd_list(args, suites):
    by_source = {}
    for suite in suites:
        by_source.setdefault(suite["_file"], [0, 0])
        by_source[suite["_file"]][0] += 1
        by_source[suite["_file"]][1] += len(suite["requests"])
    for name, (n_suites, n_requests) in sorted(by_source.items()):
        print(f"{name}: {n_suites} suites, {n_requests} requests")
    print(f"total: {len(suites)} suites, {sum(len(s['requests']) for s in suites)} requests")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["record", "compare", "live", "list", "show"])
    parser.add_argument("--isapid", default=DEFAULT_ISAPID, help="the isapid binary (default .build/debug/isapid)")
    parser.add_argument("--apache", default=DEFAULT_APACHE, help="the apache2 binary (default /usr/sbin/apache2)")
    parser.add_argument("--suite", action="append", help="only suites whose name matches (glob; repeatable)")
    parser.add_argument("--json", action="store_true", help="print the comparison summary as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary ServerRoots")
    parser.add_argument("--verbose", action="store_true", help="rewrite:trace8 in both servers' error logs (use with --keep)")
    args = parser.parse_args(argv)
    args.isapid = os.path.abspath(args.isapid)
    try:
        suites = load_corpus(args.suite)
        if not suites:
            raise RunnerError("no suite matches")
        return {"record": cmd_record, "compare": cmd_compare, "live": cmd_live, "list": cmd_list, "show": cmd_show}[args.mode](args, suites)
    except RunnerError as e:
        if args.json:
            json.dump({"error": str(e)}, sys.stdout)
            print()
        print(f"run.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
