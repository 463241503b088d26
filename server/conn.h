/*
 * One client connection: its socket, timers, buffers and TLS object, and
 * the state machine that moves it from the ClientHello to the close,
 * telling its story in the trace as it goes.
 */
#ifndef SHAKEDOWN_CONN_H
#define SHAKEDOWN_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "app.h"
#include "buf.h"
#include "dialogue.h"
#include "hello.h"
#include "preamble.h"
#include "record.h"
#include "scenario.h"
#include "tlsio.h"
#include "trace.h"

struct entry;
struct conn;

/* The bounds every connection of a pool is held to. */
struct conn_limits {
    uint64_t handshake_timeout_ms;
    uint64_t idle_timeout_ms;
    uint64_t linger_ms;
    int max_stall_s;        /* upper bound on any stall or drip; 0: none */
    size_t max_connections; /* open in every pool together */
    size_t max_client_hello; /* bytes of the ClientHello message */
};

/* The connections of one event loop: what a connection needs from
 * around it, and the registry the loop's owner drains and stops through.
 * A connection never reaches further up than its pool. */
struct conn_pool {
    uv_loop_t *loop;
    struct conn_limits limits;
    struct conn *conns; /* every open connection */
    size_t n_conns;
    size_t *open_total; /* open in every pool together (atomic) */
    size_t open_store;  /* where open_total points for a lone pool */
    uint64_t seq;
    int index, n_pools; /* ids: pool i of n takes i+1, i+1+n, ... */
    /* Called when the last open connection has closed (a drain ends). */
    void (*on_empty)(void *arg);
    void *on_empty_arg;
};

enum conn_state {
    CONN_PREAMBLE,    /* a plaintext dialogue before TLS (STARTTLS) */
    CONN_PEEK,        /* buffering and parsing the ClientHello */
    CONN_HANDSHAKE,   /* wolfSSL_accept until done or failed */
    CONN_REQUEST,     /* reading the request (a dialogue: to its end) */
    CONN_RENEGOTIATE, /* asking for a client certificate after the request */
    CONN_STALL,       /* a fault: reading and discarding, saying nothing */
    CONN_CLOSING,     /* flushing what is queued, then FIN */
    CONN_LINGER,      /* FIN sent; draining input until EOF or timeout */
    CONN_CLOSED       /* handles closing; freed in the last callback */
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;       /* handshake, idle, stall and linger bounds */
    uv_timer_t fault_timer; /* drip ticks */
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    int open_handles;

    struct conn_pool *pool;
    struct entry *entry;
    struct conn *prev, *next;
    struct trace trace; /* what happened, for the trace and the verdict */
    uint64_t started_ms;
    enum conn_state state;
    bool in_pump;
    bool writing;
    bool peer_eof;
    bool renegotiating;

    struct buf enc_in;      /* from the socket, not yet read by wolfSSL */
    struct buf enc_out;     /* from wolfSSL, not yet written */
    struct buf enc_writing; /* the one write in flight */
    /* The protocol's dialogue, which both layers below follow and keep. */
    struct dialogue dialogue;
    /* The preamble layer, until TLS begins. */
    const struct preamble_ops *preamble;
    void *preamble_state;
    /* The application layer, from the handshake on. */
    const struct app_ops *app;
    void *app_state;
    struct app_request request; /* the one being answered */
    bool greeted;  /* the preamble has had its first call */
    bool plain;    /* on the [http] plain_port: plain HTTP, or TLS */
    bool answered; /* a dialogue goes on after its request's answer */
    bool app_buffered; /* the layer may hold input it has not read */
    /* Clear text the layer has said and wolfSSL has not yet taken: held
     * until the layer has read all there is, so that its preface, its
     * acknowledgements and its answer go out in one record. */
    struct buf clear_out;
    struct tlsio_io io;
    WOLFSSL *ssl;

    /* Faults on the way out: at most out_allowed more bytes may be
     * written (SIZE_MAX: no limit); once they are, then_do happens. */
    size_t out_allowed;
    enum scenario_action_kind then_do;
    size_t drip_left;
    uint64_t fault_until_ms;
    bool flight_seen;

    struct hello hello;
    struct record_scan scan; /* plaintext alerts from the client */
    bool hello_ok;
    size_t peek_need; /* bytes the declared ClientHello needs at least */
    int alert_sent;     /* raw alerts we wrote ourselves */
};

/* A pool on loop; open_total NULL: its own counter (one loop), else a
 * counter shared with the other pools of n_pools, this one index. */
void conn_pool_init(struct conn_pool *p, uv_loop_t *loop,
                    const struct conn_limits *limits, size_t *open_total,
                    int index, int n_pools);
/* Ends every open connection with RST (shutdown); each leaves the pool
 * once its handles have closed. */
void conn_pool_abort_all(struct conn_pool *p, const char *reason);

/* Accepts a pending connection from listening, to serve entry. */
void conn_accept(struct conn_pool *p, struct entry *entry,
                 uv_stream_t *listening, bool plain);
/* Ends the connection at once with RST. */
void conn_abort(struct conn *c, const char *reason);

#endif
