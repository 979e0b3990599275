/*
 * client.h: jwtctl as the user's client (login, token, logout, status,
 * askpass, ssh).  The pieces, one per file:
 *
 *   clientconf.c   ~/.config/pamjwt/client.conf, then /etc/pamjwt/client.conf
 *   http.c         POST a form with libcurl, TLS verified, JSON answer
 *   session_file.c the stored session: $XDG_RUNTIME_DIR/pamjwt/ (fallback
 *                  ~/.cache/pamjwt/), 0700 directory, 0600 files, atomic
 *   tty.c          a line from /dev/tty with echo off
 *   login.c token.c logout.c status.c askpass.c ssh.c   the verbs
 *
 * The wire (jwt-issuerd(8)):
 *   POST /token  grant_type=password&username=U&password=P[&otp=C]
 *                [&audience=A][&client_id=ID]
 *   POST /token  grant_type=refresh_token&refresh_token=RT[&audience=A]
 *                [&client_id=ID]
 *     200 {"access_token", "token_type":"Bearer", "expires_in",
 *          "refresh_token", "pamjwt_session" (id), "pamjwt_session_expires"
 *          (epoch), "pamjwt_session_idle" (seconds)}; every refresh answer
 *          carries a new refresh_token and the old one is dead.
 *     400 {"error":"invalid_grant", ...}: the session is over (expired,
 *          revoked, reused, the account refused): forget it.
 *     400 {"error":"invalid_grant", "pamjwt_prompt":"Verification code: "}:
 *          PAM asked a second prompt; ask the user, retry with otp.
 *   POST /revoke token=RT[&token_type_hint=refresh_token]   200 always
 *
 * A refresh token is a secret: it is never in argv, the environment or a
 * message; it lives in the session file and in memory that is cleansed.
 */
#ifndef PJWT_CTL_CLIENT_H
#define PJWT_CTL_CLIENT_H

#include <stddef.h>
#include <jansson.h>

#define CTL_URL_MAX 512
#define CTL_NAME_MAX 256

/* The client configuration (jwtctl(1) "CLIENT CONFIGURATION"); "" = unset. */
struct ctl_client_conf {
    char issuer[CTL_URL_MAX];         /* https://login.example.com */
    char audience[CTL_NAME_MAX];      /* ssh template, default "ssh:%h" */
    char sudo_audience[CTL_NAME_MAX]; /* sudo template, default "sudo:%h" */
    char cacert[CTL_URL_MAX];         /* a private CA's bundle (PEM) */
    char user[CTL_NAME_MAX];          /* default: the login name */
    char client_id[CTL_NAME_MAX];     /* OAuth client_id, "" for none */
    char path[CTL_URL_MAX];           /* the file read, "" when none */
};

/*
 * Fill c: defaults, then the first of $PAMJWT_CLIENT_CONF (tests, and
 * people with several issuers), ~/.config/pamjwt/client.conf and
 * /etc/pamjwt/client.conf that exists.  A file that is not safe to trust
 * (owned by another user than the caller or root, group/other writable)
 * or has a bad line is an error.  0, or -1 with a message printed.
 */
int ctl_client_conf_load(struct ctl_client_conf *c);

/* The issuer a verb works on: opt (--issuer) when given, else the client
   configuration's, normalized (ctl_issuer_norm) into out.  0, or -1 with
   a message (none configured, a bad URL, a bad client.conf). */
int ctl_client_issuer(const char *opt, char *out, size_t cap);

/* The command line of a verb whose only option is --issuer URL (logout,
   status): the issuer, as ctl_client_issuer finds it, into out.  -1 to go
   on; else the exit status to return (CTL_OK after --help, CTL_USAGE). */
int ctl_issuer_args(int argc, char **argv, const char *usage, char *out,
                    size_t cap);

/* Expand %h (host) and %% in an audience template into out: 0, or -1 when
   it does not fit or the template has another % sequence. */
int ctl_audience_expand(const char *tmpl, const char *host, char *out,
                        size_t cap);

/*
 * POST form (already encoded) to url with libcurl: TLS verification on,
 * c->cacert when set, http:// only to a loopback address, no redirects,
 * an answer of at most 64 KiB that must be a JSON object.  *status is the
 * HTTP status, *body the parsed answer (a new reference).  0, or -1 with a
 * message printed (no connection, TLS failure, not JSON).
 */
int ctl_http_post(const struct ctl_client_conf *c, const char *url,
                  const char *form, long *status, json_t **body);

/*
 * GET url with ctl_http_post's rules (TLS verified, no redirects, http://
 * only to loopback, timeouts); an answer larger than max bytes stops the
 * transfer and is an error.  *status is the HTTP status, *buf the answer
 * (malloc'd, NUL-terminated, *len bytes; free with pjwt_secret_free(buf,
 * len + 1)).  0, or -1 with a message printed.
 */
int ctl_http_get(const struct ctl_client_conf *c, const char *url, size_t max,
                 long *status, char **buf, size_t *len);

/* The rule ctl_http_post applies to a URL before connecting, for callers
   that want to refuse before asking for a password: 0 https, 1 http to a
   loopback address, -1 refused (message printed). */
int ctl_http_check_url(const char *url);

/* Append name=value, form-encoded (curl_easy_escape), to *form (a
   malloc'd string, NULL to start).  0, or -1 out of memory.  The old
   string is cleansed: it may hold a password. */
int ctl_form_add(char **form, const char *name, const char *value);

/* The string member name of an answer, with every byte that is not
   printable ASCII replaced by '?' (the issuer's words may reach a
   terminal), into buf[cap]: buf, or NULL when there is no such string. */
const char *ctl_answer_text(const json_t *body, const char *name, char *buf,
                            size_t cap);

/*
 * Read one line from /dev/tty after writing prompt there, echo off unless
 * echo; at most cap - 1 bytes, the newline dropped.  0, or -1 (no
 * terminal: message printed).
 */
int ctl_tty_read(const char *prompt, int echo, char *buf, size_t cap);

/* One line from fd (stdin for --password-stdin), read a byte at a time so
   nothing after the newline is consumed; the newline (and a CR before it)
   dropped.  0; 1 at end of input with nothing read; -1 on a read error or
   a line of cap bytes or more (message printed, names what). */
int ctl_fd_line(int fd, const char *what, char *buf, size_t cap);

/*
 * A fresh access token for audience (NULL: the issuer's default) from the
 * stored session of issuer (NULL: the client configuration's), refreshing
 * it under the session's lock and storing the rotated refresh token.  *tok
 * is malloc'd (free with pjwt_secret_free).  CTL_OK; CTL_FAIL with a
 * message ("no session for URL: run jwtctl login" when there is none or
 * it ended).  askpass and ssh use this, as `jwtctl token` does.
 */
int ctl_client_token(const char *issuer, const char *audience, char **tok);

int ctl_login(int argc, char **argv);
int ctl_token(int argc, char **argv);
int ctl_logout(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_askpass(int argc, char **argv);
int ctl_ssh(int argc, char **argv);

#endif
