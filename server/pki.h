/*
 * Certificate material on disk: file stems resolved inside the
 * certificates directory, read into memory, with the PEM chain for an
 * identity assembled leaf first.
 */
#ifndef SHAKEDOWN_PKI_H
#define SHAKEDOWN_PKI_H

#include <stddef.h>

#include "buf.h"
#include "scenario.h"

/* dir/stem.ext into out; returns 0, or -1 when it does not fit. */
int pki_path(const char *dir, const char *stem, const char *ext, char *out,
             size_t size);
/* Appends the file's bytes to b. Returns 0, or -1 with why filled. */
int pki_read(const char *path, struct buf *b, char *why, size_t why_size);
/* The certificate then each chain element (".pem"), and the key (".key"). */
int pki_identity(const char *dir, const struct scenario_identity *id,
                 struct buf *chain_pem, struct buf *key_pem, char *why,
                 size_t why_size);

#endif
