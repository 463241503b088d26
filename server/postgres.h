/*
 * PostgreSQL's dialogue (frontend/backend protocol 3.0): the SSLRequest
 * before TLS (or a direct TLS handshake, PostgreSQL 17), and after it the
 * startup a client needs to report success (StartupMessage, a trusted
 * login, simple queries answered with one row about the scenario,
 * Terminate).
 */
#ifndef SHAKEDOWN_POSTGRES_H
#define SHAKEDOWN_POSTGRES_H

#include "app.h"
#include "preamble.h"

/* The largest startup packet, length word included: the server's own
 * bound (MAX_STARTUP_PACKET_LENGTH in its backend). */
#define POSTGRES_MAX_STARTUP 10000
/* The largest message after the startup, type byte excluded. */
#define POSTGRES_MAX_MESSAGE (1024 * 1024)

/* The request codes a startup packet carries instead of a protocol
 * version ("Message Formats": CancelRequest, SSLRequest,
 * GSSENCRequest), and protocol 3.0 itself. */
#define POSTGRES_CANCEL_CODE 80877102u
#define POSTGRES_SSL_CODE 80877103u
#define POSTGRES_GSSENC_CODE 80877104u
#define POSTGRES_PROTOCOL_3 196608u

/* SSLRequest (and GSSENCRequest, refused) before TLS; nothing is said
 * first. */
extern const struct preamble_ops postgres_preamble;
/* After TLS: the StartupMessage is the request. */
extern const struct app_ops postgres_app;

#endif
