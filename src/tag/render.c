/* render - the template language of outgoing mail (see render.h) */
#include "config.h"
#include "tag/render.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

enum tval_kind { TV_MAP, TV_LIST, TV_STR, TV_INT, TV_BOOL, TV_HTML };

struct tval {
	enum tval_kind kind;
	char *key;                  /* key in the parent map; NULL in a list */
	struct tval *next;          /* next member of the parent */
	struct tval *first, *last;  /* members of a map or a list */
	size_t count;               /* how many members */
	char *s;                    /* TV_STR, TV_HTML */
	long long i;                /* TV_INT, TV_BOOL */
};

static struct tval *tval_new(enum tval_kind kind)
{
	struct tval *v = xcalloc(1, sizeof(*v));
	v->kind = kind;
	return v;
}

/* tval_free_node - free v and everything below it */
static void tval_free_node(struct tval *v)
{
	struct tval *c, *next;

	for (c = v->first; c != NULL; c = next) {
		next = c->next;
		tval_free_node(c);
	}
	free(v->key);
	free(v->s);
	free(v);
}

void tval_free(struct tval **v)
{
	if (*v == NULL)
		return;
	tval_free_node(*v);
	*v = NULL;
}

struct tval *tval_map(void)
{
	return tval_new(TV_MAP);
}

/* map_find - the member of map named key, or NULL */
static const struct tval *map_find(const struct tval *map, const char *key)
{
	const struct tval *c;

	if (map == NULL || map->kind != TV_MAP)
		return NULL;
	for (c = map->first; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

/* map_put - make v the member key of map, replacing one of the same name
   in place (keeps the order of first insertion) */
static struct tval *map_put(struct tval *map, const char *key, struct tval *v)
{
	struct tval **pp;

	if (map == NULL || map->kind != TV_MAP) {
		tval_free_node(v);
		return NULL;
	}
	v->key = xstrdup(key);
	for (pp = &map->first; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			struct tval *old = *pp;
			v->next = old->next;
			*pp = v;
			if (map->last == old)
				map->last = v;
			old->next = NULL;
			tval_free_node(old);
			return v;
		}
	}
	*pp = v;
	map->last = v;
	map->count++;
	return v;
}

void tval_set_str(struct tval *map, const char *key, const char *s)
{
	struct tval *v = tval_new(TV_STR);
	v->s = xstrdup(s != NULL ? s : "");
	map_put(map, key, v);
}

void tval_set_html(struct tval *map, const char *key, const char *trusted_html)
{
	struct tval *v = tval_new(TV_HTML);
	v->s = xstrdup(trusted_html != NULL ? trusted_html : "");
	map_put(map, key, v);
}

void tval_set_int(struct tval *map, const char *key, long long i)
{
	struct tval *v = tval_new(TV_INT);
	v->i = i;
	map_put(map, key, v);
}

void tval_set_bool(struct tval *map, const char *key, int b)
{
	struct tval *v = tval_new(TV_BOOL);
	v->i = b != 0;
	map_put(map, key, v);
}

struct tval *tval_set_list(struct tval *map, const char *key)
{
	return map_put(map, key, tval_new(TV_LIST));
}

struct tval *tval_set_map(struct tval *map, const char *key)
{
	return map_put(map, key, tval_new(TV_MAP));
}

struct tval *tval_list_add_map(struct tval *list)
{
	struct tval *v;

	if (list == NULL || list->kind != TV_LIST)
		return NULL;
	v = tval_new(TV_MAP);
	if (list->last != NULL)
		list->last->next = v;
	else
		list->first = v;
	list->last = v;
	list->count++;
	return v;
}

const struct tval *tval_get(const struct tval *map, const char *path)
{
	char part[RENDER_MAX_PATH + 1];
	const struct tval *v = map;
	const char *p = path, *dot;
	size_t n;

	while (v != NULL) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n > RENDER_MAX_PATH)
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		v = map_find(v, part);
		if (dot == NULL)
			return v;
		p = dot + 1;
	}
	return NULL;
}

/* ---- errors ---- */

static _Thread_local char errbuf[512];

static const char *set_error(const char *name, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* set_error - "NAME:LINE: message" in the error buffer */
static const char *set_error(const char *name, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(errbuf, sizeof(errbuf), "%s:%d: %s", name, line, msg);
	else
		snprintf(errbuf, sizeof(errbuf), "%s: %s", name, msg);
	return errbuf;
}

/* ---- parsed templates ---- */

enum node_kind { N_TEXT, N_VAR, N_IF, N_UNLESS, N_EACH };
enum special { SP_NONE, SP_INDEX, SP_NUMBER, SP_FIRST, SP_LAST };

struct path {
	char *text;                 /* as written */
	char **seg;                 /* dotted parts */
	int nseg;
	enum special sp;
};

struct node {
	enum node_kind kind;
	int line;
	const char *text;           /* N_TEXT: into the template source */
	size_t len;
	struct path path;           /* the others */
	struct node *body, *alt;    /* blocks: the main part, the else part */
	int has_else;
	struct node *next;
};

struct tmpl {
	char *name;                 /* for errors: a file path or the given name */
	char *src;                  /* the source; text nodes point into it */
	struct node *subject;       /* the "Subject:" line, or NULL */
	int has_subject;
	struct node *body;
};

static const char *const helper_names[] = {
	[N_IF] = "if", [N_UNLESS] = "unless", [N_EACH] = "each",
};

static void nodes_free(struct node *n)
{
	struct node *next;

	for (; n != NULL; n = next) {
		next = n->next;
		nodes_free(n->body);
		nodes_free(n->alt);
		free(n->path.text);
		if (n->path.seg != NULL) {
			free(n->path.seg[0]);
			free(n->path.seg);
		}
		free(n);
	}
}

static void tmpl_free(struct tmpl **tp)
{
	struct tmpl *t = *tp;

	if (t == NULL)
		return;
	nodes_free(t->subject);
	nodes_free(t->body);
	free(t->src);
	free(t->name);
	free(t);
	*tp = NULL;
}

struct frame {
	struct node *block;         /* NULL at the top level */
	struct node **tail;         /* where the next node goes */
};

struct parser {
	const char *name;
	const char *start, *end;    /* the text being parsed */
	int line;                   /* line number at the current position */
	struct frame stack[RENDER_MAX_DEPTH + 1];
	int depth;
	struct node *last_text;     /* the last text node, to trim standalone lines */
	const char *last_text_end;
	const char *error;
};

static int count_lines(const char *p, const char *end)
{
	int n = 0;

	for (; p < end; p++)
		if (*p == '\n')
			n++;
	return n;
}

static struct node *add_node(struct parser *ps, enum node_kind kind, int line)
{
	struct frame *f = &ps->stack[ps->depth];
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	*f->tail = n;
	f->tail = &n->next;
	return n;
}

static int in_each(const struct parser *ps)
{
	int i;

	for (i = 1; i <= ps->depth; i++)
		if (ps->stack[i].block->kind == N_EACH)
			return 1;
	return 0;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* parse_path - a variable name (a.b.c or @index...) into path; -1 with
   ps->error when it is not one */
static int parse_path(struct parser *ps, int line, const char *s, size_t n, struct path *path)
{
	static const char *const specials[] = {
		[SP_INDEX] = "@index", [SP_NUMBER] = "@number",
		[SP_FIRST] = "@first", [SP_LAST] = "@last",
	};
	size_t i;
	int nseg = 1;
	char *copy, *p;

	memset(path, 0, sizeof(*path));
	if (n == 0 || n > RENDER_MAX_PATH) {
		ps->error = set_error(ps->name, line, "bad name '%.*s'", (int)(n > 40 ? 40 : n), s);
		return -1;
	}
	if (s[0] == '@') {
		for (i = SP_INDEX; i <= SP_LAST; i++) {
			if (strlen(specials[i]) == n && memcmp(specials[i], s, n) == 0) {
				if (!in_each(ps)) {
					ps->error = set_error(ps->name, line, "%s outside {{#each}}", specials[i]);
					return -1;
				}
				path->sp = (enum special)i;
				path->text = xmemdup0(s, n);
				return 0;
			}
		}
		ps->error = set_error(ps->name, line, "unknown special name '%.*s'", (int)n, s);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i == 0 || i + 1 == n || s[i + 1] == '.')
				goto bad;
			nseg++;
		} else if (!name_char(s[i])) {
			goto bad;
		}
	}
	path->text = xmemdup0(s, n);
	copy = xmemdup0(s, n);
	path->seg = xreallocarray(NULL, (size_t)nseg, sizeof(char *));
	path->nseg = 0;
	for (p = copy;;) {
		char *dot = strchr(p, '.');
		path->seg[path->nseg++] = p;
		if (dot == NULL)
			break;
		*dot = '\0';
		p = dot + 1;
	}
	return 0;
bad:
	if (s[0] == '{' || s[0] == '&')
		ps->error = set_error(ps->name, line,
				      "'{{%c' is not supported: values are always escaped in HTML", s[0]);
	else
		ps->error = set_error(ps->name, line, "bad tag '{{%.*s}}'", (int)(n > 40 ? 40 : n), s);
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* standalone - a block tag, else or comment alone on its line (only blanks
   around it) takes the line: trim the blanks before it from the last text
   node and return where the text after the line starts, else NULL */
static const char *standalone(struct parser *ps, const char *open, const char *after)
{
	const char *q = open, *r = after;

	while (q > ps->start && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (q != ps->start && q[-1] != '\n')
		return NULL;
	while (r < ps->end && (*r == ' ' || *r == '\t'))
		r++;
	if (r < ps->end) {
		if (*r == '\n')
			r++;
		else if (*r == '\r' && r + 1 < ps->end && r[1] == '\n')
			r += 2;
		else
			return NULL;
	}
	if (q < open && ps->last_text != NULL && ps->last_text_end == open)
		ps->last_text->len -= (size_t)(open - q);
	return r;
}

/* parse_tag - one tag (its trimmed content s, n bytes, opening on line);
   returns 1 for a tag that may stand alone on a line, 0 for a value,
   -1 on error */
static int parse_tag(struct parser *ps, int line, const char *s, size_t n)
{
	struct node *nd;
	size_t i, w;

	if (n == 0) {
		ps->error = set_error(ps->name, line, "empty tag '{{}}'");
		return -1;
	}
	if (s[0] == '!')
		return 1;
	if (s[0] == '#') {
		enum node_kind kind;
		for (w = 1; w < n && !is_space(s[w]); w++)
			;
		if (w - 1 == 2 && memcmp(s + 1, "if", 2) == 0)
			kind = N_IF;
		else if (w - 1 == 6 && memcmp(s + 1, "unless", 6) == 0)
			kind = N_UNLESS;
		else if (w - 1 == 4 && memcmp(s + 1, "each", 4) == 0)
			kind = N_EACH;
		else {
			ps->error = set_error(ps->name, line, "unknown helper '#%.*s'",
					      (int)(w - 1 > 40 ? 40 : w - 1), s + 1);
			return -1;
		}
		for (i = w; i < n && is_space(s[i]); i++)
			;
		if (i == n) {
			ps->error = set_error(ps->name, line, "{{#%s}} needs a name", helper_names[kind]);
			return -1;
		}
		for (w = i; w < n && !is_space(s[w]); w++)
			;
		if (w != n) {
			ps->error = set_error(ps->name, line, "{{#%s}} takes one name", helper_names[kind]);
			return -1;
		}
		if (ps->depth >= RENDER_MAX_DEPTH) {
			ps->error = set_error(ps->name, line, "blocks nested deeper than %d",
					      RENDER_MAX_DEPTH);
			return -1;
		}
		/* the name belongs to the enclosing scope: parsed before the
		   push, so {{#each @index}} outside a list is an error */
		nd = add_node(ps, kind, line);
		if (parse_path(ps, line, s + i, n - i, &nd->path) < 0)
			return -1;
		ps->depth++;
		ps->stack[ps->depth].block = nd;
		ps->stack[ps->depth].tail = &nd->body;
		return 1;
	}
	if (s[0] == '/') {
		struct node *open;
		for (i = 1; i < n && is_space(s[i]); i++)
			;
		if (ps->depth == 0) {
			ps->error = set_error(ps->name, line, "{{/%.*s}} without an open block",
					      (int)(n - i > 40 ? 40 : n - i), s + i);
			return -1;
		}
		open = ps->stack[ps->depth].block;
		if (strlen(helper_names[open->kind]) != n - i ||
		    memcmp(helper_names[open->kind], s + i, n - i) != 0) {
			ps->error = set_error(ps->name, line,
					      "{{/%.*s}} does not close {{#%s}} (line %d)",
					      (int)(n - i > 40 ? 40 : n - i), s + i,
					      helper_names[open->kind], open->line);
			return -1;
		}
		ps->depth--;
		return 1;
	}
	if (n == 4 && memcmp(s, "else", 4) == 0) {
		struct node *open;
		if (ps->depth == 0) {
			ps->error = set_error(ps->name, line, "{{else}} outside a block");
			return -1;
		}
		open = ps->stack[ps->depth].block;
		if (open->has_else) {
			ps->error = set_error(ps->name, line, "a second {{else}} in {{#%s}} (line %d)",
					      helper_names[open->kind], open->line);
			return -1;
		}
		open->has_else = 1;
		ps->stack[ps->depth].tail = &open->alt;
		return 1;
	}
	nd = add_node(ps, N_VAR, line);
	if (parse_path(ps, line, s, n, &nd->path) < 0)
		return -1;
	return 0;
}

/* parse_nodes - parse [start,end) (its first line numbered line) into a
   node list; -1 with *error_r */
static int parse_nodes(const char *name, const char *start, const char *end, int line,
		       struct node **nodes_r, const char **error_r)
{
	struct parser ps;
	const char *p = start;

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.start = start;
	ps.end = end;
	ps.line = line;
	*nodes_r = NULL;
	ps.stack[0].tail = nodes_r;
	while (p < end) {
		const char *open = NULL, *close = NULL, *q, *after, *s, *e;
		int tagline, r;

		for (q = p; q + 1 < end; q++)
			if (q[0] == '{' && q[1] == '{') {
				open = q;
				break;
			}
		if (open == NULL)
			open = end;
		if (open > p) {
			struct node *t = add_node(&ps, N_TEXT, ps.line);
			t->text = p;
			t->len = (size_t)(open - p);
			ps.last_text = t;
			ps.last_text_end = open;
			ps.line += count_lines(p, open);
		}
		if (open == end)
			break;
		for (q = open + 2; q + 1 < end; q++)
			if (q[0] == '}' && q[1] == '}') {
				close = q;
				break;
			}
		tagline = ps.line;
		if (close == NULL) {
			*error_r = set_error(name, tagline, "unclosed tag '{{'");
			return -1;
		}
		/* "{{{x}}}": the third brace belongs to the tag */
		if (close + 2 < end && close[2] == '}' && open[2] == '{')
			close++;
		s = open + 2;
		e = close;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		after = close + 2;
		ps.line += count_lines(open, after);
		r = parse_tag(&ps, tagline, s, (size_t)(e - s));
		if (r < 0) {
			*error_r = ps.error;
			return -1;
		}
		if (r == 1) {
			const char *next = standalone(&ps, open, after);
			if (next != NULL) {
				ps.line += count_lines(after, next);
				after = next;
			}
		}
		ps.last_text = NULL;
		p = after;
	}
	if (ps.depth > 0) {
		struct node *open = ps.stack[ps.depth].block;
		*error_r = set_error(name, open->line, "{{#%s %s}} is never closed",
				     helper_names[open->kind], open->path.text);
		return -1;
	}
	return 0;
}

/* tmpl_parse - parse src (len bytes, taken over) into a template; with
   split_subject a first line "Subject: …" becomes the subject */
static int tmpl_parse(const char *name, char *src, size_t len, int split_subject,
		      struct tmpl **t_r, const char **error_r)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	const char *body = src, *end = src + len;
	int line = 1;

	t->name = xstrdup(name);
	t->src = src;
	*t_r = NULL;
	if (strlen(src) != len) {
		*error_r = set_error(name, count_lines(src, src + strlen(src)) + 1,
				     "NUL byte in template");
		tmpl_free(&t);
		return -1;
	}
	if (len > RENDER_MAX_TEMPLATE) {
		*error_r = set_error(name, 0, "template larger than %d bytes", RENDER_MAX_TEMPLATE);
		tmpl_free(&t);
		return -1;
	}
	if (split_subject && str_starts(src, "Subject:")) {
		const char *s = src + 8, *eol = memchr(src, '\n', len), *e;
		if (eol == NULL)
			eol = end;
		e = eol;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		t->has_subject = 1;
		if (parse_nodes(t->name, s, e, 1, &t->subject, error_r) < 0) {
			tmpl_free(&t);
			return -1;
		}
		body = eol < end ? eol + 1 : end;
		line = 2;
	}
	if (parse_nodes(t->name, body, end, line, &t->body, error_r) < 0) {
		tmpl_free(&t);
		return -1;
	}
	*t_r = t;
	return 0;
}

/* ---- rendering ---- */

struct scope {
	const struct tval *map;     /* NULL: an each item that is not a map */
	const struct scope *up;
	int each;                   /* an each item: the fields below apply */
	size_t index, count;
};

struct rctx {
	const char *name;
	int html;
	struct buf *out;
	size_t start;               /* out->len before the render */
	int failed;
	const char *error;
};

/* resolve - the value a path names in scope; specials are made in tmp */
static const struct tval *resolve(const struct scope *sc, const struct path *path,
				  struct tval *tmp)
{
	const struct tval *v = NULL;
	int i;

	if (path->sp != SP_NONE) {
		for (; sc != NULL && !sc->each; sc = sc->up)
			;
		if (sc == NULL)
			return NULL;
		memset(tmp, 0, sizeof(*tmp));
		switch (path->sp) {
		case SP_INDEX: tmp->kind = TV_INT; tmp->i = (long long)sc->index; break;
		case SP_NUMBER: tmp->kind = TV_INT; tmp->i = (long long)sc->index + 1; break;
		case SP_FIRST: tmp->kind = TV_BOOL; tmp->i = sc->index == 0; break;
		case SP_LAST: tmp->kind = TV_BOOL; tmp->i = sc->index + 1 == sc->count; break;
		case SP_NONE: break;
		}
		return tmp;
	}
	for (; sc != NULL; sc = sc->up)
		if ((v = map_find(sc->map, path->seg[0])) != NULL)
			break;
	for (i = 1; v != NULL && i < path->nseg; i++)
		v = map_find(v, path->seg[i]);
	return v;
}

static int truthy(const struct tval *v)
{
	if (v == NULL)
		return 0;
	switch (v->kind) {
	case TV_STR:
	case TV_HTML: return v->s[0] != '\0';
	case TV_INT:
	case TV_BOOL: return v->i != 0;
	case TV_LIST: return v->count > 0;
	case TV_MAP: return 1;
	}
	return 0;
}

/* emit - append n bytes, within the caps */
static void emit(struct rctx *c, int line, const char *p, size_t n)
{
	if (c->failed || n == 0)
		return;
	if (c->out->len - c->start + n > RENDER_MAX_OUTPUT || buf_append(c->out, p, n) < 0) {
		size_t cap = RENDER_MAX_OUTPUT;
		if (c->out->max != 0 && c->out->max - c->start < cap)
			cap = c->out->max - c->start;
		c->error = set_error(c->name, line, "output larger than the cap (%zu bytes)", cap);
		c->failed = 1;
	}
}

int render_html_escape(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if (buf_append(out, s + run, i - run) < 0 || buf_puts(out, rep) < 0)
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}

/* emit_escaped - emit with HTML escaping, run by run */
static void emit_escaped(struct rctx *c, int line, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *rep;

	for (i = 0; i < n && !c->failed; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		emit(c, line, s + run, i - run);
		emit(c, line, rep, strlen(rep));
		run = i + 1;
	}
	emit(c, line, s + run, n - run);
}

static void emit_value(struct rctx *c, int line, const struct tval *v)
{
	char num[32];
	int n;

	if (v == NULL)
		return;
	switch (v->kind) {
	case TV_STR:
		if (c->html)
			emit_escaped(c, line, v->s, strlen(v->s));
		else
			emit(c, line, v->s, strlen(v->s));
		break;
	case TV_HTML:
		emit(c, line, v->s, strlen(v->s));
		break;
	case TV_INT:
		n = snprintf(num, sizeof(num), "%lld", v->i);
		emit(c, line, num, (size_t)n);
		break;
	case TV_BOOL:
		if (v->i)
			emit(c, line, "true", 4);
		else
			emit(c, line, "false", 5);
		break;
	case TV_MAP:
	case TV_LIST:
		break;
	}
}

static void render_nodes(struct rctx *c, const struct node *n, const struct scope *sc)
{
	struct tval tmp;
	const struct tval *v;

	for (; n != NULL && !c->failed; n = n->next) {
		switch (n->kind) {
		case N_TEXT:
			emit(c, n->line, n->text, n->len);
			break;
		case N_VAR:
			emit_value(c, n->line, resolve(sc, &n->path, &tmp));
			break;
		case N_IF:
		case N_UNLESS:
			v = resolve(sc, &n->path, &tmp);
			if (truthy(v) == (n->kind == N_IF))
				render_nodes(c, n->body, sc);
			else
				render_nodes(c, n->alt, sc);
			break;
		case N_EACH:
			v = resolve(sc, &n->path, &tmp);
			if (v != NULL && v->kind == TV_LIST && v->count > 0) {
				const struct tval *item;
				struct scope in = { NULL, sc, 1, 0, v->count };
				for (item = v->first; item != NULL && !c->failed; item = item->next) {
					in.map = item->kind == TV_MAP ? item : NULL;
					render_nodes(c, n->body, &in);
					in.index++;
				}
			} else {
				render_nodes(c, n->alt, sc);
			}
			break;
		}
	}
}

/* render_nodes_top - render a node list with the root scope v */
static int render_nodes_top(const char *name, const struct node *nodes, const struct tval *v,
			    int html, struct buf *out, const char **error_r)
{
	struct rctx c = { name, html != 0, out, out->len, 0, NULL };
	struct scope root = { v, NULL, 0, 0, 0 };

	render_nodes(&c, nodes, &root);
	if (c.failed) {
		buf_truncate(out, c.start);
		out->overflowed = 0;
		*error_r = c.error;
		return -1;
	}
	return 0;
}

int render_string(const char *tmpl, const char *name, const struct tval *v,
		  int html, struct buf *out, const char **error_r)
{
	struct tmpl *t;
	int r;

	if (tmpl_parse(name, xstrdup(tmpl), strlen(tmpl), 0, &t, error_r) < 0)
		return -1;
	r = render_nodes_top(t->name, t->body, v, html, out, error_r);
	tmpl_free(&t);
	return r;
}

/* ---- the strict check ---- */

struct cctx {
	const char **unknown;       /* names as written, in the template */
	size_t n, cap;
};

static void check_note(struct cctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->unknown[i], name) == 0)
			return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->unknown = xreallocarray(c->unknown, c->cap, sizeof(*c->unknown));
	}
	c->unknown[c->n++] = name;
}

static void check_nodes(struct cctx *c, const struct node *n, const struct scope *sc)
{
	struct tval tmp;
	const struct tval *v;

	for (; n != NULL; n = n->next) {
		if (n->kind == N_TEXT)
			continue;
		v = resolve(sc, &n->path, &tmp);
		if (v == NULL)
			check_note(c, n->path.text);
		switch (n->kind) {
		case N_TEXT:
		case N_VAR:
			break;
		case N_IF:
		case N_UNLESS:
			check_nodes(c, n->body, sc);
			check_nodes(c, n->alt, sc);
			break;
		case N_EACH:
			/* the body is checked once per item; an empty list
			   has no item to check it against, a missing one or
			   a value that is not a list is the name to report */
			if (v != NULL && v->kind == TV_LIST) {
				const struct tval *item;
				struct scope in = { NULL, sc, 1, 0, v->count };
				for (item = v->first; item != NULL; item = item->next) {
					in.map = item->kind == TV_MAP ? item : NULL;
					check_nodes(c, n->body, &in);
					in.index++;
				}
			} else if (v != NULL) {
				check_note(c, n->path.text);
			}
			check_nodes(c, n->alt, sc);
			break;
		}
	}
}

/* check_tmpl - the strict check of a parsed template, subject included */
static int check_tmpl(const struct tmpl *t, const struct tval *v, struct buf *unknown_r)
{
	struct cctx c = { NULL, 0, 0 };
	struct scope root = { v, NULL, 0, 0, 0 };
	size_t i;
	int n;

	check_nodes(&c, t->subject, &root);
	check_nodes(&c, t->body, &root);
	for (i = 0; i < c.n; i++) {
		if (unknown_r->len > 0)
			buf_puts(unknown_r, ",");
		buf_puts(unknown_r, c.unknown[i]);
	}
	n = (int)c.n;
	free(c.unknown);
	return n;
}

int render_check_string(const char *tmpl, const char *name, const struct tval *v,
			struct buf *unknown_r, const char **error_r)
{
	struct tmpl *t;
	int n;

	if (tmpl_parse(name, xstrdup(tmpl), strlen(tmpl), 0, &t, error_r) < 0)
		return -1;
	n = check_tmpl(t, v, unknown_r);
	tmpl_free(&t);
	return n;
}

/* ---- template files and the cache ---- */

struct cache_entry {
	char *key;
	struct tmpl *t;
	struct cache_entry *next;
};

static struct cache_entry *cache;

void render_cache_clear(void)
{
	struct cache_entry *e, *next;

	for (e = cache; e != NULL; e = next) {
		next = e->next;
		tmpl_free(&e->t);
		free(e->key);
		free(e);
	}
	cache = NULL;
}

static int valid_template_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > RENDER_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!name_char(name[i]))
			return 0;
	return 1;
}

/* read_template - read DIR/NAME.EXT; 1 = read, 0 = no such file, -1 = error */
static int read_template(const char *dir, const char *name, const char *ext,
			 char **path_r, char **data_r, size_t *len_r, const char **error_r)
{
	char *path = xasprintf("%s/%s.%s", dir, name, ext);

	if (str_read_file(path, RENDER_MAX_TEMPLATE, data_r, len_r) < 0) {
		if (errno == ENOENT) {
			free(path);
			return 0;
		}
		if (errno == EFBIG)
			*error_r = set_error(path, 0, "template larger than %d bytes",
					     RENDER_MAX_TEMPLATE);
		else
			*error_r = set_error(path, 0, "%s", strerror(errno));
		free(path);
		return -1;
	}
	*path_r = path;
	return 1;
}

/* load_template - the parsed template NAME.txt/.html, from the cache or
   loaded (override first) and cached */
static int load_template(const char *override_dir, const char *default_dir,
			 const char *name, int html, const struct tmpl **t_r,
			 const char **error_r)
{
	const char *ext = html ? "html" : "txt";
	struct cache_entry *e;
	struct tmpl *t;
	char *key, *path = NULL, *data = NULL;
	size_t len = 0;
	int r = 0;

	if (name == NULL || !valid_template_name(name)) {
		*error_r = set_error(name != NULL ? name : "(null)", 0, "bad template name");
		return -1;
	}
	key = xasprintf("%s\n%s\n%s\n%s", override_dir != NULL ? override_dir : "",
			default_dir != NULL ? default_dir : "", name, ext);
	for (e = cache; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			free(key);
			*t_r = e->t;
			return 0;
		}
	}
	if (override_dir != NULL && override_dir[0] != '\0')
		r = read_template(override_dir, name, ext, &path, &data, &len, error_r);
	if (r == 0 && default_dir != NULL)
		r = read_template(default_dir, name, ext, &path, &data, &len, error_r);
	if (r == 0)
		*error_r = set_error(name, 0, "no template %s.%s in %s%s%s", name, ext,
				     override_dir != NULL ? override_dir : "",
				     override_dir != NULL ? " or " : "",
				     default_dir != NULL ? default_dir : "(no directory)");
	if (r <= 0) {
		free(key);
		return -1;
	}
	r = tmpl_parse(path, data, len, 1, &t, error_r);
	free(path);
	if (r < 0) {
		free(key);
		return -1;
	}
	e = xcalloc(1, sizeof(*e));
	e->key = key;
	e->t = t;
	e->next = cache;
	cache = e;
	*t_r = t;
	return 0;
}

int render_template(const char *override_dir, const char *default_dir,
		    const char *name, int html, const struct tval *v,
		    struct buf *out, const char **error_r)
{
	const struct tmpl *t;

	if (load_template(override_dir, default_dir, name, html, &t, error_r) < 0)
		return -1;
	return render_nodes_top(t->name, t->body, v, html, out, error_r);
}

int render_template_subject(const char *override_dir, const char *default_dir,
			    const char *name, const struct tval *v,
			    struct buf *out, const char **error_r)
{
	const struct tmpl *t;
	struct buf tmp;
	size_t i, start = out->len;
	int space = 0, any = 0;

	if (load_template(override_dir, default_dir, name, 0, &t, error_r) < 0)
		return -1;
	if (!t->has_subject)
		return 0;
	buf_init(&tmp, RENDER_MAX_OUTPUT);
	if (render_nodes_top(t->name, t->subject, v, 0, &tmp, error_r) < 0) {
		buf_free(&tmp);
		return -1;
	}
	for (i = 0; i < tmp.len; i++) {
		char ch = tmp.data[i];
		if (is_space(ch) || ch == '\v' || ch == '\f') {
			space = any;
			continue;
		}
		if ((space && buf_putc(out, ' ') < 0) || buf_putc(out, ch) < 0) {
			buf_free(&tmp);
			buf_truncate(out, start);
			out->overflowed = 0;
			*error_r = set_error(t->name, 1, "subject larger than the output cap");
			return -1;
		}
		space = 0;
		any = 1;
	}
	buf_free(&tmp);
	return 0;
}

int render_check_template(const char *override_dir, const char *default_dir,
			  const char *name, int html, const struct tval *v,
			  struct buf *unknown_r, const char **error_r)
{
	const struct tmpl *t;

	if (load_template(override_dir, default_dir, name, html, &t, error_r) < 0)
		return -1;
	return check_tmpl(t, v, unknown_r);
}
