/*
 * sessions.c: `jwtctl sessions`: list and revoke the refresh sessions
 * jwt-issuerd keeps in its store (issuer/sessions/store.h), opened as
 * store_open.c does for every verb that reads it.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "excerpt.h"
#include "store.h"
#include "timefmt.h"

static const char sessions_usage[] =
    "usage: jwtctl sessions [--store SPEC | --state-dir DIR | -c CONF] list\n"
    "                       [--user USER] [--json]\n"
    "       jwtctl sessions [--store SPEC | --state-dir DIR | -c CONF] revoke\n"
    "                       (--user USER | ID)\n"
    "\n"
    "The refresh sessions of jwt-issuerd, in its store (default\n"
    "sqlite:" CTL_STATE_DIR "/" STORE_SQLITE_FILE "; --state-dir DIR means\n"
    "sqlite:DIR/" STORE_SQLITE_FILE "; -c CONF the store of that jwt-issuerd\n"
    "configuration, with its store_password_file).\n"
    "  list     the live sessions, oldest first (of USER only with --user):\n"
    "           ID USER CLIENT FROM CREATED LAST-USED EXPIRES REFRESHES, times\n"
    "           in UTC; --json prints a JSON array (times as epoch seconds)\n"
    "  revoke   end the session ID, or every live session of USER: their\n"
    "           refresh tokens stop working at once (access tokens already\n"
    "           issued run to their expiry)\n"
    "Run as root or as the store's owner; as root, jwtctl works as the owner.\n"
    "A missing store is an error: jwtctl never creates one.\n"
    "\n"
    "exit status: 0 done, 1 failed (no store, no such live session), 2 usage.\n";

static int
usage_err(void)
{
    fputs(sessions_usage, stderr);
    return CTL_USAGE;
}

/* ---- list --------------------------------------------------------------- */

struct lister {
    json_t *arr;        /* --json: the array being built, else NULL */
    time_t now;
    int failed;
};

/* Someone else's text in a table cell: one bare word, bounded. */
static const char *
cell(const char *s, size_t max, char *out, size_t cap)
{
    return pjwt_excerpt(s, PJWT_EXCERPT_CSTR, max, PJWT_EXCERPT_WORD, out,
                        cap);
}

static int
print_row(const struct store_session *s, void *ctx)
{
    struct lister *l = ctx;
    char id[PJWT_EXCERPT_BUF(STORE_ID_LEN)], user[PJWT_EXCERPT_BUF(32)];
    char client[PJWT_EXCERPT_BUF(32)], from[PJWT_EXCERPT_BUF(40)];
    char c[PJWT_TIME_BUF], u[PJWT_TIME_BUF], x[PJWT_TIME_BUF];
    json_t *o;

    if (l->arr != NULL) {
        o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
                      "id", s->id, "user", s->user, "client_id", s->client_id,
                      "rhost", s->rhost, "created", (json_int_t)s->created,
                      "last_used", (json_int_t)s->last_used,
                      "expires", (json_int_t)s->expires,
                      "idle", (json_int_t)s->idle,
                      "refreshes", (json_int_t)s->refreshes);
        /* json_pack refuses text that is not UTF-8: say which session. */
        if (o == NULL || json_array_append_new(l->arr, o) != 0) {
            ctl_err("sessions: session %s: cannot write as JSON (not "
                    "UTF-8?)", cell(s->id, STORE_ID_LEN, id, sizeof(id)));
            l->failed = 1;
            return 1;
        }
        return 0;
    }
    printf("%-22s %-12s %-16s %-15s %-20s %-20s %-20s %lu\n",
           cell(s->id, STORE_ID_LEN, id, sizeof(id)),
           cell(s->user, 32, user, sizeof(user)),
           cell(s->client_id, 32, client, sizeof(client)),
           cell(s->rhost, 40, from, sizeof(from)),
           pjwt_time_fmt((double)s->created, l->now, PJWT_TIME_ISO, c,
                         sizeof(c)),
           pjwt_time_fmt((double)s->last_used, l->now, PJWT_TIME_ISO, u,
                         sizeof(u)),
           pjwt_time_fmt((double)s->expires, l->now, PJWT_TIME_ISO, x,
                         sizeof(x)),
           (unsigned long)s->refreshes);
    return 0;
}

static int
do_list(const struct ctl_store_at *at, int argc, char **argv)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, 'u' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct lister l = { NULL, 0, 0 };
    struct store *st = NULL;
    const char *user = NULL;
    pjwt_err e;
    int c, json = 0, r;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+u:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'u': user = optarg; break;
        case 'j': json = 1; break;
        case 'h': fputs(sessions_usage, stdout); return CTL_OK;
        default: return usage_err();
        }
    }
    if (optind != argc)
        return usage_err();
    if ((r = ctl_store_open("sessions", at, &st)) != CTL_OK)
        return r;
    r = CTL_FAIL;
    l.now = time(NULL);
    if (json && (l.arr = json_array()) == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    if (!json)
        printf("%-22s %-12s %-16s %-15s %-20s %-20s %-20s %s\n", "ID", "USER",
               "CLIENT", "FROM", "CREATED", "LAST-USED", "EXPIRES",
               "REFRESHES");
    pjwt_err_clear(&e);
    if (store_list(st, user, (int64_t)l.now, print_row, &l, &e) != STORE_OK) {
        ctl_err("sessions: %s", e.msg);
        goto out;
    }
    if (l.failed)
        goto out;
    r = json ? ctl_print_json(l.arr) : ctl_flush();
out:
    json_decref(l.arr);
    store_close(st);
    return r;
}

/* ---- revoke ------------------------------------------------------------- */

static int
do_revoke(const struct ctl_store_at *at, int argc, char **argv)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, 'u' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct store *st = NULL;
    const char *user = NULL, *id = NULL;
    char shown[PJWT_EXCERPT_BUF(STORE_ID_LEN)];
    enum store_rc rc;
    pjwt_err e;
    size_t n = 0;
    int c, r;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+u:h", opts, NULL)) != -1) {
        switch (c) {
        case 'u': user = optarg; break;
        case 'h': fputs(sessions_usage, stdout); return CTL_OK;
        default: return usage_err();
        }
    }
    /* Exactly one of --user and ID: revoking "everything" is not a
       default anyone should get by leaving a word out. */
    if (argc - optind == 1 && user == NULL)
        id = argv[optind];
    else if (argc - optind != 0 || user == NULL || *user == '\0')
        return usage_err();
    if ((r = ctl_store_open("sessions", at, &st)) != CTL_OK)
        return r;
    r = CTL_FAIL;
    pjwt_err_clear(&e);
    if (user != NULL) {
        rc = store_revoke_user(st, user, &n, &e);
    } else {
        rc = store_revoke_id(st, id, &e);
        n = rc == STORE_OK ? 1 : 0;
    }
    if (rc == STORE_NOT_FOUND) {
        ctl_err("sessions: no live session %s",
                pjwt_excerpt(id, PJWT_EXCERPT_CSTR, STORE_ID_LEN,
                             PJWT_EXCERPT_QUOTE, shown, sizeof(shown)));
        goto out;
    }
    if (rc != STORE_OK) {
        ctl_err("sessions: %s", e.msg);
        goto out;
    }
    printf("revoked %zu session(s)\n", n);
    r = ctl_flush();
out:
    store_close(st);
    return r;
}

int
ctl_sessions(int argc, char **argv)
{
    static const struct option opts[] = {
        { "store", required_argument, NULL, 's' },
        { "state-dir", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl_store_at at;
    const char *store = NULL, *state_dir = NULL, *conf = NULL, *verb;
    int c, n;

    optind = 1;
    /* "+": stop at the verb, whose options are its own. */
    while ((c = getopt_long(argc, argv, "+s:d:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'd': state_dir = optarg; break;
        case 'c': conf = optarg; break;
        case 'h': fputs(sessions_usage, stdout); return CTL_OK;
        default: return usage_err();
        }
    }
    if (optind >= argc)
        return usage_err();
    if ((n = ctl_store_where("sessions", store, state_dir, conf, &at))
            != CTL_OK)
        return n;
    verb = argv[optind];
    if (strcmp(verb, "list") == 0)
        return do_list(&at, argc - optind, argv + optind);
    if (strcmp(verb, "revoke") == 0)
        return do_revoke(&at, argc - optind, argv + optind);
    ctl_err("sessions: unknown action '%s' (list or revoke)", verb);
    return usage_err();
}
