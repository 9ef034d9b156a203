# filters: sources and tests (see Makefile.am)
libtagd_a_SOURCES += \
	filters/filter.c filters/filter.h \
	filters/size.c \
	filters/loop.c \
	filters/autoreply.c \
	filters/bounce.c \
	filters/sender.c \
	filters/signature.c filters/signature.h \
	filters/external.c

check_PROGRAMS += tests/unit/test-filters tests/unit/test-filters-corpus
tests_unit_test_filters_SOURCES = tests/unit/test-filters.c tests/unit/tap.h
tests_unit_test_filters_corpus_SOURCES = tests/unit/test-filters-corpus.c tests/unit/tap.h
TESTS += tests/unit/test-filters tests/unit/test-filters-corpus
