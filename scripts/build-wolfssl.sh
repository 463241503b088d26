#!/usr/bin/env bash
# Builds wolfSSL 5.5.4 from Debian's source package (Debian's patches applied
# by dpkg-source) with the flags shakedown needs, as a static library in a
# private prefix. The prefix is reused while this recipe is unchanged: its
# hash is stored next to it.
#
# Usage: scripts/build-wolfssl.sh BUILD_DIR     (prints the prefix on stdout)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build_dir=${1:?usage: build-wolfssl.sh BUILD_DIR}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

wolfssl_version=5.5.4

# Everything below this line is the recipe; editing it forces a rebuild.
configure_flags=(
  --enable-static --disable-shared
  --enable-tls13 --enable-oldtls --enable-tlsv10 --enable-sslv3
  --enable-arc4 --enable-des3 --enable-nullcipher --enable-anon --enable-dh
  --enable-md5
  --enable-aesgcm --enable-aesccm --enable-chacha --enable-poly1305 --enable-ecc
  --enable-curve25519 --enable-ed25519 --enable-curve448 --enable-ed448
  --enable-sni --enable-alpn --enable-ocsp --enable-ocspstapling
  --enable-ocspstapling2 --enable-crl
  --enable-secure-renegotiation --enable-session-ticket
  --enable-extended-master
  --enable-opensslextra --enable-opensslall --enable-certgen --enable-certreq
  --enable-certext --enable-keygen --enable-supportedcurves
  --enable-fallback-scsv --enable-postauth
  --enable-pkcallbacks
  --enable-sp
  --with-max-rsa-bits=8192
  --disable-examples --disable-crypttests --disable-benchmark
)
# Speed (bench/README.md): single-precision math for the common key sizes
# (the weak sizes the scenarios need still go through the generic code),
# with x86-64 assembly and AES-NI where the machine is x86-64; wolfSSL
# checks the CPU's features at run time.
if [ "$(uname -m)" = x86_64 ]; then
  configure_flags+=(--enable-sp-asm --enable-aesni --enable-intelasm)
fi
# WOLFSSL_OLD_PRIME_CHECK: load DH parameters as given, without testing p
# for primality (dh-composite serves a composite modulus on purpose; the
# only other effect is that wolfSSL as a client, our test client, no longer
# tests a server's modulus either). WOLFSSL_NO_OCSP_DATE_CHECK: staple an
# OCSP response whose dates have passed (ocsp-stale shows what clients do
# with one; wolfSSL would otherwise drop it and staple nothing).
configure_cppflags="-DWOLFSSL_STATIC_RSA -DWOLFSSL_MIN_RSA_BITS=512 \
-DWOLFSSL_MIN_DHKEY_BITS=512 -DWOLFSSL_EXTRA_ALERTS -DSHAKEDOWN_KEEP_DH_PARAMS \
-DWOLFSSL_OLD_PRIME_CHECK -DWOLFSSL_NO_OCSP_DATE_CHECK -DWOLFSSL_GETRANDOM \
-DSHAKEDOWN_SIGN_WITH"
configure_cflags="-O2 -fPIC"

recipe_hash=$( { cat "$0"; } | sha256sum | cut -c1-16)
prefix="$build_dir/wolfssl-$wolfssl_version-$recipe_hash"

if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

log() { printf 'build-wolfssl: %s\n' "$*" >&2; }

src_root="$build_dir/wolfssl-src"
rm -rf "$src_root" "$prefix"
mkdir -p "$src_root"
log "fetching Debian's wolfssl source package"
( cd "$src_root" && apt-get source -q "wolfssl=$(apt-cache showsrc wolfssl \
    | sed -n 's/^Version: //p' | grep "^$wolfssl_version" | sort -V | tail -n 1)" ) >&2
src=$(find "$src_root" -maxdepth 1 -type d -name "wolfssl-$wolfssl_version*" | head -n 1)
[ -n "$src" ] || { log "no wolfssl-$wolfssl_version source tree after apt-get source"; exit 1; }

cd "$src"
# One source edit, guarded by a macro of our own: in TLS 1.2, wolfSSL
# replaces the server's configured DH parameters with an RFC 7919 group
# whenever the client lists one in supported_groups (OpenSSL 3 clients
# always do), so a server with a deliberately weak DH group could never be
# reproduced. SHAKEDOWN_KEEP_DH_PARAMS (set in CPPFLAGS above, and so
# visible in options.h) turns that replacement off.
guard='#if defined(HAVE_TLS_EXTENSIONS) \&\& defined(HAVE_DH_DEFAULT_PARAMS)$'
[ "$(grep -c "$guard" src/internal.c)" = 1 ] \
  || { log "src/internal.c: the FFDHE guard to edit is not where expected"; exit 1; }
sed -i "s/$guard/& \&\& !defined(SHAKEDOWN_KEEP_DH_PARAMS)/" src/internal.c
grep -q 'defined(HAVE_DH_DEFAULT_PARAMS) && !defined(SHAKEDOWN_KEEP_DH_PARAMS)' src/internal.c \
  || { log "src/internal.c: the FFDHE edit did not apply"; exit 1; }

# Two leak fixes in TLS 1.3 OCSP stapling on the server (every connection
# that asks revoked-ocsp for a staple lost about 3 KB, found by the
# sanitizer suite): the certificate decoded to build the OCSP request is
# freed with FreeDecodedCert, not just XFREE; and the stapled response a
# server copies into the status_request extension is freed with it (a
# client's points into the received record, so only the server's).
perl -0pi -e 's/(ret = ParseCert\(cert, CERT_TYPE, 1, SSL_CM\(ssl\)\);\n\s*if \(ret != 0 \) \{\n)(\s*)(XFREE\(cert, ssl->heap, DYNAMIC_TYPE_DCERT\);)/$1$2FreeDecodedCert(cert);\n$2$3/;
  s/(ret = TLSX_CSR_InitRequest\(ssl->extensions, cert, ssl->heap\);\n\s*if \(ret != 0 \) \{\n)(\s*)(XFREE\(cert, ssl->heap, DYNAMIC_TYPE_DCERT\);\n\s*return ret;\n\s*\}\n)(\s*)(XFREE\(cert, ssl->heap, DYNAMIC_TYPE_DCERT\);)/$1$2FreeDecodedCert(cert);\n$2$3$4FreeDecodedCert(cert);\n$4$5/' src/tls.c
[ "$(grep -c 'FreeDecodedCert(cert);' src/tls.c)" -ge 3 ] \
  && grep -B4 'ret = TLSX_CSR_InitRequest(ssl->extensions, cert, ssl->heap);' src/tls.c | grep -q FreeDecodedCert \
  || { log "src/tls.c: the TLS 1.3 status_request decoded-certificate fix did not apply"; exit 1; }
perl -0pi -e 's/(static void TLSX_CSR_Free\(CertificateStatusRequest\* csr, void\* heap\)\n\{\n)/$1#if defined(WOLFSSL_TLS13)\n    if (csr->ssl != NULL \&\& csr->ssl->options.side == WOLFSSL_SERVER_END)\n        XFREE(csr->response.buffer, NULL, DYNAMIC_TYPE_TMP_BUFFER);\n#endif\n/' src/tls.c
grep -A3 '^static void TLSX_CSR_Free(CertificateStatusRequest\* csr' src/tls.c | grep -q 'WOLFSSL_SERVER_END' \
  || { log "src/tls.c: the status_request response fix did not apply"; exit 1; }

# A third, in the OCSP cache: a staple for a certificate other than the one
# the server asked about (ocsp-other-certificate) was saved as a new status
# each time, since the cache is searched by the server's serial and the
# saved status carries the response's: 1.7 KB more for every such handshake
# (found by the release soak). A status with the response's serial is now
# replaced.
perl -0pi -e 's/(\n([ \t]*)if \(status != NULL\) \{\n\s*if \(status->rawOcspResponse\) \{\n)/\n$2if (status == NULL) {\n$2    for (status = entry->status; status != NULL; status = status->next)\n$2        if (status->serialSz == ocspResponse->single->status->serialSz\n$2        \&\& !XMEMCMP(status->serial, ocspResponse->single->status->serial,\n$2                     status->serialSz))\n$2            break;\n$2}$1/' src/ocsp.c
grep -B3 'if (status->serialSz == ocspResponse->single->status->serialSz' src/ocsp.c | grep -q 'for (status = entry->status' \
  || { log "src/ocsp.c: the OCSP status cache fix did not apply"; exit 1; }

# A fourth, for [tls] sign_with: a server made to sign its TLS 1.2
# ServerKeyExchange with one algorithm whatever the client offered (a SHA-1
# signature, RSA-PSS only, PKCS#1 only). wolfSSL picks only from the
# client's signature_algorithms list, so PickHashSigAlgo now returns the
# pair set by a new wolfSSL_shakedown_sign_with(ssl, IANA code), which
# refuses a hash this build cannot sign with or a scheme that does not suit
# the key. SHAKEDOWN_SIGN_WITH (in CPPFLAGS, so in options.h) tells the
# server the function is there.
perl -0pi -e 's/(\nstruct WOLFSSL \{\n)/$1#ifdef SHAKEDOWN_SIGN_WITH\n    byte            shakedownSignWith[3]; \/* set, hash, signature *\/\n#endif\n/' wolfssl/internal.h
perl -0pi -e 's/(\nWOLFSSL_LOCAL int  PickHashSigAlgo\()/\n#ifdef SHAKEDOWN_SIGN_WITH\nWOLFSSL_API int wolfSSL_shakedown_sign_with(WOLFSSL* ssl, unsigned int code);\n#endif$1/' wolfssl/internal.h
grep -A2 '^struct WOLFSSL {' wolfssl/internal.h | grep -q 'shakedownSignWith' \
    && grep -q '^WOLFSSL_API int wolfSSL_shakedown_sign_with' wolfssl/internal.h \
  || { log "wolfssl/internal.h: the sign_with field did not apply"; exit 1; }
perl -0pi -e 's/(\nint PickHashSigAlgo\(WOLFSSL\* ssl, const byte\* hashSigAlgo, word32 hashSigAlgoSz\)\n\{\n\s*word32 i;\n\s*int ret = MATCH_SUITE_ERROR;\n\s*byte minHash;\n)/$1\n#ifdef SHAKEDOWN_SIGN_WITH\n    if (ssl->shakedownSignWith[0]) {\n        ssl->suites->hashAlgo = ssl->shakedownSignWith[1];\n        ssl->suites->sigAlgo = ssl->shakedownSignWith[2];\n        return 0;\n    }\n#endif\n/;
  s/(\n    return ret;\n\}\n)(#endif \/\* !defined\(NO_WOLFSSL_SERVER\) \|\| !defined\(NO_CERTS\) \*\/\n)/$1\n#ifdef SHAKEDOWN_SIGN_WITH\nint wolfSSL_shakedown_sign_with(WOLFSSL* ssl, unsigned int code)\n{\n    byte in[2], hashAlgo = 0, sigAlgo = 0;\n    int suits;\n\n    if (ssl == NULL || code > 0xffff)\n        return BAD_FUNC_ARG;\n    if (code == 0) {\n        ssl->shakedownSignWith[0] = 0;\n        return WOLFSSL_SUCCESS;\n    }\n    in[0] = (byte)(code >> 8);\n    in[1] = (byte)code;\n    DecodeSigAlg(in, &hashAlgo, &sigAlgo);\n    if (HashAlgoToType(hashAlgo) == WC_HASH_TYPE_NONE)\n        return BAD_FUNC_ARG;\n    if (sigAlgo == rsa_pss_sa_algo)\n        suits = ssl->buffers.keyType == rsa_sa_algo;\n    else\n        suits = (sigAlgo == rsa_sa_algo || sigAlgo == ecc_dsa_sa_algo)\n                \&\& sigAlgo == ssl->buffers.keyType;\n    if (!suits)\n        return BAD_FUNC_ARG;\n    ssl->shakedownSignWith[0] = 1;\n    ssl->shakedownSignWith[1] = hashAlgo;\n    ssl->shakedownSignWith[2] = sigAlgo;\n    return WOLFSSL_SUCCESS;\n}\n#endif\n$2/' src/internal.c
grep -A8 '^int PickHashSigAlgo(WOLFSSL\* ssl' src/internal.c | grep -q 'shakedownSignWith' \
  && grep -q '^int wolfSSL_shakedown_sign_with(WOLFSSL\* ssl, unsigned int code)$' src/internal.c \
  || { log "src/internal.c: the sign_with edit did not apply"; exit 1; }

log "configuring in $src"
./autogen.sh >&2
./configure --prefix="$prefix" "${configure_flags[@]}" \
  CPPFLAGS="$configure_cppflags" CFLAGS="$configure_cflags" >&2
log "building ($(nproc) jobs)"
make -j"$(nproc)" >&2
make install >&2
touch "$prefix/.complete"
rm -rf "$src_root"
# Builds from older recipes are dead weight now.
find "$build_dir" -maxdepth 1 -type d -name "wolfssl-$wolfssl_version-*" \
  ! -path "$prefix" -exec rm -rf {} +
log "installed into $prefix"
echo "$prefix"
