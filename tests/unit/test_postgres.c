/*
 * PostgreSQL's dialogue: the SSLRequest and its 'S' or 'N', direct TLS,
 * what a client must not send before TLS, the bounds on startup packets
 * and messages, and the whole session after TLS (startup, queries,
 * Terminate), over byte buffers, whole and a byte at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres.h"

/* ---- client messages, built by hand ----------------------------------- */

/* What psql 15 sent to the throwaway harness after an 'N' (sslmode=
 * prefer): StartupMessage 3.0, user u, database d, application_name
 * psql. */
static const uint8_t psql_startup[] = {
    0x00, 0x00, 0x00, 0x31, 0x00, 0x03, 0x00, 0x00, 'u',  's', 'e',  'r', 0x00,
    'u',  0x00, 'd',  'a',  't',  'a',  'b',  'a',  's',  'e', 0x00, 'd', 0x00,
    'a',  'p',  'p',  'l',  'i',  'c',  'a',  't',  'i',  'o', 'n',  '_', 'n',
    'a',  'm',  'e',  0x00, 'p',  's',  'q',  'l',  0x00, 0x00};

static const uint8_t ssl_request[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
static const uint8_t gssenc_request[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};
static const uint8_t cancel_request[] = {0,    0,    0,    16,  0x04, 0xd2,
                                         0x16, 0x2e, 0,    0,   0x10, 0x92,
                                         0x5e, 0xed, 0x5e, 0xed};

/* A client message under construction, like the server's own. */
struct wire {
    uint8_t data[8192];
    size_t len;
};

static void put(struct wire *w, const void *p, size_t n)
{
    assert_true(n <= sizeof(w->data) - w->len);
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void put32(struct wire *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    put(w, b, 4);
}

static void patch32(struct wire *w, size_t at, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    memcpy(w->data + at, b, 4);
}

/* A StartupMessage of version, with NULL-ended name/value pairs. */
static void put_startup(struct wire *w, uint32_t version, const char **pairs)
{
    size_t at = w->len;
    put32(w, 0);
    put32(w, version);
    for (; *pairs != NULL; pairs++)
        put(w, *pairs, strlen(*pairs) + 1);
    put(w, "", 1);
    patch32(w, at, (uint32_t)(w->len - at));
}

/* A typed message: type, length, body. */
static void put_message(struct wire *w, char type, const void *body, size_t n)
{
    put(w, &type, 1);
    put32(w, (uint32_t)(n + 4));
    put(w, body, n);
}

static void put_query(struct wire *w, const char *sql)
{
    put_message(w, 'Q', sql, strlen(sql) + 1);
}

/* ---- reading what the server said ------------------------------------- */

struct reader {
    const uint8_t *p;
    size_t n, at;
};

static void read_from(struct reader *r, const struct buf *out)
{
    r->p = buf_head(out);
    r->n = buf_pending(out);
    r->at = 0;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The next message, which must be of type; returns its body. */
static const uint8_t *take(struct reader *r, char type, size_t *blen)
{
    assert_true(r->n - r->at >= 5);
    assert_int_equal(r->p[r->at], (uint8_t)type);
    uint32_t len = get32(r->p + r->at + 1);
    assert_true(len >= 4 && r->n - r->at - 1 >= len);
    const uint8_t *body = r->p + r->at + 5;
    *blen = len - 4;
    r->at += 1 + len;
    return body;
}

static void assert_finished(const struct reader *r)
{
    assert_int_equal(r->at, r->n);
}

/* One field of an ErrorResponse body ('S', 'V', 'C', 'M'). */
static const char *field(const uint8_t *body, size_t blen, char code)
{
    assert_true(blen > 0 && body[blen - 1] == '\0');
    const char *s = (const char *)body;
    while (*s != '\0') {
        if (*s == code)
            return s + 1;
        s += strlen(s) + 1;
    }
    fail_msg("no field %c", code);
    return NULL;
}

/* The only thing in out: an ErrorResponse of severity and code. Returns
 * its message. */
static const char *only_error(const struct buf *out, const char *severity,
                              const char *code)
{
    struct reader r;
    size_t blen;
    read_from(&r, out);
    const uint8_t *body = take(&r, 'E', &blen);
    assert_finished(&r);
    assert_string_equal(field(body, blen, 'S'), severity);
    assert_string_equal(field(body, blen, 'V'), severity);
    assert_string_equal(field(body, blen, 'C'), code);
    return field(body, blen, 'M');
}

static void assert_ready(struct reader *r)
{
    size_t blen;
    const uint8_t *body = take(r, 'Z', &blen);
    assert_int_equal(blen, 1);
    assert_int_equal(body[0], 'I');
}

/* ---- the preamble ------------------------------------------------------ */

struct pre {
    void *st;
    struct dialogue d;
    struct buf in, out;
    const char *why;
};

static void pre_open(struct pre *p)
{
    memset(p, 0, sizeof(*p));
    p->st = calloc(1, postgres_preamble.size);
    assert_non_null(p->st);
    p->d.scenario = "expired";
    p->d.host = "localhost";
    buf_init(&p->in);
    buf_init(&p->out);
}

static void pre_close(struct pre *p)
{
    postgres_preamble.clear(p->st);
    free(p->st);
    buf_free(&p->in);
    buf_free(&p->out);
}

static enum preamble_result pre_feed(struct pre *p, const void *data, size_t n)
{
    assert_int_equal(buf_append(&p->in, data, n), 0);
    return postgres_preamble.input(p->st, &p->d, &p->in, &p->out, &p->why);
}

static void test_silent_at_accept(void **state)
{
    struct pre p;
    (void)state;
    pre_open(&p);
    assert_string_equal(postgres_preamble.name, "postgres");
    assert_int_equal(postgres_preamble.input(p.st, &p.d, &p.in, &p.out, &p.why),
                     PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p.out), 0);
    assert_int_equal(p.d.commands, 0);
    pre_close(&p);
}

static void test_ssl_request_go_ahead(void **state)
{
    struct pre p;
    struct wire w = {0};
    (void)state;
    pre_open(&p);
    /* The start of a ClientHello sent before the 'S' arrived. */
    put(&w, ssl_request, sizeof(ssl_request));
    put(&w, "\x16\x03\x01\x00", 4);
    assert_int_equal(pre_feed(&p, w.data, w.len), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&p.out), 1);
    assert_memory_equal(buf_head(&p.out), "S", 1);
    /* What followed the request is the TLS layer's. */
    assert_int_equal(buf_pending(&p.in), 4);
    assert_memory_equal(buf_head(&p.in), "\x16\x03\x01\x00", 4);
    assert_string_equal(p.d.step, "SSLRequest");
    assert_int_equal(p.d.commands, 1);
    assert_null(p.d.misstep);
    pre_close(&p);
}

static void test_inject_after_go_ahead(void **state)
{
    struct pre p;
    (void)state;
    pre_open(&p);
    p.d.inject = "injected";
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_TLS);
    assert_int_equal(buf_pending(&p.out), 9);
    assert_memory_equal(buf_head(&p.out), "Sinjected", 9);
    assert_int_equal(buf_pending(&p.in), 0);
    pre_close(&p);
}

/* 'N' for strip and refuse alike: then a StartupMessage in the clear is
 * the credentials the dialogue catches. */
static void check_no_then_credentials(bool strip)
{
    struct pre p;
    pre_open(&p);
    p.d.strip = strip;
    p.d.refuse = !strip;
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p.out), 1);
    assert_memory_equal(buf_head(&p.out), "N", 1);
    buf_reset(&p.out);
    assert_int_equal(pre_feed(&p, psql_startup, sizeof(psql_startup)),
                     PREAMBLE_CLOSE);
    const char *m = only_error(&p.out, "FATAL", "28000");
    assert_non_null(strstr(m, "expired"));
    assert_string_equal(p.why, "the client sent credentials without TLS");
    assert_string_equal(p.d.misstep, "the client sent credentials without TLS");
    assert_string_equal(p.d.step, "StartupMessage");
    assert_int_equal(p.d.commands, 2);
    pre_close(&p);
}

static void test_strip_answers_no(void **state)
{
    (void)state;
    check_no_then_credentials(true);
}

static void test_refuse_answers_no(void **state)
{
    (void)state;
    check_no_then_credentials(false);
}

/* sslmode=disable: no SSLRequest at all. */
static void test_credentials_without_request(void **state)
{
    struct pre p;
    (void)state;
    pre_open(&p);
    assert_int_equal(pre_feed(&p, psql_startup, sizeof(psql_startup)),
                     PREAMBLE_CLOSE);
    (void)only_error(&p.out, "FATAL", "28000");
    assert_string_equal(p.why, "the client sent credentials without TLS");
    assert_string_equal(p.d.misstep, "the client sent credentials without TLS");
    pre_close(&p);
}

static void test_gssenc_refused(void **state)
{
    struct pre p;
    (void)state;
    pre_open(&p);
    /* libpq asks for GSSAPI first when it has credentials, then SSL. */
    assert_int_equal(pre_feed(&p, gssenc_request, sizeof(gssenc_request)),
                     PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p.out), 1);
    assert_memory_equal(buf_head(&p.out), "N", 1);
    assert_string_equal(p.d.step, "GSSENCRequest");
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_TLS);
    assert_int_equal(buf_pending(&p.out), 2);
    assert_memory_equal(buf_head(&p.out), "NS", 2);
    pre_close(&p);

    /* Twice is a protocol violation. */
    pre_open(&p);
    assert_int_equal(pre_feed(&p, gssenc_request, sizeof(gssenc_request)),
                     PREAMBLE_MORE);
    buf_reset(&p.out);
    assert_int_equal(pre_feed(&p, gssenc_request, sizeof(gssenc_request)),
                     PREAMBLE_CLOSE);
    (void)only_error(&p.out, "FATAL", "08P01");
    assert_string_equal(p.why, "the client sent an invalid startup packet");
    pre_close(&p);

    /* A ClientHello after 'N' (gnutls-cli 3.7 sends one). */
    pre_open(&p);
    p.d.strip = true;
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_MORE);
    buf_reset(&p.out);
    assert_int_equal(pre_feed(&p, "\x16\x03\x01\x01\x70\x01", 6),
                     PREAMBLE_CLOSE);
    (void)only_error(&p.out, "FATAL", "08P01");
    assert_string_equal(p.why, "the client started TLS though its SSLRequest "
                               "was refused");
    pre_close(&p);

    /* So is a second SSLRequest after 'N'. */
    pre_open(&p);
    p.d.refuse = true;
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_MORE);
    buf_reset(&p.out);
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_CLOSE);
    (void)only_error(&p.out, "FATAL", "08P01");
    pre_close(&p);
}

static void test_cancel_closes(void **state)
{
    struct pre p;
    (void)state;
    pre_open(&p);
    assert_int_equal(pre_feed(&p, cancel_request, sizeof(cancel_request)),
                     PREAMBLE_CLOSE);
    assert_int_equal(buf_pending(&p.out), 0);
    assert_string_equal(p.why, "the client sent a CancelRequest");
    assert_string_equal(p.d.step, "CancelRequest");
    pre_close(&p);
}

static void test_direct_tls(void **state)
{
    struct pre p;
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
    (void)state;
    pre_open(&p);
    /* A byte at a time: the first one decides. */
    assert_int_equal(pre_feed(&p, hello, 1), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&p.in), 1);
    assert_int_equal(buf_pending(&p.out), 0);
    pre_close(&p);

    pre_open(&p);
    assert_int_equal(pre_feed(&p, hello, sizeof(hello)), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&p.in), sizeof(hello));
    assert_memory_equal(buf_head(&p.in), hello, sizeof(hello));
    assert_int_equal(buf_pending(&p.out), 0);
    assert_null(p.d.misstep);
    pre_close(&p);

    /* Without TLS on offer there is nothing to say to it. */
    pre_open(&p);
    p.d.strip = true;
    assert_int_equal(pre_feed(&p, hello, sizeof(hello)), PREAMBLE_CLOSE);
    assert_int_equal(buf_pending(&p.out), 0);
    assert_string_equal(p.why,
                        "the client started TLS directly, but TLS is not "
                        "offered");
    pre_close(&p);

    /* Only the first byte may start TLS: later, 0x16 is a length. */
    pre_open(&p);
    assert_int_equal(pre_feed(&p, gssenc_request, sizeof(gssenc_request)),
                     PREAMBLE_MORE);
    buf_reset(&p.out);
    assert_int_equal(pre_feed(&p, hello, sizeof(hello)), PREAMBLE_CLOSE);
    assert_string_equal(only_error(&p.out, "FATAL", "08P01"),
                        "invalid length of startup packet");
    pre_close(&p);
}

/* Something that is not a startup packet: the error, and the end. */
static void check_invalid(const void *data, size_t n, const char *code,
                          const char *why)
{
    struct pre p;
    pre_open(&p);
    assert_int_equal(pre_feed(&p, data, n), PREAMBLE_CLOSE);
    (void)only_error(&p.out, "FATAL", code);
    assert_string_equal(p.why, why);
    assert_null(p.d.misstep);
    pre_close(&p);
}

static void test_garbage(void **state)
{
    static const char *const bad = "the client sent an invalid startup packet";
    (void)state;
    /* HTTP where a length was due: 0x47455420 bytes. */
    check_invalid("GET / HTTP/1.1\r\n\r\n", 18, "08P01", bad);
    check_invalid("\x00\x00\x00\x04", 4, "08P01", bad);
    check_invalid("\x00\x00\x00\x07\x00\x03\x00", 7, "08P01", bad);
    /* Over the bound: refused at once, without waiting for the bytes. */
    check_invalid("\x00\x00\x27\x11", 4, "08P01", bad);
    /* An SSLRequest of the wrong length, an unknown request code. */
    check_invalid("\x00\x00\x00\x0c\x04\xd2\x16\x2f\x00\x00\x00\x00", 12,
                  "08P01", bad);
    check_invalid("\x00\x00\x00\x08\x04\xd2\x16\x31", 8, "08P01", bad);
    /* Protocol 2.0 (and any other version) is not spoken. */
    check_invalid("\x00\x00\x00\x09\x00\x02\x00\x00\x00", 9, "0A000",
                  "the client asked for an unsupported protocol version");

    /* At the bound, the packet is waited for. */
    struct pre p;
    pre_open(&p);
    assert_int_equal(pre_feed(&p, "\x00\x00\x27\x10\x00\x03\x00\x00", 8),
                     PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p.out), 0);
    pre_close(&p);
}

static void test_preamble_flood(void **state)
{
    struct pre p;
    (void)state;
    pre_open(&p);
    p.d.commands = DIALOGUE_MAX_COMMANDS;
    assert_int_equal(pre_feed(&p, ssl_request, sizeof(ssl_request)),
                     PREAMBLE_CLOSE);
    (void)only_error(&p.out, "FATAL", "54000");
    assert_string_equal(p.why, "the client sent too many commands");
    pre_close(&p);
}

/* The same bytes a byte at a time end as they do all at once. */
static void check_bytewise(const uint8_t *data, size_t n, bool refuse)
{
    struct pre whole, bytes;
    pre_open(&whole);
    pre_open(&bytes);
    whole.d.refuse = bytes.d.refuse = refuse;
    enum preamble_result rw = pre_feed(&whole, data, n), rb = PREAMBLE_MORE;
    size_t fed = 0;
    while (fed < n && rb == PREAMBLE_MORE)
        rb = pre_feed(&bytes, data + fed++, 1);
    assert_int_equal(rb, rw);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    /* After the go-ahead, the rest is the TLS layer's, whether it has
     * arrived yet or not. */
    assert_int_equal(buf_pending(&bytes.in) + (n - fed),
                     buf_pending(&whole.in));
    assert_int_equal(bytes.d.commands, whole.d.commands);
    assert_string_equal(bytes.d.step, whole.d.step);
    pre_close(&whole);
    pre_close(&bytes);
}

static void test_preamble_bytewise(void **state)
{
    struct wire w = {0};
    (void)state;
    put(&w, gssenc_request, sizeof(gssenc_request));
    put(&w, ssl_request, sizeof(ssl_request));
    put(&w, psql_startup, sizeof(psql_startup));
    check_bytewise(w.data, w.len, false); /* 'N', 'S', left over */
    check_bytewise(w.data, w.len, true);  /* 'N', 'N', 28000 */
}

/* ---- after TLS --------------------------------------------------------- */

static const struct scenario scenario = {.name = "expired",
                                         .title = "An expired certificate"};

struct app {
    void *st;
    struct dialogue d;
    struct buf out;
    struct app_request req;
    struct app_page page;
};

static void app_start(struct app *a)
{
    memset(a, 0, sizeof(*a));
    a->st = calloc(1, postgres_app.size);
    assert_non_null(a->st);
    a->d.scenario = "expired";
    a->page.scenario = &scenario;
    a->page.version = "TLSv1.3";
    a->page.cipher = "TLS_AES_128_GCM_SHA256";
    buf_init(&a->out);
    assert_int_equal(postgres_app.open(a->st, &a->d, &a->out), 0);
    assert_int_equal(buf_pending(&a->out), 0); /* the client speaks first */
}

static void app_stop(struct app *a)
{
    postgres_app.clear(a->st);
    free(a->st);
    buf_free(&a->out);
}

static enum app_result app_feed(struct app *a, const void *data, size_t n)
{
    return postgres_app.input(a->st, data, n, &a->req, &a->out);
}

/* AuthenticationOk, the parameters, BackendKeyData, ReadyForQuery. */
static void assert_welcome(struct reader *r)
{
    size_t blen;
    const uint8_t *body = take(r, 'R', &blen);
    assert_int_equal(blen, 4);
    assert_int_equal(get32(body), 0);
    bool version = false, encoding = false;
    while (r->at < r->n && r->p[r->at] == 'S') {
        body = take(r, 'S', &blen);
        const char *name = (const char *)body;
        const char *value = name + strlen(name) + 1;
        assert_true(value + strlen(value) + 1 == (const char *)body + blen);
        if (strcmp(name, "server_version") == 0)
            version = strcmp(value, "16.0 (shakedown)") == 0;
        if (strcmp(name, "client_encoding") == 0)
            encoding = strcmp(value, "UTF8") == 0;
        if (strcmp(name, "application_name") == 0)
            assert_string_equal(value, "psql");
    }
    assert_true(version && encoding);
    body = take(r, 'K', &blen);
    assert_int_equal(blen, 8);
    assert_ready(r);
}

/* RowDescription, DataRow, CommandComplete, ReadyForQuery. */
static void assert_scenario_row(struct reader *r)
{
    static const char *const names[] = {"scenario", "title", "tls_version",
                                        "cipher"};
    static const char *const values[] = {"expired", "An expired certificate",
                                         "TLSv1.3", "TLS_AES_128_GCM_SHA256"};
    size_t blen;
    const uint8_t *body = take(r, 'T', &blen), *end = body + blen;
    assert_int_equal(get16(body), 4);
    body += 2;
    for (int i = 0; i < 4; i++) {
        assert_string_equal((const char *)body, names[i]);
        body += strlen(names[i]) + 1;
        assert_int_equal(get32(body + 6), 25); /* text */
        assert_int_equal(get16(body + 10), 0xffff);
        assert_int_equal(get16(body + 16), 0); /* text format */
        body += 18;
    }
    assert_ptr_equal(body, end);
    body = take(r, 'D', &blen);
    end = body + blen;
    assert_int_equal(get16(body), 4);
    body += 2;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(get32(body), strlen(values[i]));
        assert_memory_equal(body + 4, values[i], strlen(values[i]));
        body += 4 + strlen(values[i]);
    }
    assert_ptr_equal(body, end);
    body = take(r, 'C', &blen);
    assert_int_equal(blen, 9);
    assert_string_equal((const char *)body, "SELECT 1");
    assert_ready(r);
}

static void test_app_session(void **state)
{
    struct app a;
    struct reader r;
    struct wire w = {0};
    size_t blen;
    (void)state;
    app_start(&a);
    assert_string_equal(postgres_app.name, "postgresql");
    assert_int_equal(app_feed(&a, NULL, 0), APP_MORE);
    assert_int_equal(app_feed(&a, psql_startup, sizeof(psql_startup)),
                     APP_REQUEST);
    assert_string_equal(a.req.method, "startup");
    assert_string_equal(a.req.target, "u@d");
    assert_string_equal(a.req.protocol, "PostgreSQL");
    assert_false(a.req.grpc);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_int_equal(postgres_app.respond(a.st, 200, &a.page, &a.out), 1);
    read_from(&r, &a.out);
    assert_welcome(&r);
    assert_finished(&r);
    buf_reset(&a.out);
    assert_int_equal(app_feed(&a, NULL, 0), APP_MORE);
    assert_int_equal(buf_pending(&a.out), 0);

    put_query(&w, "select 1");
    assert_int_equal(app_feed(&a, w.data, w.len), APP_MORE);
    read_from(&r, &a.out);
    assert_scenario_row(&r);
    assert_finished(&r);
    assert_string_equal(a.d.step, "Query");
    buf_reset(&a.out);

    /* An empty query string, then one of blanks and semicolons. */
    w.len = 0;
    put_query(&w, "");
    put_query(&w, " ;\n");
    assert_int_equal(app_feed(&a, w.data, w.len), APP_MORE);
    read_from(&r, &a.out);
    for (int i = 0; i < 2; i++) {
        (void)take(&r, 'I', &blen);
        assert_int_equal(blen, 0);
        assert_ready(&r);
    }
    assert_finished(&r);
    buf_reset(&a.out);

    /* Terminate: done, with nothing said. */
    assert_int_equal(app_feed(&a, "X\x00\x00\x00\x04", 5), APP_DONE);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_string_equal(a.d.step, "Terminate");
    assert_int_equal(a.d.commands, 5);
    app_stop(&a);
}

/* Startup, a query and Terminate in one write: the query waits in the
 * state while the connection decides the startup's answer. */
static void test_app_pipelined(void **state)
{
    struct app a;
    struct reader r;
    struct wire w = {0};
    (void)state;
    app_start(&a);
    put(&w, psql_startup, sizeof(psql_startup));
    put_query(&w, "SELECT version()");
    put_message(&w, 'X', "", 0);
    assert_int_equal(app_feed(&a, w.data, w.len), APP_REQUEST);
    assert_int_equal(buf_pending(&a.out), 0);
    /* Input before the answer waits with the rest. */
    assert_int_equal(app_feed(&a, NULL, 0), APP_MORE);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_int_equal(postgres_app.respond(a.st, 200, &a.page, &a.out), 1);
    assert_int_equal(app_feed(&a, NULL, 0), APP_DONE);
    read_from(&r, &a.out);
    assert_welcome(&r);
    assert_scenario_row(&r);
    assert_finished(&r);
    app_stop(&a);
}

static void test_app_refused(void **state)
{
    struct app a;
    (void)state;
    app_start(&a);
    assert_int_equal(app_feed(&a, psql_startup, sizeof(psql_startup)),
                     APP_REQUEST);
    a.page.note = "no client certificate was presented";
    assert_int_equal(postgres_app.respond(a.st, 403, &a.page, &a.out), 0);
    assert_string_equal(only_error(&a.out, "FATAL", "28000"),
                        "no client certificate was presented");
    app_stop(&a);
}

/* What APP_BAD found, as respond(400) says it. */
static void check_app_bad(const void *data, size_t n, const char *code,
                          const char *text)
{
    struct app a;
    app_start(&a);
    assert_int_equal(app_feed(&a, data, n), APP_BAD);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_int_equal(postgres_app.respond(a.st, 400, &a.page, &a.out), 0);
    assert_string_equal(only_error(&a.out, "FATAL", code), text);
    /* Nothing more is read. */
    assert_int_equal(app_feed(&a, psql_startup, sizeof(psql_startup)), APP_BAD);
    app_stop(&a);
}

static void test_app_startup_errors(void **state)
{
    struct wire w = {0};
    (void)state;
    check_app_bad(ssl_request, sizeof(ssl_request), "08P01",
                  "SSLRequest inside TLS");
    check_app_bad("\x00\x00\x27\x11", 4, "08P01",
                  "invalid length of startup packet");
    check_app_bad("\x00\x00\x00\x07", 4, "08P01",
                  "invalid length of startup packet");
    check_app_bad("\x00\x00\x00\x08\x00\x02\x00\x00", 8, "0A000",
                  "unsupported frontend protocol 2.0: server supports 3.0 "
                  "to 3.0");
    /* A name without its value; no terminator. */
    check_app_bad("\x00\x00\x00\x0e\x00\x03\x00\x00user\x00\x00", 14, "08P01",
                  "invalid startup packet layout");
    check_app_bad("\x00\x00\x00\x0c\x00\x03\x00\x00user", 12, "08P01",
                  "invalid startup packet layout");
    put_startup(&w, POSTGRES_PROTOCOL_3,
                (const char *[]){"database", "d", NULL});
    check_app_bad(w.data, w.len, "28000",
                  "no PostgreSQL user name specified in startup packet");

    /* A CancelRequest inside TLS ends the connection quietly. */
    struct app a;
    app_start(&a);
    assert_int_equal(app_feed(&a, cancel_request, sizeof(cancel_request)),
                     APP_DONE);
    assert_int_equal(buf_pending(&a.out), 0);
    app_stop(&a);
}

/* A logged-in session that then sends what; returns the app for more. */
static void logged_in(struct app *a)
{
    app_start(a);
    assert_int_equal(app_feed(a, psql_startup, sizeof(psql_startup)),
                     APP_REQUEST);
    assert_int_equal(postgres_app.respond(a->st, 200, &a->page, &a->out), 1);
    buf_reset(&a->out);
}

static void check_session_bad(const void *data, size_t n, const char *code,
                              const char *text)
{
    struct app a;
    logged_in(&a);
    assert_int_equal(app_feed(&a, data, n), APP_BAD);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_int_equal(postgres_app.respond(a.st, 400, &a.page, &a.out), 0);
    assert_string_equal(only_error(&a.out, "FATAL", code), text);
    app_stop(&a);
}

static void test_app_message_errors(void **state)
{
    (void)state;
    /* Over 1 MiB, and under the length word itself. */
    check_session_bad("Q\x00\x10\x00\x01", 5, "08P01",
                      "invalid message length");
    check_session_bad("Q\x00\x00\x00\x03", 5, "08P01",
                      "invalid message length");
    /* A query that is not one string. */
    check_session_bad("Q\x00\x00\x00\x07sel", 8, "08P01",
                      "invalid string in message");
    check_session_bad("Q\x00\x00\x00\x06\x00\x00", 7, "08P01",
                      "invalid string in message");
    check_session_bad("!\x00\x00\x00\x04", 5, "08P01",
                      "invalid frontend message type 33");
    /* A password nobody asked for. */
    check_session_bad("p\x00\x00\x00\x06x\x00", 7, "08P01",
                      "invalid frontend message type 112");
    /* At the bound the message is waited for. */
    struct app a;
    logged_in(&a);
    assert_int_equal(app_feed(&a, "Q\x00\x10\x00\x00", 5), APP_MORE);
    app_stop(&a);
}

/* Parse, Bind, Execute, Sync: one error, skipping to Sync, then
 * ReadyForQuery; simple queries go on working. */
static void test_app_extended_refused(void **state)
{
    struct app a;
    struct reader r;
    struct wire w = {0};
    size_t blen;
    (void)state;
    logged_in(&a);
    put_message(&w, 'P', "\0select 1\0\0\0", 12);
    put_message(&w, 'B', "\0\0\0\0\0\0\0\0", 8);
    put_message(&w, 'E', "\0\0\0\0\0", 5);
    put_query(&w, "ignored until Sync");
    put_message(&w, 'S', "", 0);
    put_query(&w, "select 1");
    assert_int_equal(app_feed(&a, w.data, w.len), APP_MORE);
    read_from(&r, &a.out);
    const uint8_t *body = take(&r, 'E', &blen);
    assert_string_equal(field(body, blen, 'S'), "ERROR");
    assert_string_equal(field(body, blen, 'C'), "0A000");
    assert_ready(&r);
    assert_scenario_row(&r);
    assert_finished(&r);
    buf_reset(&a.out);

    /* A function call is refused on its own; stray COPY messages are
     * ignored, as the server ignores them outside COPY. */
    w.len = 0;
    put_message(&w, 'F', "\0\0\0\1\0\0\0\0\0\0", 10);
    put_message(&w, 'd', "abc", 3);
    put_message(&w, 'c', "", 0);
    assert_int_equal(app_feed(&a, w.data, w.len), APP_MORE);
    read_from(&r, &a.out);
    body = take(&r, 'E', &blen);
    assert_string_equal(field(body, blen, 'S'), "ERROR");
    assert_string_equal(field(body, blen, 'C'), "0A000");
    assert_ready(&r);
    assert_finished(&r);
    buf_reset(&a.out);

    /* Terminate ends the session even while skipping. */
    w.len = 0;
    put_message(&w, 'P', "\0select 1\0\0\0", 12);
    put_message(&w, 'X', "", 0);
    assert_int_equal(app_feed(&a, w.data, w.len), APP_DONE);
    app_stop(&a);
}

/* Protocol 3.2 with an option: NegotiateProtocolVersion first. */
static void test_app_negotiates_version(void **state)
{
    struct app a;
    struct reader r;
    struct wire w = {0};
    size_t blen;
    (void)state;
    app_start(&a);
    put_startup(&w, POSTGRES_PROTOCOL_3 | 2,
                (const char *[]){"user", "alice", "_pq_.frob", "1", NULL});
    assert_int_equal(app_feed(&a, w.data, w.len), APP_REQUEST);
    assert_string_equal(a.req.target, "alice@alice"); /* database = user */
    assert_int_equal(postgres_app.respond(a.st, 200, &a.page, &a.out), 1);
    read_from(&r, &a.out);
    const uint8_t *body = take(&r, 'v', &blen);
    assert_int_equal(blen, 8 + strlen("_pq_.frob") + 1);
    assert_int_equal(get32(body), 0);
    assert_int_equal(get32(body + 4), 1);
    assert_string_equal((const char *)body + 8, "_pq_.frob");
    (void)take(&r, 'R', &blen);
    app_stop(&a);
}

static void test_app_flood(void **state)
{
    struct app a;
    struct wire w = {0};
    (void)state;
    logged_in(&a);
    for (int i = 0; i < DIALOGUE_MAX_COMMANDS; i++)
        put_query(&w, "");
    assert_int_equal(app_feed(&a, w.data, w.len), APP_BAD);
    /* The startup counted, and all the queries up to the limit did. */
    assert_true(buf_pending(&a.out) > 0);
    buf_reset(&a.out);
    assert_int_equal(postgres_app.respond(a.st, 400, &a.page, &a.out), 0);
    (void)only_error(&a.out, "FATAL", "54000");
    app_stop(&a);
}

/* The whole session a byte at a time says what it says all at once. */
static void test_app_bytewise(void **state)
{
    struct app whole, bytes;
    struct wire w = {0};
    (void)state;
    put(&w, psql_startup, sizeof(psql_startup));
    size_t startup = w.len;
    put_query(&w, "select 1");
    put_message(&w, 'P', "\0x\0\0\0", 6);
    put_message(&w, 'S', "", 0);
    put_query(&w, "");
    put_message(&w, 'X', "", 0);

    app_start(&whole);
    assert_int_equal(app_feed(&whole, w.data, w.len), APP_REQUEST);
    assert_int_equal(
        postgres_app.respond(whole.st, 200, &whole.page, &whole.out), 1);
    assert_int_equal(app_feed(&whole, NULL, 0), APP_DONE);

    app_start(&bytes);
    enum app_result r = APP_MORE;
    for (size_t i = 0; i < w.len && r != APP_DONE; i++) {
        r = app_feed(&bytes, w.data + i, 1);
        if (i + 1 < startup)
            assert_int_equal(r, APP_MORE);
        if (i + 1 == startup) {
            assert_int_equal(r, APP_REQUEST);
            assert_int_equal(
                postgres_app.respond(bytes.st, 200, &bytes.page, &bytes.out),
                1);
            r = app_feed(&bytes, NULL, 0);
        }
    }
    assert_int_equal(r, APP_DONE);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    assert_int_equal(bytes.d.commands, whole.d.commands);
    app_stop(&whole);
    app_stop(&bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_at_accept),
        cmocka_unit_test(test_ssl_request_go_ahead),
        cmocka_unit_test(test_inject_after_go_ahead),
        cmocka_unit_test(test_strip_answers_no),
        cmocka_unit_test(test_refuse_answers_no),
        cmocka_unit_test(test_credentials_without_request),
        cmocka_unit_test(test_gssenc_refused),
        cmocka_unit_test(test_cancel_closes),
        cmocka_unit_test(test_direct_tls),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_preamble_flood),
        cmocka_unit_test(test_preamble_bytewise),
        cmocka_unit_test(test_app_session),
        cmocka_unit_test(test_app_pipelined),
        cmocka_unit_test(test_app_refused),
        cmocka_unit_test(test_app_startup_errors),
        cmocka_unit_test(test_app_message_errors),
        cmocka_unit_test(test_app_extended_refused),
        cmocka_unit_test(test_app_negotiates_version),
        cmocka_unit_test(test_app_flood),
        cmocka_unit_test(test_app_bytewise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
