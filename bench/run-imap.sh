#!/bin/sh
# run-imap.sh CORPUS N OUT - the IMAP and IDLE benchmarks against a throwaway
# Dovecot on 127.0.0.1 (tests/integration/lib-dovecot.sh), one JSON object
# per line on OUT:
#   load      N messages put in the mailbox (not timed against anyone)
#   mbsync    isync's mbsync pulls the mailbox into a Maildir (fetch only,
#             FSync no); then the messages are made unseen again
#   fetchmail fetchmail -k into a BSMTP file (fetch and flag \Seen); then unseen again
#   tagd      the daemon from its start until every message is processed
#             (stored, filtered, threaded, acknowledged, committed) and
#             flagged \Seen on the server; its sender sends the
#             acknowledgements meanwhile, as in production, through an
#             SMTP smarthost: Postfix's smtp-sink here ("acks": "smtp").
#             Without smtp-sink they go into the outbox Maildir
#             ("acks": "maildir"), 10,000 new files, and on this VM's
#             ext4 creating a file took up to 0.7 ms of kernel time
#             (find_inode_bit), the sender then using more CPU than fetch
#   rss       the idle daemon's RSS before and after
#   latency   bench/latency.py: 200 appends, each timed to its comment
#             stored (tagd over IDLE) and to the EXISTS a bare IDLE client
#             sees on the same mailbox; and 200 LMTP deliveries to tagd
# Plain IMAP on 127.0.0.1 for all three clients: the clients are measured,
# not the cipher. CORPUS is a gen-corpus.py directory made with --maildir.
# Needs TAGD_BUILDDIR, TAGD_SRCDIR, TAGD_TEMPLATE_DIR.
PYTHON3=${PYTHON3:-/usr/bin/python3}
corpus=$1
n=$2
out=$3
PY=/usr/bin/python3
: >"$out"
DOVECOT_USERS=bench
. "$TAGD_SRCDIR/tests/integration/lib-dovecot.sh"
tmp=$(mktemp -d /tmp/tagd-bench-imap.XXXXXX)
tagd_pid=
sink_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill "$tagd_pid" 2>/dev/null && wait "$tagd_pid" 2>/dev/null
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
	dovecot_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

emit() { echo "$1" >>"$out"; }
now_ns() { date +%s%N; }
unseen() { dovecot_count bench INBOX unseen; }

dovecot_start || exit 1
home=$DOVECOT_DIR/home/bench
owner=$(stat -c %u:%g "$home")

# ---- load: the corpus's Maildir files into the mailbox, indexed once ----
mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
t0=$(now_ns)
find "$corpus/maildir/new" -type f | sort | head -n "$n" | xargs cp -t "$home/Maildir/new"
chown -R "$owner" "$home/Maildir"
dovecot__adm mailbox status -u bench messages INBOX >/dev/null
t1=$(now_ns)
have=$(dovecot_count bench INBOX)
emit "{\"step\": \"load\", \"messages\": $have, \"seconds\": $(awk "BEGIN {printf \"%.4f\", ($t1 - $t0) / 1e9}")}"

# run_timed NAME CMD... - wall seconds and the process's peak RSS and CPU
run_timed() {
	name=$1
	shift
	"$PY" - "$name" "$@" >>"$out" <<'PY'
import json, os, subprocess, sys, time
name, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BENCH_ERR", "/dev/null"), "a"))
_, status, ru = os.wait4(p.pid, 0)
t = time.perf_counter() - t0
print(json.dumps({"step": name, "seconds": round(t, 4), "status": os.waitstatus_to_exitcode(status),
                  "cpu": round(ru.ru_utime + ru.ru_stime, 4), "peak_rss_kb": ru.ru_maxrss}))
PY
}
export BENCH_ERR="$tmp/errors.log"

# ---- mbsync: fetch only ----
if command -v mbsync >/dev/null 2>&1; then
mkdir -p "$tmp/mbsync"
cat >"$tmp/mbsyncrc" <<EOF
FSync no

IMAPAccount bench
Host 127.0.0.1
Port $DOVECOT_IMAP_PORT
User bench
Pass $DOVECOT_PASSWORD
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path $tmp/mbsync/
Inbox $tmp/mbsync/INBOX

Channel pull
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
Expunge None
SyncState *
EOF
run_timed mbsync mbsync -c "$tmp/mbsyncrc" -q pull
got=$(find "$tmp/mbsync/INBOX" -type f | wc -l)
emit "{\"step\": \"mbsync-check\", \"fetched\": $got, \"unseen_after\": $(unseen)}"
dovecot__adm flags remove -u bench '\Seen' mailbox INBOX all 2>/dev/null
fi

# ---- fetchmail: fetch and flag ----
if command -v fetchmail >/dev/null 2>&1; then
cat >"$tmp/fetchmailrc" <<EOF
set no syslog
poll 127.0.0.1 port $DOVECOT_IMAP_PORT protocol IMAP auth password
  user "bench" password "$DOVECOT_PASSWORD" is "bench" here
  keep no mimedecode no idle sslproto '' fetchlimit 0
EOF
chmod 600 "$tmp/fetchmailrc"
HOME=$tmp FETCHMAILHOME=$tmp run_timed fetchmail fetchmail -f "$tmp/fetchmailrc" -N -d0 --bsmtp "$tmp/fetchmail.bsmtp" --nosyslog
emit "{\"step\": \"fetchmail-check\", \"fetched\": $(grep -c '^MAIL FROM' "$tmp/fetchmail.bsmtp" 2>/dev/null || echo 0), \"unseen_after\": $(unseen)}"
dovecot__adm flags remove -u bench '\Seen' mailbox INBOX all 2>/dev/null
fi

# ---- tagd: fetch, process, commit, flag ----
state=$tmp/state
mkdir -p "$state"
printf '%s\n' "$DOVECOT_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
cat >"$tmp/tagd.conf" <<EOF
[tagd]
state_dir = $state
hostname = tags.example.org
template_dir = $TAGD_TEMPLATE_DIR
[maildir]
inbox =
[imap]
host = 127.0.0.1
port = $DOVECOT_IMAP_PORT
tls = none
user = bench
password_file = $tmp/imap.pass
[lmtp]
listen = $tmp/lmtp.sock
EOF
# the acknowledgements: to smtp-sink where it is installed (as to a smarthost)
acks=maildir
if command -v smtp-sink >/dev/null 2>&1; then
	sink_port=$(dovecot__free_port)
	if [ "$(id -u)" = 0 ]; then
		smtp-sink -u nobody "127.0.0.1:$sink_port" 1000 >/dev/null 2>&1 &
	else
		smtp-sink "127.0.0.1:$sink_port" 1000 >/dev/null 2>&1 &
	fi
	sink_pid=$!
	i=0
	while [ $i -lt 100 ] && ! dovecot__port_open "$sink_port"; do
		sleep 0.05
		i=$((i + 1))
	done
	if dovecot__port_open "$sink_port"; then
		acks=smtp
		printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\n' "$sink_port" >>"$tmp/tagd.conf"
	fi
fi
T() { "$TAGD_BUILDDIR/tagctl" -q -c "$tmp/tagd.conf" "$@"; }
T session create "$corpus/bench.session" >/dev/null &&
	T participant import bench "$corpus/participants.csv" >/dev/null &&
	T draft import bench "$corpus/draft.md" >/dev/null || exit 1
db=$state/tagd.db
t0=$(now_ns)
# the day before the session opens: no draft mailing to everyone, only the replies
mkdir -p "$state/mail/out"
"$TAGD_BUILDDIR/tagd" -c "$tmp/tagd.conf" --clock "2018-07-15 14:00" >"$tmp/tagd.log" 2>&1 &
tagd_pid=$!
"$PY" - "$db" "$have" "$DOVECOT_IMAP_PORT" "$DOVECOT_PASSWORD" >"$tmp/done.json" 2>>"$tmp/errors.log" <<'PY'
import imaplib, json, sqlite3, sys, time
db, n, port, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# the messages processed in tagd's database, every 50 ms; then the unseen
# count on the server, every 20 ms until it is 0 (STATUS: Dovecot answers
# from its index in milliseconds; asked all along, it rescanned the
# Maildir each time and took CPU from tagd)
imap = imaplib.IMAP4("127.0.0.1", port)
imap.login("bench", password)
t_end = time.time() + 900
done_at = flag_at = None
while time.time() < t_end and not done_at:
    try:
        c = sqlite3.connect(db, timeout=1)
        k = c.execute("SELECT count(*) FROM message WHERE state != 'new'").fetchone()[0]
        c.close()
    except sqlite3.Error:
        k = 0
    if k >= n:
        done_at = time.time()
        break
    time.sleep(0.05)
while done_at and time.time() < t_end:
    now = time.time()
    typ, data = imap.status("INBOX", "(UNSEEN)")
    if typ == "OK" and b"UNSEEN 0)" in data[0]:
        flag_at = now
        break
    time.sleep(0.02)
imap.logout()
print(json.dumps({"processed_at": done_at, "flagged_at": flag_at}))
PY
t_start=$(echo "$t0 / 1000000000" | bc -l)
rss_busy=$(awk '/VmHWM/ {print $2}' /proc/$tagd_pid/status 2>/dev/null)
"$PY" - "$t_start" "$have" "$db" "$rss_busy" "$tmp/done.json" "$acks" >>"$out" <<'PY'
import json, sqlite3, sys
t0, n, db, hwm = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
d = json.load(open(sys.argv[5]))
c = sqlite3.connect(db)
comments = c.execute("SELECT count(*) FROM comment").fetchone()[0]
classes = dict(c.execute("SELECT class, count(*) FROM message GROUP BY class").fetchall())
end = max(x for x in (d["processed_at"], d["flagged_at"]) if x) if d["processed_at"] else None
sent = c.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
print(json.dumps({"step": "tagd", "messages": n, "seconds": round(end - t0, 4) if end else None,
                  "acks": sys.argv[6], "acks_sent": sent,
                  "processed_s": round(d["processed_at"] - t0, 4) if d["processed_at"] else None,
                  "flagged_s": round(d["flagged_at"] - t0, 4) if d["flagged_at"] else None,
                  "comments": comments, "classes": classes, "peak_rss_kb": int(hwm or 0)}))
PY
sleep 2
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$tagd_pid/status 2>/dev/null)
emit "{\"step\": \"rss\", \"idle_after_kb\": ${rss_idle:-0}, \"peak_kb\": ${rss_busy:-0}}"

# ---- latency: IDLE (tagd and a bare IDLE client) and LMTP ----
# on a mailbox of a usual size: Dovecot rescans a Maildir of 10,000
# messages on every change, which is Dovecot's time, not the clients'
dovecot__adm expunge -u bench mailbox INBOX all 2>>"$tmp/errors.log"
sleep 2
"$PY" "$TAGD_SRCDIR/bench/latency.py" --db "$db" --doveadm-conf "$DOVECOT_CONF" --user bench \
	--password "$DOVECOT_PASSWORD" --port "$DOVECOT_IMAP_PORT" --lmtp "$tmp/lmtp.sock" \
	--participants "$corpus/participants.csv" --count "${BENCH_LATENCY_COUNT:-200}" >>"$out" 2>>"$tmp/errors.log"

kill "$tagd_pid" 2>/dev/null
wait "$tagd_pid" 2>/dev/null
tagd_pid=
[ -s "$tmp/errors.log" ] && sed 's/^/# /' "$tmp/errors.log" | tail -20 >&2
grep -E "error|warn" "$tmp/tagd.log" | head -5 | sed 's/^/# tagd: /' >&2
exit 0
