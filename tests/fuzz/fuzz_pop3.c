/*
 * libFuzzer target for the POP3 dialogue (server/pop3.c), driven by
 * tests/fuzz/fuzz_lines.h: the policy and read size from the first two
 * bytes, the rest through the preamble and then the application layer.
 */
#include "pop3.h"

#define PROTOCOL "POP3"
#define PREAMBLE pop3_preamble
#define APP pop3_app
#define APPS pop3s_app
#define INJECT "+OK injected\r\n"

#include "fuzz_lines.h"
