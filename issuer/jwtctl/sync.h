/*
 * sync.h: the pieces of `jwtctl sync` (jwtctl(1) SYNC), one per file:
 *
 *   sync.c         the command line, the trust bundle mode (--issuer,
 *                  --file: pin, fetch, pjwt_bundle_verify, the rollback
 *                  rule, install revoked then jwks.json)
 *   sync_jwks.c    the plain JWKS mode (--jwks URL: ETag/If-Modified-Since)
 *   sync_status.c  DIR/sync-status.json, the one-line result on stderr or
 *                  stdout and in syslog, and --status
 *
 * Every outcome goes through sync_fail or sync_done, so that what the
 * administrator reads, what syslog keeps and what --status reports are the
 * same sentence.
 */
#ifndef PJWT_CTL_SYNC_H
#define PJWT_CTL_SYNC_H

#include <limits.h>
#include <time.h>
#include <jansson.h>
#include "client.h"

#define SYNC_DEFAULT_DIR "/etc/security/pam_jwt"
#define SYNC_WELL_KNOWN "/.well-known/pamjwt-trust.jws"

struct sync_ctx {
    char dir[PATH_MAX];
    char jwks_path[PATH_MAX];       /* DIR/jwks.json */
    char revoked_path[PATH_MAX];    /* DIR/revoked */
    char status_path[PATH_MAX];     /* DIR/sync-status.json */
    const char *cacert;             /* --cacert, NULL: the system store */
    time_t now;
    json_t *status;     /* sync-status.json as read, updated in memory */
    int dir_ok;         /* DIR passed the trust rule: the status may be
                           written there */
};

/* Fill the paths of c for dir (0, or -1 when too long: printed). */
int sync_ctx_init(struct sync_ctx *c, const char *dir);

/* Read DIR/sync-status.json (trust rule) into c->status; a missing file
   is an empty object, an unreadable or broken one is reported and
   replaced by an empty object (the next write repairs it). */
void sync_status_load(struct sync_ctx *c);

/* Before a sync_done: the mode ("bundle", "jwks") and source of the
   success, with the other mode's members dropped. */
void sync_status_source(struct sync_ctx *c, const char *mode,
                        const char *source);

/* A string member of the status, or NULL. */
const char *sync_status_str(const struct sync_ctx *c, const char *name);

/*
 * The attempt failed: "jwtctl: sync: MESSAGE" on stderr and LOG_ERR in
 * syslog; when c->dir_ok, last_attempt and last_error recorded in the
 * status file (nothing else changes).  Returns CTL_FAIL.
 */
int sync_fail(struct sync_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The attempt succeeded: "sync: MESSAGE" on stdout and LOG_INFO in syslog,
 * last_attempt = last_success = now, last_error = null, with whatever the
 * caller set in c->status before (source, version...).  CTL_OK, or
 * CTL_FAIL when the status file cannot be written (printed).
 */
int sync_done(struct sync_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* jwtctl sync --status: print it; CTL_OK when the last attempt
   succeeded, CTL_FAIL otherwise (or never synced). */
int sync_status_print(struct sync_ctx *c);

/* jwtctl sync --jwks URL (sync_jwks.c). */
int sync_jwks(struct sync_ctx *c, const char *url);

#endif
