/*
 * The FTP control dialogue over byte buffers: the greeting, FEAT, the
 * AUTH TLS go-ahead (and curl's AUTH SSL) and what was pipelined after
 * it, strip, refuse, inject, credentials in the clear, garbage and the
 * limits before TLS; after it, the login as curl and ftplib send it, the
 * replies that say no data connection is offered, and QUIT.
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
#include "ftp.h"

static const char GREETING[] = "220 shakedown scenario expired ready\r\n";
static const char FEAT_PLAIN[] = "211-Features:\r\n"
                                 " AUTH TLS\r\n"
                                 " PBSZ\r\n"
                                 " PROT\r\n"
                                 "211 End\r\n";
static const char FEAT_TLS[] = "211-Features:\r\n"
                               " PBSZ\r\n"
                               " PROT\r\n"
                               "211 End\r\n";
static const char REFUSAL[] =
    "530 Issue AUTH TLS first: no credentials in the clear\r\n";
static const char GO_AHEAD[] = "234 AUTH TLS successful\r\n";

#define FIXTURE_PREAMBLE ftp_preamble
#define FIXTURE_COMMANDS 2 /* FEAT and AUTH TLS before TLS */
#include "dialogue_fixture.h"

static void test_greeting(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_string_equal(p.d.step, "greeting");
    assert_int_equal(p.d.commands, 0);
    assert_int_equal(pre_say(&p, ""), PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p.out), 0);
    pre_end(&p);
}

/* gnutls-cli --starttls-proto=ftp: FEAT, then AUTH TLS. */
static void test_feat_and_go_ahead(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "feat\r\n"), PREAMBLE_MORE);
    said(&p.out, FEAT_PLAIN);
    assert_string_equal(p.d.step, "FEAT");
    assert_int_equal(pre_say(&p, "AUTH TLS\r\n\x16\x03\x01"), PREAMBLE_TLS);
    said(&p.out, GO_AHEAD);
    assert_int_equal(buf_pending(&p.in), 3);
    assert_memory_equal(buf_head(&p.in), "\x16\x03\x01", 3);
    assert_string_equal(p.d.step, "AUTH");
    assert_int_equal(p.d.commands, 2);
    assert_null(p.d.misstep);
    pre_end(&p);
}

/* curl asks AUTH SSL first; TLS-C is the same in the draft's words. */
static void test_auth_names(void **unused)
{
    static const char *const lines[] = {"AUTH SSL\r\n", "auth tls\r\n",
                                        "AUTH TLS-C\r\n"};
    (void)unused;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct pre p;
        pre_start(&p);
        pre_greet(&p);
        assert_int_equal(pre_say(&p, lines[i]), PREAMBLE_TLS);
        said(&p.out, GO_AHEAD);
        pre_end(&p);
    }
    struct pre p;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "AUTH KERBEROS_V4\r\nAUTH\r\n"),
                     PREAMBLE_MORE);
    said(&p.out, "504 Security mechanism not understood\r\n"
                 "501 Syntax: AUTH TLS\r\n");
    pre_end(&p);
}

/* A command pipelined after AUTH TLS stays unread (CVE-2011-0411). */
static void test_pipelined_after_auth(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "AUTH TLS\r\nUSER u\r\n"), PREAMBLE_TLS);
    said(&p.out, GO_AHEAD);
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
    p.d.inject = "230 injected\r\n";
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "AUTH TLS\r\n"), PREAMBLE_TLS);
    said(&p.out, "234 AUTH TLS successful\r\n230 injected\r\n");
    pre_end(&p);
}

/* curl --ssl against a stripped server: AUTH SSL, AUTH TLS, then its
 * user name in the clear. */
static void test_strip(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    p.d.strip = true;
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "FEAT\r\n"), PREAMBLE_MORE);
    said(&p.out, "211 No features\r\n");
    assert_int_equal(pre_say(&p, "AUTH SSL\r\nAUTH TLS\r\n"), PREAMBLE_MORE);
    said(&p.out, "502 Command not implemented\r\n"
                 "502 Command not implemented\r\n");
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
    assert_int_equal(pre_say(&p, "FEAT\r\n"), PREAMBLE_MORE);
    said(&p.out, FEAT_PLAIN);
    assert_int_equal(pre_say(&p, "AUTH SSL\r\nAUTH TLS\r\n"), PREAMBLE_MORE);
    said(&p.out, "534 Request denied for policy reasons\r\n"
                 "534 Request denied for policy reasons\r\n");
    /* The dialogue goes on in the clear. */
    assert_int_equal(pre_say(&p, "SYST\r\nQUIT\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "215 UNIX Type: L8\r\n221 Goodbye\r\n");
    assert_string_equal(p.why, "the client quit before TLS");
    assert_null(p.d.misstep);
    pre_end(&p);
}

static void test_credentials_in_the_clear(void **unused)
{
    static const char *const lines[] = {"USER anonymous\r\n", "PASS p\r\n",
                                        "ACCT a\r\n"};
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

/* FTP commands out of order are not garbage: they get FTP's answers. */
static void test_out_of_order(void **unused)
{
    struct pre p;
    (void)unused;
    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "PWD\r\nLIST\r\nPBSZ 0\r\nPROT P\r\n"
                                 "NOOP\r\n"),
                     PREAMBLE_MORE);
    said(&p.out, "530 Please login with USER and PASS\r\n"
                 "530 Please login with USER and PASS\r\n"
                 "503 Issue AUTH TLS first\r\n"
                 "503 Issue AUTH TLS first\r\n"
                 "200 NOOP ok\r\n");
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
    said(&p.out, "500 Command not understood\r\n"
                 "500 Command not understood\r\n");
    assert_int_equal(pre_say(&p, "NOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "200 NOOP ok\r\n");
    assert_int_equal(pre_say(&p, "EHLO x\r\nCAPA\r\n"), PREAMBLE_MORE);
    said(&p.out, "500 Command not understood\r\n"
                 "500 Command not understood\r\n");
    assert_int_equal(pre_say(&p, "STLS\r\nFEAT\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "421 Too many errors\r\n");
    assert_string_equal(p.why, "the client sent commands that are not FTP");
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

    pre_start(&p);
    pre_greet(&p);
    assert_int_equal(pre_say(&p, "NOOP\r\n"), PREAMBLE_MORE);
    said(&p.out, "200 NOOP ok\r\n");
    /* After a command too: no command starts with 0x16. */
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
    assert_int_equal(pre_send(&p, line, DIALOGUE_MAX_LINE - 1), PREAMBLE_MORE);
    assert_int_equal(pre_send(&p, line, 1), PREAMBLE_CLOSE);
    said(&p.out, "500 Line too long\r\n");
    assert_string_equal(p.why, "the client sent a line over the limit");
    pre_end(&p);

    /* The longest line taken: DIALOGUE_MAX_LINE - 1 bytes before its
     * LF. */
    pre_start(&p);
    pre_greet(&p);
    line[DIALOGUE_MAX_LINE - 1] = '\n';
    assert_int_equal(pre_send(&p, line, DIALOGUE_MAX_LINE), PREAMBLE_MORE);
    said(&p.out, "500 Command not understood\r\n");
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
        assert_int_equal(pre_say(&p, "NOOP\r\n"), PREAMBLE_MORE);
        said(&p.out, "200 NOOP ok\r\n");
    }
    assert_int_equal(pre_say(&p, "NOOP\r\n"), PREAMBLE_CLOSE);
    said(&p.out, "421 Too many commands\r\n");
    assert_string_equal(p.why, "the client sent too many commands");
    pre_end(&p);
}

static void test_one_byte_at_a_time(void **unused)
{
    static const char dialogue[] =
        "FEAT\r\nXYZZY\r\nSYST\nAUTH TLS\r\n\x16\x03";
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
    "230 Logged in to shakedown scenario expired over TLSv1.3 "
    "(TLS_AES_128_GCM_SHA256)\r\n";

/* curl --ssl-reqd ftp://host/ -I: USER, PASS, PBSZ 0, PROT P, PWD,
 * QUIT; ftplib's login, prot_p, pwd, quit are the same commands. PASS
 * is the request; what was pipelined after it waits in the state. */
static void test_after_tls(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &ftp_app);
    assert_int_equal(buf_pending(&a.out), 0);
    assert_int_equal(app_say(&a, "USER alice\r\n"), APP_MORE);
    said(&a.out, "331 Password required\r\n");
    assert_int_equal(app_send(&a, NULL, 0), APP_MORE);
    assert_int_equal(app_say(&a, "PASS secret\r\nPBSZ 0\r\nPROT P\r\n"),
                     APP_REQUEST);
    said(&a.out, "");
    assert_string_equal(a.req.method, "PASS");
    assert_string_equal(a.req.target, "alice");
    assert_string_equal(a.req.protocol, "FTP");
    assert_false(a.req.grpc);
    assert_string_equal(a.d.step, "PASS");
    assert_int_equal(respond(&a, 200, NULL), 1);
    said(&a.out, LOGGED_IN);
    assert_int_equal(app_send(&a, NULL, 0), APP_MORE);
    said(&a.out, "200 PBSZ=0\r\n200 Protection level set to P\r\n");
    assert_int_equal(app_say(&a, "PWD\r\nSYST\r\nFEAT\r\nTYPE I\r\n"
                                 "CWD /pub\r\nNOOP\r\nUSER bob\r\n"
                                 "PASS p\r\n"),
                     APP_MORE);
    said(&a.out, "257 \"/\" is the current directory\r\n"
                 "215 UNIX Type: L8\r\n"
                 "211-Features:\r\n PBSZ\r\n PROT\r\n211 End\r\n"
                 "200 Type set to I\r\n"
                 "250 The only directory is \"/\"\r\n"
                 "200 NOOP ok\r\n"
                 "503 Already logged in\r\n"
                 "503 Login with USER first\r\n");
    /* curl -I on a file: MDTM, TYPE, SIZE; a listing: EPSV, PASV. */
    assert_int_equal(app_say(&a, "MDTM f\r\nSIZE f\r\nREST 0\r\nEPSV\r\n"
                                 "PASV\r\nLIST\r\nRETR f\r\nSTOR f\r\n"
                                 "DELE f\r\n"),
                     APP_MORE);
    said(&a.out, "550 No such file: shakedown serves none\r\n"
                 "550 No such file: shakedown serves none\r\n"
                 "350 Restarting at 0\r\n"
                 "502 No data connection in shakedown: none is offered\r\n"
                 "502 No data connection in shakedown: none is offered\r\n"
                 "425 No data connection in shakedown\r\n"
                 "425 No data connection in shakedown\r\n"
                 "425 No data connection in shakedown\r\n"
                 "550 Permission denied: shakedown is read-only\r\n");
    assert_int_equal(app_say(&a, "QUIT\r\nNOOP\r\n"), APP_DONE);
    said(&a.out, "221 Goodbye from shakedown scenario expired\r\n");
    assert_string_equal(a.d.step, "QUIT");
    assert_int_equal(a.d.commands, 2 + 22);
    app_end(&a);
}

static void test_arguments(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &ftp_app);
    assert_int_equal(app_say(&a, "PBSZ x\r\nPBSZ 16384\r\nPROT\r\nPROT C\r\n"
                                 "PROT S\r\nPROT Q\r\nPROT PP\r\nAUTH TLS\r\n"
                                 "CCC\r\nUSER\r\nACCT a\r\nOPTS UTF8 ON\r\n"),
                     APP_MORE);
    said(&a.out, "501 Syntax: PBSZ 0\r\n"
                 "200 PBSZ=0\r\n"
                 "501 Syntax: PROT P or PROT C\r\n"
                 "200 Protection level set to C\r\n"
                 "536 Protection level not served\r\n"
                 "504 Unknown protection level\r\n"
                 "501 Syntax: PROT P or PROT C\r\n"
                 "503 TLS is already active\r\n"
                 "534 CCC denied for policy reasons\r\n"
                 "501 Syntax: USER name\r\n"
                 "202 ACCT not needed\r\n"
                 "501 Option not understood\r\n");
    assert_int_equal(app_say(&a, "USER u\r\nPASS p\r\n"), APP_REQUEST);
    buf_reset(&a.out);
    assert_int_equal(respond(&a, 200, NULL), 1);
    buf_reset(&a.out);
    assert_int_equal(app_say(&a, "TYPE a\r\nTYPE X\r\nTYPE\r\nREST x\r\n"
                                 "REST 123456789012345678901\r\n"),
                     APP_MORE);
    said(&a.out, "200 Type set to A\r\n"
                 "504 Type not served\r\n"
                 "501 Syntax: TYPE A or TYPE I\r\n"
                 "501 Syntax: REST offset\r\n"
                 "501 Syntax: REST offset\r\n");
    app_end(&a);
}

static void test_ftps_greets(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &ftps_app);
    said(&a.out, GREETING);
    assert_int_equal(a.d.commands, 0);
    assert_string_equal(a.d.step, "greeting");
    assert_int_equal(app_say(&a, "FEAT\r\n"), APP_MORE);
    said(&a.out, FEAT_TLS);
    assert_int_equal(app_say(&a, "USER u\r\nPASS p\r\n"), APP_REQUEST);
    said(&a.out, "331 Password required\r\n");
    assert_string_equal(a.req.target, "u");
    app_end(&a);
}

static void test_refused_login(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &ftp_app);
    assert_int_equal(app_say(&a, "USER u\r\nPASS p\r\n"), APP_REQUEST);
    said(&a.out, "331 Password required\r\n");
    assert_int_equal(respond(&a, 403, "the scenario requires a client "
                                      "certificate"),
                     1);
    said(&a.out, "530 the scenario requires a client certificate\r\n");
    assert_int_equal(app_say(&a, "PASS p\r\nPWD\r\n"), APP_MORE);
    /* Still not logged in. */
    said(&a.out, "503 Login with USER first\r\n"
                 "530 Please login with USER and PASS\r\n");
    assert_int_equal(app_say(&a, "QUIT\r\n"), APP_DONE);
    said(&a.out, "221 Goodbye from shakedown scenario expired\r\n");
    app_end(&a);
}

static void test_before_login(void **unused)
{
    struct app a;
    (void)unused;
    app_start(&a, &ftp_app);
    assert_int_equal(app_say(&a, "PASS p\r\nPWD\r\nLIST\r\nTYPE I\r\n"
                                 "SYST\r\nPBSZ 0\r\n"),
                     APP_MORE);
    said(&a.out, "503 Login with USER first\r\n"
                 "530 Please login with USER and PASS\r\n"
                 "530 Please login with USER and PASS\r\n"
                 "530 Please login with USER and PASS\r\n"
                 "215 UNIX Type: L8\r\n"
                 "200 PBSZ=0\r\n");
    app_end(&a);
}

static void test_app_limits(void **unused)
{
    struct app a;
    char *line = malloc(DIALOGUE_MAX_LINE);
    (void)unused;
    assert_non_null(line);
    memset(line, 'x', DIALOGUE_MAX_LINE);

    app_start(&a, &ftp_app);
    assert_int_equal(app_send(&a, line, DIALOGUE_MAX_LINE), APP_BAD);
    assert_int_equal(respond(&a, 400, NULL), 0);
    said(&a.out, "500 Line too long\r\n");
    app_end(&a);

    app_start(&a, &ftp_app);
    assert_int_equal(app_say(&a, "A\r\nB\r\nNOOP\r\nC\r\nD\r\n"), APP_MORE);
    buf_reset(&a.out);
    assert_int_equal(app_say(&a, "E\r\n"), APP_BAD);
    assert_int_equal(respond(&a, 400, NULL), 0);
    said(&a.out, "421 Too many errors\r\n");
    app_end(&a);

    app_start(&a, &ftp_app);
    a.d.commands = DIALOGUE_MAX_COMMANDS - 1;
    assert_int_equal(app_say(&a, "USER u\r\n"), APP_MORE);
    assert_int_equal(app_say(&a, "PASS p\r\n"), APP_BAD);
    buf_reset(&a.out);
    assert_int_equal(respond(&a, 400, NULL), 0);
    said(&a.out, "421 Too many commands\r\n");
    app_end(&a);
    free(line);
}

static void test_app_one_byte_at_a_time(void **unused)
{
    static const char dialogue[] = "USER u\r\nPASS p\r\nPBSZ 0\r\nPROT P\r\n"
                                   "PWD\nQUIT\r\n";
    struct app all, drip;
    (void)unused;
    app_start(&all, &ftp_app);
    enum app_result r = app_send(&all, dialogue, sizeof(dialogue) - 1);
    while (r == APP_REQUEST) {
        assert_int_equal(respond(&all, 200, NULL), 1);
        r = app_send(&all, NULL, 0);
    }
    assert_int_equal(r, APP_DONE);

    app_start(&drip, &ftp_app);
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
        cmocka_unit_test(test_feat_and_go_ahead),
        cmocka_unit_test(test_auth_names),
        cmocka_unit_test(test_pipelined_after_auth),
        cmocka_unit_test(test_inject),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_credentials_in_the_clear),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_client_hello_first),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_command_flood),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_after_tls),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_ftps_greets),
        cmocka_unit_test(test_refused_login),
        cmocka_unit_test(test_before_login),
        cmocka_unit_test(test_app_limits),
        cmocka_unit_test(test_app_one_byte_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
