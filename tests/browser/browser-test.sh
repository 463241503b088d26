#!/bin/sh
# ctest's entry to the browser test: exit 77 (a skip) when this machine
# lacks what it needs, naming what is missing; otherwise browser-test.js.
case "$0" in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
missing=""
[ -x /usr/bin/chromium ] || missing="$missing /usr/bin/chromium (Debian package chromium);"
command -v certutil >/dev/null 2>&1 || missing="$missing certutil (Debian package libnss3-tools);"
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] 2>/dev/null ||
    missing="$missing Node.js 20 or later for playwright-core (found $(node --version));"
else
  missing="$missing node (Debian package nodejs);"
fi
[ -f "$here/node_modules/playwright-core/package.json" ] ||
  missing="$missing $here/node_modules/playwright-core (scripts/setup.sh --browser);"
if [ -n "$missing" ]; then
  # CI asks for the browser test (SHAKEDOWN_REQUIRE_BROWSER=1): there a
  # missing piece is a failure, not a skip.
  if [ "${SHAKEDOWN_REQUIRE_BROWSER:-0}" = 1 ]; then
    echo "FAIL: the browser test was required but needs${missing%;}"
    exit 1
  fi
  echo "skip: the browser test needs${missing%;}"
  exit 77
fi
exec node "$here/browser-test.js" "$@"
