/*
 * A caller-owned diagnostic: where a configuration problem is (file and
 * line, line 0 meaning the whole file) and what it is. Loaders fill it;
 * main prints it as "file:line: message".
 */
#ifndef SHAKEDOWN_DIAG_H
#define SHAKEDOWN_DIAG_H

#include <stdio.h>

struct diag {
    char file[512];
    int line;
    char msg[1024];
};

/* Fills d (when d->msg is still empty) and returns -1. */
int diag_set(struct diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_clear(struct diag *d);
/* "file:line: msg" or "file: msg" */
void diag_print(const struct diag *d, FILE *out);

#endif
