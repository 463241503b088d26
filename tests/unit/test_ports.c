/*
 * Port resolution: the offset moves configured ports, port 0 stays any
 * free port, --ephemeral-ports makes every port 0, and a port moved above
 * 65535 is refused with a message that names the port and the offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ports.h"

static void test_offset_moves_the_port(void **state)
{
    struct ports_rule rule = {.offset = 100, .ephemeral = false};
    int port = -1;
    (void)state;
    assert_int_equal(ports_resolve(&rule, 9401, &port), 0);
    assert_int_equal(port, 9501);
    rule.offset = 0;
    assert_int_equal(ports_resolve(&rule, 9401, &port), 0);
    assert_int_equal(port, 9401);
}

static void test_zero_stays_zero(void **state)
{
    struct ports_rule rule = {.offset = 100, .ephemeral = false};
    int port = -1;
    (void)state;
    assert_int_equal(ports_resolve(&rule, 0, &port), 0);
    assert_int_equal(port, 0);
}

static void test_ephemeral_makes_every_port_zero(void **state)
{
    struct ports_rule rule = {.offset = 0, .ephemeral = true};
    int port = -1;
    (void)state;
    assert_int_equal(ports_resolve(&rule, 9401, &port), 0);
    assert_int_equal(port, 0);
    /* Nothing is bound at configured + offset, so nothing overflows. */
    rule.offset = 65535;
    assert_int_equal(ports_resolve(&rule, 9401, &port), 0);
    assert_int_equal(port, 0);
}

static void test_above_65535_is_refused(void **state)
{
    struct ports_rule rule = {.offset = 56134, .ephemeral = false};
    int port = -1;
    (void)state;
    assert_int_equal(ports_resolve(&rule, 9401, &port), 0);
    assert_int_equal(port, 65535);
    rule.offset = 56135;
    assert_int_equal(ports_resolve(&rule, 9401, &port), -1);
    /* The listing shows where the port would have gone. */
    assert_int_equal(port, 65536);
}

static void test_explain(void **state)
{
    struct ports_rule rule = {.offset = 60000, .ephemeral = false};
    char why[128];
    (void)state;
    assert_string_equal(ports_explain(why, sizeof(why), "port", 9401, &rule),
                        "port 9401 with --port-offset 60000 is above 65535");
    assert_string_equal(
        ports_explain(why, sizeof(why), "dashboard port", 9400, &rule),
        "dashboard port 9400 with --port-offset 60000 is above 65535");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_moves_the_port),
        cmocka_unit_test(test_zero_stays_zero),
        cmocka_unit_test(test_ephemeral_makes_every_port_zero),
        cmocka_unit_test(test_above_65535_is_refused),
        cmocka_unit_test(test_explain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
