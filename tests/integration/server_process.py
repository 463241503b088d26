"""The real shakedown as a child process for the integration tests: on
ephemeral ports with a ports file, its log kept in a temporary directory
for assertions (text, or JSON events)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class ServerProcess:
    def __init__(self, binary, args, json_log=False):
        self.dir = tempfile.TemporaryDirectory(prefix="shakedown-test-")
        self.ports_file = os.path.join(self.dir.name, "ports.json")
        self.log_path = os.path.join(self.dir.name, "server.log")
        self.log = open(self.log_path, "w")
        extra = ["--log-format", "json"] if json_log else []
        self.proc = subprocess.Popen(
            [binary, "--ephemeral-ports", "--ports-file", self.ports_file] + extra
            + list(args), cwd=TOP, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.ports_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("no ports file; log:\n" + self.text())
            time.sleep(0.02)
        with open(self.ports_file) as f:
            self.ports = json.load(f)
        self.port = {s["name"]: s["port"] for s in self.ports["scenarios"]}

    def text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def events(self, **match):
        """JSON log events whose fields equal match (non-JSON lines, such
        as the start-up table on stdout, are skipped)."""
        out = []
        # The last line may be one the server is still writing: only whole
        # lines (ended by a newline) are read.
        for line in self.text().split("\n")[:-1]:
            if not line.startswith("{"):
                continue
            e = json.loads(line)
            if all(e.get(k) == v for k, v in match.items()):
                out.append(e)
        return out

    def stats(self):
        """(open connections, heap bytes in use), asked with SIGUSR1."""
        before = len(self.events(event="info"))
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: len(self.events(event="info")) > before)
        msg = self.events(event="info")[-1]["msg"]
        fields = dict(f.split("=") for f in msg.split()[1:])
        return int(fields["connections"]), int(fields["heap_in_use"])

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # Keep what the server said: its directory goes with close().
            lines = self.text().splitlines()
            sys.stderr.write("---- server log (last 40 lines; it did not stop "
                             "within 15 s of signal %d) ----\n%s\n"
                             % (sig, "\n".join(lines[-40:])))
            raise
        self.log.close()
        return code

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()
        self.dir.cleanup()
