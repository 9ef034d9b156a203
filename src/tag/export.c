/* export.c - a revision with every comment under its paragraph: md, html, csv, json */
#include "config.h"
#include "tag/export.h"
#include "tag/render.h"
#include "doc/draft.h"
#include "lib/clock.h"
#include "lib/csv.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_OPEN, ST_INCORPORATED, ST_DECLINED };

/* the JSON export nests a reply of depth d at 5 + 2d levels (root, list of
   paragraphs, paragraph, comments, comment, replies, ...), its replies'
   list one deeper: the writer must never go past its limit */
_Static_assert(6 + 2 * EXPORT_MAX_DEPTH <= JSON_MAX_DEPTH, "EXPORT_MAX_DEPTH too deep for the JSON writer");

/* export_format_parse - a format name to its enum, -1 when unknown */
int export_format_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "md") == 0 || strcmp(name, "markdown") == 0)
		return EXPORT_MD;
	if (strcmp(name, "html") == 0)
		return EXPORT_HTML;
	if (strcmp(name, "csv") == 0)
		return EXPORT_CSV;
	if (strcmp(name, "json") == 0)
		return EXPORT_JSON;
	return -1;
}

/* export_format_name - the short name of a format */
const char *export_format_name(enum export_format f)
{
	switch (f) {
	case EXPORT_MD: return "md";
	case EXPORT_HTML: return "html";
	case EXPORT_CSV: return "csv";
	case EXPORT_JSON: return "json";
	}
	return "unknown";
}

/* export_first_words - the first words of a text, "..." when cut */
void export_first_words(const char *text, int max_words, struct buf *out)
{
	const char *p = text ? text : "";
	int words = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		if (words == max_words) {
			buf_puts(out, "...");
			return;
		}
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (words)
			buf_putc(out, ' ');
		buf_append(out, w, (size_t)(p - w));
		words++;
	}
}

/* ---- days ---- */

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* civil_from_days - the inverse of days_from_civil */
static void civil_from_days(long z, int *y_r, int *m_r, int *d_r)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	*y_r = (int)(y + (m <= 2));
	*m_r = (int)m;
	*d_r = (int)d;
}

/* parse_day - YYYY-MM-DD to a day number; -1 when it is not one */
static int parse_day(const char *s, long *day_r)
{
	int y, m, d;
	char tail;
	if (s == NULL || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*day_r = days_from_civil(y, m, d);
	return 0;
}

/* ---- loading ---- */

struct id_index {              /* a comment id and its index in the list, sorted by id */
	int64_t id;
	int i;
};

/* cmp_id - order an id index by comment id */
static int cmp_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* find_comment - the index of comment id, -1 when not in the session */
static int find_comment(const struct id_index *idx, int n, int64_t id)
{
	struct id_index key = { id, 0 };
	const struct id_index *f = bsearch(&key, idx, (size_t)n, sizeof(*idx), cmp_id);
	return f ? f->i : -1;
}

/* node_add_reply - hang a reply under its parent (replies keep comment order) */
static void node_add_reply(struct export_comment *parent, struct export_comment *child)
{
	parent->replies = xreallocarray(parent->replies, (size_t)parent->nreplies + 1, sizeof(*parent->replies));
	parent->replies[parent->nreplies++] = child;
}

/* para_add_thread - a thread's first comment on its row */
static void para_add_thread(struct export_para *p, struct export_comment *root)
{
	p->threads = xreallocarray(p->threads, (size_t)p->nthreads + 1, sizeof(*p->threads));
	p->threads[p->nthreads++] = root;
}

/* count_thread - set the depths of a thread's comments and add them to the row's heat */
static void count_thread(struct export_para *p, struct export_comment *n, int depth, int *max_cell)
{
	n->depth = depth;
	p->total++;
	if (++p->per_day[n->day] > *max_cell)
		*max_cell = p->per_day[n->day];
	for (int i = 0; i < n->nreplies; i++)
		count_thread(p, n->replies[i], depth + 1, max_cell);
}

/* block_of - the numbered block of a paragraph id in a revision's blocks, NULL if none */
static const struct st_block *block_of(const struct st_block *b, int n, int64_t pid)
{
	for (int i = 0; i < n; i++)
		if (b[i].paragraph_id == pid && b[i].number > 0)
			return &b[i];
	return NULL;
}

/* heading_before - the text of the heading just before block i, "" when none */
static const char *heading_before(const struct st_block *b, int i)
{
	if (i > 0 && b[i - 1].number == 0 && b[i - 1].text)
		return b[i - 1].text;
	return "";
}

/* retired_para - the entry for a paragraph the revision lacks, made on
   first use with the text it had in the revision the comment saw */
static struct export_para *retired_para(struct store *st, struct export_doc *d, const struct st_comment *c,
					int ndays)
{
	for (int i = 0; i < d->nretired; i++)
		if (d->retired[i].paragraph_id == c->paragraph_id)
			return &d->retired[i];
	d->retired = xreallocarray(d->retired, (size_t)d->nretired + 1, sizeof(*d->retired));
	struct export_para *p = &d->retired[d->nretired++];
	memset(p, 0, sizeof(*p));
	p->paragraph_id = c->paragraph_id;
	p->number = c->number;
	p->seen_revision = c->revision;
	p->kind = "paragraph";
	p->text = "";
	p->markdown = "";
	p->heading = "";
	p->per_day = xcalloc((size_t)ndays, sizeof(int));
	struct st_block *b = NULL;
	int n = 0;
	if (c->revision > 0 && store_revision_blocks(st, d->ses.id, c->revision, &b, &n) == 0) {
		const struct st_block *k = block_of(b, n, c->paragraph_id);
		if (k) {
			/* the strings must outlive b: keep them in the doc's string list */
			p->number = k->number;
			d->strings = xreallocarray(d->strings, (size_t)d->nstrings + 3, sizeof(char *));
			d->strings[d->nstrings++] = xstrdup(k->kind ? k->kind : "paragraph");
			p->kind = d->strings[d->nstrings - 1];
			d->strings[d->nstrings++] = xstrdup(k->text ? k->text : "");
			p->text = d->strings[d->nstrings - 1];
			d->strings[d->nstrings++] = xstrdup(k->markdown ? k->markdown : "");
			p->markdown = d->strings[d->nstrings - 1];
		}
		st_block_list_free(&b, n);
	}
	return p;
}

/* status_index - a status as an index into status_counts (unknown counts as open) */
static int status_index(const char *s)
{
	if (s && strcmp(s, "incorporated") == 0)
		return ST_INCORPORATED;
	if (s && strcmp(s, "declined") == 0)
		return ST_DECLINED;
	return ST_OPEN;
}

/* set_days - the heat columns: the session's days, with "earlier" and
   "later" when comments fall outside them; each comment's column */
static void set_days(struct export_doc *d)
{
	long first = 0, last = 0;
	int nwin = 0;
	if (parse_day(d->ses.opens, &first) == 0 && parse_day(d->ses.closes, &last) == 0 && last >= first)
		nwin = last - first + 1 > EXPORT_MAX_DAYS ? EXPORT_MAX_DAYS : (int)(last - first + 1);
	long *cday = xcalloc((size_t)d->ncomments + 1, sizeof(long));
	int earlier = 0, later = 0;
	for (int i = 0; i < d->ncomments; i++) {
		char ymd[16];
		clock_format(d->comments[i].created, d->ses.timezone, "%Y-%m-%d", ymd, sizeof(ymd));
		if (parse_day(ymd, &cday[i]) < 0)
			cday[i] = 0;
	}
	if (nwin == 0 && d->ncomments > 0) {
		/* no usable window: the days that have comments, first to last */
		first = last = cday[0];
		for (int i = 1; i < d->ncomments; i++) {
			if (cday[i] < first)
				first = cday[i];
			if (cday[i] > last)
				last = cday[i];
		}
		nwin = last - first + 1 > EXPORT_MAX_DAYS ? EXPORT_MAX_DAYS : (int)(last - first + 1);
	}
	for (int i = 0; i < d->ncomments; i++) {
		if (cday[i] < first)
			earlier = 1;
		else if (cday[i] >= first + nwin)
			later = 1;
	}
	d->ndays = earlier + nwin + later;
	d->days = xcalloc((size_t)d->ndays + 1, sizeof(*d->days));
	int k = 0;
	if (earlier)
		snprintf(d->days[k++], sizeof(d->days[0]), "earlier");
	for (int i = 0; i < nwin; i++) {
		int y, m, dd;
		civil_from_days(first + i, &y, &m, &dd);
		snprintf(d->days[k++], sizeof(d->days[0]), "%04d-%02d-%02d", y, m, dd);
	}
	if (later)
		snprintf(d->days[k++], sizeof(d->days[0]), "later");
	for (int i = 0; i < d->ncomments; i++) {
		if (cday[i] < first)
			d->nodes[i].day = 0;
		else if (cday[i] >= first + nwin)
			d->nodes[i].day = d->ndays - 1;
		else
			d->nodes[i].day = earlier + (int)(cday[i] - first);
	}
	free(cday);
}

int export_load(struct store *st, const struct st_session *ses, int revision,
		struct export_doc **doc_r, const char **error_r)
{
	static char err[256];
	*doc_r = NULL;
	struct export_doc *d = xcalloc(1, sizeof(*d));
	if (store_session_get_id(st, ses->id, &d->ses) != 0) {
		free(d);
		snprintf(err, sizeof(err), "session %s: %s", ses->slug, store_error(st));
		*error_r = err;
		return -1;
	}
	if (store_revision_current(st, ses->id, &d->current) < 0)
		goto store_fail;
	if (revision == 0)
		revision = d->current;
	if (revision < 0 || revision > d->current) {
		snprintf(err, sizeof(err), "%s has no revision %d (the newest is %d)", ses->slug, revision, d->current);
		*error_r = err;
		export_doc_free(&d);
		return 1;
	}
	d->revision = revision;
	if (revision > 0) {
		char *src = NULL;
		if (store_revision_blocks(st, ses->id, revision, &d->blocks, &d->nblocks) < 0 ||
		    store_revision_source(st, ses->id, revision, &src, &d->imported) < 0)
			goto store_fail;
		free(src);
	}
	if (store_comment_list(st, ses->id, 0, &d->comments, &d->ncomments) < 0)
		goto store_fail;
	if (d->ncomments > EXPORT_MAX_COMMENTS) {
		snprintf(err, sizeof(err), "%s has %d comments, more than an export takes (%d)", ses->slug,
			 d->ncomments, EXPORT_MAX_COMMENTS);
		*error_r = err;
		export_doc_free(&d);
		return -1;
	}

	/* organizations of the authors */
	struct st_participant *parts = NULL;
	int nparts = 0;
	if (store_participant_list(st, ses->id, NULL, &parts, &nparts) < 0)
		goto store_fail;
	d->nodes = xcalloc((size_t)d->ncomments + 1, sizeof(*d->nodes));
	struct id_index *idx = xcalloc((size_t)d->ncomments + 1, sizeof(*idx));
	char **emails = xcalloc((size_t)d->ncomments + 1, sizeof(char *));
	for (int i = 0; i < d->ncomments; i++) {
		const struct st_comment *c = &d->comments[i];
		struct export_comment *n = &d->nodes[i];
		n->c = c;
		n->organization = "";
		for (int k = 0; k < nparts; k++) {
			if (parts[k].id == c->author_id && c->author_id) {
				d->strings = xreallocarray(d->strings, (size_t)d->nstrings + 1, sizeof(char *));
				d->strings[d->nstrings++] = xstrdup(parts[k].organization ? parts[k].organization : "");
				n->organization = d->strings[d->nstrings - 1];
				break;
			}
		}
		idx[i].id = c->id;
		idx[i].i = i;
		d->status_counts[status_index(c->status)]++;
		d->late += c->late != 0;
		/* distinct authors, by address without case */
		char *e = xstrdup(c->author_email ? c->author_email : "");
		str_lower(e);
		int seen = 0;
		for (int k = 0; k < d->authors && !seen; k++)
			seen = strcmp(emails[k], e) == 0;
		if (seen)
			free(e);
		else
			emails[d->authors++] = e;
	}
	for (int k = 0; k < d->authors; k++)
		free(emails[k]);
	free(emails);
	st_participant_list_free(&parts, nparts);
	qsort(idx, (size_t)d->ncomments, sizeof(*idx), cmp_id);

	set_days(d);

	/* the rows: the whole draft, the revision's numbered blocks */
	d->general.kind = "";
	d->general.text = "";
	d->general.markdown = "";
	d->general.heading = "";
	d->general.per_day = xcalloc((size_t)d->ndays + 1, sizeof(int));
	for (int i = 0; i < d->nblocks; i++)
		d->nparas += d->blocks[i].number > 0;
	d->paras = xcalloc((size_t)d->nparas + 1, sizeof(*d->paras));
	for (int i = 0, k = 0; i < d->nblocks; i++) {
		const struct st_block *b = &d->blocks[i];
		if (b->number == 0)
			continue;
		struct export_para *p = &d->paras[k++];
		p->number = b->number;
		p->paragraph_id = b->paragraph_id;
		p->seen_revision = revision;
		p->kind = b->kind ? b->kind : "paragraph";
		p->text = b->text ? b->text : "";
		p->markdown = b->markdown ? b->markdown : p->text;
		p->heading = heading_before(d->blocks, i);
		p->per_day = xcalloc((size_t)d->ndays + 1, sizeof(int));
	}

	/* threads: a reply under its parent when the chain of parents ends
	   within EXPORT_MAX_DEPTH; every other comment starts a thread */
	for (int i = 0; i < d->ncomments; i++) {
		const struct st_comment *c = &d->comments[i];
		int parent = c->parent_id ? find_comment(idx, d->ncomments, c->parent_id) : -1;
		if (parent >= 0 && parent != i) {
			int depth = 1, at = parent;
			while (depth <= EXPORT_MAX_DEPTH && d->comments[at].parent_id) {
				int up = find_comment(idx, d->ncomments, d->comments[at].parent_id);
				if (up < 0)
					break;
				at = up;
				depth++;
			}
			if (depth <= EXPORT_MAX_DEPTH) {
				node_add_reply(&d->nodes[parent], &d->nodes[i]);
				continue;
			}
		}
		struct export_para *p = NULL;
		if (c->paragraph_id == 0) {
			p = &d->general;
		} else {
			for (int k = 0; k < d->nparas && !p; k++)
				if (d->paras[k].paragraph_id == c->paragraph_id)
					p = &d->paras[k];
			if (p == NULL)
				p = retired_para(st, d, c, d->ndays + 1);
		}
		para_add_thread(p, &d->nodes[i]);
	}
	free(idx);

	/* depths and heat, row by row */
	struct export_para *rows[3] = { &d->general, d->paras, d->retired };
	int nrows[3] = { 1, d->nparas, d->nretired };
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < nrows[r]; k++)
			for (int t = 0; t < rows[r][k].nthreads; t++)
				count_thread(&rows[r][k], rows[r][k].threads[t], 0, &d->max_cell);
	*doc_r = d;
	return 0;

store_fail:
	snprintf(err, sizeof(err), "%s", store_error(st));
	*error_r = err;
	export_doc_free(&d);
	return -1;
}

/* para_free - a row's arrays (the comments belong to the doc) */
static void para_free(struct export_para *p)
{
	free(p->threads);
	free(p->per_day);
	p->threads = NULL;
	p->per_day = NULL;
}

/* export_doc_free - release a doc and set it NULL; NULL-safe */
void export_doc_free(struct export_doc **doc)
{
	struct export_doc *d = *doc;
	if (d == NULL)
		return;
	para_free(&d->general);
	for (int i = 0; i < d->nparas; i++)
		para_free(&d->paras[i]);
	free(d->paras);
	for (int i = 0; i < d->nretired; i++)
		para_free(&d->retired[i]);
	free(d->retired);
	for (int i = 0; i < d->ncomments && d->nodes; i++)
		free(d->nodes[i].replies);
	free(d->nodes);
	free(d->days);
	for (int i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
	free(d->strings);
	st_comment_list_free(&d->comments, d->ncomments);
	st_block_list_free(&d->blocks, d->nblocks);
	st_session_free(&d->ses);
	free(d);
	*doc = NULL;
}

/* ---- shared by the writers ---- */

/* iso_time - RFC 3339 in the session's zone: 2018-07-17T09:40:51-04:00 */
static void iso_time(const struct export_doc *d, time_t t, char out[40])
{
	char tmp[40];
	clock_format(t, d->ses.timezone, "%Y-%m-%dT%H:%M:%S%z", tmp, sizeof(tmp));
	size_t n = strlen(tmp);
	if (n >= 5 && (tmp[n - 5] == '+' || tmp[n - 5] == '-'))
		snprintf(out, 40, "%.*s:%s", (int)(n - 2), tmp, tmp + n - 2);
	else
		snprintf(out, 40, "%s", tmp);
}

/* human_time - "Tue 17 Jul 2018 09:40" in the session's zone */
static void human_time(const struct export_doc *d, time_t t, char out[64])
{
	clock_format(t, d->ses.timezone, "%a %-d %b %Y %H:%M", out, 64);
}

/* day_label - a heat column as people read it: "Mon 16 Jul", long: "Monday 16 July 2018" */
static void day_label(const char *day, int longer, char *out, size_t size)
{
	if (strcmp(day, "earlier") == 0) {
		snprintf(out, size, "%s", longer ? "before the review opened" : "Before");
		return;
	}
	if (strcmp(day, "later") == 0) {
		snprintf(out, size, "%s", longer ? "after the review closed" : "After");
		return;
	}
	int y, m, dd;
	time_t t;
	if (sscanf(day, "%d-%d-%d", &y, &m, &dd) == 3 && clock_make_local("UTC", y, m, dd, 12, 0, &t) == 0)
		clock_format(t, "UTC", longer ? "%A %-d %B %Y" : "%a %-d %b", out, size);
	else
		snprintf(out, size, "%s", day);
}

/* status_of - a comment's status, "open" when unset */
static const char *status_of(const struct st_comment *c)
{
	return c->status && *c->status ? c->status : "open";
}

/* name_of - the author's name, else the address */
static const char *name_of(const struct st_comment *c)
{
	if (c->author_name && *c->author_name)
		return c->author_name;
	return c->author_email ? c->author_email : "";
}

/* draft_title - the revision's first heading, else the session's title */
static const char *draft_title(const struct export_doc *d)
{
	for (int i = 0; i < d->nblocks; i++)
		if (d->blocks[i].number == 0 && d->blocks[i].text && *d->blocks[i].text)
			return d->blocks[i].text;
	return d->ses.title;
}

/* overflowed - -1 when the output buffer refused to grow */
static int overflowed(const struct buf *out)
{
	return out->overflowed ? -1 : 0;
}

/* ---- JSON ---- */

/* json_comment - a comment with its replies, recursively */
static void json_comment(struct json *j, const struct export_doc *d, const struct export_comment *n)
{
	const struct st_comment *c = n->c;
	char when[40];
	iso_time(d, c->created, when);
	json_obj_begin(j);
	json_kint(j, "id", c->id);
	json_kstr(j, "author", c->author_email ? c->author_email : "");
	json_kstr(j, "name", c->author_name ? c->author_name : "");
	json_kstr(j, "organization", n->organization);
	json_kstr(j, "created", when);
	json_kstr(j, "day", d->days[n->day]);
	json_kstr(j, "status", status_of(c));
	json_kstr(j, "note", c->note ? c->note : "");
	json_kbool(j, "late", c->late);
	json_kstr(j, "how", c->how ? c->how : "");
	json_kint(j, "revision", c->revision);
	json_kint(j, "number", c->number);
	json_key(j, "parent");
	if (c->parent_id)
		json_int(j, c->parent_id);
	else
		json_null(j);
	json_kstr(j, "text", c->text ? c->text : "");
	json_key(j, "replies");
	json_arr_begin(j);
	for (int i = 0; i < n->nreplies; i++)
		json_comment(j, d, n->replies[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* json_threads - a row's threads as a JSON list */
static void json_threads(struct json *j, const struct export_doc *d, const struct export_para *p)
{
	json_arr_begin(j);
	for (int i = 0; i < p->nthreads; i++)
		json_comment(j, d, p->threads[i]);
	json_arr_end(j);
}

/* json_heat_row - one heat row: its number, label, counts per column, total */
static void json_heat_row(struct json *j, const struct export_doc *d, const struct export_para *p,
			  const char *label, int retired)
{
	json_obj_begin(j);
	json_kint(j, "number", p->number);
	json_key(j, "paragraph_id");
	if (p->paragraph_id)
		json_int(j, p->paragraph_id);
	else
		json_null(j);
	json_kstr(j, "label", label);
	json_kbool(j, "retired", retired);
	json_key(j, "counts");
	json_arr_begin(j);
	for (int k = 0; k < d->ndays; k++)
		json_int(j, p->per_day[k]);
	json_arr_end(j);
	json_kint(j, "total", p->total);
	json_obj_end(j);
}

/* export_json - the whole document as one JSON object */
int export_json(const struct export_doc *d, struct buf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "session");
	json_obj_begin(&j);
	json_kstr(&j, "slug", d->ses.slug);
	json_kstr(&j, "title", d->ses.title);
	json_kstr(&j, "list", d->ses.list_addr);
	json_kstr(&j, "timezone", d->ses.timezone);
	json_kstr(&j, "opens", d->ses.opens);
	json_kstr(&j, "closes", d->ses.closes);
	json_kstr(&j, "state", d->ses.state);
	json_obj_end(&j);
	json_kint(&j, "revision", d->revision);
	json_kint(&j, "current_revision", d->current);
	json_kstr(&j, "draft_title", draft_title(d));
	json_key(&j, "counts");
	json_obj_begin(&j);
	json_kint(&j, "comments", d->ncomments);
	json_kint(&j, "authors", d->authors);
	json_kint(&j, "late", d->late);
	json_kint(&j, "open", d->status_counts[ST_OPEN]);
	json_kint(&j, "incorporated", d->status_counts[ST_INCORPORATED]);
	json_kint(&j, "declined", d->status_counts[ST_DECLINED]);
	json_obj_end(&j);
	json_key(&j, "paragraphs");
	json_arr_begin(&j);
	for (int i = 0; i < d->nparas; i++) {
		const struct export_para *p = &d->paras[i];
		json_obj_begin(&j);
		json_kint(&j, "number", p->number);
		json_kint(&j, "paragraph_id", p->paragraph_id);
		json_kstr(&j, "kind", p->kind);
		json_kstr(&j, "heading", p->heading);
		json_kstr(&j, "text", p->text);
		json_key(&j, "comments");
		json_threads(&j, d, p);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "general");
	json_threads(&j, d, &d->general);
	json_key(&j, "retired");
	json_arr_begin(&j);
	for (int i = 0; i < d->nretired; i++) {
		const struct export_para *p = &d->retired[i];
		json_obj_begin(&j);
		json_kint(&j, "number", p->number);
		json_kint(&j, "revision", p->seen_revision);
		json_kint(&j, "paragraph_id", p->paragraph_id);
		json_kstr(&j, "kind", p->kind);
		json_kstr(&j, "text", p->text);
		json_key(&j, "comments");
		json_threads(&j, d, p);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "heat");
	json_obj_begin(&j);
	json_key(&j, "days");
	json_arr_begin(&j);
	for (int k = 0; k < d->ndays; k++)
		json_str(&j, d->days[k]);
	json_arr_end(&j);
	json_kint(&j, "max", d->max_cell);
	json_key(&j, "rows");
	json_arr_begin(&j);
	json_heat_row(&j, d, &d->general, "the draft as a whole", 0);
	for (int i = 0; i < d->nparas; i++) {
		char label[32];
		snprintf(label, sizeof(label), "¶%d", d->paras[i].number);
		json_heat_row(&j, d, &d->paras[i], label, 0);
	}
	for (int i = 0; i < d->nretired; i++) {
		char label[64];
		snprintf(label, sizeof(label), "¶%d of revision %d", d->retired[i].number, d->retired[i].seen_revision);
		json_heat_row(&j, d, &d->retired[i], label, 1);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_putc(out, '\n');
	return overflowed(out);
}

/* ---- CSV ---- */

/* csv_int - a number as a CSV field */
static void csv_int(struct buf *out, long long v, int first)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", v);
	csv_field(out, num, first);
}

/* csv_comment - a comment's row, then its replies' rows */
static void csv_comment(struct buf *out, const struct export_doc *d, const struct export_para *p,
			const char *section, int64_t thread, const struct export_comment *n)
{
	const struct st_comment *c = n->c;
	char when[40];
	iso_time(d, c->created, when);
	csv_int(out, c->id, 1);
	csv_int(out, thread, 0);
	if (c->parent_id && n->depth > 0)
		csv_int(out, c->parent_id, 0);
	else
		csv_field(out, "", 0);
	csv_int(out, n->depth, 0);
	csv_field(out, section, 0);
	if (strcmp(section, "retired") == 0)
		csv_field(out, "", 0);
	else
		csv_int(out, p->number, 0);
	csv_int(out, p->paragraph_id, 0);
	csv_int(out, c->revision, 0);
	csv_int(out, c->number, 0);
	csv_field(out, c->author_email ? c->author_email : "", 0);
	csv_field(out, c->author_name ? c->author_name : "", 0);
	csv_field(out, n->organization, 0);
	csv_field(out, when, 0);
	csv_field(out, d->days[n->day], 0);
	csv_field(out, status_of(c), 0);
	csv_field(out, c->note ? c->note : "", 0);
	csv_field(out, c->late ? "yes" : "no", 0);
	csv_field(out, c->how ? c->how : "", 0);
	csv_field(out, c->text ? c->text : "", 0);
	buf_puts(out, "\r\n");
	for (int i = 0; i < n->nreplies; i++)
		csv_comment(out, d, p, section, thread, n->replies[i]);
}

/* csv_para - the rows of a paragraph's threads, depth first */
static void csv_para(struct buf *out, const struct export_doc *d, const struct export_para *p, const char *section)
{
	for (int t = 0; t < p->nthreads; t++)
		csv_comment(out, d, p, section, p->threads[t]->c->id, p->threads[t]);
}

/* export_csv - one row per comment (RFC 4180, CRLF), in document order */
int export_csv(const struct export_doc *d, struct buf *out)
{
	buf_puts(out, "id,thread,parent,depth,section,paragraph,paragraph_id,revision_seen,number_seen,"
		 "author,name,organization,created,day,status,note,late,how,text\r\n");
	csv_para(out, d, &d->general, "general");
	for (int i = 0; i < d->nparas; i++)
		csv_para(out, d, &d->paras[i], "paragraph");
	for (int i = 0; i < d->nretired; i++)
		csv_para(out, d, &d->retired[i], "retired");
	return overflowed(out);
}

/* ---- Markdown ---- */

/* md_lines - text with every line prefixed (a quote inside a list item) */
static void md_lines(struct buf *out, const char *prefix, const char *text)
{
	const char *p = text && *text ? text : "";
	do {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--;
		buf_puts(out, prefix);
		buf_append(out, p, n);
		buf_putc(out, '\n');
		p = e ? e + 1 : NULL;
	} while (p && *p);
}

/* md_comment - a comment as a list item, its text quoted, its replies nested */
static void md_comment(struct buf *out, const struct export_doc *d, const struct export_comment *n, int indent)
{
	const struct st_comment *c = n->c;
	char when[64];
	human_time(d, c->created, when);
	char pad[2 * EXPORT_MAX_DEPTH + 8];
	int w = 2 * indent < (int)sizeof(pad) - 8 ? 2 * indent : (int)sizeof(pad) - 8;
	memset(pad, ' ', (size_t)w);
	pad[w] = '\0';
	buf_printf(out, "%s- **%s**", pad, name_of(c));
	if (*n->organization)
		buf_printf(out, " (%s)", n->organization);
	buf_printf(out, " <%s> · %s · #%lld · **%s**%s", c->author_email ? c->author_email : "", when,
		   (long long)c->id, status_of(c), c->late ? " · late" : "");
	if (n->depth > 0)
		buf_printf(out, " · a reply to #%lld", (long long)c->parent_id);
	buf_puts(out, "\n\n");
	char *q = xasprintf("%s  > ", pad);
	md_lines(out, q, c->text);
	free(q);
	buf_putc(out, '\n');
	if (c->note && *c->note) {
		buf_printf(out, "%s  *Note:* ", pad);
		const char *nl = strchr(c->note, '\n');
		if (nl) {
			buf_putc(out, '\n');
			char *np = xasprintf("%s  ", pad);
			md_lines(out, np, c->note);
			free(np);
		} else {
			buf_printf(out, "%s\n", c->note);
		}
		buf_putc(out, '\n');
	}
	for (int i = 0; i < n->nreplies; i++)
		md_comment(out, d, n->replies[i], indent + 1);
}

/* md_threads - a row's comment count and threads */
static void md_threads(struct buf *out, const struct export_doc *d, const struct export_para *p)
{
	if (p->nthreads == 0)
		return;
	buf_printf(out, "%d comment%s:\n\n", p->total, p->total == 1 ? "" : "s");
	for (int t = 0; t < p->nthreads; t++)
		md_comment(out, d, p->threads[t], 0);
}

/* md_heat_row - one row of the heat table */
static void md_heat_row(struct buf *out, const struct export_doc *d, const struct export_para *p, const char *label)
{
	buf_printf(out, "| %s |", label);
	for (int k = 0; k < d->ndays; k++)
		buf_printf(out, " %d |", p->per_day[k]);
	buf_printf(out, " %d |\n", p->total);
}

/* export_markdown - a readable document: summary, heat table, comments in draft order */
int export_markdown(const struct export_doc *d, struct buf *out)
{
	buf_printf(out, "# Comments on %s\n\n", draft_title(d));
	buf_printf(out, "%s (%s), revision %d of the draft", d->ses.title, d->ses.slug, d->revision);
	if (d->current != d->revision)
		buf_printf(out, " (the newest is revision %d)", d->current);
	buf_printf(out, ". Review from %s to %s; times in %s.\n\n", d->ses.opens, d->ses.closes, d->ses.timezone);
	buf_printf(out, "%d comment%s and replies from %d %s: %d open, %d incorporated, %d declined; %d late.\n\n",
		   d->ncomments, d->ncomments == 1 ? "" : "s", d->authors, d->authors == 1 ? "person" : "people",
		   d->status_counts[ST_OPEN], d->status_counts[ST_INCORPORATED], d->status_counts[ST_DECLINED], d->late);

	buf_puts(out, "## Where the discussion was\n\n| Paragraph |");
	for (int k = 0; k < d->ndays; k++) {
		char lab[64];
		day_label(d->days[k], 0, lab, sizeof(lab));
		buf_printf(out, " %s |", lab);
	}
	buf_puts(out, " Total |\n| --- |");
	for (int k = 0; k <= d->ndays; k++)
		buf_puts(out, " ---: |");
	buf_putc(out, '\n');
	md_heat_row(out, d, &d->general, "the draft as a whole");
	for (int i = 0; i < d->nparas; i++) {
		char lab[32];
		snprintf(lab, sizeof(lab), "¶%d", d->paras[i].number);
		md_heat_row(out, d, &d->paras[i], lab);
	}
	for (int i = 0; i < d->nretired; i++) {
		char lab[64];
		snprintf(lab, sizeof(lab), "¶%d of revision %d (retired)", d->retired[i].number,
			 d->retired[i].seen_revision);
		md_heat_row(out, d, &d->retired[i], lab);
	}
	buf_putc(out, '\n');

	buf_puts(out, "## On the draft as a whole\n\n");
	if (d->general.nthreads == 0)
		buf_puts(out, "No comments.\n\n");
	md_threads(out, d, &d->general);

	buf_printf(out, "## The draft, revision %d\n\n", d->revision);
	int k = 0;
	for (int i = 0; i < d->nblocks; i++) {
		const struct st_block *b = &d->blocks[i];
		if (b->number == 0) {
			int level = b->level > 0 ? b->level : 1;
			level = level + 2 > 6 ? 6 : level + 2;
			for (int l = 0; l < level; l++)
				buf_putc(out, '#');
			buf_printf(out, " %s\n\n", b->text ? b->text : "");
			continue;
		}
		const struct export_para *p = &d->paras[k++];
		buf_printf(out, "**¶%d** %s%s\n\n", p->number, strcmp(p->kind, "item") == 0 ? "• " : "", p->text);
		md_threads(out, d, p);
	}
	if (d->nretired) {
		buf_printf(out, "## Comments on paragraphs not in revision %d\n\n", d->revision);
		for (int i = 0; i < d->nretired; i++) {
			const struct export_para *p = &d->retired[i];
			buf_printf(out, "### ¶%d of revision %d\n\n", p->number, p->seen_revision);
			if (*p->text)
				md_lines(out, "> ", p->text);
			buf_putc(out, '\n');
			md_threads(out, d, p);
		}
	}
	return overflowed(out);
}

/* ---- HTML ---- */

static const char html_style[] =
	"body{margin:0;background:#fff;color:#1f2328;font:16px/1.55 Georgia,'Times New Roman',serif}"
	"main,header,footer,.wrap{max-width:56em;margin:0 auto;padding:0 16px}"
	"h1{font-size:1.6em;line-height:1.25;margin:1em 0 .3em}"
	"h2{font-size:1.3em;margin:1.6em 0 .5em;padding-top:.5em;border-top:2px solid #d0d7de}"
	"h3,h4,h5,h6{font-size:1.1em;margin:1.4em 0 .4em}"
	".sub{color:#57606a;margin:0 0 .5em}"
	".para{margin:0 0 1.2em;padding:.4em 0 .2em;border-top:1px solid #eaeef2}"
	".ptext{display:flex;align-items:baseline;gap:.6em}"
	".ptext .body{flex:1;min-width:0}"
	".ptext p,.ptext ul,.ptext ol,.ptext blockquote,.ptext pre{margin:.2em 0}"
	".ptext pre{white-space:pre-wrap}"
	".num{flex:none;width:2.6em;text-align:right;font:bold 13px Arial,Helvetica,sans-serif;color:#0b5cad}"
	".count{font:13px Arial,Helvetica,sans-serif;color:#57606a;margin:.2em 0}"
	".comment{margin:.5em 0 .5em 1.2em;padding:.4em .8em;border-left:4px solid #0b5cad;background:#f6f8fa}"
	".comment .comment{margin-left:.8em;border-left-color:#8c959f;background:#fff}"
	".meta{font:13px/1.4 Arial,Helvetica,sans-serif;color:#57606a;margin:0 0 .3em}"
	".meta strong{color:#1f2328}"
	".text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}"
	".note{font-size:.95em;color:#57606a;margin:.4em 0 0}"
	".st{display:inline-block;padding:0 .4em;border-radius:3px;font-weight:bold}"
	".st-open{background:#eaeef2;color:#24292f}.st-incorporated{background:#dafbe1;color:#116329}"
	".st-declined{background:#ffebe9;color:#a40e26}.late{color:#9a6700;font-weight:bold}"
	"table.heat{border-collapse:collapse;font:13px/1.3 Arial,Helvetica,sans-serif;margin:.5em 0}"
	"table.heat caption{text-align:left;color:#57606a;padding-bottom:.3em}"
	"table.heat th{text-align:left;font-weight:normal;padding:2px 8px 2px 0;white-space:nowrap}"
	"table.heat thead th{text-align:center;padding:2px 4px}"
	"table.heat td{min-width:3.2em;text-align:center;padding:3px 4px;border:1px solid #fff}"
	"table.heat td.total{font-weight:bold;background:#fff;color:#1f2328}"
	".ex{color:#57606a}"
	".h0{background:#f6f8fa;color:#afb8c1}.h1{background:#dbeafe;color:#1f2328}"
	".h2{background:#93c5fd;color:#1f2328}.h3{background:#3b82f6;color:#fff}"
	".h4{background:#1e3a8a;color:#fff}"
	".legend span{display:inline-block;width:1.6em;text-align:center;margin-right:2px}"
	"footer{color:#57606a;font:13px Arial,Helvetica,sans-serif;margin-top:2em;padding-bottom:2em}"
	"a{color:#0b5cad}";

/* esc - append text HTML-escaped (NULL appends nothing) */
static void esc(struct buf *out, const char *s)
{
	if (s)
		render_html_escape(out, s, strlen(s));
}

/* heat_level - shade 0..4 of a count against the largest */
static int heat_level(int n, int max)
{
	if (n <= 0 || max <= 0)
		return 0;
	int l = (4 * n + max - 1) / max;
	return l < 1 ? 1 : l > 4 ? 4 : l;
}

/* html_heat_row - one heat row: a link to the paragraph, a cell per day with its count as text and title */
static void html_heat_row(struct buf *out, const struct export_doc *d, const struct export_para *p,
			  const char *anchor, const char *label, const char *excerpt)
{
	buf_printf(out, "<tr><th scope=\"row\"><a href=\"#%s\">", anchor);
	esc(out, label);
	buf_puts(out, "</a>");
	if (excerpt && *excerpt) {
		buf_puts(out, " <span class=\"ex\">");
		esc(out, excerpt);
		buf_puts(out, "</span>");
	}
	buf_puts(out, "</th>");
	for (int k = 0; k < d->ndays; k++) {
		char day[64];
		day_label(d->days[k], 1, day, sizeof(day));
		int n = p->per_day[k];
		buf_printf(out, "<td class=\"h%d\" title=\"", heat_level(n, d->max_cell));
		esc(out, label);
		buf_printf(out, ", %s: %d comment%s\">%d</td>", day, n, n == 1 ? "" : "s", n);
	}
	buf_printf(out, "<td class=\"total\" title=\"");
	esc(out, label);
	buf_printf(out, ": %d in all\">%d</td></tr>\n", p->total, p->total);
}

/* html_heat - the heat map as a table with a caption, headers and a legend */
static void html_heat(struct buf *out, const struct export_doc *d)
{
	buf_puts(out, "<section id=\"heat\" class=\"wrap\">\n<h2>Where the discussion was</h2>\n"
		 "<table class=\"heat\">\n<caption>Comments and replies per paragraph and day (");
	esc(out, d->ses.timezone);
	buf_puts(out, "); a darker cell had more.</caption>\n<thead><tr><th scope=\"col\">Paragraph</th>");
	for (int k = 0; k < d->ndays; k++) {
		char s[64], l[64];
		day_label(d->days[k], 0, s, sizeof(s));
		day_label(d->days[k], 1, l, sizeof(l));
		buf_printf(out, "<th scope=\"col\"><abbr title=\"%s\">%s</abbr></th>", l, s);
	}
	buf_puts(out, "<th scope=\"col\">Total</th></tr></thead>\n<tbody>\n");
	html_heat_row(out, d, &d->general, "general", "the draft as a whole", NULL);
	struct buf ex = BUF_INIT;
	for (int i = 0; i < d->nparas; i++) {
		char anchor[32], label[32];
		snprintf(anchor, sizeof(anchor), "p%d", d->paras[i].number);
		snprintf(label, sizeof(label), "¶%d", d->paras[i].number);
		buf_reset(&ex);
		export_first_words(d->paras[i].text, 5, &ex);
		html_heat_row(out, d, &d->paras[i], anchor, label, buf_cstr(&ex));
	}
	for (int i = 0; i < d->nretired; i++) {
		char anchor[40], label[64];
		snprintf(anchor, sizeof(anchor), "r%lld", (long long)d->retired[i].paragraph_id);
		snprintf(label, sizeof(label), "¶%d of revision %d", d->retired[i].number, d->retired[i].seen_revision);
		buf_reset(&ex);
		export_first_words(d->retired[i].text, 5, &ex);
		html_heat_row(out, d, &d->retired[i], anchor, label, buf_cstr(&ex));
	}
	buf_free(&ex);
	buf_puts(out, "</tbody>\n</table>\n<p class=\"legend count\">Shades: <span class=\"h0\">0</span>");
	for (int l = 1; l <= 4; l++) {
		int lo = d->max_cell > 0 ? (d->max_cell * (l - 1)) / 4 + 1 : l;
		int hi = d->max_cell > 0 ? (d->max_cell * l) / 4 : l;
		if (hi < lo)
			continue;
		if (lo == hi)
			buf_printf(out, "<span class=\"h%d\">%d</span>", l, lo);
		else
			buf_printf(out, "<span class=\"h%d\" title=\"%d to %d\">%d+</span>", l, lo, hi, lo);
	}
	buf_puts(out, "</p>\n</section>\n");
}

/* html_comment - a comment as an article, its replies nested inside it */
static void html_comment(struct buf *out, const struct export_doc *d, const struct export_comment *n)
{
	const struct st_comment *c = n->c;
	char iso[40], when[64];
	iso_time(d, c->created, iso);
	human_time(d, c->created, when);
	const char *status = status_of(c);
	const char *cls = strcmp(status, "incorporated") == 0 ? "incorporated" :
			  strcmp(status, "declined") == 0 ? "declined" : "open";
	buf_printf(out, "<article class=\"comment\" id=\"c%lld\">\n<p class=\"meta\"><strong>", (long long)c->id);
	esc(out, name_of(c));
	buf_puts(out, "</strong>");
	if (*n->organization) {
		buf_puts(out, ", ");
		esc(out, n->organization);
	}
	buf_puts(out, " &lt;");
	esc(out, c->author_email);
	buf_printf(out, "&gt; &middot; <time datetime=\"%s\">%s</time> &middot; <span class=\"st st-%s\">", iso, when,
		   cls);
	esc(out, status);
	buf_puts(out, "</span>");
	if (c->late)
		buf_puts(out, " &middot; <span class=\"late\">late</span>");
	buf_printf(out, " &middot; #%lld", (long long)c->id);
	if (n->depth > 0)
		buf_printf(out, ", a reply to <a href=\"#c%lld\">#%lld</a>", (long long)c->parent_id,
			   (long long)c->parent_id);
	buf_puts(out, "</p>\n<div class=\"text\">");
	esc(out, c->text);
	buf_puts(out, "</div>\n");
	if (c->note && *c->note) {
		buf_puts(out, "<p class=\"note\"><em>Organizers' note:</em> ");
		esc(out, c->note);
		buf_puts(out, "</p>\n");
	}
	for (int i = 0; i < n->nreplies; i++)
		html_comment(out, d, n->replies[i]);
	buf_puts(out, "</article>\n");
}

/* html_threads - a row's comment count and threads */
static void html_threads(struct buf *out, const struct export_doc *d, const struct export_para *p)
{
	if (p->total)
		buf_printf(out, "<p class=\"count\">%d comment%s</p>\n", p->total, p->total == 1 ? "" : "s");
	for (int t = 0; t < p->nthreads; t++)
		html_comment(out, d, p->threads[t]);
}

/* html_para_text - the paragraph's number and its Markdown as safe HTML */
static void html_para_text(struct buf *out, const struct export_para *p)
{
	char *h = doc_markdown_html(p->markdown, strlen(p->markdown));
	buf_printf(out, "<div class=\"ptext\"><span class=\"num\">¶%d</span><div class=\"body\">", p->number);
	buf_puts(out, h);
	buf_puts(out, "</div></div>\n");
	free(h);
}

/* export_html - one self-contained page: inline CSS, no script, everything escaped */
int export_html(const struct export_doc *d, struct buf *out)
{
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Comments: ");
	esc(out, d->ses.title);
	buf_printf(out, " (revision %d)</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", d->revision,
		   html_style);
	esc(out, draft_title(d));
	buf_puts(out, "</h1>\n<p class=\"sub\">");
	esc(out, d->ses.title);
	buf_printf(out, ": comments on revision %d of the draft", d->revision);
	if (d->current != d->revision)
		buf_printf(out, " (the newest is revision %d)", d->current);
	buf_puts(out, ". Review from ");
	esc(out, d->ses.opens);
	buf_puts(out, " to ");
	esc(out, d->ses.closes);
	buf_puts(out, "; times in ");
	esc(out, d->ses.timezone);
	buf_puts(out, ".</p>\n<p class=\"sub\">");
	buf_printf(out, "%d comment%s and replies from %d %s: %d open, %d incorporated, %d declined; %d late.</p>\n"
		   "</header>\n", d->ncomments, d->ncomments == 1 ? "" : "s", d->authors,
		   d->authors == 1 ? "person" : "people", d->status_counts[ST_OPEN],
		   d->status_counts[ST_INCORPORATED], d->status_counts[ST_DECLINED], d->late);
	html_heat(out, d);

	buf_puts(out, "<section id=\"general\" class=\"wrap\">\n<h2>On the draft as a whole</h2>\n");
	if (d->general.nthreads == 0)
		buf_puts(out, "<p class=\"count\">No comments.</p>\n");
	html_threads(out, d, &d->general);
	buf_puts(out, "</section>\n");

	buf_printf(out, "<main id=\"draft\">\n<h2>The draft, revision %d</h2>\n", d->revision);
	int k = 0;
	for (int i = 0; i < d->nblocks; i++) {
		const struct st_block *b = &d->blocks[i];
		if (b->number == 0) {
			int level = b->level > 0 ? b->level : 1;
			level = level + 2 > 6 ? 6 : level + 2;
			buf_printf(out, "<h%d>", level);
			esc(out, b->text);
			buf_printf(out, "</h%d>\n", level);
			continue;
		}
		const struct export_para *p = &d->paras[k++];
		buf_printf(out, "<section class=\"para\" id=\"p%d\">\n", p->number);
		html_para_text(out, p);
		html_threads(out, d, p);
		buf_puts(out, "</section>\n");
	}
	buf_puts(out, "</main>\n");
	if (d->nretired) {
		buf_printf(out, "<section id=\"retired\" class=\"wrap\">\n<h2>Comments on paragraphs not in revision %d</h2>\n",
			   d->revision);
		for (int i = 0; i < d->nretired; i++) {
			const struct export_para *p = &d->retired[i];
			buf_printf(out, "<section class=\"para\" id=\"r%lld\">\n<h3>¶%d of revision %d</h3>\n",
				   (long long)p->paragraph_id, p->number, p->seen_revision);
			html_para_text(out, p);
			html_threads(out, d, p);
			buf_puts(out, "</section>\n");
		}
		buf_puts(out, "</section>\n");
	}
	char now[64];
	clock_format(clock_now(), d->ses.timezone, "%Y-%m-%d %H:%M %Z", now, sizeof(now));
	buf_puts(out, "<footer>\n<p>Exported by tagd ");
	esc(out, PACKAGE_VERSION);
	buf_printf(out, " on %s from the session <code>", now);
	esc(out, d->ses.slug);
	buf_puts(out, "</code> (");
	esc(out, d->ses.list_addr);
	buf_puts(out, ").</p>\n</footer>\n</body>\n</html>\n");
	return overflowed(out);
}

/* export_write - the writer of a format */
int export_write(const struct export_doc *doc, enum export_format f, struct buf *out)
{
	switch (f) {
	case EXPORT_MD: return export_markdown(doc, out);
	case EXPORT_HTML: return export_html(doc, out);
	case EXPORT_CSV: return export_csv(doc, out);
	case EXPORT_JSON: return export_json(doc, out);
	}
	return -1;
}
