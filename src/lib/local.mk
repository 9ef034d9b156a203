libtagd_a_SOURCES += \
	src/lib/buf.c src/lib/buf.h \
	src/lib/cfg.c src/lib/cfg.h \
	src/lib/clock.c src/lib/clock.h \
	src/lib/csv.c src/lib/csv.h \
	src/lib/digest.c src/lib/digest.h \
	src/lib/json.c src/lib/json.h \
	src/lib/log.c src/lib/log.h \
	src/lib/str.c src/lib/str.h \
	src/lib/utf8.c src/lib/utf8.h \
	src/lib/xalloc.c src/lib/xalloc.h

check_PROGRAMS += tests/unit/test-lib
tests_unit_test_lib_SOURCES = tests/unit/test-lib.c tests/unit/tap.h
TESTS += tests/unit/test-lib
