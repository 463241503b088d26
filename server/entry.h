/*
 * An entry: one scenario as this build and these files can serve it, with
 * its TLS contexts. Connections hold references; a reload retires the
 * entries it replaces, and a retired entry goes with its last connection.
 * Plain C: no loop, no socket.
 */
#ifndef SHAKEDOWN_ENTRY_H
#define SHAKEDOWN_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "tlsio.h"

struct listener;

/* Where the files are, whether keys other users can read are served,
 * and the protocol the scenario is wrapped in. */
struct entry_options {
    const char *certs_dir;
    bool allow_readable_keys;
    enum protocol_id protocol;
};

struct entry {
    struct scenario scenario_copy;
    const struct scenario *scenario; /* &scenario_copy */
    enum protocol_id protocol;
    WOLFSSL_CTX *ctx;     /* the default identity; NULL when unavailable */
    WOLFSSL_CTX *sni_ctx; /* for registered SNI names, or NULL */
    WOLFSSL_CTX *resumed_ctx; /* [resumption] cert: for a ClientHello
                               * that offers to resume, or NULL */
    struct tlsio_assets assets; /* outlives both contexts */
    char chain[600];     /* the default identity, as the trace shows it */
    char sni_chain[600]; /* the SNI identity */
    char resumed_chain[600]; /* the [resumption] identity */
    char unavailable[512]; /* empty when servable */
    bool unsupported;      /* unavailable because of the library */
    /* The primary loop's socket for it: kept by the server. */
    struct listener *listener; /* NULL when not listening */
    int port;                  /* the bound port while listening */
    bool listening;
    /* The [http] plain_port companion, on the primary loop alone. */
    struct listener *plain_listener; /* NULL when not listening */
    int plain_port; /* its bound port (-1: none); set before any loop
                     * sees the entry, and kept after the socket closes:
                     * what worker loops read */
    bool plain_listening;
    size_t refs;  /* the owner, connections, sockets (atomic) */
    bool retired; /* the owner let go: a reload replaced it */
};

/* A new entry for s (copied: under a protocol other than HTTPS, with
 * that protocol's ALPN in place of the scenario's) with its contexts
 * built, or marked
 * unavailable with the reason; NULL when out of memory. The caller owns
 * the one reference it starts with. */
struct entry *entry_new(const struct scenario *s,
                        const struct entry_options *files);
/* Connections, listeners and worker commands take a reference and give
 * it back; the last one frees the entry, on whichever thread. */
void entry_ref(struct entry *e);
void entry_unref(struct entry *e);
/* The owner lets go: a reload replaced e, or the server ends. */
void entry_retire(struct entry *e);

#endif
