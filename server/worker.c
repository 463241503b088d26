/*
 * The worker threads. Everything a worker's loop needs (its listeners,
 * its wake-up handle) is created on the main thread before the thread
 * starts, so no handle is ever touched by two threads; afterwards the
 * only things shared are the read-only entries, the atomic connection
 * counters and the trace's output.
 */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "log.h"
#include "server.h"

struct worker {
    struct server srv;
    uv_loop_t loop;
    uv_async_t wake;
    uv_thread_t thread;
    int command; /* enum worker_command, atomic */
    bool loop_ready;
    bool running;
};

static void on_wake(uv_async_t *h)
{
    struct worker *w = h->data;
    int cmd = __atomic_exchange_n(&w->command, WORKER_NONE, __ATOMIC_ACQ_REL);
    if (cmd == WORKER_STOP)
        server_stop(&w->srv);
    else if (cmd == WORKER_DRAIN)
        server_drain(&w->srv);
}

static void run(void *arg)
{
    struct worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* The worker's own listener for every entry the primary listens on. */
static int listen_all(struct worker *w, struct server *primary, struct diag *d)
{
    struct server *srv = &w->srv;
    srv->own_listeners = calloc(primary->n_entries ? primary->n_entries : 1,
                                sizeof(*srv->own_listeners));
    if (srv->own_listeners == NULL)
        return diag_set(d, NULL, 0, "out of memory");
    for (size_t i = 0; i < primary->n_entries; i++) {
        struct entry *e = primary->entries[i];
        if (!e->listening)
            continue;
        srv->own_listeners[i] =
            listener_new(&w->loop, &srv->pool, e, primary->opt.bind, e->port,
                         LISTENER_SHARE_JOIN, d);
        if (srv->own_listeners[i] == NULL)
            return -1;
    }
    return 0;
}

static int prepare(struct worker *w, struct server *primary, int index,
                   struct diag *d)
{
    struct server *srv = &w->srv;
    memset(srv, 0, sizeof(*srv));
    srv->opt = primary->opt;
    srv->entries = primary->entries;
    srv->n_entries = primary->n_entries;
    srv->worker_index = index;
    srv->n_workers = primary->n_workers;
    srv->wake = &w->wake;
    if (uv_loop_init(&w->loop) != 0)
        return diag_set(d, NULL, 0, "worker %d: cannot create a loop", index);
    w->loop_ready = true;
    server_pool_init(srv, &w->loop, primary->pool.open_total);
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    uv_timer_init(&w->loop, &srv->drain_timer);
    srv->drain_timer.data = srv;
    return listen_all(w, primary, d);
}

int worker_start_all(struct server *primary, struct diag *d)
{
    int n = primary->n_workers - 1;
    if (n <= 0)
        return 0;
    primary->workers = calloc((size_t)n, sizeof(*primary->workers));
    if (primary->workers == NULL)
        return diag_set(d, NULL, 0, "out of memory");
    for (int i = 0; i < n; i++) {
        struct worker *w = &primary->workers[i];
        if (prepare(w, primary, i + 1, d) != 0 ||
            uv_thread_create(&w->thread, run, w) != 0) {
            if (d->msg[0] == '\0')
                diag_set(d, NULL, 0, "worker %d: cannot start a thread", i + 1);
            if (w->loop_ready) { /* its handles close as its loop runs */
                server_stop(&w->srv);
                uv_run(&w->loop, UV_RUN_DEFAULT);
            }
            worker_send_all(primary, WORKER_STOP);
            worker_join_all(primary);
            return -1;
        }
        w->running = true;
    }
    return 0;
}

void worker_send_all(struct server *primary, enum worker_command cmd)
{
    for (int i = 0; i < primary->n_workers - 1 && primary->workers; i++) {
        struct worker *w = &primary->workers[i];
        if (!w->running)
            continue;
        int cur = __atomic_load_n(&w->command, __ATOMIC_ACQUIRE);
        if ((int)cmd > cur)
            __atomic_store_n(&w->command, (int)cmd, __ATOMIC_RELEASE);
        uv_async_send(&w->wake);
    }
}

void worker_join_all(struct server *primary)
{
    if (primary->workers == NULL)
        return;
    for (int i = 0; i < primary->n_workers - 1; i++) {
        struct worker *w = &primary->workers[i];
        if (w->running)
            uv_thread_join(&w->thread);
        w->running = false;
        if (w->loop_ready)
            uv_loop_close(&w->loop);
        free(w->srv.own_listeners);
    }
    free(primary->workers);
    primary->workers = NULL;
}
