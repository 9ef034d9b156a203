#include "config.h"
#include "mail/html.h"
#include "lib/xalloc.h"
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* What an element does to the text. */
enum {
	E_BLOCK = 1 << 0,       /* line break before and after */
	E_PARA = 1 << 1,        /* blank line before and after */
	E_LIST = 1 << 2,        /* ul / ol */
	E_ITEM = 1 << 3,        /* li */
	E_LINK = 1 << 4,        /* a href */
	E_PRE = 1 << 5,
	E_CELL = 1 << 6,        /* td / th */
	E_ROW = 1 << 7,         /* tr */
	E_CHILDQ = 1 << 8,      /* gmail_quote without a blockquote: children quoted */
};

/* What an element is to us (tags[] below is sorted for bsearch). */
enum kind {
	K_INLINE = 0, K_SKIP, K_BLOCK, K_HEADING, K_P, K_LIST, K_LI, K_PRE, K_CELL, K_ROW,
	K_A, K_BR, K_HR, K_DIV, K_SPAN, K_BLOCKQUOTE,
};

struct entry {
	const xmlNode *node;
	enum kind kind;
	unsigned flags;
	int qadd;               /* quote levels this element adds */
	size_t link_pos;        /* out length when the link text began */
	const char *href;
};

struct conv {
	struct buf *out;
	size_t base;            /* out->len at the start */
	struct entry *stack;
	size_t nstack, capstack;
	int elem_q;             /* quote levels from open elements */
	int rest_q;             /* quote levels from "the rest is quoted" markers */
	int rest_armed;         /* text came since the last marker */
	int list_depth;
	int pre;
	int line_open;          /* the current line has content */
	int line_q;             /* its quote depth */
	int pend_nl;            /* line ends wanted before the next content */
	int pend_space;
	int bullet;             /* a "- " is due at the next content */
	int cells;              /* cells seen in the current row */
};

/* Max elements open at once that we track; deeper ones are read as text
   containers (their flags ignored) so a hostile document cannot make the
   stack grow without bound beyond what libxml2 already built. */
#define HTML_MAX_STACK 4096
#define LOOKAHEAD_NODES 64
#define GQ_SEARCH_NODES 20000

struct tag {
	const char *name;
	enum kind kind;
};

static const struct tag tags[] = {
	{ "a", K_A },
	{ "address", K_BLOCK },
	{ "area", K_SKIP },
	{ "article", K_BLOCK },
	{ "aside", K_BLOCK },
	{ "audio", K_SKIP },
	{ "blockquote", K_BLOCKQUOTE },
	{ "body", K_BLOCK },
	{ "br", K_BR },
	{ "button", K_SKIP },
	{ "canvas", K_SKIP },
	{ "caption", K_BLOCK },
	{ "center", K_BLOCK },
	{ "dd", K_BLOCK },
	{ "details", K_BLOCK },
	{ "div", K_DIV },
	{ "dl", K_LIST },
	{ "dt", K_BLOCK },
	{ "embed", K_SKIP },
	{ "fieldset", K_BLOCK },
	{ "figcaption", K_BLOCK },
	{ "figure", K_BLOCK },
	{ "footer", K_BLOCK },
	{ "form", K_BLOCK },
	{ "h1", K_HEADING },
	{ "h2", K_HEADING },
	{ "h3", K_HEADING },
	{ "h4", K_HEADING },
	{ "h5", K_HEADING },
	{ "h6", K_HEADING },
	{ "head", K_SKIP },
	{ "header", K_BLOCK },
	{ "hr", K_HR },
	{ "iframe", K_SKIP },
	{ "img", K_SKIP },
	{ "input", K_SKIP },
	{ "li", K_LI },
	{ "link", K_SKIP },
	{ "main", K_BLOCK },
	{ "map", K_SKIP },
	{ "math", K_SKIP },
	{ "menu", K_LIST },
	{ "meta", K_SKIP },
	{ "nav", K_BLOCK },
	{ "noscript", K_SKIP },
	{ "object", K_SKIP },
	{ "ol", K_LIST },
	{ "p", K_P },
	{ "pre", K_PRE },
	{ "script", K_SKIP },
	{ "section", K_BLOCK },
	{ "select", K_SKIP },
	{ "span", K_SPAN },
	{ "style", K_SKIP },
	{ "summary", K_BLOCK },
	{ "svg", K_SKIP },
	{ "table", K_BLOCK },
	{ "tbody", K_BLOCK },
	{ "td", K_CELL },
	{ "template", K_SKIP },
	{ "textarea", K_SKIP },
	{ "tfoot", K_BLOCK },
	{ "th", K_CELL },
	{ "thead", K_BLOCK },
	{ "title", K_SKIP },
	{ "tr", K_ROW },
	{ "ul", K_LIST },
	{ "video", K_SKIP },
	{ "xml", K_SKIP },
};

/* tag_cmp - bsearch comparison on the tag name */
static int tag_cmp(const void *key, const void *ent)
{
	return strcmp((const char *)key, ((const struct tag *)ent)->name);
}

/* kind_of - an element's kind (libxml2's HTML parser lowercases names) */
static enum kind kind_of(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE || n->name == NULL)
		return K_INLINE;
	const struct tag *t = bsearch(n->name, tags, sizeof(tags) / sizeof(*tags), sizeof(*tags),
				      tag_cmp);
	return t ? t->kind : K_INLINE;
}


/* attr - an attribute's value, borrowed; NULL if absent */
static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->name && strcasecmp((const char *)a->name, name) == 0) {
			if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
				return (const char *)a->children->content;
			return "";
		}
	}
	return NULL;
}

/* has_sub - case-insensitive substring of an attribute value */
static int attr_has(const xmlNode *n, const char *name, const char *sub)
{
	const char *v = attr(n, name);
	if (v == NULL)
		return 0;
	size_t k = strlen(sub);
	for (; *v; v++)
		if (strncasecmp(v, sub, k) == 0)
			return 1;
	return 0;
}

/* style_has - whether a style attribute holds decl, compared without blanks */
static int style_has(const xmlNode *n, const char *decl)
{
	const char *v = attr(n, "style");
	if (v == NULL)
		return 0;
	size_t k = strlen(decl);
	char tmp[512];
	size_t t = 0;
	for (; *v && t + 1 < sizeof(tmp); v++)
		if (*v != ' ' && *v != '\t' && *v != '\r' && *v != '\n')
			tmp[t++] = *v;
	tmp[t] = '\0';
	for (size_t i = 0; i + k <= t; i++)
		if (strncasecmp(tmp + i, decl, k) == 0)
			return 1;
	return 0;
}

/* is_skipped - an element whose content is not text to read */
static int is_skipped(const xmlNode *n)
{
	if (kind_of(n) == K_SKIP)
		return 1;
	if (n->properties == NULL)
		return 0;
	if (attr(n, "hidden"))
		return 1;
	if (style_has(n, "display:none") || style_has(n, "mso-hide:all"))
		return 1;
	return 0;
}

/* id_is - the id attribute equals id (any case) */
static int id_is(const xmlNode *n, const char *id)
{
	const char *v = attr(n, "id");
	return v && strcasecmp(v, id) == 0;
}

/* next_in_order - the node after n in document order; children first if
   descend; NULL at the end */
static const xmlNode *next_in_order(const xmlNode *n, int descend)
{
	if (descend && n->children)
		return n->children;
	while (n) {
		if (n->next)
			return n->next;
		n = n->parent;
		if (n && n->type != XML_ELEMENT_NODE)
			return NULL;
	}
	return NULL;
}

/* is_ws - HTML whitespace */
static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* hr_before_from - Windows Mail and old Outlook: <hr> then a "From:" block */
static int hr_before_from(const xmlNode *hr)
{
	static const char *const heads[] = { "From:", "Von:", "De:", "De :", "Van:", "Da:",
					     "Fra:", "Fr\xc3\xa5n:", "Od:" };
	const xmlNode *n = next_in_order(hr, 0);
	for (int steps = 0; n && steps < LOOKAHEAD_NODES; steps++) {
		if (n->type == XML_ELEMENT_NODE) {
			/* the next rule is checked on its own */
			if (kind_of(n) == K_HR)
				return 0;
			n = next_in_order(n, !is_skipped(n));
			continue;
		}
		if (n->type == XML_TEXT_NODE && n->content) {
			const char *t = (const char *)n->content;
			while (*t && is_ws((unsigned char)*t))
				t++;
			if (*t) {
				for (size_t i = 0; i < sizeof(heads) / sizeof(*heads); i++)
					if (strncasecmp(t, heads[i], strlen(heads[i])) == 0)
						return 1;
				return 0;
			}
		}
		n = next_in_order(n, 0);
	}
	return 0;
}

/* has_blockquote - a blockquote below n (bounded search) */
static int has_blockquote(const xmlNode *top)
{
	const xmlNode *n = top->children;
	int steps = 0;
	while (n && steps++ < GQ_SEARCH_NODES) {
		if (kind_of(n) == K_BLOCKQUOTE)
			return 1;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && n != top && !n->next)
			n = n->parent;
		if (n == NULL || n == top)
			return 0;
		n = n->next;
	}
	return 0;
}

/* want_nl - line ends due before the next text; 2 = one blank line, the most */
static void want_nl(struct conv *c, int n)
{
	if (n > 2)
		n = 2;
	if (c->pend_nl < n)
		c->pend_nl = n;
}

/* end_line - right-trim the open line and end it */
static void end_line(struct conv *c)
{
	struct buf *o = c->out;
	size_t n = o->len;
	while (n > c->base && (o->data[n - 1] == ' ' || o->data[n - 1] == '\t'))
		n--;
	buf_truncate(o, n);
	buf_putc(o, '\n');
	c->line_open = 0;
}

/* put_prefix - "> " per quote level (">" alone on an empty line) */
static void put_prefix(struct conv *c, int q, int content)
{
	for (int k = 0; k < q; k++)
		buf_append(c->out, content || k + 1 < q ? "> " : ">", content || k + 1 < q ? 2 : 1);
}

/* begin_content - settle pending line ends before text at quote depth q */
static void begin_content(struct conv *c, int q)
{
	int started = c->out->len > c->base || c->line_open;
	if (c->line_open && q != c->line_q && c->pend_nl == 0)
		c->pend_nl = 1;
	if (started && c->pend_nl) {
		/* "On ... wrote:" and the quote it introduces stay together */
		if (q > c->line_q && c->pend_nl > 1 && c->out->len > c->base + 1) {
			size_t k = c->out->len;
			while (k > c->base && (c->out->data[k - 1] == '\n' || c->out->data[k - 1] == ' '))
				k--;
			if (k > c->base && c->out->data[k - 1] == ':')
				c->pend_nl = 1;
		}
		if (c->line_open)
			end_line(c);
		for (int k = 1; k < c->pend_nl; k++) {
			int bq = q < c->line_q ? q : c->line_q;
			put_prefix(c, bq, 0);
			buf_putc(c->out, '\n');
		}
		c->pend_space = 0;
	}
	c->pend_nl = 0;
	if (!c->line_open) {
		put_prefix(c, q, 1);
		c->line_open = 1;
		c->line_q = q;
		c->pend_space = 0;
		if (c->bullet) {
			for (int k = 1; k < c->list_depth; k++)
				buf_append(c->out, "  ", 2);
			buf_append(c->out, "- ", 2);
			c->bullet = 0;
		}
	} else if (c->pend_space) {
		buf_putc(c->out, ' ');
		c->pend_space = 0;
	}
}

/* cur_q - the quote depth text gets now */
static int cur_q(const struct conv *c)
{
	return c->elem_q + c->rest_q;
}

/* emit_text - a text node's content, whitespace collapsed (kept in pre) */
static void emit_text(struct conv *c, const char *s, int q)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (c->pre && (*p == '\n' || *p == '\r')) {
			if (*p == '\r' && p[1] == '\n')
				p++;
			p++;
			if (c->line_open) {
				end_line(c);
			} else {
				begin_content(c, q);
				end_line(c);
			}
			continue;
		}
		if (is_ws(*p)) {
			if (c->pre) {
				begin_content(c, q);
				buf_putc(c->out, (char)*p);
			} else if (c->line_open) {
				c->pend_space = 1;
			}
			p++;
			continue;
		}
		const unsigned char *e = p;
		while (*e && !is_ws(*e))
			e++;
		begin_content(c, q);
		/* U+00A0 is text, not collapsible space: write it as a space */
		const unsigned char *w = p;
		for (const unsigned char *k = p; k < e; k++) {
			if (k[0] == 0xc2 && k + 1 < e && k[1] == 0xa0) {
				buf_append(c->out, w, (size_t)(k - w));
				buf_putc(c->out, ' ');
				w = k + 2;
				k++;
			}
		}
		buf_append(c->out, w, (size_t)(e - w));
		c->rest_armed = 1;
		p = e;
	}
}

/* mark_rest - from here to the end of the body everything is quoted */
static void mark_rest(struct conv *c)
{
	if (!c->rest_armed && c->rest_q > 0)
		return;
	if (c->rest_q < 64)
		c->rest_q++;
	c->rest_armed = 0;
	want_nl(c, 1);
}

/* enter - an element opens: its kind, quote markers, line breaks */
static void enter(struct conv *c, const xmlNode *n, struct entry *e)
{
	/* e is already on the stack: the parent is the entry below it */
	const struct entry *parent = c->nstack >= 2 ? &c->stack[c->nstack - 2] : NULL;
	enum kind k = kind_of(n);
	e->node = n;
	e->kind = k;
	e->flags = 0;
	e->qadd = 0;
	e->href = NULL;
	e->link_pos = 0;

	if (parent && (parent->flags & E_CHILDQ) && !attr_has(n, "class", "gmail_attr"))
		e->qadd++;

	/* Outlook and Windows Mail: this block and the rest are the quoted message */
	if ((k == K_DIV && (id_is(n, "divRplyFwdMsg") || id_is(n, "appendonsend") ||
			    (style_has(n, "border:none") && style_has(n, "border-top:solid")))) ||
	    (k == K_SPAN && id_is(n, "OLK_SRC_BODY_SECTION")) ||
	    (k == K_HR && (id_is(n, "stopSpelling") || hr_before_from(n))))
		mark_rest(c);

	switch (k) {
	case K_BLOCKQUOTE:
		e->flags |= E_BLOCK;
		e->qadd++;
		break;
	case K_DIV:
		e->flags |= E_BLOCK;
		if (attr_has(n, "class", "gmail_quote")) {
			if (!has_blockquote(n))
				e->flags |= E_CHILDQ;
		} else if (attr_has(n, "class", "yahoo_quoted")) {
			e->qadd++;
		}
		break;
	case K_P: {
		/* Word's <o:p> reaches us as a p inside a p: inline */
		if (parent && parent->kind == K_P)
			break;
		const char *cls = attr(n, "class");
		if ((cls && strncasecmp(cls, "Mso", 3) == 0) || style_has(n, "margin-top:0") ||
		    style_has(n, "margin:0"))
			e->flags |= E_BLOCK;
		else
			e->flags |= E_PARA;
		break;
	}
	case K_HEADING:
		e->flags |= E_PARA;
		break;
	case K_LIST:
		e->flags |= E_BLOCK | E_LIST;
		break;
	case K_LI:
		e->flags |= E_BLOCK | E_ITEM;
		break;
	case K_PRE:
		e->flags |= E_BLOCK | E_PRE;
		break;
	case K_CELL:
		e->flags |= E_CELL;
		break;
	case K_ROW:
		e->flags |= E_BLOCK | E_ROW;
		break;
	case K_A: {
		const char *h = attr(n, "href");
		if (h && (strncasecmp(h, "http:", 5) == 0 || strncasecmp(h, "https:", 6) == 0 ||
			  strncasecmp(h, "mailto:", 7) == 0 || strncasecmp(h, "ftp:", 4) == 0)) {
			e->flags |= E_LINK;
			e->href = h;
		}
		break;
	}
	case K_BLOCK:
	case K_HR:
		e->flags |= E_BLOCK;
		break;
	case K_BR:
		if (c->line_open || c->out->len > c->base)
			want_nl(c, c->pend_nl + 1);
		break;
	default:
		break;
	}

	if (e->flags & E_PARA)
		want_nl(c, 2);
	if (e->flags & E_BLOCK)
		want_nl(c, 1);
	if (e->flags & E_LIST)
		c->list_depth++;
	if (e->flags & E_ITEM)
		c->bullet = 1;
	if (e->flags & E_PRE)
		c->pre++;
	if (e->flags & E_ROW)
		c->cells = 0;
	if (e->flags & E_CELL) {
		if (c->cells++ > 0 && c->line_open)
			c->pend_space = 1;
	}
	if (e->flags & E_LINK)
		e->link_pos = c->out->len;
	c->elem_q += e->qadd;
}

/* same_link - link text and target say the same thing */
static int same_link(const char *text, size_t n, const char *href)
{
	while (n && is_ws((unsigned char)*text))
		text++, n--;
	while (n && is_ws((unsigned char)text[n - 1]))
		n--;
	if (strncasecmp(href, "mailto:", 7) == 0)
		href += 7;
	size_t h = strlen(href);
	while (h && (href[h - 1] == '/' || is_ws((unsigned char)href[h - 1])))
		h--;
	while (n && text[n - 1] == '/')
		n--;
	if (n == h && strncasecmp(text, href, n) == 0)
		return 1;
	static const char *const schemes[] = { "http://", "https://" };
	for (int i = 0; i < 2; i++) {
		size_t s = strlen(schemes[i]);
		if (h > s && strncasecmp(href, schemes[i], s) == 0 && n == h - s &&
		    strncasecmp(text, href + s, n) == 0)
			return 1;
	}
	return 0;
}

/* leave - an element closes: the link URL, line breaks, depth back */
static void leave(struct conv *c, struct entry *e)
{
	c->elem_q -= e->qadd;
	if (e->flags & E_LINK) {
		size_t from = e->link_pos, to = c->out->len;
		if (to > from && from >= c->base &&
		    !same_link(c->out->data + from, to - from, e->href)) {
			const char *h = e->href;
			size_t hl = strlen(h);
			while (hl && is_ws((unsigned char)h[hl - 1]))
				hl--;
			if (c->line_open) {
				buf_append(c->out, " <", 2);
				c->pend_space = 0;
			} else {
				begin_content(c, cur_q(c));
				buf_putc(c->out, '<');
			}
			/* keep the URL on one line and free of angle brackets */
			for (size_t k = 0; k < hl; k++) {
				char ch = h[k];
				if (ch == '<' || ch == '>' || is_ws((unsigned char)ch))
					continue;
				buf_putc(c->out, ch);
			}
			buf_putc(c->out, '>');
		}
	}
	if (e->flags & E_LIST)
		c->list_depth--;
	if (e->flags & E_PRE)
		c->pre--;
	if (e->flags & E_ITEM)
		c->bullet = 0;
	if (e->flags & E_PARA)
		want_nl(c, 2);
	if (e->flags & E_BLOCK)
		want_nl(c, 1);
}

/* original_message_line - "-----Original Message-----" (Outlook) or
   "-------- Original message --------" (Android, Samsung) alone in a text
   node: what follows is the quoted message */
static int original_message_line(const char *t)
{
	while (is_ws((unsigned char)*t))
		t++;
	int dashes = 0;
	while (*t == '-')
		t++, dashes++;
	if (dashes < 4)
		return 0;
	while (*t == ' ')
		t++;
	if (strncasecmp(t, "Original Message", 16) != 0)
		return 0;
	t += 16;
	while (*t == ' ')
		t++;
	int tail = 0;
	while (*t == '-')
		t++, tail++;
	while (is_ws((unsigned char)*t))
		t++;
	return tail >= 4 && *t == '\0';
}

/* push - stack an entry, growing the array */
static struct entry *push(struct conv *c)
{
	if (c->nstack == c->capstack) {
		c->capstack = c->capstack ? c->capstack * 2 : 64;
		c->stack = xreallocarray(c->stack, c->capstack, sizeof(*c->stack));
	}
	return &c->stack[c->nstack++];
}

/* walk - every node of the document, in order, without recursion */
static void walk(struct conv *c, const xmlNode *first)
{
	const xmlNode *n = first;
	while (n) {
		int descended = 0;
		if (n->type == XML_ELEMENT_NODE) {
			if (!is_skipped(n) && c->nstack < HTML_MAX_STACK) {
				struct entry *e = push(c);
				enter(c, n, e);
				if (n->children) {
					n = n->children;
					descended = 1;
				} else {
					leave(c, e);
					c->nstack--;
				}
			} else if (!is_skipped(n) && n->children) {
				/* too deep to track: read its text only */
				n = n->children;
				descended = 1;
			}
		} else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
			if (original_message_line((const char *)n->content))
				mark_rest(c);
			int q = cur_q(c);
			if (c->nstack && (c->stack[c->nstack - 1].flags & E_CHILDQ) &&
			    c->stack[c->nstack - 1].node == n->parent)
				q++;
			emit_text(c, (const char *)n->content, q);
		}
		if (descended)
			continue;
		/* next sibling, or climb out of finished elements */
		while (n) {
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (n == NULL || n->type != XML_ELEMENT_NODE) {
				n = NULL;
				break;
			}
			if (c->nstack && c->stack[c->nstack - 1].node == n) {
				leave(c, &c->stack[c->nstack - 1]);
				c->nstack--;
			}
		}
	}
}

/* find_ci - ASCII case-insensitive search for a lowercase needle */
static const char *find_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	if (n < k)
		return NULL;
	const char *last = hay + (n - k);
	for (const char *p = hay; p <= last; p++) {
		p = memchr(p, '<', (size_t)(last - p) + 1);
		if (p == NULL)
			return NULL;
		if (strncasecmp(p, needle, k) == 0)
			return p;
	}
	return NULL;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* xml_init - libxml2's one-time setup */
static void xml_init(void)
{
	xmlInitParser();
}

/* html_to_text - parse with libxml2, walk, tidy the end */
int html_to_text(const char *html, size_t len, struct buf *out)
{
	/* libxml2 2.9 wants one xmlInitParser before threads use it */
	pthread_once(&xml_once, xml_init);
	if (len > INT_MAX - 16)
		return -1;
	/* without an explicit <body>, libxml2 wraps text that sits directly
	   in the body in an implied <p> (and a blank line would appear):
	   give it the body tag */
	char *fixed = NULL;
	if (find_ci(html, len, "<body") == NULL) {
		const char *head = find_ci(html, len, "</head>");
		size_t at = head ? (size_t)(head - html) + 7 : 0;
		fixed = xmalloc(len + 7);
		memcpy(fixed, html, at);
		memcpy(fixed + at, "<body>", 6);
		memcpy(fixed + at + 6, html + at, len - at);
		html = fixed;
		len += 6;
	}
	htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
					HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
					HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
					HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD);
	free(fixed);
	if (doc == NULL)
		return -1;
	struct conv c;
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.base = out->len;
	walk(&c, doc->children);
	if (c.line_open)
		end_line(&c);
	/* no trailing blank (or only ">") lines */
	for (;;) {
		size_t end = out->len;
		if (end <= c.base || out->data[end - 1] != '\n')
			break;
		size_t k = end - 1;
		while (k > c.base && out->data[k - 1] != '\n')
			k--;
		int empty = 1;
		for (size_t i = k; i < end - 1; i++)
			if (out->data[i] != '>' && out->data[i] != ' ')
				empty = 0;
		if (!empty)
			break;
		buf_truncate(out, k);
	}
	free(c.stack);
	xmlFreeDoc(doc);
	return 0;
}
