/*
 * The HTTP/2 application layer over byte buffers, against nghttp2's own
 * client session: the client's frames go into http2_app.input, the
 * server's answer back into the client, and what the client saw is
 * checked (status, body, trailers, GOAWAY).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "grpc.h"
#include "http2.h"

/* What the client saw. */
struct seen {
    char status[8];
    char content_type[64];
    char grpc_status[8];
    char grpc_message[512];
    uint8_t body[8192];
    size_t body_len;
    bool end_stream;
    bool goaway;
    uint32_t goaway_code;
    int32_t goaway_last;
};

static void copy(char *out, size_t size, const uint8_t *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    struct seen *seen = user;
    (void)s;
    (void)f;
    (void)flags;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0)
        copy(seen->status, sizeof(seen->status), value, valuelen);
    if (namelen == 12 && memcmp(name, "content-type", 12) == 0)
        copy(seen->content_type, sizeof(seen->content_type), value, valuelen);
    if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
        copy(seen->grpc_status, sizeof(seen->grpc_status), value, valuelen);
    if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0)
        copy(seen->grpc_message, sizeof(seen->grpc_message), value,
             valuelen);
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream,
                   const uint8_t *data, size_t len, void *user)
{
    struct seen *seen = user;
    (void)s;
    (void)flags;
    (void)stream;
    assert_true(seen->body_len + len <= sizeof(seen->body));
    memcpy(seen->body + seen->body_len, data, len);
    seen->body_len += len;
    return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    struct seen *seen = user;
    (void)s;
    if (f->hd.stream_id == 1 && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        seen->end_stream = true;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        seen->goaway = true;
        seen->goaway_code = f->goaway.error_code;
        seen->goaway_last = f->goaway.last_stream_id;
    }
    return 0;
}

static nghttp2_session *client_new(struct seen *seen)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session *c;
    assert_int_equal(nghttp2_session_callbacks_new(&cb), 0);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
    assert_int_equal(nghttp2_session_client_new(&c, cb, seen), 0);
    nghttp2_session_callbacks_del(cb);
    memset(seen, 0, sizeof(*seen));
    assert_int_equal(nghttp2_submit_settings(c, NGHTTP2_FLAG_NONE, NULL, 0),
                     0);
    return c;
}

/* Everything the client wants to send, appended to b. */
static void client_send(nghttp2_session *c, struct buf *b)
{
    const uint8_t *data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c, &data)) > 0)
        assert_int_equal(buf_append(b, data, (size_t)n), 0);
    assert_true(n == 0);
}

static void client_recv(nghttp2_session *c, const struct buf *b)
{
    ssize_t n = nghttp2_session_mem_recv(c, buf_head(b), buf_pending(b));
    assert_int_equal(n, (ssize_t)buf_pending(b));
}

static const uint8_t grpc_request[] = {0, 0, 0, 0, 0};

static ssize_t read_grpc(nghttp2_session *s, int32_t stream, uint8_t *buf,
                         size_t length, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)s;
    (void)stream;
    (void)src;
    (void)user;
    assert_true(length >= sizeof(grpc_request));
    memcpy(buf, grpc_request, sizeof(grpc_request));
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return sizeof(grpc_request);
}

#define NV(n, v)                                                               \
    {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,             \
     NGHTTP2_NV_FLAG_NONE}

static void submit_get(nghttp2_session *c, const char *path)
{
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "https"),
                       NV(":authority", "localhost"), NV(":path", "/")};
    nv[3].value = (uint8_t *)path;
    nv[3].valuelen = strlen(path);
    assert_int_equal(nghttp2_submit_request(c, NULL, nv, 4, NULL, NULL), 1);
}

static void submit_grpc(nghttp2_session *c, const char *path)
{
    nghttp2_nv nv[] = {NV(":method", "POST"), NV(":scheme", "https"),
                       NV(":authority", "localhost"), NV(":path", "/"),
                       NV("content-type", "application/grpc"),
                       NV("te", "trailers")};
    nv[3].value = (uint8_t *)path;
    nv[3].valuelen = strlen(path);
    nghttp2_data_provider data = {.read_callback = read_grpc};
    assert_int_equal(nghttp2_submit_request(c, NULL, nv, 6, &data, NULL), 1);
}

static struct scenario scenario = {
    .name = "one",
    .title = "One",
    .explain = "Why.",
};

static const struct app_page page = {
    .scenario = &scenario,
    .version = "TLSv1.3",
    .cipher = "TLS_AES_128_GCM_SHA256",
};

/* A server instance, opened: its SETTINGS are in out. */
static void *server_open(struct buf *out)
{
    void *st = calloc(1, http2_app.size);
    assert_non_null(st);
    assert_int_equal(http2_app.open(st, NULL, out), 0);
    assert_true(buf_pending(out) >= 9);
    assert_int_equal(buf_head(out)[3], NGHTTP2_SETTINGS);
    return st;
}

static void server_close(void *st)
{
    http2_app.clear(st);
    free(st);
}

/* Feeds the client's bytes one at a time: APP_MORE until the last. */
static enum app_result feed_bytewise(void *st, const struct buf *in,
                                     struct app_request *req,
                                     struct buf *out)
{
    enum app_result r = APP_MORE;
    for (size_t i = 0; i < buf_pending(in); i++) {
        r = http2_app.input(st, buf_head(in) + i, 1, req, out);
        if (i + 1 < buf_pending(in))
            assert_int_equal(r, APP_MORE);
    }
    return r;
}

static void test_page(void **state)
{
    struct seen seen;
    struct buf to_server, to_client;
    struct app_request req;
    (void)state;
    buf_init(&to_server);
    buf_init(&to_client);
    nghttp2_session *c = client_new(&seen);
    void *st = server_open(&to_client);
    assert_string_equal(http2_app.name, "h2");
    submit_get(c, "/index?x=1");
    client_send(c, &to_server);
    assert_int_equal(feed_bytewise(st, &to_server, &req, &to_client),
                     APP_REQUEST);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.target, "/index?x=1");
    assert_string_equal(req.protocol, "HTTP/2");
    assert_false(req.grpc);
    assert_int_equal(http2_app.respond(st, 200, &page, &to_client), 0);
    client_recv(c, &to_client);
    assert_string_equal(seen.status, "200");
    assert_string_equal(seen.content_type, "text/plain; charset=utf-8");
    assert_true(seen.body_len > 0);
    assert_non_null(memmem(seen.body, seen.body_len,
                           "shakedown scenario: one\nOne\n", 28));
    assert_true(seen.end_stream);
    /* One request per connection: GOAWAY names it as the last. */
    assert_true(seen.goaway);
    assert_int_equal(seen.goaway_code, NGHTTP2_NO_ERROR);
    assert_int_equal(seen.goaway_last, 1);
    server_close(st);
    nghttp2_session_del(c);
    buf_free(&to_server);
    buf_free(&to_client);
}

/* The client's SETTINGS and PING are acknowledged as they come. */
static void test_acknowledges(void **state)
{
    struct seen seen;
    struct buf to_server, to_client;
    struct app_request req;
    (void)state;
    buf_init(&to_server);
    buf_init(&to_client);
    nghttp2_session *c = client_new(&seen);
    void *st = server_open(&to_client);
    assert_int_equal(nghttp2_submit_ping(c, NGHTTP2_FLAG_NONE, NULL), 0);
    client_send(c, &to_server);
    buf_reset(&to_client);
    assert_int_equal(http2_app.input(st, buf_head(&to_server),
                                     buf_pending(&to_server), &req,
                                     &to_client),
                     APP_MORE);
    /* SETTINGS ACK and PING ACK: two frames of 9 + 0 and 9 + 8 bytes. */
    assert_int_equal(buf_pending(&to_client), 9 + 17);
    server_close(st);
    nghttp2_session_del(c);
    buf_free(&to_server);
    buf_free(&to_client);
}

static void grpc_call(const char *path, int status, struct seen *seen)
{
    struct buf to_server, to_client;
    struct app_request req;
    buf_init(&to_server);
    buf_init(&to_client);
    nghttp2_session *c = client_new(seen);
    void *st = server_open(&to_client);
    submit_grpc(c, path);
    client_send(c, &to_server);
    assert_int_equal(http2_app.input(st, buf_head(&to_server),
                                     buf_pending(&to_server), &req,
                                     &to_client),
                     APP_REQUEST);
    assert_true(req.grpc);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.target, path);
    struct app_page p = page;
    p.note = status == 200 ? NULL : "no client certificate was presented";
    assert_int_equal(http2_app.respond(st, status, &p, &to_client), 0);
    client_recv(c, &to_client);
    assert_string_equal(seen->status, "200");
    assert_string_equal(seen->content_type, "application/grpc");
    assert_true(seen->end_stream);
    server_close(st);
    nghttp2_session_del(c);
    buf_free(&to_server);
    buf_free(&to_client);
}

static void test_grpc_health(void **state)
{
    struct seen seen;
    static const uint8_t serving[] = {0, 0, 0, 0, 2, 0x08, 0x01};
    (void)state;
    grpc_call(GRPC_HEALTH_CHECK, 200, &seen);
    assert_int_equal(seen.body_len, sizeof(serving));
    assert_memory_equal(seen.body, serving, sizeof(serving));
    assert_string_equal(seen.grpc_status, "0");
    assert_string_equal(seen.grpc_message, "shakedown scenario: one (One)");
}

static void test_grpc_any_method(void **state)
{
    struct seen seen;
    static const uint8_t empty[] = {0, 0, 0, 0, 0};
    (void)state;
    grpc_call("/pkg.Service/Method", 200, &seen);
    assert_int_equal(seen.body_len, sizeof(empty));
    assert_memory_equal(seen.body, empty, sizeof(empty));
    assert_string_equal(seen.grpc_status, "0");
}

static void test_grpc_refused(void **state)
{
    struct seen seen;
    (void)state;
    grpc_call(GRPC_HEALTH_CHECK, 403, &seen);
    assert_int_equal(seen.body_len, 0);
    assert_string_equal(seen.grpc_status, "7");
    assert_string_equal(seen.grpc_message, "shakedown scenario: one: no "
                                           "client certificate was presented");
}

/* A truncation: the stream is left open and no GOAWAY follows. */
static void test_truncated(void **state)
{
    struct seen seen;
    struct buf to_server, to_client;
    struct app_request req;
    (void)state;
    buf_init(&to_server);
    buf_init(&to_client);
    nghttp2_session *c = client_new(&seen);
    void *st = server_open(&to_client);
    submit_get(c, "/");
    client_send(c, &to_server);
    assert_int_equal(http2_app.input(st, buf_head(&to_server),
                                     buf_pending(&to_server), &req,
                                     &to_client),
                     APP_REQUEST);
    struct app_page p = page;
    p.no_length = true;
    assert_int_equal(http2_app.respond(st, 200, &p, &to_client), 0);
    client_recv(c, &to_client);
    assert_string_equal(seen.status, "200");
    assert_true(seen.body_len > 0);
    assert_false(seen.end_stream);
    assert_false(seen.goaway);
    server_close(st);
    nghttp2_session_del(c);
    buf_free(&to_server);
    buf_free(&to_client);
}

/* The last frame in out is a GOAWAY with this error code. */
static void assert_goaway(const struct buf *out, uint32_t code)
{
    const uint8_t *p = buf_head(out);
    size_t n = buf_pending(out), at = 0, last = SIZE_MAX;
    while (at + 9 <= n) {
        size_t len = (size_t)p[at] << 16 | (size_t)p[at + 1] << 8 | p[at + 2];
        last = at;
        at += 9 + len;
    }
    assert_int_equal(at, n);
    assert_true(last != SIZE_MAX);
    assert_int_equal(p[last + 3], NGHTTP2_GOAWAY);
    const uint8_t *e = p + last + 9 + 4;
    assert_int_equal((uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 |
                         (uint32_t)e[2] << 8 | e[3],
                     code);
}

static void test_bad_preface(void **state)
{
    struct buf out;
    struct app_request req;
    static const char get[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    (void)state;
    buf_init(&out);
    void *st = server_open(&out);
    buf_reset(&out);
    assert_int_equal(http2_app.input(st, (const uint8_t *)get,
                                     sizeof(get) - 1, &req, &out),
                     APP_BAD);
    assert_int_equal(http2_app.respond(st, 400, &page, &out), 0);
    assert_goaway(&out, NGHTTP2_PROTOCOL_ERROR);
    server_close(st);
    buf_free(&out);
}

static void test_huge_headers(void **state)
{
    struct seen seen;
    struct buf to_server, out;
    struct app_request req;
    static char big[HTTP2_MAX_HEADERS + 1];
    (void)state;
    buf_init(&to_server);
    buf_init(&out);
    nghttp2_session *c = client_new(&seen);
    void *st = server_open(&out);
    memset(big, 'a', sizeof(big) - 1);
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "https"),
                       NV(":authority", "localhost"), NV(":path", "/"),
                       NV("x-big", "")};
    nv[4].value = (uint8_t *)big;
    nv[4].valuelen = sizeof(big) - 1;
    assert_int_equal(nghttp2_submit_request(c, NULL, nv, 5, NULL, NULL), 1);
    client_send(c, &to_server);
    buf_reset(&out);
    assert_int_equal(http2_app.input(st, buf_head(&to_server),
                                     buf_pending(&to_server), &req, &out),
                     APP_BAD);
    assert_int_equal(http2_app.respond(st, 400, &page, &out), 0);
    assert_goaway(&out, NGHTTP2_ENHANCE_YOUR_CALM);
    server_close(st);
    nghttp2_session_del(c);
    buf_free(&to_server);
    buf_free(&out);
}

/* A client that talks on without ever asking is cut off. */
static void test_input_limit(void **state)
{
    struct seen seen;
    struct buf to_server, out;
    struct app_request req;
    (void)state;
    buf_init(&to_server);
    buf_init(&out);
    nghttp2_session *c = client_new(&seen);
    void *st = server_open(&out);
    client_send(c, &to_server);
    assert_int_equal(http2_app.input(st, buf_head(&to_server),
                                     buf_pending(&to_server), &req, &out),
                     APP_MORE);
    enum app_result r = APP_MORE;
    size_t sent = 0;
    while (r == APP_MORE && sent <= HTTP2_MAX_INPUT + 17) {
        buf_reset(&to_server);
        assert_int_equal(nghttp2_submit_ping(c, NGHTTP2_FLAG_NONE, NULL), 0);
        client_send(c, &to_server);
        sent += buf_pending(&to_server);
        buf_reset(&out);
        r = http2_app.input(st, buf_head(&to_server), buf_pending(&to_server),
                            &req, &out);
    }
    assert_int_equal(r, APP_BAD);
    assert_true(sent > HTTP2_MAX_INPUT - 4096);
    assert_int_equal(http2_app.respond(st, 400, &page, &out), 0);
    assert_goaway(&out, NGHTTP2_ENHANCE_YOUR_CALM);
    server_close(st);
    nghttp2_session_del(c);
    buf_free(&to_server);
    buf_free(&out);
}

static void test_grpc_helpers(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(grpc_code_for_http(200), GRPC_OK);
    assert_int_equal(grpc_code_for_http(403), GRPC_PERMISSION_DENIED);
    assert_int_equal(grpc_code_for_http(496), GRPC_UNAUTHENTICATED);
    assert_int_equal(grpc_code_for_http(500), GRPC_UNKNOWN);
    assert_string_equal(grpc_code_name(GRPC_PERMISSION_DENIED),
                        "PERMISSION_DENIED");
    grpc_percent_encode("100% sure\n\xc3\xa9", out, sizeof(out));
    assert_string_equal(out, "100%25 sure%0A%C3%A9");
    grpc_percent_encode("abcdef", out, 4);
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_acknowledges),
        cmocka_unit_test(test_grpc_health),
        cmocka_unit_test(test_grpc_any_method),
        cmocka_unit_test(test_grpc_refused),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_preface),
        cmocka_unit_test(test_huge_headers),
        cmocka_unit_test(test_input_limit),
        cmocka_unit_test(test_grpc_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
