/*
 * Command lines out of a byte buffer, for the text protocols' dialogues
 * (SMTP, IMAP, POP3, FTP): one line at a time up to its LF, the CR
 * before it dropped, with a bound on its length; and the loops that read
 * them before and after TLS, which hand each command to the protocol.
 */
#ifndef SHAKEDOWN_LINE_H
#define SHAKEDOWN_LINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "buf.h"
#include "dialogue.h"
#include "preamble.h"

/* Syntax errors in a row before the server gives up on the client. */
#define LINE_MAX_ERRORS 3

enum line_result {
    LINE_OK,      /* a line is in out; it has left in */
    LINE_MORE,    /* no LF yet: wait for more */
    LINE_TOO_LONG /* more than size - 1 bytes without an LF */
};

/* Takes one line from in into out (size bytes, NUL-terminated; a NUL
 * byte in the line ends the string early). */
enum line_result line_take(struct buf *in, char *out, size_t size);

/* The command word of line, upper-cased into verb (at most size - 1
 * characters, longer words truncated); returns what follows it, with
 * leading spaces skipped. */
const char *line_verb(const char *line, char *verb, size_t size);

/* Appends one reply line, formatted and ended with CRLF, to out (a
 * line longer than DIALOGUE_MAX_LINE is cut there). Returns 0, or a
 * negative errno when out of memory. */
int line_say(struct buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- the dialogue loops ------------------------------------------------ */

/* A text protocol as the loops below see it: what it says at the limits
 * every dialogue holds the client to (DIALOGUE_MAX_LINE,
 * DIALOGUE_MAX_COMMANDS, LINE_MAX_ERRORS), and its commands. */
struct line_protocol {
    /* Sent before the connection closes: before TLS by the loop itself,
     * after TLS by respond(400) (line_app_bad). */
    const char *too_long;        /* "500 5.5.2 Line too long" */
    const char *too_many;        /* "421 4.7.0 Too many commands" */
    const char *too_many_errors; /* "421 4.7.0 Too many errors" */
    const char *error;           /* respond(400) with nothing found */
    /* The why for too many errors before TLS: "the client sent commands
     * that are not SMTP". */
    const char *stranger;
    /* The greeting a server that speaks first sends at accept. */
    int (*greet)(const struct dialogue *d, struct buf *out);
    /* Splits a command line: the word the trace shows into verb, and
     * returns the arguments, or NULL when the line is not a command
     * (IMAP: no valid tag). NULL: line_verb. */
    const char *(*split)(void *state, const char *line, char *verb,
                         size_t size);
    /* A line that is not a command (SMTP: the credentials after AUTH,
     * the message after DATA), neither counted nor stepped: returns true
     * when state waits for one, with what it made of line in *r. NULL:
     * every line is a command. */
    bool (*pre_text)(void *state, struct dialogue *d, const char *line,
                     struct buf *out, const char **why,
                     enum preamble_result *r);
    bool (*app_text)(void *state, const char *line, struct buf *out,
                     enum app_result *r);
    /* Answers one command, before TLS and after it. A command that is
     * not the protocol's goes through line_pre_unknown or
     * line_app_unknown; any other resets the count of errors in a row. */
    enum preamble_result (*pre_command)(void *state, struct dialogue *d,
                                        const char *verb, const char *arg,
                                        struct buf *out, const char **why);
    enum app_result (*app_command)(void *state, const char *verb,
                                   const char *arg, struct app_request *req,
                                   struct buf *out);
};

/* The loops' part of a protocol's state, embedded in it (zeroed to
 * start, as the state is). */
struct line_state {
    bool greeted;       /* before TLS: the greeting is out */
    int errors;         /* commands not of the protocol, in a row */
    struct dialogue *d; /* after TLS: kept by line_app_open */
    struct buf in;      /* after TLS: what the next commands are read from */
    const char *bad;    /* after TLS: what respond(400) says */
};

/* The preamble's input (preamble_ops.input): greets once, then answers
 * the commands in in until one ends the dialogue or is unfinished. */
enum preamble_result line_preamble_input(const struct line_protocol *p,
                                         struct line_state *ls, void *state,
                                         struct dialogue *d, struct buf *in,
                                         struct buf *out, const char **why);

/* Appends reply and returns PREAMBLE_CLOSE with why = reason. */
enum preamble_result line_pre_close(struct buf *out, const char *reply,
                                    const char **why, const char *reason);
/* PREAMBLE_MORE for rc 0 (line_say's success), PREAMBLE_CLOSE else. */
enum preamble_result line_pre_more(int rc);
/* A command that is not the protocol's before TLS: the reply formatted
 * from fmt, or after LINE_MAX_ERRORS in a row p->too_many_errors and
 * PREAMBLE_CLOSE with why = p->stranger. */
enum preamble_result line_pre_unknown(const struct line_protocol *p,
                                      struct line_state *ls, struct buf *out,
                                      const char **why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* app_ops.open's part: keeps d. */
void line_app_open(struct line_state *ls, struct dialogue *d);
/* app_ops.input: buffers data and answers the commands in it until the
 * request, the client's end, a limit, or an unfinished line. */
enum app_result line_app_input(const struct line_protocol *p,
                               struct line_state *ls, void *state,
                               const uint8_t *data, size_t len,
                               struct app_request *req, struct buf *out);
/* app_ops.respond(400): says what line_app_input found; returns 0 (the
 * connection ends), or -1. */
int line_app_bad(const struct line_protocol *p, const struct line_state *ls,
                 struct buf *out);
/* app_ops.clear's part. */
void line_app_clear(struct line_state *ls);

/* Appends text as a reply line: APP_MORE, or APP_ERROR. */
enum app_result line_app_reply(struct buf *out, const char *text);
/* APP_MORE for rc 0 (line_say's success), APP_ERROR else. */
enum app_result line_app_more(int rc);
/* A command that is not the protocol's after TLS: reply, or after
 * LINE_MAX_ERRORS in a row APP_BAD for p->too_many_errors. */
enum app_result line_app_unknown(const struct line_protocol *p,
                                 struct line_state *ls, struct buf *out,
                                 const char *reply);

#endif
