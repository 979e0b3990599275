/*
 * replay.c: the one_time jti store, a directory of empty-ish files.
 *
 * sshd forks one process per connection, so "seen before" must be atomic
 * across processes without a daemon.  Each (iss, jti) pair is one file
 * named by the hex SHA-256 of iss NUL jti: the jti (attacker-chosen) is
 * never used as a path.  A record is created complete and then published
 * with link(2), which fails with EEXIST when the name exists: of many
 * processes presenting the same token at once, exactly one link succeeds.
 * The record's mtime is the time until which it matters (exp + leeway);
 * it is set on the private temporary file before the link, so a published
 * record never shows a wrong time.
 *
 * A record whose time has passed is stale.  Replacing a stale record (a
 * reused jti), and sweeping, happen under flock on the directory, and
 * re-check the time under the lock, so a fresh record is never removed.
 * Sweeping is opportunistic and bounded: at most SWEEP_MAX entries per
 * successful login.
 *
 * The directory must be owned by the euid and closed to group and others,
 * and pass the trust rule of fileio.h up to / (no symlink in its place);
 * it is created 0700 when missing (its parent must exist).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "fileio.h"
#include "mod.h"

#define SWEEP_MAX 64
#define TMP_GRACE 60         /* seconds a temporary file may be in flight */
#define HASH_HEX 64

static int
record_name(const char *iss, size_t iss_len, const char *jti, size_t jti_len,
            char out[HASH_HEX + 1], pjwt_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int r = PJWT_ERR_INTERNAL;

    if (!ctx)
        return pjwt_err_set(err, PJWT_ERR_NOMEM, __func__, "out of memory");
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, iss, iss_len) != 1 ||
        EVP_DigestUpdate(ctx, "", 1) != 1 ||
        EVP_DigestUpdate(ctx, jti, jti_len) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        r = pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__, "SHA-256 failed");
        goto out;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[HASH_HEX] = '\0';
    r = 0;
out:
    EVP_MD_CTX_free(ctx);
    return r;
}

static int
open_dir(const char *dir, pjwt_err *err)
{
    struct stat st;
    pjwt_err e;
    int fd;

    /* Created when missing (EEXIST is the usual answer); then the trust
       rule (fileio.h) for it and every directory above it: whoever could
       swap the directory could replay any token. */
    (void)mkdir(dir, 0700);
    pjwt_err_clear(&e);
    fd = pjwt_path_open(dir, geteuid(), PJWT_PATH_DIR, &st, &e);
    if (fd < 0)
        return pjwt_err_set(err, fd, __func__, "replay_dir %s", e.msg);
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(fd);
        return pjwt_err_set(err, PJWT_ERR_PERM, __func__,
                            "replay_dir %s: must be owned by uid %u, mode 0700",
                            dir, (unsigned)geteuid());
    }
    return fd;
}

static int
is_record_name(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == HASH_HEX;
}

/* Remove up to SWEEP_MAX stale entries; skipped when another process holds
   the lock (someone else is already tidying). */
static void
sweep(int dfd, time_t now)
{
    struct dirent *de;
    struct stat st;
    DIR *d;
    int fd, n = 0;

    if (flock(dfd, LOCK_EX | LOCK_NB) != 0)
        return;
    fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        goto out;
    }
    while (n < SWEEP_MAX && (de = readdir(d)) != NULL) {
        int rec = is_record_name(de->d_name);
        int tmp = strncmp(de->d_name, "tmp.", 4) == 0;

        if (!rec && !tmp)
            continue;
        n++;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if ((rec && st.st_mtime <= now) ||
            (tmp && st.st_mtime <= now - TMP_GRACE && st.st_ctime <= now - TMP_GRACE))
            unlinkat(dfd, de->d_name, 0);
    }
    closedir(d);
out:
    flock(dfd, LOCK_UN);
}

/* Create the private temporary record carrying `until` as its mtime. */
static int
make_tmp(int dfd, char *tmp, size_t cap, time_t until, pjwt_err *err)
{
    unsigned char rnd[8];
    struct timespec ts[2];
    char body[32];
    int fd, n, r = PJWT_ERR_IO;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__, "RAND_bytes failed");
    snprintf(tmp, cap, "tmp.%ld.%02x%02x%02x%02x%02x%02x%02x%02x",
             (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
             rnd[6], rnd[7]);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                0600);
    if (fd < 0)
        return pjwt_err_set(err, PJWT_ERR_IO, __func__, "replay record: %s",
                            strerror(errno));
    /* The content is informative only (for an administrator's ls). */
    n = snprintf(body, sizeof(body), "%lld\n", (long long)until);
    ts[0].tv_sec = ts[1].tv_sec = until;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    if (write(fd, body, (size_t)n) != n || futimens(fd, ts) != 0) {
        r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "replay record: %s",
                         strerror(errno));
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    r = 0;
out:
    close(fd);
    return r;
}

int
pjm_replay_record(const char *dir, const char *iss, size_t iss_len,
                  const char *jti, size_t jti_len, time_t until, time_t now,
                  pjwt_err *err)
{
    char name[HASH_HEX + 1], tmp[64];
    struct stat st;
    int dfd = -1, have_tmp = 0, locked = 0, r = PJWT_ERR_INTERNAL;

    if (!dir || !jti || !iss)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "bad argument");
    r = record_name(iss, iss_len, jti, jti_len, name, err);
    if (r != 0)
        return r;
    dfd = open_dir(dir, err);
    if (dfd < 0)
        return dfd;
    r = make_tmp(dfd, tmp, sizeof(tmp), until, err);
    if (r != 0)
        goto out;
    have_tmp = 1;

    /* Bounded: at most one stale replacement and one vanished record. */
    for (int attempt = 0; attempt < 3; attempt++) {
        if (linkat(dfd, tmp, dfd, name, 0) == 0) {
            r = 0;
            goto out;
        }
        if (errno != EEXIST) {
            r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "replay record: %s",
                             strerror(errno));
            goto out;
        }
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue;       /* swept or replaced meanwhile: try again */
            r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "replay record: %s",
                             strerror(errno));
            goto out;
        }
        if (st.st_mtime > now || locked) {
            r = pjwt_err_set(err, PJWT_ERR_REPLAY, __func__,
                             "jti already used");
            goto out;
        }
        /* Stale record of a reused jti: replace it under the lock, after
           looking again (another process may have replaced it first). */
        if (flock(dfd, LOCK_EX) != 0) {
            r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "replay lock: %s",
                             strerror(errno));
            goto out;
        }
        locked = 1;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (st.st_mtime > now) {
                r = pjwt_err_set(err, PJWT_ERR_REPLAY, __func__,
                                 "jti already used");
                goto out;
            }
            unlinkat(dfd, name, 0);
        }
    }
    r = pjwt_err_set(err, PJWT_ERR_REPLAY, __func__, "jti already used");
out:
    if (have_tmp)
        unlinkat(dfd, tmp, 0);
    if (locked)
        flock(dfd, LOCK_UN);
    if (r == 0)
        sweep(dfd, now);
    close(dfd);
    return r;
}
