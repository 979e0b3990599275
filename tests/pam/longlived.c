/*
 * longlived: pam_jwt.so in a long-lived host.  One process runs N
 * authentications (default 100,000), one PAM handle per call
 * (pam_start_confdir on a private confdir .. pam_authenticate .. pam_end),
 * good and bad tokens mixed, and checks that
 *   - every good token gives PAM_SUCCESS and every bad one does not;
 *   - resident memory after the run is within LONGLIVED_RSS_KB (default
 *     2048 KiB) of resident memory after a warm-up: leaks, not timing;
 *   - the number of open descriptors is the same at the end as after the
 *     warm-up (and as before the first call, allowing the syslog socket).
 *
 *   longlived MODULE_PATH [N]
 *
 * Keys and tokens are made here with libpjwt (jws.h/keys.h): the module
 * under test is only ever reached through libpam.  Everything lives in a
 * mkdtemp directory removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "jws.h"
#include "keys.h"
#include "testdir.h"

#define WARMUP_MAX 2000
#define REFRESH 500    /* re-sign the tokens every REFRESH calls */

struct conv_data {
    const char *token;
};

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
     void *arg)
{
    struct conv_data *cd = arg;
    struct pam_response *r;
    int i;

    r = calloc((size_t)n, sizeof(*r));
    if (!r)
        return PAM_BUF_ERR;
    for (i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
            msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            r[i].resp = strdup(cd->token);
            if (!r[i].resp) {
                while (i-- > 0)
                    free(r[i].resp);
                free(r);
                return PAM_BUF_ERR;
            }
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static long
rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static int
fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t len = strlen(text);

    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return close(fd);
}

static char *
make_token(pjwt_key *key, const char *sub, long iat, long exp)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "iss", "https://issuer.test",
                          "aud", "longlived", "sub", sub, "iat", (json_int_t)iat,
                          "exp", (json_int_t)exp, "jti", "ll-1");
    char *t = c ? pjwt_jws_sign(key, PJWT_ALG_ES256, NULL, c, NULL) : NULL;

    json_decref(c);
    return t;
}

int
main(int argc, char **argv)
{
    char dir[256];
    char path[512], svc[1024];
    const char *module, *user;
    struct passwd *pw;
    pjwt_key *key = NULL;
    char *pem = NULL, *good = NULL, *other = NULL, *expired = NULL;
    char *tampered = NULL, *none = NULL, *longtok = NULL;
    long n = 100000, i, rss0, rss_warm = 0, rss_end, tol, warmup;
    int fd0, fd_warm = 0, fd_end, failures = 0, rc = 1;
    long ok = 0, refused = 0;
    time_t now = time(NULL);

    if (argc < 2) {
        fprintf(stderr, "usage: longlived MODULE [N]\n");
        return 2;
    }
    module = argv[1];
    if (argc > 2)
        n = strtol(argv[2], NULL, 10);
    if (n < 10)
        n = 10;
    /* Warm-up: a fifth of the run, at most WARMUP_MAX calls. */
    warmup = n / 5 < WARMUP_MAX ? n / 5 : WARMUP_MAX;
    tol = getenv("LONGLIVED_RSS_KB") ? strtol(getenv("LONGLIVED_RSS_KB"), NULL, 10) : 2048;
    pw = getpwuid(getuid());
    if (!pw) {
        fprintf(stderr, "no passwd entry for uid %d\n", (int)getuid());
        return 77;
    }
    user = pw->pw_name;
    if (test_tmpl(dir, sizeof(dir), "pamjwt-longlived") != 0 || !mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }

    /* Key, public PEM file, service file. */
    key = pjwt_key_generate(PJWT_ALG_ES256, NULL);
    pem = key ? pjwt_key_to_public_pem(key, NULL) : NULL;
    snprintf(path, sizeof(path), "%s/pub.pem", dir);
    if (!pem || write_file(path, pem, 0644) != 0) {
        fprintf(stderr, "cannot make the key\n");
        goto out;
    }
    snprintf(svc, sizeof(svc),
             "auth required %s issuer=https://issuer.test audience=longlived key=%s/pub.pem\n"
             "account required pam_permit.so\n", module, dir);
    snprintf(path, sizeof(path), "%s/longlived", dir);
    if (write_file(path, svc, 0644) != 0)
        goto out;

    none = strdup("eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0.");
    longtok = malloc(20000);
    if (!none || !longtok)
        goto out;

    rss0 = rss_kb();
    fd0 = fd_count();
    for (i = 0; i < n; i++) {
        /* 1 in 2 good; the rest cycles through the refusals. */
        static const char *garbage = "not a token at all";
        const char *tok;
        int expect_ok = 0, r;
        struct conv_data cd;
        struct pam_conv pc = { conv, &cd };
        pam_handle_t *ph = NULL;

        /* Tokens are re-signed now and then so that a slow run (valgrind,
           sanitizers, a loaded machine) never sees a good one expire. */
        if (i % REFRESH == 0) {
            now = time(NULL);
            free(good);
            free(other);
            free(expired);
            free(tampered);
            good = make_token(key, user, now - 5, now + 600);
            other = make_token(key, "nobody-longlived", now - 5, now + 600);
            expired = make_token(key, user, now - 1200, now - 600);
            tampered = good ? strdup(good) : NULL;
            if (!good || !other || !expired || !tampered)
                goto out;
            tampered[strlen(tampered) - 3] ^= 1;    /* flip a bit of the signature */
            memset(longtok, 'A', 19999);
            longtok[19999] = '\0';
            memcpy(longtok, good, strlen(good));    /* a token and then a lot more */
        }
        switch (i % 12) {
        case 0: case 2: case 4: case 6: case 8: case 10: tok = good; expect_ok = 1; break;
        case 1: tok = other; break;
        case 3: tok = expired; break;
        case 5: tok = tampered; break;
        case 7: tok = none; break;
        case 9: tok = garbage; break;
        default: tok = longtok; break;
        }
        cd.token = tok;
        r = pam_start_confdir("longlived", user, &pc, dir, &ph);
        if (r != PAM_SUCCESS) {
            fprintf(stderr, "pam_start_confdir: %d\n", r);
            goto out;
        }
        r = pam_authenticate(ph, PAM_SILENT);
        pam_end(ph, r);
        if ((r == PAM_SUCCESS) != expect_ok) {
            if (failures++ < 10)
                fprintf(stderr, "call %ld (kind %ld): pam_authenticate %d\n", i, i % 12, r);
        }
        if (r == PAM_SUCCESS)
            ok++;
        else
            refused++;
        if (i + 1 == warmup) {
            rss_warm = rss_kb();
            fd_warm = fd_count();
        }
    }
    rss_end = rss_kb();
    fd_end = fd_count();
    printf("longlived: %ld authentications (%ld ok, %ld refused) in one process\n",
           n, ok, refused);
    printf("longlived: VmRSS start=%ld kB after_%ld=%ld kB end=%ld kB growth=%ld kB (tolerance %ld)\n",
           rss0, warmup, rss_warm, rss_end, rss_end - rss_warm, tol);
    printf("longlived: fds start=%d after_warmup=%d end=%d\n", fd0, fd_warm, fd_end);
    rc = 0;
    if (failures) {
        fprintf(stderr, "FAIL: %d calls gave the wrong answer\n", failures);
        rc = 1;
    }
    if (rss_end - rss_warm > tol) {
        fprintf(stderr, "FAIL: resident memory grew by %ld kB\n", rss_end - rss_warm);
        rc = 1;
    }
    /* One descriptor may appear during warm-up: glibc's syslog socket,
       opened by pam_syslog on first use and kept, by design. */
    if (fd_end != fd_warm || fd_warm > fd0 + 1) {
        fprintf(stderr, "FAIL: descriptors %d -> %d -> %d\n", fd0, fd_warm, fd_end);
        rc = 1;
    }
    if (rc == 0)
        printf("# cases passed: 3\n");
out:
    snprintf(path, sizeof(path), "%s/pub.pem", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/longlived", dir);
    unlink(path);
    rmdir(dir);
    pjwt_key_free(key);
    free(pem);
    free(good);
    free(other);
    free(expired);
    free(tampered);
    free(none);
    free(longtok);
    return rc;
}
