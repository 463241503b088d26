/*
 * The SMTP dialogue over byte buffers: the greeting, EHLO, the STARTTLS
 * go-ahead and what is left after it, strip, refuse, inject, mail and
 * credentials before TLS, garbage and the limits, then the transaction
 * after TLS (SMTPS and STARTTLS) to QUIT, with respond 200, 400 and 403.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

#define CLIENT_HELLO "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
#define GREETING "220 localhost ESMTP shakedown scenario expired\r\n"
/* EHLO's answer before TLS, and after it (RFC 3207 section 4.2: AUTH
 * once the channel is private, STARTTLS no more). */
#define EHLO_PLAIN                                                             \
    "250-localhost greets client.example\r\n"                                  \
    "250-SIZE 10485760\r\n"                                                    \
    "250-8BITMIME\r\n"                                                         \
    "250-STARTTLS\r\n"                                                         \
    "250 ENHANCEDSTATUSCODES\r\n"
#define EHLO_AUTH                                                              \
    "250-localhost greets client.example\r\n"                                  \
    "250-SIZE 10485760\r\n"                                                    \
    "250-8BITMIME\r\n"                                                         \
    "250-AUTH PLAIN LOGIN\r\n"                                                 \
    "250 ENHANCEDSTATUSCODES\r\n"
#define MUST_STARTTLS "530 5.7.0 Must issue a STARTTLS command first\r\n"
#define SENDER_OK                                                              \
    "250 2.1.0 Sender OK: shakedown scenario expired over TLSv1.3\r\n"
#define ACCEPTED                                                               \
    "250 2.0.0 Accepted by shakedown scenario expired and dropped\r\n"
#define CREDENTIALS "the client sent credentials without TLS"
#define NOTE "no client certificate was presented"

static const struct scenario scenario = {.name = "expired",
                                         .title = "An expired certificate"};
static const struct app_page page = {.scenario = &scenario,
                                     .version = "TLSv1.3",
                                     .cipher = "TLS_AES_128_GCM_SHA256"};

/* out holds exactly text; out is emptied. */
static void assert_out(struct buf *out, const char *text)
{
    size_t n = strlen(text);
    if (buf_pending(out) != n || memcmp(buf_head(out), text, n) != 0)
        print_error("out: \"%.*s\"\nwant: \"%s\"\n", (int)buf_pending(out),
                    (const char *)buf_head(out), text);
    assert_int_equal(buf_pending(out), n);
    assert_memory_equal(buf_head(out), text, n);
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
    t->st = calloc(1, smtp_preamble.size);
    assert_non_null(t->st);
    buf_init(&t->in);
    buf_init(&t->out);
}

static enum preamble_result pre_bytes(struct pre *t, const void *data,
                                      size_t n)
{
    assert_int_equal(buf_append(&t->in, data, n), 0);
    return smtp_preamble.input(t->st, &t->d, &t->in, &t->out, &t->why);
}

static enum preamble_result pre_feed(struct pre *t, const char *text)
{
    return pre_bytes(t, text, strlen(text));
}

/* Greets and checks the greeting. */
static void pre_greet(struct pre *t)
{
    assert_int_equal(pre_feed(t, ""), PREAMBLE_MORE);
    assert_out(&t->out, GREETING);
}

static void pre_end(struct pre *t)
{
    smtp_preamble.clear(t->st);
    free(t->st);
    buf_free(&t->in);
    buf_free(&t->out);
}

static void test_greeting(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    assert_string_equal(t.d.step, "greeting");
    assert_int_equal(t.d.commands, 0);
    /* Greeted once: another call with nothing in adds nothing. */
    assert_int_equal(pre_feed(&t, ""), PREAMBLE_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    /* Half a command is waited for. */
    assert_int_equal(pre_feed(&t, "EHL"), PREAMBLE_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(t.d.commands, 0);
    pre_end(&t);
}

static void test_ehlo(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "EHLO client.example\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, EHLO_PLAIN);
    assert_string_equal(t.d.step, "EHLO");
    assert_int_equal(t.d.commands, 1);
    /* Verbs are case-insensitive (RFC 5321 section 2.4); a lone LF ends
     * a line too; EHLO without a name is still answered. */
    assert_int_equal(pre_feed(&t, "ehlo\n"), PREAMBLE_MORE);
    assert_out(&t.out, "250-localhost greets you\r\n"
                       "250-SIZE 10485760\r\n"
                       "250-8BITMIME\r\n"
                       "250-STARTTLS\r\n"
                       "250 ENHANCEDSTATUSCODES\r\n");
    assert_int_equal(t.d.commands, 2);
    assert_null(t.d.misstep);
    pre_end(&t);
}

static void test_helo(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "HELO client.example\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "250 localhost\r\n");
    assert_string_equal(t.d.step, "HELO");
    assert_int_equal(pre_feed(&t, "NOOP\r\nRSET\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "250 2.0.0 OK\r\n250 2.0.0 OK\r\n");
    assert_int_equal(t.d.commands, 3);
    pre_end(&t);
}

static void test_go_ahead(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    /* openssl s_client -starttls smtp: EHLO, STARTTLS, then the
     * ClientHello, which stays in in for the TLS layer. */
    assert_int_equal(pre_feed(&t, "EHLO client.example\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, EHLO_PLAIN);
    assert_int_equal(pre_bytes(&t, "STARTTLS\r\n" CLIENT_HELLO,
                               10 + sizeof(CLIENT_HELLO) - 1),
                     PREAMBLE_TLS);
    assert_out(&t.out, "220 2.0.0 Ready to start TLS\r\n");
    assert_int_equal(buf_pending(&t.in), sizeof(CLIENT_HELLO) - 1);
    assert_memory_equal(buf_head(&t.in), CLIENT_HELLO,
                        sizeof(CLIENT_HELLO) - 1);
    assert_string_equal(t.d.step, "STARTTLS");
    assert_int_equal(t.d.commands, 2);
    assert_null(t.d.misstep);
    pre_end(&t);

    /* Commands pipelined after STARTTLS are not answered in the clear:
     * they are the TLS layer's, which fails on them (CVE-2011-0411). */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "starttls\r\nMAIL FROM:<a@b>\r\n"),
                     PREAMBLE_TLS);
    assert_out(&t.out, "220 2.0.0 Ready to start TLS\r\n");
    assert_int_equal(buf_pending(&t.in), 17);
    assert_memory_equal(buf_head(&t.in), "MAIL FROM:<a@b>\r\n", 17);
    assert_null(t.d.misstep);
    pre_end(&t);
}

static void test_starttls_argument(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    /* RFC 3207 section 4: STARTTLS takes no parameters. */
    assert_int_equal(pre_feed(&t, "STARTTLS now\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "501 5.5.4 Syntax: STARTTLS\r\n");
    assert_int_equal(pre_feed(&t, "STARTTLS\r\n"), PREAMBLE_TLS);
    assert_out(&t.out, "220 2.0.0 Ready to start TLS\r\n");
    assert_int_equal(buf_pending(&t.in), 0);
    pre_end(&t);
}

static void test_strip(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    t.d.strip = true;
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "EHLO client.example\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, EHLO_AUTH);
    /* STARTTLS anyway: it is not there. */
    assert_int_equal(pre_feed(&t, "STARTTLS\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "502 5.5.1 Command not implemented\r\n");
    assert_int_equal(pre_feed(&t, "STARTTLS x\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "502 5.5.1 Command not implemented\r\n");
    assert_null(t.d.misstep);
    /* The client takes the AUTH offer, with its initial response (RFC
     * 4954 section 4): the password is on this line. */
    assert_int_equal(pre_feed(&t, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
                     PREAMBLE_CLOSE);
    assert_out(&t.out, MUST_STARTTLS);
    assert_string_equal(t.why, CREDENTIALS);
    assert_string_equal(t.d.misstep, CREDENTIALS);
    assert_string_equal(t.d.step, "AUTH");
    pre_end(&t);

    /* Without it: the server asks, the credentials come next. */
    pre_start(&t);
    t.d.strip = true;
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "EHLO client.example\r\nAUTH PLAIN\r\n"),
                     PREAMBLE_MORE);
    assert_out(&t.out, EHLO_AUTH "334 \r\n");
    assert_null(t.d.misstep);
    assert_int_equal(pre_feed(&t, "AGFsaWNlAHNlY3JldA==\r\n"),
                     PREAMBLE_CLOSE);
    assert_out(&t.out, MUST_STARTTLS);
    assert_string_equal(t.why, CREDENTIALS);
    assert_string_equal(t.d.misstep, CREDENTIALS);
    /* The credentials are not a command: the trace shows AUTH, not a
     * piece of the password. */
    assert_string_equal(t.d.step, "AUTH");
    assert_int_equal(t.d.commands, 2);
    pre_end(&t);

    /* AUTH LOGIN: the user name is the next line. */
    pre_start(&t);
    t.d.strip = true;
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "AUTH LOGIN\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "334 \r\n");
    assert_int_equal(pre_feed(&t, "YWxpY2U=\r\n"), PREAMBLE_CLOSE);
    assert_out(&t.out, MUST_STARTTLS);
    assert_string_equal(t.d.misstep, CREDENTIALS);
    pre_end(&t);
}

static void test_refuse(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    t.d.refuse = true;
    pre_greet(&t);
    /* Offered (AUTH still not), then refused. */
    assert_int_equal(pre_feed(&t, "EHLO client.example\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, EHLO_PLAIN);
    assert_int_equal(pre_feed(&t, "STARTTLS\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "454 4.7.0 TLS not available due to temporary "
                       "reason\r\n");
    assert_null(t.d.misstep);
    /* The dialogue goes on in plaintext, and a retry is refused too. */
    assert_int_equal(pre_feed(&t, "NOOP\r\nEHLO client.example\r\n"),
                     PREAMBLE_MORE);
    assert_out(&t.out, "250 2.0.0 OK\r\n" EHLO_PLAIN);
    assert_int_equal(pre_feed(&t, "STARTTLS\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "454 4.7.0 TLS not available due to temporary "
                       "reason\r\n");
    /* A client that sends the mail anyway. */
    assert_int_equal(pre_feed(&t, "MAIL FROM:<alice@example.com>\r\n"),
                     PREAMBLE_CLOSE);
    assert_out(&t.out, MUST_STARTTLS);
    assert_string_equal(t.d.misstep, "the client sent mail without TLS");
    assert_int_equal(t.d.commands, 6);
    pre_end(&t);
}

static void test_inject(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    t.d.inject = "250 injected\r\n";
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "STARTTLS\r\n"), PREAMBLE_TLS);
    /* The injected line right after the go-ahead, in the same write. */
    assert_out(&t.out, "220 2.0.0 Ready to start TLS\r\n250 injected\r\n");
    assert_int_equal(buf_pending(&t.in), 0);
    pre_end(&t);

    /* Nothing injected where there is no go-ahead. */
    pre_start(&t);
    t.d.inject = "250 injected\r\n";
    t.d.refuse = true;
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "STARTTLS\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "454 4.7.0 TLS not available due to temporary "
                       "reason\r\n");
    pre_end(&t);
}

static void test_mail_before_tls(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(
        pre_feed(&t, "EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n"
                     "RCPT TO:<bob@example.com>\r\n"),
        PREAMBLE_CLOSE);
    assert_out(&t.out, EHLO_PLAIN MUST_STARTTLS);
    assert_string_equal(t.why, "the client sent mail without TLS");
    assert_string_equal(t.d.misstep, "the client sent mail without TLS");
    assert_string_equal(t.d.step, "MAIL");
    pre_end(&t);

    /* AUTH where it was not offered is the same as where it was. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
                     PREAMBLE_CLOSE);
    assert_out(&t.out, MUST_STARTTLS);
    assert_string_equal(t.why, CREDENTIALS);
    assert_string_equal(t.d.misstep, CREDENTIALS);
    pre_end(&t);
}

static void test_quit(void **state)
{
    struct pre t;
    (void)state;
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "EHLO client.example\r\nQUIT\r\nNOOP\r\n"),
                     PREAMBLE_CLOSE);
    assert_out(&t.out, EHLO_PLAIN "221 2.0.0 Bye\r\n");
    assert_string_equal(t.why, "the client quit before TLS");
    assert_null(t.d.misstep);
    assert_string_equal(t.d.step, "QUIT");
    pre_end(&t);
}

static void test_client_hello_first(void **state)
{
    struct pre t;
    (void)state;
    /* The client takes the port for SMTPS. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_bytes(&t, CLIENT_HELLO, sizeof(CLIENT_HELLO) - 1),
                     PREAMBLE_CLOSE);
    assert_string_equal(t.why, "the client started TLS without STARTTLS");
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(t.d.commands, 0);
    pre_end(&t);

    /* The one byte is enough, and it may come with the first call. */
    pre_start(&t);
    assert_int_equal(pre_bytes(&t, "\x16", 1), PREAMBLE_CLOSE);
    assert_out(&t.out, GREETING);
    assert_string_equal(t.why, "the client started TLS without STARTTLS");
    pre_end(&t);

    /* After a command too: no command starts with 0x16, and a client
     * that starts TLS after a STARTTLS that was not granted (s_client
     * "trying anyway") is told so. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "NOOP\r\n"), PREAMBLE_MORE);
    assert_out(&t.out, "250 2.0.0 OK\r\n");
    assert_int_equal(pre_bytes(&t, CLIENT_HELLO, sizeof(CLIENT_HELLO) - 1),
                     PREAMBLE_CLOSE);
    assert_string_equal(t.why, "the client started TLS without STARTTLS");
    pre_end(&t);
}

static void test_garbage(void **state)
{
    struct pre t;
    (void)state;
    /* An HTTP client on the SMTP port: three lines that are not SMTP. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "GET / HTTP/1.1\r\nHost: localhost\r\n"),
                     PREAMBLE_MORE);
    assert_out(&t.out, "500 5.5.2 Command not recognized\r\n"
                       "500 5.5.2 Command not recognized\r\n");
    assert_int_equal(pre_feed(&t, "\r\n"), PREAMBLE_CLOSE);
    assert_out(&t.out, "421 4.7.0 Too many errors\r\n");
    assert_string_equal(t.why, "the client sent commands that are not SMTP");
    assert_null(t.d.misstep);
    pre_end(&t);

    /* The count is of errors in a row: a command in between resets it. */
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, "X\r\nY\r\nNOOP\r\nX\r\nY\r\n"),
                     PREAMBLE_MORE);
    assert_out(&t.out, "500 5.5.2 Command not recognized\r\n"
                       "500 5.5.2 Command not recognized\r\n"
                       "250 2.0.0 OK\r\n"
                       "500 5.5.2 Command not recognized\r\n"
                       "500 5.5.2 Command not recognized\r\n");
    assert_int_equal(pre_feed(&t, "Z\r\n"), PREAMBLE_CLOSE);
    assert_out(&t.out, "421 4.7.0 Too many errors\r\n");
    pre_end(&t);
}

static void test_line_over_limit(void **state)
{
    struct pre t;
    char line[DIALOGUE_MAX_LINE + 2];
    (void)state;
    /* The longest line taken: DIALOGUE_MAX_LINE - 1 bytes before LF. */
    memset(line, 'x', sizeof(line));
    memcpy(line, "EHLO ", 5);
    line[DIALOGUE_MAX_LINE - 1] = '\n';
    line[DIALOGUE_MAX_LINE] = '\0';
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, line), PREAMBLE_MORE);
    assert_true(buf_pending(&t.out) > DIALOGUE_MAX_LINE);
    assert_memory_equal(buf_head(&t.out), "250-localhost greets xxx", 24);
    pre_end(&t);

    /* One more byte is over, with or without its LF. */
    line[DIALOGUE_MAX_LINE - 1] = 'x';
    line[DIALOGUE_MAX_LINE] = '\n';
    line[DIALOGUE_MAX_LINE + 1] = '\0';
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_feed(&t, line), PREAMBLE_CLOSE);
    assert_out(&t.out, "500 5.5.2 Line too long\r\n");
    assert_string_equal(t.why, "the client sent a line over the limit");
    pre_end(&t);

    line[DIALOGUE_MAX_LINE] = '\0';
    pre_start(&t);
    pre_greet(&t);
    assert_int_equal(pre_bytes(&t, line, DIALOGUE_MAX_LINE - 1),
                     PREAMBLE_MORE);
    assert_int_equal(pre_bytes(&t, "x", 1), PREAMBLE_CLOSE);
    assert_out(&t.out, "500 5.5.2 Line too long\r\n");
    assert_string_equal(t.why, "the client sent a line over the limit");
    assert_int_equal(t.d.commands, 0);
    pre_end(&t);
}

static void test_preamble_flood(void **state)
{
    struct pre t;
    struct buf want;
    (void)state;
    pre_start(&t);
    buf_init(&want);
    pre_greet(&t);
    /* Every command up to the limit is answered, the next is not. */
    for (int i = 0; i < DIALOGUE_MAX_COMMANDS + 5; i++)
        assert_int_equal(buf_append(&t.in, "NOOP\r\n", 6), 0);
    for (int i = 0; i < DIALOGUE_MAX_COMMANDS; i++)
        assert_int_equal(buf_append(&want, "250 2.0.0 OK\r\n", 14), 0);
    assert_int_equal(buf_append(&want, "421 4.7.0 Too many commands\r\n", 29),
                     0);
    assert_int_equal(pre_feed(&t, ""), PREAMBLE_CLOSE);
    assert_int_equal(buf_pending(&t.out), buf_pending(&want));
    assert_memory_equal(buf_head(&t.out), buf_head(&want),
                        buf_pending(&want));
    assert_string_equal(t.why, "the client sent too many commands");
    assert_int_equal(t.d.commands, DIALOGUE_MAX_COMMANDS + 1);
    buf_free(&want);
    pre_end(&t);
}

/* Feeds text one byte at a time; returns the first result that is not
 * PREAMBLE_MORE and where (the bytes fed), or PREAMBLE_MORE. */
static enum preamble_result pre_drip(struct pre *t, const char *text,
                                     size_t n, size_t *at)
{
    for (*at = 0; *at < n;) {
        enum preamble_result r = pre_bytes(t, text + (*at)++, 1);
        if (r != PREAMBLE_MORE)
            return r;
    }
    return PREAMBLE_MORE;
}

static void test_preamble_byte_at_a_time(void **state)
{
    static const char go[] = "EHLO client.example\r\nNOOP\r\nHELO x\r\n"
                             "STARTTLS\r\n" CLIENT_HELLO;
    static const char stripped[] = "EHLO client.example\r\nSTARTTLS\r\n"
                                   "AUTH LOGIN\r\nYWxpY2U=\r\n";
    struct pre whole, bytes;
    size_t at;
    (void)state;
    pre_start(&whole);
    pre_start(&bytes);
    assert_int_equal(pre_bytes(&whole, go, sizeof(go) - 1), PREAMBLE_TLS);
    assert_int_equal(pre_drip(&bytes, go, sizeof(go) - 1, &at), PREAMBLE_TLS);
    /* TLS starts on STARTTLS's LF, before the ClientHello. */
    assert_int_equal(at, sizeof(go) - sizeof(CLIENT_HELLO));
    assert_int_equal(buf_pending(&bytes.in), 0);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), GREETING, strlen(GREETING));
    assert_string_equal(bytes.d.step, "STARTTLS");
    assert_int_equal(bytes.d.commands, whole.d.commands);
    pre_end(&whole);
    pre_end(&bytes);

    pre_start(&whole);
    pre_start(&bytes);
    whole.d.strip = bytes.d.strip = true;
    assert_int_equal(pre_bytes(&whole, stripped, sizeof(stripped) - 1),
                     PREAMBLE_CLOSE);
    assert_int_equal(pre_drip(&bytes, stripped, sizeof(stripped) - 1, &at),
                     PREAMBLE_CLOSE);
    assert_int_equal(at, sizeof(stripped) - 1);
    assert_string_equal(bytes.why, whole.why);
    assert_string_equal(bytes.d.misstep, CREDENTIALS);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    pre_end(&whole);
    pre_end(&bytes);
}

/* ---- after TLS --------------------------------------------------------- */

struct app {
    const struct app_ops *ops;
    struct dialogue d;
    void *st;
    struct buf out;
    struct app_request req;
};

/* After STARTTLS (smtp_app), or implicit TLS (smtps_app). */
static void app_start(struct app *t, const struct app_ops *ops)
{
    memset(t, 0, sizeof(*t));
    t->ops = ops;
    t->d.scenario = "expired";
    t->d.host = "localhost";
    t->d.commands = ops == &smtp_app ? 2 : 0; /* EHLO, STARTTLS */
    t->st = calloc(1, ops->size);
    assert_non_null(t->st);
    buf_init(&t->out);
    assert_int_equal(ops->open(t->st, &t->d, &t->out), 0);
}

static enum app_result app_bytes(struct app *t, const void *data, size_t n)
{
    return t->ops->input(t->st, data, n, &t->req, &t->out);
}

static enum app_result app_feed(struct app *t, const char *text)
{
    return text ? app_bytes(t, text, strlen(text)) : app_bytes(t, NULL, 0);
}

/* EHLO, then MAIL FROM:<alice@example.com> answered 200. */
static void app_mail(struct app *t)
{
    assert_int_equal(app_feed(t, "EHLO client.example\r\n"), APP_MORE);
    assert_out(&t->out, EHLO_AUTH);
    assert_int_equal(app_feed(t, "MAIL FROM:<alice@example.com>\r\n"),
                     APP_REQUEST);
    assert_int_equal(buf_pending(&t->out), 0);
    assert_int_equal(t->ops->respond(t->st, 200, &page, &t->out), 1);
    assert_out(&t->out, SENDER_OK);
    assert_int_equal(app_feed(t, NULL), APP_MORE);
    assert_int_equal(buf_pending(&t->out), 0);
}

static void app_end(struct app *t)
{
    t->ops->clear(t->st);
    free(t->st);
    buf_free(&t->out);
}

static void test_smtps_greeting(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtps_app);
    assert_out(&t.out, GREETING);
    assert_string_equal(t.d.step, "greeting");
    assert_int_equal(t.d.commands, 0);
    assert_int_equal(app_feed(&t, NULL), APP_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    app_end(&t);

    /* After STARTTLS the client speaks first (RFC 3207 section 4.2). */
    app_start(&t, &smtp_app);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(app_feed(&t, NULL), APP_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    app_end(&t);
}

static void test_app_ehlo(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtp_app);
    assert_int_equal(app_feed(&t, "EHLO client.example\r\n"), APP_MORE);
    assert_out(&t.out, EHLO_AUTH);
    assert_string_equal(t.d.step, "EHLO");
    assert_int_equal(t.d.commands, 3);
    assert_int_equal(app_feed(&t, "HELO client.example\r\nNOOP\r\nRSET\r\n"),
                     APP_MORE);
    assert_out(&t.out, "250 localhost\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n");
    /* Already inside TLS. */
    assert_int_equal(app_feed(&t, "STARTTLS\r\n"), APP_MORE);
    assert_out(&t.out, "503 5.5.1 TLS already active\r\n");
    app_end(&t);
}

static void test_auth(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtps_app);
    buf_consume(&t.out, buf_pending(&t.out));
    /* PLAIN with its initial response (RFC 4954 section 4). */
    assert_int_equal(app_feed(&t, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
                     APP_MORE);
    assert_out(&t.out, "235 2.7.0 Authentication successful\r\n");
    /* PLAIN without: an empty challenge, then the response. */
    assert_int_equal(app_feed(&t, "auth plain\r\n"), APP_MORE);
    assert_out(&t.out, "334 \r\n");
    assert_int_equal(app_feed(&t, "AGFsaWNlAHNlY3JldA==\r\n"), APP_MORE);
    assert_out(&t.out, "235 2.7.0 Authentication successful\r\n");
    /* LOGIN asks "Username:" and "Password:" in base64. */
    assert_int_equal(app_feed(&t, "AUTH LOGIN\r\n"), APP_MORE);
    assert_out(&t.out, "334 VXNlcm5hbWU6\r\n");
    assert_int_equal(app_feed(&t, "YWxpY2U=\r\n"), APP_MORE);
    assert_out(&t.out, "334 UGFzc3dvcmQ6\r\n");
    assert_int_equal(app_feed(&t, "c2VjcmV0\r\n"), APP_MORE);
    assert_out(&t.out, "235 2.7.0 Authentication successful\r\n");
    /* LOGIN with the user name on the line: only the password is asked. */
    assert_int_equal(app_feed(&t, "AUTH LOGIN YWxpY2U=\r\nc2VjcmV0\r\n"),
                     APP_MORE);
    assert_out(&t.out, "334 UGFzc3dvcmQ6\r\n"
                       "235 2.7.0 Authentication successful\r\n");
    assert_int_equal(app_feed(&t, "AUTH CRAM-MD5\r\n"), APP_MORE);
    assert_out(&t.out, "504 5.5.4 Unrecognized authentication type\r\n");
    /* The credentials lines are not commands. */
    assert_int_equal(t.d.commands, 5);
    assert_string_equal(t.d.step, "AUTH");
    assert_null(t.d.misstep);
    app_end(&t);
}

static void test_dialogue(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtp_app);
    assert_int_equal(app_feed(&t, "EHLO client.example\r\n"
                                  "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
                     APP_MORE);
    assert_out(&t.out, EHLO_AUTH "235 2.7.0 Authentication successful\r\n");
    assert_int_equal(app_feed(&t, "MAIL FROM:<alice@example.com> SIZE=120\r\n"),
                     APP_REQUEST);
    assert_string_equal(t.req.method, "MAIL");
    assert_string_equal(t.req.target, "<alice@example.com> SIZE=120");
    assert_string_equal(t.req.protocol, "SMTP");
    assert_false(t.req.grpc);
    assert_string_equal(t.d.step, "MAIL");
    /* The connection answers it. */
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(smtp_app.respond(t.st, 200, &page, &t.out), 1);
    assert_out(&t.out, SENDER_OK);
    assert_int_equal(app_feed(&t, NULL), APP_MORE);
    assert_int_equal(buf_pending(&t.out), 0);

    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\n"), APP_MORE);
    assert_out(&t.out, "250 2.1.5 Recipient OK\r\n");
    assert_int_equal(app_feed(&t, "RCPT TO:<carol@example.com>\r\n"),
                     APP_MORE);
    assert_out(&t.out, "250 2.1.5 Recipient OK\r\n");
    assert_int_equal(app_feed(&t, "DATA\r\n"), APP_MORE);
    assert_out(&t.out, "354 End data with <CR><LF>.<CR><LF>\r\n");
    /* The message: commands in it are text, a stuffed dot is not the
     * end (RFC 5321 section 4.5.2), the lone dot is. */
    assert_int_equal(app_feed(&t, "Subject: test\r\n\r\nQUIT\r\n..\r\n"
                                  ". not yet\r\n"),
                     APP_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(app_feed(&t, ".\r\n"), APP_MORE);
    assert_out(&t.out, ACCEPTED);
    assert_string_equal(t.d.step, "end of DATA");
    /* The transaction is over. */
    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\n"), APP_MORE);
    assert_out(&t.out, "503 5.5.1 MAIL first\r\n");
    assert_int_equal(app_feed(&t, "QUIT\r\n"), APP_DONE);
    assert_out(&t.out, "221 2.0.0 Bye\r\n");
    assert_string_equal(t.d.step, "QUIT");
    assert_int_equal(t.d.commands, 10);
    assert_null(t.d.misstep);
    app_end(&t);
}

static void test_pipelined(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtps_app);
    assert_out(&t.out, GREETING);
    assert_int_equal(app_feed(&t, "EHLO client.example\r\n"), APP_MORE);
    assert_out(&t.out, EHLO_AUTH);
    /* RFC 2920: MAIL, RCPT and DATA in one write; what follows MAIL
     * waits for its answer. */
    assert_int_equal(app_feed(&t, "MAIL FROM:<alice@example.com>\r\n"
                                  "RCPT TO:<bob@example.com>\r\n"
                                  "DATA\r\n"),
                     APP_REQUEST);
    assert_string_equal(t.req.target, "<alice@example.com>");
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(smtps_app.respond(t.st, 200, &page, &t.out), 1);
    assert_out(&t.out, SENDER_OK);
    assert_int_equal(app_feed(&t, NULL), APP_MORE);
    assert_out(&t.out, "250 2.1.5 Recipient OK\r\n"
                       "354 End data with <CR><LF>.<CR><LF>\r\n");
    assert_int_equal(app_feed(&t, "hello\r\n.\r\nQUIT\r\n"), APP_DONE);
    assert_out(&t.out, ACCEPTED "221 2.0.0 Bye\r\n");
    app_end(&t);

    /* Everything in one write, QUIT included. */
    app_start(&t, &smtp_app);
    assert_int_equal(app_feed(&t, "EHLO client.example\r\n"
                                  "MAIL FROM:<alice@example.com>\r\n"
                                  "RCPT TO:<bob@example.com>\r\n"
                                  "DATA\r\nhello\r\n.\r\nQUIT\r\n"),
                     APP_REQUEST);
    assert_out(&t.out, EHLO_AUTH);
    assert_int_equal(smtp_app.respond(t.st, 200, &page, &t.out), 1);
    assert_int_equal(app_feed(&t, NULL), APP_DONE);
    assert_out(&t.out, SENDER_OK "250 2.1.5 Recipient OK\r\n"
                                 "354 End data with <CR><LF>.<CR><LF>\r\n"
                                 ACCEPTED "221 2.0.0 Bye\r\n");
    app_end(&t);
}

static void test_refused(void **state)
{
    struct app t;
    struct app_page refused = page;
    (void)state;
    refused.note = NOTE;
    app_start(&t, &smtp_app);
    assert_int_equal(app_feed(&t, "EHLO client.example\r\n"), APP_MORE);
    assert_out(&t.out, EHLO_AUTH);
    assert_int_equal(app_feed(&t, "MAIL FROM:<alice@example.com>\r\n"
                                  "RCPT TO:<bob@example.com>\r\n"),
                     APP_REQUEST);
    /* Refused, and the client may still QUIT politely. */
    assert_int_equal(smtp_app.respond(t.st, 403, &refused, &t.out), 1);
    assert_out(&t.out, "530 5.7.0 " NOTE "\r\n");
    assert_int_equal(app_feed(&t, NULL), APP_MORE);
    assert_out(&t.out, "503 5.5.1 MAIL first\r\n");
    assert_int_equal(app_feed(&t, "DATA\r\n"), APP_MORE);
    assert_out(&t.out, "503 5.5.1 RCPT first\r\n");
    /* A second try is refused the same way, not taken. */
    assert_int_equal(app_feed(&t, "RSET\r\nMAIL FROM:<alice@example.com>\r\n"),
                     APP_MORE);
    assert_out(&t.out, "250 2.0.0 OK\r\n530 5.7.0 " NOTE "\r\n");
    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\n"), APP_MORE);
    assert_out(&t.out, "503 5.5.1 MAIL first\r\n");
    assert_int_equal(app_feed(&t, "QUIT\r\n"), APP_DONE);
    assert_out(&t.out, "221 2.0.0 Bye\r\n");
    app_end(&t);
}

static void test_sequence(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtp_app);
    /* RFC 5321 section 3.3: MAIL, then RCPT, then DATA. */
    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\nDATA\r\n"),
                     APP_MORE);
    assert_out(&t.out, "503 5.5.1 MAIL first\r\n503 5.5.1 RCPT first\r\n");
    app_mail(&t);
    assert_int_equal(app_feed(&t, "DATA\r\n"), APP_MORE);
    assert_out(&t.out, "503 5.5.1 RCPT first\r\n");
    assert_int_equal(app_feed(&t, "MAIL FROM:<mallory@example.com>\r\n"),
                     APP_MORE);
    assert_out(&t.out, "503 5.5.1 Nested MAIL command\r\n");
    /* RSET ends the transaction; the next MAIL is answered here, it is
     * not the connection's request again. */
    assert_int_equal(app_feed(&t, "RSET\r\nMAIL FROM:<bob@example.com>\r\n"
                                  "RCPT TO:<alice@example.com>\r\n"),
                     APP_MORE);
    assert_out(&t.out, "250 2.0.0 OK\r\n250 2.1.0 Sender OK\r\n"
                       "250 2.1.5 Recipient OK\r\n");
    /* EHLO ends it too (RFC 5321 section 4.1.4). */
    assert_int_equal(app_feed(&t, "EHLO client.example\r\n"
                                  "RCPT TO:<alice@example.com>\r\n"),
                     APP_MORE);
    assert_out(&t.out, EHLO_AUTH "503 5.5.1 MAIL first\r\n");
    assert_int_equal(app_feed(&t, "STARTTLS\r\n"), APP_MORE);
    assert_out(&t.out, "503 5.5.1 TLS already active\r\n");
    app_end(&t);
}

static void test_message_too_big(void **state)
{
    /* Lines of 1022 bytes and their CRLF: 10240 of them are 10 MiB. */
    enum { LINE = 1022, LINES = SMTP_MAX_MESSAGE / (LINE + 2) };
    struct app t;
    struct buf message;
    char line[LINE + 3];
    (void)state;
    memset(line, 'm', LINE);
    memcpy(line + LINE, "\r\n", 3);
    buf_init(&message);
    for (int i = 0; i < LINES; i++)
        assert_int_equal(buf_append(&message, line, LINE + 2), 0);
    assert_int_equal(buf_pending(&message), SMTP_MAX_MESSAGE);

    /* SMTP_MAX_MESSAGE exactly is taken. */
    app_start(&t, &smtp_app);
    app_mail(&t);
    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\nDATA\r\n"),
                     APP_MORE);
    buf_consume(&t.out, buf_pending(&t.out));
    assert_int_equal(
        app_bytes(&t, buf_head(&message), buf_pending(&message)), APP_MORE);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(app_feed(&t, ".\r\n"), APP_MORE);
    assert_out(&t.out, ACCEPTED);
    app_end(&t);

    /* One empty line more is over. */
    app_start(&t, &smtp_app);
    app_mail(&t);
    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\nDATA\r\n"),
                     APP_MORE);
    buf_consume(&t.out, buf_pending(&t.out));
    assert_int_equal(
        app_bytes(&t, buf_head(&message), buf_pending(&message)), APP_MORE);
    assert_int_equal(app_feed(&t, "\r\n.\r\n"), APP_BAD);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(smtp_app.respond(t.st, 400, &page, &t.out), 0);
    assert_out(&t.out, "552 5.3.4 Message too big\r\n");
    app_end(&t);
    buf_free(&message);
}

static void test_app_garbage(void **state)
{
    struct app t;
    (void)state;
    app_start(&t, &smtp_app);
    assert_int_equal(app_feed(&t, "X\r\nY\r\nNOOP\r\nX\r\nY\r\n"), APP_MORE);
    assert_out(&t.out, "500 5.5.2 Command not recognized\r\n"
                       "500 5.5.2 Command not recognized\r\n"
                       "250 2.0.0 OK\r\n"
                       "500 5.5.2 Command not recognized\r\n"
                       "500 5.5.2 Command not recognized\r\n");
    assert_int_equal(app_feed(&t, "Z\r\nNOOP\r\n"), APP_BAD);
    assert_int_equal(buf_pending(&t.out), 0);
    assert_int_equal(smtp_app.respond(t.st, 400, &page, &t.out), 0);
    assert_out(&t.out, "421 4.7.0 Too many errors\r\n");
    app_end(&t);
}

static void test_app_line_over_limit(void **state)
{
    struct app t;
    char line[DIALOGUE_MAX_LINE + 1];
    (void)state;
    memset(line, 'x', sizeof(line));
    line[DIALOGUE_MAX_LINE] = '\0';
    app_start(&t, &smtp_app);
    assert_int_equal(app_bytes(&t, line, DIALOGUE_MAX_LINE - 1), APP_MORE);
    assert_int_equal(app_feed(&t, "x"), APP_BAD);
    assert_int_equal(smtp_app.respond(t.st, 400, &page, &t.out), 0);
    assert_out(&t.out, "500 5.5.2 Line too long\r\n");
    app_end(&t);

    /* In the message too. */
    app_start(&t, &smtp_app);
    app_mail(&t);
    assert_int_equal(app_feed(&t, "RCPT TO:<bob@example.com>\r\nDATA\r\n"),
                     APP_MORE);
    buf_consume(&t.out, buf_pending(&t.out));
    assert_int_equal(app_feed(&t, line), APP_BAD);
    assert_int_equal(smtp_app.respond(t.st, 400, &page, &t.out), 0);
    assert_out(&t.out, "500 5.5.2 Line too long\r\n");
    app_end(&t);
}

static void test_app_flood(void **state)
{
    struct app t;
    struct buf flood;
    (void)state;
    app_start(&t, &smtp_app);
    buf_init(&flood);
    /* The limit counts the two commands before TLS. */
    for (int i = 0; i < DIALOGUE_MAX_COMMANDS; i++)
        assert_int_equal(buf_append(&flood, "NOOP\r\n", 6), 0);
    assert_int_equal(app_bytes(&t, buf_head(&flood), buf_pending(&flood)),
                     APP_BAD);
    assert_int_equal(buf_pending(&t.out), 14 * (DIALOGUE_MAX_COMMANDS - 2));
    buf_consume(&t.out, buf_pending(&t.out));
    assert_int_equal(t.d.commands, DIALOGUE_MAX_COMMANDS + 1);
    assert_int_equal(smtp_app.respond(t.st, 400, &page, &t.out), 0);
    assert_out(&t.out, "421 4.7.0 Too many commands\r\n");
    buf_free(&flood);
    app_end(&t);
}

/* The whole dialogue a byte at a time writes what it does at once. */
static void test_app_byte_at_a_time(void **state)
{
    static const char mail[] = "EHLO client.example\r\n"
                               "AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n"
                               "MAIL FROM:<alice@example.com>\r\n";
    static const char rest[] = "RCPT TO:<bob@example.com>\r\nDATA\r\n"
                               "Subject: x\r\n\r\n..\r\n.\r\nNOOP\r\nQUIT\r\n";
    struct app whole, bytes;
    (void)state;
    app_start(&whole, &smtps_app);
    assert_int_equal(app_feed(&whole, mail), APP_REQUEST);
    assert_int_equal(smtps_app.respond(whole.st, 200, &page, &whole.out), 1);
    assert_int_equal(app_feed(&whole, NULL), APP_MORE);
    assert_int_equal(app_feed(&whole, rest), APP_DONE);

    app_start(&bytes, &smtps_app);
    for (size_t i = 0; i + 1 < sizeof(mail) - 1; i++)
        assert_int_equal(app_bytes(&bytes, mail + i, 1), APP_MORE);
    assert_int_equal(app_bytes(&bytes, mail + sizeof(mail) - 2, 1),
                     APP_REQUEST);
    assert_string_equal(bytes.req.target, "<alice@example.com>");
    assert_int_equal(smtps_app.respond(bytes.st, 200, &page, &bytes.out), 1);
    assert_int_equal(app_feed(&bytes, NULL), APP_MORE);
    enum app_result r = APP_MORE;
    for (size_t i = 0; i < sizeof(rest) - 1; i++) {
        assert_int_equal(r, APP_MORE);
        r = app_bytes(&bytes, rest + i, 1);
    }
    assert_int_equal(r, APP_DONE);
    assert_int_equal(buf_pending(&bytes.out), buf_pending(&whole.out));
    assert_memory_equal(buf_head(&bytes.out), buf_head(&whole.out),
                        buf_pending(&whole.out));
    assert_int_equal(bytes.d.commands, whole.d.commands);
    assert_out(&bytes.out,
               GREETING EHLO_AUTH "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
                                  "235 2.7.0 Authentication successful\r\n"
               SENDER_OK "250 2.1.5 Recipient OK\r\n"
                         "354 End data with <CR><LF>.<CR><LF>\r\n" ACCEPTED
                         "250 2.0.0 OK\r\n221 2.0.0 Bye\r\n");
    app_end(&whole);
    app_end(&bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_ehlo),
        cmocka_unit_test(test_helo),
        cmocka_unit_test(test_go_ahead),
        cmocka_unit_test(test_starttls_argument),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_inject),
        cmocka_unit_test(test_mail_before_tls),
        cmocka_unit_test(test_quit),
        cmocka_unit_test(test_client_hello_first),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_line_over_limit),
        cmocka_unit_test(test_preamble_flood),
        cmocka_unit_test(test_preamble_byte_at_a_time),
        cmocka_unit_test(test_smtps_greeting),
        cmocka_unit_test(test_app_ehlo),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_dialogue),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_message_too_big),
        cmocka_unit_test(test_app_garbage),
        cmocka_unit_test(test_app_line_over_limit),
        cmocka_unit_test(test_app_flood),
        cmocka_unit_test(test_app_byte_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
