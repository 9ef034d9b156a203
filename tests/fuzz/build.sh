#!/bin/bash
# build.sh - the clang builds of tests/fuzz (run by `make fuzz` and
# `make fuzz-coverage`).
#   FUZZ_MODE=fuzz (default): compiles the project's sources again with
#     clang, instrumented for coverage feedback (-fsanitize=fuzzer-no-link)
#     with ASan and UBSan, into $FUZZ_OUT/obj, and links each
#     $FUZZ_OUT/fuzz-TARGET with libFuzzer.
#   FUZZ_MODE=coverage: the same sources with source-based coverage
#     (-fprofile-instr-generate -fcoverage-mapping) into $FUZZ_OUT/cov-obj,
#     and $FUZZ_OUT/cov-TARGET: the target with replay.c's main, to run
#     over a corpus and read with llvm-profdata and llvm-cov.
# Only what changed (the source or a header it includes) is compiled again.
#   FUZZ_CC FUZZ_OUT FUZZ_SRCDIR FUZZ_TARGETS FUZZ_LIBS FUZZ_JOBS FUZZ_MODE
#   in the environment; arguments: compiler flags, then --, then the
#   project's sources.
set -u
cc=${FUZZ_CC:-clang}
out=${FUZZ_OUT:?}
srcdir=${FUZZ_SRCDIR:?}
jobs=${FUZZ_JOBS:-2}
mode=${FUZZ_MODE:-fuzz}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
case "$mode" in
fuzz)
	objdir=$out/obj
	ccflags="-fsanitize=fuzzer-no-link $san"
	ldflags="-fsanitize=fuzzer $san"
	prefix=fuzz
	;;
coverage)
	objdir=$out/cov-obj
	ccflags="-fprofile-instr-generate -fcoverage-mapping"
	ldflags=$ccflags
	prefix=cov
	;;
*)
	echo "build.sh: FUZZ_MODE is fuzz or coverage" >&2
	exit 2
	;;
esac
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	flags+=("$1")
	shift
done
[ $# -gt 0 ] && shift
mkdir -p "$objdir" || exit 1

# stale - 0 when $1 (an object) must be built again: missing, or older than
# a file its .d lists
stale() {
	local obj=$1 dep=$1.d f
	[ -f "$obj" ] && [ -f "$dep" ] || return 0
	for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
		[ "$f" -nt "$obj" ] && return 0
	done
	return 1
}

# compile SRC OBJ - one instrumented object
compile() {
	echo "  FUZZCC   ${1#"$srcdir"/}"
	# shellcheck disable=SC2086
	"$cc" "${flags[@]}" $ccflags -MMD -MF "$2.d" -c "$1" -o "$2"
}

fail=0
running=0
objs=()
for s in "$@"; do
	case "$s" in *.c) ;; *) continue ;; esac
	obj=$objdir/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
	objs+=("$obj")
	stale "$obj" || continue
	compile "$srcdir/$s" "$obj" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n || fail=1
		running=$((running - 1))
	fi
done
while [ $running -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
[ $fail -eq 0 ] || { echo "build.sh: compiling the project failed" >&2; exit 1; }

common=("$objdir/fuzz-common.o")
[ "$mode" = coverage ] && common+=("$objdir/replay.o")
for c in "${common[@]}"; do
	base=$(basename "$c" .o)
	if stale "$c"; then
		compile "$srcdir/tests/fuzz/$base.c" "$c" || exit 1
	fi
done
for t in $FUZZ_TARGETS; do
	obj=$objdir/fuzz-$t.o
	if stale "$obj"; then
		compile "$srcdir/tests/fuzz/fuzz-$t.c" "$obj" || exit 1
	fi
	bin=$out/$prefix-$t
	newer=0
	[ -f "$bin" ] || newer=1
	for o in "$obj" "${common[@]}" "${objs[@]}"; do
		[ "$o" -nt "$bin" ] && newer=1 && break
	done
	[ $newer -eq 1 ] || continue
	echo "  FUZZLD   $prefix-$t"
	# shellcheck disable=SC2086
	"$cc" $ldflags -pthread -o "$bin" "$obj" "${common[@]}" "${objs[@]}" $FUZZ_LIBS || exit 1
done
echo "in $out: $(for t in $FUZZ_TARGETS; do printf '%s-%s ' "$prefix" "$t"; done)"
