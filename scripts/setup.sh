#!/usr/bin/env bash
# Idempotent set-up on Debian 12: installs the missing packages, builds the
# private wolfSSL, configures and builds shakedown, and (re)generates the
# test PKI when it is missing or a valid leaf is near its end.
#
# Usage: scripts/setup.sh [--system-wolfssl] [--browser] [--sanitize | --tsan]
#                         [--fuzz] [--trixie] [--build-type TYPE]
#                         [--build-dir DIR] [--no-tests]
#   --browser   also install Chromium, certutil and playwright-core (browser tests)
#   --sanitize  build with AddressSanitizer and UndefinedBehaviorSanitizer
#   --tsan      build with ThreadSanitizer (not with --sanitize)
#   --fuzz      also install clang and its runtime (libFuzzer, sanitizers)
#   --trixie    also build the Debian 13 client root (scripts/client-root.sh)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
system_wolfssl=0
browser=0
sanitize=OFF
tsan=OFF
fuzz=0
trixie=0
build_type=RelWithDebInfo
tests=ON

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --system-wolfssl) system_wolfssl=1 ;;
    --browser) browser=1 ;;
    --sanitize) sanitize=ON ;;
    --tsan) tsan=ON ;;
    --fuzz) fuzz=1 ;;
    --trixie) trixie=1 ;;
    --no-tests) tests=OFF ;;
    --build-type) build_type=${2:?--build-type needs a value}; shift ;;
    --build-dir) build=$(realpath -m "${2:?--build-dir needs a value}"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$sanitize" = ON ] && [ "$tsan" = ON ]; then
  echo "setup.sh: --sanitize and --tsan cannot be combined (use two build directories)" >&2
  exit 2
fi

log() { printf '== setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=(
  build-essential cmake pkg-config libuv1-dev libinih-dev libcmocka-dev
  libnghttp2-dev nghttp2-client python3-grpcio postgresql-client mariadb-client
  openssl curl gnutls-bin python3 autoconf automake libtool dpkg-dev
  faketime nmap wget python3-junitparser python3-pytest
)
[ "$system_wolfssl" -eq 1 ] && packages+=(libwolfssl-dev)
if [ "$browser" -eq 1 ]; then
  packages+=(chromium libnss3-tools)
  # A Node.js from elsewhere brings its own npm, which Debian's npm package
  # conflicts with: install Debian's only for the commands that are missing.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi
[ "$fuzz" -eq 1 ] && packages+=(clang libclang-rt-14-dev llvm)
[ "$tsan" = ON ] && packages+=(libtsan2)
[ "$trixie" -eq 1 ] && packages+=(debootstrap bubblewrap)

apt_updated=0
apt_update() {
  [ "$apt_updated" -eq 1 ] && return 0
  log "apt-get update"
  as_root apt-get update -q >&2
  apt_updated=1
}

install_packages() {
  local missing=() p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_update
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}" >&2
}

# Not "apt-cache | grep -q": with pipefail, grep's early exit fails the pipe.
has_wolfssl_source() {
  local versions
  versions=$(apt-cache showsrc wolfssl 2>/dev/null | sed -n 's/^Version: //p')
  grep -q '^5\.5\.4' <<<"$versions"
}

# apt-get source needs a deb-src entry; derive one from the configured
# archive (deb822 or one-line format) when none exists.
ensure_deb_src() {
  if has_wolfssl_source; then
    return 0
  fi
  local d=/etc/apt/sources.list.d
  if grep -qs '^Types: deb$' "$d"/*.sources; then
    local f
    for f in "$d"/*.sources; do
      case "$f" in *shakedown-deb-src.sources) continue ;; esac
      grep -q '^Types: deb$' "$f" || continue
      sed 's/^Types: deb$/Types: deb-src/' "$f"
      echo
    done | as_root tee "$d/shakedown-deb-src.sources" >/dev/null
  elif grep -qs '^deb ' /etc/apt/sources.list; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
      | as_root tee "$d/shakedown-deb-src.list" >/dev/null
  else
    echo "setup.sh: no Debian archive found in /etc/apt to derive a deb-src entry from" >&2
    exit 1
  fi
  log "added a deb-src entry for Debian's wolfssl source package"
  apt_updated=0
  apt_update
  has_wolfssl_source || {
    echo "setup.sh: Debian's archive offers no wolfssl 5.5.4 source package" >&2
    exit 1
  }
}

install_packages "${packages[@]}"

# playwright-core, as pinned by tests/browser/package-lock.json, drives
# Debian's Chromium (it downloads no browser). Skipped when the installed
# tree was made from the very same lock file.
install_playwright() {
  local dir="$top/tests/browser" stamp="$top/tests/browser/node_modules/.shakedown-lock"
  if cmp -s "$dir/package-lock.json" "$stamp" &&
    [ -f "$dir/node_modules/playwright-core/package.json" ]; then
    return 0
  fi
  log "installing playwright-core into tests/browser/node_modules"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund) >&2
  cp "$dir/package-lock.json" "$stamp"
}
[ "$browser" -eq 1 ] && install_playwright

cmake_args=(-S "$top" -B "$build" -DCMAKE_BUILD_TYPE="$build_type" -DSHAKEDOWN_TESTS="$tests" -DSHAKEDOWN_SANITIZE="$sanitize" -DSHAKEDOWN_TSAN="$tsan")
# The tests run under Debian's python3, the one users have, not whichever
# comes first on PATH.
cmake_args+=(-DPython3_EXECUTABLE=/usr/bin/python3)
if [ "$system_wolfssl" -eq 1 ]; then
  cmake_args+=(-DSHAKEDOWN_SYSTEM_WOLFSSL=ON)
else
  ensure_deb_src
  prefix=$("$top/scripts/build-wolfssl.sh" "$top/build/deps")
  cmake_args+=(-DSHAKEDOWN_SYSTEM_WOLFSSL=OFF -DSHAKEDOWN_WOLFSSL_PREFIX="$prefix")
fi
[ "${CI:-}" = true ] && cmake_args+=(-DSHAKEDOWN_WERROR=ON)

log "configuring and building shakedown"
cmake "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" >&2

if "$top/scripts/gen-pki.sh" --check "$top/certs" >/dev/null 2>&1; then
  log "test PKI in certs/ is current"
else
  log "generating the test PKI in certs/"
  "$top/scripts/gen-pki.sh" "$top/certs" >&2
fi
[ "$trixie" -eq 1 ] && "$top/scripts/client-root.sh" trixie
log "ready: $build/shakedown"
