/*
 * revoke.c: `jwtctl revoke`: the revocations jwt-issuerd publishes in its
 * trust bundle (/.well-known/pamjwt-trust.jws), kept in its store
 * (store.h; opened as store_open.c does): add one, list them, remove one.
 * Every change bumps the bundle's version, so hosts running `jwtctl sync`
 * take it at their next sync; the daemon serves it at its next request.
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

static const char revoke_usage[] =
    "usage: jwtctl revoke [--store SPEC | --state-dir DIR | -c CONF]\n"
    "                     (--jti ID | --sub USER [--before T])\n"
    "       jwtctl revoke [--store SPEC | --state-dir DIR | -c CONF] --list [--json]\n"
    "       jwtctl revoke [--store SPEC | --state-dir DIR | -c CONF]\n"
    "                     --remove (--jti ID | --sub USER)\n"
    "\n"
    "The revocations jwt-issuerd's trust bundle carries to every host, in its\n"
    "store (default sqlite:" CTL_STATE_DIR "/" STORE_SQLITE_FILE "; --state-dir\n"
    "DIR means sqlite:DIR/" STORE_SQLITE_FILE "; -c CONF the store of that\n"
    "jwt-issuerd configuration, with its store_password_file: on replicas\n"
    "sharing Redis, any replica's configuration reaches all of them).\n"
    "  --jti ID       the token whose jti is ID\n"
    "  --sub USER     every token for USER; with --before T only those issued\n"
    "                 before T (epoch seconds, 2026-11-28, 2026-11-28T12:00:00Z,\n"
    "                 ...+01:00, or now): USER may log in again afterwards\n"
    "                 (a new --before for the same USER replaces the old one)\n"
    "  --list         the entries, oldest first, and the bundle's version\n"
    "  --remove       take the entry out again\n"
    "ID and USER: 1-256 printable ASCII characters, no blanks, not starting\n"
    "with '#'.  Each change bumps the bundle's version; hosts take it at their\n"
    "next `jwtctl sync`.  Run as root or as the store's owner.\n"
    "\n"
    "exit status: 0 done (also when the entry was already there), 1 failed\n"
    "(no store, no such entry), 2 usage or a bad value.\n";

static int
usage_err(void)
{
    fputs(revoke_usage, stderr);
    return CTL_USAGE;
}

/* "sub alice" or "jti X", bounded for a terminal, into buf. */
static const char *
entry_name(enum store_revoke_kind kind, const char *value, char *buf,
           size_t cap)
{
    char v[PJWT_EXCERPT_BUF(64)];

    (void)snprintf(buf, cap, "%s %s", kind == STORE_REVOKE_JTI ? "jti" : "sub",
                   pjwt_excerpt(value, PJWT_EXCERPT_CSTR, 64,
                                PJWT_EXCERPT_WORD, v, sizeof(v)));
    return buf;
}

/* Each entry as {"kind","value","before","added"}, appended to the array
   ctx: the list is read in one transaction with its version, and printed
   once that is over (the callback runs with the store locked). */
static int
collect(const struct store_revocation *r, void *ctx)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "kind",
                          r->kind == STORE_REVOKE_JTI ? "jti" : "sub",
                          "value", r->value, "before", (json_int_t)r->before,
                          "added", (json_int_t)r->added);

    return o == NULL || json_array_append_new(ctx, o) != 0;
}

static void
print_table(json_int_t version, const json_t *arr)
{
    char v[PJWT_EXCERPT_BUF(40)], b[PJWT_TIME_BUF], a[PJWT_TIME_BUF];
    time_t now = time(NULL);
    const json_t *o;
    json_int_t before;
    size_t i;

    printf("trust version %lld\n%-4s %-40s %-20s %s\n", (long long)version,
           "KIND", "VALUE", "BEFORE", "ADDED");
    json_array_foreach(arr, i, o) {
        before = json_integer_value(json_object_get(o, "before"));
        printf("%-4s %-40s %-20s %s\n",
               json_string_value(json_object_get(o, "kind")),
               pjwt_excerpt(json_string_value(json_object_get(o, "value")),
                            PJWT_EXCERPT_CSTR, 40, PJWT_EXCERPT_WORD, v,
                            sizeof(v)),
               before != 0 ? pjwt_time_fmt((double)before, now, PJWT_TIME_ISO,
                                           b, sizeof(b)) : "-",
               pjwt_time_fmt((double)json_integer_value(
                                 json_object_get(o, "added")),
                             now, PJWT_TIME_ISO, a, sizeof(a)));
    }
}

static int
do_list(struct store *st, int json)
{
    json_t *arr = json_array(), *doc = NULL;
    int64_t version = 0;
    pjwt_err e;
    int r = CTL_FAIL;

    pjwt_err_clear(&e);
    if (arr == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    if (store_revoke_list(st, &version, collect, arr, &e) != STORE_OK) {
        ctl_err("revoke: %s", e.msg[0] ? e.msg : "out of memory");
        goto out;
    }
    if (!json) {
        print_table((json_int_t)version, arr);
        r = ctl_flush();
    } else if ((doc = json_pack("{s:I, s:O}", "version", (json_int_t)version,
                                "entries", arr)) == NULL) {
        ctl_err("out of memory");
    } else {
        r = ctl_print_json(doc);
    }
out:
    json_decref(doc);
    json_decref(arr);
    return r;
}

/* Add (remove == 0) or remove the entry of kind and value. */
static int
do_change(struct store *st, int remove, enum store_revoke_kind kind,
          const char *value, int64_t before)
{
    struct store_revocation rv;
    char name[PJWT_EXCERPT_BUF(64) + 8], t[PJWT_TIME_BUF];
    int64_t version = 0;
    enum store_rc rc;
    int changed = 0;
    pjwt_err e;

    pjwt_err_clear(&e);
    entry_name(kind, value, name, sizeof(name));
    if (remove) {
        rc = store_revoke_remove(st, kind, value, &version, &e);
    } else {
        memset(&rv, 0, sizeof(rv));
        rv.kind = kind;
        rv.before = before;
        /* Longer than the store takes: the store's own check says so. */
        if (strlen(value) < sizeof(rv.value))
            memcpy(rv.value, value, strlen(value) + 1);
        else
            memset(rv.value, 'x', sizeof(rv.value));
        rc = store_revoke_add(st, &rv, &changed, &version, &e);
    }
    if (rc == STORE_NOT_FOUND) {
        ctl_err("revoke: no revocation %s", name);
        return CTL_FAIL;
    }
    if (rc != STORE_OK) {
        ctl_err("revoke: %s", e.msg);
        return e.code == PJWT_ERR_ARG ? CTL_USAGE : CTL_FAIL;
    }
    if (remove)
        printf("removed %s (trust version %lld)\n", name, (long long)version);
    else if (!changed)
        printf("already revoked: %s; nothing changed (trust version %lld)\n",
               name, (long long)version);
    else if (before != 0)
        printf("revoked %s before %s (trust version %lld)\n", name,
               pjwt_time_fmt((double)before, time(NULL), PJWT_TIME_ISO, t,
                             sizeof(t)), (long long)version);
    else
        printf("revoked %s (trust version %lld)\n", name, (long long)version);
    return ctl_flush();
}

int
ctl_revoke(int argc, char **argv)
{
    static const struct option opts[] = {
        { "jti", required_argument, NULL, 'j' },
        { "sub", required_argument, NULL, 'u' },
        { "before", required_argument, NULL, 'b' },
        { "list", no_argument, NULL, 'l' },
        { "remove", no_argument, NULL, 'r' },
        { "json", no_argument, NULL, 'J' },
        { "store", required_argument, NULL, 's' },
        { "state-dir", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *jti = NULL, *sub = NULL, *before_s = NULL;
    const char *store = NULL, *state_dir = NULL, *conf = NULL;
    struct ctl_store_at at;
    struct store *st = NULL;
    int64_t before = 0;
    int c, list = 0, remove = 0, json = 0, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': jti = optarg; break;
        case 'u': sub = optarg; break;
        case 'b': before_s = optarg; break;
        case 'l': list = 1; break;
        case 'r': remove = 1; break;
        case 'J': json = 1; break;
        case 's': store = optarg; break;
        case 'd': state_dir = optarg; break;
        case 'c': conf = optarg; break;
        case 'h': fputs(revoke_usage, stdout); return CTL_OK;
        default: return usage_err();
        }
    }
    /* One thing at a time, named in full: --list alone, or exactly one
       of --jti and --sub (--before only with an added --sub). */
    if (optind != argc
        || (list && (remove || jti != NULL || sub != NULL
                     || before_s != NULL))
        || (!list && (jti != NULL) == (sub != NULL))
        || (json && !list)
        || (before_s != NULL && (sub == NULL || remove)))
        return usage_err();
    if (before_s != NULL) {
        if (strcmp(before_s, "now") == 0) {
            before = (int64_t)time(NULL);
        } else if (pjwt_time_parse(before_s, &before) != 0 || before == 0) {
            ctl_err("revoke: --before: not a time (epoch seconds > 0, "
                    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] with Z or +HH:MM, "
                    "or now)");
            return CTL_USAGE;
        }
    }
    if ((r = ctl_store_where("revoke", store, state_dir, conf, &at)) != CTL_OK
        || (r = ctl_store_open("revoke", &at, &st)) != CTL_OK)
        return r;
    if (list)
        r = do_list(st, json);
    else
        r = do_change(st, remove, jti != NULL ? STORE_REVOKE_JTI
                                              : STORE_REVOKE_SUB,
                      jti != NULL ? jti : sub, before);
    store_close(st);
    return r;
}
