"""tests/lib/testkeys.py: key and token helpers for the Python parts of the
tests (tests/pam/gen.py, tests/fuzz/gen_seeds.py, the python snippets of
tests/pam/file_trust.sh and tests/e2e/recipes.sh, tests/interop).  Keys
come from python3-cryptography and tokens from PyJWT, never from pjwt, so
the code under test meets an independent signer.

Use:  sys.path.insert(0, TOP + "/tests/lib"); import testkeys as tk
(a shell snippet: PYTHONPATH="$TOP/tests/lib" /usr/bin/python3 - ...)

  b64(data)              base64url without padding (bytes or str in, str out)
  b64d(text)             its inverse (padding restored)
  gen_key(kind)          a new private key: "P-256" (or "ES256"), "P-384",
                         "P-521", "Ed25519" (or "EdDSA"), "RSA2048" / "RS<bits>"
  pem_priv(key)          PKCS#8 PEM bytes, unencrypted
  pem_pub(key)           SubjectPublicKeyInfo PEM bytes of its public half
  load_priv(path)        a private key from a PEM file
  write(path, data, mode=0o644)   bytes or str to a file, then chmod
  sign(claims, key, alg="ES256", headers=None)
                         a compact JWS by PyJWT; key is a private key object,
                         PEM bytes or (HS*) the secret bytes
"""
import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

_CURVES = {"P-256": ec.SECP256R1, "ES256": ec.SECP256R1,
           "P-384": ec.SECP384R1, "ES384": ec.SECP384R1,
           "P-521": ec.SECP521R1, "ES512": ec.SECP521R1}


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def gen_key(kind):
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind]())
    if kind in ("Ed25519", "EdDSA"):
        return ed25519.Ed25519PrivateKey.generate()
    if kind.startswith("RSA") or kind.startswith("RS"):
        bits = kind[3:] if kind.startswith("RSA") else kind[2:]
        return rsa.generate_private_key(public_exponent=65537,
                                        key_size=int(bits or 2048))
    raise ValueError("unknown key kind " + kind)


def pem_priv(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem_pub(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def load_priv(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def sign(claims, key, alg="ES256", headers=None):
    import jwt      # python3-jwt; only the callers that sign need it
    if not isinstance(key, (bytes, str)):
        key = pem_priv(key)
    return jwt.encode(claims, key, algorithm=alg, headers=headers or None)

