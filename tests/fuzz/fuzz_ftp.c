/*
 * libFuzzer target for the FTP control dialogue (server/ftp.c), driven by
 * tests/fuzz/fuzz_lines.h: the policy and read size from the first two
 * bytes, the rest through the preamble and then the application layer.
 */
#include "ftp.h"

#define PROTOCOL "FTP"
#define PREAMBLE ftp_preamble
#define APP ftp_app
#define APPS ftps_app
#define INJECT "230 injected\r\n"

#include "fuzz_lines.h"
