/*
 * session_file.c: the stored session (session_file.h has the rules and
 * why).  Every check is made on open descriptors: the directory through
 * common/fileio.h's trust walk, the file and its lock with openat +
 * O_NOFOLLOW relative to that directory, then fstat.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "ctl.h"
#include "fileio.h"
#include "json.h"
#include "session_file.h"

#define SESSION_FILE_MAX (64 * 1024)

static void
cleansing_free(void *p)
{
    if (p) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

void
ctl_json_cleansing(void)
{
    json_set_alloc_funcs(malloc, cleansing_free);
}

int
ctl_issuer_norm(const char *issuer, char *out, size_t cap)
{
    size_t n = issuer ? strlen(issuer) : 0;

    while (n > 0 && issuer[n - 1] == '/')
        n--;
    if (n == 0 || n >= cap) {
        ctl_err("issuer URL %s", n ? "too long" : "missing");
        return -1;
    }
    memcpy(out, issuer, n);
    out[n] = '\0';
    return 0;
}

/* $XDG_RUNTIME_DIR/pamjwt (a tmpfs that ends with the user's last login),
   else ~/.cache/pamjwt.  *fallback says which, for creating ~/.cache. */
static int
session_dir(char *out, size_t cap, int *fallback)
{
    const char *base = getenv("XDG_RUNTIME_DIR");
    int n;

    *fallback = 0;
    if (base && base[0] == '/') {
        n = snprintf(out, cap, "%s/pamjwt", base);
    } else {
        base = getenv("HOME");
        if (!base || base[0] != '/') {
            ctl_err("neither XDG_RUNTIME_DIR nor HOME is set: nowhere to "
                    "keep the session");
            return -1;
        }
        *fallback = 1;
        n = snprintf(out, cap, "%s/.cache/pamjwt", base);
    }
    if (n <= 0 || (size_t)n >= cap) {
        ctl_err("session directory name too long");
        return -1;
    }
    return 0;
}

/* The file's and the directory's own rule, beyond the trust walk: ours
   alone, nobody else may even read (the file holds a secret). */
static int
check_private(const char *path, const struct stat *st, int dir)
{
    if (st->st_uid != geteuid()) {
        ctl_err("%s: owned by uid %u, not by you: refused", path,
                (unsigned)st->st_uid);
        return -1;
    }
    if (st->st_mode & 077) {
        ctl_err("%s: mode %04o, must be %s (others could read the "
                "session): refused", path, (unsigned)(st->st_mode & 07777),
                dir ? "0700" : "0600");
        return -1;
    }
    return 0;
}

/* openat(O_NOFOLLOW) with the reason of a refusal in words. */
static int
open_in(struct ctl_session_slot *slot, const char *name, int flags,
        const char *shown)
{
    int fd = openat(slot->dirfd, name,
                    flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                    0600);
    struct stat st;

    if (fd < 0) {
        if (errno == ENOENT)
            return -2;
        if (errno == ELOOP)
            ctl_err("%s: a symbolic link: refused", shown);
        else
            ctl_err("%s: %s", shown, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ctl_err("%s: not a regular file: refused", shown);
        close(fd);
        return -1;
    }
    if (check_private(shown, &st, 0) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
ctl_session_open(const char *issuer, int create,
                 struct ctl_session_slot *slot)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    char norm[CTL_URL_MAX], lock[80], parent[PATH_MAX], *slash;
    unsigned int mdlen = 0;
    struct stat st;
    pjwt_err e;
    int fallback, n, i;

    memset(slot, 0, sizeof(*slot));
    slot->dirfd = slot->lockfd = -1;
    if (ctl_issuer_norm(issuer, norm, sizeof(norm)) != 0 ||
        session_dir(slot->dir, sizeof(slot->dir), &fallback) != 0)
        return -1;
    if (!EVP_Digest(norm, strlen(norm), md, &mdlen, EVP_sha256(), NULL)) {
        ctl_err("SHA-256 failed");
        return -1;
    }
    n = snprintf(slot->name, sizeof(slot->name), "session-");
    for (i = 0; i < 8; i++)
        n += snprintf(slot->name + n, sizeof(slot->name) - (size_t)n,
                      "%02x", md[i]);
    snprintf(lock, sizeof(lock), "%s.lock", slot->name);
    snprintf(slot->name + n, sizeof(slot->name) - (size_t)n, ".json");
    if (snprintf(slot->path, sizeof(slot->path), "%s/%s", slot->dir,
                 slot->name) >= (int)sizeof(slot->path)) {
        ctl_err("session path too long");
        return -1;
    }

    if (lstat(slot->dir, &st) != 0) {
        if (errno != ENOENT) {
            ctl_err("%s: %s", slot->dir, strerror(errno));
            return -1;
        }
        if (!create)
            return 1;
        /* ~/.cache may not exist yet; XDG_RUNTIME_DIR is the system's to
           make, and is not created here. */
        if (fallback) {
            snprintf(parent, sizeof(parent), "%s", slot->dir);
            if ((slash = strrchr(parent, '/')))
                *slash = '\0';
            if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
                ctl_err("%s: %s", parent, strerror(errno));
                return -1;
            }
        }
        if (mkdir(slot->dir, 0700) != 0 && errno != EEXIST) {
            ctl_err("%s: %s", slot->dir, strerror(errno));
            return -1;
        }
    }
    pjwt_err_clear(&e);
    slot->dirfd = pjwt_path_open(slot->dir, geteuid(), PJWT_PATH_DIR, &st,
                                 &e);
    if (slot->dirfd < 0) {
        ctl_err("%s: refused", e.msg[0] ? e.msg : slot->dir);
        slot->dirfd = -1;
        return -1;
    }
    if (check_private(slot->dir, &st, 1) != 0)
        goto fail;
    if ((slot->lockfd = open_in(slot, lock, O_RDWR | O_CREAT, lock)) < 0) {
        slot->lockfd = -1;
        goto fail;
    }
    while (flock(slot->lockfd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ctl_err("%s/%s: lock: %s", slot->dir, lock, strerror(errno));
            goto fail;
        }
    }
    return 0;
fail:
    ctl_session_close(slot);
    return -1;
}

void
ctl_session_close(struct ctl_session_slot *slot)
{
    /* Closing the descriptor releases the flock. */
    if (slot->lockfd >= 0)
        close(slot->lockfd);
    if (slot->dirfd >= 0)
        close(slot->dirfd);
    slot->lockfd = slot->dirfd = -1;
}

static int
get_str(const json_t *o, const char *name, char *out, size_t cap,
        int required)
{
    const char *v = json_string_value(json_object_get(o, name));

    if (!v)
        return required ? -1 : 0;
    if (strlen(v) >= cap)
        return -1;
    snprintf(out, cap, "%s", v);
    return 0;
}

static int
get_num(const json_t *o, const char *name, long long *out)
{
    const json_t *v = json_object_get(o, name);

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

int
ctl_session_load(struct ctl_session_slot *slot, struct ctl_session *s)
{
    const char *rt;
    uint8_t *buf = NULL;
    size_t len = 0;
    json_t *j = NULL;
    pjwt_err e;
    int fd, r = -1;

    memset(s, 0, sizeof(*s));
    if ((fd = open_in(slot, slot->name, O_RDONLY, slot->path)) == -2)
        return 1;
    if (fd < 0)
        return -1;
    pjwt_err_clear(&e);
    if (pjwt_fd_read(fd, slot->path, SESSION_FILE_MAX, &buf, &len, &e) != 0) {
        ctl_err("%s", e.msg);
        goto out;
    }
    if (!(j = pjwt_json_parse_object((const char *)buf, len, SESSION_FILE_MAX,
                                     &e)) ||
        get_str(j, "issuer", s->issuer, sizeof(s->issuer), 1) != 0 ||
        get_str(j, "user", s->user, sizeof(s->user), 1) != 0 ||
        get_str(j, "session", s->session, sizeof(s->session), 0) != 0 ||
        get_str(j, "cacert", s->cacert, sizeof(s->cacert), 0) != 0 ||
        get_str(j, "client_id", s->client_id, sizeof(s->client_id), 0) != 0 ||
        get_num(j, "expires", &s->expires) != 0 ||
        get_num(j, "idle", &s->idle) != 0 ||
        get_num(j, "last_used", &s->last_used) != 0 ||
        !(rt = json_string_value(json_object_get(j, "refresh_token"))) ||
        !*rt) {
        ctl_err("%s: not a session file (remove it and log in again)",
                slot->path);
        goto out;
    }
    if (!(s->refresh_token = strdup(rt))) {
        ctl_err("out of memory");
        goto out;
    }
    r = 0;
out:
    json_decref(j);
    pjwt_file_free(buf, len);
    close(fd);
    if (r != 0)
        ctl_session_clear(s);
    return r;
}

int
ctl_session_store(struct ctl_session_slot *slot, const struct ctl_session *s)
{
    json_t *j;
    char *text = NULL;
    int r = -1;

    j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
                  "issuer", s->issuer, "user", s->user,
                  "refresh_token", s->refresh_token ? s->refresh_token : "",
                  "session", s->session, "expires", (json_int_t)s->expires,
                  "idle", (json_int_t)s->idle,
                  "last_used", (json_int_t)s->last_used);
    if (!j || (s->cacert[0] &&
               json_object_set_new(j, "cacert", json_string(s->cacert))) ||
        (s->client_id[0] &&
         json_object_set_new(j, "client_id", json_string(s->client_id))) ||
        !(text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS))) {
        ctl_err("out of memory");
        goto out;
    }
    if (ctl_write_atomic(slot->path, text, strlen(text), 0600, 1) != 0)
        goto out;
    r = 0;
out:
    if (text)
        pjwt_secret_free(text, strlen(text));
    json_decref(j);
    return r;
}

int
ctl_session_remove(struct ctl_session_slot *slot)
{
    if (unlinkat(slot->dirfd, slot->name, 0) != 0 && errno != ENOENT) {
        ctl_err("%s: %s", slot->path, strerror(errno));
        return -1;
    }
    return 0;
}

int
ctl_session_update(struct ctl_session *s, const json_t *answer, time_t now)
{
    const char *rt = json_string_value(json_object_get(answer,
                                                       "refresh_token"));
    char *copy;

    if (!rt || !*rt || !(copy = strdup(rt)))
        return -1;
    if (s->refresh_token)
        pjwt_secret_free(s->refresh_token, strlen(s->refresh_token));
    s->refresh_token = copy;
    /* A refresh answer may leave out what did not change. */
    get_str(answer, "pamjwt_session", s->session, sizeof(s->session), 0);
    get_num(answer, "pamjwt_session_expires", &s->expires);
    get_num(answer, "pamjwt_session_idle", &s->idle);
    s->last_used = (long long)now;
    return 0;
}

void
ctl_session_clear(struct ctl_session *s)
{
    if (s->refresh_token)
        pjwt_secret_free(s->refresh_token, strlen(s->refresh_token));
    memset(s, 0, sizeof(*s));
}

int
ctl_session_find(const char *issuer, struct ctl_session_slot *slot,
                 struct ctl_session *s)
{
    int rc;

    if ((rc = ctl_session_open(issuer, 0, slot)) == 1
        || (rc == 0 && (rc = ctl_session_load(slot, s)) == 1)) {
        ctl_err("no session for %s: run jwtctl login", issuer);
        return 1;
    }
    if (rc != 0)
        return -1;
    /* The file name is a hash of the issuer: a file of another issuer
       there was put there, not written by us. */
    if (strcmp(s->issuer, issuer) != 0) {
        ctl_err("%s: holds a session of another issuer: refused", slot->path);
        return -1;
    }
    return 0;
}
