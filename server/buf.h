/*
 * A growable byte buffer with a read offset: the connection's encrypted and
 * clear-text queues. Bytes are appended at the end and consumed from the
 * front; consumed space is reclaimed lazily.
 */
#ifndef SHAKEDOWN_BUF_H
#define SHAKEDOWN_BUF_H

#include <stddef.h>
#include <stdint.h>

#define BUF_KEEP 4096 /* storage an emptied buffer may keep */

struct buf {
    uint8_t *data;
    size_t off; /* first unconsumed byte */
    size_t len; /* end of valid bytes */
    size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Returns 0, or -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Makes room for at least n more bytes and returns where they go. */
uint8_t *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);
size_t buf_pending(const struct buf *b);
const uint8_t *buf_head(const struct buf *b);
/* Both free storage over BUF_KEEP once the buffer is empty. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* Exchanges the contents of two buffers. */
void buf_swap(struct buf *a, struct buf *b);

#endif
