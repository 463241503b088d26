/*
 * libFuzzer target for the IMAP dialogue (server/imap.c): what a client
 * sends before STARTTLS, through the preamble, then what is left and the
 * rest of the input through the application layer after TLS, with every
 * answer the connection can give. The first byte picks the size of the
 * reads, the second the policy (strip, refuse, inject), the layer
 * (STARTTLS or implicit TLS) and the answer to the request. Beyond the
 * sanitizers it checks what the connection relies on: results in range,
 * a reason for every close, terminated request fields, a bounded reply.
 */
#include <string.h>

#include "fuzz.h"
#include "imap.h"

struct run {
    struct dialogue d;
    struct buf in, out;
    struct app_page page;
    int status; /* the answer to a request: 200 or 403 */
};

/* The preamble until it hands over to TLS; returns whether it did, with
 * the bytes it did not read moved into in. *at says how far it got. */
static bool run_preamble(struct run *r, const uint8_t *data, size_t size,
                         unsigned step, size_t *at)
{
    void *st = calloc(1, imap_preamble.size);
    FUZZ_CHECK(st != NULL);
    const char *why = NULL;
    enum preamble_result res =
        imap_preamble.input(st, &r->d, &r->in, &r->out, &why);
    FUZZ_CHECK(res == PREAMBLE_MORE && buf_pending(&r->out) > 0);
    for (*at = 0; res == PREAMBLE_MORE && *at < size; *at += step) {
        size_t n = size - *at < step ? size - *at : step;
        FUZZ_CHECK(buf_append(&r->in, data + *at, n) == 0);
        res = imap_preamble.input(st, &r->d, &r->in, &r->out, &why);
    }
    FUZZ_CHECK(res == PREAMBLE_MORE || res == PREAMBLE_TLS ||
               res == PREAMBLE_CLOSE);
    if (res == PREAMBLE_CLOSE)
        FUZZ_CHECK(why != NULL);
    if (r->d.misstep != NULL)
        FUZZ_CHECK(res == PREAMBLE_CLOSE && strcmp(why, r->d.misstep) == 0);
    FUZZ_CHECK(r->d.commands <= DIALOGUE_MAX_COMMANDS + 1);
    imap_preamble.clear(st);
    free(st);
    if (*at > size)
        *at = size;
    return res == PREAMBLE_TLS;
}

/* One result of the application layer, answered as the connection
 * would; returns whether the dialogue goes on. */
static bool answer(struct run *r, const struct app_ops *ops, void *st,
                   enum app_result res, struct app_request *req)
{
    while (res == APP_REQUEST) {
        FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) != NULL);
        FUZZ_CHECK(memchr(req->target, '\0', sizeof(req->target)) != NULL);
        FUZZ_CHECK(strcmp(req->method, "LOGIN") == 0 ||
                   strcmp(req->method, "AUTHENTICATE") == 0);
        FUZZ_CHECK(strcmp(req->protocol, "IMAP") == 0 && !req->grpc);
        FUZZ_CHECK(ops->respond(st, r->status, &r->page, &r->out) == 1);
        res = ops->input(st, NULL, 0, req, &r->out);
    }
    FUZZ_CHECK(res == APP_MORE || res == APP_BAD || res == APP_DONE);
    if (res == APP_BAD)
        FUZZ_CHECK(ops->respond(st, 400, &r->page, &r->out) == 0);
    return res == APP_MORE;
}

static void run_app(struct run *r, const struct app_ops *ops,
                    const uint8_t *data, size_t size, unsigned step)
{
    void *st = calloc(1, ops->size);
    FUZZ_CHECK(st != NULL);
    FUZZ_CHECK(ops->open(st, &r->d, &r->out) == 0);
    struct app_request req;
    /* What the client sent with its STARTTLS comes first. */
    size_t left = buf_pending(&r->in);
    bool more = answer(r, ops, st,
                       ops->input(st, left ? buf_head(&r->in) : NULL, left,
                                  &req, &r->out),
                       &req);
    for (size_t at = 0; more && at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        more = answer(r, ops, st, ops->input(st, data + at, n, &req, &r->out),
                      &req);
    }
    FUZZ_CHECK(r->d.commands <= DIALOGUE_MAX_COMMANDS + 1);
    ops->clear(st);
    free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned step = data[0] ? data[0] : 1;
    uint8_t flags = data[1];
    data += 2;
    size -= 2;

    static struct scenario s = {.name = "fuzz", .title = "Fuzz",
                                .explain = "Commands."};
    struct run r = {
        .d = {.scenario = "fuzz", .host = "localhost",
              .strip = (flags & 1) != 0, .refuse = (flags & 2) != 0,
              .inject = (flags & 4) ? "* OK injected\r\n" : NULL},
        .page = {.scenario = &s, .version = "TLSv1.3",
                 .cipher = "TLS_AES_128_GCM_SHA256",
                 .note = (flags & 8) ? "no client certificate" : NULL},
        .status = (flags & 16) ? 403 : 200,
    };
    buf_init(&r.in);
    buf_init(&r.out);
    if (flags & 32) {
        run_app(&r, (flags & 64) ? &imaps_app : &imap_app, data, size, step);
    } else {
        size_t at = 0;
        if (run_preamble(&r, data, size, step, &at))
            run_app(&r, &imap_app, data + at, size - at, step);
    }
    /* Every reply is bounded by the command that asked for it. */
    FUZZ_CHECK(buf_pending(&r.out) <= 4096 + 32 * (size + 16));
    buf_free(&r.in);
    buf_free(&r.out);
    return 0;
}
