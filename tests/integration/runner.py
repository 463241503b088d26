#!/usr/bin/env python3
"""shakedown test against real clients: curl, wget and a Python urllib
one-liner graded over every scenario; the grades held against the
catalogue's curl column; curl -k failing every certificate scenario in
words; the JUnit file read by junitparser; a baseline round trip; and
commands that do not exist, hang, leave children behind or print
megabytes. Each run must leave nothing listening and no process behind."""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CURL = ["/usr/bin/curl", "-sS", "--cacert", "{ca}", "{url}"]
failures = []
SHAKEDOWN = None
TMP = tempfile.TemporaryDirectory(prefix="shakedown-runner-")


def check(ok, what, detail=""):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        if detail:
            print("      " + str(detail)[-4000:].replace("\n", "\n      "))
        failures.append(what)
    return ok


def path(name):
    return os.path.join(TMP.name, name)


class Run:
    """One `shakedown test`, with its JSON report read back."""

    def __init__(self, *args, json_report=True, timeout=240):
        self.json_path = path("r%d.json" % time.monotonic_ns())
        argv = [SHAKEDOWN, "test"] + (["--json", self.json_path] if json_report else [])
        argv += list(args)
        t0 = time.monotonic()
        r = subprocess.run(argv, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        self.seconds = time.monotonic() - t0
        self.code, self.out, self.err = r.returncode, r.stdout.decode(), r.stderr.decode()
        self.report = None
        if json_report and os.path.exists(self.json_path):
            with open(self.json_path) as f:
                self.report = json.load(f)
        self.by_name = {s["name"]: s for s in (self.report or {}).get("scenarios", [])}

    def grades(self):
        return {n: s["grade"] for n, s in self.by_name.items()}

    def nothing_listening(self, what):
        bound = [(n, s["port"]) for n, s in self.by_name.items() if s["port"]]
        open_ports = []
        for name, port in bound:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                open_ports.append("%s:%d" % (name, port))
            except OSError:
                pass
        check(bound and not open_ports, "%s: nothing left listening on the %d ports it "
              "bound" % (what, len(bound)), ", ".join(open_ports))


def catalogue():
    r = subprocess.run([SHAKEDOWN, "--list", "--json", "--no-dashboard"], cwd=TOP,
                       stdout=subprocess.PIPE, check=True)
    return json.loads(r.stdout)["scenarios"]


def catalogued_curl_grade(s):
    """What the catalogue's curl column says curl does, as a grade."""
    plain = [e for e in s["expect"] if e["client"] == "curl" and not e["variant"]]
    if not plain:
        return None
    exits = plain[0]["exits"]
    if s["intent"] == "depends":
        return "INFO"
    if s["intent"] == "fail":
        return "PASS" if 0 not in exits else "FAIL"
    return "PASS" if exits == [0] else "FAIL"


def resolves(host):
    try:
        socket.getaddrinfo(host, None)
        return True
    except OSError:
        return False


def agree(run, scenarios, what):
    wrong = []
    for s in scenarios:
        want = catalogued_curl_grade(s)
        if want is None or not s["available"]:
            continue
        # The catalogue's curl reaches a name of its own (--resolve); a
        # plain {url} command cannot when the name does not resolve here
        # (idn-spoof's xn-- name): {host} falls back to localhost.
        host = next((e.get("host") for e in s["expect"]
                     if e["client"] == "curl" and not e["variant"]), None)
        if host and host not in ("localhost",) and s["intent"] == "succeed" \
                and not resolves(host):
            print("      %s: not compared (its name %s does not resolve here)"
                  % (s["name"], host))
            continue
        got = run.by_name.get(s["name"], {}).get("grade")
        if got != want:
            wrong.append("%s: graded %s, the catalogue's curl column says %s (%s)"
                         % (s["name"], got, want, run.by_name.get(s["name"], {}).get("why")))
    check(not wrong, "%s: every grade agrees with the catalogue's curl column" % what,
          "\n".join(wrong))


def test_curl(scenarios):
    junit = path("r.xml")
    run = Run("--junit", junit, "--", *CURL)
    print(run.out)
    check(run.code == 1, "curl: exit status 1 (curl accepts revoked certificates): %d"
          % run.code, run.err)
    lines = run.out.splitlines()
    check(lines and re.match(r"SCENARIO\s+INTENT\s+SERVER SAW\s+EXIT\s+GRADE\s+WHY$",
                             lines[0]), "curl: the table's header", run.out[:300])
    rows = [l.split()[0] for l in lines[1:] if not l.startswith("shakedown test:")]
    served = [s["name"] for s in scenarios]
    check(sorted(rows) == sorted(served), "curl: a row for each of the %d scenarios"
          % len(served), "rows: %s" % rows)
    c = run.report["counts"]
    summary = ("shakedown test: %d scenarios: %d PASS, %d FAIL, %d INFO, %d ERROR, %d SKIP in "
               % (len(served), c["pass"], c["fail"], c["info"], c["error"], c["skip"]))
    check(lines[-1].startswith(summary), "curl: the summary line: " + lines[-1], summary)
    agree(run, scenarios, "curl")
    for name in ("revoked-ocsp", "revoked-crl"):
        s = run.by_name[name]
        check(s["grade"] == "FAIL" and s["why"].startswith("accepted what it must refuse"),
              "curl: %s FAIL, accepted: %s" % (name, s["why"][:80]), s)
    check(run.by_name["expired"]["grade"] == "PASS" and
          "certificate_expired(45)" in run.by_name["expired"]["why"],
          "curl: expired PASS with the alert the server received",
          run.by_name["expired"]["why"])
    ev = [e["event"] for e in run.by_name["expired"]["events"]]
    check("verdict" in ev and "client_hello" in ev,
          "curl: the JSON holds the server's trace events of each scenario", ev)
    check(run.by_name["expired"]["client"]["exit"] == 60 and
          "certificate has expired" in run.by_name["expired"]["client"]["output"],
          "curl: the JSON holds curl's exit status and output",
          run.by_name["expired"]["client"])
    run.nothing_listening("curl")

    import junitparser  # Debian's python3-junitparser
    xml = junitparser.JUnitXml.fromfile(junit)
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    check(len(suites) == 1, "junit: one testsuite (%d)" % len(suites))
    suite = suites[0]
    cases = list(suite)
    kinds = {"failure": 0, "error": 0, "skipped": 0}
    for case in cases:
        for r in case.result:
            kinds[type(r).__name__.lower().replace("skipped", "skipped")] = \
                kinds.get(type(r).__name__.lower(), 0) + 1
    check(len(cases) == len(served) and suite.tests == len(served),
          "junit: junitparser reads %d testcases, one per scenario" % len(cases))
    check(kinds["failure"] == c["fail"] == suite.failures and
          kinds["error"] == c["error"] == suite.errors and
          kinds["skipped"] == c["skip"] == suite.skipped,
          "junit: failures, errors and skips agree with the JSON (%s)" % kinds,
          "suite: %s %s %s, json %s" % (suite.failures, suite.errors, suite.skipped, c))
    cats = {s["name"]: s["category"] for s in scenarios}
    bad = [cs.name for cs in cases if cs.classname != "shakedown." + cats.get(cs.name, "?")]
    check(not bad, "junit: classname is shakedown.CATEGORY", bad)
    revoked = [cs for cs in cases if cs.name == "revoked-crl"][0]
    msg = revoked.result[0].message if revoked.result else ""
    check(msg == run.by_name["revoked-crl"]["why"],
          "junit: a failure's message is the row's why", msg)
    check("certificate has expired" in
          [cs for cs in cases if cs.name == "expired"][0].system_out,
          "junit: system-out holds the client's output")


def test_other_clients(scenarios):
    # What every verifying client refuses. Debian 12's wget (GnuTLS) also
    # accepts weak-rsa-1024 and wrong-eku, and neither checks revocation:
    # those are printed, as what the client decides, not asserted.
    must_refuse = ["expired", "not-yet-valid", "wrong-host", "self-signed", "untrusted-root",
                   "incomplete-chain", "expired-intermediate", "md5-signature"]
    clients = {
        "wget": ["/usr/bin/wget", "-q", "-O", "-", "--tries=1", "--timeout=5",
                 "--ca-certificate={ca}", "{url}"],
        "python urllib": ["/usr/bin/python3", "-c",
                          "import urllib.request,ssl,sys; "
                          "c=ssl.create_default_context(cafile=sys.argv[2]); "
                          "print(urllib.request.urlopen(sys.argv[1], context=c, "
                          "timeout=5).read()[:60])", "{url}", "{ca}"],
    }
    for what, argv in clients.items():
        run = Run("--", *argv)
        g = run.grades()
        print("%s: %s" % (what, run.out.splitlines()[-1] if run.out else run.err))
        for grade in ("FAIL", "INFO"):
            print("  %s %s: %s" % (what, grade, ", ".join(n for n in g if g[n] == grade)))
        check(g.get("valid") == "PASS", "%s: valid PASS" % what, run.by_name.get("valid"))
        wrong = [n for n in must_refuse if g.get(n) != "PASS"]
        check(not wrong, "%s: every certificate scenario that must fail is PASS" % what,
              "\n".join("%s %s %s" % (n, g.get(n), run.by_name[n]["why"]) for n in wrong))
        errors = [n for n in g if g[n] == "ERROR"]
        check(not errors, "%s: no ERROR" % what,
              "\n".join("%s: %s" % (n, run.by_name[n]["why"]) for n in errors))


def test_insecure(scenarios):
    run = Run("--", "/usr/bin/curl", "-sS", "-k", "{url}")
    # Every certificate scenario curl refuses at verification (exit 60),
    # less rsa512:
    # its key is too short for the RSA-PSS signature the handshake needs,
    # so it fails whatever -k trusts (key-mismatch and rsa-pss-leaf fail
    # with exit 35 for the same kind of reason, and are not in the list).
    def curl_exits(s):
        return next((e["exits"] for e in s["expect"]
                     if e["client"] == "curl" and not e["variant"]), None)
    certs = [s["name"] for s in scenarios if s["category"] == "certificate" and
             s["intent"] == "fail" and s["available"] and curl_exits(s) == [60] and
             s["name"] != "rsa512"]
    wrong = []
    for n in certs:
        s = run.by_name[n]
        if s["grade"] != "FAIL" or not s["why"].startswith("accepted what it must refuse: "):
            wrong.append("%s %s %s" % (n, s["grade"], s["why"]))
    check(not wrong, "curl -k: all %d certificate scenarios that must fail are FAIL, "
          "\"accepted what it must refuse: ...\"" % len(certs), "\n".join(wrong))
    explain = {s["name"]: s["explain"] for s in scenarios}
    km = run.by_name["key-mismatch"]
    check(km["grade"] == "PASS", "curl -k: key-mismatch still refused (%s)" % km["why"], km)
    check(explain["expired"] in run.by_name["expired"]["why"],
          "curl -k: the why says in words what was wrong (the scenario's explain)",
          run.by_name["expired"]["why"])


def test_baseline():
    base = path("curl.tsv")
    Run("--quiet", "--write-baseline", base, "--", *CURL, json_report=False)
    with open(base) as f:
        lines = [l for l in f if not l.startswith("#")]
    check(lines and all(len(l.rstrip("\n").split("\t")) == 4 for l in lines),
          "baseline: a tab-separated line per scenario (%d)" % len(lines))
    same = Run("--baseline", base, "--", *CURL)
    check(same.code == 0 and "shakedown test: no changes since %s" % base in same.out,
          "baseline: the same client again: no changes, exit 0", same.out[-600:])
    other = Run("--baseline", base, "--", "/usr/bin/curl", "-sS", "-k", "{url}")
    changed = re.findall(r"^  (\S+): PASS -> FAIL \(refused -> accepted\)", other.out, re.M)
    check(other.code == 1 and "expired" in changed and "self-signed" in changed,
          "baseline: curl -k instead: exit 1, the changes listed (%s)" % ", ".join(changed),
          other.out[-1500:])
    bad = path("bad.tsv")
    with open(bad, "w") as f:
        f.write("# a comment\nvalid\tPASS\taccepted\tcompleted\nexpired\n")
    broken = Run("--quiet", "--baseline", bad, "--", *CURL, json_report=False)
    check(broken.code == 2 and "%s:3:" % bad in broken.err,
          "baseline: a malformed line is a usage error at file:line (%d)" % broken.code,
          broken.err)


def test_plain_http():
    """A client that leaves TLS for the companion's plain HTTP: that
    connection decides, and it fails wherever the scenario does not list
    plaintext among its outcomes."""
    both = ("/usr/bin/curl -sS -o /dev/null --cacert {ca} {url} && "
            "/usr/bin/curl -sS -o /dev/null http://127.0.0.1:{plain_port}/")
    run = Run("--only", "mixed-script,hsts,redirect-to-http", "--", "/bin/sh", "-c", both)
    for name, grade, why in (
            ("mixed-script", "FAIL", "went on without TLS: the client made a request "
             "over plain HTTP, without TLS"),
            ("hsts", "FAIL", "went on without TLS: "),
            ("redirect-to-http", "INFO", "accepted (it depends on the client): the client "
             "made a request over plain HTTP")):
        got = run.by_name.get(name, {})
        check(got.get("grade") == grade and why in got.get("why", ""),
              "plain HTTP after the page: %s is %s, \"%s...\"" % (name, grade, why[:40]),
              got)
    # The page alone, over TLS: what it was before.
    page = Run("--only", "mixed-script,hsts", "--", *CURL)
    check(page.grades() == {"mixed-script": "PASS", "hsts": "PASS"},
          "the page alone over TLS: PASS (%s)" % page.grades(), page.out[-800:])


def leftovers(marker):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if marker.encode() in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


def test_bad_commands():
    only = ["--only", "valid,expired,stall-after-client-hello"]
    names = ("valid", "expired", "stall-after-client-hello")
    run = Run(*only, "--", "/nonexistent/cmd", "{url}")
    check(run.code == 1 and all(run.by_name[n]["grade"] == "ERROR" and
                                "not found" in run.by_name[n]["why"] for n in names),
          "a command that does not exist: ERROR, \"not found\", exit 1", run.out)
    run.nothing_listening("no such command")

    run = Run(*only, "--timeout", "1", "--", "/bin/sleep", "60")
    check(run.code == 1 and run.seconds < 10 and
          all(run.by_name[n]["grade"] == "ERROR" and "killed" in run.by_name[n]["why"]
              for n in names),
          "a command that hangs: ERROR, killed at --timeout, the run ends (%.1f s)"
          % run.seconds, run.out)

    run = Run(*only, "--", "/bin/sh", "-c", "/bin/sleep 127.31 & exit 0")
    time.sleep(0.2)
    left = leftovers("127.31")
    check(not left, "a command whose child outlives it: nothing left running", left)
    check(all("made no connection" in run.by_name[n]["why"] for n in names),
          "a command that connects nowhere: ERROR, made no connection", run.out)

    run = Run(*only, "--", "/bin/sh", "-c", "head -c 20000000 /dev/zero | tr '\\0' x; "
              "/usr/bin/curl -sS --cacert \"$SHAKEDOWN_CA\" \"$SHAKEDOWN_URL\"")
    v = run.by_name.get("valid", {})
    check(v.get("grade") == "PASS" and run.by_name["expired"]["grade"] == "PASS",
          "a command that prints 20 MB first: still graded (valid, expired PASS)", run.out)
    out = v.get("client", {})
    check(len(out.get("output", "")) <= 70000 and out.get("output_bytes", 0) >= 20000000 and
          "bytes not kept" in out.get("output", ""),
          "its output: capped at the first and last 32 KiB (%d of %d bytes kept)"
          % (len(out.get("output", "")), out.get("output_bytes", 0)))
    run.nothing_listening("megabytes")

    run = Run("--only", "expired,valid", "--", "/bin/sh", "-c",
              "/usr/bin/curl -sS --cacert \"$SHAKEDOWN_CA\" \"$SHAKEDOWN_URL\"; exit 0")
    e = run.by_name["expired"]
    check(e["grade"] == "FAIL" and e["inconsistent"] and
          re.search(r"^expired\s.*\sFAIL!\s", run.out, re.M) is not None,
          "a client that swallows its errors: expired FAIL, flagged inconsistent (FAIL!)",
          run.out)
    check(run.by_name["valid"]["grade"] == "PASS" and not run.by_name["valid"]["inconsistent"],
          "... and valid PASS, consistent", run.out)


def test_usage():
    for args, words in ([[], "no command to grade"],
                        [["--client", "nosuchclient"], "curl, openssl"],
                        [["--jobs", "0", "--", "true"], "--jobs"],
                        [["--bogus", "--", "true"], "unknown option --bogus"],
                        [["--workers", "2", "--", "true"], "--workers"],
                        [["--list", "--", "true"], "not an option of shakedown test"]):
        r = subprocess.run([SHAKEDOWN, "test"] + args, cwd=TOP, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        check(r.returncode == 2 and words in r.stderr.decode(),
              "usage: shakedown test %s: exit 2, \"%s\" (%d)"
              % (" ".join(args), words, r.returncode), r.stderr.decode())


def test_client_curl(scenarios):
    run = Run("--client", "curl")
    check(run.code == 1, "--client curl: exit 1 (curl's known FAILs)", run.err)
    odd = [n for n, s in run.by_name.items() if s["grade"] in ("SKIP", "ERROR")]
    check(not odd, "--client curl: every scenario run and graded", odd)
    agree(run, scenarios, "--client curl")
    check(run.by_name["expired"]["client"]["argv"][0] == "/bin/bash",
          "--client curl: the catalogue's command, run by bash",
          run.by_name["expired"]["client"]["argv"])


def main():
    global SHAKEDOWN
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    SHAKEDOWN = os.path.abspath(ap.parse_args().shakedown)
    scenarios = [s for s in catalogue() if "https" in s["served_over"]]
    test_usage()
    test_curl(scenarios)
    test_insecure(scenarios)
    test_other_clients(scenarios)
    test_baseline()
    test_plain_http()
    test_bad_commands()
    test_client_curl(scenarios)
    if failures:
        print("%d failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
