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

/* How the connection ended, for the trace. */
enum conn_end {
    CONN_END_FIN,      /* we sent FIN after flushing */
    CONN_END_RST,      /* we sent RST */
    CONN_END_PEER_FIN, /* the client closed first */
    CONN_END_PEER_RST, /* the client reset */
    CONN_END_TIMEOUT   /* a timer ran out; we sent RST */
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
    uint64_t id;
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
    bool fault_fired; /* the scenario's fault or SNI policy acted */

    struct hello hello;
    struct record_scan scan; /* plaintext alerts from the client */
    bool hello_ok;
    size_t peek_need; /* bytes the declared ClientHello needs at least */
    bool handshake_done;
    int http_status;
    char peer[64];
    const char *reason; /* why it ended; the first reason wins */
    char detail[256];
    int alert_sent;     /* raw alerts we wrote ourselves */
    enum conn_end end;
    uint64_t bytes_in;
    uint64_t bytes_out;
};

/* Accepts a pending connection from server (a listening stream). */
void conn_accept(struct server *srv, struct server_entry *entry,
                 uv_stream_t *server);
/* Ends the connection at once with RST (server shutdown). */
void conn_abort(struct conn *c, const char *reason);

#endif
