/* ingest.c - archive, parse, route, filter, class and thread incoming mail */
#include "config.h"
#include "tag/ingest.h"
#include "tag/context.h"
#include "tag/quote.h"
#include "tag/relay.h"
#include "tag/revise.h"
#include "tag/rsvp.h"
#include "tag/session.h"
#include "tag/signup.h"
#include "tag/mailout.h"
#include "tag/thread.h"
#include "tag/trust.h"
#include "lib/clock.h"
#include "lib/digest.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include "mail/msg.h"
#include "mail/quick.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CHAIN 16
#define MAX_OWN 256
#define RESUME_GROUP 256        /* messages processed per commit: at most */
#define RESUME_GROUP_MS 100     /* ... or this long, or until another thread of tagd
				   waits to write (store_gate_waiting: IMAP's archive,
				   the sender's marks) once the group is ... */
#define RESUME_YIELD_MS 20      /* ... this old: a turn for each waiter, and no commit
				   (an fsync) per message while the sender marks mail sent */

/* one thread index per (session, revision), built on first use */
struct index_cache {
	int64_t session_id;
	int revision;
	struct thread_para *paras;
	int nparas;
	int64_t *pids;
	struct thread_index *idx;
};

struct ingest {
	struct store *st;
	const struct tagd_config *cfg;
	struct mail_parser *parser;
	struct mail_limits lim;
	const struct filter *chain[MAX_CHAIN];
	int nchain;
	char *list_ids[MAX_OWN];
	char *own_addrs[MAX_OWN];
	int nown;
	char *loop_token;
	struct index_cache *cache;
	int ncache;
	int64_t cur_session;            /* for the sender filter's callback */
	int releasing;                  /* an organizer released this message */
	struct mailout *mo;             /* answers: acknowledgements, command replies */
};

static void free_owned(struct ingest *in)
{
	for (int i = 0; i < in->nown; i++) {
		free(in->list_ids[i]);
		free(in->own_addrs[i]);
	}
	in->nown = 0;
}

static void drop_cache(struct ingest *in)
{
	for (int i = 0; i < in->ncache; i++) {
		thread_index_free(&in->cache[i].idx);
		for (int k = 0; k < in->cache[i].nparas; k++)
			free((char *)in->cache[i].paras[k].text);
		free(in->cache[i].paras);
		free(in->cache[i].pids);
	}
	free(in->cache);
	in->cache = NULL;
	in->ncache = 0;
}

void ingest_reload(struct ingest *in)
{
	free_owned(in);
	drop_cache(in);
	struct st_session *list;
	int n;
	if (store_session_list(in->st, &list, &n) < 0)
		return;
	for (int i = 0; i < n && in->nown < MAX_OWN; i++) {
		char *base = xstrdup(list[i].list_addr), *at = strrchr(base, '@');
		if (at)
			*at = '.';
		in->list_ids[in->nown] = base; /* "tag-x.tags.example.org" */
		in->own_addrs[in->nown] = xstrdup(list[i].list_addr);
		in->nown++;
	}
	st_session_list_free(&list, n);
}

/* configure - what follows the config: the filter chain and the names
   tagd sends under; 0, or -1 with *error_r */
static int configure(struct ingest *in, const struct tagd_config *cfg, const char **error_r)
{
	const struct filter *chain[MAX_CHAIN];
	int nchain = 0;
	const char *p = cfg->filter_order;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n == 0)
			break;
		char name[32];
		snprintf(name, sizeof(name), "%.*s", (int)(n < 31 ? n : 31), p);
		const struct filter *f = filter_find(name);
		if (f == NULL || nchain == MAX_CHAIN) {
			*error_r = "unknown filter stage in [filters] order";
			return -1;
		}
		chain[nchain++] = f;
		p += n;
	}
	memcpy(in->chain, chain, sizeof(chain));
	in->nchain = nchain;
	in->cfg = cfg;
	free(in->loop_token);
	in->loop_token = xasprintf("tagd@%s", cfg->hostname);
	if (in->mo)
		mailout_reload(in->mo, cfg);
	return 0;
}

struct ingest *ingest_new(struct store *st, const struct tagd_config *cfg, const char **error_r)
{
	struct ingest *in = xcalloc(1, sizeof(*in));
	in->st = st;
	if (configure(in, cfg, error_r) < 0) {
		free(in);
		return NULL;
	}
	mail_limits_default(&in->lim);
	in->lim.max_size = (size_t)cfg->max_message_size;
	in->lim.max_line = (size_t)cfg->max_line_length;
	in->lim.max_headers = (size_t)cfg->max_headers;
	in->lim.max_depth = (size_t)cfg->max_mime_depth;
	in->lim.max_parts = (size_t)cfg->max_parts;
	in->parser = mail_parser_new(&in->lim, (int)cfg->parser_timeout * 1000);
	in->mo = mailout_new(st, cfg);
	ingest_reload(in);
	return in;
}

int ingest_reconfigure(struct ingest *in, const struct tagd_config *cfg, const char **error_r)
{
	if (configure(in, cfg, error_r) < 0)
		return -1;
	ingest_reload(in);
	return 0;
}

void ingest_free(struct ingest **inp)
{
	struct ingest *in = *inp;
	if (in == NULL)
		return;
	mail_parser_free(&in->parser);
	mailout_free(&in->mo);
	free_owned(in);
	drop_cache(in);
	free(in->loop_token);
	free(in);
	*inp = NULL;
}

/* ---- archive ---- */

int ingest_archive(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
		   struct ingest_result *r, const char **error_r)
{
	return ingest_archive_store(in->st, raw, len, src, r, error_r);
}

int ingest_archive_store(struct store *st, const char *raw, size_t len, const struct ingest_source *src,
			 struct ingest_result *r, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	size_t body = quick_body_offset(raw, len);
	char hash[65];
	digest_sha256_hex(raw + body, len - body, hash);
	struct st_message m = { 0 };
	m.message_id = quick_msgid(raw, len);
	m.body_hash = hash;
	m.source = (char *)src->source;
	m.source_ref = (char *)src->ref;
	struct buf rc = BUF_INIT;
	for (int i = 0; i < src->nrcpts; i++)
		buf_printf(&rc, "%s%s", i ? "," : "", src->rcpts[i]);
	if (src->session_slug)
		buf_printf(&rc, "%ssession:%s", rc.len ? "," : "", src->session_slug);
	m.rcpt = rc.len ? (char *)buf_cstr(&rc) : NULL;
	m.raw = (char *)raw;
	m.rawlen = len;
	m.received = clock_now();
	m.sender = quick_header(raw, len, "From");
	int ret;
	if (store_begin(st) < 0) {
		*error_r = store_error(st);
		ret = -1;
		goto out;
	}
	ret = store_message_add(st, &m, &r->message_row);
	if (ret >= 0 && src->in_tx && src->in_tx(src->arg, st) < 0)
		ret = -1;
	if (ret < 0 || store_commit(st) < 0) {
		store_rollback(st);
		*error_r = store_last_full(st) ? "the store is full" : store_error(st);
		ret = -1;
		goto out;
	}
	r->duplicate = ret == 1;
	log_set_context(NULL, m.message_id);
	log_info("%s %lld, from %s %s", ret == 1 ? "duplicate of message" : "archived as message",
		 (long long)r->message_row, src->source, src->ref ? src->ref : "-");
	log_set_context(NULL, NULL);
	r->message_id = m.message_id; /* now r's (not on failure: freed below) */
	m.message_id = NULL;
out:
	free(m.message_id);
	free(m.sender);
	buf_free(&rc);
	return ret;
}

/* ---- routing ---- */

struct route {
	struct st_session ses;
	int found;
	char *tag;              /* the +tag of the address it came in by */
};

static int try_addr(struct ingest *in, const char *addr, struct route *rt)
{
	char *base, *tag;
	if (addr == NULL || listaddr_split(addr, &base, &tag) < 0)
		return 0;
	int r = store_session_by_list(in->st, base, &rt->ses);
	free(base);
	if (r == 0) {
		rt->found = 1;
		rt->tag = tag;
		return 1;
	}
	free(tag);
	return 0;
}

static void addrs_of(const char *value, struct buf *out)
{
	/* addresses in a header value: <a@b> forms, else bare tokens with '@' */
	const char *p = value;
	int any = 0;
	while ((p = strchr(p, '<')) != NULL) {
		const char *e = strchr(p, '>');
		if (e == NULL)
			break;
		buf_append(out, p + 1, (size_t)(e - p - 1));
		buf_putc(out, '\n');
		any = 1;
		p = e + 1;
	}
	if (any)
		return;
	char *copy = xstrdup(value);
	for (char *t = copy; *t;) {
		size_t n = strcspn(t, ", ;\t");
		if (n && memchr(t, '@', n)) {
			buf_append(out, t, n);
			buf_putc(out, '\n');
		}
		t += n;
		if (*t)
			t++;
	}
	free(copy);
}

static void route(struct ingest *in, const struct st_message *row, const struct mail_msg *msg,
		  struct route *rt)
{
	memset(rt, 0, sizeof(*rt));
	struct buf cand = BUF_INIT;
	/* the envelope first (LMTP recipients, tagctl inject --session) */
	if (row->rcpt) {
		char *copy = xstrdup(row->rcpt);
		for (char *t = copy; *t;) {
			size_t n = strcspn(t, ",");
			char save = t[n];
			t[n] = '\0';
			if (str_starts(t, "session:")) {
				if (store_session_get(in->st, t + 8, &rt->ses) == 0)
					rt->found = 1;
			} else {
				buf_puts(&cand, t);
				buf_putc(&cand, '\n');
			}
			t += n + (save ? 1 : 0);
		}
		free(copy);
	}
	static const char *const hdrs[] = { "Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc" };
	for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
		int i = -1;
		const char *v;
		while ((v = mail_header_next(msg, hdrs[h], &i)) != NULL)
			addrs_of(v, &cand);
	}
	for (int i = 0; i < msg->nto; i++)
		if (msg->to[i].addr) {
			buf_puts(&cand, msg->to[i].addr);
			buf_putc(&cand, '\n');
		}
	for (int i = 0; i < msg->ncc; i++)
		if (msg->cc[i].addr) {
			buf_puts(&cand, msg->cc[i].addr);
			buf_putc(&cand, '\n');
		}
	char *list = buf_steal(&cand, NULL);
	for (char *t = list; *t;) {
		size_t n = strcspn(t, "\n");
		char save = t[n];
		t[n] = '\0';
		char *a = str_trim(t);
		if (rt->found) {
			/* forced session: still pick up a +tag sent to its list address */
			char *base, *tag;
			if (rt->tag == NULL && listaddr_split(a, &base, &tag) == 0) {
				if (str_casecmp(base, rt->ses.list_addr) == 0 && tag)
					rt->tag = tag;
				else
					free(tag);
				free(base);
			}
		} else if (*a) {
			try_addr(in, a, rt);
		}
		t += n + (save ? 1 : 0);
	}
	free(list);
}

/* ---- commands ---- */

static const char *const command_words[] = { "join", "subscribe", "leave", "unsubscribe", "help",
					      "mode", "each", "digest", "nomail", NULL };

static const char *command_word(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	for (int i = 0; command_words[i]; i++) {
		size_t n = strlen(command_words[i]);
		if (str_ncasecmp(s, command_words[i], n) == 0 &&
		    (s[n] == '\0' || s[n] == ' ' || s[n] == '\t' || s[n] == '\n' || s[n] == '\r' ||
		     (s[n] == '.' && (s[n + 1] == '\0' || s[n + 1] == '\n'))))
			return command_words[i];
	}
	return NULL;
}

static const char *canonical(const char *w)
{
	if (strcmp(w, "subscribe") == 0)
		return "join";
	if (strcmp(w, "unsubscribe") == 0)
		return "leave";
	return w;
}

/* the command a message carries: by its +tag, its whole subject, or a
   first line of new text that is the command alone (a short body) */
static const char *find_command(const char *tag, const struct mail_msg *msg, char *arg, size_t argsize)
{
	arg[0] = '\0';
	if (tag) {
		const char *w = command_word(tag);
		if (w && strlen(w) == strlen(tag))
			return canonical(w);
		if (str_starts(tag, "confirm-"))
			return "confirm";
		if (str_starts(tag, "mode-")) {
			snprintf(arg, argsize, "%s", tag + 5);
			return "mode";
		}
	}
	const char *subj = msg->subject ? msg->subject : "";
	while (str_istarts(subj, "re:") || str_istarts(subj, "aw:") || str_istarts(subj, "sv:") ||
	       str_istarts(subj, "fwd:") || str_istarts(subj, "fw:"))
		subj = strchr(subj, ':') + 1;
	while (*subj == ' ')
		subj++;
	const char *w = command_word(subj);
	if (w && strlen(subj) <= strlen(w) + 20 && !strchr(subj + strlen(w), ':')) {
		snprintf(arg, argsize, "%s", subj + strlen(w));
		return canonical(w);
	}
	/* the new text (quotes, signatures and footers cut away) that is the
	   command alone, or the command and a short sign-up form */
	struct buf fresh = BUF_INIT;
	reply_new_text(msg->text ? msg->text : "", &fresh);
	const char *t = buf_cstr(&fresh);
	while (*t == '\n' || *t == ' ' || *t == '\r')
		t++;
	w = command_word(t);
	size_t linelen = strcspn(t, "\n");
	if (w == NULL || linelen > strlen(w) + 12 || (strcmp(w, "join") != 0 && strcmp(w, "subscribe") != 0 &&
						       strlen(t + linelen) > 200)) {
		buf_free(&fresh);
		return NULL;
	}
	snprintf(arg, argsize, "%.*s", (int)(linelen - strlen(w)), t + strlen(w));
	buf_free(&fresh);
	return canonical(w);
}

/* ---- processing ---- */

static int is_participant_cb(void *arg, const char *addr)
{
	struct ingest *in = arg;
	struct st_participant p;
	if (in->cur_session == 0)
		return 0;
	int r = store_participant_get(in->st, in->cur_session, addr, &p);
	if (r == 0) {
		int active = strcmp(p.status, "active") == 0;
		st_participant_free(&p);
		return active;
	}
	struct st_session s;
	if (store_session_get_id(in->st, in->cur_session, &s) != 0)
		return 0;
	int org = 0;
	for (int i = 0; i < s.norganizers; i++)
		if (str_casecmp(s.organizers[i].email, addr) == 0)
			org = 1;
	st_session_free(&s);
	return org;
}

static struct index_cache *revision_index(struct ingest *in, int64_t session_id, int revision)
{
	for (int i = 0; i < in->ncache; i++)
		if (in->cache[i].session_id == session_id && in->cache[i].revision == revision)
			return &in->cache[i];
	struct st_block *b;
	int n;
	if (store_revision_blocks(in->st, session_id, revision, &b, &n) < 0)
		return NULL;
	in->cache = xreallocarray(in->cache, (size_t)in->ncache + 1, sizeof(*in->cache));
	struct index_cache *c = &in->cache[in->ncache++];
	memset(c, 0, sizeof(*c));
	c->session_id = session_id;
	c->revision = revision;
	c->paras = xcalloc((size_t)n + 1, sizeof(*c->paras));
	c->pids = xcalloc((size_t)n + 1, sizeof(*c->pids));
	for (int i = 0; i < n; i++) {
		if (b[i].number == 0)
			continue;
		c->paras[c->nparas].number = b[i].number;
		c->paras[c->nparas].text = xstrdup(b[i].text);
		c->pids[c->nparas] = b[i].paragraph_id;
		c->nparas++;
	}
	st_block_list_free(&b, n);
	c->idx = thread_index_new(c->paras, c->nparas);
	return c;
}

static int64_t pid_of(const struct index_cache *c, int number)
{
	for (int i = 0; i < c->nparas; i++)
		if (c->paras[i].number == number)
			return c->pids[i];
	return 0;
}

static void set_reason(struct ingest_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(struct ingest_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

static const char *state_for(enum msg_class c)
{
	switch (c) {
	case CLASS_HELD:
	case CLASS_REJECTED:
		return "held";
	default:
		return "done";
	}
}

/* words - the first n words of s, with "…" when cut */
static void words(const char *s, int n, struct buf *out)
{
	const char *p = s;
	int w = 0;
	while (*p && (*p == ' ' || *p == '\n'))
		p++;
	const char *start = p;
	while (*p && w < n) {
		while (*p && *p != ' ' && *p != '\n')
			p++;
		w++;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	size_t len = (size_t)(p - start);
	while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\n'))
		len--;
	for (size_t i = 0; i < len; i++)
		buf_putc(out, start[i] == '\n' ? ' ' : start[i]);
	if (*p)
		buf_puts(out, "…");
}

/* queue_ack - tell the author where their words landed (session setting
   "acknowledge", on by default) */
static int queue_ack(struct ingest *in, const struct st_session *ses, const struct st_message *row,
		     const struct mail_msg *msg, const struct st_participant *author,
		     const struct index_cache *c, const struct ingest_result *r)
{
	const struct session_conf *sc = mailout_session_conf(in->mo, ses);
	int ack = sc ? sc->ack : 1;
	if (!ack || author == NULL || r->ncomments == 0)
		return 0;
	struct tval *v = mailout_vars(in->mo, ses, author->name, author->email);
	struct tval *counts = tval_set_map(v, "counts");
	tval_set_int(counts, "comments", r->ncomments);
	tval_set_bool(counts, "one", r->ncomments == 1);
	struct tval *list = tval_set_list(v, "comments");
	struct buf b = BUF_INIT;
	for (int i = 0; i < r->ncomments; i++) {
		struct tval *m = tval_list_add_map(list);
		int num = r->comments[i].paragraph;
		tval_set_int(m, "paragraph", num);
		tval_set_bool(m, "whole_draft", num == 0);
		buf_reset(&b);
		for (int k = 0; k < c->nparas; k++)
			if (c->paras[k].number == num)
				words(c->paras[k].text, 6, &b);
		tval_set_str(m, "excerpt", buf_cstr(&b));
		buf_reset(&b);
		words(r->comments[i].text, 8, &b);
		tval_set_str(m, "snippet", buf_cstr(&b));
	}
	buf_free(&b);
	char purpose[64], what[32];
	snprintf(purpose, sizeof(purpose), "ack:%lld", (long long)row->id);
	snprintf(what, sizeof(what), "%lld", (long long)row->id);
	struct mailout_msg m;
	memset(&m, 0, sizeof(m));
	m.ses = ses;
	m.kind = "ack";
	m.purpose = purpose;
	m.to_addr = author->email;
	m.to_name = author->name;
	m.participant_id = author->id;
	m.vars = v;
	m.msgid_kind = "ack";
	m.msgid_what = what;
	m.comment_id = r->comments[0].id;
	m.in_reply_to = msg->message_id;
	m.automatic = 1;
	const char *err;
	int q = mailout_queue(in->mo, &m, NULL, &err);
	/* the comments matter more than their acknowledgement: keep them */
	if (q < 0)
		log_error("acknowledgement not queued: %s", err);
	tval_free(&v);
	return 0;
}

/* take_move - "move 2 to ¶5" in a reply to an acknowledgement: file the
   author's comments again. 1 if the message was such a correction. */
static int take_move(struct ingest *in, const struct st_session *ses, const struct mail_msg *msg,
		     const struct st_participant *author, struct ingest_result *r, int *err_r)
{
	*err_r = 0;
	if (author == NULL)
		return 0;
	struct st_sent_ref ref;
	int found = 0;
	const char *ids[64];
	int nids = 0;
	if (msg->in_reply_to)
		ids[nids++] = msg->in_reply_to;
	for (int i = msg->nreferences - 1; i >= 0 && nids < 64; i--)
		ids[nids++] = msg->references[i];
	for (int i = 0; i < nids && !found; i++) {
		if (store_sent_ref_get(in->st, ids[i], &ref) == 0) {
			if (strcmp(ref.kind, "ack") == 0 && ref.session_id == ses->id && ref.comment_id)
				found = 1;
			else
				st_sent_ref_free(&ref);
		}
	}
	if (!found)
		return 0;
	struct st_comment first;
	struct st_comment *list = NULL;
	int n = 0;
	if (store_comment_get(in->st, ref.comment_id, &first) != 0) {
		st_sent_ref_free(&ref);
		return 0;
	}
	int moved = 0, bad = 0;
	if (store_comment_by_message(in->st, first.message_id, &list, &n) < 0) {
		*err_r = 1;
		goto out;
	}
	struct buf fresh = BUF_INIT, done = BUF_INIT;
	reply_new_text(msg->text ? msg->text : "", &fresh);
	for (const char *line = buf_cstr(&fresh); *line;) {
		size_t len = strcspn(line, "\n");
		char l[256];
		snprintf(l, sizeof(l), "%.*s", (int)(len < 255 ? len : 255), line);
		line += len + (line[len] ? 1 : 0);
		char *t = str_trim(l);
		int which, to;
		char rest[64] = "";
		if (!str_istarts(t, "move ") ||
		    (sscanf(t + 5, "%d to ¶%d%63s", &which, &to, rest) < 2 &&
		     sscanf(t + 5, "%d to paragraph %d%63s", &which, &to, rest) < 2 &&
		     sscanf(t + 5, "%d to para %d%63s", &which, &to, rest) < 2 &&
		     sscanf(t + 5, "%d to p%d%63s", &which, &to, rest) < 2 &&
		     sscanf(t + 5, "%d to [%d]%63s", &which, &to, rest) < 2 &&
		     sscanf(t + 5, "%d to %d%63s", &which, &to, rest) < 2))
			continue;
		if (which < 1 || which > n || str_casecmp(list[which - 1].author_email, author->email) != 0) {
			bad++;
			continue;
		}
		const struct st_comment *k = &list[which - 1];
		int64_t pid = 0;
		if (to != 0 && store_paragraph_id(in->st, ses->id, k->revision, to, &pid) != 0) {
			bad++;
			continue;
		}
		if (store_comment_move(in->st, k->id, pid, k->revision, to) < 0) {
			*err_r = 1;
			break;
		}
		buf_printf(&done, "%scomment %d to %s%d", moved ? ", " : "", which, to ? "¶" : "the draft as a whole, ", to);
		moved++;
	}
	buf_free(&fresh);
	if (moved || bad) {
		r->class = CLASS_COMMAND;
		r->command = xstrdup("move");
		if (moved)
			set_reason(r, "moved %s%s", buf_cstr(&done), bad ? "; some lines named no comment or paragraph" : "");
		else
			set_reason(r, "a move request naming no comment or paragraph of this revision");
	}
	buf_free(&done);
out:
	st_comment_list_free(&list, n);
	st_comment_free(&first);
	st_sent_ref_free(&ref);
	return moved || bad ? 1 : 0;
}

/* thread_comments - thread a participant's comment and store it */
static int take_comments(struct ingest *in, const struct st_message *row, const struct mail_msg *msg,
			 const struct route *rt, const struct st_participant *author,
			 struct ingest_result *r)
{
	struct msg_context ctx;
	context_resolve(in->st, &rt->ses, rt->tag, msg, row->received, &ctx);
	struct index_cache *c = revision_index(in, rt->ses.id, ctx.revision);
	if (c == NULL)
		return -1;
	if (c->nparas == 0) {
		r->class = CLASS_HELD;
		set_reason(r, "the session has no draft yet");
		return 0;
	}
	struct thread_input ti = { 0 };
	ti.body = msg->text;
	ti.subject = msg->subject;
	ti.paras = c->paras;
	ti.nparas = c->nparas;
	ti.index = c->idx;
	ti.context_paragraph = ctx.paragraph;
	ti.has_parent = ctx.parent_id != 0;
	ti.author = msg->from.name;
	struct thread_result tr;
	thread_extract(&ti, &tr);
	if (tr.ncomments == 0) {
		r->class = CLASS_HELD;
		set_reason(r, "no new text found in the reply");
		thread_result_free(&tr);
		return 0;
	}
	int late = 0;
	time_t closes_end;
	char day[16];
	snprintf(day, sizeof(day), "%s", rt->ses.closes);
	int y, mo, d;
	if (sscanf(day, "%d-%d-%d", &y, &mo, &d) == 3 &&
	    clock_make_local(rt->ses.timezone, y, mo, d + 1, 0, 0, &closes_end) == 0 &&
	    row->received >= closes_end)
		late = 1;
	r->comments = xcalloc((size_t)tr.ncomments, sizeof(*r->comments));
	for (int i = 0; i < tr.ncomments; i++) {
		const struct thread_comment *tc = &tr.comments[i];
		struct st_comment sc = { 0 };
		struct buf nums = BUF_INIT;
		for (int k = 0; k < tc->nparagraphs; k++)
			buf_printf(&nums, "%s%d", k ? "," : "", tc->paragraphs[k]);
		sc.session_id = rt->ses.id;
		sc.message_id = row->id;
		sc.position = i;
		sc.paragraph_id = tc->paragraph ? pid_of(c, tc->paragraph) : 0;
		sc.revision = ctx.revision;
		sc.number = tc->paragraph;
		sc.paragraphs = nums.len ? (char *)buf_cstr(&nums) : NULL;
		sc.parent_id = ctx.parent_id;
		sc.author_id = author ? author->id : 0;
		sc.author_email = msg->from.addr;
		sc.text = tc->text;
		sc.anchor = tc->anchor;
		sc.how = (char *)thread_how_name(tc->how);
		sc.late = late;
		sc.created = row->received;
		int64_t id = 0;
		if (store_comment_add(in->st, &sc, &id) < 0) {
			buf_free(&nums);
			thread_result_free(&tr);
			return -1;
		}
		struct ingest_comment *ic = &r->comments[r->ncomments++];
		ic->id = id;
		ic->paragraph = tc->paragraph;
		ic->nparagraphs = tc->nparagraphs;
		ic->paragraphs = xcalloc((size_t)tc->nparagraphs + 1, sizeof(int));
		if (tc->nparagraphs > 0)
			memcpy(ic->paragraphs, tc->paragraphs, (size_t)tc->nparagraphs * sizeof(int));
		ic->revision = ctx.revision;
		ic->parent = ctx.parent_id;
		ic->how = xstrdup(thread_how_name(tc->how));
		ic->text = xstrdup(tc->text);
		buf_free(&nums);
	}
	r->class = CLASS_COMMENT;
	set_reason(r, "%d comment%s%s", r->ncomments, r->ncomments == 1 ? "" : "s", late ? " (late)" : "");
	thread_result_free(&tr);
	/* after the close: kept, marked late, answered once with a note (a
	   session whose schedule never ran keeps the acknowledgement) */
	if (late && strcmp(rt->ses.state, "closed") == 0)
		return relay_late_note(in->st, in->mo, &rt->ses, author, r->comments[0].id, msg->message_id);
	if (queue_ack(in, &rt->ses, row, msg, author, c, r) < 0)
		return -1;
	int64_t ids[64];
	for (int i = 0; i < r->ncomments; i += 64) {
		int n = r->ncomments - i < 64 ? r->ncomments - i : 64;
		for (int k = 0; k < n; k++)
			ids[k] = r->comments[i + k].id;
		if (relay_comments(in->st, in->mo, &rt->ses, ids, n) < 0)
			return -1;
	}
	return 0;
}

/* send_ahead - the message to be processed next (id; 0: none) to the
   parser child, to be parsed while this one is filtered, threaded and
   stored (on 2 cores, bench/ IMAP took 10,000 messages in 5.9-7.2 s
   instead of 7.4-9.1 s). Only its bytes go ahead: the row is read again
   when its turn comes, so nothing stale is used. */
static void send_ahead(struct ingest *in, int64_t id)
{
	if (id <= 0)
		return;
	struct st_message next;
	if (store_message_get(in->st, id, &next) != 0)
		return;
	mail_parser_send_ahead(in->parser, next.raw, next.rawlen);
	st_message_free(&next);
}

/* process - ingest_process, with next_row (0: none) sent ahead */
static int process(struct ingest *in, int64_t message_row, int64_t next_row, struct ingest_result *r)
{
	struct st_message row;
	if (store_message_get(in->st, message_row, &row) != 0)
		return -1;
	r->message_row = message_row;
	if (r->message_id == NULL && row.message_id)
		r->message_id = xstrdup(row.message_id);
	log_set_context(NULL, row.message_id);
	struct mail_msg *msg = NULL;
	const char *perr = NULL;
	struct route rt;
	memset(&rt, 0, sizeof(rt));
	struct filter_ctx fc;
	memset(&fc, 0, sizeof(fc));
	struct st_participant author;
	memset(&author, 0, sizeof(author));
	int have_author = 0;
	int ret = 0;

	int parsed = mail_parser_parse(in->parser, row.raw, row.rawlen, &msg, &perr);
	if (parsed < 0) {
		r->class = CLASS_REJECTED;
		set_reason(r, "unreadable message: %s", perr); /* before the parser is used again */
	}
	send_ahead(in, next_row);
	if (parsed < 0)
		goto decided;
	route(in, &row, msg, &rt);
	if (rt.found) {
		r->session = xstrdup(rt.ses.slug);
		log_set_context(rt.ses.slug, row.message_id);
	}
	in->cur_session = rt.found ? rt.ses.id : 0;
	const char *lid[MAX_OWN], *own[MAX_OWN];
	for (int i = 0; i < in->nown; i++) {
		lid[i] = in->list_ids[i];
		own[i] = in->own_addrs[i];
	}
	struct filter_env env = { 0 };
	env.max_size = (size_t)in->cfg->max_message_size;
	env.list_ids = lid;
	env.nlist_ids = in->nown;
	env.own_addrs = own;
	env.nown_addrs = in->nown;
	env.loop_token = in->loop_token;
	env.is_participant = is_participant_cb;
	env.arg = in;
	env.external_program = in->cfg->external_program;
	env.external_timeout_ms = (int)in->cfg->external_timeout * 1000;
	fc.env = &env;
	fc.raw = row.raw;
	fc.rawlen = row.rawlen;
	fc.msg = msg;
	enum msg_class fclass = filter_chain_run(in->chain, in->nchain, &fc);
	if (fclass != CLASS_NONE) {
		r->class = fclass;
		snprintf(r->reason, sizeof(r->reason), "%s", fc.reason);
		if (fclass == CLASS_BOUNCE && rt.found)
			ret = rsvp_note_bounce(in->st, &rt.ses, fc.verp_token, fc.bounce_recipient,
					       fc.bounce_permanent, (int)in->cfg->bounce_threshold);
		goto decided;
	}
	/* an answer to the launch call's invitation */
	for (int i = 0; i < msg->nparts; i++) {
		const struct mail_part *p = &msg->parts[i];
		if (p->role != MAIL_PART_CALENDAR)
			continue;
		char answer[32] = "";
		int rr = rsvp_take(in->st, in->mo, rt.found ? &rt.ses : NULL, p->data, p->len, p->method,
				   answer, sizeof(answer), r->reason, sizeof(r->reason));
		if (rr < 0) {
			ret = -1;
			goto decided;
		}
		if (rr == 1) {
			r->class = CLASS_RSVP;
			r->rsvp = xstrdup(answer);
			goto decided;
		}
	}
	if (!rt.found) {
		r->class = CLASS_HELD;
		set_reason(r, "not addressed to any session's list address");
		goto decided;
	}
	if (trust_is_vouch(rt.tag)) {
		ret = trust_vouch(in, in->st, &rt.ses, msg, rt.tag, r);
		goto decided;
	}
	if (msg->from.addr && store_participant_get(in->st, rt.ses.id, msg->from.addr, &author) == 0)
		have_author = 1;
	if (have_author) {
		int merr;
		if (take_move(in, &rt.ses, msg, &author, r, &merr)) {
			ret = merr ? -1 : 0;
			goto decided;
		}
	}
	if (revise_is_tag(rt.tag)) {
		ret = revise_take(in->st, in->mo, in->cfg, &rt.ses, msg, row.id, rt.tag, &r->class, r->reason,
				  sizeof(r->reason));
		if (r->class == CLASS_COMMAND)
			r->command = xstrdup("revise");
		goto decided;
	}
	char arg[128];
	const char *word = find_command(rt.tag, msg, arg, sizeof(arg));
	if (word) {
		struct signup_request rq;
		memset(&rq, 0, sizeof(rq));
		rq.ses = &rt.ses;
		rq.msg = msg;
		rq.word = word;
		rq.arg = arg;
		rq.tag = rt.tag;
		rq.author = have_author ? &author : NULL;
		rq.message_row = row.id;
		r->class = CLASS_COMMAND;
		r->command = xstrdup(word);
		ret = signup_command(in->st, in->mo, &rq, r->reason, sizeof(r->reason));
		goto decided;
	}
	if (rt.tag && str_starts(rt.tag, "bounces-")) {
		r->class = CLASS_HELD;
		set_reason(r, "mail to +%s is for organizers to review", rt.tag);
		goto decided;
	}
	if (!fc.from_participant && !in->releasing) {
		r->class = CLASS_HELD;
		set_reason(r, "from %s, who is not a participant", msg->from.addr ? msg->from.addr : "an unknown sender");
		goto decided;
	}
	if (!in->releasing &&
	    trust_hold(in->st, in->mo, in->cfg, &rt.ses, &row, msg, have_author ? &author : NULL, r, &ret))
		goto decided;
	ret = take_comments(in, &row, msg, &rt, have_author ? &author : NULL, r);

decided:
	if (ret == 0) {
		const char *cname = msg_class_name(r->class);
		if (store_message_set_result(in->st, row.id, rt.found ? rt.ses.id : 0, cname, r->reason,
					     state_for(r->class), msg ? msg->from.addr : NULL,
					     msg ? msg->subject : NULL) < 0)
			ret = -1;
		else
			log_info("%s: %s", cname, r->reason);
	}
	log_set_context(NULL, NULL);
	if (have_author)
		st_participant_free(&author);
	filter_ctx_free(&fc);
	if (rt.found)
		st_session_free(&rt.ses);
	free(rt.tag);
	mail_msg_free(&msg);
	st_message_free(&row);
	return ret;
}

int ingest_process(struct ingest *in, int64_t message_row, struct ingest_result *r)
{
	return process(in, message_row, 0, r);
}

void ingest_note_duplicate(struct ingest_result *r)
{
	r->class = CLASS_DUPLICATE;
	snprintf(r->reason, sizeof(r->reason), "seen before as message %lld", (long long)r->message_row);
}

int ingest_process_next(struct ingest *in, int64_t message_row, int64_t next_row, struct ingest_result *r,
			const char **error_r)
{
	if (store_begin(in->st) < 0) {
		*error_r = store_error(in->st);
		return -1;
	}
	if (process(in, message_row, next_row, r) < 0 || store_commit(in->st) < 0) {
		store_rollback(in->st);
		*error_r = "processing failed; the message is kept and will be processed again";
		return -1;
	}
	return 0;
}

int ingest_message(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
		   struct ingest_result *r, const char **error_r)
{
	int a = ingest_archive(in, raw, len, src, r, error_r);
	if (a < 0)
		return -1;
	if (a == 1) {
		ingest_note_duplicate(r);
		return 0;
	}
	return ingest_process_next(in, r->message_row, 0, r, error_r);
}

int ingest_release(struct ingest *in, int64_t message_row, struct ingest_result *r)
{
	if (store_begin(in->st) < 0)
		return -1;
	in->releasing = 1;
	int rc = ingest_process(in, message_row, r);
	in->releasing = 0;
	if (rc < 0 || store_commit(in->st) < 0) {
		store_rollback(in->st);
		return -1;
	}
	return r->class == CLASS_COMMENT ? 0 : 1;
}

int ingest_resume(struct ingest *in)
{
	int64_t *ids;
	int n;
	if (store_message_pending(in->st, &ids, &n) < 0)
		return -1;
	/* one commit (one fsync) per group of messages, each message in a
	   savepoint of its own inside it: a message that fails is rolled back
	   alone. Nothing outside waits on processing (sources were answered
	   when the message was archived), and a crash only means the group is
	   processed again (bench/: a commit per message held IMAP ingest to a
	   fraction of the fetch rate). */
	int done = 0, in_group = 0, group_done = 0;
	struct timespec g0 = { 0, 0 };
	for (int i = 0; i < n; i++) {
		if (in_group == 0) {
			if (store_begin(in->st) < 0)
				break;
			clock_gettime(CLOCK_MONOTONIC, &g0);
			group_done = 0;
		}
		in_group++;
		struct ingest_result r;
		memset(&r, 0, sizeof(r));
		if (store_begin(in->st) < 0) {
			ingest_result_free(&r);
			break;
		}
		if (process(in, ids[i], i + 1 < n ? ids[i + 1] : 0, &r) < 0 || store_commit(in->st) < 0)
			store_rollback(in->st);
		else
			group_done++;
		ingest_result_free(&r);
		struct timespec g1;
		clock_gettime(CLOCK_MONOTONIC, &g1);
		long ms = (g1.tv_sec - g0.tv_sec) * 1000 + (g1.tv_nsec - g0.tv_nsec) / 1000000;
		if (in_group >= RESUME_GROUP || ms >= RESUME_GROUP_MS || i + 1 == n ||
		    (ms >= RESUME_YIELD_MS && store_gate_waiting(in->st))) {
			in_group = 0;
			if (store_commit(in->st) < 0)
				store_rollback(in->st);
			else
				done += group_done;
		}
	}
	if (in_group > 0) {
		if (store_commit(in->st) < 0)
			store_rollback(in->st);
		else
			done += group_done;
	}
	free(ids);
	return done;
}

void ingest_result_free(struct ingest_result *r)
{
	free(r->message_id);
	free(r->session);
	free(r->command);
	free(r->rsvp);
	for (int i = 0; i < r->ncomments; i++) {
		free(r->comments[i].paragraphs);
		free(r->comments[i].how);
		free(r->comments[i].text);
	}
	free(r->comments);
	memset(r, 0, sizeof(*r));
}

void ingest_result_json(const struct ingest_result *r, const char *file, struct buf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kstr(&j, "file", file);
	json_kstr(&j, "message_id", r->message_id);
	json_kint(&j, "message", r->message_row);
	json_kstr(&j, "session", r->session);
	json_kstr(&j, "class", msg_class_name(r->class));
	json_kstr(&j, "reason", r->reason);
	if (r->command)
		json_kstr(&j, "command", r->command);
	if (r->rsvp)
		json_kstr(&j, "rsvp", r->rsvp);
	json_key(&j, "comments");
	json_arr_begin(&j);
	for (int i = 0; i < r->ncomments; i++) {
		const struct ingest_comment *c = &r->comments[i];
		json_obj_begin(&j);
		json_kint(&j, "id", c->id);
		json_kint(&j, "paragraph", c->paragraph);
		json_key(&j, "paragraphs");
		json_arr_begin(&j);
		for (int k = 0; k < c->nparagraphs; k++)
			json_int(&j, c->paragraphs[k]);
		json_arr_end(&j);
		json_kint(&j, "revision", c->revision);
		json_key(&j, "parent");
		if (c->parent)
			json_int(&j, c->parent);
		else
			json_null(&j);
		json_kstr(&j, "how", c->how);
		json_kstr(&j, "text", c->text);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
