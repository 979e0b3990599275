/*
 * askpass.c: `jwtctl askpass PROMPT`, also run as `jwtctl-askpass PROMPT`
 * (a symlink to jwtctl, what SSH_ASKPASS and SUDO_ASKPASS name: ssh and
 * sudo run the askpass program with the prompt as its only argument and
 * read the answer from its stdout).
 *
 * Decision table (prompt_rules[] below; user and host are read from the
 * prompt, H is the host's audience name, see prompt_host()):
 *
 *   prompt                               answer
 *   "(U@HOST) Password: "  (ssh kbd-int) a token for audience(H)
 *   "(U@HOST) Token: "     (ssh kbd-int) a token for audience(H)
 *   "U@HOST's password: "  (ssh password) a token for audience(H)
 *   "Password: ", "Token: " (no host)    a token for audience($PAMJWT_SSH_HOST)
 *   "[sudo] password for U: "            a token for sudo_audience(this host)
 *   SSH_ASKPASS_PROMPT=none (a notice)   shown on /dev/tty, nothing answered
 *   anything else: host-key questions,   put to the user on /dev/tty (echo
 *   key passphrases, OTP prompts, and    on for yes/no questions); the
 *   a token prompt whose host cannot     user's own answer is printed; no
 *   be named (an IP address)             tty: exit 1, nothing printed
 *
 * This program never answers a question itself: a host key is the user's
 * decision (ssh passes "Are you sure you want to continue connecting
 * (yes/no/[fingerprint])?" to the askpass program when
 * SSH_ASKPASS_REQUIRE=force, without SSH_ASKPASS_PROMPT; OpenSSH 9.2
 * readpass.c sets SSH_ASKPASS_PROMPT=confirm only for agent confirmations,
 * whose empty answer means yes: the user answers those too).
 *
 * Which host a token is for.  `jwtctl ssh` sets PAMJWT_SSH_HOST (the
 * audience host it computed from the destination) and PAMJWT_SSH_HOSTNAME
 * (the name ssh puts in its prompts: HostKeyAlias, else HostName).  A
 * prompt naming PAMJWT_SSH_HOSTNAME is for PAMJWT_SSH_HOST.  A prompt naming
 * another host (a ProxyJump host asks first) gets a token for that host's
 * own short name, never the destination's: a token for web1 must not go to
 * a bastion.  A host that is an IP address names no audience: the user is
 * asked.
 *
 * A token is printed only here, on stdout (ssh's pipe), and cleansed; it
 * is never in argv, the environment or a message.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "ctl.h"
#include "client.h"

static const char askpass_usage[] =
    "usage: jwtctl askpass PROMPT\n"
    "       jwtctl-askpass PROMPT     (SSH_ASKPASS, SUDO_ASKPASS)\n"
    "\n"
    "For ssh's and sudo's password and token prompts, print a fresh token\n"
    "for the host's audience (client.conf audience, sudo_audience) from the\n"
    "session of `jwtctl login`.  Any other prompt (host keys, passphrases,\n"
    "codes) is put to the user on /dev/tty, and the user's answer printed.\n"
    "\n"
    "exit status: 0 answered, 1 no session, no terminal or no answer,\n"
    "2 usage.\n";

enum prompt_kind { PROMPT_OTHER, PROMPT_SSH, PROMPT_SUDO };

/*
 * The prompts answered with a token.  A pattern is literal text with %u
 * (a user name) and %h (a host: a name, an IPv4 address or a bare IPv6
 * address), each one or more characters up to the pattern's next literal
 * character; the whole prompt must match.
 */
static const struct {
    const char *pattern;
    enum prompt_kind kind;
} prompt_rules[] = {
    { "(%u@%h) Password: ", PROMPT_SSH },   /* ssh keyboard-interactive */
    { "(%u@%h) Token: ", PROMPT_SSH },      /* ... pam_jwt token_only */
    { "%u@%h's password: ", PROMPT_SSH },   /* ssh password */
    { "Password: ", PROMPT_SSH },           /* ssh before 8.x, su-like */
    { "Token: ", PROMPT_SSH },
    { "[sudo] password for %u: ", PROMPT_SUDO },
};

static int
user_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '$';
}

static int
host_char(int c)
{
    return isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':';
}

/* 1 when prompt matches pattern, the %h text (if any) copied to host. */
static int
prompt_match(const char *pattern, const char *prompt, char *host,
             size_t cap)
{
    const char *p = pattern, *s = prompt;

    host[0] = '\0';
    while (*p) {
        if (p[0] == '%' && (p[1] == 'u' || p[1] == 'h')) {
            int (*ok)(int) = p[1] == 'u' ? user_char : host_char;
            char stop = p[2]; /* the next literal: never a % here */
            const char *start = s;

            while (*s && *s != stop && ok((unsigned char)*s))
                s++;
            if (s == start)
                return 0;
            if (p[1] == 'h') {
                if ((size_t)(s - start) >= cap)
                    return 0;
                memcpy(host, start, (size_t)(s - start));
                host[s - start] = '\0';
            }
            p += 2;
        } else if (*p++ != *s++) {
            return 0;
        }
    }
    return *s == '\0';
}

static enum prompt_kind
prompt_classify(const char *prompt, char *host, size_t cap)
{
    size_t i;

    for (i = 0; i < sizeof(prompt_rules) / sizeof(prompt_rules[0]); i++) {
        if (prompt_match(prompt_rules[i].pattern, prompt, host, cap))
            return prompt_rules[i].kind;
    }
    host[0] = '\0';
    return PROMPT_OTHER;
}

static int
is_ip(const char *s)
{
    unsigned char a[16];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A host name as pam_jwt's %h sees its own: up to the first dot. */
static int
short_name(const char *name, char *out, size_t cap)
{
    size_t n = strcspn(name, ".");

    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, name, n);
    out[n] = '\0';
    return 0;
}

/* The audience host for an ssh prompt naming prompt_host ("" for none):
   0, or -1 when no host can be named. */
static int
prompt_host(const char *prompt_host, char *out, size_t cap)
{
    const char *env_host = getenv("PAMJWT_SSH_HOST");
    const char *env_name = getenv("PAMJWT_SSH_HOSTNAME");

    if (env_host && !*env_host)
        env_host = NULL;
    if (prompt_host[0] == '\0')
        return env_host ? short_name(env_host, out, cap) : -1;
    if (env_host && env_name && strcasecmp(prompt_host, env_name) == 0)
        return short_name(env_host, out, cap);
    if (is_ip(prompt_host))
        return -1;
    return short_name(prompt_host, out, cap);
}

static int
local_host(char *out, size_t cap)
{
    char h[256];

    if (gethostname(h, sizeof(h) - 1) != 0)
        return -1;
    h[sizeof(h) - 1] = '\0';
    return short_name(h, out, cap);
}

/* Print a token for tmpl expanded with host. */
static int
answer_token(const char *tmpl, const char *host)
{
    char aud[CTL_NAME_MAX], *tok = NULL;
    int r;

    if (ctl_audience_expand(tmpl, host, aud, sizeof(aud)) != 0) {
        ctl_err("askpass: audience template '%s' does not expand", tmpl);
        return CTL_FAIL;
    }
    /* ctl_client_token says why it failed ("no session ...: run jwtctl
       login"); ssh then fails this attempt (NumberOfPasswordPrompts=1). */
    if (ctl_client_token(NULL, aud, &tok) != CTL_OK || tok == NULL)
        return CTL_FAIL;
    printf("%s\n", tok);
    pjwt_secret_free(tok, strlen(tok));
    r = ctl_flush();
    return r;
}

/* The question of a multi-line prompt (ssh's host-key text ends in it). */
static const char *
last_line(const char *prompt)
{
    const char *nl;
    size_t n = strlen(prompt);

    while (n > 0 && prompt[n - 1] == '\n')
        n--;
    for (nl = prompt + n; nl > prompt && nl[-1] != '\n'; nl--)
        ;
    return nl;
}

/* Put prompt to the user; print the answer. */
static int
answer_user(const char *prompt)
{
    char buf[1024];
    int echo, r;

    /* A yes/no question is answered in the open; anything else may be a
       passphrase. */
    echo = strstr(prompt, "(yes/no") != NULL;
    if (ctl_tty_read(prompt, echo, buf, sizeof(buf)) != 0) {
        /* Say which question went unanswered: with ssh's host-key prompt
           the user sees why the connection failed. */
        ctl_err("askpass: not answered (no terminal): %s", last_line(prompt));
        return CTL_FAIL;
    }
    printf("%s\n", buf);
    explicit_bzero(buf, sizeof(buf));
    r = ctl_flush();
    return r;
}

/* SSH_ASKPASS_PROMPT=none: a notice ("Confirm user presence ..."); ssh
   ends this program when the notice is over and reads no answer. */
static int
show_notice(const char *prompt)
{
    FILE *tty = fopen("/dev/tty", "w");

    if (tty) {
        fprintf(tty, "%s\n", prompt);
        fclose(tty);
    }
    return CTL_OK;
}

int
ctl_askpass(int argc, char **argv)
{
    struct ctl_client_conf c;
    const char *prompt, *hint = getenv("SSH_ASKPASS_PROMPT");
    char phost[CTL_NAME_MAX], host[CTL_NAME_MAX];
    enum prompt_kind kind;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        fputs(askpass_usage, stdout);
        return CTL_OK;
    }
    if (argc != 2) {
        fputs(askpass_usage, stderr);
        return CTL_USAGE;
    }
    prompt = argv[1];
    if (hint && strcmp(hint, "none") == 0)
        return show_notice(prompt);
    /* A confirmation is a question for the user, whatever its text. */
    kind = hint ? PROMPT_OTHER : prompt_classify(prompt, phost, sizeof(phost));
    if (kind == PROMPT_SSH && prompt_host(phost, host, sizeof(host)) != 0)
        kind = PROMPT_OTHER;
    if (kind == PROMPT_SUDO && local_host(host, sizeof(host)) != 0)
        kind = PROMPT_OTHER;
    if (kind == PROMPT_OTHER)
        return answer_user(prompt);
    if (ctl_client_conf_load(&c) != 0)
        return CTL_FAIL;
    return answer_token(kind == PROMPT_SUDO ? c.sudo_audience : c.audience,
                        host);
}
