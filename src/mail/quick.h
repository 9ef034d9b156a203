#ifndef TAGD_MAIL_QUICK_H
#define TAGD_MAIL_QUICK_H
/* A quick look at a raw message without parsing it: where the body starts
   and the first value of a header. Used to archive and deduplicate a
   message before the (isolated) parser ever sees it. Bounded: scans at
   most the header block, and never past len. */
#include <stddef.h>

/* quick_body_offset - offset of the body (after the first empty line), len if none */
size_t quick_body_offset(const char *raw, size_t len);
/* quick_header - the first value of header name (case-insensitive),
   unfolded and trimmed, malloc'd; NULL if absent */
char *quick_header(const char *raw, size_t len, const char *name);
/* quick_msgid - the Message-ID without <>, malloc'd; NULL if absent or empty */
char *quick_msgid(const char *raw, size_t len);
/* quick_ids - every <id> in a References/In-Reply-To value, malloc'd array */
int quick_ids(const char *value, char ***ids_r);
void quick_ids_free(char **ids, int n);

#endif
