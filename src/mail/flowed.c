#include "config.h"
#include "mail/flowed.h"
#include <string.h>

/* flowed_fixed - copy runs between CRs */
void flowed_fixed(const char *in, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		const char *cr = memchr(in + i, '\r', len - i);
		size_t end = cr ? (size_t)(cr - in) : len;
		buf_append(out, in + i, end - i);
		if (!cr)
			break;
		buf_putc(out, '\n');
		i = end + 1;
		if (i < len && in[i] == '\n')
			i++;
	}
}

/* emit_prefix - the quote marks of a line of depth q */
static void emit_prefix(struct buf *out, int q, int content)
{
	for (int k = 0; k < q; k++)
		buf_putc(out, '>');
	if (q && content)
		buf_putc(out, ' ');
}

/* flowed_unwrap - one line at a time; a flowed line leaves its paragraph open */
void flowed_unwrap(const char *in, size_t len, int delsp, struct buf *out)
{
	size_t i = 0;
	int open = 0;           /* a flowed paragraph is being continued */
	int open_q = 0;
	int last_nl = 0;

	while (i < len) {
		const char *nl = memchr(in + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - in) : len;
		size_t next = nl ? end + 1 : len;
		size_t e = end;
		if (e > i && in[e - 1] == '\r')
			e--;
		const char *p = in + i;
		size_t n = e - i;
		int q = 0;
		while ((size_t)q < n && p[q] == '>')
			q++;
		p += q;
		n -= (size_t)q;
		if (n && p[0] == ' ')
			p++, n--;
		int sig = n == 3 && memcmp(p, "-- ", 3) == 0;
		int flowed = n && p[n - 1] == ' ' && !sig;

		if (open && q != open_q) {
			/* a quote depth change ends a paragraph (RFC 3676 4.5) */
			buf_putc(out, '\n');
			open = 0;
		}
		if (!open)
			emit_prefix(out, q, n > 0 && !(flowed && delsp && n == 1));
		if (flowed && delsp)
			n--;
		buf_append(out, p, n);
		if (flowed) {
			open = 1;
			open_q = q;
		} else {
			open = 0;
			if (nl)
				buf_putc(out, '\n');
		}
		last_nl = nl != NULL;
		i = next;
	}
	if (open && last_nl)
		buf_putc(out, '\n');
}
