# tap.sh - TAP helpers for the shell integration tests (sourced)
# ok COND_EXIT_STATUS DESCRIPTION: `cmd; ok $? "what"` or `ok_cmd "what" cmd args`
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

# like FILE PATTERN DESCRIPTION - grep -q -- PATTERN FILE
like() {
	if grep -q -- "$2" "$1"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   '$2' not found in $1:"
		sed 's/^/#   | /' "$1" | head -20
	fi
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

diag() {
	echo "# $*"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# bounded wait: wait_for SECONDS CMD... (polls every 0.1 s)
wait_for() {
	wf_limit=$(($1 * 10))
	shift
	wf_i=0
	while [ $wf_i -lt $wf_limit ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		wf_i=$((wf_i + 1))
	done
	return 1
}

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
: "${TAGD_SHARED:=$top_srcdir/../shared}"
: "${TAGD_TEMPLATE_DIR:=$top_srcdir/templates}"
export TAGD_TEMPLATE_DIR
TAGCTL="$top_builddir/tagctl"
TAGD="$top_builddir/tagd"
# TAGD_WRAPPER (make check-valgrind): run both programs under it, through
# small scripts that exec it (so "$TAGD" stays one word and its pid is the
# wrapped program's)
if [ -n "${TAGD_WRAPPER:-}" ]; then
	tap_wrap="$top_builddir/tests/integration/wrapped"
	mkdir -p "$tap_wrap"
	for tap_p in tagctl tagd; do
		printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$TAGD_WRAPPER" "$top_builddir/$tap_p" \
			>"$tap_wrap/$tap_p.$$"
		chmod 755 "$tap_wrap/$tap_p.$$"
		mv -f "$tap_wrap/$tap_p.$$" "$tap_wrap/$tap_p"
	done
	TAGCTL="$tap_wrap/tagctl"
	TAGD="$tap_wrap/tagd"
fi
# tap_slow: what a bounded wait on tagd or tagctl is multiplied by: 10 under
# TAGD_WRAPPER (valgrind runs them 10 to 50 times slower and checks for leaks
# at exit), else 1; TAGD_TEST_SLOW sets it (at least 10 under the wrapper)
tap_slow=${TAGD_TEST_SLOW:-1}
[ -n "${TAGD_WRAPPER:-}" ] && [ "$tap_slow" -lt 10 ] && tap_slow=10
