#!/usr/bin/python3
"""readme_deploy.sh's helper: the README's deployment sections as a script,
a pty that answers prompts as a user would, and a socket-activated start.

  extract README OUTDIR HEADING...   OUTDIR/steps.sh: the commands of those
      sections, in README order; OUTDIR/edit.N: the fenced blocks that
      `sudoedit FILE` and `systemctl edit UNIT` lines are followed by, in
      order (the editors readme_deploy.sh puts in place take them in turn).
      Prose steps become commands too:
        "`/etc/X` (...):" then a fenced block    -> /etc/X gets the block
                                                   (OUTDIR/block.N);
        "`/etc/X` ...: replace the [first] line `L` with" then a fenced
        block                                      -> L in /etc/X becomes it;
      any other paragraph naming /etc/X before a block stops the test.
      Other fenced blocks are examples, not steps.  Each command is echoed
      before it runs; after a line that sets TOKEN=, the token is saved to
      $PAMJWT_RD/token (the pty answers ssh's prompt with it: "paste").
  pty LOG RULES.. -- CMD...   run CMD on a new pty, its output to LOG; each
      rule REGEX=FILE types FILE's first line when REGEX appears (a prompt),
      REGEX=:TEXT types TEXT.  Exit status: CMD's.
  socket ADDR -- CMD...      bind ADDR (systemd's ListenStream= form: PORT,
      HOST:PORT, [V6]:PORT), listen, exec CMD with it as fd 3 and
      LISTEN_FDS=1, LISTEN_PID=its pid (the pid survives exec).
  replace FILE LINE BLOCK    the first line equal to LINE in FILE becomes
      BLOCK's content (exit 1 when there is none).
"""
import os
import pty
import re
import select
import shlex
import socket
import sys
import time


def sections(lines, headings):
    """Yield (heading, body lines) for every wanted heading, in file order
    (a section ends at the next heading; '#' lines inside fences are text)."""
    cur, body, fence = None, [], False
    taken = set()
    for ln in lines + ["# end"]:
        if ln.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^(#+) (.*)$", ln)
        if m:
            if cur is not None:
                yield cur, body
            cur, body = None, []
            # each wanted heading once: its first section ("The issuer"
            # is not also "The issuer behind nginx")
            for h in headings:
                if m.group(2).startswith(h) and h not in taken:
                    cur = m.group(2)
                    taken.add(h)
                    break
            continue
        if cur is not None:
            body.append(ln)


def extract(readme, outdir, headings):
    with open(readme) as f:
        lines = f.read().split("\n")
    out = ["set -e", 'cd "${PAMJWT_RD:?}/src"']
    nblock = nedit = 0
    found = []
    for head, body in sections(lines, headings):
        found.append(head)
        out.append("# ---- %s" % head)
        pending_edit = False      # a sudoedit/systemctl edit awaits its block
        para = []                 # the prose paragraph before a fenced block
        i = 0
        while i < len(body):
            ln = body[i]
            if ln.startswith("```"):
                j = i + 1
                while j < len(body) and not body[j].startswith("```"):
                    j += 1
                block = "\n".join(body[i + 1:j]) + "\n"
                i = j + 1
                text = " ".join(para)
                target = re.match(r"^`(/etc/[^`]+)`", text)
                repl = re.search(r"replace the (?:first )?line `([^`]+)` with$", text)
                if pending_edit:
                    nedit += 1
                    with open(os.path.join(outdir, "edit.%d" % nedit), "w") as f:
                        f.write(block)
                    pending_edit = False
                elif target and repl:
                    nblock += 1
                    bf = os.path.join(outdir, "block.%d" % nblock)
                    with open(bf, "w") as f:
                        f.write(block)
                    cmd = "python3 %s replace %s %s %s" % (
                        shlex.quote(os.path.abspath(__file__)), shlex.quote(target.group(1)),
                        shlex.quote(repl.group(1)), shlex.quote(bf))
                    out.append("printf '+ %%s\\n' %s" % shlex.quote("[replace in %s] %s" % (target.group(1), repl.group(1))))
                    out.append(cmd)
                elif target and text.rstrip().endswith(":"):
                    nblock += 1
                    bf = os.path.join(outdir, "block.%d" % nblock)
                    with open(bf, "w") as f:
                        f.write(block)
                    out.append("printf '+ %%s\\n' %s" % shlex.quote("[write %s]" % target.group(1)))
                    out.append("cat %s > %s" % (shlex.quote(bf), shlex.quote(target.group(1))))
                elif target:
                    # A file named before a block, with words this reader
                    # does not know: never skip a step of the README.
                    sys.exit("%s: in '%s', the paragraph before a block names %s "
                             "but says neither 'replace the line `L` with' nor ends "
                             "with ':': %s" % (readme, head, target.group(1), text))
                para = []
                continue
            if ln.startswith("    ") and (i == 0 or body[i - 1].strip() == "" or body[i - 1].startswith("    ")):
                cmd = ln[4:]
                # A command's continuation lines (indented deeper: the body
                # of a for loop, a pipe broken after `|`) are one step with
                # it, echoed and run as one.
                while i + 1 < len(body) and (body[i + 1].startswith("     ") or
                                             re.search(r"(\||\\|&&)\s*$", cmd)):
                    i += 1
                    cmd += "\n" + body[i][4:]
                out.append("printf '+ %%s\\n' %s" % shlex.quote(cmd))
                out.append(cmd)
                if re.match(r"^(sudo )?sudoedit ", cmd) or re.match(r"^(sudo )?systemctl edit ", cmd):
                    pending_edit = True
                if re.match(r"^TOKEN=", cmd):
                    out.append('printf "%s\\n" "$TOKEN" > "$PAMJWT_RD/token"')
                i += 1
                para = []
                continue
            if ln.strip() != "":
                if i > 0 and body[i - 1].strip() == "":
                    para = []
                para.append(ln.strip())
            i += 1
        if pending_edit:
            sys.exit("%s: an editor line in '%s' has no fenced block after it" % (readme, head))
    missing = [h for h in headings if not any(f.startswith(h) for f in found)]
    if missing:
        sys.exit("%s: no section %s" % (readme, ", ".join(missing)))
    with open(os.path.join(outdir, "steps.sh"), "w") as f:
        f.write("\n".join(out) + "\n")


def run_pty(log, rules, cmd):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    pats = []
    for r in rules:
        rx, _, ans = r.partition("=")
        pats.append((re.compile(rx.encode()), ans))
    seen = b""
    deadline = time.time() + 300
    with open(log, "ab") as lf:
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 1.0)
            if not r:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            lf.write(data)
            lf.flush()
            seen += data
            for rx, ans in pats:
                if rx.search(seen):
                    if ans.startswith(":"):
                        text = ans[1:].encode().decode("unicode_escape")
                    else:
                        with open(ans) as af:
                            text = af.readline().rstrip("\n") + "\n"
                    time.sleep(0.2)
                    os.write(fd, text.encode())
                    seen = b""
                    break
            seen = seen[-4096:]
        else:
            # bounded: a prompt nobody answers ends the run, not the machine
            os.write(sys.stderr.fileno(), b"pty: no end after 300 s\n")
            os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


def socket_exec(addr, cmd):
    m = re.match(r"^\[(.*)\]:(\d+)$", addr) or re.match(r"^(.*):(\d+)$", addr)
    if m:
        host, port = m.group(1), int(m.group(2))
    else:
        host, port = "", int(addr)
    if host == "":
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", port))
        except OSError:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
    else:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
    s.listen(128)
    if s.fileno() != 3:
        os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execvp(cmd[0], cmd)


def replace(path, line, block):
    with open(path) as f:
        lines = f.read().split("\n")
    with open(block) as f:
        new = f.read().rstrip("\n").split("\n")
    for i, ln in enumerate(lines):
        if ln == line:
            lines[i:i + 1] = new
            with open(path, "w") as f:
                f.write("\n".join(lines))
            return 0
    sys.exit("%s: no line '%s'" % (path, line))


def main(argv):
    if argv[1] == "extract":
        extract(argv[2], argv[3], argv[4:])
        return 0
    if argv[1] in ("pty", "socket"):
        k = argv.index("--")
        if argv[1] == "pty":
            return run_pty(argv[2], argv[3:k], argv[k + 1:])
        socket_exec(argv[2], argv[k + 1:])
    if argv[1] == "replace":
        return replace(argv[2], argv[3], argv[4])
    sys.exit("usage: see the top of %s" % argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
