/*
 * One listening TCP socket per scenario. A new connection is handed to
 * conn_accept together with the listener's current entry; a reload can
 * point a listener at a new entry without closing the socket.
 */
#ifndef SHAKEDOWN_LISTENER_H
#define SHAKEDOWN_LISTENER_H

#include <stdbool.h>

#include <uv.h>

#include "diag.h"

struct server;
struct server_entry;

struct listener {
    uv_tcp_t tcp;
    struct server *server;
    struct server_entry *entry;
    int port; /* the bound port */
};

/* Binds addr:port (port 0: ephemeral) and starts accepting; with
 * reuseport, other sockets may bind the same port (worker loops). Returns
 * the listener, or NULL with d filled. */
struct listener *listener_new(uv_loop_t *loop, struct server *srv,
                              struct server_entry *entry, const char *addr,
                              int port, bool reuseport, struct diag *d);
/* An IPv4 or IPv6 literal and a port into ss. Returns 0, or non-zero
 * when addr is neither. */
int listener_resolve(const char *addr, int port, struct sockaddr_storage *ss);
/* Stops accepting; the listener is freed once its socket has closed. */
void listener_close(struct listener *l);

#endif
