# src/mail pieces used before parsing: the quick header scan and the
# list-address scheme
libtagd_a_SOURCES += \
	src/mail/quick.c src/mail/quick.h \
	src/mail/listaddr.c src/mail/listaddr.h
