# lib-export.sh - the fixture week as the export and browser tests need it.
# Source it after tap.sh; it uses $tmp, $fix, $check (check-export.py),
# $PYTHON3 and a function T that runs tagctl on the test's database.
#   export_week   session, participants, draft; every fixture reply injected
#                 at the time its Date says; a reply, a comment full of
#                 markup and script, a late comment; the expectations in
#                 $tmp/facts.json; statuses and notes set with tagctl comment

# export_msgs - the three messages of our own (a reply to comment $1)
export_msgs() {
cat >"$tmp/reply.eml" <<EOF
From: Ana Ruiz <ana.ruiz@district9.example.org>
To: tag-prof-learning+c$1@tags.example.org
Subject: Re: mid-July
Message-ID: <export-reply-1@district9.example.org>
Date: Thu, 19 Jul 2018 09:00:00 -0400

Agreed, August is no better for district staff either.
EOF
cat >"$tmp/hostile.eml" <<'EOF'
From: Bola Okafor <b.okafor@gmail.example.com>
To: tag-prof-learning+p5@tags.example.org
Subject: markup
Message-ID: <export-hostile-1@gmail.example.com>
Date: Wed, 18 Jul 2018 11:00:00 -0400
Content-Type: text/plain; charset=utf-8

Careful: <script>document.title='PWNED'</script><b onmouseover="alert(1)">bold</b> and <img src=x onerror="document.body.setAttribute('data-pwned','1')"> & "quotes", 'single', commas.
EOF
cat >"$tmp/late.eml" <<'EOF'
From: Farah Haddad <f.haddad@yahoo.example.com>
To: tag-prof-learning+p12@tags.example.org
Subject: one more
Message-ID: <export-late-1@yahoo.example.com>
Date: Sat, 21 Jul 2018 10:00:00 -0400

Teacher-led calibration also needs a shared bank of student work samples.
EOF
}

export_week() {
	T session create "$fix/prof-learning.session" >/dev/null &&
		T participant import prof-learning "$fix/participants.csv" >/dev/null &&
		T draft import prof-learning "$fix/prof-learning-draft.md" >/dev/null
	ok $? "session, participants and draft set up"

	# every reply at the time its Date says, so the heat map has the week's days
	: >"$tmp/results.jsonl"
	ew_fails=0
	for ew_f in "$fix"/replies/*.eml; do
		ew_when=$("$PYTHON3" "$check" clock "$ew_f") &&
			T --clock "$ew_when" inject --json "$ew_f" >>"$tmp/results.jsonl" 2>>"$tmp/inject.err" ||
			ew_fails=$((ew_fails + 1))
	done
	is "$ew_fails" 0 "every fixture reply injected at its own time"

	# a reply to Dmitri's comment on ¶1, markup and script on ¶5, a late comment on ¶12
	ew_parent=$("$PYTHON3" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["file"].endswith("006-dmitri-iphone-p1-p3.eml"):
        print(r["comments"][0]["id"])' "$tmp/results.jsonl")
	export_msgs "$ew_parent"
	T --clock "2018-07-19 13:00" inject --json "$tmp/reply.eml" >>"$tmp/results.jsonl" 2>>"$tmp/inject.err" &&
		T --clock "2018-07-18 15:00" inject --json "$tmp/hostile.eml" >>"$tmp/results.jsonl" 2>>"$tmp/inject.err" &&
		T --clock "2018-07-21 14:00" inject --json "$tmp/late.eml" >>"$tmp/results.jsonl" 2>>"$tmp/inject.err"
	ok $? "a reply, a comment with markup and a late comment injected"

	printf '%%PDF-1.4\n%% final paper\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' \
		>"$tmp/final-paper.pdf"
	"$PYTHON3" "$check" facts "$fix" "$tmp/results.jsonl" "$tmp/final-paper.pdf" board@partners.example.net \
		>"$tmp/facts.json"
	ok $? "expectations derived from EXPECTED.tsv and the inject results"

	# the organizers' decisions, through tagctl comment
	"$PYTHON3" "$check" status-plan "$tmp/facts.json" >"$tmp/plan.tsv"
	ew_fails=0
	ew_tab=$(printf '\t')
	while IFS="$ew_tab" read -r ew_id ew_st ew_note; do
		if [ -n "$ew_note" ]; then
			T comment "$ew_id" status "$ew_st" --note "$ew_note" >/dev/null || ew_fails=$((ew_fails + 1))
		else
			T comment "$ew_id" status "$ew_st" >/dev/null || ew_fails=$((ew_fails + 1))
		fi
	done <"$tmp/plan.tsv"
	[ -s "$tmp/plan.tsv" ] && [ "$ew_fails" -eq 0 ]
	ok $? "statuses and notes set with tagctl comment"
}

# run_check ARGS... - check-export.py's TAP lines renumbered into the test's
run_check() {
	"$PYTHON3" "$check" "$@" >"$tmp/tap" 2>&1
	rc_check=$?
	failed_before=$tap_failed
	while IFS= read -r line; do
		case "$line" in
		"ok X"*) ok 0 "${line#ok X - }" ;;
		"not ok X"*) ok 1 "${line#not ok X - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$tmp/tap"
	# a checker that died half way must not pass
	if [ "$rc_check" -ne 0 ] && [ "$tap_failed" -eq "$failed_before" ]; then
		ok 1 "check-export.py $1 ran to the end (status $rc_check)"
	fi
}
