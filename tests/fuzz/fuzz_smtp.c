/*
 * libFuzzer target for the SMTP dialogue (server/smtp.c): what a client
 * sends after the greeting, cut into reads of the size the first byte
 * picks, through the preamble and, from its go-ahead on, the rest
 * through the application layer (the second byte's flags pick strip,
 * refuse, inject, SMTPS, and the answer to MAIL). Beyond the sanitizers
 * it checks what the connection relies on: results in range, a reason
 * for every close, no TLS under strip or refuse, terminated request
 * fields, the answers' return values, replies that are whole SMTP reply
 * lines bounded by the input, and the same bytes out whatever the reads.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "smtp.h"

enum {
    FLAG_STRIP = 1,
    FLAG_REFUSE = 2,
    FLAG_INJECT = 4,
    FLAG_SMTPS = 8,   /* implicit TLS: smtps_app alone, it greets */
    FLAG_REFUSED = 16 /* the connection answers MAIL 403, not 200 */
};

#define INJECT "250 injected\r\n"
#define NOTE "no client certificate was presented"

struct run {
    struct dialogue d;
    struct buf in, out;
    const uint8_t *data;
    size_t size, at;
    size_t step;
    unsigned flags;
    const char *why;
    enum preamble_result pre;
    enum app_result app;
};

static bool ends_with(const struct buf *b, const char *text)
{
    size_t n = strlen(text);
    return buf_pending(b) >= n &&
           memcmp(buf_head(b) + buf_pending(b) - n, text, n) == 0;
}

/* Whether text is in b from offset from on. */
static bool has(const struct buf *b, size_t from, const char *text)
{
    return buf_pending(b) > from &&
           memmem(buf_head(b) + from, buf_pending(b) - from, text,
                  strlen(text)) != NULL;
}

/* Every reply is whole lines "ddd-text" or "ddd text" ended by CRLF (RFC
 * 5321 section 4.2), none over the limit line_say cuts at. */
static void check_replies(const struct buf *out)
{
    if (buf_pending(out) == 0)
        return;
    const char *p = (const char *)buf_head(out);
    const char *end = p + buf_pending(out);
    while (p < end) {
        const char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
        FUZZ_CHECK(crlf != NULL);
        FUZZ_CHECK(crlf - p >= 4 && crlf - p <= DIALOGUE_MAX_LINE);
        FUZZ_CHECK(p[0] >= '2' && p[0] <= '5');
        FUZZ_CHECK(p[1] >= '0' && p[1] <= '9');
        FUZZ_CHECK(p[2] >= '0' && p[2] <= '9');
        FUZZ_CHECK(p[3] == ' ' || p[3] == '-');
        p = crlf + 2;
    }
}

/* The next read: step bytes, or what is left. */
static size_t next_read(struct run *r, const uint8_t **p)
{
    size_t n = r->size - r->at < r->step ? r->size - r->at : r->step;
    *p = r->data + r->at;
    r->at += n;
    return n;
}

/* The preamble until it hands over; true when TLS would start. */
static bool preamble(struct run *r)
{
    void *st = calloc(1, smtp_preamble.size);
    FUZZ_CHECK(st != NULL);
    enum preamble_result res =
        smtp_preamble.input(st, &r->d, &r->in, &r->out, &r->why);
    FUZZ_CHECK(res == PREAMBLE_MORE);
    FUZZ_CHECK(ends_with(&r->out, "ESMTP shakedown scenario fuzz\r\n"));
    while (res == PREAMBLE_MORE && r->at < r->size) {
        const uint8_t *p;
        size_t n = next_read(r, &p);
        FUZZ_CHECK(buf_append(&r->in, p, n) == 0);
        res = smtp_preamble.input(st, &r->d, &r->in, &r->out, &r->why);
    }
    FUZZ_CHECK(res == PREAMBLE_MORE || res == PREAMBLE_TLS ||
               res == PREAMBLE_CLOSE);
    FUZZ_CHECK(res != PREAMBLE_CLOSE || r->why != NULL);
    FUZZ_CHECK(res != PREAMBLE_TLS || (!r->d.strip && !r->d.refuse));
    if (res == PREAMBLE_TLS)
        FUZZ_CHECK(ends_with(
            &r->out, r->d.inject ? "220 2.0.0 Ready to start TLS\r\n" INJECT
                                 : "220 2.0.0 Ready to start TLS\r\n"));
    /* A misstep ends the dialogue. */
    FUZZ_CHECK(r->d.misstep == NULL || res == PREAMBLE_CLOSE);
    /* STARTTLS only where it is offered, AUTH only where it is not. */
    FUZZ_CHECK(!r->d.strip || !has(&r->out, 0, "\n250-STARTTLS\r\n"));
    FUZZ_CHECK(r->d.strip || !has(&r->out, 0, "\n250-AUTH"));
    FUZZ_CHECK(r->d.commands <= DIALOGUE_MAX_COMMANDS + 1);
    smtp_preamble.clear(st);
    free(st);
    r->pre = res;
    return res == PREAMBLE_TLS;
}

/* Answers a request or a bad line as the connection does; returns
 * whether the dialogue goes on. */
static bool answer(void *st, enum app_result res, const struct run *r,
                   const struct app_request *req, struct buf *out)
{
    static const struct scenario s = {.name = "fuzz", .title = "Fuzz"};
    struct app_page page = {.scenario = &s,
                            .version = "TLSv1.3",
                            .cipher = "TLS_AES_128_GCM_SHA256",
                            .note = NOTE};
    size_t before = buf_pending(out);
    if (res == APP_BAD) {
        FUZZ_CHECK(smtp_app.respond(st, 400, &page, out) == 0);
        FUZZ_CHECK(buf_pending(out) > before);
        return false;
    }
    FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) != NULL);
    FUZZ_CHECK(memchr(req->target, '\0', sizeof(req->target)) != NULL);
    FUZZ_CHECK(strcmp(req->method, "MAIL") == 0);
    FUZZ_CHECK(req->protocol != NULL && strcmp(req->protocol, "SMTP") == 0);
    FUZZ_CHECK(!req->grpc);
    FUZZ_CHECK(strcmp(r->d.step, "MAIL") == 0);
    if (r->flags & FLAG_REFUSED) {
        FUZZ_CHECK(smtp_app.respond(st, 403, &page, out) == 1);
        FUZZ_CHECK(ends_with(out, "530 5.7.0 " NOTE "\r\n"));
        return true;
    }
    page.note = NULL;
    FUZZ_CHECK(smtp_app.respond(st, 200, &page, out) == 1);
    FUZZ_CHECK(ends_with(out, "250 2.1.0 Sender OK: shakedown scenario fuzz "
                              "over TLSv1.3\r\n"));
    return true;
}

/* What the TLS layer left in in, then the rest, through the app layer. */
static void app(struct run *r)
{
    const struct app_ops *ops = r->flags & FLAG_SMTPS ? &smtps_app : &smtp_app;
    void *st = calloc(1, ops->size);
    struct app_request req;
    int requests = 0;
    bool quit = false;
    /* What the app layer says starts here ("\n" of the line before). */
    size_t from = buf_pending(&r->out) ? buf_pending(&r->out) - 1 : 0;
    FUZZ_CHECK(st != NULL);
    FUZZ_CHECK(ops->open(st, &r->d, &r->out) == 0);
    FUZZ_CHECK(!(r->flags & FLAG_SMTPS) ||
               ends_with(&r->out, "ESMTP shakedown scenario fuzz\r\n"));
    enum app_result res =
        buf_pending(&r->in) > 0
            ? ops->input(st, buf_head(&r->in), buf_pending(&r->in), &req,
                         &r->out)
            : ops->input(st, NULL, 0, &req, &r->out);
    for (;;) {
        FUZZ_CHECK(res >= APP_MORE && res <= APP_DONE);
        if (res == APP_REQUEST || res == APP_BAD) {
            FUZZ_CHECK(res == APP_BAD || ++requests == 1);
            if (!answer(st, res, r, &req, &r->out))
                break;
            res = ops->input(st, NULL, 0, &req, &r->out);
            continue;
        }
        if (res == APP_DONE) {
            FUZZ_CHECK(ends_with(&r->out, "221 2.0.0 Bye\r\n"));
            quit = true;
            break;
        }
        if (r->at >= r->size)
            break;
        const uint8_t *p;
        size_t n = next_read(r, &p);
        res = ops->input(st, p, n, &req, &r->out);
    }
    /* Input of nothing is harmless at any time. */
    if (!quit && res != APP_BAD) {
        size_t before = buf_pending(&r->out);
        FUZZ_CHECK(ops->input(st, NULL, 0, &req, &r->out) == APP_MORE);
        FUZZ_CHECK(buf_pending(&r->out) == before);
    }
    FUZZ_CHECK(!has(&r->out, from, "\n250-STARTTLS\r\n"));
    /* A refused sender stays refused: no later MAIL is taken. */
    FUZZ_CHECK(!(r->flags & FLAG_REFUSED) ||
               !has(&r->out, from, "\n250 2.1.0 Sender OK"));
    FUZZ_CHECK(r->d.commands <= DIALOGUE_MAX_COMMANDS + 1);
    r->app = res;
    ops->clear(st);
    free(st);
}

/* The whole connection with reads of step bytes; out holds what the
 * server said. */
static void connection(struct run *r)
{
    r->d.scenario = "fuzz";
    r->d.host = "localhost";
    r->d.strip = (r->flags & FLAG_STRIP) != 0;
    r->d.refuse = (r->flags & FLAG_REFUSE) != 0;
    r->d.inject = (r->flags & FLAG_INJECT) ? INJECT : NULL;
    r->pre = PREAMBLE_TLS;
    r->app = APP_MORE;
    buf_init(&r->in);
    buf_init(&r->out);
    if ((r->flags & FLAG_SMTPS) || preamble(r))
        app(r);
    check_replies(&r->out);
    /* Every answer grows out only by what the input asked for. */
    FUZZ_CHECK(buf_pending(&r->out) <= 4096 + 64 * r->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct run cut = {.data = data + 2,
                      .size = size - 2,
                      .step = data[0] ? data[0] : 1,
                      .flags = data[1]};
    struct run whole = {.data = data + 2,
                        .size = size - 2,
                        .step = size,
                        .flags = data[1]};
    connection(&cut);
    connection(&whole);
    /* How the client's bytes were cut into reads changes nothing. */
    FUZZ_CHECK(cut.pre == whole.pre && cut.app == whole.app);
    FUZZ_CHECK(cut.why == whole.why);
    FUZZ_CHECK(cut.d.misstep == whole.d.misstep);
    FUZZ_CHECK(cut.d.commands == whole.d.commands);
    FUZZ_CHECK(strcmp(cut.d.step, whole.d.step) == 0);
    FUZZ_CHECK(buf_pending(&cut.out) == buf_pending(&whole.out));
    FUZZ_CHECK(memcmp(buf_head(&cut.out), buf_head(&whole.out),
                      buf_pending(&whole.out)) == 0);
    buf_free(&cut.in);
    buf_free(&cut.out);
    buf_free(&whole.in);
    buf_free(&whole.out);
    return 0;
}
