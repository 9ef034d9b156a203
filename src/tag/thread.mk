# src/tag: threading replies onto paragraphs (see Makefile.am)
libtagd_a_SOURCES += \
	src/tag/quote.c src/tag/quote.h \
	src/tag/thread.c src/tag/thread.h

check_PROGRAMS += tests/unit/test-thread tests/unit/test-replies tests/unit/test-corpus-reply
tests_unit_test_thread_SOURCES = tests/unit/test-thread.c tests/unit/tap.h
tests_unit_test_replies_SOURCES = tests/unit/test-replies.c tests/unit/tap.h
tests_unit_test_corpus_reply_SOURCES = tests/unit/test-corpus-reply.c tests/unit/tap.h
TESTS += tests/unit/test-thread tests/unit/test-replies tests/unit/test-corpus-reply
