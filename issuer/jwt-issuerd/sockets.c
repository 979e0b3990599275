/*
 * sockets.c: see sockets.h.  The listen syntax is listen_spec.c's.  Port 0
 * binds a free port; the bound address is reported in the listener's name,
 * which main.c logs ("listening on ..."), so tests can start on port 0 and
 * read the port back.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen_spec.h"
#include "log.h"
#include "sockets.h"

#define SD_LISTEN_FDS_START 3

static int
from_systemd(struct listener *out)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    char *end;
    long n, i;

    if (pid == NULL || fds == NULL)
        return 0;
    if (strtol(pid, &end, 10) != (long)getpid() || *end != '\0')
        return 0;
    n = strtol(fds, &end, 10);
    if (*end != '\0' || n < 1 || n > CONF_MAX_LISTEN)
        return 0;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    for (i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = SD_LISTEN_FDS_START + (int)i;

        fcntl(fd, F_SETFD, FD_CLOEXEC);
        out[i].fd = fd;
        out[i].is_unix = getsockname(fd, (struct sockaddr *)&ss, &sl) == 0
                         && ss.ss_family == AF_UNIX;
        snprintf(out[i].name, sizeof(out[i].name), "systemd socket %d", fd);
    }
    return (int)n;
}

/*
 * Bind with umask 0177 (process-wide, but startup is still single
 * threaded), so that the socket exists with no more than 0600 until its
 * group and mode are set; nobody can connect before listen() anyway.  A
 * stale socket from an earlier run is removed; nothing else.
 */
static int
open_unix(const struct listen_spec *ls, struct listener *l)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct stat sb;
    mode_t old;
    int fd, rc;

    memcpy(sun.sun_path, ls->path, sizeof(sun.sun_path));   /* same size */
    if (lstat(ls->path, &sb) == 0 && S_ISSOCK(sb.st_mode))
        unlink(ls->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    old = umask(0177);
    rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old);
    /* The path was just made by bind: lstat proves it is still our socket
       before chown and chmod follow it. */
    if (rc != 0 || lstat(ls->path, &sb) != 0 || !S_ISSOCK(sb.st_mode)
        || (ls->has_group && chown(ls->path, (uid_t)-1, ls->gid) != 0)
        || chmod(ls->path, ls->mode) != 0 || listen(fd, 128) != 0)
        goto fail;
    l->fd = fd;
    l->is_unix = 1;
    snprintf(l->name, sizeof(l->name), "unix:%s", ls->path);
    return 0;
fail:
    log_err("listen unix:%s: %s", ls->path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static int
open_inet(const char *spec, const struct listen_spec *ls, struct listener *l)
{
    struct addrinfo hints = { 0 }, *ai = NULL;
    char bhost[NI_MAXHOST], bport[NI_MAXSERV];
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd = -1, one = 1, rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(ls->host[0] ? ls->host : NULL, ls->port, &hints, &ai);
    if (rc != 0) {
        log_err("listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0
        || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0
        || getnameinfo((struct sockaddr *)&ss, sl, bhost, sizeof(bhost), bport,
                       sizeof(bport), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        log_err("listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    l->fd = fd;
    l->is_unix = 0;
    snprintf(l->name, sizeof(l->name), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
             bhost, bport);
    return 0;
}

static int
open_one(const char *spec, struct listener *l)
{
    struct listen_spec ls;
    pjwt_err err;

    pjwt_err_clear(&err);
    if (listen_spec_parse(spec, &ls, &err) != 0) {
        log_err("%s", err.msg);
        return -1;
    }
    return ls.is_unix ? open_unix(&ls, l) : open_inet(spec, &ls, l);
}

int
sockets_open(const struct issuer_conf *c, struct listener *out)
{
    size_t i;
    int n = from_systemd(out);

    if (n > 0)
        return n;
    for (i = 0; i < c->n_listen; i++) {
        if (open_one(c->listen[i], &out[i]) != 0) {
            while (i-- > 0)
                close(out[i].fd);
            return -1;
        }
    }
    return (int)c->n_listen;
}
