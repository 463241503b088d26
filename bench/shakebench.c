/*
 * shakebench: the measuring tools behind bench/run.sh. A handshake load
 * generator (one thread per concurrent connection slot, blocking sockets,
 * the TLS client of tlsc.h), a holder of many idle connections, viewers of
 * the dashboard's event stream under a paced load, a start-up timer and,
 * in the wolfSSL build, a wolfCrypt micro-benchmark.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tlsc.h"
#ifdef SHAKEBENCH_SPEED
#include "speed.h"
#endif

/* ---- small helpers ---------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("shakebench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        die("%s: \"%s\" is not a number from %ld to %ld", opt, s, min, max);
    return v;
}

static double parse_double(const char *opt, const char *s)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || v <= 0)
        die("%s: \"%s\" is not a positive number", opt, s);
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t percentile(const uint64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return v[rank > n ? n - 1 : rank - 1];
}

static double cpu_seconds_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* Raises the open-file limit to its hard limit: holding 10,000
 * connections needs more than the usual 1024. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- the client side: options, address, TCP ------------------------- */

static const struct {
    const char *name;
    enum tlsc_group id;
} group_names[] = {
    {"x25519", TLSC_X25519},  {"X25519", TLSC_X25519},
    {"p256", TLSC_P256},      {"P-256", TLSC_P256},
    {"secp256r1", TLSC_P256}, {"prime256v1", TLSC_P256},
};

static enum tlsc_group group_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(group_names) / sizeof(group_names[0]); i++)
        if (strcmp(s, group_names[i].name) == 0)
            return group_names[i].id;
    die("--group: \"%s\" is not x25519 or p256", s);
    return TLSC_X25519;
}

static void client_resolve(struct tlsc_opts *o)
{
    struct in_addr a4;
    struct in6_addr a6;
    o->sni = inet_pton(AF_INET, o->host, &a4) != 1 &&
             inet_pton(AF_INET6, o->host, &a6) != 1;
    char port[16];
    snprintf(port, sizeof(port), "%d", o->port);
    /* IPv4 first: the servers under test listen on 127.0.0.1, and
     * "localhost" may resolve to ::1 first. */
    static const int families[] = {AF_INET, AF_UNSPEC};
    for (size_t i = 0; i < 2; i++) {
        struct addrinfo hints = {.ai_family = families[i],
                                 .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;
        if (getaddrinfo(o->host, port, &hints, &res) != 0 || res == NULL)
            continue;
        memcpy(&o->addr, res->ai_addr, res->ai_addrlen);
        o->addr_len = res->ai_addrlen;
        freeaddrinfo(res);
        return;
    }
    die("cannot resolve %s", o->host);
}

/* A blocking TCP socket with o's timeouts, not yet connected, or -errno. */
static int client_tcp_socket(const struct tlsc_opts *o)
{
    int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {.tv_sec = o->timeout_s};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

/* A connected blocking TCP socket, or -errno. */
static int client_tcp_connect(const struct tlsc_opts *o)
{
    int fd = client_tcp_socket(o);
    if (fd < 0)
        return fd;
    if (connect(fd, (const struct sockaddr *)&o->addr, o->addr_len) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Shared by every error path: the first few errors are printed, all are
 * counted. */
static atomic_int errors_printed;

static void report_error(const char *what, const char *detail)
{
    if (atomic_fetch_add(&errors_printed, 1) < 5)
        fprintf(stderr, "shakebench: %s: %s\n", what, detail);
}

/* A TLS connection: TCP connect and a full handshake. Returns the client
 * and its socket in *fd, or NULL (*tcp_failed tells which step failed). */
static struct tlsc *client_open(struct tlsc_ctx *ctx, const struct tlsc_opts *o,
                                int *fd, bool *tcp_failed)
{
    *fd = client_tcp_connect(o);
    *tcp_failed = *fd < 0;
    if (*fd < 0) {
        report_error("connect", strerror(-*fd));
        return NULL;
    }
    char err[256] = "out of memory";
    struct tlsc *t = tlsc_new(ctx, o, *fd);
    if (t != NULL && tlsc_handshake(t, err, sizeof(err)) == 0)
        return t;
    report_error("handshake", err);
    if (t != NULL)
        tlsc_free(t);
    close(*fd);
    *fd = -1;
    return NULL;
}

/* ---- load: the handshake rate ----------------------------------------- */

static const char http_request[] =
    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

enum load_error { LOAD_OK, LOAD_ECONNECT, LOAD_EHANDSHAKE, LOAD_ERESPONSE };

struct load {
    struct tlsc_opts client;
    struct tlsc_ctx *ctx;
    long n;
    int concurrency;
    atomic_long next;
    uint64_t *latency_ns; /* per connection; UINT64_MAX when it failed */
    atomic_long errors[4];
};

/* Reads the response until the server closes; true when it was a 200. */
static bool load_read_response(struct tlsc *t)
{
    char head[64] = "";
    size_t have = 0;
    char buf[4096], err[256];
    int r;
    while ((r = tlsc_read(t, buf, sizeof(buf), err, sizeof(err))) > 0) {
        size_t take = (size_t)r;
        if (take > sizeof(head) - 1 - have)
            take = sizeof(head) - 1 - have;
        memcpy(head + have, buf, take);
        have += take;
    }
    if (r < 0) {
        report_error("reading the response", err);
        return false;
    }
    head[have] = '\0';
    if (strncmp(head, "HTTP/1.1 200", 12) != 0 &&
        strncmp(head, "HTTP/1.0 200", 12) != 0) {
        report_error("unexpected response", head);
        return false;
    }
    return true;
}

/* One connection: connect, full handshake, one request, read to close. */
static enum load_error load_one(struct load *l, uint64_t *latency)
{
    uint64_t t0 = now_ns();
    int fd;
    bool tcp_failed;
    struct tlsc *t = client_open(l->ctx, &l->client, &fd, &tcp_failed);
    if (t == NULL)
        return tcp_failed ? LOAD_ECONNECT : LOAD_EHANDSHAKE;
    *latency = now_ns() - t0;
    int len = (int)sizeof(http_request) - 1;
    enum load_error rc = LOAD_OK;
    if (tlsc_write(t, http_request, len) != 0 || !load_read_response(t))
        rc = LOAD_ERESPONSE;
    tlsc_free(t);
    close(fd);
    return rc;
}

static void *load_thread(void *arg)
{
    struct load *l = arg;
    for (;;) {
        long i = atomic_fetch_add(&l->next, 1);
        if (i >= l->n)
            break;
        uint64_t lat = UINT64_MAX;
        enum load_error e = load_one(l, &lat);
        atomic_fetch_add(&l->errors[e], 1);
        l->latency_ns[i] = e == LOAD_OK ? lat : UINT64_MAX;
    }
    return NULL;
}

static void load_report(struct load *l, double seconds, double cpu)
{
    size_t ok = 0;
    for (long i = 0; i < l->n; i++)
        if (l->latency_ns[i] != UINT64_MAX)
            l->latency_ns[ok++] = l->latency_ns[i];
    qsort(l->latency_ns, ok, sizeof(uint64_t), cmp_u64);
    long errors = l->errors[LOAD_ECONNECT] + l->errors[LOAD_EHANDSHAKE] +
                  l->errors[LOAD_ERESPONSE];
    printf("load n=%ld c=%d ok=%zu errors=%ld errors_connect=%ld "
           "errors_handshake=%ld errors_response=%ld seconds=%.3f "
           "hs_per_s=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
           "client_cpu_s=%.3f\n",
           l->n, l->concurrency, ok, errors, (long)l->errors[LOAD_ECONNECT],
           (long)l->errors[LOAD_EHANDSHAKE], (long)l->errors[LOAD_ERESPONSE],
           seconds, (double)ok / seconds,
           (double)percentile(l->latency_ns, ok, 50) / 1e6,
           (double)percentile(l->latency_ns, ok, 99) / 1e6,
           ok ? (double)l->latency_ns[ok - 1] / 1e6 : 0.0, cpu);
}

/* Starts the threads, each taking the next connection until n are done. */
static int load_run(struct load *l)
{
    pthread_t *threads = calloc((size_t)l->concurrency, sizeof(*threads));
    l->latency_ns = calloc((size_t)l->n, sizeof(uint64_t));
    if (threads == NULL || l->latency_ns == NULL)
        die("out of memory");
    double cpu0 = cpu_seconds_self();
    uint64_t t0 = now_ns();
    int started = 0;
    for (; started < l->concurrency; started++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        int rc = pthread_create(&threads[started], &attr, load_thread, l);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            die("cannot start thread %d: %s", started, strerror(rc));
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    double seconds = (double)(now_ns() - t0) / 1e9;
    load_report(l, seconds, cpu_seconds_self() - cpu0);
    long errors = l->errors[LOAD_ECONNECT] + l->errors[LOAD_EHANDSHAKE] +
                  l->errors[LOAD_ERESPONSE];
    free(threads);
    free(l->latency_ns);
    return errors == 0 ? 0 : 1;
}

/* ---- hold: many idle connections -------------------------------------- */

enum hold_mode { HOLD_HELLO, HOLD_HANDSHAKE };

struct hold {
    struct tlsc_opts client;
    struct tlsc_ctx *ctx;
    enum hold_mode mode;
    long n;
    int concurrency;
    double seconds;         /* how long to hold once all are open */
    const char *ready_file; /* written once all are open */
    int *fds;               /* n entries, -1 where opening failed */
    atomic_long next;
    atomic_long errors;
};

struct capture {
    unsigned char bytes[4096];
    size_t len;
};

/* Opens h->n connections without blocking, at most 256 connecting at once
 * (a listen backlog overflow would cost a one-second SYN retry), and sends
 * each the captured ClientHello. */
static void hold_open_hellos(struct hold *h, const struct capture *cap)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    long opened = 0, pending = 0;
    while (opened < h->n || pending > 0) {
        while (opened < h->n && pending < 256) {
            int fd = socket(h->client.addr.ss_family,
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            long i = opened++;
            if (fd < 0) {
                report_error("socket", strerror(errno));
                h->errors++;
                continue;
            }
            int rc = connect(fd, (const struct sockaddr *)&h->client.addr,
                             h->client.addr_len);
            if (rc != 0 && errno != EINPROGRESS) {
                report_error("connect", strerror(errno));
                h->errors++;
                close(fd);
                continue;
            }
            struct epoll_event ev = {.events = EPOLLOUT,
                                     .data.u64 = (uint64_t)i};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            h->fds[i] = fd;
            pending++;
        }
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, h->client.timeout_s * 1000);
        if (k <= 0)
            die("connections stopped completing (%ld pending)", pending);
        for (int j = 0; j < k; j++) {
            long i = (long)evs[j].data.u64;
            int fd = h->fds[i], err = 0;
            socklen_t len = sizeof(err);
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            pending--;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == 0 && send(fd, cap->bytes, cap->len, MSG_NOSIGNAL) ==
                                (ssize_t)cap->len)
                continue;
            report_error("connect or send", strerror(err ? err : errno));
            h->errors++;
            close(fd);
            h->fds[i] = -1;
        }
    }
    close(ep);
}

static void *hold_handshake_thread(void *arg)
{
    struct hold *h = arg;
    for (;;) {
        long i = atomic_fetch_add(&h->next, 1);
        if (i >= h->n)
            break;
        int fd;
        bool tcp_failed;
        struct tlsc *t = client_open(h->ctx, &h->client, &fd, &tcp_failed);
        if (t == NULL) {
            h->errors++;
            continue;
        }
        /* Freed without close_notify: the socket stays open and idle, and
         * the client keeps no TLS state for it. */
        tlsc_free(t);
        h->fds[i] = fd;
    }
    return NULL;
}

static void hold_open_handshakes(struct hold *h)
{
    pthread_t *threads = calloc((size_t)h->concurrency, sizeof(*threads));
    if (threads == NULL)
        die("out of memory");
    for (int i = 0; i < h->concurrency; i++)
        if (pthread_create(&threads[i], NULL, hold_handshake_thread, h) != 0)
            die("cannot start thread %d", i);
    for (int i = 0; i < h->concurrency; i++)
        pthread_join(threads[i], NULL);
    free(threads);
}

/* Counts the connections the server has closed: read what is pending
 * (a TLS 1.3 NewSessionTicket, say) and look for EOF or an error. */
static long hold_count_dropped(const struct hold *h)
{
    long dropped = 0;
    char buf[4096];
    for (long i = 0; i < h->n; i++) {
        if (h->fds[i] < 0)
            continue;
        for (;;) {
            ssize_t r = recv(h->fds[i], buf, sizeof(buf), MSG_DONTWAIT);
            if (r > 0)
                continue;
            if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                dropped++;
            break;
        }
    }
    return dropped;
}

static void write_file(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

/* Waits for the hold time, or SIGTERM/SIGINT, whichever is first. */
static void hold_wait(double seconds)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    struct timespec ts = {
        .tv_sec = (time_t)seconds,
        .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    sigtimedwait(&set, NULL, &ts);
}

static int hold_run(struct hold *h)
{
    h->fds = malloc((size_t)h->n * sizeof(int));
    if (h->fds == NULL)
        die("out of memory");
    for (long i = 0; i < h->n; i++)
        h->fds[i] = -1;
    uint64_t t0 = now_ns();
    if (h->mode == HOLD_HELLO) {
        /* The client's first flight, produced once and replayed on every
         * connection: a server that stalls after the ClientHello never
         * looks at anything that would tell the copies apart. */
        struct capture cap = {.len = 0};
        cap.len =
            tlsc_client_hello(h->ctx, &h->client, cap.bytes, sizeof(cap.bytes));
        if (cap.len == 0)
            die("could not produce a ClientHello");
        hold_open_hellos(h, &cap);
    } else {
        hold_open_handshakes(h);
    }
    double open_s = (double)(now_ns() - t0) / 1e9;
    long held = 0;
    for (long i = 0; i < h->n; i++)
        held += h->fds[i] >= 0;
    char line[256];
    snprintf(line, sizeof(line), "held=%ld errors=%ld open_seconds=%.3f\n",
             held, (long)h->errors, open_s);
    if (h->ready_file != NULL)
        write_file(h->ready_file, line);
    fprintf(stderr, "shakebench: hold: %s", line);
    hold_wait(h->seconds);
    long dropped = hold_count_dropped(h);
    printf("hold mode=%s n=%ld held=%ld errors=%ld dropped=%ld "
           "open_seconds=%.3f\n",
           h->mode == HOLD_HELLO ? "hello" : "handshake", h->n, held,
           (long)h->errors, dropped, open_s);
    for (long i = 0; i < h->n; i++)
        if (h->fds[i] >= 0)
            close(h->fds[i]);
    free(h->fds);
    return h->errors == 0 && dropped == 0 ? 0 : 1;
}

/* ---- viewers: the dashboard's event streams under load ---------------- */

/* N viewers hold GET /events on the dashboard, read by one epoll loop,
 * while paced load threads open connections to a scenario at a target
 * rate. Each load connection records its local port and when it saw the
 * server's close; each viewer, when the "closed" frame of that connection
 * arrived. The difference is the delay a classroom's screens show. */

#define VIEWER_FRAME_MAX (1024 * 1024) /* a bigger frame is an error */
#define VIEWER_HEAD_MAX (16 * 1024)
#define VIEWER_BUF_START (64 * 1024)
#define VIEWER_CONNECTING_MAX 64 /* connects in flight at once */
#define VIEWER_NAMES_MAX 64      /* scenario names told apart */
#define RECEIPTS_MAX (64L * 1024 * 1024)

enum viewer_state {
    VIEWER_CONNECTING,
    VIEWER_HEAD,
    VIEWER_STREAM,
    VIEWER_DONE
};

enum viewer_end {
    VIEWER_OPEN,           /* still streaming at the end */
    VIEWER_CONNECT_FAILED, /* TCP connect failed */
    VIEWER_REFUSED,        /* a response other than 200 (503: cap) */
    VIEWER_DROPPED,        /* EOF or reset while streaming */
    VIEWER_ERROR           /* bad framing, a frame over 1 MiB */
};

enum chunk_state {
    CHUNK_SIZE,
    CHUNK_EXT,
    CHUNK_SIZE_LF,
    CHUNK_DATA,
    CHUNK_DATA_CR,
    CHUNK_DATA_LF,
    CHUNK_END
};

struct viewer {
    int fd;
    enum viewer_state state;
    enum viewer_end end;
    uint8_t *buf; /* the head, then SSE text not yet framed */
    size_t cap, len;
    size_t scanned; /* bytes of buf known to hold no frame end */
    bool chunked;   /* Transfer-Encoding: chunked, undone in place */
    enum chunk_state chunk;
    uint64_t chunk_left;
    uint64_t dropped_ns; /* when the server ended the stream */
    long frames, closed_frames, lost_frames, lost_events;
    uint64_t bytes;
};

/* One server connection as the streams told it, keyed (scenario, id). */
struct conn_seen {
    uint64_t id;
    int scenario;
    int port;             /* the client's port from "accepted"; 0: unseen */
    uint64_t accepted_ns; /* the first viewer to receive "accepted" */
    uint64_t finish_ns;   /* the matching load connection's end; 0: none */
};

/* A viewer received the "closed" frame of conns[conn], us after t0. */
struct receipt {
    uint32_t conn;
    uint32_t us;
};

struct paced_conn {
    uint64_t start_ns, finish_ns; /* finish: the server's close seen */
    int port;                     /* local port; 0 when connect failed */
    enum load_error error;
    bool done;
};

enum load_kind { LOAD_KIND_TLS, LOAD_KIND_TCP };

/* Open-loop load: connection i is due at t0 + i / rate, taken by the
 * next free thread; a connection no thread could start on time is late. */
struct paced_load {
    struct tlsc_opts client;
    struct tlsc_ctx *ctx;
    enum load_kind kind;
    double rate;
    long n; /* rate * seconds */
    int threads;
    uint64_t t0_ns;       /* the schedule's start */
    uint64_t deadline_ns; /* none starts after this */
    struct paced_conn *conns;
    atomic_long next, late, skipped, running;
    atomic_long errors[4];
};

struct viewers {
    struct tlsc_opts dash; /* the dashboard's address */
    int n;
    double seconds, drain, settle;
    const char *ready_file;
    struct viewer *v;
    int ep;
    uint64_t t0_ns;
    int streaming, connecting, opened;
    struct conn_seen *conns;
    size_t n_conns, cap_conns;
    uint32_t *slots; /* open addressing: index + 1, 0 empty */
    size_t n_slots;
    char names[VIEWER_NAMES_MAX][64];
    int n_names;
    struct receipt *receipts;
    size_t n_receipts, cap_receipts;
    long receipts_skipped, unparsed;
};

/* ---- the load side ---- */

static void sleep_until(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* TCP only: connect, then read until the server closes (FIN or RST). A
 * reset that comes before connect() returns (the thread woke late) is the
 * same outcome; the port may be gone by then, and the connection is
 * left unmatched. */
static enum load_error paced_tcp(struct paced_load *l, struct paced_conn *c)
{
    int fd = client_tcp_socket(&l->client);
    if (fd < 0) {
        report_error("socket", strerror(-fd));
        return LOAD_ECONNECT;
    }
    bool reset_early = false;
    if (connect(fd, (const struct sockaddr *)&l->client.addr,
                l->client.addr_len) != 0) {
        if (errno != ECONNRESET) {
            report_error("connect", strerror(errno));
            close(fd);
            return LOAD_ECONNECT;
        }
        reset_early = true;
    }
    c->port = local_port(fd);
    ssize_t r = 0;
    char buf[512];
    while (!reset_early && (r = recv(fd, buf, sizeof(buf), 0)) > 0)
        ;
    int e = errno;
    c->finish_ns = now_ns();
    close(fd);
    if (r < 0 && e != ECONNRESET) {
        report_error("waiting for the server's close", strerror(e));
        return LOAD_ERESPONSE;
    }
    return LOAD_OK;
}

/* As load_one: handshake, GET /, read until the server closes. */
static enum load_error paced_tls(struct paced_load *l, struct paced_conn *c)
{
    int fd;
    bool tcp_failed;
    struct tlsc *t = client_open(l->ctx, &l->client, &fd, &tcp_failed);
    if (t == NULL)
        return tcp_failed ? LOAD_ECONNECT : LOAD_EHANDSHAKE;
    c->port = local_port(fd);
    int len = (int)sizeof(http_request) - 1;
    enum load_error rc = LOAD_OK;
    if (tlsc_write(t, http_request, len) != 0 || !load_read_response(t))
        rc = LOAD_ERESPONSE;
    c->finish_ns = now_ns();
    tlsc_free(t);
    close(fd);
    return rc;
}

static void *paced_thread(void *arg)
{
    struct paced_load *l = arg;
    for (;;) {
        long i = atomic_fetch_add(&l->next, 1);
        if (i >= l->n)
            break;
        uint64_t due = l->t0_ns + (uint64_t)((double)i * 1e9 / l->rate);
        sleep_until(due);
        uint64_t start = now_ns();
        if (start > l->deadline_ns) {
            atomic_fetch_add(&l->skipped, 1);
            continue;
        }
        if (start - due > 10000000u) /* 10 ms */
            atomic_fetch_add(&l->late, 1);
        struct paced_conn *c = &l->conns[i];
        c->start_ns = start;
        c->error = l->kind == LOAD_KIND_TCP ? paced_tcp(l, c) : paced_tls(l, c);
        if (c->finish_ns == 0)
            c->finish_ns = now_ns();
        c->done = true;
        atomic_fetch_add(&l->errors[c->error], 1);
    }
    atomic_fetch_sub(&l->running, 1);
    return NULL;
}

static pthread_t *paced_start(struct paced_load *l)
{
    pthread_t *threads = calloc((size_t)l->threads, sizeof(*threads));
    l->conns = calloc((size_t)l->n, sizeof(*l->conns));
    if (threads == NULL || l->conns == NULL)
        die("out of memory");
    l->t0_ns = now_ns() + 1000000u; /* 1 ms for the threads to start */
    /* Behind schedule by more than the run's own length: give up. */
    l->deadline_ns = l->t0_ns + 2 * (uint64_t)((double)l->n * 1e9 / l->rate);
    atomic_store(&l->running, l->threads);
    for (int i = 0; i < l->threads; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        int rc = pthread_create(&threads[i], &attr, paced_thread, l);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            die("cannot start thread %d: %s", i, strerror(rc));
    }
    return threads;
}

/* ---- what the streams told ---- */

static int viewers_name(struct viewers *vs, const uint8_t *s, size_t len)
{
    if (len == 0 || len >= sizeof(vs->names[0]))
        return -1;
    for (int i = 0; i < vs->n_names; i++)
        if (strncmp(vs->names[i], (const char *)s, len) == 0 &&
            vs->names[i][len] == '\0')
            return i;
    if (vs->n_names == VIEWER_NAMES_MAX)
        return -1;
    memcpy(vs->names[vs->n_names], s, len);
    vs->names[vs->n_names][len] = '\0';
    return vs->n_names++;
}

static size_t conn_slot(const struct viewers *vs, int scenario, uint64_t id)
{
    uint64_t h = (id ^ ((uint64_t)scenario << 48)) * 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 20) & (vs->n_slots - 1);
}

static void conns_rehash(struct viewers *vs)
{
    free(vs->slots);
    vs->n_slots = vs->n_slots ? vs->n_slots * 2 : 4096;
    vs->slots = calloc(vs->n_slots, sizeof(*vs->slots));
    if (vs->slots == NULL)
        die("out of memory");
    for (size_t i = 0; i < vs->n_conns; i++) {
        size_t s = conn_slot(vs, vs->conns[i].scenario, vs->conns[i].id);
        while (vs->slots[s] != 0)
            s = (s + 1) & (vs->n_slots - 1);
        vs->slots[s] = (uint32_t)i + 1;
    }
}

/* The connection (scenario, id), added when it is new. */
static struct conn_seen *conns_get(struct viewers *vs, int scenario,
                                   uint64_t id)
{
    size_t s = conn_slot(vs, scenario, id);
    for (; vs->slots[s] != 0; s = (s + 1) & (vs->n_slots - 1)) {
        struct conn_seen *c = &vs->conns[vs->slots[s] - 1];
        if (c->id == id && c->scenario == scenario)
            return c;
    }
    if (vs->n_conns == vs->cap_conns) {
        vs->cap_conns = vs->cap_conns ? vs->cap_conns * 2 : 4096;
        vs->conns = realloc(vs->conns, vs->cap_conns * sizeof(*vs->conns));
        if (vs->conns == NULL)
            die("out of memory");
    }
    struct conn_seen *c = &vs->conns[vs->n_conns++];
    *c = (struct conn_seen){.id = id, .scenario = scenario};
    vs->slots[s] = (uint32_t)vs->n_conns;
    if (vs->n_conns * 2 > vs->n_slots) {
        conns_rehash(vs);
        return conns_get(vs, scenario, id);
    }
    return c;
}

/* The value after "key": in a flat JSON object: a pointer to it and the
 * bytes left, or NULL. A key's quotes cannot occur inside a string,
 * where every quote is escaped. */
static const uint8_t *json_value(const uint8_t *j, size_t len, const char *key,
                                 size_t *left)
{
    size_t klen = strlen(key);
    const uint8_t *p = memmem(j, len, key, klen);
    if (p == NULL)
        return NULL;
    *left = len - (size_t)(p - j) - klen;
    return p + klen;
}

static bool json_u64(const uint8_t *j, size_t len, const char *key,
                     uint64_t *out)
{
    size_t left;
    const uint8_t *p = json_value(j, len, key, &left);
    if (p == NULL || left == 0 || *p < '0' || *p > '9')
        return false;
    uint64_t v = 0;
    for (; left > 0 && *p >= '0' && *p <= '9' && v < UINT64_MAX / 10;
         p++, left--)
        v = v * 10 + (uint64_t)(*p - '0');
    *out = v;
    return true;
}

/* The string value of key, without its quotes (no escapes expected). */
static const uint8_t *json_str(const uint8_t *j, size_t len, const char *key,
                               size_t *slen)
{
    size_t left;
    const uint8_t *p = json_value(j, len, key, &left);
    if (p == NULL)
        return NULL;
    const uint8_t *q = memchr(p, '"', left);
    if (q == NULL)
        return NULL;
    *slen = (size_t)(q - p);
    return p;
}

/* One data frame's JSON: "accepted" gives the client's port, "closed"
 * a receipt. */
static void viewer_event(struct viewers *vs, const uint8_t *j, size_t len,
                         uint64_t now)
{
    static const char accepted[] = "{\"event\":\"accepted\"";
    static const char closed[] = "{\"event\":\"closed\"";
    bool is_accepted = len >= sizeof(accepted) - 1 &&
                       memcmp(j, accepted, sizeof(accepted) - 1) == 0;
    bool is_closed =
        len >= sizeof(closed) - 1 && memcmp(j, closed, sizeof(closed) - 1) == 0;
    if (!is_accepted && !is_closed)
        return;
    size_t slen = 0;
    const uint8_t *s = json_str(j, len, "\"scenario\":\"", &slen);
    uint64_t id;
    int scenario = s ? viewers_name(vs, s, slen) : -1;
    if (scenario < 0 || !json_u64(j, len, "\"id\":", &id)) {
        vs->unparsed++;
        return;
    }
    struct conn_seen *c = conns_get(vs, scenario, id);
    if (is_accepted) {
        if (c->port != 0)
            return;
        const uint8_t *peer = json_str(j, len, "\"peer\":\"", &slen);
        const uint8_t *colon = NULL;
        for (size_t i = 0; peer != NULL && i < slen; i++)
            if (peer[i] == ':')
                colon = peer + i;
        long port = 0;
        for (const uint8_t *p = colon ? colon + 1 : NULL;
             p != NULL && p < peer + slen && *p >= '0' && *p <= '9'; p++)
            port = port * 10 + (*p - '0');
        if (port <= 0 || port > 65535) {
            vs->unparsed++;
            return;
        }
        c->port = (int)port;
        c->accepted_ns = now;
        return;
    }
    if (vs->n_receipts == vs->cap_receipts) {
        if (vs->cap_receipts >= (size_t)RECEIPTS_MAX) {
            vs->receipts_skipped++;
            return;
        }
        vs->cap_receipts = vs->cap_receipts ? vs->cap_receipts * 2 : 65536;
        vs->receipts =
            realloc(vs->receipts, vs->cap_receipts * sizeof(*vs->receipts));
        if (vs->receipts == NULL)
            die("out of memory");
    }
    vs->receipts[vs->n_receipts++] =
        (struct receipt){.conn = (uint32_t)(c - vs->conns),
                         .us = (uint32_t)((now - vs->t0_ns) / 1000)};
}

static bool starts_with(const uint8_t *p, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(p, prefix, n) == 0;
}

/* One SSE frame, its blank line taken off: a comment, a data frame, or
 * "event: lost" with {"lost":N}. */
static void viewer_frame(struct viewers *vs, struct viewer *v, const uint8_t *f,
                         size_t len, uint64_t now)
{
    if (len == 0 || f[0] == ':')
        return;
    if (starts_with(f, len, "event: lost\n")) {
        uint64_t n = 0;
        v->lost_frames++;
        if (json_u64(f, len, "\"lost\":", &n))
            v->lost_events += (long)n;
        return;
    }
    if (!starts_with(f, len, "data: ")) {
        vs->unparsed++;
        return;
    }
    v->frames++;
    if (starts_with(f + 6, len - 6, "{\"event\":\"closed\""))
        v->closed_frames++;
    viewer_event(vs, f + 6, len - 6, now);
}

static void viewer_end(struct viewers *vs, struct viewer *v,
                       enum viewer_end end)
{
    if (v->state == VIEWER_DONE)
        return;
    if (v->state == VIEWER_CONNECTING)
        vs->connecting--;
    if (v->state == VIEWER_STREAM)
        vs->streaming--;
    if (end == VIEWER_DROPPED)
        v->dropped_ns = now_ns();
    v->state = VIEWER_DONE;
    v->end = end;
    close(v->fd);
    v->fd = -1;
    free(v->buf);
    v->buf = NULL;
}

static const void *find_ci(const uint8_t *h, size_t hlen, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= hlen; i++)
        if (strncasecmp((const char *)h + i, needle, n) == 0)
            return h + i;
    return NULL;
}

/* Undoes chunked framing in place: the n bytes at p become the payload
 * (returned, at most n), or -1 on bad framing. */
static long dechunk(struct viewer *v, uint8_t *p, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        switch (v->chunk) {
        case CHUNK_SIZE:
            if ((c >= '0' && c <= '9') ||
                ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
                if (v->chunk_left > (1u << 24))
                    return -1;
                v->chunk_left =
                    v->chunk_left * 16 +
                    (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            } else if (c == ';' || c == ' ') {
                v->chunk = CHUNK_EXT;
            } else if (c == '\r') {
                v->chunk = CHUNK_SIZE_LF;
            } else {
                return -1;
            }
            i++;
            break;
        case CHUNK_EXT:
            if (c == '\r')
                v->chunk = CHUNK_SIZE_LF;
            i++;
            break;
        case CHUNK_SIZE_LF:
            if (c != '\n')
                return -1;
            v->chunk = v->chunk_left == 0 ? CHUNK_END : CHUNK_DATA;
            i++;
            break;
        case CHUNK_DATA: {
            size_t take = n - i;
            if (take > v->chunk_left)
                take = (size_t)v->chunk_left;
            memmove(p + out, p + i, take);
            out += take;
            i += take;
            v->chunk_left -= take;
            if (v->chunk_left == 0)
                v->chunk = CHUNK_DATA_CR;
            break;
        }
        case CHUNK_DATA_CR:
            if (c != '\r')
                return -1;
            v->chunk = CHUNK_DATA_LF;
            i++;
            break;
        case CHUNK_DATA_LF:
            if (c != '\n')
                return -1;
            v->chunk = CHUNK_SIZE;
            i++;
            break;
        case CHUNK_END: return (long)out; /* trailers: ignored */
        }
    }
    return (long)out;
}

/* The response head: 200 starts the stream; anything else is a refusal
 * (503 when the server's stream cap is reached). false: not complete. */
static bool viewer_head(struct viewers *vs, struct viewer *v)
{
    const uint8_t *end = memmem(v->buf, v->len, "\r\n\r\n", 4);
    if (end == NULL) {
        if (v->len > VIEWER_HEAD_MAX)
            viewer_end(vs, v, VIEWER_ERROR);
        return false;
    }
    size_t head = (size_t)(end - v->buf) + 4;
    if (!starts_with(v->buf, v->len, "HTTP/1.1 200") &&
        !starts_with(v->buf, v->len, "HTTP/1.0 200")) {
        viewer_end(vs, v, VIEWER_REFUSED);
        return false;
    }
    v->chunked =
        find_ci(v->buf, head, "\r\nTransfer-Encoding: chunked") != NULL;
    memmove(v->buf, v->buf + head, v->len - head);
    v->len -= head;
    if (v->chunked) {
        long n = dechunk(v, v->buf, v->len);
        if (n < 0) {
            viewer_end(vs, v, VIEWER_ERROR);
            return false;
        }
        v->len = (size_t)n;
    }
    v->state = VIEWER_STREAM;
    vs->streaming++;
    return true;
}

/* The first "\n\n" in p[0..len), or NULL. memchr, not memmem: glibc's
 * memmem walks a two-byte needle a byte at a time, and this scan reads
 * every byte the streams deliver. */
static const uint8_t *blank_line(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p + 1 < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p - 1));
        if (nl == NULL)
            return NULL;
        if (nl[1] == '\n')
            return nl;
        p = nl + 1;
    }
    return NULL;
}

/* Every complete frame in the buffer, then what is left moved to the
 * front. */
static void viewer_frames(struct viewers *vs, struct viewer *v, uint64_t now)
{
    size_t start = 0, pos = v->scanned ? v->scanned - 1 : 0;
    const uint8_t *e;
    while ((e = blank_line(v->buf + pos, v->len - pos)) != NULL) {
        size_t at = (size_t)(e - v->buf);
        viewer_frame(vs, v, v->buf + start, at - start, now);
        start = pos = at + 2;
    }
    memmove(v->buf, v->buf + start, v->len - start);
    v->len -= start;
    v->scanned = v->len;
    if (v->len > VIEWER_FRAME_MAX)
        viewer_end(vs, v, VIEWER_ERROR);
}

static void viewer_read(struct viewers *vs, struct viewer *v)
{
    for (int round = 0; round < 4 && v->state != VIEWER_DONE; round++) {
        if (v->cap - v->len < 4096) {
            size_t cap = v->cap * 2;
            uint8_t *b =
                cap <= 4 * VIEWER_FRAME_MAX ? realloc(v->buf, cap) : NULL;
            if (b == NULL) {
                viewer_end(vs, v, VIEWER_ERROR);
                return;
            }
            v->buf = b;
            v->cap = cap;
        }
        ssize_t r = recv(v->fd, v->buf + v->len, v->cap - v->len, 0);
        if (r < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (r <= 0) {
            viewer_end(vs, v,
                       v->state == VIEWER_STREAM ? VIEWER_DROPPED
                                                 : VIEWER_REFUSED);
            return;
        }
        uint64_t now = now_ns();
        v->bytes += (uint64_t)r;
        if (v->state == VIEWER_STREAM && v->chunked) {
            long n = dechunk(v, v->buf + v->len, (size_t)r);
            if (n < 0) {
                viewer_end(vs, v, VIEWER_ERROR);
                return;
            }
            r = n;
        }
        v->len += (size_t)r;
        if (v->state == VIEWER_HEAD && !viewer_head(vs, v))
            return;
        viewer_frames(vs, v, now);
        if (v->state == VIEWER_STREAM && v->chunked && v->chunk == CHUNK_END) {
            viewer_end(vs, v, VIEWER_DROPPED);
            return;
        }
    }
}

/* Starts connects until VIEWER_CONNECTING_MAX are in flight. */
static void viewers_open_some(struct viewers *vs)
{
    while (vs->opened < vs->n && vs->connecting < VIEWER_CONNECTING_MAX) {
        struct viewer *v = &vs->v[vs->opened];
        *v = (struct viewer){.fd = -1, .state = VIEWER_CONNECTING};
        vs->connecting++;
        vs->opened++;
        v->fd = socket(vs->dash.addr.ss_family,
                       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (v->fd < 0) {
            report_error("socket", strerror(errno));
            vs->connecting--;
            v->state = VIEWER_DONE;
            v->end = VIEWER_CONNECT_FAILED;
            continue;
        }
        int rc = connect(v->fd, (const struct sockaddr *)&vs->dash.addr,
                         vs->dash.addr_len);
        struct epoll_event ev = {.events = EPOLLOUT,
                                 .data.u64 = (uint64_t)(v - vs->v)};
        if ((rc != 0 && errno != EINPROGRESS) ||
            epoll_ctl(vs->ep, EPOLL_CTL_ADD, v->fd, &ev) != 0) {
            report_error("connect to the dashboard", strerror(errno));
            viewer_end(vs, v, VIEWER_CONNECT_FAILED);
        }
    }
}

/* The connect finished: send the request, wait for the head. */
static void viewer_connected(struct viewers *vs, struct viewer *v)
{
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "GET /events HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Accept: text/event-stream\r\n\r\n",
                     vs->dash.host, vs->dash.port);
    v->buf = malloc(VIEWER_BUF_START);
    v->cap = VIEWER_BUF_START;
    if (err != 0 || v->buf == NULL ||
        send(v->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        report_error("connect to the dashboard", strerror(err ? err : errno));
        viewer_end(vs, v, VIEWER_CONNECT_FAILED);
        return;
    }
    vs->connecting--;
    v->state = VIEWER_HEAD;
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u64 = (uint64_t)(v - vs->v)};
    epoll_ctl(vs->ep, EPOLL_CTL_MOD, v->fd, &ev);
}

/* Serves the viewers' sockets for up to wait_ms. */
static void viewers_poll(struct viewers *vs, int wait_ms)
{
    struct epoll_event evs[256];
    int k = epoll_wait(vs->ep, evs, 256, wait_ms);
    for (int j = 0; j < k; j++) {
        struct viewer *v = &vs->v[evs[j].data.u64];
        if (v->state == VIEWER_CONNECTING)
            viewer_connected(vs, v);
        else if (v->state != VIEWER_DONE)
            viewer_read(vs, v);
    }
    viewers_open_some(vs);
}

/* Serves the viewers until deadline_ns, or until done() says so. */
static void viewers_serve_until(struct viewers *vs, uint64_t deadline_ns,
                                bool (*done)(const void *), const void *arg)
{
    for (;;) {
        uint64_t now = now_ns();
        if (now >= deadline_ns || (done != NULL && done(arg)))
            return;
        uint64_t left_ms = (deadline_ns - now) / 1000000u + 1;
        viewers_poll(vs, left_ms < 50 ? (int)left_ms : 50);
    }
}

static bool viewers_settled(const void *arg)
{
    const struct viewers *vs = arg;
    if (vs->opened < vs->n || vs->connecting > 0)
        return false;
    for (int i = 0; i < vs->n; i++)
        if (vs->v[i].state == VIEWER_HEAD)
            return false;
    return true;
}

static bool load_finished(const void *arg)
{
    const struct paced_load *l = arg;
    return atomic_load(&l->running) == 0;
}

static int cmp_paced(const void *a, const void *b)
{
    const struct paced_conn *x = *(struct paced_conn *const *)a;
    const struct paced_conn *y = *(struct paced_conn *const *)b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* Gives each connection the streams told of the load connection it was:
 * the last one from that port to start before "accepted" arrived (a
 * port can be reused within a run). Returns how many matched. */
static size_t viewers_match(struct viewers *vs, struct paced_load *l)
{
    struct paced_conn **by_port = malloc((size_t)l->n * sizeof(*by_port));
    if (by_port == NULL)
        die("out of memory");
    size_t n = 0, matched = 0;
    for (long i = 0; i < l->n; i++)
        if (l->conns[i].done && l->conns[i].port != 0)
            by_port[n++] = &l->conns[i];
    qsort(by_port, n, sizeof(*by_port), cmp_paced);
    for (size_t i = 0; i < vs->n_conns; i++) {
        struct conn_seen *c = &vs->conns[i];
        if (c->port == 0)
            continue;
        /* The first entry past (port, accepted_ns), then one back. */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            const struct paced_conn *p = by_port[mid];
            if (p->port < c->port ||
                (p->port == c->port && p->start_ns <= c->accepted_ns))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || by_port[lo - 1]->port != c->port)
            continue;
        c->finish_ns = by_port[lo - 1]->finish_ns;
        matched++;
    }
    free(by_port);
    return matched;
}

static const char *load_kind_name(enum load_kind k)
{
    return k == LOAD_KIND_TCP ? "tcp" : "tls";
}

static int viewers_run(struct viewers *vs, struct paced_load *l)
{
    vs->v = calloc((size_t)vs->n, sizeof(*vs->v));
    vs->ep = epoll_create1(EPOLL_CLOEXEC);
    if (vs->v == NULL || vs->ep < 0)
        die("out of memory");
    conns_rehash(vs);
    struct timespec cpu0_ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0_ts);
    double cpu0 = cpu_seconds_self();
    vs->t0_ns = now_ns();
    viewers_open_some(vs);
    viewers_serve_until(vs, vs->t0_ns + 30000000000u, viewers_settled, vs);
    int connected = vs->streaming;
    double open_s = (double)(now_ns() - vs->t0_ns) / 1e9;
    char line[256];
    snprintf(line, sizeof(line), "viewers=%d streaming=%d open_seconds=%.3f\n",
             vs->n, connected, open_s);
    if (vs->ready_file != NULL)
        write_file(vs->ready_file, line);
    fprintf(stderr, "shakebench: viewers: %s", line);
    viewers_serve_until(vs, now_ns() + (uint64_t)(vs->settle * 1e9), NULL,
                        NULL);
    long frames_before = 0;
    for (int i = 0; i < vs->n; i++)
        frames_before += vs->v[i].frames;

    /* The load, served all along; then a drain for the last events. */
    pthread_t *threads = paced_start(l);
    viewers_serve_until(vs, UINT64_MAX, load_finished, l);
    uint64_t load_end = now_ns();
    viewers_serve_until(vs, load_end + (uint64_t)(vs->drain * 1e9), NULL, NULL);
    for (int i = 0; i < l->threads; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    struct timespec cpu1_ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1_ts);
    double viewer_cpu = (double)(cpu1_ts.tv_sec - cpu0_ts.tv_sec) +
                        (double)(cpu1_ts.tv_nsec - cpu0_ts.tv_nsec) / 1e9;
    double all_cpu = cpu_seconds_self() - cpu0;

    /* The load connections: how many, how fast. */
    long ok = l->errors[LOAD_OK];
    long load_errors = l->errors[LOAD_ECONNECT] + l->errors[LOAD_EHANDSHAKE] +
                       l->errors[LOAD_ERESPONSE];
    uint64_t last_finish = l->t0_ns;
    for (long i = 0; i < l->n; i++)
        if (l->conns[i].done && l->conns[i].finish_ns > last_finish)
            last_finish = l->conns[i].finish_ns;
    double load_s = (double)(last_finish - l->t0_ns) / 1e9;

    /* The viewers. */
    long frames = -frames_before, lost_frames = 0, lost_events = 0;
    long closed_frames = 0;
    uint64_t bytes = 0, first_drop = 0;
    int ends[5] = {0}, stayed = 0;
    for (int i = 0; i < vs->n; i++) {
        struct viewer *v = &vs->v[i];
        if (v->state == VIEWER_STREAM)
            stayed++;
        frames += v->frames;
        lost_frames += v->lost_frames;
        lost_events += v->lost_events;
        closed_frames += v->closed_frames;
        bytes += v->bytes;
        ends[v->state == VIEWER_DONE ? v->end : VIEWER_OPEN]++;
        if (v->end == VIEWER_DROPPED &&
            (first_drop == 0 || v->dropped_ns < first_drop))
            first_drop = v->dropped_ns;
    }

    /* The delays: each receipt of "closed" against its load connection's
     * end. A receipt a little before the end (the viewer's thread woke
     * before the load thread did) counts as 0; one far off either way
     * is a mismatch. */
    size_t matched = viewers_match(vs, l);
    uint64_t *delay = malloc((vs->n_receipts + 1) * sizeof(uint64_t));
    if (delay == NULL)
        die("out of memory");
    size_t nd = 0;
    long early = 0, unmatched = 0;
    for (size_t i = 0; i < vs->n_receipts; i++) {
        const struct receipt *r = &vs->receipts[i];
        const struct conn_seen *c = &vs->conns[r->conn];
        int64_t d = (int64_t)(vs->t0_ns + (uint64_t)r->us * 1000u) -
                    (int64_t)c->finish_ns;
        if (c->finish_ns == 0 || d < -1000000000 || d > 60000000000) {
            unmatched++;
            continue;
        }
        if (d < 0) {
            early++;
            d = 0;
        }
        delay[nd++] = (uint64_t)d;
    }
    qsort(delay, nd, sizeof(uint64_t), cmp_u64);
    double run_s = load_s > 0 ? load_s : vs->seconds;
    printf("viewers n=%d connected=%d stayed=%d refused=%d dropped=%d "
           "viewer_errors=%d connect_failed=%d first_drop_s=%.3f "
           "frames=%ld events_per_s=%.0f mbytes_per_s=%.1f "
           "closed_per_viewer=%.0f lost_frames=%ld lost_events=%ld "
           "delay_samples=%zu matched_conns=%zu unmatched=%ld early=%ld "
           "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
           "load=%s rate_target=%.0f load_n=%ld load_ok=%ld load_errors=%ld "
           "load_late=%ld load_skipped=%ld load_seconds=%.3f "
           "conn_per_s=%.1f threads=%d client_cpu_s=%.3f viewer_cpu_s=%.3f "
           "unparsed=%ld receipts_skipped=%ld\n",
           vs->n, connected, stayed, ends[VIEWER_REFUSED], ends[VIEWER_DROPPED],
           ends[VIEWER_ERROR], ends[VIEWER_CONNECT_FAILED],
           first_drop ? (double)(first_drop - l->t0_ns) / 1e9 : -1.0, frames,
           (double)frames / run_s, (double)bytes / run_s / 1e6,
           connected ? (double)closed_frames / (double)connected : 0.0,
           lost_frames, lost_events, nd, matched, unmatched, early,
           (double)percentile(delay, nd, 50) / 1e6,
           (double)percentile(delay, nd, 99) / 1e6,
           nd ? (double)delay[nd - 1] / 1e6 : 0.0, load_kind_name(l->kind),
           l->rate, l->n, ok, load_errors, (long)l->late, (long)l->skipped,
           load_s, (double)ok / run_s, l->threads, all_cpu, viewer_cpu,
           vs->unparsed, vs->receipts_skipped);
    for (int i = 0; i < vs->n; i++)
        if (vs->v[i].state != VIEWER_DONE)
            viewer_end(vs, &vs->v[i], VIEWER_OPEN);
    close(vs->ep);
    free(delay);
    free(vs->v);
    free(vs->conns);
    free(vs->slots);
    free(vs->receipts);
    free(l->conns);
    bool clean = connected == vs->n && ends[VIEWER_DROPPED] == 0 &&
                 ends[VIEWER_ERROR] == 0 && load_errors == 0;
    return clean ? 0 : 1;
}

/* ---- startup: time until the ports file appears ----------------------- */

static pid_t spawn(char **argv, const char *log)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* One start: milliseconds from fork to the ports file's rename into
 * place, seen through inotify on its directory (no polling delay). */
static double startup_once(const char *ports_file, char **argv, const char *log,
                           double timeout_s)
{
    char dir_buf[4096], base_buf[4096];
    snprintf(dir_buf, sizeof(dir_buf), "%s", ports_file);
    snprintf(base_buf, sizeof(base_buf), "%s", ports_file);
    const char *dir = dirname(dir_buf), *base = basename(base_buf);
    unlink(ports_file);
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0 || inotify_add_watch(in, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
        die("inotify on %s: %s", dir, strerror(errno));
    uint64_t t0 = now_ns(), t1 = 0;
    pid_t pid = spawn(argv, log);
    while (t1 == 0) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        int k = poll(&p, 1, 20);
        if (k > 0) {
            char ev_buf[4096] __attribute__((aligned(8)));
            ssize_t len = read(in, ev_buf, sizeof(ev_buf));
            for (char *q = ev_buf; len > 0 && q < ev_buf + len;) {
                struct inotify_event *ev = (struct inotify_event *)q;
                if (ev->len > 0 && strcmp(ev->name, base) == 0)
                    t1 = now_ns();
                q += sizeof(*ev) + ev->len;
            }
            continue;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            die("%s exited before writing %s (see %s)", argv[0], ports_file,
                log);
        if ((double)(now_ns() - t0) / 1e9 > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            die("no %s after %.0f s (see %s)", ports_file, timeout_s, log);
        }
    }
    close(in);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return (double)(t1 - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int startup_run(const char *ports_file, int runs, char **argv,
                       const char *log)
{
    double *ms = calloc((size_t)runs, sizeof(double));
    if (ms == NULL)
        die("out of memory");
    printf("startup runs=%d all_ms=", runs);
    for (int i = 0; i < runs; i++) {
        ms[i] = startup_once(ports_file, argv, log, 30);
        printf("%s%.1f", i ? "," : "", ms[i]);
    }
    qsort(ms, (size_t)runs, sizeof(double), cmp_double);
    printf(" median_ms=%.1f min_ms=%.1f max_ms=%.1f\n", ms[runs / 2], ms[0],
           ms[runs - 1]);
    free(ms);
    return 0;
}

/* ---- freeport --------------------------------------------------------- */

/* Prints a TCP port that was free on 127.0.0.1 a moment ago. */
static int freeport_run(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("cannot find a free port: %s", strerror(errno));
    printf("%d\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

/* ---- command line ----------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("usage: shakebench load [client options] [-n N] [-c C]\n"
          "       shakebench hold [client options] --mode hello|handshake\n"
          "                  [-n N] [-c C] [--seconds S] [--ready-file F]\n"
          "       shakebench viewers [client options] --dashboard-port P\n"
          "                  [--viewers N] [--rate R] [--seconds S]\n"
          "                  [--load tls|tcp] [-c C] [--settle S]\n"
          "                  [--drain S] [--ready-file F]\n"
          "       shakebench startup --ports-file F [--runs R] [--log F]\n"
          "                  -- CMD...\n"
          "       shakebench crypto [--certs DIR] [--seconds S]\n"
          "       shakebench freeport | library\n"
          "\n"
          "client options:\n"
          "  --host NAME     connect to NAME, also the SNI and the name\n"
          "                  verified (default localhost; an IP: no SNI)\n"
          "  --port P        server port (required)\n"
          "  --tls 1.2|1.3   protocol version (default 1.3)\n"
          "  --ciphers LIST  ':'-separated wolfSSL names (the OpenSSL\n"
          "                  build also takes OpenSSL's)\n"
          "  --group G       x25519 (default) or p256, the only one offered\n"
          "  --ca FILE       verify the server against FILE (default: no)\n"
          "  --timeout S     per socket operation (default 10)\n"
          "\n"
          "load: N connections (default 1000), C at a time (default 32),\n"
          "each a full handshake, one GET / and a read until the server\n"
          "closes. Prints one line: hs_per_s, p50_ms and p99_ms (connect\n"
          "plus handshake), errors. Exit 1 when any connection failed.\n"
          "\n"
          "hold: opens N connections and keeps them for S seconds (default\n"
          "1) or until SIGTERM: \"hello\" sends a ClientHello on each,\n"
          "\"handshake\" completes the handshake, then nothing more. Writes\n"
          "\"held=...\" to the ready file once all are open; prints how\n"
          "many the server closed.\n"
          "\n"
          "viewers: N (default 500) GET /events streams on the dashboard's\n"
          "port P (same host), read by one epoll thread. Once all stream\n"
          "(\"viewers=...\" to the ready file, then --settle S, default 1),\n"
          "C threads (default 64) open connections to --port, R a second\n"
          "(default 2000, paced: open loop while a thread is free), for\n"
          "--seconds (default 10); --load tls (default): as load does;\n"
          "tcp: a connect and a read until the server closes. After\n"
          "--drain S (default 2), one line: viewers kept and dropped,\n"
          "frames (events) per second over all viewers, \"lost\" frames,\n"
          "p50/p99/max of the delay from a load connection's end to its\n"
          "\"closed\" event at each viewer, connections per second reached.\n"
          "Exit 1 when a viewer was refused or dropped, or a load\n"
          "connection failed.\n"
          "\n"
          "startup: runs CMD R times (default 5); milliseconds from fork to\n"
          "the ports file (seen through inotify), and their median.\n"
          "\n"
          "crypto (wolfSSL build): wolfCrypt operations per CPU second with\n"
          "DIR/leaf.key and DIR/leaf-ecdsa.key. freeport: a free TCP port\n"
          "on 127.0.0.1. library: the TLS library this build links.\n",
          out);
}

enum opt_id {
    OPT_HOST = 256,
    OPT_PORT,
    OPT_TLS,
    OPT_CIPHERS,
    OPT_GROUP,
    OPT_CA,
    OPT_TIMEOUT,
    OPT_MODE,
    OPT_SECONDS,
    OPT_READY,
    OPT_PORTS_FILE,
    OPT_RUNS,
    OPT_LOG,
    OPT_CERTS,
    OPT_DASHBOARD_PORT,
    OPT_VIEWERS,
    OPT_RATE,
    OPT_LOAD,
    OPT_SETTLE,
    OPT_DRAIN
};

static const struct option long_opts[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"tls", required_argument, NULL, OPT_TLS},
    {"ciphers", required_argument, NULL, OPT_CIPHERS},
    {"group", required_argument, NULL, OPT_GROUP},
    {"ca", required_argument, NULL, OPT_CA},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"ready-file", required_argument, NULL, OPT_READY},
    {"ports-file", required_argument, NULL, OPT_PORTS_FILE},
    {"runs", required_argument, NULL, OPT_RUNS},
    {"log", required_argument, NULL, OPT_LOG},
    {"certs", required_argument, NULL, OPT_CERTS},
    {"dashboard-port", required_argument, NULL, OPT_DASHBOARD_PORT},
    {"viewers", required_argument, NULL, OPT_VIEWERS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"load", required_argument, NULL, OPT_LOAD},
    {"settle", required_argument, NULL, OPT_SETTLE},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct cli {
    struct tlsc_opts client;
    long n;
    int concurrency;
    enum hold_mode mode;
    double seconds; /* 0: the command's default */
    const char *ready_file, *ports_file, *log, *certs;
    int runs;
    int dashboard_port, viewers;
    double rate, settle, drain;
    enum load_kind load_kind;
};

static void cli_parse(struct cli *o, int argc, char **argv)
{
    int ch;
    while ((ch = getopt_long(argc, argv, "+n:c:h", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'n': o->n = parse_long("-n", optarg, 1, 10000000); break;
        case 'c':
            o->concurrency = (int)parse_long("-c", optarg, 1, 4096);
            break;
        case OPT_HOST: o->client.host = optarg; break;
        case OPT_PORT:
            o->client.port = (int)parse_long("--port", optarg, 1, 65535);
            break;
        case OPT_TLS:
            if (strcmp(optarg, "1.2") != 0 && strcmp(optarg, "1.3") != 0)
                die("--tls: \"%s\" is not 1.2 or 1.3", optarg);
            o->client.tls = optarg[2] == '2' ? 12 : 13;
            break;
        case OPT_CIPHERS: o->client.ciphers = optarg; break;
        case OPT_GROUP: o->client.group = group_parse(optarg); break;
        case OPT_CA: o->client.ca = optarg; break;
        case OPT_TIMEOUT:
            o->client.timeout_s = (int)parse_long("--timeout", optarg, 1, 3600);
            break;
        case OPT_MODE:
            if (strcmp(optarg, "hello") != 0 &&
                strcmp(optarg, "handshake") != 0)
                die("--mode: \"%s\" is not hello or handshake", optarg);
            o->mode = optarg[0] == 'h' && optarg[1] == 'e' ? HOLD_HELLO
                                                           : HOLD_HANDSHAKE;
            break;
        case OPT_SECONDS: o->seconds = parse_double("--seconds", optarg); break;
        case OPT_READY: o->ready_file = optarg; break;
        case OPT_PORTS_FILE: o->ports_file = optarg; break;
        case OPT_RUNS:
            o->runs = (int)parse_long("--runs", optarg, 1, 1000);
            break;
        case OPT_LOG: o->log = optarg; break;
        case OPT_CERTS: o->certs = optarg; break;
        case OPT_DASHBOARD_PORT:
            o->dashboard_port =
                (int)parse_long("--dashboard-port", optarg, 1, 65535);
            break;
        case OPT_VIEWERS:
            o->viewers = (int)parse_long("--viewers", optarg, 1, 100000);
            break;
        case OPT_RATE: o->rate = parse_double("--rate", optarg); break;
        case OPT_LOAD:
            if (strcmp(optarg, "tls") != 0 && strcmp(optarg, "tcp") != 0)
                die("--load: \"%s\" is not tls or tcp", optarg);
            o->load_kind = optarg[1] == 'c' ? LOAD_KIND_TCP : LOAD_KIND_TLS;
            break;
        case OPT_SETTLE: o->settle = parse_double("--settle", optarg); break;
        case OPT_DRAIN: o->drain = parse_double("--drain", optarg); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
}

static struct tlsc_ctx *client_setup(struct cli *o)
{
    if (o->client.port == 0)
        die("--port is required");
    client_resolve(&o->client);
    char err[256];
    struct tlsc_ctx *ctx = tlsc_ctx_new(&o->client, err, sizeof(err));
    if (ctx == NULL)
        die("%s", err);
    return ctx;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    struct cli o = {
        .client = {.host = "localhost",
                   .tls = 13,
                   .group = TLSC_X25519,
                   .timeout_s = 10},
        .n = 1000,
        .concurrency = 0,
        .mode = HOLD_HELLO,
        .seconds = 0,
        .log = "/dev/null",
        .certs = "certs",
        .runs = 5,
        .viewers = 500,
        .rate = 2000,
        .settle = 1,
        .drain = 2,
        .load_kind = LOAD_KIND_TLS,
    };
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    cli_parse(&o, argc - 1, argv + 1);
    char **rest = argv + 1 + optind;
    if (strcmp(cmd, "startup") != 0 && rest[0] != NULL)
        die("%s: unexpected argument \"%s\"", cmd, rest[0]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    raise_nofile();
    if (strcmp(cmd, "load") == 0) {
        struct load l = {.n = o.n,
                         .concurrency = o.concurrency ? o.concurrency : 32};
        l.ctx = client_setup(&o);
        l.client = o.client;
        return load_run(&l);
    }
    if (strcmp(cmd, "hold") == 0) {
        /* Signals wait for sigtimedwait; threads inherit the mask. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        struct hold h = {.mode = o.mode,
                         .n = o.n,
                         .concurrency = o.concurrency ? o.concurrency : 32,
                         .seconds = o.seconds ? o.seconds : 1,
                         .ready_file = o.ready_file};
        h.ctx = client_setup(&o);
        h.client = o.client;
        return hold_run(&h);
    }
    if (strcmp(cmd, "viewers") == 0) {
        if (o.dashboard_port == 0)
            die("viewers needs --dashboard-port P");
        double seconds = o.seconds ? o.seconds : 10;
        struct paced_load l = {.kind = o.load_kind,
                               .rate = o.rate,
                               .n = (long)(o.rate * seconds + 0.5),
                               .threads = o.concurrency ? o.concurrency : 64};
        if (l.n < 1)
            die("--rate times --seconds is less than one connection");
        l.ctx = client_setup(&o);
        l.client = o.client;
        struct viewers vs = {.n = o.viewers,
                             .seconds = seconds,
                             .settle = o.settle,
                             .drain = o.drain,
                             .ready_file = o.ready_file};
        vs.dash = o.client;
        vs.dash.port = o.dashboard_port;
        client_resolve(&vs.dash);
        return viewers_run(&vs, &l);
    }
    if (strcmp(cmd, "startup") == 0) {
        if (o.ports_file == NULL || rest[0] == NULL)
            die("startup needs --ports-file F -- CMD...");
        return startup_run(o.ports_file, o.runs, rest, o.log);
    }
    if (strcmp(cmd, "crypto") == 0) {
#ifdef SHAKEBENCH_SPEED
        return speed_run(o.certs, o.seconds ? o.seconds : 1);
#else
        die("crypto: only in the wolfSSL build");
#endif
    }
    if (strcmp(cmd, "library") == 0) {
        printf("%s\n", tlsc_library());
        return 0;
    }
    if (strcmp(cmd, "freeport") == 0)
        return freeport_run();
    usage(stderr);
    return 2;
}
