/*
 * conf.h: one `key = value` parser for config files and PAM-style
 * arguments (faillock's model).
 *
 * File syntax: one option per line; blank lines and lines whose first
 * non-blank character is '#' are ignored; `key = value` with blanks around
 * '=' optional; the value runs to the end of the line with surrounding
 * blanks trimmed; a line without '=' is a bare flag (value NULL).  Keys are
 * [a-z0-9_]+.  Lines over 4 KiB, NUL bytes and unknown keys are errors.
 * Argument syntax: each argv element is `key=value` or a bare `flag`; the
 * value is everything after the first '='.  `[key=value with spaces]`
 * brackets (as Linux-PAM allows) are passed through already unwrapped by
 * libpam.
 *
 * Every option goes through the caller's set function, so options are
 * handled in one place whichever source they come from.  Errors read
 * "FILE:LINE: message" (files) or "argument N: message" (argv).
 */
#ifndef PJWT_CONF_H
#define PJWT_CONF_H

#include <stddef.h>
#include "err.h"

/*
 * Handle one option.  value is NULL for a bare flag.  Return 0, or
 * PJWT_ERR_UNKNOWN_OPT for a key the handler does not know, or another
 * error with a message (without file:line: the parser prefixes it).
 */
typedef int (*pjwt_conf_set_fn)(void *ctx, const char *key, const char *value,
                                pjwt_err *err);

/*
 * Parse a file of at most 1 MiB that passes the trust rule (fileio.h:
 * owner root or the euid, no group/other write on it or any directory up
 * to /, no symlink at the end).  PJWT_ERR_IO if unreadable, PJWT_ERR_PERM
 * if the rule is broken, PJWT_ERR_CONF if too large.
 */
int pjwt_conf_parse_file(const char *path, pjwt_conf_set_fn set, void *ctx,
                         pjwt_err *err);

/* Parse an in-memory file; name is used in messages. */
int pjwt_conf_parse_buf(const char *name, const char *buf, size_t len,
                        pjwt_conf_set_fn set, void *ctx, pjwt_err *err);

/*
 * The line reader under pjwt_conf_parse_buf, shared with every other
 * line-oriented file (the revocation list): CRLF tolerated; a line over
 * 4 KiB or holding a NUL byte is PJWT_ERR_CONF ("WHERE: ..."); fn gets each
 * line NUL-terminated (len without the NUL), with where = "NAME:LINE" for
 * its messages.  Stops at fn's first nonzero return.  The line buffer is
 * cleansed before return.
 */
typedef int (*pjwt_line_fn)(void *ctx, const char *where, char *line,
                            size_t len, pjwt_err *err);
int pjwt_conf_each_line(const char *name, const char *buf, size_t len,
                        pjwt_line_fn fn, void *ctx, pjwt_err *err);

/* Parse PAM-style arguments. */
int pjwt_conf_parse_args(int argc, const char **argv, pjwt_conf_set_fn set,
                         void *ctx, pjwt_err *err);

/* Value helpers for set functions (0 or PJWT_ERR_CONF with a message). */
int pjwt_conf_long(const char *key, const char *value, long min, long max,
                   long *out, pjwt_err *err);      /* strtol, full-string, range */
int pjwt_conf_bool(const char *key, const char *value, int *out,
                   pjwt_err *err);                 /* yes/no/true/false/1/0; NULL -> yes */

/* Replace *slot with a copy of value (the last setting wins); free(*slot)
   is the caller's at the end.  An empty or missing value is "KEY needs a
   value".  0, PJWT_ERR_CONF or PJWT_ERR_NOMEM. */
int pjwt_conf_str(char **slot, const char *key, const char *value,
                  pjwt_err *err);

/* Split a NAME=VALUE value at its first '=' into two new strings (the
   caller frees both).  A missing '=' or an empty NAME is "KEY needs
   NAME=VALUE".  0, PJWT_ERR_CONF or PJWT_ERR_NOMEM (*name, *val NULL). */
int pjwt_conf_pair(const char *key, const char *value, char **name,
                   char **val, pjwt_err *err);

#endif
