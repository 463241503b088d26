/*
 * Which layers speak a protocol: the preamble before TLS and the
 * application layer after it. HTTPS has no preamble and lets ALPN choose
 * its application layer (NULL here); every other protocol has its own.
 */
#ifndef SHAKEDOWN_LAYERS_H
#define SHAKEDOWN_LAYERS_H

#include "app.h"
#include "preamble.h"
#include "protocol.h"

const struct preamble_ops *layers_preamble(enum protocol_id p);
/* NULL: ALPN chooses (HTTPS). */
const struct app_ops *layers_app(enum protocol_id p);
/* Whether this build has the protocol's layers. */
bool layers_available(enum protocol_id p);

#endif
