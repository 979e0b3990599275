/*
 * cleanup.h: releasing what may hold a secret, and scoped cleanup for
 * locals (GCC/clang cleanup attribute), in the manner of jose's
 * openssl_auto.
 *
 *   pjwt_secret_free(buf, len);         cleansed, then freed
 *   mdctx_auto EVP_MD_CTX *ctx = NULL;  EVP_MD_CTX_free at scope exit
 *   json_auto_t *j = NULL;              (from jansson.h)
 *
 * A scoped macro earns its place where a function frees on several paths
 * (jws_sig.c's digest contexts); the preset-r-and-one-out: shape covers
 * the rest, so no macro is kept that nothing uses.  To hand a value out,
 * steal it: `r = ctx; ctx = NULL;`.
 */
#ifndef PJWT_CLEANUP_H
#define PJWT_CLEANUP_H

#include <stddef.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

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

static inline void
pjwt_cleanup_mdctx(EVP_MD_CTX **p)
{
    if (p && *p)
        EVP_MD_CTX_free(*p);
}

#define mdctx_auto __attribute__((cleanup(pjwt_cleanup_mdctx)))

#endif
