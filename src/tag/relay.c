/* relay.c - each comment to the participants in "each" mode; late notes */
#include "config.h"
#include "tag/relay.h"
#include "tag/draftmail.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURPOSE_MAX 400
#define EXCERPT_WORDS 8
#define SNIPPET_WORDS 12
#define MAX_REFS 2

char *relay_msgid(struct mailout *mo, const struct st_session *ses, int64_t cid, const char *recipient)
{
	char purpose[PURPOSE_MAX], token[17];
	snprintf(purpose, sizeof(purpose), "relay:%s:%lld:%s", ses->slug, (long long)cid, recipient);
	mailout_token(mo, recipient, purpose, token);
	return xasprintf("comment.%lld.%s@%s", (long long)cid, token, listaddr_domain(ses->list_addr));
}

/* where - the paragraph's number and excerpt as participants see it now:
   in the current revision, else in the revision the author saw */
static int where(struct store *st, const struct draft_view *cur, const struct st_comment *c,
		 int *number_r, struct buf *excerpt)
{
	*number_r = 0;
	if (c->paragraph_id == 0)
		return 0;
	const struct st_block *b = draft_view_pid(cur, c->paragraph_id);
	if (b) {
		*number_r = b->number;
		draftmail_words(b->text, EXCERPT_WORDS, excerpt);
		return 0;
	}
	struct draft_view old;
	if (draft_view_load(st, c->session_id, c->revision, &old) < 0)
		return -1;
	b = draft_view_pid(&old, c->paragraph_id);
	*number_r = b ? b->number : c->number;
	if (b)
		draftmail_words(b->text, EXCERPT_WORDS, excerpt);
	draft_view_free(&old);
	return 0;
}

static const char *who(const struct st_comment *c)
{
	return c->author_name && *c->author_name ? c->author_name : c->author_email;
}

/* relay_one - comment c to the each-mode participants ps */
static int relay_one(struct store *st, struct mailout *mo, const struct st_session *ses,
		     const struct draft_view *cur, const struct st_comment *c,
		     const struct st_participant *ps, int np)
{
	int number;
	struct buf excerpt = BUF_INIT;
	if (where(st, cur, c, &number, &excerpt) < 0) {
		buf_free(&excerpt);
		return -1;
	}
	char *org = NULL;
	struct st_participant author;
	if (c->author_id && store_participant_get_id(st, c->author_id, &author) == 0) {
		org = author.organization ? xstrdup(author.organization) : NULL;
		st_participant_free(&author);
	}
	struct st_comment parent;
	int have_parent = c->parent_id && store_comment_get(st, c->parent_id, &parent) == 0;
	char what_tag[32], tag[32];
	snprintf(what_tag, sizeof(what_tag), "c%lld", (long long)c->id);
	char *reply_to = listaddr_make(ses->list_addr, what_tag);
	snprintf(tag, sizeof(tag), "p%d", number);
	char *para_to = listaddr_make(ses->list_addr, tag);
	char *root = draftmail_para_root(mo, ses, c->paragraph_id);
	char what[24];
	snprintf(what, sizeof(what), "%lld", (long long)c->id);
	int ret = 0;
	for (int i = 0; i < np; i++) {
		const struct st_participant *p = &ps[i];
		if (p->id == c->author_id || str_casecmp(p->email, c->author_email) == 0)
			continue;
		char purpose[PURPOSE_MAX];
		snprintf(purpose, sizeof(purpose), "relay:%s:%lld:%s", ses->slug, (long long)c->id, p->email);
		struct tval *v = mailout_vars(mo, ses, p->name, p->email);
		struct tval *cm = tval_set_map(v, "comment");
		tval_set_str(cm, "author", who(c));
		tval_set_str(cm, "organization", org ? org : "");
		tval_set_int(cm, "paragraph", number);
		tval_set_bool(cm, "whole_draft", number == 0);
		tval_set_str(cm, "excerpt", buf_cstr(&excerpt));
		tval_set_str(cm, "text", c->text);
		tval_set_str(cm, "reply_to", reply_to);
		tval_set_str(cm, "paragraph_reply_to", para_to);
		tval_set_str(cm, "in_reply_to", have_parent ? who(&parent) : "");
		tval_set_bool(cm, "late", c->late);
		const char *refs[MAX_REFS];
		int nrefs = 0;
		char *parent_id = have_parent ? relay_msgid(mo, ses, parent.id, p->email) : NULL;
		if (root)
			refs[nrefs++] = root;
		if (parent_id)
			refs[nrefs++] = parent_id;
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "relay";
		m.purpose = purpose;
		m.to_addr = p->email;
		m.to_name = p->name;
		m.participant_id = p->id;
		m.vars = v;
		m.msgid_kind = "comment";
		m.msgid_what = what;
		m.revision = cur->revision;
		m.paragraph_id = c->paragraph_id;
		m.comment_id = c->id;
		m.in_reply_to = parent_id ? parent_id : root;
		m.references = refs;
		m.nreferences = nrefs;
		m.reply_to_tag = what_tag;
		m.list_mail = 1;
		const char *e;
		int q = mailout_queue(mo, &m, NULL, &e);
		if (q < 0) {
			if (store_last_full(st)) {
				ret = -1;
			} else {
				log_error("relay of comment %lld to %s not queued: %s", (long long)c->id, p->email, e);
			}
		} else if (q == 0) {
			log_debug(LOG_SUB_SCHED, "relay of comment %lld queued for %s", (long long)c->id, p->email);
		}
		free(parent_id);
		tval_free(&v);
		if (ret < 0)
			break;
	}
	if (have_parent)
		st_comment_free(&parent);
	free(root);
	free(reply_to);
	free(para_to);
	free(org);
	buf_free(&excerpt);
	return ret;
}

int relay_comments(struct store *st, struct mailout *mo, const struct st_session *ses,
		   const int64_t *ids, int n)
{
	if (n == 0)
		return 0;
	struct st_participant *all = NULL;
	int nall = 0;
	/* only those who asked for each comment (an index: not everyone) */
	if (store_participant_list_mode(st, ses->id, "each", "active", &all, &nall) < 0)
		return -1;
	int ne = nall;
	int ret = 0;
	if (ne > 0) {
		struct draft_view cur;
		if (draft_view_load(st, ses->id, 0, &cur) < 0) {
			st_participant_list_free(&all, nall);
			return -1;
		}
		for (int i = 0; i < n && ret == 0; i++) {
			struct st_comment c;
			int r = store_comment_get(st, ids[i], &c);
			if (r < 0) {
				ret = -1;
				break;
			}
			if (r == 1)
				continue;
			if (!c.late)
				ret = relay_one(st, mo, ses, &cur, &c, all, ne);
			st_comment_free(&c);
		}
		draft_view_free(&cur);
	}
	st_participant_list_free(&all, nall);
	return ret;
}

int relay_late_note(struct store *st, struct mailout *mo, const struct st_session *ses,
		    const struct st_participant *author, int64_t comment_id, const char *in_reply_to)
{
	if (author == NULL)
		return 0;
	char purpose[PURPOSE_MAX];
	snprintf(purpose, sizeof(purpose), "late:%s:%s", ses->slug, author->email);
	int f = store_outbox_find(st, purpose, NULL);
	if (f <= 0)
		return f; /* answered before (0), or a store error (-1) */
	struct st_comment c;
	int r = store_comment_get(st, comment_id, &c);
	if (r != 0)
		return r < 0 ? -1 : 0;
	struct draft_view cur;
	if (draft_view_load(st, ses->id, 0, &cur) < 0) {
		st_comment_free(&c);
		return -1;
	}
	int number;
	struct buf excerpt = BUF_INIT, snippet = BUF_INIT;
	int ret = where(st, &cur, &c, &number, &excerpt);
	if (ret == 0) {
		draftmail_words(c.text, SNIPPET_WORDS, &snippet);
		struct tval *v = mailout_vars(mo, ses, author->name, author->email);
		struct tval *cm = tval_set_map(v, "comment");
		tval_set_int(cm, "paragraph", number);
		tval_set_bool(cm, "whole_draft", number == 0);
		tval_set_str(cm, "excerpt", buf_cstr(&excerpt));
		tval_set_str(cm, "snippet", buf_cstr(&snippet));
		/* it stays in the store, listed for the organizers (tagctl
		   comments); nothing forwards it by mail */
		tval_set_bool(v, "forwarded", 0);
		char *root = draftmail_para_root(mo, ses, c.paragraph_id);
		const char *refs[1] = { root };
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "late-comment";
		m.purpose = purpose;
		m.to_addr = author->email;
		m.to_name = author->name;
		m.participant_id = author->id;
		m.vars = v;
		m.msgid_kind = "late";
		m.revision = cur.revision;
		m.paragraph_id = c.paragraph_id;
		m.comment_id = c.id;
		m.in_reply_to = in_reply_to;
		m.references = root ? refs : NULL;
		m.nreferences = root ? 1 : 0;
		m.automatic = 1;
		const char *e;
		if (mailout_queue(mo, &m, NULL, &e) < 0) {
			if (store_last_full(st))
				ret = -1;
			else
				log_error("late-comment note to %s not queued: %s", author->email, e);
		} else {
			log_info("comment %lld from %s came after the close: note queued", (long long)c.id,
				 author->email);
		}
		free(root);
		tval_free(&v);
	}
	buf_free(&excerpt);
	buf_free(&snippet);
	draft_view_free(&cur);
	st_comment_free(&c);
	return ret;
}
