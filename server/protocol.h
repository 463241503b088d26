/*
 * The protocols a scenario can be served under (--protocol NAME): HTTPS,
 * and the mail, FTP and database protocols that hold a plaintext
 * dialogue before TLS (STARTTLS) or start it at once (implicit TLS). A
 * table of names, titles and port ranges; which layers speak each one is
 * layers.c's business. A leaf: the scenario loader checks names here.
 */
#ifndef SHAKEDOWN_PROTOCOL_H
#define SHAKEDOWN_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

enum protocol_id {
    PROTOCOL_HTTPS,
    PROTOCOL_SMTP,
    PROTOCOL_SMTPS,
    PROTOCOL_IMAP,
    PROTOCOL_IMAPS,
    PROTOCOL_POP3,
    PROTOCOL_POP3S,
    PROTOCOL_FTP,
    PROTOCOL_FTPS,
    PROTOCOL_POSTGRES,
    PROTOCOL_MYSQL,
    PROTOCOL_COUNT
};

struct protocol {
    const char *name;  /* "smtp", as --protocol and [expect.smtp.*] say */
    const char *title; /* "SMTP with STARTTLS (RFC 3207)" */
    /* Added to every port (the scenarios' and the dashboard's), so that
     * an instance per protocol runs beside the others. */
    int port_offset;
    int well_known; /* the protocol's own port, for the README: 25 */
    bool starttls;  /* a plaintext dialogue comes before TLS */
    /* The ALPN id the server selects (RFC 7301; PostgreSQL 17's direct
     * TLS sends "postgresql"), or NULL: under this protocol the server
     * ignores ALPN. Unused for HTTPS, where the scenario's [alpn]
     * decides. */
    const char *alpn;
    /* What [dialogue] inject = yes sends right after the go-ahead to
     * STARTTLS, in the same segment: a reply a client must discard
     * (RFC 3207 section 4.2, CVE-2011-0411, CVE-2021-23222). NULL: the
     * protocol has no go-ahead of the server's (MySQL). */
    const char *inject;
};

const struct protocol *protocol_get(enum protocol_id id);
/* The protocol called name; -1 when there is none. */
int protocol_find(const char *name);
/* "https, smtp, smtps, ..." into out. */
void protocol_names(char *out, size_t size);

#endif
