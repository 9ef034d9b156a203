/* mailout.c - render, compose and queue list mail */
#include "config.h"
#include "tag/mailout.h"
#include "tag/context.h"
#include "tag/session.h"
#include "tag/token.h"
#include "lib/clock.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mailout {
	struct store *st;
	const struct tagd_config *cfg;
	char *conf_source;              /* the session source conf was parsed from */
	struct session_conf conf;
	int conf_ok;                    /* 1: conf holds it; 0: it did not parse */
};

struct mailout *mailout_new(struct store *st, const struct tagd_config *cfg)
{
	struct mailout *mo = xcalloc(1, sizeof(*mo));
	mo->st = st;
	mo->cfg = cfg;
	return mo;
}

/* conf_drop - forget the kept session settings */
static void conf_drop(struct mailout *mo)
{
	if (mo->conf_ok)
		session_conf_free(&mo->conf);
	mo->conf_ok = 0;
	free(mo->conf_source);
	mo->conf_source = NULL;
}

void mailout_free(struct mailout **mo)
{
	if (*mo == NULL)
		return;
	conf_drop(*mo);
	free(*mo);
	*mo = NULL;
}

const struct session_conf *mailout_session_conf(struct mailout *mo, const struct st_session *ses)
{
	const char *src = ses->source ? ses->source : "";
	if (mo->conf_source == NULL || strcmp(mo->conf_source, src) != 0) {
		conf_drop(mo);
		mo->conf_source = xstrdup(src);
		mo->conf_ok = session_conf_of(ses, &mo->conf) == 0;
	}
	return mo->conf_ok ? &mo->conf : NULL;
}

void mailout_reload(struct mailout *mo, const struct tagd_config *cfg)
{
	mo->cfg = cfg;
	render_cache_clear();
}

void mailout_date(const char *ymd, char *out, size_t size)
{
	int y, m, d;
	time_t t;
	if (ymd && sscanf(ymd, "%d-%d-%d", &y, &m, &d) == 3 && clock_make_local("UTC", y, m, d, 12, 0, &t) == 0)
		clock_format(t, "UTC", "%A %-d %B %Y", out, size);
	else
		snprintf(out, size, "%s", ymd ? ymd : "");
}

void mailout_token(struct mailout *mo, const char *a, const char *b, char out[17])
{
	unsigned char key[32], mac[DIGEST_SHA256_LEN];
	if (store_secret(mo->st, key) < 0)
		memset(key, 0, sizeof(key));
	char *msg = xasprintf("msgid:%s:%s", a, b ? b : "");
	digest_hmac_sha256(key, sizeof(key), msg, strlen(msg), mac);
	free(msg);
	str_hex(mac, 8, out);
}

struct tval *mailout_vars(struct mailout *mo, const struct st_session *ses,
			  const char *to_name, const char *to_addr)
{
	(void)mo;
	struct tval *v = tval_map();
	struct tval *s = tval_set_map(v, "session");
	char buf[64];
	tval_set_str(s, "title", ses->title);
	tval_set_str(s, "slug", ses->slug);
	tval_set_str(s, "list", ses->list_addr);
	mailout_date(ses->opens, buf, sizeof(buf));
	tval_set_str(s, "opens", buf);
	mailout_date(ses->closes, buf, sizeof(buf));
	tval_set_str(s, "closes", buf);
	tval_set_str(s, "timezone", ses->timezone);
	snprintf(buf, sizeof(buf), "%02d:%02d", ses->digest_at / 60, ses->digest_at % 60);
	tval_set_str(s, "digest_at", buf);
	struct buf names = BUF_INIT;
	for (int i = 0; i < ses->norganizers; i++) {
		const char *n = ses->organizers[i].name ? ses->organizers[i].name : ses->organizers[i].email;
		buf_printf(&names, "%s%s", i == 0 ? "" : i + 1 == ses->norganizers ? " and " : ", ", n);
	}
	tval_set_str(s, "organizers", buf_cstr(&names));
	buf_free(&names);
	tval_set_str(s, "contact", ses->norganizers ? ses->organizers[0].email : ses->list_addr);
	char *a = listaddr_make(ses->list_addr, "help");
	tval_set_str(s, "help_addr", a);
	free(a);
	a = listaddr_make(ses->list_addr, "join");
	tval_set_str(s, "join_addr", a);
	free(a);
	a = listaddr_make(ses->list_addr, "leave");
	tval_set_str(s, "leave_addr", a);
	free(a);
	struct tval *goals = tval_set_list(s, "goals");
	for (int i = 0; i < ses->ngoals; i++)
		tval_set_str(tval_list_add_map(goals), "text", ses->goals[i]);
	struct tval *p = tval_set_map(v, "participant");
	tval_set_str(p, "name", to_name);
	tval_set_str(p, "email", to_addr);
	return v;
}

/* header_text - a copy of s for an unstructured header (a name, the
   subject) with control characters made blanks: names and subjects come
   from CSV files and incoming mail, and compose() refuses controls other
   than CR, LF and TAB, which would keep every mail to that person (or, in
   a subject, about them) from being sent. NULL stays NULL. */
static char *header_text(const char *s)
{
	if (s == NULL)
		return NULL;
	char *c = xstrdup(s);
	for (unsigned char *p = (unsigned char *)c; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

int mailout_queue(struct mailout *mo, const struct mailout_msg *m, int64_t *id_r, const char **error_r)
{
	static char err[512];
	const struct st_session *ses = m->ses;
	const char *domain = listaddr_domain(ses->list_addr);
	struct buf purpose = BUF_INIT, text = BUF_INIT, html = BUF_INIT, subject = BUF_INIT, raw = BUF_INIT;
	struct buf msgid = BUF_INIT;
	char *verp = NULL, *reply_to = NULL, *list_id = NULL, *list_post = NULL, *list_help = NULL;
	char *list_unsub = NULL, *unsub_token = NULL, *to_name = NULL, *subject_text = NULL;
	int ret = -1;
	if (m->purpose)
		buf_puts(&purpose, m->purpose);
	else
		buf_printf(&purpose, "%s:%s:%s", m->kind, ses->slug, m->to_addr);

	/* the session may carry its own template overrides */
	const char *override = mo->cfg->templates && *mo->cfg->templates ? mo->cfg->templates : NULL;
	const struct session_conf *sc = mailout_session_conf(mo, ses);
	if (sc && sc->templates && *sc->templates)
		override = sc->templates;
	const char *e;
	if (render_template(override, mo->cfg->template_dir, m->kind, 0, m->vars, &text, &e) < 0 ||
	    render_template(override, mo->cfg->template_dir, m->kind, 1, m->vars, &html, &e) < 0) {
		snprintf(err, sizeof(err), "template %s: %s", m->kind, e);
		goto out;
	}
	if (m->subject) {
		buf_puts(&subject, m->subject);
	} else if (render_template_subject(override, mo->cfg->template_dir, m->kind, m->vars, &subject, &e) < 0) {
		snprintf(err, sizeof(err), "template %s: subject: %s", m->kind, e);
		goto out;
	}
	char token[17];
	mailout_token(mo, m->to_addr, buf_cstr(&purpose), token);
	buf_printf(&msgid, "%s.%s%s%s@%s", m->msgid_kind ? m->msgid_kind : m->kind,
		   m->msgid_what ? m->msgid_what : "", m->msgid_what ? "." : "", token, domain);

	char subj[32];
	snprintf(subj, sizeof(subj), "%lld", (long long)m->participant_id);
	char *vtok = token_make(mo->st, "bounce", m->participant_id ? subj : "0");
	if (vtok == NULL) {
		snprintf(err, sizeof(err), "cannot make a token: %s", store_error(mo->st));
		goto out;
	}
	char *tag = xasprintf("bounces-%s", vtok);
	verp = listaddr_make(ses->list_addr, tag);
	free(tag);
	free(vtok);
	if (m->reply_to_tag)
		reply_to = listaddr_make(ses->list_addr, m->reply_to_tag);
	char *lid = xstrdup(ses->list_addr), *at = strrchr(lid, '@');
	if (at)
		*at = '.';
	list_id = xasprintf("%s <%s>", ses->title, lid);
	free(lid);
	list_post = xasprintf("<mailto:%s>", ses->list_addr);
	char *help = listaddr_make(ses->list_addr, "help");
	list_help = xasprintf("<mailto:%s?subject=help>", help);
	free(help);
	char *leave = listaddr_make(ses->list_addr, "leave");
	int one_click = 0;
	if (m->participant_id && mo->cfg->web_url && *mo->cfg->web_url) {
		unsub_token = token_make(mo->st, "unsubscribe", subj);
		list_unsub = xasprintf("<%s/unsubscribe/%s>, <mailto:%s?subject=unsubscribe>", mo->cfg->web_url,
				       unsub_token, leave);
		one_click = 1;
	} else {
		list_unsub = xasprintf("<mailto:%s?subject=unsubscribe>", leave);
	}
	free(leave);

	struct compose_mail cm;
	memset(&cm, 0, sizeof(cm));
	cm.from_name = ses->title;
	cm.from_addr = ses->list_addr;
	to_name = header_text(m->to_name);
	subject_text = header_text(buf_cstr(&subject));
	cm.to_name = to_name;
	cm.to_addr = m->to_addr;
	cm.reply_to = reply_to;
	cm.subject = subject_text;
	cm.message_id = buf_cstr(&msgid);
	cm.domain = domain;
	cm.in_reply_to = m->in_reply_to;
	cm.references = m->references;
	cm.nreferences = m->nreferences;
	cm.list_id = list_id;
	cm.list_post = list_post;
	cm.list_help = list_help;
	cm.list_unsubscribe = list_unsub;
	cm.list_unsubscribe_post = one_click;
	cm.auto_submitted = m->automatic ? 1 : 0;
	cm.precedence_list = m->list_mail;
	cm.x_loop = ses->list_addr;
	cm.text = buf_cstr(&text);
	cm.html = html.len ? buf_cstr(&html) : NULL;
	cm.calendar = m->calendar;
	cm.calendar_method = m->calendar_method;
	cm.att = m->att;
	cm.natt = m->natt;
	if (compose(&cm, &raw, &e) < 0) {
		snprintf(err, sizeof(err), "composing %s for %s: %s", m->kind, m->to_addr, e);
		goto out;
	}
	struct st_outbox o;
	memset(&o, 0, sizeof(o));
	o.purpose = (char *)buf_cstr(&purpose);
	o.session_id = ses->id;
	o.kind = (char *)m->kind;
	o.recipient = (char *)m->to_addr;
	o.mail_from = verp;
	o.message_id = (char *)buf_cstr(&msgid);
	o.raw = raw.data;
	o.rawlen = raw.len;
	o.next_attempt = m->not_before;
	int r = store_outbox_add(mo->st, &o, id_r);
	if (r < 0) {
		snprintf(err, sizeof(err), "outbox: %s", store_error(mo->st));
		goto out;
	}
	if (r == 0) {
		struct st_sent_ref ref;
		memset(&ref, 0, sizeof(ref));
		ref.message_id = (char *)buf_cstr(&msgid);
		ref.session_id = ses->id;
		ref.kind = (char *)(m->msgid_kind ? m->msgid_kind : m->kind);
		ref.revision = m->revision;
		ref.paragraph_id = m->paragraph_id;
		ref.comment_id = m->comment_id;
		ref.recipient = (char *)m->to_addr;
		if (store_sent_ref_add(mo->st, &ref) < 0) {
			snprintf(err, sizeof(err), "sent_ref: %s", store_error(mo->st));
			goto out;
		}
		log_debug(LOG_SUB_SMTP, "queued %s for %s (%s)", m->kind, m->to_addr, buf_cstr(&msgid));
	}
	ret = r;
out:
	if (ret < 0)
		*error_r = err;
	free(verp);
	free(reply_to);
	free(list_id);
	free(list_post);
	free(list_help);
	free(list_unsub);
	free(unsub_token);
	free(to_name);
	free(subject_text);
	buf_free(&purpose);
	buf_free(&text);
	buf_free(&html);
	buf_free(&subject);
	buf_free(&raw);
	buf_free(&msgid);
	return ret;
}
