/*
 * shakebench crypto: wolfCrypt's operations per CPU second for the
 * server's share of a handshake (only in the wolfSSL build).
 */
#ifndef SHAKEBENCH_SPEED_H
#define SHAKEBENCH_SPEED_H

/* Prints one line, "crypto library=... rsa2048_sign=N ...", after running
 * each operation for `seconds` of CPU time with the keys in certs. */
int speed_run(const char *certs, double seconds);

#endif
