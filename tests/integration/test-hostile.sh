#!/bin/sh
# test-hostile - hostile input through the real paths, as tagctl and tagd
# take it:
# - header injection: names with CR/LF + "Bcc:", NUL-like control
#   characters and over-long values, from a participants CSV, tagctl
#   participant add, a contacts CSV (tagctl invite), the From name and the
#   short form of a join request (and its confirmation), and comments whose
#   subject and sender name hold CR/LF. Every queued mail (`tagctl outbox
#   show`) is read with Python's email package: only the headers tagd
#   writes, one recipient (the outbox row's), lines of at most 998 octets;
# - comment text with <script> and <img onerror> is escaped in every HTML
#   part (acknowledgements, relays, digests, the draft mail) and in the
#   HTML export;
# - secrets: the IMAP and SMTP passwords never show in tagd's debug log
#   (tagd -v all against a fake server that refuses them), in
#   --check-connections' errors or in --dump-config; nor does the token key;
# - started as root, tagd runs as [tagd] user (a user tagdtest made here);
#   it refuses a world-writable state directory or database.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-hostile.XXXXXX)
tagd_pid=
fake_pid=
cleanup() {
	[ -n "$tagd_pid" ] && kill -9 "$tagd_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "" EXIT
chmod 755 "$tmp"
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state"
chmod 750 "$state"
cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org

[maildir]
inbox =

[http]
listen =
CONF
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }
NOW="2018-07-17 14:00"
SCRIPT='<script>alert(1)</script><img src=x onerror=alert(2)>'
CRLF_NAME=$(printf 'Eve\r\nBcc: victim@x.example')
LONG=$("$PYTHON3" -c 'print("A" * 5000)')

T session create "$fix/prof-learning.session" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session and draft set up"

# ---- a config line longer than the INI reader takes: refused, its tail
# never read as a setting of its own
"$PYTHON3" - "$fix/prof-learning.session" "$tmp/long.session" "$tmp/long.conf" <<'PY'
import sys
s = open(sys.argv[1]).read()
goal = "goal = Identify entry points "
goal += "x" * (199 - len(goal))
s = s.replace("goal = Identify entry points and strategies at multiple levels of practice",
              goal + "goal = EVIL-TAIL <evil@evil.example>")
open(sys.argv[2], "w").write(s)
open(sys.argv[3], "w").write("[tagd]\nhostname = " + "h" * (199 - 11) + "user = root\n")
PY
T session create "$tmp/long.session" >"$tmp/long.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "long.session:18: line longer than" "$tmp/long.out"
ok $? "a session file with a 228-byte line is refused, naming the line (exit $rc)"
if T session show prof-learning --json 2>/dev/null | grep -q EVIL-TAIL; then ok 1 "the line's tail set nothing"; else ok 0 "the line's tail set nothing"; fi
"$TAGD" --check-config -c "$tmp/long.conf" >"$tmp/long-conf.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "long.conf:2: line longer than" "$tmp/long-conf.out" && ! grep -q "user" "$tmp/long-conf.out"
ok $? "so is a tagd.conf line whose tail would read 'user = root' (exit $rc)"

# ---- names from a participants CSV and from tagctl participant add
printf 'email,name,organization,role,years_experience\r\n' >"$tmp/people.csv"
printf 'eve.crlf@example.org,"Eve\r\nBcc: victim@x.example",Org,Teacher,3\r\n' >>"$tmp/people.csv"
printf 'lou.lf@example.org,"Lou\nCc: victim2@x.example\nX-Evil: 1",Org,Teacher,3\r\n' >>"$tmp/people.csv"
printf 'nul.ctl@example.org,"Nul\001Byte\033[0m\177",Org,Teacher,3\r\n' >>"$tmp/people.csv"
printf 'long.name@example.org,"%s\r\nBcc: victim@x.example",Org,Teacher,3\r\n' "$LONG" >>"$tmp/people.csv"
printf 'nul.real@example.org,"Real\000Nul\r\nBcc: victim@x.example",Org,Teacher,3\r\n' >>"$tmp/people.csv"
T participant import prof-learning "$tmp/people.csv" >"$tmp/import.out" 2>&1
ok $? "a participants CSV with CR/LF, NUL and other control characters, a 5000-character name is imported"
T participant add prof-learning reader@example.org --name "$CRLF_NAME" --mode each >/dev/null
ok $? "tagctl participant add takes a name with CR/LF (a reader of each comment)"
T participant add prof-learning b.okafor@gmail.example.com --name "Bola Okafor" --mode each >/dev/null
is "$(T participant list prof-learning --json | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
	"7" "seven participants"

# ---- comments: subject and sender name with CR/LF, text with markup
# mail FILE FROM_ADDR SUBJECT_ENCODED BODY [EXTRA_HEADER]
mail() {
	{
		printf 'From: =?utf-8?q?Evil=0D=0ABcc:_victim@x.example?= <%s>\r\n' "$2"
		printf 'To: tag-prof-learning@tags.example.org\r\n'
		printf 'Subject: %s\r\n' "$3"
		printf 'Message-ID: <%s@example.org>\r\n' "$(basename "$1" .eml)"
		printf 'Date: Tue, 17 Jul 2018 09:00:00 -0400\r\n'
		[ -n "${5:-}" ] && printf '%s\r\n' "$5"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' "$4"
	} >"$1"
}
mail "$tmp/c1.eml" eve.crlf@example.org '=?utf-8?q?Re:_draft=0D=0ABcc:_victim@x.example?=' \
	"$(printf '\302\2663: %s is my comment.' "$SCRIPT")"
mail "$tmp/c2.eml" lou.lf@example.org '=?utf-8?b?UmU6IGRyYWZ0CkNjOiB2aWN0aW0yQHguZXhhbXBsZQ==?=' \
	"$SCRIPT on the draft as a whole, from Lou."
mail "$tmp/c3.eml" nul.ctl@example.org '=?utf-8?q?nul=00byte=01?=' \
	"$(printf '\302\2665: %s says the control characters.' "$SCRIPT")"
mail "$tmp/c4.eml" long.name@example.org "Re: $("$PYTHON3" -c 'print("word " * 3000)')" \
	"$SCRIPT a general comment from the one with the long name."
T --clock "$NOW" inject --json "$tmp/c1.eml" "$tmp/c2.eml" "$tmp/c3.eml" "$tmp/c4.eml" >"$tmp/inject.json" 2>"$tmp/inject.err"
ok $? "the four comments are taken"
is "$(grep -c '"class":"comment"' "$tmp/inject.json")" "4" "each gives comments"

# ---- a join request: From name and short-form name with CR/LF
{
	printf 'From: =?utf-8?q?New=0D=0ABcc:_victim@x.example?= <new.person@school.example.org>\r\n'
	printf 'To: tag-prof-learning+join@tags.example.org\r\n'
	printf 'Subject: =?utf-8?q?join=0D=0ABcc:_victim@x.example?=\r\n'
	printf 'Message-ID: <join-1@school.example.org>\r\nDate: Tue, 17 Jul 2018 09:00:00 -0400\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
	printf 'join\r\n\r\nName: Newt=0D=0ABcc: victim@x.example=00\r\nOrganization: School=0ACc: v3@x.example\r\n'
	printf 'Role: Teacher\r\nYears of experience: 5\r\n'
} >"$tmp/join.eml"
T --clock "$NOW" inject --json "$tmp/join.eml" >"$tmp/join.json" 2>>"$tmp/inject.err"
like "$tmp/join.json" '"command":"join"' "a join request whose names carry CR/LF is a join command"
confirm=$(T outbox --json | "$PYTHON3" -c '
import json,sys
for o in json.load(sys.stdin):
    if o["recipient"] == "new.person@school.example.org": print(o["id"]); break')
[ -n "$confirm" ]
ok $? "a confirmation request is queued for the sign-up"
if [ -n "$confirm" ]; then
	T outbox show "$confirm" >"$tmp/confirm.eml"
	addr=$("$PYTHON3" -c '
import email,email.policy,re,sys
m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default)
t=(m.get("Reply-To") or "")+" "+m.get_body(("plain",)).get_content()
r=re.search(r"tag-prof-learning\+confirm-[A-Za-z0-9.-]+@tags\.example\.org", t)
print(r.group(0) if r else "")' "$tmp/confirm.eml")
	{
		printf 'From: New <new.person@school.example.org>\r\nTo: %s\r\nSubject: Re: confirm\r\n' "$addr"
		printf 'Message-ID: <join-2@school.example.org>\r\nDate: Tue, 17 Jul 2018 10:00:00 -0400\r\n\r\nyes\r\n'
	} >"$tmp/join2.eml"
	T --clock "$NOW" inject --json "$tmp/join2.eml" >"$tmp/join2.json" 2>>"$tmp/inject.err"
fi
is "$(T participant list prof-learning --json | "$PYTHON3" -c '
import json,sys
print(sum(1 for p in json.load(sys.stdin) if p["email"] == "new.person@school.example.org" and p["status"] == "active"))')" \
	"1" "the confirmed sign-up is a participant (welcome mail queued)"

# ---- invitations to a contacts CSV with hostile names
printf 'email,name,organization,role,years_experience\n"inv.crlf@example.org","Ivy\r\nBcc: victim@x.example",O,R,3\n' \
	>"$tmp/contacts.csv"
printf 'inv.long@example.org,"%s",O,R,3\n' "$LONG$LONG" >>"$tmp/contacts.csv"
T invite prof-learning "$tmp/contacts.csv" >/dev/null 2>>"$tmp/inject.err"
ok $? "tagctl invite takes the contacts"

# ---- the week: the draft at the opening, relays, Tuesday's digest
"$TAGD" -c "$tmp/tagd.conf" --once --clock "2018-07-17 21:30" >"$tmp/tagd-week.log" 2>&1
ok $? "tagd --once runs the schedule up to Tuesday's digest"
[ -s "$tmp/inject.err" ] && sed 's/^/# stderr: /' "$tmp/inject.err" | head -10
if grep -q "not queued" "$tmp/inject.err" "$tmp/tagd-week.log"; then
	ok 1 "every mail to a hostile name is queued (none refused by compose)"
	grep "not queued" "$tmp/inject.err" "$tmp/tagd-week.log" | sed 's/^/#   /' | head -5
else
	ok 0 "every mail to a hostile name is queued (none refused by compose)"
fi

# ---- every queued mail, read as a mail client would
T outbox --json >"$tmp/outbox.json"
mkdir -p "$tmp/out"
"$PYTHON3" -c '
import json,sys
for o in json.load(open(sys.argv[1])): print(o["id"], o["kind"], o["recipient"])' "$tmp/outbox.json" >"$tmp/list"
while read -r id kind rcpt; do
	T outbox show "$id" >"$tmp/out/$id-$kind.eml"
done <"$tmp/list"
diag "$(wc -l <"$tmp/list" | tr -d ' ') queued mails: $(cut -d' ' -f2 "$tmp/list" | sort | uniq -c | tr '\n' ' ')"
cat >"$tmp/check.py" <<'PY'
import email, email.policy, email.utils, os, sys
d, listing = sys.argv[1], sys.argv[2]
rcpt = {}
for line in open(listing):
    i, kind, r = line.split()
    rcpt["%s-%s.eml" % (i, kind)] = r.lower()
allowed = {"date", "from", "to", "reply-to", "subject", "message-id", "in-reply-to", "references",
           "list-id", "list-post", "list-help", "list-unsubscribe", "list-unsubscribe-post",
           "auto-submitted", "precedence", "x-loop", "mime-version", "content-type",
           "content-transfer-encoding"}
bad = {"headers": [], "recipients": [], "lines": [], "html": [], "count": 0}
kinds = set()
for name in sorted(os.listdir(d)):
    raw = open(os.path.join(d, name), "rb").read()
    kind = name.split("-", 1)[1][:-4]
    kinds.add(kind)
    bad["count"] += 1
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in raw.split(b"\r\n"):
        if len(line) > 998 or b"\n" in line or b"\r" in line or any(b > 127 for b in line):
            bad["lines"].append("%s: %r" % (name, line[:80]))
            break
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue
        hname = line.split(b":", 1)[0].decode("ascii", "replace").lower()
        if hname not in allowed:
            bad["headers"].append("%s: %r" % (name, line[:100]))
    m = email.message_from_bytes(raw, policy=email.policy.default)
    if m.defects:
        bad["headers"].append("%s: defects %s" % (name, m.defects))
    tos = email.utils.getaddresses(m.get_all("To", []) + m.get_all("Cc", []) + m.get_all("Bcc", []) +
                                   m.get_all("Resent-To", []))
    if [a.lower() for _, a in tos] != [rcpt[name]]:
        bad["recipients"].append("%s: %s (want %s)" % (name, tos, rcpt[name]))
    for part in m.walk():
        if part.get_content_type() == "text/html":
            h = part.get_content()
            for evil in ("<script", "<img"):
                if evil in h.lower():
                    bad["html"].append("%s: %s" % (name, evil))
print("kinds", " ".join(sorted(kinds)))
for k in ("headers", "recipients", "lines", "html"):
    print(k, len(bad[k]))
    for p in bad[k][:5]:
        print("#   " + p)
PY
"$PYTHON3" "$tmp/check.py" "$tmp/out" "$tmp/list" >"$tmp/check.out" 2>&1
# the checker itself: a mail with an injected Bcc, a second To address, a
# long line and raw markup is caught on each count
mkdir -p "$tmp/control"
printf 'From: a@b.example\r\nTo: x@y.example, victim@x.example\r\nBcc: victim@x.example\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>%s\r\n' \
	"$LONG" >"$tmp/control/1-ack.eml"
echo "1 ack x@y.example" >"$tmp/control.list"
"$PYTHON3" "$tmp/check.py" "$tmp/control" "$tmp/control.list" >"$tmp/control.out" 2>&1
is "$(grep -c '^[a-z]* [1-9]' "$tmp/control.out")" "4" "the mail checker catches an injected header, an extra recipient, a long line and raw markup"
cat "$tmp/check.out" | grep '^#' | head -20
kinds=$(sed -n 's/^kinds //p' "$tmp/check.out")
for k in ack relay digest draft signup-confirm welcome invitation; do
	case " $kinds " in
	*" $k "*) ok 0 "a $k mail was queued and checked" ;;
	*) ok 1 "a $k mail was queued and checked" ;;
	esac
done
is "$(sed -n 's/^headers //p' "$tmp/check.out")" "0" "no value adds a header to any queued mail"
is "$(sed -n 's/^recipients //p' "$tmp/check.out")" "0" "every queued mail has exactly its one recipient"
is "$(sed -n 's/^lines //p' "$tmp/check.out")" "0" "every line is 7-bit, CRLF-terminated, at most 998 octets"
is "$(sed -n 's/^html //p' "$tmp/check.out")" "0" "comment markup is escaped in every HTML part"
ack=$(ls "$tmp/out" | grep -- '-ack\.eml$' | head -1)
"$PYTHON3" -c '
import email,email.policy,sys
m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default)
print(m.get_body(("html",)).get_content())' "$tmp/out/$ack" >"$tmp/ack.html" 2>/dev/null
like "$tmp/ack.html" '&lt;script&gt;alert(1)&lt;/script&gt;' "the acknowledgement shows the comment's markup as text"

# ---- exports
if T export prof-learning --format html -o "$tmp/export.html" >/dev/null 2>&1; then
	if grep -qi '<script\|<img src=x' "$tmp/export.html"; then ok 1 "the HTML export escapes comment text"; else ok 0 "the HTML export escapes comment text"; fi
	like "$tmp/export.html" '&lt;script&gt;' "the HTML export shows the markup as text"
else
	skip "tagctl export --format html is not available"
fi

# ---- secrets: the IMAP and SMTP password in neither the debug log nor
# --dump-config. A fake server on 127.0.0.1 greets, offers AUTH and refuses
# every login, and records what tagd sent: the password did go out.
secret="s3cr3t-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$secret" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
cat >"$tmp/fake.py" <<'PY'
import socket, sys, threading, time
log = open(sys.argv[1], "ab")
lock = threading.Lock()
def note(b):
    with lock:
        log.write(b); log.flush()
def imap(c):
    c.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n")
    for line in c.makefile("rb"):
        note(b"imap: " + line)
        w = line.split()
        if len(w) < 2:
            continue
        cmd = w[1].upper()
        if cmd == b"CAPABILITY":
            c.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + w[0] + b" OK done\r\n")
        elif cmd == b"LOGOUT":
            c.sendall(b"* BYE\r\n" + w[0] + b" OK\r\n"); return
        elif cmd in (b"LOGIN", b"AUTHENTICATE"):
            c.sendall(w[0] + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        else:
            c.sendall(w[0] + b" BAD what\r\n")
def smtp(c):
    c.sendall(b"220 fake ESMTP\r\n")
    f = c.makefile("rb")
    for line in f:
        note(b"smtp: " + line)
        u = line.upper()
        if u.startswith((b"EHLO", b"HELO")):
            c.sendall(b"250-fake\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
        elif u.startswith(b"AUTH"):
            w = line.split()
            n = 1 if len(w) == 2 and w[1].upper() == b"PLAIN" else 2 if len(w) == 2 else 1 if w[1].upper() == b"LOGIN" else 0
            for _ in range(n):
                c.sendall(b"334 \r\n")
                note(b"smtp: " + f.readline())
            c.sendall(b"535 5.7.8 Authentication credentials invalid\r\n")
        elif u.startswith(b"QUIT"):
            c.sendall(b"221 bye\r\n"); return
        else:
            c.sendall(b"503 5.5.1 log in first\r\n")
def serve(s, fn):
    s.settimeout(1)
    end = time.time() + 40
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.settimeout(10)
        threading.Thread(target=lambda: (fn(c), c.close()), daemon=True).start()
socks = []
for fn in (imap, smtp):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); socks.append(s)
print(socks[0].getsockname()[1], socks[1].getsockname()[1], flush=True)
ts = [threading.Thread(target=serve, args=(s, fn), daemon=True) for s, fn in zip(socks, (imap, smtp))]
for t in ts: t.start()
for t in ts: t.join()
PY
"$PYTHON3" "$tmp/fake.py" "$tmp/fake.log" >"$tmp/fake.ports" &
fake_pid=$!
wait_for 10 test -s "$tmp/fake.ports"
read -r imap_port smtp_port <"$tmp/fake.ports"
mkdir -p "$tmp/state2"
chmod 750 "$tmp/state2"
cat >"$tmp/secret.conf" <<CONF
[tagd]
state_dir = $tmp/state2
hostname = tags.example.org
[maildir]
inbox =
[http]
listen =
[imap]
host = 127.0.0.1
port = $imap_port
tls = none
user = alice
password_file = $tmp/imap.pass
timeout = 5s
poll_interval = 1s
[smtp]
url = smtp://127.0.0.1:$smtp_port
tls = none
user = mailer
password_file = $tmp/imap.pass
timeout = 5s
CONF
S() { "$TAGCTL" -q -c "$tmp/secret.conf" "$@"; }
S session create "$fix/prof-learning.session" >/dev/null &&
S draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null &&
S participant add prof-learning b.okafor@gmail.example.com --name "Bola Okafor" >/dev/null &&
S --clock "$NOW" inject "$tmp/c1.eml" >/dev/null 2>&1
mail "$tmp/s1.eml" b.okafor@gmail.example.com "Re: draft" "¶2: a comment, so that an acknowledgement waits to be sent."
S --clock "$NOW" inject "$tmp/s1.eml" >/dev/null 2>&1
ok $? "a mail waits in the outbox of a second state, with IMAP and SMTP passwords set"
"$TAGD" -c "$tmp/secret.conf" -v all >"$tmp/secret.log" 2>&1 &
tagd_pid=$!
wait_for $((20 * tap_slow)) sh -c "grep -q '^imap: .*LOGIN' '$tmp/fake.log' && grep -q '^smtp: AUTH' '$tmp/fake.log'"
ok $? "tagd -v all logged in to the fake IMAP and SMTP servers (and was refused)"
sleep 1
kill -TERM "$tagd_pid" 2>/dev/null
wait_for $((10 * tap_slow)) sh -c "! kill -0 $tagd_pid"
tagd_pid=
kill "$fake_pid" 2>/dev/null
like "$tmp/secret.log" "debug" "the log has debug lines"
"$PYTHON3" - "$secret" >"$tmp/secret.forms" <<'PY'
import base64, sys
s = sys.argv[1].encode()
for v in (s, base64.b64encode(s), base64.b64encode(b"\0mailer\0" + s), base64.b64encode(b"mailer\0mailer\0" + s),
          base64.b64encode(b"\0alice\0" + s)):
    print(v.decode())
PY
if grep -q -F -f "$tmp/secret.forms" "$tmp/fake.log"; then ok 0 "the password went to the servers"; else ok 1 "the password went to the servers"; fi
if grep -q -F -f "$tmp/secret.forms" "$tmp/secret.log"; then
	ok 1 "the password is not in the debug log, plain or base64"
	grep -F -f "$tmp/secret.forms" "$tmp/secret.log" | head -3 | sed 's/^/#   /'
else
	ok 0 "the password is not in the debug log, plain or base64"
fi
"$TAGD" --check-config --check-connections -c "$tmp/secret.conf" >"$tmp/check-conn.log" 2>&1
if grep -q -F -f "$tmp/secret.forms" "$tmp/check-conn.log"; then ok 1 "nor in --check-connections' errors"; else ok 0 "nor in --check-connections' errors"; fi
"$TAGD" --dump-config -c "$tmp/secret.conf" >"$tmp/dump.out" 2>&1
if grep -q -F -f "$tmp/secret.forms" "$tmp/dump.out"; then ok 1 "nor in --dump-config"; else ok 0 "nor in --dump-config"; fi
key=$("$PYTHON3" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select hex(value) from meta where key=\"token_key\"").fetchone()[0])' "$tmp/state2/tagd.db" 2>/dev/null)
[ -n "$key" ]
ok $? "the database has a token key"
if [ -n "$key" ] && grep -qi -e "$key" -e "token_key" "$tmp/dump.out" "$tmp/secret.log"; then
	ok 1 "the token key is in neither"
else
	ok 0 "the token key is in neither"
fi

# ---- a world-writable state directory or database: tagd refuses
mkdir -p "$tmp/ww"
cat >"$tmp/ww.conf" <<CONF
[tagd]
state_dir = $tmp/ww
[maildir]
inbox =
[http]
listen =
CONF
chmod 777 "$tmp/ww"
"$TAGD" -c "$tmp/ww.conf" --once >"$tmp/ww.log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "writable by everyone" "$tmp/ww.log"
ok $? "tagd refuses a world-writable state directory (exit $rc)"
chmod 750 "$tmp/ww"
"$TAGD" -c "$tmp/ww.conf" --once >"$tmp/ww2.log" 2>&1
ok $? "and runs once it is not"
chmod 666 "$tmp/ww/tagd.db"
"$TAGD" -c "$tmp/ww.conf" --once >"$tmp/ww3.log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "writable by everyone" "$tmp/ww3.log"
ok $? "tagd refuses a world-writable database (exit $rc)"
chmod 640 "$tmp/ww/tagd.db"

# ---- started as root: runs as [tagd] user
if [ "$(id -u)" -ne 0 ]; then
	skip "not root: dropping privileges is not tested"
elif ! id tagdtest >/dev/null 2>&1 && ! useradd -r -M -s /usr/sbin/nologin tagdtest 2>"$tmp/useradd.err"; then
	skip "cannot create the user tagdtest: $(cat "$tmp/useradd.err")"
else
	mkdir -p "$tmp/priv"
	chown tagdtest "$tmp/priv"
	chmod 750 "$tmp/priv"
	cat >"$tmp/priv.conf" <<CONF
[tagd]
state_dir = $tmp/priv
user = tagdtest
[maildir]
inbox = in
[http]
listen =
CONF
	chmod 644 "$tmp/priv.conf"
	"$TAGD" -c "$tmp/priv.conf" >"$tmp/priv.log" 2>&1 &
	tagd_pid=$!
	wait_for $((10 * tap_slow)) grep -q "started" "$tmp/priv.log"
	ok $? "tagd started as root with [tagd] user = tagdtest"
	uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$tagd_pid/status" 2>/dev/null)
	want=$(id -u tagdtest)
	is "$uid" "$want $want $want $want" "it runs as tagdtest (real, effective, saved and fs uid)"
	like "$tmp/priv.log" "running as tagdtest" "and says so"
	is "$(stat -c %U "$tmp/priv/tagd.db" 2>/dev/null)" "tagdtest" "the database it created belongs to tagdtest"
	kill -TERM "$tagd_pid"
	wait_for $((10 * tap_slow)) sh -c "! kill -0 $tagd_pid"
	tagd_pid=
	sed -i 's/^user = tagdtest/user = no-such-user-tagd/' "$tmp/priv.conf"
	"$TAGD" -c "$tmp/priv.conf" --once >"$tmp/priv2.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q "no such user" "$tmp/priv2.log"
	ok $? "an unknown [tagd] user: tagd refuses to run as root (exit $rc)"
fi

done_testing
