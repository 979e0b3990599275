/*
 * test_fileio.c: whole-file reads: exact bytes plus NUL, size cap, mode
 * and owner checks, non-regular files, "PATH: message" errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fileio.h"

static char dir[] = "/tmp/pjwt-fileio-XXXXXX";

static const char *
put(const char *name, const void *data, size_t len, mode_t mode)
{
    static char path[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

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
    assert_int_equal(pjwt_file_read(NULL, 10, 0, &buf, &len, &e),
                     PJWT_ERR_ARG);
}

static void
test_modes(void **state)
{
    uint8_t *buf;
    size_t len;
    pjwt_err e;
    const char *p;

    (void)state;
    p = put("c", "x", 1, 0664);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "0664"));
    p = put("c", "x", 1, 0646);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_WRITE, &buf, &len,
                                    &e), PJWT_ERR_PERM);
    p = put("c", "x", 1, 0640);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_READ, &buf, &len,
                                    &e), PJWT_ERR_PERM);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_WRITE
                                    | PJWT_FILE_CHECK_OWNER, &buf, &len, &e),
                     0);
    pjwt_file_free(buf, len);
    p = put("c", "x", 1, 0600);
    assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_READ
                                    | PJWT_FILE_CHECK_WRITE, &buf, &len, &e),
                     0);
    pjwt_file_free(buf, len);
    if (geteuid() == 0) {
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(pjwt_file_read(p, 10, PJWT_FILE_CHECK_OWNER, &buf,
                                        &len, &e), PJWT_ERR_PERM);
        assert_int_equal(pjwt_file_read(p, 10, 0, &buf, &len, &e), 0);
        pjwt_file_free(buf, len);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_exact),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
