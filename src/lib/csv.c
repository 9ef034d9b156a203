#include "config.h"
#include "lib/csv.h"
#include <string.h>

void csv_reader_init(struct csv_reader *r, const char *text, size_t len)
{
	r->p = text;
	r->end = text + len;
	r->line = 1;
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_init(&r->field[i], 64 * 1024);
	/* a UTF-8 byte order mark, as spreadsheets write it */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
}

void csv_reader_free(struct csv_reader *r)
{
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_free(&r->field[i]);
}

static void skip_line(struct csv_reader *r)
{
	while (r->p < r->end && *r->p != '\n')
		r->p++;
	if (r->p < r->end) {
		r->p++;
		r->line++;
	}
}

int csv_next(struct csv_reader *r, struct csv_record *rec, const char **error_r)
{
	/* skip blank lines */
	while (r->p < r->end && (*r->p == '\n' || (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n'))) {
		r->p += *r->p == '\r' ? 2 : 1;
		r->line++;
	}
	if (r->p >= r->end)
		return 0;
	rec->line = r->line;
	rec->nfields = 0;
	int nf = 0;
	for (;;) {
		if (nf == CSV_MAX_FIELDS) {
			*error_r = "too many fields";
			skip_line(r);
			return -1;
		}
		struct buf *f = &r->field[nf];
		buf_reset(f);
		if (r->p < r->end && *r->p == '"') {
			r->p++;
			for (;;) {
				if (r->p >= r->end) {
					*error_r = "unterminated quoted field";
					return -1;
				}
				if (*r->p == '"') {
					if (r->p + 1 < r->end && r->p[1] == '"') {
						buf_putc(f, '"');
						r->p += 2;
						continue;
					}
					r->p++;
					break;
				}
				if (*r->p == '\n')
					r->line++;
				buf_putc(f, *r->p++);
			}
			if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
				*error_r = "text after a closing quote";
				skip_line(r);
				return -1;
			}
		} else {
			while (r->p < r->end && *r->p != ',' && *r->p != '\n' &&
			       !(*r->p == '\r' && (r->p + 1 == r->end || r->p[1] == '\n')))
				buf_putc(f, *r->p++);
		}
		if (f->overflowed) {
			*error_r = "field too long";
			skip_line(r);
			return -1;
		}
		nf++;
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '\r')
			r->p++;
		if (r->p < r->end && *r->p == '\n') {
			r->p++;
			r->line++;
		}
		break;
	}
	rec->nfields = nf;
	for (int i = 0; i < nf; i++)
		rec->fields[i] = buf_cstr(&r->field[i]);
	return 1;
}

void csv_field(struct buf *out, const char *s, int first)
{
	if (!first)
		buf_putc(out, ',');
	if (s == NULL)
		return;
	/* quote separators, and defuse spreadsheet formulas (=, +, -, @) */
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
	if (!quote && !formula) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '"');
	if (formula)
		buf_putc(out, '\'');
	for (const char *c = s; *c; c++) {
		if (*c == '"')
			buf_putc(out, '"');
		buf_putc(out, *c);
	}
	buf_putc(out, '"');
}
