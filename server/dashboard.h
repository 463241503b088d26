/*
 * The dashboard: a plain-HTTP port on the same loop that serves the
 * scenario tiles with a live in-browser check, the catalogue as JSON, the
 * test CA and client certificate, and the connection traces as a stream
 * of server-sent events. Built for a classroom: connections persist
 * (HTTP/1.1 keep-alive) under a head and an idle timeout, a full table
 * makes room by closing its longest-idle connection, event streams have a
 * cap of their own, and the events are shared by every stream, so that
 * their memory does not grow with the viewers.
 */
#ifndef SHAKEDOWN_DASHBOARD_H
#define SHAKEDOWN_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "diag.h"

struct catalogue_view;
struct dash_client;
struct dash_block;

/* Bytes a stream may fall behind before it is closed; also what events
 * waiting for the dashboard's loop may hold. */
#define DASHBOARD_STREAM_BACKLOG (1024 * 1024)

struct dashboard_limits {
    uint64_t header_timeout_ms; /* a request head must be in by then */
    uint64_t keepalive_ms;      /* idle between requests, or a response
                                   the client does not take */
    size_t max_clients;         /* connections held at once */
    size_t max_streams;         /* of them, /events streams */
};

#define DASHBOARD_LIMITS_DEFAULT                                             \
    ((struct dashboard_limits){10000, 20000, 1024, 256})

/* A doubly linked list of clients, oldest first. */
struct dash_list {
    struct dash_client *first, *last;
    size_t n;
};

struct dashboard {
    const struct catalogue_view *view; /* what the pages show */
    struct dashboard_limits limits;
    uv_loop_t *loop;
    uv_tcp_t tcp;
    bool listening;
    int port; /* bound port, once listening */
    char url[96];
    struct dash_list idle;    /* not streaming, longest idle first */
    struct dash_list streams; /* /events */
    uint64_t full_logged;     /* uv_now of the last "table full" line */
    size_t evicted;           /* connections closed to make room */
    uint64_t dropped_logged;  /* and of the last "stream dropped" */
    size_t dropped;           /* streams closed for being too slow */
    size_t dropped_reported;  /* of them, in a line already */
    /* The stream: shared blocks, oldest first, each freed once every
     * stream has written it or closed. */
    struct dash_block *first, *last;
    size_t held, held_peak; /* their bytes, now and at most */
    uv_timer_t flush_timer; /* batches the events, DASH_FLUSH_MS apart */
    uv_timer_t heartbeat;   /* a comment now and then: a dead viewer shows */
    uint64_t flushed_at;
    /* The page and the catalogue, made once per catalogue generation. */
    struct dash_block *page, *catalogue;
    unsigned cached_generation;
    /* Events logged on any thread wait here for the dashboard's loop. */
    uv_thread_t thread;
    uv_async_t async;
    uv_mutex_t lock;
    struct buf pending; /* "data: ...\n\n" frames, under lock */
    size_t lost;        /* frames dropped from pending, under lock */
};

/* Binds addr:port (0: ephemeral) and starts serving. */
int dashboard_start(struct dashboard *d, const struct catalogue_view *view,
                    const struct dashboard_limits *limits, uv_loop_t *loop,
                    const char *addr, int port, struct diag *diag);
/* Bytes of events held for the streams, now and at most since start. */
size_t dashboard_stream_bytes(const struct dashboard *d);
size_t dashboard_stream_peak(const struct dashboard *d);
/* Stops accepting; open requests and event streams go on. */
void dashboard_stop_accepting(struct dashboard *d);
/* Stops accepting and closes every client. */
void dashboard_stop(struct dashboard *d);

#endif
