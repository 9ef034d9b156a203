#!/bin/sh
# test-export - the end of the week: the fixture week's comments (each reply
# injected at the time it was written), a reply, a comment full of markup, a
# late one, statuses set with `tagctl comment`; `tagctl export` in md, html,
# csv and json checked against EXPECTED.tsv; a revision that drops and moves
# paragraphs; then `tagctl final` through `tagd --once` to a real SMTP server:
# one mail each, thanks, the fate of each person's comments, the attachment,
# and nothing new on a second run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-smtpd.sh"
. "$top_srcdir/tests/integration/lib-export.sh"

tmp=$(mktemp -d /tmp/tagd-export.XXXXXX)
cleanup() {
	smtpd_stop "$tmp/smtp" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap 'smtpd_stop "$tmp/smtp" >/dev/null 2>&1; echo "# kept $tmp"' EXIT
fix="$TAGD_SHARED/fixtures"
check="$top_srcdir/tests/integration/check-export.py"
mkdir -p "$tmp/state" "$tmp/smtp"

smtpd_start "$tmp/smtp" >/dev/null 2>&1
ok $? "a test SMTP server runs on 127.0.0.1"
cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $tmp/state
hostname = tags.example.org

[maildir]
inbox =

[smtp]
url = smtp://127.0.0.1:$(smtpd_port "$tmp/smtp")
tls = none
CONF
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }

export_week

T export prof-learning --format json >"$tmp/e.json" &&
	T export prof-learning --format csv >"$tmp/e.csv" &&
	T export prof-learning --format md >"$tmp/e.md" &&
	T export prof-learning --format html -o "$tmp/e.html" >/dev/null
ok $? "tagctl export writes md, html, csv and json"
[ -s "$tmp/e.html" ] && ! ls "$tmp"/e.html.tmp* >/dev/null 2>&1
ok $? "-o writes the file whole, no temporary left"
run_check exports "$tmp/facts.json" "$tmp/e.json" "$tmp/e.csv" "$tmp/e.md" "$tmp/e.html"

T export prof-learning --format pdf >/dev/null 2>&1
is $? 2 "an unknown format is a usage error"
T export prof-learning --revision 9 >/dev/null 2>"$tmp/err"
is $? 1 "a revision the session does not have fails"
like "$tmp/err" "no revision 9" "and says so"
T export no-such-session >/dev/null 2>&1
is $? 1 "so does an unknown session"

# revision 2 drops ¶10 and moves ¶7 up
T draft import prof-learning "$top_srcdir/tests/data/cli/draft-rev2.md" >/dev/null
ok $? "revision 2 imported"
T export prof-learning --format json >"$tmp/e2.json" && T export prof-learning --format json --revision 1 >"$tmp/e1.json"
ok $? "exports of revisions 2 and 1"
run_check retired "$tmp/facts.json" "$tmp/e2.json"
"$PYTHON3" -c '
import json,sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if all(a[k] == b[k] for k in ("revision", "paragraphs", "general", "retired", "heat")) else 1)' "$tmp/e.json" "$tmp/e1.json"
ok $? "--revision 1 gives what the export gave before revision 2"

# the final paper: revision 2 without its framing line (so ¶3 becomes ¶2)
grep -v '^Draft framing paper' "$top_srcdir/tests/data/cli/draft-rev2.md" >"$tmp/paper.md"
printf 'email,name\nboard@partners.example.net,Board Member\n' >"$tmp/extra.csv"
printf 'address-less,name\nx,y\n' >"$tmp/bad.csv"
T final prof-learning "$tmp/paper.md" --extra-list "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
is $? 1 "an extra list without an email column is refused"
printf '# Title only\n' >"$tmp/empty.md"
T final prof-learning "$tmp/empty.md" >/dev/null 2>&1
is $? 1 "a paper without paragraphs is refused"
is "$(T outbox --json | "$PYTHON3" -c 'import json,sys; print(sum(o["kind"] == "final" for o in json.load(sys.stdin)))')" 0 \
	"and nothing was queued"

T final prof-learning "$tmp/paper.md" --attach "$tmp/final-paper.pdf" --extra-list "$tmp/extra.csv" --json \
	>"$tmp/final1.json" 2>"$tmp/final.err"
ok $? "tagctl final queues the final paper"
is "$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["queued"], d["already"], d["participants"], d["extra"], d["thanked"], d["paragraphs"], d["attachments"])' "$tmp/final1.json")" \
	"6 0 5 1 6 22 1" "6 mails (5 active participants, 1 extra), 6 thanked, 22 paragraphs, 1 attachment"
like "$tmp/final1.json" '"state":"final"' "it reports the final state"
T session show prof-learning --json >"$tmp/session.json"
like "$tmp/session.json" '"state":"final"' "the session's state is final"

"$TAGD" -c "$tmp/tagd.conf" --once >"$tmp/tagd.log" 2>&1
ok $? "tagd --once sends what is due"
run_check final "$tmp/smtp/md" "$tmp/facts.json"

before=$(smtpd_count "$tmp/smtp")
T final prof-learning "$tmp/paper.md" --attach "$tmp/final-paper.pdf" --extra-list "$tmp/extra.csv" --json \
	>"$tmp/final2.json" 2>/dev/null
is "$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["queued"], d["already"])' "$tmp/final2.json")" \
	"0 6" "a second tagctl final queues nothing new"
"$TAGD" -c "$tmp/tagd.conf" --once >>"$tmp/tagd.log" 2>&1
is "$(smtpd_count "$tmp/smtp")" "$before" "and a second tagd --once sends nothing new"

done_testing
