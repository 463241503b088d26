/*
 * A small JSON writer over a struct buf: objects, arrays, escaped strings,
 * integers and booleans, with commas placed automatically. Used for the
 * ports file, the catalogue and JSON log lines. Writing only; shakedown
 * never parses JSON.
 */
#ifndef SHAKEDOWN_JSON_H
#define SHAKEDOWN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 16

struct json {
    struct buf *out;
    int depth;
    bool after_key;
    bool need_comma[JSON_MAX_DEPTH];
    bool failed; /* out of memory or nesting too deep */
};

void json_init(struct json *j, struct buf *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Shorthands for a key followed by a value. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);
/* A value already written as JSON (a log event), as it is. */
void json_raw(struct json *j, const char *text, size_t len);
/* Appends s as a quoted JSON string with every needed escape. */
int json_escape(struct buf *out, const char *s);

#endif
