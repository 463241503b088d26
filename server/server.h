/*
 * The server: one libuv loop, the scenario set, a TLS context and a
 * listener per servable scenario, and the list of open connections.
 */
#ifndef SHAKEDOWN_SERVER_H
#define SHAKEDOWN_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "dashboard.h"
#include "diag.h"
#include "listener.h"
#include "scenario.h"
#include "tlsio.h"

struct conn;

struct server_options {
    const char *bind;
    const char *certs_dir;
    const char *ports_file; /* NULL: none */
    int port_offset;
    bool ephemeral; /* every listener on port 0 */
    uint64_t handshake_timeout_ms;
    uint64_t idle_timeout_ms;
    uint64_t linger_ms;
    int max_stall_s; /* upper bound on any stall or drip */
    size_t max_connections;
    size_t max_client_hello; /* bytes of the ClientHello message */
    uint64_t drain_ms; /* SIGTERM: how long open connections may finish */
    bool allow_readable_keys; /* serve keys other users can read */
    int dashboard_port; /* -1: no dashboard */
};

/* One scenario as this build and these files can serve it. */
struct server_entry {
    const struct scenario *scenario;
    WOLFSSL_CTX *ctx;     /* the default identity */
    WOLFSSL_CTX *sni_ctx; /* for registered SNI names, or NULL */
    struct tlsio_assets assets; /* outlives both contexts */
    char chain[600];     /* the default identity, as the trace shows it */
    char sni_chain[600]; /* the SNI identity */
    char unavailable[512]; /* empty when servable */
    bool unsupported;      /* unavailable because of the library */
    struct listener listener;
    bool listening;
};

struct server {
    uv_loop_t *loop;
    struct server_options opt;
    struct server_entry *entries;
    size_t n_entries;
    struct conn *conns; /* every open connection, for shutdown */
    size_t n_conns;
    uint64_t next_conn_id;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sigusr1; /* prints a stats line */
    uv_timer_t drain_timer;
    struct dashboard dashboard;
    bool draining; /* SIGTERM: not accepting, waiting for connections */
    bool stopping;
};

/* Builds contexts for the scenarios of set whose names pass only (NULL:
 * all). Scenarios that cannot be served are kept, marked unavailable. */
int server_prepare(struct server *srv, const struct scenario_set *set,
                   const char *const *only, size_t n_only,
                   const struct server_options *opt, struct diag *d);
/* Binds every available scenario and writes the ports file. */
int server_listen(struct server *srv, uv_loop_t *loop, struct diag *d);
/* Runs until SIGINT or SIGTERM, then closes everything. */
int server_run(struct server *srv);
void server_stop(struct server *srv);
void server_free(struct server *srv);

/* Bookkeeping for conn.c. */
void server_conn_add(struct server *srv, struct conn *c);
void server_conn_remove(struct server *srv, struct conn *c);

#endif
