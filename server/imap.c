/*
 * The IMAP dialogue. Before TLS: the greeting, CAPABILITY offering
 * STARTTLS with LOGINDISABLED, and the go-ahead (RFC 3501 section 6.2.1).
 * After it: CAPABILITY again (RFC 2595 section 3.1: the client discards
 * what it knew), LOGIN or AUTHENTICATE PLAIN (the request the connection
 * answers), then an empty INBOX (RFC 9051 sections 6.3.2 and 6.3.9)
 * until LOGOUT.
 */
#include "imap.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "line.h"

/* Syntax errors in a row before the server gives up on the client. */
#define IMAP_MAX_ERRORS 3
/* The longest tag kept; a longer one is not taken for a tag. */
#define IMAP_MAX_TAG 64

static const char *const CREDENTIALS =
    "the client sent credentials without TLS";

/* What the server offers (RFC 9051 section 7.2.2). Before TLS a login
 * waits for STARTTLS (LOGINDISABLED, RFC 3501 section 6.2.3); where
 * STARTTLS was stripped the server looks like one that never had TLS,
 * and offers its login in the clear, so that a client which takes the
 * offer is seen sending its password. After TLS AUTH=PLAIN is needed
 * as well as LOGIN: curl keeps LOGINDISABLED from before TLS and then
 * logs in only with a SASL mechanism. */
static const char *capabilities(const struct dialogue *d, bool tls)
{
    if (tls || d->strip)
        return "IMAP4rev1 AUTH=PLAIN SASL-IR";
    return "IMAP4rev1 STARTTLS LOGINDISABLED";
}

static int greet(const struct dialogue *d, bool tls, struct buf *out)
{
    return line_say(out, "* OK [CAPABILITY %s] shakedown scenario %s ready",
                    capabilities(d, tls), d->scenario);
}

static int capability(const struct dialogue *d, bool tls, const char *tag,
                      struct buf *out)
{
    int rc = line_say(out, "* CAPABILITY %s", capabilities(d, tls));
    rc |= line_say(out, "%s OK CAPABILITY completed", tag);
    return rc;
}

static int logout(const struct dialogue *d, const char *tag, struct buf *out)
{
    int rc = line_say(out, "* BYE shakedown scenario %s logging out",
                      d->scenario);
    rc |= line_say(out, "%s OK LOGOUT completed", tag);
    return rc;
}

static bool is(const char *verb, const char *word)
{
    return strcmp(verb, word) == 0;
}

/* ATOM-CHAR and resp-specials (RFC 9051 section 9): the characters of
 * a tag (less "+") and of an unquoted astring. */
static bool astring_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("(){%*\"\\", c) == NULL;
}

/* Splits "tag command args" (RFC 9051 section 2.2.1): the tag into tag,
 * the command word upper-cased into verb. Returns the arguments, or
 * NULL when the line has no valid tag followed by a command. */
static const char *split(const char *line, char *tag, char *verb,
                         size_t verb_size)
{
    size_t n = 0;
    while (astring_char((unsigned char)line[n]) && line[n] != '+')
        n++;
    tag[0] = verb[0] = '\0';
    if (n == 0 || n >= IMAP_MAX_TAG || line[n] != ' ')
        return NULL;
    memcpy(tag, line, n);
    tag[n] = '\0';
    const char *args = line_verb(line + n + 1, verb, verb_size);
    return verb[0] != '\0' ? args : NULL;
}

/* ---- before TLS -------------------------------------------------------- */

struct imap_preamble_state {
    struct line_state line;
    char tag[IMAP_MAX_TAG]; /* the command's being answered */
};

/* Defined below, with the functions it names. */
static const struct line_protocol lines;

/* A login before TLS is refused with PRIVACYREQUIRED (RFC 9051 section
 * 7.1), and the server says BYE before it closes (section 7.1.5). */
static enum preamble_result credentials(struct dialogue *d, const char *tag,
                                        struct buf *out, const char **why)
{
    d->misstep = CREDENTIALS;
    (void)line_say(out, "%s NO [PRIVACYREQUIRED] Credentials refused "
                        "without TLS",
                   tag);
    return line_pre_close(out, "* BYE Credentials were sent in the clear",
                          why, CREDENTIALS);
}

/* STARTTLS (RFC 3501 section 6.2.1): the go-ahead, or where it was not
 * offered the answer to a command the server does not know. */
static enum preamble_result starttls(struct dialogue *d, const char *tag,
                                     const char *args, struct buf *out)
{
    const char *refusal = d->strip        ? "BAD STARTTLS is not supported"
                          : d->refuse     ? "NO STARTTLS refused"
                          : args[0] != 0  ? "BAD STARTTLS takes no arguments"
                                          : NULL;
    if (refusal != NULL)
        return line_pre_more(line_say(out, "%s %s", tag, refusal));
    if (line_say(out, "%s OK Begin TLS negotiation now", tag) != 0 ||
        (d->inject != NULL &&
         buf_append(out, d->inject, strlen(d->inject)) != 0))
        return PREAMBLE_CLOSE;
    return PREAMBLE_TLS;
}

/* The tag into st->tag, the command word into verb; for a line without
 * a valid tag, NULL, and the step shows "untagged". */
static const char *pre_split(void *state, const char *line, char *verb,
                             size_t size)
{
    struct imap_preamble_state *st = state;
    const char *args = split(line, st->tag, verb, size);
    if (args == NULL)
        snprintf(verb, size, "untagged");
    return args;
}

/* One command; args is what follows the command word, NULL for a line
 * without a tag, which gets an untagged BAD (RFC 9051 section 7.1.3). */
static enum preamble_result pre_command(void *state, struct dialogue *d,
                                        const char *verb, const char *args,
                                        struct buf *out, const char **why)
{
    struct imap_preamble_state *st = state;
    const char *tag = st->tag;
    if (args == NULL)
        return line_pre_unknown(&lines, &st->line, out, why,
                                "* BAD Missing or invalid tag");
    if (is(verb, "STARTTLS"))
        return starttls(d, tag, args, out);
    if (is(verb, "LOGIN") || is(verb, "AUTHENTICATE"))
        return credentials(d, tag, out, why);
    if (is(verb, "LOGOUT")) {
        (void)logout(d, tag, out);
        *why = "the client quit before TLS";
        return PREAMBLE_CLOSE;
    }
    if (is(verb, "CAPABILITY") && args[0] == '\0')
        return line_pre_more(capability(d, false, tag, out));
    if (is(verb, "NOOP") && args[0] == '\0')
        return line_pre_more(line_say(out, "%s OK NOOP completed", tag));
    return line_pre_unknown(&lines, &st->line, out, why,
                            "%s BAD Unknown command or not valid before "
                            "STARTTLS",
                            tag);
}

static int pre_greet(const struct dialogue *d, struct buf *out)
{
    return greet(d, false, out);
}

static enum preamble_result pre_input(void *state, struct dialogue *d,
                                      struct buf *in, struct buf *out,
                                      const char **why)
{
    struct imap_preamble_state *st = state;
    return line_preamble_input(&lines, &st->line, st, d, in, out, why);
}

static void pre_clear(void *state)
{
    (void)state;
}

/* After TLS IMAP reads commands of its own (literals, a request that
 * holds back what follows it): only the loop before TLS is the shared
 * one. */
static const struct line_protocol lines = {
    .too_long = "* BYE Line too long",
    .too_many = "* BYE Too many commands",
    .too_many_errors = "* BYE Too many bad commands",
    .stranger = "the client sent commands that are not IMAP",
    .greet = pre_greet,
    .split = pre_split,
    .pre_command = pre_command,
};

const struct preamble_ops imap_preamble = {
    .name = "imap",
    .size = sizeof(struct imap_preamble_state),
    .input = pre_input,
    .clear = pre_clear,
};

/* ---- arguments --------------------------------------------------------- */

/* The arguments of a whole command: its lines joined, each literal's
 * bytes right after its "{n}" (the CRLF that followed it dropped). */
struct cursor {
    const char *p, *end;
};

static void skip_spaces(struct cursor *c)
{
    while (c->p < c->end && *c->p == ' ')
        c->p++;
}

static bool at_end(struct cursor *c)
{
    skip_spaces(c);
    return c->p == c->end;
}

static void put(char *out, size_t size, size_t *n, char ch)
{
    if (*n + 1 < size)
        out[(*n)++] = ch;
}

/* A quoted string (RFC 9051 section 4.3): backslash escapes the quote
 * and itself. */
static bool take_quoted(struct cursor *c, char *out, size_t size, size_t *n)
{
    for (c->p++; c->p < c->end; c->p++) {
        if (*c->p == '"') {
            c->p++;
            return true;
        }
        if (*c->p == '\\') {
            if (++c->p == c->end || (*c->p != '\\' && *c->p != '"'))
                return false;
        }
        put(out, size, n, *c->p);
    }
    return false;
}

/* A literal (RFC 9051 section 4.3, "+" from RFC 7888): "{n}" then n
 * bytes of anything. */
static bool take_literal(struct cursor *c, char *out, size_t size, size_t *n)
{
    size_t len = 0, digits = 0;
    for (c->p++; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
        if (++digits > 9)
            return false;
        len = len * 10 + (size_t)(*c->p - '0');
    }
    if (c->p < c->end && *c->p == '+')
        c->p++;
    if (digits == 0 || c->p == c->end || *c->p != '}')
        return false;
    c->p++;
    if (len > (size_t)(c->end - c->p))
        return false;
    for (size_t i = 0; i < len; i++)
        put(out, size, n, c->p[i]);
    c->p += len;
    return true;
}

/* One astring (RFC 9051 section 9) into out, truncated to fit: an atom,
 * a quoted string or a literal. A LIST pattern may hold the wildcards
 * "%" and "*" too (list-mailbox). */
static bool take_astring(struct cursor *c, char *out, size_t size,
                         bool wildcards)
{
    size_t n = 0;
    bool ok = true;
    skip_spaces(c);
    if (c->p == c->end) {
        ok = false;
    } else if (*c->p == '"') {
        ok = take_quoted(c, out, size, &n);
    } else if (*c->p == '{') {
        ok = take_literal(c, out, size, &n);
    } else {
        while (c->p < c->end && *c->p != ' ' &&
               (astring_char((unsigned char)*c->p) ||
                (wildcards && (*c->p == '%' || *c->p == '*'))))
            put(out, size, &n, *c->p++);
        ok = n > 0 && (c->p == c->end || *c->p == ' ');
    }
    if (size > 0)
        out[n] = '\0';
    return ok;
}

/* Whether a LIST pattern matches name: "*" and "%" match any run of
 * characters (INBOX has no hierarchy), the rest case-insensitively, as
 * INBOX is (RFC 9051 section 5.1). One wildcard to go back to at a
 * time keeps it linear in both lengths. */
static bool matches(const char *pattern, const char *name)
{
    const char *star = NULL, *resume = NULL;
    while (*name != '\0') {
        if (*pattern == '*' || *pattern == '%') {
            star = ++pattern;
            resume = name;
        } else if (*pattern != '\0' && toupper((unsigned char)*pattern) ==
                                            toupper((unsigned char)*name)) {
            pattern++;
            name++;
        } else if (star != NULL) {
            pattern = star;
            name = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*' || *pattern == '%')
        pattern++;
    return *pattern == '\0';
}

/* ---- base64 and SASL PLAIN --------------------------------------------- */

static int sextet(char ch)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = ch != '\0' ? strchr(digits, ch) : NULL;
    return at != NULL ? (int)(at - digits) : -1;
}

/* Decodes base64 (RFC 4648 section 4, padded) into out; returns the
 * length, or -1 when text is not base64 or does not fit. */
static long decode64(const char *text, uint8_t *out, size_t size)
{
    size_t len = strlen(text), n = 0;
    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            bool last = i + 4 == len;
            if (text[i + k] == '=' && last && k >= 2 &&
                (k == 3 || text[i + 3] == '=')) {
                v[k] = 0;
                pad++;
            } else if ((v[k] = sextet(text[i + k])) < 0 || pad > 0) {
                return -1;
            }
        }
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
                        (uint32_t)v[2] << 6 | (uint32_t)v[3];
        for (int k = 0; k < 3 - pad; k++) {
            if (n == size)
                return -1;
            out[n++] = (uint8_t)(bits >> (16 - 8 * k));
        }
    }
    return (long)n;
}

/* The authentication identity of a PLAIN message (RFC 4616 section 2:
 * [authzid] NUL authcid NUL passwd) into user. */
static bool plain_user(const char *response, char *user, size_t size)
{
    uint8_t msg[DIALOGUE_MAX_LINE];
    long len = decode64(response, msg, sizeof(msg));
    if (len < 0)
        return false;
    const uint8_t *nul = memchr(msg, '\0', (size_t)len);
    if (nul == NULL)
        return false;
    const uint8_t *authcid = nul + 1, *end = msg + len;
    const uint8_t *nul2 = memchr(authcid, '\0', (size_t)(end - authcid));
    if (nul2 == NULL || nul2 == authcid)
        return false;
    size_t n = (size_t)(nul2 - authcid);
    if (n >= size)
        n = size - 1;
    memcpy(user, authcid, n);
    user[n] = '\0';
    return true;
}

/* ---- after TLS --------------------------------------------------------- */

struct imap_app_state {
    struct dialogue *d;
    struct buf in;
    /* The command being read, its lines and literals joined. */
    char cmd[DIALOGUE_MAX_LINE];
    size_t cmd_len;
    size_t literal; /* bytes of a literal still to come */
    char tag[IMAP_MAX_TAG]; /* the request's, or AUTHENTICATE's */
    bool sasl_due;      /* AUTHENTICATE PLAIN's response comes next */
    bool pending;       /* a request waits for respond */
    bool authenticated;
    bool selected;
    bool done;
    int errors;
    const char *bad; /* what respond(400) says */
};

enum take_result { TAKE_OK, TAKE_MORE, TAKE_TOO_LONG, TAKE_ERROR };

/* Whether the line of len bytes ends with a literal's "{n}" or "{n+}"
 * (RFC 9051 section 4.3, RFC 7888 section 3); *size is n. */
static bool literal_at_end(const char *line, size_t len, size_t *size,
                           bool *sync)
{
    if (len < 3 || line[len - 1] != '}')
        return false;
    size_t i = len - 1;
    *sync = line[i - 1] != '+';
    if (!*sync)
        i--;
    size_t digits_end = i;
    while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
        i--;
    if (i == 0 || line[i - 1] != '{' || i == digits_end ||
        digits_end - i > 9)
        return false;
    *size = 0;
    for (; i < digits_end; i++)
        *size = *size * 10 + (size_t)(line[i] - '0');
    return true;
}

/* Reads one whole command into st->cmd: a line, and for each literal
 * its bytes and the line after them. A synchronising literal is asked
 * for with a continuation (RFC 9051 section 7.5). */
static enum take_result take_command(struct imap_app_state *st,
                                     struct buf *out, size_t *len)
{
    for (;;) {
        if (st->literal > 0) {
            size_t n = buf_pending(&st->in);
            if (n > st->literal)
                n = st->literal;
            if (n == 0)
                return TAKE_MORE;
            memcpy(st->cmd + st->cmd_len, buf_head(&st->in), n);
            buf_consume(&st->in, n);
            st->cmd_len += n;
            st->literal -= n;
            if (st->literal > 0)
                return TAKE_MORE;
        }
        /* line_take reads buf_head, which an empty buffer may not have. */
        if (buf_pending(&st->in) == 0)
            return TAKE_MORE;
        char *line = st->cmd + st->cmd_len;
        switch (line_take(&st->in, line, sizeof(st->cmd) - st->cmd_len)) {
        case LINE_MORE:
            return TAKE_MORE;
        case LINE_TOO_LONG:
            return TAKE_TOO_LONG;
        case LINE_OK:
            break;
        }
        size_t n = strlen(line), size;
        bool sync;
        st->cmd_len += n;
        if (st->sasl_due || !literal_at_end(line, n, &size, &sync)) {
            *len = st->cmd_len;
            st->cmd_len = 0;
            return TAKE_OK;
        }
        /* The literal, and at least the end of the line after it, must
         * fit with the terminating NUL. */
        if (size >= sizeof(st->cmd) - st->cmd_len)
            return TAKE_TOO_LONG;
        st->literal = size;
        if (sync && line_say(out, "+ Ready for literal data") != 0)
            return TAKE_ERROR;
    }
}

static enum app_result reply(struct buf *out, const char *tag,
                             const char *text)
{
    return line_say(out, "%s %s", tag, text) ? APP_ERROR : APP_MORE;
}

/* A syntax error or an unknown command; the third in a row ends the
 * dialogue. */
static enum app_result bad(struct imap_app_state *st, const char *tag,
                           const char *text, struct buf *out)
{
    if (++st->errors >= IMAP_MAX_ERRORS) {
        st->bad = "Too many bad commands";
        return APP_BAD;
    }
    return tag != NULL ? reply(out, tag, text)
                       : (line_say(out, "* %s", text) ? APP_ERROR : APP_MORE);
}

static enum app_result request(struct imap_app_state *st, const char *tag,
                               const char *method, const char *user,
                               struct app_request *req)
{
    if (tag != st->tag)
        snprintf(st->tag, sizeof(st->tag), "%s", tag);
    snprintf(req->method, sizeof(req->method), "%s", method);
    snprintf(req->target, sizeof(req->target), "%s", user);
    req->protocol = "IMAP";
    req->grpc = false;
    st->pending = true;
    return APP_REQUEST;
}

static enum app_result login(struct imap_app_state *st, const char *tag,
                             struct cursor *c, struct app_request *req,
                             struct buf *out)
{
    char user[sizeof(req->target)], password[256];
    if (st->authenticated)
        return reply(out, tag, "BAD Already authenticated");
    if (!take_astring(c, user, sizeof(user), false) ||
        !take_astring(c, password, sizeof(password), false) || !at_end(c))
        return bad(st, tag, "BAD Syntax: LOGIN user password", out);
    memset(password, 0, sizeof(password));
    return request(st, tag, "LOGIN", user, req);
}

/* PLAIN's response, on the command line (SASL-IR, RFC 4959) or on the
 * line after the "+" (RFC 9051 section 6.2.2); "*" cancels. */
static enum app_result plain(struct imap_app_state *st, const char *tag,
                             const char *response, struct app_request *req,
                             struct buf *out)
{
    char user[sizeof(req->target)];
    if (strcmp(response, "*") == 0)
        return reply(out, tag, "BAD AUTHENTICATE cancelled");
    if (!plain_user(response, user, sizeof(user)))
        return bad(st, tag, "BAD Invalid PLAIN response", out);
    return request(st, tag, "AUTHENTICATE", user, req);
}

static enum app_result authenticate(struct imap_app_state *st,
                                    const char *tag, struct cursor *c,
                                    struct app_request *req, struct buf *out)
{
    char mech[16], response[DIALOGUE_MAX_LINE];
    if (st->authenticated)
        return reply(out, tag, "BAD Already authenticated");
    if (!take_astring(c, mech, sizeof(mech), false))
        return bad(st, tag, "BAD Syntax: AUTHENTICATE mechanism", out);
    if (strcasecmp(mech, "PLAIN") != 0)
        return reply(out, tag, "NO Unsupported authentication mechanism");
    if (at_end(c)) {
        snprintf(st->tag, sizeof(st->tag), "%s", tag);
        st->sasl_due = true;
        return line_say(out, "+ ") ? APP_ERROR : APP_MORE;
    }
    /* An empty initial response is "=" (RFC 4959 section 3). */
    if (!take_astring(c, response, sizeof(response), false) || !at_end(c))
        return bad(st, tag, "BAD Syntax: AUTHENTICATE PLAIN response", out);
    return plain(st, tag, strcmp(response, "=") == 0 ? "" : response, req,
                 out);
}

/* SELECT and EXAMINE (RFC 9051 section 6.3.2): INBOX, always empty. */
static enum app_result select_box(struct imap_app_state *st, const char *tag,
                                  const char *verb, struct cursor *c,
                                  struct buf *out)
{
    char name[256];
    if (!take_astring(c, name, sizeof(name), false) || !at_end(c))
        return bad(st, tag, "BAD Syntax: SELECT mailbox", out);
    st->selected = false;
    if (strcasecmp(name, "INBOX") != 0)
        return reply(out, tag, "NO [NONEXISTENT] No such mailbox");
    st->selected = true;
    int rc = line_say(out, "* FLAGS (\\Seen)");
    rc |= line_say(out, "* 0 EXISTS");
    rc |= line_say(out, "* 0 RECENT");
    rc |= line_say(out, "* OK [UIDVALIDITY 1] UIDs valid");
    rc |= line_say(out, "* OK [UIDNEXT 1] Predicted next UID");
    rc |= line_say(out, "* OK [PERMANENTFLAGS ()] No permanent flags");
    rc |= line_say(out, "%s OK [%s] %s completed", tag,
                   is(verb, "EXAMINE") ? "READ-ONLY" : "READ-WRITE", verb);
    return rc ? APP_ERROR : APP_MORE;
}

/* LIST and LSUB (RFC 9051 section 6.3.9): INBOX, or for an empty pattern
 * the hierarchy delimiter. */
static enum app_result list(struct imap_app_state *st, const char *tag,
                            const char *verb, struct cursor *c,
                            struct buf *out)
{
    char ref[256], pattern[256], full[512];
    if (!take_astring(c, ref, sizeof(ref), true) ||
        !take_astring(c, pattern, sizeof(pattern), true) || !at_end(c))
        return bad(st, tag, "BAD Syntax: LIST reference pattern", out);
    snprintf(full, sizeof(full), "%s%s", ref, pattern);
    int rc = 0;
    if (pattern[0] == '\0')
        rc = line_say(out, "* %s (\\Noselect) \"/\" \"\"", verb);
    else if (matches(full, "INBOX"))
        rc = line_say(out, "* %s () \"/\" INBOX", verb);
    rc |= line_say(out, "%s OK %s completed", tag, verb);
    return rc ? APP_ERROR : APP_MORE;
}

/* Commands that need a login first (RFC 9051 section 6.3). */
static enum app_result authenticated(struct imap_app_state *st,
                                     const char *tag, const char *verb,
                                     struct cursor *c, struct buf *out)
{
    if (!st->authenticated)
        return reply(out, tag, "BAD Not authenticated");
    if (is(verb, "SELECT") || is(verb, "EXAMINE"))
        return select_box(st, tag, verb, c, out);
    if (is(verb, "LIST") || is(verb, "LSUB"))
        return list(st, tag, verb, c, out);
    /* CLOSE, UNSELECT and CHECK: nothing to expunge or to check. */
    if (!st->selected)
        return reply(out, tag, "BAD No mailbox selected");
    if (!is(verb, "CHECK"))
        st->selected = false;
    return line_say(out, "%s OK %s completed", tag, verb) ? APP_ERROR
                                                          : APP_MORE;
}

static enum app_result app_command(struct imap_app_state *st,
                                   const char *tag, const char *verb,
                                   struct cursor *c, struct app_request *req,
                                   struct buf *out)
{
    if (is(verb, "CAPABILITY") && at_end(c))
        return capability(st->d, true, tag, out) ? APP_ERROR : APP_MORE;
    if (is(verb, "NOOP") && at_end(c))
        return reply(out, tag, "OK NOOP completed");
    if (is(verb, "LOGOUT") && at_end(c))
        return logout(st->d, tag, out) ? APP_ERROR : APP_DONE;
    if (is(verb, "STARTTLS"))
        return reply(out, tag, "BAD TLS is already active");
    if (is(verb, "LOGIN"))
        return login(st, tag, c, req, out);
    if (is(verb, "AUTHENTICATE"))
        return authenticate(st, tag, c, req, out);
    if (is(verb, "SELECT") || is(verb, "EXAMINE") || is(verb, "LIST") ||
        is(verb, "LSUB") || is(verb, "CLOSE") || is(verb, "UNSELECT") ||
        is(verb, "CHECK"))
        return authenticated(st, tag, verb, c, out);
    return bad(st, tag, "BAD Unknown command", out);
}

/* One whole command of len bytes in st->cmd. */
static enum app_result app_line(struct imap_app_state *st, size_t len,
                                struct app_request *req, struct buf *out)
{
    char tag[IMAP_MAX_TAG], verb[16];
    if (st->sasl_due) {
        st->sasl_due = false;
        return plain(st, st->tag, st->cmd, req, out);
    }
    const char *args = split(st->cmd, tag, verb, sizeof(verb));
    if (!dialogue_step(st->d, args != NULL ? verb : "untagged")) {
        st->bad = "Too many commands";
        return APP_BAD;
    }
    if (args == NULL)
        return bad(st, NULL, "BAD Missing or invalid tag", out);
    struct cursor c = {args, st->cmd + len};
    int errors = st->errors;
    enum app_result r = app_command(st, tag, verb, &c, req, out);
    if (st->errors == errors)
        st->errors = 0;
    return r;
}

static enum app_result app_input(void *state, const uint8_t *data,
                                 size_t len, struct app_request *req,
                                 struct buf *out)
{
    struct imap_app_state *st = state;
    if (len > 0 && buf_append(&st->in, data, len) != 0)
        return APP_ERROR;
    if (st->done)
        return APP_DONE;
    /* The request's answer comes first; what follows it waits. */
    while (!st->pending) {
        size_t n = 0;
        switch (take_command(st, out, &n)) {
        case TAKE_MORE:
            return APP_MORE;
        case TAKE_TOO_LONG:
            st->bad = "Line too long";
            return APP_BAD;
        case TAKE_ERROR:
            return APP_ERROR;
        case TAKE_OK:
            break;
        }
        enum app_result r = app_line(st, n, req, out);
        if (r == APP_DONE)
            st->done = true;
        if (r != APP_MORE)
            return r;
    }
    return APP_MORE;
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct imap_app_state *st = state;
    const char *what = st->tag[0] ? st->tag : "*";
    st->pending = false;
    if (status == 400)
        return line_say(out, "* BYE %s", st->bad ? st->bad : "Bad request")
                   ? -1
                   : 0;
    if (status != 200)
        return line_say(out, "%s NO [AUTHENTICATIONFAILED] %s", what,
                        page->note ? page->note : "Refused")
                   ? -1
                   : 1;
    st->authenticated = true;
    return line_say(out, "%s OK Logged in: shakedown scenario %s over %s "
                         "with %s",
                    what, page->scenario->name, page->version, page->cipher)
               ? -1
               : 1;
}

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct imap_app_state *st = state;
    (void)out;
    st->d = d;
    return 0;
}

static int imaps_open(void *state, struct dialogue *d, struct buf *out)
{
    app_open(state, d, out);
    dialogue_at(d, "greeting");
    return greet(d, true, out);
}

static void app_clear(void *state)
{
    struct imap_app_state *st = state;
    buf_free(&st->in);
}

const struct app_ops imap_app = {
    .name = "imap",
    .size = sizeof(struct imap_app_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};

const struct app_ops imaps_app = {
    .name = "imap",
    .size = sizeof(struct imap_app_state),
    .open = imaps_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
