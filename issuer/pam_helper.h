/*
 * pam_helper.h: the privileged side.  A supervisor process, forked before
 * the daemon starts threads or drops privileges, keeps pam_workers helper
 * processes alive; each helper runs one PAM transaction at a time for the
 * daemon over its own socketpair (cockpit-session, OpenSSH's monitor).  A
 * crashing PAM module takes down one helper, which the supervisor replaces
 * and hands to the daemon over the control socket (SCM_RIGHTS).
 */
#ifndef ISSUER_PAM_HELPER_H
#define ISSUER_PAM_HELPER_H

#include <sys/types.h>

/*
 * Fork the supervisor with nworkers helpers.  Returns its pid and sets
 * *ctl to the daemon's end of the control socket, or -1.  Call while the
 * process is single threaded.  child_init (may be NULL) runs first in the
 * supervisor: the daemon uses it to free (and cleanse) its keys there, so
 * that no PAM module ever shares an address space with the signing key.
 */
pid_t pam_supervisor_start(int nworkers, int *ctl, void (*child_init)(void));

/*
 * Receive one helper announcement from the control socket: slot number
 * and the daemon's end of that helper's socket.  0, or -1 on EOF/error.
 */
int pam_supervisor_recv(int ctl, int *slot, int *fd);

#endif
