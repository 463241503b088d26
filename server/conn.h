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

#include "buf.h"
#include "hello.h"
#include "record.h"
#include "scenario.h"
#include "tlsio.h"
#include "trace.h"

struct server;
struct server_entry;

enum conn_state {
    CONN_PEEK,        /* buffering and parsing the ClientHello */
    CONN_HANDSHAKE,   /* wolfSSL_accept until done or failed */
    CONN_REQUEST,     /* reading the HTTP request head */
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

    struct server *server;
    struct server_entry *entry;
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
    struct buf clear_in;    /* decrypted request bytes */
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

/* Accepts a pending connection from server (a listening stream). */
void conn_accept(struct server *srv, struct server_entry *entry,
                 uv_stream_t *server);
/* Ends the connection at once with RST (server shutdown). */
void conn_abort(struct conn *c, const char *reason);

#endif
