#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with clang, AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer into build-fuzz/, then runs
# each one for SECONDS (default 60). Exit status is non-zero when a target
# crashes, leaks, trips a sanitizer, breaks an invariant or hangs; the input
# is saved under build-fuzz/artifacts/TARGET/ and the report is printed.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  per target; 0 replays the seeds and the saved corpus only
#   TARGET   hello, http, http2, scenario, and the dialogues: smtp,
#            imap, pop3, ftp, mysql, postgres (default: all)
# Replay one input: build-fuzz/fuzz_TARGET build-fuzz/artifacts/TARGET/FILE
# FUZZ_CC names another clang (default: clang).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build-fuzz"
cc=${FUZZ_CC:-clang}
all_targets=(hello http http2 scenario smtp imap pop3 ftp mysql postgres)

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "$0"
}

seconds=60
if [ $# -gt 0 ]; then
  case "$1" in
    -h|--help) usage; exit 0 ;;
    *[!0-9]*|'') ;;
    *) seconds=$1; shift ;;
  esac
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  case " ${all_targets[*]} " in
    *" $t "*) ;;
    *) echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2
       usage >&2; exit 2 ;;
  esac
done

log() { printf '== fuzz: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The server's parser sources each target links, and the libraries.
sources_for() {
  case "$1" in
    hello) echo server/hello.c ;;
    http) echo server/http.c server/buf.c ;;
    http2) echo server/http2.c server/grpc.c server/http.c server/buf.c ;;
    smtp) echo server/smtp.c server/line.c server/dialogue.c server/buf.c ;;
    imap) echo server/imap.c server/line.c server/dialogue.c server/buf.c ;;
    pop3) echo server/pop3.c server/line.c server/dialogue.c server/buf.c ;;
    ftp) echo server/ftp.c server/line.c server/dialogue.c server/buf.c ;;
    mysql) echo server/mysql.c server/line.c server/dialogue.c server/buf.c ;;
    postgres) echo server/postgres.c server/dialogue.c server/buf.c ;;
    scenario) echo server/scenario.c server/family.c server/hello.c server/suites.c server/alert.c server/diag.c \
                   server/protocol.c server/http.c server/buf.c ;;
  esac
}
libs_for() {
  case "$1" in
    scenario) pkg-config --libs inih ;;
    http2) pkg-config --libs libnghttp2 ;;
  esac
}
# Longest input the fuzzer makes: a few records of ClientHello, an HTTP
# head, a scenario file (real ones are 1-2 KB).
max_len_for() {
  case "$1" in
    hello) echo 8192 ;;
    http) echo 4096 ;;
    http2) echo 8192 ;;
    scenario) echo 8192 ;;
    *) echo 8192 ;; # the dialogues
  esac
}

cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
  -Wno-format-nonliteral -I"$top/server")

# Whether $cc links a libFuzzer target with the sanitizers.
can_build() {
  command -v "$cc" >/dev/null 2>&1 || return 1
  local probe="$out/probe"
  mkdir -p "$out"
  printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$probe.c"
  "$cc" "${cflags[@]}" "$probe.c" -o "$probe" >/dev/null 2>&1
}

# The same pattern as scripts/setup.sh: Debian packages via apt, through
# sudo when not root. llvm brings llvm-symbolizer for readable reports.
install_missing() {
  local packages=(clang libclang-rt-14-dev llvm pkg-config libinih-dev
    libnghttp2-dev)
  local missing=() p
  for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] \
      || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends "${missing[@]}" >&2
  fi
  can_build || {
    echo "fuzz.sh: $cc cannot build a libFuzzer target with ASan and UBSan" >&2
    exit 1
  }
}

build() {
  local t=$1 src
  read -r -a src <<<"$(sources_for "$t")"
  local libs=()
  read -r -a libs <<<"$(libs_for "$t")"
  log "building build-fuzz/fuzz_$t"
  (cd "$top" && "$cc" "${cflags[@]}" "tests/fuzz/fuzz_$t.c" "${src[@]}" \
    -o "$out/fuzz_$t" "${libs[@]}")
}

# Seeds are copied fresh each run; libFuzzer writes new inputs only into
# the first corpus directory, build-fuzz/corpus/TARGET, so nothing under
# tests/ changes.
seed() {
  local t=$1 dir="$out/seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir" "$out/corpus/$t" "$out/artifacts/$t"
  if [ -d "$top/tests/fuzz/corpus/$t" ]; then
    cp "$top/tests/fuzz/corpus/$t"/* "$dir"/
  fi
  case "$t" in
    http2) /usr/bin/python3 "$top/tests/fuzz/http2_seeds.py" "$dir" ;;
    hello) cp "$top"/tests/fixtures/clienthello/*.bin "$dir"/ ;;
    http) cp "$top/tests/clients/http-request.txt" "$dir"/ ;;
    scenario) cp "$top"/scenarios/*.ini "$dir"/ ;;
  esac
}

# The scenario dictionary: the syntax tokens in tests/fuzz, plus every
# short name in the loader's and the alert table's string literals.
dictionary() {
  local t=$1 dict="$out/$1.dict"
  cp "$top/tests/fuzz/$t.dict" "$dict"
  if [ "$t" = scenario ]; then
    grep -oh '"[a-z0-9_.:-]\{2,32\}"' "$top/server/scenario.c" \
      "$top/server/alert.c" | sort -u >>"$dict"
  fi
  echo "$dict"
}

# One line from libFuzzer's log: "STAT: value".
stat() {
  sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

summarize() {
  local t=$1 logf=$2 result=$3 execs rate line cov ft corp
  execs=$(stat "$logf" number_of_executed_units)
  rate=$(stat "$logf" average_exec_per_sec)
  line=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$logf" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$line")
  printf 'fuzz: %-9s %-6s %4ss  %10s execs  %7s/s  cov %5s  ft %6s  corpus %5s\n' \
    "$t" "$result" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}"
}

run() {
  local t=$1 logf="$out/logs/$1.log" dict status=0 before after
  seed "$t"
  dict=$(dictionary "$t")
  mkdir -p "$out/logs"
  local limit=(-max_total_time="$seconds")
  [ "$seconds" -eq 0 ] && limit=(-runs=0)
  before=$(find "$out/artifacts/$t" -type f | wc -l)
  log "running fuzz_$t (${seconds}s; log in build-fuzz/logs/$t.log)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/fuzz_$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len_for "$t")" -dict="$dict" -detect_leaks=1 \
      -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
      "$out/corpus/$t" "$out/seeds/$t" >"$logf" 2>&1 || status=$?
  after=$(find "$out/artifacts/$t" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$after" -ne "$before" ] ||
     grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|invariant broken' "$logf"; then
    summarize "$t" "$logf" FAILED
    echo "---- build-fuzz/logs/$t.log (end) ----" >&2
    grep -vE '^#[0-9]+' "$logf" | tail -n 60 >&2
    echo "----" >&2
    return 1
  fi
  summarize "$t" "$logf" ok
}

if ! can_build; then
  install_missing
fi
symbolizer=$(command -v llvm-symbolizer || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

for t in "${targets[@]}"; do
  build "$t"
done
failed=()
for t in "${targets[@]}"; do
  run "$t" || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in build-fuzz/artifacts/)" >&2
  exit 1
fi
