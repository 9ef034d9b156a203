# src/mail/compose: outgoing MIME messages (libetpan's writer)
libtagd_a_SOURCES += src/mail/compose.c src/mail/compose.h

check_PROGRAMS += tests/unit/test-compose
tests_unit_test_compose_SOURCES = tests/unit/test-compose.c tests/unit/tap.h
TESTS += tests/unit/test-compose
EXTRA_DIST += tests/data/render/mailinfo.py
