/*
 * wolfCrypt's speed for the server's share of a handshake: one signature
 * and one ephemeral key exchange, with the server's own keys and library.
 * Rates are per second of this thread's CPU time, so that other work on a
 * shared machine does not count.
 */
#define _GNU_SOURCE

#include "wolfssl_config.h"

#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "speed.h"

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("shakebench: speed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

typedef int speed_op(void *arg);

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs op for about `seconds` of this thread's CPU time and returns
 * operations per CPU second: on a machine shared with other work, wall
 * time would measure the other work too. */
static double speed_rate(speed_op *op, void *arg, double seconds)
{
    uint64_t t0 = cpu_ns(), t = t0;
    long n = 0;
    while ((double)(t - t0) / 1e9 < seconds) {
        for (int i = 0; i < 4; i++, n++)
            if (op(arg) != 0)
                die("a wolfCrypt operation failed");
        t = cpu_ns();
    }
    return (double)n / ((double)(t - t0) / 1e9);
}

struct speed {
    WC_RNG rng;
    RsaKey rsa;
    ecc_key ecdsa;
    byte hash[32];
    byte rsa_sig[256];
    word32 rsa_sig_len;
    byte ecc_sig[80];
    word32 ecc_sig_len;
    curve25519_key x_peer;
    ecc_key p_peer;
};

static int op_rsa_sign(void *arg)
{
    struct speed *c = arg;
    int r =
        wc_RsaPSS_Sign(c->hash, 32, c->rsa_sig, sizeof(c->rsa_sig),
                       WC_HASH_TYPE_SHA256, WC_MGF1SHA256, &c->rsa, &c->rng);
    if (r <= 0)
        return -1;
    c->rsa_sig_len = (word32)r;
    return 0;
}

static int op_rsa_verify(void *arg)
{
    struct speed *c = arg;
    byte sig[256], out[256];
    memcpy(sig, c->rsa_sig, c->rsa_sig_len);
    return wc_RsaPSS_Verify(sig, c->rsa_sig_len, out, sizeof(out),
                            WC_HASH_TYPE_SHA256, WC_MGF1SHA256, &c->rsa) > 0
               ? 0
               : -1;
}

static int op_ecdsa_sign(void *arg)
{
    struct speed *c = arg;
    c->ecc_sig_len = sizeof(c->ecc_sig);
    return wc_ecc_sign_hash(c->hash, 32, c->ecc_sig, &c->ecc_sig_len, &c->rng,
                            &c->ecdsa);
}

static int op_ecdsa_verify(void *arg)
{
    struct speed *c = arg;
    int ok = 0;
    int r = wc_ecc_verify_hash(c->ecc_sig, c->ecc_sig_len, c->hash, 32, &ok,
                               &c->ecdsa);
    return r == 0 && ok == 1 ? 0 : -1;
}

static int op_x25519_keygen(void *arg)
{
    struct speed *c = arg;
    curve25519_key k;
    wc_curve25519_init(&k);
    int r = wc_curve25519_make_key(&c->rng, 32, &k);
    wc_curve25519_free(&k);
    return r;
}

/* A fresh key and a shared secret with the peer: the server's whole
 * ephemeral key exchange. */
static int op_x25519_exchange(void *arg)
{
    struct speed *c = arg;
    curve25519_key k;
    byte out[32];
    word32 len = sizeof(out);
    wc_curve25519_init(&k);
    int r = wc_curve25519_make_key(&c->rng, 32, &k);
    if (r == 0)
        r = wc_curve25519_shared_secret(&k, &c->x_peer, out, &len);
    wc_curve25519_free(&k);
    return r;
}

static int op_p256_keygen(void *arg)
{
    struct speed *c = arg;
    ecc_key k;
    wc_ecc_init(&k);
    int r = wc_ecc_make_key_ex(&c->rng, 32, &k, ECC_SECP256R1);
    wc_ecc_free(&k);
    return r;
}

static int op_p256_exchange(void *arg)
{
    struct speed *c = arg;
    ecc_key k;
    byte out[32];
    word32 len = sizeof(out);
    wc_ecc_init(&k);
    int r = wc_ecc_make_key_ex(&c->rng, 32, &k, ECC_SECP256R1);
    if (r == 0)
        r = wc_ecc_set_rng(&k, &c->rng);
    if (r == 0)
        r = wc_ecc_shared_secret(&k, &c->p_peer, out, &len);
    wc_ecc_free(&k);
    return r;
}

/* Reads a PEM private key file into DER. */
static int read_key_der(const char *path, byte *der, int der_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        die("cannot open %s: %s", path, strerror(errno));
    static byte pem[8192];
    size_t n = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    int len = wc_KeyPemToDer(pem, (int)n, der, der_size, NULL);
    if (len <= 0)
        die("%s: not a PEM private key (%d)", path, len);
    return len;
}

static void speed_load_keys(struct speed *c, const char *certs)
{
    char path[4096];
    byte der[4096];
    word32 idx = 0;
    snprintf(path, sizeof(path), "%s/leaf.key", certs);
    int len = read_key_der(path, der, sizeof(der));
    if (wc_InitRsaKey(&c->rsa, NULL) != 0 ||
        wc_RsaPrivateKeyDecode(der, &idx, &c->rsa, (word32)len) != 0)
        die("%s: not an RSA key", path);
    wc_RsaSetRNG(&c->rsa, &c->rng);
    snprintf(path, sizeof(path), "%s/leaf-ecdsa.key", certs);
    len = read_key_der(path, der, sizeof(der));
    idx = 0;
    if (wc_ecc_init(&c->ecdsa) != 0 ||
        wc_EccPrivateKeyDecode(der, &idx, &c->ecdsa, (word32)len) != 0)
        die("%s: not an EC key", path);
    /* The decoded private key may lack its public point; verify needs it. */
    if (wc_ecc_make_pub(&c->ecdsa, NULL) != 0)
        die("%s: cannot derive the public key", path);
    wc_ecc_set_rng(&c->ecdsa, &c->rng);
}

int speed_run(const char *certs, double seconds)
{
    static struct speed c;
    if (wc_InitRng(&c.rng) != 0)
        die("wc_InitRng failed");
    speed_load_keys(&c, certs);
    memset(c.hash, 0x5a, sizeof(c.hash));
    wc_curve25519_init(&c.x_peer);
    wc_ecc_init(&c.p_peer);
    if (wc_curve25519_make_key(&c.rng, 32, &c.x_peer) != 0 ||
        wc_ecc_make_key_ex(&c.rng, 32, &c.p_peer, ECC_SECP256R1) != 0)
        die("cannot make the peer keys");
    static const struct {
        const char *name;
        speed_op *op;
    } ops[] = {
        {"rsa2048_sign", op_rsa_sign},
        {"rsa2048_verify", op_rsa_verify},
        {"ecdsa_p256_sign", op_ecdsa_sign},
        {"ecdsa_p256_verify", op_ecdsa_verify},
        {"x25519_keygen", op_x25519_keygen},
        {"x25519_exchange", op_x25519_exchange},
        {"p256_keygen", op_p256_keygen},
        {"p256_exchange", op_p256_exchange},
    };
    printf("crypto library=wolfSSL-%s", wolfSSL_lib_version());
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        printf(" %s=%.1f", ops[i].name, speed_rate(ops[i].op, &c, seconds));
        fflush(stdout);
    }
    printf("\n");
    wc_FreeRsaKey(&c.rsa);
    wc_ecc_free(&c.ecdsa);
    wc_ecc_free(&c.p_peer);
    wc_curve25519_free(&c.x_peer);
    wc_FreeRng(&c.rng);
    return 0;
}
