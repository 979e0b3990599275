/*
 * session_file.h: the client's stored session, one file per issuer:
 * $XDG_RUNTIME_DIR/pamjwt/session-HASH.json (fallback ~/.cache/pamjwt/),
 * HASH the first 16 hex digits of SHA-256(issuer URL).  The refresh token
 * in it is as good as the user's password until the session ends, so:
 *   - the directory is ours, mode 0700, and not a symbolic link; the file
 *     is ours, mode 0600, opened O_NOFOLLOW; anything else is refused with
 *     the path and the reason, never repaired;
 *   - writes are atomic (temp + fsync + rename, ctl_write_atomic), 0600;
 *   - a ".lock" beside it (flock LOCK_EX) is held from reading the refresh
 *     token to storing its successor: ssh, scp and rsync started together
 *     must not present one refresh token twice, which the issuer takes as
 *     theft (reuse detection) and answers by ending the session.
 */
#ifndef PJWT_CTL_SESSION_FILE_H
#define PJWT_CTL_SESSION_FILE_H

#include <limits.h>
#include <time.h>
#include <jansson.h>
#include "client.h"

struct ctl_session {
    char issuer[CTL_URL_MAX];
    char user[CTL_NAME_MAX];
    char session[CTL_NAME_MAX];   /* the issuer's public session id */
    char cacert[CTL_URL_MAX];     /* how the issuer was verified at login */
    char client_id[CTL_NAME_MAX];
    char *refresh_token;          /* malloc'd secret; ctl_session_clear */
    long long expires;            /* absolute end (epoch), 0 unknown */
    long long idle;               /* idle timeout (s), 0 none */
    long long last_used;          /* epoch of the last login/refresh */
};

/* An open, locked session slot of one issuer. */
struct ctl_session_slot {
    int dirfd;
    int lockfd;
    char dir[PATH_MAX];
    char path[PATH_MAX];          /* DIR/session-HASH.json */
    char name[64];                /* session-HASH.json */
};

/*
 * Find the session directory (checked; created 0700 when create and it is
 * missing), and take the issuer's lock.  0; 1 when there is no directory
 * (and !create): no session; -1 refused or failed (message printed).
 * Release with ctl_session_close.
 */
int ctl_session_open(const char *issuer, int create,
                     struct ctl_session_slot *slot);
void ctl_session_close(struct ctl_session_slot *slot);

/* Read the slot's session: 0, 1 none, -1 refused or unreadable (message
   printed).  Clear s with ctl_session_clear either way. */
int ctl_session_load(struct ctl_session_slot *slot, struct ctl_session *s);

/* The stored session of issuer, locked: ctl_session_open, then
   ctl_session_load, then a check that the file is this issuer's.  0; 1
   none ("no session for ISSUER: run jwtctl login" printed); -1 refused.
   Close the slot and clear s either way. */
int ctl_session_find(const char *issuer, struct ctl_session_slot *slot,
                     struct ctl_session *s);

/* Replace the slot's file with s: 0 or -1 (printed). */
int ctl_session_store(struct ctl_session_slot *slot,
                      const struct ctl_session *s);

/* Remove the slot's file (a missing file is fine): 0 or -1 (printed). */
int ctl_session_remove(struct ctl_session_slot *slot);

/*
 * Take a 200 answer of /token into s: the new refresh token (required),
 * the session id, expiry and idle timeout when present, last_used = now.
 * 0, or -1 when the answer has no refresh_token (nothing printed).
 */
int ctl_session_update(struct ctl_session *s, const json_t *answer,
                       time_t now);

/* Cleanse and free the refresh token; zero s. */
void ctl_session_clear(struct ctl_session *s);

/* The issuer URL without trailing slashes into out[cap]: the key of a
   session, and the base of /token and /revoke.  0 or -1 (too long or
   empty; printed). */
int ctl_issuer_norm(const char *issuer, char *out, size_t cap);

/* Have jansson cleanse every block it frees: its strings hold refresh and
   access tokens.  Idempotent; every client verb calls it first. */
void ctl_json_cleansing(void);

#endif
