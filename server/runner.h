/*
 * `shakedown test`: the server, in-process on ephemeral ports, grades a
 * client by running it once per scenario and reading what the server
 * saw of its connections (see grade.h), with the client's exit status
 * beside it. A table on stdout; JUnit, JSON and a baseline on request.
 */
#ifndef SHAKEDOWN_RUNNER_H
#define SHAKEDOWN_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "server.h"

struct runner_options {
    int jobs;            /* clients at once */
    uint64_t timeout_ms; /* per client run; then its group is killed */
    const char *junit;   /* files to write; NULL: none */
    const char *json;
    const char *baseline; /* to compare with */
    const char *write_baseline;
    const char *client; /* --client NAME: the catalogue's commands */
    bool quiet;         /* no table */
    char *const *argv;  /* the command after "--"; NULL with client */
    int argc;
};

/* Runs every scenario srv was prepared with (listening, on the default
 * loop, is the runner's business) and reports. Returns the exit status:
 * 0 when nothing failed (with a baseline: nothing changed), 1 otherwise,
 * 2 for bad usage found late (a malformed baseline). */
int runner_run(struct server *srv, const struct runner_options *o);

#endif
