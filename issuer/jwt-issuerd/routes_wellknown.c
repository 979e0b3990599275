/*
 * routes_wellknown.c: the public documents (JWKS, RFC 8414 metadata),
 * /healthz and /metrics.  The documents are
 * rendered once per configuration load (state.c) and served as they are;
 * the JWKS on a shared store with the other replicas' keys added.
 */
#include <stdlib.h>
#include <string.h>

#include "helper_pool.h"
#include "key_registry.h"
#include "routes.h"
#include "session_store.h"
#include "state.h"

static const char *const cache_public[] = {
    "Cache-Control", "public, max-age=300", NULL
};

static enum MHD_Result
doc(struct req *r, const char *text)
{
    return http_reply(r, MHD_HTTP_OK, "application/json", text, strlen(text),
                      cache_public);
}

/* The keys of every replica on a shared store (key_registry.h). */
static enum MHD_Result
jwks_end(struct req *r)
{
    char *text = key_registry_jwks(r->st, NULL);
    enum MHD_Result ret;

    if (text == NULL)
        return MHD_NO;
    ret = doc(r, text);
    free(text);
    return ret;
}

static enum MHD_Result
as_end(struct req *r)
{
    return doc(r, r->st->as_metadata);
}

/* Not healthy while no PAM helper could take a login, or while the store
   replicas share failed its last call (nothing could be issued): a load
   balancer then sends logins elsewhere (the supervisor respawns helpers;
   the daemon exits when it cannot; the store's next answer, at the latest
   the key registry's heartbeat, clears it). */
static enum MHD_Result
healthz_end(struct req *r)
{
    static const char *const nocache[] = { "Cache-Control", "no-store", NULL };

    if (helper_pool_alive() == 0)
        return http_reply(r, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                          "no PAM helper\n", 14, nocache);
    if (shared_store_degraded())
        return http_reply(r, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                          "degraded: store unreachable\n", 28, nocache);
    return http_reply(r, MHD_HTTP_OK, "text/plain", "ok\n", 3, nocache);
}

static enum MHD_Result
metrics_end(struct req *r)
{
    char *text = metrics_render(helper_pool_queue_depth(), http_in_flight());
    enum MHD_Result ret;

    if (text == NULL)
        return MHD_NO;
    ret = http_reply(r, MHD_HTTP_OK, "text/plain; version=0.0.4", text,
                     strlen(text), NULL);
    free(text);
    return ret;
}

const struct route route_jwks = {
    "/.well-known/jwks.json", EP_JWKS, "GET, HEAD", NULL, NULL, jwks_end
};
const struct route route_as_metadata = {
    "/.well-known/oauth-authorization-server", EP_AS_META, "GET, HEAD", NULL,
    NULL, as_end
};
const struct route route_healthz = {
    "/healthz", EP_HEALTHZ, "GET, HEAD", NULL, NULL, healthz_end
};
const struct route route_metrics = {
    "/metrics", EP_METRICS, "GET, HEAD", NULL, NULL, metrics_end
};
