/*
 * Where a configured port ends up: moved by --port-offset, or any free
 * port under --ephemeral-ports. Plain arithmetic in one place, so that
 * what the catalogue lists, what the scenarios' listeners and the
 * dashboard bind, and what the errors say cannot disagree. Two small
 * functions, defined here (static inline) rather than in a ports.c.
 */
#ifndef SHAKEDOWN_PORTS_H
#define SHAKEDOWN_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PORTS_MAX 65535

struct ports_rule {
    int offset;     /* --port-offset */
    bool ephemeral; /* --ephemeral-ports: every port becomes 0 */
};

/* The port to bind for configured. Returns 0, or -1 when the offset
 * moves it above PORTS_MAX; *port holds the moved port either way, so
 * that a listing can show it. */
static inline int ports_resolve(const struct ports_rule *rule, int configured,
                                int *port)
{
    /* Port 0 asks the kernel for a free port: an offset must not turn it
     * into a fixed one. */
    if (rule->ephemeral || configured == 0) {
        *port = 0;
        return 0;
    }
    *port = configured + rule->offset;
    return *port > PORTS_MAX ? -1 : 0;
}

/* Why ports_resolve refused configured, into out: "port 9401 with
 * --port-offset 60000 is above 65535", what naming the port ("port",
 * "dashboard port"). Returns out. */
static inline const char *ports_explain(char *out, size_t size,
                                        const char *what, int configured,
                                        const struct ports_rule *rule)
{
    snprintf(out, size, "%s %d with --port-offset %d is above %d", what,
             configured, rule->offset, PORTS_MAX);
    return out;
}

#endif
