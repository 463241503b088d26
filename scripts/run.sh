#!/usr/bin/env bash
# Sets everything up (idempotent, seconds when nothing changed) and runs
# every scenario in the foreground. Ctrl-C stops it. Arguments go to the
# server, e.g. ./scripts/run.sh --only expired,valid --log-format json
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
cd "$top"
exec "$top/build/shakedown" "$@"
