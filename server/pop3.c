/*
 * The POP3 dialogue. Before TLS: the greeting, CAPA offering STLS and the
 * go-ahead (RFC 2595 section 4). After it: CAPA again (RFC 2595 section
 * 4: the client discards what it knew), USER, PASS (the request the
 * connection answers), then an empty maildrop (RFC 1939 section 5) until
 * QUIT.
 */
#include "pop3.h"

#include <stdio.h>
#include <string.h>

#include "line.h"

static const char *const CREDENTIALS =
    "the client sent credentials without TLS";

/* Defined at the end, with the functions it names. */
static const struct line_protocol lines;

/* No timestamp in the greeting: that is what offers APOP (RFC 1939
 * section 7), and APOP is not served. */
static int greet(const struct dialogue *d, struct buf *out)
{
    return line_say(out, "+OK shakedown scenario %s ready", d->scenario);
}

/* CAPA's answer (RFC 2449 section 5): a multi-line list ended by a dot.
 * USER is offered before TLS too (RFC 2595 section 4 leaves it to the
 * server), so that a client which goes on in the clear after a refused
 * or stripped STLS is seen sending its password. */
static int capa(const struct dialogue *d, bool tls, struct buf *out)
{
    int rc = line_say(out, "+OK Capability list follows");
    rc |= line_say(out, "USER");
    if (tls) {
        rc |= line_say(out, "UIDL");
        rc |= line_say(out, "RESP-CODES");
        rc |= line_say(out, "AUTH-RESP-CODE");
    } else if (!d->strip) {
        rc |= line_say(out, "STLS");
    }
    rc |= line_say(out, "IMPLEMENTATION shakedown");
    rc |= line_say(out, ".");
    return rc;
}

static bool is(const char *verb, const char *word)
{
    return strcmp(verb, word) == 0;
}

static const char *or_unknown(const char *s)
{
    return s != NULL ? s : "unknown";
}

/* ---- before TLS -------------------------------------------------------- */

struct pop3_preamble_state {
    struct line_state line;
};

static enum preamble_result stls(struct dialogue *d, const char *arg,
                                 struct buf *out)
{
    if (d->strip)
        return line_pre_more(line_say(out, "-ERR Unknown command"));
    if (d->refuse)
        return line_pre_more(line_say(out, "-ERR TLS refused"));
    if (arg[0] != '\0') /* RFC 2595 section 4: no arguments */
        return line_pre_more(line_say(out, "-ERR Syntax: STLS"));
    if (line_say(out, "+OK Begin TLS negotiation") != 0 ||
        (d->inject != NULL &&
         buf_append(out, d->inject, strlen(d->inject)) != 0))
        return PREAMBLE_CLOSE;
    return PREAMBLE_TLS;
}

static enum preamble_result pre_command(void *state, struct dialogue *d,
                                        const char *verb, const char *arg,
                                        struct buf *out, const char **why)
{
    struct pop3_preamble_state *st = state;
    if (is(verb, "CAPA"))
        return line_pre_more(capa(d, false, out));
    if (is(verb, "STLS"))
        return stls(d, arg, out);
    /* A user name (USER), a password (PASS), a digest (APOP) or a SASL
     * exchange (AUTH, RFC 5034) in the clear. [SYS/PERM] is RFC 3206's
     * code for a refusal that retrying will not change. */
    if (is(verb, "USER") || is(verb, "PASS") || is(verb, "APOP") ||
        is(verb, "AUTH")) {
        d->misstep = CREDENTIALS;
        return line_pre_close(out, "-ERR [SYS/PERM] Issue STLS first: no "
                                   "credentials in the clear",
                              why, CREDENTIALS);
    }
    if (is(verb, "QUIT"))
        return line_pre_close(out, "+OK shakedown signing off", why,
                              "the client quit before TLS");
    return line_pre_unknown(&lines, &st->line, out, why,
                            "-ERR Unknown command");
}

static enum preamble_result pre_input(void *state, struct dialogue *d,
                                      struct buf *in, struct buf *out,
                                      const char **why)
{
    struct pop3_preamble_state *st = state;
    return line_preamble_input(&lines, &st->line, st, d, in, out, why);
}

static void pre_clear(void *state)
{
    (void)state;
}

const struct preamble_ops pop3_preamble = {
    .name = "pop3",
    .size = sizeof(struct pop3_preamble_state),
    .input = pre_input,
    .clear = pre_clear,
};

/* ---- after TLS --------------------------------------------------------- */

struct pop3_app_state {
    struct line_state line;
    char user[256]; /* from USER: PASS's request names it */
    bool has_user;
    bool logged_in; /* the TRANSACTION state (RFC 1939 section 5) */
};

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct pop3_app_state *st = state;
    (void)out;
    line_app_open(&st->line, d);
    return 0;
}

static int pop3s_open(void *state, struct dialogue *d, struct buf *out)
{
    app_open(state, d, out);
    dialogue_step(d, "greeting");
    d->commands = 0;
    return greet(d, out);
}

static enum app_result pass(struct pop3_app_state *st,
                            struct app_request *req, struct buf *out)
{
    /* RFC 1939 section 7: PASS only right after a successful USER. */
    if (!st->has_user)
        return line_app_reply(out, "-ERR USER first");
    snprintf(req->method, sizeof(req->method), "PASS");
    snprintf(req->target, sizeof(req->target), "%s", st->user);
    req->protocol = "POP3";
    req->grpc = false;
    return APP_REQUEST;
}

/* The AUTHORIZATION state (RFC 1939 section 4), inside TLS. */
static enum app_result login_command(struct pop3_app_state *st,
                                     const char *verb, const char *arg,
                                     struct app_request *req,
                                     struct buf *out)
{
    if (is(verb, "USER")) {
        if (arg[0] == '\0')
            return line_app_reply(out, "-ERR Syntax: USER name");
        snprintf(st->user, sizeof(st->user), "%s", arg);
        st->has_user = true;
        return line_app_reply(out, "+OK Send PASS");
    }
    if (is(verb, "PASS"))
        return pass(st, req, out);
    st->has_user = false;
    if (is(verb, "APOP") || is(verb, "AUTH"))
        return line_app_reply(out, "-ERR Not served: use USER and PASS");
    return line_app_reply(out, "-ERR Not logged in");
}

/* The TRANSACTION state over a maildrop that holds nothing: every
 * message number is out of range (RFC 1939 section 5). */
static enum app_result mailbox_command(const char *verb, const char *arg,
                                       struct buf *out)
{
    if (is(verb, "STAT"))
        return line_app_reply(out, "+OK 0 0");
    if (is(verb, "LIST") || is(verb, "UIDL")) {
        if (arg[0] != '\0')
            return line_app_reply(out, "-ERR No such message");
        int rc = line_say(out, "+OK 0 messages");
        rc |= line_say(out, ".");
        return line_app_more(rc);
    }
    if (is(verb, "RETR") || is(verb, "TOP") || is(verb, "DELE"))
        return line_app_reply(out, "-ERR No such message");
    if (is(verb, "RSET") || is(verb, "NOOP"))
        return line_app_reply(out, "+OK");
    return line_app_reply(out, "-ERR Already logged in");
}

static bool known(const char *verb)
{
    static const char *const verbs[] = {
        "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "UIDL",
        "RETR", "TOP",  "DELE", "RSET", "NOOP", NULL,
    };
    for (size_t i = 0; verbs[i] != NULL; i++)
        if (is(verb, verbs[i]))
            return true;
    return false;
}

static enum app_result app_command(void *state, const char *verb,
                                   const char *arg, struct app_request *req,
                                   struct buf *out)
{
    struct pop3_app_state *st = state;
    if (is(verb, "CAPA"))
        return line_app_more(capa(st->line.d, true, out));
    if (is(verb, "STLS"))
        return line_app_reply(out, "-ERR TLS already active");
    if (is(verb, "QUIT"))
        return line_say(out, "+OK shakedown scenario %s signing off",
                        st->line.d->scenario)
                   ? APP_ERROR
                   : APP_DONE;
    if (!known(verb))
        return line_app_unknown(&lines, &st->line, out,
                                "-ERR Unknown command");
    if (!st->logged_in)
        return login_command(st, verb, arg, req, out);
    return mailbox_command(verb, arg, out);
}

static enum app_result app_input(void *state, const uint8_t *data,
                                 size_t len, struct app_request *req,
                                 struct buf *out)
{
    struct pop3_app_state *st = state;
    return line_app_input(&lines, &st->line, st, data, len, req, out);
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct pop3_app_state *st = state;
    if (status == 400)
        return line_app_bad(&lines, &st->line, out);
    st->has_user = false;
    /* RFC 3206 section 4: [AUTH] says the credentials were the problem. */
    if (status != 200)
        return line_say(out, "-ERR [AUTH] %s",
                        page->note ? page->note : "Refused")
                   ? -1
                   : 1;
    st->logged_in = true;
    return line_say(out, "+OK Logged in to shakedown scenario %s over %s "
                         "(%s); the maildrop is empty",
                    page->scenario->name, or_unknown(page->version),
                    or_unknown(page->cipher))
               ? -1
               : 1;
}

static void app_clear(void *state)
{
    struct pop3_app_state *st = state;
    line_app_clear(&st->line);
}

static const struct line_protocol lines = {
    .too_long = "-ERR Line too long",
    .too_many = "-ERR Too many commands",
    .too_many_errors = "-ERR Too many errors",
    .error = "-ERR Error",
    .stranger = "the client sent commands that are not POP3",
    .greet = greet,
    .pre_command = pre_command,
    .app_command = app_command,
};

const struct app_ops pop3_app = {
    .name = "pop3",
    .size = sizeof(struct pop3_app_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};

const struct app_ops pop3s_app = {
    .name = "pop3",
    .size = sizeof(struct pop3_app_state),
    .open = pop3s_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
