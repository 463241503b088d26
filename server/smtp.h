/*
 * SMTP's dialogue: STARTTLS (RFC 3207) before TLS, and after it the one
 * mail transaction a client needs to report success (RFC 5321: EHLO,
 * MAIL, RCPT, DATA, QUIT), accepted and dropped. SMTPS (RFC 8314,
 * port 465) is the same transaction with the greeting inside TLS.
 */
#ifndef SHAKEDOWN_SMTP_H
#define SHAKEDOWN_SMTP_H

#include "app.h"
#include "preamble.h"

/* The largest message DATA takes before 552 (also EHLO's SIZE). */
#define SMTP_MAX_MESSAGE (10 * 1024 * 1024)

/* Greeting, EHLO and STARTTLS. */
extern const struct preamble_ops smtp_preamble;
/* After STARTTLS: the client speaks first (EHLO again). */
extern const struct app_ops smtp_app;
/* Implicit TLS: greets first. */
extern const struct app_ops smtps_app;

#endif
