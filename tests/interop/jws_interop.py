#!/usr/bin/python3
"""Interoperability of pjwt's JWS with PyJWT and jwcrypto, both ways.

For every algorithm pjwt implements: a token signed by pjwt (jws_tool)
verifies with PyJWT and with jwcrypto, and tokens signed by PyJWT and by
jwcrypto verify with pjwt.  Tampered tokens and a wrong algorithm are
refused.

Neither Debian 12's PyJWT 2.6 nor jwcrypto 1.1 knows the RFC 9864 name
"Ed25519"; both are given it here as an alias of their own EdDSA/Ed25519
code (PyJWT: register_algorithm with OKPAlgorithm; jwcrypto: its EdDSA
class in the JWA registry), so the signatures are still made and checked
by their implementations, under the new name.

usage: jws_interop.py JWS_TOOL DATA_DIR TMP_DIR   (prints "# cases passed: N")
"""
import json
import os
import subprocess
import sys
import time

import jwt
from jwt.algorithms import OKPAlgorithm
from jwcrypto import jwa, jwk, jws
from jwcrypto.common import base64url_encode

TOOL, DATA, TMP = sys.argv[1:4]
PREFIX = os.environ.get("VALGRIND", "").split()

# jwcrypto: "Ed25519" as another name of its EdDSA implementation.
jwa.JWA.algorithms_registry.setdefault(
    "Ed25519", jwa.JWA.algorithms_registry["EdDSA"])
# PyJWT: an instance that knows "Ed25519" too.
PYJWS = jwt.PyJWS()
PYJWS.register_algorithm("Ed25519", OKPAlgorithm())

SECRET = os.path.join(TMP, "hmac.secret")
with open(SECRET, "wb") as f:
    f.write(os.urandom(64))

RSA = ("jws_rsa2048.key", "jws_rsa2048.pub")
KEYS = {
    "HS256": None, "HS384": None, "HS512": None,
    "RS256": RSA, "RS384": RSA, "RS512": RSA,
    "PS256": RSA, "PS384": RSA, "PS512": RSA,
    "ES256": ("jws_p256.key", "jws_p256.pub"),
    "ES384": ("jws_p384.key", "jws_p384.pub"),
    "ES512": ("jws_p521.key", "jws_p521.pub"),
    "EdDSA": ("jws_ed25519.key", "jws_ed25519.pub"),
    "Ed25519": ("jws_ed25519.key", "jws_ed25519.pub"),
}

passed = 0
failed = []


def check(name, cond):
    global passed
    if cond:
        passed += 1
    else:
        failed.append(name)
        print("FAIL:", name, file=sys.stderr)


def files(alg):
    if KEYS[alg] is None:
        return SECRET, SECRET
    return tuple(os.path.join(DATA, n) for n in KEYS[alg])


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pjwt(op, alg, keyfile, data):
    p = subprocess.run(PREFIX + [TOOL, op, alg, keyfile], input=data.encode(),
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode().strip(), p.stderr.decode().strip()


def py_keys(alg):
    """(signing key, verifying key) as PyJWT wants them."""
    priv, pub = files(alg)
    return read(priv), read(pub)


def jwc_keys(alg):
    """(signing JWK, verifying JWK) for jwcrypto."""
    priv, pub = files(alg)
    if priv == SECRET:
        k = jwk.JWK(kty="oct", k=base64url_encode(read(SECRET)))
        return k, k
    return jwk.JWK.from_pem(read(priv)), jwk.JWK.from_pem(read(pub))


def py_encode(claims, key, alg):
    return PYJWS.encode(json.dumps(claims).encode(), key, algorithm=alg)


def py_decode(token, key, alg):
    return json.loads(PYJWS.decode(token, key, algorithms=[alg]))


def jwc_sign(claims, key, alg):
    s = jws.JWS(json.dumps(claims).encode())
    s.allowed_algs = [alg]
    s.add_signature(key, alg=alg, protected=json.dumps({"alg": alg}))
    return s.serialize(compact=True)


def jwc_verify(token, key, alg):
    s = jws.JWS()
    s.allowed_algs = [alg]
    s.deserialize(token)
    s.verify(key, alg=alg)
    return json.loads(s.payload)


def tamper(token):
    h, p, s = token.split(".")
    p = ("A" if p[0] != "A" else "B") + p[1:]
    return ".".join((h, p, s))


def refused(fn, *args):
    try:
        fn(*args)
    except Exception:
        return True
    return False


now = int(time.time())
for alg in KEYS:
    priv, pub = files(alg)
    py_priv, py_pub = py_keys(alg)
    jwc_priv, jwc_pub = jwc_keys(alg)
    claims = {"iss": "interop", "sub": "alice", "iat": now, "exp": now + 300,
              "alg_under_test": alg}

    # pjwt signs; PyJWT and jwcrypto verify.
    rc, tok, err = pjwt("sign", alg, priv, json.dumps(claims))
    check(alg + " pjwt sign", rc == 0 and tok.count(".") == 2)
    if rc != 0:
        print(alg, err, file=sys.stderr)
        continue
    hdr = json.loads(jws.base64url_decode(tok.split(".")[0]))
    check(alg + " header alg", hdr.get("alg") == alg)
    try:
        check(alg + " pjwt->PyJWT", py_decode(tok, py_pub, alg) == claims)
    except Exception as e:
        check(alg + " pjwt->PyJWT (%s)" % e, False)
    try:
        check(alg + " pjwt->jwcrypto", jwc_verify(tok, jwc_pub, alg) == claims)
    except Exception as e:
        check(alg + " pjwt->jwcrypto (%s)" % e, False)
    check(alg + " tampered pjwt token refused by PyJWT",
          refused(py_decode, tamper(tok), py_pub, alg))

    # PyJWT signs; pjwt verifies.
    t = py_encode(claims, py_priv, alg)
    rc, out, err = pjwt("verify", alg, pub, t)
    check(alg + " PyJWT->pjwt", rc == 0 and json.loads(out) == claims)
    rc, out, err = pjwt("verify", alg, pub, tamper(t))
    check(alg + " tampered PyJWT token refused by pjwt", rc == 1)

    # jwcrypto signs; pjwt verifies.
    t = jwc_sign(claims, jwc_priv, alg)
    rc, out, err = pjwt("verify", alg, pub, t)
    check(alg + " jwcrypto->pjwt", rc == 0 and json.loads(out) == claims)

    # The same token under another allowed algorithm is refused.
    other = "HS256" if alg != "HS256" else "HS384"
    rc, out, err = pjwt("verify", other, files(other)[1], t)
    check(alg + " refused when only %s is allowed" % other, rc == 1)

print("# cases passed: %d" % passed)
if failed:
    print("failed: " + ", ".join(failed), file=sys.stderr)
    sys.exit(1)
