/*
 * The harness the line-based dialogues' tests share (test_pop3.c,
 * test_ftp.c): one connection's preamble over byte buffers, one
 * application layer after TLS, and a check on what was said.
 *
 * The test defines, before including it: FIXTURE_PREAMBLE (the module's
 * preamble ops), FIXTURE_COMMANDS (the commands an app_start counts as
 * sent before TLS) and GREETING (the preamble's first reply).
 */
#ifndef SHAKEDOWN_DIALOGUE_FIXTURE_H
#define SHAKEDOWN_DIALOGUE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dialogue.h"
#include "preamble.h"

static struct scenario scenario = {.name = "expired", .title = "Expired"};

/* One connection's worth of preamble: its state and both buffers. */
struct pre {
    struct dialogue d;
    void *state;
    struct buf in, out;
    const char *why;
};

static void pre_start(struct pre *p)
{
    memset(p, 0, sizeof(*p));
    p->d.scenario = "expired";
    p->d.host = "localhost";
    p->state = calloc(1, FIXTURE_PREAMBLE.size);
    assert_non_null(p->state);
    buf_init(&p->in);
    buf_init(&p->out);
}

static void pre_end(struct pre *p)
{
    FIXTURE_PREAMBLE.clear(p->state);
    free(p->state);
    buf_free(&p->in);
    buf_free(&p->out);
}

static enum preamble_result pre_send(struct pre *p, const char *text,
                                     size_t len)
{
    assert_int_equal(buf_append(&p->in, text, len), 0);
    return FIXTURE_PREAMBLE.input(p->state, &p->d, &p->in, &p->out, &p->why);
}

static enum preamble_result pre_say(struct pre *p, const char *text)
{
    return pre_send(p, text, strlen(text));
}

/* The greeting, taken off out. */
static void pre_greet(struct pre *p)
{
    assert_int_equal(pre_say(p, ""), PREAMBLE_MORE);
    assert_int_equal(buf_pending(&p->out), strlen(GREETING));
    assert_memory_equal(buf_head(&p->out), GREETING, strlen(GREETING));
    buf_consume(&p->out, buf_pending(&p->out));
}

/* out holds exactly text; it is emptied for the next step. */
static void said(struct buf *out, const char *text)
{
    size_t n = buf_pending(out);
    char *got = calloc(1, n + 1);
    assert_non_null(got);
    memcpy(got, buf_head(out), n);
    assert_string_equal(got, text);
    free(got);
    buf_consume(out, n);
}

/* ---- after TLS --------------------------------------------------------- */

struct app {
    struct dialogue d;
    void *state;
    struct buf out;
    struct app_request req;
    const struct app_ops *ops;
};

static void app_start(struct app *a, const struct app_ops *ops)
{
    memset(a, 0, sizeof(*a));
    a->d.scenario = "expired";
    a->d.host = "localhost";
    a->d.commands = FIXTURE_COMMANDS; /* before TLS */
    a->ops = ops;
    a->state = calloc(1, ops->size);
    assert_non_null(a->state);
    buf_init(&a->out);
    assert_int_equal(ops->open(a->state, &a->d, &a->out), 0);
}

static void app_end(struct app *a)
{
    a->ops->clear(a->state);
    free(a->state);
    buf_free(&a->out);
}

static enum app_result app_send(struct app *a, const char *text, size_t len)
{
    return a->ops->input(a->state, (const uint8_t *)text, len, &a->req,
                         &a->out);
}

static enum app_result app_say(struct app *a, const char *text)
{
    return app_send(a, text, strlen(text));
}

static int respond(struct app *a, int status, const char *note)
{
    struct app_page page = {.scenario = &scenario,
                            .version = "TLSv1.3",
                            .cipher = "TLS_AES_128_GCM_SHA256",
                            .note = note};
    return a->ops->respond(a->state, status, &page, &a->out);
}

#endif
