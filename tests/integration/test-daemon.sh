#!/bin/sh
# test-daemon - tagd as it runs for real: mail from a real Dovecot over IMAPS
# (the private CA checked) and from LMTP, acknowledgements out through a real
# SMTP server; every message taken exactly once, also across kill -9 and a
# UIDVALIDITY reset; IDLE latency; SIGHUP reloads templates; SIGTERM stops.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-dovecot.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

tmp=$(mktemp -d /tmp/tagd-daemon.XXXXXX)
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
state="$tmp/state"
mkdir -p "$state" "$tmp/smtp" "$tmp/tpl"
chmod 750 "$state"

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
	skip "dovecot is not installed"
	done_testing
	exit
fi
dovecot_start >"$tmp/dovecot.out" 2>&1
ok $? "a throwaway Dovecot runs on 127.0.0.1"
smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
printf '%s\n' "$DOVECOT_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
lmtp_sock="$tmp/lmtp.sock"

cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org
session = $fix/prof-learning.session
templates = $tmp/tpl

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
CONF

T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }
T session create "$fix/prof-learning.session" >/dev/null &&
T participant import prof-learning "$fix/participants.csv" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, participants and draft set up"

"$TAGD" --check-config -c "$tmp/tagd.conf" >"$tmp/check.out" 2>&1
ok $? "tagd --check-config accepts the config"
"$TAGD" --check-config --check-connections -c "$tmp/tagd.conf" >"$tmp/check.out" 2>&1
ok $? "tagd --check-connections logs in to IMAPS with the private CA"
"$TAGD" --dump-config -c "$tmp/tagd.conf" >"$tmp/dump.out" 2>&1
if grep -q "$DOVECOT_PASSWORD" "$tmp/dump.out"; then ok 1 "--dump-config hides the IMAP password"; else ok 0 "--dump-config hides the IMAP password"; fi

db="$state/tagd.db"
count() {
	"$PYTHON3" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])' \
		"$db" "$1" 2>/dev/null
}
at_least() { [ "$(count "$1")" -ge "$2" ] 2>/dev/null; }
is_zero() { [ "$(count "$1")" = 0 ]; }
start_tagd() {
	# a Tuesday afternoon of the review week, on a clock at real speed
	"$TAGD" -c "$tmp/tagd.conf" --clock "2018-07-17 14:00" >>"$tmp/tagd.log" 2>&1 &
	tagd_pid=$!
}

# the first half of the fixture replies is in the mailbox before tagd starts
set -- "$fix"/replies/*.eml
total=$#
half=$((total / 2))
i=0
for f in "$@"; do
	i=$((i + 1))
	[ $i -le $half ] && echo "$f"
done >"$tmp/first"
for f in "$@"; do echo "$f"; done | tail -n +$((half + 1)) >"$tmp/second"
# shellcheck disable=SC2046
dovecot_append_maildir alice $(cat "$tmp/first")
start_tagd
wait_for $((30 * tap_slow)) at_least "SELECT count(*) FROM message" 3
ok $? "tagd starts taking mail from IMAP"
kill -9 "$tagd_pid"
wait "$tagd_pid" 2>/dev/null
tagd_pid=
diag "killed tagd with $(count 'SELECT count(*) FROM message') of $half messages taken"
# (doveadm save: dropping files into Maildir/new within the same second as
# the first batch could reuse their base names)
while read -r f; do dovecot_append alice "$f" >/dev/null 2>&1; done <"$tmp/second"
start_tagd
wait_for $((60 * tap_slow)) at_least "SELECT count(*) FROM message" "$total"
ok $? "after kill -9 and a restart, tagd takes the rest"
sleep 1
is "$(count 'SELECT count(*) FROM message')" "$total" "every message is in the store exactly once"
# (stored first, processed after: the last ones may still be in hand)
wait_for $((10 * tap_slow)) is_zero "SELECT count(*) FROM message WHERE state = 'new'"
is "$(count "SELECT count(*) FROM message WHERE state = 'new'")" "0" "and every one was processed"
is "$(count 'SELECT count(*) - count(DISTINCT message_id) FROM message')" "0" "no Message-ID twice"
is "$(count 'SELECT count(*) FROM (SELECT message_id, position FROM comment GROUP BY 1, 2 HAVING count(*) > 1)')" "0" \
	"no comment doubled"
wait_for $((10 * tap_slow)) sh -c "[ \$(doveadm -c '$DOVECOT_CONF' search -u alice mailbox INBOX unseen 2>/dev/null | wc -l) -eq 0 ]"
ok $? "every taken message is flagged \\Seen on the server"
comments=$(count 'SELECT count(*) FROM comment')
diag "$comments comments from $total messages"

# the acknowledgements went out through SMTP, once each
acks=$(count "SELECT count(*) FROM outbox WHERE kind = 'ack'")
wait_for $((30 * tap_slow)) sh -c "[ \$(grep -il '^Message-ID: <ack\\.' '$tmp/smtp/md/new/'* 2>/dev/null | wc -l) -ge $acks ]"
ok $? "the $acks acknowledgements reach the SMTP server"
# (the server has a mail before tagd hears its 250 and marks it sent)
wait_for $((10 * tap_slow)) at_least "SELECT count(*) FROM outbox WHERE kind = 'ack' AND state = 'sent'" "$acks"
is "$(count "SELECT count(*) FROM outbox WHERE kind = 'ack' AND state = 'sent'")" "$acks" "and are marked sent"
# (a kill -9 while an acknowledgement is in flight may deliver it twice:
# the server took it, tagd had not marked it sent; count the mails, once each)
is "$(grep -il '^Message-ID: <ack\.' "$tmp/smtp/md/new/"* 2>/dev/null | xargs grep -l '^Auto-Submitted: auto-replied' |
	xargs grep -ih '^Message-ID: <ack\.' | sort -u | wc -l)" "$acks" \
	"each of them, marked as an automatic reply"

# IDLE: a new message is in the store within a second (the median of three:
# Dovecot itself waits about half a second before it tells IDLE clients)
lat=""
for n in 1 2 3; do
	before=$(count 'SELECT count(*) FROM message')
	cat >"$tmp/new$n.eml" <<MSG
From: Ana Ruiz <ana.ruiz@district9.example.org>
To: tag-prof-learning+p3@tags.example.org
Subject: one more thought ($n)
Message-ID: <idle-latency-$n@district9.example.org>
Date: Wed, 18 Jul 2018 10:00:0$n -0400

The entry points should start with the school calendar ($n).
MSG
	t0=$(date +%s%N)
	dovecot_append alice "$tmp/new$n.eml" >/dev/null 2>&1
	wait_for $((5 * tap_slow)) at_least "SELECT count(*) FROM message" $((before + 1)) || break
	t1=$(date +%s%N)
	lat="$lat $(((t1 - t0) / 1000000))"
done
set -- $lat
is "$#" "3" "three newly appended messages are taken"
ms=$(printf '%s\n' $lat | sort -n | sed -n 2p)
diag "IDLE latency, append to stored:$lat ms (median $ms ms)"
[ "${ms:-9999}" -lt 1000 ]; ok $? "with IDLE a new message is in the store within one second (median ${ms} ms)"

# UIDVALIDITY reset: everything is offered again and recognised
dovecot_reset_uidvalidity alice INBOX >/dev/null 2>&1
sleep 3
kill -HUP "$tagd_pid" 2>/dev/null
wait_for $((20 * tap_slow)) sh -c "[ \$(doveadm -c '$DOVECOT_CONF' search -u alice mailbox INBOX unseen 2>/dev/null | wc -l) -eq 0 ]"
ok $? "after a UIDVALIDITY reset tagd reads the mailbox again"
is "$(count 'SELECT count(*) FROM message')" "$((total + 3))" "and stores nothing twice"

# LMTP: a delivery gets 250 only once stored
"$PYTHON3" - "$lmtp_sock" >"$tmp/lmtp.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.LMTP(sys.argv[1])
msg = (b"From: Dmitri Volkov <dmitri@icloud.example.com>\r\nTo: tag-prof-learning@tags.example.org\r\n"
       b"Subject: lmtp\r\nMessage-ID: <lmtp-1@icloud.example.com>\r\n\r\n"
       b"Paragraph 16: two early-release afternoons per quarter would help.\r\n")
r = s.sendmail("dmitri@icloud.example.com", ["tag-prof-learning@tags.example.org", "nobody@tags.example.org"], msg)
print("refused:", sorted(r))
s.quit()
PY
like "$tmp/lmtp.out" "refused: \['nobody@tags.example.org'\]" "LMTP: the list address is accepted, an unknown one refused"
is "$(count "SELECT count(*) FROM message WHERE source = 'lmtp'")" "1" "the LMTP delivery is in the store"

# SIGHUP reloads the templates: an organizer's override of ack.txt
printf 'Subject: Noted ({{counts.comments}})\nRELOADED TEMPLATE for {{participant.email}}\n' >"$tmp/tpl/ack.txt"
kill -HUP "$tagd_pid"
sleep 1
cat >"$tmp/hup.eml" <<MSG
From: Elin Lindqvist <e.lindqvist@uni.example.edu>
To: tag-prof-learning+p4@tags.example.org
Subject: after reload
Message-ID: <hup-1@uni.example.edu>
Date: Wed, 18 Jul 2018 11:00:00 -0400

Attendance should not be the measure.
MSG
dovecot_append alice "$tmp/hup.eml" >/dev/null 2>&1
wait_for $((20 * tap_slow)) sh -c "grep -l 'RELOADED TEMPLATE for e.lindqvist' '$tmp/smtp/md/new/'* >/dev/null 2>&1"
ok $? "after SIGHUP the acknowledgement uses the changed template"

# SIGTERM: a clean stop
kill -TERM "$tagd_pid"
i=0
while kill -0 "$tagd_pid" 2>/dev/null && [ $i -lt $((100 * tap_slow)) ]; do sleep 0.1; i=$((i + 1)); done
wait "$tagd_pid" 2>/dev/null
rc=$?
tagd_pid=
is "$rc" "0" "SIGTERM stops tagd cleanly"
like "$tmp/tagd.log" "stopping on signal" "and it says why"

done_testing
