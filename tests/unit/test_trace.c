/*
 * The trace: every outcome the verdict can classify (and which wins when
 * several apply), the words for each, and the events as the log's sink
 * receives them: field by field and the sentence for people.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "trace.h"

/* The events the log handed to its sink, one JSON object a line. */
static char captured[16384];

static void capture(void *arg, const char *json, size_t len)
{
    size_t used = strlen(captured);
    (void)arg;
    if (used + len + 2 < sizeof(captured)) {
        memcpy(captured + used, json, len);
        captured[used + len] = '\n';
        captured[used + len + 1] = '\0';
    }
}

static int setup(void **state)
{
    (void)state;
    captured[0] = '\0';
    log_set_sink(capture, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_set_sink(NULL, NULL);
    return 0;
}

#define assert_captured(text)                                                  \
    do {                                                                       \
        if (strstr(captured, (text)) == NULL)                                  \
            fail_msg("no %s in:\n%s", (text), captured);                       \
    } while (0)

static struct scenario scenario;

/* A connection to a scenario that exists to show a client alert. */
static struct trace fresh(void)
{
    struct trace t;
    memset(&t, 0, sizeof(t));
    memset(&scenario, 0, sizeof(scenario));
    strcpy(scenario.name, "expired");
    strcpy(scenario.title, "Expired server certificate");
    strcpy(scenario.explain, "The leaf has ended.");
    scenario.outcomes = 1u << SCENARIO_OUTCOME_CLIENT_ALERT;
    t.scenario = &scenario;
    t.id = 7;
    t.ms = 12;
    strcpy(t.peer, "127.0.0.1:5000");
    t.end = TRACE_END_PEER_FIN;
    return t;
}

static void test_classify_each_outcome(void **state)
{
    struct trace t;
    (void)state;

    t = fresh();
    assert_int_equal(trace_classify(&t, -1, -1),
                     SCENARIO_OUTCOME_CLIENT_CLOSED);
    t.end = TRACE_END_TIMEOUT;
    assert_int_equal(trace_classify(&t, -1, -1), SCENARIO_OUTCOME_TIMEOUT);

    t = fresh();
    t.handshake_done = true;
    t.http_status = 200;
    assert_int_equal(trace_classify(&t, -1, -1), SCENARIO_OUTCOME_COMPLETED);
    t.http_status = 403;
    assert_int_equal(trace_classify(&t, -1, -1),
                     SCENARIO_OUTCOME_HTTP_ERROR);

    t = fresh();
    assert_int_equal(trace_classify(&t, 40, -1),
                     SCENARIO_OUTCOME_SERVER_ALERT);
    assert_int_equal(trace_classify(&t, -1, 45),
                     SCENARIO_OUTCOME_CLIENT_ALERT);
    t.fault_fired = true;
    assert_int_equal(trace_classify(&t, -1, -1), SCENARIO_OUTCOME_FAULT);
}

/* When several apply: the scenario's own fault, then the client's alert,
 * then ours, then an HTTP error, then completion, then a timeout. */
static void test_classify_precedence(void **state)
{
    struct trace t = fresh();
    (void)state;
    t.fault_fired = true;
    t.handshake_done = true;
    t.end = TRACE_END_TIMEOUT;
    assert_int_equal(trace_classify(&t, 40, 45), SCENARIO_OUTCOME_FAULT);
    t.fault_fired = false;
    assert_int_equal(trace_classify(&t, 40, 45),
                     SCENARIO_OUTCOME_CLIENT_ALERT);
    assert_int_equal(trace_classify(&t, 40, -1),
                     SCENARIO_OUTCOME_SERVER_ALERT);
    t.http_status = 500;
    assert_int_equal(trace_classify(&t, -1, -1),
                     SCENARIO_OUTCOME_HTTP_ERROR);
    t.http_status = 0;
    assert_int_equal(trace_classify(&t, -1, -1), SCENARIO_OUTCOME_COMPLETED);
    t.handshake_done = false;
    assert_int_equal(trace_classify(&t, -1, -1), SCENARIO_OUTCOME_TIMEOUT);
}

static void test_describe_each_outcome(void **state)
{
    struct trace t = fresh();
    char out[200];
    (void)state;
    t.http_status = 200;
    trace_describe(&t, SCENARIO_OUTCOME_COMPLETED, -1, -1, out, sizeof(out));
    assert_string_equal(out,
                        "the handshake completed and the page was served");
    t.http_status = 0;
    trace_describe(&t, SCENARIO_OUTCOME_COMPLETED, -1, -1, out, sizeof(out));
    assert_string_equal(out, "the handshake completed");
    trace_describe(&t, SCENARIO_OUTCOME_CLIENT_ALERT, -1, 45, out,
                   sizeof(out));
    assert_string_equal(out, "the client refused with alert "
                             "certificate_expired(45)");
    trace_describe(&t, SCENARIO_OUTCOME_SERVER_ALERT, 40, -1, out,
                   sizeof(out));
    assert_string_equal(out, "the server refused with alert "
                             "handshake_failure(40)");
    trace_describe(&t, SCENARIO_OUTCOME_CLIENT_CLOSED, -1, -1, out,
                   sizeof(out));
    assert_string_equal(out, "the client hung up before the handshake ended");
    t.end = TRACE_END_RST;
    t.reason = "ClientHello too large";
    trace_describe(&t, SCENARIO_OUTCOME_CLIENT_CLOSED, -1, -1, out,
                   sizeof(out));
    assert_string_equal(out, "the server ended the connection before the "
                             "handshake did (ClientHello too large)");
    t.reason = "reset the connection";
    trace_describe(&t, SCENARIO_OUTCOME_FAULT, -1, -1, out, sizeof(out));
    assert_string_equal(out, "the scenario's own fault acted (reset the "
                             "connection)");
    t.http_status = 403;
    trace_describe(&t, SCENARIO_OUTCOME_HTTP_ERROR, -1, -1, out,
                   sizeof(out));
    assert_string_equal(out, "the handshake completed; the request got 403 "
                             "Forbidden");
    trace_describe(&t, SCENARIO_OUTCOME_TIMEOUT, -1, -1, out, sizeof(out));
    assert_string_equal(out, "a server timeout cut the connection");
}

/* The last lines: the alerts, the closed event, the verdict against what
 * the scenario exists to show. */
static void test_close_expected(void **state)
{
    struct trace t = fresh();
    (void)state;
    t.reason = "client sent a fatal alert";
    t.bytes_in = 300;
    t.bytes_out = 2000;
    trace_close(&t, -1, 45);
    assert_captured("\"event\":\"alert\"");
    assert_captured("\"direction\":\"received\"");
    assert_captured("\"code\":45");
    assert_captured("\"name\":\"certificate_expired\"");
    assert_captured("\"event\":\"closed\"");
    assert_captured("\"close\":\"peer-fin\"");
    assert_captured("\"bytes_in\":300");
    assert_captured("\"bytes_out\":2000");
    assert_captured("FIN from the client after 12 ms (300 bytes in, 2000 "
                    "out): client sent a fatal alert");
    assert_captured("\"event\":\"verdict\"");
    assert_captured("\"outcome\":\"client-alert\"");
    assert_captured("\"expected\":true");
    assert_captured("expected for \\\"expired\\\". The leaf has ended.");
    assert_null(strstr(captured, "\"direction\":\"sent\""));
}

static void test_close_not_expected(void **state)
{
    struct trace t = fresh();
    (void)state;
    t.handshake_done = true;
    t.http_status = 200;
    t.end = TRACE_END_FIN;
    trace_close(&t, -1, -1);
    assert_captured("\"outcome\":\"completed\"");
    assert_captured("\"expected\":false");
    assert_captured("NOT what \\\"expired\\\" exists to show (it shows: "
                    "client-alert)");
    assert_null(strstr(captured, "\"event\":\"alert\""));
}

/* A scenario that states no outcomes gets a verdict without a judgement. */
static void test_close_no_outcomes(void **state)
{
    struct trace t = fresh();
    (void)state;
    scenario.outcomes = 0;
    t.end = TRACE_END_RST;
    t.reason = "server shutting down";
    trace_close(&t, 40, -1);
    assert_captured("\"direction\":\"sent\"");
    assert_captured("\"close\":\"rst\"");
    assert_captured("\"outcome\":\"server-alert\"");
    assert_null(strstr(captured, "\"expected\""));
}

static void test_events(void **state)
{
    struct trace t = fresh();
    struct hello h;
    (void)state;
    memset(&h, 0, sizeof(h));
    h.has_sni = true;
    strcpy(h.sni, "localhost");
    h.record_version = 0x0301;
    h.legacy_version = 0x0303;
    h.versions[0] = 0x0304;
    h.versions[1] = 0x0303;
    h.n_versions = 2;
    h.ciphers[0] = 0x1301;
    h.n_ciphers = 1;
    h.n_records = 1;
    trace_accepted(&t, 9410);
    trace_hello(&t, &h);
    trace_hello_error(&t, "not a handshake record");
    trace_handshake_ok(&t, "TLSv1.3", "TLS13-AES128-GCM-SHA256", NULL, NULL);
    trace_handshake_ok(&t, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "h2",
                       NULL);
    strcpy(t.detail, "peer did not return a certificate");
    trace_handshake_failed(&t);
    t.http_status = 200;
    struct app_request get = {"GET", "/", "HTTP/1.1", false};
    trace_request(&t, &get);
    struct app_request call = {"POST", "/grpc.health.v1.Health/Check",
                               "HTTP/2", true};
    t.http_status = 403;
    trace_request(&t, &call);
    trace_flight(&t, 1234, "leaf.pem <- intermediate.pem");
    trace_renegotiate(&t);
    assert_captured("connection from 127.0.0.1:5000 to port 9410 (Expired "
                    "server certificate)");
    assert_captured("\"sni\":\"localhost\"");
    assert_captured("\"versions\":[\"TLS 1.3\",\"TLS 1.2\"]");
    assert_captured("\"record_version\":\"TLS 1.0\"");
    assert_captured("\"cipher_count\":1");
    assert_captured("SNI localhost; offers TLS 1.3, TLS 1.2; 1 cipher suites");
    assert_captured("not understood (not a handshake record); wolfSSL "
                    "answers");
    assert_captured("complete: TLSv1.3 with TLS13-AES128-GCM-SHA256; ALPN "
                    "none (not selected); client certificate: none");
    assert_captured("ALPN h2; client certificate: none");
    assert_captured("\"alpn\":\"h2\"");
    assert_captured("failed: peer did not return a certificate");
    assert_captured("GET / over HTTP/1.1 -> 200 OK");
    assert_captured("gRPC /grpc.health.v1.Health/Check over HTTP/2 -> 7 "
                    "PERMISSION_DENIED");
    assert_captured("\"grpc_status\":7");
    assert_captured("ServerHello and certificate chain (1234 bytes): "
                    "leaf.pem <- intermediate.pem");
    assert_captured("\"event\":\"renegotiate\"");
    assert_captured("\"scenario\":\"expired\"");
    assert_captured("\"id\":7");
    assert_captured("\"ms\":12");
}

static void test_action(void **state)
{
    struct trace t = fresh();
    struct scenario_fault f;
    (void)state;
    memset(&f, 0, sizeof(f));
    f.at = SCENARIO_AT_CLIENT_HELLO;
    f.action.kind = SCENARIO_ALERT;
    f.action.alert = 80;
    trace_action(&t, "client_hello", &f.action, &f, "fault after the hello");
    assert_captured("\"at\":\"client_hello\"");
    assert_captured("\"action\":\"alert\"");
    assert_captured("\"alert\":80");
    assert_captured("\"why\":\"fault after the hello\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_each_outcome),
        cmocka_unit_test(test_classify_precedence),
        cmocka_unit_test(test_describe_each_outcome),
        cmocka_unit_test_setup_teardown(test_close_expected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_not_expected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_no_outcomes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_action, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
