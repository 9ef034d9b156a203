#!/bin/bash
# test-imap.sh - the IMAP poller against a throwaway Dovecot on 127.0.0.1 (TAP).
# Drives tests/integration/imap-probe (the poller plus a directory "store").
[ -n "$BASH_VERSION" ] || exec /bin/bash "$0" "$@"

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
PROBE=${IMAP_PROBE:-$top_builddir/tests/integration/imap-probe}
SHARED=${TAGD_SHARED:-$top_srcdir/../shared}
FIXTURES=$SHARED/fixtures/replies

n=0
failed=0
ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check() { local d=$1; shift; "$@" >/dev/null 2>&1; ok $? "$d"; }
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got '$1', want '$2'"; fi
}
diag() { echo "# $*"; }
now_ms() { date +%s%3N; }

for tool in /usr/sbin/dovecot /usr/bin/doveadm; do
	if [ ! -x "$tool" ]; then
		echo "1..0 # SKIP $tool not installed (dovecot-imapd)"
		exit 0
	fi
done
if ! command -v openssl >/dev/null; then
	echo "1..0 # SKIP openssl not installed"
	exit 0
fi
# IMAP_PROBE_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full" runs
# every probe under it (the latency and throughput figures are then slower)
WRAP=${IMAP_PROBE_WRAPPER:-}
if [ ! -x "$PROBE" ]; then
	echo "Bail out! $PROBE not built (make tests/integration/imap-probe)"
	exit 1
fi

DOVECOT_USERS="alice bob carol dave erin frank grace heidi ivan judy"
. "$here/lib-dovecot.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tagd-imap-test.XXXXXX")
PIDS=
cleanup() {
	for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
	dovecot_cleanup
	[ -n "$KEEP_DOVECOT" ] || rm -rf "$WORK"
}
trap cleanup EXIT

if ! dovecot_start; then
	echo "Bail out! cannot start dovecot"
	exit 1
fi
diag "dovecot in $DOVECOT_DIR: imap $DOVECOT_IMAP_PORT, imaps $DOVECOT_IMAPS_PORT"

FILES=("$FIXTURES"/*.eml)
NFIX=${#FILES[@]}
PW=$DOVECOT_PASSWORD

# probe USER ARGS... - the poller over IMAPS with the private CA; exec'd, so
# that "probe ... &" gives the probe's own pid in $!
IMAPS=(--port "$DOVECOT_IMAPS_PORT" --tls imaps --ca "$DOVECOT_CA" --password "$PW")
probe() {
	local user=$1
	shift
	(exec $WRAP "$PROBE" "${IMAPS[@]}" --user "$user" "$@")
}
append_all() { local u=$1 f; for f in "${FILES[@]}"; do dovecot_append "$u" "$f" || return 1; done; }
lines() { local c; c=$(grep -c -- "$2" "$1" 2>/dev/null); echo "${c:-0}"; }
# wait_for FILE PATTERN TENTHS - bounded wait for a line
wait_for() {
	local i=0
	while [ $i -lt "$3" ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
login_count() { grep -c "Login: user=<$1>" "$DOVECOT_LOG"; }

# --- 1. every fixture taken exactly once, flagged \Seen -------------------
append_all alice
is "$(dovecot_count alice INBOX)" "$NFIX" "$NFIX fixtures appended to alice's INBOX"
probe alice --store "$WORK/alice" --until "$NFIX" --run-ms 20000 >"$WORK/a1.out" 2>"$WORK/a1.err"
ok $? "probe took all messages and stopped"
is "$(lines "$WORK/a1.out" ' new ')" "$NFIX" "$NFIX new deliveries"
is "$(lines "$WORK/a1.out" ' dup ')" 0 "no duplicate delivery"
is "$(ls "$WORK/alice/msgs" | grep -c "\.eml$")" "$NFIX" "the store holds $NFIX messages"
is "$(grep -o 'uid=[0-9]*' "$WORK/a1.out" | sort -u | wc -l)" "$NFIX" "each UID delivered once"
is "$(dovecot_count alice INBOX unseen)" 0 "every message is \\Seen in the mailbox"
is "$(cat "$WORK/alice/state" | cut -d' ' -f2)" "$NFIX" "state: last UID is $NFIX"
first=$(grep ' new ' "$WORK/a1.out" | head -1 | sed 's/.* t=//')
last=$(grep ' new ' "$WORK/a1.out" | tail -1 | sed 's/.* t=//')
diag "fixtures: $NFIX messages delivered in $((last - first)) ms (first to last)"

# again: nothing new, nothing delivered
probe alice --store "$WORK/alice" --run-ms 1500 >"$WORK/a2.out" 2>"$WORK/a2.err"
is "$(lines "$WORK/a2.out" '^deliver')" 0 "a second run delivers nothing"

# --- 2. kill -9 half-way, then restart: still exactly once ----------------
append_all bob
$WRAP "$PROBE" "${IMAPS[@]}" --user bob --store "$WORK/bob" --until "$NFIX" --run-ms 30000 \
	--deliver-delay-ms 60 >"$WORK/b1.out" 2>"$WORK/b1.err" &
pid=$!
PIDS="$PIDS $pid"
i=0
while [ $i -lt 400 ] && [ "$(lines "$WORK/b1.out" '^deliver')" -lt 12 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pid
wait $pid 2>/dev/null
before=$(lines "$WORK/b1.out" ' new ')
diag "killed after $before deliveries; $(dovecot_count bob INBOX unseen) still unseen on the server"
ok $([ "$before" -gt 0 ] && [ "$before" -lt "$NFIX" ] && echo 0 || echo 1) "the kill landed half-way ($before of $NFIX)"
probe bob --store "$WORK/bob" --until "$NFIX" --run-ms 20000 >"$WORK/b2.out" 2>"$WORK/b2.err"
ok $? "the restarted probe finished"
# the probe prints a delivery after committing it: a kill between the two
# loses that line (not the message: the store is counted below)
nb=$(cat "$WORK/b1.out" "$WORK/b2.out" | grep -c ' new ')
ok "$([ "$nb" -eq "$NFIX" ] || [ "$nb" -eq $((NFIX - 1)) ] && echo 0 || echo 1)" \
	"$NFIX new deliveries over both runs ($nb lines; the kill may cut the last line of the first)"
is "$(ls "$WORK/bob/msgs" | grep -c "\.eml$")" "$NFIX" "the store holds $NFIX messages"
is "$(dovecot_count bob INBOX unseen)" 0 "every message is \\Seen after the restart"
diag "duplicates absorbed by the store after the kill: $(cat "$WORK/b1.out" "$WORK/b2.out" | grep -c ' dup ')"

# a crash right after a commit, before the flag: the next connection flags it
append_all erin
probe erin --store "$WORK/erin" --crash-after 5 --run-ms 20000 >"$WORK/e1.out" 2>"$WORK/e1.err"
is $? 9 "injected crash after the 5th commit"
is "$(dovecot_count erin INBOX unseen)" "$NFIX" "nothing flagged yet (flags follow the batch)"
probe erin --store "$WORK/erin" --until "$NFIX" --run-ms 20000 >"$WORK/e2.out" 2>"$WORK/e2.err"
is "$(cat "$WORK/e1.out" "$WORK/e2.out" | grep -c ' new ')" "$NFIX" "after the crash: $NFIX new deliveries in all"
is "$(lines "$WORK/e2.out" ' dup ')" 0 "no duplicate: the committed UIDs are not fetched again"
check "the restart finished flagging what was committed" grep -q "not yet flagged: finishing" "$WORK/e2.err"
is "$(dovecot_count erin INBOX unseen)" 0 "every message is \\Seen"

# --- 3. UIDVALIDITY reset: read again, no duplicate ------------------------
dovecot_reset_uidvalidity alice INBOX
ok $? "alice's INBOX recreated with a new UIDVALIDITY"
probe alice --store "$WORK/alice" --until-commits "$NFIX" --run-ms 20000 >"$WORK/a3.out" 2>"$WORK/a3.err"
ok $? "the probe read the recreated mailbox"
is "$(lines "$WORK/a3.out" '^uidvalidity_changed')" 1 "the change was reported once"
is "$(lines "$WORK/a3.out" ' dup ')" "$NFIX" "all $NFIX re-read messages were duplicates"
is "$(lines "$WORK/a3.out" ' new ')" 0 "no new message stored"
is "$(ls "$WORK/alice/msgs" | grep -c "\.eml$")" "$NFIX" "the store still holds $NFIX messages"
is "$(dovecot_count alice INBOX unseen)" 0 "the re-read messages are \\Seen"

# --- 4. IDLE: a new message within 1 s; restart of Dovecot; interrupt -------
$WRAP "$PROBE" "${IMAPS[@]}" --user carol --store "$WORK/carol" --step-ms -1 --run-ms 60000 \
	>"$WORK/c.out" 2>"$WORK/c.err" &
cpid=$!
PIDS="$PIDS $cpid"
wait_for "$WORK/c.err" "connected (IMAPS)" 50
ok $? "carol's poller connected"
check "the server offers IDLE and the poller uses it" grep -q "IDLE$" "$WORK/c.err"
worst=0
for k in 1 2 3; do
	sleep 0.5
	f=${FILES[$k]}
	t0=$(now_ms)
	dovecot_append carol "$f"
	ts=$(now_ms)
	wait_for "$WORK/c.out" "^deliver uid=$k " 50
	t1=$(grep "^deliver uid=$k " "$WORK/c.out" | sed 's/.* t=//')
	lat=$(( ${t1:-99999} - t0 ))
	diag "IDLE latency, message $k: $lat ms from the start of doveadm save to the commit" \
		"($(( ${t1:-99999} - ts )) ms after doveadm returned)"
	[ $lat -gt $worst ] && worst=$lat
done
ok $([ $worst -lt 1000 ] && echo 0 || echo 1) "IDLE: each new message delivered within 1 s (worst $worst ms)"

dovecot_restart
ok $? "dovecot restarted while the poller was in IDLE"
t0=$(now_ms)
dovecot_append carol "${FILES[4]}"
wait_for "$WORK/c.out" "^deliver uid=4 " 150
ok $? "after the restart the poller reconnected and took the next message"
t1=$(grep "^deliver uid=4 " "$WORK/c.out" | sed 's/.* t=//')
diag "restart: message taken $(( ${t1:-0} - t0 )) ms after the append"
is "$(grep -c 'connected (IMAPS)' "$WORK/c.err")" 2 "exactly one reconnection"

sleep 0.3
t0=$(now_ms)
kill -TERM $cpid
i=0
while [ $i -lt 50 ] && kill -0 $cpid 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
t1=$(now_ms)
ok $(kill -0 $cpid 2>/dev/null && echo 1 || echo 0) "SIGTERM in IDLE: imap_poller_interrupt woke it"
wait $cpid 2>/dev/null
ok $? "clean exit after the interrupt"
diag "stopped $((t1 - t0)) ms after SIGTERM"
check "status shows the IDLE session" grep -q "^status connected=1 .* idle=1" "$WORK/c.out"

# --- 5. certificates and host names: refused before login ------------------
logins=$(login_count alice)
$WRAP "$PROBE" --check --port "$DOVECOT_IMAPS_PORT" --tls imaps --user alice --password "$PW" >"$WORK/t1.out" 2>&1
is $? 1 "IMAPS without the private CA (system store): refused"
check "... with 'certificate verification failed'" grep -q "certificate verification failed: .*issuer is unknown" "$WORK/t1.out"
if getent hosts localhost >/dev/null 2>&1; then
	$WRAP "$PROBE" --check --host localhost --port "$DOVECOT_IMAPS_PORT" --tls imaps --ca "$DOVECOT_CA" \
		--user alice --password "$PW" >"$WORK/t2.out" 2>&1
	is $? 1 "wrong host name (localhost, not in the certificate): refused"
	check "... 'does not match'" grep -q "certificate verification failed: .*name in the certificate does not match" "$WORK/t2.out"
else
	# a bare root without /etc/hosts cannot resolve the name to try
	n=$((n + 1)); echo "ok $n # SKIP localhost does not resolve here (no /etc/hosts)"
	n=$((n + 1)); echo "ok $n # SKIP localhost does not resolve here (no /etc/hosts)"
fi
$WRAP "$PROBE" --check --port "$DOVECOT_IMAP_PORT" --tls starttls --user alice --password "$PW" >"$WORK/t3.out" 2>&1
is $? 1 "STARTTLS without the CA: refused"
check "... 'certificate verification failed'" grep -q "certificate verification failed" "$WORK/t3.out"
probe alice --store "$WORK/alice-nocert" --ca /dev/null --run-ms 1500 >"$WORK/t4.out" 2>&1
check "the poller with an empty CA file: a step error, no crash" grep -q "step error: certificate verification failed: cannot read CA file /dev/null" "$WORK/t4.out"
sleep 0.3
is "$(login_count alice)" "$logins" "no login was attempted on any refused connection"

$WRAP "$PROBE" --check --port "$DOVECOT_IMAPS_PORT" --tls imaps --ca "$DOVECOT_CA" --user alice --password "$PW" >"$WORK/t5.out" 2>&1
is $? 0 "IMAPS with the private CA: check ok"
$WRAP "$PROBE" --check --port "$DOVECOT_IMAP_PORT" --tls starttls --ca "$DOVECOT_CA" --user alice --password "$PW" >"$WORK/t6.out" 2>&1
is $? 0 "STARTTLS with the private CA: check ok"

# STARTTLS + AUTHENTICATE PLAIN, polling without IDLE
append_all heidi
$WRAP "$PROBE" --port "$DOVECOT_IMAP_PORT" --tls starttls --ca "$DOVECOT_CA" --user heidi --password "$PW" \
	--auth plain --no-idle --poll 1 --store "$WORK/heidi" --until "$NFIX" --run-ms 20000 \
	>"$WORK/h.out" 2>"$WORK/h.err"
ok $? "STARTTLS + AUTHENTICATE PLAIN + polling: all messages taken"
is "$(lines "$WORK/h.out" ' new ')" "$NFIX" "... each once"
check "... the session was STARTTLS, polling" grep -q "connected (STARTTLS).*polling" "$WORK/h.err"
check "... Dovecot saw TLS and AUTHENTICATE PLAIN" grep -q "Login: user=<heidi>, method=PLAIN.*TLS" "$DOVECOT_LOG"

# --- 6. wrong password: a clear error, no spinning -------------------------
fails_before=$(grep -c "auth failed" "$DOVECOT_LOG")
probe alice --password wrong-pass --store "$WORK/alice-badpw" --run-ms 4000 >"$WORK/p.out" 2>"$WORK/p.err"
check "wrong password: a clear error" grep -q "step error: LOGIN as alice .* failed: login refused: Authentication failed" "$WORK/p.out"
check "... logged as permanent, retried at the maximum backoff" grep -q "permanent; next attempt in 2[4-9][0-9] s\|permanent; next attempt in 3[0-5][0-9] s" "$WORK/p.err"
attempts=$(grep -o 'attempts=[0-9]*' "$WORK/p.out" | cut -d= -f2)
is "$attempts" 1 "one connection attempt in 4 s"
is "$(( $(grep -c "auth failed" "$DOVECOT_LOG") - fails_before ))" 1 "Dovecot saw one failed login"

# nothing listening: temporary, 1 s doubling (attempts at ~0, ~1, ~3 s)
deadport=$(dovecot__free_port)
$WRAP "$PROBE" --port "$deadport" --user alice --password "$PW" --store "$WORK/dead" --run-ms 4000 \
	>"$WORK/d.out" 2>"$WORK/d.err"
attempts=$(grep -o 'attempts=[0-9]*' "$WORK/d.out" | cut -d= -f2)
ok $([ "${attempts:-99}" -ge 2 ] && [ "${attempts:-99}" -le 4 ] && echo 0 || echo 1) \
	"connection refused: $attempts attempts in 4 s (exponential backoff)"
check "... with a clear error" grep -q "cannot connect to 127.0.0.1:$deadport: connection refused" "$WORK/d.out"

# --- 7. MOVE to a folder ---------------------------------------------------
for f in "${FILES[@]:0:5}"; do dovecot_append dave "$f"; done
probe dave --store "$WORK/dave" --move-to Processed --until 5 --run-ms 20000 >"$WORK/m.out" 2>"$WORK/m.err"
ok $? "move: 5 messages taken"
is "$(dovecot_count dave INBOX)" 0 "INBOX is empty"
is "$(dovecot_count dave Processed)" 5 "Processed holds the 5 messages"
is "$(dovecot_count dave Processed unseen)" 0 "... all \\Seen"
check "the folder was created on first use" grep -q "created folder Processed" "$WORK/m.err"

# --- 8. store full: not flagged, retried later -----------------------------
for f in "${FILES[@]:0:3}"; do dovecot_append frank "$f"; done
probe frank --store "$WORK/frank" --fail-deliver 2 --until 3 --run-ms 20000 >"$WORK/f.out" 2>"$WORK/f.err"
ok $? "store refusing twice: the messages are taken later"
is "$(lines "$WORK/f.out" 'refused (store full')" 2 "two refusals"
is "$(lines "$WORK/f.out" ' new ')" 3 "then each message once"
check "the refusal was logged with the retry" grep -q "the store did not take UID 1; not flagged; retry in" "$WORK/f.err"
is "$(dovecot_count frank INBOX unseen)" 0 "all \\Seen in the end"

# --- 9. a message over IMAP_MAX_MESSAGE_BYTES (50 MiB) is left alone ------
{
	printf 'From: big@example.org\r\nTo: list@example.org\r\nSubject: too big\r\n'
	printf 'Message-ID: <too-big@tagd.test>\r\n\r\n'
	yes 'a line of text that repeats until the message is larger than fifty MiB.' | head -c 53000000
} >"$WORK/big.eml"
dovecot_append ivan "$WORK/big.eml"
dovecot_append ivan "${FILES[0]}"
probe ivan --store "$WORK/ivan" --until 1 --run-ms 20000 >"$WORK/i.out" 2>"$WORK/i.err"
ok $? "oversized: the message after it was taken"
is "$(lines "$WORK/i.out" '^deliver uid=1 ')" 0 "the oversized message was not delivered"
check "... logged as over the limit" grep -q "UID 1 is 5[0-9]\{7\} bytes, over the limit of 52428800" "$WORK/i.err"
is "$(dovecot_count ivan INBOX keyword '$TagdTooBig' flagged unseen)" 1 "... left in the mailbox, \\Flagged, \$TagdTooBig, unseen"
probe ivan --store "$WORK/ivan" --run-ms 1500 >"$WORK/i2.out" 2>"$WORK/i2.err"
is "$(lines "$WORK/i2.out" '^deliver')" 0 "a restart delivers nothing more"
is "$(dovecot_count ivan INBOX unseen)" 1 "... and does not mark the oversized message \\Seen"
rm -f "$WORK/big.eml"

# --- 10. throughput ---------------------------------------------------------
BULK=1000
mkdir -p "$WORK/bulk"
awk -v n=$BULK -v out="$WORK/bulk" '
	FNR == 1 { nf++ }
	{ text[nf] = text[nf] $0 "\n" }
	END {
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/%05d.eml", out, i)
			t = text[(i - 1) % nf + 1]
			sub(/\n[Mm]essage-[Ii][Dd]:[^\n]*\n/, "\nMessage-ID: <bulk-" i "@tagd.test>\n", t)
			printf "%s", t > f
			close(f)
		}
	}' "${FILES[@]}"
dovecot_append_maildir grace "$WORK"/bulk/*.eml
bytes=$(cat "$WORK"/bulk/*.eml | wc -c)
t0=$(now_ms)
probe grace --store "$WORK/grace" --no-fsync --until $BULK --run-ms 60000 --step-ms 100 >"$WORK/g.out" 2>"$WORK/g.err"
ok $? "bulk: $BULK messages taken"
t1=$(now_ms)
is "$(lines "$WORK/g.out" ' new ')" $BULK "... each once"
is "$(dovecot_count grace INBOX unseen)" 0 "... all \\Seen"
first=$(grep '^deliver' "$WORK/g.out" | head -1 | sed 's/.* t=//')
last=$(grep '^deliver' "$WORK/g.out" | tail -1 | sed 's/.* t=//')
span=$((last - first))
[ $span -gt 0 ] || span=1
diag "throughput: $BULK messages ($((bytes / 1024)) KiB) in $span ms first-to-last commit:" \
	"$((BULK * 1000 / span)) msg/s, $((bytes / 1024 * 1000 / span)) KiB/s; whole run $((t1 - t0)) ms"

# --- 11. the whole run, as the server saw it ------------------------------
# every command our sessions sent after login (Dovecot's rawlog)
cat "$DOVECOT_DIR"/rawlog/*/*.in >"$WORK/commands" 2>/dev/null
ok $([ -s "$WORK/commands" ] && echo 0 || echo 1) "the server recorded the sessions' commands"
is "$(grep -c -E '^[0-9.]+ [^ ]+ EXPUNGE' "$WORK/commands")" 0 "never a plain EXPUNGE"
is "$(grep -c -E '^[0-9.]+ [^ ]+ (FETCH|STORE|COPY|MOVE|SEARCH) ' "$WORK/commands")" 0 "only UID commands touch messages"
is "$(grep -c -E 'BODY\[' "$WORK/commands")" 0 "bodies only with BODY.PEEK[] (the fetch itself sets no flag)"

# --- 12. a server without MOVE and IDLE: COPY + \Deleted + UID EXPUNGE, polling
dovecot_reconfigure 'protocol imap {
  imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES UIDPLUS CHILDREN NAMESPACE
}'
ok $? "dovecot restarted without MOVE and IDLE in CAPABILITY"
# a message left alone earlier (as an oversized one is), then marked \Deleted
# by a person: a plain EXPUNGE would remove it with the moved mail
dovecot_append judy "${FILES[0]}"
doveadm -c "$DOVECOT_CONF" flags add -u judy '\Deleted \Flagged $TagdTooBig' mailbox INBOX uid 1
v=$(doveadm -c "$DOVECOT_CONF" mailbox status -u judy uidvalidity INBOX | sed 's/.*uidvalidity=//')
mkdir -p "$WORK/judy"
echo "$v 1" >"$WORK/judy/state"
for f in "${FILES[@]:1:3}"; do dovecot_append judy "$f"; done
probe judy --store "$WORK/judy" --move-to Done --poll 1 --until 3 --run-ms 20000 >"$WORK/j.out" 2>"$WORK/j.err"
ok $? "fallback: the three new messages taken"
check "... by polling" grep -q "connected (IMAPS).*polling$" "$WORK/j.err"
is "$(dovecot_count judy Done)" 3 "... copied to Done"
is "$(dovecot_count judy INBOX)" 1 "... removed from INBOX by UID EXPUNGE, the \\Deleted bystander kept"
is "$(dovecot_count judy INBOX uid 1 deleted)" 1 "... the bystander is UID 1, still \\Deleted"
cat "$(dovecot_rawlog judy)"/*.in >"$WORK/judy.commands"
check "... with UID COPY" grep -q "UID COPY 2:4 Done" "$WORK/judy.commands"
check "... and UID EXPUNGE" grep -q "UID EXPUNGE 2:4" "$WORK/judy.commands"
is "$(grep -c ' MOVE \| IDLE' "$WORK/judy.commands")" 0 "... and neither MOVE nor IDLE"

echo "1..$n"
[ $failed -eq 0 ]
