#!/usr/bin/env python3
"""Hostile clients against the dashboard port: keep-alive and its idle
timeout, request heads sent a byte at a time, 1,000 idle connections and
more than the table holds, a head over the limit, garbage, the cap on
event streams, and event-stream clients that never read while 20,000
connections hit the scenarios. Through every case a real request must be
answered within a second, and at its end no dashboard connection may be
left over (the SIGUSR1 stats line counts them). One line per case; exit
1 on any failure.

Usage: dashboard.py [--shakedown PATH] [--only CASE[,CASE]] [--list]"""
import argparse
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from server_process import ServerProcess, wait_for  # noqa: E402

CA = os.path.join(TOP, "certs", "ca.pem")
HEADER_TIMEOUT = 4
KEEPALIVE_TIMEOUT = 3
MAX_CLIENTS = 1024          # the default, which the flood cases exceed
ANSWER_WITHIN = 1.0         # seconds: what "never locked out" means here
SANITIZED = False           # set in main: the server is an ASan build


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Server(ServerProcess):
    def __init__(self, binary, args):
        super().__init__(binary, args, json_log=True)
        self.dash = self.ports["dashboard"]["port"]
        self.pos = 0
        self.infos = []  # the info lines' messages, read incrementally

    def poll_infos(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(self.pos)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1
        self.pos += end
        for line in chunk[:end].split(b"\n"):
            if b'"event":"info"' in line:
                self.infos.append(json.loads(line)["msg"])

    def stats(self):
        """The SIGUSR1 stats line's fields, as integers."""
        self.poll_infos()
        before = len(self.infos)
        self.proc.send_signal(signal.SIGUSR1)

        def arrived():
            self.poll_infos()
            return any(m.startswith("stats:") for m in self.infos[before:])
        check(wait_for(arrived, 10), "no stats line after SIGUSR1")
        msg = [m for m in self.infos[before:] if m.startswith("stats:")][-1]
        return {k: int(v) for k, v in (f.split("=") for f in msg.split()[1:])}


# ---- HTTP over raw sockets --------------------------------------------------

def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(s, head_only=False):
    """One response: (status, headers dict in lower case, body); the body
    by Content-Length. b"" status 0 when the server closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return 0, {}, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        check(chunk, "the server closed after %d of %d body bytes" % (len(rest), length))
        rest += chunk
    return status, headers, rest[:length]


def closed_by_server(s, timeout):
    """Whether the server closes s (FIN or reset) within timeout; any
    bytes before that are returned too."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True, got
            got += chunk
    except socket.timeout:
        return False, got
    except ConnectionResetError:
        return True, got


def state_now(s):
    """Without waiting: "open", "closed" (FIN or reset, nothing before it)
    or "answered" (bytes arrived)."""
    s.settimeout(0)  # with a timeout, Python would wait for readability
    try:
        data = s.recv(65536)
    except BlockingIOError:
        return "open"
    except ConnectionResetError:
        return "closed"
    return "answered" if data else "closed"


def real_request(srv, path="/ca.pem"):
    """A new connection's GET, answered and timed: (seconds, status)."""
    t0 = time.monotonic()
    s = connect(srv.dash, timeout=5)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        status, _, body = read_response(s)
    finally:
        s.close()
    took = time.monotonic() - t0
    check(status == 200 and body, "GET %s: status %d" % (path, status))
    return took, status


def answered_quickly(srv, what):
    took, _ = real_request(srv)
    check(took < ANSWER_WITHIN, "%s: a real request took %.2f s" % (what, took))
    return took


def nothing_left(srv, streams_too=True, timeout=15):
    """No dashboard connection is left open (the check's own SIGUSR1 is
    not a connection)."""
    last = {}

    def done():
        last.update(srv.stats())
        return last["dashboard_clients"] == 0 or (
            not streams_too and last["dashboard_clients"] == last["dashboard_streams"])
    check(wait_for(done, timeout), "dashboard connections left open: %s" % last)
    return last


# ---- cases ------------------------------------------------------------------

def case_keepalive(srv):
    s = connect(srv.dash)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    st, h, page = read_response(s)
    check(st == 200 and h.get("connection") == "keep-alive" and b"<html" in page[:200],
          "page: %d %s" % (st, h))
    s.sendall(b"HEAD /scenarios.json HTTP/1.1\r\nHost: x\r\n\r\n")
    st, h, body = read_response(s, head_only=True)
    check(st == 200 and int(h["content-length"]) > 1000 and body == b"",
          "HEAD on the same connection: %d %s" % (st, h))
    # Two requests in one segment: both answered, in order.
    s.sendall(b"GET /ca.pem HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    s.settimeout(5)
    while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"/events\n"):
        chunk = s.recv(65536)
        check(chunk, "pipelined: closed after %r" % data[-200:])
        data += chunk
    first, second = data.index(b"HTTP/1.1 200"), data.index(b"HTTP/1.1 404")
    check(first < second and b"BEGIN CERTIFICATE" in data[:second],
          "pipelined answers out of order")
    # Idle: closed after the keep-alive timeout, not before.
    t0 = time.monotonic()
    gone, extra = closed_by_server(s, KEEPALIVE_TIMEOUT + 5)
    idle = time.monotonic() - t0
    check(gone and extra == b"", "idle keep-alive connection not closed (%r)" % extra)
    check(KEEPALIVE_TIMEOUT - 0.5 <= idle, "closed after %.1f s of idling" % idle)
    s.close()
    # HTTP/1.0 and Connection: close end the connection after the answer.
    for req in (b"GET /ca.pem HTTP/1.0\r\n\r\n",
                b"GET /ca.pem HTTP/1.1\r\nConnection: close\r\n\r\n"):
        s = connect(srv.dash)
        s.sendall(req)
        st, h, _ = read_response(s)
        gone, extra = closed_by_server(s, 5)
        check(st == 200 and h.get("connection") == "close" and gone and extra == b"",
              "%r: %d %s, closed %s" % (req, st, h, gone))
        s.close()
    return "3 requests and 2 pipelined on one connection; idle closed after %.1f s" % idle


def case_slow_heads(srv, n=50):
    """n heads sent one byte a second: each is answered 408 at the header
    timeout although bytes keep coming, and real requests go on."""
    head = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow\r\n\r\n"
    socks = [connect(srv.dash) for _ in range(n)]
    t0 = time.monotonic()
    slowest = 0.0
    sent = 0
    while time.monotonic() - t0 < HEADER_TIMEOUT + 1.5:
        for s in socks:
            try:
                s.send(head[sent:sent + 1])
            except OSError:
                pass
        sent += 1
        slowest = max(slowest, answered_quickly(srv, "slow heads"))
        time.sleep(max(0.0, t0 + sent - time.monotonic()))
    got408 = 0
    for s in socks:
        gone, data = closed_by_server(s, 5)
        got408 += gone and data.startswith(b"HTTP/1.1 408 ")
        s.close()
    check(got408 == n, "%d of %d slow heads answered 408" % (got408, n))
    check(sent < len(head), "the heads were complete before the timeout")
    return "%d heads at a byte a second: 408 after %d s; real requests within %.3f s" % (
        n, HEADER_TIMEOUT, slowest)


def case_idle_flood(srv):
    """1,000 idle connections (half silent, half a partial head), then 100
    slow ones, more than the table's 1,024: the longest-idle make room, and
    every real request meanwhile is answered within a second."""
    idle = []
    slowest = 0.0
    for i in range(1000):
        s = connect(srv.dash)
        if i % 2:
            s.sendall(b"GET / HTTP/1.1\r\n")
        idle.append(s)
    slowest = max(slowest, answered_quickly(srv, "1,000 idle"))
    slow = [connect(srv.dash) for _ in range(100)]
    for k in range(3):
        for s in slow:
            s.send(b"GET / HTTP/1.1\r\n"[k:k + 1])
        slowest = max(slowest, answered_quickly(srv, "1,100 idle or slow"))
        time.sleep(0.3)
    # The longest idle went: the oldest (a partial head counts as activity
    # when the server reads it, so silent and partial ones mix), and never
    # the newest. 1,104 connections for 1,024 places: about 80 went.
    time.sleep(0.2)
    # (Closed without a word: a 408 at the header timeout is not room made.)
    gone = [i for i, s in enumerate(idle) if state_now(s) == "closed"]
    last_open = sum(state_now(s) == "open" for s in slow)
    check(len(gone) >= 70, "only %d of the idle connections were closed" % len(gone))
    check(max(gone) < 300, "a newer idle connection (#%d) was closed before older ones"
          % max(gone))
    check(last_open == 100, "%d of the 100 newest still open" % last_open)
    srv.poll_infos()
    check(any("closed the longest-idle to make room" in m for m in srv.infos),
          "no log line for the full table")
    for s in idle + slow:
        s.close()
    return "1,100 idle or slow: the %d oldest closed, real requests within %.3f s" % (
        len(gone), slowest)


def case_head_too_large(srv):
    out = []
    for pieces in (1, 20):
        s = connect(srv.dash)
        head = b"GET / HTTP/1.1\r\nX-Filler: " + b"a" * 20000 + b"\r\n\r\n"
        step = len(head) // pieces + 1
        try:
            for i in range(0, len(head), step):
                s.sendall(head[i:i + step])
        except OSError:
            pass  # the server may answer and close before the rest
        gone, data = closed_by_server(s, 5)
        check(gone and data.startswith(b"HTTP/1.1 431 "), "%d pieces: %r" % (pieces, data[:60]))
        out.append(pieces)
        s.close()
    answered_quickly(srv, "after a large head")
    return "a 20 KB head in 1 and 20 pieces: 431 and closed"


def case_garbage(srv):
    rnd = random.Random(17)
    for data in (bytes(rnd.randrange(256) for _ in range(300)) + b"\r\n\r\n",
                 b"\x16\x03\x01\x00\xc8\x01" + bytes(200) + b"\r\n\r\n",
                 b"GET / HTTP/9.9\r\n\r\n",
                 b"GET\r\n\r\n"):
        s = connect(srv.dash)
        s.sendall(data)
        gone, got = closed_by_server(s, 5)
        check(gone and got.startswith(b"HTTP/1.1 400 "), "%r...: %r" % (data[:8], got[:60]))
        s.close()
    s = connect(srv.dash)
    s.sendall(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd")
    gone, got = closed_by_server(s, 5)
    check(gone and got.startswith(b"HTTP/1.1 405 "), "POST: %r" % got[:60])
    s.close()
    answered_quickly(srv, "after garbage")
    return "random bytes, a ClientHello, HTTP/9.9, a bare method: 400; POST: 405"


def open_stream(port):
    s = connect(port)
    s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _ = read_response(s, head_only=True)
    return s, status, headers


def case_stream_cap(srv):
    capped = srv.capped
    streams = []
    for _ in range(3):
        s, st, h = open_stream(capped.dash)
        check(st == 200 and h.get("content-type") == "text/event-stream", "stream: %d" % st)
        streams.append(s)
    s, st, h = open_stream(capped.dash)
    check(st == 503 and h.get("retry-after") == "5" and h.get("connection") == "close",
          "a 4th stream: %d %s" % (st, h))
    gone, _ = closed_by_server(s, 5)
    check(gone, "the refused stream's connection stays open")
    s.close()
    s = connect(capped.dash)
    s.sendall(b"HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n")
    st, h, _ = read_response(s, head_only=True)
    check(st == 503 and h.get("retry-after") == "5", "HEAD /events at the cap: %d" % st)
    s.close()
    took, _ = real_request(capped)  # the page is still served
    streams.pop().close()
    check(wait_for(lambda: capped.stats()["dashboard_streams"] == 2, 10),
          "the closed stream is still counted")
    s, st, _ = open_stream(capped.dash)
    check(st == 200, "a stream after one closed: %d" % st)
    streams.append(s)
    for s in streams:
        s.close()
    nothing_left(capped)
    return "3 streams; the 4th and HEAD /events: 503, Retry-After: 5; room again after a close"


def connect_and_close(port, n, errors):
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.close()
        except OSError as e:
            errors.append(type(e).__name__)


def case_streams_not_reading(srv, n_conns=20000, n_idle_streams=20):
    """20 event streams that never read, and a reading one, while 20,000
    connections hit reset-on-accept: the server's RSS grows by at most
    16 MB, and the reader gets every connection's verdict and no loss."""
    port = srv.port["reset-on-accept"]
    for s in [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]:
        s.close()  # warm the connection pool
    wait_for(lambda: srv.stats()["connections"] == 0, 10)
    out = tempfile.NamedTemporaryFile(prefix="shakedown-events-", delete=False)
    reader = subprocess.Popen(["/usr/bin/curl", "-sSN", "http://127.0.0.1:%d/events" % srv.dash],
                              stdout=out, stderr=subprocess.PIPE)
    check(wait_for(lambda: srv.stats()["dashboard_streams"] == 1, 10), "the reader's stream")
    rss_before = srv.rss_kb()
    stuck = []
    for _ in range(n_idle_streams):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", srv.dash))
        s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        stuck.append(s)
    check(wait_for(lambda: srv.stats()["dashboard_streams"] == 1 + n_idle_streams, 10),
          "the never-reading streams")
    errors = []
    workers = [threading.Thread(target=connect_and_close, args=(port, n_conns // 4, errors))
               for _ in range(4)]
    for w in workers:
        w.start()
    peak = 0
    while any(w.is_alive() for w in workers):
        peak = max(peak, srv.rss_kb())
        time.sleep(0.2)
    for w in workers:
        w.join()
    # A connect can meet the reset meant for an earlier connection from
    # the same port: counted, at most 1%.
    check(len(errors) <= n_conns // 100, "%d of the %d connections failed to connect: %s" % (
        len(errors), n_conns, sorted(set(errors))))
    n_conns -= len(errors)

    def verdicts():
        out.flush()
        with open(out.name, "rb") as f:
            data = f.read()
        return data.count(b'"event":"verdict","scenario":"reset-on-accept"'), data
    if not wait_for(lambda: verdicts()[0] >= n_conns, 30):
        got, data = verdicts()
        raise Failure("the reader got %d of %d verdicts (%s; its stream %s)" % (
            got, n_conns, "some were lost" if b"event: lost" in data else "none lost",
            "is open" if reader.poll() is None else "ended"))
    peak = max(peak, srv.rss_kb())
    stats = srv.stats()
    held = stats["dashboard_stream_peak"]  # the most the streams ever held
    grew = (peak - rss_before) / 1024
    _, data = verdicts()
    check(b"event: lost" not in data, "the reader was told events were lost")
    if reader.poll() is not None:
        raise Failure("the reader's stream ended: %s" % reader.stderr.read())
    # The design's bound, whatever the build: 1 MiB behind the slowest
    # stream, plus the batch that put it there. The server keeps the
    # high-water mark, so a moment between two samples cannot hide.
    check(held <= 2 << 20, "%d bytes of events held for the streams" % held)
    # The bound on RSS is for the real server. A sanitizer build
    # pays shadow memory and redzones on every allocation the 20,000
    # connections make (19 MB seen in CI): its bound is four times that.
    bound = 64 if SANITIZED else 16
    check(grew <= bound, "RSS grew by %.1f MB, over %d MB (from %d KB to a peak of %d KB)" % (
        grew, bound, rss_before, peak))
    kept = stats["dashboard_streams"] - 1
    for s in stuck:
        s.close()
    reader.terminate()
    reader.wait()
    os.unlink(out.name)
    return ("%d connections, %d verdicts read, %d of %d never-reading streams still open, "
            "RSS +%.1f MB (bound %d MB%s), at most %d bytes of events held" % (
                n_conns, verdicts_count(data), kept, n_idle_streams, grew, bound,
                ", a sanitizer build" if SANITIZED else "", held))


def verdicts_count(data):
    return data.count(b'"event":"verdict","scenario":"reset-on-accept"')


CASES = [
    ("keepalive", case_keepalive),
    ("slow-heads", case_slow_heads),
    ("idle-flood", case_idle_flood),
    ("head-too-large", case_head_too_large),
    ("garbage", case_garbage),
    ("stream-cap", case_stream_cap),
    ("streams-not-reading", case_streams_not_reading),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        print("\n".join(name for name, _ in CASES))
        return 0
    cases = CASES
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - {n for n, _ in CASES}
        if unknown:
            ap.error("unknown case(s): %s" % ", ".join(sorted(unknown)))
        cases = [c for c in CASES if c[0] in wanted]
    if not os.path.exists(CA):
        print("no %s: run scripts/setup.sh" % CA, file=sys.stderr)
        return 77
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    binary = os.path.abspath(args.shakedown)
    global SANITIZED
    SANITIZED = b"libasan" in subprocess.run(["ldd", binary], capture_output=True).stdout
    if SANITIZED:
        os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "")
        # A sanitizer build keeps freed memory in a quarantine by design:
        # without it, RSS measures what the server holds.
        os.environ["ASAN_OPTIONS"] += ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    timeouts = ["--dashboard-header-timeout", str(HEADER_TIMEOUT),
                "--dashboard-keepalive-timeout", str(KEEPALIVE_TIMEOUT)]
    srv = Server(binary, timeouts + ["--only", "valid,reset-on-accept"])
    srv.capped = Server(binary, timeouts + ["--only", "valid", "--dashboard-max-streams", "3"])
    passed, died = 0, None
    t_all = time.monotonic()
    try:
        for name, fn in cases:
            t0 = time.monotonic()
            try:
                summary = fn(srv)
                answered_quickly(srv, "after the case")
                nothing_left(srv)
                passed += 1
                print("ok   %-20s %5.1fs  %s" % (name, time.monotonic() - t0, summary), flush=True)
            except (Failure, OSError) as e:
                print("FAIL %-20s %5.1fs  %s: %s" % (name, time.monotonic() - t0,
                                                     type(e).__name__, e), flush=True)
                if not isinstance(e, Failure):
                    traceback.print_exc()
                for s in (srv, srv.capped):
                    if s.proc.poll() is not None:
                        died = s.proc.returncode
                if died is not None:
                    print("FAIL a server died during %s: status %s" % (name, died))
                    break
        for s in (srv, srv.capped):
            if died is None:
                code = s.stop()
                if code != 0:
                    print("FAIL server exit status after SIGTERM: %s" % code)
                    passed = min(passed, len(cases) - 1)
        if passed < len(cases):
            print("---- server log (last 30 lines, cut at 300 characters) ----", file=sys.stderr)
            for line in srv.text().splitlines()[-30:]:
                print(line[:300], file=sys.stderr)
    finally:
        srv.close()
        srv.capped.close()
    print("%d of %d cases passed in %.1f s" % (passed, len(cases), time.monotonic() - t_all))
    return 0 if passed == len(cases) and died is None else 1


if __name__ == "__main__":
    sys.exit(main())
