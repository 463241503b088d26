/*
 * The empty preamble: TLS from the first byte (HTTPS and every implicit
 * TLS protocol: SMTPS, IMAPS, POP3S, FTPS).
 */
#include "preamble.h"

static enum preamble_result none_input(void *state, struct dialogue *d,
                                       struct buf *in, struct buf *out,
                                       const char **why)
{
    (void)state, (void)d, (void)in, (void)out, (void)why;
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
