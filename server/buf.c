/*
 * Growable byte buffer. Capacity doubles on demand; consumed bytes are
 * dropped by moving the tail down only when room is needed.
 */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
    memset(b, 0, sizeof(*b));
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

uint8_t *buf_reserve(struct buf *b, size_t n)
{
    if (n > SIZE_MAX / 4)
        return NULL; /* no such buffer; and cap * 2 below must not wrap */
    if (b->off > 0 && b->cap - b->len < n) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->cap - b->len < n || b->data == NULL) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (p == NULL)
            return NULL;
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    uint8_t *dst = buf_reserve(b, n);
    if (dst == NULL)
        return -ENOMEM;
    if (n > 0)
        memcpy(dst, p, n);
    buf_commit(b, n);
    return 0;
}

size_t buf_pending(const struct buf *b)
{
    return b->len - b->off;
}

const uint8_t *buf_head(const struct buf *b)
{
    /* A buffer that never held anything has no storage: NULL + 0 is
     * undefined, so an empty string stands for its (empty) head. */
    return b->data != NULL ? b->data + b->off : (const uint8_t *)"";
}

/* An emptied buffer keeps small storage for the next record and gives
 * back large storage: thousands of idle or stalled connections must not
 * each hold the biggest read or flight they ever saw. */
static void emptied(struct buf *b)
{
    b->off = b->len = 0;
    if (b->cap > BUF_KEEP) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

void buf_consume(struct buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        emptied(b);
}

void buf_reset(struct buf *b)
{
    emptied(b);
}

void buf_swap(struct buf *a, struct buf *b)
{
    struct buf t = *a;
    *a = *b;
    *b = t;
}
