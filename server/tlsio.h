/*
 * The wolfSSL adapter: builds a WOLFSSL_CTX from a scenario, tells which
 * scenarios this wolfSSL build cannot serve, and runs TLS over byte
 * buffers (never a socket): the receive callback reads the connection's
 * encrypted input, the send callback appends to its encrypted output.
 */
#ifndef SHAKEDOWN_TLSIO_H
#define SHAKEDOWN_TLSIO_H

#include <stdbool.h>
#include <stddef.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "buf.h"
#include "scenario.h"

/* The two queues a WOLFSSL object reads from and writes to. */
struct tlsio_io {
    struct buf *in;  /* encrypted input, filled by the socket */
    struct buf *out; /* encrypted output, drained by the socket */
    bool eof;        /* the peer sent FIN: reads fail instead of waiting */
    /* Re-framing the server's plaintext handshake records (see the
     * scenario's handshake_record_size): set before tlsio_new. */
    int record_size;          /* 0: records go out as wolfSSL made them */
    uint32_t record_messages; /* bit per handshake type; 0: every one */
    bool plain_over;          /* a record that is not handshake went out */
    uint8_t msg_type;         /* the message being sent, and how much */
    size_t msg_left;          /* of it (header included) is still to come */
};

int tlsio_init(void);
void tlsio_cleanup(void);
const char *tlsio_library_version(void);

/* NULL when this build can serve s, else a static reason such as
 * "TLS 1.0 is not compiled into this wolfSSL". */
const char *tlsio_unsupported(const struct scenario *s);

/* What a context borrows and must outlive it: the caller keeps this
 * alive until the contexts built with it are freed, then calls
 * tlsio_assets_free. */
struct tlsio_assets {
    struct buf ocsp; /* the DER OCSP response to staple, if any */
};

void tlsio_assets_free(struct tlsio_assets *a);

/* Builds the context for s with the given identity. Returns NULL with why
 * filled; *unsupported tells a missing library feature from bad input. */
WOLFSSL_CTX *tlsio_ctx_new(const struct scenario *s,
                           const struct scenario_identity *id,
                           const char *certs_dir, struct tlsio_assets *assets,
                           char *why, size_t why_size, bool *unsupported);

/* TLS 1.2 renegotiation that requires a client certificate: the first
 * call (first = true) sends HelloRequest; call again as input arrives.
 * Returns 1 when done, 0 while waiting, or a negative wolfSSL error. */
int tlsio_renegotiate(WOLFSSL *ssl, bool first);

/* A connection object reading and writing io. NULL on out of memory. */
WOLFSSL *tlsio_new(WOLFSSL_CTX *ctx, struct tlsio_io *io);
/* wolfSSL_write of n bytes in records of at most record_size bytes (0:
 * wolfSSL's own). Returns n, or wolfSSL_write's result when it fails. */
int tlsio_write(WOLFSSL *ssl, const void *data, size_t n, int record_size);

/* "CN=localhost (until 2026-11-22, EXPIRED) < CN=..." for the identity's
 * certificate and chain, as the trace shows them. */
void tlsio_describe_chain(const char *certs_dir,
                          const struct scenario_identity *id, char *out,
                          size_t size);
/* Days until the identity's certificate ends (negative once it has), or
 * INT_MIN when that cannot be told (unreadable, or no X.509 API). */
int tlsio_days_left(const char *certs_dir,
                    const struct scenario_identity *id);
/* Receives one complete warning sentence ("warning: scenario ..."). */
typedef void tlsio_warn_fn(void *arg, const char *msg);
/* Checks the dates of every certificate s serves (leaf and chain, and the
 * [sni] identity's) against s->validity: with "current", each that has
 * ended or not yet begun; with "ended" ("not-begun"), none that has
 * ended (begun). Hands a warning naming the file and the fix to warn
 * (NULL: none) for each problem and returns how many there were; 0 when
 * the dates cannot be read with this build. */
int tlsio_check_dates(const char *certs_dir, const struct scenario *s,
                      tlsio_warn_fn *warn, void *arg);
/* The name of a cipher suite by its two-byte code, or "0x1301". */
void tlsio_suite_name(uint16_t suite, char *out, size_t size);

/* Offers the scenario's ALPN protocols (none: the extension is ignored).
 * wolfSSL picks the first of the client's list that s speaks; a
 * mismatch goes on without ALPN (scenario_alpn_policy decides first).
 * Returns 0 or -1. */
int tlsio_use_alpn(WOLFSSL *ssl, const struct scenario *s);
/* Makes the connection sign its ServerKeyExchange with [tls] sign_with
 * whatever the client offered (nothing to do without one). Returns 0, or
 * -1 when the scheme does not suit the key or this wolfSSL lacks the
 * mechanism. */
int tlsio_sign_with(WOLFSSL *ssl, const struct scenario *s);

/* Makes every handshake on ctx a full one while still issuing tickets:
 * the session cache is off, and the tickets are random bytes that the
 * server refuses when a client brings one back ([resumption] refuse, and
 * the identity served to a client that offers to resume). 0, or -1 when
 * this wolfSSL has no session tickets. */
int tlsio_refuse_resumption(WOLFSSL_CTX *ctx);
/* The protocol ALPN selected into out; false when none was. */
bool tlsio_alpn(WOLFSSL *ssl, char *out, size_t size);
/* "TLS 1.2" for a negotiated WOLFSSL_*_VERSION-style name. */
const char *tlsio_version(WOLFSSL *ssl);
const char *tlsio_cipher(WOLFSSL *ssl);
/* Writes the client certificate's subject; returns false when the client
 * sent none. */
bool tlsio_peer_subject(WOLFSSL *ssl, char *out, size_t size);
/* The alert codes last sent and received, or -1. */
void tlsio_alerts(WOLFSSL *ssl, int *sent, int *received);
/* wolfSSL's text for an error code. */
void tlsio_error_string(int err, char *out, size_t size);

#endif
