/*
 * ctl.h: the pieces of jwtctl, one subcommand per file in issuer/jwtctl/.
 *
 * Exit codes, the same for every subcommand (jwtctl(1)):
 *   0  success (verify: every check passed)
 *   1  the operation failed (verify: the token was refused)
 *   2  bad command line or configuration
 */
#ifndef PJWT_CTL_H
#define PJWT_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "cleanup.h"
#include "err.h"
#include "fileio.h"
#include "keys.h"

#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

#define CTL_INPUT_MAX (1024 * 1024)

int ctl_keygen(int argc, char **argv);
int ctl_jwks(int argc, char **argv);
int ctl_sign(int argc, char **argv);
int ctl_decode(int argc, char **argv);
int ctl_verify(int argc, char **argv);
int ctl_sessions(int argc, char **argv);
int ctl_keys(int argc, char **argv);

int ctl_sync(int argc, char **argv);

/*
 * The checks of a key set before it becomes a host's key file (jwks
 * --install, sync): a JWKS that pam_jwt.so's own loader takes, eagerly,
 * with at least one usable key and no HMAC key; skipped keys are named on
 * stderr.  name is for messages ("standard input", a URL).  0 with *ks
 * (free with pjwt_keyset_free), or -1 with *e saying why.
 */
int ctl_jwks_check(const char *buf, size_t len, const char *name,
                   pjwt_keyset **ks, pjwt_err *e);

/* "DEST: installed N usable keys: ES256 kid "..."..." on stdout. */
void ctl_jwks_print_installed(const char *dest, pjwt_keyset *ks);
int ctl_revoke(int argc, char **argv);
int ctl_bundle(int argc, char **argv);

/* jwt-issuerd's store (store_open.c): its default place (the file is
   STORE_SQLITE_FILE of store.h in it). */
#define CTL_STATE_DIR "/var/lib/jwt-issuerd"
struct store;

/* Where a verb finds the store: --store SPEC, --state-dir DIR, or -c CONF,
   the daemon's configuration (its store, store_password_file and
   store_timeout, as the daemon reads them). */
struct ctl_store_at {
    char spec[4096 + 16];
    char password_file[4096];   /* "": no Redis AUTH */
    unsigned timeout_ms;        /* 0: the store's default */
};

/* Fill *at from at most one of store, state_dir, conf (all NULL: the
   daemon's default): CTL_OK, or an exit code with a message that what
   (the verb) starts. */
int ctl_store_where(const char *what, const char *store, const char *state_dir,
                    const char *conf, struct ctl_store_at *at);

/* Open the store at names as its owner (never creating it): CTL_OK with
   *st, or an exit code with the message printed. */
int ctl_store_open(const char *what, const struct ctl_store_at *at,
                   struct store **st);

/* "jwtctl: " + message on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flush stdout: CTL_OK, or CTL_FAIL with a message (a full disk or a closed
   pipe must not look like success to a script). */
int ctl_flush(void);

/* j as indented JSON and a newline on stdout, flushed: CTL_OK, or
   CTL_FAIL with a message. */
int ctl_print_json(const json_t *j);

/*
 * Read all of a file, or stdin when path is "-", into a new NUL-terminated
 * buffer (at most CTL_INPUT_MAX bytes; a path must be a regular file),
 * through common/fileio.h's readers.  0 or -1 (message printed).  Free with
 * pjwt_file_free(buf, len), which cleanses it.
 */
int ctl_read(const char *path, char **buf, size_t *len);

/* Drop trailing blanks and newlines (a token pasted or piped in). */
void ctl_rtrim(char *s, size_t *len);

/*
 * Write buf to path atomically with common/filewrite.h's pjwt_file_replace:
 * with force an existing path is replaced, without it refused.  0 or -1
 * (printed).
 */
int ctl_write_atomic(const char *path, const void *buf, size_t len,
                     unsigned mode, int force);

/*
 * Load a signing key: a private PEM, JWK or JWKS (its first private key),
 * or, when the file is not printable PEM/JSON text, an HMAC secret of the
 * file's exact bytes.  Returns the keyset holding it (free with
 * pjwt_keyset_free) and sets *key (borrowed), or NULL with a message.
 */
pjwt_keyset *ctl_load_signing_key(const char *path, pjwt_key **key);

#endif
