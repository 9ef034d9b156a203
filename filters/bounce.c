#include "config.h"
/* The bounce stage: delivery status notifications (RFC 3464), the many
   non-standard bounces MTAs still send, and abuse feedback reports (RFC 5965
   ARF) are classed bounce, with the failed address, its status and whether
   the failure is permanent, so the TAG layer can score the participant's
   address. Mail to our VERP address (LIST+bounces-TOKEN@domain) carries the
   token that names the recipient we sent to, whatever the bounce says.

   What counts as a bounce, strongest first:
   - a multipart/report of type delivery-status or feedback-report, or a
     message/delivery-status (or feedback-report) part anywhere; Hotmail's
     older complaint format;
   - an X-Failed-Recipients header (Exim), an Amazon SES notification;
   - mail from MAILER-DAEMON;
   - mail from another mailer address (postmaster, "Mail Delivery System",
     an empty From) whose subject or text reads like a bounce;
   - mail from anyone whose subject reads like a bounce and whose text
     carries a mailer's wording, or that came with a null Return-Path or an
     Auto-Submitted mark (a forwarded or quoted bounce from a person has
     neither, and a reply's "Re:" subject never counts).
   A message that is none of these but was sent to our VERP address is a
   bounce too (a mailer answered the envelope sender), unless the autoreply
   stage took it first. */
#include "filters/filter.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* BOUNCE_MAX_SCAN - bytes of notification text searched for wording and addresses */
#define BOUNCE_MAX_SCAN ((size_t)64 * 1024)
/* BOUNCE_MAX_ADDR - longest address taken (RFC 5321 path limit) */
#define BOUNCE_MAX_ADDR 254
/* BOUNCE_MAX_RCPTS - per-recipient DSN blocks looked at */
#define BOUNCE_MAX_RCPTS 1000
/* BOUNCE_MAX_CANDIDATES - addresses weighed in a non-standard bounce */
#define BOUNCE_MAX_CANDIDATES 200

enum bounce_kind {
	BOUNCE_NONE = 0,
	BOUNCE_DSN,             /* delivery-status report */
	BOUNCE_ARF,             /* feedback report */
	BOUNCE_JMRP,            /* Hotmail's complaint: the reported message enclosed */
	BOUNCE_SES,             /* Amazon SES/SNS JSON notification */
	BOUNCE_XFR,             /* X-Failed-Recipients */
	BOUNCE_MAILER,          /* from MAILER-DAEMON */
	BOUNCE_HEURISTIC,       /* mailer sender or bounce wording */
};

/* Subject wording of bounces (lowercase substrings). */
static const char *const subject_markers[] = {
	"undeliver", "undelivered mail", "returned mail", "returned to sender",
	"returning message to sender", "mail delivery failed", "delivery failed",
	"delivery failure", "failure delivery", "failed delivery", "failure notice",
	"delivery status notification", "delivery notification", "delivery report",
	"delivery status", "non-delivery", "nondelivery", "not delivered",
	"could not be delivered", "couldn't be delivered", "delivery problem",
	"mail system error", "delayed mail", "message delayed", "delivery delayed",
	"delivery warning", "not yet been delivered", "still being retried",
	"permanent delivery failure", "delivery has failed", "failed mail",
	"mail failure", "failure notification", "error sending your mail",
	"error during delivery", "nameserver error", "mail error", "returned mail",
	"unzustellbar", "nicht zustellbar", "non remis", "non distribuable",
	"no se puede entregar", "no entregado", "onbestelbaar", "niet bezorgd",
	"kan inte levereras", "non recapitabile", "impossibile recapitare",
	"cannot send message", "delayed", "warning: message",
	"エラー通知", "不達", "配信エラー", "送信エラー", "未配達", "退信", "退回",
};

/* Mailer wording in a notification's text that people do not write
   (lowercase substrings). */
static const char *const strong_body_markers[] = {
	"this is the mail system at host",
	"this message was created automatically by mail delivery software",
	"could not be delivered to one or more",
	"a message that you sent could not be delivered",
	"a message that you sent has not yet been delivered",
	"this is the qmail-send program",
	"i'm afraid i wasn't able to deliver your message",
	"i'm sorry to have to inform you that your message could not",
	"sorry, we were unable to deliver your message",
	"the original message was received at",
	"following addresses had permanent fatal errors",
	"following addresses had transient non-fatal errors",
	"transcript of session follows",
	"delivery to the following recipient failed permanently",
	"delivery to the following recipients failed",
	"delivery to the following recipient has been delayed",
	"your message did not reach some or all of the intended recipients",
	"did not reach the following recipient",
	"delivery has failed to these recipients or groups",
	"your message wasn't delivered", "your message couldn't be delivered",
	"following recipient(s) could not be reached",
	"message could not be delivered", "could not be delivered to the following",
	"your message could not be delivered", "message delivery has failed",
	"smtp error from remote mail server", "retry time not reached",
	"will continue to try to deliver", "has been postponed", "could not deliver",
	"delivery attempts will continue", "message will be retried",
	"recipient address rejected", "reporting-mta:", "final-recipient:",
	"diagnostic-code:", "mailbox unavailable", "undeliverable",
	"unable to deliver", "delivery failed", "mail delivery failed",
	"permanent fatal error", "permanent error", "user unknown", "unknown user",
	"no such user", "host unknown", "mailbox full", "over quota",
	"quota exceeded", "not yet been delivered", "still being retried",
	"returned mail", "non-delivery", "could not be delivered",
	"550 5.", "550-5.", "554 5.", "553 5.", "552 5.", "said: 5", "said: 4",
};

/* Display names mailers send bounces under (lowercase substrings). */
static const char *const mailer_names[] = {
	"mail delivery", "mailer-daemon", "mailer daemon", "postmaster",
	"mail administrator", "system administrator", "ndr administrator",
	"delivery subsystem", "mail system", "mail deliver", "internet mail delivery",
};

/* Local parts of mailer addresses. */
static const char *const mailer_locals[] = {
	"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "maildaemon",
	"postmaster", "post_master", "mdaemon", "mail.delivery.system",
	"mail-delivery-system", "mail_delivery_system",
};

/* starts_reply_prefix - a subject of a reply or forward ("Re:", "Fwd:", ...) */
static int starts_reply_prefix(const char *s)
{
	static const char *const pfx[] = { "re:", "re :", "fw:", "fwd:", "aw:", "wg:",
					   "sv:", "vs:", "tr:", "rv:", "antw:", "r:" };
	while (*s == ' ' || *s == '\t')
		s++;
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (str_istarts(s, pfx[i]))
			return 1;
	return 0;
}

/* has_any - the lowercase text holds one of the markers */
static int has_any(const char *lower, const char *const *markers, size_t n)
{
	if (lower == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(lower, markers[i]) != NULL)
			return 1;
	return 0;
}

/* lower_copy - an ASCII-lowercased copy of at most max bytes of s */
static char *lower_copy(const char *s, size_t max)
{
	size_t n = s != NULL ? strnlen(s, max) : 0;
	char *c = xmemdup0(s != NULL ? s : "", n);
	for (size_t i = 0; i < n; i++)
		c[i] = (char)tolower((unsigned char)c[i]);
	return c;
}

/* local_part_is - the address's local part is one of the names */
static int local_part_is(const char *addr, const char *const *names, size_t n)
{
	if (addr == NULL)
		return 0;
	while (*addr == '<' || *addr == ' ' || *addr == '"')
		addr++;
	size_t l = strcspn(addr, "@> \"");
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == l && str_ncasecmp(addr, names[i], l) == 0)
			return 1;
	return 0;
}

/* is_part_type - the part has that content type */
static int is_part_type(const struct mail_part *p, const char *type)
{
	return p->content_type != NULL && str_casecmp(p->content_type, type) == 0;
}

/* find_part - the first leaf part of type (or of type2, if given); NULL if none */
static const struct mail_part *find_part(const struct mail_msg *m, const char *type,
					 const char *type2)
{
	for (int i = 0; i < m->nparts; i++)
		if (is_part_type(&m->parts[i], type) ||
		    (type2 != NULL && is_part_type(&m->parts[i], type2)))
			return &m->parts[i];
	return NULL;
}

/* The notification text: the body text and the other text parts (not the
   returned message's headers), lowercased for wording and kept as written
   for addresses, at the same offsets. */
struct notice {
	char *text;             /* as written */
	char *lower;            /* ASCII lowercase copy */
	size_t len;
};

/* notice_build - the notification text of m, capped at BOUNCE_MAX_SCAN */
static void notice_build(const struct mail_msg *m, struct notice *n)
{
	struct buf b;
	buf_init(&b, BOUNCE_MAX_SCAN);
	if (m->text != NULL)
		buf_append(&b, m->text, strnlen(m->text, BOUNCE_MAX_SCAN));
	for (int i = 0; i < m->nparts && !b.overflowed; i++) {
		const struct mail_part *p = &m->parts[i];
		if (p->role != MAIL_PART_OTHER_TEXT || p->data == NULL ||
		    is_part_type(p, "text/rfc822-headers") || p->data == m->text)
			continue;
		buf_puts(&b, "\n");
		buf_append(&b, p->data, strnlen(p->data, BOUNCE_MAX_SCAN));
	}
	/* a refused append leaves what fitted: that is the scan region */
	n->text = buf_steal(&b, &n->len);
	n->lower = lower_copy(n->text, n->len);
}

/* notice_free - release a notice_build() result */
static void notice_free(struct notice *n)
{
	xfree(&n->text);
	xfree(&n->lower);
}

/* sender_is_mailer - the From is a mailer: its local part, its display name,
   or an empty address */
static int sender_is_mailer(const struct mail_msg *m)
{
	const char *a = m->from.addr;
	if (a == NULL || a[0] == '\0' || strcmp(a, "<>") == 0)
		return 1;
	if (local_part_is(a, mailer_locals, sizeof(mailer_locals) / sizeof(mailer_locals[0])))
		return 1;
	/* mangled forms such as "Postmaster\@host@host" */
	const char *at = strrchr(a, '@');
	size_t ll = at != NULL ? (size_t)(at - a) : strlen(a);
	char *local = lower_copy(a, ll);
	int mangled = strstr(local, "postmaster") != NULL || strstr(local, "mailer-daemon") != NULL;
	free(local);
	if (mangled)
		return 1;
	if (m->from.name != NULL) {
		char *l = lower_copy(m->from.name, 256);
		int r = has_any(l, mailer_names, sizeof(mailer_names) / sizeof(mailer_names[0]));
		free(l);
		if (r)
			return 1;
	}
	return 0;
}

/* null_return_path - Return-Path: <> (only bounces and auto-replies use it) */
static int null_return_path(const struct mail_msg *m)
{
	const char *v = mail_header_get(m, "Return-Path");
	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	return strncmp(v, "<>", 2) == 0 || v[0] == '\0';
}

/* auto_submitted - an Auto-Submitted header other than "no" */
static int auto_submitted(const struct mail_msg *m)
{
	const char *v = mail_header_get(m, "Auto-Submitted");
	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	return v[0] != '\0' && !str_istarts(v, "no");
}

/* enclosed_header - the value of a header line "name" (with its colon) in
   an enclosed message, up to the line end (not terminated); NULL if none */
static const char *enclosed_header(const struct mail_msg *m, const char *name)
{
	size_t nl = strlen(name);
	for (int i = 0; i < m->nparts; i++) {
		const struct mail_part *p = &m->parts[i];
		if (p->role != MAIL_PART_MESSAGE || p->data == NULL)
			continue;
		const char *d = p->data, *end = d + strnlen(d, BOUNCE_MAX_SCAN);
		for (const char *l = d; l < end;) {
			const char *le = memchr(l, '\n', (size_t)(end - l));
			if (le == NULL)
				le = end;
			if (le == l || (le == l + 1 && *l == '\r'))
				break;
			if ((size_t)(le - l) > nl && str_ncasecmp(l, name, nl) == 0)
				return l + nl;
			l = le + 1;
		}
	}
	return NULL;
}

/* detect - what kind of bounce m is; *why_r says what gave it away */
static enum bounce_kind detect(const struct mail_msg *m, const struct notice *n, const char **why_r)
{
	const char *rt = m->report_type;
	*why_r = "";
	if ((rt != NULL && str_casecmp(rt, "feedback-report") == 0) ||
	    find_part(m, "message/feedback-report", NULL) != NULL) {
		*why_r = "feedback report";
		return BOUNCE_ARF;
	}
	if (enclosed_header(m, "X-HmXmrOriginalRecipient:") != NULL) {
		*why_r = "feedback report (Hotmail complaint)";
		return BOUNCE_JMRP;
	}
	if ((rt != NULL && (str_casecmp(rt, "delivery-status") == 0 ||
			    str_casecmp(rt, "global-delivery-status") == 0)) ||
	    find_part(m, "message/delivery-status", "message/global-delivery-status") != NULL) {
		*why_r = "delivery report";
		return BOUNCE_DSN;
	}
	if (mail_header_get(m, "X-Failed-Recipients") != NULL) {
		*why_r = "X-Failed-Recipients";
		return BOUNCE_XFR;
	}
	/* the JSON may be quoted inside JSON: look for the words, not the quotes */
	if (n->lower != NULL && strstr(n->lower, "notificationtype") != NULL &&
	    (strstr(n->lower, "bounce") != NULL || strstr(n->lower, "complaint") != NULL ||
	     strstr(n->lower, "delivery") != NULL)) {
		*why_r = "Amazon SES notification";
		return BOUNCE_SES;
	}
	if (local_part_is(m->from.addr, mailer_locals, 5)) {
		*why_r = "from MAILER-DAEMON";
		return BOUNCE_MAILER;
	}
	int subj = 0;
	if (m->subject != NULL && !starts_reply_prefix(m->subject)) {
		char *ls = lower_copy(m->subject, 512);
		subj = has_any(ls, subject_markers, sizeof(subject_markers) / sizeof(subject_markers[0]));
		free(ls);
	}
	/* the body's markers count only with a mailer sender, a bounce
	   subject or no one to answer: most mail is none of these, and its
	   whole body is not searched (bench/: 2.5% of ingest) */
	int mailer = sender_is_mailer(m);
	int unattended = null_return_path(m) || auto_submitted(m);
	int body = (mailer || subj || unattended) &&
		   has_any(n->lower, strong_body_markers, sizeof(strong_body_markers) / sizeof(strong_body_markers[0]));
	if (mailer && (subj || body)) {
		*why_r = subj ? "mailer sender, bounce subject" : "mailer sender, bounce text";
		return BOUNCE_HEURISTIC;
	}
	if (subj && (body || unattended)) {
		*why_r = body ? "bounce subject and text" : "bounce subject, null sender";
		return BOUNCE_HEURISTIC;
	}
	if (body && unattended) {
		*why_r = "bounce text, null sender";
		return BOUNCE_HEURISTIC;
	}
	return BOUNCE_NONE;
}

/* filter_is_bounce - see filter.h */
int filter_is_bounce(const struct filter_ctx *ctx)
{
	if (ctx == NULL || ctx->msg == NULL)
		return 0;
	struct notice n;
	const char *why;
	notice_build(ctx->msg, &n);
	enum bounce_kind k = detect(ctx->msg, &n, &why);
	notice_free(&n);
	return k != BOUNCE_NONE;
}

/* ---- addresses ---- */

static int is_local_char(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* is_domain_char - a character of a domain name */
static int is_domain_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '-';
}

/* addr_at - the address around the '@' at p (within [start,end)); its
   bounds through s_r/e_r; 0 if there is none */
static int addr_at(const char *start, const char *end, const char *p,
		   const char **s_r, const char **e_r)
{
	const char *s = p, *e = p + 1;
	while (s > start && is_local_char((unsigned char)s[-1]))
		s--;
	while (e < end && is_domain_char((unsigned char)*e))
		e++;
	while (e > p + 1 && (e[-1] == '.' || e[-1] == '-'))
		e--;
	while (s < p && (*s == '.' || *s == '\''))
		s++;
	if (s == p || e == p + 1 || (size_t)(e - s) > BOUNCE_MAX_ADDR)
		return 0;
	if (memchr(p + 1, '.', (size_t)(e - p - 1)) == NULL &&
	    str_ncasecmp(p + 1, "localhost", 9) != 0)
		return 0;
	/* Exchange's X.400 form: "dda:SMTP=user@domain" */
	static const char *const types[] = { "smtp=", "rfc822=", "smtp:", "rfc822;" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t tl = strlen(types[i]);
		if ((size_t)(p - s) > tl && str_ncasecmp(s, types[i], tl) == 0)
			s += tl;
	}
	*s_r = s;
	*e_r = e;
	return 1;
}

/* clean_addr - an address field value ("rfc822; <a@b>", "a@b (comment)")
   reduced to the address; NULL if none */
static char *clean_addr(const char *v)
{
	if (v == NULL)
		return NULL;
	const char *semi = strchr(v, ';');
	const char *s = semi != NULL ? semi + 1 : v;
	const char *at = strchr(s, '@');
	const char *end = s + strlen(s);
	const char *as, *ae;
	if (at != NULL && addr_at(s, end, at, &as, &ae))
		return xstrndup(as, (size_t)(ae - as));
	/* no domain (a local recipient "rfc822; user"): take the first word */
	while (*s == ' ' || *s == '\t' || *s == '<')
		s++;
	size_t l = strcspn(s, " \t>;,()");
	if (l == 0 || l > BOUNCE_MAX_ADDR)
		return NULL;
	return xstrndup(s, l);
}

/* excluded_addr - an address of ours (list, VERP), a mailer's, or the
   bounce's own sender or recipient: never the failed recipient */
static int excluded_addr(const struct filter_ctx *ctx, const char *a, size_t l)
{
	char *c = xstrndup(a, l);
	int r = 0;
	const struct mail_msg *m = ctx->msg;
	if (local_part_is(c, mailer_locals, sizeof(mailer_locals) / sizeof(mailer_locals[0])) ||
	    str_casestr(c, "+bounces-") != NULL || filter_addr_eq(c, m->from.addr))
		r = 1;
	for (int i = 0; !r && ctx->env != NULL && i < ctx->env->nown_addrs; i++)
		if (filter_addr_eq(c, ctx->env->own_addrs[i]))
			r = 1;
	for (int i = 0; !r && i < m->nto; i++)
		if (filter_addr_eq(c, m->to[i].addr))
			r = 1;
	free(c);
	return r;
}

/* Where the returned message starts inside a notification's text: the
   failed address is looked for above it. */
static const char *const returned_markers[] = {
	"------ this is a copy of the message", "--- below this line is a copy of the message",
	"original message follows", "----- original message -----",
	"------ original message ------", "-----original message-----",
	"--- the header of the original message", "----- unsent message below",
	"------ the body of the message", "--- original message ---",
	"----- message header follows", "the text you sent follows",
	"--- the original message", "------- returned message",
	"copy of the original message below this line", "below this line is a copy",
	"start of returned message", "unsent message below", "of the message follows",
	"lines of the message follow", "original message as received",
	"----- returned message", "----- original message follows",
};

/* notice_cut - the length of the notification before the returned message:
   the first marker line, or the first line that opens a header block */
static size_t notice_cut(const struct notice *n)
{
	size_t cut = n->len;
	for (size_t i = 0; i < sizeof(returned_markers) / sizeof(returned_markers[0]); i++) {
		const char *p = strstr(n->lower, returned_markers[i]);
		if (p != NULL && (size_t)(p - n->lower) < cut)
			cut = (size_t)(p - n->lower);
	}
	static const char *const header_starts[] = { "\nreceived: ", "\nreturn-path: ", "\n>received: ",
						     "\n>return-path: ", "\n> received: ",
						     "\ncontent-type: message/rfc822",
						     "\ncontent-type: text/rfc822-headers" };
	for (size_t i = 0; i < sizeof(header_starts) / sizeof(header_starts[0]); i++) {
		const char *p = strstr(n->lower, header_starts[i]);
		if (p != NULL && (size_t)(p - n->lower) < cut)
			cut = (size_t)(p - n->lower);
	}
	return cut;
}

/* Words on or above an address's line that mark it as the failed one. */
static const char *const line_words[] = {
	"recipient", "user", "address", "failed", "unknown", "rcpt to", "said:",
	"smtp error", "mailbox", "not exist", "undeliver", "could not", "unable",
	"no such", "rejected", "invalid", "quota", "full", "error", "delivery to",
	"refused", "not found", "expired", "sorry", "postponed", "delay", "deferred",
	"no mailbox", "mailbox full", "over quota", "disabled", "blocked", "denied",
};
static const char *const above_words[] = {
	"following", "recipient", "failed", "could not", "undeliver",
	"not be delivered", "permanent", "fatal", "not reached", "delayed",
	"temporar", "unable", "not yet been delivered", "not been delivered",
	"address to which", "could not deliver", "无法", "失败", "できません", "届きません",
};

static const char *const expanded_words[] = { "expanded from", "original recipient" };
/* Words that all but name the failed address on its line. */
static const char *const strong_line_words[] = {
	"addressed", "failed recipient", "invalid recipient", "unknown user", "user unknown",
	"no such user", "recipient address rejected", "does not exist", "no mailbox",
	"mailbox unavailable", "invalid address", "bad destination",
};

/* Lines that hold addresses that are not the failed one. */
static const char *const skip_line_prefixes[] = {
	"message-id", "in-reply-to", "references", "received", "from:", "sender:",
	"return-path", "reporting-mta", "reply-to", "x-", "by ", "id ", "errors-to",
	"dkim", "list-", "arrival-date", "envelope-from", "mail from",
};

/* starts_any - the lowercase line s[0..l) opens with one of the words */
static int starts_any(const char *s, size_t l, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(words[i]);
		if (k <= l && memcmp(s, words[i], k) == 0)
			return 1;
	}
	return 0;
}

/* line_has_any - the lowercase line s[0..l) holds one of the words (its first 511 bytes) */
static int line_has_any(const char *s, size_t l, const char *const *words, size_t n)
{
	char tmp[512];
	if (l >= sizeof(tmp))
		l = sizeof(tmp) - 1;
	memcpy(tmp, s, l);
	tmp[l] = '\0';
	return has_any(tmp, words, n);
}

/* body_recipient - the failed address in a notification's text, by where
   it stands: alone on its line, at the line start as "<addr>:", next to a
   failure word, under a "the following recipients" line. NULL if none. */
static char *body_recipient(const struct filter_ctx *ctx, const struct notice *n)
{
	size_t lim = notice_cut(n);
	const char *t = n->text, *lo = n->lower, *end = n->text + lim;
	const char *best_s = NULL;
	size_t best_l = 0;
	int best = -1, seen = 0;
	for (const char *p = memchr(t, '@', lim); p != NULL && seen < BOUNCE_MAX_CANDIDATES;
	     p = memchr(p + 1, '@', (size_t)(end - p - 1))) {
		const char *as, *ae;
		if (p + 1 >= end || !addr_at(t, end, p, &as, &ae))
			continue;
		seen++;
		const char *ls = as;
		while (ls > t && ls[-1] != '\n')
			ls--;
		const char *le = memchr(ae, '\n', (size_t)(end - ae));
		if (le == NULL)
			le = end;
		const char *lt = ls;    /* the line, trimmed at the front */
		while (lt < as && (*lt == ' ' || *lt == '\t' || *lt == '>'))
			lt++;
		size_t off = (size_t)(lt - t);
		if (lt != as && lt[0] != '<' &&
		    starts_any(lo + off, (size_t)(le - lt), skip_line_prefixes,
			       sizeof(skip_line_prefixes) / sizeof(skip_line_prefixes[0])))
			continue;
		if (excluded_addr(ctx, as, (size_t)(ae - as)))
			continue;
		/* where it stands counts only next to failure words */
		int place = 0, score = 0;
		const char *before = lt;
		while (before < as && strchr("<\"'( \t", *before) != NULL)
			before++;
		if (before == as)
			place += 3;     /* the address opens the line */
		const char *after = ae;
		while (after < le && strchr(">\"'):,; \t.", *after) != NULL)
			after++;
		if (before == as && after == le)
			place += 2;     /* nothing else on the line */
		if (as > t && as[-1] == '<')
			place += 1;
		if (line_has_any(lo + (ls - t), (size_t)(le - ls), line_words,
				 sizeof(line_words) / sizeof(line_words[0])))
			score += 2;
		/* sendmail: "(expanded from: list-address)" names what we sent to */
		if (as - ls > 14 && line_has_any(lo + (ls - t), (size_t)(as - ls), expanded_words, 2))
			score += 6;
		if (line_has_any(lo + (ls - t), (size_t)(le - ls), strong_line_words,
				 sizeof(strong_line_words) / sizeof(strong_line_words[0])))
			score += 3;
		/* up to three lines above */
		const char *ab = ls;
		for (int k = 0; k < 3 && ab > t; k++) {
			const char *pe = ab - 1;
			const char *ps = pe;
			while (ps > t && ps[-1] != '\n')
				ps--;
			if (line_has_any(lo + (ps - t), (size_t)(pe - ps), above_words,
					 sizeof(above_words) / sizeof(above_words[0]))) {
				score += 1;
				break;
			}
			ab = ps;
		}
		/* the line below (qmail, Exim put the reason under the address) */
		const char *bs = le < end ? le + 1 : end;
		for (int k = 0; k < 2 && bs < end; k++) {
			const char *be = memchr(bs, '\n', (size_t)(end - bs));
			if (be == NULL)
				be = end;
			if (line_has_any(lo + (bs - t), (size_t)(be - bs), line_words,
					 sizeof(line_words) / sizeof(line_words[0])) ||
			    line_has_any(lo + (bs - t), (size_t)(be - bs), strong_line_words,
					 sizeof(strong_line_words) / sizeof(strong_line_words[0]))) {
				score += 1;
				break;
			}
			bs = be + 1;
		}
		if (score > 0)
			score += place;
		if (score > best) {
			best = score;
			best_s = as;
			best_l = (size_t)(ae - as);
		}
	}
	if (best_s == NULL || best < 1)
		return NULL;
	return xstrndup(best_s, best_l);
}

/* subject_recipient - "Undeliverable: a@b", "Delivery Report (failure) for a@b" */
static char *subject_recipient(const struct filter_ctx *ctx)
{
	const char *s = ctx->msg->subject;
	if (s == NULL)
		return NULL;
	const char *end = s + strlen(s);
	for (const char *p = strchr(s, '@'); p != NULL; p = strchr(p + 1, '@')) {
		const char *as, *ae;
		if (addr_at(s, end, p, &as, &ae) && !excluded_addr(ctx, as, (size_t)(ae - as)))
			return xstrndup(as, (size_t)(ae - as));
	}
	return NULL;
}

/* block_recipient - in a returned message's header lines (d, len): the
   address of the first Received "for <addr>", else of the first To:; NULL */
static char *block_recipient(const struct filter_ctx *ctx, const char *d, size_t len)
{
	const char *end = d + len;
	char *to = NULL;
	int lines = 0;
	for (const char *l = d; l < end && lines < 400; lines++) {
		const char *le = memchr(l, '\n', (size_t)(end - l));
		if (le == NULL)
			le = end;
		const char *x = l;
		while (x < le && (*x == '>' || *x == ' ' || *x == '\t'))
			x++;
		const char *f = NULL;
		for (const char *q = x; q + 5 < le; q++)
			if (str_ncasecmp(q, "for <", 5) == 0 && (q == x || q[-1] == ' ' || q[-1] == '\t')) {
				f = q + 5;
				break;
			}
		const char *at, *as, *ae;
		if (f != NULL && (at = memchr(f, '@', (size_t)(le - f))) != NULL &&
		    addr_at(f, le, at, &as, &ae) && !excluded_addr(ctx, as, (size_t)(ae - as))) {
			free(to);
			return xstrndup(as, (size_t)(ae - as));
		}
		if (to == NULL && str_ncasecmp(x, "To:", 3) == 0 &&
		    (at = memchr(x, '@', (size_t)(le - x))) != NULL && addr_at(x + 3, le, at, &as, &ae) &&
		    !excluded_addr(ctx, as, (size_t)(ae - as)))
			to = xstrndup(as, (size_t)(ae - as));
		l = le + 1;
	}
	return to;
}

/* returned_to - the recipient of the returned message: in its headers part,
   the enclosed message, or the text after the notification */
static char *returned_to(const struct filter_ctx *ctx, const struct notice *n)
{
	const struct mail_msg *m = ctx->msg;
	char *r;
	for (int i = 0; i < m->nparts; i++) {
		const struct mail_part *p = &m->parts[i];
		if (p->data == NULL || !(p->role == MAIL_PART_MESSAGE ||
					 is_part_type(p, "text/rfc822-headers")))
			continue;
		/* its header block only */
		const char *d = p->data;
		size_t len = strnlen(d, BOUNCE_MAX_SCAN);
		const char *blank = strstr(d, "\n\n");
		if (blank != NULL && (size_t)(blank - d) < len)
			len = (size_t)(blank - d);
		if ((r = block_recipient(ctx, d, len)) != NULL)
			return r;
	}
	size_t cut = notice_cut(n);
	if (cut < n->len)
		return block_recipient(ctx, n->text + cut, n->len - cut);
	return NULL;
}

/* ---- status codes ---- */

/* find_status - the first RFC 3463 code (class 2, 4 or 5) in s, into out; 0 if none */
static int find_status(const char *s, size_t len, char *out, size_t size)
{
	for (size_t i = 0; i + 4 < len; i++) {
		char c = s[i];
		if ((c != '2' && c != '4' && c != '5') || s[i + 1] != '.')
			continue;
		if (i > 0 && (isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.'))
			continue;
		size_t j = i + 2, d1 = 0, d2 = 0;
		while (j < len && isdigit((unsigned char)s[j]) && d1 < 3)
			j++, d1++;
		if (d1 == 0 || j >= len || s[j] != '.')
			continue;
		j++;
		while (j < len && isdigit((unsigned char)s[j]) && d2 < 3)
			j++, d2++;
		if (d2 == 0 || (j < len && (isdigit((unsigned char)s[j]) ||
					    (s[j] == '.' && j + 1 < len && isdigit((unsigned char)s[j + 1])))))
			continue;
		size_t n = j - i;
		if (n >= size)
			return 0;
		memcpy(out, s + i, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

/* find_reply_code - the first SMTP reply code 4xx/5xx after "said:",
   "error", "smtp" or at a line start in s; 0 if none */
static int find_reply_code(const char *lower, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++) {
		char c = lower[i];
		if ((c != '4' && c != '5') || !isdigit((unsigned char)lower[i + 1]) ||
		    !isdigit((unsigned char)lower[i + 2]) ||
		    (lower[i + 3] != ' ' && lower[i + 3] != '-'))
			continue;
		if (i > 0 && (isalnum((unsigned char)lower[i - 1]) || lower[i - 1] == '.'))
			continue;
		size_t from = i > 40 ? i - 40 : 0;
		char ctx[48];
		memcpy(ctx, lower + from, i - from);
		ctx[i - from] = '\0';
		if (strstr(ctx, "said") || strstr(ctx, "error") || strstr(ctx, "smtp") ||
		    strstr(ctx, "reply") || strstr(ctx, "response") || strstr(ctx, "reason") ||
		    strstr(ctx, "remote") || i == 0 || lower[i - 1] == '\n')
			return c - '0';
	}
	return 0;
}

/* ---- delivery-status parsing ---- */

struct dsn_rcpt {
	char *final;            /* Final-Recipient address */
	char *original;         /* Original-Recipient address */
	char action[16];        /* failed, delayed, delivered, relayed, expanded */
	char status[16];
	char *diag;             /* Diagnostic-Code, unfolded */
};

/* dsn_rcpt_free - release one parsed recipient block */
static void dsn_rcpt_free(struct dsn_rcpt *r)
{
	xfree(&r->final);
	xfree(&r->original);
	xfree(&r->diag);
}

/* dsn_field - if line (unfolded) is "name: value", the value; else NULL */
static const char *dsn_field(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (str_ncasecmp(line, name, n) != 0)
		return NULL;
	const char *v = line + n;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v != ':')
		return NULL;
	v++;
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

/* dsn_apply - take one unfolded field line into r; 1 if it is a
   per-recipient field */
static int dsn_apply(struct dsn_rcpt *r, const char *s)
{
	const char *v;
	if ((v = dsn_field(s, "Final-Recipient")) != NULL) {
		if (r->final == NULL)
			r->final = clean_addr(v);
	} else if ((v = dsn_field(s, "Original-Recipient")) != NULL) {
		if (r->original == NULL)
			r->original = clean_addr(v);
	} else if ((v = dsn_field(s, "Action")) != NULL) {
		size_t k = strcspn(v, " \t;(");
		if (r->action[0] != '\0')
			return 1;
		if (k >= sizeof(r->action))
			k = sizeof(r->action) - 1;
		for (size_t i = 0; i < k; i++)
			r->action[i] = (char)tolower((unsigned char)v[i]);
		r->action[k] = '\0';
	} else if ((v = dsn_field(s, "Status")) != NULL) {
		if (r->status[0] == '\0')
			find_status(v, strlen(v), r->status, sizeof(r->status));
	} else if ((v = dsn_field(s, "Diagnostic-Code")) != NULL) {
		if (r->diag == NULL)
			r->diag = xstrdup(v);
	} else
		return 0;
	return 1;
}

/* dsn_parse - the per-recipient blocks of a delivery-status body (blocks of
   "Field: value" lines, folded, separated by blank lines; the first is
   about the message) into out[0..max); the number found */
static int dsn_parse(const char *data, size_t len, struct dsn_rcpt *out, int max)
{
	int n = 0, in_block = 0;
	struct buf line;
	buf_init(&line, 4096);
	const char *p = data, *end = data + len;
	for (;;) {
		int at_end = p >= end;
		const char *le = at_end ? end : memchr(p, '\n', (size_t)(end - p));
		if (le == NULL)
			le = end;
		size_t l = at_end ? 0 : (size_t)(le - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		size_t lead = 0;
		while (lead < l && (p[lead] == ' ' || p[lead] == '\t'))
			lead++;
		int blank = at_end || lead == l;
		if (!blank && lead > 0 && line.len > 0) {
			/* a folded continuation of the field before */
			buf_putc(&line, ' ');
			buf_append(&line, p + lead, l - lead);
		} else {
			if (line.len > 0 && n < max) {
				const char *s = buf_cstr(&line);
				/* a second Final-Recipient with no blank line between */
				if (dsn_field(s, "Final-Recipient") != NULL && out[n].final != NULL &&
				    n + 1 < max)
					n++;
				if (dsn_apply(&out[n], s))
					in_block = 1;
			}
			buf_reset(&line);
			if (!blank)
				buf_append(&line, p + lead, l - lead);
			if (blank && in_block) {
				n++;
				in_block = 0;
			}
		}
		if (at_end || n >= max)
			break;
		p = le + 1;
	}
	buf_free(&line);
	return n;
}

/* ---- VERP ---- */

/* VERP_MAX_TOKEN - longest token taken from a VERP address */
#define VERP_MAX_TOKEN 128

/* verp_in - the TOKEN of a LIST+bounces-TOKEN@domain address in v whose
   LIST is one of ours (any list when none is configured); NULL if none */
static char *verp_in(const struct filter_env *env, const char *v)
{
	static const char tag[] = "+bounces-";
	for (const char *p = str_casestr(v, tag); p != NULL; p = str_casestr(p + 1, tag)) {
		const char *ls = p;
		while (ls > v && is_local_char((unsigned char)ls[-1]) && ls[-1] != '+')
			ls--;
		const char *ts = p + sizeof(tag) - 1, *te = ts;
		while (*te != '\0' && (isalnum((unsigned char)*te) || strchr("._=-", *te) != NULL))
			te++;
		if (te == ts || *te != '@' || (size_t)(te - ts) > VERP_MAX_TOKEN || ls == p)
			continue;
		const char *ds = te + 1, *de = ds;
		while (is_domain_char((unsigned char)*de))
			de++;
		int ours = env == NULL || env->nown_addrs == 0;
		for (int i = 0; !ours && i < env->nown_addrs; i++) {
			const char *o = env->own_addrs[i];
			const char *at = o != NULL ? strrchr(o, '@') : NULL;
			if (at == NULL)
				continue;
			size_t ll = (size_t)(at - o), dl = strlen(at + 1);
			if (ll == (size_t)(p - ls) && str_ncasecmp(o, ls, ll) == 0 &&
			    dl == (size_t)(de - ds) && str_ncasecmp(at + 1, ds, dl) == 0)
				ours = 1;
		}
		if (ours)
			return xstrndup(ts, (size_t)(te - ts));
	}
	return NULL;
}

/* verp_find - the VERP token in To, Delivered-To, X-Original-To or Envelope-To */
static char *verp_find(const struct filter_ctx *ctx)
{
	static const char *const headers[] = { "Delivered-To", "X-Original-To", "Envelope-To", "To" };
	const struct mail_msg *m = ctx->msg;
	char *t;
	for (int i = 0; i < m->nto; i++)
		if (m->to[i].addr != NULL && (t = verp_in(ctx->env, m->to[i].addr)) != NULL)
			return t;
	for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
		int k = -1;
		const char *v;
		while ((v = mail_header_next(m, headers[h], &k)) != NULL)
			if ((t = verp_in(ctx->env, v)) != NULL)
				return t;
	}
	return NULL;
}

/* ---- the stage ---- */

/* pick_rcpt - the block that tells most: the first failure, else the first
   delay, else the first block */
static const struct dsn_rcpt *pick_rcpt(const struct dsn_rcpt *r, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].action, "failed") == 0 || r[i].status[0] == '5')
			return &r[i];
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].action, "delayed") == 0 || r[i].status[0] == '4')
			return &r[i];
	return n > 0 ? &r[0] : NULL;
}

/* delay_words - a notification that says the mail is only late */
static int delay_words(const struct mail_msg *m, const struct notice *n)
{
	static const char *const words[] = { "delay", "still being retried", "not yet been delivered",
					     "warning:", "will be retried", "will continue", "deferred" };
	char *ls = lower_copy(m->subject, 512);
	int r = has_any(ls, words, sizeof(words) / sizeof(words[0]));
	free(ls);
	if (!r && n->lower != NULL) {
		static const char *const body[] = { "has not yet been delivered", "still being retried",
						    "delivery attempts will continue",
						    "will continue to try", "message will be retried",
						    "has been delayed", "delivery is delayed" };
		r = has_any(n->lower, body, sizeof(body) / sizeof(body[0]));
	}
	return r;
}

/* arf_recipient - the Original-Rcpt-To of a feedback report: who complained */
static char *arf_recipient(const struct mail_msg *m)
{
	const struct mail_part *p = find_part(m, "message/feedback-report", NULL);
	if (p == NULL || p->data == NULL)
		return NULL;
	const char *d = p->data, *end = d + strnlen(d, BOUNCE_MAX_SCAN);
	for (const char *l = d; l < end;) {
		const char *le = memchr(l, '\n', (size_t)(end - l));
		if (le == NULL)
			le = end;
		if (str_ncasecmp(l, "Original-Rcpt-To:", 17) == 0) {
			char *v = xstrndup(l + 17, (size_t)(le - l - 17));
			char *a = clean_addr(v);
			free(v);
			return a;
		}
		l = le + 1;
	}
	return NULL;
}

/* take_dsn - the recipient, status, action and diagnostic of the block that
   tells most in delivery-status fields (data, len), into ctx and the
   buffers; nothing when there is no recipient block */
static void take_dsn(struct filter_ctx *ctx, const char *data, size_t len, char status[16],
		     char action[16], char **diag_r)
{
	struct dsn_rcpt *r = xcalloc(BOUNCE_MAX_RCPTS, sizeof(*r));
	int nr = dsn_parse(data, len, r, BOUNCE_MAX_RCPTS);
	const struct dsn_rcpt *pick = pick_rcpt(r, nr);
	if (pick != NULL && (pick->original != NULL || pick->final != NULL)) {
		const char *a = pick->original != NULL && strchr(pick->original, '@') != NULL
				? pick->original : pick->final;
		if (a == NULL)
			a = pick->original;
		free(ctx->bounce_recipient);
		ctx->bounce_recipient = xstrdup(a);
		memcpy(status, pick->status, 16);
		memcpy(action, pick->action, 16);
		if (pick->diag != NULL) {
			free(*diag_r);
			*diag_r = xstrdup(pick->diag);
			if (status[0] == '\0')
				find_status(*diag_r, strlen(*diag_r), status, 16);
		}
	}
	for (int i = 0; i < nr; i++)
		dsn_rcpt_free(&r[i]);
	free(r);
}

/* bounce_run - class bounce with the failed address, its status and the VERP token */
static enum filter_verdict bounce_run(struct filter_ctx *ctx)
{
	const struct mail_msg *m = ctx->msg;
	if (m == NULL)
		return FILTER_CONTINUE;
	struct notice n;
	const char *why;
	notice_build(m, &n);
	enum bounce_kind kind = detect(m, &n, &why);
	xfree(&ctx->verp_token);
	ctx->verp_token = verp_find(ctx);
	if (kind == BOUNCE_NONE) {
		notice_free(&n);
		if (ctx->verp_token == NULL)
			return FILTER_CONTINUE;
		ctx->bounce_permanent = 0;
		return filter_decide(ctx, CLASS_BOUNCE, "bounce: mail to the bounce address (VERP %s)",
				     ctx->verp_token);
	}
	xfree(&ctx->bounce_recipient);
	xfree(&ctx->bounce_status);
	ctx->bounce_permanent = 0;

	if (kind == BOUNCE_ARF || kind == BOUNCE_JMRP) {
		if (kind == BOUNCE_ARF) {
			ctx->bounce_recipient = arf_recipient(m);
		} else {
			const char *v = enclosed_header(m, "X-HmXmrOriginalRecipient:");
			char *line = xstrndup(v, strcspn(v, "\r\n"));
			ctx->bounce_recipient = clean_addr(line);
			free(line);
		}
		notice_free(&n);
		return filter_decide(ctx, CLASS_BOUNCE, "%s", why);
	}

	char status[16] = "";
	char action[16] = "";
	char *diag = NULL;
	if (kind == BOUNCE_DSN) {
		const struct mail_part *p = find_part(m, "message/delivery-status",
						      "message/global-delivery-status");
		/* no report part (a mislabelled report): its fields may sit in the text */
		if (p != NULL && p->data != NULL)
			take_dsn(ctx, p->data, strnlen(p->data, BOUNCE_MAX_SCAN), status, action, &diag);
		else
			take_dsn(ctx, n.text, n.len, status, action, &diag);
	} else if (kind == BOUNCE_XFR) {
		ctx->bounce_recipient = clean_addr(mail_header_get(m, "X-Failed-Recipients"));
	}
	/* a report rendered as text, or forwarded inside another message */
	if (ctx->bounce_recipient == NULL && kind != BOUNCE_DSN)
		take_dsn(ctx, n.text, n.len, status, action, &diag);
	if (ctx->bounce_recipient == NULL)
		ctx->bounce_recipient = body_recipient(ctx, &n);
	for (int i = 0; ctx->bounce_recipient == NULL && i < m->nparts; i++)
		if (m->parts[i].role == MAIL_PART_MESSAGE && m->parts[i].data != NULL)
			take_dsn(ctx, m->parts[i].data, strnlen(m->parts[i].data, BOUNCE_MAX_SCAN),
				 status, action, &diag);
	if (ctx->bounce_recipient == NULL)
		ctx->bounce_recipient = subject_recipient(ctx);
	if (ctx->bounce_recipient == NULL)
		ctx->bounce_recipient = returned_to(ctx, &n);
	if (status[0] == '\0')
		find_status(n.text, notice_cut(&n), status, sizeof(status));
	if (status[0] == '\0') {
		int code = find_reply_code(n.lower, notice_cut(&n));
		if (code == 4 || code == 5)
			snprintf(status, sizeof(status), "%d.0.0", code);
	}
	if (status[0] != '\0')
		ctx->bounce_status = xstrdup(status);
	if (status[0] == '5')
		ctx->bounce_permanent = 1;
	else if (status[0] == '4' || status[0] == '2')
		ctx->bounce_permanent = 0;
	else if (strcmp(action, "failed") == 0)
		ctx->bounce_permanent = 1;
	else if (action[0] != '\0')
		ctx->bounce_permanent = 0;
	else
		ctx->bounce_permanent = !delay_words(m, &n);
	/* a delay notice is never permanent, whatever code its text quotes */
	if (strcmp(action, "delayed") == 0)
		ctx->bounce_permanent = 0;

	const char *rcpt = ctx->bounce_recipient != NULL ? ctx->bounce_recipient : "unknown recipient";
	enum filter_verdict v;
	if (kind == BOUNCE_DSN)
		v = filter_decide(ctx, CLASS_BOUNCE, "delivery report: %s %s %s%s%.120s%s",
				  action[0] != '\0' ? action : "failed", status[0] != '\0' ? status : "-",
				  rcpt, diag != NULL ? " (" : "", diag != NULL ? diag : "",
				  diag != NULL ? ")" : "");
	else
		v = filter_decide(ctx, CLASS_BOUNCE, "bounce: %s; %s %s", why,
				  status[0] != '\0' ? status : "-", rcpt);
	free(diag);
	notice_free(&n);
	return v;
}

const struct filter filter_bounce = { "bounce", bounce_run };
