/* The protocol table's layers. */
#include "layers.h"

#include "ftp.h"
#include "imap.h"
#include "mysql.h"
#include "pop3.h"
#include "postgres.h"
#include "smtp.h"

static const struct {
    const struct preamble_ops *preamble;
    const struct app_ops *app;
} layers[PROTOCOL_COUNT] = {
    [PROTOCOL_HTTPS] = {&preamble_none, NULL},
    [PROTOCOL_SMTP] = {&smtp_preamble, &smtp_app},
    [PROTOCOL_SMTPS] = {&preamble_none, &smtps_app},
    [PROTOCOL_IMAP] = {&imap_preamble, &imap_app},
    [PROTOCOL_IMAPS] = {&preamble_none, &imaps_app},
    [PROTOCOL_POP3] = {&pop3_preamble, &pop3_app},
    [PROTOCOL_POP3S] = {&preamble_none, &pop3s_app},
    [PROTOCOL_FTP] = {&ftp_preamble, &ftp_app},
    [PROTOCOL_FTPS] = {&preamble_none, &ftps_app},
    [PROTOCOL_POSTGRES] = {&postgres_preamble, &postgres_app},
    [PROTOCOL_MYSQL] = {&mysql_preamble, &mysql_app},
};

const struct preamble_ops *layers_preamble(enum protocol_id p)
{
    return (unsigned)p < PROTOCOL_COUNT ? layers[p].preamble : NULL;
}

const struct app_ops *layers_app(enum protocol_id p)
{
    return (unsigned)p < PROTOCOL_COUNT ? layers[p].app : NULL;
}

bool layers_available(enum protocol_id p)
{
    return (unsigned)p < PROTOCOL_COUNT && layers[p].preamble != NULL &&
           (p == PROTOCOL_HTTPS || layers[p].app != NULL);
}
