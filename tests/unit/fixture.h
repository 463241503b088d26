/*
 * The unit tests' fixtures: real ClientHellos captured from curl, openssl,
 * gnutls-cli and Python (tests/fixtures/clienthello/), found through
 * SHAKEDOWN_FIXTURES. Include after <cmocka.h>.
 */
#ifndef SHAKEDOWN_TEST_FIXTURE_H
#define SHAKEDOWN_TEST_FIXTURE_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads tests/fixtures/clienthello/NAME.bin; the caller frees it. */
static inline uint8_t *fixture_new(const char *name, size_t *len)
{
    const char *dir = getenv("SHAKEDOWN_FIXTURES");
    char path[PATH_MAX];
    FILE *f = NULL;
    uint8_t *data = NULL, *ok = NULL;
    long size;
    if (dir == NULL) {
        print_error("SHAKEDOWN_FIXTURES is not set\n");
        goto done;
    }
    snprintf(path, sizeof(path), "%s/clienthello/%s.bin", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        print_error("cannot open %s\n", path);
        goto done;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto done;
    data = malloc((size_t)size);
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size)
        goto done;
    *len = (size_t)size;
    ok = data;
    data = NULL;
done:
    free(data);
    if (f != NULL)
        fclose(f);
    return ok;
}

#endif
