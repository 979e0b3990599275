/*
 * key_registry.h: the public keys of every replica, on a store replicas
 * share (store.h store_keys_publish/collect).  Each replica keeps its
 * private keys in its own key_dir; it publishes their public JWKs (with
 * pamjwt_state) at each state load and every KEY_REGISTRY_HEARTBEAT
 * seconds, each valid until:
 *   - a next key: now + KEY_REGISTRY_LINGER (it has signed nothing);
 *   - a current (or publish_key) key: now + KEY_REGISTRY_LINGER +
 *     retire_window, so the tokens a replica signed just before it
 *     stopped still verify until they expire;
 *   - a retiring key: its deletion time (keyring.h), as on its replica.
 * So a replica that stopped drops out once its keys' windows have passed.
 *
 * What every replica serves at /.well-known/jwks.json and in the trust
 * bundle is its own keys plus the collected keys of the others (one entry
 * per kid, its own first), sorted by kid so that replicas with the same
 * view publish the same set (the bundle's keys hash, store_trust_keys,
 * then agrees); re-collected at most every KEY_REGISTRY_COLLECT seconds,
 * the last collected set kept while the store fails.  On an unshared
 * store nothing is published and the document is st->jwks, byte for byte.
 */
#ifndef ISSUER_KEY_REGISTRY_H
#define ISSUER_KEY_REGISTRY_H

#include <stdint.h>
#include <time.h>

#include "state.h"

#define KEY_REGISTRY_HEARTBEAT 10
#define KEY_REGISTRY_COLLECT 5
#define KEY_REGISTRY_LINGER 30

/*
 * The JWKS text for st (a malloc'd copy; NULL: out of memory) and, when
 * gen is not NULL, a number that changes whenever the text does for the
 * same st (0 on an unshared store).  Any thread.
 */
char *key_registry_jwks(struct issuer_state *st, uint64_t *gen);

/*
 * The main loop's heartbeat: on a shared store, publish the current
 * state's keys when the state changed since the last time or the last
 * publication is KEY_REGISTRY_HEARTBEAT old.  Returns when it is due next
 * (0: the store is not shared, no heartbeat).  Main thread only.
 */
time_t key_registry_heartbeat(time_t now);

/*
 * /auth and /userinfo behind a load balancer get tokens any replica
 * signed: on a shared store, verifiers (state.h issuer_state_verifiers)
 * that also hold the others' collected keys, rebuilt when the collected
 * set changes; NULL on an unshared store (use st->verifiers).  Release
 * with key_registry_verifiers_put.  Any thread.
 */
struct key_registry_verifiers {
    int refs;                           /* atomic */
    pjwt_verifier *v[CONF_MAX_AUDIENCES];
    size_t n;
};
struct key_registry_verifiers *key_registry_verifiers(struct issuer_state *st);
void key_registry_verifiers_put(struct key_registry_verifiers *vs);

/* Drop the caches and the states they hold (at exit). */
void key_registry_close(void);

#endif
