/*
 * Line reading for the text dialogues. LF ends a line (RFC 5321 asks
 * for CRLF; a lone LF is taken too, as most servers do).
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

int line_say(struct buf *out, const char *fmt, ...)
{
    char text[DIALOGUE_MAX_LINE + 3];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text) - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    size_t len = (size_t)n < sizeof(text) - 2 ? (size_t)n : sizeof(text) - 3;
    text[len++] = '\r';
    text[len++] = '\n';
    return buf_append(out, text, len);
}
