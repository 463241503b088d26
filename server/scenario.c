/*
 * The scenario loader: inih reads the file through our own line reader
 * (which knows the line number, spots section headers and refuses
 * over-long lines instead of truncating them), and one table of
 * {section, key, parser} turns each value into a field of the record.
 */
#include "scenario.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "alert.h"
#include "family.h"
#include "hello.h"
#include "suites.h"

enum section {
    SEC_NONE,
    SEC_SCENARIO,
    SEC_TLS,
    SEC_CLIENT_AUTH,
    SEC_SNI,
    SEC_RESUMPTION,
    SEC_ALPN,
    SEC_HTTP,
    SEC_DIALOGUE,
    SEC_FAULT,
    SEC_EXPECT,
    SEC_UNKNOWN
};

static const char *const section_names[] = {
    [SEC_SCENARIO] = "scenario",
    [SEC_TLS] = "tls",
    [SEC_CLIENT_AUTH] = "client_auth",
    [SEC_SNI] = "sni",
    [SEC_RESUMPTION] = "resumption",
    [SEC_ALPN] = "alpn",
    [SEC_HTTP] = "http",
    [SEC_DIALOGUE] = "dialogue",
    [SEC_FAULT] = "fault",
    [SEC_EXPECT] = "expect.CLIENT",
};

static const char *const known_clients[] = {
    "curl", "openssl", "python", "gnutls", "grpc", "nghttp", "psql",
    "mariadb", "wolfssl", "chromium"};
/* The Debian packages among them: run from every client generation. */
static const char *const packaged_clients[] = {
    "curl", "openssl", "python", "gnutls", "grpc", "nghttp", "psql",
    "mariadb"};

static const char *const generation_names[SCENARIO_GEN_COUNT] = {
    [SCENARIO_GEN_BOOKWORM] = "bookworm",
    [SCENARIO_GEN_TRIXIE] = "trixie",
};

/* The keys of a struct scenario_result, as bits of scenario_expect.own. */
enum {
    RESULT_EXIT = 1u << 0,
    RESULT_MESSAGE = 1u << 1,
    RESULT_NOTE = 1u << 2,
};

static const char *const known_categories[] = {
    "control", "certificate", "protocol", "cipher",
    "client-cert", "sni", "alpn", "transport", "dialogue", "alert", "http"};

struct loader;
struct key_spec;
typedef int parse_fn(struct loader *l, const struct key_spec *k, void *field,
                     const char *value);

struct key_spec {
    enum section section;
    const char *key;
    parse_fn *parse;
    size_t offset; /* in struct scenario, or struct scenario_expect */
    size_t size;   /* of the field, for strings */
};

struct loader {
    struct scenario *s;
    struct diag *d;
    const char *file;
    /* line reader */
    const char *text;
    size_t pos;
    int line;
    bool continuation;
    bool have_key; /* a key was seen in this section: indents continue it */
    bool alpn_set; /* [alpn] protocols was given */
    /* section state */
    enum section section;
    int section_line[SEC_UNKNOWN];
    struct scenario_expect *expect;
    /* key_spec index -> line first seen: unqualified, then per
     * generation ("exit@trixie") */
    unsigned seen[1 + SCENARIO_GEN_COUNT][64];
    unsigned gen_mask; /* the generations the current expect key sets */
    struct {
        bool after_bytes, interval, duration;
    } fault_keys; /* which [fault] keys the file set */
};

static int fail(struct loader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct loader *l, const char *fmt, ...)
{
    char msg[sizeof(l->d->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return diag_set(l->d, l->file, l->line, "%s", msg);
}

/* "[expect.smtp.curl.with-cert]" into out. */
static const char *expect_label(const struct scenario_expect *e, char *out,
                                size_t size)
{
    const char *p = e->protocol == PROTOCOL_HTTPS
                        ? ""
                        : protocol_get(e->protocol)->name;
    snprintf(out, size, "[expect.%s%s%s%s%s]", p, p[0] ? "." : "", e->client,
             e->variant[0] ? "." : "", e->variant);
    return out;
}

static const char *section_label(const struct loader *l)
{
    static char label[128];
    if (l->section == SEC_EXPECT && l->expect != NULL) {
        expect_label(l->expect, label, sizeof(label));
    } else {
        snprintf(label, sizeof(label), "[%s]", section_names[l->section]);
    }
    return label;
}

/* ---- value parsers ---------------------------------------------------- */

static int copy_text(struct loader *l, const struct key_spec *k, char *dst,
                     const char *value)
{
    size_t n = strlen(value);
    if (n == 0)
        return fail(l, "%s %s is empty", section_label(l), k->key);
    if (n >= k->size)
        return fail(l, "%s %s is too long (%zu characters, at most %zu)",
                    section_label(l), k->key, n, k->size - 1);
    memcpy(dst, value, n + 1);
    return 0;
}

static int parse_text(struct loader *l, const struct key_spec *k, void *field,
                      const char *value)
{
    return copy_text(l, k, field, value);
}

/* Each suite must be a name some wolfSSL build knows: a typo is an error
 * here, a suite this build lacks is tlsio's "unavailable" at start-up. */
static int parse_ciphers(struct loader *l, const struct key_spec *k,
                         void *field, const char *value)
{
    struct suites_unknown bad;
    if (copy_text(l, k, field, value) != 0)
        return -1;
    if (suites_check_list(value, &bad) == 0)
        return 0;
    return fail(l, "%s %s: unknown cipher suite \"%.*s\" (%s)",
                section_label(l), k->key, bad.len, bad.name, bad.hint);
}

static bool is_stem(const char *s)
{
    if (*s == '\0' || *s == '.')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return false;
    return true;
}

static int check_stem(struct loader *l, const struct key_spec *k,
                      const char *stem)
{
    if (!is_stem(stem))
        return fail(l,
                    "%s %s: \"%s\" is not a file stem in the certificates "
                    "directory (letters, digits, '.', '_' and '-'; no path)",
                    section_label(l), k->key, stem);
    return 0;
}

static int parse_stem(struct loader *l, const struct key_spec *k, void *field,
                      const char *value)
{
    if (copy_text(l, k, field, value) != 0)
        return -1;
    return check_stem(l, k, value);
}

/* Splits a comma-separated list, trimming blanks around each item, and
 * calls fn for each. An empty item ("a,,b" or "a,") is an error, not
 * skipped. */
static int for_each_item(struct loader *l, const struct key_spec *k,
                         const char *value,
                         int (*fn)(struct loader *, const struct key_spec *,
                                   void *, const char *),
                         void *ctx)
{
    char item[1024];
    const char *p = value;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return fail(l, "%s %s is empty", section_label(l), k->key);
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && isspace((unsigned char)*p))
            p++, n--;
        while (n > 0 && isspace((unsigned char)p[n - 1]))
            n--;
        if (n == 0)
            return fail(l, "%s %s has an empty item", section_label(l),
                        k->key);
        if (n >= sizeof(item))
            return fail(l, "%s %s has an item longer than %zu characters",
                        section_label(l), k->key, sizeof(item) - 1);
        memcpy(item, p, n);
        item[n] = '\0';
        if (fn(l, k, ctx, item) != 0)
            return -1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int add_chain_item(struct loader *l, const struct key_spec *k,
                          void *ctx, const char *item)
{
    struct scenario_identity *id = ctx;
    if (id->n_chain == SCENARIO_MAX_CHAIN)
        return fail(l, "%s %s lists more than %d certificates",
                    section_label(l), k->key, SCENARIO_MAX_CHAIN);
    if (check_stem(l, k, item) != 0)
        return -1;
    if (strlen(item) >= SCENARIO_STEM_MAX)
        return fail(l, "%s %s: \"%s\" is too long", section_label(l), k->key,
                    item);
    strcpy(id->chain[id->n_chain++], item);
    return 0;
}

static int parse_chain(struct loader *l, const struct key_spec *k,
                       void *field, const char *value)
{
    /* field points at identity.chain; step back to the identity. */
    struct scenario_identity *id =
        (struct scenario_identity *)((char *)field -
                                     offsetof(struct scenario_identity,
                                              chain));
    return for_each_item(l, k, value, add_chain_item, id);
}

static int parse_int(struct loader *l, const struct key_spec *k,
                     const char *value, long lo, long hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < lo || v > hi)
        return fail(l, "%s %s: \"%s\" is not a whole number from %ld to %ld",
                    section_label(l), k->key, value, lo, hi);
    *out = (int)v;
    return 0;
}

static int parse_port(struct loader *l, const struct key_spec *k,
                      void *field, const char *value)
{
    return parse_int(l, k, value, 0, 65535, field);
}

/* An exit code, or several separated by "||" when the client's result
 * depends on a race it runs with the server. */
static int parse_exits(struct loader *l, const struct key_spec *k,
                       const char *value, struct scenario_result *r)
{
    char tmp[64];
    const char *p = value;
    int max = (int)(sizeof(r->exits) / sizeof(r->exits[0]));
    r->n_exits = 0;
    for (;;) {
        const char *bar = strstr(p, "||");
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p))
            p++, len--;
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len >= sizeof(tmp))
            return fail(l, "%s %s: \"%s\" is not an exit code from 0 to "
                        "255, or several joined by ||",
                        section_label(l), k->key, value);
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        if (r->n_exits == max)
            return fail(l, "%s %s: at most %d alternatives", section_label(l),
                        k->key, max);
        if (parse_int(l, k, tmp, 0, 255, &r->exits[r->n_exits]) != 0)
            return -1;
        r->n_exits++;
        if (bar == NULL)
            return 0;
        p = bar + 2;
    }
}

/* exit, message and note of an [expect.*] section go to every
 * generation in l->gen_mask. */
static int parse_exit(struct loader *l, const struct key_spec *k,
                      void *field, const char *value)
{
    (void)field;
    for (int g = 0; g < SCENARIO_GEN_COUNT; g++)
        if ((l->gen_mask & (1u << g)) &&
            parse_exits(l, k, value, &l->expect->gen[g]) != 0)
            return -1;
    return 0;
}

static int parse_result_text(struct loader *l, const struct key_spec *k,
                             void *field, const char *value)
{
    (void)field;
    for (int g = 0; g < SCENARIO_GEN_COUNT; g++)
        if ((l->gen_mask & (1u << g)) &&
            copy_text(l, k, (char *)&l->expect->gen[g] + k->offset,
                      value) != 0)
            return -1;
    return 0;
}

static int parse_bits(struct loader *l, const struct key_spec *k,
                      void *field, const char *value)
{
    return parse_int(l, k, value, 512, 16384, field);
}

static const char *const version_tokens[SCENARIO_VERSION_COUNT] = {
    [SCENARIO_SSL3] = "ssl3",
    [SCENARIO_TLS10] = "1.0",
    [SCENARIO_TLS11] = "1.1",
    [SCENARIO_TLS12] = "1.2",
    [SCENARIO_TLS13] = "1.3",
};

static int version_lookup(const char *s, size_t n)
{
    for (int v = 0; v < SCENARIO_VERSION_COUNT; v++)
        if (strlen(version_tokens[v]) == n &&
            strncmp(version_tokens[v], s, n) == 0)
            return v;
    return -1;
}

static int parse_versions(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    (void)field;
    const char *dash = strchr(value, '-');
    size_t n1 = dash ? (size_t)(dash - value) : strlen(value);
    int lo = version_lookup(value, n1);
    int hi = dash ? version_lookup(dash + 1, strlen(dash + 1)) : lo;
    if (lo < 0 || hi < 0)
        return fail(l,
                    "%s %s: \"%s\" is not a version or range (use ssl3, "
                    "1.0, 1.1, 1.2, 1.3, or a range such as 1.2-1.3)",
                    section_label(l), k->key, value);
    if (lo > hi)
        return fail(l, "%s %s: range \"%s\" runs backwards",
                    section_label(l), k->key, value);
    l->s->min_version = lo;
    l->s->max_version = hi;
    return 0;
}

static int parse_client_auth(struct loader *l, const struct key_spec *k,
                             void *field, const char *value)
{
    static const char *const modes[] = {"none", "optional", "required",
                                        "renegotiate"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(value, modes[i]) == 0) {
            *(enum scenario_client_auth *)field = i;
            return 0;
        }
    }
    return fail(l, "%s %s: \"%s\" is not none, optional, required or "
                "renegotiate",
                section_label(l), k->key, value);
}

static int parse_starttls(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    static const char *const modes[] = {"offer", "strip", "refuse", "early"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(value, modes[i]) == 0) {
            *(enum scenario_starttls *)field = i;
            return 0;
        }
    }
    return fail(l, "%s %s: \"%s\" is not offer, strip, refuse or early",
                section_label(l), k->key, value);
}

static int parse_status(struct loader *l, const struct key_spec *k,
                        void *field, const char *value)
{
    return parse_int(l, k, value, 200, 599, field);
}

/* No 204 or 304: they carry no body, and the page is the scenario's. */
static int parse_http_status(struct loader *l, const struct key_spec *k,
                             void *field, const char *value)
{
    if (parse_status(l, k, field, value) != 0)
        return -1;
    int v = *(int *)field;
    if (v == 204 || v == 304)
        return fail(l, "%s %s: %d has no body; any other status from 200 "
                    "to 599 will do", section_label(l), k->key, v);
    return 0;
}

/* Whether the certificates served are meant to be within their dates: a
 * scenario that serves an expired certificate on purpose says so, and
 * any other one that does is a PKI that has rotted. */
static int parse_validity(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    static const char *const names[] = {"current", "ended", "not-begun"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(value, names[i]) == 0) {
            *(enum scenario_validity *)field = i;
            return 0;
        }
    }
    return fail(l, "%s %s: \"%s\" is not current, ended or not-begun",
                section_label(l), k->key, value);
}

static int parse_bool(struct loader *l, const struct key_spec *k,
                      void *field, const char *value)
{
    if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
        *(bool *)field = true;
    else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
        *(bool *)field = false;
    else
        return fail(l, "%s %s: \"%s\" is not yes or no", section_label(l),
                    k->key, value);
    return 0;
}

static const char *const action_names[SCENARIO_ACTION_COUNT] = {
    [SCENARIO_SERVE] = "serve",         [SCENARIO_ALERT] = "alert",
    [SCENARIO_RESET] = "reset",         [SCENARIO_CLOSE] = "close",
    [SCENARIO_STALL] = "stall",         [SCENARIO_DRIP] = "drip",
    [SCENARIO_PLAINTEXT] = "plaintext", [SCENARIO_GARBAGE] = "garbage",
    [SCENARIO_TRUNCATE] = "truncate",
};

static const char *const point_names[SCENARIO_POINT_COUNT] = {
    [SCENARIO_AT_NONE] = "none",
    [SCENARIO_AT_ACCEPT] = "accept",
    [SCENARIO_AT_CLIENT_HELLO] = "client_hello",
    [SCENARIO_AT_SERVER_FLIGHT] = "server_flight",
    [SCENARIO_AT_HANDSHAKE_DONE] = "handshake_done",
    [SCENARIO_AT_RESPONSE] = "response",
    [SCENARIO_AT_GREETING] = "greeting",
};

static const char *const outcome_names[SCENARIO_OUTCOME_COUNT] = {
    [SCENARIO_OUTCOME_COMPLETED] = "completed",
    [SCENARIO_OUTCOME_CLIENT_ALERT] = "client-alert",
    [SCENARIO_OUTCOME_SERVER_ALERT] = "server-alert",
    [SCENARIO_OUTCOME_CLIENT_CLOSED] = "client-closed",
    [SCENARIO_OUTCOME_FAULT] = "fault",
    [SCENARIO_OUTCOME_HTTP_ERROR] = "http-error",
    [SCENARIO_OUTCOME_TIMEOUT] = "timeout",
    [SCENARIO_OUTCOME_PLAINTEXT] = "plaintext",
};

#define BIT(k) (1u << (k))
/* Which actions make sense where: bytes can only be withheld from a flight
 * that exists, and a response can only be truncated once it is due. */
static const unsigned allowed_actions[SCENARIO_POINT_COUNT] = {
    [SCENARIO_AT_ACCEPT] = BIT(SCENARIO_RESET) | BIT(SCENARIO_CLOSE) |
                           BIT(SCENARIO_STALL) | BIT(SCENARIO_ALERT) |
                           BIT(SCENARIO_PLAINTEXT) | BIT(SCENARIO_GARBAGE),
    [SCENARIO_AT_CLIENT_HELLO] = BIT(SCENARIO_RESET) | BIT(SCENARIO_CLOSE) |
                                 BIT(SCENARIO_STALL) | BIT(SCENARIO_ALERT) |
                                 BIT(SCENARIO_PLAINTEXT) |
                                 BIT(SCENARIO_GARBAGE),
    [SCENARIO_AT_SERVER_FLIGHT] = BIT(SCENARIO_RESET) | BIT(SCENARIO_CLOSE) |
                                  BIT(SCENARIO_STALL) | BIT(SCENARIO_DRIP),
    [SCENARIO_AT_HANDSHAKE_DONE] = BIT(SCENARIO_RESET) | BIT(SCENARIO_CLOSE) |
                                   BIT(SCENARIO_STALL),
    [SCENARIO_AT_RESPONSE] = BIT(SCENARIO_RESET) | BIT(SCENARIO_CLOSE) |
                             BIT(SCENARIO_TRUNCATE),
    [SCENARIO_AT_GREETING] = BIT(SCENARIO_RESET) | BIT(SCENARIO_CLOSE) |
                             BIT(SCENARIO_STALL) | BIT(SCENARIO_DRIP),
};

const char *scenario_action_name(enum scenario_action_kind k)
{
    return k < SCENARIO_ACTION_COUNT ? action_names[k] : "?";
}

const char *scenario_point_name(enum scenario_point p)
{
    return p < SCENARIO_POINT_COUNT ? point_names[p] : "?";
}

const char *scenario_outcome_name(enum scenario_outcome o)
{
    return o < SCENARIO_OUTCOME_COUNT ? outcome_names[o] : "?";
}

/* Joins the names whose bit is in mask; alert_at marks the entry that
 * takes a ":NAME" (the alert action), or -1. */
static void list_names(const char *const *names, size_t n, unsigned mask,
                       int alert_at, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!(mask & BIT(i)) || names[i] == NULL)
            continue;
        int w = snprintf(out + used, size - used, "%s%s%s", used ? ", " : "",
                         names[i], (int)i == alert_at ? ":NAME" : "");
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

/* An action name, or alert:NAME, allowed by mask. */
static int parse_action_masked(struct loader *l, const struct key_spec *k,
                               struct scenario_action *a, const char *value,
                               unsigned mask)
{
    char list[256];
    if (strncmp(value, "alert:", 6) == 0 && (mask & BIT(SCENARIO_ALERT))) {
        int code = alert_lookup(value + 6);
        if (code < 0) {
            char names[1024];
            alert_list(names, sizeof(names));
            return fail(l, "%s %s: unknown alert \"%s\" (known: %s)",
                        section_label(l), k->key, value + 6, names);
        }
        a->kind = SCENARIO_ALERT;
        a->alert = code;
        return 0;
    }
    for (int i = 0; i < SCENARIO_ACTION_COUNT; i++) {
        if (i != SCENARIO_ALERT && (mask & BIT(i)) &&
            strcmp(value, action_names[i]) == 0) {
            a->kind = i;
            return 0;
        }
    }
    list_names(action_names, SCENARIO_ACTION_COUNT, mask, SCENARIO_ALERT,
               list, sizeof(list));
    return fail(l, "%s %s: \"%s\" is not one of %s", section_label(l),
                k->key, value, list);
}

/* SNI policy acts right after the ClientHello. */
static int parse_hello_action(struct loader *l, const struct key_spec *k,
                            void *field, const char *value)
{
    return parse_action_masked(
        l, k, field, value,
        BIT(SCENARIO_SERVE) | allowed_actions[SCENARIO_AT_CLIENT_HELLO]);
}

/* Any fault action; whether it fits the point is checked once both keys
 * are known. */
static int parse_fault_action(struct loader *l, const struct key_spec *k,
                              void *field, const char *value)
{
    unsigned any = 0;
    for (int p = 0; p < SCENARIO_POINT_COUNT; p++)
        any |= allowed_actions[p];
    return parse_action_masked(l, k, field, value, any);
}

static int parse_point(struct loader *l, const struct key_spec *k,
                       void *field, const char *value)
{
    char list[256];
    for (int p = SCENARIO_AT_ACCEPT; p < SCENARIO_POINT_COUNT; p++) {
        if (strcmp(value, point_names[p]) == 0) {
            *(enum scenario_point *)field = p;
            return 0;
        }
    }
    list_names(point_names, SCENARIO_POINT_COUNT,
               ~BIT(SCENARIO_AT_NONE) & (BIT(SCENARIO_POINT_COUNT) - 1), -1,
               list, sizeof(list));
    return fail(l, "%s %s: \"%s\" is not one of %s", section_label(l),
                k->key, value, list);
}

/* A byte count, or a percentage of the flight. */
static int parse_amount(struct loader *l, const struct key_spec *k,
                        void *field, const char *value)
{
    char tmp[32];
    size_t n = strlen(value);
    bool percent = n > 0 && value[n - 1] == '%';
    if (n >= sizeof(tmp))
        return fail(l, "%s %s: \"%s\" is not a byte count or percentage",
                    section_label(l), k->key, value);
    memcpy(tmp, value, n);
    tmp[percent ? n - 1 : n] = '\0';
    if (parse_int(l, k, tmp, 0, percent ? 100 : 1 << 24, field) != 0)
        return -1;
    l->s->fault.after_percent = percent;
    return 0;
}

static int parse_interval(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    return parse_int(l, k, value, 1, 60000, field);
}

static int parse_duration(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    return parse_int(l, k, value, 1, 86400, field);
}

static int add_outcome(struct loader *l, const struct key_spec *k, void *ctx,
                       const char *item)
{
    char list[256];
    for (int o = 0; o < SCENARIO_OUTCOME_COUNT; o++) {
        if (strcmp(item, outcome_names[o]) == 0) {
            *(unsigned *)ctx |= BIT(o);
            return 0;
        }
    }
    list_names(outcome_names, SCENARIO_OUTCOME_COUNT,
               BIT(SCENARIO_OUTCOME_COUNT) - 1, -1, list, sizeof(list));
    return fail(l, "%s %s: \"%s\" is not one of %s", section_label(l),
                k->key, item, list);
}

static int parse_outcomes(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    return for_each_item(l, k, value, add_outcome, field);
}

static int add_protocol(struct loader *l, const struct key_spec *k, void *ctx,
                        const char *item)
{
    char list[256];
    int p = protocol_find(item);
    if (p >= 0) {
        *(unsigned *)ctx |= BIT(p);
        return 0;
    }
    protocol_names(list, sizeof(list));
    return fail(l, "%s %s: \"%s\" is not one of %s (or all)", section_label(l),
                k->key, item, list);
}

static int parse_protocols(struct loader *l, const struct key_spec *k,
                           void *field, const char *value)
{
    *(unsigned *)field = 0;
    if (strcmp(value, "all") == 0)
        return 0;
    return for_each_item(l, k, value, add_protocol, field);
}

static bool is_hostname(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(".-_*", *s))
            return false;
    return true;
}

static int add_sni_name(struct loader *l, const struct key_spec *k,
                        void *ctx, const char *item)
{
    struct scenario *s = ctx;
    if (s->n_sni_names == SCENARIO_MAX_SNI)
        return fail(l, "%s %s lists more than %d names", section_label(l),
                    k->key, SCENARIO_MAX_SNI);
    if (!is_hostname(item) || strlen(item) >= sizeof(s->sni_names[0]))
        return fail(l, "%s %s: \"%s\" is not a host name", section_label(l),
                    k->key, item);
    strcpy(s->sni_names[s->n_sni_names++], item);
    return 0;
}

static int add_group(struct loader *l, const struct key_spec *k, void *ctx,
                     const char *item)
{
    struct scenario *s = ctx;
    int id = hello_group_lookup(item);
    if (id < 0) {
        char known[256];
        hello_group_list(known, sizeof(known));
        return fail(l, "%s %s: unknown group \"%s\" (known: %s)",
                    section_label(l), k->key, item, known);
    }
    for (int i = 0; i < s->n_groups; i++)
        if (s->groups[i] == id)
            return fail(l, "%s %s lists \"%s\" twice", section_label(l),
                        k->key, item);
    if (s->n_groups == SCENARIO_MAX_GROUPS)
        return fail(l, "%s %s lists more than %d groups", section_label(l),
                    k->key, SCENARIO_MAX_GROUPS);
    s->groups[s->n_groups++] = (uint16_t)id;
    return 0;
}

static int parse_record_size(struct loader *l, const struct key_spec *k,
                             void *field, const char *value)
{
    return parse_int(l, k, value, 1, 16384, field);
}

/* The handshake messages a server sends in plaintext, by type. */
static const struct {
    const char *name;
    int type;
} server_messages[] = {
    {"hello_request", 0},       {"server_hello", 2},
    {"certificate", 11},        {"server_key_exchange", 12},
    {"certificate_request", 13}, {"server_hello_done", 14},
    {"certificate_status", 22},
};

const char *scenario_record_message_name(int type)
{
    for (size_t i = 0; i < sizeof(server_messages) / sizeof(server_messages[0]); i++)
        if (server_messages[i].type == type)
            return server_messages[i].name;
    return NULL;
}

static int add_record_message(struct loader *l, const struct key_spec *k,
                              void *ctx, const char *item)
{
    uint32_t *mask = ctx;
    size_t n = sizeof(server_messages) / sizeof(server_messages[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(item, server_messages[i].name) == 0) {
            *mask |= UINT32_C(1) << server_messages[i].type;
            return 0;
        }
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, server_messages[i].name);
    }
    return fail(l, "%s %s: \"%s\" is not a handshake message the server "
                "sends in plaintext (known: %s)", section_label(l), k->key,
                item, list);
}

static int parse_record_messages(struct loader *l, const struct key_spec *k,
                                 void *field, const char *value)
{
    *(uint32_t *)field = 0;
    return for_each_item(l, k, value, add_record_message, field);
}

/* The TLS 1.2 signature schemes a server can be made to sign with: those
 * for RSA and ECDSA keys that wolfSSL can hash for (RFC 8446 section
 * 4.2.3 names; the SHA-1 ones from RFC 5246's registry). */
static const struct {
    const char *name;
    uint16_t code;
} sigalgs[] = {
    {"rsa_pkcs1_sha1", 0x0201},         {"rsa_pkcs1_sha256", 0x0401},
    {"rsa_pkcs1_sha384", 0x0501},       {"rsa_pkcs1_sha512", 0x0601},
    {"rsa_pss_rsae_sha256", 0x0804},    {"rsa_pss_rsae_sha384", 0x0805},
    {"rsa_pss_rsae_sha512", 0x0806},    {"ecdsa_sha1", 0x0203},
    {"ecdsa_secp256r1_sha256", 0x0403}, {"ecdsa_secp384r1_sha384", 0x0503},
    {"ecdsa_secp521r1_sha512", 0x0603},
};

const char *scenario_sigalg_name(uint16_t code)
{
    for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
        if (sigalgs[i].code == code)
            return sigalgs[i].name;
    return NULL;
}

static int parse_sigalg(struct loader *l, const struct key_spec *k,
                        void *field, const char *value)
{
    size_t n = sizeof(sigalgs) / sizeof(sigalgs[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(value, sigalgs[i].name) == 0) {
            *(uint16_t *)field = sigalgs[i].code;
            return 0;
        }
    char list[512] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, sigalgs[i].name);
    }
    return fail(l, "%s %s: unknown signature scheme \"%s\" (known: %s)",
                section_label(l), k->key, value, list);
}

static int parse_groups(struct loader *l, const struct key_spec *k,
                        void *field, const char *value)
{
    (void)field;
    return for_each_item(l, k, value, add_group, l->s);
}

static int parse_sni_names(struct loader *l, const struct key_spec *k,
                           void *field, const char *value)
{
    (void)field;
    return for_each_item(l, k, value, add_sni_name, l->s);
}

/* An ALPN protocol id (RFC 7301 section 3.1): 1 to 31 bytes here, and
 * printable, since scenario files and traces show them. */
static int add_alpn(struct loader *l, const struct key_spec *k, void *ctx,
                    const char *item)
{
    struct scenario *s = ctx;
    if (strcmp(item, "none") == 0)
        return fail(l, "%s %s: \"none\" stands alone (the server selects "
                    "no protocol)", section_label(l), k->key);
    if (s->n_alpn == SCENARIO_MAX_ALPN)
        return fail(l, "%s %s lists more than %d protocols",
                    section_label(l), k->key, SCENARIO_MAX_ALPN);
    if (strlen(item) >= SCENARIO_ALPN_MAX)
        return fail(l, "%s %s: \"%s\" is longer than %d bytes",
                    section_label(l), k->key, item, SCENARIO_ALPN_MAX - 1);
    for (const char *p = item; *p; p++)
        if (!isgraph((unsigned char)*p))
            return fail(l, "%s %s: \"%s\" is not a protocol id (printable, "
                        "no spaces)", section_label(l), k->key, item);
    for (int i = 0; i < s->n_alpn; i++)
        if (strcmp(s->alpn[i], item) == 0)
            return fail(l, "%s %s lists \"%s\" twice", section_label(l),
                        k->key, item);
    strcpy(s->alpn[s->n_alpn++], item);
    return 0;
}

/* ---- [http] ------------------------------------------------------------ */

/* What the server writes itself, and what says how long a body is: not
 * for a scenario to set (content_type has its own key). */
static const char *const own_headers[] = {
    "content-length", "transfer-encoding", "connection", "content-type",
    "x-shakedown-scenario"};

static bool is_token_char(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One "Name: value" line of [http] headers (the first on the key's line,
 * each further one on an indented line of its own). */
static int add_header(struct loader *l, const struct key_spec *k,
                      void *field, const char *value)
{
    struct scenario_http_headers *h = field;
    const char *colon = strchr(value, ':');
    size_t name_len = colon ? (size_t)(colon - value) : 0;
    for (size_t i = 0; i < name_len; i++)
        if (!is_token_char((unsigned char)value[i]))
            name_len = 0;
    const char *v = colon ? colon + 1 : "";
    while (*v == ' ' || *v == '\t')
        v++;
    if (name_len == 0 || *v == '\0')
        return fail(l, "%s %s: \"%s\" is not a header line (Name: value)",
                    section_label(l), k->key, value);
    for (const char *p = v; *p; p++)
        if (iscntrl((unsigned char)*p) && *p != '\t')
            return fail(l, "%s %s: the value of %.*s holds a control "
                        "character", section_label(l), k->key,
                        (int)name_len, value);
    for (size_t i = 0; i < sizeof(own_headers) / sizeof(own_headers[0]); i++)
        if (strlen(own_headers[i]) == name_len &&
            strncasecmp(value, own_headers[i], name_len) == 0)
            return fail(l, "%s %s: %.*s is the server's own (the body's "
                        "type is content_type)", section_label(l), k->key,
                        (int)name_len, value);
    if (h->n == SCENARIO_MAX_HTTP_HEADERS)
        return fail(l, "%s %s: at most %d header lines", section_label(l),
                    k->key, SCENARIO_MAX_HTTP_HEADERS);
    if (strlen(value) >= sizeof(h->line[0]))
        return fail(l, "%s %s: a header line is too long (at most %zu "
                    "characters)", section_label(l), k->key,
                    sizeof(h->line[0]) - 1);
    snprintf(h->line[h->n++], sizeof(h->line[0]), "%.*s: %s",
             (int)name_len, value, v);
    return 0;
}

static int parse_headers(struct loader *l, const struct key_spec *k,
                         void *field, const char *value)
{
    return add_header(l, k, field, value);
}

/* The body file, beside the scenario file (or absolute), read now: what
 * a response carries is part of the scenario. */
static int parse_body(struct loader *l, const struct key_spec *k,
                      void *field, const char *value)
{
    struct scenario_http_body *b = field;
    char path[1024];
    const char *slash = strrchr(l->file, '/');
    if (copy_text(l, &(struct key_spec){.key = k->key, .size = sizeof(b->file)},
                  b->file, value) != 0)
        return -1;
    if (value[0] == '/' || slash == NULL)
        snprintf(path, sizeof(path), "%s", value);
    else
        snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - l->file),
                 l->file, value);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(l, "%s %s: cannot read %s: %s", section_label(l), k->key,
                    path, strerror(errno));
    b->len = fread(b->data, 1, sizeof(b->data), f);
    bool more = fgetc(f) != EOF, bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return fail(l, "%s %s: cannot read %s", section_label(l), k->key,
                    path);
    if (more)
        return fail(l, "%s %s: %s is larger than %d bytes, the most a body "
                    "may be", section_label(l), k->key, path,
                    SCENARIO_HTTP_BODY_MAX);
    if (memchr(b->data, '\0', b->len) != NULL)
        return fail(l, "%s %s: %s holds a NUL byte: a body is text",
                    section_label(l), k->key, path);
    return 0;
}

static int parse_plain_port(struct loader *l, const struct key_spec *k,
                            void *field, const char *value)
{
    return parse_int(l, k, value, 0, 65535, field);
}

static int parse_alpn_protocols(struct loader *l, const struct key_spec *k,
                                void *field, const char *value)
{
    (void)field;
    l->s->n_alpn = 0; /* replaces the default list */
    l->alpn_set = true;
    if (strcmp(value, "none") == 0)
        return 0;
    return for_each_item(l, k, value, add_alpn, l->s);
}

static int parse_name(struct loader *l, const struct key_spec *k, void *field,
                      const char *value)
{
    if (copy_text(l, k, field, value) != 0)
        return -1;
    for (const char *p = value; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
            !strchr(".-_", *p))
            return fail(l,
                        "%s %s: \"%s\" may hold only lower-case letters, "
                        "digits, '.', '-' and '_'",
                        section_label(l), k->key, value);
    return 0;
}

static int parse_category(struct loader *l, const struct key_spec *k,
                          void *field, const char *value)
{
    size_t n = sizeof(known_categories) / sizeof(known_categories[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(value, known_categories[i]) == 0)
            return copy_text(l, k, field, value);
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, known_categories[i]);
    }
    return fail(l, "%s %s: unknown category \"%s\" (known: %s)",
                section_label(l), k->key, value, list);
}

/* ---- the key table ---------------------------------------------------- */

#define S(field) offsetof(struct scenario, field), \
                 sizeof(((struct scenario *)0)->field)
#define E(field) offsetof(struct scenario_expect, field), \
                 sizeof(((struct scenario_expect *)0)->field)
#define R(field) offsetof(struct scenario_result, field), \
                 sizeof(((struct scenario_result *)0)->field)

static const struct key_spec keys[] = {
    {SEC_SCENARIO, "name", parse_name, S(name)},
    {SEC_SCENARIO, "title", parse_text, S(title)},
    {SEC_SCENARIO, "category", parse_category, S(category)},
    {SEC_SCENARIO, "port", parse_port, S(port)},
    {SEC_SCENARIO, "explain", parse_text, S(explain)},
    {SEC_SCENARIO, "outcome", parse_outcomes, S(outcomes)},
    {SEC_SCENARIO, "served_over", parse_protocols, S(protocols)},

    {SEC_TLS, "versions", parse_versions, S(min_version)},
    {SEC_TLS, "ciphers", parse_ciphers, S(ciphers)},
    {SEC_TLS, "groups", parse_groups, S(groups)},
    {SEC_TLS, "cert", parse_stem, S(identity.cert)},
    {SEC_TLS, "key", parse_stem, S(identity.key)},
    {SEC_TLS, "chain", parse_chain, S(identity.chain)},
    {SEC_TLS, "dh_params", parse_stem, S(dh_params)},
    {SEC_TLS, "ocsp_staple", parse_stem, S(ocsp_staple)},
    {SEC_TLS, "ocsp_ca", parse_stem, S(ocsp_ca)},
    {SEC_TLS, "validity", parse_validity, S(validity)},
    {SEC_TLS, "handshake_record_size", parse_record_size,
     S(handshake_record_size)},
    {SEC_TLS, "handshake_record_messages", parse_record_messages,
     S(record_messages)},
    {SEC_TLS, "app_record_size", parse_record_size, S(app_record_size)},
    {SEC_TLS, "sign_with", parse_sigalg, S(sign_with)},

    {SEC_CLIENT_AUTH, "mode", parse_client_auth, S(client_auth)},
    {SEC_CLIENT_AUTH, "ca", parse_stem, S(client_ca)},
    {SEC_CLIENT_AUTH, "min_rsa_bits", parse_bits, S(client_min_rsa_bits)},
    {SEC_CLIENT_AUTH, "missing_cert_status", parse_status,
     S(missing_cert_status)},

    {SEC_SNI, "names", parse_sni_names, S(sni_names)},
    {SEC_SNI, "cert", parse_stem, S(sni_identity.cert)},
    {SEC_SNI, "key", parse_stem, S(sni_identity.key)},
    {SEC_SNI, "chain", parse_chain, S(sni_identity.chain)},
    {SEC_SNI, "on_unknown", parse_hello_action, S(on_unknown)},
    {SEC_SNI, "on_missing", parse_hello_action, S(on_missing)},

    {SEC_RESUMPTION, "refuse", parse_bool, S(resumption_refuse)},
    {SEC_RESUMPTION, "cert", parse_stem, S(resumed_identity.cert)},
    {SEC_RESUMPTION, "key", parse_stem, S(resumed_identity.key)},
    {SEC_RESUMPTION, "chain", parse_chain, S(resumed_identity.chain)},
    {SEC_RESUMPTION, "action", parse_hello_action, S(on_resumption)},

    {SEC_ALPN, "protocols", parse_alpn_protocols, S(alpn)},
    {SEC_ALPN, "on_mismatch", parse_hello_action, S(on_alpn_mismatch)},
    {SEC_ALPN, "on_missing", parse_hello_action, S(on_alpn_missing)},

    {SEC_HTTP, "status", parse_http_status, S(http_status)},
    {SEC_HTTP, "headers", parse_headers, S(http_headers)},
    {SEC_HTTP, "location", parse_text, S(http_location)},
    {SEC_HTTP, "content_type", parse_text, S(http_content_type)},
    {SEC_HTTP, "body", parse_body, S(http_body)},
    {SEC_HTTP, "plain_port", parse_plain_port, S(plain_port)},

    {SEC_DIALOGUE, "starttls", parse_starttls, S(starttls)},
    {SEC_DIALOGUE, "inject", parse_bool, S(inject)},

    {SEC_FAULT, "at", parse_point, S(fault.at)},
    {SEC_FAULT, "action", parse_fault_action, S(fault.action)},
    {SEC_FAULT, "after_bytes", parse_amount, S(fault.after_bytes)},
    {SEC_FAULT, "interval_ms", parse_interval, S(fault.interval_ms)},
    {SEC_FAULT, "duration", parse_duration, S(fault.duration_s)},

    {SEC_EXPECT, "args", parse_text, E(args)},
    {SEC_EXPECT, "host", parse_text, E(host)},
    {SEC_EXPECT, "exit", parse_exit, R(exits)},
    {SEC_EXPECT, "message", parse_result_text, R(message)},
    {SEC_EXPECT, "note", parse_result_text, R(note)},
    {SEC_EXPECT, "request", parse_bool, E(request)},
    {SEC_EXPECT, "timeout", parse_duration, E(timeout_s)},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key_spec *key_find(enum section sec, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].section == sec && strcmp(keys[i].key, name) == 0)
            return &keys[i];
    return NULL;
}

static void keys_list(enum section sec, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].section != sec)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "",
                         keys[i].key);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

/* ---- sections --------------------------------------------------------- */

/* ---- the catalogue part ------------------------------------------------ */

struct scenario_catalogue {
    size_t refs;
    int cap;
    struct scenario_expect v[];
};

/* Room for one more expectation; the loader owns the only reference. */
static int catalogue_grow(struct scenario *s)
{
    struct scenario_catalogue *c = s->catalogue;
    if (c != NULL && s->n_expect < c->cap)
        return 0;
    int cap = c ? c->cap * 2 : 4;
    if (cap > SCENARIO_MAX_EXPECT)
        cap = SCENARIO_MAX_EXPECT;
    c = realloc(c, sizeof(*c) + (size_t)cap * sizeof(c->v[0]));
    if (c == NULL)
        return -1;
    if (s->catalogue == NULL)
        c->refs = 1;
    memset(&c->v[s->n_expect], 0,
           (size_t)(cap - s->n_expect) * sizeof(c->v[0]));
    c->cap = cap;
    s->catalogue = c;
    s->expect = c->v;
    return 0;
}

void scenario_ref(const struct scenario *s)
{
    if (s->catalogue != NULL)
        __atomic_add_fetch(&s->catalogue->refs, 1, __ATOMIC_RELAXED);
}

void scenario_unref(struct scenario *s)
{
    struct scenario_catalogue *c = s->catalogue;
    if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(c);
    s->catalogue = NULL;
    s->expect = NULL;
    s->n_expect = 0;
}

bool scenario_serves(const struct scenario *s, enum protocol_id p)
{
    return s->protocols == 0 || (s->protocols & BIT(p)) != 0;
}

bool scenario_same(const struct scenario *a, const struct scenario *b)
{
    struct scenario x = *a, y = *b;
    x.expect = y.expect = NULL;
    x.catalogue = y.catalogue = NULL;
    if (memcmp(&x, &y, sizeof(x)) != 0 || a->n_expect != b->n_expect)
        return false;
    return a->n_expect == 0 ||
           memcmp(a->expect, b->expect,
                  (size_t)a->n_expect * sizeof(a->expect[0])) == 0;
}

/* The protocol an [expect.PROTOCOL.CLIENT] section names (moving rest
 * past it), or HTTPS. */
static enum protocol_id expect_protocol(const char **rest)
{
    char first[16];
    const char *dot = strchr(*rest, '.');
    size_t n = dot ? (size_t)(dot - *rest) : 0;
    if (n == 0 || n >= sizeof(first))
        return PROTOCOL_HTTPS;
    memcpy(first, *rest, n);
    first[n] = '\0';
    int p = protocol_find(first);
    if (p < 0)
        return PROTOCOL_HTTPS;
    *rest = dot + 1;
    return (enum protocol_id)p;
}

static int open_expect(struct loader *l, const char *name)
{
    char client[64] = "", variant[64] = "";
    const char *rest = name;
    enum protocol_id protocol = expect_protocol(&rest);
    const char *dot = strchr(rest, '.');
    size_t n = dot ? (size_t)(dot - rest) : strlen(rest);
    if (n == 0 || n >= sizeof(client))
        return fail(l, "[expect.%s]: name a client after \"expect.\"", name);
    memcpy(client, rest, n);
    if (dot) {
        if (strlen(dot + 1) == 0 || strlen(dot + 1) >= 32 ||
            !is_stem(dot + 1) || strchr(dot + 1, '.'))
            return fail(l, "[expect.%s]: \"%s\" is not a variant name "
                        "(letters, digits, '-' and '_')", name, dot + 1);
        strcpy(variant, dot + 1);
    }
    bool known = false;
    size_t nc = sizeof(known_clients) / sizeof(known_clients[0]);
    for (size_t i = 0; i < nc; i++)
        known = known || strcmp(client, known_clients[i]) == 0;
    if (!known) {
        char list[256] = "";
        for (size_t i = 0; i < nc; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, known_clients[i]);
        }
        return fail(l, "[expect.%s]: unknown client \"%s\" (known: %s)", name,
                    client, list);
    }
    struct scenario *s = l->s;
    for (int i = 0; i < s->n_expect; i++)
        if (s->expect[i].protocol == protocol &&
            strcmp(s->expect[i].client, client) == 0 &&
            strcmp(s->expect[i].variant, variant) == 0)
            return fail(l, "[expect.%s] appears twice (first at line %d)",
                        name, s->expect[i].line);
    if (s->n_expect == SCENARIO_MAX_EXPECT)
        return fail(l, "more than %d [expect.*] sections",
                    SCENARIO_MAX_EXPECT);
    if (catalogue_grow(s) != 0)
        return fail(l, "out of memory");
    l->expect = &s->expect[s->n_expect++];
    l->expect->protocol = protocol;
    strcpy(l->expect->client, client);
    strcpy(l->expect->variant, variant);
    l->expect->line = l->line;
    return 0;
}

static int open_section(struct loader *l, const char *name)
{
    l->have_key = false;
    l->expect = NULL;
    memset(l->seen, 0, sizeof(l->seen));
    l->gen_mask = 0;
    if (strncmp(name, "expect.", 7) == 0) {
        l->section = SEC_EXPECT;
        if (open_expect(l, name + 7) != 0) {
            l->section = SEC_UNKNOWN;
            return -1;
        }
        return 0;
    }
    for (int sec = SEC_SCENARIO; sec < SEC_EXPECT; sec++) {
        if (strcmp(name, section_names[sec]) != 0)
            continue;
        if (l->section_line[sec] != 0) {
            l->section = SEC_UNKNOWN;
            return fail(l, "[%s] appears twice (first at line %d)", name,
                        l->section_line[sec]);
        }
        l->section = sec;
        l->section_line[sec] = l->line;
        return 0;
    }
    l->section = SEC_UNKNOWN;
    char known[256] = "";
    for (int i = SEC_SCENARIO; i < SEC_EXPECT; i++)
        snprintf(known + strlen(known), sizeof(known) - strlen(known),
                 "%s, ", section_names[i]);
    return fail(l, "unknown section [%s] (known: %sexpect.[PROTOCOL.]CLIENT"
                "[.VARIANT])", name, known);
}

/* ---- inih callbacks --------------------------------------------------- */

/* inih's reader: one line at a time, so that l->line is always the line
 * inih is about to hand to on_key. Section headers are handled here,
 * before inih sees them, so duplicates and unknown names get our own
 * messages. */
static char *read_line(char *str, int num, void *stream)
{
    struct loader *l = stream;
    const char *start = l->text + l->pos;
    if (*start == '\0')
        return NULL;
    const char *nl = strchr(start, '\n');
    size_t len = nl ? (size_t)(nl - start) + 1 : strlen(start);
    l->pos += len;
    l->line++;
    /* inih skips a UTF-8 byte-order mark on line 1; so must we, before
     * looking for a section header. */
    const char *p = start;
    if (l->line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    size_t content = len;
    while (content > 0 && (start[content - 1] == '\n' ||
                           start[content - 1] == '\r'))
        content--;
    /* The limit counts the text, not the line ending. */
    size_t copy = len < (size_t)num - 1 ? len : (size_t)num - 1;
    if (content > (size_t)num - 2) {
        fail(l,
             "line is longer than %d characters; continue a long value "
             "on indented lines",
             num - 2);
        copy = (size_t)num - 1;
    }
    memcpy(str, start, copy);
    str[copy] = '\0';

    /* Skip what inih's lskip skips (isspace: \v, \f and \r too), or the
     * two disagree about which lines are headers and continuations. */
    while (p < start + len && *p != '\n' && isspace((unsigned char)*p))
        p++;
    bool blank = p == start + len || *p == '\n';
    bool comment = !blank && (*p == ';' || *p == '#');
    l->continuation = !blank && !comment && p > start && l->have_key;
    if (!l->continuation && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(start + len - p));
        if (close != NULL) {
            char name[128];
            size_t n = (size_t)(close - p - 1);
            if (n >= sizeof(name))
                n = sizeof(name) - 1;
            memcpy(name, p + 1, n);
            name[n] = '\0';
            open_section(l, name);
        }
    }
    return str;
}

static int append_continuation(struct loader *l, const struct key_spec *k,
                               char *field, const char *value)
{
    size_t have = strlen(field), add = strlen(value);
    if (have + 1 + add >= k->size)
        return fail(l, "%s %s is too long (at most %zu characters)",
                    section_label(l), k->key, k->size - 1);
    field[have] = ' ';
    memcpy(field + have + 1, value, add + 1);
    return 0;
}

/* "exit@trixie" into "exit" and the generation's index; *gen is -1 for
 * a key without "@". */
static int split_qualifier(struct loader *l, const char *name, char *key,
                           size_t size, int *gen)
{
    const char *at = strchr(name, '@');
    size_t n = at ? (size_t)(at - name) : strlen(name);
    *gen = -1;
    if (n >= size)
        n = size - 1;
    memcpy(key, name, n);
    key[n] = '\0';
    if (at == NULL)
        return 0;
    for (int g = 0; g < SCENARIO_GEN_COUNT; g++)
        if (strcmp(at + 1, generation_names[g]) == 0) {
            *gen = g;
            return 0;
        }
    return fail(l, "%s %s: unknown client generation \"%s\" (known: "
                "bookworm, trixie)", section_label(l), name, at + 1);
}

/* A long suite list goes on over indented lines: each continues the
 * list, as if joined with ':'. */
static int append_ciphers(struct loader *l, const struct key_spec *k,
                          char *field, const char *value)
{
    char joined[sizeof(((struct scenario *)0)->ciphers)];
    size_t have = strlen(field);
    bool colon = have > 0 && field[have - 1] != ':' && value[0] != ':';
    int n = snprintf(joined, sizeof(joined), "%s%s%s", field, colon ? ":" : "",
                     value);
    if (n < 0 || (size_t)n >= k->size)
        return fail(l, "%s %s is too long (at most %zu characters)",
                    section_label(l), k->key, k->size - 1);
    return parse_ciphers(l, k, field, joined);
}

static unsigned result_bit(const struct key_spec *k)
{
    if (k->parse == parse_exit)
        return RESULT_EXIT;
    if (k->parse != parse_result_text)
        return 0;
    return k->offset == offsetof(struct scenario_result, message)
               ? RESULT_MESSAGE
               : RESULT_NOTE;
}

/* The generations an [expect.*] key sets: its own with "@NAME", else
 * every generation that has no key of its own for it. */
static int expect_target(struct loader *l, const struct key_spec *k,
                         const char *name, int gen)
{
    struct scenario_expect *e = l->expect;
    unsigned bit = result_bit(k);
    int n = scenario_expect_generations(e);
    if (gen < 0) {
        l->gen_mask = 0;
        for (int g = 0; g < n; g++)
            if (!(e->own[g] & bit))
                l->gen_mask |= 1u << g;
        return 0;
    }
    if (bit == 0)
        return fail(l, "%s %s: only exit, message and note may differ by "
                    "client generation", section_label(l), name);
    if (n == 1)
        return fail(l, "%s %s: %s has one generation (only curl, openssl, "
                    "python and gnutls are run from each Debian release)",
                    section_label(l), name, e->client);
    e->own[gen] |= bit;
    l->gen_mask = 1u << gen;
    return 0;
}

static int append_result_text(struct loader *l, const struct key_spec *k,
                              const char *value)
{
    for (int g = 0; g < SCENARIO_GEN_COUNT; g++)
        if ((l->gen_mask & (1u << g)) &&
            append_continuation(l, k, (char *)&l->expect->gen[g] + k->offset,
                                value) != 0)
            return -1;
    return 0;
}

static int on_key(void *user, const char *section, const char *qualified,
                  const char *value)
{
    struct loader *l = user;
    char name[64];
    int gen = -1;
    (void)section; /* l->section was set by read_line from the same line */
    if (l->section == SEC_UNKNOWN)
        return 1; /* the header was reported already */
    if (l->section == SEC_NONE)
        return fail(l, "\"%s\" is outside any section; start the file "
                    "with [scenario]", qualified) == 0;
    if (l->section != SEC_EXPECT || strchr(qualified, '@') == NULL)
        snprintf(name, sizeof(name), "%s", qualified);
    else if (split_qualifier(l, qualified, name, sizeof(name), &gen) != 0)
        return 0;
    const struct key_spec *k = key_find(l->section, name);
    if (k == NULL) {
        char list[512];
        keys_list(l->section, list, sizeof(list));
        return fail(l, "%s unknown key \"%s\" (known: %s)",
                    section_label(l), qualified, list) == 0;
    }
    size_t idx = (size_t)(k - keys);
    unsigned *seen = &l->seen[gen + 1][idx];
    char *base = l->section == SEC_EXPECT ? (char *)l->expect : (char *)l->s;
    if (l->continuation) {
        if (k->parse == parse_result_text)
            return append_result_text(l, k, value) == 0;
        if (k->parse == parse_ciphers)
            return append_ciphers(l, k, base + k->offset, value) == 0;
        if (k->parse == parse_headers)
            return add_header(l, k, base + k->offset, value) == 0;
        if (k->parse != parse_text)
            return fail(l, "%s %s: only text values such as explain, "
                        "ciphers and headers may continue on an indented "
                        "line",
                        section_label(l), qualified) == 0;
        return append_continuation(l, k, base + k->offset, value) == 0;
    }
    if (*seen != 0)
        return fail(l, "%s %s is set twice (first at line %u)",
                    section_label(l), qualified, *seen) == 0;
    *seen = (unsigned)l->line;
    l->have_key = true;
    if (k->section == SEC_FAULT) {
        l->fault_keys.after_bytes |= k->parse == parse_amount;
        l->fault_keys.interval |= k->parse == parse_interval;
        l->fault_keys.duration |= k->parse == parse_duration;
    }
    if (k->section == SEC_EXPECT && expect_target(l, k, qualified, gen) != 0)
        return 0;
    return k->parse(l, k, base + k->offset, value) == 0;
}

/* ---- validation ------------------------------------------------------- */

static int require(struct loader *l, enum section sec, const char *what,
                   bool ok)
{
    if (ok)
        return 0;
    int line = l->section_line[sec];
    if (line == 0)
        return diag_set(l->d, l->file, 0, "no [%s] section with %s",
                        section_names[sec], what);
    return diag_set(l->d, l->file, line, "[%s] needs %s",
                    section_names[sec], what);
}

static int validate_fault(struct loader *l)
{
    const struct scenario_fault *f = &l->s->fault;
    int line = l->section_line[SEC_FAULT];
    char list[256];
    if (line == 0)
        return 0;
    if (f->at == SCENARIO_AT_NONE || f->action.kind == SCENARIO_SERVE)
        return diag_set(l->d, l->file, line, "[fault] needs at and action");
    if (!(allowed_actions[f->at] & BIT(f->action.kind))) {
        list_names(action_names, SCENARIO_ACTION_COUNT,
                   allowed_actions[f->at], SCENARIO_ALERT, list,
                   sizeof(list));
        return diag_set(l->d, l->file, line,
                        "[fault] action %s is not possible at %s (there: %s)",
                        action_names[f->action.kind], point_names[f->at],
                        list);
    }
    if (l->fault_keys.after_bytes && f->at != SCENARIO_AT_SERVER_FLIGHT &&
        f->at != SCENARIO_AT_GREETING)
        return diag_set(l->d, l->file, line,
                        "[fault] after_bytes applies only at server_flight "
                        "and greeting");
    if (l->fault_keys.interval && f->action.kind != SCENARIO_DRIP)
        return diag_set(l->d, l->file, line,
                        "[fault] interval_ms applies only to drip");
    if (l->fault_keys.duration && f->action.kind != SCENARIO_DRIP &&
        f->action.kind != SCENARIO_STALL)
        return diag_set(l->d, l->file, line,
                        "[fault] duration applies only to stall and drip");
    return 0;
}

/* A dialogue's policy and a greeting fault exist only where a plaintext
 * dialogue comes before TLS: the scenario must be served over those
 * protocols alone. */
static int validate_dialogue(struct loader *l)
{
    const struct scenario *s = l->s;
    bool dialogue = s->starttls != SCENARIO_STARTTLS_OFFER || s->inject;
    bool greeting = s->fault.at == SCENARIO_AT_GREETING;
    if (!dialogue && !greeting)
        return 0;
    for (int p = 0; p < PROTOCOL_COUNT; p++)
        if (scenario_serves(s, p) && !protocol_get(p)->starttls)
            return diag_set(l->d, l->file,
                            greeting ? l->section_line[SEC_FAULT]
                                     : l->section_line[SEC_DIALOGUE],
                            "%s applies only where a plaintext dialogue "
                            "comes first: [scenario] served_over must list "
                            "only smtp, imap, pop3, ftp, postgres or mysql "
                            "(it serves %s)",
                            greeting ? "[fault] at = greeting" : "[dialogue]",
                            protocol_get(p)->name);
    return 0;
}

/* The first "{word}" of text that is not a placeholder [http] fills in
 * ({port}, and {plain_port} with a companion), copied into bad; false
 * when there is none. Braces around anything else (a script's) are
 * text. */
static bool unknown_placeholder(const char *text, size_t len, bool plain,
                                bool any_word, char *bad, size_t size)
{
    for (const char *p = memchr(text, '{', len); p != NULL;
         p = memchr(p + 1, '{', len - (size_t)(p + 1 - text))) {
        size_t n = 1;
        while (p + n < text + len && (islower((unsigned char)p[n]) ||
                                      p[n] == '_'))
            n++;
        if (p + n >= text + len || p[n] != '}' || n == 1)
            continue;
        n++;
        if ((n == 6 && memcmp(p, "{port}", 6) == 0) ||
            (plain && n == 12 && memcmp(p, "{plain_port}", 12) == 0))
            continue;
        if (!any_word && !(n == 12 && memcmp(p, "{plain_port}", 12) == 0))
            continue;
        snprintf(bad, size, "%.*s", (int)n, p);
        return true;
    }
    return false;
}

static int validate_http(struct loader *l)
{
    const struct scenario *s = l->s;
    bool plain = s->plain_port >= 0;
    char bad[64];
    if (l->section_line[SEC_HTTP] == 0)
        return 0;
    if (s->http_body.file[0] && !s->http_content_type[0])
        return require(l, SEC_HTTP, "content_type to go with body", false);
    if (s->http_content_type[0] && !s->http_body.file[0])
        return require(l, SEC_HTTP, "body to go with content_type (the "
                       "scenario's own page is text/plain)", false);
    bool location = false;
    for (int i = 0; i < s->http_headers.n; i++) {
        const char *h = s->http_headers.line[i];
        location |= strncasecmp(h, "location:", 9) == 0;
        if (unknown_placeholder(h, strlen(h), plain, true, bad, sizeof(bad)))
            return require(l, SEC_HTTP, plain ? "no placeholder but {port} "
                           "and {plain_port} in headers" :
                           "plain_port for {plain_port} in headers (and no "
                           "placeholder but {port})", false);
    }
    if (location && s->http_location[0])
        return require(l, SEC_HTTP, "one Location: the location key or a "
                       "Location line in headers, not both", false);
    if (unknown_placeholder(s->http_location, strlen(s->http_location), plain,
                            true, bad, sizeof(bad)))
        return require(l, SEC_HTTP, plain ? "no placeholder but {port} and "
                       "{plain_port} in location" : "plain_port for "
                       "{plain_port} in location (and no placeholder but "
                       "{port})", false);
    location |= s->http_location[0] != 0;
    if (s->http_status >= 300 && s->http_status < 400 && !location)
        return require(l, SEC_HTTP, "location to go with a redirect status",
                       false);
    if (unknown_placeholder(s->http_body.data, s->http_body.len, plain, false,
                            bad, sizeof(bad)))
        return require(l, SEC_HTTP, "plain_port for {plain_port} in its "
                       "body", false);
    if (plain && s->plain_port != 0 && s->plain_port == s->port)
        return require(l, SEC_HTTP, "a plain_port other than the "
                       "scenario's port", false);
    return 0;
}

static int validate(struct loader *l)
{
    const struct scenario *s = l->s;
    if (require(l, SEC_SCENARIO, "name", s->name[0]) ||
        require(l, SEC_SCENARIO, "title", s->title[0]) ||
        require(l, SEC_SCENARIO, "category", s->category[0]) ||
        require(l, SEC_SCENARIO, "port", s->port >= 0) ||
        require(l, SEC_SCENARIO, "explain", s->explain[0]) ||
        require(l, SEC_TLS, "cert", s->identity.cert[0]) ||
        require(l, SEC_TLS, "key", s->identity.key[0]))
        return -1;
    if (s->client_auth != SCENARIO_CLIENT_AUTH_NONE &&
        require(l, SEC_CLIENT_AUTH, "ca (the CA that signs client "
                "certificates) when mode is not none", s->client_ca[0]))
        return -1;
    if (s->client_auth == SCENARIO_CLIENT_AUTH_RENEGOTIATE &&
        s->max_version > SCENARIO_TLS12)
        return require(l, SEC_TLS, "versions of at most 1.2 when "
                       "[client_auth] mode is renegotiate (TLS 1.3 has no "
                       "renegotiation)", false);
    if (s->missing_cert_status != 0 &&
        s->client_auth != SCENARIO_CLIENT_AUTH_OPTIONAL)
        return require(l, SEC_CLIENT_AUTH, "mode = optional for "
                       "missing_cert_status to apply", false);
    if (s->record_messages != 0 && s->handshake_record_size == 0)
        return require(l, SEC_TLS, "handshake_record_size to go with "
                       "handshake_record_messages", false);
    /* TLS 1.0 and 1.1 sign with MD5 and SHA-1 whatever is chosen, and
     * wolfSSL's TLS 1.3 CertificateVerify takes its scheme from the key. */
    if (s->sign_with != 0 && (s->min_version != SCENARIO_TLS12 ||
                              s->max_version != SCENARIO_TLS12))
        return require(l, SEC_TLS, "versions = 1.2 to go with sign_with (a "
                       "TLS 1.2 ServerKeyExchange is what it signs)", false);
    if (s->ocsp_ca[0] && !s->ocsp_staple[0])
        return require(l, SEC_TLS, "ocsp_staple to go with ocsp_ca", false);
    if ((s->sni_identity.cert[0] != 0) != (s->sni_identity.key[0] != 0))
        return require(l, SEC_SNI, "both cert and key, or neither", false);
    if (s->sni_identity.n_chain > 0 && !s->sni_identity.cert[0])
        return require(l, SEC_SNI, "cert and key to go with chain", false);
    if ((s->resumed_identity.cert[0] != 0) !=
        (s->resumed_identity.key[0] != 0))
        return require(l, SEC_RESUMPTION, "both cert and key, or neither",
                       false);
    if (s->resumed_identity.n_chain > 0 && !s->resumed_identity.cert[0])
        return require(l, SEC_RESUMPTION, "cert and key to go with chain",
                       false);
    /* Renegotiation goes without ALPN: HTTP/2 forbids renegotiation (RFC
     * 9113 section 9.2.1), and wolfSSL repeats the selected protocol in
     * the second ServerHello, which clients refuse as an unsolicited
     * extension. Such a scenario ignores ALPN and speaks HTTP/1.1. */
    if (s->client_auth == SCENARIO_CLIENT_AUTH_RENEGOTIATE && !l->alpn_set)
        l->s->n_alpn = 0;
    if (s->client_auth == SCENARIO_CLIENT_AUTH_RENEGOTIATE && s->n_alpn > 0)
        return require(l, SEC_ALPN, "protocols = none when [client_auth] "
                       "mode is renegotiate (HTTP/2 forbids renegotiation, "
                       "and wolfSSL would repeat the protocol in the second "
                       "ServerHello, which clients refuse)", false);
    if (s->n_alpn == 0 && (s->on_alpn_mismatch.kind != SCENARIO_SERVE ||
                           s->on_alpn_missing.kind != SCENARIO_SERVE))
        return require(l, SEC_ALPN, "protocols for on_mismatch and "
                       "on_missing to apply (with none, the server ignores "
                       "ALPN)", false);
    if (validate_fault(l) != 0 || validate_dialogue(l) != 0 ||
        validate_http(l) != 0)
        return -1;
    for (int i = 0; i < s->n_expect; i++) {
        const struct scenario_expect *e = &s->expect[i];
        char label[128];
        expect_label(e, label, sizeof(label));
        for (int g = 0; g < scenario_expect_generations(e); g++)
            if (e->gen[g].n_exits == 0 || !e->gen[g].message[0])
                return diag_set(l->d, l->file, e->line,
                                "%s needs exit and message", label);
        if (!scenario_serves(s, e->protocol))
            return diag_set(l->d, l->file, e->line,
                            "%s: the scenario is not served over %s (see "
                            "[scenario] served_over)",
                            label, protocol_get(e->protocol)->name);
    }
    return 0;
}

/* ---- the set ---------------------------------------------------------- */

static void scenario_defaults(struct scenario *s, const char *filename)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->file, sizeof(s->file), "%s", filename);
    s->port = -1;
    s->min_version = SCENARIO_TLS12;
    s->max_version = SCENARIO_TLS13;
    s->on_unknown.kind = SCENARIO_SERVE;
    s->on_missing.kind = SCENARIO_SERVE;
    s->on_resumption.kind = SCENARIO_SERVE;
    s->plain_port = -1;
    strcpy(s->alpn[0], "h2");
    strcpy(s->alpn[1], "http/1.1");
    s->n_alpn = 2;
    s->on_alpn_mismatch.kind = SCENARIO_SERVE;
    s->on_alpn_missing.kind = SCENARIO_SERVE;
    s->fault.after_bytes = 100;
    s->fault.after_percent = true;
    s->fault.interval_ms = 50;
    s->fault.duration_s = 60;
}

static int set_check_unique(const struct scenario_set *set,
                            const struct scenario *s, struct diag *d)
{
    for (size_t i = 0; i < set->count; i++) {
        const struct scenario *o = &set->items[i];
        if (strcmp(o->name, s->name) == 0)
            return diag_set(d, s->file, s->line,
                            "scenario name \"%s\" is already used by %s:%d",
                            s->name, o->file, o->line);
        if (s->port != 0 && o->port == s->port)
            return diag_set(d, s->file, s->line,
                            "port %d is already used by scenario \"%s\" "
                            "(%s:%d)",
                            s->port, o->name, o->file, o->line);
        int mine[2] = {s->port, s->plain_port};
        int theirs[2] = {o->port, o->plain_port};
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                if ((a || b) && mine[a] > 0 && mine[a] == theirs[b])
                    return diag_set(d, s->file, s->line,
                                    "%s %d is already %s of scenario \"%s\" "
                                    "(%s:%d)", a ? "[http] plain_port" : "port",
                                    mine[a], b ? "the plain_port" : "the port",
                                    o->name, o->file, o->line);
    }
    return 0;
}

static int set_push(struct scenario_set *set, const struct scenario *s)
{
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct scenario *p = realloc(set->items, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        set->items = p;
        set->cap = cap;
    }
    set->items[set->count++] = *s;
    return 0;
}

static int load_one(struct scenario_set *set, const char *text,
                    const char *filename, struct diag *d)
{
    struct scenario *s = malloc(sizeof(*s));
    struct loader *l = calloc(1, sizeof(*l));
    int rc = -1;
    if (s == NULL || l == NULL) {
        diag_set(d, filename, 0, "out of memory");
        goto done;
    }
    scenario_defaults(s, filename);
    l->s = s;
    l->d = d;
    l->file = filename;
    l->text = text;

    int bad_line = ini_parse_stream(read_line, l, on_key, l);
    if (bad_line > 0 && (d->msg[0] == '\0' || bad_line < d->line)) {
        diag_clear(d);
        diag_set(d, filename, bad_line,
                 "expected [section], key = value, or a comment");
    }
    if (d->msg[0] != '\0')
        goto done;
    s->line = l->section_line[SEC_SCENARIO];
    if (validate(l) != 0 || set_check_unique(set, s, d) != 0)
        goto done;
    if (set_push(set, s) != 0) {
        diag_set(d, filename, 0, "out of memory");
        goto done;
    }
    s->catalogue = NULL; /* its reference went into the set */
    rc = 0;
done:
    free(l);
    if (s != NULL)
        scenario_unref(s);
    free(s);
    return rc;
}

struct family_load {
    struct scenario_set *set;
    const char *file;
};

static int load_member(void *arg, const char *text, const char *member,
                       int member_line, struct diag *d)
{
    struct family_load *fl = arg;
    if (load_one(fl->set, text, fl->file, d) == 0)
        return 0;
    size_t n = strlen(d->msg);
    snprintf(d->msg + n, sizeof(d->msg) - n,
             " (in the expansion for [member.%s], line %d)", member,
             member_line);
    return -1;
}

int scenario_load_string(struct scenario_set *set, const char *text,
                         const char *filename, struct diag *d)
{
    if (!family_is(text))
        return load_one(set, text, filename, d);
    /* A family loads whole or not at all. */
    size_t before = set->count;
    struct family_load fl = {set, filename};
    if (family_expand(text, filename, load_member, &fl, d) == 0)
        return 0;
    while (set->count > before)
        scenario_unref(&set->items[--set->count]);
    return -1;
}

int scenario_load_file(struct scenario_set *set, const char *path,
                       struct diag *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return diag_set(d, path, 0, "cannot open: %s", strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (1u << 20)) {
                diag_set(d, path, 0, "larger than 1 MiB: not a scenario");
                goto done;
            }
            char *p = realloc(text, cap);
            if (p == NULL) {
                diag_set(d, path, 0, "out of memory");
                goto done;
            }
            text = p;
        }
        size_t n = fread(text + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        diag_set(d, path, 0, "read error: %s", strerror(errno));
        goto done;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        diag_set(d, path, 0, "contains a NUL byte: not a scenario");
        goto done;
    }
    rc = scenario_load_string(set, text, path, d);
done:
    free(text);
    fclose(f);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_ini_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".ini") == 0 && name[0] != '.';
}

int scenario_load_path(struct scenario_set *set, const char *path,
                       struct diag *d)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return diag_set(d, path, 0, "cannot read: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return scenario_load_file(set, path, d);

    DIR *dir = opendir(path);
    if (dir == NULL)
        return diag_set(d, path, 0, "cannot list: %s", strerror(errno));
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) {
        if (!has_ini_suffix(e->d_name))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof(*p));
            if (p == NULL) {
                rc = diag_set(d, path, 0, "out of memory");
                goto done;
            }
            names = p;
        }
        names[count] = strdup(e->d_name);
        if (names[count] == NULL) {
            rc = diag_set(d, path, 0, "out of memory");
            goto done;
        }
        count++;
    }
    if (count == 0) {
        rc = diag_set(d, path, 0, "no *.ini scenario files in this directory");
        goto done;
    }
    qsort(names, count, sizeof(*names), compare_names);
    for (size_t i = 0; i < count && rc == 0; i++) {
        char file[1024];
        size_t plen = strlen(path);
        bool slash = plen > 0 && path[plen - 1] == '/';
        snprintf(file, sizeof(file), "%s%s%s", path, slash ? "" : "/",
                 names[i]);
        rc = scenario_load_file(set, file, d);
    }
done:
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    closedir(dir);
    return rc;
}

static int compare_ports(const void *a, const void *b)
{
    const struct scenario *x = a, *y = b;
    /* Ephemeral (port 0) scenarios go last, then by name. */
    unsigned px = x->port ? (unsigned)x->port : 65536u;
    unsigned py = y->port ? (unsigned)y->port : 65536u;
    if (px != py)
        return px < py ? -1 : 1;
    return strcmp(x->name, y->name);
}

void scenario_set_sort(struct scenario_set *set)
{
    if (set->count > 1)
        qsort(set->items, set->count, sizeof(set->items[0]), compare_ports);
}

void scenario_set_free(struct scenario_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        scenario_unref(&set->items[i]);
    free(set->items);
    memset(set, 0, sizeof(*set));
}

const struct scenario *scenario_find(const struct scenario_set *set,
                                     const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    return NULL;
}

const char *scenario_generation_name(enum scenario_generation g)
{
    return (unsigned)g < SCENARIO_GEN_COUNT ? generation_names[g] : NULL;
}

bool scenario_client_has_generations(const char *client)
{
    size_t n = sizeof(packaged_clients) / sizeof(packaged_clients[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(client, packaged_clients[i]) == 0)
            return true;
    return false;
}

int scenario_expect_generations(const struct scenario_expect *e)
{
    return scenario_client_has_generations(e->client) ? SCENARIO_GEN_COUNT
                                                      : 1;
}

bool scenario_expect_differs(const struct scenario_expect *e,
                             enum scenario_generation g)
{
    const struct scenario_result *a = &e->gen[0], *b = &e->gen[g];
    return a->n_exits != b->n_exits ||
           memcmp(a->exits, b->exits, sizeof(a->exits[0]) * a->n_exits) != 0 ||
           strcmp(a->message, b->message) != 0;
}

const char *scenario_version_name(enum scenario_version v)
{
    static const char *const names[SCENARIO_VERSION_COUNT] = {
        "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"};
    return v < SCENARIO_VERSION_COUNT ? names[v] : "?";
}

void scenario_versions_describe(const struct scenario *s, char *out,
                                size_t size)
{
    if (s->min_version == s->max_version)
        snprintf(out, size, "%s", version_tokens[s->min_version]);
    else
        snprintf(out, size, "%s-%s", version_tokens[s->min_version],
                 version_tokens[s->max_version]);
}

bool scenario_sni_registered(const struct scenario *s, const char *host)
{
    for (int i = 0; i < s->n_sni_names; i++)
        if (strcasecmp(s->sni_names[i], host) == 0)
            return true;
    return false;
}

const struct scenario_action *scenario_sni_policy(const struct scenario *s,
                                                  const char *sni,
                                                  bool *registered, char *why,
                                                  size_t why_size)
{
    const struct scenario_action *a = NULL;
    *registered = false;
    why[0] = '\0';
    if (sni == NULL) {
        a = &s->on_missing;
        snprintf(why, why_size, "the ClientHello has no SNI");
    } else if (scenario_sni_registered(s, sni)) {
        *registered = true;
    } else if (s->n_sni_names > 0) {
        /* Without registered names every name is served alike. */
        a = &s->on_unknown;
        snprintf(why, why_size, "SNI \"%.200s\" is not registered", sni);
    }
    return a != NULL && a->kind != SCENARIO_SERVE ? a : NULL;
}

/* ---- ALPN ------------------------------------------------------------- */

bool scenario_alpn_speaks(const struct scenario *s, const char *protocol)
{
    for (int i = 0; i < s->n_alpn; i++)
        if (strcmp(s->alpn[i], protocol) == 0)
            return true;
    return false;
}

/* Whether the comma-joined list holds protocol as one of its items. */
static bool list_has(const char *list, const char *protocol)
{
    size_t n = strlen(protocol);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, protocol, n) == 0)
            return true;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return false;
}

const struct scenario_action *scenario_alpn_policy(const struct scenario *s,
                                                   const char *offered,
                                                   int n, char *why,
                                                   size_t why_size)
{
    const struct scenario_action *a = NULL;
    char speaks[SCENARIO_MAX_ALPN * (SCENARIO_ALPN_MAX + 2)];
    why[0] = '\0';
    if (s->n_alpn == 0)
        return NULL; /* the extension is ignored */
    scenario_alpn_describe(s, speaks, sizeof(speaks));
    if (n == 0 || offered == NULL) {
        a = &s->on_alpn_missing;
        snprintf(why, why_size,
                 "the ClientHello offers no ALPN; the server speaks %s",
                 speaks);
    } else {
        for (int i = 0; i < s->n_alpn; i++)
            if (list_has(offered, s->alpn[i]))
                return NULL;
        a = &s->on_alpn_mismatch;
        snprintf(why, why_size,
                 "the client offers ALPN %.80s; the server speaks only %s",
                 offered, speaks);
    }
    return a->kind != SCENARIO_SERVE ? a : NULL;
}

void scenario_alpn_describe(const struct scenario *s, char *out, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    snprintf(out, size, "%s", s->n_alpn == 0 ? "none" : "");
    for (int i = 0; i < s->n_alpn && used < size; i++) {
        int k = snprintf(out + used, size - used, "%s%s", i ? ", " : "",
                         s->alpn[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}
