# src/mail: sources and tests (see Makefile.am)
