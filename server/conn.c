/*
 * The connection state machine. libuv reads into enc_in; pump() is the
 * only caller of wolfSSL_accept/read/write and advances the state until
 * it needs more input; flush() keeps one write in flight and applies the
 * output faults (a limit, then an action). Every ending goes through
 * finish() (graceful) or close_handles() (immediate); the trace's last
 * lines and the free happen in the last close callback.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "fault.h"
#include "companion.h"
#include "http.h"
#include "http2.h"
#include "layers.h"
#include "log.h"
#include "entry.h"

#define READ_CHUNK 16384
#define RECORD_HEADER_BYTES 5
/* More than a ClientHello may span before we stop buffering. */
#define PEEK_LIMIT (HELLO_MAX_BYTES + 8 * 1024)
/* Clear-text answers (acknowledgements) a client that does not read may
 * leave queued before it is cut off. */
#define APP_OUT_LIMIT (1024 * 1024)

static void pool_remove(struct conn_pool *p, struct conn *c);
static void pump(struct conn *c);
static void flush(struct conn *c);
static void on_timer(uv_timer_t *t);

static const struct scenario *scenario_of(const struct conn *c)
{
    return c->entry->scenario;
}

static uint64_t elapsed_ms(const struct conn *c)
{
    return uv_now(c->pool->loop) - c->started_ms;
}

/* The trace, its clock set for the next event. */
static struct trace *tr(struct conn *c)
{
    c->trace.ms = elapsed_ms(c);
    return &c->trace;
}

static void trace_handshake_done(struct conn *c)
{
    char subject[256], alpn[SCENARIO_ALPN_MAX];
    bool cert = tlsio_peer_subject(c->ssl, subject, sizeof(subject));
    bool selected = tlsio_alpn(c->ssl, alpn, sizeof(alpn));
    trace_handshake_ok(tr(c), tlsio_version(c->ssl), tlsio_cipher(c->ssl),
                       selected ? alpn : NULL, cert ? subject : NULL);
}

/* The alerts either side sent (wolfSSL's history, our raw ones, and one
 * the record scanner saw that wolfSSL could not read), then the last
 * lines. */
static void trace_last_lines(struct conn *c)
{
    int sent = c->alert_sent, received = -1;
    if (c->ssl != NULL) {
        int tx, rx;
        tlsio_alerts(c->ssl, &tx, &rx);
        if (sent < 0)
            sent = tx;
        received = rx;
    }
    if (received < 0)
        received = c->scan.alert;
    trace_close(tr(c), sent, received);
}

/* ---- endings ---------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    trace_last_lines(c);
    if (c->ssl != NULL)
        wolfSSL_free(c->ssl);
    buf_free(&c->enc_in);
    buf_free(&c->enc_out);
    buf_free(&c->enc_writing);
    buf_free(&c->clear_out);
    if (c->app_state != NULL) {
        c->app->clear(c->app_state);
        free(c->app_state);
    }
    c->preamble->clear(c->preamble_state);
    free(c->preamble_state);
    /* Last: the entry (and its contexts) may go with this connection. */
    pool_remove(c->pool, c);
    free(c);
}

/* Closes every handle now; with reset, the socket sends RST. */
static void close_handles(struct conn *c, bool reset)
{
    if (c->state == CONN_CLOSED)
        return;
    c->state = CONN_CLOSED;
    uv_timer_stop(&c->timer);
    uv_timer_stop(&c->fault_timer);
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (!reset || uv_tcp_close_reset(&c->tcp, on_closed) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_closed);
    uv_close((uv_handle_t *)&c->timer, on_closed);
    uv_close((uv_handle_t *)&c->fault_timer, on_closed);
}

static void set_reason(struct conn *c, const char *reason)
{
    if (c->trace.reason == NULL)
        c->trace.reason = reason;
}

/* Ends the connection: RST at once, or flush then FIN. */
static void finish(struct conn *c, const char *reason, enum trace_end end)
{
    set_reason(c, reason);
    if (c->state >= CONN_CLOSING)
        return;
    c->trace.end = end;
    uv_timer_stop(&c->fault_timer);
    if (end == TRACE_END_RST || end == TRACE_END_TIMEOUT ||
        end == TRACE_END_PEER_RST) {
        close_handles(c, end != TRACE_END_PEER_RST);
        return;
    }
    if (c->drip_left > 0 && c->out_allowed != SIZE_MAX) {
        /* A drip ends with what it holds back unsent, as at its time
         * limit: the flush would otherwise wait for ticks that are
         * stopped, and the close for the linger timer. */
        buf_reset(&c->enc_out);
        c->out_allowed = SIZE_MAX;
    }
    c->state = CONN_CLOSING;
    /* A client that never reads must not hold the flush for ever. */
    uv_timer_start(&c->timer, on_timer, c->pool->limits.linger_ms, 0);
    flush(c);
}

void conn_abort(struct conn *c, const char *reason)
{
    set_reason(c, reason);
    c->trace.end = TRACE_END_RST;
    close_handles(c, true);
}

/* A fault's time bound, capped by --max-stall. */
static uint64_t fault_bound_ms(const struct conn *c,
                               const struct scenario_fault *f)
{
    int s = f->duration_s;
    if (c->pool->limits.max_stall_s > 0 && s > c->pool->limits.max_stall_s)
        s = c->pool->limits.max_stall_s;
    return (uint64_t)s * 1000;
}

static void start_stall(struct conn *c)
{
    c->state = CONN_STALL;
    buf_reset(&c->enc_out);
    buf_free(&c->enc_in); /* nothing more is read from a stall */
    c->out_allowed = SIZE_MAX;
    uv_timer_start(&c->timer, on_timer,
                   fault_bound_ms(c, &scenario_of(c)->fault), 0);
}

static void on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    switch (c->state) {
    case CONN_PREAMBLE:
    case CONN_PEEK:
    case CONN_HANDSHAKE:
        finish(c, "handshake timed out", TRACE_END_TIMEOUT);
        break;
    case CONN_REQUEST:
        finish(c, c->entry->protocol != PROTOCOL_HTTPS
                      ? "the dialogue went quiet for the idle timeout"
                      : "no HTTP request within the idle timeout",
               TRACE_END_TIMEOUT);
        break;
    case CONN_RENEGOTIATE:
        finish(c, "renegotiation timed out", TRACE_END_TIMEOUT);
        break;
    case CONN_STALL:
        finish(c, "the stall reached its time limit", TRACE_END_FIN);
        break;
    case CONN_CLOSING:
        set_reason(c, "client did not read what was sent");
        c->trace.end = TRACE_END_TIMEOUT;
        close_handles(c, true);
        break;
    case CONN_LINGER:
        close_handles(c, false);
        break;
    case CONN_CLOSED:
        break;
    }
}

/* ---- output ----------------------------------------------------------- */

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
    uv_timer_start(&c->timer, on_timer, c->pool->limits.linger_ms, 0);
}

/* The bytes a fault let through are out: now its action. */
static void fire_then(struct conn *c, enum scenario_action_kind kind)
{
    c->out_allowed = SIZE_MAX;
    switch (kind) {
    case SCENARIO_RESET:
        finish(c, "reset after part of the server's flight", TRACE_END_RST);
        break;
    case SCENARIO_STALL:
        start_stall(c);
        break;
    default: /* SCENARIO_CLOSE */
        buf_reset(&c->enc_out);
        finish(c, "closed after part of the server's flight", TRACE_END_FIN);
        break;
    }
}

static void on_write_done(uv_write_t *req, int status)
{
    struct conn *c = req->data;
    c->writing = false;
    buf_reset(&c->enc_writing);
    if (c->state == CONN_CLOSED)
        return;
    if (status < 0) {
        set_reason(c, "write failed");
        snprintf(c->trace.detail, sizeof(c->trace.detail), "%s", uv_strerror(status));
        c->trace.end = TRACE_END_PEER_RST;
        close_handles(c, false);
        return;
    }
    flush(c);
}

static void write_some(struct conn *c, size_t n)
{
    if (n == buf_pending(&c->enc_out)) {
        buf_swap(&c->enc_out, &c->enc_writing);
    } else if (buf_append(&c->enc_writing, buf_head(&c->enc_out), n) == 0) {
        buf_consume(&c->enc_out, n);
    } else {
        finish(c, "out of memory", TRACE_END_RST);
        return;
    }
    if (c->out_allowed != SIZE_MAX)
        c->out_allowed -= n;
    uv_buf_t b = uv_buf_init((char *)buf_head(&c->enc_writing), (unsigned)n);
    c->trace.bytes_out += n;
    c->write_req.data = c;
    int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1,
                      on_write_done);
    if (rc != 0) {
        /* As in on_write_done: the socket is gone (EPIPE, ECONNRESET). */
        set_reason(c, "write failed");
        snprintf(c->trace.detail, sizeof(c->trace.detail), "%s",
                 uv_strerror(rc));
        c->trace.end = TRACE_END_PEER_RST;
        close_handles(c, false);
        return;
    }
    c->writing = true;
}

static void on_drip(uv_timer_t *t);

/* What is queued (the server's first flight, a greeting) is held back
 * by the fault: dripped, or cut after some bytes and then the action. */
static void hold_output(struct conn *c, const struct scenario_fault *f,
                        const char *at, const char *why)
{
    size_t flight = buf_pending(&c->enc_out);
    c->trace.fault_fired = true;
    trace_action(tr(c), at, &f->action, f, why);
    if (f->action.kind == SCENARIO_DRIP) {
        c->out_allowed = 0;
        c->drip_left = flight;
        c->fault_until_ms = uv_now(c->pool->loop) + fault_bound_ms(c, f);
        uv_timer_stop(&c->timer); /* the drip's own bound replaces it */
        uv_timer_start(&c->fault_timer, on_drip, (uint64_t)f->interval_ms,
                       (uint64_t)f->interval_ms);
        return;
    }
    c->out_allowed = fault_flight_limit(f, flight);
    c->then_do = f->action.kind;
}

/* The server's first flight is ready: trace it and arm a flight fault. */
static void flight_ready(struct conn *c)
{
    const struct scenario_fault *f = &scenario_of(c)->fault;
    c->flight_seen = true;
    const WOLFSSL_CTX *ctx = c->ssl != NULL ? wolfSSL_get_SSL_CTX(c->ssl)
                                            : NULL;
    const char *chain = c->entry->chain;
    if (ctx != NULL && ctx == c->entry->sni_ctx)
        chain = c->entry->sni_chain;
    else if (ctx != NULL && ctx == c->entry->resumed_ctx)
        chain = c->entry->resumed_chain;
    trace_flight(tr(c), buf_pending(&c->enc_out), chain);
    if (f->at == SCENARIO_AT_SERVER_FLIGHT)
        hold_output(c, f, "server_flight",
                    "fault at the server's first flight");
}

static void flush(struct conn *c)
{
    if (c->state == CONN_CLOSED || c->state == CONN_LINGER)
        return;
    if (!c->flight_seen && c->state == CONN_HANDSHAKE &&
        buf_pending(&c->enc_out) > 0)
        flight_ready(c);
    size_t n = buf_pending(&c->enc_out);
    if (n > c->out_allowed)
        n = c->out_allowed;
    if (!c->writing && n > 0)
        write_some(c, n);
    if (c->state == CONN_CLOSED)
        return;
    if (!c->writing && c->out_allowed == 0 &&
        c->then_do != SCENARIO_SERVE) {
        enum scenario_action_kind kind = c->then_do;
        c->then_do = SCENARIO_SERVE;
        fire_then(c, kind);
        return;
    }
    after_flush(c);
}

/* One byte of the flight per tick, until it is all out or time is up. */
static void on_drip(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (uv_now(c->pool->loop) >= c->fault_until_ms) {
        buf_reset(&c->enc_out);
        c->out_allowed = SIZE_MAX;
        finish(c, "the drip reached its time limit", TRACE_END_FIN);
        return;
    }
    if (c->writing || c->state >= CONN_CLOSING)
        return;
    c->out_allowed = 1;
    c->drip_left--;
    flush(c);
    if (c->drip_left == 0 && c->state < CONN_CLOSING) {
        uv_timer_stop(&c->fault_timer);
        c->out_allowed = SIZE_MAX;
        uv_timer_start(&c->timer, on_timer,
                       c->pool->limits.handshake_timeout_ms, 0);
    }
}

/* ---- actions ---------------------------------------------------------- */

/* What the SNI policy or a fault at accept / client_hello does. Returns
 * true when the connection goes on to a handshake with ctx. */
static bool apply_action(struct conn *c, const struct scenario_action *a,
                         WOLFSSL_CTX *ctx)
{
    uint16_t v = 0x0303;
    if (a->kind != SCENARIO_SERVE)
        c->trace.fault_fired = true;
    switch (a->kind) {
    case SCENARIO_SERVE:
        c->io.record_size = scenario_of(c)->handshake_record_size;
        c->io.record_messages = scenario_of(c)->record_messages;
        c->ssl = tlsio_new(ctx, &c->io);
        if (c->ssl == NULL || tlsio_use_alpn(c->ssl, scenario_of(c)) != 0) {
            finish(c, "out of memory", TRACE_END_RST);
            return false;
        }
        /* Checked when the scenario loaded; a key changed since (by SNI)
         * can still refuse it. */
        if (tlsio_sign_with(c->ssl, scenario_of(c)) != 0) {
            finish(c, "[tls] sign_with does not suit this key", TRACE_END_RST);
            return false;
        }
        c->state = CONN_HANDSHAKE;
        return true;
    case SCENARIO_ALERT:
        if (c->hello_ok && c->hello.legacy_version < v)
            v = c->hello.legacy_version;
        c->alert_sent = a->alert;
        fault_payload(a, v, &c->enc_out);
        finish(c, "sent a fatal alert instead of a ServerHello",
               TRACE_END_FIN);
        return false;
    case SCENARIO_PLAINTEXT:
        fault_payload(a, v, &c->enc_out);
        finish(c, "answered in plain HTTP", TRACE_END_FIN);
        return false;
    case SCENARIO_GARBAGE:
        fault_payload(a, v, &c->enc_out);
        finish(c, "answered with bytes that are not TLS", TRACE_END_FIN);
        return false;
    case SCENARIO_RESET:
        finish(c, "reset the connection", TRACE_END_RST);
        return false;
    case SCENARIO_CLOSE:
        finish(c, "closed the connection", TRACE_END_FIN);
        return false;
    case SCENARIO_STALL:
        set_reason(c, "stalled");
        start_stall(c);
        return false;
    default: /* the loader allows nothing else here */
        finish(c, "unexpected action", TRACE_END_RST);
        return false;
    }
}

/* ---- states ----------------------------------------------------------- */

/* The plaintext dialogue before TLS: its replies go out as they are;
 * once it hands over, what is left of the input is the ClientHello. */
static bool step_preamble(struct conn *c)
{
    const char *why = NULL;
    const struct scenario *s = scenario_of(c);
    bool first = !c->greeted;
    enum preamble_result r = c->preamble->input(
        c->preamble_state, &c->dialogue, &c->enc_in, &c->enc_out, &why);
    c->greeted = true;
    if (first && s->fault.at == SCENARIO_AT_GREETING &&
        buf_pending(&c->enc_out) > 0)
        hold_output(c, &s->fault, "greeting", "fault at the greeting");
    if (first && r == PREAMBLE_MORE &&
        s->starttls == SCENARIO_STARTTLS_EARLY) {
        /* What the client says next is taken for its ClientHello. */
        dialogue_at(&c->dialogue, "TLS before STARTTLS");
        r = PREAMBLE_TLS;
    }
    flush(c);
    switch (r) {
    case PREAMBLE_TLS:
        if (c->plain) {
            /* From here on, a TLS connection of the scenario's. */
            trace_upgrade(tr(c));
            c->trace.dialogue = NULL;
            c->trace.protocol = NULL;
        }
        c->state = CONN_PEEK;
        c->dialogue.injected = c->dialogue.inject != NULL && !first;
        record_scan_feed(&c->scan, buf_head(&c->enc_in),
                         buf_pending(&c->enc_in));
        return true;
    case PREAMBLE_CLOSE:
        finish(c, why ? why : "the plaintext dialogue ended", TRACE_END_FIN);
        return false;
    case PREAMBLE_MORE:
        if (c->peer_eof)
            finish(c, "client closed during the plaintext dialogue",
                   TRACE_END_PEER_FIN);
        return false;
    }
    return false;
}

/* SNI policy first (registered names get the SNI identity, others
 * on_unknown, no SNI on_missing), then the ALPN policy, then a
 * client_hello fault. */
static bool step_peek(struct conn *c)
{
    const char *why = NULL;
    const struct scenario *s = scenario_of(c);
    /* Re-parse only once the declared message can be complete: a hello
     * sent a byte at a time would otherwise cost quadratic time. */
    if (!c->peer_eof && buf_pending(&c->enc_in) < c->peek_need)
        return false;
    enum hello_status st = hello_parse(buf_head(&c->enc_in),
                                       buf_pending(&c->enc_in), &c->hello,
                                       &why);
    size_t limit = c->pool->limits.max_client_hello;
    if (c->hello.length > limit) { /* set even when too long to parse */
        snprintf(c->trace.detail, sizeof(c->trace.detail),
                 "ClientHello of %zu bytes, limit %zu", c->hello.length,
                 limit);
        finish(c, "ClientHello exceeds the --max-client-hello limit",
               TRACE_END_RST);
        return false;
    }
    if (st == HELLO_NEED_MORE) {
        if (c->hello.length > 0)
            c->peek_need = RECORD_HEADER_BYTES + 4 + c->hello.length;
        if (c->peer_eof)
            finish(c, "client closed before its ClientHello was complete",
                   TRACE_END_PEER_FIN);
        else if (buf_pending(&c->enc_in) > PEEK_LIMIT)
            finish(c, "ClientHello too large", TRACE_END_RST);
        return false;
    }
    WOLFSSL_CTX *ctx = c->entry->ctx;
    if (st == HELLO_ERROR) {
        /* Let wolfSSL answer as a TLS server would. */
        snprintf(c->trace.detail, sizeof(c->trace.detail),
                 "ClientHello not understood (%s)", why);
        trace_hello_error(tr(c), why);
    } else {
        c->hello_ok = true;
        trace_hello(tr(c), &c->hello);
        char reason[sizeof(c->trace.detail)];
        bool registered;
        const struct scenario_action *a = scenario_sni_policy(
            s, c->hello.has_sni ? c->hello.sni : NULL, &registered, reason,
            sizeof(reason));
        if (registered && c->entry->sni_ctx != NULL)
            ctx = c->entry->sni_ctx;
        const char *how;
        if (hello_offers_resumption(&c->hello, &how)) {
            if (c->entry->resumed_ctx != NULL)
                ctx = c->entry->resumed_ctx;
            if (a == NULL && s->on_resumption.kind != SCENARIO_SERVE) {
                a = &s->on_resumption;
                snprintf(reason, sizeof(reason),
                         "the client offers to resume a session (%s)", how);
            }
        }
        if (a == NULL)
            a = scenario_alpn_policy(s, c->hello.alpn, c->hello.n_alpn,
                                     reason, sizeof(reason));
        if (a != NULL) {
            snprintf(c->trace.detail, sizeof(c->trace.detail), "%s", reason);
            trace_action(tr(c), "client_hello", a, &s->fault, reason);
            return apply_action(c, a, ctx);
        }
    }
    if (s->fault.at == SCENARIO_AT_CLIENT_HELLO) {
        trace_action(tr(c), "client_hello", &s->fault.action, &s->fault,
                     "fault after the ClientHello");
        return apply_action(c, &s->fault.action, ctx);
    }
    struct scenario_action serve = {SCENARIO_SERVE, 0};
    return apply_action(c, &serve, ctx);
}

static bool step_handshake(struct conn *c)
{
    const struct scenario_fault *f = &scenario_of(c)->fault;
    int ret = wolfSSL_accept(c->ssl);
    if (ret == WOLFSSL_SUCCESS) {
        c->trace.handshake_done = true;
        trace_handshake_done(c);
        if (f->at == SCENARIO_AT_HANDSHAKE_DONE) {
            c->trace.fault_fired = true;
            trace_action(tr(c), "handshake_done", &f->action, f,
                         "fault after the handshake");
            if (f->action.kind == SCENARIO_STALL) {
                set_reason(c, "stalled after the handshake");
                start_stall(c);
            } else {
                finish(c, "ended right after the handshake",
                       f->action.kind == SCENARIO_RESET ? TRACE_END_RST
                                                        : TRACE_END_FIN);
            }
            return false;
        }
        c->state = CONN_REQUEST;
        uv_timer_start(&c->timer, on_timer, c->pool->limits.idle_timeout_ms,
                       0);
        return true;
    }
    int err = wolfSSL_get_error(c->ssl, ret);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
        return false;
    size_t used = strlen(c->trace.detail);
    if (used > 0 && used + 2 < sizeof(c->trace.detail)) {
        strcat(c->trace.detail, "; ");
        used += 2;
    }
    if (c->scan.alert >= 0) {
        char name[48];
        alert_describe(c->scan.alert, name, sizeof(name));
        snprintf(c->trace.detail + used, sizeof(c->trace.detail) - used,
                 "the client sent alert %s", name);
    } else {
        tlsio_error_string(err, c->trace.detail + used, sizeof(c->trace.detail) - used);
    }
    trace_handshake_failed(tr(c));
    finish(c,
           c->peer_eof ? "client closed during the handshake"
                       : "handshake failed",
           c->peer_eof ? TRACE_END_PEER_FIN : TRACE_END_FIN);
    return false;
}

/* Answers c->request (NULL: one that could not be read) with status,
 * unless the scenario refuses a request without a certificate; a
 * request it serves gets [http]'s answer, when it has one. */
static void respond(struct conn *c, const struct app_request *req,
                    int status)
{
    char subject[256];
    const struct scenario *s = scenario_of(c);
    const struct scenario_fault *f = &s->fault;
    struct app_page page = {
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
        page.note = c->entry->protocol == PROTOCOL_HTTPS
                        ? "no client certificate was presented, so this "
                          "request is refused (IIS answers 403.7 here)"
                        : "no client certificate was presented, so this "
                          "request is refused";
    }
    bool served = status == 200;
    struct buf headers, body;
    buf_init(&headers);
    buf_init(&body);
    if (served && c->entry->protocol == PROTOCOL_HTTPS && req != NULL &&
        !req->grpc) {
        /* plain_port, not plain_listening: set before the entry reached
         * this loop and never changed after, while the primary loop
         * clears plain_listening when it closes the socket. */
        if (http_answer(s, c->entry->port, c->entry->plain_port, &headers,
                        &body) != 0 ||
            buf_append(&headers, "", 1) != 0) {
            buf_free(&headers);
            buf_free(&body);
            finish(c, "out of memory", TRACE_END_RST);
            return;
        }
        page.headers = (const char *)buf_head(&headers);
        if (s->http_body.file[0]) {
            page.body = (const char *)buf_head(&body);
            page.body_len = buf_pending(&body);
            page.content_type = s->http_content_type;
        }
        if (s->http_status != 0)
            status = s->http_status;
    }
    bool faulty = f->at == SCENARIO_AT_RESPONSE;
    page.no_length = faulty && f->action.kind == SCENARIO_TRUNCATE;
    c->trace.http_status = status;
    if (req != NULL)
        trace_request(tr(c), req);
    int rc = c->app->respond(c->app_state, status, &page, &c->clear_out);
    buf_free(&headers);
    buf_free(&body);
    if (rc >= 0 && buf_pending(&c->clear_out) > 0)
        tlsio_write(c->ssl, buf_head(&c->clear_out),
                    buf_pending(&c->clear_out),
                    scenario_of(c)->app_record_size);
    buf_reset(&c->clear_out);
    if (rc == 1 && !faulty) {
        /* The dialogue goes on: what the layer holds is read next. */
        c->answered = c->app_buffered = true;
        return;
    }
    buf_free(&c->clear_out);
    if (!faulty) {
        wolfSSL_shutdown(c->ssl); /* queues close_notify */
        bool http = c->entry->protocol == PROTOCOL_HTTPS;
        finish(c, served ? (http ? "handshake completed, page served"
                                 : "handshake completed, request "
                                   "answered")
                  : status == 400 ? (http ? "handshake completed, bad HTTP "
                                            "request"
                                          : "handshake completed, the client "
                                            "broke the dialogue's rules")
                                  : "handshake completed, request refused",
               TRACE_END_FIN);
        return;
    }
    c->trace.fault_fired = true;
    trace_action(tr(c), "response", &f->action, f, "fault in the response");
    if (f->action.kind == SCENARIO_RESET) {
        /* The response goes out, then the RST. */
        c->out_allowed = buf_pending(&c->enc_out);
        c->then_do = SCENARIO_RESET;
        flush(c);
        return;
    }
    finish(c, "response sent without close_notify", TRACE_END_FIN);
}

/* Hands clear text to wolfSSL (which queues its records in enc_out),
 * and empties b. Returns false when the client does not read what it is
 * sent, or wolfSSL refuses. */
static bool send_clear(struct conn *c, struct buf *b)
{
    size_t n = buf_pending(b);
    int wrote = n > 0 ? tlsio_write(c->ssl, buf_head(b), n,
                                    scenario_of(c)->app_record_size)
                      : 0;
    buf_reset(b);
    if (n > 0 && wrote <= 0) {
        tlsio_error_string(wolfSSL_get_error(c->ssl, wrote), c->trace.detail,
                           sizeof(c->trace.detail));
        finish(c, "TLS error after the handshake", TRACE_END_FIN);
        return false;
    }
    if (buf_pending(&c->enc_out) > APP_OUT_LIMIT) {
        finish(c, "client does not read what it is sent", TRACE_END_RST);
        return false;
    }
    return true;
}

/* The application layer for the protocol ALPN selected; with none, the
 * scenario's HTTP/1.1 if it speaks it (or ignores ALPN), else its first
 * protocol. NULL: a protocol shakedown has no layer for. */
static const struct app_ops *app_for(const struct entry *e,
                                     const char *alpn)
{
    static const struct app_ops *const apps[] = {&http_app, &http2_app};
    const struct scenario *s = e->scenario;
    if (layers_app(e->protocol) != NULL)
        return layers_app(e->protocol);
    if (alpn == NULL && (s->n_alpn == 0 || scenario_alpn_speaks(s, "http/1.1")))
        return &http_app;
    if (alpn == NULL)
        alpn = s->alpn[0];
    for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
        if (strcmp(apps[i]->name, alpn) == 0)
            return apps[i];
    return NULL;
}

/* The application layer's state, made when the first clear text is due,
 * and what it says first. */
static bool start_app(struct conn *c)
{
    char alpn[SCENARIO_ALPN_MAX];
    if (c->app_state != NULL)
        return true;
    bool selected = tlsio_alpn(c->ssl, alpn, sizeof(alpn));
    c->app = app_for(c->entry, selected ? alpn : NULL);
    if (c->app == NULL) {
        snprintf(c->trace.detail, sizeof(c->trace.detail),
                 "ALPN selected %s, which shakedown has no application "
                 "layer for", alpn);
        wolfSSL_shutdown(c->ssl);
        finish(c, "closed after the handshake: no application layer for "
                  "the protocol", TRACE_END_FIN);
        return false;
    }
    c->app_state = calloc(1, c->app->size);
    if (c->app_state == NULL) {
        finish(c, "out of memory", TRACE_END_RST);
        return false;
    }
    /* What the layer says first waits for what the client has sent. */
    if (c->app->open != NULL &&
        c->app->open(c->app_state, &c->dialogue, &c->clear_out)) {
        finish(c, "out of memory", TRACE_END_RST);
        return false;
    }
    return true;
}

/* Hands every decrypted byte to the application layer until it has a
 * request (or refuses what it got), or wolfSSL needs more input. */
static enum app_result read_request(struct conn *c)
{
    uint8_t chunk[4096];
    if (c->app_buffered) {
        c->app_buffered = false;
        enum app_result r = c->app->input(c->app_state, NULL, 0, &c->request,
                                          &c->clear_out);
        if (r != APP_MORE)
            return r;
    }
    for (;;) {
        int n = wolfSSL_read(c->ssl, chunk, sizeof(chunk));
        if (n > 0 && c->entry->protocol != PROTOCOL_HTTPS)
            /* A dialogue is bounded per command, not as a whole. */
            uv_timer_start(&c->timer, on_timer,
                           c->pool->limits.idle_timeout_ms, 0);
        if (n > 0) {
            enum app_result r = c->app->input(c->app_state, chunk, (size_t)n,
                                              &c->request, &c->clear_out);
            if (r != APP_MORE)
                return r; /* the answer goes out with what is held */
            if (buf_pending(&c->clear_out) > APP_OUT_LIMIT &&
                !send_clear(c, &c->clear_out))
                return APP_ERROR;
            continue;
        }
        int err = wolfSSL_get_error(c->ssl, n);
        if (err == WOLFSSL_ERROR_WANT_READ)
            return send_clear(c, &c->clear_out) ? APP_MORE : APP_ERROR;
        if (err == WOLFSSL_ERROR_ZERO_RETURN) {
            finish(c, c->answered ? "client sent close_notify before the "
                                    "dialogue's end"
                                  : "client sent close_notify without a "
                                    "request",
                   TRACE_END_PEER_FIN);
            return APP_ERROR;
        }
        tlsio_error_string(err, c->trace.detail, sizeof(c->trace.detail));
        finish(c,
               c->peer_eof ? "client closed without a request"
                           : "TLS error after the handshake",
               c->peer_eof ? TRACE_END_PEER_FIN : TRACE_END_FIN);
        return APP_ERROR;
    }
}

static bool step_request(struct conn *c)
{
    if (!start_app(c))
        return false;
    switch (read_request(c)) {
    case APP_MORE:
        if (c->peer_eof)
            finish(c, c->answered ? "client closed before the dialogue's end"
                                  : "client closed in the middle of its "
                                    "request",
                   TRACE_END_PEER_FIN);
        return false;
    case APP_BAD:
        respond(c, NULL, 400);
        return false;
    case APP_DONE:
        c->dialogue.completed = true;
        if (send_clear(c, &c->clear_out)) {
            wolfSSL_shutdown(c->ssl);
            finish(c, "handshake completed, the client ended the dialogue",
                   TRACE_END_FIN);
        }
        return false;
    case APP_REQUEST:
        if (scenario_of(c)->client_auth == SCENARIO_CLIENT_AUTH_RENEGOTIATE) {
            c->state = CONN_RENEGOTIATE;
            return true;
        }
        respond(c, &c->request, 200);
        return c->state == CONN_REQUEST; /* a dialogue goes on */
    case APP_ERROR: /* a no-op when read_request has ended it already */
        finish(c, "out of memory", TRACE_END_RST);
        return false;
    }
    return false;
}

/* The request is in; now demand a certificate through a new handshake. */
static bool step_renegotiate(struct conn *c)
{
    int r = tlsio_renegotiate(c->ssl, !c->renegotiating);
    if (!c->renegotiating) {
        trace_renegotiate(tr(c));
    }
    c->renegotiating = true;
    if (r == 0) {
        if (c->peer_eof)
            finish(c, "client closed during the renegotiation",
                   TRACE_END_PEER_FIN);
        return false;
    }
    if (r < 0) {
        tlsio_error_string(r, c->trace.detail, sizeof(c->trace.detail));
        finish(c, "renegotiation for a client certificate failed",
               TRACE_END_FIN);
        return false;
    }
    respond(c, &c->request, 200);
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
        case CONN_PREAMBLE: again = step_preamble(c); break;
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

/* One read buffer per loop (so per thread): libuv calls on_read right
 * after on_alloc, and the bytes are copied into the connection's buffer
 * at their real size, so an idle connection holds no 16 KB read area. */
static _Thread_local uint8_t read_area[READ_CHUNK];

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    (void)h;
    (void)hint;
    *out = uv_buf_init((char *)read_area, sizeof(read_area));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct conn *c = stream->data;
    if (nread > 0) {
        c->trace.bytes_in += (uint64_t)nread;
        /* The scanner reads TLS records: a dialogue's plaintext is not,
         * and what is left of it once TLS begins is fed there. */
        if (c->state != CONN_PREAMBLE)
            record_scan_feed(&c->scan, (const uint8_t *)b->base,
                             (size_t)nread);
        if (c->state >= CONN_STALL)
            return; /* stalling or closing: discard */
        if (buf_append(&c->enc_in, b->base, (size_t)nread) != 0) {
            finish(c, "out of memory", TRACE_END_RST);
            return;
        }
        pump(c);
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_EOF) {
        c->peer_eof = true;
        c->io.eof = true;
        uv_read_stop(stream);
        if (c->state == CONN_LINGER) {
            close_handles(c, false);
        } else if (c->state == CONN_STALL) {
            c->trace.end = TRACE_END_PEER_FIN;
            finish(c, "client gave up during the stall", TRACE_END_PEER_FIN);
        } else if (c->state < CONN_CLOSING) {
            pump(c);
        }
        return;
    }
    if (c->trace.detail[0] == '\0')
        snprintf(c->trace.detail, sizeof(c->trace.detail), "%s",
                 uv_strerror((int)nread));
    if (c->state >= CONN_CLOSING) {
        /* Flushing or lingering for a peer that is gone: nothing more
         * can reach it, so the linger's timer need not run out. */
        close_handles(c, false);
        return;
    }
    finish(c, "client reset the connection", TRACE_END_PEER_RST);
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
    snprintf(c->trace.peer, sizeof(c->trace.peer), "%s:%d", host, port);
}

/* ---- the pool --------------------------------------------------------- */

void conn_pool_init(struct conn_pool *p, uv_loop_t *loop,
                    const struct conn_limits *limits, size_t *open_total,
                    int index, int n_pools)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    p->limits = *limits;
    p->open_total = open_total != NULL ? open_total : &p->open_store;
    p->index = index;
    p->n_pools = n_pools > 0 ? n_pools : 1;
}

void conn_pool_abort_all(struct conn_pool *p, const char *reason)
{
    /* conn_abort leaves c listed until its handles have closed. */
    for (struct conn *c = p->conns, *next; c != NULL; c = next) {
        next = c->next;
        conn_abort(c, reason);
    }
}

static void pool_add(struct conn_pool *p, struct conn *c)
{
    /* Ids stay unique across pools: pool i of n takes i+1, i+1+n, ... */
    c->trace.id = p->seq++ * (uint64_t)p->n_pools + (uint64_t)p->index + 1;
    c->prev = NULL;
    c->next = p->conns;
    if (p->conns)
        p->conns->prev = c;
    p->conns = c;
    p->n_conns++;
    __atomic_add_fetch(p->open_total, 1, __ATOMIC_RELAXED);
    entry_ref(c->entry);
}

static void pool_remove(struct conn_pool *p, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (p->conns == c)
        p->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    p->n_conns--;
    __atomic_sub_fetch(p->open_total, 1, __ATOMIC_RELAXED);
    entry_unref(c->entry);
    if (p->n_conns == 0 && p->on_empty != NULL)
        p->on_empty(p->on_empty_arg);
}

void conn_accept(struct conn_pool *p, struct entry *entry,
                 uv_stream_t *listening, bool plain)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        log_info("%s: out of memory accepting a connection",
                 entry->scenario->name);
        return;
    }
    c->pool = p;
    c->entry = entry;
    c->trace.scenario = entry->scenario;
    c->preamble = layers_preamble(entry->protocol);
    c->dialogue.scenario = entry->scenario->name;
    c->dialogue.host = "localhost";
    c->dialogue.strip = entry->scenario->starttls == SCENARIO_STARTTLS_STRIP;
    c->dialogue.refuse = entry->scenario->starttls == SCENARIO_STARTTLS_REFUSE;
    if (entry->scenario->inject)
        c->dialogue.inject = protocol_get(entry->protocol)->inject;
    if (entry->protocol != PROTOCOL_HTTPS) {
        c->trace.protocol = protocol_get(entry->protocol)->name;
        c->trace.dialogue = &c->dialogue;
    }
    c->plain = plain;
    if (plain) {
        c->preamble = &preamble_plain_http;
        c->trace.protocol = preamble_plain_http.name;
        c->trace.dialogue = &c->dialogue;
    }
    if (c->preamble->size > 0 &&
        (c->preamble_state = calloc(1, c->preamble->size)) == NULL) {
        log_info("%s: out of memory accepting a connection",
                 entry->scenario->name);
        free(c);
        return;
    }
    c->alert_sent = -1;
    record_scan_init(&c->scan);
    c->out_allowed = SIZE_MAX;
    c->then_do = SCENARIO_SERVE;
    c->io.in = &c->enc_in;
    c->io.out = &c->enc_out;
    c->started_ms = uv_now(p->loop);
    uv_tcp_init(p->loop, &c->tcp);
    uv_timer_init(p->loop, &c->timer);
    uv_timer_init(p->loop, &c->fault_timer);
    c->tcp.data = c->timer.data = c->fault_timer.data = c;
    c->open_handles = 3;
    pool_add(p, c);
    if (uv_accept(listening, (uv_stream_t *)&c->tcp) != 0) {
        set_reason(c, "accept failed");
        close_handles(c, false);
        return;
    }
    describe_peer(c);
    c->trace.port = plain ? c->entry->plain_port : c->entry->port;
    trace_accepted(tr(c), c->trace.port);
    uv_tcp_nodelay(&c->tcp, 1);
    if (__atomic_load_n(p->open_total, __ATOMIC_RELAXED) >
        p->limits.max_connections) {
        finish(c, "over the connection limit", TRACE_END_RST);
        return;
    }
    uv_timer_start(&c->timer, on_timer, p->limits.handshake_timeout_ms, 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    const struct scenario_fault *f = &entry->scenario->fault;
    if (plain)
        return; /* the client speaks first; the fault waits for TLS */
    if (f->at == SCENARIO_AT_ACCEPT) {
        trace_action(tr(c), "accept", &f->action, f, "fault on accept");
        apply_action(c, &f->action, NULL);
        flush(c);
    } else if (entry->protocol != PROTOCOL_HTTPS) {
        pump(c); /* the server that speaks first greets now */
    }
}
