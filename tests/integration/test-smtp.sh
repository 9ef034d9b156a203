#!/bin/bash
# test-smtp.sh - src/net/smtp (libcurl) against tests/integration/smtpd.py on
# 127.0.0.1: connection reuse, STARTTLS/SMTPS/AUTH, per-recipient results,
# fault classes (4xx, 5xx, lost server, stall mid-DATA, crash), speed. TAP.
[ -n "$BASH_VERSION" ] || exec /bin/bash "$0" "$@"

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
PROBE="$top_builddir/tests/integration/smtp-probe"
. "$top_srcdir/tests/integration/lib-smtpd.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/tagd-smtp.XXXXXX")
SERVERS=
PROBE_PID=
cleanup() {
	[ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null
	for s in $SERVERS; do smtpd_stop "$T/$s"; done
	rm -rf "$T"
}
trap cleanup EXIT

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
check() { # check DESCRIPTION COMMAND...
	_desc=$1
	shift
	"$@"
	ok $? "$_desc"
}
is() { # is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	ok $? "$3"
	[ "$1" = "$2" ] || echo "#   got '$1', want '$2'"
}
# field OUTPUT MSGNO INDEX - field INDEX (1-based) of "msg MSGNO ..." in OUTPUT
field() {
	printf '%s\n' "$1" | awk -v m="$2" -v i="$3" '$1 == "msg" && $2 == m { print $i }'
}
# summary OUTPUT KEY
summary() {
	printf '%s\n' "$1" | sed -n "s/^summary.* $2=\([^ ]*\).*/\1/p"
}

if [ ! -x "$PROBE" ]; then
	echo "1..0 # SKIP smtp-probe not built"
	exit 0
fi

# --- plain server: 50 messages, one connection ---------------------------
S=$T/plain
SERVERS="plain"
smtpd_start "$S" || { echo "Bail out! smtpd.py does not start"; exit 1; }
URL="smtp://127.0.0.1:$(smtpd_port "$S")"

out=$("$PROBE" --url "$URL" --count 50 --quiet --save "$T/first.eml" one@rcpt.test)
is "$(summary "$out" sent)" 50 "50 messages on one client: all sent"
is "$(summary "$out" connects)" 1 "curl opened one connection for 50 messages (CURLINFO_NUM_CONNECTS)"
is "$(smtpd_state "$S" connections)" 1 "the server saw one connection"
is "$(smtpd_count "$S")" 50 "50 files in the Maildir"
ids=$(grep -h '^Message-ID:' "$S"/md/new/* | sort -u | wc -l)
is "$ids" 50 "each message arrived once (50 distinct Message-IDs)"
is "$(grep -l '^X-Envelope-To: <one@rcpt.test>' "$S"/md/new/* | wc -l)" 50 "envelope recipient kept"
f1=$(grep -l '^Message-ID: <probe\.[0-9]*\.1@' "$S"/md/new/*)
check "the stored message equals the one sent (dot lines survive)" \
	cmp -s <(sed '1,2d' "$f1") "$T/first.eml"

out=$("$PROBE" --url "$URL" --file "$top_srcdir/tests/data/smtp/dots.eml" dots@rcpt.test)
fd=$(grep -l '^X-Envelope-To: <dots@rcpt.test>' "$S"/md/new/*)
cmp -s <(sed '1,2d' "$fd") "$top_srcdir/tests/data/smtp/dots.eml"
ok $? "tests/data/smtp/dots.eml arrives byte for byte (dot lines, 8-bit, 998-octet line)"

# --- STARTTLS required, AUTH --------------------------------------------
smtpd_cert "$T"
CA="$T/tls/cert.pem"
S2=$T/tls
SERVERS="$SERVERS tls"
smtpd_start "$S2" --tls-cert "$CA" --tls-key "$T/tls/key.pem" --auth "tagd:pw-$$" ||
	echo "Bail out! TLS smtpd.py does not start"
URL2="smtp://127.0.0.1:$(smtpd_port "$S2")"
out=$("$PROBE" --url "$URL2" --starttls 2 --ca "$CA" --user tagd --password "pw-$$" --count 3 tls@rcpt.test)
is "$(summary "$out" sent)" 3 "STARTTLS required + AUTH: sent"
is "$(summary "$out" connects)" 1 "STARTTLS + AUTH once, then reused"
is "$(grep -l '^X-SMTP-Auth: tagd' "$S2"/md/new/* | wc -l)" 3 "the server saw AUTH as tagd for each message"
is "$(grep -l '^X-SMTP-TLS: yes' "$S2"/md/new/* | wc -l)" 3 "each message went over TLS"
out=$("$PROBE" --url "$URL2" --starttls 2 --ca "$CA" --user tagd --password wrong --debug tls@rcpt.test 2>"$T/debug.log")
is "$(field "$out" 1 4)/$(field "$out" 1 5)" "tempfail/535" "a wrong password is a temporary failure (535: fix the config, keep the mail)"
check "the password is never logged (debug on)" bash -c "! grep -q -e 'wrong' -e 'pw-$$' '$T/debug.log'"
check "AUTH lines are hidden in the debug log" grep -q 'AUTH <credentials>' "$T/debug.log"
out=$("$PROBE" --url "$URL2" --starttls 2 --user tagd --password "pw-$$" tls@rcpt.test)
is "$(field "$out" 1 4)" tempfail "a certificate not signed by a trusted CA: tempfail"
out=$("$PROBE" --url "$URL2" --starttls 2 --insecure --user tagd --password "pw-$$" tls@rcpt.test)
is "$(field "$out" 1 4)" sent "insecure_skip_verify accepts it (tests only)"
out=$("$PROBE" --url "$URL" --starttls 2 tls@rcpt.test)
is "$(field "$out" 1 4)" tempfail "STARTTLS required, server without STARTTLS: tempfail"
out=$("$PROBE" --url "$URL" --starttls 1 tls@rcpt.test)
is "$(field "$out" 1 4)" sent "STARTTLS if offered, server without it: sent in clear"

S3=$T/smtps
SERVERS="$SERVERS smtps"
smtpd_start "$S3" --smtps --tls-cert "$CA" --tls-key "$T/tls/key.pem" --auth "tagd:pw-$$"
out=$("$PROBE" --url "smtps://localhost:$(smtpd_port "$S3")" --ca "$CA" --user tagd --password "pw-$$" tls@rcpt.test)
is "$(field "$out" 1 4)" sent "smtps:// (implicit TLS) with AUTH: sent"
is "$(grep -l '^X-SMTP-TLS: yes' "$S3"/md/new/* 2>/dev/null | wc -l)" 1 "smtps message arrived encrypted"
smtpd_stop "$S3"

# --- per-recipient results -----------------------------------------------
smtpd_clear "$S"
smtpd_faults "$S" '{"rcpt": {"bad@rcpt.test": [550, "5.1.1 <bad@rcpt.test>: no such user"]}}'
out=$("$PROBE" --url "$URL" good1@rcpt.test bad@rcpt.test good2@rcpt.test)
is "$(field "$out" 1 4) $(field "$out" 2 4) $(field "$out" 3 4)" "sent permfail sent" \
	"550 for one recipient: PERMFAIL for that one only"
is "$(field "$out" 2 5)" 550 "its code is 550"
check "its text is the server's reply" bash -c "printf '%s' '$out' | grep -q '^msg 2 .* 550 5.1.1 <bad@rcpt.test>: no such user$'"
is "$(smtpd_count "$S")" 2 "the two good ones arrived"

for code in 451 452 421; do
	smtpd_faults "$S" "{\"rcpt\": {\"t@rcpt.test\": [$code, \"4.0.0 fault $code\"]}}"
	out=$("$PROBE" --url "$URL" t@rcpt.test ok@rcpt.test)
	is "$(field "$out" 1 4)/$(field "$out" 1 5)" "tempfail/$code" "RCPT $code: TEMPFAIL"
	is "$(field "$out" 2 4)" sent "the next message after RCPT $code is sent"
done
smtpd_faults "$S" '{"data": [451, "4.3.0 try later"]}'
out=$("$PROBE" --url "$URL" d@rcpt.test)
is "$(field "$out" 1 4)/$(field "$out" 1 5)/$(field "$out" 1 6)" "tempfail/451/ambiguous=0" "451 after the data: TEMPFAIL, not ambiguous"
smtpd_faults "$S" '{"data": [554, "5.7.1 rejected"]}'
out=$("$PROBE" --url "$URL" d@rcpt.test)
is "$(field "$out" 1 4)/$(field "$out" 1 5)" "permfail/554" "554 after the data: PERMFAIL"
smtpd_faults "$S" '{"mail": [550, "5.7.1 sender refused"]}'
out=$("$PROBE" --url "$URL" d@rcpt.test)
is "$(field "$out" 1 4)/$(field "$out" 1 5)" "permfail/550" "550 to MAIL FROM: PERMFAIL"
smtpd_faults "$S" '{}'
out=$("$PROBE" --url "$URL" 'bad<addr>@rcpt.test')
is "$(field "$out" 1 4)" permfail "an invalid recipient address: PERMFAIL without a connection"

# --- server goes away and comes back (one client throughout) ------------
mkfifo "$T/in" "$T/out"
"$PROBE" --url "$URL" --stdin <"$T/in" >"$T/out" &
PROBE_PID=$!
exec 3>"$T/in" 4<"$T/out"
ask() { # ask COMMAND - one answer line, 30 s at most
	echo "$1" >&3
	read -r -t 30 line <&4 || line="(no answer)"
	echo "$line"
}
r=$(ask "send a@rcpt.test")
is "$(echo "$r" | cut -d' ' -f4)" sent "stdin client: first message sent"
smtpd_stop "$S"
r=$(ask "send b@rcpt.test")
is "$(echo "$r" | cut -d' ' -f4)/$(echo "$r" | cut -d' ' -f5)" "tempfail/0" "server stopped: TEMPFAIL, code 0"
ms=$(echo "$r" | sed -n 's/.* ms=\([0-9]*\) .*/\1/p')
check "... and quickly (${ms} ms: connection refused)" test "${ms:-99999}" -lt 2000
smtpd_start "$S"
r=$(ask "send c@rcpt.test")
is "$(echo "$r" | cut -d' ' -f4) $(echo "$r" | cut -d' ' -f7)" "sent connects=1" "server restarted: sent on a new connection"
r=$(ask "close")
is "$r" closed "smtp_client_close"
r=$(ask "send d@rcpt.test")
is "$(echo "$r" | cut -d' ' -f4) $(echo "$r" | cut -d' ' -f7)" "sent connects=1" "after close the next send reconnects"
echo quit >&3
exec 3>&- 4<&-
wait "$PROBE_PID"
PROBE_PID=

# --- idle connections -----------------------------------------------------
S4=$T/idle
SERVERS="$SERVERS idle"
smtpd_start "$S4" --idle-timeout 1
URL4="smtp://127.0.0.1:$(smtpd_port "$S4")"
mkfifo "$T/in4" "$T/out4"
"$PROBE" --url "$URL4" --max-idle 30 --stdin <"$T/in4" >"$T/out4" &
PROBE_PID=$!
exec 3>"$T/in4" 4<"$T/out4"
r=$(ask "send a@rcpt.test")
sleep 2
r=$(ask "send b@rcpt.test")
is "$(echo "$r" | cut -d' ' -f4) $(echo "$r" | cut -d' ' -f7)" "sent connects=1" \
	"the server dropped the idle connection: retried at once on a new one, sent"
echo quit >&3
exec 3>&- 4<&-
wait "$PROBE_PID"
PROBE_PID=
mkfifo "$T/in5" "$T/out5"
"$PROBE" --url "$URL" --max-idle 1 --stdin <"$T/in5" >"$T/out5" &
PROBE_PID=$!
exec 3>"$T/in5" 4<"$T/out5"
r=$(ask "send a@rcpt.test")
r=$(ask "send b@rcpt.test")
is "$(echo "$r" | cut -d' ' -f7)" "connects=0" "within max_idle_s the connection is reused"
sleep 2.2
r=$(ask "send c@rcpt.test")
is "$(echo "$r" | cut -d' ' -f4) $(echo "$r" | cut -d' ' -f7)" "sent connects=1" "idle longer than max_idle_s: a new connection"
echo quit >&3
exec 3>&- 4<&-
wait "$PROBE_PID"
PROBE_PID=

# --- stall mid-DATA: the server takes the message but does not answer ----
smtpd_clear "$S"
smtpd_faults "$S" '{"stall_data": 6}'
out=$("$PROBE" --url "$URL" --timeout 2 s@rcpt.test)
is "$(field "$out" 1 4)/$(field "$out" 1 6)" "tempfail/ambiguous=1" "stall after the data: TEMPFAIL, flagged ambiguous"
ms=$(field "$out" 1 8 | sed 's/ms=//')
check "... within the timeout (2 s; took ${ms} ms)" test "${ms:-99999}" -lt 4000
is "$(smtpd_count "$S")" 1 "... and the server did store it (why ambiguous matters)"
smtpd_faults "$S" '{}'

# --- crash after N messages (counted from the server's start) -----------
smtpd_stop "$S"
smtpd_clear "$S"
smtpd_start "$S"
smtpd_faults "$S" '{"crash_after": 2}'
out=$("$PROBE" --url "$URL" --timeout 5 --count 4 c@rcpt.test)
is "$(field "$out" 1 4) $(field "$out" 2 4)" "sent sent" "crash after 2: the first two sent"
is "$(field "$out" 3 4)/$(field "$out" 3 6)" "tempfail/ambiguous=1" "the third: connection lost after the data, ambiguous"
is "$(field "$out" 4 4)/$(field "$out" 4 5)/$(field "$out" 4 6)" "tempfail/0/ambiguous=0" "the fourth: refused, not ambiguous"
wait "$(cat "$S/pid")"
is $? 3 "the server is gone (exit status 3: the crash fault)"
is "$(smtpd_count "$S")" 2 "two messages in the Maildir"
rm -f "$S/pid"

# --- speed: 2,000 small messages over one connection --------------------
smtpd_clear "$S"
smtpd_start "$S" --no-fsync
out=$("$PROBE" --url "$URL" --count 2000 --quiet --size 300 speed@rcpt.test)
is "$(summary "$out" sent)/$(summary "$out" connects)" "2000/1" "2,000 messages sent on one connection"
is "$(smtpd_count "$S")" 2000 "2,000 files in the Maildir"
echo "# 2,000 messages of ~400 bytes in $(summary "$out" seconds) s: $(summary "$out" rate) msg/s (bounded by smtpd.py: aiosmtpd, one file per message)"

echo "1..$n"
[ "$failed" -eq 0 ]
