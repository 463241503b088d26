/*
 * Fault data: the exact bytes of the alert, plaintext and garbage answers,
 * how much of a flight passes before a fault, and the text the trace
 * prints for each action.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fault.h"
#include "scenario.h"

/* Bytes already in the buffer, to show that payloads are appended. */
static const char before[] = "before";

static void buf_with_prefix(struct buf *b)
{
    buf_init(b);
    assert_int_equal(buf_append(b, before, sizeof(before) - 1), 0);
}

/* The payload's bytes after the prefix. */
static const uint8_t *payload(const struct buf *b, size_t *len)
{
    assert_true(buf_pending(b) >= sizeof(before) - 1);
    assert_memory_equal(buf_head(b), before, sizeof(before) - 1);
    *len = buf_pending(b) - (sizeof(before) - 1);
    return buf_head(b) + sizeof(before) - 1;
}

/* ---- fault_payload ---------------------------------------------------- */

static void test_payload_alert(void **state)
{
    static const struct {
        uint16_t version;
        int alert;
        uint8_t want[7];
    } cases[] = {
        {0x0303, 80, {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50}},
        {0x0301, 112, {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x70}},
        {0x0300, 0, {0x15, 0x03, 0x00, 0x00, 0x02, 0x02, 0x00}},
        {0xfeff, 255, {0x15, 0xfe, 0xff, 0x00, 0x02, 0x02, 0xff}},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario_action a = {.kind = SCENARIO_ALERT,
                                    .alert = cases[i].alert};
        struct buf b;
        size_t len;
        buf_with_prefix(&b);
        assert_int_equal(fault_payload(&a, cases[i].version, &b), 0);
        const uint8_t *p = payload(&b, &len);
        assert_int_equal(len, 7);
        assert_memory_equal(p, cases[i].want, 7);
        buf_free(&b);
    }
}

static void test_payload_plaintext(void **state)
{
    static const char status[] = "HTTP/1.1 400 Bad Request\r\n";
    struct scenario_action a = {.kind = SCENARIO_PLAINTEXT, .alert = 0};
    struct buf b;
    size_t len;
    char *text = NULL;
    (void)state;
    buf_with_prefix(&b);
    assert_int_equal(fault_payload(&a, 0x0303, &b), 0);
    const uint8_t *p = payload(&b, &len);
    text = malloc(len + 1);
    assert_non_null(text);
    memcpy(text, p, len);
    text[len] = '\0';
    assert_int_equal(strlen(text), len);

    assert_true(len > strlen(status));
    assert_memory_equal(text, status, strlen(status));
    const char *end = strstr(text, "\r\n\r\n");
    assert_non_null(end);
    const char *body = end + 4;
    const char *cl = strstr(text, "\r\nContent-Length: ");
    assert_non_null(cl);
    assert_true(cl < end);
    char *stop = NULL;
    unsigned long n = strtoul(cl + strlen("\r\nContent-Length: "), &stop, 10);
    assert_memory_equal(stop, "\r\n", 2);
    assert_int_equal(n, strlen(body));
    assert_true(n > 0);
    assert_non_null(strstr(text, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(body, "400 Bad Request"));
    free(text);
    buf_free(&b);
}

static void test_payload_garbage(void **state)
{
    struct scenario_action a = {.kind = SCENARIO_GARBAGE, .alert = 0};
    struct buf b1, b2;
    size_t len1, len2;
    (void)state;
    buf_with_prefix(&b1);
    buf_with_prefix(&b2);
    assert_int_equal(fault_payload(&a, 0x0303, &b1), 0);
    /* The record version plays no part. */
    assert_int_equal(fault_payload(&a, 0x0301, &b2), 0);
    const uint8_t *p1 = payload(&b1, &len1);
    const uint8_t *p2 = payload(&b2, &len2);
    assert_int_equal(len1, 256);
    assert_int_equal(len2, 256);
    assert_int_equal(p1[0], 0xff);
    assert_memory_equal(p1, p2, 256);
    /* Not a constant fill: the bytes vary. */
    size_t differ = 0;
    for (size_t i = 2; i < len1; i++)
        differ += p1[i] != p1[i - 1];
    assert_true(differ > 128);
    buf_free(&b1);
    buf_free(&b2);
}

static void test_payload_other_kinds(void **state)
{
    static const enum scenario_action_kind kinds[] = {
        SCENARIO_SERVE, SCENARIO_RESET, SCENARIO_CLOSE,
        SCENARIO_STALL, SCENARIO_DRIP,  SCENARIO_TRUNCATE};
    (void)state;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct scenario_action a = {.kind = kinds[i], .alert = 80};
        struct buf b;
        size_t len;
        buf_with_prefix(&b);
        assert_int_equal(fault_payload(&a, 0x0303, &b), 0);
        payload(&b, &len);
        if (len != 0)
            fail_msg("action %s appended %zu bytes",
                     scenario_action_name(kinds[i]), len);
        buf_free(&b);
    }
}

/* ---- fault_flight_limit ----------------------------------------------- */

static void test_flight_limit_percent(void **state)
{
    static const struct {
        int percent;
        size_t flight, want;
    } cases[] = {
        {0, 7, 0},     {0, 1, 0},       {0, 0, 0},     {50, 7, 3},
        {50, 1, 0},    {50, 4097, 2048}, {100, 7, 7},  {100, 1, 1},
        {100, 0, 0},   {100, 4097, 4097}, {33, 301, 99}, {99, 101, 99},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario_fault f = {.after_bytes = cases[i].percent,
                                   .after_percent = true};
        size_t got = fault_flight_limit(&f, cases[i].flight);
        if (got != cases[i].want)
            fail_msg("%d%% of %zu: got %zu, want %zu", cases[i].percent,
                     cases[i].flight, got, cases[i].want);
    }
}

static void test_flight_limit_bytes(void **state)
{
    static const struct {
        int bytes;
        size_t flight, want;
    } cases[] = {
        {100, 101, 100}, /* below the flight */
        {100, 100, 100}, /* equal */
        {100, 99, 99},   /* above: the whole flight */
        {0, 99, 0},      {1, 1, 1},
        {1 << 24, 5, 5}, {7, 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario_fault f = {.after_bytes = cases[i].bytes,
                                   .after_percent = false};
        size_t got = fault_flight_limit(&f, cases[i].flight);
        if (got != cases[i].want)
            fail_msg("%d bytes of %zu: got %zu, want %zu", cases[i].bytes,
                     cases[i].flight, got, cases[i].want);
    }
}

/* The loader's default is the whole flight, and its values arrive
 * unchanged. */
static void test_flight_limit_from_scenario(void **state)
{
    static const struct {
        const char *fault;
        size_t want;
    } cases[] = {
        {"[fault]\nat = server_flight\naction = reset\n", 1001},
        {"[fault]\nat = server_flight\naction = reset\nafter_bytes = 40%\n",
         400},
        {"[fault]\nat = server_flight\naction = reset\nafter_bytes = 40\n",
         40},
    };
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario_set set = {0};
        struct diag d;
        snprintf(t, sizeof(t),
                 "[scenario]\nname = f\ntitle = F\ncategory = transport\n"
                 "port = 0\nexplain = E\n[tls]\ncert = leaf\nkey = leaf\n%s",
                 cases[i].fault);
        diag_clear(&d);
        if (scenario_load_string(&set, t, "test.ini", &d) != 0)
            fail_msg("%s:%d: %s", d.file, d.line, d.msg);
        assert_int_equal(fault_flight_limit(&set.items[0].fault, 1001),
                         cases[i].want);
        scenario_set_free(&set);
    }
}

/* ---- fault_describe --------------------------------------------------- */

static void test_describe(void **state)
{
    static const struct {
        enum scenario_action_kind kind;
        int alert;
        const char *want;
    } cases[] = {
        {SCENARIO_SERVE, 0, "serve"},
        {SCENARIO_ALERT, 80, "fatal alert internal_error(80), then FIN"},
        {SCENARIO_ALERT, 112, "fatal alert unrecognized_name(112), then FIN"},
        {SCENARIO_ALERT, 0, "fatal alert close_notify(0), then FIN"},
        {SCENARIO_ALERT, 200, "fatal alert alert(200), then FIN"},
        {SCENARIO_RESET, 0, "TCP reset (RST)"},
        {SCENARIO_CLOSE, 0, "close (FIN)"},
        {SCENARIO_STALL, 0, "stall: say nothing for up to 45 s"},
        {SCENARIO_DRIP, 0, "drip: one byte every 250 ms (at most 45 s)"},
        {SCENARIO_PLAINTEXT, 0, "answer in plain HTTP (400 Bad Request)"},
        {SCENARIO_GARBAGE, 0, "answer with 256 bytes that are not TLS"},
        {SCENARIO_TRUNCATE, 0,
         "response without Content-Length, closed without close_notify"},
    };
    const struct scenario_fault f = {.at = SCENARIO_AT_SERVER_FLIGHT,
                                     .after_bytes = 100,
                                     .after_percent = true,
                                     .interval_ms = 250,
                                     .duration_s = 45};
    char out[128];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario_action a = {.kind = cases[i].kind,
                                    .alert = cases[i].alert};
        memset(out, 'x', sizeof(out));
        fault_describe(&a, &f, out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
}

/* SNI policies describe themselves without a fault: no timings. */
static void test_describe_without_fault(void **state)
{
    char out[128];
    (void)state;
    struct scenario_action a = {.kind = SCENARIO_STALL, .alert = 0};
    fault_describe(&a, NULL, out, sizeof(out));
    assert_string_equal(out, "stall: say nothing for up to 0 s");
    a.kind = SCENARIO_DRIP;
    fault_describe(&a, NULL, out, sizeof(out));
    assert_string_equal(out, "drip: one byte every 0 ms (at most 0 s)");
    a.kind = SCENARIO_ALERT;
    a.alert = 112;
    fault_describe(&a, NULL, out, sizeof(out));
    assert_string_equal(out, "fatal alert unrecognized_name(112), then FIN");
    a.kind = SCENARIO_RESET;
    fault_describe(&a, NULL, out, sizeof(out));
    assert_string_equal(out, "TCP reset (RST)");
}

/* The loader's defaults: 50 ms and 60 s. */
static void test_describe_defaults(void **state)
{
    struct scenario_set set = {0};
    struct diag d;
    char out[128];
    (void)state;
    diag_clear(&d);
    if (scenario_load_string(&set,
                             "[scenario]\nname = f\ntitle = F\n"
                             "category = transport\nport = 0\nexplain = E\n"
                             "[tls]\ncert = leaf\nkey = leaf\n"
                             "[fault]\nat = server_flight\naction = drip\n",
                             "test.ini", &d) != 0)
        fail_msg("%s:%d: %s", d.file, d.line, d.msg);
    const struct scenario *s = &set.items[0];
    fault_describe(&s->fault.action, &s->fault, out, sizeof(out));
    assert_string_equal(out, "drip: one byte every 50 ms (at most 60 s)");
    struct scenario_action stall = {.kind = SCENARIO_STALL, .alert = 0};
    fault_describe(&stall, &s->fault, out, sizeof(out));
    assert_string_equal(out, "stall: say nothing for up to 60 s");
    scenario_set_free(&set);
}

/* A small buffer gets a terminated prefix, never an overrun. */
static void test_describe_truncates(void **state)
{
    struct scenario_action a = {.kind = SCENARIO_ALERT, .alert = 80};
    char out[16];
    (void)state;
    memset(out, 'x', sizeof(out));
    fault_describe(&a, NULL, out, 12);
    assert_string_equal(out, "fatal alert");
    assert_int_equal(out[12], 'x');
    a.kind = SCENARIO_TRUNCATE;
    memset(out, 'x', sizeof(out));
    fault_describe(&a, NULL, out, 9);
    assert_string_equal(out, "response");
    assert_int_equal(out[9], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_alert),
        cmocka_unit_test(test_payload_plaintext),
        cmocka_unit_test(test_payload_garbage),
        cmocka_unit_test(test_payload_other_kinds),
        cmocka_unit_test(test_flight_limit_percent),
        cmocka_unit_test(test_flight_limit_bytes),
        cmocka_unit_test(test_flight_limit_from_scenario),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_describe_without_fault),
        cmocka_unit_test(test_describe_defaults),
        cmocka_unit_test(test_describe_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
