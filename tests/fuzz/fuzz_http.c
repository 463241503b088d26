/*
 * libFuzzer target for the HTTP request-head parser (server/http.c): the
 * clear text a client sends after the handshake. Beyond the sanitizers it
 * checks the limits callers rely on, and that the head alone parses as it
 * did with more bytes behind it (pipelined or early data).
 */
#include <string.h>

#include "fuzz.h"
#include "http.h"

static enum http_status parse_copy(const uint8_t *data, size_t len,
                                   struct http_request *req)
{
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, len);
    enum http_status st = http_parse(copy, len, req);
    free(copy);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_request req;
    enum http_status st = http_parse(data, size, &req);
    FUZZ_CHECK(st == HTTP_COMPLETE || st == HTTP_NEED_MORE || st == HTTP_BAD);
    if (st == HTTP_NEED_MORE)
        FUZZ_CHECK(size <= HTTP_MAX_HEAD);
    if (st != HTTP_COMPLETE)
        return 0;
    FUZZ_CHECK(req.head_len > 0 && req.head_len <= size);
    FUZZ_CHECK(req.head_len <= HTTP_MAX_HEAD);
    FUZZ_CHECK(memchr(req.method, '\0', sizeof(req.method)) != NULL);
    FUZZ_CHECK(memchr(req.target, '\0', sizeof(req.target)) != NULL);
    FUZZ_CHECK(req.method[0] != '\0' && req.target[0] != '\0');

    struct http_request again;
    FUZZ_CHECK(parse_copy(data, req.head_len, &again) == HTTP_COMPLETE);
    FUZZ_CHECK(again.head_len == req.head_len);
    FUZZ_CHECK(strcmp(again.method, req.method) == 0);
    FUZZ_CHECK(strcmp(again.target, req.target) == 0);
    /* One byte short of its blank line, the head is still incomplete. */
    FUZZ_CHECK(parse_copy(data, req.head_len - 1, &again) == HTTP_NEED_MORE);
    return 0;
}
