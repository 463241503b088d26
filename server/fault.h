/*
 * The bytes and amounts behind transport faults: what a plaintext, garbage
 * or alert answer looks like, and how much of a flight passes before a
 * fault strikes. Timing lives in conn; this is plain data.
 */
#ifndef SHAKEDOWN_FAULT_H
#define SHAKEDOWN_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scenario.h"

/* Appends what the server sends for an alert, plaintext or garbage
 * action. record_version is used for the alert record's header. */
int fault_payload(const struct scenario_action *a, uint16_t record_version,
                  struct buf *out);
/* Bytes of a flight of flight_len that go out before the action. */
size_t fault_flight_limit(const struct scenario_fault *f, size_t flight_len);
/* "stall for up to 60 s", "reset", "alert internal_error(80)" ... */
void fault_describe(const struct scenario_action *a,
                    const struct scenario_fault *f, char *out, size_t size);

#endif
