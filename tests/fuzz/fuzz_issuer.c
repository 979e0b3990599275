/*
 * fuzz_issuer: jwt-issuerd's request handling, the whole of it below the
 * socket layer: the real issuer objects (everything but main.c) run
 * in-process, a real libmicrohttpd daemon serves a loopback socket of ours
 * through http_start(), and each input is written as raw bytes on a fresh
 * connection (request line, headers, body: form bodies, HTTP Basic,
 * X-Forwarded-For from a trusted proxy, Bearer tokens on /userinfo and
 * /auth, pipelined requests...).  The PAM stack is pam_permit in a private
 * confdir (via the real PAM helper processes), so inputs that make it to
 * PAM come back at once and the signer runs too; rate limits and group
 * claims are off so that the PAM and signing paths stay reachable for any
 * user name (an unknown user would otherwise fail and wait the delay).
 *
 * Checked: the daemon never crashes (ASan/UBSan in every issuer thread);
 * anything it answers starts with an HTTP/1.x status line; a 200 carries
 * no password from the request.  The daemon runs for the whole fuzzing
 * process; its temp dir is removed at exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_keys.h"
#include "http.h"
#include "log.h"
#include "helper_supervisor.h"
#include "helper_pool.h"
#include "state.h"
#include "../lib/testdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];
static pid_t owner;
static struct sockaddr_in addr;
static int ready;

static void
put(const char *name, const char *text, mode_t mode)
{
    char p[512];
    int fd;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
}

static void
cleanup(void)
{
    static const char *files[] = { "sign.pem", "iss.conf", "pam.d/jwt-issuer" };
    char p[512];
    size_t i;

    if (getpid() != owner)
        return;     /* a forked PAM helper exiting: not ours to clean */
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/pam.d", dir);
    rmdir(p);
    rmdir(dir);
}

static void
setup(void)
{
    struct issuer_state *st;
    char conf[1024], p[512];
    socklen_t alen = sizeof(addr);
    pjwt_err err;
    int ctl = -1, ls;

    signal(SIGPIPE, SIG_IGN);
    owner = getpid();
    /* the daemon trusts nothing under /tmp: $TMPDIR (tests/fuzz/run.sh) */
    if (test_tmpl(dir, sizeof(dir), "pamjwt-fuzz-issuer") != 0 || !mkdtemp(dir))
        abort();
    atexit(cleanup);
    snprintf(p, sizeof(p), "%s/pam.d", dir);
    if (mkdir(p, 0700) != 0)
        abort();
    put("sign.pem", fuzz_priv_p256, 0600);
    put("pam.d/jwt-issuer", "auth required pam_permit.so\naccount required pam_permit.so\n",
        0644);
    snprintf(conf, sizeof(conf),
             "listen = 127.0.0.1:0\n"
             "issuer = https://issuer.example\n"
             "audience = pam-host\n"
             "allowed_audiences = api, web\n"
             "signing_key = %s/sign.pem\n"
             "pam_confdir = %s/pam.d\n"
             "pam_workers = 1\n"
             "threads = 2\n"
             "claim = tenant=acme\n"
             "trusted_proxies = 127.0.0.1\n"
             "rate_limit_per_ip = 0\n"
             "rate_limit_per_user = 0\n"
             "claims_groups = no\n"
             "connection_timeout = 5\n", dir, dir);
    put("iss.conf", conf, 0644);
    log_set_level(getenv("FUZZ_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);

    snprintf(p, sizeof(p), "%s/iss.conf", dir);
    pjwt_err_clear(&err);
    st = issuer_state_load(p, &err);
    if (!st) {
        fprintf(stderr, "fuzz_issuer: config: %s\n", err.msg);
        abort();
    }
    issuer_state_set(st);
    if (helper_supervisor_start(st->conf, &ctl) < 0
        || helper_pool_start(ctl, 1, 64, st->conf->pam_timeout) != 0)
        abort();

    ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(ls, 128) != 0 ||
        getsockname(ls, (struct sockaddr *)&addr, &alen) != 0)
        abort();
    if (!http_start(ls, 0, issuer_state_get()))
        abort();
    ready = 1;
}

/* Everything the daemon answers on one connection, up to cap bytes; stops
   at EOF or after 250 ms without data.  A failed login is answered only
   after the PAM fail delay (a timer in the daemon): we do not wait for it,
   the daemon then writes to a closed socket, which it must survive too. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (n < cap) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ssize_t r;

        if (poll(&pf, 1, 250) <= 0)
            break;
        r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char resp[65536];
    size_t off = 0, n;
    int fd;

    if (!ready)
        setup();
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return 0;
    }
    while (off < size) {
        ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);

        if (w <= 0)
            break;      /* the daemon may close early (413, 400) */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    n = read_all(fd, resp, sizeof(resp) - 1);
    close(fd);
    resp[n] = '\0';
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "--- %zu bytes answered:\n%.*s\n", n, (int)(n < 600 ? n : 600), resp);
    if (n > 0 && strncmp(resp, "HTTP/1.", 7) != 0)
        abort();    /* garbage on the wire */
    if (n > 0 && strstr(resp, "s3cr3t-pw"))
        abort();    /* the seeds' password echoed back */
    return 0;
}
