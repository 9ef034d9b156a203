#ifndef TAGD_TAG_DRAFT_H
#define TAGD_TAG_DRAFT_H
/* The session's draft across revisions: importing a revision (parse, align
   with the previous one so paragraphs keep their identity, store), and
   comparing two revisions paragraph by paragraph. */
#include "lib/buf.h"
#include "store/store.h"

struct draft_import_result {
	int revision;
	int blocks;             /* numbered blocks */
	int headings;
	int unchanged, edited, moved, added, retired;
};

/* tag_draft_import - import Markdown as the session's next revision.
   0, or -1 with *error_r (a parse error or a store error). */
int tag_draft_import(struct store *st, int64_t session_id, const char *md, size_t len,
		     struct draft_import_result *r, const char **error_r);

/* tag_draft_diff - what changed from revision r1 to r2, per paragraph,
   as text (html = 0) or HTML; 0 or -1 with *error_r */
int tag_draft_diff(struct store *st, int64_t session_id, int r1, int r2, int html,
		   struct buf *out, const char **error_r);

#endif
