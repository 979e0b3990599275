/*
 * bundle_name.c: the rule for a name a trust bundle carries (bundle.h
 * pjwt_bundle_name_ok), apart from the rest of bundle.c so that the
 * issuer's store (issuer/sessions) can check what it is given with the
 * very rule every host will apply.
 */
#include <string.h>

#include "bundle.h"

int
pjwt_bundle_name_ok(const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0' || s[0] == '#')
        return 0;
    /* Blanks would split a revoke.h line; control bytes reach terminals. */
    for (i = 0; s[i] != '\0'; i++)
        if (i >= PJWT_BUNDLE_MAX_NAME || (unsigned char)s[i] < 0x21
            || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}
