#!/usr/bin/env python3
"""[resumption] as a resuming client meets it. For every scenario that has
the section (from --list --json) and for the control (valid), over TLS 1.2
and TLS 1.3, Python's ssl connects, fetches the page, then connects again
offering the session it got:
- the control resumes it;
- refuse: the first connection got a ticket, the second is a full
  handshake (with a new ticket in TLS 1.3, none in 1.2: wolfSSL's way);
- cert: the first connection meets the [tls] certificate and the second,
  in a full handshake, the [resumption] one (compared with the PEM files);
- action alert:NAME: the second connection is refused with that alert,
  and the trace names the offer the server saw (a pre-shared key in 1.3,
  a ticket in 1.2).
And a [resumption] identity without its key is an error of the file."""
import argparse
import json
import os
import ssl
import socket
import subprocess
import sys
import tempfile
import unittest

from server_process import ServerProcess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAKEDOWN = os.path.join(TOP, "build", "shakedown")
CERTS = os.path.join(TOP, "certs")
VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
ALERT_REASONS = {"handshake_failure": "SSLV3_ALERT_HANDSHAKE_FAILURE"}


def der(stem):
    with open(os.path.join(CERTS, stem + ".pem")) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def client(version):
    """A context that leaves the certificate unchecked (what the server sends
    is the point); a session can only be offered again from its own one."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    return ctx


def connect(port, ctx, session=None):
    """One connection and one request: (certificate DER, session, reused)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            while tls.recv(65536):
                pass  # TLS 1.3's tickets arrive with the response
            return tls.getpeercert(binary_form=True), tls.session, tls.session_reused


def catalogue():
    out = subprocess.run([SHAKEDOWN, "--list", "--json"], cwd=TOP, check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)["scenarios"]


class Resumption(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sections = {s["name"]: s["resumption"] for s in catalogue()
                        if s["resumption"]["refuse"] or s["resumption"]["cert"]
                        or s["resumption"]["action"] != "serve"}
        cls.srv = ServerProcess(SHAKEDOWN, ["--no-dashboard", "--only",
                                            ",".join(["valid"] + sorted(cls.sections))])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()

    def of(self, key, test):
        names = [n for n, r in self.sections.items() if test(r[key])]
        self.assertTrue(names, "no scenario with [resumption] %s" % key)
        return names

    def test_the_control_resumes(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                port = self.srv.port["valid"]
                ctx = client(version)
                _, session, _ = connect(port, ctx)
                _, _, reused = connect(port, ctx, session)
                self.assertTrue(reused)

    def test_refuse(self):
        for name in self.of("refuse", bool):
            for version in VERSIONS:
                with self.subTest(scenario=name, version=version):
                    port = self.srv.port[name]
                    ctx = client(version)
                    _, session, _ = connect(port, ctx)
                    self.assertTrue(session.has_ticket)
                    _, again, reused = connect(port, ctx, session)
                    self.assertFalse(reused)
                    # TLS 1.3 issues a new ticket after the full handshake;
                    # wolfSSL's TLS 1.2 issues none once it rejected one
                    self.assertEqual(again.has_ticket, version == "1.3")

    def test_another_certificate(self):
        for name in self.of("cert", bool):
            for version in VERSIONS:
                with self.subTest(scenario=name, version=version):
                    port = self.srv.port[name]
                    ctx = client(version)
                    first, session, _ = connect(port, ctx)
                    second, _, reused = connect(port, ctx, session)
                    self.assertFalse(reused)
                    self.assertEqual(second, der(self.sections[name]["cert"]))
                    self.assertNotEqual(first, second)

    def test_alert(self):
        offers = {"1.2": "a TLS 1.2 session ticket", "1.3": "a TLS 1.3 pre-shared key"}
        for name in self.of("action", lambda a: a.startswith("alert:")):
            alert = self.sections[name]["action"][len("alert:"):]
            for version in VERSIONS:
                with self.subTest(scenario=name, version=version):
                    port = self.srv.port[name]
                    ctx = client(version)
                    _, session, _ = connect(port, ctx)
                    with self.assertRaises(ssl.SSLError) as e:
                        connect(port, ctx, session)
                    self.assertIn(ALERT_REASONS[alert], str(e.exception))
                    self.assertIn("action: the client offers to resume a session (%s): "
                                  "fatal alert %s" % (offers[version], alert),
                                  self.srv.text())


SCENARIO = """[scenario]
name = resumes
title = t
category = control
port = 0
explain = Only for the tests.

[tls]
cert = leaf
key = leaf

[resumption]
cert = leaf-wrong-host
"""


class Files(unittest.TestCase):
    def test_an_identity_without_its_key(self):
        with tempfile.TemporaryDirectory(prefix="shakedown-resumption-") as d:
            path = os.path.join(d, "resumes.ini")
            with open(path, "w") as f:
                f.write(SCENARIO)
            r = subprocess.run([SHAKEDOWN, "--scenarios", path, "--check"], cwd=TOP,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("%s:12: [resumption] needs both cert and key, or neither" % path,
                          r.stderr.decode())


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shakedown", default=SHAKEDOWN)
    args, rest = ap.parse_known_args()
    SHAKEDOWN = os.path.abspath(args.shakedown)
    unittest.main(argv=[sys.argv[0]] + rest)
