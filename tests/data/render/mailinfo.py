"""mailinfo.py FILE - print what Python's email package makes of a message.

Used by tests/unit/test-compose: one fact per line, values JSON-quoted.
  header NAME "decoded value"        every top-level header, in order
  address NAME "display name" "addr"  From, To, Reply-To
  part DEPTH TYPE charset=.. method=.. disposition=.. filename=.. cte=..
  text N "decoded content"           a text/* leaf (N counts leaves from 0)
  bytes N LENGTH HEX                 any other leaf: its decoded bytes
  defect WHERE CLASS                 anything the parser found wrong
"""
import email
import email.policy
import json
import sys


def q(v):
    return json.dumps("" if v is None else str(v), ensure_ascii=False)


def main(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    for name, value in msg.items():
        print("header", name, q(value))
        for d in getattr(value, "defects", ()):
            print("defect", "header:" + name, type(d).__name__)
        if name.lower() in ("from", "to", "reply-to"):
            for a in value.addresses:
                print("address", name, q(a.display_name), q(a.addr_spec))
    leaf = 0

    def walk(part, depth):
        nonlocal leaf
        for d in part.defects:
            print("defect", "part:" + part.get_content_type(), type(d).__name__)
        print("part", depth, part.get_content_type(),
              "charset=%s" % part.get_param("charset"),
              "method=%s" % part.get_param("method"),
              "disposition=%s" % part.get_content_disposition(),
              "filename=%s" % part.get_filename(),
              "cte=%s" % part.get("Content-Transfer-Encoding", "").lower())
        if part.is_multipart():
            for sub in part.iter_parts():
                walk(sub, depth + 1)
            return
        if part.get_content_maintype() == "text":
            print("text", leaf, q(part.get_content()))
        else:
            data = part.get_payload(decode=True) or b""
            print("bytes", leaf, len(data), data.hex())
        leaf += 1

    walk(msg, 0)


if __name__ == "__main__":
    main(sys.argv[1])
