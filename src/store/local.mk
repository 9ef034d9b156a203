libtagd_a_SOURCES += \
	src/store/db.c src/store/db.h src/store/db_internal.h \
	src/store/migrate.c \
	src/store/session.c src/store/participant.c src/store/draft.c \
	src/store/message.c src/store/comment.c src/store/sentref.c src/store/call.c src/store/outbox.c \
	src/store/store.h

check_PROGRAMS += tests/unit/test-store
tests_unit_test_store_SOURCES = tests/unit/test-store.c tests/unit/tap.h
TESTS += tests/unit/test-store
