/*
 * The scenario record: everything one INI file says about one deliberately
 * broken (or deliberately correct) TLS endpoint. Records are filled by the
 * loader, validated once, and then only read.
 */
#ifndef SHAKEDOWN_SCENARIO_H
#define SHAKEDOWN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "protocol.h"

#define SCENARIO_STEM_MAX 64
#define SCENARIO_MAX_CHAIN 8
#define SCENARIO_MAX_GROUPS 10
#define SCENARIO_MAX_SNI 8
#define SCENARIO_MAX_EXPECT 128
#define SCENARIO_MAX_ALPN 8
#define SCENARIO_MAX_HTTP_HEADERS 8
#define SCENARIO_HTTP_HEADER_MAX 256
#define SCENARIO_HTTP_BODY_MAX 8192
#define SCENARIO_ALPN_MAX 32 /* bytes of one protocol id, with the NUL */

/* Protocol versions, oldest first; the order is used for ranges. */
enum scenario_version {
    SCENARIO_SSL3,
    SCENARIO_TLS10,
    SCENARIO_TLS11,
    SCENARIO_TLS12,
    SCENARIO_TLS13,
    SCENARIO_VERSION_COUNT
};

/* What the server does to a connection: at a fault point, or as the SNI
 * policy right after the ClientHello. */
enum scenario_action_kind {
    SCENARIO_SERVE,     /* carry on normally */
    SCENARIO_ALERT,     /* send one fatal alert record, then FIN */
    SCENARIO_RESET,     /* TCP RST */
    SCENARIO_CLOSE,     /* FIN */
    SCENARIO_STALL,     /* say nothing more until the duration ends */
    SCENARIO_DRIP,      /* send the server's flight one byte per interval */
    SCENARIO_PLAINTEXT, /* answer with a plain HTTP/1.1 400 response */
    SCENARIO_GARBAGE,   /* answer with bytes that are not TLS */
    SCENARIO_TRUNCATE,  /* response without length, no close_notify */
    SCENARIO_ACTION_COUNT
};

struct scenario_action {
    enum scenario_action_kind kind;
    int alert; /* for SCENARIO_ALERT */
};

/* Where in the connection a fault strikes. */
enum scenario_point {
    SCENARIO_AT_NONE,
    SCENARIO_AT_ACCEPT,         /* the TCP connection was accepted */
    SCENARIO_AT_CLIENT_HELLO,   /* the whole ClientHello was read */
    SCENARIO_AT_SERVER_FLIGHT,  /* the server's first flight is ready */
    SCENARIO_AT_HANDSHAKE_DONE, /* the handshake completed */
    SCENARIO_AT_RESPONSE,       /* the HTTP response is due */
    SCENARIO_AT_GREETING,       /* a dialogue's greeting is ready */
    SCENARIO_POINT_COUNT
};

/* How a dialogue's server treats STARTTLS ([dialogue] starttls). */
enum scenario_starttls {
    SCENARIO_STARTTLS_OFFER,  /* offered and granted: the control */
    SCENARIO_STARTTLS_STRIP,  /* not offered, as a stripping attacker does */
    SCENARIO_STARTTLS_REFUSE, /* offered, then refused */
    SCENARIO_STARTTLS_EARLY   /* TLS begins right after the greeting,
                                 before the client asks for it */
};

struct scenario_fault {
    enum scenario_point at;
    struct scenario_action action;
    int after_bytes;   /* server_flight, greeting: bytes sent first */
    bool after_percent; /* after_bytes is a percentage of the flight */
    int interval_ms;   /* drip */
    int duration_s;    /* stall and drip end (FIN) after this long */
};

/* What a connection to the scenario ends in, as the trace classifies it;
 * a scenario lists the outcomes it exists to show. */
enum scenario_outcome {
    SCENARIO_OUTCOME_COMPLETED,     /* handshake done, response sent */
    SCENARIO_OUTCOME_CLIENT_ALERT,  /* the client refused with an alert */
    SCENARIO_OUTCOME_SERVER_ALERT,  /* the server refused with an alert */
    SCENARIO_OUTCOME_CLIENT_CLOSED, /* the client hung up mid-way */
    SCENARIO_OUTCOME_FAULT,         /* the scenario's own fault or policy */
    SCENARIO_OUTCOME_HTTP_ERROR,    /* handshake done, HTTP status >= 400 */
    SCENARIO_OUTCOME_TIMEOUT,       /* a server timeout cut it off */
    SCENARIO_OUTCOME_PLAINTEXT,     /* a dialogue's client went on without
                                       TLS (credentials in the clear) */
    SCENARIO_OUTCOME_COUNT
};

const char *scenario_action_name(enum scenario_action_kind k);
const char *scenario_point_name(enum scenario_point p);
const char *scenario_outcome_name(enum scenario_outcome o);
/* handshake_record_messages' name for a handshake type, NULL for one the
 * key does not name. */
const char *scenario_record_message_name(int type);
/* [tls] sign_with's name for a signature scheme, NULL for one it does not
 * name. */
const char *scenario_sigalg_name(uint16_t code);

enum scenario_client_auth {
    SCENARIO_CLIENT_AUTH_NONE,
    SCENARIO_CLIENT_AUTH_OPTIONAL,
    SCENARIO_CLIENT_AUTH_REQUIRED,
    /* No request in the first handshake; after the HTTP request line, a
     * TLS 1.2 renegotiation that requires a certificate (the IIS way). */
    SCENARIO_CLIENT_AUTH_RENEGOTIATE
};

/* The dates of the certificates a scenario serves: all current (the
 * default), or on purpose one that has ended or has not yet begun. */
enum scenario_validity {
    SCENARIO_VALIDITY_CURRENT,
    SCENARIO_VALIDITY_ENDED,
    SCENARIO_VALIDITY_NOT_BEGUN
};

/* A certificate, its key and the chain sent after it: file stems in the
 * certificates directory ("leaf" means leaf.pem and leaf.key). */
struct scenario_identity {
    char cert[SCENARIO_STEM_MAX];
    char key[SCENARIO_STEM_MAX];
    char chain[SCENARIO_MAX_CHAIN][SCENARIO_STEM_MAX];
    int n_chain;
};

/* The client generations the catalogue is verified against: Debian
 * releases, each with its own packaged curl, OpenSSL, Python and GnuTLS.
 * An expectation holds for every generation unless a key qualified with
 * "@NAME" (exit@trixie, message@trixie, note@trixie) says otherwise. */
enum scenario_generation {
    SCENARIO_GEN_BOOKWORM, /* Debian 12 */
    SCENARIO_GEN_TRIXIE,   /* Debian 13 */
    SCENARIO_GEN_COUNT
};

/* What one client generation shows: an exit code (or several, "35 || 7",
 * when it races the server) and a text that appears in its output. */
struct scenario_result {
    int exits[4];
    int n_exits;
    char message[512];
    char note[512];
};

/* What one client shows against the scenario: [expect.CLIENT] or
 * [expect.CLIENT.VARIANT] over HTTPS, [expect.PROTOCOL.CLIENT...] under
 * another protocol. */
struct scenario_expect {
    enum protocol_id protocol;
    char client[32];
    char variant[32];
    char args[512];
    char host[128];
    /* One per generation; a client that is not a Debian package
     * (wolfssl, chromium) has only the first. */
    struct scenario_result gen[SCENARIO_GEN_COUNT];
    unsigned own[SCENARIO_GEN_COUNT]; /* keys qualified for that generation */
    bool request; /* the client sends an HTTP request on its stdin */
    int timeout_s; /* run under timeout(1): exit 124 when it expires */
    int line; /* of the section header */
};

struct scenario {
    char file[512];
    int line; /* of the [scenario] header */

    /* [scenario] */
    char name[64];
    char title[128];
    char category[32];
    char explain[1024];
    int port;
    unsigned outcomes; /* bit per enum scenario_outcome; 0: not stated */
    unsigned protocols; /* bit per enum protocol_id it is served under;
                           0: every protocol */

    /* [tls] */
    enum scenario_version min_version;
    enum scenario_version max_version;
    char ciphers[512];
    /* key-exchange groups (IANA ids) in the server's order; 0: the
     * library's default */
    uint16_t groups[SCENARIO_MAX_GROUPS];
    int n_groups;
    struct scenario_identity identity;
    char dh_params[SCENARIO_STEM_MAX];
    char ocsp_staple[SCENARIO_STEM_MAX]; /* a DER response, stem.der */
    char ocsp_ca[SCENARIO_STEM_MAX];     /* root that verifies it */
    enum scenario_validity validity;
    /* Record sizes; 0: wolfSSL's own. The plaintext handshake messages
     * the server sends (bit per handshake type in record_messages; 0:
     * every one) go out in records of at most handshake_record_size
     * bytes, and application data in records of at most app_record_size
     * bytes of clear text. */
    int handshake_record_size;
    uint32_t record_messages;
    int app_record_size;
    /* The signature scheme (IANA code) that signs TLS 1.2's
     * ServerKeyExchange whatever the client offered; 0: the library picks
     * from the client's signature_algorithms. */
    uint16_t sign_with;

    /* [client_auth] */
    enum scenario_client_auth client_auth;
    char client_ca[SCENARIO_STEM_MAX];
    int client_min_rsa_bits;
    int missing_cert_status; /* HTTP status without a certificate; 0: 200 */

    /* [sni] */
    char sni_names[SCENARIO_MAX_SNI][256];
    int n_sni_names;
    struct scenario_identity sni_identity; /* empty cert: use identity */
    struct scenario_action on_unknown;
    struct scenario_action on_missing;

    /* [resumption]: what a ClientHello that offers to resume meets. By
     * default the server resumes as wolfSSL does (tickets in TLS 1.2 and
     * 1.3, the session cache). refuse: tickets are still issued but
     * never honoured, and the cache is off, so every connection is a
     * full handshake. An identity (cert, key, chain) is served to the
     * connections that offer to resume, always in a full handshake.
     * action: what the server does on such a ClientHello (serve). */
    bool resumption_refuse;
    struct scenario_identity resumed_identity; /* empty cert: identity */
    struct scenario_action on_resumption;

    /* [alpn] (RFC 7301): the protocols the server speaks, in its order
     * of preference (default h2, http/1.1), or none at all: then it
     * ignores the extension and selects nothing. */
    char alpn[SCENARIO_MAX_ALPN][SCENARIO_ALPN_MAX];
    int n_alpn; /* 0: protocols = none */
    struct scenario_action on_alpn_mismatch; /* offers none of them */
    struct scenario_action on_alpn_missing;  /* sends no ALPN at all */

    /* [http]: the answer to an HTTP request over TLS (HTTP/1.1 and
     * HTTP/2; not gRPC), in place of the scenario's text page. Header
     * values and the body may hold {port} (the scenario's bound port)
     * and {plain_port} (the companion's), filled in per response. */
    int http_status; /* 0: 200 */
    struct scenario_http_headers {
        char line[SCENARIO_MAX_HTTP_HEADERS][SCENARIO_HTTP_HEADER_MAX];
        int n; /* "Name: value" each */
    } http_headers;
    char http_location[SCENARIO_HTTP_HEADER_MAX]; /* a Location header */
    char http_content_type[128]; /* with a body */
    struct scenario_http_body {
        char file[256]; /* as written: beside the scenario file */
        char data[SCENARIO_HTTP_BODY_MAX];
        size_t len; /* 0 and no file: the scenario's page */
    } http_body;
    /* A companion listener on this port (0: ephemeral; -1: none) that
     * speaks plain HTTP, and TLS as the scenario does when the client
     * starts it there (an http:// URL upgraded to https://). HTTPS only. */
    int plain_port;

    /* [dialogue]: what a protocol's plaintext dialogue does (under
     * --protocol) */
    enum scenario_starttls starttls;
    bool inject; /* a line follows the go-ahead in the same segment */

    /* [fault] */
    struct scenario_fault fault;

    /* The catalogue part, what clients show: held once, shared by every
     * copy of the record (scenario_ref), freed with the last. */
    struct scenario_expect *expect;
    int n_expect;
    struct scenario_catalogue *catalogue; /* owns expect; NULL: none */
};

struct scenario_catalogue;

struct scenario_set {
    struct scenario *items;
    size_t count;
    size_t cap;
};

/* Each returns 0, or -1 with d filled ("file:line: message"). */
int scenario_load_string(struct scenario_set *set, const char *text,
                         const char *filename, struct diag *d);
int scenario_load_file(struct scenario_set *set, const char *path,
                       struct diag *d);
/* A file, or every *.ini in a directory in name order. */
int scenario_load_path(struct scenario_set *set, const char *path,
                       struct diag *d);
/* A copy of a record (s = *other) shares its catalogue part: it takes a
 * reference, and gives it back when the copy goes. Thread-safe. */
void scenario_ref(const struct scenario *s);
void scenario_unref(struct scenario *s);
/* Whether a and b serve alike and show alike (the catalogue's content,
 * not where it is held). */
bool scenario_same(const struct scenario *a, const struct scenario *b);
/* Orders the set by port (ephemeral last): the catalogue's order. */
void scenario_set_sort(struct scenario_set *set);
void scenario_set_free(struct scenario_set *set);

const struct scenario *scenario_find(const struct scenario_set *set,
                                     const char *name);
/* "bookworm", "trixie"; NULL past the end. */
const char *scenario_generation_name(enum scenario_generation g);
/* Whether the client's expectations differ by generation (the Debian
 * packages curl, openssl, python and gnutls do; our own clients not). */
bool scenario_client_has_generations(const char *client);
/* How many generations the expectation covers: SCENARIO_GEN_COUNT for
 * a packaged client, 1 otherwise. */
int scenario_expect_generations(const struct scenario_expect *e);
/* Whether generation g shows something other than the first does. */
bool scenario_expect_differs(const struct scenario_expect *e,
                             enum scenario_generation g);
/* "TLS 1.2", "SSL 3.0" ... */
const char *scenario_version_name(enum scenario_version v);
/* "1.2-1.3" or "1.0" into out. */
void scenario_versions_describe(const struct scenario *s, char *out,
                                size_t size);
/* Whether the scenario is served under protocol p. */
bool scenario_serves(const struct scenario *s, enum protocol_id p);
/* Whether host is one of the scenario's registered SNI names (ASCII
 * case-insensitive). */
bool scenario_sni_registered(const struct scenario *s, const char *host);

/* The SNI policy for a ClientHello with sni (NULL: it sent none): the
 * action of on_missing or on_unknown (why it applies into why), or NULL
 * to serve; *registered says the name gets the [sni] identity. */
const struct scenario_action *scenario_sni_policy(const struct scenario *s,
                                                  const char *sni,
                                                  bool *registered, char *why,
                                                  size_t why_size);

/* The ALPN policy for a ClientHello that offers the protocols in
 * offered (joined with ',', n of them; 0: no extension): the action of
 * on_alpn_missing or on_alpn_mismatch (why it applies into why), or NULL
 * to go on to the handshake. */
const struct scenario_action *scenario_alpn_policy(const struct scenario *s,
                                                   const char *offered,
                                                   int n, char *why,
                                                   size_t why_size);
/* Whether s speaks protocol (one ALPN id). */
bool scenario_alpn_speaks(const struct scenario *s, const char *protocol);
/* "h2, http/1.1" or "none" into out. */
void scenario_alpn_describe(const struct scenario *s, char *out, size_t size);

#endif
