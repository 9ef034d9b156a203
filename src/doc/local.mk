# src/doc: the draft (cmark), revision alignment, word diff
libtagd_a_SOURCES += \
	src/doc/draft.c src/doc/draft.h \
	src/doc/align.c src/doc/align.h \
	src/doc/diff.c src/doc/diff.h

check_PROGRAMS += tests/unit/test-doc
tests_unit_test_doc_SOURCES = tests/unit/test-doc.c tests/unit/tap.h
TESTS += tests/unit/test-doc
EXTRA_DIST += tests/data/draft-revised.md tests/data/draft-markup.md
