/*
 * http.c: jwtctl's one way to talk to the issuer: POST a form, read a JSON
 * object back, or GET a document of a bounded size (libcurl).  The form carries passwords and refresh tokens,
 * so the rules are the ones a password deserves:
 *   - https with the peer and its name verified (the system store, or the
 *     client configuration's cacert); http:// only to a loopback address,
 *     checked on the URL before any connection is made;
 *   - no redirects (a 30x could move the password to another host), no
 *     proxy for loopback http (a proxy would see it in the clear);
 *   - bounded: 10 s to connect, 30 s in all, 64 KiB of answer;
 *   - the form is never printed, and every buffer that held it or the
 *     answer (which holds tokens) is cleansed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include "client.h"
#include "ctl.h"
#include "json.h"
#include "version.h"

#define ANSWER_MAX (64 * 1024)

struct answer {
    char *buf;
    size_t len;
    size_t max;         /* more is refused, and the transfer stopped */
    int too_big;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    char *nb;

    if (n > a->max - a->len) {
        a->too_big = 1;
        return 0;   /* curl stops with CURLE_WRITE_ERROR */
    }
    /* Grown into a fresh buffer so the old one can be cleansed: realloc
       would leave token bytes in freed memory. */
    if (!(nb = malloc(a->len + n + 1)))
        return 0;
    if (a->len)
        memcpy(nb, a->buf, a->len);
    memcpy(nb + a->len, ptr, n);
    pjwt_secret_free(a->buf, a->len + 1);
    a->buf = nb;
    a->len += n;
    a->buf[a->len] = '\0';
    return n;
}

/* 127.0.0.0/8, ::1 or "localhost": where plain http cannot leave the
   machine.  host is curl's host part: IPv6 in brackets. */
static int
host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    char v6[INET6_ADDRSTRLEN];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(v6)) {
        memcpy(v6, host + 1, n - 2);
        v6[n - 2] = '\0';
        return inet_pton(AF_INET6, v6, &a6) == 1 &&
               IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return 0;
}

/* The URL's scheme and host, judged before curl connects: 0 https, 1
   loopback http, -1 refused (message printed). */
int
ctl_http_check_url(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int r = -1;

    if (!u) {
        ctl_err("out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        ctl_err("%s: not a URL", url);
        goto out;
    }
    if (strcasecmp(scheme, "https") == 0)
        r = 0;
    else if (strcasecmp(scheme, "http") == 0 && host_is_loopback(host))
        r = 1;
    else if (strcasecmp(scheme, "http") == 0)
        ctl_err("%s: plain http is only allowed to a loopback address "
                "(a password must not cross the network in the clear): "
                "use https", url);
    else
        ctl_err("%s: not an https URL", url);
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return r;
}

static int
global_init(void)
{
    static int done;

    /* Once per process (curl_global_init is not reentrant); jwtctl is
       single-threaded. */
    if (!done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            ctl_err("libcurl initialisation failed");
            return -1;
        }
        done = 1;
    }
    return 0;
}

/* One request: a POST of form, or a GET when form is NULL, with the rules
   at the top; the answer, at most a->max bytes, in a.  0, or -1 with a
   message printed. */
static int
perform(const struct ctl_client_conf *c, const char *url, const char *form,
        const char *accept, struct answer *a, long *status)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = NULL;
    CURL *h = NULL;
    CURLcode cc;
    int plain, r = -1;

    *status = 0;
    if ((plain = ctl_http_check_url(url)) < 0 || global_init() != 0)
        return -1;
    if (!(h = curl_easy_init()) || !(hdrs = curl_slist_append(NULL, accept))) {
        ctl_err("out of memory");
        goto out;
    }
    errbuf[0] = '\0';
    /* Options that cannot fail on a libcurl that has them (7.85+); the
       result of each is still checked once, in one place, below. */
    cc = CURLE_OK;
#define SET(opt, val) \
    do { if (cc == CURLE_OK) cc = curl_easy_setopt(h, opt, val); } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "https,http");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (c && c->cacert[0])
        SET(CURLOPT_CAINFO, c->cacert);
    if (plain)
        SET(CURLOPT_PROXY, "");
    SET(CURLOPT_CONNECTTIMEOUT, 10L);
    SET(CURLOPT_TIMEOUT, 30L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_USERAGENT, "jwtctl/" PJWT_VERSION);
    SET(CURLOPT_HTTPHEADER, hdrs);
    if (form != NULL) {
        SET(CURLOPT_POST, 1L);
        /* Not COPYPOSTFIELDS: curl keeps no second copy of the secrets. */
        SET(CURLOPT_POSTFIELDS, form);
        SET(CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    }
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, a);
#undef SET
    if (cc != CURLE_OK) {
        ctl_err("libcurl: %s", curl_easy_strerror(cc));
        goto out;
    }
    if ((cc = curl_easy_perform(h)) != CURLE_OK) {
        if (a->too_big)
            ctl_err("%s: answer larger than %zu KiB", url, a->max / 1024);
        else
            ctl_err("%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    r = 0;
out:
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    return r;
}

int
ctl_http_post(const struct ctl_client_conf *c, const char *url,
              const char *form, long *status, json_t **body)
{
    struct answer a = { NULL, 0, ANSWER_MAX, 0 };
    pjwt_err e;
    int r = -1;

    *body = NULL;
    if (perform(c, url, form, "Accept: application/json", &a, status) != 0)
        goto out;
    pjwt_err_clear(&e);
    if (!(*body = pjwt_json_parse_object(a.buf ? a.buf : "", a.len,
                                         ANSWER_MAX, &e))) {
        ctl_err("%s: the answer (HTTP %ld) is not a JSON object", url,
                *status);
        goto out;
    }
    r = 0;
out:
    pjwt_secret_free(a.buf, a.len + 1);
    return r;
}

int
ctl_http_get(const struct ctl_client_conf *c, const char *url, size_t max,
             long *status, char **buf, size_t *len)
{
    struct answer a = { NULL, 0, max, 0 };

    *buf = NULL;
    *len = 0;
    if (perform(c, url, NULL, "Accept: application/json", &a, status) != 0) {
        pjwt_secret_free(a.buf, a.len + 1);
        return -1;
    }
    if (a.buf == NULL && (a.buf = calloc(1, 1)) == NULL) {
        ctl_err("out of memory");
        return -1;
    }
    *buf = a.buf;
    *len = a.len;
    return 0;
}

int
ctl_form_add(char **form, const char *name, const char *value)
{
    char *ev, *nf;
    size_t old = *form ? strlen(*form) : 0, n;

    if (!(ev = curl_easy_escape(NULL, value, 0)))
        return -1;
    n = old + (old ? 1 : 0) + strlen(name) + 1 + strlen(ev) + 1;
    if ((nf = malloc(n)))
        snprintf(nf, n, "%s%s%s=%s", old ? *form : "", old ? "&" : "", name,
                 ev);
    OPENSSL_cleanse(ev, strlen(ev));
    curl_free(ev);
    if (!nf)
        return -1;
    pjwt_secret_free(*form, old + 1);
    *form = nf;
    return 0;
}

const char *
ctl_answer_text(const json_t *body, const char *name, char *buf, size_t cap)
{
    const char *s = json_string_value(json_object_get(body, name));
    size_t i;

    if (!s || cap == 0)
        return NULL;
    /* The issuer's words reach a terminal: no control sequences. */
    for (i = 0; s[i] && i + 1 < cap; i++)
        buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}
