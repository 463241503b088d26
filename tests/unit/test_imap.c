/*
 * The IMAP dialogue over byte buffers: the greeting, CAPABILITY and the
 * STARTTLS go-ahead before TLS (with strip, refuse, inject, a login in
 * the clear, garbage and the limits), and after TLS the login request,
 * its answers, the INBOX commands and LOGOUT, whole or a byte at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"

#define GREETING                                                               \
    "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] shakedown scenario "   \
    "expired ready\r\n"
#define TLS_CAPS "IMAP4rev1 AUTH=PLAIN SASL-IR"

/* ---- before TLS -------------------------------------------------------- */

struct pre {
    void *state;
    struct dialogue d;
    struct buf in, out;
    const char *why;
};

static void pre_start(struct pre *p)
{
    memset(p, 0, sizeof(*p));
    p->state = calloc(1, imap_preamble.size);
    assert_non_null(p->state);
    p->d.scenario = "expired";
    p->d.host = "localhost";
    buf_init(&p->in);
    buf_init(&p->out);
}

static void pre_end(struct pre *p)
{
    imap_preamble.clear(p->state);
    free(p->state);
    buf_free(&p->in);
    buf_free(&p->out);
}

static enum preamble_result pre_feed(struct pre *p, const char *text)
{
    assert_int_equal(buf_append(&p->in, text, strlen(text)), 0);
    return imap_preamble.input(p->state, &p->d, &p->in, &p->out, &p->why);
}

/* Asserts that out holds exactly text, and empties it. */
static void said(struct buf *out, const char *text)
{
    char got[8192];
    size_t n = buf_pending(out);
    assert_true(n < sizeof(got));
    if (n > 0)
        memcpy(got, buf_head(out), n);
    got[n] = '\0';
    assert_string_equal(got, text);
    buf_consume(out, n);
}

/* Starts a preamble and takes its greeting. */
static void pre_greeted(struct pre *p)
{
    pre_start(p);
    assert_int_equal(pre_feed(p, ""), PREAMBLE_MORE);
    said(&p->out, GREETING);
}

static void test_greeting(void **state)
{
    struct pre p;
    (void)state;
    pre_start(&p);
    assert_string_equal(imap_preamble.name, "imap");
    assert_int_equal(pre_feed(&p, ""), PREAMBLE_MORE);
    said(&p.out, GREETING);
    assert_string_equal(p.d.step, "greeting");
    assert_int_equal(p.d.commands, 0);
    /* Greeted once only. */
    assert_int_equal(pre_feed(&p, ""), PREAMBLE_MORE);
    said(&p.out, "");
    pre_end(&p);
}

static void test_capability_and_starttls(void **state)
{
    struct pre p;
    (void)state;
    pre_greeted(&p);
    assert_int_equal(pre_feed(&p, "a001 capability\r\n"), PREAMBLE_MORE);
    said(&p.out, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                 "a001 OK CAPABILITY completed\r\n");
    assert_string_equal(p.d.step, "CAPABILITY");
    assert_int_equal(p.d.commands, 1);
    pre_end(&p);
}

static void test_noop_and_go_ahead(void **state)
{
    struct pre p;
    (void)state;
    pre_greeted(&p);
    assert_int_equal(pre_feed(&p, "a002 NOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "a002 OK NOOP completed\r\n");
    /* What the client pipelined after STARTTLS is left for TLS (RFC 3501
     * section 6.2.1; CVE-2011-0411). */
    assert_int_equal(pre_feed(&p, "a003 STARTTLS\r\na004 LOGIN u p\r\n"),
                     PREAMBLE_TLS);
    said(&p.out, "a003 OK Begin TLS negotiation now\r\n");
    assert_int_equal(buf_pending(&p.in), strlen("a004 LOGIN u p\r\n"));
    assert_memory_equal(buf_head(&p.in), "a004 LOGIN u p\r\n", 16);
    assert_string_equal(p.d.step, "STARTTLS");
    assert_int_equal(p.d.commands, 2);
    assert_null(p.d.misstep);
    pre_end(&p);
}

static void test_starttls_arguments(void **state)
{
    struct pre p;
    (void)state;
    pre_greeted(&p);
    assert_int_equal(pre_feed(&p, "t STARTTLS now\r\n"), PREAMBLE_MORE);
    said(&p.out, "t BAD STARTTLS takes no arguments\r\n");
    assert_int_equal(pre_feed(&p, "t CAPABILITY x\r\n"), PREAMBLE_MORE);
    said(&p.out, "t BAD Unknown command or not valid before STARTTLS\r\n");
    pre_end(&p);
}

static void test_strip(void **state)
{
    struct pre p;
    (void)state;
    pre_start(&p);
    p.d.strip = true;
    assert_int_equal(pre_feed(&p, ""), PREAMBLE_MORE);
    said(&p.out, "* OK [CAPABILITY " TLS_CAPS "] shakedown scenario expired "
                 "ready\r\n");
    assert_int_equal(pre_feed(&p, "a CAPABILITY\r\n"), PREAMBLE_MORE);
    said(&p.out, "* CAPABILITY " TLS_CAPS "\r\na OK CAPABILITY completed\r\n");
    /* STARTTLS anyway: not a command this server knows; not counted as
     * a syntax error. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pre_feed(&p, "b STARTTLS\r\n"), PREAMBLE_MORE);
        said(&p.out, "b BAD STARTTLS is not supported\r\n");
    }
    /* The offer taken: curl sends AUTHENTICATE PLAIN with SASL-IR. */
    assert_int_equal(pre_feed(&p, "c AUTHENTICATE PLAIN AHUAcA==\r\n"),
                     PREAMBLE_CLOSE);
    said(&p.out, "c NO [PRIVACYREQUIRED] Credentials refused without TLS\r\n"
                 "* BYE Credentials were sent in the clear\r\n");
    assert_string_equal(p.why, "the client sent credentials without TLS");
    assert_string_equal(p.d.misstep, "the client sent credentials without TLS");
    pre_end(&p);
}

static void test_refuse(void **state)
{
    struct pre p;
    (void)state;
    pre_start(&p);
    p.d.refuse = true;
    assert_int_equal(pre_feed(&p, ""), PREAMBLE_MORE);
    said(&p.out, GREETING);
    assert_int_equal(pre_feed(&p, "a STARTTLS\r\n"), PREAMBLE_MORE);
    said(&p.out, "a NO STARTTLS refused\r\n");
    /* The dialogue goes on in the clear. */
    assert_int_equal(pre_feed(&p, "b NOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "b OK NOOP completed\r\n");
    assert_int_equal(pre_feed(&p, "c LOGIN user \"pass\"\r\n"),
                     PREAMBLE_CLOSE);
    said(&p.out, "c NO [PRIVACYREQUIRED] Credentials refused without TLS\r\n"
                 "* BYE Credentials were sent in the clear\r\n");
    assert_string_equal(p.why, "the client sent credentials without TLS");
    assert_string_equal(p.d.misstep, "the client sent credentials without TLS");
    pre_end(&p);
}

static void test_inject(void **state)
{
    struct pre p;
    (void)state;
    pre_start(&p);
    p.d.inject = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n";
    assert_int_equal(pre_feed(&p, ""), PREAMBLE_MORE);
    said(&p.out, GREETING);
    assert_int_equal(pre_feed(&p, ". STARTTLS\r\n"), PREAMBLE_TLS);
    said(&p.out, ". OK Begin TLS negotiation now\r\n"
                 "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n");
    assert_int_equal(buf_pending(&p.in), 0);
    pre_end(&p);
}

static void test_credentials_before_tls(void **state)
{
    static const char *const logins[] = {
        "x LOGIN u p\r\n",
        "x login {1}\r\n",
        "x AUTHENTICATE PLAIN\r\n",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
        struct pre p;
        pre_greeted(&p);
        assert_int_equal(pre_feed(&p, logins[i]), PREAMBLE_CLOSE);
        said(&p.out,
             "x NO [PRIVACYREQUIRED] Credentials refused without TLS\r\n"
             "* BYE Credentials were sent in the clear\r\n");
        assert_string_equal(p.why, "the client sent credentials without TLS");
        assert_string_equal(p.d.misstep,
                            "the client sent credentials without TLS");
        pre_end(&p);
    }
}

static void test_logout_before_tls(void **state)
{
    struct pre p;
    (void)state;
    pre_greeted(&p);
    assert_int_equal(pre_feed(&p, "z LOGOUT\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "* BYE shakedown scenario expired logging out\r\n"
                 "z OK LOGOUT completed\r\n");
    assert_string_equal(p.why, "the client quit before TLS");
    assert_null(p.d.misstep);
    pre_end(&p);
}

static void test_garbage(void **state)
{
    struct pre p;
    (void)state;
    pre_greeted(&p);
    /* Two errors, then a good command starts the count again. */
    assert_int_equal(pre_feed(&p, "GET / HTTP/1.1\r\n"), PREAMBLE_MORE);
    said(&p.out, "GET BAD Unknown command or not valid before STARTTLS\r\n");
    assert_int_equal(pre_feed(&p, "\r\n"), PREAMBLE_MORE);
    said(&p.out, "* BAD Missing or invalid tag\r\n");
    assert_int_equal(pre_feed(&p, "a NOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "a OK NOOP completed\r\n");
    assert_int_equal(pre_feed(&p, "*** nonsense\r\n"), PREAMBLE_MORE);
    said(&p.out, "* BAD Missing or invalid tag\r\n");
    assert_int_equal(pre_feed(&p, "a+b NOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "* BAD Missing or invalid tag\r\n");
    assert_int_equal(pre_feed(&p, "a SELECT INBOX\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "* BYE Too many bad commands\r\n");
    assert_string_equal(p.why, "the client sent commands that are not IMAP");
    pre_end(&p);
}

static void test_line_too_long(void **state)
{
    struct pre p;
    char *line = malloc(DIALOGUE_MAX_LINE + 2);
    (void)state;
    assert_non_null(line);
    pre_greeted(&p);
    /* The longest line taken: DIALOGUE_MAX_LINE - 1 bytes before LF. */
    memset(line, 'x', DIALOGUE_MAX_LINE - 1);
    memcpy(line, "a NOOP", 6);
    line[6] = ' ';
    line[DIALOGUE_MAX_LINE - 1] = '\n';
    line[DIALOGUE_MAX_LINE] = '\0';
    assert_int_equal(pre_feed(&p, line), PREAMBLE_MORE);
    said(&p.out, "a BAD Unknown command or not valid before STARTTLS\r\n");
    /* One more byte, with or without its LF yet. */
    line[DIALOGUE_MAX_LINE - 1] = 'x';
    assert_int_equal(pre_feed(&p, line), PREAMBLE_CLOSE);
    said(&p.out, "* BYE Line too long\r\n");
    assert_string_equal(p.why, "the client sent a line over the limit");
    pre_end(&p);
    free(line);
}

static void test_flood(void **state)
{
    struct pre p;
    (void)state;
    pre_greeted(&p);
    for (int i = 0; i < DIALOGUE_MAX_COMMANDS; i++) {
        assert_int_equal(pre_feed(&p, "n NOOP\r\n"), PREAMBLE_MORE);
        said(&p.out, "n OK NOOP completed\r\n");
    }
    assert_int_equal(pre_feed(&p, "n NOOP\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "* BYE Too many commands\r\n");
    assert_string_equal(p.why, "the client sent too many commands");
    pre_end(&p);
}

static void test_client_hello_first(void **state)
{
    static const char hello[] = "\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03";
    struct pre p;
    (void)state;
    pre_greeted(&p);
    assert_int_equal(pre_feed(&p, hello), PREAMBLE_CLOSE);
    assert_string_equal(p.why, "the client started TLS without STARTTLS");
    said(&p.out, "");
    assert_int_equal(buf_pending(&p.in), sizeof(hello) - 1);
    pre_end(&p);

    /* The same after a STARTTLS that was not offered: openssl s_client
     * starts TLS anyway. */
    pre_start(&p);
    p.d.strip = true;
    assert_int_equal(pre_feed(&p, ""), PREAMBLE_MORE);
    buf_consume(&p.out, buf_pending(&p.out));
    assert_int_equal(pre_feed(&p, ". STARTTLS\r\n"), PREAMBLE_MORE);
    said(&p.out, ". BAD STARTTLS is not supported\r\n");
    assert_int_equal(pre_feed(&p, hello), PREAMBLE_CLOSE);
    assert_string_equal(p.why, "the client started TLS without STARTTLS");
    pre_end(&p);
}

/* The whole dialogue at once, then a byte at a time: the same replies,
 * the same result, the same bytes left over. */
static void test_preamble_byte_at_a_time(void **state)
{
    static const char client[] = "a1 CAPABILITY\r\n"
                                 "a2 NOOP\n"
                                 "a3 bogus\r\n"
                                 "a4 STARTTLS\r\n"
                                 "\x16\x03\x01";
    struct pre whole, bytes;
    enum preamble_result r = PREAMBLE_MORE;
    (void)state;
    pre_greeted(&whole);
    assert_int_equal(pre_feed(&whole, client), PREAMBLE_TLS);
    pre_greeted(&bytes);
    for (size_t i = 0; i < sizeof(client) - 1 && r == PREAMBLE_MORE; i++) {
        char one[2] = {client[i], '\0'};
        r = pre_feed(&bytes, one);
    }
    assert_int_equal(r, PREAMBLE_TLS);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    said(&whole.out, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                     "a1 OK CAPABILITY completed\r\n"
                     "a2 OK NOOP completed\r\n"
                     "a3 BAD Unknown command or not valid before STARTTLS\r\n"
                     "a4 OK Begin TLS negotiation now\r\n");
    /* Fed bytewise the ClientHello's bytes arrive after the go-ahead. */
    assert_int_equal(buf_pending(&whole.in), 3);
    pre_end(&whole);
    pre_end(&bytes);
}

/* ---- after TLS --------------------------------------------------------- */

struct app {
    const struct app_ops *ops;
    void *state;
    struct dialogue d;
    struct buf out;
    struct app_request req;
    struct scenario scenario;
    struct app_page page;
};

static void app_start(struct app *a, const struct app_ops *ops)
{
    memset(a, 0, sizeof(*a));
    a->ops = ops;
    a->state = calloc(1, ops->size);
    assert_non_null(a->state);
    a->d.scenario = "expired";
    a->d.host = "localhost";
    buf_init(&a->out);
    snprintf(a->scenario.name, sizeof(a->scenario.name), "expired");
    a->page.scenario = &a->scenario;
    a->page.version = "TLSv1.3";
    a->page.cipher = "TLS_AES_128_GCM_SHA256";
    assert_int_equal(ops->open(a->state, &a->d, &a->out), 0);
}

static void app_end(struct app *a)
{
    a->ops->clear(a->state);
    free(a->state);
    buf_free(&a->out);
}

static enum app_result app_feed(struct app *a, const char *text)
{
    return a->ops->input(a->state, (const uint8_t *)text, strlen(text),
                         &a->req, &a->out);
}

static const char LOGGED_IN[] =
    "OK Logged in: shakedown scenario expired over TLSv1.3 with "
    "TLS_AES_128_GCM_SHA256\r\n";

static void test_app_open(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    assert_string_equal(imap_app.name, "imap");
    said(&a.out, ""); /* after STARTTLS the client speaks first */
    app_end(&a);
    app_start(&a, &imaps_app);
    said(&a.out, "* OK [CAPABILITY " TLS_CAPS "] shakedown scenario expired "
                 "ready\r\n");
    assert_string_equal(a.d.step, "greeting");
    app_end(&a);
}

/* Python's imaplib after starttls(): CAPABILITY, LOGIN, SELECT, LOGOUT. */
static void test_app_dialogue(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    assert_int_equal(app_feed(&a, "ABCD2 CAPABILITY\r\n"), APP_MORE);
    said(&a.out, "* CAPABILITY " TLS_CAPS "\r\n"
                 "ABCD2 OK CAPABILITY completed\r\n");
    /* Mailboxes wait for a login. */
    assert_int_equal(app_feed(&a, "ABCD3 SELECT INBOX\r\n"), APP_MORE);
    said(&a.out, "ABCD3 BAD Not authenticated\r\n");
    /* The request; what is pipelined after it waits for its answer. */
    assert_int_equal(app_feed(&a, "ABCD4 LOGIN alice \"se\\\"cr\\\\et\"\r\n"
                                  "ABCD5 SELECT INBOX\r\n"),
                     APP_REQUEST);
    said(&a.out, "");
    assert_string_equal(a.req.method, "LOGIN");
    assert_string_equal(a.req.target, "alice");
    assert_string_equal(a.req.protocol, "IMAP");
    assert_false(a.req.grpc);
    assert_string_equal(a.d.step, "LOGIN");
    assert_int_equal(a.ops->input(a.state, NULL, 0, &a.req, &a.out), APP_MORE);
    said(&a.out, "");
    assert_int_equal(a.ops->respond(a.state, 200, &a.page, &a.out), 1);
    said(&a.out, "ABCD4 OK Logged in: shakedown scenario expired over "
                 "TLSv1.3 with TLS_AES_128_GCM_SHA256\r\n");
    assert_int_equal(a.ops->input(a.state, NULL, 0, &a.req, &a.out), APP_MORE);
    said(&a.out, "* FLAGS (\\Seen)\r\n"
                 "* 0 EXISTS\r\n"
                 "* 0 RECENT\r\n"
                 "* OK [UIDVALIDITY 1] UIDs valid\r\n"
                 "* OK [UIDNEXT 1] Predicted next UID\r\n"
                 "* OK [PERMANENTFLAGS ()] No permanent flags\r\n"
                 "ABCD5 OK [READ-WRITE] SELECT completed\r\n");
    assert_int_equal(app_feed(&a, "ABCD6 LOGIN again x\r\n"), APP_MORE);
    said(&a.out, "ABCD6 BAD Already authenticated\r\n");
    assert_int_equal(app_feed(&a, "ABCD7 STARTTLS\r\n"), APP_MORE);
    said(&a.out, "ABCD7 BAD TLS is already active\r\n");
    assert_int_equal(app_feed(&a, "ABCD8 NOOP\r\n"), APP_MORE);
    said(&a.out, "ABCD8 OK NOOP completed\r\n");
    assert_int_equal(app_feed(&a, "ABCD9 LOGOUT\r\n"), APP_DONE);
    said(&a.out, "* BYE shakedown scenario expired logging out\r\n"
                 "ABCD9 OK LOGOUT completed\r\n");
    app_end(&a);
}

/* curl: CAPABILITY, AUTHENTICATE PLAIN with SASL-IR, LIST "" *, LOGOUT. */
static void test_app_curl(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imaps_app);
    buf_consume(&a.out, buf_pending(&a.out));
    assert_int_equal(app_feed(&a, "A001 CAPABILITY\r\n"), APP_MORE);
    buf_consume(&a.out, buf_pending(&a.out));
    /* base64 of "\0u\0p" */
    assert_int_equal(app_feed(&a, "A002 AUTHENTICATE PLAIN AHUAcA==\r\n"),
                     APP_REQUEST);
    assert_string_equal(a.req.method, "AUTHENTICATE");
    assert_string_equal(a.req.target, "u");
    assert_int_equal(a.ops->respond(a.state, 200, &a.page, &a.out), 1);
    char expect[256];
    snprintf(expect, sizeof(expect), "A002 %s", LOGGED_IN);
    said(&a.out, expect);
    assert_int_equal(app_feed(&a, "A003 LIST \"\" *\r\n"), APP_MORE);
    said(&a.out, "* LIST () \"/\" INBOX\r\nA003 OK LIST completed\r\n");
    assert_int_equal(app_feed(&a, "A004 LOGOUT\r\n"), APP_DONE);
    said(&a.out, "* BYE shakedown scenario expired logging out\r\n"
                 "A004 OK LOGOUT completed\r\n");
    /* Nothing more is read after LOGOUT. */
    assert_int_equal(app_feed(&a, "A005 NOOP\r\n"), APP_DONE);
    said(&a.out, "");
    app_end(&a);
}

static void test_app_refused(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    assert_int_equal(app_feed(&a, "t1 LOGIN bob pw\r\n"), APP_REQUEST);
    a.page.note = "the scenario requires a client certificate";
    assert_int_equal(a.ops->respond(a.state, 403, &a.page, &a.out), 1);
    said(&a.out, "t1 NO [AUTHENTICATIONFAILED] the scenario requires a "
                 "client certificate\r\n");
    /* Not logged in: the client may try again, or leave politely. */
    assert_int_equal(app_feed(&a, "t2 LIST \"\" *\r\n"), APP_MORE);
    said(&a.out, "t2 BAD Not authenticated\r\n");
    assert_int_equal(app_feed(&a, "t3 LOGIN bob pw\r\n"), APP_REQUEST);
    assert_int_equal(a.ops->respond(a.state, 403, &a.page, &a.out), 1);
    buf_consume(&a.out, buf_pending(&a.out));
    assert_int_equal(app_feed(&a, "t4 LOGOUT\r\n"), APP_DONE);
    said(&a.out, "* BYE shakedown scenario expired logging out\r\n"
                 "t4 OK LOGOUT completed\r\n");
    app_end(&a);
}

static void test_app_authenticate(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    /* Without an initial response: an empty challenge, then the
     * response on a line of its own (RFC 9051 section 6.2.2). */
    assert_int_equal(app_feed(&a, "s1 AUTHENTICATE plain\r\n"), APP_MORE);
    said(&a.out, "+ \r\n");
    assert_int_equal(app_feed(&a, "*\r\n"), APP_MORE);
    said(&a.out, "s1 BAD AUTHENTICATE cancelled\r\n");
    assert_int_equal(app_feed(&a, "s2 AUTHENTICATE PLAIN\r\n"), APP_MORE);
    said(&a.out, "+ \r\n");
    /* "admin\0carol\0pw": the authentication identity is the user. */
    assert_int_equal(app_feed(&a, "YWRtaW4AY2Fyb2wAcHc=\r\n"), APP_REQUEST);
    assert_string_equal(a.req.method, "AUTHENTICATE");
    assert_string_equal(a.req.target, "carol");
    assert_int_equal(a.ops->respond(a.state, 403, &a.page, &a.out), 1);
    said(&a.out, "s2 NO [AUTHENTICATIONFAILED] Refused\r\n");
    assert_int_equal(app_feed(&a, "s3 AUTHENTICATE CRAM-MD5\r\n"), APP_MORE);
    said(&a.out, "s3 NO Unsupported authentication mechanism\r\n");
    assert_int_equal(app_feed(&a, "s4 AUTHENTICATE PLAIN !!!!\r\n"), APP_MORE);
    said(&a.out, "s4 BAD Invalid PLAIN response\r\n");
    /* An empty initial response ("=") has no user in it. */
    assert_int_equal(app_feed(&a, "s5 AUTHENTICATE PLAIN =\r\n"), APP_MORE);
    said(&a.out, "s5 BAD Invalid PLAIN response\r\n");
    assert_int_equal(app_feed(&a, "s6 AUTHENTICATE PLAIN AHUAcA==\r\n"),
                     APP_REQUEST);
    assert_string_equal(a.req.target, "u");
    assert_int_equal(a.ops->respond(a.state, 200, &a.page, &a.out), 1);
    said(&a.out, "s6 OK Logged in: shakedown scenario expired over TLSv1.3 "
                 "with TLS_AES_128_GCM_SHA256\r\n");
    app_end(&a);
}

static void test_app_literals(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    /* Synchronising literals: a continuation for each (RFC 9051
     * section 7.5), then the rest of the command. */
    assert_int_equal(app_feed(&a, "l1 LOGIN {5}\r\n"), APP_MORE);
    said(&a.out, "+ Ready for literal data\r\n");
    assert_int_equal(app_feed(&a, "da ve {3}\r\n"), APP_MORE);
    said(&a.out, "+ Ready for literal data\r\n");
    assert_int_equal(app_feed(&a, "p\nw\r\n"), APP_REQUEST);
    assert_string_equal(a.req.target, "da ve");
    assert_int_equal(a.ops->respond(a.state, 200, &a.page, &a.out), 1);
    buf_consume(&a.out, buf_pending(&a.out));
    /* Non-synchronising (RFC 7888): no continuation. */
    assert_int_equal(app_feed(&a, "l2 SELECT {5+}\r\ninbox\r\n"), APP_MORE);
    said(&a.out, "* FLAGS (\\Seen)\r\n"
                 "* 0 EXISTS\r\n"
                 "* 0 RECENT\r\n"
                 "* OK [UIDVALIDITY 1] UIDs valid\r\n"
                 "* OK [UIDNEXT 1] Predicted next UID\r\n"
                 "* OK [PERMANENTFLAGS ()] No permanent flags\r\n"
                 "l2 OK [READ-WRITE] SELECT completed\r\n");
    /* A literal's bytes are not a literal marker. */
    assert_int_equal(app_feed(&a, "l3 EXAMINE {3}\r\n"), APP_MORE);
    said(&a.out, "+ Ready for literal data\r\n");
    assert_int_equal(app_feed(&a, "{1}\r\n"), APP_MORE);
    said(&a.out, "l3 NO [NONEXISTENT] No such mailbox\r\n");
    /* Over the limit: the connection ends with BYE. */
    assert_int_equal(app_feed(&a, "l4 LOGIN {99999}\r\n"), APP_BAD);
    assert_int_equal(a.ops->respond(a.state, 400, &a.page, &a.out), 0);
    said(&a.out, "* BYE Line too long\r\n");
    app_end(&a);
}

static void test_app_mailboxes(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    assert_int_equal(app_feed(&a, "m LOGIN u p\r\n"), APP_REQUEST);
    assert_int_equal(a.ops->respond(a.state, 200, &a.page, &a.out), 1);
    buf_consume(&a.out, buf_pending(&a.out));
    assert_int_equal(app_feed(&a, "m1 LIST \"\" \"\"\r\n"), APP_MORE);
    said(&a.out, "* LIST (\\Noselect) \"/\" \"\"\r\nm1 OK LIST completed\r\n");
    assert_int_equal(app_feed(&a, "m2 list \"\" %\r\n"), APP_MORE);
    said(&a.out, "* LIST () \"/\" INBOX\r\nm2 OK LIST completed\r\n");
    assert_int_equal(app_feed(&a, "m3 LIST \"\" In*x\r\n"), APP_MORE);
    said(&a.out, "* LIST () \"/\" INBOX\r\nm3 OK LIST completed\r\n");
    assert_int_equal(app_feed(&a, "m4 LIST \"\" Sent\r\n"), APP_MORE);
    said(&a.out, "m4 OK LIST completed\r\n");
    assert_int_equal(app_feed(&a, "m5 LSUB \"\" *\r\n"), APP_MORE);
    said(&a.out, "* LSUB () \"/\" INBOX\r\nm5 OK LSUB completed\r\n");
    assert_int_equal(app_feed(&a, "m6 CLOSE\r\n"), APP_MORE);
    said(&a.out, "m6 BAD No mailbox selected\r\n");
    assert_int_equal(app_feed(&a, "m7 EXAMINE INBOX\r\n"), APP_MORE);
    assert_non_null(strstr((const char *)buf_head(&a.out),
                           "m7 OK [READ-ONLY] EXAMINE completed\r\n"));
    buf_consume(&a.out, buf_pending(&a.out));
    assert_int_equal(app_feed(&a, "m8 CHECK\r\nm9 CLOSE\r\nm10 CLOSE\r\n"),
                     APP_MORE);
    said(&a.out, "m8 OK CHECK completed\r\nm9 OK CLOSE completed\r\n"
                 "m10 BAD No mailbox selected\r\n");
    assert_int_equal(app_feed(&a, "m11 SELECT Trash\r\n"), APP_MORE);
    said(&a.out, "m11 NO [NONEXISTENT] No such mailbox\r\n");
    app_end(&a);
}

static void test_app_garbage(void **state)
{
    struct app a;
    (void)state;
    app_start(&a, &imap_app);
    assert_int_equal(app_feed(&a, "x1 FROB\r\n"), APP_MORE);
    said(&a.out, "x1 BAD Unknown command\r\n");
    assert_int_equal(app_feed(&a, "x2 LOGIN onlyuser\r\n"), APP_MORE);
    said(&a.out, "x2 BAD Syntax: LOGIN user password\r\n");
    /* A good command starts the count again. */
    assert_int_equal(app_feed(&a, "x3 NOOP\r\n"), APP_MORE);
    said(&a.out, "x3 OK NOOP completed\r\n");
    assert_int_equal(app_feed(&a, "\r\n"), APP_MORE);
    said(&a.out, "* BAD Missing or invalid tag\r\n");
    assert_int_equal(app_feed(&a, "x4 LOGIN \"unterminated\r\n"), APP_MORE);
    said(&a.out, "x4 BAD Syntax: LOGIN user password\r\n");
    assert_int_equal(app_feed(&a, "x5 CAPABILITY please\r\n"), APP_BAD);
    said(&a.out, "");
    assert_int_equal(a.ops->respond(a.state, 400, &a.page, &a.out), 0);
    said(&a.out, "* BYE Too many bad commands\r\n");
    app_end(&a);
}

static void test_app_limits(void **state)
{
    struct app a;
    char *line = malloc(DIALOGUE_MAX_LINE + 1);
    (void)state;
    assert_non_null(line);
    app_start(&a, &imap_app);
    memset(line, 'x', DIALOGUE_MAX_LINE);
    line[DIALOGUE_MAX_LINE] = '\0';
    assert_int_equal(app_feed(&a, line), APP_BAD);
    assert_int_equal(a.ops->respond(a.state, 400, &a.page, &a.out), 0);
    said(&a.out, "* BYE Line too long\r\n");
    app_end(&a);

    /* The count goes on from before TLS. */
    app_start(&a, &imap_app);
    a.d.commands = DIALOGUE_MAX_COMMANDS - 1;
    assert_int_equal(app_feed(&a, "f NOOP\r\nf NOOP\r\n"), APP_BAD);
    said(&a.out, "f OK NOOP completed\r\n");
    assert_int_equal(a.ops->respond(a.state, 400, &a.page, &a.out), 0);
    said(&a.out, "* BYE Too many commands\r\n");
    app_end(&a);
    free(line);
}

/* The after-TLS dialogue at once and a byte at a time: the same
 * replies. */
static void test_app_byte_at_a_time(void **state)
{
    static const char client[] = "b1 CAPABILITY\r\n"
                                 "b2 LOGIN {4}\r\nuser \"pw\"\r\n"
                                 "b3 SELECT INBOX\n"
                                 "b4 LIST \"\" *\r\n"
                                 "b5 LOGOUT\r\n";
    struct app whole, bytes;
    (void)state;
    app_start(&whole, &imap_app);
    app_start(&bytes, &imap_app);
    /* At once: one continuation, the request, the rest after it. */
    assert_int_equal(app_feed(&whole, client), APP_REQUEST);
    assert_int_equal(whole.ops->respond(whole.state, 200, &whole.page,
                                        &whole.out),
                     1);
    assert_int_equal(whole.ops->input(whole.state, NULL, 0, &whole.req,
                                      &whole.out),
                     APP_DONE);
    enum app_result r = APP_MORE;
    for (size_t i = 0; i < sizeof(client) - 1; i++) {
        char one[2] = {client[i], '\0'};
        r = app_feed(&bytes, one);
        if (r == APP_REQUEST) {
            assert_string_equal(bytes.req.target, "user");
            assert_int_equal(bytes.ops->respond(bytes.state, 200, &bytes.page,
                                                &bytes.out),
                             1);
            r = bytes.ops->input(bytes.state, NULL, 0, &bytes.req, &bytes.out);
        }
        assert_true(r == APP_MORE || i == sizeof(client) - 2);
    }
    assert_int_equal(r, APP_DONE);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    assert_non_null(strstr((const char *)buf_head(&whole.out),
                           "b5 OK LOGOUT completed\r\n"));
    app_end(&whole);
    app_end(&bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_capability_and_starttls),
        cmocka_unit_test(test_noop_and_go_ahead),
        cmocka_unit_test(test_starttls_arguments),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_inject),
        cmocka_unit_test(test_credentials_before_tls),
        cmocka_unit_test(test_logout_before_tls),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_client_hello_first),
        cmocka_unit_test(test_preamble_byte_at_a_time),
        cmocka_unit_test(test_app_open),
        cmocka_unit_test(test_app_dialogue),
        cmocka_unit_test(test_app_curl),
        cmocka_unit_test(test_app_refused),
        cmocka_unit_test(test_app_authenticate),
        cmocka_unit_test(test_app_literals),
        cmocka_unit_test(test_app_mailboxes),
        cmocka_unit_test(test_app_garbage),
        cmocka_unit_test(test_app_limits),
        cmocka_unit_test(test_app_byte_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
