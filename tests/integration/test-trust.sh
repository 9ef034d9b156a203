#!/bin/sh
# test-trust - a forged From cannot speak for a participant ([trust] mode):
# - token: a comment counts when it answers a Message-ID tagd sent to that
#   participant; a forged one (no reference, someone else's reference, a
#   made-up one) is held and the participant is asked to confirm it
#   (confirm-comment, reply to LIST+vouch-TOKEN); their reply releases it
#   once; a bad token, a reply from another address, a second reply do
#   not; organizers release with tagctl release; at most 5 requests a day
#   go to one address;
# - dmarc: only Authentication-Results from [trust] authserv_id count:
#   dmarc=pass for the From domain, or dkim=pass signed by it or a parent
#   domain; anyone else's header, a fail, a mismatched domain and "none"
#   are held;
# - from (the default): From is taken at its word.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-trust.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -n "${KEEP_TMP:-}" ] && trap "" EXIT
fix="$TAGD_SHARED/fixtures"
state="$tmp/state"
mkdir -p "$state/mail/out/new" "$state/mail/out/cur" "$state/mail/out/tmp"
chmod 750 "$state"
conf() {
	cat >"$tmp/$1.conf" <<CONF
[tagd]
state_dir = $state
hostname = tags.example.org
[maildir]
inbox =
[http]
listen =
[trust]
mode = $1
authserv_id = mx.tags.example.org
CONF
}
conf token
conf dmarc
conf from
T() { "$TAGCTL" -q -c "$tmp/token.conf" "$@"; }
NOW="2018-07-17 14:00"
LIST=tag-prof-learning@tags.example.org
BOLA=b.okafor@gmail.example.com

T session create "$fix/prof-learning.session" >/dev/null &&
T participant import prof-learning "$fix/participants.csv" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, participants and draft set up"
"$TAGD" -c "$tmp/token.conf" --once --clock "2018-07-16 13:00" >"$tmp/open.log" 2>&1
ok $? "tagd --once sends the draft at the opening"
T outbox --json >"$tmp/outbox.json"
msgid_of() { # KIND RECIPIENT
	"$PYTHON3" -c '
import json,sys
for o in json.load(open(sys.argv[1])):
    if o["kind"] == sys.argv[2] and o["recipient"] == sys.argv[3]: print(o["message_id"]); break' "$tmp/outbox.json" "$1" "$2"
}
bola_draft=$(msgid_of draft "$BOLA")
ana_draft=$(msgid_of draft ana.ruiz@district9.example.org)
[ -n "$bola_draft" ] && [ -n "$ana_draft" ] && [ "$bola_draft" != "$ana_draft" ]
ok $? "each participant's draft mail has a Message-ID of their own ($bola_draft)"

# mail FROM TO SUBJECT BODY [HEADER...]: a message file; its name is
# printed (it runs in a subshell: the count is kept in a file)
echo 0 >"$tmp/count"
mail() {
	n=$(($(cat "$tmp/count") + 1))
	echo "$n" >"$tmp/count"
	f="$tmp/m$n.eml"
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <m%d.%s@test.example>\r\n' "$1" "$2" "$3" "$n" "$$"
		printf 'Date: Tue, 17 Jul 2018 09:%02d:00 -0400\r\n' $((n % 60))
		b=$4
		shift 4
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' "$b"
	} >"$f"
	echo "$f"
}
# inject CONF FILE: the class and reason of one message
inject() {
	"$TAGCTL" -q -c "$tmp/$1.conf" --clock "$NOW" inject --json "$2" 2>>"$tmp/err" | "$PYTHON3" -c '
import json,sys
r=json.loads(sys.stdin.readline()); print(r["class"], r.get("command",""), r["message"], "|", r["reason"])'
}
class_of() { echo "$1" | cut -d' ' -f1; }
row_of() { echo "$1" | sed 's/ *|.*//' | awk '{print $NF}'; }

# ---- token
r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$LIST" "Re: Draft" "¶3: a real comment of Bola's." "In-Reply-To: <$bola_draft>")")
is "$(class_of "$r")" "comment" "token: a reply to the draft mail tagd sent her is a comment"
r=$(inject token "$(mail "Bola Okafor <B.Okafor@Gmail.Example.com>" "$LIST" "Re: Draft" "¶4: again, in another case." \
	"References: <other@x.example> <$bola_draft>")")
is "$(class_of "$r")" "comment" "token: References count too, and the address in any case"
r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$LIST" "Forged" "¶5: FORGED-ONE words put in Bola's mouth.")")
is "$(class_of "$r")" "held" "token: a forged From with no reference is held"
case "$r" in *"[trust] mode token"*"confirmation was asked"*) ok 0 "the reason says why and that she was asked" ;;
*) ok 1 "the reason says why and that she was asked: $r" ;; esac
forged1=$(row_of "$r")
r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$LIST" "Forged" "¶6: FORGED-TWO with Ana's reference." "In-Reply-To: <$ana_draft>")")
is "$(class_of "$r")" "held" "token: a reference to a mail sent to someone else is held"
forged2=$(row_of "$r")
r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$LIST" "Forged" "¶7: FORGED-THREE with a made-up id." \
	"In-Reply-To: <draft.r1.0000000000000000@tags.example.org>")")
is "$(class_of "$r")" "held" "token: a made-up Message-ID is held"
forged3=$(row_of "$r")

T outbox --json >"$tmp/outbox.json"
"$PYTHON3" -c '
import json,sys
print(" ".join(str(o["id"]) for o in json.load(open(sys.argv[1])) if o["kind"] == "confirm-comment" and o["recipient"] == sys.argv[2]))' \
	"$tmp/outbox.json" "$BOLA" >"$tmp/requests"
is "$(wc -w <"$tmp/requests" | tr -d ' ')" "3" "three confirmation requests went to Bola"
first=$(cut -d' ' -f1 "$tmp/requests")
T outbox show "$first" >"$tmp/request.eml"
"$PYTHON3" - "$tmp/request.eml" >"$tmp/request.out" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("reply-to", m["Reply-To"])
print("to", m["To"])
print("subject", m["Subject"])
print("auto", m["Auto-Submitted"])
print(m.get_body(("plain",)).get_content())
print(m.get_body(("html",)).get_content())
PY
vouch=$(sed -n 's/^reply-to .*<\{0,1\}\(tag-prof-learning+vouch-[a-z0-9.-]*@tags\.example\.org\).*/\1/p' "$tmp/request.out")
[ -n "$vouch" ]
ok $? "the request's Reply-To is a vouch address: $vouch"
like "$tmp/request.out" "^subject Please confirm your comment" "its subject asks for a confirmation"
like "$tmp/request.out" "^auto auto-replied" "it is an automatic answer"
like "$tmp/request.out" "FORGED-ONE words put" "it quotes the beginning of the held comment"
like "$tmp/request.out" "$vouch" "the text names the address a reply goes to"

# the vouch address of the second held message, for the cross checks
second=$(cut -d' ' -f2 "$tmp/requests")
vouch2=$(T outbox show "$second" | sed -n 's/^Reply-To: .*\(tag-prof-learning+vouch-[a-z0-9.-]*@tags\.example\.org\).*/\1/p')
bad=$("$PYTHON3" -c '
import sys
a = sys.argv[1]; i = a.index("@") - 1
print(a[:i] + ("1" if a[i] == "0" else "0") + a[i + 1:])' "$vouch")
r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$bad" "Re: Please confirm" "yes")")
case "$r" in "command vouch "*"not good"*) ok 0 "a tampered token releases nothing" ;; *) ok 1 "a tampered token releases nothing: $r" ;; esac
r=$(inject token "$(mail "Ana Ruiz <ana.ruiz@district9.example.org>" "$vouch" "Re: Please confirm" "yes")")
case "$r" in "command vouch "*"not from its sender"*) ok 0 "a confirmation from another address releases nothing" ;;
*) ok 1 "a confirmation from another address releases nothing: $r" ;; esac
is "$(T comments prof-learning --json | grep -c FORGED)" "0" "no forged text among the comments yet"

r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$vouch" "Re: Please confirm your comment" "Yes, that was me.")")
case "$r" in "command vouch "*"confirmed message $forged1"*) ok 0 "Bola's reply to the vouch address releases the held comment" ;;
*) ok 1 "Bola's reply to the vouch address releases the held comment: $r" ;; esac
T comments prof-learning --json >"$tmp/comments.json"
is "$(grep -o 'FORGED-ONE' "$tmp/comments.json" | wc -l | tr -d ' ')" "1" "its comment is stored, once"
is "$(T outbox --json | "$PYTHON3" -c '
import json,sys
print(sum(1 for o in json.load(sys.stdin) if o["purpose"] == "ack:" + sys.argv[1]))' "$forged1")" "1" \
	"and acknowledged"
r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$vouch" "Re: Please confirm your comment" "Yes again.")")
case "$r" in "command vouch "*"taken already"*) ok 0 "a second confirmation changes nothing" ;;
*) ok 1 "a second confirmation changes nothing: $r" ;; esac
is "$(T comments prof-learning --json | grep -o 'FORGED-ONE' | wc -l | tr -d ' ')" "1" "still one comment"

# the organizers release the third; the second stays held
T release "$forged3" >/dev/null
ok $? "tagctl release of a message held for trust"
is "$(T comments prof-learning --json | grep -c 'FORGED-THREE')" "1" "its comment is stored"
T held prof-learning --json >"$tmp/held.json"
is "$("$PYTHON3" -c 'import json,sys; print([h["id"] for h in json.load(open(sys.argv[1]))])' "$tmp/held.json")" \
	"[$forged2]" "only the second forged message is still held"
[ -n "$vouch2" ]
ok $? "the second request has its own vouch address"

# at most 5 requests a day to one address: 3 so far, 4 more forgeries
for i in 1 2 3 4; do
	r=$(inject token "$(mail "Farah Haddad <f.haddad@yahoo.example.com>" "$LIST" "Forged $i" "¶2: flood $i.")")
done
for i in 1 2 3 4 5 6; do
	r=$(inject token "$(mail "Bola Okafor <$BOLA>" "$LIST" "Forged $i" "¶2: flood $i.")")
done
case "$r" in *"used up"*) ok 0 "past the daily limit the reason says so" ;; *) ok 1 "past the daily limit the reason says so: $r" ;; esac
T outbox --json >"$tmp/outbox.json"
is "$("$PYTHON3" -c '
import json,sys,collections
c=collections.Counter(o["recipient"] for o in json.load(open(sys.argv[1])) if o["kind"] == "confirm-comment")
print(c["b.okafor@gmail.example.com"], c["f.haddad@yahoo.example.com"])' "$tmp/outbox.json")" "5 4" \
	"at most 5 confirmation requests a day to one address"

# ---- dmarc
AR="Authentication-Results:"
dm() { # EXPECTED DESCRIPTION FROM-ADDRESS HEADER...
	want=$1 what=$2 from=$3
	shift 3
	r=$(inject dmarc "$(mail "Someone <$from>" "$LIST" "Re: Draft" "¶8: dmarc case: $what." "$@")")
	case "$want:$r" in
	"comment:comment "*) ok 0 "dmarc: $what" ;;
	"held:held "*"[trust] mode dmarc"*) ok 0 "dmarc: $what" ;;
	*) ok 1 "dmarc: $what: $r" ;;
	esac
}
dm comment "dmarc=pass from the trusted MTA" "$BOLA" \
	"$AR mx.tags.example.org; spf=pass smtp.mailfrom=$BOLA; dkim=fail; dmarc=pass (p=none) header.from=gmail.example.com"
dm comment "authserv-id in another case, comments, a version, a quoted header.from" "$BOLA" \
	"$AR MX.Tags.Example.ORG (via (nested) relay) 1; dmarc=pass (p=reject dis=none) header.from=\"gmail.example.com\""
dm comment "dkim=pass signed by the From domain" "$BOLA" \
	"$AR mx.tags.example.org; dkim=pass (2048-bit key) header.d=gmail.example.com header.i=@gmail.example.com header.s=s1"
dm comment "dkim=pass signed by a parent of the From domain" "e.lindqvist@uni.example.edu" \
	"$AR mx.tags.example.org; dkim=pass header.d=example.edu"
dm comment "dkim=pass with only header.i" "$BOLA" "$AR mx.tags.example.org; dkim=pass header.i=bola@gmail.example.com"
dm comment "a folded header, the trusted one second" "$BOLA" "$AR evil.example.net; dmarc=fail" \
	"$AR mx.tags.example.org;
	dmarc=pass header.from=gmail.example.com"
dm held "no Authentication-Results" "$BOLA"
dm held "dmarc=pass from another authserv-id" "$BOLA" "$AR evil.example.net; dmarc=pass header.from=gmail.example.com"
dm held "a forged pass beside the trusted MTA's fail" "$BOLA" \
	"$AR gmail.example.com; dmarc=pass header.from=gmail.example.com" \
	"$AR mx.tags.example.org; dmarc=fail (p=reject) header.from=gmail.example.com"
dm held "dmarc=pass for another domain" "$BOLA" "$AR mx.tags.example.org; dmarc=pass header.from=evil.example"
dm held "dkim=pass signed by another domain" "$BOLA" "$AR mx.tags.example.org; dkim=pass header.d=evil.example"
dm held "dkim=pass signed by a top-level name" "$BOLA" "$AR mx.tags.example.org; dkim=pass header.d=com"
dm held "dkim=pass signed by a look-alike suffix" "$BOLA" "$AR mx.tags.example.org; dkim=pass header.d=mail.example.com"
dm held "the trusted MTA says none" "$BOLA" "$AR mx.tags.example.org; none"
dm held "a pass in a comment only" "$BOLA" "$AR mx.tags.example.org; dkim=fail (dmarc=pass header.from=gmail.example.com)"
dm held "the authserv-id as a prefix of another" "$BOLA" "$AR mx.tags.example.org.evil.example; dmarc=pass"
dm held "dmarc=passed is no pass" "$BOLA" "$AR mx.tags.example.org; dmarc=passed header.from=gmail.example.com"

# ---- from: the default, as mailing lists do
r=$(inject from "$(mail "Bola Okafor <$BOLA>" "$LIST" "Forged" "¶9: taken at its word.")")
is "$(class_of "$r")" "comment" "from: a forged From is taken at its word"

[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err" | head -10
done_testing
