/*
 * The connection on a real libuv loop, without the server module: a pool,
 * an entry built from a scenario held here, a listener on 127.0.0.1:0 and a
 * blocking client in a thread. One test per way a connection can end, each
 * checked in the trace's closed and verdict events and on the client side.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "conn.h"
#include "entry.h"
#include "log.h"
#include "scenario.h"
#include "tlsio.h"

/* No test may take longer than this: the guard timer fails it. */
#ifndef GUARD_MS
#define GUARD_MS 10000
#endif
/* The client's bound on connect and on each read or write. */
#define CLIENT_TIMEOUT_S 5
#define MAX_EVENTS 256

/* A scenario like valid.ini; each test appends its own sections. */
#define SCENARIO_HEAD                                                          \
    "[scenario]\n"                                                             \
    "name     = conn-test\n"                                                   \
    "title    = A connection under test\n"                                     \
    "category = control\n"                                                     \
    "port     = 0\n"                                                           \
    "explain  = Built by tests/unit/test_conn.c.\n"                            \
    "[tls]\n"                                                                  \
    "versions = 1.2-1.3\n"                                                     \
    "cert     = leaf\n"                                                        \
    "key      = leaf\n"                                                        \
    "chain    = intermediate\n"

static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/* ---- the client ------------------------------------------------------- */

enum client_kind {
    CLIENT_HTTPS,       /* handshake, GET /, read to the end */
    CLIENT_WAIT,        /* connect n_sockets, send nothing, read each */
    CLIENT_HELLO_RESET, /* send a ClientHello, read a little, then RST */
    CLIENT_FIN          /* connect and close */
};

/* What the client thread is to do and what it saw. It never asserts:
 * cmocka's failures jump, and only the test's own thread may jump. */
struct client {
    enum client_kind kind;
    int port;
    int n_sockets;
    const uint8_t *hello;
    size_t hello_len;

    const char *failed; /* the step that failed; NULL: none */
    int failed_errno;
    ssize_t recv_rc[2];
    int recv_errno[2];
    uint64_t waited_ms; /* from the first send (or connect) to the reads */
    char response[8192];
    size_t response_len;
    int tls_error; /* what ended the reads (CLIENT_HTTPS) */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void client_fail(struct client *cl, const char *what)
{
    if (cl->failed == NULL) {
        cl->failed = what;
        cl->failed_errno = errno;
    }
}

/* A blocking TCP connection to 127.0.0.1:port, or -1. */
static int client_dial(struct client *cl)
{
    struct sockaddr_in a;
    struct timeval tv = {CLIENT_TIMEOUT_S, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        client_fail(cl, "socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)cl->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        client_fail(cl, "connect");
        close(fd);
        return -1;
    }
    return fd;
}

static void client_https(struct client *cl)
{
    WOLFSSL_CTX *ctx = NULL;
    WOLFSSL *ssl = NULL;
    int fd = -1, ret;
    ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
    if (ctx == NULL || wolfSSL_CTX_load_verify_locations(
                           ctx, "certs/ca.pem", NULL) != WOLFSSL_SUCCESS) {
        client_fail(cl, "load certs/ca.pem");
        goto done;
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    if ((fd = client_dial(cl)) < 0)
        goto done;
    ssl = wolfSSL_new(ctx);
    if (ssl == NULL || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS ||
        wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, "localhost", 9) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_check_domain_name(ssl, "localhost") != WOLFSSL_SUCCESS) {
        client_fail(cl, "wolfSSL session");
        goto done;
    }
    if ((ret = wolfSSL_connect(ssl)) != WOLFSSL_SUCCESS) {
        cl->tls_error = wolfSSL_get_error(ssl, ret);
        client_fail(cl, "handshake");
        goto done;
    }
    if (wolfSSL_write(ssl, request, (int)strlen(request)) !=
        (int)strlen(request)) {
        client_fail(cl, "write the request");
        goto done;
    }
    for (;;) {
        size_t room = sizeof(cl->response) - 1 - cl->response_len;
        ret = wolfSSL_read(ssl, cl->response + cl->response_len,
                           room > 0 ? (int)room : 1);
        if (ret <= 0 || room == 0) {
            cl->tls_error = wolfSSL_get_error(ssl, ret);
            break;
        }
        cl->response_len += (size_t)ret;
    }
    cl->response[cl->response_len] = '\0';
    wolfSSL_shutdown(ssl);
done:
    if (ssl != NULL)
        wolfSSL_free(ssl);
    if (ctx != NULL)
        wolfSSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
}

/* Idle connections: each read ends in whatever the server does to it. */
static void client_wait(struct client *cl)
{
    int fds[2] = {-1, -1};
    char byte;
    for (int i = 0; i < cl->n_sockets && i < 2; i++)
        if ((fds[i] = client_dial(cl)) < 0)
            goto done;
    uint64_t start = now_ms();
    for (int i = 0; i < cl->n_sockets && i < 2; i++) {
        errno = 0;
        cl->recv_rc[i] = recv(fds[i], &byte, 1, 0);
        cl->recv_errno[i] = errno;
    }
    cl->waited_ms = now_ms() - start;
done:
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* A real ClientHello, then three bytes of the dripped flight one by one,
 * then an abortive close (SO_LINGER 0: RST). */
static void client_hello_reset(struct client *cl)
{
    struct linger lg = {1, 0};
    uint8_t got[3];
    size_t n = 0;
    int fd = client_dial(cl);
    if (fd < 0)
        return;
    if (send(fd, cl->hello, cl->hello_len, 0) != (ssize_t)cl->hello_len) {
        client_fail(cl, "send the ClientHello");
        goto done;
    }
    uint64_t start = now_ms();
    while (n < sizeof(got)) {
        errno = 0;
        ssize_t r = recv(fd, got + n, sizeof(got) - n, 0);
        cl->recv_rc[0] = r;
        cl->recv_errno[0] = errno;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    cl->waited_ms = now_ms() - start;
    memcpy(cl->response, got, n);
    cl->response_len = n;
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
        client_fail(cl, "SO_LINGER");
done:
    close(fd);
}

static void client_fin(struct client *cl)
{
    int fd = client_dial(cl);
    if (fd >= 0)
        close(fd);
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    switch (cl->kind) {
    case CLIENT_HTTPS: client_https(cl); break;
    case CLIENT_WAIT: client_wait(cl); break;
    case CLIENT_HELLO_RESET: client_hello_reset(cl); break;
    case CLIENT_FIN: client_fin(cl); break;
    }
    return NULL;
}

/* ---- the rig: loop, listener, pool, entry, trace -------------------- */

struct rig {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_timer_t guard; /* fails the test instead of letting it hang */
    uv_timer_t kick;  /* the abort, once abort_at connections are open */
    bool loop_open, handles_open, stopping, guard_fired;
    struct conn_pool pool;
    struct entry *entry;
    size_t entry_refs; /* the entry's own, before any connection */
    size_t abort_at;   /* 0: no abort */
    int n_empty;       /* on_empty calls */
    int accept_errors;
    char *events[MAX_EVENTS]; /* every event, as the log's sink had it */
    size_t n_events;
    struct client client;
    pthread_t thread;
    bool thread_started;
    uint8_t *hello; /* a fixture the client sends */
};

static void on_event(void *arg, const char *json, size_t len)
{
    struct rig *r = arg;
    if (r->n_events < MAX_EVENTS)
        r->events[r->n_events++] = strndup(json, len);
}

/* The whole trace, for a failure message. */
static void dump_events(const struct rig *r)
{
    for (size_t i = 0; i < r->n_events; i++)
        print_error("  %s\n", r->events[i]);
}

static void rig_stop(struct rig *r)
{
    if (r->stopping)
        return;
    r->stopping = true;
    uv_close((uv_handle_t *)&r->listener, NULL);
    uv_close((uv_handle_t *)&r->guard, NULL);
    uv_close((uv_handle_t *)&r->kick, NULL);
}

static void on_empty(void *arg)
{
    struct rig *r = arg;
    r->n_empty++;
    rig_stop(r);
}

static void on_guard(uv_timer_t *t)
{
    struct rig *r = t->data;
    r->guard_fired = true;
    conn_pool_abort_all(&r->pool, "test timed out");
    if (r->pool.n_conns == 0)
        rig_stop(r);
}

static void on_kick(uv_timer_t *t)
{
    struct rig *r = t->data;
    conn_pool_abort_all(&r->pool, "server shutting down");
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct rig *r = listener->data;
    if (status < 0) {
        r->accept_errors++;
        return;
    }
    conn_accept(&r->pool, r->entry, listener, false);
    if (r->abort_at > 0 && r->pool.n_conns == r->abort_at)
        uv_timer_start(&r->kick, on_kick, 50, 0); /* let them sit idle */
}

static const struct conn_limits default_limits = {
    .handshake_timeout_ms = 5000,
    .idle_timeout_ms = 5000,
    .linger_ms = 2000,
    .max_stall_s = 5,
    .max_connections = 16,
    .max_client_hello = 65536,
};

/* Builds the entry from ini, the pool and a listener on 127.0.0.1:0. */
static void rig_start(struct rig *r, const char *ini,
                      const struct conn_limits *limits)
{
    struct scenario_set set = {0};
    struct diag d;
    struct sockaddr_storage ss;
    struct sockaddr_in a;
    int len = sizeof(ss);
    memset(&d, 0, sizeof(d));
    if (scenario_load_string(&set, ini, "test_conn.ini", &d) != 0)
        fail_msg("%s:%d: %s", d.file, d.line, d.msg);
    assert_int_equal(set.count, 1);
    r->entry = entry_new(&set.items[0], &(struct entry_options){"certs", false, PROTOCOL_HTTPS});
    scenario_set_free(&set);
    assert_non_null(r->entry);
    r->entry_refs = r->entry->refs;
    if (r->entry->ctx == NULL)
        fail_msg("entry unavailable: %s", r->entry->unavailable);

    assert_int_equal(uv_loop_init(&r->loop), 0);
    r->loop_open = true;
    conn_pool_init(&r->pool, &r->loop, limits, NULL, 0, 1);
    r->pool.on_empty = on_empty;
    r->pool.on_empty_arg = r;
    assert_int_equal(uv_tcp_init(&r->loop, &r->listener), 0);
    assert_int_equal(uv_timer_init(&r->loop, &r->guard), 0);
    assert_int_equal(uv_timer_init(&r->loop, &r->kick), 0);
    r->handles_open = true;
    r->listener.data = r->guard.data = r->kick.data = r;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &a), 0);
    assert_int_equal(uv_tcp_bind(&r->listener, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&r->listener, 16, on_connection),
                     0);
    assert_int_equal(
        uv_tcp_getsockname(&r->listener, (struct sockaddr *)&ss, &len), 0);
    r->client.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    r->entry->port = r->client.port;
    assert_int_equal(uv_timer_start(&r->guard, on_guard, GUARD_MS, 0), 0);
}

/* Runs the loop until the pool has emptied and the rig's handles have
 * closed, with the client in its thread; then waits for the client. */
static void rig_run(struct rig *r)
{
    assert_int_equal(pthread_create(&r->thread, NULL, client_main, &r->client),
                     0);
    r->thread_started = true;
    uv_run(&r->loop, UV_RUN_DEFAULT);
    r->handles_open = false;
    pthread_join(r->thread, NULL);
    r->thread_started = false;
    if (r->guard_fired) {
        dump_events(r);
        fail_msg("still running after %d ms: the guard ended it", GUARD_MS);
    }
    assert_int_equal(r->accept_errors, 0);
    assert_int_equal(r->pool.n_conns, 0);
    assert_int_equal(r->entry->refs, r->entry_refs); /* all given back */
    assert_int_equal(uv_loop_close(&r->loop), 0);
    r->loop_open = false;
}

static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -1;
    log_set_sink(on_event, r);
    *state = r;
    return 0;
}

/* Also after a failed assertion: whatever is still open goes. */
static int teardown(void **state)
{
    struct rig *r = *state;
    log_set_sink(NULL, NULL);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    if (r->handles_open) {
        conn_pool_abort_all(&r->pool, "test over");
        rig_stop(r);
        uv_run(&r->loop, UV_RUN_DEFAULT);
    }
    if (r->loop_open)
        uv_loop_close(&r->loop);
    /* The owner lets go; the entry goes when no connection holds it. */
    if (r->entry != NULL)
        entry_retire(r->entry);
    for (size_t i = 0; i < r->n_events; i++)
        free(r->events[i]);
    free(r->hello);
    free(r);
    return 0;
}

/* ---- the trace -------------------------------------------------------- */

/* The nth event named name, or NULL. */
static const char *event_find(const struct rig *r, const char *name, size_t nth)
{
    char want[64];
    snprintf(want, sizeof(want), "\"event\":\"%s\"", name);
    for (size_t i = 0; i < r->n_events; i++)
        if (strstr(r->events[i], want) != NULL && nth-- == 0)
            return r->events[i];
    return NULL;
}

static size_t event_count(const struct rig *r, const char *name)
{
    size_t n = 0;
    while (event_find(r, name, n) != NULL)
        n++;
    return n;
}

/* The string value of key in one event (our values have no escapes);
 * an empty string when absent. A key inside a string value has its
 * quotes escaped, so it cannot match. */
static const char *field(const char *event, const char *key, char *out,
                         size_t size)
{
    char want[64];
    out[0] = '\0';
    snprintf(want, sizeof(want), "\"%s\":\"", key);
    const char *p = event != NULL ? strstr(event, want) : NULL;
    if (p == NULL)
        return out;
    p += strlen(want);
    size_t n = strcspn(p, "\"");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
    return out;
}

static long long field_int(const char *event, const char *key)
{
    char want[64];
    snprintf(want, sizeof(want), "\"%s\":", key);
    const char *p = event != NULL ? strstr(event, want) : NULL;
    return p != NULL ? strtoll(p + strlen(want), NULL, 10) : -1;
}

/* The nth event called name has key = value; else the whole trace. */
#define assert_event(r, name, nth, key, value)                                 \
    do {                                                                       \
        char got_[256];                                                        \
        const char *ev_ = event_find((r), (name), (nth));                      \
        if (ev_ == NULL) {                                                     \
            dump_events(r);                                                    \
            fail_msg("no %s event #%d", (name), (int)(nth));                   \
        }                                                                      \
        if (strcmp(field(ev_, (key), got_, sizeof(got_)), (value)) != 0) {     \
            dump_events(r);                                                    \
            fail_msg("%s #%d: %s is \"%s\", not \"%s\"", (name), (int)(nth),   \
                     (key), got_, (value));                                    \
        }                                                                      \
    } while (0)

/* The client did everything it set out to do. */
#define assert_client_ok(cl)                                                   \
    do {                                                                       \
        if ((cl)->failed != NULL)                                              \
            fail_msg("client: %s failed (errno %d %s, wolfSSL %d)",            \
                     (cl)->failed, (cl)->failed_errno,                         \
                     strerror((cl)->failed_errno), (cl)->tls_error);           \
    } while (0)

/* ---- the close paths -------------------------------------------------- */

/* A full handshake, one request, the page, close_notify and FIN. */
static void test_graceful(void **state)
{
    struct rig *r = *state;
    rig_start(r, SCENARIO_HEAD, &default_limits);
    r->client.kind = CLIENT_HTTPS;
    rig_run(r);

    assert_client_ok(&r->client);
    if (strncmp(r->client.response, "HTTP/1.1 200", 12) != 0)
        fail_msg("response: %.200s", r->client.response);
    /* The server's close_notify ended the client's reads. */
    assert_int_equal(r->client.tls_error, WOLFSSL_ERROR_ZERO_RETURN);
    assert_event(r, "handshake", 0, "version", "TLSv1.3");
    assert_event(r, "request", 0, "target", "/");
    assert_event(r, "closed", 0, "close", "fin");
    assert_event(r, "closed", 0, "reason", "handshake completed, page served");
    assert_event(r, "verdict", 0, "outcome", "completed");
    assert_int_equal(event_count(r, "closed"), 1);
    assert_int_equal(r->n_empty, 1);
}

/* [fault] at = accept, action = reset: RST before any byte. */
static void test_reset_on_accept(void **state)
{
    struct rig *r = *state;
    rig_start(r, SCENARIO_HEAD "[fault]\nat = accept\naction = reset\n",
              &default_limits);
    r->client.kind = CLIENT_WAIT;
    r->client.n_sockets = 1;
    rig_run(r);

    assert_client_ok(&r->client);
    assert_int_equal(r->client.recv_rc[0], -1);
    assert_int_equal(r->client.recv_errno[0], ECONNRESET);
    assert_event(r, "action", 0, "at", "accept");
    assert_event(r, "action", 0, "action", "reset");
    assert_event(r, "closed", 0, "close", "rst");
    assert_event(r, "closed", 0, "reason", "reset the connection");
    assert_event(r, "verdict", 0, "outcome", "fault");
    assert_int_equal(field_int(event_find(r, "closed", 0), "bytes_out"), 0);
    assert_int_equal(r->n_empty, 1);
}

/* A client that says nothing meets the handshake timeout: RST. */
static void test_handshake_timeout(void **state)
{
    struct rig *r = *state;
    struct conn_limits limits = default_limits;
    limits.handshake_timeout_ms = 200;
    rig_start(r, SCENARIO_HEAD, &limits);
    r->client.kind = CLIENT_WAIT;
    r->client.n_sockets = 1;
    rig_run(r);

    assert_client_ok(&r->client);
    assert_int_equal(r->client.recv_rc[0], -1);
    assert_int_equal(r->client.recv_errno[0], ECONNRESET);
    assert_in_range(r->client.waited_ms, 150, 5000);
    const char *closed = event_find(r, "closed", 0);
    assert_in_range(field_int(closed, "ms"), 200, 5000);
    assert_event(r, "closed", 0, "close", "timeout-rst");
    assert_event(r, "closed", 0, "reason", "handshake timed out");
    assert_event(r, "verdict", 0, "outcome", "timeout");
    assert_int_equal(r->n_empty, 1);
}

/* The server drips its flight a byte every 50 ms, so most of it is still
 * queued when the client resets. */
static void test_peer_reset_while_dripping(void **state)
{
    struct rig *r = *state;
    char reason[128];
    rig_start(r,
              SCENARIO_HEAD "[fault]\nat = server_flight\naction = drip\n"
                            "interval_ms = 50\n",
              &default_limits);
    r->hello = fixture_new("curl", &r->client.hello_len);
    assert_non_null(r->hello);
    r->client.hello = r->hello;
    r->client.kind = CLIENT_HELLO_RESET;
    rig_run(r);

    assert_client_ok(&r->client);
    assert_int_equal(r->client.response_len, 3);
    assert_int_equal((uint8_t)r->client.response[0], 0x16); /* handshake */
    /* Three separate ticks, not the flight at once. */
    assert_in_range(r->client.waited_ms, 90, 5000);
    assert_event(r, "client_hello", 0, "sni", "localhost");
    assert_event(r, "action", 0, "at", "server_flight");
    assert_event(r, "action", 0, "action", "drip");
    assert_event(r, "closed", 0, "close", "peer-rst");
    /* The RST is seen by the read, or (rarely) by the next drip's write. */
    field(event_find(r, "closed", 0), "reason", reason, sizeof(reason));
    if (strcmp(reason, "client reset the connection") != 0 &&
        strcmp(reason, "write failed") != 0) {
        dump_events(r);
        fail_msg("closed: reason \"%s\"", reason);
    }
    assert_event(r, "verdict", 0, "outcome", "fault");
    long long flight = field_int(event_find(r, "server_flight", 0), "bytes");
    long long out = field_int(event_find(r, "closed", 0), "bytes_out");
    assert_in_range(out, 3, 10);
    assert_true(flight > out + 100); /* still queued at the reset */
    assert_int_equal(r->n_empty, 1);
}

/* A drain that gives up: every open connection ends with RST, and the
 * pool says it is empty once. */
static void test_abort_all(void **state)
{
    struct rig *r = *state;
    rig_start(r, SCENARIO_HEAD, &default_limits);
    r->abort_at = 2;
    r->client.kind = CLIENT_WAIT;
    r->client.n_sockets = 2;
    rig_run(r);

    assert_client_ok(&r->client);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r->client.recv_rc[i], -1);
        assert_int_equal(r->client.recv_errno[i], ECONNRESET);
        assert_event(r, "closed", (size_t)i, "close", "rst");
        assert_event(r, "closed", (size_t)i, "reason", "server shutting down");
        /* No fault and no handshake: the verdict counts it as a
         * connection that ended before its handshake did. */
        assert_event(r, "verdict", (size_t)i, "outcome", "client-closed");
    }
    assert_int_equal(event_count(r, "closed"), 2);
    assert_int_equal(r->n_empty, 1);
}

/* The client hangs up before sending a byte. */
static void test_peer_fin_before_hello(void **state)
{
    struct rig *r = *state;
    rig_start(r, SCENARIO_HEAD, &default_limits);
    r->client.kind = CLIENT_FIN;
    rig_run(r);

    assert_client_ok(&r->client);
    assert_event(r, "closed", 0, "close", "peer-fin");
    assert_event(r, "closed", 0, "reason",
                 "client closed before its ClientHello was complete");
    assert_event(r, "verdict", 0, "outcome", "client-closed");
    assert_int_equal(field_int(event_find(r, "closed", 0), "bytes_in"), 0);
    assert_int_equal(r->n_empty, 1);
}

static int group_setup(void **state)
{
    (void)state;
    /* A peer that resets while a write is queued costs an EPIPE, not the
     * process (as in main). */
    signal(SIGPIPE, SIG_IGN);
    return tlsio_init();
}

static int group_teardown(void **state)
{
    (void)state;
    tlsio_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_graceful, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_on_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_peer_reset_while_dripping, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_fin_before_hello, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
