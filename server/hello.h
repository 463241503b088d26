/*
 * A bounded ClientHello parser that runs before TLS starts: it reassembles
 * the handshake message across TLS records (and so across TCP reads), and
 * reports the SNI, offered versions, cipher suites, groups, signature
 * algorithms and ALPN. It never reads past the bytes it is given.
 */
#ifndef SHAKEDOWN_HELLO_H
#define SHAKEDOWN_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HELLO_MAX_LIST 64
#define HELLO_MAX_BYTES (128 * 1024) /* handshake message, not records */

enum hello_status {
    HELLO_OK = 0,
    HELLO_NEED_MORE = 1,
    HELLO_ERROR = -1
};

struct hello {
    uint16_t record_version;
    uint16_t legacy_version;
    int n_records;      /* records the message was spread over */
    size_t record_bytes; /* bytes of those records, headers included */
    size_t length; /* of the ClientHello body; set with HELLO_NEED_MORE too
                    * once the handshake header has arrived */

    uint16_t ciphers[HELLO_MAX_LIST];
    int n_ciphers; /* offered; only the first HELLO_MAX_LIST are kept */
    uint16_t versions[HELLO_MAX_LIST];
    int n_versions; /* supported_versions; 0 when absent */
    uint16_t groups[HELLO_MAX_LIST];
    int n_groups;
    uint16_t sigalgs[HELLO_MAX_LIST];
    int n_sigalgs;
    bool has_sni;
    char sni[256];
    char alpn[256]; /* protocols joined with ',' */
    int n_alpn;
    int n_extensions;
    size_t session_id_len; /* legacy_session_id: 0 to 32 bytes */
    bool has_psk;          /* pre_shared_key (41): a TLS 1.3 resumption */
    size_t ticket_len;     /* session_ticket (35) contents: 0 asks for one */
};

/* Parses the ClientHello at the start of data. Returns HELLO_OK with h
 * filled, HELLO_NEED_MORE when the bytes end before the message does (with
 * h->length the declared body length when the header was complete), or
 * HELLO_ERROR with *why set to a static reason. */
enum hello_status hello_parse(const uint8_t *data, size_t len,
                              struct hello *h, const char **why);

/* The highest version the client offers: supported_versions when present
 * (GREASE skipped), else legacy_version. */
uint16_t hello_max_version(const struct hello *h);
/* "TLS 1.2", "SSL 3.0", or "0x7f1c" into out. */
void hello_version_name(uint16_t v, char *out, size_t size);
/* "x25519", "secp256r1", ... or NULL. */
const char *hello_group_name(uint16_t g);
/* The IANA id of a group a server can be set to ("x25519": 29), or -1. */
int hello_group_lookup(const char *name);
/* "x25519, x448, secp256r1, ...": the names hello_group_lookup knows. */
void hello_group_list(char *out, size_t size);
bool hello_is_grease(uint16_t v);
/* Whether the client offers to resume a session, and how ("a TLS 1.3
 * pre-shared key", "a TLS 1.2 session ticket", "a TLS 1.2 session ID")
 * into *how: a pre_shared_key, a session_ticket with contents, or a
 * session ID from a client that does not offer TLS 1.3 (a client that
 * does sends 32 random bytes there for middlebox compatibility). */
bool hello_offers_resumption(const struct hello *h, const char **how);

#endif
