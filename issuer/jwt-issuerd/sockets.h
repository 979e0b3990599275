/*
 * sockets.h: the listening sockets, bound before privileges are dropped:
 * from systemd socket activation (LISTEN_PID/LISTEN_FDS, no libsystemd
 * needed) when present, else from the `listen` options.
 */
#ifndef ISSUER_SOCKETS_H
#define ISSUER_SOCKETS_H

#include <stddef.h>
#include "issuer_conf.h"

struct listener {
    int fd;
    int is_unix;
    char name[300];     /* "127.0.0.1:8080" with the bound port, "unix:/p" */
};

/* Open every listener into out (capacity CONF_MAX_LISTEN); returns the
   count, or -1 with a logged error. */
int sockets_open(const struct issuer_conf *c, struct listener *out);

#endif
