/* context.c - where a reply belongs, from its envelope */
#include "config.h"
#include "tag/context.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *context_msgid(const char *kind, const char *what, const char *token, const char *domain)
{
	return xasprintf("%s.%s.%s@%s", kind, what, token, domain);
}

static int revision_ok(struct store *st, int64_t sid, int rev)
{
	int cur = 0;
	return rev > 0 && store_revision_current(st, sid, &cur) == 0 && rev <= cur;
}

/* from_id - read one Message-ID; 1 if it told us something */
static int from_id(struct store *st, const struct st_session *ses, const char *id, struct msg_context *ctx,
		   int64_t *pid_r)
{
	struct st_sent_ref ref;
	if (store_sent_ref_get(st, id, &ref) == 0) {
		int used = 0;
		if (ref.session_id == ses->id) {
			if (ref.revision > 0 && revision_ok(st, ses->id, ref.revision)) {
				ctx->revision = ref.revision;
				used = 1;
			}
			if (ref.comment_id) {
				ctx->parent_id = ref.comment_id;
				used = 1;
			}
			if (ref.paragraph_id) {
				*pid_r = ref.paragraph_id;
				used = 1;
			}
		}
		st_sent_ref_free(&ref);
		return used;
	}
	const char *at = strrchr(id, '@');
	if (at == NULL || str_casecmp(at + 1, listaddr_domain(ses->list_addr)) != 0)
		return 0;
	long long n;
	char date[11];
	if (sscanf(id, "draft.r%lld.", &n) == 1 && revision_ok(st, ses->id, (int)n)) {
		ctx->revision = (int)n;
		return 1;
	}
	if (sscanf(id, "comment.%lld.", &n) == 1) {
		struct st_comment c;
		if (store_comment_get(st, n, &c) == 0) {
			int mine = c.session_id == ses->id;
			if (mine) {
				ctx->parent_id = c.id;
				*pid_r = c.paragraph_id;
			}
			st_comment_free(&c);
			return mine;
		}
		return 0;
	}
	if (sscanf(id, "para.%lld.", &n) == 1) {
		*pid_r = n;
		return 1;
	}
	if (sscanf(id, "digest.%10[0-9-].", date) == 1 && strlen(date) == 10) {
		time_t t;
		int y, mo, d, rev = 0;
		if (sscanf(date, "%d-%d-%d", &y, &mo, &d) == 3 &&
		    clock_make_local(ses->timezone, y, mo, d, ses->digest_at / 60, ses->digest_at % 60, &t) == 0 &&
		    store_revision_at(st, ses->id, t + 60, &rev) == 0 && rev > 0) {
			ctx->revision = rev;
			return 1;
		}
	}
	return 0;
}

void context_resolve(struct store *st, const struct st_session *ses, const char *tag,
		     const struct mail_msg *msg, time_t received, struct msg_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->why = "time";
	if (store_revision_at(st, ses->id, received, &ctx->revision) < 0 || ctx->revision == 0)
		store_revision_current(st, ses->id, &ctx->revision);
	int64_t pid = 0;
	/* In-Reply-To first, then References from the newest */
	int used = msg->in_reply_to && from_id(st, ses, msg->in_reply_to, ctx, &pid);
	for (int i = msg->nreferences - 1; !used && i >= 0; i--)
		used = from_id(st, ses, msg->references[i], ctx, &pid);
	if (used)
		ctx->why = "in-reply-to";
	/* the address beats the references for the paragraph */
	long long n;
	char tail;
	if (tag && sscanf(tag, "p%lld%c", &n, &tail) == 1 && n > 0 && n < 100000) {
		ctx->paragraph = (int)n;
		ctx->why = "address";
		pid = 0;
	} else if (tag && sscanf(tag, "c%lld%c", &n, &tail) == 1) {
		struct st_comment c;
		if (store_comment_get(st, n, &c) == 0) {
			if (c.session_id == ses->id) {
				ctx->parent_id = c.id;
				pid = c.paragraph_id;
				ctx->why = "address";
			}
			st_comment_free(&c);
		}
	}
	if (pid) {
		int num = 0;
		if (store_paragraph_number(st, ses->id, ctx->revision, pid, &num) == 0)
			ctx->paragraph = num;
	}
	log_debug(LOG_SUB_THREAD, "context: revision %d, paragraph %d, parent %lld (by %s)",
		  ctx->revision, ctx->paragraph, (long long)ctx->parent_id, ctx->why);
}
