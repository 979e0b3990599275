/*
 * http.c: jwtctl's one way to talk to an issuer over HTTP (libcurl): POST
 * a form and read a JSON object back (the client verbs), or GET a document
 * (jwtctl sync: a trust bundle, a JWKS).  The form carries passwords and
 * refresh tokens, and what sync fetches decides who logs in, so the rules
 * are the ones a password deserves, for both:
 *   - https with the peer and its name verified (the system store, or a
 *     cacert file); http:// only to a loopback address, checked on the URL
 *     before any connection is made;
 *   - POST follows no redirect (a 30x could move the password to another
 *     host); GET follows at most 3, to https only; no proxy for loopback
 *     http (a proxy would see it in the clear);
 *   - bounded: 10 s to connect, 30 s in all, 64 KiB of answer to a POST,
 *     the caller's bound for a GET (the transfer is aborted beyond it);
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
    size_t max;
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
   loopback http, -1 refused (*e says why). */
static int
url_rule(const char *url, pjwt_err *e)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int r = -1;

    pjwt_err_clear(e);
    if (!u) {
        PJWT_FAIL(e, PJWT_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        PJWT_FAIL(e, PJWT_ERR_ARG, "%s: not a URL", url);
    else if (strcasecmp(scheme, "https") == 0)
        r = 0;
    else if (strcasecmp(scheme, "http") == 0 && host_is_loopback(host))
        r = 1;
    else if (strcasecmp(scheme, "http") == 0)
        PJWT_FAIL(e, PJWT_ERR_ARG, "%s: plain http is only allowed to a "
                  "loopback address (passwords and keys must not cross the "
                  "network in the clear): use https", url);
    else
        PJWT_FAIL(e, PJWT_ERR_ARG, "%s: not an https URL", url);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return r;
}

int
ctl_http_check_url(const char *url)
{
    pjwt_err e;
    int r = url_rule(url, &e);

    if (r < 0)
        ctl_err("%s", e.msg);
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

/* The validators of a GET answer (RFC 9110 8.8), kept for the next
   conditional request; reset at each response (a redirect's first). */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct ctl_http_get *g = userdata;
    size_t n = size * nmemb, i, k;
    char *dst = NULL;
    size_t cap = 0;

    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        g->etag[0] = g->last_modified[0] = '\0';
        return n;
    }
    if (n > 5 && strncasecmp(ptr, "ETag:", 5) == 0) {
        dst = g->etag, cap = sizeof(g->etag), i = 5;
    } else if (n > 14 && strncasecmp(ptr, "Last-Modified:", 14) == 0) {
        dst = g->last_modified, cap = sizeof(g->last_modified), i = 14;
    } else {
        return n;
    }
    while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
        i++;
    while (n > i && strchr(" \t\r\n", ptr[n - 1]))
        n--;
    /* Printable ASCII that fits, or nothing: it is sent back in a header
       and stored in a file. */
    if (n - i >= cap)
        return size * nmemb;
    for (k = 0; i + k < n; k++) {
        if (ptr[i + k] < 0x20 || ptr[i + k] > 0x7e) {
            dst[0] = '\0';
            return size * nmemb;
        }
        dst[k] = ptr[i + k];
    }
    dst[k] = '\0';
    return size * nmemb;
}

/* What one request needs beyond the URL. */
struct request {
    const char *cacert;         /* NULL or "": the system store */
    const char *form;           /* POST this; NULL: GET */
    struct ctl_http_get *get;   /* GET: conditions in, validators out */
    struct answer a;
    long status;
};

/* "NAME: VALUE" appended to *hdrs when value is set: 0, or -1 (ENOMEM). */
static int
add_header(struct curl_slist **hdrs, const char *name, const char *value)
{
    char line[CTL_NAME_MAX + 32];
    struct curl_slist *nh;

    if (!value || !value[0])
        return 0;
    snprintf(line, sizeof(line), "%s: %s", name, value);
    if (!(nh = curl_slist_append(*hdrs, line)))
        return -1;
    *hdrs = nh;
    return 0;
}

/*
 * The one request of both methods: the URL rule, the shared options,
 * perform.  0 with q->status and q->a (the caller frees q->a.buf), or -1
 * with *e set.
 */
static int
request(const char *url, struct request *q, pjwt_err *e)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = NULL;
    CURL *h = NULL;
    CURLcode cc;
    int plain, r = -1;

    q->status = 0;
    if ((plain = url_rule(url, e)) < 0)
        return -1;
    if (global_init() != 0) {
        PJWT_FAIL(e, PJWT_ERR_INTERNAL, "libcurl initialisation failed");
        return -1;
    }
    if (!(h = curl_easy_init()) ||
        !(hdrs = curl_slist_append(NULL, "Accept: application/json"))) {
        PJWT_FAIL(e, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((q->get && add_header(&hdrs, "If-None-Match",
                              q->get->if_none_match) != 0) ||
        (q->get && add_header(&hdrs, "If-Modified-Since",
                              q->get->if_modified_since) != 0)) {
        PJWT_FAIL(e, PJWT_ERR_NOMEM, "out of memory");
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
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (q->cacert && q->cacert[0])
        SET(CURLOPT_CAINFO, q->cacert);
    if (plain)
        SET(CURLOPT_PROXY, "");
    SET(CURLOPT_CONNECTTIMEOUT, 10L);
    SET(CURLOPT_TIMEOUT, 30L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_USERAGENT, "jwtctl/" PJWT_VERSION);
    SET(CURLOPT_HTTPHEADER, hdrs);
    /* A Content-Length over the bound stops the transfer before the
       body; a body without one is cut by on_data. */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)q->a.max);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, &q->a);
    if (q->form) {
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_POST, 1L);
        /* Not COPYPOSTFIELDS: curl keeps no second copy of the secrets. */
        SET(CURLOPT_POSTFIELDS, q->form);
        SET(CURLOPT_POSTFIELDSIZE, (long)strlen(q->form));
    } else {
        /* A signed document may move (a CDN, a new path), but only to
           another verified https URL. */
        SET(CURLOPT_FOLLOWLOCATION, 1L);
        SET(CURLOPT_MAXREDIRS, 3L);
        SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
        SET(CURLOPT_HEADERFUNCTION, on_header);
        SET(CURLOPT_HEADERDATA, q->get);
    }
#undef SET
    if (cc != CURLE_OK) {
        PJWT_FAIL(e, PJWT_ERR_INTERNAL, "libcurl: %s", curl_easy_strerror(cc));
        goto out;
    }
    if ((cc = curl_easy_perform(h)) != CURLE_OK) {
        if (q->a.too_big || cc == CURLE_FILESIZE_EXCEEDED)
            PJWT_FAIL(e, PJWT_ERR_TOO_LONG, "%s: answer larger than %zu KiB: "
                      "transfer aborted", url, q->a.max / 1024);
        else
            PJWT_FAIL(e, PJWT_ERR_IO, "%s: %s", url,
                      errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->status);
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
    struct request q = { c ? c->cacert : NULL, form, NULL,
                         { NULL, 0, ANSWER_MAX, 0 }, 0 };
    pjwt_err e;
    int r = -1;

    *status = 0;
    *body = NULL;
    pjwt_err_clear(&e);
    if (request(url, &q, &e) != 0) {
        ctl_err("%s", e.msg);
        goto out;
    }
    *status = q.status;
    pjwt_err_clear(&e);
    if (!(*body = pjwt_json_parse_object(q.a.buf ? q.a.buf : "", q.a.len,
                                         ANSWER_MAX, &e))) {
        ctl_err("%s: the answer (HTTP %ld) is not a JSON object", url,
                *status);
        goto out;
    }
    r = 0;
out:
    pjwt_secret_free(q.a.buf, q.a.len + 1);
    return r;
}

int
ctl_http_get(const char *url, struct ctl_http_get *g, pjwt_err *e)
{
    struct request q = { g->cacert, NULL, g, { NULL, 0, g->max, 0 }, 0 };

    g->status = 0;
    g->body = NULL;
    g->len = 0;
    g->etag[0] = g->last_modified[0] = '\0';
    if (request(url, &q, e) != 0) {
        pjwt_secret_free(q.a.buf, q.a.len + 1);
        return -1;
    }
    g->status = q.status;
    g->body = q.a.buf;
    g->len = q.a.len;
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
