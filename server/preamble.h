/*
 * The preamble layer: the plaintext dialogue some protocols hold before
 * TLS begins (SMTP, IMAP, POP3 and FTP's STARTTLS, PostgreSQL's
 * SSLRequest, MySQL's handshake). It reads what the client sent before the
 * ClientHello and writes the server's side of the dialogue; the TLS layer
 * starts where it says. Plain C over byte buffers. preamble_none is TLS
 * from the first byte; the protocols' own are in their modules (smtp.c
 * ...), listed in protocol.c.
 */
#ifndef SHAKEDOWN_PREAMBLE_H
#define SHAKEDOWN_PREAMBLE_H

#include <stddef.h>

#include "buf.h"
#include "dialogue.h"

enum preamble_result {
    PREAMBLE_MORE,  /* the dialogue goes on: wait for the client */
    PREAMBLE_TLS,   /* what is left in `in` is the TLS layer's */
    PREAMBLE_CLOSE  /* the dialogue ends the connection (why says how) */
};

struct preamble_ops {
    const char *name;
    size_t size; /* bytes of an instance's state, zeroed to start */
    /* Called once at accept with in empty (a server that speaks first
     * greets then), and again whenever bytes arrive: consumes from in
     * what belongs to the dialogue and appends replies to out; follows
     * d's policy and keeps its step. On PREAMBLE_CLOSE, why says why in
     * words (static text) and out holds the last reply. */
    enum preamble_result (*input)(void *state, struct dialogue *d,
                                  struct buf *in, struct buf *out,
                                  const char **why);
    void (*clear)(void *state);
};

/* No dialogue: the first byte is the ClientHello's. */
extern const struct preamble_ops preamble_none;

#endif
