/*
 * HTTP/2 (RFC 9113) as an application layer, on nghttp2's session API
 * over byte buffers: the client's frames in, ours out, never a socket.
 * One request is answered per connection, as over HTTP/1.1: the scenario
 * page, or a gRPC answer when the request is gRPC; then GOAWAY.
 */
#ifndef SHAKEDOWN_HTTP2_H
#define SHAKEDOWN_HTTP2_H

#include "app.h"

/* Bytes of request headers (names and values) a request may carry. */
#define HTTP2_MAX_HEADERS 16384
/* Bytes of clear text a connection may send before its request is in. */
#define HTTP2_MAX_INPUT (1024 * 1024)

extern const struct app_ops http2_app;

#endif
