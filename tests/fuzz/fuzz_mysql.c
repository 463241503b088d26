/*
 * libFuzzer target for the MySQL/MariaDB dialogue (server/mysql.c): what a
 * client sends after the greeting, cut into reads of the size the first
 * byte picks, through the preamble and, from its go-ahead on, the rest
 * through the application layer (the second byte's flags pick strip,
 * refuse, inject, the answer to the login, or the application layer
 * alone). Beyond the sanitizers it checks what the connection relies on:
 * results in range, a reason for every close, terminated request fields,
 * the answers' return values, and a reply bounded by the input.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql.h"

struct run {
    struct dialogue d;
    struct buf in, out;
    const uint8_t *data;
    size_t size, at;
    unsigned step, flags;
};

/* The preamble until it hands over; true when TLS would start. */
static bool preamble(struct run *r)
{
    void *st = calloc(1, mysql_preamble.size);
    const char *why = NULL;
    FUZZ_CHECK(st != NULL);
    enum preamble_result res =
        mysql_preamble.input(st, &r->d, &r->in, &r->out, &why);
    FUZZ_CHECK(res == PREAMBLE_MORE);
    FUZZ_CHECK(buf_pending(&r->out) > 0);
    while (res == PREAMBLE_MORE && r->at < r->size) {
        size_t n = r->size - r->at < r->step ? r->size - r->at : r->step;
        FUZZ_CHECK(buf_append(&r->in, r->data + r->at, n) == 0);
        r->at += n;
        res = mysql_preamble.input(st, &r->d, &r->in, &r->out, &why);
    }
    FUZZ_CHECK(res == PREAMBLE_MORE || res == PREAMBLE_TLS ||
               res == PREAMBLE_CLOSE);
    FUZZ_CHECK(res != PREAMBLE_CLOSE || why != NULL);
    FUZZ_CHECK(res != PREAMBLE_TLS || (!r->d.strip && !r->d.refuse));
    FUZZ_CHECK(r->d.commands <= 1);
    mysql_preamble.clear(st);
    free(st);
    return res == PREAMBLE_TLS;
}

/* Answers a request or a bad packet as the connection does; returns
 * whether the dialogue goes on. */
static bool answer(void *st, enum app_result res, const struct run *r,
                   const struct app_request *req, struct buf *out)
{
    static const struct scenario s = {.name = "fuzz", .title = "Fuzz"};
    struct app_page page = {.scenario = &s,
                            .version = "TLSv1.3",
                            .cipher = "TLS_AES_128_GCM_SHA256",
                            .note = "no client certificate"};
    if (res == APP_BAD) {
        FUZZ_CHECK(mysql_app.respond(st, 400, &page, out) == 0);
        return false;
    }
    FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) != NULL);
    FUZZ_CHECK(memchr(req->target, '\0', sizeof(req->target)) != NULL);
    FUZZ_CHECK(strcmp(req->method, "login") == 0);
    FUZZ_CHECK(strcmp(req->protocol, "MySQL") == 0);
    if (r->flags & 16) {
        FUZZ_CHECK(mysql_app.respond(st, 403, &page, out) == 0);
        return false;
    }
    page.note = NULL;
    FUZZ_CHECK(mysql_app.respond(st, 200, &page, out) == 1);
    return true;
}

/* What the TLS layer left in in, then the rest, through the app layer. */
static void app(struct run *r)
{
    void *st = calloc(1, mysql_app.size);
    struct app_request req;
    int requests = 0;
    FUZZ_CHECK(st != NULL);
    FUZZ_CHECK(mysql_app.open(st, &r->d, &r->out) == 0);
    enum app_result res = mysql_app.input(st, buf_head(&r->in),
                                          buf_pending(&r->in), &req, &r->out);
    for (;;) {
        FUZZ_CHECK(res >= APP_MORE && res <= APP_DONE);
        if (res == APP_REQUEST || res == APP_BAD) {
            FUZZ_CHECK(res == APP_BAD || ++requests == 1);
            if (!answer(st, res, r, &req, &r->out))
                break;
            res = mysql_app.input(st, NULL, 0, &req, &r->out);
            continue;
        }
        if (res == APP_DONE || r->at >= r->size)
            break;
        size_t n = r->size - r->at < r->step ? r->size - r->at : r->step;
        res = mysql_app.input(st, r->data + r->at, n, &req, &r->out);
        r->at += n;
    }
    FUZZ_CHECK(r->d.commands <= DIALOGUE_MAX_COMMANDS + 1);
    mysql_app.clear(st);
    free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct run r = {.data = data + 2,
                    .size = size - 2,
                    .step = data[0] ? data[0] : 1,
                    .flags = data[1]};
    r.d.scenario = "fuzz";
    r.d.host = "localhost";
    r.d.strip = (r.flags & 1) != 0;
    r.d.refuse = (r.flags & 2) != 0;
    r.d.inject = (r.flags & 4) ? "injected\r\n" : NULL;
    buf_init(&r.in);
    buf_init(&r.out);
    /* Flag 8: the application layer alone, as if TLS had started. */
    if ((r.flags & 8) || preamble(&r))
        app(&r);
    /* Every answer grows out only by what the input asked for. */
    FUZZ_CHECK(buf_pending(&r.out) <= 4096 + 64 * size);
    buf_free(&r.in);
    buf_free(&r.out);
    return 0;
}
