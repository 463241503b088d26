/*
 * What a protocol's plaintext dialogue shares across the handshake: the
 * policy it follows (from the scenario), and what it tells the trace.
 * The connection owns one per connection; the preamble layer (before
 * TLS) and the application layer (after it) both see it. Plain data.
 */
#ifndef SHAKEDOWN_DIALOGUE_H
#define SHAKEDOWN_DIALOGUE_H

#include <stdbool.h>
#include <stddef.h>

/* Limits every dialogue holds the client to. A line (or a packet) over
 * DIALOGUE_MAX_LINE gets the protocol's error and the connection closes;
 * so does a client that sends more than DIALOGUE_MAX_COMMANDS commands
 * in all, before and after TLS (a pipelined flood). */
#define DIALOGUE_MAX_LINE 4096
#define DIALOGUE_MAX_COMMANDS 128

struct dialogue {
    /* Set by the connection before the first call. */
    const char *scenario; /* the scenario's name: greetings name it */
    const char *host;     /* the name the server greets as: "localhost" */
    bool strip;  /* STARTTLS is not offered (a stripping attacker) */
    bool refuse; /* STARTTLS is refused (SMTP 454, IMAP NO, POP3 -ERR,
                    FTP 534, PostgreSQL 'N', MySQL without CLIENT_SSL) */
    const char *inject; /* NULL, or text sent after the go-ahead to
                           STARTTLS in the same write: a line the client
                           must discard */

    /* Kept up to date by the layers, for the trace. */
    char step[32]; /* the last step the dialogue reached: "EHLO",
                      "STARTTLS", "MAIL", "SSLRequest", "Query" */
    int commands;  /* commands read so far, before and after TLS */
    /* What the client did that it must not: NULL, or static text in
     * words ("the client sent credentials without TLS"). */
    const char *misstep;

    /* Kept by the connection. */
    bool injected;  /* TLS began with inject sent after the go-ahead */
    bool completed; /* the client ended the dialogue itself (QUIT) */
};

/* Records step (truncated to fit) as the dialogue's last step. */
void dialogue_at(struct dialogue *d, const char *step);
/* The same for a command the client sent, and counts it. Returns false
 * once the client is over DIALOGUE_MAX_COMMANDS. */
bool dialogue_step(struct dialogue *d, const char *step);

#endif
