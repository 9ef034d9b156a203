# bench/: benchmarks side by side with the tools people would use instead.
# `make bench` runs them all and prints the table (README: Performance);
# `make bench-smoke` is a small run (tests/integration/test-bench-smoke.sh
# runs it under make check). The peers come from bench/install-deps.sh.
EXTRA_PROGRAMS = bench/tagd-bench
bench_tagd_bench_SOURCES = bench/tagd-bench.c
CLEANFILES += bench/tagd-bench
EXTRA_DIST += bench/gen-corpus.py bench/score.py bench/peer-parse.py bench/peer-reply.js \
	bench/package.json bench/package-lock.json
