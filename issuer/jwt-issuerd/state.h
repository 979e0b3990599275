/*
 * state.h: everything a configuration load produces (options, keys,
 * verifiers, the published documents), immutable once built and shared by
 * reference count, so a SIGHUP swaps it whole while requests in flight keep
 * the one they started with.
 */
#ifndef ISSUER_STATE_H
#define ISSUER_STATE_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "alg.h"
#include "bundle.h"
#include "clients.h"
#include "err.h"
#include "issuer_conf.h"
#include "keys.h"
#include "verify.h"

struct issuer_state {
    int refs;                          /* atomic */
    struct issuer_conf *conf;
    pjwt_keyset *keys;                 /* signing key first, then publish_key */
    pjwt_key *sign_key;                /* borrowed from keys */
    pjwt_alg alg;
    /* Each key's place in the rotation, by keyset index (bundle.h): in
       the fixed mode the signing key is current and publish_key keys are
       "published"; in key_dir mode (keyring.h) the schedule says. */
    pjwt_key_state *key_state;
    /* key_dir: when each key is unpublished (keyring_view deletes, 0:
       not planned), by keyset index: how long the key registry keeps a
       retiring key of this replica (key_registry.h). */
    time_t *key_deletes;
    /* The private keys that sign the trust bundle (borrowed from keys):
       the current key, and retiring keys while their private key is still
       held, so a host that missed a "next" key can still follow. */
    pjwt_key *bundle_signers[8];
    size_t n_bundle_signers;
    /* When the key schedule next changes something (0: never): the main
       loop reloads the state then. */
    time_t next_key_event;
    /* key_dir: the next key and the moment it takes over, so that a
       request still holding this state then signs with the key current at
       that moment, never with one whose retire_window already runs. */
    pjwt_key *succ_key;                /* borrowed from keys; NULL: none */
    time_t succ_at;
    size_t key_changes;                /* files the key_dir step changed
                                          (issuer_state_check: would) */
    /* One verifier per auth_audience, for /auth and /userinfo. */
    pjwt_verifier *verifiers[CONF_MAX_AUDIENCES];
    size_t n_verifiers;
    char *jwks;                        /* JSON text */
    char *as_metadata;                 /* RFC 8414 document */
    /* SHA-256 of each confidential client's secret, by conf->clients
       index (clients.h); cleansed on free. */
    struct client_secret client_secrets[CONF_MAX_CLIENTS];
    char *tls_cert_pem;                /* NULL without TLS */
    char *tls_key_pem;                 /* cleansed on free */
    size_t max_token_len;              /* worst case, measured at load */
};

/* Load path into a new state with one reference; NULL with *err set. */
struct issuer_state *issuer_state_load(const char *path, pjwt_err *err);

/* The same for jwt-issuerd -t: key_dir's step is planned and done in
   memory only, no file written or removed. */
struct issuer_state *issuer_state_check(const char *path, pjwt_err *err);

/*
 * /userinfo and /auth check tokens with the module's own rules: one
 * verifier per auth_audience (a token for ssh:web1 must not open web
 * applications), each holding st's public keys, the public JWKs in others
 * (a JSON array, or NULL: the other replicas', key_registry.h) and the
 * revocation list, into out (CONF_MAX_AUDIENCES entries; *n counts them,
 * also those made before a failure, for the caller to free).
 */
int issuer_state_verifiers(const struct issuer_state *st, json_t *others,
                           pjwt_verifier **out, size_t *n, pjwt_err *err);

/* Install st as current (takes over the caller's reference). */
void issuer_state_set(struct issuer_state *st);

/* A new reference to the current state; release with issuer_state_put. */
struct issuer_state *issuer_state_get(void);
void issuer_state_put(struct issuer_state *st);

#endif
