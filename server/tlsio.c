/*
 * wolfSSL contexts and buffer I/O. Version support is decided at compile
 * time by the library's own feature macros, so a stock libwolfssl build
 * reports what it lacks instead of serving something else.
 */
#include "tlsio.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <wolfssl/error-ssl.h>

#include "pki.h"

int tlsio_init(void)
{
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

void tlsio_cleanup(void)
{
    wolfSSL_Cleanup();
}

const char *tlsio_library_version(void)
{
    return wolfSSL_lib_version();
}

typedef WOLFSSL_METHOD *method_fn(void);

/* The method for a single-version server, or NULL when not compiled in. */
static method_fn *single_method(enum scenario_version v)
{
    switch (v) {
#if defined(WOLFSSL_ALLOW_SSLV3) && !defined(NO_OLD_TLS)
    case SCENARIO_SSL3: return wolfSSLv3_server_method;
#endif
#if defined(WOLFSSL_ALLOW_TLSV10) && !defined(NO_OLD_TLS)
    case SCENARIO_TLS10: return wolfTLSv1_server_method;
#endif
#ifndef NO_OLD_TLS
    case SCENARIO_TLS11: return wolfTLSv1_1_server_method;
#endif
#ifndef WOLFSSL_NO_TLS12
    case SCENARIO_TLS12: return wolfTLSv1_2_server_method;
#endif
#ifdef WOLFSSL_TLS13
    case SCENARIO_TLS13: return wolfTLSv1_3_server_method;
#endif
    default: return NULL;
    }
}

const char *tlsio_unsupported(const struct scenario *s)
{
    static const char *const missing[SCENARIO_VERSION_COUNT] = {
        "SSL 3.0 is not compiled into this wolfSSL",
        "TLS 1.0 is not compiled into this wolfSSL",
        "TLS 1.1 is not compiled into this wolfSSL",
        "TLS 1.2 is not compiled into this wolfSSL",
        "TLS 1.3 is not compiled into this wolfSSL",
    };
    for (unsigned v = s->min_version; v <= s->max_version; v++)
        if (v < SCENARIO_VERSION_COUNT && single_method(v) == NULL)
            return missing[v];
#if defined(HAVE_FFDHE) && !defined(SHAKEDOWN_KEEP_DH_PARAMS)
    /* Stock wolfSSL swaps configured DH parameters for an RFC 7919 group
     * whenever the client offers one: the weak group would never be seen. */
    if (s->dh_params[0] != '\0')
        return "this wolfSSL replaces configured DH parameters with an "
               "RFC 7919 group (built without SHAKEDOWN_KEEP_DH_PARAMS)";
#endif
#if !defined(HAVE_CERTIFICATE_STATUS_REQUEST) || !defined(OPENSSL_EXTRA)
    if (s->ocsp_staple[0] != '\0')
        return "OCSP stapling is not compiled into this wolfSSL";
#endif
#ifndef HAVE_ALPN
    if (s->n_alpn > 0)
        return "ALPN is not compiled into this wolfSSL (say [alpn] "
               "protocols = none to serve without it)";
#endif
#ifndef HAVE_SECURE_RENEGOTIATION
    if (s->client_auth == SCENARIO_CLIENT_AUTH_RENEGOTIATE)
        return "renegotiation is not compiled into this wolfSSL";
#endif
#ifndef SHAKEDOWN_SIGN_WITH
    if (s->sign_with != 0)
        return "[tls] sign_with needs shakedown's own wolfSSL build "
               "(scripts/build-wolfssl.sh, SHAKEDOWN_SIGN_WITH)";
#endif
#ifndef OPENSSL_EXTRA
    if (s->min_version != s->max_version && s->max_version != SCENARIO_TLS13)
        return "a version range below TLS 1.3 needs wolfSSL's OpenSSL "
               "compatibility layer (--enable-opensslextra)";
#endif
    return NULL;
}

static const int min_version_codes[SCENARIO_VERSION_COUNT] = {
    WOLFSSL_SSLV3, WOLFSSL_TLSV1, WOLFSSL_TLSV1_1, WOLFSSL_TLSV1_2,
    WOLFSSL_TLSV1_3};

static WOLFSSL_CTX *ctx_for_versions(const struct scenario *s, char *why,
                                     size_t why_size)
{
    WOLFSSL_CTX *ctx;
    if (s->min_version == s->max_version) {
        ctx = wolfSSL_CTX_new(single_method(s->min_version)());
    } else {
        ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
        if (ctx != NULL &&
            wolfSSL_CTX_SetMinVersion(ctx, min_version_codes[s->min_version]) !=
                WOLFSSL_SUCCESS) {
            snprintf(why, why_size, "cannot set minimum version %s",
                     scenario_version_name(s->min_version));
            wolfSSL_CTX_free(ctx);
            return NULL;
        }
#ifdef OPENSSL_EXTRA
        static const int max_codes[SCENARIO_VERSION_COUNT] = {
            SSL3_VERSION, TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
            TLS1_3_VERSION};
        if (ctx != NULL && s->max_version != SCENARIO_TLS13 &&
            wolfSSL_CTX_set_max_proto_version(ctx,
                                              max_codes[s->max_version]) !=
                WOLFSSL_SUCCESS) {
            snprintf(why, why_size, "cannot set maximum version %s",
                     scenario_version_name(s->max_version));
            wolfSSL_CTX_free(ctx);
            return NULL;
        }
#endif
    }
    if (ctx == NULL)
        snprintf(why, why_size, "wolfSSL_CTX_new failed");
    return ctx;
}

/* Each suite must be known on its own: wolfSSL quietly skips unknown names
 * in a list, which would serve a different scenario than the file says. */
static int set_ciphers(WOLFSSL_CTX *ctx, const char *list, char *why,
                       size_t why_size, bool *unsupported)
{
    char tmp[sizeof(((struct scenario *)0)->ciphers)];
    snprintf(tmp, sizeof(tmp), "%s", list);
    /* Each name is tried on a context of its own: a list of one TLS 1.2
     * suite makes wolfSSL add its default TLS 1.3 suites back (CCM-8
     * among them), and what it adds would outlive the real list. */
    WOLFSSL_CTX *probe = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (probe == NULL) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *name = strtok_r(tmp, ":", &save); name;
         name = strtok_r(NULL, ":", &save)) {
        if (wolfSSL_CTX_set_cipher_list(probe, name) != WOLFSSL_SUCCESS) {
            snprintf(why, why_size,
                     "cipher suite \"%s\" is not known to this wolfSSL build",
                     name);
            *unsupported = true;
            wolfSSL_CTX_free(probe);
            return -1;
        }
    }
    wolfSSL_CTX_free(probe);
    if (wolfSSL_CTX_set_cipher_list(ctx, list) != WOLFSSL_SUCCESS) {
        snprintf(why, why_size, "wolfSSL refuses the cipher list \"%s\"",
                 list);
        return -1;
    }
    return 0;
}

/* A scenario that names no suites and speaks only TLS 1.2 and 1.3 offers
 * what a well-configured server does (Mozilla's "intermediate" profile,
 * without DHE): forward secrecy and AEAD only. wolfSSL's own default
 * would add static RSA, CBC, CCM-8, RC4 and NULL suites, which a scanner
 * pointed at the control scenario would rightly report. */
static const char default_tls13[] =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:"
    "TLS13-CHACHA20-POLY1305-SHA256";
static const char default_tls12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/* Below TLS 1.2 there is no AEAD suite: such scenarios keep wolfSSL's
 * default. A build lacking some of the suites serves the others (wolfSSL
 * skips the names it does not have). */
static int set_default_ciphers(WOLFSSL_CTX *ctx, const struct scenario *s,
                               char *why, size_t why_size)
{
    char list[sizeof(default_tls13) + sizeof(default_tls12)] = "";
    if (s->min_version < SCENARIO_TLS12)
        return 0;
    if (s->max_version >= SCENARIO_TLS13)
        strcat(list, default_tls13);
    if (s->min_version <= SCENARIO_TLS12)
        strcat(strcat(list, list[0] ? ":" : ""), default_tls12);
    if (wolfSSL_CTX_set_cipher_list(ctx, list) != WOLFSSL_SUCCESS) {
        snprintf(why, why_size, "this wolfSSL has none of the default suites "
                 "(%s)", list);
        return -1;
    }
    return 0;
}

/* [tls] groups: the key-exchange groups in the server's order. The
 * elliptic curves among them also bound TLS 1.2's ECDHE
 * (set1_curves_list); the whole list, FFDHE included, is what TLS 1.3
 * accepts in a key share: a client whose first share is another group gets
 * a HelloRetryRequest. */
static int set_groups(WOLFSSL_CTX *ctx, const struct scenario *s, char *why,
                      size_t why_size, bool *unsupported)
{
    static const struct {
        uint16_t id;
        const char *curve; /* wolfSSL's name for set1_curves_list */
    } curves[] = {{23, "P-256"}, {24, "P-384"}, {25, "P-521"},
                  {29, "X25519"}, {30, "X448"}};
    char list[128] = "";
    int ids[SCENARIO_MAX_GROUPS];
    for (int i = 0; i < s->n_groups; i++) {
        ids[i] = s->groups[i];
        for (size_t c = 0; c < sizeof(curves) / sizeof(curves[0]); c++)
            if (curves[c].id == s->groups[i])
                snprintf(list + strlen(list), sizeof(list) - strlen(list),
                         "%s%s", list[0] ? ":" : "", curves[c].curve);
    }
    if (list[0] && wolfSSL_CTX_set1_curves_list(ctx, list) != WOLFSSL_SUCCESS) {
        snprintf(why, why_size, "this wolfSSL build refuses the curves %s",
                 list);
        *unsupported = true;
        return -1;
    }
    if (s->max_version >= SCENARIO_TLS13 &&
        wolfSSL_CTX_set_groups(ctx, ids, s->n_groups) != WOLFSSL_SUCCESS) {
        snprintf(why, why_size, "this wolfSSL build refuses the groups of "
                 "[tls] groups");
        *unsupported = true;
        return -1;
    }
    return 0;
}

static int load_identity(WOLFSSL_CTX *ctx, const struct scenario_identity *id,
                         const char *dir, char *why, size_t why_size)
{
    struct buf chain, key;
    buf_init(&chain);
    buf_init(&key);
    int rc = pki_identity(dir, id, &chain, &key, why, why_size);
    if (rc == 0 &&
        wolfSSL_CTX_use_certificate_chain_buffer(
            ctx, buf_head(&chain), (long)buf_pending(&chain)) !=
            WOLFSSL_SUCCESS) {
        snprintf(why, why_size, "%s/%s.pem (with chain): not a PEM "
                 "certificate chain wolfSSL accepts", dir, id->cert);
        rc = -1;
    }
    int err = rc == 0 ? wolfSSL_CTX_use_PrivateKey_buffer(
                            ctx, buf_head(&key), (long)buf_pending(&key),
                            WOLFSSL_FILETYPE_PEM)
                      : WOLFSSL_SUCCESS;
    if (err != WOLFSSL_SUCCESS) {
        char reason[WOLFSSL_MAX_ERROR_SZ];
        wolfSSL_ERR_error_string_n((unsigned long)err, reason, sizeof(reason));
        snprintf(why, why_size, "%s/%s.key: not a PEM private key wolfSSL "
                 "accepts (error %d: %s)", dir, id->key, err, reason);
        rc = -1;
    }
    buf_free(&chain);
    buf_free(&key);
    return rc;
}

static int load_dh(WOLFSSL_CTX *ctx, const char *stem, const char *dir,
                   char *why, size_t why_size)
{
    struct buf pem;
    char path[1024];
    buf_init(&pem);
    pki_path(dir, stem, ".pem", path, sizeof(path));
    int rc = pki_read(path, &pem, why, why_size);
    int err = rc == 0 ? wolfSSL_CTX_SetTmpDH_buffer(ctx, buf_head(&pem),
                                                    (long)buf_pending(&pem),
                                                    WOLFSSL_FILETYPE_PEM)
                      : WOLFSSL_SUCCESS;
    if (err != WOLFSSL_SUCCESS) {
        char reason[WOLFSSL_MAX_ERROR_SZ];
        wolfSSL_ERR_error_string_n((unsigned long)err, reason, sizeof(reason));
        snprintf(why, why_size,
                 "%s: not DH parameters wolfSSL accepts (error %d: %s)", path,
                 err, reason);
        rc = -1;
    }
    buf_free(&pem);
    return rc;
}

static int load_ca(WOLFSSL_CTX *ctx, const char *dir, const char *stem,
                   const char *what, char *why, size_t why_size)
{
    char path[1024];
    pki_path(dir, stem, ".pem", path, sizeof(path));
    if (wolfSSL_CTX_load_verify_locations(ctx, path, NULL) !=
        WOLFSSL_SUCCESS) {
        snprintf(why, why_size, "%s: cannot load as %s", path, what);
        return -1;
    }
    return 0;
}

static int setup_client_auth(WOLFSSL_CTX *ctx, const struct scenario *s,
                             const char *dir, char *why, size_t why_size)
{
    if (s->client_auth == SCENARIO_CLIENT_AUTH_NONE) {
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
        return 0;
    }
    if (load_ca(ctx, dir, s->client_ca, "a client CA", why, why_size) != 0)
        return -1;
    int mode = WOLFSSL_VERIFY_PEER;
    switch (s->client_auth) {
    case SCENARIO_CLIENT_AUTH_REQUIRED:
        mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        /* Without mutual_auth, TLS 1.2 closes with no alert at all. */
        wolfSSL_CTX_mutual_auth(ctx, 1);
        break;
    case SCENARIO_CLIENT_AUTH_RENEGOTIATE:
        /* The first handshake asks for nothing. The renegotiation must be
         * a full handshake, or the client resumes and is never asked:
         * no session cache, no tickets. mutual_auth makes a missing
         * certificate end in handshake_failure rather than silence. */
        mode = WOLFSSL_VERIFY_NONE;
        wolfSSL_CTX_mutual_auth(ctx, 1);
        wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
        wolfSSL_CTX_NoTicketTLSv12(ctx);
        break;
    default:
        break;
    }
    wolfSSL_CTX_set_verify(ctx, mode, NULL);
    if (s->client_min_rsa_bits > 0)
        wolfSSL_CTX_SetMinRsaKey_Sz(ctx, (short)s->client_min_rsa_bits);
    return 0;
}

static int io_recv(WOLFSSL *ssl, char *data, int size, void *arg)
{
    (void)ssl;
    struct tlsio_io *io = arg;
    size_t have = buf_pending(io->in);
    if (have == 0)
        return io->eof ? WOLFSSL_CBIO_ERR_CONN_CLOSE
                       : WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = have < (size_t)size ? have : (size_t)size;
    memcpy(data, buf_head(io->in), n);
    buf_consume(io->in, n);
    return (int)n;
}

/* Appends n bytes of handshake as records of at most max bytes each. */
static int emit_handshake(struct buf *out, const uint8_t *version,
                          const uint8_t *p, size_t n, size_t max)
{
    for (size_t off = 0; off < n; off += max) {
        size_t len = n - off < max ? n - off : max;
        uint8_t h[5] = {22, version[0], version[1], (uint8_t)(len >> 8),
                        (uint8_t)len};
        if (buf_append(out, h, sizeof(h)) != 0 ||
            buf_append(out, p + off, len) != 0)
            return -1;
    }
    return 0;
}

/* Re-frames one plaintext handshake record: each message (or the part of
 * it this record holds) goes into records of its own, of at most
 * io->record_size bytes if the scenario picked the message, else whole.
 * A message whose four-byte header is split across records (wolfSSL
 * never does this) ends the re-framing: the rest passes as it is. */
static int reframe_record(struct tlsio_io *io, const uint8_t *rec,
                          size_t len)
{
    const uint8_t *body = rec + 5;
    size_t off = 0;
    while (off < len) {
        if (io->msg_left == 0) {
            if (len - off < 4) {
                io->plain_over = true;
                return emit_handshake(io->out, rec + 1, body + off,
                                      len - off, 16384);
            }
            io->msg_type = body[off];
            io->msg_left = 4 + ((size_t)body[off + 1] << 16 |
                                (size_t)body[off + 2] << 8 | body[off + 3]);
        }
        size_t seg = len - off < io->msg_left ? len - off : io->msg_left;
        bool picked = io->record_messages == 0 ||
                      (io->msg_type < 32 &&
                       (io->record_messages >> io->msg_type & 1));
        if (emit_handshake(io->out, rec + 1, body + off, seg,
                           picked ? (size_t)io->record_size : 16384) != 0)
            return -1;
        off += seg;
        io->msg_left -= seg;
    }
    return 0;
}

static int io_send(WOLFSSL *ssl, char *data, int size, void *arg)
{
    (void)ssl;
    struct tlsio_io *io = arg;
    const uint8_t *p = (const uint8_t *)data;
    size_t n = (size_t)size, used = 0;
    /* wolfSSL hands over whole records; a handshake record that is cut
     * short here would be passed on as it is, and the re-framing ends. */
    while (io->record_size > 0 && !io->plain_over && n - used >= 5) {
        const uint8_t *h = p + used;
        size_t len = (size_t)h[3] << 8 | h[4];
        if (h[0] != 22 || n - used - 5 < len) {
            io->plain_over = true;
            break;
        }
        if (reframe_record(io, h, len) != 0)
            return WOLFSSL_CBIO_ERR_GENERAL;
        used += 5 + len;
    }
    if (used < n && buf_append(io->out, p + used, n - used) != 0)
        return WOLFSSL_CBIO_ERR_GENERAL;
    return size;
}

int tlsio_write(WOLFSSL *ssl, const void *data, size_t n, int record_size)
{
    const char *p = data;
    size_t step = record_size > 0 ? (size_t)record_size : n;
    for (size_t off = 0; off < n; off += step) {
        size_t len = n - off < step ? n - off : step;
        int wrote = wolfSSL_write(ssl, p + off, (int)len);
        if (wrote <= 0)
            return wrote;
    }
    return (int)n;
}

#if defined(HAVE_CERTIFICATE_STATUS_REQUEST) && defined(OPENSSL_EXTRA)
/* wolfSSL frees the response it is handed (and caches what it sent per
 * context), so each call gets its own copy from wolfSSL's allocator. */
static int on_status_request(WOLFSSL *ssl, void *arg)
{
    const struct buf *der = arg;
    size_t n = buf_pending(der);
    unsigned char *copy = XMALLOC(n, NULL, DYNAMIC_TYPE_OPENSSL);
    if (copy == NULL)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    memcpy(copy, buf_head(der), n);
    wolfSSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)n);
    return SSL_TLSEXT_ERR_OK;
}

/* The staple is verified against the context's CA store before wolfSSL
 * sends it (an unverifiable one is silently dropped), so the root and the
 * chain go in the store too. A "revoked" status is sent as it is. */
static int setup_ocsp(WOLFSSL_CTX *ctx, const struct scenario *s,
                      const struct scenario_identity *id, const char *dir,
                      struct tlsio_assets *assets, char *why,
                      size_t why_size)
{
    char path[1024];
    const char *root = s->ocsp_ca[0] ? s->ocsp_ca : "ca";
    if (load_ca(ctx, dir, root, "the OCSP root", why, why_size) != 0)
        return -1;
    for (int i = 0; i < id->n_chain; i++)
        if (load_ca(ctx, dir, id->chain[i], "an OCSP issuer", why,
                    why_size) != 0)
            return -1;
    if (buf_pending(&assets->ocsp) == 0) {
        pki_path(dir, s->ocsp_staple, ".der", path, sizeof(path));
        if (pki_read(path, &assets->ocsp, why, why_size) != 0)
            return -1;
    }
    /* The callback setter creates the stapling state; the argument must be
     * set after it. */
    wolfSSL_CTX_set_tlsext_status_cb(ctx, on_status_request);
    wolfSSL_CTX_set_tlsext_status_arg(ctx, &assets->ocsp);
    return 0;
}
#else
static int setup_ocsp(WOLFSSL_CTX *ctx, const struct scenario *s,
                      const struct scenario_identity *id, const char *dir,
                      struct tlsio_assets *assets, char *why,
                      size_t why_size)
{
    (void)ctx, (void)s, (void)id, (void)dir, (void)assets;
    snprintf(why, why_size, "OCSP stapling is not compiled into this wolfSSL");
    return -1;
}
#endif

void tlsio_assets_free(struct tlsio_assets *a)
{
    buf_free(&a->ocsp);
}

int tlsio_renegotiate(WOLFSSL *ssl, bool first)
{
#ifdef HAVE_SECURE_RENEGOTIATION
    if (first)
        wolfSSL_set_verify(ssl,
                           WOLFSSL_VERIFY_PEER |
                               WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           NULL);
    int ret = wolfSSL_Rehandshake(ssl);
    if (ret == WOLFSSL_SUCCESS)
        return 1;
    int err = wolfSSL_get_error(ssl, ret);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
        return 0;
    return err < 0 ? err : -1;
#else
    (void)ssl, (void)first;
    return -1;
#endif
}

/* [tls] sign_with, tried once on a connection object made from the
 * finished ctx: wolfSSL refuses a scheme that does not suit the key, and
 * a refusal belongs to the scenario file, not to each handshake. */
static int check_sign_with(WOLFSSL_CTX *ctx, const struct scenario *s,
                           char *why, size_t why_size)
{
    WOLFSSL *ssl = wolfSSL_new(ctx);
    int ok = ssl != NULL && tlsio_sign_with(ssl, s) == 0;
    wolfSSL_free(ssl);
    if (!ok)
        snprintf(why, why_size, "[tls] sign_with %s does not suit the key "
                 "of [tls] cert %s", scenario_sigalg_name(s->sign_with),
                 s->identity.cert);
    return ok ? 0 : -1;
}

WOLFSSL_CTX *tlsio_ctx_new(const struct scenario *s,
                           const struct scenario_identity *id,
                           const char *certs_dir, struct tlsio_assets *assets,
                           char *why, size_t why_size, bool *unsupported)
{
    *unsupported = false;
    const char *missing = tlsio_unsupported(s);
    if (missing != NULL) {
        snprintf(why, why_size, "%s", missing);
        *unsupported = true;
        return NULL;
    }
    WOLFSSL_CTX *ctx = ctx_for_versions(s, why, why_size);
    if (ctx == NULL)
        return NULL;
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);
    /* Deliberately weak keys and groups are the point of some scenarios
     * (dh480's group is below OpenSSL's own minimum; rsa512's key below
     * what a stock wolfSSL loads by default). [client_auth] min_rsa_bits
     * raises the RSA minimum again for client certificates. */
    wolfSSL_CTX_SetMinDhKey_Sz(ctx, 256);
    wolfSSL_CTX_SetMinRsaKey_Sz(ctx, 512);
    if ((s->ciphers[0] &&
         set_ciphers(ctx, s->ciphers, why, why_size, unsupported) != 0) ||
        (!s->ciphers[0] && set_default_ciphers(ctx, s, why, why_size) != 0) ||
        (s->n_groups > 0 &&
         set_groups(ctx, s, why, why_size, unsupported) != 0) ||
        load_identity(ctx, id, certs_dir, why, why_size) != 0 ||
        (s->dh_params[0] &&
         load_dh(ctx, s->dh_params, certs_dir, why, why_size) != 0) ||
        setup_client_auth(ctx, s, certs_dir, why, why_size) != 0 ||
        (s->ocsp_staple[0] && setup_ocsp(ctx, s, id, certs_dir, assets, why,
                                         why_size) != 0) ||
        (s->sign_with != 0 && check_sign_with(ctx, s, why, why_size) != 0)) {
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

WOLFSSL *tlsio_new(WOLFSSL_CTX *ctx, struct tlsio_io *io)
{
    WOLFSSL *ssl = wolfSSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    wolfSSL_SetIOReadCtx(ssl, io);
    wolfSSL_SetIOWriteCtx(ssl, io);
    return ssl;
}

int tlsio_use_alpn(WOLFSSL *ssl, const struct scenario *s)
{
#ifdef HAVE_ALPN
    char list[SCENARIO_MAX_ALPN * SCENARIO_ALPN_MAX];
    size_t used = 0;
    for (int i = 0; i < s->n_alpn; i++) {
        size_t n = strlen(s->alpn[i]);
        if (used + n + 2 > sizeof(list))
            return -1;
        if (used > 0)
            list[used++] = ',';
        memcpy(list + used, s->alpn[i], n);
        used += n;
    }
    list[used] = '\0';
    /* A mismatch is the scenario's to decide, before the handshake. */
    if (used > 0 && wolfSSL_UseALPN(ssl, list, (unsigned)used,
                                    WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
                        WOLFSSL_SUCCESS)
        return -1;
#else
    (void)ssl;
    (void)s;
#endif
    return 0;
}

#ifdef HAVE_SESSION_TICKET
/* A ticket the server never means to honour: random bytes in place of
 * the encrypted session, so nothing of the session leaves the server,
 * and a refusal when it comes back (wolfSSL then runs a full
 * handshake). */
static int refusing_ticket(WOLFSSL *ssl,
                           unsigned char key_name[WOLFSSL_TICKET_NAME_SZ],
                           unsigned char iv[WOLFSSL_TICKET_IV_SZ],
                           unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc,
                           unsigned char *ticket, int in_len, int *out_len,
                           void *arg)
{
    (void)ssl;
    (void)arg;
    if (!enc)
        return WOLFSSL_TICKET_RET_REJECT;
    unsigned char *parts[] = {key_name, iv, mac, ticket};
    size_t sizes[] = {WOLFSSL_TICKET_NAME_SZ, WOLFSSL_TICKET_IV_SZ,
                      WOLFSSL_TICKET_MAC_SZ, (size_t)in_len};
    for (size_t i = 0; i < 4; i++)
        for (size_t off = 0; off < sizes[i];) {
            ssize_t n = getrandom(parts[i] + off, sizes[i] - off, 0);
            if (n <= 0)
                return WOLFSSL_TICKET_RET_FATAL;
            off += (size_t)n;
        }
    *out_len = in_len;
    return WOLFSSL_TICKET_RET_OK;
}
#endif

int tlsio_refuse_resumption(WOLFSSL_CTX *ctx)
{
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
#ifdef HAVE_SESSION_TICKET
    return wolfSSL_CTX_set_TicketEncCb(ctx, refusing_ticket) ==
                   WOLFSSL_SUCCESS
               ? 0 : -1;
#else
    return -1;
#endif
}

#ifdef SHAKEDOWN_SIGN_WITH
/* scripts/build-wolfssl.sh adds it to wolfSSL's PickHashSigAlgo. */
int wolfSSL_shakedown_sign_with(WOLFSSL *ssl, unsigned int code);
#endif

int tlsio_sign_with(WOLFSSL *ssl, const struct scenario *s)
{
    if (s->sign_with == 0)
        return 0;
#ifdef SHAKEDOWN_SIGN_WITH
    return wolfSSL_shakedown_sign_with(ssl, s->sign_with) == WOLFSSL_SUCCESS
               ? 0 : -1;
#else
    (void)ssl;
    return -1;
#endif
}

bool tlsio_alpn(WOLFSSL *ssl, char *out, size_t size)
{
    out[0] = '\0';
#ifdef HAVE_ALPN
    char *name = NULL;
    unsigned short len = 0;
    if (wolfSSL_ALPN_GetProtocol(ssl, &name, &len) != WOLFSSL_SUCCESS ||
        name == NULL || len == 0)
        return false;
    snprintf(out, size, "%.*s", (int)len, name);
    return true;
#else
    (void)ssl;
    (void)size;
    return false;
#endif
}

const char *tlsio_version(WOLFSSL *ssl)
{
    return wolfSSL_get_version(ssl);
}

const char *tlsio_cipher(WOLFSSL *ssl)
{
    const char *name = wolfSSL_get_cipher(ssl);
    return name ? name : "none";
}

void tlsio_alerts(WOLFSSL *ssl, int *sent, int *received)
{
    WOLFSSL_ALERT_HISTORY h;
    *sent = *received = -1;
    if (wolfSSL_get_alert_history(ssl, &h) != WOLFSSL_SUCCESS)
        return;
    if (h.last_tx.code >= 0 && h.last_tx.level > 0)
        *sent = h.last_tx.code;
    if (h.last_rx.code >= 0 && h.last_rx.level > 0)
        *received = h.last_rx.code;
}

void tlsio_error_string(int err, char *out, size_t size)
{
    char tmp[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)err, tmp, sizeof(tmp));
    snprintf(out, size, "%s (wolfSSL error %d)", tmp, err);
}

bool tlsio_peer_subject(WOLFSSL *ssl, char *out, size_t size)
{
#ifdef OPENSSL_EXTRA
    WOLFSSL_X509 *x = wolfSSL_get_peer_certificate(ssl);
    if (x == NULL)
        return false;
    char *name = wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(x),
                                           out, (int)size);
    wolfSSL_X509_free(x);
    return name != NULL;
#else
    (void)ssl;
    (void)out;
    (void)size;
    return false;
#endif
}

void tlsio_suite_name(uint16_t suite, char *out, size_t size)
{
    const char *name = wolfSSL_get_cipher_name_from_suite(
        (unsigned char)(suite >> 8), (unsigned char)suite);
    if (name != NULL && strcmp(name, "None") != 0)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "0x%04x", suite);
}

#ifdef OPENSSL_EXTRA
/* One certificate as "CN=name (until date[, EXPIRED|NOT YET VALID])". */
static size_t describe_cert(const unsigned char *pem, size_t len, char *out,
                            size_t size)
{
    WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer(
        pem, (int)len, WOLFSSL_FILETYPE_PEM);
    if (x == NULL)
        return (size_t)snprintf(out, size, "(unreadable certificate)");
    char cn[128] = "?", until[64] = "?";
    wolfSSL_X509_NAME_get_text_by_NID(wolfSSL_X509_get_subject_name(x),
                                      NID_commonName, cn, sizeof(cn));
    const WOLFSSL_ASN1_TIME *na = wolfSSL_X509_get_notAfter(x);
    const WOLFSSL_ASN1_TIME *nb = wolfSSL_X509_get_notBefore(x);
    wolfSSL_ASN1_TIME_to_string((WOLFSSL_ASN1_TIME *)na, until,
                                sizeof(until));
    const char *flag = "";
    if (wolfSSL_X509_cmp_current_time(na) < 0)
        flag = ", EXPIRED";
    else if (wolfSSL_X509_cmp_current_time(nb) > 0)
        flag = ", NOT YET VALID";
    else if (wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
                                   wolfSSL_X509_get_issuer_name(x)) == 0)
        flag = ", self-signed";
    int n = snprintf(out, size, "CN=%s (until %s%s)", cn, until, flag);
    wolfSSL_X509_free(x);
    return n < 0 ? 0 : (size_t)n;
}
#endif

void tlsio_describe_chain(const char *certs_dir,
                          const struct scenario_identity *id, char *out,
                          size_t size)
{
    snprintf(out, size, "%s", id->cert);
#ifdef OPENSSL_EXTRA
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    struct buf chain, key;
    char why[256];
    buf_init(&chain);
    buf_init(&key);
    if (pki_identity(certs_dir, id, &chain, &key, why, sizeof(why)) == 0 &&
        buf_append(&chain, "", 1) == 0) {
        const char *p = (const char *)buf_head(&chain);
        size_t used = 0;
        out[0] = '\0';
        while ((p = strstr(p, begin)) != NULL && used + 8 < size) {
            const char *e = strstr(p, end);
            if (e == NULL)
                break;
            e += sizeof(end) - 1;
            if (used > 0)
                used += (size_t)snprintf(out + used, size - used, " < ");
            if (used < size)
                used += describe_cert((const unsigned char *)p,
                                      (size_t)(e - p), out + used,
                                      size - used);
            if (used >= size) /* truncated: keep what fits */
                break;
            p = e;
        }
    }
    buf_free(&chain);
    buf_free(&key);
#else
    (void)certs_dir;
#endif
}

#ifdef OPENSSL_EXTRA
/* What is known of the certificates a scenario serves, as they are read. */
struct dates_check {
    const struct scenario *s;
    const char *path; /* of the file being read */
    tlsio_warn_fn *warn;
    void *arg;
    int problems;
    bool any_ended, any_not_begun;
};

static const char *const regenerate =
    "run ./scripts/run.sh or scripts/gen-pki.sh to regenerate the test PKI";

static void dates_warn(struct dates_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void dates_warn(struct dates_check *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->warn != NULL)
        c->warn(c->arg, msg);
}

/* One certificate of c->path: out of its dates is noted, and is a problem
 * when the scenario says its certificates are current. */
static void check_cert(struct dates_check *c, WOLFSSL_X509 *x)
{
    const WOLFSSL_ASN1_TIME *na = wolfSSL_X509_get_notAfter(x);
    const WOLFSSL_ASN1_TIME *nb = wolfSSL_X509_get_notBefore(x);
    bool ended = wolfSSL_X509_cmp_current_time(na) < 0;
    bool not_begun = !ended && wolfSSL_X509_cmp_current_time(nb) > 0;
    c->any_ended |= ended;
    c->any_not_begun |= not_begun;
    if (c->s->validity != SCENARIO_VALIDITY_CURRENT || (!ended && !not_begun))
        return;
    char cn[128] = "?", when[64] = "?";
    wolfSSL_X509_NAME_get_text_by_NID(wolfSSL_X509_get_subject_name(x),
                                      NID_commonName, cn, sizeof(cn));
    wolfSSL_ASN1_TIME_to_string((WOLFSSL_ASN1_TIME *)(ended ? na : nb), when,
                                sizeof(when));
    dates_warn(c, "warning: scenario \"%s\" serves %s (CN=%s), which %s %s, "
               "but the scenario says validity = current: %s",
               c->s->name, c->path, cn,
               ended ? "ended on" : "begins only on", when, regenerate);
}

/* Every certificate in dir/stem.pem; an unreadable file is left to the
 * context, which reports it. */
static void check_file(struct dates_check *c, const char *dir,
                       const char *stem)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    char path[1024], why[256];
    struct buf pem;
    buf_init(&pem);
    if (pki_path(dir, stem, ".pem", path, sizeof(path)) == 0 &&
        pki_read(path, &pem, why, sizeof(why)) == 0 &&
        buf_append(&pem, "", 1) == 0) {
        c->path = path;
        for (const char *p = (const char *)buf_head(&pem);
             (p = strstr(p, begin)) != NULL;) {
            const char *e = strstr(p, end);
            if (e == NULL)
                break;
            e += sizeof(end) - 1;
            WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer(
                (const unsigned char *)p, (int)(e - p), WOLFSSL_FILETYPE_PEM);
            if (x != NULL)
                check_cert(c, x);
            wolfSSL_X509_free(x);
            p = e;
        }
    }
    buf_free(&pem);
}

static void check_identity(struct dates_check *c, const char *dir,
                           const struct scenario_identity *id)
{
    check_file(c, dir, id->cert);
    for (int i = 0; i < id->n_chain; i++)
        check_file(c, dir, id->chain[i]);
}
#endif

int tlsio_check_dates(const char *certs_dir, const struct scenario *s,
                      tlsio_warn_fn *warn, void *arg)
{
#ifdef OPENSSL_EXTRA
    struct dates_check c = {s, NULL, warn, arg, 0, false, false};
    check_identity(&c, certs_dir, &s->identity);
    if (s->sni_identity.cert[0] != '\0')
        check_identity(&c, certs_dir, &s->sni_identity);
    if (s->validity == SCENARIO_VALIDITY_ENDED && !c.any_ended)
        dates_warn(&c, "warning: scenario \"%s\" says validity = ended, "
                   "but no certificate it serves (%s/%s.pem and its chain) "
                   "has ended, so it would not show what it claims: %s",
                   s->name, certs_dir, s->identity.cert, regenerate);
    if (s->validity == SCENARIO_VALIDITY_NOT_BEGUN && !c.any_not_begun)
        dates_warn(&c, "warning: scenario \"%s\" says validity = "
                   "not-begun, but every certificate it serves (%s/%s.pem "
                   "and its chain) has begun, so it would not show what it "
                   "claims: %s",
                   s->name, certs_dir, s->identity.cert, regenerate);
    return c.problems;
#else
    (void)certs_dir, (void)s, (void)warn, (void)arg;
    return 0;
#endif
}

int tlsio_days_left(const char *certs_dir, const struct scenario_identity *id)
{
#ifdef OPENSSL_EXTRA
    char path[1024];
    int days = 0, secs = 0;
    pki_path(certs_dir, id->cert, ".pem", path, sizeof(path));
    WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_file(path,
                                                         WOLFSSL_FILETYPE_PEM);
    if (x == NULL)
        return INT_MIN;
    int rc = wolfSSL_ASN1_TIME_diff(&days, &secs, NULL,
                                    wolfSSL_X509_get_notAfter(x));
    wolfSSL_X509_free(x);
    return rc == WOLFSSL_SUCCESS ? days : INT_MIN;
#else
    (void)certs_dir, (void)id;
    return INT_MIN;
#endif
}
