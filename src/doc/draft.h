#ifndef TAGD_DOC_DRAFT_H
#define TAGD_DOC_DRAFT_H
/* A draft paper as numbered blocks. The Markdown source is parsed with
   cmark (the only place in tagd that knows cmark). Numbered blocks are
   paragraphs, list items, block quotes and code blocks, in document order,
   numbered 1..N; headings are kept for display with number 0. Thematic
   breaks and raw HTML blocks are not content and are dropped.

   - A list item is one block: its own paragraphs (and any quote or code
     inside it) joined with a blank line. Lists nested in an item are not
     part of it: their items follow it as blocks of their own.
   - A block quote is one block, whatever it holds (lists in a quote are
     not numbered on their own).
   - Block text is plain text: emphasis and links reduced to their text,
     code spans to their content, images to their alt text, raw inline HTML
     dropped, soft line breaks made spaces, hard breaks newlines, runs of
     whitespace collapsed to one space, trimmed. Code blocks keep their
     literal text (only the trailing newline is dropped). */
#include <stddef.h>

#define DRAFT_MAX_SIZE   ((size_t)2 << 20)  /* bytes of Markdown */
#define DRAFT_MAX_BLOCKS 5000               /* blocks of any kind, headings included */
#define DRAFT_MAX_DEPTH  64                 /* nesting of lists and quotes */
/* '[' and '<' characters (each) in one run of lines without a blank line.
   cmark 0.30 takes time quadratic in these within a paragraph (e.g. a
   paragraph of "![[]()" repeated: 2 MB of it takes minutes), so a draft
   crossing the limit is refused instead. */
#define DRAFT_MAX_MARKS  1000

enum block_kind {
	BLOCK_HEADING,
	BLOCK_PARAGRAPH,
	BLOCK_ITEM,
	BLOCK_QUOTE,
	BLOCK_CODE,
};

/* block_kind_name - "heading", "paragraph", "item", "quote", "code";
   "unknown" for a value outside the enum */
const char *block_kind_name(enum block_kind k);
/* block_kind_parse - the enum value for a name from block_kind_name(),
   -1 when the name is unknown (NULL included) */
int block_kind_parse(const char *name);

struct draft_block {
	int number;            /* 1..N in document order; 0 for headings */
	enum block_kind kind;
	int level;             /* heading level 1..6; list nesting depth (1 = top) for items; 0 otherwise */
	char *text;            /* plain text (see above), never NULL, valid UTF-8 */
	char *markdown;        /* the block as CommonMark, ready to re-render on
				  its own: "## Title", "- item text", "> quote";
				  an item's nested lists are left out */
	int line_start;        /* 1-based source lines the block spans */
	int line_end;          /*   (an item's span includes its nested lists) */
};

struct draft {
	struct draft_block *blocks; /* every block in order, headings included */
	int nblocks;
	int nnumbered;              /* blocks with number > 0; they are numbered 1..nnumbered */
	char *title;                /* text of the first heading, NULL when there is none */
};

/* draft_parse - parse len bytes of Markdown into *d_r (free with
   draft_free). The input must be valid UTF-8 without NUL bytes and at most
   DRAFT_MAX_SIZE bytes; it may hold at most DRAFT_MAX_BLOCKS blocks nested at
   most DRAFT_MAX_DEPTH deep, and at most DRAFT_MAX_MARKS of '[' and of '<'
   between two blank lines. A UTF-8 byte order mark is skipped. On any
   violation returns -1 with a static message in *error_r and *d_r NULL. An
   empty draft is valid: 0 blocks. */
int draft_parse(const char *md, size_t len, struct draft **d_r, const char **error_r);

/* draft_free - release *d and set it NULL; NULL-safe */
void draft_free(struct draft **d);

/* draft_block_by_number - the numbered block ¶n of d, NULL when n is out of range */
const struct draft_block *draft_block_by_number(const struct draft *d, int n);

/* doc_markdown_html - render Markdown (e.g. a block's markdown field) to an
   HTML fragment; raw HTML in the source is not passed through and unsafe
   link schemes are dropped (cmark's safe mode). Input that is not valid
   UTF-8 is repaired with U+FFFD. The caller frees the result; never NULL. */
char *doc_markdown_html(const char *md, size_t len);

#endif
