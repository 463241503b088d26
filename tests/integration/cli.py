#!/usr/bin/env python3
"""Command-line and robustness tests of the real shakedown binary: usage
errors, file:line diagnostics, listing, the ports file, signals, a missing
certificate that leaves the other scenarios serving, and bad clients."""
import argparse
import json
import os
import re
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
CA = os.path.join(TOP, "certs", "ca.pem")

VALID = """[scenario]
name = {name}
title = A test scenario
category = control
port = {port}
explain = Only for the tests.

[tls]
cert = {cert}
key = leaf
chain = intermediate

[expect.curl]
exit = 0
message = ok
"""


def run(*args, timeout=30):
    r = subprocess.run([SHAKEDOWN] + list(args), cwd=TOP, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def Server(*args):
    return ServerProcess(SHAKEDOWN, args)


def https_get(port, host="localhost"):
    ctx = ssl.create_default_context(cafile=CA)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    return data.decode()
                data += chunk


class Usage(unittest.TestCase):
    def test_help(self):
        code, out, _ = run("--help")
        self.assertEqual(code, 0)
        for opt in ("--scenarios", "--certs", "--only", "--bind", "--protocol",
                    "--port-offset", "--ports-file", "--list", "--json", "--check",
                    "--version", "--dashboard-header-timeout",
                    "--dashboard-keepalive-timeout", "--dashboard-max-clients",
                    "--dashboard-max-streams"):
            self.assertIn(opt, out)

    def test_dashboard_limits_out_of_range(self):
        for opt, value in (("--dashboard-max-streams", "0"),
                           ("--dashboard-max-clients", "0"),
                           ("--dashboard-header-timeout", "0"),
                           ("--dashboard-keepalive-timeout", "x")):
            code, _, err = run(opt, value, "--list")
            self.assertEqual(code, 2, opt)
            self.assertIn(opt + ": ", err)

    def test_version(self):
        code, out, _ = run("--version")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^shakedown \d+\.\d+\.\d+ \(wolfSSL \d+\.\d+\.\d+\)\n$")

    def test_unknown_option(self):
        code, _, err = run("--bogus")
        self.assertEqual(code, 2)
        self.assertIn("unknown option --bogus", err)

    def test_stray_argument(self):
        code, _, err = run("scenarios")
        self.assertEqual(code, 2)
        self.assertIn('unexpected argument "scenarios"', err)

    def test_bad_number(self):
        code, _, err = run("--port-offset", "x")
        self.assertEqual(code, 2)
        self.assertIn('--port-offset: "x" is not a number', err)

    def test_only_unknown(self):
        code, _, err = run("--only", "valid,nosuch", "--list")
        self.assertEqual(code, 2)
        self.assertIn('no scenario named "nosuch"', err)

    def test_protocol_unknown(self):
        code, _, err = run("--protocol", "gopher", "--list")
        self.assertEqual(code, 2)
        self.assertIn('--protocol: "gopher" is not one of https, smtp, smtps, imap, imaps, '
                      'pop3, pop3s, ftp, ftps, postgres, mysql', err)

    def test_only_not_served_over_the_protocol(self):
        code, _, err = run("--protocol", "smtp", "--only", "valid,h2-only", "--list")
        self.assertEqual(code, 2)
        self.assertRegex(err, r'scenarios/h2-only.ini:\d+: --only: scenario "h2-only" is '
                              r'not served over smtp \(see its \[scenario\] served_over\)')
        code, _, err = run("--only", "starttls-stripped", "--list")
        self.assertEqual(code, 2)
        self.assertIn('scenario "starttls-stripped" is not served over https', err)

    def test_protocol_moves_ports_and_names_itself(self):
        code, out, _ = run("--protocol", "imap", "--only", "valid,starttls-stripped",
                           "--list", "--json")
        self.assertEqual(code, 0)
        doc = json.loads(out)
        self.assertEqual(doc["protocol"], "imap")
        ports = {s["name"]: s["port"] for s in doc["scenarios"]}
        self.assertEqual(ports, {"valid": 12401, "starttls-stripped": 12494})
        clients = {e["client"] for s in doc["scenarios"] for e in s["expect"]}
        self.assertEqual(clients, {"curl", "openssl", "gnutls", "python"})
        self.assertTrue(all(e["protocol"] == "imap" for s in doc["scenarios"]
                            for e in s["expect"]))
        srv = Server("--protocol", "pop3", "--only", "valid", "--no-dashboard")
        try:
            self.assertEqual(srv.ports["protocol"], "pop3")
            with socket.create_connection(("127.0.0.1", srv.port["valid"]), timeout=10) as s:
                self.assertTrue(s.recv(512).startswith(b"+OK shakedown scenario valid"))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()

    def test_json_without_list(self):
        code, _, err = run("--json")
        self.assertEqual(code, 2)
        self.assertIn("--json and --markdown go with --list", err)


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="shakedown-files-")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_unknown_key_names_file_and_line(self):
        path = self.write("bad.ini", VALID.format(name="bad", port=0, cert="leaf")
                          .replace("chain = intermediate", "ciphrs = RC4"))
        code, _, err = run("--scenarios", path, "--check")
        self.assertEqual(code, 2)
        self.assertEqual(err.strip(),
                         '%s:11: [tls] unknown key "ciphrs" (known: versions, ciphers, '
                         'groups, cert, key, chain, dh_params, ocsp_staple, ocsp_ca, validity, '
                         'handshake_record_size, handshake_record_messages, app_record_size, sign_with)'
                         % path)

    def test_unknown_cipher_suite_is_a_file_error(self):
        path = self.write("typo.ini", VALID.format(name="typo", port=0, cert="leaf")
                          .replace("chain = intermediate", "ciphers = ECDHE-RSA-AES128-GCM-SHA256:FOO"))
        code, out, err = run("--scenarios", self.tmp.name, "--check")
        self.assertEqual(code, 2, out + err)
        self.assertRegex(err.strip(), r'^%s:11: \[tls\] ciphers: unknown cipher suite '
                                      r'"FOO" \(.+\)$' % re.escape(path))
        # The server refuses the file as it refuses any malformed one.
        code, out, err = run("--scenarios", self.tmp.name, "--ephemeral-ports",
                             "--no-dashboard", timeout=15)
        self.assertEqual(code, 2, out + err)
        self.assertIn('%s:11: [tls] ciphers: unknown cipher suite "FOO"' % path, err)
        self.assertNotIn("shakedown serving", out)

    def test_suite_this_build_lacks_is_unavailable_not_an_error(self):
        # A name wolfSSL knows; whether this build has it decides between
        # serving and "unavailable", never a load error.
        self.write("known.ini", VALID.format(name="known", port=0, cert="leaf")
                   .replace("chain = intermediate", "ciphers = PSK-AES128-CBC-SHA256"))
        code, out, err = run("--scenarios", self.tmp.name, "--check")
        self.assertEqual(code, 0, out + err)
        self.assertNotIn("unknown cipher suite", err)
        if "1 unavailable in this build" in out:  # shakedown's build has no PSK
            self.assertIn('scenario "known" is unavailable: cipher suite '
                          '"PSK-AES128-CBC-SHA256" is not known to this wolfSSL build', err)
        else:
            self.assertRegex(out, r"0 unavailable in this build, 0 broken")

    def test_bad_version_names_file_and_line(self):
        path = self.write("v.ini", VALID.format(name="v", port=0, cert="leaf")
                          .replace("chain = intermediate", "versions = 1.4"))
        code, _, err = run("--scenarios", path, "--check")
        self.assertEqual(code, 2)
        self.assertIn('%s:11: [tls] versions: "1.4" is not a version or range' % path, err)

    def test_duplicate_port_across_files(self):
        a = self.write("a.ini", VALID.format(name="a", port=9999, cert="leaf"))
        self.write("b.ini", VALID.format(name="b", port=9999, cert="leaf"))
        code, _, err = run("--scenarios", self.tmp.name, "--check")
        self.assertEqual(code, 2)
        self.assertIn('b.ini:1: port 9999 is already used by scenario "a" (%s:1)' % a, err)

    def test_shipped_scenarios_check(self):
        code, out, err = run("--check")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"^\d+ scenarios checked, 0 unavailable in this build, 0 broken")

    def test_list_json(self):
        code, out, _ = run("--list", "--json")
        self.assertEqual(code, 0)
        listing = json.loads(out)["scenarios"]
        names = {s["name"] for s in listing}
        self.assertTrue({"valid", "expired", "incomplete-chain", "sni-mismatch",
                         "tls1.0-only", "weak-ciphers", "client-cert-required",
                         "sni-rst"} <= names)
        for s in listing:
            for key in ("name", "port", "title", "category", "available", "expect"):
                self.assertIn(key, s)

    def test_port_offset(self):
        code, out, _ = run("--list", "--json", "--only", "valid", "--port-offset", "100")
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out)["scenarios"][0]["port"], 9501)

    def test_missing_certificate_leaves_others_serving(self):
        self.write("good.ini", VALID.format(name="good", port=0, cert="leaf"))
        self.write("broken.ini", VALID.format(name="broken", port=0, cert="no-such-cert"))
        code, _, err = run("--scenarios", self.tmp.name, "--check")
        self.assertEqual(code, 2)
        self.assertIn('scenario "broken" is unavailable: certs/no-such-cert.pem: '
                      'No such file or directory', err)
        srv = Server("--scenarios", self.tmp.name)
        try:
            self.assertEqual(list(srv.port), ["good"])
            self.assertEqual(srv.ports["unavailable"][0]["name"], "broken")
            self.assertIn("shakedown scenario: good", https_get(srv.port["good"]))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()


    def test_warns_when_a_valid_leaf_is_near_its_end(self):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-subj", "/CN=localhost", "-days", "10",
                        "-keyout", os.path.join(self.tmp.name, "short.key"),
                        "-out", os.path.join(self.tmp.name, "short.pem")],
                       check=True, capture_output=True)
        text = VALID.format(name="short", port=0, cert="short").replace(
            "key = leaf\nchain = intermediate\n", "key = short\n")
        self.write("short.ini", text)
        srv = ServerProcess(SHAKEDOWN, ["--scenarios", self.tmp.name, "--certs", self.tmp.name])
        try:
            self.assertRegex(srv.text(), r'warning: .*/short\.pem \(scenario "short"\) '
                                         r'ends in (9|10) days; run scripts/setup.sh')
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()


FAKETIME = "/usr/bin/faketime"
REGENERATE = "run ./scripts/run.sh or scripts/gen-pki.sh to regenerate the test PKI"
needs_faketime = unittest.skipUnless(os.access(FAKETIME, os.X_OK),
                                     "Debian's faketime is not installed")


def faked_env():
    """faketime preloads its library ahead of everything, which an ASan
    build refuses unless told that its runtime need not come first."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    return env


def run_at(offset, *args, timeout=60):
    """shakedown under a clock moved by offset ("+400 days")."""
    r = subprocess.run([FAKETIME, offset, SHAKEDOWN] + list(args), cwd=TOP,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=faked_env())
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def date_warnings(err):
    return [l for l in err.splitlines() if "warning: scenario" in l]


class Validity(unittest.TestCase):
    """[tls] validity: served certificates out of the dates their scenario
    says are warned about (with the file and the fix) and fail --check."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="shakedown-validity-")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_current_pki_checks_clean(self):
        code, out, err = run("--check")
        self.assertEqual(code, 0, err)
        self.assertEqual(date_warnings(err), [])
        self.assertIn(" 0 with certificates out of their dates", out)

    @needs_faketime
    def test_rotted_pki_fails_check(self):
        code, out, err = run_at("+400 days", "--check")
        self.assertEqual(code, 2, out + err)
        warned = date_warnings(err)
        valid = [l for l in warned if 'scenario "valid" ' in l]
        self.assertEqual(len(valid), 1, err)
        self.assertRegex(valid[0], r'serves certs/leaf\.pem \(CN=localhost\), '
                                   r'which ended on .*validity = current')
        self.assertIn(REGENERATE, valid[0])
        self.assertTrue(any('scenario "incomplete-chain" ' in l and "leaf.pem" in l
                            for l in warned), err)
        # Deliberately expired certificates are no news.
        self.assertFalse(any('scenario "expired" ' in l for l in warned), err)
        self.assertRegex(out, r"broken, [1-9]\d* with certificates out of their dates")

    @needs_faketime
    def test_rotted_pki_warns_and_serves(self):
        ports = os.path.join(self.tmp.name, "ports.json")
        proc = subprocess.Popen([FAKETIME, "+400 days", SHAKEDOWN, "--only", "valid",
                                 "--ephemeral-ports", "--ports-file", ports],
                                cwd=TOP, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True,
                                env=faked_env())
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(ports) or
                                     proc.poll() is not None))
            self.assertIsNone(proc.poll())
            with open(ports) as f:
                port = {s["name"]: s["port"] for s in json.load(f)["scenarios"]}
            # The client's clock is not faked: to it the leaf is current.
            self.assertIn("shakedown scenario: valid", https_get(port["valid"]))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
        self.assertRegex(err.decode(), r'warning: scenario "valid" serves '
                                       r'certs/leaf\.pem .*ended on')

    @needs_faketime
    def test_expired_scenario_whose_leaf_is_current_again(self):
        code, _, err = run_at("-3000 days", "--check", "--only", "expired,valid")
        self.assertEqual(code, 2, err)
        self.assertRegex(err, r'warning: scenario "expired" says validity = ended, '
                              r'but no certificate it serves .* has ended')

    def test_claimed_dates_the_certificates_do_not_have(self):
        for validity, claim in (("ended", "has ended"),
                                ("not-begun", "has begun")):
            text = VALID.format(name="claims", port=0, cert="leaf").replace(
                "chain = intermediate\n", "chain = intermediate\nvalidity = %s\n"
                % validity)
            path = self.write("claims.ini", text)
            code, _, err = run("--scenarios", path, "--check")
            self.assertEqual(code, 2, err)
            lines = date_warnings(err)
            self.assertEqual(len(lines), 1, err)
            self.assertIn('scenario "claims" says validity = %s' % validity, lines[0])
            self.assertIn(claim, lines[0])
            self.assertIn("certs/leaf.pem", lines[0])
            self.assertIn(REGENERATE, lines[0])

    @needs_faketime
    def test_gen_pki_check_sees_the_clock(self):
        """setup.sh regenerates the PKI when gen-pki.sh --check fails."""
        gen = os.path.join(TOP, "scripts", "gen-pki.sh")
        pki = os.path.join(self.tmp.name, "pki")
        subprocess.run([gen, pki], check=True, capture_output=True, timeout=120)
        r = subprocess.run([gen, "--check", pki], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for offset, why in (("+400 days", "leaf.pem ends within 30 days"),
                            ("-3000 days", "has not begun yet"),
                            ("+2200 days", "ends within 30 days")):
            r = subprocess.run([FAKETIME, offset, gen, "--check", pki],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, offset)
            self.assertIn(why, r.stdout, offset)

    def test_reload_warns_too(self):
        path = self.write("claims.ini", VALID.format(name="claims", port=0, cert="leaf"))
        srv = Server("--scenarios", path)
        try:
            self.assertEqual(date_warnings(srv.text()), [])
            text = VALID.format(name="claims", port=0, cert="leaf").replace(
                "chain = intermediate\n", "chain = intermediate\nvalidity = ended\n")
            self.write("claims.ini", text)
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "SIGHUP: reloaded" in srv.text()), srv.text())
            self.assertTrue(wait_for(lambda: 'SIGHUP: warning: scenario "claims" says '
                                             'validity = ended' in srv.text()), srv.text())
            self.assertIn("shakedown scenario: claims", https_get(srv.port["claims"]))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()


def free_port_pair():
    """A socket listening on a port P whose neighbour P+1 was free too."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port + 1))
        except OSError:
            s.close()
            continue
        finally:
            probe.close()
        s.listen()
        return s, port
    raise AssertionError("no two neighbouring free ports")


class BusyPort(unittest.TestCase):
    """A port held by another program ends the start-up with exit 1 and
    one line that names what collided and the way out, never an abort."""

    def valid_port(self):
        listed = json.loads(run("--list", "--json", "--only", "valid")[1])
        return listed["scenarios"][0]["port"]

    def assertOneLineFailure(self, code, err):
        self.assertNotIn(code, (-signal.SIGABRT, 128 + signal.SIGABRT), err)
        self.assertEqual(code, 1, err)
        self.assertNotIn("Assertion", err)
        lines = [l for l in err.splitlines() if "cannot listen" in l]
        self.assertEqual(len(lines), 1, err)
        return lines[0]

    def test_scenario_port_taken(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        try:
            port = holder.getsockname()[1]
            offset = port - self.valid_port()
            self.assertGreater(offset, 0)
            code, out, err = run("--only", "valid", "--no-dashboard",
                                 "--port-offset", str(offset), timeout=15)
            line = self.assertOneLineFailure(code, err)
            self.assertIn('scenario "valid"', line)
            self.assertIn("port %d" % port, line)
            self.assertIn("address already in use", line)
            self.assertIn("--port-offset N", line)
            self.assertIn("--ephemeral-ports", line)
            self.assertNotIn("shakedown serving", out)
        finally:
            holder.close()

    def test_dashboard_port_taken(self):
        holder, port = free_port_pair()
        try:
            # The dashboard is on 9400 + offset; valid on its port + offset.
            offset = port - 9400
            self.assertEqual(self.valid_port(), 9401)
            code, _, err = run("--only", "valid", "--port-offset", str(offset),
                               timeout=15)
            line = self.assertOneLineFailure(code, err)
            self.assertTrue(line.startswith("dashboard: "), line)
            self.assertIn("port %d" % port, line)
            for way_out in ("--dashboard-port N", "--port-offset N",
                            "--ephemeral-ports", "--no-dashboard"):
                self.assertIn(way_out, line)
        finally:
            holder.close()

    def test_taken_port_with_workers(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        try:
            port = holder.getsockname()[1]
            code, _, err = run("--only", "valid", "--no-dashboard", "--workers",
                               "2", "--port-offset",
                               str(port - self.valid_port()), timeout=15)
            self.assertIn('scenario "valid"', self.assertOneLineFailure(code, err))
        finally:
            holder.close()

    def test_second_copy_with_workers(self):
        """Two copies with --workers both set SO_REUSEPORT, which alone
        would let the second share (and split) the first one's port."""
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        args = ("--only", "valid", "--no-dashboard", "--workers", "2",
                "--port-offset", str(port - self.valid_port()))
        with tempfile.TemporaryDirectory(prefix="shakedown-copies-") as tmp:
            ports_file = os.path.join(tmp, "ports.json")
            first = subprocess.Popen([SHAKEDOWN, "--ports-file", ports_file] + list(args),
                                     cwd=TOP, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 15
                while not os.path.exists(ports_file):
                    self.assertIsNone(first.poll(), "the first copy exited")
                    self.assertLess(time.monotonic(), deadline, "no ports file")
                    time.sleep(0.02)
                code, _, err = run(*args, timeout=15)
                line = self.assertOneLineFailure(code, err)
                self.assertIn("port %d" % port, line)
                self.assertIn("address already in use", line)
                # The first copy serves on as before.
                self.assertIn("HTTP/1.1 200 OK", https_get(port))
            finally:
                first.terminate()
                self.assertEqual(first.wait(timeout=15), 0)


class Running(unittest.TestCase):
    def test_ports_file_and_sigterm(self):
        srv = Server()
        try:
            self.assertEqual(srv.ports["bind"], "127.0.0.1")
            listed = json.loads(run("--list", "--json")[1])["scenarios"]
            servable = {s["name"] for s in listed if s["available"]}
            self.assertEqual(set(srv.port), servable)
            self.assertIn("shakedown scenario: valid", https_get(srv.port["valid"]))
            self.assertEqual(srv.stop(signal.SIGTERM), 0)
            # The last connection may still be closing: then it drains.
            self.assertRegex(srv.text(), r"SIGTERM: (stopping \(no connections open\)|"
                                         r"no longer accepting; draining 1 open)")
        finally:
            srv.close()

    def test_sigint_with_open_connections(self):
        srv = Server("--only", "valid")
        try:
            idle = socket.create_connection(("127.0.0.1", srv.port["valid"]))
            self.assertTrue(wait_for(lambda: True))
            time.sleep(0.2)
            self.assertEqual(srv.stop(signal.SIGINT), 0)
            self.assertIn("server shutting down", srv.text())
            idle.close()
        finally:
            srv.close()

    def test_garbage_then_valid(self):
        srv = Server("--only", "valid", "--log-format", "json")
        try:
            for payload in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(300),
                            b"\x80\x2e\x01\x00\x02", b"\x16\x03\x01\xff\xff"):
                with socket.create_connection(("127.0.0.1", srv.port["valid"])) as s:
                    s.sendall(payload)
                    s.shutdown(socket.SHUT_WR)
                    s.settimeout(10)
                    try:
                        while s.recv(4096):
                            pass
                    except ConnectionResetError:
                        pass
            self.assertIn("shakedown scenario: valid", https_get(srv.port["valid"]))
            self.assertTrue(wait_for(lambda: srv.text().count('"event":"closed"') >= 5))
            events = [json.loads(l) for l in srv.text().splitlines() if l.startswith("{")]
            closed = [e for e in events if e["event"] == "closed"]
            self.assertEqual(closed[-1]["reason"], "handshake completed, page served")
            self.assertIn("ClientHello not understood", closed[0]["detail"])
            hellos = [e for e in events if e["event"] == "client_hello"]
            self.assertEqual(hellos[0]["error"], "first byte is not a TLS handshake record")
            self.assertEqual(hellos[2]["error"], "SSLv2-format ClientHello")
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()

    def test_handshake_timeout_closes_silent_client(self):
        srv = Server("--only", "valid", "--handshake-timeout", "1")
        try:
            with socket.create_connection(("127.0.0.1", srv.port["valid"])) as s:
                s.settimeout(10)
                try:
                    self.assertEqual(s.recv(1), b"")
                except ConnectionResetError:
                    pass
            self.assertTrue(wait_for(lambda: "handshake timed out" in srv.text()))
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--shakedown", default=SHAKEDOWN)
    a, rest = p.parse_known_args()
    SHAKEDOWN = os.path.abspath(a.shakedown)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
