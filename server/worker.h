/*
 * Worker loops for --workers N: each a thread with its own libuv loop, its
 * own connection pool and its own listening sockets (SO_REUSEPORT, so the
 * kernel spreads new connections over the loops). A worker is {loop, pool,
 * listeners}: it knows nothing of the server. The primary loop commands
 * it through an async handle: drain, stop, or take a new set of entries
 * (a SIGHUP reload), which it does on its own thread, between callbacks.
 */
#ifndef SHAKEDOWN_WORKER_H
#define SHAKEDOWN_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "diag.h"
#include "entry.h"

enum worker_command {
    WORKER_NONE,
    WORKER_RELOAD, /* listen for the entries sent with it */
    WORKER_DRAIN,  /* stop accepting, let connections finish */
    WORKER_STOP    /* close everything now */
};

/* What every worker is started with. */
struct worker_config {
    const char *bind;
    struct conn_limits limits;
    uint64_t drain_ms;
    size_t *open_total; /* connections open in every loop (atomic) */
    int n_loops;        /* the primary's and the workers' */
};

struct worker;

struct worker_set {
    struct worker *v;
    int n;
};

/* Starts n workers listening for every listening entry of entries (on
 * the port the primary bound). Returns 0, or -1 with d filled and none
 * left running. */
int worker_start_all(struct worker_set *set, int n,
                     const struct worker_config *cfg,
                     struct entry *const *entries, size_t n_entries,
                     struct diag *d);
/* Sends cmd to every worker (a stronger command wins over a weaker one
 * not yet taken). */
void worker_send_all(struct worker_set *set, enum worker_command cmd);
/* Sends the entries a reload put in place: each worker then listens for
 * exactly the listening ones, keeping a socket whose scenario kept its
 * port, and lets go of the old entries, which die with their last
 * connection. */
void worker_reload_all(struct worker_set *set, struct entry *const *entries,
                       size_t n_entries);
/* Waits for every worker's loop to end, then frees them. */
void worker_join_all(struct worker_set *set);

#endif
