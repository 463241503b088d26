/*
 * PostgreSQL's frontend/backend protocol 3.0, as the PostgreSQL
 * documentation's "Message Flow", "SSL Session Encryption" and "Message
 * Formats" sections describe it: the untyped startup packets (SSLRequest,
 * GSSENCRequest, CancelRequest, StartupMessage), then typed messages.
 */
#include "postgres.h"

#include <stdio.h>
#include <string.h>

/* ---- building backend messages ---------------------------------------- */

/* One backend message: a type byte, an Int32 length that counts itself
 * but not the type, and the body. Every field that goes in is bounded by
 * its caller, so the room here is never short; add() refuses rather than
 * write past it all the same. */
struct message {
    uint8_t data[2048];
    size_t len;
    bool over;
};

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static void add(struct message *m, const void *p, size_t n)
{
    if (n > sizeof(m->data) - m->len) {
        m->over = true;
        return;
    }
    memcpy(m->data + m->len, p, n);
    m->len += n;
}

static void add16(struct message *m, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    add(m, b, sizeof(b));
}

static void add32(struct message *m, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    add(m, b, sizeof(b));
}

/* A String field: the text and its terminating NUL. */
static void add_string(struct message *m, const char *s)
{
    add(m, s, strlen(s) + 1);
}

static void begin(struct message *m, char type)
{
    m->len = 0;
    m->over = false;
    add(m, &type, 1);
    add32(m, 0); /* the length, filled in by emit() */
}

static int emit(struct message *m, struct buf *out)
{
    if (m->over)
        return -1;
    uint32_t n = (uint32_t)(m->len - 1);
    uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                    (uint8_t)n};
    memcpy(m->data + 1, b, sizeof(b));
    return buf_append(out, m->data, m->len) == 0 ? 0 : -1;
}

/* ErrorResponse with the fields every client reads ("Error and Notice
 * Message Fields"): severity twice (S may be localised, V never is), the
 * SQLSTATE and the message. */
static int send_error(struct buf *out, const char *severity, const char *code,
                      const char *text)
{
    struct message m;
    char clipped[512];
    snprintf(clipped, sizeof(clipped), "%s", text);
    begin(&m, 'E');
    add(&m, "S", 1);
    add_string(&m, severity);
    add(&m, "V", 1);
    add_string(&m, severity);
    add(&m, "C", 1);
    add_string(&m, code);
    add(&m, "M", 1);
    add_string(&m, clipped);
    add(&m, "", 1);
    return emit(&m, out);
}

static int send_ready(struct buf *out)
{
    struct message m;
    begin(&m, 'Z');
    add(&m, "I", 1); /* idle, not in a transaction block */
    return emit(&m, out);
}

/* ---- the startup packet ----------------------------------------------- */

/* What a StartupMessage says: its protocol version, the parameters the
 * answer names, and the protocol options ("_pq_." names) we do not
 * know, for NegotiateProtocolVersion. */
struct startup {
    unsigned minor;
    char user[64]; /* NAMEDATALEN: the server truncates names there too */
    char database[64];
    char application[64];
    char options[256]; /* unknown option names, each NUL-terminated */
    size_t options_len;
    unsigned n_options;
};

static void copy_name(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s);
}

static void note_option(struct startup *su, const char *name)
{
    size_t n = strlen(name) + 1;
    if (n > sizeof(su->options) - su->options_len)
        return; /* the answer names what fits; the rest are ignored too */
    memcpy(su->options + su->options_len, name, n);
    su->options_len += n;
    su->n_options++;
}

/* The parameters of a StartupMessage: pairs of strings after the version,
 * ended by an empty name. Returns false for a packet whose strings run
 * past its end, as the server's "invalid startup packet layout". */
static bool parse_startup(const uint8_t *p, size_t len, struct startup *su)
{
    memset(su, 0, sizeof(*su));
    su->minor = get32(p + 4) & 0xffff;
    if (len < 9 || p[len - 1] != '\0')
        return false;
    const char *s = (const char *)p + 8, *end = (const char *)p + len - 1;
    while (s < end) {
        const char *name = s;
        s += strlen(s) + 1;
        if (s >= end)
            return false; /* a name without its value */
        const char *value = s;
        s += strlen(s) + 1;
        if (strcmp(name, "user") == 0)
            copy_name(su->user, sizeof(su->user), value);
        else if (strcmp(name, "database") == 0)
            copy_name(su->database, sizeof(su->database), value);
        else if (strcmp(name, "application_name") == 0)
            copy_name(su->application, sizeof(su->application), value);
        else if (strncmp(name, "_pq_.", 5) == 0)
            note_option(su, name);
    }
    /* A database defaults to the user's name ("Message Formats",
     * StartupMessage). */
    if (su->database[0] == '\0')
        copy_name(su->database, sizeof(su->database), su->user);
    return true;
}

static const char *request_name(uint32_t code)
{
    switch (code) {
    case POSTGRES_SSL_CODE: return "SSLRequest";
    case POSTGRES_GSSENC_CODE: return "GSSENCRequest";
    case POSTGRES_CANCEL_CODE: return "CancelRequest";
    default: return "StartupMessage";
    }
}

/* Codes with 1234 in the high 16 bits are requests, not versions. */
static bool is_request_code(uint32_t code)
{
    return code >> 16 == 1234;
}

static void unsupported_text(char *out, size_t size, uint32_t code)
{
    snprintf(out, size,
             "unsupported frontend protocol %u.%u: server supports 3.0 to "
             "3.0",
             (unsigned)(code >> 16), (unsigned)(code & 0xffff));
}

/* ---- the preamble: before TLS ----------------------------------------- */

struct postgres_preamble_state {
    bool started;   /* the client has sent its first byte */
    bool asked_ssl; /* an SSLRequest was answered 'N' */
    bool asked_gss; /* a GSSENCRequest was answered 'N' */
};

static enum preamble_result close_with(struct buf *out, const char *code,
                                       const char *text, const char **why,
                                       const char *reason)
{
    (void)send_error(out, "FATAL", code, text);
    *why = reason;
    return PREAMBLE_CLOSE;
}

static enum preamble_result invalid(struct buf *out, const char *text,
                                    const char **why)
{
    return close_with(out, "08P01", text, why,
                      "the client sent an invalid startup packet");
}

/* A StartupMessage in the clear carries the user name: the credentials
 * this dialogue exists to catch. The server's refusal is a pg_hba.conf
 * "no encryption" rule's, SQLSTATE 28000. */
static enum preamble_result plaintext_startup(struct dialogue *d,
                                              struct buf *out, const char **why)
{
    char text[256];
    snprintf(text, sizeof(text),
             "no encryption: shakedown scenario %s accepts only TLS "
             "connections (sslmode=require)",
             d->scenario ? d->scenario : "");
    d->misstep = "the client sent credentials without TLS";
    return close_with(out, "28000", text, why, d->misstep);
}

/* 'N': no encryption, the dialogue goes on in the clear. */
static enum preamble_result answer_no(struct buf *out, const char **why)
{
    if (buf_append(out, "N", 1) == 0)
        return PREAMBLE_MORE;
    *why = "out of memory";
    return PREAMBLE_CLOSE;
}

/* The answer to SSLRequest ("SSL Session Encryption"): one byte, 'S' to
 * go ahead or 'N' to go on in the clear. After 'S' the bytes the client
 * sent behind its request stay in `in`: they are the TLS layer's, and a
 * client that did not wait for the 'S' fails the handshake there
 * (CVE-2021-23214). */
static enum preamble_result ssl_request(struct postgres_preamble_state *st,
                                        struct dialogue *d, struct buf *in,
                                        struct buf *out, const char **why)
{
    if (st->asked_ssl)
        return invalid(out, "invalid startup packet: a second SSLRequest", why);
    buf_consume(in, 8);
    if (d->strip || d->refuse) {
        st->asked_ssl = true;
        return answer_no(out, why);
    }
    if (buf_append(out, "S", 1) != 0 ||
        (d->inject != NULL &&
         buf_append(out, d->inject, strlen(d->inject)) != 0)) {
        *why = "out of memory";
        return PREAMBLE_CLOSE;
    }
    return PREAMBLE_TLS;
}

/* No GSSAPI encryption here: 'N', and libpq goes on to SSLRequest. */
static enum preamble_result gss_request(struct postgres_preamble_state *st,
                                        struct buf *in, struct buf *out,
                                        const char **why)
{
    if (st->asked_gss)
        return invalid(out, "invalid startup packet: a second GSSENCRequest",
                       why);
    st->asked_gss = true;
    buf_consume(in, 8);
    return answer_no(out, why);
}

/* One whole startup packet of len bytes at the head of in. */
static enum preamble_result packet(struct postgres_preamble_state *st,
                                   struct dialogue *d, struct buf *in,
                                   size_t len, struct buf *out,
                                   const char **why)
{
    uint32_t code = get32(buf_head(in) + 4);
    char text[128];
    if (!dialogue_step(d, request_name(code)))
        return close_with(out, "54000", "too many startup packets", why,
                          "the client sent too many commands");
    if ((code == POSTGRES_SSL_CODE || code == POSTGRES_GSSENC_CODE) && len != 8)
        return invalid(out, "invalid length of startup packet", why);
    switch (code) {
    case POSTGRES_SSL_CODE: return ssl_request(st, d, in, out, why);
    case POSTGRES_GSSENC_CODE: return gss_request(st, in, out, why);
    case POSTGRES_CANCEL_CODE:
        /* There is no query to cancel; the server answers nothing. */
        *why = "the client sent a CancelRequest";
        return PREAMBLE_CLOSE;
    }
    if (is_request_code(code))
        return invalid(out, "invalid startup packet: unknown request code",
                       why);
    if (code >> 16 == 3)
        return plaintext_startup(d, out, why);
    unsupported_text(text, sizeof(text), code);
    return close_with(out, "0A000", text, why,
                      "the client asked for an unsupported protocol version");
}

/* A ClientHello first: PostgreSQL 17's direct TLS (sslnegotiation=direct)
 * skips the SSLRequest. When the dialogue offers no TLS there is nothing
 * to say to it: the server closes, as one with ssl = off does. */
static enum preamble_result direct_tls(struct dialogue *d, const char **why)
{
    (void)dialogue_step(d, "direct TLS");
    if (!d->strip && !d->refuse)
        return PREAMBLE_TLS;
    *why = "the client started TLS directly, but TLS is not offered";
    return PREAMBLE_CLOSE;
}

static enum preamble_result preamble_input(void *state, struct dialogue *d,
                                           struct buf *in, struct buf *out,
                                           const char **why)
{
    struct postgres_preamble_state *st = state;
    if (buf_pending(in) == 0)
        return PREAMBLE_MORE; /* the server does not speak first */
    if (!st->started) {
        st->started = true;
        if (buf_head(in)[0] == 0x16)
            return direct_tls(d, why);
    }
    for (;;) {
        size_t avail = buf_pending(in);
        if (avail < 4)
            return PREAMBLE_MORE;
        uint32_t len = get32(buf_head(in));
        /* gnutls-cli 3.7's --starttls-proto=postgres starts TLS whatever
         * the answer: say so rather than "invalid length". */
        if (st->asked_ssl && buf_head(in)[0] == 0x16)
            return close_with(out, "08P01",
                              "invalid startup packet: TLS after 'N'", why,
                              "the client started TLS though its SSLRequest "
                              "was refused");
        if (len < 8 || len > POSTGRES_MAX_STARTUP)
            return invalid(out, "invalid length of startup packet", why);
        if (avail < len)
            return PREAMBLE_MORE;
        enum preamble_result r = packet(st, d, in, len, out, why);
        if (r != PREAMBLE_MORE)
            return r;
    }
}

static void preamble_clear(void *state)
{
    (void)state;
}

const struct preamble_ops postgres_preamble = {
    .name = "postgres",
    .size = sizeof(struct postgres_preamble_state),
    .input = preamble_input,
    .clear = preamble_clear,
};

/* ---- the application layer: after TLS --------------------------------- */

enum phase {
    PHASE_STARTUP, /* waiting for the StartupMessage */
    PHASE_ANSWER,  /* it is the request: waiting for respond() */
    PHASE_READY,   /* logged in: queries until Terminate */
    PHASE_ENDED    /* APP_BAD or APP_DONE was returned */
};

struct postgres_app_state {
    struct dialogue *d;
    struct buf in;
    enum phase phase;
    enum app_result ended; /* what input() said last, once PHASE_ENDED */
    bool skipping;         /* after an extended-protocol error: until Sync */
    /* What APP_BAD found, for respond(400). */
    const char *bad_code;
    char bad_text[128];
    struct startup startup;
    /* What the query answers name, copied from the page. */
    char scenario[64];
    char title[128];
    char version[32];
    char cipher[128];
};

/* Counts a message against the dialogue's limit (a layer opened without
 * a dialogue counts nothing). */
static bool step(struct postgres_app_state *st, const char *name)
{
    return st->d == NULL || dialogue_step(st->d, name);
}

static enum app_result end(struct postgres_app_state *st, enum app_result r)
{
    st->phase = PHASE_ENDED;
    st->ended = r;
    return r;
}

static enum app_result bad(struct postgres_app_state *st, const char *code,
                           const char *text)
{
    st->bad_code = code;
    snprintf(st->bad_text, sizeof(st->bad_text), "%s", text);
    return end(st, APP_BAD);
}

static void fill_request(const struct startup *su, struct app_request *req)
{
    snprintf(req->method, sizeof(req->method), "startup");
    snprintf(req->target, sizeof(req->target), "%s@%s", su->user, su->database);
    req->protocol = "PostgreSQL";
    req->grpc = false;
}

/* The StartupMessage inside TLS (or what stands in its place). */
static enum app_result startup_packet(struct postgres_app_state *st,
                                      struct app_request *req)
{
    const uint8_t *p = buf_head(&st->in);
    uint32_t len = get32(p), code = get32(p + 4);
    char text[128];
    if (!step(st, request_name(code)))
        return bad(st, "54000", "too many messages");
    if (code == POSTGRES_CANCEL_CODE) {
        buf_consume(&st->in, len);
        return end(st, APP_DONE); /* nothing to cancel, nothing said */
    }
    if (is_request_code(code))
        return bad(st, "08P01",
                   code == POSTGRES_SSL_CODE ? "SSLRequest inside TLS"
                                             : "invalid startup packet");
    if (code >> 16 != 3) {
        unsupported_text(text, sizeof(text), code);
        return bad(st, "0A000", text);
    }
    if (!parse_startup(p, len, &st->startup))
        return bad(st, "08P01", "invalid startup packet layout");
    buf_consume(&st->in, len);
    if (st->startup.user[0] == '\0')
        return bad(st, "28000",
                   "no PostgreSQL user name specified in startup packet");
    fill_request(&st->startup, req);
    st->phase = PHASE_ANSWER;
    return APP_REQUEST;
}

static enum app_result take_startup(struct postgres_app_state *st,
                                    struct app_request *req)
{
    size_t avail = buf_pending(&st->in);
    if (avail < 4)
        return APP_MORE;
    uint32_t len = get32(buf_head(&st->in));
    if (len < 8 || len > POSTGRES_MAX_STARTUP)
        return bad(st, "08P01", "invalid length of startup packet");
    if (avail < len)
        return APP_MORE;
    return startup_packet(st, req);
}

/* An empty query string (or one of blanks and semicolons) is answered
 * with EmptyQueryResponse ("Simple Query"). */
static bool is_empty_query(const char *q)
{
    for (; *q != '\0'; q++)
        if (strchr(" \t\r\n\f;", *q) == NULL)
            return false;
    return true;
}

static const char *const columns[] = {"scenario", "title", "tls_version",
                                      "cipher"};

static int send_row_description(struct buf *out)
{
    struct message m;
    begin(&m, 'T');
    add16(&m, sizeof(columns) / sizeof(columns[0]));
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
        add_string(&m, columns[i]);
        add32(&m, 0); /* not a table's column */
        add16(&m, 0);
        add32(&m, 25);          /* text */
        add16(&m, 0xffff);      /* -1: variable length */
        add32(&m, 0xffffffffu); /* -1: no type modifier */
        add16(&m, 0);           /* text format */
    }
    return emit(&m, out);
}

static int send_data_row(const struct postgres_app_state *st, struct buf *out)
{
    const char *values[] = {st->scenario, st->title, st->version, st->cipher};
    struct message m;
    begin(&m, 'D');
    add16(&m, sizeof(values) / sizeof(values[0]));
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        add32(&m, (uint32_t)strlen(values[i]));
        add(&m, values[i], strlen(values[i]));
    }
    return emit(&m, out);
}

/* Whatever the SQL, one row about the scenario: psql prints it. */
static int answer_query(const struct postgres_app_state *st, const char *q,
                        struct buf *out)
{
    struct message m;
    if (is_empty_query(q)) {
        begin(&m, 'I');
        return emit(&m, out) == 0 ? send_ready(out) : -1;
    }
    if (send_row_description(out) != 0 || send_data_row(st, out) != 0)
        return -1;
    begin(&m, 'C');
    add_string(&m, "SELECT 1");
    return emit(&m, out) == 0 ? send_ready(out) : -1;
}

static const char *message_name(uint8_t type)
{
    switch (type) {
    case 'Q': return "Query";
    case 'X': return "Terminate";
    case 'P': return "Parse";
    case 'B': return "Bind";
    case 'D': return "Describe";
    case 'E': return "Execute";
    case 'C': return "Close";
    case 'H': return "Flush";
    case 'S': return "Sync";
    case 'F': return "FunctionCall";
    case 'd': return "CopyData";
    case 'c': return "CopyDone";
    case 'f': return "CopyFail";
    case 'p': return "PasswordMessage";
    default: return "unknown";
    }
}

/* The extended query protocol is not spoken: its first message gets an
 * error, and the rest up to Sync are discarded, as the server does after
 * any error in an extended query ("Extended Query"). */
static int refuse_extended(struct postgres_app_state *st, struct buf *out)
{
    if (st->skipping)
        return 0;
    st->skipping = true;
    return send_error(out, "ERROR", "0A000",
                      "shakedown speaks only the simple query protocol");
}

/* One whole message after the startup: type, body of blen bytes. */
static enum app_result message(struct postgres_app_state *st, uint8_t type,
                               const uint8_t *body, size_t blen,
                               struct buf *out)
{
    char text[64];
    int rc = 0;
    if (!step(st, message_name(type)))
        return bad(st, "54000", "too many messages");
    /* Only Sync and Terminate end the skipping (the server's
     * ignore_till_sync). */
    if (st->skipping && type != 'S' && type != 'X')
        return APP_MORE;
    switch (type) {
    case 'Q':
        if (blen == 0 || body[blen - 1] != '\0' ||
            memchr(body, '\0', blen) != body + blen - 1)
            return bad(st, "08P01", "invalid string in message");
        rc = answer_query(st, (const char *)body, out);
        break;
    case 'X': return end(st, APP_DONE);
    case 'S':
        st->skipping = false;
        rc = send_ready(out);
        break;
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'C':
    case 'H': rc = refuse_extended(st, out); break;
    case 'F':
        rc = send_error(out, "ERROR", "0A000",
                        "shakedown does not call functions");
        if (rc == 0)
            rc = send_ready(out);
        break;
    case 'd':
    case 'c':
    case 'f': break; /* outside COPY the server ignores these too */
    default:
        snprintf(text, sizeof(text), "invalid frontend message type %u",
                 (unsigned)type);
        return bad(st, "08P01", text);
    }
    return rc == 0 ? APP_MORE : APP_ERROR;
}

/* Typed messages: Byte1 type, Int32 length counting itself. */
static enum app_result take_messages(struct postgres_app_state *st,
                                     struct buf *out)
{
    for (;;) {
        size_t avail = buf_pending(&st->in);
        if (avail < 5)
            return APP_MORE;
        const uint8_t *p = buf_head(&st->in);
        uint32_t len = get32(p + 1);
        if (len < 4 || len > POSTGRES_MAX_MESSAGE)
            return bad(st, "08P01", "invalid message length");
        if (avail - 1 < len)
            return APP_MORE;
        enum app_result r = message(st, p[0], p + 5, len - 4, out);
        if (r == APP_BAD)
            return r; /* the connection ends: nothing more is read */
        buf_consume(&st->in, (size_t)len + 1);
        if (r != APP_MORE)
            return r;
    }
}

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct postgres_app_state *st = state;
    (void)out; /* the client speaks first: its StartupMessage */
    st->d = d;
    return 0;
}

static enum app_result app_input(void *state, const uint8_t *data, size_t len,
                                 struct app_request *req, struct buf *out)
{
    struct postgres_app_state *st = state;
    if (st->phase == PHASE_ENDED)
        return st->ended;
    if (len > 0 && buf_append(&st->in, data, len) != 0)
        return APP_ERROR;
    switch (st->phase) {
    case PHASE_STARTUP: return take_startup(st, req);
    case PHASE_READY: return take_messages(st, out);
    default: return APP_MORE; /* the request waits for its answer */
    }
}

static int send_parameter(struct buf *out, const char *name, const char *value)
{
    struct message m;
    begin(&m, 'S');
    add_string(&m, name);
    add_string(&m, value);
    return emit(&m, out);
}

/* The parameters a server reports at startup ("Asynchronous Operations"
 * lists them); libpq keeps them, and psql reads server_version. */
static int send_parameters(const struct startup *su, struct buf *out)
{
    static const char *const fixed[][2] = {
        {"server_version", "16.0 (shakedown)"},
        {"server_encoding", "UTF8"},
        {"client_encoding", "UTF8"},
        {"DateStyle", "ISO, MDY"},
        {"IntervalStyle", "postgres"},
        {"integer_datetimes", "on"},
        {"standard_conforming_strings", "on"},
        {"TimeZone", "UTC"},
        {"is_superuser", "off"},
        {"in_hot_standby", "off"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (send_parameter(out, fixed[i][0], fixed[i][1]) != 0)
            return -1;
    if (send_parameter(out, "application_name", su->application) != 0 ||
        send_parameter(out, "session_authorization", su->user) != 0)
        return -1;
    return 0;
}

/* A client that asked for protocol 3.1 or later, or for options, is told
 * what this server speaks: 3.0 and none of them. */
static int send_negotiation(const struct startup *su, struct buf *out)
{
    struct message m;
    if (su->minor == 0 && su->n_options == 0)
        return 0;
    begin(&m, 'v');
    add32(&m, 0);
    add32(&m, su->n_options);
    add(&m, su->options, su->options_len);
    return emit(&m, out);
}

/* The login succeeds without a password (a "trust" login): the scenario
 * is about the handshake, not authentication. */
static int welcome(struct postgres_app_state *st, const struct app_page *page,
                   struct buf *out)
{
    struct message m;
    snprintf(st->scenario, sizeof(st->scenario), "%s", page->scenario->name);
    snprintf(st->title, sizeof(st->title), "%s", page->scenario->title);
    snprintf(st->version, sizeof(st->version), "%s",
             page->version ? page->version : "");
    snprintf(st->cipher, sizeof(st->cipher), "%s",
             page->cipher ? page->cipher : "");
    if (send_negotiation(&st->startup, out) != 0)
        return -1;
    begin(&m, 'R');
    add32(&m, 0); /* AuthenticationOk */
    if (emit(&m, out) != 0 || send_parameters(&st->startup, out) != 0)
        return -1;
    begin(&m, 'K');
    add32(&m, 4242); /* BackendKeyData: a process id and secret */
    add32(&m, 0x5eed5eedu);
    if (emit(&m, out) != 0 || send_ready(out) != 0)
        return -1;
    st->phase = PHASE_READY;
    return 1;
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct postgres_app_state *st = state;
    const char *code = "28000", *text = page->note;
    if (status == 200)
        return welcome(st, page, out);
    if (status == 400) {
        code = st->bad_code ? st->bad_code : "08P01";
        text = st->bad_code ? st->bad_text : "invalid frontend message";
    }
    end(st, APP_BAD);
    return send_error(out, "FATAL", code,
                      text ? text : "the scenario refuses this client") == 0
               ? 0
               : -1;
}

static void app_clear(void *state)
{
    struct postgres_app_state *st = state;
    buf_free(&st->in);
}

const struct app_ops postgres_app = {
    .name = "postgresql", /* the ALPN id direct TLS clients offer */
    .size = sizeof(struct postgres_app_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
