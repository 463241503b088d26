#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite with ctest. Exit
# status is non-zero on any failure.
#
# Usage: scripts/test.sh [SETUP OPTIONS] [CTEST ARGUMENTS]
# The set-up options (--browser, --sanitize, --fuzz, --system-wolfssl,
# --build-dir DIR, --build-type TYPE) go to scripts/setup.sh; the rest to
# ctest, e.g. ./scripts/test.sh --sanitize --build-dir build-asan -R unit
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
setup_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize)
      setup_args+=("$1")
      # Any report fails the run: the server exits non-zero (a leak at
      # exit included) and the test that started it says so.
      export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
      export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
      ;;
    --browser|--fuzz|--system-wolfssl) setup_args+=("$1") ;;
    --build-dir) build=$(realpath -m "${2:?--build-dir needs a value}")
                 setup_args+=("$1" "$build"); shift ;;
    --build-type) setup_args+=("$1" "${2:?--build-type needs a value}"); shift ;;
    *) break ;;
  esac
  shift
done
"$top/scripts/setup.sh" "${setup_args[@]}"
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
