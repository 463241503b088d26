/*
 * Connection log lines on stderr, readable text or JSON lines. A record is
 * plain data filled by the connection; this module only formats it.
 */
#ifndef SHAKEDOWN_LOG_H
#define SHAKEDOWN_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_format {
    LOG_TEXT,
    LOG_JSON
};

struct log_record {
    const char *scenario;
    uint64_t id;
    const char *peer;
    const char *sni;          /* NULL: no SNI sent */
    const char *offered;      /* client's highest version, or NULL */
    const char *action;       /* what the server did */
    const char *version;      /* negotiated, or NULL */
    const char *cipher;       /* negotiated, or NULL */
    const char *outcome;      /* static reason the connection ended */
    const char *detail;       /* extra text, or "" */
    int alert_sent;           /* -1 for none */
    int alert_received;       /* -1 for none */
    const char *close;        /* "fin", "rst", "peer-fin", "peer-rst" ... */
    double ms;
    uint64_t bytes_in;
    uint64_t bytes_out;
};

void log_set_format(enum log_format f);
/* Parses "text" or "json"; returns 0 or -1. */
int log_parse_format(const char *s, enum log_format *f);
void log_connection(const struct log_record *r);
/* A server-level message: "shakedown: ..." (text) or {"event": ...}. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
