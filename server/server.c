/*
 * Server set-up and tear-down: contexts per scenario (marking what cannot
 * be served, and why), listeners, the ports file, signals, and a shutdown
 * that closes every handle so the loop ends by itself.
 */
#include "server.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "json.h"
#include "log.h"
#include "pki.h"
#include "ports.h"
#include "worker.h"

static bool wanted(const struct scenario *s, const char *const *only,
                   size_t n_only)
{
    if (only == NULL)
        return true;
    for (size_t i = 0; i < n_only; i++)
        if (strcmp(only[i], s->name) == 0)
            return true;
    return false;
}

static struct entry_options options_of(const struct server_options *opt)
{
    struct entry_options f = {opt->certs_dir, opt->allow_readable_keys,
                              opt->protocol};
    return f;
}

/* --port-offset, and the protocol's own range on top of it. */
static int port_offset(const struct server_options *opt)
{
    return opt->port_offset + protocol_get(opt->protocol)->port_offset;
}

/* Builds entries for the selected scenarios of set into *out. */
static int build_entries(const struct scenario_set *set,
                         const struct server_source *source,
                         const struct server_options *opt,
                         struct entry ***out, size_t *n_out,
                         struct diag *d)
{
    struct entry **v = calloc(set->count ? set->count : 1, sizeof(*v));
    size_t n = 0;
    if (v == NULL)
        return diag_set(d, NULL, 0, "out of memory");
    for (size_t i = 0; i < set->count; i++) {
        if (!wanted(&set->items[i], source->only, source->n_only))
            continue;
        if (!opt->any_protocol &&
            !scenario_serves(&set->items[i], opt->protocol)) {
            if (source->only == NULL)
                continue;
            while (n > 0)
                entry_retire(v[--n]);
            free(v);
            return diag_set(d, set->items[i].file, set->items[i].line,
                            "--only: scenario \"%s\" is not served over %s "
                            "(see its [scenario] served_over)",
                            set->items[i].name,
                            protocol_get(opt->protocol)->name);
        }
        struct entry_options files = options_of(opt);
        if ((v[n] = entry_new(&set->items[i], &files)) == NULL) {
            while (n > 0)
                entry_retire(v[--n]);
            free(v);
            return diag_set(d, NULL, 0, "out of memory");
        }
        n++;
    }
    *out = v;
    *n_out = n;
    return 0;
}

int server_load(const struct server_source *source, struct scenario_set *set,
                struct diag *d)
{
    for (size_t i = 0; i < source->n_paths; i++)
        if (scenario_load_path(set, source->paths[i], d) != 0)
            return -1;
    scenario_set_sort(set);
    for (size_t i = 0; i < source->n_only; i++)
        if (scenario_find(set, source->only[i]) == NULL)
            return diag_set(d, NULL, 0,
                            "--only: no scenario named \"%s\" (see --list)",
                            source->only[i]);
    return 0;
}

int server_prepare(struct server *srv, const struct scenario_set *set,
                   const struct server_source *source,
                   const struct server_options *opt, struct diag *d)
{
    memset(srv, 0, sizeof(*srv));
    srv->opt = *opt;
    srv->source = *source;
    srv->n_workers = opt->workers > 0 ? opt->workers : 1;
    if (build_entries(set, source, opt, &srv->entries, &srv->n_entries, d) != 0)
        return -1;
    srv->view = (struct catalogue_view){
        .entries = srv->entries,
        .n_entries = srv->n_entries,
        .certs_dir = srv->opt.certs_dir,
        .bind = srv->opt.bind,
        .port_offset = port_offset(&srv->opt),
        .ephemeral = srv->opt.ephemeral,
        .protocol = srv->opt.protocol,
    };
    return 0;
}

static int write_ports_file(const struct server *srv, struct diag *d)
{
    struct buf b;
    struct json j;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_kv_string(&j, "bind", srv->opt.bind);
    json_kv_string(&j, "protocol", protocol_get(srv->opt.protocol)->name);
    json_key(&j, "scenarios");
    json_array_begin(&j);
    for (size_t i = 0; i < srv->n_entries; i++) {
        const struct entry *e = srv->entries[i];
        if (!e->listening)
            continue;
        json_object_begin(&j);
        json_kv_string(&j, "name", e->scenario->name);
        json_kv_int(&j, "port", e->port);
        if (e->plain_listening)
            json_kv_int(&j, "plain_port", e->plain_port);
        json_object_end(&j);
    }
    json_array_end(&j);
    if (srv->dashboard.listening) {
        json_key(&j, "dashboard");
        json_object_begin(&j);
        json_kv_int(&j, "port", srv->dashboard.port);
        json_kv_string(&j, "url", srv->dashboard.url);
        json_object_end(&j);
    }
    json_key(&j, "unavailable");
    json_array_begin(&j);
    for (size_t i = 0; i < srv->n_entries; i++) {
        const struct entry *e = srv->entries[i];
        if (e->listening)
            continue;
        json_object_begin(&j);
        json_kv_string(&j, "name", e->scenario->name);
        json_kv_string(&j, "reason", e->unavailable);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    buf_append(&b, "\n", 1);

    /* Written beside the target and renamed: a reader never sees half. */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", srv->opt.ports_file,
             (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = 0;
    if (f == NULL || j.failed ||
        fwrite(buf_head(&b), 1, buf_pending(&b), f) != buf_pending(&b)) {
        rc = diag_set(d, srv->opt.ports_file, 0, "cannot write: %s",
                      f ? "short write" : strerror(errno));
    }
    if (f != NULL && fclose(f) != 0 && rc == 0)
        rc = diag_set(d, srv->opt.ports_file, 0, "cannot write: %s",
                      strerror(errno));
    if (rc == 0 && rename(tmp, srv->opt.ports_file) != 0)
        rc = diag_set(d, srv->opt.ports_file, 0, "cannot rename %s: %s", tmp,
                      strerror(errno));
    if (rc != 0)
        unlink(tmp);
    buf_free(&b);
    return rc;
}

/* Closes e's sockets: its own, and its plain-HTTP companion's. */
static void unlisten(struct entry *e)
{
    if (e->listener != NULL)
        listener_close(e->listener);
    if (e->plain_listener != NULL)
        listener_close(e->plain_listener);
    e->listener = e->plain_listener = NULL;
    e->listening = e->plain_listening = false;
}

static void stop_listeners(struct server *srv)
{
    for (size_t i = 0; i < srv->n_entries; i++)
        unlisten(srv->entries[i]);
}

/* Closes this loop's handles and connections; the loop then ends. */
static void stop_self(struct server *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = true;
    stop_listeners(srv);
    conn_pool_abort_all(&srv->pool, "server shutting down");
    if (srv->loop == NULL)
        return;
    uv_close((uv_handle_t *)&srv->drain_timer, NULL);
    dashboard_stop(&srv->dashboard);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sighup, NULL);
    uv_close((uv_handle_t *)&srv->sigusr1, NULL);
}

void server_stop(struct server *srv)
{
    worker_send_all(&srv->workers, WORKER_STOP);
    stop_self(srv);
}

static void on_drain_timeout(uv_timer_t *t)
{
    struct server *srv = t->data;
    log_info("drain: %zu connections still open after %.1f s; resetting "
             "them", srv->pool.n_conns, (double)srv->opt.drain_ms / 1000.0);
    server_stop(srv);
}

/* SIGTERM: stop accepting, give open connections drain_ms to finish,
 * then stop. A second SIGTERM, or SIGINT, stops at once. Each worker
 * drains its own connections the same way. */
void server_drain(struct server *srv)
{
    if (srv->draining) {
        log_info("SIGTERM again: stopping now");
        server_stop(srv);
        return;
    }
    srv->draining = true;
    worker_send_all(&srv->workers, WORKER_DRAIN);
    stop_listeners(srv);
    dashboard_stop_accepting(&srv->dashboard);
    if (srv->pool.n_conns == 0 || srv->opt.drain_ms == 0) {
        log_info("SIGTERM: stopping (no connections open)");
        stop_self(srv);
        return;
    }
    log_info("SIGTERM: no longer accepting; draining %zu open connections "
             "(up to %.1f s)",
             srv->pool.n_conns, (double)srv->opt.drain_ms / 1000.0);
    uv_timer_start(&srv->drain_timer, on_drain_timeout, srv->opt.drain_ms, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct server *srv = h->data;
    if (signum == SIGTERM) {
        server_drain(srv);
        return;
    }
    log_info("SIGINT: stopping");
    server_stop(srv);
}

/* SIGUSR1: how many connections are open and how much heap is in use,
 * so that tests and operators can see that nothing is left behind. */
static void on_stats(uv_signal_t *h, int signum)
{
    struct server *srv = h->data;
    struct mallinfo2 mi = mallinfo2();
    (void)signum;
    const struct dashboard *d = &srv->dashboard;
    log_info("stats: connections=%zu heap_in_use=%zu dashboard_clients=%zu "
             "dashboard_streams=%zu dashboard_stream_bytes=%zu "
             "dashboard_stream_peak=%zu",
             __atomic_load_n(srv->pool.open_total, __ATOMIC_RELAXED),
             mi.uordblks, d->idle.n + d->streams.n, d->streams.n,
             dashboard_stream_bytes(d), dashboard_stream_peak(d));
}

/* The command line's say on where ports land. */
static struct ports_rule rule_of(const struct server *srv)
{
    struct ports_rule rule = {port_offset(&srv->opt), srv->opt.ephemeral};
    return rule;
}

static int start_dashboard(struct server *srv, uv_loop_t *loop,
                           struct diag *d)
{
    struct ports_rule rule = rule_of(srv);
    char why[128];
    int port;
    if (srv->opt.dashboard_port < 0)
        return 0;
    if (ports_resolve(&rule, srv->opt.dashboard_port, &port) != 0)
        return diag_set(d, NULL, 0, "%s",
                        ports_explain(why, sizeof(why), "dashboard port",
                                      srv->opt.dashboard_port, &rule));
    if (dashboard_start(&srv->dashboard, &srv->view, &srv->opt.dashboard,
                        loop, srv->opt.bind, port, d) != 0)
        return -1;
    srv->view.dashboard_url = srv->dashboard.url;
    return 0;
}

/* Anything but loopback puts deliberately broken TLS on the network. */
static void warn_if_exposed(const char *bind)
{
    unsigned char a[16];
    bool loopback = false;
    if (uv_inet_pton(AF_INET, bind, a) == 0)
        loopback = a[0] == 127;
    else if (uv_inet_pton(AF_INET6, bind, a) == 0)
        loopback = memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
    if (!loopback)
        log_info("warning: listening on %s, not a loopback address: every "
                 "host that can reach it is offered deliberately broken TLS "
                 "(expired and self-signed certificates, weak ciphers, "
                 "resets). Bind to 127.0.0.1 unless that is what you want.",
                 bind);
}

/* A replaced entry goes when its last connection does. */
static void retire(struct entry *e)
{
    unlisten(e);
    entry_retire(e);
}

/* ---- reload ----------------------------------------------------------- */

static struct entry *find_entry(struct entry **v, size_t n,
                                       const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->scenario->name, name) == 0)
            return v[i];
    return NULL;
}

/* The loader zeroes a scenario before filling it, so equal files give
 * equal bytes. */
static const char *const reload_refused =
    "SIGHUP: reload refused, every scenario keeps serving as before";

static int entry_listen(struct server *srv, struct entry *e,
                        struct diag *d);
static int companion_listen(struct server *srv, struct entry *e,
                            struct diag *d);

/* "file:line: message", or what of it is known. */
static void log_refusal(const struct diag *d)
{
    if (d->file[0] == '\0')
        log_info("%s: %s", reload_refused, d->msg);
    else if (d->line > 0)
        log_info("%s: %s:%d: %s", reload_refused, d->file, d->line, d->msg);
    else
        log_info("%s: %s: %s", reload_refused, d->file, d->msg);
}


/* The new entries that a reload may take: all loaded, none broken by
 * bad input. Unchanged ones are the old entries themselves. */
static int reload_entries(struct server *srv, struct entry ***out,
                          size_t *n_out)
{
    struct scenario_set set = {0};
    struct diag d;
    diag_clear(&d);
    int rc = server_load(&srv->source, &set, &d);
    if (rc == 0)
        rc = build_entries(&set, &srv->source, &srv->opt, out, n_out, &d);
    scenario_set_free(&set);
    if (rc != 0) {
        log_refusal(&d);
        return -1;
    }
    for (size_t i = 0; i < *n_out; i++) {
        struct entry *e = (*out)[i];
        struct entry *old =
            find_entry(srv->entries, srv->n_entries, e->scenario->name);
        if (e->ctx == NULL && !e->unsupported) {
            log_info("%s: %s: scenario \"%s\": %s", reload_refused,
                     e->scenario->file, e->scenario->name, e->unavailable);
            rc = -1;
        } else if (old != NULL && scenario_same(old->scenario, e->scenario)) {
            entry_retire(e);
            (*out)[i] = old;
        }
    }
    return rc;
}

/* Whether e has a plain-HTTP companion here: [http] plain_port, over
 * HTTPS (under another protocol there is no HTTP to speak). */
static bool wants_companion(const struct server *srv, const struct entry *e)
{
    return e->scenario->plain_port >= 0 &&
           srv->opt.protocol == PROTOCOL_HTTPS;
}

/* Whether e lands on the port old listens on; under --ephemeral-ports
 * any port will do. One above 65535 matches none: entry_listen says why. */
static bool keeps_port(const struct server *srv, const struct entry *e,
                       const struct entry *old)
{
    struct ports_rule rule = rule_of(srv);
    int port;
    if (rule.ephemeral)
        return true;
    return ports_resolve(&rule, e->scenario->port, &port) == 0 &&
           port == old->port;
}

/* The same for the companion: e wants one where old has one. */
static bool keeps_plain_port(const struct server *srv, const struct entry *e,
                             const struct entry *old)
{
    struct ports_rule rule = rule_of(srv);
    int port;
    if (!wants_companion(srv, e) || !old->plain_listening)
        return false;
    return rule.ephemeral ||
           (ports_resolve(&rule, e->scenario->plain_port, &port) == 0 &&
            port == old->plain_port);
}

/* Binds what needs a new socket: a changed scenario on the port it
 * already has takes over the old listener instead. */
static int reload_bind(struct server *srv, struct entry **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct entry *e = v[i];
        if (e->listening || e->ctx == NULL)
            continue; /* an old entry kept as it is, or not servable */
        struct entry *old =
            find_entry(srv->entries, srv->n_entries, e->scenario->name);
        struct diag d;
        diag_clear(&d);
        if (old != NULL && old->listening && keeps_port(srv, e, old)) {
            /* Its socket is taken over at the commit; a companion that
             * is new, or on another port, is bound now. */
            if (wants_companion(srv, e) && !keeps_plain_port(srv, e, old) &&
                companion_listen(srv, e, &d) != 0) {
                log_refusal(&d);
                return -1;
            }
            continue;
        }
        if (entry_listen(srv, e, &d) != 0) {
            log_refusal(&d);
            return -1;
        }
    }
    return 0;
}

static bool contains(struct entry **v, size_t n,
                     const struct entry *e)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == e)
            return true;
    return false;
}

/* Undoes reload_entries and reload_bind: the new entries and their
 * sockets go, the old ones stay untouched. */
static void reload_discard(struct server *srv, struct entry **v,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (contains(srv->entries, srv->n_entries, v[i]))
            continue;
        unlisten(v[i]);
        entry_retire(v[i]);
    }
    free(v);
}

/* What a reload did, for its log line. */
struct reload_counts {
    size_t added, changed, removed, kept;
};

static struct reload_counts reload_commit(struct server *srv,
                                          struct entry **v, size_t n)
{
    size_t added = 0, changed = 0, kept = 0, removed = 0;
    for (size_t i = 0; i < n; i++) {
        struct entry *e = v[i];
        struct entry *old =
            find_entry(srv->entries, srv->n_entries, e->scenario->name);
        if (old == e) {
            kept++;
            continue;
        }
        old != NULL ? changed++ : added++;
        if (old != NULL && old->listening && !e->listening && e->ctx) {
            e->listener = old->listener; /* same port, same socket */
            listener_set_entry(e->listener, e);
            e->port = old->port;
            e->listening = true;
            old->listener = NULL;
            if (e->plain_listener == NULL && keeps_plain_port(srv, e, old)) {
                e->plain_listener = old->plain_listener; /* the companion */
                listener_set_entry(e->plain_listener, e);
                e->plain_port = old->plain_port;
                e->plain_listening = true;
                old->plain_listener = NULL;
                old->plain_listening = false;
            }
        }
    }
    for (size_t i = 0; i < srv->n_entries; i++) {
        struct entry *old = srv->entries[i];
        if (contains(v, n, old))
            continue;
        removed += find_entry(v, n, old->scenario->name) == NULL;
        retire(old);
    }
    free(srv->entries);
    srv->entries = v;
    srv->n_entries = n;
    srv->view.entries = v;
    srv->view.n_entries = n;
    srv->view.generation++;
    return (struct reload_counts){added, changed, removed, kept};
}

static void warn_line(void *arg, const char *msg)
{
    (void)arg;
    log_info("SIGHUP: %s", msg);
}

/* A reload is when an operator looks again: certificates out of the
 * dates their scenario says are reported as at start-up, and served. */
static void warn_dates(const struct server *srv)
{
    for (size_t i = 0; i < srv->n_entries; i++)
        if (srv->entries[i]->ctx != NULL)
            tlsio_check_dates(srv->opt.certs_dir, srv->entries[i]->scenario,
                              warn_line, NULL);
}

int server_reload(struct server *srv)
{
    struct entry **v = NULL;
    size_t n = 0;
    if (srv->draining || srv->stopping)
        return -1;
    if (reload_entries(srv, &v, &n) != 0 || reload_bind(srv, v, n) != 0) {
        if (v != NULL)
            reload_discard(srv, v, n);
        return -1;
    }
    struct reload_counts c = reload_commit(srv, v, n);
    /* Each worker takes the new set between two of its callbacks; the
     * old entries live on in their sockets and connections until then. */
    worker_reload_all(&srv->workers, srv->entries, srv->n_entries);
    warn_dates(srv);
    struct diag d;
    diag_clear(&d);
    if (srv->opt.ports_file != NULL && write_ports_file(srv, &d) != 0)
        log_info("SIGHUP: %s: %s", d.file, d.msg);
    /* Last: whoever waits for this line finds the ports file written. */
    log_info("SIGHUP: reloaded: %zu added, %zu changed, %zu removed, %zu "
             "unchanged; connections in progress finish as they began",
             c.added, c.changed, c.removed, c.kept);
    return 0;
}

static void on_reload_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    log_info("SIGHUP: re-reading the scenario files");
    server_reload(h->data);
}

/* The port e's key asks for, as the command line moves it. Returns 0,
 * or -1 with d filled at the scenario's file:line. */
static int resolve_port(const struct server *srv, const struct entry *e,
                        const char *key, int wanted, int *port,
                        struct diag *d)
{
    struct ports_rule rule = rule_of(srv);
    char why[128];
    if (ports_resolve(&rule, wanted, port) == 0)
        return 0;
    return diag_set(d, e->scenario->file, e->scenario->line, "%s",
                    ports_explain(why, sizeof(why), key, wanted, &rule));
}

/* Binds e on its port. Returns 0, or -1 with d filled. */
static int entry_listen(struct server *srv, struct entry *e,
                        struct diag *d)
{
    int port;
    if (resolve_port(srv, e, "port", e->scenario->port, &port, d) != 0)
        return -1;
    e->listener = listener_new(srv->loop, &srv->pool, e, srv->opt.bind, port,
                               srv->n_workers > 1 ? LISTENER_SHARE_FIRST
                                                  : LISTENER_ALONE,
                               d);
    if (e->listener == NULL)
        return -1;
    e->port = e->listener->port;
    e->listening = true;
    if (wants_companion(srv, e) && companion_listen(srv, e, d) != 0) {
        unlisten(e);
        return -1;
    }
    return 0;
}

/* Binds e's plain-HTTP companion. It is the primary loop's alone: the
 * few connections it gets need no share of the workers. Returns 0, or
 * -1 with d filled. */
static int companion_listen(struct server *srv, struct entry *e,
                            struct diag *d)
{
    int port;
    if (resolve_port(srv, e, "[http] plain_port", e->scenario->plain_port,
                     &port, d) != 0)
        return -1;
    e->plain_listener = listener_new(srv->loop, &srv->pool, e, srv->opt.bind,
                                     port, LISTENER_ALONE, d);
    if (e->plain_listener == NULL)
        return -1;
    e->plain_listener->plain = true;
    e->plain_port = e->plain_listener->port;
    e->plain_listening = true;
    return 0;
}

/* A drain ends with this loop's last connection. */
static void on_pool_empty(void *arg)
{
    struct server *srv = arg;
    if (!srv->draining || srv->stopping)
        return;
    log_info("drain: every connection finished; stopping");
    stop_self(srv);
}

static struct conn_limits limits_of(const struct server_options *o)
{
    struct conn_limits l = {
        .handshake_timeout_ms = o->handshake_timeout_ms,
        .idle_timeout_ms = o->idle_timeout_ms,
        .linger_ms = o->linger_ms,
        .max_stall_s = o->max_stall_s,
        .max_connections = o->max_connections,
        .max_client_hello = o->max_client_hello,
    };
    return l;
}

/* The primary's pool is the first of n_workers; its counter of open
 * connections is the one every loop shares. */
static void pool_init(struct server *srv, uv_loop_t *loop)
{
    struct conn_limits limits = limits_of(&srv->opt);
    srv->loop = loop;
    conn_pool_init(&srv->pool, loop, &limits, NULL, 0, srv->n_workers);
    srv->pool.on_empty = on_pool_empty;
    srv->pool.on_empty_arg = srv;
}

/* Every handle stop_self closes exists before anything can fail, so that
 * a failed start closes them like any other stop. */
static void init_handles(struct server *srv, uv_loop_t *loop)
{
    pool_init(srv, loop);
    uv_signal_init(loop, &srv->sigint);
    uv_signal_init(loop, &srv->sigterm);
    uv_signal_init(loop, &srv->sighup);
    uv_signal_init(loop, &srv->sigusr1);
    srv->sigint.data = srv->sigterm.data = srv->sighup.data = srv;
    srv->sigusr1.data = srv;
    uv_timer_init(loop, &srv->drain_timer);
    srv->drain_timer.data = srv;
}

int server_listen(struct server *srv, uv_loop_t *loop, struct diag *d)
{
    init_handles(srv, loop);
    for (size_t i = 0; i < srv->n_entries; i++)
        if (srv->entries[i]->ctx != NULL &&
            entry_listen(srv, srv->entries[i], d) != 0)
            return -1;
    if (start_dashboard(srv, loop, d) != 0)
        return -1;
    warn_if_exposed(srv->opt.bind);
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv->sighup, on_reload_signal, SIGHUP);
    uv_signal_start(&srv->sigusr1, on_stats, SIGUSR1);
    srv->worker_cfg = (struct worker_config){
        .bind = srv->opt.bind,
        .limits = srv->pool.limits,
        .drain_ms = srv->opt.drain_ms,
        .open_total = srv->pool.open_total,
        .n_loops = srv->n_workers,
    };
    if (worker_start_all(&srv->workers, srv->n_workers - 1, &srv->worker_cfg,
                         srv->entries, srv->n_entries, d) != 0)
        return -1;
    if (srv->opt.ports_file != NULL && write_ports_file(srv, d) != 0)
        return -1;
    return 0;
}

int server_run(struct server *srv)
{
    uv_run(srv->loop, UV_RUN_DEFAULT);
    worker_join_all(&srv->workers);
    return 0;
}

void server_free(struct server *srv)
{
    for (size_t i = 0; i < srv->n_entries; i++)
        entry_retire(srv->entries[i]);
    free(srv->entries);
    memset(srv, 0, sizeof(*srv));
}

