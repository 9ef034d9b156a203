#!/bin/bash
# test-lmtp.sh - src/net/lmtp served by lmtp-probe, driven by real LMTP
# clients: Python's smtplib.LMTP and swaks --protocol LMTP, over TCP on
# 127.0.0.1 and over a UNIX socket. Per-recipient replies, stored bytes,
# size limit, pipelining, many clients at once with a stalled one. TAP.
[ -n "$BASH_VERSION" ] || exec /bin/bash "$0" "$@"

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
PROBE="$top_builddir/tests/integration/lmtp-probe"
: "${PYTHON3:=/usr/bin/python3}"
[ -x "$PYTHON3" ] || PYTHON3=/usr/bin/python3

T=$(mktemp -d "${TMPDIR:-/tmp}/tagd-lmtp.XXXXXX")
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

n=0
failed=0
ok() { # ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
is() { # is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	ok $? "$3"
	[ "$1" = "$2" ] || printf '#   got  %s\n#   want %s\n' "$1" "$2"
}

if [ ! -x "$PROBE" ]; then
	echo "1..0 # SKIP lmtp-probe not built"
	exit 0
fi
if ! "$PYTHON3" -c 'import smtplib' 2>/dev/null; then
	echo "1..0 # SKIP no python3"
	exit 0
fi

# start_probe NAME LISTEN [options] - start lmtp-probe, wait until it listens
start_probe() {
	_name=$1
	_listen=$2
	shift 2
	mkdir -p "$T/$_name"
	"$PROBE" --listen "$_listen" --dir "$T/$_name" --addr-file "$T/$_name.addr" \
		--max-seconds 120 "$@" 2>"$T/$_name.log" &
	PIDS="$PIDS $!"
	eval "PID_$_name=$!"
	for _i in $(seq 100); do
		[ -s "$T/$_name.addr" ] && return 0
		sleep 0.05
	done
	echo "Bail out! lmtp-probe did not start: $(cat "$T/$_name.log")"
	exit 1
}

# the Python client: one function per check, each prints its findings
cat >"$T/client.py" <<'EOF'
import smtplib, socket, sys, time, os

def connect(addr):
    if addr.startswith("/"):
        return smtplib.LMTP(addr, timeout=20)
    host, port = addr.rsplit(":", 1)
    return smtplib.LMTP(host, int(port), timeout=20)

def message(extra=b""):
    return (b"From: Sender <s@y.test>\r\nTo: list@x.test\r\nSubject: LMTP \xc3\xa9t\xc3\xa9\r\n"
            b"Message-ID: <lmtp-test@y.test>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n"
            b"Paragraph one.\r\n.\r\n..\r\n.leading dot\r\n...three\r\n \r\n" + extra +
            b"\xe2\x80\x94 end\r\n")

def per_rcpt(addr, out, rcpts, msg, mail_opts=()):
    """MAIL, RCPTs, DATA; then one reply per accepted recipient (RFC 2033)"""
    s = connect(addr)
    code, _ = s.ehlo_or_helo_if_needed() or (None, None)
    code, text = s.mail("s@y.test", list(mail_opts))
    print("MAIL %d" % code)
    if code != 250:
        s.quit()
        return
    accepted = []
    for r in rcpts:
        code, text = s.rcpt(r)
        print("RCPT %s %d" % (r, code))
        if code == 250:
            accepted.append(r)
    if not accepted:
        s.quit()
        return
    # smtplib's data() reads one reply; read the others ourselves
    code, text = s.data(msg)
    print("DATA %s %d %s" % (accepted[0], code, text.decode()))
    for r in accepted[1:]:
        code, text = s.getreply()
        print("DATA %s %d %s" % (r, code, text.decode()))
    s.quit()
    if out:
        with open(out, "wb") as f:
            f.write(msg)

def lhlo(addr):
    s = connect(addr)
    code, text = s.ehlo()
    print("LHLO %d" % code)
    for k in sorted(s.esmtp_features):
        print("EXT %s %s" % (k, s.esmtp_features[k]))
    s.quit()

def pipelined(addr):
    """everything up to DATA in one write, then the data and QUIT in one"""
    host, port = addr.rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=20)
    f = c.makefile("rb")
    def reply():
        lines = []
        while True:
            l = f.readline()
            if not l:
                return "(closed)"
            lines.append(l.decode().rstrip())
            if len(l) < 4 or l[3:4] != b"-":
                return lines[-1]
    print("GREETING " + reply())
    c.sendall(b"LHLO pipe.test\r\nMAIL FROM:<p@y.test>\r\nRCPT TO:<pa@x.test>\r\n"
              b"RCPT TO:<unknown@x.test>\r\nRCPT TO:<pb@x.test>\r\nDATA\r\n")
    for i in range(6):
        print("R " + reply())
    c.sendall(b"Subject: pipelined\r\n\r\n.x\r\n.\r\nQUIT\r\n")
    for i in range(3):
        print("R " + reply())
    print("R " + reply())

def crowd(addr, nclients):
    """nclients connections at once, interleaved; one stalls mid-DATA and
    the others must all be answered meanwhile"""
    host, port = addr.rsplit(":", 1)
    socks = []
    for i in range(nclients + 1):
        c = socket.create_connection((host, int(port)), timeout=20)
        socks.append((c, c.makefile("rb")))
    def reply(f):
        while True:
            l = f.readline()
            if not l or len(l) < 4 or l[3:4] != b"-":
                return l.decode().rstrip()
    for c, f in socks:
        reply(f)
    stalled, sf = socks[0]
    stalled.sendall(b"LHLO s\r\nMAIL FROM:<s@y.test>\r\nRCPT TO:<stalled@x.test>\r\nDATA\r\n")
    for i in range(4):
        reply(sf)
    stalled.sendall(b"Subject: stalled\r\n\r\nhalf of it")
    for i, (c, f) in enumerate(socks[1:]):
        c.sendall(b"LHLO c\r\nMAIL FROM:<c@y.test>\r\nRCPT TO:<crowd%d@x.test>\r\nDATA\r\n" % i)
    good = 0
    t0 = time.monotonic()
    for i, (c, f) in enumerate(socks[1:]):
        for k in range(4):
            reply(f)
        c.sendall(b"Subject: crowd %d\r\n\r\nhello\r\n.\r\n" % i)
    for i, (c, f) in enumerate(socks[1:]):
        if reply(f).startswith("250 2.0.0"):
            good += 1
        c.sendall(b"QUIT\r\n")
        reply(f)
    print("CROWD %d of %d in %.2f s" % (good, nclients, time.monotonic() - t0))
    stalled.sendall(b" and the rest\r\n.\r\n")
    print("STALLED " + reply(sf))

cmd = sys.argv[1]
if cmd == "per_rcpt":
    addr, out, size = sys.argv[2], sys.argv[3], int(sys.argv[4])
    opts = sys.argv[6:] if len(sys.argv) > 6 else []
    extra = b"".join(b"%06d padding line for a larger message\r\n" % i for i in range(size // 44))
    per_rcpt(addr, out, sys.argv[5].split(","), message(extra), opts)
elif cmd == "per_rcpt_file":
    with open(sys.argv[4], "rb") as f:
        per_rcpt(sys.argv[2], sys.argv[3], sys.argv[5].split(","), f.read())
elif cmd == "lhlo":
    lhlo(sys.argv[2])
elif cmd == "pipelined":
    pipelined(sys.argv[2])
elif cmd == "crowd":
    crowd(sys.argv[2], int(sys.argv[3]))
EOF
client() { "$PYTHON3" "$T/client.py" "$@"; }
# stored NAME RCPT - the file the probe stored for RCPT (the newest)
stored() { ls "$T/$1"/*."$2" 2>/dev/null | tail -1; }

start_probe tcp 127.0.0.1:0 --max-size 100000
ADDR=$(cat "$T/tcp.addr")

# --- LHLO ----------------------------------------------------------------
out=$(client lhlo "$ADDR")
for ext in "PIPELINING " "ENHANCEDSTATUSCODES " "8BITMIME " "SIZE 100000"; do
	printf '%s\n' "$out" | grep -qx "EXT $(echo "$ext" | tr A-Z a-z)"
	ok $? "smtplib.LMTP: LHLO advertises $ext"
done

# --- per-recipient replies, stored bytes ---------------------------------
out=$(client per_rcpt "$ADDR" "$T/sent.eml" 0 "a@x.test,unknown@x.test,full@x.test,b@x.test")
is "$(printf '%s\n' "$out" | grep '^RCPT' | tr '\n' ' ')" \
	"RCPT a@x.test 250 RCPT unknown@x.test 550 RCPT full@x.test 250 RCPT b@x.test 250 " \
	"smtplib.LMTP: RCPT replies (550 for unknown)"
is "$(printf '%s\n' "$out" | grep '^DATA' | cut -d' ' -f2,3 | tr '\n' ' ')" \
	"a@x.test 250 full@x.test 452 b@x.test 250 " \
	"smtplib.LMTP: one reply per accepted recipient after DATA: 250, 452 (store full), 250"
cmp -s "$(stored tcp a@x.test)" "$T/sent.eml"
ok $? "the stored bytes equal the message sent (dot lines unstuffed, 8-bit kept)"
cmp -s "$(stored tcp b@x.test)" "$T/sent.eml"
ok $? "the second recipient's copy too"
is "$(cat "$(stored tcp a@x.test).from")" "s@y.test" "the envelope sender reached the callback"

client per_rcpt_file "$ADDR" "" "$top_srcdir/tests/data/smtp/dots.eml" "dots@x.test" >/dev/null
cmp -s "$(stored tcp dots@x.test)" "$top_srcdir/tests/data/smtp/dots.eml"
ok $? "tests/data/smtp/dots.eml stored byte for byte"

# --- size limit ----------------------------------------------------------
out=$(client per_rcpt "$ADDR" "" 150000 "big1@x.test,big2@x.test")
is "$(printf '%s\n' "$out" | grep '^DATA' | cut -d' ' -f2,3 | tr '\n' ' ')" \
	"big1@x.test 552 big2@x.test 552 " "a message over the size limit: 552 for each recipient"
is "$(ls "$T/tcp" | grep -c big)" 0 "... and nothing stored"
out=$(client per_rcpt "$ADDR" "" 150000 "big1@x.test" "SIZE=150400")
is "$(printf '%s\n' "$out" | head -1)" "MAIL 552" "MAIL FROM with SIZE= over the limit: 552 at once"

# --- swaks ------------------------------------------------------------------
sw=$(swaks --protocol LMTP --server 127.0.0.1 --port "${ADDR##*:}" --from sw@y.test \
	--to sw1@x.test,unknown@x.test,full@x.test,sw2@x.test --timeout 20 </dev/null 2>&1)
printf '%s\n' "$sw" | grep -q '^<\*\* *550 5.1.1 <unknown@x.test>'
ok $? "swaks: 550 5.1.1 for the unknown recipient"
is "$(printf '%s\n' "$sw" | grep -E '^<(-|\*\*) +(250 2.0.0|452)' | sed 's/^<[-*]* *//' | cut -d' ' -f1,3 | tr '\n' ' ')" \
	"250 <sw1@x.test> 452 <full@x.test> 250 <sw2@x.test> " "swaks: per-recipient replies after the data"
[ -n "$(stored tcp sw1@x.test)" ] && [ -n "$(stored tcp sw2@x.test)" ]
ok $? "swaks: both copies stored"
sw=$(swaks --protocol LMTP --pipeline --server 127.0.0.1 --port "${ADDR##*:}" --from sw@y.test \
	--to pipe1@x.test,pipe2@x.test --timeout 20 </dev/null 2>&1)
is "$(printf '%s\n' "$sw" | grep -cE '^<- +250 2.0.0 <pipe[12]@x.test>')" 2 "swaks --pipeline: both delivered"

# --- pipelining by hand ------------------------------------------------------
out=$(client pipelined "$ADDR")
is "$(printf '%s\n' "$out" | cut -c1-9 | tr '\n' '|')" \
	"GREETING |R 250 SIZ|R 250 2.1|R 250 2.1|R 550 5.1|R 250 2.1|R 354 Sta|R 250 2.0|R 250 2.0|R 221 2.0|R (closed|" \
	"everything pipelined: replies in order, one per accepted recipient, QUIT after the data, then closed"
printf 'Subject: pipelined\r\n\r\nx\r\n' >"$T/pipe.want"
cmp -s "$(stored tcp pa@x.test)" "$T/pipe.want"
ok $? "pipelined message stored unstuffed"

# --- many clients, one stalled mid-DATA ------------------------------------
out=$(client crowd "$ADDR" 40)
is "$(printf '%s\n' "$out" | sed -n 's/^CROWD \([0-9]*\) of \([0-9]*\).*/\1\/\2/p')" "40/40" \
	"40 clients at once while one stalls mid-DATA: all answered"
printf '%s\n' "$out" | grep '^CROWD' | sed 's/^/# /'
is "$(printf '%s\n' "$out" | sed -n 's/^STALLED \(.\{9\}\).*/\1/p')" "250 2.0.0" "the stalled client finishes later"
is "$(ls "$T/tcp" | grep -c '^[0-9]*\.crowd[0-9]*@x.test$')" 40 "40 crowd messages stored"

# --- UNIX socket -------------------------------------------------------------
SOCK="$T/lmtp.sock"
start_probe unix "$SOCK"
is "$(cat "$T/unix.addr")" "$SOCK" "listening on a UNIX socket"
out=$(client per_rcpt "$SOCK" "$T/sent2.eml" 0 "u1@x.test,unknown@x.test,full@x.test")
is "$(printf '%s\n' "$out" | grep -E '^(RCPT|DATA)' | cut -d' ' -f1-3 | tr '\n' ' ')" \
	"RCPT u1@x.test 250 RCPT unknown@x.test 550 RCPT full@x.test 250 DATA u1@x.test 250 DATA full@x.test 452 " \
	"smtplib.LMTP over the UNIX socket: per-recipient replies"
cmp -s "$(stored unix u1@x.test)" "$T/sent2.eml"
ok $? "UNIX socket: stored bytes equal"
sw=$(swaks --protocol LMTP --socket "$SOCK" --from sw@y.test --to us@x.test --timeout 20 </dev/null 2>&1)
printf '%s\n' "$sw" | grep -qE '^<- +250 2.0.0 <us@x.test>'
ok $? "swaks over the UNIX socket"
kill -TERM "$PID_unix"
wait "$PID_unix"
ok $? "SIGTERM: lmtp-probe exits cleanly"
[ ! -e "$SOCK" ]
ok $? "... and removes its socket"

kill -TERM "$PID_tcp"
wait "$PID_tcp"
ok $? "TCP lmtp-probe exits cleanly"
PIDS=

echo "1..$n"
[ "$failed" -eq 0 ]
