/*
 * testdir.h: a fresh private directory for a test program, under $TMPDIR.
 *
 *   test_tmpl(buf, cap, name)  the mkdtemp template "$TMPDIR/NAME.XXXXXX"
 *   test_mkdtemp(name)         a new mode-0700 directory (malloc'd path)
 *
 * tests/run.sh (and bench/run.sh, the fuzz runner, the demo) point TMPDIR
 * at a directory that passes the trust rule of common/fileio.h; /tmp,
 * being world-writable, fails it, as it does OpenSSH's.  Files the module
 * or the issuer are to trust must live in such a directory.
 */
#ifndef PJWT_TESTDIR_H
#define PJWT_TESTDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fill buf with the mkdtemp template "$TMPDIR/NAME.XXXXXX"; 0 or -1. */
static inline int
test_tmpl(char *buf, size_t cap, const char *name)
{
    const char *base = getenv("TMPDIR");
    int n;

    if (!base || !*base)
        base = "/tmp";
    n = snprintf(buf, cap, "%s/%s.XXXXXX", base, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* mkdtemp of "$TMPDIR/NAME.XXXXXX" (mode 0700); a malloc'd path or NULL. */
static inline char *
test_mkdtemp(const char *name)
{
    char buf[4096], *p;

    if (test_tmpl(buf, sizeof(buf), name) != 0 || !mkdtemp(buf))
        return NULL;
    p = strdup(buf);
    return p;
}

#endif
