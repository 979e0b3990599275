/*
 * store_open.c: how jwtctl opens jwt-issuerd's store (issuer/sessions/
 * store.h), for every verb that reads or changes it (sessions, revoke).
 *
 * The store belongs to the daemon's user.  jwtctl never creates one (a
 * missing file is an error, not a new empty store), and never writes it as
 * root: run as root it becomes the file's owner first, so the -wal and
 * -shm files SQLite makes are the daemon's, not root's; anyone else must
 * be the owner.  The store's own checks (owner, mode, content) then run
 * unchanged, with the file's owner as the expected one.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "issuer_conf.h"
#include "store.h"

/* A usage error, or the copy of what did not fit. */
static int
put(const char *what, const char *opt, char *dst, size_t cap, const char *src)
{
    if ((size_t)snprintf(dst, cap, "%s", src) >= cap) {
        ctl_err("%s: %s: too long", what, opt);
        return CTL_USAGE;
    }
    return CTL_OK;
}

int
ctl_store_where(const char *what, const char *store, const char *state_dir,
                const char *conf, struct ctl_store_at *at)
{
    struct issuer_conf *ic;
    pjwt_err e;
    int r;

    memset(at, 0, sizeof(*at));
    if ((store != NULL) + (state_dir != NULL) + (conf != NULL) > 1) {
        ctl_err("%s: --store, --state-dir and -c each name the store: "
                "give one", what);
        return CTL_USAGE;
    }
    if (store != NULL)
        return put(what, "--store", at->spec, sizeof(at->spec), store);
    if (conf == NULL) {
        if ((size_t)snprintf(at->spec, sizeof(at->spec),
                             "sqlite:%s/" STORE_SQLITE_FILE,
                             state_dir != NULL ? state_dir : CTL_STATE_DIR)
                >= sizeof(at->spec)) {
            ctl_err("%s: store path too long", what);
            return CTL_USAGE;
        }
        return CTL_OK;
    }
    /* The daemon's own reading of its file: the same defaults, the same
       spec rule (issuer_conf_store_spec), nothing for jwtctl to drift. */
    pjwt_err_clear(&e);
    if ((ic = issuer_conf_load(conf, &e)) == NULL) {
        ctl_err("%s: %s", what, e.msg);
        return CTL_USAGE;
    }
    r = CTL_OK;
    if (issuer_conf_store_spec(ic, at->spec, sizeof(at->spec)) != 0) {
        ctl_err("%s: %s: store: too long", what, conf);
        r = CTL_USAGE;
    } else if (ic->store_password_file != NULL) {
        r = put(what, "store_password_file", at->password_file,
                sizeof(at->password_file), ic->store_password_file);
    }
    at->timeout_ms = (unsigned)ic->store_timeout * 1000u;
    issuer_conf_free(ic);
    return r;
}

/* Become uid (and its primary group, no supplementary groups), for good:
   a root jwtctl must not be able to write the store as root. */
static int
become(const char *what, uid_t uid, gid_t file_gid)
{
    const struct passwd *pw = getpwuid(uid);
    gid_t gid = pw != NULL ? pw->pw_gid : file_gid;
    uid_t ru, eu, su;

    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0
        || setresuid(uid, uid, uid) != 0) {
        ctl_err("%s: cannot become uid %lu: %s", what, (unsigned long)uid,
                strerror(errno));
        return -1;
    }
    if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid) {
        ctl_err("%s: still not uid %lu after setresuid", what,
                (unsigned long)uid);
        return -1;
    }
    return 0;
}

int
ctl_store_open(const char *what, const struct ctl_store_at *at,
               struct store **st)
{
    static const char sqlite[] = "sqlite:";
    const char *path, *spec = at->spec;
    struct store_opts opts = {
        .password_file = at->password_file[0] ? at->password_file : NULL,
        .timeout_ms = at->timeout_ms,
    };
    struct stat sb;
    pjwt_err e;

    pjwt_err_clear(&e);
    if (strncmp(spec, sqlite, sizeof(sqlite) - 1) != 0) {
        /* A shared store (Redis) has no file to own.  Its password file
           is the daemon's (mode 0600): root reads it as its owner, as the
           daemon does, so the trust rule holds unchanged. */
        if (opts.password_file != NULL && geteuid() == 0) {
            if (lstat(opts.password_file, &sb) != 0) {
                ctl_err("%s: %s: %s", what, opts.password_file,
                        strerror(errno));
                return CTL_FAIL;
            }
            if (sb.st_uid != 0 && become(what, sb.st_uid, sb.st_gid) != 0)
                return CTL_FAIL;
        }
        if (store_open(spec, geteuid(), &opts, st, &e) == STORE_OK)
            return CTL_OK;
        ctl_err("%s: %s", what, e.msg);
        return e.code == PJWT_ERR_CONF ? CTL_USAGE : CTL_FAIL;
    }
    path = spec + sizeof(sqlite) - 1;
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT)
            ctl_err("%s: no session store at %s", what, path);
        else
            ctl_err("%s: %s: %s", what, path, strerror(errno));
        return CTL_FAIL;
    }
    if (geteuid() == 0 && sb.st_uid != 0) {
        if (become(what, sb.st_uid, sb.st_gid) != 0)
            return CTL_FAIL;
    } else if (geteuid() != sb.st_uid) {
        ctl_err("%s: %s: permission denied: owned by uid %lu; run as "
                "that user or as root", what, path, (unsigned long)sb.st_uid);
        return CTL_FAIL;
    }
    /* Again as the owner: a store removed meanwhile must not be made
       afresh by store_open. */
    if (lstat(path, &sb) != 0) {
        ctl_err("%s: no session store at %s", what, path);
        return CTL_FAIL;
    }
    if (store_open(spec, sb.st_uid, &opts, st, &e) != STORE_OK) {
        ctl_err("%s: %s", what, e.msg);
        return e.code == PJWT_ERR_CONF ? CTL_USAGE : CTL_FAIL;
    }
    return CTL_OK;
}
