/*
 * Diagnostics with a location. The first problem wins: later calls do not
 * overwrite it, so the user sees the cause rather than a consequence.
 */
#include "diag.h"

#include <stdarg.h>
#include <string.h>

int diag_set(struct diag *d, const char *file, int line, const char *fmt, ...)
{
    if (d == NULL || d->msg[0] != '\0')
        return -1;
    snprintf(d->file, sizeof(d->file), "%s", file ? file : "");
    d->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    va_end(ap);
    return -1;
}

void diag_clear(struct diag *d)
{
    memset(d, 0, sizeof(*d));
}

void diag_print(const struct diag *d, FILE *out)
{
    if (d->file[0] != '\0' && d->line > 0)
        fprintf(out, "%s:%d: %s\n", d->file, d->line, d->msg);
    else if (d->file[0] != '\0')
        fprintf(out, "%s: %s\n", d->file, d->msg);
    else
        fprintf(out, "%s\n", d->msg);
}
