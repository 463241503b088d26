/*
 * MySQL's and MariaDB's client/server protocol ("Connection Phase" and
 * "Command Phase" in both projects' documentation): the Initial Handshake
 * and the client's SSLRequest before TLS, then the HandshakeResponse41 as
 * the request and a few commands answered with the scenario after it.
 */
#ifndef SHAKEDOWN_MYSQL_H
#define SHAKEDOWN_MYSQL_H

#include "app.h"
#include "preamble.h"

/* The server version the greeting announces. MariaDB 10.x servers send
 * the "5.5.5-" prefix so that replication and old clients, which read
 * the major version, see 5.5; the MariaDB client strips it and shows
 * "10.11.0-MariaDB-shakedown". */
#define MYSQL_SERVER_VERSION "5.5.5-10.11.0-MariaDB-shakedown"

/* A packet's payload after TLS may be this long; longer gets ERR 1153.
 * Before TLS the client sends one small packet: DIALOGUE_MAX_LINE. */
#define MYSQL_MAX_PACKET (1024 * 1024)

/* Capability flags ("Capabilities Flags" in MySQL's documentation). */
enum mysql_capability {
    MYSQL_CLIENT_LONG_PASSWORD = 0x00000001, /* MariaDB: CLIENT_MYSQL */
    MYSQL_CLIENT_FOUND_ROWS = 0x00000002,
    MYSQL_CLIENT_LONG_FLAG = 0x00000004,
    MYSQL_CLIENT_CONNECT_WITH_DB = 0x00000008,
    MYSQL_CLIENT_PROTOCOL_41 = 0x00000200,
    MYSQL_CLIENT_SSL = 0x00000800,
    MYSQL_CLIENT_TRANSACTIONS = 0x00002000,
    MYSQL_CLIENT_SECURE_CONNECTION = 0x00008000,
    MYSQL_CLIENT_MULTI_RESULTS = 0x00020000,
    MYSQL_CLIENT_PLUGIN_AUTH = 0x00080000,
    MYSQL_CLIENT_CONNECT_ATTRS = 0x00100000,
    MYSQL_CLIENT_PLUGIN_AUTH_LENENC = 0x00200000,
    MYSQL_CLIENT_DEPRECATE_EOF = 0x01000000
};

/* The command byte that opens each packet of the Command Phase. */
enum mysql_command {
    MYSQL_COM_QUIT = 0x01,
    MYSQL_COM_INIT_DB = 0x02,
    MYSQL_COM_QUERY = 0x03,
    MYSQL_COM_STATISTICS = 0x09,
    MYSQL_COM_PING = 0x0e
};

/* Greets, and takes the client's SSLRequest as the go-ahead. */
extern const struct preamble_ops mysql_preamble;
/* After TLS: the HandshakeResponse41 is the request ("login"). */
extern const struct app_ops mysql_app;

#endif
