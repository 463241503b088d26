/*
 * Fault payloads. The plaintext answer mimics a web server that speaks
 * plain HTTP on the port; the garbage is fixed pseudo-random bytes whose
 * first byte is no TLS content type, so every client fails the same way.
 */
#include "fault.h"

#include <stdio.h>
#include <string.h>

#include "alert.h"

static int plaintext(struct buf *out)
{
    static const char body[] =
        "<html><head><title>400 Bad Request</title></head><body>\r\n"
        "<h1>400 Bad Request</h1>\r\n"
        "<p>The plain HTTP request was sent to HTTPS port</p>\r\n"
        "</body></html>\r\n";
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 400 Bad Request\r\n"
                     "Server: shakedown\r\n"
                     "Content-Type: text/html\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     sizeof(body) - 1);
    if (buf_append(out, head, (size_t)n) != 0)
        return -1;
    return buf_append(out, body, sizeof(body) - 1);
}

static int garbage(struct buf *out)
{
    uint8_t bytes[256];
    uint32_t x = 0x5eed1234u; /* xorshift32: the same bytes every time */
    for (size_t i = 0; i < sizeof(bytes); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes[i] = (uint8_t)x;
    }
    bytes[0] = 0xff; /* not 20..24: no TLS record starts like this */
    return buf_append(out, bytes, sizeof(bytes));
}

int fault_payload(const struct scenario_action *a, uint16_t record_version,
                  struct buf *out)
{
    switch (a->kind) {
    case SCENARIO_ALERT: {
        /* RFC 8446 section 6: level 2 (fatal), then the description. */
        uint8_t rec[7] = {21, (uint8_t)(record_version >> 8),
                          (uint8_t)record_version, 0, 2, 2,
                          (uint8_t)a->alert};
        return buf_append(out, rec, sizeof(rec));
    }
    case SCENARIO_PLAINTEXT:
        return plaintext(out);
    case SCENARIO_GARBAGE:
        return garbage(out);
    default:
        return 0;
    }
}

size_t fault_flight_limit(const struct scenario_fault *f, size_t flight_len)
{
    size_t limit = f->after_percent
                       ? flight_len * (size_t)f->after_bytes / 100
                       : (size_t)f->after_bytes;
    return limit < flight_len ? limit : flight_len;
}

void fault_describe(const struct scenario_action *a,
                    const struct scenario_fault *f, char *out, size_t size)
{
    char name[48];
    switch (a->kind) {
    case SCENARIO_ALERT:
        alert_describe(a->alert, name, sizeof(name));
        snprintf(out, size, "fatal alert %s, then FIN", name);
        break;
    case SCENARIO_RESET: snprintf(out, size, "TCP reset (RST)"); break;
    case SCENARIO_CLOSE: snprintf(out, size, "close (FIN)"); break;
    case SCENARIO_STALL:
        snprintf(out, size, "stall: say nothing for up to %d s",
                 f ? f->duration_s : 0);
        break;
    case SCENARIO_DRIP:
        snprintf(out, size, "drip: one byte every %d ms (at most %d s)",
                 f ? f->interval_ms : 0, f ? f->duration_s : 0);
        break;
    case SCENARIO_PLAINTEXT:
        snprintf(out, size, "answer in plain HTTP (400 Bad Request)");
        break;
    case SCENARIO_GARBAGE:
        snprintf(out, size, "answer with 256 bytes that are not TLS");
        break;
    case SCENARIO_TRUNCATE:
        snprintf(out, size,
                 "response without Content-Length, closed without "
                 "close_notify");
        break;
    default: snprintf(out, size, "serve"); break;
    }
}
