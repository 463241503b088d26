/*
 * shakebench: the measuring tools behind bench/run.sh. A handshake load
 * generator (one thread per concurrent connection slot, blocking sockets,
 * the TLS client of tlsc.h), a holder of many idle connections, a start-up
 * timer and, in the wolfSSL build, a wolfCrypt micro-benchmark.
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

/* A connected blocking TCP socket, or -errno. */
static int client_tcp_connect(const struct tlsc_opts *o)
{
    int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {.tv_sec = o->timeout_s};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
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
    OPT_CERTS
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
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct cli {
    struct tlsc_opts client;
    long n;
    int concurrency;
    enum hold_mode mode;
    double seconds;
    const char *ready_file, *ports_file, *log, *certs;
    int runs;
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
        .concurrency = 32,
        .mode = HOLD_HELLO,
        .seconds = 1,
        .log = "/dev/null",
        .certs = "certs",
        .runs = 5,
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
        struct load l = {.n = o.n, .concurrency = o.concurrency};
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
                         .concurrency = o.concurrency,
                         .seconds = o.seconds,
                         .ready_file = o.ready_file};
        h.ctx = client_setup(&o);
        h.client = o.client;
        return hold_run(&h);
    }
    if (strcmp(cmd, "startup") == 0) {
        if (o.ports_file == NULL || rest[0] == NULL)
            die("startup needs --ports-file F -- CMD...");
        return startup_run(o.ports_file, o.runs, rest, o.log);
    }
    if (strcmp(cmd, "crypto") == 0) {
#ifdef SHAKEBENCH_SPEED
        return speed_run(o.certs, o.seconds);
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
