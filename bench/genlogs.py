#!/usr/bin/env python3
"""Deterministic synthetic logs for blueteam's benchmarks.

  genlogs.py auth   LINES [--sources N] [--seed S] > auth.log
  genlogs.py audit  LINES [--seed S] > audit.log
  genlogs.py access LINES [--sources N] [--seed S] > access.log

auth: an internet-facing host's auth.log. About half the lines are sshd authentication
failures from N distinct attacker addresses (password guessing for root and for invalid
users, with sshd's "Invalid user" and preauth disconnect lines around them); the rest are
legitimate key logins with their PAM sessions, cron sessions, sudo commands, logind and
lines no parser matches. Every line is an RFC 3164 line one to two seconds after the one
before, starting on 1 March. Prints the number of "Failed ..." sshd lines (the
authentication failures fail2ban's sshd filter counts) to stderr as `failures=N`.
"""
import random
import sys


def ipv4(i):
    # Spread attacker i over 0.0.0.0/0 minus nothing special; deterministic and distinct for i < 2^24.
    return f"{1 + (i >> 16) % 223}.{(i >> 8) & 255}.{i & 255}.{(i * 37) % 254 + 1}"


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class Clock:
    def __init__(self):
        self.month, self.day, self.sec = 2, 1, 0  # 1 March, index 2
        self.cache_key, self.cache = None, None

    def tick(self, rng):
        self.sec += rng.choice((0, 1, 1, 2))
        while self.sec >= 86400:
            self.sec -= 86400
            self.day += 1
            if self.day > DAYS[self.month]:
                self.day, self.month = 1, (self.month + 1) % 12

    def stamp(self):
        key = (self.month, self.day, self.sec)
        if key != self.cache_key:
            h, rem = divmod(self.sec, 3600)
            m, s = divmod(rem, 60)
            self.cache = f"{MONTHS[self.month]} {self.day:2d} {h:02d}:{m:02d}:{s:02d}"
            self.cache_key = key
        return self.cache


USERS_BAD = ["admin", "test", "oracle", "ubuntu", "user", "guest", "postgres", "git", "ftpuser", "pi", "support", "deploy1"]
USERS_OK = ["alice", "bob", "deploy", "carol"]
COMMANDS = ["/usr/bin/apt update", "/usr/bin/systemctl restart eqmon", "/usr/bin/journalctl -u eqmon", "/bin/cat /var/log/syslog"]


def auth(lines, sources, rng, out):
    clock = Clock()
    host = "eqmon-web01"
    pid = 3000
    failures = 0
    written = 0
    buf = []
    # Attackers are picked with a skew (a few noisy ones, a long tail), all `sources` of them used.
    next_new = 0
    while written < lines:
        clock.tick(rng)
        t = clock.stamp()
        r = rng.random()
        pid += 1
        if r < 0.50:
            if next_new < sources:
                a = next_new
                next_new += 1
            else:
                a = int(sources * rng.random() ** 3)
            ip = ipv4(a)
            port = 1024 + rng.randrange(60000)
            if rng.random() < 0.5:
                buf.append(f"{t} {host} sshd[{pid}]: Failed password for root from {ip} port {port} ssh2\n")
                buf.append(f"{t} {host} sshd[{pid}]: Connection closed by authenticating user root {ip} port {port} [preauth]\n")
            else:
                u = rng.choice(USERS_BAD)
                buf.append(f"{t} {host} sshd[{pid}]: Invalid user {u} from {ip} port {port}\n")
                buf.append(f"{t} {host} sshd[{pid}]: Failed password for invalid user {u} from {ip} port {port} ssh2\n")
                buf.append(f"{t} {host} sshd[{pid}]: Disconnected from invalid user {u} {ip} port {port} [preauth]\n")
            failures += 1
        elif r < 0.58:
            u = rng.choice(USERS_OK)
            ip = f"198.51.100.{rng.randrange(10, 30)}"
            port = 1024 + rng.randrange(60000)
            buf.append(f"{t} {host} sshd[{pid}]: Accepted publickey for {u} from {ip} port {port} ssh2: ED25519 SHA256:q0Zp1bWkq9r2QyKAXIvyc9cM0oRCa1uXx0qFZl1ZrIY\n")
            buf.append(f"{t} {host} sshd[{pid}]: pam_unix(sshd:session): session opened for user {u}(uid=1001) by (uid=0)\n")
            buf.append(f"{t} {host} systemd-logind[812]: New session {pid} of user {u}.\n")
            buf.append(f"{t} {host} sshd[{pid}]: Received disconnect from {ip} port {port}:11: disconnected by user\n")
            buf.append(f"{t} {host} sshd[{pid}]: pam_unix(sshd:session): session closed for user {u}\n")
        elif r < 0.80:
            buf.append(f"{t} {host} CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n")
            buf.append(f"{t} {host} CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)\n")
            buf.append(f"{t} {host} CRON[{pid}]: pam_unix(cron:session): session closed for user root\n")
        elif r < 0.88:
            u = rng.choice(USERS_OK)
            buf.append(f"{t} {host} sudo[{pid}]:    {u} : TTY=pts/0 ; PWD=/home/{u} ; USER=root ; COMMAND={rng.choice(COMMANDS)}\n")
            buf.append(f"{t} {host} sudo[{pid}]: pam_unix(sudo:session): session opened for user root(uid=0) by {u}(uid=1001)\n")
            buf.append(f"{t} {host} sudo[{pid}]: pam_unix(sudo:session): session closed for user root\n")
        else:
            buf.append(f"{t} {host} systemd[1]: Started session-{pid}.scope - Session {pid} of User deploy.\n")
            buf.append(f"{t} {host} systemd-logind[812]: Removed session {pid - 40}.\n")
        if len(buf) >= 4096:
            take = min(len(buf), lines - written)
            out.writelines(buf[:take])
            written += take
            buf.clear()
    if buf and written < lines:
        out.writelines(buf[: lines - written])
    return failures


def audit(lines, rng, out):
    serial = 1000
    ts = 1772323200.0  # 2026-03-01T00:00:00Z
    written = 0
    while written < lines:
        ts += rng.random()
        serial += 1
        stamp = f"{ts:.3f}:{serial}"
        r = rng.random()
        if r < 0.6:
            rec = [f'type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=1 pid={serial} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm="cat" exe="/usr/bin/cat" key="cui_read"',
                   f'type=EXECVE msg=audit({stamp}): argc=2 a0="cat" a1="/etc/hosts"',
                   f'type=CWD msg=audit({stamp}): cwd="/root"',
                   f'type=PATH msg=audit({stamp}): item=0 name="/usr/bin/cat" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
                   f'type=PROCTITLE msg=audit({stamp}): proctitle=636174002F6574632F686F737473']
        elif r < 0.85:
            rec = [f"type=USER_START msg=audit({stamp}): pid={serial} uid=0 auid=1000 ses=4 msg='op=PAM:session_open grantors=pam_unix acct=\"root\" exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=/dev/pts/0 res=success'"]
        else:
            rec = [f"type=USER_LOGIN msg=audit({stamp}): pid={serial} uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.{serial % 250} terminal=sshd res=failed'"]
        for line in rec:
            out.write(line + "\n")
        written += len(rec)


def access(lines, sources, rng, out):
    paths = ["/", "/index.html", "/api/v1/equipment", "/static/app.js", "/login", "/wp-login.php", "/.env", "/api/v1/status?id=42"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "curl/8.5.0", "python-requests/2.31", "Go-http-client/1.1"]
    sec = 0
    for i in range(lines):
        sec += rng.choice((0, 0, 1))
        d, rem = divmod(sec, 86400)
        h, rem = divmod(rem, 3600)
        m, s = divmod(rem, 60)
        ip = ipv4(int(sources * rng.random() ** 2))
        p = rng.choice(paths)
        status = 404 if p in ("/wp-login.php", "/.env") else 200
        out.write(f'{ip} - - [{1 + d % 28:02d}/Mar/2026:{h:02d}:{m:02d}:{s:02d} +0000] "GET {p} HTTP/1.1" {status} {rng.randrange(100, 9000)} "-" "{rng.choice(agents)}"\n')


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    kind, lines = argv[1], int(argv[2])
    opts = dict(zip(argv[3::2], argv[4::2]))
    rng = random.Random(int(opts.get("--seed", "42")))
    sources = int(opts.get("--sources", "5000"))
    out = sys.stdout
    if kind == "auth":
        failures = auth(lines, sources, rng, out)
        print(f"failures~{failures}", file=sys.stderr)
    elif kind == "audit":
        audit(lines, rng, out)
    elif kind == "access":
        access(lines, sources, rng, out)
    else:
        sys.exit(__doc__)
    out.flush()


if __name__ == "__main__":
    main(sys.argv)
