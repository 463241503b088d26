#!/usr/bin/env python3
"""shakedown watch, the scoreboard for clients nobody can script: real
clients connect to the scenarios of a running `shakedown watch`, and its
output grades each connection by what the server saw. Piped, one line a
connection; on a terminal (script(1) gives it one), a table redrawn."""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from server_process import wait_for

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CURL = "/usr/bin/curl"
failures = []


def check(ok, what, detail=""):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        if detail:
            print("      " + detail.replace("\n", "\n      "))
        failures.append(what)


def curl(port, *args):
    return subprocess.run([CURL, "-sS", "--max-time", "5"] + list(args)
                          + ["https://localhost:%d/" % port], cwd=TOP,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=20).returncode


class Watch:
    def __init__(self, shakedown, tty):
        self.dir = tempfile.TemporaryDirectory(prefix="shakedown-watch-")
        self.ports_file = os.path.join(self.dir.name, "ports.json")
        self.out_path = os.path.join(self.dir.name, "out")
        self.out = open(self.out_path, "wb")
        argv = [shakedown, "watch", "--ephemeral-ports", "--ports-file",
                self.ports_file, "--no-dashboard",
                "--only", "valid,expired,truncated-response"]
        if tty:
            # script(1) runs it on a pseudo-terminal of its own.
            argv = ["/usr/bin/script", "-qfec",
                    " ".join("'%s'" % a for a in argv), "/dev/null"]
        self.proc = subprocess.Popen(argv, cwd=TOP, stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        if not wait_for(lambda: os.path.exists(self.ports_file)):
            raise AssertionError("no ports file:\n" + self.text())
        time.sleep(0.1)
        with open(self.ports_file) as f:
            self.port = {s["name"]: s["port"] for s in json.load(f)["scenarios"]}

    def text(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait()
        self.out.close()
        return code


def test_lines(shakedown):
    w = Watch(shakedown, tty=False)
    try:
        curl(w.port["valid"], "--cacert", "certs/ca.pem")
        curl(w.port["expired"], "--cacert", "certs/ca.pem")
        curl(w.port["expired"], "-k")
        curl(w.port["truncated-response"], "--cacert", "certs/ca.pem")
        wanted = [
            r"^valid: PASS from 127\.0\.0\.1:\d+: accepted: the handshake "
            r"completed and the page was served$",
            r"^expired: PASS from 127\.0\.0\.1:\d+: refused: the client refused "
            r"with alert certificate_expired\(45\)$",
            r"^expired: FAIL from 127\.0\.0\.1:\d+: accepted what it must refuse",
            # A cut response: what the client made of it, only its exit
            # status tells, and the scoreboard has none.
            r"^truncated-response: INFO from 127\.0\.0\.1:\d+: .*only the client "
            r"can tell",
        ]
        done = wait_for(lambda: all(re.search(p, w.text(), re.M) for p in wanted))
    finally:
        code = w.stop()
    text = w.text()
    for p in wanted:
        check(re.search(p, text, re.M) is not None, "watch, piped: " + p, text)
    check(code == 0, "watch, piped: exits 0 on SIGINT (got %s)" % code, text)


def test_terminal(shakedown):
    w = Watch(shakedown, tty=True)
    try:
        curl(w.port["expired"], "--cacert", "certs/ca.pem")
        row = re.compile(r"expired\s+\d+\s+fail\s+PASS\s+1\s+refused: the client "
                         r"refused with alert certificate_expired\(45\)")
        wait_for(lambda: row.search(w.text()))
    finally:
        w.stop()
    text = w.text()
    check("\033[H\033[2J" in text, "watch, terminal: the table is redrawn", text[:400])
    check(row.search(text) is not None, "watch, terminal: expired graded PASS in "
          "its row", text[-1500:])
    check(re.search(r"1 of 3 tried: 1 PASS, 0 FAIL, 0 INFO", text) is not None,
          "watch, terminal: the tally", text[-600:])


def test_refuses_workers(shakedown):
    r = subprocess.run([shakedown, "watch", "--workers", "2"], cwd=TOP,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    check(r.returncode == 2 and b"--workers" in r.stderr,
          "watch --workers 2: a usage error that says why (%d)" % r.returncode,
          r.stderr.decode())


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    a = ap.parse_args()
    shakedown = os.path.abspath(a.shakedown)
    test_lines(shakedown)
    test_terminal(shakedown)
    test_refuses_workers(shakedown)
    if failures:
        print("%d failed" % len(failures))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
