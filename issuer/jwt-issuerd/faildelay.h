/*
 * faildelay.h: how long a failed login is held before it is answered.
 *
 * D = B + R, where B is the larger of fail_delay_ms and the delay the PAM
 * stack asked for (pam_unix: 2 s, pam_faildelay), and R is uniform in
 * [0, B/4] from RAND_bytes.  libpam randomises the delay it reports too, but
 * seeds that with the current second (pam_delay.c), so within one second
 * it is the same for every attempt and predictable; ours is not.  The
 * answer is held until D after the request arrived, so its time does not
 * depend on how long PAM took: an unknown user, a stack that fails before
 * asking for a delay and a right password on a refused account all answer
 * at the same time.
 */
#ifndef ISSUER_FAILDELAY_H
#define ISSUER_FAILDELAY_H

#define FAILDELAY_MAX_MS 60000L   /* fail_delay_ms and PAM's ask are capped */

/* D in microseconds (see above); never less than the larger of the two. */
unsigned faildelay_usec(long floor_ms, unsigned asked_usec);

#endif
