/*
 * The record scanner: a plaintext alert found however the stream is split,
 * after records of any length, and never confused with encrypted alerts or
 * application data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "record.h"

/* A fatal certificate_expired(45) alert in a TLS 1.2 record header. */
static const uint8_t alert_45[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x2d};

/* Room for the longest stream any test builds. */
#define STREAM_MAX 1024

struct stream {
    uint8_t data[STREAM_MAX];
    size_t len;
};

static void stream_add(struct stream *st, const void *p, size_t n)
{
    assert_true(n <= sizeof(st->data) - st->len);
    memcpy(st->data + st->len, p, n);
    st->len += n;
}

/* Appends a record of this content type whose body is len bytes of fill. */
static void stream_record(struct stream *st, uint8_t type, size_t len,
                          uint8_t fill)
{
    const uint8_t header[5] = {type, 0x03, 0x03, (uint8_t)(len >> 8),
                               (uint8_t)len};
    assert_true(len <= 0xffff);
    stream_add(st, header, sizeof(header));
    assert_true(len <= sizeof(st->data) - st->len);
    memset(st->data + st->len, fill, len);
    st->len += len;
}

/* Scans the whole stream in one call. */
static void scan_whole(struct record_scan *s, const struct stream *st)
{
    record_scan_init(s);
    record_scan_feed(s, st->data, st->len);
}

/* Asserts what the scan found; failures point at the caller. */
#define assert_found(s, alert_, level_)                                        \
    do {                                                                       \
        assert_int_equal((s)->alert, (alert_));                                \
        assert_int_equal((s)->level, (level_));                                \
    } while (0)

static void test_init(void **state)
{
    struct record_scan s;
    (void)state;
    memset(&s, 0xa5, sizeof(s));
    record_scan_init(&s);
    assert_int_equal(s.alert, -1);
    assert_int_equal(s.header_have, 0);
    assert_int_equal(s.body_left, 0);
    assert_int_equal(s.body_have, 0);
    /* Feeding nothing finds nothing. */
    record_scan_feed(&s, alert_45, 0);
    assert_int_equal(s.alert, -1);
}

static void test_alert_whole(void **state)
{
    struct record_scan s;
    (void)state;
    record_scan_init(&s);
    record_scan_feed(&s, alert_45, sizeof(alert_45));
    assert_found(&s, 45, 2);
}

static void test_alert_byte_by_byte(void **state)
{
    struct record_scan s;
    (void)state;
    record_scan_init(&s);
    for (size_t i = 0; i < sizeof(alert_45); i++) {
        /* Nothing is reported before the last byte arrives. */
        assert_int_equal(s.alert, -1);
        record_scan_feed(&s, alert_45 + i, 1);
    }
    assert_found(&s, 45, 2);
}

/* Every way of cutting the record into two or three pieces. */
static void test_alert_split_anywhere(void **state)
{
    const size_t n = sizeof(alert_45);
    (void)state;
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b++) {
            struct record_scan s;
            record_scan_init(&s);
            record_scan_feed(&s, alert_45, a);
            record_scan_feed(&s, alert_45 + a, b - a);
            record_scan_feed(&s, alert_45 + b, n - b);
            if (s.alert != 45 || s.level != 2)
                fail_msg("split at %zu and %zu: alert %d level %d", a, b,
                         s.alert, s.level);
        }
    }
}

/* A handshake record of 300 bytes (its length needs both length bytes)
 * and an empty record before the alert; every split of the stream. */
static void test_alert_after_other_records(void **state)
{
    struct stream st = {.len = 0};
    (void)state;
    stream_record(&st, 22, 300, 0x15); /* body bytes that look like alerts */
    stream_record(&st, 22, 0, 0);
    stream_add(&st, alert_45, sizeof(alert_45));

    struct record_scan s;
    scan_whole(&s, &st);
    assert_found(&s, 45, 2);

    for (size_t cut = 0; cut <= st.len; cut++) {
        record_scan_init(&s);
        record_scan_feed(&s, st.data, cut);
        record_scan_feed(&s, st.data + cut, st.len - cut);
        if (s.alert != 45 || s.level != 2)
            fail_msg("cut at %zu: alert %d level %d", cut, s.alert, s.level);
    }

    record_scan_init(&s);
    for (size_t i = 0; i < st.len; i++)
        record_scan_feed(&s, st.data + i, 1);
    assert_found(&s, 45, 2);
}

/* Arbitrary handshake lengths, including those whose low length byte is
 * 2 (the alert body length) and the largest. */
static void test_alert_after_any_length(void **state)
{
    static const size_t lens[] = {0, 1, 2, 5, 7, 255, 256, 258, 514};
    (void)state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct stream st = {.len = 0};
        struct record_scan s;
        stream_record(&st, 22, lens[i], 0x02);
        stream_add(&st, alert_45, sizeof(alert_45));
        scan_whole(&s, &st);
        if (s.alert != 45 || s.level != 2)
            fail_msg("after %zu bytes of handshake: alert %d level %d",
                     lens[i], s.alert, s.level);
    }
}

/* A TLS 1.3 encrypted alert is type 21 but longer than two bytes. */
static void test_encrypted_alert_ignored(void **state)
{
    struct stream st = {.len = 0};
    struct record_scan s;
    (void)state;
    stream_record(&st, 21, 26, 0x02);
    scan_whole(&s, &st);
    assert_int_equal(s.alert, -1);

    record_scan_init(&s);
    for (size_t i = 0; i < st.len; i++)
        record_scan_feed(&s, st.data + i, 1);
    assert_int_equal(s.alert, -1);
}

/* Application data, even of an alert's length and shape, is not an alert;
 * nor is a type-21 record of length 258 (low length byte 2). */
static void test_other_types_ignored(void **state)
{
    static const uint8_t disguised[] = {0x17, 0x03, 0x03, 0x00,
                                        0x02, 0x02, 0x2d};
    struct stream st = {.len = 0};
    struct record_scan s;
    (void)state;
    stream_add(&st, disguised, sizeof(disguised));
    stream_record(&st, 23, 40, 0x15);
    stream_record(&st, 21, 258, 0x02);
    stream_record(&st, 22, 2, 0x02);
    scan_whole(&s, &st);
    assert_int_equal(s.alert, -1);

    /* The scanner stays in step: an alert after them is still found. */
    record_scan_feed(&s, alert_45, sizeof(alert_45));
    assert_found(&s, 45, 2);
}

static void test_last_alert_wins(void **state)
{
    static const uint8_t warning_0[] = {0x15, 0x03, 0x01, 0x00,
                                        0x02, 0x01, 0x00};
    struct stream st = {.len = 0};
    struct record_scan s;
    (void)state;
    stream_add(&st, alert_45, sizeof(alert_45));
    stream_add(&st, warning_0, sizeof(warning_0));
    scan_whole(&s, &st);
    assert_found(&s, 0, 1);

    /* The other order, and an encrypted alert after it changes nothing. */
    st.len = 0;
    stream_add(&st, warning_0, sizeof(warning_0));
    stream_add(&st, alert_45, sizeof(alert_45));
    stream_record(&st, 21, 26, 0x30);
    record_scan_init(&s);
    for (size_t i = 0; i < st.len; i++)
        record_scan_feed(&s, st.data + i, 1);
    assert_found(&s, 45, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_alert_whole),
        cmocka_unit_test(test_alert_byte_by_byte),
        cmocka_unit_test(test_alert_split_anywhere),
        cmocka_unit_test(test_alert_after_other_records),
        cmocka_unit_test(test_alert_after_any_length),
        cmocka_unit_test(test_encrypted_alert_ignored),
        cmocka_unit_test(test_other_types_ignored),
        cmocka_unit_test(test_last_alert_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
