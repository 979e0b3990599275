/*
 * slurp.h: read a whole file in a test or bench program.
 *
 *   test_slurp(path, &len)        the file's bytes plus a '\0' (malloc'd),
 *                                 its length in *len (len may be NULL);
 *                                 NULL with a message on stderr on error.
 *   test_data_path(buf, cap, rel) "$TOP/tests/data/REL" into buf (TOP
 *                                 defaults to "."); 0, or -1 if too long.
 *   test_slurp_data(&len, fmt, ...)   test_slurp of $TOP/tests/data/<fmt, ...>
 *   test_or_exit(p)               p, or exit(1) if it is NULL (bench
 *                                 programs: nothing to go on with)
 *
 * No cmocka here, so bench/ can use it too: a cmocka test asserts the
 * result is non-NULL.  Fixtures are read with stdio, not the library's
 * trusted-file reader, because the checkout's own path need not pass the
 * trust rule (copy a fixture into testdir.h's directory for that).
 */
#ifndef PJWT_TEST_SLURP_H
#define PJWT_TEST_SLURP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline char *
test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rbe");
    char *buf = NULL;
    long n;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
out:
    if (!buf)
        fprintf(stderr, "cannot read %s\n", path);
    if (f)
        fclose(f);
    return buf;
}

static inline int
test_data_path(char *buf, size_t cap, const char *rel)
{
    const char *top = getenv("TOP");
    int n = snprintf(buf, cap, "%s/tests/data/%s", top && *top ? top : ".",
                     rel);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static inline char *
test_vslurp_data(size_t *len, const char *fmt, va_list ap)
{
    char rel[1024], path[4096];
    int n = vsnprintf(rel, sizeof(rel), fmt, ap);

    if (n < 0 || (size_t)n >= sizeof(rel) ||
        test_data_path(path, sizeof(path), rel) != 0) {
        fprintf(stderr, "fixture path too long\n");
        return NULL;
    }
    return test_slurp(path, len);
}

__attribute__((format(printf, 2, 3))) static inline char *
test_slurp_data(size_t *len, const char *fmt, ...)
{
    va_list ap;
    char *buf;

    va_start(ap, fmt);
    buf = test_vslurp_data(len, fmt, ap);
    va_end(ap);
    return buf;
}

static inline void *
test_or_exit(void *p)
{
    if (!p)
        exit(1);
    return p;
}

#endif
