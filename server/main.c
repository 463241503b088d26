/*
 * shakedown: a TLS server that fails on purpose. The command line, the
 * listing modes, and the exit codes (0 success, 1 runtime failure, 2 bad
 * usage or bad scenario files) live here and nowhere else.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uv.h>

#include "catalogue.h"
#include "hello.h"
#include "log.h"
#include "scenario.h"
#include "server.h"
#include "tlsio.h"

#ifndef SHAKEDOWN_VERSION
#define SHAKEDOWN_VERSION "0.1.0"
#endif

#define MAX_PATHS 64
#define MAX_ONLY 256

enum exit_code {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1,
    EXIT_USAGE = 2
};

struct options {
    const char *paths[MAX_PATHS];
    size_t n_paths;
    const char *only[MAX_ONLY];
    size_t n_only;
    bool list;
    bool check;
    enum catalogue_format list_format;
    struct server_options server;
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: shakedown [options]\n"
        "\n"
        "A TLS server that fails on purpose: every scenario file describes\n"
        "one broken (or correct) TLS endpoint on its own port.\n"
        "\n"
        "  --scenarios PATH     scenario file or directory of *.ini files\n"
        "                       (repeatable; default: scenarios)\n"
        "  --certs DIR          certificates directory (default: certs)\n"
        "  --only NAME[,NAME]   serve only these scenarios\n"
        "  --bind ADDR          address to listen on (default: 127.0.0.1;\n"
        "                       anything else exposes broken TLS: warned)\n"
        "  --port-offset N      add N to every scenario's port\n"
        "  --ephemeral-ports    listen on ephemeral ports (see --ports-file)\n"
        "  --ports-file FILE    write {\"bind\", \"scenarios\": [...]}\n"
        "                       once every listener is bound\n"
        "  --log-format FMT     text (default) or json\n"
        "  --handshake-timeout S  seconds to complete a handshake (10)\n"
        "  --idle-timeout S     seconds to wait for a request (30)\n"
        "  --max-connections N  connections held at once (16384)\n"
        "  --max-stall S        upper bound on any stall or drip (300)\n"
        "  --max-client-hello N bytes a ClientHello may declare (65536)\n"
        "  --drain-timeout S    on SIGTERM, seconds open connections get to\n"
        "                       finish before they are reset (5)\n"
        "  --dashboard-port N   port of the plain-HTTP dashboard (9400; with\n"
        "                       --ephemeral-ports an ephemeral one)\n"
        "  --no-dashboard       no dashboard\n"
        "  --workers N          event loops on threads of their own, sharing\n"
        "                       the ports (SO_REUSEPORT); SIGHUP reloads\n"
        "                       need 1 (default 1)\n"
        "  --allow-readable-keys  serve private keys that other users can\n"
        "                       read (refused by default)\n"
        "  --list               list the scenarios and exit\n"
        "  --json               with --list: JSON instead of a table\n"
        "  --markdown           with --list: a Markdown table\n"
        "  --check              load and validate everything, then exit\n"
        "  --help               this text\n"
        "  --version            version of shakedown and wolfSSL\n"
        "\n"
        "Exit status: 0 success, 1 runtime failure, 2 bad usage or bad\n"
        "scenario files (reported as file:line: message); with --check,\n"
        "also 2 when a certificate is out of the dates its scenario says.\n");
}

static int parse_count(const char *opt, const char *v, long lo, long hi,
                       long *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        fprintf(stderr, "shakedown: %s: \"%s\" is not a number from %ld to "
                "%ld\n", opt, v, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

/* Splits NAME[,NAME...] in place: argv strings are ours to modify. */
static int split_only(struct options *o, char *arg)
{
    char *save = NULL;
    for (char *t = strtok_r(arg, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (o->n_only == MAX_ONLY)
            return -1;
        o->only[o->n_only++] = t;
    }
    return 0;
}

enum {
    OPT_SCENARIOS = 1000, OPT_CERTS, OPT_ONLY, OPT_BIND, OPT_PORT_OFFSET,
    OPT_EPHEMERAL, OPT_PORTS_FILE, OPT_LOG_FORMAT, OPT_HS_TIMEOUT,
    OPT_IDLE_TIMEOUT, OPT_MAX_CONN, OPT_MAX_STALL, OPT_MAX_HELLO, OPT_DRAIN,
    OPT_DASHBOARD_PORT, OPT_NO_DASHBOARD, OPT_ALLOW_KEYS, OPT_WORKERS, OPT_LIST, OPT_JSON,
    OPT_MARKDOWN,
    OPT_CHECK, OPT_HELP, OPT_VERSION
};

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"scenarios", required_argument, NULL, OPT_SCENARIOS},
        {"certs", required_argument, NULL, OPT_CERTS},
        {"only", required_argument, NULL, OPT_ONLY},
        {"bind", required_argument, NULL, OPT_BIND},
        {"port-offset", required_argument, NULL, OPT_PORT_OFFSET},
        {"ephemeral-ports", no_argument, NULL, OPT_EPHEMERAL},
        {"ports-file", required_argument, NULL, OPT_PORTS_FILE},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
        {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"max-stall", required_argument, NULL, OPT_MAX_STALL},
        {"max-client-hello", required_argument, NULL, OPT_MAX_HELLO},
        {"drain-timeout", required_argument, NULL, OPT_DRAIN},
        {"dashboard-port", required_argument, NULL, OPT_DASHBOARD_PORT},
        {"no-dashboard", no_argument, NULL, OPT_NO_DASHBOARD},
        {"allow-readable-keys", no_argument, NULL, OPT_ALLOW_KEYS},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"list", no_argument, NULL, OPT_LIST},
        {"json", no_argument, NULL, OPT_JSON},
        {"markdown", no_argument, NULL, OPT_MARKDOWN},
        {"check", no_argument, NULL, OPT_CHECK},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    long n;
    int ch;
    enum log_format lf;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_SCENARIOS:
            if (o->n_paths == MAX_PATHS) {
                fprintf(stderr, "shakedown: too many --scenarios\n");
                return EXIT_USAGE;
            }
            o->paths[o->n_paths++] = optarg;
            break;
        case OPT_CERTS: o->server.certs_dir = optarg; break;
        case OPT_ONLY:
            if (split_only(o, optarg) != 0) {
                fprintf(stderr, "shakedown: --only: too many names\n");
                return EXIT_USAGE;
            }
            break;
        case OPT_BIND: o->server.bind = optarg; break;
        case OPT_PORT_OFFSET:
            if (parse_count("--port-offset", optarg, 0, 65535, &n) != 0)
                return EXIT_USAGE;
            o->server.port_offset = (int)n;
            break;
        case OPT_EPHEMERAL: o->server.ephemeral = true; break;
        case OPT_PORTS_FILE: o->server.ports_file = optarg; break;
        case OPT_LOG_FORMAT:
            if (log_parse_format(optarg, &lf) != 0) {
                fprintf(stderr, "shakedown: --log-format: \"%s\" is not "
                        "text or json\n", optarg);
                return EXIT_USAGE;
            }
            log_set_format(lf);
            break;
        case OPT_HS_TIMEOUT:
            if (parse_count("--handshake-timeout", optarg, 1, 86400, &n))
                return EXIT_USAGE;
            o->server.handshake_timeout_ms = (uint64_t)n * 1000;
            break;
        case OPT_IDLE_TIMEOUT:
            if (parse_count("--idle-timeout", optarg, 1, 86400, &n))
                return EXIT_USAGE;
            o->server.idle_timeout_ms = (uint64_t)n * 1000;
            break;
        case OPT_MAX_CONN:
            if (parse_count("--max-connections", optarg, 1, 1000000, &n))
                return EXIT_USAGE;
            o->server.max_connections = (size_t)n;
            break;
        case OPT_MAX_STALL:
            if (parse_count("--max-stall", optarg, 1, 86400, &n))
                return EXIT_USAGE;
            o->server.max_stall_s = (int)n;
            break;
        case OPT_MAX_HELLO:
            if (parse_count("--max-client-hello", optarg, 512, HELLO_MAX_BYTES,
                            &n))
                return EXIT_USAGE;
            o->server.max_client_hello = (size_t)n;
            break;
        case OPT_DRAIN:
            if (parse_count("--drain-timeout", optarg, 0, 3600, &n))
                return EXIT_USAGE;
            o->server.drain_ms = (uint64_t)n * 1000;
            break;
        case OPT_DASHBOARD_PORT:
            if (parse_count("--dashboard-port", optarg, 0, 65535, &n))
                return EXIT_USAGE;
            o->server.dashboard_port = (int)n;
            break;
        case OPT_NO_DASHBOARD: o->server.dashboard_port = -1; break;
        case OPT_ALLOW_KEYS: o->server.allow_readable_keys = true; break;
        case OPT_WORKERS:
            if (parse_count("--workers", optarg, 1, 64, &n))
                return EXIT_USAGE;
            o->server.workers = (int)n;
            break;
        case OPT_LIST: o->list = true; break;
        case OPT_JSON: o->list_format = CATALOGUE_JSON; break;
        case OPT_MARKDOWN: o->list_format = CATALOGUE_MARKDOWN; break;
        case OPT_CHECK: o->check = true; break;
        case OPT_HELP: usage(stdout); return EXIT_OK;
        case OPT_VERSION:
            printf("shakedown %s (wolfSSL %s)\n", SHAKEDOWN_VERSION,
                   tlsio_library_version());
            return EXIT_OK;
        default:
            if (optopt != 0 && optopt < 1000)
                fprintf(stderr, "shakedown: option needs a value or is "
                        "unknown: %s\n", argv[optind - 1]);
            else
                fprintf(stderr, "shakedown: unknown option %s\n",
                        argv[optind - 1]);
            fprintf(stderr, "Try 'shakedown --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "shakedown: unexpected argument \"%s\"\n"
                "Try 'shakedown --help'.\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o->list_format != CATALOGUE_TABLE && !o->list) {
        fprintf(stderr, "shakedown: --json and --markdown go with --list\n");
        return EXIT_USAGE;
    }
    return -1; /* carry on */
}

static struct server_source source_of(const struct options *o)
{
    struct server_source src = {o->paths, o->n_paths,
                                o->n_only ? o->only : NULL, o->n_only};
    return src;
}

static int load_scenarios(const struct options *o, struct scenario_set *set)
{
    struct diag d;
    struct server_source src = source_of(o);
    diag_clear(&d);
    if (server_load(&src, set, &d) != 0) {
        if (d.file[0] == '\0')
            fprintf(stderr, "shakedown: %s\n", d.msg);
        else
            diag_print(&d, stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Reports what cannot be served. Returns how many scenarios are broken by
 * bad input (missing files and the like), not by the library. */
static size_t report_unavailable(const struct server *srv)
{
    size_t broken = 0;
    for (size_t i = 0; i < srv->n_entries; i++) {
        const struct server_entry *e = srv->entries[i];
        if (e->ctx != NULL)
            continue;
        fprintf(stderr, "%s: scenario \"%s\" is unavailable: %s\n",
                e->scenario->file, e->scenario->name, e->unavailable);
        broken += e->unsupported ? 0 : 1;
    }
    return broken;
}

static void warn_line(void *arg, const char *msg)
{
    (void)arg;
    log_info("%s", msg);
}

/* Warns about every served certificate whose dates contradict its
 * scenario's [tls] validity (a rotted test PKI, most likely). Returns how
 * many scenarios that concerns: they still serve, but --check fails. */
static size_t report_dates(const struct server *srv)
{
    size_t n = 0;
    for (size_t i = 0; i < srv->n_entries; i++) {
        const struct server_entry *e = srv->entries[i];
        if (e->ctx != NULL &&
            tlsio_check_dates(srv->opt.certs_dir, e->scenario, warn_line,
                              NULL) > 0)
            n++;
    }
    return n;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int serve(struct server *srv)
{
    struct diag d;
    diag_clear(&d);
    uv_loop_t *loop = uv_default_loop();
    raise_fd_limit();
    if (server_listen(srv, loop, &d) != 0) {
        diag_print(&d, stderr);
        /* Whatever was opened closes as the loop runs once more. */
        server_stop(srv);
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
        return EXIT_RUNTIME;
    }
    catalogue_print_serving(srv, stdout);
    server_run(srv);
    uv_loop_close(loop);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options o;
    memset(&o, 0, sizeof(o));
    o.server.bind = "127.0.0.1";
    o.server.certs_dir = "certs";
    o.server.handshake_timeout_ms = 10000;
    o.server.idle_timeout_ms = 30000;
    o.server.linger_ms = 2000;
    o.server.max_connections = 16384;
    o.server.max_stall_s = 300;
    o.server.max_client_hello = 65536;
    o.server.drain_ms = 5000;
    o.server.dashboard_port = 9400;
    o.server.workers = 1;
    o.list_format = CATALOGUE_TABLE;

    /* A peer that resets while a write is queued must cost an EPIPE on
     * that connection, not the process. */
    signal(SIGPIPE, SIG_IGN);
    if (tlsio_init() != 0) {
        fprintf(stderr, "shakedown: wolfSSL_Init failed\n");
        return EXIT_RUNTIME;
    }
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        goto done;
    if (o.n_paths == 0)
        o.paths[o.n_paths++] = "scenarios";

    struct scenario_set set = {0};
    struct server srv;
    memset(&srv, 0, sizeof(srv));
    rc = load_scenarios(&o, &set);
    if (rc != EXIT_OK)
        goto free_set;
    struct diag d;
    diag_clear(&d);
    struct server_source src = source_of(&o);
    rc = server_prepare(&srv, &set, &src, &o.server, &d);
    scenario_set_free(&set); /* the entries hold copies */
    if (rc != 0) {
        diag_print(&d, stderr);
        rc = EXIT_RUNTIME;
        goto free_server;
    }
    if (o.list) {
        catalogue_print(&srv, o.list_format, stdout);
        rc = EXIT_OK;
    } else {
        size_t broken = report_unavailable(&srv);
        size_t out_of_date = report_dates(&srv);
        if (o.check) {
            printf("%zu scenarios checked, %zu unavailable in this build, "
                   "%zu broken, %zu with certificates out of their dates\n",
                   srv.n_entries, catalogue_count_unavailable(&srv) - broken,
                   broken, out_of_date);
            rc = broken || out_of_date ? EXIT_USAGE : EXIT_OK;
        } else {
            rc = serve(&srv);
        }
    }
free_server:
    server_free(&srv);
free_set:
    scenario_set_free(&set);
done:
    tlsio_cleanup();
    return rc;
}
