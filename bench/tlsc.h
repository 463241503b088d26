/*
 * The load generator's TLS client, behind one small interface so that
 * shakebench links either wolfSSL (tlsc_wolfssl.c, the server's own
 * build) or OpenSSL (tlsc_openssl.c, a faster and independent client).
 */
#ifndef SHAKEBENCH_TLSC_H
#define SHAKEBENCH_TLSC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum tlsc_group { TLSC_X25519, TLSC_P256 };

struct tlsc_opts {
    const char *host; /* name to resolve, and for SNI and verification */
    int port;
    int tls;             /* 12 or 13 */
    const char *ciphers; /* ':'-separated; wolfSSL or OpenSSL names */
    enum tlsc_group group;
    const char *ca; /* NULL: no verification */
    int timeout_s;  /* per socket operation */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool sni; /* false when host is an IP address */
};

struct tlsc_ctx;
struct tlsc;

/* The library's name and version, for the record. */
const char *tlsc_library(void);
/* A context for o's version, ciphers, group and CA; NULL and a message
 * in err on failure. Safe to share between threads. */
struct tlsc_ctx *tlsc_ctx_new(const struct tlsc_opts *o, char *err,
                              size_t err_size);
/* A client on the connected socket fd (which stays the caller's). */
struct tlsc *tlsc_new(struct tlsc_ctx *ctx, const struct tlsc_opts *o, int fd);
/* 0 once the handshake is done, else -1 and a message in err. */
int tlsc_handshake(struct tlsc *t, char *err, size_t err_size);
/* Writes all of buf; 0 or -1. */
int tlsc_write(struct tlsc *t, const void *buf, int len);
/* Bytes read, 0 when the server closed (close_notify or EOF), -1 and a
 * message in err on an error. */
int tlsc_read(struct tlsc *t, void *buf, int len, char *err, size_t err_size);
/* Frees the client without sending anything. */
void tlsc_free(struct tlsc *t);
/* The ClientHello this context sends, as the bytes on the wire; their
 * length, or 0 on failure. */
size_t tlsc_client_hello(struct tlsc_ctx *ctx, const struct tlsc_opts *o,
                         unsigned char *out, size_t size);

#endif
