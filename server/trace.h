/*
 * A connection's story in the trace: one event per step (accepted,
 * client_hello, action, server_flight, handshake, request, alert, closed)
 * and the verdict at the end, which classifies how the connection ended
 * against what its scenario exists to show. Plain C over what the
 * connection has recorded: no loop, no socket, no TLS object.
 */
#ifndef SHAKEDOWN_TRACE_H
#define SHAKEDOWN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "dialogue.h"
#include "grade.h"
#include "hello.h"
#include "scenario.h"

/* How the connection ended. */
enum trace_end {
    TRACE_END_FIN,      /* we sent FIN after flushing */
    TRACE_END_RST,      /* we sent RST */
    TRACE_END_PEER_FIN, /* the client closed first */
    TRACE_END_PEER_RST, /* the client reset */
    TRACE_END_TIMEOUT   /* a timer ran out; we sent RST */
};

/* How a connection ended, as its verdict says it. */
struct trace_verdict {
    enum scenario_outcome outcome;
    const char *saw; /* the outcome in words */
    const struct grade_result *grade; /* from the server's side alone */
    int alert_sent, alert_received;   /* -1: none */
};

/* What the trace knows of one connection. The connection fills it in as
 * things happen, and sets ms before each event. */
struct trace {
    const struct scenario *scenario;
    const char *protocol; /* "smtp"; NULL: HTTPS */
    const struct dialogue *dialogue; /* the protocol's; NULL: HTTPS */
    uint64_t id;
    uint64_t ms; /* since the accept, for the next event */
    char peer[64];
    bool fault_fired; /* the scenario's fault or SNI policy acted */
    bool handshake_done;
    int http_status;    /* 0: no response */
    const char *reason; /* why it ended (static text); the first wins */
    char detail[256];
    enum trace_end end;
    uint64_t bytes_in;
    uint64_t bytes_out;
    int port; /* the listener's */
};

/* Whoever else hears of every connection (the runner, the scoreboard):
 * at the accept and with its verdict, on the loop the connection lives
 * on, so with one loop only (the server refuses --workers then). */
struct trace_observer {
    void (*accepted)(void *arg, const struct trace *t);
    void (*verdict)(void *arg, const struct trace *t,
                    const struct trace_verdict *v);
    void *arg;
};
/* NULL: nobody. */
void trace_set_observer(const struct trace_observer *o);

void trace_accepted(const struct trace *t, int port);
void trace_hello(const struct trace *t, const struct hello *h);
/* A ClientHello the parser could not read, and why; wolfSSL answers it. */
void trace_hello_error(const struct trace *t, const char *why);
/* A fault or SNI policy acting at point at, and why. */
void trace_action(const struct trace *t, const char *at,
                  const struct scenario_action *a,
                  const struct scenario_fault *f, const char *why);
void trace_flight(const struct trace *t, size_t bytes, const char *chain);
/* A completed handshake (alpn NULL: no protocol was selected; subject
 * NULL: no client certificate). */
void trace_handshake_ok(const struct trace *t, const char *version,
                        const char *cipher, const char *alpn,
                        const char *subject);
/* A failed one: its error is t->detail. */
void trace_handshake_failed(const struct trace *t);
/* The request answered with t->http_status (over gRPC, the status that
 * stands for). */
void trace_request(const struct trace *t, const struct app_request *req);
/* A ClientHello on the [http] plain_port: the client upgraded an
 * http:// URL to https:// there; TLS goes on as the scenario's. */
void trace_upgrade(const struct trace *t);
/* The request is in; a renegotiation now demands a certificate. */
void trace_renegotiate(const struct trace *t);
/* The alerts (-1: none) either side sent, what the client did wrong in
 * a dialogue, the closed event (with the dialogue's last step) and the
 * verdict: the connection's last lines. */
void trace_close(const struct trace *t, int sent, int received);

/* The verdict's parts, for the trace and its tests: which outcome the
 * connection ended in, and that outcome in words. */
enum scenario_outcome trace_classify(const struct trace *t, int sent,
                                     int received);
void trace_describe(const struct trace *t, enum scenario_outcome o, int sent,
                    int received, char *out, size_t size);

#endif
