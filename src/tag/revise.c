/* revise.c - new revisions of the draft mailed in by organizers */
#include "config.h"
#include "tag/revise.h"
#include "tag/draft.h"
#include "tag/token.h"
#include "doc/draft.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AR_MAX 4096             /* bytes of one Authentication-Results value looked at */

int revise_is_tag(const char *tag)
{
	return tag && (strcmp(tag, "revise") == 0 || str_starts(tag, "revise-"));
}

/* ---- Authentication-Results (RFC 8601) ---- */

/* ar_value - the value of "key=" in one resinfo, into out; 1 if present */
static int ar_value(const char *res, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	for (const char *p = res; (p = str_casestr(p, key)) != NULL; p += klen) {
		if (p != res && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '(' && p[-1] != ';')
			continue;
		if (p[klen] != '=')
			continue;
		const char *v = p + klen + 1;
		size_t n = strcspn(v, " \t;()\"");
		if (n >= size)
			n = size - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

/* aligned - d is the From domain or a parent domain of it (relaxed alignment) */
static int aligned(const char *from_domain, const char *d)
{
	if (*d == '@')
		d++;
	const char *at = strrchr(d, '@');
	if (at)
		d = at + 1;
	size_t fl = strlen(from_domain), dl = strlen(d);
	if (dl == 0 || dl > fl)
		return 0;
	if (str_casecmp(from_domain + fl - dl, d) != 0)
		return 0;
	return fl == dl || from_domain[fl - dl - 1] == '.';
}

int revise_trusted(const struct mail_msg *msg, const char *authserv)
{
	if (authserv == NULL || *authserv == '\0' || msg->from.addr == NULL)
		return 0;
	const char *at = strrchr(msg->from.addr, '@');
	if (at == NULL)
		return 0;
	const char *from_domain = at + 1;
	int i = -1;
	const char *v;
	while ((v = mail_header_next(msg, "Authentication-Results", &i)) != NULL) {
		char buf[AR_MAX];
		snprintf(buf, sizeof(buf), "%s", v);
		char *semi = strchr(buf, ';');
		if (semi == NULL)
			continue;
		*semi = '\0';
		/* authserv-id, maybe followed by a version */
		char *id = str_trim(buf);
		id[strcspn(id, " \t")] = '\0';
		if (str_casecmp(id, authserv) != 0)
			continue;
		for (char *res = semi + 1; res && *res;) {
			char *next = strchr(res, ';');
			if (next)
				*next++ = '\0';
			char *r = str_trim(res);
			char d[256];
			if (str_istarts(r, "dmarc=pass") && (r[10] == '\0' || r[10] == ' ' || r[10] == '\t')) {
				if (!ar_value(r, "header.from", d, sizeof(d)) || aligned(from_domain, d))
					return 1;
			}
			if (str_istarts(r, "dkim=pass") && (r[9] == '\0' || r[9] == ' ' || r[9] == '\t')) {
				if ((ar_value(r, "header.d", d, sizeof(d)) || ar_value(r, "header.i", d, sizeof(d))) &&
				    aligned(from_domain, d))
					return 1;
			}
			res = next;
		}
	}
	return 0;
}

/* ---- the draft in the message ---- */

static int draft_file(const struct mail_part *p)
{
	if (p->role != MAIL_PART_ATTACHMENT && p->role != MAIL_PART_OTHER_TEXT)
		return 0;
	if (p->filename && (str_ends(p->filename, ".md") || str_ends(p->filename, ".markdown") ||
			    str_ends(p->filename, ".MD") || str_ends(p->filename, ".txt")))
		return 1;
	return p->content_type && (strcmp(p->content_type, "text/markdown") == 0 ||
				   strcmp(p->content_type, "text/x-markdown") == 0);
}

char *revise_source(const struct mail_msg *msg)
{
	for (int i = 0; i < msg->nparts; i++) {
		const struct mail_part *p = &msg->parts[i];
		if (!draft_file(p))
			continue;
		if (p->len == 0 || p->len > REVISE_MAX_SOURCE)
			return NULL;
		return xmemdup0(p->data, p->len);
	}
	const char *t = msg->text ? msg->text : "";
	size_t n = strlen(t);
	/* the body, without a signature */
	const char *sig = strstr(t, "\n-- \n");
	if (sig)
		n = (size_t)(sig - t) + 1;
	else if (str_starts(t, "-- \n"))
		n = 0;
	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
		n--;
	if (n == 0 || n > REVISE_MAX_SOURCE)
		return NULL;
	return xmemdup0(t, n);
}

/* ---- answers to the organizer ---- */

struct answer {
	const char *confirm_addr;       /* NULL: not asking */
	int imported;
	int revision;
	const char *summary;
	const char *error;
};

static const char *organizer_name(const struct st_session *ses, const char *addr)
{
	for (int i = 0; i < ses->norganizers; i++)
		if (str_casecmp(ses->organizers[i].email, addr) == 0)
			return ses->organizers[i].name;
	return NULL;
}

static int is_organizer(const struct st_session *ses, const char *addr)
{
	for (int i = 0; addr && i < ses->norganizers; i++)
		if (str_casecmp(ses->organizers[i].email, addr) == 0)
			return 1;
	return 0;
}

static int answer(struct store *st, struct mailout *mo, const struct st_session *ses, const char *to,
		  const struct mail_msg *msg, int64_t row, const char *what, const struct answer *a)
{
	struct tval *v = mailout_vars(mo, ses, organizer_name(ses, to), to);
	struct tval *r = tval_set_map(v, "revise");
	tval_set_bool(r, "confirm", a->confirm_addr != NULL);
	tval_set_str(r, "confirm_addr", a->confirm_addr ? a->confirm_addr : "");
	tval_set_bool(r, "imported", a->imported);
	tval_set_int(r, "revision", a->revision);
	tval_set_str(r, "summary", a->summary ? a->summary : "");
	tval_set_str(r, "error", a->error ? a->error : "");
	tval_set_str(r, "subject", msg->subject ? msg->subject : "");
	char purpose[64], id[32];
	snprintf(purpose, sizeof(purpose), "revise-%s:%lld", what, (long long)row);
	snprintf(id, sizeof(id), "%lld", (long long)row);
	struct mailout_msg m;
	memset(&m, 0, sizeof(m));
	m.ses = ses;
	m.kind = "revise";
	m.purpose = purpose;
	m.to_addr = to;
	m.to_name = organizer_name(ses, to);
	m.vars = v;
	m.msgid_kind = "revise";
	m.msgid_what = id;
	m.in_reply_to = msg->message_id;
	m.automatic = 1;
	char *tag = NULL;
	if (a->confirm_addr) {
		const char *plus = strchr(a->confirm_addr, '+');
		const char *at = strrchr(a->confirm_addr, '@');
		if (plus && at && at > plus)
			tag = xstrndup(plus + 1, (size_t)(at - plus - 1));
		m.reply_to_tag = tag;
	}
	const char *e;
	int q = mailout_queue(mo, &m, NULL, &e);
	if (q < 0)
		log_error("answer to %s about a revision not queued: %s", to, e);
	free(tag);
	tval_free(&v);
	return q < 0 && store_last_full(st) ? -1 : 0;
}

/* import - the recorded draft of message row as the next revision */
static int import(struct store *st, const struct st_session *ses, int64_t row, const char *source,
		  char *summary, size_t ssize, int *revision_r, const char **error_r)
{
	struct draft_import_result r;
	if (tag_draft_import(st, ses->id, source, strlen(source), &r, error_r) < 0)
		return -1;
	if (store_revise_set_revision(st, row, r.revision) < 0) {
		*error_r = store_error(st);
		return -1;
	}
	snprintf(summary, ssize, "%d numbered paragraphs: %d unchanged, %d edited, %d moved, %d new, %d removed",
		 r.blocks, r.unchanged, r.edited, r.moved, r.added, r.retired);
	*revision_r = r.revision;
	return 0;
}

/* take_draft - a new draft sent to LIST+revise */
static int take_draft(struct store *st, struct mailout *mo, const struct tagd_config *cfg,
		      const struct st_session *ses, const struct mail_msg *msg, int64_t row,
		      enum msg_class *class_r, char *reason, size_t rsize)
{
	const char *from = msg->from.addr;
	if (!is_organizer(ses, from)) {
		*class_r = CLASS_HELD;
		snprintf(reason, rsize, "a draft sent to +revise by %s, who is not an organizer", from ? from : "nobody");
		return 0;
	}
	*class_r = CLASS_COMMAND;
	struct answer a;
	memset(&a, 0, sizeof(a));
	char *src = revise_source(msg);
	const char *perr = NULL;
	struct draft *d = NULL;
	if (src == NULL)
		perr = "no draft found: attach it as a .md or .txt file, or send it as the message's text";
	else if (draft_parse(src, strlen(src), &d, &perr) == 0 && d->nblocks == 0)
		perr = "the draft has no paragraphs";
	int numbered = 0;
	for (int i = 0; d && i < d->nblocks; i++)
		numbered += d->blocks[i].number > 0;
	draft_free(&d);
	if (perr) {
		snprintf(reason, rsize, "a revision from %s that cannot be read: %s", from, perr);
		a.error = perr;
		free(src);
		return answer(st, mo, ses, from, msg, row, "error", &a);
	}
	struct st_revise rv;
	memset(&rv, 0, sizeof(rv));
	rv.message_row = row;
	rv.session_id = ses->id;
	rv.organizer = (char *)from;
	rv.source = src;
	rv.created = clock_now();
	int cur = 0;
	if (store_revise_add(st, &rv) < 0 || store_revision_current(st, ses->id, &cur) < 0) {
		free(src);
		return -1;
	}
	char summary[256];
	int ret = 0;
	if (revise_trusted(msg, cfg->trusted_authserv)) {
		const char *e;
		/* the draft parsed above: a failure here is the store's, and the
		   message is processed again later */
		if (import(st, ses, row, src, summary, sizeof(summary), &a.revision, &e) < 0) {
			log_error("revision from %s not imported now: %s", from, e);
			ret = -1;
		} else {
			snprintf(reason, rsize, "revision %d from %s imported (authenticated by %s)", a.revision, from,
				 cfg->trusted_authserv);
			a.imported = 1;
			a.summary = summary;
			ret = answer(st, mo, ses, from, msg, row, "done", &a);
		}
		free(src);
		return ret;
	}
	char subject[32];
	snprintf(subject, sizeof(subject), "%lld", (long long)row);
	char *tok = token_make(st, "revise", subject);
	if (tok == NULL) {
		free(src);
		return -1;
	}
	char *tag = xasprintf("revise-%s", tok);
	char *addr = listaddr_make(ses->list_addr, tag);
	snprintf(summary, sizeof(summary), "%d numbered paragraphs (revision %d has been the current one)", numbered,
		 cur);
	a.confirm_addr = addr;
	a.revision = cur + 1;
	a.summary = summary;
	snprintf(reason, rsize, "a revision from %s waits for the organizer's confirmation", from);
	ret = answer(st, mo, ses, from, msg, row, "confirm", &a);
	free(addr);
	free(tag);
	free(tok);
	free(src);
	return ret;
}

/* take_confirm - the organizer's answer to LIST+revise-TOKEN */
static int take_confirm(struct store *st, struct mailout *mo, const struct st_session *ses,
			const struct mail_msg *msg, const char *token, enum msg_class *class_r, char *reason,
			size_t rsize)
{
	char *subject = NULL;
	int64_t row;
	struct st_revise rv;
	if (token_check(st, "revise", token, &subject) < 0 || str_to_i64(subject, 1, INT64_MAX, &row) < 0) {
		free(subject);
		*class_r = CLASS_HELD;
		snprintf(reason, rsize, "a revision confirmation with a token that is not valid");
		return 0;
	}
	free(subject);
	int r = store_revise_get(st, row, &rv);
	if (r < 0)
		return -1;
	if (r == 1 || rv.session_id != ses->id) {
		if (r == 0)
			st_revise_free(&rv);
		*class_r = CLASS_HELD;
		snprintf(reason, rsize, "a revision confirmation for a message that carried no revision of this session");
		return 0;
	}
	const char *from = msg->from.addr;
	if (!is_organizer(ses, from)) {
		st_revise_free(&rv);
		*class_r = CLASS_HELD;
		snprintf(reason, rsize, "a revision confirmation from %s, who is not an organizer", from ? from : "nobody");
		return 0;
	}
	*class_r = CLASS_COMMAND;
	int ret = 0;
	if (rv.revision) {
		snprintf(reason, rsize, "message %lld was imported already, as revision %d", (long long)row, rv.revision);
	} else {
		struct answer a;
		memset(&a, 0, sizeof(a));
		char summary[256];
		const char *e;
		if (import(st, ses, row, rv.source, summary, sizeof(summary), &a.revision, &e) < 0) {
			log_error("confirmed revision not imported now: %s", e);
			ret = -1;
		} else {
			snprintf(reason, rsize, "revision %d imported from message %lld, confirmed by %s", a.revision,
				 (long long)row, from);
			a.imported = 1;
			a.summary = summary;
			ret = answer(st, mo, ses, rv.organizer, msg, row, "done", &a);
		}
	}
	st_revise_free(&rv);
	return ret;
}

int revise_take(struct store *st, struct mailout *mo, const struct tagd_config *cfg,
		const struct st_session *ses, const struct mail_msg *msg, int64_t message_row,
		const char *tag, enum msg_class *class_r, char *reason, size_t reasonsize)
{
	if (strcmp(tag, "revise") == 0)
		return take_draft(st, mo, cfg, ses, msg, message_row, class_r, reason, reasonsize);
	return take_confirm(st, mo, ses, msg, tag + strlen("revise-"), class_r, reason, reasonsize);
}
