#!/bin/sh
# test-replies - every fixture reply from a real mail client, through
# `tagctl inject --json`, against fixtures/replies/EXPECTED.tsv: the class,
# the paragraphs in order, each `contains` phrase in its comment, the
# `excludes` phrase in none.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-replies.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/t.db"
fix="$TAGD_SHARED/fixtures"
T() { "$TAGCTL" -q -d "$db" "$@"; }

T session create "$fix/prof-learning.session" >/dev/null &&
T participant import prof-learning "$fix/participants.csv" >/dev/null &&
T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
ok $? "session, participants and draft set up"

T inject --json "$fix"/replies/*.eml >"$tmp/results.jsonl" 2>"$tmp/err"
ok $? "tagctl inject takes every fixture reply"
[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err" | head -20

"$PYTHON3" "$top_srcdir/tests/integration/check-expected.py" "$fix/replies/EXPECTED.tsv" \
	"$tmp/results.jsonl" | sed "s/^\(not \)\{0,1\}ok \([0-9]*\)/\1ok X/" >"$tmp/tap"
# renumber the checker's lines into this script's sequence
while IFS= read -r line; do
	case "$line" in
	"ok X"*) ok 0 "${line#ok X - }" ;;
	"not ok X"*) ok 1 "${line#not ok X - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$tmp/tap"

# injecting the same messages again changes nothing
T inject --json "$fix"/replies/*.eml >"$tmp/again.jsonl" 2>/dev/null
is "$(grep -c '"class":"duplicate"' "$tmp/again.jsonl")" "$(ls "$fix"/replies/*.eml | wc -l)" \
	"a second inject finds every message a duplicate"
T comments prof-learning --json >"$tmp/comments.json"
is "$("$PYTHON3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/comments.json")" \
	"$(grep -o '"id":' "$tmp/results.jsonl" | wc -l)" "no comment was stored twice"

T held prof-learning --json >"$tmp/held.json"
is "$("$PYTHON3" -c 'import json,sys; print(sorted(h["from"].split("<")[-1].rstrip(">") for h in json.load(open(sys.argv[1]))))' "$tmp/held.json")" \
	"['m.bell@district9.example.org', 'offers@pdcredits-online.example.net']" "strangers' mail is held, listed by tagctl held"

done_testing
