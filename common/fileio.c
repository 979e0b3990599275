/*
 * fileio.c: whole-file reads with fstat-based checks (see fileio.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "fileio.h"

void
pjwt_secret_free(void *buf, size_t len)
{
    if (!buf)
        return;
    OPENSSL_cleanse(buf, len);
    free(buf);
}

void
pjwt_file_free(void *buf, size_t len)
{
    pjwt_secret_free(buf, buf ? len + 1 : 0);
}

static int
check_mode(const char *path, const struct stat *st, unsigned checks,
           pjwt_err *err)
{
    if ((checks & PJWT_FILE_CHECK_OWNER) && st->st_uid != 0
        && st->st_uid != geteuid())
        return pjwt_err_set(err, PJWT_ERR_PERM, __func__,
                            "%s: owned by uid %lu, not root or us", path,
                            (unsigned long)st->st_uid);
    if ((checks & PJWT_FILE_CHECK_WRITE) && (st->st_mode & (S_IWGRP | S_IWOTH)))
        return pjwt_err_set(err, PJWT_ERR_PERM, __func__,
                            "%s: writable by group or others (mode %04o)",
                            path, (unsigned)(st->st_mode & 07777));
    if ((checks & PJWT_FILE_CHECK_READ) && (st->st_mode & (S_IRGRP | S_IROTH)))
        return pjwt_err_set(err, PJWT_ERR_PERM, __func__,
                            "%s: readable by group or others (mode %04o)",
                            path, (unsigned)(st->st_mode & 07777));
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
    size_t size, got = 0;

    if (!path || !buf || !len)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "no path");
    *buf = NULL;
    *len = 0;

    /* O_NONBLOCK: a FIFO planted at path must not hang us in open();
       it is refused as not regular below.  Reads of regular files ignore
       the flag. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "%s: %s", path,
                         strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "%s: %s", path,
                         strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = pjwt_err_set(err, PJWT_ERR_IO, __func__,
                         "%s: not a regular file", path);
        goto out;
    }
    r = check_mode(path, &st, checks, err);
    if (r != 0)
        goto out;
    if (st.st_size < 0 || (unsigned long long)st.st_size > max_size) {
        r = pjwt_err_set(err, PJWT_ERR_TOO_LONG, __func__,
                         "%s: larger than %zu bytes", path, max_size);
        goto out;
    }
    size = (size_t)st.st_size;
    b = malloc(size + 1);
    if (!b) {
        r = pjwt_err_set(err, PJWT_ERR_NOMEM, __func__, "%s: out of memory",
                         path);
        goto out;
    }
    /* Read what fstat announced; a file that shrinks meanwhile gives a
       short read (we keep what we got), one that grows is cut at size. */
    while (got < size) {
        ssize_t n = read(fd, b + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = pjwt_err_set(err, PJWT_ERR_IO, __func__, "%s: %s", path,
                             strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
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
