/*
 * The connection state machine. libuv reads into enc_in; pump() is the
 * only caller of wolfSSL_accept/read/write and advances the state until
 * it needs more input; flush() keeps one write in flight. Every ending
 * goes through finish() (graceful) or close_handles() (immediate), and the
 * memory is freed in the last close callback, after the log line.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "scenario.h"
#include "server.h"

#define READ_CHUNK 16384
/* More than a ClientHello may span before we stop buffering. */
#define PEEK_LIMIT (HELLO_MAX_BYTES + 8 * 1024)

static void pump(struct conn *c);
static void flush(struct conn *c);
static void on_timer(uv_timer_t *t);

static void on_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    char offered[16] = "";
    if (c->hello_ok)
        hello_version_name(hello_max_version(&c->hello), offered,
                           sizeof(offered));
    if (c->ssl != NULL) {
        int sent, received;
        tlsio_alerts(c->ssl, &sent, &received);
        if (c->alert_sent < 0)
            c->alert_sent = sent;
        if (c->alert_received < 0)
            c->alert_received = received;
    }
    static const char *const ends[] = {"fin", "rst", "peer-fin", "peer-rst",
                                       "timeout-rst"};
    bool negotiated = c->ssl != NULL && wolfSSL_is_init_finished(c->ssl);
    struct log_record r = {
        .scenario = c->entry->scenario->name,
        .id = c->id,
        .peer = c->peer,
        .sni = c->hello_ok && c->hello.has_sni ? c->hello.sni : NULL,
        .offered = offered[0] ? offered : NULL,
        .action = c->action ? c->action : "none",
        .version = negotiated ? tlsio_version(c->ssl) : NULL,
        .cipher = negotiated ? tlsio_cipher(c->ssl) : NULL,
        .outcome = c->outcome ? c->outcome : "closed",
        .detail = c->detail,
        .alert_sent = c->alert_sent,
        .alert_received = c->alert_received,
        .close = ends[c->end],
        .ms = (double)(uv_now(c->server->loop) - c->started_ms),
        .bytes_in = c->bytes_in,
        .bytes_out = c->bytes_out,
    };
    log_connection(&r);
    server_conn_remove(c->server, c);
    if (c->ssl != NULL)
        wolfSSL_free(c->ssl);
    buf_free(&c->enc_in);
    buf_free(&c->enc_out);
    buf_free(&c->enc_writing);
    buf_free(&c->clear_in);
    free(c);
}

/* Closes both handles now; with reset, the socket sends RST. */
static void close_handles(struct conn *c, bool reset)
{
    if (c->state == CONN_CLOSED)
        return;
    c->state = CONN_CLOSED;
    uv_timer_stop(&c->timer);
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (!reset || uv_tcp_close_reset(&c->tcp, on_closed) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_closed);
    uv_close((uv_handle_t *)&c->timer, on_closed);
}

static void set_outcome(struct conn *c, const char *outcome)
{
    if (c->outcome == NULL)
        c->outcome = outcome;
}

/* Ends the connection: RST at once, or flush then FIN. */
static void finish(struct conn *c, const char *outcome, enum conn_end end)
{
    set_outcome(c, outcome);
    if (c->state >= CONN_CLOSING)
        return;
    c->end = end;
    if (end == CONN_END_RST || end == CONN_END_TIMEOUT ||
        end == CONN_END_PEER_RST) {
        close_handles(c, end != CONN_END_PEER_RST);
        return;
    }
    c->state = CONN_CLOSING;
    /* A client that never reads must not hold the flush for ever. */
    uv_timer_start(&c->timer, on_timer, c->server->opt.linger_ms, 0);
    flush(c);
}

void conn_abort(struct conn *c, const char *outcome)
{
    set_outcome(c, outcome);
    c->end = CONN_END_RST;
    close_handles(c, true);
}

static void on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    switch (c->state) {
    case CONN_PEEK:
    case CONN_HANDSHAKE:
        finish(c, "handshake timed out", CONN_END_TIMEOUT);
        break;
    case CONN_REQUEST:
        finish(c, "no HTTP request within the idle timeout",
               CONN_END_TIMEOUT);
        break;
    case CONN_RENEGOTIATE:
        finish(c, "renegotiation timed out", CONN_END_TIMEOUT);
        break;
    case CONN_CLOSING:
        set_outcome(c, "client did not read what was sent");
        c->end = CONN_END_TIMEOUT;
        close_handles(c, true);
        break;
    case CONN_LINGER:
        close_handles(c, false);
        break;
    case CONN_CLOSED:
        break;
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    if (status < 0 || c->peer_eof)
        close_handles(c, false);
}

/* Called when output may have drained: in CLOSING, send FIN and linger,
 * reading and discarding, so that the kernel has no unread data that
 * would turn our close into a RST and destroy the alert we just sent. */
static void after_flush(struct conn *c)
{
    if (c->state != CONN_CLOSING || c->writing ||
        buf_pending(&c->enc_out) > 0)
        return;
    if (c->peer_eof) {
        close_handles(c, false);
        return;
    }
    c->state = CONN_LINGER;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) !=
        0) {
        close_handles(c, false);
        return;
    }
    uv_timer_start(&c->timer, on_timer, c->server->opt.linger_ms, 0);
}

static void on_write_done(uv_write_t *req, int status)
{
    struct conn *c = req->data;
    c->writing = false;
    buf_reset(&c->enc_writing);
    if (c->state == CONN_CLOSED)
        return;
    if (status < 0) {
        set_outcome(c, "write failed");
        snprintf(c->detail, sizeof(c->detail), "%s", uv_strerror(status));
        c->end = CONN_END_PEER_RST;
        close_handles(c, false);
        return;
    }
    flush(c);
}

static void flush(struct conn *c)
{
    if (c->state == CONN_CLOSED || c->state == CONN_LINGER)
        return;
    if (!c->writing && buf_pending(&c->enc_out) > 0) {
        buf_swap(&c->enc_out, &c->enc_writing);
        uv_buf_t b = uv_buf_init((char *)buf_head(&c->enc_writing),
                                 (unsigned)buf_pending(&c->enc_writing));
        c->bytes_out += b.len;
        c->write_req.data = c;
        int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1,
                          on_write_done);
        if (rc != 0) {
            set_outcome(c, "write failed");
            snprintf(c->detail, sizeof(c->detail), "%s", uv_strerror(rc));
            close_handles(c, false);
            return;
        }
        c->writing = true;
    }
    after_flush(c);
}

/* ---- states ----------------------------------------------------------- */

/* A fatal alert record written before any TLS state exists (RFC 8446
 * section 6: an alert is two bytes, level 2 = fatal). */
static void queue_raw_alert(struct conn *c, int code)
{
    uint16_t v = 0x0303;
    if (c->hello_ok && c->hello.legacy_version < v)
        v = c->hello.legacy_version;
    uint8_t rec[7] = {21, (uint8_t)(v >> 8), (uint8_t)v, 0, 2, 2,
                      (uint8_t)code};
    buf_append(&c->enc_out, rec, sizeof(rec));
    c->alert_sent = code;
}

static bool apply_action(struct conn *c, struct scenario_action a,
                         WOLFSSL_CTX *ctx)
{
    switch (a.kind) {
    case SCENARIO_SERVE:
        c->action = ctx == c->entry->sni_ctx ? "serve (SNI identity)"
                                              : "serve";
        c->ssl = tlsio_new(ctx, &c->io);
        if (c->ssl == NULL) {
            finish(c, "out of memory", CONN_END_RST);
            return false;
        }
        c->state = CONN_HANDSHAKE;
        return true;
    case SCENARIO_ALERT:
        c->action = "alert";
        queue_raw_alert(c, a.alert);
        finish(c, "sent a fatal alert instead of a ServerHello",
               CONN_END_FIN);
        return false;
    case SCENARIO_RESET:
        c->action = "reset";
        finish(c, "reset the connection after the ClientHello",
               CONN_END_RST);
        return false;
    case SCENARIO_CLOSE:
        c->action = "close";
        finish(c, "closed the connection after the ClientHello",
               CONN_END_FIN);
        return false;
    }
    return false;
}

/* SNI policy: registered names get the SNI identity, others the scenario's
 * on_unknown action, a ClientHello without SNI its on_missing action. */
static bool step_peek(struct conn *c)
{
    const char *why = NULL;
    const struct scenario *s = c->entry->scenario;
    enum hello_status st = hello_parse(buf_head(&c->enc_in),
                                       buf_pending(&c->enc_in), &c->hello,
                                       &why);
    if (st == HELLO_NEED_MORE) {
        if (c->peer_eof)
            finish(c, "client closed before its ClientHello was complete",
                   CONN_END_PEER_FIN);
        else if (buf_pending(&c->enc_in) > PEEK_LIMIT)
            finish(c, "ClientHello too large", CONN_END_RST);
        return false;
    }
    if (st == HELLO_ERROR) {
        /* Let wolfSSL answer as a TLS server would. */
        snprintf(c->detail, sizeof(c->detail),
                 "ClientHello not understood (%s)", why);
        return apply_action(c, (struct scenario_action){SCENARIO_SERVE, 0},
                            c->entry->ctx);
    }
    c->hello_ok = true;
    struct scenario_action a = {SCENARIO_SERVE, 0};
    WOLFSSL_CTX *ctx = c->entry->ctx;
    if (!c->hello.has_sni) {
        a = s->on_missing;
        if (a.kind != SCENARIO_SERVE)
            snprintf(c->detail, sizeof(c->detail),
                     "the ClientHello has no SNI");
    } else if (scenario_sni_registered(s, c->hello.sni)) {
        if (c->entry->sni_ctx != NULL)
            ctx = c->entry->sni_ctx;
    } else if (s->n_sni_names > 0) {
        a = s->on_unknown;
        snprintf(c->detail, sizeof(c->detail),
                 "SNI \"%.200s\" is not registered", c->hello.sni);
    }
    return apply_action(c, a, ctx);
}

static bool step_handshake(struct conn *c)
{
    int ret = wolfSSL_accept(c->ssl);
    if (ret == WOLFSSL_SUCCESS) {
        c->state = CONN_REQUEST;
        uv_timer_start(&c->timer, on_timer, c->server->opt.idle_timeout_ms,
                       0);
        return true;
    }
    int err = wolfSSL_get_error(c->ssl, ret);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
        return false;
    size_t used = strlen(c->detail);
    if (used > 0 && used + 2 < sizeof(c->detail)) {
        strcat(c->detail, "; ");
        used += 2;
    }
    tlsio_error_string(err, c->detail + used, sizeof(c->detail) - used);
    finish(c,
           c->peer_eof ? "client closed during the handshake"
                       : "handshake failed",
           c->peer_eof ? CONN_END_PEER_FIN : CONN_END_FIN);
    return false;
}

static void respond(struct conn *c, int status, const char *reason)
{
    char subject[256];
    const struct scenario *s = c->entry->scenario;
    struct http_page page = {
        .scenario = s,
        .version = tlsio_version(c->ssl),
        .cipher = tlsio_cipher(c->ssl),
        .client_cert = tlsio_peer_subject(c->ssl, subject, sizeof(subject))
                           ? subject
                           : NULL,
    };
    if (status == 200 && page.client_cert == NULL &&
        s->missing_cert_status != 0) {
        status = s->missing_cert_status;
        reason = http_reason(status);
        page.note = "no client certificate was presented, so this request "
                    "is refused (IIS answers 403.7 here)";
    }
    struct buf resp;
    buf_init(&resp);
    if (http_respond(&resp, status, reason, &page) == 0)
        wolfSSL_write(c->ssl, buf_head(&resp), (int)buf_pending(&resp));
    buf_free(&resp);
    wolfSSL_shutdown(c->ssl); /* queues close_notify */
    finish(c, status == 200   ? "handshake completed, page served"
              : status == 400 ? "handshake completed, bad HTTP request"
                              : "handshake completed, request refused",
           CONN_END_FIN);
}

static bool step_request(struct conn *c)
{
    for (;;) {
        uint8_t *dst = buf_reserve(&c->clear_in, 4096);
        if (dst == NULL) {
            finish(c, "out of memory", CONN_END_RST);
            return false;
        }
        int n = wolfSSL_read(c->ssl, dst, 4096);
        if (n > 0) {
            buf_commit(&c->clear_in, (size_t)n);
            if (buf_pending(&c->clear_in) > HTTP_MAX_HEAD)
                break;
            continue;
        }
        int err = wolfSSL_get_error(c->ssl, n);
        if (err == WOLFSSL_ERROR_WANT_READ)
            break;
        if (err == WOLFSSL_ERROR_ZERO_RETURN) {
            finish(c, "client sent close_notify without a request",
                   CONN_END_PEER_FIN);
            return false;
        }
        tlsio_error_string(err, c->detail, sizeof(c->detail));
        finish(c,
               c->peer_eof ? "client closed without a request"
                           : "TLS error after the handshake",
               c->peer_eof ? CONN_END_PEER_FIN : CONN_END_FIN);
        return false;
    }
    struct http_request req;
    switch (http_parse(buf_head(&c->clear_in), buf_pending(&c->clear_in),
                       &req)) {
    case HTTP_NEED_MORE:
        if (c->peer_eof)
            finish(c, "client closed in the middle of its request",
                   CONN_END_PEER_FIN);
        return false;
    case HTTP_BAD:
        respond(c, 400, "Bad Request");
        return false;
    case HTTP_COMPLETE:
        if (c->entry->scenario->client_auth ==
            SCENARIO_CLIENT_AUTH_RENEGOTIATE) {
            c->state = CONN_RENEGOTIATE;
            return true;
        }
        respond(c, 200, "OK");
        return false;
    }
    return false;
}

/* The request is in; now demand a certificate through a new handshake. */
static bool step_renegotiate(struct conn *c)
{
    int r = tlsio_renegotiate(c->ssl, !c->renegotiating);
    c->renegotiating = true;
    if (r == 0) {
        if (c->peer_eof)
            finish(c, "client closed during the renegotiation",
                   CONN_END_PEER_FIN);
        return false;
    }
    if (r < 0) {
        tlsio_error_string(r, c->detail, sizeof(c->detail));
        finish(c, "renegotiation for a client certificate failed",
               CONN_END_FIN);
        return false;
    }
    respond(c, 200, "OK");
    return false;
}

static void pump(struct conn *c)
{
    if (c->in_pump)
        return;
    c->in_pump = true;
    bool again = true;
    while (again) {
        switch (c->state) {
        case CONN_PEEK: again = step_peek(c); break;
        case CONN_HANDSHAKE: again = step_handshake(c); break;
        case CONN_REQUEST: again = step_request(c); break;
        case CONN_RENEGOTIATE: again = step_renegotiate(c); break;
        default: again = false; break;
        }
    }
    flush(c);
    c->in_pump = false;
}

/* ---- socket callbacks ------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    (void)hint;
    struct conn *c = h->data;
    uint8_t *p = buf_reserve(&c->enc_in, READ_CHUNK);
    *out = uv_buf_init((char *)p, p ? READ_CHUNK : 0);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    struct conn *c = stream->data;
    if (nread > 0) {
        c->bytes_in += (uint64_t)nread;
        buf_commit(&c->enc_in, (size_t)nread);
        if (c->state >= CONN_CLOSING)
            buf_reset(&c->enc_in); /* draining */
        else
            pump(c);
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_EOF) {
        c->peer_eof = true;
        c->io.eof = true;
        uv_read_stop(stream);
        if (c->state == CONN_LINGER)
            close_handles(c, false);
        else if (c->state < CONN_CLOSING)
            pump(c);
        return;
    }
    snprintf(c->detail, sizeof(c->detail), "%s", uv_strerror((int)nread));
    finish(c, "client reset the connection", CONN_END_PEER_RST);
}

static void describe_peer(struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char host[48] = "?";
    int port = 0;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, host, sizeof(host));
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            uv_ip4_name(a, host, sizeof(host));
            port = ntohs(a->sin_port);
        }
    }
    snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
}

void conn_accept(struct server *srv, struct server_entry *entry,
                 uv_stream_t *server)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        log_info("%s: out of memory accepting a connection",
                 entry->scenario->name);
        return;
    }
    c->server = srv;
    c->entry = entry;
    c->alert_sent = c->alert_received = -1;
    c->io.in = &c->enc_in;
    c->io.out = &c->enc_out;
    c->started_ms = uv_now(srv->loop);
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    server_conn_add(srv, c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        set_outcome(c, "accept failed");
        close_handles(c, false);
        return;
    }
    describe_peer(c);
    uv_tcp_nodelay(&c->tcp, 1);
    if (srv->n_conns > srv->opt.max_connections) {
        finish(c, "over the connection limit", CONN_END_RST);
        return;
    }
    uv_timer_start(&c->timer, on_timer, srv->opt.handshake_timeout_ms, 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}
