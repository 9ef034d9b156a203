/* fuzz-common.c - helpers of the fuzz targets (fuzz.h) */
#include "config.h"
#include "fuzz.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *fuzz_data_path(const char *name)
{
	const char *dir = getenv("TAGD_FUZZ_DATA");
	if (dir && *dir)
		return xasprintf("%s/%s", dir, name);
	return xasprintf("%s/tests/fuzz/%s", TOP_SRCDIR, name);
}

char *fuzz_read(const char *path, size_t *len_r)
{
	char *data;
	size_t len;
	if (str_read_file(path, (size_t)4 << 20, &data, &len) < 0) {
		fprintf(stderr, "fuzz: cannot read %s: %s\n", path, strerror(errno));
		abort();
	}
	if (len_r)
		*len_r = len;
	return data;
}

void fuzz_check_at(int cond, const char *what, const char *file, int line)
{
	if (cond)
		return;
	fprintf(stderr, "%s:%d: property broken: %s\n", file, line, what);
	abort();
}
