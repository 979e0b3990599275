/*
 * env.c: export_claims, the named claims of a verified token into the PAM
 * environment as JWT_<NAME> (upper case), for the session that follows.
 *
 * pam_putenv only: the PAM environment belongs to the handle, the process
 * environment is the host program's (no setenv).  Claim names are checked
 * when the option is read; values are bounded and may not carry control
 * characters, so a token cannot smuggle a newline into a session's
 * environment file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>
#include "mod.h"

#define VALUE_MAX 1024

int
pjm_export_parse(pjm_conf *c, const char *list, pjwt_err *err)
{
    const char *p = list, *e;
    size_t n;

    if (!list || !*list)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "export_claims needs a list of claim names");
    c->n_export = 0;
    while (*p) {
        e = strchr(p, ',');
        n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n >= PJM_NAME_MAX)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "export_claims: empty or too long name");
        for (size_t i = 0; i < n; i++)
            if (!(isalnum((unsigned char)p[i]) || p[i] == '_'))
                return PJWT_FAIL(err, PJWT_ERR_CONF,
                                 "export_claims: names are [A-Za-z0-9_]+");
        if (c->n_export >= PJM_MAX_EXPORT)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "export_claims: at most %d names",
                             PJM_MAX_EXPORT);
        memcpy(c->export[c->n_export], p, n);
        c->export[c->n_export][n] = '\0';
        c->n_export++;
        p += n;
        if (*p == ',') {
            p++;
            if (!*p)
                return PJWT_FAIL(err, PJWT_ERR_CONF,
                                 "export_claims: trailing comma");
        }
    }
    return 0;
}

/* Text of a claim value: strings as they are, everything else as compact
   JSON.  NULL on ENOMEM; *bad set when the value may not be exported. */
static char *
value_text(const json_t *v, int *bad)
{
    char *s;

    *bad = 0;
    if (json_is_string(v))
        s = strdup(json_string_value(v));
    else
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return NULL;
    if (strlen(s) > VALUE_MAX)
        *bad = 1;
    for (const char *q = s; *q && !*bad; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *bad = 1;
    return s;
}

int
pjm_export_claims(pam_handle_t *pamh, const pjm_conf *c, const json_t *claims)
{
    char var[PJM_NAME_MAX + 8];
    char *val = NULL, *entry = NULL;
    int rv = PAM_SUCCESS, bad;

    for (size_t i = 0; i < c->n_export; i++) {
        const json_t *v = json_object_get(claims, c->export[i]);
        size_t k;

        if (!v)
            continue;
        val = value_text(v, &bad);
        if (!val) {
            rv = PAM_BUF_ERR;
            goto out;
        }
        if (bad) {
            pjm_log(pamh, LOG_NOTICE,
                    "export_claims: claim %s not exported (too long or "
                    "control characters)", c->export[i]);
            free(val);
            val = NULL;
            continue;
        }
        snprintf(var, sizeof(var), "JWT_%s", c->export[i]);
        for (k = 4; var[k]; k++)
            var[k] = (char)toupper((unsigned char)var[k]);
        if (asprintf(&entry, "%s=%s", var, val) < 0) {
            entry = NULL;
            rv = PAM_BUF_ERR;
            goto out;
        }
        rv = pam_putenv(pamh, entry);
        free(entry);
        entry = NULL;
        free(val);
        val = NULL;
        if (rv != PAM_SUCCESS)
            goto out;
    }
out:
    free(val);
    return rv;
}
