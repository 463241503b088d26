#!/usr/bin/env python3
"""Record framing as it leaves the server ([tls] handshake_record_size,
handshake_record_messages, app_record_size): a real TLS client (Python's
ssl on memory BIOs) completes the handshake and a GET while every byte the
server sends is kept, then the records are taken apart. The plaintext
handshake messages must come in records of the scenario's size, the other
messages whole, and the response in one record per byte; the control
(valid) sends its ServerHello in one record."""
import argparse
import os
import socket
import ssl
import sys
import unittest

from server_process import ServerProcess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAKEDOWN = os.path.join(TOP, "build", "shakedown")
CA = os.path.join(TOP, "certs", "ca.pem")
NAMES = ["valid", "records-1-byte", "records-split-server-hello",
         "records-certificate-spread", "records-app-1-byte"]
SERVER_HELLO, CERTIFICATE = 2, 11


def fetch(port, tls12=False):
    """Handshake, GET / and read to the end. Returns (the server's bytes,
    the decrypted reply)."""
    ctx = ssl.create_default_context(cafile=CA)
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    wire, reply, sent = b"", b"", False
    try:
        while True:
            try:
                if not sent:
                    tls.do_handshake()
                    tls.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    sent = True
                d = tls.read(65536)
                if not d:
                    break
                reply += d
                continue
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
            sock.sendall(out.read())
            d = sock.recv(65536)
            if not d:
                inc.write_eof()
            wire += d
            inc.write(d)
        sock.sendall(out.read())
    finally:
        sock.close()
    return wire, reply


def records(wire):
    """[(type, payload)] of every whole record in wire."""
    out, i = [], 0
    while i + 5 <= len(wire):
        n = wire[i + 3] << 8 | wire[i + 4]
        out.append((wire[i], wire[i + 5:i + 5 + n]))
        i += 5 + n
    return out


def plaintext_handshake(recs):
    """The messages of the server's plaintext handshake (its records before
    the first of another type) as [type, length], a header split across
    records included."""
    msgs, head, left = [], b"", 0
    for ty, body in recs:
        if ty != 22:
            break
        i = 0
        while i < len(body):
            if left == 0:
                if not head:
                    msgs.append([body[i], 0])
                take = min(4 - len(head), len(body) - i)
                head += body[i:i + take]
                i += take
                if len(head) == 4:
                    msgs[-1][1] = left = int.from_bytes(head[1:], "big")
                    head = b""
                    msgs[-1][1] += 4
                continue
            take = min(left, len(body) - i)
            i += take
            left -= take
    return msgs


class Records(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = ServerProcess(SHAKEDOWN, ["--no-dashboard", "--only", ",".join(NAMES)])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()

    def get(self, name, tls12=False):
        wire, reply = fetch(self.srv.port[name], tls12)
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK"), (name, reply[:80]))
        self.assertIn(("shakedown scenario: %s" % name).encode(), reply)
        return records(wire), reply

    def test_control_unchanged(self):
        recs, _ = self.get("valid", tls12=True)
        msgs = plaintext_handshake(recs)
        self.assertEqual(msgs[0][0], SERVER_HELLO)
        hs = [body for ty, body in recs if ty == 22][:len(msgs)]
        self.assertEqual([len(b) for b in hs], [m[1] for m in msgs],
                         "each message in a record of its own, whole")

    def test_every_byte_its_own_record(self):
        recs, _ = self.get("records-1-byte")
        msgs = plaintext_handshake(recs)
        self.assertIn(CERTIFICATE, [m[0] for m in msgs])
        sizes = [len(body) for ty, body in recs[:sum(m[1] for m in msgs)]]
        self.assertGreater(len(sizes), 1000)
        self.assertEqual(set(sizes), {1}, "a plaintext handshake record longer than 1 byte")

    def test_server_hello_split(self):
        for tls12 in (True, False):
            with self.subTest(tls12=tls12):
                recs, _ = self.get("records-split-server-hello", tls12)
                msgs = plaintext_handshake(recs)
                hello = msgs[0]
                self.assertEqual(hello[0], SERVER_HELLO)
                n = -(-hello[1] // 16)
                self.assertGreater(n, 2)
                self.assertEqual([len(b) for _, b in recs[:n]],
                                 [16] * (n - 1) + [hello[1] - 16 * (n - 1)])
                if tls12:
                    self.assertEqual(len(recs[n][1]), msgs[1][1], "the Certificate whole")
                else:
                    self.assertEqual(len(msgs), 1, "TLS 1.3 sends one plaintext message")

    def test_certificate_spread(self):
        recs, _ = self.get("records-certificate-spread")
        msgs = plaintext_handshake(recs)
        self.assertEqual([m[0] for m in msgs[:2]], [SERVER_HELLO, CERTIFICATE])
        self.assertEqual(len(recs[0][1]), msgs[0][1], "the ServerHello whole")
        cert = msgs[1][1]
        n = -(-cert // 64)
        self.assertGreater(n, 10)
        self.assertEqual([len(b) for _, b in recs[1:1 + n]],
                         [64] * (n - 1) + [cert - 64 * (n - 1)])
        self.assertEqual(len(recs[1 + n][1]), msgs[2][1], "the next message whole")

    def test_response_one_byte_a_record(self):
        recs, reply = self.get("records-app-1-byte", tls12=True)
        app = [len(body) for ty, body in recs if ty == 23]
        # AES-128-GCM in TLS 1.2: an 8-byte explicit nonce, the byte, a
        # 16-byte tag.
        self.assertEqual(len(app), len(reply))
        self.assertEqual(set(app), {8 + 1 + 16})


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--shakedown", default=SHAKEDOWN)
    args, rest = ap.parse_known_args()
    SHAKEDOWN = os.path.abspath(args.shakedown)
    if not os.path.exists(CA):
        print("no %s: run scripts/setup.sh" % CA, file=sys.stderr)
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
