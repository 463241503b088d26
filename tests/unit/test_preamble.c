/*
 * The preamble layer: preamble_none hands every byte to TLS at once, at
 * accept and after input alike, and writes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "preamble.h"

static void test_none_hands_over_at_once(void **state)
{
    struct buf in, out;
    struct dialogue d = {0};
    const char *why = NULL;
    (void)state;
    buf_init(&in);
    buf_init(&out);
    assert_string_equal(preamble_none.name, "none");
    assert_int_equal(preamble_none.size, 0);
    /* At accept: nothing has arrived, nothing is said. */
    assert_int_equal(preamble_none.input(NULL, &d, &in, &out, &why), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&out), 0);
    /* A ClientHello's first bytes stay where the TLS layer reads them. */
    assert_int_equal(buf_append(&in, "\x16\x03\x01\x00\x05", 5), 0);
    assert_int_equal(preamble_none.input(NULL, &d, &in, &out, &why), PREAMBLE_TLS);
    assert_int_equal(buf_pending(&in), 5);
    assert_memory_equal(buf_head(&in), "\x16\x03\x01\x00\x05", 5);
    assert_int_equal(buf_pending(&out), 0);
    assert_null(why);
    preamble_none.clear(NULL);
    buf_free(&in);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_hands_over_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
