/*
 * tls.h: how jwt-issuerd serves HTTPS itself (tls_cert/tls_key).
 * libmicrohttpd 0.9.x, as Debian builds it, does TLS with GnuTLS: the
 * protocol and cipher policy is a GnuTLS priority string, and the
 * certificate comes from a GnuTLS retrieve callback.
 */
#ifndef ISSUER_TLS_H
#define ISSUER_TLS_H

#include <stddef.h>
#include <gnutls/abstract.h>
#include "err.h"

/*
 * Mozilla's "intermediate" configuration (ssl-config.mozilla.org, v5.7):
 * TLS 1.2 and 1.3 only; ECDHE/DHE with AES-GCM or ChaCha20-Poly1305, so no
 * CBC or SHA-1 MAC suite and no static RSA key exchange; groups X25519,
 * P-256, P-384, ffdhe2048.
 */
#define TLS_PRIORITIES                                                       \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"                            \
    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"              \
    "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA:"               \
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"            \
    "+GROUP-FFDHE2048"

/*
 * Check that cert_pem (a certificate chain, leaf first) and key_pem parse
 * and belong together, as GnuTLS will use them; cert_path names them in
 * messages.  Writes "serial HEX, expires DATE" of the leaf into desc.
 * 0 or PJWT_ERR_KEY.
 */
int tls_cert_check(const char *cert_pem, const char *key_pem,
                   const char *cert_path, char *desc, size_t desc_cap,
                   pjwt_err *err);

/*
 * The certificate of each handshake (MHD_OPTION_HTTPS_CERT_CALLBACK2):
 * that of the state current at that moment, so a certificate renewed and
 * loaded by SIGHUP is served to every new connection.
 */
gnutls_certificate_retrieve_function3 tls_cert_retrieve;

#endif
