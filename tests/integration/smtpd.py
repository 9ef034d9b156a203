#!/usr/bin/python3
"""smtpd.py - the test SMTP server (aiosmtpd) for tagd's integration tests.

Listens on 127.0.0.1, stores every accepted message once per recipient in a
Maildir (new/), with the envelope in header lines prepended to the stored
copy:
    X-Envelope-From: <from>
    X-Envelope-To: <rcpt>
    X-SMTP-Auth: <user>         (when the client authenticated)
    X-SMTP-TLS: yes             (when the session was encrypted)

Optional STARTTLS (--tls-cert/--tls-key), implicit TLS (--smtps), AUTH
PLAIN/LOGIN required (--auth USER:PASS; over TLS only when TLS is on).

Faults come from a JSON object, given with --faults and/or in the --control
file, which is re-read at every MAIL, RCPT and DATA (its keys win):
    "mail":  [code, "text"]                 answer MAIL FROM with this
    "rcpt":  {"addr": [code, "text"], ...}  answer RCPT TO:<addr> with this
    "data":  [code, "text"]                 answer the end of data with this
    "stall_data": seconds                   store, then wait before the 250
    "crash_after": N                        after N stored messages, exit (status
                                            3) when the next data ends, unanswered
A code may be given without text. A 421 answer closes the connection.

Counters go to the --state file (JSON), rewritten at every change:
connections, tls_connections, messages (files stored by this process), auth
(user names).
The chosen port goes to --port-file once the server listens.
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import logging
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# aiosmtpd 1.4 itself sets the deprecated Session.login_data and warns
logging.getLogger("mail.log").setLevel(logging.ERROR)

STATE = {"connections": 0, "tls_connections": 0, "messages": 0, "auth": []}
ARGS = None
SEQ = [0]


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def save_state():
    if ARGS.state:
        write_atomic(ARGS.state, json.dumps(STATE, sort_keys=True) + "\n")


def faults():
    """the fault settings now in force: --faults, overridden by the control file"""
    f = dict(ARGS.faults_obj)
    if ARGS.control and os.path.exists(ARGS.control):
        try:
            with open(ARGS.control) as fh:
                text = fh.read()
            if text.strip():
                f.update(json.loads(text))
        except (OSError, ValueError) as e:
            print("smtpd.py: bad control file: %s" % e, file=sys.stderr)
    return f


def status_line(spec, default_text):
    if isinstance(spec, int):
        code, text = spec, default_text
    else:
        code = int(spec[0])
        text = spec[1] if len(spec) > 1 else default_text
    return "%d %s" % (code, text)


def deliver(envelope, rcpt, session):
    """one Maildir file for one recipient"""
    md = ARGS.maildir
    SEQ[0] += 1
    name = "%d.%d_%d.%s" % (time.time(), os.getpid(), SEQ[0], socket.gethostname())
    head = "X-Envelope-From: <%s>\r\nX-Envelope-To: <%s>\r\n" % (envelope.mail_from, rcpt)
    if session.authenticated and isinstance(session.auth_data, LoginPassword):
        head += "X-SMTP-Auth: %s\r\n" % session.auth_data.login.decode("utf-8", "replace")
    if session.ssl is not None or ARGS.smtps:
        head += "X-SMTP-TLS: yes\r\n"
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(head.encode("utf-8", "surrogateescape"))
        f.write(envelope.original_content)
        f.flush()
        if not ARGS.no_fsync:
            os.fsync(f.fileno())
    os.rename(tmp, os.path.join(md, "new", name))


class Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        f = faults()
        if "mail" in f:
            return status_line(f["mail"], "MAIL refused (fault injection)")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        f = faults()
        rc = {k.lower(): v for k, v in f.get("rcpt", {}).items()}
        if address.lower() in rc:
            return status_line(rc[address.lower()], "RCPT refused (fault injection)")
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        f = faults()
        if "crash_after" in f and STATE["messages"] >= int(f["crash_after"]):
            os._exit(3)
        if "data" in f:
            return status_line(f["data"], "data refused (fault injection)")
        for rcpt in envelope.rcpt_tos:
            deliver(envelope, rcpt, session)
            STATE["messages"] += 1
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode("utf-8", "replace")
            if user not in STATE["auth"]:
                STATE["auth"].append(user)
        save_state()
        stall = float(f.get("stall_data", 0))
        if stall > 0:
            await asyncio.sleep(stall)
        return "250 2.0.0 OK queued"


class CountingSMTP(SMTP):
    """counts connections; closes the connection after a 421 like real servers"""

    def connection_made(self, transport):
        first = self.transport is None
        super().connection_made(transport)
        if first:
            STATE["connections"] += 1
            if ARGS.smtps:
                STATE["tls_connections"] += 1
        else:
            STATE["tls_connections"] += 1   # after STARTTLS
        save_state()

    async def push(self, status):
        await super().push(status)
        s = status if isinstance(status, str) else status.decode("ascii", "replace")
        if s.startswith("421") and self.transport is not None:
            self.transport.close()


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user, _, password = ARGS.auth.partition(":")
    ok = auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def make_cert(directory):
    """a self-signed certificate for localhost and 127.0.0.1 (openssl CLI)"""
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(cert)


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--maildir")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--pid-file")
    p.add_argument("--state")
    p.add_argument("--control")
    p.add_argument("--faults", default="{}")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--smtps", action="store_true")
    p.add_argument("--auth", help="USER:PASSWORD; AUTH is then required")
    p.add_argument("--no-fsync", action="store_true", help="do not fsync stored files (benchmarks)")
    p.add_argument("--idle-timeout", type=float, default=300)
    p.add_argument("--max-seconds", type=float, default=600,
                   help="exit after this long, whatever happens (tests are bounded)")
    p.add_argument("--make-cert", metavar="DIR", help="write DIR/cert.pem, DIR/key.pem and exit")
    ARGS = p.parse_args()
    if ARGS.make_cert:
        make_cert(ARGS.make_cert)
        return 0
    if not ARGS.maildir:
        p.error("--maildir is required")
    ARGS.faults_obj = json.loads(ARGS.faults)
    for d in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(ARGS.maildir, d), exist_ok=True)

    tls = None
    if ARGS.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
    if ARGS.smtps and tls is None:
        p.error("--smtps needs --tls-cert and --tls-key")

    kw = dict(hostname="smtpd.test", decode_data=False, timeout=ARGS.idle_timeout,
              data_size_limit=64 << 20)
    if tls is not None and not ARGS.smtps:
        kw["tls_context"] = tls
    if ARGS.auth:
        kw.update(authenticator=authenticator, auth_required=True,
                  auth_require_tls=tls is not None and not ARGS.smtps)
    handler = Handler()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: CountingSMTP(handler, loop=loop, **kw), host=ARGS.host, port=ARGS.port,
        ssl=tls if ARGS.smtps else None, reuse_address=True))
    port = server.sockets[0].getsockname()[1]
    save_state()
    if ARGS.pid_file:
        write_atomic(ARGS.pid_file, "%d\n" % os.getpid())
    if ARGS.port_file:
        write_atomic(ARGS.port_file, "%d\n" % port)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.call_later(ARGS.max_seconds, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
