#!/usr/bin/python3
"""latency.py - from a message appended to its comment stored.

Run by run-imap.sh with tagd running (IMAP IDLE on the bench mailbox, LMTP
on a socket). For each of COUNT messages: `doveadm save` appends it; the
clock starts when doveadm returns (the message is in the mailbox); tagd's
latency ends when its comment is in the store (polled every 2 ms), and the
peer's when a bare IDLE client (this script, on its own connection to the
same mailbox) reads the "* N EXISTS" Dovecot sends. Dovecot waits 500 ms
after it notices a change before it tells IDLE clients (NOTIFY_DELAY_MSECS
in src/lib-storage/mailbox-watch.c, not a setting), so the bare client
measures the floor any IDLE client has. Then COUNT messages by LMTP
straight to tagd: its own latency without the IMAP server's. Prints one
JSON line per path with p50, p90, p99 and max in milliseconds.
"""
import argparse
import csv
import json
import select
import socket
import sqlite3
import subprocess
import threading
import time


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return round(xs[k] * 1000, 1)


def summary(name, xs, lost):
    return {"step": name, "count": len(xs), "lost": lost, "p50_ms": pct(xs, 50), "p90_ms": pct(xs, 90),
            "p99_ms": pct(xs, 99), "max_ms": round(max(xs) * 1000, 1) if xs else None}


class IdleClient(threading.Thread):
    """a bare IMAP IDLE client: records when each EXISTS arrives"""

    def __init__(self, port, user, password):
        super().__init__(daemon=True)
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.read_line()
        self.cmd(b"a1 LOGIN %s %s" % (user.encode(), password.encode()))
        self.cmd(b"a2 EXAMINE INBOX")
        self.s.sendall(b"a3 IDLE\r\n")
        while not self.read_line().startswith(b"+"):
            pass
        self.exists = []          # (time, count)
        self.stop = False

    def read_line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, c):
        tag = c.split(b" ", 1)[0]
        self.s.sendall(c + b"\r\n")
        while True:
            line = self.read_line()
            if line.startswith(tag + b" "):
                return line

    def run(self):
        self.s.settimeout(None)
        while not self.stop:
            r, _, _ = select.select([self.s], [], [], 0.2)
            if not r:
                continue
            try:
                d = self.s.recv(65536)
            except OSError:
                return
            if not d:
                return
            t = time.time()
            self.buf += d
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                parts = line.split(b" ")
                if len(parts) >= 3 and parts[0] == b"*" and parts[2] == b"EXISTS":
                    self.exists.append((t, int(parts[1])))


def message(i, who, name, how):
    mid = "lat.%s.%d.%d@bench.example.org" % (how, i, int(time.time() * 1000))
    body = ("Paragraph %d: latency probe %d by %s, %s. The entry points should start with the "
            "school calendar and the release time it needs.\n" % (1 + i % 200, i, how, mid))
    raw = ("From: %s <%s>\r\nTo: tag-bench+p%d@tags.example.org\r\nSubject: probe %d\r\n"
           "Message-ID: <%s>\r\nDate: Wed, 18 Jul 2018 10:00:00 -0400\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n%s" % (name, who, 1 + i % 200, i, mid,
                                                                  body.replace("\n", "\r\n")))
    return mid, raw.encode()


def stored(c, mid):
    return c.execute("SELECT count(*) FROM comment k JOIN message m ON k.message_id = m.id "
                     "WHERE m.message_id = ?", (mid,)).fetchone()[0] > 0


def wait_stored(c, mid, limit):
    end = time.time() + limit
    while time.time() < end:
        try:
            if stored(c, mid):
                return time.time()
        except sqlite3.OperationalError:
            pass
        time.sleep(0.002)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--doveadm-conf", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lmtp")
    ap.add_argument("--participants", required=True)
    ap.add_argument("--count", type=int, default=200)
    a = ap.parse_args()
    people = list(csv.DictReader(open(a.participants)))
    c = sqlite3.connect(a.db, timeout=5)
    idle = IdleClient(a.port, a.user, a.password)
    idle.start()
    time.sleep(0.3)
    tagd, peer, lost_t, lost_p = [], [], 0, 0
    for i in range(a.count):
        p = people[i % len(people)]
        mid, raw = message(i, p["email"], p["name"], "idle")
        seen = len(idle.exists)
        subprocess.run(["doveadm", "-c", a.doveadm_conf, "save", "-u", a.user, "-m", "INBOX"],
                       input=raw, check=True)
        t0 = time.time()
        t1 = wait_stored(c, mid, 10)
        if t1 is None:
            lost_t += 1
        else:
            tagd.append(t1 - t0)
        end = time.time() + 5
        while len(idle.exists) <= seen and time.time() < end:
            time.sleep(0.002)
        if len(idle.exists) > seen:
            peer.append(max(0.0, idle.exists[seen][0] - t0))
        else:
            lost_p += 1
    idle.stop = True
    print(json.dumps(summary("latency-idle-tagd", tagd, lost_t)))
    print(json.dumps(summary("latency-idle-bare-client", peer, lost_p)))
    if a.lmtp:
        import smtplib
        lm, lost = [], 0
        s = smtplib.LMTP(a.lmtp)
        for i in range(a.count):
            p = people[(i + 7) % len(people)]
            mid, raw = message(i, p["email"], p["name"], "lmtp")
            t0 = time.time()
            s.sendmail(p["email"], ["tag-bench@tags.example.org"], raw)
            t1 = wait_stored(c, mid, 10)
            if t1 is None:
                lost += 1
            else:
                lm.append(t1 - t0)
        s.quit()
        print(json.dumps(summary("latency-lmtp-tagd", lm, lost)))


if __name__ == "__main__":
    main()
