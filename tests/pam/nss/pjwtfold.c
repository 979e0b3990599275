/*
 * pjwtfold.c: a tiny NSS passwd backend that folds case, as LDAP, AD and
 * SSSD backends commonly do: getpwnam("Alice") answers with the account
 * alice.  Built by tests/pam/nss_canonical.sh into libnss_pjwtfold.so.2
 * and loaded through nss_wrapper (NSS_WRAPPER_MODULE_SO_PATH,
 * NSS_WRAPPER_MODULE_FN_PREFIX=pjwtfold); not part of the product.  It
 * lives below tests/pam/ so that the Makefile does not build it as a test
 * program.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <nss.h>
#include <pwd.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define EXPORT __attribute__((visibility("default")))

static const struct {
    const char *name;
    uid_t uid;
} users[] = {
    { "alice", 1000 }, { "bob", 1001 }, { "carol", 1002 },
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

static char *
put(char **p, size_t *left, const char *s)
{
    size_t n = strlen(s) + 1;
    char *r = *p;

    if (n > *left)
        return NULL;
    memcpy(r, s, n);
    *p += n;
    *left -= n;
    return r;
}

static enum nss_status
fill(size_t i, struct passwd *pw, char *buf, size_t len, int *errnop)
{
    char *p = buf;
    size_t left = len;

    pw->pw_uid = users[i].uid;
    pw->pw_gid = users[i].uid;
    if (!(pw->pw_name = put(&p, &left, users[i].name)) ||
        !(pw->pw_passwd = put(&p, &left, "x")) ||
        !(pw->pw_gecos = put(&p, &left, "")) ||
        !(pw->pw_dir = put(&p, &left, "/nonexistent")) ||
        !(pw->pw_shell = put(&p, &left, "/bin/sh"))) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_pjwtfold_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                         size_t len, int *errnop)
{
    for (size_t i = 0; i < NUSERS; i++)
        if (strcasecmp(name, users[i].name) == 0)
            return fill(i, pw, buf, len, errnop);
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
                         int *errnop)
{
    for (size_t i = 0; i < NUSERS; i++)
        if (users[i].uid == uid)
            return fill(i, pw, buf, len, errnop);
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status _nss_pjwtfold_setpwent(void) { return NSS_STATUS_SUCCESS; }
EXPORT enum nss_status _nss_pjwtfold_endpwent(void) { return NSS_STATUS_SUCCESS; }
EXPORT enum nss_status _nss_pjwtfold_setgrent(void) { return NSS_STATUS_SUCCESS; }
EXPORT enum nss_status _nss_pjwtfold_endgrent(void) { return NSS_STATUS_SUCCESS; }

EXPORT enum nss_status
_nss_pjwtfold_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
    (void)pw, (void)buf, (void)len, (void)errnop;
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_getgrnam_r(const char *name, struct group *gr, char *buf,
                         size_t len, int *errnop)
{
    (void)name, (void)gr, (void)buf, (void)len, (void)errnop;
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
                         int *errnop)
{
    (void)gid, (void)gr, (void)buf, (void)len, (void)errnop;
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
    (void)gr, (void)buf, (void)len, (void)errnop;
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_initgroups_dyn(const char *user, gid_t group, long *start,
                             long *size, gid_t **groups, long limit,
                             int *errnop)
{
    (void)user, (void)group, (void)start, (void)size, (void)groups;
    (void)limit, (void)errnop;
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_gethostbyaddr_r(const void *addr, socklen_t alen, int af,
                              struct hostent *h, char *buf, size_t len,
                              int *errnop, int *h_errnop)
{
    (void)addr, (void)alen, (void)af, (void)h, (void)buf, (void)len;
    (void)errnop;
    *h_errnop = HOST_NOT_FOUND;
    return NSS_STATUS_NOTFOUND;
}

EXPORT enum nss_status
_nss_pjwtfold_gethostbyname2_r(const char *name, int af, struct hostent *h,
                               char *buf, size_t len, int *errnop,
                               int *h_errnop)
{
    (void)name, (void)af, (void)h, (void)buf, (void)len, (void)errnop;
    *h_errnop = HOST_NOT_FOUND;
    return NSS_STATUS_NOTFOUND;
}
