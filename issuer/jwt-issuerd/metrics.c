/*
 * metrics.c: see metrics.h.  Fixed arrays, no locks: a scrape may see a
 * counter a few increments behind, which Prometheus tolerates.
 */
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"

static const char *const ep_name[EP_COUNT] = {
    "token", "jwks", "oauth_authorization_server",
    "userinfo", "auth", "healthz", "metrics", "revoke", "trust_bundle",
    "other"
};
static const unsigned codes[] = { 200, 400, 401, 404, 405, 413, 429, 500, 503 };
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const char *const login_name[LOGIN_COUNT] = {
    "success", "invalid_grant", "throttled", "busy",
    "invalid_request", "error", "invalid_client"
};
static const double buckets[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static unsigned long req[EP_COUNT][NCODES + 1];
static unsigned long logins[LOGIN_COUNT];
static unsigned long pam_bucket[NBUCKETS + 1];
static unsigned long pam_count;
static unsigned long pam_sum_us;
static unsigned long helpers_started;
static unsigned long reloads[2];

#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void
metrics_request(enum metrics_endpoint ep, unsigned code)
{
    size_t i;

    if ((unsigned)ep >= EP_COUNT)
        ep = EP_OTHER;
    for (i = 0; i < NCODES && codes[i] != code; i++)
        ;
    INC(req[ep][i]);
}

void
metrics_login(enum metrics_login outcome)
{
    if ((unsigned)outcome < LOGIN_COUNT)
        INC(logins[outcome]);
}

void
metrics_pam_latency(double s)
{
    size_t i;

    for (i = 0; i < NBUCKETS && s > buckets[i]; i++)
        ;
    INC(pam_bucket[i]);
    INC(pam_count);
    __atomic_add_fetch(&pam_sum_us, (unsigned long)(s * 1e6), __ATOMIC_RELAXED);
}

void
metrics_helper_started(void)
{
    INC(helpers_started);
}

void
metrics_reload(int ok)
{
    INC(reloads[ok ? 0 : 1]);
}

char *
metrics_render(long queue_depth, long in_flight)
{
    char *buf = NULL;
    size_t len = 0, i, j;
    unsigned long cum = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL)
        return NULL;
    fprintf(f, "# HELP jwt_issuerd_requests_total HTTP requests by endpoint and status.\n"
               "# TYPE jwt_issuerd_requests_total counter\n");
    for (i = 0; i < EP_COUNT; i++)
        for (j = 0; j <= NCODES; j++) {
            unsigned long v = GET(req[i][j]);

            if (v == 0 && !(i == EP_TOKEN && j == 0))
                continue;
            if (j < NCODES)
                fprintf(f, "jwt_issuerd_requests_total{endpoint=\"%s\",code=\"%u\"} %lu\n",
                        ep_name[i], codes[j], v);
            else
                fprintf(f, "jwt_issuerd_requests_total{endpoint=\"%s\",code=\"other\"} %lu\n",
                        ep_name[i], v);
        }
    fprintf(f, "# HELP jwt_issuerd_logins_total Login attempts on /token by outcome.\n"
               "# TYPE jwt_issuerd_logins_total counter\n");
    for (i = 0; i < LOGIN_COUNT; i++)
        fprintf(f, "jwt_issuerd_logins_total{outcome=\"%s\"} %lu\n", login_name[i],
                GET(logins[i]));
    fprintf(f, "# HELP jwt_issuerd_throttled_total Logins refused by rate limits.\n"
               "# TYPE jwt_issuerd_throttled_total counter\n"
               "jwt_issuerd_throttled_total %lu\n", GET(logins[LOGIN_THROTTLED]));
    fprintf(f, "# HELP jwt_issuerd_pam_seconds Time PAM helpers took per login.\n"
               "# TYPE jwt_issuerd_pam_seconds histogram\n");
    for (i = 0; i < NBUCKETS; i++) {
        cum += GET(pam_bucket[i]);
        fprintf(f, "jwt_issuerd_pam_seconds_bucket{le=\"%g\"} %lu\n", buckets[i], cum);
    }
    cum += GET(pam_bucket[NBUCKETS]);
    fprintf(f, "jwt_issuerd_pam_seconds_bucket{le=\"+Inf\"} %lu\n"
               "jwt_issuerd_pam_seconds_sum %.6f\n"
               "jwt_issuerd_pam_seconds_count %lu\n",
            cum, (double)GET(pam_sum_us) / 1e6, GET(pam_count));
    fprintf(f, "# HELP jwt_issuerd_pam_queue_depth Logins waiting for a PAM helper.\n"
               "# TYPE jwt_issuerd_pam_queue_depth gauge\n"
               "jwt_issuerd_pam_queue_depth %ld\n"
               "# HELP jwt_issuerd_requests_in_flight Suspended login requests.\n"
               "# TYPE jwt_issuerd_requests_in_flight gauge\n"
               "jwt_issuerd_requests_in_flight %ld\n"
               "# HELP jwt_issuerd_pam_helpers_started_total PAM helper processes started.\n"
               "# TYPE jwt_issuerd_pam_helpers_started_total counter\n"
               "jwt_issuerd_pam_helpers_started_total %lu\n"
               "# HELP jwt_issuerd_reloads_total Configuration reloads (SIGHUP).\n"
               "# TYPE jwt_issuerd_reloads_total counter\n"
               "jwt_issuerd_reloads_total{result=\"ok\"} %lu\n"
               "jwt_issuerd_reloads_total{result=\"failed\"} %lu\n",
            queue_depth, in_flight, GET(helpers_started), GET(reloads[0]),
            GET(reloads[1]));
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
