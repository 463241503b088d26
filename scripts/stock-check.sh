#!/usr/bin/env bash
# Builds shakedown against Debian's stock libwolfssl (in build-stock/) and
# checks that the build serves what that library can and reports the rest
# as unavailable, by name and reason: never served as something else.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" --system-wolfssl --no-tests --build-dir "$top/build-stock"
cd "$top"
bin="$top/build-stock/shakedown"
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1"; fi
}
listing=$("$bin" --list --json)
reason_of() {
  python3 -c 'import json,sys; d={s["name"]: s for s in json.load(sys.stdin)["scenarios"]}; s=d[sys.argv[1]]; print("available" if s["available"] else s["unavailable_reason"])' "$1" <<<"$listing"
}
check "tls1.0-only is unavailable: TLS 1.0 is not compiled into this wolfSSL" \
  test "$(reason_of tls1.0-only)" = "TLS 1.0 is not compiled into this wolfSSL"
check "valid is available" test "$(reason_of valid)" = available
# A suite wolfSSL knows but this library leaves out is "unavailable", with
# the suite named; never a load error (that is for names no wolfSSL knows).
check "rc4 is unavailable: its RC4 suite is not known to this wolfSSL build" \
  grep -q '^cipher suite ".*RC4.*" is not known to this wolfSSL build$' <<<"$(reason_of rc4)"
check "ske-pkcs1 is unavailable: sign_with needs shakedown's wolfSSL build" \
  grep -q "^\[tls\] sign_with needs shakedown's own wolfSSL build" <<<"$(reason_of ske-pkcs1)"
check "--check passes: nothing broken, the rest unavailable in this build" \
  "$bin" --check
"$bin" --list | sed 's/^/     | /'
check "the stock build serves valid, expired and resumption-alert to real clients (Debian's build has session tickets)" \
  python3 tests/integration/catalogue.py --shakedown "$bin" --only valid,expired,resumption-alert
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
