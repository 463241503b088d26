/*
 * The scoreboard. Rows are kept by scenario name, so that a reload
 * (SIGHUP) keeps what was seen of the scenarios it keeps.
 */
#include "watch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "catalogue.h"
#include "grade.h"
#include "trace.h"

#define REDRAW_MS 200 /* at most five tables a second */

struct score {
    char name[64];
    enum grade grade;
    char why[1536];
    char peer[64];
    unsigned connections;
};

struct watch {
    struct server *srv;
    FILE *out;
    bool tty;
    struct score *scores;
    size_t n;
    unsigned graded; /* connections, in all */
    uv_timer_t redraw;
    bool dirty;
};

static struct score *score_of(struct watch *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->scores[i].name, name) == 0)
            return &w->scores[i];
    struct score *v = realloc(w->scores, (w->n + 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    w->scores = v;
    memset(&v[w->n], 0, sizeof(v[w->n]));
    snprintf(v[w->n].name, sizeof(v[w->n].name), "%s", name);
    return &v[w->n++];
}

static void draw(struct watch *w)
{
    const struct catalogue_view *v = &w->srv->view;
    size_t counts[GRADE_COUNT] = {0}, seen = 0;
    fputs("\033[H\033[2J", w->out);
    fprintf(w->out, "shakedown watch: %zu scenarios on %s; trust %s/ca.pem"
            "%s%s. Ctrl-C stops.\n\n", v->n_entries, v->bind, v->certs_dir,
            v->dashboard_url ? "; dashboard " : "",
            v->dashboard_url ? v->dashboard_url : "");
    fprintf(w->out, "%-28s %6s  %-7s  %-5s  %5s  %s\n", "SCENARIO", "PORT",
            "INTENT", "GRADE", "CONNS", "LAST CONNECTION");
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct entry *e = v->entries[i];
        const struct scenario *s = e->scenario;
        struct score *sc = NULL;
        for (size_t k = 0; k < w->n && sc == NULL; k++)
            if (strcmp(w->scores[k].name, s->name) == 0)
                sc = &w->scores[k];
        if (sc != NULL && sc->connections) {
            counts[sc->grade]++;
            seen++;
        }
        fprintf(w->out, "%-28s %6d  %-7s  %-5s  %5u  %s%s%s\n", s->name,
                e->port, grade_intent_name(grade_intent(s)),
                sc && sc->connections ? grade_name(sc->grade) : "-",
                sc ? sc->connections : 0,
                e->ctx == NULL ? "unavailable: " : "",
                e->ctx == NULL ? e->unavailable
                : sc && sc->connections ? sc->why : "not tried yet",
                "");
    }
    fprintf(w->out, "\n%zu of %zu tried: %zu PASS, %zu FAIL, %zu INFO\n",
            seen, v->n_entries, counts[GRADE_PASS], counts[GRADE_FAIL],
            counts[GRADE_INFO]);
    fflush(w->out);
}

static void on_redraw(uv_timer_t *t)
{
    struct watch *w = t->data;
    if (w->dirty)
        draw(w);
    w->dirty = false;
}

static void on_verdict(void *arg, const struct trace *t,
                       const struct trace_verdict *v)
{
    struct watch *w = arg;
    struct score *sc = score_of(w, t->scenario->name);
    if (sc == NULL)
        return;
    sc->grade = v->grade->grade;
    sc->connections++;
    snprintf(sc->why, sizeof(sc->why), "%s", v->grade->why);
    snprintf(sc->peer, sizeof(sc->peer), "%s", t->peer);
    w->graded++;
    if (w->tty) {
        w->dirty = true;
        return;
    }
    fprintf(w->out, "%s: %s from %s: %s\n", sc->name, grade_name(sc->grade),
            sc->peer, sc->why);
    fflush(w->out);
}

int watch_run(struct server *srv, FILE *out)
{
    struct watch w;
    struct diag d;
    memset(&w, 0, sizeof(w));
    diag_clear(&d);
    w.srv = srv;
    w.out = out;
    w.tty = isatty(fileno(out));
    uv_loop_t *loop = uv_default_loop();
    struct trace_observer obs = {NULL, on_verdict, &w};
    trace_set_observer(&obs);
    int rc = 0;
    if (server_listen(srv, loop, &d) != 0) {
        diag_print(&d, stderr);
        server_stop(srv);
        rc = 1;
    } else {
        if (w.tty) {
            draw(&w);
        } else {
            catalogue_print_serving(&srv->view, out);
            fprintf(out, "shakedown watch: one line per connection, graded "
                    "by what the server saw\n");
            fflush(out);
        }
        uv_timer_init(loop, &w.redraw);
        w.redraw.data = &w;
        uv_timer_start(&w.redraw, on_redraw, REDRAW_MS, REDRAW_MS);
        uv_unref((uv_handle_t *)&w.redraw);
    }
    server_run(srv);
    if (rc == 0) {
        uv_close((uv_handle_t *)&w.redraw, NULL);
        uv_run(loop, UV_RUN_DEFAULT);
    }
    trace_set_observer(NULL);
    free(w.scores);
    return rc;
}
