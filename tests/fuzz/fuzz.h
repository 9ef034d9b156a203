#ifndef TAGD_FUZZ_H
#define TAGD_FUZZ_H
/* What every fuzz target in tests/fuzz shares. A target defines
   LLVMFuzzerInitialize (once, before the first input) and
   LLVMFuzzerTestOneInput (per input; must not keep state between inputs
   beyond caches). Built two ways: with clang and libFuzzer (make fuzz),
   and with the project's compiler against replay.c, which feeds every
   file of the committed corpus and regression inputs (make check). A
   target aborts when a property it checks does not hold, so a broken
   property is a crash to libFuzzer and a failed replay. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_data_path - TAGD_FUZZ_DATA/name when that is set, else the source
   tree's tests/fuzz/name; the caller frees */
char *fuzz_data_path(const char *name);
/* fuzz_read - a whole small file (at most 4 MB), NUL-terminated; aborts
   when it cannot be read (a broken setup, not an input) */
char *fuzz_read(const char *path, size_t *len_r);
/* fuzz_check - abort with a message when cond is false */
#define fuzz_check(cond, what) fuzz_check_at((cond), (what), __FILE__, __LINE__)
void fuzz_check_at(int cond, const char *what, const char *file, int line);

#endif
