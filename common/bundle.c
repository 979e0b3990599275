/*
 * bundle.c: the trust bundle (bundle.h).  On this branch (key_dir mode)
 * only the key state names, which the issuer's JWKS and `jwtctl keys list`
 * print: the bundle branch's bundle.c holds these same two functions and
 * the rest, and replaces this file when the branches meet.
 */
#include <string.h>
#include "bundle.h"

static const char *const state_names[] = {
    NULL, "next", "current", "retiring", "published"
};

const char *
pjwt_key_state_name(pjwt_key_state s)
{
    return (int)s > 0 && (size_t)s < sizeof(state_names) / sizeof(state_names[0])
           ? state_names[s] : NULL;
}

pjwt_key_state
pjwt_key_state_parse(const char *s)
{
    size_t i;

    for (i = 1; s != NULL && i < sizeof(state_names) / sizeof(state_names[0]); i++)
        if (strcmp(s, state_names[i]) == 0)
            return (pjwt_key_state)i;
    return 0;
}
