#ifndef TAGD_TAG_RENDER_H
#define TAGD_TAG_RENDER_H
/* The template language of outgoing mail: small, mustache-like, safe.

     {{name}}  {{a.b}}                 a value; a dotted path walks into maps.
                                       The first part of a path is looked up
                                       in the innermost scope first, then
                                       outward (each item, ..., the root).
     {{#if name}} … {{else}} … {{/if}} true for a non-empty string or trusted
                                       HTML, a non-zero number, a non-empty
                                       list, a true bool, any map
     {{#unless name}} … {{else}} … {{/unless}}
     {{#each list}} … {{else}} … {{/each}}
                                       once per item (items are maps); the
                                       else part when the list is empty or
                                       missing. Inside: {{@index}} (0-based),
                                       {{@number}} (1-based), {{@first}},
                                       {{@last}} (bools, usable in #if)
     {{! a comment }}

   A block tag, {{else}} or a comment alone on its line takes the whole line
   with it, so text templates stay readable.

   In HTML mode every value is HTML-escaped (& < > " '), except values made
   with tval_set_html() by the program itself; no template syntax turns
   escaping off. In text mode values are written as they are. Numbers are
   written in decimal, bools as "true"/"false", maps and lists as nothing.
   A missing variable renders as nothing; render_check_*() lists the names
   a template uses that a given value tree lacks, so tests catch typos.

   Errors (unclosed tag, unknown helper, mismatched or missing close, nesting
   deeper than RENDER_MAX_DEPTH, output past RENDER_MAX_OUTPUT or past the
   output buffer's own cap) give -1 and "NAME:LINE: message" in *error_r
   (a static buffer of this thread, valid until the next call).

   Templates are parsed once into a node tree. Files are loaded by
   render_template() and cached; the cache is not locked: use it from one
   thread (the one that renders mail), and call render_cache_clear() there
   on SIGHUP. */
#include "lib/buf.h"

#define RENDER_MAX_TEMPLATE (256 * 1024)  /* bytes in one template */
#define RENDER_MAX_DEPTH 16               /* nested blocks in a template */
#define RENDER_MAX_OUTPUT (16 << 20)      /* bytes one render may add */
#define RENDER_MAX_PATH 128               /* characters in one {{name}} */
#define RENDER_MAX_NAME 64                /* characters in a template name */

/* A value tree: a map, list, string, int, bool, or trusted HTML. Maps keep
   their keys in insertion order; setting a key again replaces its value.
   Strings are copied. */
struct tval;

/* tval_map - a new empty map (the root of a tree); free with tval_free() */
struct tval *tval_map(void);
/* tval_set_str - map[key] = a copy of s (NULL is the empty string) */
void tval_set_str(struct tval *map, const char *key, const char *s);
/* tval_set_html - map[key] = s, already HTML made by the program with its
   own escaping; written unescaped in HTML mode, as is in text mode */
void tval_set_html(struct tval *map, const char *key, const char *trusted_html);
void tval_set_int(struct tval *map, const char *key, long long v);
void tval_set_bool(struct tval *map, const char *key, int v);
/* tval_set_list - map[key] = a new empty list, returned (owned by map) */
struct tval *tval_set_list(struct tval *map, const char *key);
/* tval_set_map - map[key] = a new empty map, returned (owned by map) */
struct tval *tval_set_map(struct tval *map, const char *key);
/* tval_list_add_map - append a new empty map to list and return it */
struct tval *tval_list_add_map(struct tval *list);
/* tval_get - the value at a dotted path below map, or NULL */
const struct tval *tval_get(const struct tval *map, const char *path);
/* tval_free - free a whole tree (a root from tval_map()) and set *v NULL */
void tval_free(struct tval **v);

/* render_html_escape - append s (n bytes) to out with & < > " ' escaped;
   for code that builds trusted HTML from untrusted text */
int render_html_escape(struct buf *out, const char *s, size_t n);

/* render_string - render template text tmpl (NAME names it in errors) with
   values v, appending to out. html != 0: HTML mode. On error out is left as
   it was. The string is parsed on every call: for repeated use, templates
   from files are cached (render_template). */
int render_string(const char *tmpl, const char *name, const struct tval *v,
		  int html, struct buf *out, const char **error_r);

/* render_template - render template NAME.txt (html = 0) or NAME.html from
   override_dir when that file exists there (override_dir may be NULL), else
   from default_dir, appending to out. NAME is [A-Za-z0-9_-]+. A template
   whose first line starts with "Subject:" has that line removed from the
   body (see render_template_subject). Parsed templates are cached. Errors
   name the file: "DIR/NAME.html:LINE: message". */
int render_template(const char *override_dir, const char *default_dir,
		    const char *name, int html, const struct tval *v,
		    struct buf *out, const char **error_r);

/* render_template_subject - render the "Subject: …" first line of NAME.txt
   (text mode; runs of white space, line breaks included, become one space;
   trimmed), appending to out. A template without a Subject line gives 0
   and appends nothing. */
int render_template_subject(const char *override_dir, const char *default_dir,
			    const char *name, const struct tval *v,
			    struct buf *out, const char **error_r);

/* render_cache_clear - forget all parsed templates (SIGHUP reload) */
void render_cache_clear(void);

/* render_check_string - the strict check: every name tmpl uses, in all
   branches, is looked up in v as a render would. An each body is checked
   once per item of the list (so give every list an item: the body of an
   empty list is not checked); a missing list, or a name used as a list
   that is not one, is reported itself. Appends the names that do not
   resolve to unknown_r, comma-separated, each once, in order of first use.
   Returns how many, or -1 on a template error. */
int render_check_string(const char *tmpl, const char *name, const struct tval *v,
			struct buf *unknown_r, const char **error_r);

/* render_check_template - the strict check of NAME.txt or NAME.html
   (Subject line included), found as render_template() finds it */
int render_check_template(const char *override_dir, const char *default_dir,
			  const char *name, int html, const struct tval *v,
			  struct buf *unknown_r, const char **error_r);

#endif
