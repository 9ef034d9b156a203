# src/mail: sources and tests (see Makefile.am)
libtagd_a_SOURCES += \
	src/mail/msg.c src/mail/msg.h \
	src/mail/charset.c src/mail/charset.h \
	src/mail/flowed.c src/mail/flowed.h \
	src/mail/html.c src/mail/html.h \
	src/mail/parser.c

check_PROGRAMS += tests/unit/test-mail tests/unit/test-mail-corpus
tests_unit_test_mail_SOURCES = tests/unit/test-mail.c tests/unit/tap.h
tests_unit_test_mail_corpus_SOURCES = tests/unit/test-mail-corpus.c tests/unit/tap.h
TESTS += tests/unit/test-mail tests/unit/test-mail-corpus
EXTRA_DIST += tests/data/mail
