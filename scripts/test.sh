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
    --browser|--sanitize|--fuzz|--system-wolfssl) setup_args+=("$1") ;;
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
