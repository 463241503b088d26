/*
 * TLS alert descriptions by number and name (RFC 8446 section 6, RFC 5246
 * section 7.2 and the SSLv3 leftovers), shared by the scenario loader, the
 * connection log and the fault actions.
 */
#ifndef SHAKEDOWN_ALERT_H
#define SHAKEDOWN_ALERT_H

#include <stddef.h>

/* The alert's name, or NULL for an unassigned number. */
const char *alert_name(int code);
/* The alert's number for a name such as "internal_error", or -1. */
int alert_lookup(const char *name);
/* Writes "name(code)", or "alert(code)" for an unknown number. */
void alert_describe(int code, char *out, size_t size);
/* Writes every known name, comma-separated, for error messages. */
void alert_list(char *out, size_t size);

#endif
