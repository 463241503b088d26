/*
 * A passive scanner over the client's byte stream that finds plaintext
 * alert records. In TLS 1.3 a client that rejects the server's
 * certificate sends its alert unencrypted, which wolfSSL (expecting
 * handshake encryption by then) reports only as a parse error; the
 * scanner lets the trace name the alert the client really sent.
 */
#ifndef SHAKEDOWN_RECORD_H
#define SHAKEDOWN_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct record_scan {
    uint8_t header[5];
    size_t header_have;
    size_t body_left;
    uint8_t body[2]; /* the first two bytes of an alert record */
    size_t body_have;
    int alert; /* description of the last plaintext alert seen, or -1 */
    int level; /* its level (1 warning, 2 fatal) */
};

void record_scan_init(struct record_scan *s);
/* Feeds the next bytes of the stream, in order, any split. */
void record_scan_feed(struct record_scan *s, const uint8_t *p, size_t n);

#endif
