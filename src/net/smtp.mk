# src/net: SMTP client (libcurl), LMTP server; their tests and test servers
libtagd_a_SOURCES += \
	src/net/smtp.c src/net/smtp.h \
	src/net/lmtp.c src/net/lmtp.h \
	src/net/listen.c src/net/listen.h

check_PROGRAMS += tests/unit/test-lmtp \
	tests/integration/smtp-probe tests/integration/lmtp-probe
tests_unit_test_lmtp_SOURCES = tests/unit/test-lmtp.c tests/unit/tap.h
tests_integration_smtp_probe_SOURCES = tests/integration/smtp-probe.c
tests_integration_lmtp_probe_SOURCES = tests/integration/lmtp-probe.c

TESTS += tests/unit/test-lmtp \
	tests/integration/test-smtp.sh tests/integration/test-lmtp.sh
EXTRA_DIST += tests/integration/test-smtp.sh tests/integration/test-lmtp.sh \
	tests/integration/lib-smtpd.sh tests/integration/smtpd.py \
	tests/data/smtp/README tests/data/smtp/dots.eml
