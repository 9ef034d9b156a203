# src/tag/render: the template language (templates/ holds the templates)
libtagd_a_SOURCES += src/tag/render.c src/tag/render.h

check_PROGRAMS += tests/unit/test-render
tests_unit_test_render_SOURCES = tests/unit/test-render.c tests/unit/tap.h
TESTS += tests/unit/test-render
