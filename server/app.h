/*
 * The application layer: what is spoken over the clear text once the
 * handshake is done. The connection owns one instance per connection
 * behind these few calls and decides the answer itself (the status, a
 * renegotiation, a fault); a layer only reads requests and writes
 * answers, in plain C over byte buffers. ALPN chooses the layer:
 * HTTP/1.1 (http.c) and HTTP/2 (http2.c, with gRPC answers). Under
 * --protocol the protocol chooses it instead: the mail, FTP and database
 * dialogues after TLS (smtp.c ...), which answer most commands
 * themselves and hand the connection one "request" (SMTP's MAIL, a
 * login, PostgreSQL's startup) whose answer it decides.
 */
#ifndef SHAKEDOWN_APP_H
#define SHAKEDOWN_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dialogue.h"
#include "scenario.h"

/* What the layer found in the clear text so far. */
enum app_result {
    APP_MORE,    /* nothing to answer yet: more clear text, please */
    APP_REQUEST, /* a whole request: answer it with respond */
    APP_BAD,     /* not this protocol, or over a limit: answer 400 */
    APP_DONE,    /* a dialogue's end (QUIT): send out, then close_notify */
    APP_ERROR    /* out of memory */
};

/* A request as the connection sees it, whatever the protocol. */
struct app_request {
    char method[16];
    char target[256];
    const char *protocol; /* "HTTP/1.1", "HTTP/2", "SMTP", "PostgreSQL" */
    bool grpc;            /* content-type application/grpc */
};

/* What the answer says about the connection. */
struct app_page {
    const struct scenario *scenario;
    const char *version;
    const char *cipher;
    const char *client_cert; /* subject, or NULL */
    const char *note;        /* why the status is not 200, or NULL */
    bool no_length; /* a truncation fault: no length, no end of stream */
    /* [http]'s answer, its ports filled in (http_answer): header lines
     * ("Name: value\r\n" each) after the server's own, and a body in
     * place of the page (NULL: the page, as text/plain). */
    const char *headers;
    const char *body;
    size_t body_len;
    const char *content_type; /* with body */
};

struct app_ops {
    const char *name; /* its ALPN id: "http/1.1" */
    size_t size;      /* bytes of an instance's state, zeroed to start */
    /* Before any input: appends what the server says first (HTTP/2's
     * SETTINGS, an implicit-TLS greeting) to out; a dialogue keeps d,
     * which outlives the state. Returns 0 or -1. NULL: nothing. */
    int (*open)(void *state, struct dialogue *d, struct buf *out);
    /* Takes len more bytes of clear text; on APP_REQUEST fills req.
     * What the protocol answers on its own (an acknowledgement) is
     * appended to out. */
    enum app_result (*input)(void *state, const uint8_t *data, size_t len,
                             struct app_request *req, struct buf *out);
    /* Appends the answer to the request to out (status 200: success;
     * 400: what APP_BAD found; another: a refusal, page->note says
     * why). Returns 0 when the connection ends with it, 1 when the
     * dialogue goes on (input answers what follows, until APP_DONE), or
     * -1. */
    int (*respond)(void *state, int status, const struct app_page *page,
                   struct buf *out);
    /* Frees what the state holds (not the state itself). */
    void (*clear)(void *state);
};

#endif
