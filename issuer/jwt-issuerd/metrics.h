/*
 * metrics.h: counters for GET /metrics (Prometheus text format 0.0.4).
 * Lock-free: relaxed atomic increments from any thread.
 */
#ifndef ISSUER_METRICS_H
#define ISSUER_METRICS_H

#include <stddef.h>

enum metrics_endpoint {
    EP_TOKEN = 0, EP_JWKS, EP_AS_META, EP_USERINFO, EP_AUTH,
    EP_HEALTHZ, EP_METRICS, EP_REVOKE, EP_TRUST, EP_OTHER, EP_COUNT
};

enum metrics_login {
    LOGIN_OK = 0, LOGIN_DENIED, LOGIN_THROTTLED, LOGIN_BUSY,
    LOGIN_INVALID, LOGIN_ERROR, LOGIN_INVALID_CLIENT, LOGIN_COUNT
};

void metrics_request(enum metrics_endpoint ep, unsigned code);
void metrics_login(enum metrics_login outcome);
void metrics_pam_latency(double seconds);
void metrics_helper_started(void);
void metrics_reload(int ok);

/* The whole exposition as a malloc'd string (caller frees), or NULL. */
char *metrics_render(long queue_depth, long in_flight);

#endif
