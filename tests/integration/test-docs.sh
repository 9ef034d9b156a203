#!/bin/sh
# test-docs - the man pages and the README kept in step with the programs:
# every option of tagd --help, every tagctl command, every setting and
# session key is documented; each command's --help works.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
doc="$top_srcdir/doc"

"$TAGD" --help >"$tmp/tagd.help"; ok $? "tagd --help"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/tagd.help" | sort -u); do
	esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$doc/tagd.8"
	ok $? "tagd(8) documents $opt"
done

"$TAGCTL" --help >"$tmp/tagctl.help"; ok $? "tagctl --help"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/tagctl.help" | sort -u); do
	esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$doc/tagctl.1"
	ok $? "tagctl(1) documents $opt"
done
for cmd in $(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$tmp/tagctl.help"); do
	grep -Eq "^\.(B|BI|TQ) \"?$cmd( |\"|$)" "$doc/tagctl.1" || grep -Eq "^\.BI? \"?$cmd " "$doc/tagctl.1"
	ok $? "tagctl(1) documents the command $cmd"
	"$TAGCTL" -d "$tmp/h.db" "$cmd" --help >"$tmp/cmd.help" 2>&1
	ok $? "tagctl $cmd --help exits 0"
done

# tagd.conf(5): the generated settings section is the table in the code
"$TAGD" --config-reference conf >"$tmp/conf.ref"; ok $? "the settings reference is generated"
sed -n '/^\.\\" BEGIN SETTINGS/,/^\.\\" END SETTINGS/p' "$doc/tagd.conf.5" | sed '1d;$d' >"$tmp/conf.man"
grep -v 'default /' "$tmp/conf.ref" >"$tmp/a"
grep -v 'default /' "$tmp/conf.man" >"$tmp/b"
if diff -u "$tmp/b" "$tmp/a" >"$tmp/diff"; then
	ok 0 "tagd.conf(5) lists every setting with its type, default and bounds"
else
	ok 1 "tagd.conf(5) lists every setting with its type, default and bounds (regenerate the SETTINGS section)"
	sed 's/^/#   /' "$tmp/diff" | head -20
fi

# tagd-session(5): every key of a session file
"$TAGD" --config-reference session >"$tmp/session.ref"
for key in $(sed -n 's/^\.B \(.*\)$/\1/p' "$tmp/session.ref" | sed 's/\\-/-/g' | sort -u); do
	grep -Eq "^\.BR? (.* )?\"?$key( |\"|$)" "$doc/tagd-session.5"
	ok $? "tagd-session(5) documents $key"
done

# README: the quick start is exactly the two commands
sed -n '/^Quick start/,/^Building/p' "$top_srcdir/README" | grep '^    \./' >"$tmp/qs"
is "$(cat "$tmp/qs" | tr -s ' ' | tr '\n' '|')" " ./quickstart demo| ./quickstart test|" "the README's quick start is ./quickstart demo and ./quickstart test"

done_testing
