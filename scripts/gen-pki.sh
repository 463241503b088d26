#!/usr/bin/env bash
# Builds shakedown's test PKI with the OpenSSL command line, offline, in a
# few seconds. Dates are relative to now, so nothing rots: the expired leaf
# ended before it was generated, the not-yet-valid one starts years ahead,
# and valid leaves live 397 days.
#
# Usage: scripts/gen-pki.sh [--check] [DIR]      (DIR defaults to certs/)
#   --check   exit 0 when DIR holds a complete PKI from this recipe whose
#             valid certificates have begun and have more than 30 days
#             left, and whose expired (not-yet-valid) ones still have
#             ended (not begun); 1 otherwise
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
case "${1:-}" in -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
dir=${1:-$top/certs}
cnf="$top/certs/openssl.cnf"

# Files that must exist for the PKI to count as complete.
outputs=(
  ca.pem intermediate.pem leaf.pem leaf.key leaf-ecdsa.pem leaf-ecdsa.key
  leaf-expired.pem leaf-not-yet-valid.pem leaf-wrong-host.pem leaf-sni.pem
  self-signed.pem untrusted-ca.pem leaf-untrusted.pem
  intermediate-expired.pem leaf-expired-intermediate.pem
  leaf-revoked.pem crl.pem leaf-revoked.ocsp.der leaf.ocsp.der
  leaf-sha1.pem leaf-md5.pem leaf-rsa1024.pem leaf-no-san.pem
  leaf-client-eku.pem leaf-large.pem mismatch.key dh512.pem dh1024.pem dh2048.pem
  client-ca.pem client.pem client.key client-untrusted.pem client-weak.pem
  client.p12
  leaf-ecdsa384.pem leaf-rsa3072.pem leaf-rsa4096.pem leaf-rsa512.pem
  leaf-sha384.pem leaf-sha512.pem intermediate-sha1.pem leaf-sha1-intermediate.pem
  chain-ca-1.pem chain-ca-2.pem leaf-chain2.pem leaf-1000-sans.pem leaf-10000-sans.pem
  leaf-no-cn.pem leaf-no-subject.pem leaf-idn.pem
  dh480.pem dh-composite.pem dh-small-subgroup.pem
  leaf-no-ip-san.pem leaf-ip-as-dns.pem leaf-wildcard.pem leaf-ca-true.pem
  leaf-ku-no-digital-signature.pem leaf-unknown-critical.pem leaf-no-key-ids.pem
  ca-expired.pem intermediate-no-keycertsign.pem leaf-under-no-keycertsign.pem
  intermediate-no-bc.pem leaf-under-no-bc.pem sub-ca-pathlen.pem leaf-pathlen.pem
  intermediate-nc-permitted.pem leaf-nc-permitted.pem intermediate-nc-excluded.pem
  leaf-nc-excluded.pem client-expired.pem client-server-eku.pem
  leaf-rsa8192.pem leaf-ed25519.pem leaf-ed448.pem leaf-rsa-pss.pem
  leaf-must-staple.pem leaf-ocsp-other.pem leaf-wrong-responder.ocsp.der leaf-stale.ocsp.der
)

recipe=$(cat "$0" "$cnf" | sha256sum | cut -c1-16)

# cert_time FILE startdate|enddate: that date in seconds since the epoch.
cert_time() {
  date -u -d "$(openssl x509 -noout "-$2" -in "$1" | cut -d= -f2)" +%s
}

if [ "$check" -eq 1 ]; then
  [ "$(cat "$dir/.recipe" 2>/dev/null)" = "$recipe" ] || { echo "PKI missing or from another recipe"; exit 1; }
  for f in "${outputs[@]}"; do
    [ -s "$dir/$f" ] || { echo "missing $dir/$f"; exit 1; }
  done
  # Dates are relative to generation: a clock that moved on (or back)
  # since then leaves scenarios that no longer show what they say.
  now_s=$(date -u +%s)
  for f in ca intermediate leaf leaf-ecdsa leaf-sni client-ca client; do
    [ "$(cert_time "$dir/$f.pem" startdate)" -le "$now_s" ] \
      || { echo "$dir/$f.pem has not begun yet"; exit 1; }
    openssl x509 -checkend $((30 * 86400)) -noout -in "$dir/$f.pem" >/dev/null \
      || { echo "$dir/$f.pem ends within 30 days"; exit 1; }
  done
  for f in leaf-expired intermediate-expired; do
    [ "$(cert_time "$dir/$f.pem" enddate)" -lt "$now_s" ] \
      || { echo "$dir/$f.pem has not ended yet"; exit 1; }
  done
  [ "$(cert_time "$dir/leaf-not-yet-valid.pem" startdate)" -gt "$now_s" ] \
    || { echo "$dir/leaf-not-yet-valid.pem has begun"; exit 1; }
  echo "PKI in $dir is complete and current"
  exit 0
fi

command -v openssl >/dev/null || { echo "gen-pki.sh: openssl is not installed" >&2; exit 1; }
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out"
mkdir -p "$out"
export CN=localhost SAN=DNS:localhost CA_DIR= CA_CERT= CA_KEY=
umask 077

when() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
now=$(when now)
valid_start=$(when '-1 day')
valid_end=$(when '+397 days')
host_san="DNS:localhost,IP:127.0.0.1,IP:::1"

rsa_key() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2:-2048}" -out "$out/$1.key" 2>/dev/null; }
# An 8192-bit key takes half a minute: it is made in the background while
# the rest is built, and waited for where it is used.
rsa_key leaf-rsa8192 8192 &
rsa8192_pid=$!
ec_key() { openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2:-P-256}" -out "$out/$1.key" 2>/dev/null; }

# new_ca NAME: a CA database under $tmp/db/NAME for `openssl ca`.
new_ca() {
  mkdir -p "$tmp/db/$1/new"
  : > "$tmp/db/$1/index.txt"
  echo 1000 > "$tmp/db/$1/crlnumber"
}
use_ca() { # use_ca DBNAME CERT_STEM KEY_STEM
  export CA_DIR="$tmp/db/$1" CA_CERT="$out/$2.pem" CA_KEY="$out/$3.key"
}

# issue STEM CN SAN PROFILE START END [MD] [SUBJECT]: a CSR for STEM.key,
# signed by the CA selected with use_ca. SUBJECT ("/O=x", or "/" for an
# empty one) replaces the usual O and CN.
issue() {
  local stem=$1 md=${7:-sha256} subj=() policy=policy_any
  if [ -n "${8:-}" ]; then subj=(-subj "$8"); policy=policy_none; fi
  CN=$2 SAN=$3 openssl req -new -config "$cnf" -key "$out/$stem.key" \
    "${subj[@]}" -out "$tmp/$stem.csr"
  CN=$2 SAN=$3 openssl ca -batch -config "$cnf" -name ca_common -notext -policy "$policy" \
    -rand_serial -extensions "$4" -startdate "$5" -enddate "$6" -md "$md" \
    -in "$tmp/$stem.csr" -out "$out/$stem.pem" 2>"$tmp/ca.log" \
    || { cat "$tmp/ca.log" >&2; return 1; }
}

self_sign() { # self_sign STEM CN SAN PROFILE DAYS
  CN=$2 SAN=$3 openssl req -new -x509 -config "$cnf" -key "$out/$1.key" \
    -extensions "$4" -days "$5" -sha256 -out "$out/$1.pem"
}

# --- roots and intermediates ---------------------------------------------
rsa_key ca
self_sign ca "shakedown test root CA" "$host_san" root_ext 3650
new_ca root

rsa_key intermediate
use_ca root ca ca
issue intermediate "shakedown test intermediate CA" "$host_san" intermediate_ext \
  "$valid_start" "$(when '+5 years')"

rsa_key intermediate-expired
issue intermediate-expired "shakedown expired intermediate CA" "$host_san" \
  intermediate_ext "$(when '-3 years')" "$(when '-2 days')"

rsa_key untrusted-ca
self_sign untrusted-ca "shakedown UNTRUSTED root CA" "$host_san" root_ext 3650
new_ca untrusted

rsa_key client-ca
self_sign client-ca "shakedown client CA" "$host_san" root_ext 3650
new_ca client

rsa_key untrusted-client-ca
self_sign untrusted-client-ca "shakedown UNTRUSTED client CA" "$host_san" root_ext 3650
new_ca untrusted-client

# --- server leaves under the intermediate --------------------------------
new_ca intermediate
use_ca intermediate intermediate intermediate
leaf() { # leaf STEM CN SAN PROFILE START END [MD] [BITS] [SUBJECT]
  rsa_key "$1" "${8:-2048}"
  issue "$1" "$2" "$3" "$4" "$5" "$6" "${7:-sha256}" "${9:-}"
}
leaf leaf localhost "$host_san" server_ext "$valid_start" "$valid_end"
ec_key leaf-ecdsa
issue leaf-ecdsa localhost "$host_san" server_ext "$valid_start" "$valid_end"
leaf leaf-expired localhost "$host_san" server_ext "$(when '-2 years')" "$(when '-1 day')"
leaf leaf-not-yet-valid localhost "$host_san" server_ext "$(when '+5 years')" "$(when '+6 years')"
leaf leaf-wrong-host wrong.host.example "DNS:wrong.host.example,DNS:www.wrong.host.example" \
  server_ext "$valid_start" "$valid_end"
leaf leaf-sni shakedown.test "DNS:shakedown.test,DNS:www.shakedown.test" \
  server_ext "$valid_start" "$valid_end"
leaf leaf-revoked localhost "$host_san" server_crl_ext "$valid_start" "$valid_end"
leaf leaf-sha1 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha1
leaf leaf-md5 localhost "$host_san" server_ext "$valid_start" "$valid_end" md5
leaf leaf-rsa1024 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha256 1024
leaf leaf-no-san localhost "$host_san" server_nosan_ext "$valid_start" "$valid_end"
leaf leaf-client-eku localhost "$host_san" server_clientauth_ext "$valid_start" "$valid_end"
# Over 16 KiB of certificate: the Certificate message spans several records.
large_san=$host_san
for i in $(seq -w 1 700); do large_san="$large_san,DNS:host-$i.large.shakedown.test"; done
leaf leaf-large localhost "$large_san" server_ext "$valid_start" "$valid_end"
rsa_key mismatch

# badssl.com's key types and sizes, digests and subjects, under the same
# intermediate.
ec_key leaf-ecdsa384 P-384
issue leaf-ecdsa384 localhost "$host_san" server_ext "$valid_start" "$valid_end"
leaf leaf-rsa3072 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha256 3072
leaf leaf-rsa4096 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha256 4096
leaf leaf-rsa512 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha256 512
wait "$rsa8192_pid"
issue leaf-rsa8192 localhost "$host_san" server_ext "$valid_start" "$valid_end"
openssl genpkey -algorithm ED25519 -out "$out/leaf-ed25519.key"
issue leaf-ed25519 localhost "$host_san" server_ext "$valid_start" "$valid_end"
openssl genpkey -algorithm ED448 -out "$out/leaf-ed448.key"
issue leaf-ed448 localhost "$host_san" server_ext "$valid_start" "$valid_end"
# An RSASSA-PSS key (id-RSASSA-PSS, not rsaEncryption): TLS 1.3 must sign
# with it using the rsa_pss_pss_* schemes.
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$out/leaf-rsa-pss.key" \
  2>/dev/null
issue leaf-rsa-pss localhost "$host_san" server_ext "$valid_start" "$valid_end"
leaf leaf-sha384 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha384
leaf leaf-sha512 localhost "$host_san" server_ext "$valid_start" "$valid_end" sha512
# Thousands of names are too long for an environment variable: they go into
# an extension file of their own.
many_sans() { # many_sans STEM COUNT
  local ext="$tmp/$1.ext"
  { echo "[ many_sans_ext ]"
    sed -n '/^\[ server_ext \]/,/^$/p' "$cnf" | sed '1d;/^$/d;s/^subjectAltName.*/subjectAltName = @sans/'
    echo "[ sans ]"
    echo "DNS.1 = localhost"; echo "IP.1 = 127.0.0.1"; echo "IP.2 = ::1"
    seq 1 "$2" | awk '{ printf "DNS.%d = san-%05d.shakedown.test\n", $1 + 1, $1 }'
  } > "$ext"
  rsa_key "$1"
  CN=localhost SAN=DNS:localhost openssl req -new -config "$cnf" -key "$out/$1.key" \
    -out "$tmp/$1.csr"
  CN=localhost SAN=DNS:localhost openssl ca -batch -config "$cnf" -name ca_common -notext \
    -rand_serial -extfile "$ext" -extensions many_sans_ext -startdate "$valid_start" \
    -enddate "$valid_end" -in "$tmp/$1.csr" -out "$out/$1.pem" 2>"$tmp/ca.log" \
    || { cat "$tmp/ca.log" >&2; return 1; }
}
many_sans leaf-1000-sans 1000
many_sans leaf-10000-sans 10000
leaf leaf-no-cn localhost "$host_san" server_ext "$valid_start" "$valid_end" sha256 2048 \
  "/O=shakedown test PKI"
# RFC 5280 section 4.2.1.6: an empty subject makes subjectAltName critical.
leaf leaf-no-subject localhost "$host_san" server_nosubject_ext "$valid_start" "$valid_end" \
  sha256 2048 "/"
# A homograph: "shаkedown.test" with a Cyrillic а (U+0430), in punycode.
leaf leaf-idn xn--shkedown-26g.test "DNS:xn--shkedown-26g.test" server_ext \
  "$valid_start" "$valid_end"

# Defects validators disagree on, as x509-limbo and BetterTLS test them.
use_ca intermediate intermediate intermediate
leaf leaf-no-ip-san localhost "DNS:localhost" server_ext "$valid_start" "$valid_end"
leaf leaf-ip-as-dns localhost "DNS:127.0.0.1,DNS:localhost" server_ext "$valid_start" "$valid_end"
leaf leaf-wildcard "*.a.shakedown.test" "DNS:*.a.shakedown.test" server_ext "$valid_start" \
  "$valid_end"
leaf leaf-ca-true localhost "$host_san" server_ca_true_ext "$valid_start" "$valid_end"
leaf leaf-ku-no-digital-signature localhost "$host_san" server_ku_nodigsig_ext "$valid_start" \
  "$valid_end"
leaf leaf-unknown-critical localhost "$host_san" server_unknown_critical_ext "$valid_start" \
  "$valid_end"
leaf leaf-no-key-ids localhost "$host_san" server_nokeyid_ext "$valid_start" "$valid_end"
leaf leaf-must-staple localhost "$host_san" server_muststaple_ext "$valid_start" "$valid_end"
# A sound leaf that is served with the staple made for leaf: "good", but for
# another certificate's serial.
leaf leaf-ocsp-other localhost "$host_san" server_ext "$valid_start" "$valid_end"
# A second, expired self-signed root with the trusted root's name and key,
# as a server that still sends an old root in its chain does.
use_ca root ca ca
CN="shakedown test root CA" SAN="$host_san" openssl req -new -config "$cnf" -key "$out/ca.key" \
  -out "$tmp/ca-expired.csr"
CN="shakedown test root CA" SAN="$host_san" openssl ca -batch -config "$cnf" -name ca_common \
  -notext -rand_serial -selfsign -keyfile "$out/ca.key" -extensions root_ext \
  -startdate "$(when '-10 years')" -enddate "$(when '-1 day')" -in "$tmp/ca-expired.csr" \
  -out "$out/ca-expired.pem" 2>"$tmp/ca.log" || { cat "$tmp/ca.log" >&2; exit 1; }
# Intermediates with a defect each, and a sound leaf under every one.
defective_ca() { # defective_ca STEM CN PROFILE LEAF_STEM
  use_ca root ca ca
  rsa_key "$1"
  issue "$1" "$2" "$host_san" "$3" "$valid_start" "$(when '+5 years')"
  new_ca "$1"
  use_ca "$1" "$1" "$1"
  leaf "$4" localhost "$host_san" server_ext "$valid_start" "$valid_end"
}
defective_ca intermediate-no-keycertsign "shakedown CA without keyCertSign" \
  intermediate_nokeycertsign_ext leaf-under-no-keycertsign
defective_ca intermediate-no-bc "shakedown CA without basicConstraints" intermediate_nobc_ext \
  leaf-under-no-bc
defective_ca intermediate-nc-permitted "shakedown CA for example.com only" \
  intermediate_nc_permitted_ext leaf-nc-permitted
defective_ca intermediate-nc-excluded "shakedown CA for anything but localhost" \
  intermediate_nc_excluded_ext leaf-nc-excluded
# pathlen:0 broken: the intermediate (pathlen 0) signs another CA.
use_ca intermediate intermediate intermediate
rsa_key sub-ca-pathlen
issue sub-ca-pathlen "shakedown CA below a pathlen:0 CA" "$host_san" chain_ext "$valid_start" \
  "$(when '+5 years')"
new_ca sub-ca-pathlen
use_ca sub-ca-pathlen sub-ca-pathlen sub-ca-pathlen
leaf leaf-pathlen localhost "$host_san" server_ext "$valid_start" "$valid_end"

# An intermediate the root signed with SHA-1, and a sound leaf under it.
use_ca root ca ca
rsa_key intermediate-sha1
issue intermediate-sha1 "shakedown SHA-1 intermediate CA" "$host_san" intermediate_ext \
  "$valid_start" "$(when '+5 years')" sha1
new_ca intermediate-sha1
use_ca intermediate-sha1 intermediate-sha1 intermediate-sha1
leaf leaf-sha1-intermediate localhost "$host_san" server_ext "$valid_start" "$valid_end"

# Two intermediates (root > chain-ca-1 > chain-ca-2 > leaf), so that a
# chain can be sent in the wrong order.
use_ca root ca ca
rsa_key chain-ca-1
issue chain-ca-1 "shakedown chain CA 1" "$host_san" chain_ext "$valid_start" "$(when '+5 years')"
new_ca chain-ca-1
use_ca chain-ca-1 chain-ca-1 chain-ca-1
rsa_key chain-ca-2
issue chain-ca-2 "shakedown chain CA 2" "$host_san" intermediate_ext "$valid_start" \
  "$(when '+5 years')"
new_ca chain-ca-2
use_ca chain-ca-2 chain-ca-2 chain-ca-2
leaf leaf-chain2 localhost "$host_san" server_ext "$valid_start" "$valid_end"

# A valid leaf under the expired intermediate.
new_ca intermediate-expired
use_ca intermediate-expired intermediate-expired intermediate-expired
leaf leaf-expired-intermediate localhost "$host_san" server_ext "$valid_start" "$valid_end"

# A leaf chained to a root nobody trusts.
use_ca untrusted untrusted-ca untrusted-ca
leaf leaf-untrusted localhost "$host_san" server_ext "$valid_start" "$valid_end"

# Self-signed leaf.
rsa_key self-signed
self_sign self-signed localhost "$host_san" self_signed_ext 397

# --- revocation: CRLs for the whole chain and offline OCSP responses -----
use_ca intermediate intermediate intermediate
openssl ca -batch -config "$cnf" -name ca_common -revoke "$out/leaf-revoked.pem" \
  -crl_reason keyCompromise 2>"$tmp/ca.log" || { cat "$tmp/ca.log" >&2; exit 1; }
openssl ca -batch -config "$cnf" -name ca_common -gencrl -crldays 397 \
  -out "$tmp/intermediate.crl.pem" 2>"$tmp/ca.log" || { cat "$tmp/ca.log" >&2; exit 1; }
use_ca root ca ca
openssl ca -batch -config "$cnf" -name ca_common -gencrl -crldays 397 \
  -out "$tmp/root.crl.pem" 2>"$tmp/ca.log" || { cat "$tmp/ca.log" >&2; exit 1; }
cat "$tmp/intermediate.crl.pem" "$tmp/root.crl.pem" > "$out/crl.pem"

ocsp_response() { # ocsp_response LEAF_STEM
  openssl ocsp -issuer "$out/intermediate.pem" -cert "$out/$1.pem" -no_nonce \
    -reqout "$tmp/$1.ocsp.req" >/dev/null 2>&1
  openssl ocsp -index "$tmp/db/intermediate/index.txt" -rsigner "$out/intermediate.pem" \
    -rkey "$out/intermediate.key" -CA "$out/intermediate.pem" -ndays 397 \
    -reqin "$tmp/$1.ocsp.req" -respout "$out/$1.ocsp.der" >/dev/null 2>&1
}
ocsp_response leaf-revoked
ocsp_response leaf
# A response for leaf signed by a responder the client does not trust (the
# untrusted root), and one that went stale: made 30 days ago, good for 7
# (faketime moves the clock of openssl alone).
openssl ocsp -index "$tmp/db/intermediate/index.txt" -rsigner "$out/untrusted-ca.pem" \
  -rkey "$out/untrusted-ca.key" -CA "$out/intermediate.pem" -ndays 397 \
  -reqin "$tmp/leaf.ocsp.req" -respout "$out/leaf-wrong-responder.ocsp.der" >/dev/null 2>&1
command -v faketime >/dev/null \
  || { echo "gen-pki.sh: faketime is not installed (apt-get install faketime)" >&2; exit 1; }
faketime -f -30d openssl ocsp -index "$tmp/db/intermediate/index.txt" \
  -rsigner "$out/intermediate.pem" -rkey "$out/intermediate.key" -CA "$out/intermediate.pem" \
  -ndays 7 -reqin "$tmp/leaf.ocsp.req" -respout "$out/leaf-stale.ocsp.der" >/dev/null 2>&1

# --- weak DH groups ------------------------------------------------------
openssl dhparam -out "$out/dh512.pem" 512 2>/dev/null
openssl dhparam -out "$out/dh1024.pem" 1024 2>/dev/null
# A sound group for the anonymous-DH scenario: RFC 7919 ffdhe2048.
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$out/dh2048.pem"
# Groups OpenSSL 3 refuses to generate, written as DER from their numbers
# (openssl asn1parse -genconf), then PEM.
dh_params() { # dh_params STEM P_HEX G_HEX
  printf 'asn1=SEQUENCE:dh\n[dh]\np=INTEGER:0x%s\ng=INTEGER:0x%s\n' "$2" "$3" > "$tmp/$1.cnf"
  openssl asn1parse -genconf "$tmp/$1.cnf" -out "$tmp/$1.der" -noout
  { echo '-----BEGIN DH PARAMETERS-----'; base64 -w 64 "$tmp/$1.der"
    echo '-----END DH PARAMETERS-----'; } > "$out/$1.pem"
}
# 480 bits: below OpenSSL's 512-bit minimum for generating parameters.
dh_params dh480 "$(openssl prime -generate -safe -bits 480 -hex)" 2
# 2048 bits that are not prime: the product of two 1024-bit primes.
p1=$(openssl prime -generate -bits 1024 -hex)
p2=$(openssl prime -generate -bits 1024 -hex)
dh_params dh-composite "$(python3 -c "print('%X' % (int('$p1', 16) * int('$p2', 16)))")" 2
# A 2048-bit prime that is not a safe prime: p = 210r + 1, so p-1 has the
# small factors 2, 3, 5 and 7 and the group generated by 2 has subgroups of
# those orders. Candidates are sieved and Fermat-tested here, the winner
# confirmed by openssl prime.
while :; do
  p=$(python3 -c "
import secrets
small = [q for q in range(3, 2000, 2) if all(q % d for d in range(3, int(q ** 0.5) + 1, 2))]
while True:
    lo, hi = (1 << 2047) // 210 + 1, ((1 << 2048) - 1) // 210
    p = 210 * (lo + secrets.randbelow(hi - lo)) + 1
    if all(p % q for q in small) and pow(2, p - 1, p) == 1:
        print('%X' % p)
        break")
  openssl prime -hex "$p" | grep -q 'is prime' && break
done
dh_params dh-small-subgroup "$p" 2

# --- client certificates -------------------------------------------------
client() { # client STEM CA_DB CA_STEM BITS
  rsa_key "$1" "$4"
  use_ca "$2" "$3" "$3"
  issue "$1" "shakedown test client ($1)" "DNS:client.shakedown.test" client_ext \
    "$valid_start" "$valid_end"
}
client client client client-ca 2048
client client-weak client client-ca 1024
client client-untrusted untrusted-client untrusted-client-ca 2048
rsa_key client-expired
use_ca client client-ca client-ca
issue client-expired "shakedown test client (client-expired)" "DNS:client.shakedown.test" \
  client_ext "$(when '-2 years')" "$(when '-1 day')"
rsa_key client-server-eku
issue client-server-eku "shakedown test client (client-server-eku)" "DNS:client.shakedown.test" \
  client_serverauth_ext "$valid_start" "$valid_end"
# The client certificate for a browser (the dashboard serves it).
openssl pkcs12 -export -in "$out/client.pem" -inkey "$out/client.key" \
  -certfile "$out/client-ca.pem" -name "shakedown test client" \
  -passout pass:shakedown -out "$out/client.p12"

# Public files readable by all, private keys by the owner only.
chmod 644 "$out"/*.pem "$out"/*.der
chmod 600 "$out"/*.key "$out"/*.p12
echo "$recipe" > "$out/.recipe"

# Replace the old generated files, keeping the committed ones.
find "$dir" -maxdepth 1 -type f \( -name '*.pem' -o -name '*.key' -o -name '*.der' -o -name '*.p12' \
  -o -name '.recipe' \) -delete
cp -p "$out"/* "$out/.recipe" "$dir/"
echo "gen-pki.sh: wrote $(ls "$out" | wc -l) files to $dir (valid leaves end $(date -u -d '+397 days' +%F))"
