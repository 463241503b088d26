/*
 * POP3's dialogue: STLS (RFC 2595 section 4) before TLS, and after it the
 * login and the few commands a client needs to report success (RFC 1939:
 * USER, PASS, STAT, LIST, UIDL, QUIT) over an empty maildrop. POP3S
 * (RFC 8314, port 995) is the same with the greeting inside TLS.
 */
#ifndef SHAKEDOWN_POP3_H
#define SHAKEDOWN_POP3_H

#include "app.h"
#include "preamble.h"

/* Greeting, CAPA and STLS. */
extern const struct preamble_ops pop3_preamble;
/* After STLS: the client speaks first (CAPA again, then USER). */
extern const struct app_ops pop3_app;
/* Implicit TLS: greets first. */
extern const struct app_ops pop3s_app;

#endif
