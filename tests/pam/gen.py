#!/usr/bin/python3
"""gen.py DIR [USER]: keys and tokens for the PAM tests, made with PyJWT and
jwcrypto (Debian python3-jwt, python3-jwcrypto), so the module is tested
against an independent signer.  Writes DIR/keys/* and DIR/tok/<case>, one
token per file.  USER (default alice) is the subject of the tokens that
are meant to succeed; bob is always "another user".  Times are relative to now; the tests run well inside
the shortest lifetime (300 s)."""
import json
import os
import socket
import sys
import time

from jwcrypto import jwk

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from testkeys import b64, gen_key, pem_pub, write  # noqa: E402
import testkeys  # noqa: E402

ISS = "https://issuer.test"
AUD = "host-a"
D = sys.argv[1]
USER = sys.argv[2] if len(sys.argv) > 2 else "alice"
os.makedirs(D + "/keys", exist_ok=True)
os.makedirs(D + "/tok", exist_ok=True)
now = int(time.time())


ec1 = gen_key("P-256")
ec_other = gen_key("P-256")
rsa1 = gen_key("RSA2048")
ed1 = gen_key("Ed25519")
secret = os.urandom(48)

write(D + "/keys/ec.pub.pem", pem_pub(ec1))
write(D + "/keys/other.pub.pem", pem_pub(ec_other))
write(D + "/keys/rsa.pub.pem", pem_pub(rsa1))
write(D + "/keys/ed.pub.pem", pem_pub(ed1))
write(D + "/keys/hmac.secret", secret, 0o600)

# A JWKS of several EC keys; kid "k3" is ec1.  Only the token's kid is
# materialised by the module.
keys = []
for i in range(1, 7):
    k = ec1 if i == 3 else gen_key("P-256")
    j = json.loads(jwk.JWK.from_pem(pem_pub(k)).export_public())
    j["kid"] = "k%d" % i
    j["use"] = "sig"
    keys.append(j)
write(D + "/keys/jwks.json", json.dumps({"keys": keys}))


def claims(**kw):
    c = {"iss": ISS, "aud": AUD, "sub": USER, "iat": now, "exp": now + 3000}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def sign(name, c, key=ec1, alg="ES256", kid=None, headers=None):
    h = dict(headers or {})
    if kid:
        h["kid"] = kid
    t = testkeys.sign(c, key, alg=alg, headers=h)
    write(D + "/tok/" + name, t)
    return t


good = sign("good", claims())
sign("good_kid", claims(), kid="k3")
sign("unknown_kid", claims(), kid="k9")
sign("other_key_kid", claims(), key=ec_other, kid="whatever")
sign("other_key", claims(), key=ec_other)
sign("rsa", claims(), key=rsa1, alg="RS256")
sign("ps", claims(), key=rsa1, alg="PS256")
sign("ed", claims(), key=ed1, alg="EdDSA")
sign("hs", claims(), key=secret, alg="HS256")
sign("bob", claims(sub="bob"))
sign("root_rsa", claims(sub="root"), key=rsa1, alg="RS256")
sign("root_kid", claims(sub="root"), kid="k3")
sign("root_expired", claims(sub="root", iat=now - 1000, exp=now - 120))
sign("root_tampered", claims(sub="root"), kid="k3")
sign("nosuchuser", claims(sub="nosuchuser"))
sign("no_sub", claims(sub=None))
sign("uid_claim", claims(uid=USER, sub="someone-else"))
sign("expired", claims(iat=now - 1000, exp=now - 120))
sign("expired_in_leeway", claims(iat=now - 1000, exp=now - 20))
sign("no_exp", claims(exp=None))
sign("nbf_future", claims(nbf=now + 3000))
sign("iat_future", claims(iat=now + 3000, exp=now + 3300))
sign("long_life", claims(iat=now, exp=now + 7200))
sign("wrong_iss", claims(iss="https://evil.test"))
sign("wrong_aud", claims(aud="host-b"))
sign("aud_array", claims(aud=["host-b", AUD]))
sign("aud_host", claims(aud="jwt:" + socket.gethostname().split(".")[0]))
sign("aud_service", claims(aud="svc:jwtsvc"))
sign("groups", claims(groups=["users", "admins"], dept="ops"))
sign("groups_no", claims(groups=["users"], dept="ops"))
sign("jti1", claims(jti="one-1"))
sign("jti2", claims(jti="one-2"))
sign("jti3", claims(jti="../../etc/passwd"))
sign("jti_conc", claims(jti="concurrent-1"))
sign("revoked_jti", claims(jti="bad-jti"))
sign("export", claims(email="alice@example.test", roles=["a", "b"],
                      evil="x\ny"))
sign("too_long", claims(pad="p" * 9000))
# Key confusion: HS256 with the public PEM as the secret (PyJWT refuses
# to make one, so by hand).
import hashlib
import hmac
hh = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
pp = b64(json.dumps(claims()).encode())
mac = hmac.new(pem_pub(ec1), (hh + "." + pp).encode(), hashlib.sha256)
write(D + "/tok/confusion", hh + "." + pp + "." + b64(mac.digest()))

h = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
p = b64(json.dumps(claims()).encode())
write(D + "/tok/alg_none", h + "." + p + ".")
write(D + "/tok/alg_none_sig", h + "." + p + "." + good.split(".")[2])
hs, ps, ss = good.split(".")
tampered = b64(json.dumps(claims(sub=USER, admin=True)).encode())
write(D + "/tok/tampered_payload", hs + "." + tampered + "." + ss)
sig = bytearray(testkeys.b64d(ss))
sig[10] ^= 1
write(D + "/tok/tampered_sig", hs + "." + ps + "." + b64(bytes(sig)))
rt = open(D + "/tok/root_tampered").read()
write(D + "/tok/root_tampered", rt[:-6] + ("AAAAAA" if rt[-6:] != "AAAAAA" else "BBBBBB"))
# Shapes that are not tokens at all.
write(D + "/tok/password", "correct horse battery staple")
write(D + "/tok/dots", "a.b.c")
write(D + "/tok/noalg", b64(b'{"typ":"JWT"}') + "." + ps + "." + ss)
# A good header over a payload that is not JSON: still a token (a bad one).
write(D + "/tok/payload_not_json", hs + "." + b64(b"not json at all") + "." + ss)
write(D + "/tok/payload_not_b64", hs + "." + "pay=load" + "." + ss)
sign("jti4", claims(jti="one-4"))
# user_claim other than sub (revocation must follow it), a user name in
# another case (NSS backends that fold case).
sign("pref_user", claims(sub="u-1234", preferred_username=USER))
sign("sub_Alice", claims(sub="Alice"))
# Token-controlled text that tries to fake log fields.
sign("kid_inject", claims(), kid='k" rhost="192.0.2.66" x=\\y\x01')
sign("jti_inject", claims(jti='j" rhost="192.0.2.66\\ \x7f'))
sign("iss_inject", claims(iss='https://evil.test" rhost="192.0.2.66'))
# Shaped like a JWS ("eyJ", two dots) but malformed: bad tokens, never
# passwords.
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
write(D + "/tok/padded_sig", good + "=" * (-len(ss) % 4))
write(D + "/tok/fourth_segment", good + "." + ss)
assert len(ss) % 4 == 2
write(D + "/tok/trailing_bits", hs + "." + ps + "." + ss[:-1] + ALPHA[ALPHA.index(ss[-1]) | 1])
dup = b64(b'{"alg":"ES256","typ":"JWT","alg":"ES256"}')
write(D + "/tok/dup_header", dup + "." + ps + "." + ss)
write(D + "/tok/padded_payload", hs + "." + ps + "=." + ss)
