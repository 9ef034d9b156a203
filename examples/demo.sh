#!/bin/sh
# demo.sh - the demo TAG week on tagd's embedded defaults: a SQLite file and
# Maildirs under ./demo, no server to set up. Run by `make demo`.
#   demo.sh BUILDDIR SRCDIR
set -eu
build=$1
src=$2
tagctl="$build/tagctl"
out=demo
rm -rf "$out"
mkdir -p "$out"
db="$out/tagd.db"

say() { printf '\n== %s\n' "$*"; }

say "An organizer creates the session from its session file"
"$tagctl" -q -d "$db" session create "$src/examples/prof-learning.session"

say "...adds the accepted participants"
"$tagctl" -q -d "$db" participant import prof-learning "$src/examples/participants.csv"

say "...and imports the draft framing paper"
"$tagctl" -q -d "$db" draft import prof-learning "$src/examples/prof-learning-draft.md"

say "The draft as participants will see it, with numbered paragraphs"
"$tagctl" -q -d "$db" draft show prof-learning

printf '\nThe demo state is in %s/ (database: %s).\n' "$out" "$db"
