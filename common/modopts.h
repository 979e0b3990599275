/*
 * modopts.h: pam_jwt.so's options, loaded the same way for the module and
 * for `jwtctl verify`, so the tool an administrator asks "why was this
 * login refused" reads a configuration exactly as the module does
 * (pam_faillock's faillock_config.c, shared by the module and the faillock
 * tool, is the model).
 *
 * Sources, in order: the PAM arguments are scanned for their names and for
 * config=FILE; the file (config=, else the caller's default when it exists)
 * is read, skipping every line whose name is also an argument; then the
 * arguments.  So an argument NAME replaces every line of that name in the
 * file: the usual last-one-wins for single-valued options, and for the
 * repeatable ones (key=, require_claim=) the argument list replaces the
 * file's list instead of adding to it, so a service can narrow the keys the
 * file trusts without the file's keys still applying behind its back.
 *
 * The option table (pjwt_modopts_table) is the one list of names: an option
 * not in it is unknown to the module and to jwtctl, and tests/e2e/docs.sh
 * checks the man pages and etc/pam_jwt.conf against it.  Options that are
 * not token checks (module only: one_time, prompt, debug...) are handled
 * here; the others go on to pjwt_verifier_set (verify.h).
 */
#ifndef PJWT_MODOPTS_H
#define PJWT_MODOPTS_H

#include <stddef.h>
#include "err.h"
#include "verify.h"

/* The file pam_jwt.so reads when no config= names one (pam_jwt.conf(5)),
   and jwtctl verify without --config. */
#define PJWT_MODOPTS_DEFAULT_CONFIG "/etc/security/pam_jwt.conf"

#define PJWT_MODOPTS_MAX_ARG_NAMES 64   /* distinct option names in argv */
#define PJWT_MODOPTS_MAX_EXPORT 16      /* names in export_claims */
#define PJWT_MODOPTS_NAME_MAX 32        /* option and claim names */

/* What an option's value is. */
enum pjwt_modopt_kind {
    PJWT_MO_FLAG,       /* bare word only: libpam reads these too */
    PJWT_MO_BOOL,       /* bare word or yes/no */
    PJWT_MO_STRING,
    PJWT_MO_PATH,       /* an absolute path to a file the module trusts */
    PJWT_MO_NUMBER,
    PJWT_MO_LIST,       /* comma-separated */
    PJWT_MO_PAIR,       /* NAME=VALUE */
};

/* Where an option may be given and what it does (combine with |). */
#define PJWT_MO_MODULE   0x01u  /* the module's own, not a token check */
#define PJWT_MO_ARG_ONLY 0x02u  /* a PAM argument, never a file line */
#define PJWT_MO_REPEAT   0x04u  /* may be given more than once: adds */

struct pjwt_modopt {
    const char *name;
    enum pjwt_modopt_kind kind;
    unsigned flags;
    const char *doc;            /* one line, for messages and docs.sh */
};

/* The table, *n entries.  Static storage. */
const struct pjwt_modopt *pjwt_modopts_table(size_t *n);

/* NULL when name is not an option. */
const struct pjwt_modopt *pjwt_modopt_find(const char *name);

/* Everything one load knows about the options. */
typedef struct pjwt_modopts {
    pjwt_verifier *v;             /* the token checks (verify.h) */
    int one_time;
    int use_first_pass;
    int try_first_pass;           /* accepted; what the module always does */
    int token_only;
    int debug;
    char *replay_dir;             /* malloc'd; NULL: the caller's default */
    char *prompt;                 /* malloc'd; NULL: the caller's default */
    char *config;                 /* malloc'd; NULL: the default file */
    char export[PJWT_MODOPTS_MAX_EXPORT][PJWT_MODOPTS_NAME_MAX];
    size_t n_export;
    long leeway;                  /* mirrored from leeway= for one_time */
    long max_trust_age;           /* seconds past pamjwt_trust's exp; 0 off */
    /* private to modopts.c */
    char argv_names[PJWT_MODOPTS_MAX_ARG_NAMES][PJWT_MODOPTS_NAME_MAX];
    size_t n_argv_names;
    int in_file;
} pjwt_modopts;

/*
 * Fill *o from the config file (config=FILE, else default_config when that
 * file exists; NULL: no default) and then argv.  The file must pass the
 * trust rule (fileio.h); config=, key=, hmac_secret=, revoked= and
 * replay_dir= must be absolute paths (sudo and su keep the calling user's
 * working directory).  Returns 0 or a PJWT_ERR_* with *err set:
 * PJWT_ERR_NOMEM, PJWT_ERR_IO (config unreadable), PJWT_ERR_PERM (config
 * untrusted), else a configuration error.  Clear with pjwt_modopts_clear,
 * also on failure.
 */
int pjwt_modopts_load(pjwt_modopts *o, int argc, const char **argv,
                      const char *default_config, pjwt_err *err);

/* Free what *o holds; NULL is a no-op. */
void pjwt_modopts_clear(pjwt_modopts *o);

/*
 * Expand %h (this host's short name), %H (its FQDN: a host name with a dot
 * as it is, else getaddrinfo's canonical name, as hostname -f; looked up
 * only when the audience asks for it) and %s (service, may be NULL when
 * not known) in the verifier's audience.  0 or PJWT_ERR_CONF.
 */
int pjwt_modopts_expand_audience(pjwt_modopts *o, const char *service,
                                 pjwt_err *err);

#endif
