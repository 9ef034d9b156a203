/* draftmail.c - the draft as mail, one per participant and revision */
#include "config.h"
#include "tag/draftmail.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURPOSE_MAX 400
#define WRAP_WIDTH 68           /* columns of paragraph text in the draft mail, after "[N] " */

int draft_view_load(struct store *st, int64_t session_id, int revision, struct draft_view *v)
{
	memset(v, 0, sizeof(*v));
	if (revision == 0 && store_revision_current(st, session_id, &revision) < 0)
		return -1;
	if (revision == 0)
		return 0;
	if (store_revision_blocks(st, session_id, revision, &v->blocks, &v->nblocks) < 0)
		return -1;
	v->revision = revision;
	return 0;
}

const struct st_block *draft_view_pid(const struct draft_view *v, int64_t pid)
{
	if (pid == 0)
		return NULL;
	for (int i = 0; i < v->nblocks; i++)
		if (v->blocks[i].number > 0 && v->blocks[i].paragraph_id == pid)
			return &v->blocks[i];
	return NULL;
}

const char *draft_view_title(const struct draft_view *v, const char *fallback)
{
	for (int i = 0; i < v->nblocks; i++)
		if (v->blocks[i].number == 0 && v->blocks[i].level == 1)
			return v->blocks[i].text;
	return fallback;
}

int draft_view_numbered(const struct draft_view *v)
{
	int n = 0;
	for (int i = 0; i < v->nblocks; i++)
		if (v->blocks[i].number > 0)
			n++;
	return n;
}

void draft_view_free(struct draft_view *v)
{
	st_block_list_free(&v->blocks, v->nblocks);
	memset(v, 0, sizeof(*v));
}

void draftmail_words(const char *text, int n, struct buf *out)
{
	const char *p = text ? text : "";
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	const char *start = p;
	int w = 0;
	while (*p && w < n) {
		while (*p && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
		w++;
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
	}
	size_t len = (size_t)(p - start);
	while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\n' || start[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len; i++)
		buf_putc(out, start[i] == '\n' || start[i] == '\t' ? ' ' : start[i]);
	if (*p)
		buf_puts(out, "…");
}

char *draftmail_para_root(struct mailout *mo, const struct st_session *ses, int64_t pid)
{
	char what[32], token[17];
	snprintf(what, sizeof(what), "para:%lld", (long long)pid);
	mailout_token(mo, ses->slug, what, token);
	return xasprintf("para.%lld.%s@%s", (long long)pid, token, listaddr_domain(ses->list_addr));
}

/* wrap - text as lines of at most WRAP_WIDTH columns (longer words stay
   whole), the lines after the first indented to stand under it; a
   terminal mail client shows the draft as it is meant, and HTML folds the
   breaks back into spaces */
static void wrap(const char *text, struct buf *out)
{
	size_t col = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		size_t n = strcspn(p, " \n\t");
		size_t cols = 0;
		for (size_t i = 0; i < n; i++)
			cols += ((unsigned char)p[i] & 0xc0) != 0x80;
		if (col > 0 && col + 1 + cols > WRAP_WIDTH) {
			buf_puts(out, "\n    ");
			col = 0;
		} else if (col > 0) {
			buf_putc(out, ' ');
			col++;
		}
		buf_append(out, p, n);
		col += cols;
		p += n;
	}
}

/* changed_numbers - numbers (in cur) of the paragraphs new or edited since prev */
static void add_changes(struct tval *vars, const struct draft_view *prev, const struct draft_view *cur)
{
	struct tval *list = tval_set_list(vars, "changes");
	for (int i = 0; i < cur->nblocks; i++) {
		const struct st_block *b = &cur->blocks[i];
		if (b->number == 0)
			continue;
		const struct st_block *o = draft_view_pid(prev, b->paragraph_id);
		if (o == NULL || strcmp(o->text, b->text) != 0)
			tval_set_int(tval_list_add_map(list), "number", b->number);
	}
}

/* add_paragraphs - the numbered blocks with their addresses and headings */
static void add_paragraphs(struct tval *vars, const struct st_session *ses, const struct draft_view *v,
			   const char *title)
{
	struct tval *list = tval_set_list(vars, "paragraphs");
	const char *heading = NULL;
	for (int i = 0; i < v->nblocks; i++) {
		const struct st_block *b = &v->blocks[i];
		if (b->number == 0) {
			/* the title is shown on its own; other headings open a section */
			heading = b->level == 1 && b->text == title ? NULL : b->text;
			continue;
		}
		struct tval *m = tval_list_add_map(list);
		char tag[24];
		snprintf(tag, sizeof(tag), "p%d", b->number);
		char *addr = listaddr_make(ses->list_addr, tag);
		struct buf wrapped = BUF_INIT;
		wrap(b->text, &wrapped);
		tval_set_int(m, "number", b->number);
		tval_set_str(m, "text", buf_cstr(&wrapped));
		buf_free(&wrapped);
		tval_set_str(m, "reply_to", addr);
		tval_set_str(m, "heading", heading ? heading : "");
		tval_set_bool(m, "item", b->kind && strcmp(b->kind, "item") == 0);
		free(addr);
		heading = NULL;
	}
}

int draftmail_pending(struct store *st, const struct st_session *ses, int *n_r)
{
	*n_r = 0;
	int cur = 0;
	if (store_revision_current(st, ses->id, &cur) < 0)
		return -1;
	if (cur == 0)
		return 0;
	struct st_participant *ps = NULL;
	int np = 0;
	if (store_participant_list(st, ses->id, "active", &ps, &np) < 0)
		return -1;
	int ret = 0;
	for (int i = 0; i < np; i++) {
		char purpose[PURPOSE_MAX];
		snprintf(purpose, sizeof(purpose), "draft:%s:r%d:%s", ses->slug, cur, ps[i].email);
		int f = store_outbox_find(st, purpose, NULL);
		if (f < 0) {
			ret = -1;
			break;
		}
		*n_r += f;
	}
	st_participant_list_free(&ps, np);
	return ret;
}

int draftmail_send(struct store *st, struct mailout *mo, const struct st_session *ses,
		   int *queued_r, const char **error_r)
{
	static char err[512];
	*queued_r = 0;
	struct draft_view cur, prev;
	memset(&prev, 0, sizeof(prev));
	if (draft_view_load(st, ses->id, 0, &cur) < 0) {
		*error_r = store_error(st);
		return -1;
	}
	if (cur.revision == 0)
		return 0;
	struct st_participant *ps = NULL;
	int np = 0;
	if (store_participant_list(st, ses->id, "active", &ps, &np) < 0) {
		draft_view_free(&cur);
		*error_r = store_error(st);
		return -1;
	}
	const char *title = draft_view_title(&cur, ses->title);
	int ret = 0;
	char purpose[PURPOSE_MAX], what[16];
	snprintf(what, sizeof(what), "r%d", cur.revision);
	for (int i = 0; i < np && ret == 0; i++) {
		const struct st_participant *p = &ps[i];
		snprintf(purpose, sizeof(purpose), "draft:%s:r%d:%s", ses->slug, cur.revision, p->email);
		int f = store_outbox_find(st, purpose, NULL);
		if (f < 0) {
			*error_r = store_error(st);
			ret = -1;
			break;
		}
		if (f == 0)
			continue;
		/* the newest earlier revision this participant was sent */
		int had = 0;
		for (int k = cur.revision - 1; k >= 1 && had == 0; k--) {
			char pk[PURPOSE_MAX];
			snprintf(pk, sizeof(pk), "draft:%s:r%d:%s", ses->slug, k, p->email);
			f = store_outbox_find(st, pk, NULL);
			if (f < 0) {
				*error_r = store_error(st);
				ret = -1;
				break;
			}
			if (f == 0)
				had = k;
		}
		if (ret < 0)
			break;
		if (had && prev.revision != had) {
			draft_view_free(&prev);
			if (draft_view_load(st, ses->id, had, &prev) < 0) {
				*error_r = store_error(st);
				ret = -1;
				break;
			}
		}
		struct tval *v = mailout_vars(mo, ses, p->name, p->email);
		tval_set_str(v, "draft_title", title);
		tval_set_int(v, "revision", cur.revision);
		tval_set_bool(v, "revised", had > 0);
		add_paragraphs(v, ses, &cur, title);
		if (had)
			add_changes(v, &prev, &cur);
		else
			tval_set_list(v, "changes");
		tval_set_int(tval_set_map(v, "counts"), "paragraphs", draft_view_numbered(&cur));
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "draft";
		m.purpose = purpose;
		m.to_addr = p->email;
		m.to_name = p->name;
		m.participant_id = p->id;
		m.vars = v;
		m.msgid_kind = "draft";
		m.msgid_what = what;
		m.revision = cur.revision;
		m.list_mail = 1;
		const char *e;
		int q = mailout_queue(mo, &m, NULL, &e);
		tval_free(&v);
		if (q < 0) {
			snprintf(err, sizeof(err), "draft for %s: %s", p->email, e);
			*error_r = err;
			ret = -1;
		} else if (q == 0) {
			(*queued_r)++;
			log_info("draft revision %d queued for %s%s", cur.revision, p->email,
				 had ? " (revised)" : "");
		}
	}
	st_participant_list_free(&ps, np);
	draft_view_free(&prev);
	draft_view_free(&cur);
	return ret;
}
