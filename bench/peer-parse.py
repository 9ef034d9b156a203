#!/usr/bin/python3
"""peer-parse.py - the peer's first stage: Python's email package.

    peer-parse.py MAILDIR_OR_MBOX OUT.jsonl

Parses every message with email.policy.default, decodes the headers a list
manager reads (From, Subject, Message-ID) and the body text (text/plain,
else text/html), and writes {"id", "from", "subject", "text"} per line. On
stderr: "messages N seconds S" (the parse loop alone, files read first).
"""
import email
import email.policy
import json
import mailbox
import os
import sys
import time


def raws(path):
    if os.path.isdir(path):
        for sub in ("new", "cur"):
            d = os.path.join(path, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    yield f.read()
    else:
        for m in mailbox.mbox(path, create=False):
            yield m.as_bytes()


def main():
    src, out = sys.argv[1], sys.argv[2]
    data = list(raws(src))
    t0 = time.perf_counter()
    with open(out, "w") as f:
        for raw in data:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
            mid = str(msg.get("Message-ID", "")).strip().strip("<>")
            f.write(json.dumps({"id": mid, "from": str(msg.get("From", "")),
                                "subject": str(msg.get("Subject", "")), "text": text}) + "\n")
    t = time.perf_counter() - t0
    print("messages %d seconds %.4f" % (len(data), t), file=sys.stderr)


if __name__ == "__main__":
    main()
