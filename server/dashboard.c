/*
 * The dashboard's HTTP side. A connection carries requests one after the
 * other (HTTP/1.1 keep-alive; a pipelined request is read once the answer
 * before it is written), each head within the header timeout, each pause
 * within the keep-alive timeout. /events turns the connection into a
 * stream that receives every trace event.
 *
 * The events reach the streams as shared blocks: the frames logged during
 * DASH_FLUSH_MS become one block in a list that every stream writes from
 * its own cursor, and a block is freed once the last stream has written
 * it, or closed, wherever it is in the list. A stream that falls
 * DASHBOARD_STREAM_BACKLOG bytes behind is closed, so the list never holds
 * more than about that per stream, however many viewers there are and
 * however slowly they read.
 */
#include "dashboard.h"

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

#define DASH_READ_CHUNK 4096
#define DASH_WRITE_BLOCKS 16   /* blocks one stream write takes at most */
#define DASH_FLUSH_MS 10       /* events wait at most this for a batch */
#define DASH_FLUSH_BYTES (128 * 1024) /* or until there are this many */
#define DASH_HEARTBEAT_MS 15000
#define DASH_RETRY_AFTER_S 5   /* for a stream refused at the cap */
#define DASH_REPEAT_LOG_MS 60000 /* a repeated line: once a minute */

/* Shared, reference-counted bytes: a batch of stream frames, or a
 * response body (the page goes to every client from one block). */
struct dash_block {
    struct dash_block *prev, *next; /* in the stream's list */
    unsigned refs;
    bool in_stream; /* unlinked from the stream's list at refs 0 */
    size_t len;
    uint8_t data[];
};

enum dash_state {
    DASH_HEAD,    /* reading a request head */
    DASH_WRITING, /* a response is being written; not reading */
    DASH_IDLE,    /* kept alive, waiting for the next request */
    DASH_STREAM   /* /events */
};

struct dash_client {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct dashboard *dash;
    struct dash_client *prev, *next; /* in dash->idle or dash->streams */
    struct dash_list *list;          /* which; NULL once closing */
    int handles;                     /* open: freed at 0 */
    enum dash_state state;
    struct buf in;
    bool keep;    /* another request may follow this response */
    bool no_body; /* the request was HEAD */
    bool writing; /* the write below is in flight */
    uv_write_t write;
    uv_buf_t bufs[DASH_WRITE_BLOCKS];
    char head[512];
    struct dash_block *body; /* the response's body, held */
    /* A stream's place: the oldest block it holds (in flight or still to
     * write; NULL when it has written everything), how many of them the
     * write in flight has, and the bytes held. */
    struct dash_block *cursor;
    struct dash_block *newest; /* the last block it holds */
    size_t offset;    /* of the cursor block, written already */
    size_t in_flight; /* bytes the write in flight takes */
    size_t behind;    /* bytes held and not written */
};

/* ---- blocks ----------------------------------------------------------- */

static struct dash_block *block_new(const void *data, size_t len)
{
    struct dash_block *b = malloc(sizeof(*b) + len);
    if (b == NULL)
        return NULL;
    b->prev = b->next = NULL;
    b->refs = 1;
    b->in_stream = false;
    b->len = len;
    memcpy(b->data, data, len);
    return b;
}

/* A stream block whose last reference went leaves the list. It need not
 * be the oldest: a stream that closed still holds older blocks until its
 * handles have closed, and the blocks the others wrote meanwhile must not
 * wait for it. Every block between a stream's cursor and its newest is
 * one it holds, so unlinking never breaks a stream's walk. */
static void stream_unlink(struct dashboard *d, struct dash_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        d->first = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        d->last = b->prev;
    d->held -= b->len;
    free(b);
}

static void block_release(struct dashboard *d, struct dash_block *b)
{
    if (b == NULL || --b->refs > 0)
        return;
    if (b->in_stream)
        stream_unlink(d, b);
    else
        free(b);
}

/* The block after b that c holds: a closed stream holds none of the
 * blocks appended after it closed. */
static struct dash_block *held_after(const struct dash_client *c,
                                     const struct dash_block *b)
{
    return b == c->newest ? NULL : b->next;
}

/* ---- lists ------------------------------------------------------------ */

static void list_remove(struct dash_client *c)
{
    struct dash_list *l = c->list;
    if (l == NULL)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->first = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->last = c->prev;
    c->prev = c->next = NULL;
    c->list = NULL;
    l->n--;
}

static void list_append(struct dash_list *l, struct dash_client *c)
{
    c->prev = l->last;
    c->next = NULL;
    if (l->last)
        l->last->next = c;
    else
        l->first = c;
    l->last = c;
    c->list = l;
    l->n++;
}

static size_t n_clients(const struct dashboard *d)
{
    return d->idle.n + d->streams.n;
}

/* The client did something: it is now the least idle. */
static void touch(struct dash_client *c)
{
    if (c->list == &c->dash->idle) {
        list_remove(c);
        list_append(&c->dash->idle, c);
    }
}

/* ---- closing ---------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    struct dash_client *c = h->data;
    if (--c->handles > 0)
        return;
    /* Write callbacks (cancelled ones too) have all run by now. */
    block_release(c->dash, c->body);
    for (struct dash_block *b = c->cursor, *next; b != NULL; b = next) {
        next = held_after(c, b);
        block_release(c->dash, b);
    }
    buf_free(&c->in);
    free(c);
}

static void client_close(struct dash_client *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    list_remove(c);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static bool closing(const struct dash_client *c)
{
    return c->list == NULL;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    client_close(req->handle->data);
    free(req);
}

/* After the last response: FIN, then close. */
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

/* ---- timers ----------------------------------------------------------- */

static void respond_text(struct dash_client *c, int status, const char *text);

static void on_timer(uv_timer_t *t)
{
    struct dash_client *c = t->data;
    if (c->state == DASH_HEAD) {
        c->keep = false;
        respond_text(c, 408,
                     "the request head did not arrive in time "
                     "(--dashboard-header-timeout)\n");
    } else {
        client_close(c); /* kept alive too long, or not reading */
    }
}

static void arm(struct dash_client *c, uint64_t ms)
{
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- writing ---------------------------------------------------------- */

static void stream_write(struct dash_client *c);
static void next_request(struct dash_client *c);

/* n more bytes of the stream are written: the blocks they complete go. */
static void stream_advance(struct dash_client *c, size_t n)
{
    c->behind -= n;
    n += c->offset;
    while (c->cursor != NULL && n >= c->cursor->len) {
        struct dash_block *b = c->cursor;
        n -= b->len;
        c->cursor = held_after(c, b);
        block_release(c->dash, b);
    }
    c->offset = n;
}

static void on_write_done(uv_write_t *req, int status)
{
    struct dash_client *c = req->data;
    c->writing = false;
    block_release(c->dash, c->body);
    c->body = NULL;
    if (status < 0) { /* what it holds goes when it has closed */
        client_close(c);
        return;
    }
    stream_advance(c, c->in_flight);
    c->in_flight = 0;
    if (closing(c))
        return;
    if (c->state == DASH_STREAM)
        stream_write(c);
    else if (c->keep)
        next_request(c);
    else
        client_finish(c);
}

/* Writes bufs[0..n); the client is closed when libuv refuses. */
static void client_write(struct dash_client *c, unsigned n)
{
    c->write.data = c;
    c->writing = true;
    if (uv_write(&c->write, (uv_stream_t *)&c->tcp, c->bufs, n,
                 on_write_done) != 0) {
        c->writing = false;
        client_close(c);
    }
}

/* The stream's unwritten bytes into bufs, a few blocks of them; returns
 * how many buffers, their bytes in *total. */
static unsigned stream_bufs(struct dash_client *c, size_t *total)
{
    unsigned n = 0;
    size_t skip = c->offset;
    *total = 0;
    for (const struct dash_block *b = c->cursor;
         b != NULL && n < DASH_WRITE_BLOCKS; b = held_after(c, b)) {
        c->bufs[n++] =
            uv_buf_init((char *)b->data + skip, (unsigned)(b->len - skip));
        *total += b->len - skip;
        skip = 0;
    }
    return n;
}

/* A stream writes what it holds: as much as the socket takes at once,
 * the rest in one queued write. So "behind" counts only what the kernel
 * would not take, whatever the loop does meanwhile. */
static void stream_write(struct dash_client *c)
{
    size_t total;
    unsigned n;
    if (c->writing || closing(c))
        return;
    while ((n = stream_bufs(c, &total)) > 0) {
        int w = uv_try_write((uv_stream_t *)&c->tcp, c->bufs, n);
        if (w == UV_EAGAIN || w == UV_ENOSYS)
            w = 0;
        if (w < 0) {
            client_close(c);
            return;
        }
        stream_advance(c, (size_t)w);
        if ((size_t)w < total)
            break;
    }
    if (n == 0)
        return;
    n = stream_bufs(c, &total);
    c->in_flight = total;
    client_write(c, n);
}

/* ---- responses -------------------------------------------------------- */

/* Writes the head and (not for HEAD) body, a block taken over. */
static void respond_block(struct dash_client *c, int status, const char *type,
                          struct dash_block *body, const char *extra)
{
    int n = snprintf(c->head, sizeof(c->head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "Access-Control-Allow-Origin: *\r\n"
                     "%s"
                     "Connection: %s\r\n"
                     "\r\n",
                     status, http_reason(status), type,
                     body ? body->len : 0, extra ? extra : "",
                     c->keep ? "keep-alive" : "close");
    c->state = DASH_WRITING;
    uv_read_stop((uv_stream_t *)&c->tcp);
    arm(c, c->dash->limits.keepalive_ms);
    c->bufs[0] = uv_buf_init(c->head, (unsigned)n);
    unsigned nb = 1;
    if (body != NULL && body->len > 0 && !c->no_body)
        c->bufs[nb++] = uv_buf_init((char *)body->data, (unsigned)body->len);
    c->body = body;
    client_write(c, nb);
}

static void respond_text(struct dash_client *c, int status, const char *text)
{
    struct dash_block *b = block_new(text, strlen(text));
    if (b == NULL) {
        client_close(c);
        return;
    }
    respond_block(c, status, "text/plain; charset=utf-8", b, NULL);
}

/* The page or the catalogue: made once for each generation of the
 * catalogue (a reload makes a new one), then shared. */
static struct dash_block *cached(struct dashboard *d, struct dash_block **slot,
                                 int (*make)(const struct catalogue_view *,
                                             struct buf *))
{
    if (d->cached_generation != d->view->generation) {
        block_release(d, d->page);
        block_release(d, d->catalogue);
        d->page = d->catalogue = NULL;
        d->cached_generation = d->view->generation;
    }
    if (*slot == NULL) {
        struct buf b;
        buf_init(&b);
        if (make(d->view, &b) == 0)
            *slot = block_new(buf_head(&b), buf_pending(&b));
        buf_free(&b);
        if (*slot == NULL)
            return NULL;
    }
    (*slot)->refs++;
    return *slot;
}

static void serve_cached(struct dash_client *c, struct dash_block **slot,
                         int (*make)(const struct catalogue_view *,
                                     struct buf *),
                         const char *type)
{
    struct dash_block *b = cached(c->dash, slot, make);
    if (b == NULL) {
        c->keep = false;
        respond_text(c, 500, "out of memory\n");
        return;
    }
    respond_block(c, 200, type, b, NULL);
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
        snprintf(why, sizeof(why),
                 "%s/%s%s is missing: run scripts/gen-pki.sh\n", dir, stem,
                 ext);
        respond_text(c, 404, why);
    } else {
        struct dash_block *b = block_new(buf_head(&body), buf_pending(&body));
        if (b == NULL)
            client_close(c);
        else
            respond_block(c, 200, type, b, NULL);
    }
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
    struct dashboard *d = c->dash;
    if (d->streams.n >= d->limits.max_streams) {
        char extra[64];
        snprintf(extra, sizeof(extra), "Retry-After: %d\r\n",
                 DASH_RETRY_AFTER_S);
        c->keep = false;
        static const char full[] =
            "the dashboard already serves its maximum of event streams "
            "(--dashboard-max-streams): try again shortly\n";
        struct dash_block *b = block_new(full, sizeof(full) - 1);
        if (b == NULL) {
            client_close(c);
            return;
        }
        respond_block(c, 503, "text/plain; charset=utf-8", b, extra);
        return;
    }
    if (c->no_body) { /* HEAD: whether a stream would start, no stream */
        c->keep = false;
        respond_block(c, 200, "text/event-stream", NULL, NULL);
        return;
    }
    uv_timer_stop(&c->timer); /* a stream has no deadline */
    list_remove(c);
    list_append(&d->streams, c);
    c->state = DASH_STREAM;
    c->bufs[0] = uv_buf_init((char *)head, sizeof(head) - 1);
    client_write(c, 1);
}

static void route(struct dash_client *c, const struct http_request *req)
{
    struct dashboard *d = c->dash;
    char path[256];
    snprintf(path, sizeof(path), "%s", req->target);
    path[strcspn(path, "?#")] = '\0';
    c->no_body = strcmp(req->method, "HEAD") == 0;
    if (strcmp(req->method, "GET") != 0 && !c->no_body) {
        c->keep = false;
        respond_text(c, 405, "only GET and HEAD are served here\n");
    } else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        serve_cached(c, &d->page, dashboard_page, "text/html; charset=utf-8");
    } else if (strcmp(path, "/scenarios.json") == 0) {
        serve_cached(c, &d->catalogue, catalogue_json, "application/json");
    } else if (strcmp(path, "/ca.pem") == 0) {
        serve_file(c, "ca", ".pem", "application/x-pem-file");
    } else if (strcmp(path, "/client.p12") == 0) {
        serve_file(c, "client", ".p12", "application/x-pkcs12");
    } else if (strcmp(path, "/events") == 0) {
        start_stream(c);
    } else {
        respond_text(c, 404, "not found: try /, /scenarios.json, /ca.pem, "
                             "/client.p12 or /events\n");
    }
}

/* ---- reading ---------------------------------------------------------- */

/* Answers the request head in c->in once it is whole. */
static void take_request(struct dash_client *c)
{
    struct http_request req;
    switch (http_parse(buf_head(&c->in), buf_pending(&c->in), &req)) {
    case HTTP_NEED_MORE: return;
    case HTTP_TOO_LARGE:
        c->keep = false;
        respond_text(c, 431, "the request head is over 16 KiB\n");
        return;
    case HTTP_BAD:
        c->keep = false;
        respond_text(c, 400, "bad request\n");
        return;
    case HTTP_COMPLETE: break;
    }
    buf_consume(&c->in, req.head_len);
    c->keep = http_persistent(&req);
    route(c, &req);
}

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
    (void)b;
    if (n < 0) {
        client_close(c);
        return;
    }
    buf_commit(&c->in, (size_t)n);
    if (n == 0)
        return;
    if (c->state == DASH_STREAM) { /* a stream's client has nothing to say */
        buf_reset(&c->in);
        return;
    }
    touch(c);
    if (c->state == DASH_IDLE) {
        c->state = DASH_HEAD;
        arm(c, c->dash->limits.header_timeout_ms);
    }
    take_request(c);
}

/* The response is written and the connection persists: the next request
 * may already be here (pipelined). */
static void next_request(struct dash_client *c)
{
    touch(c);
    c->body = NULL;
    if (buf_pending(&c->in) > 0) {
        c->state = DASH_HEAD;
        arm(c, c->dash->limits.header_timeout_ms);
    } else {
        c->state = DASH_IDLE;
        arm(c, c->dash->limits.keepalive_ms);
    }
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        client_close(c);
        return;
    }
    take_request(c);
}

/* Whether a line that may repeat, last logged at *last, is due again. */
static bool log_due(struct dashboard *d, uint64_t *last)
{
    uint64_t now = uv_now(d->loop);
    if (*last != 0 && now - *last < DASH_REPEAT_LOG_MS)
        return false;
    *last = now ? now : 1;
    return true;
}

/* The table is full: the longest-idle client that is not a stream makes
 * room. Logged once a minute at most, with how many went. */
static bool make_room(struct dashboard *d)
{
    struct dash_client *victim = d->idle.first;
    if (victim == NULL)
        return false;
    client_close(victim);
    d->evicted++;
    if (log_due(d, &d->full_logged))
        log_info("dashboard: %zu connections held (--dashboard-max-clients): "
                 "closed the longest-idle to make room (%zu so far)",
                 d->limits.max_clients, d->evicted);
    return true;
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
    uv_timer_init(server->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    c->state = DASH_HEAD;
    bool room = n_clients(d) < d->limits.max_clients || make_room(d);
    list_append(&d->idle, c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || !room ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        client_close(c);
        return;
    }
    /* Batches and responses go out whole: waiting for the viewer's
     * delayed ACK (Nagle) would add some 40 ms to every event. */
    uv_tcp_nodelay(&c->tcp, 1);
    arm(c, d->limits.header_timeout_ms);
}

/* ---- the event stream ------------------------------------------------- */

/* A stream too slow to follow: closed, its blocks go. Not logged here:
 * this may run inside the log's sink, under the log's lock. */
static void drop_stream(struct dash_client *c)
{
    client_close(c);
    c->dash->dropped++;
}

/* The streams dropped since the last line, outside the log's sink. */
static void report_drops(struct dashboard *d)
{
    if (d->dropped > d->dropped_reported &&
        log_due(d, &d->dropped_logged)) {
        log_info("dashboard: an event stream fell over %d KiB behind and "
                 "was closed (%zu so far); a browser reconnects by itself",
                 DASHBOARD_STREAM_BACKLOG / 1024, d->dropped);
        d->dropped_reported = d->dropped;
    }
}

/* The frames in data become one block that every stream writes; a stream
 * that this puts too far behind is closed. */
static void stream_append(struct dashboard *d, const uint8_t *data,
                          size_t len)
{
    if (d->streams.n == 0 || len == 0)
        return;
    struct dash_block *b = block_new(data, len);
    if (b == NULL)
        return; /* the streams miss a batch; the next one may fit */
    b->in_stream = true;
    /* Every stream's reference at once: the first to write it must not
     * free it before the others have taken theirs. */
    b->refs = (unsigned)d->streams.n;
    b->prev = d->last;
    if (d->last)
        d->last->next = b;
    else
        d->first = b;
    d->last = b;
    d->held += len;
    if (d->held > d->held_peak)
        d->held_peak = d->held;
    for (struct dash_client *c = d->streams.first, *next; c != NULL;
         c = next) {
        next = c->next;
        if (c->cursor == NULL)
            c->cursor = b;
        c->newest = b;
        c->behind += len;
        stream_write(c);
        if (c->behind > DASHBOARD_STREAM_BACKLOG && !closing(c))
            drop_stream(c);
    }
}

static int frame(struct buf *b, const char *json, size_t len)
{
    if (buf_append(b, "data: ", 6) != 0 || buf_append(b, json, len) != 0 ||
        buf_append(b, "\n\n", 2) != 0)
        return -1;
    return 0;
}

/* What the loggers queued goes out as one block. */
static void flush(struct dashboard *d)
{
    struct buf frames;
    size_t lost;
    buf_init(&frames);
    uv_mutex_lock(&d->lock);
    buf_swap(&frames, &d->pending);
    lost = d->lost;
    d->lost = 0;
    uv_mutex_unlock(&d->lock);
    if (lost > 0) {
        char note[96];
        int n = snprintf(note, sizeof(note),
                         "event: lost\ndata: {\"lost\":%zu}\n\n", lost);
        buf_append(&frames, note, (size_t)n);
    }
    d->flushed_at = uv_now(d->loop);
    stream_append(d, buf_head(&frames), buf_pending(&frames));
    buf_free(&frames);
}

static void on_flush_timer(uv_timer_t *t)
{
    flush(t->data);
    report_drops(t->data);
}

/* Events arrived: out now when the last batch is DASH_FLUSH_MS old, else
 * when it will be, so that a busy trace costs a write per stream per
 * DASH_FLUSH_MS rather than one per event. */
static void on_async(uv_async_t *h)
{
    struct dashboard *d = h->data;
    report_drops(d);
    if (uv_is_active((uv_handle_t *)&d->flush_timer))
        return;
    uint64_t since = uv_now(d->loop) - d->flushed_at;
    if (since >= DASH_FLUSH_MS)
        flush(d);
    else
        uv_timer_start(&d->flush_timer, on_flush_timer, DASH_FLUSH_MS - since,
                       0);
}

static void on_heartbeat(uv_timer_t *t)
{
    static const char beat[] = ":\n\n";
    struct dashboard *d = t->data;
    stream_append(d, (const uint8_t *)beat, sizeof(beat) - 1);
    report_drops(d);
}

/* The log's sink: any thread, never concurrently (the log holds a lock).
 * The dashboard's own loop goes through the queue too, so that its events
 * are batched like the others; but when its loop is busy serving
 * scenarios, a batch of DASH_FLUSH_BYTES goes out at once rather than
 * wait for the loop to come round to the timer. */
static void on_event(void *arg, const char *json, size_t len)
{
    struct dashboard *d = arg;
    uv_thread_t self = uv_thread_self();
    bool own = uv_thread_equal(&self, &d->thread);
    uv_mutex_lock(&d->lock);
    if (buf_pending(&d->pending) + len + 8 <= DASHBOARD_STREAM_BACKLOG)
        frame(&d->pending, json, len);
    else
        d->lost++;
    bool now = own && buf_pending(&d->pending) >= DASH_FLUSH_BYTES;
    uv_mutex_unlock(&d->lock);
    if (now)
        flush(d);
    else
        uv_async_send(&d->async);
}

size_t dashboard_stream_bytes(const struct dashboard *d)
{
    return d->held;
}

size_t dashboard_stream_peak(const struct dashboard *d)
{
    return d->held_peak;
}

/* ---- the listener ----------------------------------------------------- */

int dashboard_start(struct dashboard *d, const struct catalogue_view *view,
                    const struct dashboard_limits *limits, uv_loop_t *loop,
                    const char *addr, int port, struct diag *diag)
{
    struct sockaddr_storage ss;
    memset(d, 0, sizeof(*d));
    d->view = view;
    d->limits = *limits;
    d->loop = loop;
    d->cached_generation = view->generation;
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
    uv_timer_init(loop, &d->flush_timer);
    d->flush_timer.data = d;
    uv_timer_init(loop, &d->heartbeat);
    d->heartbeat.data = d;
    uv_timer_start(&d->heartbeat, on_heartbeat, DASH_HEARTBEAT_MS,
                   DASH_HEARTBEAT_MS);
    uv_unref((uv_handle_t *)&d->heartbeat);
    log_set_sink(on_event, d);
    return 0;
}

/* The last of the three handles below frees what the dashboard holds. */
static void on_part_closed(uv_handle_t *h)
{
    struct dashboard *d = h->data;
    if (h != (uv_handle_t *)&d->async)
        return;
    buf_free(&d->pending);
    uv_mutex_destroy(&d->lock);
    block_release(d, d->page);
    block_release(d, d->catalogue);
    d->page = d->catalogue = NULL;
}

void dashboard_stop_accepting(struct dashboard *d)
{
    if (d->listening && !uv_is_closing((uv_handle_t *)&d->tcp))
        uv_close((uv_handle_t *)&d->tcp, NULL);
}

static void close_all(struct dash_list *l)
{
    while (l->first != NULL)
        client_close(l->first); /* takes it off the list */
}

void dashboard_stop(struct dashboard *d)
{
    if (!d->listening)
        return;
    dashboard_stop_accepting(d);
    log_set_sink(NULL, NULL); /* no event arrives after this */
    close_all(&d->idle);
    close_all(&d->streams);
    uv_close((uv_handle_t *)&d->flush_timer, on_part_closed);
    uv_close((uv_handle_t *)&d->heartbeat, on_part_closed);
    uv_close((uv_handle_t *)&d->async, on_part_closed);
    d->listening = false;
}
