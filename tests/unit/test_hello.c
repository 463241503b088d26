/*
 * The ClientHello parser against real hellos captured from curl, OpenSSL,
 * GnuTLS and Python (tests/fixtures/clienthello, made by
 * tests/fixtures/capture-clienthello.py), re-split and truncated, and
 * against hand-built malformed hellos and garbage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"

/* ---- helpers ---------------------------------------------------------- */

/* Parses a copy of the bytes in a buffer of exactly len bytes, so that a
 * read past the end is caught by AddressSanitizer or valgrind. */
static enum hello_status parse_exact(const uint8_t *data, size_t len,
                                     struct hello *h, const char **why)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, data, len);
    enum hello_status st = hello_parse(copy, len, h, why);
    free(copy);
    return st;
}

/* Frames one handshake message as TLS records of at most chunk bytes,
 * each with record version 0x03 minor; the caller frees the result. */
static uint8_t *reframe_new(const uint8_t *msg, size_t msg_len, size_t chunk,
                            uint8_t minor, size_t *out_len)
{
    size_t n_records = (msg_len + chunk - 1) / chunk;
    uint8_t *out = malloc(msg_len + 5 * n_records);
    size_t pos = 0;
    if (out == NULL)
        return NULL;
    for (size_t off = 0; off < msg_len; off += chunk) {
        size_t n = msg_len - off < chunk ? msg_len - off : chunk;
        out[pos++] = 22;
        out[pos++] = 3;
        out[pos++] = minor;
        out[pos++] = (uint8_t)(n >> 8);
        out[pos++] = (uint8_t)n;
        memcpy(out + pos, msg + off, n);
        pos += n;
    }
    *out_len = pos;
    return out;
}

/* Everything the parser reports about the message itself (not about the
 * records it came in) must be the same. */
static void assert_same_hello(const struct hello *a, const struct hello *b)
{
    assert_int_equal(a->legacy_version, b->legacy_version);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->n_ciphers, b->n_ciphers);
    assert_memory_equal(a->ciphers, b->ciphers, sizeof(a->ciphers));
    assert_int_equal(a->n_versions, b->n_versions);
    assert_memory_equal(a->versions, b->versions, sizeof(a->versions));
    assert_int_equal(a->n_groups, b->n_groups);
    assert_memory_equal(a->groups, b->groups, sizeof(a->groups));
    assert_int_equal(a->n_sigalgs, b->n_sigalgs);
    assert_memory_equal(a->sigalgs, b->sigalgs, sizeof(a->sigalgs));
    assert_int_equal(a->has_sni, b->has_sni);
    assert_string_equal(a->sni, b->sni);
    assert_string_equal(a->alpn, b->alpn);
    assert_int_equal(a->n_alpn, b->n_alpn);
    assert_int_equal(a->n_extensions, b->n_extensions);
}

/* What any result must satisfy, whatever the input. */
static void assert_sane(enum hello_status st, const struct hello *h,
                        const char *why, size_t len)
{
    assert_true(st == HELLO_OK || st == HELLO_NEED_MORE ||
                st == HELLO_ERROR);
    if (st == HELLO_ERROR) {
        assert_non_null(why);
        assert_true(why[0] != '\0');
    } else {
        assert_null(why);
    }
    if (st == HELLO_OK) {
        assert_true(h->record_bytes <= len);
        assert_true(h->length + 4 <= len);
        assert_true(h->n_ciphers >= 1);
        assert_true((size_t)h->n_ciphers * 2 <= h->length);
        assert_true((size_t)h->n_groups * 2 <= h->length);
        assert_true((size_t)h->n_extensions * 4 <= h->length);
    }
    assert_true(memchr(h->sni, '\0', sizeof(h->sni)) != NULL);
    assert_true(memchr(h->alpn, '\0', sizeof(h->alpn)) != NULL);
}

/* A small writer for hand-built hellos. */
struct wire {
    uint8_t b[200 * 1024];
    size_t n;
};

static void put8(struct wire *w, unsigned v)
{
    assert_true(w->n < sizeof(w->b));
    w->b[w->n++] = (uint8_t)v;
}

static void put16(struct wire *w, unsigned v)
{
    put8(w, v >> 8);
    put8(w, v & 0xff);
}

static void put_bytes(struct wire *w, const void *p, size_t n)
{
    assert_true(n <= sizeof(w->b) - w->n);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_zeros(struct wire *w, size_t n)
{
    assert_true(n <= sizeof(w->b) - w->n);
    memset(w->b + w->n, 0, n);
    w->n += n;
}

/* legacy_version, random, a 32-byte session id, three suites and null
 * compression: the fixed part of a ClientHello body. */
static void put_body_start(struct wire *w)
{
    put16(w, 0x0303);
    put_zeros(w, 32);
    put8(w, 32);
    put_zeros(w, 32);
    put16(w, 6);
    put16(w, 0x1301);
    put16(w, 0x1302);
    put16(w, 0x00ff);
    put8(w, 1);
    put8(w, 0);
}

static void put_ext(struct wire *w, unsigned type, const void *data,
                    size_t len)
{
    put16(w, type);
    put16(w, (unsigned)len);
    put_bytes(w, data, len);
}

/* Wraps a body in a handshake header and one TLS record (or, for bodies
 * over one record, in as many 16384-byte records as it takes). */
static void frame(const struct wire *body, struct wire *out)
{
    static struct wire msg;
    msg.n = 0;
    put8(&msg, 1);
    put8(&msg, (unsigned)(body->n >> 16));
    put16(&msg, (unsigned)(body->n & 0xffff));
    put_bytes(&msg, body->b, body->n);
    out->n = 0;
    for (size_t off = 0; off < msg.n; off += 16384) {
        size_t n = msg.n - off < 16384 ? msg.n - off : 16384;
        put8(out, 22);
        put16(out, 0x0301);
        put16(out, (unsigned)n);
        put_bytes(out, msg.b + off, n);
    }
}

/* Frames body, parses it, and returns the status; *why as from the
 * parser. */
static enum hello_status parse_built(const struct wire *body,
                                     struct hello *h, const char **why)
{
    static struct wire rec;
    frame(body, &rec);
    enum hello_status st = parse_exact(rec.b, rec.n, h, why);
    assert_sane(st, h, *why, rec.n);
    return st;
}

/* ---- the captured hellos ---------------------------------------------- */

struct expected {
    const char *name;
    size_t file_len;
    const char *sni; /* NULL: no server_name extension */
    int n_ciphers;
    int n_versions;
    uint16_t max_version;
    int n_groups;
    uint16_t groups[10];
    int n_sigalgs;
    const char *alpn;
    int n_alpn;
    int n_extensions;
};

/* Decoded independently of hello.c (with a few lines of Python) when the
 * fixtures were captured: curl 7.88.1 and openssl s_client on OpenSSL
 * 3.0, gnutls-cli 3.7.9, Python 3.11's ssl. */
static const struct expected fixtures[] = {
    {"curl", 517, "localhost", 31, 4, 0x0304, 10,
     {29, 23, 30, 25, 24, 256, 257, 258, 259, 260}, 20, "h2,http/1.1", 2,
     12},
    {"openssl", 318, "example.test", 31, 4, 0x0304, 10,
     {29, 23, 30, 25, 24, 256, 257, 258, 259, 260}, 20, "", 0, 10},
    {"openssl-tls12", 209, "example.test", 28, 0, 0x0303, 5,
     {29, 23, 30, 25, 24}, 20, "", 0, 7},
    {"openssl-nosni", 297, NULL, 31, 4, 0x0304, 10,
     {29, 23, 30, 25, 24, 256, 257, 258, 259, 260}, 20, "", 0, 9},
    {"gnutls", 394, "example.test", 29, 4, 0x0304, 10,
     {23, 24, 25, 29, 30, 256, 257, 258, 259, 260}, 16, "", 0, 13},
    {"python", 517, "example.test", 18, 2, 0x0304, 10,
     {29, 23, 30, 25, 24, 256, 257, 258, 259, 260}, 20, "", 0, 11},
};

#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static void test_fixtures_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        const struct expected *x = &fixtures[i];
        uint8_t *data = NULL;
        size_t len = 0;
        struct hello h;
        const char *why = NULL;
        print_message("fixture %s\n", x->name);
        data = fixture_new(x->name, &len);
        assert_non_null(data);
        assert_int_equal(len, x->file_len);
        assert_int_equal(parse_exact(data, len, &h, &why), HELLO_OK);
        assert_sane(HELLO_OK, &h, why, len);
        assert_int_equal(h.record_version, 0x0301);
        assert_int_equal(h.legacy_version, 0x0303);
        assert_int_equal(h.n_records, 1);
        assert_int_equal(h.record_bytes, len);
        assert_int_equal(h.length, len - 9); /* record and handshake heads */
        if (x->sni != NULL) {
            assert_true(h.has_sni);
            assert_string_equal(h.sni, x->sni);
        } else {
            assert_false(h.has_sni);
            assert_string_equal(h.sni, "");
        }
        assert_int_equal(h.n_ciphers, x->n_ciphers);
        assert_in_range(h.n_ciphers, 10, HELLO_MAX_LIST);
        /* Every client here offers the TLS 1.3 AES-GCM suite or, for the
         * 1.2-only hello, ECDHE-RSA-AES128-GCM-SHA256. */
        bool aes_gcm = false;
        for (int c = 0; c < h.n_ciphers; c++)
            aes_gcm = aes_gcm || h.ciphers[c] == 0x1301 ||
                      h.ciphers[c] == 0xc02f;
        assert_true(aes_gcm);
        assert_int_equal(h.n_versions, x->n_versions);
        assert_int_equal(hello_max_version(&h), x->max_version);
        assert_int_equal(h.n_groups, x->n_groups);
        assert_memory_equal(h.groups, x->groups,
                            (size_t)x->n_groups * sizeof(uint16_t));
        assert_int_equal(h.n_sigalgs, x->n_sigalgs);
        assert_string_equal(h.alpn, x->alpn);
        assert_int_equal(h.n_alpn, x->n_alpn);
        assert_int_equal(h.n_extensions, x->n_extensions);
        /* Each was a client's first connection: nothing to resume. */
        assert_false(hello_offers_resumption(&h, NULL));
        free(data);
    }
}

static void test_fixtures_every_prefix_needs_more(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        size_t len = 0;
        uint8_t *data = fixture_new(fixtures[i].name, &len);
        assert_non_null(data);
        for (size_t n = 0; n < len; n++) {
            struct hello h;
            const char *why = NULL;
            enum hello_status st = parse_exact(data, n, &h, &why);
            if (st != HELLO_NEED_MORE)
                fail_msg("%s: prefix of %zu bytes: status %d (%s)",
                         fixtures[i].name, n, st, why ? why : "");
            assert_null(why);
        }
        free(data);
    }
}

static void test_fixtures_reframed(void **state)
{
    static const size_t chunks[] = {1, 7, 100, 16384};
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        size_t len = 0;
        uint8_t *data = fixture_new(fixtures[i].name, &len);
        struct hello one, many;
        const char *why = NULL;
        assert_non_null(data);
        assert_int_equal(parse_exact(data, len, &one, &why), HELLO_OK);
        const uint8_t *msg = data + 5;
        size_t msg_len = len - 5;
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            size_t rlen = 0;
            uint8_t *records = reframe_new(msg, msg_len, chunks[c], 1, &rlen);
            assert_non_null(records);
            print_message("%s in records of %zu\n", fixtures[i].name,
                          chunks[c]);
            assert_int_equal(parse_exact(records, rlen, &many, &why),
                             HELLO_OK);
            assert_same_hello(&one, &many);
            assert_int_equal(many.record_version, 0x0301);
            assert_int_equal(many.n_records,
                             (int)((msg_len + chunks[c] - 1) / chunks[c]));
            assert_int_equal(many.record_bytes, rlen);
            /* Cut anywhere, the re-split hello still asks for more. */
            for (size_t n = 0; n < rlen; n++) {
                enum hello_status st = parse_exact(records, n, &many, &why);
                if (st != HELLO_NEED_MORE)
                    fail_msg("%s/%zu: prefix of %zu bytes: status %d (%s)",
                             fixtures[i].name, chunks[c], n, st,
                             why ? why : "");
            }
            free(records);
        }
        free(data);
    }
}

static void test_fixture_followed_by_more(void **state)
{
    /* The client's next flight may share the TCP read: a ChangeCipherSpec
     * and the start of another record. They are not part of the hello. */
    static const uint8_t next[] = {20, 3, 3, 0, 1, 1, 23, 3, 3, 0x40, 0};
    size_t len = 0;
    uint8_t *data = fixture_new("openssl", &len), *both = NULL;
    struct hello h;
    const char *why = NULL;
    (void)state;
    assert_non_null(data);
    both = malloc(len + sizeof(next));
    assert_non_null(both);
    memcpy(both, data, len);
    memcpy(both + len, next, sizeof(next));
    assert_int_equal(parse_exact(both, len + sizeof(next), &h, &why),
                     HELLO_OK);
    assert_int_equal(h.record_bytes, len);
    assert_int_equal(h.n_records, 1);
    assert_string_equal(h.sni, "example.test");
    free(both);
    free(data);
}

static void test_fixture_mutations(void **state)
{
    /* Every byte of every fixture set to a few values: whatever the
     * result, no crash, no read past the end, and a consistent answer. */
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        size_t len = 0;
        uint8_t *data = fixture_new(fixtures[i].name, &len);
        int errors = 0;
        assert_non_null(data);
        for (size_t pos = 0; pos < len; pos++) {
            const uint8_t orig = data[pos];
            const uint8_t values[] = {0x00, 0xff, (uint8_t)(orig ^ 0x01),
                                      (uint8_t)(orig ^ 0x80)};
            for (size_t v = 0; v < sizeof(values); v++) {
                struct hello h;
                const char *why = NULL;
                data[pos] = values[v];
                enum hello_status st = parse_exact(data, len, &h, &why);
                assert_sane(st, &h, why, len);
                errors += st == HELLO_ERROR;
            }
            data[pos] = orig;
        }
        /* Some mutations must be caught: every change to the lengths in
         * the record and handshake headers is. */
        assert_true(errors > 0);
        free(data);
    }
}

/* ---- hand-built hellos ------------------------------------------------ */

static void test_no_extensions(void **state)
{
    static struct wire body;
    struct hello h;
    const char *why = NULL;
    (void)state;
    body.n = 0;
    put_body_start(&body);
    assert_int_equal(parse_built(&body, &h, &why), HELLO_OK);
    assert_int_equal(h.length, body.n);
    assert_int_equal(h.n_ciphers, 3);
    assert_int_equal(h.ciphers[0], 0x1301);
    assert_int_equal(h.ciphers[2], 0x00ff);
    assert_int_equal(h.n_extensions, 0);
    assert_false(h.has_sni);
    assert_int_equal(h.n_versions, 0);
    assert_int_equal(hello_max_version(&h), 0x0303);
}

static void test_extensions(void **state)
{
    static struct wire body;
    /* Two host_name entries: the first is the one reported. */
    static const uint8_t sni[] = {0,  27, 0,   0,   10,  'f', 'i', 'r', 's',
                                  't', '.', 't', 'e', 's', 't', 0,   0,   11,
                                  's', 'e', 'c', 'o', 'n', 'd', '.', 't', 'e',
                                  's', 't'};
    static const uint8_t alpn[] = {0,   12,  2,   'h', '2', 8,   'h',
                                   't', 't', 'p', '/', '1', '.', '1'};
    static const uint8_t versions[] = {6, 0x3a, 0x3a, 3, 4, 3, 3};
    static const uint8_t groups[] = {0, 4, 0x0a, 0x0a, 0, 29};
    static const uint8_t sigalgs[] = {0, 2, 0x08, 0x04};
    struct hello h;
    const char *why = NULL;
    (void)state;
    body.n = 0;
    put_body_start(&body);
    put16(&body, (4 + sizeof(sni)) + (4 + sizeof(alpn)) +
                     (4 + sizeof(versions)) + (4 + sizeof(groups)) +
                     (4 + sizeof(sigalgs)) + (4 + 3));
    put_ext(&body, 0, sni, sizeof(sni));
    put_ext(&body, 16, alpn, sizeof(alpn));
    put_ext(&body, 43, versions, sizeof(versions));
    put_ext(&body, 10, groups, sizeof(groups));
    put_ext(&body, 13, sigalgs, sizeof(sigalgs));
    put_ext(&body, 0xff01, "\x00\x01\x02", 3); /* unknown: skipped */
    assert_int_equal(parse_built(&body, &h, &why), HELLO_OK);
    assert_true(h.has_sni);
    assert_string_equal(h.sni, "first.test");
    assert_string_equal(h.alpn, "h2,http/1.1");
    assert_int_equal(h.n_alpn, 2);
    assert_int_equal(h.n_versions, 3);
    assert_int_equal(h.versions[0], 0x3a3a);
    assert_int_equal(hello_max_version(&h), 0x0304);
    assert_int_equal(h.n_groups, 2);
    assert_int_equal(h.groups[1], 29);
    assert_int_equal(h.n_sigalgs, 1);
    assert_int_equal(h.sigalgs[0], 0x0804);
    assert_int_equal(h.n_extensions, 6);
}

/* A body with the given session ID length and extensions (already
 * framed, with their block length), for the resumption offers. */
static void put_session_body(struct wire *w, size_t id_len,
                             const struct wire *exts)
{
    w->n = 0;
    put16(w, 0x0303);
    put_zeros(w, 32);
    put8(w, (unsigned)id_len);
    put_zeros(w, id_len);
    put16(w, 2);
    put16(w, 0x1301);
    put8(w, 1);
    put8(w, 0);
    if (exts->n > 0) {
        put16(w, (unsigned)exts->n);
        put_bytes(w, exts->b, exts->n);
    }
}

static void test_resumption_offers(void **state)
{
    static struct wire body, exts;
    static const uint8_t tls13[] = {4, 3, 4, 3, 3};
    static const uint8_t tls12[] = {2, 3, 3};
    static const uint8_t ticket[] = {1, 2, 3, 4};
    static const uint8_t psk[] = {0, 7, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 0};
    struct {
        size_t id_len;
        const uint8_t *versions; /* NULL: no supported_versions */
        size_t versions_len;
        int ticket_len; /* -1: no session_ticket */
        bool psk;
        const char *how; /* NULL: no offer */
    } cases[] = {
        {0, NULL, 0, -1, false, NULL},
        {32, NULL, 0, -1, false, "a TLS 1.2 session ID"},
        {16, tls12, sizeof(tls12), -1, false, "a TLS 1.2 session ID"},
        /* 1.3 clients send 32 random bytes for middlebox compatibility */
        {32, tls13, sizeof(tls13), -1, false, NULL},
        {32, tls13, sizeof(tls13), 0, false, NULL}, /* asks for a ticket */
        {0, tls12, sizeof(tls12), 0, false, NULL},
        {32, tls13, sizeof(tls13), sizeof(ticket), false,
         "a TLS 1.2 session ticket"},
        {0, NULL, 0, sizeof(ticket), false, "a TLS 1.2 session ticket"},
        {32, tls13, sizeof(tls13), -1, true, "a TLS 1.3 pre-shared key"},
        {32, tls13, sizeof(tls13), sizeof(ticket), true,
         "a TLS 1.3 pre-shared key"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hello h;
        const char *why = NULL, *how = "unset";
        print_message("case %zu\n", i);
        exts.n = 0;
        if (cases[i].versions != NULL)
            put_ext(&exts, 43, cases[i].versions, cases[i].versions_len);
        if (cases[i].ticket_len >= 0)
            put_ext(&exts, 35, ticket, (size_t)cases[i].ticket_len);
        if (cases[i].psk) /* last, as RFC 8446 requires */
            put_ext(&exts, 41, psk, sizeof(psk));
        put_session_body(&body, cases[i].id_len, &exts);
        assert_int_equal(parse_built(&body, &h, &why), HELLO_OK);
        assert_int_equal(h.session_id_len, cases[i].id_len);
        assert_int_equal(h.has_psk, cases[i].psk);
        assert_int_equal(h.ticket_len,
                         cases[i].ticket_len < 0 ? 0 : cases[i].ticket_len);
        assert_int_equal(hello_offers_resumption(&h, &how),
                         cases[i].how != NULL);
        if (cases[i].how == NULL)
            assert_null(how);
        else
            assert_string_equal(how, cases[i].how);
    }
}

static void test_sni_not_printable(void **state)
{
    static struct wire body;
    static const uint8_t sni[] = {0, 8, 0, 0, 5, 'a', 0x00, ' ', 0xc3, 'b'};
    struct hello h;
    const char *why = NULL;
    (void)state;
    body.n = 0;
    put_body_start(&body);
    put16(&body, 4 + sizeof(sni));
    put_ext(&body, 0, sni, sizeof(sni));
    assert_int_equal(parse_built(&body, &h, &why), HELLO_OK);
    assert_true(h.has_sni);
    assert_string_equal(h.sni, "a???b");
}

static void test_many_ciphers(void **state)
{
    static struct wire body;
    struct hello h;
    const char *why = NULL;
    (void)state;
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 32);
    put8(&body, 0);
    put16(&body, 2 * 100);
    for (unsigned i = 0; i < 100; i++)
        put16(&body, 0xc000 + i);
    put8(&body, 1);
    put8(&body, 0);
    assert_int_equal(parse_built(&body, &h, &why), HELLO_OK);
    assert_int_equal(h.n_ciphers, 100);
    assert_int_equal(h.ciphers[0], 0xc000);
    assert_int_equal(h.ciphers[HELLO_MAX_LIST - 1],
                     0xc000 + HELLO_MAX_LIST - 1);
}

static void test_large_hello_over_records(void **state)
{
    /* A padding extension (RFC 7685) makes the hello span two full-size
     * records and a bit, as post-quantum key shares do. */
    static struct wire body;
    static struct wire rec;
    struct hello h;
    const char *why = NULL;
    (void)state;
    body.n = 0;
    put_body_start(&body);
    put16(&body, 4 + 40000);
    put16(&body, 21);
    put16(&body, 40000);
    put_zeros(&body, 40000);
    frame(&body, &rec);
    assert_int_equal(parse_exact(rec.b, rec.n, &h, &why), HELLO_OK);
    assert_int_equal(h.n_records, 3);
    assert_int_equal(h.record_bytes, rec.n);
    assert_int_equal(h.length, body.n);
    assert_int_equal(h.n_extensions, 1);
    assert_int_equal(parse_exact(rec.b, rec.n - 1, &h, &why),
                     HELLO_NEED_MORE);
    assert_int_equal(parse_exact(rec.b, 16384 + 5, &h, &why),
                     HELLO_NEED_MORE);
}

static void test_size_limit(void **state)
{
    /* The largest valid body there is: 32767 suites and a 65497-byte
     * extension block make exactly HELLO_MAX_BYTES, over nine records. */
    static struct wire body;
    struct hello h;
    const char *why = NULL;
    (void)state;
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 32);
    put8(&body, 0);
    put16(&body, 65534);
    for (unsigned i = 0; i < 32767; i++)
        put16(&body, 0x0035);
    put8(&body, 1);
    put8(&body, 0);
    size_t block = HELLO_MAX_BYTES - body.n - 2;
    assert_true(block <= 0xffff);
    put16(&body, (unsigned)block);
    put16(&body, 21);
    put16(&body, (unsigned)block - 4);
    put_zeros(&body, block - 4);
    assert_int_equal(body.n, HELLO_MAX_BYTES);
    assert_int_equal(parse_built(&body, &h, &why), HELLO_OK);
    assert_int_equal(h.n_records, 9);
    assert_int_equal(h.length, HELLO_MAX_BYTES);
    assert_int_equal(h.n_ciphers, 32767);
    assert_int_equal(h.n_extensions, 1);
    /* One byte more is refused from the handshake header alone. */
    static const uint8_t over[] = {22, 3, 1, 0, 4, 1, 0x02, 0x00, 0x01};
    assert_int_equal(parse_exact(over, sizeof(over), &h, &why), HELLO_ERROR);
    assert_string_equal(why, "ClientHello is longer than 128 KiB");
    static const uint8_t huge[] = {22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff};
    assert_int_equal(parse_exact(huge, sizeof(huge), &h, &why), HELLO_ERROR);
    assert_string_equal(why, "ClientHello is longer than 128 KiB");
    static const uint8_t at_limit[] = {22, 3, 1, 0, 4, 1, 0x02, 0x00, 0x00};
    assert_int_equal(parse_exact(at_limit, sizeof(at_limit), &h, &why),
                     HELLO_NEED_MORE);
}

/* ---- malformed -------------------------------------------------------- */

static void assert_body_error(const struct wire *body, const char *reason)
{
    struct hello h;
    const char *why = NULL;
    assert_int_equal(parse_built(body, &h, &why), HELLO_ERROR);
    assert_string_equal(why, reason);
}

static void test_malformed_fields(void **state)
{
    static struct wire body;
    (void)state;
    /* An empty body. */
    body.n = 0;
    assert_body_error(&body, "ClientHello fields are malformed");
    /* A 33-byte session id. */
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 32);
    put8(&body, 33);
    put_zeros(&body, 33);
    put16(&body, 2);
    put16(&body, 0x1301);
    put8(&body, 1);
    put8(&body, 0);
    assert_body_error(&body, "ClientHello fields are malformed");
    /* No cipher suites. */
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 32);
    put8(&body, 0);
    put16(&body, 0);
    put8(&body, 1);
    put8(&body, 0);
    assert_body_error(&body, "ClientHello fields are malformed");
    /* An odd cipher suite list. */
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 32);
    put8(&body, 0);
    put16(&body, 3);
    put_bytes(&body, "\x13\x01\x13", 3);
    put8(&body, 1);
    put8(&body, 0);
    assert_body_error(&body, "cipher suite list has an odd length");
    /* No compression methods. */
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 32);
    put8(&body, 0);
    put16(&body, 2);
    put16(&body, 0x1301);
    put8(&body, 0);
    assert_body_error(&body, "ClientHello fields are malformed");
    /* Cut inside the random. */
    body.n = 0;
    put16(&body, 0x0303);
    put_zeros(&body, 20);
    assert_body_error(&body, "ClientHello fields are malformed");
}

static void test_malformed_extension_block(void **state)
{
    static struct wire body;
    static const uint8_t groups[] = {0, 2, 0, 29};
    (void)state;
    /* The block claims one byte more than there is. */
    body.n = 0;
    put_body_start(&body);
    put16(&body, 4 + sizeof(groups) + 1);
    put_ext(&body, 10, groups, sizeof(groups));
    assert_body_error(&body,
                      "extension block length does not match its contents");
    /* A byte after the block. */
    body.n = 0;
    put_body_start(&body);
    put16(&body, 4 + sizeof(groups));
    put_ext(&body, 10, groups, sizeof(groups));
    put8(&body, 0);
    assert_body_error(&body,
                      "extension block length does not match its contents");
    /* One stray byte where the block length goes. */
    body.n = 0;
    put_body_start(&body);
    put8(&body, 0);
    assert_body_error(&body,
                      "extension block length does not match its contents");
    /* An extension longer than the block. */
    body.n = 0;
    put_body_start(&body);
    put16(&body, 4 + sizeof(groups));
    put16(&body, 10);
    put16(&body, sizeof(groups) + 2);
    put_bytes(&body, groups, sizeof(groups));
    assert_body_error(&body,
                      "extension block length does not match its contents");
    /* Half an extension header. */
    body.n = 0;
    put_body_start(&body);
    put16(&body, 3);
    put_bytes(&body, "\x00\x0a\x00", 3);
    assert_body_error(&body,
                      "extension block length does not match its contents");
}

static void test_malformed_extensions(void **state)
{
    static const struct {
        unsigned type;
        const char *data;
        size_t len;
    } cases[] = {
        {0, "\x00\x20\x00\x00\x03" "abc", 8},  /* list longer than ext */
        {0, "\x00\x06\x00\x00\x09" "abc", 8},  /* name longer than list */
        {0, "\x00", 1},                        /* no list length */
        {10, "\x00\x03\x00\x1d\x00", 5},       /* odd group list */
        {10, "\x00\x04\x00\x1d", 4},           /* group list cut short */
        {13, "\x00\x01\x08", 3},               /* odd sigalg list */
        {16, "\x00\x03\x05h2", 5},             /* ALPN name cut short */
        {43, "\x03\x03\x04\x03", 4},           /* odd version list */
        {43, "\x08\x03\x04", 3},               /* version list cut short */
    };
    static struct wire body;
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("case %zu\n", i);
        body.n = 0;
        put_body_start(&body);
        put16(&body, 4 + (unsigned)cases[i].len);
        put_ext(&body, cases[i].type, cases[i].data, cases[i].len);
        assert_body_error(&body, "an extension is malformed");
    }
}

static void test_record_errors(void **state)
{
    static const struct {
        const uint8_t bytes[12];
        size_t len;
        const char *why;
    } cases[] = {
        {{22, 3, 1, 0xff, 0xff, 1, 0, 1}, 8,
         "record length is zero or over 18432"},
        {{22, 3, 1, 0x48, 0x01}, 5, "record length is zero or over 18432"},
        {{22, 3, 1, 0, 0, 22, 3, 1, 0, 4, 1, 0}, 12,
         "record length is zero or over 18432"},
        {{22, 2, 0, 0, 4, 1, 0, 0, 0}, 9, "record version is not 3.x"},
        {{22, 0x7f, 1, 0, 4}, 5, "record version is not 3.x"},
        {{22, 3, 1, 0, 4, 2, 0, 0, 40}, 9,
         "first handshake message is not a ClientHello"},
        {{22, 3, 1, 0, 4, 1, 0, 0, 0}, 9, "ClientHello fields are malformed"},
        {{21, 3, 1, 0, 2, 2, 40}, 7,
         "first byte is not a TLS handshake record"},
        {{23, 3, 3, 0, 1, 0}, 6, "first byte is not a TLS handshake record"},
        {{0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15}, 7,
         "SSLv2-format ClientHello"},
        {{0x80}, 1, "SSLv2-format ClientHello"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hello h;
        const char *why = NULL;
        print_message("case %zu\n", i);
        assert_int_equal(parse_exact(cases[i].bytes, cases[i].len, &h, &why),
                         HELLO_ERROR);
        assert_string_equal(why, cases[i].why);
    }
    /* The largest record allowed is only waited for. */
    static const uint8_t max_record[] = {22, 3, 1, 0x48, 0x00, 1, 0, 0};
    struct hello h;
    const char *why = NULL;
    assert_int_equal(parse_exact(max_record, sizeof(max_record), &h, &why),
                     HELLO_NEED_MORE);
}

static void test_bad_later_record(void **state)
{
    size_t len = 0, rlen = 0;
    uint8_t *data = fixture_new("gnutls", &len), *records = NULL;
    struct hello h;
    const char *why = NULL;
    (void)state;
    assert_non_null(data);
    records = reframe_new(data + 5, len - 5, 100, 1, &rlen);
    assert_non_null(records);
    /* The second record becomes application data ... */
    records[105] = 23;
    assert_int_equal(parse_exact(records, rlen, &h, &why), HELLO_ERROR);
    assert_string_equal(why, "record is not a handshake record");
    /* ... an SSL 2-style version ... */
    records[105] = 22;
    records[106] = 2;
    assert_int_equal(parse_exact(records, rlen, &h, &why), HELLO_ERROR);
    assert_string_equal(why, "record version is not 3.x");
    /* ... or an empty record. */
    records[106] = 3;
    records[108] = 0;
    records[109] = 0;
    assert_int_equal(parse_exact(records, rlen, &h, &why), HELLO_ERROR);
    assert_string_equal(why, "record length is zero or over 18432");
    free(records);
    free(data);
}

static void test_garbage(void **state)
{
    static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    /* An SSLv2-compatible ClientHello as old clients sent it. */
    static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15,
                                    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x35,
                                    0x00, 0x00, 0x2f, 0x00, 0x00, 0x0a};
    struct hello h;
    const char *why = NULL;
    (void)state;
    assert_int_equal(parse_exact((const uint8_t *)http, strlen(http), &h,
                                 &why),
                     HELLO_ERROR);
    assert_string_equal(why, "first byte is not a TLS handshake record");
    assert_int_equal(parse_exact(sslv2, sizeof(sslv2), &h, &why),
                     HELLO_ERROR);
    assert_string_equal(why, "SSLv2-format ClientHello");

    /* Random bytes from a fixed seed (xorshift64, not rand(), so that the
     * inputs are the same everywhere). */
    uint64_t x = 0x5eedf00dcafe1234u;
    uint8_t buf[512];
    int errors = 0;
    for (int round = 0; round < 4000; round++) {
        size_t len = 1 + round % sizeof(buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (uint8_t)(x >> 32);
        }
        /* Half the rounds start like a handshake record, to get past the
         * first check. */
        if (round % 2 == 1 && len >= 6) {
            buf[0] = 22;
            buf[1] = 3;
            buf[5] = 1;
        }
        enum hello_status st = parse_exact(buf, len, &h, &why);
        assert_sane(st, &h, why, len);
        if (buf[0] != 22)
            assert_int_equal(st, HELLO_ERROR);
        errors += st == HELLO_ERROR;
    }
    assert_true(errors > 2000);
}

/* ---- names ------------------------------------------------------------ */

static void test_versions_and_names(void **state)
{
    struct hello h;
    char name[16];
    (void)state;
    assert_true(hello_is_grease(0x0a0a));
    assert_true(hello_is_grease(0xfafa));
    assert_true(hello_is_grease(0x3a3a));
    assert_false(hello_is_grease(0x0a1a));
    assert_false(hello_is_grease(0x0303));
    assert_false(hello_is_grease(0x0b0b));

    memset(&h, 0, sizeof(h));
    h.legacy_version = 0x0301;
    assert_int_equal(hello_max_version(&h), 0x0301);
    h.n_versions = 3;
    h.versions[0] = 0xdada;
    h.versions[1] = 0x0302;
    h.versions[2] = 0x0303;
    assert_int_equal(hello_max_version(&h), 0x0303);
    h.n_versions = 1; /* only GREASE: back to legacy_version */
    assert_int_equal(hello_max_version(&h), 0x0301);

    static const struct {
        uint16_t v;
        const char *name;
    } names[] = {{0x0300, "SSL 3.0"}, {0x0301, "TLS 1.0"},
                 {0x0302, "TLS 1.1"}, {0x0303, "TLS 1.2"},
                 {0x0304, "TLS 1.3"}, {0x7f1c, "0x7f1c"},
                 {0x0a0a, "0x0a0a"},  {0x0002, "0x0002"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        hello_version_name(names[i].v, name, sizeof(name));
        assert_string_equal(name, names[i].name);
    }
    hello_version_name(0x0303, name, 4);
    assert_string_equal(name, "TLS");

    assert_string_equal(hello_group_name(29), "x25519");
    assert_string_equal(hello_group_name(23), "secp256r1");
    assert_string_equal(hello_group_name(24), "secp384r1");
    assert_string_equal(hello_group_name(25), "secp521r1");
    assert_string_equal(hello_group_name(30), "x448");
    assert_string_equal(hello_group_name(256), "ffdhe2048");
    assert_string_equal(hello_group_name(260), "ffdhe8192");
    assert_null(hello_group_name(0x6399)); /* X25519Kyber768Draft00 */
    assert_null(hello_group_name(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_parse),
        cmocka_unit_test(test_fixtures_every_prefix_needs_more),
        cmocka_unit_test(test_fixtures_reframed),
        cmocka_unit_test(test_fixture_followed_by_more),
        cmocka_unit_test(test_fixture_mutations),
        cmocka_unit_test(test_no_extensions),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_resumption_offers),
        cmocka_unit_test(test_sni_not_printable),
        cmocka_unit_test(test_many_ciphers),
        cmocka_unit_test(test_large_hello_over_records),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_malformed_fields),
        cmocka_unit_test(test_malformed_extension_block),
        cmocka_unit_test(test_malformed_extensions),
        cmocka_unit_test(test_record_errors),
        cmocka_unit_test(test_bad_later_record),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_versions_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
