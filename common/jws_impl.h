/*
 * jws_impl.h: internals shared by jws_sig.c and jws_ctx.c.  Not for other
 * units: they use jws.h.
 */
#ifndef PJWT_JWS_IMPL_H
#define PJWT_JWS_IMPL_H

#include <openssl/evp.h>
#include "alg.h"
#include "err.h"
#include "keys.h"

/*
 * A new digest-sign (sign != 0) or digest-verify context for key and alg,
 * ready for EVP_DigestSign/EVP_DigestVerify (PS*: PSS padding, salt =
 * digest length): a copy of the key's cached one, or one set up now.
 * Caller frees with EVP_MD_CTX_free.  NULL with *err set on failure.
 */
EVP_MD_CTX *pjwt_jws_md_ctx(pjwt_key *key, pjwt_alg alg, int sign,
                            pjwt_err *err);

/* Likewise a new HMAC context keyed with the key's secret (HS* only). */
EVP_MAC_CTX *pjwt_jws_mac_ctx(pjwt_key *key, pjwt_alg alg, pjwt_err *err);

#endif
