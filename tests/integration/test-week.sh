#!/bin/sh
# test-week - the fixture week, Monday 16 to Saturday 21 July 2018, on a
# simulated clock: the replies reach a real Dovecot on the day they were
# written, tagd takes them over IMAPS and sends through a real SMTP server.
# Checked at the end, from what the SMTP server received: the mail each
# participant got by kind (drafts, digests, acknowledgements, relays for the
# each-mode participant, session-closed, the late note), every comment in
# exactly one digest under its paragraph, a reply under the comment it
# answers, the word diff after the revision mailed to +revise, nothing
# twice - with tagd killed (-9) and started again in the middle of the week.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-dovecot.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

tmp=$(mktemp -d /tmp/tagd-week.XXXXXX)
tagd_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	dovecot_cleanup >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "" EXIT
fix="$TAGD_SHARED/fixtures"
data="$top_srcdir/tests/data/week"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp" "$tmp/mail"
chmod 750 "$state"
t0=$(date +%s)

if [ ! -d "$fix/replies" ]; then
	skip "no fixtures at $fix"
	done_testing
	exit
fi
if [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/bin/doveadm ] || ! "$PYTHON3" -c 'import aiosmtpd' 2>/dev/null; then
	skip "dovecot-imapd or python3-aiosmtpd is not installed"
	done_testing
	exit
fi
DOVECOT_USERS=tag
dovecot_start >"$tmp/dovecot.out" 2>&1
ok $? "a throwaway Dovecot runs on 127.0.0.1"
smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
printf '%s\n' "$DOVECOT_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"

cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org

[maildir]
inbox =

[imap]
host = 127.0.0.1
port = $DOVECOT_IMAPS_PORT
tls = imaps
ca_file = $DOVECOT_CA
user = tag
password_file = $tmp/imap.pass

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
CONF

T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }
FARAH=f.haddad@yahoo.example.com
# the organizers set up on the Friday before
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" --clock "2018-07-13 15:00" "$@"; }
T session create "$fix/prof-learning.session" >/dev/null &&
	T participant add prof-learning $FARAH --name "Farah Haddad" --organization "Northside Academy" \
		--role Teacher-leader --years 1 --mode each >/dev/null &&
	T participant import prof-learning "$fix/participants.csv" >/dev/null &&
	T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, six participants (Farah gets each comment), the draft"
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }
# running PID - the process runs (a zombie does not)
running() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# step TIME [FILE...] - the files reach the list's mailbox, then tagd runs
# once at TIME (UTC) on its clock: takes the mail, does what is due, sends
step() {
	at=$1
	shift
	for f in "$@"; do
		dovecot_append tag "$f" >/dev/null 2>&1 || echo "# cannot append $f"
	done
	"$TAGD" -c "$tmp/tagd.conf" --clock "$at" --once >>"$tmp/tagd.log" 2>&1
}
replies() { # replies FIRST LAST - fixture replies by number
	for f in "$fix"/replies/*.eml; do
		n=$(basename "$f" | cut -c1-3)
		[ "$n" -ge "$1" ] && [ "$n" -le "$2" ] && echo "$f"
	done
}
db="$state/tagd.db"
sql() {
	"$PYTHON3" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])' \
		"$db" "$1" 2>/dev/null
}
# settle SQL WANT [TENTHS] - wait (10 s at most) until SQL gives WANT
settle() {
	st_i=0
	while [ "$(sql "$1")" != "$2" ] && [ $st_i -lt "${3:-100}" ]; do
		sleep 0.1
		st_i=$((st_i + 1))
	done
	[ "$(sql "$1")" = "$2" ]
}
# mailto RCPT PREFIX - files the SMTP server got for RCPT whose Message-ID starts with PREFIX
mailto() {
	"$PYTHON3" - "$tmp/smtp/md/new" "$1" "$2" <<'PY'
import email, email.policy, os, sys
md, rcpt, prefix = sys.argv[1:4]
for name in sorted(os.listdir(md)):
    with open(os.path.join(md, name), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    if m["X-Envelope-To"].strip("<>").lower() == rcpt.lower() and m["Message-ID"].strip("<>").startswith(prefix):
        print(os.path.join(md, name))
PY
}
# fill TEMPLATE OUT MAILFILE - a reply to MAILFILE: @REPLY_TO@, @SUBJECT@, @PARENT@, @REFERENCES@
fill() {
	"$PYTHON3" - "$1" "$2" "$3" <<'PY'
import email, email.policy, sys
tmpl, out, src = sys.argv[1:4]
m = email.message_from_binary_file(open(src, "rb"), policy=email.policy.default)
refs = (str(m["References"] or "") + " " + str(m["Message-ID"])).strip()
t = open(tmpl).read()
t = t.replace("@REPLY_TO@", str(m["Reply-To"] or m["From"])).replace("@SUBJECT@", str(m["Subject"]))
t = t.replace("@PARENT@", str(m["Message-ID"]).strip("<>")).replace("@REFERENCES@", refs)
open(out, "w").write(t)
PY
}

# ---- Monday 16 July ----
step "2018-07-16 04:05"
is "$(sql "SELECT state FROM session")" open "Monday 00:05 EDT: the session is open"
is "$(mailto b.okafor@gmail.example.com draft.r1. | wc -l | tr -d ' ')" 1 "the draft reached a participant"
# shellcheck disable=SC2046
step "2018-07-16 13:00" $(replies 1 15)
step "2018-07-16 21:05"
is "$(sql "SELECT result FROM schedule WHERE event = 'digest:2018-07-16'" | cut -d, -f1)" "15 comments" \
	"Monday 17:00 EDT: the digest has Monday's 15 comments"

# ---- Tuesday: Farah answers a relayed comment ----
relay=$(grep -l "kept administrators out of the room" $(mailto $FARAH comment.) 2>/dev/null | head -1)
ok $([ -n "$relay" ]; echo $?) "Farah got Dmitri's ¶6 comment as it came"
fill "$data/farah-reply-to-relay.eml" "$tmp/mail/farah-reply.eml" "$relay"
# shellcheck disable=SC2046
step "2018-07-17 13:00" $(replies 16 23) "$tmp/mail/farah-reply.eml"
is "$(sql "SELECT count(*) FROM comment WHERE parent_id IS NOT NULL AND author_email = '$FARAH'")" 1 \
	"her reply is stored under the comment it answers"
step "2018-07-17 21:05"

# ---- Wednesday: a revision mailed to +revise, confirmed by the organizer ----
cat "$data/revise-r2.head" "$top_srcdir/examples/prof-learning-draft-r2.md" >"$tmp/mail/revise.eml"
printf '%s\n' "--==r2==--" >>"$tmp/mail/revise.eml"
step "2018-07-18 13:00" "$tmp/mail/revise.eml"
confirm=$(mailto kcasey@consulting.example.com revise. | head -1)
ok $([ -n "$confirm" ]; echo $?) "the organizer is asked to confirm the mailed revision"
is "$(sql "SELECT count(*) FROM revision")" 1 "nothing imported before the confirmation"
fill "$data/revise-confirm.eml" "$tmp/mail/revise-ok.eml" "$confirm"
step "2018-07-18 13:10" "$tmp/mail/revise-ok.eml"
is "$(sql "SELECT count(*) FROM revision")" 2 "her reply imports it as revision 2"
is "$(sql "SELECT count(*) FROM outbox WHERE purpose LIKE 'draft:prof-learning:r2:%'")" 6 \
	"and revision 2 goes to every participant at once"

# Wednesday's replies, with tagd running on a fast clock, killed in the
# middle and started again where its clock was
before=$(sql "SELECT count(*) FROM message")
# shellcheck disable=SC2046
for f in $(replies 24 30); do dovecot_append tag "$f" >/dev/null 2>&1; done
speed=7200
start="2018-07-18 13:20"
until="2018-07-19 11:00"
real0=$(date +%s.%N)
"$TAGD" -c "$tmp/tagd.conf" --clock "$start" --speed $speed --until "$until" >>"$tmp/tagd.log" 2>&1 &
tagd_pid=$!
settle "SELECT count(*) FROM message WHERE state != 'new'" $((before + 7)) $((200 * tap_slow))
ok $? "running, tagd takes Wednesday's seven replies from IMAP"
settle "SELECT count(*) FROM outbox WHERE state IN ('queued','deferred')" 0 $((100 * tap_slow))
sleep 0.5
kill -9 "$tagd_pid"
wait "$tagd_pid" 2>/dev/null
tagd_pid=
real1=$(date +%s.%N)
# where its clock was when it died
resume=$("$PYTHON3" -c 'import sys,datetime
s=datetime.datetime.strptime(sys.argv[1], "%Y-%m-%d %H:%M")+datetime.timedelta(seconds=(float(sys.argv[3])-float(sys.argv[2]))*float(sys.argv[4]))
print(s.strftime("%Y-%m-%d %H:%M"))' "$start" "$real0" "$real1" $speed)
diag "killed at about $resume UTC on tagd's clock; Wednesday's digest done before: $(sql "SELECT count(*) FROM schedule WHERE event = 'digest:2018-07-18'")"
"$TAGD" -c "$tmp/tagd.conf" --clock "$resume" --speed $speed --until "$until" >>"$tmp/tagd.log" 2>&1 &
tagd_pid=$!
i=0
while running "$tagd_pid" && [ $i -lt $((300 * tap_slow)) ]; do
	sleep 0.1
	i=$((i + 1))
done
ok $([ $i -lt $((300 * tap_slow)) ]; echo $?) "started again, it runs to its --until and exits"
kill -9 "$tagd_pid" 2>/dev/null
wait "$tagd_pid" 2>/dev/null
tagd_pid=
is "$(sql "SELECT count(*) FROM schedule WHERE event = 'digest:2018-07-18'")" 1 "Wednesday's digest was done once"

# ---- Thursday (Dmitri leaves), Friday, Friday evening, the close ----
# shellcheck disable=SC2046
step "2018-07-19 13:00" $(replies 31 35)
is "$(sql "SELECT status FROM participant WHERE email = 'dmitri@icloud.example.com'")" left "Dmitri has left"
step "2018-07-19 21:05"
# shellcheck disable=SC2046
step "2018-07-20 13:00" $(replies 36 36)
step "2018-07-20 21:05"
step "2018-07-21 01:00" "$data/ana-friday-evening.eml"
step "2018-07-21 04:05"
is "$(sql "SELECT state FROM session")" closed "Saturday 00:00 EDT: the session is closed"

# ---- Saturday: late comments ----
step "2018-07-21 14:00" "$data/wei-late-1.eml"
step "2018-07-21 14:30" "$data/wei-late-2.eml"
step "2018-07-21 22:00"
is "$(sql "SELECT count(*) FROM comment WHERE late = 1")" 2 "two late comments, kept and marked late"
settle "SELECT count(*) FROM outbox WHERE state != 'sent'" 0
ok $? "everything in the outbox was sent"
t1=$(date +%s)
diag "the simulated week took $((t1 - t0)) s"

# ---- what everyone got ----
T comments prof-learning --json >"$tmp/comments.json"
T participant list prof-learning --json >"$tmp/people.json"
"$PYTHON3" - "$tmp/smtp/md/new" "$fix/replies" "$tmp/comments.json" "$data" <<'PY' >"$tmp/checks" 2>&1
import email, email.policy, os, re, sys, json, collections
md, replies, comments_json, data = sys.argv[1:5]
FARAH = "f.haddad@yahoo.example.com"
mails = collections.defaultdict(list)           # recipient -> [(kind, msgid, msg)]
ids = collections.Counter()
def kind_of(mid):
    k = mid.split(".")[0]
    if k == "draft":
        return "draft." + mid.split(".")[1]
    return k
for name in sorted(os.listdir(md)):
    m = email.message_from_binary_file(open(os.path.join(md, name), "rb"), policy=email.policy.default)
    rcpt = m["X-Envelope-To"].strip("<>").lower()
    mid = str(m["Message-ID"]).strip("<>")
    ids[(rcpt, mid)] += 1
    mails[rcpt].append((kind_of(mid), mid, m))
def check(cond, what):
    print(("ok" if cond else "not ok") + " - " + what)
    return cond
dups = [k for k, n in ids.items() if n > 1]
check(not dups, "nothing arrived twice (%d mails)" % sum(ids.values()))
if dups:
    print("# twice: %s" % dups[:5])

def sender(path):
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    return m["From"].addresses[0].addr_spec.lower()
expected = [l.rstrip("\n").split("\t") for l in open(os.path.join(replies, "EXPECTED.tsv"))][1:]
acks = collections.Counter()
for row in expected:
    if row[1] == "comment":
        acks[sender(os.path.join(replies, row[0]))] += 1
acks[FARAH] += 1                            # her reply to a relayed comment
acks["ana.ruiz@district9.example.org"] += 1  # Friday evening
comments = json.load(open(comments_json))
relays = sum(1 for c in comments if c["author"].lower() != FARAH and not c["late"])

people = ["ana.ruiz@district9.example.org", "b.okafor@gmail.example.com", "chen.wei@outlook.example.com",
          "dmitri@icloud.example.com", "e.lindqvist@uni.example.edu", FARAH]
digests = {p: 6 for p in people}
digests["dmitri@icloud.example.com"] = 3     # left on Thursday
digests[FARAH] = 0                           # each comment instead
for p in people:
    got = collections.Counter(k for k, _, _ in mails[p])
    want = {"draft.r1": 1, "draft.r2": 1, "digest": digests[p], "ack": acks[p],
            "comment": relays if p == FARAH else 0,
            "closed": 0 if p.startswith("dmitri") else 1,
            "late": 1 if p.startswith("chen.wei") else 0,
            # Bola declined the call (fixture 005): no reminder for her
            "call-reminder": 0 if p.startswith("b.okafor") else 1,
            # the answers to Farah's "help" and to Dmitri's "leave"
            "help": 1 if p == FARAH or p.startswith("dmitri") else 0}
    # every kind the participant got, so an unexpected extra kind fails too
    have = {k: v for k, v in got.items() if v}
    want = {k: v for k, v in want.items() if v}
    if not check(have == want, "%s: %s" % (p, ", ".join("%s %d" % kv for kv in sorted(want.items()) if kv[1]))):
        print("#   got %s" % dict(got))
org = collections.Counter(k for k, _, _ in mails["kcasey@consulting.example.com"])
check(org == {"revise": 2}, "the organizer: the confirmation request and the note that it was imported (%s)" % dict(org))

# the digests of one participant who stayed all week
def text(m):
    return m.get_body(("plain",)).get_content()
def sections(t, new_only=True):
    """paragraph number (0: the draft as a whole) -> text of that section; changes apart.
    new_only: without the comments shown again for their new replies"""
    out, cur, changes, again = collections.defaultdict(str), None, "", False
    lines = t.split("\n")
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else ""
        if line.startswith(">> "):
            again = "(in an earlier digest" in line
        elif line.startswith("   (reply to "):
            again = False
        if again and new_only:
            continue
        if prev.startswith("=====") and line == "ON THE DRAFT AS A WHOLE":
            cur = 0
        elif prev.startswith("=====") and re.match(r'^¶(\d+) "', line):
            cur = int(re.match(r"^¶(\d+)", line).group(1))
        elif prev.startswith("=====") and line.startswith("CHANGED PARAGRAPHS"):
            cur = "changes"
        elif cur == "changes":
            changes += line + "\n"
        elif cur is not None:
            out[cur] += line + "\n"
    return out, changes
norm = lambda s: re.sub(r"\s+", " ", s)
bola = sorted((mid, m) for k, mid, m in mails["b.okafor@gmail.example.com"] if k == "digest")
days = [mid.split(".")[1] for mid, _ in bola]
check(days == ["2018-07-%02d" % d for d in range(16, 22)], "Bola's digests: one a day, Monday to Friday, and the last at the close (%s)" % days)
parsed = {mid.split(".")[1]: sections(text(m)) for mid, m in bola}
missing = []
for row in expected:
    if row[1] != "comment":
        continue
    for para, phrase in zip(row[2].split(","), row[3].split(" || ")):
        where = [d for d, (secs, _) in parsed.items() if norm(phrase) in norm(secs.get(int(para), ""))]
        if len(where) != 1:
            missing.append("%s ¶%s %r in %s" % (row[0], para, phrase, where))
check(not missing, "every fixture comment is in exactly one digest, under its paragraph")
for x in missing[:8]:
    print("#   " + x)
tue = sections(text(dict(bola).get([mid for mid, _ in bola if ".2018-07-17." in mid][0])), False)[0] if len(bola) > 1 else {}
check("-- reply from Farah Haddad" in tue.get(6, "") and "evaluators stay out" in norm(tue.get(6, "")) and
      "kept administrators out of the room" in norm(tue.get(6, "")),
      "Tuesday: Farah's reply under Dmitri's ¶6 comment, shown again")
check("(in an earlier digest; new replies below)" in text(dict(bola)[[mid for mid, _ in bola if ".2018-07-17." in mid][0]]),
      "marked as shown again")
wed_changes = parsed.get("2018-07-18", ({}, ""))[1]
check(all(s in wed_changes for s in ("¶4 (edited)", "¶7 (edited)", "¶13 (edited)", "¶23 (new)")),
      "Wednesday: the paragraphs revision 2 changed")
check("[-several-]{+six+} weeks {+or more+}" in wed_changes and "[-with-]{+and+} attendance" in wed_changes,
      "with a word diff")
last = parsed.get("2018-07-21", ({}, ""))[0]
check("which supports they would drop first" in norm(last.get(22, "")) and len(last) == 1,
      "the last digest: only Friday evening's comment, under ¶22")
check(not any("Late thought" in norm(s) or "late note" in norm(s) for d in parsed.values() for s in d[0].values()),
      "late comments are in no digest")
farah = [m for k, _, m in mails[FARAH] if k == "comment"]
threaded = [m for m in farah if any(r.startswith("<para.") for r in str(m["References"] or "").split())]
check(len(threaded) == len(farah) and all(str(m["Reply-To"]).startswith("tag-prof-learning+c") for m in farah),
      "each relay names its paragraph's thread root and asks for answers at LIST+cID")
late = [m for k, _, m in mails["chen.wei@outlook.example.com"] if k == "late"]
check(len(late) == 1 and "Sorry this is late" in norm(text(late[0])), "the late note quotes the first late comment")
PY
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok 0 "${line#ok - }" ;;
	"not ok - "*) ok 1 "${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done <"$tmp/checks"

T schedule prof-learning >"$tmp/schedule.txt"
like "$tmp/schedule.txt" "close .*done" "tagctl schedule shows the close done"
T comment 1 status incorporated --note "In revision 2." >/dev/null
is "$(sql "SELECT status || ':' || note FROM comment WHERE id = 1")" "incorporated:In revision 2." \
	"tagctl comment ID status records what became of a comment"
T comment 1 status maybe >/dev/null 2>&1
is $? 2 "an unknown status is a usage error"
done_testing
