/*
 * The gRPC answer a scenario gives once its handshake is done (the gRPC
 * over HTTP/2 protocol, PROTOCOL-HTTP2.md in grpc/grpc): the status an
 * HTTP status stands for, the one response message, and the
 * percent-encoding of grpc-message. Plain C: no HTTP/2 here.
 */
#ifndef SHAKEDOWN_GRPC_H
#define SHAKEDOWN_GRPC_H

#include <stddef.h>
#include <stdint.h>

enum grpc_code {
    GRPC_OK = 0,
    GRPC_UNKNOWN = 2,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_PERMISSION_DENIED = 7,
    GRPC_UNAVAILABLE = 14,
    GRPC_UNAUTHENTICATED = 16
};

#define GRPC_HEALTH_CHECK "/grpc.health.v1.Health/Check"

/* The status a scenario's HTTP answer stands for: 200 is OK, a refusal
 * for want of a certificate PERMISSION_DENIED or UNAUTHENTICATED. */
enum grpc_code grpc_code_for_http(int http_status);
/* "OK", "PERMISSION_DENIED" ... */
const char *grpc_code_name(enum grpc_code code);
/* The length-prefixed response message for a call to path with code:
 * Health/Check's SERVING, an empty message (every proto3 message's valid
 * encoding) for any other method, nothing unless OK. Returns its length
 * (at most 16 bytes into out). */
size_t grpc_response_message(const char *path, enum grpc_code code,
                             uint8_t out[16]);
/* text percent-encoded for grpc-message into out (always terminated). */
void grpc_percent_encode(const char *text, char *out, size_t size);

#endif
