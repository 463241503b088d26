/*
 * The SMTP dialogue. Before TLS: the greeting, EHLO offering STARTTLS and
 * the go-ahead (RFC 3207 section 4). After it: EHLO again (RFC 3207
 * section 4.2: the client forgets what it knew), AUTH taken on trust,
 * MAIL (the request the connection answers), RCPT, DATA accepted and
 * dropped, QUIT.
 */
#include "smtp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "line.h"

static const char *const CREDENTIALS = "the client sent credentials without TLS";

/* Defined at the end, with the functions it names. */
static const struct line_protocol lines;

static int greet(const struct dialogue *d, struct buf *out)
{
    return line_say(out, "220 %s ESMTP shakedown scenario %s", d->host,
                    d->scenario);
}

/* EHLO's answer (RFC 5321 section 4.1.1.1): the greeting line, then one
 * line per extension, the last with a space after its code. */
static int ehlo(const struct dialogue *d, const char *client, bool tls,
                struct buf *out)
{
    int rc = line_say(out, "250-%s greets %s", d->host,
                      client[0] ? client : "you");
    rc |= line_say(out, "250-SIZE %d", SMTP_MAX_MESSAGE);
    rc |= line_say(out, "250-8BITMIME");
    /* Before TLS, AUTH is offered only where STARTTLS was stripped: a
     * client that takes the offer sends its password in the clear. */
    if (tls || d->strip)
        rc |= line_say(out, "250-AUTH PLAIN LOGIN");
    if (!tls && !d->strip)
        rc |= line_say(out, "250-STARTTLS");
    rc |= line_say(out, "250 ENHANCEDSTATUSCODES");
    return rc;
}

/* ---- before TLS -------------------------------------------------------- */

struct smtp_preamble_state {
    struct line_state line;
    bool auth_due; /* AUTH without its credentials: they come next */
};

static enum preamble_result credentials(struct dialogue *d, struct buf *out,
                                        const char **why,
                                        const char *misstep)
{
    d->misstep = misstep;
    return line_pre_close(out, "530 5.7.0 Must issue a STARTTLS command first",
                          why, misstep);
}

static enum preamble_result starttls(struct dialogue *d, const char *arg,
                                     struct buf *out)
{
    if (d->strip)
        return line_pre_more(line_say(out, "502 5.5.1 Command not "
                                           "implemented"));
    if (d->refuse)
        return line_pre_more(line_say(out, "454 4.7.0 TLS not available due "
                                           "to temporary reason"));
    if (arg[0] != '\0') /* RFC 3207 section 4: no parameters */
        return line_pre_more(line_say(out, "501 5.5.4 Syntax: STARTTLS"));
    if (line_say(out, "220 2.0.0 Ready to start TLS") != 0 ||
        (d->inject != NULL &&
         buf_append(out, d->inject, strlen(d->inject)) != 0))
        return PREAMBLE_CLOSE;
    return PREAMBLE_TLS;
}

static enum preamble_result pre_command(void *state, struct dialogue *d,
                                        const char *verb, const char *arg,
                                        struct buf *out, const char **why)
{
    struct smtp_preamble_state *st = state;
    int rc = 0;
    if (strcmp(verb, "EHLO") == 0) {
        rc = ehlo(d, arg, false, out);
    } else if (strcmp(verb, "HELO") == 0) {
        rc = line_say(out, "250 %s", d->host);
    } else if (strcmp(verb, "STARTTLS") == 0) {
        return starttls(d, arg, out);
    } else if (strcmp(verb, "AUTH") == 0) {
        /* With its initial response (RFC 4954 section 4) the
         * credentials are on this line; without, on the next. */
        if (strchr(arg, ' ') != NULL)
            return credentials(d, out, why, CREDENTIALS);
        st->auth_due = true;
        rc = line_say(out, "334 ");
    } else if (strcmp(verb, "MAIL") == 0) {
        return credentials(d, out, why, "the client sent mail without TLS");
    } else if (strcmp(verb, "RSET") == 0 || strcmp(verb, "NOOP") == 0) {
        rc = line_say(out, "250 2.0.0 OK");
    } else if (strcmp(verb, "QUIT") == 0) {
        return line_pre_close(out, "221 2.0.0 Bye", why,
                              "the client quit before TLS");
    } else {
        return line_pre_unknown(&lines, &st->line, out, why,
                                "500 5.5.2 Command not recognized");
    }
    return line_pre_more(rc);
}

/* The line after AUTH is the credentials, not a command: the trace's
 * step must not show a piece of them. */
static bool pre_text(void *state, struct dialogue *d, const char *line,
                     struct buf *out, const char **why,
                     enum preamble_result *r)
{
    struct smtp_preamble_state *st = state;
    (void)line;
    if (!st->auth_due)
        return false;
    *r = credentials(d, out, why, CREDENTIALS);
    return true;
}

static enum preamble_result pre_input(void *state, struct dialogue *d,
                                      struct buf *in, struct buf *out,
                                      const char **why)
{
    struct smtp_preamble_state *st = state;
    return line_preamble_input(&lines, &st->line, st, d, in, out, why);
}

static void pre_clear(void *state)
{
    (void)state;
}

const struct preamble_ops smtp_preamble = {
    .name = "smtp",
    .size = sizeof(struct smtp_preamble_state),
    .input = pre_input,
    .clear = pre_clear,
};

/* ---- after TLS --------------------------------------------------------- */

struct smtp_app_state {
    struct line_state line;
    bool answered; /* the first MAIL was the connection's request */
    char refusal[256]; /* its answer if not 200, for a later MAIL too */
    bool mail;     /* a transaction is open (MAIL accepted) */
    int rcpts;
    bool data;     /* reading the message, up to its lone dot */
    size_t message_bytes;
    int auth_due; /* AUTH lines still to come */
};

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct smtp_app_state *st = state;
    (void)out;
    line_app_open(&st->line, d);
    return 0;
}

static int smtps_open(void *state, struct dialogue *d, struct buf *out)
{
    app_open(state, d, out);
    dialogue_at(d, "greeting");
    return greet(d, out);
}

/* The message itself (RFC 5321 section 4.1.1.4): read to the lone dot,
 * kept nowhere. */
static enum app_result data_line(struct smtp_app_state *st, const char *line,
                                 struct buf *out)
{
    if (strcmp(line, ".") != 0) {
        st->message_bytes += strlen(line) + 2;
        if (st->message_bytes > SMTP_MAX_MESSAGE) {
            st->line.bad = "552 5.3.4 Message too big";
            return APP_BAD;
        }
        return APP_MORE;
    }
    st->data = st->mail = false;
    st->rcpts = 0;
    dialogue_at(st->line.d, "end of DATA");
    return line_app_more(line_say(out, "250 2.0.0 Accepted by shakedown "
                                       "scenario %s and dropped",
                                  st->line.d->scenario));
}

/* AUTH PLAIN or LOGIN (RFC 4954), taken on trust: any credentials do. */
static enum app_result auth(struct smtp_app_state *st, const char *arg,
                            struct buf *out)
{
    char mech[16];
    const char *initial = line_verb(arg, mech, sizeof(mech));
    if (strcmp(mech, "PLAIN") == 0) {
        st->auth_due = initial[0] ? 0 : 1;
    } else if (strcmp(mech, "LOGIN") == 0) {
        st->auth_due = initial[0] ? 1 : 2;
    } else {
        return line_app_reply(out, "504 5.5.4 Unrecognized authentication "
                                   "type");
    }
    if (st->auth_due == 0)
        return line_app_reply(out, "235 2.7.0 Authentication successful");
    /* LOGIN asks "Username:" then "Password:", base64-encoded. */
    const char *ask = strcmp(mech, "PLAIN") == 0 ? ""
                      : st->auth_due == 2        ? "VXNlcm5hbWU6"
                                                 : "UGFzc3dvcmQ6";
    return line_app_more(line_say(out, "334 %s", ask));
}

static enum app_result auth_line(struct smtp_app_state *st, struct buf *out)
{
    if (--st->auth_due > 0)
        return line_app_reply(out, "334 UGFzc3dvcmQ6");
    return line_app_reply(out, "235 2.7.0 Authentication successful");
}

/* The message after DATA and the credentials after AUTH are not
 * commands. */
static bool app_text(void *state, const char *line, struct buf *out,
                     enum app_result *r)
{
    struct smtp_app_state *st = state;
    if (st->data)
        *r = data_line(st, line, out);
    else if (st->auth_due > 0)
        *r = auth_line(st, out);
    else
        return false;
    return true;
}

static enum app_result mail(struct smtp_app_state *st, const char *arg,
                            struct app_request *req, struct buf *out)
{
    if (st->mail)
        return line_app_reply(out, "503 5.5.1 Nested MAIL command");
    if (st->refusal[0] != '\0')
        return line_app_reply(out, st->refusal);
    if (st->answered) {
        st->mail = true;
        return line_app_reply(out, "250 2.1.0 Sender OK");
    }
    st->answered = true;
    if (strncasecmp(arg, "FROM:", 5) == 0)
        arg += 5;
    snprintf(req->method, sizeof(req->method), "MAIL");
    snprintf(req->target, sizeof(req->target), "%s", arg);
    req->protocol = "SMTP";
    req->grpc = false;
    return APP_REQUEST;
}

static enum app_result app_command(void *state, const char *verb,
                                   const char *arg, struct app_request *req,
                                   struct buf *out)
{
    struct smtp_app_state *st = state;
    if (strcmp(verb, "EHLO") == 0) {
        st->mail = false;
        st->rcpts = 0;
        return line_app_more(ehlo(st->line.d, arg, true, out));
    }
    if (strcmp(verb, "HELO") == 0)
        return line_app_more(line_say(out, "250 %s", st->line.d->host));
    if (strcmp(verb, "AUTH") == 0)
        return auth(st, arg, out);
    if (strcmp(verb, "MAIL") == 0)
        return mail(st, arg, req, out);
    if (strcmp(verb, "RCPT") == 0) {
        if (!st->mail)
            return line_app_reply(out, "503 5.5.1 MAIL first");
        st->rcpts++;
        return line_app_reply(out, "250 2.1.5 Recipient OK");
    }
    if (strcmp(verb, "DATA") == 0) {
        if (st->rcpts == 0)
            return line_app_reply(out, "503 5.5.1 RCPT first");
        st->data = true;
        st->message_bytes = 0;
        return line_app_reply(out, "354 End data with <CR><LF>.<CR><LF>");
    }
    if (strcmp(verb, "RSET") == 0) {
        st->mail = false;
        st->rcpts = 0;
        return line_app_reply(out, "250 2.0.0 OK");
    }
    if (strcmp(verb, "NOOP") == 0)
        return line_app_reply(out, "250 2.0.0 OK");
    if (strcmp(verb, "STARTTLS") == 0)
        return line_app_reply(out, "503 5.5.1 TLS already active");
    if (strcmp(verb, "QUIT") == 0)
        return line_say(out, "221 2.0.0 Bye") ? APP_ERROR : APP_DONE;
    return line_app_unknown(&lines, &st->line, out,
                            "500 5.5.2 Command not recognized");
}

static enum app_result app_input(void *state, const uint8_t *data,
                                 size_t len, struct app_request *req,
                                 struct buf *out)
{
    struct smtp_app_state *st = state;
    return line_app_input(&lines, &st->line, st, data, len, req, out);
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct smtp_app_state *st = state;
    if (status == 400)
        return line_app_bad(&lines, &st->line, out);
    if (status != 200) {
        const char *note = page->note ? page->note : "Refused";
        snprintf(st->refusal, sizeof(st->refusal), "530 5.7.0 %s", note);
        return line_say(out, "530 5.7.0 %s", note) ? -1 : 1;
    }
    st->mail = true;
    return line_say(out, "250 2.1.0 Sender OK: shakedown scenario %s over %s",
                    page->scenario->name, page->version)
               ? -1
               : 1;
}

static void app_clear(void *state)
{
    struct smtp_app_state *st = state;
    line_app_clear(&st->line);
}

static const struct line_protocol lines = {
    .too_long = "500 5.5.2 Line too long",
    .too_many = "421 4.7.0 Too many commands",
    .too_many_errors = "421 4.7.0 Too many errors",
    .error = "500 5.5.2 Error",
    .stranger = "the client sent commands that are not SMTP",
    .greet = greet,
    .pre_text = pre_text,
    .app_text = app_text,
    .pre_command = pre_command,
    .app_command = app_command,
};

const struct app_ops smtp_app = {
    .name = "smtp",
    .size = sizeof(struct smtp_app_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};

const struct app_ops smtps_app = {
    .name = "smtp",
    .size = sizeof(struct smtp_app_state),
    .open = smtps_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
