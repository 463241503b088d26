/*
 * The protocol table. Port offsets are multiples of 1000 so that a
 * scenario keeps its last three digits under every protocol (expired is
 * 9410 over HTTPS, 10410 over SMTP).
 */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

#define DISCARD "injected before TLS: a client must discard this\r\n"

static const struct protocol protocols[PROTOCOL_COUNT] = {
    [PROTOCOL_HTTPS] = {"https", "HTTPS", 0, 443, false, NULL, NULL},
    [PROTOCOL_SMTP] = {"smtp", "SMTP with STARTTLS (RFC 3207)", 1000, 25,
                       true, NULL, "250 2.0.0 " DISCARD},
    [PROTOCOL_SMTPS] = {"smtps", "SMTP over implicit TLS (RFC 8314)", 2000,
                        465, false, NULL, NULL},
    [PROTOCOL_IMAP] = {"imap", "IMAP with STARTTLS (RFC 2595)", 3000, 143,
                       true, NULL, "* OK " DISCARD},
    [PROTOCOL_IMAPS] = {"imaps", "IMAP over implicit TLS (RFC 8314)", 4000,
                        993, false, NULL, NULL},
    [PROTOCOL_POP3] = {"pop3", "POP3 with STLS (RFC 2595)", 5000, 110, true,
                       NULL, "+OK " DISCARD},
    [PROTOCOL_POP3S] = {"pop3s", "POP3 over implicit TLS (RFC 8314)", 6000,
                        995, false, NULL, NULL},
    [PROTOCOL_FTP] = {"ftp", "FTP with AUTH TLS (RFC 4217)", 7000, 21, true,
                      NULL, "200 " DISCARD},
    [PROTOCOL_FTPS] = {"ftps", "FTP over implicit TLS", 8000, 990, false,
                       NULL, NULL},
    [PROTOCOL_POSTGRES] = {"postgres",
                           "PostgreSQL: SSLRequest, or direct TLS with ALPN",
                           9000, 5432, true, "postgresql", DISCARD},
    [PROTOCOL_MYSQL] = {"mysql", "MySQL and MariaDB: CLIENT_SSL", 10000,
                        3306, true, NULL, NULL},
};

const struct protocol *protocol_get(enum protocol_id id)
{
    return (unsigned)id < PROTOCOL_COUNT ? &protocols[id] : NULL;
}

int protocol_find(const char *name)
{
    for (int i = 0; i < PROTOCOL_COUNT; i++)
        if (strcmp(protocols[i].name, name) == 0)
            return i;
    return -1;
}

void protocol_names(char *out, size_t size)
{
    size_t used = 0;
    if (size > 0)
        out[0] = '\0';
    for (int i = 0; i < PROTOCOL_COUNT && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 i ? ", " : "", protocols[i].name);
}
