/*
 * tlsc over OpenSSL (Debian's libssl): an independent client whose
 * assembly-optimised crypto costs a fraction of the servers' share, so
 * that on a small machine the server, not the client, sets the pace.
 */
#define _GNU_SOURCE

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tlsc.h"

const char *tlsc_library(void)
{
    static char name[64];
    snprintf(name, sizeof(name), "%s", OpenSSL_version(OPENSSL_VERSION));
    for (char *p = name; *p; p++)
        if (*p == ' ')
            *p = '-';
    return name;
}

/* wolfSSL's TLS 1.3 suite names, as OpenSSL spells them. */
static const char *const tls13_names[][2] = {
    {"TLS13-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"},
    {"TLS13-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384"},
    {"TLS13-CHACHA20-POLY1305-SHA256", "TLS_CHACHA20_POLY1305_SHA256"},
    {"TLS13-AES128-CCM-SHA256", "TLS_AES_128_CCM_SHA256"},
};

static const char *tls13_name(const char *name)
{
    for (size_t i = 0; i < sizeof(tls13_names) / sizeof(tls13_names[0]); i++)
        if (strcmp(name, tls13_names[i][0]) == 0)
            return tls13_names[i][1];
    return strncmp(name, "TLS_", 4) == 0 ? name : NULL;
}

/* OpenSSL keeps TLS 1.3 suites and older ciphers in two lists: split the
 * one list the command line gives. */
static int set_ciphers(SSL_CTX *ctx, const char *list, char *err,
                       size_t err_size)
{
    char copy[1024], suites[1024] = "", ciphers[1024] = "";
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *save = NULL, *p = strtok_r(copy, ":", &save); p;
         p = strtok_r(NULL, ":", &save)) {
        const char *s = tls13_name(p);
        char *dst = s ? suites : ciphers;
        size_t used = strlen(dst);
        snprintf(dst + used, sizeof(suites) - used, "%s%s", used ? ":" : "",
                 s ? s : p);
    }
    if (suites[0] != '\0' && SSL_CTX_set_ciphersuites(ctx, suites) != 1)
        return snprintf(err, err_size, "OpenSSL does not know \"%s\"", suites),
               -1;
    if (ciphers[0] != '\0' && SSL_CTX_set_cipher_list(ctx, ciphers) != 1)
        return snprintf(err, err_size, "OpenSSL does not know \"%s\"", ciphers),
               -1;
    return 0;
}

static int ctx_setup(SSL_CTX *ctx, const struct tlsc_opts *o, char *err,
                     size_t err_size)
{
    int v = o->tls == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(ctx, v);
    SSL_CTX_set_max_proto_version(ctx, v);
    if (o->ciphers != NULL && set_ciphers(ctx, o->ciphers, err, err_size))
        return -1;
    /* Offer exactly one group, as the wolfSSL client does. */
    if (SSL_CTX_set1_groups_list(ctx, o->group == TLSC_P256 ? "P-256"
                                                            : "X25519") != 1)
        return snprintf(err, err_size, "cannot set the group"), -1;
    if (o->ca != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
            return snprintf(err, err_size, "cannot load CA file %s", o->ca), -1;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    /* Every connection is a full handshake: nothing is kept to resume,
     * and no ticket is asked for. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return 0;
}

struct tlsc_ctx *tlsc_ctx_new(const struct tlsc_opts *o, char *err,
                              size_t err_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, err_size, "SSL_CTX_new failed");
        return NULL;
    }
    if (ctx_setup(ctx, o, err, err_size) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return (struct tlsc_ctx *)ctx;
}

static void name_server(SSL *ssl, const struct tlsc_opts *o)
{
    if (!o->sni)
        return;
    SSL_set_tlsext_host_name(ssl, o->host);
    if (o->ca != NULL)
        SSL_set1_host(ssl, o->host);
}

struct tlsc *tlsc_new(struct tlsc_ctx *ctx, const struct tlsc_opts *o, int fd)
{
    SSL *ssl = SSL_new((SSL_CTX *)ctx);
    if (ssl == NULL)
        return NULL;
    SSL_set_fd(ssl, fd);
    name_server(ssl, o);
    return (struct tlsc *)ssl;
}

static void error_text(SSL *ssl, int ret, char *err, size_t err_size)
{
    int e = SSL_get_error(ssl, ret);
    char text[256] = "";
    unsigned long q = ERR_get_error();
    if (q != 0)
        ERR_error_string_n(q, text, sizeof(text));
    ERR_clear_error();
    snprintf(err, err_size, "SSL_get_error %d %s (errno: %s)", e, text,
             strerror(errno));
}

int tlsc_handshake(struct tlsc *t, char *err, size_t err_size)
{
    SSL *ssl = (SSL *)t;
    int r = SSL_connect(ssl);
    if (r == 1)
        return 0;
    error_text(ssl, r, err, err_size);
    return -1;
}

int tlsc_write(struct tlsc *t, const void *buf, int len)
{
    return SSL_write((SSL *)t, buf, len) == len ? 0 : -1;
}

int tlsc_read(struct tlsc *t, void *buf, int len, char *err, size_t err_size)
{
    SSL *ssl = (SSL *)t;
    int r = SSL_read(ssl, buf, len);
    if (r > 0)
        return r;
    int e = SSL_get_error(ssl, r);
    /* A close_notify, or a plain EOF (OpenSSL 3 calls it an error). */
    if (e == SSL_ERROR_ZERO_RETURN ||
        (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
                                   SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
        (e == SSL_ERROR_SYSCALL && errno == 0)) {
        ERR_clear_error();
        return 0;
    }
    error_text(ssl, r, err, err_size);
    return -1;
}

void tlsc_free(struct tlsc *t)
{
    SSL_free((SSL *)t);
}

size_t tlsc_client_hello(struct tlsc_ctx *ctx, const struct tlsc_opts *o,
                         unsigned char *out, size_t size)
{
    SSL *ssl = SSL_new((SSL_CTX *)ctx);
    BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
    if (ssl == NULL || rbio == NULL || wbio == NULL) {
        SSL_free(ssl);
        BIO_free(rbio);
        BIO_free(wbio);
        return 0;
    }
    SSL_set_bio(ssl, rbio, wbio);
    name_server(ssl, o);
    int r = SSL_connect(ssl);
    size_t len = 0;
    if (r != 1 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ) {
        int n = BIO_read(wbio, out, (int)size);
        len = n > 0 ? (size_t)n : 0;
    }
    SSL_free(ssl);
    return len;
}
