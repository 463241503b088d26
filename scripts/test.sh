#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite with ctest. Exit
# status is non-zero on any failure.
#
# Usage: scripts/test.sh [SETUP OPTIONS] [CTEST ARGUMENTS]
# The set-up options (--browser, --sanitize, --tsan, --fuzz,
# --system-wolfssl, --trixie, --build-dir DIR, --build-type TYPE) go to
# scripts/setup.sh; the rest to ctest, e.g.
#   ./scripts/test.sh --sanitize --build-dir build-asan -R unit
#   ./scripts/test.sh --tsan --build-dir build-tsan -R '^integration\.(lifecycle|cli)$'
#
# --trixie also runs every catalogue expectation with Debian 13's clients
# (the trixie.* tests, in a client root built once, about 90 s); without
# it those tests are left out, so that the plain command stays quick.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
setup_args=()
trixie=0
tsan=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize)
      setup_args+=("$1")
      # Any report fails the run: the server exits non-zero (a leak at
      # exit included) and the test that started it says so.
      export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
      export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
      ;;
    --tsan) setup_args+=("$1"); tsan=1 ;;
    --browser|--fuzz|--system-wolfssl) setup_args+=("$1") ;;
    --trixie) setup_args+=("$1"); trixie=1
              export SHAKEDOWN_REQUIRE_TRIXIE=1 ;;
    --build-dir) build=$(realpath -m "${2:?--build-dir needs a value}")
                 setup_args+=("$1" "$build"); shift ;;
    --build-type) setup_args+=("$1" "${2:?--build-type needs a value}"); shift ;;
    *) break ;;
  esac
  shift
done
"$top/scripts/setup.sh" "${setup_args[@]}"
cd "$build"
if [ "$tsan" -eq 1 ]; then
  # The same for ThreadSanitizer: the first report ends the process with
  # exit status 66, and the test that started it fails. The reports go to
  # files, printed below, since a test's temporary directory (the server's
  # log) is gone by then; any report fails the run even if no test noticed.
  # tests/tsan.supp says why each of its entries is there.
  reports="$build/tsan-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$top/tests/tsan.supp:log_path=$reports/tsan:${TSAN_OPTIONS:-}"
fi
filter=()
[ "$trixie" -eq 1 ] || filter=(-LE trixie)
status=0
ctest --output-on-failure -j"$(nproc)" "${filter[@]}" "$@" || status=$?
if [ "$tsan" -eq 1 ] && [ -n "$(ls -A "$reports")" ]; then
  echo "test.sh: ThreadSanitizer reports ($reports):" >&2
  cat "$reports"/* >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
