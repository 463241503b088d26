/*
 * The server: one libuv loop, the scenario set, a TLS context and a
 * listener per servable scenario, and the list of open connections.
 */
#ifndef SHAKEDOWN_SERVER_H
#define SHAKEDOWN_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "catalogue.h"
#include "conn.h"
#include "dashboard.h"
#include "diag.h"
#include "entry.h"
#include "listener.h"
#include "scenario.h"
#include "tlsio.h"
#include "worker.h"


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
    struct dashboard_limits dashboard;
    int workers; /* event loops, each on its own thread */
    enum protocol_id protocol; /* every scenario is wrapped in it */
    bool any_protocol; /* --check: every scenario, whatever it is served
                          over */
};

/* Where the scenarios come from, kept for SIGHUP. */
struct server_source {
    const char *const *paths;
    size_t n_paths;
    const char *const *only; /* NULL: all */
    size_t n_only;
};

/* The server: the primary loop on the main thread. It owns the entries,
 * the signals, the dashboard, reloads and the ports file; with --workers N
 * it also commands N - 1 worker loops, each with its own SO_REUSEPORT
 * listeners on the same ports and its own connections. */
struct server {
    uv_loop_t *loop;
    int n_workers; /* loops in all, this one included */
    struct worker_set workers; /* the other n_workers - 1 */
    struct worker_config worker_cfg; /* what they were started with */
    struct server_options opt;
    struct conn_pool pool; /* this loop's connections */
    struct server_source source;
    struct entry **entries; /* the current set, sorted by name */
    size_t n_entries;
    struct catalogue_view view; /* what the catalogue and dashboard read */
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sighup;  /* re-reads the scenario files */
    uv_signal_t sigusr1; /* prints a stats line */
    uv_timer_t drain_timer;
    struct dashboard dashboard;
    bool draining; /* SIGTERM: not accepting, waiting for connections */
    bool stopping;
};

/* Loads the scenario files of source (file:line errors into d). */
int server_load(const struct server_source *source, struct scenario_set *set,
                struct diag *d);

/* Builds an entry (with contexts) for every scenario of set that source
 * selects; the entries copy what they need, so set may be freed after.
 * Scenarios that cannot be served are kept, marked unavailable. */
int server_prepare(struct server *srv, const struct scenario_set *set,
                   const struct server_source *source,
                   const struct server_options *opt, struct diag *d);
/* SIGHUP: re-reads the files; all valid, the new set replaces the old,
 * else nothing changes. Returns 0 when the new set is in place. */
int server_reload(struct server *srv);
/* Binds every available scenario and writes the ports file. */
int server_listen(struct server *srv, uv_loop_t *loop, struct diag *d);
/* Runs until SIGINT or SIGTERM, then closes everything. */
int server_run(struct server *srv);
/* Stops this loop and every worker at once. */
void server_stop(struct server *srv);
/* SIGTERM: stops accepting everywhere; connections get drain_ms. */
void server_drain(struct server *srv);
void server_free(struct server *srv);

#endif
