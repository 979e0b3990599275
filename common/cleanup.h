/*
 * cleanup.h: scoped cleanup for locals (GCC/clang cleanup attribute), in the
 * manner of jose's openssl_auto and tang's str_cleanup.
 *
 *   pkey_auto EVP_PKEY *pk = NULL;      freed with EVP_PKEY_free at scope exit
 *   json_auto_t *j = NULL;              (from jansson.h)
 *   str_auto char *s = NULL;            free()
 *   secret_auto char *s = NULL;         cleansed to its strlen, then freed
 *
 * To hand a value out, steal it: `r = pk; pk = NULL;`.
 */
#ifndef PJWT_CLEANUP_H
#define PJWT_CLEANUP_H

#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define PJWT_DECLARE_CLEANUP(type, freefn)                                   \
    static inline void pjwt_cleanup_##freefn(type **p)                       \
    {                                                                        \
        if (p && *p)                                                         \
            freefn(*p);                                                      \
    }

PJWT_DECLARE_CLEANUP(EVP_PKEY, EVP_PKEY_free)
PJWT_DECLARE_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)
PJWT_DECLARE_CLEANUP(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
PJWT_DECLARE_CLEANUP(BIO, BIO_free_all)

static inline void
pjwt_cleanup_str(char **p)
{
    if (p) {
        free(*p);
        *p = NULL;
    }
}

static inline void
pjwt_cleanup_secret(char **p)
{
    if (p && *p) {
        OPENSSL_cleanse(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

/* Cleanse len bytes of buf, then free it.  NULL is a no-op.  For every
   malloc'd buffer that held a secret (keys, tokens, passwords, files that
   may hold them). */
static inline void
pjwt_secret_free(void *buf, size_t len)
{
    if (!buf)
        return;
    OPENSSL_cleanse(buf, len);
    free(buf);
}

#define pkey_auto __attribute__((cleanup(pjwt_cleanup_EVP_PKEY_free)))
#define mdctx_auto __attribute__((cleanup(pjwt_cleanup_EVP_MD_CTX_free)))
#define pctx_auto __attribute__((cleanup(pjwt_cleanup_EVP_PKEY_CTX_free)))
#define bio_auto __attribute__((cleanup(pjwt_cleanup_BIO_free_all)))
#define str_auto __attribute__((cleanup(pjwt_cleanup_str)))
#define secret_auto __attribute__((cleanup(pjwt_cleanup_secret)))

#endif
