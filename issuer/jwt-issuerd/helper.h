/*
 * helper.h: one PAM helper process, forked by the supervisor
 * (helper_supervisor.h).  It serves the daemon's requests on its socket, one
 * PAM transaction at a time, until the daemon closes it.
 */
#ifndef ISSUER_HELPER_H
#define ISSUER_HELPER_H

/*
 * The helper's life, in the freshly forked child: signals back to their
 * defaults (so that a module and any program it runs never inherit the
 * supervisor's SIG_IGN or mask), then requests on fd until EOF, each one
 * checked (helper_proto.c, then a name a token can carry), admitted by the
 * guard (helper_guard.h, slot is this helper's record there) and run through
 * PAM with the supervisor's service and confdir.  Never returns.
 */
void helper_main(int fd, int slot) __attribute__((noreturn));

#endif
