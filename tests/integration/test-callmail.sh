#!/bin/sh
# test-callmail - the launch call by mail, end to end: `tagctl call SLUG ics`
# read by independent software (Debian's python3-icalendar, the khal
# calendar); the fixture RSVPs through `tagctl inject`; then the
# invitation, a reschedule, a COUNTER and a cancel, each sent by
# `tagd --once` through a real SMTP server (smtpd.py) and read back with
# Python's email package: the iMIP layout, one object per recipient, each
# mail once (a second tagd --once sends nothing new).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

tmp=$(mktemp -d /tmp/tagd-callmail.XXXXXX)
cleanup() {
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "smtpd_stop $tmp/smtp" EXIT
LC_ALL=C.UTF-8
LANG=C.UTF-8
export LC_ALL LANG
fix="$TAGD_SHARED/fixtures"
data="$top_srcdir/tests/data/callmail"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp"
chmod 750 "$state"
NOW="2018-07-10 12:00"

if ! "$PYTHON3" -c 'import icalendar, aiosmtpd' 2>/dev/null; then
	skip "python3-icalendar or python3-aiosmtpd missing ($PYTHON3)"
	done_testing
	exit
fi
smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"

cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org

[maildir]
inbox =

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
CONF

T() { "$TAGCTL" -q -c "$tmp/tagd.conf" --clock "$NOW" "$@"; }
D() { "$TAGD" -c "$tmp/tagd.conf" --clock "$NOW" --once >>"$tmp/tagd.log" 2>&1; }

T session create "$fix/prof-learning.session" >/dev/null &&
	T participant import prof-learning "$fix/participants.csv" >/dev/null
ok $? "session and participants set up"
T participant list prof-learning --json >"$tmp/people.json"
"$PYTHON3" -c 'import json,sys; print("\n".join(sorted(p["email"].lower() for p in json.load(open(sys.argv[1])) if p["status"]=="active")))' \
	"$tmp/people.json" >"$tmp/active"
nactive=$(wc -l <"$tmp/active" | tr -d ' ')
is "$nactive" 6 "six active participants"

# ---- 1. the objects, read by python3-icalendar and khal ----

T call prof-learning ics --method request >"$tmp/request.ics"
ok $? "tagctl call ics --method request"
T call prof-learning ics --method cancel --attendee b.okafor@gmail.example.com >"$tmp/cancel.ics"
ok $? "tagctl call ics --method cancel --attendee"

# check_ics FILE METHOD SEQUENCE "UTC START" STATUS ATTENDEE
check_ics() {
	"$PYTHON3" - "$@" <<'EOF' 2>&1
import sys, datetime, icalendar
path, method, seq, start, status, attendee = sys.argv[1:7]
utc = datetime.timezone.utc
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
raw = open(path, 'rb').read()
want(raw.count(b'\n') == raw.count(b'\r\n'), 'CRLF line ends')
want(all(len(l) <= 75 for l in raw.split(b'\r\n')), 'lines <= 75 octets')
cal = icalendar.Calendar.from_ical(raw)
want(str(cal.get('METHOD')) == method, 'METHOD %s' % cal.get('METHOD'))
want(str(cal.get('VERSION')) == '2.0', 'VERSION')
evs = cal.walk('VEVENT')
want(len(evs) == 1, '%d VEVENTs' % len(evs))
ev = evs[0]
want(str(ev.get('UID')) == 'prof-learning.call@tags.example.org', 'UID %s' % ev.get('UID'))
want(int(ev.get('SEQUENCE', -1)) == int(seq), 'SEQUENCE %s' % ev.get('SEQUENCE'))
want(str(ev.get('STATUS')) == status, 'STATUS %s' % ev.get('STATUS'))
want_start = datetime.datetime.strptime(start, '%Y-%m-%d %H:%M').replace(tzinfo=utc)
dt = ev.decoded('DTSTART')
want(dt.tzinfo is not None and dt.astimezone(utc) == want_start, 'DTSTART %r, want %s' % (dt, want_start))
tzs = cal.walk('VTIMEZONE')
want(len(tzs) == 1 and str(tzs[0]['TZID']) == 'America/New_York', 'one VTIMEZONE America/New_York')
if tzs:
    naive = ev['DTSTART'].dt.replace(tzinfo=None)
    want(tzs[0].to_tz().localize(naive).astimezone(utc) == want_start, 'DTSTART through the VTIMEZONE')
want(ev.decoded('DTEND').astimezone(utc) - dt.astimezone(utc) == datetime.timedelta(hours=1), 'one hour')
want(str(ev.get('ORGANIZER')) == 'mailto:tag-prof-learning@tags.example.org', 'ORGANIZER')
att = ev.get('ATTENDEE')
want(not isinstance(att, list) and str(att).lower() == 'mailto:' + attendee, 'ATTENDEE %s' % att)
print('; '.join(problems) if problems else 'OK')
sys.exit(1 if problems else 0)
EOF
}
r=$(check_ics "$tmp/request.ics" REQUEST 0 "2018-07-16 16:00" CONFIRMED ana.ruiz@district9.example.org)
ok $? "python3-icalendar: the REQUEST, 2018-07-16 12:00 New York = 16:00 UTC, for the first participant ($r)"
r=$(check_ics "$tmp/cancel.ics" CANCEL 1 "2018-07-16 16:00" CANCELLED b.okafor@gmail.example.com)
ok $? "python3-icalendar: the CANCEL it would send, SEQUENCE 1, for the attendee given ($r)"
T call prof-learning ics --attendee nobody@example.org >/dev/null 2>&1
is $? 1 "ics --attendee for a stranger fails"

if command -v khal >/dev/null 2>&1; then
	HOME=$tmp/home
	XDG_CONFIG_HOME=$tmp/home/.config
	XDG_DATA_HOME=$tmp/home/.local/share
	XDG_CACHE_HOME=$tmp/home/.cache
	export HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME
	mkdir -p "$tmp/vdir/tag" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
	for z in Europe/Berlin America/New_York; do
		cat >"$tmp/khal-${z#*/}.conf" <<EOF
[calendars]
[[tag]]
path = $tmp/vdir/tag
type = calendar
[locale]
local_timezone = $z
default_timezone = $z
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
[sqlite]
path = $tmp/khal-${z#*/}.db
EOF
	done
	kb() { khal -c "$tmp/khal-Berlin.conf" "$@" 2>&1; }
	kn() { khal -c "$tmp/khal-New_York.conf" "$@" 2>&1; }
	no_warn() { ! printf '%s\n' "$1" | grep -qi 'warning:\|error\|traceback'; }
	o=$(kb printics "$tmp/request.ics")
	printf '%s\n' "$o" | grep -q '^1 events found' && no_warn "$o"
	ok $? "khal printics reads the invitation without warnings"
	o=$(kb import --batch -a tag "$tmp/request.ics") && no_warn "$o"
	ok $? "khal imports the invitation without warnings"
	o=$(kb list 2018-07-16 1d)
	printf '%s\n' "$o" | grep -q '^18:00-19:00 TAG launch call'
	ok $? "khal (Europe/Berlin) lists it at 18:00-19:00"
	o=$(kn list 2018-07-16 1d)
	printf '%s\n' "$o" | grep -q '^12:00-13:00 TAG launch call'
	ok $? "khal (America/New_York) lists it at 12:00-13:00"
	o=$(kb import --batch -a tag "$tmp/cancel.ics") && no_warn "$o"
	ok $? "khal imports the CANCEL without warnings"
	o=$(kb list 2018-07-16 1d)
	printf '%s\n' "$o" | grep -q '^CANCELLED 18:00-19:00 TAG launch call' && [ "$(ls "$tmp/vdir/tag" | wc -l)" -eq 1 ]
	ok $? "khal shows the same event CANCELLED"
else
	for i in 1 2 3 4 5 6; do skip "khal not installed"; done
fi

# ---- 2. the mail, through tagd and a real SMTP server ----

# take STEP - move what the SMTP server stored to $tmp/STEP; prints the count
take() {
	mkdir -p "$tmp/$1"
	for f in "$tmp/smtp/md/new/"*; do
		[ -e "$f" ] && mv "$f" "$tmp/$1/"
	done
	ls "$tmp/$1" | wc -l | tr -d ' '
}

# check_mail DIR METHOD SEQUENCE "UTC START" SUBJECT-PREFIX - each mail: the
# iMIP layout, method= equal to METHOD, one ATTENDEE equal to the envelope
# recipient; every active participant exactly once
cat >"$tmp/check_mail.py" <<'EOF'
import sys, os, datetime, email, email.policy, icalendar
d, method, seq, start, prefix, active = sys.argv[1:7]
utc = datetime.timezone.utc
want_start = datetime.datetime.strptime(start, '%Y-%m-%d %H:%M').replace(tzinfo=utc)
people = [l.strip() for l in open(active) if l.strip()]
problems, got = [], []
def tree(p):
    if p.is_multipart():
        return '%s{%s}' % (p.get_content_type(), ','.join(tree(s) for s in p.iter_parts()))
    return p.get_content_type()
want_tree = 'multipart/mixed{multipart/alternative{text/plain,text/html,text/calendar},application/ics}'
for name in sorted(os.listdir(d)):
    m = email.message_from_binary_file(open(os.path.join(d, name), 'rb'), policy=email.policy.default)
    rcpt = m['X-Envelope-To'].strip('<>').lower()
    got.append(rcpt)
    t = tree(m)
    if t != want_tree:
        problems.append('%s: layout %s' % (rcpt, t)); continue
    if not str(m['Subject']).startswith(prefix):
        problems.append('%s: subject %s' % (rcpt, m['Subject']))
    alt = list(m.iter_parts())[0]
    calpart = list(alt.iter_parts())[2]
    if calpart.get_param('method') != method:
        problems.append('%s: method=%s' % (rcpt, calpart.get_param('method')))
    if calpart.get('Content-Disposition'):
        problems.append('%s: the text/calendar part has a Content-Disposition' % rcpt)
    ics = calpart.get_payload(decode=True)
    att = list(m.iter_parts())[1]
    if att.get_filename() != 'invite.ics' or att.get_payload(decode=True) != ics:
        problems.append('%s: application/ics is not the same object' % rcpt)
    cal = icalendar.Calendar.from_ical(ics)
    ev = cal.walk('VEVENT')[0]
    if str(cal['METHOD']) != method or int(ev['SEQUENCE']) != int(seq):
        problems.append('%s: METHOD %s SEQUENCE %s' % (rcpt, cal['METHOD'], ev['SEQUENCE']))
    if ev.decoded('DTSTART').astimezone(utc) != want_start:
        problems.append('%s: DTSTART %s' % (rcpt, ev.decoded('DTSTART')))
    a = ev.get('ATTENDEE')
    if isinstance(a, list) or str(a).lower() != 'mailto:' + rcpt:
        problems.append('%s: ATTENDEE %s' % (rcpt, a))
    if str(m['To']).lower().find(rcpt) < 0:
        problems.append('%s: To: %s' % (rcpt, m['To']))
if sorted(got) != sorted(people):
    problems.append('recipients %s, want each of %s once' % (sorted(got), people))
print('; '.join(problems) if problems else 'OK')
sys.exit(1 if problems else 0)
EOF
check_mail() {
	"$PYTHON3" "$tmp/check_mail.py" "$@" "$tmp/active" 2>&1
}

o=$(T call prof-learning invite)
ok $? "tagctl call invite ($o)"
D
ok $? "tagd --once sends it"
is "$(take invite)" "$nactive" "one invitation per participant reached the SMTP server"
r=$(check_mail "$tmp/invite" REQUEST 0 "2018-07-16 16:00" "Invitation:")
ok $? "each is multipart/mixed{alternative{plain, html, calendar; method=REQUEST}, application/ics} for its recipient, SEQUENCE 0 ($r)"
# tagctl call ics prints the object exactly as it was mailed to that attendee
T call prof-learning ics --attendee chen.wei@outlook.example.com >"$tmp/wei.ics"
"$PYTHON3" - "$tmp/invite" chen.wei@outlook.example.com >"$tmp/wei-mailed.ics" <<'PY'
import email, email.policy, os, sys
d, who = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(d)):
    m = email.message_from_binary_file(open(os.path.join(d, f), "rb"), policy=email.policy.default)
    if who not in str(m["X-Envelope-To"]):
        continue
    for part in m.walk():
        if part.get_content_type() == "text/calendar":
            sys.stdout.buffer.write(part.get_payload(decode=True))
            sys.exit(0)
PY
[ -s "$tmp/wei-mailed.ics" ] && cmp -s "$tmp/wei.ics" "$tmp/wei-mailed.ics"
ok $? "tagctl call ics prints the object exactly as it was mailed (DTSTAMP included)"
o=$(T call prof-learning invite)
is "$o" "prof-learning: 0 invitations queued (sequence 0)" "tagctl call invite again queues nothing"
D
is "$(take invite-again)" 0 "a second tagd --once sends nothing new"

# ---- 3. the fixture RSVPs ----

T inject --json "$fix/replies/004-ana-outlook-accepted.eml" "$fix/replies/005-bola-google-declined.eml" \
	>"$tmp/rsvp.jsonl"
ok $? "tagctl inject takes fixtures 004 and 005"
is "$("$PYTHON3" -c 'import json,sys; print(" ".join("%s:%s" % (j["class"], j.get("rsvp")) for j in map(json.loads, open(sys.argv[1]))))' "$tmp/rsvp.jsonl")" \
	"rsvp:accepted rsvp:declined" "both are RSVPs: accepted, declined"
T call prof-learning rsvps --json >"$tmp/rsvps.json"
is "$("$PYTHON3" -c '
import json,sys
j=json.load(open(sys.argv[1]))
a={x["email"]:x["partstat"] for x in j["attendees"]}
print(len(a), a["ana.ruiz@district9.example.org"], a["b.okafor@gmail.example.com"],
      sum(1 for v in a.values() if v=="needs-action"), j["counts"]["accepted"], j["counts"]["declined"])' "$tmp/rsvps.json")" \
	"6 accepted declined 4 1 1" "rsvps --json: Ana accepted, Bola declined, the four others needs-action"
T call prof-learning rsvps >"$tmp/rsvps.txt"
like "$tmp/rsvps.txt" "^1 accepted, 1 declined, 0 tentative, 4 not answered" "rsvps: the summary line"

# ---- 4. reschedule ----

o=$(T call prof-learning reschedule --start "2018-07-16 13:00")
ok $? "tagctl call reschedule --start \"2018-07-16 13:00\" ($o)"
D
is "$(take reschedule)" "$nactive" "the update reached every participant"
r=$(check_mail "$tmp/reschedule" REQUEST 1 "2018-07-16 17:00" "New time:")
ok $? "each update: same layout, SEQUENCE 1, 13:00 New York = 17:00 UTC ($r)"
D
is "$(take reschedule-again)" 0 "a second tagd --once sends nothing new"
T call prof-learning rsvps --json >"$tmp/rsvps2.json"
is "$("$PYTHON3" -c '
import json,sys
j=json.load(open(sys.argv[1])); print(j["sequence"], j["counts"]["needs-action"])' "$tmp/rsvps2.json")" \
	"1 6" "after the move every answer is needs-action again (sequence 1)"
T call prof-learning reschedule --start "2018-07-01 13:00" >/dev/null 2>&1
is $? 1 "a time in the past is refused"

# ---- 5. a COUNTER from Ana reaches the organizers ----

{
	printf 'From: Ana Ruiz <ana.ruiz@district9.example.org>\r\n'
	printf 'To: Professional Learning <tag-prof-learning@tags.example.org>\r\n'
	printf 'Subject: New Time Proposed: TAG launch call: Professional Learning & CBE\r\n'
	printf 'Date: Wed, 11 Jul 2018 15:00:00 +0000\r\n'
	printf 'Message-ID: <counter-1@district9.example.org>\r\n'
	printf 'MIME-Version: 1.0\r\n'
	printf 'Content-Type: text/calendar; charset="utf-8"; method=COUNTER\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
	cat "$data/counter.ics"
} >"$tmp/counter.eml"
T inject --json "$tmp/counter.eml" >"$tmp/counter.json"
like "$tmp/counter.json" '"rsvp":"counter"' "the COUNTER is taken as an answer"
like "$tmp/counter.json" 'passed to the organizers' "and passed to the organizers"
D
is "$(take counter)" 2 "two mails went out: one per organizer"
"$PYTHON3" - "$tmp/counter" >"$tmp/counter.out" 2>&1 <<'EOF'
import sys, os, email, email.policy
for name in sorted(os.listdir(sys.argv[1])):
    m = email.message_from_binary_file(open(os.path.join(sys.argv[1], name), 'rb'), policy=email.policy.default)
    print(m['X-Envelope-To'].strip('<>'), '|', m['Subject'], '|', m['Auto-Submitted'])
    print(m.get_body(('plain',)).get_content())
EOF
like "$tmp/counter.out" "^kcasey@consulting.example.com | Another time proposed for TAG launch call" "to Katherine Casey"
like "$tmp/counter.out" "^tags@competencyworks.example.org | Another time proposed" "and to CompetencyWorks"
like "$tmp/counter.out" "Proposed:  Tuesday 17 July 2018, 14:00-15:00 EDT (18:00 UTC)" "it gives the proposed time"
like "$tmp/counter.out" 'tagctl call prof-learning reschedule --start "2018-07-17 14:00"' "and the command that moves the call"
T inject --json "$tmp/counter.eml" >/dev/null
D
is "$(take counter-again)" 0 "the same COUNTER again: nothing new"

# ---- 6. cancel ----

o=$(T call prof-learning cancel)
ok $? "tagctl call cancel ($o)"
D
is "$(take cancel)" "$nactive" "the cancellation reached every participant"
r=$(check_mail "$tmp/cancel" CANCEL 2 "2018-07-16 17:00" "Cancelled:")
ok $? "each: same layout, method=CANCEL, SEQUENCE 2 ($r)"
D
is "$(take cancel-again)" 0 "a second tagd --once sends nothing new"
T call prof-learning ics >"$tmp/cancelled.ics"
r=$(check_ics "$tmp/cancelled.ics" CANCEL 2 "2018-07-16 17:00" CANCELLED ana.ruiz@district9.example.org)
ok $? "tagctl call ics of a cancelled call: the CANCEL that was sent ($r)"
T call prof-learning show --json >"$tmp/show.json"
like "$tmp/show.json" '"sequence":2,"status":"cancelled"' "show: sequence 2, cancelled"
is "$(smtpd_state "$tmp/smtp" messages)" "$((3 * nactive + 2))" "the SMTP server took $((3 * nactive + 2)) messages in all"

done_testing
