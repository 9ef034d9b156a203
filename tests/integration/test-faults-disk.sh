#!/bin/sh
# test-faults-disk - the disk full under tagd's database. The state
# directory sits on a small tmpfs (as root), which the test fills; where no
# filesystem can be mounted, tests/integration/enospc.so makes every write
# under the state directory fail with ENOSPC instead (TAGD_FAULTS_DISK=shim
# forces that way). While the disk is full: LMTP answers 452 and takes the
# same message with 250 once there is room; IMAP mail is not flagged \Seen
# and is taken afterwards; tagctl fails with a clear error; tagd keeps
# running and says why. Afterwards: no half-written state (the database is
# intact, every message is processed once, nothing lost). Every wait is
# for the thing itself, bounded (TAGD_FAULTS_SLOW multiplies the bounds),
# not a fixed sleep: tagd is up once its log says it started and its LMTP
# socket answers 220.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-dovecot.sh"

SLOW=${TAGD_FAULTS_SLOW:-1}
[ -n "${TAGD_WRAPPER:-}" ] && [ "$SLOW" -lt 10 ] && SLOW=10
MODE=${TAGD_FAULTS_DISK:-auto}

tmp=$(mktemp -d /tmp/tagd-faults-disk.XXXXXX)
fs="$tmp/fs"
mounted=
tagd_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null && wait "$tagd_pid" 2>/dev/null
	dovecot_cleanup >/dev/null 2>&1
	[ -n "$mounted" ] && umount "$fs" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fix="$TAGD_SHARED/fixtures"
mkdir -p "$fs"

if [ ! -x "${DOVECOT_BIN:-/usr/sbin/dovecot}" ]; then
	skip "dovecot is not installed"
	done_testing
	exit
fi

# the small filesystem, or the shim
if [ "$MODE" != shim ] && [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=48m,mode=0750 tagd-faults "$fs" 2>/dev/null; then
	mounted=1
	MODE=tmpfs
	diag "the state directory is on a 48 MB tmpfs"
else
	shim="$top_builddir/tests/integration/enospc.so"
	if [ ! -f "$shim" ]; then
		skip "cannot mount a small filesystem, and tests/integration/enospc.so is not built"
		done_testing
		exit
	fi
	MODE=shim
	diag "no small filesystem: ENOSPC from tests/integration/enospc.so"
fi
state="$fs/state"
mkdir -p "$state"
chmod 750 "$state"

# fill / unfill - the disk is full, and has room again
fill() {
	if [ "$MODE" = tmpfs ]; then
		# the WAL reuses its space once checkpointed: empty it first, so that
		# new transactions need new space
		"$PYTHON3" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()' "$db" 2>/dev/null
		dd if=/dev/zero of="$fs/filler" bs=1M >/dev/null 2>&1
		dd if=/dev/zero of="$fs/filler2" bs=4k >/dev/null 2>&1
		dd if=/dev/zero of="$fs/filler3" bs=512 >/dev/null 2>&1
		[ "$(df -P "$fs" | awk 'NR == 2 { print $4 }')" -eq 0 ]
	else
		: >"$tmp/full"
	fi
}
unfill() {
	rm -f "$fs/filler" "$fs/filler2" "$fs/filler3" "$tmp/full"
}
# PRE - what runs tagd and tagctl: with the shim preloaded in shim mode
PRE=
if [ "$MODE" = shim ]; then
	ENOSPC_DIR=$fs
	ENOSPC_FLAG=$tmp/full
	export ENOSPC_DIR ENOSPC_FLAG
	PRE="env LD_PRELOAD=$shim${LD_PRELOAD:+:$LD_PRELOAD}"
fi

dovecot_start >"$tmp/dovecot.out" 2>&1
ok $? "a throwaway Dovecot runs on 127.0.0.1"
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
CONF

CLOCK="2018-07-17 14:00"
T() { $PRE "$TAGCTL" -q -c "$tmp/tagd.conf" --clock "$CLOCK" "$@"; }
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
is_zero() { [ "$(count "$1")" = 0 ]; }
# unseen - how many messages in alice's INBOX are not \Seen ("error" if
# doveadm fails: no count of 0 by mistake)
unseen() {
	_u=$(dovecot__adm search -u alice mailbox INBOX unseen 2>/dev/null) || { echo error; return; }
	printf '%s\n' "$_u" | grep -c .
}
all_seen() { [ "$(unseen)" = 0 ]; }
# msg ID FROM [KB] - a comment; with KB, an attachment of about that size
msg() {
	{
		printf 'From: <%s>\nTo: tag-prof-learning+p5@tags.example.org\nSubject: disk %s\n' "$2" "$1"
		printf 'Message-ID: <%s@faults.example.org>\nDate: Tue, 17 Jul 2018 10:00:00 -0400\nMIME-Version: 1.0\n' "$1"
		if [ "${3:-0}" -gt 0 ]; then
			printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
		fi
		printf 'Content-Type: text/plain; charset=utf-8\n\n'
		printf 'Comment %s: the coaching cycle should be tied to the units teachers plan.\n' "$1"
		if [ "${3:-0}" -gt 0 ]; then
			printf '\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
			head -c $(($3 * 768)) /dev/urandom | base64
			printf '\n--b--\n'
		fi
	} >"$tmp/$1.eml"
}
# lmtp FILE - deliver through LMTP; prints the reply code and text
lmtp() {
	"$PYTHON3" - "$lmtp_sock" "$1" <<'PY'
import smtplib, sys
sock, path = sys.argv[1:3]
data = open(path, "rb").read()
try:
    s = smtplib.LMTP(sock, timeout=60)
    r = s.sendmail("sender@faults.example.org", ["tag-prof-learning@tags.example.org"], data)
    s.quit()
    print("250" if not r else "%d %s" % list(r.values())[0])
except smtplib.SMTPRecipientsRefused as e:
    code, text = list(e.recipients.values())[0]
    print(code, text.decode(errors="replace"))
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode(errors="replace"))
except Exception as e:
    print(0, e)
PY
}

# is_code REPLY CODE DESCRIPTION - the reply's code is CODE (the whole
# reply shown when not)
is_code() {
	is "${1%% *}" "$2" "$3"
	[ "${1%% *}" = "$2" ] || diag "the reply: $1"
}
# lmtp_greets - tagd's LMTP socket takes a connection and answers 220
lmtp_greets() {
	"$PYTHON3" - "$lmtp_sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
line = b""
while not line.endswith(b"\n") and len(line) < 512:
    got = s.recv(512)
    if not got:
        break
    line += got
s.sendall(b"QUIT\r\n")
s.close()
sys.exit(0 if line.startswith(b"220") else 1)
PY
}
# log_lines PATTERN - how many lines of tagd's log match PATTERN
log_lines() {
	_n=$(grep -c -- "$1" "$tmp/tagd.log" 2>/dev/null)
	echo "${_n:-0}"
}
# tagd_ready STARTED - tagd is gone (the caller sees that), or it has logged
# its start once more than STARTED times and its LMTP socket greets
tagd_ready() {
	kill -0 "$tagd_pid" 2>/dev/null || return 0
	[ "$(log_lines ' started (database ')" -gt "$1" ] && lmtp_greets
}
# start_tagd - start tagd and wait, bounded, until it is up: its log says
# it started and its LMTP socket answers (under load the first delivery
# once came before the listener was there); fails if it is not
start_tagd() {
	_started=$(log_lines ' started (database ')
	$PRE "$TAGD" -c "$tmp/tagd.conf" --clock "$CLOCK" >>"$tmp/tagd.log" 2>&1 &
	tagd_pid=$!
	wait_for $((60 * SLOW)) tagd_ready "$_started" && kill -0 "$tagd_pid" 2>/dev/null && lmtp_greets
}
# stop_tagd - SIGTERM; wait (bounded) until tagd is gone, else SIGKILL it;
# tagd's exit status in tagd_rc (137 when it had to be killed)
stop_tagd() {
	kill -TERM "$tagd_pid" 2>/dev/null
	_i=0
	while kill -0 "$tagd_pid" 2>/dev/null && [ $_i -lt $((300 * SLOW)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -0 "$tagd_pid" 2>/dev/null && kill -9 "$tagd_pid" 2>/dev/null
	wait "$tagd_pid"
	tagd_rc=$?
	tagd_pid=
}

start_tagd
up=$?
[ $up -eq 0 ] || sed 's/^/# log: /' "$tmp/tagd.log" | tail -20
ok $up "tagd is up: it says it started, its LMTP socket answers"
msg before-1 ana.ruiz@district9.example.org
r=$(lmtp "$tmp/before-1.eml")
is_code "$r" "250" "with room, LMTP mail is taken"
msg before-2 b.okafor@gmail.example.com
dovecot_append alice "$tmp/before-2.eml" >/dev/null 2>&1
wait_for $((60 * SLOW)) at_least "SELECT count(*) FROM message WHERE message_id = 'before-2@faults.example.org'" 1 &&
	wait_for $((30 * SLOW)) all_seen
ok $? "with room, IMAP mail is taken"
# quiet before the disk fills: processed, and the acknowledgements written
# to the outbox Maildir (not left to fail on the full disk and wait out a
# retry)
wait_for $((30 * SLOW)) is_zero "SELECT count(*) FROM message WHERE state = 'new'" &&
	wait_for $((30 * SLOW)) is_zero "SELECT count(*) FROM outbox WHERE state <> 'sent'"
ok $? "with room, everything is processed and its mail delivered"

# ---- the disk fills up ----
fill
ok $? "the disk is full ($MODE)"
msg full-lmtp chen.wei@outlook.example.com 64
r=$(lmtp "$tmp/full-lmtp.eml")
diag "LMTP while full: $r"
is_code "$r" "452" "while full, LMTP answers 452 (insufficient storage)"
msg full-imap dmitri@icloud.example.com 64
imap_fails='imap.*not \(taken now\|committed\)'
tried=$(log_lines "$imap_fails")
dovecot_append alice "$tmp/full-imap.eml" >/dev/null 2>&1
# until tagd has tried to take it (and could not), not a fixed sleep
wait_for $((30 * SLOW)) sh -c "[ \$(grep -c -- '$imap_fails' '$tmp/tagd.log') -gt $tried ]"
ok $? "while full, tagd tries to take the IMAP message and says it cannot"
is "$(unseen)" "1" "while full, the IMAP message is not flagged \\Seen"
is "$(count "SELECT count(*) FROM message WHERE message_id LIKE 'full-%'")" "0" "and neither message is in the store"
kill -0 "$tagd_pid" 2>/dev/null
ok $? "tagd keeps running"
$PRE "$TAGCTL" -q -c "$tmp/tagd.conf" participant add prof-learning late.joiner@faults.example.org \
	--name "Late Joiner" >"$tmp/ctl.out" 2>"$tmp/ctl.err"
rc=$?
is "$rc" "1" "tagctl fails with status 1 while full"
like "$tmp/ctl.err" "full" "with a clear error ($(head -1 "$tmp/ctl.err"))"
grep -i "full" "$tmp/tagd.log" | tail -3 | sed 's/^/# log: /'
like "$tmp/tagd.log" "full" "tagd's log says the store is full"

# ---- room again ----
unfill
ok $? "the disk has room again"
r=$(lmtp "$tmp/full-lmtp.eml")
is_code "$r" "250" "the same LMTP message is now taken"
wait_for $((60 * SLOW)) at_least "SELECT count(*) FROM message WHERE message_id = 'full-imap@faults.example.org'" 1 &&
	wait_for $((30 * SLOW)) all_seen
ok $? "the IMAP message is taken and flagged"
wait_for $((30 * SLOW)) is_zero "SELECT count(*) FROM message WHERE state = 'new'"
ok $? "and everything is processed"
$PRE "$TAGCTL" -q -c "$tmp/tagd.conf" participant add prof-learning late.joiner@faults.example.org \
	--name "Late Joiner" >/dev/null 2>&1
ok $? "tagctl works again"
is "$(count "SELECT count(*) FROM message")" "4" "four messages, each once"
is "$(count "SELECT count(*) FROM comment")" "4" "four comments, none doubled"
is "$(count "SELECT count(*) FROM comment c LEFT JOIN message m ON m.id = c.message_id WHERE m.id IS NULL")" "0" \
	"no comment without its message"
wait_for $((60 * SLOW)) is_zero "SELECT count(*) FROM outbox WHERE state <> 'sent'"
ok $? "the mail tagd queued meanwhile is all delivered"
files=$(ls "$state/mail/out/new" | wc -l)
is "$files" "$(count "SELECT count(*) FROM outbox")" "once each ($files)"

# ---- full again, then a clean stop ----
fill
stop_tagd
is "$tagd_rc" "0" "SIGTERM stops tagd cleanly on a full disk"
unfill
is "$("$PYTHON3" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$db")" \
	"ok" "the database is intact"
done_testing
