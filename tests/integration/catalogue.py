#!/usr/bin/env python3
"""The catalogue test: starts the real shakedown on ephemeral ports, runs
every [expect.*] entry of the chosen scenarios with the real client it
names, and checks the exit code and that the message appears in what the
client printed ("A || B": either A or B appears). Adding a scenario file with expectations adds its tests.

Exit 0 when every entry matched, 1 when any did not, 77 when every chosen
scenario is unavailable in this build (a skip, reported as such)."""
import argparse
import json
import os
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


def run_client(command, timeout):
    try:
        r = subprocess.run(["bash", "-c", command], cwd=TOP, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return r.returncode, r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        return None, out + "\n[killed after %d s]" % timeout


def label(scenario, e):
    variant = "." + e["variant"] if e["variant"] else ""
    return "%s [expect.%s%s]" % (scenario["name"], e["client"], variant)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    p.add_argument("--scenarios", default="scenarios")
    p.add_argument("--certs", default="certs")
    p.add_argument("--only", help="comma-separated scenario names (default: all)")
    p.add_argument("--client", help="run only this client's expectations")
    p.add_argument("--timeout", type=int, default=30, help="seconds per client run")
    p.add_argument("--show", action="store_true",
                   help="print every client's output, matched or not")
    a = p.parse_args()

    base = ["--scenarios", a.scenarios, "--certs", a.certs]
    if a.only:
        base += ["--only", a.only]
    listing = subprocess.run([a.shakedown, "--list", "--json"] + base, cwd=TOP,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if listing.returncode != 0:
        sys.exit("shakedown --list failed:\n" + listing.stderr.decode())
    catalogue = json.loads(listing.stdout)["scenarios"]

    with tempfile.TemporaryDirectory(prefix="shakedown-catalogue-") as workdir:
        proc, log, log_path, ports = start_server(a.shakedown, base, workdir)
        port_of = {s["name"]: s["port"] for s in ports["scenarios"]}
        passed = failed = skipped = 0
        try:
            for scenario in catalogue:
                if scenario["name"] not in port_of:
                    print("skip %s: unavailable in this build: %s"
                          % (scenario["name"], scenario["unavailable_reason"]))
                    skipped += 1
                    continue
                if not scenario["expect"]:
                    print("FAIL %s: no [expect.*] entries" % scenario["name"])
                    failed += 1
                for e in scenario["expect"]:
                    if a.client and e["client"] != a.client:
                        continue
                    if e["client"] == "chromium":
                        # One browser for every scenario, not one per
                        # entry: tests/browser runs these (browser.chromium).
                        variant = "." + e["variant"] if e["variant"] else ""
                        print("skip %s chromium%s: checked by the browser test"
                              % (scenario["name"], variant))
                        continue
                    command = e["command"].replace("{port}", str(port_of[scenario["name"]]))
                    code, output = run_client(command, max(a.timeout, e.get("timeout", 0) + 15))
                    # "A || B": the client prints either, depending on a race
                    # it runs with the server (documented in the scenario).
                    alternatives = e["message"].split(" || ")
                    ok = code in e["exits"] and any(m in output for m in alternatives)
                    if ok:
                        passed += 1
                        print("ok   %s: exit %s" % (label(scenario, e), code))
                    else:
                        failed += 1
                        print("FAIL %s (%s:%d)" % (label(scenario, e), scenario["file"], e["line"]))
                        print("     command:  %s" % command)
                        print("     expected: exit %s, output containing %r"
                              % (" or ".join(map(str, e["exits"])), e["message"]))
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
            print("---- server log ----")
            print(open(log_path).read().rstrip())
        if proc.returncode != 0:
            print("FAIL shakedown exited with %d after SIGTERM" % proc.returncode)
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        return 1
    if passed == 0 and skipped:
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
