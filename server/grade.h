/*
 * Grading a client by what the server saw: the scenario's intent (must
 * fail, should succeed, depends on the client) against how its
 * connection ended, and, when the client was run by `shakedown test`,
 * its exit status beside it. One place, so that the trace's verdict,
 * the scoreboard (`shakedown watch`, the dashboard) and the runner say
 * the same thing in the same words. Plain C: no loop, no socket.
 */
#ifndef SHAKEDOWN_GRADE_H
#define SHAKEDOWN_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

enum grade_intent {
    INTENT_SUCCEED, /* the outcomes say: completed, nothing else */
    INTENT_FAIL,    /* a correct client never completes */
    INTENT_DEPENDS  /* completed among other outcomes */
};

enum grade {
    GRADE_PASS,
    GRADE_FAIL,
    GRADE_INFO,  /* "depends": the behaviour, as information */
    GRADE_ERROR, /* nothing to grade: no connection, no start, a hang */
    GRADE_SKIP,  /* not run: unavailable, or no command for it */
    GRADE_COUNT
};

enum grade_intent grade_intent(const struct scenario *s);
const char *grade_intent_name(enum grade_intent i); /* "fail" ... */
const char *grade_name(enum grade g);               /* "PASS" ... */
/* "PASS" -> GRADE_PASS; -1 for anything else. */
int grade_parse(const char *name);

/* What the server can tell of whether the client took the connection. */
enum grade_view {
    VIEW_ACCEPTED,  /* it sent a request (an error page included), or went
                       on in plaintext */
    VIEW_REFUSED,   /* it refused, hung up or was refused before TLS was
                       complete */
    VIEW_UNDECIDED  /* TLS completed, then nothing was asked or a fault
                       cut the exchange: only the client knows (a host
                       name check after the handshake, a cut response) */
};

/* What there is to grade one connection by. */
struct grade_input {
    enum scenario_outcome outcome;
    bool handshake_done; /* before any fault acted */
    bool request;        /* a request (or dialogue) was answered */
    const char *saw;     /* the outcome in words, from the trace */
    bool have_exit;      /* the client's exit status is known */
    int exit_status;     /* with have_exit: 0 is success */
};

enum grade_view grade_view(const struct grade_input *in);

struct grade_result {
    enum grade grade;
    /* Whether the client took the connection: what the server saw, or
     * with the exit status where the server cannot tell. */
    bool accepted;
    bool decided;      /* accepted is known (not so on the server alone) */
    bool inconsistent; /* the exit status contradicts what the server saw */
    char why[1536];    /* one sentence, the explain with it */
};

/* Grades one connection of scenario s. */
void grade_judge(const struct scenario *s, const struct grade_input *in,
                 struct grade_result *out);

#endif
