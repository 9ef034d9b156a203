#ifndef TAGD_TAG_EXPORT_H
#define TAGD_TAG_EXPORT_H
/* The organizers' record of a review: a revision of the draft with every
   comment under its paragraph, in Markdown, one self-contained HTML file,
   CSV (one row per comment) or JSON.

   The model (export_load) places comments by their stable paragraph id:
   - comments on the draft as a whole come first ("general");
   - each numbered paragraph of the exported revision carries the comments
     on it, whichever revision their authors saw;
   - comments on paragraphs the revision does not hold (retired by a later
     revision, or added after it) form a section of their own, one entry
     per paragraph, shown with the number and text it had in the revision
     its first comment's author saw;
   - a reply (a comment with a parent) sits under its parent, wherever the
     reply itself was filed; a reply whose parent is not in the session,
     or whose chain of parents is longer than EXPORT_MAX_DEPTH (or loops),
     is shown as a comment of its own.
   Comments are oldest first at every level.

   The heat map counts comments and replies per row (the draft as a whole,
   each paragraph, each retired paragraph; a reply counts on its thread's
   row) and per day of the session in its time zone, opens to closes.
   Comments before the first day fall in an "earlier" column, after the
   last in a "later" one; those columns exist only when used.

   The HTML file has inline CSS only: no script, no external resource, a
   Content-Security-Policy that forbids both, and every value from mail
   (comment text, names, notes) HTML-escaped; paragraph text is rendered
   from the block's Markdown with doc_markdown_html() (raw HTML dropped). */
#include "lib/buf.h"
#include "store/store.h"
#include <stdint.h>
#include <time.h>

#define EXPORT_MAX_DEPTH 12      /* reply levels shown nested (the JSON nesting limit allows 13) */
#define EXPORT_MAX_DAYS 92       /* heat map day columns (a longer window is cut; the rest is "later") */
#define EXPORT_MAX_COMMENTS 200000 /* comments read; a session with more fails to load */

enum export_format { EXPORT_MD, EXPORT_HTML, EXPORT_CSV, EXPORT_JSON };

/* export_format_parse - "md" (or "markdown"), "html", "csv", "json";
   -1 for anything else */
int export_format_parse(const char *name);
/* export_format_name - the short name; "unknown" outside the enum */
const char *export_format_name(enum export_format f);

struct export_comment {
	const struct st_comment *c;     /* borrowed from export_doc.comments */
	const char *organization;       /* the author's, "" when unknown */
	int depth;                      /* 0 for a thread's first comment */
	int day;                        /* heat column */
	struct export_comment **replies;
	int nreplies;
};

struct export_para {
	int number;                     /* in the exported revision; 0 for the draft as a whole;
					   for a retired paragraph: its number in seen_revision */
	int64_t paragraph_id;           /* 0 for the draft as a whole */
	int seen_revision;              /* retired only: the revision number and text come from */
	const char *kind;               /* paragraph, item, quote, code; "" for the whole draft */
	const char *text;               /* plain text; "" for the whole draft */
	const char *markdown;
	const char *heading;            /* the section heading just before it, "" when none */
	struct export_comment **threads; /* the first comments of its threads, oldest first */
	int nthreads;
	int total;                      /* comments and replies */
	int *per_day;                   /* [ndays] heat counts */
};

struct export_doc {
	struct st_session ses;
	int revision;                   /* the exported revision (0: the session has no draft) */
	int current;                    /* the session's newest revision */
	time_t imported;                /* when the exported revision was imported */
	struct st_block *blocks;        /* the revision's blocks, headings included */
	int nblocks;
	struct export_para general;     /* comments on the draft as a whole */
	struct export_para *paras;      /* the revision's numbered blocks, in order */
	int nparas;
	struct export_para *retired;    /* paragraphs not in the revision that drew comments */
	int nretired;
	char (*days)[16];               /* heat column labels: YYYY-MM-DD, "earlier", "later" */
	int ndays;
	int max_cell;                   /* the largest heat count */
	struct st_comment *comments;    /* all of them, oldest first */
	int ncomments;
	struct export_comment *nodes;   /* [ncomments], in the same order */
	int authors;                    /* distinct authors */
	int late;                       /* comments marked late */
	int status_counts[3];           /* open, incorporated, declined */
	char **strings;                 /* organizations and retired texts, owned by the doc */
	int nstrings;
};

/* export_load - read a session's comments and revision (0: the current
   one) from the store into *doc_r (free with export_doc_free). 0, 1 when
   the session has no such revision (*error_r says so; revision 0 of a
   session without a draft is not an error: the doc then has no paragraphs),
   -1 with *error_r on a store error or too many comments. */
int export_load(struct store *st, const struct st_session *ses, int revision,
		struct export_doc **doc_r, const char **error_r);
void export_doc_free(struct export_doc **doc);

/* export_write - append the document in a format to out; -1 when out
   reached its cap (the output is then incomplete) */
int export_write(const struct export_doc *doc, enum export_format f, struct buf *out);

/* export_markdown, export_html, export_csv, export_json - the four writers */
int export_markdown(const struct export_doc *doc, struct buf *out);
int export_html(const struct export_doc *doc, struct buf *out);
int export_csv(const struct export_doc *doc, struct buf *out);
int export_json(const struct export_doc *doc, struct buf *out);

/* export_first_words - the first max_words words of text (whitespace
   collapsed), with "..." when cut, appended to out */
void export_first_words(const char *text, int max_words, struct buf *out);

#endif
