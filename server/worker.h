/*
 * Worker loops for --workers N: each a thread with its own libuv loop,
 * its own listening sockets (SO_REUSEPORT, so the kernel spreads new
 * connections) and its own connections. The primary tells them to drain
 * or stop through an async handle.
 */
#ifndef SHAKEDOWN_WORKER_H
#define SHAKEDOWN_WORKER_H

#include <stddef.h>

#include "diag.h"

struct server;

enum worker_command {
    WORKER_NONE,
    WORKER_DRAIN, /* stop accepting, let connections finish */
    WORKER_STOP   /* close everything now */
};

/* Starts primary->opt.workers - 1 workers once the primary listens.
 * Returns 0, or -1 with d filled (nothing is left running). */
int worker_start_all(struct server *primary, struct diag *d);
/* Sends cmd to every worker (a stronger command wins). */
void worker_send_all(struct server *primary, enum worker_command cmd);
/* Waits for every worker's loop to end, then frees them. */
void worker_join_all(struct server *primary);

#endif
