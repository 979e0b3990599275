/*
 * bench_issue_baseline.c: the baseline of the `issue` bench rows.  A bare
 * libmicrohttpd server configured like jwt-issuerd (epoll, internal thread
 * pool) that answers POST /token by decoding the form with MHD's post
 * processor and signing the same claims (iss, sub, aud, iat, nbf, exp, jti;
 * the bench runs the issuer with claims_groups = no) with the same key, without PAM, throttling or logging.
 *
 *   bench_issue_baseline KEYFILE THREADS
 *
 * Prints "listening on 127.0.0.1:PORT" on stderr and serves until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "b64url.h"
#include "jws.h"
#include "keys.h"

static pjwt_key *key;
static pjwt_alg alg;

struct form {
    struct MHD_PostProcessor *pp;
    char user[64];
};

static enum MHD_Result
field(void *cls, enum MHD_ValueKind kind, const char *k, const char *fn,
      const char *ct, const char *enc, const char *data, uint64_t off,
      size_t size)
{
    struct form *f = cls;

    (void)kind; (void)fn; (void)ct; (void)enc;
    if (strcmp(k, "username") == 0 && off + size < sizeof(f->user)) {
        memcpy(f->user + off, data, size);
        f->user[off + size] = '\0';
    }
    return MHD_YES;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_size, void **cc)
{
    struct form *f = *cc;
    unsigned char rnd[16];
    char jti[32], *tok, *out;
    json_t *claims, *hdr, *resp;
    time_t now = time(NULL);
    enum MHD_Result ret;

    (void)cls; (void)url; (void)method; (void)version;
    if (f == NULL) {
        f = calloc(1, sizeof(*f));
        if (f == NULL)
            return MHD_NO;
        f->pp = MHD_create_post_processor(c, 1024, field, f);
        *cc = f;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (f->pp)
            MHD_post_process(f->pp, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    RAND_bytes(rnd, sizeof(rnd));
    pjwt_b64url_encode(rnd, sizeof(rnd), jti);
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
                       "iss", "https://issuer.test", "sub", f->user, "aud", "aud",
                       "iat", (json_int_t)now, "nbf", (json_int_t)now,
                       "exp", (json_int_t)now + 300, "jti", jti);
    hdr = json_pack("{s:s}", "typ", "JWT");
    tok = pjwt_jws_sign(key, alg, hdr, claims, NULL);
    json_decref(claims);
    json_decref(hdr);
    if (tok == NULL)
        return reply(c, 500, "{\"error\":\"server_error\"}");
    resp = json_pack("{s:s, s:s, s:i}", "access_token", tok, "token_type", "Bearer",
                     "expires_in", 300);
    free(tok);
    out = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    ret = reply(c, 200, out);
    free(out);
    return ret;
}

static void
done(void *cls, struct MHD_Connection *c, void **cc, enum MHD_RequestTerminationCode t)
{
    struct form *f = *cc;

    (void)cls; (void)c; (void)t;
    if (f == NULL)
        return;
    if (f->pp)
        MHD_destroy_post_processor(f->pp);
    free(f);
    *cc = NULL;
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sin);
    pjwt_keyset *ks = pjwt_keyset_new();
    struct MHD_Daemon *d;
    sigset_t s;
    int fd, one = 1, sig;

    if (argc != 3 || ks == NULL
        || pjwt_keyset_load_file(ks, argv[1], PJWT_KEYS_PRIVATE | PJWT_KEYS_EAGER, NULL) != 0) {
        fprintf(stderr, "usage: bench_issue_baseline KEYFILE THREADS\n");
        return 2;
    }
    key = pjwt_keyset_get(ks, 0);
    alg = pjwt_key_default_alg(key);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 512) != 0
        || getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
        return 1;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGINT);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, 0, NULL, NULL,
                         handler, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
                         MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
    if (d == NULL)
        return 1;
    fprintf(stderr, "listening on 127.0.0.1:%u\n", (unsigned)ntohs(sin.sin_port));
    sigwait(&s, &sig);
    MHD_stop_daemon(d);
    pjwt_keyset_free(ks);
    return 0;
}
