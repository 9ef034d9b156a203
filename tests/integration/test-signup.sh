#!/bin/sh
# test-signup - sign-up by mail end to end, through tagd's Maildir inbox and
# a real SMTP server on 127.0.0.1: a join request (fixture 012) gets a
# confirmation, the reply to LIST+confirm-TOKEN built from it makes an
# active participant with a welcome; an applicant with no experience is
# declined kindly; a token used from another address is refused, an expired
# one gets a fresh confirmation; organizer approval (pending, approve,
# reject); leave/help/mode answers, one a day to a stranger, none to an
# auto-reply; the one-click unsubscribe over HTTP (GET does not act, POST
# does), with its limits.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

tmp=$(mktemp -d /tmp/tagd-signup.XXXXXX)
tagd_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap '[ -n "$tagd_pid" ] && kill -9 "$tagd_pid"; smtpd_stop "$tmp/smtp" >/dev/null 2>&1' EXIT
data="$top_srcdir/tests/data/signup"
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp" "$tmp/in/new" "$tmp/in/cur" "$tmp/in/tmp" "$tmp/mail"
chmod 750 "$state"
LIST=tag-prof-learning@tags.example.org

smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
http_port=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# the public address, as a TLS reverse proxy serves it (RFC 8058 asks for
# https); the proxy passes /tagd/... on to the local listener
public="https://tags.example.org/tagd"
web="http://127.0.0.1:$http_port"
cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org
web_url = $public

[maildir]
inbox = $tmp/in

[http]
listen = 127.0.0.1:$http_port
timeout = 2s
max_connections = 4

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
CONF
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }
T session create "$data/signup.session" >/dev/null &&
T session create "$data/approval.session" >/dev/null &&
T participant add prof-learning ana.ruiz@district9.example.org --name "Ana Ruiz" --years 6 >/dev/null
ok $? "two sessions (one with approval) and a participant set up"

seq=0
# drop FILE - deliver a message into tagd's Maildir inbox
drop() {
	seq=$((seq + 1))
	cp "$1" "$tmp/in/new/$(date +%s).$$_$seq.test"
}
# run TIME - tagd takes the inbox and sends what is due, at TIME on its clock
run() {
	"$TAGD" -c "$tmp/tagd.conf" --once --clock "$1" >>"$tmp/tagd.log" 2>&1
}
# mails RCPT [SUBJECT-PART] - the files that reached RCPT, oldest first
mails() {
	"$PYTHON3" - "$tmp/smtp/md/new" "$1" "${2:-}" <<'PY'
import email, email.policy, os, sys
md, rcpt, part = sys.argv[1:4]
found = []
for name in os.listdir(md):
    path = os.path.join(md, name)
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    if m["X-Envelope-To"].strip("<>").lower() == rcpt.lower() and part in str(m["Subject"]):
        found.append((os.path.getmtime(path), name, path))
for _, _, p in sorted(found):
    print(p)
PY
}
count() {
	mails "$1" "${2:-}" | wc -l | tr -d ' '
}
# header FILE NAME - one header of a received mail, unfolded
header() {
	"$PYTHON3" -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); v=m[sys.argv[2]]; print("" if v is None else str(v).strip())' "$1" "$2"
}
body() {
	"$PYTHON3" -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(m.get_body(("plain",)).get_content())' "$1"
}
# reply FILE FROM OUT [BODY] - the reply a mail client makes to FILE: to its Reply-To, quoting it
reply() {
	"$PYTHON3" - "$1" "$2" "$3" "${4:-Yes, please.}" <<'PY'
import email, email.policy, sys, time
src, frm, out, text = sys.argv[1:5]
m = email.message_from_binary_file(open(src, "rb"), policy=email.policy.default)
to = m["Reply-To"] or m["From"]
quoted = "\n".join("> " + l for l in m.get_body(("plain",)).get_content().splitlines())
msgid = "<reply-%d-%s>" % (time.time_ns(), frm.split("<")[-1].strip(">"))
r = ("From: %s\nTo: %s\nSubject: Re: %s\nDate: Mon, 16 Jul 2018 14:20:00 -0400\nMessage-ID: %s\n"
     "In-Reply-To: %s\nReferences: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
     "Content-Transfer-Encoding: 8bit\n\n%s\n\nOn Mon, 16 Jul 2018, the list wrote:\n%s\n"
     % (frm, to, m["Subject"], msgid, m["Message-ID"], m["Message-ID"], text, quoted))
open(out, "w").write(r)
PY
}
# mail FROM TO SUBJECT BODY - a plain message in a new file, whose name is printed
mail() {
	f=$(mktemp "$tmp/mail/m.XXXXXX")
	printf 'From: %s\nTo: %s\nSubject: %s\nDate: Mon, 16 Jul 2018 15:00:00 -0400\nMessage-ID: <%s@test.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "$2" "$3" "${f##*/}" "$4" >"$f"
	echo "$f"
}
pjson() { # pjson SLUG EMAIL FIELD - a participant's field, or "none"
	T participant list "$1" --json | "$PYTHON3" -c 'import json,sys; d=[p for p in json.load(sys.stdin) if p["email"].lower()==sys.argv[1].lower()]; print(d[0][sys.argv[2]] if d else "none")' "$2" "$3"
}

# ---- before the launch call: the welcome and the call's invitation ----
EVE=eve.early@district9.example.org
drop "$(mail "Eve Early <$EVE>" "tag-prof-learning+join@tags.example.org" "count me in" "Name: Eve Early
Years of experience: 9")"
run "2018-07-13 10:00"
reply "$(mails $EVE "Please confirm" | head -1)" "Eve Early <$EVE>" "$tmp/mail/eve-confirm.eml"
drop "$tmp/mail/eve-confirm.eml"
run "2018-07-13 10:10"
T outbox prof-learning --json | "$PYTHON3" -c 'import json,sys; print(" ".join(o["kind"] for o in json.load(sys.stdin) if o["recipient"]==sys.argv[1]))' $EVE >"$tmp/eve.kinds"
is "$(cat "$tmp/eve.kinds")" "signup-confirm welcome call-invitation" "joined before the call: welcome, then the call's invitation"
inv=$(mails $EVE "Invitation:" | head -1)
ok $([ -n "$inv" ] && grep -q "^Content-Type: text/calendar; .*method=\"\{0,1\}REQUEST" "$inv"; echo $?) \
	"the call's invitation arrives with a text/calendar REQUEST"

# ---- join, confirm, welcome ----
PRIYA=priya.nair@eastview.example.org
drop "$fix/replies/012-priya-join-request.eml"
run "2018-07-16 18:06"
is "$(count $PRIYA "Please confirm")" 1 "join (fixture 012): the confirmation arrives"
conf=$(mails $PRIYA "Please confirm" | head -1)
like "$conf" "^Auto-Submitted: auto-replied" "the confirmation is Auto-Submitted: auto-replied"
like "$conf" "^In-Reply-To: <CAKoPtrVgyhcBVjHW3PrxMpxcTZuj+foyTkzaLFM2Sp0Uqg-@mail.gmail.example.com>" \
	"the confirmation answers the join request"
rt=$(header "$conf" Reply-To)
case "$rt" in
tag-prof-learning+confirm-*@tags.example.org) ok 0 "Reply-To is LIST+confirm-TOKEN: $rt" ;;
*) ok 1 "Reply-To is LIST+confirm-TOKEN: $rt" ;;
esac
is "$(pjson prof-learning $PRIYA status)" none "before confirming she is not a participant"

reply "$conf" "Priya Nair <$PRIYA>" "$tmp/mail/priya-confirm.eml"
drop "$tmp/mail/priya-confirm.eml"
run "2018-07-16 18:20"
is "$(count $PRIYA "Welcome")" 1 "her reply to LIST+confirm-TOKEN: the welcome arrives"
is "$(pjson prof-learning $PRIYA status) $(pjson prof-learning $PRIYA years_experience) $(pjson prof-learning $PRIYA organization)" \
	"active 4 Eastview Elementary School" "she is an active participant, with the form's details"
welcome=$(mails $PRIYA "Welcome" | head -1)
unsub=$(header "$welcome" List-Unsubscribe)
case "$unsub" in
"<$public/unsubscribe/"*", <mailto:tag-prof-learning+leave@tags.example.org?subject=unsubscribe>") ok 0 "the welcome has a one-click List-Unsubscribe" ;;
*) ok 1 "the welcome has a one-click List-Unsubscribe: $unsub" ;;
esac
is "$(header "$welcome" List-Unsubscribe-Post)" "List-Unsubscribe=One-Click" "and List-Unsubscribe-Post (RFC 8058)"
drop "$tmp/mail/priya-confirm.eml"
reply "$conf" "Priya Nair <$PRIYA>" "$tmp/mail/priya-confirm2.eml" "Yes again"
drop "$tmp/mail/priya-confirm2.eml"
run "2018-07-16 18:25"
is "$(count $PRIYA)" 2 "confirming again sends nothing more"

# ---- not enough experience: declined, kindly ----
DAN=dan.novice@newschool.example.org
drop "$data/join-novice.eml"
run "2018-07-16 18:31"
conf=$(mails $DAN "Please confirm" | head -1)
ok $([ -n "$conf" ]; echo $?) "a join with years 0: confirmation first"
reply "$conf" "Dan Novice <$DAN>" "$tmp/mail/dan-confirm.eml"
drop "$tmp/mail/dan-confirm.eml"
run "2018-07-16 18:40"
decl=$(mails $DAN "Your request to join" | head -1)
ok $([ -n "$decl" ]; echo $?) "then the decline arrives"
body "$decl" >"$tmp/decline.txt"
like "$tmp/decline.txt" "at least 1 year of experience" "it says which criterion was not met"
like "$tmp/decline.txt" "https://www.competencyworks.example.org/getting-started" "it points to where newcomers start"
is "$(pjson prof-learning $DAN status)" declined "status declined"
is "$(count $DAN Welcome)" 0 "no welcome"

# ---- a token from another address, an expired token ----
CAROL=carol.reyes@district9.example.org
f=$(mail "Carol Reyes <$CAROL>" "$LIST" "join" "Name: Carol Reyes
Organization: District 9 Schools
Role: Principal
Years of experience: 12")
drop "$f"
run "2018-07-16 19:00"
cconf=$(mails $CAROL "Please confirm" | head -1)
reply "$cconf" "Mallory <mallory@attacker.example.net>" "$tmp/mail/mallory.eml"
drop "$tmp/mail/mallory.eml"
run "2018-07-16 19:05"
is "$(pjson prof-learning mallory@attacker.example.net status) $(pjson prof-learning $CAROL status)" "none none" \
	"Carol's token used by another address: refused, nobody signed up"
is "$(count mallory@attacker.example.net)" 0 "and no answer to the forger"
# meanwhile the draft is imported and the week opens
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
run "2018-07-19 19:50"
is "$(T session show prof-learning --json | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["state"])')" open \
	"the draft imported, the week is open"
reply "$cconf" "Carol Reyes <$CAROL>" "$tmp/mail/carol-late.eml"
drop "$tmp/mail/carol-late.eml"
run "2018-07-19 20:00"
is "$(pjson prof-learning $CAROL status)" none "Carol's own token after three days: expired, refused"
is "$(count $CAROL "Please confirm")" 2 "a fresh confirmation comes instead"
cconf2=$(mails $CAROL "Please confirm" | tail -1)
reply "$cconf2" "Carol Reyes <$CAROL>" "$tmp/mail/carol-confirm.eml"
drop "$tmp/mail/carol-confirm.eml"
run "2018-07-19 20:10"
is "$(pjson prof-learning $CAROL status)" active "the fresh one works"
T outbox prof-learning --json | "$PYTHON3" -c 'import json,sys; print(" ".join(o["kind"] for o in json.load(sys.stdin) if o["recipient"]==sys.argv[1]))' $CAROL >"$tmp/carol.kinds"
is "$(cat "$tmp/carol.kinds")" "signup-confirm signup-confirm draft welcome" "the week is open: the draft goes to her just before the welcome"
body "$(mails $CAROL Welcome | head -1)" >"$tmp/carol-welcome.txt"
like "$tmp/carol-welcome.txt" "The review has begun" "and the welcome says so"

# ---- organizer approval ----
JOSE=jose.martinez@valley.example.edu
drop "$data/join-liberal.eml"
run "2018-07-16 19:30"
jconf=$(mails $JOSE "Please confirm" | head -1)
reply "$jconf" "Jose Martinez <$JOSE>" "$tmp/mail/jose-confirm.eml"
drop "$tmp/mail/jose-confirm.eml"
run "2018-07-16 19:40"
is "$(pjson approved-learning $JOSE status) $(pjson approved-learning $JOSE years_experience)" "pending 4" \
	"approval = yes: pending after confirming (\"Experience: four years\" read as 4)"
is "$(pjson approved-learning $JOSE name)" "José Martínez" "the form's name, from markdown bullets"
T pending approved-learning --json >"$tmp/pending.json"
is "$("$PYTHON3" -c 'import json,sys; print([p["email"] for p in json.load(open(sys.argv[1]))])' "$tmp/pending.json")" \
	"['$JOSE']" "tagctl pending lists him"
T --clock "2018-07-16 19:44" approve approved-learning $JOSE >/dev/null
ok $? "tagctl approve"
run "2018-07-16 19:45"
is "$(pjson approved-learning $JOSE status) $(count $JOSE Welcome)" "active 1" "approved: active, welcome arrives"
T approve approved-learning $JOSE >/dev/null 2>&1
is $? 1 "approving again fails"
KIM=kim.lee@charter.example.org
f=$(mail "Kim Lee <$KIM>" "tag-approved@tags.example.org" "join" "Name: Kim Lee
Experience: 7 years")
drop "$f"
run "2018-07-16 20:00"
reply "$(mails $KIM "Please confirm" | head -1)" "Kim Lee <$KIM>" "$tmp/mail/kim-confirm.eml"
drop "$tmp/mail/kim-confirm.eml"
run "2018-07-16 20:05"
T --clock "2018-07-16 20:06" reject approved-learning $KIM --reason "This week we need district leaders." >/dev/null
ok $? "tagctl reject --reason"
run "2018-07-16 20:10"
kd=$(mails $KIM "Your request to join" | head -1)
body "$kd" >"$tmp/kim.txt"
like "$tmp/kim.txt" "This week we need district leaders." "the decline carries the organizers' reason"
is "$(pjson approved-learning $KIM status)" declined "status declined"
T pending approved-learning >"$tmp/pending.txt"
like "$tmp/pending.txt" "no sign-up waits" "nothing pending any more"

# ---- leave, help, modes; strangers once a day; auto-replies never ----
ANA=ana.ruiz@district9.example.org
drop "$(mail "Ana Ruiz <$ANA>" "$LIST" "mode each" "")"
run "2018-07-16 21:00"
is "$(pjson prof-learning $ANA mode) $(count $ANA "each comment as it is posted")" "each 1" "mode each: changed, answered"
drop "$(mail "Ana Ruiz <$ANA>" "tag-prof-learning+digest@tags.example.org" "please" "")"
run "2018-07-16 21:01"
is "$(pjson prof-learning $ANA mode) $(count $ANA "one digest a day")" "digest 1" "LIST+digest: changed, answered"
drop "$(mail "Ana Ruiz <$ANA>" "$LIST" "nomail" "")"
run "2018-07-16 21:02"
is "$(pjson prof-learning $ANA mode) $(count $ANA "no comment mail")" "nomail 1" "nomail: changed, answered"
drop "$(mail "Ana Ruiz <$ANA>" "tag-prof-learning+help@tags.example.org" "?" "")"
run "2018-07-16 21:03"
h=$(mails $ANA "How to use" | head -1)
ok $([ -n "$h" ]; echo $?) "help: the help mail arrives"
body "$h" >"$tmp/help.txt"
like "$tmp/help.txt" "Your current mode: no comment mail" "it shows her mode"
SAM=sam@elsewhere.example.com
drop "$(mail "Sam <$SAM>" "$LIST" "help" "")"
drop "$(mail "Sam <$SAM>" "tag-prof-learning+help@tags.example.org" "help me" "")"
drop "$(mail "Sam <$SAM>" "$LIST" "unsubscribe" "")"
run "2018-07-16 21:10"
is "$(count $SAM)" 1 "a stranger's three commands: one answer that day"
run "2018-07-17 21:10"
drop "$(mail "Sam <$SAM>" "$LIST" "help" "")"
run "2018-07-17 21:11"
is "$(count $SAM)" 2 "and one the next day"
drop "$data/vacation-join.eml"
run "2018-07-17 21:12"
is "$(count vera@away.example.com)" 0 "an auto-reply saying join gets no answer"
drop "$(mail "Ana Ruiz <$ANA>" "$LIST" "unsubscribe" "")"
run "2018-07-17 21:20"
is "$(pjson prof-learning $ANA status) $(count $ANA "You have left")" "left 1" "unsubscribe: left, answered"
# every answer to a command (help, confirmations, and the welcome or
# decline that answers a confirmation) is Auto-Submitted: auto-replied
"$PYTHON3" - "$tmp/smtp/md/new" >"$tmp/answers.out" <<'PY'
import email, email.policy, os, sys
n = bad = 0
for name in os.listdir(sys.argv[1]):
    m = email.message_from_binary_file(open(os.path.join(sys.argv[1], name), "rb"), policy=email.policy.default)
    kind = str(m["Message-ID"]).lstrip("<").split(".")[0]
    if kind in ("help", "signup-confirm") or (kind in ("welcome", "decline") and m["In-Reply-To"]):
        n += 1
        if m["Auto-Submitted"] != "auto-replied":
            bad += 1
print(n, bad)
PY
like "$tmp/answers.out" "^[1-9][0-9]* 0$" "every answer is Auto-Submitted: auto-replied"

# ---- one-click unsubscribe over HTTP ----
"$TAGD" -c "$tmp/tagd.conf" --clock "2018-07-17 22:00" >"$tmp/tagd-bg.log" 2>&1 &
tagd_pid=$!
wait_for $((10 * tap_slow)) curl -s -o /dev/null "$web/"
ok $? "tagd listens on $web"
url=$(echo "$unsub" | sed -e 's/^<\([^>]*\)>.*/\1/' -e "s|^https://tags.example.org|$web|")
curl -s -o "$tmp/get.html" -w '%{http_code}' "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 200 "GET of the link: 200"
like "$tmp/get.html" '<form method="post">' "a page with a button (a form POST)"
is "$(pjson prof-learning $PRIYA status)" active "GET does not unsubscribe"
curl -s -o /dev/null -w '%{http_code}' -I "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 200 "HEAD: 200"
curl -s -o /dev/null -w '%{http_code}' -X POST -d 'something=else' "$url" >"$tmp/code"
is "$(cat "$tmp/code") $(pjson prof-learning $PRIYA status)" "400 active" "POST without List-Unsubscribe=One-Click: 400, nothing done"
curl -s -o "$tmp/post.html" -w '%{http_code}' -X POST -d 'List-Unsubscribe=One-Click' "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 200 "POST List-Unsubscribe=One-Click (RFC 8058): 200"
is "$(pjson prof-learning $PRIYA status)" left "she has left"
curl -s -o /dev/null -w '%{http_code}' -X POST -d 'List-Unsubscribe=One-Click' "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 200 "the same POST again: 200"
curl -s -o /dev/null -w '%{http_code}' -X POST -d 'List-Unsubscribe=One-Click' \
	"$web/unsubscribe/1-0000000000000000" >"$tmp/code"
is "$(cat "$tmp/code")" 404 "a forged token: 404"
curl -s -o /dev/null -w '%{http_code}' -X DELETE "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 405 "DELETE: 405"
curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 431 "a 9 KB header: 431"
"$PYTHON3" - "$http_port" >"$tmp/limits.out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s
# a client that starts a request and stalls: answered 408 and closed within the timeout (2 s)
s = conn()
s.sendall(b"GET /unsubscribe/x HTTP/1.1\r\nHost: a\r\n")
t = time.time()
data = b""
first = None
while True:
    b = s.recv(4096)
    if not b:
        break
    if first is None:
        first = time.time() - t
    data += b
print("stall", data.split(b"\r\n")[0].decode(), "after %.1f s" % (first or 0))
s.close()
# four idle connections are the limit; a fifth gets 503
idle = [conn() for _ in range(4)]
time.sleep(0.3)
s = conn()
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print("fifth", data.split(b"\r\n")[0].decode())
for i in idle:
    i.close()
PY
like "$tmp/limits.out" "^stall HTTP/1.1 408 Request Timeout after [12]\.[0-9] s" "a stalled request: 408 within the timeout"
like "$tmp/limits.out" "^fifth HTTP/1.1 503" "one connection over [http] max_connections: 503"
curl -s -o /dev/null -w '%{http_code}' "$url" >"$tmp/code"
is "$(cat "$tmp/code")" 200 "the endpoint still answers afterwards"
kill -TERM "$tagd_pid"
wait_for $((10 * tap_slow)) sh -c "! kill -0 $tagd_pid 2>/dev/null"
ok $? "tagd stops on SIGTERM"
wait "$tagd_pid" 2>/dev/null
tagd_pid=

done_testing
