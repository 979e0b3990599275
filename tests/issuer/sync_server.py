#!/usr/bin/python3
# sync_server.py: the issuer's side as jwtctl sync sees it, for
# tests/issuer/sync_attacks.sh: files from ROOT over https (or http) on
# 127.0.0.1, port 0, the bound port written to PORTFILE.  Paths:
#   /big/...      10 MiB of '[' without Content-Length; /bigcl/... the same
#                 with one.  The log says whether all of it was sent or the
#                 client cut the transfer ("big: aborted after N bytes").
#   /redir/...    302 to http://127.0.0.1:PORT/... (this server, plain):
#                 a redirect to another scheme.
#   /cut/...      a Content-Length 1000 bytes longer than the body, then the
#                 connection is closed (a download cut short).
#   anything else ROOT/path, with an ETag (its SHA-256); If-None-Match
#                 equal to it is answered 304.  Each request is logged with
#                 the If-None-Match it carried.
#   sync_server.py ROOT PORTFILE LOG [CERT KEY]
import hashlib, http.server, os, socket, ssl, sys

root, portfile, logname = sys.argv[1:4]
log = open(logname, "a", buffering=1)
BIG = 10 * 1024 * 1024


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def big(self, with_length):
        # A small send buffer: what the kernel holds for a client that
        # stopped reading stays far below 10 MiB, so "sent all" means the
        # client read it all.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if with_length:
            self.send_header("Content-Length", str(BIG))
        self.end_headers()
        chunk, sent = b"[" * 65536, 0
        try:
            while sent < BIG:
                self.wfile.write(chunk)
                sent += len(chunk)
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            log.write("big: aborted after %d bytes\n" % sent)
            return
        log.write("big: sent all %d bytes\n" % sent)

    def do_GET(self):
        inm = self.headers.get("If-None-Match")
        log.write("GET %s INM=%s\n" % (self.path, inm))
        if self.path.startswith("/big/"):
            return self.big(False)
        if self.path.startswith("/bigcl/"):
            return self.big(True)
        if self.path.startswith("/redir/"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:%d/%s" % (
                self.server.server_address[1], self.path[7:]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.path.split("?")[0]
        cut = path.startswith("/cut/")
        if cut:
            path = path[4:]
        f = os.path.join(root, path.lstrip("/"))
        try:
            body = open(f, "rb").read()
        except OSError:
            self.send_error(404)
            return
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        if not cut and inm == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Mon, 07 Dec 2026 12:00:00 GMT")
        self.send_header("Content-Length", str(len(body) + (1000 if cut else 0)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if cut:
            self.close_connection = True


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
tmp = portfile + ".tmp"
with open(tmp, "w") as pf:
    pf.write("%d\n" % srv.server_address[1])
os.rename(tmp, portfile)
srv.serve_forever()
