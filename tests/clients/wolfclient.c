/*
 * wolfclient: a one-shot TLS client on the project's own wolfSSL, so the
 * tests can prove that SSLv3, TLS 1.0 and weak suites are really negotiated
 * now that Debian's OpenSSL 3 clients refuse to offer them. It prints one
 * line and exits 0 (OK), 1 (failure) or 2 (bad usage, not compiled in).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>

enum exit_code {
    EXIT_OK = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2
};

struct options {
    const char *ca;
    const char *host;
    const char *port;
    const char *connect;
    const char *version;
    const char *ciphers;
    const char *cert;
    const char *key;
    bool sni;
    bool verify;
    double timeout;
};

typedef WOLFSSL_METHOD *method_fn(void);

/*
 * Each --version and its client method; NULL when this wolfSSL lacks it
 * (Debian's stock build has no SSLv3 or TLS 1.0). A single-version method
 * pins the version, so the server cannot negotiate another one.
 */
static const struct {
    const char *name;
    method_fn *method;
} versions[] = {
#if defined(WOLFSSL_ALLOW_SSLV3) && !defined(NO_OLD_TLS)
    {"ssl3", wolfSSLv3_client_method},
#else
    {"ssl3", NULL},
#endif
#if defined(WOLFSSL_ALLOW_TLSV10) && !defined(NO_OLD_TLS)
    {"1.0", wolfTLSv1_client_method},
#else
    {"1.0", NULL},
#endif
#ifndef NO_OLD_TLS
    {"1.1", wolfTLSv1_1_client_method},
#else
    {"1.1", NULL},
#endif
#ifndef WOLFSSL_NO_TLS12
    {"1.2", wolfTLSv1_2_client_method},
#else
    {"1.2", NULL},
#endif
#ifdef WOLFSSL_TLS13
    {"1.3", wolfTLSv1_3_client_method},
#else
    {"1.3", NULL},
#endif
    {"any", wolfSSLv23_client_method},
};

#define N_VERSIONS (sizeof(versions) / sizeof(versions[0]))

static void usage(FILE *out)
{
    fprintf(out,
        "usage: wolfclient --ca FILE --host NAME --port N [options]\n"
        "\n"
        "Connects with wolfSSL, sends GET / and prints one line:\n"
        "  OK <version> <cipher> <first line of the HTTP response>\n"
        "  ERROR <what failed>: <wolfSSL error code> <reason>\n"
        "\n"
        "  --ca FILE          CA certificates to trust (PEM)\n"
        "  --host NAME        server name for SNI, Host: and the name check\n"
        "  --port N           port to connect to\n"
        "  --connect ADDR     address to connect to (default: 127.0.0.1)\n"
        "  --version V        ssl3, 1.0, 1.1, 1.2, 1.3 or any (default: any)\n"
        "  --ciphers LIST     wolfSSL cipher list, e.g. RC4-SHA:DES-CBC3-SHA\n"
        "  --cert FILE        client certificate chain (PEM)\n"
        "  --key FILE         client key (PEM; default: the --cert file)\n"
        "  --no-sni           send no server_name extension\n"
        "  --timeout S        seconds for connect and each read (default: 10)\n"
        "  --insecure         skip certificate and name verification\n"
        "                     (for anonymous suites); --ca is then optional\n"
        "  --help             this text\n"
        "\n"
        "Exit status: 0 OK, 1 connection or TLS failure, 2 bad usage or a\n"
        "version this wolfSSL was built without.\n");
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "wolfclient: %s%s\nTry 'wolfclient --help'.\n", msg,
            arg ? arg : "");
    return EXIT_USAGE;
}

static bool known_version(const char *name)
{
    for (size_t i = 0; i < N_VERSIONS; i++)
        if (strcmp(versions[i].name, name) == 0)
            return true;
    return false;
}

/* NULL both for unknown names and for versions not compiled in. */
static method_fn *version_method(const char *name)
{
    for (size_t i = 0; i < N_VERSIONS; i++)
        if (strcmp(versions[i].name, name) == 0)
            return versions[i].method;
    return NULL;
}

static int parse_port(const char *v)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 65535)
        return -1;
    return 0;
}

static int parse_timeout(const char *v, double *out)
{
    char *end = NULL;
    errno = 0;
    double t = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(t) || t <= 0 || t > 86400)
        return -1;
    *out = t;
    return 0;
}

enum {
    OPT_CA = 1000, OPT_HOST, OPT_PORT, OPT_CONNECT, OPT_VERSION, OPT_CIPHERS,
    OPT_CERT, OPT_KEY, OPT_NO_SNI, OPT_TIMEOUT, OPT_INSECURE, OPT_HELP
};

/* Checks what getopt cannot: required options and their combinations. */
static int check_args(const struct options *o)
{
    if (o->host == NULL)
        return usage_error("--host is required", NULL);
    if (o->port == NULL)
        return usage_error("--port is required", NULL);
    if (o->ca == NULL && o->verify)
        return usage_error("--ca is required (or --insecure)", NULL);
    if (o->key != NULL && o->cert == NULL)
        return usage_error("--key goes with --cert", NULL);
    return -1; /* carry on */
}

/* Returns -1 to carry on, else the exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"ca", required_argument, NULL, OPT_CA},
        {"host", required_argument, NULL, OPT_HOST},
        {"port", required_argument, NULL, OPT_PORT},
        {"connect", required_argument, NULL, OPT_CONNECT},
        {"version", required_argument, NULL, OPT_VERSION},
        {"ciphers", required_argument, NULL, OPT_CIPHERS},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {"no-sni", no_argument, NULL, OPT_NO_SNI},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_CA: o->ca = optarg; break;
        case OPT_HOST: o->host = optarg; break;
        case OPT_PORT:
            if (parse_port(optarg) != 0)
                return usage_error("--port: not a number from 1 to 65535: ",
                                   optarg);
            o->port = optarg;
            break;
        case OPT_CONNECT: o->connect = optarg; break;
        case OPT_VERSION:
            if (!known_version(optarg))
                return usage_error("--version: not ssl3, 1.0, 1.1, 1.2, 1.3 "
                                   "or any: ", optarg);
            o->version = optarg;
            break;
        case OPT_CIPHERS: o->ciphers = optarg; break;
        case OPT_CERT: o->cert = optarg; break;
        case OPT_KEY: o->key = optarg; break;
        case OPT_NO_SNI: o->sni = false; break;
        case OPT_TIMEOUT:
            if (parse_timeout(optarg, &o->timeout) != 0)
                return usage_error("--timeout: not a number of seconds: ",
                                   optarg);
            break;
        case OPT_INSECURE: o->verify = false; break;
        case OPT_HELP: usage(stdout); return EXIT_OK;
        default:
            return usage_error("option needs a value or is unknown: ",
                               argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument: ", argv[optind]);
    return check_args(o);
}

/*
 * The failure line for a wolfSSL error code, plus optional detail. Loaders
 * and the cipher list return a bare WOLFSSL_FAILURE (0), which wolfSSL's
 * own table would call "ok".
 */
static void report(const char *what, int err, const char *detail)
{
    char reason[WOLFSSL_MAX_ERROR_SZ] = "failed";
    if (err != WOLFSSL_FAILURE)
        wolfSSL_ERR_error_string_n((unsigned long)err, reason, sizeof(reason));
    printf("ERROR %s: %d %s%s\n", what, err, reason, detail ? detail : "");
}

/* The failure line for a system call; the code is errno, not wolfSSL's. */
static void report_errno(const char *what, int err)
{
    printf("ERROR %s: errno %d %s\n", what, err, strerror(err));
}

/* Writes "; alert received: name(code)" when the peer sent an alert. */
static void describe_alert(WOLFSSL *ssl, char *out, size_t size)
{
    WOLFSSL_ALERT_HISTORY h;
    out[0] = '\0';
    if (wolfSSL_get_alert_history(ssl, &h) != WOLFSSL_SUCCESS ||
        h.last_rx.code < 0 || h.last_rx.level <= 0)
        return;
#ifdef OPENSSL_EXTRA
    const char *name = wolfSSL_alert_desc_string_long(h.last_rx.code);
#else
    const char *name = "alert";
#endif
    snprintf(out, size, "; alert received: %s(%d)", name, h.last_rx.code);
}

/*
 * Reports a failed wolfSSL call. With SO_RCVTIMEO on a blocking socket, a
 * timeout surfaces as "want read" (2), which wolfSSL's table cannot name.
 */
static void report_ssl(WOLFSSL *ssl, const char *what, int ret,
                       const struct options *o)
{
    char alert[96];
    int err = wolfSSL_get_error(ssl, ret);
    describe_alert(ssl, alert, sizeof(alert));
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
        printf("ERROR %s: %d timed out after %g s%s\n", what, err,
               o->timeout, alert);
    else
        report(what, err, alert);
}

typedef int load_fn(WOLFSSL_CTX *ctx, const char *path);

static int load_ca(WOLFSSL_CTX *ctx, const char *path)
{
    return wolfSSL_CTX_load_verify_locations(ctx, path, NULL);
}

static int load_key(WOLFSSL_CTX *ctx, const char *path)
{
    return wolfSSL_CTX_use_PrivateKey_file(ctx, path, WOLFSSL_FILETYPE_PEM);
}

/*
 * Runs one PEM loader. The loaders answer a bare WOLFSSL_FAILURE both for
 * a missing file and for a bad one, so errno speaks first.
 */
static int load(WOLFSSL_CTX *ctx, const char *flag, const char *path,
                load_fn *fn)
{
    char what[300];
    snprintf(what, sizeof(what), "load %s %s", flag, path);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        report_errno(what, errno);
        return -1;
    }
    fclose(f);
    int ret = fn(ctx, path);
    if (ret != WOLFSSL_SUCCESS) {
        report(what, ret, " (no usable PEM data in the file)");
        return -1;
    }
    return 0;
}

/* Loads the trust anchors and the client's certificate and key, if any. */
static int ctx_load(WOLFSSL_CTX *ctx, const struct options *o)
{
    if (o->ca && load(ctx, "--ca", o->ca, load_ca) != 0)
        return -1;
    if (o->cert == NULL)
        return 0;
    if (load(ctx, "--cert", o->cert,
             wolfSSL_CTX_use_certificate_chain_file) != 0)
        return -1;
    return load(ctx, "--key", o->key ? o->key : o->cert, load_key);
}

static WOLFSSL_CTX *ctx_new(const struct options *o, method_fn *method)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(method());
    if (ctx == NULL) {
        report("context", MEMORY_E, NULL);
        return NULL;
    }
    wolfSSL_CTX_set_verify(ctx, o->verify ? WOLFSSL_VERIFY_PEER
                                          : WOLFSSL_VERIFY_NONE, NULL);
    if (o->ciphers) {
        int ret = wolfSSL_CTX_set_cipher_list(ctx, o->ciphers);
        if (ret != WOLFSSL_SUCCESS) {
            report("--ciphers", ret, " (no name in the list is known to "
                   "this wolfSSL)");
            goto fail;
        }
    }
    if (ctx_load(ctx, o) != 0)
        goto fail;
    return ctx;
fail:
    wolfSSL_CTX_free(ctx);
    return NULL;
}

static void set_timeouts(int fd, double seconds)
{
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * A blocking TCP connection to --connect, trying each address in turn.
 * SO_SNDTIMEO bounds connect() too on Linux (it fails with EINPROGRESS).
 */
static int dial(const struct options *o)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(o->connect, o->port, &hints, &res);
    if (gai != 0) {
        printf("ERROR resolve %s: %d %s\n", o->connect, gai, gai_strerror(gai));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        set_timeouts(fd, o->timeout);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            err = errno == EINPROGRESS ? ETIMEDOUT : errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        report_errno("connect", err);
    return fd;
}

/* Binds the session to fd and sets SNI and the name check. */
static int session_setup(WOLFSSL *ssl, int fd, const struct options *o)
{
    int ret = wolfSSL_set_fd(ssl, fd);
    if (ret != WOLFSSL_SUCCESS) {
        report("set_fd", ret, NULL);
        return -1;
    }
#ifdef HAVE_SNI
    if (o->sni && (ret = wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, o->host,
                                        (unsigned short)strlen(o->host)))
                      != WOLFSSL_SUCCESS) {
        report("SNI", ret, NULL);
        return -1;
    }
#endif
    if (o->verify && (ret = wolfSSL_check_domain_name(ssl, o->host))
                         != WOLFSSL_SUCCESS) {
        report("check_domain_name", ret, NULL);
        return -1;
    }
    return 0;
}

/* Keeps the first line of the response, however it is split across reads. */
struct status_line {
    char text[512];
    size_t len;
    bool done;
};

static void status_feed(struct status_line *s, const char *data, size_t n)
{
    for (size_t i = 0; i < n && !s->done; i++) {
        if (data[i] == '\r' || data[i] == '\n' ||
            s->len == sizeof(s->text) - 1)
            s->done = true;
        else
            s->text[s->len++] = data[i];
    }
    s->text[s->len] = '\0';
}

/*
 * A close without close_notify ends the response too, as with Python's
 * default suppress_ragged_eofs: this client tests the handshake, not the
 * server's shutdown manners.
 */
static bool is_eof(int err)
{
    return err == WOLFSSL_ERROR_ZERO_RETURN || err == SOCKET_PEER_CLOSED_E;
}

static int exchange(WOLFSSL *ssl, const struct options *o,
                    struct status_line *status)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     o->host);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        printf("ERROR request: --host is too long\n");
        return -1;
    }
    int ret = wolfSSL_write(ssl, buf, n);
    if (ret != n) {
        report_ssl(ssl, "write", ret, o);
        return -1;
    }
    while ((ret = wolfSSL_read(ssl, buf, (int)sizeof(buf))) > 0)
        status_feed(status, buf, (size_t)ret);
    if (!is_eof(wolfSSL_get_error(ssl, ret))) {
        report_ssl(ssl, "read", ret, o);
        return -1;
    }
    return 0;
}

static int run(const struct options *o, method_fn *method)
{
    WOLFSSL_CTX *ctx = NULL;
    WOLFSSL *ssl = NULL;
    int fd = -1;
    int rc = EXIT_FAILED;
    struct status_line status = {.len = 0, .done = false};

    if ((ctx = ctx_new(o, method)) == NULL)
        goto done;
    if ((fd = dial(o)) < 0)
        goto done;
    if ((ssl = wolfSSL_new(ctx)) == NULL) {
        report("session", MEMORY_E, NULL);
        goto done;
    }
    if (session_setup(ssl, fd, o) != 0)
        goto done;
    int ret = wolfSSL_connect(ssl);
    if (ret != WOLFSSL_SUCCESS) {
        report_ssl(ssl, "handshake", ret, o);
        goto done;
    }
    if (exchange(ssl, o, &status) != 0)
        goto done;
    const char *cipher = wolfSSL_get_cipher_name(ssl);
    printf("OK %s %s %s\n", wolfSSL_get_version(ssl),
           cipher ? cipher : "none", status.text);
    wolfSSL_shutdown(ssl);
    rc = EXIT_OK;
done:
    wolfSSL_free(ssl);
    if (fd >= 0)
        close(fd);
    wolfSSL_CTX_free(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {
        .connect = "127.0.0.1",
        .version = "any",
        .sni = true,
        .verify = true,
        .timeout = 10,
    };
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    method_fn *method = version_method(o.version);
    if (method == NULL) {
        printf("ERROR --version %s: not compiled in (wolfSSL %s)\n", o.version,
               wolfSSL_lib_version());
        return EXIT_USAGE;
    }
#ifndef HAVE_SNI
    if (o.sni) {
        printf("ERROR SNI: not compiled in (wolfSSL %s); use --no-sni\n",
               wolfSSL_lib_version());
        return EXIT_USAGE;
    }
#endif
    /* A peer that resets mid-write must give an ERROR line, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
        printf("ERROR wolfSSL_Init: failed\n");
        return EXIT_FAILED;
    }
    rc = run(&o, method);
    wolfSSL_Cleanup();
    fflush(stdout);
    return rc;
}
