/*
 * The dashboard's front page: one tile per scenario, grouped by category,
 * rendered on the server (readable without the script); the embedded
 * script adds the live in-browser check and the event stream.
 */
#ifndef SHAKEDOWN_DASHBOARD_PAGE_H
#define SHAKEDOWN_DASHBOARD_PAGE_H

#include <stddef.h>

#include "buf.h"

struct catalogue_view;

/* The embedded assets (cmake/embed.cmake). */
extern const char dashboard_css[];
extern const size_t dashboard_css_len;
extern const char dashboard_js[];
extern const size_t dashboard_js_len;

/* Appends the whole page to out. Returns 0, or -1 when out of memory. */
int dashboard_page(const struct catalogue_view *view, struct buf *out);

/* Appends s with &, <, >, " and ' escaped. Returns 0 or -1. */
int dashboard_escape(struct buf *out, const char *s);

#endif
