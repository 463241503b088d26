/*
 * The grading rules, in words a report can print as they are.
 */
#include "grade.h"

#include <stdio.h>
#include <string.h>

static const char *const intent_names[] = {"succeed", "fail", "depends"};
static const char *const grade_names[] = {"PASS", "FAIL", "INFO", "ERROR",
                                          "SKIP"};

enum grade_intent grade_intent(const struct scenario *s)
{
    unsigned done = 1u << SCENARIO_OUTCOME_COMPLETED;
    if (s->outcomes == done)
        return INTENT_SUCCEED;
    return (s->outcomes & done) ? INTENT_DEPENDS : INTENT_FAIL;
}

const char *grade_intent_name(enum grade_intent i)
{
    return intent_names[i];
}

const char *grade_name(enum grade g)
{
    return g < GRADE_COUNT ? grade_names[g] : "?";
}

int grade_parse(const char *name)
{
    for (int g = 0; g < GRADE_COUNT; g++)
        if (strcmp(name, grade_names[g]) == 0)
            return g;
    return -1;
}

enum grade_view grade_view(const struct grade_input *in)
{
    switch (in->outcome) {
    case SCENARIO_OUTCOME_HTTP_ERROR:
    case SCENARIO_OUTCOME_PLAINTEXT:
        return VIEW_ACCEPTED;
    case SCENARIO_OUTCOME_COMPLETED:
        return in->request ? VIEW_ACCEPTED : VIEW_UNDECIDED;
    case SCENARIO_OUTCOME_FAULT:
        return in->handshake_done ? VIEW_UNDECIDED : VIEW_REFUSED;
    default:
        return VIEW_REFUSED;
    }
}

void grade_judge(const struct scenario *s, const struct grade_input *in,
                 struct grade_result *out)
{
    enum grade_intent intent = grade_intent(s);
    enum grade_view view = grade_view(in);
    bool exit_ok = in->have_exit && in->exit_status == 0;
    bool exit_bad = in->have_exit && in->exit_status != 0;
    const char *saw = in->saw ? in->saw : "?";
    char status[48] = "";
    if (in->have_exit)
        snprintf(status, sizeof(status), "the command exited %d",
                 in->exit_status);

    out->decided = view != VIEW_UNDECIDED || in->have_exit;
    out->accepted = view == VIEW_ACCEPTED ||
                    (view == VIEW_UNDECIDED && exit_ok);
    /* Only a clean exchange makes a failure status suspect: after an
     * error page, a client may well report failure (curl --fail). */
    out->inconsistent =
        (exit_ok && view == VIEW_REFUSED) ||
        (exit_bad && view == VIEW_ACCEPTED &&
         in->outcome == SCENARIO_OUTCOME_COMPLETED);
    char after[64] = "";
    if (view == VIEW_UNDECIDED && in->have_exit)
        snprintf(after, sizeof(after), ", and %s", status);
    /* Going on without TLS is never right by default: only a scenario
     * that lists it (a redirect to http://, say) leaves it to the client.
     * Elsewhere it is the client's mistake, whatever the exit status. */
    if (in->outcome == SCENARIO_OUTCOME_PLAINTEXT &&
        !(s->outcomes & (1u << SCENARIO_OUTCOME_PLAINTEXT))) {
        out->grade = GRADE_FAIL;
        snprintf(out->why, sizeof(out->why), "went on without TLS: %s. %s",
                 saw, s->explain);
        return;
    }
    if (intent == INTENT_DEPENDS) {
        out->grade = GRADE_INFO;
        snprintf(out->why, sizeof(out->why), "%s (it depends on the "
                 "client): %s%s%s%s",
                 !out->decided ? "undecided" : out->accepted ? "accepted"
                                                             : "refused",
                 saw, after, out->inconsistent ? ", yet " : "",
                 out->inconsistent ? status : "");
        return;
    }
    if (!out->decided) {
        out->grade = GRADE_INFO;
        snprintf(out->why, sizeof(out->why), "%s; whether the client took "
                 "it for a success only the client can tell (shakedown "
                 "test reads its exit status)", saw);
        return;
    }
    if (intent == INTENT_SUCCEED) {
        if (out->accepted && !exit_bad) {
            out->grade = GRADE_PASS;
            snprintf(out->why, sizeof(out->why), "accepted: %s%s", saw,
                     after);
        } else if (out->accepted) {
            out->grade = GRADE_FAIL;
            snprintf(out->why, sizeof(out->why), "%s after a clean "
                     "exchange (%s): it reports a failure where there is "
                     "none", status, saw);
        } else {
            out->grade = GRADE_FAIL;
            snprintf(out->why, sizeof(out->why), "refused a connection it "
                     "should accept: %s%s. %s", saw, after, s->explain);
        }
        return;
    }
    /* Must fail. */
    if (out->accepted) {
        out->grade = GRADE_FAIL;
        snprintf(out->why, sizeof(out->why), "accepted what it must "
                 "refuse: %s%s. %s", saw, after, s->explain);
    } else if (exit_ok) {
        out->grade = GRADE_FAIL;
        snprintf(out->why, sizeof(out->why), "%s although the server saw "
                 "it refuse (%s): it reports success for a connection that "
                 "failed. %s", status, saw, s->explain);
    } else {
        out->grade = GRADE_PASS;
        snprintf(out->why, sizeof(out->why), "refused: %s%s", saw, after);
    }
}
