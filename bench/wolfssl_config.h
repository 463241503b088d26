/*
 * Include first in every file that uses wolfSSL. configure puts
 * HAVE___UINT128_T in its config.h, not in the installed options.h;
 * without it sp_int.h picks 32-bit digits while the library was built with
 * 64-bit ones, and every wolfCrypt key struct (RsaKey, ecc_key) has another
 * size here than in the library.
 */
#ifndef SHAKEBENCH_WOLFSSL_CONFIG_H
#define SHAKEBENCH_WOLFSSL_CONFIG_H

#ifndef HAVE___UINT128_T
#define HAVE___UINT128_T 1
#endif
#include <wolfssl/options.h>

#endif
