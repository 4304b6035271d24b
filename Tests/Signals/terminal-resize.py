#!/usr/bin/env python3
import fcntl, os, pty, struct, sys, termios, time, socket, signal
# Tests/Signals/terminal-resize.py, used by ApacheSignalTests.
# usage: terminal-resize.py ISAPID ROOT [extra args...]: runs isapid on a terminal, resizes it,
# prints RESIZED-LOGGED when the error log shows the resize ignored, SERVING when a
# request is answered after it, then stops it with SIGTERM and prints EXIT <status>.
isapid, root, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, master = pty.fork()
if pid == 0:
    os.execv(isapid, [isapid, "-d", root] + extra)
output = b""
def pump(seconds):
    global output
    end = time.time() + seconds
    while time.time() < end:
        import select
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                output += os.read(master, 4096)
            except OSError:
                return
def wait_for(condition, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if condition(): return True
        pump(0.05)
    return False
def log():
    try:
        return open(os.path.join(root, "logs/error_log")).read()
    except OSError:
        return ""
if not wait_for(lambda: b"listening on http://127.0.0.1:" in output and "resuming normal operations" in log(), 10):
    print("NOT STARTED", output); sys.exit(1)
port = int(output.split(b"listening on http://127.0.0.1:")[1].split(b"/")[0])
expected = 1 if "-X" in extra else 2
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 31, 97, 0, 0))
if wait_for(lambda: log().count("IS00495") >= expected, 5):
    print("RESIZED-LOGGED")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
answer = b""
while True:
    chunk = s.recv(4096)
    if not chunk: break
    answer += chunk
if answer.startswith(b"HTTP/1.1 200"):
    print("SERVING")
os.kill(pid, signal.SIGTERM)
end = time.time() + 10
while time.time() < end:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("EXIT", os.waitstatus_to_exitcode(status)); break
    pump(0.05)
else:
    os.kill(pid, signal.SIGKILL); print("STUCK")
