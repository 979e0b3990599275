/*
 * replay.c: the one_time jti store, a directory of small files.
 *
 * sshd forks one process per connection, so "seen before" must be atomic
 * across processes without a daemon.  Each (iss, jti) pair is one file
 * named by the hex SHA-256 of iss NUL jti: the jti (attacker-chosen) is
 * never used as a path.  A record is created complete and then published
 * with link(2), which fails with EEXIST when the name exists: of many
 * processes presenting the same token at once, exactly one link succeeds.
 * An existing record is never replaced, however old it looks: the only way
 * a record goes is the sweep below, and only once no service could accept
 * its token any more.
 *
 * Records are bucketed by the token's exp: replay_dir/B/NAME where B is exp
 * rounded down to BUCKET_SECONDS (decimal Unix time).  The bucket depends
 * on the token alone (not on a service's leeway), so every presentation of
 * one token meets the same name.  The record's mtime is exp + leeway, for
 * an administrator's ls; the sweep does not trust it.
 *
 * A bucket is swept once every token in it is dead for every service:
 * B + BUCKET_SECONDS + KEEP <= now, KEEP being the largest leeway any
 * service may configure plus MARGIN (clock steps, a login stalled between
 * its check and its record).  A token being recorded was valid at its
 * caller's now (now < exp + leeway), so its bucket is never sweepable by a
 * process whose clock is less than MARGIN ahead: a sweep never removes a
 * record a login relies on.  Sweeping is one process at a time (flock on
 * the directory, skipped when held) after each successful record, costs
 * one listing of the top level (a few dozen buckets) plus the records it
 * removes, and stops after SWEEP_MAX removals; an expired bucket holds
 * nothing but removable records, so each sweep makes progress and the
 * directory cannot grow beyond the records of the last KEEP seconds.
 *
 * A record is written as a temporary file in its bucket and then linked
 * to its name, so an abandoned temporary file goes with its bucket.
 *
 * Flat records (replay_dir/NAME, the layout before buckets) are still
 * honoured as "seen" and swept once their mtime is KEEP in the past;
 * temporary files at the top (from that layout) once TMP_GRACE old.
 *
 * Time is the caller's: the module reads the clock once per login and
 * passes the same now to the verifier and here.
 *
 * The directory must be owned by the euid and closed to group and others,
 * and pass the trust rule of fileio.h up to / (no symlink in its place);
 * it is created 0700 when missing (its parent must exist).  Buckets are
 * created 0700 and checked the same way.
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

#define BUCKET_SECONDS 600   /* width of one bucket of exp values */
#define MARGIN 300           /* seconds beyond the largest leeway */
#define KEEP (PJWT_VERIFIER_LEEWAY_MAX + MARGIN)
#define SWEEP_MAX 4096       /* removals per sweep */
#define SWEEP_BUCKETS 64     /* expired buckets looked at per sweep */
#define TMP_GRACE 60         /* seconds a temporary file may be in flight */
#define HASH_HEX 64
#define BUCKET_NAME_MAX 24

static int
record_name(const char *iss, size_t iss_len, const char *jti, size_t jti_len,
            char out[HASH_HEX + 1], pjwt_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int r = PJWT_ERR_INTERNAL;

    if (!ctx) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, iss, iss_len) != 1 ||
        EVP_DigestUpdate(ctx, "", 1) != 1 ||
        EVP_DigestUpdate(ctx, jti, jti_len) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        r = PJWT_FAIL(err, PJWT_ERR_INTERNAL, "SHA-256 failed");
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
    int fd, r = PJWT_ERR_INTERNAL;

    /* Created when missing (EEXIST is the usual answer); then the trust
       rule (fileio.h) for it and every directory above it: whoever could
       swap the directory could replay any token. */
    (void)mkdir(dir, 0700);
    pjwt_err_clear(&e);
    fd = pjwt_path_open(dir, geteuid(), PJWT_PATH_DIR, &st, &e);
    if (fd < 0) {
        r = PJWT_FAIL(err, fd, "replay_dir %s", e.msg);
        fd = -1;
        goto out;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM,
                      "replay_dir %s: must be owned by uid %u, mode 0700",
                      dir, (unsigned)geteuid());
        goto out;
    }
    r = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return r;
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

/* A bucket's name: its start time in decimal, no sign, no leading zero. */
static int
bucket_start(const char *s, time_t *start)
{
    long long v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 18 || (i == 0 && s[i] == '0'))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return 0;
    *start = (time_t)v;
    return 1;
}

/* Empty one expired bucket (at most *budget removals), then remove it. */
static void
sweep_bucket(int dfd, const char *bname, int *budget)
{
    struct dirent *de;
    DIR *d = NULL;
    int bfd;

    bfd = openat(dfd, bname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (bfd < 0)
        goto out;
    if (!(d = fdopendir(bfd)))
        goto out;
    bfd = -1;               /* d's now */
    while (*budget > 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            (*budget)--;
    }
    closedir(d);
    d = NULL;
    /* ENOTEMPTY: budget spent, or a login stalled for MARGIN seconds
       linked into it; the next sweep goes on. */
    unlinkat(dfd, bname, AT_REMOVEDIR);
out:
    if (d)
        closedir(d);
    if (bfd >= 0)
        close(bfd);
}

/*
 * Remove what no service can need any more: expired buckets, flat records
 * KEEP past their mtime, abandoned temporary files.  Skipped when another
 * process holds the lock (someone else is already tidying).
 */
static void
sweep(int dfd, time_t now)
{
    char expired[SWEEP_BUCKETS][BUCKET_NAME_MAX];
    struct dirent *de;
    struct stat st;
    time_t start;
    DIR *d = NULL;
    int fd = -1, n = 0, budget = SWEEP_MAX;

    if (flock(dfd, LOCK_EX | LOCK_NB) != 0)
        return;
    fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    if (!(d = fdopendir(fd)))
        goto out;
    fd = -1;                /* d's now */
    while (budget > 0 && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;

        if (bucket_start(nm, &start)) {
            if (start <= now - BUCKET_SECONDS - KEEP && n < SWEEP_BUCKETS &&
                strlen(nm) < BUCKET_NAME_MAX)
                memcpy(expired[n++], nm, strlen(nm) + 1);
            continue;
        }
        if (is_record_name(nm)) {
            if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                st.st_mtime <= now - KEEP && unlinkat(dfd, nm, 0) == 0)
                budget--;
            continue;
        }
        if (strncmp(nm, "tmp.", 4) == 0 &&
            fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            st.st_mtime <= now - TMP_GRACE && st.st_ctime <= now - TMP_GRACE &&
            unlinkat(dfd, nm, 0) == 0)
            budget--;
    }
    closedir(d);
    d = NULL;
    for (int i = 0; i < n && budget > 0; i++)
        sweep_bucket(dfd, expired[i], &budget);
out:
    if (d)
        closedir(d);
    if (fd >= 0)
        close(fd);
    flock(dfd, LOCK_UN);
}

/* Create the private temporary record carrying `until` as its mtime. */
static int
make_tmp(int dfd, char *tmp, size_t cap, time_t until, pjwt_err *err)
{
    unsigned char rnd[8];
    struct timespec ts[2];
    char body[32];
    int fd = -1, n, r = PJWT_ERR_IO;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        r = PJWT_FAIL(err, PJWT_ERR_INTERNAL, "RAND_bytes failed");
        goto out;
    }
    snprintf(tmp, cap, "tmp.%ld.%02x%02x%02x%02x%02x%02x%02x%02x",
             (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
             rnd[6], rnd[7]);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                0600);
    if (fd < 0) {
        r = PJWT_FAIL(err, errno == ENOENT ? PJWT_ERR_MISSING : PJWT_ERR_IO,
                      "replay record: %s", strerror(errno));
        goto out;
    }
    /* The content is informative only (for an administrator's ls). */
    n = snprintf(body, sizeof(body), "%lld\n", (long long)until);
    ts[0].tv_sec = ts[1].tv_sec = until;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    if (write(fd, body, (size_t)n) != n || futimens(fd, ts) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "replay record: %s",
                      strerror(errno));
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    return r;
}

/* Open (creating it if needed) the bucket for exp, checked like dir. */
static int
open_bucket(int dfd, const char *dir, time_t exp, char *bname, size_t cap,
            pjwt_err *err)
{
    struct stat st;
    int bfd = -1, r = PJWT_ERR_INTERNAL;

    snprintf(bname, cap, "%lld",
             (long long)(exp - exp % BUCKET_SECONDS));
    if (mkdirat(dfd, bname, 0700) != 0 && errno != EEXIST) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "replay_dir %s: %s",
                      dir, strerror(errno));
        goto out;
    }
    bfd = openat(dfd, bname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (bfd < 0) {
        r = PJWT_FAIL(err, errno == ENOENT ? PJWT_ERR_MISSING : PJWT_ERR_IO,
                      "replay_dir %s: %s", dir, strerror(errno));
        goto out;
    }
    if (fstat(bfd, &st) != 0 || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM,
                      "replay_dir %s: bucket %s must be owned by uid %u, "
                      "mode 0700", dir, bname, (unsigned)geteuid());
        goto out;
    }
    r = bfd;
    bfd = -1;
out:
    if (bfd >= 0)
        close(bfd);
    return r;
}

int
pjm_replay_record(const char *dir, const char *iss, size_t iss_len,
                  const char *jti, size_t jti_len, time_t exp, long leeway,
                  time_t now, pjwt_err *err)
{
    char name[HASH_HEX + 1], tmp[64], bname[BUCKET_NAME_MAX];
    struct stat st;
    int dfd = -1, bfd = -1, have_tmp = 0, r = PJWT_ERR_INTERNAL;

    if (!dir || !jti || !iss || exp < 0 || leeway < 0 ||
        leeway > PJWT_VERIFIER_LEEWAY_MAX)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    /* The caller verified the token at now: a token already dead at now
       would be a caller's bug, and recording it would help nobody. */
    if (exp + leeway <= now)
        return PJWT_FAIL(err, PJWT_ERR_ARG,
                         "token not valid at this time");
    r = record_name(iss, iss_len, jti, jti_len, name, err);
    if (r != 0)
        goto out;
    dfd = open_dir(dir, err);
    if (dfd < 0) {
        r = dfd;
        dfd = -1;
        goto out;
    }
    /* A record of the flat layout counts as well. */
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        r = PJWT_FAIL(err, PJWT_ERR_REPLAY, "jti already used");
        goto out;
    }
    if (errno != ENOENT) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "replay record: %s",
                      strerror(errno));
        goto out;
    }

    /* The temporary file lives in the bucket too, so only the bucket's own
       expiry can ever remove it (a crash leaves nothing behind for long).
       Twice at most: the bucket can only vanish under a login stalled for
       MARGIN seconds, and the retry makes it again. */
    for (int attempt = 0; attempt < 2; attempt++) {
        bfd = open_bucket(dfd, dir, exp, bname, sizeof(bname), err);
        if (bfd == PJWT_ERR_MISSING)
            continue;
        if (bfd < 0) {
            r = bfd;
            goto out;
        }
        r = make_tmp(bfd, tmp, sizeof(tmp), exp + leeway, err);
        if (r != 0 && r != PJWT_ERR_MISSING)
            goto out;
        if (r == 0) {
            have_tmp = 1;
            if (linkat(bfd, tmp, bfd, name, 0) == 0) {
                r = 0;
                goto out;
            }
            if (errno == EEXIST) {
                r = PJWT_FAIL(err, PJWT_ERR_REPLAY,
                              "jti already used");
                goto out;
            }
            if (errno != ENOENT) {
                r = PJWT_FAIL(err, PJWT_ERR_IO, "replay record: %s",
                              strerror(errno));
                goto out;
            }
            unlinkat(bfd, tmp, 0);
            have_tmp = 0;
        }
        close(bfd);
        bfd = -1;
    }
    r = PJWT_FAIL(err, PJWT_ERR_IO,
                  "replay record: bucket removed while recording");
out:
    if (have_tmp)
        unlinkat(bfd, tmp, 0);
    if (bfd >= 0)
        close(bfd);
    if (r == 0)
        sweep(dfd, now);
    if (dfd >= 0)
        close(dfd);
    return r;
}
