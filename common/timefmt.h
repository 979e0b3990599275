/*
 * timefmt.h: the one way a time is written into a message: the epoch
 * seconds a token carries, then ISO 8601 UTC and how long ago (or ahead)
 * that is, e.g. "1795893373 (2026-11-28T12:36:13Z, 6 min ago)", so a
 * reader of a log line or of `jwtctl verify` need not convert epochs.
 * Bounded: the result always fits PJWT_TIME_BUF bytes.
 */
#ifndef PJWT_TIMEFMT_H
#define PJWT_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PJWT_TIME_BUF 64

/* No relative age: for "now" itself. */
#define PJWT_TIME_NO_AGE 0x01u
/* The ISO 8601 date alone, "YYYY-MM-DDTHH:MM:SSZ": for a table column
   (jwtctl sessions), where the epoch would only widen it. */
#define PJWT_TIME_ISO 0x02u

/*
 * Write t (a NumericDate, possibly fractional) seen at now into out[cap]:
 * "%.15g (YYYY-MM-DDTHH:MM:SSZ, AGE)", AGE one of "now", "N s ago",
 * "in N min", ... (s below 2 min, min below 2 h, h below 2 days, then d).
 * A t outside years 0001-9999 is written as the number alone.  Returns out
 * (truncated, NUL-terminated, when cap < PJWT_TIME_BUF).
 */
const char *pjwt_time_fmt(double t, time_t now, unsigned flags, char *out,
                          size_t cap);

/*
 * Read a time an administrator types (jwtctl revoke --before): epoch
 * seconds ("1795893373"), an ISO 8601 date ("2026-11-28", midnight UTC),
 * or date and time with its zone, "2026-11-28T12:36:13Z", "...T12:36Z",
 * "...T13:36:13+01:00" (a space for the T).  A time without a zone is
 * refused: whose local time it means is a guess.  Years 1970-9999.  0 and
 * *out, or -1 (*out untouched).
 */
int pjwt_time_parse(const char *s, int64_t *out);

#endif
