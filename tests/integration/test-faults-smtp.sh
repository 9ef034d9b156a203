#!/bin/sh
# test-faults-smtp - tagd's outbox against a real SMTP server on 127.0.0.1
# while things break: kill -9 at random moments (ROUNDS rounds, a restart
# each time) while MAILS mails go out (none lost; a duplicate at most for a
# mail the server had taken in the moment of the kill, counted); the server
# stopped; answering 421, 451, 452 (deferred, retried with backoff, sent);
# answering 550 (failed at once, recorded, the participant's bounce score
# raised); stalling after the data (cut off by the timeout, retried) while
# LMTP and IMAP mail is still taken and processed.
#
# Counts: TAGD_FAULTS_MAILS (default 60), TAGD_FAULTS_ROUNDS (default 3);
# make check-faults runs 500 x 20. TAGD_FAULTS_SLOW multiplies every wait.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-dovecot.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

N=${TAGD_FAULTS_MAILS:-60}
ROUNDS=${TAGD_FAULTS_ROUNDS:-3}
SLOW=${TAGD_FAULTS_SLOW:-1}
[ -n "${TAGD_WRAPPER:-}" ] && [ "$SLOW" -lt 10 ] && SLOW=10
TIMEOUT=$((3 * SLOW))      # tagd's [smtp] timeout, seconds

tmp=$(mktemp -d /tmp/tagd-faults-smtp.XXXXXX)
tagd_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	dovecot_cleanup >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap 'smtpd_stop "$tmp/smtp" >/dev/null 2>&1; dovecot_cleanup >/dev/null 2>&1' EXIT
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp"
chmod 750 "$state"

if [ ! -x "${DOVECOT_BIN:-/usr/sbin/dovecot}" ]; then
	skip "dovecot is not installed"
	done_testing
	exit
fi
diag "$N mails, $ROUNDS kill -9 rounds"
dovecot_start >"$tmp/dovecot.out" 2>&1
ok $? "a throwaway Dovecot runs on 127.0.0.1"
# (no fsync in the test server: it is tagd that is killed, not the server)
SMTPD_OPTS="--no-fsync --max-seconds $((1200 + 40 * N * SLOW))"
# shellcheck disable=SC2086
smtpd_start "$tmp/smtp" $SMTPD_OPTS >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
printf '%s\n' "$DOVECOT_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
lmtp_sock="$tmp/lmtp.sock"

cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org
session = $fix/prof-learning.session

[maildir]
inbox =

[imap]
host = 127.0.0.1
port = $DOVECOT_IMAPS_PORT
tls = imaps
ca_file = $DOVECOT_CA
user = alice
password_file = $tmp/imap.pass

[lmtp]
listen = $lmtp_sock

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
timeout = ${TIMEOUT}s
bounce_threshold = 3
CONF

# a simulated clock, 30 times as fast, so that retries (1, 2, 4... minutes)
# come within seconds; the next digest is a day away
CLOCK="2018-07-17 17:30"
SPEED=30
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" --clock "$CLOCK" "$@"; }
T session create "$fix/prof-learning.session" >/dev/null &&
T participant import prof-learning "$fix/participants.csv" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, participants and draft set up"

db="$state/tagd.db"
md="$tmp/smtp/md/new"
count() {
	"$PYTHON3" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1], timeout=30)
print(c.execute(sys.argv[2]).fetchone()[0])' "$db" "$1" 2>/dev/null
}
at_least() { [ "$(count "$1")" -ge "$2" ] 2>/dev/null; }
is_zero() { [ "$(count "$1")" = 0 ]; }
start_tagd() {
	"$TAGD" -c "$tmp/tagd.conf" --clock "$CLOCK" --speed "$SPEED" >>"$tmp/tagd.log" 2>&1 &
	tagd_pid=$!
}
# kill_when PID SQL TARGET SECONDS - SIGKILL PID the moment the count SQL
# reaches TARGET (polled every 2 ms), or after SECONDS anyway
kill_when() {
	# (stderr: bash reports the killed job there)
	"$PYTHON3" - "$db" "$@" <<'PY'
import os, signal, sqlite3, sys, time
db, pid, sql, target, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
end = time.time() + secs
c = None
while time.time() < end:
    try:
        if c is None:
            c = sqlite3.connect(db, timeout=5)
        if c.execute(sql).fetchone()[0] >= target:
            break
    except sqlite3.Error:
        c = None
    time.sleep(0.002)
os.kill(pid, signal.SIGKILL)
PY
	wait "$1"
} 2>/dev/null
kill9_tagd() {
	kill -9 "$tagd_pid" 2>/dev/null
	wait "$tagd_pid" 2>/dev/null
	tagd_pid=
}
rand() { # rand N - 0..N-1
	echo $(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1))
}
msleep() { # msleep MS
	sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"
}
# deliveries - "COUNT MESSAGE-ID" per mail the server stored
deliveries() {
	find "$md" -type f -exec grep -h -m1 -i '^Message-ID:' {} + 2>/dev/null | sort | uniq -c
}
# lost - outbox mails marked sent that the server never stored
lost() {
	count "SELECT group_concat(message_id, ' ') FROM outbox WHERE state = 'sent'" | tr ' ' '\n' |
		grep . | sort >"$tmp/sent.ids"
	deliveries | sed 's/.*<\(.*\)>.*/\1/' | sort -u >"$tmp/got.ids"
	comm -23 "$tmp/sent.ids" "$tmp/got.ids" | wc -l
}
dups() { deliveries | awk '$1 > 1 { d += $1 - 1 } END { print d + 0 }'; }
# contacts PREFIX COUNT - a CSV of new contacts (invitations go to them)
contacts() {
	echo "email,name"
	_i=1
	while [ "$_i" -le "$2" ]; do
		echo "$1-$_i@contacts.example.org,Contact $1 $_i"
		_i=$((_i + 1))
	done
}
# queue PREFIX COUNT - invitations to COUNT new contacts
queue() {
	contacts "$1" "$2" >"$tmp/$1.csv"
	T invite prof-learning "$tmp/$1.csv" >/dev/null 2>>"$tmp/tagctl.err"
}
# lmtp_comment FROM TAG - a comment through LMTP; prints "CODE SECONDS"
lmtp_comment() {
	"$PYTHON3" - "$lmtp_sock" "$1" "$2" <<'PY'
import smtplib, sys, time
sock, frm, tag = sys.argv[1:4]
msg = ("From: <%s>\r\nTo: tag-prof-learning@tags.example.org\r\nSubject: %s\r\n"
       "Message-ID: <%s@faults.example.org>\r\n\r\n"
       "Paragraph 16: two early-release afternoons per quarter would help (%s).\r\n"
       % (frm, tag, tag, tag)).encode()
t0 = time.time()
try:
    s = smtplib.LMTP(sock, timeout=120)
    r = s.sendmail(frm, ["tag-prof-learning@tags.example.org"], msg)
    s.quit()
    code = 250 if not r else list(r.values())[0][0]
except smtplib.SMTPRecipientsRefused as e:
    code = list(e.recipients.values())[0][0]
except Exception as e:
    code = 0
print(code, "%.2f" % (time.time() - t0))
PY
}

# ---- kill -9 while the outbox sends N mails, ROUNDS times ----
queue kill "$N"
is "$(count "SELECT count(*) FROM outbox WHERE kind = 'invitation'")" "$N" "$N invitations queued"
# the server takes a little while to answer each mail: a kill can fall
# between its taking a mail and tagd's recording it
smtpd_faults "$tmp/smtp" '{"stall_data": 0.01}'
prev_gap=0
jumps=0
for r in $(seq "$ROUNDS"); do
	before=$(count "SELECT count(*) FROM outbox WHERE state = 'sent'")
	start_tagd
	if [ $((r % 3)) -eq 1 ]; then
		# at a random moment of the start-up and the first mails
		ms=$(($(rand 400) * SLOW + 20))
		msleep "$ms"
		how="after $ms ms"
	else
		# as soon as a random mail is marked sent, the kills spread over
		# what is left to send
		left=$(((N + 6 - before) / (ROUNDS - r + 1)))
		[ "$left" -lt 1 ] && left=1
		target=$((before + 1 + $(rand "$left")))
		kill_when "$tagd_pid" "SELECT count(*) FROM outbox WHERE state = 'sent'" "$target" $((30 * SLOW))
		how="once $target were sent"
	fi
	kill9_tagd
	marked=$(count "SELECT count(*) FROM outbox WHERE state = 'sent'")
	stored=$(smtpd_count "$tmp/smtp")
	# what the server holds beyond what tagd marked sent: earlier
	# duplicates, plus at most the one mail in flight at this kill
	gap=$((stored - marked))
	[ $((gap - prev_gap)) -gt 1 ] && jumps=$((jumps + 1))
	prev_gap=$gap
	diag "round $r: killed $how: $marked marked sent, $stored stored by the server"
done
is "$jumps" "0" "at each kill at most one mail was taken by the server and not marked sent"
smtpd_faults "$tmp/smtp" '{}'
start_tagd
wait_for $((60 * SLOW + N * SLOW / 2)) is_zero "SELECT count(*) FROM outbox WHERE state <> 'sent'"
ok $? "after $ROUNDS kills and restarts every mail is marked sent"
total=$(count "SELECT count(*) FROM outbox")
is "$(deliveries | wc -l | tr -d ' ')" "$total" "the server has every one of the $total mails"
is "$(lost)" "0" "none lost"
d=$(dups)
diag "$d duplicate(s) after $ROUNDS kills: mails the server had taken when tagd was killed"
[ "$d" -le "$ROUNDS" ]
ok $? "at most one duplicate per kill ($d in $ROUNDS)"
dup_kill=$d

# ---- the server stopped: deferred, retried, sent ----
smtpd_stop "$tmp/smtp"
queue down 5
wait_for $((30 * SLOW)) at_least "SELECT count(*) FROM outbox WHERE state = 'deferred' AND recipient LIKE 'down-%'" 1
ok $? "with the server stopped mail is deferred"
diag "last error: $(count "SELECT last_error FROM outbox WHERE state = 'deferred' LIMIT 1")"
r=$(lmtp_comment ana.ruiz@district9.example.org down-lmtp)
is "${r%% *}" "250" "LMTP mail is taken meanwhile (${r#* } s)"
# a smarthost that does not answer stops the round: the rest of the queue
# waits for the next round (a second later), not tried one after another
sleep 0.5
tried=$(count "SELECT count(*) FROM outbox WHERE recipient LIKE 'down-%' AND attempts > 0")
[ "$tried" -le 2 ]
ok $? "a dead smarthost is not tried for every queued mail at once ($tried of 5 tried in the first half second)"
# shellcheck disable=SC2086
smtpd_start "$tmp/smtp" $SMTPD_OPTS >/dev/null 2>&1
ok $? "the server is back on the same port"
wait_for $((60 * SLOW)) is_zero "SELECT count(*) FROM outbox WHERE state <> 'sent'"
ok $? "every deferred mail is retried and sent"
is "$(lost)" "0" "none lost"

# ---- 421 at MAIL, 451 at RCPT, 452 at the end of data ----
for f in '421 {"mail": [421, "4.3.2 shutting down"]}' \
	'451 {"rcpt": {"%s": [451, "4.3.0 try again later"]}}' \
	'452 {"data": [452, "4.3.1 insufficient system storage"]}'; do
	code=${f%% *}
	spec=${f#* }
	# (the 451 is for one recipient: the others go)
	# shellcheck disable=SC2059
	spec=$(printf "$spec" "t$code-1@contacts.example.org")
	smtpd_faults "$tmp/smtp" "$spec"
	queue "t$code" 3
	wait_for $((30 * SLOW)) at_least \
		"SELECT count(*) FROM outbox WHERE recipient LIKE 't$code-%' AND state = 'deferred' AND last_error LIKE '$code%'" 1
	ok $? "$code: deferred, the server's reply kept ($(count "SELECT last_error FROM outbox WHERE recipient LIKE 't$code-%' AND state = 'deferred' LIMIT 1"))"
	sleep 1
	smtpd_faults "$tmp/smtp" '{}'
	wait_for $((60 * SLOW)) is_zero "SELECT count(*) FROM outbox WHERE state <> 'sent'"
	ok $? "$code: retried after the backoff and sent"
	is "$(count "SELECT min(attempts) > 1 FROM outbox WHERE recipient = 't$code-1@contacts.example.org'")" "1" \
		"$code: more than one attempt"
done
is "$(lost)" "0" "none lost"
is "$(dups)" "$dup_kill" "no new duplicate: a refused mail was not taken"

# ---- 550: failed at once, recorded, the bounce score raised ----
bad=f.haddad@yahoo.example.com
smtpd_faults "$tmp/smtp" "{\"rcpt\": {\"$bad\": [550, \"5.1.1 no such user\"], \"t550-2@contacts.example.org\": [550, \"5.1.1 no such user\"]}}"
queue t550 3
# an acknowledgement to the participant whose address is refused
r=$(lmtp_comment "$bad" p550)
is "${r%% *}" "250" "a comment from $bad through LMTP"
wait_for $((30 * SLOW)) is_zero "SELECT count(*) FROM outbox WHERE state NOT IN ('sent', 'failed')"
ok $? "550: nothing left waiting"
is "$(count "SELECT count(*) FROM outbox WHERE state = 'failed' AND last_error LIKE '550%' AND attempts = 1")" "2" \
	"550: the two refused mails failed at the first attempt, the reply kept"
is "$(count "SELECT count(*) FROM outbox WHERE recipient LIKE 't550-%' AND state = 'sent'")" "2" "the other two went"
is "$(count "SELECT bounce_score FROM participant WHERE email = '$bad'")" "1" "the participant's bounce score is raised"
like "$tmp/tagd.log" "failed: 550" "the failure is logged"
smtpd_faults "$tmp/smtp" '{}'

# ---- a stalled server: cut off by the timeout; other work goes on ----
before_msgs=$(count "SELECT count(*) FROM message")
smtpd_faults "$tmp/smtp" "{\"stall_data\": $((TIMEOUT * 20))}"
queue stall 3
wait_for $((20 * SLOW)) sh -c "[ \$(find '$md' -type f | xargs grep -l 'stall-1@contacts' 2>/dev/null | wc -l) -ge 1 ]"
ok $? "the server took the data and stalls before its answer"
r=$(lmtp_comment chen.wei@outlook.example.com stall-lmtp)
secs=${r#* }
is "${r%% *}" "250" "LMTP mail is taken while the SMTP peer stalls"
ok "$(awk -v s="$secs" -v t="$SLOW" 'BEGIN { print (s < 2 * t) ? 0 : 1 }')" "within 2 s ($secs s): no waiting for the sender"
wait_for $((10 * SLOW)) is_zero "SELECT count(*) FROM message WHERE state = 'new'"
ok $? "and processed"
cat >"$tmp/imap.eml" <<MSG
From: <e.lindqvist@uni.example.edu>
To: tag-prof-learning+p4@tags.example.org
Subject: during the stall
Message-ID: <stall-imap@faults.example.org>
Date: Tue, 17 Jul 2018 18:00:00 -0400

Attendance should not be the measure.
MSG
dovecot_append alice "$tmp/imap.eml" >/dev/null 2>&1
wait_for $((10 * SLOW)) at_least "SELECT count(*) FROM comment c JOIN message m ON m.id = c.message_id WHERE m.message_id = 'stall-imap@faults.example.org'" 1
ok $? "IMAP mail is taken and processed while the SMTP peer stalls"
is "$(count "SELECT count(*) FROM message")" "$((before_msgs + 2))" "both are in the store"
wait_for $((TIMEOUT * 4 + 20 * SLOW)) at_least \
	"SELECT count(*) FROM outbox WHERE recipient = 'stall-1@contacts.example.org' AND state = 'deferred'" 1
ok $? "the stalled mail is given up on after the timeout and deferred"
like "$tmp/tagd.log" "the server may have taken it" "and logged as possibly taken"
smtpd_faults "$tmp/smtp" '{}'
wait_for $((60 * SLOW + TIMEOUT * 6)) is_zero "SELECT count(*) FROM outbox WHERE state NOT IN ('sent', 'failed')"
ok $? "after the stall every mail is sent"
is "$(lost)" "0" "none lost"
d=$(dups)
amb=$(grep -c "the server may have taken it" "$tmp/tagd.log")
diag "$((d - dup_kill)) duplicate(s) from the stall, $amb attempt(s) cut off after the data"
[ $((d - dup_kill)) -le "$amb" ]
ok $? "a duplicate only for a mail cut off after the server had it"

# ---- a clean stop ----
kill -TERM "$tagd_pid"
i=0
while kill -0 "$tagd_pid" 2>/dev/null && [ $i -lt $((300 * SLOW)) ]; do sleep 0.1; i=$((i + 1)); done
# (still there: killed, so that the wait ends; its status shows it)
kill -0 "$tagd_pid" 2>/dev/null && kill -9 "$tagd_pid"
wait "$tagd_pid"
rc=$?
tagd_pid=
is "$rc" "0" "SIGTERM stops tagd cleanly"
diag "figures: $N mails, $ROUNDS kills, $dup_kill duplicate(s) from kills, $((d - dup_kill)) from the stall"
done_testing
