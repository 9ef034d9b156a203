# src/net: sources and tests (see Makefile.am)
libtagd_a_SOURCES += \
	src/net/smtp.c src/net/smtp.h

check_PROGRAMS += tests/integration/smtp-probe
tests_integration_smtp_probe_SOURCES = tests/integration/smtp-probe.c

TESTS += tests/integration/test-smtp.sh
EXTRA_DIST += tests/integration/test-smtp.sh tests/integration/lib-smtpd.sh \
	tests/integration/smtpd.py
