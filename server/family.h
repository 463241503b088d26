/*
 * Scenario families: one file that describes many scenarios which differ
 * only in a few values, such as one scenario per TLS alert. Its
 * [member.NAME] sections each set variables; the rest of the file is a
 * template in which {VARIABLE} stands for a member's value ({member} for
 * its name, "{{" for a literal brace). The template is expanded once per
 * member, line for line, so that a loader's "file:line" still points at
 * the template's line.
 */
#ifndef SHAKEDOWN_FAMILY_H
#define SHAKEDOWN_FAMILY_H

#include <stdbool.h>

#include "diag.h"

/* Whether text has a [member.NAME] section. */
bool family_is(const char *text);

/* Called with each member's expansion; returns 0 or -1 with d set. */
typedef int family_fn(void *arg, const char *text, const char *member,
                      int member_line, struct diag *d);

/* Parses the members of text, then calls fn once per member, in file
 * order, with the template expanded for it: member sections become blank
 * lines. Stops at the first failure. Returns 0, or -1 with d set
 * ("file:line: ..."), for a malformed member section, a member without
 * variables, a duplicate name or variable, a variable the template uses
 * that a member does not set, or a failure of fn. */
int family_expand(const char *text, const char *file, family_fn *fn,
                  void *arg, struct diag *d);

#endif
