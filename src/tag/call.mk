# src/tag/call: the launch call's iCalendar objects (libical) and RSVP parsing
libtagd_a_SOURCES += src/tag/call.c src/tag/call.h src/tag/tz.c src/tag/tz.h

check_PROGRAMS += tests/unit/test-call
tests_unit_test_call_SOURCES = tests/unit/test-call.c tests/unit/tap.h
TESTS += tests/unit/test-call

check_PROGRAMS += tests/integration/ical-gen
tests_integration_ical_gen_SOURCES = tests/integration/ical-gen.c
TESTS += tests/integration/test-ical.sh
EXTRA_DIST += tests/integration/test-ical.sh tests/data/ical
