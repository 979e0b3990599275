/*
 * routes.h: the endpoints, one file per family.
 */
#ifndef ISSUER_ROUTES_H
#define ISSUER_ROUTES_H

#include "http.h"

extern const struct route route_token;           /* routes_token.c */
extern const struct route route_revoke;          /* routes_revoke.c */
extern const struct route route_jwks;            /* routes_wellknown.c */
extern const struct route route_as_metadata;
extern const struct route route_healthz;
extern const struct route route_metrics;
extern const struct route route_trust_bundle;    /* trust_bundle.c */
extern const struct route route_userinfo;        /* routes_bearer.c */
extern const struct route route_auth;

#endif
