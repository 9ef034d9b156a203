#!/bin/sh
# demo.sh - the fixture TAG week, Monday 16 to Saturday 21 July 2018, on
# tagd's embedded defaults (a SQLite file and Maildirs under ./demo, no
# server to set up) and a simulated clock. Replies from real mail clients
# (examples/demo-replies/replies) land in the Maildir inbox
# on the day they were written; tagd runs once at each moment of the week
# (tagd --clock T --once) and delivers what it sends into demo/out, a
# Maildir any mail client can open. Run by `make demo`:
#   demo.sh BUILDDIR SRCDIR
set -eu
build=$1
src=$2
out=${DEMO_DIR:-demo}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
# the fixture week's replies from real mail clients, shipped with the demo
# (a copy of shared/fixtures/replies) so that it runs from a bare clone
replies="$src/examples/demo-replies/replies"
extra="$src/examples/demo-replies"
mkdir -p "$out/mail/in/new" "$out/mail/in/cur" "$out/mail/in/tmp" \
	"$out/out/new" "$out/out/cur" "$out/out/tmp"
cat >"$out/tagd.conf" <<CONF
# the demo's only settings: where its state lives, and the host whose
# Authentication-Results tagd trusts (for a revision mailed in)
[tagd]
state_dir = $out
hostname = tags.example.org
[maildir]
outbox = out
[trust]
authserv_id = mx.tags.example.org
CONF
: "${TAGD_TEMPLATE_DIR:=$src/templates}"
export TAGD_TEMPLATE_DIR
: >"$out/seen"
started=$(date +%s)

T() { "$build/tagctl" -q -c "$out/tagd.conf" --clock "$now" "$@"; }

# header FILE NAME - a header of a mail, unfolded
header() {
	sed -n '1,/^$/p' "$1" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[ \t]\{1,\}/ /g' |
		sed -n "s/^$2: *//Ip" | head -1 | tr -d '\r'
}

# what reached the outbox Maildir since the last look, by kind
tally() {
	ls "$out/out/new" | sort >"$out/seen.new"
	comm -13 "$out/seen" "$out/seen.new" | while read -r f; do
		header "$out/out/new/$f" Message-ID | sed -n 's/^<\([a-z-]*\)\..*/\1/p'
	done | sort | uniq -c | while read -r n kind; do
		case "$kind" in
		draft) what="draft/drafts" ;;
		digest) what="digest/digests" ;;
		ack) what="acknowledgement/acknowledgements" ;;
		comment) what="relayed comment/relayed comments" ;;
		closed) what="session-closed mail/session-closed mails" ;;
		late) what="late-comment note/late-comment notes" ;;
		revise) what="note to the organizer/notes to the organizer" ;;
		call) what="call invitation (iCalendar)/call invitations (iCalendar)" ;;
		call-reminder) what="call reminder/call reminders" ;;
		invitation) what="TAG invitation/TAG invitations" ;;
		signup-confirm) what="sign-up confirmation/sign-up confirmations" ;;
		welcome) what="welcome/welcomes" ;;
		help) what="help answer/help answers" ;;
		final) what="final paper/final papers" ;;
		*) what="$kind/$kind mails" ;;
		esac
		if [ "$n" -eq 1 ]; then what=${what%%/*}; else what=${what#*/}; fi
		printf '%s %s, ' "$n" "$what"
	done | sed 's/, $//'
	mv "$out/seen.new" "$out/seen"
}

# at "UTC TIME" "what happens" [FILE...] - the files reach the inbox, tagd
# runs once at that moment, and the story gets a line
seq=0
at() {
	now=$1
	story=$2
	shift 2
	for f in "$@"; do
		seq=$((seq + 1))
		cp "$f" "$out/mail/in/new/demo.$seq.eml"
	done
	"$build/tagd" -c "$out/tagd.conf" --clock "$now" --once 2>>"$out/tagd.log"
	sent=$(tally)
	local_time=$(TZ=America/New_York date -d "$now UTC" '+%a %d %b %H:%M')
	printf '  %s  %s\n' "$local_time" "$story"
	[ -z "$sent" ] || printf '                    mail out: %s\n' "$sent"
}

# fixture replies by number, when the fixtures are there
fixtures() {
	[ -d "$replies" ] || return 0
	for f in "$replies"/*.eml; do
		n=$(basename "$f" | cut -c1-3)
		[ "$n" -ge "$1" ] && [ "$n" -le "$2" ] && echo "$f"
	done
	return 0
}

echo "A TAG review week on a simulated clock (times in New York; the session's zone)."
[ -d "$replies" ] || echo "(no fixture replies at $replies: the week runs without them)"
echo
echo "Friday before: the organizers set up"
now="2018-07-13 15:00"
T session create "$src/examples/prof-learning.session" >/dev/null
T participant add prof-learning f.haddad@yahoo.example.com --name "Farah Haddad" \
	--organization "Northside Academy" --role Teacher-leader --years 1 --mode each >/dev/null
T participant import prof-learning "$src/examples/participants.csv" >/dev/null
T draft import prof-learning "$src/examples/prof-learning-draft.md" >/dev/null
T call prof-learning invite >/dev/null
T invite prof-learning "$src/examples/demo-replies/contacts.csv" >/dev/null
at "2018-07-13 15:05" "the session, 6 participants (Farah takes each comment as it comes), the draft; invitations"

echo
echo "Monday: the review opens"
at "2018-07-16 04:05" "the draft goes out, one mail per participant, paragraphs numbered"
at "2018-07-16 12:05" "the launch call's reminder (the call is at noon)"
# shellcheck disable=SC2046
at "2018-07-16 18:30" "the day's replies arrive: comments, RSVPs, auto-replies, a bounce, a join" \
	$(fixtures 1 15)
confirm=
for f in $(grep -l "^Delivered-To: priya.nair@eastview.example.org" "$out/out/new/"* 2>/dev/null); do
	case "$(header "$f" Reply-To)" in *+confirm-*) confirm=$f ;; esac
done
if [ -n "$confirm" ]; then
	to=$(header "$confirm" Reply-To)
	mid=$(header "$confirm" Message-ID)
	printf '%s\n' "From: Priya Nair <priya.nair@eastview.example.org>" "To: $to" \
		"Subject: Re: Please confirm" "Date: Mon, 16 Jul 2018 15:10:00 -0400" \
		"Message-ID: <priya-confirm@eastview.example.org>" "In-Reply-To: $mid" "" "Yes, please." \
		>"$out/priya-confirm.eml"
	at "2018-07-16 19:10" "Priya confirms her sign-up: welcome, and the draft" "$out/priya-confirm.eml"
fi
at "2018-07-16 21:05" "17:00: the first digest"

echo
echo "Tuesday"
# shellcheck disable=SC2046
at "2018-07-17 13:00" "replies, some to Monday's digest" $(fixtures 16 23)
at "2018-07-17 21:05" "17:00: the digest"

echo
echo "Wednesday: the organizers revise the draft mid-week"
{
	cat "$src/examples/demo-replies/revise-r2.head"
	cat "$src/examples/prof-learning-draft-r2.md"
	printf '%s\n' "--==r2==--"
} >"$out/revise.eml"
at "2018-07-18 14:00" "Katherine mails revision 2 to LIST+revise (DKIM/DMARC pass): imported, mailed at once" \
	"$out/revise.eml"
# shellcheck disable=SC2046
at "2018-07-18 14:30" "the day's replies" $(fixtures 24 30)
at "2018-07-18 21:05" "17:00: the digest, with the changed paragraphs as a word diff"

echo
echo "Thursday and Friday"
# shellcheck disable=SC2046
at "2018-07-19 13:00" "replies; Dmitri leaves; a stranger's offer is held" $(fixtures 31 35)
at "2018-07-19 21:05" "17:00: the digest"
# shellcheck disable=SC2046
at "2018-07-20 13:55" "the last day's comment" $(fixtures 36 36)
at "2018-07-20 21:05" "17:00: the digest"
at "2018-07-21 01:00" "Friday evening, a last comment" "$src/examples/demo-replies/friday-evening.eml"

echo
echo "Saturday: the review is closed"
at "2018-07-21 04:05" "midnight: the last digest, then the session-closed mail"
at "2018-07-21 14:00" "a comment after the close: kept, marked late, answered once" \
	"$src/examples/demo-replies/late-comment.eml"

echo
echo "Afterwards: the organizers decide on comments and send the final paper"
now="2018-08-06 15:00"
T comment 10 status incorporated --note "Coach caseloads are in the revised paragraph." >/dev/null
T comment 5 status incorporated --note "The paragraph now names running a classroom at different paces." >/dev/null
T comment 1 status declined --note "The dates of a second round are not set yet." >/dev/null
T export prof-learning --format html -o "$out/export.html"
T final prof-learning "$src/examples/prof-learning-draft-r2.md" >/dev/null
at "2018-08-06 15:05" "the final paper, with what became of each person's comments"

echo
"$build/tagctl" -q -c "$out/tagd.conf" schedule prof-learning | sed 's/^/  /'
echo
total=$(ls "$out/out/new" | wc -l | tr -d ' ')
printf 'The week took %s s. %s mails are in %s/out (a Maildir: mutt -f %s/out),\n' \
	"$(($(date +%s) - started))" "$total" "$out" "$out"
printf 'the comments by paragraph in %s/export.html, the log in %s/tagd.log.\n' "$out" "$out"
