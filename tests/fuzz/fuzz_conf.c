/*
 * fuzz_conf: the one `key = value` parser, as a config file
 * (pjwt_conf_parse_buf) and as PAM module arguments (pjwt_conf_parse_args,
 * the input split at '\n' into argv), with pjwt_verifier_set as the set
 * function the way pam_jwt.so and jwtctl use it; module-only options are
 * accepted by a wrapper as the module would.  Then the audience is
 * expanded and the accessors read.  Key files are never read: set does
 * not open files and prepare is not called.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alg.h"
#include "conf.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static int
set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    static const char *module_opts[] = {
        "config", "one_time", "replay_dir", "prompt", "use_first_pass",
        "try_first_pass", "token_only", "export_claims", "debug",
    };
    long l;
    int b, r;
    size_t i;

    if (!key || !*key)
        abort();    /* the parser never hands out an empty key */
    r = pjwt_verifier_set(ctx, key, value, err);
    if (r != PJWT_ERR_UNKNOWN_OPT)
        return r;
    for (i = 0; i < sizeof(module_opts) / sizeof(module_opts[0]); i++) {
        if (strcmp(key, module_opts[i]) == 0) {
            /* Drive the value helpers too; the module's own checks of
               these options are not what is fuzzed here. */
            if (value)
                (void)pjwt_conf_long(key, value, 0, 86400, &l, NULL);
            (void)pjwt_conf_bool(key, value, &b, NULL);
            return 0;
        }
    }
    return r;
}

static void
check(pjwt_verifier *v)
{
    const char *s;

    if (pjwt_verifier_expand_audience(v, "host", "host.example", "sshd", NULL) == 0) {
        s = pjwt_verifier_audience(v);
        if (s)
            (void)strlen(s);
    }
    (void)pjwt_verifier_expand_audience(v, NULL, NULL, NULL, NULL);
    s = pjwt_verifier_issuer(v);
    if (s)
        (void)strlen(s);
    (void)pjwt_verifier_max_token_length(v);
    (void)pjwt_verifier_algorithms(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *argv[MAX_ARGS];
    pjwt_verifier *v;
    pjwt_algset as;
    pjwt_err e;
    char *copy;
    int argc = 0;
    size_t i, start = 0;

    v = pjwt_verifier_new();
    if (!v)
        return 0;
    (void)pjwt_conf_parse_buf("fuzz.conf", (const char *)data, size, set, v, &e);
    check(v);
    pjwt_verifier_free(v);

    /* argv: NUL-terminated pieces of one copy (NULs inside end a piece
       early, as they would in a real argv). */
    copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0; i <= size && argc < MAX_ARGS; i++) {
        if (i == size || copy[i] == '\n') {
            copy[i] = '\0';
            argv[argc++] = copy + start;
            start = i + 1;
        }
    }
    v = pjwt_verifier_new();
    if (v) {
        (void)pjwt_conf_parse_args(argc, argv, set, v, &e);
        check(v);
        pjwt_verifier_free(v);
    }
    (void)pjwt_algset_parse(copy, &as, NULL);
    free(copy);
    return 0;
}
