/*
 * The catalogue: the scenarios as people and tools read them. A table at
 * start-up, --list as text, JSON or Markdown (the README's table), and the
 * exact client command each [expect.*] entry stands for.
 */
#ifndef SHAKEDOWN_CATALOGUE_H
#define SHAKEDOWN_CATALOGUE_H

#include <stdio.h>

#include "buf.h"
#include "entry.h"
#include "scenario.h"

/* What the catalogue and the dashboard read of a running server: its
 * current entries (a reload replaces them), where the certificates are,
 * and how configured ports move. The server owns it and keeps it current;
 * readers never see the server itself. */
struct catalogue_view {
    struct entry *const *entries;
    size_t n_entries;
    const char *certs_dir;
    const char *bind;
    int port_offset; /* --port-offset and the protocol's */
    bool ephemeral;  /* --ephemeral-ports */
    enum protocol_id protocol;
    const char *dashboard_url; /* NULL: no dashboard */
    unsigned generation;       /* one more at each reload */
};

enum catalogue_format {
    CATALOGUE_TABLE,
    CATALOGUE_JSON,
    CATALOGUE_MARKDOWN
};

void catalogue_print(const struct catalogue_view *v, enum catalogue_format f,
                     FILE *out);
/* The start-up banner: what is listening where, and the CA to trust. */
void catalogue_print_serving(const struct catalogue_view *v, FILE *out);
size_t catalogue_count_unavailable(const struct catalogue_view *v);
/* The --list --json document (ports as bound once listening) into b.
 * Returns 0, or -1 when out of memory. */
int catalogue_json(const struct catalogue_view *v, struct buf *b);
/* "fail", "succeed" or "depends": what a correct client does, from the
 * outcomes the scenario lists. */
const char *catalogue_intent(const struct scenario *s);
/* The client's plain [expect.CLIENT] entry (no variant), or NULL. */
const struct scenario_expect *catalogue_expect(const struct scenario *s,
                                              const char *client);

/* The same over protocol p. */
const struct scenario_expect *
catalogue_expect_over(const struct scenario *s, const char *client,
                      enum protocol_id p);
/* "curl, openssl, ...": every client the catalogue has commands for. */
void catalogue_clients(char *out, size_t size);

/* "curl 7.88": the client version generation g's expectations were
 * verified with; NULL for an unknown client or generation. */
const char *catalogue_client_version(const char *client,
                                     enum scenario_generation g);

/* The client the catalogue names first for protocol p ("curl",
 * "psql"): the one a page suggests. */
const char *catalogue_first_client(enum protocol_id p);

/* The shell command for one expectation, run from the project's top
 * directory; port is the text to put where the port goes. Returns 0, or
 * -1 when it does not fit. */
int catalogue_command(const struct scenario *s, const struct scenario_expect *e,
                      const char *port, char *out, size_t size);

#endif
