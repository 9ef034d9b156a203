# tests/fuzz: libFuzzer targets and the corpus replay (see tests/fuzz)
#
# `make fuzz` builds fuzz/fuzz-TARGET with clang, libFuzzer, ASan and
# UBSan from a separately instrumented copy of the sources (fuzz/obj;
# tests/fuzz/build.sh);
# run one as  fuzz/fuzz-message -max_total_time=600 -rss_limit_mb=2048 \
#   CORPUS_DIR $(top_srcdir)/tests/fuzz/corpus/message
# `make check` replays every committed input (seeds and the inputs that
# once crashed a target) through each target built with the project's
# compiler against libtagd.a: tests/fuzz/replay-TARGET, one TAP line each.
FUZZ_CC = clang
FUZZ_DIR = fuzz
FUZZ_CFLAGS = -g -O1 -std=c11 -pthread
FUZZ_TARGETS = message draft config ical lmtp render

FUZZ_BUILD = FUZZ_CC='$(FUZZ_CC)' FUZZ_OUT='$(abs_top_builddir)/$(FUZZ_DIR)' \
	FUZZ_SRCDIR='$(abs_top_srcdir)' FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	FUZZ_LIBS='$(ALL_LIBS) -lpthread' \
	bash $(srcdir)/tests/fuzz/build.sh $(DEFS) -I$(abs_top_builddir) -I$(abs_top_srcdir) -I$(abs_top_srcdir)/src \
		-I$(abs_top_srcdir)/tests/fuzz $(AM_CPPFLAGS) $(FUZZ_CFLAGS) \
		$(LIBETPAN_CFLAGS) $(GNUTLS_CFLAGS) $(LIBCURL_CFLAGS) $(SQLITE_CFLAGS) \
		$(LIBICAL_CFLAGS) $(CMARK_CFLAGS) $(INIH_CFLAGS) $(LIBXML2_CFLAGS) \
		-- $(libtagd_a_SOURCES)
fuzz: libtagd.a
	$(AM_V_GEN)FUZZ_MODE=fuzz $(FUZZ_BUILD)
# fuzz/cov-TARGET: the targets with source-based coverage, to measure a corpus:
#   fuzz/cov-message DIR && llvm-profdata merge default.profraw -o m.profdata &&
#   llvm-cov report fuzz/cov-message -instr-profile=m.profdata
fuzz-coverage: libtagd.a
	$(AM_V_GEN)FUZZ_MODE=coverage $(FUZZ_BUILD)
.PHONY: fuzz fuzz-coverage
clean-local: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)
.PHONY: clean-fuzz

FUZZ_REPLAY_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-common.c tests/fuzz/fuzz.h
check_PROGRAMS += tests/fuzz/replay-message tests/fuzz/replay-draft tests/fuzz/replay-config \
	tests/fuzz/replay-ical tests/fuzz/replay-lmtp tests/fuzz/replay-render
tests_fuzz_replay_message_SOURCES = tests/fuzz/fuzz-message.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_draft_SOURCES = tests/fuzz/fuzz-draft.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz-config.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ical_SOURCES = tests/fuzz/fuzz-ical.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_lmtp_SOURCES = tests/fuzz/fuzz-lmtp.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_render_SOURCES = tests/fuzz/fuzz-render.c $(FUZZ_REPLAY_SOURCES)
TESTS += tests/fuzz/replay-message tests/fuzz/replay-draft tests/fuzz/replay-config \
	tests/fuzz/replay-ical tests/fuzz/replay-lmtp tests/fuzz/replay-render
EXTRA_DIST += tests/fuzz/build.sh tests/fuzz/seed.sh tests/fuzz/draft.md tests/fuzz/README \
	tests/fuzz/corpus tests/fuzz/regress
