/*
 * test_fileio.c: whole-file reads (exact bytes plus NUL, size cap, read
 * check, non-regular files, "PATH: message" errors) and the trust rule
 * (review item 11, OpenSSH's safe_path): owner, group/other-writable file,
 * group/other-writable or foreign directories up to /, a symbolic link as
 * the last component, links in the directories above (followed, with the
 * directory holding the link checked too), a file swapped between the check
 * and the open, FIFOs and other non-regular files.
 *
 * Everything happens under a fresh directory in $TMPDIR, which must itself
 * pass the rule (tests/run.sh sees to it).  The swap test interposes openat
 * (libpjwt is a static archive, so its calls bind to the definition here).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fileio.h"
#include "filewrite.h"
#include "testdir.h"

static char *dir;

/* ---- openat interposer: replace a file just before libpjwt opens it ---- */
static const char *swap_name;   /* openat of this name triggers the swap */
static char swap_from[4096], swap_to[4096];

int openat(int dfd, const char *name, int flags, ...);

int
openat(int dfd, const char *name, int flags, ...)
{
    static int (*real)(int, const char *, int, ...);
    mode_t mode = 0;
    va_list ap;

    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, unsigned);
        va_end(ap);
    }
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "openat");
    if (swap_name && strcmp(name, swap_name) == 0) {
        swap_name = NULL;
        if (rename(swap_from, swap_to) != 0)
            abort();
    }
    return real(dfd, name, flags, mode);
}

/* ---- helpers ------------------------------------------------------------ */

/* dir/name, in one of a few rotating buffers (callers keep several). */
static const char *
path_of(const char *name)
{
    static char path[8][4096];
    static unsigned next;
    char *p = path[next++ % 8];

    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    return p;
}

static const char *
put(const char *name, const void *data, size_t len, mode_t mode)
{
    const char *path = path_of(name);
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static const char *
mkd(const char *name, mode_t mode)
{
    const char *path = path_of(name);

    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

/* pjwt_path_trusted with the euid; e->msg must contain want. */
static void
refused(const char *path, int kind, int code, const char *want)
{
    pjwt_err e;

    pjwt_err_clear(&e);
    assert_int_equal(pjwt_path_trusted(path, geteuid(), kind, &e), code);
    if (!strstr(e.msg, want))
        fail_msg("%s: message \"%s\" lacks \"%s\"", path, e.msg, want);
}

static void
trusted(const char *path, int kind)
{
    pjwt_err e;

    pjwt_err_clear(&e);
    if (pjwt_path_trusted(path, geteuid(), kind, &e) != 0)
        fail_msg("%s refused: %s", path, e.msg);
}

static int
setup(void **state)
{
    pjwt_err e;

    (void)state;
    dir = test_mkdtemp("pjwt-fileio");
    if (!dir)
        return -1;
    pjwt_err_clear(&e);
    if (pjwt_path_trusted(dir, geteuid(), PJWT_PATH_DIR, &e) != 0) {
        fprintf(stderr, "TMPDIR does not pass the trust rule (%s): run the "
                "tests through tests/run.sh\n", e.msg);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    char cmd[4200];
    int r;

    (void)state;
    snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf -- '%s'", dir,
             dir);
    r = system(cmd);
    free(dir);
    return r == 0 ? 0 : -1;
}

/* ---- plain reads -------------------------------------------------------- */

static void
test_read_exact(void **state)
{
    static const char data[] = "ab\0cd\n";
    const char *p = put("a", data, 6, 0644);
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_file_read(p, 6, 0, &buf, &len, &e), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, data, 6);
    assert_int_equal(buf[6], 0);
    pjwt_file_free(buf, len);
    /* the same through the trust rule */
    assert_int_equal(pjwt_file_read(p, 6, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, data, 6);
    pjwt_file_free(buf, len);
    /* empty file: a valid empty buffer */
    p = put("empty", "", 0, 0644);
    assert_int_equal(pjwt_file_read(p, 10, 0, &buf, &len, &e), 0);
    assert_int_equal(len, 0);
    assert_non_null(buf);
    pjwt_file_free(buf, len);
    pjwt_file_free(NULL, 0);
    pjwt_secret_free(NULL, 3);
}

static void
test_limits(void **state)
{
    const char *p = put("b", "0123456789", 10, 0644);
    uint8_t *buf = (uint8_t *)1;
    size_t len = 7;
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_file_read(p, 9, 0, &buf, &len, &e),
                     PJWT_ERR_TOO_LONG);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_memory_equal(e.msg, p, strlen(p));
    assert_int_equal(pjwt_file_read(p, 10, 0, &buf, &len, &e), 0);
    pjwt_file_free(buf, len);
    assert_int_equal(pjwt_file_read(dir, 10, 0, &buf, &len, &e), PJWT_ERR_IO);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_int_equal(pjwt_file_read("/nonexistent/x", 10, 0, &buf, &len, &e),
                     PJWT_ERR_IO);
    assert_string_equal(e.msg, "/nonexistent/x: No such file or directory");
    assert_int_equal(pjwt_file_read("/nonexistent/x", 10,
                                    PJWT_FILE_CHECK_WRITE, &buf, &len, &e),
                     PJWT_ERR_IO);
    assert_string_equal(e.msg, "/nonexistent/x: No such file or directory");
    assert_int_equal(pjwt_file_read(NULL, 10, 0, &buf, &len, &e),
                     PJWT_ERR_ARG);
    assert_int_equal(pjwt_path_trusted("", 0, PJWT_PATH_FILE, &e),
                     PJWT_ERR_ARG);
}

static void
test_read_check(void **state)
{
    uint8_t *buf;
    size_t len;
    pjwt_err e;
    const char *p;

    (void)state;
    p = put("c", "x", 1, 0640);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_READ, &buf, &len,
                                    &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "readable by group or others (mode 0640)"));
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), 0);
    pjwt_file_free(buf, len);
    p = put("c", "x", 1, 0600);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_READ
                                    | PJWT_FILE_CHECK_WRITE, &buf, &len, &e),
                     0);
    pjwt_file_free(buf, len);
}

/* ---- the trust rule: the file itself ------------------------------------ */

static void
test_trust_file_modes(void **state)
{
    uint8_t *buf;
    size_t len;
    pjwt_err e;
    const char *p;

    (void)state;
    trusted(put("f", "SECRET-CONTENT", 14, 0644), PJWT_PATH_FILE);
    trusted(put("f", "SECRET-CONTENT", 14, 0400), PJWT_PATH_FILE);
    p = put("f", "SECRET-CONTENT", 14, 0664);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, "writable by group (mode 0664)");
    p = put("f", "SECRET-CONTENT", 14, 0646);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, "writable by others (mode 0646)");
    p = put("f", "SECRET-CONTENT", 14, 0666);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM,
            "writable by group and others (mode 0666)");
    /* pjwt_file_read applies the same rule, and never quotes content */
    assert_int_equal(pjwt_file_read(p, 100, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), PJWT_ERR_PERM);
    assert_null(strstr(e.msg, "SECRET"));
    assert_memory_equal(e.msg, p, strlen(p));
    /* the plain read does not judge */
    assert_int_equal(pjwt_file_read(p, 100, 0, &buf, &len, &e), 0);
    pjwt_file_free(buf, len);
}

static void
test_trust_owner(void **state)
{
    const char *p, *d;
    char want[64];

    (void)state;
    if (geteuid() != 0)
        skip();
    p = put("own", "x", 1, 0644);
    assert_int_equal(chown(p, 65534, 65534), 0);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM,
            "own: owned by uid 65534, not root");
    /* the uid given is the one owner allowed besides root */
    assert_int_equal(pjwt_path_trusted(p, 65534, PJWT_PATH_FILE, NULL), 0);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, "not root");
    assert_int_equal(pjwt_path_trusted(p, 1000, PJWT_PATH_FILE, NULL),
                     PJWT_ERR_PERM);
    /* a directory owned by someone else, however closed its mode */
    d = mkd("foreign", 0755);
    assert_int_equal(chown(d, 65534, 65534), 0);
    p = put("foreign/k", "x", 1, 0644);
    snprintf(want, sizeof(want), "directory %s/foreign owned by uid 65534", dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, want);
    refused(d, PJWT_PATH_DIR, PJWT_ERR_PERM, "foreign: owned by uid 65534");
}

/* ---- the trust rule: every directory up to / ----------------------------- */

static void
test_trust_parents(void **state)
{
    const char *d, *p;
    char want[4200];

    (void)state;
    d = mkd("gw", 0775);
    p = put("gw/k", "x", 1, 0644);
    snprintf(want, sizeof(want), "%s: directory %s/gw writable by group "
             "(mode 0775)", p, dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, want);
    assert_int_equal(chmod(d, 0757), 0);
    snprintf(want, sizeof(want), "directory %s/gw writable by others "
             "(mode 0757)", dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, want);
    /* the sticky bit of /tmp does not make a directory safe */
    assert_int_equal(chmod(d, 01777), 0);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, "(mode 1777)");
    /* two levels down: the bad directory is named, not the file's own */
    d = mkd("gw/sub", 0755);
    p = put("gw/sub/k", "x", 1, 0644);
    snprintf(want, sizeof(want), "directory %s/gw writable by", dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, want);
    refused(d, PJWT_PATH_DIR, PJWT_ERR_PERM, want);
    assert_int_equal(chmod(path_of("gw"), 0755), 0);
    trusted(p, PJWT_PATH_FILE);
    trusted(d, PJWT_PATH_DIR);
    /* a directory itself group-writable, as the last component */
    assert_int_equal(chmod(d, 0770), 0);
    refused(d, PJWT_PATH_DIR, PJWT_ERR_PERM, "sub: writable by group");
    /* "." and ".." are walked like any component: through sub, which is
       checked on the way */
    snprintf(want, sizeof(want), "%s/gw/sub/./../k", dir);
    put("gw/k", "x", 1, 0644);
    refused(want, PJWT_PATH_FILE, PJWT_ERR_PERM, "sub writable by group");
    assert_int_equal(chmod(d, 0755), 0);
    trusted(want, PJWT_PATH_FILE);
    /* /tmp itself fails (world-writable, sticky), as in OpenSSH */
    refused("/tmp", PJWT_PATH_DIR, PJWT_ERR_PERM,
            "/tmp: writable by group and others (mode 1777)");
}

/* A relative path is taken from the current directory, which is checked. */
static void
test_trust_relative(void **state)
{
    char cwd[4096];

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    put("rel", "x", 1, 0644);
    assert_int_equal(chdir(dir), 0);
    trusted("rel", PJWT_PATH_FILE);
    trusted("./rel", PJWT_PATH_FILE);
    mkd("rgw", 0777);
    put("rgw/k", "x", 1, 0644);
    refused("rgw/k", PJWT_PATH_FILE, PJWT_ERR_PERM, "rgw writable by");
    assert_int_equal(chdir("rgw"), 0);
    refused("k", PJWT_PATH_FILE, PJWT_ERR_PERM, "rgw writable by");
    assert_int_equal(chdir(cwd), 0);
}

/* ---- symbolic links ---------------------------------------------------- */

static void
test_trust_symlink_last(void **state)
{
    uint8_t *buf;
    size_t len;
    pjwt_err e;
    char link[4200];

    (void)state;
    /* A link to a perfectly good file is still refused as the last
       component: whoever can write the directory chose the target. */
    put("real", "x", 1, 0644);
    snprintf(link, sizeof(link), "%s/ln", dir);
    assert_int_equal(symlink("real", link), 0);
    refused(link, PJWT_PATH_FILE, PJWT_ERR_PERM, "ln: is a symbolic link");
    assert_int_equal(pjwt_file_read(link, 10, PJWT_FILE_CHECK_WRITE, &buf,
                                    &len, &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "is a symbolic link"));
    /* a root-owned log file elsewhere changes nothing */
    unlink(link);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    refused(link, PJWT_PATH_FILE, PJWT_ERR_PERM, "is a symbolic link");
    /* nor for directories */
    mkd("ldir", 0755);
    snprintf(link, sizeof(link), "%s/lnd", dir);
    assert_int_equal(symlink("ldir", link), 0);
    refused(link, PJWT_PATH_DIR, PJWT_ERR_PERM, "is a symbolic link");
    /* with a trailing slash too */
    strcat(link, "/");
    refused(link, PJWT_PATH_DIR, PJWT_ERR_PERM, "is a symbolic link");
    /* the plain read follows links (the parsers' input) */
    snprintf(link, sizeof(link), "%s/ln", dir);
    assert_int_equal(pjwt_file_read(link, 1 << 20, 0, &buf, &len, &e), 0);
    pjwt_file_free(buf, len);
}

static void
test_trust_symlink_parent(void **state)
{
    char link[2048], p[4200], want[4200];
    const char *open_dir;

    (void)state;
    /* A link in a safe directory to a safe directory: followed. */
    mkd("keys", 0755);
    put("keys/k", "x", 1, 0644);
    snprintf(link, sizeof(link), "%s/keys-link", dir);
    assert_int_equal(symlink("keys", link), 0);
    snprintf(p, sizeof(p), "%s/k", link);
    trusted(p, PJWT_PATH_FILE);
    /* absolute target, and a link to a link */
    snprintf(link, sizeof(link), "%s/keys-abs", dir);
    snprintf(want, sizeof(want), "%s/keys", dir);
    assert_int_equal(symlink(want, link), 0);
    snprintf(p, sizeof(p), "%s/k", link);
    trusted(p, PJWT_PATH_FILE);
    snprintf(link, sizeof(link), "%s/keys-2", dir);
    assert_int_equal(symlink("keys-abs", link), 0);
    snprintf(p, sizeof(p), "%s/k", link);
    trusted(p, PJWT_PATH_FILE);
    /* The target is checked: a link to an open directory fails there. */
    open_dir = mkd("open", 0777);
    put("open/k", "x", 1, 0644);
    snprintf(link, sizeof(link), "%s/to-open", dir);
    assert_int_equal(symlink("open", link), 0);
    snprintf(p, sizeof(p), "%s/k", link);
    snprintf(want, sizeof(want), "directory %s writable by", open_dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, want);
    /* ...and so is the directory holding the link, which realpath(3)
       alone would never see: here an open directory holds a link to the
       safe keys directory. */
    snprintf(link, sizeof(link), "%s/open/to-keys", dir);
    snprintf(want, sizeof(want), "%s/keys", dir);
    assert_int_equal(symlink(want, link), 0);
    snprintf(p, sizeof(p), "%s/k", link);
    snprintf(want, sizeof(want), "directory %s writable by", open_dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_PERM, want);
    /* a link loop ends */
    snprintf(link, sizeof(link), "%s/loop", dir);
    assert_int_equal(symlink("loop", link), 0);
    snprintf(p, sizeof(p), "%s/k", link);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_IO, "too many symbolic links");
    /* a file where a directory is expected */
    snprintf(p, sizeof(p), "%s/keys/k/x", dir);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_IO, "k: not a directory");
}

/* ---- the object checked is the object opened ---------------------------- */

static void
test_trust_swap(void **state)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;
    const char *p;
    int fd;

    (void)state;
    /* The file is replaced (by another file that passes the rule itself)
       between the check of the entry and the open: refused, since what
       was checked is not what would be read. */
    p = put("swap", "checked", 7, 0644);
    put("other", "attacker", 8, 0644);
    snprintf(swap_from, sizeof(swap_from), "%s/other", dir);
    snprintf(swap_to, sizeof(swap_to), "%s", p);
    swap_name = "swap";
    assert_int_equal(pjwt_file_read(p, 100, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), PJWT_ERR_PERM);
    assert_null(swap_name);
    assert_non_null(strstr(e.msg, "swap: replaced while being opened"));
    assert_null(buf);
    /* replaced by a FIFO: still refused, and nothing blocks */
    put("swap", "checked", 7, 0644);
    snprintf(swap_from, sizeof(swap_from), "%s/fifo2", dir);
    assert_int_equal(mkfifo(swap_from, 0644), 0);
    swap_name = "swap";
    fd = pjwt_path_open(p, geteuid(), PJWT_PATH_FILE, NULL, &e);
    assert_int_equal(fd, PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "replaced while being opened"));
    /* undisturbed, the same call opens it */
    put("swap", "checked", 7, 0644);
    fd = pjwt_path_open(p, geteuid(), PJWT_PATH_FILE, NULL, &e);
    assert_true(fd >= 0);
    close(fd);
}

/* ---- not a regular file ------------------------------------------------- */

static void
test_trust_nonregular(void **state)
{
    uint8_t *buf;
    size_t len;
    pjwt_err e;
    const char *p;

    (void)state;
    /* A FIFO is refused without blocking, by both reads. */
    p = path_of("fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    refused(p, PJWT_PATH_FILE, PJWT_ERR_IO, "fifo: not a regular file");
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), PJWT_ERR_IO);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_int_equal(pjwt_file_read(p, 10, 0, &buf, &len, &e), PJWT_ERR_IO);
    assert_non_null(strstr(e.msg, "not a regular file"));
    /* a device, a directory where a file is expected and the reverse */
    refused("/dev/null", PJWT_PATH_FILE, PJWT_ERR_IO, "not a regular file");
    refused(dir, PJWT_PATH_FILE, PJWT_ERR_IO, "not a regular file");
    refused("/", PJWT_PATH_FILE, PJWT_ERR_IO, "not a regular file");
    p = put("plain", "x", 1, 0644);
    refused(p, PJWT_PATH_DIR, PJWT_ERR_IO, "plain: not a directory");
    /* "file/" names a directory */
    {
        char slash[4200];

        snprintf(slash, sizeof(slash), "%s/", p);
        refused(slash, PJWT_PATH_FILE, PJWT_ERR_IO, "not a regular file");
    }
    trusted("/", PJWT_PATH_DIR);
    trusted(dir, PJWT_PATH_DIR);
}

/* A stream (stdin, a pipe) read to its end, bounded like a file. */
static void
test_fd_read(void **state)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "hello\n", 6), 6);
    close(p[1]);
    assert_int_equal(pjwt_fd_read(p[0], "pipe", 6, &buf, &len, &e), 0);
    assert_int_equal(len, 6);
    assert_string_equal((char *)buf, "hello\n");
    pjwt_file_free(buf, len);
    close(p[0]);

    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "hello!\n", 7), 7);
    close(p[1]);
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_fd_read(p[0], "pipe", 6, &buf, &len, &e),
                     PJWT_ERR_TOO_LONG);
    assert_null(buf);
    assert_non_null(strstr(e.msg, "pipe: larger than 6 bytes"));
    close(p[0]);
}

/* Entries of dir/sub other than "." and ".." (a temp file left behind). */
static int
entries(const char *sub)
{
    char cmd[4200];
    FILE *f;
    int n = 0, c;

    snprintf(cmd, sizeof(cmd), "ls -A '%s'", path_of(sub));
    assert_non_null(f = popen(cmd, "r"));
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    pclose(f);
    return n;
}

/* pjwt_file_replace: all or nothing, the asked-for mode whatever the
   umask, no temp file after a failure, errors that name what is wrong. */
static void
test_replace(void **state)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct stat st;
    const char *d = mkd("rep", 0755), *f = path_of("rep/keys.json");
    pjwt_err e;
    mode_t old;

    (void)state;
    old = umask(077);
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_file_replace(f, "one", 3, 0644, 0, &e), 0);
    umask(old);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(pjwt_file_replace(f, "second", 6, 0644, 0, &e), 0);
    assert_int_equal(pjwt_file_read(f, 100, 0, &buf, &len, &e), 0);
    assert_string_equal((char *)buf, "second");
    pjwt_file_free(buf, len);
    assert_int_equal(entries("rep"), 1);

    /* NOCLOBBER: an existing file is refused with EEXIST, unchanged. */
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_file_replace(f, "third", 5, 0600,
                                       PJWT_REPLACE_NOCLOBBER, &e),
                     PJWT_ERR_IO);
    assert_int_equal(errno, EEXIST);
    assert_non_null(strstr(e.msg, "exists"));
    assert_int_equal(pjwt_file_read(f, 100, 0, &buf, &len, &e), 0);
    assert_string_equal((char *)buf, "second");
    pjwt_file_free(buf, len);
    assert_int_equal(entries("rep"), 1);

    /* A missing directory is named, not our temp file. */
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_file_replace(path_of("nodir/k.pem"), "x", 1, 0600,
                                       0, &e), PJWT_ERR_IO);
    assert_non_null(strstr(e.msg, "nodir: no such directory"));
    assert_null(strstr(e.msg, ".tmp-"));

    /* A failing rename (over a directory) leaves no temp file. */
    mkd("rep/sub", 0755);
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_file_replace(path_of("rep/sub"), "x", 1, 0644, 0,
                                       &e), PJWT_ERR_IO);
    assert_int_equal(entries("rep"), 2);
    (void)d;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_exact),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_read_check),
        cmocka_unit_test(test_trust_file_modes),
        cmocka_unit_test(test_trust_owner),
        cmocka_unit_test(test_trust_parents),
        cmocka_unit_test(test_trust_relative),
        cmocka_unit_test(test_trust_symlink_last),
        cmocka_unit_test(test_trust_symlink_parent),
        cmocka_unit_test(test_trust_swap),
        cmocka_unit_test(test_trust_nonregular),
        cmocka_unit_test(test_fd_read),
        cmocka_unit_test(test_replace),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
