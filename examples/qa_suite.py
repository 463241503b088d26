#!/usr/bin/env python3
"""A QA suite that uses shakedown the way your CI would.

It starts shakedown on ephemeral ports, connects to every scenario with
Python's standard ssl module -- configured the way an application should be:
the default context, trusting certs/ca.pem, host names checked, a timeout --
and asserts that the client

  * REJECTS every broken server, each for the right reason (an expired
    certificate must fail as "certificate has expired", not as a timeout), and
  * ACCEPTS the control scenario `valid` and reads its HTTP response.

Then it stops shakedown with SIGTERM and checks that it exited with status 0.

Standard library only. Run it from a shakedown checkout:

    python3 examples/qa_suite.py                       # ./build/shakedown
    python3 examples/qa_suite.py --shakedown PATH -v   # or SHAKEDOWN=PATH

Options (each also an environment variable): --shakedown (SHAKEDOWN, default
./build/shakedown), --certs (SHAKEDOWN_CERTS, default certs), --scenarios
(SHAKEDOWN_SCENARIOS, default scenarios). Anything else goes to unittest
(-v, -k PATTERN, ...). To test your own client, replace fetch() below and
the expected errors in the tables; examples/README.md explains how.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

# Where shakedown and its files are; set by main() from the command line.
SHAKEDOWN = "build/shakedown"
CERTS = "certs"
SCENARIOS = "scenarios"

# Seconds a client waits for a silent server. The stall and drip scenarios
# fail with exactly this timeout, so keep it short; a real client must have
# one too, or it hangs for as long as the server likes.
TIMEOUT = 3.0

# The TLS 1.2 cipher suites the client offers: CPython's own default list
# (forward secrecy, no SHA-1 suites). Set explicitly because some builds --
# Debian's python3 among them -- use OpenSSL's much longer default instead,
# which still includes static-RSA and CBC-SHA1 suites and so changes which
# scenarios fail and how. Pin what your application pins.
CIPHERS = ("@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES"
           ":!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM")

# Names the SNI scenarios register (certs/leaf-sni.pem is issued for them).
# They need no DNS: the client connects to the server's address and sends
# the name only in the TLS handshake (SNI) and checks it in the certificate.
REGISTERED_NAME = "shakedown.test"

# ---------------------------------------------------------------------------
# What must fail, and how. One table per family (the catalogue's category).
# Each entry: scenario -> (exception class, text the message must contain).
# These are what Python 3.11 with OpenSSL 3.0 reports (Debian 12); the
# catalogue (`shakedown --list --json`, client "python") records the same,
# and test_tables_cover_the_catalogue keeps the two lists in step.
# ---------------------------------------------------------------------------
VERIFY = ssl.SSLCertVerificationError  # the certificate was checked and refused
TLS = ssl.SSLError                     # a TLS alert or protocol error
# The server closed (FIN) mid-handshake. Python 3.11.3 and later raise
# SSLEOFError ("UNEXPECTED_EOF_WHILE_READING ... EOF occurred in violation of
# protocol"); older builds linked with OpenSSL 3, such as Debian 12's 3.11.2,
# raise SSLZeroReturnError ("... closed (EOF)") -- CPython issue gh-95494.
EOF = (ssl.SSLEOFError, ssl.SSLZeroReturnError)
RESET = ConnectionResetError           # the server reset the TCP connection
TIMED_OUT = TimeoutError               # the server went silent

HANDSHAKE_FAILURE = "SSLV3_ALERT_HANDSHAKE_FAILURE"  # alert 40 from the server

CERTIFICATE = {
    "expired":              (VERIFY, "certificate has expired"),
    "not-yet-valid":        (VERIFY, "certificate is not yet valid"),
    "wrong-host":           (VERIFY, "Hostname mismatch, certificate is not valid for 'localhost'"),
    "self-signed":          (VERIFY, "self-signed certificate"),
    "untrusted-root":       (VERIFY, "self-signed certificate in certificate chain"),
    "incomplete-chain":     (VERIFY, "unable to get local issuer certificate"),
    "expired-intermediate": (VERIFY, "certificate has expired"),
    "sha1-signature":       (VERIFY, "CA signature digest algorithm too weak"),
    "md5-signature":        (VERIFY, "CA signature digest algorithm too weak"),
    "weak-rsa-1024":        (VERIFY, "EE certificate key too weak"),
    "wrong-eku":            (VERIFY, "unsuitable certificate purpose"),
    # The certificate verifies, but the server cannot prove it holds its key.
    "key-mismatch":         (TLS, "BAD_SIGNATURE"),
    "rsa512":               (VERIFY, "EE certificate key too weak"),
    "sha1-intermediate":    (VERIFY, "CA signature digest algorithm too weak"),
    "10000-sans":           (TLS, "EXCESSIVE_MESSAGE_SIZE"),
    "rsa-pss-leaf":         (TLS, "WRONG_SIGNATURE_TYPE"),
    "intermediate-no-keycertsign":       (VERIFY, "invalid CA certificate"),
    "intermediate-no-basic-constraints": (VERIFY, "invalid CA certificate"),
    "pathlen-exceeded":           (VERIFY, "path length constraint exceeded"),
    "name-constraints-permitted": (VERIFY, "permitted subtree violation"),
    "name-constraints-excluded":  (VERIFY, "excluded subtree violation"),
    "unknown-critical-extension": (VERIFY, "unhandled critical extension"),
    # A third element is the name to ask for, where the scenario needs one.
    "ip-without-ip-san": (VERIFY, "IP address mismatch", "127.0.0.1"),
    "ip-in-dns-san":     (VERIFY, "IP address mismatch", "127.0.0.1"),
    "wildcard-depth":    (VERIFY, "Hostname mismatch", "b.c.a.shakedown.test"),
}

# Python's default context offers TLS 1.2 and 1.3 only.
PROTOCOL = {
    "tls1.0-only": (TLS, HANDSHAKE_FAILURE),
    "tls1.1-only": (TLS, HANDSHAKE_FAILURE),
    "ssl3-only":   (TLS, HANDSHAKE_FAILURE),
    "ske-sha1":    (TLS, "WRONG_SIGNATURE_TYPE"),  # SHA-1 is not offered
}

CIPHER = {
    "weak-ciphers":     (TLS, HANDSHAKE_FAILURE),
    "rc4":              (TLS, HANDSHAKE_FAILURE),
    "3des":             (TLS, HANDSHAKE_FAILURE),
    "null-cipher":      (TLS, HANDSHAKE_FAILURE),
    "anon-dh":          (TLS, HANDSHAKE_FAILURE),
    "dh-1024":          (TLS, "DH_KEY_TOO_SMALL"),
    "dh-512":           (TLS, "DH_KEY_TOO_SMALL"),
    "static-rsa":       (TLS, HANDSHAKE_FAILURE),  # no forward secrecy offered
    "no-common-cipher": (TLS, HANDSHAKE_FAILURE),
    "rc4-md5":          (TLS, HANDSHAKE_FAILURE),
    "dh480":            (TLS, "BAD_DH_VALUE"),
}

# This client has no client certificate, so every server that demands one
# refuses it. In TLS 1.3 the refusal arrives after the client's handshake
# has finished, on the first read -- fetch() reads, so it sees it.
CLIENT_CERT = {
    "client-cert-required":       (TLS, HANDSHAKE_FAILURE),
    "client-cert-required-tls13": (TLS, "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
    "client-cert-weak-key":       (TLS, HANDSHAKE_FAILURE),
    "client-cert-untrusted":      (TLS, HANDSHAKE_FAILURE),
    "client-cert-renegotiation":  (TLS, HANDSHAKE_FAILURE),
    "client-cert-expired":        (TLS, HANDSHAKE_FAILURE),
    "client-cert-server-eku":     (TLS, HANDSHAKE_FAILURE),
}

# These servers know only REGISTERED_NAME; the client asks for localhost.
SNI = {
    "sni-mismatch":          (VERIFY, "Hostname mismatch, certificate is not valid for 'localhost'"),
    "sni-unrecognized-name": (TLS, "TLSV1_UNRECOGNIZED_NAME"),
    "sni-rst":               (RESET, "Connection reset by peer"),
}

TRANSPORT = {
    "reset-on-accept":          (RESET, "Connection reset by peer"),
    "close-on-accept":          (EOF, "EOF"),
    "stall-after-client-hello": (TIMED_OUT, "The handshake operation timed out"),
    "close-after-client-hello": (EOF, "EOF"),
    "reset-after-server-hello": (RESET, "Connection reset by peer"),
    "close-mid-certificate":    (EOF, "EOF"),
    "drip-handshake":           (TIMED_OUT, "The handshake operation timed out"),
    "plaintext-http":           (TLS, "WRONG_VERSION_NUMBER"),
    "garbage-response":         (TLS, "WRONG_VERSION_NUMBER"),
    "stall-after-handshake":    (TIMED_OUT, "The read operation timed out"),
}

# A fatal alert instead of a ServerHello: OpenSSL names each one ("sslv3
# alert unexpected message" in 3.0, "ssl/tls alert ..." in 3.5).
ALERT = {"alert-" + name.replace(" ", "-").replace("cancelled", "canceled"):
         (TLS, ("alert " if not name.startswith(("unrecognized", "bad certificate status"))
                else "") + name)
         for name in ("unexpected message", "handshake failure", "bad certificate",
                      "unsupported certificate", "certificate revoked",
                      "certificate expired", "certificate unknown", "illegal parameter",
                      "unknown ca", "access denied", "decode error", "decrypt error",
                      "protocol version", "insufficient security", "internal error",
                      "inappropriate fallback", "user cancelled", "missing extension",
                      "unrecognized name", "bad certificate status response",
                      "unknown psk identity", "certificate required",
                      "no application protocol")}

# This client offers no ALPN; a server that speaks only another protocol
# refuses a ClientHello without it too (alert 120).
ALPN = {
    "alpn-mismatch": (TLS, "tlsv1 alert no application protocol"),
}

MUST_FAIL = {**CERTIFICATE, **PROTOCOL, **CIPHER, **CLIENT_CERT, **SNI, **TRANSPORT,
             **ALERT, **ALPN}

# What this client refuses although Debian's default context accepts it,
# because it pins CPython's suites (CIPHERS above): Debian's python3 offers
# OpenSSL's default list, RSA key exchange included.
STRICTER_THAN_DEFAULT = {"static-rsa"}


def fetch(address, port, host="localhost"):
    """The client under test: one HTTPS request, the way an application
    makes it. Connects to address:port, sends `host` as SNI and checks the
    certificate against it, sends GET / and returns the whole response.
    Raises whatever the ssl and socket modules raise.

    To test another client, make this function drive it instead (run it as a
    subprocess, say) and raise, or return, what it reports."""
    context = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
    context.set_ciphers(CIPHERS)
    with socket.create_connection((address, port), timeout=TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                        % host.encode())
            response = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    return response
                response += chunk


class Shakedown:
    """shakedown as a child process on ephemeral ports."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="shakedown-qa-")
        ports_file = os.path.join(self.dir.name, "ports.json")
        self.log_path = os.path.join(self.dir.name, "shakedown.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [SHAKEDOWN, "--ephemeral-ports", "--ports-file", ports_file,
                 "--certs", CERTS, "--scenarios", SCENARIOS],
                stdout=log, stderr=subprocess.STDOUT)
        # The ports file appears (atomically) once every listener is bound.
        deadline = time.monotonic() + 30
        while not os.path.exists(ports_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.log()
                self.close()
                raise RuntimeError("shakedown wrote no ports file (exit status %s); "
                                   "its log:\n%s" % (self.proc.returncode, log))
            time.sleep(0.05)
        with open(ports_file) as f:
            ports = json.load(f)
        # {"bind": "127.0.0.1", "scenarios": [{"name": ..., "port": ...}],
        #  "unavailable": [{"name": ..., "reason": ...}]}
        self.address = ports["bind"]
        self.port = {s["name"]: s["port"] for s in ports["scenarios"]}
        self.unavailable = {s["name"]: s["reason"] for s in ports.get("unavailable", [])}

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def trace(self, name):
        """The server's account of the connections to one scenario."""
        prefix = "[%s #" % name
        return "\n".join(l for l in self.log().splitlines() if l.startswith(prefix))

    def stop(self):
        """SIGTERM, then the exit status (0 when it shut down cleanly)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        finally:
            self.final_log = self.log()
            self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.dir.cleanup()


def catalogue():
    """`shakedown --list --json`: every scenario with what each client shows."""
    out = subprocess.run([SHAKEDOWN, "--list", "--json", "--scenarios", SCENARIOS,
                          "--certs", CERTS], check=True, stdout=subprocess.PIPE)
    return json.loads(out.stdout)["scenarios"]


class QASuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Shakedown()

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        if status != 0:
            raise AssertionError("shakedown exited with status %d on SIGTERM; its log "
                                 "ends:\n%s" % (status, cls.server.final_log[-2000:]))

    # -- helpers ----------------------------------------------------------

    def port_of(self, name):
        if name in self.server.unavailable:
            self.skipTest("%s is not served by this build: %s"
                          % (name, self.server.unavailable[name]))
        self.assertIn(name, self.server.port, "shakedown does not serve '%s'" % name)
        return self.server.port[name]

    def assertRejected(self, name, error, reason, host="localhost"):
        """The client must fail on scenario `name` with `error` (a class or a
        tuple of classes) whose message contains `reason`. On failure, the
        message includes shakedown's trace of the connection, which says what
        the server did and saw."""
        port = self.port_of(name)
        expected = " or ".join(c.__name__ for c in
                               (error if isinstance(error, tuple) else (error,)))
        try:
            response = fetch(self.server.address, port, host)
        except Exception as e:
            refusal = e  # checked below, outside the handler, for a short traceback
        else:
            self.fail("%s: the client ACCEPTED this server (response %r); it must "
                      "refuse it with %s: %s\n%s"
                      % (name, response[:60], expected, reason,
                         self.server.trace(name)))
        self.assertIsInstance(
            refusal, error, "%s: expected %s (%s), got %s: %s\n%s"
            % (name, expected, reason, type(refusal).__name__, refusal,
               self.server.trace(name)))
        self.assertIn(reason, str(refusal),
                      "%s: refused, but not for the expected reason\n%s"
                      % (name, self.server.trace(name)))

    def assertAccepted(self, name, host="localhost"):
        """The client must complete the handshake and get HTTP 200."""
        port = self.port_of(name)
        try:
            response = fetch(self.server.address, port, host)
        except Exception as e:
            self.fail("%s: the client REFUSED this server as %s: %s: %s\n%s"
                      % (name, host, type(e).__name__, e, self.server.trace(name)))
        status = response.split(b"\r\n", 1)[0]
        self.assertEqual(status, b"HTTP/1.1 200 OK", "%s: unexpected response %r"
                         % (name, response[:200]))
        return response

    def check_family(self, table):
        for name, (error, reason, *host) in table.items():
            with self.subTest(scenario=name):
                self.assertRejected(name, error, reason, *host)

    # -- what must work ---------------------------------------------------

    def test_valid_is_accepted(self):
        response = self.assertAccepted("valid")
        # Every scenario's page names it: proof we reached the right port.
        self.assertIn(b"shakedown scenario: valid", response)

    def test_registered_sni_name_is_accepted(self):
        for name in SNI:
            with self.subTest(scenario=name, host=REGISTERED_NAME):
                self.assertAccepted(name, host=REGISTERED_NAME)

    # -- what must fail, one family at a time -----------------------------

    def test_certificate_problems_are_rejected(self):
        self.check_family(CERTIFICATE)

    def test_old_protocols_are_rejected(self):
        self.check_family(PROTOCOL)

    def test_weak_ciphers_are_rejected(self):
        self.check_family(CIPHER)

    def test_client_certificate_demands_fail_without_one(self):
        self.check_family(CLIENT_CERT)

    def test_unregistered_sni_names_are_rejected(self):
        self.check_family(SNI)

    def test_transport_faults_fail_cleanly(self):
        self.check_family(TRANSPORT)

    def test_alerts_are_reported(self):
        self.check_family(ALERT)

    # -- keep the tables honest -------------------------------------------

    def test_tables_cover_the_catalogue(self):
        """Every scenario the catalogue says Python's default client must
        refuse (its [expect.python] exit is not 0) is in a table above, and
        nothing else is. A new scenario in shakedown fails here until you
        decide what your client should do with it."""
        must_fail = set(STRICTER_THAN_DEFAULT)
        for scenario in catalogue():
            for expect in scenario["expect"]:
                if expect["client"] == "python" and expect["variant"] == "" \
                        and 0 not in expect["exits"]:
                    must_fail.add(scenario["name"])
        self.assertEqual(set(MUST_FAIL) - must_fail, set(),
                         "in the tables, but the catalogue expects Python to succeed")
        self.assertEqual(must_fail - set(MUST_FAIL), set(),
                         "the catalogue expects Python to fail, but no table lists them")


def main():
    global SHAKEDOWN, CERTS, SCENARIOS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--shakedown", default=os.environ.get("SHAKEDOWN", SHAKEDOWN))
    parser.add_argument("--certs", default=os.environ.get("SHAKEDOWN_CERTS", CERTS))
    parser.add_argument("--scenarios",
                        default=os.environ.get("SHAKEDOWN_SCENARIOS", SCENARIOS))
    args, rest = parser.parse_known_args()
    SHAKEDOWN = os.path.abspath(args.shakedown)
    CERTS = os.path.abspath(args.certs)
    SCENARIOS = os.path.abspath(args.scenarios)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
