# src/tag/render: the template language (templates/ holds the templates)
libtagd_a_SOURCES += src/tag/render.c src/tag/render.h

check_PROGRAMS += tests/unit/test-render
tests_unit_test_render_SOURCES = tests/unit/test-render.c tests/unit/tap.h
TESTS += tests/unit/test-render

# the default templates, installed where TAGD_TEMPLATEDIR points
templatesdir = $(pkgdatadir)/templates
dist_templates_DATA = templates/README \
	templates/ack.html \
	templates/ack.txt \
	templates/call-counter.html \
	templates/call-counter.txt \
	templates/call-reminder.html \
	templates/call-reminder.txt \
	templates/decline.html \
	templates/decline.txt \
	templates/digest.html \
	templates/digest.txt \
	templates/draft.html \
	templates/draft.txt \
	templates/final.html \
	templates/final.txt \
	templates/held.html \
	templates/held.txt \
	templates/help.html \
	templates/help.txt \
	templates/invitation.html \
	templates/invitation.txt \
	templates/late-comment.html \
	templates/late-comment.txt \
	templates/relay.html \
	templates/relay.txt \
	templates/session-closed.html \
	templates/session-closed.txt \
	templates/signup-confirm.html \
	templates/signup-confirm.txt \
	templates/welcome.html \
	templates/welcome.txt
