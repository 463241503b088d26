/*
 * The trace's events and the verdict, written through log from what a
 * connection recorded in its struct trace.
 */
#include "trace.h"

#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "fault.h"
#include "grpc.h"
#include "http.h"
#include "log.h"
#include "tlsio.h"

static const struct trace_observer *observer;

void trace_set_observer(const struct trace_observer *o)
{
    observer = o;
}

static void ev_begin(struct log_ev *ev, const struct trace *t,
                     const char *event)
{
    log_ev_begin(ev, t->scenario->name, t->id, event);
    log_ev_int(ev, "ms", (int64_t)t->ms);
}

void trace_accepted(const struct trace *t, int port)
{
    struct log_ev ev;
    ev_begin(&ev, t, "accepted");
    log_ev_str(&ev, "peer", t->peer);
    log_ev_int(&ev, "port", port);
    if (t->protocol != NULL)
        log_ev_str(&ev, "protocol", t->protocol);
    log_ev_msg(&ev, "connection from %s to port %d (%s%s%s)", t->peer, port,
               t->scenario->title, t->protocol ? ", over " : "",
               t->protocol ? t->protocol : "");
    log_ev_end(&ev);
    if (observer != NULL && observer->accepted != NULL)
        observer->accepted(observer->arg, t);
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

void trace_hello(const struct trace *t, const struct hello *h)
{
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
    ev_begin(&ev, t, "client_hello");
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

void trace_hello_error(const struct trace *t, const char *why)
{
    struct log_ev ev;
    ev_begin(&ev, t, "client_hello");
    log_ev_str(&ev, "error", why);
    log_ev_msg(&ev, "not understood (%s); wolfSSL answers", why);
    log_ev_end(&ev);
}

void trace_action(const struct trace *t, const char *at,
                  const struct scenario_action *a,
                  const struct scenario_fault *f, const char *why)
{
    char what[160];
    fault_describe(a, f, what, sizeof(what));
    struct log_ev ev;
    ev_begin(&ev, t, "action");
    log_ev_str(&ev, "at", at);
    log_ev_str(&ev, "action", scenario_action_name(a->kind));
    if (a->kind == SCENARIO_ALERT)
        log_ev_int(&ev, "alert", a->alert);
    log_ev_str(&ev, "why", why);
    log_ev_msg(&ev, "%s: %s", why, what);
    log_ev_end(&ev);
}

void trace_flight(const struct trace *t, size_t bytes, const char *chain)
{
    struct log_ev ev;
    ev_begin(&ev, t, "server_flight");
    log_ev_int(&ev, "bytes", (int64_t)bytes);
    log_ev_str(&ev, "chain", chain);
    log_ev_msg(&ev, "ServerHello and certificate chain (%zu bytes): %s",
               bytes, chain);
    log_ev_end(&ev);
}

void trace_handshake_ok(const struct trace *t, const char *version,
                        const char *cipher, const char *alpn,
                        const char *subject)
{
    struct log_ev ev;
    ev_begin(&ev, t, "handshake");
    log_ev_bool(&ev, "ok", true);
    log_ev_str(&ev, "version", version);
    log_ev_str(&ev, "cipher", cipher);
    log_ev_str(&ev, "alpn", alpn);
    log_ev_str(&ev, "client_cert", subject);
    log_ev_msg(&ev, "complete: %s with %s; ALPN %s; client certificate: %s",
               version, cipher, alpn ? alpn : "none (not selected)",
               subject ? subject : "none");
    log_ev_end(&ev);
}

void trace_handshake_failed(const struct trace *t)
{
    struct log_ev ev;
    ev_begin(&ev, t, "handshake");
    log_ev_bool(&ev, "ok", false);
    log_ev_str(&ev, "error", t->detail);
    log_ev_msg(&ev, "failed: %s", t->detail);
    log_ev_end(&ev);
}

void trace_request(const struct trace *t, const struct app_request *req)
{
    struct log_ev ev;
    ev_begin(&ev, t, "request");
    log_ev_str(&ev, "protocol", req->protocol);
    log_ev_str(&ev, "method", req->method);
    log_ev_str(&ev, "target", req->target);
    log_ev_int(&ev, "status", t->http_status);
    if (req->grpc) {
        enum grpc_code code = grpc_code_for_http(t->http_status);
        log_ev_str(&ev, "grpc_method", req->target);
        log_ev_int(&ev, "grpc_status", (int)code);
        log_ev_msg(&ev, "gRPC %s over %s -> %d %s", req->target,
                   req->protocol ? req->protocol : "?", (int)code,
                   grpc_code_name(code));
    } else {
        log_ev_msg(&ev, "%s %s over %s -> %d %s", req->method, req->target,
                   req->protocol ? req->protocol : "?", t->http_status,
                   http_reason(t->http_status));
    }
    log_ev_end(&ev);
}

static void trace_alert(const struct trace *t, const char *direction,
                        int code)
{
    char name[48];
    alert_describe(code, name, sizeof(name));
    struct log_ev ev;
    ev_begin(&ev, t, "alert");
    log_ev_str(&ev, "direction", direction);
    log_ev_int(&ev, "code", code);
    log_ev_str(&ev, "name", alert_name(code));
    log_ev_msg(&ev, "%s %s %s", direction, name,
               strcmp(direction, "sent") == 0 ? "to the client"
                                              : "from the client");
    log_ev_end(&ev);
}

void trace_upgrade(const struct trace *t)
{
    struct log_ev ev;
    ev_begin(&ev, t, "upgrade");
    log_ev_msg(&ev, "a TLS ClientHello on the plain-HTTP port: the client "
                    "upgraded its http:// URL to https:// (HSTS, "
                    "upgrade-insecure-requests, or a browser's own "
                    "upgrade); the scenario's TLS answers it");
    log_ev_end(&ev);
}

void trace_renegotiate(const struct trace *t)
{
    struct log_ev ev;
    ev_begin(&ev, t, "renegotiate");
    log_ev_msg(&ev, "request received; HelloRequest sent to demand a "
                    "client certificate in a second handshake");
    log_ev_end(&ev);
}

static const char *const end_names[] = {"fin", "rst", "peer-fin", "peer-rst",
                                        "timeout-rst"};
static const char *const end_words[] = {
    "FIN from the server", "RST from the server", "FIN from the client",
    "RST from the client", "RST after a server timeout"};

enum scenario_outcome trace_classify(const struct trace *t, int sent,
                                     int received)
{
    /* Before anything else: it is what a dialogue scenario tests. */
    if (t->dialogue != NULL && t->dialogue->misstep != NULL)
        return SCENARIO_OUTCOME_PLAINTEXT;
    if (t->fault_fired)
        return SCENARIO_OUTCOME_FAULT;
    if (received > 0)
        return SCENARIO_OUTCOME_CLIENT_ALERT;
    if (sent > 0)
        return SCENARIO_OUTCOME_SERVER_ALERT;
    if (t->http_status >= 400)
        return SCENARIO_OUTCOME_HTTP_ERROR;
    if (t->handshake_done)
        return SCENARIO_OUTCOME_COMPLETED;
    if (t->end == TRACE_END_TIMEOUT)
        return SCENARIO_OUTCOME_TIMEOUT;
    return SCENARIO_OUTCOME_CLIENT_CLOSED;
}

void trace_describe(const struct trace *t, enum scenario_outcome o, int sent,
                    int received, char *out, size_t size)
{
    char name[48];
    switch (o) {
    case SCENARIO_OUTCOME_COMPLETED:
        if (t->http_status > 200 && !t->dialogue) /* [http] status */
            snprintf(out, size, "the handshake completed and the request "
                     "was answered %d %s", t->http_status,
                     http_reason(t->http_status));
        else
            snprintf(out, size, "the handshake completed%s",
                     !t->http_status ? ""
                     : t->dialogue   ? " and the dialogue was answered"
                                     : " and the page was served");
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
        if (t->end == TRACE_END_FIN || t->end == TRACE_END_RST)
            /* Nothing readable arrived (junk, SSLv2, a hello over the
             * limit): the server gave up, and says why. */
            snprintf(out, size, "the server ended the connection before "
                     "the handshake did (%s)", t->reason ? t->reason : "?");
        else
            snprintf(out, size,
                     "the client hung up before the handshake ended");
        break;
    case SCENARIO_OUTCOME_FAULT:
        snprintf(out, size, "the scenario's own fault acted (%s)",
                 t->reason ? t->reason : "fault");
        break;
    case SCENARIO_OUTCOME_HTTP_ERROR:
        snprintf(out, size, "the handshake completed; the request got %d %s",
                 t->http_status, http_reason(t->http_status));
        break;
    case SCENARIO_OUTCOME_TIMEOUT:
        snprintf(out, size, "a server timeout cut the connection");
        break;
    case SCENARIO_OUTCOME_PLAINTEXT:
        snprintf(out, size, "%s", t->dialogue && t->dialogue->misstep
                                      ? t->dialogue->misstep
                                      : "the client went on without TLS");
        break;
    default:
        snprintf(out, size, "?");
        break;
    }
}

static void trace_verdict(const struct trace *t, int sent, int received)
{
    const struct scenario *s = t->scenario;
    enum scenario_outcome o = trace_classify(t, sent, received);
    char what[200], shows[200] = "";
    trace_describe(t, o, sent, received, what, sizeof(what));
    bool expected = (s->outcomes & (1u << o)) != 0;
    for (int i = 0; i < SCENARIO_OUTCOME_COUNT; i++)
        if (s->outcomes & (1u << i))
            snprintf(shows + strlen(shows), sizeof(shows) - strlen(shows),
                     "%s%s", shows[0] ? ", " : "", scenario_outcome_name(i));
    struct grade_input in = {o, t->handshake_done, t->http_status != 0,
                             what, false, 0};
    struct grade_result g;
    grade_judge(s, &in, &g);
    struct log_ev ev;
    ev_begin(&ev, t, "verdict");
    log_ev_str(&ev, "outcome", scenario_outcome_name(o));
    log_ev_str(&ev, "explain", s->explain);
    if (g.decided)
        log_ev_bool(&ev, "accepted", g.accepted);
    else
        log_ev_str(&ev, "accepted", NULL); /* only the client can tell */
    log_ev_str(&ev, "grade", grade_name(g.grade));
    log_ev_str(&ev, "grade_why", g.why);
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
    if (observer != NULL && observer->verdict != NULL) {
        struct trace_verdict v = {o, what, &g, sent, received};
        observer->verdict(observer->arg, t, &v);
    }
}

void trace_close(const struct trace *t, int sent, int received)
{
    if (received >= 0)
        trace_alert(t, "received", received);
    if (sent >= 0)
        trace_alert(t, "sent", sent);
    struct log_ev ev;
    const struct dialogue *d = t->dialogue;
    if (d != NULL && d->misstep != NULL) {
        ev_begin(&ev, t, "misstep");
        log_ev_str(&ev, "step", d->step);
        log_ev_msg(&ev, "%s (at %s)", d->misstep, d->step);
        log_ev_end(&ev);
    }
    if (d != NULL && d->injected) {
        /* A client that read the injected line as an answer is a step
         * behind from then on, and rarely gets to its QUIT. */
        ev_begin(&ev, t, "injection");
        log_ev_bool(&ev, "completed", d->completed);
        log_ev_msg(&ev, "a line was injected after the go-ahead to TLS, in "
                        "the same segment; %s",
                   !t->handshake_done
                       ? "the client did not complete TLS after it, as a "
                         "client that refuses data sent with the go-ahead "
                         "does"
                   : d->completed ? "the client went on to end the dialogue "
                                    "in order, so it discarded the line"
                                  : "the client did not end the dialogue in "
                                    "order: it may have read the line as "
                                    "an answer");
        log_ev_end(&ev);
    }
    ev_begin(&ev, t, "closed");
    log_ev_str(&ev, "close", end_names[t->end]);
    log_ev_str(&ev, "reason", t->reason ? t->reason : "closed");
    log_ev_str(&ev, "detail", t->detail);
    if (d != NULL)
        log_ev_str(&ev, "dialogue_step", d->step);
    log_ev_int(&ev, "bytes_in", (int64_t)t->bytes_in);
    log_ev_int(&ev, "bytes_out", (int64_t)t->bytes_out);
    log_ev_msg(&ev, "%s after %llu ms (%llu bytes in, %llu out): %s%s%s%s%s",
               end_words[t->end], (unsigned long long)t->ms,
               (unsigned long long)t->bytes_in,
               (unsigned long long)t->bytes_out,
               t->reason ? t->reason : "closed", t->detail[0] ? ": " : "",
               t->detail, d ? "; the dialogue's last step: " : "",
               d ? (d->step[0] ? d->step : "none") : "");
    log_ev_end(&ev);
    trace_verdict(t, sent, received);
}
