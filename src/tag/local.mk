libtagd_a_SOURCES += \
	src/tag/config.c src/tag/config.h \
	src/tag/session.c src/tag/session.h

check_PROGRAMS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/tap.h
TESTS += tests/unit/test-config
