/*
 * login.c: `jwtctl login`: the password grant that starts a session.  The
 * password comes from the terminal with echo off, or as one line of stdin
 * (--password-stdin, for scripts); never from argv or the environment,
 * which other users may read in /proc.  A second PAM prompt (an OTP) comes
 * back as 400 invalid_grant with pamjwt_prompt: it is asked the same way
 * and the grant is repeated with otp=CODE.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "client.h"
#include "ctl.h"
#include "session_file.h"
#include "timefmt.h"

#define SECRET_MAX 1024

static const char login_usage[] =
    "usage: jwtctl login [--issuer URL] [-u USER] [--password-stdin]\n"
    "                    [--cacert FILE]\n"
    "\n"
    "Log in to the issuer with your password (asked on the terminal, echo\n"
    "off; with --password-stdin the first line of stdin, and a verification\n"
    "code, when the issuer asks for one, the second) and keep the session\n"
    "it starts, so `jwtctl token` can fetch short-lived tokens without the\n"
    "password.  Defaults come from the client configuration (jwtctl(1)).\n"
    "\n"
    "exit status: 0 logged in, 1 refused or failed, 2 usage.\n";

/* The password grant once: 0 with *ans the answer and *status its code,
   -1 failed (printed). */
static int
grant(const struct ctl_client_conf *c, const char *url, const char *pw,
      const char *otp, long *status, json_t **ans)
{
    char *form = NULL;
    int r = -1;

    if (ctl_form_add(&form, "grant_type", "password") != 0 ||
        ctl_form_add(&form, "username", c->user) != 0 ||
        ctl_form_add(&form, "password", pw) != 0 ||
        (otp && ctl_form_add(&form, "otp", otp) != 0) ||
        (c->client_id[0] && ctl_form_add(&form, "client_id",
                                         c->client_id) != 0)) {
        ctl_err("out of memory");
        goto out;
    }
    r = ctl_http_post(c, url, form, status, ans);
out:
    if (form)
        pjwt_secret_free(form, strlen(form));
    return r;
}

/* One secret: from stdin when asked to (a missing line falls back to the
   terminal only for the second prompt), else the terminal. */
static int
ask(const char *prompt, int from_stdin, int stdin_may_end, char *buf,
    size_t cap)
{
    int rc;

    if (from_stdin) {
        rc = ctl_fd_line(STDIN_FILENO, "stdin", buf, cap);
        if (rc == 0)
            return 0;
        if (rc < 0)
            return -1;
        if (!stdin_may_end) {
            ctl_err("stdin: no password line");
            return -1;
        }
    }
    return ctl_tty_read(prompt, 0, buf, cap);
}

int
ctl_login(int argc, char **argv)
{
    static const struct option opts[] = {
        { "issuer", required_argument, NULL, 'i' },
        { "user", required_argument, NULL, 'u' },
        { "password-stdin", no_argument, NULL, 's' },
        { "cacert", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl_client_conf c;
    struct ctl_session_slot slot = { .dirfd = -1, .lockfd = -1 };
    struct ctl_session s;
    char pw[SECRET_MAX], otp[SECRET_MAX], prompt[CTL_URL_MAX + CTL_NAME_MAX + 32];
    char iss[CTL_URL_MAX], url[CTL_URL_MAX + 16], desc[256], t1[PJWT_TIME_BUF];
    const char *opt_iss = NULL, *opt_user = NULL, *opt_ca = NULL, *err;
    json_t *ans = NULL;
    long status = 0;
    int ch, from_stdin = 0, have_otp = 0, r = CTL_FAIL;

    memset(&s, 0, sizeof(s));
    ctl_json_cleansing();
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+u:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i': opt_iss = optarg; break;
        case 'u': opt_user = optarg; break;
        case 's': from_stdin = 1; break;
        case 'c': opt_ca = optarg; break;
        case 'h': fputs(login_usage, stdout); return CTL_OK;
        default: fputs(login_usage, stderr); return CTL_USAGE;
        }
    }
    if (optind != argc) {
        fputs(login_usage, stderr);
        return CTL_USAGE;
    }
    if (ctl_client_conf_load(&c) != 0)
        return CTL_USAGE;
    if ((opt_iss && snprintf(c.issuer, sizeof(c.issuer), "%s", opt_iss) >=
                    (int)sizeof(c.issuer)) ||
        (opt_user && snprintf(c.user, sizeof(c.user), "%s", opt_user) >=
                     (int)sizeof(c.user)) ||
        (opt_ca && snprintf(c.cacert, sizeof(c.cacert), "%s", opt_ca) >=
                   (int)sizeof(c.cacert))) {
        ctl_err("an option's value is too long");
        return CTL_USAGE;
    }
    if (!c.issuer[0]) {
        ctl_err("no issuer: give --issuer URL or set issuer in client.conf");
        return CTL_USAGE;
    }
    if (!c.user[0]) {
        ctl_err("no user name: give -u USER");
        return CTL_USAGE;
    }
    if (ctl_issuer_norm(c.issuer, iss, sizeof(iss)) != 0)
        return CTL_USAGE;
    snprintf(url, sizeof(url), "%s/token", iss);
    if (ctl_http_check_url(url) < 0)
        return CTL_FAIL;

    /* The session directory is judged before the password is asked: a
       refusal after typing it would only waste it. */
    if (ctl_session_open(iss, 1, &slot) != 0)
        return CTL_FAIL;
    ctl_session_close(&slot);

    snprintf(prompt, sizeof(prompt), "Password for %s@%s: ", c.user, iss);
    if (ask(prompt, from_stdin, 0, pw, sizeof(pw)) != 0)
        goto out;
    for (;;) {
        if (grant(&c, url, pw, have_otp ? otp : NULL, &status, &ans) != 0)
            goto out;
        err = json_string_value(json_object_get(ans, "error"));
        /* A second prompt, asked once: a wrong code is a refused login. */
        if (status == 400 && !have_otp && err &&
            strcmp(err, "invalid_grant") == 0 &&
            ctl_answer_text(ans, "pamjwt_prompt", prompt, sizeof(prompt))) {
            json_decref(ans);
            ans = NULL;
            if (ask(prompt, from_stdin, 1, otp, sizeof(otp)) != 0)
                goto out;
            have_otp = 1;
            continue;
        }
        break;
    }
    if (status != 200) {
        if (!ctl_answer_text(ans, "error_description", desc, sizeof(desc)))
            snprintf(desc, sizeof(desc), "%s", err ? err : "no reason given");
        if (status == 400 && err && strcmp(err, "invalid_grant") == 0)
            ctl_err("login refused");
        else if (status == 429)
            ctl_err("%s: too many attempts, try again later (%s)", iss, desc);
        else if (status == 503)
            ctl_err("%s: unavailable, try again later (%s)", iss, desc);
        else
            ctl_err("%s: HTTP %ld (%s)", iss, status, desc);
        goto out;
    }
    if (!json_string_value(json_object_get(ans, "refresh_token"))) {
        ctl_err("%s did not start a session (session_lifetime = 0?)", iss);
        goto out;
    }

    snprintf(s.issuer, sizeof(s.issuer), "%s", iss);
    snprintf(s.user, sizeof(s.user), "%s", c.user);
    snprintf(s.cacert, sizeof(s.cacert), "%s", c.cacert);
    snprintf(s.client_id, sizeof(s.client_id), "%s", c.client_id);
    if (ctl_session_update(&s, ans, time(NULL)) != 0 ||
        ctl_session_open(iss, 1, &slot) != 0 ||
        ctl_session_store(&slot, &s) != 0)
        goto out;
    if (s.expires)
        pjwt_time_fmt((double)s.expires, time(NULL), 0, t1, sizeof(t1));
    else
        snprintf(t1, sizeof(t1), "unknown");
    fprintf(stderr, "logged in as %s at %s; session until %s (idle %llds)\n",
            s.user, iss, t1, s.idle);
    r = CTL_OK;
out:
    ctl_session_close(&slot);
    ctl_session_clear(&s);
    json_decref(ans);
    OPENSSL_cleanse(pw, sizeof(pw));
    OPENSSL_cleanse(otp, sizeof(otp));
    return r;
}
