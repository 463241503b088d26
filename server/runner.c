/*
 * The runner: the server listens on ephemeral ports in this process and
 * loop; each scenario's client run is a process of its own session
 * (setsid), so that a timeout or an exit takes everything it forked with
 * it. The trace observer tells which connections reached a scenario's
 * port and how each ended; the log tap keeps their events for the
 * reports. A run settles once its process has exited, its output is
 * read and its connections have closed (or a grace period is over).
 */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "catalogue.h"
#include "grade.h"
#include "log.h"
#include "protocol.h"
#include "report.h"
#include "trace.h"

/* Of a client's output, the first and the last bytes are kept: where
 * it says what it is, and where it says how it ended. */
#define OUTPUT_HEAD (32 * 1024)
#define OUTPUT_TAIL (32 * 1024)
#define EVENTS_KEPT (128 * 1024) /* of a scenario's trace, per format */
#define SETTLE_TICK_MS 25
/* After the client exits: how long a connection may take to close, and
 * how long to wait for a first accept that may still be queued. */
#define SETTLE_GRACE_MS 2000
#define SETTLE_NO_CONN_MS 300

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_SETTLING, JOB_DONE };

struct job {
    struct runner *r;
    struct test_result *res;
    enum job_state state;
    uv_process_t proc;
    uv_pipe_t out;
    uv_timer_t timer;
    int handles; /* open: the job is freed of them at 0 */
    bool proc_open, out_open, out_eof;
    char start_error[256];
    uint64_t t0, exited_at;
    char **env;
    char *tail; /* a ring of OUTPUT_TAIL bytes, once the head is full */
    size_t tail_at;
};

struct runner {
    struct server *srv;
    uv_loop_t *loop;
    const struct runner_options *o;
    struct test_run run;
    struct job *jobs;
    size_t next, running, done;
    size_t *order; /* of the jobs: the slow ones first */
    uint64_t t0;
    uv_signal_t sigint;
    char ca[PATH_MAX], client_cert[PATH_MAX], client_key[PATH_MAX];
    bool warned_placeholder;
    bool interrupted;
};

/* ---- where a scenario is reached --------------------------------------- */

static void absolute(const char *dir, const char *file, char *out,
                     size_t size)
{
    char joined[PATH_MAX];
    snprintf(joined, sizeof(joined), "%s/%s", dir, file);
    if (realpath(joined, out) == NULL)
        snprintf(out, size, "%s", joined);
}

static bool resolves(const char *host)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (ai != NULL)
        freeaddrinfo(ai);
    return rc == 0;
}

/* {host}: the name the catalogue reaches the scenario by (its first
 * client's plain expectation), when this machine resolves it. */
static void pick_host(struct runner *r, struct test_result *res)
{
    enum protocol_id p = r->srv->opt.protocol;
    const struct scenario_expect *e =
        catalogue_expect_over(res->s, catalogue_first_client(p), p);
    const char *host = e && e->host[0] ? e->host : "localhost";
    if (strcmp(host, "localhost") != 0 && !resolves(host)) {
        fprintf(stderr, "shakedown test: %s: its catalogued name %s does "
                "not resolve here, so {host} is localhost (add \"127.0.0.1 "
                "%s\" to /etc/hosts to test it by name)\n", res->s->name,
                host, host);
        host = "localhost";
    }
    snprintf(res->host, sizeof(res->host), "%s", host);
    const char *scheme = protocol_get(p)->name;
    snprintf(res->url, sizeof(res->url),
             strchr(host, ':') ? "%s://[%s]:%d%s" : "%s://%s:%d%s", scheme,
             host, res->port, p == PROTOCOL_HTTPS ? "/" : "");
}

/* ---- the command for one scenario --------------------------------------- */

struct placeholder {
    const char *name;
    const char *env;
    char value[PATH_MAX];
};

enum { PH_URL, PH_HOST, PH_IP, PH_PORT, PH_CA, PH_SCENARIO, PH_CERT, PH_KEY,
       PH_PLAIN_PORT, PH_COUNT };

static void fill_placeholders(struct runner *r, const struct test_result *res,
                              struct placeholder ph[PH_COUNT])
{
    static const char *const names[PH_COUNT][2] = {
        {"url", "SHAKEDOWN_URL"},         {"host", "SHAKEDOWN_HOST"},
        {"ip", "SHAKEDOWN_IP"},           {"port", "SHAKEDOWN_PORT"},
        {"ca", "SHAKEDOWN_CA"},           {"scenario", "SHAKEDOWN_SCENARIO"},
        {"client_cert", "SHAKEDOWN_CLIENT_CERT"},
        {"client_key", "SHAKEDOWN_CLIENT_KEY"},
        {"plain_port", "SHAKEDOWN_PLAIN_PORT"}};
    const char *values[PH_COUNT] = {res->url, res->host, r->srv->opt.bind,
                                    NULL, r->ca, res->s->name,
                                    r->client_cert, r->client_key};
    for (int i = 0; i < PH_COUNT; i++) {
        ph[i].name = names[i][0];
        ph[i].env = names[i][1];
        snprintf(ph[i].value, sizeof(ph[i].value), "%s",
                 values[i] ? values[i] : "");
    }
    snprintf(ph[PH_PORT].value, sizeof(ph[PH_PORT].value), "%d", res->port);
    if (res->plain_port >= 0) /* else empty: the scenario has no companion */
        snprintf(ph[PH_PLAIN_PORT].value, sizeof(ph[PH_PLAIN_PORT].value),
                 "%d", res->plain_port);
}

/* arg with every {name} replaced; an unknown {word} stays as it is, and
 * the first one is reported (a Python f-string may mean it). */
static char *expand(struct runner *r, const char *arg,
                    const struct placeholder ph[PH_COUNT])
{
    struct buf b;
    buf_init(&b);
    for (const char *p = arg; *p;) {
        const char *close = *p == '{' ? strchr(p + 1, '}') : NULL;
        int found = -1;
        if (close != NULL)
            for (int i = 0; i < PH_COUNT; i++)
                if ((size_t)(close - p - 1) == strlen(ph[i].name) &&
                    strncmp(p + 1, ph[i].name, strlen(ph[i].name)) == 0)
                    found = i;
        if (found >= 0) {
            buf_append(&b, ph[found].value, strlen(ph[found].value));
            p = close + 1;
            continue;
        }
        if (close != NULL && !r->warned_placeholder &&
            strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_") ==
                (size_t)(close - p - 1) && close > p + 1) {
            fprintf(stderr, "shakedown test: %.*s in \"%s\" is not a "
                    "placeholder ({url} {host} {ip} {port} {ca} {scenario} "
                    "{client_cert} {client_key} {plain_port}); it is passed "
                    "as it is\n",
                    (int)(close - p + 1), p, arg);
            r->warned_placeholder = true;
        }
        buf_append(&b, p, 1);
        p++;
    }
    buf_append(&b, "", 1);
    char *s = strdup((const char *)buf_head(&b));
    buf_free(&b);
    return s;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* The argv for res: the command after "--" expanded, or the catalogue's
 * own command for --client, through /bin/sh. NULL: nothing to run (the
 * reason in res->why). */
static char **command_for(struct runner *r, struct test_result *res,
                          const struct placeholder ph[PH_COUNT])
{
    char **argv;
    if (r->o->client == NULL) {
        argv = calloc((size_t)r->o->argc + 1, sizeof(*argv));
        for (int i = 0; argv != NULL && i < r->o->argc; i++)
            argv[i] = expand(r, r->o->argv[i], ph);
        return argv;
    }
    enum protocol_id p = r->srv->opt.protocol;
    const struct scenario_expect *e =
        catalogue_expect_over(res->s, r->o->client, p);
    char cmd[4096];
    if (e == NULL) {
        snprintf(res->why, sizeof(res->why), "the scenario has no "
                 "[expect.%s%s%s] entry: nothing to run",
                 p == PROTOCOL_HTTPS ? "" : protocol_get(p)->name,
                 p == PROTOCOL_HTTPS ? "" : ".", r->o->client);
        return NULL;
    }
    if (catalogue_command(res->s, e, ph[PH_PORT].value, cmd,
                          sizeof(cmd)) != 0) {
        snprintf(res->why, sizeof(res->why), "the catalogue has no %s "
                 "command over %s", r->o->client, protocol_get(p)->name);
        return NULL;
    }
    argv = calloc(4, sizeof(*argv));
    if (argv != NULL) {
        /* The catalogue's commands are bash: some read a request from
         * a process substitution, < <(...). */
        argv[0] = strdup("/bin/bash");
        argv[1] = strdup("-c");
        argv[2] = strdup(cmd);
    }
    return argv;
}

extern char **environ;

/* This process's environment with the SHAKEDOWN_* values on top. */
static char **environment(const struct placeholder ph[PH_COUNT],
                          const struct scenario *s)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc(n + PH_COUNT + 2, sizeof(*env));
    if (env == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "SHAKEDOWN_", 10) != 0)
            env[k++] = strdup(environ[i]);
    for (int i = 0; i < PH_COUNT; i++) {
        size_t len = strlen(ph[i].env) + strlen(ph[i].value) + 2;
        env[k] = malloc(len);
        if (env[k] != NULL)
            snprintf(env[k++], len, "%s=%s", ph[i].env, ph[i].value);
    }
    const char *intent = grade_intent_name(grade_intent(s));
    size_t len = strlen("SHAKEDOWN_INTENT=") + strlen(intent) + 1;
    env[k] = malloc(len);
    if (env[k] != NULL)
        snprintf(env[k++], len, "SHAKEDOWN_INTENT=%s", intent);
    return env;
}

/* ---- what the server saw ------------------------------------------------ */

/* The job running scenario's client, if one is. A scan: a scenario's
 * connection logs a dozen events, over a hundred entries at most. */
static struct job *job_of(struct runner *r, const char *scenario)
{
    for (size_t i = 0; i < r->run.n; i++) {
        struct job *j = &r->jobs[i];
        if ((j->state == JOB_RUNNING || j->state == JOB_SETTLING) &&
            strcmp(scenario, j->res->s->name) == 0)
            return j;
    }
    return NULL;
}

static void on_accepted(void *arg, const struct trace *t)
{
    struct job *j = job_of(arg, t->scenario->name);
    if (j == NULL)
        return; /* not now: a stray client, not the one being run */
    struct test_result *res = j->res;
    struct test_conn *c =
        realloc(res->conns, (res->n_conns + 1) * sizeof(*res->conns));
    if (c == NULL)
        return;
    res->conns = c;
    memset(&c[res->n_conns], 0, sizeof(*c));
    c[res->n_conns].id = t->id;
    res->n_conns++;
    res->open_conns++;
}

static void on_verdict(void *arg, const struct trace *t,
                       const struct trace_verdict *v)
{
    struct job *j = job_of(arg, t->scenario->name);
    if (j == NULL)
        return;
    struct test_result *res = j->res;
    for (size_t i = 0; i < res->n_conns; i++) {
        struct test_conn *c = &res->conns[i];
        if (c->id != t->id || c->closed)
            continue;
        c->closed = true;
        c->outcome = v->outcome;
        c->handshake_done = t->handshake_done;
        c->request = t->http_status != 0;
        c->server_grade = v->grade->grade;
        snprintf(c->saw, sizeof(c->saw), "%s", v->saw);
        res->open_conns--;
        return;
    }
}

static void keep(struct buf *b, const char *s, size_t n, uint64_t *dropped)
{
    if (buf_pending(b) + n + 1 > EVENTS_KEPT) {
        (*dropped)++;
        return;
    }
    buf_append(b, s, n);
    buf_append(b, "\n", 1);
}

/* Under the log's lock, on this loop (one loop only). */
static void on_log(void *arg, const char *scenario, const char *json,
                   size_t json_len, const char *text, size_t text_len)
{
    struct job *j = scenario[0] ? job_of(arg, scenario) : NULL;
    if (j == NULL)
        return;
    struct test_result *res = j->res;
    if (json != NULL)
        keep(&res->events_json, json, json_len, &res->events_dropped);
    keep(&res->events_text, text, text_len, &res->events_dropped);
}

/* ---- the grade ---------------------------------------------------------- */

static const struct test_conn *decisive(const struct test_result *res)
{
    const struct test_conn *accepted = NULL, *last = NULL;
    /* A connection that went on without TLS decides: the TLS ones before
     * it (the page that linked to http://) cannot show that the client
     * then left TLS. Else the first the client accepted: for a scenario
     * that must fail, one is enough. Else the last one that closed. */
    for (size_t i = 0; i < res->n_conns; i++) {
        const struct test_conn *c = &res->conns[i];
        if (!c->closed)
            continue;
        if (c->outcome == SCENARIO_OUTCOME_PLAINTEXT)
            return c;
        struct grade_input in = {c->outcome, c->handshake_done, c->request,
                                 c->saw, false, 0};
        if (accepted == NULL && grade_view(&in) == VIEW_ACCEPTED)
            accepted = c;
        last = c;
    }
    return accepted ? accepted : last;
}

static void set_grade(struct test_result *res, enum grade g, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void set_grade(struct test_result *res, enum grade g, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    res->grade = g;
    vsnprintf(res->why, sizeof(res->why), fmt, ap);
    va_end(ap);
}

static void grade_result(struct job *j)
{
    struct test_result *res = j->res;
    double limit = (double)j->r->o->timeout_ms / 1000.0;
    res->decisive = decisive(res);
    if (!res->started) {
        set_grade(res, GRADE_ERROR, "%s", j->start_error);
        return;
    }
    if (res->timed_out) {
        set_grade(res, GRADE_ERROR, "the command was still running after "
                  "%.0f s (--timeout): killed, with everything it started%s%s",
                  limit, res->decisive ? "; the server saw: " : "",
                  res->decisive ? res->decisive->saw : "");
        return;
    }
    if (res->n_conns == 0) {
        char how[64];
        if (res->term_signal)
            snprintf(how, sizeof(how), "was killed by signal %d",
                     res->term_signal);
        else
            snprintf(how, sizeof(how), "exited %d", res->exit_status);
        set_grade(res, GRADE_ERROR, "the command made no connection to "
                  "port %d (%s) and %s%s", res->port, res->url, how,
                  res->left_children ? "; it left processes running: "
                                       "killed" : "");
        return;
    }
    if (res->decisive == NULL) {
        set_grade(res, GRADE_ERROR, "its connection was still open %.1f s "
                  "after the command ended: nothing to grade",
                  SETTLE_GRACE_MS / 1000.0);
        return;
    }
    const struct test_conn *c = res->decisive;
    struct grade_input in = {
        c->outcome, c->handshake_done, c->request, c->saw, true,
        res->term_signal ? 128 + res->term_signal : res->exit_status};
    struct grade_result g;
    grade_judge(res->s, &in, &g);
    res->grade = g.grade;
    if (res->left_children)
        snprintf(g.why + strlen(g.why), sizeof(g.why) - strlen(g.why),
                 " (it left processes running when it exited: killed)");
    res->inconsistent = g.inconsistent;
    res->accepted = g.accepted;
    res->decided = g.decided;
    snprintf(res->why, sizeof(res->why), "%s", g.why);
}

/* ---- running ------------------------------------------------------------ */

static void start_next(struct runner *r);
static void join_output(struct job *j);

static void on_job_handle_closed(uv_handle_t *h)
{
    struct job *j = h->data;
    if (--j->handles > 0)
        return;
    j->state = JOB_DONE;
    j->r->done++;
    j->r->running--;
    start_next(j->r);
}

static void finish(struct job *j)
{
    if (j->state == JOB_DONE || j->res->grade != GRADE_COUNT)
        return;
    j->res->ms = uv_now(j->r->loop) - j->t0;
    join_output(j);
    grade_result(j);
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->timer, on_job_handle_closed);
    if (j->out_open) {
        j->out_open = false;
        uv_close((uv_handle_t *)&j->out, on_job_handle_closed);
    }
    if (isatty(STDERR_FILENO) && !j->r->o->quiet)
        fprintf(stderr, "\rshakedown test: %zu of %zu done ",
                j->r->done + 1, j->r->run.n);
}

static void on_settle(uv_timer_t *t)
{
    struct job *j = t->data;
    struct test_result *res = j->res;
    uint64_t since = uv_now(j->r->loop) - j->exited_at;
    bool quiet = res->open_conns == 0 && (j->out_eof || !j->out_open);
    if ((quiet && (res->n_conns > 0 || since >= SETTLE_NO_CONN_MS)) ||
        since >= SETTLE_GRACE_MS)
        finish(j);
}

/* Kills what is left of the job's process group; whether anything was. */
static bool kill_group(struct job *j)
{
    pid_t pgid = j->proc.pid;
    if (pgid <= 0 || kill(-pgid, 0) != 0)
        return false;
    kill(-pgid, SIGKILL);
    return true;
}

static void on_exit_cb(uv_process_t *p, int64_t status, int signal)
{
    struct job *j = p->data;
    struct test_result *res = j->res;
    res->exited = true;
    res->exit_status = (int)status;
    res->term_signal = signal;
    /* Children that outlive it die with it: it is the end of the run. */
    res->left_children = kill_group(j);
    j->exited_at = uv_now(j->r->loop);
    j->state = JOB_SETTLING;
    j->proc_open = false;
    uv_close((uv_handle_t *)p, on_job_handle_closed);
    uv_timer_start(&j->timer, on_settle, SETTLE_TICK_MS, SETTLE_TICK_MS);
}

static void on_timeout(uv_timer_t *t)
{
    struct job *j = t->data;
    j->res->timed_out = true;
    kill_group(j);
    kill(j->proc.pid, SIGKILL);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char scratch[65536]; /* one loop: read at once, then copied */
    (void)h, (void)hint;
    b->base = scratch;
    b->len = sizeof(scratch);
}

static void on_output(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct job *j = s->data;
    struct test_result *res = j->res;
    if (n < 0) {
        j->out_eof = true;
        uv_read_stop(s);
        return;
    }
    res->output_bytes += (uint64_t)n;
    size_t room = OUTPUT_HEAD - buf_pending(&res->output);
    size_t take = (size_t)n < room ? (size_t)n : room;
    if (take > 0)
        buf_append(&res->output, b->base, take);
    if (take == (size_t)n)
        return;
    if (j->tail == NULL && (j->tail = malloc(OUTPUT_TAIL)) == NULL)
        return;
    for (size_t i = take; i < (size_t)n; i++) {
        j->tail[j->tail_at % OUTPUT_TAIL] = b->base[i];
        j->tail_at++;
    }
}

/* The head, what was left out, and the tail, in order. */
static void join_output(struct job *j)
{
    struct test_result *res = j->res;
    if (j->tail == NULL)
        return;
    size_t kept = j->tail_at < OUTPUT_TAIL ? j->tail_at : OUTPUT_TAIL;
    uint64_t skipped = res->output_bytes - buf_pending(&res->output) - kept;
    if (skipped > 0) {
        char gap[96];
        int n = snprintf(gap, sizeof(gap), "\n[... %llu bytes not kept "
                         "...]\n", (unsigned long long)skipped);
        buf_append(&res->output, gap, (size_t)n);
    }
    size_t start = j->tail_at - kept;
    for (size_t i = 0; i < kept; i++)
        buf_append(&res->output, &j->tail[(start + i) % OUTPUT_TAIL], 1);
    free(j->tail);
    j->tail = NULL;
}

static void cannot_start(struct job *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The job ends at once, graded ERROR with the reason. */
static void cannot_start(struct job *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->start_error, sizeof(j->start_error), fmt, ap);
    va_end(ap);
    j->state = JOB_SETTLING;
    finish(j);
}

static void start_job(struct runner *r, struct job *j)
{
    struct test_result *res = j->res;
    struct placeholder ph[PH_COUNT];
    j->r = r;
    j->t0 = uv_now(r->loop);
    j->state = JOB_RUNNING;
    r->running++;
    uv_timer_init(r->loop, &j->timer);
    j->timer.data = j;
    j->handles = 1;
    fill_placeholders(r, res, ph);
    res->argv = command_for(r, res, ph);
    if (res->argv == NULL && res->why[0]) {
        /* --client with nothing catalogued: not run, and not a pass. */
        res->grade = GRADE_SKIP;
        j->state = JOB_SETTLING;
        uv_close((uv_handle_t *)&j->timer, on_job_handle_closed);
        return;
    }
    j->env = environment(ph, res->s);
    uv_file fds[2];
    int rc = res->argv && j->env ? uv_pipe(fds, 0, 0) : UV_ENOMEM;
    if (rc != 0) {
        cannot_start(j, "could not start the command: %s", uv_strerror(rc));
        return;
    }
    uv_pipe_init(r->loop, &j->out, 0);
    j->out.data = j;
    j->handles++;
    j->out_open = true;
    uv_pipe_open(&j->out, fds[0]);
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = fds[1]},
        {.flags = UV_INHERIT_FD, .data.fd = fds[1]}};
    uv_process_options_t po = {
        .exit_cb = on_exit_cb,
        .file = res->argv[0],
        .args = res->argv,
        .env = j->env,
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio};
    j->proc.data = j;
    rc = uv_spawn(r->loop, &j->proc, &po);
    close(fds[1]);
    if (rc != 0) {
        if (rc == UV_ENOENT)
            cannot_start(j, "command not found: %s", res->argv[0]);
        else
            cannot_start(j, "could not run %s: %s", res->argv[0],
                         uv_strerror(rc));
        return;
    }
    res->started = true;
    j->proc_open = true;
    j->handles++;
    uv_read_start((uv_stream_t *)&j->out, on_alloc, on_output);
    uv_timer_start(&j->timer, on_timeout, r->o->timeout_ms, 0);
}

static void start_next(struct runner *r)
{
    while (!r->interrupted && r->running < (size_t)r->o->jobs &&
           r->next < r->run.n) {
        struct job *j = &r->jobs[r->order[r->next++]];
        if (j->state == JOB_WAITING && j->res->grade == GRADE_COUNT)
            start_job(r, j);
    }
    if (r->running == 0 && (r->next == r->run.n || r->interrupted)) {
        uv_close((uv_handle_t *)&r->sigint, NULL);
        server_stop(r->srv);
    }
}

static void on_sigint(uv_signal_t *h, int signum)
{
    struct runner *r = h->data;
    (void)signum;
    r->interrupted = true;
    r->run.interrupted = true;
    for (size_t i = 0; i < r->run.n; i++)
        if (r->jobs[i].state == JOB_RUNNING && r->jobs[i].proc_open) {
            r->jobs[i].res->timed_out = true;
            kill_group(&r->jobs[i]);
        }
}

/* Children of children that outlived their process group (a daemon
 * that called setsid) were given to this process (a subreaper): none
 * is left running or unreaped when the run ends. */
static void reap_orphans(void)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t self = getpid();
    while (d != NULL && (de = readdir(d)) != NULL) {
        char path[64], stat[512];
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t n = fread(stat, 1, sizeof(stat) - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *rp = strrchr(stat, ')'); /* past "pid (comm)" */
        int ppid = 0;
        char state;
        if (rp == NULL || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 ||
            ppid != self)
            continue;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (d != NULL)
        closedir(d);
}

/* ---- the whole run ------------------------------------------------------ */

static int setup(struct runner *r, struct server *srv,
                 const struct runner_options *o)
{
    memset(r, 0, sizeof(*r));
    r->srv = srv;
    r->o = o;
    r->loop = uv_default_loop();
    r->run.client = o->client;
    r->run.argv = o->argv;
    r->run.argc = o->argc;
    r->run.protocol = protocol_get(srv->opt.protocol)->name;
    r->run.started = time(NULL);
    absolute(srv->opt.certs_dir, "ca.pem", r->ca, sizeof(r->ca));
    absolute(srv->opt.certs_dir, "client.pem", r->client_cert,
             sizeof(r->client_cert));
    absolute(srv->opt.certs_dir, "client.key", r->client_key,
             sizeof(r->client_key));
    r->run.results = calloc(srv->n_entries ? srv->n_entries : 1,
                            sizeof(*r->run.results));
    r->jobs = calloc(srv->n_entries ? srv->n_entries : 1, sizeof(*r->jobs));
    if (r->run.results == NULL || r->jobs == NULL)
        return -1;
    r->run.n = srv->n_entries;
    r->order = calloc(srv->n_entries ? srv->n_entries : 1, sizeof(*r->order));
    if (r->order == NULL)
        return -1;
    /* A stall or a drip takes its whole bound: started first, they run
     * beside the quick ones instead of after them. */
    size_t k = 0;
    for (int slow = 1; slow >= 0; slow--)
        for (size_t i = 0; i < srv->n_entries; i++) {
            enum scenario_action_kind a =
                srv->entries[i]->scenario->fault.action.kind;
            if ((a == SCENARIO_STALL || a == SCENARIO_DRIP) == (slow == 1))
                r->order[k++] = i;
        }
    for (size_t i = 0; i < srv->n_entries; i++) {
        struct test_result *res = &r->run.results[i];
        const struct entry *e = srv->entries[i];
        res->s = e->scenario;
        res->grade = GRADE_COUNT; /* not yet */
        buf_init(&res->output);
        buf_init(&res->events_json);
        buf_init(&res->events_text);
        r->jobs[i].res = res;
        r->jobs[i].r = r;
        if (e->ctx == NULL) {
            res->grade = GRADE_SKIP;
            snprintf(res->why, sizeof(res->why), "unavailable in this "
                     "build: %s", e->unavailable);
        }
    }
    return 0;
}

static void teardown(struct runner *r)
{
    for (size_t i = 0; i < r->run.n; i++) {
        struct test_result *res = &r->run.results[i];
        free_strings(res->argv);
        free_strings(r->jobs[i].env);
        free(r->jobs[i].tail);
        buf_free(&res->output);
        buf_free(&res->events_json);
        buf_free(&res->events_text);
        free(res->conns);
    }
    free(r->run.results);
    free(r->jobs);
    free(r->order);
}

static int write_reports(struct runner *r)
{
    const struct runner_options *o = r->o;
    struct diag d;
    int rc = 0;
    diag_clear(&d);
    for (size_t i = 0; i < r->run.n; i++)
        r->run.counts[r->run.results[i].grade]++;
    if (isatty(STDERR_FILENO) && !o->quiet)
        fputc('\n', stderr);
    if (o->baseline == NULL && !o->quiet)
        report_table(&r->run, stdout);
    if ((o->json && report_json(&r->run, o->json, &d) != 0) ||
        (o->junit && report_junit(&r->run, o->junit, &d) != 0) ||
        (o->write_baseline &&
         baseline_write(&r->run, o->write_baseline, &d) != 0)) {
        diag_print(&d, stderr);
        rc = 1;
    }
    report_summary(&r->run, stdout);
    bool failed = r->run.counts[GRADE_FAIL] || r->run.counts[GRADE_ERROR] ||
                  r->run.interrupted;
    if (o->baseline != NULL) {
        int changes = baseline_compare(&r->run, o->baseline, stdout, &d);
        if (changes < 0) {
            diag_print(&d, stderr);
            return 2;
        }
        return changes > 0 || rc || r->run.interrupted ? 1 : 0;
    }
    return failed || rc ? 1 : 0;
}

int runner_run(struct server *srv, const struct runner_options *o)
{
    struct runner r;
    struct diag d;
    diag_clear(&d);
    if (setup(&r, srv, o) != 0) {
        fprintf(stderr, "shakedown test: out of memory\n");
        teardown(&r);
        return 1;
    }
    /* A grandchild whose parent died is given to this process, to be
     * reaped at the end, not to init. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct trace_observer obs = {on_accepted, on_verdict, &r};
    trace_set_observer(&obs);
    log_set_tap(on_log, &r);
    if (server_listen(srv, r.loop, &d) != 0) {
        diag_print(&d, stderr);
        server_stop(srv);
        uv_run(r.loop, UV_RUN_DEFAULT);
        log_set_tap(NULL, NULL);
        trace_set_observer(NULL);
        teardown(&r);
        return 1;
    }
    for (size_t i = 0; i < srv->n_entries; i++) {
        r.run.results[i].port = srv->entries[i]->port;
        r.run.results[i].plain_port = srv->entries[i]->plain_listening
                                          ? srv->entries[i]->plain_port
                                          : -1;
    }
    for (size_t i = 0; i < srv->n_entries; i++)
        if (r.run.results[i].grade == GRADE_COUNT)
            pick_host(&r, &r.run.results[i]);
    uv_signal_init(r.loop, &r.sigint);
    r.sigint.data = &r;
    uv_signal_start(&r.sigint, on_sigint, SIGINT);
    r.t0 = uv_now(r.loop);
    start_next(&r);
    server_run(srv);
    uv_update_time(r.loop);
    r.run.seconds = (double)(uv_now(r.loop) - r.t0) / 1000.0;
    log_set_tap(NULL, NULL);
    trace_set_observer(NULL);
    reap_orphans();
    for (size_t i = 0; i < r.run.n; i++)
        if (r.run.results[i].grade == GRADE_COUNT) {
            r.run.results[i].grade = GRADE_SKIP;
            snprintf(r.run.results[i].why, sizeof(r.run.results[i].why),
                     "not run: the run was interrupted (SIGINT)");
        }
    int rc = write_reports(&r);
    teardown(&r);
    return rc;
}
