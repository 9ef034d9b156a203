# src/store: sources and tests (see Makefile.am)
