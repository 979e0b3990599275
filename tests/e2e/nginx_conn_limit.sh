#!/bin/sh
# Review finding 19: behind the shipped nginx site, one client holding 100
# connections and guessing passwords must not block everybody's logins.
# The issuer sees only nginx's address; its per-address connection limit
# (max_connections_per_ip, 64) must count the real clients behind the
# trusted proxy, not the proxy.  Failed answers are held ~2 s
# (pam_faildelay, as pam_unix does), so each guess occupies one of nginx's
# upstream connections for that long.
#  - 127.0.0.3 opens 100 TLS connections to nginx and keeps guessing on
#    all of them (bounded: at most 30 s and 40 requests per connection);
#  - once the issuer holds 50 or more of its requests, 127.0.0.2 logs in
#    five times with the right password: every login must succeed, and the
#    issuer must have refused some of the guesser's requests itself (503:
#    its per-client limit at work, not nginx's connections running out).
. "$(dirname "$0")/nginx.inc"
start_issuer "auth required pam_faildelay.so delay=2000000"
start_nginx

# ---- the guesser -----------------------------------------------------------
$PY - "$sport" "$T/tls.crt" "$T/stop" "$T/guesser.out" <<'EOP' &
import collections, http.client, os, ssl, sys, threading, time, urllib.parse
port, ca, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
codes = collections.Counter()
lock = threading.Lock()
deadline = time.monotonic() + 30
def guesser(i):
    c = None
    for n in range(40):
        if os.path.exists(stop) or time.monotonic() > deadline:
            break
        body = urllib.parse.urlencode({"grant_type": "password",
                                       "username": "mallory%d" % i,
                                       "password": "guess%d" % n})
        t0 = time.monotonic()
        try:
            if c is None:
                c = http.client.HTTPSConnection("localhost", port, timeout=20,
                                                context=ctx,
                                                source_address=("127.0.0.3", 0))
            c.request("POST", "/token", body,
                      {"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            code = str(r.status)
            if r.getheader("Connection", "").lower() == "close":
                c.close(); c = None
        except Exception as e:
            code = type(e).__name__
            c = None
        with lock:
            codes[code] += 1
        # A quick refusal: wait a little instead of spinning on it.
        if time.monotonic() - t0 < 0.5:
            time.sleep(0.3)
ts = [threading.Thread(target=guesser, args=(i,)) for i in range(100)]
for t in ts: t.start()
for t in ts: t.join(timeout=60)
with open(out, "w") as f:
    f.write(" ".join("%s=%d" % kv for kv in sorted(codes.items())) + "\n")
EOP
xpids=$!

# ---- wait until the guesser occupies the issuer --------------------------------
# (read from 127.0.0.4: nginx's 127.0.0.1 may be the one thing refused)
inflight() {
    curl -s --max-time 5 --interface 127.0.0.4 "http://127.0.0.1:$iport/metrics" |
        awk '$1 == "jwt_issuerd_requests_in_flight" { print $2 }'
}
i=0; busy=0
while [ $i -lt 200 ]; do
    busy=$(inflight); busy=${busy:-0}
    [ "$busy" -ge 50 ] && break
    kill -0 "$xpids" 2>/dev/null || fail "the guesser ended early: $(cat "$T/guesser.out" 2>/dev/null)"
    sleep 0.1; i=$((i + 1))
done
[ "$busy" -ge 50 ] || fail "the guesser never had 50 requests in the issuer (in flight: $busy)"
ok "one client (127.0.0.3) holds $busy requests in the issuer through nginx"

# ---- meanwhile, another client logs in ---------------------------------------------
C="curl -s --max-time 20 --cacert $T/tls.crt --interface 127.0.0.2"
for n in 1 2 3 4 5; do
    code=$($C -o "$T/login.out" -w '%{http_code}' -u alice:secret -d grant_type=password "$S/token") || true
    [ "$code" = 200 ] || { touch "$T/stop"; fail "login $n from 127.0.0.2 while 127.0.0.3 guesses: $code $(cat "$T/login.out")"; }
    busy=$(inflight)
done
[ "$(grep -c 'login: addr=127.0.0.2 user=alice outcome=success' "$T/issuer.log")" = 5 ] ||
    fail "the issuer did not log five successes for 127.0.0.2"
# The guesser must still have been at it, or the logins proved nothing.
[ "${busy:-0}" -ge 30 ] || fail "the guesser had let go by the last login (in flight: $busy)"
ok "five correct logins from 127.0.0.2 succeed while 127.0.0.3 guesses (still $busy in flight)"

touch "$T/stop"
i=0; while kill -0 "$xpids" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$xpids" 2>/dev/null && fail "the guesser did not stop"
xpids=""
g=$(cat "$T/guesser.out")
case " $g " in *" 503="*) ;; *) fail "the issuer never refused the guesser itself: $g" ;; esac
case " $g " in *" 502="*) fail "nginx answered 502 (the issuer refused nginx's connections): $g" ;; esac
ok "the guesser's excess requests were refused by the issuer per client (503), nginx's connections never: $g"

done_cases
