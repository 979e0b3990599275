/*
 * sync_status.c: what jwtctl sync remembers and tells.  DIR/sync-status.json
 * (mode 0644, written atomically, read under the trust rule):
 *   {"mode": "bundle" | "jwks", "source": URL or PATH,
 *    "last_attempt", "last_success": epoch seconds,
 *    "last_error": the failure's sentence, null after a success,
 *    "version", "exp": the installed bundle's (null for a plain JWKS),
 *    "etag", "last_modified": the plain JWKS answer's validators}
 * It is a report, never trust: the module does not read it, and sync reads
 * only the validators (a wrong one costs a full download) and which mode
 * and source the timer's bare `jwtctl sync` repeats for a plain JWKS.
 * The rollback rule reads jwks.json's pamjwt_trust, not this file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "bundle.h"
#include "ctl.h"
#include "filewrite.h"
#include "json.h"
#include "sync.h"
#include "timefmt.h"

#define STATUS_MAX (64 * 1024)
#define MSG_MAX 1024

int
sync_ctx_init(struct sync_ctx *c, const char *dir)
{
    memset(c, 0, sizeof(*c));
    c->now = time(NULL);
    if ((size_t)snprintf(c->dir, sizeof(c->dir), "%s", dir) >= sizeof(c->dir) ||
        (size_t)snprintf(c->jwks_path, sizeof(c->jwks_path), "%s/jwks.json",
                         dir) >= sizeof(c->jwks_path) ||
        (size_t)snprintf(c->revoked_path, sizeof(c->revoked_path),
                         "%s/revoked", dir) >= sizeof(c->revoked_path) ||
        (size_t)snprintf(c->status_path, sizeof(c->status_path),
                         "%s/sync-status.json", dir) >= sizeof(c->status_path)) {
        ctl_err("sync: --dir %s: path too long", dir);
        return -1;
    }
    return 0;
}

void
sync_status_load(struct sync_ctx *c)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;

    json_decref(c->status);
    c->status = NULL;
    pjwt_err_clear(&e);
    if (lstat(c->status_path, &st) != 0 && errno == ENOENT) {
        /* never synced */
    } else if (pjwt_file_read(c->status_path, STATUS_MAX,
                              PJWT_FILE_CHECK_WRITE, &buf, &len, &e) != 0 ||
               !(c->status = pjwt_json_parse_object((char *)buf, len,
                                                    STATUS_MAX, &e))) {
        ctl_err("sync: warning: %s: %s (starting a new one)", c->status_path,
                e.msg);
    }
    pjwt_file_free(buf, len);
    if (!c->status)
        c->status = json_object();
}

const char *
sync_status_str(const struct sync_ctx *c, const char *name)
{
    return json_string_value(json_object_get(c->status, name));
}

void
sync_status_source(struct sync_ctx *c, const char *mode, const char *source)
{
    static const char *const bundle_only[] = { "version", "exp" },
                             *const jwks_only[] = { "etag", "last_modified" };
    const char *const *drop = strcmp(mode, "jwks") == 0 ? bundle_only
                                                        : jwks_only;

    json_object_set_new(c->status, "mode", json_string(mode));
    json_object_set_new(c->status, "source", json_string(source));
    json_object_del(c->status, drop[0]);
    json_object_del(c->status, drop[1]);
}

static int
status_write(struct sync_ctx *c)
{
    char *text;
    pjwt_err e;
    int r;

    if (!c->status ||
        !(text = json_dumps(c->status, JSON_INDENT(2) | JSON_SORT_KEYS))) {
        ctl_err("sync: out of memory");
        return -1;
    }
    pjwt_err_clear(&e);
    r = pjwt_file_replace(c->status_path, text, strlen(text), 0644, 0, &e);
    free(text);
    if (r != 0)
        ctl_err("sync: %s", e.msg);
    return r == 0 ? 0 : -1;
}

/* A result on the terminal and in syslog. */
static void
tell(int prio, const char *msg)
{
    static int opened;

    if (!opened) {
        openlog("jwtctl", LOG_PID, LOG_AUTHPRIV);
        opened = 1;
    }
    syslog(LOG_AUTHPRIV | prio, "sync: %s", msg);
    if (prio == LOG_ERR)
        ctl_err("sync: %s", msg);
    else
        printf("sync: %s\n", msg);
}

/* The one way a result is told: the terminal and syslog, then the
   attempt (and with LOG_INFO the success) in the status file. */
static int
record(struct sync_ctx *c, int prio, const char *fmt, va_list ap)
{
    char msg[MSG_MAX];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    tell(prio, msg);
    /* Outside a trusted DIR nothing is written; on a failure only the
       attempt is: what was installed stays as the last success said. */
    if (!c->dir_ok || !c->status)
        return 0;
    json_object_set_new(c->status, "last_attempt",
                        json_integer((json_int_t)c->now));
    if (prio == LOG_INFO)
        json_object_set_new(c->status, "last_success",
                            json_integer((json_int_t)c->now));
    json_object_set_new(c->status, "last_error",
                        prio == LOG_INFO ? json_null() : json_string(msg));
    return status_write(c);
}

int
sync_fail(struct sync_ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)record(c, LOG_ERR, fmt, ap);
    va_end(ap);
    return CTL_FAIL;
}

int
sync_done(struct sync_ctx *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = record(c, LOG_INFO, fmt, ap);
    va_end(ap);
    return r != 0 ? CTL_FAIL : ctl_flush();
}

/* "NAME: TIME" for an epoch member, "NAME: never" without one. */
static void
print_time(const char *label, const json_t *v, time_t now)
{
    char t[PJWT_TIME_BUF];

    if (json_is_integer(v))
        printf("%-15s%s\n", label,
               pjwt_time_fmt((double)json_integer_value(v), now, 0, t,
                             sizeof(t)));
    else
        printf("%-15snever\n", label);
}

int
sync_status_print(struct sync_ctx *c)
{
    pjwt_trust_info ti;
    const char *err, *s, *mode;
    char t[PJWT_TIME_BUF];
    pjwt_err e;
    int rc;

    sync_status_load(c);
    s = sync_status_str(c, "source");
    mode = sync_status_str(c, "mode");
    printf("%-15s%s%s\n", "source:", s ? s : "none (never synced)",
           !mode ? "" : strcmp(mode, "jwks") == 0 ? " (plain JWKS)"
                                                  : " (trust bundle)");
    print_time("last success:", json_object_get(c->status, "last_success"),
               c->now);
    print_time("last attempt:", json_object_get(c->status, "last_attempt"),
               c->now);
    err = sync_status_str(c, "last_error");
    printf("%-15s%s\n", "last error:", err ? err : "none");
    /* The installed bundle as the module sees it: jwks.json itself. */
    pjwt_err_clear(&e);
    rc = pjwt_trust_info_load(c->jwks_path, PJWT_FILE_CHECK_WRITE, &ti, &e);
    if (rc == 0) {
        printf("%-15s%lld (signed %s)\n", "version:", ti.version,
               pjwt_time_fmt((double)ti.iat, c->now, 0, t, sizeof(t)));
        printf("%-15s%s%s\n", "expires:",
               pjwt_time_fmt((double)ti.exp, c->now, 0, t, sizeof(t)),
               c->now >= ti.exp ? " EXPIRED: run jwtctl sync" : "");
        printf("%-15s%s\n", "issuer:", ti.iss);
    } else if (rc == PJWT_ERR_MISSING) {
        printf("%-15snone (%s is a plain JWKS)\n", "version:", c->jwks_path);
    } else {
        printf("%-15snone (%s)\n", "version:", e.msg);
    }
    if ((s = sync_status_str(c, "etag")))
        printf("%-15s%s\n", "etag:", s);
    if ((s = sync_status_str(c, "last_modified")))
        printf("%-15s%s\n", "last modified:", s);
    rc = ctl_flush();
    if (rc != CTL_OK)
        return rc;
    return json_is_integer(json_object_get(c->status, "last_attempt")) && !err
        ? CTL_OK : CTL_FAIL;
}
