# src/doc: sources and tests (see Makefile.am)
