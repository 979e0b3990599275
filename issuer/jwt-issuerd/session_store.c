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

static struct store *the_store;
static int sessions_on;         /* the_store also serves sessions */

/* The directory rule of the trust check (fileio.h), for a directory the
   daemon writes: its own, not a link, nobody else may write in it. */
static int
state_dir_ok(const char *dir)
{
    struct stat sb;

    if (lstat(dir, &sb) != 0) {
        log_err("state_dir %s: %s (create it, owned by the user jwt-issuerd "
                "runs as, mode 0700, or set session_lifetime = 0)", dir,
                strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        log_err("state_dir %s: not a directory", dir);
        return -1;
    }
    if (sb.st_uid != geteuid()) {
        log_err("state_dir %s: owned by uid %ld, not by uid %ld that "
                "jwt-issuerd runs as", dir, (long)sb.st_uid, (long)geteuid());
        return -1;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        log_err("state_dir %s: writable by group or others (mode %04o)", dir,
                (unsigned)(sb.st_mode & 07777));
        return -1;
    }
    return 0;
}

int
session_store_open(const struct issuer_conf *c, int check_only)
{
    char spec[4096], *path = spec + 7;
    struct stat sb;
    pjwt_err err;
    struct store *st = NULL;

    /* Without sessions the store still holds the trust bundle's
       revocations and version, when state_dir is there to hold it; when it
       is not, only the bundle is off (it answers 503). */
    if (c->session_lifetime == 0 && lstat(c->state_dir, &sb) != 0
        && errno == ENOENT) {
        log_info("trust bundle off: no state_dir %s (its revocations and "
                 "version live in %s/sessions.db)", c->state_dir,
                 c->state_dir);
        return 0;
    }
    if (state_dir_ok(c->state_dir) != 0)
        return c->session_lifetime == 0 ? 0 : -1;
    if ((size_t)snprintf(spec, sizeof(spec), "sqlite:%s/sessions.db",
                         c->state_dir) >= sizeof(spec)) {
        log_err("state_dir %s: path too long", c->state_dir);
        return -1;
    }
    if (check_only && lstat(path, &sb) != 0 && errno == ENOENT)
        return 0;     /* created at the first start */
    pjwt_err_clear(&err);
    if (store_open(spec, geteuid(), NULL, &st, &err) != STORE_OK) {
        log_err("session store: %s%s", err.msg[0] ? err.msg : "cannot open",
                c->session_lifetime == 0 ? " (sessions off: only the trust "
                "bundle is off)" : "");
        return c->session_lifetime == 0 ? 0 : -1;
    }
    if (check_only) {
        store_close(st);
        return 0;
    }
    the_store = st;
    sessions_on = c->session_lifetime > 0;
    if (sessions_on)
        log_info("sessions: %s (lifetime %ld s, idle %ld s)", path,
                 c->session_lifetime, c->session_idle);
    else
        log_info("sessions off; trust bundle store: %s", path);
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
    if (store_expire(the_store, (int64_t)time(NULL), &n, &err) != STORE_OK)
        log_warn("session store: expiring old sessions: %s", err.msg);
    else if (n > 0)
        log_debug("sessions: forgot %zu ended session(s)", n);
}
