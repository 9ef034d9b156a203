#!/bin/sh
# test-tagctl - tagctl as an organizer uses it: sessions, drafts across
# revisions, participants from CSV, exit statuses and --help
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-tagctl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/t.db"
T() { "$TAGCTL" -q -d "$db" "$@"; }
data="$top_srcdir/tests/data/cli"
fix="$TAGD_SHARED/fixtures"

# --- usage and help
"$TAGCTL" --help >"$tmp/out" 2>&1; ok $? "tagctl --help exits 0"
like "$tmp/out" "participant" "--help lists the commands"
for cmd in session draft participant; do
	"$TAGCTL" -d "$db" "$cmd" --help >"$tmp/out" 2>&1
	ok $? "tagctl $cmd --help exits 0"
	like "$tmp/out" "usage: tagctl $cmd" "$cmd --help prints its usage"
done
"$TAGCTL" -d "$db" frobnicate >/dev/null 2>&1; is $? 2 "an unknown command exits 2"
"$TAGCTL" -d "$db" draft import >/dev/null 2>&1; is $? 2 "missing arguments exit 2"
"$TAGCTL" -d "$db" session list --bogus >/dev/null 2>&1; is $? 2 "an unknown option exits 2"
T draft show nosuch >/dev/null 2>&1; is $? 1 "an unknown session exits 1"

# --- sessions
T session create "$fix/prof-learning.session" >"$tmp/out"; ok $? "session create"
like "$tmp/out" "session prof-learning created" "it says it was created"
T session create "$top_srcdir/tests/data/config/bad.session" >"$tmp/out" 2>"$tmp/err"
is $? 1 "a bad session file exits 1"
like "$tmp/err" "bad.session:8: \[session\] timezone: unknown time zone" "errors name file:line and key"
T session list --json >"$tmp/out"; ok $? "session list --json"
is "$($PYTHON3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d), d[0]["slug"], len(d[0]["goals"]))' "$tmp/out")" \
	"1 prof-learning 4" "one session with its four goals"

# --- the draft
T draft import prof-learning "$fix/prof-learning-draft.md" >"$tmp/out"; ok $? "draft import"
like "$tmp/out" "revision 1, 22 numbered blocks" "the fixture draft has 22 numbered blocks"
T draft show prof-learning --json >"$tmp/r1.json"; ok $? "draft show --json"
is "$($PYTHON3 - "$tmp/r1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
nums = [b["number"] for b in d["blocks"] if b["number"] > 0]
heads = [b for b in d["blocks"] if b["kind"] == "heading"]
ok = (d["revision"] == 1 and nums == list(range(1, 23)) and all(h["number"] == 0 and h["paragraph_id"] is None for h in heads)
      and [b["kind"] for b in d["blocks"] if b["number"] in (11, 12, 13, 14)] == ["item"] * 4)
print("good" if ok else "bad: %r" % nums)
PY
)" good "JSON blocks: numbers 1..22, headings 0 without id, 11-14 are items"
T draft show prof-learning >"$tmp/out"
like "$tmp/out" "^\[22\] " "text view shows [22]"

T draft import prof-learning "$data/draft-rev2.md" >"$tmp/out"; ok $? "import revision 2"
like "$tmp/out" "revision 2, 23 numbered blocks: 19 unchanged, 1 edited, 1 moved, 2 new, 1 removed" "revision 2 summary"
T draft show prof-learning --revision 2 --json >"$tmp/r2.json"
is "$($PYTHON3 - "$tmp/r1.json" "$tmp/r2.json" <<'PY'
import json, sys
r1 = {b["paragraph_id"]: b["text"] for b in json.load(open(sys.argv[1]))["blocks"] if b["number"]}
r2 = {b["paragraph_id"]: b["text"] for b in json.load(open(sys.argv[2]))["blocks"] if b["number"]}
kept = [p for p in r1 if p in r2]
same = [p for p in kept if r1[p] == r2[p]]
edited = [p for p in kept if r1[p] != r2[p]]
gone = [r1[p][:20] for p in r1 if p not in r2]
new = [r2[p][:20] for p in r2 if p not in r1]
print(len(same), len(edited), gone, sorted(new))
PY
)" "20 1 ['Preparation programs'] ['A second new paragra', 'Districts that tried']" \
	"ids kept for unchanged, edited and moved paragraphs; new ones new; the deleted one retired"
T draft show prof-learning --revision 1 --json >"$tmp/r1b.json"
cmp -s "$tmp/r1.json" "$tmp/r1b.json"; ok $? "revision 1 is unchanged by importing revision 2"
T draft diff prof-learning 1 2 >"$tmp/out"; ok $? "draft diff"
like "$tmp/out" "toward \[-explicit,-\]{+explicit and+} measurable" "the word diff shows the edit"
like "$tmp/out" "(new): Districts that tried" "the diff lists a new paragraph"
like "$tmp/out" "removed: Preparation programs" "the diff lists the removed paragraph"
like "$tmp/out" "moved, text unchanged: Finally, the role" "the diff lists the moved paragraph"

# --- participants
T participant import prof-learning "$data/participants-bad.csv" >"$tmp/out" 2>"$tmp/err"
is $? 1 "a CSV with bad rows exits 1"
like "$tmp/out" "2 added, 1 already participants, 4 bad rows" "good rows are kept, bad rows counted"
like "$tmp/err" "participants-bad.csv:3: 'not-an-address' is not an email address" "bad address reported with its line"
like "$tmp/err" "participants-bad.csv:5: years_experience 'ten'" "bad years reported with its line"
like "$tmp/err" "participants-bad.csv:6: no email address" "missing address reported with its line"
like "$tmp/err" "participants-bad.csv:8: unterminated quoted field" "broken quoting reported with its line"
T participant list prof-learning --json >"$tmp/out"
is "$($PYTHON3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(p["name"] for p in d))' "$tmp/out")" \
	"['Ana Ruiz', 'Park, Grace']" "the stored participants, with a quoted comma kept"
T participant import prof-learning "$fix/participants.csv" >"$tmp/out"; ok $? "the fixture CSV imports"
like "$tmp/out" "5 added, 1 already participants, 0 bad rows" "Ana is not added twice (addresses case-insensitive)"
T participant add prof-learning Dmitri@ICLOUD.example.com >"$tmp/out"
like "$tmp/out" "already a participant" "add is case-insensitive too"
T participant remove prof-learning g.park@schools.example.org >/dev/null; ok $? "remove"
T participant remove prof-learning g.park@schools.example.org >/dev/null 2>&1; is $? 1 "removing again fails"

done_testing
