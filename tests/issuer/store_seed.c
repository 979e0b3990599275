/*
 * store_seed.c: make a session store for tests/issuer/sessions_cli.sh:
 * store_seed PATH creates sqlite:PATH (owned by the caller) with three
 * live sessions, one expired and one revoked, at fixed offsets from now.
 * Nothing of the daemon is needed; the store library alone writes them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static int
add(struct store *st, const char *id, const char *user, const char *client,
    const char *rhost, int64_t created, int64_t lifetime, unsigned h)
{
    struct store_session s;
    uint8_t hash[STORE_HASH_LEN];
    pjwt_err e;

    memset(&s, 0, sizeof(s));
    memset(hash, (int)h, sizeof(hash));
    snprintf(s.id, sizeof(s.id), "%s", id);
    snprintf(s.user, sizeof(s.user), "%s", user);
    snprintf(s.client_id, sizeof(s.client_id), "%s", client);
    snprintf(s.rhost, sizeof(s.rhost), "%s", rhost);
    s.created = s.last_used = created;
    s.expires = created + lifetime;
    s.idle = 0;
    pjwt_err_clear(&e);
    if (store_create(st, &s, hash, &e) != STORE_OK) {
        fprintf(stderr, "store_seed: %s: %s\n", id, e.msg);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    char spec[4200];
    struct store *st = NULL;
    int64_t now = (int64_t)time(NULL);
    pjwt_err e;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: store_seed PATH\n");
        return 2;
    }
    snprintf(spec, sizeof(spec), "sqlite:%s", argv[1]);
    pjwt_err_clear(&e);
    if (store_open(spec, geteuid(), NULL, &st, &e) != STORE_OK) {
        fprintf(stderr, "store_seed: %s\n", e.msg);
        return 1;
    }
    bad |= add(st, "aliceOne", "alice", "cli", "192.0.2.1", now - 300, 3600, 1);
    bad |= add(st, "bobTwo", "bob", "", "198.51.100.2", now - 200, 3600, 2);
    /* a client id with a terminal escape: jwtctl must not print it raw */
    bad |= add(st, "aliceThree", "alice", "evil\033[31m", "2001:db8::3",
               now - 100, 3600, 3);
    bad |= add(st, "aliceOld", "alice", "cli", "192.0.2.4", now - 10000, 3600,
               4);
    bad |= add(st, "carolGone", "carol", "cli", "192.0.2.5", now - 50, 3600, 5);
    if (!bad && store_revoke_id(st, "carolGone", &e) != STORE_OK) {
        fprintf(stderr, "store_seed: revoke: %s\n", e.msg);
        bad = 1;
    }
    store_close(st);
    return bad ? 1 : 0;
}
