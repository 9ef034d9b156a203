#ifndef TAGD_TAP_H
#define TAGD_TAP_H
/* A tiny TAP harness (in the spirit of Dovecot's lib-test): each check is
   one "ok N - what" line; the plan is printed at the end; the exit status is
   non-zero when anything failed. Table-driven tests loop over a static array
   and call ok() per row. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...) tap_is_int((long long)(got), (long long)(want), __VA_ARGS__)
__attribute__((format(printf, 3, 4), unused))
static int tap_is_int(long long got, long long want, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int r = ok(got == want, "%s", msg);
	if (!r)
		printf("#   got %lld, want %lld\n", got, want);
	return r;
}

__attribute__((format(printf, 3, 4), unused))
static int is_str(const char *got, const char *want, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int same = (got == NULL && want == NULL) ||
		   (got != NULL && want != NULL && strcmp(got, want) == 0);
	int r = ok(same, "%s", msg);
	if (!r)
		printf("#   got  \"%s\"\n#   want \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
	return r;
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((unused))
static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* the directory holding ../shared (fixtures, corpus): $TAGD_SHARED or
   $(top_srcdir)/../shared */
__attribute__((unused))
static const char *shared_dir(void)
{
	const char *d = getenv("TAGD_SHARED");
	return d ? d : TOP_SRCDIR "/../shared";
}

#endif
