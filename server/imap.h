/*
 * IMAP's dialogue: STARTTLS (RFC 3501 section 6.2.1, RFC 2595 section
 * 3.1) before TLS, and after it the login and the few commands a client
 * needs to report success (RFC 9051: CAPABILITY, LOGIN or AUTHENTICATE
 * PLAIN, SELECT, LIST, LOGOUT) over an empty INBOX. IMAPS (RFC 8314,
 * port 993) is the same with the greeting inside TLS.
 */
#ifndef SHAKEDOWN_IMAP_H
#define SHAKEDOWN_IMAP_H

#include "app.h"
#include "preamble.h"

/* Greeting, CAPABILITY and STARTTLS. */
extern const struct preamble_ops imap_preamble;
/* After STARTTLS: the client speaks first (CAPABILITY again, then LOGIN
 * or AUTHENTICATE). */
extern const struct app_ops imap_app;
/* Implicit TLS: greets first. */
extern const struct app_ops imaps_app;

#endif
