#!/bin/sh
# test-replies - every fixture reply from a real mail client, through
# `tagctl inject --json`, against fixtures/replies/EXPECTED.tsv: the class,
# the paragraphs in order, each `contains` phrase in its comment, the
# `excludes` phrase in none.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-replies.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/t.db"
fix="$TAGD_SHARED/fixtures"
T() { "$TAGCTL" -q -d "$db" "$@"; }

T session create "$fix/prof-learning.session" >/dev/null &&
T participant import prof-learning "$fix/participants.csv" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, participants and draft set up"

# the replies arrive on Tuesday of the review week
T --clock "2018-07-17 14:00" inject --json "$fix"/replies/*.eml >"$tmp/results.jsonl" 2>"$tmp/err"
ok $? "tagctl inject takes every fixture reply"
[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err" | head -20

"$PYTHON3" "$top_srcdir/tests/integration/check-expected.py" "$fix/replies/EXPECTED.tsv" \
	"$tmp/results.jsonl" | sed "s/^\(not \)\{0,1\}ok \([0-9]*\)/\1ok X/" >"$tmp/tap"
# renumber the checker's lines into this script's sequence
while IFS= read -r line; do
	case "$line" in
	"ok X"*) ok 0 "${line#ok X - }" ;;
	"not ok X"*) ok 1 "${line#not ok X - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$tmp/tap"

# the same replies as an mbox and as a Maildir give the same results
"$PYTHON3" - "$tmp" "$fix"/replies/*.eml <<'PY'
import mailbox, os, sys
out = sys.argv[1]
mb = mailbox.mbox(os.path.join(out, "replies.mbox"))
md = os.path.join(out, "replies.maildir")
for d in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(md, d), exist_ok=True)
# file names in the fixtures' order, as a delivery agent would write them
for i, f in enumerate(sys.argv[2:]):
    data = open(f, "rb").read()
    mb.add(data)
    with open(os.path.join(md, "new", "%010d.M%dP1.test" % (1531700000 + i, i)), "wb") as w:
        w.write(data)
mb.flush()
PY
for kind in mbox maildir; do
	rm -f "$tmp/b.db"
	"$TAGCTL" -q -d "$tmp/b.db" session create "$fix/prof-learning.session" >/dev/null
	"$TAGCTL" -q -d "$tmp/b.db" participant import prof-learning "$fix/participants.csv" >/dev/null
	"$TAGCTL" -q -d "$tmp/b.db" draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
	"$TAGCTL" -q -d "$tmp/b.db" --clock "2018-07-17 14:00" inject --json "$tmp/replies.$kind" >"$tmp/$kind.jsonl" 2>/dev/null
	is "$("$PYTHON3" -c '
import json,sys
def load(p):
    return sorted((r["message_id"], r["class"], tuple(c["paragraph"] for c in r["comments"])) for r in map(json.loads, open(p)) if r["class"] != "duplicate")
print(load(sys.argv[1]) == load(sys.argv[2]))' "$tmp/results.jsonl" "$tmp/$kind.jsonl")" "True" \
		"the replies from one $kind give the same classes and paragraphs"
done

# injecting the same messages again changes nothing
T inject --json "$fix"/replies/*.eml >"$tmp/again.jsonl" 2>/dev/null
is "$(grep -c '"class":"duplicate"' "$tmp/again.jsonl")" "$(ls "$fix"/replies/*.eml | wc -l)" \
	"a second inject finds every message a duplicate"
T comments prof-learning --json >"$tmp/comments.json"
is "$("$PYTHON3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/comments.json")" \
	"$(grep -o '"id":' "$tmp/results.jsonl" | wc -l)" "no comment was stored twice"

T held prof-learning --json >"$tmp/held.json"
is "$("$PYTHON3" -c 'import json,sys; print(sorted(h["from"].split("<")[-1].rstrip(">") for h in json.load(open(sys.argv[1]))))' "$tmp/held.json")" \
	"['m.bell@district9.example.org', 'offers@pdcredits-online.example.net']" "strangers' mail is held, listed by tagctl held"

# acknowledgements: one per message that gave comments, to its author
T outbox --json >"$tmp/outbox.json"
is "$("$PYTHON3" -c '
import json,sys
o=json.load(open(sys.argv[1])); r=[l for l in open(sys.argv[2]) if l.strip()]
acks=[x for x in o if x["kind"]=="ack"]
withc=[json.loads(l) for l in r if json.loads(l)["class"]=="comment"]
print(len(acks)==len(withc) and len(set(a["purpose"] for a in acks))==len(acks))' "$tmp/outbox.json" "$tmp/results.jsonl")" \
	"True" "an acknowledgement is queued for every message that gave comments, once"
ack_id=$("$PYTHON3" -c '
import json,sys
for x in json.load(open(sys.argv[1])):
    if x["kind"]=="ack" and x["recipient"]=="b.okafor@gmail.example.com": print(x["id"], x["message_id"]); break' "$tmp/outbox.json")
set -- $ack_id
T outbox show "$1" >"$tmp/ack.eml"
like "$tmp/ack.eml" "^Auto-Submitted: auto-replied" "the acknowledgement is marked as an automatic reply"
like "$tmp/ack.eml" "^In-Reply-To: <" "it answers the participant's message"
"$PYTHON3" -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m["Subject"]); print(m.get_body(("plain",)).get_content())' "$tmp/ack.eml" >"$tmp/ack.txt"
like "$tmp/ack.txt" "1 comment recorded" "it says how many comments were recorded"
like "$tmp/ack.txt" "¶7 \"Finally, the role of the teacher" "and on which paragraph, with its first words"
printf '%s\n' "From: Bola Okafor <b.okafor@gmail.example.com>" "To: tag-prof-learning@tags.example.org" \
	"Subject: Re: Recorded" "Message-ID: <move-1@gmail.example.com>" "In-Reply-To: <$2>" \
	"Date: Tue, 17 Jul 2018 09:00:00 -0400" "" "move 1 to ¶5" "" "On Mon, Jul 16, 2018 someone wrote:" \
	"> Thank you. 1 comment recorded" >"$tmp/move.eml"
T inject --json "$tmp/move.eml" >"$tmp/move.json"
like "$tmp/move.json" '"command":"move"' "a reply 'move 1 to ¶5' to the acknowledgement is a move command"
T comments prof-learning --json >"$tmp/after.json"
is "$("$PYTHON3" -c '
import json,sys
print([c["paragraph"] for c in json.load(open(sys.argv[1])) if c["author"].lower()=="b.okafor@gmail.example.com" and "running a classroom" in c["text"]])' "$tmp/after.json")" \
	"[5]" "the comment is filed under ¶5 now"

# mail to no session's list address is held; discard and release act on held mail
printf '%s\n' "From: Ana Ruiz <ana.ruiz@district9.example.org>" "To: someone-else@tags.example.org" \
	"Subject: wrong list" "Message-ID: <nosession-1@district9.example.org>" "" "Not for any TAG." >"$tmp/nos.eml"
T inject --json "$tmp/nos.eml" >"$tmp/nos.json"
like "$tmp/nos.json" '"class":"held".*not addressed to any session' "mail to no session's list address is held, with the reason"
nos=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["message"])' "$tmp/nos.json")
T held --json >"$tmp/held-all.json"
like "$tmp/held-all.json" "nosession-1@district9.example.org" "tagd held lists it (no session given)"
T discard "$nos" >/dev/null; ok $? "discard takes it off the held list"
T held --json >"$tmp/held-all.json"
if grep -q "nosession-1@" "$tmp/held-all.json"; then ok 1 "the discarded message is no longer listed"; else ok 0 "the discarded message is no longer listed"; fi
T discard "$nos" >/dev/null 2>&1; is $? 1 "discarding it again fails: it is not held"

# comments as CSV and Markdown
T comments prof-learning --csv >"$tmp/comments.csv"
is "$("$PYTHON3" -c '
import csv,json,sys
rows=list(csv.DictReader(open(sys.argv[1])))
js=json.load(open(sys.argv[2]))
print(len(rows)==len(js) and sorted(r["id"] for r in rows)==sorted(str(c["id"]) for c in js))' "$tmp/comments.csv" "$tmp/after.json")" "True" \
	"comments --csv has one row per comment"
T comments prof-learning --md >"$tmp/comments.md"
like "$tmp/comments.md" "^## ¶17" "comments --md has a heading per paragraph comment"

# outbox show prints the mail as queued; retry puts a failed mail back
T outbox show "$1" >"$tmp/show.eml"
cmp -s "$tmp/show.eml" "$tmp/ack.eml"; ok $? "outbox show prints the same bytes each time"
"$PYTHON3" -c '
import sqlite3,sys
c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE outbox SET state=\"failed\", attempts=3 WHERE id=?", (int(sys.argv[2]),)); c.commit()' "$db" "$1"
T outbox retry "$1" >/dev/null; ok $? "outbox retry accepts a failed mail"
T outbox --json >"$tmp/ob2.json"
is "$("$PYTHON3" -c 'import json,sys; print([x["state"] for x in json.load(open(sys.argv[1])) if x["id"]==int(sys.argv[2])])' "$tmp/ob2.json" "$1")" \
	"['queued']" "and queues it again"

# tagctl status --json reflects that known state
T --clock "2018-07-17 20:00" status prof-learning --json >"$tmp/status.json"
is "$("$PYTHON3" -c '
import json,sys
s=json.load(open(sys.argv[1]))["sessions"][0]
c=sum(1 for l in open(sys.argv[2]) if l.strip() and json.loads(l)["class"]=="comment")
print(s["phase"], s["participants"]["active"], s["participants"]["left"], s["comments"]["total"]==s["comments"]["today"]>0,
      s["outbox"]["queued"]>=c, s["outbox"]["sent"])' "$tmp/status.json" "$tmp/results.jsonl")" \
	"open 5 1 True True 0" "tagctl status --json: open, 5 active and 1 left, today's comments, the answers queued"

done_testing
