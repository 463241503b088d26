/* The dialogue's bookkeeping. */
#include "dialogue.h"

#include <stdio.h>

void dialogue_at(struct dialogue *d, const char *step)
{
    snprintf(d->step, sizeof(d->step), "%s", step);
}

bool dialogue_step(struct dialogue *d, const char *step)
{
    dialogue_at(d, step);
    return ++d->commands <= DIALOGUE_MAX_COMMANDS;
}
