# src/net: sources and tests (see Makefile.am)
