#ifndef TAGD_XALLOC_H
#define TAGD_XALLOC_H
/* Allocation that never fails: on exhaustion it logs and exits (Postfix
   mymalloc). Error paths are kept for real errors. */
#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray - realloc of n*size, aborting on overflow */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xmemdup0 - copy n bytes and add a NUL */
char *xmemdup0(const void *p, size_t n);
/* xasprintf - formatted allocation; the caller frees */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* xfree - free *pp and set it to NULL */
#define xfree(pp) do { free(*(pp)); *(pp) = NULL; } while (0)

#endif
