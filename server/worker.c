/*
 * The worker threads. Everything a worker's loop needs is created on the
 * main thread before the thread starts; afterwards a worker's handles are
 * touched only by its own thread. What crosses threads: the command and a
 * reload's entries (under the worker's lock, then the async wake-up), the
 * entries' atomic reference counts, the shared count of open connections
 * and the trace's output.
 */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "log.h"

/* A listening entry as the primary bound it. */
struct worker_slot {
    struct entry *entry; /* holds a reference while queued */
    int port;
};

struct worker {
    int index; /* 1 .. n; the primary is 0 */
    const struct worker_config *cfg;
    uv_loop_t loop;
    struct conn_pool pool;
    struct listener **listeners; /* NULL slots are closed ones */
    size_t n_listeners;
    uv_async_t wake;
    uv_timer_t drain_timer;
    uv_thread_t thread;
    uv_mutex_t lock; /* command and pending */
    int command;     /* enum worker_command */
    struct worker_slot *pending; /* a reload's entries, not yet taken */
    size_t n_pending;
    bool draining;
    bool stopping;
    bool loop_ready;
    bool running;
};

/* ---- on the worker's thread ------------------------------------------- */

static void close_listeners(struct worker *w)
{
    for (size_t i = 0; i < w->n_listeners; i++)
        if (w->listeners[i] != NULL)
            listener_close(w->listeners[i]);
    w->n_listeners = 0;
}

static void stop(struct worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    close_listeners(w);
    conn_pool_abort_all(&w->pool, "server shutting down");
    uv_close((uv_handle_t *)&w->drain_timer, NULL);
    uv_close((uv_handle_t *)&w->wake, NULL);
}

static void on_drain_timeout(uv_timer_t *t)
{
    struct worker *w = t->data;
    log_info("worker %d: drain: %zu connections still open after %.1f s; "
             "resetting them",
             w->index, w->pool.n_conns, (double)w->cfg->drain_ms / 1000.0);
    stop(w);
}

static void on_pool_empty(void *arg)
{
    struct worker *w = arg;
    if (!w->draining || w->stopping)
        return;
    log_info("worker %d: drain: every connection finished; stopping",
             w->index);
    stop(w);
}

/* SIGTERM, as the primary passes it on: stop accepting, give the open
 * connections drain_ms, then stop. */
static void drain(struct worker *w)
{
    if (w->draining || w->stopping)
        return;
    w->draining = true;
    close_listeners(w);
    if (w->pool.n_conns == 0 || w->cfg->drain_ms == 0) {
        log_info("worker %d: SIGTERM: stopping (no connections open)",
                 w->index);
        stop(w);
        return;
    }
    log_info("worker %d: SIGTERM: no longer accepting; draining %zu open "
             "connections (up to %.1f s)",
             w->index, w->pool.n_conns, (double)w->cfg->drain_ms / 1000.0);
    uv_timer_start(&w->drain_timer, on_drain_timeout, w->cfg->drain_ms, 0);
}

static const struct worker_slot *find_slot(const struct worker_slot *v,
                                           size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].entry->scenario->name, name) == 0)
            return &v[i];
    return NULL;
}

static bool listens_for(const struct worker *w, const struct entry *e)
{
    for (size_t i = 0; i < w->n_listeners; i++)
        if (w->listeners[i] != NULL && w->listeners[i]->entry == e)
            return true;
    return false;
}

/* Keeps each socket whose scenario is still listening on its port (now
 * for the new entry), closes the others, and joins the ports it lacks. */
static int sync_listeners(struct worker *w, const struct worker_slot *v,
                          size_t n, struct diag *d)
{
    size_t kept = 0;
    for (size_t i = 0; i < w->n_listeners; i++) {
        struct listener *l = w->listeners[i];
        const struct worker_slot *s =
            l ? find_slot(v, n, l->entry->scenario->name) : NULL;
        if (s != NULL && s->port == l->port) {
            listener_set_entry(l, s->entry);
            w->listeners[kept++] = l;
        } else if (l != NULL) {
            listener_close(l);
        }
    }
    w->n_listeners = kept;
    struct listener **grown =
        realloc(w->listeners, (kept + n + 1) * sizeof(*grown));
    if (grown == NULL)
        return diag_set(d, NULL, 0, "worker %d: out of memory", w->index);
    w->listeners = grown;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (listens_for(w, v[i].entry))
            continue;
        struct listener *l =
            listener_new(&w->loop, &w->pool, v[i].entry, w->cfg->bind,
                         v[i].port, LISTENER_SHARE_JOIN, d);
        if (l == NULL) {
            rc = -1; /* the others still get their sockets */
            continue;
        }
        w->listeners[w->n_listeners++] = l;
    }
    return rc;
}

static void release(struct worker_slot *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_unref(v[i].entry);
    free(v);
}

static void reload(struct worker *w, struct worker_slot *v, size_t n)
{
    struct diag d;
    diag_clear(&d);
    if (w->draining || w->stopping) {
        release(v, n);
        return;
    }
    if (sync_listeners(w, v, n, &d) != 0)
        log_info("worker %d: SIGHUP: %s%s%s", w->index, d.file,
                 d.file[0] ? ": " : "", d.msg);
    log_info("worker %d: SIGHUP: took the reloaded scenarios (%zu listening)",
             w->index, w->n_listeners);
    release(v, n);
}

static void on_wake(uv_async_t *h)
{
    struct worker *w = h->data;
    uv_mutex_lock(&w->lock);
    int cmd = w->command;
    struct worker_slot *v = w->pending;
    size_t n = w->n_pending;
    w->command = WORKER_NONE;
    w->pending = NULL;
    w->n_pending = 0;
    uv_mutex_unlock(&w->lock);
    if (v != NULL)
        reload(w, v, n);
    if (cmd == WORKER_STOP)
        stop(w);
    else if (cmd == WORKER_DRAIN)
        drain(w);
}

static void run(void *arg)
{
    struct worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* ---- on the primary's thread ------------------------------------------ */

/* The listening entries of v, each with a reference for the queue. */
static struct worker_slot *slots_of(struct entry *const *v, size_t n,
                                    size_t *n_out)
{
    struct worker_slot *s = calloc(n ? n : 1, sizeof(*s));
    size_t k = 0;
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!v[i]->listening)
            continue;
        entry_ref(v[i]);
        s[k].entry = v[i];
        s[k++].port = v[i]->port;
    }
    *n_out = k;
    return s;
}

static int prepare(struct worker *w, int index,
                   const struct worker_config *cfg,
                   struct entry *const *entries, size_t n_entries,
                   struct diag *d)
{
    memset(w, 0, sizeof(*w));
    w->index = index;
    w->cfg = cfg;
    if (uv_mutex_init(&w->lock) != 0 || uv_loop_init(&w->loop) != 0)
        return diag_set(d, NULL, 0, "worker %d: cannot create a loop", index);
    w->loop_ready = true;
    conn_pool_init(&w->pool, &w->loop, &cfg->limits, cfg->open_total, index,
                   cfg->n_loops);
    w->pool.on_empty = on_pool_empty;
    w->pool.on_empty_arg = w;
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->drain_timer);
    w->drain_timer.data = w;
    size_t n = 0;
    struct worker_slot *v = slots_of(entries, n_entries, &n);
    if (v == NULL)
        return diag_set(d, NULL, 0, "out of memory");
    int rc = sync_listeners(w, v, n, d);
    release(v, n);
    return rc;
}

/* Ends a worker whose thread never ran: its loop closes what it has. */
static void abandon(struct worker *w)
{
    if (!w->loop_ready)
        return;
    stop(w);
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

int worker_start_all(struct worker_set *set, int n,
                     const struct worker_config *cfg,
                     struct entry *const *entries, size_t n_entries,
                     struct diag *d)
{
    memset(set, 0, sizeof(*set));
    if (n <= 0)
        return 0;
    set->v = calloc((size_t)n, sizeof(*set->v));
    if (set->v == NULL)
        return diag_set(d, NULL, 0, "out of memory");
    set->n = n;
    for (int i = 0; i < n; i++) {
        struct worker *w = &set->v[i];
        if (prepare(w, i + 1, cfg, entries, n_entries, d) != 0 ||
            uv_thread_create(&w->thread, run, w) != 0) {
            if (d->msg[0] == '\0')
                diag_set(d, NULL, 0, "worker %d: cannot start a thread", i + 1);
            abandon(w);
            worker_send_all(set, WORKER_STOP);
            worker_join_all(set);
            return -1;
        }
        w->running = true;
    }
    return 0;
}

static void post(struct worker *w, enum worker_command cmd,
                 struct worker_slot *v, size_t n)
{
    struct worker_slot *old = NULL;
    size_t n_old = 0;
    uv_mutex_lock(&w->lock);
    if ((int)cmd > w->command)
        w->command = (int)cmd;
    if (v != NULL) { /* a newer reload replaces one not yet taken */
        old = w->pending;
        n_old = w->n_pending;
        w->pending = v;
        w->n_pending = n;
    }
    uv_mutex_unlock(&w->lock);
    if (old != NULL)
        release(old, n_old);
    uv_async_send(&w->wake);
}

void worker_send_all(struct worker_set *set, enum worker_command cmd)
{
    for (int i = 0; i < set->n; i++)
        if (set->v[i].running)
            post(&set->v[i], cmd, NULL, 0);
}

void worker_reload_all(struct worker_set *set, struct entry *const *entries,
                       size_t n_entries)
{
    for (int i = 0; i < set->n; i++) {
        struct worker *w = &set->v[i];
        size_t n = 0;
        struct worker_slot *v = w->running ? slots_of(entries, n_entries, &n)
                                           : NULL;
        if (v == NULL) {
            if (w->running)
                log_info("worker %d: SIGHUP: out of memory; it keeps its "
                         "sockets", w->index);
            continue;
        }
        post(w, WORKER_RELOAD, v, n);
    }
}

void worker_join_all(struct worker_set *set)
{
    for (int i = 0; i < set->n; i++) {
        struct worker *w = &set->v[i];
        if (w->running)
            uv_thread_join(&w->thread);
        w->running = false;
        if (w->pending != NULL)
            release(w->pending, w->n_pending);
        if (w->loop_ready) {
            uv_loop_close(&w->loop);
            uv_mutex_destroy(&w->lock);
        }
        free(w->listeners);
    }
    free(set->v);
    memset(set, 0, sizeof(*set));
}
