/*
 * The libFuzzer driver shared by the line-based dialogues' targets
 * (fuzz_pop3.c, fuzz_ftp.c): the first byte picks the policy (strip,
 * refuse, inject, implicit TLS, a refused login), the second the size of
 * each read; the rest goes through the preamble until it hands over, then
 * into the application layer, with every request answered. Beyond the
 * sanitizers it checks what the connection relies on: results in range, a
 * reason on every close, bytes after the go-ahead left unread, terminated
 * request fields, replies bounded by the command limit.
 *
 * The target defines, before including it: PROTOCOL (the request's
 * protocol name), PREAMBLE, APP and APPS (the module's ops) and INJECT
 * (the line sent after the go-ahead when the policy injects one).
 */
#ifndef SHAKEDOWN_FUZZ_LINES_H
#define SHAKEDOWN_FUZZ_LINES_H

#include <string.h>

#include "fuzz.h"

/* No reply is over a few hundred bytes, and there are at most
 * DIALOGUE_MAX_COMMANDS + 1 of them on each side of TLS. */
#define OUT_MAX (2 * (DIALOGUE_MAX_COMMANDS + 2) * 512)

static struct dialogue policy(uint8_t flags)
{
    struct dialogue d = {.scenario = "fuzz", .host = "localhost"};
    d.strip = (flags & 1) != 0;
    d.refuse = (flags & 2) != 0;
    d.inject = (flags & 4) ? INJECT : NULL;
    return d;
}

/* Feeds data to the preamble size bytes at a time; returns how much of
 * it the preamble saw, and leaves the result in r. */
static size_t preamble(struct dialogue *d, const uint8_t *data, size_t size,
                       unsigned step, struct buf *in, struct buf *out,
                       enum preamble_result *r)
{
    const char *why = NULL;
    void *st = calloc(1, PREAMBLE.size ? PREAMBLE.size : 1);
    FUZZ_CHECK(st != NULL);
    *r = PREAMBLE.input(st, d, in, out, &why);
    FUZZ_CHECK(*r == PREAMBLE_MORE);
    FUZZ_CHECK(buf_pending(out) > 0);
    size_t at = 0;
    while (*r == PREAMBLE_MORE && at < size) {
        size_t n = size - at < step ? size - at : step;
        FUZZ_CHECK(buf_append(in, data + at, n) == 0);
        at += n;
        *r = PREAMBLE.input(st, d, in, out, &why);
    }
    FUZZ_CHECK(*r == PREAMBLE_MORE || *r == PREAMBLE_TLS ||
               *r == PREAMBLE_CLOSE);
    FUZZ_CHECK(*r != PREAMBLE_CLOSE || why != NULL);
    FUZZ_CHECK(buf_pending(in) <= at);
    FUZZ_CHECK(buf_pending(out) <= OUT_MAX);
    PREAMBLE.clear(st);
    free(st);
    return at;
}

static int answer(const struct app_ops *app, void *st, enum app_result r,
                  uint8_t flags, struct buf *out)
{
    static struct scenario s = {.name = "fuzz", .title = "Fuzz"};
    struct app_page page = {.scenario = &s, .version = "TLSv1.3",
                            .cipher = "TLS_AES_128_GCM_SHA256",
                            .note = "refused by the fuzzer"};
    if (r == APP_BAD) {
        FUZZ_CHECK(app->respond(st, 400, &page, out) == 0);
        return 0;
    }
    int k = app->respond(st, (flags & 16) ? 403 : 200, &page, out);
    FUZZ_CHECK(k == 1);
    return k;
}

static void check_request(const struct app_request *req)
{
    FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) != NULL);
    FUZZ_CHECK(memchr(req->target, '\0', sizeof(req->target)) != NULL);
    FUZZ_CHECK(strcmp(req->protocol, PROTOCOL) == 0);
    FUZZ_CHECK(!req->grpc);
}

/* The application layer over what is left, one read at a time, each
 * request answered and the buffered rest taken before new bytes. */
static void app_layer(struct dialogue *d, const uint8_t *data, size_t size,
                      unsigned step, uint8_t flags, struct buf *out)
{
    const struct app_ops *app = (flags & 8) ? &APPS : &APP;
    void *st = calloc(1, app->size);
    FUZZ_CHECK(st != NULL);
    FUZZ_CHECK(app->open(st, d, out) == 0);
    struct app_request req;
    enum app_result r = APP_MORE;
    for (size_t at = 0; r == APP_MORE && at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        r = app->input(st, data + at, n, &req, out);
        while (r == APP_REQUEST) {
            check_request(&req);
            if (answer(app, st, r, flags, out) != 1)
                break;
            r = app->input(st, NULL, 0, &req, out);
        }
        FUZZ_CHECK(r == APP_MORE || r == APP_BAD || r == APP_DONE);
    }
    if (r == APP_BAD)
        answer(app, st, r, flags, out);
    FUZZ_CHECK(d->commands <= DIALOGUE_MAX_COMMANDS + 1);
    FUZZ_CHECK(buf_pending(out) <= OUT_MAX);
    app->clear(st);
    free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    unsigned step = data[1] ? data[1] : 1;
    data += 2;
    size -= 2;

    struct dialogue d = policy(flags);
    struct buf in, out;
    buf_init(&in);
    buf_init(&out);
    size_t used = 0;
    enum preamble_result r = PREAMBLE_TLS;
    if (!(flags & 8))
        used = preamble(&d, data, size, step, &in, &out, &r);
    if (r == PREAMBLE_TLS) {
        /* What the preamble left unread, then the rest, as clear text
         * (as if TLS had passed it through). */
        FUZZ_CHECK(buf_append(&in, data + used, size - used) == 0);
        buf_reset(&out);
        app_layer(&d, buf_head(&in), buf_pending(&in), step, flags, &out);
    }
    buf_free(&in);
    buf_free(&out);
    return 0;
}

#endif
