/*
 * startup_warn.h: set-ups the daemon runs with, logged as warnings at
 * startup because they do not do what their administrator expects.
 */
#ifndef ISSUER_STARTUP_WARN_H
#define ISSUER_STARTUP_WARN_H

#include "issuer_conf.h"
#include "sockets.h"

/*
 * A TCP listener bound to an address outside 127.0.0.0/8 and ::1, with
 * neither tls_cert nor trusted_proxies: passwords would cross the network
 * in clear text.  Looks at the bound sockets, so that host names, wildcard
 * addresses and systemd's sockets count too.
 */
void startup_warn_listeners(const struct issuer_conf *c, const struct listener *ls, int n);

/*
 * Started as a non-root user that cannot read /etc/shadow, with pam_unix in
 * the PAM stack (or a file it includes): pam_unix then falls back to
 * unix_chkpwd, which checks only the caller's own password, so every other
 * user's login fails.  Call in the process the PAM helpers inherit their
 * identity from, before privileges change.
 */
void startup_warn_pam(const struct issuer_conf *c);

#endif
