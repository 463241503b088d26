/*
 * gRPC answers: statuses, the response message, grpc-message encoding.
 */
#include "grpc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum grpc_code grpc_code_for_http(int http_status)
{
    switch (http_status) {
    case 200: return GRPC_OK;
    case 400: return GRPC_INVALID_ARGUMENT;
    case 401:
    case 495:
    case 496: return GRPC_UNAUTHENTICATED;
    case 403: return GRPC_PERMISSION_DENIED;
    case 421:
    case 503: return GRPC_UNAVAILABLE;
    default: return GRPC_UNKNOWN;
    }
}

const char *grpc_code_name(enum grpc_code code)
{
    switch (code) {
    case GRPC_OK: return "OK";
    case GRPC_UNKNOWN: return "UNKNOWN";
    case GRPC_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case GRPC_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case GRPC_UNAVAILABLE: return "UNAVAILABLE";
    case GRPC_UNAUTHENTICATED: return "UNAUTHENTICATED";
    }
    return "UNKNOWN";
}

size_t grpc_response_message(const char *path, enum grpc_code code,
                             uint8_t out[16])
{
    /* HealthCheckResponse { status = SERVING (1) }: field 1, varint. */
    static const uint8_t serving[] = {0x08, 0x01};
    if (code != GRPC_OK)
        return 0;
    bool health = strcmp(path, GRPC_HEALTH_CHECK) == 0;
    size_t n = health ? sizeof(serving) : 0;
    out[0] = 0; /* not compressed */
    out[1] = out[2] = out[3] = 0;
    out[4] = (uint8_t)n;
    if (n > 0)
        memcpy(out + 5, serving, n);
    return 5 + n;
}

/* Printable ASCII but '%' goes as it is; everything else as %XX. */
void grpc_percent_encode(const char *text, char *out, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        bool plain = *p >= 0x20 && *p <= 0x7e && *p != '%';
        size_t need = plain ? 1 : 3;
        if (used + need + 1 > size)
            break;
        if (plain)
            out[used++] = (char)*p;
        else
            used += (size_t)snprintf(out + used, size - used, "%%%02X", *p);
    }
    out[used] = '\0';
}
