/*
 * The alert table: names to numbers and back, the "name(code)" text the
 * log prints, and the list the scenario loader quotes in its errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "alert.h"

/* Spot checks against RFC 8446 section 6 and RFC 5246 section 7.2. */
static const struct {
    int code;
    const char *name;
} known[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {40, "handshake_failure"},
    {42, "bad_certificate"},
    {45, "certificate_expired"},
    {48, "unknown_ca"},
    {70, "protocol_version"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {112, "unrecognized_name"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
};

static void test_lookup_both_ways(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        assert_string_equal(alert_name(known[i].code), known[i].name);
        assert_int_equal(alert_lookup(known[i].name), known[i].code);
    }
}

static void test_round_trip(void **state)
{
    int count = 0;
    (void)state;
    for (int code = -1; code <= 256; code++) {
        const char *name = alert_name(code);
        if (name == NULL)
            continue;
        assert_int_equal(alert_lookup(name), code);
        count++;
    }
    assert_int_equal(count, 34);
}

static void test_unknown(void **state)
{
    (void)state;
    assert_null(alert_name(-1));
    assert_null(alert_name(1));
    assert_null(alert_name(255));
    assert_null(alert_name(256 + 40));
    assert_int_equal(alert_lookup(""), -1);
    assert_int_equal(alert_lookup("nonsense"), -1);
    assert_int_equal(alert_lookup("Handshake_Failure"), -1);
    assert_int_equal(alert_lookup("handshake_failure "), -1);
    assert_int_equal(alert_lookup("handshake"), -1);
    assert_int_equal(alert_lookup("40"), -1);
}

static void test_describe(void **state)
{
    char out[64];
    (void)state;
    alert_describe(40, out, sizeof(out));
    assert_string_equal(out, "handshake_failure(40)");
    alert_describe(0, out, sizeof(out));
    assert_string_equal(out, "close_notify(0)");
    alert_describe(112, out, sizeof(out));
    assert_string_equal(out, "unrecognized_name(112)");
    alert_describe(200, out, sizeof(out));
    assert_string_equal(out, "alert(200)");
    alert_describe(1, out, sizeof(out));
    assert_string_equal(out, "alert(1)");
    alert_describe(-1, out, sizeof(out));
    assert_string_equal(out, "alert(-1)");
    /* A short buffer is cut and still terminated. */
    memset(out, 'x', sizeof(out));
    alert_describe(40, out, 8);
    assert_string_equal(out, "handsha");
    assert_int_equal(out[8], 'x');
}

static void test_list(void **state)
{
    char out[1024];
    (void)state;
    alert_list(out, sizeof(out));
    assert_true(strncmp(out, "close_notify, unexpected_message, "
                             "bad_record_mac, ",
                        48) == 0);
    size_t n = strlen(out);
    const char *tail = ", certificate_required, no_application_protocol";
    assert_true(n > strlen(tail));
    assert_string_equal(out + n - strlen(tail), tail);
    /* Every name appears as a whole item, and nothing else does. */
    char wrapped[1100];
    snprintf(wrapped, sizeof(wrapped), ", %s, ", out);
    int items = 0;
    for (const char *p = wrapped; (p = strstr(p + 1, ", ")) != NULL;)
        items++;
    assert_int_equal(items, 34);
    for (int code = 0; code < 256; code++) {
        char item[64];
        const char *name = alert_name(code);
        if (name == NULL)
            continue;
        snprintf(item, sizeof(item), ", %s, ", name);
        if (strstr(wrapped, item) == NULL)
            fail_msg("%s is not in the list", name);
    }
    /* A short buffer stays terminated and within bounds. */
    memset(out, 'x', sizeof(out));
    alert_list(out, 20);
    assert_true(strlen(out) < 20);
    assert_true(strncmp(out, "close_notify", 12) == 0);
    assert_int_equal(out[20], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_both_ways),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
