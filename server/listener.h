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

struct conn_pool;
struct entry;

struct listener {
    uv_tcp_t tcp;
    struct conn_pool *pool; /* where its connections go */
    struct entry *entry;
    int port; /* the bound port */
    bool plain; /* the entry's plain-HTTP companion ([http] plain_port) */
};

/* How a listener shares its port with the other worker loops. */
enum listener_share {
    LISTENER_ALONE,       /* one loop: the port is this socket's alone */
    LISTENER_SHARE_FIRST, /* the first of the loops (SO_REUSEPORT) */
    LISTENER_SHARE_JOIN,  /* another loop joining the first's port */
};

/* Opens tcp on loop, bound to ss (port 0: ephemeral) and listening, with
 * on_new called for every new connection, and sets *bound_port to the
 * port it got. The first of shared sockets makes sure no other program
 * holds the port, which SO_REUSEPORT alone would let it share. Returns 0
 * or a libuv error; either way tcp is an initialised handle afterwards,
 * which the caller closes on an error. */
int listener_bind(uv_loop_t *loop, uv_tcp_t *tcp,
                  const struct sockaddr_storage *ss, enum listener_share share,
                  uv_connection_cb on_new, int *bound_port);
/* What usually lies behind listener_bind's err, to print after
 * uv_strerror: " (another program, or another shakedown, holds it)" for
 * a busy port; "" when nothing usual does. */
const char *listener_hint(int err);
/* Binds addr:port (port 0: ephemeral) and starts accepting. Returns the
 * listener, or NULL with d filled. */
struct listener *listener_new(uv_loop_t *loop, struct conn_pool *pool,
                              struct entry *entry, const char *addr,
                              int port, enum listener_share share,
                              struct diag *d);
/* An IPv4 or IPv6 literal and a port into ss. Returns 0, or non-zero
 * when addr is neither. */
int listener_resolve(const char *addr, int port, struct sockaddr_storage *ss);
/* Points the socket at another entry (a reload that kept the port): new
 * connections get e; the listener holds a reference to its entry. */
void listener_set_entry(struct listener *l, struct entry *e);
/* Stops accepting; the listener is freed once its socket has closed. */
void listener_close(struct listener *l);

#endif
