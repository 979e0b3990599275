/*
 * startup_warn.c: warnings for set-ups that start and serve, but not the
 * way their administrator thinks (see startup_warn.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "startup_warn.h"

/* @include depth in a PAM stack; libpam itself stops at a similar one. */
#define MAX_INCLUDE_DEPTH 8

static int
is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

        if (IN6_IS_ADDR_V4MAPPED(a))
            return a->s6_addr[12] == 127;
        return IN6_IS_ADDR_LOOPBACK(a);
    }
    return 1;       /* not an IP socket: nothing crosses a network */
}

void
startup_warn_listeners(const struct issuer_conf *c, const struct listener *ls, int n)
{
    int i;

    /* TLS, or a proxy in front that the operator has named (it terminates
       TLS, or the hop to it is the operator's own business). */
    if (c->tls_cert != NULL || c->n_proxies > 0 || c->proxy_unix)
        return;
    for (i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (ls[i].is_unix
            || getsockname(ls[i].fd, (struct sockaddr *)&ss, &len) != 0
            || is_loopback(&ss))
            continue;
        log_warn("listening on %s without TLS (tls_cert) and without "
                 "trusted_proxies: passwords and tokens cross the network "
                 "in clear text; set tls_cert/tls_key, or listen on "
                 "127.0.0.1 behind a TLS proxy named in trusted_proxies",
                 ls[i].name);
    }
}

/* The next blank-separated word of a PAM line at *p, NUL-terminated in
   place; a control in brackets ("[success=1 default=bad]") is one word. */
static char *
next_word(char **p)
{
    char *w = *p + strspn(*p, " \t\r\n"), *e;

    if (*w == '\0')
        return NULL;
    e = w;
    if (*w == '[' && (e = strchr(w, ']')) == NULL)
        e = w + strlen(w);
    e += strcspn(e, " \t\r\n");
    *p = *e != '\0' ? e + 1 : e;
    *e = '\0';
    return w;
}

/* 1 when the PAM stack in dir/name, or a file it includes, loads
   pam_unix. */
static int
stack_has_pam_unix(const char *dir, const char *name, int depth)
{
    char path[4096], line[1024];
    int found = 0;
    FILE *f;

    if (depth > MAX_INCLUDE_DEPTH || strchr(name, '/') != NULL
        || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return 0;
    if ((f = fopen(path, "re")) == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char *p = line, *type, *control, *module;

        if ((module = strchr(line, '#')) != NULL)
            *module = '\0';
        if ((type = next_word(&p)) == NULL)
            continue;
        control = next_word(&p);
        if (strcmp(type, "@include") == 0) {
            found = control != NULL && stack_has_pam_unix(dir, control, depth + 1);
            continue;
        }
        if (control == NULL || (module = next_word(&p)) == NULL)
            continue;
        if (strcmp(control, "include") == 0 || strcmp(control, "substack") == 0) {
            found = stack_has_pam_unix(dir, module, depth + 1);
            continue;
        }
        p = strrchr(module, '/');
        found = strcmp(p != NULL ? p + 1 : module, "pam_unix.so") == 0;
    }
    fclose(f);
    return found;
}

void
startup_warn_pam(const struct issuer_conf *c)
{
    char path[4096], *slash;

    /* The PAM helpers keep the identity the daemon was started with. */
    if (geteuid() == 0 || access("/etc/shadow", R_OK) == 0)
        return;
    issuer_conf_pam_file(c, path, sizeof(path));
    if ((slash = strrchr(path, '/')) == NULL)
        return;
    *slash = '\0';
    if (!stack_has_pam_unix(path, slash + 1, 0))
        return;
    log_warn("the PAM helpers run as uid %ld, which cannot read /etc/shadow: "
             "pam_unix in %s/%s can then check only uid %ld's own password "
             "(start the daemon as root with `user =`, or give its user the "
             "group shadow)", (long)geteuid(), path, slash + 1, (long)geteuid());
}
