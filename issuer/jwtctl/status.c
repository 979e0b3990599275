/*
 * status.c: `jwtctl status`: what the stored session says, read locally
 * (no network: it must answer on a train, and says nothing the file does
 * not).  The refresh token is never shown.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "client.h"
#include "ctl.h"
#include "session_file.h"
#include "timefmt.h"

static const char status_usage[] =
    "usage: jwtctl status [--issuer URL]\n"
    "\n"
    "Show the stored session: user, issuer, session id, when it ends and\n"
    "when it ends if unused (last use + idle timeout).  No network.\n"
    "\n"
    "exit status: 0 a live session, 1 none (or ended), 2 usage.\n";

int
ctl_status(int argc, char **argv)
{
    struct ctl_session_slot slot = { .dirfd = -1, .lockfd = -1 };
    struct ctl_session s;
    char iss[CTL_URL_MAX], t1[PJWT_TIME_BUF], t2[PJWT_TIME_BUF];
    time_t now = time(NULL);
    int r, ended;

    memset(&s, 0, sizeof(s));
    ctl_json_cleansing();
    if ((r = ctl_issuer_args(argc, argv, status_usage, iss, sizeof(iss))) >= 0)
        return r;
    r = CTL_FAIL;
    if (ctl_session_find(iss, &slot, &s) != 0)
        goto out;
    ended = (s.expires && s.expires <= now) ||
            (s.idle && s.last_used + s.idle <= now);
    printf("user:       %s\n", s.user);
    printf("issuer:     %s\n", s.issuer);
    printf("session:    %s\n", s.session[0] ? s.session : "(unknown)");
    printf("expires:    %s\n", s.expires ?
           pjwt_time_fmt((double)s.expires, now, 0, t1, sizeof(t1)) :
           "(unknown)");
    printf("idle until: %s\n", s.idle ?
           pjwt_time_fmt((double)(s.last_used + s.idle), now, 0, t2,
                         sizeof(t2)) : "(no idle timeout)");
    if ((r = ctl_flush()) != CTL_OK)
        goto out;
    if (ended) {
        ctl_err("the session has ended: run jwtctl login");
        r = CTL_FAIL;
    }
out:
    ctl_session_close(&slot);
    ctl_session_clear(&s);
    return r;
}
