/*
 * Entries: a scenario's TLS contexts built once (or the reason they
 * cannot be), shared by the connections that hold a reference.
 */
#include "entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "pki.h"

/* Deliberately expired certificates are the point of some scenarios; a
 * valid one about to end means the PKI wants regenerating. */
static void warn_if_ending(const struct scenario *s, const char *certs_dir)
{
    int days = tlsio_days_left(certs_dir, &s->identity);
    if (days >= 0 && days < 30)
        log_info("warning: %s/%s.pem (scenario \"%s\") ends in %d days; run "
                 "scripts/setup.sh (or scripts/gen-pki.sh) to regenerate "
                 "the test PKI",
                 certs_dir, s->identity.cert, s->name, days);
}

/* A private key any user can read is refused unless the operator says
 * otherwise: the test PKI is throwaway, but a key copied in is not. */
static bool key_too_open(const struct scenario_identity *id,
                         const struct entry_options *opt, char *why,
                         size_t why_size)
{
    char path[1024];
    struct stat st;
    if (opt->allow_readable_keys || id->key[0] == '\0' ||
        pki_path(opt->certs_dir, id->key, ".key", path, sizeof(path)) != 0 ||
        stat(path, &st) != 0 || (st.st_mode & S_IROTH) == 0)
        return false;
    snprintf(why, why_size,
             "%.300s is readable by every user (mode %04o): chmod 600 it, or "
             "pass --allow-readable-keys",
             path, (unsigned)(st.st_mode & 07777));
    return true;
}

/* A second identity's context, sharing the first's assets; NULL (with
 * the reason in e->unavailable) when it cannot be built. */
static WOLFSSL_CTX *identity_ctx(struct entry *e,
                                 const struct scenario_identity *id,
                                 const char *certs_dir, char *chain,
                                 size_t chain_size)
{
    tlsio_describe_chain(certs_dir, id, chain, chain_size);
    return tlsio_ctx_new(e->scenario, id, certs_dir, &e->assets,
                         e->unavailable, sizeof(e->unavailable),
                         &e->unsupported);
}

static bool refuse_resumption(struct entry *e, WOLFSSL_CTX *ctx)
{
    if (ctx == NULL || tlsio_refuse_resumption(ctx) == 0)
        return true;
    snprintf(e->unavailable, sizeof(e->unavailable),
             "[resumption] needs session tickets, and this wolfSSL has "
             "none (--enable-session-ticket)");
    e->unsupported = true;
    return false;
}

static void free_contexts(struct entry *e)
{
    WOLFSSL_CTX **all[] = {&e->ctx, &e->sni_ctx, &e->resumed_ctx};
    for (size_t i = 0; i < 3; i++) {
        if (*all[i] != NULL)
            wolfSSL_CTX_free(*all[i]);
        *all[i] = NULL;
    }
}

static void prepare_entry(struct entry *e,
                          const struct entry_options *opt)
{
    const struct scenario *s = e->scenario;
    const char *certs_dir = opt->certs_dir;
    const struct scenario_identity *ids[] = {&s->identity, &s->sni_identity,
                                             &s->resumed_identity};
    for (size_t i = 0; i < 3; i++)
        if ((i == 0 || ids[i]->cert[0] != '\0') &&
            key_too_open(ids[i], opt, e->unavailable, sizeof(e->unavailable)))
            return;
    warn_if_ending(s, certs_dir);
    e->ctx = identity_ctx(e, &s->identity, certs_dir, e->chain,
                          sizeof(e->chain));
    if (e->ctx == NULL)
        return;
    if (s->sni_identity.cert[0] != '\0' &&
        (e->sni_ctx = identity_ctx(e, &s->sni_identity, certs_dir,
                                   e->sni_chain, sizeof(e->sni_chain))) ==
            NULL)
        goto fail;
    if (s->resumed_identity.cert[0] != '\0' &&
        ((e->resumed_ctx = identity_ctx(e, &s->resumed_identity, certs_dir,
                                        e->resumed_chain,
                                        sizeof(e->resumed_chain))) == NULL ||
         !refuse_resumption(e, e->resumed_ctx)))
        goto fail;
    if (s->resumption_refuse &&
        (!refuse_resumption(e, e->ctx) || !refuse_resumption(e, e->sni_ctx)))
        goto fail;
    return;
fail:
    free_contexts(e);
}

static void entry_free(struct entry *e)
{
    scenario_unref(&e->scenario_copy);
    free_contexts(e);
    tlsio_assets_free(&e->assets);
    free(e);
}

/* A mail or database client offers its protocol's ALPN id, or none:
 * the scenario's HTTP list does not apply (a scenario whose failure is
 * its ALPN list is served over HTTPS only). */
static void use_protocol_alpn(struct scenario *s, const struct protocol *p)
{
    struct scenario_action serve = {SCENARIO_SERVE, 0};
    s->n_alpn = 0;
    if (p->alpn != NULL) {
        snprintf(s->alpn[0], sizeof(s->alpn[0]), "%s", p->alpn);
        s->n_alpn = 1;
    }
    s->on_alpn_mismatch = s->on_alpn_missing = serve;
}

struct entry *entry_new(const struct scenario *s,
                        const struct entry_options *opt)
{
    struct entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->refs = 1; /* the owner's, given back by entry_retire */
    e->plain_port = -1; /* no companion bound */
    e->scenario_copy = *s;
    scenario_ref(s); /* the copy shares the catalogue part */
    e->scenario = &e->scenario_copy;
    e->protocol = opt->protocol;
    if (opt->protocol != PROTOCOL_HTTPS)
        use_protocol_alpn(&e->scenario_copy, protocol_get(opt->protocol));
    prepare_entry(e, opt);
    return e;
}

void entry_ref(struct entry *e)
{
    __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

void entry_unref(struct entry *e)
{
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
        entry_free(e);
}

void entry_retire(struct entry *e)
{
    e->retired = true;
    entry_unref(e);
}
