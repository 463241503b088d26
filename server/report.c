/*
 * The reports of a `shakedown test` run. A client's output is whatever
 * it printed: it is made valid UTF-8 (and, for XML, free of the control
 * characters XML 1.0 forbids) before it goes into a file.
 */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "tlsio.h"

#ifndef SHAKEDOWN_VERSION
#define SHAKEDOWN_VERSION "0.1.0"
#endif

const char *report_saw(const struct test_result *r)
{
    return r->decisive ? scenario_outcome_name(r->decisive->outcome)
                       : "none";
}

const char *report_behaviour(const struct test_result *r)
{
    if (r->decisive == NULL || !r->decided)
        return "none";
    return r->accepted ? "accepted" : "refused";
}

static void exit_text(const struct test_result *r, char *out, size_t size)
{
    if (!r->started)
        snprintf(out, size, "-");
    else if (r->timed_out)
        snprintf(out, size, "killed");
    else if (r->term_signal)
        snprintf(out, size, "sig%d", r->term_signal);
    else
        snprintf(out, size, "%d", r->exit_status);
}

static void put(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

static const char *intent_of(const struct test_result *r)
{
    return grade_intent_name(grade_intent(r->s));
}

/* ---- the table ---------------------------------------------------------- */

void report_table(const struct test_run *run, FILE *out)
{
    int wname = (int)strlen("SCENARIO"), wsaw = (int)strlen("SERVER SAW");
    for (size_t i = 0; i < run->n; i++) {
        int n = (int)strlen(run->results[i].s->name);
        int s = (int)strlen(report_saw(&run->results[i]));
        wname = n > wname ? n : wname;
        wsaw = s > wsaw ? s : wsaw;
    }
    fprintf(out, "%-*s  %-7s  %-*s  %-6s  %-6s  %s\n", wname, "SCENARIO",
            "INTENT", wsaw, "SERVER SAW", "EXIT", "GRADE", "WHY");
    for (size_t i = 0; i < run->n; i++) {
        const struct test_result *r = &run->results[i];
        char ex[16], grade[16];
        exit_text(r, ex, sizeof(ex));
        snprintf(grade, sizeof(grade), "%s%s", grade_name(r->grade),
                 r->inconsistent ? "!" : "");
        fprintf(out, "%-*s  %-7s  %-*s  %-6s  %-6s  %s\n", wname, r->s->name,
                intent_of(r), wsaw, report_saw(r), ex, grade, r->why);
    }
}

void report_summary(const struct test_run *run, FILE *out)
{
    size_t odd = 0;
    for (size_t i = 0; i < run->n; i++)
        odd += run->results[i].inconsistent;
    fprintf(out, "shakedown test: %zu scenario%s: %zu PASS, %zu FAIL, %zu "
            "INFO, %zu ERROR, %zu SKIP in %.1f s", run->n,
            run->n == 1 ? "" : "s",
            run->counts[GRADE_PASS], run->counts[GRADE_FAIL],
            run->counts[GRADE_INFO], run->counts[GRADE_ERROR],
            run->counts[GRADE_SKIP], run->seconds);
    if (odd)
        fprintf(out, "; %zu inconsistent (!: the exit status contradicts "
                "what the server saw)", odd);
    if (run->interrupted)
        fprintf(out, "; interrupted");
    fputc('\n', out);
}

/* ---- text that goes into files ------------------------------------------ */

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2
                 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || len > n || (len == 2 && p[0] < 0xc2))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* s (n bytes) as a NUL-terminated string of valid UTF-8 with no NUL;
 * for XML also none of the control characters it forbids. */
static char *clean_text(const void *s, size_t n, bool xml)
{
    const unsigned char *p = s;
    char *out = malloc(n + 1);
    size_t k = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(p + i, n - i);
        bool control = len == 1 && p[i] < 0x20 && p[i] != '\n' &&
                       p[i] != '\t' && p[i] != '\r';
        if (len == 0 || p[i] == 0 || (xml && control)) {
            out[k++] = '?';
            i++;
            continue;
        }
        memcpy(out + k, p + i, len);
        k += len;
        i += len;
    }
    out[k] = '\0';
    return out;
}

static int write_file(const char *path, const struct buf *b, struct diag *d)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return diag_set(d, path, 0, "cannot write: %s", strerror(errno));
    size_t n = fwrite(buf_head(b), 1, buf_pending(b), f);
    if (fclose(f) != 0 || n != buf_pending(b))
        return diag_set(d, path, 0, "cannot write: %s", strerror(errno));
    return 0;
}

static void iso_time(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- JSON --------------------------------------------------------------- */

static void json_text(struct json *j, const char *key, const struct buf *b)
{
    char *s = clean_text(buf_head(b), buf_pending(b), false);
    json_kv_string(j, key, s ? s : "");
    free(s);
}

static void json_strings(struct json *j, const char *key, char *const *v,
                         int n)
{
    json_key(j, key);
    if (v == NULL) {
        json_null(j);
        return;
    }
    json_array_begin(j);
    for (int i = 0; n < 0 ? v[i] != NULL : i < n; i++)
        json_string(j, v[i]);
    json_array_end(j);
}

static void json_client(struct json *j, const struct test_result *r)
{
    json_key(j, "client");
    json_object_begin(j);
    json_strings(j, "argv", r->argv, -1);
    json_key(j, "exit");
    if (r->exited && !r->term_signal)
        json_int(j, r->exit_status);
    else
        json_null(j);
    json_key(j, "signal");
    if (r->term_signal)
        json_int(j, r->term_signal);
    else
        json_null(j);
    json_kv_bool(j, "timed_out", r->timed_out);
    json_kv_bool(j, "left_children", r->left_children);
    json_kv_int(j, "ms", (int64_t)r->ms);
    json_text(j, "output", &r->output);
    json_kv_int(j, "output_bytes", (int64_t)r->output_bytes);
    json_object_end(j);
}

static void json_connections(struct json *j, const struct test_result *r)
{
    json_key(j, "connections");
    json_array_begin(j);
    for (size_t i = 0; i < r->n_conns; i++) {
        const struct test_conn *c = &r->conns[i];
        json_object_begin(j);
        json_kv_int(j, "id", (int64_t)c->id);
        json_kv_bool(j, "closed", c->closed);
        json_kv_string(j, "outcome",
                       c->closed ? scenario_outcome_name(c->outcome) : NULL);
        struct grade_input in = {c->outcome, c->handshake_done, c->request,
                                 c->saw, false, 0};
        enum grade_view view = grade_view(&in);
        json_kv_string(j, "server_view",
                       !c->closed                 ? NULL
                       : view == VIEW_ACCEPTED    ? "accepted"
                       : view == VIEW_REFUSED     ? "refused"
                                                  : "undecided");
        json_kv_string(j, "what", c->closed ? c->saw : NULL);
        json_kv_string(j, "grade",
                       c->closed ? grade_name(c->server_grade) : NULL);
        json_object_end(j);
    }
    json_array_end(j);
}

/* The trace events, kept as the log wrote them: one JSON object a line. */
static void json_events(struct json *j, const struct test_result *r)
{
    const char *p = (const char *)buf_head(&r->events_json);
    const char *end = p + buf_pending(&r->events_json);
    json_key(j, "events");
    json_array_begin(j);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            nl = end;
        json_raw(j, p, (size_t)(nl - p));
        p = nl + 1;
    }
    json_array_end(j);
    json_kv_int(j, "events_dropped", (int64_t)r->events_dropped);
}

static void json_result(struct json *j, const struct test_result *r)
{
    json_object_begin(j);
    json_kv_string(j, "name", r->s->name);
    json_kv_string(j, "category", r->s->category);
    json_kv_string(j, "intent", intent_of(r));
    json_kv_int(j, "port", r->port);
    json_kv_string(j, "host", r->host[0] ? r->host : NULL);
    json_kv_string(j, "url", r->url[0] ? r->url : NULL);
    json_kv_string(j, "grade", grade_name(r->grade));
    json_kv_string(j, "why", r->why);
    json_kv_bool(j, "inconsistent", r->inconsistent);
    json_key(j, "accepted");
    if (r->decisive && r->decided)
        json_bool(j, r->accepted);
    else
        json_null(j);
    json_kv_string(j, "outcome", r->decisive ? report_saw(r) : NULL);
    json_kv_string(j, "server_saw", r->decisive ? r->decisive->saw : NULL);
    json_kv_string(j, "explain", r->s->explain);
    json_client(j, r);
    json_connections(j, r);
    json_events(j, r);
    json_object_end(j);
}

int report_json(const struct test_run *run, const char *path, struct diag *d)
{
    struct buf b;
    struct json j;
    char when[32];
    buf_init(&b);
    json_init(&j, &b);
    iso_time(run->started, when, sizeof(when));
    json_object_begin(&j);
    json_kv_string(&j, "shakedown", SHAKEDOWN_VERSION);
    json_kv_string(&j, "wolfssl", tlsio_library_version());
    json_kv_string(&j, "protocol", run->protocol);
    json_strings(&j, "command", run->argv, run->argc);
    json_kv_string(&j, "client", run->client);
    json_kv_string(&j, "started", when);
    json_key(&j, "seconds");
    char secs[32];
    snprintf(secs, sizeof(secs), "%.3f", run->seconds);
    json_raw(&j, secs, strlen(secs));
    json_kv_bool(&j, "interrupted", run->interrupted);
    json_key(&j, "counts");
    json_object_begin(&j);
    for (int g = 0; g < GRADE_COUNT; g++) {
        char key[8];
        size_t n = strlen(grade_name((enum grade)g));
        for (size_t i = 0; i <= n; i++)
            key[i] = (char)(grade_name((enum grade)g)[i] | 0x20);
        key[n] = '\0';
        json_kv_int(&j, key, (int64_t)run->counts[g]);
    }
    json_object_end(&j);
    json_key(&j, "scenarios");
    json_array_begin(&j);
    for (size_t i = 0; i < run->n; i++)
        json_result(&j, &run->results[i]);
    json_array_end(&j);
    json_object_end(&j);
    int rc = j.failed || buf_append(&b, "\n", 1) != 0
                 ? diag_set(d, path, 0, "out of memory")
                 : write_file(path, &b, d);
    buf_free(&b);
    return rc;
}

/* ---- JUnit XML ---------------------------------------------------------- */

static void xml_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '<'    ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '&'  ? "&amp;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\n' ? "&#10;"
                                     : NULL;
        if (e != NULL)
            buf_append(b, e, strlen(e));
        else
            buf_append(b, s, 1);
    }
}

/* Element text (newlines kept), made XML-safe. */
static void xml_text(struct buf *b, const void *s, size_t n)
{
    char *t = clean_text(s, n, true);
    for (const char *p = t; p && *p; p++) {
        const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                        : *p == '&' ? "&amp;" : NULL;
        if (e != NULL)
            buf_append(b, e, strlen(e));
        else
            buf_append(b, p, 1);
    }
    free(t);
}

static void xml_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void xml_printf(struct buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_append(b, line, (size_t)n < sizeof(line) ? (size_t)n
                                                     : sizeof(line) - 1);
}

static void xml_attr(struct buf *b, const char *name, const char *value)
{
    char *v = clean_text(value, strlen(value), true);
    xml_printf(b, " %s=\"", name);
    xml_escaped(b, v ? v : "");
    put(b, "\"");
    free(v);
}

static void junit_case(struct buf *b, const struct test_result *r)
{
    char classname[64], secs[32];
    snprintf(classname, sizeof(classname), "shakedown.%s", r->s->category);
    snprintf(secs, sizeof(secs), "%.3f", (double)r->ms / 1000.0);
    put(b, "    <testcase");
    xml_attr(b, "name", r->s->name);
    xml_attr(b, "classname", classname);
    xml_attr(b, "time", secs);
    put(b, ">\n");
    const char *tag = r->grade == GRADE_FAIL    ? "failure"
                      : r->grade == GRADE_ERROR ? "error"
                      : r->grade == GRADE_SKIP  ? "skipped"
                                                : NULL;
    if (tag != NULL) {
        xml_printf(b, "      <%s", tag);
        xml_attr(b, "message", r->why);
        xml_attr(b, "type", grade_name(r->grade));
        if (r->grade == GRADE_SKIP) {
            put(b, "/>\n");
        } else {
            char body[4096], ex[16];
            exit_text(r, ex, sizeof(ex));
            snprintf(body, sizeof(body),
                     "%s\n\nscenario: %s (intent: %s)\n%s\nserver saw: %s"
                     "\nclient exit: %s%s\n",
                     r->why, r->s->name, intent_of(r), r->s->explain,
                     r->decisive ? r->decisive->saw : "no connection",
                     r->started ? ex : "not run",
                     r->inconsistent ? "\ninconsistent: the exit status "
                                       "contradicts what the server saw"
                                     : "");
            put(b, ">");
            xml_text(b, body, strlen(body));
            xml_printf(b, "</%s>\n", tag);
        }
    }
    if (r->grade == GRADE_INFO) {
        put(b, "      <properties><property name=\"behaviour\"");
        xml_attr(b, "value", r->why);
        put(b, "/></properties>\n");
    }
    put(b, "      <system-out>");
    xml_text(b, buf_head(&r->output), buf_pending(&r->output));
    if (r->output_bytes > buf_pending(&r->output))
        xml_printf(b, "\n[%llu more bytes of output not kept]",
                   (unsigned long long)(r->output_bytes -
                                        buf_pending(&r->output)));
    put(b, "</system-out>\n      <system-err>");
    xml_text(b, buf_head(&r->events_text), buf_pending(&r->events_text));
    put(b, "</system-err>\n    </testcase>\n");
}

int report_junit(const struct test_run *run, const char *path, struct diag *d)
{
    struct buf b;
    char when[32], host[256] = "localhost";
    buf_init(&b);
    iso_time(run->started, when, sizeof(when));
    gethostname(host, sizeof(host) - 1);
    xml_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites name=\"shakedown test\" tests=\"%zu\" "
               "failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\">\n",
               run->n, run->counts[GRADE_FAIL], run->counts[GRADE_ERROR],
               run->counts[GRADE_SKIP], run->seconds);
    xml_printf(&b, "  <testsuite name=\"shakedown\" tests=\"%zu\" "
               "failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\" timestamp=\"%s\"",
               run->n, run->counts[GRADE_FAIL], run->counts[GRADE_ERROR],
               run->counts[GRADE_SKIP], run->seconds, when);
    xml_attr(&b, "hostname", host);
    put(&b, ">\n    <properties>\n");
    struct buf cmd;
    buf_init(&cmd);
    for (int i = 0; run->argv != NULL && i < run->argc; i++) {
        if (i)
            put(&cmd, " ");
        buf_append(&cmd, run->argv[i], strlen(run->argv[i]));
    }
    buf_append(&cmd, "", 1);
    const char *props[][2] = {
        {"command", run->argv ? (const char *)buf_head(&cmd) : ""},
        {"client", run->client ? run->client : ""},
        {"protocol", run->protocol},
        {"shakedown", SHAKEDOWN_VERSION},
        {"wolfssl", tlsio_library_version()}};
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        put(&b, "      <property");
        xml_attr(&b, "name", props[i][0]);
        xml_attr(&b, "value", props[i][1]);
        put(&b, "/>\n");
    }
    buf_free(&cmd);
    put(&b, "    </properties>\n");
    for (size_t i = 0; i < run->n; i++)
        junit_case(&b, &run->results[i]);
    put(&b, "  </testsuite>\n</testsuites>\n");
    int rc = write_file(path, &b, d);
    buf_free(&b);
    return rc;
}

/* ---- the baseline ------------------------------------------------------- */

int baseline_write(const struct test_run *run, const char *path,
                   struct diag *d)
{
    struct buf b;
    char when[32];
    buf_init(&b);
    iso_time(run->started, when, sizeof(when));
    xml_printf(&b, "# shakedown test baseline, written %s by shakedown %s "
               "(wolfSSL %s) over %s\n", when, SHAKEDOWN_VERSION,
               tlsio_library_version(), run->protocol);
    put(&b, "# client:");
    if (run->client != NULL)
        xml_printf(&b, " --client %s", run->client);
    for (int i = 0; run->argv != NULL && i < run->argc; i++)
        xml_printf(&b, " %s", run->argv[i]);
    put(&b, "\n");
    put(&b, "# Compared on grade and behaviour; the outcome is for people. "
            "Edit a line to accept a change.\n");
    put(&b, "# scenario\tgrade\tbehaviour\toutcome\n");
    for (size_t i = 0; i < run->n; i++) {
        const struct test_result *r = &run->results[i];
        xml_printf(&b, "%s\t%s\t%s\t%s\n", r->s->name, grade_name(r->grade),
                   report_behaviour(r), report_saw(r));
    }
    int rc = write_file(path, &b, d);
    buf_free(&b);
    return rc;
}

struct baseline_line {
    char name[64];
    char grade[16];
    char behaviour[16];
    bool seen; /* in this run */
};

static int parse_baseline(const char *path, struct baseline_line **out,
                          size_t *n, struct diag *d)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return diag_set(d, path, 0, "cannot read the baseline: %s",
                        strerror(errno));
    char line[1024];
    int lineno = 0;
    struct baseline_line *v = NULL;
    size_t count = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *save = NULL;
        char *name = strtok_r(line, "\t", &save);
        char *grade = strtok_r(NULL, "\t", &save);
        char *behaviour = strtok_r(NULL, "\t", &save);
        if (name == NULL || grade == NULL || behaviour == NULL) {
            fclose(f);
            free(v);
            return diag_set(d, path, lineno, "expected \"scenario<TAB>grade"
                            "<TAB>behaviour[<TAB>outcome]\"");
        }
        if (grade_parse(grade) < 0 ||
            (strcmp(behaviour, "accepted") != 0 &&
             strcmp(behaviour, "refused") != 0 &&
             strcmp(behaviour, "none") != 0)) {
            fclose(f);
            free(v);
            return diag_set(d, path, lineno, "\"%s\" \"%s\": the grade is "
                            "PASS, FAIL, INFO, ERROR or SKIP and the "
                            "behaviour accepted, refused or none", grade,
                            behaviour);
        }
        struct baseline_line *nv = realloc(v, (count + 1) * sizeof(*v));
        if (nv == NULL) {
            fclose(f);
            free(v);
            return diag_set(d, path, lineno, "out of memory");
        }
        v = nv;
        memset(&v[count], 0, sizeof(v[count]));
        snprintf(v[count].name, sizeof(v[count].name), "%s", name);
        snprintf(v[count].grade, sizeof(v[count].grade), "%s", grade);
        snprintf(v[count].behaviour, sizeof(v[count].behaviour), "%s",
                 behaviour);
        count++;
    }
    fclose(f);
    *out = v;
    *n = count;
    return 0;
}

int baseline_compare(const struct test_run *run, const char *path, FILE *out,
                     struct diag *d)
{
    struct baseline_line *v = NULL;
    size_t n = 0;
    if (parse_baseline(path, &v, &n, d) != 0)
        return -1;
    struct buf b;
    buf_init(&b);
    int changes = 0;
    for (size_t i = 0; i < run->n; i++) {
        const struct test_result *r = &run->results[i];
        struct baseline_line *was = NULL;
        for (size_t k = 0; k < n && was == NULL; k++)
            if (strcmp(v[k].name, r->s->name) == 0)
                was = &v[k];
        if (was == NULL) {
            xml_printf(&b, "  %s: new (not in the baseline): %s (%s): %s\n",
                       r->s->name, grade_name(r->grade), report_behaviour(r),
                       r->why);
            changes++;
            continue;
        }
        was->seen = true;
        if (strcmp(was->grade, grade_name(r->grade)) == 0 &&
            strcmp(was->behaviour, report_behaviour(r)) == 0)
            continue;
        xml_printf(&b, "  %s: %s -> %s (%s -> %s): %s\n", r->s->name,
                   was->grade, grade_name(r->grade), was->behaviour,
                   report_behaviour(r), r->why);
        changes++;
    }
    for (size_t k = 0; k < n; k++)
        if (!v[k].seen) {
            xml_printf(&b, "  %s: not run (in the baseline as %s, %s)\n",
                       v[k].name, v[k].grade, v[k].behaviour);
            changes++;
        }
    if (changes == 0)
        fprintf(out, "shakedown test: no changes since %s (%zu scenarios)\n",
                path, run->n);
    else
        fprintf(out, "shakedown test: %d change%s since %s:\n%.*s", changes,
                changes == 1 ? "" : "s", path, (int)buf_pending(&b),
                (const char *)buf_head(&b));
    buf_free(&b);
    free(v);
    return changes;
}
