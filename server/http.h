/*
 * The tiny HTTP/1.1 responder that runs after a successful handshake: it
 * recognises a complete request head and writes a short page about the
 * scenario. Plain C over byte buffers.
 */
#ifndef SHAKEDOWN_HTTP_H
#define SHAKEDOWN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "buf.h"
#include "scenario.h"

#define HTTP_MAX_HEAD 16384

enum http_status {
    HTTP_COMPLETE = 0,
    HTTP_NEED_MORE = 1,
    HTTP_BAD = -1,
    HTTP_TOO_LARGE = -2 /* the head goes past HTTP_MAX_HEAD */
};

struct http_request {
    char method[16];
    char target[256];
    size_t head_len; /* bytes up to and including the blank line */
    int minor;       /* HTTP/1.minor */
    bool close;      /* Connection: close */
    bool keep_alive; /* Connection: keep-alive */
    bool body;       /* Content-Length (not 0) or Transfer-Encoding */
};

/* Whether the connection may carry another request after this one's
 * answer (RFC 9112 section 9.3): HTTP/1.1 unless "close", HTTP/1.0 only
 * with "keep-alive", never after a request body we do not read. */
bool http_persistent(const struct http_request *req);

enum http_status http_parse(const uint8_t *data, size_t len,
                            struct http_request *req);

/* "OK", "Forbidden", ... for a status code. */
const char *http_reason(int status);

/* The scenario page's text into out; returns its length. */
size_t http_page_text(const struct app_page *page, char *out, size_t size);

/* [http]'s header lines and body of s, with {port} and {plain_port}
 * (-1: none, left as written) filled in, into headers ("Name: value\r\n"
 * each) and body; both empty without [http]. Returns 0 or -1 (out of
 * memory). */
int http_answer(const struct scenario *s, int port, int plain_port,
                struct buf *headers, struct buf *body);

/* The body the answer carries into out (page->body, or the page's text
 * with its Content-Type): its length, NUL-terminated where it fits. */
size_t http_body(const struct app_page *page, char *out, size_t size,
                 const char **content_type);

/* Appends a whole response (status line, headers, body) to out. */
int http_respond(struct buf *out, int status, const char *reason,
                 const struct app_page *page);

/* HTTP/1.1 as an application layer: one request head, one answer. */
extern const struct app_ops http_app;

#endif
