/*
 * Cipher-suite names as data: every name (wolfSSL's, IANA's, aliases) and
 * cipher-list keyword that some build of wolfSSL 5.5.4 accepts, whatever
 * this one was compiled with. Plain C: the loader uses it to tell a typo
 * from a suite this build leaves out.
 */
#ifndef SHAKEDOWN_SUITES_H
#define SHAKEDOWN_SUITES_H

#include <stdbool.h>
#include <stddef.h>

#define SUITES_NAME_MAX 64 /* longer than any known name */

/* The first element of a list that is not known. */
struct suites_unknown {
    const char *name; /* into the list, not terminated: len bytes */
    int len;
    char hint[160]; /* why, or the spelling that was probably meant */
};

/* The IANA name of a suite known by either name ("AES128-SHA":
 * "TLS_RSA_WITH_AES_128_CBC_SHA"), or NULL for a keyword or an unknown
 * name. */
const char *suites_iana(const char *name);
/* A suite name, or a keyword ("HIGH", "!aNULL"), wolfSSL 5.5.4 knows. */
bool suites_known(const char *name);
/* Checks every element of a ':'-separated list. Returns 0, or -1 with
 * bad filled for the first unknown (or empty) element. */
int suites_check_list(const char *list, struct suites_unknown *bad);

#endif
