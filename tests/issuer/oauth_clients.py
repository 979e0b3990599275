"""The python part of oauth_clients.sh: standard OAuth client libraries from
Debian against a running jwt-issuerd over TLS (REQUESTS_CA_BUNDLE names the
test CA, so no OAUTHLIB_INSECURE_TRANSPORT).  argv: token URL, output dir.
Each case writes the token it got to DIR/NAME.tok for the shell to verify."""
import sys

from oauthlib.oauth2 import LegacyApplicationClient, InvalidClientError
from requests_oauthlib import OAuth2Session as OAuthlibSession
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.integrations.base_client import OAuthError

url, out = sys.argv[1], sys.argv[2]
SECRET = open(out + "/webapp.secret").read().strip()
n = 0


def ok(name, tok):
    global n
    assert tok.get("access_token"), tok
    assert tok.get("token_type") == "Bearer", tok
    open("%s/%s.tok" % (out, name), "w").write(tok["access_token"])
    n += 1
    print("ok py %d - %s" % (n, name))


# requests-oauthlib: LegacyApplicationClient is RFC 6749 4.3; with a secret
# it authenticates with HTTP Basic (4.3.2's example), the user in the form.
s = OAuthlibSession(client=LegacyApplicationClient(client_id="webapp"))
ok("oauthlib_basic", s.fetch_token(url, username="alice", password="secret",
                                   client_id="webapp", client_secret=SECRET))

# A public client: client_id in the body, no secret (include_client_id).
s = OAuthlibSession(client=LegacyApplicationClient(client_id="cli"))
ok("oauthlib_public", s.fetch_token(url, username="alice", password="secret",
                                    client_id="cli", include_client_id=True))

# requests-oauthlib's default for a client without a secret: Basic "cli:".
s = OAuthlibSession(client=LegacyApplicationClient(client_id="cli"))
ok("oauthlib_public_basic", s.fetch_token(url, username="alice",
                                          password="secret", client_id="cli"))

# A wrong secret is invalid_client, raised as such by the library.
s = OAuthlibSession(client=LegacyApplicationClient(client_id="webapp"))
try:
    s.fetch_token(url, username="alice", password="secret",
                  client_id="webapp", client_secret=SECRET + "x")
    raise SystemExit("requests-oauthlib: a wrong client secret got a token")
except InvalidClientError:
    n += 1
    print("ok py %d - oauthlib_wrong_secret: InvalidClientError" % n)

# authlib, both secret methods RFC 8414 metadata lists.
for method in ("client_secret_basic", "client_secret_post"):
    s = AuthlibSession(client_id="webapp", client_secret=SECRET,
                       token_endpoint_auth_method=method)
    ok("authlib_" + method, s.fetch_token(url, username="alice",
                                          password="secret"))

s = AuthlibSession(client_id="cli", token_endpoint_auth_method="none")
ok("authlib_none", s.fetch_token(url, username="alice", password="secret"))

s = AuthlibSession(client_id="nosuch", client_secret="x",
                   token_endpoint_auth_method="client_secret_basic")
try:
    s.fetch_token(url, username="alice", password="secret")
    raise SystemExit("authlib: an unknown client got a token")
except OAuthError as e:
    assert e.error == "invalid_client", e.error
    n += 1
    print("ok py %d - authlib_unknown_client: invalid_client" % n)

# An audience the client is not registered for: refused whatever the
# password (the issuer allows it, the client may not ask for it).
s = AuthlibSession(client_id="sshonly", client_secret=SECRET,
                   token_endpoint_auth_method="client_secret_post")
ok("authlib_sshonly", s.fetch_token(url, username="alice", password="secret",
                                    audience="ssh:web1"))
try:
    s.fetch_token(url, username="alice", password="secret")
    raise SystemExit("authlib: sshonly got a token for the default audience")
except OAuthError as e:
    assert e.error == "invalid_request", e.error
    n += 1
    print("ok py %d - authlib_sshonly_default_audience: invalid_request" % n)
