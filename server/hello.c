/*
 * ClientHello parsing (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2).
 * Every read goes through a cursor that checks the remaining length first;
 * a short vector marks the cursor bad instead of reading further.
 */
#include "hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_HEADER 5
#define RECORD_MAX (16384 + 2048) /* TLSCiphertext limit, RFC 5246 6.2.3 */
#define CONTENT_HANDSHAKE 22
#define HANDSHAKE_CLIENT_HELLO 1

struct cursor {
    const uint8_t *p;
    size_t left;
    bool bad;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
    if (c->bad || c->left < n) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    c->left -= n;
    return p;
}

static unsigned u8(struct cursor *c)
{
    const uint8_t *p = take(c, 1);
    return p ? p[0] : 0;
}

static unsigned u16(struct cursor *c)
{
    const uint8_t *p = take(c, 2);
    return p ? (unsigned)(p[0] << 8 | p[1]) : 0;
}

/* A sub-cursor over a vector whose length prefix is width bytes. */
static struct cursor vector(struct cursor *c, int width)
{
    size_t n = width == 1 ? u8(c) : u16(c);
    struct cursor v = {take(c, n), n, c->bad};
    if (v.bad)
        v.left = 0;
    return v;
}

static void u16_list(struct cursor *v, uint16_t *out, int *count)
{
    if (v->left % 2 != 0)
        v->bad = true;
    while (!v->bad && v->left >= 2) {
        unsigned x = u16(v);
        if (*count < HELLO_MAX_LIST)
            out[*count] = (uint16_t)x;
        (*count)++;
    }
}

static void copy_printable(char *dst, size_t size, const uint8_t *src,
                           size_t n)
{
    size_t i;
    for (i = 0; i < n && i + 1 < size; i++)
        dst[i] = (src[i] >= 0x21 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[i] = '\0';
}

/* RFC 6066 section 3: a list of typed names; only host_name (0) exists. */
static void parse_sni(struct cursor *ext, struct hello *h)
{
    struct cursor list = vector(ext, 2);
    while (!list.bad && list.left > 0) {
        unsigned type = u8(&list);
        struct cursor name = vector(&list, 2);
        if (type == 0 && !h->has_sni && !name.bad) {
            h->has_sni = true;
            copy_printable(h->sni, sizeof(h->sni), name.p, name.left);
        }
    }
    ext->bad = ext->bad || list.bad;
}

/* RFC 7301 section 3.1: a list of 8-bit-length protocol names. */
static void parse_alpn(struct cursor *ext, struct hello *h)
{
    struct cursor list = vector(ext, 2);
    size_t used = 0;
    while (!list.bad && list.left > 0) {
        struct cursor name = vector(&list, 1);
        if (name.bad)
            break;
        h->n_alpn++;
        if (used + name.left + 2 < sizeof(h->alpn)) {
            if (used > 0)
                h->alpn[used++] = ',';
            copy_printable(h->alpn + used, sizeof(h->alpn) - used, name.p,
                           name.left);
            used += name.left;
        }
    }
    ext->bad = ext->bad || list.bad;
}

static void parse_extension(unsigned type, struct cursor *ext,
                            struct hello *h)
{
    struct cursor list;
    switch (type) {
    case 0: /* server_name */
        parse_sni(ext, h);
        break;
    case 10: /* supported_groups */
        list = vector(ext, 2);
        u16_list(&list, h->groups, &h->n_groups);
        ext->bad = ext->bad || list.bad;
        break;
    case 13: /* signature_algorithms */
        list = vector(ext, 2);
        u16_list(&list, h->sigalgs, &h->n_sigalgs);
        ext->bad = ext->bad || list.bad;
        break;
    case 16: /* application_layer_protocol_negotiation */
        parse_alpn(ext, h);
        break;
    case 35: /* session_ticket */
        h->ticket_len = ext->left;
        take(ext, ext->left);
        break;
    case 41: /* pre_shared_key */
        h->has_psk = true;
        take(ext, ext->left);
        break;
    case 43: /* supported_versions */
        list = vector(ext, 1);
        u16_list(&list, h->versions, &h->n_versions);
        ext->bad = ext->bad || list.bad;
        break;
    default:
        break;
    }
}

static enum hello_status parse_body(const uint8_t *body, size_t len,
                                    struct hello *h, const char **why)
{
    struct cursor c = {body, len, false};
    h->legacy_version = (uint16_t)u16(&c);
    take(&c, 32); /* random */
    struct cursor session = vector(&c, 1);
    struct cursor suites = vector(&c, 2);
    struct cursor compression = vector(&c, 1);
    if (c.bad || session.left > 32 || suites.left < 2 ||
        compression.left < 1) {
        *why = "ClientHello fields are malformed";
        return HELLO_ERROR;
    }
    h->session_id_len = session.left;
    u16_list(&suites, h->ciphers, &h->n_ciphers);
    if (suites.bad) {
        *why = "cipher suite list has an odd length";
        return HELLO_ERROR;
    }
    if (c.left == 0)
        return HELLO_OK; /* no extensions: allowed before TLS 1.3 */
    struct cursor exts = vector(&c, 2);
    while (!exts.bad && exts.left > 0) {
        unsigned type = u16(&exts);
        struct cursor ext = vector(&exts, 2);
        if (ext.bad)
            break;
        h->n_extensions++;
        parse_extension(type, &ext, h);
        if (ext.bad) {
            *why = "an extension is malformed";
            return HELLO_ERROR;
        }
    }
    if (exts.bad || c.left != 0) {
        *why = "extension block length does not match its contents";
        return HELLO_ERROR;
    }
    return HELLO_OK;
}

/* Walks the records at the start of data and copies up to want handshake
 * bytes into out (when out is not NULL). Returns the handshake bytes
 * available, or -1 with *why set. */
static long gather(const uint8_t *data, size_t len, size_t want, uint8_t *out,
                   bool partial, struct hello *h, const char **why)
{
    size_t pos = 0, have = 0;
    h->n_records = 0;
    while (have < want && len - pos >= RECORD_HEADER) {
        const uint8_t *r = data + pos;
        size_t rlen = (size_t)(r[3] << 8 | r[4]);
        if (r[0] != CONTENT_HANDSHAKE) {
            *why = "record is not a handshake record";
            return -1;
        }
        if (r[1] != 3) {
            *why = "record version is not 3.x";
            return -1;
        }
        if (rlen == 0 || rlen > RECORD_MAX) {
            *why = "record length is zero or over 18432";
            return -1;
        }
        if (h->n_records == 0)
            h->record_version = (uint16_t)(r[1] << 8 | r[2]);
        if (len - pos - RECORD_HEADER < rlen) {
            /* Record incomplete: its first bytes may still tell the
             * declared length, so that an over-long hello is refused
             * before it has all arrived. */
            size_t avail = len - pos - RECORD_HEADER;
            size_t n = avail < want - have ? avail : want - have;
            if (partial && out != NULL) {
                memcpy(out + have, r + RECORD_HEADER, n);
                have += n;
            }
            break;
        }
        size_t n = rlen < want - have ? rlen : want - have;
        if (out != NULL)
            memcpy(out + have, r + RECORD_HEADER, n);
        have += n;
        pos += RECORD_HEADER + rlen;
        h->n_records++;
        h->record_bytes = pos;
    }
    return (long)have;
}

enum hello_status hello_parse(const uint8_t *data, size_t len,
                              struct hello *h, const char **why)
{
    memset(h, 0, sizeof(*h));
    *why = NULL;
    if (len >= 1 && (data[0] & 0x80)) {
        *why = "SSLv2-format ClientHello";
        return HELLO_ERROR;
    }
    if (len >= 1 && data[0] != CONTENT_HANDSHAKE) {
        *why = "first byte is not a TLS handshake record";
        return HELLO_ERROR;
    }
    uint8_t head[4];
    long have = gather(data, len, sizeof(head), head, true, h, why);
    if (have < 0)
        return HELLO_ERROR;
    if (have < (long)sizeof(head))
        return HELLO_NEED_MORE;
    if (head[0] != HANDSHAKE_CLIENT_HELLO) {
        *why = "first handshake message is not a ClientHello";
        return HELLO_ERROR;
    }
    size_t body = (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
    h->length = body; /* known before the rest arrives: callers cap it */
    if (body > HELLO_MAX_BYTES) {
        *why = "ClientHello is longer than 128 KiB";
        return HELLO_ERROR;
    }
    size_t want = sizeof(head) + body;
    have = gather(data, len, want, NULL, false, h, why);
    if (have < 0)
        return HELLO_ERROR;
    if ((size_t)have < want)
        return HELLO_NEED_MORE;

    enum hello_status st;
    if (h->n_records == 1) {
        st = parse_body(data + RECORD_HEADER + 4, body, h, why);
    } else {
        uint8_t *msg = malloc(want);
        if (msg == NULL) {
            *why = "out of memory";
            return HELLO_ERROR;
        }
        gather(data, len, want, msg, false, h, why);
        st = parse_body(msg + 4, body, h, why);
        free(msg);
    }
    h->length = body;
    return st;
}

bool hello_is_grease(uint16_t v)
{
    /* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

uint16_t hello_max_version(const struct hello *h)
{
    uint16_t best = 0;
    int n = h->n_versions < HELLO_MAX_LIST ? h->n_versions : HELLO_MAX_LIST;
    for (int i = 0; i < n; i++)
        if (!hello_is_grease(h->versions[i]) && h->versions[i] > best)
            best = h->versions[i];
    return best ? best : h->legacy_version;
}

bool hello_offers_resumption(const struct hello *h, const char **how)
{
    const char *via = NULL;
    if (h->has_psk)
        via = "a TLS 1.3 pre-shared key";
    else if (h->ticket_len > 0)
        via = "a TLS 1.2 session ticket";
    else if (h->session_id_len > 0 && hello_max_version(h) < 0x0304)
        via = "a TLS 1.2 session ID";
    if (how != NULL)
        *how = via;
    return via != NULL;
}

void hello_version_name(uint16_t v, char *out, size_t size)
{
    switch (v) {
    case 0x0300: snprintf(out, size, "SSL 3.0"); break;
    case 0x0301: snprintf(out, size, "TLS 1.0"); break;
    case 0x0302: snprintf(out, size, "TLS 1.1"); break;
    case 0x0303: snprintf(out, size, "TLS 1.2"); break;
    case 0x0304: snprintf(out, size, "TLS 1.3"); break;
    default: snprintf(out, size, "0x%04x", v); break;
    }
}

/* The named groups a server can be configured with (RFC 8446 section
 * 4.2.7, RFC 7919), in the order hello_group_lookup lists them. */
static const uint16_t known_groups[] = {29, 30, 23, 24, 25,
                                        256, 257, 258, 259, 260};

int hello_group_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(known_groups) / sizeof(known_groups[0]); i++)
        if (strcmp(hello_group_name(known_groups[i]), name) == 0)
            return known_groups[i];
    return -1;
}

void hello_group_list(char *out, size_t size)
{
    size_t used = 0;
    if (size > 0)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof(known_groups) / sizeof(known_groups[0]) &&
                       used < size;
         i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 i ? ", " : "",
                                 hello_group_name(known_groups[i]));
}

const char *hello_group_name(uint16_t g)
{
    switch (g) {
    case 23: return "secp256r1";
    case 24: return "secp384r1";
    case 25: return "secp521r1";
    case 29: return "x25519";
    case 30: return "x448";
    case 256: return "ffdhe2048";
    case 257: return "ffdhe3072";
    case 258: return "ffdhe4096";
    case 259: return "ffdhe6144";
    case 260: return "ffdhe8192";
    default: return NULL;
    }
}
