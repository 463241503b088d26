/*
 * Reading PKI files. Stems were checked by the loader to hold no path
 * separators, so every file read here lies inside the certificates
 * directory.
 */
#include "pki.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pki_path(const char *dir, const char *stem, const char *ext, char *out,
             size_t size)
{
    int n = snprintf(out, size, "%s/%s%s", dir, stem, ext);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int pki_read(const char *path, struct buf *b, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (;;) {
        uint8_t *dst = buf_reserve(b, 4096);
        if (dst == NULL) {
            snprintf(why, why_size, "%s: out of memory", path);
            rc = -1;
            break;
        }
        size_t n = fread(dst, 1, 4096, f);
        buf_commit(b, n);
        if (n < 4096)
            break;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(why, why_size, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

static int read_stem(const char *dir, const char *stem, const char *ext,
                     struct buf *b, char *why, size_t why_size)
{
    char path[1024];
    if (pki_path(dir, stem, ext, path, sizeof(path)) != 0) {
        snprintf(why, why_size, "%s/%s%s: path too long", dir, stem, ext);
        return -1;
    }
    return pki_read(path, b, why, why_size);
}

int pki_identity(const char *dir, const struct scenario_identity *id,
                 struct buf *chain_pem, struct buf *key_pem, char *why,
                 size_t why_size)
{
    if (read_stem(dir, id->cert, ".pem", chain_pem, why, why_size) != 0)
        return -1;
    for (int i = 0; i < id->n_chain; i++) {
        /* A PEM file may lack its final newline; keep blocks apart. */
        if (buf_append(chain_pem, "\n", 1) != 0 ||
            read_stem(dir, id->chain[i], ".pem", chain_pem, why,
                      why_size) != 0)
            return -1;
    }
    return read_stem(dir, id->key, ".key", key_pem, why, why_size);
}
