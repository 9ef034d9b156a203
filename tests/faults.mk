# tests/faults: fault-injection runs (see tests/integration/test-faults-*.sh)
#
#   make check           the fault tests with small counts (60 messages x 3
#                        kill rounds, 60 mails)
#   make check-faults    the same tests with the full counts: 500 messages x
#                        20 kill -9 rounds, 500 mails (about two minutes on
#                        two cores)
#   make check-valgrind  the unit tests, the fuzz corpus replays and the
#                        integration tests with tagd and tagctl under
#                        valgrind memcheck: no errors, no definite leaks
#                        (logs in valgrind-logs/)

FAULT_TESTS = tests/integration/test-faults-imap.sh tests/integration/test-faults-smtp.sh \
	tests/integration/test-faults-concurrent.sh tests/integration/test-faults-disk.sh
TESTS += $(FAULT_TESTS)
EXTRA_DIST += $(FAULT_TESTS) tests/valgrind.supp

# ENOSPC without a small filesystem to fill (not root): a preloaded shim
check_PROGRAMS += tests/integration/enospc.so
tests_integration_enospc_so_SOURCES = tests/integration/enospc.c
tests_integration_enospc_so_CFLAGS = -fPIC
tests_integration_enospc_so_LDFLAGS = -shared
tests_integration_enospc_so_LDADD = -ldl

FAULT_COUNTS = TAGD_FAULTS_MESSAGES=500 TAGD_FAULTS_ROUNDS=20 TAGD_FAULTS_MAILS=500

check-faults: all
	$(MAKE) $(AM_MAKEFLAGS) $(check_PROGRAMS)
	$(FAULT_COUNTS) $(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS="$(FAULT_TESTS)"

VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --num-callers=40 --track-fds=no --vgdb=no \
	--suppressions=$(abs_top_srcdir)/tests/valgrind.supp \
	--log-file=$(abs_top_builddir)/valgrind-logs/%p.log
# the programs (unit tests) and the shell tests (tagd and tagctl through
# TAGD_WRAPPER, see tests/integration/tap.sh)
check-valgrind: all
	$(MAKE) $(AM_MAKEFLAGS) $(check_PROGRAMS)
	rm -rf valgrind-logs && mkdir -p valgrind-logs && chmod 1777 valgrind-logs # (tagd as [tagd] user logs too)
	list=; for t in $(TESTS); do case $$t in tests/unit/*|tests/fuzz/*|*.sh) list="$$list $$t";; esac; done; \
	rc=0; TAGD_WRAPPER='$(VALGRIND)' $(MAKE) $(AM_MAKEFLAGS) -k check-TESTS \
		TESTS="$$list" LOG_COMPILER='$(VALGRIND)' || rc=$$?; \
	bad=$$(find valgrind-logs -type f -name '*.log' -size +0 | sort); \
	if [ -n "$$bad" ]; then \
		echo "valgrind found errors or definite leaks:"; \
		for f in $$bad; do echo "== $$f"; head -60 "$$f"; done; \
		exit 1; \
	fi; \
	echo "valgrind: no errors, no definite leaks ($$(ls valgrind-logs | wc -l) processes)"; \
	exit $$rc

clean-local: clean-valgrind-logs
clean-valgrind-logs:
	rm -rf valgrind-logs tests/integration/wrapped

.PHONY: check-faults check-valgrind clean-valgrind-logs
