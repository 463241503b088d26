/*
 * Command lines out of a byte buffer, for the text protocols' dialogues
 * (SMTP, IMAP, POP3, FTP): one line at a time up to its LF, the CR
 * before it dropped, with a bound on its length.
 */
#ifndef SHAKEDOWN_LINE_H
#define SHAKEDOWN_LINE_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"

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

#endif
