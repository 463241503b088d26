/*
 * Log formatting. Text lines are for people watching a terminal; JSON
 * lines carry the same fields under stable names for tools.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "json.h"

static enum log_format format = LOG_TEXT;

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

static void write_line(struct buf *b)
{
    buf_append(b, "\n", 1);
    fwrite(buf_head(b), 1, buf_pending(b), stderr);
    fflush(stderr);
}

static void text_connection(const struct log_record *r)
{
    char sent[48] = "-", recv[48] = "-";
    if (r->alert_sent >= 0)
        alert_describe(r->alert_sent, sent, sizeof(sent));
    if (r->alert_received >= 0)
        alert_describe(r->alert_received, recv, sizeof(recv));
    fprintf(stderr,
            "[%s #%llu] %s sni=%s offered=%s action=%s negotiated=%s%s%s "
            "| %s%s%s | alert sent=%s received=%s | close=%s %.1f ms, "
            "in=%llu out=%llu\n",
            r->scenario, (unsigned long long)r->id, r->peer,
            r->sni ? r->sni : "(none)", r->offered ? r->offered : "-",
            r->action, r->version ? r->version : "-",
            r->cipher ? " " : "", r->cipher ? r->cipher : "", r->outcome,
            r->detail[0] ? ": " : "", r->detail, sent, recv, r->close, r->ms,
            (unsigned long long)r->bytes_in,
            (unsigned long long)r->bytes_out);
    fflush(stderr);
}

static void json_alert(struct json *j, const char *key, int code)
{
    json_key(j, key);
    if (code < 0) {
        json_null(j);
        return;
    }
    json_object_begin(j);
    json_kv_int(j, "code", code);
    const char *name = alert_name(code);
    json_key(j, "name");
    if (name)
        json_string(j, name);
    else
        json_null(j);
    json_object_end(j);
}

static void json_opt(struct json *j, const char *key, const char *v)
{
    json_key(j, key);
    if (v)
        json_string(j, v);
    else
        json_null(j);
}

static void json_connection(const struct log_record *r)
{
    struct buf b;
    struct json j;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_kv_string(&j, "event", "connection");
    json_kv_string(&j, "scenario", r->scenario);
    json_kv_int(&j, "id", (int64_t)r->id);
    json_kv_string(&j, "peer", r->peer);
    json_opt(&j, "sni", r->sni);
    json_opt(&j, "offered", r->offered);
    json_kv_string(&j, "action", r->action);
    json_opt(&j, "version", r->version);
    json_opt(&j, "cipher", r->cipher);
    json_kv_string(&j, "outcome", r->outcome);
    json_kv_string(&j, "detail", r->detail);
    json_alert(&j, "alert_sent", r->alert_sent);
    json_alert(&j, "alert_received", r->alert_received);
    json_kv_string(&j, "close", r->close);
    json_kv_int(&j, "us", (int64_t)(r->ms * 1000));
    json_kv_int(&j, "bytes_in", (int64_t)r->bytes_in);
    json_kv_int(&j, "bytes_out", (int64_t)r->bytes_out);
    json_object_end(&j);
    write_line(&b);
    buf_free(&b);
}

void log_connection(const struct log_record *r)
{
    if (format == LOG_JSON)
        json_connection(r);
    else
        text_connection(r);
}

void log_info(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (format == LOG_TEXT) {
        fprintf(stderr, "shakedown: %s\n", msg);
        fflush(stderr);
        return;
    }
    struct buf b;
    struct json j;
    buf_init(&b);
    json_init(&j, &b);
    json_object_begin(&j);
    json_kv_string(&j, "event", "info");
    json_kv_string(&j, "message", msg);
    json_object_end(&j);
    write_line(&b);
    buf_free(&b);
}
