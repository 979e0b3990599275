/*
 * keyring.h: key_dir mode, the issuer's own key schedule (jwt-issuerd(8)).
 *
 * DIR (owned by the daemon's user, no group/other access) holds
 * DIR/KID.key (PKCS#8 PEM, 0600, written once, never replaced) and
 * DIR/schedule.json (0600, replaced atomically):
 *   {"keys":[{"kid":K,"alg":A,"created":T,"activate":T}...]}
 * sorted by activate.  KID is the key's RFC 7638 thumbprint.
 *
 * A key's state at now (keyring_plan, pure): current is the last key with
 * activate <= now (the first key when none is: a clock set back keeps the
 * key that was signing); later keys are next; an earlier key is retiring
 * until its successor's activate + retire_window, then expired (deleted).
 *
 * The step (keyring_open), on every state load: no key -> one active now;
 * no successor for the current key and now >= activate + rotation_period -
 * publish_ahead -> a next key activating at max(activate +
 * rotation_period, now + publish_ahead), so a key never signs before it
 * has been published for publish_ahead, however long the issuer was down.
 * Expired keys leave the schedule first, then their files go; a new key's
 * file is written before the schedule names it.  So a crash leaves at
 * worst a *.key file the schedule does not name, which the next step
 * removes (with temp files of an interrupted write); a schedule entry
 * without its file is an error.
 */
#ifndef ISSUER_KEYRING_H
#define ISSUER_KEYRING_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "alg.h"
#include "bundle.h"
#include "err.h"
#include "keys.h"

/* Bounds the schedule; validation (issuer_conf.c) keeps the published
   set within the bundle's signer slots long before this. */
#define KEYRING_MAX_KEYS 16
#define KEYRING_SCHEDULE "schedule.json"

struct keyring_entry {
    char kid[PJWT_THUMBPRINT_LEN + 1];
    pjwt_alg alg;
    time_t created;
    time_t activate;
};

struct keyring_schedule {
    struct keyring_entry keys[KEYRING_MAX_KEYS];
    size_t n;
};

struct keyring_params {
    const char *dir;
    pjwt_alg alg;                 /* for new keys */
    long rotation_period, publish_ahead, retire_window;
};

/* What the schedule means at one moment. */
struct keyring_view {
    pjwt_key_state state[KEYRING_MAX_KEYS];  /* 0: expired, to delete */
    time_t retires[KEYRING_MAX_KEYS];   /* stops signing (0: not planned) */
    time_t deletes[KEYRING_MAX_KEYS];   /* unpublished (0: not planned) */
    size_t current;                     /* index; meaningless when n == 0 */
    int generate;                       /* a new key is due now ... */
    time_t generate_activate;           /* ... activating then */
    time_t next_event;                  /* first change after now (0: none) */
};

/*
 * The states of s's keys at now, what the step must do, and when the next
 * change comes (the daemon reloads then).  Pure: no clock, no files.  For
 * keys without a planned successor retires/deletes are the plan's (the
 * successor activates at activate + rotation_period at the earliest).
 */
void keyring_plan(const struct keyring_schedule *s, time_t now,
                  const struct keyring_params *p, struct keyring_view *v);

/*
 * Read DIR/schedule.json (a missing file is an empty schedule): DIR must
 * be a directory owned by uid with no group/other access, and the file
 * pass the trust rule for uid with mode 0600 or stricter; strict JSON,
 * exactly the members above, kids unique and thumbprint-shaped, activate
 * strictly increasing, no HS* or unknown alg.  0 or PJWT_ERR_* with a
 * message naming the file.
 */
int keyring_read_schedule(const char *dir, uid_t uid,
                          struct keyring_schedule *s, pjwt_err *err);

/* keyring_open flags. */
#define KEYRING_DRY_RUN 0x01u   /* jwt-issuerd -t: plan the step, do it in
                                   memory only, write and delete nothing */

struct keyring {
    struct keyring_schedule sched;  /* after the step */
    struct keyring_view view;       /* at now, after the step */
    pjwt_keyset *keys;              /* private keys, in schedule order */
    size_t changes;                 /* files changed (dry run: would be) */
    char added[PJWT_THUMBPRINT_LEN + 1];     /* kid generated, or "" */
};

/*
 * The step for p at now (euid's key_dir), then every key loaded
 * (PJWT_KEYS_PRIVATE|CHECK_READ|CHECK_WRITE) and checked against its kid.
 * 0 with *kr filled (release with keyring_clear), or PJWT_ERR_* with *kr
 * cleared.  Private key bytes never leave DIR and are cleansed after use.
 */
int keyring_open(const struct keyring_params *p, time_t now, unsigned flags,
                 struct keyring *kr, pjwt_err *err);
void keyring_clear(struct keyring *kr);

#endif
