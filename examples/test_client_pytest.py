"""pytest on top of `shakedown test`: one test per scenario.

A session fixture runs the client under test against every scenario once,

    shakedown test --json REPORT [--baseline FILE] -- <client command>

and each scenario becomes its own test, named after it
(`test_scenario[expired]`), that fails when `shakedown test` graded the
client FAIL or ERROR; the message carries the why, the client's exit status
and output, and the server's verdict. PASS and INFO ("depends": behaviour
reported) pass, SKIP skips.

Run it from a shakedown checkout, after ./scripts/setup.sh:

    /usr/bin/python3 -m pytest examples/test_client_pytest.py
    /usr/bin/python3 -m pytest -q examples/test_client_pytest.py -k revoked

It needs pytest (Debian: apt-get install python3-pytest) and the standard
library only. The environment chooses the rest:

    SHAKEDOWN            the binary (default build/shakedown)
    SHAKEDOWN_CERTS      the certificates directory (default certs)
    SHAKEDOWN_SCENARIOS  the scenarios (default scenarios)
    SHAKEDOWN_CLIENT     the client command, split like a shell would (no
                         shell runs it); placeholders such as {url}, {host},
                         {port}, {ca}, {scenario} are filled in per scenario
                         (default: curl -sS --cacert {ca} {url})
    SHAKEDOWN_BASELINE   a file written by `shakedown test --write-baseline`:
                         failures it records are expected (xfail), anything
                         that changed fails, and so does test_baseline

With the default client, Debian 12's curl 7.88, three scenarios FAIL, and
that is the point -- curl accepts what it should refuse:
revoked-ocsp (it ignores a stapled OCSP response unless given --cert-status),
revoked-crl (it checks no CRL unless given one) and truncated-response (it
accepts a response cut off without close_notify). Decide whether your client
must refuse them; if not, record a baseline and set SHAKEDOWN_BASELINE.
"""
import json
import os
import shlex
import subprocess

import pytest

SHAKEDOWN = os.environ.get("SHAKEDOWN") or "build/shakedown"
CERTS = os.environ.get("SHAKEDOWN_CERTS") or "certs"
SCENARIOS = os.environ.get("SHAKEDOWN_SCENARIOS") or "scenarios"
BASELINE = os.environ.get("SHAKEDOWN_BASELINE") or None
DEFAULT_CLIENT = "curl -sS --cacert {ca} {url}"
CLIENT = shlex.split(os.environ.get("SHAKEDOWN_CLIENT") or DEFAULT_CLIENT)

# The server options both runs share: the same scenarios and certificates.
SERVER_OPTIONS = ["--certs", CERTS, "--scenarios", SCENARIOS]


def catalogue():
    """`shakedown --list --json`: the scenarios, read when pytest collects,
    so that each becomes a test named after it."""
    cmd = [SHAKEDOWN, "--list", "--json", "--no-dashboard"] + SERVER_OPTIONS
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, check=True)
    except OSError as e:
        raise RuntimeError("cannot run %s (%s); build it with ./scripts/setup.sh "
                           "or point SHAKEDOWN at it" % (SHAKEDOWN, e)) from None
    except subprocess.CalledProcessError as e:
        raise RuntimeError("%s failed with status %d:\n%s"
                           % (shlex.join(cmd), e.returncode, e.stderr)) from None
    listing = json.loads(out.stdout)
    # `shakedown test` runs the scenarios served over the protocol (https).
    return {s["name"]: s for s in listing["scenarios"]
            if listing["protocol"] in s["served_over"]}


CATALOGUE = catalogue()


def behaviour(result):
    """A report entry's behaviour, as a baseline file spells it."""
    return {True: "accepted", False: "refused"}.get(result["accepted"], "none")


def read_baseline(path):
    """scenario -> (grade, behaviour) from a --write-baseline file."""
    known = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            known[fields[0]] = (fields[1], fields[2])
    return known


class Run:
    """One `shakedown test` run: its exit status, output and JSON report."""

    def __init__(self, cmd, proc, report):
        self.cmd = cmd
        self.status = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report = report
        self.scenarios = {s["name"]: s for s in report["scenarios"]}
        self.baseline = read_baseline(BASELINE) if BASELINE else {}


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """Runs the client against every scenario, once per session."""
    report_path = tmp_path_factory.mktemp("shakedown") / "report.json"
    cmd = [SHAKEDOWN, "test"] + SERVER_OPTIONS + ["--json", str(report_path)]
    if BASELINE:
        cmd += ["--baseline", BASELINE]
    cmd += ["--"] + CLIENT
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    # 0: nothing failed (or changed), 1: something did; 2 is a usage error.
    if proc.returncode not in (0, 1) or not report_path.exists():
        pytest.fail("%s exited with status %d and wrote no report:\n%s%s"
                    % (shlex.join(cmd), proc.returncode, proc.stdout, proc.stderr),
                    pytrace=False)
    with open(report_path) as f:
        return Run(cmd, proc, json.load(f))


def without_explain(name, text):
    """text without the scenario's explanation at its end (a why or a
    verdict may end with it)."""
    about = CATALOGUE[name]["explain"]
    text = text.strip()
    return text[:-len(about)].rstrip() if about and text.endswith(about) else text


def explain(name, r):
    """Everything needed to see why: the grade and its why, what the client
    did and printed, what the server saw and its verdict, and what the
    scenario is about (said once: the why and the verdict end with it)."""
    about = CATALOGUE[name]["explain"]
    short = lambda text: without_explain(name, text)
    client = r["client"]
    if client["timed_out"]:
        ended = "killed after the timeout"
    elif client["signal"] is not None:
        ended = "killed by signal %d" % client["signal"]
    elif client["exit"] is None:
        ended = "did not run"
    else:
        ended = "exit status %d" % client["exit"]
    verdicts = [short(e.get("msg", "")) for e in r.get("events", [])
                if e.get("event") == "verdict"]
    output = client["output"].strip()
    if len(output) > 1000:
        output = output[:1000] + " ..."
    lines = [
        "%s: %s%s: %s" % (name, r["grade"], "!" if r["inconsistent"] else "",
                          short(r["why"])),
        "  intent:     %s (%s)" % (r["intent"], r["category"]),
        "  client:     %s -> %s in %s ms" % (shlex.join(client["argv"]), ended,
                                             client["ms"]),
        "  output:     %s" % (output.replace("\n", "\n              ") or "(none)"),
        "  server saw: %s" % (r["server_saw"] or "no connection"),
    ]
    lines += ["  verdict:    %s" % v for v in verdicts]
    lines.append("  scenario:   %s" % about)
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_scenario(run, name):
    scenario = CATALOGUE[name]
    if not scenario["available"]:
        pytest.skip("not served by this build: %s" % scenario["unavailable_reason"])
    r = run.scenarios.get(name)
    assert r is not None, "%s: not in the report of %s" % (name, shlex.join(run.cmd))
    if r["grade"] == "SKIP":
        pytest.skip(r["why"])
    if r["grade"] in ("FAIL", "ERROR") and run.baseline.get(name) == (r["grade"],
                                                                      behaviour(r)):
        pytest.xfail("%s as recorded in %s: %s"
                     % (r["grade"], BASELINE, without_explain(name, r["why"])))
    if r["grade"] in ("FAIL", "ERROR"):
        pytest.fail(explain(name, r), pytrace=False)  # the message says it all


@pytest.mark.skipif(not BASELINE, reason="SHAKEDOWN_BASELINE is not set")
def test_baseline(run):
    """With a baseline, `shakedown test` exits 0 only when no scenario's grade
    or behaviour changed; its output lists what did."""
    if run.status != 0:
        pytest.fail("%s\n%s" % (run.stdout.strip(), run.stderr.strip()), pytrace=False)
