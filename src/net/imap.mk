# src/net/imap: the IMAP poller (libetpan) and GnuTLS certificate checks
libtagd_a_SOURCES += \
	src/net/imap.c src/net/imap.h \
	src/net/tlscheck.c src/net/tlscheck.h

# integration: a throwaway Dovecot driven by a small probe program
check_PROGRAMS += tests/integration/imap-probe
tests_integration_imap_probe_SOURCES = tests/integration/imap-probe.c
TESTS += tests/integration/test-imap.sh
EXTRA_DIST += tests/integration/test-imap.sh tests/integration/lib-dovecot.sh
