/*
 * The dashboard's HTTP side: one request per connection (the head is read,
 * one response is written, the connection is shut down), except /events,
 * which stays open and receives every trace event as it is logged. A
 * client that cannot keep up with the stream is dropped, never buffered
 * without bound.
 */
#include "dashboard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalogue.h"
#include "dashboard_page.h"
#include "http.h"
#include "listener.h"
#include "log.h"
#include "pki.h"

#define DASH_MAX_CLIENTS 256
#define DASH_STREAM_BACKLOG (512 * 1024) /* queued bytes before a drop */
#define DASH_READ_CHUNK 4096

struct dash_client {
    uv_tcp_t tcp;
    struct dashboard *dash;
    struct dash_client *prev, *next;
    struct buf in;
    bool streaming; /* /events */
    bool closing;
};

struct dash_write {
    uv_write_t req;
    struct buf data;
};

/* ---- clients ---------------------------------------------------------- */

static void on_client_closed(uv_handle_t *h)
{
    struct dash_client *c = h->data;
    struct dashboard *d = c->dash;
    if (c->prev)
        c->prev->next = c->next;
    else
        d->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    d->n_clients--;
    buf_free(&c->in);
    free(c);
}

static void client_close(struct dash_client *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_client_closed);
}

static void on_write_done(uv_write_t *req, int status)
{
    struct dash_write *w = (struct dash_write *)req;
    struct dash_client *c = req->handle->data;
    buf_free(&w->data);
    free(w);
    if (status < 0)
        client_close(c);
}

/* Queues the bytes of b (taken over, b is left empty). */
static void client_send(struct dash_client *c, struct buf *b)
{
    struct dash_write *w = calloc(1, sizeof(*w));
    if (w == NULL || c->closing) {
        free(w);
        buf_free(b);
        client_close(c);
        return;
    }
    buf_swap(&w->data, b);
    uv_buf_t ub = uv_buf_init((char *)buf_head(&w->data),
                              (unsigned)buf_pending(&w->data));
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, on_write_done) <
        0) {
        buf_free(&w->data);
        free(w);
        client_close(c);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    client_close(req->handle->data);
    free(req);
}

/* After the response: FIN once it is written, then close. */
static void client_finish(struct dash_client *c)
{
    uv_shutdown_t *req = malloc(sizeof(*req));
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (req == NULL ||
        uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        client_close(c);
    }
}

/* ---- responses -------------------------------------------------------- */

static void respond(struct dash_client *c, int status, const char *type,
                    struct buf *body)
{
    struct buf out;
    char head[512];
    buf_init(&out);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "Access-Control-Allow-Origin: *\r\n"
                     "Connection: close\r\n"
                     "\r\n",
                     status, http_reason(status), type, buf_pending(body));
    if (buf_append(&out, head, (size_t)n) != 0 ||
        buf_append(&out, buf_head(body), buf_pending(body)) != 0) {
        buf_free(&out);
        client_close(c);
        return;
    }
    client_send(c, &out);
    client_finish(c);
}

static void respond_text(struct dash_client *c, int status, const char *text)
{
    struct buf body;
    buf_init(&body);
    buf_append(&body, text, strlen(text));
    respond(c, status, "text/plain; charset=utf-8", &body);
    buf_free(&body);
}

static void serve_file(struct dash_client *c, const char *stem,
                       const char *ext, const char *type)
{
    const char *dir = c->dash->view->certs_dir;
    char path[1024], why[1200];
    struct buf body;
    buf_init(&body);
    if (pki_path(dir, stem, ext, path, sizeof(path)) != 0 ||
        pki_read(path, &body, why, sizeof(why)) != 0) {
        buf_reset(&body);
        snprintf(why, sizeof(why),
                 "%s/%s%s is missing: run scripts/gen-pki.sh\n", dir, stem,
                 ext);
        respond_text(c, 404, why);
    } else {
        respond(c, 200, type, &body);
    }
    buf_free(&body);
}

static void serve_catalogue(struct dash_client *c)
{
    struct buf body;
    buf_init(&body);
    if (catalogue_json(c->dash->view, &body) == 0)
        respond(c, 200, "application/json", &body);
    else
        respond_text(c, 500, "out of memory\n");
    buf_free(&body);
}

static void serve_page(struct dash_client *c)
{
    struct buf body;
    buf_init(&body);
    if (dashboard_page(c->dash->view, &body) == 0)
        respond(c, 200, "text/html; charset=utf-8", &body);
    else
        respond_text(c, 500, "out of memory\n");
    buf_free(&body);
}

static void start_stream(struct dash_client *c)
{
    static const char head[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream\r\n"
                               "Cache-Control: no-store\r\n"
                               "Access-Control-Allow-Origin: *\r\n"
                               "Connection: keep-alive\r\n"
                               "\r\n"
                               ": shakedown connection traces\n\n";
    struct buf out;
    buf_init(&out);
    if (buf_append(&out, head, sizeof(head) - 1) != 0) {
        client_close(c);
        return;
    }
    c->streaming = true;
    client_send(c, &out);
}

static void route(struct dash_client *c, const struct http_request *req)
{
    char path[256];
    snprintf(path, sizeof(path), "%s", req->target);
    path[strcspn(path, "?#")] = '\0';
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
        respond_text(c, 405, "only GET is served here\n");
    else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
        serve_page(c);
    else if (strcmp(path, "/scenarios.json") == 0)
        serve_catalogue(c);
    else if (strcmp(path, "/ca.pem") == 0)
        serve_file(c, "ca", ".pem", "application/x-pem-file");
    else if (strcmp(path, "/client.p12") == 0)
        serve_file(c, "client", ".p12", "application/x-pkcs12");
    else if (strcmp(path, "/events") == 0)
        start_stream(c);
    else
        respond_text(c, 404, "not found: try /, /scenarios.json, /ca.pem, "
                             "/client.p12 or /events\n");
}

/* ---- reading ---------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    struct dash_client *c = h->data;
    uint8_t *p = buf_reserve(&c->in, DASH_READ_CHUNK);
    (void)hint;
    *out = uv_buf_init((char *)p, p ? DASH_READ_CHUNK : 0);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct dash_client *c = s->data;
    struct http_request req;
    (void)b;
    if (n < 0) {
        client_close(c);
        return;
    }
    buf_commit(&c->in, (size_t)n);
    if (c->streaming) { /* a stream's client has nothing more to say */
        buf_reset(&c->in);
        return;
    }
    switch (http_parse(buf_head(&c->in), buf_pending(&c->in), &req)) {
    case HTTP_NEED_MORE: return;
    case HTTP_BAD: respond_text(c, 400, "bad request\n"); return;
    case HTTP_COMPLETE: route(c, &req); return;
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct dashboard *d = server->data;
    if (status < 0)
        return;
    struct dash_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->dash = d;
    buf_init(&c->in);
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    c->next = d->clients;
    if (d->clients)
        d->clients->prev = c;
    d->clients = c;
    d->n_clients++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        d->n_clients > DASH_MAX_CLIENTS) {
        client_close(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- the event stream ------------------------------------------------- */

/* Sends one "data: ...\n\n" frame to every stream. */
static void broadcast(struct dashboard *d, const uint8_t *frame, size_t len)
{
    for (struct dash_client *c = d->clients; c != NULL; c = c->next) {
        if (!c->streaming || c->closing)
            continue;
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >
            DASH_STREAM_BACKLOG) {
            client_close(c); /* too slow to follow */
            continue;
        }
        struct buf out;
        buf_init(&out);
        if (buf_append(&out, frame, len) != 0) {
            buf_free(&out);
            client_close(c);
            continue;
        }
        client_send(c, &out);
    }
}

static int frame(struct buf *b, const char *json, size_t len)
{
    if (buf_append(b, "data: ", 6) != 0 || buf_append(b, json, len) != 0 ||
        buf_append(b, "\n\n", 2) != 0)
        return -1;
    return 0;
}

/* Frames that worker threads queued, sent from the dashboard's loop. */
static void on_async(uv_async_t *h)
{
    struct dashboard *d = h->data;
    struct buf frames;
    buf_init(&frames);
    uv_mutex_lock(&d->lock);
    buf_swap(&frames, &d->pending);
    uv_mutex_unlock(&d->lock);
    if (buf_pending(&frames) > 0)
        broadcast(d, buf_head(&frames), buf_pending(&frames));
    buf_free(&frames);
}

/* The log's sink: any thread, never concurrently (the log holds a lock). */
static void on_event(void *arg, const char *json, size_t len)
{
    struct dashboard *d = arg;
    uv_thread_t self = uv_thread_self();
    if (uv_thread_equal(&self, &d->thread)) {
        struct buf b;
        buf_init(&b);
        if (frame(&b, json, len) == 0)
            broadcast(d, buf_head(&b), buf_pending(&b));
        buf_free(&b);
        return;
    }
    uv_mutex_lock(&d->lock);
    /* A dashboard nobody reads keeps at most one backlog's worth. */
    if (buf_pending(&d->pending) < DASH_STREAM_BACKLOG)
        frame(&d->pending, json, len);
    uv_mutex_unlock(&d->lock);
    uv_async_send(&d->async);
}

/* ---- the listener ----------------------------------------------------- */

int dashboard_start(struct dashboard *d, const struct catalogue_view *view,
                    uv_loop_t *loop,
                    const char *addr, int port, struct diag *diag)
{
    struct sockaddr_storage ss;
    memset(d, 0, sizeof(*d));
    d->view = view;
    if (listener_resolve(addr, port, &ss) != 0)
        return diag_set(diag, NULL, 0, "--bind %s: not an IP address", addr);
    int rc = listener_bind(loop, &d->tcp, &ss, LISTENER_ALONE, on_connection,
                           &d->port);
    d->tcp.data = d;
    if (rc != 0) {
        uv_close((uv_handle_t *)&d->tcp, NULL); /* done as the loop runs */
        return diag_set(diag, NULL, 0,
                        "dashboard: cannot listen on %s port %d: %s%s; choose "
                        "another with --dashboard-port N, move every port "
                        "with --port-offset N, use --ephemeral-ports, or "
                        "--no-dashboard",
                        addr, port, uv_strerror(rc), listener_hint(rc));
    }
    bool v6 = ss.ss_family == AF_INET6;
    snprintf(d->url, sizeof(d->url), v6 ? "http://[%s]:%d/" : "http://%s:%d/",
             addr, d->port);
    d->listening = true;
    d->thread = uv_thread_self();
    uv_mutex_init(&d->lock);
    buf_init(&d->pending);
    uv_async_init(loop, &d->async, on_async);
    d->async.data = d;
    log_set_sink(on_event, d);
    return 0;
}

static void on_async_closed(uv_handle_t *h)
{
    struct dashboard *d = h->data;
    buf_free(&d->pending);
    uv_mutex_destroy(&d->lock);
}

void dashboard_stop_accepting(struct dashboard *d)
{
    if (d->listening && !uv_is_closing((uv_handle_t *)&d->tcp))
        uv_close((uv_handle_t *)&d->tcp, NULL);
}

void dashboard_stop(struct dashboard *d)
{
    if (!d->listening)
        return;
    dashboard_stop_accepting(d);
    log_set_sink(NULL, NULL); /* no event arrives after this */
    for (struct dash_client *c = d->clients; c != NULL; c = c->next)
        client_close(c);
    uv_close((uv_handle_t *)&d->async, on_async_closed);
    d->listening = false;
}
