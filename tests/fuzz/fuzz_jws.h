/*
 * fuzz_jws.h: the body shared by the JWS fuzz targets (fuzz_jws_hs.c,
 * fuzz_jws_ec.c).  Each input is run down the path pam_jwt.so takes:
 *
 *   - as a compact token: pjwt_jws_parse, then pjwt_jws_verify against the
 *     target's keyset (with "what the keys allow" and with a narrow
 *     allowlist), then pjwt_claims_check on whatever verified;
 *   - when it starts with '{': as a claims object, which the target signs
 *     itself with its private key, so that fuzzed claims also reach
 *     pjwt_claims_check through a token that really verifies.
 *
 * Invariants checked (abort() makes libFuzzer report them like a crash):
 * a token that verifies has alg in the allowlist and among the key's algs;
 * "none" never verifies; a failed verify leaves *out cleared.
 */
#ifndef FUZZ_JWS_H
#define FUZZ_JWS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alg.h"
#include "claims.h"
#include "err.h"
#include "json.h"
#include "jws.h"
#include "keys.h"
#include "fuzz_keys.h"

/* Touch every byte of the report strings so ASan sees bad pointers. */
static void
fuzz_report(void *arg, const char *check, int rc, const char *detail)
{
    size_t *n = arg;

    *n += strlen(check) + (detail ? strlen(detail) : 0) + (rc != 0);
}

static void
fuzz_claims(const json_t *claims)
{
    static const pjwt_claim_req req[] = {
        { "groups", "wheel" }, { "amr", "pwd" },
    };
    pjwt_policy p;
    pjwt_err e;
    size_t n = 0;
    int r;

    pjwt_policy_init(&p);
    p.issuer = "https://issuer.example";
    p.audience = "pam-host";
    p.expected_user = "alice";
    p.max_lifetime = 3600;
    p.required = req;
    p.n_required = 1;
    r = pjwt_claims_check(claims, &p, FUZZ_NOW, &e);
    if (r > 0)
        abort();

    /* Every check reported, other user claim, both required claims,
       optional exp, a huge leeway (overflow paths). */
    p.report = fuzz_report;
    p.report_arg = &n;
    p.user_claim = "preferred_username";
    p.n_required = 2;
    p.exp_optional = 1;
    p.leeway = 0x7fffffffL;
    (void)pjwt_claims_check(claims, &p, FUZZ_NOW, &e);
    p.leeway = 0;
    p.max_lifetime = 1;
    (void)pjwt_claims_check(claims, &p, (time_t)0, NULL);
}

static int
is_none(const pjwt_token *t)
{
    const char *a = NULL;
    size_t len = 0;

    if (pjwt_json_get_string(t->header, "alg", &a, &len, NULL) != 0)
        return 0;
    return len == 4 && strncasecmp(a, "none", 4) == 0;
}

static void
fuzz_token(pjwt_keyset *ks, pjwt_algset narrow, const char *buf, size_t len)
{
    pjwt_token t = { 0 };
    pjwt_err e;
    int r;

    if (pjwt_jws_parse(buf, len, 0, &t, &e) == 0) {
        if (!t.header || !t.claims)
            abort();
        fuzz_claims(t.claims);
    }
    pjwt_token_clear(&t);

    r = pjwt_jws_verify(buf, len, 0, ks, 0, &t, &e);
    if (getenv("FUZZ_DEBUG"))   /* replay_* FILE: why did it (not) verify */
        fprintf(stderr, "verify: %d %s\n", r, r ? e.msg : "ok");
    if (r == 0) {
        if (is_none(&t) || !t.key || !(pjwt_key_algs(t.key) & PJWT_ALGSET(t.alg)))
            abort();
        fuzz_claims(t.claims);
    } else if (t.header || t.claims || t.key) {
        abort();    /* a failure must leave *out cleared */
    }
    pjwt_token_clear(&t);

    r = pjwt_jws_verify(buf, len, 1024, ks, narrow, &t, NULL);
    if (r == 0 && !(narrow & PJWT_ALGSET(t.alg)))
        abort();
    pjwt_token_clear(&t);
}

static void
fuzz_signed_claims(pjwt_keyset *ks, pjwt_key *key, pjwt_alg alg,
                   const char *buf, size_t len)
{
    json_t *claims = NULL, *hdr = NULL;
    pjwt_token t = { 0 };
    char *tok = NULL;

    claims = pjwt_json_parse_object(buf, len, 0, NULL);
    if (!claims)
        return;
    /* The claims object doubles as extra header members (kid, typ,
       crit...): the signer must produce something the verifier judges. */
    hdr = json_deep_copy(claims);
    tok = pjwt_jws_sign(key, alg, NULL, claims, NULL);
    if (!tok)
        abort();    /* any strict JSON object must be signable */
    /* What we signed with a loaded key must verify.  Small inputs only:
       re-serialised numbers ("1e5" -> "100000.0") may outgrow the limits. */
    if (pjwt_jws_verify(tok, strlen(tok), 1u << 20, ks, 0, &t, NULL) != 0 &&
        len < 2048)
        abort();
    fuzz_claims(t.claims);
    pjwt_token_clear(&t);
    free(tok);

    tok = pjwt_jws_sign(key, alg, hdr, claims, NULL);
    if (tok) {
        (void)pjwt_jws_verify(tok, strlen(tok), 0, ks, 0, &t, NULL);
        pjwt_token_clear(&t);
        free(tok);
    }
    json_decref(hdr);
    json_decref(claims);
}

#endif
