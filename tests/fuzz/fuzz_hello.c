/*
 * libFuzzer target for the ClientHello parser (server/hello.c): any bytes,
 * as they might arrive on a TLS port before the handshake starts. Beyond
 * the sanitizers it checks what callers rely on: a reason with every error,
 * bounded counts and strings, that a prefix of a complete hello is "need
 * more" (as when the hello arrives in pieces), and that the same message
 * framed into records of another size parses the same.
 */
#include <string.h>

#include "fuzz.h"
#include "hello.h"

static void check_string(const char *s, size_t size)
{
    FUZZ_CHECK(memchr(s, '\0', size) != NULL);
}

static void check_ok(const struct hello *h, size_t size)
{
    FUZZ_CHECK(h->n_records >= 1);
    FUZZ_CHECK(h->record_bytes <= size);
    FUZZ_CHECK(h->length <= HELLO_MAX_BYTES);
    FUZZ_CHECK(h->n_ciphers >= 1 && h->n_versions >= 0);
    FUZZ_CHECK(h->n_groups >= 0 && h->n_sigalgs >= 0);
    FUZZ_CHECK(h->n_alpn >= 0 && h->n_extensions >= 0);
    check_string(h->sni, sizeof(h->sni));
    check_string(h->alpn, sizeof(h->alpn));
    FUZZ_CHECK(h->has_sni || h->sni[0] == '\0');

    /* What the connection trace does with a parsed hello. */
    char name[16];
    hello_version_name(hello_max_version(h), name, sizeof(name));
    hello_version_name(h->legacy_version, name, 4);
    int n = h->n_groups < HELLO_MAX_LIST ? h->n_groups : HELLO_MAX_LIST;
    for (int i = 0; i < n; i++)
        (void)hello_group_name(h->groups[i]);
}

/* Parses a heap copy of the first len bytes, so that a read past them is
 * caught even though the fuzzer's buffer goes on. */
static enum hello_status parse_prefix(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, len);
    struct hello h;
    const char *why;
    enum hello_status st = hello_parse(copy, len, &h, &why);
    free(copy);
    return st;
}

/* The handshake message of a parsed hello, taken out of its records and
 * framed again into records of at most chunk bytes; the caller frees it. */
static uint8_t *reframe_new(const uint8_t *data, const struct hello *h,
                            size_t chunk, size_t *out_len)
{
    size_t want = 4 + h->length, have = 0, pos = 0;
    uint8_t *msg = malloc(want);
    FUZZ_CHECK(msg != NULL);
    while (have < want) {
        size_t rlen = (size_t)data[pos + 3] << 8 | data[pos + 4];
        size_t n = rlen < want - have ? rlen : want - have;
        memcpy(msg + have, data + pos + 5, n);
        have += n;
        pos += 5 + rlen;
    }
    size_t records = (want + chunk - 1) / chunk;
    uint8_t *out = malloc(want + 5 * records);
    FUZZ_CHECK(out != NULL);
    *out_len = 0;
    for (size_t off = 0; off < want; off += chunk) {
        size_t n = want - off < chunk ? want - off : chunk;
        uint8_t *r = out + *out_len;
        r[0] = 22;
        r[1] = 3;
        r[2] = data[2];
        r[3] = (uint8_t)(n >> 8);
        r[4] = (uint8_t)n;
        memcpy(r + 5, msg + off, n);
        *out_len += 5 + n;
    }
    free(msg);
    return out;
}

#define SAME(field) FUZZ_CHECK(a->field == b->field)

static void check_same_list(const uint16_t *a, const uint16_t *b, int n)
{
    size_t kept = (size_t)(n < HELLO_MAX_LIST ? n : HELLO_MAX_LIST);
    FUZZ_CHECK(memcmp(a, b, kept * sizeof(a[0])) == 0);
}

static void check_same(const struct hello *a, const struct hello *b)
{
    SAME(record_version);
    SAME(legacy_version);
    SAME(length);
    SAME(n_ciphers);
    SAME(n_versions);
    SAME(n_groups);
    SAME(n_sigalgs);
    SAME(has_sni);
    SAME(n_alpn);
    SAME(n_extensions);
    check_same_list(a->ciphers, b->ciphers, a->n_ciphers);
    check_same_list(a->versions, b->versions, a->n_versions);
    check_same_list(a->groups, b->groups, a->n_groups);
    check_same_list(a->sigalgs, b->sigalgs, a->n_sigalgs);
    FUZZ_CHECK(strcmp(a->sni, b->sni) == 0);
    FUZZ_CHECK(strcmp(a->alpn, b->alpn) == 0);
}

static void check_reframed(const uint8_t *data, const struct hello *h)
{
    /* A record size from the message itself, so that inputs replay. */
    size_t chunk = 1 + (h->length + h->ciphers[0] + h->n_extensions) % 300;
    if (chunk > 4 + h->length)
        chunk = 4 + h->length;
    size_t len;
    uint8_t *framed = reframe_new(data, h, chunk, &len);
    struct hello again;
    const char *why;
    FUZZ_CHECK(hello_parse(framed, len, &again, &why) == HELLO_OK);
    FUZZ_CHECK(again.record_bytes == len);
    check_same(h, &again);
    free(framed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hello h;
    const char *why = "unset";
    enum hello_status st = hello_parse(data, size, &h, &why);
    FUZZ_CHECK(st == HELLO_OK || st == HELLO_NEED_MORE || st == HELLO_ERROR);
    if (st == HELLO_ERROR) {
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(why == NULL);
    FUZZ_CHECK(h.length <= HELLO_MAX_BYTES);
    if (st == HELLO_NEED_MORE)
        return 0;
    check_ok(&h, size);
    /* The same records alone give the same answer; any shorter prefix of
     * them is incomplete (record headers were all valid, so no error). */
    size_t whole = h.record_bytes;
    FUZZ_CHECK(parse_prefix(data, whole) == HELLO_OK);
    FUZZ_CHECK(parse_prefix(data, whole - 1) == HELLO_NEED_MORE);
    FUZZ_CHECK(parse_prefix(data, whole / 2) == HELLO_NEED_MORE);
    check_reframed(data, &h);
    return 0;
}
