/*
 * Line reading for the text dialogues, and their loops before and after
 * TLS. LF ends a line (RFC 5321 asks for CRLF; a lone LF is taken too,
 * as most servers do).
 */
#include "line.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dialogue.h"

enum line_result line_take(struct buf *in, char *out, size_t size)
{
    size_t avail = buf_pending(in);
    if (avail == 0) /* an empty buffer may have no storage at all */
        return size > 1 ? LINE_MORE : LINE_TOO_LONG;
    const char *p = (const char *)buf_head(in);
    const char *lf = memchr(p, '\n', avail);
    if (lf == NULL)
        return avail >= size ? LINE_TOO_LONG : LINE_MORE;
    size_t n = (size_t)(lf - p);
    if (n >= size)
        return LINE_TOO_LONG;
    memcpy(out, p, n);
    out[n] = '\0';
    if (n > 0 && out[n - 1] == '\r')
        out[n - 1] = '\0';
    buf_consume(in, n + 1);
    return LINE_OK;
}

const char *line_verb(const char *line, char *verb, size_t size)
{
    size_t i = 0;
    while (*line == ' ')
        line++;
    while (*line != '\0' && *line != ' ') {
        if (i + 1 < size)
            verb[i++] = (char)toupper((unsigned char)*line);
        line++;
    }
    if (size > 0)
        verb[i] = '\0';
    while (*line == ' ')
        line++;
    return line;
}

static int say(struct buf *out, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static int say(struct buf *out, const char *fmt, va_list ap)
{
    char text[DIALOGUE_MAX_LINE + 3];
    int n = vsnprintf(text, sizeof(text) - 2, fmt, ap);
    if (n < 0)
        return -1;
    size_t len = (size_t)n < sizeof(text) - 2 ? (size_t)n : sizeof(text) - 3;
    text[len++] = '\r';
    text[len++] = '\n';
    return buf_append(out, text, len);
}

int line_say(struct buf *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = say(out, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- before TLS -------------------------------------------------------- */

enum preamble_result line_pre_close(struct buf *out, const char *reply,
                                    const char **why, const char *reason)
{
    *why = reason;
    (void)line_say(out, "%s", reply); /* closing either way */
    return PREAMBLE_CLOSE;
}

enum preamble_result line_pre_more(int rc)
{
    return rc ? PREAMBLE_CLOSE : PREAMBLE_MORE;
}

enum preamble_result line_pre_unknown(const struct line_protocol *p,
                                      struct line_state *ls, struct buf *out,
                                      const char **why, const char *fmt, ...)
{
    if (++ls->errors >= LINE_MAX_ERRORS)
        return line_pre_close(out, p->too_many_errors, why, p->stranger);
    va_list ap;
    va_start(ap, fmt);
    int rc = say(out, fmt, ap);
    va_end(ap);
    return line_pre_more(rc);
}

static const char *split(const struct line_protocol *p, void *state,
                         const char *line, char *verb, size_t size)
{
    if (p->split != NULL)
        return p->split(state, line, verb, size);
    return line_verb(line, verb, size);
}

/* One line: a command, or the text a command asked for. */
static enum preamble_result pre_line(const struct line_protocol *p,
                                     struct line_state *ls, void *state,
                                     struct dialogue *d, const char *line,
                                     struct buf *out, const char **why)
{
    char verb[16];
    enum preamble_result r;
    if (p->pre_text != NULL && p->pre_text(state, d, line, out, why, &r))
        return r;
    const char *arg = split(p, state, line, verb, sizeof(verb));
    if (!dialogue_step(d, verb))
        return line_pre_close(out, p->too_many, why,
                              "the client sent too many commands");
    int errors = ls->errors;
    r = p->pre_command(state, d, verb, arg, out, why);
    if (ls->errors == errors)
        ls->errors = 0;
    return r;
}

enum preamble_result line_preamble_input(const struct line_protocol *p,
                                         struct line_state *ls, void *state,
                                         struct dialogue *d, struct buf *in,
                                         struct buf *out, const char **why)
{
    char line[DIALOGUE_MAX_LINE];
    if (!ls->greeted) {
        ls->greeted = true;
        dialogue_at(d, "greeting");
        if (p->greet(d, out) != 0)
            return PREAMBLE_CLOSE;
    }
    for (;;) {
        /* A ClientHello where a command was due (no command or tag starts
         * with 0x16): the client takes this port for implicit TLS
         * (SMTPS, IMAPS, POP3S, FTPS), or starts TLS although STARTTLS
         * was refused or not offered (openssl s_client "tries anyway"). */
        if (buf_pending(in) > 0 && buf_head(in)[0] == 0x16) {
            *why = "the client started TLS without STARTTLS";
            return PREAMBLE_CLOSE;
        }
        switch (line_take(in, line, sizeof(line))) {
        case LINE_MORE:
            return PREAMBLE_MORE;
        case LINE_TOO_LONG:
            return line_pre_close(out, p->too_long, why,
                                  "the client sent a line over the limit");
        case LINE_OK:
            break;
        }
        enum preamble_result r = pre_line(p, ls, state, d, line, out, why);
        if (r != PREAMBLE_MORE)
            return r;
    }
}

/* ---- after TLS --------------------------------------------------------- */

void line_app_open(struct line_state *ls, struct dialogue *d)
{
    ls->d = d;
}

enum app_result line_app_reply(struct buf *out, const char *text)
{
    return line_say(out, "%s", text) ? APP_ERROR : APP_MORE;
}

enum app_result line_app_more(int rc)
{
    return rc ? APP_ERROR : APP_MORE;
}

enum app_result line_app_unknown(const struct line_protocol *p,
                                 struct line_state *ls, struct buf *out,
                                 const char *reply)
{
    if (++ls->errors >= LINE_MAX_ERRORS) {
        ls->bad = p->too_many_errors;
        return APP_BAD;
    }
    return line_app_reply(out, reply);
}

/* One line: a command, or the text a command asked for. */
static enum app_result app_line(const struct line_protocol *p,
                                struct line_state *ls, void *state,
                                const char *line, struct app_request *req,
                                struct buf *out)
{
    char verb[16];
    enum app_result r;
    if (p->app_text != NULL && p->app_text(state, line, out, &r))
        return r;
    const char *arg = split(p, state, line, verb, sizeof(verb));
    if (!dialogue_step(ls->d, verb)) {
        ls->bad = p->too_many;
        return APP_BAD;
    }
    int errors = ls->errors;
    r = p->app_command(state, verb, arg, req, out);
    if (ls->errors == errors)
        ls->errors = 0;
    return r;
}

enum app_result line_app_input(const struct line_protocol *p,
                               struct line_state *ls, void *state,
                               const uint8_t *data, size_t len,
                               struct app_request *req, struct buf *out)
{
    char line[DIALOGUE_MAX_LINE];
    if (len > 0 && buf_append(&ls->in, data, len) != 0)
        return APP_ERROR;
    for (;;) {
        switch (line_take(&ls->in, line, sizeof(line))) {
        case LINE_MORE:
            return APP_MORE;
        case LINE_TOO_LONG:
            ls->bad = p->too_long;
            return APP_BAD;
        case LINE_OK:
            break;
        }
        enum app_result r = app_line(p, ls, state, line, req, out);
        if (r != APP_MORE)
            return r;
    }
}

int line_app_bad(const struct line_protocol *p, const struct line_state *ls,
                 struct buf *out)
{
    return line_say(out, "%s", ls->bad ? ls->bad : p->error) ? -1 : 0;
}

void line_app_clear(struct line_state *ls)
{
    buf_free(&ls->in);
}
