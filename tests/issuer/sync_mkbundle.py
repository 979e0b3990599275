#!/usr/bin/python3
# sync_mkbundle.py: a trust bundle (common/bundle.h) made by an independent
# JOSE implementation (jwcrypto, python3-jwt for the "typ":"JWT" case), for
# tests/issuer/sync_attacks.sh.  Nothing of libpjwt is used to sign, so a
# bundle jwtctl sync accepts is one the wire format allows, not one our own
# code happens to produce.
#
#   sync_mkbundle.py --iss URL --version N [--iat T] [--exp T]
#       --key PEM:STATE ...        published keys (the public half) and state
#       --sign PEM ...             signing keys (private PEMs), one JWS each
#       [--revoked JSON] [--typ TYP] [--token] [--no-keys]
# Prints the bundle (a JSON array of compact JWS); --token prints one bare
# compact JWS with typ JWT (an access token, not a bundle).
import argparse, json, sys, time
from jwcrypto import jwk, jws
import jwt

p = argparse.ArgumentParser()
p.add_argument("--iss", required=True)
p.add_argument("--version", type=int, required=True)
p.add_argument("--iat", type=int)
p.add_argument("--exp", type=int)
p.add_argument("--key", action="append", default=[])
p.add_argument("--sign", action="append", default=[])
p.add_argument("--revoked", default="[]")
p.add_argument("--typ", default="pamjwt-trust+jwt")
p.add_argument("--token", action="store_true")
a = p.parse_args()

now = int(time.time())
iat = a.iat if a.iat is not None else now
exp = a.exp if a.exp is not None else iat + 3600


def load(path):
    return jwk.JWK.from_pem(open(path, "rb").read())


keys = []
for spec in a.key:
    path, state = spec.rsplit(":", 1)
    k = load(path)
    pub = json.loads(k.export_public())
    pub["kid"] = k.thumbprint()
    pub["pamjwt_state"] = state
    keys.append(pub)
payload = json.dumps({"iss": a.iss, "version": a.version, "iat": iat,
                      "exp": exp, "jwks": {"keys": keys},
                      "revoked": json.loads(a.revoked)},
                     separators=(",", ":"))

if a.token:
    k = load(a.sign[0])
    pem = open(a.sign[0], "rb").read()
    print(jwt.encode(json.loads(payload), pem, algorithm="ES256",
                     headers={"kid": k.thumbprint(), "typ": "JWT"}))
    sys.exit(0)

sigs = []
for path in a.sign:
    k = load(path)
    s = jws.JWS(payload.encode())
    s.add_signature(k, None, json.dumps({"alg": "ES256", "kid": k.thumbprint(),
                                         "typ": a.typ}))
    sigs.append(s.serialize(compact=True))
print(json.dumps(sigs))
