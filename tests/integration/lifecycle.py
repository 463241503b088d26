#!/usr/bin/env python3
"""The server's life cycle against the real binary: SIGHUP reloads (valid,
invalid, added, changed, removed scenarios, with connections in flight),
the SIGTERM drain, and the safe defaults (key permissions, a non-loopback
bind, the ClientHello size limit)."""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

from server_process import ServerProcess, wait_for

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAKEDOWN = os.path.join(TOP, "build", "shakedown")
CERTS = os.path.join(TOP, "certs")
CA = os.path.join(CERTS, "ca.pem")

SCENARIO = """[scenario]
name = {name}
title = {title}
category = control
port = 0
outcome = completed
explain = Only for the tests.

[tls]
cert = leaf
key = leaf
chain = intermediate

[expect.curl]
exit = 0
message = ok
"""

REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def tls_connect(port):
    ctx = ssl.create_default_context(cafile=CA)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_all(tls):
    data = b""
    while True:
        chunk = tls.recv(4096)
        if not chunk:
            return data.decode()
        data += chunk


def get(port):
    with tls_connect(port) as tls:
        tls.sendall(REQUEST)
        return read_all(tls)


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except ConnectionRefusedError:
        return True


class Scenarios:
    """A scenario directory of the test's own, edited between reloads."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="shakedown-lifecycle-")
        self.dir = self.tmp.name

    def write(self, name, title=None, text=None):
        with open(os.path.join(self.dir, name + ".ini"), "w") as f:
            f.write(text if text is not None
                    else SCENARIO.format(name=name, title=title or name))

    def remove(self, name):
        os.unlink(os.path.join(self.dir, name + ".ini"))


def info(srv):
    """The server-level messages of a JSON log, one per line."""
    return "\n".join(e["msg"] for e in srv.events(event="info"))


def reload(srv, marker):
    """SIGHUP, then wait for the line that says how it went."""
    before = srv.text().count(marker)
    srv.proc.send_signal(signal.SIGHUP)
    if not wait_for(lambda: srv.text().count(marker) > before):
        raise AssertionError("no %r after SIGHUP; log:\n%s" % (marker, srv.text()))
    with open(srv.ports_file) as f:
        srv.ports = json.load(f)
    srv.port = {s["name"]: s["port"] for s in srv.ports["scenarios"]}


class Reload(unittest.TestCase):
    def setUp(self):
        self.s = Scenarios()
        for name in ("alpha", "beta", "gamma"):
            self.s.write(name, title="%s, first version" % name)
        self.srv = ServerProcess(SHAKEDOWN, ["--scenarios", self.s.dir, "--certs", CERTS,
                                             "--no-dashboard"], json_log=True)

    def tearDown(self):
        self.srv.close()
        self.s.tmp.cleanup()

    def test_valid_reload_adds_changes_removes_and_keeps_connections(self):
        srv = self.srv
        old = dict(srv.port)
        # Handshakes done before the reload, requests sent after it.
        beta_conn = tls_connect(old["beta"])
        gamma_conn = tls_connect(old["gamma"])
        alpha_conn = tls_connect(old["alpha"])
        self.s.write("beta", title="beta, second version")
        self.s.remove("gamma")
        self.s.write("delta", title="delta, new")
        reload(srv, "SIGHUP: reloaded")
        self.assertIn("1 added, 1 changed, 1 removed, 1 unchanged", srv.text())

        self.assertEqual(srv.port["alpha"], old["alpha"])  # same listener
        self.assertEqual(srv.port["beta"], old["beta"])    # socket taken over
        self.assertNotIn("gamma", srv.port)
        self.assertIn("delta", srv.port)
        for conn, title in ((alpha_conn, "alpha, first version"),
                            (beta_conn, "beta, first version"),
                            (gamma_conn, "gamma, first version")):
            conn.sendall(REQUEST)
            self.assertIn(title, read_all(conn), "in-flight connection lost")
            conn.close()
        self.assertIn("beta, second version", get(srv.port["beta"]))
        self.assertIn("delta, new", get(srv.port["delta"]))
        self.assertIn("alpha, first version", get(srv.port["alpha"]))
        self.assertTrue(refused(old["gamma"]), "a removed scenario still accepts")
        self.assertTrue(wait_for(lambda: srv.stats()[0] == 0), "connections left open")
        self.assertEqual(srv.stop(), 0)

    def test_invalid_file_changes_nothing(self):
        srv = self.srv
        old = dict(srv.port)
        conn = tls_connect(old["alpha"])
        self.s.write("beta", title="beta, second version")
        self.s.write("broken", text=SCENARIO.format(name="broken", title="x")
                     .replace("[tls]\n", "[tls]\nciphrs = RC4\n"))
        reload(srv, "reload refused")
        log = info(srv)
        self.assertRegex(log, r"reload refused, every scenario keeps serving as before: "
                              r".*/broken\.ini:\d+: \[tls\] unknown key \"ciphrs\"")
        self.assertEqual(srv.port, old)
        self.assertIn("beta, first version", get(old["beta"]))
        self.assertIn("gamma, first version", get(old["gamma"]))
        conn.sendall(REQUEST)
        self.assertIn("alpha, first version", read_all(conn))
        conn.close()
        # Fixed, the next SIGHUP takes both changes.
        self.s.remove("broken")
        reload(srv, "SIGHUP: reloaded")
        self.assertIn("beta, second version", get(srv.port["beta"]))
        self.assertEqual(srv.stop(), 0)

    def test_missing_certificate_refuses_the_reload(self):
        srv = self.srv
        self.s.write("epsilon", text=SCENARIO.format(name="epsilon", title="e")
                     .replace("cert = leaf", "cert = no-such-cert"))
        reload(srv, "reload refused")
        self.assertRegex(info(srv), r'epsilon\.ini: scenario "epsilon": .*no-such-cert\.pem')
        self.assertNotIn("epsilon", srv.port)
        self.assertIn("alpha, first version", get(srv.port["alpha"]))
        self.assertEqual(srv.stop(), 0)


class Drain(unittest.TestCase):
    def start(self, *extra):
        return ServerProcess(SHAKEDOWN, ["--only", "valid,stall-after-handshake",
                                         "--no-dashboard"] + list(extra))

    def test_sigterm_lets_open_connections_finish(self):
        srv = self.start("--drain-timeout", "20")
        try:
            port = srv.port["valid"]
            conn = tls_connect(port)
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(lambda: "draining 1 open connections" in srv.text()))
            self.assertTrue(wait_for(lambda: refused(port)), "still accepting while draining")
            time.sleep(0.5)
            conn.sendall(REQUEST)
            self.assertIn("shakedown scenario: valid", read_all(conn))
            conn.close()
            self.assertEqual(srv.proc.wait(timeout=10), 0)
            self.assertIn("drain: every connection finished; stopping", srv.text())
        finally:
            srv.close()

    def test_drain_is_bounded(self):
        srv = self.start("--drain-timeout", "1")
        try:
            conn = tls_connect(srv.port["stall-after-handshake"])
            conn.sendall(REQUEST)
            start = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            self.assertEqual(srv.proc.wait(timeout=10), 0)
            self.assertLess(time.monotonic() - start, 8)
            self.assertIn("drain: 1 connections still open after 1.0 s; resetting them",
                          srv.text())
            conn.close()
        finally:
            srv.close()

    def test_second_sigterm_stops_at_once(self):
        srv = self.start("--drain-timeout", "60")
        try:
            conn = tls_connect(srv.port["valid"])
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(wait_for(lambda: "draining" in srv.text()))
            srv.proc.send_signal(signal.SIGTERM)
            self.assertEqual(srv.proc.wait(timeout=10), 0)
            self.assertIn("SIGTERM again: stopping now", srv.text())
            conn.close()
        finally:
            srv.close()


class Workers(unittest.TestCase):
    def test_two_loops_share_the_ports(self):
        srv = ServerProcess(SHAKEDOWN, ["--only", "valid,expired", "--workers", "2"],
                            json_log=True)
        try:
            url = srv.ports["dashboard"]["url"]
            stream = socket.create_connection(("127.0.0.1", srv.ports["dashboard"]["port"]))
            stream.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            for _ in range(40):
                self.assertIn("shakedown scenario: valid", get(srv.port["valid"]))
            self.assertTrue(wait_for(lambda: len(srv.events(event="verdict")) == 40))
            ids = {e["id"] for e in srv.events(event="verdict")}
            self.assertEqual(len(ids), 40)
            # Worker i of n numbers its connections i+1, i+1+n, ...
            self.assertTrue(any(i % 2 == 1 for i in ids) and any(i % 2 == 0 for i in ids),
                            "one loop took every connection: %s" % sorted(ids))
            # Every event reaches the dashboard's stream, whichever loop logged it.
            stream.settimeout(10)
            seen = b""
            while seen.count(b'"event":"verdict"') < 40:
                chunk = stream.recv(65536)
                self.assertTrue(chunk, "event stream ended")
                seen += chunk
            stream.close()
            self.assertTrue(url.startswith("http://127.0.0.1:"))
            self.assertTrue(wait_for(lambda: srv.stats()[0] == 0))
            self.assertEqual(srv.stop(), 0)
            self.assertIn("worker 1: SIGTERM: stopping (no connections open)", info(srv))
        finally:
            srv.close()


class WorkersReload(unittest.TestCase):
    """SIGHUP with --workers 2: every loop swaps to the new entries at a
    safe point of its own, the old ones die with their last connection."""

    def setUp(self):
        self.s = Scenarios()
        for name in ("alpha", "beta", "gamma"):
            self.s.write(name, title="%s, first version" % name)
        self.srv = ServerProcess(SHAKEDOWN, ["--scenarios", self.s.dir, "--certs", CERTS,
                                             "--no-dashboard", "--workers", "2"],
                                 json_log=True)

    def tearDown(self):
        self.srv.close()
        self.s.tmp.cleanup()

    def loops_that_served(self, name):
        """Which loops (0: the primary, 1: the worker) logged a verdict for
        the scenario: loop i of 2 numbers its connections i+1, i+3, ..."""
        return {(e["id"] - 1) % 2 for e in self.srv.events(event="verdict", scenario=name)}

    def test_reload_reaches_every_loop(self):
        srv = self.srv
        old = dict(srv.port)
        in_flight = [tls_connect(old["beta"]) for _ in range(6)]
        self.s.write("beta", title="beta, second version")
        self.s.remove("gamma")
        self.s.write("delta", title="delta, new")
        reload(srv, "SIGHUP: reloaded")
        self.assertIn("SIGHUP: reloaded: 1 added, 1 changed, 1 removed, 1 unchanged",
                      info(srv))
        self.assertTrue(wait_for(lambda: "worker 1: SIGHUP: took" in info(srv)),
                        "the worker did not take the reload:\n" + srv.text())
        self.assertIn("worker 1: SIGHUP: took the reloaded scenarios (3 listening)",
                      info(srv))
        self.assertEqual(srv.port["alpha"], old["alpha"])
        self.assertEqual(srv.port["beta"], old["beta"])
        for _ in range(30):
            self.assertIn("alpha, first version", get(srv.port["alpha"]))
            self.assertIn("beta, second version", get(srv.port["beta"]))
            self.assertIn("delta, new", get(srv.port["delta"]))
        for name in ("alpha", "beta", "delta"):
            self.assertEqual(self.loops_that_served(name), {0, 1},
                             "%s was not served by both loops" % name)
        self.assertTrue(refused(old["gamma"]), "a removed scenario still accepts")
        # Connections that began before the reload finish as they began.
        for conn in in_flight:
            conn.sendall(REQUEST)
            self.assertIn("beta, first version", read_all(conn))
            conn.close()
        self.assertTrue(wait_for(lambda: srv.stats()[0] == 0), "connections left open")
        self.assertEqual(srv.stop(), 0)
        self.assertIn("worker 1: SIGTERM: stopping (no connections open)", info(srv))


class SafeDefaults(unittest.TestCase):
    def test_world_readable_key_is_refused_unless_allowed(self):
        with tempfile.TemporaryDirectory(prefix="shakedown-keys-") as certs:
            for f in ("ca.pem", "intermediate.pem", "leaf.pem", "leaf.key"):
                shutil.copy2(os.path.join(CERTS, f), certs)
            os.chmod(os.path.join(certs, "leaf.key"), 0o644)
            r = subprocess.run([SHAKEDOWN, "--check", "--only", "valid", "--certs", certs],
                               cwd=TOP, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("leaf.key is readable by every user (mode 0644): chmod 600 it, "
                          "or pass --allow-readable-keys", r.stderr)
            r = subprocess.run([SHAKEDOWN, "--check", "--only", "valid", "--certs", certs,
                                "--allow-readable-keys"],
                               cwd=TOP, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("1 scenarios checked, 0 unavailable in this build, 0 broken",
                          r.stdout)

    def test_generated_keys_are_private(self):
        for f in os.listdir(CERTS):
            if f.endswith(".key") or f.endswith(".p12"):
                mode = os.stat(os.path.join(CERTS, f)).st_mode & 0o777
                self.assertEqual(mode, 0o600, "%s has mode %o" % (f, mode))

    def test_non_loopback_bind_is_warned(self):
        srv = ServerProcess(SHAKEDOWN, ["--only", "valid", "--bind", "0.0.0.0",
                                        "--no-dashboard"])
        try:
            self.assertTrue(wait_for(lambda: "not a loopback address" in srv.text()))
            self.assertIn("warning: listening on 0.0.0.0, not a loopback address",
                          srv.text())
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()
        srv = ServerProcess(SHAKEDOWN, ["--only", "valid", "--no-dashboard"])
        try:
            self.assertEqual(srv.ports["bind"], "127.0.0.1")
            self.assertEqual(srv.stop(), 0)
            self.assertNotIn("not a loopback address", srv.text())
        finally:
            srv.close()

    def test_client_hello_over_the_limit_is_refused(self):
        srv = ServerProcess(SHAKEDOWN, ["--only", "valid", "--no-dashboard",
                                        "--max-client-hello", "1024"], json_log=True)
        try:
            # A record and handshake header declaring a 4000-byte ClientHello.
            with socket.create_connection(("127.0.0.1", srv.port["valid"])) as s:
                s.sendall(b"\x16\x03\x01\x0f\xa4" + b"\x01\x00\x0f\xa0" + b"\x03\x03")
                s.settimeout(10)
                try:
                    self.assertEqual(s.recv(10), b"")
                except ConnectionResetError:
                    pass
            self.assertTrue(wait_for(lambda: srv.events(event="closed")))
            closed = srv.events(event="closed")[0]
            self.assertEqual(closed["reason"], "ClientHello exceeds the --max-client-hello limit")
            self.assertEqual(closed["detail"], "ClientHello of 4000 bytes, limit 1024")
            self.assertIn("shakedown scenario: valid", get(srv.port["valid"]))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--shakedown", default=SHAKEDOWN)
    a, rest = p.parse_known_args()
    SHAKEDOWN = os.path.abspath(a.shakedown)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
