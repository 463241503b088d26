/*
 * FTP's control connection: AUTH TLS (RFC 4217 section 4) before TLS,
 * and after it the login and the commands a client sends before it
 * would open a data connection (RFC 959), which shakedown never offers.
 * Implicit FTPS (port 990) is the same with the greeting inside TLS.
 */
#ifndef SHAKEDOWN_FTP_H
#define SHAKEDOWN_FTP_H

#include "app.h"
#include "preamble.h"

/* Greeting, FEAT and AUTH TLS. */
extern const struct preamble_ops ftp_preamble;
/* After AUTH TLS: the client speaks first (USER). */
extern const struct app_ops ftp_app;
/* Implicit TLS: greets first. */
extern const struct app_ops ftps_app;

#endif
