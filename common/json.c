/*
 * json.c: strict JSON reading over jansson for JOSE headers, claims and
 * JWKs.  jansson does the parsing; this file only adds the limits JOSE
 * needs on top: duplicate members refused (a verifier and a signer must
 * never disagree on which "alg" or "sub" counts), bounded size and depth,
 * no NUL inside strings (C consumers would see a shorter string than the
 * signer meant), and an object at the top.
 */
#include <math.h>
#include <string.h>

#include "json.h"

/* 2^53: larger integers are not exact in a double, so dates beyond it
   could compare wrongly. */
#define DATE_MAX 9007199254740992.0

/* Bounded recursion: stops descending as soon as depth passes the limit,
   and jansson itself caps nesting while parsing. */
static int
depth_ok(json_t *j, int depth)
{
    if (depth > PJWT_JSON_MAX_DEPTH)
        return 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;

        json_object_foreach(j, k, v) {
            (void)k;
            if ((json_is_object(v) || json_is_array(v))
                && !depth_ok(v, depth + 1))
                return 0;
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;

        json_array_foreach(j, i, v) {
            if ((json_is_object(v) || json_is_array(v))
                && !depth_ok(v, depth + 1))
                return 0;
        }
    }
    return 1;
}

/* A fixed description of a jansson error code. */
static const char *
reason(enum json_error_code code)
{
    switch (code) {
    case json_error_out_of_memory:           return "out of memory";
    case json_error_stack_overflow:          return "nested too deeply";
    case json_error_invalid_utf8:            return "invalid UTF-8";
    case json_error_premature_end_of_input:  return "truncated";
    case json_error_end_of_input_expected:   return "trailing data";
    case json_error_invalid_syntax:          return "syntax error";
    case json_error_null_character:          return "\\u0000 in a string";
    case json_error_null_byte_in_key:        return "NUL in a member name";
    case json_error_duplicate_key:           return "duplicate member name";
    case json_error_numeric_overflow:        return "number out of range";
    default:                                 return "not valid JSON";
    }
}

/* The one strict parse under both entry points: an object, or with
   array set an array, at the top. */
static json_t *
parse_top(const char *buf, size_t len, size_t max_size, int array,
          pjwt_err *err)
{
    json_error_t jerr;
    json_t *j = NULL, *ret = NULL;
    enum json_error_code code;

    if (!buf) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no buffer");
        goto out;
    }
    if (max_size == 0)
        max_size = PJWT_JSON_MAX_SIZE;
    if (len > max_size) {
        PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                  "JSON of %zu bytes over limit %zu", len, max_size);
        goto out;
    }
    /* A raw NUL is invalid JSON anyway; refuse it before jansson so the
       reason is clear.  "\u0000" is refused by jansson itself, because
       JSON_ALLOW_NUL is not passed. */
    if (memchr(buf, '\0', len)) {
        PJWT_FAIL(err, PJWT_ERR_JSON, "NUL byte in JSON");
        goto out;
    }
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        /* jerr.text may quote the input ("near 'alice'"); messages never
           carry token content, so only a fixed reason and the offset. */
        code = json_error_code(&jerr);
        PJWT_FAIL(err, code == json_error_out_of_memory ? PJWT_ERR_NOMEM
                                                        : PJWT_ERR_JSON,
                  "invalid JSON at offset %d: %s", jerr.position,
                  reason(code));
        goto out;
    }
    if (array ? !json_is_array(j) : !json_is_object(j)) {
        PJWT_FAIL(err, PJWT_ERR_JSON, "JSON is not an %s",
                  array ? "array" : "object");
        goto out;
    }
    if (!depth_ok(j, 1)) {
        PJWT_FAIL(err, PJWT_ERR_JSON,
                  "JSON nested deeper than %d", PJWT_JSON_MAX_DEPTH);
        goto out;
    }
    ret = j;
    j = NULL;
out:
    json_decref(j);
    return ret;
}

json_t *
pjwt_json_parse_object(const char *buf, size_t len, size_t max_size,
                       pjwt_err *err)
{
    return parse_top(buf, len, max_size, 0, err);
}

json_t *
pjwt_json_parse_array(const char *buf, size_t len, size_t max_size,
                      pjwt_err *err)
{
    return parse_top(buf, len, max_size, 1, err);
}

/* The member name of obj into *v: PJWT_ERR_MISSING when absent. */
static int
member(const json_t *obj, const char *name, const void *out, const json_t **v,
       pjwt_err *err)
{
    if (!obj || !name || !out)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    *v = json_object_get(obj, name);
    if (!*v)
        return PJWT_FAIL(err, PJWT_ERR_MISSING, "\"%s\" absent", name);
    return 0;
}

int
pjwt_json_get_date(const json_t *obj, const char *name, double *out,
                   pjwt_err *err)
{
    const json_t *v;
    double d;
    int r;

    if ((r = member(obj, name, out, &v, err)) != 0)
        return r;
    /* Strings such as "1700000000" are not NumericDates (RFC 7519 2). */
    if (!json_is_number(v))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "\"%s\" is not a number", name);
    d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d >= DATE_MAX)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "\"%s\" out of range", name);
    *out = d;
    return 0;
}

int
pjwt_json_get_string(const json_t *obj, const char *name,
                     const char **out, size_t *len, pjwt_err *err)
{
    const json_t *v;
    int r;

    if ((r = member(obj, name, out, &v, err)) != 0)
        return r;
    if (!json_is_string(v))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "\"%s\" is not a string", name);
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return 0;
}
