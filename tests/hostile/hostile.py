#!/usr/bin/env python3
"""Hostile clients against the real server: random bytes, an SSLv2 hello,
a record header and then silence, a ClientHello in one-byte segments or in
many records, a 64 KB ClientHello, a hang-up at every byte offset of a full
handshake, plain HTTP, a half-close, a burst of 5,000 connect-and-close,
idle connections, more connections than --max-connections; and in every
plaintext dialogue (--protocol smtp, imap, pop3, ftp, postgres, mysql)
garbage, a 1 MB line, a pipelined flood and a hang-up mid-dialogue, and
the same after TLS over implicit SMTPS. Each case checks the close reasons
the trace gives, then that the server still completes a real handshake
(and each dialogue server its dialogue) and that no connection is left
open. One line per case; exit 1 on any failure.

Usage: hostile.py [--shakedown PATH] [--only CASE[,CASE]] [--list]"""
import argparse
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from server_process import ServerProcess, wait_for  # noqa: E402

CA = os.path.join(TOP, "certs", "ca.pem")
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
HANDSHAKE_TIMEOUT = 2
MAX_CONNECTIONS = 300
PEER_GONE = "client closed during the handshake"
PEER_RESET = "client reset the connection"
HELLO_CUT = "client closed before its ClientHello was complete"
WRITE_FAILED = "write failed"


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# ---- the server and its JSON trace ----------------------------------------

class Server(ServerProcess):
    """ServerProcess with an incremental, indexed reader of the JSON log:
    the hostile cases make tens of thousands of events."""

    def __init__(self, binary, args):
        super().__init__(binary, args, json_log=True)
        self.pos = 0
        self.partial = ""
        self.conns = {}         # (scenario, id) -> [events]
        self.accepted = []      # accepted events, in order
        self.closed = 0
        self.info = []

    def poll(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            f.seek(self.pos)
            chunk = f.read()
            self.pos = f.tell()
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()
        for line in lines:
            if not line.startswith("{"):
                continue
            e = json.loads(line)
            if e["event"] == "info":
                self.info.append(e)
                continue
            self.conns.setdefault((e["scenario"], e["id"]), []).append(e)
            if e["event"] == "accepted":
                self.accepted.append(e)
            elif e["event"] == "closed":
                self.closed += 1

    def stats(self):
        self.poll()
        before = len(self.info)
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.poll() or len(self.info) > before, 10)
        check(len(self.info) > before, "no stats line after SIGUSR1")
        fields = dict(f.split("=") for f in self.info[-1]["msg"].split()[1:])
        return int(fields["connections"]), int(fields["heap_in_use"])

    def by_port(self, local_port):
        """The events of the last connection from this client port, or
        None."""
        self.poll()
        peer = "127.0.0.1:%d" % local_port
        for a in reversed(self.accepted):
            if a["peer"] == peer:
                return self.conns[(a["scenario"], a["id"])]
        return None

    def settle(self, open_at_most, timeout=20):
        """Waits until at most open_at_most connections the trace has
        seen accepted are still open: a client that outruns a loaded
        server would otherwise meet --max-connections."""
        wait_for(lambda: self.poll() or len(self.accepted) - self.closed <= open_at_most,
                 timeout)

    def mark(self):
        """A point in the trace: connections accepted after it are 'new'."""
        self.poll()
        return len(self.accepted)

    def conns_since(self, mark, timeout=15, count=None):
        """Event lists of the connections accepted since mark, once each
        has its verdict (the last event of a connection)."""
        def done():
            self.poll()
            new = self.accepted[mark:]
            if count is not None and len(new) < count:
                return False
            return all(self.conns[(a["scenario"], a["id"])][-1]["event"] == "verdict"
                       for a in new)
        ok = wait_for(done, timeout)
        new = self.accepted[mark:]
        check(ok, "%d of %d connections not closed within %d s (expected %s)"
              % (sum(self.conns[(a["scenario"], a["id"])][-1]["event"] != "verdict"
                     for a in new), len(new), timeout, count))
        return [self.conns[(a["scenario"], a["id"])] for a in new]

    def conn_of(self, mark, local_ports, timeout=15):
        """Event lists of the connections from these client ports (in the
        order given) among those accepted since mark, once each is closed.
        A port seen twice is matched in order; a connection reset before
        the server's accept has no peer address ("?:0") and takes the
        place of a port that has no accepted event."""
        def match():
            by_peer = {}
            for a in self.accepted[mark:]:
                by_peer.setdefault(a["peer"], []).append(self.conns[(a["scenario"], a["id"])])
            unknown = by_peer.pop("?:0", [])
            out = []
            for port in local_ports:
                lst = by_peer.get("127.0.0.1:%d" % port) or unknown
                out.append(lst.pop(0) if lst else None)
            return out

        def done():
            self.poll()
            return all(ev is not None and ev[-1]["event"] == "verdict" for ev in match())
        wait_for(done, timeout)
        out = match()
        missing = [p for p, ev in zip(local_ports, out) if ev is None]
        check(not missing, "no accepted event for client port(s) %s" % missing[:5])
        open_ = sum(ev[-1]["event"] != "verdict" for ev in out)
        check(not open_, "%d of %d connections not closed within %d s" % (open_, len(out), timeout))
        return out


def one(ev, name):
    """The single event called name in a connection's events."""
    found = [e for e in ev if e["event"] == name]
    check(len(found) == 1, "expected one %r event, got %d: %s" % (name, len(found), names(ev)))
    return found[0]


def names(ev):
    return [e["event"] for e in ev]


def expect_close(ev, reason, close=None):
    c = one(ev, "closed")
    reasons = reason if isinstance(reason, (tuple, list, set)) else (reason,)
    check(c["reason"] in reasons, "closed with reason %r (detail %r), expected %s"
          % (c["reason"], c.get("detail"), " or ".join(map(repr, reasons))))
    if close is not None:
        closes = close if isinstance(close, (tuple, list, set)) else (close,)
        check(c["close"] in closes, "closed by %r, expected %s" % (c["close"], closes))
    return c


# ---- client helpers --------------------------------------------------------

def client_context(max_version=None):
    ctx = ssl.create_default_context(cafile=CA)
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def connect(port):
    """A connected socket (TCP_NODELAY) and its local port, which names
    the connection in the trace's accepted event."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s, s.getsockname()[1]


def reset_close(s):
    """close() that sends RST (SO_LINGER with a zero timeout)."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def read_all(s, limit=1 << 20):
    """Everything until EOF; ('rst', data) when the peer reset."""
    data = b""
    try:
        while len(data) < limit:
            d = s.recv(65536)
            if not d:
                return "eof", data
            data += d
    except ConnectionResetError:
        return "rst", data
    except socket.timeout:
        return "timeout", data
    return "limit", data


class Budget(Exception):
    """The client's byte budget ran out: the connection was closed."""


class TlsClient:
    """Python's TLS over a socket we drive ourselves (ssl.SSLObject on
    memory BIOs), so that the bytes can be cut, split and re-framed."""

    def __init__(self, sock, ctx, budget=None, hostname="localhost"):
        self.sock = sock
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname=hostname)
        self.budget = budget
        self.sent = 0
        self.reframe = None     # function(bytes) -> bytes for the next flush
        self.segment = None     # bytes per send() for the next flush

    def flush(self):
        data = self.out.read()
        if not data:
            return
        if self.reframe is not None:
            data, self.reframe = self.reframe(data), None
        if self.budget is not None and self.sent + len(data) > self.budget:
            self.sock.sendall(data[:self.budget - self.sent])
            self.sent = self.budget
            self.sock.close()
            raise Budget()
        if self.segment:
            step, self.segment = self.segment, None
            for i in range(0, len(data), step):
                self.sock.send(data[i:i + step])
                time.sleep(0.0002)  # one segment each, not coalesced
        else:
            self.sock.sendall(data)
        self.sent += len(data)

    def fill(self):
        d = self.sock.recv(65536)
        if d:
            self.inc.write(d)
        else:
            self.inc.write_eof()

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                self.fill()

    def get(self, request=REQUEST):
        """Sends request, returns the clear-text reply up to close_notify
        or EOF."""
        self.obj.write(request)
        self.flush()
        reply = b""
        while True:
            try:
                d = self.obj.read(65536)
                if not d:
                    return reply
                reply += d
            except ssl.SSLWantReadError:
                self.flush()
                self.fill()
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                return reply


def hello_record():
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context().wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def records(data):
    """Splits a byte string of whole TLS records into (type, payload)."""
    out, pos = [], 0
    while pos < len(data):
        check(len(data) - pos >= 5, "truncated record header")
        typ, length = data[pos], struct.unpack(">H", data[pos + 3:pos + 5])[0]
        out.append((typ, data[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return out


def frame(typ, payload, sizes, version=b"\x03\x01"):
    """payload as consecutive records of the given sizes (the last size
    repeats)."""
    out, pos, i = b"", 0, 0
    while pos < len(payload):
        n = sizes[min(i, len(sizes) - 1)]
        out += bytes([typ]) + version + struct.pack(">H", len(payload[pos:pos + n])) \
            + payload[pos:pos + n]
        pos += n
        i += 1
    return out, i


def padded_hello(body_size, extra_suites=0):
    """A real ClientHello grown to a handshake body of body_size bytes with
    a padding extension (RFC 7685; OpenSSL's own, when present, is
    replaced) and extra_suites unassigned cipher suites, framed in records
    of 16384 bytes."""
    (typ, msg), = records(hello_record())
    check(msg[0] == 1, "not a ClientHello")
    body = msg[4:]
    pos = 2 + 32
    pos += 1 + body[pos]                                      # session id
    n_suites = struct.unpack(">H", body[pos:pos + 2])[0]
    suites = body[pos + 2:pos + 2 + n_suites] + b"\xfe\xfe" * extra_suites
    head = body[:pos] + struct.pack(">H", len(suites)) + suites
    pos += 2 + n_suites
    head += body[pos:pos + 1 + body[pos]]                     # compression
    pos += 1 + body[pos]
    exts, rest = b"", body[pos + 2:]
    while rest:
        etype, elen = struct.unpack(">HH", rest[:4])
        if etype != 21:
            exts += rest[:4 + elen]
        rest = rest[4 + elen:]
    pad = body_size - (len(head) + 2 + len(exts) + 4)
    check(0 <= pad and len(exts) + 4 + pad <= 0xffff, "cannot pad to %d" % body_size)
    exts += struct.pack(">HH", 21, pad) + bytes(pad)
    body = head + struct.pack(">H", len(exts)) + exts
    check(len(body) == body_size, "padded to %d, not %d" % (len(body), body_size))
    msg = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return frame(22, msg, [16384])[0]


# ---- the checks after every case ------------------------------------------

def still_serves(srv):
    """A normal client completes a handshake and gets the page."""
    ctx = client_context()
    with socket.create_connection(("127.0.0.1", srv.port["valid"]), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(REQUEST)
            reply = b""
            while True:
                try:
                    d = s.recv(65536)
                except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                    break
                if not d:
                    break
                reply += d
    check(reply.startswith(b"HTTP/1.1 200"), "valid: reply %r" % reply[:60])
    check(b"shakedown scenario: valid" in reply, "valid: page does not name the scenario")


def nothing_left(srv, timeout=20):
    """Every accepted connection closed, and the server holds none."""
    ok = wait_for(lambda: srv.poll() or len(srv.accepted) == srv.closed, timeout)
    check(ok, "%d accepted, %d closed after %d s" % (len(srv.accepted), srv.closed, timeout))
    ok = wait_for(lambda: srv.stats()[0] == 0, timeout)
    check(ok, "server still holds %d connections" % srv.stats()[0])


# ---- the cases -------------------------------------------------------------
# Each takes the server, raises Failure, and returns a one-line summary.

def exchange(srv, data, scenario="valid", limit=1 << 20, shut=False):
    """Connects, sends data (then SHUT_WR when shut), reads until the
    server ends the connection, hangs up. Returns (client port, how the
    server ended it as the client saw it, the bytes received)."""
    s, port = connect(srv.port[scenario])
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        how, got = read_all(s, limit)
    finally:
        s.close()
    return port, how, got


def case_random_bytes(srv):
    rng = random.Random(7)
    # Not 0x16 (a handshake record) and not 0x80+ (an SSLv2 header).
    noise = bytes([0x42]) + bytes(rng.randrange(256) for _ in range(1023))
    inside = bytes(rng.randrange(256) for _ in range(300))
    # Random bytes inside a well-formed record and ClientHello header.
    hello = b"\x16\x03\x01" + struct.pack(">H", len(inside) + 4) + b"\x01\x00" \
        + struct.pack(">H", len(inside)) + inside
    mark = srv.mark()
    seen = [exchange(srv, noise), exchange(srv, hello)]
    first, second = srv.conn_of(mark, [p for p, _, _ in seen])
    check(one(first, "client_hello").get("error") == "first byte is not a TLS handshake record",
          "random bytes: %s" % one(first, "client_hello"))
    check(one(second, "client_hello").get("error"), "a random hello body was understood")
    for ev, (_, how, got) in zip((first, second), seen):
        check(one(ev, "handshake")["ok"] is False, "the handshake did not fail")
        c = expect_close(ev, "handshake failed", "fin")
        check(how == "eof" and len(got) == c["bytes_out"],
              "client saw %s after %d bytes, server sent %d" % (how, len(got), c["bytes_out"]))
    return "FIN: %s; in a hello record: %s" % (
        one(first, "handshake")["error"].split("; ")[-1], one(second, "client_hello")["error"])


def case_sslv2_hello(srv):
    # An SSLv2-format ClientHello (RFC 5246 appendix E.2) offering TLS 1.0:
    # msg_type 1, version 3.1, three cipher specs, no session id, a
    # 16-byte challenge.
    specs = bytes.fromhex("00002f" "000035" "010080")
    body = b"\x01\x03\x01" + struct.pack(">HHH", len(specs), 0, 16) + specs + bytes(range(16))
    mark = srv.mark()
    port, how, got = exchange(srv, struct.pack(">H", 0x8000 | len(body)) + body)
    ev, = srv.conn_of(mark, [port])
    check(one(ev, "client_hello").get("error") == "SSLv2-format ClientHello",
          "client_hello: %s" % one(ev, "client_hello"))
    c = expect_close(ev, "handshake failed", "fin")
    check(how == "eof" and len(got) == c["bytes_out"], "client saw %s %r" % (how, got[:8]))
    return "FIN: %s" % c["detail"]


def case_record_header_then_nothing(srv):
    mark = srv.mark()
    # 16385 bytes claimed (over 2^14, under the 18432 the parser allows),
    # then silence: only the handshake timeout ends it.
    t0 = time.monotonic()
    port, how, _ = exchange(srv, b"\x16\x03\x01\x40\x01")
    waited = time.monotonic() - t0
    # 65535 claimed: over any legal record, refused at once.
    port2, how2, _ = exchange(srv, b"\x16\x03\x01\xff\xff")
    ev, ev2 = srv.conn_of(mark, [port, port2])
    c = expect_close(ev, "handshake timed out", "timeout-rst")
    check(how == "rst", "client saw %s, not RST" % how)
    check(HANDSHAKE_TIMEOUT * 1000 <= c["ms"] < HANDSHAKE_TIMEOUT * 1000 + 1500,
          "closed after %d ms" % c["ms"])
    check(one(ev2, "client_hello").get("error") == "record length is zero or over 18432",
          "65535 claimed: %s" % one(ev2, "client_hello"))
    expect_close(ev2, "handshake failed", "fin")
    check(how2 == "eof", "65535 claimed: client saw %s" % how2)
    return "16385 claimed: RST by the handshake timeout at %d ms (client waited %.1f s); " \
        "65535 claimed: FIN at once" % (c["ms"], waited)


def served(srv, mark, port):
    """The events of the connection from port, which must have completed
    its handshake and been served 200."""
    ev, = srv.conn_of(mark, [port])
    h = one(ev, "handshake")
    check(h["ok"], "handshake failed: %s" % h.get("error"))
    check(one(ev, "request")["status"] == 200, "request not answered 200")
    expect_close(ev, "handshake completed, page served", "fin")
    return ev


def real_handshake(srv, setup, ctx=None):
    """A full handshake and request through TlsClient, after setup(t);
    returns the client port and the reply."""
    s, port = connect(srv.port["valid"])
    try:
        t = TlsClient(s, ctx or client_context())
        setup(t)
        t.handshake()
        return port, t.get()
    finally:
        s.close()


def page_ok(reply):
    check(reply.startswith(b"HTTP/1.1 200") and b"shakedown scenario: valid" in reply,
          "reply %r" % reply[:60])


def case_one_byte_segments(srv):
    mark = srv.mark()
    port, reply = real_handshake(srv, lambda t: setattr(t, "segment", 1))
    page_ok(reply)
    ev = served(srv, mark, port)
    ch = one(ev, "client_hello")
    check(ch["sni"] == "localhost" and ch["records"] == 1, "client_hello: %s" % ch)
    return "ClientHello in %d one-byte segments, then %s and 200" % (
        len(hello_record()), one(ev, "handshake")["version"])


def case_hello_in_many_records(srv):
    done = []
    # Record sizes (the last repeats): whole 4-byte handshake header first,
    # then small records; one-byte records; the header itself split.
    for sizes in ([4, 64], [64], [300, 1], [1, 3, 64]):
        n_records = []

        def reframe(data, sizes=sizes):
            (typ, payload), = records(data)
            out, n = frame(typ, payload, sizes, data[1:3])
            n_records.append(n)
            return out
        mark = srv.mark()
        try:
            port, reply = real_handshake(srv, lambda t: setattr(t, "reframe", reframe))
        except (ssl.SSLError, OSError) as e:
            port, reply = None, repr(e)
        if sizes[0] < 4:
            # wolfSSL 5.5.4 needs the whole handshake header in the first
            # record (RFC 8446 section 5.1 allows any split): it fails with
            # a parse error. Either outcome is clean; report which.
            ev = srv.conns_since(mark, count=1)[0]
            c = one(ev, "closed")
            if c["reason"] == "handshake completed, page served":
                done.append("header split: served")
            else:
                check(one(ev, "client_hello")["records"] == n_records[0],
                      "records miscounted: %s" % one(ev, "client_hello"))
                expect_close(ev, "handshake failed", "fin")
                done.append("header split over %d records: refused (%s)"
                            % (n_records[0], c["detail"]))
            continue
        check(port is not None, "sizes %s: %s" % (sizes, reply))
        page_ok(reply)
        ev = served(srv, mark, port)
        ch = one(ev, "client_hello")
        check(ch["records"] == n_records[0],
              "the trace counts %s records, %d were sent" % (ch["records"], n_records[0]))
        done.append("%d records: served" % n_records[0])
    return "; ".join(done)


MAX_CLIENT_HELLO = 65536
# Two records' worth, and below the bound wolfSSL keeps on any handshake
# message (about 18 KB, README.md), whatever its exact value in a build.
LARGE_SERVED = 17000
OVER_LIMIT = "ClientHello exceeds the --max-client-hello limit"
# How the trace reports wolfSSL's refusal of an over-long message: its own
# words, with its error code, whichever number that is.
TOO_LARGE = re.compile(r"^handshake message too large.*\(wolfSSL error -\d+\)$", re.I)


def case_large_hello(srv):
    out = []

    def send(data):
        mark = srv.mark()
        port, how, got = exchange(srv, data, limit=1)
        ev, = srv.conn_of(mark, [port])
        return ev, how, got

    # Under wolfSSL's own bound on a handshake message: served.
    ev, how, got = send(padded_hello(LARGE_SERVED))
    ch = one(ev, "client_hello")
    check("error" not in ch and ch["sni"] == "localhost" and ch["records"] == 2,
          "%d-byte hello: %s" % (LARGE_SERVED, ch))
    check("server_flight" in names(ev) and got[:1] == b"\x16",
          "%d-byte hello not answered: %s; client saw %s %r"
          % (LARGE_SERVED, names(ev), how, got[:8]))
    out.append("%d bytes: served" % LARGE_SERVED)
    # At the limit: parsed by shakedown, refused by wolfSSL, whose bound is
    # far lower, as a message too large; no alert is sent, only a FIN.
    ev, how, got = send(padded_hello(MAX_CLIENT_HELLO))
    check("error" not in one(ev, "client_hello"), "65536-byte hello not parsed")
    c = expect_close(ev, "handshake failed", "fin")
    check(TOO_LARGE.match(c["detail"]) and not got,
          "65536-byte hello: %s; client got %r" % (c["detail"], got[:8]))
    out.append("%d bytes: FIN, %s" % (MAX_CLIENT_HELLO, c["detail"]))
    # One byte over, and far over (the suite list grown too): reset as
    # soon as the first record's head declares the length.
    for size, data in ((MAX_CLIENT_HELLO + 1, padded_hello(MAX_CLIENT_HELLO + 1)),
                       (70000, padded_hello(70000, extra_suites=4000))):
        ev, how, got = send(data)
        c = expect_close(ev, OVER_LIMIT, "rst")
        check(c["detail"] == "ClientHello of %d bytes, limit %d" % (size, MAX_CLIENT_HELLO),
              "detail %r" % c["detail"])
        check("client_hello" not in names(ev) and not got, "events %s, client got %r"
              % (names(ev), got[:8]))
        check(how == "rst", "client saw %s" % how)
        out.append("%d bytes: RST (%s)" % (size, c["detail"]))
    # 140000 bytes declared: over the parser's own 128 KiB bound, which
    # answers before the limit does.
    ev, how, got = send(b"\x16\x03\x01\x40\x00\x01" + struct.pack(">I", 140000)[1:]
                        + b"\x03\x03" + bytes(16378))
    c = one(ev, "closed")
    if c["reason"] != OVER_LIMIT:
        check(one(ev, "client_hello").get("error") == "ClientHello is longer than 128 KiB",
              "140000 declared: %s" % one(ev, "client_hello"))
        expect_close(ev, "handshake failed", "fin")
    out.append("140000 declared: %s, %s" % (c["close"], c["reason"]))
    return "; ".join(out)


def client_flights(srv, ctx):
    """Where each of the client's flights ends in its byte stream, in a
    full handshake and request."""
    s, _ = connect(srv.port["valid"])
    try:
        t = TlsClient(s, ctx)
        ends = []
        flush = t.flush

        def counting_flush():
            before = t.sent
            flush()
            if t.sent > before:
                ends.append(t.sent)
        t.flush = counting_flush
        t.handshake()
        t.get()
    finally:
        s.close()
    return ends


def cut_at(srv, ctx, k, rst):
    """A real handshake and request whose client stops after k bytes and
    hangs up (with RST when rst). Returns the client port."""
    s, port = connect(srv.port["valid"])
    if rst:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        if k > 0:
            t = TlsClient(s, ctx, budget=k)
            t.handshake()
            t.get()
    except Budget:
        pass
    finally:
        s.close()
    return port


def case_disconnect_at_every_offset(srv):
    out, total = [], 0
    for label, ctx in (("TLS 1.3", client_context()),
                       ("TLS 1.2", client_context(ssl.TLSVersion.TLSv1_2))):
        ends = client_flights(srv, ctx)
        # The ClientHello, the client's Finished flight, the request.
        check(len(ends) == 3, "%s: the client's flights end at %s" % (label, ends))
        hello_end, finished_end, request_end = ends
        mark = srv.mark()
        cuts = [(k, rst) for k in range(request_end + 1) for rst in (False, True)
                if not rst or k % 5 == 0]  # every offset with FIN, every 5th with RST
        ports = []
        for i, (k, rst) in enumerate(cuts):
            if i % 50 == 49:
                srv.settle(MAX_CONNECTIONS // 3)
            ports.append(cut_at(srv, ctx, k, rst))
        for (k, rst), ev in zip(cuts, srv.conn_of(mark, ports, timeout=30)):
            if k < hello_end:
                # A reset that lands before the server reads can look
                # like a FIN to it (the kernel reports the data, then EOF).
                allowed = {PEER_RESET, HELLO_CUT} if rst else {HELLO_CUT}
            elif k < finished_end:
                # The server has answered the hello; a client that hangs
                # up with that answer unread resets, and a reset can meet
                # the server's next write.
                allowed = {PEER_GONE, PEER_RESET, WRITE_FAILED}
            elif k < request_end:
                allowed = {"client closed without a request", PEER_RESET, WRITE_FAILED}
            else:
                allowed = {"handshake completed, page served"}
            c = one(ev, "closed")
            check(c["reason"] in allowed, "%s, cut after byte %d of %d (%s): %r (%s), expected %s"
                  % (label, k, request_end, "RST" if rst else "FIN", c["reason"],
                     c.get("detail"), " or ".join(sorted(allowed))))
            # Noticed, not timed out (a loaded machine may lag a second).
            check(c["ms"] < HANDSHAKE_TIMEOUT * 1000,
                  "%s, cut at %d: closed after %d ms" % (label, k, c["ms"]))
        total += len(cuts)
        out.append("%s flights end at %s" % (label, "/".join(map(str, ends))))
    return "%d connections; %s" % (total, "; ".join(out))


def case_plain_http(srv):
    mark = srv.mark()
    port, how, got = exchange(srv, REQUEST)
    ev, = srv.conn_of(mark, [port])
    check(one(ev, "client_hello").get("error") == "first byte is not a TLS handshake record",
          "client_hello: %s" % one(ev, "client_hello"))
    c = expect_close(ev, "handshake failed", "fin")
    check(how == "eof" and b"HTTP" not in got, "client saw %s %r" % (how, got[:40]))
    return "FIN: %s" % c["detail"]


def case_half_close(srv):
    mark = srv.mark()
    port, how, got = exchange(srv, hello_record(), shut=True)
    ev, = srv.conn_of(mark, [port])
    check("server_flight" in names(ev), "no server flight: %s" % names(ev))
    c = expect_close(ev, PEER_GONE, "peer-fin")
    check(how == "eof" and got[:3] == b"\x16\x03\x03",
          "client saw %s after %r" % (how, got[:8]))
    check(len(got) == c["bytes_out"],
          "client read %d bytes, server sent %d" % (len(got), c["bytes_out"]))
    return "the server flight (%d bytes), then FIN: %s" % (len(got), c["reason"])


def case_burst(srv, n=5000):
    mark = srv.mark()
    port = srv.port["valid"]
    t0 = time.monotonic()
    connected = refused = 0
    for i in range(n):
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
        except ConnectionResetError:
            # On a loaded machine the server falls behind, resets what is
            # over --max-connections, and a reset meant for a connection
            # this loop has already closed with RST can meet the next one
            # reusing its port: a connection that never was, not the
            # server's fault.
            refused += 1
            s.close()
            continue
        connected += 1
        if i % 2:
            reset_close(s)
        else:
            s.close()
    spent = time.monotonic() - t0
    check(refused < n // 10, "%d of %d connects reset" % (refused, n))
    evs = srv.conns_since(mark, timeout=60, count=connected)
    check(len(evs) >= connected, "%d accepted, %d connected" % (len(evs), connected))
    reasons = {}
    for ev in evs:
        c = one(ev, "closed")
        reasons[c["reason"]] = reasons.get(c["reason"], 0) + 1
    allowed = {HELLO_CUT, PEER_RESET, "over the connection limit"}
    check(set(reasons) <= allowed, "reasons %s" % reasons)
    return "%d in %.1f s, half FIN, half RST%s: %s" % (
        connected, spent, " (%d more reset on connect)" % refused if refused else "",
        ", ".join("%s %d" % kv for kv in sorted(reasons.items())))


def case_idle(srv):
    scenarios = ["valid", "expired", "tls1.3-only", "sni-rst", "client-cert-required",
                 "stall-after-client-hello"]
    mark = srv.mark()
    socks = [connect(srv.port[name]) for name in scenarios for _ in range(5)]
    hows = []
    for s, _ in socks:
        hows.append(read_all(s)[0])
        s.close()
    evs = srv.conn_of(mark, [p for _, p in socks], timeout=HANDSHAKE_TIMEOUT + 10)
    for ev, how in zip(evs, hows):
        c = expect_close(ev, "handshake timed out", "timeout-rst")
        check(HANDSHAKE_TIMEOUT * 1000 <= c["ms"] < HANDSHAKE_TIMEOUT * 1000 + 1500,
              "%s: closed after %d ms" % (ev[0]["scenario"], c["ms"]))
        check(c["bytes_in"] == 0 and c["bytes_out"] == 0, "bytes moved: %s" % c)
        check(how == "rst", "client saw %s, not RST" % how)
    ms = [one(e, "closed")["ms"] for e in evs]
    return "%d silent connections on %d scenarios: RST after %d-%d ms" % (
        len(evs), len(scenarios), min(ms), max(ms))


def case_slow_hello(srv):
    """A ClientHello one byte every 50 ms cannot finish within the
    handshake timeout: the timer must not restart on each byte."""
    mark = srv.mark()
    s, port = connect(srv.port["valid"])
    data = hello_record()
    how = None
    try:
        for b in data:
            s.send(bytes([b]))
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        how = "rst"
    finally:
        s.close()
    ev, = srv.conn_of(mark, [port])
    c = expect_close(ev, "handshake timed out", "timeout-rst")
    check(c["ms"] < HANDSHAKE_TIMEOUT * 1000 + 1500, "closed after %d ms" % c["ms"])
    check(how == "rst", "the client could still send after the timeout")
    return "RST after %d ms with %d of %d bytes in" % (c["ms"], c["bytes_in"], len(data))


def case_over_connection_limit(srv):
    mark = srv.mark()
    # Held in the request state (under the idle timeout, not the short
    # handshake one) by completed handshakes.
    ctx = client_context()
    held = []
    try:
        for _ in range(MAX_CONNECTIONS):
            s, _ = connect(srv.port["valid"])
            held.append(s)
            held[-1] = ctx.wrap_socket(s, server_hostname="localhost")
        check(wait_for(lambda: srv.stats()[0] == MAX_CONNECTIONS, 10),
              "the server holds %d, not %d" % (srv.stats()[0], MAX_CONNECTIONS))
        extra = []
        for name in ("valid", "expired", "reset-on-accept", "sni-rst"):
            for _ in range(5):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))  # the port is known even if connect fails
                port = s.getsockname()[1]
                try:
                    s.connect(("127.0.0.1", srv.port[name]))
                    s.settimeout(5)
                    how = read_all(s)[0]
                except ConnectionResetError:
                    how = "rst"  # the reset beat connect()'s return
                s.close()
                extra.append((port, how))
        over = srv.conn_of(mark, [p for p, _ in extra])
        for ev, (_, how) in zip(over, extra):
            expect_close(ev, "over the connection limit", "rst")
            check(names(ev) == ["accepted", "closed", "verdict"], "events %s" % names(ev))
            check(how == "rst", "client saw %s, not RST" % how)
        check(srv.stats()[0] == MAX_CONNECTIONS, "held connections lost")
    finally:
        for s in held:
            s.close()
    srv.conns_since(mark, count=MAX_CONNECTIONS + len(extra))
    return "%d held; %d more on 4 scenarios reset at once, each logged" % (
        MAX_CONNECTIONS, len(over))


def case_garbage_after_hello(srv):
    mark = srv.mark()
    port, how, got = exchange(srv, hello_record() + bytes(range(256)) * 4)
    ev, = srv.conn_of(mark, [port])
    check("error" not in one(ev, "client_hello"), "hello not understood")
    check(one(ev, "handshake")["ok"] is False, "the handshake did not fail")
    c = expect_close(ev, ("handshake failed", PEER_RESET))
    return "%s: %s" % (c["reason"], c["detail"])


# ---- HTTP/2 after the handshake ---------------------------------------------

H2_MAGIC = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(typ, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([typ, flags]) + \
        struct.pack(">I", stream) + payload


def hpack_literal(name, value):
    """A literal header field without indexing (RFC 7541 section 6.2.2),
    with a 7-bit-prefix integer length for the value."""
    def length(n):
        if n < 127:
            return bytes([n])
        out, n = bytearray([127]), n - 127
        while n >= 128:
            out.append(n % 128 + 128)
            n //= 128
        out.append(n)
        return bytes(out)
    return b"\x00" + length(len(name)) + name + length(len(value)) + value


H2_GET = b"".join(hpack_literal(n, v) for n, v in (
    (b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"),
    (b":authority", b"localhost")))


def h2_frames(data):
    """(type, flags, stream, payload) for each whole frame in data."""
    out, at = [], 0
    while at + 9 <= len(data):
        n = int.from_bytes(data[at:at + 3], "big")
        out.append((data[at + 3], data[at + 4],
                    int.from_bytes(data[at + 5:at + 9], "big") & 0x7fffffff,
                    data[at + 9:at + 9 + n]))
        at += 9 + n
    return out


def h2_exchange(srv, payload, read=True, mark=None):
    """A handshake with ALPN h2 on valid, then payload as clear text in
    16 KB writes; returns (client port, the clear text the server sent
    back up to its close, how the exchange ended). With read False the
    client reads nothing, and hangs up only once the server has closed
    the connection (its trace since mark says so)."""
    ctx = client_context()
    ctx.set_alpn_protocols(["h2"])
    s, port = connect(srv.port["valid"])
    t = TlsClient(s, ctx)
    how = "closed"
    reply = b""
    try:
        t.handshake()
        check(t.obj.selected_alpn_protocol() == "h2",
              "ALPN selected %r" % t.obj.selected_alpn_protocol())
        for i in range(0, len(payload), 16384):
            t.obj.write(payload[i:i + 16384])
            t.flush()
        if not read:
            srv.conn_of(mark, [port], timeout=30)
            return port, b"", how
        reply = t.get(b"")
    except (ssl.SSLError, OSError) as e:
        how = type(e).__name__
    finally:
        s.close()
    return port, reply, how


def goaway_code(reply):
    goaways = [f for f in h2_frames(reply) if f[0] == 7]
    check(goaways, "no GOAWAY in %d bytes: %r" % (len(reply), reply[:60]))
    return int.from_bytes(goaways[-1][3][4:8], "big")


def case_h2_request(srv):
    mark = srv.mark()
    port, reply, how = h2_exchange(
        srv, H2_MAGIC + h2_frame(4, 0, 0) + h2_frame(1, 5, 1, H2_GET))
    frames = h2_frames(reply)
    check(any(f[0] == 1 and f[2] == 1 for f in frames), "no HEADERS on stream 1")
    body = b"".join(f[3] for f in frames if f[0] == 0 and f[2] == 1)
    check(b"shakedown scenario: valid" in body, "body %r" % body[:60])
    check(goaway_code(reply) == 0, "GOAWAY is not NO_ERROR")
    ev = served(srv, mark, port)
    check(one(ev, "request")["protocol"] == "HTTP/2", "not over HTTP/2")
    check(one(ev, "handshake")["alpn"] == "h2", "ALPN not traced")
    return "GET / over HTTP/2: 200, %d bytes of page, GOAWAY(NO_ERROR)" % len(body)


def case_h2_bad_preface(srv):
    mark = srv.mark()
    port, reply, how = h2_exchange(srv, REQUEST)
    code = goaway_code(reply)
    check(code == 1, "GOAWAY error %d, not PROTOCOL_ERROR" % code)
    ev, = srv.conn_of(mark, [port])
    expect_close(ev, "handshake completed, bad HTTP request", "fin")
    return "HTTP/1.1 request over h2: GOAWAY(PROTOCOL_ERROR), then FIN"


def flood(srv, frame, count):
    """count copies of frame after the preface, the client reading
    nothing until it is done: the server must end it, not grow."""
    mark = srv.mark()
    port, reply, how = h2_exchange(srv, H2_MAGIC + h2_frame(4, 0, 0) + frame * count,
                                   read=False, mark=mark)
    ev, = srv.conn_of(mark, [port], timeout=30)
    return expect_close(ev, ("handshake completed, bad HTTP request",
                             "client does not read what it is sent"))


def case_h2_settings_flood(srv):
    c = flood(srv, h2_frame(4, 0, 0), 150000)
    return "150000 SETTINGS frames unread: %s (%s)" % (c["reason"], c["close"])


def case_h2_ping_flood(srv):
    c = flood(srv, h2_frame(6, 0, 0, b"12345678"), 80000)
    return "80000 PINGs unread: %s (%s)" % (c["reason"], c["close"])


def case_h2_huge_headers(srv):
    mark = srv.mark()
    # 100 headers of 1000 bytes: each within nghttp2's own limits, all
    # together over the server's (HTTP2_MAX_HEADERS).
    block = H2_GET + b"".join(hpack_literal(b"x-big-%d" % i, b"a" * 1000)
                              for i in range(100))
    frames = h2_frame(1, 0, 1, block[:16384])
    for i in range(16384, len(block), 16384):
        last = i + 16384 >= len(block)
        frames += h2_frame(9, 4 if last else 0, 1, block[i:i + 16384])
    port, reply, how = h2_exchange(srv, H2_MAGIC + h2_frame(4, 0, 0) + frames)
    code = goaway_code(reply)
    check(code == 0xb, "GOAWAY error %d, not ENHANCE_YOUR_CALM" % code)
    ev, = srv.conn_of(mark, [port])
    expect_close(ev, "handshake completed, bad HTTP request", "fin")
    return "a 100 KB header block in CONTINUATION frames: GOAWAY(ENHANCE_YOUR_CALM)"


# ---- the plaintext dialogues -----------------------------------------------
# One server per protocol, serving the control alone; a case reaches it
# through srv.dialogues.

DIALOGUE_PROTOCOLS = ("smtp", "imap", "pop3", "ftp", "postgres", "mysql", "smtps")
TEXT = {"smtp": "SMTP", "imap": "IMAP", "pop3": "POP3", "ftp": "FTP"}
PG_SSLREQUEST = struct.pack(">II", 8, 80877103)
PG_GSSENC = struct.pack(">II", 8, 80877104)


def dialogue_greeting(s, protocol):
    """Reads the greeting of a server that speaks first (up to its end
    of line, or the MySQL packet), so that the next bytes are commands."""
    if protocol == "postgres":
        return b""
    got = b""
    while not (got.endswith(b"\n") if protocol in TEXT else len(got) >= 4 and
               len(got) >= 4 + int.from_bytes(got[:3], "little")):
        d = s.recv(4096)
        check(d, "%s: the server closed before its greeting ended" % protocol)
        got += d
    return got


def dialogue_exchange(srv, protocol, data, shut=False):
    """Greeting, then data; reads until the server ends the connection.
    Returns (client port, how it ended, what came after the greeting)."""
    d = srv.dialogues[protocol]
    s, port = connect(d.port["valid"])
    try:
        dialogue_greeting(s, protocol)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed before it had read it all: its right
        how, got = read_all(s)
    finally:
        s.close()
    return port, how, got


def dialogue_events(srv, protocol, port):
    d = srv.dialogues[protocol]
    ok = wait_for(lambda: d.poll() or (d.by_port(port) and
                                        d.by_port(port)[-1]["event"] == "verdict"), 10)
    check(ok, "%s: no verdict for the connection from port %d" % (protocol, port))
    return d.by_port(port)


def dialogue_case(srv, what, data_for, reasons_for, replies_for, shut=False):
    """Runs one hostile input in every dialogue that has it: the server
    answers with the protocol's error (replies_for), ends the connection,
    and the trace names why (reasons_for)."""
    done = []
    for protocol in DIALOGUE_PROTOCOLS:
        data = data_for(protocol)
        if data is None:
            continue
        port, how, got = dialogue_exchange(srv, protocol, data, shut)
        ev = dialogue_events(srv, protocol, port)
        c = expect_close(ev, reasons_for(protocol))
        check(c.get("dialogue_step") is not None,
              "%s: the closed event has no dialogue_step" % protocol)
        want = replies_for(protocol)
        if want is not None:
            check(want in got, "%s: %s: reply %r, expected %r" % (protocol, what, got[:120], want))
        done.append(protocol)
    return "%s: %s" % (what, ", ".join(done))


def case_dialogue_garbage(srv):
    def data(p):
        if p in TEXT:
            return b"\x01\x02 garbage\r\n" * 3
        if p == "postgres":
            return struct.pack(">I", 3) + b"junk"  # a length no packet has
        if p == "mysql":
            return b"\x05\x00\x00\x01garbage"  # a packet that is no handshake
        return None
    reasons = {"postgres": "the client sent an invalid startup packet",
               "mysql": "the client sent a malformed handshake"}
    replies = {"smtp": b"421 ", "imap": b"* BYE", "pop3": b"-ERR", "ftp": b"421 ",
               "postgres": b"08P01", "mysql": b"Bad handshake"}
    return dialogue_case(srv, "garbage",
                         data, lambda p: reasons.get(p, "the client sent commands that are "
                                                        "not %s" % TEXT.get(p, p)),
                         replies.get)


def case_dialogue_long_line(srv):
    def data(p):
        if p in TEXT:
            return b"A" * (1 << 20)  # 1 MB and no end of line
        if p == "postgres":
            return struct.pack(">I", 1 << 20) + b"\x00" * 4  # a 1 MB startup packet
        if p == "mysql":
            return b"\x00\x00\x10\x01" + b"\x00" * 1024  # a 1 MB packet
        return None
    reasons = {"postgres": "the client sent an invalid startup packet",
               "mysql": "the client sent a packet over the limit"}
    replies = {"smtp": b"500 5.5.2 Line too long", "imap": b"* BYE", "pop3": b"-ERR",
               "ftp": b"500 ", "postgres": b"08P01", "mysql": b"\xff"}
    return dialogue_case(srv, "1 MB line or packet", data,
                         lambda p: reasons.get(p, "the client sent a line over the limit"),
                         replies.get)


def case_dialogue_flood(srv):
    def data(p):
        if p == "imap":
            return b"".join(b"a%d NOOP\r\n" % i for i in range(500))
        if p == "pop3":
            return b"CAPA\r\n" * 500  # NOOP waits for a login in POP3
        if p in TEXT:
            return b"NOOP\r\n" * 500
        if p == "postgres":
            return PG_GSSENC * 500  # one 'N', then a second request is refused
        return None
    reasons = {"postgres": ("the client sent an invalid startup packet",
                            "the client sent too many commands")}
    return dialogue_case(srv, "500 pipelined commands", data,
                         lambda p: reasons.get(p, "the client sent too many commands"),
                         lambda p: None)


def case_dialogue_hang_up(srv):
    def data(p):
        if p in TEXT:
            return b"NOOP" if p != "imap" else b"a1 NOO"  # half a command
        if p == "postgres":
            return PG_SSLREQUEST[:5]
        if p == "mysql":
            return b"\x20\x00\x00"  # half a packet header
        return None
    return dialogue_case(srv, "hang-up mid-command", data,
                         lambda p: "client closed during the plaintext dialogue",
                         lambda p: None, shut=True)


def case_dialogue_after_tls(srv):
    """Over implicit SMTPS: inside TLS, a 1 MB line gets 500 and the
    connection ends."""
    d = srv.dialogues["smtps"]
    ctx = client_context()
    raw, port = connect(d.port["valid"])
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        greeting = s.recv(4096)
        check(greeting.startswith(b"220 "), "smtps: greeting %r" % greeting[:60])
        try:
            s.sendall(b"A" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        got = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ssl.SSLError, ConnectionResetError, OSError):
            pass
    check(b"500 5.5.2 Line too long" in got, "smtps: reply %r" % got[:80])
    ev = dialogue_events(srv, "smtps", port)
    c = one(ev, "closed")
    check(c["dialogue_step"] == "greeting", "smtps: step %r" % c["dialogue_step"])
    return "smtps: 500 5.5.2 Line too long, then the close (%s)" % c["reason"]


def dialogues_still_serve(srv):
    """Each dialogue server still completes its control."""
    for protocol, d in srv.dialogues.items():
        port = d.port["valid"]
        if protocol in TEXT or protocol == "smtps":
            r = subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests", "clients",
                                                                "pydialogue.py"),
                                "--protocol", protocol, "--ca", CA, "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            out = r.stdout.decode("utf-8", "replace")
            check(r.returncode == 0 and out.startswith("OK "),
                  "%s: the control no longer completes: %s" % (protocol, out.strip()))
        elif protocol == "postgres":
            s, _ = connect(port)
            with s:
                s.sendall(PG_SSLREQUEST)
                check(s.recv(1) == b"S", "postgres: no 'S' to SSLRequest")
        else:
            s, _ = connect(port)
            with s:
                check(len(dialogue_greeting(s, protocol)) > 4, "mysql: no greeting")


CASES = [
    ("random-bytes", case_random_bytes),
    ("sslv2-hello", case_sslv2_hello),
    ("record-header-then-nothing", case_record_header_then_nothing),
    ("hello-one-byte-segments", case_one_byte_segments),
    ("hello-in-many-records", case_hello_in_many_records),
    ("hello-64k", case_large_hello),
    ("garbage-after-hello", case_garbage_after_hello),
    ("disconnect-every-offset", case_disconnect_at_every_offset),
    ("plain-http", case_plain_http),
    ("half-close-after-hello", case_half_close),
    ("burst-5000", case_burst),
    ("idle", case_idle),
    ("slow-hello", case_slow_hello),
    ("over-connection-limit", case_over_connection_limit),
    ("h2-request", case_h2_request),
    ("h2-bad-preface", case_h2_bad_preface),
    ("h2-settings-flood", case_h2_settings_flood),
    ("h2-ping-flood", case_h2_ping_flood),
    ("h2-huge-headers", case_h2_huge_headers),
    ("dialogue-garbage", case_dialogue_garbage),
    ("dialogue-1mb-line", case_dialogue_long_line),
    ("dialogue-flood", case_dialogue_flood),
    ("dialogue-hang-up", case_dialogue_hang_up),
    ("dialogue-after-tls", case_dialogue_after_tls),
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
    binary = os.path.abspath(args.shakedown)
    options = ["--handshake-timeout", str(HANDSHAKE_TIMEOUT), "--max-stall", "2",
               "--max-connections", str(MAX_CONNECTIONS)]
    options += ["--max-client-hello", str(MAX_CLIENT_HELLO)]
    srv = Server(binary, options)
    srv.dialogues = {p: Server(binary, options + ["--protocol", p, "--only", "valid",
                                                  "--no-dashboard"])
                     for p in DIALOGUE_PROTOCOLS}
    failed = 0
    t_all = time.monotonic()
    passed, died = 0, None
    try:
        for name, fn in cases:
            t0 = time.monotonic()
            try:
                summary = fn(srv)
                still_serves(srv)
                nothing_left(srv)
                if name.startswith("dialogue-"):
                    dialogues_still_serve(srv)
                    for d in srv.dialogues.values():
                        nothing_left(d)
                passed += 1
                print("ok   %-28s %5.1fs  %s" % (name, time.monotonic() - t0, summary),
                      flush=True)
            except (Failure, OSError, ssl.SSLError) as e:
                wait_for(lambda: srv.proc.poll() is not None, 0.5)
                print("FAIL %-28s %5.1fs  %s: %s" % (name, time.monotonic() - t0,
                                                     type(e).__name__, e), flush=True)
                if srv.proc.poll() is not None:
                    died = srv.proc.returncode
                    print("FAIL the server died during %s: %s" % (name, exit_text(died)))
                    break
                if not isinstance(e, Failure):
                    traceback.print_exc()
                try:  # let the next case start from a clean server
                    nothing_left(srv)
                except Failure as e2:
                    print("     (%s)" % e2)
        if died is None:
            code = srv.stop()
            if code != 0:
                print("FAIL server exit status after SIGTERM: %s" % exit_text(code))
                passed = min(passed, len(cases) - 1)
        if passed < len(cases):
            print("---- server log (last 40 lines, cut at 300 characters) ----",
                  file=sys.stderr)
            for line in srv.text().splitlines()[-40:]:
                print(line[:300], file=sys.stderr)
    finally:
        srv.close()
        for d in srv.dialogues.values():
            d.stop()
            d.close()
    print("%d of %d cases passed in %.1f s" % (passed, len(cases), time.monotonic() - t_all))
    return 0 if passed == len(cases) and died is None else 1


def exit_text(code):
    if code < 0:
        return "killed by %s" % signal.Signals(-code).name
    return "exit status %d" % code


if __name__ == "__main__":
    sys.exit(main())
