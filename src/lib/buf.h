#ifndef TAGD_BUF_H
#define TAGD_BUF_H
/* The one growable byte buffer, with a size cap (curl dynbuf, Dovecot
   buffer_create_dynamic_max). The data is always NUL-terminated so it can be
   used as a C string; it may also hold NUL bytes. Appends that would pass
   the cap fail with -1 and leave the buffer unchanged and marked
   "overflowed"; callers turn that into a clear result (a limit crossed). */
#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *data;      /* NUL-terminated; NULL until the first append */
	size_t len;      /* bytes used, without the NUL */
	size_t cap;      /* bytes allocated */
	size_t max;      /* cap on len; 0 = BUF_DEFAULT_MAX */
	int overflowed;  /* an append was refused */
};

#define BUF_DEFAULT_MAX ((size_t)256 << 20)
#define BUF_INIT { NULL, 0, 0, 0, 0 }

/* buf_init - an empty buffer that refuses to grow past max bytes (0: default) */
void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
/* buf_putc - append one byte; inline while there is room (it is called
   once per byte by the renderer and the encoders) */
static inline int buf_putc(struct buf *b, char c)
{
	if (b->len + 1 < b->cap && b->len < (b->max ? b->max : BUF_DEFAULT_MAX)) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append(b, &c, 1);
}
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* buf_cstr - the contents as a C string ("" when empty); borrowed */
const char *buf_cstr(const struct buf *b);
/* buf_truncate - drop everything after the first n bytes */
void buf_truncate(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* buf_steal - hand the contents to the caller (never NULL) and reset */
char *buf_steal(struct buf *b, size_t *len_r);
/* buf_free - release the memory; the buffer can be reused after buf_init */
void buf_free(struct buf *b);

#endif
