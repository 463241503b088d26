#!/usr/bin/env python3
"""The catalogue test: starts the real shakedown on ephemeral ports, runs
every [expect.*] entry of the chosen scenarios with the real client it
names, and checks the exit code and that the message appears in what the
client printed ("A || B": either A or B appears). Adding a scenario file
with expectations adds its tests.

Expectations under another protocol ([expect.smtp.curl]) run against a
server started with --protocol smtp: one server per protocol the chosen
scenarios have expectations for (or only --protocol's).

Each run is for one client generation. bookworm (the default) runs
Debian 12's packaged clients by absolute path on this host, and our own
clients. trixie runs Debian 13's curl, openssl, python3 and gnutls-cli
inside a client root made by scripts/client-root.sh (bwrap; the server
stays on the host's loopback) against the trixie expectations. Before
anything else, the test prints the version of every client it runs and
fails when one is not the version the catalogue says it was verified with.

Exit 0 when every entry matched, 1 when any did not, 77 when every chosen
scenario is unavailable in this build, or the generation's client root is
missing and SHAKEDOWN_REQUIRE_TRIXIE is not 1 (a skip, reported as such)."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_server(binary, args, workdir):
    ports_file = os.path.join(workdir, "ports.json")
    log_path = os.path.join(workdir, "server.log")
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [binary, "--ephemeral-ports", "--ports-file", ports_file] + args,
        cwd=TOP, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while not os.path.exists(ports_file):
        if proc.poll() is not None:
            log.close()
            sys.exit("shakedown exited with %d before writing its ports file:\n%s"
                     % (proc.returncode, open(log_path).read()))
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("shakedown wrote no ports file within 15 s")
        time.sleep(0.02)
    with open(ports_file) as f:
        ports = json.load(f)
    return proc, log, log_path, ports


# Debian's clients, and how each reports its version ("curl 7.88.1 ...",
# "OpenSSL 3.0.19 ...", "Python 3.11.2", "gnutls-cli 3.7.9").
VERSION_COMMANDS = {
    "curl": ("/usr/bin/curl --version", lambda out: out.split("\n")[0]),
    "openssl": ("/usr/bin/openssl version", lambda out: out.strip()),
    "python": ("/usr/bin/python3 --version", lambda out: out.strip()),
    "gnutls": ("/usr/bin/gnutls-cli --version",
               lambda out: out.split("\n")[0].replace("gnutls-cli", "GnuTLS")),
    # Debian's python3-grpcio, as the gRPC probe imports it.
    "grpc": ("/usr/bin/python3 -c 'import grpc; print(\"grpcio\", grpc.__version__)'",
             lambda out: out.strip()),
    "nghttp": ("/usr/bin/nghttp --version",
               lambda out: out.split("\n")[0].split()[-1].replace("/", " ")),
    "psql": ("/usr/bin/psql --version", lambda out: out.strip()),
    # "/usr/bin/mariadb  Ver 15.1 Distrib 10.11.14-MariaDB, for debian-linux-gnu ..."
    # (Debian 12), "/usr/bin/mariadb from 11.8.3-MariaDB, client 15.2 ..." (13).
    "mariadb": ("/usr/bin/mariadb --version",
                lambda out: re.sub(r"^.*(?:Distrib|from) ([\d.]+)-MariaDB.*$", r"MariaDB \1",
                                   out.strip().split("\n")[0])),
}


def wrap(command, root):
    """The argv that runs a shell command from the project's top: on the
    host, or inside a client root with the project bound read-only at
    /project, sharing the host's network (and so its loopback)."""
    if root is None:
        return ["bash", "-c", command]
    return ["bwrap", "--ro-bind", root, "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--ro-bind", TOP, "/project", "--chdir", "/project",
            "--die-with-parent", "/bin/bash", "-c", command]


def client_versions(clients, declared, root):
    """Prints each client's version; returns the list of mismatches with
    what the catalogue says it was verified with."""
    problems = []
    for client in sorted(clients):
        if client not in VERSION_COMMANDS:
            continue
        command, pick = VERSION_COMMANDS[client]
        try:
            r = subprocess.run(wrap(command, root), cwd=TOP, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            actual = pick(r.stdout.decode("utf-8", "replace")) if r.returncode == 0 else ""
        except (OSError, subprocess.TimeoutExpired) as e:
            actual = ""
            print("     %s: %s" % (command, e))
        want = declared.get(client, "")
        print("client %-8s %s (catalogue verified with %s)" % (client, actual or "MISSING", want))
        if not actual.startswith(want + ".") and actual != want:
            problems.append("%s is %r, not %s" % (command.split()[0], actual or "missing", want))
    return problems


def run_client(command, timeout, root):
    try:
        r = subprocess.run(wrap(command, root), cwd=TOP, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return r.returncode, r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        return None, out + "\n[killed after %d s]" % timeout


def label(scenario, e, generation):
    variant = "." + e["variant"] if e["variant"] else ""
    protocol = "" if e["protocol"] == "https" else e["protocol"] + "."
    return "%s [expect.%s%s%s] (%s)" % (scenario["name"], protocol, e["client"], variant,
                                        generation["verified_with"])


def listing_for(a, base, protocol):
    """The --list --json document under protocol, or None when none of
    the chosen scenarios is served over it."""
    r = subprocess.run([a.shakedown, "--list", "--json", "--protocol", protocol] + base,
                       cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        if b"is not served over" in r.stderr:
            return None
        sys.exit("shakedown --list --protocol %s failed:\n%s" % (protocol, r.stderr.decode()))
    return json.loads(r.stdout)


def run_protocol(a, base, protocol, catalogue, generation_of, root, protocols_all):
    """Runs the expectations of one protocol against a server of its own;
    returns (passed, failed, skipped)."""
    with tempfile.TemporaryDirectory(prefix="shakedown-catalogue-") as workdir:
        proc, log, log_path, ports = start_server(a.shakedown, base + ["--protocol", protocol],
                                                  workdir)
        port_of = {s["name"]: s["port"] for s in ports["scenarios"]}
        # [http] plain_port: the companion, for {plain_port} in args.
        plain_of = {s["name"]: s.get("plain_port", -1) for s in ports["scenarios"]}
        passed = failed = skipped = 0
        try:
            for scenario in catalogue:
                if scenario["name"] not in port_of:
                    print("skip %s: unavailable in this build: %s"
                          % (scenario["name"], scenario["unavailable_reason"]))
                    skipped += 1
                    continue
                # A scenario of some protocols only has expectations for
                # each; one served over all has them over HTTPS at least.
                if not scenario["expect"] and (protocol == "https" or
                                               len(scenario["served_over"]) < len(protocols_all)):
                    print("FAIL %s: no [expect.*] entries" % scenario["name"])
                    failed += 1
                for e in scenario["expect"]:
                    if a.client and e["client"] != a.client:
                        continue
                    g = generation_of(e)
                    if g is None:
                        continue  # run with the bookworm generation only
                    if e["client"] == "chromium":
                        # One browser for every scenario, not one per
                        # entry: tests/browser runs these (browser.chromium).
                        variant = "." + e["variant"] if e["variant"] else ""
                        print("skip %s chromium%s: checked by the browser test"
                              % (scenario["name"], variant))
                        continue
                    command = e["command"].replace("{port}", str(port_of[scenario["name"]]))
                    command = command.replace("{plain_port}", str(plain_of[scenario["name"]]))
                    code, output = run_client(command, max(a.timeout, e.get("timeout", 0) + 15),
                                              root)
                    # "A || B": the client prints either, depending on a race
                    # it runs with the server (documented in the scenario).
                    alternatives = g["message"].split(" || ")
                    ok = code in g["exits"] and any(m in output for m in alternatives)
                    if ok:
                        passed += 1
                        print("ok   %s: exit %s" % (label(scenario, e, g), code))
                    else:
                        failed += 1
                        print("FAIL %s (%s:%d)" % (label(scenario, e, g), scenario["file"],
                                                   e["line"]))
                        print("     command:  %s" % command)
                        print("     expected: exit %s, output containing %r"
                              % (" or ".join(map(str, g["exits"])), g["message"]))
                        print("     got:      exit %s" % code)
                    if not ok or a.show:
                        for line in output.rstrip().splitlines()[-15:]:
                            print("     | " + line)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        if failed or a.show:
            print("---- server log (--protocol %s) ----" % protocol)
            print(open(log_path).read().rstrip())
        if proc.returncode != 0:
            print("FAIL shakedown exited with %d after SIGTERM" % proc.returncode)
            failed += 1
    return passed, failed, skipped


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    p.add_argument("--scenarios", default="scenarios")
    p.add_argument("--certs", default="certs")
    p.add_argument("--only", help="comma-separated scenario names (default: all)")
    p.add_argument("--file", help="only the scenarios loaded from this file (a family file "
                                  "holds many)")
    p.add_argument("--client", help="run only this client's expectations")
    p.add_argument("--protocol", help="run only this protocol's expectations (https, smtp, ...)")
    p.add_argument("--timeout", type=int, default=30, help="seconds per client run")
    p.add_argument("--show", action="store_true",
                   help="print every client's output, matched or not")
    p.add_argument("--generation", default="bookworm",
                   help="the client generation: bookworm (this host's Debian 12 "
                        "clients) or trixie (a client root's)")
    p.add_argument("--root", help="the generation's client root (scripts/client-root.sh); "
                                  "default build/roots/GENERATION")
    a = p.parse_args()
    root = None
    if a.generation != "bookworm":
        root = os.path.abspath(a.root or os.path.join(TOP, "build", "roots", a.generation))
        if not os.path.isfile(os.path.join(root, ".shakedown-root")):
            msg = ("no %s client root at %s: make it with scripts/client-root.sh %s "
                   "(or ./scripts/test.sh --trixie)" % (a.generation, root, a.generation))
            if os.environ.get("SHAKEDOWN_REQUIRE_TRIXIE") == "1":
                print("FAIL " + msg)
                print("0 passed, 1 failed")
                return 1
            print("skip: " + msg)
            return 77

    if a.file:
        doc = listing_for(a, ["--scenarios", a.scenarios, "--certs", a.certs], "https")
        want = os.path.normpath(a.file)
        names = [s["name"] for s in doc["scenarios"] if os.path.normpath(s["file"]) == want]
        if not names:
            print("FAIL no scenario was loaded from %s" % a.file)
            print("0 passed, 1 failed")
            return 1
        a.only = ",".join(names)
    base = ["--scenarios", a.scenarios, "--certs", a.certs]
    if a.only:
        base += ["--only", a.only]
    # The protocols and generations, from a listing of every scenario (a
    # scenario of --only may not be served over HTTPS).
    meta = listing_for(a, ["--scenarios", a.scenarios, "--certs", a.certs], "https")
    protocols = [a.protocol] if a.protocol else meta["protocols"]
    listings = {}
    every = ["--scenarios", a.scenarios, "--certs", a.certs]
    for protocol in protocols:
        doc = listing_for(a, every, protocol)
        pbase = every
        if a.only:
            # --only names those of the chosen that are served over it.
            wanted = a.only.split(",")
            doc["scenarios"] = [s for s in doc["scenarios"] if s["name"] in wanted]
            if not doc["scenarios"]:
                continue
            pbase = every + ["--only", ",".join(s["name"] for s in doc["scenarios"])]
        listings[protocol] = (doc, pbase)
    gens = {g["name"]: g for g in meta["generations"]}
    if a.generation not in gens:
        sys.exit("unknown client generation %r (known: %s)" % (a.generation, ", ".join(gens)))
    declared = gens[a.generation]["clients"]

    def generation_of(e):
        """The entry as this generation shows it, or None when the client
        is not run from this generation (our own clients, a browser)."""
        for g in e["generations"]:
            if g["name"] == a.generation:
                return g
        return None

    used = {e["client"] for doc, _ in listings.values() for s in doc["scenarios"]
            for e in s["expect"] if generation_of(e) and (not a.client or e["client"] == a.client)}
    problems = client_versions(used, declared, root)
    if problems:
        for problem in problems:
            print("FAIL client version: %s; the catalogue's %s expectations were verified "
                  "with other versions (install Debian's packages: scripts/setup.sh)"
                  % (problem, a.generation))
        print("0 passed, %d failed" % len(problems))
        return 1

    passed = failed = skipped = 0
    for protocol, (doc, pbase) in listings.items():
        if protocol != "https" and not any(
                s["expect"] or len(s["served_over"]) < len(meta["protocols"])
                for s in doc["scenarios"]):
            continue  # nothing to run over it: no server
        p_, f_, s_ = run_protocol(a, pbase, protocol, doc["scenarios"], generation_of, root,
                                  meta["protocols"])
        passed, failed, skipped = passed + p_, failed + f_, skipped + s_
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        return 1
    if passed == 0 and skipped:
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
