/*
 * files.c: jwtctl's file helpers: whole-file and stdin reads, atomic
 * writes of key files, and loading a signing key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <jansson.h>
#include "ctl.h"
#include "filewrite.h"

void
ctl_err(const char *fmt, ...)
{
    va_list ap;

    fputs("jwtctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
ctl_flush(void)
{
    /* ferror too: a printf that failed before the flush leaves its mark. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ctl_err("stdout: write failed");
        return CTL_FAIL;
    }
    return CTL_OK;
}

int
ctl_print_json(const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2));

    if (text == NULL) {
        ctl_err("out of memory");
        return CTL_FAIL;
    }
    printf("%s\n", text);
    free(text);
    return ctl_flush();
}

int
ctl_read(const char *path, char **out, size_t *outlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;
    int rc;

    pjwt_err_clear(&e);
    /* The library's readers: a path must be a regular file (a FIFO cannot
       hang us), stdin is read to its end; both bounded. */
    if (strcmp(path, "-") == 0)
        rc = pjwt_fd_read(STDIN_FILENO, "stdin", CTL_INPUT_MAX, &buf, &len,
                          &e);
    else
        rc = pjwt_file_read(path, CTL_INPUT_MAX, 0, &buf, &len, &e);
    if (rc != 0) {
        ctl_err("%s", e.msg[0] ? e.msg : pjwt_strerror(rc));
        return -1;
    }
    *out = (char *)buf;
    *outlen = len;
    return 0;
}

void
ctl_rtrim(char *s, size_t *len)
{
    char c;

    while (*len > 0 && ((c = s[*len - 1]) == ' ' || c == '\t' || c == '\r' ||
                        c == '\n')) {
        s[*len - 1] = '\0';
        (*len)--;
    }
}

int
ctl_write_atomic(const char *path, const void *buf, size_t len, unsigned mode,
                 int force)
{
    pjwt_err e;

    pjwt_err_clear(&e);
    if (pjwt_file_replace(path, buf, len, (mode_t)mode,
                          force ? 0 : PJWT_REPLACE_NOCLOBBER, &e) == 0)
        return 0;
    if (errno == EEXIST && !force)
        ctl_err("%s (use --force to replace it)", e.msg);
    else
        ctl_err("%s", e.msg);
    return -1;
}

/* PEM or JSON text, as opposed to the raw bytes of an HMAC secret. */
static int
looks_like_text_key(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (!(c >= 0x20 && c < 0x7f) && c != '\n' && c != '\r' && c != '\t')
            return 0;
    }
    for (i = 0; i < len && strchr(" \t\r\n", buf[i]); i++)
        ;
    return (i < len && buf[i] == '{') || strstr(buf, "-----BEGIN ") != NULL;
}

pjwt_keyset *
ctl_load_signing_key(const char *path, pjwt_key **key)
{
    pjwt_keyset *ks = NULL, *r = NULL;
    pjwt_err e;
    char *buf = NULL;
    size_t len = 0, i;
    int rc;

    *key = NULL;
    if (ctl_read(path, &buf, &len) != 0)
        goto out;
    if (!(ks = pjwt_keyset_new())) {
        ctl_err("out of memory");
        goto out;
    }
    pjwt_err_clear(&e);
    if (looks_like_text_key(buf, len))
        rc = pjwt_keyset_load_file(ks, path, PJWT_KEYS_PRIVATE | PJWT_KEYS_EAGER,
                                   &e);
    else
        rc = pjwt_keyset_load_secret_file(ks, path, PJWT_KEYS_EAGER, &e);
    if (rc != 0) {
        ctl_err("%s", e.msg);
        goto out;
    }
    for (i = 0; i < pjwt_keyset_count(ks); i++) {
        pjwt_key *k = pjwt_keyset_get(ks, i);
        if (pjwt_key_is_private(k) || pjwt_key_kty(k) == PJWT_KTY_OCT) {
            *key = k;
            break;
        }
    }
    if (!*key) {
        ctl_err("%s: no private key (signing needs one)", path);
        goto out;
    }
    r = ks;
    ks = NULL;
out:
    pjwt_keyset_free(ks);
    pjwt_file_free(buf, len);
    return r;
}
