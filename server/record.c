/*
 * Record scanning (RFC 8446 section 5.1): a 5-byte header, then the
 * length it gives. A plaintext alert is content type 21 with exactly two
 * bytes of body; encrypted alerts are longer (or type 23) and are left
 * alone.
 */
#include "record.h"

#include <string.h>

#define CONTENT_ALERT 21

void record_scan_init(struct record_scan *s)
{
    memset(s, 0, sizeof(*s));
    s->alert = -1;
}

void record_scan_feed(struct record_scan *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (s->body_left == 0) {
            s->header[s->header_have++] = *p++;
            n--;
            if (s->header_have < sizeof(s->header))
                continue;
            s->header_have = 0;
            s->body_have = 0;
            s->body_left = (size_t)(s->header[3] << 8 | s->header[4]);
            continue;
        }
        size_t take = n < s->body_left ? n : s->body_left;
        if (s->header[0] == CONTENT_ALERT && s->header[3] == 0 &&
            s->header[4] == 2) {
            for (size_t i = 0; i < take && s->body_have < 2; i++)
                s->body[s->body_have++] = p[i];
            if (s->body_have == 2) {
                s->level = s->body[0];
                s->alert = s->body[1];
            }
        }
        p += take;
        n -= take;
        s->body_left -= take;
    }
}
