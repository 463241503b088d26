/*
 * libFuzzer target for PostgreSQL's dialogue (server/postgres.c): the
 * input is what a client sends, cut into reads at offsets its first
 * bytes pick. The preamble reads it until it hands over to TLS; the rest
 * goes to the application layer, which is answered 200 or 403 at its
 * request and 400 when it refuses. Beyond the sanitizers it checks what
 * the connection relies on: results in range, a go-ahead that leaves the
 * unread bytes alone, terminated request fields, a bounded reply, and
 * answers that never fail.
 */
#include <string.h>

#include "fuzz.h"
#include "postgres.h"

/* Out grows by a bounded answer per message the input holds. */
static size_t bound(size_t size)
{
    return 8192 + 2048 * (size + 1);
}

static size_t run_preamble(const uint8_t *data, size_t size, unsigned step,
                           struct dialogue *d, struct buf *out,
                           enum preamble_result *result)
{
    void *st = calloc(1, postgres_preamble.size);
    struct buf in;
    const char *why = NULL;
    FUZZ_CHECK(st != NULL);
    buf_init(&in);
    enum preamble_result r = postgres_preamble.input(st, d, &in, out, &why);
    FUZZ_CHECK(r == PREAMBLE_MORE && buf_pending(out) == 0);
    size_t at = 0;
    while (r == PREAMBLE_MORE && at < size) {
        size_t n = size - at < step ? size - at : step;
        FUZZ_CHECK(buf_append(&in, data + at, n) == 0);
        at += n;
        r = postgres_preamble.input(st, d, &in, out, &why);
    }
    FUZZ_CHECK(r == PREAMBLE_MORE || r == PREAMBLE_TLS || r == PREAMBLE_CLOSE);
    FUZZ_CHECK(r != PREAMBLE_CLOSE || why != NULL);
    FUZZ_CHECK(buf_pending(out) <= bound(size));
    /* The TLS layer gets the bytes the preamble did not take: they are
     * the tail of what was fed. */
    size_t left = buf_pending(&in);
    FUZZ_CHECK(left <= at);
    if (r == PREAMBLE_TLS && left > 0)
        FUZZ_CHECK(memcmp(buf_head(&in), data + at - left, left) == 0);
    *result = r;
    postgres_preamble.clear(st);
    free(st);
    buf_free(&in);
    return r == PREAMBLE_TLS ? at - left : size;
}

static void run_app(const uint8_t *data, size_t size, unsigned step,
                    bool refuse, struct dialogue *d)
{
    static struct scenario s = {.name = "fuzz", .title = "Fuzz"};
    struct app_page page = {.scenario = &s,
                            .version = "TLSv1.3",
                            .cipher = "TLS_AES_128_GCM_SHA256",
                            .note = "no client certificate"};
    struct app_request req;
    struct buf out;
    void *st = calloc(1, postgres_app.size);
    FUZZ_CHECK(st != NULL);
    buf_init(&out);
    FUZZ_CHECK(postgres_app.open(st, d, &out) == 0);
    enum app_result r = APP_MORE;
    for (size_t at = 0; r == APP_MORE && at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        r = postgres_app.input(st, data + at, n, &req, &out);
        while (r == APP_REQUEST) {
            FUZZ_CHECK(memchr(req.method, '\0', sizeof(req.method)) != NULL);
            FUZZ_CHECK(memchr(req.target, '\0', sizeof(req.target)) != NULL);
            FUZZ_CHECK(strcmp(req.protocol, "PostgreSQL") == 0);
            if (refuse) {
                FUZZ_CHECK(postgres_app.respond(st, 403, &page, &out) == 0);
                r = APP_DONE;
                break;
            }
            FUZZ_CHECK(postgres_app.respond(st, 200, &page, &out) == 1);
            r = postgres_app.input(st, NULL, 0, &req, &out);
        }
        FUZZ_CHECK(r == APP_MORE || r == APP_BAD || r == APP_DONE);
    }
    if (r == APP_BAD)
        FUZZ_CHECK(postgres_app.respond(st, 400, &page, &out) == 0);
    FUZZ_CHECK(buf_pending(&out) <= bound(size));
    FUZZ_CHECK(d->commands <= DIALOGUE_MAX_COMMANDS + 1);
    postgres_app.clear(st);
    free(st);
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned step = data[0] ? data[0] : 1;
    uint8_t flags = data[1];
    data += 2;
    size -= 2;
    struct dialogue d = {.scenario = "fuzz",
                         .host = "localhost",
                         .strip = (flags & 1) != 0,
                         .refuse = (flags & 2) != 0,
                         .inject = (flags & 4) ? "injected" : NULL};
    struct buf out;
    buf_init(&out);
    enum preamble_result r;
    size_t used = run_preamble(data, size, step, &d, &out, &r);
    buf_free(&out);
    /* With a flag set, the app layer is fuzzed from the first byte, so
     * it is reached without a valid SSLRequest in front. */
    if (flags & 8)
        run_app(data, size, step, (flags & 16) != 0, &d);
    else if (r == PREAMBLE_TLS)
        run_app(data + used, size - used, step, (flags & 16) != 0, &d);
    return 0;
}
