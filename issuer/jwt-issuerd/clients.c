/*
 * clients.c: see clients.h.  Secrets are compared as SHA-256 digests with
 * CRYPTO_memcmp: equal lengths whatever was presented, and no early exit.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "clients.h"
#include "fileio.h"

static int
secret_hash(const void *s, size_t len, struct client_secret *out)
{
    unsigned int n = 0;

    return EVP_Digest(s, len, out->sha256, &n, EVP_sha256(), NULL) == 1
           && n == sizeof(out->sha256) ? 0 : -1;
}

int
clients_load(const struct issuer_conf *c, struct client_secret *secrets,
             pjwt_err *err)
{
    size_t i;
    int r = 0;

    for (i = 0; i < c->n_clients && r == 0; i++) {
        const struct issuer_client *cl = &c->clients[i];
        uint8_t *buf = NULL;
        size_t got = 0, len;

        memset(&secrets[i], 0, sizeof(secrets[i]));
        if (cl->secret_file == NULL)
            continue;
        if (pjwt_file_read(cl->secret_file, CLIENT_SECRET_MAX + 2,
                           PJWT_FILE_CHECK_WRITE | PJWT_FILE_CHECK_READ,
                           &buf, &got, err) != 0)
            return pjwt_err_code(err);
        len = got;
        if (len > 0 && buf[len - 1] == '\n')
            len--;
        if (len > 0 && buf[len - 1] == '\r')
            len--;
        if (len == 0 || len > CLIENT_SECRET_MAX || memchr(buf, '\0', len) != NULL)
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                          "client %s: %s: the secret must be 1 to %d bytes "
                          "without NUL", cl->id, cl->secret_file,
                          CLIENT_SECRET_MAX);
        else if (secret_hash(buf, len, &secrets[i]) != 0)
            r = PJWT_FAIL(err, PJWT_ERR_INTERNAL, "client %s: SHA-256 failed",
                          cl->id);
        pjwt_file_free(buf, got);
    }
    return r;
}

int
clients_authenticate(const struct issuer_conf *c,
                     const struct client_secret *secrets,
                     const char *id, const char *secret,
                     const struct issuer_client **out, const char **why)
{
    struct client_secret got;
    size_t i;
    int ok;

    *out = NULL;
    if (c->n_clients == 0)
        return 0;
    if (id == NULL || *id == '\0') {
        *why = "no client_id";
        return -1;
    }
    for (i = 0; i < c->n_clients && strcmp(c->clients[i].id, id) != 0; i++)
        ;
    if (i == c->n_clients) {
        *why = "unknown client";
        return -1;
    }
    if (c->clients[i].secret_file == NULL) {
        /* A public client has nothing to present; Basic with an empty
           password is how many libraries send its id (RFC 6749 2.3.1). */
        if (secret != NULL && *secret != '\0') {
            *why = "secret presented for a public client";
            return -1;
        }
        *out = &c->clients[i];
        return 0;
    }
    if (secret == NULL || *secret == '\0') {
        *why = "client secret missing";
        return -1;
    }
    if (secret_hash(secret, strlen(secret), &got) != 0) {
        *why = "SHA-256 failed";
        return -1;
    }
    ok = CRYPTO_memcmp(got.sha256, secrets[i].sha256, sizeof(got.sha256)) == 0;
    OPENSSL_cleanse(&got, sizeof(got));
    if (!ok) {
        *why = "wrong client secret";
        return -1;
    }
    *out = &c->clients[i];
    return 0;
}
