/*
 * fileio.h: read a small configuration or key file whole, safely.
 *
 * The file is opened O_RDONLY|O_CLOEXEC (|O_NOCTTY|O_NONBLOCK, so a FIFO
 * cannot block us) and every check is made
 * with fstat on the open descriptor, so there is no stat/open race.
 * Symlinks are followed (Debian alternatives point at real files).  The
 * buffer may hold secrets: release it with pjwt_file_free, which cleanses it.
 */
#ifndef PJWT_FILEIO_H
#define PJWT_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* Checks for pjwt_file_read (combine with |). */
#define PJWT_FILE_CHECK_WRITE 0x01u  /* refuse group/other-writable files */
#define PJWT_FILE_CHECK_READ  0x02u  /* refuse group/other-readable files */
#define PJWT_FILE_CHECK_OWNER 0x04u  /* owner must be root or the euid */

/*
 * Read the regular file at path into a new buffer of *len bytes plus a
 * terminating NUL (not counted).  Files over max_size bytes are refused.
 * Returns 0, or: PJWT_ERR_IO (missing, unreadable, not a regular file),
 * PJWT_ERR_PERM (a requested check failed), PJWT_ERR_TOO_LONG (over
 * max_size), PJWT_ERR_NOMEM.  Error messages read "PATH: message" and
 * never quote the content.  Free *buf with pjwt_file_free(*buf, *len).
 */
int pjwt_file_read(const char *path, size_t max_size, unsigned checks,
                   uint8_t **buf, size_t *len, pjwt_err *err);

/* Cleanse a pjwt_file_read buffer (len bytes and its NUL), then free it.
   NULL is a no-op. */
void pjwt_file_free(void *buf, size_t len);

/* Cleanse len bytes of buf, then free it.  NULL is a no-op.  For any
   malloc'd buffer that held a secret. */
void pjwt_secret_free(void *buf, size_t len);

#endif
