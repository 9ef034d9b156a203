/* replay - feed every committed input of one fuzz target to its
   LLVMFuzzerTestOneInput, without libFuzzer: the seed corpus
   (tests/fuzz/corpus/TARGET) and the inputs that once crashed it
   (tests/fuzz/regress/TARGET). The target is named by the program's name
   (replay-message and cov-message run fuzz-message). Files or directories given as
   arguments are replayed instead. One TAP line: the count of inputs. A
   crash or a broken property aborts, and make check reports the test as
   failed; each input's name is printed to stderr first (TAGD_FUZZ_VERBOSE)
   to find the one at fault. */
#include "config.h"
#include "fuzz.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUTS 100000

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* collect - the regular files of dir (or dir itself when it is a file), sorted */
static int collect(const char *dir, char ***files_r, int *n_r)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		*files_r = xreallocarray(*files_r, (size_t)*n_r + 1, sizeof(char *));
		(*files_r)[(*n_r)++] = xstrdup(dir);
		return 0;
	}
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int first = *n_r;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && *n_r < MAX_INPUTS) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			*files_r = xreallocarray(*files_r, (size_t)*n_r + 1, sizeof(char *));
			(*files_r)[(*n_r)++] = path;
		} else {
			free(path);
		}
	}
	closedir(d);
	qsort(*files_r + first, (size_t)(*n_r - first), sizeof(char *), cmp_str);
	return 0;
}

static int run(char **files, int n, int verbose)
{
	for (int i = 0; i < n; i++) {
		if (verbose)
			fprintf(stderr, "# %s\n", files[i]);
		size_t len;
		char *data = fuzz_read(files[i], &len);
		/* an exact-size copy, as libFuzzer passes it */
		unsigned char *copy = xmalloc(len ? len : 1);
		memcpy(copy, data, len);
		free(data);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	/* replay-TARGET (make check), cov-TARGET (make fuzz-coverage); a
	   libtool-style "lt-" prefix would come first */
	const char *target = base;
	if (strncmp(target, "lt-", 3) == 0)
		target += 3;
	if (strncmp(target, "replay-", 7) == 0)
		target += 7;
	else if (strncmp(target, "cov-", 4) == 0)
		target += 4;
	int verbose = getenv("TAGD_FUZZ_VERBOSE") != NULL;
	LLVMFuzzerInitialize(&argc, &argv);
	char **files = NULL;
	int n = 0;
	printf("1..1\n");
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (collect(argv[i], &files, &n) < 0)
				fprintf(stderr, "replay: cannot read %s\n", argv[i]);
		int done = run(files, n, verbose);
		printf("%s 1 - %s: %d inputs given\n", done > 0 ? "ok" : "not ok", target, done);
	} else {
		char *corpus = xasprintf("%s/tests/fuzz/corpus/%s", TOP_SRCDIR, target);
		char *regress = xasprintf("%s/tests/fuzz/regress/%s", TOP_SRCDIR, target);
		int have = collect(corpus, &files, &n) == 0;
		int nseeds = n;
		collect(regress, &files, &n); /* a target may have no regression inputs yet */
		run(files, n, verbose);
		printf("%s 1 - %s: %d inputs replayed (%d seeds, %d regression inputs)\n",
		       have && nseeds > 0 ? "ok" : "not ok", target, n, nseeds, n - nseeds);
		free(corpus);
		free(regress);
	}
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return 0;
}
