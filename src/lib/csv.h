#ifndef TAGD_CSV_H
#define TAGD_CSV_H
/* RFC 4180 CSV: a reader over text in memory that reports the line each
   record starts on, and a writer that quotes where needed. */
#include "lib/buf.h"
#include <stddef.h>

#define CSV_MAX_FIELDS 64

struct csv_reader {
	const char *p, *end;
	int line;               /* line the next record starts on */
	struct buf field[CSV_MAX_FIELDS];
};

struct csv_record {
	int line;               /* 1-based line where the record starts */
	int nfields;
	const char *fields[CSV_MAX_FIELDS]; /* borrowed until the next call */
};

void csv_reader_init(struct csv_reader *r, const char *text, size_t len);
/* csv_next - 1 with a record, 0 at the end, -1 on a malformed record
   (*error_r says why; the reader skips to the next line) */
int csv_next(struct csv_reader *r, struct csv_record *rec, const char **error_r);
void csv_reader_free(struct csv_reader *r);

/* csv_field - append s as one field, quoted when it needs to be */
void csv_field(struct buf *out, const char *s, int first);

#endif
