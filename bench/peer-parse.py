#!/usr/bin/python3
"""peer-parse.py - the peer's first stage: Python's email package.

    peer-parse.py MAILDIR_OR_MBOX OUT.jsonl

Parses every message with email.policy.default, decodes the headers a list
manager reads (From, Subject, Message-ID) and the body text (text/plain,
else text/html), and writes {"id", "from", "subject", "text"} per line.
Messages are read one at a time (as tagctl inject reads an mbox), so the
time includes reading them and memory holds one. On stderr: "messages N
seconds S".
"""
import email
import email.policy
import json
import os
import sys
import time


def mbox_stream(path):
    """the messages of an mbox, one at a time (mboxrd: ">From " unquoted)"""
    cur = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From "):
                if cur is not None:
                    yield b"".join(cur)
                cur = []
                continue
            if cur is None:
                continue
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]
            cur.append(line)
    if cur is not None:
        yield b"".join(cur)


def raws(path):
    if os.path.isdir(path):
        for sub in ("new", "cur"):
            d = os.path.join(path, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    yield f.read()
    else:
        yield from mbox_stream(path)


def main():
    src, out = sys.argv[1], sys.argv[2]
    n = 0
    t0 = time.perf_counter()
    with open(out, "w") as f:
        for raw in raws(src):
            n += 1
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
            mid = str(msg.get("Message-ID", "")).strip().strip("<>")
            f.write(json.dumps({"id": mid, "from": str(msg.get("From", "")),
                                "subject": str(msg.get("Subject", "")), "text": text}) + "\n")
    t = time.perf_counter() - t0
    print("messages %d seconds %.4f" % (n, t), file=sys.stderr)


if __name__ == "__main__":
    main()
