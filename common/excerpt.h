/*
 * excerpt.h: the one log-safe copy of text that someone else chose (a
 * token's claims and kid, a PAM user, a remote host name, an error message
 * that quotes them): bounded, and unable to end a log field early or to
 * start a line of its own.
 *
 * Three shapes, one function:
 *   0                    escaped text, for inside quotes the caller
 *                        writes: '"' and '\' as \" and \\, every byte
 *                        outside printable ASCII as \xNN;
 *   PJWT_EXCERPT_QUOTE   the same inside double quotes (the module's log
 *                        fields: user="al\"ice"); NULL or "" gives a bare
 *                        "-", so an absent value is told from a value "-";
 *   PJWT_EXCERPT_WORD    one bare word for key=value logs read by fail2ban
 *                        patterns: blanks, '"', '=', '\' and every byte
 *                        outside printable ASCII become '?'; NULL or "" -.
 * Text longer than max bytes (or than out can hold) is cut and ends in
 * "...".  A buffer of PJWT_EXCERPT_BUF(max) bytes always holds the result.
 */
#ifndef PJWT_EXCERPT_H
#define PJWT_EXCERPT_H

#include <stddef.h>

#define PJWT_EXCERPT_QUOTE 0x01u
#define PJWT_EXCERPT_WORD  0x02u

/* len for a NUL-terminated s. */
#define PJWT_EXCERPT_CSTR ((size_t)-1)

/* Each byte may take 4 ("\xNN"), plus quotes, "..." and the NUL. */
#define PJWT_EXCERPT_BUF(max) (4 * (max) + 9)

/* Write the excerpt of s[0..len) (len PJWT_EXCERPT_CSTR: up to its NUL)
   into out[cap] (cap >= 10); returns out, or a static "-" (see above). */
const char *pjwt_excerpt(const char *s, size_t len, size_t max,
                         unsigned flags, char *out, size_t cap);

#endif
