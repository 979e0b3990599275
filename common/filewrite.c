/*
 * filewrite.c: atomic replacement of a file (see filewrite.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filewrite.h"

static int
write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Move tmp onto path.  Without noclobber a plain rename; with it the move
 * must not replace anything: renameat2(RENAME_NOREPLACE), or link+unlink
 * where the filesystem has no such rename; both are atomic, unlike a check
 * followed by a rename.
 */
static int
move_into_place(const char *tmp, const char *path, int noclobber)
{
    if (!noclobber)
        return rename(tmp, path);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link(tmp, path) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

int
pjwt_file_replace(const char *path, const void *buf, size_t len, mode_t mode,
                  unsigned flags, pjwt_err *err)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    const char *slash, *base;
    size_t dlen;
    int fd = -1, dfd = -1, r = PJWT_ERR_INTERNAL, made = 0, saved = 0;

    if (!path || !*path || (!buf && len) || path[strlen(path) - 1] == '/')
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    slash = strrchr(path, '/');
    base = slash ? slash + 1 : path;
    dlen = slash ? (size_t)(slash - path) : 1;
    if (dlen >= sizeof(dir)) {
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "%s: path too long", path);
        goto out;
    }
    if (!slash)
        memcpy(dir, ".", 2);
    else if (dlen == 0)
        memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir, base)
        >= sizeof(tmp)) {
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "%s: path too long", path);
        goto out;
    }
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        saved = errno;
        /* The temp name is ours, not the caller's: say what is wrong with
           the directory they named. */
        if (errno == ENOENT)
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: no such directory", dir);
        else if (errno == ENOTDIR)
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a directory", dir);
        else
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: cannot create a file: %s",
                          dir, strerror(errno));
        goto out;
    }
    made = 1;
    /* mkostemp creates 0600; the umask must not loosen or tighten what
       was asked for either. */
    if (fchmod(fd, mode & 0777) != 0 || write_all(fd, buf, len) != 0 ||
        fsync(fd) != 0) {
        saved = errno;
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: cannot write: %s", path,
                      strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        saved = errno;
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: cannot write: %s", path,
                      strerror(errno));
        goto out;
    }
    fd = -1;
    if (move_into_place(tmp, path, flags & PJWT_REPLACE_NOCLOBBER) != 0) {
        saved = errno;
        if (errno == EEXIST)
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s exists", path);
        else
            r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    made = 0;
    /* Make the rename itself durable. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL)) {
        saved = errno;
        r = PJWT_FAIL(err, PJWT_ERR_IO, "%s: fsync after replacing %s: %s",
                      dir, path, strerror(errno));
        goto out;
    }
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (made)
        unlink(tmp);
    if (saved)
        errno = saved;
    return r;
}
