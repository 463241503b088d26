/*
 * The dashboard: a plain-HTTP port on the same loop that serves the
 * scenario tiles with a live in-browser check, the catalogue as JSON, the
 * test CA and client certificate, and the connection traces as a stream
 * of server-sent events.
 */
#ifndef SHAKEDOWN_DASHBOARD_H
#define SHAKEDOWN_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "buf.h"
#include "diag.h"

struct catalogue_view;
struct dash_client;

struct dashboard {
    const struct catalogue_view *view; /* what the pages show */
    uv_tcp_t tcp;
    bool listening;
    int port; /* bound port, once listening */
    char url[96];
    struct dash_client *clients;
    size_t n_clients;
    /* Events logged on worker threads wait here for the dashboard's. */
    uv_thread_t thread;
    uv_async_t async;
    uv_mutex_t lock;
    struct buf pending; /* "data: ...\n\n" frames, under lock */
};

/* Binds addr:port (0: ephemeral) and starts serving. */
int dashboard_start(struct dashboard *d, const struct catalogue_view *view,
                    uv_loop_t *loop,
                    const char *addr, int port, struct diag *diag);
/* Stops accepting; open requests and event streams go on. */
void dashboard_stop_accepting(struct dashboard *d);
/* Stops accepting and closes every client. */
void dashboard_stop(struct dashboard *d);

#endif
