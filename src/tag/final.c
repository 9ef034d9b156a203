/* final.c - the final paper to every participant, with thanks and the fate of their comments */
#include "config.h"
#include "tag/final.h"
#include "tag/export.h"
#include "tag/session.h"
#include "doc/align.h"
#include "doc/draft.h"
#include "lib/csv.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* final_attachment_type - a MIME type by extension */
const char *final_attachment_type(const char *filename)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".pdf", "application/pdf" },
		{ ".doc", "application/msword" },
		{ ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ ".odt", "application/vnd.oasis.opendocument.text" },
		{ ".rtf", "application/rtf" },
		{ ".txt", "text/plain" },
		{ ".md", "text/markdown" },
		{ ".html", "text/html" },
		{ ".htm", "text/html" },
		{ ".csv", "text/csv" },
		{ ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ ".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".svg", "image/svg+xml" },
		{ ".zip", "application/zip" },
		{ ".epub", "application/epub+zip" },
	};
	const char *dot = filename ? strrchr(filename, '.') : NULL;
	if (dot)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (str_casecmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* final_attachment_name - a safe attachment file name from a path */
char *final_attachment_name(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path ? path : "";
	size_t n = strlen(base);
	if (n > 100) {
		/* keep the extension: the end of the name says what it is */
		base += n - 100;
		n = 100;
	}
	char *s = xstrndup(base, n);
	for (char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\'' || ch == '/' || ch == '\\')
			*p = '_';
	}
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		free(s);
		s = xstrdup("attachment");
	}
	return s;
}

/* final_result_free - the result's error text */
void final_result_free(struct final_result *r)
{
	buf_free(&r->errors);
}

struct thank {
	const char *name, *org;
};

/* cmp_thank - by name, without case, then with */
static int cmp_thank(const void *a, const void *b)
{
	const struct thank *x = a, *y = b;
	int c = str_casecmp(x->name, y->name);
	return c ? c : strcmp(x->name, y->name);
}

/* one recipient: a participant or an address of the extra list */
struct recipient {
	char *email;            /* as given */
	char *lower;            /* for matching and the purpose */
	char *name;
	int64_t participant_id; /* 0: not a participant */
	int extra;
};

struct final_run {
	struct store *st;
	struct mailout *mo;
	const struct st_session *ses;
	const struct final_req *rq;
	struct final_result *r;
	struct export_doc *doc;
	struct draft *paper;
	int *final_of_cur;      /* [doc->nparas]: number in the final paper, 0 = removed */
	struct recipient *rcpt;
	int nrcpt;
	struct st_participant *parts;
	int nparts;
	struct thank *thanks;   /* borrowing from parts */
	int nthanks;
};

/* has_recipient - whether an address (lower case) is a recipient already */
static int has_recipient(const struct final_run *f, const char *lower)
{
	for (int i = 0; i < f->nrcpt; i++)
		if (strcmp(f->rcpt[i].lower, lower) == 0)
			return 1;
	return 0;
}

/* add_recipient - one more recipient */
static void add_recipient(struct final_run *f, const char *email, const char *name, int64_t pid, int extra)
{
	f->rcpt = xreallocarray(f->rcpt, (size_t)f->nrcpt + 1, sizeof(*f->rcpt));
	struct recipient *r = &f->rcpt[f->nrcpt++];
	r->email = xstrdup(email);
	r->lower = xstrdup(email);
	str_lower(r->lower);
	r->name = xstrdup(name ? name : "");
	r->participant_id = pid;
	r->extra = extra;
}

/* csv_value - field i of a record, trimmed and copied; NULL when missing or empty */
static char *csv_value(const struct csv_record *rec, int i)
{
	if (i < 0 || i >= rec->nfields)
		return NULL;
	char *s = xstrdup(rec->fields[i]);
	char *t = str_trim(s);
	if (*t == '\0') {
		free(s);
		return NULL;
	}
	memmove(s, t, strlen(t) + 1);
	return s;
}

/* read_extra - the extra list's addresses, after the participants */
static int read_extra(struct final_run *f, const char **error_r)
{
	static char err[256];
	const struct final_req *rq = f->rq;
	const char *file = rq->extra_name ? rq->extra_name : "extra list";
	struct csv_reader rd;
	struct csv_record rec;
	const char *e;
	int rc, header = 1, col_email = -1, col_name = -1, rows = 0, ret = 0;
	csv_reader_init(&rd, rq->extra_csv, rq->extra_len);
	while ((rc = csv_next(&rd, &rec, &e)) != 0) {
		if (rc < 0) {
			buf_printf(&f->r->errors, "%s:%d: %s\n", file, rec.line ? rec.line : rd.line, e);
			f->r->bad++;
			continue;
		}
		if (header) {
			header = 0;
			for (int i = 0; i < rec.nfields; i++) {
				char *h = csv_value(&rec, i);
				if (h == NULL)
					continue;
				str_lower(h);
				if (strcmp(h, "email") == 0 || strcmp(h, "e-mail") == 0 || strcmp(h, "address") == 0)
					col_email = i;
				else if (strcmp(h, "name") == 0)
					col_name = i;
				free(h);
			}
			if (col_email < 0) {
				snprintf(err, sizeof(err), "%s:%d: the header row has no 'email' column", file, rec.line);
				*error_r = err;
				ret = -1;
				break;
			}
			continue;
		}
		if (++rows > FINAL_MAX_EXTRA) {
			buf_printf(&f->r->errors, "%s:%d: more than %d addresses: the rest is left out\n", file,
				   rec.line, FINAL_MAX_EXTRA);
			f->r->bad++;
			break;
		}
		char *email = csv_value(&rec, col_email);
		char *name = csv_value(&rec, col_name);
		if (email == NULL || !addr_valid(email)) {
			buf_printf(&f->r->errors, "%s:%d: %s%s%s\n", file, rec.line, email ? "'" : "no email address",
				   email ? email : "", email ? "' is not an email address" : "");
			f->r->bad++;
		} else {
			char *lower = xstrdup(email);
			str_lower(lower);
			if (!has_recipient(f, lower)) {
				/* a participant who left is still one: their comments are theirs */
				int64_t pid = 0;
				for (int i = 0; i < f->nparts; i++)
					if (str_casecmp(f->parts[i].email, email) == 0)
						pid = f->parts[i].id;
				add_recipient(f, email, name, pid, 1);
			}
			free(lower);
		}
		free(email);
		free(name);
	}
	csv_reader_free(&rd);
	return ret;
}

/* align_paper - where each paragraph of the current revision is in the final paper */
static void align_paper(struct final_run *f)
{
	const struct export_doc *d = f->doc;
	int nnew = f->paper->nnumbered;
	const char **oldt = xcalloc((size_t)d->nparas + 1, sizeof(char *));
	const char **newt = xcalloc((size_t)nnew + 1, sizeof(char *));
	for (int i = 0; i < d->nparas; i++)
		oldt[i] = d->paras[i].text;
	for (int n = 1; n <= nnew; n++)
		newt[n - 1] = draft_block_by_number(f->paper, n)->text;
	f->final_of_cur = xcalloc((size_t)d->nparas + 1, sizeof(int));
	struct align_result ar;
	if (draft_align(oldt, d->nparas, newt, nnew, &ar) == 0) {
		for (int j = 0; j < ar.nnew; j++)
			if (ar.old_of_new[j] >= 0 && ar.old_of_new[j] < d->nparas) {
				f->final_of_cur[ar.old_of_new[j]] = j + 1;
				f->r->kept++;
			}
		align_result_free(&ar);
	}
	/* the same text throughout: the paper is the current revision */
	int same = d->revision > 0 && nnew == d->nparas;
	for (int i = 0; same && i < nnew; i++)
		same = strcmp(oldt[i], newt[i]) == 0;
	f->r->revision = same ? d->revision : d->current + 1;
	free(oldt);
	free(newt);
}

/* final_number - a paragraph's number in the final paper, 0 when removed */
static int final_number(const struct final_run *f, int64_t paragraph_id)
{
	for (int i = 0; paragraph_id && i < f->doc->nparas; i++)
		if (f->doc->paras[i].paragraph_id == paragraph_id)
			return f->final_of_cur[i];
	return 0;
}

/* set_thanks - the participants who commented, once each, sorted by name */
static void set_thanks(struct final_run *f)
{
	f->thanks = xcalloc((size_t)f->nparts + 1, sizeof(*f->thanks));
	for (int i = 0; i < f->nparts; i++) {
		int wrote = 0;
		for (int k = 0; k < f->doc->ncomments && !wrote; k++)
			wrote = f->doc->comments[k].author_id == f->parts[i].id;
		if (!wrote)
			continue;
		struct thank *t = &f->thanks[f->nthanks++];
		t->name = f->parts[i].name && *f->parts[i].name ? f->parts[i].name : f->parts[i].email;
		t->org = f->parts[i].organization ? f->parts[i].organization : "";
	}
	qsort(f->thanks, (size_t)f->nthanks, sizeof(*f->thanks), cmp_thank);
	f->r->thanked = f->nthanks;
}

/* shared_vars - what every recipient's mail holds: the paper, the thanks */
static void shared_vars(struct final_run *f, struct tval *v)
{
	const struct draft *p = f->paper;
	const char *title = p->title;
	for (int i = 0; title == NULL && i < f->doc->nblocks; i++)
		if (f->doc->blocks[i].number == 0 && f->doc->blocks[i].text && *f->doc->blocks[i].text)
			title = f->doc->blocks[i].text;
	tval_set_str(v, "draft_title", title ? title : f->ses->title);
	tval_set_int(v, "revision", f->r->revision);
	struct tval *list = tval_set_list(v, "paragraphs");
	for (int i = 0; i < p->nblocks; i++) {
		const struct draft_block *b = &p->blocks[i];
		if (b->number == 0)
			continue;
		struct tval *m = tval_list_add_map(list);
		tval_set_int(m, "number", b->number);
		tval_set_str(m, "text", b->text);
		tval_set_str(m, "heading", i > 0 && p->blocks[i - 1].number == 0 ? p->blocks[i - 1].text : "");
		tval_set_bool(m, "item", b->kind == BLOCK_ITEM);
	}
	list = tval_set_list(v, "thanks");
	for (int i = 0; i < f->nthanks; i++) {
		struct tval *m = tval_list_add_map(list);
		tval_set_str(m, "name", f->thanks[i].name);
		tval_set_str(m, "organization", f->thanks[i].org);
	}
}

/* mine_vars - the recipient's own comments and what became of them */
static void mine_vars(struct final_run *f, const struct recipient *rc, struct tval *v)
{
	struct tval *list = tval_set_list(v, "mine");
	int mine = 0, incorporated = 0;
	struct buf snip = BUF_INIT;
	for (int k = 0; k < f->doc->ncomments; k++) {
		const struct st_comment *c = &f->doc->comments[k];
		int is_mine = rc->participant_id ? c->author_id == rc->participant_id :
			      c->author_email && str_casecmp(c->author_email, rc->email) == 0;
		if (!is_mine)
			continue;
		struct tval *m = tval_list_add_map(list);
		int whole = c->paragraph_id == 0;
		tval_set_int(m, "paragraph", whole ? 0 : c->number);
		tval_set_bool(m, "whole_draft", whole);
		buf_reset(&snip);
		export_first_words(c->text, FINAL_SNIPPET_WORDS, &snip);
		tval_set_str(m, "snippet", buf_cstr(&snip));
		int inc = c->status && strcmp(c->status, "incorporated") == 0;
		tval_set_bool(m, "incorporated", inc);
		tval_set_bool(m, "declined", c->status && strcmp(c->status, "declined") == 0);
		tval_set_int(m, "final_number", whole ? 0 : final_number(f, c->paragraph_id));
		tval_set_str(m, "note", c->note ? c->note : "");
		mine++;
		incorporated += inc;
	}
	buf_free(&snip);
	struct tval *counts = tval_set_map(v, "counts");
	tval_set_int(counts, "authors", f->doc->authors);
	tval_set_int(counts, "comments", f->doc->ncomments);
	tval_set_int(counts, "mine", mine);
	tval_set_int(counts, "incorporated", incorporated);
}

/* queue_all - one mail per recipient; 0 or -1 with *error_r */
static int queue_all(struct final_run *f, const char **error_r)
{
	for (int i = 0; i < f->nrcpt; i++) {
		const struct recipient *rc = &f->rcpt[i];
		struct tval *v = mailout_vars(f->mo, f->ses, rc->name, rc->email);
		shared_vars(f, v);
		mine_vars(f, rc, v);
		char *purpose = xasprintf("final:%s:%s", f->ses->slug, rc->lower);
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = f->ses;
		m.kind = "final";
		m.purpose = purpose;
		m.to_addr = rc->email;
		m.to_name = rc->name;
		m.participant_id = rc->participant_id;
		m.vars = v;
		m.msgid_kind = "final";
		m.revision = f->doc->current;
		m.list_mail = 1;
		m.att = f->rq->att;
		m.natt = f->rq->natt;
		int q = mailout_queue(f->mo, &m, NULL, error_r);
		free(purpose);
		tval_free(&v);
		if (q < 0)
			return -1;
		if (q == 0)
			f->r->queued++;
		else
			f->r->already++;
		if (rc->extra)
			f->r->extra++;
		else
			f->r->participants++;
	}
	return 0;
}

int final_send(struct store *st, struct mailout *mo, const struct st_session *ses,
	       const struct final_req *rq, struct final_result *r, const char **error_r)
{
	static char err[512];
	memset(r, 0, sizeof(*r));
	if (rq->natt < 0 || rq->natt > FINAL_MAX_ATTACHMENTS) {
		snprintf(err, sizeof(err), "at most %d attachments", FINAL_MAX_ATTACHMENTS);
		*error_r = err;
		return -1;
	}
	for (int i = 0; i < rq->natt; i++) {
		if (rq->att[i].len > FINAL_MAX_ATTACHMENT_SIZE) {
			snprintf(err, sizeof(err), "attachment %s is larger than %zu bytes", rq->att[i].filename,
				 FINAL_MAX_ATTACHMENT_SIZE);
			*error_r = err;
			return -1;
		}
	}
	struct final_run f;
	memset(&f, 0, sizeof(f));
	f.st = st;
	f.mo = mo;
	f.ses = ses;
	f.rq = rq;
	f.r = r;
	const char *e;
	int ret = -1, began = 0;
	if (draft_parse(rq->paper ? rq->paper : "", rq->paper ? rq->paper_len : 0, &f.paper, &e) < 0) {
		snprintf(err, sizeof(err), "the final paper: %s", e);
		*error_r = err;
		goto out;
	}
	if (f.paper->nnumbered == 0) {
		snprintf(err, sizeof(err), "the final paper has no numbered paragraph");
		*error_r = err;
		goto out;
	}
	r->paragraphs = f.paper->nnumbered;
	if (export_load(st, ses, 0, &f.doc, &e) != 0) {
		snprintf(err, sizeof(err), "%s", e);
		*error_r = err;
		goto out;
	}
	if (store_participant_list(st, ses->id, NULL, &f.parts, &f.nparts) < 0) {
		snprintf(err, sizeof(err), "%s", store_error(st));
		*error_r = err;
		goto out;
	}
	align_paper(&f);
	set_thanks(&f);
	for (int i = 0; i < f.nparts; i++) {
		if (strcmp(f.parts[i].status, "active") != 0)
			continue;
		char *lower = xstrdup(f.parts[i].email);
		str_lower(lower);
		if (!has_recipient(&f, lower))
			add_recipient(&f, f.parts[i].email, f.parts[i].name, f.parts[i].id, 0);
		free(lower);
	}
	if (rq->extra_csv && read_extra(&f, error_r) < 0)
		goto out;
	if (store_begin(st) < 0) {
		snprintf(err, sizeof(err), "%s", store_error(st));
		*error_r = err;
		goto out;
	}
	began = 1;
	if (queue_all(&f, error_r) < 0)
		goto out;
	if (store_session_set_state(st, ses->id, "final") < 0 || store_commit(st) < 0) {
		snprintf(err, sizeof(err), "%s", store_error(st));
		*error_r = err;
		goto out;
	}
	began = 0;
	log_info("session %s: final paper (%d paragraphs, revision %d): %d mails queued, %d queued before, "
		 "%d participants thanked", ses->slug, r->paragraphs, r->revision, r->queued, r->already, r->thanked);
	ret = 0;
out:
	if (began)
		store_rollback(st);
	if (ret < 0) {
		/* nothing was queued */
		r->queued = r->already = r->participants = r->extra = 0;
	}
	for (int i = 0; i < f.nrcpt; i++) {
		free(f.rcpt[i].email);
		free(f.rcpt[i].lower);
		free(f.rcpt[i].name);
	}
	free(f.rcpt);
	free(f.final_of_cur);
	free(f.thanks);
	st_participant_list_free(&f.parts, f.nparts);
	export_doc_free(&f.doc);
	draft_free(&f.paper);
	return ret;
}
