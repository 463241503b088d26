#!/usr/bin/env bash
# The wall time of `shakedown test` (issue #15): a full run over every
# scenario with the catalogue's curl commands (--client curl) and with a
# command of the user's (curl -sS --cacert {ca} {url}), R runs each, at
# --jobs 1, 2 and the default (twice the cores), with the grades of each
# run and the scenarios that took longest. Everything goes to bench/out/;
# the table is bench/out/runner.md.
#
# Usage: bench/runner.sh [--rounds R] [--shakedown BIN]
#   --rounds R       runs per case (default 5)
#   --shakedown BIN  the binary (default build/shakedown)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out="$here/out"
rounds=5
shakedown="$top/build/shakedown"

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?--rounds needs a value}; shift ;;
    --shakedown) shakedown=$(realpath "${2:?--shakedown needs a value}"); shift ;;
    -h|--help) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "runner.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
cd "$top"  # --client runs the catalogue's commands from here
mkdir -p "$out/runner"
cores=$(nproc)
default_jobs=$((2 * cores))
results="$out/runner/results.tsv"
: >"$results"

# One run: its wall time (from the clock here, not the run's own) and
# its JSON, kept for the table.
one() {
  local name=$1 jobs=$2 round=$3; shift 3
  local json="$out/runner/$name-j$jobs-$round.json"
  local t0 t1
  t0=$(date +%s.%N)
  "$shakedown" test --quiet --jobs "$jobs" --json "$json" "$@" >/dev/null || true
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$jobs" "$round" \
    "$(echo "$t1 - $t0" | bc)" "$json" >>"$results"
}

echo "== runner: $rounds rounds per case on $cores cores ($("$shakedown" --version))" >&2
for jobs in 1 2 "$default_jobs"; do
  for round in $(seq 1 "$rounds"); do
    one client-curl "$jobs" "$round" --client curl
    one curl-cmd "$jobs" "$round" -- /usr/bin/curl -sS --cacert '{ca}' '{url}'
  done
done
/usr/bin/python3 - "$results" "$cores" >"$out/runner.md" <<'EOF'
import json, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
cases = {}
for name, jobs, rnd, secs, path in rows:
    cases.setdefault((name, int(jobs)), []).append((float(secs), path))
print("| case | --jobs | runs | wall s: median | min | max | grades (last run) |")
print("|---|---:|---:|---:|---:|---:|---|")
for (name, jobs), runs in sorted(cases.items()):
    secs = [s for s, _ in runs]
    d = json.load(open(runs[-1][1]))
    c = d["counts"]
    label = "--client curl" if name == "client-curl" else "-- curl -sS --cacert {ca} {url}"
    print("| `%s` | %d | %d | %.2f | %.2f | %.2f | %d scenarios: %d PASS, %d FAIL, %d INFO, %d ERROR, %d SKIP |"
          % (label, jobs, len(secs), statistics.median(secs), min(secs), max(secs),
             len(d["scenarios"]), c["pass"], c["fail"], c["info"], c["error"], c["skip"]))
runs = cases[("client-curl", max(j for n, j in cases if n == "client-curl"))]
d = json.load(open(runs[-1][1]))
slow = sorted(d["scenarios"], key=lambda s: -s["client"]["ms"])[:5]
print()
print("Slowest scenarios of the last `--client curl` run at the default --jobs: " +
      ", ".join("%s %.1f s" % (s["name"], s["client"]["ms"] / 1000) for s in slow) + ".")
EOF
cat "$out/runner.md"
