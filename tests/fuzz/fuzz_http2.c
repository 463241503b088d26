/*
 * libFuzzer target for the HTTP/2 application layer (server/http2.c): the
 * frames a client sends after the handshake, through our callbacks into
 * nghttp2 and back. The input is cut into reads at the offsets its first
 * byte picks; after the client magic (prepended when the second byte is
 * even, so that frames are reached), every answer the layer can give is
 * given. Beyond the sanitizers it checks what the connection relies on:
 * results in range, terminated request fields, a bounded reply, and an
 * answer that never fails.
 */
#include <string.h>

#include "fuzz.h"
#include "http2.h"

static const char magic[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned step = data[0] ? data[0] : 1;
    bool with_magic = (data[1] & 1) == 0;
    data += 2;
    size -= 2;

    static struct scenario s = {.name = "fuzz", .title = "Fuzz",
                                .explain = "Frames."};
    struct app_page page = {.scenario = &s, .version = "TLSv1.3",
                            .cipher = "TLS_AES_128_GCM_SHA256"};
    void *st = calloc(1, http2_app.size);
    FUZZ_CHECK(st != NULL);
    struct buf out;
    buf_init(&out);
    FUZZ_CHECK(http2_app.open(st, NULL, &out) == 0);
    FUZZ_CHECK(buf_pending(&out) > 0);

    struct app_request req;
    enum app_result r = APP_MORE;
    if (with_magic)
        r = http2_app.input(st, (const uint8_t *)magic, sizeof(magic) - 1,
                            &req, &out);
    for (size_t at = 0; r == APP_MORE && at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        r = http2_app.input(st, data + at, n, &req, &out);
    }
    FUZZ_CHECK(r == APP_MORE || r == APP_REQUEST || r == APP_BAD);
    /* Every answer grows out only by what the input asked for. */
    FUZZ_CHECK(buf_pending(&out) <= 64 * 1024 + 16 * (size + 64));
    if (r == APP_REQUEST) {
        FUZZ_CHECK(memchr(req.method, '\0', sizeof(req.method)) != NULL);
        FUZZ_CHECK(memchr(req.target, '\0', sizeof(req.target)) != NULL);
        FUZZ_CHECK(strcmp(req.protocol, "HTTP/2") == 0);
        page.no_length = (data[0] & 2) != 0;
        FUZZ_CHECK(http2_app.respond(st, (data[0] & 4) ? 403 : 200, &page,
                                     &out) == 0);
    } else if (r == APP_BAD) {
        FUZZ_CHECK(http2_app.respond(st, 400, &page, &out) == 0);
    }
    http2_app.clear(st);
    free(st);
    buf_free(&out);
    return 0;
}
