#!/usr/bin/env python3
"""[tls] sign_with as it leaves the server. For every scenario that has it
(from --list --json) and for the control (valid, over TLS 1.2):
- on the wire, the signature scheme of the ServerKeyExchange is the
  scenario's (the control's is one the client offered);
- Debian's openssl s_client offering only that scheme completes the
  handshake and reports it, and offering only another scheme is refused
  with "wrong signature type": the server signs with its scheme whatever
  the client offered, where the control signs with what the client asks.
  (At security level 0 OpenSSL takes a SHA-1 signature it did not offer
  as RFC 5246's default, so that refusal is checked at level 2, and the
  wire shows the server sent SHA-1 to a client that did not offer it.)
And a scheme that does not suit the key, or versions other than 1.2, are
errors of the scenario file."""
import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

from server_process import ServerProcess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAKEDOWN = os.path.join(TOP, "build", "shakedown")
CA = os.path.join(TOP, "certs", "ca.pem")
OPENSSL = "/usr/bin/openssl"
# RFC 8446 section 4.2.3's codes, and what s_client -brief calls them.
SCHEMES = {
    "rsa_pkcs1_sha1": (0x0201, "SHA1", "RSA"),
    "rsa_pkcs1_sha256": (0x0401, "SHA256", "RSA"),
    "rsa_pkcs1_sha384": (0x0501, "SHA384", "RSA"),
    "rsa_pss_rsae_sha256": (0x0804, "SHA256", "RSA-PSS"),
    "rsa_pss_rsae_sha384": (0x0805, "SHA384", "RSA-PSS"),
}
HANDSHAKE, SERVER_KEY_EXCHANGE = 22, 12


def ske_scheme(port):
    """The signature scheme of the ServerKeyExchange an ECDHE_RSA TLS 1.2
    handshake from Python's ssl meets (whether or not it then completes)."""
    ctx = ssl.create_default_context(cafile=CA)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
    wire = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                break
            sock.sendall(out.read())
            d = sock.recv(65536)
            if not d:
                break
            wire += d
            inc.write(d)
    stream, i = b"", 0
    while i + 5 <= len(wire) and wire[i] == HANDSHAKE:
        n = wire[i + 3] << 8 | wire[i + 4]
        stream += wire[i + 5:i + 5 + n]
        i += 5 + n
    i = 0
    while i + 4 <= len(stream):
        ty, n = stream[i], int.from_bytes(stream[i + 1:i + 4], "big")
        body = stream[i + 4:i + 4 + n]
        if ty == SERVER_KEY_EXCHANGE:
            # ECParameters: curve_type, named_curve; then the point.
            at = 3 + 1 + body[3]
            return int.from_bytes(body[at:at + 2], "big")
        i += 4 + n
    raise AssertionError("no ServerKeyExchange in %d bytes from the server" % len(wire))


def s_client(port, scheme, level=0):
    """openssl s_client over TLS 1.2 offering only scheme, at OpenSSL's
    security level (0 lets SHA-1 be offered): (exit, output)."""
    r = subprocess.run([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", "localhost", "-CAfile", CA, "-verify_return_error",
                        "-tls1_2", "-sigalgs", scheme, "-cipher",
                        "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=%d" % level, "-brief"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return r.returncode, r.stdout.decode(errors="replace")


def catalogue():
    out = subprocess.run([SHAKEDOWN, "--list", "--json"], cwd=TOP, check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)["scenarios"]


class SignWith(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.signing = {s["name"]: s["sign_with"] for s in catalogue() if s["sign_with"]}
        cls.srv = ServerProcess(SHAKEDOWN, ["--no-dashboard", "--only",
                                            ",".join(["valid"] + sorted(cls.signing))])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()

    def test_there_are_scenarios(self):
        self.assertGreaterEqual(len(self.signing), 3)
        self.assertLessEqual(set(self.signing.values()), set(SCHEMES))

    def test_on_the_wire(self):
        for name, scheme in self.signing.items():
            with self.subTest(scenario=name):
                self.assertEqual(ske_scheme(self.srv.port[name]), SCHEMES[scheme][0])

    def test_the_control_picks_from_the_client(self):
        port = self.srv.port["valid"]
        offered = {code for code, _, _ in SCHEMES.values()}
        self.assertIn(ske_scheme(port), offered)
        for scheme in ("rsa_pkcs1_sha384", "rsa_pss_rsae_sha256"):
            with self.subTest(offered=scheme):
                code, out = s_client(port, scheme)
                self.assertEqual(code, 0, out)
                _, digest, kind = SCHEMES[scheme]
                self.assertIn("Hash used: %s\n" % digest, out)
                self.assertIn("Signature type: %s\n" % kind, out)

    def test_offering_the_scheme_completes(self):
        for name, scheme in self.signing.items():
            with self.subTest(scenario=name):
                code, out = s_client(self.srv.port[name], scheme)
                self.assertEqual(code, 0, out)
                _, digest, kind = SCHEMES[scheme]
                self.assertIn("Hash used: %s\n" % digest, out)
                self.assertIn("Signature type: %s\n" % kind, out)

    def test_offering_another_is_refused(self):
        for name, scheme in self.signing.items():
            other = "rsa_pkcs1_sha384" if scheme != "rsa_pkcs1_sha384" else "rsa_pss_rsae_sha256"
            with self.subTest(scenario=name, offered=other):
                code, out = s_client(self.srv.port[name], other, level=2)
                self.assertNotEqual(code, 0, out)
                self.assertIn("wrong signature type", out)


SCENARIO = """[scenario]
name = signs
title = t
category = control
port = 0
explain = Only for the tests.

[tls]
versions = {versions}
sign_with = {scheme}
cert = leaf
key = leaf
chain = intermediate
"""


class Files(unittest.TestCase):
    def check(self, versions, scheme):
        with tempfile.TemporaryDirectory(prefix="shakedown-sigalgs-") as d:
            path = os.path.join(d, "signs.ini")
            with open(path, "w") as f:
                f.write(SCENARIO.format(versions=versions, scheme=scheme))
            r = subprocess.run([SHAKEDOWN, "--scenarios", path, "--check"], cwd=TOP,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            return r.returncode, r.stderr.decode(), path

    def test_a_scheme_for_another_key_is_refused(self):
        code, err, path = self.check("1.2", "ecdsa_secp256r1_sha256")
        self.assertEqual(code, 2, err)
        self.assertIn('%s: scenario "signs" is unavailable: [tls] sign_with '
                      'ecdsa_secp256r1_sha256 does not suit the key of [tls] cert leaf'
                      % path, err)

    def test_tls13_is_refused(self):
        code, err, path = self.check("1.2-1.3", "rsa_pkcs1_sha256")
        self.assertEqual(code, 2, err)
        self.assertIn("%s:8: [tls] needs versions = 1.2 to go with sign_with" % path, err)

    def test_unknown_scheme(self):
        code, err, path = self.check("1.2", "rsa_md5")
        self.assertEqual(code, 2, err)
        self.assertIn('%s:10: [tls] sign_with: unknown signature scheme "rsa_md5"' % path, err)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shakedown", default=SHAKEDOWN)
    args, rest = ap.parse_known_args()
    SHAKEDOWN = os.path.abspath(args.shakedown)
    if not os.access(SHAKEDOWN, os.X_OK):
        sys.exit("%s: not built" % SHAKEDOWN)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
