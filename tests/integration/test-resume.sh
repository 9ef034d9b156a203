#!/bin/sh
# test-resume - the daemon's processing of archived mail (ingest_resume),
# and `tagctl inject` of many messages, both of which send each next
# message to the parser child ahead while they work on the one before,
# give every message the result it has alone (a tagctl inject per
# message, where nothing can go ahead): the same class, reason and
# comments (paragraphs, text), for the TAG week's 36 fixture replies with,
# between them, messages on which the parser child crashes or answers
# garbage (fault markers, TAGD_MAIL_PARSER_FAULTS). Those fail alone, as
# "parser crashed", and the message after each is not touched.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

fix="$TAGD_SHARED/fixtures"
if [ ! -d "$fix/replies" ]; then
	skip "no fixtures at $fix"
	done_testing
	exit $?
fi
tmp=$(mktemp -d /tmp/tagd-resume.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
NOW="2018-07-17 14:00"

# three states set up alike: tagctl inject one message at a time, tagd,
# tagctl inject of all at once
setup() { # setup DIR
	mkdir -p "$1/state/mail/in/new" "$1/state/mail/in/cur" "$1/state/mail/in/tmp"
	cat >"$1/tagd.conf" <<CONF
[tagd]
state_dir = $1/state
hostname = tags.example.org

[http]
listen =
CONF
	"$TAGCTL" -q -c "$1/tagd.conf" session create "$fix/prof-learning.session" >/dev/null &&
		"$TAGCTL" -q -c "$1/tagd.conf" draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null &&
		"$TAGCTL" -q -c "$1/tagd.conf" participant import prof-learning "$fix/participants.csv" >/dev/null
}
setup "$tmp/a" && setup "$tmp/b" && setup "$tmp/c"
ok $? "three states set up alike"

# the messages, in order: the fixture replies with faults among them
mkdir "$tmp/msgs"
n=0
fault() { # fault KIND NUMBER - a reply the parser child fails on
	printf 'From: Dmitri <dmitri@district.example.org>\nTo: tag-prof-learning@tags.example.org\nSubject: Re: fault %s\nMessage-ID: <fault-%s-%s@example.org>\nX-Tagd-Test-Fault: %s\n\nOn paragraph 3: a thought.\n' \
		"$1" "$1" "$2" "$1"
}
for f in "$fix"/replies/*.eml; do
	n=$((n + 1))
	cp "$f" "$tmp/msgs/$(printf '%03d' $n).eml"
	case $n in
	5 | 17 | 30) n=$((n + 1)); fault crash $n >"$tmp/msgs/$(printf '%03d' $n).eml" ;;
	11) n=$((n + 1)); fault garbage $n >"$tmp/msgs/$(printf '%03d' $n).eml" ;;
	esac
done
is "$(ls "$tmp/msgs" | wc -l)" 40 "36 replies and 4 faults"

export TAGD_MAIL_PARSER_FAULTS=1
# a: one at a time
for f in "$tmp"/msgs/*.eml; do
	"$TAGCTL" -q -c "$tmp/a/tagd.conf" --clock "$NOW" inject "$f" >/dev/null 2>>"$tmp/a.err"
done
# c: all in one tagctl inject, each next one ahead
"$TAGCTL" -q -c "$tmp/c/tagd.conf" --clock "$NOW" inject --json "$tmp"/msgs/*.eml >"$tmp/c.json" 2>"$tmp/c.err"
# b: all archived from the Maildir inbox, then processed in one pass
for f in "$tmp"/msgs/*.eml; do
	cp "$f" "$tmp/b/state/mail/in/new/$(basename "$f" .eml).1.host"
done
"$TAGD" -c "$tmp/b/tagd.conf" --clock "$NOW" --once >"$tmp/b.out" 2>&1
ok $? "tagd --once took the inbox"
unset TAGD_MAIL_PARSER_FAULTS

q() { # q DIR SQL
	"$PYTHON3" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))' "$1/state/tagd.db" "$2"
}
RESULTS="SELECT message_id, class, reason, state FROM message ORDER BY message_id"
COMMENTS="SELECT m.message_id, c.position, c.paragraphs, c.how, c.text FROM comment c
	JOIN message m ON m.id = c.message_id ORDER BY m.message_id, c.position"
q "$tmp/a" "$RESULTS" >"$tmp/a.results"
q "$tmp/b" "$RESULTS" >"$tmp/b.results"
q "$tmp/a" "$COMMENTS" >"$tmp/a.comments"
q "$tmp/b" "$COMMENTS" >"$tmp/b.comments"
q "$tmp/c" "$RESULTS" >"$tmp/c.results"
q "$tmp/c" "$COMMENTS" >"$tmp/c.comments"
is "$(wc -l <"$tmp/b.results")" 40 "tagd has a result for each of the 40"
is "$(grep -c '' "$tmp/a.results")" 40 "tagctl inject too"
diff "$tmp/a.results" "$tmp/b.results" >"$tmp/diff.results"
ok $? "every message's class, reason and state are those of one-at-a-time"
[ -s "$tmp/diff.results" ] && sed 's/^/#   /' "$tmp/diff.results" | head -20
diff "$tmp/a.comments" "$tmp/b.comments" >"$tmp/diff.comments"
ok $? "and so are the comments, paragraph by paragraph"
[ -s "$tmp/diff.comments" ] && sed 's/^/#   /' "$tmp/diff.comments" | head -20
diff "$tmp/a.results" "$tmp/c.results" >"$tmp/diff.results.c" && diff "$tmp/a.comments" "$tmp/c.comments" >"$tmp/diff.comments.c"
ok $? "tagctl inject of all 40 at once: the same results and comments as one at a time"
cat "$tmp/diff.results.c" "$tmp/diff.comments.c" 2>/dev/null | sed 's/^/#   /' | head -20
"$PYTHON3" - "$tmp/msgs" "$tmp/c.json" <<'PY'
import json, os, sys
files = sorted(os.listdir(sys.argv[1]))
got = [os.path.basename(json.loads(l)["file"]) for l in open(sys.argv[2])]
sys.exit(0 if got == files else 1)
PY
ok $? "and its results are printed in the order of the messages"
is "$(grep -c 'unreadable message: parser crashed: signal 6' "$tmp/b.results")" 3 \
	"the three crashes fail as such"
is "$(grep -c 'unreadable message: parser crashed: malformed reply' "$tmp/b.results")" 1 \
	"the garbage answer too"
is "$(grep -c 'unreadable message' "$tmp/b.results")" 4 "and nothing else is unreadable"
ok "$([ "$(wc -l <"$tmp/b.comments")" -ge 20 ] && echo 0 || echo 1)" \
	"the replies' comments are there ($(wc -l <"$tmp/b.comments"))"
done_testing
