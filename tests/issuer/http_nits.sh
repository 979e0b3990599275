#!/bin/sh
# Review finding 27: HTTP details of /token, with raw sockets (python) where
# curl would tidy the request up.  Content-Length together with chunked,
# two different Content-Lengths and other transfer codings are refused
# (and the connection closed: the rest of the stream cannot be framed);
# multipart bodies are refused; /token%00 and other encoded NUL paths are
# not /token; the Basic scheme is matched case-insensitively (RFC 7617);
# a NUL in a Basic password is invalid_request, not a shorter password;
# every /token error is an RFC 6749 one, 429 included (with Retry-After).
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
rate_limit_per_ip = 0
rate_limit_per_user = 2
EOC
start_issuerd "$T/iss.conf" "$T/log"

cat > "$T/nits.py" <<'EOP'
import base64, json, re, socket, sys, time

port = int(sys.argv[1])
FORM = b"application/x-www-form-urlencoded"
GOOD = b"grant_type=password&username=alice&password=secret"
n = 0

def ok(msg):
    global n
    n += 1
    print("ok - " + msg)

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def exchange(raw, timeout=10, check_close=False):
    """Send raw bytes; return (status, headers, body, closed) for the first
    response (status 0: none within timeout); with check_close, closed
    tells whether the server then closed the connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        buf, deadline = b"", time.time() + timeout
        try:
            while b"\r\n\r\n" not in buf and time.time() < deadline:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        except (socket.timeout, ConnectionResetError):
            pass
        if b"\r\n\r\n" not in buf:
            return 0, {}, b"", True
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        want = int(hdrs.get("content-length", "0"))
        while len(body) < want and time.time() < deadline:
            d = s.recv(65536)
            if not d:
                break
            body += d
        # Closed: EOF within a short wait (a kept-alive socket stays open).
        closed = None
        if check_close:
            s.settimeout(2)
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except ConnectionResetError:
                closed = True
        return status, hdrs, body[:want], closed
    finally:
        s.close()

def post(path=b"/token", headers=(), body=GOOD, ctype=FORM):
    h = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
    if ctype is not None:
        h += b"Content-Type: " + ctype + b"\r\n"
    for x in headers:
        h += x + b"\r\n"
    return h + b"\r\n" + body

def with_cl(body):
    return (b"Content-Length: %d" % len(body),)

def error_of(body):
    try:
        return json.loads(body)["error"]
    except Exception:
        return "(not an OAuth error body: %r)" % body[:80]

RFC6749 = {"invalid_request", "invalid_client", "invalid_grant",
           "unauthorized_client", "unsupported_grant_type", "invalid_scope",
           "server_error", "temporarily_unavailable"}

failed = []

def expect(what, raw, status, error=None, closed=None):
    """One case; a failure is reported and the run goes on (all of them
    are listed), the script failing at the end."""
    st, h, b, c = exchange(raw, check_close=closed is not None)
    why = None
    if st != status:
        why = "status %d, want %d: %r" % (st, status, b[:120])
    elif error is not None and error_of(b) != error:
        why = "error %r, want %r" % (error_of(b), error)
    elif closed is not None and c != closed:
        why = "connection %s" % ("closed" if c else "kept open")
    if why:
        print("FAIL: %s: %s" % (what, why), file=sys.stderr)
        failed.append(what)
    else:
        ok("%s -> %d %s" % (what, st, error or ""))
    return h, b

chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(GOOD), GOOD)

# ---- framing --------------------------------------------------------------
expect("Content-Length and chunked",
       post(headers=(b"Content-Length: 5", b"Transfer-Encoding: chunked"), body=chunked),
       400, "invalid_request", closed=True)
expect("chunked and Content-Length (other order)",
       post(headers=(b"Transfer-Encoding: chunked", b"Content-Length: %d" % len(GOOD)),
            body=chunked), 400, "invalid_request", closed=True)
expect("two different Content-Lengths",
       post(headers=(b"Content-Length: %d" % len(GOOD), b"Content-Length: 5")),
       400, "invalid_request", closed=True)
expect("two different Content-Lengths on another endpoint",
       b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 3\r\n\r\nabc",
       400, "invalid_request", closed=True)
expect("Transfer-Encoding gzip, chunked",
       post(headers=(b"Transfer-Encoding: gzip, chunked",), body=chunked),
       400, "invalid_request", closed=True)
expect("chunked body alone is fine", post(headers=(b"Transfer-Encoding: chunked",),
                                          body=chunked), 200)
expect("two equal Content-Lengths are one length (RFC 9110 8.6)",
       post(headers=with_cl(GOOD) * 2), 200)

# ---- body type -------------------------------------------------------------
mp = (b"--XX\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n"
      b"--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n"
      b"--XX\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--XX--\r\n")
expect("multipart/form-data body",
       post(headers=with_cl(mp), body=mp, ctype=b"multipart/form-data; boundary=XX"),
       400, "invalid_request")
expect("form body with charset parameter",
       post(headers=with_cl(GOOD), ctype=FORM + b"; charset=UTF-8"), 200)
expect("form media type in upper case",
       post(headers=with_cl(GOOD), ctype=FORM.upper()), 200)
expect("form media type with a suffix",
       post(headers=with_cl(GOOD), ctype=FORM + b"x"), 400, "invalid_request")

# ---- paths -----------------------------------------------------------------
for p in (b"/token%00", b"/token%00x", b"/token%00/", b"/healthz%00"):
    method = b"GET" if p.startswith(b"/healthz") else b"POST"
    raw = post(path=p, headers=with_cl(GOOD)) if method == b"POST" else \
        b"GET " + p + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    expect("%s %s" % (method.decode(), p.decode()), raw, 404)
expect("/%74oken (an escaped letter) is still /token",
       post(path=b"/%74oken", headers=with_cl(GOOD)), 200)

# ---- HTTP Basic ------------------------------------------------------------
BASIC_BODY = b"grant_type=password"
def basic(scheme, cred):
    return post(headers=(b"Authorization: " + scheme + b" " + base64.b64encode(cred),)
                + with_cl(BASIC_BODY), body=BASIC_BODY)
for scheme in (b"Basic", b"basic", b"BASIC", b"bAsIc"):
    expect("scheme %s" % scheme.decode(), basic(scheme, b"alice:secret"), 200)
expect("NUL inside a Basic password", basic(b"Basic", b"alice:secret\0junk"),
       400, "invalid_request")
expect("NUL at the end of a Basic password", basic(b"Basic", b"alice:secret\0"),
       400, "invalid_request")
expect("NUL in a Basic user name", basic(b"Basic", b"alice\0x:secret"),
       400, "invalid_request")
expect("Basic password with a colon is one password",
       basic(b"Basic", b"alice:sec:ret"), 400, "invalid_grant")
expect("Basic without base64", post(headers=(b"Authorization: Basic !!!!",)
                                     + with_cl(BASIC_BODY), body=BASIC_BODY),
       400, "invalid_request")
expect("Basic with unpadded base64",
       post(headers=(b"Authorization: Basic " + base64.b64encode(b"alice:secre").rstrip(b"="),)
            + with_cl(BASIC_BODY), body=BASIC_BODY), 400, "invalid_request")

# ---- every /token error is RFC 6749's ---------------------------------------
cases = [
    (b"grant_type=password&username=carol&password=wrong", 400),
    (b"grant_type=client_credentials", 400),
    (b"username=alice&password=secret", 400),
    (b"grant_type=password&username=alice", 400),
    (b"grant_type=password&username=alice&password=secret&scope=admin", 400),
    (b"grant_type=password&username=alice&password=secret&audience=evil", 400),
    (b"grant_type=password&username=alice&username=x&password=secret", 400),
]
for body, status in cases:
    st, h, b, _ = exchange(post(headers=with_cl(body), body=body))
    e = error_of(b)
    if st != status or e not in RFC6749:
        print("FAIL: %r: %d %r" % (body, st, e), file=sys.stderr)
        failed.append("error code of %r" % body)
ok("invalid_grant, unsupported_grant_type, invalid_request, invalid_scope: all RFC 6749")
big = b"grant_type=password&username=alice&password=" + b"a" * 5000
st, h, b, _ = exchange(post(headers=with_cl(big), body=big))
if st != 413 or error_of(b) not in RFC6749:
    fail("413: %d %r" % (st, b))
st, h, b, _ = exchange(b"GET /token HTTP/1.1\r\nHost: x\r\n\r\n")
if st != 405 or error_of(b) not in RFC6749:
    fail("405: %d %r" % (st, b))
ok("413 and 405 on /token carry RFC 6749 errors")
# rate_limit_per_user = 2: the third failure for dave is throttled.
wrong = b"grant_type=password&username=dave&password=wrong"
for i in range(3):
    st, h, b, _ = exchange(post(headers=with_cl(wrong), body=wrong))
if st != 429:
    fail("third failure for dave: %d %r" % (st, b))
if error_of(b) not in RFC6749:
    print("FAIL: 429 error %r is not an RFC 6749 code" % error_of(b), file=sys.stderr)
    failed.append("429 error code")
if not re.fullmatch(r"[1-9][0-9]*", h.get("retry-after", "")):
    fail("429 without Retry-After: %r" % h)
if h.get("cache-control") != "no-store":
    fail("429 without Cache-Control: no-store: %r" % h)
ok("429 %s with Retry-After %s" % (error_of(b), h["retry-after"]))
if failed:
    fail("%d case(s) failed: %s" % (len(failed), "; ".join(failed)))
EOP
$PY "$T/nits.py" "$ISS_PORT" > "$T/py.out" 2>&1 || {
    cat "$T/py.out"; fail "raw HTTP cases"; }
cat "$T/py.out"
cases=$(grep -c '^ok ' "$T/py.out")
kill -0 "$ISS_PID" || fail "daemon died"
code=$(login alice secret)
[ "$code" = 200 ] || fail "good login after the cases: $code"
ok "all raw HTTP cases answered; the daemon still serves logins"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
