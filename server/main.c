/*
 * shakedown: a TLS server that fails on purpose. The command line, the
 * listing modes, and the exit codes (0 success, 1 runtime failure, 2 bad
 * usage or bad scenario files) live here and nowhere else.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "catalogue.h"
#include "diag.h"
#include "hello.h"
#include "layers.h"
#include "log.h"
#include "runner.h"
#include "scenario.h"
#include "server.h"
#include "tlsio.h"
#include "watch.h"

#ifndef SHAKEDOWN_VERSION
#define SHAKEDOWN_VERSION "0.1.0"
#endif

#define MAX_PATHS 64
#define MAX_ONLY 256
/* shakedown test's bound on stalls and drips, under its --timeout. */
#define TEST_MAX_STALL_S 3

enum exit_code {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1,
    EXIT_USAGE = 2
};

/* What the command line asks for: serving (no subcommand), or one of
 * the subcommands; an option belongs to some of them. */
enum mode {
    MODE_SERVE = 1,
    MODE_TEST = 2,  /* shakedown test: grade a client */
    MODE_WATCH = 4, /* shakedown watch: a live scoreboard */
    MODE_ALL = 7
};

struct options {
    enum mode mode;
    const char *paths[MAX_PATHS];
    size_t n_paths;
    const char *only[MAX_ONLY];
    size_t n_only;
    bool list;
    bool check;
    bool protocol_given;
    enum catalogue_format list_format;
    struct server_options server;
    struct runner_options runner;
    const char *trace_file; /* test and watch: the trace goes there */
    bool stall_given;
};

/* ---- the command line, as a table ------------------------------------ */

/* What an option's value becomes. The numeric kinds are bounded by the
 * option's lo and hi and stored in the field at its offset. */
enum arg_kind {
    ARG_FLAG,    /* no value: the bool becomes true */
    ARG_STRING,  /* the const char * points into argv */
    ARG_INT,     /* an int */
    ARG_SIZE,    /* a size_t */
    ARG_SECONDS, /* whole seconds, stored as uint64_t milliseconds */
    ARG_CALL,    /* anything else: the option's own function */
};

/* What applying an option tells the loop; errors are -1 with a diag. */
enum { ARG_NEXT = 0, ARG_DONE = 1 };

struct arg {
    const char *name;  /* without the leading "--" */
    const char *value; /* the value's name in the usage; NULL: takes none */
    enum arg_kind kind;
    size_t offset; /* of the field in struct options */
    long lo, hi;
    int (*call)(struct options *o, char *value, struct diag *d);
    const char *help; /* its lines, separated by '\n' */
    unsigned modes; /* enum mode bits it is accepted in */
};

/* The offset of field m of struct options, which must be a t: comparing
 * pointers of distinct types fails the build, so a table row cannot
 * store into a field of the wrong type. */
#define FIELD(t, m)                                                          \
    (offsetof(struct options, m) +                                           \
     0 * sizeof((t *)NULL == &((struct options *)NULL)->m))

#define FLAG_IN(in, n, m, h)                                                 \
    {n, NULL, ARG_FLAG, FIELD(bool, m), 0, 0, NULL, h, in}
#define STRING_IN(in, n, v, m, h)                                            \
    {n, v, ARG_STRING, FIELD(const char *, m), 0, 0, NULL, h, in}
#define INT_IN(in, n, v, m, lo, hi, h)                                       \
    {n, v, ARG_INT, FIELD(int, m), lo, hi, NULL, h, in}
#define SECONDS_IN(in, n, v, m, lo, hi, h)                                   \
    {n, v, ARG_SECONDS, FIELD(uint64_t, m), lo, hi, NULL, h, in}
#define CALL_IN(in, n, v, fn, h) {n, v, ARG_CALL, 0, 0, 0, fn, h, in}
#define FLAG(n, m, h) FLAG_IN(MODE_ALL, n, m, h)
#define STRING(n, v, m, h) STRING_IN(MODE_ALL, n, v, m, h)
#define INT(n, v, m, lo, hi, h) INT_IN(MODE_ALL, n, v, m, lo, hi, h)
#define SIZE(n, v, m, lo, hi, h)                                             \
    {n, v, ARG_SIZE, FIELD(size_t, m), lo, hi, NULL, h, MODE_ALL}
#define SECONDS(n, v, m, lo, hi, h) SECONDS_IN(MODE_ALL, n, v, m, lo, hi, h)
#define CALL(n, v, fn, h) CALL_IN(MODE_ALL, n, v, fn, h)
#define SERVING (MODE_SERVE | MODE_WATCH)

static int add_path(struct options *o, char *v, struct diag *d);
static int add_only(struct options *o, char *v, struct diag *d);
static int set_log_format(struct options *o, char *v, struct diag *d);
static int no_dashboard(struct options *o, char *v, struct diag *d);
static int list_json(struct options *o, char *v, struct diag *d);
static int list_markdown(struct options *o, char *v, struct diag *d);
static int set_protocol(struct options *o, char *v, struct diag *d);
static int set_max_stall(struct options *o, char *v, struct diag *d);
static int set_client(struct options *o, char *v, struct diag *d);
static int show_help(struct options *o, char *v, struct diag *d);
static int parse_number(const struct arg *a, const char *v, long *out,
                        struct diag *d);
static int show_version(struct options *o, char *v, struct diag *d);

/* Every option, in the order the usage lists them. */
static const struct arg args[] = {
    CALL("scenarios", "PATH", add_path,
         "scenario file or directory of *.ini files\n"
         "(repeatable; default: scenarios)"),
    STRING("certs", "DIR", server.certs_dir,
           "certificates directory (default: certs)"),
    CALL("only", "NAME[,NAME]", add_only, "serve only these scenarios"),
    STRING("bind", "ADDR", server.bind,
           "address to listen on (default: 127.0.0.1;\n"
           "anything else exposes broken TLS: warned)"),
    CALL("protocol", "NAME", set_protocol,
         "wrap every scenario in NAME: https (default),\n"
         "smtp, imap, pop3, ftp (STARTTLS), smtps, imaps,\n"
         "pop3s, ftps (implicit TLS), postgres, mysql;\n"
         "each has its own ports: +1000 for smtp, +2000\n"
         "smtps, ... +10000 mysql (expired: 9410 over\n"
         "https, 10410 over smtp)"),
    INT("port-offset", "N", server.port_offset, 0, 65535,
        "add N to every scenario's port"),
    FLAG("ephemeral-ports", server.ephemeral,
         "listen on ephemeral ports (see --ports-file)"),
    STRING("ports-file", "FILE", server.ports_file,
           "write {\"bind\", \"scenarios\": [...]}\n"
           "once every listener is bound"),
    CALL("log-format", "FMT", set_log_format, "text (default) or json"),
    SECONDS("handshake-timeout", "S", server.handshake_timeout_ms, 1, 86400,
            "seconds to complete a handshake (10)"),
    SECONDS("idle-timeout", "S", server.idle_timeout_ms, 1, 86400,
            "seconds to wait for a request (30)"),
    SIZE("max-connections", "N", server.max_connections, 1, 1000000,
         "connections held at once (16384)"),
    CALL("max-stall", "S", set_max_stall,
         "upper bound on any stall or drip (300;\n"
         "with test: 3, so they end before --timeout)"),
    SIZE("max-client-hello", "N", server.max_client_hello, 512,
         HELLO_MAX_BYTES, "bytes a ClientHello may declare (65536)"),
    SECONDS("drain-timeout", "S", server.drain_ms, 0, 3600,
            "on SIGTERM, seconds open connections get to\n"
            "finish before they are reset (5)"),
    INT("dashboard-port", "N", server.dashboard_port, 0, 65535,
        "port of the plain-HTTP dashboard (9400; with\n"
        "--ephemeral-ports an ephemeral one)"),
    CALL("no-dashboard", NULL, no_dashboard, "no dashboard"),
    SECONDS("dashboard-header-timeout", "S",
            server.dashboard.header_timeout_ms, 1, 3600,
            "seconds a dashboard request head may take\n"
            "(10; then 408 and the connection closes)"),
    SECONDS("dashboard-keepalive-timeout", "S", server.dashboard.keepalive_ms,
            1, 3600,
            "seconds an idle dashboard connection is kept,\n"
            "or a response waits to be read (20)"),
    SIZE("dashboard-max-clients", "N", server.dashboard.max_clients, 1,
         1000000,
         "dashboard connections held at once (1024);\n"
         "when full, the longest-idle one that is not\n"
         "an event stream is closed for the newcomer"),
    SIZE("dashboard-max-streams", "N", server.dashboard.max_streams, 1,
         1000000,
         "event streams (/events) at once (256); more\n"
         "get 503 with Retry-After"),
    INT("workers", "N", server.workers, 1, 64,
        "event loops on threads of their own, sharing\n"
        "the ports (SO_REUSEPORT); SIGHUP reloads\n"
        "need 1 (default 1)"),
    FLAG("allow-readable-keys", server.allow_readable_keys,
         "serve private keys that other users can\n"
         "read (refused by default)"),
    FLAG_IN(MODE_SERVE, "list", list, "list the scenarios and exit"),
    CALL_IN(MODE_SERVE, "json", NULL, list_json,
            "with --list: JSON instead of a table"),
    CALL_IN(MODE_SERVE, "markdown", NULL, list_markdown,
            "with --list: a Markdown table"),
    FLAG_IN(MODE_SERVE, "check", check,
            "load and validate every scenario (with\n"
            "--protocol: those it serves), then exit"),
    INT_IN(MODE_TEST, "jobs", "N", runner.jobs, 1, 256,
           "clients run at once (twice the cores)"),
    SECONDS_IN(MODE_TEST, "timeout", "S", runner.timeout_ms, 1, 3600,
               "seconds a client run may take (10); then it\n"
               "is killed with everything it started: ERROR"),
    CALL_IN(MODE_TEST, "client", "NAME", set_client,
            "run the catalogue's own command for NAME\n"
            "(curl, openssl, python, gnutls, ...) instead\n"
            "of a command; from the project's top directory"),
    STRING_IN(MODE_TEST, "junit", "FILE", runner.junit,
              "also write JUnit XML (a testcase a scenario)"),
    STRING_IN(MODE_TEST, "json", "FILE", runner.json,
              "also write JSON: grades, client output, events"),
    STRING_IN(MODE_TEST, "write-baseline", "FILE", runner.write_baseline,
              "record this run's grades as a baseline"),
    STRING_IN(MODE_TEST, "baseline", "FILE", runner.baseline,
              "report only what changed since the baseline;\n"
              "exit 0 when nothing did"),
    FLAG_IN(MODE_TEST, "quiet", runner.quiet, "no table, only the summary"),
    STRING_IN(MODE_TEST | MODE_WATCH, "trace", "FILE", trace_file,
              "write the server's trace to FILE (default:\n"
              "none; test keeps it in --json and --junit)"),
    CALL("help", NULL, show_help, "this text"),
    CALL("version", NULL, show_version, "version of shakedown and wolfSSL"),
};

#define N_ARGS (sizeof(args) / sizeof(args[0]))
/* getopt_long reports option i as ARG_BASE + i, clear of every char. */
#define ARG_BASE 1000
/* The column where the usage's help texts start. */
#define HELP_COLUMN 23

static void usage_line(FILE *out, const struct arg *a)
{
    int w = fprintf(out, "  --%s%s%s", a->name, a->value ? " " : "",
                    a->value ? a->value : "");
    /* A long option name pushes its text right, two spaces clear. */
    fprintf(out, "%*s", w < HELP_COLUMN ? HELP_COLUMN - w : 2, "");
    for (const char *h = a->help;;) {
        const char *nl = strchr(h, '\n');
        if (nl == NULL) {
            fprintf(out, "%s\n", h);
            return;
        }
        fprintf(out, "%.*s\n%*s", (int)(nl - h), h, HELP_COLUMN, "");
        h = nl + 1;
    }
}

static void usage(FILE *out, enum mode mode)
{
    if (mode == MODE_TEST)
        fputs("usage: shakedown test [options] [--] CMD [ARG...]\n"
              "       shakedown test [options] --client NAME\n"
              "\n"
              "Grades a TLS client by what the server saw: serves every "
              "scenario on\n"
              "ephemeral ports, runs CMD once for each, and compares how "
              "its\n"
              "connections ended (and its exit status) with what the "
              "scenario\n"
              "exists to show. In each ARG, {url} {host} {ip} {port} {ca} "
              "{scenario}\n"
              "{client_cert} {client_key} {plain_port} become the scenario's; "
              "the same\nvalues are "
              "in the environment as SHAKEDOWN_URL, SHAKEDOWN_HOST, ... "
              "(and\n"
              "SHAKEDOWN_INTENT). CMD runs without a shell.\n"
              "\n"
              "  shakedown test --junit r.xml -- curl -sS --cacert {ca} "
              "{url}\n"
              "\n",
              out);
    else if (mode == MODE_WATCH)
        fputs("usage: shakedown watch [options]\n"
              "\n"
              "Serves every scenario and keeps a live scoreboard of the "
              "last\n"
              "connection to each, graded by what the server saw: for "
              "clients\n"
              "nobody can script (a phone app, a browser, an appliance).\n"
              "\n",
              out);
    else
        fputs("usage: shakedown [options]\n"
              "       shakedown test [options] [--] CMD [ARG...]   "
              "(see shakedown test --help)\n"
              "       shakedown watch [options]\n"
              "\n"
              "A TLS server that fails on purpose: every scenario file "
              "describes\n"
              "one broken (or correct) TLS endpoint on its own port.\n"
              "\n",
              out);
    for (size_t i = 0; i < N_ARGS; i++)
        if (args[i].modes & mode)
            usage_line(out, &args[i]);
    if (mode == MODE_TEST)
        fputs("\n"
              "Grades: PASS; FAIL (a scenario that must fail accepted, or "
              "one that\n"
              "should succeed refused); INFO (it depends on the client: "
              "what it did);\n"
              "ERROR (no connection, not started, killed at --timeout); "
              "SKIP (not\n"
              "run). \"!\" marks an exit status that contradicts what the "
              "server saw.\n"
              "Exit status: 0 when nothing FAILs or ERRORs (with "
              "--baseline: when\n"
              "nothing changed), 1 otherwise, 2 for bad usage.\n",
              out);
    else
        fputs("\n"
              "Exit status: 0 success, 1 runtime failure, 2 bad usage or "
              "bad\n"
              "scenario files (reported as file:line: message); with "
              "--check,\n"
              "also 2 when a certificate is out of the dates its scenario "
              "says.\n",
              out);
}

static int add_path(struct options *o, char *v, struct diag *d)
{
    if (o->n_paths == MAX_PATHS)
        return diag_set(d, NULL, 0, "too many --scenarios");
    o->paths[o->n_paths++] = v;
    return ARG_NEXT;
}

/* Splits NAME[,NAME...] in place: argv strings are ours to modify. */
static int add_only(struct options *o, char *v, struct diag *d)
{
    char *save = NULL;
    for (char *t = strtok_r(v, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (o->n_only == MAX_ONLY)
            return diag_set(d, NULL, 0, "--only: too many names");
        o->only[o->n_only++] = t;
    }
    return ARG_NEXT;
}

/* The log format is the log module's, set at once: nothing logs before
 * the command line has been read. */
static int set_log_format(struct options *o, char *v, struct diag *d)
{
    enum log_format f;
    (void)o;
    if (log_parse_format(v, &f) != 0)
        return diag_set(d, NULL, 0,
                        "--log-format: \"%s\" is not text or json", v);
    log_set_format(f);
    return ARG_NEXT;
}

static int no_dashboard(struct options *o, char *v, struct diag *d)
{
    (void)v, (void)d;
    o->server.dashboard_port = -1;
    return ARG_NEXT;
}

static int list_json(struct options *o, char *v, struct diag *d)
{
    (void)v, (void)d;
    o->list_format = CATALOGUE_JSON;
    return ARG_NEXT;
}

static int list_markdown(struct options *o, char *v, struct diag *d)
{
    (void)v, (void)d;
    o->list_format = CATALOGUE_MARKDOWN;
    return ARG_NEXT;
}

static int set_protocol(struct options *o, char *v, struct diag *d)
{
    char names[256];
    int p = protocol_find(v);
    if (p < 0) {
        protocol_names(names, sizeof(names));
        return diag_set(d, NULL, 0, "--protocol: \"%s\" is not one of %s", v,
                        names);
    }
    if (!layers_available((enum protocol_id)p))
        return diag_set(d, NULL, 0,
                        "--protocol: %s has no dialogue in this build yet", v);
    o->server.protocol = (enum protocol_id)p;
    o->protocol_given = true;
    return ARG_NEXT;
}

static int show_help(struct options *o, char *v, struct diag *d)
{
    (void)v, (void)d;
    usage(stdout, o->mode);
    return ARG_DONE;
}

static int set_max_stall(struct options *o, char *v, struct diag *d)
{
    static const struct arg bound = {"max-stall", "S", ARG_INT, 0, 1, 86400,
                                     NULL, NULL, MODE_ALL};
    long n;
    if (parse_number(&bound, v, &n, d) != 0)
        return -1;
    o->server.max_stall_s = (int)n;
    o->stall_given = true;
    return ARG_NEXT;
}

static int set_client(struct options *o, char *v, struct diag *d)
{
    char names[256];
    if (catalogue_client_version(v, SCENARIO_GEN_BOOKWORM) == NULL) {
        catalogue_clients(names, sizeof(names));
        return diag_set(d, NULL, 0, "--client: \"%s\" is not one of the "
                        "catalogue's clients: %s", v, names);
    }
    o->runner.client = v;
    return ARG_NEXT;
}

static int show_version(struct options *o, char *v, struct diag *d)
{
    (void)o, (void)v, (void)d;
    printf("shakedown %s (wolfSSL %s)\n", SHAKEDOWN_VERSION,
           tlsio_library_version());
    return ARG_DONE;
}

/* Parses a bounded whole number the way strtol does: a sign and leading
 * blanks are accepted, trailing text is not. */
static int parse_number(const struct arg *a, const char *v, long *out,
                        struct diag *d)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < a->lo || n > a->hi)
        return diag_set(d, NULL, 0, "--%s: \"%s\" is not a number from %ld "
                        "to %ld", a->name, v, a->lo, a->hi);
    *out = n;
    return 0;
}

/* Stores option a's value v (NULL when it takes none) into o. Returns
 * ARG_NEXT, ARG_DONE when the program is to exit 0, or -1 with d filled. */
static int apply(const struct arg *a, struct options *o, char *v,
                 struct diag *d)
{
    char *field = (char *)o + a->offset;
    long n = 0;
    bool numeric = a->kind == ARG_INT || a->kind == ARG_SIZE ||
                   a->kind == ARG_SECONDS;
    if (numeric && parse_number(a, v, &n, d) != 0)
        return -1;
    switch (a->kind) {
    case ARG_FLAG: *(bool *)field = true; break;
    case ARG_STRING: *(const char **)field = v; break;
    case ARG_INT: *(int *)field = (int)n; break;
    case ARG_SIZE: *(size_t *)field = (size_t)n; break;
    case ARG_SECONDS: *(uint64_t *)field = (uint64_t)n * 1000; break;
    case ARG_CALL: return a->call(o, v, d);
    }
    return ARG_NEXT;
}

static const char *mode_name(enum mode m)
{
    return m == MODE_TEST ? "shakedown test" : m == MODE_WATCH
                                                   ? "shakedown watch"
                                                   : "shakedown";
}

/* An option of another mode, by the name arg gives ("--list=x"). */
static const struct arg *other_mode(const char *arg, enum mode mode)
{
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    size_t n = strcspn(arg + 2, "=");
    for (size_t i = 0; i < N_ARGS; i++)
        if (!(args[i].modes & mode) && strlen(args[i].name) == n &&
            strncmp(args[i].name, arg + 2, n) == 0)
            return &args[i];
    return NULL;
}

/* What getopt_long refused: ':' a value missing, '?' with one of ours an
 * unwanted value, else an option nobody knows. */
static int refuse(int ch, const char *arg, enum mode mode)
{
    const struct arg *other = other_mode(arg, mode);
    if (ch == ':' && optopt >= ARG_BASE)
        fprintf(stderr, "%s: --%s needs a value\n", mode_name(mode),
                args[optopt - ARG_BASE].name);
    else if (optopt >= ARG_BASE)
        fprintf(stderr, "%s: --%s takes no value\n", mode_name(mode),
                args[optopt - ARG_BASE].name);
    else if (other != NULL)
        fprintf(stderr, "%s: --%s is not an option of %s\n",
                mode_name(mode), other->name, mode_name(mode));
    else
        fprintf(stderr, "%s: unknown option %s\n", mode_name(mode), arg);
    fprintf(stderr, "Try '%s --help'.\n", mode_name(mode));
    return EXIT_USAGE;
}

/* The subcommand's own checks, once every option is read. */
static int check_mode(int argc, char **argv, struct options *o)
{
    const char *me = mode_name(o->mode);
    if (o->mode != MODE_TEST && optind < argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\"\n"
                "Try '%s --help'.\n", me, argv[optind], me);
        return EXIT_USAGE;
    }
    if (o->mode != MODE_SERVE && o->server.workers > 1) {
        fprintf(stderr, "%s: --workers: grading follows every connection "
                "on one loop; run without --workers\n", me);
        return EXIT_USAGE;
    }
    if (o->mode == MODE_TEST) {
        o->runner.argv = optind < argc ? argv + optind : NULL;
        o->runner.argc = argc - optind;
        if (o->runner.client == NULL && o->runner.argv == NULL) {
            fprintf(stderr, "%s: no command to grade: give one after "
                    "\"--\" (placeholders {url} {ca} ...), or --client "
                    "NAME\nTry '%s --help'.\n", me, me);
            return EXIT_USAGE;
        }
        if (o->runner.client != NULL && o->runner.argv != NULL) {
            fprintf(stderr, "%s: --client %s and a command: give one of "
                    "them\n", me, o->runner.client);
            return EXIT_USAGE;
        }
        if (o->runner.client != NULL &&
            (access("certs/ca.pem", R_OK) != 0 ||
             access("tests/clients", R_OK) != 0)) {
            fprintf(stderr, "%s: --client runs the catalogue's commands, "
                    "which name certs/ca.pem and tests/clients/ from the "
                    "project's top directory: run it from there (or give "
                    "a command of your own)\n", me);
            return EXIT_USAGE;
        }
    }
    if (o->list_format != CATALOGUE_TABLE && !o->list) {
        fprintf(stderr, "shakedown: --json and --markdown go with --list\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* Returns an exit code, or -1 to carry on with o filled in. */
static int parse_args(int argc, char **argv, struct options *o)
{
    struct option longopts[N_ARGS + 1];
    size_t n = 0;
    for (size_t i = 0; i < N_ARGS; i++)
        if (args[i].modes & o->mode)
            longopts[n++] = (struct option){
                args[i].name,
                args[i].value ? required_argument : no_argument, NULL,
                ARG_BASE + (int)i};
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    struct diag d;
    diag_clear(&d);
    int ch;
    /* test: the command starts at the first word that is no option. */
    const char *shortopts = o->mode == MODE_TEST ? "+:" : ":";
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (ch < ARG_BASE)
            return refuse(ch, argv[optind - 1], o->mode);
        int rc = apply(&args[ch - ARG_BASE], o, optarg, &d);
        if (rc < 0)
            fprintf(stderr, "%s: %s\n", mode_name(o->mode), d.msg);
        if (rc != ARG_NEXT)
            return rc < 0 ? EXIT_USAGE : EXIT_OK;
    }
    return check_mode(argc, argv, o);
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
    /* --only may not name what the protocol does not serve. */
    for (size_t i = 0; i < o->n_only && !o->server.any_protocol; i++) {
        const struct scenario *s = scenario_find(set, o->only[i]);
        if (s != NULL && !scenario_serves(s, o->server.protocol)) {
            diag_set(&d, s->file, s->line,
                     "--only: scenario \"%s\" is not served over %s (see "
                     "its [scenario] served_over)",
                     s->name, protocol_get(o->server.protocol)->name);
            diag_print(&d, stderr);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

/* Reports what cannot be served. Returns how many scenarios are broken by
 * bad input (missing files and the like), not by the library. */
static size_t report_unavailable(const struct server *srv)
{
    size_t broken = 0;
    for (size_t i = 0; i < srv->n_entries; i++) {
        const struct entry *e = srv->entries[i];
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
        const struct entry *e = srv->entries[i];
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
    catalogue_print_serving(&srv->view, stdout);
    server_run(srv);
    uv_loop_close(loop);
    return EXIT_OK;
}

/* test and watch: the trace goes to --trace FILE or nowhere, since
 * stdout is theirs; then the runner or the scoreboard takes over. */
static int run_mode(struct options *o, struct server *srv)
{
    FILE *trace = NULL;
    if (o->trace_file != NULL &&
        (trace = fopen(o->trace_file, "w")) == NULL) {
        fprintf(stderr, "%s: --trace %s: %s\n", mode_name(o->mode),
                o->trace_file, strerror(errno));
        return EXIT_USAGE;
    }
    log_set_output(trace);
    raise_fd_limit();
    int rc = o->mode == MODE_TEST ? runner_run(srv, &o->runner)
                                  : watch_run(srv, stdout);
    uv_loop_close(uv_default_loop());
    log_set_output(stderr);
    if (trace != NULL)
        fclose(trace);
    return rc;
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
    o.server.dashboard = DASHBOARD_LIMITS_DEFAULT;
    o.server.workers = 1;
    o.list_format = CATALOGUE_TABLE;
    o.mode = MODE_SERVE;
    if (argc > 1 && strcmp(argv[1], "test") == 0) {
        /* Its own ports, its own quiet: nothing collides with a server
         * already running, and the stalls end before a client's time. */
        o.mode = MODE_TEST;
        o.server.ephemeral = true;
        o.server.dashboard_port = -1;
        o.runner.jobs = 2 * (int)uv_available_parallelism();
        o.runner.timeout_ms = 10000;
    } else if (argc > 1 && strcmp(argv[1], "watch") == 0) {
        o.mode = MODE_WATCH;
    }
    if (o.mode != MODE_SERVE) {
        argc--;
        argv++;
    }

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
    if (o.mode == MODE_TEST && !o.stall_given)
        o.server.max_stall_s = TEST_MAX_STALL_S;
    /* --check alone checks every file, whatever protocols it names. */
    o.server.any_protocol = o.check && !o.protocol_given;

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
        catalogue_print(&srv.view, o.list_format, stdout);
        rc = EXIT_OK;
    } else {
        size_t broken = report_unavailable(&srv);
        size_t out_of_date = report_dates(&srv);
        if (o.check) {
            printf("%zu scenarios checked, %zu unavailable in this build, "
                   "%zu broken, %zu with certificates out of their dates\n",
                   srv.n_entries, catalogue_count_unavailable(&srv.view) - broken,
                   broken, out_of_date);
            rc = broken || out_of_date ? EXIT_USAGE : EXIT_OK;
        } else if (o.mode == MODE_SERVE) {
            rc = serve(&srv);
        } else {
            rc = run_mode(&o, &srv);
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
