/*
 * What the libFuzzer targets share: a check that aborts with a message, so
 * that a broken invariant is reported (and saved as a crash input) just as
 * a sanitizer finding is.
 */
#ifndef SHAKEDOWN_FUZZ_H
#define SHAKEDOWN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
