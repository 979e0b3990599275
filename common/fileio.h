/*
 * fileio.h: read a small configuration or key file whole, safely; and the
 * one trust rule for every file whose content decides who logs in.
 *
 * The trust rule (OpenSSH's safe_path, applied by pjwt_path_open):
 *   - the file is a regular file (a directory, for directories) owned by
 *     root or by the given uid (the running euid), and not writable by
 *     group or others;
 *   - every directory the path passes through, up to /, is owned by root or
 *     that uid and not writable by group or others (a sticky bit does not
 *     help: /tmp fails, as in OpenSSH);
 *   - the last component is not a symbolic link.  Symbolic links in the
 *     directories above are followed, as realpath(3) would, but the walk is
 *     done one component at a time on open directory descriptors and every
 *     directory it looks a name up in is checked: the directory holding a
 *     link and the directories its target leads through, so no one but root
 *     and the uid can redirect any step;
 *   - the object checked is the object opened: the last component is opened
 *     O_NOFOLLOW|O_NONBLOCK relative to the checked directory, and the open
 *     descriptor's fstat must show the file that was checked.
 * Group-writable modes fail even where an ACL mask is involved: an ACL that
 * grants anyone write shows as group write in the mode.  Errors name the
 * component that failed and why ("/a/k.pem: directory /a writable by group
 * (mode 0775)") and never quote file content.
 *
 * pjwt_file_read without PJWT_FILE_CHECK_WRITE is the parsers' plain read
 * (tests, fuzzers, jwtctl reading what its caller names): opened
 * O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK, so a FIFO cannot block us, every
 * check made with fstat on the open descriptor, symlinks followed.  The
 * buffer may hold secrets: release it with pjwt_file_free, which cleanses it.
 */
#ifndef PJWT_FILEIO_H
#define PJWT_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "cleanup.h"     /* pjwt_secret_free, for the buffers read here */
#include "err.h"

/* Checks for pjwt_file_read (combine with |). */
#define PJWT_FILE_CHECK_WRITE 0x01u  /* the trust rule: no one but root or
                                        the euid can change the file or
                                        any directory above it */
#define PJWT_FILE_CHECK_READ  0x02u  /* refuse group/other-readable files */

/* What pjwt_path_open expects at the end of the path. */
#define PJWT_PATH_FILE 0   /* a regular file, opened O_RDONLY */
#define PJWT_PATH_DIR  1   /* a directory, opened O_RDONLY|O_DIRECTORY */

/*
 * Open path after checking it against the trust rule (above), with uid as
 * the one owner allowed besides root.  A relative path is taken from the
 * current directory, which is checked as well.  Returns the descriptor
 * (O_CLOEXEC; the caller closes it) and, when st is not NULL, its fstat;
 * or a negative error: PJWT_ERR_PERM (the rule is broken: owner, mode, a
 * symbolic link at the end, the file changed while being opened),
 * PJWT_ERR_IO (a component missing or unreadable, not a directory, not a
 * regular file, too many links), PJWT_ERR_ARG, PJWT_ERR_NOMEM.
 */
int pjwt_path_open(const char *path, uid_t uid, int kind, struct stat *st,
                   pjwt_err *err);

/* pjwt_path_open, then close: 0 when path passes the trust rule. */
int pjwt_path_trusted(const char *path, uid_t uid, int kind, pjwt_err *err);

/*
 * Read the regular file at path into a new buffer of *len bytes plus a
 * terminating NUL (not counted).  Files over max_size bytes are refused.
 * With PJWT_FILE_CHECK_WRITE the file is opened by pjwt_path_open with the
 * euid.  Returns 0, or: PJWT_ERR_IO (missing, unreadable, not a regular
 * file), PJWT_ERR_PERM (a requested check failed), PJWT_ERR_TOO_LONG (over
 * max_size), PJWT_ERR_NOMEM.  Error messages read "PATH: message" and
 * never quote the content.  Free *buf with pjwt_file_free(*buf, *len).
 */
int pjwt_file_read(const char *path, size_t max_size, unsigned checks,
                   uint8_t **buf, size_t *len, pjwt_err *err);

/* Cleanse a pjwt_file_read buffer (len bytes and its NUL), then free it.
   NULL is a no-op. */
void pjwt_file_free(void *buf, size_t len);

/*
 * Read the stream fd (stdin, a pipe) to its end into a new buffer of *len
 * bytes plus a terminating NUL, as pjwt_file_read does for a path; name is
 * for messages.  Over max_size bytes is PJWT_ERR_TOO_LONG; else 0,
 * PJWT_ERR_IO, PJWT_ERR_NOMEM.  fd is not closed.  Free *buf with
 * pjwt_file_free(*buf, *len).
 */
int pjwt_fd_read(int fd, const char *name, size_t max_size, uint8_t **buf,
                 size_t *len, pjwt_err *err);

#endif
