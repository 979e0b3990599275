#ifndef PJWT_FILEWRITE_H
#define PJWT_FILEWRITE_H
/*
 * filewrite.h: replacing a file atomically, the one way pamjwt writes a
 * file that a module or the issuer later trusts (keys, key sets).  The
 * reading side, and the trust rule, are fileio.h.
 */
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Flags for pjwt_file_replace. */
#define PJWT_REPLACE_NOCLOBBER 0x01u  /* refuse an existing path (EEXIST) */

/*
 * Write len bytes of buf to path so that path is, at every moment, either
 * its old content or all of the new one: a temp file ".NAME.tmp-XXXXXX" in
 * path's directory (mkostemp, O_CLOEXEC), chmod to mode (the umask changes
 * nothing), write, fsync, close, then rename over path (with
 * PJWT_REPLACE_NOCLOBBER a renameat2 RENAME_NOREPLACE, or link+unlink where
 * the filesystem has no such rename: an existing path is refused), then
 * fsync the directory so the rename survives a crash.  On any failure the
 * temp file is removed and path is untouched (except a failing directory
 * fsync, reported after the rename).  Returns 0, PJWT_ERR_IO (messages
 * name the directory when it is missing or not writable, or path with the
 * reason; errno is left as the failing call set it, EEXIST for an existing
 * path under NOCLOBBER), PJWT_ERR_ARG, PJWT_ERR_NOMEM.
 */
int pjwt_file_replace(const char *path, const void *buf, size_t len,
                      mode_t mode, unsigned flags, pjwt_err *err);

#endif
