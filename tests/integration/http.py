#!/usr/bin/env python3
"""[http] as clients meet it. For every scenario that has the section
(from --list --json), on ephemeral ports:
- over HTTP/1.1 (Python's ssl) and HTTP/2 (curl), the status, each header
  line and the body are the scenario's, {port} and {plain_port} filled in
  with the ports the server bound (and the ports file names both);
- on the plain-HTTP companion port, a plain request is answered in the
  clear and traced as a misstep with the verdict "plaintext"; a
  ClientHello there is served as the scenario's TLS and traced as an
  upgrade; neither HTTP nor TLS gets 400;
- SIGHUP keeps the companion serving on its port; a changed scenario
  keeps it, moves it to a new port, or closes it, while its own socket
  stays (with ephemeral ports and with fixed ones).
And a companion port another program holds stops the start-up with the
port named."""
import argparse
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

from server_process import ServerProcess, wait_for

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAKEDOWN = os.path.join(TOP, "build", "shakedown")
CA = os.path.join(TOP, "certs", "ca.pem")
CURL = "/usr/bin/curl"


def catalogue():
    out = subprocess.run([SHAKEDOWN, "--list", "--json"], cwd=TOP, check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)["scenarios"]


def has_http(s):
    h = s["http"]
    return h["status"] != 200 or h["headers"] or h["body"] or h["plain_port"] >= 0


def fill(text, port, plain):
    return text.replace("{port}", str(port)).replace("{plain_port}", str(plain))


def exchange(sock, request):
    sock.sendall(request)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def parse(data):
    """(status, {lower-case name: [values]}, body) of an HTTP/1.1 answer."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.lower(), []).append(value.strip())
    return int(lines[0].split()[1]), headers, body


def https_get(port, path="/"):
    ctx = ssl.create_default_context(cafile=CA)
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return parse(exchange(tls, b"GET " + path.encode() +
                                  b" HTTP/1.1\r\nHost: localhost\r\n\r\n"))


def plain(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        return exchange(s, request)


class Answers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scenarios = {s["name"]: s for s in catalogue() if has_http(s)}
        cls.srv = ServerProcess(SHAKEDOWN, ["--no-dashboard", "--only",
                                            ",".join(sorted(cls.scenarios))],
                                json_log=True)
        cls.plain = {s["name"]: s.get("plain_port") for s in cls.srv.ports["scenarios"]}

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()

    def expected(self, name):
        s = self.scenarios[name]
        port, plain_port = self.srv.port[name], self.plain[name]
        headers = [fill(h, port, plain_port) for h in s["http"]["headers"]]
        if s["http"]["location"]:
            headers.append("Location: " + fill(s["http"]["location"], port, plain_port))
        body = None
        if s["http"]["body"]:
            path = os.path.join(os.path.dirname(s["file"]), s["http"]["body"])
            with open(os.path.join(TOP, path)) as f:
                body = fill(f.read(), port, plain_port).encode()
        return s["http"], headers, body

    def test_the_section_is_there(self):
        self.assertGreaterEqual(len(self.scenarios), 7)
        companions = [n for n, s in self.scenarios.items() if s["http"]["plain_port"] >= 0]
        self.assertTrue(companions)
        for name in companions:
            self.assertIsInstance(self.plain[name], int, name)
            self.assertNotEqual(self.plain[name], self.srv.port[name])

    def test_http1(self):
        for name in self.scenarios:
            with self.subTest(scenario=name):
                http, headers, body = self.expected(name)
                status, got, content = https_get(self.srv.port[name])
                self.assertEqual(status, http["status"])
                for line in headers:
                    key, _, value = line.partition(": ")
                    self.assertIn(value, got.get(key.lower(), []), line)
                    self.assertNotIn("{", value)
                self.assertEqual(int(got["content-length"][0]), len(content))
                if body is not None:
                    self.assertEqual(got["content-type"], [http["content_type"]])
                    self.assertEqual(content, body)
                else:
                    self.assertTrue(content.startswith(b"shakedown scenario: " +
                                                       name.encode()))

    def test_http2(self):
        for name in self.scenarios:
            with self.subTest(scenario=name):
                http, headers, body = self.expected(name)
                r = subprocess.run([CURL, "-sS", "--http2", "--cacert", CA, "-D", "-",
                                    "https://localhost:%d/" % self.srv.port[name]],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
                self.assertEqual(r.returncode, 0, r.stderr)
                head, _, content = r.stdout.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                self.assertEqual(lines[0].split()[:2], ["HTTP/2", str(http["status"])])
                for line in headers:
                    key, _, value = line.partition(": ")
                    self.assertIn("%s: %s" % (key.lower(), value), lines)
                if body is not None:
                    self.assertIn("content-type: " + http["content_type"], lines)
                    self.assertEqual(content, body)

    def test_companion_plain_request(self):
        for name, port in self.plain.items():
            if port is None:
                continue
            with self.subTest(scenario=name):
                status, got, content = parse(plain(port, b"GET /script.js HTTP/1.1\r\n"
                                                         b"Host: x\r\n\r\n"))
                self.assertEqual(status, 200)
                self.assertEqual(got["x-shakedown-scenario"], [name])
                self.assertIn(b"its plain-HTTP companion answered GET /script.js", content)
                # This connection's misstep, then its verdict (by its id:
                # another test's connection may close meanwhile).
                self.assertTrue(wait_for(lambda: any(
                    e["step"] == "GET /script.js"
                    for e in self.srv.events(event="misstep", scenario=name))))
                ids = [e["id"] for e in self.srv.events(event="misstep", scenario=name)
                       if e["step"] == "GET /script.js"]
                self.assertTrue(wait_for(lambda: self.srv.events(
                    event="verdict", scenario=name, id=ids[-1])))
                verdict = self.srv.events(event="verdict", scenario=name, id=ids[-1])[0]
                self.assertEqual(verdict["outcome"], "plaintext")

    def test_companion_upgrade(self):
        for name, port in self.plain.items():
            if port is None:
                continue
            with self.subTest(scenario=name):
                before = len(self.srv.events(event="upgrade", scenario=name))
                http, headers, body = self.expected(name)
                status, got, content = https_get(port)
                self.assertEqual(status, http["status"])
                self.assertEqual(got["x-shakedown-scenario"], [name])
                if body is not None:
                    self.assertEqual(content, body)
                self.assertEqual(len(self.srv.events(event="upgrade", scenario=name)),
                                 before + 1)

    def test_companion_garbage(self):
        name = next(n for n, p in self.plain.items() if p is not None)
        status, _, content = parse(plain(self.plain[name], b"\x01\x02 what\r\n\r\n"))
        self.assertEqual(status, 400)
        self.assertEqual(content, b"Neither HTTP nor TLS.\n")
        # A head past the limit (16 KiB) is refused alike, not buffered on.
        status, _, _ = parse(plain(self.plain[name], b"GET / HTTP/1.1\r\nX: " + b"a" * 20000))
        self.assertEqual(status, 400)

    def test_reload_keeps_the_companion(self):
        name = next(n for n, p in self.plain.items() if p is not None)
        before = len(self.srv.events(event="info"))
        self.srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: any(
            "SIGHUP: reloaded" in e["msg"] for e in self.srv.events(event="info")[before:])))
        status, _, _ = parse(plain(self.plain[name], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        self.assertEqual(status, 200)


RELOADED = """[scenario]
name = reloaded
title = t
category = http
port = 0
explain = Only for the tests.

[tls]
cert = leaf
key = leaf
chain = intermediate

[http]
headers = X-Version: %d
plain_port = 0
"""


class Reload(unittest.TestCase):
    def test_a_changed_scenario_keeps_its_companion(self):
        with tempfile.TemporaryDirectory(prefix="shakedown-http-") as d:
            path = os.path.join(d, "reloaded.ini")
            with open(path, "w") as f:
                f.write(RELOADED % 1)
            srv = ServerProcess(SHAKEDOWN, ["--no-dashboard", "--scenarios", d], json_log=True)
            try:
                port = srv.port["reloaded"]
                plain_port = srv.ports["scenarios"][0]["plain_port"]
                self.assertEqual(https_get(port)[1]["x-version"], ["1"])
                with open(path, "w") as f:
                    f.write(RELOADED % 2)
                srv.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: any(
                    "1 changed" in e["msg"] for e in srv.events(event="info"))))
                self.assertEqual(https_get(port)[1]["x-version"], ["2"])
                # The same companion socket, now the changed scenario's.
                status, got, _ = https_get(plain_port)
                self.assertEqual(got["x-version"], ["2"])
                status, _, content = parse(plain(plain_port, b"GET / HTTP/1.1\r\n\r\n"))
                self.assertEqual(status, 200)
                # Without the companion, its port closes.
                with open(path, "w") as f:
                    f.write((RELOADED % 3).replace("plain_port = 0\n", ""))
                srv.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: sum(
                    "1 changed" in e["msg"] for e in srv.events(event="info")) == 2))
                self.assertEqual(https_get(srv_port(srv))[1]["x-version"], ["3"])
                self.assertTrue(wait_for(lambda: refused(plain_port)))
            finally:
                srv.stop()
                srv.close()


    def test_fixed_ports(self):
        """Without --ephemeral-ports: the companion moves to its new port,
        and goes, while the scenario's own socket stays."""
        main, first, second = free_ports(3)
        with tempfile.TemporaryDirectory(prefix="shakedown-http-") as d:
            path = os.path.join(d, "reloaded.ini")
            text = (RELOADED % 1).replace("port = 0\n", "port = %d\n" % main, 1)
            with open(path, "w") as f:
                f.write(text.replace("plain_port = 0", "plain_port = %d" % first))
            log = open(os.path.join(d, "log"), "w")
            proc = subprocess.Popen([SHAKEDOWN, "--no-dashboard", "--scenarios", path,
                                     "--log-format", "json"], cwd=TOP, stdout=log,
                                    stderr=subprocess.STDOUT)
            try:
                self.assertTrue(wait_for(lambda: not refused(first)))
                for step, plain_port, gone in ((2, second, first), (3, None, second)):
                    with open(path, "w") as f:
                        t = text.replace("X-Version: 1", "X-Version: %d" % step)
                        f.write(t.replace("plain_port = 0", "plain_port = %d" % plain_port)
                                if plain_port else t.replace("plain_port = 0\n", ""))
                    proc.send_signal(signal.SIGHUP)
                    self.assertTrue(wait_for(lambda: https_get(main)[1]["x-version"] ==
                                             [str(step)]), read(log.name))
                    self.assertTrue(wait_for(lambda: refused(gone)))
                    if plain_port:
                        self.assertEqual(https_get(plain_port)[1]["x-version"], [str(step)])
            finally:
                proc.terminate()
                proc.wait(timeout=15)
                log.close()
            self.assertEqual(proc.returncode, 0)


def read(path):
    with open(path) as f:
        return f.read()


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def srv_port(srv):
    with open(srv.ports_file) as f:
        return json.load(f)["scenarios"][0]["port"]


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


SCENARIO = """[scenario]
name = busy
title = t
category = http
port = %d
explain = Only for the tests.

[tls]
cert = leaf
key = leaf

[http]
plain_port = %d
"""


class Busy(unittest.TestCase):
    def test_a_busy_companion_port(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()
        busy = holder.getsockname()[1]
        try:
            with tempfile.TemporaryDirectory(prefix="shakedown-http-") as d:
                path = os.path.join(d, "busy.ini")
                with open(path, "w") as f:
                    f.write(SCENARIO % (port, busy))
                r = subprocess.run([SHAKEDOWN, "--scenarios", path, "--no-dashboard"],
                                   cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=20)
                out = r.stdout.decode()
                self.assertNotEqual(r.returncode, 0, out)
                self.assertIn(str(busy), out)
                self.assertIn("address already in use", out)
        finally:
            holder.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shakedown", default=SHAKEDOWN)
    args, rest = ap.parse_known_args()
    SHAKEDOWN = os.path.abspath(args.shakedown)
    unittest.main(argv=[sys.argv[0]] + rest)
