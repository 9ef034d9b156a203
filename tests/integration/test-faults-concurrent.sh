#!/bin/sh
# test-faults-concurrent - tagctl and tagd writing the same database at the
# same time: while tagd takes MESSAGES messages from a real Dovecot and
# sends its mail through a real SMTP server, three loops of tagctl add
# participants, record what became of comments, inject messages, invite
# contacts and read the status. No tagctl call fails and none shows the
# user "database is locked" (or busy); afterwards everything every side
# wrote is there, once.
#
# Counts: TAGD_FAULTS_MESSAGES (default 60); each tagctl loop runs
# MESSAGES / 2 times. TAGD_FAULTS_SLOW multiplies every wait.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-dovecot.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

N=${TAGD_FAULTS_MESSAGES:-60}
LOOPS=$((N / 2))
SLOW=${TAGD_FAULTS_SLOW:-1}
[ -n "${TAGD_WRAPPER:-}" ] && [ "$SLOW" -lt 10 ] && SLOW=10

tmp=$(mktemp -d /tmp/tagd-faults-conc.XXXXXX)
tagd_pid=
loop_pids=
cleanup() {
	for p in $loop_pids; do kill "$p" 2>/dev/null; done
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	dovecot_cleanup >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap 'smtpd_stop "$tmp/smtp" >/dev/null 2>&1; dovecot_cleanup >/dev/null 2>&1' EXIT
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp" "$tmp/gen" "$tmp/inj"
chmod 750 "$state"

if [ ! -x "${DOVECOT_BIN:-/usr/sbin/dovecot}" ]; then
	skip "dovecot is not installed"
	done_testing
	exit
fi
diag "$N messages by IMAP, 3 tagctl loops of $LOOPS rounds"
dovecot_start >"$tmp/dovecot.out" 2>&1
ok $? "a throwaway Dovecot runs on 127.0.0.1"
smtpd_start "$tmp/smtp" --no-fsync --max-seconds $((600 + 20 * N * SLOW)) >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
printf '%s\n' "$DOVECOT_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"

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

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
CONF

CLOCK="2018-07-17 14:00"
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" --clock "$CLOCK" "$@"; }
T session create "$fix/prof-learning.session" >/dev/null &&
T participant import prof-learning "$fix/participants.csv" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, participants and draft set up"

db="$state/tagd.db"
count() {
	"$PYTHON3" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1], timeout=30)
print(c.execute(sys.argv[2]).fetchone()[0])' "$db" "$1" 2>/dev/null
}
is_zero() { [ "$(count "$1")" = 0 ]; }
# msg FILE ID FROM PARAGRAPH - one comment
msg() {
	cat >"$1" <<MSG
From: <$3>
To: tag-prof-learning+p$4@tags.example.org
Subject: a thought ($2)
Message-ID: <$2@faults.example.org>
Date: Tue, 17 Jul 2018 10:00:00 -0400

Token $2: the entry points should start with the school calendar, and
coaching time should follow the units that teachers plan together.
MSG
}
set -- $(sed 1d "$fix/participants.csv" | cut -d, -f1)
authors="$*"
nauthors=$#
author() { # author I - the I-th fixture participant, round robin
	_k=$(($1 % nauthors))
	# shellcheck disable=SC2086
	set -- $authors
	shift "$_k"
	echo "$1"
}

# the mailbox holds N messages; tagd takes them while tagctl works
i=1
while [ $i -le "$N" ]; do
	msg "$tmp/gen/$i.eml" "imap-$i" "$(author $i)" $((i % 14 + 1))
	i=$((i + 1))
done
# half is there at the start, the other half comes while tagctl works
half=$((N / 2))
# shellcheck disable=SC2046
dovecot_append_maildir alice $(i=1; while [ $i -le $half ]; do echo "$tmp/gen/$i.eml"; i=$((i + 1)); done)
"$TAGD" -c "$tmp/tagd.conf" --clock "$CLOCK" >>"$tmp/tagd.log" 2>&1 &
tagd_pid=$!

# run NAME CMD... - one tagctl call: its status and stderr are kept
run() {
	_name=$1
	shift
	"$TAGCTL" -q -c "$tmp/tagd.conf" --clock "$CLOCK" "$@" >/dev/null 2>"$tmp/$_name.err.1"
	_rc=$?
	echo "$_rc $*" >>"$tmp/$_name.calls"
	if [ "$_rc" -ne 0 ] || [ -s "$tmp/$_name.err.1" ]; then
		{ echo "== status $_rc: $*"; cat "$tmp/$_name.err.1"; } >>"$tmp/$_name.err"
	fi
}
loop_people() {
	j=1
	while [ $j -le "$LOOPS" ]; do
		run people participant add prof-learning "late-$j@faults.example.org" --name "Late $j" --years 2
		run people participant list prof-learning --json
		j=$((j + 1))
	done
}
loop_comments() {
	j=1
	while [ $j -le "$LOOPS" ]; do
		id=$(count "SELECT id FROM comment ORDER BY random() LIMIT 1")
		if [ -n "$id" ] && [ "$id" != None ]; then
			st=incorporated
			[ $((j % 2)) -eq 0 ] && st=declined
			run comments comment "$id" status "$st" --note "round $j"
			echo "$id|$st|round $j" >>"$tmp/notes"
		fi
		run comments status --json
		j=$((j + 1))
	done
}
loop_inject() {
	j=1
	while [ $j -le "$LOOPS" ]; do
		msg "$tmp/inj/$j.eml" "inject-$j" "$(author $j)" $((j % 9 + 1))
		run inject inject "$tmp/inj/$j.eml"
		if [ $((j % 5)) -eq 0 ]; then
			printf 'email,name\ncontact-%d@faults.example.org,Contact %d\n' "$j" "$j" >"$tmp/inj/c$j.csv"
			run inject invite prof-learning "$tmp/inj/c$j.csv"
		fi
		run inject outbox prof-learning --json
		j=$((j + 1))
	done
}
loop_imap() {
	j=$((half + 1))
	while [ $j -le "$N" ]; do
		dovecot_append alice "$tmp/gen/$j.eml" >/dev/null 2>&1
		j=$((j + 1))
	done
}
loop_imap &
loop_pids="$!"
loop_people &
loop_pids="$loop_pids $!"
loop_comments &
loop_pids="$loop_pids $!"
loop_inject &
loop_pids="$loop_pids $!"
t0=$(date +%s)
# loops_done - no loop is left running
loops_done() {
	for p in $loop_pids; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}
# bounded: loops still running after the limit are stopped (their missing
# calls then fail the counts below)
wait_for $((300 * SLOW + 2 * N * SLOW)) loops_done
ok $? "the tagctl loops end in time"
for p in $loop_pids; do kill "$p" 2>/dev/null; wait "$p"; done
loop_pids=
t1=$(date +%s)
calls=$(cat "$tmp"/*.calls | wc -l)
diag "$calls tagctl calls in $((t1 - t0)) s beside tagd; taken by IMAP meanwhile:" \
	"$(count "SELECT count(*) FROM message WHERE source = 'imap'") of $N"
failed=$(cat "$tmp"/*.calls | awk '$1 != 0' | wc -l)
is "$failed" "0" "every tagctl call succeeded"
cat "$tmp"/*.err 2>/dev/null | head -20 | sed 's/^/#   /'
if cat "$tmp"/*.err 2>/dev/null | grep -qi "locked\|busy"; then
	ok 1 "no 'database is locked' or busy shown to the user"
else
	ok 0 "no 'database is locked' or busy shown to the user"
fi

# afterwards: everything every side wrote, once
wait_for $((60 * SLOW + N * SLOW / 2)) sh -c "[ \$(doveadm -c '$DOVECOT_CONF' search -u alice mailbox INBOX unseen 2>/dev/null | wc -l) -eq 0 ]"
ok $? "tagd took every IMAP message"
wait_for $((30 * SLOW)) is_zero "SELECT count(*) FROM message WHERE state = 'new'"
ok $? "and processed them all"
is "$(count "SELECT count(*) FROM message WHERE source = 'imap'")" "$N" "$N IMAP messages, each once"
is "$(count "SELECT count(*) FROM message WHERE source = 'inject'")" "$LOOPS" "$LOOPS injected messages, each once"
is "$(count "SELECT count(*) FROM comment")" "$((N + LOOPS))" "one comment each"
is "$(count "SELECT count(*) - count(DISTINCT text) FROM comment")" "0" "no comment doubled"
is "$(count "SELECT count(*) FROM participant WHERE email LIKE 'late-%'")" "$LOOPS" "$LOOPS participants added"
# the last status recorded for each comment is the one in the store
"$PYTHON3" - "$db" "$tmp/notes" >"$tmp/notes.out" 2>&1 <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
last = {}
for line in open(sys.argv[2]):
    cid, st, note = line.rstrip("\n").split("|")
    last[int(cid)] = (st, note)
bad = [cid for cid, want in last.items()
       if c.execute("SELECT status, note FROM comment WHERE id = ?", (cid,)).fetchone() != want]
print(len(last), "comments", len(bad), "wrong", bad[:5])
PY
like "$tmp/notes.out" " 0 wrong" "every comment status tagctl recorded is in the store ($(cat "$tmp/notes.out"))"
wait_for $((60 * SLOW + N * SLOW / 2)) is_zero "SELECT count(*) FROM outbox WHERE state <> 'sent'"
ok $? "tagd sent all its mail meanwhile ($(count "SELECT count(*) FROM outbox") mails)"
is "$(find "$tmp/smtp/md/new" -type f | wc -l | tr -d ' ')" "$(count "SELECT count(*) FROM outbox")" "each once"
grep -i "locked\|busy" "$tmp/tagd.log" | head -5 | sed 's/^/# tagd: /'
if grep -qi "database is locked" "$tmp/tagd.log"; then
	ok 1 "tagd's log has no 'database is locked'"
else
	ok 0 "tagd's log has no 'database is locked'"
fi

kill -TERM "$tagd_pid"
i=0
while kill -0 "$tagd_pid" 2>/dev/null && [ $i -lt $((300 * SLOW)) ]; do sleep 0.1; i=$((i + 1)); done
# (still there: killed, so that the wait ends; its status shows it)
kill -0 "$tagd_pid" 2>/dev/null && kill -9 "$tagd_pid"
wait "$tagd_pid"
rc=$?
tagd_pid=
is "$rc" "0" "SIGTERM stops tagd cleanly"
done_testing
