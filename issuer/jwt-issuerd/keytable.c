/*
 * keytable.c: see keytable.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keytable.h"

static uint32_t
hash(const char *s)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % KEYTABLE_NBUCKETS;
}

struct kt_entry *
keytable_get(struct keytable *t, const char *key, int create)
{
    uint32_t h = hash(key);
    size_t len = strlen(key);
    struct kt_entry *e;

    for (e = t->bucket[h]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    if (!create || t->n >= t->max)
        return NULL;
    e = calloc(1, sizeof(*e) + len + 1);
    if (e == NULL)
        return NULL;
    memcpy(e->key, key, len + 1);
    e->next = t->bucket[h];
    t->bucket[h] = e;
    t->n++;
    return e;
}

void
keytable_del(struct keytable *t, struct kt_entry *e)
{
    struct kt_entry **pp = &t->bucket[hash(e->key)];

    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp == NULL)
        return;
    *pp = e->next;
    free(e);
    t->n--;
}

void
keytable_sweep(struct keytable *t, int (*drop)(struct kt_entry *e, void *ctx), void *ctx)
{
    size_t i;

    for (i = 0; i < KEYTABLE_NBUCKETS; i++) {
        struct kt_entry **pp = &t->bucket[i];

        while (*pp) {
            struct kt_entry *e = *pp;

            if (drop(e, ctx)) {
                *pp = e->next;
                free(e);
                t->n--;
            } else {
                pp = &e->next;
            }
        }
    }
}
