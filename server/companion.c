/*
 * The plain-HTTP companion of a scenario ([http] plain_port). What the
 * client sends there first decides: a ClientHello goes on as the
 * scenario's TLS (an http:// URL the client upgraded to https:// on the
 * same port, as HSTS and upgrade-insecure-requests do), and an HTTP
 * request is answered in the clear and recorded as one that travelled
 * without TLS (a redirect to http://, mixed content). Plain C over byte
 * buffers.
 */
#include "companion.h"

#include <stdio.h>
#include <string.h>

#include "http.h"

#define TLS_HANDSHAKE 0x16

static const char *const WITHOUT_TLS =
    "the client made a request over plain HTTP, without TLS";

static int say(struct buf *out, int status, const char *scenario,
               const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "Access-Control-Allow-Origin: *\r\n"
                     "X-Shakedown-Scenario: %s\r\n"
                     "\r\n",
                     status, http_reason(status), strlen(body), scenario);
    if (n < 0 || (size_t)n >= sizeof(head))
        return -1;
    if (buf_append(out, head, (size_t)n) != 0 ||
        buf_append(out, body, strlen(body)) != 0)
        return -1;
    return 0;
}

static enum preamble_result plain_input(void *state, struct dialogue *d,
                                        struct buf *in, struct buf *out,
                                        const char **why)
{
    (void)state;
    size_t len = buf_pending(in);
    const uint8_t *p = buf_head(in);
    if (len == 0)
        return PREAMBLE_MORE; /* the client speaks first */
    if (p[0] == TLS_HANDSHAKE) {
        dialogue_at(d, "TLS on the plain-HTTP port");
        return PREAMBLE_TLS;
    }
    struct http_request req;
    switch (http_parse(p, len, &req)) {
    case HTTP_NEED_MORE:
        return PREAMBLE_MORE;
    case HTTP_BAD:
    case HTTP_TOO_LARGE:
        dialogue_at(d, "not HTTP");
        *why = "neither HTTP nor TLS arrived on the plain-HTTP port";
        say(out, 400, d->scenario, "Neither HTTP nor TLS.\n");
        return PREAMBLE_CLOSE;
    case HTTP_COMPLETE:
        break;
    }
    char step[300], body[512]; /* dialogue_step truncates the step */
    snprintf(step, sizeof(step), "%s %s", req.method, req.target);
    dialogue_step(d, step);
    d->misstep = WITHOUT_TLS;
    snprintf(body, sizeof(body),
             "shakedown scenario %s: its plain-HTTP companion answered %s "
             "%s.\nThis request and its answer travelled without TLS.\n",
             d->scenario, req.method, req.target);
    *why = "answered a request over plain HTTP";
    if (say(out, 200, d->scenario, body) != 0)
        *why = "out of memory";
    buf_consume(in, req.head_len);
    return PREAMBLE_CLOSE;
}

static void plain_clear(void *state)
{
    (void)state;
}

const struct preamble_ops preamble_plain_http = {
    .name = "plain-http",
    .size = 0,
    .input = plain_input,
    .clear = plain_clear,
};
