# filters: sources and tests (see Makefile.am)
