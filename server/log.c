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

void log_set_sink(log_sink_fn *fn, void *arg)
{
    pthread_mutex_lock(&sink_lock);
    sink = fn;
    sink_arg = arg;
    pthread_mutex_unlock(&sink_lock);
}

static void to_sink(const char *json, size_t len)
{
    pthread_mutex_lock(&sink_lock);
    if (sink != NULL)
        sink(sink_arg, json, len);
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
    flockfile(stderr);
    if (len < sizeof(one)) {
        memcpy(one, line, len);
        one[len] = '\n';
        fwrite(one, 1, len + 1, stderr);
    } else {
        fwrite(line, 1, len, stderr);
        fputc('\n', stderr);
    }
    fflush(stderr);
    funlockfile(stderr);
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
    if (!ev->json.failed)
        to_sink((const char *)buf_head(&ev->line), buf_pending(&ev->line));
    if (format == LOG_JSON) {
        emit((const char *)buf_head(&ev->line), buf_pending(&ev->line));
    } else {
        char text[1400];
        int n = snprintf(text, sizeof(text), "[%s #%llu] %s: %s",
                         ev->scenario, (unsigned long long)ev->id, ev->event,
                         ev->msg);
        if (n > 0)
            emit(text, (size_t)n < sizeof(text) ? (size_t)n
                                                 : sizeof(text) - 1);
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
    if (format == LOG_TEXT) {
        char line[1100];
        int n = snprintf(line, sizeof(line), "shakedown: %s", msg);
        emit(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
    struct buf b;
    struct json j;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_kv_string(&j, "event", "info");
    json_kv_string(&j, "msg", msg);
    json_object_end(&j);
    if (format == LOG_JSON)
        emit((const char *)buf_head(&b), buf_pending(&b));
    if (!j.failed)
        to_sink((const char *)buf_head(&b), buf_pending(&b));
    buf_free(&b);
}
