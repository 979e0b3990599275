/*
 * alg.c: the JWS algorithms, one table row each (name, family, digest,
 * signature length), OpenSSH's keyimpls[] for JOSE.  Names are matched
 * exactly and case-sensitively; "none" has no row, so no spelling of it can
 * ever map to an algorithm.
 */
#include <string.h>

#include "alg.h"
#include "err.h"

/* Indexed by pjwt_alg.  md_len doubles as the HS tag length; ES R||S is
   twice the curve's coordinate length (32, 48, 66: P-521 rounds up). */
static const pjwt_alg_info table[PJWT_ALG_COUNT] = {
    [PJWT_ALG_HS256] = { PJWT_ALG_HS256, "HS256", PJWT_FAM_HS, "SHA256", 32, 32 },
    [PJWT_ALG_HS384] = { PJWT_ALG_HS384, "HS384", PJWT_FAM_HS, "SHA384", 48, 48 },
    [PJWT_ALG_HS512] = { PJWT_ALG_HS512, "HS512", PJWT_FAM_HS, "SHA512", 64, 64 },
    [PJWT_ALG_RS256] = { PJWT_ALG_RS256, "RS256", PJWT_FAM_RS, "SHA256", 32, 0 },
    [PJWT_ALG_RS384] = { PJWT_ALG_RS384, "RS384", PJWT_FAM_RS, "SHA384", 48, 0 },
    [PJWT_ALG_RS512] = { PJWT_ALG_RS512, "RS512", PJWT_FAM_RS, "SHA512", 64, 0 },
    [PJWT_ALG_PS256] = { PJWT_ALG_PS256, "PS256", PJWT_FAM_PS, "SHA256", 32, 0 },
    [PJWT_ALG_PS384] = { PJWT_ALG_PS384, "PS384", PJWT_FAM_PS, "SHA384", 48, 0 },
    [PJWT_ALG_PS512] = { PJWT_ALG_PS512, "PS512", PJWT_FAM_PS, "SHA512", 64, 0 },
    [PJWT_ALG_ES256] = { PJWT_ALG_ES256, "ES256", PJWT_FAM_ES, "SHA256", 32, 64 },
    [PJWT_ALG_ES384] = { PJWT_ALG_ES384, "ES384", PJWT_FAM_ES, "SHA384", 48, 96 },
    [PJWT_ALG_ES512] = { PJWT_ALG_ES512, "ES512", PJWT_FAM_ES, "SHA512", 64, 132 },
    [PJWT_ALG_EDDSA] = { PJWT_ALG_EDDSA, "EdDSA", PJWT_FAM_ED, NULL, 0, 64 },
    [PJWT_ALG_ED25519] = { PJWT_ALG_ED25519, "Ed25519", PJWT_FAM_ED, NULL, 0, 64 },
};

const pjwt_alg_info *
pjwt_alg_info_of(pjwt_alg alg)
{
    if ((int)alg <= PJWT_ALG_INVALID || (int)alg >= PJWT_ALG_COUNT)
        return NULL;
    return &table[alg];
}

pjwt_alg_family
pjwt_alg_family_of(pjwt_alg alg)
{
    const pjwt_alg_info *ai = pjwt_alg_info_of(alg);

    return ai ? ai->family : PJWT_FAM_NONE;
}

pjwt_algset
pjwt_algset_family(pjwt_alg_family family)
{
    pjwt_algset s = 0;

    for (int a = PJWT_ALG_INVALID + 1; a < PJWT_ALG_COUNT; a++)
        if (table[a].family == family && family != PJWT_FAM_NONE)
            s |= PJWT_ALGSET(a);
    return s;
}

pjwt_alg
pjwt_alg_from_name(const char *name, size_t len)
{
    if (!name)
        return PJWT_ALG_INVALID;
    for (int a = PJWT_ALG_INVALID + 1; a < PJWT_ALG_COUNT; a++) {
        /* Compare the length first: "HS256\0x" or "HS2" must not match. */
        if (strlen(table[a].name) == len && memcmp(table[a].name, name, len) == 0)
            return (pjwt_alg)a;
    }
    return PJWT_ALG_INVALID;
}

const char *
pjwt_alg_name(pjwt_alg alg)
{
    const pjwt_alg_info *ai = pjwt_alg_info_of(alg);

    return ai ? ai->name : NULL;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t';
}

int
pjwt_algset_parse(const char *list, pjwt_algset *out, struct pjwt_err *err)
{
    pjwt_algset set = 0;
    const char *p = list;

    if (!list || !out)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no list");
    /* Bounded by the string: every pass consumes at least one character
       or ends the loop. */
    for (;;) {
        const char *s, *e;
        pjwt_alg a;

        while (is_space(*p))
            p++;
        s = p;
        while (*p && *p != ',')
            p++;
        e = p;
        while (e > s && is_space(e[-1]))
            e--;
        if (e == s)
            return PJWT_FAIL(err, PJWT_ERR_ALG,
                             "empty algorithm in list");
        a = pjwt_alg_from_name(s, (size_t)(e - s));
        if (a == PJWT_ALG_INVALID)
            return PJWT_FAIL(err, PJWT_ERR_ALG,
                             "unknown algorithm \"%.*s\"",
                             (int)((e - s) > 32 ? 32 : (e - s)), s);
        set |= PJWT_ALGSET(a);
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    *out = set;
    return 0;
}
