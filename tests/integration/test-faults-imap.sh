#!/bin/sh
# test-faults-imap - tagd taking mail from a real Dovecot while things break:
# kill -9 at random moments (ROUNDS rounds, a restart each time) while it
# takes MESSAGES messages; Dovecot restarted mid-fetch and mid-IDLE; the
# UIDVALIDITY reset; the mailbox deleted and recreated. Afterwards every
# message is in the store exactly once, processed, flagged \Seen on the
# server, and no comment is doubled.
#
# Counts: TAGD_FAULTS_MESSAGES (default 60), TAGD_FAULTS_ROUNDS (default 3);
# make check-faults runs 500 x 20. TAGD_FAULTS_SLOW multiplies every wait
# (set by make check-valgrind).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-dovecot.sh"

N=${TAGD_FAULTS_MESSAGES:-60}
ROUNDS=${TAGD_FAULTS_ROUNDS:-3}
SLOW=${TAGD_FAULTS_SLOW:-1}
[ -n "${TAGD_WRAPPER:-}" ] && [ "$SLOW" -lt 10 ] && SLOW=10
BOX=TAG

tmp=$(mktemp -d /tmp/tagd-faults-imap.XXXXXX)
tagd_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	dovecot_cleanup >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "" EXIT
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state" "$tmp/gen"
chmod 750 "$state"

if [ ! -x "${DOVECOT_BIN:-/usr/sbin/dovecot}" ]; then
	skip "dovecot is not installed"
	done_testing
	exit
fi
diag "$N messages, $ROUNDS kill -9 rounds"
dovecot_start >"$tmp/dovecot.out" 2>&1
ok $? "a throwaway Dovecot runs on 127.0.0.1"
printf '%s\n' "$DOVECOT_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
dovecot__adm mailbox create -u alice "$BOX" >/dev/null 2>&1
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
mailbox = $BOX
timeout = 10s

[lmtp]
listen = $lmtp_sock
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
at_least() { [ "$(count "$1")" -ge "$2" ] 2>/dev/null; }
unseen() { dovecot__adm search -u alice mailbox "$BOX" unseen 2>/dev/null | wc -l; }
all_seen() { [ "$(unseen)" -eq 0 ]; }
# settled TOTAL - TOTAL messages stored, all processed, all flagged
settled() {
	[ "$(count "SELECT count(*) FROM message WHERE source = 'imap'")" = "$1" ] &&
		[ "$(count "SELECT count(*) FROM message WHERE state = 'new'")" = 0 ] && all_seen
}
start_tagd() {
	"$TAGD" -c "$tmp/tagd.conf" --clock "$CLOCK" >>"$tmp/tagd.log" 2>&1 &
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

# gen PREFIX FIRST LAST [KB] - messages $tmp/gen/PREFIX-I.eml, one comment
# each, from the fixture's participants in turn; with KB, each carries an
# attachment of about that size
set -- $(sed 1d "$fix/participants.csv" | cut -d, -f1)
nauthors=$#
authors="$*"
gen() {
	_p=$1
	_i=$2
	_last=$3
	_kb=${4:-0}
	if [ "$_kb" -gt 0 ] && [ ! -s "$tmp/gen/filler.$_kb" ]; then
		head -c $((_kb * 768)) /dev/urandom | base64 >"$tmp/gen/filler.$_kb"
	fi
	while [ "$_i" -le "$_last" ]; do
		# shellcheck disable=SC2086
		set -- $authors
		shift $((_i % nauthors))
		_f="$tmp/gen/$_p-$_i.eml"
		{
			cat <<MSG
From: <$1>
To: tag-prof-learning+p$((_i % 14 + 1))@tags.example.org
Subject: a thought on the draft ($_p $_i)
Message-ID: <$_p-$_i@faults.example.org>
Date: Tue, 17 Jul 2018 10:00:00 -0400
MIME-Version: 1.0
MSG
			if [ "$_kb" -gt 0 ]; then
				printf 'Content-Type: multipart/mixed; boundary="b-%s"\n\n--b-%s\n' "$_i" "$_i"
			fi
			cat <<MSG
Content-Type: text/plain; charset=utf-8

Token $_p-$_i: the entry points should start with the school calendar, and
coaching time should follow the units that teachers plan together.
MSG
			if [ "$_kb" -gt 0 ]; then
				printf '\n--b-%s\nContent-Type: application/octet-stream; name="notes.bin"\n' "$_i"
				printf 'Content-Transfer-Encoding: base64\n\n'
				cat "$tmp/gen/filler.$_kb"
				printf '\n--b-%s--\n' "$_i"
			fi
		} >"$_f.tmp"
		mv "$_f.tmp" "$_f"
		echo "$_f"
		_i=$((_i + 1))
	done
}
# drop FILE... - into the mailbox's Maildir (bulk; UIDs at the next sync)
drop_seq=0
drop() {
	_new=$DOVECOT_DIR/home/alice/Maildir/.$BOX/new
	_owner=$(stat -c %u:%g "$DOVECOT_DIR/home/alice")
	for _f in "$@"; do
		drop_seq=$((drop_seq + 1))
		cp "$_f" "$_new/.tmp" && chown "$_owner" "$_new/.tmp" 2>/dev/null
		mv "$_new/.tmp" "$_new/$(date +%s).M${drop_seq}P$$.faults"
	done
}

# ---- kill -9 while tagd takes the messages, ROUNDS times ----
per=$((N / ROUNDS))
first=1
midwork=0
for r in $(seq "$ROUNDS"); do
	last=$((first + per - 1))
	[ "$r" -eq "$ROUNDS" ] && last=$N
	# shellcheck disable=SC2046
	drop $(gen r "$first" "$last")
	before=$(count "SELECT count(*) FROM message")
	start_tagd
	case $((r % 3)) in
	1)
		# at a random moment: start-up, login, fetch, processing
		ms=$(($(rand 600) * SLOW + 20))
		msleep "$ms"
		how="after $ms ms"
		;;
	2)
		# as soon as a random message of this batch is stored
		target=$((${before:-0} + 1 + $(rand $((last - first + 1)))))
		kill_when "$tagd_pid" "SELECT count(*) FROM message" "$target" $((30 * SLOW))
		how="once $target were stored"
		;;
	0)
		# as soon as a random message of this batch is processed
		target=$((${before:-0} + 1 + $(rand $((last - first + 1)))))
		kill_when "$tagd_pid" "SELECT count(*) FROM message WHERE state <> 'new'" "$target" $((30 * SLOW))
		how="once $target were processed"
		;;
	esac
	kill9_tagd
	now=$(count "SELECT count(*) FROM message")
	pend=$(count "SELECT count(*) FROM message WHERE state = 'new'")
	[ "$pend" -gt 0 ] || [ "$(unseen)" -gt 0 ] || [ "$now" -lt "$last" ] && midwork=$((midwork + 1))
	diag "round $r: messages $first..$last appended; killed $how: $now stored, $pend not processed yet, $(unseen) unseen"
	first=$((last + 1))
done
start_tagd
wait_for $((60 * SLOW + N / 2 * SLOW)) settled "$N"
ok $? "after $ROUNDS kills and restarts tagd has taken all $N messages"
diag "$midwork of $ROUNDS kills left work undone (messages not stored, processed or flagged yet)"
is "$(count "SELECT count(*) FROM message")" "$N" "every message is in the store exactly once"
is "$(count "SELECT count(*) - count(DISTINCT message_id) FROM message")" "0" "no Message-ID twice"
is "$(count "SELECT count(*) FROM message WHERE state = 'new'")" "0" "every one was processed"
is "$(count "SELECT count(*) FROM message WHERE class = 'comment'")" "$N" "every one is a comment"
is "$(count "SELECT count(*) FROM comment")" "$N" "one comment each"
is "$(count "SELECT count(*) - count(DISTINCT text) FROM comment")" "0" "no comment doubled"
is "$(count "SELECT count(*) FROM (SELECT message_id FROM comment GROUP BY 1 HAVING count(*) > 1)")" "0" \
	"no message gave its comment twice"
all_seen
ok $? "every message is flagged \\Seen on the server"
acks=$(count "SELECT count(*) FROM outbox WHERE kind = 'ack'")
is "$(count "SELECT count(*) - count(DISTINCT message_id) FROM outbox")" "0" "no mail queued twice ($acks acknowledgements)"
wait_for $((30 * SLOW)) sh -c "[ \"\$(ls '$state/mail/out/new' 2>/dev/null | wc -l)\" -ge $acks ]"
files=$(ls "$state/mail/out/new" | wc -l)
sent=$(count "SELECT count(*) FROM outbox WHERE state = 'sent'")
dups=$(ls "$state/mail/out/new" | while read -r f; do grep -m1 -i '^Message-ID:' "$state/mail/out/new/$f"; done |
	sort | uniq -d | wc -l)
diag "outbox Maildir: $files files for $sent mails marked sent; $dups delivered twice (a kill between delivery and its record)"
[ "$dups" -le "$ROUNDS" ]
ok $? "at most one duplicate delivery per kill ($dups)"

# ---- Dovecot restarted mid-fetch ----
M=$((N < 150 ? N : 150))
base=$(count "SELECT count(*) FROM message WHERE source = 'imap'")
# fetches_seen - UID FETCH commands for bodies in Dovecot's protocol logs
fetches_seen() {
	cat "$(dovecot_rawlog alice)"/*.in 2>/dev/null | grep -c 'BODY.PEEK\[\]'
}
# wait_fetch N SECONDS - until more than N such commands were sent
wait_fetch() {
	_n=0
	while [ $_n -lt $(($2 * 200)) ]; do
		[ "$(fetches_seen)" -gt "$1" ] && return 0
		sleep 0.005
		_n=$((_n + 1))
	done
	return 1
}
f0=$(fetches_seen)
# big messages, so that the fetch takes a while; the restart comes the
# moment tagd asks for their bodies
# shellcheck disable=SC2046
drop $(gen restart 1 "$M" 1000)
wait_fetch "$f0" $((20 * SLOW))
ok $? "tagd starts fetching $M big messages"
logged=$(wc -l <"$tmp/tagd.log")
dovecot_restart >>"$tmp/dovecot.out" 2>&1
ok $? "Dovecot restarted while tagd fetches"
diag "restart after $(($(count "SELECT count(*) FROM message WHERE source = 'imap'") - base)) of $M new messages were stored"
wait_for $((60 * SLOW)) settled $((base + M))
ok $? "tagd reconnects and takes the rest"
# what tagd said about it: its first IMAP warning after the restart
diag "tagd saw: $(sed "1,${logged}d" "$tmp/tagd.log" | grep -m1 'warning: .*imap ' | sed 's/.*TAG: //')"
is "$(count "SELECT count(*) FROM message")" "$((N + M))" "nothing twice after the restart"
kill -0 "$tagd_pid" 2>/dev/null
ok $? "tagd runs on"

# ---- Dovecot restarted mid-IDLE ----
sleep 2
dovecot_restart >>"$tmp/dovecot.out" 2>&1
# shellcheck disable=SC2046
set -- $(gen idle 1 1)
t0=$(date +%s%N)
dovecot_append alice "$1" "$BOX" >/dev/null 2>&1
wait_for $((60 * SLOW)) settled $((N + M + 1))
ok $? "after a restart during IDLE a new message is taken"
diag "taken $((($(date +%s%N) - t0) / 1000000)) ms after the append (reconnect backoff included)"

# ---- UIDVALIDITY reset: everything offered again, nothing stored twice ----
v0=$(dovecot__adm mailbox status -u alice uidvalidity "$BOX" | sed 's/.*uidvalidity=//')
dovecot_reset_uidvalidity alice "$BOX" >/dev/null 2>&1
v1=$(dovecot__adm mailbox status -u alice uidvalidity "$BOX" | sed 's/.*uidvalidity=//')
[ "$v0" != "$v1" ]
ok $? "the mailbox was recreated with a new UIDVALIDITY ($v0 -> $v1)"
# shellcheck disable=SC2046
set -- $(gen reset 1 1)
dovecot_append alice "$1" "$BOX" >/dev/null 2>&1
wait_for $((60 * SLOW)) settled $((N + M + 2))
ok $? "tagd reads the mailbox again and flags every message"
is "$(count "SELECT count(*) FROM message")" "$((N + M + 2))" "stores nothing twice, and takes the new one"
like "$tmp/tagd.log" "UIDVALIDITY changed" "and says what happened"

# ---- the mailbox deleted, then recreated ----
dovecot__adm mailbox delete -u alice "$BOX" >/dev/null 2>&1
ok $? "the mailbox is deleted under tagd"
sleep 2
# LMTP mail is still taken meanwhile
"$PYTHON3" - "$lmtp_sock" >"$tmp/lmtp.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.LMTP(sys.argv[1], timeout=20)
msg = (b"From: <dmitri@icloud.example.com>\r\nTo: tag-prof-learning@tags.example.org\r\n"
       b"Subject: lmtp\r\nMessage-ID: <lmtp-deleted@faults.example.org>\r\n\r\n"
       b"Paragraph 16: two early-release afternoons per quarter would help.\r\n")
r = s.sendmail("dmitri@icloud.example.com", ["tag-prof-learning@tags.example.org"], msg)
print("refused:", sorted(r))
s.quit()
PY
like "$tmp/lmtp.out" "refused: \[\]" "LMTP mail is taken while the IMAP mailbox is gone"
kill -0 "$tagd_pid" 2>/dev/null
ok $? "tagd runs on without its mailbox"
dovecot__adm mailbox create -u alice "$BOX" >/dev/null 2>&1
# shellcheck disable=SC2046
set -- $(gen recreated 1 2)
dovecot_append alice "$1" "$BOX" >/dev/null 2>&1 && dovecot_append alice "$2" "$BOX" >/dev/null 2>&1
ok $? "the mailbox is recreated with two new messages"
wait_for $((90 * SLOW)) settled $((N + M + 4))
ok $? "tagd takes them from the recreated mailbox"
is "$(count "SELECT count(*) FROM message")" "$((N + M + 5))" "every message once (LMTP's included)"
is "$(count "SELECT count(*) - count(DISTINCT text) FROM comment")" "0" "still no comment doubled"

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
grep -E "ERROR|Invalid|definitely lost" "$tmp/tagd.log" | grep -v "imap\|store: \|cannot" | head -5 | sed 's/^/# /'
done_testing
