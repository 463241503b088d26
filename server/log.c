/*
 * Event formatting. JSON lines are built field by field as the event is
 * described; the text line is the event's sentence behind a
 * "[scenario #id] event:" prefix, so both formats say the same thing.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_format format = LOG_TEXT;
/* Worker loops log from their own threads: the sink is called under a
 * lock, and each line goes out under stderr's own lock. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static log_sink_fn *sink;
static void *sink_arg;
static log_tap_fn *tap;
static void *tap_arg;
static FILE *output; /* NULL until set: stderr */
static bool output_set;

void log_set_sink(log_sink_fn *fn, void *arg)
{
    pthread_mutex_lock(&sink_lock);
    sink = fn;
    sink_arg = arg;
    pthread_mutex_unlock(&sink_lock);
}

void log_set_tap(log_tap_fn *fn, void *arg)
{
    pthread_mutex_lock(&sink_lock);
    tap = fn;
    tap_arg = arg;
    pthread_mutex_unlock(&sink_lock);
}

void log_set_output(FILE *f)
{
    output = f;
    output_set = true;
}

static void to_sink(const char *scenario, const char *json, size_t len,
                    const char *text, size_t text_len)
{
    pthread_mutex_lock(&sink_lock);
    if (sink != NULL && json != NULL)
        sink(sink_arg, json, len);
    if (tap != NULL)
        tap(tap_arg, scenario, json, len, text, text_len);
    pthread_mutex_unlock(&sink_lock);
}

void log_set_format(enum log_format f)
{
    format = f;
}

int log_parse_format(const char *s, enum log_format *f)
{
    if (strcmp(s, "text") == 0)
        *f = LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *f = LOG_JSON;
    else
        return -1;
    return 0;
}

/* One line, one write(2) when it fits: stderr is unbuffered, and a
 * connection logs several events. */
static void emit(const char *line, size_t len)
{
    char one[4096];
    FILE *out = output_set ? output : stderr;
    if (out == NULL)
        return;
    flockfile(out);
    if (len < sizeof(one)) {
        memcpy(one, line, len);
        one[len] = '\n';
        fwrite(one, 1, len + 1, out);
    } else {
        fwrite(line, 1, len, out);
        fputc('\n', out);
    }
    fflush(out);
    funlockfile(out);
}

void log_ev_begin(struct log_ev *ev, const char *scenario, uint64_t id,
                  const char *event)
{
    buf_init(&ev->line);
    json_init(&ev->json, &ev->line);
    snprintf(ev->scenario, sizeof(ev->scenario), "%s", scenario);
    snprintf(ev->event, sizeof(ev->event), "%s", event);
    ev->id = id;
    ev->msg[0] = '\0';
    json_object_begin(&ev->json);
    json_kv_string(&ev->json, "event", event);
    json_kv_string(&ev->json, "scenario", scenario);
    json_kv_int(&ev->json, "id", (int64_t)id);
}

void log_ev_str(struct log_ev *ev, const char *key, const char *value)
{
    json_key(&ev->json, key);
    if (value != NULL)
        json_string(&ev->json, value);
    else
        json_null(&ev->json);
}

void log_ev_int(struct log_ev *ev, const char *key, int64_t value)
{
    json_kv_int(&ev->json, key, value);
}

void log_ev_bool(struct log_ev *ev, const char *key, bool value)
{
    json_kv_bool(&ev->json, key, value);
}

void log_ev_strs(struct log_ev *ev, const char *key,
                 const char *const *values, size_t n)
{
    json_key(&ev->json, key);
    json_array_begin(&ev->json);
    for (size_t i = 0; i < n; i++)
        json_string(&ev->json, values[i]);
    json_array_end(&ev->json);
}

void log_ev_msg(struct log_ev *ev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->msg, sizeof(ev->msg), fmt, ap);
    va_end(ap);
}

void log_ev_end(struct log_ev *ev)
{
    json_kv_string(&ev->json, "msg", ev->msg);
    json_object_end(&ev->json);
    const char *json = ev->json.failed ? NULL
                                       : (const char *)buf_head(&ev->line);
    size_t json_len = json ? buf_pending(&ev->line) : 0;
    char text[1400];
    int n = snprintf(text, sizeof(text), "[%s #%llu] %s: %s", ev->scenario,
                     (unsigned long long)ev->id, ev->event, ev->msg);
    size_t text_len = n < 0 ? 0
                      : (size_t)n < sizeof(text) ? (size_t)n
                                                 : sizeof(text) - 1;
    to_sink(ev->scenario, json, json_len, text, text_len);
    if (format == LOG_JSON) {
        if (json != NULL)
            emit(json, json_len);
    } else {
        emit(text, text_len);
    }
    buf_free(&ev->line);
}

void log_info(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char line[1100];
    int n = snprintf(line, sizeof(line), "shakedown: %s", msg);
    size_t line_len = n < 0 ? 0
                      : (size_t)n < sizeof(line) ? (size_t)n
                                                 : sizeof(line) - 1;
    if (format == LOG_TEXT)
        emit(line, line_len);
    struct buf b;
    struct json j;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_kv_string(&j, "event", "info");
    json_kv_string(&j, "msg", msg);
    json_object_end(&j);
    if (format == LOG_JSON && !j.failed)
        emit((const char *)buf_head(&b), buf_pending(&b));
    to_sink("", j.failed ? NULL : (const char *)buf_head(&b),
            j.failed ? 0 : buf_pending(&b), line, line_len);
    buf_free(&b);
}
