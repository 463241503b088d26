#!/usr/bin/env bash
# Builds a client root: a minimal Debian release (debootstrap
# --variant=minbase) holding that release's curl, openssl, python3 and
# gnutls-cli. The catalogue test runs them inside it (bwrap), against the
# server on the host's loopback, so that every expectation is checked with
# the next generation of clients as well as Debian 12's.
#
# Usage: scripts/client-root.sh [--refresh] [--print-dir] SUITE [DIR]
#   SUITE        a Debian suite the archive offers: trixie
#   DIR          where the root goes (default build/roots/SUITE)
#   --refresh    rebuild even when the cached root matches the recipe
#   --print-dir  print DIR and exit
# The mirror is the one apt uses (or $SHAKEDOWN_DEBIAN_MIRROR). A root is
# rebuilt only when its recipe (suite, packages, this script's version)
# changes; it takes about a minute and a half and 250 MB.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
refresh=0
print_dir=0
recipe_version=1
# libre2-11 by name: debootstrap does not resolve the virtual package
# (libre2-11-absl20240722) python3-grpcio depends on.
packages=curl,openssl,python3,gnutls-bin,python3-grpcio,libre2-11,nghttp2-client,postgresql-client,mariadb-client

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --refresh) refresh=1 ;;
    --print-dir) print_dir=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "client-root.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
suite=${1:-}
[ -n "$suite" ] || { usage >&2; exit 2; }
case "$suite" in
  *[!a-z0-9-]*) echo "client-root.sh: '$suite' is not a suite name" >&2; exit 2 ;;
esac
dir=$(realpath -m "${2:-$top/build/roots/$suite}")
if [ "$print_dir" -eq 1 ]; then echo "$dir"; exit 0; fi

log() { printf '== client-root: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

recipe="suite=$suite packages=$packages variant=minbase recipe=$recipe_version"
stamp="$dir/.shakedown-root"
if [ "$refresh" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe" ]; then
  log "$suite client root in $dir is current"
  cat "$dir/.shakedown-versions" >&2
  exit 0
fi

for tool in debootstrap bwrap; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
    echo "client-root.sh: $tool is missing (apt-get install debootstrap bubblewrap," \
         "or scripts/setup.sh --trixie)" >&2
    exit 1
  }
done

# The archive apt already uses: a deb822 URIs line, or a one-line entry,
# that is not the security archive.
mirror() {
  if [ -n "${SHAKEDOWN_DEBIAN_MIRROR:-}" ]; then
    echo "$SHAKEDOWN_DEBIAN_MIRROR"
    return
  fi
  local m
  m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v -- '-security' | head -n 1 || true)
  [ -n "$m" ] || m=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
        /etc/apt/sources.list 2>/dev/null | grep -v -- '-security' | head -n 1 || true)
  [ -n "$m" ] || { echo "client-root.sh: no Debian archive in /etc/apt; set SHAKEDOWN_DEBIAN_MIRROR" >&2; exit 1; }
  echo "$m"
}
url=$(mirror)

tmp="$dir.tmp"
as_root rm -rf "$tmp"
mkdir -p "$(dirname "$dir")"
log "debootstrap $suite from $url into $dir (about a minute and a half)"
if ! as_root debootstrap --variant=minbase --include="$packages" \
     "$suite" "$tmp" "$url" > "$dir.log" 2>&1; then
  tail -n 20 "$dir.log" >&2
  echo "client-root.sh: debootstrap failed; the whole log is $dir.log" >&2
  exit 1
fi
# The downloaded packages are not needed to run the clients.
as_root find "$tmp/var/cache/apt/archives" -name '*.deb' -delete
# Where the project is bound read-only when a client runs.
as_root mkdir -p "$tmp/project"

run_in() {
  bwrap --ro-bind "$tmp" / --dev /dev --proc /proc --tmpfs /tmp \
    --die-with-parent "$@"
}
{
  echo "$suite client root, built $(date -u +%FT%TZ):"
  run_in /usr/bin/curl --version | head -n 1
  run_in /usr/bin/openssl version
  run_in /usr/bin/python3 --version
  run_in /usr/bin/gnutls-cli --version | head -n 1
} > "$tmp.versions" || {
  echo "client-root.sh: the clients in the new root do not run under bwrap" >&2
  exit 1
}
as_root mv "$tmp.versions" "$tmp/.shakedown-versions"
echo "$recipe" | as_root tee "$tmp/.shakedown-root" >/dev/null
as_root rm -rf "$dir"
as_root mv "$tmp" "$dir"
cat "$dir/.shakedown-versions" >&2
