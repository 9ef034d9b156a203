#!/bin/sh
# test-ical.sh - the launch call's iMIP objects, as tagd writes them for the
# fixture session, read by independent software: Debian's python3-icalendar
# and the khal calendar (import into a vdir, then list). TAP output; a check
# is skipped only when its tool is missing.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
shared=${TAGD_SHARED:-$top_srcdir/../shared}
gen=$top_builddir/tests/integration/ical-gen
PY=${PYTHON3:-/usr/bin/python3}
LC_ALL=C.UTF-8
LANG=C.UTF-8
export LC_ALL LANG

n=0
failed=0
# ok STATUS TEXT [DIAG...] - one TAP line; the DIAG lines when it failed
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
		shift 2
		[ $# -eq 0 ] || diag "$@"
	fi
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-ical.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$tmp/out
mkdir -p "$out"

# 1. tagd writes the objects
res=$("$gen" "$shared/fixtures/prof-learning.session" "$shared/fixtures/participants.csv" "$out" 2>"$tmp/gen.err")
ok $? "ical-gen writes REQUEST, reschedule and CANCEL for the fixture call" "$(cat "$tmp/gen.err")"
uid=$(printf '%s\n' "$res" | sed -n 's/.*uid=\([^ ]*\).*/\1/p')
[ "$uid" = "prof-learning.call@tags.example.org" ]
ok $? "the UID is SLUG.call@LISTDOMAIN ($uid)"

# every line ends in CRLF and has at most 75 octets
bad=0
for f in request reschedule cancel; do
	[ -s "$out/$f.ics" ] || { bad=1; continue; }
	lines=$(LC_ALL=C awk '!/\r$/ || length($0) > 76' "$out/$f.ics" | wc -l)
	[ "$lines" -eq 0 ] || bad=1
done
ok $bad "CRLF line ends, lines <= 75 octets in all three files"

# 2. python3-icalendar
if "$PY" -c 'import icalendar' 2>/dev/null; then
	check_py() { # file method sequence utc-start status
		"$PY" - "$out/$1.ics" "$2" "$3" "$4" "$5" "$uid" <<'EOF' 2>&1
import sys, datetime, icalendar
path, method, seq, start, status, uid = sys.argv[1:7]
utc = datetime.timezone.utc
cal = icalendar.Calendar.from_ical(open(path, 'rb').read())
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(str(cal.get('METHOD')) == method, 'METHOD %s, want %s' % (cal.get('METHOD'), method))
want(str(cal.get('VERSION')) == '2.0', 'VERSION')
want(str(cal.get('PRODID', '')).startswith('-//tagd//tagd '), 'PRODID')
evs = cal.walk('VEVENT')
want(len(evs) == 1, '%d VEVENTs' % len(evs))
ev = evs[0]
want(str(ev.get('UID')) == uid, 'UID %s' % ev.get('UID'))
want(int(ev.get('SEQUENCE', -1)) == int(seq), 'SEQUENCE %s' % ev.get('SEQUENCE'))
want(str(ev.get('STATUS')) == status, 'STATUS %s' % ev.get('STATUS'))
want_start = datetime.datetime.strptime(start, '%Y-%m-%d %H:%M').replace(tzinfo=utc)
dt = ev.decoded('DTSTART')
want(dt.tzinfo is not None and dt.astimezone(utc) == want_start,
     'DTSTART %r is not %s' % (dt, want_start))
want(ev['DTSTART'].params.get('TZID') == 'America/New_York', 'DTSTART TZID')
# the object's own VTIMEZONE, not python's zone database
tzs = cal.walk('VTIMEZONE')
want(len(tzs) == 1 and str(tzs[0]['TZID']) == 'America/New_York', 'one VTIMEZONE America/New_York')
want(len(tzs[0].subcomponents) <= 2, 'compact VTIMEZONE')
tz = tzs[0].to_tz()
naive = ev['DTSTART'].dt.replace(tzinfo=None)
want(tz.localize(naive).astimezone(utc) == want_start, 'DTSTART by the VTIMEZONE')
end = ev.decoded('DTEND')
want(end.astimezone(utc) - dt.astimezone(utc) == datetime.timedelta(hours=1), 'DTEND one hour later')
org = ev.get('ORGANIZER')
want(str(org) == 'mailto:tag-prof-learning@tags.example.org', 'ORGANIZER %s' % org)
att = ev.get('ATTENDEE')
want(not isinstance(att, list), 'one ATTENDEE')
if not isinstance(att, list):
    p = att.params
    want(str(att) == 'mailto:ana.ruiz@district9.example.org', 'ATTENDEE %s' % att)
    want(p.get('CN') == 'Ana Ruiz' and p.get('PARTSTAT') == 'NEEDS-ACTION'
         and p.get('CUTYPE') == 'INDIVIDUAL' and p.get('ROLE') == 'REQ-PARTICIPANT',
         'ATTENDEE parameters %s' % dict(p))
    want(p.get('RSVP') == ('FALSE' if method == 'CANCEL' else 'TRUE'), 'RSVP')
alarms = ev.walk('VALARM')
want(len(alarms) == (0 if method == 'CANCEL' else 1), 'VALARM count')
want(str(ev.get('SUMMARY')) == 'TAG launch call: Professional Learning & CBE', 'SUMMARY')
want('4417#' in str(ev.get('DESCRIPTION')), 'DESCRIPTION has the dial-in')
print('; '.join(problems) if problems else 'OK')
sys.exit(1 if problems else 0)
EOF
	}
	r=$(check_py request REQUEST 0 "2018-07-16 16:00" CONFIRMED)
	ok $? "python3-icalendar: REQUEST, UID, DTSTART 2018-07-16 16:00 UTC, attendee, alarm ($r)"
	r=$(check_py reschedule REQUEST 1 "2018-07-16 18:00" CONFIRMED)
	ok $? "python3-icalendar: reschedule has SEQUENCE 1 and the new time ($r)"
	r=$(check_py cancel CANCEL 2 "2018-07-16 18:00" CANCELLED)
	ok $? "python3-icalendar: CANCEL, STATUS:CANCELLED, SEQUENCE 2, same UID ($r)"
else
	skip "python3-icalendar not installed ($PY)"
	skip "python3-icalendar not installed ($PY)"
	skip "python3-icalendar not installed ($PY)"
fi

# 3. khal: a real calendar client, importing into a vdir
if command -v khal >/dev/null 2>&1; then
	HOME=$tmp/home
	XDG_CONFIG_HOME=$tmp/home/.config
	XDG_DATA_HOME=$tmp/home/.local/share
	XDG_CACHE_HOME=$tmp/home/.cache
	export HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME
	mkdir -p "$tmp/vdir/tag" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
	conf() { # local-zone name
		cat >"$tmp/khal-$2.conf" <<EOF
[calendars]
[[tag]]
path = $tmp/vdir/tag
type = calendar
[locale]
local_timezone = $1
default_timezone = $1
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
[sqlite]
path = $tmp/khal-$2.db
EOF
	}
	conf Europe/Berlin berlin
	conf America/New_York ny
	kb() { khal -c "$tmp/khal-berlin.conf" "$@" 2>&1; }
	kn() { khal -c "$tmp/khal-ny.conf" "$@" 2>&1; }
	# no_warn TEXT - fail on khal's warnings (it exits 0 on them)
	no_warn() { ! printf '%s\n' "$1" | grep -qi 'warning:\|error\|traceback'; }

	o=$(kb printics "$out/request.ics")
	printf '%s\n' "$o" | grep -q '^1 events found' && no_warn "$o"
	ok $? "khal printics reads the invitation without warnings" "$o"

	o=$(kb import --batch -a tag "$out/request.ics") && no_warn "$o"
	ok $? "khal imports the invitation without warnings" "$o"
	o=$(kb list 2018-07-16 1d)
	printf '%s\n' "$o" | grep -q '^18:00-19:00 TAG launch call' && no_warn "$o"
	ok $? "khal (Europe/Berlin) lists it at 18:00-19:00 (12:00 in New York)" "$o"
	o=$(kn list 2018-07-16 1d)
	printf '%s\n' "$o" | grep -q '^12:00-13:00 TAG launch call' && no_warn "$o"
	ok $? "khal (America/New_York) lists it at 12:00-13:00" "$o"

	o=$(kb import --batch -a tag "$out/reschedule.ics") && no_warn "$o"
	ok $? "khal imports the reschedule without warnings" "$o"
	o=$(kb list 2018-07-16 1d)
	files=$(ls "$tmp/vdir/tag" | wc -l)
	printf '%s\n' "$o" | grep -q '^20:00-21:00 TAG launch call' &&
		! printf '%s\n' "$o" | grep -q '18:00-19:00' && [ "$files" -eq 1 ]
	ok $? "the reschedule replaced the event (same UID): 20:00-21:00, one file in the vdir" "$o" "files: $files"

	o=$(kb import --batch -a tag "$out/cancel.ics") && no_warn "$o"
	ok $? "khal imports the CANCEL without warnings" "$o"
	o=$(kb list 2018-07-16 1d)
	printf '%s\n' "$o" | grep -q '^CANCELLED 20:00-21:00 TAG launch call'
	ok $? "khal shows the event CANCELLED" "$o"
else
	for i in 1 2 3 4 5 6 7 8; do
		skip "khal not installed"
	done
fi

echo "1..$n"
exit $failed
