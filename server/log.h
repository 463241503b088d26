/*
 * The connection trace: one line per event on stderr, readable text
 * ("[expired #3] client_hello: ...") or JSON lines with stable field names
 * (--log-format json). An event is built with log_ev_begin, fields and a
 * sentence for people, then written by log_ev_end.
 */
#ifndef SHAKEDOWN_LOG_H
#define SHAKEDOWN_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "json.h"

enum log_format {
    LOG_TEXT,
    LOG_JSON
};

struct log_ev {
    struct buf line;
    struct json json;
    char scenario[64];
    uint64_t id;
    char event[32];
    char msg[1024];
};

void log_set_format(enum log_format f);
/* Parses "text" or "json"; returns 0 or -1. */
int log_parse_format(const char *s, enum log_format *f);

void log_ev_begin(struct log_ev *ev, const char *scenario, uint64_t id,
                  const char *event);
void log_ev_str(struct log_ev *ev, const char *key, const char *value);
void log_ev_int(struct log_ev *ev, const char *key, int64_t value);
void log_ev_bool(struct log_ev *ev, const char *key, bool value);
void log_ev_strs(struct log_ev *ev, const char *key,
                 const char *const *values, size_t n);
/* The sentence the text format shows (and JSON carries as "msg"). */
void log_ev_msg(struct log_ev *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_ev_end(struct log_ev *ev);

/* Also hands every event, as one JSON object, to fn (the dashboard's
 * live stream); NULL removes it. */
typedef void log_sink_fn(void *arg, const char *json, size_t len);
void log_set_sink(log_sink_fn *fn, void *arg);
/* A second listener, the runner's, which keeps each scenario's events in
 * both formats: scenario is "" for a server-level message. NULL removes
 * it. Called under the same lock as the sink. */
typedef void log_tap_fn(void *arg, const char *scenario, const char *json,
                        size_t json_len, const char *text, size_t text_len);
void log_set_tap(log_tap_fn *fn, void *arg);
/* Where the lines go: stderr by default; NULL: nowhere (the sink and the
 * tap still hear every event). */
void log_set_output(FILE *f);

/* A server-level message: "shakedown: ..." or {"event": "info", ...}. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
