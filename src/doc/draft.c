/* draft.c - Markdown draft to numbered blocks, with cmark */
#include "config.h"
#include "doc/draft.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

static const char *const kind_names[] = {
	[BLOCK_HEADING] = "heading",
	[BLOCK_PARAGRAPH] = "paragraph",
	[BLOCK_ITEM] = "item",
	[BLOCK_QUOTE] = "quote",
	[BLOCK_CODE] = "code",
};
#define NKINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

/* block_kind_name - the stable name of a kind, as stored */
const char *block_kind_name(enum block_kind k)
{
	if ((int)k < 0 || (int)k >= NKINDS)
		return "unknown";
	return kind_names[k];
}

/* block_kind_parse - a kind from its name, -1 when unknown */
int block_kind_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < NKINDS; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

/* the walk over a parsed document */
struct walker {
	struct draft *d;
	int cap;
	int numbered;
	const char *error;
};

/* append_literal - add inline text, every ASCII whitespace byte as a space
   (text and code span literals have no line structure of their own) */
static void append_literal(struct buf *raw, const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		char c = *s;
		if (c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v')
			c = ' ';
		buf_putc(raw, c);
	}
}

/* normalize_into - copy raw to out with whitespace runs collapsed: a run
   holding a newline (a hard break) becomes one newline, any other run one
   space; leading and trailing whitespace dropped */
static void normalize_into(const char *raw, struct buf *out)
{
	int pending = 0; /* 0 none, 1 space, 2 newline */
	size_t start = out->len;
	for (const char *p = raw; *p != '\0'; p++) {
		char c = *p;
		if (c == '\n') {
			pending = 2;
			continue;
		}
		if (c == ' ') {
			if (pending == 0)
				pending = 1;
			continue;
		}
		if (pending != 0 && out->len > start)
			buf_putc(out, pending == 2 ? '\n' : ' ');
		pending = 0;
		buf_putc(out, c);
	}
}

/* inline_text - the plain text of a paragraph or heading, appended to out */
static void inline_text(cmark_node *leaf, struct buf *out)
{
	struct buf raw;
	buf_init(&raw, 0);
	cmark_iter *it = cmark_iter_new(leaf);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cmark_node *n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			append_literal(&raw, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
			buf_putc(&raw, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			buf_putc(&raw, '\n');
			break;
		default:
			/* emphasis, strong, link, image: their children carry the
			   text (an image's children are its alt text); raw inline
			   HTML and custom inlines carry none */
			break;
		}
	}
	cmark_iter_free(it);
	normalize_into(buf_cstr(&raw), out);
	buf_free(&raw);
}

/* code_text - a code block's literal without its final newline(s) */
static void code_text(cmark_node *code, struct buf *out)
{
	const char *lit = cmark_node_get_literal(code);
	if (lit == NULL)
		return;
	size_t n = strlen(lit);
	while (n > 0 && (lit[n - 1] == '\n' || lit[n - 1] == '\r'))
		n--;
	buf_append(out, lit, n);
}

/* join_sep - start a new part in out: a blank line after earlier text */
static void join_sep(struct buf *out, size_t *mark)
{
	if (out->len > 0)
		buf_puts(out, "\n\n");
	*mark = out->len;
}

/* container_text - the text of every leaf under node, joined with blank
   lines; when skip_lists, lists directly under node are left out (an
   item's nested lists are blocks of their own) */
static void container_text(cmark_node *node, int skip_lists, struct buf *out)
{
	for (cmark_node *c = cmark_node_first_child(node); c != NULL; c = cmark_node_next(c)) {
		size_t mark;
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			join_sep(out, &mark);
			inline_text(c, out);
			break;
		case CMARK_NODE_CODE_BLOCK:
			join_sep(out, &mark);
			code_text(c, out);
			break;
		case CMARK_NODE_LIST:
			if (skip_lists)
				continue;
			container_text(c, 0, out);
			continue;
		case CMARK_NODE_BLOCK_QUOTE:
		case CMARK_NODE_ITEM:
			container_text(c, 0, out);
			continue;
		default:
			continue; /* thematic break, HTML block: no text */
		}
		/* an empty leaf must not leave a dangling separator */
		if (out->len == mark && mark >= 2)
			buf_truncate(out, mark - 2);
	}
}

/* render_md - one node as CommonMark, trailing newlines dropped */
static char *render_md(cmark_node *node)
{
	char *s = cmark_render_commonmark(node, CMARK_OPT_DEFAULT, 0);
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '\n')
		n--;
	char *r = xmemdup0(s, n);
	free(s);
	return r;
}

/* append_indented - append s, indenting every non-empty line after the
   first by width spaces */
static void append_indented(struct buf *out, const char *s, int width)
{
	for (const char *p = s; *p != '\0'; p++) {
		buf_putc(out, *p);
		if (*p == '\n' && p[1] != '\n' && p[1] != '\0')
			buf_printf(out, "%*s", width, "");
	}
}

/* item_markdown - an item as a one-item list in CommonMark, its nested
   lists left out: "- text" or "3. text", continuation lines indented */
static char *item_markdown(cmark_node *item, cmark_node *list)
{
	struct buf out;
	buf_init(&out, 0);
	char marker[32];
	if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
		int n = cmark_node_get_list_start(list);
		for (cmark_node *p = cmark_node_previous(item); p != NULL; p = cmark_node_previous(p))
			n++;
		snprintf(marker, sizeof(marker), "%d%c ", n,
			 cmark_node_get_list_delim(list) == CMARK_PAREN_DELIM ? ')' : '.');
	} else {
		snprintf(marker, sizeof(marker), "- ");
	}
	buf_puts(&out, marker);
	int width = (int)strlen(marker);
	int first = 1;
	for (cmark_node *c = cmark_node_first_child(item); c != NULL; c = cmark_node_next(c)) {
		if (cmark_node_get_type(c) == CMARK_NODE_LIST)
			continue;
		char *md = render_md(c);
		if (md[0] != '\0') {
			if (!first) {
				buf_puts(&out, "\n\n");
				buf_printf(&out, "%*s", width, "");
			}
			append_indented(&out, md, width);
			first = 0;
		}
		free(md);
	}
	char *r = buf_steal(&out, NULL);
	buf_free(&out);
	return r;
}

/* add_block - append a block (taking text and markdown); -1 past the limit */
static int add_block(struct walker *w, cmark_node *node, enum block_kind kind, int level,
		     char *text, char *markdown)
{
	struct draft *d = w->d;
	if (d->nblocks >= DRAFT_MAX_BLOCKS) {
		free(text);
		free(markdown);
		w->error = "draft has too many blocks";
		return -1;
	}
	if (d->nblocks == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		d->blocks = xreallocarray(d->blocks, (size_t)w->cap, sizeof(*d->blocks));
	}
	struct draft_block *b = &d->blocks[d->nblocks++];
	b->number = kind == BLOCK_HEADING ? 0 : ++w->numbered;
	b->kind = kind;
	b->level = level;
	b->text = text;
	b->markdown = markdown;
	b->line_start = cmark_node_get_start_line(node);
	b->line_end = cmark_node_get_end_line(node);
	if (b->line_end < b->line_start)
		b->line_end = b->line_start;
	return 0;
}

/* text_block - add a block from a text buffer unless its text is empty */
static int text_block(struct walker *w, cmark_node *node, enum block_kind kind, int level,
		      struct buf *text, char *markdown)
{
	if (text->len == 0 && kind != BLOCK_HEADING) {
		buf_free(text);
		free(markdown);
		return 0;
	}
	char *t = buf_steal(text, NULL);
	buf_free(text);
	return add_block(w, node, kind, level, t, markdown);
}

static int walk_list(struct walker *w, cmark_node *list, int depth);

/* walk_item - one item as a block, then its nested lists' items */
static int walk_item(struct walker *w, cmark_node *item, cmark_node *list, int depth)
{
	struct buf text;
	buf_init(&text, 0);
	container_text(item, 1, &text);
	if (text.len == 0) {
		buf_free(&text);
	} else if (text_block(w, item, BLOCK_ITEM, depth, &text, item_markdown(item, list)) < 0) {
		return -1;
	}
	for (cmark_node *c = cmark_node_first_child(item); c != NULL; c = cmark_node_next(c))
		if (cmark_node_get_type(c) == CMARK_NODE_LIST && walk_list(w, c, depth + 1) < 0)
			return -1;
	return 0;
}

/* walk_list - every item of a list at nesting depth depth (1 = top) */
static int walk_list(struct walker *w, cmark_node *list, int depth)
{
	for (cmark_node *c = cmark_node_first_child(list); c != NULL; c = cmark_node_next(c))
		if (cmark_node_get_type(c) == CMARK_NODE_ITEM && walk_item(w, c, list, depth) < 0)
			return -1;
	return 0;
}

/* walk_document - the top-level blocks in order */
static int walk_document(struct walker *w, cmark_node *doc)
{
	for (cmark_node *c = cmark_node_first_child(doc); c != NULL; c = cmark_node_next(c)) {
		struct buf text;
		buf_init(&text, 0);
		int r = 0;
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_HEADING:
			inline_text(c, &text);
			if (w->d->title == NULL)
				w->d->title = xstrdup(buf_cstr(&text));
			r = text_block(w, c, BLOCK_HEADING, cmark_node_get_heading_level(c), &text,
				       render_md(c));
			break;
		case CMARK_NODE_PARAGRAPH:
			inline_text(c, &text);
			r = text_block(w, c, BLOCK_PARAGRAPH, 0, &text, render_md(c));
			break;
		case CMARK_NODE_BLOCK_QUOTE:
			container_text(c, 0, &text);
			r = text_block(w, c, BLOCK_QUOTE, 0, &text, render_md(c));
			break;
		case CMARK_NODE_CODE_BLOCK:
			code_text(c, &text);
			r = text_block(w, c, BLOCK_CODE, 0, &text, render_md(c));
			break;
		case CMARK_NODE_LIST:
			buf_free(&text);
			r = walk_list(w, c, 1);
			break;
		default:
			buf_free(&text); /* thematic break, HTML block */
			break;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

/* max_depth - deepest nesting of container blocks, found without recursion
   so that the recursive walk can be bounded first */
static int max_depth(cmark_node *doc)
{
	int depth = 0, max = 0;
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_LIST:
		case CMARK_NODE_ITEM:
		case CMARK_NODE_BLOCK_QUOTE:
			if (ev == CMARK_EVENT_ENTER) {
				if (++depth > max)
					max = depth;
			} else if (ev == CMARK_EVENT_EXIT) {
				depth--;
			}
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	return max;
}

/* marks_ok - no run of lines between blank lines holds more than
   DRAFT_MAX_MARKS '[' or '<' (see draft.h); a CR, LF or CRLF ends a line */
static int marks_ok(const char *md, size_t len)
{
	size_t brackets = 0, angles = 0;
	int blank = 1;
	for (size_t i = 0; i < len; i++) {
		char c = md[i];
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && md[i + 1] == '\n')
				i++;
			if (blank)
				brackets = angles = 0;
			blank = 1;
			continue;
		}
		if (c != ' ' && c != '\t')
			blank = 0;
		if (c == '[' && ++brackets > DRAFT_MAX_MARKS)
			return 0;
		if (c == '<' && ++angles > DRAFT_MAX_MARKS)
			return 0;
	}
	return 1;
}

/* draft_parse - Markdown to blocks */
int draft_parse(const char *md, size_t len, struct draft **d_r, const char **error_r)
{
	*d_r = NULL;
	if (md == NULL && len > 0) {
		*error_r = "draft is missing";
		return -1;
	}
	if (len > DRAFT_MAX_SIZE) {
		*error_r = "draft is larger than the size limit";
		return -1;
	}
	if (len > 0 && memchr(md, '\0', len) != NULL) {
		*error_r = "draft contains a NUL byte";
		return -1;
	}
	if (len > 0 && !utf8_is_valid(md, len)) {
		*error_r = "draft is not valid UTF-8";
		return -1;
	}
	if (!marks_ok(md, len)) {
		*error_r = "draft has a paragraph with too many '[' or '<' characters";
		return -1;
	}
	if (len >= 3 && memcmp(md, "\xef\xbb\xbf", 3) == 0) {
		md += 3;
		len -= 3;
	}
	cmark_node *doc = cmark_parse_document(len > 0 ? md : "", len, CMARK_OPT_DEFAULT);
	if (doc == NULL) {
		*error_r = "draft could not be parsed";
		return -1;
	}
	/* each level of the walk costs one list and one item: allow both */
	if (max_depth(doc) > 2 * DRAFT_MAX_DEPTH) {
		cmark_node_free(doc);
		*error_r = "draft nests lists or quotes too deeply";
		return -1;
	}
	struct walker w = { .d = xcalloc(1, sizeof(struct draft)) };
	int r = walk_document(&w, doc);
	cmark_node_free(doc);
	if (r < 0) {
		draft_free(&w.d);
		*error_r = w.error ? w.error : "draft could not be parsed";
		return -1;
	}
	w.d->nnumbered = w.numbered;
	*d_r = w.d;
	return 0;
}

/* draft_free - release a draft */
void draft_free(struct draft **dp)
{
	struct draft *d = *dp;
	if (d == NULL)
		return;
	for (int i = 0; i < d->nblocks; i++) {
		free(d->blocks[i].text);
		free(d->blocks[i].markdown);
	}
	free(d->blocks);
	free(d->title);
	free(d);
	*dp = NULL;
}

/* draft_block_by_number - ¶n */
const struct draft_block *draft_block_by_number(const struct draft *d, int n)
{
	if (d == NULL || n < 1 || n > d->nnumbered)
		return NULL;
	/* blocks are in order and numbers increase by one, so ¶n sits at or
	   after index n-1 */
	for (int i = n - 1; i < d->nblocks; i++)
		if (d->blocks[i].number == n)
			return &d->blocks[i];
	return NULL;
}

/* doc_markdown_html - Markdown to a safe HTML fragment */
char *doc_markdown_html(const char *md, size_t len)
{
	char *html = cmark_markdown_to_html(md != NULL ? md : "", md != NULL ? len : 0,
					    CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
	char *r = xstrdup(html != NULL ? html : "");
	free(html);
	return r;
}
