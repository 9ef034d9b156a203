# src/tag: sources and tests (see Makefile.am)
