#!/usr/bin/env python3
"""Soak: many connections spread over every scenario, faults included
(stalls and drips bounded by a short --max-stall, resets, alerts), from one
selectors loop of non-blocking sockets: most send a captured ClientHello
and read, reset, hang up or abandon; a share do real handshakes with
Python's ssl; some send nothing or junk.

Against a sanitizer build (detected from the binary, or --mode asan): no
sanitizer report in the server's output, exit 0 after SIGTERM (LeakSanitizer
runs then), as many "closed" events as "accepted". Against a release build:
the same counts, no connection left, RSS after the soak within 2 MB of RSS
after a warm-up, and the heap in use (glibc's count) within 64 KiB of the
heap after the warm-up; the server's malloc runs without its thread cache
and without trimming, so that both figures are exact. Prints the figures, one Markdown row at the end.

Usage: soak.py [--shakedown PATH] [--connections N] [--concurrency N]
               [--warmup N] [--tls-share F] [--mode auto|asan|release]"""
import argparse
import errno
import os
import random
import re
import selectors
import shutil
import signal
import socket
import ssl
import struct
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from server_process import ServerProcess, wait_for  # noqa: E402

CA = os.path.join(TOP, "certs", "ca.pem")
HELLOS = os.path.join(TOP, "tests", "fixtures", "clienthello")
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"runtime error:", b"LeakSanitizer",
                   b"ERROR: UndefinedBehaviorSanitizer")
MAX_STALL = 1          # seconds; bounds every stall and drip
TIMEOUT = 5            # --handshake-timeout and --idle-timeout
CLIENT_DEADLINE = 15.0  # a client gives up after this (it should never need to)
RSS_SLACK_KIB = 2048
# Bytes. The server runs with glibc's thread cache off, so that the heap in
# use is what the server holds (the chunks the cache keeps count as in use,
# and moved the figure by up to 240 KiB, which hid a leak of 1.7 KB every few
# hundred connections), and without trimming, so that RSS after the
# warm-up is the high-water mark it reached (trimming lowered it by
# megabytes, and the soak's RSS then seemed to grow).
HEAP_SLACK = 64 * 1024
MALLOC_TUNABLES = "glibc.malloc.tcache_count=0:glibc.malloc.trim_threshold=1073741824"
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux

# What a connection does, with its weight in the mix.
KINDS = [
    ("hello-read", 44),     # a ClientHello, the first answer, then close
    ("hello-wait", 1),      # a ClientHello, then read until the handshake timeout
    ("hello-reset", 10),    # a ClientHello, the first answer, then RST
    ("hello-abandon", 10),  # a ClientHello, then close at once
    ("partial-hello", 8),   # part of a ClientHello, then close
    ("silent", 8),          # connect and close (half FIN, half RST)
    ("junk", 4),            # bytes that are not TLS, then read
    ("tls", 14),            # Python's ssl: handshake and a GET (share set by --tls-share)
]


class Log:
    """Follows the server's log file: counts accepted and closed events,
    keeps the stats lines, and looks for sanitizer reports, reading each
    byte once (the log of 100,000 connections is a few hundred MB)."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.tail = b""
        self.accepted = self.closed = 0
        self.stats = []
        self.sanitizer = []

    def poll(self):
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            chunk = f.read()
            self.pos = f.tell()
        data = self.tail + chunk
        cut = data.rfind(b"\n") + 1
        lines, self.tail = data[:cut], data[cut:]
        self.accepted += lines.count(b'"event":"accepted"')
        self.closed += lines.count(b'"event":"closed"')
        for m in re.finditer(rb'"msg":"stats: connections=(\d+) heap_in_use=(\d+)', lines):
            self.stats.append((int(m.group(1)), int(m.group(2))))
        for mark in SANITIZER_MARKS:
            at = lines.find(mark)
            if at >= 0:
                start = lines.rfind(b"\n", 0, at) + 1
                self.sanitizer.append(lines[start:start + 400].decode(errors="replace"))
        return self


class Server(ServerProcess):
    def __init__(self, binary, args):
        super().__init__(binary, args, json_log=True)
        self.follow = Log(self.log_path)

    def stats(self):
        """(open connections, heap bytes in use), asked with SIGUSR1."""
        before = len(self.follow.poll().stats)
        self.proc.send_signal(signal.SIGUSR1)
        if not wait_for(lambda: len(self.follow.poll().stats) > before, 20):
            raise AssertionError("no stats line after SIGUSR1")
        return self.follow.stats[-1]

    def drained(self, timeout=30):
        """Waits until every accepted connection is closed and the server
        holds none; returns (open connections, heap in use)."""
        wait_for(lambda: self.follow.poll().closed >= self.follow.accepted, timeout)
        wait_for(lambda: self.stats()[0] == 0, timeout)
        return self.stats()


# ---- the clients -----------------------------------------------------------

class Conn:
    """One client connection, driven by the selectors loop."""
    __slots__ = ("sock", "kind", "scenario", "payload", "out", "deadline", "tls",
                 "inc", "outbio", "phase", "reply", "mode")

    def __init__(self, kind, scenario, payload, mode):
        self.kind, self.scenario, self.payload, self.mode = kind, scenario, payload, mode
        self.out = b""
        self.tls = None
        self.phase = "connect"
        self.reply = b""


class Engine:
    def __init__(self, srv, args, rng):
        self.srv = srv
        self.rng = rng
        self.sel = selectors.DefaultSelector()
        self.ctx = ssl.create_default_context(cafile=CA)
        self.names = sorted(srv.port)
        self.hellos = [open(os.path.join(HELLOS, f), "rb").read()
                       for f in sorted(os.listdir(HELLOS)) if f.endswith(".bin")]
        kinds = [(k, w) for k, w in KINDS if k != "tls"]
        rest = sum(w for _, w in kinds)
        tls_w = rest * args.tls_share / (1 - args.tls_share) if args.tls_share < 1 else 1
        self.kinds = [k for k, _ in kinds] + ["tls"]
        self.weights = [w for _, w in kinds] + [tls_w]
        self.concurrency = args.concurrency
        self.live = 0
        self.tally = {}
        self.valid_failures = []

    def count(self, key):
        self.tally[key] = self.tally.get(key, 0) + 1

    def start(self):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        name = self.rng.choice(self.names)
        hello = self.rng.choice(self.hellos)
        mode = self.rng.random()
        if kind == "partial-hello":
            payload = hello[:self.rng.randrange(1, len(hello))]
        elif kind == "junk":
            payload = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 600)))
        else:
            payload = hello
        c = Conn(kind, name, payload, mode)
        c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.sock.setblocking(False)
        # Source addresses across 127.0.0.0/8, the port picked at connect
        # time: the client's TIME_WAIT sockets then never crowd one
        # address's ephemeral ports (connect() slows down as they fill).
        c.sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        c.sock.bind(("127.0.%d.%d" % (self.rng.randrange(256), self.rng.randrange(1, 255)), 0))
        c.deadline = time.monotonic() + CLIENT_DEADLINE
        err = c.sock.connect_ex(("127.0.0.1", self.srv.port[name]))
        if err not in (0, errno.EINPROGRESS):
            self.finish(c, "connect-" + errno.errorcode.get(err, str(err)))
            return
        self.live += 1
        self.sel.register(c.sock, selectors.EVENT_WRITE, c)

    def finish(self, c, outcome, rst=False):
        c.phase = "done"
        try:
            self.sel.unregister(c.sock)
            self.live -= 1
        except (KeyError, ValueError):
            pass
        if rst:
            try:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        c.sock.close()
        self.count("%s: %s" % (c.kind, outcome))
        if c.kind == "tls" and c.scenario == "valid" and outcome != "200":
            self.valid_failures.append(outcome)

    def want(self, c, events):
        self.sel.modify(c.sock, events, c)

    def on_event(self, c, mask):
        if c.phase == "connect":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.finish(c, "connect-" + errno.errorcode.get(err, str(err)))
                return
            self.connected(c)
            return
        if c.kind == "tls":
            self.tls_step(c)
            return
        if mask & selectors.EVENT_WRITE and c.out:
            if not self.send(c):
                return
            if not c.out:
                self.sent(c)
            return
        if mask & selectors.EVENT_READ:
            self.receive(c)

    def connected(self, c):
        if c.kind == "silent":
            self.finish(c, "closed", rst=c.mode < 0.5)
            return
        if c.kind == "tls":
            c.inc, c.outbio = ssl.MemoryBIO(), ssl.MemoryBIO()
            c.tls = self.ctx.wrap_bio(c.inc, c.outbio, server_hostname="localhost")
            c.phase = "handshake"
            self.tls_step(c)
            return
        c.phase = "send"
        c.out = c.payload
        if self.send(c):
            if c.out:
                self.want(c, selectors.EVENT_WRITE)
            else:
                self.sent(c)

    def send(self, c):
        """Sends what it can of c.out; False when the connection ended."""
        try:
            n = c.sock.send(c.out)
            c.out = c.out[n:]
            return True
        except BlockingIOError:
            return True
        except OSError as e:
            self.finish(c, "send-" + errno.errorcode.get(e.errno, str(e.errno)))
            return False

    def sent(self, c):
        if c.kind in ("hello-abandon", "partial-hello"):
            self.finish(c, "hung up")
            return
        c.phase = "read"
        self.want(c, selectors.EVENT_READ)

    def receive(self, c):
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except ConnectionResetError:
            self.finish(c, "rst")
            return
        except OSError as e:
            self.finish(c, "recv-" + errno.errorcode.get(e.errno, str(e.errno)))
            return
        if not data:
            self.finish(c, "eof")
        elif c.kind == "hello-reset":
            self.finish(c, "answered, then reset", rst=True)
        elif c.kind == "hello-read":
            self.finish(c, "answered, then closed")

    # A TLS client on memory BIOs: handshake, request, read to the end.
    def tls_step(self, c):
        try:
            while True:
                self.tls_flush(c)
                if c.phase == "handshake":
                    c.tls.do_handshake()
                    c.tls.write(REQUEST)
                    c.phase = "response"
                    continue
                d = c.tls.read(65536)
                if not d:
                    raise ssl.SSLZeroReturnError()
                c.reply += d
        except ssl.SSLWantReadError:
            if not self.tls_flush(c):
                return
            if c.out:
                self.want(c, selectors.EVENT_READ | selectors.EVENT_WRITE)
                return
            self.tls_fill(c)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            self.tls_done(c)
        except ssl.SSLError as e:
            self.finish(c, "tls %s" % (e.reason or type(e).__name__).lower())

    def tls_flush(self, c):
        c.out += c.outbio.read()
        if c.out:
            return self.send(c)
        return True

    def tls_fill(self, c):
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            self.want(c, selectors.EVENT_READ)
            return
        except OSError:
            self.tls_done(c, reset=True)
            return
        if data:
            c.inc.write(data)
            self.tls_step(c)
        else:
            c.inc.write_eof()
            self.tls_step(c)

    def tls_done(self, c, reset=False):
        if c.phase == "handshake":
            self.finish(c, "reset in the handshake" if reset else "eof in the handshake")
        else:
            m = re.match(rb"HTTP/1\.1 (\d+)", c.reply)
            self.finish(c, m.group(1).decode() if m else
                        ("reset after the handshake" if reset else "no response"))

    def expire(self, now):
        for key in list(self.sel.get_map().values()):
            c = key.data
            if now > c.deadline:
                self.finish(c, "client deadline")

    def run(self, n, progress=None):
        started = 0
        self.last_report = (time.monotonic(), 0)
        next_expire = time.monotonic() + 0.5
        while started < n or self.live:
            while started < n and self.live < self.concurrency:
                self.start()
                started += 1
                if progress and started % progress == 0:
                    self.report(started)
            for key, mask in self.sel.select(timeout=0.2):
                c = key.data
                if c.phase != "done":
                    self.on_event(c, mask)
            now = time.monotonic()
            if now > next_expire:
                self.expire(now)
                next_expire = now + 0.5
                if self.srv.proc.poll() is not None:
                    raise AssertionError("the server died after %d connections: %s"
                                         % (started, exit_text(self.srv.proc.returncode)))

    def stampede(self, n):
        """n ClientHellos sent at once, each connection closed as soon as it
        is sent: the server handles them all in a few loop iterations, the
        most it ever holds. The soak's warm-up ends with one, so that the
        allocator's high-water mark is reached before RSS is measured."""
        socks = []
        for i in range(n):
            s = socket.socket()
            s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind(("127.0.%d.%d" % (self.rng.randrange(256), self.rng.randrange(1, 255)), 0))
            s.connect(("127.0.0.1", self.srv.port[self.names[i % len(self.names)]]))
            socks.append(s)
        for i, s in enumerate(socks):
            try:
                s.send(self.hellos[i % len(self.hellos)])
            except OSError:
                pass
        for s in socks:
            s.close()

    def report(self, started):
        f = self.srv.follow.poll()
        now = time.monotonic()
        last = self.last_report
        rate = (started - last[1]) / max(now - last[0], 1e-6)
        self.last_report = (now, started)
        print("  ... %d started (%.0f/s); server: %d accepted, %d closed"
              % (started, rate, f.accepted, f.closed), flush=True)


# ---- the run ---------------------------------------------------------------

def exit_text(code):
    if code < 0:
        return "killed by %s" % signal.Signals(-code).name
    return "exit status %d" % code


def cpu_seconds(pid):
    """User plus system CPU time of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_sanitized(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def kib(n):
    return "{:,} KiB".format(n).replace(",", " ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    ap.add_argument("--connections", type=int, default=100000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--stampede", type=int, default=1000,
                    help="ClientHellos sent at once at the end of the warm-up (1000)")
    ap.add_argument("--tls-share", type=float, default=0.1,
                    help="share of connections that are real Python ssl handshakes (0.1)")
    ap.add_argument("--mode", choices=("auto", "asan", "release"), default="auto")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-log", metavar="FILE",
                    help="copy the server's log (JSON events, sanitizer output) to FILE")
    ap.add_argument("--exclude", default="",
                    help="scenarios left out of the mix, comma-separated")
    args = ap.parse_args()
    binary = os.path.abspath(args.shakedown)
    if not os.path.exists(CA):
        print("no %s: run scripts/setup.sh" % CA, file=sys.stderr)
        return 77
    mode = args.mode if args.mode != "auto" else ("asan" if is_sanitized(binary) else "release")
    if mode == "asan":
        os.environ["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1"
        os.environ["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    else:
        os.environ["GLIBC_TUNABLES"] = ":".join(
            filter(None, [os.environ.get("GLIBC_TUNABLES"), MALLOC_TUNABLES]))
    try:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass

    # Timeouts long enough for a sanitizer build on a busy machine, whose
    # loop can lag a second behind: a real handshake must not time out.
    try:
        srv = Server(binary, ["--max-stall", str(MAX_STALL), "--handshake-timeout",
                              str(TIMEOUT), "--idle-timeout", str(TIMEOUT)])
    except AssertionError as e:
        print("FAIL the server did not start: %s" % e)
        return 1
    failures = []
    rng = random.Random(args.seed)
    engine = Engine(srv, args, rng)
    for name in filter(None, args.exclude.split(",")):
        if name not in engine.names:
            ap.error("--exclude: no scenario %r" % name)
        engine.names.remove(name)
    print("soak: %s build (%s), %d scenarios, %d connections, concurrency %d, "
          "%.0f%% real handshakes" % (mode, binary, len(engine.names), args.connections,
                                      args.concurrency, 100 * args.tls_share), flush=True)
    try:
        t0 = time.monotonic()
        engine.run(args.warmup)
        engine.stampede(args.stampede)
        conns, heap_warm = srv.drained()
        rss_warm = srv.rss_kb()
        print("warm-up: %d connections and a stampede of %d in %.1f s; RSS %s, heap in "
              "use %d bytes" % (args.warmup, args.stampede, time.monotonic() - t0,
                                kib(rss_warm), heap_warm), flush=True)
        accepted_before = srv.follow.accepted

        t0 = time.monotonic()
        cpu0 = cpu_seconds(srv.proc.pid), time.process_time()
        engine.tally = {}
        engine.run(args.connections, progress=max(args.connections // 10, 1))
        duration = time.monotonic() - t0
        cpu = cpu_seconds(srv.proc.pid) - cpu0[0], time.process_time() - cpu0[1]
        conns, heap_after = srv.drained(60)
        rss_after = srv.rss_kb()
        f = srv.follow.poll()
        accepted = f.accepted - accepted_before
        rate = args.connections / duration
        print("soak: %d connections in %.1f s: %.0f connections/s; CPU: server %.1f s, "
              "client %.1f s" % (args.connections, duration, rate, cpu[0], cpu[1]))
        print("server: %d accepted, %d closed in all; %d open at the end"
              % (f.accepted, f.closed, conns))
        print("RSS after the warm-up %s, after the soak %s (%+d KiB); heap in use %d -> %d bytes"
              % (kib(rss_warm), kib(rss_after), rss_after - rss_warm, heap_warm, heap_after))
        print("client outcomes:")
        for key in sorted(engine.tally):
            print("  %-48s %7d" % (key, engine.tally[key]))

        refused = sum(n for k, n in engine.tally.items() if k.endswith("connect-ECONNREFUSED"))
        if accepted != args.connections - refused:
            failures.append("%d connections made (%d refused), %d accepted"
                            % (args.connections, refused, accepted))
        if f.closed != f.accepted:
            failures.append("%d accepted but %d closed" % (f.accepted, f.closed))
        if conns != 0:
            failures.append("%d connections still open" % conns)
        if engine.valid_failures:
            failures.append("%d real handshakes to valid failed: %s"
                            % (len(engine.valid_failures), sorted(set(engine.valid_failures))))
        if any(k.endswith("client deadline") for k in engine.tally):
            failures.append("some connections outlived the client's %.0f s deadline"
                            % CLIENT_DEADLINE)
        if mode == "release" and rss_after - rss_warm > RSS_SLACK_KIB:
            failures.append("RSS grew by %d KiB (limit %d)" % (rss_after - rss_warm,
                                                               RSS_SLACK_KIB))
        if mode == "release" and heap_after - heap_warm > HEAP_SLACK:
            failures.append("heap in use grew by %d bytes (limit %d): a leak; valgrind's "
                            "vgdb 'leak_check full reachable increased' between two "
                            "points of a run names the allocation"
                            % (heap_after - heap_warm, HEAP_SLACK))
        if srv.proc.poll() is not None:
            failures.append("the server died: %s" % exit_text(srv.proc.returncode))
        else:
            code = srv.stop()
            if code != 0:
                failures.append("%s after SIGTERM" % exit_text(code))
        f.poll()
        if f.sanitizer:
            failures.append("%d sanitizer report(s); first: %s" % (len(f.sanitizer),
                                                                   f.sanitizer[0]))
        print()
        print("| build | connections | duration | connections/s | RSS after warm-up "
              "| RSS after soak | heap in use (warm-up / soak) |")
        print("|---|---|---|---|---|---|---|")
        print("| %s | %d | %.0f s | %.0f | %s | %s | %d / %d bytes |"
              % (mode, args.connections, duration, rate, kib(rss_warm), kib(rss_after),
                 heap_warm, heap_after))
    except AssertionError as e:
        failures.append(str(e))
    finally:
        if failures:
            print("---- server log (last 30 lines, cut at 300 characters) ----",
                  file=sys.stderr)
            with open(srv.log_path, "rb") as log:
                log.seek(max(0, os.path.getsize(srv.log_path) - 200000))
                for line in log.read().decode(errors="replace").splitlines()[-30:]:
                    print(line[:300], file=sys.stderr)
        if args.keep_log:
            if not srv.log.closed:
                srv.log.flush()
            shutil.copyfile(srv.log_path, args.keep_log)
        srv.close()
    for msg in failures:
        print("FAIL " + msg)
    print("soak: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
