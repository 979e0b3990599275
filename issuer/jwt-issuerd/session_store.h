/*
 * session_store.h: the daemon's one handle on the refresh-session store
 * (issuer/sessions/store.h), and what a refresh token is: 256 random bits,
 * base64url, opaque; only its SHA-256 is ever stored.
 *
 * The store is opened once at startup, after the privilege drop, as the
 * user that signs (the file belongs to it); state_dir, store and turning sessions
 * on need a restart, like listen and TLS.
 */
#ifndef ISSUER_SESSION_STORE_H
#define ISSUER_SESSION_STORE_H

#include <stdint.h>
#include "issuer_conf.h"
#include "store.h"

#define REFRESH_TOKEN_LEN 43       /* 32 bytes, base64url, no padding */

/*
 * Open the store c names (store; default state_dir/sessions.db).  For
 * SQLite its directory (state_dir by default) must exist, be a directory
 * owned by this process's user, and not group/other-writable.  With sessions on
 * (session_lifetime > 0) anything else is an error; with sessions off the
 * store holds only the trust bundle's revocations and version, and a
 * missing or unfit state_dir only turns the bundle off (logged).  With
 * check_only (-t) a missing sessions.db is not created.  0, or -1 with the
 * reason logged.
 */
int session_store_open(const struct issuer_conf *c, int check_only);
void session_store_close(void);

/* The open store, NULL when sessions are off. */
struct store *session_store(void);

/* The open store whatever the sessions, for the trust bundle (NULL when
   none could be opened). */
struct store *trust_store(void);

/* The open store when replicas share it (store_shared), else NULL: the
   rate limits (ratelimit.h) and the key registry (key_registry.h) go
   there, and stay in this process otherwise. */
struct store *shared_store(void);

/* Every call of a shared store reports its result here (returned as it
   is); the change from answering to failing and back is logged once. */
enum store_rc shared_store_note(enum store_rc rc, const pjwt_err *err);

/* 1 while the last call of a shared store failed (/healthz: degraded);
   the next one that answers clears it.  0 for an unshared store. */
int shared_store_degraded(void);

/* A new refresh token (NUL-terminated) and its hash; 0 or -1 (no
   randomness).  The caller cleanses rt. */
int session_token_new(char rt[REFRESH_TOKEN_LEN + 1], uint8_t hash[STORE_HASH_LEN]);

/* The hash the store knows a presented refresh token by. */
void session_token_hash(const char *rt, uint8_t hash[STORE_HASH_LEN]);

/* A new public session id; 0 or -1. */
int session_id_new(char id[STORE_ID_LEN + 1]);

/* Forget sessions that have ended (main calls this once a minute). */
void session_store_expire(void);

#endif
