/*
 * dlopen.c: load pam_jwt.so with RTLD_NOW (every symbol resolved up front,
 * as linux-pam tests/tst-dlopen.c does) and check what it exports: the
 * pam_sm_* entry points, and none of libpjwt's or the module's helpers.
 *
 *   dlopen MODULE      exit 0 when all is well, 1 with a message otherwise
 */
#include <dlfcn.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
    static const char *const want[] = {
        "pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt",
        "pam_sm_open_session", "pam_sm_close_session", "pam_sm_chauthtok",
    };
    static const char *const hidden[] = {
        "pjwt_verifier_new", "pjwt_jws_verify", "pjwt_b64url_decode",
        "pjm_conf_load", "pjm_replay_record", "pjm_log",
    };
    void *h;
    int bad = 0;

    if (argc != 2)
        return 2;
    h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (!dlsym(h, want[i])) {
            printf("missing %s\n", want[i]);
            bad = 1;
        }
    }
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        if (dlsym(h, hidden[i])) {
            printf("exported %s\n", hidden[i]);
            bad = 1;
        }
    }
    dlclose(h);
    printf("%s\n", bad ? "FAIL" : "ok");
    return bad;
}
