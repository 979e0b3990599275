/*
 * keyring.c: key_dir mode (keyring.h): the schedule's meaning at a moment
 * (keyring_plan, pure, what the unit tests drive), its file, and the step
 * that generates and deletes keys.  Nothing here logs: the daemon names
 * what changed by comparing states (main.c), jwtctl prints the plan.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "b64url.h"
#include "fileio.h"
#include "filewrite.h"
#include "json.h"
#include "keyring.h"

void
keyring_plan(const struct keyring_schedule *s, time_t now,
             const struct keyring_params *p, struct keyring_view *v)
{
    size_t i, c = 0;
    time_t gen_at;

    memset(v, 0, sizeof(*v));
#define EVENT(t) \
    do { if ((t) > now && (v->next_event == 0 || (t) < v->next_event)) \
             v->next_event = (t); } while (0)
    if (s->n == 0) {
        v->generate = 1;
        v->generate_activate = now;
        return;
    }
    /* The last key already active; none (a clock set back): the first. */
    for (i = 1; i < s->n; i++)
        if (s->keys[i].activate <= now)
            c = i;
    v->current = c;
    for (i = 0; i < s->n; i++) {
        if (i + 1 < s->n) {
            v->retires[i] = s->keys[i + 1].activate;
            v->deletes[i] = s->keys[i + 1].activate + p->retire_window;
        }
        if (i > c) {
            v->state[i] = PJWT_KEY_NEXT;
            EVENT(s->keys[i].activate);
            if (i + 1 == s->n) {      /* the plan for the last one */
                v->retires[i] = s->keys[i].activate + p->rotation_period;
                v->deletes[i] = v->retires[i] + p->retire_window;
            }
        } else if (i == c) {
            v->state[i] = PJWT_KEY_CURRENT;
        } else if (now < v->deletes[i]) {
            v->state[i] = PJWT_KEY_RETIRING;
            EVENT(v->deletes[i]);
        } else {
            v->state[i] = 0;
        }
    }
    if (c + 1 < s->n)
        return;
    /* No successor yet: due rotation_period - publish_ahead after the
       current key's start; never activating sooner than publish_ahead
       from now (a long downtime keeps the current key a while longer). */
    gen_at = s->keys[c].activate + p->rotation_period - p->publish_ahead;
    if (now >= gen_at) {
        v->generate = 1;
        v->generate_activate = s->keys[c].activate + p->rotation_period;
        if (v->generate_activate < now + p->publish_ahead)
            v->generate_activate = now + p->publish_ahead;
    } else {
        EVENT(gen_at);
    }
    v->retires[c] = v->generate ? v->generate_activate
                                : s->keys[c].activate + p->rotation_period;
    v->deletes[c] = v->retires[c] + p->retire_window;
#undef EVENT
}

/* DIR itself: the trust rule, owned by uid, nothing for group/others.
   The open descriptor, or a negative error. */
static int
open_dir(const char *dir, uid_t uid, pjwt_err *err)
{
    struct stat sb;
    pjwt_err e;
    int fd;

    pjwt_err_clear(&e);
    if ((fd = pjwt_path_open(dir, uid, PJWT_PATH_DIR, &sb, &e)) < 0)
        return PJWT_FAIL(err, pjwt_err_code(&e), "key_dir %s", e.msg);
    if (sb.st_uid != uid || (sb.st_mode & 077) != 0) {
        close(fd);
        return PJWT_FAIL(err, PJWT_ERR_PERM,
                         "key_dir %s: must be owned by uid %lu with no group "
                         "or other access (mode 0700), not uid %lu mode %04o",
                         dir, (unsigned long)uid, (unsigned long)sb.st_uid,
                         (unsigned)(sb.st_mode & 07777));
    }
    return fd;
}

static int
path_in(char *out, size_t cap, const char *dir, const char *name,
        const char *ext, pjwt_err *err)
{
    if ((size_t)snprintf(out, cap, "%s/%s%s", dir, name, ext) >= cap)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "key_dir %s: path too long", dir);
    return 0;
}

static int
get_time(const json_t *e, const char *name, time_t *out, const char *path,
         pjwt_err *err)
{
    const json_t *v = json_object_get(e, name);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: %s must be an integer >= 0",
                         path, name);
    *out = (time_t)json_integer_value(v);
    return 0;
}

static int
parse_entry(const json_t *e, struct keyring_entry *k, const char *path,
            pjwt_err *err)
{
    const json_t *kid = json_object_get(e, "kid");
    const json_t *alg = json_object_get(e, "alg");
    const char *s;
    int r;

    if (!json_is_object(e) || json_object_size(e) != 4 || !json_is_string(kid)
        || !json_is_string(alg))
        return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: each key is exactly "
                         "{\"kid\",\"alg\",\"created\",\"activate\"}", path);
    s = json_string_value(kid);
    /* The kid names a file: only a thumbprint's 43 base64url bytes. */
    if (json_string_length(kid) != PJWT_THUMBPRINT_LEN
        || !pjwt_b64url_valid(s, PJWT_THUMBPRINT_LEN))
        return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: kid is not a key thumbprint",
                         path);
    memcpy(k->kid, s, PJWT_THUMBPRINT_LEN + 1);
    k->alg = pjwt_alg_from_name(json_string_value(alg), json_string_length(alg));
    if (k->alg == PJWT_ALG_INVALID || pjwt_alg_family_of(k->alg) == PJWT_FAM_HS)
        return PJWT_FAIL(err, PJWT_ERR_ALG, "%s: key %s: alg not usable here",
                         path, k->kid);
    if ((r = get_time(e, "created", &k->created, path, err)) != 0
        || (r = get_time(e, "activate", &k->activate, path, err)) != 0)
        return r;
    return 0;
}

static int
parse_schedule(const json_t *doc, struct keyring_schedule *s,
               const char *path, pjwt_err *err)
{
    const json_t *keys = json_object_get(doc, "keys");
    size_t i, j;
    int r;

    if (json_object_size(doc) != 1 || !json_is_array(keys))
        return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: expected {\"keys\":[...]}",
                         path);
    if (json_array_size(keys) > KEYRING_MAX_KEYS)
        return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: more than %d keys", path,
                         KEYRING_MAX_KEYS);
    for (i = 0; i < json_array_size(keys); i++) {
        struct keyring_entry *k = &s->keys[i];

        if ((r = parse_entry(json_array_get(keys, i), k, path, err)) != 0)
            return r;
        if (i > 0 && k->activate <= s->keys[i - 1].activate)
            return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: activate times must "
                             "increase", path);
        for (j = 0; j < i; j++)
            if (strcmp(s->keys[j].kid, k->kid) == 0)
                return PJWT_FAIL(err, PJWT_ERR_JSON, "%s: key %s twice", path,
                                 k->kid);
        s->n = i + 1;
    }
    return 0;
}

int
keyring_read_schedule(const char *dir, uid_t uid, struct keyring_schedule *s,
                      pjwt_err *err)
{
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    struct stat sb;
    pjwt_err e;
    int dfd, fd = -1, r = PJWT_ERR_INTERNAL;

    memset(s, 0, sizeof(*s));
    pjwt_err_clear(&e);
    if ((dfd = open_dir(dir, uid, err)) < 0)
        return dfd;
    if ((r = path_in(path, sizeof(path), dir, KEYRING_SCHEDULE, "", err)) != 0)
        goto out;
    if (fstatat(dfd, KEYRING_SCHEDULE, &sb, AT_SYMLINK_NOFOLLOW) != 0
        && errno == ENOENT) {
        r = 0;                      /* no key yet */
        goto out;
    }
    if ((fd = pjwt_path_open(path, uid, PJWT_PATH_FILE, &sb, err)) < 0) {
        r = fd;
        goto out;
    }
    if ((sb.st_mode & 077) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_PERM, "%s: mode %04o: must be 0600", path,
                      (unsigned)(sb.st_mode & 07777));
        goto out;
    }
    if ((r = pjwt_fd_read(fd, path, PJWT_JSON_MAX_SIZE, &buf, &len, err)) != 0)
        goto out;
    if ((doc = pjwt_json_parse_object((const char *)buf, len, 0, &e)) == NULL) {
        r = PJWT_FAIL(err, pjwt_err_code(&e), "%s: %s", path, e.msg);
        goto out;
    }
    r = parse_schedule(doc, s, path, err);
out:
    if (r != 0)
        memset(s, 0, sizeof(*s));
    json_decref(doc);
    pjwt_file_free(buf, len);
    if (fd >= 0)
        close(fd);
    close(dfd);
    return r;
}

static int
write_schedule(const char *dir, const struct keyring_schedule *s, pjwt_err *err)
{
    json_auto_t *doc = json_pack("{s:[]}", "keys");
    char path[4096], *text = NULL;
    size_t i;
    int r = PJWT_ERR_NOMEM;

    if (doc == NULL)
        goto nomem;
    for (i = 0; i < s->n; i++) {
        const struct keyring_entry *k = &s->keys[i];

        if (json_array_append_new(json_object_get(doc, "keys"),
                json_pack("{s:s, s:s, s:I, s:I}", "kid", k->kid,
                          "alg", pjwt_alg_name(k->alg),
                          "created", (json_int_t)k->created,
                          "activate", (json_int_t)k->activate)) != 0)
            goto nomem;
    }
    if ((text = json_dumps(doc, JSON_INDENT(1))) == NULL)
        goto nomem;
    if ((r = path_in(path, sizeof(path), dir, KEYRING_SCHEDULE, "", err)) == 0)
        r = pjwt_file_replace(path, text, strlen(text), 0600, 0, err);
    free(text);
    return r;
nomem:
    return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
}

/* A new key of p->alg, its file written (not in a dry run) before any
   schedule names it.  The key, or NULL. */
static pjwt_key *
new_key(const struct keyring_params *p, int dry, struct keyring_entry *k,
        time_t now, time_t activate, pjwt_err *err)
{
    pjwt_key *key = pjwt_key_generate(p->alg, err);
    char path[4096], *pem = NULL;
    int r = PJWT_ERR_INTERNAL;

    if (key == NULL)
        return NULL;
    snprintf(k->kid, sizeof(k->kid), "%s", pjwt_key_kid(key));
    k->alg = p->alg;
    k->created = now;
    k->activate = activate;
    if (dry) {
        r = 0;
        goto out;
    }
    if ((r = path_in(path, sizeof(path), p->dir, k->kid, ".key", err)) != 0)
        goto out;
    if ((pem = pjwt_key_to_private_pem(key, err)) == NULL) {
        r = pjwt_err_code(err);
        goto out;
    }
    r = pjwt_file_replace(path, pem, strlen(pem), 0600, PJWT_REPLACE_NOCLOBBER,
                          err);
out:
    if (pem != NULL)
        pjwt_secret_free(pem, strlen(pem));
    if (r != 0) {
        pjwt_key_free(key);
        return NULL;
    }
    return key;
}

/* 1 when DIR's entry name is a key file s does not name, or a temp file
   an interrupted pjwt_file_replace left (it may hold a private key). */
static int
is_orphan(const char *name, const struct keyring_schedule *s)
{
    size_t len = strlen(name), i;

    if (name[0] == '.' && strstr(name, ".tmp-") != NULL)
        return 1;
    if (len != PJWT_THUMBPRINT_LEN + 4 || strcmp(name + len - 4, ".key") != 0)
        return 0;
    for (i = 0; i < s->n; i++)
        if (strncmp(s->keys[i].kid, name, PJWT_THUMBPRINT_LEN) == 0)
            return 0;
    return 1;
}

/* Remove (count, in a dry run) what is_orphan finds. */
static int
sweep(const char *dir, const struct keyring_schedule *s, int dry,
      size_t *changes, pjwt_err *err)
{
    struct dirent *de;
    DIR *d;
    int fd = open_dir(dir, geteuid(), err), r = 0;

    if (fd < 0)
        return fd;
    if ((d = fdopendir(fd)) == NULL) {
        close(fd);
        return PJWT_FAIL(err, PJWT_ERR_IO, "key_dir %s: %s", dir,
                         strerror(errno));
    }
    while ((de = readdir(d)) != NULL && r == 0) {
        if (!is_orphan(de->d_name, s))
            continue;
        (*changes)++;
        if (!dry && unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
            r = PJWT_FAIL(err, PJWT_ERR_IO, "key_dir %s: removing %s: %s", dir,
                          de->d_name, strerror(errno));
    }
    closedir(d);
    return r;
}

/* DIR/KID.key into ks, checked against its schedule entry. */
static int
load_key(const char *dir, const struct keyring_entry *k, pjwt_keyset *ks,
         pjwt_err *err)
{
    unsigned flags = PJWT_KEYS_EAGER | PJWT_KEYS_PRIVATE | PJWT_KEYS_CHECK_READ
                     | PJWT_KEYS_CHECK_WRITE;
    size_t n = pjwt_keyset_count(ks);
    char path[4096];
    pjwt_key *key;
    int r;

    if ((r = path_in(path, sizeof(path), dir, k->kid, ".key", err)) != 0
        || (r = pjwt_keyset_load_file(ks, path, flags, err)) != 0)
        return r;
    key = pjwt_keyset_count(ks) == n + 1 ? pjwt_keyset_get(ks, n) : NULL;
    if (key == NULL || !pjwt_key_is_private(key)
        || strcmp(pjwt_key_kid(key), k->kid) != 0
        || !(pjwt_key_algs(key) & PJWT_ALGSET(k->alg)))
        return PJWT_FAIL(err, PJWT_ERR_KEY, "%s: not the %s private key %s "
                         "the schedule names", path, pjwt_alg_name(k->alg),
                         k->kid);
    return 0;
}

int
keyring_open(const struct keyring_params *p, time_t now, unsigned flags,
             struct keyring *kr, pjwt_err *err)
{
    struct keyring_schedule old;
    struct keyring_view v;
    int dry = (flags & KEYRING_DRY_RUN) != 0, r;
    pjwt_key *fresh = NULL;
    size_t i;

    memset(kr, 0, sizeof(*kr));
    if ((r = keyring_read_schedule(p->dir, geteuid(), &old, err)) != 0)
        return r;
    keyring_plan(&old, now, p, &v);
    for (i = 0; i < old.n; i++)
        if (v.state[i] != 0)
            kr->sched.keys[kr->sched.n++] = old.keys[i];
    if (v.generate) {
        struct keyring_entry *k = &kr->sched.keys[kr->sched.n];

        if (kr->sched.n >= KEYRING_MAX_KEYS) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF, "key_dir %s: %d keys already",
                          p->dir, KEYRING_MAX_KEYS);
            goto out;
        }
        if ((fresh = new_key(p, dry, k, now, v.generate_activate, err)) == NULL) {
            r = pjwt_err_code(err);
            goto out;
        }
        memcpy(kr->added, k->kid, sizeof(kr->added));
        kr->sched.n++;
        kr->changes++;
    }
    if (kr->sched.n != old.n || v.generate) {
        kr->changes++;
        if (!dry && (r = write_schedule(p->dir, &kr->sched, err)) != 0)
            goto out;
    }
    /* Expired keys' files, and whatever a crash left. */
    if ((r = sweep(p->dir, &kr->sched, dry, &kr->changes, err)) != 0)
        goto out;
    if ((kr->keys = pjwt_keyset_new()) == NULL) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < kr->sched.n; i++) {
        if (dry && fresh != NULL && i + 1 == kr->sched.n) {
            r = pjwt_keyset_add(kr->keys, fresh, err);
            fresh = NULL;
        } else {
            r = load_key(p->dir, &kr->sched.keys[i], kr->keys, err);
        }
        if (r != 0)
            goto out;
    }
    keyring_plan(&kr->sched, now, p, &kr->view);
    r = 0;
out:
    pjwt_key_free(fresh);
    if (r != 0)
        keyring_clear(kr);
    return r;
}

void
keyring_clear(struct keyring *kr)
{
    if (kr == NULL)
        return;
    pjwt_keyset_free(kr->keys);
    memset(kr, 0, sizeof(*kr));
}
