#!/usr/bin/python3
"""Drive a command through a pseudo-terminal, as a user typing would.

usage: client_pty.py SECRET [SECRET...] -- COMMAND [ARG...]

Each time the command's terminal output ends in ": " (a prompt), the next
SECRET is typed (then a newline).  While the command waits at each prompt
its /proc/PID/cmdline and /proc/PID/environ are searched for every
SECRET.  The transcript goes to stdout.  Exit status: the command's, or
99 when a secret was in argv or the environment, or echoed back.
"""
import os
import pty
import select
import sys
import time

sep = sys.argv.index("--")
secrets = sys.argv[1:sep]
cmd = sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

out = b""
fresh = b""
answers = list(secrets)
leak = []
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        fresh += data
        continue
    if fresh.endswith(b": ") and answers:
        for name in ("cmdline", "environ"):
            try:
                blob = open("/proc/%d/%s" % (pid, name), "rb").read()
            except OSError:
                blob = b""
            for s in secrets:
                if s.encode() in blob:
                    leak.append("%s in /proc/PID/%s" % (s, name))
        os.write(fd, answers.pop(0).encode() + b"\n")
        fresh = b""
else:
    os.kill(pid, 9)    # bounded: a command stuck at a prompt is a failure
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
for s in secrets:
    if s.encode() in out:
        leak.append("%s echoed on the terminal" % s)
if leak:
    sys.stdout.write("\nLEAK: %s\n" % "; ".join(leak))
    sys.exit(99)
sys.exit(os.waitstatus_to_exitcode(status))
