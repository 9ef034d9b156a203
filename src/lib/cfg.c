#include "config.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <ini.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIELD(t, d, type) ((type *)((char *)(t) + (d)->offset))

void cfg_list_add(struct cfg_list *l, const char *s)
{
	l->v = xreallocarray(l->v, (size_t)l->n + 1, sizeof(char *));
	l->v[l->n++] = xstrdup(s);
}

void cfg_list_free(struct cfg_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int parse_suffixed(const char *v, int seconds, int64_t *out)
{
	char num[32];
	size_t n = strlen(v);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, v, n + 1);
	int64_t mult = 1;
	char last = num[n - 1];
	if (seconds) {
		switch (last) {
		case 's': mult = 1; num[--n] = '\0'; break;
		case 'm': mult = 60; num[--n] = '\0'; break;
		case 'h': mult = 3600; num[--n] = '\0'; break;
		case 'd': mult = 86400; num[--n] = '\0'; break;
		default: break;
		}
	} else {
		switch (last) {
		case 'k': case 'K': mult = 1024; num[--n] = '\0'; break;
		case 'M': mult = 1024 * 1024; num[--n] = '\0'; break;
		case 'G': mult = 1024 * 1024 * 1024; num[--n] = '\0'; break;
		default: break;
		}
	}
	int64_t x;
	if (str_to_i64(num, 0, INT64_MAX / mult, &x) < 0)
		return -1;
	*out = x * mult;
	return 0;
}

int cfg_secret_file_read(const char *path, char **secret_r, const char **error_r)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (st.st_mode & S_IRWXO) {
		*error_r = "secret file is accessible by others (chmod o-rwx)";
		return -1;
	}
	char *data;
	size_t len;
	if (str_read_file(path, 64 * 1024, &data, &len) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	data[strcspn(data, "\r\n")] = '\0';
	*secret_r = data;
	return 0;
}

static int set_value(const struct cfg_def *d, void *t, const char *v, const char **err)
{
	int64_t x;
	if (d->check && *v && d->check(v, err) < 0)
		return -1;
	switch (d->type) {
	case CFG_STR:
	case CFG_PATH:
	case CFG_SECRET:
		free(*FIELD(t, d, char *));
		*FIELD(t, d, char *) = xstrdup(v);
		return 0;
	case CFG_SECRET_FILE: {
		char *s;
		if (*v == '\0') {
			free(*FIELD(t, d, char *));
			*FIELD(t, d, char *) = NULL;
			return 0;
		}
		if (cfg_secret_file_read(v, &s, err) < 0)
			return -1;
		free(*FIELD(t, d, char *));
		*FIELD(t, d, char *) = s;
		return 0;
	}
	case CFG_INT:
	case CFG_SIZE:
	case CFG_SECONDS:
		if (d->type == CFG_INT ? str_to_i64(v, INT64_MIN, INT64_MAX, &x) < 0
				       : parse_suffixed(v, d->type == CFG_SECONDS, &x) < 0) {
			*err = d->type == CFG_INT ? "not a whole number"
			     : d->type == CFG_SIZE ? "not a size (such as 512k, 10M)"
						   : "not a duration (such as 30s, 5m, 2h, 3d)";
			return -1;
		}
		if ((d->min || d->max) && (x < d->min || x > d->max)) {
			static char msg[128];
			snprintf(msg, sizeof(msg), "out of range (%lld to %lld)",
				 (long long)d->min, (long long)d->max);
			*err = msg;
			return -1;
		}
		*FIELD(t, d, int64_t) = x;
		return 0;
	case CFG_BOOL:
		if (!str_casecmp(v, "yes") || !str_casecmp(v, "true") || !str_casecmp(v, "on") || !strcmp(v, "1"))
			*FIELD(t, d, int) = 1;
		else if (!str_casecmp(v, "no") || !str_casecmp(v, "false") || !str_casecmp(v, "off") || !strcmp(v, "0"))
			*FIELD(t, d, int) = 0;
		else {
			*err = "not yes or no";
			return -1;
		}
		return 0;
	case CFG_ENUM: {
		const char *c = d->choices;
		for (int i = 0; c && *c; i++) {
			size_t n = strcspn(c, "|");
			if (strlen(v) == n && strncmp(c, v, n) == 0) {
				*FIELD(t, d, int) = i;
				return 0;
			}
			c += n;
			if (*c == '|')
				c++;
		}
		static char msg[160];
		snprintf(msg, sizeof(msg), "must be one of %s", d->choices);
		*err = msg;
		return -1;
	}
	case CFG_HHMM: {
		int h, m;
		char tail;
		if (sscanf(v, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59) {
			*err = "not a time of day (HH:MM)";
			return -1;
		}
		*FIELD(t, d, int) = h * 60 + m;
		return 0;
	}
	case CFG_DATE:
	case CFG_DATETIME: {
		int y, mo, dd, h = 0, mi = 0, n;
		char tail;
		if (*v == '\0') {
			free(*FIELD(t, d, char *));
			*FIELD(t, d, char *) = NULL;
			return 0;
		}
		n = d->type == CFG_DATE ? sscanf(v, "%4d-%2d-%2d%c", &y, &mo, &dd, &tail)
					: sscanf(v, "%4d-%2d-%2d %2d:%2d%c", &y, &mo, &dd, &h, &mi, &tail);
		if (n != (d->type == CFG_DATE ? 3 : 5) || y < 1970 || mo < 1 || mo > 12 ||
		    dd < 1 || dd > 31 || h > 23 || mi > 59 || h < 0 || mi < 0) {
			*err = d->type == CFG_DATE ? "not a date (YYYY-MM-DD)"
						   : "not a date and time (YYYY-MM-DD HH:MM)";
			return -1;
		}
		free(*FIELD(t, d, char *));
		*FIELD(t, d, char *) = xstrdup(v);
		return 0;
	}
	case CFG_LIST:
		cfg_list_add(FIELD(t, d, struct cfg_list), v);
		return 0;
	}
	*err = "bad setting type";
	return -1;
}

void cfg_defaults(const struct cfg_def *defs, void *target)
{
	for (const struct cfg_def *d = defs; d->name; d++) {
		const char *err;
		if (d->def == NULL)
			continue;
		if (d->type == CFG_LIST) {
			/* "a, b" defaults for lists are comma-separated */
			char *copy = xstrdup(d->def), *p = copy;
			while (*p) {
				size_t n = strcspn(p, ",");
				char save = p[n];
				p[n] = '\0';
				char *item = str_trim(p);
				if (*item)
					cfg_list_add(FIELD(target, d, struct cfg_list), item);
				if (!save)
					break;
				p += n + 1;
			}
			free(copy);
			continue;
		}
		if (set_value(d, target, d->def, &err) < 0)
			log_panic("bad default for [%s] %s: %s", d->section, d->name, err);
	}
}

struct load_ctx {
	const struct cfg_def *defs;
	void *target;
	const char *name;
	struct buf *errors;
	int nerrors;
	int line;
	/* for texts in memory */
	const char *text;
	/* lines where each def was set, to catch repeats of scalars */
	int *seen;
	size_t ndefs;
	int *lines_out;
};

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	const struct cfg_def *d;
	size_t i = 0;
	int section_known = 0;
	if (name == NULL)
		return 1; /* a section header alone */
	for (d = c->defs; d->name; d++, i++) {
		if (strcmp(d->section, section) != 0)
			continue;
		section_known = 1;
		if (strcmp(d->name, name) == 0)
			break;
	}
	if (d->name == NULL) {
		buf_printf(c->errors, "%s:%d: [%s] %s: %s\n", c->name, c->line, section, name,
			   section_known ? "unknown setting" : "unknown section");
		c->nerrors++;
		return 1;
	}
	if (d->type != CFG_LIST && c->seen[i]) {
		buf_printf(c->errors, "%s:%d: [%s] %s: set twice (first on line %d)\n",
			   c->name, c->line, section, name, c->seen[i]);
		c->nerrors++;
		return 1;
	}
	if (d->type == CFG_LIST && !c->seen[i])
		cfg_list_free(FIELD(c->target, d, struct cfg_list)); /* a file replaces the default list */
	c->seen[i] = c->line;
	if (c->lines_out)
		c->lines_out[i] = c->line;
	const char *err = NULL;
	if (value[0] == ';') {
		/* inih keeps "key =;x" as ";x", yet "key = ;x" is a comment:
		   refused, so that every value read can be written back
		   (--dump-config) and read again the same */
		buf_printf(c->errors, "%s:%d: [%s] %s: a value may not begin with ';' (a comment)\n",
			   c->name, c->line, section, name);
		c->nerrors++;
		return 1;
	}
	if (set_value(d, c->target, value, &err) < 0) {
		buf_printf(c->errors, "%s:%d: [%s] %s: %s\n", c->name, c->line, section, name, err);
		c->nerrors++;
	}
	return 1;
}

/* too_long - a line that does not fit inih's line buffer (num bytes with
   the NUL: 200 in Debian's build). inih would read the rest of it as a
   line of its own, so that the tail of a long value could set another key:
   the line (start: its first bytes) is reported, unless it is a comment,
   and given to inih as an empty one. */
static char *too_long(struct load_ctx *c, const char *start, char *str, int num)
{
	start += strspn(start, " \t");
	if (*start != '#' && *start != ';') {
		buf_printf(c->errors, "%s:%d: line longer than %d bytes: not read\n", c->name, c->line, num - 2);
		c->nerrors++;
	}
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static char *file_reader(char *str, int num, void *stream)
{
	struct load_ctx *c = stream;
	FILE *f = (FILE *)c->text;
	char *r = fgets(str, num, f);
	if (r == NULL)
		return NULL;
	c->line++;
	size_t n = strlen(str);
	if (n == 0 || str[n - 1] == '\n' || n + 1 < (size_t)num)
		return r; /* a whole line, or the last one without its line end */
	int ch;
	while ((ch = fgetc(f)) != EOF && ch != '\n')
		;
	return too_long(c, str, str, num);
}

static char *string_reader(char *str, int num, void *stream)
{
	struct load_ctx *c = stream;
	const char *p = c->text;
	if (*p == '\0' || num < 3)
		return NULL;
	size_t len = strcspn(p, "\n");
	c->text = p + len + (p[len] == '\n' ? 1 : 0);
	c->line++;
	if (len + 2 > (size_t)num)
		return too_long(c, p, str, num);
	memcpy(str, p, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int load(const struct cfg_def *defs, void *target, const char *name,
		struct buf *errors, FILE *f, const char *text, int *lines_out)
{
	struct load_ctx c = { 0 };
	c.lines_out = lines_out;
	c.defs = defs;
	c.target = target;
	c.name = name;
	c.errors = errors;
	for (const struct cfg_def *d = defs; d->name; d++)
		c.ndefs++;
	c.seen = xcalloc(c.ndefs + 1, sizeof(int));
	int r;
	if (f) {
		c.text = (const char *)f;
		r = ini_parse_stream(file_reader, &c, handler, &c);
	} else {
		c.text = text;
		r = ini_parse_stream(string_reader, &c, handler, &c);
	}
	free(c.seen);
	if (r > 0) {
		/* inih itself could not read a line: a missing ']' or '=' */
		buf_printf(errors, "%s:%d: syntax error (expected [section] or key = value)\n", name, r);
		c.nerrors++;
	} else if (r == -2) {
		log_fatal("out of memory reading %s", name);
	}
	return c.nerrors;
}

int cfg_load_file(const struct cfg_def *defs, void *target, const char *path, struct buf *errors)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		buf_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	int n = load(defs, target, path, errors, f, NULL, NULL);
	fclose(f);
	return n;
}

int cfg_load_string(const struct cfg_def *defs, void *target, const char *text,
		    const char *name, struct buf *errors)
{
	return load(defs, target, name, errors, NULL, text, NULL);
}

int cfg_load_lines(const struct cfg_def *defs, void *target, const char *text,
		   const char *name, struct buf *errors, int *lines_r)
{
	return load(defs, target, name, errors, NULL, text, lines_r);
}

int cfg_def_index(const struct cfg_def *defs, const char *section, const char *name)
{
	for (int i = 0; defs[i].name; i++)
		if (strcmp(defs[i].section, section) == 0 && strcmp(defs[i].name, name) == 0)
			return i;
	return -1;
}

int cfg_set(const struct cfg_def *defs, void *target, const char *section,
	    const char *key, const char *value, const char **error_r)
{
	for (const struct cfg_def *d = defs; d->name; d++)
		if (strcmp(d->section, section) == 0 && strcmp(d->name, key) == 0)
			return set_value(d, target, value, error_r);
	*error_r = "unknown setting";
	return -1;
}

static void dump_str(struct buf *out, const char *s)
{
	buf_puts(out, s ? s : "");
}

void cfg_dump(const struct cfg_def *defs, const void *target, struct buf *out)
{
	const char *section = NULL;
	void *t = (void *)target;
	for (const struct cfg_def *d = defs; d->name; d++) {
		if (section == NULL || strcmp(section, d->section) != 0) {
			buf_printf(out, "%s[%s]\n", section ? "\n" : "", d->section);
			section = d->section;
		}
		if (d->type == CFG_LIST) {
			struct cfg_list *l = FIELD(t, d, struct cfg_list);
			if (l->n == 0)
				buf_printf(out, "# %s =\n", d->name);
			for (int i = 0; i < l->n; i++)
				buf_printf(out, "%s = %s\n", d->name, l->v[i]);
			continue;
		}
		buf_printf(out, "%s = ", d->name);
		switch (d->type) {
		case CFG_STR:
		case CFG_PATH:
		case CFG_DATE:
		case CFG_DATETIME:
			dump_str(out, *FIELD(t, d, char *));
			break;
		case CFG_SECRET:
		case CFG_SECRET_FILE:
			buf_puts(out, *FIELD(t, d, char *) ? "(secret, hidden)" : "");
			break;
		case CFG_INT:
		case CFG_SIZE:
		case CFG_SECONDS:
			buf_printf(out, "%lld", (long long)*FIELD(t, d, int64_t));
			break;
		case CFG_BOOL:
			buf_puts(out, *FIELD(t, d, int) ? "yes" : "no");
			break;
		case CFG_ENUM: {
			const char *c = d->choices;
			int idx = *FIELD(t, d, int);
			for (int i = 0; i < idx && c; i++) {
				c = strchr(c, '|');
				if (c)
					c++;
			}
			if (c)
				buf_printf(out, "%.*s", (int)strcspn(c, "|"), c);
			break;
		}
		case CFG_HHMM: {
			int m = *FIELD(t, d, int);
			buf_printf(out, "%02d:%02d", m / 60, m % 60);
			break;
		}
		case CFG_LIST:
			break;
		}
		buf_putc(out, '\n');
	}
}

void cfg_free(const struct cfg_def *defs, void *target)
{
	for (const struct cfg_def *d = defs; d->name; d++) {
		switch (d->type) {
		case CFG_STR: case CFG_PATH: case CFG_DATE: case CFG_DATETIME:
		case CFG_SECRET: case CFG_SECRET_FILE:
			free(*FIELD(target, d, char *));
			*FIELD(target, d, char *) = NULL;
			break;
		case CFG_LIST:
			cfg_list_free(FIELD(target, d, struct cfg_list));
			break;
		default:
			break;
		}
	}
}

static void roff(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\e");
		else if (*s == '-')
			buf_puts(out, "\\-");
		else
			buf_putc(out, *s);
	}
}

void cfg_reference(const struct cfg_def *defs, struct buf *out)
{
	static const char *const types[] = { "text", "path", "number", "size", "duration", "yes|no",
					     NULL, "HH:MM", "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "text, repeatable",
					     "secret", "file" };
	const char *section = NULL;
	for (const struct cfg_def *d = defs; d->name; d++) {
		if (section == NULL || strcmp(section, d->section) != 0) {
			buf_printf(out, ".SS [%s]\n", d->section);
			section = d->section;
		}
		buf_puts(out, ".TP\n.B ");
		roff(out, d->name);
		buf_puts(out, "\n(");
		roff(out, d->type == CFG_ENUM ? d->choices : types[d->type]);
		if (d->def && *d->def) {
			buf_puts(out, "; default ");
			roff(out, d->def);
		}
		if ((d->type == CFG_INT || d->type == CFG_SIZE || d->type == CFG_SECONDS) && (d->min || d->max))
			buf_printf(out, "; %lld to %lld", (long long)d->min, (long long)d->max);
		buf_puts(out, ")\n");
		roff(out, d->help);
		buf_puts(out, ".\n");
	}
}
