/*
 * The JSON writer: exact output for escaped strings (RFC 8259 section 7),
 * and for nested objects and arrays, where the commas are the part that
 * is easy to get wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "json.h"

/* Asserts that b holds exactly want (no terminator is stored in b). */
#define assert_buf_equal(b, want)                                              \
    check_buf_equal((b), (want), __FILE__, __LINE__)

static void check_buf_equal(const struct buf *b, const char *want,
                            const char *file, int line)
{
    char got[4096];
    size_t n = buf_pending(b);
    _assert_true(n < sizeof(got), "fits", file, line);
    if (n > 0)
        memcpy(got, buf_head(b), n);
    got[n] = '\0';
    _assert_string_equal(got, want, file, line);
    _assert_int_equal(n, strlen(want), file, line);
}

static void assert_escapes(const char *in, const char *want)
{
    struct buf b;
    buf_init(&b);
    assert_int_equal(json_escape(&b, in), 0);
    assert_buf_equal(&b, want);
    buf_free(&b);
}

static void test_escape(void **state)
{
    (void)state;
    assert_escapes("", "\"\"");
    assert_escapes("plain text", "\"plain text\"");
    assert_escapes("say \"hi\"", "\"say \\\"hi\\\"\"");
    assert_escapes("C:\\dir\\", "\"C:\\\\dir\\\\\"");
    assert_escapes("\\\"", "\"\\\\\\\"\"");
    assert_escapes("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
    assert_escapes("\b\f", "\"\\u0008\\u000c\"");
    assert_escapes("\x01\x1f\x10", "\"\\u0001\\u001f\\u0010\"");
    /* 0x20 and above pass through, DEL and UTF-8 included; '/' is not
     * escaped. */
    assert_escapes(" ~\x7f/", "\" ~\x7f/\"");
    assert_escapes("caf\xc3\xa9 \xe2\x9c\x93", "\"caf\xc3\xa9 \xe2\x9c\x93\"");
}

static void test_escape_appends(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b);
    assert_int_equal(buf_append(&b, "x=", 2), 0);
    assert_int_equal(json_escape(&b, "1"), 0);
    assert_int_equal(json_escape(&b, "\t"), 0);
    assert_buf_equal(&b, "x=\"1\"\"\\t\"");
    buf_free(&b);
}

static void test_escape_long(void **state)
{
    /* Longer than the buffer's first allocation, all escaped. */
    char in[1500], want[1500 * 6 + 3];
    struct buf b;
    size_t w = 0;
    (void)state;
    want[w++] = '"';
    for (size_t i = 0; i < sizeof(in) - 1; i++) {
        in[i] = i % 2 ? '"' : '\x02';
        memcpy(want + w, i % 2 ? "\\\"" : "\\u0002", i % 2 ? 2 : 6);
        w += i % 2 ? 2 : 6;
    }
    in[sizeof(in) - 1] = '\0';
    want[w++] = '"';
    want[w] = '\0';
    buf_init(&b);
    assert_int_equal(json_escape(&b, in), 0);
    assert_int_equal(buf_pending(&b), w);
    assert_memory_equal(buf_head(&b), want, w);
    buf_free(&b);
}

static void test_scalars(void **state)
{
    struct buf b;
    struct json j;
    (void)state;
    buf_init(&b);
    json_init(&j, &b);
    json_array_begin(&j);
    json_int(&j, 0);
    json_int(&j, -42);
    json_int(&j, INT64_MAX);
    json_int(&j, INT64_MIN);
    json_bool(&j, true);
    json_bool(&j, false);
    json_null(&j);
    json_string(&j, "s");
    json_string(&j, NULL);
    json_array_end(&j);
    assert_false(j.failed);
    assert_int_equal(j.depth, 0);
    assert_buf_equal(&b, "[0,-42,9223372036854775807,-9223372036854775808,"
                         "true,false,null,\"s\",\"\"]");
    buf_free(&b);
}

static void test_nested(void **state)
{
    struct buf b;
    struct json j;
    (void)state;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_kv_string(&j, "name", "expired \"cert\"");
    json_kv_int(&j, "port", 9443);
    json_kv_bool(&j, "ok", false);
    json_key(&j, "list");
    json_array_begin(&j);
    json_object_begin(&j);
    json_kv_int(&j, "a", 1);
    json_object_end(&j);
    json_object_begin(&j);
    json_object_end(&j);
    json_array_begin(&j);
    json_array_end(&j);
    json_array_begin(&j);
    json_int(&j, 1);
    json_array_begin(&j);
    json_int(&j, 2);
    json_int(&j, 3);
    json_array_end(&j);
    json_int(&j, 4);
    json_array_end(&j);
    json_string(&j, "last");
    json_array_end(&j);
    json_key(&j, "obj");
    json_object_begin(&j);
    json_key(&j, "k\n");
    json_null(&j);
    json_key(&j, "inner");
    json_object_begin(&j);
    json_kv_string(&j, "x", "y");
    json_object_end(&j);
    json_object_end(&j);
    json_kv_int(&j, "after", -1);
    json_object_end(&j);
    assert_false(j.failed);
    assert_int_equal(j.depth, 0);
    assert_buf_equal(&b, "{\"name\":\"expired \\\"cert\\\"\",\"port\":9443,"
                         "\"ok\":false,\"list\":[{\"a\":1},{},[],"
                         "[1,[2,3],4],\"last\"],\"obj\":{\"k\\n\":null,"
                         "\"inner\":{\"x\":\"y\"}},\"after\":-1}");
    buf_free(&b);
}

static void test_empty_containers(void **state)
{
    struct buf b;
    struct json j;
    (void)state;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_object_end(&j);
    assert_buf_equal(&b, "{}");
    buf_reset(&b);
    json_init(&j, &b);
    json_array_begin(&j);
    json_array_begin(&j);
    json_array_end(&j);
    json_array_end(&j);
    assert_buf_equal(&b, "[[]]");
    buf_free(&b);
}

static void test_depth_limit(void **state)
{
    struct buf b;
    struct json j;
    (void)state;
    buf_init(&b);
    json_init(&j, &b);
    /* Depth 0 is the top level, so JSON_MAX_DEPTH - 1 containers fit. */
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
        json_array_begin(&j);
    assert_false(j.failed);
    assert_int_equal(j.depth, JSON_MAX_DEPTH - 1);
    json_int(&j, 7);
    json_int(&j, 8);
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
        json_array_end(&j);
    assert_false(j.failed);
    assert_buf_equal(&b, "[[[[[[[[[[[[[[[7,8]]]]]]]]]]]]]]]");
    /* One more is refused and reported, without writing past the comma
     * table. */
    buf_reset(&b);
    json_init(&j, &b);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_object_begin(&j);
    assert_true(j.failed);
    assert_int_equal(j.depth, JSON_MAX_DEPTH - 1);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_escape_appends),
        cmocka_unit_test(test_escape_long),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
