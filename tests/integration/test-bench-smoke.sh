#!/bin/sh
# test-bench-smoke - `make bench-smoke`: the benchmark harness on 200
# messages (corpus, ingest with its accuracy against the ground truth,
# growth, digests, and the IMAP and SMTP runs when their peers are
# installed). Asserts the harness works and threading accuracy is over a
# floor; speed is not asserted here (make bench measures it).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

out=$(mktemp -d /tmp/tagd-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
TAGD_BUILDDIR=$top_builddir TAGD_SRCDIR=$top_srcdir \
	/usr/bin/python3 "$top_srcdir/bench/bench.py" --smoke --out "$out" >"$out/table" 2>"$out/err"
ok $? "bench.py --smoke runs (accuracy at least the floor, every message has a result)"
[ -s "$out/err" ] && grep -v '^# ' "$out/err" | sed 's/^/# /' | head -20
sed 's/^/# /' "$out/table"

/usr/bin/python3 - "$out/results.json" >"$out/checks" <<'PY'
import json, shutil, sys
r = json.load(open(sys.argv[1]))
t = r["ingest"]["200"]["tagd"]
print("ok" if t["messages"] == 200 else "not ok", "- 200 messages injected, each with a result")
print("ok" if t["accuracy"] >= 0.95 else "not ok", "- threading accuracy %.3f (floor 0.95)" % t["accuracy"])
print("ok" if t["text_accuracy"] >= 0.95 else "not ok", "- comment text found, quotes left out: %.3f" % t["text_accuracy"])
print("ok" if t["class_ok"] == 200 else "not ok", "- every message classed as the truth says (%d)" % t["class_ok"])
g = r["growth"]
print("ok" if set(g) == {"100", "200"} and all(v["wall"] > 0 for v in g.values()) else "not ok",
      "- growth points measured")
d = r["digest"]
print("ok" if d.get("mails", 0) == d.get("participants", -1) > 0 else "not ok",
      "- a digest queued for each of the %s participants" % d.get("participants"))
im = r.get("imap", {})
if "tagd" in im:
    print("ok" if im["tagd"].get("seconds") else "not ok", "- tagd took the IMAP mailbox")
    # its acknowledgements go to smtp-sink, as to a smarthost, where it is installed
    want = "smtp" if shutil.which("smtp-sink") else "maildir"
    print("ok" if im["tagd"].get("acks") == want else "not ok",
          "- tagd's acknowledgements went by %s (%s)" % (want, im["tagd"].get("acks")))
s = r.get("smtp", {})
for c, v in sorted(s.get("send", {}).items()):
    print("ok" if v.get("sent") == 200 else "not ok",
          "- the outbox went to smtp-sink on %s connection(s), every mail marked sent (%s)" % (c, v.get("sent")))
PY
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok 0 "${line#ok - }" ;;
	"not ok - "*) ok 1 "${line#not ok - }" ;;
	esac
done <"$out/checks"
done_testing
