libtagd_a_SOURCES += \
	src/tag/config.c src/tag/config.h \
	src/tag/session.c src/tag/session.h \
	src/tag/draft.c src/tag/draft.h \
	src/tag/ctl.c src/tag/ctl.h \
	src/tag/ctl_session.c src/tag/ctl_draft.c src/tag/ctl_participant.c

check_PROGRAMS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/tap.h
TESTS += tests/unit/test-config

TESTS += tests/integration/test-tagctl.sh
EXTRA_DIST += tests/integration/test-tagctl.sh tests/integration/tap.sh \
	tests/data/cli/draft-rev2.md tests/data/cli/participants-bad.csv \
	tests/data/config/bad.session tests/data/config/reversed.session tests/data/config/tagd.conf
