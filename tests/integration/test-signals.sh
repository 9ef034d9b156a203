#!/bin/sh
# test-signals - tagd as an administrator drives it: --check-config names a
# bad session file by file and line; SIGTERM in the middle of a send loses
# nothing and sends nothing twice; a second signal exits at once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

tmp=$(mktemp -d /tmp/tagd-signals.XXXXXX)
tagd_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "" EXIT
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp"
chmod 750 "$state"

# --check-config: every problem, by file and line
cat >"$tmp/bad.conf" <<CONF
[tagd]
state_dir = $state
session = $fix/prof-learning.session
session = $top_srcdir/tests/data/config/bad.session

[smtp]
rate_per_minute = lots
CONF
"$TAGD" --check-config -c "$tmp/bad.conf" >"$tmp/out" 2>"$tmp/err"
is $? 1 "--check-config exits 1 on a bad session file"
like "$tmp/err" "bad.session:8: \[session\] timezone: unknown time zone" "it names the session file, the line and the key"
like "$tmp/err" "bad.session:12: \[session\] colour: unknown setting" "every problem, not only the first"
like "$tmp/err" "bad.conf:7: \[smtp\] rate_per_minute: not a whole number" "and problems in tagd.conf itself"

# SIGTERM while the outbox is sending: nothing lost, nothing twice
smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org
session = $fix/prof-learning.session

[maildir]
inbox =

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
CONF
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }
T session create "$fix/prof-learning.session" >/dev/null
# 300 invited contacts: 300 mails in the outbox
"$PYTHON3" -c '
import sys
print("email,name")
for i in range(300): print("person%03d@schools.example.org,Person %d" % (i, i))' >"$tmp/contacts.csv"
T --clock "2018-07-10 08:00" invite prof-learning "$tmp/contacts.csv" >/dev/null 2>&1
queued=$("$TAGCTL" -q -c "$tmp/tagd.conf" outbox --json | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "$queued" "300" "300 invitations are in the outbox"
# every message takes a while at the server, so the signal lands mid-send
smtpd_faults "$tmp/smtp" '{"stall_data": 0.02}' >/dev/null 2>&1
"$TAGD" -c "$tmp/tagd.conf" --clock "2018-07-10 09:00" >"$tmp/tagd.log" 2>&1 &
tagd_pid=$!
wait_for 30 sh -c "[ \$(ls '$tmp/smtp/md/new' 2>/dev/null | wc -l) -ge 20 ]"
kill -TERM "$tagd_pid"
i=0
while kill -0 "$tagd_pid" 2>/dev/null && [ $i -lt $((150 * tap_slow)) ]; do sleep 0.1; i=$((i + 1)); done
wait "$tagd_pid"
is $? 0 "SIGTERM in the middle of a send: tagd stops cleanly"
tagd_pid=
sent_before=$(ls "$tmp/smtp/md/new" | wc -l)
diag "$sent_before of 300 sent before the stop"
[ "$sent_before" -lt 300 ]; ok $? "it stopped before the end of the queue"
smtpd_faults "$tmp/smtp" '{}' >/dev/null 2>&1
"$TAGD" -c "$tmp/tagd.conf" --clock "2018-07-10 09:00" --once >>"$tmp/tagd.log" 2>&1
ok $? "a restart sends the rest"
is "$(ls "$tmp/smtp/md/new" | wc -l)" "300" "all 300 arrived"
is "$(grep -h '^X-Envelope-To:\|^Delivered-To:' "$tmp/smtp/md/new/"* 2>/dev/null | sort | uniq -d | wc -l)" "0" \
	"none twice"

# a second signal exits at once: the first one's clean stop waits for the
# mail in flight, which the server holds (it stored the data and stalls
# before its 250); the second one ends tagd there. Signalled once tagd says
# it started (its handlers are in place by then; a fixed sleep let a start
# slowed by valgrind die of the first signal's default action), and with a
# pause between the two (two signals sent at once may arrive as one, and an
# idle tagd stops cleanly at the first)
printf 'email,name\nlate1@schools.example.org,Late One\nlate2@schools.example.org,Late Two\n' >"$tmp/late.csv"
T --clock "2018-07-10 08:00" invite prof-learning "$tmp/late.csv" >/dev/null 2>&1
smtpd_faults "$tmp/smtp" '{"stall_data": 120}' >/dev/null 2>&1
starts=$(grep -c ' started ' "$tmp/tagd.log")
"$TAGD" -c "$tmp/tagd.conf" --clock "2018-07-10 09:00" >>"$tmp/tagd.log" 2>&1 &
tagd_pid=$!
wait_for $((10 * tap_slow)) sh -c "[ \$(grep -c ' started ' '$tmp/tagd.log') -gt $starts ] && [ \$(ls '$tmp/smtp/md/new' | wc -l) -gt 300 ]"
ok $? "tagd starts again and a mail is in flight, held by the server"
kill -TERM "$tagd_pid"
sleep 1
kill -0 "$tagd_pid" 2>/dev/null
ok $? "after the first SIGTERM tagd waits for the mail in flight"
kill -TERM "$tagd_pid"
i=0
while kill -0 "$tagd_pid" 2>/dev/null && [ $i -lt $((50 * tap_slow)) ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$tagd_pid" 2>/dev/null
is $? 1 "a second SIGTERM exits at once"
wait "$tagd_pid" 2>/dev/null
is $? 1 "with status 1"
like "$tmp/tagd.log" "second signal, exiting at once" "and says so"
tagd_pid=

done_testing
