#!/usr/bin/env python3
"""examples/test_client_pytest.py as a user runs it, under Debian's
pytest: without a baseline, the scenarios Debian's curl accepts although
it must not (the catalogue's curl column) are the failing tests; with a
baseline recorded by `shakedown test --write-baseline`, they are expected
failures and the run passes."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(ok, what, detail=""):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        print("      " + detail[-3000:].replace("\n", "\n      "))
        failures.append(what)


def pytest(shakedown, env_extra):
    env = dict(os.environ, SHAKEDOWN=shakedown, **env_extra)
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "examples/test_client_pytest.py"], cwd=TOP, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
    return r.returncode, r.stdout.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shakedown", default=os.path.join(TOP, "build", "shakedown"))
    shakedown = os.path.abspath(ap.parse_args().shakedown)
    code, out = pytest(shakedown, {})
    failed = sorted(re.findall(r"^FAILED .*test_scenario\[([^\]]+)\]", out, re.M))
    check(code == 1 and failed, "without a baseline: pytest fails, naming the scenarios "
          "curl accepts (%s)" % ", ".join(failed), out)
    for name in ("revoked-ocsp", "revoked-crl"):
        check(name in failed, "without a baseline: %s fails (curl checks no revocation "
              "by default)" % name, out)
    check("valid" not in failed and "expired" not in failed,
          "without a baseline: valid and expired pass", out)
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, "curl.tsv")
        r = subprocess.run([shakedown, "test", "--quiet", "--write-baseline", base, "--",
                            "curl", "-sS", "--cacert", "{ca}", "{url}"], cwd=TOP,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        check(os.path.exists(base), "shakedown test --write-baseline wrote the baseline",
              r.stdout.decode())
        code, out = pytest(shakedown, {"SHAKEDOWN_BASELINE": base})
        check(code == 0 and re.search(r"\b%d xfailed" % len(failed), out) is not None,
              "with the baseline: pytest passes, the %d known failures xfailed"
              % len(failed), out)
    if failures:
        print("%d failed" % len(failures))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
