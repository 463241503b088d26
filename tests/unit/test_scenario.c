/*
 * The scenario loader: every key of the key table with good and bad values,
 * section and syntax errors with their exact message and line, the checks
 * across a set, and loading from files and directories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "scenario.h"

/* The smallest valid scenario, lines 1-9. Sections appended to it start on
 * line 10. */
#define HEAD                                                                   \
    "[scenario]\n"                                                             \
    "name = one\n"                                                             \
    "title = One\n"                                                            \
    "category = control\n"                                                     \
    "port = 0\n"                                                               \
    "explain = Why.\n"
#define TLS                                                                    \
    "[tls]\n"                                                                  \
    "cert = leaf\n"                                                            \
    "key = leaf\n"
#define GOOD HEAD TLS

/* HEAD and TLS as a table, so that one value can be replaced (or, with
 * NULL, left out) while every other line keeps its number. */
static const char *const good_lines[][2] = {
    {"[scenario]", NULL}, {"name", "one"},      {"title", "One"},
    {"category", "control"}, {"port", "0"},     {"explain", "Why."},
    {"[tls]", NULL},      {"cert", "leaf"},     {"key", "leaf"},
};

static const char *text_with(char *out, size_t size, const char *key,
                             const char *value)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(good_lines) / sizeof(good_lines[0]); i++) {
        const char *k = good_lines[i][0], *v = good_lines[i][1];
        int n;
        if (v == NULL)
            n = snprintf(out + used, size - used, "%s\n", k);
        else if (strcmp(k, key) == 0 && value == NULL)
            n = snprintf(out + used, size - used, "; %s left out\n", k);
        else
            n = snprintf(out + used, size - used, "%s = %s\n", k,
                         strcmp(k, key) == 0 ? value : v);
        assert_true(n > 0 && (size_t)n < size - used);
        used += (size_t)n;
    }
    return out;
}

/* Loads text as "test.ini" into set with a fresh diagnostic. */
static int load(struct scenario_set *set, const char *text, struct diag *d)
{
    diag_clear(d);
    return scenario_load_string(set, text, "test.ini", d);
}

/* Asserts that text loads, reporting the diagnostic when it does not. */
#define assert_loads(set, text)                                                \
    do {                                                                       \
        struct diag d_;                                                        \
        if (load((set), (text), &d_) != 0)                                     \
            fail_msg("expected to load, got %s:%d: %s", d_.file, d_.line,      \
                     d_.msg);                                                  \
    } while (0)

/* Asserts that text is refused with exactly this line and message, and
 * that nothing was added to the set. Failures point at the caller. */
#define assert_load_error(text, line, msg)                                     \
    check_load_error((text), (line), (msg), __FILE__, __LINE__)

static void check_load_error(const char *text, int line, const char *msg,
                             const char *file, int at)
{
    struct scenario_set set = {0};
    struct diag d;
    int rc = load(&set, text, &d);
    _assert_int_equal(cast_to_largest_integral_type(rc),
                      cast_to_largest_integral_type(-1), file, at);
    _assert_string_equal(d.msg, msg, file, at);
    _assert_int_equal(cast_to_largest_integral_type(d.line),
                      cast_to_largest_integral_type(line), file, at);
    _assert_string_equal(d.file, "test.ini", file, at);
    _assert_int_equal(cast_to_largest_integral_type(set.count), 0, file, at);
    scenario_set_free(&set);
}

/* ---- the minimal scenario and every key ------------------------------- */

static void test_minimal_defaults(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD);
    assert_int_equal(set.count, 1);
    const struct scenario *s = &set.items[0];
    assert_string_equal(s->file, "test.ini");
    assert_int_equal(s->line, 1);
    assert_string_equal(s->name, "one");
    assert_string_equal(s->title, "One");
    assert_string_equal(s->category, "control");
    assert_int_equal(s->port, 0);
    assert_string_equal(s->explain, "Why.");
    assert_string_equal(s->identity.cert, "leaf");
    assert_string_equal(s->identity.key, "leaf");
    /* Defaults for everything left out. */
    assert_int_equal(s->min_version, SCENARIO_TLS12);
    assert_int_equal(s->max_version, SCENARIO_TLS13);
    assert_string_equal(s->ciphers, "");
    assert_int_equal(s->identity.n_chain, 0);
    assert_string_equal(s->dh_params, "");
    assert_string_equal(s->ocsp_staple, "");
    assert_string_equal(s->ocsp_ca, "");
    assert_int_equal(s->client_auth, SCENARIO_CLIENT_AUTH_NONE);
    assert_int_equal(s->missing_cert_status, 0);
    assert_int_equal(s->n_sni_names, 0);
    assert_string_equal(s->sni_identity.cert, "");
    assert_int_equal(s->on_unknown.kind, SCENARIO_SERVE);
    assert_int_equal(s->on_missing.kind, SCENARIO_SERVE);
    assert_int_equal(s->n_expect, 0);
    scenario_set_free(&set);
}

static const char every_key[] =
    "; Every key in the table, with comments and blank lines between.\n"
    "\n"
    "[scenario]\n"                                  /* 3 */
    "name     = every-key_1.0\n"
    "title    = Every key: set\n"
    "category = client-cert\n"
    "port     = 65535\n"
    "explain  = First line. ; an inline comment\n"
    "# a comment\n"
    "[tls]\n"                                       /* 10 */
    "versions  = 1.0-1.2\n"
    "ciphers   = ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA\n"
    "cert      = leaf-rsa1024\n"
    "key       = leaf.rsa1024\n"
    "chain     = intermediate , root_ca,third\n"
    "dh_params = dh1024\n"
    "ocsp_staple = leaf.ocsp\n"
    "ocsp_ca     = ca\n"
    "[client_auth]\n"                               /* 19 */
    "mode         = optional\n"
    "ca           = client-ca\n"
    "min_rsa_bits = 16384\n"
    "missing_cert_status = 403\n"
    "[sni]\n"                                       /* 24 */
    "names      = a.example.test, *.wild.test ,under_score\n"
    "cert       = leaf-sni\n"
    "key        = leaf-sni\n"
    "chain      = intermediate\n"
    "on_unknown = alert:unrecognized_name\n"
    "on_missing = reset\n"
    "[expect.curl]\n"                               /* 31 */
    "args    = --tlsv1.0 --tls-max 1.2\n"
    "host    = a.example.test\n"
    "exit    = 35\n"
    "message = error: handshake failure\n"
    "note    = Old curl says something else.\n"
    "request = yes\n"
    "\n"
    "[expect.openssl.with-cert]\n"                  /* 39 */
    "exit    = 0\n"
    "message = Verify return code: 0 (ok)\n";

static void test_every_key(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, every_key);
    const struct scenario *s = &set.items[0];
    assert_int_equal(s->line, 3);
    assert_string_equal(s->name, "every-key_1.0");
    assert_string_equal(s->title, "Every key: set");
    assert_string_equal(s->category, "client-cert");
    assert_int_equal(s->port, 65535);
    assert_string_equal(s->explain, "First line.");

    assert_int_equal(s->min_version, SCENARIO_TLS10);
    assert_int_equal(s->max_version, SCENARIO_TLS12);
    assert_string_equal(s->ciphers, "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA");
    assert_string_equal(s->identity.cert, "leaf-rsa1024");
    assert_string_equal(s->identity.key, "leaf.rsa1024");
    assert_int_equal(s->identity.n_chain, 3);
    assert_string_equal(s->identity.chain[0], "intermediate");
    assert_string_equal(s->identity.chain[1], "root_ca");
    assert_string_equal(s->identity.chain[2], "third");
    assert_string_equal(s->dh_params, "dh1024");
    assert_string_equal(s->ocsp_staple, "leaf.ocsp");
    assert_string_equal(s->ocsp_ca, "ca");

    assert_int_equal(s->client_auth, SCENARIO_CLIENT_AUTH_OPTIONAL);
    assert_string_equal(s->client_ca, "client-ca");
    assert_int_equal(s->client_min_rsa_bits, 16384);
    assert_int_equal(s->missing_cert_status, 403);

    assert_int_equal(s->n_sni_names, 3);
    assert_string_equal(s->sni_names[0], "a.example.test");
    assert_string_equal(s->sni_names[1], "*.wild.test");
    assert_string_equal(s->sni_names[2], "under_score");
    assert_string_equal(s->sni_identity.cert, "leaf-sni");
    assert_string_equal(s->sni_identity.key, "leaf-sni");
    assert_int_equal(s->sni_identity.n_chain, 1);
    assert_string_equal(s->sni_identity.chain[0], "intermediate");
    assert_int_equal(s->on_unknown.kind, SCENARIO_ALERT);
    assert_int_equal(s->on_unknown.alert, 112);
    assert_int_equal(s->on_missing.kind, SCENARIO_RESET);

    assert_int_equal(s->n_expect, 2);
    const struct scenario_expect *e = &s->expect[0];
    assert_string_equal(e->client, "curl");
    assert_string_equal(e->variant, "");
    assert_int_equal(e->line, 31);
    assert_string_equal(e->args, "--tlsv1.0 --tls-max 1.2");
    assert_string_equal(e->host, "a.example.test");
    for (int g = 0; g < SCENARIO_GEN_COUNT; g++) {
        assert_int_equal(e->gen[g].n_exits, 1);
        assert_int_equal(e->gen[g].exits[0], 35);
        assert_string_equal(e->gen[g].message, "error: handshake failure");
        assert_string_equal(e->gen[g].note, "Old curl says something else.");
    }
    assert_true(e->request);
    e = &s->expect[1];
    assert_string_equal(e->client, "openssl");
    assert_string_equal(e->variant, "with-cert");
    assert_int_equal(e->line, 39);
    assert_int_equal(e->gen[0].n_exits, 1);
    assert_int_equal(e->gen[0].exits[0], 0);
    assert_string_equal(e->gen[0].message, "Verify return code: 0 (ok)");
    assert_string_equal(e->args, "");
    assert_false(e->request);
    scenario_set_free(&set);
}

static void test_crlf_line_endings(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, "[scenario]\r\nname = crlf\r\ntitle = T\r\n"
                       "category = control\r\nport = 7\r\nexplain = E\r\n"
                       "\r\n[tls]\r\ncert = leaf\r\nkey = leaf\r\n");
    assert_string_equal(set.items[0].name, "crlf");
    assert_int_equal(set.items[0].port, 7);
    assert_string_equal(set.items[0].explain, "E");
    assert_string_equal(set.items[0].identity.key, "leaf");
    scenario_set_free(&set);
}

/* ---- [scenario] values ------------------------------------------------ */

static void test_scenario_values_bad(void **state)
{
    char t[1024];
    (void)state;
    assert_load_error(text_with(t, sizeof(t), "name", "Upper"), 2,
                      "[scenario] name: \"Upper\" may hold only lower-case "
                      "letters, digits, '.', '-' and '_'");
    assert_load_error(text_with(t, sizeof(t), "name", "a b"), 2,
                      "[scenario] name: \"a b\" may hold only lower-case "
                      "letters, digits, '.', '-' and '_'");
    assert_load_error(text_with(t, sizeof(t), "name", ""), 2,
                      "[scenario] name is empty");
    assert_load_error(
        text_with(t, sizeof(t), "name",
                  "a123456789b123456789c123456789d123456789e123456789"
                  "f123456789g123"),
        2, "[scenario] name is too long (64 characters, at most 63)");
    assert_load_error(text_with(t, sizeof(t), "title", ""), 3,
                      "[scenario] title is empty");
    char title[131];
    memset(title, 't', 130);
    title[130] = '\0';
    assert_load_error(text_with(t, sizeof(t), "title", title), 3,
                      "[scenario] title is too long (130 characters, at "
                      "most 127)");
    assert_load_error(text_with(t, sizeof(t), "category", "broken"), 4,
                      "[scenario] category: unknown category \"broken\" "
                      "(known: control, certificate, protocol, cipher, "
                      "client-cert, sni, alpn, transport, dialogue, alert, http)");
    assert_load_error(text_with(t, sizeof(t), "explain", ""), 6,
                      "[scenario] explain is empty");
}

static void test_categories_good(void **state)
{
    static const char *const cats[] = {"control", "certificate", "protocol",
                                       "cipher", "client-cert", "sni",
                                       "transport", "alpn", "dialogue"};
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
        struct scenario_set set = {0};
        assert_loads(&set, text_with(t, sizeof(t), "category", cats[i]));
        assert_string_equal(set.items[0].category, cats[i]);
        scenario_set_free(&set);
    }
}

/* The outcomes as the loader lists them in its messages. */
#define KNOWN_OUTCOMES                                                         \
    "completed, client-alert, server-alert, client-closed, fault, "          \
    "http-error, timeout, plaintext"

static void test_outcome(void **state)
{
    static const struct {
        const char *name;
        enum scenario_outcome o;
    } names[] = {
        {"completed", SCENARIO_OUTCOME_COMPLETED},
        {"client-alert", SCENARIO_OUTCOME_CLIENT_ALERT},
        {"server-alert", SCENARIO_OUTCOME_SERVER_ALERT},
        {"client-closed", SCENARIO_OUTCOME_CLIENT_CLOSED},
        {"fault", SCENARIO_OUTCOME_FAULT},
        {"http-error", SCENARIO_OUTCOME_HTTP_ERROR},
        {"timeout", SCENARIO_OUTCOME_TIMEOUT},
        {"plaintext", SCENARIO_OUTCOME_PLAINTEXT},
    };
    char t[1024];
    (void)state;
    /* Left out: no bits, "not stated". */
    struct scenario_set set = {0};
    assert_loads(&set, GOOD);
    assert_int_equal(set.items[0].outcomes, 0);
    scenario_set_free(&set);
    /* Each name alone sets its own bit, and names itself back. */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_string_equal(scenario_outcome_name(names[i].o), names[i].name);
        snprintf(t, sizeof(t), HEAD "outcome = %s\n" TLS, names[i].name);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].outcomes, 1u << names[i].o);
        scenario_set_free(&set);
    }
    assert_string_equal(scenario_outcome_name(SCENARIO_OUTCOME_COUNT), "?");
    /* A list, with blanks around items; a repeat is harmless. */
    assert_loads(&set, HEAD "outcome = client-alert ,fault,  timeout,fault\n"
                            TLS);
    assert_int_equal(set.items[0].outcomes,
                     (1u << SCENARIO_OUTCOME_CLIENT_ALERT) |
                         (1u << SCENARIO_OUTCOME_FAULT) |
                         (1u << SCENARIO_OUTCOME_TIMEOUT));
    scenario_set_free(&set);
    assert_loads(&set, HEAD "outcome = completed, client-alert, server-alert,"
                            " client-closed, fault, http-error, timeout,"
                            " plaintext\n" TLS);
    assert_int_equal(set.items[0].outcomes,
                     (1u << SCENARIO_OUTCOME_COUNT) - 1);
    scenario_set_free(&set);
}

static void test_outcome_bad(void **state)
{
    (void)state;
    assert_load_error(HEAD "outcome = completed, crashed\n" TLS, 7,
                      "[scenario] outcome: \"crashed\" is not one of "
                      KNOWN_OUTCOMES);
    assert_load_error(HEAD "outcome = Completed\n" TLS, 7,
                      "[scenario] outcome: \"Completed\" is not one of "
                      KNOWN_OUTCOMES);
    assert_load_error(HEAD "outcome = client_alert\n" TLS, 7,
                      "[scenario] outcome: \"client_alert\" is not one of "
                      KNOWN_OUTCOMES);
    assert_load_error(HEAD "outcome = fault timeout\n" TLS, 7,
                      "[scenario] outcome: \"fault timeout\" is not one of "
                      KNOWN_OUTCOMES);
    assert_load_error(HEAD "outcome = fault, , timeout\n" TLS, 7,
                      "[scenario] outcome has an empty item");
    assert_load_error(HEAD "outcome = fault,,timeout\n" TLS, 7,
                      "[scenario] outcome has an empty item");
    assert_load_error(HEAD "outcome = fault,\n" TLS, 7,
                      "[scenario] outcome has an empty item");
    assert_load_error(HEAD "outcome = ,fault\n" TLS, 7,
                      "[scenario] outcome has an empty item");
    assert_load_error(HEAD "outcome =\n" TLS, 7,
                      "[scenario] outcome is empty");
    assert_load_error(HEAD "outcome = fault\noutcome = timeout\n" TLS, 8,
                      "[scenario] outcome is set twice (first at line 7)");
}

static void test_port(void **state)
{
    static const struct {
        const char *text;
        int port;
    } good[] = {{"0", 0}, {"1", 1}, {"8443", 8443}, {"65535", 65535}};
    static const char *const bad[] = {"65536", "-1", "443x", "0x1bb", "",
                                      "4 43", "99999999999999999999"};
    char t[1024], msg[256];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct scenario_set set = {0};
        assert_loads(&set, text_with(t, sizeof(t), "port", good[i].text));
        assert_int_equal(set.items[0].port, good[i].port);
        scenario_set_free(&set);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(msg, sizeof(msg),
                 "[scenario] port: \"%s\" is not a whole number from 0 to "
                 "65535",
                 bad[i]);
        assert_load_error(text_with(t, sizeof(t), "port", bad[i]), 5, msg);
    }
}

/* ---- [tls] values ----------------------------------------------------- */

static void test_versions_good(void **state)
{
    static const struct {
        const char *text;
        enum scenario_version lo, hi;
        const char *described;
    } cases[] = {
        {"ssl3", SCENARIO_SSL3, SCENARIO_SSL3, "ssl3"},
        {"1.0", SCENARIO_TLS10, SCENARIO_TLS10, "1.0"},
        {"1.1", SCENARIO_TLS11, SCENARIO_TLS11, "1.1"},
        {"1.2", SCENARIO_TLS12, SCENARIO_TLS12, "1.2"},
        {"1.3", SCENARIO_TLS13, SCENARIO_TLS13, "1.3"},
        {"ssl3-1.3", SCENARIO_SSL3, SCENARIO_TLS13, "ssl3-1.3"},
        {"1.0-1.1", SCENARIO_TLS10, SCENARIO_TLS11, "1.0-1.1"},
        {"1.2-1.2", SCENARIO_TLS12, SCENARIO_TLS12, "1.2"},
    };
    char t[1024], described[32];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t), GOOD "versions = %s\n", cases[i].text);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].min_version, cases[i].lo);
        assert_int_equal(set.items[0].max_version, cases[i].hi);
        scenario_versions_describe(&set.items[0], described,
                                   sizeof(described));
        assert_string_equal(described, cases[i].described);
        scenario_set_free(&set);
    }
}

static void test_versions_bad(void **state)
{
    static const char *const not_versions[] = {
        "1.4", "TLS1.2", "1.2-", "-1.3", "1.2 - 1.3", "1.2-1.3-1.3", "3", ""};
    char t[1024], msg[256];
    (void)state;
    for (size_t i = 0; i < sizeof(not_versions) / sizeof(not_versions[0]);
         i++) {
        snprintf(t, sizeof(t), GOOD "versions = %s\n", not_versions[i]);
        snprintf(msg, sizeof(msg),
                 "[tls] versions: \"%s\" is not a version or range (use "
                 "ssl3, 1.0, 1.1, 1.2, 1.3, or a range such as 1.2-1.3)",
                 not_versions[i]);
        assert_load_error(t, 10, msg);
    }
    assert_load_error(GOOD "versions = 1.3-1.2\n", 10,
                      "[tls] versions: range \"1.3-1.2\" runs backwards");
    assert_load_error(GOOD "versions = 1.0-ssl3\n", 10,
                      "[tls] versions: range \"1.0-ssl3\" runs backwards");
}

static void test_ciphers(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "ciphers = RC4-SHA\n");
    assert_string_equal(set.items[0].ciphers, "RC4-SHA");
    assert_load_error(GOOD "ciphers =\n", 10, "[tls] ciphers is empty");
    scenario_set_free(&set);
}

/* Every key that names a file in the certificates directory, with the
 * text before it that puts it on line 10 or later. */
static const struct {
    const char *prefix;
    const char *label;
    const char *key;
    int line;
} stem_keys[] = {
    {GOOD, "[tls]", "dh_params", 10},
    {GOOD, "[tls]", "ocsp_staple", 10},
    {GOOD "ocsp_staple = leaf.ocsp\n", "[tls]", "ocsp_ca", 11},
    {HEAD "[tls]\nkey = leaf\n", "[tls]", "cert", 9},
    {HEAD "[tls]\ncert = leaf\n", "[tls]", "key", 9},
    {GOOD "[client_auth]\nmode = required\n", "[client_auth]", "ca", 12},
    {GOOD "[sni]\nkey = leaf\n", "[sni]", "cert", 12},
    {GOOD "[sni]\ncert = leaf\n", "[sni]", "key", 12},
};

static void test_stems(void **state)
{
    static const char *const bad[] = {"sub/leaf", "../leaf", "..", ".hidden",
                                      "/etc/passwd", "leaf key", "le\\af"};
    char t[1024], msg[512];
    (void)state;
    for (size_t k = 0; k < sizeof(stem_keys) / sizeof(stem_keys[0]); k++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t), "%s%s = Leaf_2.v-1\n", stem_keys[k].prefix,
                 stem_keys[k].key);
        assert_loads(&set, t);
        scenario_set_free(&set);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            snprintf(t, sizeof(t), "%s%s = %s\n", stem_keys[k].prefix,
                     stem_keys[k].key, bad[i]);
            snprintf(msg, sizeof(msg),
                     "%s %s: \"%s\" is not a file stem in the certificates "
                     "directory (letters, digits, '.', '_' and '-'; no path)",
                     stem_keys[k].label, stem_keys[k].key, bad[i]);
            assert_load_error(t, stem_keys[k].line, msg);
        }
        snprintf(t, sizeof(t), "%s%s =\n", stem_keys[k].prefix,
                 stem_keys[k].key);
        snprintf(msg, sizeof(msg), "%s %s is empty", stem_keys[k].label,
                 stem_keys[k].key);
        assert_load_error(t, stem_keys[k].line, msg);
        snprintf(t, sizeof(t),
                 "%s%s = a123456789b123456789c123456789d123456789e123456789"
                 "f123456789g123\n",
                 stem_keys[k].prefix, stem_keys[k].key);
        snprintf(msg, sizeof(msg),
                 "%s %s is too long (64 characters, at most 63)",
                 stem_keys[k].label, stem_keys[k].key);
        assert_load_error(t, stem_keys[k].line, msg);
    }
}

static void test_chain(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "chain = c1,c2,c3,c4,c5,c6,c7,c8\n");
    assert_int_equal(set.items[0].identity.n_chain, 8);
    assert_string_equal(set.items[0].identity.chain[7], "c8");
    assert_load_error(GOOD "chain = c1,c2,c3,c4,c5,c6,c7,c8,c9\n", 10,
                      "[tls] chain lists more than 8 certificates");
    assert_load_error(GOOD "chain = intermediate, ../root\n", 10,
                      "[tls] chain: \"../root\" is not a file stem in the "
                      "certificates directory (letters, digits, '.', '_' and "
                      "'-'; no path)");
    assert_load_error(GOOD "chain = intermediate, dir/root\n", 10,
                      "[tls] chain: \"dir/root\" is not a file stem in the "
                      "certificates directory (letters, digits, '.', '_' and "
                      "'-'; no path)");
    assert_load_error(GOOD "chain = a, ,b\n", 10,
                      "[tls] chain has an empty item");
    assert_load_error(GOOD "chain =\n", 10, "[tls] chain is empty");
    assert_load_error(GOOD "chain = ,\n", 10, "[tls] chain has an empty item");
    assert_load_error(
        GOOD "chain = ok, a123456789b123456789c123456789d123456789e123456789"
             "f123456789g123\n",
        10,
        "[tls] chain: \"a123456789b123456789c123456789d123456789e123456789"
        "f123456789g123\" is too long");
    scenario_set_free(&set);
}

/* ---- [client_auth] ---------------------------------------------------- */

static void test_client_auth(void **state)
{
    static const struct {
        const char *mode;
        enum scenario_client_auth want;
    } modes[] = {{"none", SCENARIO_CLIENT_AUTH_NONE},
                 {"optional", SCENARIO_CLIENT_AUTH_OPTIONAL},
                 {"required", SCENARIO_CLIENT_AUTH_REQUIRED},
                 {"renegotiate", SCENARIO_CLIENT_AUTH_RENEGOTIATE}};
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t),
                 GOOD "versions = 1.2\n[client_auth]\nmode = %s\n"
                      "ca = client-ca\nmin_rsa_bits = 512\n",
                 modes[i].mode);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].client_auth, modes[i].want);
        assert_string_equal(set.items[0].client_ca, "client-ca");
        assert_int_equal(set.items[0].client_min_rsa_bits, 512);
        assert_int_equal(set.items[0].missing_cert_status, 0);
        scenario_set_free(&set);
    }
    assert_load_error(GOOD "[client_auth]\nmode = Required\n", 11,
                      "[client_auth] mode: \"Required\" is not none, "
                      "optional, required or renegotiate");
    assert_load_error(GOOD "[client_auth]\nmode = yes\n", 11,
                      "[client_auth] mode: \"yes\" is not none, optional, "
                      "required or renegotiate");
    assert_load_error(GOOD "[client_auth]\nmin_rsa_bits = 511\n", 11,
                      "[client_auth] min_rsa_bits: \"511\" is not a whole "
                      "number from 512 to 16384");
    assert_load_error(GOOD "[client_auth]\nmin_rsa_bits = 16385\n", 11,
                      "[client_auth] min_rsa_bits: \"16385\" is not a whole "
                      "number from 512 to 16384");
    assert_load_error(GOOD "[client_auth]\nmin_rsa_bits = 2048bits\n", 11,
                      "[client_auth] min_rsa_bits: \"2048bits\" is not a "
                      "whole number from 512 to 16384");
    /* A mode other than none needs the CA; the line is the header's. */
    assert_load_error(GOOD "\n[client_auth]\nmode = required\n", 11,
                      "[client_auth] needs ca (the CA that signs client "
                      "certificates) when mode is not none");
    assert_load_error(GOOD "[client_auth]\nmode = optional\n", 10,
                      "[client_auth] needs ca (the CA that signs client "
                      "certificates) when mode is not none");
    /* Renegotiation does not exist in TLS 1.3, the default maximum. */
    assert_load_error(GOOD "[client_auth]\nmode = renegotiate\nca = c\n", 7,
                      "[tls] needs versions of at most 1.2 when "
                      "[client_auth] mode is renegotiate (TLS 1.3 has no "
                      "renegotiation)");
    assert_load_error(GOOD "versions = 1.2-1.3\n[client_auth]\n"
                           "mode = renegotiate\nca = c\n",
                      7,
                      "[tls] needs versions of at most 1.2 when "
                      "[client_auth] mode is renegotiate (TLS 1.3 has no "
                      "renegotiation)");
}

static void test_missing_cert_status(void **state)
{
    static const char *const bad[] = {"199", "600", "0", "404x", "-404"};
    char t[1024], msg[256];
    (void)state;
    for (int status = 200; status <= 599; status += 399) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t),
                 GOOD "[client_auth]\nmode = optional\nca = c\n"
                      "missing_cert_status = %d\n",
                 status);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].missing_cert_status, status);
        scenario_set_free(&set);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "[client_auth]\nmode = optional\nca = c\n"
                      "missing_cert_status = %s\n",
                 bad[i]);
        snprintf(msg, sizeof(msg),
                 "[client_auth] missing_cert_status: \"%s\" is not a whole "
                 "number from 200 to 599",
                 bad[i]);
        assert_load_error(t, 13, msg);
    }
    /* It only means something when a client may leave the certificate
     * out. */
    assert_load_error(GOOD "[client_auth]\nmode = required\nca = c\n"
                           "missing_cert_status = 403\n",
                      10,
                      "[client_auth] needs mode = optional for "
                      "missing_cert_status to apply");
    assert_load_error(GOOD "\n[client_auth]\nmissing_cert_status = 403\n", 11,
                      "[client_auth] needs mode = optional for "
                      "missing_cert_status to apply");
}

static void test_ocsp(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "ocsp_staple = leaf-revoked.ocsp\n");
    assert_string_equal(set.items[0].ocsp_staple, "leaf-revoked.ocsp");
    assert_string_equal(set.items[0].ocsp_ca, "");
    scenario_set_free(&set);
    assert_load_error(GOOD "ocsp_ca = ca\n", 7,
                      "[tls] needs ocsp_staple to go with ocsp_ca");
}

/* ocsp_ca goes with ocsp_staple in either order; alone it is refused on
 * the line of the [tls] header, wherever that is. */
static void test_ocsp_pair(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "ocsp_ca = ca\nocsp_staple = leaf.ocsp\n");
    assert_string_equal(set.items[0].ocsp_staple, "leaf.ocsp");
    assert_string_equal(set.items[0].ocsp_ca, "ca");
    scenario_set_free(&set);
    assert_load_error(HEAD "\n\n" TLS "ocsp_ca = ca\n", 9,
                      "[tls] needs ocsp_staple to go with ocsp_ca");
    assert_load_error(HEAD "[tls]\nocsp_ca = ca\ncert = leaf\nkey = leaf\n"
                           "[client_auth]\nmode = optional\nca = c\n",
                      7, "[tls] needs ocsp_staple to go with ocsp_ca");
}

/* Renegotiation needs a maximum of TLS 1.2 or older; the minimum does not
 * matter. */
static void test_client_auth_renegotiate_versions(void **state)
{
    static const char *const good[] = {"1.2", "1.0-1.2", "ssl3-1.1", "1.1"};
    static const char *const bad[] = {"1.3", "1.2-1.3", "ssl3-1.3"};
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t),
                 GOOD "versions = %s\n[client_auth]\nmode = renegotiate\n"
                      "ca = client-ca\n",
                 good[i]);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].client_auth,
                         SCENARIO_CLIENT_AUTH_RENEGOTIATE);
        scenario_set_free(&set);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "versions = %s\n[client_auth]\nmode = renegotiate\n"
                      "ca = client-ca\n",
                 bad[i]);
        assert_load_error(t, 7,
                          "[tls] needs versions of at most 1.2 when "
                          "[client_auth] mode is renegotiate (TLS 1.3 has "
                          "no renegotiation)");
    }
    /* The CA check comes first. */
    assert_load_error(GOOD "versions = 1.2-1.3\n[client_auth]\n"
                           "mode = renegotiate\n",
                      11,
                      "[client_auth] needs ca (the CA that signs client "
                      "certificates) when mode is not none");
}

/* missing_cert_status needs mode = optional: not none (stated or left
 * out), required or renegotiate. */
static void test_missing_cert_status_modes(void **state)
{
    static const char *const modes[] = {"none", "required", "renegotiate"};
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "versions = 1.2\n[client_auth]\nmode = %s\nca = c\n"
                      "missing_cert_status = 421\n",
                 modes[i]);
        assert_load_error(t, 11,
                          "[client_auth] needs mode = optional for "
                          "missing_cert_status to apply");
    }
    struct scenario_set set = {0};
    assert_loads(&set, GOOD "[client_auth]\nmissing_cert_status = 421\n"
                            "mode = optional\nca = c\n");
    assert_int_equal(set.items[0].missing_cert_status, 421);
    scenario_set_free(&set);
    assert_load_error(GOOD "[client_auth]\nmode = optional\nca = c\n"
                           "missing_cert_status = 403\n"
                           "missing_cert_status = 404\n",
                      14,
                      "[client_auth] missing_cert_status is set twice "
                      "(first at line 13)");
    assert_load_error(GOOD "[client_auth]\nmode = optional\nca = c\n"
                           "missing_cert_status =\n",
                      13,
                      "[client_auth] missing_cert_status: \"\" is not a "
                      "whole number from 200 to 599");
}

/* ---- [sni] ------------------------------------------------------------ */

static void test_sni_names(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "[sni]\nnames = n1,n2,n3,n4,n5,n6,n7,N8.Test\n");
    const struct scenario *s = &set.items[0];
    assert_int_equal(s->n_sni_names, 8);
    assert_true(scenario_sni_registered(s, "n8.test"));
    assert_true(scenario_sni_registered(s, "N1"));
    assert_false(scenario_sni_registered(s, "n9"));
    assert_false(scenario_sni_registered(s, "n8.test."));
    assert_false(scenario_sni_registered(s, ""));
    assert_load_error(GOOD "[sni]\nnames = n1,n2,n3,n4,n5,n6,n7,n8,n9\n", 11,
                      "[sni] names lists more than 8 names");
    assert_load_error(GOOD "[sni]\nnames = good.test, bad name\n", 11,
                      "[sni] names: \"bad name\" is not a host name");
    assert_load_error(GOOD "[sni]\nnames = x.test/path\n", 11,
                      "[sni] names: \"x.test/path\" is not a host name");
    assert_load_error(GOOD "[sni]\nnames =\n", 11, "[sni] names is empty");
    assert_load_error(GOOD "[sni]\nnames = a, , b\n", 11,
                      "[sni] names has an empty item");
    scenario_set_free(&set);
}

static void test_sni_actions(void **state)
{
    static const struct {
        const char *text;
        enum scenario_action_kind kind;
        int alert;
    } good[] = {
        {"serve", SCENARIO_SERVE, 0},
        {"reset", SCENARIO_RESET, 0},
        {"close", SCENARIO_CLOSE, 0},
        {"alert:unrecognized_name", SCENARIO_ALERT, 112},
        {"alert:close_notify", SCENARIO_ALERT, 0},
        {"alert:handshake_failure", SCENARIO_ALERT, 40},
    };
    static const char *const keys[] = {"on_unknown", "on_missing"};
    char t[1024], msg[2048], names[1024];
    (void)state;
    alert_list(names, sizeof(names));
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
            struct scenario_set set = {0};
            snprintf(t, sizeof(t), GOOD "[sni]\n%s = %s\n", keys[k],
                     good[i].text);
            assert_loads(&set, t);
            const struct scenario_action *a = k == 0
                                                  ? &set.items[0].on_unknown
                                                  : &set.items[0].on_missing;
            assert_int_equal(a->kind, good[i].kind);
            if (good[i].kind == SCENARIO_ALERT)
                assert_int_equal(a->alert, good[i].alert);
            scenario_set_free(&set);
        }
        static const char *const not_actions[] = {"drop", "Reset", "alert",
                                                  "112", "serve please"};
        for (size_t i = 0; i < sizeof(not_actions) / sizeof(not_actions[0]);
             i++) {
            snprintf(t, sizeof(t), GOOD "[sni]\n%s = %s\n", keys[k],
                     not_actions[i]);
            snprintf(msg, sizeof(msg),
                     "[sni] %s: \"%s\" is not one of serve, alert:NAME, "
                     "reset, close, stall, plaintext, garbage",
                     keys[k], not_actions[i]);
            assert_load_error(t, 11, msg);
        }
        static const char *const not_alerts[] = {"nonsense", "",
                                                 "Unrecognized_Name", "112"};
        for (size_t i = 0; i < sizeof(not_alerts) / sizeof(not_alerts[0]);
             i++) {
            snprintf(t, sizeof(t), GOOD "[sni]\n%s = alert:%s\n", keys[k],
                     not_alerts[i]);
            snprintf(msg, sizeof(msg),
                     "[sni] %s: unknown alert \"%s\" (known: %s)", keys[k],
                     not_alerts[i], names);
            assert_load_error(t, 11, msg);
        }
    }
    /* The list in that message is the whole alert table. */
    assert_non_null(strstr(names, "close_notify, unexpected_message, "));
    assert_non_null(strstr(names, ", no_application_protocol"));
}

/* [sni] and [resumption] each hold a second identity, whole or absent. */
static void test_identity_pairs(void **state)
{
    static const char *const sections[] = {"sni", "resumption"};
    char t[1024], msg[128];
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        snprintf(t, sizeof(t), GOOD "\n[%s]\ncert = leaf-sni\n", sections[i]);
        snprintf(msg, sizeof(msg), "[%s] needs both cert and key, or neither",
                 sections[i]);
        assert_load_error(t, 11, msg);
        snprintf(t, sizeof(t), GOOD "[%s]\nkey = leaf-sni\n", sections[i]);
        assert_load_error(t, 10, msg);
        snprintf(t, sizeof(t), GOOD "[%s]\nchain = intermediate\n",
                 sections[i]);
        snprintf(msg, sizeof(msg), "[%s] needs cert and key to go with chain",
                 sections[i]);
        assert_load_error(t, 10, msg);
    }
}

/* [resumption]: off by default; refuse, a second identity and an action
 * right after a ClientHello that offers to resume. */
/* [http]: the answer's status, header lines (one per indented line),
 * a body read from beside the scenario file, and a plain-HTTP companion
 * port; each mistake is the file's, with its line. */
static void test_http_section(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD);
    assert_int_equal(set.items[0].http_status, 0);
    assert_int_equal(set.items[0].http_headers.n, 0);
    assert_int_equal(set.items[0].plain_port, -1);
    assert_string_equal(set.items[0].http_body.file, "");
    scenario_set_free(&set);

    assert_loads(&set, GOOD "[http]\nstatus = 301\n"
                            "headers = Location:   http://localhost:{plain_port}/\n"
                            "  Strict-Transport-Security: max-age=60\n"
                            "plain_port = 9999\n");
    const struct scenario *s = &set.items[0];
    assert_int_equal(s->http_status, 301);
    assert_int_equal(s->http_headers.n, 2);
    assert_string_equal(s->http_headers.line[0],
                        "Location: http://localhost:{plain_port}/");
    assert_string_equal(s->http_headers.line[1],
                        "Strict-Transport-Security: max-age=60");
    assert_int_equal(s->plain_port, 9999);
    scenario_set_free(&set);

    /* The body, beside the scenario file. */
    char dir[] = "/tmp/shakedown-http-XXXXXX", path[512], ini[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/page.html", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("<p>{port} {plain_port} {x}</p>\n", f);
    fclose(f);
    snprintf(ini, sizeof(ini), "%s/one.ini", dir);
    struct diag d;
    diag_clear(&d);
    const char *with_body = GOOD "[http]\ncontent_type = text/html\n"
                                 "body = page.html\nplain_port = 0\n";
    assert_int_equal(scenario_load_string(&set, with_body, ini, &d), 0);
    assert_string_equal(set.items[0].http_body.file, "page.html");
    assert_int_equal(set.items[0].http_body.len, 31);
    assert_memory_equal(set.items[0].http_body.data, "<p>{port} {plain_port}", 22);
    scenario_set_free(&set);
    /* Without a companion, {plain_port} in the body is a mistake; other
     * braces in it (a script's) are text. */
    const char *no_plain = GOOD "[http]\ncontent_type = text/html\n"
                                "body = page.html\n";
    assert_int_equal(scenario_load_string(&set, no_plain, ini, &d), -1);
    assert_string_equal(d.msg, "[http] needs plain_port for {plain_port} in "
                               "its body");
    assert_int_equal(d.line, 10);
    unlink(path);
    rmdir(dir);

    assert_load_error(GOOD "[http]\nbody = nowhere.html\n", 11,
                      "[http] body: cannot read nowhere.html: No such file or "
                      "directory");
    assert_load_error(GOOD "[http]\ncontent_type = text/html\n", 10,
                      "[http] needs body to go with content_type (the "
                      "scenario's own page is text/plain)");
    assert_load_error(GOOD "[http]\nstatus = 302\n", 10,
                      "[http] needs location to go with a redirect status");
    assert_load_error(GOOD "[http]\nlocation = /a\nheaders = Location: /b\n", 10,
                      "[http] needs one Location: the location key or a "
                      "Location line in headers, not both");
    assert_load_error(GOOD "[http]\nstatus = 307\nlocation = http://x:{plain_port}/\n", 10,
                      "[http] needs plain_port for {plain_port} in location (and "
                      "no placeholder but {port})");
    assert_load_error(GOOD "[http]\nstatus = 204\n", 11,
                      "[http] status: 204 has no body; any other status from "
                      "200 to 599 will do");
    assert_load_error(GOOD "[http]\nheaders = Content-Length: 5\n", 11,
                      "[http] headers: Content-Length is the server's own (the "
                      "body's type is content_type)");
    assert_load_error(GOOD "[http]\nheaders = X-A: 1\n  no colon\n", 12,
                      "[http] headers: \"no colon\" is not a header line "
                      "(Name: value)");
    assert_load_error(GOOD "[http]\nheaders = Bad Name: 1\n", 11,
                      "[http] headers: \"Bad Name: 1\" is not a header line "
                      "(Name: value)");
    assert_load_error(GOOD "[http]\nheaders = X-A: {plain_port}\n", 10,
                      "[http] needs plain_port for {plain_port} in headers "
                      "(and no placeholder but {port})");
    assert_load_error(GOOD "[http]\nheaders = X-A: {host}\nplain_port = 1\n", 10,
                      "[http] needs no placeholder but {port} and {plain_port} "
                      "in headers");

    /* A companion port is a port like the others: used once. */
    assert_loads(&set, "[scenario]\nname = a\ntitle = A\ncategory = control\n"
                       "port = 9001\nexplain = Why.\n" TLS
                       "[http]\nplain_port = 9002\n");
    assert_int_equal(load(&set, "[scenario]\nname = b\ntitle = B\ncategory = "
                                "control\nport = 9002\nexplain = Why.\n" TLS,
                          &d), -1);
    assert_string_equal(d.msg, "port 9002 is already the plain_port of "
                               "scenario \"a\" (test.ini:1)");
    assert_int_equal(load(&set, "[scenario]\nname = c\ntitle = C\ncategory = "
                                "control\nport = 9003\nexplain = Why.\n" TLS
                                "[http]\nplain_port = 9001\n", &d), -1);
    assert_string_equal(d.msg, "[http] plain_port 9001 is already the port of "
                               "scenario \"a\" (test.ini:1)");
    scenario_set_free(&set);
    assert_load_error("[scenario]\nname = a\ntitle = A\ncategory = control\n"
                      "port = 9001\nexplain = Why.\n" TLS
                      "[http]\nplain_port = 9001\n", 10,
                      "[http] needs a plain_port other than the scenario's port");
}

static void test_resumption(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD);
    assert_false(set.items[0].resumption_refuse);
    assert_string_equal(set.items[0].resumed_identity.cert, "");
    assert_int_equal(set.items[0].on_resumption.kind, SCENARIO_SERVE);
    scenario_set_free(&set);

    assert_loads(&set, GOOD "[resumption]\nrefuse = yes\ncert = leaf-other\n"
                            "key = leaf-other\nchain = intermediate\n"
                            "action = alert:handshake_failure\n");
    const struct scenario *s = &set.items[0];
    assert_true(s->resumption_refuse);
    assert_string_equal(s->resumed_identity.cert, "leaf-other");
    assert_string_equal(s->resumed_identity.key, "leaf-other");
    assert_int_equal(s->resumed_identity.n_chain, 1);
    assert_int_equal(s->on_resumption.kind, SCENARIO_ALERT);
    assert_int_equal(s->on_resumption.alert, 40);
    assert_int_equal(s->fault.at, SCENARIO_AT_NONE);
    scenario_set_free(&set);

    assert_load_error(GOOD "[resumption]\naction = drip\n", 11,
                      "[resumption] action: \"drip\" is not one of serve, "
                      "alert:NAME, reset, close, stall, plaintext, garbage");
    assert_load_error(GOOD "[resumption]\nrefuse = maybe\n", 11,
                      "[resumption] refuse: \"maybe\" is not yes or no");
}

/* The SNI policy acts right after the ClientHello: stall, plaintext and
 * garbage are possible there, drip and truncate are not (there is no
 * flight to drip and no response to truncate). */
static void test_sni_fault_actions(void **state)
{
    static const struct {
        const char *text;
        enum scenario_action_kind kind;
    } good[] = {{"stall", SCENARIO_STALL},
                {"plaintext", SCENARIO_PLAINTEXT},
                {"garbage", SCENARIO_GARBAGE}};
    static const char *const bad[] = {"drip", "truncate"};
    static const char *const keys[] = {"on_unknown", "on_missing"};
    char t[1024], msg[512];
    (void)state;
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
            struct scenario_set set = {0};
            snprintf(t, sizeof(t), GOOD "[sni]\nnames = a.test\n%s = %s\n",
                     keys[k], good[i].text);
            assert_loads(&set, t);
            const struct scenario *s = &set.items[0];
            assert_int_equal(k == 0 ? s->on_unknown.kind : s->on_missing.kind,
                             good[i].kind);
            assert_int_equal(k == 0 ? s->on_missing.kind : s->on_unknown.kind,
                             SCENARIO_SERVE);
            /* The SNI policy is not a [fault]. */
            assert_int_equal(s->fault.at, SCENARIO_AT_NONE);
            scenario_set_free(&set);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            snprintf(t, sizeof(t), GOOD "[sni]\nnames = a.test\n%s = %s\n",
                     keys[k], bad[i]);
            snprintf(msg, sizeof(msg),
                     "[sni] %s: \"%s\" is not one of serve, alert:NAME, "
                     "reset, close, stall, plaintext, garbage",
                     keys[k], bad[i]);
            assert_load_error(t, 12, msg);
        }
    }
}

/* ---- [expect.CLIENT] -------------------------------------------------- */

/* The clients an [expect.CLIENT] section may name, as the loader lists
 * them. */
#define KNOWN_CLIENTS                                                          \
    "curl, openssl, python, gnutls, grpc, nghttp, psql, mariadb, wolfssl, "   \
    "chromium"

static void test_expect_clients(void **state)
{
    static const char *const clients[] = {"curl",   "openssl", "python",
                                          "gnutls", "wolfssl", "chromium"};
    const size_t n = sizeof(clients) / sizeof(clients[0]);
    char t[4096];
    (void)state;
    size_t used = (size_t)snprintf(t, sizeof(t), "%s", GOOD);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(t + used, sizeof(t) - used,
                                 "[expect.%s]\nexit = %zu\nmessage = m%zu\n"
                                 "[expect.%s.v_%zu-x]\nexit = 255\n"
                                 "message = v\n",
                                 clients[i], i, i, clients[i], i);
    struct scenario_set set = {0};
    assert_loads(&set, t);
    const struct scenario *s = &set.items[0];
    assert_int_equal(s->n_expect, 2 * n);
    for (size_t i = 0; i < n; i++) {
        char variant[16];
        snprintf(variant, sizeof(variant), "v_%zu-x", i);
        assert_string_equal(s->expect[2 * i].client, clients[i]);
        assert_string_equal(s->expect[2 * i].variant, "");
        assert_int_equal(s->expect[2 * i].gen[0].exits[0], (int)i);
        assert_int_equal(s->expect[2 * i].line, 10 + 6 * (int)i);
        assert_string_equal(s->expect[2 * i + 1].client, clients[i]);
        assert_string_equal(s->expect[2 * i + 1].variant, variant);
        assert_int_equal(s->expect[2 * i + 1].gen[0].exits[0], 255);
        assert_int_equal(s->expect[2 * i + 1].line, 13 + 6 * (int)i);
    }
    scenario_set_free(&set);
}

static void test_expect_values_bad(void **state)
{
    (void)state;
    assert_load_error(GOOD "[expect.curl]\nexit = 256\nmessage = m\n", 11,
                      "[expect.curl] exit: \"256\" is not a whole number "
                      "from 0 to 255");
    assert_load_error(GOOD "[expect.curl.v]\nexit = -1\nmessage = m\n", 11,
                      "[expect.curl.v] exit: \"-1\" is not a whole number "
                      "from 0 to 255");
    assert_load_error(GOOD "[expect.gnutls]\nexit = one\n", 11,
                      "[expect.gnutls] exit: \"one\" is not a whole number "
                      "from 0 to 255");
    assert_load_error(GOOD "[expect.python]\nmessage =\n", 11,
                      "[expect.python] message is empty");
    assert_load_error(GOOD "[expect.python]\nargs =\n", 11,
                      "[expect.python] args is empty");
    assert_load_error(GOOD "[expect.python]\nhost =\n", 11,
                      "[expect.python] host is empty");
    assert_load_error(GOOD "[expect.python]\nnote =\n", 11,
                      "[expect.python] note is empty");
    /* exit and message are required; the line is the header's. */
    assert_load_error(GOOD "[expect.curl]\nexit = 0\n\n[expect.openssl]\n"
                           "exit = 1\nmessage = m\n",
                      10, "[expect.curl] needs exit and message");
    assert_load_error(GOOD "[expect.curl]\nexit = 0\nmessage = m\n"
                           "[expect.openssl.x]\nmessage = m\n",
                      13, "[expect.openssl.x] needs exit and message");
}

static void test_expect_request(void **state)
{
    static const struct {
        const char *text;
        bool want;
    } good[] = {{"yes", true}, {"true", true}, {"no", false},
                {"false", false}};
    static const char *const bad[] = {"Yes", "1", "on", "y"};
    char t[1024], msg[256];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t),
                 GOOD "[expect.curl]\nexit = 0\nmessage = m\nrequest = %s\n",
                 good[i].text);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].expect[0].request, good[i].want);
        scenario_set_free(&set);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "[expect.curl]\nexit = 0\nmessage = m\nrequest = %s\n",
                 bad[i]);
        snprintf(msg, sizeof(msg),
                 "[expect.curl] request: \"%s\" is not yes or no", bad[i]);
        assert_load_error(t, 13, msg);
    }
}

/* [scenario] served_over names where the scenario is served (every
 * protocol when unsaid), and [expect.PROTOCOL.CLIENT] expectations must
 * be for one of them. */
static void test_protocols(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "[expect.smtp.curl]\nexit = 60\nmessage = m\n"
                            "[expect.curl]\nexit = 0\nmessage = n\n"
                            "[expect.postgres.psql.v]\nexit = 2\n"
                            "message = p\n");
    const struct scenario *s = &set.items[0];
    assert_int_equal(s->protocols, 0);
    assert_true(scenario_serves(s, PROTOCOL_HTTPS));
    assert_true(scenario_serves(s, PROTOCOL_MYSQL));
    assert_int_equal(s->n_expect, 3);
    assert_int_equal(s->expect[0].protocol, PROTOCOL_SMTP);
    assert_string_equal(s->expect[0].client, "curl");
    assert_string_equal(s->expect[0].variant, "");
    assert_int_equal(s->expect[1].protocol, PROTOCOL_HTTPS);
    assert_int_equal(s->expect[2].protocol, PROTOCOL_POSTGRES);
    assert_string_equal(s->expect[2].client, "psql");
    assert_string_equal(s->expect[2].variant, "v");
    scenario_set_free(&set);

    char text[1024];
    assert_loads(&set, text_with(text, sizeof(text), "explain",
                                 "Why.\nserved_over = https, smtp"));
    s = &set.items[0];
    assert_true(scenario_serves(s, PROTOCOL_HTTPS));
    assert_true(scenario_serves(s, PROTOCOL_SMTP));
    assert_false(scenario_serves(s, PROTOCOL_IMAP));
    scenario_set_free(&set);

    assert_load_error(text_with(text, sizeof(text), "explain",
                                "Why.\nserved_over = https, smtp2"),
                      7,
                      "[scenario] served_over: \"smtp2\" is not one of https, "
                      "smtp, smtps, imap, imaps, pop3, pop3s, ftp, ftps, "
                      "postgres, mysql (or all)");
    text_with(text, sizeof(text), "explain", "Why.\nserved_over = https");
    strcat(text, "[expect.imap.curl]\nexit = 0\nmessage = m\n");
    assert_load_error(text, 11,
                      "[expect.imap.curl]: the scenario is not served over "
                      "imap (see [scenario] served_over)");
    assert_load_error(GOOD "[expect.smtp.curl]\nexit = 0\nmessage = m\n"
                           "[expect.smtp.curl]\n",
                      13,
                      "[expect.smtp.curl] appears twice (first at line 10)");
    assert_load_error(GOOD "[expect.smtp.wget]\n", 10,
                      "[expect.smtp.wget]: unknown client \"wget\" (known: "
                      KNOWN_CLIENTS ")");
}

/* [dialogue] and a greeting fault need a dialogue: the scenario must be
 * served over STARTTLS protocols only. */
static void test_dialogue(void **state)
{
    struct scenario_set set = {0};
    char text[1024];
    (void)state;
    assert_loads(&set, GOOD);
    assert_int_equal(set.items[0].starttls, SCENARIO_STARTTLS_OFFER);
    assert_false(set.items[0].inject);
    scenario_set_free(&set);
    text_with(text, sizeof(text), "explain",
              "Why.\nserved_over = smtp, imap, postgres");
    strcat(text, "[dialogue]\nstarttls = strip\ninject = yes\n");
    assert_loads(&set, text);
    assert_int_equal(set.items[0].starttls, SCENARIO_STARTTLS_STRIP);
    assert_true(set.items[0].inject);
    scenario_set_free(&set);

    assert_load_error(GOOD "[dialogue]\nstarttls = refuse\n", 10,
                      "[dialogue] applies only where a plaintext dialogue "
                      "comes first: [scenario] served_over must list only "
                      "smtp, imap, pop3, ftp, postgres or mysql (it serves "
                      "https)");
    text_with(text, sizeof(text), "explain", "Why.\nserved_over = smtps");
    strcat(text, "[fault]\nat = greeting\naction = stall\n");
    assert_load_error(text, 11,
                      "[fault] at = greeting applies only where a plaintext "
                      "dialogue comes first: [scenario] served_over must list "
                      "only smtp, imap, pop3, ftp, postgres or mysql (it "
                      "serves smtps)");
    assert_load_error(GOOD "[dialogue]\nstarttls = maybe\n", 11,
                      "[dialogue] starttls: \"maybe\" is not offer, strip, "
                      "refuse or early");
}

static void test_expect_sections_bad(void **state)
{
    (void)state;
    assert_load_error(GOOD "[expect.wget]\nexit = 0\n", 10,
                      "[expect.wget]: unknown client \"wget\" (known: "
                      KNOWN_CLIENTS ")");
    assert_load_error(GOOD "[expect.Curl.v]\n", 10,
                      "[expect.Curl.v]: unknown client \"Curl\" (known: "
                      KNOWN_CLIENTS ")");
    assert_load_error(GOOD "[expect.]\n", 10,
                      "[expect.]: name a client after \"expect.\"");
    assert_load_error(GOOD "[expect..v]\n", 10,
                      "[expect..v]: name a client after \"expect.\"");
    assert_load_error(GOOD "[expect.curl.]\n", 10,
                      "[expect.curl.]: \"\" is not a variant name (letters, "
                      "digits, '-' and '_')");
    assert_load_error(GOOD "[expect.curl.a.b]\n", 10,
                      "[expect.curl.a.b]: \"a.b\" is not a variant name "
                      "(letters, digits, '-' and '_')");
    assert_load_error(GOOD "[expect.curl.a/b]\n", 10,
                      "[expect.curl.a/b]: \"a/b\" is not a variant name "
                      "(letters, digits, '-' and '_')");
    assert_load_error(GOOD "[expect.curl.v123456789v123456789v123456789v1]\n",
                      10,
                      "[expect.curl.v123456789v123456789v123456789v1]: "
                      "\"v123456789v123456789v123456789v1\" is not a variant "
                      "name (letters, digits, '-' and '_')");
    assert_load_error(GOOD "[expect.curl]\nexit = 0\nmessage = m\n\n"
                           "[expect.curl]\n",
                      14, "[expect.curl] appears twice (first at line 10)");
    assert_load_error(GOOD "[expect.curl.v]\nexit = 0\nmessage = m\n"
                           "[expect.curl]\nexit = 0\nmessage = m\n"
                           "[expect.curl.v]\n",
                      16, "[expect.curl.v] appears twice (first at line 10)");
}

static void test_expect_too_many(void **state)
{
    char t[8192];
    (void)state;
    size_t used = (size_t)snprintf(t, sizeof(t), "%s", GOOD);
    for (int i = 0; i < SCENARIO_MAX_EXPECT; i++)
        used += (size_t)snprintf(t + used, sizeof(t) - used,
                                 "[expect.curl.v%d]\nexit = 0\nmessage = m\n",
                                 i);
    struct scenario_set set = {0};
    assert_loads(&set, t);
    assert_int_equal(set.items[0].n_expect, SCENARIO_MAX_EXPECT);
    scenario_set_free(&set);
    snprintf(t + used, sizeof(t) - used, "[expect.openssl]\n");
    assert_load_error(t, 10 + 3 * SCENARIO_MAX_EXPECT,
                      "more than 128 [expect.*] sections");
}

/* "35 || 7": the first code, then up to three a racing client may show. */
static void test_expect_exit_alternatives(void **state)
{
    static const struct {
        const char *text;
        int exit_code;
        int n_other;
        int other[3];
    } good[] = {
        {"35", 35, 0, {0}},
        {"35 || 7", 35, 1, {7}},
        {"35||7", 35, 1, {7}},
        {"0 || 255 || 56", 0, 2, {255, 56}},
        {"35 || 7 || 56 || 0", 35, 3, {7, 56, 0}},
        {"7 || 7", 7, 1, {7}},
    };
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t), GOOD "[expect.curl]\nexit = %s\nmessage = m\n",
                 good[i].text);
        assert_loads(&set, t);
        const struct scenario_expect *e = &set.items[0].expect[0];
        assert_int_equal(e->gen[0].exits[0], good[i].exit_code);
        assert_int_equal(e->gen[0].n_exits, 1 + good[i].n_other);
        for (int j = 0; j < good[i].n_other; j++)
            assert_int_equal(e->gen[0].exits[1 + j], good[i].other[j]);
        scenario_set_free(&set);
    }
}

static void test_expect_exit_alternatives_bad(void **state)
{
    static const struct {
        const char *text;
        const char *item; /* the part the message quotes */
    } bad[] = {
        {"35 || x", "x"},     {"x || 35", "x"},   {"35 ||", ""},
        {"|| 35", ""},        {"35 |||| 7", ""},  {"35 || 256", "256"},
        {"35 || -1", "-1"},   {"35 | 7", "35 | 7"}, {"35 or 7", "35 or 7"},
        {"35 || 7 x", "7 x"},
    };
    char t[1024], msg[256];
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t, sizeof(t), GOOD "[expect.curl]\nexit = %s\nmessage = m\n",
                 bad[i].text);
        snprintf(msg, sizeof(msg),
                 "[expect.curl] exit: \"%s\" is not a whole number from 0 "
                 "to 255",
                 bad[i].item);
        assert_load_error(t, 11, msg);
    }
    /* More than four in all. */
    assert_load_error(GOOD "[expect.curl]\nexit = 35 || 7 || 56 || 0 || 1\n"
                           "message = m\n",
                      11, "[expect.curl] exit: at most 4 alternatives");
    assert_load_error(GOOD "[expect.openssl.v]\n"
                           "exit = 1||2||3||4||5||6\nmessage = m\n",
                      11, "[expect.openssl.v] exit: at most 4 alternatives");
}

/* exit@trixie, message@trixie and note@trixie override one generation;
 * the plain keys hold for every generation without its own, in either
 * order, and continue on indented lines. */
static void test_expect_generations(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "[expect.curl]\nexit@trixie = 56\nexit = 0\n"
                            "message = old\n  text\nmessage@trixie = new\n"
                            "  text\nnote@trixie = why\n");
    const struct scenario_expect *e = &set.items[0].expect[0];
    assert_int_equal(scenario_expect_generations(e), SCENARIO_GEN_COUNT);
    assert_int_equal(e->gen[SCENARIO_GEN_BOOKWORM].exits[0], 0);
    assert_string_equal(e->gen[SCENARIO_GEN_BOOKWORM].message, "old text");
    assert_string_equal(e->gen[SCENARIO_GEN_BOOKWORM].note, "");
    assert_int_equal(e->gen[SCENARIO_GEN_TRIXIE].n_exits, 1);
    assert_int_equal(e->gen[SCENARIO_GEN_TRIXIE].exits[0], 56);
    assert_string_equal(e->gen[SCENARIO_GEN_TRIXIE].message, "new text");
    assert_string_equal(e->gen[SCENARIO_GEN_TRIXIE].note, "why");
    assert_true(scenario_expect_differs(e, SCENARIO_GEN_TRIXIE));
    assert_false(scenario_expect_differs(e, SCENARIO_GEN_BOOKWORM));
    scenario_set_free(&set);

    /* A note alone does not make a difference. */
    assert_loads(&set, GOOD "[expect.python]\nexit = 1 || 2\nmessage = m\n"
                            "note@trixie = same result, other reason\n");
    e = &set.items[0].expect[0];
    assert_int_equal(e->gen[SCENARIO_GEN_TRIXIE].n_exits, 2);
    assert_string_equal(e->gen[SCENARIO_GEN_TRIXIE].message, "m");
    assert_false(scenario_expect_differs(e, SCENARIO_GEN_TRIXIE));
    scenario_set_free(&set);

    /* Our own clients have one generation. */
    assert_loads(&set, GOOD "[expect.wolfssl]\nexit = 0\nmessage = m\n");
    assert_int_equal(scenario_expect_generations(&set.items[0].expect[0]), 1);
    scenario_set_free(&set);
    assert_true(scenario_client_has_generations("gnutls"));
    assert_false(scenario_client_has_generations("chromium"));
    assert_string_equal(scenario_generation_name(SCENARIO_GEN_TRIXIE),
                        "trixie");
    assert_null(scenario_generation_name(SCENARIO_GEN_COUNT));
}

static void test_expect_generations_bad(void **state)
{
    (void)state;
    assert_load_error(GOOD "[expect.curl]\nexit = 0\nmessage = m\n"
                           "exit@sid = 1\n",
                      13, "[expect.curl] exit@sid: unknown client generation "
                          "\"sid\" (known: bookworm, trixie)");
    assert_load_error(GOOD "[expect.curl]\nexit = 0\nmessage = m\n"
                           "args@trixie = -v\n",
                      13, "[expect.curl] args@trixie: only exit, message and "
                          "note may differ by client generation");
    assert_load_error(GOOD "[expect.chromium]\nexit = 0\nmessage = m\n"
                           "message@trixie = n\n",
                      13, "[expect.chromium] message@trixie: chromium has one "
                          "generation (only curl, openssl, python and gnutls "
                          "are run from each Debian release)");
    assert_load_error(GOOD "[expect.curl]\nexit = 0\nmessage = m\n"
                           "exit@trixie = 1\nexit@trixie = 2\n",
                      14, "[expect.curl] exit@trixie is set twice (first at "
                          "line 13)");
    assert_load_error(GOOD "[expect.curl]\nexit@trixie = 1\nmessage = m\n"
                           "exit@trixie = x\n",
                      13, "[expect.curl] exit@trixie is set twice (first at "
                          "line 11)");
    assert_load_error(GOOD "[tls]\n", 10, "[tls] appears twice (first at "
                                          "line 7)");
    assert_load_error(GOOD "[expect.curl]\nexit@trixie = 1\nmessage = m\n",
                      10, "[expect.curl] needs exit and message");
    assert_load_error(GOOD "[expect.curl]\nexit = 1\nmessage@trixie = m\n",
                      10, "[expect.curl] needs exit and message");
    assert_load_error(GOOD "[expect.curl]\nexit = 0\nmessage = m\n"
                           "exit@trixie = 256\n",
                      13, "[expect.curl] exit: \"256\" is not a whole number "
                          "from 0 to 255");
}

static void test_tls_validity(void **state)
{
    static const struct {
        const char *text;
        enum scenario_validity want;
    } good[] = {{"current", SCENARIO_VALIDITY_CURRENT},
                {"ended", SCENARIO_VALIDITY_ENDED},
                {"not-begun", SCENARIO_VALIDITY_NOT_BEGUN}};
    struct scenario_set set = {0};
    char t[512];
    (void)state;
    assert_loads(&set, GOOD);
    assert_int_equal(set.items[0].validity, SCENARIO_VALIDITY_CURRENT);
    scenario_set_free(&set);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(t, sizeof(t), GOOD "validity = %s\n", good[i].text);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].validity, good[i].want);
        scenario_set_free(&set);
    }
    assert_load_error(GOOD "validity = old\n", 10,
                      "[tls] validity: \"old\" is not current, ended or "
                      "not-begun");
}

/* The SNI policy as conn applies it after the ClientHello. */
static void test_sni_policy(void **state)
{
    struct scenario_set set = {0};
    char why[300];
    bool registered;
    (void)state;
    assert_loads(&set, GOOD "[sni]\nnames = a.test, B.test\n"
                            "on_unknown = alert:unrecognized_name\n"
                            "on_missing = reset\n");
    const struct scenario *s = &set.items[0];
    const struct scenario_action *a =
        scenario_sni_policy(s, NULL, &registered, why, sizeof(why));
    assert_non_null(a);
    assert_int_equal(a->kind, SCENARIO_RESET);
    assert_false(registered);
    assert_string_equal(why, "the ClientHello has no SNI");
    a = scenario_sni_policy(s, "other.test", &registered, why, sizeof(why));
    assert_non_null(a);
    assert_int_equal(a->kind, SCENARIO_ALERT);
    assert_int_equal(a->alert, 112);
    assert_string_equal(why, "SNI \"other.test\" is not registered");
    assert_null(scenario_sni_policy(s, "b.TEST", &registered, why,
                                    sizeof(why)));
    assert_true(registered);
    scenario_set_free(&set);

    /* No [sni] section: every name and none are served alike. */
    assert_loads(&set, GOOD);
    assert_null(scenario_sni_policy(&set.items[0], NULL, &registered, why,
                                    sizeof(why)));
    assert_null(scenario_sni_policy(&set.items[0], "x.test", &registered, why,
                                    sizeof(why)));
    assert_false(registered);
    scenario_set_free(&set);
}

static void test_alpn(void **state)
{
    struct scenario_set set = {0};
    char why[300], text[128];
    (void)state;
    /* The default: h2, then http/1.1; mismatches and no ALPN go on. */
    assert_loads(&set, GOOD);
    const struct scenario *s = &set.items[0];
    assert_int_equal(s->n_alpn, 2);
    assert_string_equal(s->alpn[0], "h2");
    assert_string_equal(s->alpn[1], "http/1.1");
    assert_null(scenario_alpn_policy(s, NULL, 0, why, sizeof(why)));
    assert_null(scenario_alpn_policy(s, "imap", 1, why, sizeof(why)));
    scenario_alpn_describe(s, text, sizeof(text));
    assert_string_equal(text, "h2, http/1.1");
    scenario_set_free(&set);

    assert_loads(&set, GOOD "[alpn]\nprotocols = h2\n"
                            "on_mismatch = alert:no_application_protocol\n"
                            "on_missing = close\n");
    s = &set.items[0];
    assert_true(scenario_alpn_speaks(s, "h2"));
    assert_false(scenario_alpn_speaks(s, "http/1.1"));
    const struct scenario_action *a =
        scenario_alpn_policy(s, "http/1.1", 1, why, sizeof(why));
    assert_non_null(a);
    assert_int_equal(a->kind, SCENARIO_ALERT);
    assert_int_equal(a->alert, 120);
    assert_string_equal(why, "the client offers ALPN http/1.1; the server "
                             "speaks only h2");
    /* A prefix of an offered protocol is not that protocol. */
    assert_non_null(scenario_alpn_policy(s, "h2c,h2x", 2, why, sizeof(why)));
    assert_null(scenario_alpn_policy(s, "http/1.1,h2", 2, why, sizeof(why)));
    a = scenario_alpn_policy(s, NULL, 0, why, sizeof(why));
    assert_non_null(a);
    assert_int_equal(a->kind, SCENARIO_CLOSE);
    assert_string_equal(why, "the ClientHello offers no ALPN; the server "
                             "speaks h2");
    scenario_set_free(&set);

    /* none: the extension is ignored, whatever is offered. */
    assert_loads(&set, GOOD "[alpn]\nprotocols = none\n");
    assert_int_equal(set.items[0].n_alpn, 0);
    assert_null(scenario_alpn_policy(&set.items[0], "h2", 1, why,
                                     sizeof(why)));
    scenario_alpn_describe(&set.items[0], text, sizeof(text));
    assert_string_equal(text, "none");
    scenario_set_free(&set);

    /* Renegotiation goes without ALPN unless told otherwise. */
    assert_loads(&set, GOOD "versions = 1.2\n[client_auth]\n"
                            "mode = renegotiate\nca = client-ca\n");
    assert_int_equal(set.items[0].n_alpn, 0);
    scenario_set_free(&set);
}

static void test_alpn_bad(void **state)
{
    (void)state;
    assert_load_error(GOOD "[alpn]\nprotocols = h2, none\n", 11,
                      "[alpn] protocols: \"none\" stands alone (the server "
                      "selects no protocol)");
    assert_load_error(GOOD "[alpn]\nprotocols = h2, h2\n", 11,
                      "[alpn] protocols lists \"h2\" twice");
    assert_load_error(GOOD "[alpn]\nprotocols = pppppppppppppppppppppppppppppppp\n",
                      11, "[alpn] protocols: \"pppppppppppppppppppppppppppppppp\" "
                      "is longer than 31 bytes");
    assert_load_error(GOOD "[alpn]\nprotocols = h2,,http/1.1\n", 11,
                      "[alpn] protocols has an empty item");
    assert_load_error(GOOD "[alpn]\nprotocols = none\non_missing = reset\n",
                      10, "[alpn] needs protocols for on_mismatch "
                      "and on_missing to apply (with none, the server "
                      "ignores ALPN)");
    assert_load_error(GOOD "[alpn]\non_mismatch = truncate\n", 11,
                      "[alpn] on_mismatch: \"truncate\" is not one of serve, "
                      "alert:NAME, reset, close, stall, plaintext, garbage");
    assert_load_error(GOOD "versions = 1.2\n"
                           "[client_auth]\nmode = renegotiate\nca = c\n"
                           "[alpn]\nprotocols = http/1.1\n", 14,
                      "[alpn] needs protocols = none when [client_auth] "
                      "mode is renegotiate (HTTP/2 forbids renegotiation, "
                      "and wolfSSL would repeat the protocol in the second "
                      "ServerHello, which clients refuse)");
}

static void test_expect_timeout(void **state)
{
    static const struct {
        const char *text;
        int want;
    } good[] = {{"1", 1}, {"30", 30}, {"86400", 86400}};
    static const char *const bad[] = {"0", "86401", "-5", "10s", "", "1.5"};
    char t[1024], msg[256];
    (void)state;
    struct scenario_set set = {0};
    assert_loads(&set, GOOD "[expect.curl]\nexit = 0\nmessage = m\n");
    assert_int_equal(set.items[0].expect[0].timeout_s, 0);
    scenario_set_free(&set);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "[expect.curl]\nexit = 124\nmessage = m\ntimeout = %s\n",
                 good[i].text);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].expect[0].timeout_s, good[i].want);
        /* A timeout in [expect.*] is no [fault] duration. */
        assert_int_equal(set.items[0].fault.at, SCENARIO_AT_NONE);
        scenario_set_free(&set);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "[expect.curl]\nexit = 124\nmessage = m\ntimeout = %s\n",
                 bad[i]);
        snprintf(msg, sizeof(msg),
                 "[expect.curl] timeout: \"%s\" is not a whole number from 1 "
                 "to 86400",
                 bad[i]);
        assert_load_error(t, 13, msg);
    }
}

/* ---- [fault] ---------------------------------------------------------- */

/* The points as the loader lists them. */
#define KNOWN_POINTS                                                           \
    "accept, client_hello, server_flight, handshake_done, response, greeting"

static void test_fault_defaults(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD);
    const struct scenario_fault *f = &set.items[0].fault;
    assert_int_equal(f->at, SCENARIO_AT_NONE);
    assert_int_equal(f->action.kind, SCENARIO_SERVE);
    scenario_set_free(&set);
    /* A fault without the optional keys: the whole flight, 50 ms, 60 s. */
    assert_loads(&set, GOOD "[fault]\nat = server_flight\naction = drip\n");
    f = &set.items[0].fault;
    assert_int_equal(f->at, SCENARIO_AT_SERVER_FLIGHT);
    assert_int_equal(f->action.kind, SCENARIO_DRIP);
    assert_int_equal(f->after_bytes, 100);
    assert_true(f->after_percent);
    assert_int_equal(f->interval_ms, 50);
    assert_int_equal(f->duration_s, 60);
    scenario_set_free(&set);
}

static void test_fault_every_key(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "[fault]\nduration = 86400\ninterval_ms = 60000\n"
                            "after_bytes = 25%\naction = drip\n"
                            "at = server_flight\n");
    const struct scenario_fault *f = &set.items[0].fault;
    assert_int_equal(f->at, SCENARIO_AT_SERVER_FLIGHT);
    assert_int_equal(f->action.kind, SCENARIO_DRIP);
    assert_int_equal(f->after_bytes, 25);
    assert_true(f->after_percent);
    assert_int_equal(f->interval_ms, 60000);
    assert_int_equal(f->duration_s, 86400);
    scenario_set_free(&set);
    assert_loads(&set, GOOD "[fault]\nat = accept\n"
                            "action = alert:internal_error\n");
    f = &set.items[0].fault;
    assert_int_equal(f->at, SCENARIO_AT_ACCEPT);
    assert_int_equal(f->action.kind, SCENARIO_ALERT);
    assert_int_equal(f->action.alert, 80);
    scenario_set_free(&set);
    assert_loads(&set, GOOD "[fault]\nat = handshake_done\naction = stall\n"
                            "duration = 1\n");
    assert_int_equal(set.items[0].fault.duration_s, 1);
    scenario_set_free(&set);
    assert_loads(&set, GOOD "[fault]\nat = server_flight\naction = drip\n"
                            "interval_ms = 1\n");
    assert_int_equal(set.items[0].fault.interval_ms, 1);
    scenario_set_free(&set);
    assert_string_equal(scenario_point_name(SCENARIO_AT_RESPONSE), "response");
    assert_string_equal(scenario_point_name(SCENARIO_POINT_COUNT), "?");
    assert_string_equal(scenario_action_name(SCENARIO_TRUNCATE), "truncate");
    assert_string_equal(scenario_action_name(SCENARIO_ACTION_COUNT), "?");
}

/* after_bytes: a count of bytes, or N% of the flight. */
static void test_fault_after_bytes(void **state)
{
    static const struct {
        const char *text;
        int want;
        bool percent;
    } good[] = {
        {"0", 0, false},      {"1", 1, false},        {"100", 100, false},
        {"16777216", 1 << 24, false}, {"0%", 0, true}, {"50%", 50, true},
        {"100%", 100, true},  {"007%", 7, true},
    };
    static const struct {
        const char *text;
        const char *quoted; /* as the message quotes it */
        const char *range;
    } bad[] = {
        {"101%", "101", "0 to 100"},
        {"-1%", "-1", "0 to 100"},
        {"%", "", "0 to 100"},
        {"50%%", "50%", "0 to 100"},
        {"50 %", "50 ", "0 to 100"},
        {"16777217", "16777217", "0 to 16777216"},
        {"-1", "-1", "0 to 16777216"},
        {"10x", "10x", "0 to 16777216"},
        {"1k", "1k", "0 to 16777216"},
        {"", "", "0 to 16777216"},
        {"%50", "%50", "0 to 16777216"},
    };
    char t[1024], msg[256];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t),
                 GOOD "[fault]\nat = server_flight\naction = close\n"
                      "after_bytes = %s\n",
                 good[i].text);
        assert_loads(&set, t);
        assert_int_equal(set.items[0].fault.after_bytes, good[i].want);
        assert_int_equal(set.items[0].fault.after_percent, good[i].percent);
        scenario_set_free(&set);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t, sizeof(t),
                 GOOD "[fault]\nat = server_flight\naction = close\n"
                      "after_bytes = %s\n",
                 bad[i].text);
        snprintf(msg, sizeof(msg),
                 "[fault] after_bytes: \"%s\" is not a whole number from %s",
                 bad[i].quoted, bad[i].range);
        assert_load_error(t, 13, msg);
    }
}

static void test_fault_interval_duration_bad(void **state)
{
    static const char *const bad_interval[] = {"0", "60001", "-1", "5ms",
                                               ""};
    static const char *const bad_duration[] = {"0", "86401", "-1", "1m",
                                               "1.5"};
    char t[1024], msg[256];
    (void)state;
    for (size_t i = 0; i < sizeof(bad_interval) / sizeof(bad_interval[0]);
         i++) {
        snprintf(t, sizeof(t),
                 GOOD "[fault]\nat = server_flight\naction = drip\n"
                      "interval_ms = %s\n",
                 bad_interval[i]);
        snprintf(msg, sizeof(msg),
                 "[fault] interval_ms: \"%s\" is not a whole number from 1 "
                 "to 60000",
                 bad_interval[i]);
        assert_load_error(t, 13, msg);
    }
    for (size_t i = 0; i < sizeof(bad_duration) / sizeof(bad_duration[0]);
         i++) {
        snprintf(t, sizeof(t),
                 GOOD "[fault]\nat = accept\naction = stall\nduration = %s\n",
                 bad_duration[i]);
        snprintf(msg, sizeof(msg),
                 "[fault] duration: \"%s\" is not a whole number from 1 to "
                 "86400",
                 bad_duration[i]);
        assert_load_error(t, 13, msg);
    }
}

static void test_fault_values_bad(void **state)
{
    char t[1024], msg[2048], names[1024];
    (void)state;
    static const char *const not_points[] = {"nowhere", "none", "Accept",
                                             "server-flight", ""};
    for (size_t i = 0; i < sizeof(not_points) / sizeof(not_points[0]); i++) {
        snprintf(t, sizeof(t), GOOD "[fault]\nat = %s\naction = reset\n",
                 not_points[i]);
        snprintf(msg, sizeof(msg),
                 "[fault] at: \"%s\" is not one of " KNOWN_POINTS,
                 not_points[i]);
        assert_load_error(t, 11, msg);
    }
    /* Any action that is possible somewhere; serve is none. */
    static const char *const not_actions[] = {"serve", "explode", "Reset",
                                              "alert", ""};
    for (size_t i = 0; i < sizeof(not_actions) / sizeof(not_actions[0]);
         i++) {
        snprintf(t, sizeof(t), GOOD "[fault]\nat = accept\naction = %s\n",
                 not_actions[i]);
        snprintf(msg, sizeof(msg),
                 "[fault] action: \"%s\" is not one of alert:NAME, reset, "
                 "close, stall, drip, plaintext, garbage, truncate",
                 not_actions[i]);
        assert_load_error(t, 12, msg);
    }
    alert_list(names, sizeof(names));
    snprintf(msg, sizeof(msg),
             "[fault] action: unknown alert \"nonsense\" (known: %s)", names);
    assert_load_error(GOOD "[fault]\nat = accept\naction = alert:nonsense\n",
                      12, msg);
    assert_load_error(GOOD "[fault]\nat = accept\nat = response\n", 12,
                      "[fault] at is set twice (first at line 11)");
    assert_load_error(GOOD "[fault]\nwhen = accept\n", 11,
                      "[fault] unknown key \"when\" (known: at, action, "
                      "after_bytes, interval_ms, duration)");
    assert_load_error(GOOD "[fault]\nat = accept\naction = reset\n[fault]\n",
                      13, "[fault] appears twice (first at line 10)");
}

static void test_fault_needs_at_and_action(void **state)
{
    (void)state;
    assert_load_error(GOOD "[fault]\n", 10, "[fault] needs at and action");
    assert_load_error(GOOD "[fault]\nat = accept\n", 10,
                      "[fault] needs at and action");
    assert_load_error(GOOD "[fault]\naction = reset\n", 10,
                      "[fault] needs at and action");
    assert_load_error(GOOD "\n[fault]\nduration = 5\n", 11,
                      "[fault] needs at and action");
    /* The line is the header's, even with sections after it. */
    assert_load_error(GOOD "[fault]\naction = stall\n[expect.curl]\n"
                           "exit = 0\nmessage = m\n",
                      10, "[fault] needs at and action");
}

/* Which action is possible at which point, with the list the message
 * gives for each point. */
static void test_fault_action_at_point(void **state)
{
    static const char *const actions[] = {
        "alert:internal_error", "reset", "close", "stall",
        "drip", "plaintext", "garbage", "truncate"};
    static const struct {
        const char *point;
        const char *allowed; /* one letter per action above: y or n */
        const char *there;
    } points[] = {
        {"accept", "yyyynyyn",
         "alert:NAME, reset, close, stall, plaintext, garbage"},
        {"client_hello", "yyyynyyn",
         "alert:NAME, reset, close, stall, plaintext, garbage"},
        {"server_flight", "nyyyynnn", "reset, close, stall, drip"},
        {"handshake_done", "nyyynnnn", "reset, close, stall"},
        {"response", "nyynnnny", "reset, close, truncate"},
    };
    char t[1024], msg[512];
    (void)state;
    for (size_t p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
        for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
            snprintf(t, sizeof(t), GOOD "[fault]\nat = %s\naction = %s\n",
                     points[p].point, actions[a]);
            if (points[p].allowed[a] == 'y') {
                struct scenario_set set = {0};
                assert_loads(&set, t);
                assert_string_equal(
                    scenario_point_name(set.items[0].fault.at),
                    points[p].point);
                assert_int_equal(set.items[0].fault.action.kind,
                                 (enum scenario_action_kind)(SCENARIO_ALERT +
                                                             a));
                scenario_set_free(&set);
                continue;
            }
            /* "alert:internal_error" is named "alert". */
            snprintf(msg, sizeof(msg),
                     "[fault] action %.*s is not possible at %s (there: %s)",
                     (int)strcspn(actions[a], ":"), actions[a],
                     points[p].point, points[p].there);
            assert_load_error(t, 10, msg);
        }
    }
}

/* The optional keys belong to one point or some actions; they are refused
 * elsewhere even when their value is the default. */
static void test_fault_keys_misplaced(void **state)
{
    static const char *const not_flight[] = {
        "at = accept\naction = reset\n",
        "at = client_hello\naction = close\n",
        "at = handshake_done\naction = stall\n",
        "at = response\naction = truncate\n"};
    static const char *const not_drip[] = {
        "at = server_flight\naction = stall\n",
        "at = server_flight\naction = reset\n",
        "at = accept\naction = garbage\n"};
    static const char *const not_timed[] = {
        "at = server_flight\naction = reset\n",
        "at = accept\naction = close\n",
        "at = client_hello\naction = alert:handshake_failure\n",
        "at = accept\naction = plaintext\n",
        "at = client_hello\naction = garbage\n",
        "at = response\naction = truncate\n"};
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(not_flight) / sizeof(not_flight[0]); i++) {
        snprintf(t, sizeof(t), GOOD "[fault]\n%safter_bytes = 100%%\n",
                 not_flight[i]);
        assert_load_error(t, 10,
                          "[fault] after_bytes applies only at server_flight "
                          "and greeting");
    }
    for (size_t i = 0; i < sizeof(not_drip) / sizeof(not_drip[0]); i++) {
        snprintf(t, sizeof(t), GOOD "[fault]\n%sinterval_ms = 50\n",
                 not_drip[i]);
        assert_load_error(t, 10, "[fault] interval_ms applies only to drip");
    }
    for (size_t i = 0; i < sizeof(not_timed) / sizeof(not_timed[0]); i++) {
        snprintf(t, sizeof(t), GOOD "[fault]\n%sduration = 60\n",
                 not_timed[i]);
        assert_load_error(t, 10,
                          "[fault] duration applies only to stall and drip");
    }
    /* Where they belong they load: duration with stall anywhere it is
     * possible, after_bytes with any server_flight action. */
    static const char *const fit[] = {
        "at = accept\naction = stall\nduration = 5\n",
        "at = client_hello\naction = stall\nduration = 5\n",
        "at = handshake_done\naction = stall\nduration = 5\n",
        "at = server_flight\naction = stall\nafter_bytes = 10\n"
        "duration = 5\n",
        "at = server_flight\naction = reset\nafter_bytes = 10%\n",
        "at = server_flight\naction = drip\nafter_bytes = 0\n"
        "interval_ms = 10\nduration = 5\n"};
    for (size_t i = 0; i < sizeof(fit) / sizeof(fit[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t), GOOD "[fault]\n%s", fit[i]);
        assert_loads(&set, t);
        scenario_set_free(&set);
    }
    /* Several misplaced keys: after_bytes is reported first, then
     * interval_ms. */
    assert_load_error(GOOD "[fault]\nat = accept\naction = reset\n"
                           "duration = 5\ninterval_ms = 5\nafter_bytes = 5\n",
                      10, "[fault] after_bytes applies only at server_flight "
                          "and greeting");
    assert_load_error(GOOD "[fault]\nat = accept\naction = reset\n"
                           "duration = 5\ninterval_ms = 5\n",
                      10, "[fault] interval_ms applies only to drip");
    /* A missing at or action is reported before a misplaced key. */
    assert_load_error(GOOD "[fault]\naction = reset\nafter_bytes = 5\n", 10,
                      "[fault] needs at and action");
}

/* ---- structure: sections, keys, syntax -------------------------------- */

static void test_unknown_section(void **state)
{
    (void)state;
    assert_load_error(GOOD "[ciphers]\nx = 1\n", 10,
                      "unknown section [ciphers] (known: scenario, tls, "
                      "client_auth, sni, resumption, alpn, http, dialogue, fault, "
                      "expect.[PROTOCOL.]CLIENT[.VARIANT])");
    assert_load_error(HEAD "[TLS]\n", 7,
                      "unknown section [TLS] (known: scenario, tls, "
                      "client_auth, sni, resumption, alpn, http, dialogue, fault, "
                      "expect.[PROTOCOL.]CLIENT[.VARIANT])");
    assert_load_error(GOOD "[expect]\n", 10,
                      "unknown section [expect] (known: scenario, tls, "
                      "client_auth, sni, resumption, alpn, http, dialogue, fault, "
                      "expect.[PROTOCOL.]CLIENT[.VARIANT])");
}

static void test_unknown_key(void **state)
{
    (void)state;
    assert_load_error(HEAD "prot = 1\n" TLS, 7,
                      "[scenario] unknown key \"prot\" (known: name, title, "
                      "category, port, explain, outcome, served_over)");
    assert_load_error(GOOD "ciphrs = RC4\n", 10,
                      "[tls] unknown key \"ciphrs\" (known: versions, "
                      "ciphers, groups, cert, key, chain, dh_params, ocsp_staple, "
                      "ocsp_ca, validity, handshake_record_size, "
                      "handshake_record_messages, app_record_size, sign_with)");
    assert_load_error(GOOD "[client_auth]\ncert = x\n", 11,
                      "[client_auth] unknown key \"cert\" (known: mode, ca, "
                      "min_rsa_bits, missing_cert_status)");
    assert_load_error(GOOD "[sni]\nname = x\n", 11,
                      "[sni] unknown key \"name\" (known: names, cert, key, "
                      "chain, on_unknown, on_missing)");
    assert_load_error(GOOD "[expect.chromium.v]\nexit_code = 1\n", 11,
                      "[expect.chromium.v] unknown key \"exit_code\" (known: "
                      "args, host, exit, message, note, request, timeout)");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    assert_load_error(HEAD "port = 1\n" TLS, 7,
                      "[scenario] port is set twice (first at line 5)");
    assert_load_error(GOOD "\ncert = other\n", 11,
                      "[tls] cert is set twice (first at line 8)");
    assert_load_error(GOOD "[sni]\nnames = a\non_unknown = reset\nnames = b\n",
                      13, "[sni] names is set twice (first at line 11)");
    assert_load_error(GOOD "[expect.curl]\nexit = 1\nmessage = m\nexit = 2\n",
                      13, "[expect.curl] exit is set twice (first at line 11)");
    /* The same key in two [expect.*] sections is not a duplicate. */
    struct scenario_set set = {0};
    assert_loads(&set, GOOD "[expect.curl]\nexit = 1\nmessage = m\n"
                            "[expect.curl.b]\nexit = 2\nmessage = m\n");
    assert_int_equal(set.items[0].expect[1].gen[0].exits[0], 2);
    scenario_set_free(&set);
}

static void test_duplicate_section(void **state)
{
    (void)state;
    assert_load_error(GOOD "[scenario]\n", 10,
                      "[scenario] appears twice (first at line 1)");
    assert_load_error(GOOD "\n\n[tls]\n", 12,
                      "[tls] appears twice (first at line 7)");
    assert_load_error(GOOD "[client_auth]\n[sni]\n[client_auth]\n", 12,
                      "[client_auth] appears twice (first at line 10)");
    assert_load_error(GOOD "[sni]\nnames = a\n[sni]\n", 12,
                      "[sni] appears twice (first at line 10)");
}

static void test_key_outside_section(void **state)
{
    (void)state;
    assert_load_error("; a comment first\nname = x\n" GOOD, 2,
                      "\"name\" is outside any section; start the file with "
                      "[scenario]");
}

static void test_syntax_error(void **state)
{
    (void)state;
    assert_load_error(GOOD "just some words\n", 10,
                      "expected [section], key = value, or a comment");
    assert_load_error(HEAD "[tls\ncert = leaf\n", 7,
                      "expected [section], key = value, or a comment");
    /* A syntax error before a section error is the one reported ... */
    assert_load_error(HEAD "oops\n[bogus]\n", 7,
                      "expected [section], key = value, or a comment");
    /* ... and a section error before a syntax error likewise. */
    assert_load_error(HEAD "[bogus]\noops\n", 7,
                      "unknown section [bogus] (known: scenario, tls, "
                      "client_auth, sni, resumption, alpn, http, dialogue, fault, "
                      "expect.[PROTOCOL.]CLIENT[.VARIANT])");
}

static void test_first_error_wins(void **state)
{
    (void)state;
    assert_load_error(HEAD "[tls]\ncert = a/b\nkey = ../c\nversions = 9\n", 8,
                      "[tls] cert: \"a/b\" is not a file stem in the "
                      "certificates directory (letters, digits, '.', '_' and "
                      "'-'; no path)");
    /* A value error beats the missing-key checks that would follow. */
    assert_load_error("[scenario]\nport = x\n", 2,
                      "[scenario] port: \"x\" is not a whole number from 0 "
                      "to 65535");
}

static void test_missing_required(void **state)
{
    static const struct {
        const char *key;
        int line;
        const char *msg;
    } cases[] = {
        {"name", 1, "[scenario] needs name"},
        {"title", 1, "[scenario] needs title"},
        {"category", 1, "[scenario] needs category"},
        {"port", 1, "[scenario] needs port"},
        {"explain", 1, "[scenario] needs explain"},
        {"cert", 7, "[tls] needs cert"},
        {"key", 7, "[tls] needs key"},
    };
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_load_error(text_with(t, sizeof(t), cases[i].key, NULL),
                          cases[i].line, cases[i].msg);
    /* Without the section the line is 0: the whole file. */
    assert_load_error(HEAD, 0, "no [tls] section with cert");
    assert_load_error(TLS, 0, "no [scenario] section with name");
    assert_load_error("", 0, "no [scenario] section with name");
    assert_load_error("; only a comment\n", 0,
                      "no [scenario] section with name");
}

/* ---- line reader: long lines and continuations ------------------------ */

static void test_long_line(void **state)
{
    char t[1024], value[256];
    struct scenario_set set = {0};
    (void)state;
    /* "explain = " is 10 characters; 188 more make a 198-character line. */
    memset(value, 'y', 188);
    value[188] = '\0';
    snprintf(t, sizeof(t), "%sexplain = %s\n%s",
             "[scenario]\nname = one\ntitle = One\ncategory = control\n"
             "port = 0\n",
             value, TLS);
    assert_loads(&set, t);
    assert_int_equal(strlen(set.items[0].explain), 188);
    scenario_set_free(&set);

    /* One more character: refused, not truncated to 198. */
    value[188] = 'y';
    value[189] = '\0';
    snprintf(t, sizeof(t), "%sexplain = %s\n%s",
             "[scenario]\nname = one\ntitle = One\ncategory = control\n"
             "port = 0\n",
             value, TLS);
    assert_load_error(t, 6,
                      "line is longer than 198 characters; continue a long "
                      "value on indented lines");
    /* Any line: a comment too, and the error names that line. */
    memset(value, ';', 240);
    value[240] = '\0';
    snprintf(t, sizeof(t), GOOD "\n%s\n[sni]\n", value);
    assert_load_error(t, 11,
                      "line is longer than 198 characters; continue a long "
                      "value on indented lines");
}

static void test_continuation(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, "[scenario]\n"
                       "name = one\n"
                       "title = One\n"
                       "category = control\n"
                       "explain = First line,\n"
                       "    second line,\n"
                       "\tthird   line.\n"
                       "\n"
                       "port = 0\n" TLS);
    assert_string_equal(set.items[0].explain,
                        "First line, second line, third   line.");
    assert_int_equal(set.items[0].port, 0);
    scenario_set_free(&set);

    /* Continuations build up to the field's size, then are refused. */
    char t[4096], chunk[128];
    memset(chunk, 'z', 99);
    chunk[99] = '\0';
    size_t used = (size_t)snprintf(t, sizeof(t), "%s",
                                   "[scenario]\nname = one\ntitle = One\n"
                                   "category = control\nport = 0\n"
                                   "explain = start\n");
    /* "start" + 10 * (1 + 99) = 1005 characters fit in 1023 ... */
    for (int i = 0; i < 10; i++)
        used += (size_t)snprintf(t + used, sizeof(t) - used, "  %s\n", chunk);
    used += (size_t)snprintf(t + used, sizeof(t) - used, "%s", TLS);
    assert_loads(&set, t);
    assert_int_equal(strlen(set.items[0].explain), 1005);
    scenario_set_free(&set);
    /* ... an eleventh does not. */
    used -= strlen(TLS);
    snprintf(t + used, sizeof(t) - used, "  %s\n%s", chunk, TLS);
    assert_load_error(t, 17,
                      "[scenario] explain is too long (at most 1023 "
                      "characters)");

    /* Other keys do not continue. */
    assert_load_error("[scenario]\nname = one\n  more\n", 3,
                      "[scenario] name: only text values such as explain, "
                      "ciphers and headers may continue on an indented "
                      "line");
    assert_load_error("[scenario]\nport = 1\n  2\n", 3,
                      "[scenario] port: only text values such as explain, "
                      "ciphers and headers may continue on an indented "
                      "line");
    assert_load_error(GOOD "versions = 1.2\n  -1.3\n", 11,
                      "[tls] versions: only text values such as explain, "
                      "ciphers and headers may continue on an indented "
                      "line");
    assert_load_error(GOOD "[expect.curl]\nexit = 0\n  1\nmessage = m\n", 12,
                      "[expect.curl] exit: only text values such as explain, "
                      "ciphers and headers may continue on an indented "
                      "line");
    /* Text keys of [expect.*] continue into their own section's record. */
    assert_loads(&set, GOOD "[expect.curl]\nexit = 0\nmessage = a long\n"
                            "  message\n[expect.openssl]\nexit = 1\n"
                            "message = m\nargs = -tls1_2\n  -brief\n");
    assert_string_equal(set.items[0].expect[0].gen[0].message, "a long message");
    assert_string_equal(set.items[0].expect[1].args, "-tls1_2 -brief");
    assert_string_equal(set.items[0].explain, "Why.");
    scenario_set_free(&set);
    /* An indented first key is a key, not a continuation. */
    assert_loads(&set, "[scenario]\n  name = one\ntitle = One\n"
                       "category = control\nport = 0\nexplain = E\n" TLS);
    assert_string_equal(set.items[0].name, "one");
    scenario_set_free(&set);
}

/* ---- the set ---------------------------------------------------------- */

static void test_set_duplicate_name(void **state)
{
    struct scenario_set set = {0};
    struct diag d;
    (void)state;
    diag_clear(&d);
    assert_int_equal(scenario_load_string(&set, GOOD, "a.ini", &d), 0);
    char t[1024];
    snprintf(t, sizeof(t), "; the same name again\n%s", GOOD);
    diag_clear(&d);
    assert_int_equal(scenario_load_string(&set, t, "b.ini", &d), -1);
    assert_string_equal(d.file, "b.ini");
    assert_int_equal(d.line, 2);
    assert_string_equal(d.msg,
                        "scenario name \"one\" is already used by a.ini:1");
    assert_int_equal(set.count, 1);
    assert_non_null(scenario_find(&set, "one"));
    assert_null(scenario_find(&set, "two"));
    scenario_set_free(&set);
}

static void test_set_duplicate_port(void **state)
{
    struct scenario_set set = {0};
    struct diag d;
    char t[1024];
    (void)state;
    diag_clear(&d);
    assert_int_equal(
        scenario_load_string(&set, text_with(t, sizeof(t), "port", "8443"),
                             "a.ini", &d),
        0);
    snprintf(t, sizeof(t),
             "\n\n[scenario]\nname = two\ntitle = T\ncategory = control\n"
             "port = 8443\nexplain = E\n%s",
             TLS);
    assert_int_equal(scenario_load_string(&set, t, "b.ini", &d), -1);
    assert_string_equal(d.file, "b.ini");
    assert_int_equal(d.line, 3);
    assert_string_equal(d.msg, "port 8443 is already used by scenario "
                               "\"one\" (a.ini:1)");
    assert_int_equal(set.count, 1);
    scenario_set_free(&set);
}

static void test_set_port_zero_twice(void **state)
{
    struct scenario_set set = {0};
    char t[1024];
    (void)state;
    assert_loads(&set, GOOD);
    assert_loads(&set, text_with(t, sizeof(t), "name", "two"));
    assert_int_equal(set.count, 2);
    assert_int_equal(set.items[0].port, 0);
    assert_int_equal(set.items[1].port, 0);
    assert_string_equal(scenario_find(&set, "two")->name, "two");
    scenario_set_free(&set);
}

static void test_version_names(void **state)
{
    (void)state;
    assert_string_equal(scenario_version_name(SCENARIO_SSL3), "SSL 3.0");
    assert_string_equal(scenario_version_name(SCENARIO_TLS10), "TLS 1.0");
    assert_string_equal(scenario_version_name(SCENARIO_TLS11), "TLS 1.1");
    assert_string_equal(scenario_version_name(SCENARIO_TLS12), "TLS 1.2");
    assert_string_equal(scenario_version_name(SCENARIO_TLS13), "TLS 1.3");
    assert_string_equal(scenario_version_name(SCENARIO_VERSION_COUNT), "?");
}

/* ---- files and directories -------------------------------------------- */

struct tmp {
    char dir[PATH_MAX];
};

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    const char *base = getenv("TMPDIR");
    if (t == NULL)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "%s/test_scenario.XXXXXX",
             base && *base ? base : "/tmp");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    DIR *dir = opendir(t->dir);
    if (dir != NULL) {
        for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) {
            char path[PATH_MAX + 256];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
            if (unlink(path) != 0)
                rmdir(path);
        }
        closedir(dir);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes len bytes into a new mkstemp file in t's directory; its path goes
 * to path. Returns 0 or -1. */
static int tmp_file(const struct tmp *t, const void *data, size_t len,
                    char *path, size_t size)
{
    int fd = -1, rc = -1;
    if ((size_t)snprintf(path, size, "%s/scenario.XXXXXX", t->dir) >= size)
        goto done;
    fd = mkstemp(path);
    if (fd < 0)
        goto done;
    if (write_all(fd, data, len) != 0)
        goto done;
    rc = 0;
done:
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    return rc;
}

/* Writes text into t's directory under name. Returns 0 or -1. */
static int tmp_named(const struct tmp *t, const char *name, const char *text,
                     char *path, size_t size)
{
    int fd = -1, rc = -1;
    if ((size_t)snprintf(path, size, "%s/%s", t->dir, name) >= size)
        goto done;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        goto done;
    if (write_all(fd, text, strlen(text)) != 0)
        goto done;
    rc = 0;
done:
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    return rc;
}

static void test_load_file(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX];
    assert_int_equal(tmp_file(t, GOOD, strlen(GOOD), path, sizeof(path)), 0);
    diag_clear(&d);
    assert_int_equal(scenario_load_file(&set, path, &d), 0);
    assert_string_equal(d.msg, "");
    assert_int_equal(set.count, 1);
    assert_string_equal(set.items[0].file, path);
    assert_string_equal(set.items[0].name, "one");
    /* A path that is a file loads that file. */
    char t2[1024];
    text_with(t2, sizeof(t2), "name", "two");
    assert_int_equal(tmp_file(t, t2, strlen(t2), path, sizeof(path)), 0);
    assert_int_equal(scenario_load_path(&set, path, &d), 0);
    assert_int_equal(set.count, 2);
    assert_string_equal(set.items[1].name, "two");
    scenario_set_free(&set);
}

static void test_load_file_error_names_file(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX];
    static const char text[] = GOOD "[tsl]\n";
    assert_int_equal(tmp_file(t, text, strlen(text), path, sizeof(path)), 0);
    diag_clear(&d);
    assert_int_equal(scenario_load_file(&set, path, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 10);
    assert_string_equal(d.msg, "unknown section [tsl] (known: scenario, "
                               "tls, client_auth, sni, resumption, alpn, http, "
                               "dialogue, fault, "
                               "expect.[PROTOCOL.]CLIENT[.VARIANT])");
    assert_int_equal(set.count, 0);
    scenario_set_free(&set);
}

static void test_load_dir_sorted(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX + 64], text[1024];
    /* Created out of order; only *.ini files count, dotfiles do not. */
    static const char *const names[] = {"b.ini", "10.ini", "a.ini",
                                        "notes.txt", "c.ini.bak", ".x.ini"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "n%zu", i);
        text_with(text, sizeof(text), "name", name);
        assert_int_equal(tmp_named(t, names[i], text, path, sizeof(path)), 0);
    }
    diag_clear(&d);
    assert_int_equal(scenario_load_path(&set, t->dir, &d), 0);
    assert_int_equal(set.count, 3);
    assert_string_equal(set.items[0].name, "n1"); /* 10.ini */
    assert_string_equal(set.items[1].name, "n2"); /* a.ini */
    assert_string_equal(set.items[2].name, "n0"); /* b.ini */
    snprintf(path, sizeof(path), "%s/10.ini", t->dir);
    assert_string_equal(set.items[0].file, path);
    scenario_set_free(&set);

    /* A trailing slash makes no double slash. */
    char with_slash[PATH_MAX + 1];
    snprintf(with_slash, sizeof(with_slash), "%s/", t->dir);
    assert_int_equal(scenario_load_path(&set, with_slash, &d), 0);
    snprintf(path, sizeof(path), "%s/a.ini", t->dir);
    assert_string_equal(set.items[1].file, path);
    scenario_set_free(&set);
}

static void test_load_dir_duplicate(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char a[PATH_MAX + 64], b[PATH_MAX + 64], msg[2 * PATH_MAX], text[1024];
    text_with(text, sizeof(text), "port", "9443");
    assert_int_equal(tmp_named(t, "a.ini", text, a, sizeof(a)), 0);
    assert_int_equal(tmp_named(t, "b.ini", text, b, sizeof(b)), 0);
    diag_clear(&d);
    assert_int_equal(scenario_load_path(&set, t->dir, &d), -1);
    assert_string_equal(d.file, b);
    assert_int_equal(d.line, 1);
    snprintf(msg, sizeof(msg), "scenario name \"one\" is already used by %s:1",
             a);
    assert_string_equal(d.msg, msg);
    assert_int_equal(set.count, 1);
    scenario_set_free(&set);
}

static void test_load_empty_dir(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX + 64];
    assert_int_equal(tmp_named(t, "readme.txt", "no scenarios\n", path,
                               sizeof(path)),
                     0);
    diag_clear(&d);
    assert_int_equal(scenario_load_path(&set, t->dir, &d), -1);
    assert_string_equal(d.file, t->dir);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.msg, "no *.ini scenario files in this directory");
    assert_int_equal(set.count, 0);
}

static void test_load_missing(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/missing.ini", t->dir);
    diag_clear(&d);
    assert_int_equal(scenario_load_file(&set, path, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.msg, "cannot open: No such file or directory");
    diag_clear(&d);
    assert_int_equal(scenario_load_path(&set, path, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.msg, "cannot read: No such file or directory");
    assert_int_equal(set.count, 0);
}

static void test_load_nul_byte(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX];
    static const char text[] = "[scenario]\nname = o\0ne\n";
    assert_int_equal(
        tmp_file(t, text, sizeof(text) - 1, path, sizeof(path)), 0);
    diag_clear(&d);
    assert_int_equal(scenario_load_file(&set, path, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.msg, "contains a NUL byte: not a scenario");
    assert_int_equal(set.count, 0);
}

static void test_load_too_large(void **state)
{
    struct tmp *t = *state;
    struct scenario_set set = {0};
    struct diag d;
    char path[PATH_MAX];
    size_t len = 2u << 20;
    char *text = malloc(len);
    assert_non_null(text);
    /* Comment lines of 63 characters. */
    memset(text, ';', len);
    for (size_t i = 63; i < len; i += 64)
        text[i] = '\n';
    int rc = tmp_file(t, text, len, path, sizeof(path));
    free(text);
    assert_int_equal(rc, 0);
    diag_clear(&d);
    assert_int_equal(scenario_load_file(&set, path, &d), -1);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.msg, "larger than 1 MiB: not a scenario");
}

/* ---- known bugs: see the comments; not in the run list by default ----- */

/* Regression (was a bug in server/scenario.c, for_each_item): strtok_r skips empty tokens, so
 * "a,,b" (and a leading or trailing comma) loads as two items instead of
 * failing with the "has an empty item" message that "a, ,b" gets. */
static void test_regression_empty_item_between_commas(void **state)
{
    (void)state;
    assert_load_error(GOOD "chain = ca1,,ca2\n", 10,
                      "[tls] chain has an empty item");
    assert_load_error(GOOD "[sni]\nnames = a.test,\n", 11,
                      "[sni] names has an empty item");
}

/* Regression (was a bug in server/scenario.c, read_line): inih skips a UTF-8 byte order mark
 * on line 1, but read_line looks for '[' before it, so "[scenario]" is
 * never opened and the first key is reported "outside any section". */
static void test_regression_utf8_bom(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, "\xef\xbb\xbf" GOOD);
    assert_string_equal(set.items[0].name, "one");
    scenario_set_free(&set);
}

/* Loads text and asserts that the value it gives is read as written, or
 * refused with a message for that key; a value cut short and read as
 * another number fails. Failures point at the caller. */
#define assert_read_or_refused(text, prefix, got_expr, want)                   \
    do {                                                                       \
        struct scenario_set set_ = {0};                                        \
        struct diag d_;                                                        \
        if (load(&set_, (text), &d_) == 0) {                                   \
            const struct scenario *s = &set_.items[0];                         \
            (void)s;                                                           \
            assert_int_equal((got_expr), (want));                              \
        } else if (strncmp(d_.msg, (prefix), strlen(prefix)) != 0) {           \
            fail_msg("refused for another reason: %s:%d: %s", d_.file,         \
                     d_.line, d_.msg);                                         \
        }                                                                      \
        scenario_set_free(&set_);                                              \
    } while (0)

/* Was a bug in server/scenario.c, parse_amount: a value of 32 characters
 * or more is cut to 31 into a buffer before it is parsed, and with a '%'
 * the cut drops the last digit kept instead of the '%'. "50%" written with
 * 29 leading zeros (32 characters) loads as 5%, and 7 with 31 leading
 * zeros loads as 0 bytes, where "0050%" and "007" load as 50% and 7.
 * Fixed: such values are now refused; either outcome passes, a wrong
 * value never does. */
static void
test_bug_after_bytes_long_value(void **state)
{
    (void)state;
    assert_read_or_refused(GOOD "[fault]\nat = server_flight\naction = close\n"
                                "after_bytes = "
                                "0000000000000000000000000000050%\n",
                           "[fault] after_bytes", s->fault.after_bytes, 50);
    assert_read_or_refused(GOOD "[fault]\nat = server_flight\naction = close\n"
                                "after_bytes = "
                                "00000000000000000000000000000007\n",
                           "[fault] after_bytes", s->fault.after_bytes, 7);
    /* 1000000000 is out of range, but its first 31 characters are 1. */
    assert_read_or_refused(GOOD "[fault]\nat = server_flight\naction = close\n"
                                "after_bytes = "
                                "0000000000000000000000000000001000000000\n",
                           "[fault] after_bytes", s->fault.after_bytes,
                           1000000000);
}

/* Was a bug in server/scenario.c, parse_exit: each alternative is cut to
 * 63 characters before it is parsed, so 7 written with 63 leading zeros
 * (64 characters) loads as exit 0, and 1000 with 62 leading zeros (out
 * of range) loads as 1. Fixed: such values are now refused. */
static void test_bug_exit_long_value(void **state)
{
    (void)state;
    assert_read_or_refused(
        GOOD "[expect.curl]\nmessage = m\nexit = "
             "00000000000000000000000000000000"
             "00000000000000000000000000000007\n",
        "[expect.curl] exit", s->expect[0].gen[0].exits[0], 7);
    assert_read_or_refused(
        GOOD "[expect.curl]\nmessage = m\nexit = 35 || "
             "00000000000000000000000000000000"
             "0000000000000000000000000000001000\n",
        "[expect.curl] exit", s->expect[0].gen[0].exits[1], 1000);
}

/* inih treats a line that starts with \v, \f or \r as indented (its lskip
 * uses isspace); the loader's line reader must agree, or a header there is
 * seen by inih alone and keys land in the wrong section (found while
 * writing the fuzz target, tests/fuzz/fuzz_scenario.c). */
static void test_regression_other_blanks_indent(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    /* Right after a header, "\f[tls]" is a header for both. */
    assert_loads(&set, HEAD "[sni]\n\f[tls]\ncert = leaf\nkey = leaf\n");
    assert_string_equal(set.items[0].identity.cert, "leaf");
    assert_string_equal(set.items[0].sni_identity.cert, "");
    scenario_set_free(&set);
    /* After a key, a line indented with \v continues its value. */
    assert_loads(&set, HEAD "\v  and more.\n" TLS);
    assert_string_equal(set.items[0].explain, "Why. and more.");
    scenario_set_free(&set);
}

/* ---- cipher-suite names ------------------------------------------------ */

static const char unknown_hint[] =
    "not a wolfSSL name such as ECDHE-RSA-AES128-GCM-SHA256, nor an IANA "
    "one such as TLS_AES_128_GCM_SHA256; separate suites with ':'";

/* A name no build of wolfSSL knows is a mistake in the file, with its line;
 * one this build leaves out is for tlsio to report as unavailable. */
static void test_ciphers_unknown_name(void **state)
{
    char msg[512];
    (void)state;
    snprintf(msg, sizeof(msg),
             "[tls] ciphers: unknown cipher suite \"FOO\" (%s)", unknown_hint);
    assert_load_error(GOOD "ciphers = FOO\n", 10, msg);
    assert_load_error(GOOD "ciphers = AES128-SHA:FOO:RC4-SHA\n", 10, msg);
    assert_load_error(GOOD "ciphers = RC4-SHA:FOO\n", 10, msg);
    /* On the line of the key, wherever it is in the file. */
    assert_load_error(HEAD "\n; a comment\n" TLS "versions = 1.2\n"
                      "ciphers = FOO\n",
                      13, msg);
    snprintf(msg, sizeof(msg),
             "[tls] ciphers: unknown cipher suite \"ECDHE-RSA-AES128-GCM\" "
             "(%s)", unknown_hint);
    assert_load_error(GOOD "ciphers = ECDHE-RSA-AES128-GCM\n", 10, msg);
}

static void test_ciphers_unknown_hints(void **state)
{
    (void)state;
    assert_load_error(GOOD "ciphers = aes128-sha\n", 10,
                      "[tls] ciphers: unknown cipher suite \"aes128-sha\" "
                      "(did you mean AES128-SHA? names are case-sensitive)");
    assert_load_error(GOOD "ciphers = tls_aes_128_gcm_sha256\n", 10,
                      "[tls] ciphers: unknown cipher suite "
                      "\"tls_aes_128_gcm_sha256\" (did you mean "
                      "TLS_AES_128_GCM_SHA256? names are case-sensitive)");
    assert_load_error(GOOD "ciphers = AES128-SHA::RC4-SHA\n", 10,
                      "[tls] ciphers: unknown cipher suite \"\" (an empty "
                      "name: two ':' in a row, or one at an end)");
    assert_load_error(GOOD "ciphers = AES128-SHA:\n", 10,
                      "[tls] ciphers: unknown cipher suite \"\" (an empty "
                      "name: two ':' in a row, or one at an end)");
    assert_load_error(GOOD "ciphers = AES128-SHA: RC4-SHA\n", 10,
                      "[tls] ciphers: unknown cipher suite \" RC4-SHA\" (no "
                      "spaces around ':': wolfSSL takes the names as they "
                      "are written)");
    assert_load_error(GOOD "ciphers = HIGH:!RC4-SHA\n", 10,
                      "[tls] ciphers: unknown cipher suite \"!RC4-SHA\" ('!' "
                      "goes only before a keyword such as aNULL: wolfSSL "
                      "would offer RC4-SHA; leave it out instead)");
}

/* Every list the shipped scenarios use, IANA names, aliases and the
 * keywords of wolfSSL's cipher-list parser load as written. */
static void test_ciphers_known_names(void **state)
{
    static const char *const lists[] = {
        "ADH-AES128-SHA:ADH-AES256-GCM-SHA384",
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
        "DHE-RSA-AES128-SHA",
        "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA",
        "AES128-SHA:DES-CBC3-SHA",
        "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA",
        "ECDHE-RSA-DES-CBC3-SHA:DES-CBC3-SHA",
        "ECDHE-RSA-RC4-SHA:RC4-SHA:RC4-MD5",
        "NULL-SHA256:NULL-SHA",
        "TLS13-AES128-CCM-8-SHA256:ECDHE-ECDSA-AES128-CCM-8:AES128-CCM-8",
        "TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "SSL_RSA_WITH_RC4_128_SHA",
        "AES128-CCM8:TLS13-AES128-CCM8-SHA256",
        "TLS13-SHA256-SHA256:WDM-NULL-SHA256",
        "HIGH:!aNULL:!eNULL:!kRSA",
        "ALL",
        "DEFAULT",
    };
    char t[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        struct scenario_set set = {0};
        snprintf(t, sizeof(t), GOOD "ciphers = %s\n", lists[i]);
        assert_loads(&set, t);
        assert_string_equal(set.items[0].ciphers, lists[i]);
        scenario_set_free(&set);
    }
}

/* A bad version names its file and line too. */
static void test_versions_bad_names_line(void **state)
{
    (void)state;
    assert_load_error(HEAD "\n" TLS "versions = 1.4\n", 11,
                      "[tls] versions: \"1.4\" is not a version or range "
                      "(use ssl3, 1.0, 1.1, 1.2, 1.3, or a range such as "
                      "1.2-1.3)");
}

/* ---- families: a template and its [member.*] sections ----------------- */

/* A family of one, lines 1-13: the template, then its members. */
#define FAMILY                                                                 \
    "; {comments} are copied as they are\n"                                    \
    "[scenario]\n"                                                             \
    "name = alert-{member}\n"                                                  \
    "title = Alert {code} {{literal}\n"                                        \
    "category = alert\n"                                                       \
    "port = {port}\n"                                                          \
    "explain = Why.\n" TLS                                                    \
    "[member.decode-error]\n"                                                  \
    "code = 50\n"                                                              \
    "port = 9550 ; inline comment\n"

static void test_family_expands_each_member(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, FAMILY "[member.internal-error]\n"
                              "code = 80\nport = 9580\n");
    assert_int_equal(set.count, 2);
    assert_string_equal(set.items[0].name, "alert-decode-error");
    assert_string_equal(set.items[0].title, "Alert 50 {literal}");
    assert_int_equal(set.items[0].port, 9550);
    assert_string_equal(set.items[1].name, "alert-internal-error");
    assert_int_equal(set.items[1].port, 9580);
    assert_string_equal(set.items[1].file, "test.ini");
    scenario_set_free(&set);
}

static void test_family_values_continue(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, "[scenario]\nname = a\ntitle = {t}\ncategory = alert\n"
                       "port = 0\nexplain = Why.\n" TLS
                       "[member.a]\nt = one\n  two\n");
    assert_string_equal(set.items[0].title, "one two");
    scenario_set_free(&set);
}

static void test_family_errors(void **state)
{
    (void)state;
    /* A variable the member does not set: the template's line. */
    assert_load_error(FAMILY "[member.other]\ncode = 1\n", 6,
                      "{port}: [member.other] (line 14) does not set it (it "
                      "has {member}, {code})");
    assert_load_error(FAMILY "[member.x]\ncode = 1\ncode = 2\n", 16,
                      "[member.x] code is set twice");
    assert_load_error(FAMILY "[member.decode-error]\ncode = 1\n", 14,
                      "[member.decode-error] appears twice (first at line "
                      "11)");
    assert_load_error(FAMILY "[member.y]\n", 14, "[member.y] sets no variable");
    assert_load_error(FAMILY "[member.Y]\ncode = 1\n", 14,
                      "[member.Y]: a member's name may hold only lower-case "
                      "letters, digits, '.', '-' and '_'");
    assert_load_error(FAMILY "[member.z]\nmember = 1\n", 15,
                      "[member.z]: {member} is the member's name and cannot "
                      "be set");
    assert_load_error(FAMILY "[member.z]\njust words\n", 15,
                      "[member.z]: expected VARIABLE = value");
    assert_load_error(FAMILY "[member.z] trailing\n", 14,
                      "a member header is [member.NAME], alone on its line");
    assert_load_error("[scenario]\nname = {a\n[member.z]\na = 1\n", 2,
                      "'{' starts no {VARIABLE}: write {{ for a literal "
                      "brace");
    /* The expansion's own errors keep the template's line and name the
     * member. */
    assert_load_error("[scenario]\nname = {n}\ntitle = T\ncategory = alert\n"
                      "port = 0\nexplain = Why.\n" TLS
                      "[member.a]\nn = ok\n[member.b]\nn = Bad\n",
                      2,
                      "[scenario] name: \"Bad\" may hold only lower-case "
                      "letters, digits, '.', '-' and '_' (in the expansion "
                      "for [member.b], line 12)");
    /* Two members that expand to the same name: the second is refused and
     * the first is taken back (a family loads whole or not at all). */
    assert_load_error("[scenario]\nname = same\ntitle = {t}\ncategory = alert\n"
                      "port = 0\nexplain = Why.\n" TLS
                      "[member.a]\nt = 1\n[member.b]\nt = 2\n",
                      1,
                      "scenario name \"same\" is already used by test.ini:1 "
                      "(in the expansion for [member.b], line 12)");
}

static void test_ciphers_continue(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, HEAD "[tls]\ncert = leaf\nkey = leaf\n"
                            "ciphers = ECDHE-RSA-AES128-GCM-SHA256\n"
                            "    ECDHE-RSA-AES256-GCM-SHA384\n"
                            "    AES128-SHA\n");
    assert_string_equal(set.items[0].ciphers,
                        "ECDHE-RSA-AES128-GCM-SHA256:"
                        "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA");
    scenario_set_free(&set);
    char msg[512];
    snprintf(msg, sizeof(msg),
             "[tls] ciphers: unknown cipher suite \"FOO\" (%s)", unknown_hint);
    assert_load_error(HEAD "[tls]\ncert = leaf\nkey = leaf\n"
                           "ciphers = AES128-SHA\n    FOO\n",
                      11, msg);
}

static void test_groups(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "groups = secp384r1, x25519, ffdhe2048\n");
    assert_int_equal(set.items[0].n_groups, 3);
    assert_int_equal(set.items[0].groups[0], 24);
    assert_int_equal(set.items[0].groups[1], 29);
    assert_int_equal(set.items[0].groups[2], 256);
    scenario_set_free(&set);
    assert_load_error(GOOD "groups = x25519, brainpool\n", 10,
                      "[tls] groups: unknown group \"brainpool\" (known: "
                      "x25519, x448, secp256r1, secp384r1, secp521r1, "
                      "ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, "
                      "ffdhe8192)");
    assert_load_error(GOOD "groups = x25519, x25519\n", 10,
                      "[tls] groups lists \"x25519\" twice");
}

static void test_record_sizes(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "handshake_record_size = 1\n"
                            "handshake_record_messages = server_hello, "
                            "certificate\napp_record_size = 16384\n");
    assert_int_equal(set.items[0].handshake_record_size, 1);
    assert_int_equal(set.items[0].record_messages, (1u << 2) | (1u << 11));
    assert_int_equal(set.items[0].app_record_size, 16384);
    scenario_set_free(&set);
    assert_loads(&set, GOOD);
    assert_int_equal(set.items[0].handshake_record_size, 0);
    assert_int_equal(set.items[0].record_messages, 0);
    assert_int_equal(set.items[0].app_record_size, 0);
    scenario_set_free(&set);
    assert_load_error(GOOD "handshake_record_size = 0\n", 10,
                      "[tls] handshake_record_size: \"0\" is not a whole "
                      "number from 1 to 16384");
    assert_load_error(GOOD "app_record_size = 16385\n", 10,
                      "[tls] app_record_size: \"16385\" is not a whole "
                      "number from 1 to 16384");
    assert_load_error(GOOD "handshake_record_size = 8\n"
                           "handshake_record_messages = finished\n", 11,
                      "[tls] handshake_record_messages: \"finished\" is not a "
                      "handshake message the server sends in plaintext "
                      "(known: hello_request, server_hello, certificate, "
                      "server_key_exchange, certificate_request, "
                      "server_hello_done, certificate_status)");
    assert_load_error(GOOD "handshake_record_messages = certificate\n", 7,
                      "[tls] needs handshake_record_size to go with "
                      "handshake_record_messages");
}

/* [tls] sign_with: a scheme by its RFC 8446 name, TLS 1.2 only. */
static void test_sign_with(void **state)
{
    struct scenario_set set = {0};
    (void)state;
    assert_loads(&set, GOOD "versions = 1.2\nsign_with = rsa_pkcs1_sha1\n");
    assert_int_equal(set.items[0].sign_with, 0x0201);
    assert_string_equal(scenario_sigalg_name(set.items[0].sign_with),
                        "rsa_pkcs1_sha1");
    scenario_set_free(&set);
    assert_loads(&set, GOOD "versions = 1.2\nsign_with = rsa_pss_rsae_sha256\n");
    assert_int_equal(set.items[0].sign_with, 0x0804);
    scenario_set_free(&set);
    assert_loads(&set, GOOD);
    assert_int_equal(set.items[0].sign_with, 0);
    scenario_set_free(&set);
    assert_null(scenario_sigalg_name(0x0807));
    assert_load_error(GOOD "versions = 1.2\nsign_with = rsa_md5\n", 11,
                      "[tls] sign_with: unknown signature scheme \"rsa_md5\" "
                      "(known: rsa_pkcs1_sha1, rsa_pkcs1_sha256, "
                      "rsa_pkcs1_sha384, rsa_pkcs1_sha512, rsa_pss_rsae_sha256, "
                      "rsa_pss_rsae_sha384, rsa_pss_rsae_sha512, ecdsa_sha1, "
                      "ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, "
                      "ecdsa_secp521r1_sha512)");
    assert_load_error(GOOD "sign_with = rsa_pkcs1_sha256\n", 7,
                      "[tls] needs versions = 1.2 to go with sign_with (a TLS "
                      "1.2 ServerKeyExchange is what it signs)");
    assert_load_error(GOOD "versions = 1.0-1.2\nsign_with = rsa_pkcs1_sha256\n", 7,
                      "[tls] needs versions = 1.2 to go with sign_with (a TLS "
                      "1.2 ServerKeyExchange is what it signs)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_crlf_line_endings),
        cmocka_unit_test(test_scenario_values_bad),
        cmocka_unit_test(test_categories_good),
        cmocka_unit_test(test_outcome),
        cmocka_unit_test(test_outcome_bad),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_versions_good),
        cmocka_unit_test(test_versions_bad),
        cmocka_unit_test(test_ciphers),
        cmocka_unit_test(test_stems),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_client_auth),
        cmocka_unit_test(test_missing_cert_status),
        cmocka_unit_test(test_ocsp),
        cmocka_unit_test(test_ocsp_pair),
        cmocka_unit_test(test_client_auth_renegotiate_versions),
        cmocka_unit_test(test_missing_cert_status_modes),
        cmocka_unit_test(test_sni_names),
        cmocka_unit_test(test_sni_actions),
        cmocka_unit_test(test_identity_pairs),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_http_section),
        cmocka_unit_test(test_sni_fault_actions),
        cmocka_unit_test(test_expect_clients),
        cmocka_unit_test(test_expect_values_bad),
        cmocka_unit_test(test_expect_request),
        cmocka_unit_test(test_protocols),
        cmocka_unit_test(test_dialogue),
        cmocka_unit_test(test_expect_sections_bad),
        cmocka_unit_test(test_expect_too_many),
        cmocka_unit_test(test_expect_exit_alternatives),
        cmocka_unit_test(test_expect_exit_alternatives_bad),
        cmocka_unit_test(test_expect_timeout),
        cmocka_unit_test(test_expect_generations),
        cmocka_unit_test(test_tls_validity),
        cmocka_unit_test(test_sni_policy),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_alpn_bad),
        cmocka_unit_test(test_expect_generations_bad),
        cmocka_unit_test(test_fault_defaults),
        cmocka_unit_test(test_fault_every_key),
        cmocka_unit_test(test_fault_after_bytes),
        cmocka_unit_test(test_fault_interval_duration_bad),
        cmocka_unit_test(test_fault_values_bad),
        cmocka_unit_test(test_fault_needs_at_and_action),
        cmocka_unit_test(test_fault_action_at_point),
        cmocka_unit_test(test_fault_keys_misplaced),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_duplicate_section),
        cmocka_unit_test(test_key_outside_section),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_set_duplicate_name),
        cmocka_unit_test(test_set_duplicate_port),
        cmocka_unit_test(test_set_port_zero_twice),
        cmocka_unit_test(test_version_names),
        cmocka_unit_test_setup_teardown(test_load_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_file_error_names_file,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_sorted, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_duplicate, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_empty_dir, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_nul_byte, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_too_large, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_regression_empty_item_between_commas),
        cmocka_unit_test(test_regression_utf8_bom),
        /* Over-long values are refused, not truncated (were bugs). */
        cmocka_unit_test(test_bug_after_bytes_long_value),
        cmocka_unit_test(test_bug_exit_long_value),
        cmocka_unit_test(test_regression_other_blanks_indent),
        cmocka_unit_test(test_ciphers_unknown_name),
        cmocka_unit_test(test_ciphers_continue),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_record_sizes),
        cmocka_unit_test(test_sign_with),
        cmocka_unit_test(test_family_expands_each_member),
        cmocka_unit_test(test_family_values_continue),
        cmocka_unit_test(test_family_errors),
        cmocka_unit_test(test_ciphers_unknown_hints),
        cmocka_unit_test(test_ciphers_known_names),
        cmocka_unit_test(test_versions_bad_names_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
