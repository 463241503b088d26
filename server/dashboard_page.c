/*
 * Rendering the dashboard's front page. Every value that comes from a
 * scenario file is escaped; the tiles carry data attributes that the
 * embedded script (and the browser test) read and update.
 */
#include "dashboard_page.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "catalogue.h"
#include "fault.h"
#include "tlsio.h"

struct page {
    struct buf *out;
    bool failed;
};

static void put(struct page *p, const char *s)
{
    if (!p->failed && buf_append(p->out, s, strlen(s)) != 0)
        p->failed = true;
}

static void putf(struct page *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void putf(struct page *p, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        p->failed = true;
    else
        put(p, tmp);
}

int dashboard_escape(struct buf *out, const char *s)
{
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        int rc = rep ? buf_append(out, rep, strlen(rep)) : buf_append(out, s, 1);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void esc(struct page *p, const char *s)
{
    if (!p->failed && dashboard_escape(p->out, s) != 0)
        p->failed = true;
}

/* What each outcome means for the person watching the tile. */
static const char *const outcome_step[SCENARIO_OUTCOME_COUNT] = {
    [SCENARIO_OUTCOME_COMPLETED] = "the handshake completes and the server "
                                   "answers",
    [SCENARIO_OUTCOME_CLIENT_ALERT] = "after the server's flight: the client "
                                      "refuses it with an alert",
    [SCENARIO_OUTCOME_SERVER_ALERT] = "at the ClientHello: the server "
                                      "refuses with an alert",
    [SCENARIO_OUTCOME_CLIENT_CLOSED] = "after the server's flight: the "
                                       "client hangs up",
    [SCENARIO_OUTCOME_FAULT] = "the server's deliberate fault",
    [SCENARIO_OUTCOME_HTTP_ERROR] = "after the handshake: an HTTP error",
    [SCENARIO_OUTCOME_TIMEOUT] = "a timeout cuts the connection",
    [SCENARIO_OUTCOME_PLAINTEXT] = "before TLS: the client goes on in "
                                   "plaintext",
};

static const char *intent_label(const char *intent)
{
    if (strcmp(intent, "fail") == 0)
        return "must fail";
    if (strcmp(intent, "succeed") == 0)
        return "should succeed";
    return "depends on the client";
}

static void tile_steps(struct page *p, const struct scenario *s)
{
    put(p, "<ul class=\"steps\">");
    for (int o = 0; o < SCENARIO_OUTCOME_COUNT; o++) {
        if (!(s->outcomes & (1u << o)))
            continue;
        put(p, "<li>");
        esc(p, outcome_step[o]);
        if (o == SCENARIO_OUTCOME_FAULT && s->fault.at != SCENARIO_AT_NONE) {
            char what[256];
            fault_describe(&s->fault.action, &s->fault, what, sizeof(what));
            putf(p, " at %s: ", scenario_point_name(s->fault.at));
            esc(p, what);
        }
        put(p, "</li>");
    }
    put(p, "</ul>");
}

static void tile_result(struct page *p, const struct scenario_result *r)
{
    putf(p, "<td>exit %d", r->exits[0]);
    for (int k = 1; k < r->n_exits; k++)
        putf(p, " or %d", r->exits[k]);
    put(p, "</td><td><code>");
    esc(p, r->message);
    put(p, "</code></td>");
}

/* Every client's expected result; a client whose next Debian release
 * shows something else gets a second row, named by its version. */
static bool generations_differ(const struct scenario_expect *e)
{
    for (int g = 1; g < scenario_expect_generations(e); g++)
        if (scenario_expect_differs(e, g))
            return true;
    return false;
}

/* What each client shows over the protocol served. */
static void tile_clients(struct page *p, const struct scenario *s,
                         enum protocol_id protocol)
{
    put(p, "<table class=\"clients\">");
    for (int i = 0; i < s->n_expect; i++) {
        const struct scenario_expect *e = &s->expect[i];
        if (e->protocol != protocol)
            continue;
        bool differ = generations_differ(e);
        put(p, "<tr><th>");
        esc(p, differ ? catalogue_client_version(e->client, 0) : e->client);
        if (e->variant[0]) {
            put(p, " (");
            esc(p, e->variant);
            put(p, ")");
        }
        put(p, "</th>");
        tile_result(p, &e->gen[0]);
        put(p, "</tr>");
        for (int g = 1; differ && g < scenario_expect_generations(e); g++) {
            if (!scenario_expect_differs(e, g))
                continue;
            put(p, "<tr class=\"generation\"><th>");
            esc(p, catalogue_client_version(e->client, g));
            put(p, "</th>");
            tile_result(p, &e->gen[g]);
            put(p, "</tr>");
        }
    }
    put(p, "</table>");
}

/* A command to paste: the protocol's first client, as the catalogue
 * runs it against this port. */
static void put_command(struct page *p, const struct scenario *s,
                        enum protocol_id protocol, int port_number)
{
    char port[16], cmd[2048];
    struct scenario_expect e = {.protocol = protocol};
    snprintf(e.client, sizeof(e.client), "%s",
             catalogue_first_client(protocol));
    snprintf(port, sizeof(port), "%d", port_number);
    if (catalogue_command(s, &e, port, cmd, sizeof(cmd)) != 0)
        snprintf(cmd, sizeof(cmd),
                 "curl -v --cacert certs/ca.pem https://localhost:%s/", port);
    put(p, "<pre class=\"cmd\">");
    esc(p, cmd);
    put(p, "</pre>");
}

static void tile(struct page *p, const struct entry *e,
                 enum protocol_id protocol)
{
    const struct scenario *s = e->scenario;
    const char *intent = catalogue_intent(s);
    /* The browser checks HTTPS only. */
    const struct scenario_expect *chromium =
        protocol == PROTOCOL_HTTPS ? catalogue_expect(s, "chromium") : NULL;
    const char *expect = chromium == NULL       ? "none"
                         : chromium->gen[0].exits[0] == 0 ? "connect"
                                                    : "refuse";
    bool available = e->listening;
    put(p, "<article class=\"tile intent-");
    esc(p, intent);
    put(p, "\" data-scenario=\"");
    esc(p, s->name);
    putf(p, "\" data-intent=\"%s\" data-port=\"%d\" data-host=\"", intent,
         available ? e->port : 0);
    esc(p, chromium && chromium->host[0] ? chromium->host : "localhost");
    putf(p, "\" data-available=\"%s\" data-browser-expect=\"%s\" "
            "data-browser-result=\"%s\" data-verdict=\"%s\">",
         available ? "true" : "false", expect,
         available ? "pending" : "unavailable",
         available && chromium ? "pending" : "untested");
    put(p, "<h3>");
    esc(p, s->title);
    put(p, "</h3><p class=\"meta\"><code>");
    esc(p, s->name);
    if (available)
        putf(p, "</code> · port %d · ", e->port);
    else
        put(p, "</code> · not served · ");
    putf(p, "<span class=\"intent\">%s</span></p>", intent_label(intent));
    if (!available) {
        put(p, "<p class=\"unavailable\">Unavailable in this build: ");
        esc(p, e->unavailable);
        put(p, "</p>");
    }
    put(p, "<p class=\"explain\">");
    esc(p, s->explain);
    put(p, "</p>");
    tile_steps(p, s);
    tile_clients(p, s, protocol);
    if (available)
        put_command(p, s, protocol, e->port);
    putf(p, "<p class=\"live\">This browser: <span class=\"result\">%s"
            "</span>; expected: <span class=\"expected\">%s</span></p>",
         available ? "not checked yet" : "not served",
         chromium == NULL ? "no Chromium expectation" : expect);
    /* The scoreboard: the last connection any client made, graded by
     * what the server saw (the verdict events' "grade"). */
    put(p, "<p class=\"score\" data-grade=\"none\">Last connection: "
           "<span class=\"grade\">none yet</span> <span class=\"why\">"
           "</span></p>");
    put(p, "</article>\n");
}

/* A family file (family.h) of this many scenarios or more is one folded
 * group of tiles, so that the page stays readable. */
#define FAMILY_FOLD 6

/* How many scenarios came from entry i's file, when they are a family to
 * fold; 0 otherwise. */
static size_t family_size(const struct catalogue_view *srv, size_t i)
{
    size_t n = 0;
    for (size_t k = 0; k < srv->n_entries; k++)
        n += strcmp(srv->entries[k]->scenario->file,
                    srv->entries[i]->scenario->file) == 0;
    return n >= FAMILY_FOLD ? n : 0;
}

static bool first_of_family(const struct catalogue_view *srv, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(srv->entries[k]->scenario->file,
                   srv->entries[i]->scenario->file) == 0)
            return false;
    return true;
}

/* Every tile of entry i's family, folded under one summary. */
static void family(struct page *p, const struct catalogue_view *srv, size_t i,
                   size_t members)
{
    const char *file = srv->entries[i]->scenario->file;
    const char *base = strrchr(file, '/');
    put(p, "<details class=\"family\" data-file=\"");
    esc(p, file);
    putf(p, "\"><summary>%zu scenarios from one description, ", members);
    esc(p, base ? base + 1 : file);
    put(p, " (open to see each)</summary><div class=\"tiles\">\n");
    for (size_t k = i; k < srv->n_entries; k++)
        if (strcmp(srv->entries[k]->scenario->file, file) == 0)
            tile(p, srv->entries[k], srv->protocol);
    put(p, "</div></details>\n");
}

/* Categories in first-seen order, with the control group first. */
static size_t categories(const struct catalogue_view *srv, const char **out,
                         size_t max)
{
    size_t n = 0;
    out[n++] = "control";
    for (size_t i = 0; i < srv->n_entries && n < max; i++) {
        const char *c = srv->entries[i]->scenario->category;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(out[k], c) == 0;
        if (!seen)
            out[n++] = c;
    }
    return n;
}

/* The control's port under protocol q, as an instance started with the
 * same --port-offset would bind it; 0 when ports are ephemeral. */
static int control_port(const struct catalogue_view *srv,
                        const struct scenario *control, enum protocol_id q)
{
    int user_offset =
        srv->port_offset - protocol_get(srv->protocol)->port_offset;
    if (control->port == 0 || srv->ephemeral)
        return 0;
    return control->port + user_offset + protocol_get(q)->port_offset;
}

/* Every protocol is an instance of its own (--protocol NAME): what this
 * one serves, and how to reach the control over each of the others. */
static void protocols(struct page *p, const struct catalogue_view *srv)
{
    const struct scenario *control = NULL;
    for (size_t i = 0; i < srv->n_entries && control == NULL; i++)
        if (strcmp(srv->entries[i]->scenario->category, "control") == 0)
            control = srv->entries[i]->scenario;
    put(p, "<details class=\"protocols\"><summary>Served over ");
    esc(p, protocol_get(srv->protocol)->title);
    put(p, "; every scenario can also be served behind a mail, FTP or "
           "database dialogue</summary><p>One instance per protocol, side by "
           "side: <code>./scripts/run.sh --protocol NAME</code> moves every "
           "port by the protocol's offset. The control over each:</p><dl>");
    for (int q = 0; q < PROTOCOL_COUNT; q++) {
        const struct protocol *pr = protocol_get(q);
        putf(p, "<dt><code>--protocol %s</code> (+%d): ", pr->name,
             pr->port_offset);
        esc(p, pr->title);
        put(p, "</dt><dd>");
        int port = control ? control_port(srv, control, q) : 0;
        if (port > 0)
            put_command(p, control, q, port);
        else
            put(p, "ports are ephemeral: see the instance's ports file");
        put(p, "</dd>");
    }
    put(p, "</dl></details>");
}

static void header(struct page *p, const struct catalogue_view *srv)
{
    size_t serving = srv->n_entries - catalogue_count_unavailable(srv);
    put(p, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width\">"
           "<title>shakedown: TLS that fails on purpose</title><style>");
    if (buf_append(p->out, dashboard_css, dashboard_css_len) != 0)
        p->failed = true;
    put(p, "</style></head><body><header><h1>shakedown</h1>");
    putf(p, "<p>%zu scenarios served by shakedown with wolfSSL %s. Trust "
            "<a href=\"/ca.pem\">ca.pem</a> to check them from this "
            "browser; <a href=\"/client.p12\">client.p12</a> (password "
            "<code>shakedown</code>) is the test client certificate; "
            "<a href=\"/scenarios.json\">scenarios.json</a> is the "
            "catalogue for test harnesses; <a href=\"/events\">/events</a> "
            "streams every connection's trace.</p>",
         serving, tlsio_library_version());
    protocols(p, srv);
    put(p, "<p id=\"summary\" data-done=\"false\" data-expected=\"0\" "
           "data-checked=\"0\">Checking what this browser does…</p>"
           "<p id=\"scoreboard\" data-pass=\"0\" data-fail=\"0\" "
           "data-info=\"0\">Scoreboard: no client has connected yet (each "
           "tile grades the last connection any client made: a phone, an "
           "appliance, this browser).</p>"
           "<p class=\"legend\"><span class=\"intent-fail\">must fail</span> "
           "<span class=\"intent-succeed\">should succeed</span> "
           "<span class=\"intent-depends\">depends on the client</span></p>"
           "</header>\n<main>");
}

int dashboard_page(const struct catalogue_view *srv, struct buf *out)
{
    struct page p = {out, false};
    const char *cats[64];
    size_t n_cats = categories(srv, cats, 64);
    header(&p, srv);
    for (size_t k = 0; k < n_cats; k++) {
        put(&p, "<section class=\"category\"><h2>");
        esc(&p, cats[k]);
        put(&p, "</h2><div class=\"tiles\">\n");
        for (size_t i = 0; i < srv->n_entries; i++) {
            const struct scenario *s = srv->entries[i]->scenario;
            if (strcmp(s->category, cats[k]) != 0)
                continue;
            size_t members = family_size(srv, i);
            if (members == 0)
                tile(&p, srv->entries[i], srv->protocol);
            else if (first_of_family(srv, i))
                family(&p, srv, i, members);
        }
        put(&p, "</div></section>\n");
    }
    put(&p, "</main><aside><h2>Live connections</h2>"
            "<p>Every connection to any scenario, as the server traces it."
            "</p><p id=\"stream\" data-state=\"connecting\">Connecting to "
            "the live stream…</p><ol id=\"events\" reversed></ol></aside>"
            "<script>");
    if (buf_append(out, dashboard_js, dashboard_js_len) != 0)
        p.failed = true;
    put(&p, "</script></body></html>\n");
    return p.failed ? -1 : 0;
}
