/* digest.c - one digest a day of what is new in a session */
#include "config.h"
#include "tag/digest.h"
#include "tag/draftmail.h"
#include "doc/diff.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURPOSE_MAX 400

/* a comment shown in the digest with the new replies under it */
struct entry {
	int root;               /* index into the session's comments */
	int is_new;             /* the comment itself is new (else: shown again for its replies) */
	int *replies;           /* indexes of new replies, oldest first */
	int nreplies;
};

/* the comments on one paragraph */
struct group {
	int64_t pid;            /* 0: the draft as a whole */
	int number;             /* in the current revision (or its own when retired) */
	int retired;
	char *excerpt;
	struct entry *entries;
	int nentries;
};

struct change {
	int number;
	char *label;
	char *diff_text;
	char *diff_html;
};

struct digest {
	const struct st_session *ses;
	struct st_comment *all;         /* every comment of the session */
	int nall;
	struct st_participant *people;  /* every participant, for organizations */
	int npeople;
	struct group *groups;
	int ngroups;
	struct change *changes;
	int nchanges;
	int revision;
	int comments, replies, authors;
};

static int find_comment(const struct digest *d, int64_t id)
{
	for (int i = 0; i < d->nall; i++)
		if (d->all[i].id == id)
			return i;
	return -1;
}

static const char *organization_of(const struct digest *d, int64_t author_id)
{
	for (int i = 0; i < d->npeople; i++)
		if (d->people[i].id == author_id)
			return d->people[i].organization ? d->people[i].organization : "";
	return "";
}

static const char *who(const struct st_comment *c)
{
	return c->author_name && *c->author_name ? c->author_name : c->author_email;
}

/* group_for - the group of paragraph pid, made on first use */
static struct group *group_for(struct store *st, struct digest *d, const struct draft_view *cur,
			       const struct st_comment *c)
{
	for (int i = 0; i < d->ngroups; i++)
		if (d->groups[i].pid == c->paragraph_id)
			return &d->groups[i];
	d->groups = xreallocarray(d->groups, (size_t)d->ngroups + 1, sizeof(*d->groups));
	struct group *g = &d->groups[d->ngroups++];
	memset(g, 0, sizeof(*g));
	g->pid = c->paragraph_id;
	struct buf ex = BUF_INIT;
	if (g->pid) {
		const struct st_block *b = draft_view_pid(cur, g->pid);
		if (b) {
			g->number = b->number;
			draftmail_words(b->text, DIGEST_EXCERPT_WORDS, &ex);
		} else {
			/* retired since: shown with its number where the author saw it */
			struct draft_view old;
			g->retired = 1;
			g->number = c->number;
			if (draft_view_load(st, c->session_id, c->revision, &old) == 0) {
				b = draft_view_pid(&old, g->pid);
				if (b)
					draftmail_words(b->text, DIGEST_EXCERPT_WORDS, &ex);
				draft_view_free(&old);
			}
		}
	}
	g->excerpt = buf_steal(&ex, NULL);
	return g;
}

static struct entry *entry_for(struct group *g, int root, int is_new)
{
	for (int i = 0; i < g->nentries; i++)
		if (g->entries[i].root == root) {
			if (is_new)
				g->entries[i].is_new = 1;
			return &g->entries[i];
		}
	g->entries = xreallocarray(g->entries, (size_t)g->nentries + 1, sizeof(*g->entries));
	struct entry *e = &g->entries[g->nentries++];
	memset(e, 0, sizeof(*e));
	e->root = root;
	e->is_new = is_new;
	return e;
}

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if ((x->pid == 0) != (y->pid == 0))
		return x->pid == 0 ? -1 : 1;
	if (x->retired != y->retired)
		return x->retired - y->retired;
	return (x->number > y->number) - (x->number < y->number);
}

/* the session's comments, for entry_cmp (qsort has no argument) */
static const struct st_comment *sort_all;

static int entry_cmp(const void *a, const void *b)
{
	const struct st_comment *x = &sort_all[((const struct entry *)a)->root];
	const struct st_comment *y = &sort_all[((const struct entry *)b)->root];
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* collect - the new comments, grouped and ordered */
static int collect(struct store *st, struct digest *d, const struct draft_view *cur,
		   const int64_t *ids, int nids)
{
	char **authors = NULL;
	int nauthors = 0;
	for (int k = 0; k < nids; k++) {
		int i = find_comment(d, ids[k]);
		if (i < 0)
			continue;
		const struct st_comment *c = &d->all[i];
		int root = i, depth = 0;
		while (d->all[root].parent_id && depth++ < DIGEST_MAX_DEPTH) {
			int p = find_comment(d, d->all[root].parent_id);
			if (p < 0)
				break;
			root = p;
		}
		struct group *g = group_for(st, d, cur, &d->all[root]);
		if (root == i) {
			entry_for(g, i, 1);
			d->comments++;
		} else {
			struct entry *e = entry_for(g, root, 0);
			e->replies = xreallocarray(e->replies, (size_t)e->nreplies + 1, sizeof(int));
			e->replies[e->nreplies++] = i;
			d->replies++;
		}
		int seen = 0;
		for (int a = 0; a < nauthors && !seen; a++)
			seen = str_casecmp(authors[a], c->author_email) == 0;
		if (!seen) {
			authors = xreallocarray(authors, (size_t)nauthors + 1, sizeof(char *));
			authors[nauthors++] = c->author_email;
		}
	}
	d->authors = nauthors;
	free(authors);
	if (d->ngroups > 0) /* qsort's base must not be NULL, even for no items */
		qsort(d->groups, (size_t)d->ngroups, sizeof(*d->groups), group_cmp);
	sort_all = d->all;
	for (int i = 0; i < d->ngroups; i++)
		qsort(d->groups[i].entries, (size_t)d->groups[i].nentries, sizeof(struct entry), entry_cmp);
	sort_all = NULL;
	return 0;
}

static void add_change(struct digest *d, int number, const char *label, const char *old, const char *new)
{
	d->changes = xreallocarray(d->changes, (size_t)d->nchanges + 1, sizeof(*d->changes));
	struct change *ch = &d->changes[d->nchanges++];
	struct buf t = BUF_INIT, h = BUF_INIT;
	word_diff_text(old, new, &t, NULL);
	word_diff_html(old, new, &h, NULL);
	ch->number = number;
	ch->label = xstrdup(label);
	ch->diff_text = buf_steal(&t, NULL);
	ch->diff_html = buf_steal(&h, NULL);
}

/* changes - what the revisions imported since the readers' last digest changed */
static void changes(struct digest *d, const struct draft_view *prev, const struct draft_view *cur)
{
	char label[64];
	for (int i = 0; i < cur->nblocks; i++) {
		const struct st_block *b = &cur->blocks[i];
		if (b->number == 0)
			continue;
		const struct st_block *o = draft_view_pid(prev, b->paragraph_id);
		if (o == NULL) {
			add_change(d, b->number, "new", "", b->text);
		} else if (strcmp(o->text, b->text) != 0) {
			if (o->number != b->number)
				snprintf(label, sizeof(label), "edited, was ¶%d", o->number);
			else
				snprintf(label, sizeof(label), "edited");
			add_change(d, b->number, label, o->text, b->text);
		}
	}
	for (int i = 0; i < prev->nblocks; i++) {
		const struct st_block *o = &prev->blocks[i];
		if (o->number > 0 && draft_view_pid(cur, o->paragraph_id) == NULL) {
			snprintf(label, sizeof(label), "removed: ¶%d of revision %d", o->number, prev->revision);
			add_change(d, o->number, label, o->text, "");
		}
	}
}

/* para_vars - a paragraph's entry in the digest's "paragraphs" list; its
   "comments" list, to fill */
static struct tval *para_vars(struct tval *paras, const struct digest *d, const struct group *g)
{
	struct tval *pm = tval_list_add_map(paras);
	tval_set_int(pm, "number", g->number);
	tval_set_bool(pm, "whole_draft", g->pid == 0);
	tval_set_str(pm, "excerpt", g->excerpt);
	char *addr;
	if (g->pid && !g->retired) {
		char tag[32];
		snprintf(tag, sizeof(tag), "p%d", g->number);
		addr = listaddr_make(d->ses->list_addr, tag);
	} else {
		addr = xstrdup(d->ses->list_addr);
	}
	tval_set_str(pm, "reply_to", addr);
	free(addr);
	return tval_set_list(pm, "comments");
}

static void fill(struct tval *v, const struct digest *d, const struct digest_req *rq, const char *period)
{
	char date[64], tag[32];
	mailout_date(rq->day, date, sizeof(date));
	tval_set_str(v, "date", date);
	tval_set_str(v, "period", period);
	tval_set_int(v, "revision", d->revision);
	struct tval *counts = tval_set_map(v, "counts");
	tval_set_int(counts, "comments", d->comments);
	tval_set_int(counts, "replies", d->replies);
	tval_set_int(counts, "paragraphs", d->ngroups);
	tval_set_int(counts, "authors", d->authors);
	tval_set_int(counts, "changed", d->nchanges);
	struct tval *paras = tval_set_list(v, "paragraphs");
	/* past rq->max_comments, comments (with their replies) are counted,
	   not shown: a digest stays readable, and its size bounded, however
	   busy the day (the first comment is always shown) */
	int shown = 0, omitted = 0;
	for (int i = 0; i < d->ngroups; i++) {
		const struct group *g = &d->groups[i];
		struct tval *cl = NULL;
		char *addr;
		for (int k = 0; k < g->nentries; k++) {
			const struct entry *e = &g->entries[k];
			int cost = (e->is_new ? 1 : 0) + e->nreplies;
			if (rq->max_comments > 0 && shown > 0 && shown + cost > rq->max_comments) {
				omitted += cost;
				continue;
			}
			shown += cost;
			if (cl == NULL) /* the paragraph's first comment shown */
				cl = para_vars(paras, d, g);
			const struct st_comment *c = &d->all[e->root];
			struct tval *cm = tval_list_add_map(cl);
			tval_set_str(cm, "author", who(c));
			tval_set_str(cm, "organization", organization_of(d, c->author_id));
			tval_set_str(cm, "text", c->text);
			tval_set_bool(cm, "earlier", !e->is_new);
			snprintf(tag, sizeof(tag), "c%lld", (long long)c->id);
			addr = listaddr_make(d->ses->list_addr, tag);
			tval_set_str(cm, "reply_to", addr);
			free(addr);
			struct tval *rl = tval_set_list(cm, "replies");
			for (int r = 0; r < e->nreplies; r++) {
				const struct st_comment *rc = &d->all[e->replies[r]];
				struct tval *rm = tval_list_add_map(rl);
				tval_set_str(rm, "author", who(rc));
				tval_set_str(rm, "text", rc->text);
			}
		}
	}
	tval_set_int(counts, "shown", shown);
	tval_set_int(counts, "omitted", omitted);
	struct tval *cl = tval_set_list(v, "changes");
	for (int i = 0; i < d->nchanges; i++) {
		struct tval *m = tval_list_add_map(cl);
		tval_set_int(m, "number", d->changes[i].number);
		tval_set_str(m, "label", d->changes[i].label);
		tval_set_str(m, "diff_text", d->changes[i].diff_text);
		tval_set_html(m, "diff_html", d->changes[i].diff_html);
	}
}

static void digest_free(struct digest *d)
{
	for (int i = 0; i < d->ngroups; i++) {
		for (int k = 0; k < d->groups[i].nentries; k++)
			free(d->groups[i].entries[k].replies);
		free(d->groups[i].entries);
		free(d->groups[i].excerpt);
	}
	free(d->groups);
	for (int i = 0; i < d->nchanges; i++) {
		free(d->changes[i].label);
		free(d->changes[i].diff_text);
		free(d->changes[i].diff_html);
	}
	free(d->changes);
	st_comment_list_free(&d->all, d->nall);
	st_participant_list_free(&d->people, d->npeople);
}

/* period - what the digest covers, in words */
static void period(const struct st_session *ses, const struct digest_req *rq, char *out, size_t size)
{
	char from[64];
	if (rq->first) {
		clock_format(rq->from, ses->timezone, "%A %-d %B", from, sizeof(from));
		snprintf(out, size, "since the review opened on %s", from);
	} else {
		clock_format(rq->from, ses->timezone, "%A %-d %B, %H:%M", from, sizeof(from));
		snprintf(out, size, rq->final ? "from %s to the close" : "since %s", from);
	}
}

int digest_send(struct store *st, struct mailout *mo, const struct st_session *ses,
		const struct digest_req *rq, int *sent_r, char *note, size_t notesize,
		const char **error_r)
{
	static char err[512];
	struct digest d;
	memset(&d, 0, sizeof(d));
	d.ses = ses;
	*sent_r = 0;
	int64_t *ids = NULL;
	int nids = 0, ret = -1;
	struct draft_view cur, prev;
	memset(&cur, 0, sizeof(cur));
	memset(&prev, 0, sizeof(prev));
	struct st_participant *ps = NULL;
	int np = 0;
	int rev_before = 0, rev_after = 0;
	if (store_digest_pending(st, ses->id, rq->until, &ids, &nids) < 0 ||
	    store_comment_list(st, ses->id, 0, &d.all, &d.nall) < 0 ||
	    store_participant_list(st, ses->id, NULL, &d.people, &d.npeople) < 0 ||
	    store_revision_at(st, ses->id, rq->from, &rev_before) < 0 ||
	    store_revision_at(st, ses->id, rq->until, &rev_after) < 0)
		goto store_fail;
	if (rev_after == 0 && store_revision_current(st, ses->id, &rev_after) < 0)
		goto store_fail;
	/* no revision imported by then on this clock (a draft imported on
	   another clock): the readers had the first one */
	if (rev_before == 0 && rev_after > 1)
		rev_before = 1;
	if (draft_view_load(st, ses->id, rev_after, &cur) < 0)
		goto store_fail;
	d.revision = rev_after;
	if (rev_before > 0 && rev_before < rev_after) {
		if (draft_view_load(st, ses->id, rev_before, &prev) < 0)
			goto store_fail;
		changes(&d, &prev, &cur);
	}
	collect(st, &d, &cur, ids, nids);
	if (nids == 0 && d.nchanges == 0 && !rq->quiet_days) {
		snprintf(note, notesize, "quiet day");
		ret = 0;
		goto out;
	}
	if (store_participant_list(st, ses->id, "active", &ps, &np) < 0)
		goto store_fail;
	char per[160];
	period(ses, rq, per, sizeof(per));
	ret = 0;
	for (int i = 0; i < np && ret == 0; i++) {
		const struct st_participant *p = &ps[i];
		if (strcmp(p->mode, "digest") != 0)
			continue;
		char purpose[PURPOSE_MAX];
		snprintf(purpose, sizeof(purpose), "digest:%s:%s:%s", ses->slug, rq->day, p->email);
		struct tval *v = mailout_vars(mo, ses, p->name, p->email);
		fill(v, &d, rq, per);
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "digest";
		m.purpose = purpose;
		m.to_addr = p->email;
		m.to_name = p->name;
		m.participant_id = p->id;
		m.vars = v;
		m.msgid_kind = "digest";
		m.msgid_what = rq->day;
		m.revision = rev_after;
		m.list_mail = 1;
		const char *e;
		int q = mailout_queue(mo, &m, NULL, &e);
		tval_free(&v);
		if (q < 0) {
			snprintf(err, sizeof(err), "digest for %s: %s", p->email, e);
			*error_r = err;
			ret = -1;
		} else if (q == 0) {
			(*sent_r)++;
		}
	}
	if (ret == 0 && store_digest_take(st, ses->id, rq->day, ids, nids) < 0)
		goto store_fail;
	if (ret == 0)
		snprintf(note, notesize, "%d comment%s, %d repl%s, %d changed, %d mail%s", d.comments,
			 d.comments == 1 ? "" : "s", d.replies, d.replies == 1 ? "y" : "ies", d.nchanges,
			 *sent_r, *sent_r == 1 ? "" : "s");
	goto out;
store_fail:
	snprintf(err, sizeof(err), "digest %s: %s", rq->day, store_error(st));
	*error_r = err;
	ret = -1;
out:
	st_participant_list_free(&ps, np);
	draft_view_free(&cur);
	draft_view_free(&prev);
	digest_free(&d);
	free(ids);
	return ret;
}
