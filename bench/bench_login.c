/*
 * bench_login.c: what a token login costs in a fresh process, against a
 * pam_unix password login with the system's default yescrypt hash.
 *
 * Each login is one fork+exec of this program in --child mode, which runs
 * pam_start_confdir, pam_authenticate and pam_end, as sshd's per-connection
 * process does.  Three services: pam_permit (the floor: exec, libpam,
 * loading one module), pam_jwt with an ES256 JWKS of six keys (the token's
 * kid selects one), pam_unix against a yescrypt hash.  The cost of a login
 * is the child's CPU time (user + system, from wait4: exact on Linux, and
 * steady on a busy machine where wall time is not); medians over the runs,
 * which are interleaved so drift hits all three alike.  Printed:
 *
 *   login pam_jwt_ms=N pam_unix_ms=M ratio=R
 *
 * with N and M each over the pam_permit floor; target R <= 0.05.  The
 * child initialises libcrypto before PAM, as sshd has by then (key
 * exchange); a "# cold" line shows the cost without that.
 *
 * pam_unix needs a shadow entry: the benchmark runs in its own mount
 * namespace (unshare CLONE_NEWNS, propagation private) where /etc/passwd
 * and /etc/shadow are bind mounts of temporary copies holding a throwaway
 * user, so the machine is never changed.  Needs root; otherwise it says so
 * and exits 0.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <security/pam_appl.h>
#include "jws.h"
#include "keys.h"
#include "../tests/lib/testdir.h"

#define USER "pjwtbench"
#define PASSWORD "bench-Password-1"
#define ISS "https://issuer.bench"
#define AUD "bench-host"
#define NKEYS 6
#define MAX_RUNS 400

static char secret_buf[4096];

/* ---- child ------------------------------------------------------------ */

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
     void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    (void)data;
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
            msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup(secret_buf);
    *resp = r;
    return PAM_SUCCESS;
}

static int
child(const char *confdir, const char *service, const char *secret_file,
      int warm)
{
    struct pam_conv c = { conv, NULL };
    pam_handle_t *pamh = NULL;
    FILE *f;
    size_t n;
    int rc;

    if (warm) {
        /* sshd has libcrypto initialised and has hashed with it before
           PAM ever runs. */
        unsigned char md[32];
        OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
        EVP_Digest("x", 1, md, NULL, EVP_sha256(), NULL);
    }
    f = fopen(secret_file, "re");
    if (!f)
        return 3;
    n = fread(secret_buf, 1, sizeof(secret_buf) - 1, f);
    fclose(f);
    secret_buf[n] = '\0';
    secret_buf[strcspn(secret_buf, "\n")] = '\0';
    rc = pam_start_confdir(service, USER, &c, confdir, &pamh);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}

/* ---- parent ----------------------------------------------------------- */

static char dir[4096];
static char self[4096];

static int
write_file(const char *name, const char *data, mode_t mode)
{
    char path[4200];
    int fd, ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    ok = write(fd, data, strlen(data)) == (ssize_t)strlen(data);
    fchmod(fd, mode);
    close(fd);
    return ok ? 0 : -1;
}

/* One login in a fresh process; returns CPU ms, or -1 on failure. */
static double
login(const char *service, const char *secret, int warm)
{
    char confdir[4200], secret_path[4200];
    struct rusage ru;
    int status;
    pid_t pid;

    snprintf(confdir, sizeof(confdir), "%s/pam.d", dir);
    snprintf(secret_path, sizeof(secret_path), "%s/%s", dir, secret);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(self, self, "--child", confdir, service, secret_path,
              warm ? "warm" : "cold", (char *)NULL);
        _exit(4);
    }
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ES256 JWKS of NKEYS keys (kid k1..k6) and a token signed by k3. */
static int
make_keys(void)
{
    json_t *jwks = json_pack("{s:[]}", "keys"), *claims = NULL, *hdr = NULL;
    pjwt_key *signer = NULL;
    char *tok = NULL, *s = NULL;
    time_t now = time(NULL);
    pjwt_err err;
    int r = -1;

    for (int i = 1; i <= NKEYS; i++) {
        char kid[8];
        pjwt_key *k = pjwt_key_generate(PJWT_ALG_ES256, &err);
        json_t *pub = k ? pjwt_key_to_public_jwk(k, &err) : NULL;

        if (!pub) {
            pjwt_key_free(k);
            goto out;
        }
        snprintf(kid, sizeof(kid), "k%d", i);
        json_object_set_new(pub, "kid", json_string(kid));
        json_array_append_new(json_object_get(jwks, "keys"), pub);
        if (i == 3)
            signer = k;
        else
            pjwt_key_free(k);
    }
    s = json_dumps(jwks, JSON_COMPACT);
    claims = json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", ISS, "aud", AUD,
                       "sub", USER, "iat", (json_int_t)now,
                       "exp", (json_int_t)now + 1800);
    hdr = json_pack("{s:s,s:s}", "kid", "k3", "typ", "JWT");
    tok = s && claims && hdr ?
          pjwt_jws_sign(signer, PJWT_ALG_ES256, hdr, claims, &err) : NULL;
    if (!tok || write_file("jwks.json", s, 0644) != 0 ||
        write_file("token", tok, 0600) != 0)
        goto out;
    r = 0;
out:
    free(s);
    free(tok);
    json_decref(jwks);
    json_decref(claims);
    json_decref(hdr);
    pjwt_key_free(signer);
    return r;
}

/* A yescrypt hash with libxcrypt's default cost, as passwd(1) makes it. */
static int
make_hash(char *out, size_t cap)
{
    char *(*gensalt)(const char *, unsigned long, const char *, int);
    char *(*cr)(const char *, const char *);
    void *h = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
    const char *salt, *hash;
    int r = -1;

    if (!h)
        return -1;
    *(void **)&gensalt = dlsym(h, "crypt_gensalt");
    *(void **)&cr = dlsym(h, "crypt");
    if (gensalt && cr && (salt = gensalt("$y$", 0, NULL, 0)) &&
        (hash = cr(PASSWORD, salt)) && strncmp(hash, "$y$", 3) == 0 &&
        strlen(hash) < cap) {
        strcpy(out, hash);
        r = 0;
    }
    dlclose(h);
    return r;
}

/* Private /etc/passwd and /etc/shadow with the throwaway user. */
static int
private_accounts(const char *hash)
{
    char path[4200], line[512], *pw = NULL;
    size_t len = 0;
    FILE *f = fopen("/etc/passwd", "re");
    FILE *m;

    if (!f)
        return -1;
    m = open_memstream(&pw, &len);
    if (!m) {
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof(line), f))
        fputs(line, m);
    fclose(f);
    fprintf(m, "%s:x:64999:64999::/nonexistent:/usr/sbin/nologin\n", USER);
    fclose(m);
    snprintf(line, sizeof(line), "%s:%s:19000:0:99999:7:::\n", USER, hash);
    if (write_file("passwd", pw, 0644) != 0 ||
        write_file("shadow", line, 0600) != 0) {
        free(pw);
        return -1;
    }
    free(pw);
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/passwd", dir);
    if (mount(path, "/etc/passwd", NULL, MS_BIND, NULL) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/shadow", dir);
    if (mount(path, "/etc/shadow", NULL, MS_BIND, NULL) != 0)
        return -1;
    return 0;
}

static void
cleanup(void)
{
    static const char *const files[] = {
        "pam.d/permit", "pam.d/jwt", "pam.d/unix", "pam.d/other", "pam.d",
        "jwks.json", "token", "password", "passwd", "shadow",
    };
    char path[4200];

    umount2("/etc/shadow", MNT_DETACH);
    umount2("/etc/passwd", MNT_DETACH);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (unlink(path) != 0)
            rmdir(path);
    }
    rmdir(dir);
}

int
main(int argc, char **argv)
{
    static double permit[MAX_RUNS], jwt[MAX_RUNS], unx[MAX_RUNS];
    static double cpermit[MAX_RUNS], cjwt[MAX_RUNS];
    const char *module = getenv("PAMJWT_MODULE");
    char hash[256], svc[8192], path[4200];
    int runs = 40, rc = 1;
    ssize_t n;

    if (argc == 6 && strcmp(argv[1], "--child") == 0)
        return child(argv[2], argv[3], argv[4], strcmp(argv[5], "warm") == 0);
    if (argc == 2)
        runs = atoi(argv[1]);
    if (runs < 5 || runs > MAX_RUNS)
        runs = 40;
    if (geteuid() != 0) {
        printf("# login skipped: needs root (private mount namespace for "
               "/etc/shadow)\n");
        return 0;
    }
    if (!module || access(module, R_OK) != 0) {
        fprintf(stderr, "bench_login: set PAMJWT_MODULE to pam_jwt.so\n");
        return 1;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    /* the module trusts nothing under /tmp: $TMPDIR (bench/run.sh) */
    if (test_tmpl(dir, sizeof(dir), "pamjwt-bench") != 0 || !mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/pam.d", dir);
    if (mkdir(path, 0700) != 0 || make_keys() != 0 ||
        make_hash(hash, sizeof(hash)) != 0 || private_accounts(hash) != 0 ||
        write_file("password", PASSWORD, 0600) != 0) {
        fprintf(stderr, "bench_login: set-up failed: %s\n", strerror(errno));
        goto out;
    }
    snprintf(svc, sizeof(svc),
             "auth required %s issuer=%s audience=%s key=%s/jwks.json\n",
             module, ISS, AUD, dir);
    if (write_file("pam.d/permit", "auth required pam_permit.so\n", 0644) ||
        write_file("pam.d/jwt", svc, 0644) ||
        write_file("pam.d/unix", "auth required pam_unix.so nodelay\n", 0644) ||
        write_file("pam.d/other", "auth required pam_deny.so\n", 0644))
        goto out;

    /* One warm-up round, then interleaved measured rounds. */
    if (login("permit", "password", 1) < 0 || login("jwt", "token", 1) < 0 ||
        login("unix", "password", 1) < 0) {
        fprintf(stderr, "bench_login: a login failed (pam_jwt or pam_unix)\n");
        goto out;
    }
    for (int i = 0; i < runs; i++) {
        permit[i] = login("permit", "password", 1);
        jwt[i] = login("jwt", "token", 1);
        unx[i] = login("unix", "password", 1);
        cpermit[i] = login("permit", "password", 0);
        cjwt[i] = login("jwt", "token", 0);
        if (permit[i] < 0 || jwt[i] < 0 || unx[i] < 0 || cpermit[i] < 0 ||
            cjwt[i] < 0) {
            fprintf(stderr, "bench_login: a login failed in round %d\n", i);
            goto out;
        }
    }
    {
        double p = median(permit, runs), j = median(jwt, runs);
        double u = median(unx, runs), cp = median(cpermit, runs);
        double cj = median(cjwt, runs);
        double jn = j - p, un = u - p;

        printf("# login: fresh process CPU ms, median of %d: pam_permit %.3f, "
               "pam_jwt %.3f, pam_unix(yescrypt) %.3f\n", runs, p, j, u);
        printf("login pam_jwt_ms=%.3f pam_unix_ms=%.3f ratio=%.3f\n", jn, un,
               un > 0 ? jn / un : 0.0);
        printf("# cold (libcrypto not yet initialised): pam_jwt_ms=%.3f "
               "ratio=%.3f\n", cj - cp, un > 0 ? (cj - cp) / un : 0.0);
    }
    rc = 0;
out:
    cleanup();
    return rc;
}
