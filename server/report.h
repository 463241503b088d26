/*
 * What `shakedown test` found, and the forms it is written in: the table
 * on stdout, JSON, JUnit XML, and the baseline (a tab-separated file a
 * person can read, diff and edit) with the comparison against one.
 */
#ifndef SHAKEDOWN_REPORT_H
#define SHAKEDOWN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "grade.h"
#include "scenario.h"

/* One connection the client made to its scenario's port. */
struct test_conn {
    uint64_t id;
    bool closed; /* its verdict is in */
    enum scenario_outcome outcome;
    bool handshake_done;
    bool request; /* a request or dialogue was answered */
    char saw[200]; /* the outcome in words */
    enum grade server_grade; /* from the server's side alone */
};

/* One scenario: what was run, what the server saw, the grade. */
struct test_result {
    const struct scenario *s;
    int port;
    int plain_port; /* the [http] companion's; -1: none */
    char host[128]; /* what {host} became */
    char url[300];
    enum grade grade;
    bool inconsistent;
    bool accepted, decided; /* did the client take it; is that known */
    char why[1600];
    char **argv; /* as run (expanded); NULL: not run */
    bool started;  /* the process was spawned */
    bool exited;
    int exit_status;
    int term_signal; /* 0: none */
    bool timed_out;
    bool left_children; /* its process group outlived it */
    uint64_t ms;
    struct buf output; /* its stdout and stderr, the first bytes */
    uint64_t output_bytes; /* all it wrote */
    struct buf events_json; /* the server's trace of its connections */
    struct buf events_text;
    uint64_t events_dropped;
    struct test_conn *conns;
    size_t n_conns;
    size_t open_conns;
    const struct test_conn *decisive; /* the one graded; NULL: none */
};

struct test_run {
    struct test_result *results;
    size_t n;
    const char *client;  /* --client NAME, or NULL */
    char *const *argv;   /* the command, or NULL */
    int argc;
    const char *protocol;
    time_t started;
    double seconds;
    size_t counts[GRADE_COUNT];
    bool interrupted;
};

/* "client-alert", or "none" without a graded connection. */
const char *report_saw(const struct test_result *r);
/* "accepted", "refused" or "none". */
const char *report_behaviour(const struct test_result *r);

void report_table(const struct test_run *run, FILE *out);
void report_summary(const struct test_run *run, FILE *out);
/* The files; 0, or -1 with d filled. */
int report_json(const struct test_run *run, const char *path,
                struct diag *d);
int report_junit(const struct test_run *run, const char *path,
                 struct diag *d);
int baseline_write(const struct test_run *run, const char *path,
                   struct diag *d);
/* Prints what changed since the baseline at path to out. Returns how
 * many changes, or -1 with d filled (file:line for a malformed one). */
int baseline_compare(const struct test_run *run, const char *path, FILE *out,
                     struct diag *d);

#endif
