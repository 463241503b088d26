/*
 * The plain-HTTP companion of a scenario ([http] plain_port): the
 * preamble its connections begin with. A ClientHello hands over to the
 * scenario's TLS on the same connection (an upgraded http:// URL); an
 * HTTP request is answered in the clear, and the dialogue's misstep says
 * it travelled without TLS (the verdict's "plaintext"). Plain C.
 */
#ifndef SHAKEDOWN_COMPANION_H
#define SHAKEDOWN_COMPANION_H

#include "preamble.h"

extern const struct preamble_ops preamble_plain_http;

#endif
