#!/usr/bin/python3
"""Generate the fuzz seed corpora and tests/fuzz/fuzz_keys.h.

Run from the repository root:  /usr/bin/python3 tests/fuzz/gen_seeds.py [TARGET...]
The outputs are committed; rerun only to change the seeds.  With TARGETs,
only their corpora are written (ECDSA signatures are random, so a full
rerun rewrites every signed seed).  Keys are fixed
test keys (tests/data/fuzz-keys/), created once, so that valid seed tokens verify
against the keys compiled into the fuzz targets.
"""
import base64, hashlib, hmac, json, os, sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from testkeys import b64, load_priv, pem_priv, pem_pub  # noqa: E402
FZ = os.path.join(TOP, "tests", "fuzz")
KEYS = os.path.join(TOP, "tests", "data", "fuzz-keys")
CORPUS = os.path.join(FZ, "corpus")
NOW = 1750000000          # the fixed "now" of the fuzz targets
SECRET = (b"pamjwt-fuzz-hmac-secret-" + b"0123456789abcdef" * 3)[:64]   # HS512 needs 64 bytes
assert len(SECRET) == 64

def load_or_make(name, make):
    p = os.path.join(KEYS, name)
    if os.path.exists(p):
        return load_priv(p)
    k = make()
    os.makedirs(KEYS, exist_ok=True)
    with open(p, "wb") as f:
        f.write(pem_priv(k))
    return k

K = {
    "p256": load_or_make("p256.pem", lambda: ec.generate_private_key(ec.SECP256R1())),
    "p384": load_or_make("p384.pem", lambda: ec.generate_private_key(ec.SECP384R1())),
    "p521": load_or_make("p521.pem", lambda: ec.generate_private_key(ec.SECP521R1())),
    "ed25519": load_or_make("ed25519.pem", ed25519.Ed25519PrivateKey.generate),
    "rsa": load_or_make("rsa2048.pem", lambda: rsa.generate_private_key(65537, 2048)),
}

HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}

def sign(alg, sinput, der=False):
    sinput = sinput.encode()
    if alg.startswith("HS"):
        return hmac.new(SECRET, sinput, getattr(hashlib, "sha" + alg[2:])).digest()
    if alg.startswith("RS"):
        return K["rsa"].sign(sinput, padding.PKCS1v15(), HASH[alg[2:]]())
    if alg.startswith("PS"):
        h = HASH[alg[2:]]()
        return K["rsa"].sign(sinput, padding.PSS(padding.MGF1(h), h.digest_size), h)
    if alg.startswith("ES"):
        key, n = {"ES256": (K["p256"], 32), "ES384": (K["p384"], 48),
                  "ES512": (K["p521"], 66)}[alg]
        sig = key.sign(sinput, ec.ECDSA(HASH[alg[2:]]()))
        if der:
            return sig
        r, s = decode_dss_signature(sig)
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    if alg in ("EdDSA", "Ed25519"):
        return K["ed25519"].sign(sinput)
    raise ValueError(alg)

def claims(**kw):
    c = {"iss": "https://issuer.example", "aud": "pam-host", "sub": "alice",
         "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 290,
         "jti": "0123456789abcdef0123456789abcdef", "groups": ["users", "wheel"]}
    c.update(kw)
    return {k: v for k, v in c.items() if v is not None}

def token(alg, hdr=None, cl=None, raw_hdr=None, raw_cl=None, sig_alg=None, der=False):
    h = {"alg": alg, "typ": "JWT"} if hdr is None else hdr
    hs = b64(raw_hdr) if raw_hdr is not None else b64(json.dumps(h, separators=(",", ":")))
    ps = b64(raw_cl) if raw_cl is not None else b64(json.dumps(claims() if cl is None else cl, separators=(",", ":")))
    si = hs + "." + ps
    s = sign(sig_alg or alg, si, der) if (sig_alg or alg) not in ("none", "None", "NONE", "nOnE", "") else b""
    return si + "." + b64(s)

ONLY = set(sys.argv[1:])

def write(target, name, data):
    if ONLY and target not in ONLY:
        return
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# ---- JWS targets --------------------------------------------------------
def attack_shapes(target, good_alg):
    t = token(good_alg)
    h, p, s = t.split(".")
    for n in ("none", "None", "NONE", "nOnE", ""):
        write(target, "alg_" + (n or "empty"), token(n, hdr={"alg": n}) )
    write(target, "alg_none_with_sig", token(good_alg, hdr={"alg": "none"}, sig_alg=good_alg))
    write(target, "alg_missing", token(good_alg, hdr={"typ": "JWT"}, sig_alg=good_alg))
    write(target, "alg_number", token(good_alg, hdr={"alg": 256}, sig_alg=good_alg))
    write(target, "alg_space", token(good_alg, hdr={"alg": good_alg + " "}, sig_alg=good_alg))
    write(target, "alg_lower", token(good_alg, hdr={"alg": good_alg.lower()}, sig_alg=good_alg))
    write(target, "crit", token(good_alg, hdr={"alg": good_alg, "crit": ["exp"], "exp": 1}))
    write(target, "crit_empty", token(good_alg, hdr={"alg": good_alg, "crit": []}))
    write(target, "b64_false", token(good_alg, hdr={"alg": good_alg, "b64": False, "crit": ["b64"]}))
    write(target, "b64_true", token(good_alg, hdr={"alg": good_alg, "b64": True}))
    write(target, "kid_unknown", token(good_alg, hdr={"alg": good_alg, "kid": "nope"}))
    write(target, "kid_path", token(good_alg, hdr={"alg": good_alg, "kid": "../../../../etc/passwd"}))
    write(target, "kid_number", token(good_alg, hdr={"alg": good_alg, "kid": 7}))
    write(target, "kid_nul", token(good_alg, raw_hdr='{"alg":"%s","kid":"a\\u0000b"}' % good_alg))
    write(target, "jwk_embedded", token(good_alg, hdr={"alg": good_alg, "jwk": {"kty": "oct", "k": b64(b"x" * 32)}}))
    write(target, "jku_x5u", token(good_alg, hdr={"alg": good_alg, "jku": "http://127.0.0.1/", "x5u": "http://127.0.0.1/", "x5c": ["AAAA"]}))
    write(target, "dup_alg", token(good_alg, raw_hdr='{"alg":"none","alg":"%s"}' % good_alg))
    write(target, "dup_sub", token(good_alg, raw_cl='{"sub":"mallory","sub":"alice","exp":%d}' % (NOW + 100)))
    write(target, "padding", h + "==." + p + "=." + s + "=")
    write(target, "std_b64", t.replace("-", "+").replace("_", "/"))
    write(target, "whitespace", h + " ." + p + "\n." + s)
    write(target, "two_segments", h + "." + p)
    write(target, "four_segments", t + "." + s)
    write(target, "empty_sig", h + "." + p + ".")
    write(target, "empty_payload", h + ".." + s)
    write(target, "dots", "..")
    write(target, "trunc_sig", h + "." + p + "." + s[:-4])
    write(target, "long_sig", h + "." + p + "." + s + "AAAA")
    write(target, "hdr_array", token(good_alg, raw_hdr='["alg","%s"]' % good_alg))
    write(target, "hdr_trailing", token(good_alg, raw_hdr='{"alg":"%s"} x' % good_alg))
    write(target, "hdr_nul", token(good_alg, raw_hdr='{"alg":"%s"}\x00' % good_alg))
    write(target, "deep_json", token(good_alg, raw_cl='{"a":' + "[" * 5000 + "]" * 5000 + "}"))
    write(target, "deep_json_17", token(good_alg, raw_cl='{"a":' + "[" * 16 + "]" * 16 + "}"))
    write(target, "huge_payload", token(good_alg, cl=claims(pad="A" * 9000)))
    write(target, "big_numbers", token(good_alg, raw_cl='{"exp":1e400,"iat":-1,"nbf":9007199254740993}'))
    write(target, "exp_string", token(good_alg, cl=claims(exp=str(NOW + 100))))
    write(target, "exp_float", token(good_alg, cl=claims(exp=NOW + 100.5, iat=NOW - 0.5)))
    write(target, "exp_past", token(good_alg, cl=claims(exp=NOW - 61)))
    write(target, "exp_missing", token(good_alg, cl=claims(exp=None)))
    write(target, "nbf_future", token(good_alg, cl=claims(nbf=NOW + 61)))
    write(target, "iat_future", token(good_alg, cl=claims(iat=NOW + 61)))
    write(target, "lifetime_long", token(good_alg, cl=claims(exp=NOW + 86400)))
    write(target, "aud_array", token(good_alg, cl=claims(aud=["x", "pam-host"])))
    write(target, "aud_prefix", token(good_alg, cl=claims(aud="pam-host-evil")))
    write(target, "aud_object", token(good_alg, cl=claims(aud={"pam-host": 1})))
    write(target, "iss_wrong", token(good_alg, cl=claims(iss="https://issuer.example/")))
    write(target, "sub_nul", token(good_alg, raw_cl='{"iss":"https://issuer.example","aud":"pam-host","sub":"alice\\u0000x","exp":%d}' % (NOW + 100)))
    write(target, "sub_array", token(good_alg, cl=claims(sub=["alice"])))
    write(target, "groups_string", token(good_alg, cl=claims(groups="wheel")))
    write(target, "groups_missing", token(good_alg, cl=claims(groups=None)))
    write(target, "utf8_bad", token(good_alg, raw_cl=b'{"sub":"\xff\xfe","exp":1}'.decode("latin1")))
    write(target, "payload_array", token(good_alg, raw_cl="[1,2,3]"))
    # claims mode: the target signs a JSON object itself
    write(target, "claims_good", json.dumps(claims()))
    write(target, "claims_aud_array", json.dumps(claims(aud=["a", "pam-host"], groups=["wheel"])))
    write(target, "claims_dup", '{"sub":"alice","sub":"bob"}')
    write(target, "claims_types", json.dumps({"iss": 1, "aud": [1, None], "sub": {}, "exp": "x", "nbf": True, "iat": [], "groups": [1]}))
    write(target, "claims_min", "{}")

HS_ALGS = ["HS256", "HS384", "HS512"]
for a in HS_ALGS:
    write("fuzz_jws_hs", "valid_" + a, token(a))
    write("fuzz_jws_hs", "kid_other_" + a, token(a, hdr={"alg": a, "kid": "hs-key"}))
    # kid = RFC 7638 thumbprint of the oct key, which is its default kid
    tp = b64(hashlib.sha256(json.dumps({"k": b64(SECRET), "kty": "oct"}, separators=(",", ":")).encode()).digest())
    write("fuzz_jws_hs", "valid_kid_" + a, token(a, hdr={"alg": a, "kid": tp, "typ": "JWT"}))
attack_shapes("fuzz_jws_hs", "HS256")
write("fuzz_jws_hs", "alg_confusion_rs", token("RS256", sig_alg="HS256"))
# RFC 7515 A.1 (HS256, its own key: a well-formed token that must not verify)
write("fuzz_jws_hs", "rfc7515_a1",
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
# RFC 7520 4.4 (HS256 with kid)
write("fuzz_jws_hs", "rfc7520_4_4",
      "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9."
      "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
      "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0")

PK_ALGS = ["ES256", "ES384", "ES512", "EdDSA", "Ed25519", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
for a in PK_ALGS:
    write("fuzz_jws_ec", "valid_" + a, token(a))
attack_shapes("fuzz_jws_ec", "ES256")
write("fuzz_jws_ec", "der_ES256", token("ES256", der=True))
write("fuzz_jws_ec", "der_ES384", token("ES384", der=True))
write("fuzz_jws_ec", "es256_with_p384", token("ES256", sig_alg="ES384"))
write("fuzz_jws_ec", "es512_as_es256", token("ES512", hdr={"alg": "ES256"}, sig_alg="ES512"))
write("fuzz_jws_ec", "ps_as_rs", token("RS256", hdr={"alg": "RS256"}, sig_alg="PS256"))
write("fuzz_jws_ec", "eddsa_as_ed25519", token("EdDSA", hdr={"alg": "Ed25519"}))
t = token("ES256"); h, p, s = t.split(".")
write("fuzz_jws_ec", "es256_zero_sig", h + "." + p + "." + b64(b"\0" * 64))
write("fuzz_jws_ec", "es256_ff_sig", h + "." + p + "." + b64(b"\xff" * 64))
# alg confusion: HS256 over the public key PEM as secret
pub = pem_pub(K["rsa"])
si = b64(json.dumps({"alg": "HS256"})) + "." + b64(json.dumps(claims()))
write("fuzz_jws_ec", "alg_confusion_hs_pem", si + "." + b64(hmac.new(pub, si.encode(), hashlib.sha256).digest()))
# RFC 7515 A.3 (ES256) and RFC 7520 4.3 (ES512), foreign keys
write("fuzz_jws_ec", "rfc7515_a3",
      "eyJhbGciOiJFUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q")
write("fuzz_jws_ec", "rfc7520_4_3",
      "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
      "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
      "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2")

# ---- JWK / JWKS ----------------------------------------------------------
from jwcrypto import jwk as jwkmod

def jwk_of(k, private=False, **extra):
    j = json.loads(jwkmod.JWK.from_pem(pem_priv(k)).export(private_key=private))
    j.update(extra)
    return j

W = "fuzz_jwk"
pubs = [jwk_of(K[n]) for n in ("p256", "p384", "p521", "ed25519", "rsa")]
for n, j in zip(("p256", "p384", "p521", "ed25519", "rsa"), pubs):
    write(W, "pub_" + n, json.dumps(j))
    write(W, "priv_" + n, json.dumps(jwk_of(K[n], True)))
write(W, "jwks_all", json.dumps({"keys": pubs}))
write(W, "jwks_mixed", json.dumps({"keys": [pubs[0], {"kty": "oct", "k": b64(SECRET)},
                                             {"kty": "RSA", "use": "enc", "n": pubs[4]["n"], "e": "AQAB"},
                                             {"kty": "OKP", "crv": "X448", "x": b64(b"\1" * 56)},
                                             {"kty": "EC", "crv": "secp256k1", "x": pubs[0]["x"], "y": pubs[0]["y"]}]}))
write(W, "oct", json.dumps({"kty": "oct", "k": b64(SECRET), "alg": "HS256", "kid": "hs-key"}))
write(W, "oct_short", json.dumps({"kty": "oct", "k": b64(b"short")}))
write(W, "alg_pin", json.dumps(dict(pubs[0], alg="ES256", kid="k1", use="sig", key_ops=["verify"])))
write(W, "alg_pin_wrong", json.dumps(dict(pubs[0], alg="ES384")))
write(W, "alg_none", json.dumps(dict(pubs[0], alg="none")))
write(W, "use_enc", json.dumps(dict(pubs[0], use="enc")))
write(W, "key_ops_sign", json.dumps(dict(pubs[0], key_ops=["encrypt"])))
write(W, "ec_off_curve", json.dumps(dict(pubs[0], y=b64(b"\1" * 32))))
write(W, "ec_short_x", json.dumps(dict(pubs[0], x=b64(b"\1" * 31))))
write(W, "ec_crv_mismatch", json.dumps(dict(pubs[1], crv="P-256")))
write(W, "rsa_small", json.dumps({"kty": "RSA", "n": b64(b"\xc3" * 128), "e": "AQAB"}))
write(W, "rsa_e_even", json.dumps(dict(pubs[4], e=b64(b"\x01\x00"))))
write(W, "rsa_e_huge", json.dumps(dict(pubs[4], e=b64(b"\xff" * 300))))
write(W, "rsa_n_leading_zero", json.dumps(dict(pubs[4], n="AAAA" + pubs[4]["n"])))
write(W, "okp_x_bad", json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64(b"\0" * 31)}))
write(W, "kty_missing", json.dumps({"crv": "P-256", "x": pubs[0]["x"], "y": pubs[0]["y"]}))
write(W, "dup_kty", '{"kty":"oct","kty":"EC","crv":"P-256","x":"%s","y":"%s"}' % (pubs[0]["x"], pubs[0]["y"]))
write(W, "keys_not_array", '{"keys":{"kty":"EC"}}')
write(W, "keys_empty", '{"keys":[]}')
write(W, "keys_deep", '{"keys":[' + "[" * 4000 + "]" * 4000 + "]}")
write(W, "kid_types", json.dumps(dict(pubs[0], kid=["a"])))
write(W, "padded_b64", json.dumps(dict(pubs[0], x=pubs[0]["x"] + "=")))
write(W, "x5c", json.dumps(dict(pubs[4], x5c=["MIIB"], x5t="abc")))

# ---- PEM and secrets -----------------------------------------------------
P = "fuzz_pem"
for n, k in K.items():
    write(P, "pub_" + n, pem_pub(k))
    write(P, "pkcs8_" + n, pem_priv(k))
write(P, "ec_trad", K["p256"].private_bytes(serialization.Encoding.PEM,
      serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
write(P, "rsa_trad", K["rsa"].private_bytes(serialization.Encoding.PEM,
      serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
write(P, "rsa_pkcs1_pub", K["rsa"].public_key().public_bytes(serialization.Encoding.PEM,
      serialization.PublicFormat.PKCS1))
write(P, "multi_block", pem_pub(K["p256"]) + pem_pub(K["ed25519"]) + pem_pub(K["rsa"]))
write(P, "encrypted", K["p256"].private_bytes(serialization.Encoding.PEM,
      serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))
write(P, "secret", SECRET)
write(P, "secret_short", b"0123456789")
write(P, "secret_binary", bytes(range(256)))
write(P, "truncated", pem_pub(K["rsa"])[:200])
write(P, "bad_base64", b"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")
write(P, "mismatched", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
write(P, "jwk_in_pem_file", json.dumps(pubs[0]))
write(P, "jwks_in_pem_file", json.dumps({"keys": pubs}))
# a self-signed certificate with the P-256 key
try:
    import datetime
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(K["p256"].public_key()).serial_number(1)
            .not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2040, 1, 1))
            .sign(K["p256"], hashes.SHA256()))
    write(P, "cert_p256", cert.public_bytes(serialization.Encoding.PEM))
except Exception as e:  # pragma: no cover
    print("no certificate seed:", e, file=sys.stderr)

# ---- config file and module arguments -----------------------------------
C = "fuzz_conf"
write(C, "full", """# pam_jwt.conf
issuer = https://issuer.example
audience = %h-%s
key = /etc/pam_jwt/jwks.json
key = /etc/pam_jwt/next.pem
hmac_secret = /etc/pam_jwt/secret
algorithms = ES256, EdDSA , HS256
leeway = 60
max_lifetime = 3600
max_token_length = 8192
user_claim = preferred_username
require_claim = groups=wheel
require_claim = amr=pwd
revoked = /etc/pam_jwt/revoked
""")
write(C, "args", "issuer=https://i\naudience=%H\nkey=/k.pem\nalgorithms=ES256\nleeway=0\n")
write(C, "bad_numbers", "leeway = -1\nmax_lifetime = 99999999999999999999\nmax_token_length = 0x10\nleeway=12abc\n")
write(C, "bad_algs", "algorithms = none\nalgorithms = ES256,,HS256\nalgorithms = es256\n")
write(C, "blank_and_flags", "\n\n   # comment\n\tdebug\nflag_only\n = value\nkey=\n")
write(C, "unknown", "frobnicate = 1\n")
write(C, "no_newline", "issuer = x")
write(C, "crlf", "issuer = a\r\naudience = b\r\n")
write(C, "nul", "issuer = a\0b\n")
write(C, "long_line", "issuer = " + "x" * 5000 + "\n")
write(C, "upper_key", "Issuer = x\nISSUER=y\n")
write(C, "percent", "audience = %%%h%H%s%x%\n")
write(C, "brackets", "[require_claim=groups=a b]\nrequire_claim==\nrequire_claim=noequals\n")

# ---- base64url -----------------------------------------------------------
for i, s in enumerate(["", "A", "AA", "AAA", "AAAA", "_-_-", "AB==", "AQ", "AR", "+/+/", "a b", b64(bytes(range(256)))]):
    write("fuzz_b64url", "s%02d" % i, s)

# ---- trust bundle (fuzz_bundle: trusts the P-256 key, iss below, NOW) -----
B = "fuzz_bundle"
BISS = "https://issuer.example"

def thumb(j):
    return jwkmod.JWK(**{k: v for k, v in j.items() if k in ("kty", "crv", "x", "y", "n", "e")}).thumbprint()

def bkey(name, state, **extra):
    j = jwk_of(K[name])
    j.update(kid=thumb(j), pamjwt_state=state)
    j.update(extra)
    return j

def bpayload(**kw):
    p = {"iss": BISS, "version": 3, "iat": NOW - 60, "exp": NOW + 604800,
         "jwks": {"keys": [bkey("p256", "current"), bkey("ed25519", "retiring"),
                           bkey("rsa", "next")]},
         "revoked": [{"jti": "0123456789abcdef"}, {"sub": "mallory"},
                     {"sub": "alice", "before": NOW - 3600}]}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}

def bentry(p, key="p256", alg="ES256", typ="pamjwt-trust+jwt", raw=None, hdr=None):
    kid = thumb(jwk_of(K[key]))
    h = {"alg": alg, "kid": kid, "typ": typ} if hdr is None else hdr
    ps = raw if raw is not None else json.dumps(p, separators=(",", ":"))
    return token(alg, hdr=h, raw_cl=ps)

def bwrite(name, entries):
    write(B, name, json.dumps(entries, separators=(",", ":")))

good = bpayload()
bwrite("good", [bentry(good)])
bwrite("good_two_signers", [bentry(good, "ed25519", "EdDSA"), bentry(good)])
bwrite("untrusted_only", [bentry(good, "ed25519", "EdDSA")])
bwrite("rsa_signer", [bentry(good, "rsa", "RS256"), bentry(good)])
bwrite("mixed_payloads", [bentry(good), bentry(bpayload(version=4), "ed25519", "EdDSA")])
bwrite("typ_jwt", [bentry(good, typ="JWT")])
bwrite("typ_missing", [bentry(good, hdr={"alg": "ES256", "kid": "k"})])
bwrite("header_extra", [bentry(good, hdr={"alg": "ES256", "kid": "k", "typ": "pamjwt-trust+jwt", "crit": ["x"]})])
bwrite("alg_none", [token("none", hdr={"alg": "none", "kid": "k", "typ": "pamjwt-trust+jwt"}, cl=good)])
bwrite("expired", [bentry(bpayload(iat=NOW - 700000, exp=NOW - 1))])
bwrite("iat_future", [bentry(bpayload(iat=NOW + 301, exp=NOW + 700000))])
bwrite("wrong_iss", [bentry(bpayload(iss="https://evil.example"))])
bwrite("version_0", [bentry(bpayload(version=0))])
bwrite("version_real", [bentry(bpayload(version=3.0))])
bwrite("exp_string", [bentry(bpayload(exp=str(NOW + 10)))])
bwrite("unknown_member", [bentry(bpayload(extra=True))])
bwrite("no_current", [bentry(bpayload(jwks={"keys": [bkey("p256", "retiring")]}))])
bwrite("bad_state", [bentry(bpayload(jwks={"keys": [bkey("p256", "active")]}))])
bwrite("private_d", [bentry(bpayload(jwks={"keys": [dict(jwk_of(K["p256"], True), kid="p", pamjwt_state="current")]}))])
bwrite("secret_key", [bentry(bpayload(jwks={"keys": [bkey("p256", "current"), {"kty": "oct", "k": b64(SECRET), "kid": "s", "pamjwt_state": "published"}]}))])
bwrite("dup_kid", [bentry(bpayload(jwks={"keys": [bkey("p256", "current"), bkey("p256", "next")]}))])
bwrite("kid_missing", [bentry(bpayload(jwks={"keys": [{k: v for k, v in bkey("p256", "current").items() if k != "kid"}]}))])
bwrite("revoked_bad_names", [bentry(bpayload(revoked=[{"jti": "#c"}, {"sub": "a b"}, {"jti": ""}]))])
bwrite("revoked_both", [bentry(bpayload(revoked=[{"jti": "x", "sub": "y"}]))])
bwrite("revoked_before_real", [bentry(bpayload(revoked=[{"sub": "x", "before": 1.5}]))])
bwrite("revoked_before_huge", [bentry(bpayload(revoked=[{"sub": "x", "before": 253402300800}]))])
bwrite("revoked_long_name", [bentry(bpayload(revoked=[{"sub": "n" * 256}, {"jti": "j" * 257}]))])
bwrite("revoked_many", [bentry(bpayload(revoked=[{"jti": "j%d" % i} for i in range(300)]))])
bwrite("revoked_empty", [bentry(bpayload(revoked=[]))])
bwrite("seventeen", [bentry(good)] * 17)
bwrite("sixteen", [bentry(good)] * 16)
bwrite("dup_member_payload", [bentry(good, raw='{"iss":"a","iss":"b"}')])
write(B, "empty_array", "[]")
write(B, "object", '{"keys":[]}')
write(B, "not_strings", "[1,null,{}]")
write(B, "bare_token", bentry(good))
write(B, "trailing", json.dumps([bentry(good)]) + "]")

# ---- fuzz_keys.h ---------------------------------------------------------
def cstr(b):
    out = []
    for line in b.decode().splitlines(True):
        out.append('    "' + line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"')
    return "\n".join(out)

with open(os.path.join(FZ, "fuzz_keys.h"), "w") as f:
    f.write("/* Generated by tests/fuzz/gen_seeds.py: the fixed test keys of the fuzz\n"
            "   targets (seed tokens are signed with these).  Not secret. */\n"
            "#ifndef FUZZ_KEYS_H\n#define FUZZ_KEYS_H\n\n")
    f.write("#define FUZZ_NOW ((time_t)%d)\n" % NOW)
    f.write("static const char fuzz_hmac_secret[] = \"%s\";\n\n" % SECRET.decode())
    for n in ("p256", "p384", "p521", "ed25519", "rsa"):
        f.write("static const char fuzz_pub_%s[] =\n%s;\n\n" % (n, cstr(pem_pub(K[n]))))
    f.write("static const char fuzz_priv_p256[] =\n%s;\n\n" % cstr(pem_priv(K["p256"])))
    f.write("#endif\n")
print("seeds written under", CORPUS)

# ---- issuer HTTP requests (raw bytes on one connection) -------------------
I = "fuzz_issuer"
def req(method, path, headers=(), body=b""):
    if isinstance(body, str):
        body = body.encode()
    h = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"] + list(headers)
    if body or method == "POST":
        h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode("latin1") + body

FORM = "Content-Type: application/x-www-form-urlencoded"
basic = "Authorization: Basic " + base64.b64encode(b"alice:s3cr3t-pw").decode()
write(I, "token_form", req("POST", "/token", [FORM], "grant_type=password&username=alice&password=s3cr3t-pw"))
write(I, "token_form_scope_aud", req("POST", "/token", [FORM], "grant_type=password&username=alice&password=s3cr3t-pw&scope=openid%20profile&audience=api"))
write(I, "token_basic", req("POST", "/token", [FORM, basic], "grant_type=password"))
write(I, "token_basic_and_form", req("POST", "/token", [FORM, basic], "grant_type=password&username=bob&password=x"))
write(I, "token_basic_bad", req("POST", "/token", [FORM, "Authorization: Basic !!!notb64"], "grant_type=password"))
write(I, "token_basic_nocolon", req("POST", "/token", [FORM, "Authorization: Basic " + base64.b64encode(b"alice").decode()], "grant_type=password"))
write(I, "token_xff", req("POST", "/token", [FORM, "X-Forwarded-For: 203.0.113.7, 10.0.0.1"], "grant_type=password&username=alice&password=s3cr3t-pw"))
write(I, "token_xff_bad", req("POST", "/token", [FORM, "X-Forwarded-For: not-an-ip,,::ffff:1.2.3.4"], "grant_type=password&username=alice&password=s3cr3t-pw"))
write(I, "token_dup_fields", req("POST", "/token", [FORM], "grant_type=password&username=alice&username=root&password=s3cr3t-pw"))
write(I, "token_bad_percent", req("POST", "/token", [FORM], "grant_type=password&username=%zz%&password=%"))
write(I, "token_nul", req("POST", "/token", [FORM], "grant_type=password&username=al%00ice&password=s3cr3t-pw"))
write(I, "token_non_utf8", req("POST", "/token", [FORM], "grant_type=password&username=%ff%fe&password=s3cr3t-pw"))
write(I, "token_other_grant", req("POST", "/token", [FORM], "grant_type=client_credentials"))
write(I, "token_no_ctype", req("POST", "/token", [], "grant_type=password&username=alice&password=s3cr3t-pw"))
write(I, "token_json_ctype", req("POST", "/token", ["Content-Type: application/json"], '{"grant_type":"password"}'))
write(I, "token_multipart", req("POST", "/token", ["Content-Type: multipart/form-data; boundary=x"], "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--x--\r\n"))
write(I, "token_chunked", b"POST /token HTTP/1.1\r\nHost: x\r\n" + FORM.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ngrant\r\n0\r\n\r\n")
write(I, "token_get", req("GET", "/token"))
write(I, "token_big", req("POST", "/token", [FORM], "grant_type=password&username=" + "a" * 5000))
write(I, "token_otp", req("POST", "/token", [FORM], "grant_type=password&username=alice&password=s3cr3t-pw&otp=123456"))
write(I, "pipelined", req("GET", "/healthz") + req("POST", "/token", [FORM], "grant_type=password&username=alice&password=s3cr3t-pw") + req("GET", "/metrics"))
for p in ("/healthz", "/metrics", "/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/nope", "/token/../healthz"):
    write(I, "get_" + p.strip("/").replace("/", "_").replace(".", "") or "root", req("GET", p))
ut = token("ES256", hdr={"alg": "ES256", "typ": "JWT"}, cl=claims(aud="pam-host"))
write(I, "userinfo_bearer", req("GET", "/userinfo", ["Authorization: Bearer " + ut]))
write(I, "auth_bearer", req("GET", "/auth", ["Authorization: Bearer " + ut]))
write(I, "userinfo_none_alg", req("GET", "/userinfo", ["Authorization: Bearer " + token("none", hdr={"alg": "none"})]))
write(I, "userinfo_lowercase", req("GET", "/userinfo", ["authorization: bearer " + ut]))
write(I, "userinfo_empty", req("GET", "/userinfo", ["Authorization: Bearer "]))
write(I, "userinfo_basic", req("GET", "/userinfo", [basic]))
write(I, "head_auth", req("HEAD", "/auth", ["Authorization: Bearer x.y.z"]))
write(I, "http10", b"GET /healthz HTTP/1.0\r\n\r\n")
write(I, "garbage", b"\x00\xff\r\n\r\n")
write(I, "long_header", b"GET /healthz HTTP/1.1\r\nX-A: " + b"a" * 9000 + b"\r\n\r\n")
print("issuer seeds written")
