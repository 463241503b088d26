/*
 * tlsc over wolfSSL: the same private build as the server (its prefix is
 * passed by bench/run.sh), blocking I/O on the caller's socket.
 */
#define _GNU_SOURCE

#include "wolfssl_config.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tlsc.h"

const char *tlsc_library(void)
{
    static char name[64];
    snprintf(name, sizeof(name), "wolfSSL-%s", wolfSSL_lib_version());
    return name;
}

static int group_id(enum tlsc_group g)
{
    return g == TLSC_P256 ? WOLFSSL_ECC_SECP256R1 : WOLFSSL_ECC_X25519;
}

static int ctx_setup(WOLFSSL_CTX *ctx, const struct tlsc_opts *o, char *err,
                     size_t err_size)
{
    if (o->ciphers != NULL &&
        wolfSSL_CTX_set_cipher_list(ctx, o->ciphers) != WOLFSSL_SUCCESS)
        return snprintf(err, err_size, "wolfSSL does not know \"%s\"",
                        o->ciphers),
               -1;
    /* Offer exactly one group: the key share (TLS 1.3) or the ECDHE curve
     * (TLS 1.2) is then the one asked for, whatever the server prefers. */
    int groups[1] = {group_id(o->group)};
    if (wolfSSL_CTX_UseSupportedCurve(ctx, (word16)groups[0]) !=
            WOLFSSL_SUCCESS ||
        (o->tls == 13 &&
         wolfSSL_CTX_set_groups(ctx, groups, 1) != WOLFSSL_SUCCESS))
        return snprintf(err, err_size, "cannot offer group %d", groups[0]), -1;
    if (o->ca != NULL) {
        if (wolfSSL_CTX_load_verify_locations(ctx, o->ca, NULL) !=
            WOLFSSL_SUCCESS)
            return snprintf(err, err_size, "cannot load CA file %s", o->ca), -1;
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    } else {
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
    }
    /* Every connection is a full handshake: nothing is kept to resume. */
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
    return 0;
}

struct tlsc_ctx *tlsc_ctx_new(const struct tlsc_opts *o, char *err,
                              size_t err_size)
{
    static bool initialised;
    if (!initialised && wolfSSL_Init() != WOLFSSL_SUCCESS) {
        snprintf(err, err_size, "wolfSSL_Init failed");
        return NULL;
    }
    initialised = true;
    WOLFSSL_CTX *ctx =
        wolfSSL_CTX_new(o->tls == 12 ? wolfTLSv1_2_client_method()
                                     : wolfTLSv1_3_client_method());
    if (ctx == NULL) {
        snprintf(err, err_size, "wolfSSL_CTX_new failed");
        return NULL;
    }
    if (ctx_setup(ctx, o, err, err_size) != 0) {
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    return (struct tlsc_ctx *)ctx;
}

static void name_server(WOLFSSL *ssl, const struct tlsc_opts *o)
{
    if (!o->sni)
        return;
    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, o->host,
                   (word16)strlen(o->host));
    if (o->ca != NULL)
        wolfSSL_check_domain_name(ssl, o->host);
}

struct tlsc *tlsc_new(struct tlsc_ctx *ctx, const struct tlsc_opts *o, int fd)
{
    WOLFSSL *ssl = wolfSSL_new((WOLFSSL_CTX *)ctx);
    if (ssl == NULL)
        return NULL;
    wolfSSL_set_fd(ssl, fd);
    name_server(ssl, o);
    return (struct tlsc *)ssl;
}

static void error_text(WOLFSSL *ssl, int ret, char *err, size_t err_size)
{
    int e = wolfSSL_get_error(ssl, ret);
    char text[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)e, text, sizeof(text));
    snprintf(err, err_size, "%d %s (errno: %s)", e, text, strerror(errno));
}

int tlsc_handshake(struct tlsc *t, char *err, size_t err_size)
{
    WOLFSSL *ssl = (WOLFSSL *)t;
    int r = wolfSSL_connect(ssl);
    if (r == WOLFSSL_SUCCESS)
        return 0;
    error_text(ssl, r, err, err_size);
    return -1;
}

int tlsc_write(struct tlsc *t, const void *buf, int len)
{
    return wolfSSL_write((WOLFSSL *)t, buf, len) == len ? 0 : -1;
}

int tlsc_read(struct tlsc *t, void *buf, int len, char *err, size_t err_size)
{
    WOLFSSL *ssl = (WOLFSSL *)t;
    int r = wolfSSL_read(ssl, buf, len);
    if (r > 0)
        return r;
    int e = wolfSSL_get_error(ssl, r);
    if (e == WOLFSSL_ERROR_ZERO_RETURN || e == SOCKET_PEER_CLOSED_E)
        return 0;
    error_text(ssl, r, err, err_size);
    return -1;
}

void tlsc_free(struct tlsc *t)
{
    wolfSSL_free((WOLFSSL *)t);
}

struct capture {
    unsigned char *out;
    size_t size, len;
};

static int capture_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
    struct capture *cap = arg;
    (void)ssl;
    if ((size_t)sz > cap->size - cap->len)
        return WOLFSSL_CBIO_ERR_GENERAL;
    memcpy(cap->out + cap->len, buf, (size_t)sz);
    cap->len += (size_t)sz;
    return sz;
}

static int capture_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
    (void)ssl, (void)buf, (void)sz, (void)arg;
    return WOLFSSL_CBIO_ERR_WANT_READ;
}

size_t tlsc_client_hello(struct tlsc_ctx *ctx, const struct tlsc_opts *o,
                         unsigned char *out, size_t size)
{
    struct capture cap = {.out = out, .size = size};
    WOLFSSL *ssl = wolfSSL_new((WOLFSSL_CTX *)ctx);
    if (ssl == NULL)
        return 0;
    wolfSSL_SSLSetIORecv(ssl, capture_recv);
    wolfSSL_SSLSetIOSend(ssl, capture_send);
    wolfSSL_SetIOReadCtx(ssl, &cap);
    wolfSSL_SetIOWriteCtx(ssl, &cap);
    name_server(ssl, o);
    int r = wolfSSL_connect(ssl);
    bool ok = r != WOLFSSL_SUCCESS &&
              wolfSSL_get_error(ssl, r) == WOLFSSL_ERROR_WANT_READ;
    wolfSSL_free(ssl);
    return ok ? cap.len : 0;
}
