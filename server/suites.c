/*
 * Every cipher-suite name wolfSSL 5.5.4 can be built with (from its
 * cipher_names[] table: its own spelling, the IANA one, and the aliases),
 * and the keywords its cipher-list parser takes. Whether this build has a
 * suite is tlsio's question; whether the name exists at all is asked here.
 */
#include "suites.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct suite_name {
    const char *name; /* wolfSSL's */
    const char *iana; /* NULL for an alias */
};

static const struct suite_name names[] = {
    {"TLS13-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"},
    {"TLS13-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384"},
    {"TLS13-CHACHA20-POLY1305-SHA256", "TLS_CHACHA20_POLY1305_SHA256"},
    {"TLS13-AES128-CCM-SHA256", "TLS_AES_128_CCM_SHA256"},
    {"TLS13-AES128-CCM-8-SHA256", "TLS_AES_128_CCM_8_SHA256"},
    {"TLS13-AES128-CCM8-SHA256", NULL},
    {"TLS13-SHA256-SHA256", "TLS_SHA256_SHA256"},
    {"TLS13-SHA384-SHA384", "TLS_SHA384_SHA384"},
    {"RC4-SHA", "SSL_RSA_WITH_RC4_128_SHA"},
    {"RC4-MD5", "SSL_RSA_WITH_RC4_128_MD5"},
    {"DES-CBC3-SHA", "SSL_RSA_WITH_3DES_EDE_CBC_SHA"},
    {"AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {"AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {"NULL-MD5", "TLS_RSA_WITH_NULL_MD5"},
    {"NULL-SHA", "TLS_RSA_WITH_NULL_SHA"},
    {"NULL-SHA256", "TLS_RSA_WITH_NULL_SHA256"},
    {"DHE-RSA-AES128-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {"DHE-RSA-AES256-SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {"DHE-PSK-AES256-GCM-SHA384", "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"},
    {"DHE-PSK-AES128-GCM-SHA256", "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"},
    {"PSK-AES256-GCM-SHA384", "TLS_PSK_WITH_AES_256_GCM_SHA384"},
    {"PSK-AES128-GCM-SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256"},
    {"DHE-PSK-AES256-CBC-SHA384", "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"},
    {"DHE-PSK-AES128-CBC-SHA256", "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"},
    {"PSK-AES256-CBC-SHA384", "TLS_PSK_WITH_AES_256_CBC_SHA384"},
    {"PSK-AES128-CBC-SHA256", "TLS_PSK_WITH_AES_128_CBC_SHA256"},
    {"PSK-AES128-CBC-SHA", "TLS_PSK_WITH_AES_128_CBC_SHA"},
    {"PSK-AES256-CBC-SHA", "TLS_PSK_WITH_AES_256_CBC_SHA"},
    {"DHE-PSK-AES128-CCM", "TLS_DHE_PSK_WITH_AES_128_CCM"},
    {"DHE-PSK-AES256-CCM", "TLS_DHE_PSK_WITH_AES_256_CCM"},
    {"PSK-AES128-CCM", "TLS_PSK_WITH_AES_128_CCM"},
    {"PSK-AES256-CCM", "TLS_PSK_WITH_AES_256_CCM"},
    {"PSK-AES128-CCM-8", "TLS_PSK_WITH_AES_128_CCM_8"},
    {"PSK-AES128-CCM8", NULL},
    {"PSK-AES256-CCM-8", "TLS_PSK_WITH_AES_256_CCM_8"},
    {"PSK-AES256-CCM8", NULL},
    {"DHE-PSK-NULL-SHA384", "TLS_DHE_PSK_WITH_NULL_SHA384"},
    {"DHE-PSK-NULL-SHA256", "TLS_DHE_PSK_WITH_NULL_SHA256"},
    {"PSK-NULL-SHA384", "TLS_PSK_WITH_NULL_SHA384"},
    {"PSK-NULL-SHA256", "TLS_PSK_WITH_NULL_SHA256"},
    {"PSK-NULL-SHA", "TLS_PSK_WITH_NULL_SHA"},
    {"AES128-CCM-8", "TLS_RSA_WITH_AES_128_CCM_8"},
    {"AES128-CCM8", NULL},
    {"AES256-CCM-8", "TLS_RSA_WITH_AES_256_CCM_8"},
    {"AES256-CCM8", NULL},
    {"ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {"ECDHE-ECDSA-AES128-CCM-8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
    {"ECDHE-ECDSA-AES128-CCM8", NULL},
    {"ECDHE-ECDSA-AES256-CCM-8", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
    {"ECDHE-ECDSA-AES256-CCM8", NULL},
    {"ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {"ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {"ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {"ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {"ECDHE-RSA-RC4-SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {"ECDHE-RSA-DES-CBC3-SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {"ECDHE-ECDSA-RC4-SHA", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {"ECDHE-ECDSA-DES-CBC3-SHA", "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {"AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {"AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {"DHE-RSA-AES128-SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {"DHE-RSA-AES256-SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {"ECDH-RSA-AES128-SHA", "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
    {"ECDH-RSA-AES256-SHA", "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
    {"ECDH-ECDSA-AES128-SHA", "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
    {"ECDH-ECDSA-AES256-SHA", "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
    {"ECDH-RSA-RC4-SHA", "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
    {"ECDH-RSA-DES-CBC3-SHA", "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
    {"ECDH-ECDSA-RC4-SHA", "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
    {"ECDH-ECDSA-DES-CBC3-SHA", "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {"AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {"AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {"DHE-RSA-AES128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {"DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {"ECDHE-ECDSA-AES128-GCM-SHA256",
     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {"ECDHE-ECDSA-AES256-GCM-SHA384",
     "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {"ECDH-RSA-AES128-GCM-SHA256", "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
    {"ECDH-RSA-AES256-GCM-SHA384", "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
    {"ECDH-ECDSA-AES128-GCM-SHA256", "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
    {"ECDH-ECDSA-AES256-GCM-SHA384", "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
    {"CAMELLIA128-SHA", "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {"DHE-RSA-CAMELLIA128-SHA", "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {"CAMELLIA256-SHA", "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {"DHE-RSA-CAMELLIA256-SHA", "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {"CAMELLIA128-SHA256", "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {"DHE-RSA-CAMELLIA128-SHA256", "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {"CAMELLIA256-SHA256", "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {"DHE-RSA-CAMELLIA256-SHA256", "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {"ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {"ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {"ECDH-RSA-AES128-SHA256", "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
    {"ECDH-ECDSA-AES128-SHA256", "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
    {"ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {"ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {"ECDH-RSA-AES256-SHA384", "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
    {"ECDH-ECDSA-AES256-SHA384", "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
    {"ECDHE-RSA-CHACHA20-POLY1305",
     "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {"ECDHE-ECDSA-CHACHA20-POLY1305",
     "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {"DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {"ECDHE-RSA-CHACHA20-POLY1305-OLD",
     "TLS_ECDHE_RSA_WITH_CHACHA20_OLD_POLY1305_SHA256"},
    {"ECDHE-ECDSA-CHACHA20-POLY1305-OLD",
     "TLS_ECDHE_ECDSA_WITH_CHACHA20_OLD_POLY1305_SHA256"},
    {"DHE-RSA-CHACHA20-POLY1305-OLD",
     "TLS_DHE_RSA_WITH_CHACHA20_OLD_POLY1305_SHA256"},
    {"ADH-AES128-SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
    {"ADH-AES256-GCM-SHA384", "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
    {"RENEGOTIATION-INFO", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {"ECDHE-ECDSA-NULL-SHA", "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
    {"ECDHE-PSK-NULL-SHA256", "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
    {"ECDHE-PSK-AES128-CBC-SHA256", "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
    {"ECDHE-PSK-AES128-GCM-SHA256", "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
    {"PSK-CHACHA20-POLY1305", "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {"ECDHE-PSK-CHACHA20-POLY1305",
     "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {"DHE-PSK-CHACHA20-POLY1305", "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {"EDH-RSA-DES-CBC3-SHA", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {"WDM-NULL-SHA256", "WDM_WITH_NULL_SHA256"},
};

/* SetCipherList's keywords (OpenSSL-compatible builds); only these may
 * carry '!'. */
static const char *const keywords[] = {
    "ALL", "DEFAULT", "HIGH", "MEDIUM", "LOW", "aNULL", "eNULL", "NULL",
    "kRSA", "RSA", "kDH", "PSK", "DSS", "EXP", "EXPORT",
};

#define N_NAMES (sizeof(names) / sizeof(names[0]))
#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

static bool same(const char *known, const char *s, size_t n, bool nocase)
{
    if (known == NULL || strlen(known) != n)
        return false;
    return nocase ? strncasecmp(known, s, n) == 0 : strncmp(known, s, n) == 0;
}

/* The known spelling of s[0..n), exactly or ignoring case, or NULL. */
static const char *find(const char *s, size_t n, bool nocase)
{
    for (size_t i = 0; i < N_NAMES; i++) {
        if (same(names[i].name, s, n, nocase))
            return names[i].name;
        if (same(names[i].iana, s, n, nocase))
            return names[i].iana;
    }
    return NULL;
}

static bool is_keyword(const char *s, size_t n)
{
    for (size_t i = 0; i < N_KEYWORDS; i++)
        if (same(keywords[i], s, n, false))
            return true;
    return false;
}

const char *suites_iana(const char *name)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (same(names[i].name, name, strlen(name), false) ||
            same(names[i].iana, name, strlen(name), false)) {
            /* An alias follows the name it stands for. */
            size_t k = i;
            while (names[k].iana == NULL && k > 0)
                k--;
            return names[k].iana;
        }
    return NULL;
}

bool suites_known(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '!')
        return is_keyword(name + 1, n - 1);
    return find(name, n, false) != NULL || is_keyword(name, n);
}

/* Why s[0..n) is not known, into hint. */
static void explain(const char *s, size_t n, char *hint, size_t size)
{
    const char *other = n > 0 ? find(s + (s[0] == '!'), n - (s[0] == '!'),
                                     true)
                              : NULL;
    if (n == 0)
        snprintf(hint, size, "an empty name: two ':' in a row, or one at an "
                 "end");
    else if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        snprintf(hint, size, "no spaces around ':': wolfSSL takes the names "
                 "as they are written");
    else if (s[0] == '!' && other != NULL)
        snprintf(hint, size, "'!' goes only before a keyword such as aNULL: "
                 "wolfSSL would offer %s; leave it out instead", other);
    else if (other != NULL)
        snprintf(hint, size, "did you mean %s? names are case-sensitive",
                 other);
    else
        snprintf(hint, size, "not a wolfSSL name such as "
                 "ECDHE-RSA-AES128-GCM-SHA256, nor an IANA one such as "
                 "TLS_AES_128_GCM_SHA256; separate suites with ':'");
}

int suites_check_list(const char *list, struct suites_unknown *bad)
{
    for (const char *p = list;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char one[SUITES_NAME_MAX];
        snprintf(one, sizeof(one), "%.*s", (int)n, p);
        if (n == 0 || n >= sizeof(one) || !suites_known(one)) {
            bad->name = p;
            bad->len = (int)n;
            explain(p, n, bad->hint, sizeof(bad->hint));
            return -1;
        }
        if (colon == NULL)
            return 0;
        p = colon + 1;
    }
}
