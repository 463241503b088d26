/*
 * The MySQL/MariaDB dialogue over byte buffers: the greeting, the
 * SSLRequest go-ahead and what is left after it, strip, refuse, inject,
 * credentials and garbage before TLS, then the login and the commands
 * after it, with the clients' packets built by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql.h"

/* What mariadb 10.11 sends (its SSLRequest and HandshakeResponse41 caps
 * as captured against the preamble), without CLIENT_SSL. */
#define MARIADB_CAPS 0x00bfa285u
#define CLIENT_HELLO "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"

static const struct scenario scenario = {.name = "expired",
                                         .title = "An expired certificate"};
static const struct app_page page = {.scenario = &scenario,
                                     .version = "TLSv1.3",
                                     .cipher = "TLS_AES_128_GCM_SHA256"};

/* ---- building the client's packets ----------------------------------- */

struct pkt {
    uint8_t b[8192];
    size_t n;
};

static void add(struct pkt *p, const void *data, size_t n)
{
    assert_true(p->n + n <= sizeof(p->b));
    memcpy(p->b + p->n, data, n);
    p->n += n;
}

static void add_u32(struct pkt *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    add(p, b, 4);
}

/* Appends a packet: header, then payload. */
static void frame(struct pkt *p, uint8_t seq, const void *payload, size_t n)
{
    uint8_t h[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), seq};
    add(p, h, 4);
    add(p, payload, n);
}

/* The 32 bytes SSLRequest and HandshakeResponse41 share. */
static void fixed_part(struct pkt *payload, uint32_t caps)
{
    static const uint8_t filler[23] = {0};
    add_u32(payload, caps);
    add_u32(payload, 0x10000000); /* max packet */
    add(payload, "\x21", 1);      /* utf8_general_ci, as mariadb sends */
    add(payload, filler, sizeof(filler));
}

static void ssl_request(struct pkt *p, uint8_t seq)
{
    struct pkt payload = {.n = 0};
    fixed_part(&payload, MARIADB_CAPS | MYSQL_CLIENT_SSL);
    frame(p, seq, payload.b, payload.n);
}

static void response41(struct pkt *p, uint8_t seq, uint32_t caps,
                       const char *user)
{
    struct pkt payload = {.n = 0};
    fixed_part(&payload, caps);
    add(&payload, user, strlen(user) + 1);
    add(&payload, "\x14", 1); /* a 20-byte auth response */
    add(&payload, "0123456789abcdefghij", 20);
    add(&payload, "mysql_native_password", 22);
    add(&payload, "\x03\x5fos\x05Linux", 10); /* connection attributes */
    frame(p, seq, payload.b, payload.n);
}

static void com(struct pkt *p, uint8_t command, const char *arg)
{
    struct pkt payload = {.n = 0};
    add(&payload, &command, 1);
    add(&payload, arg, strlen(arg));
    frame(p, 0, payload.b, payload.n);
}

/* ---- reading the server's packets ------------------------------------- */

/* Takes the packet at *at from out: its payload, length and sequence. */
static const uint8_t *next(const struct buf *out, size_t *at, size_t *len,
                           uint8_t *seq)
{
    const uint8_t *h = buf_head(out) + *at;
    assert_true(buf_pending(out) - *at >= 4);
    *len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    *seq = h[3];
    assert_true(buf_pending(out) - *at - 4 >= *len);
    *at += 4 + *len;
    return h + 4;
}

/* out holds exactly one ERR_Packet with this sequence, code and state,
 * and its message contains text; out is emptied. */
static void assert_err(struct buf *out, uint8_t seq, unsigned code,
                       const char *sqlstate, const char *text)
{
    size_t at = 0, len;
    uint8_t s;
    const uint8_t *p = next(out, &at, &len, &s);
    char message[512];
    assert_int_equal(at, buf_pending(out));
    assert_int_equal(s, seq);
    assert_true(len >= 9 && len - 9 < sizeof(message));
    assert_int_equal(p[0], 0xff);
    assert_int_equal(p[1] | p[2] << 8, code);
    assert_int_equal(p[3], '#');
    assert_memory_equal(p + 4, sqlstate, 5);
    memcpy(message, p + 9, len - 9);
    message[len - 9] = '\0';
    assert_non_null(strstr(message, text));
    buf_consume(out, buf_pending(out));
}

/* out holds exactly one OK_Packet (header 0x00) with this sequence. */
static void assert_ok(struct buf *out, uint8_t seq)
{
    static const uint8_t ok[] = {7, 0, 0, 0, 0x00, 0, 0, 2, 0, 0, 0};
    assert_int_equal(buf_pending(out), sizeof(ok));
    assert_memory_equal(buf_head(out), ok, 3);
    assert_int_equal(buf_head(out)[3], seq);
    assert_memory_equal(buf_head(out) + 4, ok + 4, sizeof(ok) - 4);
    buf_consume(out, buf_pending(out));
}

/* ---- the preamble ------------------------------------------------------ */

struct pre {
    struct dialogue d;
    void *st;
    struct buf in, out;
    const char *why;
};

static void pre_start(struct pre *t)
{
    memset(t, 0, sizeof(*t));
    t->d.scenario = "expired";
    t->d.host = "localhost";
    t->st = calloc(1, mysql_preamble.size ? mysql_preamble.size : 1);
    assert_non_null(t->st);
    buf_init(&t->in);
    buf_init(&t->out);
}

static enum preamble_result pre_feed(struct pre *t, const void *data, size_t n)
{
    assert_int_equal(buf_append(&t->in, data, n), 0);
    return mysql_preamble.input(t->st, &t->d, &t->in, &t->out, &t->why);
}

/* Greets and drops the greeting from out. */
static void pre_greet(struct pre *t)
{
    assert_int_equal(pre_feed(t, "", 0), PREAMBLE_MORE);
    assert_true(buf_pending(&t->out) > 0);
    buf_consume(&t->out, buf_pending(&t->out));
}

static void pre_end(struct pre *t)
{
    mysql_preamble.clear(t->st);
    free(t->st);
    buf_free(&t->in);
    buf_free(&t->out);
}

static uint32_t greeting_caps(const struct buf *out)
{
    size_t at = 0, len;
    uint8_t seq;
    const uint8_t *p = next(out, &at, &len, &seq);
    size_t v = strlen((const char *)p + 1) + 2; /* protocol, version NUL */
    const uint8_t *lo = p + v + 4 + 9, *hi = lo + 5;
    return (uint32_t)(lo[0] | lo[1] << 8) | (uint32_t)(hi[0] | hi[1] << 8)
                                                << 16;
}

static void test_greeting(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    assert_int_equal(pre_feed(&t, "", 0), PREAMBLE_MORE);
    assert_int_equal(t.d.commands, 0);

    size_t at = 0, len;
    uint8_t seq;
    const uint8_t *p = next(&t.out, &at, &len, &seq);
    assert_int_equal(at, buf_pending(&t.out));
    assert_int_equal(seq, 0);
    assert_int_equal(p[0], 10);
    const char *version = (const char *)p + 1;
    assert_string_equal(version, MYSQL_SERVER_VERSION);
    const uint8_t *q = p + 1 + strlen(version) + 1;
    assert_memory_equal(q, "\x01\x00\x00\x00", 4); /* id */
    assert_memory_equal(q + 4, "shakedow", 8);     /* part 1 */
    assert_int_equal(q[12], 0);                    /* filler */
    assert_int_equal(q[15], 45);                   /* utf8mb4 */
    assert_memory_equal(q + 16, "\x02\x00", 2);    /* autocommit */
    assert_int_equal(q[20], 21);                   /* data length */
    assert_memory_equal(q + 21, "\0\0\0\0\0\0\0\0\0\0", 10);
    assert_memory_equal(q + 31, "n-0123456789", 13); /* part 2, NUL */
    assert_string_equal((const char *)q + 44, "mysql_native_password");
    assert_int_equal(len, (size_t)(q + 44 + 22 - p));

    uint32_t caps = greeting_caps(&t.out);
    uint32_t want = MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_SECURE_CONNECTION |
                    MYSQL_CLIENT_PLUGIN_AUTH | MYSQL_CLIENT_SSL |
                    MYSQL_CLIENT_DEPRECATE_EOF;
    assert_int_equal(caps & want, want);

    /* Greeted once: more calls with nothing in add nothing. */
    buf_consume(&t.out, buf_pending(&t.out));
    assert_int_equal(pre_feed(&t, "", 0), PREAMBLE_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    pre_end(&t);
}

static void test_go_ahead(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    /* The ClientHello a client pipelines after its SSLRequest stays in
     * in, for the TLS layer. */
    ssl_request(&p, 1);
    add(&p, CLIENT_HELLO, sizeof(CLIENT_HELLO) - 1);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(buf_pending(&t.in), sizeof(CLIENT_HELLO) - 1);
    assert_memory_equal(buf_head(&t.in), CLIENT_HELLO,
                        sizeof(CLIENT_HELLO) - 1);
    assert_string_equal(t.d.step, "SSLRequest");
    assert_int_equal(t.d.commands, 1);
    assert_null(t.d.misstep);
    pre_end(&t);
}

static void test_inject(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    pre_start(&t);
    t.d.inject = "injected\r\n";
    pre_greet(&t);
    ssl_request(&p, 1);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&t.out), 10);
    assert_memory_equal(buf_head(&t.out), "injected\r\n", 10);
    assert_int_equal(buf_pending(&t.in), 0);
    pre_end(&t);
}

static void test_strip(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    pre_start(&t);
    t.d.strip = true;
    assert_int_equal(pre_feed(&t, "", 0), PREAMBLE_MORE);
    assert_int_equal(greeting_caps(&t.out) & MYSQL_CLIENT_SSL, 0);
    assert_true(greeting_caps(&t.out) & MYSQL_CLIENT_PROTOCOL_41);
    buf_consume(&t.out, buf_pending(&t.out));
    /* An SSLRequest anyway: there is no TLS to start. */
    ssl_request(&p, 1);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 1043, "08S01", "does not offer SSL");
    assert_string_equal(t.why, "the client asked for TLS that was not offered");
    pre_end(&t);
}

static void test_refuse(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    pre_start(&t);
    t.d.refuse = true;
    assert_int_equal(pre_feed(&t, "", 0), PREAMBLE_MORE);
    assert_true(greeting_caps(&t.out) & MYSQL_CLIENT_SSL);
    buf_consume(&t.out, buf_pending(&t.out));
    ssl_request(&p, 1);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 1043, "08S01", "SSL is refused");
    assert_string_equal(t.why, "the server refused TLS");
    assert_null(t.d.misstep);
    pre_end(&t);
}

static void test_credentials(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    /* mariadb --skip-ssl: the user name in the clear. */
    pre_start(&t);
    pre_greet(&t);
    response41(&p, 1, MARIADB_CAPS, "alice");
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 3159, "HY000",
               "Connections using insecure transport are prohibited");
    assert_string_equal(t.why, "the client sent credentials without TLS");
    assert_string_equal(t.d.misstep, "the client sent credentials without TLS");
    assert_string_equal(t.d.step, "HandshakeResponse");
    pre_end(&t);

    /* A whole response claiming CLIENT_SSL is still in the clear. */
    pre_start(&t);
    pre_greet(&t);
    p.n = 0;
    response41(&p, 1, MARIADB_CAPS | MYSQL_CLIENT_SSL, "alice");
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 3159, "HY000", "insecure transport");
    assert_non_null(t.d.misstep);
    pre_end(&t);
}

static void test_client_hello_first(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, CLIENT_HELLO, sizeof(CLIENT_HELLO) - 1),
                     PREAMBLE_CLOSE);
    assert_string_equal(t.why, "the client started TLS without STARTTLS");
    assert_int_equal(buf_pending(&t.out), 0);
    pre_end(&t);

    /* One byte at a time: 0x16 alone could still be a packet length. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "\x16", 1), PREAMBLE_MORE);
    assert_int_equal(pre_feed(&t, "\x03", 1), PREAMBLE_CLOSE);
    assert_string_equal(t.why, "the client started TLS without STARTTLS");
    pre_end(&t);
}

static void test_garbage(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    /* A text protocol's line reads as a huge length. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "EHLO x\r\n", 8), PREAMBLE_CLOSE);
    assert_err(&t.out, 0x50, 1153, "08S01", "max_allowed_packet");
    assert_string_equal(t.why, "the client sent a packet over the limit");
    pre_end(&t);

    /* Too short for a handshake response. */
    pre_start(&t);
    pre_greet(&t);
    frame(&p, 1, "\x85\xa2\xbf\x00\x00", 5);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 1043, "08S01", "Bad handshake");
    assert_string_equal(t.why, "the client sent a malformed handshake");
    pre_end(&t);

    /* The wrong sequence id, and a pre-4.1 client. */
    pre_start(&t);
    pre_greet(&t);
    p.n = 0;
    ssl_request(&p, 0);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 1, 1043, "08S01", "Bad handshake");
    pre_end(&t);
    pre_start(&t);
    pre_greet(&t);
    p.n = 0;
    response41(&p, 1, MARIADB_CAPS & ~(uint32_t)MYSQL_CLIENT_PROTOCOL_41,
               "alice");
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_string_equal(t.why, "the client sent a malformed handshake");
    assert_null(t.d.misstep);
    pre_end(&t);
}

static void test_packet_over_limit(void **state)
{
    struct pre t;
    uint8_t h[4] = {(DIALOGUE_MAX_LINE + 1) & 0xff,
                    (DIALOGUE_MAX_LINE + 1) >> 8, 0, 1};
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    /* Refused on the header alone: the body is never waited for. */
    assert_int_equal(pre_feed(&t, h, sizeof(h)), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 1153, "08S01", "max_allowed_packet");
    pre_end(&t);

    /* DIALOGUE_MAX_LINE itself is taken (and is a malformed response
     * here, not one over the limit). */
    pre_start(&t);
    pre_greet(&t);
    h[0] = DIALOGUE_MAX_LINE & 0xff;
    h[1] = DIALOGUE_MAX_LINE >> 8;
    assert_int_equal(pre_feed(&t, h, sizeof(h)), PREAMBLE_MORE);
    uint8_t *zeros = calloc(1, DIALOGUE_MAX_LINE);
    assert_non_null(zeros);
    assert_int_equal(pre_feed(&t, zeros, DIALOGUE_MAX_LINE), PREAMBLE_CLOSE);
    free(zeros);
    assert_string_equal(t.why, "the client sent a malformed handshake");
    pre_end(&t);
}

static void test_preamble_flood(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    pre_start(&t);
    t.d.commands = DIALOGUE_MAX_COMMANDS;
    pre_greet(&t);
    ssl_request(&p, 1);
    assert_int_equal(pre_feed(&t, p.b, p.n), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 1226, "42000", "max_questions");
    assert_string_equal(t.why, "the client sent too many commands");
    pre_end(&t);
}

static void test_preamble_byte_at_a_time(void **state)
{
    struct pre t;
    struct pkt p = {.n = 0};
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    ssl_request(&p, 1);
    add(&p, CLIENT_HELLO, sizeof(CLIENT_HELLO) - 1);
    size_t i;
    for (i = 0; i < p.n; i++)
        if (pre_feed(&t, p.b + i, 1) != PREAMBLE_MORE)
            break;
    assert_int_equal(i, 35); /* the SSLRequest's last byte */
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(buf_pending(&t.in), 0);
    assert_string_equal(t.d.step, "SSLRequest");
    pre_end(&t);

    /* Credentials, split: the same refusal as all at once. */
    pre_start(&t);
    pre_greet(&t);
    p.n = 0;
    response41(&p, 1, MARIADB_CAPS, "alice");
    for (i = 0; i + 1 < p.n; i++)
        assert_int_equal(pre_feed(&t, p.b + i, 1), PREAMBLE_MORE);
    assert_int_equal(pre_feed(&t, p.b + i, 1), PREAMBLE_CLOSE);
    assert_err(&t.out, 2, 3159, "HY000", "insecure transport");
    pre_end(&t);
}

/* ---- after TLS ------------------------------------------------------- */

struct app {
    struct dialogue d;
    void *st;
    struct buf out;
    struct app_request req;
};

static void app_start(struct app *t)
{
    memset(t, 0, sizeof(*t));
    t->d.scenario = "expired";
    t->d.commands = 1; /* the SSLRequest */
    t->st = calloc(1, mysql_app.size);
    assert_non_null(t->st);
    buf_init(&t->out);
    assert_int_equal(mysql_app.open(t->st, &t->d, &t->out), 0);
    assert_int_equal(buf_pending(&t->out), 0);
}

static enum app_result app_feed(struct app *t, const struct pkt *p)
{
    return mysql_app.input(t->st, p ? p->b : NULL, p ? p->n : 0, &t->req,
                           &t->out);
}

/* Logs in as alice (seq 2, after the SSLRequest's 1) and answers 200. */
static void app_login(struct app *t, uint32_t caps)
{
    struct pkt p = {.n = 0};
    response41(&p, 2, caps, "alice");
    assert_int_equal(app_feed(t, &p), APP_REQUEST);
    assert_string_equal(t->req.method, "login");
    assert_string_equal(t->req.target, "alice");
    assert_string_equal(t->req.protocol, "MySQL");
    assert_false(t->req.grpc);
    assert_int_equal(buf_pending(&t->out), 0);
    assert_int_equal(mysql_app.respond(t->st, 200, &page, &t->out), 1);
    assert_ok(&t->out, 3);
    assert_int_equal(app_feed(t, NULL), APP_MORE);
}

static void app_end(struct app *t)
{
    mysql_app.clear(t->st);
    free(t->st);
    buf_free(&t->out);
}

static void assert_column(const uint8_t *p, size_t len, const char *name)
{
    size_t n = strlen(name);
    assert_int_equal(len, 4 + 1 + 1 + 1 + 2 * (1 + n) + 1 + 12);
    assert_memory_equal(p,
                        "\x03"
                        "def\0\0\0",
                        7);
    assert_int_equal(p[7], n);
    assert_memory_equal(p + 8, name, n);
    assert_int_equal(p[8 + n], n);
    assert_memory_equal(p + 9 + n, name, n);
    const uint8_t *f = p + 9 + 2 * n;
    assert_int_equal(f[0], 0x0c);
    assert_int_equal(f[1], 45);
    assert_int_equal(f[7], 0xfd); /* MYSQL_TYPE_VAR_STRING */
}

/* out holds one text result set on the page's scenario, from seq 1;
 * with CLIENT_DEPRECATE_EOF it has no EOF after the columns and ends in
 * an OK with header 0xfe. */
static void assert_result(struct buf *out, bool deprecate_eof)
{
    static const char *const names[] = {"scenario", "title", "tls_version",
                                        "cipher"};
    static const char *const values[] = {"expired", "An expired certificate",
                                         "TLSv1.3", "TLS_AES_128_GCM_SHA256"};
    size_t at = 0, len;
    uint8_t seq, want = 1;
    const uint8_t *p = next(out, &at, &len, &seq);
    assert_int_equal(seq, want++);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], 4);
    for (int i = 0; i < 4; i++) {
        p = next(out, &at, &len, &seq);
        assert_int_equal(seq, want++);
        assert_column(p, len, names[i]);
    }
    if (!deprecate_eof) {
        p = next(out, &at, &len, &seq);
        assert_int_equal(seq, want++);
        assert_int_equal(len, 5);
        assert_memory_equal(p, "\xfe\0\0\x02\0", 5);
    }
    p = next(out, &at, &len, &seq);
    assert_int_equal(seq, want++);
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(values[i]);
        assert_int_equal(p[off], n);
        assert_memory_equal(p + off + 1, values[i], n);
        off += 1 + n;
    }
    assert_int_equal(off, len);
    p = next(out, &at, &len, &seq);
    assert_int_equal(seq, want);
    if (deprecate_eof) {
        assert_int_equal(len, 7);
        assert_memory_equal(p, "\xfe\0\0\x02\0\0\0", 7);
    } else {
        assert_int_equal(len, 5);
        assert_memory_equal(p, "\xfe\0\0\x02\0", 5);
    }
    assert_int_equal(at, buf_pending(out));
    buf_consume(out, buf_pending(out));
}

static void test_dialogue(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    (void)state;
    app_start(&t);
    app_login(&t, MARIADB_CAPS);
    assert_string_equal(t.d.step, "HandshakeResponse");

    /* What the mariadb monitor asks first. */
    com(&p, MYSQL_COM_QUERY, "select @@version_comment limit 1");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_result(&t.out, false);
    assert_string_equal(t.d.step, "Query");

    p.n = 0;
    com(&p, MYSQL_COM_PING, "");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_ok(&t.out, 1);
    p.n = 0;
    com(&p, MYSQL_COM_INIT_DB, "test");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_ok(&t.out, 1);
    p.n = 0;
    com(&p, MYSQL_COM_QUERY, "  SET NAMES utf8mb4");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_ok(&t.out, 1);
    p.n = 0;
    com(&p, MYSQL_COM_QUERY, " ;");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_err(&t.out, 1, 1065, "42000", "Query was empty");
    p.n = 0;
    com(&p, 0x16, "stmt"); /* COM_STMT_PREPARE */
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_err(&t.out, 1, 1047, "08S01", "Unknown command");
    p.n = 0;
    com(&p, MYSQL_COM_STATISTICS, "");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    size_t at = 0, len;
    uint8_t seq;
    const uint8_t *s = next(&t.out, &at, &len, &seq);
    assert_int_equal(seq, 1);
    assert_memory_equal(s, "Uptime: ", 8);
    buf_consume(&t.out, buf_pending(&t.out));

    /* COM_QUIT gets no answer: the server closes. */
    p.n = 0;
    com(&p, MYSQL_COM_QUIT, "");
    assert_int_equal(app_feed(&t, &p), APP_DONE);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_string_equal(t.d.step, "Quit");
    assert_int_equal(t.d.commands, 10);
    app_end(&t);
}

static void test_deprecate_eof(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    (void)state;
    app_start(&t);
    app_login(&t, MARIADB_CAPS | MYSQL_CLIENT_DEPRECATE_EOF);
    com(&p, MYSQL_COM_QUERY, "select 1");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    assert_result(&t.out, true);
    app_end(&t);
}

static void test_refused_login(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    struct app_page refused = page;
    (void)state;
    refused.note = "the scenario requires a client certificate";
    app_start(&t);
    response41(&p, 2, MARIADB_CAPS, "alice");
    assert_int_equal(app_feed(&t, &p), APP_REQUEST);
    assert_int_equal(mysql_app.respond(t.st, 403, &refused, &t.out), 0);
    assert_err(&t.out, 3, 1045, "28000",
               "Access denied for user 'alice': the scenario requires a "
               "client certificate");
    app_end(&t);
}

static void test_pipelined(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    (void)state;
    app_start(&t);
    /* The login and a query in one read: the query waits for respond. */
    response41(&p, 2, MARIADB_CAPS, "alice");
    com(&p, MYSQL_COM_QUERY, "select 1");
    com(&p, MYSQL_COM_QUIT, "");
    assert_int_equal(app_feed(&t, &p), APP_REQUEST);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(app_feed(&t, NULL), APP_MORE); /* still unanswered */
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(mysql_app.respond(t.st, 200, &page, &t.out), 1);
    assert_ok(&t.out, 3);
    assert_int_equal(app_feed(&t, NULL), APP_DONE);
    assert_result(&t.out, false);
    app_end(&t);
}

static void test_bad_login(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    (void)state;
    /* A second SSLRequest inside TLS. */
    app_start(&t);
    ssl_request(&p, 2);
    assert_int_equal(app_feed(&t, &p), APP_BAD);
    assert_int_equal(mysql_app.respond(t.st, 400, &page, &t.out), 0);
    assert_err(&t.out, 3, 1043, "08S01", "Bad handshake");
    app_end(&t);

    /* A user name without its NUL. */
    app_start(&t);
    p.n = 0;
    struct pkt payload = {.n = 0};
    fixed_part(&payload, MARIADB_CAPS);
    add(&payload, "alice", 5);
    frame(&p, 2, payload.b, payload.n);
    assert_int_equal(app_feed(&t, &p), APP_BAD);
    assert_int_equal(mysql_app.respond(t.st, 400, &page, &t.out), 0);
    assert_err(&t.out, 3, 1043, "08S01", "Bad handshake");
    app_end(&t);
}

static void test_app_packet_bounds(void **state)
{
    struct app t;
    (void)state;
    /* MYSQL_MAX_PACKET is taken: a long query is answered. */
    size_t n = MYSQL_MAX_PACKET;
    uint8_t *big = malloc(4 + n);
    assert_non_null(big);
    big[0] = (uint8_t)n, big[1] = (uint8_t)(n >> 8),
    big[2] = (uint8_t)(n >> 16);
    big[3] = 0;
    big[4] = MYSQL_COM_QUERY;
    memset(big + 5, 'x', n - 1);
    memcpy(big + 5, "select ", 7);
    app_start(&t);
    app_login(&t, MARIADB_CAPS);
    assert_int_equal(mysql_app.input(t.st, big, 4 + n, &t.req, &t.out),
                     APP_MORE);
    assert_result(&t.out, false);
    app_end(&t);

    /* One byte more is refused on its header. */
    n++;
    big[0] = (uint8_t)n, big[1] = (uint8_t)(n >> 8),
    big[2] = (uint8_t)(n >> 16);
    app_start(&t);
    app_login(&t, MARIADB_CAPS);
    assert_int_equal(mysql_app.input(t.st, big, 4, &t.req, &t.out), APP_BAD);
    assert_int_equal(mysql_app.respond(t.st, 400, &page, &t.out), 0);
    assert_err(&t.out, 1, 1153, "08S01", "max_allowed_packet");
    app_end(&t);

    /* The 0xffffff of a split payload, before the login. */
    app_start(&t);
    assert_int_equal(mysql_app.input(t.st, (const uint8_t *)"\xff\xff\xff\x02",
                                     4, &t.req, &t.out),
                     APP_BAD);
    assert_int_equal(mysql_app.respond(t.st, 400, &page, &t.out), 0);
    assert_err(&t.out, 3, 1153, "08S01", "max_allowed_packet");
    app_end(&t);
    free(big);
}

static void test_flood(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    (void)state;
    app_start(&t);
    app_login(&t, MARIADB_CAPS);
    /* Commands 3 to 128 are answered; the 129th is the flood. */
    for (int i = 0; i < 130; i++)
        com(&p, MYSQL_COM_PING, "");
    assert_int_equal(app_feed(&t, &p), APP_BAD);
    assert_int_equal(buf_pending(&t.out), 11 * (DIALOGUE_MAX_COMMANDS - 2));
    buf_consume(&t.out, buf_pending(&t.out));
    assert_int_equal(mysql_app.respond(t.st, 400, &page, &t.out), 0);
    assert_err(&t.out, 1, 1226, "42000", "max_questions");
    app_end(&t);
}

static void test_unknown_in_row(void **state)
{
    struct app t;
    struct pkt p = {.n = 0};
    (void)state;
    app_start(&t);
    app_login(&t, MARIADB_CAPS);
    /* A known command in between starts the count again. */
    com(&p, 0x04, "t"); /* COM_FIELD_LIST */
    com(&p, 0x04, "t");
    com(&p, MYSQL_COM_PING, "");
    com(&p, 0x04, "t");
    com(&p, 0x04, "t");
    assert_int_equal(app_feed(&t, &p), APP_MORE);
    buf_consume(&t.out, buf_pending(&t.out));
    p.n = 0;
    com(&p, 0x1f, ""); /* COM_RESET_CONNECTION */
    assert_int_equal(app_feed(&t, &p), APP_BAD);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(mysql_app.respond(t.st, 400, &page, &t.out), 0);
    assert_err(&t.out, 1, 1047, "08S01", "Unknown command");
    app_end(&t);
}

/* The whole dialogue a byte at a time writes what it does at once. */
static void test_app_byte_at_a_time(void **state)
{
    struct pkt p = {.n = 0}, rest = {.n = 0};
    struct app whole, bytes;
    (void)state;
    response41(&p, 2, MARIADB_CAPS, "alice");
    com(&rest, MYSQL_COM_QUERY, "select 1");
    com(&rest, MYSQL_COM_PING, "");
    com(&rest, MYSQL_COM_QUIT, "");

    app_start(&whole);
    assert_int_equal(app_feed(&whole, &p), APP_REQUEST);
    assert_int_equal(mysql_app.respond(whole.st, 200, &page, &whole.out), 1);
    assert_int_equal(app_feed(&whole, &rest), APP_DONE);

    app_start(&bytes);
    for (size_t i = 0; i + 1 < p.n; i++)
        assert_int_equal(
            mysql_app.input(bytes.st, p.b + i, 1, &bytes.req, &bytes.out),
            APP_MORE);
    assert_int_equal(
        mysql_app.input(bytes.st, p.b + p.n - 1, 1, &bytes.req, &bytes.out),
        APP_REQUEST);
    assert_string_equal(bytes.req.target, "alice");
    assert_int_equal(mysql_app.respond(bytes.st, 200, &page, &bytes.out), 1);
    enum app_result r = APP_MORE;
    for (size_t i = 0; i < rest.n; i++) {
        assert_int_equal(r, APP_MORE);
        r = mysql_app.input(bytes.st, rest.b + i, 1, &bytes.req, &bytes.out);
    }
    assert_int_equal(r, APP_DONE);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    app_end(&whole);
    app_end(&bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_go_ahead),
        cmocka_unit_test(test_inject),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_client_hello_first),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_packet_over_limit),
        cmocka_unit_test(test_preamble_flood),
        cmocka_unit_test(test_preamble_byte_at_a_time),
        cmocka_unit_test(test_dialogue),
        cmocka_unit_test(test_deprecate_eof),
        cmocka_unit_test(test_refused_login),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_bad_login),
        cmocka_unit_test(test_app_packet_bounds),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_unknown_in_row),
        cmocka_unit_test(test_app_byte_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
