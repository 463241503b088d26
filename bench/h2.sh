#!/usr/bin/env bash
# HTTP/2 against HTTP/1.1 on the control (issue #13): full handshakes per
# second and the server's CPU time per connection, with one request per
# connection, as h2load (Debian's nghttp2-client) makes them: ALPN h2, and
# --h1 (ALPN http/1.1). Rounds alternate the two. Writes bench/out/h2.md.
#
# Usage: bench/h2.sh [--rounds R] [-n N] [--shakedown BIN]
#   --rounds R       A/B rounds (default 5)
#   -n N             connections per run, all at once (default 500)
#   --shakedown BIN  the server binary (default build/shakedown)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out="$here/out"
rounds=5
n=500
shakedown="$top/build/shakedown"
usage() { sed -n '2,11s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?--rounds needs a value}; shift ;;
    -n) n=${2:?-n needs a value}; shift ;;
    --shakedown) shakedown=$(realpath "${2:?--shakedown needs a value}"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "h2.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
command -v h2load >/dev/null || { echo "h2.sh: h2load is missing (apt-get install nghttp2-client)" >&2; exit 1; }
mkdir -p "$out"
cd "$top"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$shakedown" --only valid --no-dashboard --ephemeral-ports \
  --ports-file "$work/ports.json" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$work/ports.json" ] && break; sleep 0.05; done
port=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scenarios"][0]["port"])' "$work/ports.json")
tick=$(getconf CLK_TCK)
# The server's CPU time so far, in clock ticks (utime + stime).
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

run() { # MODE: h2 or h1; prints "rate cpu_us_per_connection"
  local flag=() before after res
  [ "$1" = h1 ] && flag=(--h1)
  before=$(cpu)
  res=$(h2load "${flag[@]}" -n "$n" -c "$n" -m 1 "https://127.0.0.1:$port/" 2>&1)
  after=$(cpu)
  grep -q "$n succeeded" <<<"$res" || { echo "h2.sh: h2load ($1) did not complete:" >&2; echo "$res" >&2; exit 1; }
  local rate
  rate=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$res")
  awk -v r="$rate" -v b="$before" -v a="$after" -v t="$tick" -v n="$n" \
    'BEGIN { printf "%s %.0f\n", r, (a - b) * 1e6 / t / n }'
}
run h2 >/dev/null; run h1 >/dev/null # warm-up
: >"$work/rows"
for r in $(seq "$rounds"); do
  echo "h2 $(run h2)" >>"$work/rows"
  echo "h1 $(run h1)" >>"$work/rows"
done
{
  echo "### HTTP/2 against HTTP/1.1 on valid ($rounds rounds of $n connections, one request each)"
  echo
  echo "| protocol | handshakes/s (median) | server CPU per connection, µs (median) |"
  echo "|---|---|---|"
  for m in h2 h1; do
    awk -v m="$m" '$1 == m { print $2 }' "$work/rows" | sort -n > "$work/rate"
    awk -v m="$m" '$1 == m { print $3 }' "$work/rows" | sort -n > "$work/cpu"
    mid=$(( (rounds + 1) / 2 ))
    echo "| $([ "$m" = h2 ] && echo "h2 (ALPN h2)" || echo "HTTP/1.1 (ALPN http/1.1)") | $(sed -n "${mid}p" "$work/rate") | $(sed -n "${mid}p" "$work/cpu") |"
  done
  h2cpu=$(awk '$1 == "h2" { print $3 }' "$work/rows" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
  h1cpu=$(awk '$1 == "h1" { print $3 }' "$work/rows" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
  awk -v a="$h2cpu" -v b="$h1cpu" 'BEGIN { printf "\nh2 / HTTP/1.1 server CPU per connection: %.2fx (goal: at most 1.1x)\n", a / b }'
  echo
  echo "Every round: $(tr '\n' ';' <"$work/rows")"
} | tee "$out/h2.md"
