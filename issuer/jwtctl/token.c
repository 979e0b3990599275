/*
 * token.c: a fresh access token from the stored session (the refresh
 * grant): ctl_client_token for askpass and ssh, and `jwtctl token`.
 * Order matters: the rotated refresh token is stored before the access
 * token is handed out, because the old one is already dead at the issuer;
 * a crash between the two loses one access token, never the session.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "client.h"
#include "ctl.h"
#include "session_file.h"

static const char token_usage[] =
    "usage: jwtctl token [--audience A] [--issuer URL] [--json]\n"
    "\n"
    "Print a fresh access token (one line) from the session `jwtctl login`\n"
    "started, for audience A (default: the issuer's).  --json prints the\n"
    "issuer's whole answer instead, without the refresh token.\n"
    "\n"
    "exit status: 0 printed, 1 no session or the issuer refused, 2 usage.\n";
/*
 * The refresh grant under the session's lock.  *ans: the 200 answer with
 * access_token (new reference).  CTL_OK or CTL_FAIL (printed).
 */
static int
refresh(const char *issuer, const char *audience, json_t **ans)
{
    struct ctl_session_slot slot = { .dirfd = -1, .lockfd = -1 };
    struct ctl_client_conf c;
    struct ctl_session s;
    char iss[CTL_URL_MAX], url[CTL_URL_MAX + 16], desc[256];
    const char *err;
    char *form = NULL;
    json_t *a = NULL;
    long status = 0;
    int r = CTL_FAIL;

    *ans = NULL;
    memset(&s, 0, sizeof(s));
    ctl_json_cleansing();
    if (ctl_client_issuer(issuer, iss, sizeof(iss)) != 0)
        return CTL_FAIL;
    if (ctl_session_find(iss, &slot, &s) != 0)
        goto out;
    /* Ended by the clock: no need to ask the issuer, nor to keep it. */
    if ((s.expires && s.expires <= time(NULL)) ||
        (s.idle && s.last_used + s.idle <= time(NULL))) {
        ctl_session_remove(&slot);
        ctl_err("no session for %s: run jwtctl login (the session %s)", iss,
                s.expires && s.expires <= time(NULL) ? "expired"
                                                     : "was idle too long");
        goto out;
    }

    memset(&c, 0, sizeof(c));
    snprintf(c.cacert, sizeof(c.cacert), "%s", s.cacert);
    snprintf(url, sizeof(url), "%s/token", iss);
    if (ctl_form_add(&form, "grant_type", "refresh_token") != 0 ||
        ctl_form_add(&form, "refresh_token", s.refresh_token) != 0 ||
        (audience && ctl_form_add(&form, "audience", audience) != 0) ||
        (s.client_id[0] &&
         ctl_form_add(&form, "client_id", s.client_id) != 0)) {
        ctl_err("out of memory");
        goto out;
    }
    /* Network trouble and 5xx keep the file: the refresh token was
       never accepted, so it is still the live one. */
    if (ctl_http_post(&c, url, form, &status, &a) != 0)
        goto out;
    err = json_string_value(json_object_get(a, "error"));
    if (!ctl_answer_text(a, "error_description", desc, sizeof(desc)))
        snprintf(desc, sizeof(desc), "%s", err ? err : "no reason given");
    if (status == 400 && err && strcmp(err, "invalid_grant") == 0) {
        ctl_session_remove(&slot);
        ctl_err("no session for %s: run jwtctl login (%s)", iss, desc);
        goto out;
    }
    if (status != 200) {
        ctl_err("%s: HTTP %ld (%s)", iss, status, desc);
        goto out;
    }
    if (!json_string_value(json_object_get(a, "access_token"))) {
        /* The old refresh token may be spent; without a successor the
           session cannot go on. */
        ctl_err("%s: the answer has no access_token", iss);
        goto out;
    }
    if (ctl_session_update(&s, a, time(NULL)) != 0) {
        ctl_session_remove(&slot);
        ctl_err("%s: the refresh answer has no new refresh_token: run "
                "jwtctl login", iss);
        goto out;
    }
    if (ctl_session_store(&slot, &s) != 0)
        goto out;
    *ans = a;
    a = NULL;
    r = CTL_OK;
out:
    ctl_session_close(&slot);
    ctl_session_clear(&s);
    if (form)
        pjwt_secret_free(form, strlen(form));
    json_decref(a);
    return r;
}

int
ctl_client_token(const char *issuer, const char *audience, char **tok)
{
    json_t *ans = NULL;
    const char *t;

    *tok = NULL;
    if (refresh(issuer, audience, &ans) != CTL_OK)
        return CTL_FAIL;
    t = json_string_value(json_object_get(ans, "access_token"));
    *tok = strdup(t);
    json_decref(ans);
    if (!*tok) {
        ctl_err("out of memory");
        return CTL_FAIL;
    }
    return CTL_OK;
}

int
ctl_token(int argc, char **argv)
{
    static const struct option opts[] = {
        { "audience", required_argument, NULL, 'a' },
        { "issuer", required_argument, NULL, 'i' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *aud = NULL, *iss = NULL;
    json_t *ans = NULL;
    char *text = NULL;
    int ch, as_json = 0, r;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (ch) {
        case 'a': aud = optarg; break;
        case 'i': iss = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': fputs(token_usage, stdout); return CTL_OK;
        default: fputs(token_usage, stderr); return CTL_USAGE;
        }
    }
    if (optind != argc) {
        fputs(token_usage, stderr);
        return CTL_USAGE;
    }
    if ((r = refresh(iss, aud, &ans)) != CTL_OK)
        return r;
    if (as_json) {
        json_object_del(ans, "refresh_token");
        if (!(text = json_dumps(ans, JSON_COMPACT))) {
            json_decref(ans);
            ctl_err("out of memory");
            return CTL_FAIL;
        }
        printf("%s\n", text);
        pjwt_secret_free(text, strlen(text));
    } else {
        printf("%s\n", json_string_value(json_object_get(ans,
                                                         "access_token")));
    }
    json_decref(ans);
    return ctl_flush();
}
