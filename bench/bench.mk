# bench/: benchmarks side by side with the tools people would use instead.
# `make bench` runs them all and prints the table (README: Performance);
# `make bench-smoke` is a small run, and tests/integration/test-bench-smoke.sh
# runs it under make check (no speed asserted). The peers come from
# bench/install-deps.sh; without them a section measures tagd alone.
check_PROGRAMS += bench/tagd-bench
bench_tagd_bench_SOURCES = bench/tagd-bench.c
TESTS += tests/integration/test-bench-smoke.sh
EXTRA_DIST += tests/integration/test-bench-smoke.sh bench/README bench/bench.py \
	bench/gen-corpus.py bench/score.py bench/peer-parse.py bench/peer-reply.js \
	bench/package.json bench/package-lock.json bench/install-deps.sh \
	bench/run-imap.sh bench/latency.py

BENCH_ENV = TAGD_TEMPLATE_DIR='$(abs_top_srcdir)/templates' \
	TAGD_BUILDDIR='$(abs_top_builddir)' TAGD_SRCDIR='$(abs_top_srcdir)'

bench: tagctl tagd bench/tagd-bench
	$(BENCH_ENV) /usr/bin/python3 $(abs_top_srcdir)/bench/bench.py $(BENCH_ARGS)

bench-smoke: tagctl tagd bench/tagd-bench
	$(BENCH_ENV) /usr/bin/python3 $(abs_top_srcdir)/bench/bench.py --smoke $(BENCH_ARGS)

.PHONY: bench bench-smoke
