# src/mail: sources and tests (see Makefile.am)
libtagd_a_SOURCES += \
	src/mail/msg.c src/mail/msg.h \
	src/mail/charset.c src/mail/charset.h \
	src/mail/flowed.c src/mail/flowed.h \
	src/mail/html.c src/mail/html.h \
	src/mail/parser.c
