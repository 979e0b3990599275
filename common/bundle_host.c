/*
 * bundle_host.c: a checked bundle as the host's two files (the revoke.h
 * text and jwks.json with "pamjwt_trust"), and that member read back for
 * max_trust_age and jwtctl sync's rollback rule.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_impl.h"
#include "fileio.h"
#include "json.h"

char *
pjwt_bundle_revoked_text(const pjwt_bundle *b, pjwt_err *err)
{
    /* "sub " NAME " before " EPOCH "\n" */
    const size_t line_max = PJWT_BUNDLE_MAX_NAME + 40;
    const json_t *e, *v;
    char *text;
    size_t i, cap, used;

    if (!b || !b->iss || !json_is_array(b->revoked)) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no checked bundle");
        return NULL;
    }
    cap = PJWT_BUNDLE_ISS_MAX + 128 + json_array_size(b->revoked) * line_max;
    if (!(text = malloc(cap))) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* iss passed name_ok: it cannot end the comment line. */
    used = (size_t)snprintf(text, cap, "# trust bundle version %lld of %s, "
                            "signed at %lld, by jwtctl sync\n", b->version,
                            b->iss, b->iat);
    json_array_foreach(b->revoked, i, e) {
        if ((v = json_object_get(e, "jti")))
            used += (size_t)snprintf(text + used, cap - used, "jti %s\n",
                                     json_string_value(v));
        else if (!(v = json_object_get(e, "before")))
            used += (size_t)snprintf(text + used, cap - used, "sub %s\n",
                                     json_string_value(
                                         json_object_get(e, "sub")));
        else
            used += (size_t)snprintf(text + used, cap - used,
                                     "sub %s before %lld\n",
                                     json_string_value(
                                         json_object_get(e, "sub")),
                                     (long long)json_integer_value(v));
    }
    return text;
}

json_t *
pjwt_bundle_host_jwks(const pjwt_bundle *b, pjwt_err *err)
{
    json_t *j;

    if (!b || !b->iss || !b->jwks) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no checked bundle");
        return NULL;
    }
    j = json_pack("{s:O, s:{s:s, s:I, s:I, s:I}}",
                  "keys", json_object_get(b->jwks, "keys"),
                  "pamjwt_trust", "iss", b->iss,
                  "version", (json_int_t)b->version,
                  "iat", (json_int_t)b->iat, "exp", (json_int_t)b->exp);
    if (!j)
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    return j;
}

int
pjwt_trust_info_load(const char *path, unsigned flags, pjwt_trust_info *out,
                     pjwt_err *err)
{
    static const char *const members[] = {
        "iss", "version", "iat", "exp", NULL
    };
    uint8_t *buf = NULL;
    size_t len = 0;
    json_t *j = NULL;
    const json_t *t;
    const char *iss;
    pjwt_err e;
    pjwt_trust_info ti;
    int r = PJWT_ERR_INTERNAL;

    if (!path || !out) {
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
        goto out;
    }
    memset(out, 0, sizeof(*out));
    if ((r = pjwt_file_read(path, PJWT_KEYS_MAX_FILE, flags, &buf, &len,
                            err)) != 0)
        goto out;
    pjwt_err_clear(&e);
    if (!(j = pjwt_json_parse_object((const char *)buf, len,
                                     PJWT_KEYS_MAX_FILE, &e))) {
        r = PJWT_FAIL(err, pjwt_err_code(&e), "%s: %s", path, e.msg);
        goto out;
    }
    if (!(t = json_object_get(j, "pamjwt_trust"))) {
        r = PJWT_FAIL(err, PJWT_ERR_MISSING, "%s: no pamjwt_trust (not "
                      "installed by jwtctl sync)", path);
        goto out;
    }
    pjwt_err_clear(&e);
    if (!json_is_object(t)
        || pjwt_bundle_only_members(t, members, "pamjwt_trust", &e) != 0
        || pjwt_bundle_get_name(t, "iss", "pamjwt_trust", PJWT_BUNDLE_ISS_MAX,
                                &iss, &e) != 0
        || pjwt_bundle_get_int(t, "version", "pamjwt_trust", 1, &ti.version,
                               &e) != 0
        || pjwt_bundle_get_int(t, "iat", "pamjwt_trust", 0, &ti.iat, &e) != 0
        || pjwt_bundle_get_int(t, "exp", "pamjwt_trust", 0, &ti.exp, &e) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE, "%s: %s", path,
                      e.code ? e.msg : "pamjwt_trust is not an object");
        goto out;
    }
    snprintf(ti.iss, sizeof(ti.iss), "%s", iss);
    *out = ti;
    r = 0;
out:
    json_decref(j);
    pjwt_file_free(buf, len);
    return r;
}

