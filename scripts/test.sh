#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite with ctest. Exit
# status is non-zero on any failure. Arguments go to ctest, e.g.
# ./scripts/test.sh -R catalogue
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
cd "$top/build"
ctest --output-on-failure -j"$(nproc)" "$@"
