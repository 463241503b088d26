/*
 * The MySQL/MariaDB dialogue. Before TLS: the Initial Handshake v10, then
 * the client's 32-byte SSLRequest, the go-ahead itself. After TLS: the
 * HandshakeResponse41 (the login, whatever its auth response), then
 * COM_QUERY and friends, every query answered with one row on the scenario.
 */
#include "mysql.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What the greeting offers; CLIENT_SSL is added unless the dialogue
 * strips it. No CLIENT_SESSION_TRACK: our OK packets carry no state
 * changes. CLIENT_LONG_PASSWORD (CLIENT_MYSQL to MariaDB) says the
 * reserved bytes hold no MariaDB extended capabilities. */
#define SERVER_CAPS                                                            \
    (MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_FOUND_ROWS |                    \
     MYSQL_CLIENT_LONG_FLAG | MYSQL_CLIENT_CONNECT_WITH_DB |                   \
     MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_TRANSACTIONS |                    \
     MYSQL_CLIENT_SECURE_CONNECTION | MYSQL_CLIENT_MULTI_RESULTS |             \
     MYSQL_CLIENT_PLUGIN_AUTH | MYSQL_CLIENT_CONNECT_ATTRS |                   \
     MYSQL_CLIENT_PLUGIN_AUTH_LENENC | MYSQL_CLIENT_DEPRECATE_EOF)

#define STATUS_AUTOCOMMIT 0x0002 /* SERVER_STATUS_AUTOCOMMIT */
#define CHARSET_UTF8MB4 45       /* utf8mb4_general_ci */
#define TYPE_VAR_STRING 0xfd     /* MYSQL_TYPE_VAR_STRING */
#define HEADER 4                 /* 3-byte length, 1-byte sequence id */
#define SSL_REQUEST_LEN 32       /* Protocol::SSLRequest's payload */
#define MAX_UNKNOWN 3            /* unknown commands in a row */

/* The auth plugin data: we check no password, so a fixed challenge
 * weakens nothing and keeps the greeting's bytes testable. */
static const char scramble[20] = "shakedown-0123456789";

/* ---- packets ---------------------------------------------------------- */

/* One whole packet in a buffer (Protocol::Packet). */
struct packet {
    const uint8_t *p;
    size_t len;
    uint8_t seq;
};

enum take_result { TAKE_OK, TAKE_MORE, TAKE_TOO_BIG };

/* Finds the packet at the head of in without consuming it; p points into
 * in until the caller consumes HEADER + len. A length of 0xffffff (a
 * payload split over packets) is over every bound we keep. */
static enum take_result take(const struct buf *in, size_t limit,
                             struct packet *pk)
{
    if (buf_pending(in) < HEADER)
        return TAKE_MORE; /* (an empty buf may have no storage to point at) */
    const uint8_t *h = buf_head(in);
    pk->len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    pk->seq = h[3];
    pk->p = h + HEADER;
    if (pk->len > limit)
        return TAKE_TOO_BIG;
    return buf_pending(in) - HEADER < pk->len ? TAKE_MORE : TAKE_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* A payload being written. Everything we send is short (names, a note
 * cut to fit); a write past the end is dropped rather than overflowing. */
struct payload {
    uint8_t b[1024];
    size_t n;
};

static void put(struct payload *w, const void *p, size_t n)
{
    if (n > sizeof(w->b) - w->n)
        n = sizeof(w->b) - w->n;
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_u8(struct payload *w, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(w, &b, 1);
}

static void put_u16(struct payload *w, unsigned v)
{
    put_u8(w, v & 0xff);
    put_u8(w, (v >> 8) & 0xff);
}

static void put_u32(struct payload *w, uint32_t v)
{
    put_u16(w, v & 0xffff);
    put_u16(w, v >> 16);
}

/* string<lenenc> for strings under 251 bytes, the only kind we send
 * (int<lenenc> is then one byte). Longer ones are cut. */
static void put_lenenc(struct payload *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 250)
        n = 250;
    put_u8(w, (unsigned)n);
    put(w, s, n);
}

static void put_str(struct payload *w, const char *s)
{
    put(w, s, strlen(s) + 1);
}

static int emit(struct buf *out, uint8_t seq, const struct payload *w)
{
    uint8_t h[HEADER] = {(uint8_t)w->n, (uint8_t)(w->n >> 8),
                         (uint8_t)(w->n >> 16), seq};
    if (buf_append(out, h, sizeof(h)) != 0 || buf_append(out, w->b, w->n) != 0)
        return -1;
    return 0;
}

/* ERR_Packet with the SQL state marker (every client we answer speaks
 * CLIENT_PROTOCOL_41, and the greeting asks for it). */
static int send_err(struct buf *out, uint8_t seq, unsigned code,
                    const char *sqlstate, const char *message)
{
    struct payload w = {.n = 0};
    put_u8(&w, 0xff);
    put_u16(&w, code);
    put_u8(&w, '#');
    put(&w, sqlstate, 5);
    put(&w, message, strlen(message));
    return emit(out, seq, &w);
}

/* OK_Packet; header 0xfe is the form that ends a result set under
 * CLIENT_DEPRECATE_EOF. No info string: without CLIENT_SESSION_TRACK it
 * is optional. */
static int send_ok(struct buf *out, uint8_t seq, unsigned header)
{
    struct payload w = {.n = 0};
    put_u8(&w, header);
    put_u8(&w, 0); /* affected rows */
    put_u8(&w, 0); /* last insert id */
    put_u16(&w, STATUS_AUTOCOMMIT);
    put_u16(&w, 0); /* warnings */
    return emit(out, seq, &w);
}

static int send_eof(struct buf *out, uint8_t seq)
{
    struct payload w = {.n = 0};
    put_u8(&w, 0xfe);
    put_u16(&w, 0); /* warnings */
    put_u16(&w, STATUS_AUTOCOMMIT);
    return emit(out, seq, &w);
}

/* ---- the preamble: greeting and SSLRequest ---------------------------- */

/* Protocol::HandshakeV10, with the 20-byte scramble in its two parts and
 * auth-plugin-data-part-2 padded to 13 bytes by its terminating NUL. */
static int greet(struct buf *out, bool ssl)
{
    uint32_t caps = SERVER_CAPS | (ssl ? MYSQL_CLIENT_SSL : 0);
    static const uint8_t reserved[10] = {0};
    struct payload w = {.n = 0};
    put_u8(&w, 10);
    put_str(&w, MYSQL_SERVER_VERSION);
    put_u32(&w, 1); /* connection id */
    put(&w, scramble, 8);
    put_u8(&w, 0);
    put_u16(&w, caps & 0xffff);
    put_u8(&w, CHARSET_UTF8MB4);
    put_u16(&w, STATUS_AUTOCOMMIT);
    put_u16(&w, caps >> 16);
    put_u8(&w, sizeof(scramble) + 1);
    put(&w, reserved, sizeof(reserved));
    put(&w, scramble + 8, sizeof(scramble) - 8);
    put_u8(&w, 0);
    put_str(&w, "mysql_native_password");
    return emit(out, 0, &w);
}

struct mysql_preamble_state {
    bool greeted;
    bool heard; /* the client's first bytes are not a ClientHello */
};

/* What the client's one packet after the greeting is. */
enum mysql_reply {
    MYSQL_REPLY_MALFORMED,
    MYSQL_REPLY_SSL_REQUEST,
    MYSQL_REPLY_CREDENTIALS
};

/* Protocol::SSLRequest is exactly the first 32 bytes of a
 * HandshakeResponse41 (capabilities, max packet, charset, filler) with
 * CLIENT_SSL; anything longer carries the user name in the clear, even
 * with CLIENT_SSL set. A pre-4.1 client (no CLIENT_PROTOCOL_41) is not
 * served. */
static enum mysql_reply classify(const struct packet *pk)
{
    if (pk->seq != 1 || pk->len < SSL_REQUEST_LEN)
        return MYSQL_REPLY_MALFORMED;
    uint32_t caps = le32(pk->p);
    if (!(caps & MYSQL_CLIENT_PROTOCOL_41))
        return MYSQL_REPLY_MALFORMED;
    if (pk->len > SSL_REQUEST_LEN)
        return MYSQL_REPLY_CREDENTIALS;
    return (caps & MYSQL_CLIENT_SSL) ? MYSQL_REPLY_SSL_REQUEST
                                     : MYSQL_REPLY_MALFORMED;
}

/* A refusal before TLS: the ERR follows the client's packet, and the
 * connection ends as a real server's does after a bad handshake. */
static enum preamble_result refuse(struct buf *out, uint8_t seq, unsigned code,
                                   const char *sqlstate, const char *message,
                                   const char *reason, const char **why)
{
    *why = send_err(out, seq, code, sqlstate, message) != 0 ? "out of memory"
                                                            : reason;
    return PREAMBLE_CLOSE;
}

/* The go-ahead: the SSLRequest needs no answer, so inject (a line the
 * client must discard) is all that precedes the ServerHello. */
static enum preamble_result start_tls(struct dialogue *d, uint8_t seq,
                                      struct buf *out, const char **why)
{
    if (d->strip)
        return refuse(out, seq, 1043, "08S01",
                      "Bad handshake: this server does not offer SSL",
                      "the client asked for TLS that was not offered", why);
    if (d->refuse)
        return refuse(out, seq, 1043, "08S01",
                      "Bad handshake: SSL is refused by policy",
                      "the server refused TLS", why);
    if (d->inject != NULL &&
        buf_append(out, d->inject, strlen(d->inject)) != 0) {
        *why = "out of memory";
        return PREAMBLE_CLOSE;
    }
    return PREAMBLE_TLS;
}

static enum preamble_result answer(struct dialogue *d, const struct packet *pk,
                                   struct buf *out, const char **why)
{
    enum mysql_reply kind = classify(pk);
    uint8_t seq = (uint8_t)(pk->seq + 1);
    const char *step =
        kind == MYSQL_REPLY_SSL_REQUEST ? "SSLRequest" : "HandshakeResponse";
    if (!dialogue_step(d, step))
        return refuse(out, seq, 1226, "42000",
                      "User has exceeded the 'max_questions' resource",
                      "the client sent too many commands", why);
    switch (kind) {
    case MYSQL_REPLY_SSL_REQUEST: return start_tls(d, seq, out, why);
    case MYSQL_REPLY_CREDENTIALS:
        d->misstep = "the client sent credentials without TLS";
        return refuse(out, seq, 3159, "HY000",
                      "Connections using insecure transport are prohibited "
                      "while --require_secure_transport=ON.",
                      d->misstep, why);
    case MYSQL_REPLY_MALFORMED: break;
    }
    return refuse(out, seq, 1043, "08S01", "Bad handshake",
                  "the client sent a malformed handshake", why);
}

/* A TLS record starts 0x16 0x03; as a packet header that is a length of
 * at least 0x0316 bytes (a 790-byte HandshakeResponse would be taken for
 * TLS, which no client sends before TLS in practice). */
static bool is_client_hello(const struct buf *in)
{
    return buf_head(in)[0] == 0x16 &&
           (buf_pending(in) < 2 || buf_head(in)[1] == 0x03);
}

static enum preamble_result pre_input(void *state, struct dialogue *d,
                                      struct buf *in, struct buf *out,
                                      const char **why)
{
    struct mysql_preamble_state *st = state;
    struct packet pk;
    if (!st->greeted) {
        if (greet(out, !d->strip) != 0) {
            *why = "out of memory";
            return PREAMBLE_CLOSE;
        }
        st->greeted = true;
    }
    if (buf_pending(in) == 0)
        return PREAMBLE_MORE;
    if (!st->heard && is_client_hello(in)) {
        if (buf_pending(in) < 2)
            return PREAMBLE_MORE;
        *why = "the client started TLS without STARTTLS";
        return PREAMBLE_CLOSE;
    }
    st->heard = true;
    switch (take(in, DIALOGUE_MAX_LINE, &pk)) {
    case TAKE_MORE: return PREAMBLE_MORE;
    case TAKE_TOO_BIG:
        return refuse(out, (uint8_t)(pk.seq + 1), 1153, "08S01",
                      "Got a packet bigger than 'max_allowed_packet' bytes",
                      "the client sent a packet over the limit", why);
    case TAKE_OK: break;
    }
    /* Every answer ends the preamble, so the packet can go now: what
     * follows it (a pipelined ClientHello) is the TLS layer's. */
    enum preamble_result r = answer(d, &pk, out, why);
    buf_consume(in, HEADER + pk.len);
    return r;
}

static void pre_clear(void *state)
{
    (void)state;
}

const struct preamble_ops mysql_preamble = {
    .name = "mysql",
    .size = sizeof(struct mysql_preamble_state),
    .input = pre_input,
    .clear = pre_clear,
};

/* ---- after TLS: the login and the commands ---------------------------- */

enum mysql_phase {
    MYSQL_LOGIN,   /* waiting for the HandshakeResponse41 */
    MYSQL_ANSWER,  /* the login is the connection's to answer */
    MYSQL_COMMANDS /* logged in: the Command Phase */
};

/* What APP_BAD found, for respond(400). */
enum mysql_bad {
    MYSQL_BAD_HANDSHAKE,
    MYSQL_BAD_TOO_BIG,
    MYSQL_BAD_FLOOD,
    MYSQL_BAD_UNKNOWN
};

struct mysql_app_state {
    struct dialogue *d;
    struct buf in;
    enum mysql_phase phase;
    enum mysql_bad bad;
    uint32_t caps; /* the client's, as its HandshakeResponse41 says */
    uint8_t seq;   /* of the packet the connection answers */
    int unknown;   /* unknown commands in a row */
    unsigned queries;
    char user[64];
    /* Copied from the page at the login's answer, for every query. */
    char scenario[64];
    char title[128];
    char version[32];
    char cipher[128];
};

static bool step(struct mysql_app_state *st, const char *name)
{
    return st->d == NULL || dialogue_step(st->d, name);
}

/* Protocol::HandshakeResponse41: the 32 bytes an SSLRequest has, then the
 * user name, NUL-terminated. What follows (auth response, database,
 * plugin name, attributes) is accepted unread: any password will do, and
 * a client naming another auth plugin is answered OK all the same. */
static enum app_result login(struct mysql_app_state *st,
                             const struct packet *pk, struct app_request *req)
{
    st->seq = pk->seq;
    if (!step(st, "HandshakeResponse")) {
        st->bad = MYSQL_BAD_FLOOD;
        return APP_BAD;
    }
    const uint8_t *user = pk->p + SSL_REQUEST_LEN;
    const uint8_t *nul = pk->len > SSL_REQUEST_LEN
                             ? memchr(user, 0, pk->len - SSL_REQUEST_LEN)
                             : NULL;
    if (nul == NULL || !(le32(pk->p) & MYSQL_CLIENT_PROTOCOL_41)) {
        /* A second SSLRequest inside TLS lands here too. */
        st->bad = MYSQL_BAD_HANDSHAKE;
        return APP_BAD;
    }
    st->caps = le32(pk->p);
    snprintf(st->user, sizeof(st->user), "%s", (const char *)user);
    snprintf(req->method, sizeof(req->method), "login");
    snprintf(req->target, sizeof(req->target), "%s", (const char *)user);
    req->protocol = "MySQL";
    req->grpc = false;
    st->phase = MYSQL_ANSWER;
    return APP_REQUEST;
}

/* Protocol::ColumnDefinition41 for a text column of no table. */
static int send_column(struct buf *out, uint8_t seq, const char *name)
{
    static const uint8_t filler[2] = {0};
    struct payload w = {.n = 0};
    put_lenenc(&w, "def");
    put_lenenc(&w, ""); /* schema */
    put_lenenc(&w, ""); /* table */
    put_lenenc(&w, ""); /* org_table */
    put_lenenc(&w, name);
    put_lenenc(&w, name);
    put_u8(&w, 0x0c); /* length of the fixed-length fields */
    put_u16(&w, CHARSET_UTF8MB4);
    put_u32(&w, 1024); /* column length */
    put_u8(&w, TYPE_VAR_STRING);
    put_u16(&w, 0x0001); /* NOT_NULL_FLAG */
    put_u8(&w, 0);       /* decimals */
    put(&w, filler, sizeof(filler));
    return emit(out, seq, &w);
}

/* A text result set ("COM_QUERY Response", Text Resultset): the column
 * count, the definitions, an EOF unless CLIENT_DEPRECATE_EOF, the one
 * row, and the terminator (EOF, or OK with header 0xfe). */
static int send_result(struct mysql_app_state *st, uint8_t seq, struct buf *out)
{
    static const char *const names[] = {"scenario", "title", "tls_version",
                                        "cipher"};
    const char *const values[] = {st->scenario, st->title, st->version,
                                  st->cipher};
    bool no_eof = (st->caps & MYSQL_CLIENT_DEPRECATE_EOF) != 0;
    struct payload w = {.n = 0};
    put_u8(&w, 4);
    int rc = emit(out, seq++, &w);
    for (size_t i = 0; i < 4 && rc == 0; i++)
        rc = send_column(out, seq++, names[i]);
    if (rc == 0 && !no_eof)
        rc = send_eof(out, seq++);
    w.n = 0;
    for (size_t i = 0; i < 4; i++)
        put_lenenc(&w, values[i]);
    if (rc == 0)
        rc = emit(out, seq++, &w);
    if (rc == 0)
        rc = no_eof ? send_ok(out, seq, 0xfe) : send_eof(out, seq);
    return rc;
}

/* Statements that return no result set get OK: a client library that
 * runs SET NAMES itself reads no rows after it, and would be out of
 * sync if we sent some. Comments before the word are not looked past. */
static bool wants_ok(const uint8_t *sql, size_t len)
{
    static const char *const words[] = {"SET",      "USE",   "BEGIN", "COMMIT",
                                        "ROLLBACK", "START", "DO"};
    size_t i = 0, n = 0;
    while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' ||
                       sql[i] == '\r'))
        i++;
    while (i + n < len &&
           ((sql[i + n] | 0x20) >= 'a' && (sql[i + n] | 0x20) <= 'z'))
        n++;
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
        if (strlen(words[k]) == n &&
            strncasecmp(words[k], (const char *)sql + i, n) == 0)
            return true;
    return false;
}

static bool is_blank(const uint8_t *sql, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (sql[i] != ' ' && sql[i] != '\t' && sql[i] != '\n' &&
            sql[i] != '\r' && sql[i] != ';')
            return false;
    return true;
}

static int query(struct mysql_app_state *st, const struct packet *pk,
                 struct buf *out)
{
    uint8_t seq = (uint8_t)(pk->seq + 1);
    const uint8_t *sql = pk->p + 1;
    size_t len = pk->len - 1;
    st->queries++;
    if (is_blank(sql, len))
        return send_err(out, seq, 1065, "42000", "Query was empty");
    if (wants_ok(sql, len))
        return send_ok(out, seq, 0x00);
    return send_result(st, seq, out);
}

/* COM_STATISTICS: a bare string, as mysqladmin status prints it. */
static int statistics(struct mysql_app_state *st, uint8_t seq, struct buf *out)
{
    char text[128];
    snprintf(text, sizeof(text),
             "Uptime: 1  Threads: 1  Questions: %u  shakedown scenario %s",
             st->queries, st->scenario);
    struct payload w = {.n = 0};
    put(&w, text, strlen(text));
    return emit(out, seq, &w);
}

static const char *command_name(unsigned com)
{
    switch (com) {
    case MYSQL_COM_QUIT: return "Quit";
    case MYSQL_COM_INIT_DB: return "InitDB";
    case MYSQL_COM_QUERY: return "Query";
    case MYSQL_COM_STATISTICS: return "Statistics";
    case MYSQL_COM_PING: return "Ping";
    default: return "Unknown";
    }
}

/* One packet of the Command Phase; its answer continues its sequence. */
static enum app_result command(struct mysql_app_state *st,
                               const struct packet *pk, struct buf *out)
{
    unsigned com = pk->len > 0 ? pk->p[0] : 0x100;
    uint8_t seq = (uint8_t)(pk->seq + 1);
    int rc;
    st->seq = pk->seq;
    if (!step(st, command_name(com))) {
        st->bad = MYSQL_BAD_FLOOD;
        return APP_BAD;
    }
    switch (com) {
    case MYSQL_COM_QUIT:
        return APP_DONE; /* the server answers COM_QUIT by closing */
    case MYSQL_COM_QUERY: rc = query(st, pk, out); break;
    case MYSQL_COM_STATISTICS: rc = statistics(st, seq, out); break;
    case MYSQL_COM_INIT_DB:
    case MYSQL_COM_PING: rc = send_ok(out, seq, 0x00); break;
    default:
        /* COM_FIELD_LIST, COM_STMT_PREPARE...: a client recovers from
         * ER_UNKNOWN_COM_ERROR, but not forever. */
        if (++st->unknown >= MAX_UNKNOWN) {
            st->bad = MYSQL_BAD_UNKNOWN;
            return APP_BAD;
        }
        rc = send_err(out, seq, 1047, "08S01", "Unknown command");
        return rc != 0 ? APP_ERROR : APP_MORE;
    }
    st->unknown = 0;
    return rc != 0 ? APP_ERROR : APP_MORE;
}

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct mysql_app_state *st = state;
    (void)out;
    st->d = d;
    return 0;
}

static enum app_result app_input(void *state, const uint8_t *data, size_t len,
                                 struct app_request *req, struct buf *out)
{
    struct mysql_app_state *st = state;
    struct packet pk;
    if (len > 0 && buf_append(&st->in, data, len) != 0)
        return APP_ERROR;
    while (st->phase != MYSQL_ANSWER) {
        switch (take(&st->in, MYSQL_MAX_PACKET, &pk)) {
        case TAKE_MORE: return APP_MORE;
        case TAKE_TOO_BIG:
            st->seq = pk.seq;
            st->bad = MYSQL_BAD_TOO_BIG;
            return APP_BAD;
        case TAKE_OK: break;
        }
        enum app_result r = st->phase == MYSQL_LOGIN ? login(st, &pk, req)
                                                     : command(st, &pk, out);
        buf_consume(&st->in, HEADER + pk.len);
        if (r != APP_MORE)
            return r;
    }
    return APP_MORE;
}

static int send_bad(struct mysql_app_state *st, struct buf *out)
{
    uint8_t seq = (uint8_t)(st->seq + 1);
    switch (st->bad) {
    case MYSQL_BAD_TOO_BIG:
        return send_err(out, seq, 1153, "08S01",
                        "Got a packet bigger than 'max_allowed_packet' "
                        "bytes");
    case MYSQL_BAD_FLOOD:
        return send_err(out, seq, 1226, "42000",
                        "User has exceeded the 'max_questions' resource");
    case MYSQL_BAD_UNKNOWN:
        return send_err(out, seq, 1047, "08S01",
                        "Unknown command (too many in a row)");
    case MYSQL_BAD_HANDSHAKE: break;
    }
    return send_err(out, seq, 1043, "08S01", "Bad handshake");
}

static void keep_page(struct mysql_app_state *st, const struct app_page *page)
{
    snprintf(st->scenario, sizeof(st->scenario), "%s", page->scenario->name);
    snprintf(st->title, sizeof(st->title), "%s", page->scenario->title);
    snprintf(st->version, sizeof(st->version), "%s",
             page->version ? page->version : "");
    snprintf(st->cipher, sizeof(st->cipher), "%s",
             page->cipher ? page->cipher : "");
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct mysql_app_state *st = state;
    char message[512];
    if (status == 400)
        return send_bad(st, out) != 0 ? -1 : 0;
    if (status == 200) {
        keep_page(st, page);
        st->phase = MYSQL_COMMANDS;
        return send_ok(out, (uint8_t)(st->seq + 1), 0x00) != 0 ? -1 : 1;
    }
    /* ER_ACCESS_DENIED_ERROR, carrying why the scenario refuses. */
    snprintf(message, sizeof(message), "Access denied for user '%s': %s",
             st->user, page->note ? page->note : "refused by the scenario");
    return send_err(out, (uint8_t)(st->seq + 1), 1045, "28000", message) != 0
               ? -1
               : 0;
}

static void app_clear(void *state)
{
    struct mysql_app_state *st = state;
    buf_free(&st->in);
}

const struct app_ops mysql_app = {
    .name = "mysql",
    .size = sizeof(struct mysql_app_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
