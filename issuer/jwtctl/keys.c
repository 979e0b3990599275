/*
 * keys.c: `jwtctl keys list`: jwt-issuerd's key_dir schedule, each key's
 * state and dates, as the daemon's own code (keyring.c, issuer_conf.c,
 * linked in) computes them.  Read only: no key file is opened, nothing is
 * generated or deleted (the daemon does that at its next event).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"
#include "ctl.h"
#include "issuer_conf.h"
#include "keyring.h"
#include "timefmt.h"

static const char keys_usage[] =
    "usage: jwtctl keys list [-c CONF | --key-dir DIR] [--current]\n"
    "\n"
    "jwt-issuerd's key_dir keys, oldest first: KID STATE ALG CREATED\n"
    "ACTIVATES RETIRES DELETES (ISO 8601, UTC).  RETIRES is when the key\n"
    "stops signing, DELETES when its private key is deleted and it is no\n"
    "longer published; for a key with no successor yet, the earliest plan.\n"
    "  -c, --config CONF  the daemon's configuration (default\n"
    "                     " ISSUER_DEFAULT_CONFIG "): key_dir and its periods\n"
    "  --key-dir DIR      DIR itself, with the default rotation_period,\n"
    "                     publish_ahead and token_lifetime\n"
    "  --current          only the current key's kid: what a host pins at\n"
    "                     its first sync (jwtctl sync --trust-kid)\n"
    "Run as root or as the directory's owner.\n"
    "\n"
    "exit status: 0 listed, 1 no readable schedule, 2 usage or configuration.\n";

/* An empty cell for a time not planned. */
static const char *
when(time_t t, time_t now, char *buf, size_t cap)
{
    return t == 0 ? "-" : pjwt_time_fmt((double)t, now, PJWT_TIME_ISO, buf, cap);
}

static int
list(const struct keyring_params *p, int current_only)
{
    struct keyring_schedule s;
    struct keyring_view v;
    struct stat sb;
    time_t now = time(NULL);
    uid_t uid = geteuid();
    char c[PJWT_TIME_BUF], a[PJWT_TIME_BUF], r[PJWT_TIME_BUF], d[PJWT_TIME_BUF];
    size_t i;
    pjwt_err e;

    /* As root, the directory's owner is the one expected (the daemon's
       user); anyone else must be it. */
    if (uid == 0 && stat(p->dir, &sb) == 0)
        uid = sb.st_uid;
    pjwt_err_clear(&e);
    if (keyring_read_schedule(p->dir, uid, &s, &e) != 0) {
        ctl_err("keys: %s", e.msg);
        return CTL_FAIL;
    }
    keyring_plan(&s, now, p, &v);
    if (current_only) {
        for (i = 0; i < s.n; i++)
            if (v.state[i] == PJWT_KEY_CURRENT) {
                printf("%s\n", s.keys[i].kid);
                return ctl_flush();
            }
        ctl_err("keys: %s: no current key yet (jwt-issuerd makes the first "
                "when it starts)", p->dir);
        return CTL_FAIL;
    }
    printf("%-43s %-8s %-5s %-20s %-20s %-20s %s\n", "KID", "STATE", "ALG",
           "CREATED", "ACTIVATES", "RETIRES", "DELETES");
    for (i = 0; i < s.n; i++) {
        const char *st = pjwt_key_state_name(v.state[i]);

        printf("%-43s %-8s %-5s %-20s %-20s %-20s %s\n", s.keys[i].kid,
               st != NULL ? st : "expired", pjwt_alg_name(s.keys[i].alg),
               when(s.keys[i].created, now, c, sizeof(c)),
               when(s.keys[i].activate, now, a, sizeof(a)),
               when(v.retires[i], now, r, sizeof(r)),
               when(v.deletes[i], now, d, sizeof(d)));
    }
    if (s.n == 0)
        printf("(no key yet: jwt-issuerd makes the first when it starts)\n");
    return ctl_flush();
}

int
ctl_keys(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "key-dir", required_argument, NULL, 'k' },
        { "current", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct keyring_params p = {
        NULL, PJWT_ALG_ES256, ISSUER_DEFAULT_ROTATION_PERIOD,
        ISSUER_DEFAULT_PUBLISH_AHEAD,
        ISSUER_DEFAULT_TOKEN_LIFETIME + PJWT_LEEWAY_DEFAULT,
    };
    const char *conf = NULL;
    struct issuer_conf *ic = NULL;
    pjwt_err e;
    int o, rc, current_only = 0;

    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c': conf = optarg; break;
        case 'k': p.dir = optarg; break;
        case 'C': current_only = 1; break;
        case 'h': fputs(keys_usage, stdout); return CTL_OK;
        default: fputs(keys_usage, stderr); return CTL_USAGE;
        }
    }
    if (optind + 1 != argc || strcmp(argv[optind], "list") != 0
        || (conf != NULL && p.dir != NULL)) {
        fputs(keys_usage, stderr);
        return CTL_USAGE;
    }
    if (p.dir == NULL) {
        pjwt_err_clear(&e);
        if ((ic = issuer_conf_load(conf ? conf : ISSUER_DEFAULT_CONFIG, &e)) == NULL) {
            ctl_err("keys: %s", e.msg);
            return CTL_USAGE;
        }
        if (ic->key_dir == NULL) {
            ctl_err("keys: %s: no key_dir (its keys are signing_key and "
                    "publish_key, which the administrator manages)", ic->path);
            issuer_conf_free(ic);
            return CTL_USAGE;
        }
        p.dir = ic->key_dir;
        p.rotation_period = ic->rotation_period;
        p.publish_ahead = ic->publish_ahead;
        p.retire_window = ic->retire_window;
        p.alg = ic->key_alg;
    }
    rc = list(&p, current_only);
    issuer_conf_free(ic);
    return rc;
}
