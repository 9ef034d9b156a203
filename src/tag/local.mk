libtagd_a_SOURCES += \
	src/tag/settings.c src/tag/settings.h \
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
libtagd_a_SOURCES += \
	src/tag/ingest.c src/tag/ingest.h \
	src/tag/context.c src/tag/context.h \
	src/tag/rsvp.c src/tag/rsvp.h \
	src/tag/token.c src/tag/token.h
libtagd_a_SOURCES += \
	src/tag/mailbox.c src/tag/mailbox.h \
	src/tag/ctl_inject.c

TESTS += tests/integration/test-replies.sh tests/integration/test-daemon.sh
EXTRA_DIST += tests/integration/test-replies.sh tests/integration/check-expected.py tests/integration/test-daemon.sh
libtagd_a_SOURCES += src/tag/daemon.c src/tag/daemon.h
libtagd_a_SOURCES += src/tag/mailout.c src/tag/mailout.h
libtagd_a_SOURCES += src/tag/sender.c src/tag/sender.h
libtagd_a_SOURCES += src/tag/ctl_outbox.c
libtagd_a_SOURCES += src/tag/signup.c src/tag/signup.h
# sign-up and invitations: commands by mail, tagctl invite/pending/approve/reject,
# the one-click unsubscribe endpoint (src/net/http)
libtagd_a_SOURCES += src/tag/invite.c src/tag/invite.h src/tag/ctl_signup.c \
	src/net/http.c src/net/http.h
# the launch call's invitation (renamed from invitation.*: that is now the TAG invitation)
calltemplatesdir = $(pkgdatadir)/templates
dist_calltemplates_DATA = templates/call-invitation.html templates/call-invitation.txt
libtagd_a_SOURCES += src/tag/ctl_status.c
check_PROGRAMS += tests/unit/test-signup
tests_unit_test_signup_SOURCES = tests/unit/test-signup.c tests/unit/tap.h
TESTS += tests/unit/test-signup
EXTRA_DIST += tests/data/signup/contacts.csv tests/data/signup/signup.session tests/data/signup/approval.session \
	tests/data/signup/join-novice.eml tests/data/signup/join-liberal.eml tests/data/signup/vacation-join.eml
TESTS += tests/integration/test-signup.sh tests/integration/test-invite.sh
EXTRA_DIST += tests/integration/test-signup.sh tests/integration/test-invite.sh
# the week: schedule, draft mail, digests, relays, revisions by mail
libtagd_a_SOURCES += src/store/schedule.c \
	src/tag/schedule.c src/tag/schedule.h \
	src/tag/draftmail.c src/tag/draftmail.h \
	src/tag/digest.c src/tag/digest.h \
	src/tag/relay.c src/tag/relay.h \
	src/tag/revise.c src/tag/revise.h \
	src/tag/ctl_comment.c src/tag/ctl_schedule.c
# the template of answers to organizers about mailed revisions (installed with the others)
weektemplatesdir = $(pkgdatadir)/templates
dist_weektemplates_DATA = templates/revise.html templates/revise.txt
check_PROGRAMS += tests/unit/test-schedule
tests_unit_test_schedule_SOURCES = tests/unit/test-schedule.c tests/unit/tap.h
TESTS += tests/unit/test-schedule
EXTRA_DIST += examples/prof-learning-draft-r2.md examples/demo-replies/contacts.csv \
	examples/demo-replies/revise-r2.head examples/demo-replies/friday-evening.eml \
	examples/demo-replies/late-comment.eml

TESTS += tests/integration/test-docs.sh tests/integration/test-signals.sh
EXTRA_DIST += tests/integration/test-docs.sh tests/integration/test-signals.sh
# the launch call by mail: invitations, updates, cancel, reminder, counter
# proposals to the organizers; tagctl call
libtagd_a_SOURCES += src/tag/callmail.c src/tag/callmail.h src/tag/ctl_call.c
check_PROGRAMS += tests/unit/test-callmail
tests_unit_test_callmail_SOURCES = tests/unit/test-callmail.c tests/unit/tap.h
TESTS += tests/unit/test-callmail tests/integration/test-callmail.sh
EXTRA_DIST += tests/integration/test-callmail.sh tests/data/callmail/counter.ics
# the organizers' export (md, html, csv, json with a heat map) and the final paper
libtagd_a_SOURCES += src/tag/export.c src/tag/export.h src/tag/final.c src/tag/final.h src/tag/ctl_export.c
# sender trust ([trust] mode token|dmarc|from) and the hostile-input checks
libtagd_a_SOURCES += src/tag/trust.c src/tag/trust.h
trusttemplatesdir = $(pkgdatadir)/templates
dist_trusttemplates_DATA = templates/confirm-comment.html templates/confirm-comment.txt
TESTS += tests/integration/test-hostile.sh tests/integration/test-sql.sh tests/integration/test-trust.sh
EXTRA_DIST += tests/integration/test-hostile.sh tests/integration/test-sql.sh tests/integration/test-trust.sh
# processing archived mail with the next message sent to the parser ahead
TESTS += tests/integration/test-resume.sh
EXTRA_DIST += tests/integration/test-resume.sh
check_PROGRAMS += tests/unit/test-export
tests_unit_test_export_SOURCES = tests/unit/test-export.c tests/unit/tap.h
TESTS += tests/unit/test-export tests/integration/test-export.sh tests/integration/test-browser.sh
EXTRA_DIST += tests/integration/test-export.sh tests/integration/test-browser.sh \
	tests/integration/lib-export.sh tests/integration/check-export.py
CLEANFILES += test-browser-export.png test-browser-digest.png
TESTS += tests/integration/test-week.sh
EXTRA_DIST += tests/integration/test-week.sh tests/data/week/farah-reply-to-relay.eml \
	tests/data/week/ana-friday-evening.eml tests/data/week/wei-late-1.eml tests/data/week/wei-late-2.eml \
	tests/data/week/revise-r2.head tests/data/week/revise-confirm.eml
