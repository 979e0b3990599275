/*
 * tls.c: the certificate and the TLS policy (tls.h).
 *
 * MHD is not given the certificate once at startup: it asks
 * tls_cert_retrieve at each handshake, which reads the current state
 * (state.c), so SIGHUP serves a renewed certificate to the next connection
 * without a restart, as nginx does.  GnuTLS gets copies of its own and
 * frees them when the session no longer needs them
 * (GNUTLS_CERT_RETR_DEINIT_ALL): a handshake never points into a state
 * that a reload has freed.  Parsing per handshake costs tens of
 * microseconds, small beside the handshake's own public-key operations;
 * resumed sessions do not ask at all.
 */
#include <string.h>
#include <time.h>
#include <gnutls/x509.h>

#include "state.h"
#include "tls.h"

#define TLS_MAX_CHAIN 16

static gnutls_datum_t
datum(const char *pem)
{
    gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };

    return d;
}

int
tls_cert_check(const char *cert_pem, const char *key_pem,
               const char *cert_path, char *desc, size_t desc_cap,
               pjwt_err *err)
{
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t c = datum(cert_pem), k = datum(key_pem);
    unsigned char serial[64];
    size_t slen = sizeof(serial), i, n = 0;
    time_t exp;
    struct tm tm;
    char when[32] = "?";
    int r = PJWT_ERR_KEY, g;

    /* The same call MHD made with the PEMs given to it directly: it also
       refuses a key that does not match the certificate. */
    if ((g = gnutls_certificate_allocate_credentials(&cred)) < 0
        || (g = gnutls_certificate_set_x509_key_mem2(cred, &c, &k,
                                                     GNUTLS_X509_FMT_PEM,
                                                     NULL, 0)) < 0) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "%s: %s", cert_path,
                  gnutls_strerror(g));
        goto out;
    }
    if ((g = gnutls_x509_crt_init(&crt)) < 0
        || (g = gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_PEM)) < 0
        || (g = gnutls_x509_crt_get_serial(crt, serial, &slen)) < 0) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "%s: %s", cert_path,
                  gnutls_strerror(g));
        goto out;
    }
    exp = gnutls_x509_crt_get_expiration_time(crt);
    if (exp != (time_t)-1 && gmtime_r(&exp, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = (size_t)snprintf(desc, desc_cap, "serial ");
    for (i = 0; i < slen && n + 3 < desc_cap; i++)
        n += (size_t)snprintf(desc + n, desc_cap - n, "%02X", serial[i]);
    if (n < desc_cap)
        snprintf(desc + n, desc_cap - n, ", expires %s", when);
    r = 0;
out:
    if (crt != NULL)
        gnutls_x509_crt_deinit(crt);
    if (cred != NULL)
        gnutls_certificate_free_credentials(cred);
    return r;
}

int
tls_cert_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                  gnutls_pcert_st **certs, unsigned int *certs_length,
                  gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
                  gnutls_privkey_t *privkey, unsigned int *flags)
{
    struct issuer_state *st = issuer_state_get();
    gnutls_pcert_st *pc = NULL;
    gnutls_privkey_t key = NULL;
    gnutls_datum_t d;
    unsigned n = TLS_MAX_CHAIN, i;
    int r = -1;

    (void)session;
    (void)info;
    *certs = NULL;
    *certs_length = 0;
    *ocsp = NULL;
    *ocsp_length = 0;
    *privkey = NULL;
    /* A reload that turned TLS off (which needs a restart, and says so)
       leaves nothing to serve: the handshake fails. */
    if (st == NULL || st->tls_cert_pem == NULL || st->tls_key_pem == NULL)
        goto out;
    if ((pc = gnutls_malloc(sizeof(*pc) * TLS_MAX_CHAIN)) == NULL)
        goto out;
    d = datum(st->tls_cert_pem);
    if (gnutls_pcert_list_import_x509_raw(pc, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0) {
        n = 0;
        goto out;
    }
    d = datum(st->tls_key_pem);
    if (gnutls_privkey_init(&key) < 0
        || gnutls_privkey_import_x509_raw(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0)
        goto out;
    *certs = pc;
    *certs_length = n;
    *privkey = key;
    *flags = GNUTLS_CERT_RETR_DEINIT_ALL;
    pc = NULL;
    key = NULL;
    r = 0;
out:
    if (pc != NULL) {
        for (i = 0; i < n; i++)
            gnutls_pcert_deinit(&pc[i]);
        gnutls_free(pc);
    }
    if (key != NULL)
        gnutls_privkey_deinit(key);
    issuer_state_put(st);
    return r;
}
