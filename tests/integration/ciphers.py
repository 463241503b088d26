#!/usr/bin/env python3
"""What a scanner sees: nmap's ssl-enum-ciphers against the real server.
Every scenario of the protocol and cipher categories (from --list --json)
shows nmap exactly the versions it says and no suite but those it names.
The control scenario, and every scenario that names no suites and speaks
only TLS 1.2 and 1.3, offers forward-secret AEAD suites only; a scenario
that names its own suites offers those; one that allows versions below
TLS 1.2 keeps wolfSSL's default. A scenario that splits its handshake
messages across records ([tls] handshake_record_size) is not scanned:
ssl-enum-ciphers reads one message per record, and Debian 12's nmap 7.93
lists no version at all for one that splits the ServerHello (the scenario
is there to find exactly such readers; integration.records checks the
records themselves). Exit 77 (skip) without Debian's nmap, unless
SHAKEDOWN_REQUIRE_NMAP=1."""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from server_process import ServerProcess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAKEDOWN = os.path.join(TOP, "build", "shakedown")
NMAP = "/usr/bin/nmap"

# ECDHE with AES-GCM or ChaCha20-Poly1305 (TLS 1.2), and the TLS 1.3 AEAD
# suites (nmap calls them TLS_AKE_WITH_...).
MODERN = re.compile(r"^TLS_ECDHE_(RSA|ECDSA)_WITH_(AES_(128_GCM_SHA256|256_GCM_SHA384)|"
                    r"CHACHA20_POLY1305_SHA256)$"
                    r"|^TLS_(AKE_WITH_)?(AES_128_GCM_SHA256|AES_256_GCM_SHA384|"
                    r"CHACHA20_POLY1305_SHA256)$")
# The leaf is RSA: these are what a client can negotiate with it.
EXPECTED_TLS12 = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}
EXPECTED_TLS13 = {"TLS_AKE_WITH_AES_128_GCM_SHA256",
                  "TLS_AKE_WITH_AES_256_GCM_SHA384",
                  "TLS_AKE_WITH_CHACHA20_POLY1305_SHA256"}

OLD_VERSIONS = """[scenario]
name = old-versions-default
title = TLS 1.0 to 1.2 with no suites named
category = control
port = 0
explain = Only for the tests.

[tls]
versions = 1.0-1.2
cert = leaf
key = leaf
chain = intermediate
"""


def enum_ciphers(port):
    """{"TLSv1.2": [suite, ...], ...} as nmap's ssl-enum-ciphers lists them."""
    r = subprocess.run([NMAP, "-Pn", "--script", "ssl-enum-ciphers", "-p", str(port),
                        "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = r.stdout.decode()
    if r.returncode != 0 or "ssl-enum-ciphers" not in out:
        raise AssertionError("nmap failed (exit %d):\n%s" % (r.returncode, out))
    found, version = {}, None
    for line in out.splitlines():
        m = re.match(r"^\|\s+((?:TLS|SSL)v[\d.]+):\s*$", line)
        if m:
            version = m.group(1)
            found[version] = []
            continue
        m = re.match(r"^\|\s+((?:TLS|SSL)_\S+) \(", line)
        if m and version is not None:
            found[version].append(m.group(1))
    return found, out


NMAP_VERSION = {"ssl3": "SSLv3", "1.0": "TLSv1.0", "1.1": "TLSv1.1", "1.2": "TLSv1.2",
                "1.3": "TLSv1.3"}
ORDER = ["ssl3", "1.0", "1.1", "1.2", "1.3"]


def versions_of(spec):
    """"1.0-1.2" -> {"TLSv1.0", "TLSv1.1", "TLSv1.2"}, as nmap names them."""
    lo, _, hi = spec.partition("-")
    hi = hi or lo
    return {NMAP_VERSION[v] for v in ORDER[ORDER.index(lo):ORDER.index(hi) + 1]}


def normal(suite):
    """One spelling for nmap's and IANA's names: nmap says TLS_ where the
    registry kept SSL_ (RC4, 3DES), and TLS_AKE_WITH_ for TLS 1.3."""
    if suite.startswith("SSL_"):
        suite = "TLS_" + suite[4:]
    return suite.replace("TLS_AKE_WITH_", "TLS_")


def catalogue(shakedown):
    out = subprocess.run([shakedown, "--list", "--json"], cwd=TOP, check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)["scenarios"]


class EveryScenario(unittest.TestCase):
    """Every scenario of the protocol and cipher categories, scanned: nmap
    sees exactly the versions the scenario says, and no suite but those it
    names (or, naming none with TLS 1.2 and 1.3 only, forward-secret AEAD
    suites only)."""

    @classmethod
    def setUpClass(cls):
        cls.scenarios = [s for s in catalogue(SHAKEDOWN)
                         if s["category"] in ("protocol", "cipher") and s["available"]
                         and s["records"]["handshake_size"] == 0]
        cls.srv = ServerProcess(SHAKEDOWN, ["--scenarios", "scenarios", "--no-dashboard",
                                            "--only", ",".join(s["name"] for s in cls.scenarios)])
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            cls.scans = dict(zip([s["name"] for s in cls.scenarios],
                                 pool.map(lambda s: enum_ciphers(cls.srv.port[s["name"]]),
                                          cls.scenarios)))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()

    def test_there_are_scenarios_to_scan(self):
        self.assertGreaterEqual(len(self.scenarios), 25)

    def test_versions_agree(self):
        for s in self.scenarios:
            with self.subTest(scenario=s["name"]):
                found, out = self.scans[s["name"]]
                self.assertEqual(set(found), versions_of(s["versions"]), out)

    def test_suites_agree(self):
        for s in self.scenarios:
            with self.subTest(scenario=s["name"]):
                found, out = self.scans[s["name"]]
                suites = {normal(x) for listed in found.values() for x in listed}
                self.assertTrue(suites, out)
                if s["ciphers"]:
                    self.assertLessEqual(suites, {normal(x) for x in s["ciphers"]}, out)
                elif versions_of(s["versions"]) <= {"TLSv1.2", "TLSv1.3"}:
                    for suite in suites:
                        self.assertRegex(suite, MODERN, out)


class Ciphers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="shakedown-ciphers-")
        old = os.path.join(cls.tmp.name, "old-versions-default.ini")
        with open(old, "w") as f:
            f.write(OLD_VERSIONS)
        cls.srv = ServerProcess(SHAKEDOWN, [
            "--scenarios", "scenarios", "--scenarios", old, "--no-dashboard",
            "--only", "valid,tls1.2-only,tls1.3-only,static-rsa,old-versions-default"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()
        cls.tmp.cleanup()

    def scan(self, name):
        return enum_ciphers(self.srv.port[name])

    def assertModernOnly(self, found, out):
        suites = [s for listed in found.values() for s in listed]
        self.assertTrue(suites, out)
        for suite in suites:
            self.assertRegex(suite, MODERN, out)
        self.assertEqual(set(found) - {"TLSv1.2", "TLSv1.3"}, set(), out)

    def test_valid_is_a_model_configuration(self):
        found, out = self.scan("valid")
        self.assertModernOnly(found, out)
        self.assertEqual(set(found), {"TLSv1.2", "TLSv1.3"}, out)
        self.assertLessEqual(EXPECTED_TLS12, set(found["TLSv1.2"]), out)
        self.assertLessEqual(EXPECTED_TLS13, set(found["TLSv1.3"]), out)
        self.assertIn("least strength: A", out)

    def test_single_modern_versions_get_the_default(self):
        found, out = self.scan("tls1.2-only")
        self.assertModernOnly(found, out)
        self.assertEqual(set(found), {"TLSv1.2"}, out)
        self.assertLessEqual(EXPECTED_TLS12, set(found["TLSv1.2"]), out)
        found, out = self.scan("tls1.3-only")
        self.assertModernOnly(found, out)
        self.assertEqual(set(found), {"TLSv1.3"}, out)
        self.assertLessEqual(EXPECTED_TLS13, set(found["TLSv1.3"]), out)

    def test_own_suites_are_kept(self):
        found, out = self.scan("static-rsa")
        self.assertEqual(set(found), {"TLSv1.2"}, out)
        self.assertLessEqual({"TLS_RSA_WITH_AES_128_GCM_SHA256",
                              "TLS_RSA_WITH_AES_128_CBC_SHA"}, set(found["TLSv1.2"]), out)
        self.assertFalse(any(s.startswith("TLS_ECDHE") for s in found["TLSv1.2"]), out)

    def test_versions_below_tls12_keep_the_library_default(self):
        # There is no AEAD suite before TLS 1.2: wolfSSL's default serves.
        found, out = self.scan("old-versions-default")
        self.assertIn("TLSv1.0", found, out)
        self.assertTrue(found["TLSv1.0"], out)
        self.assertFalse(any(MODERN.match(s) for s in found["TLSv1.0"]), out)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--shakedown", default=SHAKEDOWN)
    a, rest = p.parse_known_args()
    SHAKEDOWN = os.path.abspath(a.shakedown)
    if not os.access(NMAP, os.X_OK):
        if os.environ.get("SHAKEDOWN_REQUIRE_NMAP") == "1":
            sys.exit("ciphers.py: %s is missing and SHAKEDOWN_REQUIRE_NMAP=1" % NMAP)
        print("ciphers.py: skipped: %s is not installed (apt-get install nmap)" % NMAP)
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
