/* test-render - the template language, and every template in templates/
   against the variable contract in templates/README */
#include "config.h"
#include "tap.h"
#include "tag/render.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMPLATE_DIR TOP_SRCDIR "/templates"

/* render - render tmpl with v into a fresh string (NULL on error, the
   error in *err) */
static char *render(const char *tmpl, const struct tval *v, int html, const char **err)
{
	struct buf b = BUF_INIT;
	*err = NULL;
	if (render_string(tmpl, "t", v, html, &b, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/* is_render - render and compare */
__attribute__((format(printf, 5, 6)))
static void is_render(const char *tmpl, const struct tval *v, int html, const char *want,
		      const char *fmt, ...)
{
	const char *err;
	char what[256];
	va_list ap;
	char *got = render(tmpl, v, html, &err);

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (got == NULL)
		diag("error: %s", err);
	is_str(got, want, "%s", what);
	free(got);
}

/* is_error - rendering fails with exactly this message */
static void is_error(const char *tmpl, const struct tval *v, const char *want, const char *what)
{
	const char *err;
	char *got = render(tmpl, v, 0, &err);
	ok(got == NULL, "%s: fails", what);
	is_str(got == NULL ? err : "(rendered)", want, "%s: message", what);
	free(got);
}

static struct tval *sample(void)
{
	struct tval *v = tval_map(), *s, *l, *it, *sub;

	tval_set_str(v, "name", "Ana");
	tval_set_str(v, "empty", "");
	tval_set_str(v, "nil", NULL);
	tval_set_int(v, "zero", 0);
	tval_set_int(v, "seven", 7);
	tval_set_int(v, "neg", -12);
	tval_set_bool(v, "yes", 1);
	tval_set_bool(v, "no", 0);
	tval_set_list(v, "none");
	s = tval_set_map(v, "session");
	tval_set_str(s, "title", "Prof. Learning");
	tval_set_str(s, "list", "tag@x.org");
	l = tval_set_list(v, "items");
	it = tval_list_add_map(l);
	tval_set_str(it, "name", "one");
	sub = tval_set_list(it, "subs");
	tval_set_str(tval_list_add_map(sub), "x", "a");
	tval_set_str(tval_list_add_map(sub), "x", "b");
	it = tval_list_add_map(l);
	tval_set_str(it, "name", "two");
	tval_set_list(it, "subs");
	it = tval_list_add_map(l);
	tval_set_str(it, "name", "three");
	sub = tval_set_list(it, "subs");
	tval_set_str(tval_list_add_map(sub), "x", "c");
	return v;
}

static void test_values(void)
{
	struct tval *v = sample(), *m;

	is_render("Hi {{name}}!", v, 0, "Hi Ana!", "variable");
	is_render("{{session.title}} <{{session.list}}>", v, 0, "Prof. Learning <tag@x.org>",
		  "dotted lookup");
	is_render("[{{missing}}][{{session.missing}}][{{name.deeper}}]", v, 0, "[][][]",
		  "missing variables render as nothing");
	is_render("{{seven}} {{zero}} {{neg}} {{yes}} {{no}} [{{items}}][{{session}}]", v, 0,
		  "7 0 -12 true false [][]", "numbers, bools, lists and maps");
	is_render("{{ name }}", v, 0, "Ana", "blanks inside a tag");
	is_render("a {{! a comment }}b", v, 0, "a b", "comment");
	is_render("a{{!\n multi\n line }}b", v, 0, "ab", "multi-line comment");
	is_render("{single} }} {", v, 0, "{single} }} {", "lone braces are text");

	/* setting a key again replaces it, in place */
	m = tval_map();
	tval_set_str(m, "a", "1");
	tval_set_str(m, "b", "2");
	tval_set_int(m, "a", 3);
	tval_set_list(m, "b");
	is_render("{{a}}{{b}}", m, 0, "3", "a key set again is replaced");
	ok(tval_get(m, "a") != NULL && tval_get(m, "c") == NULL, "tval_get");
	ok(tval_list_add_map(m) == NULL, "list add on a map is refused");
	tval_free(&m);
	ok(m == NULL, "tval_free sets NULL");
	tval_free(&m);
	tval_free(&v);
}

static void test_conditions(void)
{
	struct tval *v = sample();
	static const struct { const char *name; int want; } truth[] = {
		{ "name", 1 }, { "empty", 0 }, { "nil", 0 }, { "seven", 1 }, { "zero", 0 },
		{ "neg", 1 }, { "yes", 1 }, { "no", 0 }, { "items", 1 }, { "none", 0 },
		{ "session", 1 }, { "missing", 0 }, { "session.title", 1 }, { "session.nope", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(truth) / sizeof(truth[0]); i++) {
		char *t = xasprintf("{{#if %s}}T{{else}}F{{/if}}|{{#unless %s}}U{{else}}N{{/unless}}",
				    truth[i].name, truth[i].name);
		is_render(t, v, 0, truth[i].want ? "T|N" : "F|U", "if/unless %s", truth[i].name);
		free(t);
	}
	is_render("{{#if yes}}only{{/if}}.{{#if no}}never{{/if}}.", v, 0, "only..", "if without else");
	is_render("{{#if yes}}{{#unless no}}{{#if name}}deep{{/if}}{{/unless}}{{/if}}", v, 0, "deep",
		  "nested conditions");
	tval_free(&v);
}

static void test_each(void)
{
	struct tval *v = sample();

	is_render("{{#each items}}{{@index}}:{{name}}{{#unless @last}},{{/unless}}{{/each}}", v, 0,
		  "0:one,1:two,2:three", "each with @index and @last");
	is_render("{{#each items}}{{@number}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}} {{/each}}", v, 0,
		  "1F 2 3L ", "@number, @first, @last");
	is_render("{{#each items}}{{name}}[{{#each subs}}{{@index}}{{x}}{{#if @first}}^{{/if}}"
		  "{{/each}}]{{@index}} {{/each}}", v, 0,
		  "one[0a^1b]0 two[]1 three[0c^]2 ", "nested each: @index of the inner list, then the outer");
	is_render("{{#each items}}{{session.title}}/{{seven}} {{/each}}", v, 0,
		  "Prof. Learning/7 Prof. Learning/7 Prof. Learning/7 ", "lookups walk outward");
	is_render("{{#each items}}{{#each subs}}{{name}}{{x}} {{/each}}{{/each}}", v, 0,
		  "onea oneb threec ", "an inner item reaches the outer item's fields");
	is_render("{{#each none}}x{{else}}empty{{/each}}|{{#each missing}}x{{else}}gone{{/each}}", v, 0,
		  "empty|gone", "each else for an empty or missing list");
	is_render("{{#each name}}x{{/each}}.", v, 0, ".", "each over a string renders nothing");
	tval_free(&v);
}

static void test_standalone(void)
{
	struct tval *v = sample();

	is_render("Hello\n{{#if yes}}\n  yes line\n{{/if}}\nend\n", v, 0,
		  "Hello\n  yes line\nend\n", "block tags alone on a line take the line");
	is_render("a\n  {{! note }}  \nb\n", v, 0, "a\nb\n", "a comment line goes");
	is_render("{{#each items}}\n- {{name}}\n{{/each}}\n", v, 0, "- one\n- two\n- three\n",
		  "each lines");
	is_render("x {{#if yes}}\ny\n{{/if}} z\n", v, 0, "x \ny\n z\n",
		  "a tag beside text keeps its line");
	is_render("a\r\n{{#if no}}\r\nb\r\n{{else}}\r\nc\r\n{{/if}}\r\nd", v, 0, "a\r\nc\r\nd",
		  "CRLF lines");
	is_render("{{name}}\n", v, 0, "Ana\n", "a value alone on a line keeps the line");
	tval_free(&v);
}

static void test_escaping(void)
{
	struct tval *v = tval_map();
	const char *evil = "<script>alert(1)</script> \"q\" 'a' & b";

	tval_set_str(v, "c", evil);
	tval_set_html(v, "diff", "word <del>old</del> <ins>new</ins> &amp; more");
	is_render("<p title=\"{{c}}\">{{c}}</p>", v, 1,
		  "<p title=\"&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; b\">"
		  "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; b</p>",
		  "HTML mode escapes & < > \" '");
	is_render("{{c}}", v, 0, evil, "text mode writes values as they are");
	is_render("<div>{{diff}}</div>", v, 1, "<div>word <del>old</del> <ins>new</ins> &amp; more</div>",
		  "trusted HTML passes through");
	is_render("{{diff}}", v, 0, "word <del>old</del> <ins>new</ins> &amp; more",
		  "trusted HTML in text mode is as is");
	is_error("{{{c}}}", v, "t:1: '{{{' is not supported: values are always escaped in HTML",
		 "triple braces cannot turn escaping off");
	is_error("{{&c}}", v, "t:1: '{{&' is not supported: values are always escaped in HTML",
		 "{{& cannot turn escaping off");
	{
		struct buf b = BUF_INIT;
		ok(render_html_escape(&b, "a<b>&\"'", 7) == 0, "render_html_escape");
		is_str(buf_cstr(&b), "a&lt;b&gt;&amp;&quot;&#39;", "render_html_escape result");
		buf_free(&b);
	}
	tval_free(&v);
}

static void test_errors(void)
{
	struct tval *v = sample();
	struct buf deep = BUF_INIT;
	int i;

	is_error("line 1\nline 2 {{name", v, "t:2: unclosed tag '{{'", "unclosed tag");
	is_error("a\n\n{{#with x}}{{/with}}", v, "t:3: unknown helper '#with'", "unknown helper");
	is_error("a\n{{#if yes}}\nb\n{{/each}}\n", v, "t:4: {{/each}} does not close {{#if}} (line 2)",
		 "mismatched close");
	is_error("a\n{{#each items}}\n{{#if name}}\n{{/if}}\n", v, "t:2: {{#each items}} is never closed",
		 "block never closed");
	is_error("{{/if}}", v, "t:1: {{/if}} without an open block", "close without open");
	is_error("x\n{{else}}", v, "t:2: {{else}} outside a block", "else outside a block");
	is_error("{{#if a}}{{else}}{{else}}{{/if}}", v, "t:1: a second {{else}} in {{#if}} (line 1)",
		 "two elses");
	is_error("{{#if}}{{/if}}", v, "t:1: {{#if}} needs a name", "if without a name");
	is_error("{{#if a b}}{{/if}}", v, "t:1: {{#if}} takes one name", "if with two names");
	is_error("\n\n{{@index}}", v, "t:3: @index outside {{#each}}", "@index outside each");
	is_error("{{#each items}}{{@count}}{{/each}}", v, "t:1: unknown special name '@count'",
		 "unknown special");
	is_error("{{a b}}", v, "t:1: bad tag '{{a b}}'", "a name with a space");
	is_error("{{a..b}}", v, "t:1: bad tag '{{a..b}}'", "an empty path part");
	is_error("{{}}", v, "t:1: empty tag '{{}}'", "empty tag");
	is_error("{{> partial}}", v, "t:1: bad tag '{{> partial}}'", "partials are not a feature");

	for (i = 0; i < RENDER_MAX_DEPTH; i++)
		buf_puts(&deep, "{{#if yes}}");
	buf_puts(&deep, "deep");
	for (i = 0; i < RENDER_MAX_DEPTH; i++)
		buf_puts(&deep, "{{/if}}");
	is_render(buf_cstr(&deep), v, 0, "deep", "nesting up to the limit works");
	buf_reset(&deep);
	for (i = 0; i <= RENDER_MAX_DEPTH; i++)
		buf_puts(&deep, "{{#if yes}}\n");
	is_error(buf_cstr(&deep), v, "t:17: blocks nested deeper than 16", "nesting past the limit");
	buf_free(&deep);
	tval_free(&v);
}

static void test_output_cap(void)
{
	struct tval *v = tval_map(), *l;
	struct buf b;
	const char *err = NULL;
	char *big;
	int i;

	tval_set_str(v, "s", "0123456789");
	buf_init(&b, 64);
	buf_puts(&b, "kept");
	ok(render_string("a\n{{#each l}}x{{else}}{{s}}{{s}}{{s}}{{s}}{{s}}{{s}}{{s}}{{/each}}", "cap", v,
			 0, &b, &err) < 0, "output past the buffer's cap fails");
	is_str(err, "cap:2: output larger than the cap (60 bytes)", "cap error names the line");
	is_str(buf_cstr(&b), "kept", "output left as it was");
	ok(!b.overflowed, "buffer usable afterwards");
	buf_free(&b);

	/* the renderer's own cap, whatever the buffer allows */
	big = xmalloc(64 * 1024 + 1);
	memset(big, 'x', 64 * 1024);
	big[64 * 1024] = '\0';
	tval_set_str(v, "big", big);
	free(big);
	l = tval_set_list(v, "l");
	for (i = 0; i < (RENDER_MAX_OUTPUT / (64 * 1024)) + 2; i++)
		tval_list_add_map(l);
	buf_init(&b, 0);
	err = NULL;
	ok(render_string("{{#each l}}{{big}}{{/each}}", "cap", v, 1, &b, &err) < 0,
	   "output past RENDER_MAX_OUTPUT fails");
	ok(err != NULL && strstr(err, "output larger than the cap") != NULL, "cap error: %s",
	   err ? err : "(none)");
	ok(b.len == 0, "nothing written");
	buf_free(&b);
	tval_free(&v);
}

static void test_check(void)
{
	struct tval *v = sample();
	struct buf u = BUF_INIT;
	const char *err;
	int n;

	n = render_check_string("{{name}} {{session.title}} {{#each items}}{{name}}{{@index}}{{#each subs}}"
				"{{x}}{{/each}}{{/each}}", "t", v, &u, &err);
	is_int(n, 0, "strict check: all names known");
	is_str(buf_cstr(&u), "", "strict check: nothing listed");
	buf_reset(&u);
	n = render_check_string("{{nmae}} {{session.titel}} {{#if nope}}{{inner}}{{else}}{{alt}}{{/if}}"
				"{{#each items}}{{nam}}{{#each subs}}{{y}}{{/each}}{{/each}}{{nmae}}"
				"{{#each name}}{{z}}{{/each}}",
				"t", v, &u, &err);
	is_int(n, 8, "strict check: typos found in every branch");
	is_str(buf_cstr(&u), "nmae,session.titel,nope,inner,alt,nam,y,name",
	       "strict check: each listed once, in order (and a string used as a list)");
	buf_reset(&u);
	is_int(render_check_string("{{#each nolist}}{{a}}{{/each}}{{#each none}}{{b}}{{/each}}", "t", v, &u, &err),
	       1, "strict check: a missing list is reported, an empty list's body is not checked");
	is_str(buf_cstr(&u), "nolist", "strict check: the missing list by name");
	buf_reset(&u);
	ok(render_check_string("{{#if x}}", "t", v, &u, &err) < 0, "strict check: parse errors are errors");
	buf_free(&u);
	tval_free(&v);
}

/* ---- the templates against the contract in templates/README ---- */

struct contract_var {
	char *section;
	char *path;
	char *type;
};

struct contract {
	struct contract_var *vars;
	size_t n;
	char **sections;            /* template names, in README order */
	size_t nsections;
};

static int is_type(const char *t)
{
	return strcmp(t, "str") == 0 || strcmp(t, "html") == 0 || strcmp(t, "int") == 0 ||
	       strcmp(t, "bool") == 0 || strcmp(t, "list") == 0;
}

/* contract_load - the variable lines of templates/README */
static int contract_load(struct contract *c)
{
	char *data, *line, *next, *section = NULL;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (str_read_file(TEMPLATE_DIR "/README", 1 << 20, &data, &len) < 0)
		return -1;
	for (line = data; line != NULL && *line != '\0'; line = next) {
		char name[160], type[16];
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '[' && line[strlen(line) - 1] == ']') {
			free(section);
			section = xstrndup(line + 1, strlen(line) - 2);
			if (strcmp(section, "common") != 0) {
				c->sections = xreallocarray(c->sections, c->nsections + 1, sizeof(char *));
				c->sections[c->nsections++] = xstrdup(section);
			}
			continue;
		}
		if (section == NULL || line[0] == ' ' ||
		    sscanf(line, "%159s %15s", name, type) != 2 || !is_type(type))
			continue;
		c->vars = xreallocarray(c->vars, c->n + 1, sizeof(*c->vars));
		c->vars[c->n].section = xstrdup(section);
		c->vars[c->n].path = xstrdup(name);
		c->vars[c->n].type = xstrdup(type);
		c->n++;
	}
	free(section);
	free(data);
	return 0;
}

static void contract_free(struct contract *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->vars[i].section);
		free(c->vars[i].path);
		free(c->vars[i].type);
	}
	for (i = 0; i < c->nsections; i++)
		free(c->sections[i]);
	free(c->vars);
	free(c->sections);
}

/* the maps of a tree under construction, by the path that leads to them */
struct node_table {
	char *path[256];
	struct tval *map[256];
	int n;
};

/* table_map - the map at prefix ("session", "paragraphs[]",
   "paragraphs[].comments[]"), made on the way; NULL below an empty list */
static struct tval *table_map(struct node_table *t, struct tval *root, const char *prefix, int full)
{
	const char *dot;
	struct tval *parent, *m = NULL;
	char *parent_path, *seg;
	int i;

	if (prefix[0] == '\0')
		return root;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->path[i], prefix) == 0)
			return t->map[i];
	dot = strrchr(prefix, '.');
	parent_path = dot != NULL ? xstrndup(prefix, (size_t)(dot - prefix)) : xstrdup("");
	seg = xstrdup(dot != NULL ? dot + 1 : prefix);
	parent = table_map(t, root, parent_path, full);
	if (parent != NULL) {
		size_t n = strlen(seg);
		if (n > 2 && strcmp(seg + n - 2, "[]") == 0) {
			struct tval *list;
			seg[n - 2] = '\0';
			list = tval_set_list(parent, seg);
			m = full ? tval_list_add_map(list) : NULL;
		} else {
			m = tval_set_map(parent, seg);
		}
	}
	if (t->n < 256) {
		t->path[t->n] = xstrdup(prefix);
		t->map[t->n++] = m;
	}
	free(parent_path);
	free(seg);
	return m;
}

enum sample {
	SAMPLE_FULL,                /* sample strings, bools true, one item per list */
	SAMPLE_FALSE,               /* sample strings, bools false, one item per list */
	SAMPLE_EMPTY,               /* empty strings, zeros, bools false, empty lists */
};

/* contract_tree - the values a template gets: common + its section, made
   as mode says. Each sample string names its path. skip: a path to leave
   out with everything below it (or NULL). */
static struct tval *contract_tree(const struct contract *c, const char *section, enum sample mode,
				  const char *skip)
{
	struct tval *root = tval_map();
	struct node_table t;
	int full = mode != SAMPLE_EMPTY;
	size_t i, nskip = skip != NULL ? strlen(skip) : 0;
	int k;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < c->n; i++) {
		const struct contract_var *cv = &c->vars[i];
		const char *dot;
		struct tval *m;
		char *prefix, *key;

		if (strcmp(cv->section, "common") != 0 && strcmp(cv->section, section) != 0)
			continue;
		if (skip != NULL && strncmp(cv->path, skip, nskip) == 0 &&
		    (cv->path[nskip] == '\0' || cv->path[nskip] == '[' || cv->path[nskip] == '.'))
			continue;
		if (strcmp(cv->type, "list") == 0) {
			char *lp = xasprintf("%s[]", cv->path);
			table_map(&t, root, lp, full);
			free(lp);
			continue;
		}
		dot = strrchr(cv->path, '.');
		prefix = dot != NULL ? xstrndup(cv->path, (size_t)(dot - cv->path)) : xstrdup("");
		key = xstrdup(dot != NULL ? dot + 1 : cv->path);
		m = table_map(&t, root, prefix, full);
		if (m != NULL) {
			if (strcmp(cv->type, "str") == 0) {
				char *s = full ? xasprintf("<x-sample> ~%s~ & \"q\" 'a'", cv->path) : NULL;
				tval_set_str(m, key, s);
				free(s);
			} else if (strcmp(cv->type, "html") == 0) {
				char *s = full ? xasprintf("<ins>~%s~</ins>", cv->path) : NULL;
				tval_set_html(m, key, s);
				free(s);
			} else if (strcmp(cv->type, "int") == 0) {
				tval_set_int(m, key, full ? 7 : 0);
			} else {
				tval_set_bool(m, key, mode == SAMPLE_FULL);
			}
		}
		free(prefix);
		free(key);
	}
	for (k = 0; k < t.n; k++)
		free(t.path[k]);
	return root;
}

/* listed - whether the comma-separated list u holds the name a template
   writes for contract path p (the part after the last "[]." if any) */
static int listed(const char *u, const char *p)
{
	const char *w = p, *q, *s;
	size_t n;

	for (q = p; (q = strstr(q, "[].")) != NULL; q += 3)
		w = q + 3;
	n = strlen(w);
	for (s = u; *s != '\0';) {
		const char *e = strchr(s, ',');
		size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
		if (len == n && strncmp(s, w, n) == 0)
			return 1;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* html_balanced - every element opened is closed, in order (void
   elements aside); a small check that the HTML templates are well formed */
static int html_balanced(const char *h, char *why, size_t whylen)
{
	static const char *const voids[] = { "meta", "br", "hr", "img", "link", "input", "!DOCTYPE" };
	char stack[64][16];
	int depth = 0;
	const char *p = h;

	while ((p = strchr(p, '<')) != NULL) {
		char name[16];
		size_t n = 0, k;
		int close = p[1] == '/';
		const char *q = p + 1 + close;
		int isvoid = 0;

		while (*q != '\0' && *q != '>' && *q != ' ' && *q != '\n' && n + 1 < sizeof(name))
			name[n++] = *q++;
		name[n] = '\0';
		for (k = 0; k < sizeof(voids) / sizeof(voids[0]); k++)
			if (strcmp(name, voids[k]) == 0)
				isvoid = 1;
		if (!isvoid && !close) {
			if (depth == 64)
				return 0;
			memcpy(stack[depth++], name, sizeof(name));
		} else if (close) {
			if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
				snprintf(why, whylen, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "");
				return 0;
			}
			depth--;
		}
		p = q;
	}
	if (depth != 0)
		snprintf(why, whylen, "<%s> never closed", stack[depth - 1]);
	return depth == 0;
}

/* render_both - subject + text and HTML of one template; 0 or -1 */
static int render_both(const char *dir, const char *name, const struct tval *v,
		       struct buf *subject, struct buf *text, struct buf *html, const char **err)
{
	if (render_template_subject(NULL, dir, name, v, subject, err) < 0 ||
	    render_template(NULL, dir, name, 0, v, text, err) < 0 ||
	    render_template(NULL, dir, name, 1, v, html, err) < 0)
		return -1;
	return 0;
}

static void test_templates(void)
{
	struct contract c;
	size_t i, j;
	int nfiles = 0;

	int loaded = contract_load(&c);

	if (!ok(loaded == 0 && c.nsections >= 15, "templates/README: %zu templates, %zu variables",
		c.nsections, c.n))
		return;
	for (i = 0; i < c.nsections; i++) {
		const char *name = c.sections[i];
		struct tval *full = contract_tree(&c, name, SAMPLE_FULL, NULL);
		struct tval *nobool = contract_tree(&c, name, SAMPLE_FALSE, NULL);
		struct tval *empty = contract_tree(&c, name, SAMPLE_EMPTY, NULL);
		struct buf subj = BUF_INIT, text = BUF_INIT, html = BUF_INIT, u = BUF_INIT;
		struct buf all = BUF_INIT;
		const char *err = NULL;
		int h, bad = 0;

		ok(render_both(TEMPLATE_DIR, name, full, &subj, &text, &html, &err) == 0,
		   "%s: renders with every value set%s%s", name, err ? ": " : "", err ? err : "");
		nfiles += 2;
		ok(subj.len > 0 && strchr(buf_cstr(&subj), '\n') == NULL &&
		   strncmp(buf_cstr(&text), "Subject:", 8) != 0,
		   "%s: has a one-line subject, taken out of the body: %.60s", name, buf_cstr(&subj));
		for (h = 0; h <= 1; h++) {
			buf_reset(&u);
			is_int(render_check_template(NULL, TEMPLATE_DIR, name, h, full, &u, &err), 0,
			       "%s.%s: strict check finds no unknown name %s", name, h ? "html" : "txt",
			       buf_cstr(&u));
		}
		ok(strstr(buf_cstr(&html), "<x-sample>") == NULL &&
		   strstr(buf_cstr(&html), "&lt;x-sample&gt;") != NULL &&
		   strstr(buf_cstr(&html), "<script") == NULL,
		   "%s.html: every value escaped", name);
		ok(strstr(buf_cstr(&text), "<x-sample>") != NULL, "%s.txt: values as they are", name);
		ok(strstr(buf_cstr(&text), "{{") == NULL && strstr(buf_cstr(&html), "{{") == NULL &&
		   strstr(buf_cstr(&html), "<!DOCTYPE html>") == buf_cstr(&html) &&
		   strstr(buf_cstr(&html), "</html>") != NULL &&
		   strstr(buf_cstr(&html), "<html lang=\"en\">") != NULL,
		   "%s: complete output", name);
		{
			char why[80] = "";
			ok(html_balanced(buf_cstr(&html), why, sizeof(why)), "%s.html: elements balanced %s",
			   name, why);
		}
		ok(strstr(buf_cstr(&html), "src=") == NULL && strstr(buf_cstr(&html), "<script") == NULL &&
		   strstr(buf_cstr(&html), "<link") == NULL && strstr(buf_cstr(&html), "url(") == NULL,
		   "%s.html: no external resources, no script", name);

		/* every variable the contract lists for this template is used:
		   a string by its sample text in the output (bools true, then
		   false), any by a strict check without it */
		buf_printf(&all, "%s\n%s\n%s\n", buf_cstr(&subj), buf_cstr(&text), buf_cstr(&html));
		buf_reset(&subj);
		buf_reset(&text);
		buf_reset(&html);
		{
			char why[80] = "";
			ok(render_both(TEMPLATE_DIR, name, nobool, &subj, &text, &html, &err) == 0 &&
			   html_balanced(buf_cstr(&html), why, sizeof(why)),
			   "%s: renders with every flag false%s%s %s", name, err ? ": " : "", err ? err : "", why);
		}
		buf_printf(&all, "%s\n%s\n%s\n", buf_cstr(&subj), buf_cstr(&text), buf_cstr(&html));
		for (j = 0; j < c.n; j++) {
			const struct contract_var *cv = &c.vars[j];
			int found = 0;

			if (strcmp(cv->section, name) != 0)
				continue;
			if (strcmp(cv->type, "str") == 0 || strcmp(cv->type, "html") == 0) {
				char *mark = xasprintf("~%s~", cv->path);
				found = strstr(buf_cstr(&all), mark) != NULL;
				free(mark);
			}
			if (!found) {
				struct tval *less = contract_tree(&c, name, SAMPLE_FULL, cv->path);
				for (h = 0; h <= 1; h++) {
					buf_reset(&u);
					render_check_template(NULL, TEMPLATE_DIR, name, h, less, &u, &err);
					if (listed(buf_cstr(&u), cv->path))
						found = 1;
				}
				tval_free(&less);
			}
			if (!found) {
				diag("%s: %s is in the contract but not used", name, cv->path);
				bad++;
			}
		}
		is_int(bad, 0, "%s: every variable in its contract is used", name);

		buf_reset(&subj);
		buf_reset(&text);
		buf_reset(&html);
		err = NULL;
		{
			char why[80] = "";
			ok(render_both(TEMPLATE_DIR, name, empty, &subj, &text, &html, &err) == 0 &&
			   text.len > 0 && html_balanced(buf_cstr(&html), why, sizeof(why)),
			   "%s: renders with empty values (the else branches)%s%s %s", name,
			   err ? ": " : "", err ? err : "", why);
		}
		buf_free(&subj);
		buf_free(&text);
		buf_free(&html);
		buf_free(&u);
		buf_free(&all);
		tval_free(&full);
		tval_free(&nobool);
		tval_free(&empty);
	}
	/* every template file in templates/ has its contract section, and
	   each section its two files (rendered above) */
	{
		int ntxt = 0, nhtml = 0;
		DIR *d = opendir(TEMPLATE_DIR);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (str_ends(de->d_name, ".txt"))
				ntxt++;
			else if (str_ends(de->d_name, ".html"))
				nhtml++;
		}
		if (d != NULL)
			closedir(d);
		is_int(ntxt + nhtml, nfiles, "%zu kinds of mail: templates/ holds a text and an HTML template "
		       "for each, and nothing the contract does not list", c.nsections);
	}
	contract_free(&c);
	render_cache_clear();
}

/* write_file - a small file for the override tests */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static void test_files(void)
{
	char dir[] = "/tmp/test-render-XXXXXX";
	struct tval *v = tval_map();
	struct buf b = BUF_INIT;
	const char *err = NULL;
	char *path;

	tval_set_str(tval_set_map(v, "session"), "title", "Café & co");
	if (!ok(mkdtemp(dir) != NULL, "temporary override directory"))
		return;
	path = xasprintf("%s/help.txt", dir);
	write_file(path, "Subject:  Overridden   {{session.title}} \nbody {{session.title}}\n");
	ok(render_template(dir, TEMPLATE_DIR, "help", 0, v, &b, &err) == 0, "override template renders");
	is_str(buf_cstr(&b), "body Café & co\n", "the override directory comes first");
	buf_reset(&b);
	ok(render_template_subject(dir, TEMPLATE_DIR, "help", v, &b, &err) == 0, "override subject");
	is_str(buf_cstr(&b), "Overridden Café & co", "subject: blanks collapsed, trimmed");
	buf_reset(&b);
	ok(render_template(dir, TEMPLATE_DIR, "welcome", 0, v, &b, &err) == 0 &&
	   strstr(buf_cstr(&b), "Welcome to the Café & co") != NULL,
	   "a template missing from the override directory comes from the default");
	buf_reset(&b);

	write_file(path, "changed\n");
	ok(render_template(dir, TEMPLATE_DIR, "help", 0, v, &b, &err) == 0 &&
	   strcmp(buf_cstr(&b), "body Café & co\n") == 0, "parsed templates are cached");
	buf_reset(&b);
	render_cache_clear();
	ok(render_template(dir, TEMPLATE_DIR, "help", 0, v, &b, &err) == 0 &&
	   strcmp(buf_cstr(&b), "changed\n") == 0, "render_cache_clear rereads");
	buf_reset(&b);
	ok(render_template_subject(dir, TEMPLATE_DIR, "help", v, &b, &err) == 0 && b.len == 0,
	   "no Subject line: no subject");

	write_file(path, "Subject: x\nfine\n{{#if a}}\nbroken\n");
	render_cache_clear();
	ok(render_template(dir, TEMPLATE_DIR, "help", 0, v, &b, &err) < 0, "a broken override fails");
	{
		char *want = xasprintf("%s:3: {{#if a}} is never closed", path);
		is_str(err, want, "error names the file and line (Subject is line 1)");
		free(want);
	}
	ok(render_template(dir, TEMPLATE_DIR, "../etc/passwd", 0, v, &b, &err) < 0 &&
	   strstr(err, "bad template name") != NULL, "template names cannot walk directories");
	ok(render_template(dir, TEMPLATE_DIR, "no-such-kind", 1, v, &b, &err) < 0 &&
	   strstr(err, "no template no-such-kind.html") != NULL, "missing template: %s", err);
	ok(render_template(NULL, NULL, "help", 1, v, &b, &err) < 0, "no directory at all");
	unlink(path);
	free(path);
	path = xasprintf("%s/big.txt", dir);
	{
		FILE *f = fopen(path, "w");
		int i;
		for (i = 0; f != NULL && i < RENDER_MAX_TEMPLATE / 8 + 1; i++)
			fputs("1234567\n", f);
		if (f != NULL)
			fclose(f);
	}
	ok(render_template(NULL, dir, "big", 0, v, &b, &err) < 0 && strstr(err, "larger than") != NULL,
	   "a template past RENDER_MAX_TEMPLATE is refused");
	unlink(path);
	free(path);
	rmdir(dir);
	render_cache_clear();
	buf_free(&b);
	tval_free(&v);
}

/* bench_tree - a realistic digest: 22 paragraphs, 4 comments with 2
   replies each on 12 of them, 3 changed paragraphs */
static struct tval *bench_tree(void)
{
	struct tval *v = tval_map(), *s, *l, *p, *cl, *cm, *rl, *r, *ch;
	int i, j, k;

	s = tval_set_map(v, "session");
	tval_set_str(s, "title", "Professional Learning & Competency-Based Education");
	tval_set_str(s, "list", "tag-prof-learning@tags.example.org");
	tval_set_str(s, "opens", "Monday 16 July 2018");
	tval_set_str(s, "closes", "Friday 20 July 2018");
	tval_set_str(s, "help_addr", "tag-prof-learning+help@tags.example.org");
	tval_set_str(s, "leave_addr", "tag-prof-learning+leave@tags.example.org");
	tval_set_str(s, "contact", "kcasey@consulting.example.com");
	tval_set_str(tval_set_map(v, "participant"), "name", "Ana Ruiz");
	tval_set_str(v, "date", "Tuesday 17 July 2018");
	tval_set_str(v, "period", "since Monday 16 July, 17:00");
	tval_set_int(v, "revision", 2);
	cm = tval_set_map(v, "counts");
	tval_set_int(cm, "comments", 48);
	tval_set_int(cm, "replies", 96);
	tval_set_int(cm, "paragraphs", 12);
	tval_set_int(cm, "authors", 6);
	tval_set_int(cm, "changed", 3);
	l = tval_set_list(v, "paragraphs");
	for (i = 1; i <= 12; i++) {
		char addr[80];
		p = tval_list_add_map(l);
		tval_set_int(p, "number", i);
		tval_set_str(p, "excerpt", "This paper sets out what is different about professional…");
		snprintf(addr, sizeof(addr), "tag-prof-learning+p%d@tags.example.org", i);
		tval_set_str(p, "reply_to", addr);
		cl = tval_set_list(p, "comments");
		for (j = 0; j < 4; j++) {
			cm = tval_list_add_map(cl);
			tval_set_str(cm, "author", "Bola Okafor");
			tval_set_str(cm, "organization", "Lincoln Middle School");
			tval_set_str(cm, "text", "I would add that <teachers> need protected time & trust "
				     "to calibrate together; most schedules don't allow it.\n\nA second "
				     "paragraph of the comment with \"quotes\".");
			tval_set_str(cm, "reply_to", "tag-prof-learning+c123@tags.example.org");
			rl = tval_set_list(cm, "replies");
			for (k = 0; k < 2; k++) {
				r = tval_list_add_map(rl);
				tval_set_str(r, "author", "Wei Chen");
				tval_set_str(r, "text", "Agreed: our state guidance says the same.");
			}
		}
	}
	l = tval_set_list(v, "changes");
	for (i = 0; i < 3; i++) {
		ch = tval_list_add_map(l);
		tval_set_int(ch, "number", 5 + i);
		tval_set_str(ch, "diff_text", "Teachers [-rarely-] {+seldom+} see their own learning");
		tval_set_html(ch, "diff_html", "Teachers <del>rarely</del> <ins>seldom</ins> see");
	}
	return v;
}

static void test_bench(void)
{
	struct tval *v = bench_tree();
	struct buf b = BUF_INIT;
	const char *err = NULL;
	struct timespec t0, t1;
	size_t bytes = 0;
	int i, failed = 0;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000; i++) {
		buf_reset(&b);
		if (render_template(NULL, TEMPLATE_DIR, "digest", i & 1, v, &b, &err) < 0)
			failed++;
		bytes += b.len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(failed, 0, "bench: 1,000 digests (text and HTML alternately) render%s%s",
	       err ? ": " : "", err ? err : "");
	diag("bench: 1,000 digests, %zu KB in all, in %.3f s (%.3f ms each)", bytes / 1024, secs, secs);
	ok(secs < 60.0, "bench: well within a minute, even under sanitizers");
	buf_free(&b);
	tval_free(&v);
	render_cache_clear();
}

int main(void)
{
	test_values();
	test_conditions();
	test_each();
	test_standalone();
	test_escaping();
	test_errors();
	test_output_cap();
	test_check();
	test_templates();
	test_files();
	test_bench();
	return done_testing();
}
