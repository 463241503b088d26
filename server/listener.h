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

/* How a listener shares its port with the other worker loops. */
enum listener_share {
    LISTENER_ALONE,       /* one loop: the port is this socket's alone */
    LISTENER_SHARE_FIRST, /* the first of the loops (SO_REUSEPORT) */
    LISTENER_SHARE_JOIN,  /* another loop joining the first's port */
};

/* Binds addr:port (port 0: ephemeral) and starts accepting. The first of
 * shared sockets makes sure no other program holds the port, which
 * SO_REUSEPORT alone would let it share. Returns the listener, or NULL
 * with d filled. */
struct listener *listener_new(uv_loop_t *loop, struct server *srv,
                              struct server_entry *entry, const char *addr,
                              int port, enum listener_share share,
                              struct diag *d);
/* An IPv4 or IPv6 literal and a port into ss. Returns 0, or non-zero
 * when addr is neither. */
int listener_resolve(const char *addr, int port, struct sockaddr_storage *ss);
/* Stops accepting; the listener is freed once its socket has closed. */
void listener_close(struct listener *l);

#endif
