/*
 * The preambles. None today but the empty one; the mail and database
 * dialogues come here.
 */
#include "preamble.h"

static enum preamble_result none_input(void *state, struct buf *in,
                                       struct buf *out, const char **why)
{
    (void)state, (void)in, (void)out, (void)why;
    return PREAMBLE_TLS;
}

static void none_clear(void *state)
{
    (void)state;
}

const struct preamble_ops preamble_none = {
    .name = "none",
    .size = 0,
    .input = none_input,
    .clear = none_clear,
};
