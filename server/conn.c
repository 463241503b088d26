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
#include "http.h"
#include "log.h"
#include "server.h"

#define READ_CHUNK 16384
#define RECORD_HEADER_BYTES 5
/* More than a ClientHello may span before we stop buffering. */
#define PEEK_LIMIT (HELLO_MAX_BYTES + 8 * 1024)

static void pump(struct conn *c);
static void flush(struct conn *c);
static void on_timer(uv_timer_t *t);

static const struct scenario *scenario_of(const struct conn *c)
{
    return c->entry->scenario;
}

static uint64_t elapsed_ms(const struct conn *c)
{
    return uv_now(c->server->loop) - c->started_ms;
}

/* ---- the trace -------------------------------------------------------- */

static void ev_begin(struct log_ev *ev, const struct conn *c,
                     const char *event)
{
    log_ev_begin(ev, scenario_of(c)->name, c->id, event);
    log_ev_int(ev, "ms", (int64_t)elapsed_ms(c));
}

static void trace_accepted(struct conn *c)
{
    struct log_ev ev;
    ev_begin(&ev, c, "accepted");
    log_ev_str(&ev, "peer", c->peer);
    log_ev_int(&ev, "port", c->entry->port);
    log_ev_msg(&ev, "connection from %s to port %d (%s)", c->peer,
               c->entry->port, scenario_of(c)->title);
    log_ev_end(&ev);
}

/* Appends "a, b, c" (at most max names, then "+N more") to out. */
static void join(char *out, size_t size, const char *const *names, size_t n,
                 size_t total, size_t max)
{
    size_t used = strlen(out);
    for (size_t i = 0; i < n && i < max && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 i ? ", " : "", names[i]);
    if (total > max && used < size)
        snprintf(out + used, size - used, ", +%zu more", total - max);
}

#define HELLO_SHOWN 8

static void trace_hello(struct conn *c)
{
    const struct hello *h = &c->hello;
    char vbuf[HELLO_SHOWN][16], cbuf[HELLO_SHOWN][64], record[16];
    const char *versions[HELLO_SHOWN], *ciphers[HELLO_SHOWN];
    const char *groups[HELLO_SHOWN];
    size_t nv = 0, nc = 0, ng = 0;
    int kept = h->n_ciphers < HELLO_MAX_LIST ? h->n_ciphers : HELLO_MAX_LIST;
    for (int i = 0; i < h->n_versions && i < HELLO_MAX_LIST; i++) {
        if (hello_is_grease(h->versions[i]) || nv == HELLO_SHOWN)
            continue;
        hello_version_name(h->versions[i], vbuf[nv], sizeof(vbuf[nv]));
        versions[nv] = vbuf[nv];
        nv++;
    }
    if (nv == 0) {
        hello_version_name(h->legacy_version, vbuf[0], sizeof(vbuf[0]));
        versions[nv++] = vbuf[0];
    }
    for (int i = 0; i < kept && nc < HELLO_SHOWN; i++) {
        if (hello_is_grease(h->ciphers[i]))
            continue;
        tlsio_suite_name(h->ciphers[i], cbuf[nc], sizeof(cbuf[nc]));
        ciphers[nc] = cbuf[nc];
        nc++;
    }
    for (int i = 0; i < h->n_groups && i < HELLO_MAX_LIST; i++) {
        const char *g = hello_group_name(h->groups[i]);
        if (g != NULL && ng < HELLO_SHOWN)
            groups[ng++] = g;
    }
    hello_version_name(h->record_version, record, sizeof(record));

    struct log_ev ev;
    ev_begin(&ev, c, "client_hello");
    log_ev_str(&ev, "sni", h->has_sni ? h->sni : NULL);
    log_ev_strs(&ev, "versions", versions, nv);
    log_ev_str(&ev, "record_version", record);
    log_ev_int(&ev, "cipher_count", h->n_ciphers);
    log_ev_strs(&ev, "ciphers", ciphers, nc);
    log_ev_strs(&ev, "groups", groups, ng);
    log_ev_int(&ev, "sigalg_count", h->n_sigalgs);
    log_ev_str(&ev, "alpn", h->n_alpn ? h->alpn : NULL);
    log_ev_int(&ev, "records", h->n_records);

    char msg[900] = "";
    snprintf(msg, sizeof(msg), "%s%s; offers ",
             h->has_sni ? "SNI " : "no SNI", h->has_sni ? h->sni : "");
    join(msg, sizeof(msg), versions, nv, nv, HELLO_SHOWN);
    size_t used = strlen(msg);
    snprintf(msg + used, sizeof(msg) - used, "; %d cipher suites (",
             h->n_ciphers);
    join(msg, sizeof(msg), ciphers, nc, (size_t)h->n_ciphers, 3);
    used = strlen(msg);
    snprintf(msg + used, sizeof(msg) - used, "); groups ");
    join(msg, sizeof(msg), groups, ng, ng, 4);
    used = strlen(msg);
    if (ng == 0)
        snprintf(msg + used, sizeof(msg) - used, "none");
    used = strlen(msg);
    if (h->n_alpn)
        snprintf(msg + used, sizeof(msg) - used, "; ALPN %s", h->alpn);
    log_ev_msg(&ev, "%s", msg);
    log_ev_end(&ev);
}

static void trace_action(struct conn *c, const char *at,
                         const struct scenario_action *a,
                         const struct scenario_fault *f, const char *why)
{
    char what[160];
    fault_describe(a, f, what, sizeof(what));
    struct log_ev ev;
    ev_begin(&ev, c, "action");
    log_ev_str(&ev, "at", at);
    log_ev_str(&ev, "action", scenario_action_name(a->kind));
    if (a->kind == SCENARIO_ALERT)
        log_ev_int(&ev, "alert", a->alert);
    log_ev_str(&ev, "why", why);
    log_ev_msg(&ev, "%s: %s", why, what);
    log_ev_end(&ev);
}

static void trace_flight(struct conn *c, bool sni_identity)
{
    const char *chain = sni_identity ? c->entry->sni_chain : c->entry->chain;
    struct log_ev ev;
    ev_begin(&ev, c, "server_flight");
    log_ev_int(&ev, "bytes", (int64_t)buf_pending(&c->enc_out));
    log_ev_str(&ev, "chain", chain);
    log_ev_msg(&ev, "ServerHello and certificate chain (%zu bytes): %s",
               buf_pending(&c->enc_out), chain);
    log_ev_end(&ev);
}

static void trace_handshake(struct conn *c, bool ok)
{
    char subject[256];
    struct log_ev ev;
    ev_begin(&ev, c, "handshake");
    log_ev_bool(&ev, "ok", ok);
    if (ok) {
        bool cert = tlsio_peer_subject(c->ssl, subject, sizeof(subject));
        log_ev_str(&ev, "version", tlsio_version(c->ssl));
        log_ev_str(&ev, "cipher", tlsio_cipher(c->ssl));
        log_ev_str(&ev, "client_cert", cert ? subject : NULL);
        log_ev_msg(&ev, "complete: %s with %s; client certificate: %s",
                   tlsio_version(c->ssl), tlsio_cipher(c->ssl),
                   cert ? subject : "none");
    } else {
        log_ev_str(&ev, "error", c->detail);
        log_ev_msg(&ev, "failed: %s", c->detail);
    }
    log_ev_end(&ev);
}

static void trace_request(struct conn *c, const struct http_request *req)
{
    struct log_ev ev;
    ev_begin(&ev, c, "request");
    log_ev_str(&ev, "method", req->method);
    log_ev_str(&ev, "target", req->target);
    log_ev_int(&ev, "status", c->http_status);
    log_ev_msg(&ev, "%s %s -> %d %s", req->method, req->target,
               c->http_status, http_reason(c->http_status));
    log_ev_end(&ev);
}

static void trace_alert(struct conn *c, const char *direction, int code)
{
    char name[48];
    alert_describe(code, name, sizeof(name));
    struct log_ev ev;
    ev_begin(&ev, c, "alert");
    log_ev_str(&ev, "direction", direction);
    log_ev_int(&ev, "code", code);
    log_ev_str(&ev, "name", alert_name(code));
    log_ev_msg(&ev, "%s %s %s", direction, name,
               strcmp(direction, "sent") == 0 ? "to the client"
                                              : "from the client");
    log_ev_end(&ev);
}

static const char *const end_names[] = {"fin", "rst", "peer-fin", "peer-rst",
                                        "timeout-rst"};
static const char *const end_words[] = {
    "FIN from the server", "RST from the server", "FIN from the client",
    "RST from the client", "RST after a server timeout"};

static enum scenario_outcome classify(const struct conn *c, int sent,
                                      int received)
{
    if (c->fault_fired)
        return SCENARIO_OUTCOME_FAULT;
    if (received > 0)
        return SCENARIO_OUTCOME_CLIENT_ALERT;
    if (sent > 0)
        return SCENARIO_OUTCOME_SERVER_ALERT;
    if (c->http_status >= 400)
        return SCENARIO_OUTCOME_HTTP_ERROR;
    if (c->handshake_done)
        return SCENARIO_OUTCOME_COMPLETED;
    if (c->end == CONN_END_TIMEOUT)
        return SCENARIO_OUTCOME_TIMEOUT;
    return SCENARIO_OUTCOME_CLIENT_CLOSED;
}

static void describe_outcome(const struct conn *c, enum scenario_outcome o,
                             int sent, int received, char *out, size_t size)
{
    char name[48];
    switch (o) {
    case SCENARIO_OUTCOME_COMPLETED:
        snprintf(out, size, "the handshake completed%s",
                 c->http_status ? " and the page was served" : "");
        break;
    case SCENARIO_OUTCOME_CLIENT_ALERT:
        alert_describe(received, name, sizeof(name));
        snprintf(out, size, "the client refused with alert %s", name);
        break;
    case SCENARIO_OUTCOME_SERVER_ALERT:
        alert_describe(sent, name, sizeof(name));
        snprintf(out, size, "the server refused with alert %s", name);
        break;
    case SCENARIO_OUTCOME_CLIENT_CLOSED:
        if (c->end == CONN_END_FIN || c->end == CONN_END_RST)
            /* Nothing readable arrived (junk, SSLv2, a hello over the
             * limit): the server gave up, and says why. */
            snprintf(out, size, "the server ended the connection before "
                     "the handshake did (%s)", c->reason ? c->reason : "?");
        else
            snprintf(out, size,
                     "the client hung up before the handshake ended");
        break;
    case SCENARIO_OUTCOME_FAULT:
        snprintf(out, size, "the scenario's own fault acted (%s)",
                 c->reason ? c->reason : "fault");
        break;
    case SCENARIO_OUTCOME_HTTP_ERROR:
        snprintf(out, size, "the handshake completed; the request got %d %s",
                 c->http_status, http_reason(c->http_status));
        break;
    case SCENARIO_OUTCOME_TIMEOUT:
        snprintf(out, size, "a server timeout cut the connection");
        break;
    default:
        snprintf(out, size, "?");
        break;
    }
}

static void trace_verdict(struct conn *c, int sent, int received)
{
    const struct scenario *s = scenario_of(c);
    enum scenario_outcome o = classify(c, sent, received);
    char what[200], shows[200] = "";
    describe_outcome(c, o, sent, received, what, sizeof(what));
    bool expected = (s->outcomes & (1u << o)) != 0;
    for (int i = 0; i < SCENARIO_OUTCOME_COUNT; i++)
        if (s->outcomes & (1u << i))
            snprintf(shows + strlen(shows), sizeof(shows) - strlen(shows),
                     "%s%s", shows[0] ? ", " : "", scenario_outcome_name(i));
    struct log_ev ev;
    ev_begin(&ev, c, "verdict");
    log_ev_str(&ev, "outcome", scenario_outcome_name(o));
    log_ev_str(&ev, "explain", s->explain);
    if (s->outcomes != 0) {
        log_ev_bool(&ev, "expected", expected);
        log_ev_msg(&ev, "%s: %s \"%s\"%s%s%s. %s", what,
                   expected ? "expected for" : "NOT what", s->name,
                   expected ? "" : " exists to show (it shows: ",
                   expected ? "" : shows, expected ? "" : ")", s->explain);
    } else {
        log_ev_msg(&ev, "%s. %s", what, s->explain);
    }
    log_ev_end(&ev);
}

static void trace_close(struct conn *c)
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
        received = c->scan.alert; /* one wolfSSL could not read */
    if (received >= 0)
        trace_alert(c, "received", received);
    if (sent >= 0)
        trace_alert(c, "sent", sent);
    struct log_ev ev;
    ev_begin(&ev, c, "closed");
    log_ev_str(&ev, "close", end_names[c->end]);
    log_ev_str(&ev, "reason", c->reason ? c->reason : "closed");
    log_ev_str(&ev, "detail", c->detail);
    log_ev_int(&ev, "bytes_in", (int64_t)c->bytes_in);
    log_ev_int(&ev, "bytes_out", (int64_t)c->bytes_out);
    log_ev_msg(&ev, "%s after %llu ms (%llu bytes in, %llu out): %s%s%s",
               end_words[c->end], (unsigned long long)elapsed_ms(c),
               (unsigned long long)c->bytes_in,
               (unsigned long long)c->bytes_out,
               c->reason ? c->reason : "closed", c->detail[0] ? ": " : "",
               c->detail);
    log_ev_end(&ev);
    trace_verdict(c, sent, received);
}

/* ---- endings ---------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    trace_close(c);
    if (c->ssl != NULL)
        wolfSSL_free(c->ssl);
    buf_free(&c->enc_in);
    buf_free(&c->enc_out);
    buf_free(&c->enc_writing);
    buf_free(&c->clear_in);
    /* Last: the entry (and its contexts) may go with this connection. */
    server_conn_remove(c->server, c);
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
    if (c->reason == NULL)
        c->reason = reason;
}

/* Ends the connection: RST at once, or flush then FIN. */
static void finish(struct conn *c, const char *reason, enum conn_end end)
{
    set_reason(c, reason);
    if (c->state >= CONN_CLOSING)
        return;
    c->end = end;
    uv_timer_stop(&c->fault_timer);
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

void conn_abort(struct conn *c, const char *reason)
{
    set_reason(c, reason);
    c->end = CONN_END_RST;
    close_handles(c, true);
}

/* A fault's time bound, capped by --max-stall. */
static uint64_t fault_bound_ms(const struct conn *c,
                               const struct scenario_fault *f)
{
    int s = f->duration_s;
    if (c->server->opt.max_stall_s > 0 && s > c->server->opt.max_stall_s)
        s = c->server->opt.max_stall_s;
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
    case CONN_STALL:
        finish(c, "the stall reached its time limit", CONN_END_FIN);
        break;
    case CONN_CLOSING:
        set_reason(c, "client did not read what was sent");
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
    uv_timer_start(&c->timer, on_timer, c->server->opt.linger_ms, 0);
}

/* The bytes a fault let through are out: now its action. */
static void fire_then(struct conn *c, enum scenario_action_kind kind)
{
    c->out_allowed = SIZE_MAX;
    switch (kind) {
    case SCENARIO_RESET:
        finish(c, "reset after part of the server's flight", CONN_END_RST);
        break;
    case SCENARIO_STALL:
        start_stall(c);
        break;
    default: /* SCENARIO_CLOSE */
        buf_reset(&c->enc_out);
        finish(c, "closed after part of the server's flight", CONN_END_FIN);
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
        snprintf(c->detail, sizeof(c->detail), "%s", uv_strerror(status));
        c->end = CONN_END_PEER_RST;
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
        finish(c, "out of memory", CONN_END_RST);
        return;
    }
    if (c->out_allowed != SIZE_MAX)
        c->out_allowed -= n;
    uv_buf_t b = uv_buf_init((char *)buf_head(&c->enc_writing), (unsigned)n);
    c->bytes_out += n;
    c->write_req.data = c;
    int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1,
                      on_write_done);
    if (rc != 0) {
        set_reason(c, "write failed");
        snprintf(c->detail, sizeof(c->detail), "%s", uv_strerror(rc));
        close_handles(c, false);
        return;
    }
    c->writing = true;
}

static void on_drip(uv_timer_t *t);

/* The server's first flight is ready: trace it and arm a flight fault. */
static void flight_ready(struct conn *c)
{
    const struct scenario_fault *f = &scenario_of(c)->fault;
    c->flight_seen = true;
    trace_flight(c, c->ssl != NULL && c->entry->sni_ctx != NULL &&
                        wolfSSL_get_SSL_CTX(c->ssl) == c->entry->sni_ctx);
    if (f->at != SCENARIO_AT_SERVER_FLIGHT)
        return;
    size_t flight = buf_pending(&c->enc_out);
    c->fault_fired = true;
    trace_action(c, "server_flight", &f->action, f,
                 "fault at the server's first flight");
    if (f->action.kind == SCENARIO_DRIP) {
        c->out_allowed = 0;
        c->drip_left = flight;
        c->fault_until_ms = uv_now(c->server->loop) + fault_bound_ms(c, f);
        uv_timer_stop(&c->timer); /* the drip's own bound replaces it */
        uv_timer_start(&c->fault_timer, on_drip, (uint64_t)f->interval_ms,
                       (uint64_t)f->interval_ms);
        return;
    }
    c->out_allowed = fault_flight_limit(f, flight);
    c->then_do = f->action.kind;
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
    if (uv_now(c->server->loop) >= c->fault_until_ms) {
        buf_reset(&c->enc_out);
        c->out_allowed = SIZE_MAX;
        finish(c, "the drip reached its time limit", CONN_END_FIN);
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
                       c->server->opt.handshake_timeout_ms, 0);
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
        c->fault_fired = true;
    switch (a->kind) {
    case SCENARIO_SERVE:
        c->ssl = tlsio_new(ctx, &c->io);
        if (c->ssl == NULL) {
            finish(c, "out of memory", CONN_END_RST);
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
               CONN_END_FIN);
        return false;
    case SCENARIO_PLAINTEXT:
        fault_payload(a, v, &c->enc_out);
        finish(c, "answered in plain HTTP", CONN_END_FIN);
        return false;
    case SCENARIO_GARBAGE:
        fault_payload(a, v, &c->enc_out);
        finish(c, "answered with bytes that are not TLS", CONN_END_FIN);
        return false;
    case SCENARIO_RESET:
        finish(c, "reset the connection", CONN_END_RST);
        return false;
    case SCENARIO_CLOSE:
        finish(c, "closed the connection", CONN_END_FIN);
        return false;
    case SCENARIO_STALL:
        set_reason(c, "stalled");
        start_stall(c);
        return false;
    default: /* the loader allows nothing else here */
        finish(c, "unexpected action", CONN_END_RST);
        return false;
    }
}

/* ---- states ----------------------------------------------------------- */

/* SNI policy first (registered names get the SNI identity, others
 * on_unknown, no SNI on_missing), then a client_hello fault. */
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
    size_t limit = c->server->opt.max_client_hello;
    if (c->hello.length > limit) { /* set even when too long to parse */
        snprintf(c->detail, sizeof(c->detail),
                 "ClientHello of %zu bytes, limit %zu", c->hello.length,
                 limit);
        finish(c, "ClientHello exceeds the --max-client-hello limit",
               CONN_END_RST);
        return false;
    }
    if (st == HELLO_NEED_MORE) {
        if (c->hello.length > 0)
            c->peek_need = RECORD_HEADER_BYTES + 4 + c->hello.length;
        if (c->peer_eof)
            finish(c, "client closed before its ClientHello was complete",
                   CONN_END_PEER_FIN);
        else if (buf_pending(&c->enc_in) > PEEK_LIMIT)
            finish(c, "ClientHello too large", CONN_END_RST);
        return false;
    }
    WOLFSSL_CTX *ctx = c->entry->ctx;
    if (st == HELLO_ERROR) {
        /* Let wolfSSL answer as a TLS server would. */
        snprintf(c->detail, sizeof(c->detail),
                 "ClientHello not understood (%s)", why);
        struct log_ev ev;
        ev_begin(&ev, c, "client_hello");
        log_ev_str(&ev, "error", why);
        log_ev_msg(&ev, "not understood (%s); wolfSSL answers", why);
        log_ev_end(&ev);
    } else {
        c->hello_ok = true;
        trace_hello(c);
        const struct scenario_action *a = NULL;
        char reason[300] = "";
        if (!c->hello.has_sni) {
            a = &s->on_missing;
            snprintf(reason, sizeof(reason), "the ClientHello has no SNI");
        } else if (scenario_sni_registered(s, c->hello.sni)) {
            if (c->entry->sni_ctx != NULL)
                ctx = c->entry->sni_ctx;
        } else if (s->n_sni_names > 0) {
            a = &s->on_unknown;
            snprintf(reason, sizeof(reason), "SNI \"%.200s\" is not registered",
                     c->hello.sni);
        }
        if (a != NULL && a->kind != SCENARIO_SERVE) {
            snprintf(c->detail, sizeof(c->detail), "%s", reason);
            trace_action(c, "client_hello", a, &s->fault, reason);
            return apply_action(c, a, ctx);
        }
    }
    if (s->fault.at == SCENARIO_AT_CLIENT_HELLO) {
        trace_action(c, "client_hello", &s->fault.action, &s->fault,
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
        c->handshake_done = true;
        trace_handshake(c, true);
        if (f->at == SCENARIO_AT_HANDSHAKE_DONE) {
            c->fault_fired = true;
            trace_action(c, "handshake_done", &f->action, f,
                         "fault after the handshake");
            if (f->action.kind == SCENARIO_STALL) {
                set_reason(c, "stalled after the handshake");
                start_stall(c);
            } else {
                finish(c, "ended right after the handshake",
                       f->action.kind == SCENARIO_RESET ? CONN_END_RST
                                                        : CONN_END_FIN);
            }
            return false;
        }
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
    if (c->scan.alert >= 0) {
        char name[48];
        alert_describe(c->scan.alert, name, sizeof(name));
        snprintf(c->detail + used, sizeof(c->detail) - used,
                 "the client sent alert %s", name);
    } else {
        tlsio_error_string(err, c->detail + used, sizeof(c->detail) - used);
    }
    trace_handshake(c, false);
    finish(c,
           c->peer_eof ? "client closed during the handshake"
                       : "handshake failed",
           c->peer_eof ? CONN_END_PEER_FIN : CONN_END_FIN);
    return false;
}

static void respond(struct conn *c, const struct http_request *req,
                    int status)
{
    char subject[256];
    const struct scenario *s = scenario_of(c);
    const struct scenario_fault *f = &s->fault;
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
        page.note = "no client certificate was presented, so this request "
                    "is refused (IIS answers 403.7 here)";
    }
    bool faulty = f->at == SCENARIO_AT_RESPONSE;
    page.no_length = faulty && f->action.kind == SCENARIO_TRUNCATE;
    c->http_status = status;
    if (req != NULL)
        trace_request(c, req);
    struct buf resp;
    buf_init(&resp);
    if (http_respond(&resp, status, http_reason(status), &page) == 0)
        wolfSSL_write(c->ssl, buf_head(&resp), (int)buf_pending(&resp));
    buf_free(&resp);
    if (!faulty) {
        wolfSSL_shutdown(c->ssl); /* queues close_notify */
        finish(c, status == 200   ? "handshake completed, page served"
                  : status == 400 ? "handshake completed, bad HTTP request"
                                  : "handshake completed, request refused",
               CONN_END_FIN);
        return;
    }
    c->fault_fired = true;
    trace_action(c, "response", &f->action, f, "fault in the response");
    if (f->action.kind == SCENARIO_RESET) {
        /* The response goes out, then the RST. */
        c->out_allowed = buf_pending(&c->enc_out);
        c->then_do = SCENARIO_RESET;
        flush(c);
        return;
    }
    finish(c, "response sent without close_notify", CONN_END_FIN);
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
        respond(c, NULL, 400);
        return false;
    case HTTP_COMPLETE:
        if (scenario_of(c)->client_auth == SCENARIO_CLIENT_AUTH_RENEGOTIATE) {
            c->state = CONN_RENEGOTIATE;
            return true;
        }
        respond(c, &req, 200);
        return false;
    }
    return false;
}

/* The request is in; now demand a certificate through a new handshake. */
static bool step_renegotiate(struct conn *c)
{
    int r = tlsio_renegotiate(c->ssl, !c->renegotiating);
    if (!c->renegotiating) {
        struct log_ev ev;
        ev_begin(&ev, c, "renegotiate");
        log_ev_msg(&ev, "request received; HelloRequest sent to demand a "
                        "client certificate in a second handshake");
        log_ev_end(&ev);
    }
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
    struct http_request req = {"GET", "/", 0};
    http_parse(buf_head(&c->clear_in), buf_pending(&c->clear_in), &req);
    respond(c, &req, 200);
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
        c->bytes_in += (uint64_t)nread;
        record_scan_feed(&c->scan, (const uint8_t *)b->base, (size_t)nread);
        if (c->state >= CONN_STALL)
            return; /* stalling or closing: discard */
        if (buf_append(&c->enc_in, b->base, (size_t)nread) != 0) {
            finish(c, "out of memory", CONN_END_RST);
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
            c->end = CONN_END_PEER_FIN;
            finish(c, "client gave up during the stall", CONN_END_PEER_FIN);
        } else if (c->state < CONN_CLOSING) {
            pump(c);
        }
        return;
    }
    if (c->detail[0] == '\0')
        snprintf(c->detail, sizeof(c->detail), "%s",
                 uv_strerror((int)nread));
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
    c->alert_sent = -1;
    record_scan_init(&c->scan);
    c->out_allowed = SIZE_MAX;
    c->then_do = SCENARIO_SERVE;
    c->io.in = &c->enc_in;
    c->io.out = &c->enc_out;
    c->started_ms = uv_now(srv->loop);
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    uv_timer_init(srv->loop, &c->fault_timer);
    c->tcp.data = c->timer.data = c->fault_timer.data = c;
    c->open_handles = 3;
    server_conn_add(srv, c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        set_reason(c, "accept failed");
        close_handles(c, false);
        return;
    }
    describe_peer(c);
    trace_accepted(c);
    uv_tcp_nodelay(&c->tcp, 1);
    if (__atomic_load_n(srv->open_total, __ATOMIC_RELAXED) >
        srv->opt.max_connections) {
        finish(c, "over the connection limit", CONN_END_RST);
        return;
    }
    uv_timer_start(&c->timer, on_timer, srv->opt.handshake_timeout_ms, 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    const struct scenario_fault *f = &entry->scenario->fault;
    if (f->at == SCENARIO_AT_ACCEPT) {
        trace_action(c, "accept", &f->action, f, "fault on accept");
        apply_action(c, &f->action, NULL);
        flush(c);
    }
}
