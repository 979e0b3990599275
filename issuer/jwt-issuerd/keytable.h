/*
 * keytable.h: a bounded table of counters keyed by short strings, the one
 * store behind the rate limits (ratelimit.c) and the connection limits
 * (connlimit.c).  Chained hash, FNV-1a; no locking here: each user keeps
 * its table under its own mutex.
 */
#ifndef ISSUER_KEYTABLE_H
#define ISSUER_KEYTABLE_H

#include <stddef.h>

#define KEYTABLE_NBUCKETS 4096

struct kt_entry {
    struct kt_entry *next;
    double count;
    double stamp;               /* the user's: ratelimit's last update */
    char key[];
};

struct keytable {
    struct kt_entry *bucket[KEYTABLE_NBUCKETS];
    size_t n;
    size_t max;                 /* at most this many keys */
};

/* The entry for key; with create, a new zeroed one when absent.  NULL when
   absent (or, with create, when the table holds max keys or memory ran
   out). */
struct kt_entry *keytable_get(struct keytable *t, const char *key, int create);

/* Remove and free e (from keytable_get). */
void keytable_del(struct keytable *t, struct kt_entry *e);

/* Call drop on every entry; remove and free those it returns 1 for. */
void keytable_sweep(struct keytable *t, int (*drop)(struct kt_entry *e, void *ctx),
                    void *ctx);

#endif
