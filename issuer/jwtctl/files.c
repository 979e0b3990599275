/*
 * files.c: jwtctl's file helpers: whole-file and stdin reads, atomic
 * writes of key files, and loading a signing key.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "ctl.h"

void
ctl_err(const char *fmt, ...)
{
    va_list ap;

    fputs("jwtctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
ctl_flush(void)
{
    /* ferror too: a printf that failed before the flush leaves its mark. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ctl_err("stdout: write failed");
        return CTL_FAIL;
    }
    return CTL_OK;
}

int
ctl_read(const char *path, char **out, size_t *outlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;
    int rc;

    pjwt_err_clear(&e);
    /* The library's readers: a path must be a regular file (a FIFO cannot
       hang us), stdin is read to its end; both bounded. */
    if (strcmp(path, "-") == 0)
        rc = pjwt_fd_read(STDIN_FILENO, "stdin", CTL_INPUT_MAX, &buf, &len,
                          &e);
    else
        rc = pjwt_file_read(path, CTL_INPUT_MAX, 0, &buf, &len, &e);
    if (rc != 0) {
        ctl_err("%s", e.msg[0] ? e.msg : pjwt_strerror(rc));
        return -1;
    }
    *out = (char *)buf;
    *outlen = len;
    return 0;
}

void
ctl_rtrim(char *s, size_t *len)
{
    char c;

    while (*len > 0 && ((c = s[*len - 1]) == ' ' || c == '\t' || c == '\r' ||
                        c == '\n')) {
        s[*len - 1] = '\0';
        (*len)--;
    }
}

static int
write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Move tmp onto path.  Without force the move must not replace anything:
 * renameat2(RENAME_NOREPLACE), or link+unlink where the filesystem has no
 * such rename; both are atomic, unlike a check followed by rename.
 */
static int
install_file(const char *tmp, const char *path, int force)
{
    if (force)
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
ctl_write_atomic(const char *path, const void *buf, size_t len, unsigned mode,
                 int force)
{
    char *dcopy = NULL, *bcopy = NULL, tmp[4096];
    const char *dir, *base;
    unsigned char rnd[6];
    int fd = -1, dfd = -1, r = -1, made = 0;

    if (!(dcopy = strdup(path)) || !(bcopy = strdup(path))) {
        ctl_err("out of memory");
        goto out;
    }
    dir = dirname(dcopy);
    base = basename(bcopy);
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        ctl_err("no randomness for a temporary name");
        goto out;
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-%02x%02x%02x%02x%02x%02x",
                         dir, base, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                         rnd[5]) >= sizeof(tmp)) {
        ctl_err("%s: path too long", path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              mode & 0777);
    if (fd < 0) {
        ctl_err("%s: %s", tmp, strerror(errno));
        goto out;
    }
    made = 1;
    /* The umask must not loosen or tighten what was asked for. */
    if (fchmod(fd, mode & 0777) != 0 || write_all(fd, buf, len) != 0 ||
        fsync(fd) != 0) {
        ctl_err("%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        ctl_err("%s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (install_file(tmp, path, force) != 0) {
        if (errno == EEXIST)
            ctl_err("%s exists (use --force to replace it)", path);
        else
            ctl_err("%s: %s", path, strerror(errno));
        goto out;
    }
    made = 0;
    /* Make the rename itself durable. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
        (void)fsync(dfd);
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (made)
        unlink(tmp);
    free(dcopy);
    free(bcopy);
    return r;
}

/* PEM or JSON text, as opposed to the raw bytes of an HMAC secret. */
static int
looks_like_text_key(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (!(c >= 0x20 && c < 0x7f) && c != '\n' && c != '\r' && c != '\t')
            return 0;
    }
    for (i = 0; i < len && strchr(" \t\r\n", buf[i]); i++)
        ;
    return (i < len && buf[i] == '{') || strstr(buf, "-----BEGIN ") != NULL;
}

pjwt_keyset *
ctl_load_signing_key(const char *path, pjwt_key **key)
{
    pjwt_keyset *ks = NULL, *r = NULL;
    pjwt_err e;
    char *buf = NULL;
    size_t len = 0, i;
    int rc;

    *key = NULL;
    if (ctl_read(path, &buf, &len) != 0)
        goto out;
    if (!(ks = pjwt_keyset_new())) {
        ctl_err("out of memory");
        goto out;
    }
    pjwt_err_clear(&e);
    if (looks_like_text_key(buf, len))
        rc = pjwt_keyset_load_file(ks, path, PJWT_KEYS_PRIVATE | PJWT_KEYS_EAGER,
                                   &e);
    else
        rc = pjwt_keyset_load_secret_file(ks, path, PJWT_KEYS_EAGER, &e);
    if (rc != 0) {
        ctl_err("%s", e.msg);
        goto out;
    }
    for (i = 0; i < pjwt_keyset_count(ks); i++) {
        pjwt_key *k = pjwt_keyset_get(ks, i);
        if (pjwt_key_is_private(k) || pjwt_key_kty(k) == PJWT_KTY_OCT) {
            *key = k;
            break;
        }
    }
    if (!*key) {
        ctl_err("%s: no private key (signing needs one)", path);
        goto out;
    }
    r = ks;
    ks = NULL;
out:
    pjwt_keyset_free(ks);
    pjwt_file_free(buf, len);
    return r;
}
