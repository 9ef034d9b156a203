# filters: sources and tests (see Makefile.am)
libtagd_a_SOURCES += \
	filters/filter.c filters/filter.h \
	filters/size.c \
	filters/loop.c \
	filters/autoreply.c \
	filters/bounce.c \
	filters/sender.c \
	filters/signature.c filters/signature.h \
	filters/external.c
