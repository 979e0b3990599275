/*
 * listen_spec.h: the syntax of a `listen` value, read once here for the
 * configuration check (so `jwt-issuerd -t` finds a bad one) and for
 * sockets.c, which binds it:
 *   HOST:PORT  [V6]:PORT  unix:/PATH [mode=OCTAL] [group=NAME|GID]
 * A unix socket's mode defaults to 0600: who may connect is then a choice
 * made in the configuration, never one left to the umask.
 */
#ifndef ISSUER_LISTEN_SPEC_H
#define ISSUER_LISTEN_SPEC_H

#include <sys/types.h>
#include <sys/un.h>

#include "err.h"

#define LISTEN_DEFAULT_MODE 0600

struct listen_spec {
    int is_unix;
    char host[256];             /* inet: "" means every address */
    char port[16];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];   /* unix */
    mode_t mode;                /* unix: permission bits of the socket */
    gid_t gid;                  /* unix: with has_group */
    int has_group;
};

/* Parse spec into out; the group is looked up in NSS.  0, or
   PJWT_ERR_CONF with a message naming the problem. */
int listen_spec_parse(const char *spec, struct listen_spec *out, pjwt_err *err);

#endif
