/*
 * fileio.c: the trust rule and whole-file reads (see fileio.h).
 *
 * pjwt_path_open resolves the path itself, one component at a time, on
 * O_PATH descriptors of directories it has already checked, instead of
 * calling realpath(3) and then checking the canonical path as OpenSSH's
 * safe_path does: the canonical path's directories are all among the ones
 * walked (so the rule is at least OpenSSH's), the directories that hold a
 * symbolic link on the way are checked too, and nothing is looked up twice,
 * so no name can be swapped between the check and the open.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cleanup.h"
#include "fileio.h"

#define MAX_LINKS 40    /* the kernel's limit (MAXSYMLINKS) */

void
pjwt_file_free(void *buf, size_t len)
{
    pjwt_secret_free(buf, buf ? len + 1 : 0);
}

/* Who besides the owner may write, in words; NULL when no one. */
static const char *
writers(mode_t mode)
{
    switch (mode & (S_IWGRP | S_IWOTH)) {
    case S_IWGRP:
        return "group";
    case S_IWOTH:
        return "others";
    case S_IWGRP | S_IWOTH:
        return "group and others";
    default:
        return NULL;
    }
}

/*
 * The rule for one object: owned by root or uid, not writable by group or
 * others.  dir is NULL for the path's own last component, else the
 * canonical name of the directory above it that failed.
 */
static int
check_object(const char *path, const char *dir, const struct stat *st,
             uid_t uid, pjwt_err *err)
{
    const char *w = writers(st->st_mode);
    char who[32] = "";

    if (st->st_uid != 0 && st->st_uid != uid) {
        if (uid != 0)
            (void)snprintf(who, sizeof(who), " or uid %lu",
                           (unsigned long)uid);
        if (dir)
            return PJWT_FAIL(err, PJWT_ERR_PERM,
                             "%s: directory %s owned by uid %lu, not "
                             "root%s", path, dir,
                             (unsigned long)st->st_uid, who);
        return PJWT_FAIL(err, PJWT_ERR_PERM,
                         "%s: owned by uid %lu, not root%s", path,
                         (unsigned long)st->st_uid, who);
    }
    if (w && dir)
        return PJWT_FAIL(err, PJWT_ERR_PERM,
                         "%s: directory %s writable by %s (mode %04o)",
                         path, dir, w, (unsigned)(st->st_mode & 07777));
    if (w)
        return PJWT_FAIL(err, PJWT_ERR_PERM,
                         "%s: writable by %s (mode %04o)", path, w,
                         (unsigned)(st->st_mode & 07777));
    return 0;
}

/* fstat the directory descriptor fd (canonical name where) and check it. */
static int
check_dir(const char *path, int fd, const char *where, uid_t uid,
          pjwt_err *err)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s: %s", path,
                         where, strerror(errno));
    return check_object(path, where, &st, uid, err);
}

/* A fresh checked descriptor of / (the start, and every absolute link). */
static int
open_root(const char *path, uid_t uid, char *where, pjwt_err *err)
{
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int r = PJWT_ERR_INTERNAL;

    if (fd < 0) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: /: %s", path, strerror(errno));
        goto out;
    }
    memcpy(where, "/", sizeof("/"));    /* where: PATH_MAX bytes */
    r = check_dir(path, fd, where, uid, err);
    if (r != 0)
        goto out;
    r = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return r;
}

/* where += "/" + name (where is canonical, PATH_MAX bytes). */
static int
where_push(char *where, const char *name)
{
    size_t n = strlen(where), m = strlen(name);

    if (n + 1 + m >= PATH_MAX)
        return -1;
    if (n > 1)
        where[n++] = '/';
    memcpy(where + n, name, m + 1);
    return 0;
}

static void
where_pop(char *where)
{
    char *s = strrchr(where, '/');

    if (s == where)
        where[1] = '\0';
    else if (s)
        *s = '\0';
}

/* rest = target + "/" + rest[from..]; both PATH_MAX. */
static int
splice_link(char *rest, size_t from, const char *target)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s/%s", target, rest + from);

    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -1;
    memcpy(rest, tmp, (size_t)n + 1);
    return 0;
}

/* Open the last component name in the checked directory dfd; with probe,
   as O_PATH (a check that needs no read permission). */
static int
open_last(const char *path, int dfd, const char *name, uid_t uid, int kind,
          int probe, struct stat *out, pjwt_err *err)
{
    struct stat lst, st;
    int fd = -1, r = PJWT_ERR_INTERNAL;

    if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISLNK(lst.st_mode)) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM, "%s: is a symbolic link", path);
        goto out;
    }
    /* Refuse FIFOs and devices before opening them: an open may block
       or have effects. */
    if (kind == PJWT_PATH_FILE && !S_ISREG(lst.st_mode)) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    if (kind == PJWT_PATH_DIR && !S_ISDIR(lst.st_mode)) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a directory", path);
        goto out;
    }
    fd = openat(dfd, name, probe ? O_PATH | O_NOFOLLOW | O_CLOEXEC
                : kind == PJWT_PATH_DIR
                ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                : O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM, "%s: is a symbolic link", path);
        goto out;
    }
    if (fd < 0) {
        r = PJWT_FAIL(err, errno == ENOMEM ? PJWT_ERR_NOMEM : PJWT_ERR_IO,
                      "%s: %s", path, strerror(errno));
        goto out;
    }
    /* What was checked is what we hold: the entry may have been replaced
       between fstatat and openat.  The rule is then applied to the
       descriptor itself. */
    if (fstat(fd, &st) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path,
                      strerror(errno));
        goto out;
    }
    if (st.st_dev != lst.st_dev || st.st_ino != lst.st_ino
        || (st.st_mode & S_IFMT) != (lst.st_mode & S_IFMT)) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM,
                      "%s: replaced while being opened", path);
        goto out;
    }
    r = check_object(path, NULL, &st, uid, err);
    if (r != 0)
        goto out;
    if (out)
        *out = st;
    r = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return r;
}

/* The path ends in the directory dfd (checked already): only a caller
   asking for a directory gets it. */
static int
open_held(const char *path, int dfd, uid_t uid, int kind, int probe,
          struct stat *st, pjwt_err *err)
{
    if (kind == PJWT_PATH_FILE)
        return PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a regular file", path);
    return open_last(path, dfd, ".", uid, kind, probe, st, err);
}

static int
walk(const char *path, uid_t uid, int kind, int probe, struct stat *st,
     pjwt_err *err)
{
    char rest[PATH_MAX], where[PATH_MAX], name[NAME_MAX + 1];
    char target[PATH_MAX];
    size_t pos = 0, n, end;
    int dfd = -1, fd, r = PJWT_ERR_INTERNAL, links = 0;
    ssize_t tl;

    if (!path || !*path || (kind != PJWT_PATH_FILE && kind != PJWT_PATH_DIR))
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no path");
    /* A relative path starts at the current directory, whose own path
       up to / is checked like any other. */
    if (path[0] != '/') {
        if (!getcwd(target, sizeof(target))) {
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: current directory: %s",
                          path, strerror(errno));
            goto out;
        }
        n = (size_t)snprintf(rest, sizeof(rest), "%s/%s", target, path);
    } else {
        n = (size_t)snprintf(rest, sizeof(rest), "%s", path);
    }
    if (n >= sizeof(rest)) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: path too long", path);
        goto out;
    }
    dfd = open_root(path, uid, where, err);
    if (dfd < 0) {
        r = dfd;
        dfd = -1;
        goto out;
    }
    for (;;) {
        int last;

        while (rest[pos] == '/')
            pos++;
        n = strcspn(rest + pos, "/");
        end = pos + n;
        while (rest[end] == '/')
            end++;
        last = rest[end] == '\0';
        if (n == 0) {
            /* The path ends in a directory we hold ("/", "a/", "a/."). */
            r = open_held(path, dfd, uid, kind, probe, st, err);
            goto out;
        }
        if (n > NAME_MAX) {
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: name too long",
                          path);
            goto out;
        }
        memcpy(name, rest + pos, n);
        name[n] = '\0';
        pos = end;
        if (strcmp(name, ".") == 0)
            continue;
        if (last && strcmp(name, "..") != 0) {
            /* "a/" names a directory, never a file. */
            if (kind == PJWT_PATH_FILE && rest[pos - 1] == '/') {
                r = PJWT_FAIL(err, PJWT_ERR_IO,
                              "%s: not a regular file", path);
                goto out;
            }
            r = open_last(path, dfd, name, uid, kind, probe, st, err);
            goto out;
        }
        if (strcmp(name, "..") == 0) {
            fd = openat(dfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
            where_pop(where);
        } else {
            struct stat lst;

            if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0) {
                r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path,
                              strerror(errno));
                goto out;
            }
            if (S_ISLNK(lst.st_mode)) {
                /* A directory reached through a link: go on from the
                   link's target, resolved in the (checked) directory
                   that holds the link. */
                if (++links > MAX_LINKS) {
                    r = PJWT_FAIL(err, PJWT_ERR_IO,
                                  "%s: too many symbolic links", path);
                    goto out;
                }
                tl = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (tl <= 0) {
                    r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s",
                                  path, tl < 0 ? strerror(errno)
                                  : "empty symbolic link");
                    goto out;
                }
                target[tl] = '\0';
                if (splice_link(rest, pos, target) != 0) {
                    r = PJWT_FAIL(err, PJWT_ERR_IO,
                                  "%s: path too long", path);
                    goto out;
                }
                pos = 0;
                if (target[0] == '/') {
                    close(dfd);
                    dfd = open_root(path, uid, where, err);
                    if (dfd < 0) {
                        r = dfd;
                        goto out;
                    }
                }
                continue;
            }
            if (!S_ISDIR(lst.st_mode)) {
                r = PJWT_FAIL(err, PJWT_ERR_IO,
                              "%s: %s/%s: not a directory", path,
                              strcmp(where, "/") ? where : "", name);
                goto out;
            }
            fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW
                        | O_CLOEXEC);
            if (where_push(where, name) != 0) {
                if (fd >= 0)
                    close(fd);
                r = PJWT_FAIL(err, PJWT_ERR_IO,
                              "%s: path too long", path);
                goto out;
            }
        }
        if (fd < 0) {
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s: %s", path,
                          where, strerror(errno));
            goto out;
        }
        close(dfd);
        dfd = fd;
        r = check_dir(path, dfd, where, uid, err);
        if (r != 0)
            goto out;
        if (last) {
            /* The path ends in ".." */
            r = open_held(path, dfd, uid, kind, probe, st, err);
            goto out;
        }
    }
out:
    if (dfd >= 0)
        close(dfd);
    return r;
}

int
pjwt_path_open(const char *path, uid_t uid, int kind, struct stat *st,
               pjwt_err *err)
{
    return walk(path, uid, kind, 0, st, err);
}

int
pjwt_path_trusted(const char *path, uid_t uid, int kind, pjwt_err *err)
{
    int fd = walk(path, uid, kind, 1, NULL, err);

    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

/* The plain open for pjwt_file_read without the trust rule. */
static int
open_plain(const char *path, struct stat *st, pjwt_err *err)
{
    int fd, r = PJWT_ERR_INTERNAL;

    /* O_NONBLOCK: a FIFO planted at path must not hang us in open();
       it is refused as not regular below.  Reads of regular files ignore
       the flag. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, st) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st->st_mode)) {
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    r = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return r;
}

/* Read fd into b until cap bytes or the end; *got says how many. */
static int
read_all(int fd, const char *name, uint8_t *b, size_t cap, size_t *got,
         pjwt_err *err)
{
    ssize_t n;

    *got = 0;
    while (*got < cap) {
        n = read(fd, b + *got, cap - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", name,
                                strerror(errno));
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

int
pjwt_file_read(const char *path, size_t max_size, unsigned checks,
               uint8_t **buf, size_t *len, pjwt_err *err)
{
    int r = PJWT_ERR_INTERNAL;
    int fd = -1;
    struct stat st;
    uint8_t *b = NULL;
    size_t size = 0, got = 0;

    if (!path || !buf || !len)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no path");
    *buf = NULL;
    *len = 0;

    fd = (checks & PJWT_FILE_CHECK_WRITE)
         ? pjwt_path_open(path, geteuid(), PJWT_PATH_FILE, &st, err)
         : open_plain(path, &st, err);
    if (fd < 0) {
        r = fd;
        fd = -1;
        goto out;
    }
    if ((checks & PJWT_FILE_CHECK_READ)
        && (st.st_mode & (S_IRGRP | S_IROTH))) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM,
                      "%s: readable by group or others (mode %04o)",
                      path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > max_size) {
        r = PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                      "%s: larger than %zu bytes", path, max_size);
        goto out;
    }
    size = (size_t)st.st_size;
    b = malloc(size + 1);
    if (!b) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "%s: out of memory",
                      path);
        goto out;
    }
    /* Read what fstat announced; a file that shrinks meanwhile gives a
       short read (we keep what we got), one that grows is cut at size. */
    r = read_all(fd, path, b, size, &got, err);
    if (r != 0)
        goto out;
    b[got] = '\0';
    *buf = b;
    *len = got;
    b = NULL;
    r = 0;
out:
    if (b)
        pjwt_secret_free(b, size + 1);
    if (fd >= 0)
        close(fd);
    return r;
}

int
pjwt_fd_read(int fd, const char *name, size_t max_size, uint8_t **buf,
             size_t *len, pjwt_err *err)
{
    int r = PJWT_ERR_INTERNAL;
    uint8_t *b = NULL;
    size_t got = 0;

    if (fd < 0 || !name || !buf || !len || max_size >= SIZE_MAX)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    *buf = NULL;
    *len = 0;
    /* A stream announces no size: room for the largest allowed, and one
       byte more to tell "exactly max_size" from "longer". */
    b = malloc(max_size + 1);
    if (!b) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "%s: out of memory", name);
        goto out;
    }
    r = read_all(fd, name, b, max_size + 1, &got, err);
    if (r != 0)
        goto out;
    if (got > max_size) {
        r = PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                         "%s: larger than %zu bytes", name, max_size);
        goto out;
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    b = NULL;
    r = 0;
out:
    pjwt_secret_free(b, max_size + 1);
    return r;
}
