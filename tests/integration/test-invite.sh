#!/bin/sh
# test-invite - tagctl invite to the fixture contacts who are not yet
# participants and to 1,000 generated ones, sent by tagd --once through a
# real SMTP server on 127.0.0.1: every invitation arrives exactly once and
# reads cleanly with Python's email package, with the list headers; the
# server dies half-way (fault injection) and comes back: the rest arrive,
# none lost and none twice; a 5xx for one address fails that one only; a
# second invite queues nothing; a progress bar only on a terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

tmp=$(mktemp -d /tmp/tagd-invite.XXXXXX)
cleanup() {
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap 'smtpd_stop "$tmp/smtp" >/dev/null 2>&1' EXIT
data="$top_srcdir/tests/data/signup"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp"
chmod 750 "$state"
N=1000
BAD=gen0007@contacts.example.org

smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org

[maildir]
inbox = $tmp/in

[http]
listen =

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
timeout = 20s
CONF
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }

# two of the six fixture contacts take part already
T session create "$data/signup.session" >/dev/null &&
T participant add prof-learning ana.ruiz@district9.example.org --name "Ana Ruiz" >/dev/null &&
T participant add prof-learning B.Okafor@gmail.example.com --name "Bola Okafor" >/dev/null
ok $? "session and two participants set up"
cp "$data/contacts.csv" "$tmp/contacts.csv"
i=0
while [ $i -lt $N ]; do
	printf 'gen%04d@contacts.example.org,Contact %d,Org %d,Role,%d\n' $i $i $i $((i % 30))
	i=$((i + 1))
done >>"$tmp/contacts.csv"
is "$(wc -l <"$tmp/contacts.csv" | tr -d ' ')" "$((N + 7))" "a contacts file of 6 fixture and $N generated contacts"

# --- queueing
t0=$(date +%s.%N)
T invite prof-learning "$tmp/contacts.csv" --json >"$tmp/invite.json" 2>"$tmp/invite.err"
ok $? "tagctl invite"
t1=$(date +%s.%N)
is "$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["contacts"], d["queued"], d["participants"], d["bad"])' "$tmp/invite.json")" \
	"$((N + 6)) $((N + 4)) 2 0" "$((N + 4)) invitations queued, the 2 participants skipped"
if grep -q "inviting \[" "$tmp/invite.err"; then ok 1 "no progress bar when stderr is not a terminal"; else ok 0 "no progress bar when stderr is not a terminal"; fi
T invite prof-learning "$tmp/contacts.csv" --json >"$tmp/again.json" 2>/dev/null
is "$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["queued"], d["already_invited"])' "$tmp/again.json")" \
	"0 $((N + 4))" "a second invite queues nothing new"
# on a terminal: a progress bar (a pty from Python)
"$PYTHON3" -c 'import pty,sys; pty.spawn(sys.argv[1:])' "$TAGCTL" -c "$tmp/tagd.conf" invite prof-learning \
	"$data/contacts.csv" </dev/null >"$tmp/tty.out" 2>&1
like "$tmp/tty.out" "inviting \[##############################\] 100% 6/6" "a progress bar on a terminal"

# --- sending, with the server dying half-way and one address refused
smtpd_faults "$tmp/smtp" "{\"crash_after\": 500, \"rcpt\": {\"$BAD\": [550, \"5.1.1 no such user\"]}}"
t2=$(date +%s.%N)
"$TAGD" -c "$tmp/tagd.conf" --once >"$tmp/tagd1.log" 2>&1
t3=$(date +%s.%N)
wait_for 5 sh -c "! kill -0 \$(cat '$tmp/smtp/pid') 2>/dev/null"
if smtpd_running "$tmp/smtp"; then ok 1 "the SMTP server died half-way"; else ok 0 "the SMTP server died half-way"; fi
first=$(smtpd_count "$tmp/smtp")
is "$first" 500 "500 invitations arrived before it died"
T outbox prof-learning --json >"$tmp/outbox1.json"
"$PYTHON3" - "$tmp/outbox1.json" >"$tmp/states1" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter(o["state"] for o in d if o["kind"] == "invitation")
print(c["sent"], c["failed"], c["deferred"] + c["queued"])
PY
is "$(cat "$tmp/states1")" "500 1 503" "the outbox: 500 sent, 1 failed, 503 waiting"

smtpd_faults "$tmp/smtp" "{\"rcpt\": {\"$BAD\": [550, \"5.1.1 no such user\"]}}"
smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "the SMTP server is back on the same port"
# deferred mail waits for its backoff: run an hour later on tagd's clock
later=$(date -u -d '+1 hour' '+%Y-%m-%d %H:%M')
t4=$(date +%s.%N)
"$TAGD" -c "$tmp/tagd.conf" --once --clock "$later" >"$tmp/tagd2.log" 2>&1
t5=$(date +%s.%N)
is "$(smtpd_count "$tmp/smtp")" "$((N + 3))" "after the restart the rest arrived: $((N + 3)) in all"

T outbox prof-learning --json >"$tmp/outbox2.json"
"$PYTHON3" - "$tmp/outbox2.json" "$BAD" >"$tmp/states2" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))
inv = [o for o in d if o["kind"] == "invitation"]
c = collections.Counter(o["state"] for o in inv)
failed = [o for o in inv if o["state"] == "failed"]
print(c["sent"], c["failed"], c["deferred"] + c["queued"], failed[0]["recipient"] if failed else "-",
      "550" in (failed[0]["last_error"] or "") if failed else False)
PY
is "$(cat "$tmp/states2")" "$((N + 3)) 1 0 $BAD True" "outbox --json: all sent but the refused address, which failed with its 550"

# --- what arrived
"$PYTHON3" - "$tmp/smtp/md/new" "$tmp/contacts.csv" "$BAD" >"$tmp/check.out" 2>&1 <<'PY'
import csv, email, email.policy, os, sys, collections
md, contacts, bad = sys.argv[1:4]
want = set()
with open(contacts) as f:
    for row in csv.DictReader(f):
        want.add(row["email"].lower())
want -= {"ana.ruiz@district9.example.org", "b.okafor@gmail.example.com", bad}
seen = collections.Counter()
ids = collections.Counter()
problems = []
for name in os.listdir(md):
    with open(os.path.join(md, name), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    rcpt = m["X-Envelope-To"].strip("<>").lower()
    seen[rcpt] += 1
    ids[m["Message-ID"]] += 1
    if m.defects:
        problems.append("%s: defects %s" % (rcpt, m.defects))
    for h in ("List-Id", "List-Post", "List-Help", "List-Unsubscribe", "Precedence", "Message-ID", "Date",
              "From", "To", "Subject", "Reply-To"):
        if m[h] is None:
            problems.append("%s: no %s" % (rcpt, h))
    if m["Precedence"] != "list" or m["Auto-Submitted"] is not None:
        problems.append("%s: Precedence %s, Auto-Submitted %s" % (rcpt, m["Precedence"], m["Auto-Submitted"]))
    if not m["Message-ID"].startswith("<invitation."):
        problems.append("%s: Message-ID %s" % (rcpt, m["Message-ID"]))
    if m["Reply-To"].addresses[0].addr_spec != "tag-prof-learning+join@tags.example.org":
        problems.append("%s: Reply-To %s" % (rcpt, m["Reply-To"]))
    if m["To"].addresses[0].addr_spec.lower() != rcpt:
        problems.append("%s: To %s" % (rcpt, m["To"]))
    if "<mailto:tag-prof-learning+leave@tags.example.org?subject=unsubscribe>" not in m["List-Unsubscribe"]:
        problems.append("%s: List-Unsubscribe %s" % (rcpt, m["List-Unsubscribe"]))
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    name_ok = ("Dear Contact %s," % int(rcpt[3:7])) in text if rcpt.startswith("gen") else "Dear " in text
    if not name_ok or "Years of experience:" not in text or "12:00-13:00 EDT" not in text \
            or "at least 1 year of" not in text or "<html" not in html:
        problems.append("%s: body not as expected" % rcpt)
print("arrived", len(seen))
print("twice", sorted(a for a, n in seen.items() if n > 1))
print("missing", len(want - set(seen)))
print("unexpected", sorted(set(seen) - want))
print("duplicate ids", sum(1 for n in ids.values() if n > 1))
print("problems", len(problems))
for p in problems[:10]:
    print("#", p)
PY
like "$tmp/check.out" "^arrived $((N + 3))$" "every invitation parses with Python's email package"
like "$tmp/check.out" "^twice \[\]$" "none arrived twice"
like "$tmp/check.out" "^missing 0$" "none is missing"
like "$tmp/check.out" "^unexpected \[\]$" "none went to a participant or the refused address"
like "$tmp/check.out" "^duplicate ids 0$" "every Message-ID is unique"
like "$tmp/check.out" "^problems 0$" "headers (List-*, Precedence, Message-ID, Date, Reply-To) and personal bodies"
grep '^#' "$tmp/check.out"

# a third run sends nothing more
"$TAGD" -c "$tmp/tagd.conf" --once --clock "$later" >"$tmp/tagd3.log" 2>&1
is "$(smtpd_count "$tmp/smtp")" "$((N + 3))" "tagd --once again sends nothing more"

"$PYTHON3" - "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$first" "$N" <<'PY'
import sys
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[1:7])
first, n = int(sys.argv[7]), int(sys.argv[8])
print("# figures: tagctl invite queued %d invitations in %.2f s; tagd --once sent %d before the server died "
      "(and deferred the rest) in %.2f s, then %d after the restart in %.2f s (%.1f mails/s)"
      % (n + 4, t1 - t0, first, t3 - t2, n + 3 - first, t5 - t4, (n + 3 - first) / max(t5 - t4, 0.001)))
PY

done_testing
