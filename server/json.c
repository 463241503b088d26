/*
 * JSON writer. Strings are escaped per RFC 8259 section 7: quote, backslash
 * and every control character; bytes >= 0x80 pass through unchanged.
 */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json *j, struct buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

static void put(struct json *j, const char *s, size_t n)
{
    if (buf_append(j->out, s, n) != 0)
        j->failed = true;
}

/* Emits the separator a new value or key needs at the current depth. */
static void separate(struct json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth])
        put(j, ",", 1);
    j->need_comma[j->depth] = true;
}

static void open(struct json *j, const char *c)
{
    separate(j);
    put(j, c, 1);
    if (j->depth + 1 >= JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(struct json *j, const char *c)
{
    put(j, c, 1);
    if (j->depth > 0)
        j->depth--;
}

void json_object_begin(struct json *j) { open(j, "{"); }
void json_object_end(struct json *j) { close_(j, "}"); }
void json_array_begin(struct json *j) { open(j, "["); }
void json_array_end(struct json *j) { close_(j, "]"); }

int json_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_append(out, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0;
         p++) {
        char esc[7];
        size_t n = 0;
        switch (*p) {
        case '"': memcpy(esc, "\\\"", n = 2); break;
        case '\\': memcpy(esc, "\\\\", n = 2); break;
        case '\n': memcpy(esc, "\\n", n = 2); break;
        case '\r': memcpy(esc, "\\r", n = 2); break;
        case '\t': memcpy(esc, "\\t", n = 2); break;
        default:
            if (*p < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 15];
                n = 6;
            } else {
                esc[0] = (char)*p;
                n = 1;
            }
        }
        rc = buf_append(out, esc, n);
    }
    if (rc == 0)
        rc = buf_append(out, "\"", 1);
    return rc;
}

void json_key(struct json *j, const char *key)
{
    separate(j);
    if (json_escape(j->out, key) != 0)
        j->failed = true;
    put(j, ":", 1);
    j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
    separate(j);
    if (json_escape(j->out, s ? s : "") != 0)
        j->failed = true;
}

void json_int(struct json *j, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    separate(j);
    put(j, tmp, (size_t)n);
}

void json_bool(struct json *j, bool v)
{
    separate(j);
    put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
    separate(j);
    put(j, "null", 4);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
    json_key(j, key);
    json_int(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
    json_key(j, key);
    json_bool(j, v);
}

void json_raw(struct json *j, const char *text, size_t len)
{
    separate(j);
    put(j, text, len);
}
