/*
 * logout.c: `jwtctl logout`: revoke the session at the issuer (RFC 7009
 * POST /revoke), then forget it.  The local copy goes even when the issuer
 * cannot be reached: the user asked for it gone, and a refresh token left
 * on disk is the one thing logout exists to remove.
 */
#include <stdio.h>
#include <string.h>
#include "client.h"
#include "ctl.h"
#include "session_file.h"

static const char logout_usage[] =
    "usage: jwtctl logout [--issuer URL]\n"
    "\n"
    "End the session at the issuer and remove it here.  When the issuer\n"
    "cannot be reached the local session is removed anyway (and exit 1\n"
    "says the issuer did not hear of it: it ends at its expiry).\n"
    "\n"
    "exit status: 0 logged out, 1 no session or not revoked, 2 usage.\n";

int
ctl_logout(int argc, char **argv)
{
    struct ctl_session_slot slot = { .dirfd = -1, .lockfd = -1 };
    struct ctl_client_conf c;
    struct ctl_session s;
    char iss[CTL_URL_MAX], url[CTL_URL_MAX + 16];
    char *form = NULL;
    json_t *ans = NULL;
    long status = 0;
    int rc, r;

    memset(&s, 0, sizeof(s));
    ctl_json_cleansing();
    if ((r = ctl_issuer_args(argc, argv, logout_usage, iss, sizeof(iss))) >= 0)
        return r;
    r = CTL_FAIL;
    if (ctl_session_find(iss, &slot, &s) != 0)
        goto out;

    memset(&c, 0, sizeof(c));
    snprintf(c.cacert, sizeof(c.cacert), "%s", s.cacert);
    snprintf(url, sizeof(url), "%s/revoke", iss);
    if (ctl_form_add(&form, "token", s.refresh_token) != 0 ||
        ctl_form_add(&form, "token_type_hint", "refresh_token") != 0 ||
        (s.client_id[0] &&
         ctl_form_add(&form, "client_id", s.client_id) != 0)) {
        ctl_err("out of memory");
        goto out;
    }
    rc = ctl_http_post(&c, url, form, &status, &ans);
    if (ctl_session_remove(&slot) != 0)
        goto out;
    if (rc != 0 || status != 200) {
        if (rc == 0)
            ctl_err("%s: revoke answered HTTP %ld", iss, status);
        ctl_err("the session was NOT revoked at %s (it ends at its expiry); "
                "removed here", iss);
        goto out;
    }
    fprintf(stderr, "logged out of %s\n", iss);
    r = CTL_OK;
out:
    ctl_session_close(&slot);
    ctl_session_clear(&s);
    if (form)
        pjwt_secret_free(form, strlen(form));
    json_decref(ans);
    return r;
}
