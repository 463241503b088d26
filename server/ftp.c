/*
 * The FTP control dialogue. Before TLS: the greeting, FEAT offering AUTH
 * TLS and the go-ahead (RFC 4217 section 4). After it: USER, PASS (the
 * request the connection answers), PBSZ and PROT (RFC 4217 section 9),
 * and the commands clients send around a transfer; no data connection is
 * ever opened, and the replies say so.
 */
#include "ftp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "line.h"

static const char *const CREDENTIALS =
    "the client sent credentials without TLS";

/* Defined at the end, with the functions it names. */
static const struct line_protocol lines;

static const char *const NO_DATA = "425 No data connection in shakedown";
static const char *const NO_PASSIVE =
    "502 No data connection in shakedown: none is offered";
static const char *const NO_FILE = "550 No such file: shakedown serves none";
static const char *const READ_ONLY =
    "550 Permission denied: shakedown is read-only";
static const char *const CWD = "250 The only directory is \"/\"";

/* Commands with one fixed answer; login: not before a successful PASS
 * (RFC 959 section 5.4 gives 530 for those). */
static const struct canned {
    const char *verb;
    bool login;
    const char *reply;
} CANNED[] = {
    {"NOOP", false, "200 NOOP ok"},
    {"SYST", false, "215 UNIX Type: L8"},
    {"HELP", false, "214 shakedown: FEAT lists what is served"},
    {"ABOR", false, "225 No transfer to abort"},
    {"OPTS", false, "501 Option not understood"},
    {"PWD", true, "257 \"/\" is the current directory"},
    {"XPWD", true, "257 \"/\" is the current directory"},
    {"CWD", true, CWD},
    {"XCWD", true, CWD},
    {"CDUP", true, CWD},
    {"XCUP", true, CWD},
    {"SIZE", true, NO_FILE},
    {"MDTM", true, NO_FILE},
    {"PASV", true, NO_PASSIVE},
    {"EPSV", true, NO_PASSIVE},
    {"PORT", true, NO_PASSIVE},
    {"EPRT", true, NO_PASSIVE},
    {"LIST", true, NO_DATA},
    {"NLST", true, NO_DATA},
    {"MLSD", true, NO_DATA},
    {"RETR", true, NO_DATA},
    {"STOR", true, NO_DATA},
    {"STOU", true, NO_DATA},
    {"APPE", true, NO_DATA},
    {"MKD", true, READ_ONLY},
    {"XMKD", true, READ_ONLY},
    {"RMD", true, READ_ONLY},
    {"XRMD", true, READ_ONLY},
    {"DELE", true, READ_ONLY},
    {"RNFR", true, READ_ONLY},
    {"RNTO", true, READ_ONLY},
    {"SITE", true, READ_ONLY},
    {"ALLO", true, "202 No storage allocation necessary"},
    /* Answered by their own functions after login. */
    {"TYPE", true, NULL},
    {"REST", true, NULL},
};

static const struct canned *find(const char *verb)
{
    for (size_t i = 0; i < sizeof(CANNED) / sizeof(CANNED[0]); i++)
        if (strcmp(verb, CANNED[i].verb) == 0)
            return &CANNED[i];
    return NULL;
}

static bool is(const char *verb, const char *word)
{
    return strcmp(verb, word) == 0;
}

static const char *or_unknown(const char *s)
{
    return s != NULL ? s : "unknown";
}

static int greet(const struct dialogue *d, struct buf *out)
{
    return line_say(out, "220 shakedown scenario %s ready", d->scenario);
}

/* FEAT's answer (RFC 2389 section 3.2): one feature per line, each after
 * a space; with nothing to list, the single-line form. */
static int feat(const struct dialogue *d, bool tls, struct buf *out)
{
    if (!tls && d->strip)
        return line_say(out, "211 No features");
    int rc = line_say(out, "211-Features:");
    if (!tls)
        rc |= line_say(out, " AUTH TLS");
    rc |= line_say(out, " PBSZ");
    rc |= line_say(out, " PROT");
    rc |= line_say(out, "211 End");
    return rc;
}

/* ---- before TLS -------------------------------------------------------- */

struct ftp_preamble_state {
    struct line_state line;
};

/* AUTH TLS (RFC 4217 section 4); curl tries AUTH SSL first, and TLS-C
 * is the draft's name for the same thing. */
static enum preamble_result auth(struct dialogue *d, const char *arg,
                                 struct buf *out)
{
    char mech[16];
    line_verb(arg, mech, sizeof(mech));
    if (d->strip)
        return line_pre_more(line_say(out, "502 Command not implemented"));
    if (mech[0] == '\0')
        return line_pre_more(line_say(out, "501 Syntax: AUTH TLS"));
    if (!is(mech, "TLS") && !is(mech, "SSL") && !is(mech, "TLS-C"))
        return line_pre_more(line_say(out, "504 Security mechanism not "
                                           "understood"));
    if (d->refuse)
        return line_pre_more(line_say(out, "534 Request denied for policy "
                                           "reasons"));
    if (line_say(out, "234 AUTH TLS successful") != 0 ||
        (d->inject != NULL &&
         buf_append(out, d->inject, strlen(d->inject)) != 0))
        return PREAMBLE_CLOSE;
    return PREAMBLE_TLS;
}

static enum preamble_result pre_command(void *state, struct dialogue *d,
                                        const char *verb, const char *arg,
                                        struct buf *out, const char **why)
{
    struct ftp_preamble_state *st = state;
    const struct canned *s = find(verb);
    if (is(verb, "FEAT"))
        return line_pre_more(feat(d, false, out));
    if (is(verb, "AUTH"))
        return auth(d, arg, out);
    if (is(verb, "USER") || is(verb, "PASS") || is(verb, "ACCT")) {
        d->misstep = CREDENTIALS;
        return line_pre_close(out, "530 Issue AUTH TLS first: no "
                                   "credentials in the clear",
                              why, CREDENTIALS);
    }
    if (is(verb, "QUIT"))
        return line_pre_close(out, "221 Goodbye", why,
                              "the client quit before TLS");
    /* RFC 4217 section 9: PBSZ (and so PROT) only after AUTH. */
    if (is(verb, "PBSZ") || is(verb, "PROT") || is(verb, "CCC"))
        return line_pre_more(line_say(out, "503 Issue AUTH TLS first"));
    if (s != NULL && s->login)
        return line_pre_more(line_say(out, "530 Please login with USER and "
                                           "PASS"));
    if (s != NULL)
        return line_pre_more(line_say(out, "%s", s->reply));
    return line_pre_unknown(&lines, &st->line, out, why,
                            "500 Command not understood");
}

static enum preamble_result pre_input(void *state, struct dialogue *d,
                                      struct buf *in, struct buf *out,
                                      const char **why)
{
    struct ftp_preamble_state *st = state;
    return line_preamble_input(&lines, &st->line, st, d, in, out, why);
}

static void pre_clear(void *state)
{
    (void)state;
}

const struct preamble_ops ftp_preamble = {
    .name = "ftp",
    .size = sizeof(struct ftp_preamble_state),
    .input = pre_input,
    .clear = pre_clear,
};

/* ---- after TLS --------------------------------------------------------- */

struct ftp_app_state {
    struct line_state line;
    char user[256]; /* from USER: PASS's request names it */
    bool has_user;
    bool logged_in;
};

static int app_open(void *state, struct dialogue *d, struct buf *out)
{
    struct ftp_app_state *st = state;
    (void)out;
    line_app_open(&st->line, d);
    return 0;
}

static int ftps_open(void *state, struct dialogue *d, struct buf *out)
{
    app_open(state, d, out);
    dialogue_step(d, "greeting");
    d->commands = 0;
    return greet(d, out);
}

static bool digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static enum app_result user(struct ftp_app_state *st, const char *arg,
                            struct buf *out)
{
    /* One login per connection: the request is answered once. */
    if (st->logged_in)
        return line_app_reply(out, "503 Already logged in");
    if (arg[0] == '\0')
        return line_app_reply(out, "501 Syntax: USER name");
    snprintf(st->user, sizeof(st->user), "%s", arg);
    st->has_user = true;
    return line_app_reply(out, "331 Password required");
}

static enum app_result pass(struct ftp_app_state *st,
                            struct app_request *req, struct buf *out)
{
    /* RFC 959 section 4.1.1: PASS right after USER. */
    if (!st->has_user)
        return line_app_reply(out, "503 Login with USER first");
    st->has_user = false;
    snprintf(req->method, sizeof(req->method), "PASS");
    snprintf(req->target, sizeof(req->target), "%s", st->user);
    req->protocol = "FTP";
    req->grpc = false;
    return APP_REQUEST;
}

/* PROT (RFC 4217 section 9): Private and Clear are what TLS gives; Safe
 * and Confidential are RFC 2228's other levels. */
static enum app_result prot(const char *arg, struct buf *out)
{
    char level = (char)toupper((unsigned char)arg[0]);
    if (arg[0] == '\0' || arg[1] != '\0')
        return line_app_reply(out, "501 Syntax: PROT P or PROT C");
    if (level == 'P' || level == 'C')
        return line_app_more(line_say(out, "200 Protection level set to %c",
                                      level));
    if (level == 'S' || level == 'E')
        return line_app_reply(out, "536 Protection level not served");
    return line_app_reply(out, "504 Unknown protection level");
}

/* TYPE (RFC 959 section 3.1.1): ASCII, image and local bytes. */
static enum app_result type(const char *arg, struct buf *out)
{
    char kind = (char)toupper((unsigned char)arg[0]);
    if (kind == 'A' || kind == 'I' || kind == 'L')
        return line_app_more(line_say(out, "200 Type set to %c", kind));
    if (kind == '\0')
        return line_app_reply(out, "501 Syntax: TYPE A or TYPE I");
    return line_app_reply(out, "504 Type not served");
}

static enum app_result rest(const char *arg, struct buf *out)
{
    if (!digits(arg) || strlen(arg) > 20)
        return line_app_reply(out, "501 Syntax: REST offset");
    return line_app_more(line_say(out, "350 Restarting at %s", arg));
}

/* What the table answers, or its own function for TYPE and REST. */
static enum app_result canned(const struct ftp_app_state *st,
                              const struct canned *s, const char *arg,
                              struct buf *out)
{
    if (s->login && !st->logged_in)
        return line_app_reply(out, "530 Please login with USER and PASS");
    if (is(s->verb, "TYPE"))
        return type(arg, out);
    if (is(s->verb, "REST"))
        return rest(arg, out);
    return line_app_reply(out, s->reply);
}

/* The commands that are not in the table; APP_BAD when the verb is not
 * FTP at all. */
static enum app_result command(struct ftp_app_state *st, const char *verb,
                               const char *arg, struct app_request *req,
                               struct buf *out)
{
    if (is(verb, "USER"))
        return user(st, arg, out);
    if (is(verb, "PASS"))
        return pass(st, req, out);
    if (is(verb, "ACCT"))
        return line_app_reply(out, "202 ACCT not needed");
    if (is(verb, "FEAT"))
        return line_app_more(feat(st->line.d, true, out));
    /* RFC 4217 section 9: any buffer size is answered with PBSZ=0. */
    if (is(verb, "PBSZ"))
        return line_app_reply(out, digits(arg) ? "200 PBSZ=0"
                                               : "501 Syntax: PBSZ 0");
    if (is(verb, "PROT"))
        return prot(arg, out);
    if (is(verb, "AUTH"))
        return line_app_reply(out, "503 TLS is already active");
    /* RFC 4217 section 6: the control connection stays encrypted. */
    if (is(verb, "CCC"))
        return line_app_reply(out, "534 CCC denied for policy reasons");
    return line_app_unknown(&lines, &st->line, out,
                            "500 Command not understood");
}

static enum app_result app_command(void *state, const char *verb,
                                   const char *arg, struct app_request *req,
                                   struct buf *out)
{
    struct ftp_app_state *st = state;
    if (is(verb, "QUIT"))
        return line_say(out, "221 Goodbye from shakedown scenario %s",
                        st->line.d->scenario)
                   ? APP_ERROR
                   : APP_DONE;
    const struct canned *s = find(verb);
    if (s != NULL)
        return canned(st, s, arg, out);
    return command(st, verb, arg, req, out);
}

static enum app_result app_input(void *state, const uint8_t *data,
                                 size_t len, struct app_request *req,
                                 struct buf *out)
{
    struct ftp_app_state *st = state;
    return line_app_input(&lines, &st->line, st, data, len, req, out);
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    struct ftp_app_state *st = state;
    if (status == 400)
        return line_app_bad(&lines, &st->line, out);
    if (status != 200)
        return line_say(out, "530 %s", page->note ? page->note : "Refused")
                   ? -1
                   : 1;
    st->logged_in = true;
    return line_say(out, "230 Logged in to shakedown scenario %s over %s "
                         "(%s)",
                    page->scenario->name, or_unknown(page->version),
                    or_unknown(page->cipher))
               ? -1
               : 1;
}

static void app_clear(void *state)
{
    struct ftp_app_state *st = state;
    line_app_clear(&st->line);
}

static const struct line_protocol lines = {
    .too_long = "500 Line too long",
    .too_many = "421 Too many commands",
    .too_many_errors = "421 Too many errors",
    .error = "500 Error",
    .stranger = "the client sent commands that are not FTP",
    .greet = greet,
    .pre_command = pre_command,
    .app_command = app_command,
};

const struct app_ops ftp_app = {
    .name = "ftp",
    .size = sizeof(struct ftp_app_state),
    .open = app_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};

const struct app_ops ftps_app = {
    .name = "ftp",
    .size = sizeof(struct ftp_app_state),
    .open = ftps_open,
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
