/*
 * HTTP/2 through nghttp2. The session is a server session with nghttp2's
 * HTTP messaging checks on; input() feeds it with nghttp2_session_mem_recv
 * and drains what it wants to say with nghttp2_session_mem_send. The
 * first request stream that ends is the request; others are left to the
 * GOAWAY that follows the answer, which names it as the last stream
 * processed, so a client retries them on a new connection.
 */
#include "http2.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "grpc.h"
#include "http.h"

struct http2_state {
    nghttp2_session *session;
    int32_t stream;      /* the request's stream; 0: none yet */
    bool complete;       /* its END_STREAM has arrived */
    bool bad;            /* a connection error: answer with GOAWAY */
    uint32_t bad_code;   /* its HTTP/2 error code */
    size_t header_bytes; /* of the request's headers */
    size_t input_bytes;  /* before the request was complete */
    struct app_request req;
    /* The answer being sent: its body and trailers. */
    uint8_t body[SCENARIO_HTTP_BODY_MAX + 1];
    size_t body_len, body_off;
    bool trailers; /* gRPC: end the stream with trailers */
    bool no_end;   /* a truncation: leave the stream open */
    char grpc_status[8];
    char grpc_message[1024];
    const char *scenario;
};

static bool header_is(const uint8_t *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

static void copy_value(char *out, size_t size, const uint8_t *v, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame,
                            void *user)
{
    struct http2_state *st = user;
    (void)s;
    if (frame->hd.type == NGHTTP2_HEADERS &&
        frame->headers.cat == NGHTTP2_HCAT_REQUEST && st->stream == 0)
        st->stream = frame->hd.stream_id;
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    struct http2_state *st = user;
    (void)s;
    (void)flags;
    if (frame->hd.stream_id != st->stream || st->complete)
        return 0;
    st->header_bytes += namelen + valuelen;
    if (st->header_bytes > HTTP2_MAX_HEADERS) {
        st->bad = true;
        st->bad_code = NGHTTP2_ENHANCE_YOUR_CALM;
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (header_is(name, namelen, ":method"))
        copy_value(st->req.method, sizeof(st->req.method), value, valuelen);
    else if (header_is(name, namelen, ":path"))
        copy_value(st->req.target, sizeof(st->req.target), value, valuelen);
    else if (header_is(name, namelen, "content-type"))
        st->req.grpc = valuelen >= 16 &&
                       memcmp(value, "application/grpc", 16) == 0 &&
                       (valuelen == 16 || value[16] == '+' ||
                        value[16] == ';');
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame,
                         void *user)
{
    struct http2_state *st = user;
    (void)s;
    if ((frame->hd.type == NGHTTP2_HEADERS ||
         frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        frame->hd.stream_id == st->stream && st->stream != 0)
        st->complete = true;
    return 0;
}

/* Everything nghttp2 has to send, into out. */
static int drain(struct http2_state *st, struct buf *out)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(st->session, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (buf_append(out, data, (size_t)n) != 0)
            return -1;
    }
}

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct http2_state *st = state;
    (void)d;
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
                                                            on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    /* Request bodies (a gRPC message) are dropped: no data callback. */
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    int rc = nghttp2_session_server_new(&st->session, cb, st);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0) {
        st->session = NULL;
        return -1;
    }
    const nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HTTP2_MAX_HEADERS},
    };
    if (nghttp2_submit_settings(st->session, NGHTTP2_FLAG_NONE, iv,
                                sizeof(iv) / sizeof(iv[0])) != 0)
        return -1;
    return drain(st, out);
}

static enum app_result app_input(void *state, const uint8_t *data,
                                 size_t len, struct app_request *req,
                                 struct buf *out)
{
    struct http2_state *st = state;
    if (st->session == NULL)
        return APP_ERROR;
    st->input_bytes += len;
    ssize_t n = nghttp2_session_mem_recv(st->session, data, len);
    if (n == NGHTTP2_ERR_NOMEM)
        return APP_ERROR;
    if (n < 0 && !st->bad) {
        st->bad = true; /* a bad preface, or a flood nghttp2 refused */
        st->bad_code = n == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM
                                                : NGHTTP2_PROTOCOL_ERROR;
    }
    if (drain(st, out) != 0)
        return APP_ERROR;
    if (st->bad)
        return APP_BAD;
    if (st->complete) {
        *req = st->req;
        req->protocol = "HTTP/2";
        return APP_REQUEST;
    }
    /* nghttp2 ended the session itself (GOAWAY for a connection error,
     * or the client's own), or the client keeps talking without asking. */
    if (!nghttp2_session_want_read(st->session) ||
        st->input_bytes > HTTP2_MAX_INPUT) {
        st->bad = true;
        st->bad_code = st->input_bytes > HTTP2_MAX_INPUT
                           ? NGHTTP2_ENHANCE_YOUR_CALM
                           : NGHTTP2_PROTOCOL_ERROR;
        return APP_BAD;
    }
    return APP_MORE;
}

static ssize_t read_body(nghttp2_session *s, int32_t stream, uint8_t *buf,
                         size_t length, uint32_t *flags,
                         nghttp2_data_source *source, void *user)
{
    struct http2_state *st = user;
    (void)source;
    size_t n = st->body_len - st->body_off;
    if (n > length)
        n = length;
    memcpy(buf, st->body + st->body_off, n);
    st->body_off += n;
    if (st->body_off < st->body_len)
        return (ssize_t)n;
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (st->trailers || st->no_end)
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    if (st->trailers) {
        const nghttp2_nv nv[] = {
            {(uint8_t *)"grpc-status", (uint8_t *)st->grpc_status, 11,
             strlen(st->grpc_status), NGHTTP2_NV_FLAG_NONE},
            {(uint8_t *)"grpc-message", (uint8_t *)st->grpc_message, 12,
             strlen(st->grpc_message), NGHTTP2_NV_FLAG_NONE},
            {(uint8_t *)"x-shakedown-scenario", (uint8_t *)st->scenario, 20,
             strlen(st->scenario), NGHTTP2_NV_FLAG_NONE},
        };
        if (nghttp2_submit_trailer(s, stream, nv, sizeof(nv) / sizeof(nv[0]))
            != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

#define NV(n, v) \
    {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), \
     NGHTTP2_NV_FLAG_NONE}

/* The gRPC answer: status 200, one message when OK, then trailers. */
static int submit_grpc(struct http2_state *st, int status,
                       const struct app_page *page)
{
    enum grpc_code code = grpc_code_for_http(status);
    char text[768];
    if (code == GRPC_OK)
        snprintf(text, sizeof(text), "shakedown scenario: %s (%s)",
                 page->scenario->name, page->scenario->title);
    else
        snprintf(text, sizeof(text), "shakedown scenario: %s: %s",
                 page->scenario->name,
                 page->note ? page->note : "request refused");
    snprintf(st->grpc_status, sizeof(st->grpc_status), "%d", (int)code);
    grpc_percent_encode(text, st->grpc_message, sizeof(st->grpc_message));
    st->body_len = grpc_response_message(st->req.target, code, st->body);
    st->trailers = !page->no_length;
    const nghttp2_nv nv[] = {
        NV(":status", "200"),
        NV("content-type", "application/grpc"),
        NV("x-shakedown-scenario", page->scenario->name),
    };
    nghttp2_data_provider data = {.read_callback = read_body};
    return nghttp2_submit_response(st->session, st->stream, nv,
                                   sizeof(nv) / sizeof(nv[0]), &data);
}

/* The page's extra header lines ("Name: value\r\n" each) as name-value
 * pairs in nv, their names lowercased into names (HTTP/2 sends no other):
 * how many were added. nghttp2 copies them as the response is submitted. */
static size_t extra_headers(const char *lines, nghttp2_nv *nv, size_t room,
                            char *names, size_t names_size)
{
    size_t n = 0, used = 0;
    for (const char *p = lines; p != NULL && *p && n < room;) {
        const char *eol = strstr(p, "\r\n");
        const char *colon = memchr(p, ':', eol ? (size_t)(eol - p) : 0);
        if (eol == NULL || colon == NULL)
            break;
        size_t len = (size_t)(colon - p);
        if (used + len > names_size)
            break;
        for (size_t i = 0; i < len; i++)
            names[used + i] = (char)tolower((unsigned char)p[i]);
        const char *v = colon + 1;
        while (v < eol && *v == ' ')
            v++;
        nv[n++] = (nghttp2_nv){(uint8_t *)names + used, (uint8_t *)v, len,
                               (size_t)(eol - v), NGHTTP2_NV_FLAG_NONE};
        used += len;
        p = eol + 2;
    }
    return n;
}

static int submit_page(struct http2_state *st, int status,
                       const struct app_page *page)
{
    char code[8], length[24];
    const char *type;
    st->body_len = http_body(page, (char *)st->body, sizeof(st->body), &type);
    snprintf(code, sizeof(code), "%d", status);
    snprintf(length, sizeof(length), "%zu", st->body_len);
    nghttp2_nv nv[5 + SCENARIO_MAX_HTTP_HEADERS] = {
        NV(":status", code),
        NV("content-type", type),
        NV("access-control-allow-origin", "*"),
        NV("x-shakedown-scenario", page->scenario->name),
    };
    size_t n = 4;
    if (!page->no_length)
        nv[n++] = (nghttp2_nv)NV("content-length", length);
    char names[SCENARIO_MAX_HTTP_HEADERS * SCENARIO_HTTP_HEADER_MAX];
    n += extra_headers(page->headers, nv + n, SCENARIO_MAX_HTTP_HEADERS,
                       names, sizeof(names));
    nghttp2_data_provider data = {.read_callback = read_body};
    return nghttp2_submit_response(st->session, st->stream, nv, n, &data);
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct http2_state *st = state;
    if (st->session == NULL)
        return -1;
    st->scenario = page->scenario->name;
    st->no_end = page->no_length;
    if (st->bad || !st->complete) {
        /* A connection error: say so and say no more. */
        char why[160];
        snprintf(why, sizeof(why), "shakedown scenario %s: not a request "
                 "this server can read", page->scenario->name);
        nghttp2_submit_goaway(st->session, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(
                                  st->session),
                              st->bad_code ? st->bad_code
                                           : NGHTTP2_PROTOCOL_ERROR,
                              (const uint8_t *)why, strlen(why));
        return drain(st, out);
    }
    int rc = st->req.grpc ? submit_grpc(st, status, page)
                          : submit_page(st, status, page);
    if (rc != 0)
        return -1;
    /* One request per connection: the rest go elsewhere. A truncated
     * answer ends without it, as the TCP connection just closes. */
    if (!page->no_length &&
        nghttp2_submit_goaway(st->session, NGHTTP2_FLAG_NONE, st->stream,
                              NGHTTP2_NO_ERROR, NULL, 0) != 0)
        return -1;
    return drain(st, out);
}

static void app_clear(void *state)
{
    struct http2_state *st = state;
    if (st->session != NULL)
        nghttp2_session_del(st->session);
    st->session = NULL;
}

const struct app_ops http2_app = {
    .name = "h2",
    .size = sizeof(struct http2_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
