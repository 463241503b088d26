/*
 * libFuzzer target for the scenario loader (server/scenario.c) fed from a
 * string, as scenario_load_file does after reading a file. A scenario that
 * loads is then used the way the server uses one: described, looked up,
 * matched against SNI names and rendered as the HTTP page. LeakSanitizer
 * checks that the set frees everything, on success and on error.
 */
#include <string.h>

#include "family.h"
#include "fuzz.h"
#include "http.h"
#include "scenario.h"

static void check_terminated(const char *s, size_t size)
{
    FUZZ_CHECK(memchr(s, '\0', size) != NULL);
}

static void check_fields(const struct scenario *s)
{
    check_terminated(s->name, sizeof(s->name));
    check_terminated(s->title, sizeof(s->title));
    check_terminated(s->explain, sizeof(s->explain));
    check_terminated(s->ciphers, sizeof(s->ciphers));
    FUZZ_CHECK(s->name[0] && s->title[0] && s->explain[0]);
    FUZZ_CHECK(s->port >= 0 && s->port <= 65535);
    FUZZ_CHECK(s->min_version <= s->max_version);
    FUZZ_CHECK(s->max_version < SCENARIO_VERSION_COUNT);
    FUZZ_CHECK(s->identity.n_chain >= 0 &&
               s->identity.n_chain <= SCENARIO_MAX_CHAIN);
    FUZZ_CHECK(s->sni_identity.n_chain >= 0 &&
               s->sni_identity.n_chain <= SCENARIO_MAX_CHAIN);
    FUZZ_CHECK(s->n_sni_names >= 0 && s->n_sni_names <= SCENARIO_MAX_SNI);
    FUZZ_CHECK(s->n_expect >= 0 && s->n_expect <= SCENARIO_MAX_EXPECT);
    FUZZ_CHECK(s->fault.at < SCENARIO_POINT_COUNT);
    FUZZ_CHECK(s->fault.action.kind < SCENARIO_ACTION_COUNT);
    for (int i = 0; i < s->n_expect; i++) {
        const struct scenario_expect *e = &s->expect[i];
        check_terminated(e->client, sizeof(e->client));
        check_terminated(e->variant, sizeof(e->variant));
        check_terminated(e->args, sizeof(e->args));
        for (int g = 0; g < scenario_expect_generations(e); g++) {
            const struct scenario_result *r = &e->gen[g];
            check_terminated(r->message, sizeof(r->message));
            check_terminated(r->note, sizeof(r->note));
            FUZZ_CHECK(r->n_exits >= 1 && r->n_exits <= 4 && r->message[0]);
        }
    }
}

/* The page must say exactly as many bytes as its Content-Length claims. */
static void check_page(const struct scenario *s)
{
    struct app_page page = {.scenario = s,
                             .version = "TLS 1.3",
                             .cipher = "TLS13-AES128-GCM-SHA256",
                             .note = s->n_expect ? "why" : NULL};
    struct buf out;
    buf_init(&out);
    FUZZ_CHECK(http_respond(&out, 200, http_reason(200), &page) == 0);
    const char *text = (const char *)buf_head(&out);
    size_t len = buf_pending(&out);
    const char *end = memmem(text, len, "\r\n\r\n", 4);
    FUZZ_CHECK(end != NULL);
    const char *cl = memmem(text, (size_t)(end - text), "Content-Length: ", 16);
    FUZZ_CHECK(cl != NULL);
    size_t body = len - (size_t)(end + 4 - text);
    FUZZ_CHECK(strtoul(cl + 16, NULL, 10) == body);
    buf_free(&out);
}

static void use(struct scenario_set *set, size_t at)
{
    const struct scenario *s = &set->items[at];
    char versions[16];
    check_fields(s);
    scenario_versions_describe(s, versions, sizeof(versions));
    (void)scenario_version_name(s->min_version);
    (void)scenario_action_name(s->on_unknown.kind);
    (void)scenario_point_name(s->fault.at);
    for (int o = 0; o < SCENARIO_OUTCOME_COUNT; o++)
        if (s->outcomes & (1u << o))
            FUZZ_CHECK(scenario_outcome_name(o)[0] != '?');
    FUZZ_CHECK(scenario_find(set, s->name) == s);
    for (int i = 0; i < s->n_sni_names; i++)
        FUZZ_CHECK(scenario_sni_registered(s, s->sni_names[i]));
    check_page(s);
}

/* The message as main prints it, into the void. */
static void print_diag(const struct diag *d)
{
    static FILE *sink;
    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    FUZZ_CHECK(sink != NULL);
    diag_print(d, sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    struct scenario_set set = {0};
    struct diag d;
    diag_clear(&d);
    int rc = scenario_load_string(&set, text, "fuzz.ini", &d);
    FUZZ_CHECK(rc == 0 || rc == -1);
    check_terminated(d.msg, sizeof(d.msg));
    if (rc != 0) {
        FUZZ_CHECK(d.msg[0] != '\0' && d.line >= 0);
        FUZZ_CHECK(strcmp(d.file, "fuzz.ini") == 0);
        FUZZ_CHECK(set.count == 0);
        print_diag(&d);
    } else {
        /* One scenario, or a family's members (family.h). */
        size_t n = set.count;
        FUZZ_CHECK(d.msg[0] == '\0' && n >= 1);
        FUZZ_CHECK(n == 1 || family_is(text));
        for (size_t i = 0; i < n; i++)
            use(&set, i);
        /* The same file again is refused: its names are taken. A family
         * loads whole or not at all, so nothing is added. */
        FUZZ_CHECK(scenario_load_string(&set, text, "again.ini", &d) == -1);
        FUZZ_CHECK(d.msg[0] != '\0' && set.count == n);
        scenario_set_sort(&set);
    }
    scenario_set_free(&set);
    free(text);
    return 0;
}
