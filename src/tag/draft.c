/* draft.c - importing and comparing revisions of a session's draft */
#include "config.h"
#include "tag/draft.h"
#include "doc/align.h"
#include "doc/diff.h"
#include "doc/draft.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

int tag_draft_import(struct store *st, int64_t session_id, const char *md, size_t len,
		     struct draft_import_result *r, const char **error_r)
{
	struct draft *d = NULL;
	memset(r, 0, sizeof(*r));
	if (draft_parse(md, len, &d, error_r) < 0)
		return -1;
	int cur = 0;
	if (store_revision_current(st, session_id, &cur) < 0) {
		draft_free(&d);
		*error_r = store_error(st);
		return -1;
	}
	struct st_block *old = NULL;
	int nold_all = 0;
	if (cur > 0 && store_revision_blocks(st, session_id, cur, &old, &nold_all) < 0) {
		draft_free(&d);
		*error_r = store_error(st);
		return -1;
	}
	/* the numbered blocks on each side */
	const char **old_texts = xcalloc((size_t)nold_all + 1, sizeof(char *));
	int64_t *old_pids = xcalloc((size_t)nold_all + 1, sizeof(int64_t));
	int nold = 0;
	for (int i = 0; i < nold_all; i++) {
		if (old[i].number > 0) {
			old_texts[nold] = old[i].text;
			old_pids[nold++] = old[i].paragraph_id;
		}
	}
	const char **new_texts = xcalloc((size_t)d->nblocks + 1, sizeof(char *));
	int nnew = 0;
	for (int i = 0; i < d->nblocks; i++)
		if (d->blocks[i].number > 0)
			new_texts[nnew++] = d->blocks[i].text;
	struct align_result al;
	memset(&al, 0, sizeof(al));
	draft_align(old_texts, nold, new_texts, nnew, &al);

	struct st_block *blocks = xcalloc((size_t)d->nblocks + 1, sizeof(*blocks));
	int k = 0;
	for (int i = 0; i < d->nblocks; i++) {
		const struct draft_block *db = &d->blocks[i];
		struct st_block *b = &blocks[i];
		b->position = i;
		b->number = db->number;
		b->kind = (char *)block_kind_name(db->kind);
		b->level = db->level;
		b->text = db->text;
		b->markdown = db->markdown;
		if (db->number == 0) {
			r->headings++;
			continue;
		}
		enum align_change ch = al.change[k];
		int o = al.old_of_new[k];
		b->paragraph_id = o >= 0 ? old_pids[o] : 0;
		b->change = (char *)align_change_name(ch);
		switch (ch) {
		case ALIGN_UNCHANGED: r->unchanged++; break;
		case ALIGN_EDITED: r->edited++; break;
		case ALIGN_MOVED:
		case ALIGN_MOVED_EDITED: r->moved++; break;
		case ALIGN_NEW: r->added++; break;
		}
		k++;
	}
	int64_t *retired = xcalloc((size_t)al.nretired + 1, sizeof(int64_t));
	for (int i = 0; i < al.nretired; i++)
		retired[i] = old_pids[al.retired[i]];
	r->retired = al.nretired;
	r->blocks = nnew;
	int rc = store_revision_add(st, session_id, md, blocks, d->nblocks, retired, al.nretired, &r->revision);
	if (rc < 0)
		*error_r = store_error(st);
	free(retired);
	free(blocks);
	align_result_free(&al);
	free(new_texts);
	free(old_texts);
	free(old_pids);
	st_block_list_free(&old, nold_all);
	draft_free(&d);
	return rc;
}

static const struct st_block *find_pid(const struct st_block *b, int n, int64_t pid)
{
	for (int i = 0; i < n; i++)
		if (b[i].number > 0 && b[i].paragraph_id == pid)
			return &b[i];
	return NULL;
}

static void excerpt(struct buf *out, const char *text, int html)
{
	size_t n = strlen(text);
	size_t cut = n > 80 ? 80 : n;
	while (cut < n && cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
		cut--;
	if (html) {
		struct buf tmp = BUF_INIT;
		buf_append(&tmp, text, cut);
		word_diff_html(buf_cstr(&tmp), buf_cstr(&tmp), out, NULL);
		buf_free(&tmp);
	} else {
		buf_append(out, text, cut);
	}
	if (cut < n)
		buf_puts(out, "…");
}

int tag_draft_diff(struct store *st, int64_t session_id, int r1, int r2, int html,
		   struct buf *out, const char **error_r)
{
	struct st_block *a = NULL, *b = NULL;
	int na = 0, nb = 0;
	if (store_revision_blocks(st, session_id, r1, &a, &na) < 0 ||
	    store_revision_blocks(st, session_id, r2, &b, &nb) < 0) {
		*error_r = store_error(st);
		st_block_list_free(&a, na);
		return -1;
	}
	if (na == 0 || nb == 0) {
		*error_r = "no such revision";
		st_block_list_free(&a, na);
		st_block_list_free(&b, nb);
		return -1;
	}
	int changes = 0;
	for (int i = 0; i < nb; i++) {
		if (b[i].number == 0)
			continue;
		const struct st_block *o = find_pid(a, na, b[i].paragraph_id);
		if (o == NULL) {
			buf_printf(out, html ? "<p class=\"new\"><b>¶%d</b> (new): " : "¶%d (new): ", b[i].number);
			if (html)
				word_diff_html("", b[i].text, out, NULL);
			else
				buf_puts(out, b[i].text);
			buf_puts(out, html ? "</p>\n" : "\n\n");
			changes++;
			continue;
		}
		int same = strcmp(o->text, b[i].text) == 0;
		/* same text: show it only when it was moved (its order changed),
		   not when it was merely renumbered by an insertion or deletion */
		if (same && !(r2 == r1 + 1 && b[i].change && strstr(b[i].change, "moved")))
			continue;
		changes++;
		if (o->number != b[i].number)
			buf_printf(out, html ? "<p><b>¶%d</b> (was ¶%d): " : "¶%d (was ¶%d): ", b[i].number, o->number);
		else
			buf_printf(out, html ? "<p><b>¶%d</b>: " : "¶%d: ", b[i].number);
		if (same) {
			buf_puts(out, html ? "moved, text unchanged: " : "moved, text unchanged: ");
			excerpt(out, b[i].text, html);
		} else if (html) {
			word_diff_html(o->text, b[i].text, out, NULL);
		} else {
			word_diff_text(o->text, b[i].text, out, NULL);
		}
		buf_puts(out, html ? "</p>\n" : "\n\n");
	}
	for (int i = 0; i < na; i++) {
		if (a[i].number == 0 || find_pid(b, nb, a[i].paragraph_id))
			continue;
		changes++;
		buf_printf(out, html ? "<p class=\"removed\"><b>¶%d</b> of revision %d removed: " :
				       "¶%d of revision %d removed: ", a[i].number, r1);
		excerpt(out, a[i].text, html);
		buf_puts(out, html ? "</p>\n" : "\n\n");
	}
	if (changes == 0)
		buf_printf(out, html ? "<p>No changes between revisions %d and %d.</p>\n" :
				       "No changes between revisions %d and %d.\n", r1, r2);
	st_block_list_free(&a, na);
	st_block_list_free(&b, nb);
	return 0;
}
