#!/bin/bash
# build.sh - the libFuzzer builds of tests/fuzz (run by `make fuzz`).
# Compiles the project's sources again with clang, instrumented for
# coverage (-fsanitize=fuzzer-no-link) with ASan and UBSan, into
# $FUZZ_OUT/obj, then links each fuzz-TARGET against them. Only what
# changed (the source or a header it includes) is compiled again.
#   FUZZ_CC FUZZ_OUT FUZZ_SRCDIR FUZZ_TARGETS FUZZ_LIBS FUZZ_JOBS in the environment;
#   arguments: compiler flags, then --, then the project's sources.
set -u
cc=${FUZZ_CC:-clang}
out=${FUZZ_OUT:?}
srcdir=${FUZZ_SRCDIR:?}
jobs=${FUZZ_JOBS:-2}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	flags+=("$1")
	shift
done
[ $# -gt 0 ] && shift
mkdir -p "$out/obj" || exit 1

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

# compile SRC OBJ EXTRA... - one instrumented object
compile() {
	local src=$1 obj=$2
	shift 2
	echo "  FUZZCC   ${src#"$srcdir"/}"
	"$cc" "${flags[@]}" "$@" $san -MMD -MF "$obj.d" -c "$src" -o "$obj"
}

fail=0
running=0
objs=()
for s in "$@"; do
	case "$s" in *.c) ;; *) continue ;; esac
	src=$srcdir/$s
	obj=$out/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
	objs+=("$obj")
	stale "$obj" || continue
	compile "$src" "$obj" -fsanitize=fuzzer-no-link &
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

common=$out/obj/fuzz-common.o
if stale "$common"; then
	compile "$srcdir/tests/fuzz/fuzz-common.c" "$common" -fsanitize=fuzzer-no-link || exit 1
fi
for t in $FUZZ_TARGETS; do
	obj=$out/obj/fuzz-$t.o
	if stale "$obj"; then
		compile "$srcdir/tests/fuzz/fuzz-$t.c" "$obj" -fsanitize=fuzzer-no-link || exit 1
	fi
	bin=$out/fuzz-$t
	newer=0
	[ -f "$bin" ] || newer=1
	for o in "$obj" "$common" "${objs[@]}"; do
		[ "$o" -nt "$bin" ] && newer=1 && break
	done
	[ $newer -eq 1 ] || continue
	echo "  FUZZLD   fuzz-$t"
	# shellcheck disable=SC2086
	"$cc" -fsanitize=fuzzer $san -pthread -o "$bin" "$obj" "$common" "${objs[@]}" $FUZZ_LIBS || exit 1
done
echo "fuzz targets in $out: $(for t in $FUZZ_TARGETS; do printf 'fuzz-%s ' "$t"; done)"
