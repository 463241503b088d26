/*
 * `shakedown watch`: the server as usual, and a scoreboard of the last
 * connection any client made to each scenario, graded by what the server
 * saw (grade.h, without an exit status): for a client nobody can script.
 * On a terminal the table is redrawn; otherwise a line per connection.
 */
#ifndef SHAKEDOWN_WATCH_H
#define SHAKEDOWN_WATCH_H

#include <stdio.h>

#include "server.h"

/* Listens and serves until SIGINT or SIGTERM. Returns the exit status. */
int watch_run(struct server *srv, FILE *out);

#endif
