/*
 * One listening TCP socket per scenario. A new connection is handed to
 * conn_accept together with the scenario's entry.
 */
#ifndef SHAKEDOWN_LISTENER_H
#define SHAKEDOWN_LISTENER_H

#include <uv.h>

#include "diag.h"

struct server;
struct server_entry;

struct listener {
    uv_tcp_t tcp;
    struct server *server;
    struct server_entry *entry;
    int port; /* the bound port, known after listener_start */
};

/* Binds addr:port (port 0: ephemeral) and starts accepting. */
int listener_start(struct listener *l, uv_loop_t *loop, struct server *srv,
                   struct server_entry *entry, const char *addr, int port,
                   struct diag *d);
void listener_stop(struct listener *l);

#endif
