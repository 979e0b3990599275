/*
 * session_store.c: see session_store.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64url.h"
#include "log.h"
#include "session_store.h"

#define SQLITE_PREFIX "sqlite:"

static struct store *the_store;
static int sessions_on;         /* the_store also serves sessions */
/* Atomic: the last call of a shared store answered (/healthz). */
static int shared_ok = 1;

/* The directory rule of the trust check (fileio.h), for a directory the
   daemon writes: its own, not a link, nobody else may write in it.  what
   names the option it comes from (state_dir, or store's directory). */
static int
dir_ok(const char *what, const char *dir)
{
    struct stat sb;

    if (lstat(dir, &sb) != 0) {
        log_err("%s %s: %s (create it, owned by the user jwt-issuerd "
                "runs as, mode 0700, or set session_lifetime = 0)", what, dir,
                strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        log_err("%s %s: not a directory", what, dir);
        return -1;
    }
    if (sb.st_uid != geteuid()) {
        log_err("%s %s: owned by uid %ld, not by uid %ld that "
                "jwt-issuerd runs as", what, dir, (long)sb.st_uid,
                (long)geteuid());
        return -1;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        log_err("%s %s: writable by group or others (mode %04o)", what, dir,
                (unsigned)(sb.st_mode & 07777));
        return -1;
    }
    return 0;
}

/* The store spec c names (store, else sqlite:STATE_DIR/sessions.db) into
   spec; for SQLite its directory into dir and the option that names it
   into *what; dir "" for a store that is not a file.  0 or -1 (logged). */
static int
store_spec(const struct issuer_conf *c, char *spec, char *dir, size_t cap,
           const char **what)
{
    const char *slash;
    size_t n;

    dir[0] = '\0';
    *what = c->store == NULL ? "state_dir" : "store";
    if (issuer_conf_store_spec(c, spec, cap) != 0) {
        log_err("%s: too long", *what);
        return -1;
    }
    if (strncmp(spec, SQLITE_PREFIX, sizeof(SQLITE_PREFIX) - 1) != 0)
        return 0;
    slash = strrchr(spec, '/');
    if (slash == NULL || spec[sizeof(SQLITE_PREFIX) - 1] != '/') {
        log_err("store %s: the SQLite file must be an absolute path", spec);
        return -1;
    }
    n = slash == spec + sizeof(SQLITE_PREFIX) - 1
            ? 1 : (size_t)(slash - spec) - (sizeof(SQLITE_PREFIX) - 1);
    memcpy(dir, spec + sizeof(SQLITE_PREFIX) - 1, n);
    dir[n] = '\0';
    return 0;
}

int
session_store_open(const struct issuer_conf *c, int check_only)
{
    char spec[4096], dir[4096];
    const char *path = spec + sizeof(SQLITE_PREFIX) - 1, *what;
    struct stat sb;
    pjwt_err err;
    struct store *st = NULL;
    enum store_rc rc;

    if (store_spec(c, spec, dir, sizeof(spec), &what) != 0)
        return -1;
    if (dir[0] == '\0')
        path = spec;            /* a shared store: no file of ours */
    else if (c->store_password_file != NULL)
        log_warn("store_password_file is for a Redis store; %s ignores it",
                 spec);
    /* Without sessions the store still holds the trust bundle's
       revocations and version, when its directory is there to hold it;
       when it is not, only the bundle is off (it answers 503). */
    if (dir[0] != '\0' && c->session_lifetime == 0 && lstat(dir, &sb) != 0
        && errno == ENOENT) {
        log_info("trust bundle off: no %s %s (its revocations and "
                 "version live in %s)", what, dir, path);
        return 0;
    }
    if (dir[0] != '\0' && dir_ok(what, dir) != 0)
        return c->session_lifetime == 0 ? 0 : -1;
    if (dir[0] != '\0' && check_only && lstat(path, &sb) != 0
        && errno == ENOENT)
        return 0;     /* created at the first start */
    pjwt_err_clear(&err);
    rc = store_open(spec, geteuid(), &(struct store_opts){
                        .password_file = c->store_password_file,
                        .timeout_ms = (unsigned)c->store_timeout * 1000u,
                        .defer_connect = 1 },
                    &st, &err);
    if (rc != STORE_OK) {
        log_err("session store: %s%s", err.msg[0] ? err.msg : "cannot open",
                c->session_lifetime == 0 ? " (sessions off: only the trust "
                "bundle is off)" : "");
        return c->session_lifetime == 0 ? 0 : -1;
    }
    /* Redis not there yet: start (and -t passes, or systemd's
       ExecStartPre would give up after its restart limit) degraded, as
       when it goes away later; the first call that reaches it recovers. */
    if (err.msg[0] != '\0')
        log_warn("store unreachable: %s (%s)", err.msg, check_only
                 ? "jwt-issuerd will start degraded and connect when it "
                   "answers" : "/token answers 503, /healthz degraded, "
                   "until it answers");
    if (check_only) {
        store_close(st);
        return 0;
    }
    the_store = st;
    if (err.msg[0] != '\0')
        __atomic_store_n(&shared_ok, 0, __ATOMIC_RELAXED);
    sessions_on = c->session_lifetime > 0;
    if (sessions_on)
        log_info("sessions: %s (lifetime %ld s, idle %ld s)", path,
                 c->session_lifetime, c->session_idle);
    else
        log_info("sessions off; trust bundle store: %s", path);
    if (store_shared(st))
        log_info("store shared by replicas: rate limits and the key "
                 "registry live there");
    return 0;
}

void
session_store_close(void)
{
    store_close(the_store);
    the_store = NULL;
}

struct store *
session_store(void)
{
    return sessions_on ? the_store : NULL;
}

struct store *
trust_store(void)
{
    return the_store;
}

struct store *
shared_store(void)
{
    return the_store != NULL && store_shared(the_store) ? the_store : NULL;
}

enum store_rc
shared_store_note(enum store_rc rc, const pjwt_err *err)
{
    /* A refused argument is this process's mistake, not the store's. */
    int ok = rc != STORE_ERROR || (err != NULL && err->code == PJWT_ERR_ARG);
    int was;

    if (shared_store() == NULL)
        return rc;
    was = __atomic_exchange_n(&shared_ok, ok, __ATOMIC_RELAXED);
    /* Once per change, not once per request: a store that is down would
       otherwise fill the log at the login rate. */
    if (was && !ok)
        log_err("store unreachable: %s (/token answers 503, /healthz "
                "degraded, until it answers again)",
                err != NULL && err->msg[0] ? err->msg : "error");
    else if (!was && ok)
        log_info("store reachable again");
    return rc;
}

int
shared_store_degraded(void)
{
    return shared_store() != NULL
           && !__atomic_load_n(&shared_ok, __ATOMIC_RELAXED);
}

void
session_token_hash(const char *rt, uint8_t hash[STORE_HASH_LEN])
{
    unsigned int n = STORE_HASH_LEN;

    /* SHA-256 cannot fail on a valid context; a zero hash matches nothing
       the store holds if it somehow did. */
    if (EVP_Digest(rt, strlen(rt), hash, &n, EVP_sha256(), NULL) != 1)
        memset(hash, 0, STORE_HASH_LEN);
}

int
session_token_new(char rt[REFRESH_TOKEN_LEN + 1], uint8_t hash[STORE_HASH_LEN])
{
    unsigned char rnd[32];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    pjwt_b64url_encode(rnd, sizeof(rnd), rt);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    session_token_hash(rt, hash);
    return 0;
}

int
session_id_new(char id[STORE_ID_LEN + 1])
{
    unsigned char rnd[16];

    /* An id is typed on command lines (jwtctl sessions revoke ID): one
       that starts with '-' would read as an option, so draw again. */
    do {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1)
            return -1;
        pjwt_b64url_encode(rnd, sizeof(rnd), id);
    } while (id[0] == '-');
    return 0;
}

void
session_store_expire(void)
{
    pjwt_err err;
    size_t n = 0;

    if (the_store == NULL)
        return;
    pjwt_err_clear(&err);
    if (shared_store_note(store_expire(the_store, (int64_t)time(NULL), &n,
                                       &err), &err) != STORE_OK)
        log_warn("session store: expiring old sessions: %s", err.msg);
    else if (n > 0)
        log_debug("sessions: forgot %zu ended session(s)", n);
}
