/*
 * The POP3 dialogue over byte buffers: the greeting, CAPA, the STLS
 * go-ahead and what the client pipelined after it, strip, refuse, inject,
 * credentials in the clear, garbage and the limits before TLS; after it,
 * the login as curl and poplib send it, the answers, and QUIT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialogue.h"
#include "pop3.h"

static const char GREETING[] = "+OK shakedown scenario expired ready\r\n";
static const char CAPA_PLAIN[] = "+OK Capability list follows\r\n"
                                 "USER\r\n"
                                 "STLS\r\n"
                                 "IMPLEMENTATION shakedown\r\n"
                                 ".\r\n";
static const char CAPA_TLS[] = "+OK Capability list follows\r\n"
                               "USER\r\n"
                               "UIDL\r\n"
                               "RESP-CODES\r\n"
                               "AUTH-RESP-CODE\r\n"
                               "IMPLEMENTATION shakedown\r\n"
                               ".\r\n";
static const char REFUSAL[] =
    "-ERR [SYS/PERM] Issue STLS first: no credentials in the clear\r\n";

#define FIXTURE_PREAMBLE pop3_preamble
#define FIXTURE_COMMANDS 2 /* CAPA and STLS before TLS */
#include "dialogue_fixture.h"

static void test_greeting(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_string_equal(p.d.step, "greeting");
    assert_int_equal(p.d.commands, 0);
    /* Input with nothing new says nothing more. */
    assert_int_equal(pre_say(&p, ""), PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p.out), 0);
    pre_end(&p);
}

static void test_capa_and_go_ahead(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "capa\r\n"), PREAMBLE_MORE);
    said(&p.out, CAPA_PLAIN);
    assert_string_equal(p.d.step, "CAPA");
    /* What follows STLS is the TLS layer's, not the dialogue's. */
    assert_int_equal(pre_say(&p, "STLS\r\n\x16\x03\x01"), PREAMBLE_TLS);
    said(&p.out, "+OK Begin TLS negotiation\r\n");
    assert_int_equal(buf_pending(&p.in), 3);
    assert_memory_equal(buf_head(&p.in), "\x16\x03\x01", 3);
    assert_string_equal(p.d.step, "STLS");
    assert_int_equal(p.d.commands, 2);
    assert_null(p.d.misstep);
    pre_end(&p);
}

/* A command pipelined after STLS stays unread (CVE-2011-0411). */
static void test_pipelined_after_stls(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "STLS\r\nUSER u\r\n"), PREAMBLE_TLS);
    said(&p.out, "+OK Begin TLS negotiation\r\n");
    assert_int_equal(buf_pending(&p.in), 8);
    assert_memory_equal(buf_head(&p.in), "USER u\r\n", 8);
    assert_null(p.d.misstep);
    pre_end(&p);
}

static void test_inject(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    p.d.inject = "+OK injected\r\n";
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "STLS\r\n"), PREAMBLE_TLS);
    said(&p.out, "+OK Begin TLS negotiation\r\n+OK injected\r\n");
    pre_end(&p);
}

static void test_strip(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    p.d.strip = true;
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "CAPA\r\n"), PREAMBLE_MORE);
    said(&p.out, "+OK Capability list follows\r\n"
                 "USER\r\n"
                 "IMPLEMENTATION shakedown\r\n"
                 ".\r\n");
    assert_int_equal(pre_say(&p, "STLS\r\n"), PREAMBLE_MORE);
    said(&p.out, "-ERR Unknown command\r\n");
    /* What curl --ssl does next: its user name in the clear. */
    assert_int_equal(pre_say(&p, "USER u\r\n"), PREAMBLE_CLOSE);
    said(&p.out, REFUSAL);
    assert_string_equal(p.why, "the client sent credentials without TLS");
    assert_string_equal(p.d.misstep, "the client sent credentials without TLS");
    pre_end(&p);
}

static void test_refuse(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    p.d.refuse = true;
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "CAPA\r\n"), PREAMBLE_MORE);
    said(&p.out, CAPA_PLAIN);
    assert_int_equal(pre_say(&p, "STLS\r\n"), PREAMBLE_MORE);
    said(&p.out, "-ERR TLS refused\r\n");
    /* The dialogue goes on in the clear. */
    assert_int_equal(pre_say(&p, "STLS\r\nQUIT\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "-ERR TLS refused\r\n+OK shakedown signing off\r\n");
    assert_string_equal(p.why, "the client quit before TLS");
    assert_null(p.d.misstep);
    pre_end(&p);
}

static void test_credentials_in_the_clear(void **unused)
{
    static const char *const lines[] = {"USER u\r\n", "PASS p\r\n",
                                        "APOP u 0123456789abcdef\r\n",
                                        "AUTH PLAIN AHUAcA==\r\n"};
    (void)unused;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct pre p;
        pre_start(&p);
        pre_greet(&p);
        assert_int_equal(pre_say(&p, lines[i]), PREAMBLE_CLOSE);
        said(&p.out, REFUSAL);
        assert_string_equal(p.why, "the client sent credentials without TLS");
        assert_string_equal(p.d.misstep,
                            "the client sent credentials without TLS");
        pre_end(&p);
    }
}

static void test_stls_syntax(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "STLS now\r\n"), PREAMBLE_MORE);
    said(&p.out, "-ERR Syntax: STLS\r\n");
    pre_end(&p);
}

static void test_garbage(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    /* Two errors, then a good command: the count starts again. */
    assert_int_equal(pre_say(&p, "GET / HTTP/1.1\r\n\r\n"), PREAMBLE_MORE);
    said(&p.out, "-ERR Unknown command\r\n-ERR Unknown command\r\n");
    assert_int_equal(pre_say(&p, "CAPA\r\n"), PREAMBLE_MORE);
    said(&p.out, CAPA_PLAIN);
    assert_int_equal(pre_say(&p, "HELO x\r\nNOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "-ERR Unknown command\r\n-ERR Unknown command\r\n");
    assert_int_equal(pre_say(&p, "EHLO x\r\nCAPA\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "-ERR Too many errors\r\n");
    assert_string_equal(p.why, "the client sent commands that are not POP3");
    /* The rest is not read. */
    assert_int_equal(buf_pending(&p.in), 6);
    pre_end(&p);
}

static void test_client_hello_first(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_send(&p, "\x16\x03\x01\x02\x00", 5), PREAMBLE_CLOSE);
    assert_string_equal(p.why, "the client started TLS without STARTTLS");
    assert_int_equal(buf_pending(&p.out), 0);
    assert_int_equal(buf_pending(&p.in), 5);
    pre_end(&p);

    /* After a command too: no command starts with 0x16 (a client that
     * starts TLS though STLS was not granted). */
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "CAPA\r\n"), PREAMBLE_MORE);
    said(&p.out, CAPA_PLAIN);
    assert_int_equal(pre_say(&p, "\x16\x03\r\n"), PREAMBLE_CLOSE);
    assert_string_equal(p.why, "the client started TLS without STARTTLS");
    assert_int_equal(buf_pending(&p.out), 0);
    pre_end(&p);
}

static void test_line_too_long(void **unused)
{
    struct pre p;
    char *line = malloc(DIALOGUE_MAX_LINE + 1);
    (void)unused;
    assert_non_null(line);
    memset(line, 'A', DIALOGUE_MAX_LINE);
    pre_start(&p);
    pre_greet(&p);
    /* Without its LF yet: the limit holds before the end is seen. */
    assert_int_equal(pre_send(&p, line, DIALOGUE_MAX_LINE - 1), PREAMBLE_MORE);
    assert_int_equal(pre_send(&p, line, 1), PREAMBLE_CLOSE);
    said(&p.out, "-ERR Line too long\r\n");
    assert_string_equal(p.why, "the client sent a line over the limit");
    pre_end(&p);

    /* The longest line taken: DIALOGUE_MAX_LINE - 1 bytes before its
     * LF. */
    pre_start(&p);
    pre_greet(&p);
    line[DIALOGUE_MAX_LINE - 1] = '\n';
    assert_int_equal(pre_send(&p, line, DIALOGUE_MAX_LINE), PREAMBLE_MORE);
    said(&p.out, "-ERR Unknown command\r\n");
    pre_end(&p);
    free(line);
}

static void test_command_flood(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    for (int i = 0; i < DIALOGUE_MAX_COMMANDS; i++) {
        assert_int_equal(pre_say(&p, "CAPA\r\n"), PREAMBLE_MORE);
        said(&p.out, CAPA_PLAIN);
    }
    assert_int_equal(pre_say(&p, "CAPA\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "-ERR Too many commands\r\n");
    assert_string_equal(p.why, "the client sent too many commands");
    pre_end(&p);
}

/* The same bytes one at a time give the same answers and the same
 * hand-over as all at once. */
static void test_one_byte_at_a_time(void **unused)
{
    static const char dialogue[] = "CAPA\r\nXYZZY\r\nCAPA\nSTLS\r\n\x16\x03";
    struct pre all, drip;
    (void)unused;
    pre_start(&all);
    pre_greet(&all);
    assert_int_equal(pre_send(&all, dialogue, sizeof(dialogue) - 1),
                     PREAMBLE_TLS);
    pre_start(&drip);
    pre_greet(&drip);
    enum preamble_result r = PREAMBLE_MORE;
    size_t i = 0;
    for (; r == PREAMBLE_MORE && i < sizeof(dialogue) - 1; i++)
        r = pre_send(&drip, dialogue + i, 1);
    assert_int_equal(r, PREAMBLE_TLS);
    /* The hand-over came on STLS's LF: the ClientHello is still due. */
    assert_int_equal(i, sizeof(dialogue) - 3);
    assert_int_equal(buf_pending(&drip.out), buf_pending(&all.out));
    assert_memory_equal(buf_head(&drip.out), buf_head(&all.out),
                        buf_pending(&all.out));
    assert_int_equal(buf_pending(&all.in), 2);
    assert_int_equal(drip.d.commands, all.d.commands);
    pre_end(&all);
    pre_end(&drip);
}

/* ---- after TLS --------------------------------------------------------- */

static const char LOGGED_IN[] =
    "+OK Logged in to shakedown scenario expired over TLSv1.3 "
    "(TLS_AES_128_GCM_SHA256); the maildrop is empty\r\n";

/* curl --ssl-reqd pop3://: CAPA, USER, PASS, LIST, QUIT; poplib's
 * STAT, UIDL and NOOP along the way. PASS is the request; what was
 * pipelined after it waits in the state. */
static void test_after_tls(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &pop3_app);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_int_equal(app_say(&a, "CAPA\r\nUSER alice\r\n"), APP_MORE);
    said(&a.out, "+OK Capability list follows\r\n"
                 "USER\r\n"
                 "UIDL\r\n"
                 "RESP-CODES\r\n"
                 "AUTH-RESP-CODE\r\n"
                 "IMPLEMENTATION shakedown\r\n"
                 ".\r\n"
                 "+OK Send PASS\r\n");
    /* Nothing pending: input with no bytes is harmless. */
    assert_int_equal(app_send(&a, NULL, 0), APP_MORE);
    assert_int_equal(app_say(&a, "PASS secret\r\nSTAT\r\nLIST\r\n"),
                     APP_REQUEST);
    said(&a.out, "");
    assert_string_equal(a.req.method, "PASS");
    assert_string_equal(a.req.target, "alice");
    assert_string_equal(a.req.protocol, "POP3");
    assert_false(a.req.grpc);
    assert_string_equal(a.d.step, "PASS");
    assert_int_equal(respond(&a, 200, NULL), 1);
    said(&a.out, LOGGED_IN);
    assert_int_equal(app_send(&a, NULL, 0), APP_MORE);
    said(&a.out, "+OK 0 0\r\n+OK 0 messages\r\n.\r\n");
    assert_int_equal(app_say(&a, "UIDL\r\nLIST 1\r\nRETR 1\r\nNOOP\r\n"
                                 "RSET\r\nSTLS\r\nUSER bob\r\n"),
                     APP_MORE);
    said(&a.out, "+OK 0 messages\r\n.\r\n"
                 "-ERR No such message\r\n"
                 "-ERR No such message\r\n"
                 "+OK\r\n+OK\r\n"
                 "-ERR TLS already active\r\n"
                 "-ERR Already logged in\r\n");
    assert_int_equal(app_say(&a, "QUIT\r\nNOOP\r\n"), APP_DONE);
    said(&a.out, "+OK shakedown scenario expired signing off\r\n");
    assert_string_equal(a.d.step, "QUIT");
    assert_int_equal(a.d.commands, 2 + 13);
    app_end(&a);
}

static void test_pop3s_greets(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &pop3s_app);
    said(&a.out, GREETING);
    assert_int_equal(a.d.commands, 0);
    assert_string_equal(a.d.step, "greeting");
    /* curl's pop3s:// asks CAPA first: no STLS inside TLS. */
    assert_int_equal(app_say(&a, "CAPA\r\n"), APP_MORE);
    said(&a.out, CAPA_TLS);
    assert_int_equal(app_say(&a, "USER u\r\nPASS p\r\n"), APP_REQUEST);
    said(&a.out, "+OK Send PASS\r\n");
    assert_string_equal(a.req.target, "u");
    app_end(&a);
}

static void test_refused_login(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &pop3_app);
    assert_int_equal(app_say(&a, "USER u\r\nPASS p\r\n"), APP_REQUEST);
    said(&a.out, "+OK Send PASS\r\n");
    assert_int_equal(respond(&a, 403, "the scenario requires a client "
                                      "certificate"),
                     1);
    said(&a.out, "-ERR [AUTH] the scenario requires a client certificate\r\n");
    /* Still not logged in: PASS needs USER again, STAT needs a login. */
    assert_int_equal(app_say(&a, "PASS p\r\nSTAT\r\n"), APP_MORE);
    said(&a.out, "-ERR USER first\r\n-ERR Not logged in\r\n");
    assert_int_equal(app_say(&a, "QUIT\r\n"), APP_DONE);
    said(&a.out, "+OK shakedown scenario expired signing off\r\n");
    app_end(&a);
}

static void test_before_login(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &pop3_app);
    assert_int_equal(app_say(&a, "PASS p\r\nUSER\r\nLIST\r\nAUTH PLAIN\r\n"
                                 "APOP u d\r\nSTLS\r\n"),
                     APP_MORE);
    said(&a.out, "-ERR USER first\r\n"
                 "-ERR Syntax: USER name\r\n"
                 "-ERR Not logged in\r\n"
                 "-ERR Not served: use USER and PASS\r\n"
                 "-ERR Not served: use USER and PASS\r\n"
                 "-ERR TLS already active\r\n");
    /* RFC 1939: PASS must follow USER directly. */
    assert_int_equal(app_say(&a, "USER u\r\nNOOP\r\nPASS p\r\n"), APP_MORE);
    said(&a.out, "+OK Send PASS\r\n-ERR Not logged in\r\n-ERR USER first\r\n");
    app_end(&a);
}

static void test_app_limits(void **unused)
{
    struct app a;
    char *line = malloc(DIALOGUE_MAX_LINE);
    (void)unused;
    assert_non_null(line);
    memset(line, 'x', DIALOGUE_MAX_LINE);

    app_start(&a, &pop3_app);
    assert_int_equal(app_send(&a, line, DIALOGUE_MAX_LINE), APP_BAD);
    assert_int_equal(respond(&a, 400, NULL), 0);
    said(&a.out, "-ERR Line too long\r\n");
    app_end(&a);

    app_start(&a, &pop3_app);
    assert_int_equal(app_say(&a, "A\r\nB\r\nCAPA\r\nC\r\nD\r\n"), APP_MORE);
    buf_reset(&a.out);
    assert_int_equal(app_say(&a, "E\r\n"), APP_BAD);
    assert_int_equal(respond(&a, 400, NULL), 0);
    said(&a.out, "-ERR Too many errors\r\n");
    app_end(&a);

    app_start(&a, &pop3_app);
    a.d.commands = DIALOGUE_MAX_COMMANDS - 1;
    assert_int_equal(app_say(&a, "USER u\r\n"), APP_MORE);
    assert_int_equal(app_say(&a, "PASS p\r\n"), APP_BAD);
    buf_reset(&a.out);
    assert_int_equal(respond(&a, 400, NULL), 0);
    said(&a.out, "-ERR Too many commands\r\n");
    app_end(&a);
    free(line);
}

static void test_app_one_byte_at_a_time(void **unused)
{
    static const char dialogue[] = "CAPA\r\nUSER u\r\nPASS p\r\nSTAT\r\n"
                                   "LIST\nQUIT\r\n";
    struct app all, drip;
    (void)unused;
    app_start(&all, &pop3_app);
    enum app_result r = app_send(&all, dialogue, sizeof(dialogue) - 1);
    while (r == APP_REQUEST) {
        assert_int_equal(respond(&all, 200, NULL), 1);
        r = app_send(&all, NULL, 0);
    }
    assert_int_equal(r, APP_DONE);

    app_start(&drip, &pop3_app);
    r = APP_MORE;
    for (size_t i = 0; r != APP_DONE && i < sizeof(dialogue) - 1; i++) {
        r = app_send(&drip, dialogue + i, 1);
        if (r == APP_REQUEST) {
            assert_int_equal(respond(&drip, 200, NULL), 1);
            r = app_send(&drip, NULL, 0);
        }
        assert_true(r == APP_MORE || r == APP_DONE);
    }
    assert_int_equal(r, APP_DONE);
    assert_int_equal(buf_pending(&drip.out), buf_pending(&all.out));
    assert_memory_equal(buf_head(&drip.out), buf_head(&all.out),
                        buf_pending(&all.out));
    app_end(&all);
    app_end(&drip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_capa_and_go_ahead),
        cmocka_unit_test(test_pipelined_after_stls),
        cmocka_unit_test(test_inject),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_credentials_in_the_clear),
        cmocka_unit_test(test_stls_syntax),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_client_hello_first),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_command_flood),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_after_tls),
        cmocka_unit_test(test_pop3s_greets),
        cmocka_unit_test(test_refused_login),
        cmocka_unit_test(test_before_login),
        cmocka_unit_test(test_app_limits),
        cmocka_unit_test(test_app_one_byte_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
