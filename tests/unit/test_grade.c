/*
 * The grading rules: for each intent, what the server saw against the
 * client's exit status (or without one, as the scoreboard grades), which
 * exit statuses are inconsistent, and the words a report prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "grade.h"

static struct scenario must_fail, should_succeed, depends;

static int setup(void **state)
{
    (void)state;
    memset(&must_fail, 0, sizeof(must_fail));
    snprintf(must_fail.name, sizeof(must_fail.name), "expired");
    snprintf(must_fail.explain, sizeof(must_fail.explain), "It expired.");
    must_fail.outcomes = 1u << SCENARIO_OUTCOME_CLIENT_ALERT |
                         1u << SCENARIO_OUTCOME_CLIENT_CLOSED;
    should_succeed = must_fail;
    should_succeed.outcomes = 1u << SCENARIO_OUTCOME_COMPLETED;
    depends = must_fail;
    depends.outcomes = 1u << SCENARIO_OUTCOME_COMPLETED |
                       1u << SCENARIO_OUTCOME_FAULT;
    return 0;
}

/* outcome, handshake done, request answered, exit status (-1: none). */
static struct grade_result judge(const struct scenario *s,
                                 enum scenario_outcome o, bool done,
                                 bool request, int exit_status)
{
    struct grade_input in = {o, done, request, "what the server saw",
                             exit_status >= 0, exit_status};
    struct grade_result r;
    memset(&r, 0, sizeof(r));
    grade_judge(s, &in, &r);
    return r;
}

#define assert_why(r, text)                                                  \
    do {                                                                     \
        if (strstr((r).why, (text)) == NULL)                                 \
            fail_msg("no \"%s\" in \"%s\"", (text), (r).why);               \
    } while (0)

static void test_intents(void **state)
{
    (void)state;
    assert_int_equal(grade_intent(&must_fail), INTENT_FAIL);
    assert_int_equal(grade_intent(&should_succeed), INTENT_SUCCEED);
    assert_int_equal(grade_intent(&depends), INTENT_DEPENDS);
    assert_string_equal(grade_intent_name(INTENT_DEPENDS), "depends");
    assert_int_equal(grade_parse("ERROR"), GRADE_ERROR);
    assert_int_equal(grade_parse("pass"), -1);
}

static void test_must_fail(void **state)
{
    (void)state;
    struct grade_result r;
    /* Refused, and said so. */
    r = judge(&must_fail, SCENARIO_OUTCOME_CLIENT_ALERT, false, false, 60);
    assert_int_equal(r.grade, GRADE_PASS);
    assert_false(r.inconsistent);
    assert_why(r, "refused: what the server saw");
    /* Accepted: it asked for the page. */
    r = judge(&must_fail, SCENARIO_OUTCOME_COMPLETED, true, true, 0);
    assert_int_equal(r.grade, GRADE_FAIL);
    assert_true(r.accepted);
    assert_why(r, "accepted what it must refuse");
    assert_why(r, "It expired.");
    /* Refused, yet exited 0: it swallows the error. */
    r = judge(&must_fail, SCENARIO_OUTCOME_CLIENT_ALERT, false, false, 0);
    assert_int_equal(r.grade, GRADE_FAIL);
    assert_true(r.inconsistent);
    assert_why(r, "the command exited 0 although the server saw it refuse");
    /* The handshake completed and nothing was asked (a host name check
     * after the handshake): the exit status decides. */
    r = judge(&must_fail, SCENARIO_OUTCOME_COMPLETED, true, false, 60);
    assert_int_equal(r.grade, GRADE_PASS);
    assert_false(r.accepted);
    assert_why(r, ", and the command exited 60");
    r = judge(&must_fail, SCENARIO_OUTCOME_COMPLETED, true, false, 0);
    assert_int_equal(r.grade, GRADE_FAIL);
    /* A fault after the handshake (a cut response) likewise. */
    r = judge(&must_fail, SCENARIO_OUTCOME_FAULT, true, true, 0);
    assert_int_equal(r.grade, GRADE_FAIL);
    assert_false(r.inconsistent);
    r = judge(&must_fail, SCENARIO_OUTCOME_FAULT, true, true, 18);
    assert_int_equal(r.grade, GRADE_PASS);
    /* A fault before it is a refusal. */
    r = judge(&must_fail, SCENARIO_OUTCOME_FAULT, false, false, 35);
    assert_int_equal(r.grade, GRADE_PASS);
}

static void test_should_succeed(void **state)
{
    (void)state;
    struct grade_result r;
    r = judge(&should_succeed, SCENARIO_OUTCOME_COMPLETED, true, true, 0);
    assert_int_equal(r.grade, GRADE_PASS);
    assert_why(r, "accepted: what the server saw");
    /* A clean exchange, a failure status: inconsistent. */
    r = judge(&should_succeed, SCENARIO_OUTCOME_COMPLETED, true, true, 1);
    assert_int_equal(r.grade, GRADE_FAIL);
    assert_true(r.inconsistent);
    assert_why(r, "the command exited 1 after a clean exchange");
    r = judge(&should_succeed, SCENARIO_OUTCOME_CLIENT_ALERT, false, false,
              60);
    assert_int_equal(r.grade, GRADE_FAIL);
    assert_why(r, "refused a connection it should accept");
    /* A handshake alone (s_client < /dev/null): the exit status says. */
    r = judge(&should_succeed, SCENARIO_OUTCOME_COMPLETED, true, false, 0);
    assert_int_equal(r.grade, GRADE_PASS);
}

static void test_depends(void **state)
{
    (void)state;
    struct grade_result r;
    r = judge(&depends, SCENARIO_OUTCOME_COMPLETED, true, true, 0);
    assert_int_equal(r.grade, GRADE_INFO);
    assert_why(r, "accepted (it depends on the client)");
    r = judge(&depends, SCENARIO_OUTCOME_FAULT, false, false, 35);
    assert_int_equal(r.grade, GRADE_INFO);
    assert_why(r, "refused (it depends on the client)");
    /* An error page: a failure status is no contradiction (--fail). */
    r = judge(&depends, SCENARIO_OUTCOME_HTTP_ERROR, true, true, 22);
    assert_false(r.inconsistent);
    r = judge(&depends, SCENARIO_OUTCOME_COMPLETED, true, true, 7);
    assert_true(r.inconsistent);
}

/* The scoreboard has no exit status: what the server cannot tell is
 * INFO, never a PASS. */
static void test_server_alone(void **state)
{
    (void)state;
    struct grade_result r;
    r = judge(&must_fail, SCENARIO_OUTCOME_CLIENT_ALERT, false, false, -1);
    assert_int_equal(r.grade, GRADE_PASS);
    r = judge(&must_fail, SCENARIO_OUTCOME_COMPLETED, true, true, -1);
    assert_int_equal(r.grade, GRADE_FAIL);
    r = judge(&must_fail, SCENARIO_OUTCOME_FAULT, true, true, -1);
    assert_int_equal(r.grade, GRADE_INFO);
    assert_false(r.decided);
    assert_why(r, "only the client can tell");
    r = judge(&should_succeed, SCENARIO_OUTCOME_COMPLETED, true, false, -1);
    assert_int_equal(r.grade, GRADE_INFO);
    r = judge(&must_fail, SCENARIO_OUTCOME_PLAINTEXT, false, false, -1);
    assert_int_equal(r.grade, GRADE_FAIL);
}

/* Going on without TLS fails wherever the scenario does not list it,
 * whatever the intent and the exit status; where it is listed, the
 * intent decides as for any outcome. */
static void test_plaintext(void **state)
{
    (void)state;
    struct grade_result r;
    r = judge(&should_succeed, SCENARIO_OUTCOME_PLAINTEXT, false, true, 0);
    assert_int_equal(r.grade, GRADE_FAIL);
    assert_why(r, "went on without TLS: what the server saw. It expired.");
    r = judge(&should_succeed, SCENARIO_OUTCOME_PLAINTEXT, false, true, -1);
    assert_int_equal(r.grade, GRADE_FAIL);
    r = judge(&depends, SCENARIO_OUTCOME_PLAINTEXT, false, true, 0);
    assert_int_equal(r.grade, GRADE_FAIL);
    depends.outcomes |= 1u << SCENARIO_OUTCOME_PLAINTEXT;
    r = judge(&depends, SCENARIO_OUTCOME_PLAINTEXT, false, true, 0);
    assert_int_equal(r.grade, GRADE_INFO);
    assert_why(r, "accepted (it depends on the client)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_intents, setup),
        cmocka_unit_test_setup(test_must_fail, setup),
        cmocka_unit_test_setup(test_should_succeed, setup),
        cmocka_unit_test_setup(test_depends, setup),
        cmocka_unit_test_setup(test_server_alone, setup),
        cmocka_unit_test_setup(test_plaintext, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
