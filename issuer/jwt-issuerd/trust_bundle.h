/*
 * trust_bundle.h: the trust bundle jwt-issuerd serves at
 * /.well-known/pamjwt-trust.jws (route_trust_bundle in routes.h; the
 * design is in trust_bundle.c).
 */
#ifndef ISSUER_TRUST_BUNDLE_H
#define ISSUER_TRUST_BUNDLE_H

/* Tell the store the keys of the state just installed (a change bumps the
   bundle's version): main calls this after the store is open and after
   every reload, so the version moves with the keys even before anyone
   asks for the bundle.  Errors are logged. */
void trust_bundle_keys(void);

/* Drop the cached bundle and the state it holds (at exit). */
void trust_bundle_close(void);

#endif
